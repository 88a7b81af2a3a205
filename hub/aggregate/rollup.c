/* rollup.c — the event-time windows of SPEC §5–§6: facts in, minute points
 * out.  Sits between the fact producers (queue-stats, device-health, the
 * dossier tracker) and the sinks; knows nothing of either, only the
 * measurement tables of record.h.  Runs on the main context: add() for every
 * fact, tick() once a second with the hub's clock.
 *
 * This file holds the object and its state; what is done with the state
 * lives beside it, split by concern (rollup-private.h): emission at tick
 * time in rollup-emit.c, the snapshot in rollup-snapshot.c, the archive of
 * minutes past the horizon in rollup-archive.c.  The hot path (add(), its
 * series lookup and window search) stays here, in one file, so that the
 * compiler sees it whole.
 *
 * State: series (measurement, unit, channel) found through a per-unit table;
 * each series holds its minute windows in a sorted array (sparse: a minute
 * without facts has no window) and a small ring of per-second counter
 * buckets for the live window.  Every fact is applied twice, to the unit's
 * series and to (measurement, "all", channel), so the province point is
 * exact and needs no pass over the units at emission time.  A window that
 * took a fact since its last emission is pending (listed by minute in
 * `pending`) until tick() emits it; windows stay for `horizon` to absorb
 * late facts, then are freed (or archived first, rollup-archive.c). */
#include "aggregate/rollup-private.h"

#include <string.h>

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

IocRollupSeries *
ioc_rollup_lookup_series (IocRollup *self, IocMeasurement m, const gchar *unit, guint8 channel,
                          gboolean create)
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

void
ioc_rollup_pending_add (IocRollup *self, IocRollupSeries *s, IocRollupWindow *w)
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
  w->flags |= IOC_ROLLUP_WIN_PENDING;
  self->n_pending++;
}

static void
mark_pending (IocRollup *self, IocRollupSeries *s, IocRollupWindow *w)
{
  if (!(w->flags & IOC_ROLLUP_WIN_PENDING))
    ioc_rollup_pending_add (self, s, w);
}

/* The window of s for the minute starting at start_us, created if needed.
 * Facts arrive mostly in time order, so the newest window is tried first. */
IocRollupWindow *
ioc_rollup_series_window (IocRollup *self, IocRollupSeries *s, gint64 start_us)
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
  gint64 sec = ioc_rollup_floor_div (ts_us, G_USEC_PER_SEC);
  gint64 slot = sec - ioc_rollup_floor_div (sec, self->n_live) * self->n_live;
  gint64 *b = &s->live[(guint) slot * stride];
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

IocRollupWindow *
ioc_rollup_series_find (IocRollupSeries *s, gint64 start_us)
{
  for (guint32 i = s->n_windows; i-- > 0;)
    if (s->starts[i] == start_us)
      return s->windows[i];
    else if (s->starts[i] < start_us)
      break;
  return NULL;
}

/* ---- the object, and facts in ---- */

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
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    self->n_sketches[m] = (guint8) ioc_rollup_n_sketches (m);
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
  return self;
}

static gboolean
free_unit_series_cb (IocRollup *self, IocRollupSeries *s, gpointer user_data)
{
  return TRUE;
}

