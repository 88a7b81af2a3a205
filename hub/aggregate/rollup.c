/* rollup.c — the event-time windows of SPEC §5–§6: facts in, minute points
 * out.  Sits between the fact producers (queue-stats, device-health, the
 * dossier tracker) and the sinks; knows nothing of either, only the
 * measurement tables of record.h.  Runs on the main context: add() for every
 * fact, tick() once a second with the hub's clock.
 *
 * State: series (measurement, unit, channel) found through a per-unit table;
 * each series holds its minute windows in a sorted array (sparse: a minute
 * without facts has no window) and a small ring of per-second counter
 * buckets for the live window.  Every fact is applied twice, to the unit's
 * series and to (measurement, "all", channel), so the province point is
 * exact and needs no pass over the units at emission time.
 *
 * Emission is driven by a pending index (minute → windows changed since
 * their last emission): tick() takes the minutes that have closed
 * (end + lateness <= now), sorts their windows and emits them.  A window
 * that took a fact after it was emitted is pending again and is emitted
 * again, complete, with the same timestamp (late data must not be lost;
 * InfluxDB overwrites the point idempotently).  Windows stay
 * for `horizon` to absorb late facts, then are dropped. */
#include "aggregate/rollup.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <zlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "aggregate/sketch.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "state/snapcodec.h"

#define N_CHANNELS (IOC_ROLLUP_MAX_CHANNEL + 1)
#define SNAP_MAGIC 0x314c5249u /* "IRL1" */

enum
{
  WIN_EMITTED = 1 << 0, /* a point for this window went out at least once */
  WIN_PENDING = 1 << 1, /* changed since: listed in self->pending */
};

/* Float fields of IocPoint and the sketch percentile behind each.  The only
 * measurement-specific table here; a measurement's sketch count follows
 * from it. */
