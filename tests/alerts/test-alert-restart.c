/* test-alert-restart.c — alerts keep their identity across a hub restart
 * (integration suite: a real mosquitto, the real iochub, a webhook
 * receiver; docs/ALERTS.md "Persistence").
 *
 * Three alerts fire, one of each kind whose data comes back differently
 * after a restart:
 *   - a threshold (satisfaction of xa-16738 below 50 %): its values come
 *     from minute points, which a restarted hub has none of until the next
 *     rating — "fresh" means a sample younger than max_age;
 *   - a unit spike (three dossiers of xa-16681 overdue today, fallback
 *     floor 3): the day's counts come back with the dossier tracker's
 *     snapshot;
 *   - a dead source (desk-1's retained state offline): device health's
 *     snapshot, and the persisted start time for its cadence.
 * The threshold is acknowledged, the dead source silenced.  Then the hub
 * is stopped with SIGTERM and started, and killed with SIGKILL and
 * started: each time, after it has evaluated its rules a few times with
 * MQTT connected, nothing was published on the alert topics, nothing was
 * paged, GET /api/v1/alerts lists the same alerts with the same ids,
 * fired_at, ack and silence, and the wall's feed carries the same alerts.  Fresh data then resolves them under their
 * old ids (the silenced one without a page). */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "alert-watch.h"
#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"
#include "test-util.h"

#define WAIT_US (20 * G_USEC_PER_SEC)
#define THRESHOLD "satisfaction-low/xa-16738"
#define SPIKE "overdue-spike-unit/xa-16681"
#define DEAD "connector-down/desk/desk-1"

static gchar *
http (guint port, const gchar *method, const gchar *path, const gchar *body, guint *status)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", "Bearer op-secret");
  if (body != NULL)
    {
      g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", b);
    }
  g_autoptr (GBytes) out = soup_session_send_and_read (session, msg, NULL, NULL);
  *status = soup_message_get_status (msg);
  return out ? g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out)) : g_strdup ("");
}

/* What must not change across a restart, per "rule/scope", one line each:
 * "rule/scope id=… state=… fired_at=… ack=… silenced=…". */
static gint
cmp_strp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

static gchar *
identities (guint port)
{
  guint status = 0;
  g_autofree gchar *body = http (port, "GET", "/api/v1/alerts", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, body, -1, NULL));
  JsonArray *alerts = json_object_get_array_member (json_node_get_object (json_parser_get_root (p)), "alerts");
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (alerts); i++)
    {
      JsonObject *a = json_array_get_object_element (alerts, i);
      JsonNode *ack = json_object_get_member (a, "ack");
      const gchar *by = ack && JSON_NODE_HOLDS_OBJECT (ack)
                            ? json_object_get_string_member (json_node_get_object (ack), "by") : "-";
      g_ptr_array_add (lines, g_strdup_printf ("%s/%s id=%s state=%s fired_at=%s ack=%s silenced=%d",
                                               json_object_get_string_member (a, "rule"),
                                               json_object_get_string_member (a, "scope"),
                                               json_object_get_string_member (a, "id"),
                                               json_object_get_string_member (a, "state"),
                                               json_object_get_string_member_with_default (a, "fired_at", "-"),
                                               by, json_object_get_boolean_member (a, "silenced")));
    }
  g_ptr_array_sort (lines, cmp_strp);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv ("\n", (gchar **) lines->pdata);
}

static gchar *
id_of (guint port, const gchar *rule_scope)
{
  g_autofree gchar *all = identities (port);
  g_autofree gchar *needle = g_strconcat (rule_scope, " id=", NULL);
  const gchar *at = strstr (all, needle);
  g_assert_nonnull (at);
  at += strlen (needle);
  return g_strndup (at, strcspn (at, " "));
}

/* The alerts of the wall's feed (what its rail shows), as JSON sorted by
 * id, without "value": a dead source's is its age, which moves anyway. */
static gchar *
wall_alerts (guint port)
{
  g_autoptr (JsonNode) snap = ioc_alert_feed_snapshot (port, NULL);
  JsonArray *alerts = json_object_get_array_member (json_node_get_object (snap), "alerts");
  g_assert_nonnull (alerts);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (alerts); i++)
    {
      json_object_remove_member (json_array_get_object_element (alerts, i), "value");
      g_ptr_array_add (items, json_to_string (json_array_get_element (alerts, i), FALSE));
    }
  g_ptr_array_sort (items, cmp_strp);
  g_ptr_array_add (items, NULL);
  return g_strjoinv ("\n", (gchar **) items->pdata);
}

