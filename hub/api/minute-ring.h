/* minute-ring.h — the last 24 hours of minute points, per series
 * (measurement, unit, channel), in memory: what the wall's charts
 * (GET /api/v1/series) and today's queue and rating totals read.
 *
 * Fixed size: IOC_MINUTE_RING_MINUTES slots of a series' integer fields,
 * and at most max_series series, so memory stays bounded (about 46 KiB a
 * series with 8 fields) whatever the traffic; the points of a series past
 * the limit are not kept.  Slot i holds the minute whose index (ts / 1 min)
 * is ≡ i mod IOC_MINUTE_RING_MINUTES, if the slot says so.  Fed by the
 * hub's point observer.  Main context only. */
#pragma once

#include <glib.h>

#include "model/record.h"

G_BEGIN_DECLS

#define IOC_MINUTE_RING_MINUTES 1440

typedef struct _IocMinuteRing IocMinuteRing;

IocMinuteRing *ioc_minute_ring_new (guint max_series);
void           ioc_minute_ring_free (IocMinuteRing *self);

/* Keeps point's integer fields (clamped to 32 bits) in its minute's slot.
 * A re-emitted minute (late data) carries the corrected values: it
 * replaces the slot; a minute older than the one the slot holds is out of
 * reach and dropped.  FALSE only when the point's series is new and
 * max_series series exist: the caller counts that.  (A unit code too long
 * to be a registry code has no series either; that is not counted.) */
gboolean ioc_minute_ring_add (IocMinuteRing *self, const IocPoint *point);

/* Field f of minute index `minute` summed over the channels asked for
 * (channel < 0: all of them); FALSE when no such series holds that minute. */
gboolean ioc_minute_ring_value (IocMinuteRing *self, IocMeasurement m, const gchar *unit, gint channel, guint f,
                                gint32 minute, gint64 *out);

/* Every integer field of m summed over the minute indexes from..to
 * (inclusive) and over all channels, into out[0 .. the number of integer
 * fields of m).  Each series caches its sums until a point arrives or the
 * range moves: a wall asks for every commune's sums every second, and most
 * series did not change in between. */
void ioc_minute_ring_sums (IocMinuteRing *self, IocMeasurement m, const gchar *unit, gint32 from_minute,
                           gint32 to_minute, gint64 *out);

guint ioc_minute_ring_n_series (IocMinuteRing *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocMinuteRing, ioc_minute_ring_free)

G_END_DECLS
