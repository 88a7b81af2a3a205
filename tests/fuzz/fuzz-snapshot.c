/* fuzz-snapshot.c — libFuzzer target for the snapshot reader
 * (state/snapshot.c) and the byte codec every stage reads its section with
 * (state/snapcodec.c).
 *
 * Input: byte 0 chooses the mode.
 *  - bit 2 clear: the rest is a snapshot file as found on disk (bit 1:
 *    saved as snapshot.prev, the file used when snapshot is missing); with
 *    bit 0 set the harness appends the right checksum, so that the reader
 *    gets past it to the section table.
 *  - bit 2 set: byte 1 is a mask XORed into the byte at offset bytes 2-3
 *    (LE) of a snapshot the harness saves itself, one section per line
 *    ("NAME DATA") of the rest.
 * Checks: never crashes, leaks or reads outside the file; a refused file
 * gives an error naming it; a loaded file saved again is byte for byte the
 * file that was read (but for a section name holding a NUL, see
 * has_nul_name); a saved snapshot loads back with the same position
 * and sections, and one with any byte changed is refused.  The loaded
 * sections (or the input) are then read with the codec, driven by the
 * input: a reader never moves past its end, and once a read fails every
 * later one gives zero and the reader stays failed.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <zlib.h>

#include "state/snapcodec.h"
#include "state/snapshot.h"
#include "test-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gchar *tmp_dir;
static gchar *dir_a, *dir_b;

static void
empty (const gchar *dir)
{
  static const gchar *const names[] = { "snapshot", "snapshot.prev", "snapshot.tmp" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      gchar *p = g_build_filename (dir, names[i], NULL);
      unlink (p);
      g_free (p);
    }
}

static void
remove_tmp (void)
{
  empty (dir_a);
  empty (dir_b);
  rmdir (dir_a);
  rmdir (dir_b);
  rmdir (tmp_dir);
}

static void
init_tmp (void)
{
  if (tmp_dir != NULL)
    return;
  tmp_dir = ioc_test_fuzz_tmp_dir ("fuzz-snapshot");
  dir_a = g_build_filename (tmp_dir, "a", NULL);
  dir_b = g_build_filename (tmp_dir, "b", NULL);
  g_mkdir (dir_a, 0700);
  g_mkdir (dir_b, 0700);
  atexit (remove_tmp);
}

/* Reads buf with the codec, one getter per script byte. */
static void
codec_walk (const guint8 *buf, gsize len, const guint8 *script, gsize n)
{
  IocSnapReader r;
  ioc_snap_reader_init (&r, buf, len);
  const guint8 *end = buf + len;
  for (gsize i = 0; i < n && i < 64; i++)
    {
      gboolean was_ok = ioc_snap_reader_ok (&r);
      gboolean nonzero = FALSE;
      switch (script[i] % 6)
        {
        case 0: nonzero = ioc_snap_get_u8 (&r) != 0; break;
        case 1: nonzero = ioc_snap_get_u32 (&r) != 0; break;
        case 2: nonzero = ioc_snap_get_i64 (&r) != 0; break;
        case 3: nonzero = ioc_snap_get_f64 (&r) != 0; break;
        case 4:
          {
            gchar *s = ioc_snap_get_str (&r);
            nonzero = s != NULL;
            /* NUL-terminated inside its allocation (ASan checks the read). */
            if (s != NULL && strlen (s) > len)
              abort ();
            g_free (s);
            break;
          }
        default:
          {
            guint32 blen = 0;
            const guint8 *b = ioc_snap_get_bytes (&r, &blen);
            nonzero = b != NULL;
            if (b != NULL && (b < buf || blen > (gsize) (end - b)))
              abort ();
            break;
          }
        }
      if (r.pos < buf || r.pos > end || r.end != end)
        abort ();
      if (!was_ok && (ioc_snap_reader_ok (&r) || nonzero))
        abort ();
    }
}

static gboolean
same_file (const gchar *a, const gchar *b)
{
  gchar *x = NULL, *y = NULL;
  gsize xl = 0, yl = 0;
  if (!g_file_get_contents (a, &x, &xl, NULL) || !g_file_get_contents (b, &y, &yl, NULL))
    abort ();
  gboolean same = xl == yl && memcmp (x, y, xl) == 0;
  g_free (x);
  g_free (y);
  return same;
}

/* Does the section table of a snapshot file hold a name with a NUL byte?
 * Known: the reader keeps such a name up to the NUL, so the file saved
 * again differs; no writer makes one (names are C strings), and the
 * checksum must match, so it takes a crafted file.  Reported, not fixed
 * here. */
