/* alert-lifecycle.c — the life of one alert instance, (rule, scope):
 * pending → firing → resolved, reminders, flap detection, province
 * grouping of unit spikes, operators' acks and silences.
 *
 * Where it sits: inside the alert engine (alert-engine-private.h).  An
 * evaluator says, for each scope, whether its rule's condition holds, fails
 * or is unknown (no data, stale, muted: the instance is then left as it
 * is); ioc_alert_lifecycle_step() moves the instance and notifies through
 * the engine's one callback.  A resolved instance is finished and kept
 * among the recent ones; the next occurrence gets a new id.  Main context
 * only. */
#include "alerts/alert-engine-private.h"

#include <string.h>

#include "protocol/ioc-error.h"

const gchar *
ioc_alert_state_name (IocAlertState s)
{
  switch (s)
    {
    case IOC_ALERT_STATE_PENDING: return "pending";
    case IOC_ALERT_STATE_FIRING: return "firing";
    case IOC_ALERT_STATE_RESOLVED: return "resolved";
    case IOC_ALERT_STATE_FLAPPING: return "flapping";
    }
  return "?";
}

/* ---- notifications ---- */

gboolean
ioc_alert_lifecycle_is_silenced (IocAlertEngine *self, const gchar *rule, const gchar *scope,
                                 gint64 now_us)
{
  for (guint i = 0; i < self->silences->len; i++)
    {
      IocAlertSilence *s = g_ptr_array_index (self->silences, i);
      if (s->expires_us > now_us && g_pattern_match_simple (s->rule, rule)
          && g_pattern_match_simple (s->scope, scope))
        return TRUE;
    }
  return FALSE;
}

void
ioc_alert_lifecycle_fill (IocAlertEngine *self, const IocAlertInst *i, IocAlert *a)
{
  const IocAlertRule *r = self->rules ? ioc_alert_rules_find (self->rules, i->rule) : NULL;
  memset (a, 0, sizeof *a);
  a->id = i->id;
  a->rule = i->rule;
  a->scope = i->scope;
  a->kind = r ? ioc_alert_kind_name (r->kind) : "";
  a->severity = r ? r->severity : IOC_ALERT_SEVERITY_WARNING;
  a->state = i->state;
  a->summary = r ? r->summary : NULL;
  a->summary_en = r ? r->summary_en : NULL;
  a->detail = i->detail;
  a->value = i->value;
  a->threshold = i->threshold;
  a->started_us = i->started_us;
  a->fired_us = i->fired_us;
  a->resolved_us = i->resolved_us;
  a->group = i->group;
  a->acked_by = i->acked_by;
  a->acked_us = i->acked_us;
  a->ack_note = i->ack_note;
}

void
ioc_alert_lifecycle_notify (IocAlertEngine *self, IocAlertInst *i, IocAlertState state, gint64 now_us,
                            gboolean is_reminder, gboolean is_ack_update)
{
  IocAlert a;
  ioc_alert_lifecycle_fill (self, i, &a);
  a.state = state;
  a.is_silenced = ioc_alert_lifecycle_is_silenced (self, i->rule, i->scope, now_us);
  a.is_reminder = is_reminder;
  a.is_ack_update = is_ack_update;
  gboolean page = !a.is_silenced && i->group == NULL && !is_ack_update;
  i->last_notified_us = now_us;
  if (self->notify != NULL)
    self->notify (&a, page, self->user_data);
}

/* A state change, through flap detection: the change that crosses
 * flap_changes inside flap_window is announced once as "flapping", later
 * ones are held back until the key has been quiet for a whole window. */
