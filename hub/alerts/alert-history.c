/* alert-history.c — the alert engine's memory of past days and hours, and
 * the baselines the spike rules draw from it.
 *
 * Where it sits: inside the alert engine (alert-engine-private.h).  Every
 * evaluation rolls the hour and closes finished days into per-unit tables
 * (newly overdue count, open overdue stock) and a province table of hourly
 * counts; the spike rules take same-weekday (or same weekday-hour) samples
 * from them.  A cold start may fill days the hub did not see from InfluxDB
 * (ioc_alert_engine_import_*; alerts.c runs the queries): a day the engine
 * saw itself is never replaced.  Main context only. */
#include "alerts/alert-engine-private.h"

#include "protocol/ioc-time.h"

GHashTable *
ioc_alert_history_day_table (void)
{
  return g_hash_table_new (g_direct_hash, g_direct_equal);
}

gint64
ioc_alert_history_hour_key (gint64 us)
{
  gint mod = 0;
  ioc_time_local_date (us, NULL, NULL, NULL, NULL, &mod);
  return (gint64) ioc_calendar_day_of (us) * 24 + mod / 60;
}

void
ioc_alert_history_table_set (GHashTable *outer, const gchar *unit, gint32 day, gint64 v)
{
  GHashTable *t = g_hash_table_lookup (outer, unit);
  if (t == NULL)
    {
      t = ioc_alert_history_day_table ();
      g_hash_table_insert (outer, g_strdup (unit), t);
    }
  /* +1 so that a stored 0 is told apart from absent. */
  g_hash_table_insert (t, GINT_TO_POINTER (day), GSIZE_TO_POINTER ((gsize) (v + 1)));
}

gboolean
ioc_alert_history_table_get (GHashTable *outer, const gchar *unit, gint32 day, gint64 *out)
{
  GHashTable *t = g_hash_table_lookup (outer, unit);
  gpointer v = t ? g_hash_table_lookup (t, GINT_TO_POINTER (day)) : NULL;
  if (v == NULL)
    return FALSE;
  *out = (gint64) GPOINTER_TO_SIZE (v) - 1;
  return TRUE;
}

/* Closes a unit's finished day into the history. */
void
ioc_alert_history_close_day (IocAlertEngine *self, const gchar *unit, IocAlertUnitDay *ud, gint32 today)
{
  if (ud->day >= today)
    return;
  ioc_alert_history_table_set (self->unit_daily, unit, ud->day, ud->overdue);
  ioc_alert_history_table_set (self->unit_stock, unit, ud->day, ud->stock);
  g_hash_table_add (self->observed_days, GINT_TO_POINTER (ud->day));
  ud->day = today;
  ud->overdue = 0;
  ud->due = 0; /* the stock carries over: it is a level, not a count */
  self->dirty = TRUE;
}

/* Same-weekday samples of a unit over the last `weeks` weeks; days the
 * engine did not observe are not samples (the hub was not running). */
guint
ioc_alert_history_unit_samples (IocAlertEngine *self, const gchar *unit, gint32 day, gint64 weeks,
                                gdouble *out, guint *n_influx)
{
  guint n = 0;
  *n_influx = 0;
  for (gint64 k = 1; k <= weeks; k++)
    {
      gint32 d = day - (gint32) (7 * k);
      if (!g_hash_table_contains (self->observed_days, GINT_TO_POINTER (d))
          || !ioc_alert_engine_is_working_day (self, d))
        continue;
      gint64 c = 0;
      if (unit != NULL)
        ioc_alert_history_table_get (self->unit_daily, unit, d, &c);
      if (out != NULL)
        out[n] = (gdouble) c;
      n++;
      *n_influx += g_hash_table_contains (self->influx_days, GINT_TO_POINTER (d));
    }
  return n;
}

