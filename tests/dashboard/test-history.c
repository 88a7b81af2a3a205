/* test-history.c — GET /api/v1/history (docs/API.md) against a real influxd,
 * a real mosquitto and the real iochub.
 *
 * Known minute points are written straight into InfluxDB, as older hubs
 * would have written them (two hub ids, two channels, a point outside the
 * range, a point of another unit, a point on another weekday), then the
 * hub is asked for the 30-day trend, a channel, a gauge and the usual
 * weekday curve; the values, the step and the bucket times are asserted
 * exactly.  Also: fifty-odd screens asking at once cost InfluxDB one query
 * (the cache and the sharing of a query in flight), the hub keeps serving
 * while a query waits, and InfluxDB down gives a clear 502. */
#include <curl/curl.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-influx.h"

#define DISPLAY "disp-token"
#define UNIT_RANGE "xa-16681"   /* the 30-day trend's unit */
#define UNIT_PROFILE "xa-16690" /* the weekday curve's unit */
#define UNIT_OTHER "xa-16702"
#define DAY_S 86400
#define LOCAL_OFFSET_S (7 * 3600)

typedef struct
{
  IocTestBroker *broker;
  IocTestInflux *influx;
  IocTestHub *hub;
  gint64 today_s; /* local (UTC+7) midnight, in Unix seconds */
} Fixture;

static Fixture fx;

typedef struct
{
  GString *body;
} Sink;

static size_t
sink_write (char *data, size_t size, size_t nmemb, void *user)
{
  g_string_append_len (((Sink *) user)->body, data, (gssize) (size * nmemb));
  return size * nmemb;
}

/* Any thread: one curl handle per call. */
static gchar *
get (const gchar *path, glong *status, gdouble *seconds)
{
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s%stoken=" DISPLAY, ioc_test_hub_http_port (fx.hub),
                                           path, strchr (path, '?') ? "&" : "?");
  CURL *c = curl_easy_init ();
  Sink s = { g_string_new (NULL) };
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, sink_write);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt (c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform (c);
  if (rc != CURLE_OK)
    g_test_message ("GET %s: %s", path, curl_easy_strerror (rc));
  *status = 0;
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, status);
  if (seconds != NULL)
    curl_easy_getinfo (c, CURLINFO_TOTAL_TIME, seconds);
  curl_easy_cleanup (c);
  return g_string_free (s.body, FALSE);
}

static JsonNode *
get_json (const gchar *path, glong want_status)
{
  glong status = 0;
  g_autofree gchar *body = get (path, &status, NULL);
  g_assert_cmpint (status, ==, want_status);
  g_test_message ("%s → %.300s", path, body);
  JsonNode *node = json_from_string (body, NULL);
  g_assert_nonnull (node);
  return node;
}

static JsonArray *
points_of (JsonNode *root)
{
  return json_object_get_array_member (json_node_get_object (root), "points");
}

static gint64
point_time (JsonArray *points, guint i)
{
  return json_array_get_int_element (json_array_get_array_element (points, i), 0);
}

static gboolean
point_is_null (JsonArray *points, guint i)
{
  return JSON_NODE_HOLDS_NULL (json_array_get_element (json_array_get_array_element (points, i), 1));
}

static gdouble
point_value (JsonArray *points, guint i)
{
  g_assert_false (point_is_null (points, i));
  return json_array_get_double_element (json_array_get_array_element (points, i), 1);
}

static void
write_lines (const gchar *lines)
{
  g_autofree gchar *body = NULL;
  long status = ioc_test_influx_write (fx.influx, "ioc", lines, &body);
  if (status != 204)
    g_test_fail_printf ("influx write: HTTP %ld %s", status, body ? body : "");
}

