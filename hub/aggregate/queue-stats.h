/* queue-stats.h — desk and kiosk events → ioc_queue and ioc_rating facts
 * (SPEC §5 queue and satisfaction), and today's queue and rating totals
 * per unit, counted as the records come (the wall's "today": it agrees with
 * the live window at once, not a minute later).  Main context. */
#pragma once

#include <glib.h>

#include "model/record.h"

G_BEGIN_DECLS

typedef struct _IocQueueStats IocQueueStats;

/* Today's figures of a unit or "all" (the Vietnam-local day of now). */
typedef struct
{
  gint64 counts[IOC_F_QUEUE_N];    /* issued, called, served, no_show */
  gint64 ratings, satisfied;
  gint64 waits;                    /* ticket.called events with a wait_s */
  gdouble wait_sum_s, wait_max_s;  /* wait_max_s: 0 when waits is 0 */
  const gchar *wait_max_unit;      /* interned unit of the longest wait; NULL when none */
  gint64 waiting;                  /* summed from the desks' status; -1: no desk reported */
  guint desks_reporting;           /* desks whose status counts in waiting */
} IocQueueToday;

/* A desk's status counts in waiting while it is at most this old (event
 * time); desks report at least every 60 s (SPEC §4). */
#define IOC_QUEUE_DESK_FRESH_US (3 * G_TIME_SPAN_MINUTE)

IocQueueStats *ioc_queue_stats_new (IocFactFunc emit, gpointer user_data);
void           ioc_queue_stats_free (IocQueueStats *self);
/* unit: the registry code the record resolved to, interned.  Events become
 * facts and today's totals; a desk's status its waiting count; anything
 * else is ignored. */
void           ioc_queue_stats_record (IocQueueStats *self, const IocRecord *rec, const gchar *unit);
/* Today's totals of unit (interned code, or "all") at now_us, without
 * waiting (-1); FALSE (out zeroed) when the unit has nothing today. */
gboolean       ioc_queue_stats_today (IocQueueStats *self, const gchar *unit, gint64 now_us, IocQueueToday *out);
/* Sets out's waiting and desks_reporting from the desks of unit (or every
 * desk) heard within IOC_QUEUE_DESK_FRESH_US; FALSE (waiting -1) when none.
 * A walk over the desks: once per summary, not per unit row. */
gboolean       ioc_queue_stats_waiting (IocQueueStats *self, const gchar *unit, gint64 now_us, IocQueueToday *out);

/* Snapshot section (state/snapcodec.h): today's totals of every unit and
 * the desks' latest status, so that a restart does not zero the wall's
 * queue tiles for the rest of the day.  load() replaces the state only when
 * the whole section reads; on error (IOC_ERROR_CORRUPT) self is unchanged. */
/* Drops the latest status of a desk device (device health forgot it: [hub]
 * forget_devices_after), so forged desk ids cost nothing for ever. */
void           ioc_queue_stats_forget_desk (IocQueueStats *self, const gchar *device);
void           ioc_queue_stats_save (IocQueueStats *self, GByteArray *out);
gboolean       ioc_queue_stats_load (IocQueueStats *self, const guint8 *data, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocQueueStats, ioc_queue_stats_free)

G_END_DECLS
