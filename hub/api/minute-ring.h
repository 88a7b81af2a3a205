/* minute-ring.h — the last minutes of minute points, per series
 * (measurement, unit, channel), in memory: what the wall's charts read
 * (GET /api/v1/series).  History older than the ring is in InfluxDB.
 *
 * Memory follows the data held, not the number of series: a series keeps
 * its points in blocks of an hour (or of the whole ring, when it holds
 * less than an hour), and a block exists only once a point falls in it.
 * A commune that had a dossier at 9:00 and one at 15:00 holds two small
 * blocks, not a day of empty minutes.  Blocks wholly older than the ring
 * are freed by ioc_minute_ring_expire(), and so is a series left with none.
 * All of it stays within max_bytes whatever the traffic: a point that
 * would need more is not kept (the caller counts it).  Main context only. */
#pragma once

#include <glib.h>

#include "model/record.h"

G_BEGIN_DECLS

#define IOC_MINUTE_RING_MIN_MINUTES 10
#define IOC_MINUTE_RING_MAX_MINUTES 1440

typedef struct _IocMinuteRing IocMinuteRing;

/* Holds at least the last `minutes` minutes (IOC_MINUTE_RING_MIN_MINUTES ..
 * IOC_MINUTE_RING_MAX_MINUTES) of every series, in at most max_bytes. */
IocMinuteRing *ioc_minute_ring_new (guint minutes, gsize max_bytes);
void           ioc_minute_ring_free (IocMinuteRing *self);

/* Keeps point's integer fields (clamped to 32 bits) in its minute.  A
 * re-emitted minute (late data) carries the corrected values: it replaces
 * the minute's; a minute older than the ring holds is dropped.  FALSE only
 * when keeping the point would take the ring over max_bytes: the caller
 * counts that.  (A unit code too long to be a registry code has no series
 * either; that is not counted.) */
gboolean ioc_minute_ring_add (IocMinuteRing *self, const IocPoint *point);

/* Field f of minute index `minute` summed over the channels asked for
 * (channel < 0: all of them); FALSE when no such series holds that minute. */
gboolean ioc_minute_ring_value (IocMinuteRing *self, IocMeasurement m, const gchar *unit, gint channel, guint f,
                                gint32 minute, gint64 *out);

/* Frees the blocks whose minutes are all older than the ring's `minutes`
 * before now_minute, and the series left without a block.  Called once a
 * minute; a block is otherwise reused in place when the ring comes round. */
void ioc_minute_ring_expire (IocMinuteRing *self, gint32 now_minute);

guint ioc_minute_ring_n_series (IocMinuteRing *self);
/* What the series and their blocks take, as counted against max_bytes. */
gsize ioc_minute_ring_bytes (IocMinuteRing *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocMinuteRing, ioc_minute_ring_free)

G_END_DECLS
