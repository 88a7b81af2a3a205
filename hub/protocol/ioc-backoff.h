/* ioc-backoff.h — capped exponential backoff with jitter, for MQTT reconnects
 * and HTTP retries.  A plain value type; not thread-safe (one owner). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 initial_us;
  gint64 max_us;
  gint64 current_us; /* the next delay before jitter; 0 after a reset */
} IocBackoff;

void   ioc_backoff_init (IocBackoff *self, gint64 initial_us, gint64 max_us);
/* The delay to wait before the next attempt: doubles each call up to max,
 * with ±20 % jitter so that a fleet does not retry in lock step. */
gint64 ioc_backoff_next (IocBackoff *self);
void   ioc_backoff_reset (IocBackoff *self);

G_END_DECLS
