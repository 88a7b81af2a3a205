/* test-history-parts.c — the pure parts of GET /api/v1/history: the query
 * parameters (defaults, bucket edges at Vietnam's midnight, each 400), the
 * InfluxQL statement (channel 0 written without its tag, buckets offset to
 * local midnight), and the answer folded from InfluxDB's rows (series of
 * several hubs summed; a weekday profile's median where a counter's silent
 * hour is 0 and a gauge's is unknown). */
#include <glib.h>
#include <string.h>

#include "api/api-history.h"

#define DAY_S 86400
/* Wednesday 2026-03-04 10:30:00 +07:00. */
#define NOW_S ((gint64) 1772595000)

static gboolean
parse (const gchar *query_string, IocHistoryRequest *req, gchar **message)
{
  g_autoptr (GHashTable) query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) pairs = g_strsplit (query_string, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto (GStrv) kv = g_strsplit (pairs[i], "=", 2);
      if (kv[0] != NULL && kv[1] != NULL)
        g_hash_table_insert (query, g_strdup (kv[0]), g_strdup (kv[1]));
    }
  return ioc_history_request_parse (query, NOW_S * G_USEC_PER_SEC, req, message);
}

static void
test_parse_defaults (void)
{
  IocHistoryRequest req;
  g_autofree gchar *message = NULL;
  g_assert_true (parse ("", &req, &message));
  g_assert_cmpstr (req.unit, ==, "all");
  g_assert_cmpint (req.channel, ==, -1);
  g_assert_cmpint (req.step_s, ==, DAY_S);
  g_assert_cmpint (req.n_buckets, ==, 30);
  g_assert_false (req.gauge);
  /* Days start at local midnight (17:00 UTC) and the last one is today. */
  g_assert_cmpint ((req.from_s + 7 * 3600) % DAY_S, ==, 0);
  g_assert_cmpint (req.from_s + 30 * DAY_S, >, NOW_S);
  g_assert_cmpint (req.from_s + 29 * DAY_S, <=, NOW_S);
  ioc_history_request_clear (&req);

  g_assert_true (parse ("measurement=ioc_device&field=cameras_recording&profile=weekday&unit=xa-16681", &req,
                        &message));
  g_assert_true (req.gauge);
  g_assert_true (req.profile);
  g_assert_cmpint (req.step_s, ==, 3600);
  g_assert_cmpint (req.n_buckets, ==, 24);
  g_assert_cmpint (req.weeks, ==, 8);
  g_assert_cmpint (req.from_s, ==, 1772557200 - 8 * 7 * DAY_S); /* today's midnight, 8 weeks back */
  ioc_history_request_clear (&req);
}

