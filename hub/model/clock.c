/* clock.c — see clock.h.  The only place in the hub that reads the wall clock
 * for business logic. */
#include "model/clock.h"

struct _IocClock
{
  gboolean is_manual;
  gint64 now_us;
};

IocClock *
ioc_clock_new_real (void)
{
  return g_new0 (IocClock, 1);
}

IocClock *
ioc_clock_new_manual (gint64 now_us)
{
  IocClock *self = g_new0 (IocClock, 1);
  self->is_manual = TRUE;
  self->now_us = now_us;
  return self;
}

void
ioc_clock_free (IocClock *self)
{
  g_free (self);
}

gint64
ioc_clock_now (const IocClock *self)
{
  return self->is_manual ? self->now_us : g_get_real_time ();
}

void
ioc_clock_set (IocClock *self, gint64 now_us)
{
  g_return_if_fail (self->is_manual);
  self->now_us = now_us;
}

void
ioc_clock_advance (IocClock *self, gint64 delta_us)
{
  g_return_if_fail (self->is_manual);
  self->now_us += delta_us;
}
