/* json-scan.h — a strict JSON scanner for small flat documents, without a
 * DOM and without allocating.
 *
 * It checks a document against the JSON grammar (RFC 8259: depth ≤ 16,
 * escapes, surrogate pairs, the number grammar, no trailing bytes) and, for
 * one object, remembers where the value of each key of a known set is; other
 * keys are skipped.  Values stay in the caller's buffer: a string is the
 * bytes between its quotes, to be unescaped on demand.  The decoder of
 * ingest/decoder.c is its user; it knows nothing of envelopes.
 *
 * Bytes ≥ 0x80 may only appear inside strings, and must be valid UTF-8
 * there (IOC_JSON_ERR_UTF8 otherwise): a document the scanner accepts is
 * valid UTF-8 as a whole, with no separate pass over it.
 * Pure; a scanner and a key set are used by one thread at a time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Deeper nesting is refused; it also bounds the recursion. */
#define IOC_JSON_MAX_DEPTH 16
/* Known keys: at most 64, each 1 … IOC_JSON_MAX_KEY_LEN bytes. */
#define IOC_JSON_MAX_KEYS 64
#define IOC_JSON_MAX_KEY_LEN 32

typedef enum
{
  IOC_JSON_ABSENT = 0, /* a known key that was not in the object */
  IOC_JSON_STRING,
  IOC_JSON_NUMBER,
  IOC_JSON_TRUE,
  IOC_JSON_FALSE,
  IOC_JSON_NULL,
  IOC_JSON_OBJECT,
  IOC_JSON_ARRAY,
} IocJsonType;

/* Where a value is in the buffer.  A string's p..end excludes the quotes;
 * a container's includes its brackets. */
typedef struct
{
  const guint8 *p;
  const guint8 *end;
  guint8 type;       /* IocJsonType */
  guint8 has_escape; /* string: contains a backslash */
  guint8 is_int;     /* number: no fraction, no exponent */
} IocJsonVal;

typedef enum
{
  IOC_JSON_OK = 0,
  IOC_JSON_ERR_SYNTAX, /* not JSON */
  IOC_JSON_ERR_UTF8,   /* invalid UTF-8 in a string, or a \u escape that is a lone surrogate */
} IocJsonError;

/* A set of known keys, looked up with one probe for nearly every key.
 * Fill with ioc_json_keys_init(); read-only afterwards (share it freely). */
typedef struct
{
  guint8 slots[256]; /* 0 empty, else index + 1 */
  guint8 lens[IOC_JSON_MAX_KEYS];
  const gchar *const *names;
  guint n;
} IocJsonKeys;

/* names[i] for i < n; NULL or "" leaves index i unused.  names must outlive
 * keys. */
void ioc_json_keys_init (IocJsonKeys *keys, const gchar *const *names, guint n);
/* The index of the key the string value key spells (escapes decoded), or -1. */
gint ioc_json_keys_lookup (const IocJsonKeys *keys, const IocJsonVal *key);

typedef struct
{
  const guint8 *start;
  const guint8 *p;
  const guint8 *end;
  IocJsonError error;
  gchar detail[160]; /* what is wrong and at which byte, after an error */
} IocJsonScanner;

void ioc_json_scanner_init (IocJsonScanner *s, const guint8 *data, gsize len);

/* The whole buffer is one object, with optional whitespace around it.
 * slots[i] and bit i of *seen are set for each key i of keys present (slots
 * of absent keys are left alone).  A known key given twice is an error: JSON
 * does not say which of the two wins.  FALSE with s->error and s->detail on
 * error. */
gboolean ioc_json_scan_document (IocJsonScanner *s, const IocJsonKeys *keys, IocJsonVal *slots,
                                 guint64 *seen);
/* The same for the object at s->p (its '{'), nested at depth (the document
 * is depth 1), looking only at the keys in mask; leaves s->p after it. */
gboolean ioc_json_scan_object (IocJsonScanner *s, guint depth, const IocJsonKeys *keys, guint64 mask,
                               IocJsonVal *slots, guint64 *seen);

/* Walking an array the scanner has already checked:
 *   ioc_json_enter_array (s, &arr);
 *   while (ioc_json_next_element (s)) { … consume the element at s->p … }
 * An element is consumed by ioc_json_scan_object(); any other element must
 * end the walk. */
void     ioc_json_enter_array (IocJsonScanner *s, const IocJsonVal *array);
gboolean ioc_json_next_element (IocJsonScanner *s);
/* The type of the value starting at s->p, by its first byte. */
IocJsonType ioc_json_peek (const IocJsonScanner *s);

/* The first byte at or after p that a JSON string cannot carry as it is
 * ('"', '\\' or a control character below 0x20), or end.  8 bytes a step. */
const guint8 *ioc_json_plain_end (const guint8 *p, const guint8 *end);

/* Strict UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
 * Returns the offset of the first bad byte, or len. */
gsize ioc_json_utf8_check (const guint8 *s, gsize len);
/* Unescapes a scanned string's bytes p..end into dst, which has room for
 * end - p bytes (never NUL-terminated).  Returns the length; *has_nul
 * tells whether it contains U+0000. */
gsize ioc_json_unescape (const guint8 *p, const guint8 *end, gchar *dst, gboolean *has_nul);

/* A number's value as strtod would read it; scratch has room for the
 * number's length + 1 (used only by the slow path). */
gdouble ioc_json_number_double (const IocJsonVal *v, gchar *scratch);

typedef enum
{
  IOC_JSON_INT_OK = 0,
  IOC_JSON_INT_NOT_INTEGER, /* a fraction, or not finite */
  IOC_JSON_INT_TOO_LARGE,   /* beyond ±(2^63 - 1), or beyond 2^53 with a fraction or exponent */
} IocJsonIntResult;

/* A number's integer value, exact up to ±(2^63 - 1).  Numbers written with
 * a fraction or exponent count when their value is integral ("3.0", "1e2"). */
IocJsonIntResult ioc_json_number_int64 (const IocJsonVal *v, gchar *scratch, gint64 *out);

/* "a string", "a number" …, for error texts. */
const gchar *ioc_json_type_text (IocJsonType type);

G_END_DECLS
