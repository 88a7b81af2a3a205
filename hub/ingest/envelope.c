/* envelope.c — the strict JSON scanner and envelope checks of SPEC §4.
 *
 * First stage of ingest: every message the broker delivers (or the journal
 * replays) comes through ioc_decoder_decode() before validation and dedup.
 * Runs on whichever thread owns the decoder (the ingest thread in the hub).
 *
 * Why our own scanner: the envelope is small and fixed, and a general DOM
 * parser (json-glib) costs ~20× more per message than the 1 M msg/s budget
 * allows.  Decoding has two passes over the payload:
 *   1. scan: check the whole payload against the JSON grammar (depth ≤ 16,
 *      escapes, surrogate pairs, no trailing bytes) and remember where the
 *      value of each known top-level key is; unknown keys are skipped;
 *   2. interpret: by kind, message type and event type, check the fields
 *      that message needs, their JSON types and ranges, and copy strings
 *      (unescaped, NUL-terminated) into the decoder's arena.
 * Nothing is allocated per message. */
#include "ingest/envelope.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/ioc-time.h"
#include "protocol/ioc-topic.h"

/* SPEC §4: deeper nesting is not an envelope, and bounds our recursion. */
#define MAX_DEPTH 16
/* Strings unescape to at most their raw length, and each has two quotes in
 * the payload for its NUL; topic parts add at most 2 + 32 + 64 + 3 bytes. */
#define ARENA_SIZE (IOC_MAX_PAYLOAD + 128)
/* Epoch-ms times: the years 0000–9999 that RFC 3339 can write too. */
#define MAX_EPOCH_MS G_GINT64_CONSTANT (253402300799999)
#define MIN_EPOCH_MS G_GINT64_CONSTANT (-62167219200000)
/* Largest integer a double holds exactly: "1.0" style integers beyond it
 * are not exact. */
#define MAX_EXACT_DOUBLE 9007199254740992.0

typedef enum
{
  J_ABSENT = 0,
  J_STRING,
  J_NUMBER,
  J_TRUE,
  J_FALSE,
  J_NULL,
  J_OBJECT,
  J_ARRAY,
} JType;

static const gchar *const jtype_names[] = {
  "nothing", "a string", "a number", "true", "false", "null", "an object", "an array",
};

/* Where a value is in the payload.  Strings: p..end excludes the quotes. */
typedef struct
{
  const guint8 *p;
  const guint8 *end;
  guint8 type;
  guint8 has_escape; /* string */
  guint8 is_int;     /* number: no fraction, no exponent */
} JVal;

/* The top-level keys the envelope knows of (SPEC §4). */
typedef enum
{
  F_V,
  F_SEQ,
  F_TS,
  F_TYPE,
  F_COUNTER,
  F_OFFICER,
  F_TICKET,
  F_DOSSIER,
  F_SERVICE,
  F_PRIORITY,
  F_CAMERA,
  F_WAIT_S,
  F_SERVICE_S,
  F_LEVEL,
  F_SCALE,
  F_CHANNEL,
  F_PROCEDURE,
  F_STATE,
  F_RECEIVED_AT,
  F_DUE_AT,
  F_SUPPLEMENTS,
  F_FEE,
  F_PAID_ONLINE,
  F_DIGITIZED,
  F_E_RESULT,
  F_APPLICANT_COMMUNE,
  F_COUNTERS_OPEN,
  F_WAITING,
  F_ONLINE,
  F_QUEUE_LENGTH,
  F_PAPER_LOW,
  F_OPEN,
  F_OPEN_OVERDUE,
  F_SYNC_LAG_S,
  F_CAMERAS,
  F_RECORDING,
  F_FPS,
  F_BITRATE_KBPS,
  F_CONFIG_VERSION,
  F_COUNT,
  F_UNKNOWN = F_COUNT
} FieldId;

static const gchar *const field_names[F_COUNT] = {
  [F_V] = "v",
  [F_SEQ] = "seq",
  [F_TS] = "ts",
  [F_TYPE] = "type",
  [F_COUNTER] = "counter",
  [F_OFFICER] = "officer",
  [F_TICKET] = "ticket",
  [F_DOSSIER] = "dossier",
  [F_SERVICE] = "service",
  [F_PRIORITY] = "priority",
  [F_CAMERA] = "camera",
  [F_WAIT_S] = "wait_s",
  [F_SERVICE_S] = "service_s",
  [F_LEVEL] = "level",
  [F_SCALE] = "scale",
  [F_CHANNEL] = "channel",
  [F_PROCEDURE] = "procedure",
  [F_STATE] = "state",
  [F_RECEIVED_AT] = "received_at",
  [F_DUE_AT] = "due_at",
  [F_SUPPLEMENTS] = "supplements",
  [F_FEE] = "fee",
  [F_PAID_ONLINE] = "paid_online",
  [F_DIGITIZED] = "digitized",
  [F_E_RESULT] = "e_result",
  [F_APPLICANT_COMMUNE] = "applicant_commune",
  [F_COUNTERS_OPEN] = "counters_open",
  [F_WAITING] = "waiting",
  [F_ONLINE] = "online",
  [F_QUEUE_LENGTH] = "queue_length",
  [F_PAPER_LOW] = "paper_low",
  [F_OPEN] = "open",
  [F_OPEN_OVERDUE] = "open_overdue",
  [F_SYNC_LAG_S] = "sync_lag_s",
  [F_CAMERAS] = "cameras",
  [F_RECORDING] = "recording",
  [F_FPS] = "fps",
  [F_BITRATE_KBPS] = "bitrate_kbps",
  [F_CONFIG_VERSION] = "config_version",
};
G_STATIC_ASSERT (F_COUNT <= 64);

/* Key lookup: candidates bucketed by key length, built once. */
#define MAX_KEY_LEN 17
/* Known keys by a hash of length, first and last byte (open addressing,
 * 0 = empty, else id + 1): one probe for almost every key on the hot path. */
#define KEY_SLOTS 256
static guint8 key_slots[KEY_SLOTS];
static guint8 key_lens[F_COUNT];
static inline guint
key_slot_hash (const guint8 *p, gsize len)
{
  return ((guint) len * 37u + (guint) p[0] * 7u + (guint) p[len - 1]) & (KEY_SLOTS - 1);
}

struct _IocDecoder
{
  /* Scan state of the current message. */
  const guint8 *p;
  const guint8 *end;
  IocReject reason;
  JVal top[F_COUNT];
  guint64 seen;
  guint prev_n_cameras;

