/* test-iocctl-unit.c — iocctl's pure parts: the mosquitto $7$ hash against
 * a vector made by mosquitto_passwd 2.0.11, connector config loading and its
 * errors, and the ACL broker-config writes.  No processes. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "iocctl-broker.h"
#include "iocctl-connector.h"

#define FIXTURES IOC_SOURCE_ROOT "/tests/ops/fixtures"

static void
test_hash_vector (void)
{
  /* mosquitto_passwd -b file alice secret wrote this line. */
  const gchar *want = "$7$101$XAtXjFvTT6fMuJPO$FmeQTmG8RcsGTkoVu/vopnk+E2nHPHZseuEsByv74Mbh9SpGMrvL551B8f8pD/hHsvzGCWTPe5FHUHfoqJmizQ==";
  gsize salt_len;
  g_autofree guint8 *salt = g_base64_decode ("XAtXjFvTT6fMuJPO", &salt_len);
  g_autofree gchar *got = ioc_ctl_mosquitto_hash ("secret", salt, salt_len, 101);
  g_assert_cmpstr (got, ==, want);
  g_autofree gchar *a = ioc_ctl_mosquitto_hash ("secret", NULL, 0, 101);
  g_autofree gchar *b = ioc_ctl_mosquitto_hash ("secret", NULL, 0, 101);
  g_assert_cmpstr (a, !=, b); /* random salts */
  g_assert_true (g_str_has_prefix (a, "$7$101$"));
}

