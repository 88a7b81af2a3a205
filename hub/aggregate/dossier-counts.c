/* dossier-counts.c — what the dossier tracker has emitted and counted for
 * each dossier (its Emitted record), and the counters that adds up to.
 *
 * The rules (dossier-rules.c) say what a dossier should count now;
 * ioc_dossier_counts_update() compares that with what it counted before and
 * emits the difference as ioc_dossier facts (a negative delta at the
 * original ts, then the new fact) while keeping the same deltas in
 * per-unit, per-local-day buckets and in the open stock.  The buckets are
 * what the day / month / year views add up (dossier-views.c), so finished
 * dossiers can leave memory and their counts stay.  Kept apart from the
 * tracker so that every change to a count goes through this one file.
 * Main context only. */
#include "aggregate/dossier-private.h"

#include <string.h>

void
ioc_dossier_counts_unit_free (gpointer p)
{
  UnitState *u = p;
  g_hash_table_unref (u->days);
  g_free (u);
}

/* Past the one-entry cache (consecutive calls are mostly for one unit: one
 * event's buckets). */
UnitState *
ioc_dossier_counts_unit_lookup (IocDossierTracker *self, const gchar *unit)
{
  UnitState *u = g_hash_table_lookup (self->units, unit);
  if (u == NULL)
    {
      u = g_new0 (UnitState, 1);
      u->unit = ioc_intern (unit);
      u->days = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
      g_hash_table_insert (self->units, (gpointer) u->unit, u);
    }
  self->last_unit = u;
  return u;
}

gint64 *
ioc_dossier_counts_day_lookup (UnitState *u, gint32 day, gboolean create)
{
  gint64 *c = g_hash_table_lookup (u->days, GINT_TO_POINTER (day));
  if (c == NULL && create)
    {
      c = g_new0 (gint64, B_N);
      g_hash_table_insert (u->days, GINT_TO_POINTER (day), c);
    }
  if (c != NULL)
    {
      u->cached_day = day;
      u->cached_counts = c;
    }
  return c;
}

static void
bucket_add (IocDossierTracker *self, const gchar *unit, gint64 ts, guint idx, gint64 delta)
{
  gint32 day = ioc_calendar_day_of (ts);
  if (day < self->min_day)
    return; /* before last year: pruned, nobody asks for it */
  ioc_dossier_counts_day (ioc_dossier_counts_unit (self, unit), day, TRUE)[idx] += delta;
  ioc_dossier_counts_day (self->all, day, TRUE)[idx] += delta;
}

/* One counted fact of e: the ioc_dossier field emitted at ts, and the same
 * delta in bucket idx of ts's day. */
static inline void
apply_count (IocDossierTracker *self, const Emitted *e, guint field, gint64 ts, guint idx, gint sign)
{
  if (self->emit != NULL)
    {
      IocFact f = { 0 };
      f.measurement = IOC_MEAS_DOSSIER;
      f.kind = IOC_FACT_COUNT;
      f.field = field;
      f.unit = e->unit;
      f.channel = e->ch;
      f.ts_us = ts;
      f.delta = sign;
      self->emit (&f, self->user_data);
    }
  bucket_add (self, e->unit, ts, idx, sign);
}

static void
apply_recv (IocDossierTracker *self, const Emitted *e, gint sign)
{
  if (e->unit == NULL || e->recv_ts == 0)
    return;
  apply_count (self, e, IOC_F_DOSSIER_RECEIVED, e->recv_ts, B_RECV0, sign);
  bucket_add (self, e->unit, e->recv_ts, B_RECV0 + e->ch, sign);
}

static void
apply_rates (IocDossierTracker *self, const Emitted *e, gint sign)
{
  static const struct
  {
    guint8 bit;
    guint idx;
  } map[] = {
    { RATE_PAID_N, B_PAID_N }, { RATE_PAID_D, B_PAID_D }, { RATE_DIG_N, B_DIG_N },
    { RATE_DIG_D, B_DIG_D },   { RATE_ER_N, B_ER_N },     { RATE_ER_D, B_ER_D },
  };
  if (e->unit == NULL || e->recv_ts == 0)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (e->rates & map[i].bit)
      bucket_add (self, e->unit, e->recv_ts, map[i].idx, sign);
}

static void
apply_done (IocDossierTracker *self, const Emitted *e, gint sign)
{
  if (e->unit == NULL || e->cls == CLS_NONE)
    return;
  apply_count (self, e, IOC_F_DOSSIER_COMPLETED_EARLY + (e->cls - CLS_EARLY), e->done_ts,
               B_EARLY + (e->cls - CLS_EARLY), sign);
}

static void
apply_over (IocDossierTracker *self, const Emitted *e, gint sign)
{
  if (e->unit == NULL || e->over_ts == 0)
    return;
  apply_count (self, e, IOC_F_DOSSIER_OVERDUE_ENTERED, e->over_ts, B_OVER, sign);
}

void
ioc_dossier_counts_stock (IocDossierTracker *self, const Emitted *e, gint sign)
{
  if (e->unit == NULL || e->stock == 0)
    return;
  UnitState *us[2] = { ioc_dossier_counts_unit (self, e->unit), self->all };
  for (guint i = 0; i < 2; i++)
    {
      if (e->stock & STOCK_OPEN)
        {
          us[i]->open[0] += sign;
          us[i]->open[e->ch] += sign;
        }
      if (e->stock & STOCK_OVERDUE)
        {
          us[i]->overdue[0] += sign;
          us[i]->overdue[e->ch] += sign;
        }
      if (e->stock & STOCK_SOON)
        us[i]->soon += sign;
    }
}

/* Emits the difference between what was emitted and what should be. */
void
ioc_dossier_counts_update (IocDossierTracker *self, Emitted *old, const Emitted *want)
{
  gboolean same = old->unit == want->unit && old->ch == want->ch;
  if (!same || old->recv_ts != want->recv_ts)
    {
      apply_recv (self, old, -1);
      apply_recv (self, want, +1);
    }
  if (!same || old->recv_ts != want->recv_ts || old->rates != want->rates)
    {
      apply_rates (self, old, -1);
      apply_rates (self, want, +1);
    }
  if (!same || old->cls != want->cls || (want->cls != CLS_NONE && old->done_ts != want->done_ts))
    {
      apply_done (self, old, -1);
      apply_done (self, want, +1);
    }
  if (!same || old->over_ts != want->over_ts)
    {
      apply_over (self, old, -1);
      apply_over (self, want, +1);
    }
  if (!same || old->stock != want->stock)
    {
      ioc_dossier_counts_stock (self, old, -1);
      ioc_dossier_counts_stock (self, want, +1);
    }
  *old = *want;
}
