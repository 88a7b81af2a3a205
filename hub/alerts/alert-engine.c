/* alert-engine.c — rule evaluation and the alert lifecycle (issue 6).
 *
 * Where it sits: after the aggregates.  alert-attach.c pushes, once per hub
 * tick, each unit's dossier counts for today (from the dossier tracker), the
 * connectors' last-seen times (device health, dedup) and indicator values
 * (minute points), then calls ioc_alert_engine_evaluate().  Notifications go
 * out through one callback (alert-notify.c publishes and pages).
 *
 * How: each rule enumerates the scopes (units, connectors, …) for which its
 * condition holds, fails, or is unknown (no data, stale, outside working
 * hours: the instance is then left as it is).  One lifecycle function then
 * moves the (rule, scope) instance: pending after the condition first holds,
 * firing after `for`, resolved once it has failed for `keep_firing_for`.  A
 * resolved alert is finished; the next occurrence gets a new id.  State
 * changes are counted per (rule, scope) for flap detection.  Baselines come
 * from the day and hour counts this engine itself keeps, which persist.
 *
 * Main context only; no I/O here (the caller saves ioc_alert_engine_save()). */
#include "alerts/alert-engine-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-time.h"

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

IocAlertEngine *
ioc_alert_engine_new (const IocAlertRules *rules, const IocCalendar *cal, gint64 started_us,
                      IocAlertFunc notify, gpointer user_data)
{
  IocAlertEngine *self = g_new0 (IocAlertEngine, 1);
  self->rules = rules;
  self->cal = cal;
  self->started_us = started_us;
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

gint
ioc_alert_engine_cmp_strp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
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

static void
add_overdue (IocAlertEngine *self, const gchar *unit, const gchar *dossier, gint64 overdue_us)
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
      add_overdue (self, unit, dossier, overdue_us);
      return;
    }
  g_autofree gchar *safe = topic_safe (dossier);
  g_autofree gchar *key = g_strdup_printf ("%s/%s", unit, safe);
  if (g_hash_table_remove (self->overdue, key))
    self->dirty = TRUE;
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

  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    ((IocAlertInst *) v)->seen = FALSE;

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
            g_hash_table_iter_init (&it, self->insts);
            while (g_hash_table_iter_next (&it, NULL, &v))
              if (g_str_equal (((IocAlertInst *) v)->rule, r->name))
                ((IocAlertInst *) v)->seen = TRUE;
            continue;
          }
        ioc_alert_eval_rule (self, r, now_us);
        ioc_alert_lifecycle_finish_rule (self, r, now_us);
      }

  /* Unit spikes fired this round: under their group if one opened. */
  for (guint k = 0; k < self->fired_units->len; k++)
    {
      IocAlertInst *i = g_hash_table_lookup (self->insts, g_ptr_array_index (self->fired_units, k));
      const IocAlertRule *r = i != NULL ? ioc_alert_rules_find (self->rules, i->rule) : NULL;
      if (r != NULL && i->state == IOC_ALERT_STATE_FIRING)
        ioc_alert_lifecycle_transition (self, r, i, now_us);
    }
  g_ptr_array_set_size (self->fired_units, 0);

  /* Alerts of rules removed by a reload resolve. */
  g_autoptr (GPtrArray) orphans = g_ptr_array_new ();
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (self->rules == NULL || ioc_alert_rules_find (self->rules, ((IocAlertInst *) v)->rule) == NULL)
      g_ptr_array_add (orphans, v);
  for (guint i = 0; i < orphans->len; i++)
    {
      IocAlertInst *o = g_ptr_array_index (orphans, i);
      IocAlertRule gone = { .name = o->rule, .flap_window_us = G_TIME_SPAN_HOUR };
      ioc_alert_lifecycle_resolve (self, &gone, o, now_us);
    }

  ioc_alert_lifecycle_settle_flaps (self, now_us);

  /* Expired silences go. */
  for (guint i = self->silences->len; i > 0; i--)
    if (((IocAlertSilence *) g_ptr_array_index (self->silences, i - 1))->expires_us <= now_us)
      {
        g_ptr_array_remove_index (self->silences, i - 1);
        self->dirty = TRUE;
      }

  gboolean dirty = self->dirty;
  self->dirty = FALSE;
  return dirty;
}

/* ---- persistence (raw µs integers: this is the hub's own file) ---- */