static void
test_load_good (void)
{
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = ioc_ctl_connectors_load_dir (FIXTURES "/connectors-inventory", errors, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (errors->len, ==, 0);
  g_assert_cmpuint (list->len, ==, 3);
  IocCtlConnector *desk = ioc_ctl_connectors_find (list, "desk-a");
  g_assert_nonnull (desk);
  g_autofree gchar *pub = ioc_ctl_connector_publish_filter (desk);
  g_assert_cmpstr (pub, ==, "ioc/v1/40/xa-16681/desk/desk-a1/#");
  g_autofree gchar *cfg = ioc_ctl_connector_config_topic (desk);
  g_assert_cmpstr (cfg, ==, "ioc/v1/40/config/desk-a");
  IocCtlConnector *portal = ioc_ctl_connectors_find (list, "portal-p");
  g_autofree gchar *ppub = ioc_ctl_connector_publish_filter (portal);
  g_assert_cmpstr (ppub, ==, "ioc/v1/40/+/portal/portal-dvc/#");
  g_assert_null (ioc_ctl_connectors_find (list, "nope"));
}

static gboolean
has_error (GPtrArray *errors, const gchar *a, const gchar *b)
{
  for (guint i = 0; i < errors->len; i++)
    if (strstr (errors->pdata[i], a) && strstr (errors->pdata[i], b))
      return TRUE;
  return FALSE;
}

static void
test_load_bad (void)
{
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = ioc_ctl_connectors_load_dir (FIXTURES "/connectors-bad", errors, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < errors->len; i++)
    g_test_message ("%s", (gchar *) errors->pdata[i]);
  g_assert_true (has_error (errors, "a-no-unit.conf", "[connector] unit"));
  g_assert_true (has_error (errors, "b-bad-kind.conf", "expected one of desk, kiosk, camera, portal, or jsonl with [jsonl] publish_as, got 'printer'"));
  g_assert_true (has_error (errors, "d-dup.conf", "[connector] id: expected an id unique"));
  g_assert_true (has_error (errors, "e-syntax.conf", "e-syntax.conf"));
  g_assert_cmpuint (errors->len, ==, 4);
  /* f (another province), g (unknown unit) and h (a retired unit) load:
   * validate checks them against the hub. */
  g_assert_cmpuint (list->len, ==, 4);
}

static void
test_broker_files (void)
{
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) list = ioc_ctl_connectors_load_dir (FIXTURES "/connectors-inventory", errors, NULL);
  g_autofree gchar *dir = g_dir_make_tmp ("iocctl-unit-XXXXXX", NULL);
  const gchar *provinces[] = { "40", NULL };
  IocCtlBrokerOptions opts = { dir, "/etc/mosquitto/iochub", "iochub", "hubpw", provinces };
  g_autoptr (GString) report = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_ctl_broker_write (list, &opts, report, &error));
  g_assert_no_error (error);
  g_autofree gchar *acl_path = g_build_filename (dir, "acl", NULL);
  g_autofree gchar *pw_path = g_build_filename (dir, "passwd", NULL);
  g_autofree gchar *conf_path = g_build_filename (dir, "iochub-security.conf", NULL);
  g_autofree gchar *acl = NULL, *pw = NULL, *conf = NULL;
  g_assert_true (g_file_get_contents (acl_path, &acl, NULL, NULL));
  g_assert_true (g_file_get_contents (pw_path, &pw, NULL, NULL));
  g_assert_true (g_file_get_contents (conf_path, &conf, NULL, NULL));
  /* Each topic named in full; the portal's `+` never stands for the hub's
   * own topics (what mosquitto makes of it: test-broker-security). */
  g_assert_nonnull (strstr (acl, "user conn-desk-a\ntopic write ioc/v1/40/xa-16681/desk/desk-a1/event\n"
                                 "topic write ioc/v1/40/xa-16681/desk/desk-a1/status\n"
                                 "topic write ioc/v1/40/xa-16681/desk/desk-a1/state\n"
                                 "topic read ioc/v1/40/config/desk-a\ntopic write ioc/v1/40/config/desk-a/applied\n"));
  g_assert_nonnull (strstr (acl, "user conn-portal\ntopic deny ioc/v1/40/alerts/portal/portal-dvc/+\n"
                                 "topic deny ioc/v1/40/deadletter/portal/portal-dvc/+\n"
                                 "topic deny ioc/v1/40/rollup/portal/portal-dvc/+\n"
                                 "topic deny ioc/v1/40/config/portal/portal-dvc/+\n"
                                 "topic write ioc/v1/40/+/portal/portal-dvc/event\n"));
  g_assert_null (strstr (acl, "/#\ntopic read ioc/v1/40/config")); /* no connector's catch-all */
  g_assert_nonnull (strstr (acl, "user iochub\ntopic read ioc/v1/40/#\n"));
  g_assert_true (g_str_has_prefix (pw, "iochub:$7$101$"));
  g_assert_nonnull (strstr (pw, "\nconn-kiosk-b:$7$101$"));
  g_assert_null (strstr (pw, "pw-kiosk-b")); /* never in clear */
  g_assert_nonnull (strstr (conf, "allow_anonymous false\n"));
  g_assert_nonnull (strstr (conf, "per_listener_settings false\n"));
  g_assert_nonnull (strstr (conf, "password_file /etc/mosquitto/iochub/passwd\n"));
  g_assert_nonnull (strstr (conf, "acl_file /etc/mosquitto/iochub/acl\n"));
  g_assert_nonnull (strstr (conf, "#certfile"));
  GStatBuf st;
  g_assert_cmpint (g_stat (pw_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
  g_unlink (acl_path), g_unlink (pw_path), g_unlink (conf_path), g_rmdir (dir);
}

/* A unit named like a topic the hub publishes under would open that topic
 * to the connector: refused.  So is a connector without an account. */
static void
test_reserved_unit (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("iocctl-unit-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "x.conf", NULL);
  g_assert_true (g_file_set_contents (path, "[connector]\nkind = desk\nprovince = 40\nunit = alerts\ndevice = d1\n",
                                      -1, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (IocCtlConnector) c = ioc_ctl_connector_load (path, &error);
  g_assert_null (c);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "[connector] unit: expected a registry code, not one of the hub's topics"));
  g_unlink (path);

  /* A connector without a broker account: no files, the reason named. */
  g_assert_true (g_file_set_contents (path, "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = d1\n",
                                      -1, NULL));
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ioc_ctl_connector_free);
  g_ptr_array_add (list, ioc_ctl_connector_load (path, NULL));
  g_assert_nonnull (list->pdata[0]);
  g_autofree gchar *out = g_build_filename (dir, "out", NULL);
  const gchar *provinces[] = { "40", NULL };
  IocCtlBrokerOptions opts = { out, NULL, "iochub", "hubpw", provinces };
  g_autoptr (GString) report = g_string_new (NULL);
  g_clear_error (&error);
  g_assert_false (ioc_ctl_broker_write (list, &opts, report, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "[mqtt] username: expected the connector's broker username"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_unlink (path), g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/iocctl/hash-vector", test_hash_vector);
  g_test_add_func ("/iocctl/connectors/good", test_load_good);
  g_test_add_func ("/iocctl/connectors/bad", test_load_bad);
  g_test_add_func ("/iocctl/broker-files", test_broker_files);
  g_test_add_func ("/iocctl/reserved-unit", test_reserved_unit);
  return g_test_run ();
}
