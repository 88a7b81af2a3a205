/* test-minute-ring.c — the charts' minute points per series: values by
 * minute and channel, a late re-emission replacing a minute, a minute out
 * of reach once the ring came round, a whole day held, memory that follows
 * the points held (not the number of series) and is given back when they
 * age out, and the bound on it. */
#include <glib.h>

#include "api/minute-ring.h"

/* 2026-03-02 00:00 local (UTC+7) as a minute index, and a minute of it. */
#define DAY0 ((gint32) (1772384400 / 60))
#define M(k) (DAY0 + (k))
#define DAY IOC_MINUTE_RING_MAX_MINUTES
#define PLENTY ((gsize) 64 << 20)

static IocPoint
point (IocMeasurement m, const gchar *unit, guint8 channel, gint32 minute, gint64 a, gint64 b)
{
  IocPoint p
      = { .measurement = m, .unit = unit, .channel = channel, .ts_us = (gint64) minute * G_TIME_SPAN_MINUTE };
  p.ints[0] = a;
  p.ints[1] = b;
  return p;
}

static void
add (IocMinuteRing *r, IocPoint p)
{
  g_assert_true (ioc_minute_ring_add (r, &p));
}

static gint64
value_or_minus_one (IocMinuteRing *r, IocMeasurement m, const gchar *unit, gint channel, guint f, gint32 minute)
{
  gint64 v = 0;
  return ioc_minute_ring_value (r, m, unit, channel, f, minute, &v) ? v : -1;
}

static void
test_value_by_channel (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (DAY, PLENTY);
  add (r, point (IOC_MEAS_DOSSIER, "xa-16681", 1, M (10), 3, 0));
  add (r, point (IOC_MEAS_DOSSIER, "xa-16681", 2, M (10), 4, 0));
  gint64 v = -1;
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16681", -1, 0, M (10), &v));
  g_assert_cmpint (v, ==, 7); /* every channel summed */
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16681", 2, 0, M (10), &v));
  g_assert_cmpint (v, ==, 4);
  /* A minute nobody sent is unknown, not 0: the chart draws a gap.  That
   * holds for a minute beside one that was sent, in the same block. */
  g_assert_false (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16681", -1, 0, M (11), &v));
  g_assert_false (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16681", 3, 0, M (10), &v));
  g_assert_false (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16690", -1, 0, M (10), &v));
  g_assert_cmpuint (ioc_minute_ring_n_series (r), ==, 2);
}

static void
test_late_minute_replaces (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (DAY, PLENTY);
  add (r, point (IOC_MEAS_QUEUE, "all", 0, M (5), 10, 2));
  /* Late data: the rollup re-emits the minute with its corrected values. */
  add (r, point (IOC_MEAS_QUEUE, "all", 0, M (5), 12, 3));
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_QUEUE, "all", -1, 0, M (5)), ==, 12);
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_QUEUE, "all", -1, 1, M (5)), ==, 3);
}

static void
test_wrapped_minute_out_of_reach (void)
{
  /* A ring of 10 minutes: once minute 25 is held, minute 5 is past it. */
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (10, PLENTY);
  add (r, point (IOC_MEAS_QUEUE, "all", 0, M (25), 9, 0));
  /* A re-emission of the older minute must not overwrite the newer one. */
  add (r, point (IOC_MEAS_QUEUE, "all", 0, M (5), 1, 0));
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_QUEUE, "all", -1, 0, M (5)), ==, -1);
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_QUEUE, "all", -1, 0, M (25)), ==, 9);
  /* And the newer minute's block, reused, keeps none of what it held. */
  add (r, point (IOC_MEAS_QUEUE, "all", 0, M (45), 4, 0));
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_QUEUE, "all", -1, 0, M (25)), ==, -1);
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_QUEUE, "all", -1, 0, M (45)), ==, 4);
}

/* Every minute of a day and a half, one point each: after the last, the
 * last 1,440 minutes all read back, whatever the hour the day starts at. */
static void
test_whole_day_held (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (DAY, PLENTY);
  gint32 last = M (DAY + DAY / 2 + 17);
  for (gint32 m = M (0); m <= last; m++)
    {
      add (r, point (IOC_MEAS_DOSSIER, "all", 1, m, m - M (0), 0));
      ioc_minute_ring_expire (r, m);
    }
  for (gint32 m = last - DAY + 1; m <= last; m++)
    g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_DOSSIER, "all", 1, 0, m), ==, m - M (0));
}

/* The soak's finding: every series took a whole day of memory at its
 * first point, so memory grew with every commune that had a first dossier
 * and the wall lost series past a fixed count.  Now a series with two
 * points takes two small blocks. */
static void
test_memory_follows_points (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (DAY, PLENTY);
  guint n = ioc_measurement_n_ints (IOC_MEAS_DOSSIER);
  gsize day_of_one_series = (gsize) DAY * n * sizeof (gint32);
  add (r, point (IOC_MEAS_DOSSIER, "xa-16681", 1, M (9 * 60), 1, 0));
  gsize one = ioc_minute_ring_bytes (r);
  g_assert_cmpuint (one, >, 60 * n * sizeof (gint32));
  g_assert_cmpuint (one, <, day_of_one_series / 16);
  add (r, point (IOC_MEAS_DOSSIER, "xa-16681", 1, M (9 * 60 + 59), 1, 0)); /* the same hour */
  g_assert_cmpuint (ioc_minute_ring_bytes (r), ==, one);
  add (r, point (IOC_MEAS_DOSSIER, "xa-16681", 1, M (15 * 60), 1, 0)); /* another */
  g_assert_cmpuint (ioc_minute_ring_bytes (r), <, 2 * one);
  /* A thousand communes with a dossier each fit where 2,000 days would. */
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree gchar *unit = g_strdup_printf ("xa-%05u", i);
      add (r, point (IOC_MEAS_DOSSIER, unit, 1, M (10 * 60), 1, 0));
    }
  g_assert_cmpuint (ioc_minute_ring_n_series (r), ==, 1001);
  g_assert_cmpuint (ioc_minute_ring_bytes (r), <, 1002 * one);
}