static const struct
{
  IocMeasurement measurement;
  guint sketch;
  gdouble q;
} float_fields[G_N_ELEMENTS (((IocPoint *) NULL)->floats)] = {
  { IOC_MEAS_QUEUE, IOC_S_QUEUE_WAIT, 0.5 },    /* wait_p50_s */
  { IOC_MEAS_QUEUE, IOC_S_QUEUE_WAIT, 0.9 },    /* wait_p90_s */
  { IOC_MEAS_QUEUE, IOC_S_QUEUE_SERVICE, 0.5 }, /* service_p50_s */
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
  IocRollupSeries *series[IOC_MEAS_COUNT][N_CHANNELS];
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

struct _IocRollup
{
  IocRollupOptions opts;
  IocPointFunc emit;
  gpointer user_data;
  GArray *samplers; /* IocRollupSampler */
  guint n_live;     /* seconds in a live ring */
  const gchar *all_unit;

  GHashTable *units; /* interned unit → IocRollupUnit* */
  IocRollupSeries *all_series[IOC_MEAS_COUNT][N_CHANNELS];
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
  gchar *index_path;        /* the day file whose index is cached */
  GHashTable *index;        /* "m/c/start/unit" → offset of its last record */
  gint64 index_scanned;     /* bytes of index_path indexed (good prefix) */
  gint64 index_size;        /* its size then: a torn tail is reported once */
  IocStat *stat_archive_rewrites;
  IocStat *stat_archive_bytes;
  IocStat *stat_archive_errors;
};

static gint64
floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static gint64
minute_start (gint64 ts_us)
{
  return floor_div (ts_us, IOC_ROLLUP_MINUTE_US) * IOC_ROLLUP_MINUTE_US;
}

static guint
measurement_n_sketches (IocMeasurement m)
{
  guint n = 0;
  for (guint i = 0; i < G_N_ELEMENTS (float_fields); i++)
    if (float_fields[i].measurement == m)
      n = MAX (n, float_fields[i].sketch + 1);
  return n;
}

/* ---- windows and series ---- */

static IocRollupWindow *
window_new (guint n_ints, gint64 start_us)
{
  IocRollupWindow *w = g_malloc0 (sizeof (IocRollupWindow) + n_ints * sizeof (gint64));
  w->start_us = start_us;
  return w;
}

static void
window_free (IocRollupWindow *w)
{
  for (guint i = 0; i < IOC_MAX_SKETCHES; i++)
    ioc_sketch_free (w->sketches[i]);
  g_free (w);
}

static gsize
window_memory (const IocRollupSeries *s, const IocRollupWindow *w)
{
  gsize n = sizeof (IocRollupWindow) + s->n_ints * sizeof (gint64);
  for (guint i = 0; i < IOC_MAX_SKETCHES; i++)
    if (w->sketches[i] != NULL)
      n += ioc_sketch_memory (w->sketches[i]);
  return n;
}

static IocRollupSeries *
series_new (IocRollup *self, IocMeasurement m, const gchar *unit, guint8 channel)
{
  IocRollupSeries *s = g_new0 (IocRollupSeries, 1);
  s->measurement = m;
  s->channel = channel;
  s->n_ints = (guint8) ioc_measurement_n_ints (m);
  s->unit = unit;
  self->n_series++;
  return s;
}

static void
series_free (IocRollup *self, IocRollupSeries *s)
{
  for (guint32 i = 0; i < s->n_windows; i++)
    window_free (s->windows[i]);
  self->n_windows -= s->n_windows;
  self->n_series--;
  g_free (s->windows);
  g_free (s->starts);
  g_free (s->live);
  g_free (s);
}

static IocRollupSeries *
all_series (IocRollup *self, IocMeasurement m, guint8 channel)
{
  IocRollupSeries **slot = &self->all_series[m][channel];
  if (*slot == NULL)
    *slot = series_new (self, m, self->all_unit, channel);
  return *slot;
}

static IocRollupSeries *
lookup_series (IocRollup *self, IocMeasurement m, const gchar *unit, guint8 channel, gboolean create)
{
  if (unit == self->all_unit)
    return create ? all_series (self, m, channel) : self->all_series[m][channel];

  IocRollupUnit *u = g_hash_table_lookup (self->units, unit);
  if (u == NULL)
    {
      if (!create)
        return NULL;
      u = g_new0 (IocRollupUnit, 1);
      g_hash_table_insert (self->units, (gpointer) unit, u);
    }
  IocRollupSeries *s = u->series[m][channel];
  if (s == NULL && create)
    {
      s = u->series[m][channel] = series_new (self, m, unit, channel);
      s->all = all_series (self, m, channel);
      u->n_series++;
    }
  return s;
}

static void
pending_add (IocRollup *self, IocRollupSeries *s, IocRollupWindow *w)
{
  gpointer key = GINT_TO_POINTER ((gint) (w->start_us / IOC_ROLLUP_MINUTE_US));
  GArray *list = g_tree_lookup (self->pending, key);
  if (list == NULL)
    {
      list = g_array_sized_new (FALSE, FALSE, sizeof (IocRollupPending), 16);
      g_tree_insert (self->pending, key, list);
    }
  IocRollupPending p = { s, w };
  g_array_append_val (list, p);
  w->flags |= WIN_PENDING;
  self->n_pending++;
}

static void
mark_pending (IocRollup *self, IocRollupSeries *s, IocRollupWindow *w)
{
  if (!(w->flags & WIN_PENDING))
    pending_add (self, s, w);
}

/* The window of s for the minute starting at start_us, created if needed.
 * Facts arrive mostly in time order, so the newest window is tried first. */
static IocRollupWindow *
series_window (IocRollup *self, IocRollupSeries *s, gint64 start_us)
{
  guint32 n = s->n_windows;
  const gint64 *starts = s->starts;
  if (n > 0 && starts[n - 1] == start_us)
    return s->windows[n - 1];

  guint32 lo = 0, hi = n;
  if (n > 0 && starts[n - 1] < start_us)
    lo = n;
  while (lo < hi)
    {
      guint32 mid = lo + (hi - lo) / 2;
      if (starts[mid] < start_us)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo < n && starts[lo] == start_us)
    return s->windows[lo];

  if (n == s->cap_windows)
    {
      s->cap_windows = s->cap_windows ? s->cap_windows * 2 : 4;
      s->windows = g_renew (IocRollupWindow *, s->windows, s->cap_windows);
      s->starts = g_renew (gint64, s->starts, s->cap_windows);
    }
  memmove (&s->windows[lo + 1], &s->windows[lo], (n - lo) * sizeof (IocRollupWindow *));
  memmove (&s->starts[lo + 1], &s->starts[lo], (n - lo) * sizeof (gint64));
  IocRollupWindow *w = window_new (s->n_ints, start_us);
  s->windows[lo] = w;
  s->starts[lo] = start_us;
  s->n_windows++;
  self->n_windows++;
  return w;
}

/* Live ring: bucket i holds second `sec` with sec % n_live == i.  A fact
 * older than what its bucket holds is too old for the live window. */
static void
live_add (IocRollup *self, IocRollupSeries *s, gint64 ts_us, guint field, gint64 delta)
{
  guint stride = 1 + s->n_ints;
  if (s->live == NULL)
    {
      s->live = g_new0 (gint64, self->n_live * stride);
      for (guint i = 0; i < self->n_live; i++)
        s->live[i * stride] = G_MININT64;
    }
  gint64 sec = floor_div (ts_us, G_USEC_PER_SEC);
  gint64 *b = &s->live[(guint) (sec - floor_div (sec, self->n_live) * self->n_live) * stride];
  if (b[0] != sec)
    {
      if (b[0] > sec)
        return;
      memset (b, 0, stride * sizeof (gint64));
      b[0] = sec;
    }
  b[1 + field] += delta;
}

static void
apply_sample (IocRollupWindow *w, guint field, gdouble v)
{
  if (w->sketches[field] == NULL)
    w->sketches[field] = ioc_sketch_new ();
  ioc_sketch_add (w->sketches[field], v);
}

/* ---- the archive of windows past the horizon ----
 *
 * With an archive directory set, tick() no longer frees windows older than
 * the horizon: ioc_rollup_archive() appends them to a per-local-day file
 * and frees them, and is called by the hub right after a snapshot has been
 * made durable.  Since that snapshot still holds the windows in memory, the
 * archive never holds an effect that a replay from the latest snapshot
 * would apply again.  A file is a sequence of records: magic, then one
 * window as a length-prefixed body, then the body's CRC-32 (a damaged
 * record is refused whole, never taken in part); a later record of the same window
 * replaces an earlier one.  A torn or corrupt tail (a crash while
 * appending) ends the file: it is ignored on lookup and cut off before the
 * next append, like the journal's. */

#define ARCHIVE_MAGIC 0x31415249u /* "IRA1" */
#define VN_OFFSET_US (7 * G_TIME_SPAN_HOUR) /* Vietnam: UTC+7, no DST */
#define ARCHIVE_MAX_BODY (1u << 20)

static gboolean archive_restore (IocRollup *self, const IocFact *fact, gint64 start);

static gchar *
archive_day_name (gint64 start_us)
{
  gint64 day = floor_div (start_us + VN_OFFSET_US, G_TIME_SPAN_DAY);
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (day * 86400);
  return g_date_time_format (dt, "%Y-%m-%d.bin");
}

static gchar *
archive_path (IocRollup *self, gint64 start_us)
{
  g_autofree gchar *name = archive_day_name (start_us);
  return g_build_filename (self->archive_dir, name, NULL);
}

static gchar *
archive_key (guint m, guint c, gint64 start, const gchar *unit)
{
  return g_strdup_printf ("%u/%u/%" G_GINT64_FORMAT "/%s", m, c, start, unit);
}

/* A window's values as the snapshot and the archive both write them: the
 * gauge bits, the integer fields, then which sketches exist and each one. */
static void
put_window_values (GByteArray *out, const IocRollupSeries *s, const IocRollupWindow *w)
{
  ioc_snap_put_u8 (out, w->gauge_set);
  for (guint f = 0; f < s->n_ints; f++)
    ioc_snap_put_i64 (out, w->ints[f]);
  guint8 mask = 0;
  for (guint k = 0; k < IOC_MAX_SKETCHES; k++)
    if (w->sketches[k] != NULL)
      mask |= (guint8) (1u << k);
  ioc_snap_put_u8 (out, mask);
  for (guint k = 0; k < IOC_MAX_SKETCHES; k++)
    if (w->sketches[k] != NULL)
      ioc_sketch_save (w->sketches[k], out);
}

static void
archive_put_window (GByteArray *out, const IocRollupSeries *s, const IocRollupWindow *w)
{
  g_autoptr (GByteArray) body = g_byte_array_new ();
  ioc_snap_put_u8 (body, (guint8) s->measurement);
  ioc_snap_put_u8 (body, s->channel);
  ioc_snap_put_i64 (body, w->start_us);
  ioc_snap_put_str (body, s->unit);
  put_window_values (body, s, w);
  ioc_snap_put_u32 (out, ARCHIVE_MAGIC);
  ioc_snap_put_bytes (out, body->data, body->len);
  ioc_snap_put_u32 (out, (guint32) crc32 (0L, body->data, body->len));
}

/* Reads one record's header; FALSE at a torn or corrupt record. */
static gboolean
archive_get_header (IocSnapReader *r, const guint8 **body, guint32 *body_len, guint8 *m, guint8 *c,
                    gint64 *start, gchar **unit)
{
  if (ioc_snap_get_u32 (r) != ARCHIVE_MAGIC || !ioc_snap_reader_ok (r))
    return FALSE;
  *body = ioc_snap_get_bytes (r, body_len);
  guint32 crc = ioc_snap_get_u32 (r);
  if (!ioc_snap_reader_ok (r) || *body == NULL || *body_len > ARCHIVE_MAX_BODY
      || crc != (guint32) crc32 (0L, *body, *body_len))
    return FALSE;
  IocSnapReader b;
  ioc_snap_reader_init (&b, *body, *body_len);
  *m = ioc_snap_get_u8 (&b);
  *c = ioc_snap_get_u8 (&b);
  *start = ioc_snap_get_i64 (&b);
  *unit = ioc_snap_get_str (&b);
  if (!ioc_snap_reader_ok (&b) || *unit == NULL || *m >= IOC_MEAS_COUNT || *c > IOC_ROLLUP_MAX_CHANNEL
      || *start != minute_start (*start))
    {
      g_clear_pointer (unit, g_free);
      return FALSE;
    }
  return TRUE;
}

static gboolean
archive_read_at (const gchar *path, gint64 offset, gsize len, guint8 *buf)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = pread (fd, buf + done, len - done, offset + (off_t) done);
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  close (fd);
  return done == len;
}

