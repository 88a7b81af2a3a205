/* alert-engine.c — the alert engine's construction, its inputs and one
 * evaluation round (see alert-engine.h; the pieces it is made of are listed
 * in alert-engine-private.h).
 *
 * Where it sits: after the aggregates.  alerts.c pushes, once per hub tick,
 * each unit's dossier counts for today (from the dossier tracker), the
 * connectors' last-seen times (device health, dedup) and indicator values
 * (minute points), then calls ioc_alert_engine_evaluate().  Notifications
 * go out through one callback (alert-notify.c publishes and pages).
 *
 * A round: the history rolls the hour and closes finished days
 * (alert-history.c); each rule's evaluator says for which scopes its
 * condition holds, fails, or is unknown (alert-eval.c); the lifecycle moves
 * each (rule, scope) instance: pending after the condition first holds,
 * firing after `for`, resolved once it has failed for `keep_firing_for`
 * (alert-lifecycle.c).  Province rules run after the unit rules, so that a
 * systemic spike can group the unit alerts it explains.
 *
 * Main context only; no I/O here (the caller saves ioc_alert_engine_save()). */
#include "alerts/alert-engine-private.h"

#include <string.h>

/* ---- the records ---- */

void
ioc_alert_inst_free (IocAlertInst *i)
{
  g_free (i->key);
  g_free (i->rule);
  g_free (i->scope);
  g_free (i->id);
  g_free (i->detail);
  g_free (i->group);
  g_free (i->unit);
  g_free (i->acked_by);
  g_free (i->ack_note);
  g_free (i);
}

void
ioc_alert_flap_free (IocAlertFlap *f)
{
  g_array_unref (f->changes);
  g_free (f);
}

IocAlertFlap *
ioc_alert_flap_new (void)
{
  IocAlertFlap *f = g_new0 (IocAlertFlap, 1);
  f->changes = g_array_new (FALSE, FALSE, sizeof (gint64));
  return f;
}

void
ioc_alert_silence_free (IocAlertSilence *s)
{
  g_free (s->id);
  g_free (s->rule);
  g_free (s->scope);
  g_free (s->by);
  g_free (s->comment);
  g_free (s);
}

static void
overdue_free (IocAlertOverdue *o)
{
  g_free (o->unit);
  g_free (o->dossier);
  g_free (o);
}

static void
source_free (IocAlertSourceState *s)
{
  g_free (s->kind);
  g_free (s->device);
  g_free (s->unit);
  g_free (s);
}

/* ---- the engine ---- */

IocAlertEngine *
ioc_alert_engine_new (const IocAlertRules *rules, const IocCalendar *cal, gint64 started_us,
                      IocAlertFunc notify, gpointer user_data)
{
  IocAlertEngine *self = g_new0 (IocAlertEngine, 1);
  self->rules = rules;
  self->cal = cal;
  self->started_us = started_us;
  self->run_started_us = started_us;
  self->notify = notify;
  self->user_data = user_data;
  self->next_id = 1;
  self->next_silence = 1;
  self->insts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) ioc_alert_inst_free);
  self->recent = g_queue_new ();
  self->flaps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) ioc_alert_flap_free);
  self->silences = g_ptr_array_new_with_free_func ((GDestroyNotify) ioc_alert_silence_free);
  self->today = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->observed_days = ioc_alert_history_day_table ();
  self->influx_days = ioc_alert_history_day_table ();
  self->unit_daily = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_hash_table_unref);
  self->unit_stock = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_hash_table_unref);
  self->hours = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) source_free);
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->overdue = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) overdue_free);
  self->fired_units = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
ioc_alert_engine_free (IocAlertEngine *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->insts);
  g_queue_free_full (self->recent, (GDestroyNotify) ioc_alert_inst_free);
  g_hash_table_unref (self->flaps);
  g_ptr_array_unref (self->silences);
  g_hash_table_unref (self->today);
  g_hash_table_unref (self->observed_days);
  g_hash_table_unref (self->influx_days);
  g_hash_table_unref (self->unit_daily);
  g_hash_table_unref (self->unit_stock);
  g_hash_table_unref (self->hours);
  g_hash_table_unref (self->sources);
  g_hash_table_unref (self->values);
  g_hash_table_unref (self->overdue);
  g_ptr_array_unref (self->fired_units);
  g_free (self);
}

void
ioc_alert_engine_set_rules (IocAlertEngine *self, const IocAlertRules *rules)
{
  self->rules = rules;
}

