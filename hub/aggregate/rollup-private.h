/* rollup-private.h — what the rollup's pieces share, and nothing outside
 * hub/aggregate/rollup*.c includes.
 *
 * The rollup (rollup.h) is one object split by concern:
 *   rollup.c           the object, its series and minute windows, add(), the
 *                      live window, freeing windows, memory accounting
 *   rollup-emit.c      tick(): the gauge samplers, closing minutes and
 *                      emitting their points in order, the horizon
 *   rollup-snapshot.c  the snapshot section (save, load)
 *   rollup-archive.c   the archive of minutes past the horizon: the day
 *                      files' format, writer and reader, and bringing a
 *                      window back for a late fact
 * The windows' layout is shared so that each piece reads them directly, as
 * the hot path does; every function here runs on the main context, like
 * the public ones. */
#pragma once

#include "aggregate/rollup.h"
#include "aggregate/sketch.h"
#include "protocol/ioc-stats.h"
#include "state/snapcodec.h"

G_BEGIN_DECLS

#define IOC_ROLLUP_N_CHANNELS (IOC_ROLLUP_MAX_CHANNEL + 1)

enum
{
  IOC_ROLLUP_WIN_EMITTED = 1 << 0, /* a point for this window went out at least once */
  IOC_ROLLUP_WIN_PENDING = 1 << 1, /* changed since: listed in self->pending */
};

typedef struct
{
  gint64 start_us;
  guint8 flags;
  guint8 gauge_set; /* bit f: gauge field f was set in this minute */
  IocSketch *sketches[IOC_MAX_SKETCHES]; /* lazily created */
  gint64 ints[];    /* ioc_measurement_n_ints() of the series */
} IocRollupWindow;

G_STATIC_ASSERT (IOC_MAX_INT_FIELDS <= 8); /* gauge_set is 8 bits */

typedef struct _IocRollupSeries IocRollupSeries;
struct _IocRollupSeries
{
  IocMeasurement measurement;
  guint8 channel;
  guint8 n_ints;
  const gchar *unit;    /* interned; "all" for the province */
  IocRollupSeries *all; /* the province series; NULL for that one itself */
  IocRollupWindow **windows; /* sorted by start_us */
  /* starts[i] == windows[i]->start_us: finding a window reads one small
   * array instead of a cache line per window visited. */
  gint64 *starts;
  guint32 n_windows;
  guint32 cap_windows;
  gint64 *live; /* n_live × (1 + n_ints): second, then counters; lazily */
};

typedef struct
{
  IocRollupSeries *series[IOC_MEAS_COUNT][IOC_ROLLUP_N_CHANNELS];
  guint n_series;
} IocRollupUnit;

typedef struct
{
  IocRollupSeries *series;
  IocRollupWindow *window;
} IocRollupPending;

typedef struct
{
  IocGaugeSampler fn;
  gpointer user_data;
} IocRollupSampler;

/* The windows of one archived minute a late fact asked for, read from the
 * day file (rollup-archive.c): hash of (m, c, start, unit) → offset + 1 of
 * its last record.  A few minutes are kept, the least recently used goes:
 * connectors replaying outages interleave a few minutes at a time. */
#define IOC_ROLLUP_ARCHIVE_CACHED_MINUTES 16
typedef struct
{
  GHashTable *keys; /* NULL: empty */
  gint64 start;
  gint64 upto;      /* bytes of its day file indexed when read: stale after an append */
  guint64 used;
} IocRollupArchiveMinute;

struct _IocRollup
{
  IocRollupOptions opts;
  guint8 n_sketches[IOC_MEAS_COUNT]; /* ioc_rollup_n_sketches(), looked up once: add() checks it per sample */
  IocPointFunc emit;
  gpointer user_data;
  GArray *samplers; /* IocRollupSampler */
  guint n_live;     /* seconds in a live ring */
  const gchar *all_unit;

  GHashTable *units; /* interned unit → IocRollupUnit* */
  IocRollupSeries *all_series[IOC_MEAS_COUNT][IOC_ROLLUP_N_CHANNELS];
  GTree *pending; /* minute index → GArray of IocRollupPending */
  guint n_series;
  guint n_windows;
  guint n_pending;

  gint64 closed_through; /* start of the latest minute a tick closed */
  gint64 dropped_before; /* windows starting before this are gone */
  gint64 last_sampled;   /* start of the last minute given to the samplers */

