/* test-alert-scenario-hub.c — the labelled alert scenario end to end
 * (integration suite): a real mosquitto, the real iochub binary, a webhook
 * receiver in this process (libsoup, free loopback port).  Everything goes
 * in as connector MQTT traffic; alerts are read back from the retained topics
 * ioc/v1/40/alerts/<rule>/<scope> and from the webhook.
 *
 * Time, honestly: the hub runs on the real clock (it has no test clock), so
 * the spike day is *today* and its events happen within a minute:
 *   - Eight weeks of normal history cannot be streamed in real time.  They
 *     are the hub's own history from earlier runs: this test drives the same
 *     alert engine (alerts_core) through 56 days of daily counts with a
 *     manual clock and writes its store as state_dir/alerts.json before the
 *     hub starts — exactly the file a hub that ran those weeks would have.
 *     (The InfluxDB path for a cold start is test-alert-influx.c.)
 *   - The calendar is a test calendar where every day and hour is working
 *     time, so that the test means the same whenever it runs; the rule file
 *     is the shipped one with delays (for, cadence) shortened to seconds.
 *   - The scenario needs one clock hour (the province rule counts per hour):
 *     if fewer than 100 s are left in this hour, the test first waits for
 *     the next one (bounded).
 * Scenario (units from the registry):
 *   - spikes in three units, xa-16681 (7 newly overdue, usual 2),
 *     xa-16690 (6, usual 1), xa-16702 (4, usual 0), all at T1;
 *   - that hour is systemic: the province hour fires, and the three unit
 *     spikes (units_in_spike = 3) go out grouped under one province alert,
 *     not paged one by one;
 *   - a small commune with noise, xa-16708: 2 of 2 due overdue — no alert;
 *   - a stale connector: portal-s (xa-16732's dossiers) goes offline before
 *     T1 → connector-down fires, and xa-16732's jump to 9 overdue is not a
 *     spike (the unit is listed as stale);
 *   - a flapping threshold: satisfaction of xa-16738 crosses 50 % five
 *     times → firing, resolved, firing, then one "flapping", then nothing;
 *   - a police post, ca-16681: one dossier overdue → one zero-tolerance
 *     alert whose scope is the dossier id (the tracker's overdue hook).
 * Exactly these alerts, at the expected times, with the expected grouping;
 * none else, on MQTT and on the webhook. */
#include <MQTTAsync.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "alerts/alert-engine.h"
#include "alerts/alert-rules.h"
#include "test-broker.h"
#include "test-hub.h"
#include "test-listen.h"
#include "test-publisher.h"
#include "test-util.h"

#define PREFIX "ioc/v1/40/alerts/"
#define HOUR_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
#define DAY_US (24 * HOUR_US)
#define LOCAL_OFFSET_US (7 * HOUR_US) /* Vietnam, no DST */

#define UNIT_A "xa-16681"
#define UNIT_B "xa-16690"
#define UNIT_C "xa-16702"
#define UNIT_NOISE "xa-16708"
#define UNIT_STALE "xa-16732"
#define UNIT_FLAP "xa-16738"
#define UNIT_POLICE "ca-16681"
#define POLICE_DOSSIER "000.00.40.H40-ca-0001"

typedef struct
{
  GMutex lock;
  GHashTable *retained;   /* topic → latest payload */
  GPtrArray *log;         /* "rule/scope state" in arrival order */
  gboolean subscribed;
  GPtrArray *hooks;       /* webhook bodies, main context */
} Seen;

static gchar *
summary_of (const gchar *payload)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, payload, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    return g_strdup_printf ("(not JSON: %s)", payload);
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  return g_strdup_printf ("%s/%s %s", json_object_get_string_member_with_default (o, "rule", "?"),
                          json_object_get_string_member_with_default (o, "scope", "?"),
                          json_object_get_string_member_with_default (o, "state", "?"));
}

static int
arrived_cb (void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
  Seen *s = ctx;
  g_autofree gchar *payload = g_strndup (m->payload, m->payloadlen);
  g_mutex_lock (&s->lock);
  g_hash_table_replace (s->retained, g_strdup (topic), g_strdup (payload));
  g_ptr_array_add (s->log, summary_of (payload));
  g_mutex_unlock (&s->lock);
  MQTTAsync_freeMessage (&m);
  MQTTAsync_free (topic);
  return 1;
}

