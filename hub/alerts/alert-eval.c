/* alert-eval.c — the rule evaluators: for each rule kind, which scopes
 * its condition holds for, fails for, or cannot be judged for.
 *
 * Where it sits: inside the alert engine (alert-engine-private.h), called
 * once per rule by ioc_alert_engine_evaluate().  Each evaluator reads the
 * engine's inputs (today's counts, sources, values, overdue dossiers) and
 * history, and hands every scope to ioc_alert_lifecycle_step(); it never
 * notifies by itself.  Scopes are visited in sorted order, so that the
 * order of notifications does not depend on hashing.  The stale-data guard
 * lives here too: a unit whose dossier source is silent, offline or has seq
 * gaps today is neither in spike nor out of it.  Main context only. */
#include "alerts/alert-engine-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/ioc-keys.h"
#include "protocol/ioc-time.h"

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble *v, guint n)
{
  qsort (v, n, sizeof (gdouble), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* Median and MAD (median absolute deviation) of n samples. */
static void
median_mad (const gdouble *samples, guint n, gdouble *med, gdouble *mad)
{
  g_autofree gdouble *v = g_memdup2 (samples, n * sizeof (gdouble));
  *med = median (v, n);
  for (guint i = 0; i < n; i++)
    v[i] = fabs (samples[i] - *med);
  *mad = median (v, n);
}

const gchar *
ioc_alert_eval_stale_reason (IocAlertEngine *self, const gchar *unit, gint64 stale_after_us, gint64 now_us)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->sources);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      IocAlertSourceState *s = v;
      if (!g_str_equal (s->kind, "portal") || (!s->serves_all && g_strcmp0 (s->unit, unit) != 0))
        continue;
      gint64 since = s->last_seen_us > 0 ? s->last_seen_us : self->started_us;
      if (s->is_offline || ioc_alert_engine_working_us_between (self, since, now_us) > stale_after_us)
        return "dossier source silent";
      if (s->missing > s->missing_day_start)
        return "dossier source has seq gaps today";
    }
  return NULL;
}

gboolean
ioc_alert_engine_unit_is_stale (IocAlertEngine *self, const gchar *unit)
{
  /* As of the last evaluation, with the rules' default stale_after (2 h). */
  return ioc_alert_eval_stale_reason (self, unit, 2 * G_TIME_SPAN_HOUR,
                                      MAX (self->last_eval_us, self->started_us))
         != NULL;
}

/* The units of today's table that r lists, sorted; today_only: only those
 * with counts for today.  A unit whose dossier data is stale is stepped
 * "unknown" and left out: missing completions must look neither like a
 * spike nor like a stock that stopped rising. */
static GPtrArray *
rule_units (IocAlertEngine *self, const IocAlertRule *r, gboolean today_only, gint64 now_us)
{
  gint32 today = ioc_calendar_day_of (now_us);
  g_autoptr (GPtrArray) keys = ioc_keys_sorted (self->today);
  GPtrArray *units = g_ptr_array_new ();
  for (guint q = 0; q < keys->len; q++)
    {
      const gchar *unit = g_ptr_array_index (keys, q);
      const IocAlertUnitDay *ud = g_hash_table_lookup (self->today, unit);
      if (!ioc_alert_rule_has_unit (r, unit) || (today_only && ud->day != today))
        continue;
      if (ioc_alert_eval_stale_reason (self, unit, r->stale_after_us, now_us) != NULL)
        ioc_alert_lifecycle_step (self, r, unit, IOC_ALERT_COND_UNKNOWN, 0, 0, NULL, now_us);
      else
        g_ptr_array_add (units, (gpointer) unit);
    }
  return units;
}

/* A unit's spike threshold for today: median + mad_factor·max(MAD, 1) of
 * the same weekday's counts, at least the floor; the floor alone with too
 * little history.  (transfer full) *base says which, for the detail. */