  IocRecord rec;
  gsize arena_used;
  gchar arena[ARENA_SIZE];
  gchar scratch[IOC_MAX_PAYLOAD + 1]; /* NUL-terminated copies of numbers */
  gchar detail[200];
};

/* The scalar part of a record with every field "absent" (record.h). */
static IocRecord absent_record;

static gpointer
init_tables_cb (gpointer data)
{
  for (guint i = 0; i < F_COUNT; i++)
    {
      gsize len = strlen (field_names[i]);
      g_assert (len >= 1 && len <= MAX_KEY_LEN);
      key_lens[i] = (guint8) len;
      guint h = key_slot_hash ((const guint8 *) field_names[i], len);
      while (key_slots[h] != 0)
        h = (h + 1) & (KEY_SLOTS - 1);
      key_slots[h] = (guint8) (i + 1);
    }
  absent_record.wait_s = -1;
  absent_record.service_s = -1;
  absent_record.supplements = -1;
  absent_record.fee = IOC_TRI_UNSET;
  absent_record.paid_online = IOC_TRI_UNSET;
  absent_record.digitized = IOC_TRI_UNSET;
  absent_record.e_result = IOC_TRI_UNSET;
  absent_record.counters_open = -1;
  absent_record.waiting = -1;
  absent_record.online = IOC_TRI_UNSET;
  absent_record.queue_length = -1;
  absent_record.paper_low = IOC_TRI_UNSET;
  absent_record.open = -1;
  absent_record.open_overdue = -1;
  absent_record.sync_lag_s = -1;
  return NULL;
}

IocDecoder *
ioc_decoder_new (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, init_tables_cb, NULL);
  return g_new0 (IocDecoder, 1);
}

void
ioc_decoder_free (IocDecoder *self)
{
  g_free (self);
}

static IocReject
reject (IocDecoder *self, IocReject reason, const gchar *fmt, ...) G_GNUC_PRINTF (3, 4);

static IocReject
reject (IocDecoder *self, IocReject reason, const gchar *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (self->detail, sizeof self->detail, fmt, ap);
  va_end (ap);
  self->reason = reason;
  return reason;
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, ≤ U+10FFFF.
 * Returns the offset of the first bad byte, or len. */
static gsize
utf8_check (const guint8 *s, gsize len)
{
  gsize i = 0;
  while (i < len)
    {
      /* ASCII runs, 8 bytes at a time. */
      while (i + 8 <= len)
        {
          guint64 w;
          memcpy (&w, s + i, 8);
          if (w & G_GUINT64_CONSTANT (0x8080808080808080))
            break;
          i += 8;
        }
      if (i >= len)
        break;
      guint8 c = s[i];
      if (c < 0x80)
        {
          i++;
          continue;
        }
      gsize n;
      guint8 lo = 0x80, hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF)
        n = 1;
      else if (c >= 0xE0 && c <= 0xEF)
        {
          n = 2;
          if (c == 0xE0)
            lo = 0xA0;
          else if (c == 0xED)
            hi = 0x9F; /* surrogates */
        }
      else if (c >= 0xF0 && c <= 0xF4)
        {
          n = 3;
          if (c == 0xF0)
            lo = 0x90;
          else if (c == 0xF4)
            hi = 0x8F;
        }
      else
        return i;
      if (i + n >= len)
        return i;
      if (s[i + 1] < lo || s[i + 1] > hi)
        return i;
      for (gsize k = 2; k <= n; k++)
        if ((s[i + k] & 0xC0) != 0x80)
          return i;
      i += n + 1;
    }
  return len;
}

/* ---- pass 1: grammar -------------------------------------------------- */

/* The bytes of a string that need no attention: anything but '"', '\\' and
 * control characters.  Strings are most of an envelope's bytes, so they are
 * skipped 8 at a time: a word is plain when none of its bytes equals '"' or
 * '\\' and none is below 0x20 (the classic has-zero-byte / has-less-than
 * tests; neither reports a byte that is not there, and bytes ≥ 0x80 never
 * count as below 0x20).  The first word that is not plain is finished byte
 * by byte. */
#define SWAR_ONES G_GUINT64_CONSTANT (0x0101010101010101)
#define SWAR_HIGH G_GUINT64_CONSTANT (0x8080808080808080)
static inline const guint8 *
skip_plain_string_bytes (const guint8 *p, const guint8 *end)
{
  while (end - p >= 8)
    {
      guint64 w, q, b;
      memcpy (&w, p, 8);
      q = w ^ (SWAR_ONES * '"');
      b = w ^ (SWAR_ONES * '\\');
      guint64 special = (((q - SWAR_ONES) & ~q) | ((b - SWAR_ONES) & ~b) | ((w - SWAR_ONES * 0x20) & ~w)) & SWAR_HIGH;
      if (special)
        {
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
          /* The lowest flagged byte is always a real one (a borrow only
           * flags bytes above a real match), so it is the first to stop at. */
          return p + (__builtin_ctzll (special) >> 3);
#else
          break;
#endif
        }
      p += 8;
    }
  while (p < end && *p != '"' && *p != '\\' && *p >= 0x20)
    p++;
  return p;
}

