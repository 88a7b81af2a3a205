/* test-remote-config.c — a pushed connector config that survives restarts,
 * and the version every connector runs, as the ops team sees it.
 *
 * Unit part (no broker): what ioc_remote_config_persist() writes and when
 * ioc_remote_config_restore() prefers it over the config file.
 *
 * Integration part: a real mosquitto, iochub, ioc-connector (desk, polling
 * a queue system served by this test) and the iocctl binary.  The file's
 * version shows in /api/v1/connectors and `iocctl connectors`; `iocctl
 * push-config` changes the counter mapping live, the new version shows, the
 * config is kept in state_dir; a push the connector's checks refuse is not
 * published, one the running connector rejects is cleared from the topic,
 * and neither changes anything on disk.
 * Then the connector is killed with SIGKILL, the broker stopped, the
 * connector started again: its log says it runs the kept pushed config
 * with no broker, and once the broker is back its tickets follow the pushed
 * mapping and its status carries the pushed version.
 *
 * Single-threaded (the collector runs on Paho's threads). */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "aggregate/device-health.h"
#include "connector-harness.h"
#include "ingest/decoder.h"
#include "kinds/kinds.h"
#include "lib/connector.h"
#include "lib/remote-config.h"
#include "test-broker.h"
#include "test-hub.h"
#include "test-source.h"
#include "test-util.h"

#define CONNECTOR_ID "desk-q-xa-16681"

static const gchar *desk_group_fmt =
  "url = http://127.0.0.1:%u/api/queue/events\ncursor_param = after\n"
  "type_field = event\nts_field = time\ntype.CALL = ticket.called\n"
  "map.ticket = ticket_no\nmap.counter = %s\nmap.wait_s = wait_seconds\n";

static gchar *
desk_conf (const gchar *dir, const gchar *broker_url, guint source_port, const gchar *counter_field,
           const gchar *extra)
{
  g_autofree gchar *group = g_strdup_printf (desk_group_fmt, source_port, counter_field);
  return g_strdup_printf ("[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = q-xa-16681\n"
                          "state_dir = %s/state\nstatus_interval = 1s\npoll_interval = 200ms\nseq_block = 100\n"
                          "[mqtt]\nurl = %s\n[desk]\n%s%s",
                          dir, broker_url, group, extra ? extra : "");
}

static gchar *
version_of (const gchar *text)
{
  return ioc_remote_config_version (text, strlen (text));
}

/* ───────────── unit: persist and restore ───────────── */

static IocConnectorConfig *
load_conf (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  IocConnectorConfig *cfg = ioc_connector_config_load (path, &error);
  g_assert_no_error (error);
  return cfg;
}