/* Brings the cached index up to date with path: only the bytes appended
 * since the last scan are read.  The index covers one file at a time. */
static void
archive_index (IocRollup *self, const gchar *path)
{
  if (g_strcmp0 (self->index_path, path) != 0)
    {
      g_free (self->index_path);
      self->index_path = g_strdup (path);
      g_hash_table_remove_all (self->index);
      self->index_scanned = self->index_size = 0;
    }
  GStatBuf st;
  if (g_stat (path, &st) != 0 || st.st_size <= self->index_scanned || st.st_size == self->index_size)
    return;
  self->index_size = st.st_size;
  gsize len = (gsize) (st.st_size - self->index_scanned);
  g_autofree guint8 *buf = g_malloc (len);
  if (!archive_read_at (path, self->index_scanned, len, buf))
    return;
  IocSnapReader r;
  ioc_snap_reader_init (&r, buf, len);
  gsize good = 0;
  for (;;)
    {
      const guint8 *body;
      guint32 body_len;
      guint8 m, c;
      gint64 start;
      gchar *unit = NULL;
      if (ioc_snap_reader_at_end (&r) || !archive_get_header (&r, &body, &body_len, &m, &c, &start, &unit))
        break;
      gsize next = (gsize) (r.pos - buf); /* past the record's CRC */
      g_hash_table_insert (self->index, archive_key (m, c, start, unit),
                           GSIZE_TO_POINTER ((gsize) self->index_scanned + good + 1));
      g_free (unit);
      good = next;
    }
  if (good < len)
    {
      ioc_stat_add (self->stat_archive_errors, 1);
      g_warning ("rollup archive %s: torn or corrupt record at byte %" G_GINT64_FORMAT ", the rest is ignored",
                 path, self->index_scanned + (gint64) good);
    }
  self->index_scanned += (gint64) good;
}

static IocRollupWindow *
series_find (IocRollupSeries *s, gint64 start_us)
{
  for (guint32 i = s->n_windows; i-- > 0;)
    if (s->starts[i] == start_us)
      return s->windows[i];
    else if (s->starts[i] < start_us)
      break;
  return NULL;
}

/* s's window for start: in memory, else from the archive, else new. */
static gboolean
archive_bring_back (IocRollup *self, IocRollupSeries *s, gint64 start, const gchar *path)
{
  if (series_find (s, start) != NULL)
    return TRUE;
  g_autofree gchar *key = archive_key (s->measurement, s->channel, start, s->unit);
  gsize at = GPOINTER_TO_SIZE (g_hash_table_lookup (self->index, key));
  if (at == 0)
    {
      series_window (self, s, start);
      return TRUE;
    }
  at--;
  guint8 head[8];
  if (!archive_read_at (path, (gint64) at, sizeof head, head))
    return FALSE;
  IocSnapReader r;
  ioc_snap_reader_init (&r, head, sizeof head);
  ioc_snap_get_u32 (&r);
  guint32 body_len = ioc_snap_get_u32 (&r);
  if (body_len > ARCHIVE_MAX_BODY)
    return FALSE;
  gsize rec_len = 8 + (gsize) body_len + 4; /* magic, length, body, CRC */
  g_autofree guint8 *rec = g_malloc (rec_len);
  if (!archive_read_at (path, (gint64) at, rec_len, rec))
    return FALSE;
  ioc_snap_reader_init (&r, rec, rec_len);
  const guint8 *body;
  guint8 m, c;
  gint64 st;
  g_autofree gchar *unit = NULL;
  if (!archive_get_header (&r, &body, &body_len, &m, &c, &st, &unit))
    return FALSE;
  IocSnapReader b;
  ioc_snap_reader_init (&b, body, body_len);
  ioc_snap_get_u8 (&b);
  ioc_snap_get_u8 (&b);
  ioc_snap_get_i64 (&b);
  g_free (ioc_snap_get_str (&b));
  guint8 gauge_set = ioc_snap_get_u8 (&b);
  gint64 ints[IOC_MAX_INT_FIELDS] = { 0 };
  for (guint f = 0; f < s->n_ints; f++)
    ints[f] = ioc_snap_get_i64 (&b);
  guint8 mask = ioc_snap_get_u8 (&b);
  guint n_sketches = measurement_n_sketches (s->measurement);
  if (!ioc_snap_reader_ok (&b) || (mask >> n_sketches))
    return FALSE;
  IocSketch *sk[IOC_MAX_SKETCHES] = { NULL };
  gboolean ok = TRUE;
  for (guint k = 0; k < n_sketches && ok; k++)
    if (mask & (1u << k))
      ok = (sk[k] = ioc_sketch_load (&b)) != NULL;
  if (!ok || !ioc_snap_reader_at_end (&b))
    {
      for (guint k = 0; k < IOC_MAX_SKETCHES; k++)
        ioc_sketch_free (sk[k]);
      return FALSE;
    }
  IocRollupWindow *w = series_window (self, s, start);
  w->gauge_set = gauge_set;
  memcpy (w->ints, ints, s->n_ints * sizeof (gint64));
  memcpy (w->sketches, sk, sizeof sk);
  w->flags |= WIN_EMITTED;
  return TRUE;
}