static inline void
skip_ws (IocDecoder *self)
{
  const guint8 *p = self->p;
  /* Connectors mostly send compact JSON: no whitespace at all. */
  if (G_LIKELY (p < self->end && *p > ' '))
    return;
  while (p < self->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  self->p = p;
}

static inline gint
hex_value (guint8 c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
hex4 (const guint8 *p, const guint8 *end, guint *out)
{
  guint v = 0;
  if (end - p < 4)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    {
      gint h = hex_value (p[i]);
      if (h < 0)
        return FALSE;
      v = (v << 4) | (guint) h;
    }
  *out = v;
  return TRUE;
}

static const gchar *
offset_text (IocDecoder *self, const guint8 *start, gchar buf[32])
{
  snprintf (buf, 32, "byte %" G_GSIZE_FORMAT, (gsize) (self->p - start));
  return buf;
}

/* self->p is at the opening quote; leaves it after the closing one. */
/* Strings with escapes, and every malformed string. */
static G_NO_INLINE gboolean
scan_string_slow (IocDecoder *self, JVal *v)
{
  const guint8 *p = self->p + 1;
  const guint8 *end = self->end;
  gboolean has_escape = FALSE;

  v->p = p;
  for (;;)
    {
      p = skip_plain_string_bytes (p, end);
      if (p >= end)
        {
          self->p = p;
          reject (self, IOC_REJECT_BAD_JSON, "unterminated string");
          return FALSE;
        }
      if (*p == '"')
        break;
      if (*p < 0x20)
        {
          self->p = p;
          reject (self, IOC_REJECT_BAD_JSON, "control character 0x%02x in a string", *p);
          return FALSE;
        }
      /* backslash */
      has_escape = TRUE;
      if (p + 1 >= end)
        {
          self->p = p;
          reject (self, IOC_REJECT_BAD_JSON, "unterminated string");
          return FALSE;
        }
      switch (p[1])
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          p += 2;
          break;
        case 'u':
          {
            guint cp, lo;
            if (!hex4 (p + 2, end, &cp))
              {
                self->p = p;
                reject (self, IOC_REJECT_BAD_JSON, "bad \\u escape");
                return FALSE;
              }
            p += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
              {
                reject (self, IOC_REJECT_BAD_UTF8, "lone low surrogate \\u%04X in a string", cp);
                return FALSE;
              }
            if (cp >= 0xD800 && cp <= 0xDBFF)
              {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4 (p + 2, end, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                  {
                    reject (self, IOC_REJECT_BAD_UTF8, "lone high surrogate \\u%04X in a string", cp);
                    return FALSE;
                  }
                p += 6;
              }
            break;
          }
        default:
          self->p = p;
          reject (self, IOC_REJECT_BAD_JSON, "bad escape in a string");
          return FALSE;
        }
    }
  v->end = p;
  v->type = J_STRING;
  v->has_escape = has_escape;
  self->p = p + 1;
  return TRUE;
}

/* The usual string: plain bytes up to its closing quote. */
static inline gboolean
scan_string (IocDecoder *self, JVal *v)
{
  const guint8 *start = self->p + 1;
  const guint8 *p = skip_plain_string_bytes (start, self->end);
  if (G_LIKELY (p < self->end && *p == '"'))
    {
      v->p = start;
      v->end = p;
      v->type = J_STRING;
      v->has_escape = FALSE;
      self->p = p + 1;
      return TRUE;
    }
  return scan_string_slow (self, v);
}

/* JSON number grammar exactly: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean
scan_number (IocDecoder *self, JVal *v)
{
  const guint8 *p = self->p;
  const guint8 *end = self->end;
  gboolean is_int = TRUE;

  v->p = p;
  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0')
    p++;
  else if (p < end && *p >= '1' && *p <= '9')
    while (p < end && g_ascii_isdigit (*p))
      p++;
  else
    goto bad;
  if (p < end && *p == '.')
    {
      is_int = FALSE;
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        goto bad;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      is_int = FALSE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        goto bad;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  v->end = p;
  v->type = J_NUMBER;
  v->is_int = is_int;
  self->p = p;
  return TRUE;

bad:
  self->p = p;
  reject (self, IOC_REJECT_BAD_JSON, "bad number");
  return FALSE;
}

static gboolean
scan_literal (IocDecoder *self, const gchar *word, gsize n, JType type, JVal *v)
{
  if ((gsize) (self->end - self->p) < n || memcmp (self->p, word, n) != 0)
    {
      reject (self, IOC_REJECT_BAD_JSON, "unexpected character '%c'", *self->p);
      return FALSE;
    }
  v->p = self->p;
  self->p += n;
  v->end = self->p;
  v->type = type;
  return TRUE;
}

static gboolean scan_value (IocDecoder *self, guint depth, JVal *v);

/* self->p is at '{' or '['. */
static gboolean
scan_container (IocDecoder *self, guint depth, gboolean is_object, JVal *v)
{
  guint8 close = is_object ? '}' : ']';

  if (depth > MAX_DEPTH)
    {
      reject (self, IOC_REJECT_BAD_JSON, "nesting deeper than %d", MAX_DEPTH);
      return FALSE;
    }
  v->p = self->p;
  v->type = is_object ? J_OBJECT : J_ARRAY;
  self->p++;
  skip_ws (self);
  if (self->p < self->end && *self->p == close)
    {
      self->p++;
      v->end = self->p;
      return TRUE;
    }
  for (;;)
    {
      JVal item;
      if (is_object)
        {
          if (self->p >= self->end || *self->p != '"')
            {
              reject (self, IOC_REJECT_BAD_JSON, "expected a key");
              return FALSE;
            }
          if (!scan_string (self, &item))
            return FALSE;
          skip_ws (self);
          if (self->p >= self->end || *self->p != ':')
            {
              reject (self, IOC_REJECT_BAD_JSON, "expected ':'");
              return FALSE;
            }
          self->p++;
          skip_ws (self);
        }
      if (!scan_value (self, depth + 1, &item))
        return FALSE;
      skip_ws (self);
      if (self->p < self->end && *self->p == ',')
        {
          self->p++;
          skip_ws (self);
          continue;
        }
      if (self->p < self->end && *self->p == close)
        {
          self->p++;
          v->end = self->p;
          return TRUE;
        }
      reject (self, IOC_REJECT_BAD_JSON, "expected ',' or '%c'", close);
      return FALSE;
    }
}

/* self->p is at the first byte of a value (whitespace skipped). */
static gboolean
scan_value (IocDecoder *self, guint depth, JVal *v)
{
  if (self->p >= self->end)
    {
      reject (self, IOC_REJECT_BAD_JSON, "unexpected end");
      return FALSE;
    }
  switch (*self->p)
    {
    case '"': return scan_string (self, v);
    case '{': return scan_container (self, depth, TRUE, v);
    case '[': return scan_container (self, depth, FALSE, v);
    case 't': return scan_literal (self, "true", 4, J_TRUE, v);
    case 'f': return scan_literal (self, "false", 5, J_FALSE, v);
    case 'n': return scan_literal (self, "null", 4, J_NULL, v);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return scan_number (self, v);
    default:
      if (*self->p >= 0x20 && *self->p < 0x7F)
        reject (self, IOC_REJECT_BAD_JSON, "unexpected character '%c'", *self->p);
      else
        reject (self, IOC_REJECT_BAD_JSON, "unexpected byte 0x%02x", *self->p);
      return FALSE;
    }
}

/* Unescapes a scanned string (grammar already checked) to dst, which has
 * room for end - p bytes.  Returns the length; *has_nul tells "\u0000". */
static gsize
unescape (const guint8 *p, const guint8 *end, gchar *dst, gboolean *has_nul)
{
  gchar *d = dst;
  while (p < end)
    {
      const guint8 *bs = memchr (p, '\\', (gsize) (end - p));
      if (bs == NULL)
        bs = end;
      memcpy (d, p, (gsize) (bs - p));
      d += bs - p;
      p = bs;
      if (p >= end)
        break;
      switch (p[1])
        {
        case 'b': *d++ = '\b'; p += 2; break;
        case 'f': *d++ = '\f'; p += 2; break;
        case 'n': *d++ = '\n'; p += 2; break;
        case 'r': *d++ = '\r'; p += 2; break;
        case 't': *d++ = '\t'; p += 2; break;
        case 'u':
          {
            guint cp = 0, lo = 0;
            hex4 (p + 2, end, &cp);
            p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF)
              {
                hex4 (p + 2, end, &lo);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              }
            if (cp == 0)
              *has_nul = TRUE;
            d += g_unichar_to_utf8 (cp, d);
            break;
          }
        default: /* " \ / */
          *d++ = (gchar) p[1];
          p += 2;
          break;
        }
    }
  return (gsize) (d - dst);
}

static FieldId
lookup_key (const guint8 *p, gsize len)
{
  if (len == 0 || len > MAX_KEY_LEN)
    return F_UNKNOWN;
  for (guint h = key_slot_hash (p, len);; h = (h + 1) & (KEY_SLOTS - 1))
    {
      guint slot = key_slots[h];
      if (slot == 0)
        return F_UNKNOWN;
      if (key_lens[slot - 1] != len)
        continue;
      const gchar *name = field_names[slot - 1];
      gsize i = 0;
      while (i < len && name[i] == (gchar) p[i])
        i++;
      if (i == len)
        return (FieldId) (slot - 1);
    }
}

static FieldId
lookup_key_val (const JVal *key)
{
  gsize len = (gsize) (key->end - key->p);
  if (key->has_escape)
    {
      /* A key spelled with escapes ("\u0073eq") is still that key. */
      gchar buf[MAX_KEY_LEN * 6 + 1];
      gboolean has_nul = FALSE;
      if (len > sizeof buf - 1)
        return F_UNKNOWN;
      len = unescape (key->p, key->end, buf, &has_nul);
      return has_nul ? F_UNKNOWN : lookup_key ((const guint8 *) buf, len);
    }
  return lookup_key (key->p, len);
}

/* Scans an object at self->p at the given depth, filling slots[] for the
 * known keys allowed by mask; other keys are skipped.  Duplicates of known
 * keys are BAD_JSON: which of the two would win is not defined by JSON. */
static gboolean
scan_object_fields (IocDecoder *self, guint depth, guint64 mask, JVal *slots, guint64 *seen)
{
  *seen = 0;
  if (depth > MAX_DEPTH)
    return reject (self, IOC_REJECT_BAD_JSON, "nesting deeper than %d", MAX_DEPTH), FALSE;
  self->p++;
  skip_ws (self);
  if (self->p < self->end && *self->p == '}')
    {
      self->p++;
      return TRUE;
    }
  for (;;)
    {
      JVal key, val;
      FieldId id;

      if (self->p >= self->end || *self->p != '"')
        return reject (self, IOC_REJECT_BAD_JSON, "expected a key"), FALSE;
      if (!scan_string (self, &key))
        return FALSE;
      skip_ws (self);
      if (self->p >= self->end || *self->p != ':')
        return reject (self, IOC_REJECT_BAD_JSON, "expected ':'"), FALSE;
      self->p++;
      skip_ws (self);
      if (!scan_value (self, depth + 1, &val))
        return FALSE;
      id = lookup_key_val (&key);
      if (id != F_UNKNOWN && (mask & (G_GUINT64_CONSTANT (1) << id)))
        {
          if (*seen & (G_GUINT64_CONSTANT (1) << id))
            return reject (self, IOC_REJECT_BAD_JSON, "duplicate key: %s", field_names[id]), FALSE;
          *seen |= G_GUINT64_CONSTANT (1) << id;
          slots[id] = val;
        }
      skip_ws (self);
      if (self->p < self->end && *self->p == ',')
        {
          self->p++;
          skip_ws (self);
          continue;
        }
      if (self->p < self->end && *self->p == '}')
        {
          self->p++;
          return TRUE;
        }
      return reject (self, IOC_REJECT_BAD_JSON, "expected ',' or '}'"), FALSE;
    }
}

/* ---- pass 2: fields --------------------------------------------------- */

static inline gboolean
has (const IocDecoder *self, const JVal *slots, guint64 seen, FieldId id)
{
  return (seen & (G_GUINT64_CONSTANT (1) << id)) != 0 && slots[id].type != J_NULL;
}

static gchar *
arena_string (IocDecoder *self, const JVal *v, gboolean *has_nul)
{
  gsize raw = (gsize) (v->end - v->p);
  gchar *dst;
  gsize n;

  g_assert (self->arena_used + raw + 1 <= ARENA_SIZE);
  dst = self->arena + self->arena_used;
  *has_nul = FALSE;
  if (!v->has_escape)
    {
      memcpy (dst, v->p, raw);
      n = raw;
    }
  else
    n = unescape (v->p, v->end, dst, has_nul);
  dst[n] = '\0';
  self->arena_used += n + 1;
  return dst;
}

static gchar *
arena_copy (IocDecoder *self, const gchar *s, gsize len)
{
  gchar *dst;
  g_assert (self->arena_used + len + 1 <= ARENA_SIZE);
  dst = self->arena + self->arena_used;
  memcpy (dst, s, len);
  dst[len] = '\0';
  self->arena_used += len + 1;
  return dst;
}

/* A string field.  null counts as absent for optional fields; a required
 * identifier may not be empty. */
static IocReject
get_string (IocDecoder *self, const JVal *slots, guint64 seen, FieldId id, gboolean required,
            const gchar **out)
{
  const JVal *v = &slots[id];
  gboolean has_nul;
  const gchar *s;

  *out = NULL;
  if (!(seen & (G_GUINT64_CONSTANT (1) << id)) || (v->type == J_NULL && !required))
    {
      if (required)
        return reject (self, IOC_REJECT_MISSING_FIELD, "missing field: %s", field_names[id]);
      return IOC_REJECT_NONE;
    }
  if (v->type != J_STRING)
    return reject (self, IOC_REJECT_WRONG_TYPE, "%s: expected a string, got %s", field_names[id],
                   jtype_names[v->type]);
  s = arena_string (self, v, &has_nul);
  if (has_nul)
    return reject (self, IOC_REJECT_OUT_OF_RANGE, "%s: contains U+0000", field_names[id]);
  if (required && *s == '\0')
    return reject (self, IOC_REJECT_OUT_OF_RANGE, "%s: is empty", field_names[id]);
  *out = s;
  return IOC_REJECT_NONE;
}

/* A number's value; NUL-terminated copy for strtod (payloads are not). */
static gdouble
number_value (IocDecoder *self, const JVal *v)
{
  gsize n = (gsize) (v->end - v->p);
  /* Short integers, the common case, exactly and without strtod. */
  if (v->is_int && n <= 15)
    {
      const guint8 *p = v->p;
      gboolean neg = *p == '-';
      gint64 x = 0;
      for (p += neg; p < v->end; p++)
        x = x * 10 + (*p - '0');
      return neg ? (gdouble) -x : (gdouble) x;
    }
  /* Short decimals ("12.5", wait and service times) exactly too: digits
   * d < 2^53 and 10^k ≤ 10^22 are both exact doubles, so d / 10^k is one
   * correctly rounded division, the same double strtod returns. */
  if (n <= 17)
    {
      static const gdouble pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16 };
      const guint8 *p = v->p;
      gboolean neg = *p == '-';
      gint64 x = 0;
      gint frac = -1; /* digits after the point; -1 before it */
      guint digits = 0;
      for (p += neg; p < v->end; p++)
        {
          if (*p == '.')
            frac = 0;
          else if (*p >= '0' && *p <= '9')
            {
              x = x * 10 + (*p - '0');
              digits++;
              if (frac >= 0)
                frac++;
            }
          else
            break; /* an exponent: strtod */
        }
      if (p == v->end && digits <= 15 && frac >= 0)
        {
          gdouble d = (gdouble) x / pow10[frac];
          return neg ? -d : d;
        }
    }
  memcpy (self->scratch, v->p, n);
  self->scratch[n] = '\0';
  return g_ascii_strtod (self->scratch, NULL);
}

