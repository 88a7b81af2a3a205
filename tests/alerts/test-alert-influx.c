/* test-alert-influx.c — baselines from InfluxDB on a cold start
 * (integration suite): a real influxd holds eight weeks of this hub's
 * ioc_dossier minute points (SPEC §6, as the writer writes them: per
 * channel series, tags hub/province/unit, a unit=all point per minute);
 * the real iochub starts with an empty state_dir, so it has no history of
 * its own.  It must load the baselines from InfluxDB (GET /api/v1/alerts
 * "baselines" says "influxdb", 8 samples), and a spike on that baseline
 * must fire (read back from the retained MQTT topic, its detail naming the
 * baseline and its source).  A second hub without [influx] states the
 * fallback instead.  Like test-alert-scenario-hub.c, a calendar where every
 * day and hour is working time makes the test mean the same whenever it
 * runs (it waits for the next hour when fewer than 60 s are left). */
#include <MQTTAsync.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-influx.h"
#include "test-publisher.h"
#include "test-util.h"

#define HOUR_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
#define DAY_US (24 * HOUR_US)
#define LOCAL_OFFSET_US (7 * HOUR_US)
#define UNIT "xa-16681"
#define TOPIC "ioc/v1/40/alerts/overdue-spike-unit/" UNIT

typedef struct
{
  GMutex lock;
  gchar *payload; /* latest on TOPIC */
  gboolean subscribed;
  MQTTAsync client;
} Watch;

static int
arrived_cb (void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
  Watch *w = ctx;
  g_mutex_lock (&w->lock);
  if (g_str_equal (topic, TOPIC))
    {
      g_free (w->payload);
      w->payload = g_strndup (m->payload, m->payloadlen);
    }
  g_mutex_unlock (&w->lock);
  MQTTAsync_freeMessage (&m);
  MQTTAsync_free (topic);
  return 1;
}

static void
subscribed_cb (void *ctx, MQTTAsync_successData *r)
{
  Watch *w = ctx;
  g_mutex_lock (&w->lock);
  w->subscribed = TRUE;
  g_mutex_unlock (&w->lock);
}

static void
connected_cb (void *ctx, MQTTAsync_successData *r)
{
  Watch *w = ctx;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  ro.onSuccess = subscribed_cb;
  ro.context = w;
  MQTTAsync_subscribe (w->client, "ioc/v1/40/alerts/#", 1, &ro);
}

static gchar *
latest (Watch *w)
{
  g_mutex_lock (&w->lock);
  gchar *p = g_strdup (w->payload);
  g_mutex_unlock (&w->lock);
  return p;
}

/* The "baselines" entry of `rule` in GET /api/v1/alerts as "source/samples/from_influxdb". */
static gchar *
baseline_of (IocTestHub *hub, const gchar *rule)
{
  glong status = 0;
  g_autofree gchar *body = ioc_test_hub_get (hub, "/api/v1/alerts", &status);
  g_assert_cmpint (status, ==, 200);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, body, -1, NULL));
  JsonArray *a = json_object_get_array_member (json_node_get_object (json_parser_get_root (p)), "baselines");
  g_assert_nonnull (a);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      if (g_strcmp0 (json_object_get_string_member (o, "rule"), rule) == 0)
        return g_strdup_printf ("%s/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                                json_object_get_string_member (o, "source"),
                                json_object_get_int_member (o, "samples"),
                                json_object_get_int_member (o, "from_influxdb"));
    }
  return g_strdup ("(none)");
}

/* Eight weeks of minute points: on every day, UNIT has 4 newly overdue
 * dossiers (3 on channel 1 at 09:10, 1 on channel 2 at 14:20, local time);
 * the province series carries the same; another hub's points for UNIT (a
 * different hub id) must not count. */
static GString *
history_lines (gint64 today_start_us)
{
  GString *lines = g_string_new (NULL);
  for (gint d = -56; d < 0; d++)
    {
      gint64 day = today_start_us + d * DAY_US;
      gint64 t1 = (day + 9 * HOUR_US + 10 * 60 * G_USEC_PER_SEC) / G_USEC_PER_SEC;
      gint64 t2 = (day + 14 * HOUR_US + 20 * 60 * G_USEC_PER_SEC) / G_USEC_PER_SEC;
      const gchar *units[] = { UNIT, "all" };
      for (guint u = 0; u < G_N_ELEMENTS (units); u++)
        {
          g_string_append_printf (lines,
                                  "ioc_dossier,channel=1,hub=test-hub,province=40,unit=%s received=5i,"
                                  "completed_early=0i,completed_ontime=2i,completed_late=0i,overdue_entered=3i,"
                                  "open=7i,open_overdue=3i %" G_GINT64_FORMAT "\n",
                                  units[u], t1);
          g_string_append_printf (lines,
                                  "ioc_dossier,channel=2,hub=test-hub,province=40,unit=%s received=2i,"
                                  "completed_early=0i,completed_ontime=1i,completed_late=0i,overdue_entered=1i,"
                                  "open=3i,open_overdue=1i %" G_GINT64_FORMAT "\n",
                                  units[u], t2);
        }
      g_string_append_printf (lines,
                              "ioc_dossier,channel=1,hub=other-hub,province=40,unit=%s overdue_entered=40i %" G_GINT64_FORMAT
                              "\n",
                              UNIT, t1);
    }
  return lines;
}