static gdouble
unit_threshold (IocAlertEngine *self, const IocAlertRule *r, const gchar *unit, gint32 today, gchar **base)
{
  gdouble samples[52];
  guint n_influx = 0;
  guint n = ioc_alert_history_unit_samples (self, unit, today, r->baseline_weeks, samples, &n_influx);
  if (n < (guint) r->min_history)
    {
      *base = g_strdup_printf ("baseline: %u of %" G_GINT64_FORMAT
                               " same-weekday days in history, fewer than %" G_GINT64_FORMAT
                               "; fallback floor %" G_GINT64_FORMAT,
                               n, r->baseline_weeks, r->min_history, r->min_count);
      return (gdouble) r->min_count;
    }
  gdouble med, mad;
  median_mad (samples, n, &med, &mad);
  *base = g_strdup_printf ("baseline: median %.1f, MAD %.1f over %u days from %s", med, mad, n,
                           ioc_alert_history_baseline_source (n, n_influx));
  return MAX ((gdouble) r->min_count, med + r->mad_factor * MAX (mad, 1.0));
}

/* overdue_spike_unit: N ≥ max(floor, median + k·max(MAD, 1)) and N / due ≥ share. */
static void
eval_spike_unit (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us)
{
  gint32 today = ioc_calendar_day_of (now_us);
  if (!ioc_alert_engine_is_working_day (self, today))
    return;
  g_autoptr (GPtrArray) units = rule_units (self, r, TRUE, now_us);
  for (guint q = 0; q < units->len; q++)
    {
      const gchar *unit = g_ptr_array_index (units, q);
      const IocAlertUnitDay *ud = g_hash_table_lookup (self->today, unit);
      g_autofree gchar *base = NULL;
      gdouble thr = unit_threshold (self, r, unit, today, &base);
      gdouble due = (gdouble) MAX (ud->due, ud->overdue);
      gdouble share = due > 0 ? ud->overdue / due : 0.0;
      gboolean cond = ud->overdue >= thr && share >= r->min_share;
      g_autofree gchar *detail = g_strdup_printf ("%" G_GINT64_FORMAT " newly overdue today ≥ %.1f; "
                                                  "%.0f%% of %" G_GINT64_FORMAT " due (min %.0f%%); %s",
                                                  ud->overdue, thr, share * 100, (gint64) due,
                                                  r->min_share * 100, base);
      ioc_alert_lifecycle_step (self, r, unit, cond ? IOC_ALERT_COND_TRUE : IOC_ALERT_COND_FALSE,
                                (gdouble) ud->overdue, thr, detail, now_us);
    }
}

static gint
cmp_inst_scope (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 ((*(IocAlertInst *const *) a)->scope, (*(IocAlertInst *const *) b)->scope);
}

/* Hourly province count vs the same weekday-hour (overdue_spike_province), without
 * the units whose data is stale: their silence must not count either way. */
static void
eval_province_hour (IocAlertEngine *self, const IocAlertRule *r, gint32 today, gint64 now_us)
{
  gint64 hk = ioc_alert_history_hour_key (now_us);
  gint64 count = 0;
  guint n_stale = 0;
  GHashTableIter sit;
  gpointer sk, sv;
  g_hash_table_iter_init (&sit, self->today);
  while (g_hash_table_iter_next (&sit, &sk, &sv))
    {
      IocAlertUnitDay *ud = sv;
      if (ud->day != today || ud->hour != hk)
        continue;
      if (ioc_alert_eval_stale_reason (self, sk, r->stale_after_us, now_us) != NULL)
        {
          n_stale++;
          continue;
        }
      count += MAX (ud->overdue - ud->hour_base, 0);
    }
  gdouble samples[52];
  guint n_influx = 0;
  guint n = ioc_alert_history_hour_samples (self, hk, r->baseline_weeks, samples, &n_influx);
  gdouble thr;
  g_autofree gchar *base = NULL;
  if (n < (guint) r->min_history)
    {
      thr = (gdouble) r->min_count;
      base = g_strdup_printf ("baseline: %u of %" G_GINT64_FORMAT
                              " same weekday-hours in history; fallback floor %" G_GINT64_FORMAT,
                              n, r->baseline_weeks, r->min_count);
    }
  else
    {
      gdouble med, mad;
      median_mad (samples, n, &med, &mad);
      thr = MAX ((gdouble) r->min_count, med + r->mad_factor * mad);
      base = g_strdup_printf ("baseline: median %.1f, MAD %.1f over %u weeks from %s", med, mad, n,
                              ioc_alert_history_baseline_source (n, n_influx));
    }
  g_autofree gchar *detail = g_strdup_printf ("%" G_GINT64_FORMAT " newly overdue this hour ≥ %.1f "
                                              "(%u stale units left out); %s",
                                              count, thr, n_stale, base);
  ioc_alert_lifecycle_step (self, r, "hourly", count >= thr ? IOC_ALERT_COND_TRUE : IOC_ALERT_COND_FALSE,
                            (gdouble) count, thr, detail, now_us);
}