static void
save_inst (JsonBuilder *b, const IocAlertInst *i)
{
  json_builder_begin_object (b);
  ioc_alert_json_add_str (b, "rule", i->rule);
  ioc_alert_json_add_str (b, "scope", i->scope);
  ioc_alert_json_add_str (b, "id", i->id);
  json_builder_set_member_name (b, "state");
  json_builder_add_int_value (b, i->state);
  const gint64 t[] = { i->started_us, i->fired_us, i->resolved_us, i->last_true_us, i->last_notified_us,
                       i->acked_us };
  json_builder_set_member_name (b, "t");
  json_builder_begin_array (b);
  for (guint k = 0; k < G_N_ELEMENTS (t); k++)
    json_builder_add_int_value (b, t[k]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "value");
  json_builder_add_double_value (b, i->value);
  json_builder_set_member_name (b, "threshold");
  json_builder_add_double_value (b, i->threshold);
  ioc_alert_json_add_str (b, "detail", i->detail);
  ioc_alert_json_add_str (b, "group", i->group);
  ioc_alert_json_add_str (b, "acked_by", i->acked_by);
  ioc_alert_json_add_str (b, "ack_note", i->ack_note);
  json_builder_end_object (b);
}

static void
save_days (JsonBuilder *b, const gchar *name, GHashTable *outer)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  GHashTableIter it, it2;
  gpointer k, v, dk, dv;
  g_hash_table_iter_init (&it, outer);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      json_builder_set_member_name (b, k);
      json_builder_begin_array (b);
      g_hash_table_iter_init (&it2, v);
      while (g_hash_table_iter_next (&it2, &dk, &dv))
        {
          json_builder_add_int_value (b, GPOINTER_TO_INT (dk));
          json_builder_add_int_value (b, (gint64) GPOINTER_TO_SIZE (dv) - 1);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

gchar *
ioc_alert_engine_save (IocAlertEngine *self)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "next_id");
  json_builder_add_int_value (b, (gint64) self->next_id);
  /* A source never seen is down a cadence after the hub first started, not
   * after every restart (no resolve-and-refire at each start). */
  json_builder_set_member_name (b, "started");
  json_builder_add_int_value (b, self->started_us);
  json_builder_set_member_name (b, "next_silence");
  json_builder_add_int_value (b, (gint64) self->next_silence);

  json_builder_set_member_name (b, "alerts");
  json_builder_begin_array (b);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    save_inst (b, v);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "recent");
  json_builder_begin_array (b);
  for (GList *l = self->recent->head; l; l = l->next)
    save_inst (b, l->data);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "silences");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->silences->len; i++)
    {
      IocAlertSilence *s = g_ptr_array_index (self->silences, i);
      json_builder_begin_object (b);
      ioc_alert_json_add_str (b, "id", s->id);
      ioc_alert_json_add_str (b, "rule", s->rule);
      ioc_alert_json_add_str (b, "scope", s->scope);
      ioc_alert_json_add_str (b, "by", s->by);
      ioc_alert_json_add_str (b, "comment", s->comment);
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, s->created_us);
      json_builder_set_member_name (b, "expires");
      json_builder_add_int_value (b, s->expires_us);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "flaps");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&it, self->flaps);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      IocAlertFlap *f = v;
      json_builder_set_member_name (b, k);
      json_builder_begin_array (b);
      json_builder_add_int_value (b, f->flapping);
      for (guint i = 0; i < f->changes->len; i++)
        json_builder_add_int_value (b, g_array_index (f->changes, gint64, i));
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "today");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&it, self->today);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      IocAlertUnitDay *ud = v;
      json_builder_set_member_name (b, k);
      json_builder_begin_array (b);
      json_builder_add_int_value (b, ud->day);
      json_builder_add_int_value (b, ud->overdue);
      json_builder_add_int_value (b, ud->due);
      json_builder_add_int_value (b, ud->stock);
      json_builder_add_int_value (b, ud->hour);
      json_builder_add_int_value (b, ud->hour_base);
      json_builder_add_int_value (b, ud->last_overdue);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "observed_days");
  json_builder_begin_array (b);
  g_hash_table_iter_init (&it, self->observed_days);
  while (g_hash_table_iter_next (&it, &k, NULL))
    json_builder_add_int_value (b, GPOINTER_TO_INT (k));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "influx_days");
  json_builder_begin_array (b);
  g_hash_table_iter_init (&it, self->influx_days);
  while (g_hash_table_iter_next (&it, &k, NULL))
    json_builder_add_int_value (b, GPOINTER_TO_INT (k));
  json_builder_end_array (b);
  save_days (b, "unit_daily", self->unit_daily);
  save_days (b, "unit_stock", self->unit_stock);

  json_builder_set_member_name (b, "hours");
  json_builder_begin_array (b);
  g_hash_table_iter_init (&it, self->hours);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      json_builder_add_int_value (b, *(gint64 *) k);
      json_builder_add_int_value (b, (gint64) GPOINTER_TO_SIZE (v) - 1);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "hour");
  json_builder_add_int_value (b, self->cur_hour);

  /* The tracker does not tell again after a restart which dossiers went
   * overdue today: keep them, or their alerts would resolve at start. */
  json_builder_set_member_name (b, "overdue_dossiers");
  json_builder_begin_array (b);
  g_hash_table_iter_init (&it, self->overdue);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      IocAlertOverdue *o = v;
      json_builder_begin_array (b);
      json_builder_add_string_value (b, o->unit);
      json_builder_add_string_value (b, o->dossier);
      json_builder_add_int_value (b, o->overdue_us);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static const gchar *
