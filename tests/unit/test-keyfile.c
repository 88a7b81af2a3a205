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
  g_assert_nonnull (strstr (error->message, "test.conf: [a] big: expected an integer from 0 to 10, got '500'"));
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/keyfile/int-ranges", test_int_ranges);
  g_test_add_func ("/ioc/keyfile/durations-and-sizes", test_durations_and_sizes);
  g_test_add_func ("/ioc/keyfile/unknown-key", test_unknown_key);
  g_test_add_func ("/ioc/keyfile/syntax-error-names-line", test_syntax_error_names_line);
  return g_test_run ();
}