/* ≥ N units in spike the same day: a systemic cause; it groups them. */
static void
eval_province_units (IocAlertEngine *self, const IocAlertRule *r, gint32 today, gint64 now_us)
{
  g_autoptr (GPtrArray) members = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      IocAlertInst *i = v;
      const IocAlertRule *ur = ioc_alert_rules_find (self->rules, i->rule);
      if (ur == NULL || ur->kind != IOC_ALERT_KIND_SPIKE_UNIT || i->state != IOC_ALERT_STATE_FIRING
          || (r->unit_rule != NULL && !g_str_equal (r->unit_rule, i->rule))
          || ioc_calendar_day_of (i->fired_us) != today)
        continue;
      g_ptr_array_add (members, i);
    }
  g_ptr_array_sort (members, cmp_inst_scope);
  GString *units = g_string_new (NULL);
  for (guint m = 0; m < members->len; m++)
    g_string_append_printf (units, "%s%s", m ? "," : "",
                            ((IocAlertInst *) g_ptr_array_index (members, m))->scope);
  g_autofree gchar *udetail = g_strdup_printf ("%u units in spike today (≥ %" G_GINT64_FORMAT "): %s",
                                               members->len, r->units_in_spike, units->str);
  g_string_free (units, TRUE);
  IocAlertCond c = members->len >= (guint) r->units_in_spike ? IOC_ALERT_COND_TRUE : IOC_ALERT_COND_FALSE;
  ioc_alert_lifecycle_step (self, r, "units", c, members->len, (gdouble) r->units_in_spike, udetail, now_us);
  IocAlertInst *p = ioc_alert_lifecycle_lookup (self, r, "units");
  if (p != NULL && p->state == IOC_ALERT_STATE_FIRING)
    for (guint m = 0; m < members->len; m++)
      {
        IocAlertInst *i = g_ptr_array_index (members, m);
        if (i->group != NULL)
          continue;
        i->group = g_strdup (p->id);
        self->dirty = TRUE;
        /* Already announced alone: its retained state now names the group
         * (not paged again).  One fired this round is announced below. */
        if (!g_ptr_array_find_with_equal_func (self->fired_units, i->key, g_str_equal, NULL))
          ioc_alert_lifecycle_notify (self, i, i->state, now_us, FALSE, TRUE);
      }
}

static void
eval_spike_province (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us)
{
  gint32 today = ioc_calendar_day_of (now_us);
  if (!ioc_alert_engine_is_working_day (self, today))
    return;
  eval_province_hour (self, r, today, now_us);
  if (r->units_in_spike > 0)
    eval_province_units (self, r, today, now_us);
}

/* overdue_stock_rising: the open overdue stock rose on each of the last `days`
 * closed working days (closed days only, so that the alert is steady all day). */
static void
eval_stock (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us)
{
  gint32 today = ioc_calendar_day_of (now_us);
  g_autoptr (GPtrArray) units = rule_units (self, r, FALSE, now_us);
  for (guint q = 0; q < units->len; q++)
    {
      const gchar *unit = g_ptr_array_index (units, q);
      gint64 vals[61];
      guint n = 0;
      gboolean known = TRUE;
      for (gint32 d = today - 1; n < (guint) r->days + 1 && d > today - 120; d--)
        {
          if (!ioc_alert_engine_is_working_day (self, d))
            continue;
          if (!ioc_alert_history_table_get (self->unit_stock, unit, d, &vals[n]))
            {
              known = FALSE;
              break;
            }
          n++;
        }
      if (!known || n < (guint) r->days + 1)
        {
          ioc_alert_lifecycle_step (self, r, unit, IOC_ALERT_COND_UNKNOWN, 0, 0, NULL, now_us);
          continue;
        }
      gboolean rising = TRUE;
      for (guint i = 0; i < (guint) r->days; i++)
        rising = rising && vals[i] > vals[i + 1];
      g_autofree gchar *detail
          = g_strdup_printf ("open overdue stock %" G_GINT64_FORMAT " after %" G_GINT64_FORMAT
                             " working days ago %" G_GINT64_FORMAT,
                             vals[0], r->days, vals[r->days]);
      ioc_alert_lifecycle_step (self, r, unit, rising ? IOC_ALERT_COND_TRUE : IOC_ALERT_COND_FALSE,
                                (gdouble) vals[0], (gdouble) vals[r->days], detail, now_us);
    }
}