static void
test_persist_restore (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-remote-config-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree gchar *state = g_build_filename (dir, "state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (state, 0750), ==, 0);
  g_autofree gchar *path = g_build_filename (dir, "connector.conf", NULL);
  g_autofree gchar *file_text = desk_conf (dir, "tcp://127.0.0.1:1", 9, "quay", NULL);
  g_assert_true (g_file_set_contents (path, file_text, -1, NULL));
  g_autofree gchar *pushed_text = desk_conf (dir, "tcp://127.0.0.1:1", 9, "window", NULL);
  g_autofree gchar *pushed_version = version_of (pushed_text);
  g_autofree gchar *kept = g_build_filename (state, IOC_REMOTE_CONFIG_FILE, NULL);
  const IocConnectorKind *desk = ioc_connector_find_kind (ioc_connector_kinds, "desk");

  /* Nothing kept: the file runs. */
  g_autoptr (IocConnectorConfig) file_cfg = load_conf (path);
  gpointer kstate = NULL;
  gchar *version = NULL;
  g_assert_null (ioc_remote_config_restore (file_cfg, desk, &kstate, &version));
  g_assert_null (kstate);
  g_assert_null (version);

  /* Kept atomically: no temporary left, the bytes and both versions in it. */
  g_assert_true (ioc_remote_config_persist (file_cfg, pushed_text, strlen (pushed_text), pushed_version, &error));
  g_assert_no_error (error);
  g_autofree gchar *tmp = g_strconcat (kept, ".tmp", NULL);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  {
    g_autoptr (JsonParser) p = json_parser_new ();
    g_assert_true (json_parser_load_from_file (p, kept, &error));
    JsonObject *o = json_node_get_object (json_parser_get_root (p));
    g_assert_cmpstr (json_object_get_string_member (o, "version"), ==, pushed_version);
    g_autofree gchar *file_version = version_of (file_text);
    g_assert_cmpstr (json_object_get_string_member (o, "file_version"), ==, file_version);
    g_assert_cmpstr (json_object_get_string_member (o, "config"), ==, pushed_text);
  }

  /* The file unchanged since the push: the pushed config is newer and runs. */
  g_autoptr (IocConnectorConfig) restored = ioc_remote_config_restore (file_cfg, desk, &kstate, &version);
  g_assert_nonnull (restored);
  g_assert_nonnull (kstate);
  g_assert_cmpstr (version, ==, pushed_version);
  g_assert_cmpstr (restored->path, ==, path);
  g_assert_cmpstr (restored->id, ==, CONNECTOR_ID);
  gchar *counter = ioc_keyfile_string (restored->kf, "desk", "map.counter", NULL, FALSE, NULL);
  g_assert_cmpstr (counter, ==, "window");
  g_free (counter);
  desk->free (kstate);
  g_clear_pointer (&version, g_free);

  /* A kept copy that is not what a push writes: reported, the file runs. */
  g_autofree gchar *saved = NULL;
  g_assert_true (g_file_get_contents (kept, &saved, NULL, NULL));
  g_assert_true (g_file_set_contents (kept, "{\"config\":", -1, NULL));
  g_test_expect_message ("ioc-connector", G_LOG_LEVEL_WARNING, "*" IOC_REMOTE_CONFIG_FILE ": expected*ignored*");
  g_assert_null (ioc_remote_config_restore (file_cfg, desk, &kstate, &version));
  g_test_assert_expected_messages ();
  g_assert_true (g_file_set_contents (kept, saved, -1, NULL));

  /* The file edited after the push: the file is newer, the kept copy goes. */
  g_autofree gchar *edited = desk_conf (dir, "tcp://127.0.0.1:1", 9, "quay", "# edited on site\n");
  g_assert_true (g_file_set_contents (path, edited, -1, NULL));
  g_autoptr (IocConnectorConfig) edited_cfg = load_conf (path);
  g_assert_null (ioc_remote_config_restore (edited_cfg, desk, &kstate, &version));
  g_assert_null (kstate);
  g_assert_false (g_file_test (kept, G_FILE_TEST_EXISTS));

  ioc_test_rm_rf (dir);
}

/* ───────────── unit: the hub keeps each connector's version ───────────── */

static void
record_status (IocDecoder *dec, IocDeviceHealth *dh, const gchar *payload)
{
  const gchar *topic = "ioc/v1/40/xa-16681/desk/q-xa-16681/status";
  const IocRecord *rec = NULL;
  const gchar *detail = NULL;
  IocReject r = ioc_decoder_decode (dec, topic, strlen (topic), (const guint8 *) payload, strlen (payload), &rec,
                                    &detail);
  g_assert_cmpint (r, ==, IOC_REJECT_NONE);
  ioc_device_health_record (dh, rec, "xa-16681", rec->ts_us);
}

static void
version_cb (const IocConnectorInfo *info, gpointer data)
{
  g_free (*(gchar **) data);
  *(gchar **) data = g_strdup (info->config_version ? info->config_version : "(none)");
}

static gchar *
health_version (IocDeviceHealth *dh)
{
  gchar *v = NULL;
  ioc_device_health_foreach_connector (dh, 0, version_cb, &v);
  return v;
}

static void
test_health_keeps_version (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  g_autoptr (IocDeviceHealth) dh = ioc_device_health_new ();
  record_status (dec, dh, "{\"v\":1,\"seq\":1,\"ts\":1772413200000,\"counters_open\":2}");
  g_autofree gchar *none = health_version (dh);
  g_assert_cmpstr (none, ==, "(none)");
  record_status (dec, dh, "{\"v\":1,\"seq\":2,\"ts\":1772413260000,\"config_version\":\"3fa0d0e84f43\"}");
  /* An older status replayed from a connector's buffer does not win; a
   * version of another type is ignored like any unknown field. */
  record_status (dec, dh, "{\"v\":1,\"seq\":3,\"ts\":1772413000000,\"config_version\":\"000000000000\"}");
  record_status (dec, dh, "{\"v\":1,\"seq\":4,\"ts\":1772413300000,\"config_version\":7}");
  g_autofree gchar *v = health_version (dh);
  g_assert_cmpstr (v, ==, "3fa0d0e84f43");

  /* Through the hub's snapshot section. */
  g_autoptr (GByteArray) snap = g_byte_array_new ();
  ioc_device_health_save (dh, snap);
  g_autoptr (IocDeviceHealth) restored = ioc_device_health_new ();
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_device_health_load (restored, snap->data, snap->len, &error));
  g_assert_no_error (error);
  g_autofree gchar *rv = health_version (restored);
  g_assert_cmpstr (rv, ==, "3fa0d0e84f43");
}