static void
rating (IocTestPublisher *pub, guint *seq, gint64 ts_us, gint level)
{
  g_autofree gchar *payload = g_strdup_printf (
      "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"rating\",\"level\":%d,\"scale\":5,"
      "\"channel\":\"device\"}",
      ++*seq, ts_us / 1000, level);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16738/kiosk/kiosk-f/event", payload, FALSE);
}

static void
overdue_dossiers (IocTestPublisher *pub, guint *seq, guint n, gint64 due_us)
{
  gint64 now = g_get_real_time ();
  gint64 received = now - 10 * 60 * G_USEC_PER_SEC;
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *payload = g_strdup_printf (
          "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"dossier\",\"dossier\":\"000.00.40.H40-r-%04u\","
          "\"procedure\":\"1.001234\",\"state\":2,\"channel\":1,\"received_at\":%" G_GINT64_FORMAT
          ",\"due_at\":%" G_GINT64_FORMAT "}",
          ++*seq, received / 1000, i, received / 1000, due_us / 1000);
      ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/portal/portal-1/event", payload, FALSE);
    }
}

/* Serves the webhook receiver until the hub has run `rounds` more alert
 * evaluations with MQTT connected (bounded). */
static gboolean
wait_rounds (IocAlertWatch *w, IocTestHub *hub, gdouble rounds)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  gdouble first = -1;
  while (g_get_monotonic_time () < end)
    {
      gdouble n = ioc_test_hub_metric (hub, "iochub_alert_evaluations_total");
      if (ioc_test_hub_metric (hub, "iochub_mqtt_connected") == 1 && n >= 0)
        {
          if (first < 0)
            first = n;
          else if (n - first >= rounds)
            return TRUE;
        }
      ioc_alert_watch_serve (w, 100 * 1000);
    }
  g_printerr ("the hub did not evaluate its alert rules %g times within %d s with MQTT connected\n", rounds,
              (gint) (WAIT_US / G_USEC_PER_SEC));
  return FALSE;
}

