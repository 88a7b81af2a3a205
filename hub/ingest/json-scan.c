/* json-scan.c — the strict JSON scanner (see json-scan.h).
 *
 * Used by the decoder on every message, so it is written for speed:
 * compact JSON (no whitespace) is the common case, strings are skipped 8
 * bytes at a time, a known key is found with one probe of a small table,
 * numbers are read without strtod when they are short, and nothing is
 * allocated.  One pass checks the whole grammar; values are only located,
 * and interpreted later by whoever asked for them.  Pure; any thread. */
#include "ingest/json-scan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Largest integer a double holds exactly: "1.0" style integers beyond it
 * are not exact. */
#define MAX_EXACT_DOUBLE 9007199254740992.0

/* Records the first error with the byte it was found at. */
static G_GNUC_PRINTF (3, 4) void
fail (IocJsonScanner *self, IocJsonError error, const gchar *fmt, ...)
{
  va_list ap;
  gint n;

  va_start (ap, fmt);
  n = vsnprintf (self->detail, sizeof self->detail, fmt, ap);
  va_end (ap);
  if (n >= 0 && (gsize) n < sizeof self->detail)
    snprintf (self->detail + n, sizeof self->detail - (gsize) n, " at byte %" G_GSIZE_FORMAT,
              (gsize) (self->p - self->start));
  self->error = error;
}

const gchar *
ioc_json_type_text (IocJsonType type)
{
  static const gchar *const texts[] = {
    "nothing", "a string", "a number", "true", "false", "null", "an object", "an array",
  };
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (texts), "?");
  return texts[type];
}

void
ioc_json_scanner_init (IocJsonScanner *s, const guint8 *data, gsize len)
{
  s->start = data;
  s->p = data;
  s->end = data + len;
  s->error = IOC_JSON_OK;
  s->detail[0] = '\0';
}

/* ---- known keys ---------------------------------------------------------- */

/* A hash of length, first and last byte: distinct for the envelope's keys
 * in all but a few cases, and those take one more probe. */
static inline guint
key_slot_hash (const guint8 *p, gsize len)
{
  return ((guint) len * 37u + (guint) p[0] * 7u + (guint) p[len - 1]) & 255u;
}

void
ioc_json_keys_init (IocJsonKeys *keys, const gchar *const *names, guint n)
{
  g_return_if_fail (n <= IOC_JSON_MAX_KEYS);
  memset (keys, 0, sizeof *keys);
  keys->names = names;
  keys->n = n;
  for (guint i = 0; i < n; i++)
    {
      if (names[i] == NULL || names[i][0] == '\0')
        continue;
      gsize len = strlen (names[i]);
      g_return_if_fail (len <= IOC_JSON_MAX_KEY_LEN);
      keys->lens[i] = (guint8) len;
      guint h = key_slot_hash ((const guint8 *) names[i], len);
      while (keys->slots[h] != 0)
        h = (h + 1) & 255u;
      keys->slots[h] = (guint8) (i + 1);
    }
}

static inline gint
lookup_key (const IocJsonKeys *keys, const guint8 *p, gsize len)
{
  if (len == 0 || len > IOC_JSON_MAX_KEY_LEN)
    return -1;
  for (guint h = key_slot_hash (p, len);; h = (h + 1) & 255u)
    {
      guint slot = keys->slots[h];
      if (slot == 0)
        return -1;
      if (keys->lens[slot - 1] != len)
        continue;
      const gchar *name = keys->names[slot - 1];
      gsize i = 0;
      while (i < len && name[i] == (gchar) p[i])
        i++;
      if (i == len)
        return (gint) slot - 1;
    }
}

gint
ioc_json_keys_lookup (const IocJsonKeys *keys, const IocJsonVal *key)
{
  gsize len = (gsize) (key->end - key->p);
  if (key->has_escape)
    {
      /* A key spelled with escapes ("\u0073eq") is still that key. */
      gchar buf[IOC_JSON_MAX_KEY_LEN * 6 + 1];
      gboolean has_nul = FALSE;
      if (len > sizeof buf - 1)
        return -1;
      len = ioc_json_unescape (key->p, key->end, buf, &has_nul);
      return has_nul ? -1 : lookup_key (keys, (const guint8 *) buf, len);
    }
  return lookup_key (keys, key->p, len);
}

/* ---- UTF-8 --------------------------------------------------------------- */

/* The length of the valid multi-byte UTF-8 sequence at s (2–4), or 0:
 * no overlongs, no surrogates, nothing above U+10FFFF.  s[0] ≥ 0x80. */