/* ───────────── integration: push, kill, broker away, restart ───────────── */

typedef struct
{
  IocTestBroker *broker;
  IocTestHub *hub;
  IocTestCollector *collector;
  IocTestConnector conn;
  gchar *dir;
  IocTestSource *source; /* the desk's source system */
} Fixture;

/* A vendor's CALL event with both a "quay" and a "window": the config
 * decides which one becomes the counter. */
static void
add_desk_events (Fixture *f, guint n)
{
  for (guint k = 0; k < n; k++)
    ioc_test_source_add_desk_call (f->source);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  ioc_test_broker_let_persist (ioc_test_broker_port (f->broker));
  f->collector = ioc_test_collector_new (ioc_test_broker_url (f->broker), &error);
  g_assert_no_error (error);
  f->hub = ioc_test_hub_new (ioc_test_broker_url (f->broker), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_hub_start (f->hub, &error));
  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("ioc-remote-config-XXXXXX", &error);
  g_assert_no_error (error);
  f->source = ioc_test_source_new (&error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (g_test_failed ())
    ioc_test_connector_dump_log (&f->conn);
  ioc_test_connector_clear (&f->conn);
  g_clear_pointer (&f->source, ioc_test_source_free);
  ioc_test_hub_free (f->hub);
  ioc_test_collector_free (f->collector);
  ioc_test_broker_free (f->broker);
  ioc_test_rm_rf (f->dir);
  g_free (f->dir);
}

/* Runs iocctl; its exit status, (transfer full) stdout. */
static gint
iocctl (gchar **out, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) IOCCTL_BIN);
  va_list ap;
  va_start (ap, out);
  for (const gchar *a; (a = va_arg (ap, const gchar *)) != NULL;)
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *err = NULL;
  gint status;
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status,
                               &error));
  g_assert_no_error (error);
  g_test_message ("iocctl %s:\n%s%s", (gchar *) argv->pdata[1], *out, err);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

typedef struct
{
  Fixture *f;
  const gchar *want; /* config_version */
} WantApiVersion;

/* The connector's config_version in /api/v1/connectors, or NULL. */
static gchar *
api_version (Fixture *f)
{
  glong status = 0;
  g_autofree gchar *body = ioc_test_hub_get (f->hub, "/api/v1/connectors", &status);
  if (body == NULL || status != 200)
    return NULL;
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, body, -1, NULL))
    return NULL;
  JsonArray *a = json_object_get_array_member (json_node_get_object (json_parser_get_root (p)), "connectors");
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (o, "kind", ""), "desk") == 0
          && g_strcmp0 (json_object_get_string_member_with_default (o, "device", ""), "q-xa-16681") == 0)
        return g_strdup (json_object_get_string_member_with_default (o, "config_version", NULL));
    }
  return NULL;
}

static gboolean
have_api_version (gpointer data)
{
  WantApiVersion *w = data;
  g_autofree gchar *v = api_version (w->f);
  return g_strcmp0 (v, w->want) == 0;
}

typedef struct
{
  Fixture *f;
  const gchar *counter_prefix; /* "\"counter\":\"w" */
  guint want;
} WantTickets;

static guint
count_tickets (Fixture *f, const gchar *counter_prefix)
{
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < recs->len; i++)
    {
      IocTestRecord *r = recs->pdata[i];
      if (g_strcmp0 (r->type, "ticket.called") == 0 && strstr (r->payload, counter_prefix))
        g_hash_table_add (seen, r->key);
    }
  return g_hash_table_size (seen);
}

static gboolean
have_tickets (gpointer data)
{
  WantTickets *w = data;
  return count_tickets (w->f, w->counter_prefix) >= w->want;
}

typedef struct
{
  const gchar *path;
  const gchar *needle;
} WantLog;

