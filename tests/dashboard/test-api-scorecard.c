/* test-api-scorecard.c — the 766 scorecard through a real IocHub driven by
 * hand (manual clock, messages through ioc_hub_ingest; no broker, nothing
 * started): the document of GET /api/v1/scorecard and the ioc_score lines
 * for a November computed by hand (a target met, one missed, a zero
 * denominator, an indicator nobody observes), a late event that moves the
 * month, a reload of the weights, and a restart from the snapshot.
 *
 * The same scenario runs end to end (MQTT → API → InfluxDB) in
 * tests/integration/test-scorecard.c. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "api/api-scorecard.h"
#include "hub.h"
#include "model/calendar.h"
#include "test-util.h"

#define EPS 1e-9

typedef struct
{
  gchar *dir;
  gchar *conf_path;
  gchar *score_path;
  IocClock *clock;
  IocHub *hub;
  gint64 seq;
} Fixture;

static gint64
vn (gint y, gint mo, gint d, gint h)
{
  return ioc_calendar_day_start (ioc_calendar_date_to_day (y, mo, d)) + (gint64) h * G_TIME_SPAN_HOUR;
}

/* The shipped weights, ranking from 2 dossiers up (the scenario is small). */
static void
write_scorecard (Fixture *fx, const gchar *from, const gchar *to)
{
  g_autofree gchar *shipped_path = g_build_filename (IOC_SOURCE_ROOT, "ops", "score-766.conf", NULL);
  g_autofree gchar *text = NULL;
  g_assert_true (g_file_get_contents (shipped_path, &text, NULL, NULL));
  g_autoptr (GString) s = g_string_new (text);
  g_assert_cmpuint (g_string_replace (s, "min_volume = 30", "min_volume = 2", 1), ==, 1);
  if (from != NULL)
    g_assert_cmpuint (g_string_replace (s, from, to, 1), ==, 1);
  g_assert_true (g_file_set_contents (fx->score_path, s->str, -1, NULL));
}

static void
open_hub (Fixture *fx)
{
  g_autoptr (GError) error = NULL;
  IocHubConfig *config = ioc_hub_config_load (fx->conf_path, &error);
  g_assert_no_error (error);
  fx->hub = ioc_hub_new (config, fx->clock, &error);
  g_assert_no_error (error);
  ioc_hub_tick (fx->hub);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  fx->dir = g_dir_make_tmp ("test-api-scorecard-XXXXXX", NULL);
  g_assert_nonnull (fx->dir);
  fx->score_path = g_build_filename (fx->dir, "score.conf", NULL);
  write_scorecard (fx, NULL, NULL);
  g_autofree gchar *conf = g_strdup_printf (
      "[hub]\nprovince = 40\nid = test-hub\nunits = %s/ops/units/nghe-an.csv\n"
      "calendar = %s/ops/calendar/vn-2025.conf,%s/ops/calendar/vn-2026.conf\n"
      "state_dir = %s/state\nscorecard = %s\n"
      "[mqtt]\nurl = tcp://127.0.0.1:9\nclient_id = iochub-test\n"
      "[http]\nlisten = 127.0.0.1:0\n",
      IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, fx->dir, fx->score_path);
  fx->conf_path = g_build_filename (fx->dir, "hub.conf", NULL);
  g_assert_true (g_file_set_contents (fx->conf_path, conf, -1, NULL));
  /* Friday 20 November 2026, 10:00. */
  fx->clock = ioc_clock_new_manual (vn (2026, 11, 20, 10));
  open_hub (fx);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  ioc_hub_free (fx->hub);
  ioc_clock_free (fx->clock);
  ioc_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->conf_path);
  g_free (fx->score_path);
}

static void
publish (Fixture *fx, const gchar *unit, const gchar *kind, const gchar *device, gint64 ts, const gchar *fields)
{
  gint64 now = ioc_clock_now (fx->clock);
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/%s/%s/event", unit, kind, device);
  g_autofree gchar *payload = g_strdup_printf ("{\"v\":1,\"seq\":%" G_GINT64_FORMAT ",\"ts\":%" G_GINT64_FORMAT ",%s}",
                                               ++fx->seq, ts / 1000, fields);
  ioc_hub_ingest (fx->hub, topic, strlen (topic), (const guint8 *) payload, strlen (payload), now);
}