/* Integer value of a number token, exact up to ±(2^63 - 1).  Numbers
 * written with a fraction or exponent count when their value is integral
 * ("3.0", "1e2"); anything else is WRONG_TYPE. */
static IocReject
number_int (IocDecoder *self, const JVal *v, FieldId id, gint64 *out)
{
  if (v->is_int)
    {
      const guint8 *p = v->p;
      gboolean neg = *p == '-';
      guint64 x = 0;
      for (p += neg; p < v->end; p++)
        {
          guint d = *p - '0';
          if (x > (G_MAXUINT64 - d) / 10)
            return reject (self, IOC_REJECT_OUT_OF_RANGE, "%s: integer too large", field_names[id]);
          x = x * 10 + d;
        }
      if (x > (guint64) G_MAXINT64)
        return reject (self, IOC_REJECT_OUT_OF_RANGE, "%s: integer too large", field_names[id]);
      *out = neg ? -(gint64) x : (gint64) x;
      return IOC_REJECT_NONE;
    }
  else
    {
      gdouble d = number_value (self, v);
      if (!isfinite (d) || d != floor (d))
        return reject (self, IOC_REJECT_WRONG_TYPE, "%s: expected an integer, got %.*s",
                       field_names[id], (gint) MIN (v->end - v->p, 40), (const gchar *) v->p);
      if (fabs (d) > MAX_EXACT_DOUBLE)
        return reject (self, IOC_REJECT_OUT_OF_RANGE, "%s: integer too large", field_names[id]);
      *out = (gint64) d;
      return IOC_REJECT_NONE;
    }
}