opt_str (JsonObject *o, const gchar *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_string (n) : NULL;
}

static gchar *
dup_opt (JsonObject *o, const gchar *name)
{
  return g_strdup (opt_str (o, name));
}

static IocAlertInst *
load_inst (JsonObject *o)
{
  JsonArray *t = json_object_get_array_member (o, "t");
  if (opt_str (o, "rule") == NULL || opt_str (o, "scope") == NULL || opt_str (o, "id") == NULL || t == NULL
      || json_array_get_length (t) != 6)
    return NULL;
  IocAlertInst *i = g_new0 (IocAlertInst, 1);
  i->rule = dup_opt (o, "rule");
  i->scope = dup_opt (o, "scope");
  i->key = g_strdup_printf ("%s/%s", i->rule, i->scope);
  i->id = dup_opt (o, "id");
  i->state = (IocAlertState) json_object_get_int_member (o, "state");
  i->started_us = json_array_get_int_element (t, 0);
  i->fired_us = json_array_get_int_element (t, 1);
  i->resolved_us = json_array_get_int_element (t, 2);
  i->last_true_us = json_array_get_int_element (t, 3);
  i->last_notified_us = json_array_get_int_element (t, 4);
  i->acked_us = json_array_get_int_element (t, 5);
  i->value = json_object_get_double_member (o, "value");
  i->threshold = json_object_get_double_member (o, "threshold");
  i->detail = dup_opt (o, "detail");
  i->group = dup_opt (o, "group");
  i->acked_by = dup_opt (o, "acked_by");
  i->ack_note = dup_opt (o, "ack_note");
  return i;
}

static void
load_days (JsonObject *root, const gchar *name, GHashTable *outer)
{
  JsonObject *o = json_object_get_object_member (root, name);
  if (o == NULL)
    return;
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *l = members; l; l = l->next)
    {
      JsonArray *a = json_object_get_array_member (o, l->data);
      for (guint i = 0; a != NULL && i + 1 < json_array_get_length (a); i += 2)
        ioc_alert_history_table_set (outer, l->data, (gint32) json_array_get_int_element (a, i),
                   json_array_get_int_element (a, i + 1));
    }
}

