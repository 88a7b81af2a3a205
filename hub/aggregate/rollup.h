/* rollup.h — facts → minute points (SPEC §6) and the live 10 s window.
 *
 * Generic over the measurements of record.h: a series is (measurement,
 * unit, channel); each holds sparse event-time minute windows and, for the
 * wall display, per-second buckets of its counters for the last few
 * seconds.  Every fact also goes into the series (measurement, "all",
 * channel), so the province point is the exact sum of the units' (sketches
 * merged, gauges summed).  Main context only. */
#pragma once

#include <glib.h>

#include "model/record.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 live_window_us; /* the live window's length; default 10 s */
  gint64 lateness_us;    /* a minute closes at end + lateness; default 10 s */
  gint64 horizon_us;     /* how long a closed minute is kept to absorb late facts; default 6 h */
} IocRollupOptions;

#define IOC_ROLLUP_DEFAULT_LIVE_WINDOW_US (10 * G_USEC_PER_SEC)
#define IOC_ROLLUP_DEFAULT_LATENESS_US (10 * G_USEC_PER_SEC)
#define IOC_ROLLUP_DEFAULT_HORIZON_US (6 * G_TIME_SPAN_HOUR)
#define IOC_ROLLUP_MINUTE_US G_TIME_SPAN_MINUTE
/* Channels 0 (not split) … 3 (SPEC §4: 1 in person, 2 online, 3 postal). */
#define IOC_ROLLUP_MAX_CHANNEL 3

typedef struct _IocRollup IocRollup;

/* opts NULL, live_window or horizon ≤ 0, lateness < 0: the default.  horizon is raised to at least
 * lateness + 1 minute, so a minute is always emitted before it is dropped. */
IocRollup *ioc_rollup_new (const IocRollupOptions *opts, IocPointFunc emit, gpointer user_data);
void       ioc_rollup_free (IocRollup *self);

/* Hot path: no allocation when the fact's window already exists and is
 * already due for emission.  Independent of the hub's clock (journal replay
 * adds facts hours old while "now" is already now).  A fact for a minute
 * already dropped (older than the horizon at the last tick) is counted in
 * iochub_rollup_too_late_total and otherwise ignored. */
void       ioc_rollup_add (IocRollup *self, const IocFact *fact);

/* Called once per hub tick.  First the gauge samplers, once for a minute that
 * has just ended (see IocGaugeSampler).  Then, for each minute M whose
 * end + lateness <= now: one IocPoint per (measurement, unit, channel) with
 * data in M that is new or changed since it was last emitted, and the
 * matching (measurement, "all", channel) point.  A re-emission (late facts)
 * carries the complete corrected values and the same timestamp.  Order: by
 * minute, then measurement, then unit code with "all" last, then channel.
 * Last, minutes older than now − horizon are dropped. */
void       ioc_rollup_tick (IocRollup *self, gint64 now_us);

/* Gauges (IOC_FACT_GAUGE) describe state, not events: their sources are
 * asked to sample when a minute ends on the hub clock, before it closes, and
 * push GAUGE facts with ts = minute_start_us through ioc_rollup_add().  Only
 * the minute that ended last is sampled, once: after downtime the minutes in
 * between get no gauge values, since state sampled now would be wrong for
 * them.  Samplers run in the order they were added. */
typedef void (*IocGaugeSampler) (IocRollup *rollup, gint64 minute_start_us, gpointer user_data);
void       ioc_rollup_add_gauge_sampler (IocRollup *self, IocGaugeSampler fn, gpointer user_data);

/* Live window for the wall display: counter sums over facts whose event time
 * lies in [now − live_window, now), at one-second resolution; gauge fields
 * carry the latest sampled value.  No percentiles (has_floats all FALSE).
 * FALSE when the series has never had a fact. */
gboolean   ioc_rollup_live (IocRollup *self, IocMeasurement m, const gchar *unit, guint8 channel,
                            gint64 now_us, IocPoint *out);

/* Snapshot section.  The live buckets are not saved: they cover seconds. */
void       ioc_rollup_save (IocRollup *self, GByteArray *out);
/* Replaces the rollup's windows; on failure the rollup is left unchanged. */
gboolean   ioc_rollup_load (IocRollup *self, const guint8 *data, gsize len, GError **error);

/* The archive of minutes past the horizon (off by default).  With a
 * directory set, tick() keeps windows older than the horizon until
 * ioc_rollup_archive() appends them to dir/YYYY-MM-DD.bin (Vietnam local
 * day of the minute) and frees them; the hub calls it right after a
 * snapshot is durable, so the archive never holds what a replay from that
 * snapshot would apply again.  A fact for a minute past the horizon but not
 * before archive_from brings its window and the "all" window back from the
 * archive (a cached index of one day file; only appended bytes are read),
 * is applied, and the complete corrected points are emitted again with the
 * same timestamps.  Before archive_from: counted in
 * iochub_rollup_too_late_total and ignored (the hub dead-letters such
 * facts before they get here).  A torn or corrupt tail of a day file is
 * ignored (warning, iochub_rollup_archive_errors_total) and cut off at the
 * next append.  Day files wholly before archive_from are deleted. */
void       ioc_rollup_set_archive (IocRollup *self, const gchar *dir, gint64 archive_from_us);
void       ioc_rollup_set_archive_from (IocRollup *self, gint64 archive_from_us);
/* Tests only: the tables of the archived minutes a late fact read keep just
 * the bits of mask of each window's hash (all of them by default), so that
 * windows share keys and the reader's way around a shared key is
 * exercised.  Process-wide. */
void       ioc_rollup_archive_set_key_mask_for_tests (guint64 mask);
/* Tests only: the archive reads its files this many bytes at a time (4 MiB
 * by default; at least the largest record the test writes).  Process-wide. */
void       ioc_rollup_archive_set_read_chunk_for_tests (gsize bytes);
/* Entries the archive's index holds in memory: byte runs of the day files
 * looked up (at most 1440 × 32 each, whatever a day archived) plus the
 * windows of the 16 minutes last looked up. */
guint      ioc_rollup_archive_index_entries (IocRollup *self);
/* FALSE with error when a file cannot be written: the windows then stay in
 * memory and the next call tries again. */
gboolean   ioc_rollup_archive (IocRollup *self, GError **error);

/* Heap bytes of windows, sketches, live buckets and indexes (an accounting
 * of what is allocated, not counting malloc's own overhead). */
gsize      ioc_rollup_memory (IocRollup *self);
guint      ioc_rollup_n_series (IocRollup *self);  /* unit series plus "all" series */
guint      ioc_rollup_n_windows (IocRollup *self); /* minute windows held */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocRollup, ioc_rollup_free)

G_END_DECLS