/* An integer field in [min, max]; *out keeps its value when absent. */
static IocReject
get_int (IocDecoder *self, const JVal *slots, guint64 seen, FieldId id, gboolean required,
         gint64 min, gint64 max, gint64 *out)
{
  const JVal *v = &slots[id];
  gint64 x;
  IocReject r;

  if (!(seen & (G_GUINT64_CONSTANT (1) << id)) || (v->type == J_NULL && !required))
    {
      if (required)
        return reject (self, IOC_REJECT_MISSING_FIELD, "missing field: %s", field_names[id]);
      return IOC_REJECT_NONE;
    }
  if (v->type != J_NUMBER)
    return reject (self, IOC_REJECT_WRONG_TYPE, "%s: expected an integer, got %s", field_names[id],
                   jtype_names[v->type]);
  r = number_int (self, v, id, &x);
  if (r != IOC_REJECT_NONE)
    return r;
  if (x < min || x > max)
    {
      if (max == G_MAXINT64)
        return reject (self, IOC_REJECT_OUT_OF_RANGE,
                       "%s: %" G_GINT64_FORMAT " is below %" G_GINT64_FORMAT, field_names[id], x, min);
      return reject (self, IOC_REJECT_OUT_OF_RANGE,
                     "%s: %" G_GINT64_FORMAT " is outside %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT,
                     field_names[id], x, min, max);
    }
  *out = x;
  return IOC_REJECT_NONE;
}

/* A non-negative, finite number (durations, rates). */
static IocReject
get_number (IocDecoder *self, const JVal *slots, guint64 seen, FieldId id, gboolean required,
            gdouble *out)
{
  const JVal *v = &slots[id];
  gdouble d;

  if (!(seen & (G_GUINT64_CONSTANT (1) << id)) || (v->type == J_NULL && !required))
    {
      if (required)
        return reject (self, IOC_REJECT_MISSING_FIELD, "missing field: %s", field_names[id]);
      return IOC_REJECT_NONE;
    }
  if (v->type != J_NUMBER)
    return reject (self, IOC_REJECT_WRONG_TYPE, "%s: expected a number, got %s", field_names[id],
                   jtype_names[v->type]);
  d = number_value (self, v);
  if (!isfinite (d))
    return reject (self, IOC_REJECT_OUT_OF_RANGE, "%s: number too large", field_names[id]);
  if (d < 0)
    return reject (self, IOC_REJECT_OUT_OF_RANGE, "%s: %g is negative", field_names[id], d);
  *out = d;
  return IOC_REJECT_NONE;
}

static IocReject
get_bool (IocDecoder *self, const JVal *slots, guint64 seen, FieldId id, IocTri *out)
{
  const JVal *v = &slots[id];
  if (!(seen & (G_GUINT64_CONSTANT (1) << id)) || v->type == J_NULL)
    return IOC_REJECT_NONE;
  if (v->type != J_TRUE && v->type != J_FALSE)
    return reject (self, IOC_REJECT_WRONG_TYPE, "%s: expected true or false, got %s",
                   field_names[id], jtype_names[v->type]);
  *out = v->type == J_TRUE ? IOC_TRI_TRUE : IOC_TRI_FALSE;
  return IOC_REJECT_NONE;
}

/* SPEC §4: every time field is RFC 3339 with an offset or integer epoch ms.
 * Other JSON types are WRONG_TYPE; a string or number that is not such a
 * time is BAD_TIME. */