/* History as hubs "a" and "b" would have written it (SPEC §6 tags). */
static void
write_history (void)
{
  g_autoptr (GString) lp = g_string_new (NULL);
  /* 30 days of UNIT_RANGE: day k (0 = 29 days ago … 29 = today) has
   * received k+1 on channel 1 from hub a and 10 on channel 2 from hub b. */
  for (gint64 k = 0; k < 30; k++)
    {
      gint64 day = fx.today_s - (29 - k) * DAY_S;
      g_string_append_printf (lp,
                              "ioc_dossier,channel=1,hub=a,province=40,unit=" UNIT_RANGE " received=%" G_GINT64_FORMAT
                              "i %" G_GINT64_FORMAT "\n",
                              k + 1, day + 60);
      g_string_append_printf (lp,
                              "ioc_dossier,channel=2,hub=b,province=40,unit=" UNIT_RANGE " received=10i %" G_GINT64_FORMAT
                              "\n",
                              day + 120);
    }
  /* A gauge on the last two days: open_overdue 3 then 5 (last: 5) on hub a,
   * 7 on hub b → 12 a day for the province of both hubs. */
  for (gint64 k = 28; k < 30; k++)
    {
      gint64 day = fx.today_s - (29 - k) * DAY_S;
      g_string_append_printf (lp,
                              "ioc_dossier,channel=1,hub=a,province=40,unit=" UNIT_RANGE " open_overdue=3i %" G_GINT64_FORMAT
                              "\nioc_dossier,channel=1,hub=a,province=40,unit=" UNIT_RANGE " open_overdue=5i %" G_GINT64_FORMAT
                              "\nioc_dossier,channel=2,hub=b,province=40,unit=" UNIT_RANGE " open_overdue=7i %" G_GINT64_FORMAT "\n",
                              day + 60, day + 180, day + 60);
    }
  /* Outside the range, and another unit: neither may show. */
  g_string_append_printf (lp, "ioc_dossier,channel=1,hub=a,province=40,unit=" UNIT_RANGE " received=1000i %" G_GINT64_FORMAT "\n",
                          fx.today_s - 31 * DAY_S + 60);
  g_string_append_printf (lp, "ioc_dossier,channel=1,hub=a,province=40,unit=" UNIT_OTHER " received=1000i %" G_GINT64_FORMAT "\n",
                          fx.today_s - 3 * DAY_S + 60);

  /* The usual curve of UNIT_PROFILE: w weeks ago, same weekday, 10:00–11:00
   * local: w dossiers (1…8, median 4.5); 11:00–12:00: 6 in weeks 1–5 and
   * nothing in weeks 6–8 (quiet: 0 → median 6); the day before, 1000 at
   * 10:00 (another weekday: left out). */
  for (gint64 w = 1; w <= 8; w++)
    {
      gint64 day = fx.today_s - w * 7 * DAY_S;
      g_string_append_printf (lp, "ioc_dossier,hub=a,province=40,unit=" UNIT_PROFILE " received=%" G_GINT64_FORMAT "i %" G_GINT64_FORMAT "\n",
                              w, day + 10 * 3600 + 300);
      if (w <= 5)
        g_string_append_printf (lp, "ioc_dossier,channel=3,hub=a,province=40,unit=" UNIT_PROFILE " received=6i %" G_GINT64_FORMAT "\n",
                                day + 11 * 3600 + 60);
      g_string_append_printf (lp, "ioc_dossier,hub=a,province=40,unit=" UNIT_PROFILE " received=1000i %" G_GINT64_FORMAT "\n",
                              day - DAY_S + 10 * 3600 + 300);
    }
  write_lines (lp->str);
}

