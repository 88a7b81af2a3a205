/* test-calendar.c — the working calendar: shipped 2025/2026 files, working
 * day and hour arithmetic across holidays and make-up Saturdays, and config
 * errors that name file, group and key. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "model/calendar.h"
#include "protocol/ioc-error.h"

#ifndef IOC_SOURCE_ROOT
#define IOC_SOURCE_ROOT "."
#endif

static gint64
vn (gint y, gint mo, gint d, gint h, gint mi)
{
  return ioc_calendar_day_start (ioc_calendar_date_to_day (y, mo, d)) +
         ((gint64) h * 3600 + mi * 60) * G_USEC_PER_SEC;
}

static IocCalendar *
load_shipped (void)
{
  g_autofree gchar *a = g_build_filename (IOC_SOURCE_ROOT, "ops", "calendar", "vn-2025.conf", NULL);
  g_autofree gchar *b = g_build_filename (IOC_SOURCE_ROOT, "ops", "calendar", "vn-2026.conf", NULL);
  if (!g_file_test (a, G_FILE_TEST_EXISTS))
    return NULL;
  const gchar *paths[] = { a, b, NULL };
  g_autoptr (GError) error = NULL;
  IocCalendar *cal = ioc_calendar_load (paths, &error);
  g_assert_no_error (error);
  return cal;
}

static void
test_local_days (void)
{
  /* 2025-03-31 23:30 +07:00 is 16:30 UTC the same day; 00:30 +07:00 on
   * 1 April is still 31 March in UTC but 1 April in Vietnam. */
  gint64 a = vn (2025, 3, 31, 23, 30);
  gint64 b = vn (2025, 4, 1, 0, 30);
  gint y, m, d;
  ioc_calendar_day_to_date (ioc_calendar_day_of (a), &y, &m, &d);
  g_assert_cmpint (y * 10000 + m * 100 + d, ==, 20250331);
  ioc_calendar_day_to_date (ioc_calendar_day_of (b), &y, &m, &d);
  g_assert_cmpint (y * 10000 + m * 100 + d, ==, 20250401);
  g_assert_cmpint (b - a, ==, G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC);
  /* 1970-01-01 07:00 +07:00 is the epoch. */
  g_assert_cmpint (vn (1970, 1, 1, 7, 0), ==, 0);
}

static void
test_shipped_days (void)
{
  g_autoptr (IocCalendar) cal = load_shipped ();
  g_assert_nonnull (cal); /* the shipped files must load: a skip would hide a broken file */
  static const struct
  {
    gint y, m, d;
    gboolean want_working;
  } cases[] = {
    { 2025, 1, 1, FALSE },  /* Tết Dương lịch */
    { 2025, 1, 2, TRUE },
    { 2025, 1, 24, TRUE },  /* Friday before Tết */
    { 2025, 1, 27, FALSE }, /* Tết Ất Tỵ, Monday */
    { 2025, 1, 31, FALSE },
    { 2025, 2, 3, TRUE },   /* first day back */
    { 2025, 4, 7, FALSE },  /* Giỗ Tổ */
    { 2025, 4, 26, TRUE },  /* make-up Saturday */
    { 2025, 4, 19, FALSE }, /* an ordinary Saturday */
    { 2025, 5, 2, FALSE },  /* swapped Friday */
    { 2025, 9, 1, FALSE },
    { 2025, 9, 2, FALSE },
    { 2025, 9, 3, TRUE },
    { 2026, 1, 2, FALSE },  /* swapped Friday */
    { 2026, 1, 10, TRUE },  /* make-up Saturday */
    { 2026, 2, 13, TRUE },
    { 2026, 2, 16, FALSE }, /* Tết Bính Ngọ */
    { 2026, 2, 20, FALSE },
    { 2026, 2, 23, TRUE },
    { 2026, 4, 27, FALSE }, /* Giỗ Tổ on a Sunday, taken Monday */
    { 2026, 8, 22, TRUE },  /* make-up Saturday */
    { 2026, 8, 31, FALSE },
    { 2026, 9, 2, FALSE },
    { 2026, 9, 3, TRUE },
    { 2026, 11, 24, TRUE }, /* not enacted yet, see the file */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean got = ioc_calendar_is_working_day (cal, cases[i].y, cases[i].m, cases[i].d);
      if (got != cases[i].want_working)
        g_error ("%04d-%02d-%02d: working=%d, want %d", cases[i].y, cases[i].m, cases[i].d, got,
                 cases[i].want_working);
    }
  g_assert_cmpstr (ioc_calendar_day_name (cal, 2026, 1, 10), ==, "làm bù cho thứ Sáu 02/01");
}