gboolean
ioc_alert_engine_load (IocAlertEngine *self, const gchar *json, gsize len, GError **error)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) local = NULL;
  if (!json_parser_load_from_data (p, json, (gssize) len, &local))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "not JSON: %s", local->message);
      return FALSE;
    }
  JsonNode *rn = json_parser_get_root (p);
  if (rn == NULL || !JSON_NODE_HOLDS_OBJECT (rn))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "expected a JSON object");
      return FALSE;
    }
  JsonObject *root = json_node_get_object (rn);
  if (json_object_get_int_member_with_default (root, "version", 0) != 1)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "expected version 1");
      return FALSE;
    }
  self->next_id = (guint64) json_object_get_int_member_with_default (root, "next_id", 1);
  self->next_silence = (guint64) json_object_get_int_member_with_default (root, "next_silence", 1);
  gint64 started = json_object_get_int_member_with_default (root, "started", 0);
  if (started > 0 && started < self->started_us)
    self->started_us = started;
  JsonArray *a = json_object_get_array_member (root, "alerts");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      IocAlertInst *in = load_inst (json_array_get_object_element (a, i));
      if (in != NULL)
        g_hash_table_replace (self->insts, in->key, in);
    }
  a = json_object_get_array_member (root, "recent");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      IocAlertInst *in = load_inst (json_array_get_object_element (a, i));
      if (in != NULL)
        g_queue_push_tail (self->recent, in);
    }
  a = json_object_get_array_member (root, "silences");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      if (opt_str (o, "id") == NULL)
        continue;
      IocAlertSilence *s = g_new0 (IocAlertSilence, 1);
      s->id = dup_opt (o, "id");
      s->rule = g_strdup (opt_str (o, "rule") ? opt_str (o, "rule") : "*");
      s->scope = g_strdup (opt_str (o, "scope") ? opt_str (o, "scope") : "*");
      s->by = dup_opt (o, "by");
      s->comment = dup_opt (o, "comment");
      s->created_us = json_object_get_int_member_with_default (o, "created", 0);
      s->expires_us = json_object_get_int_member_with_default (o, "expires", 0);
      g_ptr_array_add (self->silences, s);
    }
  JsonObject *o = json_object_get_object_member (root, "flaps");
  if (o != NULL)
    {
      g_autoptr (GList) members = json_object_get_members (o);
      for (GList *l = members; l; l = l->next)
        {
          JsonArray *fa = json_object_get_array_member (o, l->data);
          if (fa == NULL || json_array_get_length (fa) < 1)
            continue;
          IocAlertFlap *f = ioc_alert_flap_new ();
          f->flapping = json_array_get_int_element (fa, 0) != 0;
          for (guint i = 1; i < json_array_get_length (fa); i++)
            {
              gint64 t = json_array_get_int_element (fa, i);
              g_array_append_val (f->changes, t);
            }
          g_hash_table_replace (self->flaps, g_strdup (l->data), f);
        }
    }
  o = json_object_get_object_member (root, "today");
  if (o != NULL)
    {
      g_autoptr (GList) members = json_object_get_members (o);
      for (GList *l = members; l; l = l->next)
        {
          JsonArray *ua = json_object_get_array_member (o, l->data);
          if (ua == NULL || json_array_get_length (ua) != 7)
            continue;
          IocAlertUnitDay *ud = g_new0 (IocAlertUnitDay, 1);
          ud->day = (gint32) json_array_get_int_element (ua, 0);
          ud->overdue = json_array_get_int_element (ua, 1);
          ud->due = json_array_get_int_element (ua, 2);
          ud->stock = json_array_get_int_element (ua, 3);
          ud->hour = json_array_get_int_element (ua, 4);
          ud->hour_base = json_array_get_int_element (ua, 5);
          ud->last_overdue = json_array_get_int_element (ua, 6);
          g_hash_table_replace (self->today, g_strdup (l->data), ud);
        }
    }
  a = json_object_get_array_member (root, "observed_days");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    g_hash_table_add (self->observed_days, GINT_TO_POINTER ((gint) json_array_get_int_element (a, i)));
  a = json_object_get_array_member (root, "influx_days");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    g_hash_table_add (self->influx_days, GINT_TO_POINTER ((gint) json_array_get_int_element (a, i)));
  load_days (root, "unit_daily", self->unit_daily);
  load_days (root, "unit_stock", self->unit_stock);
  a = json_object_get_array_member (root, "hours");
  for (guint i = 0; a && i + 1 < json_array_get_length (a); i += 2)
    {
      gint64 *key = g_new (gint64, 1);
      *key = json_array_get_int_element (a, i);
      g_hash_table_replace (self->hours, key,
                            GSIZE_TO_POINTER ((gsize) (json_array_get_int_element (a, i + 1) + 1)));
    }
  self->cur_hour = json_object_get_int_member_with_default (root, "hour", 0);
  a = json_object_get_array_member (root, "overdue_dossiers");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonArray *oa = json_array_get_array_element (a, i);
      if (oa == NULL || json_array_get_length (oa) != 3)
        continue;
      const gchar *unit = json_array_get_string_element (oa, 0);
      const gchar *dossier = json_array_get_string_element (oa, 1);
      if (unit != NULL && dossier != NULL)
        add_overdue (self, unit, dossier, json_array_get_int_element (oa, 2));
    }
  return TRUE;
}
