/* ioc-complain.h — one log line when a thing starts failing, one when it
 * works again, and a count in between (collectd's c_complain idea).
 *
 * A failure that repeats (a full disk at every snapshot, EMFILE at every
 * accept, a broker that refuses every reconnect) must not write a line per
 * attempt: the issue that made this exist found 14.5 million identical
 * lines (2 GB) in 20 s.  The caller keeps one IocComplaint per thing that
 * can fail and logs with its own domain and words:
 *
 *   if (ioc_complain (&self->disk_full))
 *     g_warning ("journal: cannot make a spare segment: %s", error->message);
 *   …
 *   guint64 n; gdouble s;
 *   if (ioc_complaint_resolve (&self->disk_full, &n, &s))
 *     g_message ("journal: spare segment made again after %" G_GUINT64_FORMAT " failures in %.0f s", n, s);
 *
 * ioc_complain() says TRUE for the first failure after a success (or ever)
 * and again every remind_us while it goes on (0: never), so a long outage
 * still shows in today's log; the reminder's count is ioc_complaint_count().
 * Any thread: the state is behind a mutex (failures are rare by nature, the
 * success path is one atomic read). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  GMutex lock;
  gint failing;       /* atomic: 1 between a failure and the next resolve */
  guint64 count;      /* failures since the streak began */
  gint64 since_us;    /* monotonic: the streak's first failure */
  gint64 last_log_us; /* monotonic: when ioc_complain last said TRUE */
  gint64 remind_us;
} IocComplaint;

void     ioc_complaint_init (IocComplaint *self, gint64 remind_us);
void     ioc_complaint_clear (IocComplaint *self);
/* Counts a failure; TRUE when the caller should log it now. */
gboolean ioc_complain (IocComplaint *self);
/* Ends a streak; TRUE (with its failures and length in seconds) when there
 * was one, FALSE (cheaply) when nothing was failing. */
gboolean ioc_complaint_resolve (IocComplaint *self, guint64 *failures, gdouble *seconds);
gboolean ioc_complaint_is_failing (const IocComplaint *self);
/* Failures in the current streak (0 when not failing). */
guint64  ioc_complaint_count (IocComplaint *self);

G_END_DECLS