void
ioc_alert_lifecycle_transition (IocAlertEngine *self, const IocAlertRule *r, IocAlertInst *i, gint64 now_us)
{
  self->dirty = TRUE;
  if (r->flap_changes > 0)
    {
      IocAlertFlap *f = g_hash_table_lookup (self->flaps, i->key);
      if (f == NULL)
        {
          f = ioc_alert_flap_new ();
          g_hash_table_insert (self->flaps, g_strdup (i->key), f);
        }
      g_array_append_val (f->changes, now_us);
      while (f->changes->len > 0 && g_array_index (f->changes, gint64, 0) <= now_us - r->flap_window_us)
        g_array_remove_index (f->changes, 0);
      if (f->changes->len >= (guint) r->flap_changes)
        {
          if (!f->flapping)
            {
              f->flapping = TRUE;
              ioc_alert_lifecycle_notify (self, i, IOC_ALERT_STATE_FLAPPING, now_us, FALSE, FALSE);
            }
          return;
        }
      if (f->flapping)
        return;
    }
  ioc_alert_lifecycle_notify (self, i, i->state, now_us, FALSE, FALSE);
}

static IocAlertInst *
find_recent_by_key (IocAlertEngine *self, const gchar *key)
{
  for (GList *l = self->recent->tail; l != NULL; l = l->prev)
    if (g_str_equal (((IocAlertInst *) l->data)->key, key))
      return l->data;
  return NULL;
}

/* Flapping keys that have been quiet for a whole window settle: their
 * current state is announced once. */
void
ioc_alert_lifecycle_settle_flaps (IocAlertEngine *self, gint64 now_us)
{
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->flaps);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      IocAlertFlap *f = v;
      const gchar *key = k;
      g_autofree gchar *rule_name = g_strndup (key, strcspn (key, "/"));
      const IocAlertRule *r = self->rules ? ioc_alert_rules_find (self->rules, rule_name) : NULL;
      gint64 window = r ? r->flap_window_us : G_TIME_SPAN_HOUR;
      while (f->changes->len > 0 && g_array_index (f->changes, gint64, 0) <= now_us - window)
        g_array_remove_index (f->changes, 0);
      if (f->changes->len > 0)
        continue;
      if (f->flapping)
        {
          IocAlertInst *i = g_hash_table_lookup (self->insts, key);
          if (i != NULL && i->state == IOC_ALERT_STATE_FIRING)
            ioc_alert_lifecycle_notify (self, i, IOC_ALERT_STATE_FIRING, now_us, FALSE, FALSE);
          else if ((i = find_recent_by_key (self, key)) != NULL)
            ioc_alert_lifecycle_notify (self, i, IOC_ALERT_STATE_RESOLVED, now_us, FALSE, FALSE);
        }
      g_hash_table_iter_remove (&it);
      self->dirty = TRUE;
    }
}

/* ---- the lifecycle of one (rule, scope) ---- */

IocAlertInst *
ioc_alert_lifecycle_lookup (IocAlertEngine *self, const IocAlertRule *r, const gchar *scope)
{
  g_autofree gchar *key = g_strdup_printf ("%s/%s", r->name, scope);
  return g_hash_table_lookup (self->insts, key);
}

void
ioc_alert_lifecycle_resolve (IocAlertEngine *self, const IocAlertRule *r, IocAlertInst *i, gint64 now_us)
{
  i->state = IOC_ALERT_STATE_RESOLVED;
  i->resolved_us = now_us;
  g_hash_table_steal (self->insts, i->key);
  g_queue_push_tail (self->recent, i);
  while (g_queue_get_length (self->recent) > IOC_ALERT_RECENT_MAX)
    ioc_alert_inst_free (g_queue_pop_head (self->recent));
  ioc_alert_lifecycle_transition (self, r, i, now_us);
}

/* The id of a firing province "units" alert that groups unit rule r, or
 * NULL: a unit spike that fires into an open group is not paged alone. */
static const gchar *
open_group (IocAlertEngine *self, const IocAlertRule *r)
{
  for (guint k = 0; self->rules && k < self->rules->rules->len; k++)
    {
      const IocAlertRule *p = g_ptr_array_index (self->rules->rules, k);
      if (p->kind != IOC_ALERT_KIND_SPIKE_PROVINCE || (p->unit_rule && !g_str_equal (p->unit_rule, r->name)))
        continue;
      IocAlertInst *g = ioc_alert_lifecycle_lookup (self, p, "units");
      if (g != NULL && g->state == IOC_ALERT_STATE_FIRING)
        return g->id;
    }
  return NULL;
}