void
ioc_alert_engine_set_calendar (IocAlertEngine *self, const IocCalendar *cal)
{
  self->cal = cal;
}

void
ioc_alert_engine_set_unit_names (IocAlertEngine *self, IocAlertUnitNameFunc fn, gpointer user_data)
{
  self->unit_name = fn;
  self->unit_name_data = user_data;
}

/* ---- time helpers ---- */

gboolean
ioc_alert_engine_is_working_day (IocAlertEngine *self, gint32 day)
{
  return self->cal == NULL || ioc_calendar_is_working_day_n (self->cal, day);
}

gboolean
ioc_alert_engine_is_working_time (IocAlertEngine *self, gint64 us)
{
  return self->cal == NULL || ioc_calendar_is_working_time (self->cal, us);
}

gint64
ioc_alert_engine_working_us_between (IocAlertEngine *self, gint64 a, gint64 b)
{
  if (b <= a)
    return 0;
  return self->cal == NULL ? b - a : ioc_calendar_working_us_between (self->cal, a, b);
}

/* ---- inputs ---- */

void
ioc_alert_engine_unit_day (IocAlertEngine *self, const gchar *unit, gint64 now_us,
                           gint64 overdue_entered, gint64 due, gint64 open_overdue)
{
  gint32 day = ioc_calendar_day_of (now_us);
  IocAlertUnitDay *ud = g_hash_table_lookup (self->today, unit);
  if (ud == NULL)
    {
      ud = g_new0 (IocAlertUnitDay, 1);
      ud->day = day;
      g_hash_table_insert (self->today, g_strdup (unit), ud);
    }
  ioc_alert_history_close_day (self, unit, ud, day);
  if (ud->day != day)
    return; /* an input for a day already closed: ignore */
  ud->overdue = overdue_entered;
  ud->due = due;
  ud->stock = open_overdue;
}

void
ioc_alert_engine_source (IocAlertEngine *self, const IocAlertSource *src)
{
  g_autofree gchar *key = g_strdup_printf ("%s/%s", src->kind, src->device);
  IocAlertSourceState *s = g_hash_table_lookup (self->sources, key);
  if (s == NULL)
    {
      s = g_new0 (IocAlertSourceState, 1);
      s->kind = g_strdup (src->kind);
      s->device = g_strdup (src->device);
      s->missing = s->missing_day_start = src->missing_seqs;
      s->day = -1;
      g_hash_table_insert (self->sources, g_steal_pointer (&key), s);
    }
  if (g_strcmp0 (s->unit, src->unit) != 0)
    {
      g_free (s->unit);
      s->unit = g_strdup (src->unit);
    }
  s->is_declared = src->is_declared;
  s->is_offline = src->is_offline;
  s->serves_all = src->serves_all;
  s->last_seen_us = MAX (s->last_seen_us, src->last_seen_us);
  s->missing = src->missing_seqs;
}

gboolean
ioc_alert_engine_wants_metric (IocAlertEngine *self, const gchar *metric)
{
  for (guint i = 0; self->rules && i < self->rules->rules->len; i++)
    {
      const IocAlertRule *r = g_ptr_array_index (self->rules->rules, i);
      if (r->kind == IOC_ALERT_KIND_THRESHOLD
          && (g_strcmp0 (r->metric, metric) == 0 || g_strcmp0 (r->denominator, metric) == 0))
        return TRUE;
    }
  return FALSE;
}

void
ioc_alert_engine_value (IocAlertEngine *self, const gchar *metric, const gchar *unit, gint64 ts_us,
                        gdouble value)
{
  if (!ioc_alert_engine_wants_metric (self, metric))
    return;
  g_autofree gchar *key = g_strdup_printf ("%s|%s", metric, unit);
  IocAlertSample *s = g_hash_table_lookup (self->values, key);
  if (s == NULL)
    {
      s = g_new0 (IocAlertSample, 1);
      g_hash_table_insert (self->values, g_steal_pointer (&key), s);
    }
  else if (ts_us < s->ts_us)
    return; /* an older minute re-emitted after late data: keep the newest */
  s->ts_us = ts_us;
  s->value = value;
}

static gboolean
wants_zero_tolerance (IocAlertEngine *self, const gchar *unit)
{
  for (guint i = 0; self->rules && i < self->rules->rules->len; i++)
    {
      const IocAlertRule *r = g_ptr_array_index (self->rules->rules, i);
      if (r->kind == IOC_ALERT_KIND_ZERO_TOLERANCE && ioc_alert_rule_has_unit (r, unit))
        return TRUE;
    }
  return FALSE;
}

