/* test-scorecard.c — the 766 scorecard end to end: dossier and rating events
 * published to a real mosquitto, taken in by the real iochub, read back from
 * GET /api/v1/scorecard and from InfluxDB's ioc_score, against figures
 * computed here by hand (docs/SCORECARD.md's rule):
 *
 *   xa-16681  A1 early (online, paid online, digitised, e-result), A2 late
 *             (fee not paid online, no e-result), A3 and A4 open in time,
 *             four ratings of which one dissatisfied:
 *             2.1 3/4 → 15, 3.6 1/2 → 3, 4.1 1/2 → 3, 4.2 4/4 → 4 (target
 *             80 met), 5.4 2/4 → 3.33 (target 90 missed); 1.1 not observed;
 *             score 28.33 × 100 / 42 = 67.46
 *   xa-16690  B1 on time, B2 late, one of two digitised, no fee, no e-result:
 *             2.1 1/2 → 10, 3.6 and 4.1 N/A (zero denominators), 4.2 1/2 →
 *             2.5 (below target), 5.4 1/2 → 3.33; score 15.83 × 100 / 30 = 52.78
 *   a late event: B2's first "processed" (in time) arrives after its late
 *             one: 2.1 2/2 → 20, 5.4 2/2 → 6; score 28.5 × 100 / 30 = 95,
 *             and xa-16690 takes first place.
 *
 * The hub runs on the real clock: the events are placed in the last half
 * hour, in this month. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-influx.h"
#include "test-publisher.h"

#define MIN_US (60 * G_TIME_SPAN_SECOND)
#define EPS 1e-6

typedef struct
{
  IocTestBroker *broker;
  IocTestInflux *influx;
  IocTestHub *hub;
  IocTestPublisher *pub;
  gint64 seq;
  gint64 base_us; /* the scenario's first instant */
  gchar *at;      /* this month, YYYY-MM (local) */
} Fixture;

static Fixture fx;

static void
send_event (const gchar *unit, const gchar *kind, const gchar *device, gint64 ts_us, const gchar *fields)
{
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/%s/%s/event", unit, kind, device);
  g_autofree gchar *payload = g_strdup_printf ("{\"v\":1,\"seq\":%" G_GINT64_FORMAT ",\"ts\":%" G_GINT64_FORMAT ",%s}",
                                               ++fx.seq, ts_us / 1000, fields);
  ioc_test_publisher_send (fx.pub, topic, payload, FALSE);
}

static void
dossier (const gchar *unit, const gchar *id, gint state, gint64 ts, gint channel, gint64 received, gint64 due,
         const gchar *extra)
{
  g_autofree gchar *fields = g_strdup_printf (
      "\"type\":\"dossier\",\"dossier\":\"%s\",\"procedure\":\"P1\",\"state\":%d,\"channel\":%d,"
      "\"received_at\":%" G_GINT64_FORMAT ",\"due_at\":%" G_GINT64_FORMAT "%s%s",
      id, state, channel, received / 1000, due / 1000, extra[0] ? "," : "", extra);
  /* One portal connector per province, publishing on each unit's topic. */
  send_event (unit, "portal", "portal-1", ts, fields);
}

/* ---- reading the API ---- */

static JsonNode *
get_json (const gchar *path, glong *status)
{
  g_autofree gchar *body = ioc_test_hub_get (fx.hub, path, status);
  if (body == NULL)
    return NULL;
  return json_from_string (body, NULL);
}

static JsonObject *
unit_of (JsonNode *doc, const gchar *code)
{
  JsonObject *root = json_node_get_object (doc);
  if (strcmp (code, "all") == 0)
    return json_object_get_object_member (root, "province");
  JsonArray *units = json_object_get_array_member (root, "units");
  for (guint i = 0; i < json_array_get_length (units); i++)
    {
      JsonObject *u = json_array_get_object_element (units, i);
      if (strcmp (json_object_get_string_member (u, "unit"), code) == 0)
        return u;
    }
  return NULL;
}

static JsonObject *
indicator_of (JsonObject *unit, const gchar *id)
{
  JsonArray *a = json_object_get_array_member (unit, "indicators");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      if (strcmp (json_object_get_string_member (o, "id"), id) == 0)
        return o;
    }
  g_error ("indicator %s missing", id);
}

