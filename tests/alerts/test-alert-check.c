/* test-alert-check.c — `iochub --check --config FILE` also loads the alert
 * rules named by [hub] alerts: a good file is reported with its rule count,
 * a bad one fails with the config, the rule file, the [group] and the key
 * (integration suite: runs the real binary, no daemons). */
#include <glib.h>
#include <string.h>

#include "test-util.h"

static gint
run_check (const gchar *conf, gchar **out, gchar **err)
{
  const gchar *argv[] = { IOC_HUB_BIN, "--check", "--config", conf, NULL };
  gint status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static gchar *
write_conf (const gchar *dir, const gchar *alerts)
{
  gchar *path = g_build_filename (dir, "hub.conf", NULL);
  g_autofree gchar *text = g_strdup_printf (
      "[hub]\nprovince = 40\nid = check\nunits = %s/ops/units/nghe-an.csv\n"
      "calendar = %s/ops/calendar/vn-2026.conf\nstate_dir = %s/state\nalerts = %s\n"
      "[mqtt]\nurl = tcp://127.0.0.1:1\nclient_id = check\n",
      IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, dir, alerts);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
test_check_loads_rules (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-alert-check-XXXXXX", NULL);
  g_autofree gchar *shipped = g_build_filename (IOC_SOURCE_ROOT, "ops", "alerts.conf", NULL);
  g_autofree gchar *good = write_conf (dir, shipped);
  g_autofree gchar *out = NULL, *err = NULL;
  g_assert_cmpint (run_check (good, &out, &err), ==, 0);
  g_autofree gchar *ok_line = g_strdup_printf ("%s: OK (6 alert rules)", shipped);
  g_assert_nonnull (strstr (out, ok_line));

  g_autofree gchar *bad_rules = g_build_filename (dir, "alerts.conf", NULL);
  g_assert_true (g_file_set_contents (bad_rules,
                                      "[rule cam]\nkind = threshold\nmetric = ioc_device.cameras\nop = <\n"
                                      "value = 0.95\nclear = 0.5\n",
                                      -1, NULL));
  g_autofree gchar *bad = write_conf (dir, "alerts.conf");
  g_autofree gchar *out2 = NULL, *err2 = NULL;
  g_assert_cmpint (run_check (bad, &out2, &err2), ==, 1);
  g_assert_nonnull (strstr (err2, "hub.conf: [hub] alerts: "));
  g_assert_nonnull (strstr (err2, "alerts.conf: [rule cam] clear: expected a value ≥ value (0.95)"));

  g_autofree gchar *missing = write_conf (dir, "nowhere.conf");
  g_autofree gchar *out3 = NULL, *err3 = NULL;
  g_assert_cmpint (run_check (missing, &out3, &err3), ==, 1);
  g_assert_nonnull (strstr (err3, "nowhere.conf"));
  ioc_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-check/check-loads-rules", test_check_loads_rules);
  return g_test_run ();
}
