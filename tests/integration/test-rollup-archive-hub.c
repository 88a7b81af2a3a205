/* test-rollup-archive-hub.c — late events for minutes past the in-memory
 * horizon, end to end (mosquitto, influxd, iochub): the minute is archived
 * at a snapshot, a late event brings it back and InfluxDB's point for it
 * becomes the exact sum, for the unit and "all"; a SIGKILL right after a
 * late event neither loses nor doubles it; an event dated last month is a
 * dead letter too_late. */
#include <string.h>

#include "test-publisher.h"
#include "test-stack.h"

typedef struct
{
  IocTestStack stack;
  IocTestPublisher *pub;
  gint64 minute_ms; /* the minute the late events belong to */
  guint seq[2];
} Fixture;

static const gchar *const units[] = { "xa-16681", "xa-16690" };

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  ioc_test_stack_start (&f->stack);
  /* A minute leaves memory after 70 s (1 min + lateness); a snapshot a second. */
  ioc_test_stack_start_hub (&f->stack, "[windows]\nhorizon = 1m\n[journal]\nsnapshot_interval = 1s\n");
  f->pub = ioc_test_stack_publisher (&f->stack);
  gint64 now_ms = g_get_real_time () / 1000;
  f->minute_ms = now_ms / 60000 * 60000 - 4 * 60000;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->pub, ioc_test_publisher_free);
  ioc_test_stack_clear (&f->stack);
}

static void
publish (Fixture *f, guint u, guint n, gint64 ts_ms)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/kiosk/k-late-%u/event", units[u], u);
      guint seq = ++f->seq[u];
      g_autofree gchar *payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT
                                                   ",\"type\":\"ticket.issued\",\"ticket\":\"L-%u\"}",
                                                   seq, ts_ms + i * 1000, seq);
      ioc_test_publisher_send (f->pub, topic, payload, FALSE);
    }
  g_assert_true (ioc_test_publisher_flush (f->pub, 30 * G_TIME_SPAN_SECOND));
}

static gint64
point (Fixture *f, const gchar *unit)
{
  g_autofree gchar *q = g_strdup_printf ("SELECT sum(\"issued\") FROM \"ioc_queue\" WHERE \"unit\"='%s' AND time = %"
                                         G_GINT64_FORMAT "ms", unit, f->minute_ms);
  gint64 v = -1;
  if (!ioc_test_influx_query_int (f->stack.influx, "ioc", q, &v, NULL))
    return -1;
  return v;
}

/* Bounded wait until the minute's point holds want for the unit and for all. */
static void
wait_point (Fixture *f, const gchar *unit, gint64 want_unit, gint64 want_all)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  gint64 u = -1, a = -1;
  while (g_get_monotonic_time () < deadline)
    {
      u = point (f, unit);
      a = point (f, "all");
      if (u == want_unit && a == want_all)
        return;
      g_usleep (200 * 1000);
    }
  g_error ("minute point: %s=%" G_GINT64_FORMAT " all=%" G_GINT64_FORMAT ", want %" G_GINT64_FORMAT " and %"
           G_GINT64_FORMAT, unit, u, a, want_unit, want_all);
}

static void
test_late_rewrite (Fixture *f, gconstpointer data)
{
  publish (f, 0, 5, f->minute_ms + 1000);
  publish (f, 1, 3, f->minute_ms + 2000);
  wait_point (f, units[0], 5, 8);
  /* The minute is 4 minutes old: past the horizon, archived at a snapshot. */
  g_assert_cmpfloat (ioc_test_hub_wait_metric_above (f->stack.hub, "iochub_rollup_archive_bytes", 0, 60), >, 0);
  gdouble bytes = ioc_test_hub_metric (f->stack.hub, "iochub_rollup_archive_bytes");

  publish (f, 0, 2, f->minute_ms + 10000);
  wait_point (f, units[0], 7, 10);
  g_assert_cmpfloat (ioc_test_hub_metric (f->stack.hub, "iochub_rollup_archive_rewrites_total"), >, 0);
  /* Archived again: the file grows by the corrected records. */
  g_assert_cmpfloat (ioc_test_hub_wait_metric_above (f->stack.hub, "iochub_rollup_archive_bytes", bytes, 60), >,
                     bytes);

  /* SIGKILL right after a late event: neither lost nor counted twice. */
  publish (f, 1, 4, f->minute_ms + 20000);
  ioc_test_hub_kill (f->stack.hub);
  g_autoptr (GError) error = NULL;
  ioc_test_hub_start (f->stack.hub, &error);
  g_assert_no_error (error);
  wait_point (f, units[1], 7, 14);

  /* Last month: a dead letter, not accepted. */
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) old = g_date_time_add_days (now, -40);
  publish (f, 0, 1, g_date_time_to_unix (old) * 1000);
  const gchar *too_late = "iochub_deadletters_total{reason=\"too_late\"}";
  g_assert_cmpfloat (ioc_test_hub_wait_metric_above (f->stack.hub, too_late, 0, 60), >, 0);
  g_assert_cmpfloat (ioc_test_hub_metric (f->stack.hub, too_late), ==, 1);
  wait_point (f, units[1], 7, 14);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/ioc/rollup-archive-hub/late-rewrite", Fixture, NULL, fixture_setup, test_late_rewrite,
              fixture_teardown);
  return g_test_run ();
}
