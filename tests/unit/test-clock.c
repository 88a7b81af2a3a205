/* test-clock.c — IocClock: a manual clock is exactly what the test set and
 * advanced; a real one follows the system clock; a real clock refuses to be
 * set (a programmer mistake, a critical). */
#include <glib.h>

#include "model/clock.h"

static void
test_manual (void)
{
  const gint64 t0 = G_GINT64_CONSTANT (1764547200000000); /* 2025-12-01T00:00:00Z */
  g_autoptr (IocClock) clock = ioc_clock_new_manual (t0);
  g_assert_cmpint (ioc_clock_now (clock), ==, t0);
  /* Reading does not move it, however long the test takes. */
  g_assert_cmpint (ioc_clock_now (clock), ==, t0);
  ioc_clock_advance (clock, 1500 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (ioc_clock_now (clock), ==, t0 + 1500 * G_TIME_SPAN_MILLISECOND);
  ioc_clock_advance (clock, -G_TIME_SPAN_SECOND); /* a test may step back to replay */
  g_assert_cmpint (ioc_clock_now (clock), ==, t0 + 500 * G_TIME_SPAN_MILLISECOND);
  ioc_clock_set (clock, 0);
  g_assert_cmpint (ioc_clock_now (clock), ==, 0);
}

static void
test_real (void)
{
  g_autoptr (IocClock) clock = ioc_clock_new_real ();
  gint64 before = g_get_real_time ();
  gint64 now = ioc_clock_now (clock);
  gint64 after = g_get_real_time ();
  g_assert_cmpint (now, >=, before);
  g_assert_cmpint (now, <=, after);
}

static void
test_real_refuses_set (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (IocClock) clock = ioc_clock_new_real ();
      ioc_clock_set (clock, 42);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*is_manual*");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/clock/manual", test_manual);
  g_test_add_func ("/ioc/clock/real", test_real);
  g_test_add_func ("/ioc/clock/real-refuses-set", test_real_refuses_set);
  return g_test_run ();
}