static inline gsize
utf8_sequence (const guint8 *s, gsize avail)
{
  guint8 c = s[0], lo = 0x80, hi = 0xBF;
  gsize n;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    {
      n = 3;
      if (c == 0xE0)
        lo = 0xA0;
      else if (c == 0xED)
        hi = 0x9F; /* surrogates */
    }
  else if (c >= 0xF0 && c <= 0xF4)
    {
      n = 4;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;
    }
  else
    return 0;
  if (avail < n || s[1] < lo || s[1] > hi)
    return 0;
  for (gsize k = 2; k < n; k++)
    if ((s[k] & 0xC0) != 0x80)
      return 0;
  return n;
}

gsize
ioc_json_utf8_check (const guint8 *s, gsize len)
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
      if (s[i] < 0x80)
        {
          i++;
          continue;
        }
      gsize n = utf8_sequence (s + i, len - i);
      if (n == 0)
        return i;
      i += n;
    }
  return len;
}

/* ---- pass 1: grammar -------------------------------------------------- */

/* The bytes of a string that need no attention: anything but '"', '\\' and
 * control characters, and for the scanner anything but bytes ≥ 0x80 too
 * (the start of a UTF-8 sequence, checked on the slow path).  Strings are
 * most of an envelope's bytes, so they are skipped 8 at a time: a word is
 * plain when none of its bytes equals '"' or '\\', none is below 0x20 (the
 * classic has-zero-byte / has-less-than tests; neither reports a byte that
 * is not there, and bytes ≥ 0x80 never count as below 0x20) and, with
 * stop_high, none has its top bit set.  The first word that is not plain is
 * finished byte by byte. */
#define SWAR_ONES G_GUINT64_CONSTANT (0x0101010101010101)
#define SWAR_HIGH G_GUINT64_CONSTANT (0x8080808080808080)
static inline const guint8 *
skip_plain (const guint8 *p, const guint8 *end, gboolean stop_high)
{
  while (end - p >= 8)
    {
      guint64 w, q, b;
      memcpy (&w, p, 8);
      q = w ^ (SWAR_ONES * '"');
      b = w ^ (SWAR_ONES * '\\');
      guint64 special = ((q - SWAR_ONES) & ~q) | ((b - SWAR_ONES) & ~b) | ((w - SWAR_ONES * 0x20) & ~w);
      if (stop_high)
        special |= w;
      special &= SWAR_HIGH;
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
  while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && (!stop_high || *p < 0x80))
    p++;
  return p;
}

static inline const guint8 *
skip_plain_string_bytes (const guint8 *p, const guint8 *end)
{
  return skip_plain (p, end, TRUE);
}

const guint8 *
ioc_json_plain_end (const guint8 *p, const guint8 *end)
{
  return skip_plain (p, end, FALSE);
}

static inline void
skip_ws (IocJsonScanner *self)
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

/* One escape: p is at its backslash.  Returns the byte after it, or NULL
 * after fail(). */
static const guint8 *
scan_escape (IocJsonScanner *self, const guint8 *p)
{
  const guint8 *end = self->end;
  guint cp, lo;

  self->p = p;
  if (p + 1 >= end)
    return fail (self, IOC_JSON_ERR_SYNTAX, "unterminated string"), NULL;
  switch (p[1])
    {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      return p + 2;
    case 'u':
      if (!hex4 (p + 2, end, &cp))
        return fail (self, IOC_JSON_ERR_SYNTAX, "bad \\u escape"), NULL;
      p += 6;
      self->p = p;
      if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail (self, IOC_JSON_ERR_UTF8, "lone low surrogate \\u%04X in a string", cp), NULL;
      if (cp >= 0xD800 && cp <= 0xDBFF)
        {
          if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4 (p + 2, end, &lo) || lo < 0xDC00 ||
              lo > 0xDFFF)
            return fail (self, IOC_JSON_ERR_UTF8, "lone high surrogate \\u%04X in a string", cp), NULL;
          p += 6;
        }
      return p;
    default:
      return fail (self, IOC_JSON_ERR_SYNTAX, "bad escape in a string"), NULL;
    }
}

/* self->p is at the opening quote; leaves it after the closing one.
 * Strings with escapes or non-ASCII bytes, and every malformed string. */
static G_NO_INLINE gboolean
scan_string_slow (IocJsonScanner *self, IocJsonVal *v)
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
          fail (self, IOC_JSON_ERR_SYNTAX, "unterminated string");
          return FALSE;
        }
      if (*p == '"')
        break;
      if (*p >= 0x80)
        {
          gsize n = utf8_sequence (p, (gsize) (end - p));
          if (n == 0)
            {
              self->p = p;
              fail (self, IOC_JSON_ERR_UTF8, "invalid UTF-8 in a string");
              return FALSE;
            }
          p += n;
          continue;
        }
      if (*p < 0x20)
        {
          self->p = p;
          fail (self, IOC_JSON_ERR_SYNTAX, "control character 0x%02x in a string", *p);
          return FALSE;
        }
      has_escape = TRUE;
      if ((p = scan_escape (self, p)) == NULL)
        return FALSE;
    }
  v->end = p;
  v->type = IOC_JSON_STRING;
  v->has_escape = has_escape;
  self->p = p + 1;
  return TRUE;
}