static gboolean
archive_restore (IocRollup *self, const IocFact *fact, gint64 start)
{
  if (self->archive_dir == NULL || start < self->archive_from)
    return FALSE;
  IocRollupSeries *s = lookup_series (self, fact->measurement, fact->unit, fact->channel, TRUE);
  if (series_find (s, start) != NULL && series_find (s->all, start) != NULL)
    return TRUE;
  g_autofree gchar *path = archive_path (self, start);
  archive_index (self, path);
  if (!archive_bring_back (self, s->all, start, path) || !archive_bring_back (self, s, start, path))
    {
      ioc_stat_add (self->stat_archive_errors, 1);
      g_warning ("rollup archive %s: unreadable record for minute %" G_GINT64_FORMAT " s; fact not counted",
                 path, start / G_USEC_PER_SEC);
      return FALSE;
    }
  ioc_stat_add (self->stat_archive_rewrites, 1);
  return TRUE;
}

/* ---- public API ---- */

static gint
pending_key_cmp (gconstpointer a, gconstpointer b, gpointer user_data)
{
  gint ia = GPOINTER_TO_INT (a), ib = GPOINTER_TO_INT (b);
  return (ia > ib) - (ia < ib);
}

static void
unit_free (gpointer data)
{
  g_free (data);
}

static void
pending_list_free (gpointer data)
{
  g_array_unref (data);
}