guint
ioc_alert_history_hour_samples (IocAlertEngine *self, gint64 hour_key, gint64 weeks, gdouble *out,
                                guint *n_influx)
{
  guint n = 0;
  *n_influx = 0;
  for (gint64 w = 1; w <= weeks; w++)
    {
      gint64 key = hour_key - w * 7 * 24;
      gpointer c = g_hash_table_lookup (self->hours, &key);
      if (c == NULL)
        continue;
      if (out != NULL)
        out[n] = (gdouble) (GPOINTER_TO_SIZE (c) - 1);
      n++;
      *n_influx += g_hash_table_contains (self->influx_days, GINT_TO_POINTER ((gint) (key / 24)));
    }
  return n;
}

/* Where a baseline of n samples, n_influx of them imported, came from. */
const gchar *
ioc_alert_history_baseline_source (guint n, guint n_influx)
{
  return n_influx == 0 ? "own history" : n_influx == n ? "influxdb" : "own history + influxdb";
}

/* Closes finished days, and keeps each unit's count at the start of the
 * current hour; the province count of an hour that ended goes into the
 * history (the same weekday-hour baseline). */
void
ioc_alert_history_roll (IocAlertEngine *self, gint64 now_us)
{
  gint32 today = ioc_calendar_day_of (now_us);
  gint64 hk = ioc_alert_history_hour_key (now_us);
  GHashTableIter it;
  gpointer k, v;
  if (hk != self->cur_hour && self->cur_hour != 0 && hk > self->cur_hour)
    {
      gint64 prev = 0;
      g_hash_table_iter_init (&it, self->today);
      while (g_hash_table_iter_next (&it, NULL, &v))
        if (((IocAlertUnitDay *) v)->hour == self->cur_hour)
          prev += MAX (((IocAlertUnitDay *) v)->last_overdue - ((IocAlertUnitDay *) v)->hour_base, 0);
      gint64 *key = g_new (gint64, 1);
      *key = self->cur_hour;
      g_hash_table_insert (self->hours, key, GSIZE_TO_POINTER ((gsize) (prev + 1)));
    }
  g_hash_table_iter_init (&it, self->today);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      IocAlertUnitDay *ud = v;
      ioc_alert_history_close_day (self, k, ud, today);
      if (ud->hour != hk)
        {
          /* A new day starts from zero; a new hour from where the last ended. */
          ud->hour_base = ud->hour / 24 == hk / 24 ? ud->last_overdue : 0;
          ud->hour = hk;
        }
      ud->last_overdue = ud->overdue;
    }
  g_hash_table_add (self->observed_days, GINT_TO_POINTER (today));
  if (hk != self->cur_hour)
    {
      self->cur_hour = hk;
      self->dirty = TRUE;
    }
}

void
ioc_alert_history_prune (IocAlertEngine *self, gint64 now_us)
{
  gint64 weeks = 8;
  for (guint i = 0; self->rules && i < self->rules->rules->len; i++)
    weeks = MAX (weeks, ((IocAlertRule *) g_ptr_array_index (self->rules->rules, i))->baseline_weeks);
  /* Two weeks beyond the longest baseline, for the stock rule and holidays. */
  gint32 oldest = ioc_calendar_day_of (now_us) - (gint32) MIN (weeks * 7 + 14, IOC_ALERT_HISTORY_DAYS);
  GHashTableIter it, it2;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->observed_days);
  while (g_hash_table_iter_next (&it, &k, NULL))
    if (GPOINTER_TO_INT (k) < oldest)
      g_hash_table_iter_remove (&it);
  g_hash_table_iter_init (&it, self->influx_days);
  while (g_hash_table_iter_next (&it, &k, NULL))
    if (GPOINTER_TO_INT (k) < oldest)
      g_hash_table_iter_remove (&it);
  GHashTable *outers[] = { self->unit_daily, self->unit_stock };
  for (guint o = 0; o < G_N_ELEMENTS (outers); o++)
    {
      g_hash_table_iter_init (&it, outers[o]);
      while (g_hash_table_iter_next (&it, NULL, &v))
        {
          g_hash_table_iter_init (&it2, v);
          while (g_hash_table_iter_next (&it2, &k, NULL))
            if (GPOINTER_TO_INT (k) < oldest)
              g_hash_table_iter_remove (&it2);
        }
    }
  g_hash_table_iter_init (&it, self->hours);
  while (g_hash_table_iter_next (&it, &k, NULL))
    if (*(gint64 *) k / 24 < oldest)
      g_hash_table_iter_remove (&it);
}