static const gchar test_cal[] =
  "[calendar]\nweekend = sat,sun\nhours = 07:30-11:30,13:30-17:00\n"
  "[holidays]\n2025-12-31..2025-12-31 = test\n"
  "2026-01-01 = Tết Dương lịch\n2026-01-02 = hoán đổi\n"
  "2026-02-14..2026-02-22 = Tết\n"
  "[workdays]\n2026-01-10 = làm bù\n";

static void
test_add_working (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocCalendar) cal = ioc_calendar_load_data ("t.conf", test_cal, sizeof test_cal - 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ioc_calendar_working_day_us (cal), ==, G_GINT64_CONSTANT (27000) * G_USEC_PER_SEC);
  struct
  {
    const gchar *name;
    gint64 from;
    gint days;
    gdouble hours;
    gint64 want;
  } rows[] = {
    { "mon 10:00 + 1 wd = tue 10:00", vn (2026, 3, 9, 10, 0), 1, 0, vn (2026, 3, 10, 10, 0) },
    { "fri 10:00 + 1 wd = mon 10:00", vn (2026, 3, 13, 10, 0), 1, 0, vn (2026, 3, 16, 10, 0) },
    { "sat 10:00 + 1 wd = mon 17:00", vn (2026, 3, 14, 10, 0), 1, 0, vn (2026, 3, 16, 17, 0) },
    { "lunch 12:00 + 1 wd = next 11:30", vn (2026, 3, 9, 12, 0), 1, 0, vn (2026, 3, 10, 11, 30) },
    { "Tết: thu 12/2 + 3 wd = tue 24/2", vn (2026, 2, 12, 10, 0), 3, 0, vn (2026, 2, 24, 10, 0) },
    { "make-up sat: fri 9/1 + 1 wd = sat 10/1", vn (2026, 1, 9, 10, 0), 1, 0, vn (2026, 1, 10, 10, 0) },
    { "new year: tue 30/12 + 1 wd = mon 5/1", vn (2025, 12, 30, 10, 0), 1, 0, vn (2026, 1, 5, 10, 0) },
    { "mon 10:00 + 4 h = 16:00", vn (2026, 3, 9, 10, 0), 0, 4.0, vn (2026, 3, 9, 16, 0) },
    { "mon 10:00 + 1.5 h = 11:30 (end of block)", vn (2026, 3, 9, 10, 0), 0, 1.5, vn (2026, 3, 9, 11, 30) },
    { "fri 16:00 + 2 h = mon 08:30", vn (2026, 3, 13, 16, 0), 0, 2.0, vn (2026, 3, 16, 8, 30) },
  };
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      gint64 got = rows[i].days > 0 ? ioc_calendar_add_working_days (cal, rows[i].from, rows[i].days)
                                    : ioc_calendar_add_working_hours (cal, rows[i].from, rows[i].hours);
      if (got != rows[i].want)
        g_error ("%s: got %" G_GINT64_FORMAT " min off", rows[i].name,
                 (got - rows[i].want) / 60000000);
    }
  /* Working time between: Tue 08:00 → Thu 10:00 is 7 + 7.5 + 2.5 = 17 h. */
  g_assert_cmpint (ioc_calendar_working_seconds_between (cal, vn (2026, 3, 10, 8, 0), vn (2026, 3, 12, 10, 0)), ==,
                   17 * 3600);
  /* Over Tết nothing counts. */
  g_assert_cmpint (ioc_calendar_working_seconds_between (cal, vn (2026, 2, 13, 17, 0), vn (2026, 2, 23, 7, 30)), ==, 0);
  g_assert_cmpint (ioc_calendar_working_seconds_between (cal, vn (2026, 3, 10, 8, 0), vn (2026, 3, 9, 8, 0)), ==, 0);
  g_assert_true (ioc_calendar_is_working_time (cal, vn (2026, 1, 10, 9, 0)));
  g_assert_false (ioc_calendar_is_working_time (cal, vn (2026, 3, 9, 12, 0)));
  g_assert_false (ioc_calendar_is_working_time (cal, vn (2026, 3, 9, 17, 0)));
  g_assert_true (ioc_calendar_is_working_time (cal, vn (2026, 3, 9, 7, 30)));
  /* Round trip: adding the working time between two working instants. */
  gint64 a = vn (2026, 2, 11, 9, 15), b = vn (2026, 3, 2, 14, 45);
  g_assert_cmpint (ioc_calendar_add_working_us (cal, a, ioc_calendar_working_us_between (cal, a, b)), ==, b);
}