IocRollup *
ioc_rollup_new (const IocRollupOptions *opts, IocPointFunc emit, gpointer user_data)
{
  IocRollup *self = g_new0 (IocRollup, 1);
  self->opts.live_window_us = IOC_ROLLUP_DEFAULT_LIVE_WINDOW_US;
  self->opts.lateness_us = IOC_ROLLUP_DEFAULT_LATENESS_US;
  self->opts.horizon_us = IOC_ROLLUP_DEFAULT_HORIZON_US;
  if (opts != NULL)
    {
      if (opts->live_window_us > 0)
        self->opts.live_window_us = opts->live_window_us;
      if (opts->lateness_us >= 0)
        self->opts.lateness_us = opts->lateness_us;
      if (opts->horizon_us > 0)
        self->opts.horizon_us = opts->horizon_us;
    }
  /* A window must close (and be emitted) before it can be dropped. */
  self->opts.horizon_us = MAX (self->opts.horizon_us, self->opts.lateness_us + IOC_ROLLUP_MINUTE_US);
  self->n_live = (guint) ((self->opts.live_window_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  self->emit = emit;
  self->user_data = user_data;
  self->samplers = g_array_new (FALSE, FALSE, sizeof (IocRollupSampler));
  self->all_unit = ioc_intern ("all");
  self->units = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, unit_free);
  self->pending = g_tree_new_full (pending_key_cmp, NULL, NULL, pending_list_free);
  self->closed_through = G_MININT64;
  self->dropped_before = G_MININT64;
  self->last_sampled = G_MININT64;

  self->stat_emitted = ioc_stat ("iochub_rollup_points_emitted_total", NULL, IOC_STAT_COUNTER,
                                 "Minute points emitted by the rollup, re-emissions included");
  self->stat_rewrites = ioc_stat ("iochub_rollup_late_rewrites_total", NULL, IOC_STAT_COUNTER,
                                  "Minute points emitted again with the same timestamp after late facts");
  self->stat_too_late = ioc_stat ("iochub_rollup_too_late_total", NULL, IOC_STAT_COUNTER,
                                  "Facts ignored because their minute was older than the rollup horizon");
  self->stat_late_facts = ioc_stat ("iochub_rollup_late_facts_total", NULL, IOC_STAT_COUNTER,
                                    "Facts that arrived after their minute had closed (counted, re-emitted)");
  self->stat_windows = ioc_stat ("iochub_rollup_windows", NULL, IOC_STAT_GAUGE,
                                 "Minute windows held by the rollup");
  self->stat_archive_rewrites = ioc_stat ("iochub_rollup_archive_rewrites_total", NULL, IOC_STAT_COUNTER,
                                          "Facts for minutes past the horizon, applied to windows brought back from the archive");
  self->stat_archive_bytes = ioc_stat ("iochub_rollup_archive_bytes", NULL, IOC_STAT_GAUGE,
                                       "Bytes of the rollup's archive of minutes past the horizon");
  self->stat_archive_errors = ioc_stat ("iochub_rollup_archive_errors_total", NULL, IOC_STAT_COUNTER,
                                        "Torn or unreadable records met in the rollup archive");
  self->index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

/* Frees every series and window; the samplers and options stay. */
static void
rollup_clear (IocRollup *self)
{
  GHashTableIter it;
  gpointer value;

  g_tree_remove_all (self->pending);
  self->n_pending = 0;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocRollupUnit *u = value;
      for (guint m = 0; m < IOC_MEAS_COUNT; m++)
        for (guint c = 0; c < N_CHANNELS; c++)
          if (u->series[m][c] != NULL)
            series_free (self, u->series[m][c]);
    }
  g_hash_table_remove_all (self->units);
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    for (guint c = 0; c < N_CHANNELS; c++)
      if (self->all_series[m][c] != NULL)
        {
          series_free (self, self->all_series[m][c]);
          self->all_series[m][c] = NULL;
        }
  g_assert (self->n_series == 0 && self->n_windows == 0);
}

void
ioc_rollup_free (IocRollup *self)
{
  if (self == NULL)
    return;
  rollup_clear (self);
  g_tree_unref (self->pending);
  g_hash_table_unref (self->units);
  g_hash_table_unref (self->index);
  g_free (self->index_path);
  g_free (self->archive_dir);
  g_array_unref (self->samplers);
  g_free (self);
}

void
ioc_rollup_add (IocRollup *self, const IocFact *fact)
{
  g_return_if_fail (self != NULL && fact != NULL);
  g_return_if_fail (fact->measurement < IOC_MEAS_COUNT);
  g_return_if_fail (fact->channel <= IOC_ROLLUP_MAX_CHANNEL);
  g_return_if_fail (fact->unit != NULL && fact->unit != self->all_unit);
  if (fact->kind == IOC_FACT_SAMPLE)
    g_return_if_fail (fact->field < measurement_n_sketches (fact->measurement));
  else
    g_return_if_fail (fact->field < ioc_measurement_n_ints (fact->measurement));

  gint64 start = minute_start (fact->ts_us);
  /* Beyond the horizon the window is gone, and so is every other unit's
   * window of that minute, so a corrected "all" point cannot be computed:
   * count the fact and drop it. */
  if (G_UNLIKELY (start < self->dropped_before) && !archive_restore (self, fact, start))
    {
      ioc_stat_add (self->stat_too_late, 1);
      return;
    }
  if (start <= self->closed_through)
    ioc_stat_add (self->stat_late_facts, 1);

  IocRollupSeries *s = lookup_series (self, fact->measurement, fact->unit, fact->channel, TRUE);
  IocRollupSeries *all = s->all;
  IocRollupWindow *w = series_window (self, s, start);
  IocRollupWindow *aw = series_window (self, all, start);
  guint f = fact->field;

  switch (fact->kind)
    {
    case IOC_FACT_COUNT:
      w->ints[f] += fact->delta;
      aw->ints[f] += fact->delta;
      live_add (self, s, fact->ts_us, f, fact->delta);
      live_add (self, all, fact->ts_us, f, fact->delta);
      break;

    case IOC_FACT_GAUGE:
      {
        guint8 bit = (guint8) (1u << f);
        gint64 old = (w->gauge_set & bit) ? w->ints[f] : 0;
        /* The same state sampled again changes nothing: no re-emission. */
        if ((w->gauge_set & bit) && old == fact->delta)
          return;
        w->ints[f] = fact->delta;
        w->gauge_set |= bit;
        /* "all" is the sum of the units' latest values. */
        aw->ints[f] += fact->delta - old;
        aw->gauge_set |= bit;
        break;
      }

    case IOC_FACT_SAMPLE:
      /* Adding each sample to "all" gives the same buckets as merging the
       * units' sketches at emission, without a pass over the units. */
      apply_sample (w, f, fact->sample);
      apply_sample (aw, f, fact->sample);
      break;

    default:
      g_return_if_reached ();
    }
  mark_pending (self, s, w);
  mark_pending (self, all, aw);
}

void
ioc_rollup_add_gauge_sampler (IocRollup *self, IocGaugeSampler fn, gpointer user_data)
{
  g_return_if_fail (self != NULL && fn != NULL);
  IocRollupSampler sampler = { fn, user_data };
  g_array_append_val (self->samplers, sampler);
}

static void
window_to_point (const IocRollupSeries *s, const IocRollupWindow *w, IocPoint *p)
{
  memset (p, 0, sizeof *p);
  p->measurement = s->measurement;
  p->unit = s->unit;
  p->channel = s->channel;
  p->ts_us = w->start_us;
  memcpy (p->ints, w->ints, s->n_ints * sizeof (gint64));
  for (guint i = 0; i < G_N_ELEMENTS (float_fields); i++)
    {
      if (float_fields[i].measurement != s->measurement)
        continue;
      const IocSketch *sk = w->sketches[float_fields[i].sketch];
      if (sk != NULL && ioc_sketch_count (sk) > 0)
        {
          p->floats[i] = ioc_sketch_quantile (sk, float_fields[i].q);
          p->has_floats[i] = TRUE;
        }
    }
}

/* Emission order within a minute: measurement, unit code ("all" last),
 * channel. */
static gint
pending_cmp (gconstpointer a, gconstpointer b, gpointer all_unit)
{
  const IocRollupSeries *sa = ((const IocRollupPending *) a)->series;
  const IocRollupSeries *sb = ((const IocRollupPending *) b)->series;
  if (sa->measurement != sb->measurement)
    return sa->measurement < sb->measurement ? -1 : 1;
  if (sa->unit != sb->unit)
    {
      if (sa->unit == all_unit)
        return 1;
      if (sb->unit == all_unit)
        return -1;
      return strcmp (sa->unit, sb->unit);
    }
  return (sa->channel > sb->channel) - (sa->channel < sb->channel);
}

typedef struct
{
  gint limit_key;
  GPtrArray *keys;
} CollectClosed;

static gboolean
collect_closed_cb (gpointer key, gpointer value, gpointer user_data)
{
  CollectClosed *c = user_data;
  if (GPOINTER_TO_INT (key) > c->limit_key)
    return TRUE; /* in order: everything after is still open */
  g_ptr_array_add (c->keys, key);
  return FALSE;
}

static void
emit_closed (IocRollup *self, gint64 now_us)
{
  gint64 limit = minute_start (now_us - self->opts.lateness_us - IOC_ROLLUP_MINUTE_US);
  if (limit > self->closed_through)
    self->closed_through = limit;
  if (g_tree_nnodes (self->pending) == 0)
    return;

  /* Collect first, then emit: an emit callback may add facts, which must
   * land in a fresh pending list, not in the one being walked. */
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  CollectClosed c = { (gint) (limit / IOC_ROLLUP_MINUTE_US), keys };
  g_tree_foreach (self->pending, collect_closed_cb, &c);
  g_autoptr (GPtrArray) lists = g_ptr_array_new_with_free_func (pending_list_free);
  for (guint i = 0; i < keys->len; i++)
    {
      gpointer list = NULL;
      g_tree_lookup_extended (self->pending, keys->pdata[i], NULL, &list);
      g_tree_steal (self->pending, keys->pdata[i]);
      g_ptr_array_add (lists, list);
    }

  for (guint i = 0; i < lists->len; i++)
    {
      GArray *list = lists->pdata[i];
      g_array_sort_with_data (list, pending_cmp, (gpointer) self->all_unit);
      for (guint j = 0; j < list->len; j++)
        {
          IocRollupPending *p = &g_array_index (list, IocRollupPending, j);
          IocPoint point;
          window_to_point (p->series, p->window, &point);
          if (p->window->flags & WIN_EMITTED)
            ioc_stat_add (self->stat_rewrites, 1);
          p->window->flags = WIN_EMITTED;
          self->n_pending--;
          ioc_stat_add (self->stat_emitted, 1);
          if (self->emit != NULL)
            self->emit (&point, self->user_data);
        }
    }
}

static void
series_drop_before (IocRollup *self, IocRollupSeries *s, gint64 before)
{
  guint32 n = 0;
  while (n < s->n_windows && s->windows[n]->start_us < before)
    {
      g_assert (!(s->windows[n]->flags & WIN_PENDING));
      window_free (s->windows[n]);
      n++;
    }
  if (n == 0)
    return;
  memmove (s->windows, &s->windows[n], (s->n_windows - n) * sizeof (IocRollupWindow *));
  memmove (s->starts, &s->starts[n], (s->n_windows - n) * sizeof (gint64));
  s->n_windows -= n;
  self->n_windows -= n;
}

static void
drop_old (IocRollup *self, gint64 now_us)
{
  gint64 before = minute_start (now_us - self->opts.horizon_us);
  if (before <= self->dropped_before)
    return;
  self->dropped_before = before;
  if (self->archive_dir != NULL)
    return; /* freed by ioc_rollup_archive() once written */

  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocRollupUnit *u = value;
      for (guint m = 0; m < IOC_MEAS_COUNT; m++)
        for (guint c = 0; c < N_CHANNELS; c++)
          {
            IocRollupSeries *s = u->series[m][c];
            if (s == NULL)
              continue;
            series_drop_before (self, s, before);
            if (s->n_windows == 0)
              {
                /* An idle series costs nothing once its windows are gone;
                 * its live buckets are older than the horizon too. */
                series_free (self, s);
                u->series[m][c] = NULL;
                u->n_series--;
              }
          }
      if (u->n_series == 0)
        g_hash_table_iter_remove (&it);
    }
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    for (guint c = 0; c < N_CHANNELS; c++)
      if (self->all_series[m][c] != NULL)
        series_drop_before (self, self->all_series[m][c], before);
}

