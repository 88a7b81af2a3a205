/* ioc-hash.h — string hashing for the hub's per-message hash tables.
 *
 * Every message looks up its device, its unit and its series by string key
 * (20–60 bytes).  GLib's g_str_hash is djb2, one multiply-add per byte: it was
 * ~10 % of the whole ingest path (bench/bench-decode, callgrind).  This one
 * reads the key eight bytes at a time after glibc's vectorised strlen, so it
 * never reads past the terminating NUL (ASan-clean), and mixes each word with
 * a multiply-xorshift.  Not for keys an attacker chooses to collide: the
 * tables it serves are keyed by validated topic parts of the province's own
 * connectors, and a collision only costs a longer bucket chain. */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

static inline guint64
ioc_hash_mix (guint64 h)
{
  h ^= h >> 32;
  h *= G_GUINT64_CONSTANT (0xd6e8feb86659fd93);
  h ^= h >> 32;
  return h;
}

/* 64-bit hash of len bytes at p (need not be NUL-terminated). */
static inline guint64
ioc_hash_bytes64 (const void *p, gsize len)
{
  const guint8 *s = p;
  guint64 h = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) ^ len;
  while (len >= 8)
    {
      guint64 w;
      memcpy (&w, s, 8);
      h = (h ^ w) * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
      h ^= h >> 29;
      s += 8;
      len -= 8;
    }
  if (len > 0)
    {
      guint64 w = 0;
      memcpy (&w, s, len);
      h = (h ^ w) * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
    }
  return ioc_hash_mix (h);
}

/* Hash of len bytes at p (need not be NUL-terminated). */
static inline guint
ioc_hash_bytes (const void *p, gsize len)
{
  return (guint) ioc_hash_bytes64 (p, len);
}

/* A GHashFunc for NUL-terminated keys, used with g_str_equal. */
static inline guint
ioc_str_hash (gconstpointer key)
{
  return ioc_hash_bytes (key, strlen (key));
}

G_END_DECLS
