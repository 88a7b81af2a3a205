/* ioc-backoff.c — see ioc-backoff.h. */
#include "protocol/ioc-backoff.h"

void
ioc_backoff_init (IocBackoff *self, gint64 initial_us, gint64 max_us)
{
  g_return_if_fail (initial_us > 0 && max_us >= initial_us);
  self->initial_us = initial_us;
  self->max_us = max_us;
  self->current_us = 0;
}

gint64
ioc_backoff_next (IocBackoff *self)
{
  if (self->current_us == 0)
    self->current_us = self->initial_us;
  else
    self->current_us = MIN (self->current_us * 2, self->max_us);
  gint64 jitter = self->current_us / 5;
  gint64 delay = self->current_us + (jitter > 0 ? g_random_int_range (0, (gint32) MIN (jitter * 2, G_MAXINT32)) - jitter : 0);
  return CLAMP (delay, self->initial_us / 2, self->max_us);
}

void
ioc_backoff_reset (IocBackoff *self)
{
  self->current_us = 0;
}