static gboolean
has_nul_name (const guint8 *data, gsize len)
{
  IocSnapReader r;
  if (len < 8 + 4)
    return FALSE;
  ioc_snap_reader_init (&r, data + 8, len - 8 - 4);
  ioc_snap_get_u32 (&r);
  ioc_snap_get_i64 (&r);
  ioc_snap_get_i64 (&r);
  guint32 n = ioc_snap_get_u32 (&r);
  for (guint32 i = 0; i < n && ioc_snap_reader_ok (&r); i++)
    {
      guint32 name_len = 0, size = 0;
      const guint8 *name = ioc_snap_get_bytes (&r, &name_len);
      ioc_snap_get_bytes (&r, &size);
      if (name != NULL && memchr (name, 0, name_len) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
check_error (GError *error, const gchar *path)
{
  if (error == NULL || strstr (error->message, "snapshot") == NULL || strstr (error->message, path) == NULL)
    abort ();
}

static void
fuzz_file (const uint8_t *data, size_t size, gboolean fix_crc, gboolean prev)
{
  gchar *path = g_build_filename (dir_a, prev ? "snapshot.prev" : "snapshot", NULL);
  GByteArray *file = g_byte_array_new ();
  g_byte_array_append (file, data, (guint) size);
  if (fix_crc)
    {
      guint32 crc = GUINT32_TO_LE ((guint32) crc32 (crc32 (0L, Z_NULL, 0), data, (uInt) size));
      g_byte_array_append (file, (const guint8 *) &crc, 4);
    }
  if (!g_file_set_contents (path, (const gchar *) file->data, file->len, NULL))
    abort ();

  GError *error = NULL;
  IocSnapshot *s = ioc_snapshot_load (dir_a, &error);
  if (s == NULL)
    {
      check_error (error, path);
      g_error_free (error);
    }
  else
    {
      if (error != NULL || !ioc_snapshot_save (s, dir_b, &error))
        abort ();
      gchar *again = g_build_filename (dir_b, "snapshot", NULL);
      if (!same_file (path, again) && !has_nul_name (file->data, file->len))
        abort ();
      g_free (again);
      ioc_snapshot_free (s);
    }
  g_byte_array_unref (file);
  g_free (path);
}

static void
fuzz_saved (const uint8_t *data, size_t size)
{
  if (size < 4)
    return;
  guint8 mask = data[1];
  guint offset = data[2] | (guint) data[3] << 8;
  IocJournalPos pos = { size, (guint64) data[1] << 40 | offset };
  IocSnapshot *s = ioc_snapshot_new (pos);
  GHashTable *want = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  const gchar *p = (const gchar *) data + 4, *end = (const gchar *) data + size;
  while (p < end)
    {
      const gchar *nl = memchr (p, '\n', (gsize) (end - p));
      const gchar *line_end = nl ? nl : end;
      const gchar *sp = memchr (p, ' ', (gsize) (line_end - p));
      const gchar *name_end = sp ? sp : line_end;
      const gchar *body = sp ? sp + 1 : line_end;
      gchar *name = g_strndup (p, (gsize) (name_end - p));
      /* A name is a C string; add_section keeps one per name. */
      if (strlen (name) == (gsize) (name_end - p) && !g_hash_table_contains (want, name))
        {
          GBytes *b = g_bytes_new (body, (gsize) (line_end - body));
          ioc_snapshot_add_section (s, name, b);
          g_hash_table_insert (want, name, b);
        }
      else
        g_free (name);
      p = nl ? nl + 1 : end;
    }
  GError *error = NULL;
  if (!ioc_snapshot_save (s, dir_a, &error))
    abort ();
  ioc_snapshot_free (s);
  gchar *path = g_build_filename (dir_a, "snapshot", NULL);
  gchar *bytes = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &bytes, &len, NULL) || len == 0)
    abort ();
  if (mask != 0)
    {
      bytes[offset % len] ^= (gchar) mask;
      if (!g_file_set_contents (path, bytes, (gssize) len, NULL))
        abort ();
    }
  s = ioc_snapshot_load (dir_a, &error);
  if (mask != 0)
    {
      /* A crc32 catches every change within one byte. */
      if (s != NULL)
        abort ();
      check_error (error, path);
      g_error_free (error);
    }
  else
    {
      if (s == NULL || ioc_snapshot_pos (s).segment != pos.segment || ioc_snapshot_pos (s).offset != pos.offset)
        abort ();
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, want);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          GBytes *got = ioc_snapshot_get_section (s, k);
          if (got == NULL || !g_bytes_equal (got, v))
            abort ();
          gsize glen = 0;
          const guint8 *gdata = g_bytes_get_data (got, &glen);
          codec_walk (gdata, glen, data, size);
        }
      ioc_snapshot_free (s);
    }
  g_free (bytes);
  g_free (path);
  g_hash_table_unref (want);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1 || size > 16384)
    return 0;
  init_tmp ();
  empty (dir_a);
  empty (dir_b);
  if (data[0] & 4)
    fuzz_saved (data, size);
  else
    fuzz_file (data + 1, size - 1, (data[0] & 1) != 0, (data[0] & 2) != 0);
  /* The codec on the raw input, from its second byte. */
  codec_walk (data + 1, size - 1, data, size);
  empty (dir_a);
  empty (dir_b);
  return 0;
}
