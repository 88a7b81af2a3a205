/* test-stats.c — the stats registry behind /metrics and /healthz: one stat
 * per (name, labels), exact counts from several threads, integer and
 * double gauges, and the Prometheus text (HELP and TYPE once per name,
 * every label set under it). */
#include <glib.h>
#include <string.h>

#include "protocol/ioc-stats.h"

static void
test_register_once (void)
{
  IocStat *a = ioc_stat ("test_once_total", NULL, IOC_STAT_COUNTER, "Once");
  IocStat *b = ioc_stat ("test_once_total", NULL, IOC_STAT_COUNTER, "Once");
  IocStat *c = ioc_stat ("test_once_total", "reason=\"x\"", IOC_STAT_COUNTER, "Once");
  g_assert_true (a == b);
  g_assert_true (a != c);
  ioc_stat_add (a, 2);
  ioc_stat_add (b, 3);
  ioc_stat_add (c, 7);
  g_assert_cmpint (ioc_stat_get (a), ==, 5);
  g_assert_cmpint (ioc_stats_lookup ("test_once_total", NULL), ==, 5);
  g_assert_cmpint (ioc_stats_lookup ("test_once_total", "reason=\"x\""), ==, 7);
  g_assert_cmpint (ioc_stats_lookup ("test_never_registered", NULL), ==, 0);
}

static gpointer
adder (gpointer data)
{
  for (guint i = 0; i < 100000; i++)
    ioc_stat_add (data, 1);
  return NULL;
}

static void
test_threads (void)
{
  IocStat *s = ioc_stat ("test_threads_total", NULL, IOC_STAT_COUNTER, "From four threads");
  GThread *t[4];
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    t[i] = g_thread_new ("adder", adder, s);
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    g_thread_join (t[i]);
  g_assert_cmpint (ioc_stat_get (s), ==, 400000);
}

static void
test_gauges (void)
{
  IocStat *g = ioc_stat ("test_depth", NULL, IOC_STAT_GAUGE, "A depth");
  ioc_stat_set (g, 12);
  ioc_stat_set (g, 3);
  g_assert_cmpint (ioc_stat_get (g), ==, 3);
  IocStat *d = ioc_stat ("test_age_seconds", NULL, IOC_STAT_GAUGE, "An age");
  ioc_stat_set_double (d, -1.0);
  g_assert_cmpfloat (ioc_stat_get_double (d), ==, -1.0);
  ioc_stat_set_double (d, 0.25);
  g_assert_cmpfloat (ioc_stat_get_double (d), ==, 0.25);
}

static void
test_render (void)
{
  IocStat *a = ioc_stat ("test_render_total", "reason=\"bad_json\"", IOC_STAT_COUNTER, "Rejects by reason");
  IocStat *b = ioc_stat ("test_render_total", "reason=\"unknown_unit\"", IOC_STAT_COUNTER, "Rejects by reason");
  IocStat *g = ioc_stat ("test_render_ratio", NULL, IOC_STAT_GAUGE, "A ratio");
  ioc_stat_add (a, 4);
  ioc_stat_add (b, 1);
  ioc_stat_set_double (g, 0.5);
  g_autoptr (GString) out = g_string_new (NULL);
  ioc_stats_render (out);
  const gchar *want = "# HELP test_render_total Rejects by reason\n"
                      "# TYPE test_render_total counter\n"
                      "test_render_total{reason=\"bad_json\"} 4\n"
                      "test_render_total{reason=\"unknown_unit\"} 1\n"
                      "# HELP test_render_ratio A ratio\n"
                      "# TYPE test_render_ratio gauge\n"
                      "test_render_ratio 0.5\n";
  g_assert_nonnull (strstr (out->str, want));
  /* The HELP line of a name appears once, however many label sets. */
  const gchar *first = strstr (out->str, "# HELP test_render_total");
  g_assert_null (strstr (first + 1, "# HELP test_render_total"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/stats/register-once", test_register_once);
  g_test_add_func ("/ioc/stats/threads-count-exactly", test_threads);
  g_test_add_func ("/ioc/stats/gauges", test_gauges);
  g_test_add_func ("/ioc/stats/render", test_render);
  return g_test_run ();
}
