/* test-json-scan.c — the strict JSON scanner on its own: one row per
 * grammar rule it enforces, the values it locates for known keys, escaped
 * keys, duplicate keys, walking an array of objects, and numbers read
 * exactly as strtod reads them. */
#include <string.h>

#include <glib.h>

#include "ingest/json-scan.h"
#include "test-util.h"

static const gchar *const names[] = { "v", "seq", "cameras", NULL, "camera" };

static const IocJsonKeys *
test_keys (void)
{
  static IocJsonKeys keys;
  static gsize once;
  if (g_once_init_enter (&once))
    {
      ioc_json_keys_init (&keys, names, G_N_ELEMENTS (names));
      g_once_init_leave (&once, 1);
    }
  return &keys;
}

static gboolean
scan (const gchar *doc, IocJsonScanner *s, IocJsonVal *slots, guint64 *seen)
{
  ioc_json_scanner_init (s, (const guint8 *) doc, strlen (doc));
  return ioc_json_scan_document (s, test_keys (), slots, seen);
}

static void
test_grammar (void)
{
  static const struct
  {
    const gchar *doc;
    IocJsonError want;
    const gchar *want_detail; /* substring, or NULL */
  } cases[] = {
    { "{}", IOC_JSON_OK, NULL },
    { " {\"a\" : [1, -2.5e+3, true, false, null, {}, [], \"\"]}\n", IOC_JSON_OK, NULL },
    { "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}", IOC_JSON_OK, NULL },
    { "{\"a\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", IOC_JSON_OK, NULL }, /* depth 16 */
    { "{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", IOC_JSON_ERR_SYNTAX, "nesting deeper than 16" },
    { "", IOC_JSON_ERR_SYNTAX, "expected a JSON object at byte 0" },
    { "[1]", IOC_JSON_ERR_SYNTAX, "expected a JSON object" },
    { "{\"a\":1} x", IOC_JSON_ERR_SYNTAX, "trailing data after the object at byte 8" },
    { "{\"a\":1,}", IOC_JSON_ERR_SYNTAX, "expected a key" },
    { "{\"a\" 1}", IOC_JSON_ERR_SYNTAX, "expected ':'" },
    { "{\"a\":1 \"b\":2}", IOC_JSON_ERR_SYNTAX, "expected ',' or '}'" },
    { "{\"a\":[1 2]}", IOC_JSON_ERR_SYNTAX, "expected ',' or ']'" },
    { "{\"a\":01}", IOC_JSON_ERR_SYNTAX, NULL },
    { "{\"a\":1.}", IOC_JSON_ERR_SYNTAX, "bad number" },
    { "{\"a\":-}", IOC_JSON_ERR_SYNTAX, "bad number" },
    { "{\"a\":1e+}", IOC_JSON_ERR_SYNTAX, "bad number" },
    { "{\"a\":.5}", IOC_JSON_ERR_SYNTAX, "unexpected character '.'" },
    { "{\"a\":tru}", IOC_JSON_ERR_SYNTAX, NULL },
    { "{\"a\":\"x\ty\"}", IOC_JSON_ERR_SYNTAX, "control character 0x09" },
    { "{\"a\":\"\\q\"}", IOC_JSON_ERR_SYNTAX, "bad escape" },
    { "{\"a\":\"\\u12x4\"}", IOC_JSON_ERR_SYNTAX, "bad \\u escape" },
    { "{\"a\":\"abc", IOC_JSON_ERR_SYNTAX, "unterminated string" },
    { "{\"a\":\"\\ud800\"}", IOC_JSON_ERR_UTF8, "lone high surrogate" },
    { "{\"a\":\"\\udc00\"}", IOC_JSON_ERR_UTF8, "lone low surrogate" },
    { "{\"seq\":1,\"seq\":2}", IOC_JSON_ERR_SYNTAX, "duplicate key: seq" },
    { "{\"seq\":1,\"s\\u0065q\":2}", IOC_JSON_ERR_SYNTAX, "duplicate key: seq" },
    { "{\"x\":1,\"x\":2}", IOC_JSON_OK, NULL }, /* unknown keys may repeat */
    /* UTF-8: checked inside strings; anywhere else a non-ASCII byte is not JSON. */
    { "{\"a\":\"Qu\xe1\xba\xa7y \xf0\x9f\x98\x80\"}", IOC_JSON_OK, NULL },
    { "{\"a\":\"x\xc3\x28\"}", IOC_JSON_ERR_UTF8, "invalid UTF-8 in a string at byte 7" },
    { "{\"a\":\"\xed\xa0\x80\"}", IOC_JSON_ERR_UTF8, "invalid UTF-8" }, /* a surrogate */
    { "{\"a\":\"\xc0\xaf\"}", IOC_JSON_ERR_UTF8, "invalid UTF-8" },     /* overlong */
    { "{\"a\":\"\xf4\x90\x80\x80\"}", IOC_JSON_ERR_UTF8, "invalid UTF-8" }, /* > U+10FFFF */
    { "{\"a\":\"ab\xe2\x82\"}", IOC_JSON_ERR_UTF8, "invalid UTF-8" },     /* cut short */
    { "{\"\xc3\xa9\":1}", IOC_JSON_OK, NULL },                              /* in a key */
    { "{\"a\":1}\xc3\xa9", IOC_JSON_ERR_SYNTAX, "trailing data" },
    { "\xef\xbb\xbf{}", IOC_JSON_ERR_SYNTAX, "expected a JSON object" },    /* a BOM */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IocJsonScanner s;
      IocJsonVal slots[G_N_ELEMENTS (names)];
      guint64 seen;
      gboolean ok = scan (cases[i].doc, &s, slots, &seen);

      {

        /* escaped: TAP output must stay valid UTF-8 */

        g_autofree gchar *shown = g_strescape (cases[i].doc, NULL);

        g_test_message ("case %u: %s", i, shown);

      }
      g_assert_cmpint (ok, ==, cases[i].want == IOC_JSON_OK);
      g_assert_cmpint (s.error, ==, cases[i].want);
      if (!ok)
        g_assert_nonnull (strstr (s.detail, " at byte "));
      if (cases[i].want_detail != NULL && strstr (s.detail, cases[i].want_detail) == NULL)
        g_error ("case %u: detail \"%s\" lacks \"%s\"", i, s.detail, cases[i].want_detail);
    }
}