void
ioc_rollup_tick (IocRollup *self, gint64 now_us)
{
  g_return_if_fail (self != NULL);

  /* The minute that ended last, sampled once, before it can close. */
  gint64 ended = minute_start (now_us) - IOC_ROLLUP_MINUTE_US;
  if (ended > self->last_sampled)
    {
      self->last_sampled = ended;
      for (guint i = 0; i < self->samplers->len; i++)
        {
          IocRollupSampler *sampler = &g_array_index (self->samplers, IocRollupSampler, i);
          sampler->fn (self, ended, sampler->user_data);
        }
    }

  emit_closed (self, now_us);
  drop_old (self, now_us);
  ioc_stat_set (self->stat_windows, self->n_windows);
}

gboolean
ioc_rollup_live (IocRollup *self, IocMeasurement m, const gchar *unit, guint8 channel,
                 gint64 now_us, IocPoint *out)
{
  g_return_val_if_fail (self != NULL && unit != NULL && out != NULL, FALSE);
  g_return_val_if_fail (m < IOC_MEAS_COUNT && channel <= IOC_ROLLUP_MAX_CHANNEL, FALSE);

  IocRollupSeries *s = lookup_series (self, m, ioc_intern (unit), channel, FALSE);
  if (s == NULL)
    return FALSE;

  memset (out, 0, sizeof *out);
  out->measurement = m;
  out->unit = s->unit;
  out->channel = channel;
  out->ts_us = now_us - self->opts.live_window_us;
  if (s->live != NULL)
    {
      guint stride = 1 + s->n_ints;
      for (guint i = 0; i < self->n_live; i++)
        {
          const gint64 *b = &s->live[i * stride];
          if (b[0] == G_MININT64)
            continue;
          gint64 sec_us = b[0] * G_USEC_PER_SEC;
          if (sec_us < now_us - self->opts.live_window_us || sec_us >= now_us)
            continue;
          for (guint f = 0; f < s->n_ints; f++)
            out->ints[f] += b[1 + f];
        }
    }
  /* Gauges: the newest value sampled, however old the minute. */
  guint8 todo = 0;
  for (guint f = 0; f < s->n_ints; f++)
    todo |= (guint8) (1u << f);
  for (guint32 i = s->n_windows; i-- > 0 && todo != 0;)
    {
      const IocRollupWindow *w = s->windows[i];
      guint8 found = w->gauge_set & todo;
      for (guint f = 0; f < s->n_ints; f++)
        if (found & (1u << f))
          out->ints[f] = w->ints[f];
      todo &= (guint8) ~found;
    }
  return TRUE;
}

/* ---- snapshot ---- */

static void
save_series (const IocRollupSeries *s, GByteArray *out)
{
  ioc_snap_put_u8 (out, (guint8) s->measurement);
  ioc_snap_put_u8 (out, s->channel);
  ioc_snap_put_str (out, s->unit);
  ioc_snap_put_u32 (out, s->n_windows);
  for (guint32 i = 0; i < s->n_windows; i++)
    {
      const IocRollupWindow *w = s->windows[i];
      ioc_snap_put_i64 (out, w->start_us);
      ioc_snap_put_u8 (out, w->flags);
      put_window_values (out, s, w);
    }
}

/* Every series that exists, the province totals first, then each unit's,
 * for the walks that only read them (snapshot, memory accounting). */
typedef void (*IocRollupSeriesFunc) (IocRollup *self, IocRollupSeries *s, gpointer user_data);

static void
foreach_series (IocRollup *self, IocRollupSeriesFunc fn, gpointer user_data)
{
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    for (guint c = 0; c < N_CHANNELS; c++)
      if (self->all_series[m][c] != NULL)
        fn (self, self->all_series[m][c], user_data);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocRollupUnit *u = value;
      for (guint m = 0; m < IOC_MEAS_COUNT; m++)
        for (guint c = 0; c < N_CHANNELS; c++)
          if (u->series[m][c] != NULL)
            fn (self, u->series[m][c], user_data);
    }
}

typedef struct
{
  GByteArray *out;
  guint written;
} SaveWalk;

