/* test-keyfile.c — typed config getters: defaults, ranges, and errors that
 * name the file, group, key and what was expected. */
#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-keyfile.h"

static IocKeyFile *
load (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  IocKeyFile *kf = ioc_keyfile_load_data ("test.conf", text, strlen (text), &error);
  g_assert_no_error (error);
  return kf;
}

static void
test_int_ranges (void)
{
  g_autoptr (IocKeyFile) kf = load ("[a]\nn = 5\nbig = 500\nword = five\nhash = 7 # seven\n");
  gint64 v = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_keyfile_int (kf, "a", "n", 1, 0, 10, &v, &error));
  g_assert_cmpint (v, ==, 5);
  g_assert_true (ioc_keyfile_int (kf, "a", "missing", 3, 0, 10, &v, &error));
  g_assert_cmpint (v, ==, 3);
  g_assert_true (ioc_keyfile_int (kf, "a", "hash", 0, 0, 10, &v, &error));
  g_assert_cmpint (v, ==, 7);
  g_assert_false (ioc_keyfile_int (kf, "a", "big", 1, 0, 10, &v, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "test.conf:3: [a] big: expected an integer from 0 to 10, got '500'"));
  g_clear_error (&error);
  /* A typo is an error, never a silent 0 (the mosquitto/atoi lesson). */
  g_assert_false (ioc_keyfile_int (kf, "a", "word", 1, 0, 10, &v, &error));
  g_assert_nonnull (strstr (error->message, "got 'five'"));
}

static void
test_durations_and_sizes (void)
{
  static const struct
  {
    const gchar *text;
    gboolean ok;
    gint64 us;
  } durations[] = {
    { "10s", TRUE, 10000000 }, { "500ms", TRUE, 500000 }, { "5m", TRUE, 300000000 },
    { "2h", TRUE, 7200000000 }, { "1d", TRUE, 86400000000 }, { "7", TRUE, 7000000 },
    { "1.5s", TRUE, 1500000 }, { "ten", FALSE, 0 }, { "5 parsecs", FALSE, 0 }, { "-3s", FALSE, 0 },
    { "nan", FALSE, 0 }, { "NaNm", FALSE, 0 }, { "infh", FALSE, 0 }, /* never a number */
  };
  for (guint i = 0; i < G_N_ELEMENTS (durations); i++)
    {
      gint64 us = 0;
      g_assert_cmpint (ioc_parse_duration (durations[i].text, &us), ==, durations[i].ok);
      if (durations[i].ok)
        g_assert_cmpint (us, ==, durations[i].us);
    }
  guint64 n = 0;
  g_assert_true (ioc_parse_size ("64KiB", &n));
  g_assert_cmpuint (n, ==, 65536);
  g_assert_true (ioc_parse_size ("2GiB", &n));
  g_assert_cmpuint (n, ==, 2147483648u);
  g_assert_false (ioc_parse_size ("2 lots", &n));
}

