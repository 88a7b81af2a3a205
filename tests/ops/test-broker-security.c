/* test-broker-security.c — `iocctl broker-config` against a real mosquitto.
 *
 * Generates the password file, ACL and include for the fixture connectors
 * (a desk, a kiosk, a portal), starts mosquitto with exactly those files on a
 * free loopback port, and proves with real clients: anonymous and wrong
 * passwords are refused; a connector cannot publish as another unit, device
 * or kind, nor read another connector's config topic; the portal may publish
 * its own device under any unit of its province; the hub reads everything.
 *
 * "Never arrives" is proven without sleeping: every forbidden publish is
 * followed by an allowed one from the same client (QoS 1, acknowledged), and
 * the observer must see the allowed one with nothing forbidden before it —
 * mosquitto handles one client's publishes in order.  mosquitto is stopped
 * by PID; its log is printed when a test fails.  Uses Paho's sync client. */
#include <MQTTClient.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test-util.h"

#define FIXTURES IOC_SOURCE_ROOT "/tests/ops/fixtures"

static gchar *dir, *url, *log_path;
static GSubprocess *broker;

static guint
free_port (void)
{
  g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (s, any, TRUE, NULL));
  g_autoptr (GSocketAddress) got = g_socket_get_local_address (s, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got));
}

static gboolean
port_open (guint port)
{
  g_autoptr (GSocketClient) c = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = g_socket_client_connect_to_host (c, "127.0.0.1", port, NULL, NULL);
  return conn != NULL;
}