static void
test_range (void)
{
  g_autoptr (JsonNode) r = get_json ("/api/v1/history?measurement=ioc_dossier&field=received&unit=" UNIT_RANGE
                                     "&step=86400&days=30", 200);
  JsonObject *o = json_node_get_object (r);
  g_assert_cmpint (json_object_get_int_member (o, "step_s"), ==, 86400);
  g_assert_cmpstr (json_object_get_string_member (o, "aggregate"), ==, "sum");
  g_assert_cmpstr (json_object_get_string_member (o, "source"), ==, "influxdb");
  g_assert_cmpint (json_object_get_int_member (o, "from_ms"), ==, (fx.today_s - 29 * DAY_S) * 1000);
  g_assert_cmpint (json_object_get_int_member (o, "to_ms"), ==, (fx.today_s + DAY_S) * 1000);
  JsonArray *p = points_of (r);
  g_assert_cmpuint (json_array_get_length (p), ==, 30);
  for (guint k = 0; k < 30 && k < json_array_get_length (p); k++)
    {
      g_assert_cmpint (point_time (p, k), ==, (fx.today_s - (29 - (gint64) k) * DAY_S) * 1000);
      g_assert_cmpfloat (point_value (p, k), ==, (gdouble) (k + 11));
    }

  /* One channel: hub b's 10 a day. */
  g_autoptr (JsonNode) c = get_json ("/api/v1/history?field=received&unit=" UNIT_RANGE "&channel=2&days=30", 200);
  JsonArray *cp = points_of (c);
  g_assert_cmpuint (json_array_get_length (cp), ==, 30);
  for (guint k = 0; k < json_array_get_length (cp); k++)
    g_assert_cmpfloat (point_value (cp, k), ==, 10.0);

  /* Hours: today's bucket of 00:00–01:00 holds both points (k = 29). */
  g_autoptr (JsonNode) h = get_json ("/api/v1/history?field=received&unit=" UNIT_RANGE "&step=3600&days=2", 200);
  JsonArray *hp = points_of (h);
  g_assert_cmpuint (json_array_get_length (hp), ==, 48);
  /* 48 hours ending with the current one: today's midnight is bucket 24…47. */
  gint64 from_s = json_object_get_int_member (json_node_get_object (h), "from_ms") / 1000;
  g_assert_cmpint (from_s % 3600, ==, 0);
  guint today = (guint) ((fx.today_s - from_s) / 3600);
  g_assert_cmpuint (today, >=, 24);
  g_assert_cmpuint (today, <, 48);
  g_assert_cmpint (point_time (hp, today), ==, fx.today_s * 1000);
  g_assert_cmpfloat (point_value (hp, today), ==, 40.0);
  g_assert_cmpfloat (point_value (hp, today - 24), ==, 39.0);
  g_assert_true (point_is_null (hp, today - 23));

  /* A gauge: the last value per hub and channel, summed; null before. */
  g_autoptr (JsonNode) g = get_json ("/api/v1/history?field=open_overdue&unit=" UNIT_RANGE "&days=30", 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (g), "aggregate"), ==, "last");
  JsonArray *gp = points_of (g);
  g_assert_true (point_is_null (gp, 27));
  g_assert_cmpfloat (point_value (gp, 28), ==, 12.0);
  g_assert_cmpfloat (point_value (gp, 29), ==, 12.0);
}

static void
test_profile (void)
{
  g_autoptr (JsonNode) r = get_json ("/api/v1/history?field=received&unit=" UNIT_PROFILE "&profile=weekday&weeks=8", 200);
  JsonObject *o = json_node_get_object (r);
  g_assert_cmpint (json_object_get_int_member (o, "step_s"), ==, 3600);
  g_assert_cmpint (json_object_get_int_member (o, "weeks_with_data"), ==, 8);
  JsonArray *p = points_of (r);
  g_assert_cmpuint (json_array_get_length (p), ==, 24);
  g_assert_cmpint (point_time (p, 0), ==, fx.today_s * 1000);
  g_assert_cmpint (point_time (p, 10), ==, (fx.today_s + 10 * 3600) * 1000);
  g_assert_cmpfloat (point_value (p, 10), ==, 4.5);
  g_assert_cmpfloat (point_value (p, 11), ==, 6.0);
  g_assert_cmpfloat (point_value (p, 3), ==, 0.0); /* weeks with data, nothing at 03:00: a quiet hour */

  /* Only the last 4 weeks: 1…4 → median 2.5; 6 in each → 6. */
  g_autoptr (JsonNode) r4 = get_json ("/api/v1/history?field=received&unit=" UNIT_PROFILE "&profile=weekday&weeks=4", 200);
  g_assert_cmpfloat (point_value (points_of (r4), 10), ==, 2.5);
  g_assert_cmpfloat (point_value (points_of (r4), 11), ==, 6.0);

  /* No data at all for that unit: every point null, not 0. */
  g_autoptr (JsonNode) e = get_json ("/api/v1/history?field=received&unit=" UNIT_OTHER "&profile=weekday", 200);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (e), "weeks_with_data"), ==, 0);
  g_assert_true (point_is_null (points_of (e), 10));
}

typedef struct
{
  const gchar *path;
  glong status;
  gchar *body;
} Shot;

static gpointer
shot_thread (gpointer data)
{
  Shot *s = data;
  s->body = get (s->path, &s->status, NULL);
  return NULL;
}