/* A dossier event; extra: more fields, without braces, or "". */
static void
dossier (Fixture *fx, const gchar *unit, const gchar *id, gint state, gint64 ts, gint channel, gint64 received,
         gint64 due, const gchar *extra)
{
  g_autofree gchar *fields = g_strdup_printf (
      "\"type\":\"dossier\",\"dossier\":\"%s\",\"procedure\":\"P1\",\"state\":%d,\"channel\":%d,"
      "\"received_at\":%" G_GINT64_FORMAT ",\"due_at\":%" G_GINT64_FORMAT "%s%s",
      id, state, channel, received / 1000, due / 1000, extra[0] ? "," : "", extra);
  publish (fx, unit, "portal", "portal-1", ts, fields);
}

static void
rating (Fixture *fx, const gchar *unit, gint level)
{
  g_autofree gchar *fields = g_strdup_printf ("\"type\":\"rating\",\"level\":%d,\"scale\":5,\"channel\":\"device\"",
                                              level);
  publish (fx, unit, "kiosk", "kiosk-1", ioc_clock_now (fx->clock), fields);
}

/* November, as docs/SCORECARD.md's scenario tells it.
 * xa-16681: A1 early (online, paid online, digitised, e-result), A2 late
 *   (fee not paid online, no e-result), A3 and A4 open in time; four ratings,
 *   one dissatisfied.
 * xa-16690: B1 on time, B2 late; one of two digitised; no fee, no e-result. */
static void
november (Fixture *fx)
{
  const gchar *a_full = "\"fee\":true,\"paid_online\":true,\"digitized\":true,\"e_result\":true";
  gint64 r1 = vn (2026, 11, 2, 8), r2 = vn (2026, 11, 3, 8);
  dossier (fx, "xa-16681", "A1", 2, r1, 2, r1, vn (2026, 11, 6, 17), a_full);
  dossier (fx, "xa-16681", "A1", 10, vn (2026, 11, 4, 10), 2, r1, vn (2026, 11, 6, 17), a_full);
  const gchar *a2 = "\"fee\":true,\"paid_online\":false,\"digitized\":true,\"e_result\":false";
  dossier (fx, "xa-16681", "A2", 2, r2, 1, r2, vn (2026, 11, 5, 17), a2);
  dossier (fx, "xa-16681", "A2", 10, vn (2026, 11, 9, 9), 1, r2, vn (2026, 11, 5, 17), a2);
  gint64 r3 = vn (2026, 11, 16, 8), r4 = vn (2026, 11, 17, 8);
  dossier (fx, "xa-16681", "A3", 2, r3, 1, r3, vn (2026, 12, 31, 17), "\"digitized\":true");
  dossier (fx, "xa-16681", "A4", 2, r4, 2, r4, vn (2026, 12, 31, 17), "\"digitized\":true");
  rating (fx, "xa-16681", 5);
  rating (fx, "xa-16681", 5);
  rating (fx, "xa-16681", 4);
  rating (fx, "xa-16681", 2);
  gint64 b = vn (2026, 11, 2, 8);
  dossier (fx, "xa-16690", "B1", 2, b, 1, b, vn (2026, 11, 4, 17), "\"digitized\":true");
  dossier (fx, "xa-16690", "B1", 10, vn (2026, 11, 4, 9), 1, b, vn (2026, 11, 4, 17), "\"digitized\":true");
  dossier (fx, "xa-16690", "B2", 2, b, 1, b, vn (2026, 11, 4, 17), "\"digitized\":false");
  dossier (fx, "xa-16690", "B2", 9, vn (2026, 11, 6, 9), 1, b, vn (2026, 11, 4, 17), "\"digitized\":false");
  ioc_clock_set (fx->clock, ioc_clock_now (fx->clock) + G_USEC_PER_SEC);
  ioc_hub_tick (fx->hub);
}

/* B2's "processed" of 4/11 15:00 arrives after the one of 6/11: the first
 * end of processing counts, B2 was on time. */