/* A unit's score in this month's scorecard, NAN when it has none (yet). */
static gdouble
month_score (const gchar *unit)
{
  g_autofree gchar *path = g_strdup_printf ("/api/v1/scorecard?period=month&at=%s&unit=%s", fx.at, unit);
  glong status = 0;
  g_autoptr (JsonNode) doc = get_json (path, &status);
  if (doc == NULL || status != 200)
    return NAN;
  JsonObject *u = unit_of (doc, unit);
  if (u == NULL || json_object_get_null_member (u, "score"))
    return NAN;
  return json_object_get_double_member (u, "score");
}

/* Polls until unit's month score is want (bounded: 30 s). */
static gboolean
wait_score (const gchar *unit, gdouble want)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  gdouble got = NAN;
  while (g_get_monotonic_time () < deadline)
    {
      got = month_score (unit);
      if (!isnan (got) && fabs (got - want) < EPS)
        return TRUE;
      g_usleep (100 * 1000);
    }
  g_test_message ("%s: score %g, want %g", unit, got, want);
  return FALSE;
}

static void
check_indicator (JsonObject *unit, const gchar *id, const gchar *status, gint64 num, gint64 den, gdouble points)
{
  JsonObject *o = indicator_of (unit, id);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, status);
  if (strcmp (status, "not_observed") == 0)
    return;
  g_assert_cmpint (json_object_get_int_member (o, "numerator"), ==, num);
  g_assert_cmpint (json_object_get_int_member (o, "denominator"), ==, den);
  if (isnan (points))
    g_assert_true (json_object_get_null_member (o, "points"));
  else
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "points"), points, EPS);
}

/* ---- reading InfluxDB ---- */

/* last(field) of unit's ioc_score for this month (period=month), NAN when
 * there is none yet; *count: how many points that series holds. */
static gdouble
influx_score (const gchar *unit, const gchar *field, gint64 *count)
{
  g_autofree gchar *q = g_strdup_printf ("SELECT last(\"%s\") FROM ioc_score WHERE unit='%s' AND period='month' "
                                         "AND time >= %" G_GINT64_FORMAT "000000000",
                                         field, unit, fx.base_us / G_USEC_PER_SEC - 40 * 86400);
  gdouble v = NAN;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *json = ioc_test_influx_query_json (fx.influx, "ioc", q, &error);
  if (json == NULL || strstr (json, "\"values\"") == NULL)
    return NAN;
  if (!ioc_test_influx_query_double (fx.influx, "ioc", q, &v, &error))
    return NAN;
  if (count != NULL)
    {
      g_autofree gchar *cq = g_strdup_printf ("SELECT count(\"%s\") FROM ioc_score WHERE unit='%s' AND period='month'",
                                              field, unit);
      *count = -1;
      ioc_test_influx_query_int (fx.influx, "ioc", cq, count, NULL);
    }
  return v;
}

static gboolean
wait_influx_score (const gchar *unit, gdouble want)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  gdouble got = NAN;
  while (g_get_monotonic_time () < deadline)
    {
      got = influx_score (unit, "score", NULL);
      if (!isnan (got) && fabs (got - want) < EPS)
        return TRUE;
      g_usleep (250 * 1000);
    }
  g_test_message ("InfluxDB ioc_score %s: %g, want %g", unit, got, want);
  return FALSE;
}

/* ---- the scenario ---- */