static gboolean
have_log_line (gpointer data)
{
  WantLog *w = data;
  g_autofree gchar *log = NULL;
  return g_file_get_contents (w->path, &log, NULL, NULL) && strstr (log, w->needle) != NULL;
}

typedef struct
{
  Fixture *f;
  guint from;        /* collector index */
  const gchar *want; /* "\"config_version\":\"…\"" */
} WantStatus;

static gboolean
have_status_since (gpointer data)
{
  WantStatus *w = data;
  g_autoptr (GPtrArray) msgs = ioc_test_collector_messages (w->f->collector);
  for (guint i = w->from; i < msgs->len; i++)
    {
      IocTestMsg *m = msgs->pdata[i];
      if (g_str_has_suffix (m->topic, "/desk/q-xa-16681/status") && strstr (m->payload, w->want))
        return TRUE;
    }
  return FALSE;
}

static void
test_push_kill_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const gchar *url = ioc_test_broker_url (f->broker);
  g_autofree gchar *hub_url = g_strdup_printf ("http://127.0.0.1:%u", ioc_test_hub_http_port (f->hub));

  /* The connector on site runs its file; the ops team's copy differs. */
  g_autofree gchar *file_text = desk_conf (f->dir, url, ioc_test_source_port (f->source), "quay", NULL);
  g_autofree gchar *file_version = version_of (file_text);
  g_autofree gchar *conf = g_build_filename (f->dir, "connector.conf", NULL);
  g_assert_true (g_file_set_contents (conf, file_text, -1, NULL));
  g_autofree gchar *central = g_build_filename (f->dir, "central", NULL);
  g_assert_cmpint (g_mkdir_with_parents (central, 0750), ==, 0);
  g_autofree gchar *central_conf = g_build_filename (central, CONNECTOR_ID ".conf", NULL);
  g_autofree gchar *pushed_text = desk_conf (f->dir, url, ioc_test_source_port (f->source), "window", NULL);
  g_autofree gchar *pushed_version = version_of (pushed_text);
  g_assert_true (g_file_set_contents (central_conf, pushed_text, -1, NULL));
  g_autofree gchar *kept = g_build_filename (f->dir, "state", IOC_REMOTE_CONFIG_FILE, NULL);

  add_desk_events (f, 5);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  g_assert_no_error (error);
  WantTickets quay = { f, "\"counter\":\"q", 5 };
  g_assert_true (ioc_test_wait (have_tickets, &quay, 20 * G_TIME_SPAN_SECOND));

  /* 1. The file's version, in the API and in iocctl connectors (which
   *    also says the ops team's copy is another one). */
  WantApiVersion wv = { f, file_version };
  g_assert_true (ioc_test_wait (have_api_version, &wv, 10 * G_TIME_SPAN_SECOND));
  g_autofree gchar *out = NULL;
  g_assert_cmpint (iocctl (&out, "connectors", "--url", hub_url, "--connectors", central, NULL), ==, 0);
  g_autofree gchar *differs = g_strdup_printf ("(config in %s: %s)", central, pushed_version);
  g_assert_nonnull (strstr (out, file_version));
  g_assert_nonnull (strstr (out, differs));
  g_assert_false (g_file_test (kept, G_FILE_TEST_EXISTS));

  /* 2. Push: applied live, its version everywhere, kept in state_dir. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (iocctl (&out, "push-config", CONNECTOR_ID, "--connectors", central, "--url", url, NULL), ==, 0);
  g_autofree gchar *applied = g_strdup_printf (CONNECTOR_ID ": applied: {\"ok\":true,\"version\":\"%s\"}",
                                               pushed_version);
  g_assert_nonnull (strstr (out, applied));
  wv.want = pushed_version;
  g_assert_true (ioc_test_wait (have_api_version, &wv, 10 * G_TIME_SPAN_SECOND));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (iocctl (&out, "connectors", "--url", hub_url, "--connectors", central, "--json", NULL), ==, 0);
  g_autofree gchar *json_member = g_strdup_printf ("\"config_version\" : \"%s\"", pushed_version);
  g_assert_nonnull (strstr (out, json_member));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (iocctl (&out, "connectors", "--url", hub_url, "--connectors", central, NULL), ==, 0);
  g_assert_nonnull (strstr (out, pushed_version));
  g_assert_null (strstr (out, "(config in"));
  add_desk_events (f, 5);
  WantTickets window = { f, "\"counter\":\"w", 5 };
  g_assert_true (ioc_test_wait (have_tickets, &window, 15 * G_TIME_SPAN_SECOND));
  g_autofree gchar *kept_after_push = NULL;
  g_assert_true (g_file_get_contents (kept, &kept_after_push, NULL, NULL));
  g_assert_nonnull (strstr (kept_after_push, pushed_version));

  /* 3. A file the connector's own checks refuse is not even published;
   *    one they pass but the running connector refuses (seq_block needs a
   *    restart) is rejected and taken off the topic.  Either way the old
   *    config stays, in memory and on disk. */
  g_autofree gchar *bad_text = desk_conf (f->dir, url, ioc_test_source_port (f->source), "window", "type.SERVE = camera.offline\n");
  g_assert_true (g_file_set_contents (central_conf, bad_text, -1, NULL));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (iocctl (&out, "push-config", CONNECTOR_ID, "--connectors", central, "--url", url, NULL), ==, 1);
  g_assert_null (strstr (out, "published"));
  g_autofree gchar *good_text = desk_conf (f->dir, url, ioc_test_source_port (f->source), "window", NULL);
  g_auto (GStrv) halves = g_strsplit (good_text, "seq_block = 100", 2);
  g_autofree gchar *restart_text = g_strjoinv ("seq_block = 200", halves);
  g_assert_true (g_file_set_contents (central_conf, restart_text, -1, NULL));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (iocctl (&out, "push-config", CONNECTOR_ID, "--connectors", central, "--url", url, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "REJECTED"));
  g_assert_nonnull (strstr (out, "[connector] seq_block: expected"));
  g_assert_nonnull (strstr (out, "cleared the refused config"));
  g_autofree gchar *kept_after_reject = NULL;
  g_assert_true (g_file_get_contents (kept, &kept_after_reject, NULL, NULL));
  g_assert_cmpstr (kept_after_reject, ==, kept_after_push);

  /* 4. SIGKILL, the broker goes away (no config retained on it any more),
   *    the connector starts again: from the kept pushed config, before any
   *    broker, and it says so. */
  ioc_test_connector_kill (&f->conn);
  ioc_test_broker_stop (f->broker);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  g_assert_no_error (error);
  g_autofree gchar *needle = g_strdup_printf ("starting with the pushed config %s", pushed_version);
  WantLog wl = { f->conn.log_path, needle };
  g_assert_true (ioc_test_wait (have_log_line, &wl, 10 * G_TIME_SPAN_SECOND));
  add_desk_events (f, 5); /* polled and buffered while the broker is away */
  g_usleep (G_USEC_PER_SEC);
  g_assert_true (ioc_test_connector_alive (&f->conn));

  /* 5. The broker is back: the new tickets follow the pushed mapping, the
   *    status carries the pushed version and the kept one stays. */
  g_autoptr (GPtrArray) before = ioc_test_collector_messages (f->collector);
  guint mark = before->len;
  g_assert_true (ioc_test_broker_restart (f->broker, &error));
  g_assert_no_error (error);
  window.want = 10;
  g_assert_true (ioc_test_wait (have_tickets, &window, 30 * G_TIME_SPAN_SECOND));
  g_assert_cmpuint (count_tickets (f, "\"counter\":\"q"), ==, 5);
  g_autofree gchar *status_member = g_strdup_printf ("\"config_version\":\"%s\"", pushed_version);
  WantStatus ws = { f, mark, status_member };
  g_assert_true (ioc_test_wait (have_status_since, &ws, 15 * G_TIME_SPAN_SECOND));
  g_assert_true (ioc_test_wait (have_api_version, &wv, 15 * G_TIME_SPAN_SECOND));
  g_autofree gchar *kept_at_end = NULL;
  g_assert_true (g_file_get_contents (kept, &kept_at_end, NULL, NULL));
  g_assert_cmpstr (kept_at_end, ==, kept_after_push);
  {
    g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
    ioc_test_check_seq (recs, 1); /* a SIGKILL may skip numbers, never reuse them */
  }
  g_assert_cmpint (ioc_test_connector_stop (&f->conn), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/remote-config/persist-restore", test_persist_restore);
  g_test_add_func ("/ioc/remote-config/health-keeps-version", test_health_keeps_version);
  g_test_add ("/ioc/remote-config/push-kill-restart", Fixture, NULL, fixture_setup, test_push_kill_restart,
              fixture_teardown);
  return g_test_run ();
}
