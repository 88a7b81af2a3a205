/* test-complain.c — a failure streak logs once, counts the rest, and says
 * so once when it ends. */
#include "protocol/ioc-complain.h"

static void
test_streak (void)
{
  IocComplaint c;
  ioc_complaint_init (&c, 0);
  guint64 n = 0;
  gdouble s = -1;
  g_assert_false (ioc_complaint_resolve (&c, &n, &s)); /* nothing to resolve */
  g_assert_false (ioc_complaint_is_failing (&c));

  g_assert_true (ioc_complain (&c)); /* the first failure is logged */
  for (int i = 0; i < 1000; i++)
    g_assert_false (ioc_complain (&c)); /* the rest only counted */
  g_assert_true (ioc_complaint_is_failing (&c));
  g_assert_cmpuint (ioc_complaint_count (&c), ==, 1001);

  g_assert_true (ioc_complaint_resolve (&c, &n, &s));
  g_assert_cmpuint (n, ==, 1001);
  g_assert_cmpfloat (s, >=, 0.0);
  g_assert_false (ioc_complaint_resolve (&c, &n, &s)); /* once per state change */
  g_assert_cmpuint (ioc_complaint_count (&c), ==, 0);

  g_assert_true (ioc_complain (&c)); /* a new streak is logged again */
  g_assert_true (ioc_complaint_resolve (&c, &n, NULL));
  g_assert_cmpuint (n, ==, 1);
  ioc_complaint_clear (&c);
}

static void
test_reminder (void)
{
  IocComplaint c;
  ioc_complaint_init (&c, 1); /* remind after 1 µs */
  g_assert_true (ioc_complain (&c));
  /* Bounded: the monotonic clock moves by a microsecond soon enough. */
  gboolean reminded = FALSE;
  for (int i = 0; i < 10000000 && !reminded; i++)
    reminded = ioc_complain (&c);
  g_assert_true (reminded);
  g_assert_cmpuint (ioc_complaint_count (&c), >=, 2);
  ioc_complaint_clear (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/complain/streak", test_streak);
  g_test_add_func ("/ioc/complain/reminder", test_reminder);
  return g_test_run ();
}
