/* clock.h — the hub's notion of "now".
 *
 * Every stage asks an IocClock instead of the system clock, so that tests can
 * drive time by hand and never sleep.  A real clock reads g_get_real_time();
 * a manual clock returns whatever was last set.  Main context only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocClock IocClock;

IocClock *ioc_clock_new_real (void);
IocClock *ioc_clock_new_manual (gint64 now_us);
void      ioc_clock_free (IocClock *self);

gint64 ioc_clock_now (const IocClock *self);
/* Manual clocks only. */
void ioc_clock_set (IocClock *self, gint64 now_us);
void ioc_clock_advance (IocClock *self, gint64 delta_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocClock, ioc_clock_free)

G_END_DECLS