static void
late_event (Fixture *fx)
{
  gint64 b = vn (2026, 11, 2, 8);
  dossier (fx, "xa-16690", "B2", 9, vn (2026, 11, 4, 15), 1, b, vn (2026, 11, 4, 17), "\"digitized\":false");
  ioc_clock_set (fx->clock, ioc_clock_now (fx->clock) + G_USEC_PER_SEC);
  ioc_hub_tick (fx->hub);
}

static JsonNode *
scorecard (Fixture *fx, const gchar *kind, const gchar *at, const gchar *unit)
{
  IocScorePeriod p;
  g_assert_true (ioc_score_period_parse (kind, at, &p, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (IocScoreResult) r = ioc_hub_scorecard (fx->hub, &p, &error);
  g_assert_no_error (error);
  JsonNode *doc = ioc_api_scorecard_json (fx->hub, r, unit, ioc_hub_now (fx->hub));
  /* Through text and back, as a client reads it. */
  g_autofree gchar *text = json_to_string (doc, FALSE);
  json_node_unref (doc);
  return json_from_string (text, NULL);
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
  g_error ("unit %s not in the scorecard", code);
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
  g_error ("indicator %s not in the unit", id);
}

/* One indicator: status, numerator/denominator, points (NAN: null). */
static void
check_indicator (JsonObject *unit, const gchar *id, const gchar *status, gint64 num, gint64 den, gdouble points)
{
  JsonObject *o = indicator_of (unit, id);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, status);
  if (strcmp (status, "not_observed") == 0)
    {
      g_assert_true (json_object_get_null_member (o, "numerator"));
      g_assert_true (json_object_get_null_member (o, "points"));
      return;
    }
  g_assert_cmpint (json_object_get_int_member (o, "numerator"), ==, num);
  g_assert_cmpint (json_object_get_int_member (o, "denominator"), ==, den);
  if (isnan (points))
    {
      g_assert_true (json_object_get_null_member (o, "points"));
      g_assert_true (json_object_get_null_member (o, "rate"));
    }
  else
    {
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "points"), points, EPS);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "rate"), 100.0 * num / den, EPS);
    }
}

static gdouble
score_of (JsonObject *unit)
{
  return json_object_get_double_member (unit, "score");
}