static void
test_parse_errors (void)
{
  static const struct
  {
    const gchar *query;
    const gchar *want_prefix;
  } cases[] = {
    { "measurement=ioc_nothing", "measurement: expected" },
    { "field=nothing", "field: not an integer field" },
    { "measurement=ioc_queue&field=received", "field: not an integer field" },
    { "step=90", "step: seconds" },
    { "step=7200x", "step: seconds" },
    { "step=25200", "step: seconds" }, /* 7 h does not divide a day */
    { "channel=4", "channel: 0..3" },
    { "days=0", "channel: 0..3; days" },
    { "weeks=13", "channel: 0..3; days: 1..400; weeks" },
    { "profile=monthly", "profile: only" },
    { "days=400&step=3600", "days × 86400 / step must be at most" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IocHistoryRequest req;
      g_autofree gchar *message = NULL;
      g_assert_false (parse (cases[i].query, &req, &message));
      g_assert_nonnull (message);
      if (!g_str_has_prefix (message, cases[i].want_prefix))
        g_error ("%s: got \"%s\", expected \"%s…\"", cases[i].query, message, cases[i].want_prefix);
      ioc_history_request_clear (&req);
    }
}

static void
test_influxql (void)
{
  IocHistoryRequest req;
  g_autofree gchar *message = NULL;
  g_assert_true (parse ("unit=xa-16681&channel=0&field=overdue_entered", &req, &message));
  g_autofree gchar *q = ioc_history_influxql (&req);
  g_assert_nonnull (
      strstr (q, "SELECT sum(\"overdue_entered\") FROM \"ioc_dossier\" WHERE \"unit\" = 'xa-16681'"));
  g_assert_nonnull (strstr (q, "AND \"channel\" = ''"));
  /* Day buckets shifted to Vietnam's midnight, 17:00 UTC. */
  g_assert_nonnull (strstr (q, "GROUP BY time(86400s, 61200s), \"hub\", \"channel\" fill(none)"));
  ioc_history_request_clear (&req);

  g_assert_true (
      parse ("measurement=ioc_device&field=kiosks_online&channel=2&step=3600&days=2", &req, &message));
  g_autofree gchar *g = ioc_history_influxql (&req);
  g_assert_nonnull (strstr (g, "SELECT last(\"kiosks_online\")"));
  g_assert_nonnull (strstr (g, "AND \"channel\" = '2'"));
  g_assert_nonnull (strstr (g, "GROUP BY time(3600s, 0s)"));
  ioc_history_request_clear (&req);
}

/* InfluxDB's "results": one series per hub, rows [time s, value]. */
static JsonNode *
results (const gchar *series_a, const gchar *series_b)
{
  g_autofree gchar *text = g_strdup_printf (
      "[{\"series\":[{\"name\":\"ioc_dossier\",\"tags\":{\"hub\":\"a\",\"channel\":\"\"},"
      "\"columns\":[\"time\",\"v\"],\"values\":[%s]},"
      "{\"name\":\"ioc_dossier\",\"tags\":{\"hub\":\"b\",\"channel\":\"\"},"
      "\"columns\":[\"time\",\"v\"],\"values\":[%s]}]}]",
      series_a, series_b);
  return json_from_string (text, NULL);
}

static JsonNode *
answer (const IocHistoryRequest *req, JsonNode *res)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = ioc_history_answer (req, res, NOW_S * G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  return json_from_string (text, NULL);
}

static JsonArray *
points (JsonNode *root)
{
  return json_object_get_array_member (json_node_get_object (root), "points");
}

static gboolean
point_is_null (JsonArray *pts, guint i)
{
  return json_node_is_null (json_array_get_element (json_array_get_array_element (pts, i), 1));
}

static gdouble
point_value (JsonArray *pts, guint i)
{
  return json_array_get_double_element (json_array_get_array_element (pts, i), 1);
}

static void
test_answer_sums_hubs (void)
{
  IocHistoryRequest req;
  g_autofree gchar *message = NULL;
  g_assert_true (parse ("days=3", &req, &message));
  gint64 d0 = req.from_s;
  g_autofree gchar *a
      = g_strdup_printf ("[%" G_GINT64_FORMAT ",4],[%" G_GINT64_FORMAT ",1]", d0, d0 + 2 * DAY_S);
  g_autofree gchar *b = g_strdup_printf ("[%" G_GINT64_FORMAT ",6]", d0);
  g_autoptr (JsonNode) res = results (a, b);
  g_autoptr (JsonNode) root = answer (&req, res);
  JsonArray *pts = points (root);
  g_assert_cmpuint (json_array_get_length (pts), ==, 3);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (pts, 0), 0), ==, d0 * 1000);
  g_assert_cmpfloat (point_value (pts, 0), ==, 10); /* both hubs */
  g_assert_true (point_is_null (pts, 1));         /* nobody wrote that day: unknown, not 0 */
  g_assert_cmpfloat (point_value (pts, 2), ==, 1);
  ioc_history_request_clear (&req);
}

static void
test_answer_profile_median (void)
{
  /* Two weeks of Wednesdays, hourly: week 0 has 08:00 only (9), week 1 has
   * 08:00 (3) and 09:00 (5). */
  const gchar *kinds[] = { "field=received", "measurement=ioc_device&field=kiosks" };
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      IocHistoryRequest req;
      g_autofree gchar *message = NULL;
      g_autofree gchar *qs = g_strdup_printf ("%s&profile=weekday&weeks=2", kinds[k]);
      g_assert_true (parse (qs, &req, &message));
      gint64 w0 = req.from_s, w1 = req.from_s + 7 * DAY_S;
      g_autofree gchar *a
          = g_strdup_printf ("[%" G_GINT64_FORMAT ",9],[%" G_GINT64_FORMAT ",3],[%" G_GINT64_FORMAT ",5]",
                             w0 + 8 * 3600, w1 + 8 * 3600, w1 + 9 * 3600);
      g_autoptr (JsonNode) res = results (a, "");
      g_autoptr (JsonNode) root = answer (&req, res);
      g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "weeks_with_data"), ==, 2);
      JsonArray *pts = points (root);
      g_assert_cmpuint (json_array_get_length (pts), ==, 24);
      g_assert_cmpfloat (point_value (pts, 8), ==, 6); /* median of 9 and 3 */
      if (!req.gauge)
        {
          g_assert_cmpfloat (point_value (pts, 9), ==, 2.5); /* median of 0 (a quiet hour) and 5 */
          g_assert_cmpfloat (point_value (pts, 3), ==, 0);   /* 03:00: quiet in both weeks */
        }
      else
        {
          g_assert_cmpfloat (point_value (pts, 9), ==, 5); /* a gauge's missing hour is unknown */
          g_assert_true (point_is_null (pts, 3));
        }
      ioc_history_request_clear (&req);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/history/parse-defaults", test_parse_defaults);
  g_test_add_func ("/ioc/history/parse-errors", test_parse_errors);
  g_test_add_func ("/ioc/history/influxql", test_influxql);
  g_test_add_func ("/ioc/history/answer-sums-hubs", test_answer_sums_hubs);
  g_test_add_func ("/ioc/history/answer-profile-median", test_answer_profile_median);
  return g_test_run ();
}