static IocReject
get_time (IocDecoder *self, FieldId id, gboolean required, gint64 *out)
{
  const JVal *v = &self->top[id];

  if (!has (self, self->top, self->seen, id))
    {
      if (required && !(self->seen & (G_GUINT64_CONSTANT (1) << id)))
        return reject (self, IOC_REJECT_MISSING_FIELD, "missing field: %s", field_names[id]);
      if (required)
        return reject (self, IOC_REJECT_WRONG_TYPE, "%s: expected a time, got null", field_names[id]);
      return IOC_REJECT_NONE;
    }
  if (v->type == J_STRING)
    {
      /* Times never need escapes; one that has them is not RFC 3339. */
      if (v->has_escape ||
          !ioc_time_parse ((const gchar *) v->p, (gsize) (v->end - v->p), out))
        return reject (self, IOC_REJECT_BAD_TIME, "%s: expected RFC 3339 with offset, got \"%.*s\"",
                       field_names[id], (gint) MIN (v->end - v->p, 40), (const gchar *) v->p);
      return IOC_REJECT_NONE;
    }
  if (v->type == J_NUMBER)
    {
      gint64 ms;
      if (!v->is_int || number_int (self, v, id, &ms) != IOC_REJECT_NONE || ms < MIN_EPOCH_MS ||
          ms > MAX_EPOCH_MS)
        return reject (self, IOC_REJECT_BAD_TIME, "%s: expected integer epoch ms, got %.*s",
                       field_names[id], (gint) MIN (v->end - v->p, 40), (const gchar *) v->p);
      *out = ms * 1000;
      return IOC_REJECT_NONE;
    }
  return reject (self, IOC_REJECT_WRONG_TYPE, "%s: expected a time, got %s", field_names[id],
                 jtype_names[v->type]);
}

#define TRY(expr)                                                                                  \
  G_STMT_START                                                                                     \
  {                                                                                                \
    IocReject _r = (expr);                                                                         \
    if (_r != IOC_REJECT_NONE)                                                                     \
      return _r;                                                                                   \
  }                                                                                                \
  G_STMT_END

#define STR(id, req, out) get_string (self, self->top, self->seen, id, req, out)
#define INT(id, req, min, max, out) get_int (self, self->top, self->seen, id, req, min, max, out)
#define NUM(id, req, out) get_number (self, self->top, self->seen, id, req, out)
#define BOOL(id, out) get_bool (self, self->top, self->seen, id, out)

static IocReject
decode_event (IocDecoder *self)
{
  IocRecord *rec = &self->rec;
  const gchar *type;
  IocEventType ev;
  gint64 x;

  TRY (STR (F_TYPE, TRUE, &type));
  if (!ioc_event_type_from_string (type, strlen (type), &ev) || ioc_event_type_kind (ev) != rec->kind)
    return reject (self, IOC_REJECT_UNKNOWN_TYPE, "type: \"%.40s\" is not a %s event", type,
                   ioc_kind_name (rec->kind));
  rec->type = ev;

  switch (ev)
    {
    case IOC_EV_COUNTER_OPEN:
    case IOC_EV_COUNTER_CLOSE:
      TRY (STR (F_COUNTER, TRUE, &rec->counter));
      TRY (STR (F_OFFICER, FALSE, &rec->officer));
      break;
    case IOC_EV_TICKET_CALLED:
      TRY (STR (F_TICKET, TRUE, &rec->ticket));
      TRY (STR (F_COUNTER, TRUE, &rec->counter));
      TRY (NUM (F_WAIT_S, TRUE, &rec->wait_s));
      break;
    case IOC_EV_SERVICE_DONE:
      TRY (STR (F_TICKET, TRUE, &rec->ticket));
      TRY (STR (F_COUNTER, TRUE, &rec->counter));
      TRY (NUM (F_SERVICE_S, TRUE, &rec->service_s));
      TRY (STR (F_OFFICER, FALSE, &rec->officer));
      TRY (STR (F_DOSSIER, FALSE, &rec->dossier));
      break;
    case IOC_EV_TICKET_ISSUED:
      TRY (STR (F_TICKET, TRUE, &rec->ticket));
      TRY (STR (F_SERVICE, FALSE, &rec->service));
      TRY (STR (F_PRIORITY, FALSE, &rec->priority));
      break;
    case IOC_EV_TICKET_NO_SHOW:
      TRY (STR (F_TICKET, TRUE, &rec->ticket));
      break;
    case IOC_EV_RATING:
      {
        static const gchar *const channels[] = { "device", "qr", "web" };
        const gchar *channel;
        gint64 scale = 0, level = 0;

        TRY (INT (F_SCALE, TRUE, G_MININT64, G_MAXINT64, &scale));
        if (scale != 3 && scale != 5)
          return reject (self, IOC_REJECT_OUT_OF_RANGE, "scale: %" G_GINT64_FORMAT " is not 3 or 5",
                         scale);
        TRY (INT (F_LEVEL, TRUE, G_MININT64, G_MAXINT64, &level));
        if (level < 1)
          return reject (self, IOC_REJECT_OUT_OF_RANGE, "level: %" G_GINT64_FORMAT " is below 1", level);
        if (level > scale)
          return reject (self, IOC_REJECT_OUT_OF_RANGE,
                         "level: %" G_GINT64_FORMAT " is above scale %" G_GINT64_FORMAT, level, scale);
        rec->scale = (gint) scale;
        rec->level = (gint) level;
        TRY (STR (F_CHANNEL, TRUE, &channel));
        for (guint i = 0; i < G_N_ELEMENTS (channels); i++)
          if (strcmp (channel, channels[i]) == 0)
            rec->rating_channel = channels[i];
        if (rec->rating_channel == NULL)
          return reject (self, IOC_REJECT_OUT_OF_RANGE,
                         "channel: \"%.40s\" is not device, qr or web", channel);
        TRY (STR (F_COUNTER, FALSE, &rec->counter));
        TRY (STR (F_OFFICER, FALSE, &rec->officer));
        TRY (STR (F_DOSSIER, FALSE, &rec->dossier));
        break;
      }
    case IOC_EV_CAMERA_OFFLINE:
    case IOC_EV_CAMERA_ONLINE:
    case IOC_EV_VIDEO_LOSS:
    case IOC_EV_TAMPER:
    case IOC_EV_RECORDING_STOPPED:
    case IOC_EV_RECORDING_STARTED:
      TRY (STR (F_CAMERA, TRUE, &rec->camera));
      TRY (STR (F_COUNTER, FALSE, &rec->counter));
      break;
    case IOC_EV_DOSSIER:
      TRY (STR (F_DOSSIER, TRUE, &rec->dossier));
      TRY (STR (F_PROCEDURE, TRUE, &rec->procedure));
      x = 0;
      TRY (INT (F_STATE, TRUE, 1, 10, &x));
      rec->state = (gint) x;
      TRY (INT (F_CHANNEL, TRUE, 1, 3, &x));
      rec->channel = (gint) x;
      TRY (get_time (self, F_RECEIVED_AT, TRUE, &rec->received_at_us));
      TRY (get_time (self, F_DUE_AT, FALSE, &rec->due_at_us));
      x = -1;
      TRY (INT (F_SUPPLEMENTS, FALSE, 0, G_MAXINT, &x));
      rec->supplements = (gint) x;
      TRY (BOOL (F_FEE, &rec->fee));
      TRY (BOOL (F_PAID_ONLINE, &rec->paid_online));
      TRY (BOOL (F_DIGITIZED, &rec->digitized));
      TRY (BOOL (F_E_RESULT, &rec->e_result));
      TRY (STR (F_APPLICANT_COMMUNE, FALSE, &rec->applicant_commune));
      break;
    default:
      g_assert_not_reached ();
    }
  return IOC_REJECT_NONE;
}