static void
test_november (Fixture *fx, gconstpointer data)
{
  november (fx);
  g_autoptr (JsonNode) doc = scorecard (fx, "month", "2026-11", NULL);
  JsonObject *period = json_object_get_object_member (json_node_get_object (doc), "period");
  g_assert_cmpstr (json_object_get_string_member (period, "from"), ==, "2026-11-01");
  g_assert_cmpstr (json_object_get_string_member (period, "to"), ==, "2026-11-30");
  g_assert_cmpstr (json_object_get_string_member (period, "stock"), ==, "now");

  JsonObject *a = unit_of (doc, "xa-16681");
  g_assert_cmpstr (json_object_get_string_member (a, "name"), ==, "Phường Thành Vinh");
  check_indicator (a, "2.1", "scored", 3, 4, 15);                 /* 75 % × 20 */
  check_indicator (a, "3.3", "scored", 2, 4, 0);                  /* monitored: no points */
  check_indicator (a, "3.6", "scored", 1, 2, 3);                  /* 50 % × 6 */
  check_indicator (a, "4.1", "scored", 1, 2, 3);
  check_indicator (a, "4.2", "scored", 4, 4, 4);                  /* target 80 met */
  check_indicator (a, "5.4", "scored", 2, 4, 50.0 * 6 / 90);      /* 3 on time − 1 dissatisfied */
  check_indicator (a, "1.1", "not_observed", 0, 0, NAN);          /* nobody feeds it */
  check_indicator (a, "4.x", "not_observed", 0, 0, NAN);
  gdouble a_points = 15 + 3 + 3 + 4 + 50.0 * 6 / 90;
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a, "points"), a_points, EPS);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a, "max"), 42, EPS);
  g_assert_cmpfloat_with_epsilon (score_of (a), a_points * 100 / 42, EPS); /* 67.46 */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a, "coverage"), 0.42, EPS);
  g_assert_cmpint (json_object_get_int_member (a, "volume"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (a, "ratings"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (a, "satisfied"), ==, 3);

  JsonObject *b = unit_of (doc, "xa-16690");
  check_indicator (b, "2.1", "scored", 1, 2, 10);
  check_indicator (b, "3.6", "na", 0, 0, NAN);                    /* no fee-bearing dossier */
  check_indicator (b, "4.1", "na", 0, 0, NAN);
  check_indicator (b, "4.2", "scored", 1, 2, 50.0 * 4 / 80);      /* below target 80: 2.5 */
  check_indicator (b, "5.4", "scored", 1, 2, 50.0 * 6 / 90);
  gdouble b_points = 10 + 2.5 + 50.0 * 6 / 90;
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (b, "max"), 30, EPS); /* N/A left out */
  g_assert_cmpfloat_with_epsilon (score_of (b), b_points * 100 / 30, EPS); /* 52.78 */

  /* The province from its own sums, not the mean of the units. */
  JsonObject *p = unit_of (doc, "all");
  check_indicator (p, "2.1", "scored", 4, 6, 20.0 * 4 / 6);
  check_indicator (p, "3.6", "scored", 1, 2, 3);
  check_indicator (p, "4.2", "scored", 5, 6, 4);                  /* 83 % ≥ 80 */
  check_indicator (p, "5.4", "scored", 3, 6, 50.0 * 6 / 90);
  gdouble p_points = 20.0 * 4 / 6 + 3 + 3 + 4 + 50.0 * 6 / 90;
  g_assert_cmpfloat_with_epsilon (score_of (p), p_points * 100 / 42, EPS); /* 63.49 */
  JsonArray *groups = json_object_get_array_member (p, "groups");
  JsonObject *tien_do = json_array_get_object_element (groups, 1);
  g_assert_cmpstr (json_object_get_string_member (tien_do, "id"), ==, "tien-do");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (tien_do, "points"), 20.0 * 4 / 6, EPS);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (tien_do, "full_max"), 20, EPS);

  /* Ranked from 2 dossiers: A first; no October, so no change yet. */
  JsonArray *xa = json_object_get_array_member (json_object_get_object_member (json_node_get_object (doc), "ranking"),
                                                "xa");
  JsonObject *first = json_array_get_object_element (xa, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "unit"), ==, "xa-16681");
  g_assert_cmpint (json_object_get_int_member (first, "rank"), ==, 1);
  g_assert_true (json_object_get_null_member (first, "change"));
  JsonObject *second = json_array_get_object_element (xa, 1);
  g_assert_cmpstr (json_object_get_string_member (second, "unit"), ==, "xa-16690");
  g_assert_cmpint (json_object_get_int_member (second, "rank"), ==, 2);
  /* Every other commune of the registry is listed, unranked. */
  JsonObject *third = json_array_get_object_element (xa, 2);
  g_assert_true (json_object_get_null_member (third, "rank"));
  g_assert_cmpuint (json_array_get_length (xa), >, 100);

  /* The late event moves the month: B2 on time. */
  late_event (fx);
  g_autoptr (JsonNode) after = scorecard (fx, "month", "2026-11", "none");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (after), "units")), ==,
                    0);
  g_autoptr (JsonNode) b_after = scorecard (fx, "month", "2026-11", "xa-16690");
  b = unit_of (b_after, "xa-16690");
  check_indicator (b, "2.1", "scored", 2, 2, 20);
  check_indicator (b, "5.4", "scored", 2, 2, 6);                  /* 100 % ≥ 90 */
  g_assert_cmpfloat_with_epsilon (score_of (b), (20 + 2.5 + 6) * 100 / 30.0, EPS); /* 95 */
  p = unit_of (after, "all");
  p_points = 20.0 * 5 / 6 + 3 + 3 + 4 + (400.0 / 6) * 6 / 90;
  g_assert_cmpfloat_with_epsilon (score_of (p), p_points * 100 / 42, EPS); /* 74.07 */
  xa = json_object_get_array_member (json_object_get_object_member (json_node_get_object (after), "ranking"), "xa");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (xa, 0), "unit"), ==, "xa-16690");

  /* The year to date holds the same dossiers. */
  g_autoptr (JsonNode) ytd = scorecard (fx, "ytd", "2026-11", "none");
  g_assert_cmpfloat_with_epsilon (score_of (unit_of (ytd, "all")), p_points * 100 / 42, EPS);
  JsonArray *trend = json_object_get_array_member (json_node_get_object (ytd), "trend");
  g_assert_cmpuint (json_array_get_length (trend), ==, 11);
  g_assert_true (json_object_get_null_member (json_array_get_object_element (trend, 9), "score")); /* October */
}