static void
test_merge (void)
{
  /* Two files: the second overrides hours and adds a holiday. */
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-cal-XXXXXX", NULL);
  g_autofree gchar *a = g_build_filename (dir, "a.conf", NULL);
  g_autofree gchar *b = g_build_filename (dir, "b.conf", NULL);
  g_assert_true (g_file_set_contents (a, "[holidays]\n2026-01-01 = A\n", -1, NULL));
  g_assert_true (g_file_set_contents (b, "[calendar]\nhours = 08:00-12:00\n[holidays]\n2026-01-02 = B\n", -1, NULL));
  const gchar *paths[] = { a, b, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (IocCalendar) cal = ioc_calendar_load (paths, &error);
  g_assert_no_error (error);
  g_assert_false (ioc_calendar_is_working_day (cal, 2026, 1, 1));
  g_assert_false (ioc_calendar_is_working_day (cal, 2026, 1, 2));
  g_assert_cmpint (ioc_calendar_working_day_us (cal), ==, G_GINT64_CONSTANT (4) * 3600 * G_USEC_PER_SEC);
  /* A date both a holiday (a.conf) and a make-up day (c.conf) is refused. */
  g_autofree gchar *c = g_build_filename (dir, "c.conf", NULL);
  g_assert_true (g_file_set_contents (c, "[workdays]\n2026-01-01 = oops\n", -1, NULL));
  const gchar *paths2[] = { a, c, NULL };
  g_autoptr (IocCalendar) bad = ioc_calendar_load (paths2, &error);
  g_assert_null (bad);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, c));
  g_assert_nonnull (strstr (error->message, "[workdays] 2026-01-01"));
  g_assert_nonnull (strstr (error->message, a));
  g_remove (a);
  g_remove (b);
  g_remove (c);
  g_rmdir (dir);
}

static void
test_errors (void)
{
  static const struct
  {
    const gchar *data;
    const gchar *want; /* substring of the message */
  } cases[] = {
    { "[holidays]\n2025-13-01 = x\n", "cal.conf: [holidays] 2025-13-01: expected a key YYYY-MM-DD" },
    { "[holidays]\n2025-02-30 = x\n", "[holidays] 2025-02-30: expected" },
    { "[holidays]\n2025-02-10..2025-02-01 = x\n", "[holidays] 2025-02-10..2025-02-01: expected" },
    { "[holidays]\n2025-01-01..2025-03-01 = x\n", "ranges of at most 31 days" },
    { "[workdays]\n26/04/2025 = x\n", "cal.conf: [workdays] 26/04/2025: expected" },
    { "[calendar]\nweekend = sat,sunday\n", "cal.conf: [calendar] weekend: expected" },
    { "[calendar]\nweekend = mon,tue,wed,thu,fri,sat,sun\n", "[calendar] weekend: expected" },
    { "[calendar]\nhours = 13:30-17:00,07:30-11:30\n", "cal.conf: [calendar] hours: expected ascending" },
    { "[calendar]\nhours = 07:30-25:00\n", "[calendar] hours: expected" },
    { "[calendar]\nhours =\n", "[calendar] hours: expected" },
    { "[calendar]\nhour = 07:30-11:30\n", "cal.conf: [calendar] hour: unknown key" },
    { "[holiday]\n2025-01-01 = x\n", "cal.conf: [holiday]: expected only the groups" },
    { "[holidays]\n2025-04-26 = x\n[workdays]\n2025-04-26 = y\n", "[workdays] 2025-04-26: expected a date that is not also a holiday" },
    { "not a key file", "cal.conf" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IocCalendar) cal = ioc_calendar_load_data ("cal.conf", cases[i].data, strlen (cases[i].data), &error);
      g_assert_null (cal);
      g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
      if (strstr (error->message, cases[i].want) == NULL)
        g_error ("case %u: '%s' does not contain '%s'", i, error->message, cases[i].want);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/calendar/local-days", test_local_days);
  g_test_add_func ("/ioc/calendar/shipped-2025-2026", test_shipped_days);
  g_test_add_func ("/ioc/calendar/add-working", test_add_working);
  g_test_add_func ("/ioc/calendar/merge-files", test_merge);
  g_test_add_func ("/ioc/calendar/errors-name-file-key", test_errors);
  return g_test_run ();
}