/* A dossier id as one MQTT topic level: '/', '+', '#' and anything outside
 * printable ASCII would break the topic or the scope. */
static gchar *
topic_safe (const gchar *id)
{
  gchar *out = g_strdup (id);
  for (gchar *c = out; *c; c++)
    if (!(g_ascii_isalnum (*c) || *c == '.' || *c == '-' || *c == '_'))
      *c = '_';
  return out;
}

void
ioc_alert_engine_add_overdue (IocAlertEngine *self, const gchar *unit, const gchar *dossier,
                              gint64 overdue_us)
{
  g_autofree gchar *safe = topic_safe (dossier);
  g_autofree gchar *key = g_strdup_printf ("%s/%s", unit, safe);
  if (g_hash_table_contains (self->overdue, key))
    return;
  /* A mass failure raises one alert per dossier up to the cap; the spike
   * rules speak for the rest. */
  guint n = 0;
  gint32 day = ioc_calendar_day_of (overdue_us);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->overdue);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (g_str_equal (((IocAlertOverdue *) v)->unit, unit)
        && ioc_calendar_day_of (((IocAlertOverdue *) v)->overdue_us) == day)
      n++;
  if (n >= IOC_ALERT_ZERO_TOLERANCE_MAX)
    return;
  IocAlertOverdue *o = g_new0 (IocAlertOverdue, 1);
  o->unit = g_strdup (unit);
  o->dossier = g_strdup (dossier);
  o->overdue_us = overdue_us;
  g_hash_table_insert (self->overdue, g_steal_pointer (&key), o);
  self->dirty = TRUE;
}

void
ioc_alert_engine_dossier_overdue (IocAlertEngine *self, const gchar *unit, const gchar *dossier,
                                  gint64 overdue_us, gint sign)
{
  if (unit == NULL || dossier == NULL || !wants_zero_tolerance (self, unit))
    return;
  if (sign > 0)
    {
      ioc_alert_engine_add_overdue (self, unit, dossier, overdue_us);
      return;
    }
  g_autofree gchar *safe = topic_safe (dossier);
  g_autofree gchar *key = g_strdup_printf ("%s/%s", unit, safe);
  if (g_hash_table_remove (self->overdue, key))
    self->dirty = TRUE;
}

/* What a new local day resets before the rules run. */
static void
start_day (IocAlertEngine *self, gint32 today)
{
  /* Seq gaps count per local day: a gap yesterday no longer makes a unit stale. */
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->sources);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      IocAlertSourceState *s = v;
      if (s->day != today)
        {
          s->day = today;
          s->missing_day_start = s->missing;
        }
    }

  /* Zero-tolerance dossiers are today's: yesterday's alerts resolve. */
  g_hash_table_iter_init (&it, self->overdue);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (ioc_calendar_day_of (((IocAlertOverdue *) v)->overdue_us) != today)
      {
        g_hash_table_iter_remove (&it);
        self->dirty = TRUE;
      }
}

static void
run_rules (IocAlertEngine *self, gint64 now_us)
{
  /* Province rules last: they group the unit alerts fired this round. */
  for (guint pass = 0; pass < 2 && self->rules != NULL; pass++)
    for (guint i = 0; i < self->rules->rules->len; i++)
      {
        const IocAlertRule *r = g_ptr_array_index (self->rules->rules, i);
        if ((r->kind == IOC_ALERT_KIND_SPIKE_PROVINCE) != (pass == 1))
          continue;
        if (r->working_hours_only && !ioc_alert_engine_is_working_time (self, now_us))
          {
            /* Muted: nothing changes until office hours. */
            ioc_alert_lifecycle_keep_rule (self, r);
            continue;
          }
        ioc_alert_eval_rule (self, r, now_us);
        ioc_alert_lifecycle_finish_rule (self, r, now_us);
      }
}

gboolean
ioc_alert_engine_evaluate (IocAlertEngine *self, gint64 now_us)
{
  self->last_eval_us = now_us;
  gint32 today = ioc_calendar_day_of (now_us);
  gint32 prev_day = self->cur_hour != 0 ? (gint32) (self->cur_hour / 24) : today;
  ioc_alert_history_roll (self, now_us);
  if (prev_day != today)
    ioc_alert_history_prune (self, now_us);
  start_day (self, today);
  ioc_alert_lifecycle_begin_round (self);
  run_rules (self, now_us);
  ioc_alert_lifecycle_end_round (self, now_us);

  gboolean dirty = self->dirty;
  self->dirty = FALSE;
  return dirty;
}