static void
run_iocctl (const gchar *const *args, gint want_status, gchar **out)
{
  g_autoptr (GError) error = NULL;
  gint status;
  g_autofree gchar *err = NULL;
  g_assert_true (g_spawn_sync (NULL, (gchar **) args, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("iocctl stderr: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL) == (want_status == 0));
  if (want_status != 0)
    g_assert_cmpint (WEXITSTATUS (status), ==, want_status);
}

/* The declared connectors of the test: the fixtures plus a camera, so that
 * every kind has one; test_regenerate adds a jsonl connector. */
static const gchar camera_conf[] = "[connector]\nkind = camera\nid = cam-c\nprovince = 40\nunit = xa-16690\n"
                                   "device = cam-c1\n\n[mqtt]\nusername = conn-cam-c\npassword = pw-cam-c\n";
static const gchar jsonl_conf[] = "[connector]\nkind = jsonl\nid = file-j\nprovince = 40\nunit = xa-16681\n"
                                  "device = file-j1\n\n[mqtt]\nusername = conn-file-j\npassword = pw-file-j\n\n"
                                  "[jsonl]\npublish_as = kiosk\n";
static gchar *connectors_dir, *gen_dir, *broker_group;
static gboolean drops_to_mosquitto; /* root: the broker runs as user mosquitto, as on a Debian server */

static void
add_connector (const gchar *name, const gchar *text)
{
  g_autofree gchar *path = g_build_filename (connectors_dir, name, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
broker_config (const gchar *group)
{
  const gchar *args[] = { IOCCTL_BIN, "broker-config", "--connectors", connectors_dir, "--out", gen_dir,
                          "--hub-user", "iochub", "--hub-password", "hub-secret", group ? "--group" : NULL, group, NULL };
  g_autofree gchar *out = NULL;
  run_iocctl (args, 0, &out);
  g_test_message ("%s", out);
}

static void
start_broker (void)
{
  dir = g_dir_make_tmp ("iocctl-broker-XXXXXX", NULL);
  drops_to_mosquitto = getuid () == 0 && getpwnam ("mosquitto") != NULL && getgrnam ("mosquitto") != NULL;
  if (drops_to_mosquitto)
    g_assert_cmpint (g_chmod (dir, 0755), ==, 0); /* the broker's user reads its config in here */
  broker_group = drops_to_mosquitto ? g_strdup ("mosquitto") : g_strdup (getgrgid (getegid ())->gr_name);
  connectors_dir = g_build_filename (dir, "connectors", NULL);
  g_assert_cmpint (g_mkdir (connectors_dir, 0755), ==, 0);
  const gchar *names[] = { "desk-a.conf", "kiosk-b.conf", "portal-p.conf" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree gchar *from = g_build_filename (FIXTURES "/connectors-inventory", names[i], NULL);
      g_autofree gchar *text = NULL;
      g_assert_true (g_file_get_contents (from, &text, NULL, NULL));
      add_connector (names[i], text);
    }
  add_connector ("cam-c.conf", camera_conf);
  /* A first install: the directory is made by hand (as OPERATIONS.md
   * says), the files are given the broker's group. */
  gen_dir = g_build_filename (dir, "generated", NULL);
  g_assert_cmpint (g_mkdir (gen_dir, 0755), ==, 0);
  broker_config (broker_group);
  guint port = free_port ();
  url = g_strdup_printf ("tcp://127.0.0.1:%u", port);
  log_path = g_build_filename (dir, "mosquitto.log", NULL);
  g_autofree gchar *conf_path = g_build_filename (dir, "mosquitto.conf", NULL);
  /* Debian's layout: the main file includes conf.d, where the generated
   * include goes.  As root, mosquitto drops to its own user (Debian's
   * default) unless told otherwise. */
  g_autofree gchar *conf = g_strdup_printf ("%sinclude_dir %s\nlistener %u 127.0.0.1\npersistence false\n"
                                            "log_dest stderr\nlog_type all\n",
                                            drops_to_mosquitto ? "user mosquitto\n" : "", gen_dir, port);
  g_assert_true (g_file_set_contents (conf_path, conf, -1, NULL));
  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (l, log_path);
  g_autoptr (GError) error = NULL;
  g_subprocess_launcher_set_child_setup (l, ioc_test_die_with_test, NULL, NULL);
  broker = g_subprocess_launcher_spawn (l, &error, "mosquitto", "-c", conf_path, NULL);
  g_assert_no_error (error);
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (!port_open (port) && g_get_monotonic_time () < deadline && g_subprocess_get_identifier (broker))
    g_usleep (20 * 1000); /* waiting for a process to listen, not for an outcome */
  g_assert_true (port_open (port));
}

static void
stop_broker (gboolean failed)
{
  if (broker == NULL)
    return;
  g_subprocess_send_signal (broker, SIGTERM);
  g_subprocess_wait (broker, NULL, NULL);
  g_clear_object (&broker);
  if (failed)
    {
      g_autofree gchar *log = NULL;
      g_file_get_contents (log_path, &log, NULL, NULL);
      g_printerr ("---- mosquitto log (%s) ----\n%s\n----\n", log_path, log ? log : "");
    }
}

/* (transfer full) a connected client, or NULL with *rc the refusal. */
static MQTTClient
connect_as (const gchar *id, const gchar *user, const gchar *password, int *rc)
{
  MQTTClient c;
  g_assert_cmpint (MQTTClient_create (&c, url, id, MQTTCLIENT_PERSISTENCE_NONE, NULL), ==, MQTTCLIENT_SUCCESS);
  MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer;
  co.cleansession = 1;
  co.username = user;
  co.password = password;
  *rc = MQTTClient_connect (c, &co);
  if (*rc != MQTTCLIENT_SUCCESS)
    {
      MQTTClient_destroy (&c);
      return NULL;
    }
  return c;
}

static MQTTClient
must_connect (const gchar *id, const gchar *user, const gchar *password)
{
  int rc;
  MQTTClient c = connect_as (id, user, password, &rc);
  g_assert_cmpint (rc, ==, MQTTCLIENT_SUCCESS);
  return c;
}

static void
publish (MQTTClient c, const gchar *topic, const gchar *payload)
{
  MQTTClient_deliveryToken tok;
  g_assert_cmpint (MQTTClient_publish (c, topic, strlen (payload), payload, 1, 0, &tok), ==, MQTTCLIENT_SUCCESS);
  g_assert_cmpint (MQTTClient_waitForCompletion (c, tok, 5000), ==, MQTTCLIENT_SUCCESS);
}

static void
subscribe (MQTTClient c, const gchar *filter)
{
  g_assert_cmpint (MQTTClient_subscribe (c, filter, 1), ==, MQTTCLIENT_SUCCESS);
}

/* Receives until a message with payload sentinel; fails if any payload
 * starting with "forbidden" comes first.  Returns how many allowed
 * messages (payload "allowed…") came before, sentinel included. */
static guint
expect_until (MQTTClient c, const gchar *sentinel)
{
  guint allowed = 0;
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline)
    {
      char *topic = NULL;
      int tlen;
      MQTTClient_message *m = NULL;
      g_assert_cmpint (MQTTClient_receive (c, &topic, &tlen, &m, 1000), ==, MQTTCLIENT_SUCCESS);
      if (m == NULL)
        continue;
      g_autofree gchar *p = g_strndup (m->payload, m->payloadlen);
      g_test_message ("received %s: %s", topic, p);
      if (g_str_has_prefix (p, "forbidden"))
        g_error ("a forbidden message arrived on %s: %s", topic, p);
      gboolean done = g_str_equal (p, sentinel);
      allowed += g_str_has_prefix (p, "allowed");
      MQTTClient_freeMessage (&m);
      MQTTClient_free (topic);
      if (done)
        return allowed;
    }
  g_error ("sentinel '%s' never arrived", sentinel);
  return 0;
}

static void
disconnect (MQTTClient c)
{
  MQTTClient_disconnect (c, 1000);
  MQTTClient_destroy (&c);
}

static void
test_refused (void)
{
  int rc;
  g_assert_null (connect_as ("anon", NULL, NULL, &rc));
  g_assert_cmpint (rc, ==, 5); /* not authorised */
  g_assert_null (connect_as ("wrong", "conn-desk-a", "pw-kiosk-b", &rc));
  g_assert_cmpint (rc, ==, 5);
  g_assert_null (connect_as ("nobody", "nobody", "x", &rc));
  g_assert_cmpint (rc, ==, 5);
}

static void
test_publish_only_own_topics (void)
{
  MQTTClient hub = must_connect ("hub", "iochub", "hub-secret");
  subscribe (hub, "ioc/v1/#");
  MQTTClient desk = must_connect ("desk-a", "conn-desk-a", "pw-desk-a");
  publish (desk, "ioc/v1/40/xa-16690/desk/desk-a1/event", "forbidden: another unit");
  publish (desk, "ioc/v1/40/xa-16681/desk/desk-x9/event", "forbidden: another device");
  publish (desk, "ioc/v1/40/xa-16690/kiosk/kiosk-b1/event", "forbidden: as the kiosk");
  publish (desk, "ioc/v1/42/xa-16681/desk/desk-a1/event", "forbidden: another province");
  publish (desk, "ioc/v1/40/xa-16681/kiosk/desk-a1/event", "forbidden: another kind");
  publish (desk, "ioc/v1/40/config/kiosk-b", "forbidden: a config");
  publish (desk, "ioc/v1/40/config/kiosk-b/applied", "forbidden: another's answer");
  publish (desk, "ioc/v1/40/alerts/x/y", "forbidden: an alert");
  publish (desk, "ioc/v1/40/xa-16681/desk/desk-a1/event", "allowed: own event");
  publish (desk, "ioc/v1/40/config/desk-a/applied", "allowed: own answer");
  publish (desk, "ioc/v1/40/xa-16681/desk/desk-a1/status", "allowed: desk done");
  g_assert_cmpuint (expect_until (hub, "allowed: desk done"), ==, 3);

  MQTTClient portal = must_connect ("portal", "conn-portal", "pw-portal");
  publish (portal, "ioc/v1/40/xa-16681/portal/other-dvc/event", "forbidden: another portal device");
  publish (portal, "ioc/v1/42/xa-16681/portal/portal-dvc/event", "forbidden: another province");
  publish (portal, "ioc/v1/40/xa-16681/desk/portal-dvc/event", "forbidden: as a desk");
  publish (portal, "ioc/v1/40/xa-16681/portal/portal-dvc/event", "allowed: unit 1");
  publish (portal, "ioc/v1/40/xa-16690/portal/portal-dvc/event", "allowed: portal done");
  g_assert_cmpuint (expect_until (hub, "allowed: portal done"), ==, 2);
  disconnect (portal);
  disconnect (desk);
  disconnect (hub);
}

static void
test_config_topics (void)
{
  MQTTClient desk = must_connect ("desk-a", "conn-desk-a", "pw-desk-a");
  subscribe (desk, "ioc/v1/40/config/#"); /* asks for more than it may read */
  MQTTClient kiosk = must_connect ("kiosk-b", "conn-kiosk-b", "pw-kiosk-b");
  subscribe (kiosk, "ioc/v1/#");
  MQTTClient hub = must_connect ("hub", "iochub", "hub-secret");
  publish (hub, "ioc/v1/40/config/kiosk-b", "forbidden for desk: kiosk's config");
  publish (hub, "ioc/v1/40/config/desk-a", "allowed: desk's config");
  g_assert_cmpuint (expect_until (desk, "allowed: desk's config"), ==, 1);
  /* The kiosk got only its own config, not the desk's (nor any event). */
  publish (kiosk, "ioc/v1/40/xa-16690/kiosk/kiosk-b1/event", "kiosk event (may not read it back)");
  publish (hub, "ioc/v1/40/config/kiosk-b", "allowed: kiosk done");
  char *topic = NULL;
  int tlen;
  MQTTClient_message *m = NULL;
  guint got = 0;
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND; g_get_monotonic_time () < deadline;)
    {
      g_assert_cmpint (MQTTClient_receive (kiosk, &topic, &tlen, &m, 1000), ==, MQTTCLIENT_SUCCESS);
      if (m == NULL)
        continue;
      g_autofree gchar *p = g_strndup (m->payload, m->payloadlen);
      g_test_message ("kiosk received %s: %s", topic, p);
      g_assert_cmpstr (topic, ==, "ioc/v1/40/config/kiosk-b");
      got++;
      gboolean done = g_str_equal (p, "allowed: kiosk done");
      MQTTClient_freeMessage (&m);
      MQTTClient_free (topic);
      if (done)
        break;
    }
  g_assert_cmpuint (got, ==, 2);
  disconnect (hub);
  disconnect (kiosk);
  disconnect (desk);
}

/* QoS 0 is not waited for: the broker handles it in order before the
 * client's next QoS 1 publish, which is. */
static void
publish_retained (MQTTClient c, const gchar *topic, const gchar *payload, int qos)
{
  MQTTClient_deliveryToken tok;
  g_assert_cmpint (MQTTClient_publish (c, topic, strlen (payload), payload, qos, 1, &tok), ==, MQTTCLIENT_SUCCESS);
  if (qos > 0)
    g_assert_cmpint (MQTTClient_waitForCompletion (c, tok, 5000), ==, MQTTCLIENT_SUCCESS);
}

static void
assert_owner (const gchar *name, const struct stat *want, mode_t mode)
{
  g_autofree gchar *path = g_build_filename (gen_dir, name, NULL);
  struct stat st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_test_message ("%s: %u:%u %04o", path, (guint) st.st_uid, (guint) st.st_gid, (guint) (st.st_mode & 07777));
  g_assert_cmpuint (st.st_uid, ==, want->st_uid);
  g_assert_cmpuint (st.st_gid, ==, want->st_gid);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

/* A connector is added, the files are regenerated without --group (as an
 * ops person does on the second day) and mosquitto reloaded with SIGHUP:
 * the files keep the broker's group and their modes, the new connector and
 * an old one both log in. */
static void
test_regenerate (void)
{
  struct stat passwd_before, acl_before;
  g_autofree gchar *passwd_path = g_build_filename (gen_dir, "passwd", NULL);
  g_autofree gchar *acl_path = g_build_filename (gen_dir, "acl", NULL);
  g_assert_cmpint (g_stat (passwd_path, &passwd_before), ==, 0);
  g_assert_cmpint (g_stat (acl_path, &acl_before), ==, 0);
  g_assert_cmpuint (passwd_before.st_gid, ==, getgrnam (broker_group)->gr_gid);
  g_assert_cmpuint (passwd_before.st_mode & 07777, ==, 0640);
  int rc;
  g_assert_null (connect_as ("file-j", "conn-file-j", "pw-file-j", &rc)); /* not declared yet */

  add_connector ("file-j.conf", jsonl_conf);
  broker_config (NULL);
  assert_owner ("passwd", &passwd_before, 0640);
  assert_owner ("acl", &acl_before, acl_before.st_mode & 07777);
  g_autoptr (GDir) d = g_dir_open (gen_dir, 0, NULL);
  for (const gchar *name; (name = g_dir_read_name (d)) != NULL;)
    g_assert_false (name[0] == '.'); /* no temporary left behind */

  g_subprocess_send_signal (broker, SIGHUP);
  MQTTClient added = NULL;
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
       added == NULL && g_get_monotonic_time () < deadline && g_subprocess_get_identifier (broker);)
    if ((added = connect_as ("file-j", "conn-file-j", "pw-file-j", &rc)) == NULL)
      g_usleep (50 * 1000); /* until the broker has re-read its password file, bounded */
  g_assert_nonnull (added);
  MQTTClient old = must_connect ("desk-a-after-reload", "conn-desk-a", "pw-desk-a");
  MQTTClient hub = must_connect ("hub-after-reload", "iochub", "hub-secret");
  disconnect (hub);
  disconnect (old);
  disconnect (added);
}

/* Someone who cannot give the new files the old ones' owner (here: user
 * nobody, in a folder it may write, over files root owns) gets an error
 * and the old files stay exactly as they were, with no temporary left. */
static void
test_regenerate_refused (void)
{
  if (getuid () != 0 || getpwnam ("nobody") == NULL || !g_file_test ("/usr/bin/setpriv", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("needs root, user nobody and setpriv");
      return;
    }
  struct passwd *nobody = getpwnam ("nobody");
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0); /* nobody must reach its folder */
  g_autofree gchar *out_dir = g_build_filename (dir, "nobody-out", NULL);
  g_assert_cmpint (g_mkdir (out_dir, 0755), ==, 0);
  g_autofree gchar *conn_copy = g_build_filename (dir, "nobody-connectors", NULL);
  g_assert_cmpint (g_mkdir (conn_copy, 0755), ==, 0);
  const gchar *names[] = { "desk-a.conf", "passwd", "acl", "iochub-security.conf" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree gchar *from = i == 0 ? g_build_filename (connectors_dir, names[i], NULL)
                                      : g_build_filename (gen_dir, names[i], NULL);
      g_autofree gchar *to = g_build_filename (i == 0 ? conn_copy : out_dir, names[i], NULL);
      g_autofree gchar *text = NULL;
      g_assert_true (g_file_get_contents (from, &text, NULL, NULL));
      g_assert_true (g_file_set_contents (to, text, -1, NULL));
      g_assert_cmpint (g_chmod (to, 0644), ==, 0); /* nobody reads the connector (and may read these) */
    }
  g_assert_cmpint (chown (out_dir, nobody->pw_uid, nobody->pw_gid), ==, 0);
  g_autofree gchar *passwd_path = g_build_filename (out_dir, "passwd", NULL);
  g_autofree gchar *before = NULL;
  g_assert_true (g_file_get_contents (passwd_path, &before, NULL, NULL));
  g_autofree gchar *uid = g_strdup_printf ("--reuid=%u", (guint) nobody->pw_uid);
  g_autofree gchar *gid = g_strdup_printf ("--regid=%u", (guint) nobody->pw_gid);
  const gchar *args[] = { "/usr/bin/setpriv", uid, gid, "--clear-groups", IOCCTL_BIN, "broker-config", "--connectors",
                          conn_copy, "--out", out_dir, "--hub-user", "iochub", "--hub-password", "other", NULL };
  gint status;
  g_autofree gchar *err = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (gchar **) args, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                               &status, &error));
  g_assert_no_error (error);
  g_test_message ("as nobody: %s", err);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "cannot give it the owner and group of the file it replaces"));
  g_autofree gchar *after = NULL;
  g_assert_true (g_file_get_contents (passwd_path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, before);
  struct stat st;
  g_assert_cmpint (g_stat (passwd_path, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, 0);
  g_autoptr (GDir) d = g_dir_open (out_dir, 0, NULL);
  for (const gchar *name; (name = g_dir_read_name (d)) != NULL;)
    g_assert_false (name[0] == '.');
}

/* The include names its files by absolute paths, whatever --out was. */
static void
test_relative_out (void)
{
  const gchar *args[] = { IOCCTL_BIN, "broker-config", "--connectors", connectors_dir, "--out", "rel/out",
                          "--hub-user", "iochub", "--hub-password", "hub-secret", NULL };
  gint status;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (dir, (gchar **) args, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_autofree gchar *conf_path = g_build_filename (dir, "rel", "out", "iochub-security.conf", NULL);
  g_autofree gchar *conf = NULL;
  g_assert_true (g_file_get_contents (conf_path, &conf, NULL, NULL));
  g_autofree gchar *want_pw = g_strdup_printf ("\npassword_file %s/rel/out/passwd\n", dir);
  g_autofree gchar *want_acl = g_strdup_printf ("\nacl_file %s/rel/out/acl\n", dir);
  g_assert_nonnull (strstr (conf, want_pw));
  g_assert_nonnull (strstr (conf, want_acl));
}

typedef struct
{
  const gchar *id, *user, *password, *unit, *kind, *device;
} Declared;

/* Every kind of connector (the jsonl one publishes as a kiosk): nothing it
 * publishes under the hub's topics — alerts, dead letters, rollups, any
 * config topic but its own answer — reaches the hub's account, retained or
 * not; its own event, state, status and answer do. */
static void
test_every_kind_only_own_topics (void)
{
  static const Declared all[] = {
    { "desk-a", "conn-desk-a", "pw-desk-a", "xa-16681", "desk", "desk-a1" },
    { "kiosk-b", "conn-kiosk-b", "pw-kiosk-b", "xa-16690", "kiosk", "kiosk-b1" },
    { "cam-c", "conn-cam-c", "pw-cam-c", "xa-16690", "camera", "cam-c1" },
    { "portal-p", "conn-portal", "pw-portal", "xa-16681", "portal", "portal-dvc" },
    { "file-j", "conn-file-j", "pw-file-j", "xa-16681", "kiosk", "file-j1" },
  };
  MQTTClient hub = must_connect ("hub-kinds", "iochub", "hub-secret");
  subscribe (hub, "ioc/v1/#");
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      const Declared *c = &all[i];
      const gchar *other = g_str_equal (c->id, "desk-a") ? "kiosk-b" : "desk-a";
      g_autofree gchar *client_id = g_strdup_printf ("kinds-%s", c->id);
      MQTTClient m = must_connect (client_id, c->user, c->password);
      g_auto (GStrv) forbidden = g_new0 (gchar *, 16);
      guint n = 0;
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/alerts/%s/%s", c->kind, c->device);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/alerts/%s/%s/event", c->kind, c->device);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/alerts/connector-down/%s", c->device);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/deadletter/%s/%s", c->kind, c->device);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/deadletter/%s/%s/status", c->kind, c->device);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/rollup/%s", c->id);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/rollup/%s/%s/state", c->kind, c->device);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/config/%s", c->id); /* its own config: the hub's to write */
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/config/%s", other);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/config/%s/applied", other);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/config/%s/%s/event", c->kind, c->device);
      forbidden[n++] = g_strdup_printf ("ioc/v1/40/%s/%s/%s/event/deeper", c->unit, c->kind, c->device);
      for (guint f = 0; f < n; f++)
        {
          g_autofree gchar *payload = g_strdup_printf ("forbidden: %s on %s", c->id, forbidden[f]);
          publish_retained (m, forbidden[f], payload, f % 2); /* both QoS */
        }
      g_autofree gchar *event = g_strdup_printf ("ioc/v1/40/%s/%s/%s/event", c->unit, c->kind, c->device);
      g_autofree gchar *state = g_strdup_printf ("ioc/v1/40/%s/%s/%s/state", c->unit, c->kind, c->device);
      g_autofree gchar *status = g_strdup_printf ("ioc/v1/40/%s/%s/%s/status", c->unit, c->kind, c->device);
      g_autofree gchar *applied = g_strdup_printf ("ioc/v1/40/config/%s/applied", c->id);
      g_autofree gchar *done = g_strdup_printf ("allowed: %s done", c->id);
      publish (m, event, "allowed: event");
      publish_retained (m, state, "allowed: online", 1);
      publish (m, applied, "allowed: answer");
      publish_retained (m, status, done, 1);
      g_assert_cmpuint (expect_until (hub, done), ==, 4);
      disconnect (m);
    }
  disconnect (hub);
}