static void
test_restart_keeps_alerts (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autoptr (IocAlertWatch) w = ioc_alert_watch_new (ioc_test_broker_url (broker), "40", &error);
  g_assert_no_error (error);

  g_autofree gchar *dir = g_dir_make_tmp ("ioc-alert-restart-XXXXXX", NULL);
  g_autofree gchar *rules = g_strdup_printf (
      "[alerts]\nwebhook_url = %s\nretry_min = 100ms\n"
      "[rule satisfaction-low]\nkind = threshold\nmetric = ioc_rating.satisfied\n"
      "denominator = ioc_rating.ratings\nop = <\nvalue = 0.5\nfor = 0s\nmax_age = 10m\nunits = xa-16738\n"
      "[rule overdue-spike-unit]\nkind = overdue_spike_unit\nmin_count = 3\nmin_share = 0.10\n"
      "[rule connector-down]\nkind = dead_source\ncadence = 1h\nfor = 0s\nsource_kinds = desk\n",
      ioc_alert_watch_hook_url (w));
  g_autofree gchar *extra = ioc_test_alerts_conf (dir, rules, TRUE, "[http]\noperator_tokens = op-secret\n");
  g_autoptr (IocTestHub) hub = ioc_test_hub_new (ioc_test_broker_url (broker), NULL, extra, &error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_hub_start (hub, &error));
  g_assert_no_error (error);
  guint port = ioc_test_hub_http_port (hub);

  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "restart-connectors",
                                                             &error);
  g_assert_no_error (error);
  guint seq_kiosk = 0, seq_portal = 0;
  /* A closed minute with one unhappy rating: its point goes out at once. */
  gint64 minute = g_get_real_time () / (60 * G_USEC_PER_SEC) * (60 * G_USEC_PER_SEC);
  rating (pub, &seq_kiosk, minute - 30 * G_USEC_PER_SEC, 1);
  overdue_dossiers (pub, &seq_portal, 3, g_get_real_time () + 2 * G_USEC_PER_SEC);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/desk-1/state", "offline", TRUE);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_USEC_PER_SEC));
  g_assert_true (ioc_alert_watch_wait_message (w, THRESHOLD " firing", 0, WAIT_US));
  g_assert_true (ioc_alert_watch_wait_message (w, SPIKE " firing", 0, WAIT_US));
  g_assert_true (ioc_alert_watch_wait_message (w, DEAD " firing", 0, WAIT_US));
  g_assert_true (ioc_alert_watch_wait_hook (w, THRESHOLD " firing", 0, WAIT_US));
  g_assert_true (ioc_alert_watch_wait_hook (w, SPIKE " firing", 0, WAIT_US));
  g_assert_true (ioc_alert_watch_wait_hook (w, DEAD " firing", 0, WAIT_US));

  /* An operator acks the threshold and silences the dead source. */
  g_autofree gchar *threshold_id = id_of (port, THRESHOLD);
  g_autofree gchar *dead_id = id_of (port, DEAD);
  g_autofree gchar *ack_path = g_strdup_printf ("/api/v1/alerts/%s/ack", threshold_id);
  guint status = 0;
  g_autofree gchar *r1 = http (port, "POST", ack_path, "{\"by\":\"Trần Thị Bình\",\"note\":\"gọi xã\"}", &status);
  g_assert_cmpuint (status, ==, 200);
  g_autofree gchar *r2 = http (port, "POST", "/api/v1/silences",
                               "{\"rule\":\"connector-down\",\"scope\":\"desk/*\",\"duration\":\"1h\",\"by\":\"Bình\"}",
                               &status);
  g_assert_cmpuint (status, ==, 201);
  g_assert_true (ioc_alert_watch_wait_message (w, THRESHOLD " firing acked", 0, WAIT_US));
  g_assert_true (wait_rounds (w, hub, 2));
  g_autofree gchar *before = identities (port);
  g_autofree gchar *wall_before = wall_alerts (port);
  g_assert_nonnull (strstr (before, THRESHOLD " id="));
  g_assert_nonnull (strstr (before, "ack=Trần Thị Bình"));
  g_assert_nonnull (strstr (before, SPIKE " id="));
  g_assert_nonnull (strstr (before, DEAD " id="));
  g_assert_nonnull (strstr (before, "silenced=1"));

  static const struct
  {
    gint signum;
    const gchar *name;
  } restarts[] = { { SIGTERM, "SIGTERM" }, { SIGKILL, "SIGKILL" } };
  for (guint k = 0; k < G_N_ELEMENTS (restarts); k++)
    {
      g_test_message ("restart after %s", restarts[k].name);
      guint n_messages = ioc_alert_watch_n_messages (w), n_hooks = ioc_alert_watch_n_hooks (w);
      if (restarts[k].signum == SIGTERM)
        g_assert_true (ioc_test_hub_stop (hub));
      else
        ioc_test_hub_kill (hub);
      g_assert_true (ioc_test_hub_start (hub, &error));
      g_assert_no_error (error);
      g_assert_true (wait_rounds (w, hub, 3));
      g_autofree gchar *published = ioc_alert_watch_messages_since (w, n_messages);
      g_autofree gchar *paged = ioc_alert_watch_hooks_since (w, n_hooks);
      g_assert_cmpstr (published, ==, "");
      g_assert_cmpstr (paged, ==, "");
      g_autofree gchar *after = identities (port);
      g_assert_cmpstr (after, ==, before);
      g_autofree gchar *wall_after = wall_alerts (port);
      g_assert_cmpstr (wall_after, ==, wall_before);
    }

  /* Fresh data: the ratings turn happy, desk-1 comes back. */
  guint n_messages = ioc_alert_watch_n_messages (w), n_hooks = ioc_alert_watch_n_hooks (w);
  minute = g_get_real_time () / (60 * G_USEC_PER_SEC) * (60 * G_USEC_PER_SEC);
  for (guint i = 0; i < 4; i++)
    rating (pub, &seq_kiosk, minute - 30 * G_USEC_PER_SEC, 5);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/desk-1/state", "online", TRUE);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_USEC_PER_SEC));
  g_assert_true (ioc_alert_watch_wait_message (w, THRESHOLD " resolved acked", n_messages, WAIT_US));
  g_assert_true (ioc_alert_watch_wait_message (w, DEAD " resolved", n_messages, WAIT_US));
  g_autoptr (JsonObject) t = ioc_alert_watch_latest (w, THRESHOLD);
  g_assert_cmpstr (json_object_get_string_member (t, "id"), ==, threshold_id);
  g_autoptr (JsonObject) d = ioc_alert_watch_latest (w, DEAD);
  g_assert_cmpstr (json_object_get_string_member (d, "id"), ==, dead_id);
  g_assert_true (ioc_alert_watch_wait_hook (w, THRESHOLD " resolved acked", n_hooks, WAIT_US));
  g_autofree gchar *paged = ioc_alert_watch_hooks_since (w, n_hooks);
  g_assert_null (strstr (paged, DEAD)); /* silenced */

  g_assert_true (ioc_test_hub_stop (hub));
  ioc_test_rm_rf (dir);
}

