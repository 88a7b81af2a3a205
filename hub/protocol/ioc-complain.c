/* ioc-complain.c — see ioc-complain.h. */
#include "protocol/ioc-complain.h"

void
ioc_complaint_init (IocComplaint *self, gint64 remind_us)
{
  g_mutex_init (&self->lock);
  self->failing = 0;
  self->count = 0;
  self->since_us = 0;
  self->last_log_us = 0;
  self->remind_us = remind_us;
}

void
ioc_complaint_clear (IocComplaint *self)
{
  g_mutex_clear (&self->lock);
}

gboolean
ioc_complain (IocComplaint *self)
{
  gint64 now = g_get_monotonic_time ();
  gboolean say = FALSE;
  g_mutex_lock (&self->lock);
  if (!g_atomic_int_get (&self->failing))
    {
      g_atomic_int_set (&self->failing, 1);
      self->count = 0;
      self->since_us = now;
      say = TRUE;
    }
  else if (self->remind_us > 0 && now - self->last_log_us >= self->remind_us)
    say = TRUE;
  self->count++;
  if (say)
    self->last_log_us = now;
  g_mutex_unlock (&self->lock);
  return say;
}

gboolean
ioc_complaint_resolve (IocComplaint *self, guint64 *failures, gdouble *seconds)
{
  if (!g_atomic_int_get (&self->failing))
    return FALSE;
  g_mutex_lock (&self->lock);
  gboolean was = g_atomic_int_get (&self->failing);
  if (was)
    {
      if (failures != NULL)
        *failures = self->count;
      if (seconds != NULL)
        *seconds = (g_get_monotonic_time () - self->since_us) / 1e6;
      g_atomic_int_set (&self->failing, 0);
      self->count = 0;
    }
  g_mutex_unlock (&self->lock);
  return was;
}

gboolean
ioc_complaint_is_failing (const IocComplaint *self)
{
  return g_atomic_int_get (&self->failing) != 0;
}

guint64
ioc_complaint_count (IocComplaint *self)
{
  g_mutex_lock (&self->lock);
  guint64 n = g_atomic_int_get (&self->failing) ? self->count : 0;
  g_mutex_unlock (&self->lock);
  return n;
}