/* ---- baselines from elsewhere (InfluxDB on a cold start) ---- */

static gint64
longest_baseline_weeks (IocAlertEngine *self)
{
  gint64 weeks = 0;
  for (guint i = 0; self->rules && i < self->rules->rules->len; i++)
    {
      const IocAlertRule *r = g_ptr_array_index (self->rules->rules, i);
      if (r->kind == IOC_ALERT_KIND_SPIKE_UNIT || r->kind == IOC_ALERT_KIND_SPIKE_PROVINCE)
        weeks = MAX (weeks, r->baseline_weeks);
    }
  return weeks;
}

gint64
ioc_alert_engine_history_weeks (IocAlertEngine *self, gint64 now_us)
{
  gint32 today = ioc_calendar_day_of (now_us);
  for (guint i = 0; self->rules && i < self->rules->rules->len; i++)
    {
      const IocAlertRule *r = g_ptr_array_index (self->rules->rules, i);
      if (r->kind != IOC_ALERT_KIND_SPIKE_UNIT && r->kind != IOC_ALERT_KIND_SPIKE_PROVINCE)
        continue;
      /* Any working weekday of the coming week short of min_history samples. */
      for (gint32 d = today; d < today + 7; d++)
        {
          guint n_influx;
          if (ioc_alert_engine_is_working_day (self, d)
              && ioc_alert_history_unit_samples (self, NULL, d, r->baseline_weeks, NULL, &n_influx)
                     < (guint) r->min_history)
            return longest_baseline_weeks (self);
        }
    }
  return 0;
}

/* An imported day is taken only where the engine has no day of its own. */
static gboolean
importable (IocAlertEngine *self, gint32 day, gint32 today)
{
  if (day >= today)
    return FALSE;
  return !g_hash_table_contains (self->observed_days, GINT_TO_POINTER (day))
         || g_hash_table_contains (self->influx_days, GINT_TO_POINTER (day));
}

gboolean
ioc_alert_engine_import_day (IocAlertEngine *self, const gchar *unit, gint64 day_us, gint64 overdue_entered,
                             gint64 now_us)
{
  gint32 day = ioc_calendar_day_of (day_us);
  if (!importable (self, day, ioc_calendar_day_of (now_us)))
    return FALSE;
  if (!g_hash_table_contains (self->influx_days, GINT_TO_POINTER (day)))
    {
      g_hash_table_add (self->observed_days, GINT_TO_POINTER (day));
      g_hash_table_add (self->influx_days, GINT_TO_POINTER (day));
      /* The hub counts every hour of a day it saw; an hour without points
       * had nothing newly overdue. */
      for (gint64 h = 0; h < 24; h++)
        {
          gint64 *key = g_new (gint64, 1);
          *key = (gint64) day * 24 + h;
          g_hash_table_replace (self->hours, key, GSIZE_TO_POINTER ((gsize) 1));
        }
    }
  if (unit != NULL)
    ioc_alert_history_table_set (self->unit_daily, unit, day, overdue_entered);
  self->dirty = TRUE;
  return TRUE;
}

gboolean
ioc_alert_engine_import_hour (IocAlertEngine *self, gint64 hour_us, gint64 overdue_entered, gint64 now_us)
{
  gint32 day = ioc_calendar_day_of (hour_us);
  if (!importable (self, day, ioc_calendar_day_of (now_us)))
    return FALSE;
  ioc_alert_engine_import_day (self, NULL, hour_us, 0, now_us);
  gint64 *key = g_new (gint64, 1);
  *key = ioc_alert_history_hour_key (hour_us);
  g_hash_table_replace (self->hours, key, GSIZE_TO_POINTER ((gsize) (overdue_entered + 1)));
  self->dirty = TRUE;
  return TRUE;
}