static void
test_cold_start_baseline (void)
{
  gint64 into_hour = g_get_real_time () % HOUR_US;
  if (HOUR_US - into_hour < 60 * G_USEC_PER_SEC)
    g_usleep ((gulong) (HOUR_US - into_hour + 2 * G_USEC_PER_SEC));
  gint64 now = g_get_real_time ();
  gint64 today_start = now - (now + LOCAL_OFFSET_US) % DAY_US;

  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autoptr (IocTestInflux) influx = ioc_test_influx_start (&error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_influx_exec (influx, "CREATE DATABASE ioc", &error));
  g_assert_no_error (error);
  g_autoptr (GString) lines = history_lines (today_start);
  g_autofree gchar *answer = NULL;
  g_assert_cmpint (ioc_test_influx_write (influx, "ioc", lines->str, &answer), ==, 204);

  g_autofree gchar *dir = g_dir_make_tmp ("ioc-alert-influx-XXXXXX", NULL);
  g_autofree gchar *extra = ioc_test_alerts_conf (dir,
                                                  "[rule overdue-spike-unit]\nkind = overdue_spike_unit\nmin_count = 3\n"
                                                  "min_share = 0.10\n"
                                                  "[rule overdue-spike-province]\nkind = overdue_spike_province\n"
                                                  "units_in_spike = 0\n",
                                                  TRUE, NULL);

  /* Without InfluxDB and with no history: the fallback, stated. */
  g_autoptr (IocTestHub) bare = ioc_test_hub_new (ioc_test_broker_url (broker), NULL, extra, &error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_hub_start (bare, &error));
  g_autofree gchar *b0 = baseline_of (bare, "overdue-spike-unit");
  g_assert_cmpstr (b0, ==, "fallback/0/0");
  g_assert_true (ioc_test_hub_stop (bare));

  /* With InfluxDB, empty state_dir: the baseline comes from there. */
  g_autoptr (IocTestHub) hub = ioc_test_hub_new (ioc_test_broker_url (broker), ioc_test_influx_url (influx), extra,
                                                 &error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_hub_start (hub, &error));
  g_assert_no_error (error);
  g_autofree gchar *b1 = baseline_of (hub, "overdue-spike-unit");
  g_assert_cmpstr (b1, ==, "influxdb/8/8");
  g_autofree gchar *b2 = baseline_of (hub, "overdue-spike-province");
  g_assert_cmpstr (b2, ==, "influxdb/8/8");

  Watch w = { 0 };
  g_mutex_init (&w.lock);
  g_assert_cmpint (MQTTAsync_create (&w.client, ioc_test_broker_url (broker), "alert-influx-watcher",
                                     MQTTCLIENT_PERSISTENCE_NONE, NULL), ==, MQTTASYNC_SUCCESS);
  MQTTAsync_setCallbacks (w.client, &w, NULL, arrived_cb, NULL);
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.cleansession = 1;
  co.onSuccess = connected_cb;
  co.context = &w;
  g_assert_cmpint (MQTTAsync_connect (w.client, &co), ==, MQTTASYNC_SUCCESS);
  for (guint i = 0; i < 200 && !w.subscribed; i++)
    g_usleep (50 * 1000);
  g_assert_true (w.subscribed);

  /* Baseline median 4, MAD 0 → threshold max(3, 4 + 3) = 7: six dossiers
   * going overdue would have fired on the fallback floor of 3, not here;
   * then two more make eight. */
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "portal-1", &error);
  g_assert_no_error (error);
  now = g_get_real_time ();
  gint64 due = (now / G_USEC_PER_SEC + 3) * G_USEC_PER_SEC;
  guint seq = 0;
  for (guint i = 0; i < 20; i++)
    {
      g_autofree gchar *payload = g_strdup_printf (
          "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"dossier\",\"dossier\":\"H40-%04u\","
          "\"procedure\":\"1.001234\",\"state\":2,\"channel\":1,\"received_at\":%" G_GINT64_FORMAT
          ",\"due_at\":%" G_GINT64_FORMAT "}",
          ++seq, now / 1000 - 60000, i, now / 1000 - 60000,
          (i < 6 ? due : i < 8 ? due + 6 * G_USEC_PER_SEC : now + 20 * HOUR_US) / 1000);
      ioc_test_publisher_send (pub, "ioc/v1/40/" UNIT "/portal/portal-1/event", payload, FALSE);
    }
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_USEC_PER_SEC));
  /* Six overdue: under the baseline's threshold, no alert. */
  g_usleep ((gulong) (due + 4 * G_USEC_PER_SEC - g_get_real_time ()));
  g_autofree gchar *before = latest (&w);
  g_assert_null (before);
  /* Eight: it fires, and says why. */
  gchar *fired = NULL;
  for (guint i = 0; i < 200 && fired == NULL; i++)
    {
      g_autofree gchar *p = latest (&w);
      if (p != NULL && strstr (p, "\"state\":\"firing\"") != NULL)
        fired = g_steal_pointer (&p);
      else
        g_usleep (50 * 1000);
    }
  g_assert_nonnull (fired);
  g_assert_nonnull (strstr (fired, "8 newly overdue today"));
  g_assert_nonnull (strstr (fired, "baseline: median 4.0, MAD 0.0 over 8 days from influxdb"));
  g_free (fired);

  MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect (w.client, &dopts);
  MQTTAsync_destroy (&w.client);
  g_free (w.payload);
  g_mutex_clear (&w.lock);
  g_assert_true (ioc_test_hub_stop (hub));
  ioc_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-influx/cold-start-baseline", test_cold_start_baseline);
  return g_test_run ();
}