static void
subscribed_cb (void *ctx, MQTTAsync_successData *r)
{
  Seen *s = ctx;
  g_mutex_lock (&s->lock);
  s->subscribed = TRUE;
  g_mutex_unlock (&s->lock);
}

typedef struct
{
  MQTTAsync client;
  Seen *seen;
} Watcher;

static void
connected_cb (void *ctx, MQTTAsync_successData *r)
{
  Watcher *w = ctx;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  ro.onSuccess = subscribed_cb;
  ro.context = w->seen;
  MQTTAsync_subscribe (w->client, PREFIX "#", 1, &ro);
}

static void
hook_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *q, gpointer data)
{
  Seen *s = data;
  g_autoptr (GBytes) b = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree gchar *body = g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_ptr_array_add (s->hooks, summary_of (body));
  soup_server_message_set_status (msg, 200, NULL);
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* Serves the webhook receiver for `us` microseconds. */
static void
serve (gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;
  while (g_get_monotonic_time () < end)
    {
      g_timeout_add (20, wake_cb, NULL);
      g_main_context_iteration (NULL, TRUE);
    }
}

static guint
count_log (Seen *s, const gchar *entry)
{
  guint n = 0;
  g_mutex_lock (&s->lock);
  for (guint i = 0; i < s->log->len; i++)
    n += g_str_equal (g_ptr_array_index (s->log, i), entry);
  g_mutex_unlock (&s->lock);
  return n;
}

/* Serves the receiver until `entry` has arrived `n` times on MQTT. */
static gboolean
wait_log (Seen *s, const gchar *entry, guint n, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  while (g_get_monotonic_time () < end)
    {
      if (count_log (s, entry) >= n)
        return TRUE;
      serve (50 * 1000);
    }
  g_printerr ("timed out waiting for MQTT \"%s\" ×%u\n", entry, n);
  return FALSE;
}

static gchar *
joined (GPtrArray *a)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < a->len; i++)
    g_string_append_printf (s, "%s\n", (gchar *) g_ptr_array_index (a, i));
  return g_string_free (s, FALSE);
}

static JsonObject *
retained_object (Seen *s, const gchar *rule_scope, JsonParser *p)
{
  g_autofree gchar *topic = g_strdup_printf (PREFIX "%s", rule_scope);
  g_mutex_lock (&s->lock);
  g_autofree gchar *payload = g_strdup (g_hash_table_lookup (s->retained, topic));
  g_mutex_unlock (&s->lock);
  g_assert_nonnull (payload);
  g_assert_true (json_parser_load_from_data (p, payload, -1, NULL));
  return json_node_get_object (json_parser_get_root (p));
}

static gint64
time_member (JsonObject *o, const gchar *name)
{
  const gchar *t = json_object_get_string_member_with_default (o, name, NULL);
  g_assert_nonnull (t);
  g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (t, NULL);
  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
}

/* ---- the eight weeks of history, as the hub's own store ---- */

typedef struct
{
  const gchar *unit;
  gint64 usual; /* newly overdue on a normal day */
} Usual;

static const Usual usual[] = {
  { UNIT_A, 2 }, { UNIT_B, 1 }, { UNIT_C, 0 }, { UNIT_NOISE, 0 }, { UNIT_STALE, 1 }, { UNIT_FLAP, 0 },
};

static gchar *
history_store (const IocAlertRules *rules, gint64 today_start_us, gint now_hour)
{
  /* The history's counts arrive at another hour than the scenario's, so
   * the province hour's baseline is 0 (threshold: the floor of 10). */
  gint arrive = (now_hour + 12) % 24;
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (rules, NULL, today_start_us - 56 * DAY_US, NULL, NULL);
  for (gint d = -56; d < 0; d++)
    for (gint hh = 0; hh < 24; hh++)
      {
        gint64 t = today_start_us + d * DAY_US + hh * HOUR_US + 30 * 60 * G_USEC_PER_SEC;
        for (guint u = 0; u < G_N_ELEMENTS (usual); u++)
          ioc_alert_engine_unit_day (e, usual[u].unit, t, hh >= arrive ? usual[u].usual : 0, 20, 0);
        ioc_alert_engine_evaluate (e, t);
      }
  g_autoptr (GPtrArray) active = ioc_alert_engine_active_keys (e);
  g_assert_cmpuint (active->len, ==, 0);
  return ioc_alert_engine_save (e);
}

/* ---- connector traffic ---- */