static void
test_known_keys (void)
{
  IocJsonScanner s;
  IocJsonVal slots[G_N_ELEMENTS (names)];
  guint64 seen;
  const gchar *doc = "{\"x\":{\"seq\":9},\"\\u0076\":1,\"seq\":\"a\\nb\",\"cameras\":[{\"camera\":\"c1\"},"
                     "{\"camera\":\"c2\",\"camera\":\"c3\"}],\"camera\":null}";

  g_assert_true (scan (doc, &s, slots, &seen));
  /* Nested keys do not count; an escaped key does. */
  g_assert_cmpuint (seen, ==, (1u << 0) | (1u << 1) | (1u << 2) | (1u << 4));
  g_assert_cmpint (slots[0].type, ==, IOC_JSON_NUMBER);
  g_assert_true (slots[0].is_int);
  g_assert_cmpint (slots[1].type, ==, IOC_JSON_STRING);
  g_assert_true (slots[1].has_escape);
  g_assert_cmpint (slots[4].type, ==, IOC_JSON_NULL);

  gchar buf[16];
  gboolean has_nul = TRUE;
  gsize n = ioc_json_unescape (slots[1].p, slots[1].end, buf, &has_nul);
  g_assert_cmpmem (buf, n, "a\nb", 3);
  g_assert_false (has_nul);

  /* The array, element by element; a duplicate key inside is found then. */
  guint64 mask = G_GUINT64_CONSTANT (1) << 4;
  IocJsonVal inner[G_N_ELEMENTS (names)];
  guint64 inner_seen;
  ioc_json_enter_array (&s, &slots[2]);
  g_assert_true (ioc_json_next_element (&s));
  g_assert_cmpint (ioc_json_peek (&s), ==, IOC_JSON_OBJECT);
  g_assert_true (ioc_json_scan_object (&s, 3, test_keys (), mask, inner, &inner_seen));
  g_assert_cmpuint (inner_seen, ==, mask);
  g_assert_cmpmem (inner[4].p, inner[4].end - inner[4].p, "c1", 2);
  g_assert_true (ioc_json_next_element (&s));
  g_assert_false (ioc_json_scan_object (&s, 3, test_keys (), mask, inner, &inner_seen));
  g_assert_nonnull (strstr (s.detail, "duplicate key: camera"));

  /* U+0000 in a string is reported to the caller. */
  g_assert_true (scan ("{\"seq\":\"a\\u0000b\"}", &s, slots, &seen));
  n = ioc_json_unescape (slots[1].p, slots[1].end, buf, &has_nul);
  g_assert_cmpuint (n, ==, 3);
  g_assert_true (has_nul);
}