/* One alert per dossier that went overdue today in a listed unit (scope
 * "UNIT/DOSSIER-ID"); it resolves when the day ends, or at once when the
 * tracker retracts the overdue (a late event showed the dossier in time). */
static void
eval_zero_tolerance (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us)
{
  gint32 today = ioc_calendar_day_of (now_us);
  g_autoptr (GPtrArray) keys = ioc_keys_sorted (self->overdue);
  for (guint q = 0; q < keys->len; q++)
    {
      const gchar *scope = g_ptr_array_index (keys, q);
      IocAlertOverdue *o = g_hash_table_lookup (self->overdue, scope);
      if (!ioc_alert_rule_has_unit (r, o->unit) || ioc_calendar_day_of (o->overdue_us) != today)
        continue;
      gchar when[IOC_TIME_BUF];
      ioc_time_format (o->overdue_us, when);
      g_autofree gchar *detail = g_strdup_printf ("dossier %s overdue since %s in a zero-tolerance unit",
                                                  o->dossier, when);
      ioc_alert_lifecycle_step (self, r, scope, IOC_ALERT_COND_TRUE, 1, 0, detail, now_us);
    }
}

/* Instances of r that its evaluator has no data for this round and that
 * `keep` says to leave as they are: stepped "unknown", so that they are
 * not taken for cleared by ioc_alert_lifecycle_finish_rule(). */
static void
keep_unmentioned (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us, IocAlertInstFilter keep)
{
  ioc_alert_lifecycle_step_unmentioned (self, r, IOC_ALERT_COND_UNKNOWN, keep, now_us);
}

/* A dead_source alert whose connector device health does not (yet) list:
 * after a restart its retained state and heartbeats come back within a
 * cadence, so until one cadence after this run started it stays as it is;
 * after that the connector has left the inventory and the alert clears. */
static gboolean
keep_unlisted_source (IocAlertEngine *self, const IocAlertRule *r, const IocAlertInst *i, gint64 now_us)
{
  return !g_hash_table_contains (self->sources, i->scope) && now_us - self->run_started_us <= r->cadence_us;
}

static void
eval_dead_source (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us)
{
  g_autoptr (GPtrArray) keys = ioc_keys_sorted (self->sources);
  for (guint q = 0; q < keys->len; q++)
    {
      gpointer k = g_ptr_array_index (keys, q);
      IocAlertSourceState *s = g_hash_table_lookup (self->sources, k);
      if (!s->is_declared && !s->is_offline)
        continue; /* only the declared inventory has an expected cadence */
      if (r->source_kinds != NULL && !g_strv_contains ((const gchar *const *) r->source_kinds, s->kind))
        continue;
      if (r->units != NULL && !ioc_alert_rule_has_unit (r, s->unit ? s->unit : ""))
        continue;
      gint64 since = s->last_seen_us > 0 ? s->last_seen_us : self->started_us;
      gint64 age = now_us - since;
      gboolean down = s->is_offline || age > r->cadence_us;
      g_autofree gchar *detail = NULL;
      if (s->is_offline)
        detail = g_strdup ("connector state offline");
      else if (s->last_seen_us == 0)
        detail = g_strdup_printf ("never seen (expected every %" G_GINT64_FORMAT " s)",
                                  r->cadence_us / G_USEC_PER_SEC);
      else
        detail
            = g_strdup_printf ("last seen %" G_GINT64_FORMAT " s ago (expected every %" G_GINT64_FORMAT " s)",
                               age / G_USEC_PER_SEC, r->cadence_us / G_USEC_PER_SEC);
      ioc_alert_lifecycle_step (self, r, k, down ? IOC_ALERT_COND_TRUE : IOC_ALERT_COND_FALSE,
                                (gdouble) (age / G_USEC_PER_SEC), (gdouble) (r->cadence_us / G_USEC_PER_SEC),
                                detail, now_us);
      IocAlertInst *i = ioc_alert_lifecycle_lookup (self, r, k);
      if (i != NULL && g_strcmp0 (i->unit, s->unit) != 0)
        {
          g_free (i->unit);
          i->unit = g_strdup (s->unit);
          self->dirty = TRUE;
        }
    }
  keep_unmentioned (self, r, now_us, keep_unlisted_source);
}