typedef struct
{
  IocTestPublisher *pub;
  guint seq_portal, seq_portal_s, seq_kiosk;
} Traffic;

static void
dossier (Traffic *t, const gchar *unit, const gchar *device, guint *seq, const gchar *id, gint64 now_us,
         gint64 due_us)
{
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/portal/%s/event", unit, device);
  gint64 received = now_us - 10 * 60 * G_USEC_PER_SEC;
  g_autofree gchar *payload = g_strdup_printf (
      "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"dossier\",\"dossier\":\"%s\","
      "\"procedure\":\"1.001234\",\"state\":2,\"channel\":1,\"received_at\":%" G_GINT64_FORMAT
      ",\"due_at\":%" G_GINT64_FORMAT "}",
      ++*seq, received / 1000, id, received / 1000, due_us / 1000);
  ioc_test_publisher_send (t->pub, topic, payload, FALSE);
}

/* n dossiers of unit going overdue at t1, and `soon` more due tomorrow
 * (the rest of what is due: the share's denominator). */
static void
unit_dossiers (Traffic *t, const gchar *unit, const gchar *device, guint *seq, guint n, guint soon, gint64 now_us,
               gint64 t1_us)
{
  for (guint i = 0; i < n + soon; i++)
    {
      g_autofree gchar *id = g_strdup_printf ("000.00.40.H40-%s-%04u", unit, i);
      dossier (t, unit, device, seq, id, now_us, i < n ? t1_us : now_us + 20 * HOUR_US);
    }
}

static void
rating (Traffic *t, gint64 ts_us, gint level)
{
  g_autofree gchar *payload = g_strdup_printf (
      "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"rating\",\"level\":%d,\"scale\":5,"
      "\"channel\":\"device\"}",
      ++t->seq_kiosk, ts_us / 1000, level);
  ioc_test_publisher_send (t->pub, "ioc/v1/40/" UNIT_FLAP "/kiosk/kiosk-f/event", payload, FALSE);
  g_assert_true (ioc_test_publisher_flush (t->pub, 10 * G_USEC_PER_SEC));
}

