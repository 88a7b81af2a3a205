/* dossier-views.c — what the dossier tracker's callers read: the day /
 * month / year (and any range of days) indicators of a unit or of "all",
 * the open / open_overdue gauges the rollup samples each minute, the list
 * of units, and what is known of one dossier.
 *
 * Everything here reads the counters dossier-counts.c keeps (per-unit
 * per-local-day buckets for what happened in a period, the open stock for
 * what is open now) and changes nothing in them but the sampled bits; kept
 * apart so that the periods' arithmetic reads on its own.  Main context
 * only. */
#include "aggregate/dossier-private.h"
#include "protocol/ioc-keys.h"

#include <string.h>

void
ioc_dossier_tracker_sample (IocDossierTracker *self, gint64 minute_start_us, IocFactFunc emit,
                            gpointer user_data)
{
  g_return_if_fail (self != NULL && emit != NULL);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      UnitState *u = v;
      if (u == self->all)
        continue;
      for (guint ch = 1; ch <= 3; ch++)
        {
          gboolean nonzero = u->open[ch] != 0 || u->overdue[ch] != 0;
          if (!nonzero && !(u->sampled & (1u << ch)))
            continue;
          IocFact f = { 0 };
          f.measurement = IOC_MEAS_DOSSIER;
          f.kind = IOC_FACT_GAUGE;
          f.unit = u->unit;
          f.channel = (guint8) ch;
          f.ts_us = minute_start_us;
          f.field = IOC_F_DOSSIER_OPEN;
          f.delta = u->open[ch];
          emit (&f, user_data);
          f.field = IOC_F_DOSSIER_OPEN_OVERDUE;
          f.delta = u->overdue[ch];
          emit (&f, user_data);
          if (nonzero)
            u->sampled |= (guint8) (1u << ch);
          else
            u->sampled &= (guint8) ~(1u << ch);
        }
    }
}

gboolean
ioc_dossier_tracker_indicators (IocDossierTracker *self, const gchar *unit, IocPeriod period,
                                gint64 now_us, IocDossierIndicators *out)
{
  g_return_val_if_fail (self != NULL && unit != NULL && out != NULL, FALSE);
  gint32 today = ioc_calendar_day_of (now_us);
  gint y, m, d;
  ioc_calendar_day_to_date (today, &y, &m, &d);
  gint32 first = period == IOC_PERIOD_DAY     ? today
                 : period == IOC_PERIOD_MONTH ? ioc_calendar_date_to_day (y, m, 1)
                                              : ioc_calendar_date_to_day (y, 1, 1);
  return ioc_dossier_tracker_indicators_range (self, unit, first, today, out);
}

gboolean
ioc_dossier_tracker_indicators_range (IocDossierTracker *self, const gchar *unit, gint32 first_day,
                                      gint32 last_day, IocDossierIndicators *out)
{
  g_return_val_if_fail (self != NULL && unit != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  UnitState *u = g_strcmp0 (unit, "all") == 0 ? self->all : g_hash_table_lookup (self->units, unit);
  if (u == NULL)
    return FALSE;
  gint64 c[B_N] = { 0 };
  /* One lookup per day of the range, or one pass over the unit's days when
   * that is shorter (a wide range). */
  gint64 span = (gint64) last_day - (gint64) first_day + 1;
  if (span > (gint64) g_hash_table_size (u->days))
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, u->days);
      while (g_hash_table_iter_next (&it, &k, &v))
        if (GPOINTER_TO_INT (k) >= first_day && GPOINTER_TO_INT (k) <= last_day)
          for (guint i = 0; i < B_N; i++)
            c[i] += ((const gint64 *) v)[i];
    }
  else
    for (gint32 day = first_day; day <= last_day; day++)
      {
        const gint64 *b = ioc_dossier_counts_day (u, day, FALSE);
        if (b != NULL)
          for (guint i = 0; i < B_N; i++)
            c[i] += b[i];
      }
  for (guint i = 0; i < 4; i++)
    out->received[i] = c[B_RECV0 + i];
  out->completed_early = c[B_EARLY];
  out->completed_ontime = c[B_ONTIME];
  out->completed_late = c[B_LATE];
  out->overdue_entered = c[B_OVER];
  out->open = u->open[0];
  out->open_overdue = u->overdue[0];
  out->due_soon = u->soon;
  /* 2.1: finished in the period + still open (open counts as on time until
   * its deadline passes). */
  out->ontime_num = out->completed_early + out->completed_ontime + (out->open - out->open_overdue);
  out->ontime_den = out->completed_early + out->completed_ontime + out->completed_late + out->open;
  out->online_num = c[B_RECV0 + 2];
  out->online_den = c[B_RECV0];
  out->paid_online_num = c[B_PAID_N];
  out->paid_online_den = c[B_PAID_D];
  out->digitized_num = c[B_DIG_N];
  out->digitized_den = c[B_DIG_D];
  out->e_result_num = c[B_ER_N];
  out->e_result_den = c[B_ER_D];
  return TRUE;
}

void
ioc_dossier_tracker_foreach_unit (IocDossierTracker *self, void (*fn) (const gchar *unit, gpointer),
                                  gpointer user_data)
{
  g_return_if_fail (self != NULL && fn != NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (v != self->all)
      g_ptr_array_add (names, k);
  g_ptr_array_sort (names, ioc_keys_cmp);
  for (guint i = 0; i < names->len; i++)
    fn (g_ptr_array_index (names, i), user_data);
}

gboolean
ioc_dossier_tracker_lookup (IocDossierTracker *self, const gchar *dossier, IocDossierInfo *out)
{
  g_return_val_if_fail (self != NULL && dossier != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  gpointer v = g_hash_table_lookup (self->ids, dossier);
  if (v == NULL)
    return FALSE;
  const Dossier *d = ioc_dossier_slot (self, GPOINTER_TO_UINT (v) - 1);
  Derived dv;
  ioc_dossier_rules_derive (self, d, self->now_us, &dv);
  out->unit = d->unit;
  out->procedure = d->procedure;
  out->state = dv.state;
  out->channel = d->channel;
  out->received_us = d->received_us;
  out->due_us = dv.due_us;
  out->supplements = dv.n_sup;
  out->is_open = dv.received && !dv.finished;
  out->is_paused = dv.paused;
  /* What was counted (the sweep may not have run since the deadline). */
  out->overdue_us = d->em.over_ts;
  out->end_us = dv.finished ? dv.end_us : 0;
  out->completion = d->em.cls == CLS_NONE ? 0 : IOC_F_DOSSIER_COMPLETED_EARLY + (d->em.cls - CLS_EARLY) + 1;
  return TRUE;
}

guint
ioc_dossier_tracker_n_tracked (IocDossierTracker *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return g_hash_table_size (self->ids);
}

gsize
ioc_dossier_tracker_n_timers (IocDossierTracker *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->deadlines.n + self->soon.n + self->drops.n;
}