#define CAMERA_MASK                                                                                \
  ((G_GUINT64_CONSTANT (1) << F_CAMERA) | (G_GUINT64_CONSTANT (1) << F_ONLINE) |                   \
   (G_GUINT64_CONSTANT (1) << F_RECORDING) | (G_GUINT64_CONSTANT (1) << F_FPS) |                   \
   (G_GUINT64_CONSTANT (1) << F_BITRATE_KBPS))

/* One camera's fields, from the top level or from an element of cameras[]. */
static IocReject
camera_fields (IocDecoder *self, const JVal *slots, guint64 seen, IocCameraStatus *cam,
               guint index)
{
  IocTri online = IOC_TRI_UNSET, recording = IOC_TRI_UNSET;
  IocReject r;

  r = get_string (self, slots, seen, F_CAMERA, TRUE, &cam->camera);
  if (r == IOC_REJECT_NONE)
    r = get_bool (self, slots, seen, F_ONLINE, &online);
  if (r == IOC_REJECT_NONE)
    r = get_bool (self, slots, seen, F_RECORDING, &recording);
  cam->fps = -1;
  cam->bitrate_kbps = -1;
  if (r == IOC_REJECT_NONE)
    r = get_number (self, slots, seen, F_FPS, FALSE, &cam->fps);
  if (r == IOC_REJECT_NONE)
    r = get_number (self, slots, seen, F_BITRATE_KBPS, FALSE, &cam->bitrate_kbps);
  if (r != IOC_REJECT_NONE)
    {
      if (index != G_MAXUINT)
        {
          gchar tmp[160];
          g_strlcpy (tmp, self->detail, sizeof tmp);
          snprintf (self->detail, sizeof self->detail, "cameras[%u]: %s", index, tmp);
        }
      return r;
    }
  /* A camera that does not say it is online is not counted online. */
  cam->online = online == IOC_TRI_TRUE;
  cam->recording = recording == IOC_TRI_TRUE;
  cam->has_recording = recording != IOC_TRI_UNSET;
  return IOC_REJECT_NONE;
}

static IocReject
decode_camera_status (IocDecoder *self)
{
  IocRecord *rec = &self->rec;
  const JVal *arr = &self->top[F_CAMERAS];

  if (has (self, self->top, self->seen, F_CAMERAS))
    {
      if (arr->type != J_ARRAY)
        return reject (self, IOC_REJECT_WRONG_TYPE, "cameras: expected an array, got %s",
                       jtype_names[arr->type]);
      /* Pass 1 checked the grammar: walk the elements again. */
      self->p = arr->p + 1;
      skip_ws (self);
      while (*self->p != ']')
        {
          JVal slots[F_COUNT];
          guint64 seen;

          if (*self->p != '{')
            {
              const gchar *what = *self->p == '"' ? "a string" : *self->p == '[' ? "an array" : "a scalar";
              return reject (self, IOC_REJECT_WRONG_TYPE, "cameras[%u]: expected an object, got %s",
                             rec->n_cameras, what);
            }
          if (rec->n_cameras >= IOC_MAX_CAMERAS)
            return reject (self, IOC_REJECT_OUT_OF_RANGE, "cameras: more than %d", IOC_MAX_CAMERAS);
          if (!scan_object_fields (self, 3, CAMERA_MASK, slots, &seen))
            {
              gchar tmp[160];
              g_strlcpy (tmp, self->detail, sizeof tmp);
              return reject (self, self->reason, "cameras[%u]: %s", rec->n_cameras, tmp);
            }
          TRY (camera_fields (self, slots, seen, &rec->cameras[rec->n_cameras], rec->n_cameras));
          rec->n_cameras++;
          self->prev_n_cameras = rec->n_cameras;
          skip_ws (self);
          if (*self->p == ',')
            {
              self->p++;
              skip_ws (self);
            }
        }
      return IOC_REJECT_NONE;
    }
  if (self->seen & CAMERA_MASK)
    {
      /* SPEC §4: "or one camera's fields" at the top level. */
      TRY (camera_fields (self, self->top, self->seen, &rec->cameras[0], G_MAXUINT));
      rec->n_cameras = 1;
      self->prev_n_cameras = 1;
    }
  return IOC_REJECT_NONE;
}

static IocReject
decode_status (IocDecoder *self)
{
  IocRecord *rec = &self->rec;

  switch (rec->kind)
    {
    case IOC_KIND_DESK:
      TRY (INT (F_COUNTERS_OPEN, FALSE, 0, G_MAXINT64, &rec->counters_open));
      TRY (INT (F_WAITING, FALSE, 0, G_MAXINT64, &rec->waiting));
      break;
    case IOC_KIND_KIOSK:
      TRY (BOOL (F_ONLINE, &rec->online));
      TRY (INT (F_QUEUE_LENGTH, FALSE, 0, G_MAXINT64, &rec->queue_length));
      TRY (BOOL (F_PAPER_LOW, &rec->paper_low));
      break;
    case IOC_KIND_CAMERA:
      TRY (decode_camera_status (self));
      break;
    case IOC_KIND_PORTAL:
      TRY (INT (F_OPEN, FALSE, 0, G_MAXINT64, &rec->open));
      TRY (INT (F_OPEN_OVERDUE, FALSE, 0, G_MAXINT64, &rec->open_overdue));
      TRY (INT (F_SYNC_LAG_S, FALSE, 0, G_MAXINT64, &rec->sync_lag_s));
      break;
    default:
      g_assert_not_reached ();
    }
  /* An extra field, never aggregated: the version of the config the
   * connector runs, for the connectors API.  Like any unknown field, a
   * value of another type does not make the status bad; it is ignored. */
  if (has (self, self->top, self->seen, F_CONFIG_VERSION) && self->top[F_CONFIG_VERSION].type == J_STRING)
    {
      gboolean has_nul;
      const gchar *s = arena_string (self, &self->top[F_CONFIG_VERSION], &has_nul);
      rec->config_version = has_nul ? NULL : s;
    }
  return IOC_REJECT_NONE;
}

