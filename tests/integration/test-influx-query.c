/* test-influx-query.c — reading history back from a real influxd: the
 * rows, tags and times a GROUP BY query returns are exactly the points
 * written; InfluxDB's own error messages reach the caller; a quoted tag
 * value with quotes and Vietnamese letters cannot break the statement; an
 * unreachable server is an error, not an empty answer. */
#include <string.h>

#include "protocol/ioc-error.h"
#include "sinks/influx-query.h"
#include "tests/lib/test-influx.h"

#define TS0_S G_GINT64_CONSTANT (1751328000) /* 2025-07-01T00:00:00Z */

typedef struct
{
  GString *seen; /* "measurement|unit|time|value;" per row */
} Rows;

static void
collect_row (const gchar *measurement, GHashTable *tags, JsonArray *columns, JsonArray *row, gpointer user_data)
{
  Rows *rows = user_data;
  const gchar *unit = g_hash_table_lookup (tags, "unit");
  g_assert_cmpstr (json_array_get_string_element (columns, 0), ==, "time");
  JsonNode *v = json_array_get_element (row, 1);
  gchar value[G_ASCII_DTOSTR_BUF_SIZE] = "null";
  if (JSON_NODE_TYPE (v) != JSON_NODE_NULL)
    g_snprintf (value, sizeof value, "%g", json_node_get_double (v));
  g_string_append_printf (rows->seen, "%s|%s|%" G_GINT64_FORMAT "|%s;", measurement, unit ? unit : "-",
                          json_array_get_int_element (row, 0), value);
}

static IocTestInflux *
start_influx (void)
{
  const gchar *bin = g_getenv ("IOC_TEST_INFLUXD") ? g_getenv ("IOC_TEST_INFLUXD") : "/usr/bin/influxd";
  if (!g_file_test (bin, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_fail_printf ("influxd is not installed (run ops/setup.sh)");
      return NULL;
    }
  g_autoptr (GError) error = NULL;
  IocTestInflux *influx = ioc_test_influx_start (&error);
  g_assert_no_error (error);
  return influx;
}

static void
test_rows_match_points (void)
{
  g_autoptr (IocTestInflux) influx = start_influx ();
  if (influx == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_test_influx_exec (influx, "CREATE DATABASE hist", &error));
  g_assert_no_error (error);
  /* Two units, two days; the second unit's name has a quote and diacritics. */
  g_autofree gchar *lines = g_strdup_printf (
      "ioc_dossier,unit=40001 received=3i,overdue=1i %" G_GINT64_FORMAT "\n"
      "ioc_dossier,unit=40001 received=5i,overdue=0i %" G_GINT64_FORMAT "\n"
      "ioc_dossier,unit=x'Nghĩa received=7i,overdue=2i %" G_GINT64_FORMAT "\n",
      TS0_S + 3600, TS0_S + 86400 + 7200, TS0_S + 600);
  g_assert_cmpint (ioc_test_influx_write (influx, "hist", lines, NULL), ==, 204);

  g_autoptr (IocInfluxQuery) q = ioc_influx_query_new (ioc_test_influx_url (influx), "hist", NULL, NULL);
  g_autofree gchar *stmt = g_strdup_printf (
      "SELECT sum(received) FROM ioc_dossier WHERE time >= %" G_GINT64_FORMAT "s AND time < %" G_GINT64_FORMAT
      "s GROUP BY time(1d), unit",
      TS0_S, TS0_S + 2 * 86400);
  g_autoptr (JsonNode) results = ioc_influx_query_run (q, stmt, &error);
  g_assert_no_error (error);
  g_assert_nonnull (results);
  Rows rows = { g_string_new (NULL) };
  g_assert_true (ioc_influx_query_foreach_row (results, collect_row, &rows, &error));
  g_assert_no_error (error);
  g_autofree gchar *expected = g_strdup_printf (
      "ioc_dossier|40001|%" G_GINT64_FORMAT "|3;ioc_dossier|40001|%" G_GINT64_FORMAT "|5;"
      "ioc_dossier|x'Nghĩa|%" G_GINT64_FORMAT "|7;ioc_dossier|x'Nghĩa|%" G_GINT64_FORMAT "|null;",
      TS0_S, TS0_S + 86400, TS0_S, TS0_S + 86400);
  g_assert_cmpstr (rows.seen->str, ==, expected);
  g_string_free (rows.seen, TRUE);

  /* A quoted value selects exactly the unit with the quote in its name. */
  g_autofree gchar *quoted = ioc_influx_query_quote ("x'Nghĩa");
  g_assert_cmpstr (quoted, ==, "'x\\'Nghĩa'");
  g_autofree gchar *stmt2 = g_strdup_printf ("SELECT sum(overdue) FROM ioc_dossier WHERE unit = %s", quoted);
  g_autoptr (JsonNode) r2 = ioc_influx_query_run (q, stmt2, &error);
  g_assert_no_error (error);
  Rows rows2 = { g_string_new (NULL) };
  g_assert_true (ioc_influx_query_foreach_row (r2, collect_row, &rows2, &error));
  g_assert_cmpstr (rows2.seen->str, ==, "ioc_dossier|-|0|2;");
  g_string_free (rows2.seen, TRUE);

  /* A query that matches nothing is an empty answer, not an error. */
  g_autoptr (JsonNode) r3 = ioc_influx_query_run (q, "SELECT * FROM no_such_measurement", &error);
  g_assert_no_error (error);
  Rows rows3 = { g_string_new (NULL) };
  g_assert_true (ioc_influx_query_foreach_row (r3, collect_row, &rows3, &error));
  g_assert_cmpstr (rows3.seen->str, ==, "");
  g_string_free (rows3.seen, TRUE);
}

static void
test_influx_errors_reach_caller (void)
{
  g_autoptr (IocTestInflux) influx = start_influx ();
  if (influx == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (IocInfluxQuery) q = ioc_influx_query_new (ioc_test_influx_url (influx), "nodb", NULL, NULL);

  g_autoptr (JsonNode) r1 = ioc_influx_query_run (q, "SELEKT nonsense", &error);
  g_assert_null (r1);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "SELEKT")); /* InfluxDB's parser message, not ours */
  g_clear_error (&error);

  g_autoptr (JsonNode) r2 = ioc_influx_query_run (q, "SELECT * FROM m", &error);
  g_assert_null (r2);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "database not found"));
  g_clear_error (&error);

  /* Stopped server: an error naming the address, never an empty result. */
  ioc_test_influx_stop (influx);
  ioc_influx_query_set_timeout (q, 3 * G_USEC_PER_SEC);
  g_autoptr (JsonNode) r3 = ioc_influx_query_run (q, "SHOW DATABASES", &error);
  g_assert_null (r3);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, ioc_test_influx_url (influx)));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add_func ("/ioc/influx-query/rows-match-points", test_rows_match_points);
  g_test_add_func ("/ioc/influx-query/influx-errors-reach-caller", test_influx_errors_reach_caller);
  return g_test_run ();
}
