/* test-minute-ring.c — the API's 24 h of minute points per series: values
 * by minute and channel, a late re-emission replacing a minute, a minute
 * out of reach after the ring wrapped, today's sums and their cache, and
 * the bound on the number of series. */
#include <glib.h>

#include "api/minute-ring.h"

/* 2026-03-02 00:00 local (UTC+7) as a minute index, and a minute of it. */
#define DAY0 ((gint32) (1772384400 / 60))
#define M(k) (DAY0 + (k))

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

static void
test_value_by_channel (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (16);
  add (r, point (IOC_MEAS_DOSSIER, "xa-16681", 1, M (10), 3, 0));
  add (r, point (IOC_MEAS_DOSSIER, "xa-16681", 2, M (10), 4, 0));
  gint64 v = -1;
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16681", -1, 0, M (10), &v));
  g_assert_cmpint (v, ==, 7); /* every channel summed */
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16681", 2, 0, M (10), &v));
  g_assert_cmpint (v, ==, 4);
  /* A minute nobody sent is unknown, not 0: the chart draws a gap. */
  g_assert_false (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16681", -1, 0, M (11), &v));
  g_assert_false (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16681", 3, 0, M (10), &v));
  g_assert_false (ioc_minute_ring_value (r, IOC_MEAS_DOSSIER, "xa-16690", -1, 0, M (10), &v));
  g_assert_cmpuint (ioc_minute_ring_n_series (r), ==, 2);
}

static void
test_late_minute_replaces (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (16);
  add (r, point (IOC_MEAS_QUEUE, "all", 0, M (5), 10, 2));
  /* Late data: the rollup re-emits the minute with its corrected values. */
  add (r, point (IOC_MEAS_QUEUE, "all", 0, M (5), 12, 3));
  gint64 v = 0;
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_QUEUE, "all", -1, 0, M (5), &v));
  g_assert_cmpint (v, ==, 12);
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_QUEUE, "all", -1, 1, M (5), &v));
  g_assert_cmpint (v, ==, 3);
}

static void
test_wrapped_minute_out_of_reach (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (16);
  gint32 later = M (5) + IOC_MINUTE_RING_MINUTES; /* the same slot, a day later */
  add (r, point (IOC_MEAS_QUEUE, "all", 0, later, 9, 0));
  /* A re-emission of the older minute must not overwrite the newer one. */
  add (r, point (IOC_MEAS_QUEUE, "all", 0, M (5), 1, 0));
  gint64 v = 0;
  g_assert_false (ioc_minute_ring_value (r, IOC_MEAS_QUEUE, "all", -1, 0, M (5), &v));
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_QUEUE, "all", -1, 0, later, &v));
  g_assert_cmpint (v, ==, 9);
}

static void
test_sums_and_their_cache (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (16);
  add (r, point (IOC_MEAS_RATING, "xa-16681", 0, M (-1), 100, 100)); /* yesterday */
  add (r, point (IOC_MEAS_RATING, "xa-16681", 0, M (0), 4, 3));
  add (r, point (IOC_MEAS_RATING, "xa-16681", 1, M (30), 2, 1));
  gint64 sums[IOC_MAX_INT_FIELDS];
  ioc_minute_ring_sums (r, IOC_MEAS_RATING, "xa-16681", M (0), M (60), sums);
  g_assert_cmpint (sums[IOC_F_RATING_RATINGS], ==, 6);
  g_assert_cmpint (sums[IOC_F_RATING_SATISFIED], ==, 4);
  /* Asked again with nothing new: the same (from the cache). */
  ioc_minute_ring_sums (r, IOC_MEAS_RATING, "xa-16681", M (0), M (60), sums);
  g_assert_cmpint (sums[IOC_F_RATING_RATINGS], ==, 6);
  /* The range's end moves every minute: the cache must follow it. */
  ioc_minute_ring_sums (r, IOC_MEAS_RATING, "xa-16681", M (0), M (20), sums);
  g_assert_cmpint (sums[IOC_F_RATING_RATINGS], ==, 4);
  ioc_minute_ring_sums (r, IOC_MEAS_RATING, "xa-16681", M (0), M (60), sums);
  g_assert_cmpint (sums[IOC_F_RATING_RATINGS], ==, 6);
  /* A new point, then a moved range: neither may be served stale. */
  add (r, point (IOC_MEAS_RATING, "xa-16681", 0, M (45), 5, 5));
  ioc_minute_ring_sums (r, IOC_MEAS_RATING, "xa-16681", M (0), M (60), sums);
  g_assert_cmpint (sums[IOC_F_RATING_RATINGS], ==, 11);
  ioc_minute_ring_sums (r, IOC_MEAS_RATING, "xa-16681", M (31), M (60), sums);
  g_assert_cmpint (sums[IOC_F_RATING_RATINGS], ==, 5);
  ioc_minute_ring_sums (r, IOC_MEAS_RATING, "xa-16690", M (0), M (60), sums);
  g_assert_cmpint (sums[IOC_F_RATING_RATINGS], ==, 0);
}

static void
test_values_clamped_to_32_bits (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (16);
  add (r, point (IOC_MEAS_DEVICE, "all", 0, M (1), (gint64) G_MAXINT32 + 5, G_MININT64));
  gint64 v = 0;
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_DEVICE, "all", 0, 0, M (1), &v));
  g_assert_cmpint (v, ==, G_MAXINT32);
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_DEVICE, "all", 0, 1, M (1), &v));
  g_assert_cmpint (v, ==, G_MININT32);
}

static void
test_series_bounded (void)
{
  g_autoptr (IocMinuteRing) r = ioc_minute_ring_new (2);
  add (r, point (IOC_MEAS_QUEUE, "xa-1", 0, M (1), 1, 0));
  add (r, point (IOC_MEAS_QUEUE, "xa-2", 0, M (1), 1, 0));
  IocPoint third = point (IOC_MEAS_QUEUE, "xa-3", 0, M (1), 1, 0);
  g_assert_false (ioc_minute_ring_add (r, &third)); /* the caller counts it */
  g_assert_cmpuint (ioc_minute_ring_n_series (r), ==, 2);
  /* The series already held still take their points. */
  add (r, point (IOC_MEAS_QUEUE, "xa-2", 0, M (2), 7, 0));
  gint64 v = 0;
  g_assert_true (ioc_minute_ring_value (r, IOC_MEAS_QUEUE, "xa-2", -1, 0, M (2), &v));
  g_assert_cmpint (v, ==, 7);
  g_assert_false (ioc_minute_ring_value (r, IOC_MEAS_QUEUE, "xa-3", -1, 0, M (1), &v));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/minute-ring/value-by-channel", test_value_by_channel);
  g_test_add_func ("/ioc/minute-ring/late-minute-replaces", test_late_minute_replaces);
  g_test_add_func ("/ioc/minute-ring/wrapped-minute-out-of-reach", test_wrapped_minute_out_of_reach);
  g_test_add_func ("/ioc/minute-ring/sums-and-their-cache", test_sums_and_their_cache);
  g_test_add_func ("/ioc/minute-ring/values-clamped", test_values_clamped_to_32_bits);
  g_test_add_func ("/ioc/minute-ring/series-bounded", test_series_bounded);
  return g_test_run ();
}