/* The usual string: plain bytes up to its closing quote. */
static inline gboolean
scan_string (IocJsonScanner *self, IocJsonVal *v)
{
  const guint8 *start = self->p + 1;
  const guint8 *p = skip_plain_string_bytes (start, self->end);
  if (G_LIKELY (p < self->end && *p == '"'))
    {
      v->p = start;
      v->end = p;
      v->type = IOC_JSON_STRING;
      v->has_escape = FALSE;
      self->p = p + 1;
      return TRUE;
    }
  return scan_string_slow (self, v);
}

/* JSON number grammar exactly: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean
scan_number (IocJsonScanner *self, IocJsonVal *v)
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
  v->type = IOC_JSON_NUMBER;
  v->is_int = is_int;
  self->p = p;
  return TRUE;

bad:
  self->p = p;
  fail (self, IOC_JSON_ERR_SYNTAX, "bad number");
  return FALSE;
}

static gboolean
scan_literal (IocJsonScanner *self, const gchar *word, gsize n, IocJsonType type, IocJsonVal *v)
{
  if ((gsize) (self->end - self->p) < n || memcmp (self->p, word, n) != 0)
    {
      fail (self, IOC_JSON_ERR_SYNTAX, "unexpected character '%c'", *self->p);
      return FALSE;
    }
  v->p = self->p;
  self->p += n;
  v->end = self->p;
  v->type = type;
  return TRUE;
}

static gboolean scan_value (IocJsonScanner *self, guint depth, IocJsonVal *v);

/* self->p is at '{' or '['. */
static gboolean
scan_container (IocJsonScanner *self, guint depth, gboolean is_object, IocJsonVal *v)
{
  guint8 close = is_object ? '}' : ']';

  if (depth > IOC_JSON_MAX_DEPTH)
    {
      fail (self, IOC_JSON_ERR_SYNTAX, "nesting deeper than %d", IOC_JSON_MAX_DEPTH);
      return FALSE;
    }
  v->p = self->p;
  v->type = is_object ? IOC_JSON_OBJECT : IOC_JSON_ARRAY;
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
      IocJsonVal item;
      if (is_object)
        {
          if (self->p >= self->end || *self->p != '"')
            {
              fail (self, IOC_JSON_ERR_SYNTAX, "expected a key");
              return FALSE;
            }
          if (!scan_string (self, &item))
            return FALSE;
          skip_ws (self);
          if (self->p >= self->end || *self->p != ':')
            {
              fail (self, IOC_JSON_ERR_SYNTAX, "expected ':'");
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
      fail (self, IOC_JSON_ERR_SYNTAX, "expected ',' or '%c'", close);
      return FALSE;
    }
}

/* self->p is at the first byte of a value (whitespace skipped). */
static gboolean
scan_value (IocJsonScanner *self, guint depth, IocJsonVal *v)
{
  if (self->p >= self->end)
    {
      fail (self, IOC_JSON_ERR_SYNTAX, "unexpected end");
      return FALSE;
    }
  switch (*self->p)
    {
    case '"': return scan_string (self, v);
    case '{': return scan_container (self, depth, TRUE, v);
    case '[': return scan_container (self, depth, FALSE, v);
    case 't': return scan_literal (self, "true", 4, IOC_JSON_TRUE, v);
    case 'f': return scan_literal (self, "false", 5, IOC_JSON_FALSE, v);
    case 'n': return scan_literal (self, "null", 4, IOC_JSON_NULL, v);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return scan_number (self, v);
    default:
      if (*self->p >= 0x20 && *self->p < 0x7F)
        fail (self, IOC_JSON_ERR_SYNTAX, "unexpected character '%c'", *self->p);
      else
        fail (self, IOC_JSON_ERR_SYNTAX, "unexpected byte 0x%02x", *self->p);
      return FALSE;
    }
}

gsize
ioc_json_unescape (const guint8 *p, const guint8 *end, gchar *dst, gboolean *has_nul)
{
  gchar *d = dst;
  *has_nul = FALSE;
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

/* ---- objects and arrays -------------------------------------------------- */

gboolean
ioc_json_scan_object (IocJsonScanner *self, guint depth, const IocJsonKeys *keys, guint64 mask,
                      IocJsonVal *slots, guint64 *seen)
{
  *seen = 0;
  if (depth > IOC_JSON_MAX_DEPTH)
    return fail (self, IOC_JSON_ERR_SYNTAX, "nesting deeper than %d", IOC_JSON_MAX_DEPTH), FALSE;
  self->p++;
  skip_ws (self);
  if (self->p < self->end && *self->p == '}')
    {
      self->p++;
      return TRUE;
    }
  for (;;)
    {
      IocJsonVal key, val;
      gint id;

      if (self->p >= self->end || *self->p != '"')
        return fail (self, IOC_JSON_ERR_SYNTAX, "expected a key"), FALSE;
      if (!scan_string (self, &key))
        return FALSE;
      skip_ws (self);
      if (self->p >= self->end || *self->p != ':')
        return fail (self, IOC_JSON_ERR_SYNTAX, "expected ':'"), FALSE;
      self->p++;
      skip_ws (self);
      if (!scan_value (self, depth + 1, &val))
        return FALSE;
      /* Keys are almost never escaped: look those up in line. */
      id = G_LIKELY (!key.has_escape) ? lookup_key (keys, key.p, (gsize) (key.end - key.p))
                                      : ioc_json_keys_lookup (keys, &key);
      if (id >= 0 && (mask & (G_GUINT64_CONSTANT (1) << id)))
        {
          if (*seen & (G_GUINT64_CONSTANT (1) << id))
            return fail (self, IOC_JSON_ERR_SYNTAX, "duplicate key: %s", keys->names[id]), FALSE;
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
      return fail (self, IOC_JSON_ERR_SYNTAX, "expected ',' or '}'"), FALSE;
    }
}

gboolean
ioc_json_scan_document (IocJsonScanner *self, const IocJsonKeys *keys, IocJsonVal *slots, guint64 *seen)
{
  *seen = 0;
  skip_ws (self);
  if (self->p >= self->end || *self->p != '{')
    {
      fail (self, IOC_JSON_ERR_SYNTAX, "expected a JSON object");
      return FALSE;
    }
  if (!ioc_json_scan_object (self, 1, keys, G_MAXUINT64, slots, seen))
    return FALSE;
  skip_ws (self);
  if (self->p != self->end)
    {
      fail (self, IOC_JSON_ERR_SYNTAX, "trailing data after the object");
      return FALSE;
    }
  return TRUE;
}

void
ioc_json_enter_array (IocJsonScanner *self, const IocJsonVal *array)
{
  g_return_if_fail (array->type == IOC_JSON_ARRAY);
  self->p = array->p + 1;
}

gboolean
ioc_json_next_element (IocJsonScanner *self)
{
  /* The grammar was checked: a comma or the closing bracket follows. */
  skip_ws (self);
  if (*self->p == ',')
    {
      self->p++;
      skip_ws (self);
    }
  return *self->p != ']';
}

IocJsonType
ioc_json_peek (const IocJsonScanner *self)
{
  if (self->p >= self->end)
    return IOC_JSON_ABSENT;
  switch (*self->p)
    {
    case '"': return IOC_JSON_STRING;
    case '{': return IOC_JSON_OBJECT;
    case '[': return IOC_JSON_ARRAY;
    case 't': return IOC_JSON_TRUE;
    case 'f': return IOC_JSON_FALSE;
    case 'n': return IOC_JSON_NULL;
    default: return IOC_JSON_NUMBER;
    }
}

/* ---- numbers ------------------------------------------------------------- */

gdouble
ioc_json_number_double (const IocJsonVal *v, gchar *scratch)
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
  memcpy (scratch, v->p, n);
  scratch[n] = '\0';
  return g_ascii_strtod (scratch, NULL);
}

IocJsonIntResult
ioc_json_number_int64 (const IocJsonVal *v, gchar *scratch, gint64 *out)
{
  if (v->is_int && v->end - v->p <= 18)
    {
      /* Up to 18 characters cannot overflow: no checks per digit. */
      const guint8 *p = v->p;
      gboolean neg = *p == '-';
      gint64 x = 0;
      for (p += neg; p < v->end; p++)
        x = x * 10 + (*p - '0');
      *out = neg ? -x : x;
      return IOC_JSON_INT_OK;
    }
  if (v->is_int)
    {
      const guint8 *p = v->p;
      gboolean neg = *p == '-';
      guint64 x = 0;
      for (p += neg; p < v->end; p++)
        {
          guint d = *p - '0';
          if (x > (G_MAXUINT64 - d) / 10)
            return IOC_JSON_INT_TOO_LARGE;
          x = x * 10 + d;
        }
      if (x > (guint64) G_MAXINT64)
        return IOC_JSON_INT_TOO_LARGE;
      *out = neg ? -(gint64) x : (gint64) x;
      return IOC_JSON_INT_OK;
    }
  gdouble d = ioc_json_number_double (v, scratch);
  if (!isfinite (d) || d != floor (d))
    return IOC_JSON_INT_NOT_INTEGER;
  if (fabs (d) > MAX_EXACT_DOUBLE)
    return IOC_JSON_INT_TOO_LARGE;
  *out = (gint64) d;
  return IOC_JSON_INT_OK;
}