/* The lines written to InfluxDB carry the same numbers. */
static void
test_lines (Fixture *fx, gconstpointer data)
{
  november (fx);
  IocScorePeriod p;
  g_assert_true (ioc_score_period_parse ("month", "2026-11", &p, NULL));
  g_autoptr (IocScoreResult) r = ioc_hub_scorecard (fx->hub, &p, NULL);
  g_autoptr (GString) out = g_string_new (NULL);
  ioc_score_lines_append (out, r, "40", "test-hub");
  gint64 ts = vn (2026, 11, 1, 0) / G_USEC_PER_SEC;
  g_autofree gchar *b_line = g_strdup_printf (
      "ioc_score,hub=test-hub,period=month,province=40,unit=xa-16690 score=%s,points=%s,max=30,coverage=0.3,"
      "volume=2i,rank=2i,g_cong-khai=0,g_tien-do=10,g_truc-tuyen=0,g_thanh-toan=0,g_so-hoa=2.5,g_hai-long=%s %"
      G_GINT64_FORMAT "\n",
      "52.777777777777786", "15.833333333333334", "3.3333333333333335", ts);
  if (strstr (out->str, b_line) == NULL)
    g_error ("want %s in\n%s", b_line, strstr (out->str, "unit=xa-16690"));
  g_autofree gchar *ind = g_strdup_printf ("ioc_score_indicator,hub=test-hub,indicator=4.2,period=month,province=40,"
                                           "unit=xa-16690 numerator=1i,denominator=2i,rate=50,points=2.5 %" G_GINT64_FORMAT
                                           "\n",
                                           ts);
  g_assert_nonnull (strstr (out->str, ind));
  /* Whole numbers read as such (max=30).  N/A and not observed are not written; the province is unit=all. */
  g_assert_null (strstr (out->str, "indicator=3.6,period=month,province=40,unit=xa-16690"));
  g_assert_null (strstr (out->str, "indicator=1.1,"));
  g_assert_nonnull (strstr (out->str, "ioc_score,hub=test-hub,period=month,province=40,unit=all score="));
  /* A commune with nothing: no score field, no rank. */
  g_assert_nonnull (strstr (out->str, "unit=xa-16702 points=0,max=0,coverage=0,volume=0i,g_cong-khai=0"));

  /* The year to November is stamped 1 November (not 1 January): each
   * month's year to date is a point of its own. */
  IocScorePeriod ytd;
  g_assert_true (ioc_score_period_parse ("ytd", "2026-11", &ytd, NULL));
  g_autoptr (IocScoreResult) y = ioc_hub_scorecard (fx->hub, &ytd, NULL);
  g_autoptr (GString) yl = g_string_new (NULL);
  ioc_score_lines_append (yl, y, "40", "test-hub");
  const gchar *all = strstr (yl->str, "ioc_score,hub=test-hub,period=ytd,province=40,unit=all ");
  g_assert_nonnull (all);
  g_autofree gchar *stamp = g_strdup_printf (" %" G_GINT64_FORMAT "\n", ts);
  g_assert_true (strstr (all, stamp) == strchr (all, '\n') - strlen (stamp) + 1);
}

