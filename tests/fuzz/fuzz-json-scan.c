/* fuzz-json-scan.c — libFuzzer target for the JSON scanner alone.
 *
 * Input: any bytes, taken as a document, scanned with a small set of known
 * keys ("a", "b", "c" and one long one).  Besides memory safety it checks
 * what the decoder relies on: an accepted document is valid UTF-8 as a
 * whole (the scanner is the decoder's only UTF-8 pass on good payloads), a
 * located value lies inside the input, a string unescapes to valid UTF-8 no
 * longer than its raw bytes, a number reads as the same value both ways, an
 * array of the key "c" walks element by element, and a refusal always says
 * why and where.
 *
 *   clang -fsanitize=fuzzer,address,undefined … fuzz-json-scan.c
 *   gcc … fuzz-json-scan.c replay-main.c   (replays a corpus without libFuzzer) */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "ingest/json-scan.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 65536

static const gchar *const names[] = { "a", "b", "c", "a_rather_long_key_name_xx" };

static void
check_value (const IocJsonVal *v, const uint8_t *data, size_t size, gchar *buf)
{
  g_assert_true (v->p >= data && v->end <= data + size && v->p <= v->end);
  switch (v->type)
    {
    case IOC_JSON_STRING:
      {
        gboolean has_nul = FALSE;
        gsize n = ioc_json_unescape (v->p, v->end, buf, &has_nul);
        g_assert_cmpuint (n, <=, (gsize) (v->end - v->p));
        /* \u0000 unescapes to a NUL, which has_nul must report: valid
         * UTF-8, but g_utf8_validate_len refuses NULs, so check the runs
         * between them. */
        if (memchr (buf, 0, n) != NULL)
          g_assert_true (has_nul);
        for (const gchar *s = buf, *e = buf + n; s < e;)
          {
            const gchar *z = memchr (s, 0, (gsize) (e - s));
            gsize run = z != NULL ? (gsize) (z - s) : (gsize) (e - s);
            g_assert_true (g_utf8_validate_len (s, run, NULL));
            s += run + 1;
          }
        if (!v->has_escape)
          g_assert_true (memcmp (buf, v->p, n) == 0 && !has_nul);
        break;
      }
    case IOC_JSON_NUMBER:
      {
        gdouble d = ioc_json_number_double (v, buf);
        gint64 x = 0;
        IocJsonIntResult r = ioc_json_number_int64 (v, buf, &x);
        g_assert_false (isnan (d));
        if (r == IOC_JSON_INT_OK && fabs ((gdouble) x) < 9007199254740992.0)
          g_assert_cmpfloat ((gdouble) x, ==, d);
        break;
      }
    case IOC_JSON_TRUE:
    case IOC_JSON_FALSE:
    case IOC_JSON_NULL:
    case IOC_JSON_OBJECT:
    case IOC_JSON_ARRAY:
      g_assert_cmpuint ((gsize) (v->end - v->p), >=, 2);
      break;
    default:
      g_assert_not_reached ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static IocJsonKeys keys;
  static gboolean keys_ready;
  static gchar buf[FUZZ_MAX_INPUT + 1];
  IocJsonScanner s;
  IocJsonVal slots[G_N_ELEMENTS (names)];
  guint64 seen = 0;

  if (size > FUZZ_MAX_INPUT)
    return 0;
  if (!keys_ready)
    {
      ioc_json_keys_init (&keys, names, G_N_ELEMENTS (names));
      keys_ready = TRUE;
    }

  ioc_json_scanner_init (&s, data, size);
  if (!ioc_json_scan_document (&s, &keys, slots, &seen))
    {
      g_assert_true (s.error == IOC_JSON_ERR_SYNTAX || s.error == IOC_JSON_ERR_UTF8);
      g_assert_nonnull (strstr (s.detail, " at byte "));
      return 0;
    }
  g_assert_cmpint (s.error, ==, IOC_JSON_OK);
  g_assert_cmpuint (ioc_json_utf8_check (data, size), ==, size);
  g_assert_cmpuint (seen >> G_N_ELEMENTS (names), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (seen & (G_GUINT64_CONSTANT (1) << i))
      {
        check_value (&slots[i], data, size, buf);
        /* The key itself is found again through an escaped spelling. */
        IocJsonVal key = { (const guint8 *) names[i], (const guint8 *) names[i] + strlen (names[i]),
                           IOC_JSON_STRING, 0, 0 };
        g_assert_cmpint (ioc_json_keys_lookup (&keys, &key), ==, (gint) i);
      }

  /* "c": an array of objects, walked the way the decoder walks cameras[]. */
  if ((seen & 4) && slots[2].type == IOC_JSON_ARRAY)
    {
      guint n = 0;
      ioc_json_enter_array (&s, &slots[2]);
      while (ioc_json_next_element (&s))
        {
          IocJsonVal inner[G_N_ELEMENTS (names)];
          guint64 inner_seen;
          g_assert_true (s.p < slots[2].end);
          if (ioc_json_peek (&s) != IOC_JSON_OBJECT)
            break;
          /* The document was scanned whole: only the duplicate-key rule,
           * which applies to the keys looked for, can fail here. */
          if (!ioc_json_scan_object (&s, 3, &keys, 3, inner, &inner_seen))
            {
              g_assert_nonnull (strstr (s.detail, "duplicate key"));
              break;
            }
          g_assert_cmpuint (inner_seen & ~G_GUINT64_CONSTANT (3), ==, 0);
          for (guint i = 0; i < 2; i++)
            if (inner_seen & (G_GUINT64_CONSTANT (1) << i))
              check_value (&inner[i], data, size, buf);
          n++;
        }
      g_assert_cmpuint (n, <=, size);
    }
  return 0;
}