static gboolean
sample_value (IocAlertEngine *self, const gchar *metric, const gchar *unit, gint64 now_us,
              gint64 max_age_us, gdouble *out)
{
  g_autofree gchar *key = g_strdup_printf ("%s|%s", metric, unit);
  IocAlertSample *s = g_hash_table_lookup (self->values, key);
  if (s == NULL || now_us - s->ts_us > max_age_us)
    return FALSE;
  *out = s->value;
  return TRUE;
}

/* A threshold alert whose unit has no sample at all (values are not kept
 * across a restart): "no data", as a sample older than max_age, while the
 * rule still covers the unit.  Only a fresh sample can clear it. */
static gboolean
keep_unsampled_unit (IocAlertEngine *self, const IocAlertRule *r, const IocAlertInst *i, gint64 now_us)
{
  return ioc_alert_rule_has_unit (r, i->scope);
}

static void
eval_threshold (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us)
{
  g_autofree gchar *prefix = g_strdup_printf ("%s|", r->metric);
  g_autoptr (GPtrArray) keys = ioc_keys_sorted (self->values);
  for (guint q = 0; q < keys->len; q++)
    {
      gpointer k = g_ptr_array_index (keys, q);
      if (!g_str_has_prefix (k, prefix))
        continue;
      const gchar *unit = (const gchar *) k + strlen (prefix);
      if (!ioc_alert_rule_has_unit (r, unit))
        continue;
      gdouble num, den = 1.0;
      gboolean known = sample_value (self, r->metric, unit, now_us, r->max_age_us, &num);
      if (known && r->denominator != NULL)
        known = sample_value (self, r->denominator, unit, now_us, r->max_age_us, &den) && den > 0;
      if (!known)
        {
          ioc_alert_lifecycle_step (self, r, unit, IOC_ALERT_COND_UNKNOWN, 0, 0, NULL, now_us);
          continue;
        }
      gdouble x = num / den;
      IocAlertInst *i = ioc_alert_lifecycle_lookup (self, r, unit);
      gboolean active = i != NULL && i->state == IOC_ALERT_STATE_FIRING;
      /* Hysteresis: a firing alert holds until the value is past `clear`. */
      gboolean cond;
      if (active)
        cond = r->below ? x < r->clear : x > r->clear;
      else
        cond = r->below ? x < r->value : x > r->value;
      g_autofree gchar *detail = g_strdup_printf ("%s%s%s = %g %s %g (clears %s %g)", r->metric,
                                                  r->denominator ? " / " : "",
                                                  r->denominator ? r->denominator : "", x,
                                                  r->below ? "<" : ">", r->value, r->below ? "≥" : "≤",
                                                  r->clear);
      ioc_alert_lifecycle_step (self, r, unit, cond ? IOC_ALERT_COND_TRUE : IOC_ALERT_COND_FALSE, x, r->value,
                                detail, now_us);
    }
  keep_unmentioned (self, r, now_us, keep_unsampled_unit);
}

void
ioc_alert_eval_rule (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us)
{
  switch (r->kind)
    {
    case IOC_ALERT_KIND_SPIKE_UNIT: eval_spike_unit (self, r, now_us); break;
    case IOC_ALERT_KIND_SPIKE_PROVINCE: eval_spike_province (self, r, now_us); break;
    case IOC_ALERT_KIND_STOCK_RISING: eval_stock (self, r, now_us); break;
    case IOC_ALERT_KIND_ZERO_TOLERANCE: eval_zero_tolerance (self, r, now_us); break;
    case IOC_ALERT_KIND_DEAD_SOURCE: eval_dead_source (self, r, now_us); break;
    case IOC_ALERT_KIND_THRESHOLD: eval_threshold (self, r, now_us); break;
    case IOC_ALERT_KIND_COUNT: g_assert_not_reached ();
    }
}