/* A reload with other weights moves the score at once. */
static void
test_reload (Fixture *fx, gconstpointer data)
{
  november (fx);
  g_autoptr (JsonNode) before = scorecard (fx, "month", "2026-11", "xa-16690");
  check_indicator (unit_of (before, "xa-16690"), "4.2", "scored", 1, 2, 2.5);
  write_scorecard (fx, "version = 2025.11-dvcqg", "version = test-2");
  g_autofree gchar *text = NULL;
  g_assert_true (g_file_get_contents (fx->score_path, &text, NULL, NULL));
  g_autoptr (GString) s = g_string_new (text);
  /* 4.2's target: 80 → 100. */
  const gchar *at = strstr (s->str, "[indicator 4.2]");
  g_assert_nonnull (at);
  gssize pos = at - s->str;
  gchar *t = strstr (s->str + pos, "target = 80");
  g_assert_nonnull (t);
  memcpy (t, "target = 99", 11);
  g_assert_true (g_file_set_contents (fx->score_path, s->str, -1, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_hub_reload (fx->hub, &error));
  g_assert_no_error (error);
  g_autoptr (JsonNode) after = scorecard (fx, "month", "2026-11", "xa-16690");
  check_indicator (unit_of (after, "xa-16690"), "4.2", "scored", 1, 2, 50.0 * 4 / 99);
  JsonObject *config = json_object_get_object_member (json_node_get_object (after), "config");
  g_assert_cmpstr (json_object_get_string_member (config, "version"), ==, "test-2");

  /* A bad file is refused and the running weights stay. */
  g_assert_true (g_file_set_contents (fx->score_path, "[scorecard]\nversion = x\n", -1, NULL));
  g_assert_false (ioc_hub_reload (fx->hub, &error));
  g_clear_error (&error);
  g_autoptr (JsonNode) kept = scorecard (fx, "month", "2026-11", "xa-16690");
  check_indicator (unit_of (kept, "xa-16690"), "4.2", "scored", 1, 2, 50.0 * 4 / 99);
}

/* After a stop and a new start on the same state, the same scorecard,
 * including October's closing stock. */
static void
test_restart (Fixture *fx, gconstpointer data)
{
  /* October: one dossier open over the month's end, due 5/11. */
  ioc_clock_set (fx->clock, vn (2026, 10, 30, 9));
  ioc_hub_tick (fx->hub);
  gint64 r = vn (2026, 10, 29, 8);
  dossier (fx, "xa-16681", "C1", 2, r, 1, r, vn (2026, 11, 5, 17), "");
  ioc_clock_set (fx->clock, vn (2026, 11, 1, 0) + 5 * G_USEC_PER_SEC);
  ioc_hub_tick (fx->hub);
  dossier (fx, "xa-16681", "C1", 10, vn (2026, 11, 10, 9), 1, r, vn (2026, 11, 5, 17), "");
  ioc_clock_set (fx->clock, vn (2026, 11, 20, 10));
  november (fx);
  g_autoptr (JsonNode) oct = scorecard (fx, "month", "2026-10", "xa-16681");
  JsonObject *period = json_object_get_object_member (json_node_get_object (oct), "period");
  g_assert_cmpstr (json_object_get_string_member (period, "stock"), ==, "month_end");
  check_indicator (unit_of (oct, "xa-16681"), "2.1", "scored", 1, 1, 20); /* open in time at its end */
  g_autoptr (JsonNode) nov = scorecard (fx, "month", "2026-11", NULL);
  check_indicator (unit_of (nov, "xa-16681"), "2.1", "scored", 3, 5, 12); /* C1 finished late in November */
  g_autofree gchar *before = json_to_string (nov, FALSE);

  ioc_hub_stop (fx->hub);
  g_clear_pointer (&fx->hub, ioc_hub_free);
  open_hub (fx);
  g_autoptr (JsonNode) oct2 = scorecard (fx, "month", "2026-10", "xa-16681");
  check_indicator (unit_of (oct2, "xa-16681"), "2.1", "scored", 1, 1, 20);
  g_autoptr (JsonNode) nov2 = scorecard (fx, "month", "2026-11", NULL);
  g_autofree gchar *again = json_to_string (nov2, FALSE);
  /* now_ms aside, the same document. */
  g_assert_cmpstr (strchr (again, ','), ==, strchr (before, ','));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/ioc/api-scorecard/november", test_november);
  ADD ("/ioc/api-scorecard/lines", test_lines);
  ADD ("/ioc/api-scorecard/reload", test_reload);
  ADD ("/ioc/api-scorecard/restart", test_restart);
  return g_test_run ();
}