/* SPEC §3: a state payload is plain online/offline (the connector's last
 * will); the JSON strings are accepted too, and surrounding whitespace. */
static IocReject
decode_state (IocDecoder *self, const guint8 *payload, gsize len)
{
  const guint8 *p = payload, *end = payload + len;

  while (p < end && g_ascii_isspace (*p))
    p++;
  while (end > p && g_ascii_isspace (end[-1]))
    end--;
  if (end - p >= 2 && p[0] == '"' && end[-1] == '"')
    p++, end--;
  if (end - p == 6 && memcmp (p, "online", 6) == 0)
    self->rec.online = IOC_TRI_TRUE;
  else if (end - p == 7 && memcmp (p, "offline", 7) == 0)
    self->rec.online = IOC_TRI_FALSE;
  else
    return reject (self, IOC_REJECT_BAD_STATE, "state: expected online or offline, got \"%.*s\"",
                   (gint) MIN (len, 40), g_utf8_validate_len ((const gchar *) payload, MIN (len, 40), NULL)
                                           ? (const gchar *) payload : "(binary)");
  return IOC_REJECT_NONE;
}

static IocReject
decode_payload (IocDecoder *self, const guint8 *payload, gsize payload_len)
{
  IocRecord *rec = &self->rec;
  gsize bad;

  if (payload_len > IOC_MAX_PAYLOAD)
    return reject (self, IOC_REJECT_TOO_LARGE, "payload: %" G_GSIZE_FORMAT " bytes, limit %d",
                   payload_len, IOC_MAX_PAYLOAD);
  if (rec->msg_type == IOC_MSG_STATE)
    return decode_state (self, payload, payload_len);

  bad = utf8_check (payload, payload_len);
  if (bad != payload_len)
    return reject (self, IOC_REJECT_BAD_UTF8, "payload: invalid UTF-8 at byte %" G_GSIZE_FORMAT, bad);

  /* Pass 1. */
  self->p = payload;
  self->end = payload + payload_len;
  skip_ws (self);
  if (self->p >= self->end || *self->p != '{')
    return reject (self, IOC_REJECT_BAD_JSON, "payload: expected a JSON object");
  if (!scan_object_fields (self, 1, G_MAXUINT64, self->top, &self->seen))
    {
      gchar buf[32];
      gsize n = strlen (self->detail);
      snprintf (self->detail + n, sizeof self->detail - n, " at %s", offset_text (self, payload, buf));
      return self->reason;
    }
  skip_ws (self);
  if (self->p != self->end)
    return reject (self, IOC_REJECT_BAD_JSON, "trailing data after the object at byte %" G_GSIZE_FORMAT,
                   (gsize) (self->p - payload));

  /* Pass 2: the envelope, then the body. */
  if (!(self->seen & (G_GUINT64_CONSTANT (1) << F_V)))
    return reject (self, IOC_REJECT_MISSING_FIELD, "missing field: v");
  {
    const JVal *v = &self->top[F_V];
    if (v->type != J_NUMBER || !v->is_int || v->end - v->p != 1 || *v->p != '1')
      {
        if (v->type == J_NUMBER)
          return reject (self, IOC_REJECT_BAD_VERSION, "v: expected 1, got %.*s",
                         (gint) MIN (v->end - v->p, 20), (const gchar *) v->p);
        return reject (self, IOC_REJECT_BAD_VERSION, "v: expected 1, got %s", jtype_names[v->type]);
      }
    rec->v = 1;
  }
  TRY (INT (F_SEQ, TRUE, 1, G_MAXINT64, &rec->seq));
  TRY (get_time (self, F_TS, TRUE, &rec->ts_us));
  if (rec->msg_type == IOC_MSG_EVENT)
    return decode_event (self);
  return decode_status (self);
}

IocReject
ioc_decoder_decode (IocDecoder *self, const gchar *topic, gsize topic_len, const guint8 *payload,
                    gsize payload_len, const IocRecord **out_record, const gchar **out_detail)
{
  IocRecord *rec;
  IocTopic t;
  IocReject r;

  g_return_val_if_fail (self != NULL, IOC_REJECT_BAD_JSON);
  g_return_val_if_fail (topic != NULL || topic_len == 0, IOC_REJECT_BAD_TOPIC);
  g_return_val_if_fail (payload != NULL || payload_len == 0, IOC_REJECT_BAD_JSON);
  g_return_val_if_fail (out_record != NULL, IOC_REJECT_BAD_JSON);

  /* Reset only what the last message can have set: cameras[] is ~10 KB. */
  rec = &self->rec;
  memcpy (rec, &absent_record, offsetof (IocRecord, cameras));
  memset (rec->cameras, 0, self->prev_n_cameras * sizeof rec->cameras[0]);
  self->prev_n_cameras = 0;
  self->arena_used = 0;
  self->seen = 0;
  self->detail[0] = '\0';
  self->reason = IOC_REJECT_NONE;
  *out_record = NULL;
  if (out_detail != NULL)
    *out_detail = NULL;

  r = ioc_topic_parse (topic, topic_len, &t);
  if (r != IOC_REJECT_NONE)
    {
      if (r == IOC_REJECT_UNKNOWN_KIND)
        reject (self, r, "topic: unknown kind \"%.*s\"", (gint) MIN (t.kind.len, 40), t.kind.p);
      else
        reject (self, r, "topic: expected ioc/v1/<province>/<unit>/<kind>/<device>/<type>");
      if (out_detail != NULL)
        *out_detail = self->detail;
      return r;
    }
  rec->province = arena_copy (self, t.province.p, t.province.len);
  rec->unit = arena_copy (self, t.unit.p, t.unit.len);
  rec->device = arena_copy (self, t.device.p, t.device.len);
  rec->kind = t.kind_id;
  rec->msg_type = t.type_id;
  *out_record = rec;

  r = decode_payload (self, payload, payload_len);
  if (out_detail != NULL)
    *out_detail = r != IOC_REJECT_NONE ? self->detail : NULL;
  return r;
}
