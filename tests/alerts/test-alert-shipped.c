/* test-alert-shipped.c — runs every rule test in ops/alerts-tests/ against
 * the shipped ops/alerts.conf, as `iochub --test-rules FILE` would, and
 * checks that a wrong expectation fails with a diff. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "alerts/alert-test.h"
#include "protocol/ioc-error.h"

static gint
cmp_name (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

static void
test_file (gconstpointer data)
{
  const gchar *path = data;
  g_autoptr (GString) report = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  gboolean ok = ioc_alert_test_rules (path, report, &error);
  if (!ok)
    g_printerr ("%s", report->str);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_failure_has_diff (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-alert-test-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "wrong.conf", NULL);
  g_autofree gchar *text = g_strdup_printf (
    "[test]\nrules = %s/ops/alerts.conf\n"
    "[series x]\nunit = ca-1\nmetric = overdue_dossier\ndossier = H40/1+2\nstart = 2026-04-21T10:00:00+07:00\n"
    "values = 1\n"
    "[expect wrong]\nat = 2026-04-21T10:05:00+07:00\nfiring = connector-down/desk/nothing\n",
    IOC_SOURCE_ROOT);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_autoptr (GString) report = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_assert_false (ioc_alert_test_rules (path, report, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_FAILED);
  g_assert_nonnull (strstr (report->str, "FAIL [expect wrong]"));
  g_assert_nonnull (strstr (report->str, "- firing connector-down/desk/nothing"));
  g_assert_nonnull (strstr (report->str, "+ firing zero-tolerance-police/ca-1/H40_1_2"));
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autofree gchar *dir = g_build_filename (IOC_SOURCE_ROOT, "ops", "alerts-tests", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *n;
  while ((n = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (n, ".conf"))
      g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, cmp_name);
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < names->len; i++)
    {
      gchar *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      g_ptr_array_add (keep, path);
      g_autofree gchar *tp = g_strdup_printf ("/ioc/alert-shipped/%s", (gchar *) g_ptr_array_index (names, i));
      g_test_add_data_func (tp, path, test_file);
    }
  g_test_add_func ("/ioc/alert-shipped/failure-has-diff", test_failure_has_diff);
  return g_test_run ();
}