static void
test_utf8 (void)
{
  static const struct
  {
    const gchar *s;
    gsize want; /* offset of the first bad byte, or the length */
  } cases[] = {
    { "plain ascii", 11 },  { "Qu\xe1\xba\xa7y", 6 },        { "\xc3\x28", 0 },
    { "ab\xed\xa0\x80", 2 }, /* surrogate */ { "\xc0\xaf", 0 }, /* overlong */
    { "\xf4\x90\x80\x80", 0 }, /* > U+10FFFF */ { "\xf0\x9f\x98\x80!", 5 }, { "x\xe2\x82", 1 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpuint (ioc_json_utf8_check ((const guint8 *) cases[i].s, strlen (cases[i].s)), ==, cases[i].want);
}

static IocJsonVal
number (const gchar *text)
{
  IocJsonScanner s;
  IocJsonVal slots[G_N_ELEMENTS (names)];
  guint64 seen;
  g_autofree gchar *doc = g_strdup_printf ("{\"v\":%s}", text);
  g_assert_true (scan (doc, &s, slots, &seen));
  g_assert_cmpint (slots[0].type, ==, IOC_JSON_NUMBER);
  /* The value points into doc, which is freed: copy the text to keep it. */
  gsize n = (gsize) (slots[0].end - slots[0].p);
  guint8 *copy = g_memdup2 (slots[0].p, n);
  slots[0].end = copy + n;
  slots[0].p = copy;
  return slots[0];
}

static void
test_integers (void)
{
  static const struct
  {
    const gchar *text;
    IocJsonIntResult want;
    gint64 value;
  } cases[] = {
    { "0", IOC_JSON_INT_OK, 0 },
    { "-17", IOC_JSON_INT_OK, -17 },
    { "999999999999999999", IOC_JSON_INT_OK, G_GINT64_CONSTANT (999999999999999999) },
    { "9223372036854775807", IOC_JSON_INT_OK, G_MAXINT64 },
    { "-9223372036854775807", IOC_JSON_INT_OK, -G_MAXINT64 },
    { "9223372036854775808", IOC_JSON_INT_TOO_LARGE, 0 },
    { "99999999999999999999", IOC_JSON_INT_TOO_LARGE, 0 },
    { "3.0", IOC_JSON_INT_OK, 3 },
    { "1e2", IOC_JSON_INT_OK, 100 },
    { "2.5", IOC_JSON_INT_NOT_INTEGER, 0 },
    { "1e400", IOC_JSON_INT_NOT_INTEGER, 0 },
    { "1e17", IOC_JSON_INT_TOO_LARGE, 0 },
  };
  gchar scratch[64];
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IocJsonVal v = number (cases[i].text);
      gint64 x = 0;
      {
        /* escaped: TAP output must stay valid UTF-8 */
        g_autofree gchar *shown = g_strescape (cases[i].text, NULL);
        g_test_message ("case %u: %s", i, shown);
      }
      g_assert_cmpint (ioc_json_number_int64 (&v, scratch, &x), ==, cases[i].want);
      if (cases[i].want == IOC_JSON_INT_OK)
        g_assert_cmpint (x, ==, cases[i].value);
      g_free ((gpointer) v.p);
    }
}

/* Decimal numbers come out as the very double strtod makes of them,
 * whichever path the scanner takes (short decimals skip strtod). */
static void
test_numbers_exact (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (766);
  static const gchar *const fixed[] = { "0", "0.0", "12.5", "0.1", "0.3", "1.7976931348623157", "123456789012345",
                                        "1234567890123456", "12345678901234567", "9007199254740993",
                                        "0.000000000000001", "3.14159265358979", "2.5e1", "1E2", "100.000",
                                        "-0.5", "1e999" };
  gchar scratch[64];
  for (guint i = 0; i < G_N_ELEMENTS (fixed) + 20000; i++)
    {
      gchar num[64];
      if (i < G_N_ELEMENTS (fixed))
        g_strlcpy (num, fixed[i], sizeof num);
      else
        ioc_test_random_decimal (rng, num);
      IocJsonVal v = number (num);
      gdouble got = ioc_json_number_double (&v, scratch);
      gdouble want = g_ascii_strtod (num, NULL);
      g_free ((gpointer) v.p);
      if (memcmp (&got, &want, sizeof want) != 0)
        g_error ("%s: read %.17g, strtod %.17g", num, got, want);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/json-scan/grammar", test_grammar);
  g_test_add_func ("/ioc/json-scan/known-keys", test_known_keys);
  g_test_add_func ("/ioc/json-scan/utf8", test_utf8);
  g_test_add_func ("/ioc/json-scan/integers", test_integers);
  g_test_add_func ("/ioc/json-scan/numbers-exact", test_numbers_exact);
  return g_test_run ();
}