void
ioc_rollup_clear (IocRollup *self)
{
  g_tree_remove_all (self->pending);
  self->n_pending = 0;
  ioc_rollup_foreach_series (self, free_unit_series_cb, NULL);
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    for (guint c = 0; c < IOC_ROLLUP_N_CHANNELS; c++)
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
  ioc_rollup_clear (self);
  g_tree_unref (self->pending);
  g_hash_table_unref (self->units);
  ioc_rollup_archive_forget_index (self);
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
    g_return_if_fail (fact->field < self->n_sketches[fact->measurement]);
  else
    g_return_if_fail (fact->field < ioc_measurement_n_ints (fact->measurement));

  gint64 start = ioc_rollup_minute_start (fact->ts_us);
  /* Beyond the horizon the window is gone, and so is every other unit's
   * window of that minute, so a corrected "all" point cannot be computed:
   * count the fact and drop it. */
  if (G_UNLIKELY (start < self->dropped_before) && !ioc_rollup_archive_restore (self, fact, start))
    {
      ioc_stat_add (self->stat_too_late, 1);
      return;
    }
  if (start <= self->closed_through)
    ioc_stat_add (self->stat_late_facts, 1);

  IocRollupSeries *s
      = ioc_rollup_lookup_series (self, fact->measurement, fact->unit, fact->channel, TRUE);
  IocRollupSeries *all = s->all;
  IocRollupWindow *w = ioc_rollup_series_window (self, s, start);
  IocRollupWindow *aw = ioc_rollup_series_window (self, all, start);
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

gboolean
ioc_rollup_live (IocRollup *self, IocMeasurement m, const gchar *unit, guint8 channel,
                 gint64 now_us, IocPoint *out)
{
  g_return_val_if_fail (self != NULL && unit != NULL && out != NULL, FALSE);
  g_return_val_if_fail (m < IOC_MEAS_COUNT && channel <= IOC_ROLLUP_MAX_CHANNEL, FALSE);

  IocRollupSeries *s = ioc_rollup_lookup_series (self, m, ioc_intern (unit), channel, FALSE);
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

void
ioc_rollup_foreach_series (IocRollup *self, IocRollupSeriesFunc fn, gpointer user_data)
{
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    for (guint c = 0; c < IOC_ROLLUP_N_CHANNELS; c++)
      if (self->all_series[m][c] != NULL)
        fn (self, self->all_series[m][c], user_data);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocRollupUnit *u = value;
      for (guint m = 0; m < IOC_MEAS_COUNT; m++)
        for (guint c = 0; c < IOC_ROLLUP_N_CHANNELS; c++)
          {
            IocRollupSeries *s = u->series[m][c];
            if (s != NULL && fn (self, s, user_data))
              {
                series_free (self, s);
                u->series[m][c] = NULL;
                u->n_series--;
              }
          }
      if (u->n_series == 0)
        g_hash_table_iter_remove (&it);
    }
}

/* ---- freeing windows: past the horizon, or archived ---- */

/* The per-series step of ioc_rollup_free_before(): frees s's windows that
 * start before *before except pending ones, keeping the rest in order, and
 * has s freed if it is a unit series left without windows (an idle series
 * costs nothing once its windows are gone; its live buckets are older than
 * the horizon too). */
static gboolean
free_before_step (IocRollup *self, IocRollupSeries *s, gpointer before_p)
{
  gint64 before = *(const gint64 *) before_p;
  guint32 kept = 0, i = 0;
  for (; i < s->n_windows && s->starts[i] < before; i++)
    {
      IocRollupWindow *w = s->windows[i];
      if (w->flags & IOC_ROLLUP_WIN_PENDING)
        {
          /* Only a window brought back from the archive for a late fact:
           * without an archive nothing before the horizon takes a fact,
           * and tick() emitted every window before it. */
          g_assert (self->archive_dir != NULL);
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
  if (rest > 0) /* a series made for a fact the archive could not take has no arrays */
    {
      memmove (&s->windows[kept], &s->windows[i], rest * sizeof (IocRollupWindow *));
      memmove (&s->starts[kept], &s->starts[i], rest * sizeof (gint64));
    }
  s->n_windows = kept + rest;
  return s->n_windows == 0;
}

void
ioc_rollup_free_before (IocRollup *self, gint64 before)
{
  ioc_rollup_foreach_series (self, free_before_step, &before);
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

static gboolean
add_memory_cb (IocRollup *self, IocRollupSeries *s, gpointer user_data)
{
  *(gsize *) user_data += series_memory (self, s);
  return FALSE;
}

gsize
ioc_rollup_memory (IocRollup *self)
{
  g_return_val_if_fail (self != NULL, 0);
  /* A GHashTable slot is a key, a value and a hash; sized to ~2× entries. */
  gsize n = sizeof (IocRollup)
            + g_hash_table_size (self->units) * (sizeof (IocRollupUnit) + 2 * (2 * sizeof (gpointer) + sizeof (guint)))
            + self->n_pending * sizeof (IocRollupPending);
  ioc_rollup_foreach_series (self, add_memory_cb, &n);
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
