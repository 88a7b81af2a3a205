/* test-time.c — RFC 3339 parsing/formatting and the Vietnam-local calendar
 * (UTC+7) that every window, rollup and deadline depends on. */
#include <string.h>

#include <glib.h>

#include "protocol/ioc-time.h"

/* 2026-11-22T00:00:00Z */
#define T_2026_11_22 G_GINT64_CONSTANT (1795305600000000)

static void
test_parse_table (void)
{
  static const struct
  {
    const gchar *in;
    gboolean want_ok;
    gint64 want_us;
  } cases[] = {
    { "2026-11-22T00:00:00Z", TRUE, T_2026_11_22 },
    { "2026-11-22T07:00:00+07:00", TRUE, T_2026_11_22 },
    { "2026-11-21T19:30:00-04:30", TRUE, T_2026_11_22 },
    { "2026-11-22t00:00:00z", TRUE, T_2026_11_22 },
    { "2026-11-22T07:00:00.5+07:00", TRUE, T_2026_11_22 + 500000 },
    { "2026-11-22T07:00:00.123456789+07:00", TRUE, T_2026_11_22 + 123456 },
    { "1970-01-01T00:00:00Z", TRUE, 0 },
    { "1969-12-31T23:59:59.999Z", TRUE, -1000 },
    { "2024-02-29T00:00:00Z", TRUE, G_GINT64_CONSTANT (1709164800000000) },
    /* rejected: no offset, impossible dates, bad syntax */
    { "2026-11-22T07:00:00", FALSE, 0 },
    { "2026-11-22 07:00:00+07:00", FALSE, 0 },
    { "2026-11-22", FALSE, 0 },
    { "2025-02-29T00:00:00Z", FALSE, 0 },
    { "1900-02-29T00:00:00Z", FALSE, 0 },
    { "2026-13-01T00:00:00Z", FALSE, 0 },
    { "2026-04-31T00:00:00Z", FALSE, 0 },
    { "2026-11-22T24:00:00Z", FALSE, 0 },
    { "2026-11-22T23:60:00Z", FALSE, 0 },
    { "2026-11-22T23:59:60Z", FALSE, 0 },
    { "2026-11-22T07:00:00.+07:00", FALSE, 0 },
    { "2026-11-22T07:00:00+0700", FALSE, 0 },
    { "2026-11-22T07:00:00+24:00", FALSE, 0 },
    { "2026-11-22T07:00:00Z ", FALSE, 0 },
    { "2026-11-22T07:00:00+07:00x", FALSE, 0 },
    { "+2026-11-22T07:00:00Z", FALSE, 0 },
    { "2026-1a-22T07:00:00Z", FALSE, 0 },
    { "", FALSE, 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 us = 42;
      gboolean ok = ioc_time_parse (cases[i].in, strlen (cases[i].in), &us);
      g_test_message ("case %u: %s", i, cases[i].in);
      g_assert_cmpint (ok, ==, cases[i].want_ok);
      if (ok)
        g_assert_cmpint (us, ==, cases[i].want_us);
      else
        g_assert_cmpint (us, ==, 42);
    }
}

/* The parser must not read past len (payload strings are not terminated). */
static void
test_parse_not_terminated (void)
{
  const gchar buf[] = "2026-11-22T00:00:00Z9999";
  gint64 us = 0;
  g_assert_true (ioc_time_parse (buf, 20, &us));
  g_assert_cmpint (us, ==, T_2026_11_22);
  g_assert_false (ioc_time_parse (buf, 19, &us));
  g_assert_false (ioc_time_parse (buf, 21, &us));
}

static void
test_format (void)
{
  gchar buf[IOC_TIME_BUF];
  ioc_time_format (T_2026_11_22 + 3 * G_TIME_SPAN_HOUR + 11 * G_TIME_SPAN_MINUTE + 12345678, buf);
  g_assert_cmpstr (buf, ==, "2026-11-22T10:11:12.345+07:00");
  ioc_time_format (-1000, buf);
  g_assert_cmpstr (buf, ==, "1970-01-01T06:59:59.999+07:00");
  ioc_time_format (T_2026_11_22 + 17 * G_TIME_SPAN_HOUR, buf); /* local midnight */
  g_assert_cmpstr (buf, ==, "2026-11-23T00:00:00.000+07:00");
}

static void
test_round_trip (void)
{
  /* Every ms-precision instant formats to something that parses back. */
  for (gint64 us = -G_TIME_SPAN_DAY * 800; us < G_GINT64_CONSTANT (4102444800000000);
       us += G_TIME_SPAN_DAY * 37 + 3 * G_TIME_SPAN_HOUR + 1234000)
    {
      gchar buf[IOC_TIME_BUF];
      gint64 back = 0;
      ioc_time_format (us, buf);
      g_assert_true (ioc_time_parse (buf, strlen (buf), &back));
      g_assert_cmpint (back, ==, us);
    }
}

static void
test_minute_start (void)
{
  g_assert_cmpint (ioc_time_minute_start (T_2026_11_22 + 59999999), ==, T_2026_11_22);
  g_assert_cmpint (ioc_time_minute_start (T_2026_11_22 + 60000000), ==, T_2026_11_22 + 60000000);
  g_assert_cmpint (ioc_time_minute_start (-1), ==, -60000000);
  g_assert_cmpint (ioc_time_minute_start (-60000000), ==, -60000000);
  g_assert_cmpint (ioc_time_minute_start (0), ==, 0);
}

/* Local midnight is 17:00 UTC of the day before. */
static void
test_local_day_edges (void)
{
  gint64 midnight = T_2026_11_22 - 7 * G_TIME_SPAN_HOUR; /* 2026-11-22 00:00 +07 */
  gint y, m, d, wd, mod;

  g_assert_cmpint (ioc_time_local_day_start (midnight), ==, midnight);
  g_assert_cmpint (ioc_time_local_day_start (midnight - 1), ==, midnight - G_TIME_SPAN_DAY);
  g_assert_cmpint (ioc_time_local_day_start (midnight + G_TIME_SPAN_DAY - 1), ==, midnight);
  g_assert_cmpint (ioc_time_from_local (2026, 11, 22, 0, 0), ==, midnight);
  g_assert_cmpint (ioc_time_from_local (2026, 11, 32, 0, 0), ==, ioc_time_from_local (2026, 12, 2, 0, 0));

  ioc_time_local_date (midnight - 1, &y, &m, &d, &wd, &mod);
  g_assert_cmpint (y, ==, 2026);
  g_assert_cmpint (m, ==, 11);
  g_assert_cmpint (d, ==, 21);
  g_assert_cmpint (wd, ==, 6); /* Saturday */
  g_assert_cmpint (mod, ==, 1439);
  ioc_time_local_date (midnight, &y, &m, &d, &wd, &mod);
  g_assert_cmpint (d, ==, 22);
  g_assert_cmpint (wd, ==, 7); /* Sunday */
  g_assert_cmpint (mod, ==, 0);
  ioc_time_local_date (0, &y, &m, &d, &wd, NULL);
  g_assert_cmpint (wd, ==, 4); /* 1970-01-01 was a Thursday */
  ioc_time_local_date (-G_TIME_SPAN_DAY * 3, NULL, NULL, &d, &wd, NULL);
  g_assert_cmpint (d, ==, 29);
  g_assert_cmpint (wd, ==, 1); /* 1969-12-29 was a Monday */
}

static void
test_local_month_year (void)
{
  static const struct
  {
    gint y, mo, d, h, mi;
    gint want_month_y, want_month_m;
    gint want_year;
  } cases[] = {
    { 2024, 2, 29, 23, 59, 2024, 2, 2024 },  /* leap day */
    { 2024, 3, 1, 0, 0, 2024, 3, 2024 },
    { 2026, 1, 1, 0, 0, 2026, 1, 2026 },     /* 17:00 UTC on Dec 31 */
    { 2025, 12, 31, 23, 59, 2025, 12, 2025 },
    { 2000, 2, 29, 12, 0, 2000, 2, 2000 },   /* 400-year leap */
    { 2100, 3, 1, 6, 59, 2100, 3, 2100 },    /* 2100 not leap */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 us = ioc_time_from_local (cases[i].y, cases[i].mo, cases[i].d, cases[i].h, cases[i].mi);
      g_assert_cmpint (ioc_time_local_month_start (us), ==,
                       ioc_time_from_local (cases[i].want_month_y, cases[i].want_month_m, 1, 0, 0));
      g_assert_cmpint (ioc_time_local_year_start (us), ==, ioc_time_from_local (cases[i].want_year, 1, 1, 0, 0));
    }
  /* 2100-02-29 does not exist: Feb 28 + 1 day is March 1st. */
  g_assert_cmpint (ioc_time_from_local (2100, 2, 29, 0, 0), ==, ioc_time_from_local (2100, 3, 1, 0, 0));
  g_assert_cmpint (ioc_time_local_year_start (T_2026_11_22), ==, G_GINT64_CONSTANT (1767200400000000));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/time/parse", test_parse_table);
  g_test_add_func ("/ioc/time/parse-not-terminated", test_parse_not_terminated);
  g_test_add_func ("/ioc/time/format", test_format);
  g_test_add_func ("/ioc/time/round-trip", test_round_trip);
  g_test_add_func ("/ioc/time/minute-start", test_minute_start);
  g_test_add_func ("/ioc/time/local-day-edges", test_local_day_edges);
  g_test_add_func ("/ioc/time/local-month-year", test_local_month_year);
  return g_test_run ();
}