static gchar *first_on (const gchar *topic);

/* Plays the connector: waits for its config, checks it is the file's text,
 * answers on .../applied (not retained), and returns iocctl's output. */
static gchar *
push_and_answer (const gchar *answer, gint want_status)
{
  MQTTClient desk = must_connect ("desk-a-push", "conn-desk-a", "pw-desk-a");
  subscribe (desk, "ioc/v1/40/config/desk-a");
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) ctl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, IOCCTL_BIN, "push-config",
                                                  "desk-a", "--connectors", FIXTURES "/connectors-inventory", "--url", url,
                                                  "--username", "iochub", "--password", "hub-secret", "--timeout",
                                                  "20", NULL);
  g_assert_no_error (error);
  g_autofree gchar *want = NULL;
  g_assert_true (g_file_get_contents (FIXTURES "/connectors-inventory/desk-a.conf", &want, NULL, NULL));
  gboolean got = FALSE;
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND; !got && g_get_monotonic_time () < deadline;)
    {
      char *topic = NULL;
      int tlen;
      MQTTClient_message *m = NULL;
      g_assert_cmpint (MQTTClient_receive (desk, &topic, &tlen, &m, 1000), ==, MQTTCLIENT_SUCCESS);
      if (m == NULL)
        continue;
      if (!m->retained) /* a retained one is the previous push */
        {
          g_autofree gchar *p = g_strndup (m->payload, m->payloadlen);
          g_assert_cmpstr (p, ==, want);
          got = TRUE;
        }
      MQTTClient_freeMessage (&m);
      MQTTClient_free (topic);
    }
  g_assert_true (got);
  publish (desk, "ioc/v1/40/config/desk-a/applied", answer);
  g_autofree gchar *out = NULL;
  g_assert_true (g_subprocess_communicate_utf8 (ctl, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("iocctl push-config: %s", out);
  g_assert_cmpint (g_subprocess_get_exit_status (ctl), ==, want_status);
  disconnect (desk);
  return g_steal_pointer (&out);
}

static void
test_push_config (void)
{
  g_autofree gchar *ok = push_and_answer ("{\"ok\":true,\"version\":\"abc\"}", 0);
  g_assert_nonnull (strstr (ok, "desk-a: applied: {\"ok\":true"));
  g_autofree gchar *bad = push_and_answer ("{\"ok\":false,\"error\":\"[desk] poll: expected a duration\"}", 1);
  g_assert_nonnull (strstr (bad, "REJECTED"));
  g_assert_nonnull (strstr (bad, "expected a duration"));

  g_assert_nonnull (strstr (bad, "desk-a: cleared the refused config from ioc/v1/40/config/desk-a"));
  /* Refused, it is no longer retained: a new subscriber gets the hub's
   * next message first. */
  g_autofree gchar *first = first_on ("ioc/v1/40/config/desk-a");
  g_assert_cmpstr (first, ==, "sentinel");

  /* A config that does not validate is never published. */
  const gchar *args[] = { IOCCTL_BIN, "push-config", "b-bad-kind", "--connectors", FIXTURES "/connectors-bad", "--url",
                          url, NULL };
  g_autofree gchar *out = NULL;
  run_iocctl (args, 1, &out);
}

/* The first payload a new subscriber (the hub account) gets on topic after
 * subscribing, the hub then publishing "sentinel" there (not retained): a
 * retained message, if any, comes first. (transfer full) */
static gchar *
first_on (const gchar *topic)
{
  MQTTClient hub = must_connect ("hub-first-on", "iochub", "hub-secret");
  subscribe (hub, topic);
  publish (hub, topic, "sentinel");
  gchar *first = NULL;
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
       first == NULL && g_get_monotonic_time () < deadline;)
    {
      char *t = NULL;
      int tlen;
      MQTTClient_message *m = NULL;
      g_assert_cmpint (MQTTClient_receive (hub, &t, &tlen, &m, 1000), ==, MQTTCLIENT_SUCCESS);
      if (m == NULL)
        continue;
      first = g_strndup (m->payload, m->payloadlen);
      g_test_message ("first on %s: '%s'%s", t, first, m->retained ? " (retained)" : "");
      MQTTClient_freeMessage (&m);
      MQTTClient_free (t);
    }
  disconnect (hub);
  g_assert_nonnull (first);
  return first;
}

