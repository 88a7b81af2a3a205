/* rollup-emit.c — the rollup's tick: the gauge samplers, then closing the
 * minutes whose end + lateness has passed and emitting their points, then
 * the horizon.
 *
 * Where it sits: beside rollup.c (rollup-private.h), which adds facts and
 * lists each window that took one as pending, by minute.  Emission is
 * driven by that pending index: tick() takes the minutes that have closed,
 * sorts their windows (measurement, unit with "all" last, channel) and
 * emits each window's complete point.  A window that took a fact after it
 * was emitted is pending again and goes out again, complete, with the same
 * timestamp (late data must not be lost; InfluxDB overwrites the point
 * idempotently).  The float fields' table, the one measurement-specific
 * table of the rollup, lives here because it says how a window becomes a
 * point.  Main context only. */
#include "aggregate/rollup-private.h"

#include <string.h>

/* Float fields of IocPoint and the sketch percentile behind each.  The only
 * measurement-specific table of the rollup; a measurement's sketch count
 * follows from it. */
static const struct
{
  IocMeasurement measurement;
  guint sketch;
  gdouble q;
} float_fields[G_N_ELEMENTS (((IocPoint *) NULL)->floats)] = {
  { IOC_MEAS_QUEUE, IOC_S_QUEUE_WAIT, 0.5 },    /* wait_p50_s */
  { IOC_MEAS_QUEUE, IOC_S_QUEUE_WAIT, 0.9 },    /* wait_p90_s */
  { IOC_MEAS_QUEUE, IOC_S_QUEUE_SERVICE, 0.5 }, /* service_p50_s */
  { IOC_MEAS_QUEUE, IOC_S_QUEUE_SERVICE, 0.9 }, /* service_p90_s */
};

guint
ioc_rollup_n_sketches (IocMeasurement m)
{
  guint n = 0;
  for (guint i = 0; i < G_N_ELEMENTS (float_fields); i++)
    if (float_fields[i].measurement == m)
      n = MAX (n, float_fields[i].sketch + 1);
  return n;
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
  gint64 limit = ioc_rollup_minute_start (now_us - self->opts.lateness_us - IOC_ROLLUP_MINUTE_US);
  if (limit > self->closed_through)
    self->closed_through = limit;
  if (g_tree_nnodes (self->pending) == 0)
    return;

  /* Collect first, then emit: an emit callback may add facts, which must
   * land in a fresh pending list, not in the one being walked. */
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  CollectClosed c = { (gint) (limit / IOC_ROLLUP_MINUTE_US), keys };
  g_tree_foreach (self->pending, collect_closed_cb, &c);
  g_autoptr (GPtrArray) lists = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
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
          if (p->window->flags & IOC_ROLLUP_WIN_EMITTED)
            ioc_stat_add (self->stat_rewrites, 1);
          p->window->flags = IOC_ROLLUP_WIN_EMITTED;
          self->n_pending--;
          ioc_stat_add (self->stat_emitted, 1);
          if (self->emit != NULL)
            self->emit (&point, self->user_data);
        }
    }
}

static void
drop_old (IocRollup *self, gint64 now_us)
{
  gint64 before = ioc_rollup_minute_start (now_us - self->opts.horizon_us);
  if (before <= self->dropped_before)
    return;
  self->dropped_before = before;
  if (self->archive_dir != NULL)
    return; /* freed by ioc_rollup_archive() once written */
  ioc_rollup_free_before (self, before);
}

void
ioc_rollup_add_gauge_sampler (IocRollup *self, IocGaugeSampler fn, gpointer user_data)
{
  g_return_if_fail (self != NULL && fn != NULL);
  IocRollupSampler sampler = { fn, user_data };
  g_array_append_val (self->samplers, sampler);
}

void
ioc_rollup_tick (IocRollup *self, gint64 now_us)
{
  g_return_if_fail (self != NULL);

  /* The minute that ended last, sampled once, before it can close. */
  gint64 ended = ioc_rollup_minute_start (now_us) - IOC_ROLLUP_MINUTE_US;
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