static void
test_shared_query (void)
{
  /* A request nobody made yet, from 50 screens at once. */
  const gchar *path = "/api/v1/history?field=received&unit=" UNIT_RANGE "&days=21";
  gdouble q0 = ioc_test_hub_metric (fx.hub, "iochub_history_queries_total");
  enum { N = 50 };
  Shot shots[N];
  GThread *threads[N];
  for (guint i = 0; i < N; i++)
    {
      shots[i] = (Shot) { path, 0, NULL };
      threads[i] = g_thread_new ("screen", shot_thread, &shots[i]);
    }
  for (guint i = 0; i < N; i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < N; i++)
    {
      g_assert_cmpint (shots[i].status, ==, 200);
      g_assert_cmpstr (shots[i].body, ==, shots[0].body);
    }
  /* And once more, after they all got their answer: from the cache. */
  glong status = 0;
  g_autofree gchar *again = get (path, &status, NULL);
  g_assert_cmpint (status, ==, 200);
  g_assert_cmpstr (again, ==, shots[0].body);
  gdouble q1 = ioc_test_hub_metric (fx.hub, "iochub_history_queries_total");
  g_test_message ("queries for 51 identical requests: %.0f", q1 - q0);
  g_assert_cmpfloat (q1 - q0, ==, 1.0);
  for (guint i = 0; i < N; i++)
    g_free (shots[i].body);
}

static void
test_errors (void)
{
  const gchar *bad[] = { "/api/v1/history?step=7", "/api/v1/history?step=7200000", "/api/v1/history?step=420",
                         "/api/v1/history?days=0", "/api/v1/history?step=60&days=30", "/api/v1/history?field=nope",
                         "/api/v1/history?profile=monthly", "/api/v1/history?channel=9" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) r = get_json (bad[i], 400);
      g_assert_true (json_object_has_member (json_node_get_object (r), "error"));
    }
  g_autoptr (JsonNode) unknown = get_json ("/api/v1/history?unit=xa-99999", 404);
  (void) unknown;

  /* InfluxDB gone: a clear 502 naming it, and the hub still answers. */
  ioc_test_influx_stop (fx.influx);
  g_autoptr (JsonNode) down = get_json ("/api/v1/history?field=received&unit=" UNIT_RANGE "&days=9", 502);
  const gchar *message = json_object_get_string_member (json_node_get_object (down), "error");
  g_assert_true (g_str_has_prefix (message, "InfluxDB"));
  g_assert_true (json_object_get_boolean_member (json_node_get_object (down), "history"));
  glong status = 0;
  g_autofree gchar *health = ioc_test_hub_get (fx.hub, "/healthz", &status);
  g_assert_cmpint (status, ==, 200);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_test_influx_restart (fx.influx, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  curl_global_init (CURL_GLOBAL_DEFAULT);
  g_autoptr (GError) error = NULL;
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  fx.today_s = now_s - (now_s + LOCAL_OFFSET_S) % DAY_S;
  if (now_s - fx.today_s < 300)
    g_test_message ("local midnight just passed: today's points are minutes old");
  fx.broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  fx.influx = ioc_test_influx_start (&error);
  g_assert_no_error (error);
  if (fx.broker == NULL || fx.influx == NULL)
    return 1;
  g_assert_true (ioc_test_influx_exec (fx.influx, "CREATE DATABASE ioc", &error));
  g_assert_no_error (error);
  write_history ();
  fx.hub = ioc_test_hub_new (ioc_test_broker_url (fx.broker), ioc_test_influx_url (fx.influx),
                             "[http]\ndisplay_tokens = " DISPLAY "\n", &error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_hub_start (fx.hub, &error));
  g_assert_no_error (error);

  g_test_add_func ("/history/range", test_range);
  g_test_add_func ("/history/weekday-profile", test_profile);
  g_test_add_func ("/history/fifty-screens-one-query", test_shared_query);
  g_test_add_func ("/history/errors", test_errors);
  int rc = g_test_run ();

  ioc_test_hub_free (fx.hub);
  ioc_test_influx_free (fx.influx);
  ioc_test_broker_free (fx.broker);
  curl_global_cleanup ();
  return rc;
}