static void
save_one_cb (IocRollup *self, IocRollupSeries *s, gpointer user_data)
{
  SaveWalk *walk = user_data;
  save_series (s, walk->out);
  walk->written++;
}

void
ioc_rollup_save (IocRollup *self, GByteArray *out)
{
  g_return_if_fail (self != NULL && out != NULL);
  ioc_snap_put_u32 (out, SNAP_MAGIC);
  ioc_snap_put_i64 (out, self->closed_through);
  ioc_snap_put_i64 (out, self->dropped_before);
  ioc_snap_put_i64 (out, self->last_sampled);
  ioc_snap_put_u32 (out, self->n_series);

  SaveWalk walk = { out, 0 };
  foreach_series (self, save_one_cb, &walk);
  guint written = walk.written;
  g_assert (written == self->n_series);
}

static gboolean
load_corrupt (GError **error, const gchar *what)
{
  g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "rollup snapshot: %s", what);
  return FALSE;
}

static gboolean
load_series (IocRollup *self, IocSnapReader *r, GError **error)
{
  guint8 m = ioc_snap_get_u8 (r);
  guint8 channel = ioc_snap_get_u8 (r);
  g_autofree gchar *unit = ioc_snap_get_str (r);
  guint32 n_windows = ioc_snap_get_u32 (r);
  if (!ioc_snap_reader_ok (r) || unit == NULL)
    return load_corrupt (error, "truncated series header");
  if (m >= IOC_MEAS_COUNT || channel > IOC_ROLLUP_MAX_CHANNEL)
    return load_corrupt (error, "series with an unknown measurement or channel");

  IocRollupSeries *s = lookup_series (self, m, ioc_intern (unit), channel, TRUE);
  if (s->n_windows != 0)
    return load_corrupt (error, "series listed twice");
  guint n_sketches = measurement_n_sketches (m);
  gint64 prev = G_MININT64;
  for (guint32 i = 0; i < n_windows; i++)
    {
      gint64 start = ioc_snap_get_i64 (r);
      guint8 flags = ioc_snap_get_u8 (r);
      guint8 gauge_set = ioc_snap_get_u8 (r);
      if (!ioc_snap_reader_ok (r))
        return load_corrupt (error, "truncated window");
      if (start != minute_start (start) || start <= prev || (flags & ~(WIN_EMITTED | WIN_PENDING)))
        return load_corrupt (error, "window out of order or not on a minute");
      prev = start;
      /* Appending keeps the array sorted: starts are increasing. */
      IocRollupWindow *w = series_window (self, s, start);
      w->gauge_set = gauge_set;
      for (guint f = 0; f < s->n_ints; f++)
        w->ints[f] = ioc_snap_get_i64 (r);
      guint8 mask = ioc_snap_get_u8 (r);
      if (mask >> n_sketches)
        return load_corrupt (error, "sketch for a measurement without one");
      for (guint k = 0; k < n_sketches; k++)
        if (mask & (1u << k))
          {
            w->sketches[k] = ioc_sketch_load (r);
            if (w->sketches[k] == NULL)
              return load_corrupt (error, "bad sketch");
          }
      if (!ioc_snap_reader_ok (r))
        return load_corrupt (error, "truncated window");
      w->flags = flags & WIN_EMITTED;
      if (flags & WIN_PENDING)
        pending_add (self, s, w);
    }
  return TRUE;
}

gboolean
ioc_rollup_load (IocRollup *self, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL && (data != NULL || len == 0), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Parse into a scratch rollup and swap on success, so a bad snapshot
   * leaves the running state untouched. */
  g_autoptr (IocRollup) tmp = ioc_rollup_new (&self->opts, NULL, NULL);
  IocSnapReader r;
  ioc_snap_reader_init (&r, data, len);
  guint32 magic = ioc_snap_get_u32 (&r);
  tmp->closed_through = ioc_snap_get_i64 (&r);
  tmp->dropped_before = ioc_snap_get_i64 (&r);
  tmp->last_sampled = ioc_snap_get_i64 (&r);
  guint32 n_series = ioc_snap_get_u32 (&r);
  if (!ioc_snap_reader_ok (&r) || magic != SNAP_MAGIC)
    return load_corrupt (error, "bad header");
  for (guint32 i = 0; i < n_series; i++)
    if (!load_series (tmp, &r, error))
      return FALSE;
  if (!ioc_snap_reader_at_end (&r))
    return load_corrupt (error, "trailing bytes");

  rollup_clear (self);
  GHashTable *units = self->units;
  GTree *pending = self->pending;
  self->units = tmp->units;
  self->pending = tmp->pending;
  tmp->units = units;
  tmp->pending = pending;
  memcpy (self->all_series, tmp->all_series, sizeof self->all_series);
  memset (tmp->all_series, 0, sizeof tmp->all_series);
  self->n_series = tmp->n_series;
  self->n_windows = tmp->n_windows;
  self->n_pending = tmp->n_pending;
  tmp->n_series = tmp->n_windows = tmp->n_pending = 0;
  self->closed_through = tmp->closed_through;
  self->dropped_before = tmp->dropped_before;
  self->last_sampled = tmp->last_sampled;
  ioc_stat_set (self->stat_windows, self->n_windows);
  return TRUE;
}

/* ---- archive: writing ---- */

void
ioc_rollup_set_archive (IocRollup *self, const gchar *dir, gint64 archive_from_us)
{
  g_return_if_fail (self != NULL);
  g_free (self->archive_dir);
  self->archive_dir = g_strdup (dir);
  self->archive_from = archive_from_us;
}

void
ioc_rollup_set_archive_from (IocRollup *self, gint64 archive_from_us)
{
  g_return_if_fail (self != NULL);
  self->archive_from = archive_from_us;
}

typedef struct
{
  GHashTable *days; /* day file name → GByteArray */
  gint64 before;
} ArchiveWalk;

static void
archive_collect_cb (IocRollup *self, IocRollupSeries *s, gpointer user_data)
{
  ArchiveWalk *walk = user_data;
  for (guint32 i = 0; i < s->n_windows && s->starts[i] < walk->before; i++)
    {
      IocRollupWindow *w = s->windows[i];
      if (w->flags & WIN_PENDING)
        continue; /* not emitted yet: archived at a later call */
      gchar *name = archive_day_name (w->start_us);
      GByteArray *buf = g_hash_table_lookup (walk->days, name);
      if (buf == NULL)
        g_hash_table_insert (walk->days, name, buf = g_byte_array_new ());
      else
        g_free (name);
      archive_put_window (buf, s, w);
    }
}