static void
setup (void)
{
  g_autoptr (GError) error = NULL;
  fx.broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  fx.influx = ioc_test_influx_start (&error);
  g_assert_no_error (error);

  /* The shipped weights, ranked from 2 dossiers up (the scenario is small). */
  g_autofree gchar *shipped_path = g_build_filename (IOC_SOURCE_ROOT, "ops", "score-766.conf", NULL);
  g_autofree gchar *text = NULL;
  g_assert_true (g_file_get_contents (shipped_path, &text, NULL, NULL));
  g_autoptr (GString) score = g_string_new (text);
  g_assert_cmpuint (g_string_replace (score, "min_volume = 30", "min_volume = 2", 1), ==, 1);

  fx.hub = ioc_test_hub_new (ioc_test_broker_url (fx.broker), ioc_test_influx_url (fx.influx),
                             NULL, &error);
  g_assert_no_error (error);
  g_autofree gchar *score_path = g_build_filename (ioc_test_hub_dir (fx.hub), "score-766.conf", NULL);
  g_assert_true (g_file_set_contents (score_path, score->str, -1, NULL));
  /* [hub] scorecard, and ioc_score checked every second. */
  g_autofree gchar *conf = NULL;
  g_assert_true (g_file_get_contents (ioc_test_hub_conf_path (fx.hub), &conf, NULL, NULL));
  g_autoptr (GString) c = g_string_new (conf);
  g_autofree gchar *hub_line = g_strdup_printf ("[hub]\nscorecard = %s\n", score_path);
  g_assert_cmpuint (g_string_replace (c, "[hub]\n", hub_line, 1), ==, 1);
  g_assert_cmpuint (g_string_replace (c, "[influx]\n", "[influx]\nscore_interval = 1s\n", 1), ==, 1);
  g_assert_true (g_file_set_contents (ioc_test_hub_conf_path (fx.hub), c->str, -1, NULL));
  ioc_test_hub_start (fx.hub, &error);
  g_assert_no_error (error);

  fx.pub = ioc_test_publisher_new (ioc_test_broker_url (fx.broker), "scorecard-test", &error);
  g_assert_no_error (error);

  /* The last half hour, inside this local month: at a month's very start,
   * wait (bounded) until half an hour of it has passed. */
  gint64 now = g_get_real_time ();
  gint64 month_start = 0;
  {
    g_autoptr (GDateTime) local = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);
    g_autoptr (GDateTime) vn = g_date_time_add_hours (local, 7);
    g_autoptr (GDateTime) first = g_date_time_new_utc (g_date_time_get_year (vn), g_date_time_get_month (vn), 1, 0, 0, 0);
    month_start = g_date_time_to_unix (first) * G_USEC_PER_SEC - 7 * 60 * MIN_US;
    fx.at = g_strdup_printf ("%04d-%02d", g_date_time_get_year (vn), g_date_time_get_month (vn));
  }
  while (now - 30 * MIN_US < month_start)
    {
      g_test_message ("within half an hour of the month's start: waiting");
      g_usleep (10 * G_USEC_PER_SEC);
      now = g_get_real_time ();
    }
  fx.base_us = now - 30 * MIN_US;
}

static void
teardown (void)
{
  if (fx.pub != NULL)
    ioc_test_publisher_free (fx.pub);
  if (fx.hub != NULL)
    ioc_test_hub_free (fx.hub);
  if (fx.influx != NULL)
    ioc_test_influx_free (fx.influx);
  if (fx.broker != NULL)
    ioc_test_broker_free (fx.broker);
  g_free (fx.at);
}