static void
test_unknown_key (void)
{
  g_autoptr (IocKeyFile) kf = load ("[mqtt]\nurl = tcp://x:1\nclinet_id = typo\n");
  const gchar *known[] = { "url", "client_id", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_false (ioc_keyfile_check_keys (kf, "mqtt", known, &error));
  g_assert_nonnull (strstr (error->message, "test.conf: [mqtt] clinet_id: unknown key"));
}

static void
test_syntax_error_names_line (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load_data ("broken.conf", "[a]\nx = 1\nthis is not a key\n", 25, &error);
  g_assert_null (kf);
  g_assert_nonnull (strstr (error->message, "broken.conf:3: "));
}

/* Vietnamese names are welcome; bytes that are not UTF-8 (a file saved in
 * a legacy code page, a stray NUL) are refused at their line and column. */
static void
test_not_utf8_names_line (void)
{
  g_autoptr (GError) error = NULL;
  const gchar ok[] = "[a]\nname = Ph\xc6\xb0\xe1\xbb\x9dng Th\xc3\xa0nh Vinh\n";
  g_autoptr (IocKeyFile) good = ioc_keyfile_load_data ("ok.conf", ok, sizeof ok - 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (good);
  const gchar latin1[] = "[a]\nx = 1\nname = Ph\xc6\xb0\xf9\n";
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load_data ("legacy.conf", latin1, sizeof latin1 - 1, &error);
  g_assert_null (kf);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
  /* "Phư" is three characters, four bytes: the column counts characters */
  g_assert_cmpstr (error->message, ==, "legacy.conf:3: not UTF-8 text (byte 0xf9 at column 11); save the file as UTF-8");
  g_clear_error (&error);
  const gchar nul[] = "[a]\nx = 1\0\n";
  g_autoptr (IocKeyFile) kf2 = ioc_keyfile_load_data ("nul.conf", nul, sizeof nul - 1, &error);
  g_assert_null (kf2);
  g_assert_nonnull (strstr (error->message, "nul.conf:2: not UTF-8 text (byte 0x00 at column 6)"));
}

static void
test_lines (void)
{
  /* Blank lines, comments, indentation, CRLF, a group written twice, a key
   * written twice (GKeyFile keeps the last), spaces around '='. */
  g_autoptr (IocKeyFile) kf = load ("# top\n"
                                    "\n"
                                    "[a]\n"
                                    "  x = 1\r\n"
                                    "y=2 # note\n"
                                    "[b c]\n"
                                    "\tz   =3\n"
                                    "[a]\n"
                                    "x = 4\n");
  g_assert_cmpuint (ioc_keyfile_group_line (kf, "a"), ==, 3);
  g_assert_cmpuint (ioc_keyfile_group_line (kf, "b c"), ==, 6);
  g_assert_cmpuint (ioc_keyfile_key_line (kf, "a", "x"), ==, 9);
  g_assert_cmpuint (ioc_keyfile_key_line (kf, "a", "y"), ==, 5);
  g_assert_cmpuint (ioc_keyfile_key_line (kf, "b c", "z"), ==, 7);
  g_assert_cmpuint (ioc_keyfile_key_line (kf, "a", "z"), ==, 0);
  g_assert_cmpuint (ioc_keyfile_group_line (kf, "nope"), ==, 0);
}

static void
test_collect_every_error (void)
{
  g_autoptr (IocKeyFile) kf = load ("[a]\n"           /* 1 */
                                    "n = many\n"      /* 2 */
                                    "ok = 3\n"        /* 3 */
                                    "flag = maybe\n"  /* 4 */
                                    "wait = soon\n"   /* 5 */
                                    "ratio = 1.5\n"   /* 6 */
                                    "nmae = typo\n"   /* 7 */
                                    "zzzzzz = far\n"); /* 8 */
  gint64 n = -1, ok = -1, wait = -1;
  gboolean flag = TRUE;
  gdouble ratio = -1;
  g_assert_false (ioc_keyfile_collect_int (kf, "a", "n", 7, 0, 10, &n));
  g_assert_cmpint (n, ==, 7); /* the default, never a half-parsed value */
  g_assert_true (ioc_keyfile_collect_int (kf, "a", "ok", 7, 0, 10, &ok));
  g_assert_cmpint (ok, ==, 3);
  g_assert_false (ioc_keyfile_collect_bool (kf, "a", "flag", FALSE, &flag));
  g_assert_false (flag);
  g_assert_false (ioc_keyfile_collect_duration (kf, "a", "wait", 1, 0, G_USEC_PER_SEC, &wait));
  g_assert_false (ioc_keyfile_collect_double (kf, "a", "ratio", 0.5, 0, 1, &ratio));
  g_assert_null (ioc_keyfile_collect_string (kf, "a", "name", NULL, TRUE));
  g_autofree gchar *opt = ioc_keyfile_collect_string (kf, "a", "opt", "dflt", FALSE);
  g_assert_cmpstr (opt, ==, "dflt");
  g_autofree gchar *missing = ioc_keyfile_collect_string (kf, "b", "k", NULL, TRUE);
  g_assert_null (missing);
  const gchar *known[] = { "n", "ok", "flag", "wait", "ratio", "name", NULL };
  g_assert_false (ioc_keyfile_collect_keys (kf, "a", known));
  g_assert_cmpuint (ioc_keyfile_n_problems (kf), ==, 8);

  g_autoptr (GError) error = NULL;
  g_assert_false (ioc_keyfile_problems_error (kf, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
  g_auto (GStrv) lines = g_strsplit (error->message, "\n", -1);
  static const gchar *const want[] = {
    "test.conf:2: [a] n: expected an integer from 0 to 10, got 'many'",
    "test.conf:4: [a] flag: expected true or false, got 'maybe'",
    "test.conf:5: [a] wait: expected a duration from 0s to 1s (e.g. 500ms, 10s, 5m, 2h), got 'soon'",
    "test.conf:6: [a] ratio: expected a number from 0 to 1, got '1.5'",
    "test.conf:1: [a] name: required key is missing", /* the group's line */
    "test.conf: [b] k: required key is missing",      /* no such group: no line */
    "test.conf:7: [a] nmae: unknown key; did you mean 'name'?",
    "test.conf:8: [a] zzzzzz: unknown key (known keys: n, ok, flag, wait, ratio, name)",
  };
  g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    g_assert_cmpstr (lines[i], ==, want[i]);
}

static void
test_problem_forms (void)
{
  g_autoptr (IocKeyFile) kf = load ("[g]\nk = 1\n");
  ioc_keyfile_problem (kf, "g", NULL, "expected %s", "something");
  ioc_keyfile_problem (kf, NULL, NULL, "whole file: %d", 3);
  ioc_keyfile_problem_at (kf, 2, "near here");
  g_autoptr (GError) error = NULL;
  g_assert_false (ioc_keyfile_problems_error (kf, &error));
  g_assert_cmpstr (error->message, ==,
                   "test.conf:1: [g]: expected something\ntest.conf: whole file: 3\ntest.conf:2: near here");
  g_autoptr (IocKeyFile) clean = load ("[g]\nk = 1\n");
  g_assert_true (ioc_keyfile_problems_error (clean, NULL));
}

static void
test_suggest (void)
{
  static const gchar *const keys[] = { "client_id", "url", "username", "password", "qos", "target", NULL };
  static const struct
  {
    const gchar *word;
    const gchar *want; /* NULL: no suggestion */
  } cases[] = {
    { "clinet_id", "client_id" }, /* swapped neighbours: one edit */
    { "CLIENT_ID", "client_id" }, /* case */
    { "urls", "url" },
    { "qoss", "qos" },
    { "traget", "target" },
    { "usernme", "username" },
    { "passwd", "password" },     /* two edits in an 8-letter word */
    { "q", NULL },                /* 2 edits from qos: too far for a short word */
    { "keepalive", NULL },
    { "", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (ioc_suggest (cases[i].word, keys), ==, cases[i].want);
  g_assert_cmpuint (ioc_edit_distance ("abc", "abc"), ==, 0);
  g_assert_cmpuint (ioc_edit_distance ("ab", "ba"), ==, 1);
  g_assert_cmpuint (ioc_edit_distance ("kitten", "sitting"), ==, 3);
  g_assert_cmpuint (ioc_edit_distance ("", "abc"), ==, 3);
  g_assert_null (ioc_suggest ("x", NULL));
}

static void
test_check_keys_suggests (void)
{
  g_autoptr (IocKeyFile) kf = load ("[mqtt]\nurl = tcp://x:1\nclinet_id = typo\n");
  const gchar *known[] = { "url", "client_id", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_false (ioc_keyfile_check_keys (kf, "mqtt", known, &error));
  g_assert_cmpstr (error->message, ==, "test.conf: [mqtt] clinet_id: unknown key; did you mean 'client_id'?");
}

static void
test_repeats (void)
{
  g_autoptr (IocKeyFile) kf = load ("[a]\nx = 1\n[b]\ny = 1\n[a]\nx = 2\nwho = 1\nwho = 2\nwho = 3\n");
  g_assert_false (ioc_keyfile_collect_repeats (kf));
  const gchar *known[] = { "x", "y", NULL };
  g_assert_false (ioc_keyfile_collect_keys (kf, "a", known)); /* `who` once, not three times */
  g_autoptr (GError) error = NULL;
  g_assert_false (ioc_keyfile_problems_error (kf, &error));
  g_assert_cmpstr (error->message, ==,
                   "test.conf:5: [a]: group written again (first on line 1); give each its own name\n"
                   "test.conf:6: [a] x: key written again (first on line 2); only the last would count\n"
                   "test.conf:8: [a] who: key written again (first on line 7); only the last would count\n"
                   "test.conf:9: [a] who: key written again (first on line 7); only the last would count\n"
                   "test.conf:9: [a] who: unknown key (known keys: x, y)");
  g_autoptr (IocKeyFile) clean = load ("[a]\nx = 1\n[b]\nx = 1\n");
  g_assert_true (ioc_keyfile_collect_repeats (clean));
}

/* A value written with GKeyFile's \n escape holds a line break; quoted in
 * an error, it stays on the error's line (escaped), and so does a problem
 * recorded with one. */
static void
test_one_line_errors (void)
{
  g_autoptr (IocKeyFile) kf = load ("[a]\nurl = tcp://host:18\\n83\n");
  static const gchar *const schemes[] = { "tcp", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *url = ioc_keyfile_url (kf, "a", "url", NULL, schemes, &error);
  g_assert_null (url);
  g_assert_nonnull (error);
  g_assert_null (strchr (error->message, '\n'));
  g_assert_nonnull (strstr (error->message, "test.conf:2: [a] url: "));
  g_assert_nonnull (strstr (error->message, "host:18\\n83"));
  ioc_keyfile_problem (kf, "a", "url", "got '%s'", "two\nlines");
  g_autoptr (GError) all = NULL;
  g_assert_false (ioc_keyfile_problems_error (kf, &all));
  g_assert_nonnull (strstr (all->message, "test.conf:2: [a] url: got 'two\\nlines'"));
  g_autofree gchar *flat = ioc_keyfile_one_line ("a\tb\rc\x01");
  g_assert_cmpstr (flat, ==, "a\tb\\rc\\x01");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/keyfile/int-ranges", test_int_ranges);
  g_test_add_func ("/ioc/keyfile/one-line-errors", test_one_line_errors);
  g_test_add_func ("/ioc/keyfile/durations-and-sizes", test_durations_and_sizes);
  g_test_add_func ("/ioc/keyfile/unknown-key", test_unknown_key);
  g_test_add_func ("/ioc/keyfile/syntax-error-names-line", test_syntax_error_names_line);
  g_test_add_func ("/ioc/keyfile/lines", test_lines);
  g_test_add_func ("/ioc/keyfile/collect-every-error", test_collect_every_error);
  g_test_add_func ("/ioc/keyfile/problem-forms", test_problem_forms);
  g_test_add_func ("/ioc/keyfile/not-utf8-names-line", test_not_utf8_names_line);
  g_test_add_func ("/ioc/keyfile/suggest", test_suggest);
  g_test_add_func ("/ioc/keyfile/check-keys-suggests", test_check_keys_suggests);
  g_test_add_func ("/ioc/keyfile/repeats", test_repeats);
  return g_test_run ();
}
