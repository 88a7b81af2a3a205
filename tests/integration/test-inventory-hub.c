/* test-inventory-hub.c — the declared inventory ([hub] connectors) with a
 * real mosquitto and iochub.
 *
 * Three declared connectors, of which one (a camera) never publishes, and
 * one publishing connector nobody declared.  After one cadence the silent
 * one is down in /api/v1/connectors and counted as expected but not
 * reporting (there and in the wall's device summary); a restart (SIGTERM,
 * then SIGKILL) finds it down at once, without a new cadence, since the
 * hub's start time is in its snapshot; a fourth file + SIGHUP grows the
 * inventory, a removed file + SIGHUP takes its connector away, a broken
 * file + SIGHUP is refused whole with FILE:LINE; the stray connector is
 * `undeclared` in the API and in `iocctl connectors`.  Every wait is a
 * bounded poll of the API or the log. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"

#define CADENCE_S 6

typedef struct
{
  JsonParser *parser;
  JsonObject *root;
} Api;

static void
api_clear (Api *a)
{
  g_clear_object (&a->parser);
  a->root = NULL;
}

static gboolean
api_get (IocTestHub *hub, const gchar *path, Api *a)
{
  api_clear (a);
  glong status = 0;
  g_autofree gchar *body = ioc_test_hub_get (hub, path, &status);
  if (body == NULL || status != 200)
    return FALSE;
  a->parser = json_parser_new ();
  if (!json_parser_load_from_data (a->parser, body, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (a->parser)))
    return FALSE;
  a->root = json_node_get_object (json_parser_get_root (a->parser));
  return TRUE;
}

/* The entry of kind/device in /api/v1/connectors, or NULL. */
static JsonObject *
connector (Api *a, const gchar *kind, const gchar *device)
{
  JsonArray *arr = json_object_get_array_member (a->root, "connectors");
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      if (g_str_equal (json_object_get_string_member (o, "kind"), kind)
          && g_str_equal (json_object_get_string_member (o, "device"), device))
        return o;
    }
  return NULL;
}

static gint64
total (Api *a, const gchar *name)
{
  return json_object_get_int_member (json_object_get_object_member (a->root, "totals"), name);
}

static gboolean
flag (JsonObject *o, const gchar *name)
{
  return o != NULL && json_object_get_boolean_member_with_default (o, name, FALSE);
}

typedef gboolean (*Check) (Api *a, gconstpointer data);

