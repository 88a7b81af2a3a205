/* rollup-snapshot.c — the rollup's section of the hub's snapshot: every
 * series and its minute windows (values, sketches, whether emitted or
 * pending), and the rollup's clock marks (closed, dropped, sampled).
 *
 * Where it sits: beside rollup.c (rollup-private.h); the hub calls save()
 * when it writes a snapshot and load() once at start, before the journal
 * is replayed.  The live buckets are not saved: they cover seconds.  A
 * snapshot is parsed into a scratch rollup and swapped in only when all of
 * it is good, so a bad one leaves the running state untouched.  The window
 * values' encoding is shared with the archive (rollup-archive.c), which
 * writes the same values in its own records.  Main context only. */
#include "aggregate/rollup-private.h"

#include <string.h>

#include "protocol/ioc-error.h"

#define SNAP_MAGIC 0x314c5249u /* "IRL1" */

void
ioc_rollup_put_window_values (GByteArray *out, const IocRollupSeries *s, const IocRollupWindow *w)
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
      ioc_rollup_put_window_values (out, s, w);
    }
}

static gboolean
collect_cb (IocRollup *self, IocRollupSeries *s, gpointer series)
{
  g_ptr_array_add (series, s);
  return FALSE;
}

/* The province's series first, then by unit code, measurement, channel:
 * the units' table is keyed by interned pointers, whose order differs
 * between runs, and a snapshot should be the same bytes for the same
 * state. */
static gint
cmp_series (gconstpointer a, gconstpointer b)
{
  const IocRollupSeries *x = *(const IocRollupSeries *const *) a, *y = *(const IocRollupSeries *const *) b;
  gint c = g_strcmp0 (x->unit, y->unit);
  if (c != 0)
    return c;
  if (x->measurement != y->measurement)
    return x->measurement < y->measurement ? -1 : 1;
  return (gint) x->channel - (gint) y->channel;
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

  g_autoptr (GPtrArray) series = g_ptr_array_sized_new (self->n_series);
  ioc_rollup_foreach_series (self, collect_cb, series);
  g_ptr_array_sort (series, cmp_series);
  for (guint i = 0; i < series->len; i++)
    save_series (g_ptr_array_index (series, i), out);
  guint written = series->len;
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

  IocRollupSeries *s = ioc_rollup_lookup_series (self, m, ioc_intern (unit), channel, TRUE);
  if (s->n_windows != 0)
    return load_corrupt (error, "series listed twice");
  guint n_sketches = ioc_rollup_n_sketches (m);
  gint64 prev = G_MININT64;
  for (guint32 i = 0; i < n_windows; i++)
    {
      gint64 start = ioc_snap_get_i64 (r);
      guint8 flags = ioc_snap_get_u8 (r);
      guint8 gauge_set = ioc_snap_get_u8 (r);
      if (!ioc_snap_reader_ok (r))
        return load_corrupt (error, "truncated window");
      if (!ioc_rollup_is_minute_start (start) || start <= prev
          || (flags & ~(IOC_ROLLUP_WIN_EMITTED | IOC_ROLLUP_WIN_PENDING)))
        return load_corrupt (error, "window out of order or not on a minute");
      prev = start;
      /* Appending keeps the array sorted: starts are increasing. */
      IocRollupWindow *w = ioc_rollup_series_window (self, s, start);
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
      w->flags = flags & IOC_ROLLUP_WIN_EMITTED;
      if (flags & IOC_ROLLUP_WIN_PENDING)
        ioc_rollup_pending_add (self, s, w);
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

  ioc_rollup_clear (self);
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