static void
test_scenario (void)
{
  setup ();
  gint64 B = fx.base_us, far = B + 30 * 24 * 60 * MIN_US;
  const gchar *a_full = "\"fee\":true,\"paid_online\":true,\"digitized\":true,\"e_result\":true";
  const gchar *a2 = "\"fee\":true,\"paid_online\":false,\"digitized\":true,\"e_result\":false";
  dossier ("xa-16681", "A1", 2, B, 2, B, B + 20 * MIN_US, a_full);
  dossier ("xa-16681", "A1", 10, B + 5 * MIN_US, 2, B, B + 20 * MIN_US, a_full);
  dossier ("xa-16681", "A2", 2, B + MIN_US, 1, B + MIN_US, B + 3 * MIN_US, a2);
  dossier ("xa-16681", "A2", 10, B + 10 * MIN_US, 1, B + MIN_US, B + 3 * MIN_US, a2);
  dossier ("xa-16681", "A3", 2, B + 2 * MIN_US, 1, B + 2 * MIN_US, far, "\"digitized\":true");
  dossier ("xa-16681", "A4", 2, B + 3 * MIN_US, 2, B + 3 * MIN_US, far, "\"digitized\":true");
  const gint levels[] = { 5, 5, 4, 2 };
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      g_autofree gchar *f = g_strdup_printf ("\"type\":\"rating\",\"level\":%d,\"scale\":5,\"channel\":\"device\"",
                                             levels[i]);
      send_event ("xa-16681", "kiosk", "kiosk-1", B + (6 + i) * MIN_US, f);
    }
  dossier ("xa-16690", "B1", 2, B, 1, B, B + 20 * MIN_US, "\"digitized\":true");
  dossier ("xa-16690", "B1", 10, B + 4 * MIN_US, 1, B, B + 20 * MIN_US, "\"digitized\":true");
  dossier ("xa-16690", "B2", 2, B, 1, B, B + 5 * MIN_US, "\"digitized\":false");
  dossier ("xa-16690", "B2", 9, B + 10 * MIN_US, 1, B, B + 5 * MIN_US, "\"digitized\":false");
  g_assert_true (ioc_test_publisher_flush (fx.pub, 20 * G_TIME_SPAN_SECOND));

  gdouble a_score = (15 + 3 + 3 + 4 + 50.0 * 6 / 90) * 100 / 42;
  gdouble b_score = (10 + 2.5 + 50.0 * 6 / 90) * 100 / 30;
  g_assert_true (wait_score ("xa-16681", a_score));
  g_assert_true (wait_score ("xa-16690", b_score));

  /* Every number of the hand computation, as the API gives it. */
  g_autofree gchar *path = g_strdup_printf ("/api/v1/scorecard?period=month&at=%s", fx.at);
  glong status = 0;
  g_autoptr (JsonNode) doc = get_json (path, &status);
  g_assert_cmpint (status, ==, 200);
  JsonObject *a = unit_of (doc, "xa-16681");
  check_indicator (a, "2.1", "scored", 3, 4, 15);
  check_indicator (a, "3.6", "scored", 1, 2, 3);
  check_indicator (a, "4.1", "scored", 1, 2, 3);
  check_indicator (a, "4.2", "scored", 4, 4, 4);
  check_indicator (a, "5.4", "scored", 2, 4, 50.0 * 6 / 90);
  check_indicator (a, "1.1", "not_observed", 0, 0, NAN);
  JsonObject *b = unit_of (doc, "xa-16690");
  check_indicator (b, "3.6", "na", 0, 0, NAN);
  check_indicator (b, "4.1", "na", 0, 0, NAN);
  check_indicator (b, "4.2", "scored", 1, 2, 2.5);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (b, "max"), 30, EPS);
  JsonObject *p = unit_of (doc, "all");
  gdouble p_score = (20.0 * 4 / 6 + 3 + 3 + 4 + 50.0 * 6 / 90) * 100 / 42;
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (p, "score"), p_score, EPS);
  JsonArray *xa = json_object_get_array_member (json_object_get_object_member (json_node_get_object (doc), "ranking"),
                                                "xa");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (xa, 0), "unit"), ==, "xa-16681");

  /* The same numbers in InfluxDB. */
  g_assert_true (wait_influx_score ("xa-16681", a_score));
  g_assert_true (wait_influx_score ("xa-16690", b_score));
  g_assert_true (wait_influx_score ("all", p_score));
  gdouble rank = influx_score ("xa-16681", "rank", NULL);
  g_assert_cmpfloat (rank, ==, 1);

  /* The late event moves the month, in the API and in InfluxDB, where the
   * point is rewritten in place: still one point for the month. */
  dossier ("xa-16690", "B2", 9, B + 4 * MIN_US, 1, B, B + 5 * MIN_US, "\"digitized\":false");
  g_assert_true (ioc_test_publisher_flush (fx.pub, 20 * G_TIME_SPAN_SECOND));
  gdouble b_late = (20 + 2.5 + 6) * 100 / 30.0;
  g_assert_true (wait_score ("xa-16690", b_late));
  g_autoptr (JsonNode) after = get_json (path, &status);
  check_indicator (unit_of (after, "xa-16690"), "2.1", "scored", 2, 2, 20);
  check_indicator (unit_of (after, "xa-16690"), "5.4", "scored", 2, 2, 6);
  xa = json_object_get_array_member (json_object_get_object_member (json_node_get_object (after), "ranking"), "xa");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (xa, 0), "unit"), ==, "xa-16690");
  g_assert_true (wait_influx_score ("xa-16690", b_late));
  gint64 count = 0;
  influx_score ("xa-16690", "score", &count);
  g_assert_cmpint (count, ==, 1);
  gdouble p_late = (20.0 * 5 / 6 + 3 + 3 + 4 + (400.0 / 6) * 6 / 90) * 100 / 42;
  g_assert_true (wait_influx_score ("all", p_late));
  g_assert_cmpfloat (influx_score ("xa-16690", "rank", NULL), ==, 1);

  /* Bad parameters and a month that has not begun: 400 with the reason. */
  g_autoptr (JsonNode) bad = get_json ("/api/v1/scorecard?period=week", &status);
  g_assert_cmpint (status, ==, 400);
  g_assert_nonnull (strstr (json_object_get_string_member (json_node_get_object (bad), "error"), "period"));
  g_autoptr (JsonNode) future = get_json ("/api/v1/scorecard?period=month&at=2999-12", &status);
  g_assert_cmpint (status, ==, 400);
  teardown ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/ioc/scorecard/end-to-end", test_scenario);
  return g_test_run ();
}