static void
test_old_points_given_back (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (DAY, PLENTY);
  add (r, point (IOC_MEAS_RATING, "xa-16681", 0, M (0), 4, 3));
  add (r, point (IOC_MEAS_RATING, "xa-16690", 0, M (0), 1, 1));
  add (r, point (IOC_MEAS_RATING, "xa-16690", 0, M (DAY), 2, 2));
  gsize both = ioc_minute_ring_bytes (r);
  /* A day on, minute 0 is still within reach of minute DAY - 1... */
  ioc_minute_ring_expire (r, M (DAY - 1));
  g_assert_cmpuint (ioc_minute_ring_bytes (r), ==, both);
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_RATING, "xa-16681", -1, 0, M (0)), ==, 4);
  /* ...and past it an hour later: its block and the series it was all of
   * are freed; the other series keeps its newer block. */
  ioc_minute_ring_expire (r, M (DAY + 60));
  g_assert_cmpuint (ioc_minute_ring_n_series (r), ==, 1);
  g_assert_cmpuint (ioc_minute_ring_bytes (r), <, both / 2);
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_RATING, "xa-16681", -1, 0, M (0)), ==, -1);
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_RATING, "xa-16690", -1, 0, M (DAY)), ==, 2);
  ioc_minute_ring_expire (r, M (3 * DAY));
  g_assert_cmpuint (ioc_minute_ring_n_series (r), ==, 0);
  g_assert_cmpuint (ioc_minute_ring_bytes (r), ==, 0);
}

static void
test_values_clamped_to_32_bits (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (DAY, PLENTY);
  add (r, point (IOC_MEAS_DEVICE, "all", 0, M (1), (gint64) G_MAXINT32 + 5, G_MININT64));
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_DEVICE, "all", 0, 0, M (1)), ==, G_MAXINT32);
  gint64 v = 0;
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_DEVICE, "all", 0, 1, M (1), &v));
  g_assert_cmpint (v, ==, G_MININT32);
}

static void
test_memory_bounded (void)
{
  /* Room for a few series of one block: measure one, then bound at 3. */
  g_autoptr (IocMinuteRing) probe = ioc_minute_ring_new (DAY, PLENTY);
  add (probe, point (IOC_MEAS_QUEUE, "xa-00001", 0, M (1), 1, 0));
  gsize one = ioc_minute_ring_bytes (probe);

  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (DAY, 3 * one);
  add (r, point (IOC_MEAS_QUEUE, "xa-00001", 0, M (1), 1, 0));
  add (r, point (IOC_MEAS_QUEUE, "xa-00002", 0, M (1), 1, 0));
  add (r, point (IOC_MEAS_QUEUE, "xa-00003", 0, M (1), 1, 0));
  IocPoint fourth = point (IOC_MEAS_QUEUE, "xa-00004", 0, M (1), 1, 0);
  g_assert_false (ioc_minute_ring_add (r, &fourth)); /* the caller counts it */
  IocPoint next_hour = point (IOC_MEAS_QUEUE, "xa-00002", 0, M (61), 5, 0);
  g_assert_false (ioc_minute_ring_add (r, &next_hour)); /* a new block is memory too */
  g_assert_cmpuint (ioc_minute_ring_n_series (r), ==, 3);
  g_assert_cmpuint (ioc_minute_ring_bytes (r), <=, 3 * one);
  /* The blocks already held still take their minutes. */
  add (r, point (IOC_MEAS_QUEUE, "xa-00002", 0, M (2), 7, 0));
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_QUEUE, "xa-00002", -1, 0, M (2)), ==, 7);
  g_assert_cmpint (value_or_minus_one (r, IOC_MEAS_QUEUE, "xa-00004", -1, 0, M (1)), ==, -1);
  /* Once they age out, there is room again. */
  ioc_minute_ring_expire (r, M (2 * DAY));
  g_assert_cmpuint (ioc_minute_ring_bytes (r), ==, 0);
  IocPoint later = point (IOC_MEAS_QUEUE, "xa-00004", 0, M (2 * DAY), 3, 0);
  g_assert_true (ioc_minute_ring_add (r, &later));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/minute-ring/value-by-channel", test_value_by_channel);
  g_test_add_func ("/ioc/minute-ring/late-minute-replaces", test_late_minute_replaces);
  g_test_add_func ("/ioc/minute-ring/wrapped-minute-out-of-reach", test_wrapped_minute_out_of_reach);
  g_test_add_func ("/ioc/minute-ring/whole-day-held", test_whole_day_held);
  g_test_add_func ("/ioc/minute-ring/memory-follows-points", test_memory_follows_points);
  g_test_add_func ("/ioc/minute-ring/old-points-given-back", test_old_points_given_back);
  g_test_add_func ("/ioc/minute-ring/values-clamped", test_values_clamped_to_32_bits);
  g_test_add_func ("/ioc/minute-ring/memory-bounded", test_memory_bounded);
  return g_test_run ();
}