/* Frees s's windows before `before` that are not pending. */
static void
series_free_archived (IocRollup *self, IocRollupSeries *s, gint64 before)
{
  guint32 kept = 0, i = 0;
  for (; i < s->n_windows && s->starts[i] < before; i++)
    {
      IocRollupWindow *w = s->windows[i];
      if (w->flags & WIN_PENDING)
        {
          s->windows[kept] = w;
          s->starts[kept++] = w->start_us;
        }
      else
        {
          window_free (w);
          self->n_windows--;
        }
    }
  guint32 rest = s->n_windows - i;
  memmove (&s->windows[kept], &s->windows[i], rest * sizeof (IocRollupWindow *));
  memmove (&s->starts[kept], &s->starts[i], rest * sizeof (gint64));
  s->n_windows = kept + rest;
}

static gboolean
archive_append (IocRollup *self, const gchar *path, GByteArray *buf, GError **error)
{
  /* Cut a torn tail first, so the new records start on a boundary. */
  archive_index (self, path);
  GStatBuf st;
  gboolean existed = g_stat (path, &st) == 0;
  if (existed && st.st_size > self->index_scanned && truncate (path, self->index_scanned) != 0)
    goto fail;
  int fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    goto fail;
  gsize done = 0;
  while (done < buf->len)
    {
      ssize_t n = write (fd, buf->data + done, buf->len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = errno;
          close (fd);
          errno = e;
          goto fail;
        }
      done += (gsize) n;
    }
  if (fsync (fd) != 0)
    {
      int e = errno;
      close (fd);
      errno = e;
      goto fail;
    }
  close (fd);
  if (g_strcmp0 (self->index_path, path) == 0)
    self->index_size = -1; /* rescan the appended bytes at the next lookup */
  if (!existed)
    {
      int dfd = g_open (self->archive_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
      if (dfd >= 0)
        {
          fsync (dfd);
          close (dfd);
        }
    }
  return TRUE;
fail:
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "rollup archive %s: %s", path,
               g_strerror (errno));
  return FALSE;
}

/* Deletes day files wholly before archive_from (at most a few per call)
 * and sums the sizes of the others. */
static void
archive_sweep (IocRollup *self)
{
  g_autoptr (GDir) dir = g_dir_open (self->archive_dir, 0, NULL);
  if (dir == NULL)
    return;
  g_autofree gchar *first = archive_day_name (self->archive_from);
  guint deleted = 0;
  gint64 bytes = 0;
  const gchar *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_suffix (name, ".bin") || strlen (name) != strlen ("YYYY-MM-DD.bin"))
        continue;
      g_autofree gchar *path = g_build_filename (self->archive_dir, name, NULL);
      if (strcmp (name, first) < 0 && deleted < 4)
        {
          if (g_unlink (path) == 0)
            {
              deleted++;
              if (g_strcmp0 (self->index_path, path) == 0)
                {
                  g_clear_pointer (&self->index_path, g_free);
                  g_hash_table_remove_all (self->index);
                  self->index_scanned = self->index_size = 0;
                }
              continue;
            }
        }
      GStatBuf st;
      if (g_stat (path, &st) == 0)
        bytes += st.st_size;
    }
  ioc_stat_set (self->stat_archive_bytes, bytes);
}

gboolean
ioc_rollup_archive (IocRollup *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->archive_dir == NULL)
    return TRUE;
  if (g_mkdir_with_parents (self->archive_dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "rollup archive %s: %s",
                   self->archive_dir, g_strerror (errno));
      return FALSE;
    }
  g_autoptr (GHashTable) days = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_byte_array_unref);
  ArchiveWalk walk = { days, self->dropped_before };
  foreach_series (self, archive_collect_cb, &walk);

  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, days);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      g_autofree gchar *path = g_build_filename (self->archive_dir, key, NULL);
      if (!archive_append (self, path, value, error))
        return FALSE; /* nothing freed: the windows stay in memory */
    }

  /* Every window before the horizon is on disk: free them, and the unit
   * series left empty. */
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocRollupUnit *u = value;
      for (guint m = 0; m < IOC_MEAS_COUNT; m++)
        for (guint c = 0; c < N_CHANNELS; c++)
          {
            IocRollupSeries *s = u->series[m][c];
            if (s == NULL)
              continue;
            series_free_archived (self, s, walk.before);
            if (s->n_windows == 0)
              {
                series_free (self, s);
                u->series[m][c] = NULL;
                u->n_series--;
              }
          }
      if (u->n_series == 0)
        g_hash_table_iter_remove (&it);
    }
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    for (guint c = 0; c < N_CHANNELS; c++)
      if (self->all_series[m][c] != NULL)
        series_free_archived (self, self->all_series[m][c], walk.before);
  ioc_stat_set (self->stat_windows, self->n_windows);
  archive_sweep (self);
  return TRUE;
}

/* ---- accounting ---- */

static gsize
series_memory (const IocRollup *self, const IocRollupSeries *s)
{
  gsize n = sizeof (IocRollupSeries) + s->cap_windows * (sizeof (IocRollupWindow *) + sizeof (gint64));
  if (s->live != NULL)
    n += self->n_live * (1 + s->n_ints) * sizeof (gint64);
  for (guint32 i = 0; i < s->n_windows; i++)
    n += window_memory (s, s->windows[i]);
  return n;
}

static void
add_memory_cb (IocRollup *self, IocRollupSeries *s, gpointer user_data)
{
  *(gsize *) user_data += series_memory (self, s);
}

gsize
ioc_rollup_memory (IocRollup *self)
{
  g_return_val_if_fail (self != NULL, 0);
  /* A GHashTable slot is a key, a value and a hash; sized to ~2× entries. */
  gsize n = sizeof (IocRollup)
            + g_hash_table_size (self->units) * (sizeof (IocRollupUnit) + 2 * (2 * sizeof (gpointer) + sizeof (guint)))
            + self->n_pending * sizeof (IocRollupPending);
  foreach_series (self, add_memory_cb, &n);
  return n;
}

guint
ioc_rollup_n_series (IocRollup *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_series;
}

guint
ioc_rollup_n_windows (IocRollup *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_windows;
}