void
ioc_alert_lifecycle_step (IocAlertEngine *self, const IocAlertRule *r, const gchar *scope, IocAlertCond cond,
                          gdouble value, gdouble threshold, const gchar *detail, gint64 now_us)
{
  g_autofree gchar *key = g_strdup_printf ("%s/%s", r->name, scope);
  IocAlertInst *i = g_hash_table_lookup (self->insts, key);
  if (cond == IOC_ALERT_COND_UNKNOWN)
    {
      if (i != NULL)
        i->seen = TRUE;
      return;
    }
  if (cond == IOC_ALERT_COND_TRUE)
    {
      if (i == NULL)
        {
          i = g_new0 (IocAlertInst, 1);
          i->key = g_steal_pointer (&key);
          i->rule = g_strdup (r->name);
          i->scope = g_strdup (scope);
          i->id = g_strdup_printf ("%" G_GUINT64_FORMAT, self->next_id++);
          i->state = IOC_ALERT_STATE_PENDING;
          i->started_us = now_us;
          g_hash_table_insert (self->insts, i->key, i);
          self->dirty = TRUE;
        }
      i->seen = TRUE;
      i->last_true_us = now_us;
      i->value = value;
      i->threshold = threshold;
      if (g_strcmp0 (i->detail, detail) != 0)
        {
          g_free (i->detail);
          i->detail = g_strdup (detail);
        }
      if (i->state == IOC_ALERT_STATE_PENDING && now_us - i->started_us >= r->for_us)
        {
          i->state = IOC_ALERT_STATE_FIRING;
          i->fired_us = now_us;
          if (r->kind == IOC_ALERT_KIND_SPIKE_UNIT && i->group == NULL)
            i->group = g_strdup (open_group (self, r));
          if (r->kind == IOC_ALERT_KIND_SPIKE_UNIT && i->group == NULL)
            {
              /* Told after the province rules: it may complete a group. */
              g_ptr_array_add (self->fired_units, g_strdup (i->key));
              self->dirty = TRUE;
            }
          else
            ioc_alert_lifecycle_transition (self, r, i, now_us);
        }
      else if (i->state == IOC_ALERT_STATE_FIRING && r->reminder_us > 0
               && now_us - i->last_notified_us >= r->reminder_us)
        ioc_alert_lifecycle_notify (self, i, IOC_ALERT_STATE_FIRING, now_us, TRUE, FALSE);
      return;
    }
  if (i == NULL)
    return;
  i->seen = TRUE;
  if (i->state == IOC_ALERT_STATE_PENDING)
    {
      /* Never announced: it simply goes away, and its id is not reused. */
      g_hash_table_remove (self->insts, i->key);
      self->dirty = TRUE;
      return;
    }
  if (now_us - i->last_true_us >= r->keep_firing_for_us)
    ioc_alert_lifecycle_resolve (self, r, i, now_us);
}

void
ioc_alert_lifecycle_step_unmentioned (IocAlertEngine *self, const IocAlertRule *r, IocAlertCond cond,
                                      IocAlertInstFilter keep, gint64 now_us)
{
  /* The scopes first: a step may remove its instance from the table. */
  g_autoptr (GPtrArray) scopes = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      IocAlertInst *i = v;
      if (!i->seen && g_str_equal (i->rule, r->name) && (keep == NULL || keep (self, r, i, now_us)))
        g_ptr_array_add (scopes, g_strdup (i->scope));
    }
  for (guint k = 0; k < scopes->len; k++)
    ioc_alert_lifecycle_step (self, r, g_ptr_array_index (scopes, k), cond, 0, 0, NULL, now_us);
}