/* Polls /api/v1/connectors until check holds; bounded. */
static gboolean
wait_connectors (IocTestHub *hub, Api *a, Check check, gconstpointer data, gint64 timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  do
    {
      if (api_get (hub, "/api/v1/connectors", a) && check (a, data))
        return TRUE;
      g_usleep (100 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return FALSE;
}

static gboolean
all_heard (Api *a, gconstpointer data)
{
  JsonObject *qa = connector (a, "desk", "q-a"), *kb = connector (a, "kiosk", "k-b");
  JsonObject *stray = connector (a, "kiosk", "k-stray");
  return flag (qa, "reporting") && flag (kb, "reporting") && flag (stray, "reporting");
}

static gboolean
camera_down (Api *a, gconstpointer data)
{
  return flag (connector (a, "camera", "nvr-c"), "down");
}

static gboolean
expected_is (Api *a, gconstpointer data)
{
  return total (a, "expected") == GPOINTER_TO_INT (data);
}

/* What every view must say once the camera is down. */
static void
assert_camera_down (IocTestHub *hub, Api *a, gint64 expected)
{
  JsonObject *cam = connector (a, "camera", "nvr-c");
  g_assert_nonnull (cam);
  g_assert_true (flag (cam, "declared"));
  g_assert_false (flag (cam, "undeclared"));
  g_assert_false (flag (cam, "reporting"));
  g_assert_true (flag (cam, "down"));
  g_assert_true (json_object_get_null_member (cam, "last_seen_ms"));
  g_assert_cmpint (total (a, "expected"), ==, expected);
  g_assert_cmpint (total (a, "reporting"), ==, expected - 1);
  g_assert_cmpint (total (a, "down"), ==, 1);
  g_assert_cmpint (total (a, "undeclared"), ==, 1);
  JsonObject *stray = connector (a, "kiosk", "k-stray");
  g_assert_true (flag (stray, "undeclared"));
  g_assert_false (flag (stray, "declared"));
  g_assert_false (flag (stray, "down"));
  g_assert_true (flag (connector (a, "desk", "q-a"), "declared"));

  /* The wall's tile: the unit's device summary counts the camera as
   * expected and not reporting, and the stray kiosk in neither. */
  Api units = { 0 };
  g_assert_true (api_get (hub, "/api/v1/summary?unit=xa-16690", &units));
  JsonObject *dev = json_object_get_object_member (units.root, "devices");
  g_assert_nonnull (dev);
  g_assert_cmpint (json_object_get_int_member (dev, "connectors_expected"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (dev, "connectors_reporting"), ==, 0);
  g_assert_true (api_get (hub, "/api/v1/summary?unit=xa-16681", &units));
  dev = json_object_get_object_member (units.root, "devices");
  g_assert_cmpint (json_object_get_int_member (dev, "connectors_expected"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (dev, "connectors_reporting"), ==, 2);
  api_clear (&units);
}

static void
write_connector (const gchar *dir, const gchar *name, const gchar *kind, const gchar *unit, const gchar *device)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autofree gchar *text = g_strdup_printf ("[connector]\nkind = %s\nprovince = 40\nunit = %s\ndevice = %s\n",
                                            kind, unit, device);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

/* Bounded wait for needle in the hub's log. */
static gchar *
wait_log (IocTestHub *hub, const gchar *needle, gint64 timeout_s)
{
  g_autofree gchar *path = g_build_filename (ioc_test_hub_dir (hub), "hub.log", NULL);
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline)
    {
      g_autofree gchar *log = NULL;
      const gchar *p;
      if (g_file_get_contents (path, &log, NULL, NULL) && (p = strstr (log, needle)) != NULL)
        {
          const gchar *end = strchr (p, '\n');
          end = end && end[1] ? strchr (end + 1, '\n') : end; /* the message may run on a second line */
          return g_strndup (p, end ? (gsize) (end - p) : strlen (p));
        }
      g_usleep (100 * 1000);
    }
  return NULL;
}

static gchar *
run_iocctl (IocTestHub *hub, gint *exit_status)
{
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", ioc_test_hub_http_port (hub));
  g_autofree gchar *out = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *argv[] = { IOCCTL_BIN, "connectors", "--url", url, NULL };
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, exit_status,
                               &error));
  g_assert_no_error (error);
  return g_steal_pointer (&out);
}

static void
test_inventory (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autoptr (IocTestHub) hub = ioc_test_hub_new (ioc_test_broker_url (broker), NULL, NULL, &error);
  g_assert_no_error (error);

  g_autofree gchar *dir = g_build_filename (ioc_test_hub_dir (hub), "connectors", NULL);
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  write_connector (dir, "a-desk.conf", "desk", "xa-16681", "q-a");
  write_connector (dir, "b-kiosk.conf", "kiosk", "xa-16681", "k-b");
  write_connector (dir, "c-camera.conf", "camera", "xa-16690", "nvr-c");
  /* The inventory and a short cadence, in [hub]. */
  g_autofree gchar *conf = NULL;
  g_assert_true (g_file_get_contents (ioc_test_hub_conf_path (hub), &conf, NULL, NULL));
  g_autofree gchar *hub_keys = g_strdup_printf ("[hub]\nconnectors = %s\nconnector_cadence = %ds\n", dir, CADENCE_S);
  g_auto (GStrv) parts = g_strsplit (conf, "[hub]\n", 2);
  g_autofree gchar *fresh = g_strjoin (hub_keys, parts[0], parts[1], NULL);
  g_assert_true (g_file_set_contents (ioc_test_hub_conf_path (hub), fresh, -1, NULL));

  gint64 started = g_get_monotonic_time ();
  g_assert_true (ioc_test_hub_start (hub, &error));
  g_assert_no_error (error);
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "inventory-pub", &error);
  g_assert_no_error (error);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/q-a/state", "online", TRUE);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/kiosk/k-b/state", "online", TRUE);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/kiosk/k-stray/state", "online", TRUE);
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));

  Api a = { 0 };
  g_assert_true (wait_connectors (hub, &a, all_heard, NULL, 30));
  /* Within its first cadence the silent camera is expected, not yet down. */
  if (g_get_monotonic_time () - started < (CADENCE_S - 2) * G_TIME_SPAN_SECOND)
    {
      g_assert_true (flag (connector (&a, "camera", "nvr-c"), "declared"));
      g_assert_false (flag (connector (&a, "camera", "nvr-c"), "down"));
      g_assert_cmpint (total (&a, "expected"), ==, 3);
    }
  else
    g_test_message ("start-up took longer than the cadence: the grace was not observed");

  /* One cadence after start: down, expected but not reporting. */
  g_assert_true (wait_connectors (hub, &a, camera_down, NULL, CADENCE_S + 30));
  g_assert_cmpint (g_get_monotonic_time () - started, >=, CADENCE_S * G_TIME_SPAN_SECOND);
  assert_camera_down (hub, &a, 3);

  gint rc = 0;
  g_autofree gchar *table = run_iocctl (hub, &rc);
  g_test_message ("iocctl connectors:\n%s", table);
  g_assert_false (g_spawn_check_wait_status (rc, NULL)); /* a connector is down: exit 1 */
  g_auto (GStrv) lines = g_strsplit (table, "\n", -1);
  gboolean stray_row = FALSE, camera_row = FALSE;
  for (gchar **l = lines; *l; l++)
    {
      if (strstr (*l, "k-stray") != NULL)
        stray_row = strstr (*l, " undeclared ") != NULL && strstr (*l, "DOWN") == NULL;
      if (strstr (*l, "nvr-c") != NULL)
        camera_row = strstr (*l, " declared ") != NULL && strstr (*l, "DOWN") != NULL;
    }
  g_assert_true (stray_row);
  g_assert_true (camera_row);
  g_assert_true (g_str_has_prefix (table, "KIND") && strstr (lines[0], "INVENTORY") != NULL);

  /* Restart, clean then killed: still down at once (no new cadence). */
  g_assert_true (ioc_test_hub_stop (hub));
  for (guint round = 0; round < 2; round++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_assert_true (ioc_test_hub_start (hub, &error));
      g_assert_no_error (error);
      g_assert_true (wait_connectors (hub, &a, all_heard, NULL, 30));
      g_assert_true (api_get (hub, "/api/v1/connectors", &a));
      gint64 waited = g_get_monotonic_time () - t0;
      g_test_message ("restart %u: asked %.1f s after the start", round, waited / 1e6);
      if (waited < CADENCE_S * G_TIME_SPAN_SECOND)
        assert_camera_down (hub, &a, 3);
      else
        g_test_message ("restart %u took longer than a cadence: the persisted start was not observed", round);
      if (round == 0)
        ioc_test_hub_kill (hub);
    }

  /* A fourth file + SIGHUP: expected grows; the new one has its cadence. */
  write_connector (dir, "d-desk.conf", "desk", "xa-16690", "q-d");
  ioc_test_hub_signal (hub, SIGHUP);
  g_assert_true (wait_connectors (hub, &a, expected_is, GINT_TO_POINTER (4), 30));
  JsonObject *qd = connector (&a, "desk", "q-d");
  g_assert_true (flag (qd, "declared"));
  g_assert_false (flag (qd, "reporting"));

  /* A removed file + SIGHUP: the never-heard camera is gone. */
  g_autofree gchar *cam_path = g_build_filename (dir, "c-camera.conf", NULL);
  g_assert_cmpint (g_unlink (cam_path), ==, 0);
  ioc_test_hub_signal (hub, SIGHUP);
  g_assert_true (wait_connectors (hub, &a, expected_is, GINT_TO_POINTER (3), 30));
  g_assert_null (connector (&a, "camera", "nvr-c"));
  g_assert_nonnull (connector (&a, "desk", "q-d"));

  /* A broken file + SIGHUP: refused whole, the inventory stays as it was. */
  g_autofree gchar *bad = g_build_filename (dir, "e-broken.conf", NULL);
  g_assert_true (g_file_set_contents (bad, "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = Q E\n",
                                      -1, NULL));
  write_connector (dir, "f-desk.conf", "desk", "xa-16681", "q-f");
  ioc_test_hub_signal (hub, SIGHUP);
  g_autofree gchar *refused = wait_log (hub, "reload refused", 30);
  g_assert_nonnull (refused);
  g_test_message ("%s", refused);
  g_autofree gchar *where = g_strconcat (bad, ":5: [connector] device: expected", NULL);
  g_assert_nonnull (strstr (refused, where));
  g_assert_true (ioc_test_hub_is_running (hub));
  g_assert_true (api_get (hub, "/api/v1/connectors", &a));
  g_assert_cmpint (total (&a, "expected"), ==, 3);
  g_assert_null (connector (&a, "desk", "q-f"));
  api_clear (&a);
  g_assert_true (ioc_test_hub_stop (hub));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/integration/inventory", test_inventory);
  return g_test_run ();
}