/* A file iocctl's own reading accepts but the kind's group does not (a desk
 * without its queue system's url): push-config refuses it with the
 * connector's own message, and nothing is retained on the config topic. */
static void
test_push_config_kind_group (void)
{
  g_autofree gchar *bad_dir = g_build_filename (dir, "push-bad", NULL);
  g_assert_cmpint (g_mkdir (bad_dir, 0755), ==, 0);
  g_autofree gchar *path = g_build_filename (bad_dir, "desk-z.conf", NULL);
  g_assert_true (g_file_set_contents (path,
                                      "[connector]\nkind = desk\nid = desk-z\nprovince = 40\nunit = xa-16681\n"
                                      "device = desk-z1\n\n[mqtt]\nusername = conn-desk-z\npassword = pw-desk-z\n\n"
                                      "[desk]\npoll_interval = 5s\n",
                                      -1, NULL));
  const gchar *args[] = { IOCCTL_BIN, "push-config", "desk-z", "--connectors", bad_dir, "--url", url, "--username",
                          "iochub", "--password", "hub-secret", "--timeout", "1", NULL };
  gint status;
  g_autofree gchar *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (gchar **) args, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("iocctl push-config: %s%s", out, err);
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_nonnull (strstr (err, "desk-z.conf: [desk] url: expected"));
  g_assert_nonnull (strstr (err, "nothing pushed"));
  g_autofree gchar *first = first_on ("ioc/v1/40/config/desk-z");
  g_assert_cmpstr (first, ==, "sentinel");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  start_broker ();
  g_test_add_func ("/broker-security/refused", test_refused);
  g_test_add_func ("/broker-security/publish-only-own-topics", test_publish_only_own_topics);
  g_test_add_func ("/broker-security/config-topics", test_config_topics);
  g_test_add_func ("/broker-security/regenerate-and-reload", test_regenerate);
  g_test_add_func ("/broker-security/regenerate-refused", test_regenerate_refused);
  g_test_add_func ("/broker-security/relative-out", test_relative_out);
  g_test_add_func ("/broker-security/every-kind-only-own-topics", test_every_kind_only_own_topics);
  g_test_add_func ("/broker-security/push-config", test_push_config);
  g_test_add_func ("/broker-security/push-config-kind-group", test_push_config_kind_group);
  int rc = g_test_run ();
  stop_broker (rc != 0);
  return rc;
}
