/* test-procedures.c — the procedures file and the statutory deadlines it
 * gives (docs/DOSSIERS.md), one table row per rule, hand-computed.
 * Calendar: Sat/Sun off, 07:30-11:30 + 13:30-17:00 (7.5 h), the 30/4-1/5
 * holidays of 2025. */
#include <glib.h>
#include <string.h>

#include "model/procedures.h"
#include "protocol/ioc-error.h"

static const gchar test_cal[] = "[calendar]\nweekend = sat,sun\nhours = 07:30-11:30,13:30-17:00\n"
                                "[holidays]\n2025-04-30..2025-05-02 = 30/4-1/5\n";

static const gchar test_procs[] = "[procedures]\ndefault = 3wd\nP-4H = 4h\nP-10D = 10d\nP-HALF = 1.5wd\n";

static gint64
vn (gint y, gint mo, gint d, gint h, gint mi)
{
  return ioc_calendar_day_start (ioc_calendar_date_to_day (y, mo, d)) + ((gint64) h * 3600 + mi * 60) * G_USEC_PER_SEC;
}

static void
test_deadlines (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocCalendar) cal = ioc_calendar_load_data ("cal.conf", test_cal, sizeof test_cal - 1, &error);
  g_assert_no_error (error);
  g_autoptr (IocProcedures) procs = ioc_procedures_load_data ("p.conf", test_procs, sizeof test_procs - 1, &error);
  g_assert_no_error (error);
  const struct
  {
    const gchar *what;
    gboolean no_file;
    const gchar *code;
    gint64 received_us, want_us;
  } cases[] = {
    { "no file: 5 working days", TRUE, "P-4H", vn (2025, 3, 10, 8, 0), vn (2025, 3, 17, 8, 0) },
    { "code not listed: the file's default", FALSE, "1.000001", vn (2025, 3, 10, 8, 0), vn (2025, 3, 13, 8, 0) },
    { "no code: the file's default", FALSE, NULL, vn (2025, 3, 10, 8, 0), vn (2025, 3, 13, 8, 0) },
    { "working hours, same day", FALSE, "P-4H", vn (2025, 3, 10, 10, 0), vn (2025, 3, 10, 16, 0) },
    { "working hours over a weekend", FALSE, "P-4H", vn (2025, 3, 14, 15, 0), vn (2025, 3, 17, 9, 30) },
    { "fractional working days", FALSE, "P-HALF", vn (2025, 3, 10, 8, 0), vn (2025, 3, 11, 13, 45) },
    { "calendar days ending on a working day", FALSE, "P-10D", vn (2025, 3, 4, 9, 0), vn (2025, 3, 14, 9, 0) },
    { "calendar days ending on a Saturday", FALSE, "P-10D", vn (2025, 3, 5, 9, 0), vn (2025, 3, 17, 17, 0) },
    { "calendar days ending on a holiday", FALSE, "P-10D", vn (2025, 4, 20, 9, 0), vn (2025, 5, 5, 17, 0) },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 got = ioc_procedures_deadline (cases[i].no_file ? NULL : procs, cal, cases[i].code, cases[i].received_us);
      if (got != cases[i].want_us)
        g_test_fail_printf ("%s: deadline off by %" G_GINT64_FORMAT " s", cases[i].what,
                            (got - cases[i].want_us) / G_USEC_PER_SEC);
    }
}

static void
test_errors (void)
{
  static const struct
  {
    const gchar *data, *want;
  } cases[] = {
    { "[procedures]\n1.001 = 5 days\n", "p.conf: [procedures] 1.001: expected a statutory time" },
    { "[procedures]\ndefault = -3wd\n", "p.conf: [procedures] default: expected" },
    { "[procedures]\nX = 0h\n", "[procedures] X: expected" },
    { "[procedures]\nX = 4000d\n", "[procedures] X: expected" },
    { "[procedure]\nX = 1h\n", "p.conf: [procedure]: expected only the group [procedures]" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IocProcedures) p = ioc_procedures_load_data ("p.conf", cases[i].data, strlen (cases[i].data), &error);
      g_assert_null (p);
      g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
      if (strstr (error->message, cases[i].want) == NULL)
        g_test_fail_printf ("case %u: '%s' does not say '%s'", i, error->message, cases[i].want);
    }
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocProcedures) p = ioc_procedures_load ("/nonexistent/procedures.conf", &error);
  g_assert_null (p);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "/nonexistent/procedures.conf: cannot read"));
}

static void
test_shipped (void)
{
  g_autofree gchar *path = g_build_filename (IOC_SOURCE_ROOT, "ops", "procedures.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (IocProcedures) p = ioc_procedures_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/procedures/deadlines", test_deadlines);
  g_test_add_func ("/ioc/procedures/errors", test_errors);
  g_test_add_func ("/ioc/procedures/missing-file", test_missing_file);
  g_test_add_func ("/ioc/procedures/shipped", test_shipped);
  return g_test_run ();
}