static void
test_labelled_scenario (void)
{
  /* One clock hour is needed (see the top): wait for the next if short. */
  gint64 into_hour = g_get_real_time () % HOUR_US;
  if (HOUR_US - into_hour < 100 * G_USEC_PER_SEC)
    {
      g_test_message ("%" G_GINT64_FORMAT " s left in this hour: waiting for the next",
                      (HOUR_US - into_hour) / G_USEC_PER_SEC);
      g_usleep ((gulong) (HOUR_US - into_hour + 2 * G_USEC_PER_SEC));
    }
  gint64 start = g_get_real_time ();
  gint64 local = start + LOCAL_OFFSET_US;
  gint64 today_start = start - local % DAY_US;
  gint now_hour = (gint) ((local % DAY_US) / HOUR_US);

  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  Seen seen = { .retained = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
                .log = g_ptr_array_new_with_free_func (g_free),
                .hooks = g_ptr_array_new_with_free_func (g_free) };
  g_mutex_init (&seen.lock);

  g_autoptr (SoupServer) receiver = soup_server_new (NULL, NULL);
  soup_server_add_handler (receiver, "/hook", hook_cb, &seen, NULL);
  guint hook_port = ioc_test_listen_local (receiver, &error);
  g_assert_cmpuint (hook_port, !=, 0);

  /* Rules and calendar of the test (see the top), and the history. */
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-alert-scenario-XXXXXX", NULL);
  g_autofree gchar *rules_text = g_strdup_printf (
      "[alerts]\nwebhook_url = http://127.0.0.1:%u/hook\nretry_min = 100ms\n"
      "[rule overdue-spike-unit]\nkind = overdue_spike_unit\nmin_count = 3\nmin_share = 0.10\nmad_factor = 3\n"
      "baseline_weeks = 8\nmin_history = 4\nstale_after = 2h\n"
      "[rule overdue-spike-province]\nkind = overdue_spike_province\nseverity = critical\n"
      "unit_rule = overdue-spike-unit\nmin_count = 10\nunits_in_spike = 3\n"
      "[rule overdue-stock-rising]\nkind = overdue_stock_rising\ndays = 3\n"
      "[rule zero-tolerance-police]\nkind = zero_tolerance\nseverity = info\nunits = ca-*\n"
      "[rule connector-down]\nkind = dead_source\ncadence = 3m\nfor = 0s\nflap_changes = 6\n"
      "[rule satisfaction-low]\nkind = threshold\nmetric = ioc_rating.satisfied\n"
      "denominator = ioc_rating.ratings\nop = <\nvalue = 0.5\nfor = 0s\nflap_changes = 4\nflap_window = 1h\n"
      /* The flapping ratings are dated up to 5 minutes back (below): with
       * the default max_age of 5m, the first one is already "no data" if the
       * clock minute turns between dating it and the hub's next evaluation. */
      "max_age = 10m\n"
      "units = " UNIT_FLAP "\n",
      hook_port);
  g_autofree gchar *extra = ioc_test_alerts_conf (dir, rules_text, TRUE, NULL);
  g_autofree gchar *rules_path = g_build_filename (dir, "alerts.conf", NULL);
  g_autoptr (IocAlertRules) rules = ioc_alert_rules_load (rules_path, &error);
  g_assert_no_error (error);
  g_autofree gchar *store = history_store (rules, today_start, now_hour);

  g_autoptr (IocTestHub) hub = ioc_test_hub_new (ioc_test_broker_url (broker), NULL, extra, &error);
  g_assert_no_error (error);
  g_autofree gchar *state_dir = g_build_filename (ioc_test_hub_dir (hub), "state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (state_dir, 0700), ==, 0);
  g_autofree gchar *store_path = g_build_filename (state_dir, "alerts.json", NULL);
  g_assert_true (g_file_set_contents (store_path, store, -1, NULL));
  g_assert_true (ioc_test_hub_start (hub, &error));
  g_assert_no_error (error);

  Watcher w = { NULL, &seen };
  g_assert_cmpint (MQTTAsync_create (&w.client, ioc_test_broker_url (broker), "alert-watcher",
                                     MQTTCLIENT_PERSISTENCE_NONE, NULL), ==, MQTTASYNC_SUCCESS);
  MQTTAsync_setCallbacks (w.client, &seen, NULL, arrived_cb, NULL);
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.cleansession = 1;
  co.onSuccess = connected_cb;
  co.context = &w;
  g_assert_cmpint (MQTTAsync_connect (w.client, &co), ==, MQTTASYNC_SUCCESS);
  for (guint i = 0; i < 200; i++)
    {
      g_mutex_lock (&seen.lock);
      gboolean ok = seen.subscribed;
      g_mutex_unlock (&seen.lock);
      if (ok)
        break;
      serve (50 * 1000);
    }
  g_assert_true (seen.subscribed);

  Traffic t = { 0 };
  t.pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "scenario-connectors", &error);
  g_assert_no_error (error);

  /* The flapping threshold: one rating in each of the last five closed
   * minutes (late data: each re-emits its minute), alternating worst/best,
   * each step waiting until the hub has told it. */
  gint64 minute0 = g_get_real_time () / (60 * G_USEC_PER_SEC) * (60 * G_USEC_PER_SEC);
  static const struct
  {
    gint level;
    const gchar *want;
    guint n;
  } flap[] = {
    { 1, "satisfaction-low/" UNIT_FLAP " firing", 1 },
    { 5, "satisfaction-low/" UNIT_FLAP " resolved", 1 },
    { 1, "satisfaction-low/" UNIT_FLAP " firing", 2 },
    { 5, "satisfaction-low/" UNIT_FLAP " flapping", 1 }, /* the 4th change in the window */
  };
  for (guint k = 0; k < G_N_ELEMENTS (flap); k++)
    {
      rating (&t, minute0 - (gint64) (5 - k) * 60 * G_USEC_PER_SEC + 30 * G_USEC_PER_SEC, flap[k].level);
      g_assert_true (wait_log (&seen, flap[k].want, flap[k].n, 15 * G_USEC_PER_SEC));
    }
  /* A 5th crossing while flapping: held back. */
  rating (&t, minute0 - 60 * G_USEC_PER_SEC + 30 * G_USEC_PER_SEC, 1);

  /* The day's dossiers: deadlines at T1, a few seconds ahead. */
  gint64 now = g_get_real_time ();
  gint64 t1 = (now / G_USEC_PER_SEC + 8) * G_USEC_PER_SEC;
  unit_dossiers (&t, UNIT_A, "portal-1", &t.seq_portal, 7, 10, now, t1);
  unit_dossiers (&t, UNIT_B, "portal-1", &t.seq_portal, 6, 10, now, t1);
  unit_dossiers (&t, UNIT_C, "portal-1", &t.seq_portal, 4, 10, now, t1);
  unit_dossiers (&t, UNIT_NOISE, "portal-1", &t.seq_portal, 2, 0, now, t1);
  dossier (&t, UNIT_POLICE, "portal-1", &t.seq_portal, POLICE_DOSSIER, now, t1);
  unit_dossiers (&t, UNIT_STALE, "portal-s", &t.seq_portal_s, 9, 10, now, t1);
  g_assert_true (ioc_test_publisher_flush (t.pub, 10 * G_USEC_PER_SEC));
  /* portal-s then loses its link: the broker publishes its last will. */
  ioc_test_publisher_send (t.pub, "ioc/v1/40/" UNIT_STALE "/portal/portal-s/state", "offline", TRUE);
  g_assert_true (ioc_test_publisher_flush (t.pub, 10 * G_USEC_PER_SEC));
  gint64 t_off = g_get_real_time ();
  g_assert_cmpint (t_off, <, t1 - G_USEC_PER_SEC);
  g_assert_true (wait_log (&seen, "connector-down/portal/portal-s firing", 1, 10 * G_USEC_PER_SEC));

  /* T1: the spikes, the systemic hour, the police post. */
  static const gchar *const at_t1[] = {
    "overdue-spike-unit/" UNIT_A " firing",
    "overdue-spike-unit/" UNIT_B " firing",
    "overdue-spike-unit/" UNIT_C " firing",
    "overdue-spike-province/units firing",
    "overdue-spike-province/hourly firing",
    "zero-tolerance-police/" UNIT_POLICE "/" POLICE_DOSSIER " firing",
  };
  for (guint k = 0; k < G_N_ELEMENTS (at_t1); k++)
    g_assert_true (wait_log (&seen, at_t1[k], 1, (t1 - g_get_real_time ()) + 15 * G_USEC_PER_SEC));
  /* None else: give anything extra time to show up. */
  serve (4 * G_USEC_PER_SEC);

  /* Exactly these notifications on MQTT, in this order per alert. */
  g_mutex_lock (&seen.lock);
  g_autoptr (GPtrArray) log = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < seen.log->len; i++)
    g_ptr_array_add (log, g_strdup (g_ptr_array_index (seen.log, i)));
  g_autoptr (GList) topics = g_hash_table_get_keys (seen.retained);
  topics = g_list_sort (topics, (GCompareFunc) g_strcmp0);
  g_autoptr (GString) topic_list = g_string_new (NULL);
  for (GList *l = topics; l; l = l->next)
    g_string_append_printf (topic_list, "%s\n", (gchar *) l->data + strlen (PREFIX));
  g_mutex_unlock (&seen.lock);
  g_assert_cmpstr (topic_list->str, ==,
                   "connector-down/portal/portal-s\n"
                   "overdue-spike-province/hourly\n"
                   "overdue-spike-province/units\n"
                   "overdue-spike-unit/" UNIT_A "\n"
                   "overdue-spike-unit/" UNIT_B "\n"
                   "overdue-spike-unit/" UNIT_C "\n"
                   "satisfaction-low/" UNIT_FLAP "\n"
                   "zero-tolerance-police/" UNIT_POLICE "/" POLICE_DOSSIER "\n");
  /* The MQTT log in order.  At T1 one evaluation: the police alert (unit
   * rules), then the province rules, then the unit spikes that fired this
   * round, under the group they completed. */
  g_autofree gchar *got_log = joined (log);
  g_assert_cmpstr (got_log, ==,
                   "satisfaction-low/" UNIT_FLAP " firing\n"
                   "satisfaction-low/" UNIT_FLAP " resolved\n"
                   "satisfaction-low/" UNIT_FLAP " firing\n"
                   "satisfaction-low/" UNIT_FLAP " flapping\n"
                   "connector-down/portal/portal-s firing\n"
                   "zero-tolerance-police/" UNIT_POLICE "/" POLICE_DOSSIER " firing\n"
                   "overdue-spike-province/hourly firing\n"
                   "overdue-spike-province/units firing\n"
                   "overdue-spike-unit/" UNIT_A " firing\n"
                   "overdue-spike-unit/" UNIT_B " firing\n"
                   "overdue-spike-unit/" UNIT_C " firing\n");
  /* The webhook pages the same minus the grouped unit spikes. */
  g_autofree gchar *got_hooks = joined (seen.hooks);
  g_assert_cmpstr (got_hooks, ==,
                   "satisfaction-low/" UNIT_FLAP " firing\n"
                   "satisfaction-low/" UNIT_FLAP " resolved\n"
                   "satisfaction-low/" UNIT_FLAP " firing\n"
                   "satisfaction-low/" UNIT_FLAP " flapping\n"
                   "connector-down/portal/portal-s firing\n"
                   "zero-tolerance-police/" UNIT_POLICE "/" POLICE_DOSSIER " firing\n"
                   "overdue-spike-province/hourly firing\n"
                   "overdue-spike-province/units firing\n");

  /* Grouping, times, and why (the baseline from the history). */
  g_autoptr (JsonParser) pg = json_parser_new ();
  JsonObject *group = retained_object (&seen, "overdue-spike-province/units", pg);
  const gchar *group_id = json_object_get_string_member (group, "id");
  g_assert_nonnull (strstr (json_object_get_string_member (group, "detail"), UNIT_A "," UNIT_B "," UNIT_C));
  const gchar *spiking[] = { UNIT_A, UNIT_B, UNIT_C };
  for (guint u = 0; u < G_N_ELEMENTS (spiking); u++)
    {
      g_autofree gchar *rs = g_strdup_printf ("overdue-spike-unit/%s", spiking[u]);
      g_autoptr (JsonParser) p = json_parser_new ();
      JsonObject *a = retained_object (&seen, rs, p);
      g_assert_cmpstr (json_object_get_string_member (a, "group"), ==, group_id);
      gint64 fired = time_member (a, "fired_at");
      g_assert_cmpint (fired, >=, t1);
      g_assert_cmpint (fired, <=, t1 + 3 * G_USEC_PER_SEC);
      g_assert_nonnull (strstr (json_object_get_string_member (a, "detail"), "over 8 days"));
    }
  g_autoptr (JsonParser) pa = json_parser_new ();
  JsonObject *a = retained_object (&seen, "overdue-spike-unit/" UNIT_A, pa);
  g_assert_nonnull (strstr (json_object_get_string_member (a, "detail"), "baseline: median 2.0, MAD 0.0"));
  g_assert_cmpfloat (json_object_get_double_member (a, "threshold"), ==, 5.0);
  g_autoptr (JsonParser) pc = json_parser_new ();
  JsonObject *down = retained_object (&seen, "connector-down/portal/portal-s", pc);
  gint64 down_at = time_member (down, "fired_at");
  g_assert_cmpint (down_at, >=, t_off - G_USEC_PER_SEC);
  g_assert_cmpint (down_at, <=, t_off + 3 * G_USEC_PER_SEC);
  g_autoptr (JsonParser) pf = json_parser_new ();
  JsonObject *flapping = retained_object (&seen, "satisfaction-low/" UNIT_FLAP, pf);
  g_assert_cmpstr (json_object_get_string_member (flapping, "state"), ==, "flapping");

  /* The stale unit is listed as such, not as a spike. */
  glong status = 0;
  g_autofree gchar *api = ioc_test_hub_get (hub, "/api/v1/alerts", &status);
  g_assert_cmpint (status, ==, 200);
  g_autoptr (JsonParser) papi = json_parser_new ();
  g_assert_true (json_parser_load_from_data (papi, api, -1, NULL));
  JsonArray *stale = json_object_get_array_member (json_node_get_object (json_parser_get_root (papi)), "stale_units");
  g_assert_cmpuint (json_array_get_length (stale), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (stale, 0), ==, UNIT_STALE);
  JsonArray *active = json_object_get_array_member (json_node_get_object (json_parser_get_root (papi)), "alerts");
  g_assert_cmpuint (json_array_get_length (active), ==, 8);

  MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect (w.client, &dopts);
  MQTTAsync_destroy (&w.client);
  ioc_test_publisher_free (t.pub);
  g_assert_true (ioc_test_hub_stop (hub));
  g_hash_table_unref (seen.retained);
  g_ptr_array_unref (seen.log);
  g_ptr_array_unref (seen.hooks);
  g_mutex_clear (&seen.lock);
  ioc_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-scenario-hub/labelled-day-through-mosquitto", test_labelled_scenario);
  return g_test_run ();
}