  IocStat *stat_emitted;
  IocStat *stat_rewrites;
  IocStat *stat_too_late;
  IocStat *stat_late_facts;
  IocStat *stat_windows;

  /* The archive (NULL dir: none, windows past the horizon are freed). */
  gchar *archive_dir;
  gint64 archive_from;      /* minutes before this are never looked up */
  GHashTable *archive_days; /* day file path → its index (rollup-archive.c), made at first use */
  IocRollupArchiveMinute cached_minutes[IOC_ROLLUP_ARCHIVE_CACHED_MINUTES];
  guint64 cached_clock;     /* stamps cached_minutes[].used */
  IocStat *stat_archive_rewrites;
  IocStat *stat_archive_bytes;
  IocStat *stat_archive_errors;
};

/* Floors that hold before 1970 too.  ioc_time_minute_start() is the same
 * minute floor out of line; this one is inline because add() takes one per
 * fact. */
static inline gint64
ioc_rollup_floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline gint64
ioc_rollup_minute_start (gint64 ts_us)
{
  return ioc_rollup_floor_div (ts_us, IOC_ROLLUP_MINUTE_US) * IOC_ROLLUP_MINUTE_US;
}

/* Whether t is a minute's start, for any t: the check to make on a time read
 * from a file, where ioc_rollup_minute_start() of one within a minute of
 * G_MININT64 overflows (fuzz-sections, tests/fuzz/long.sh). */
static inline gboolean
ioc_rollup_is_minute_start (gint64 t)
{
  return t % IOC_ROLLUP_MINUTE_US == 0;
}

/* ---- rollup.c ---- */

/* The series (m, unit, channel); unit interned (the rollup's all_unit for
 * the province).  With create, made if missing, and a unit's series linked
 * to its province series; without, NULL if missing. */
IocRollupSeries *ioc_rollup_lookup_series (IocRollup *self, IocMeasurement m, const gchar *unit,
                                           guint8 channel, gboolean create);
/* The window of s for the minute starting at start_us, created if needed. */
IocRollupWindow *ioc_rollup_series_window (IocRollup *self, IocRollupSeries *s, gint64 start_us);
/* The window of s for that minute if it is in memory, else NULL. */
IocRollupWindow *ioc_rollup_series_find (IocRollupSeries *s, gint64 start_us);
/* Lists w for emission at the next tick that closes its minute (w must not
 * be pending already). */
void             ioc_rollup_pending_add (IocRollup *self, IocRollupSeries *s, IocRollupWindow *w);
/* Frees every series and window; the samplers and options stay. */
void             ioc_rollup_clear (IocRollup *self);
/* Frees the windows that start before `before`, except pending ones, then
 * the unit series left without windows and the units left without series
 * (the province series stay).  The horizon (without an archive) and the
 * archive (once written) both free through this one walk. */
void             ioc_rollup_free_before (IocRollup *self, gint64 before);

/* Visits every series that exists, the province totals first, then each
 * unit's.  fn returns TRUE to have the unit series it was given freed (and
 * its unit, once it has no series left); the walks that only read (the
 * snapshot, the archive writer, memory accounting) return FALSE.  The
 * province series are never freed by a walk: fn's answer for them is
 * ignored. */
typedef gboolean (*IocRollupSeriesFunc) (IocRollup *self, IocRollupSeries *s, gpointer user_data);
void             ioc_rollup_foreach_series (IocRollup *self, IocRollupSeriesFunc fn, gpointer user_data);

/* ---- rollup-emit.c ---- */

/* How many sketches a window of m holds (those behind IocPoint's floats). */
guint            ioc_rollup_n_sketches (IocMeasurement m);

/* ---- rollup-snapshot.c ---- */

/* A window's values as the snapshot and the archive both write them: the
 * gauge bits, the integer fields, then which sketches exist and each one. */
void             ioc_rollup_put_window_values (GByteArray *out, const IocRollupSeries *s,
                                               const IocRollupWindow *w);

/* ---- rollup-archive.c ---- */

/* For a fact in a minute past the horizon (start, before dropped_before):
 * brings its series' window and the province window back from the archive
 * (or makes them, if the minute was never archived).  FALSE when there is
 * no archive, the minute is before archive_from, or a record is
 * unreadable (warned and counted): the fact is then too late. */
gboolean         ioc_rollup_archive_restore (IocRollup *self, const IocFact *fact, gint64 start);
/* Forgets the indexes of the day files and the cached minutes (at free). */
void             ioc_rollup_archive_forget_index (IocRollup *self);

G_END_DECLS