/* Instances of r that its evaluator did not mention this round: false. */
void
ioc_alert_lifecycle_finish_rule (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us)
{
  ioc_alert_lifecycle_step_unmentioned (self, r, IOC_ALERT_COND_FALSE, NULL, now_us);
}

/* ---- one evaluation round ---- */

void
ioc_alert_lifecycle_begin_round (IocAlertEngine *self)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    ((IocAlertInst *) v)->seen = FALSE;
}

void
ioc_alert_lifecycle_keep_rule (IocAlertEngine *self, const IocAlertRule *r)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (g_str_equal (((IocAlertInst *) v)->rule, r->name))
      ((IocAlertInst *) v)->seen = TRUE;
}

/* Alerts of rules removed by a reload resolve. */
static void
resolve_orphans (IocAlertEngine *self, gint64 now_us)
{
  g_autoptr (GPtrArray) orphans = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;
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
}

void
ioc_alert_lifecycle_end_round (IocAlertEngine *self, gint64 now_us)
{
  /* Unit spikes fired this round: under their group if one opened. */
  for (guint k = 0; k < self->fired_units->len; k++)
    {
      IocAlertInst *i = g_hash_table_lookup (self->insts, g_ptr_array_index (self->fired_units, k));
      const IocAlertRule *r = i != NULL ? ioc_alert_rules_find (self->rules, i->rule) : NULL;
      if (r != NULL && i->state == IOC_ALERT_STATE_FIRING)
        ioc_alert_lifecycle_transition (self, r, i, now_us);
    }
  g_ptr_array_set_size (self->fired_units, 0);

  resolve_orphans (self, now_us);
  ioc_alert_lifecycle_settle_flaps (self, now_us);

  /* Expired silences go. */
  for (guint i = self->silences->len; i > 0; i--)
    if (((IocAlertSilence *) g_ptr_array_index (self->silences, i - 1))->expires_us <= now_us)
      {
        g_ptr_array_remove_index (self->silences, i - 1);
        self->dirty = TRUE;
      }
}

/* ---- operators ---- */

gboolean
ioc_alert_engine_ack (IocAlertEngine *self, const gchar *id, const gchar *by, const gchar *note,
                      gint64 now_us, GError **error)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      IocAlertInst *i = v;
      if (!g_str_equal (i->id, id) && !g_str_equal (i->key, id))
        continue;
      g_free (i->acked_by);
      g_free (i->ack_note);
      i->acked_by = g_strdup (by);
      i->ack_note = g_strdup (note ? note : "");
      i->acked_us = now_us;
      if (i->state == IOC_ALERT_STATE_FIRING)
        ioc_alert_lifecycle_notify (self, i, i->state, now_us, FALSE, TRUE);
      return TRUE;
    }
  g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED,
               "alert %s: no pending or firing alert has that id or RULE/SCOPE (iocctl alerts lists them)", id);
  return FALSE;
}

gchar *
ioc_alert_engine_silence (IocAlertEngine *self, const gchar *rule, const gchar *scope,
                          gint64 expires_us, const gchar *by, const gchar *comment, gint64 now_us)
{
  IocAlertSilence *s = g_new0 (IocAlertSilence, 1);
  s->id = g_strdup_printf ("s%" G_GUINT64_FORMAT, self->next_silence++);
  s->rule = g_strdup (rule ? rule : "*");
  s->scope = g_strdup (scope ? scope : "*");
  s->by = g_strdup (by ? by : "");
  s->comment = g_strdup (comment ? comment : "");
  s->created_us = now_us;
  s->expires_us = expires_us;
  g_ptr_array_add (self->silences, s);
  return g_strdup (s->id);
}

gboolean
ioc_alert_engine_unsilence (IocAlertEngine *self, const gchar *id, GError **error)
{
  for (guint i = 0; i < self->silences->len; i++)
    if (g_str_equal (((IocAlertSilence *) g_ptr_array_index (self->silences, i))->id, id))
      {
        g_ptr_array_remove_index (self->silences, i);
        return TRUE;
      }
  g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "silence %s: unknown", id);
  return FALSE;
}