/* SIGKILL the moment an alert's firing is seen on MQTT.  The store must
 * already hold it: the restarted hub neither publishes nor pages it again,
 * and it keeps the id first published.  An operator's silence just before
 * makes the store's last save recent, so a store saved on its own cadence
 * (at most every 2 s) would not hold the alert yet. */
static void
test_kill_right_after_firing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autoptr (IocAlertWatch) w = ioc_alert_watch_new (ioc_test_broker_url (broker), "40", &error);
  g_assert_no_error (error);
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-alert-kill-XXXXXX", NULL);
  g_autofree gchar *rules = g_strdup_printf (
      "[alerts]\nwebhook_url = %s\nretry_min = 100ms\n"
      "[rule connector-down]\nkind = dead_source\ncadence = 1h\nfor = 0s\nsource_kinds = desk\n",
      ioc_alert_watch_hook_url (w));
  g_autofree gchar *extra = ioc_test_alerts_conf (dir, rules, FALSE, "[http]\noperator_tokens = op-secret\n");
  g_autoptr (IocTestHub) hub = ioc_test_hub_new_started (ioc_test_broker_url (broker), NULL, extra);
  g_assert_nonnull (hub);
  guint port = ioc_test_hub_http_port (hub);
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "kill-connectors", &error);
  g_assert_no_error (error);
  g_assert_true (wait_rounds (w, hub, 2));

  guint status = 0;
  g_autofree gchar *r = http (port, "POST", "/api/v1/silences",
                              "{\"rule\":\"another-rule\",\"duration\":\"1h\",\"by\":\"Bình\"}", &status);
  g_assert_cmpuint (status, ==, 201);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/desk-1/state", "offline", TRUE);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_USEC_PER_SEC));
  g_assert_true (ioc_alert_watch_wait_message (w, DEAD " firing", 0, WAIT_US));
  ioc_test_hub_kill (hub);
  /* A page the hub sent before it was killed may still wait in the
   * receiver's queue: take it in before counting what came before. */
  ioc_alert_watch_serve (w, G_USEC_PER_SEC);
  g_autoptr (JsonObject) fired = ioc_alert_watch_latest (w, DEAD);
  g_autofree gchar *fired_id = g_strdup (json_object_get_string_member (fired, "id"));
  guint n_messages = ioc_alert_watch_n_messages (w), n_hooks = ioc_alert_watch_n_hooks (w);

  g_assert_true (ioc_test_hub_start (hub, &error));
  g_assert_no_error (error);
  g_assert_true (wait_rounds (w, hub, 3));
  g_autofree gchar *published = ioc_alert_watch_messages_since (w, n_messages);
  g_autofree gchar *paged = ioc_alert_watch_hooks_since (w, n_hooks);
  g_test_message ("fired as id %s; after the restart published '%s', paged '%s'", fired_id, published, paged);
  g_assert_cmpstr (published, ==, "");
  g_assert_cmpstr (paged, ==, "");
  g_autofree gchar *id = id_of (port, DEAD);
  g_assert_cmpstr (id, ==, fired_id);
  g_assert_true (ioc_test_hub_stop (hub));
  ioc_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-restart/keeps-identity-ack-and-silence", test_restart_keeps_alerts);
  g_test_add_func ("/ioc/alert-restart/killed-right-after-firing", test_kill_right_after_firing);
  return g_test_run ();
}
