/* alert-views.c — the alert engine as JSON for people and programs: the
 * alerts (GET /api/v1/alerts, the wall's feed, the rule tests), the
 * silences, and where each spike rule's baseline comes from.
 *
 * Where it sits: inside the alert engine (alert-engine-private.h); read
 * only.  Times are RFC 3339 in Vietnam time (ioc_time_format), absent
 * ones null.  The engine has no clock: "silenced" is as of the last
 * evaluation.  Main context only. */
#include "alerts/alert-engine-private.h"

#include <string.h>

#include "protocol/ioc-json.h"
#include "protocol/ioc-keys.h"
#include "protocol/ioc-time.h"

static void
build_alert_members (JsonBuilder *b, const IocAlert *a)
{
  ioc_json_string (b, "id", a->id);
  ioc_json_string (b, "rule", a->rule);
  ioc_json_string (b, "scope", a->scope);
  ioc_json_string (b, "kind", a->kind);
  ioc_json_string (b, "severity", ioc_alert_severity_name (a->severity));
  ioc_json_string (b, "state", ioc_alert_state_name (a->state));
  ioc_json_string (b, "summary", a->summary);
  ioc_json_string (b, "summary_en", a->summary_en);
  ioc_json_string (b, "detail", a->detail);
  ioc_json_double (b, "value", a->value);
  ioc_json_double (b, "threshold", a->threshold);
  ioc_json_time (b, "started_at", a->started_us);
  ioc_json_time (b, "fired_at", a->fired_us);
  ioc_json_time (b, "resolved_at", a->resolved_us);
  ioc_json_string (b, "group", a->group);
  json_builder_set_member_name (b, "ack");
  if (a->acked_by == NULL)
    json_builder_add_null_value (b);
  else
    {
      json_builder_begin_object (b);
      ioc_json_string (b, "by", a->acked_by);
      ioc_json_time (b, "at", a->acked_us);
      ioc_json_string (b, "note", a->ack_note);
      json_builder_end_object (b);
    }
  ioc_json_bool (b, "silenced", a->is_silenced);
  ioc_json_bool (b, "reminder", a->is_reminder);
}

static void
build_alert (JsonBuilder *b, const IocAlert *a)
{
  json_builder_begin_object (b);
  build_alert_members (b, a);
  json_builder_end_object (b);
}

/* (transfer full) the unit code an alert is about, or NULL. */
static gchar *
inst_unit (IocAlertEngine *self, const IocAlertInst *i)
{
  const IocAlertRule *r = self->rules ? ioc_alert_rules_find (self->rules, i->rule) : NULL;
  if (r == NULL)
    return NULL;
  switch (r->kind)
    {
    case IOC_ALERT_KIND_SPIKE_UNIT:
    case IOC_ALERT_KIND_STOCK_RISING: return g_strdup (i->scope);
    case IOC_ALERT_KIND_THRESHOLD: return g_str_equal (i->scope, "all") ? NULL : g_strdup (i->scope);
    case IOC_ALERT_KIND_ZERO_TOLERANCE: return g_strndup (i->scope, strcspn (i->scope, "/"));
    case IOC_ALERT_KIND_DEAD_SOURCE:
      return g_strdup (i->unit);
    case IOC_ALERT_KIND_SPIKE_PROVINCE:
    case IOC_ALERT_KIND_COUNT: break;
    }
  return NULL;
}

JsonNode *
ioc_alert_alert_to_json (const IocAlert *a)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  build_alert (b, a);
  return json_builder_get_root (b);
}

static gint
cmp_inst_id (gconstpointer a, gconstpointer b)
{
  const IocAlertInst *x = *(IocAlertInst *const *) a, *y = *(IocAlertInst *const *) b;
  guint64 p = g_ascii_strtoull (x->id, NULL, 10), q = g_ascii_strtoull (y->id, NULL, 10);
  return p < q ? 1 : p > q ? -1 : 0; /* newest first */
}

/* Per spike rule, for today's weekday: how many samples and where from. */
static void
build_baselines (JsonBuilder *b, IocAlertEngine *self, gint64 now_us)
{
  gint32 today = ioc_calendar_day_of (now_us);
  gint64 hk = ioc_alert_history_hour_key (now_us);
  json_builder_begin_array (b);
  for (guint i = 0; self->rules && i < self->rules->rules->len; i++)
    {
      const IocAlertRule *r = g_ptr_array_index (self->rules->rules, i);
      guint n = 0, n_influx = 0;
      if (r->kind == IOC_ALERT_KIND_SPIKE_UNIT)
        n = ioc_alert_history_unit_samples (self, NULL, today, r->baseline_weeks, NULL, &n_influx);
      else if (r->kind == IOC_ALERT_KIND_SPIKE_PROVINCE)
        n = ioc_alert_history_hour_samples (self, hk, r->baseline_weeks, NULL, &n_influx);
      else
        continue;
      json_builder_begin_object (b);
      ioc_json_string (b, "rule", r->name);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (
          b, n < (guint) r->min_history ? "fallback" : ioc_alert_history_baseline_source (n, n_influx));
      ioc_json_int (b, "samples", n);
      ioc_json_int (b, "from_influxdb", n_influx);
      ioc_json_int (b, "min_history", r->min_history);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static JsonNode *
alerts_json (IocAlertEngine *self, gboolean with_resolved, gboolean with_diagnostics)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (all, v);
  if (with_resolved)
    for (GList *l = self->recent->head; l; l = l->next)
      g_ptr_array_add (all, l->data);
  g_ptr_array_sort (all, cmp_inst_id);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_begin_array (b, "alerts");
  for (guint i = 0; i < all->len; i++)
    {
      IocAlertInst *in = g_ptr_array_index (all, i);
      IocAlert a;
      ioc_alert_lifecycle_fill (self, in, &a);
      /* As of the last evaluation: the engine has no clock of its own. */
      a.is_silenced = ioc_alert_lifecycle_is_silenced (self, in->rule, in->scope, self->last_eval_us);
      json_builder_begin_object (b);
      build_alert_members (b, &a);
      g_autofree gchar *unit = inst_unit (self, in);
      ioc_json_string (b, "unit", unit);
      ioc_json_string (b, "unit_name",
                              unit != NULL && self->unit_name != NULL ? self->unit_name (unit, self->unit_name_data)
                                                                      : NULL);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (!with_diagnostics)
    {
      json_builder_end_object (b);
      return json_builder_get_root (b);
    }
  ioc_json_begin_array (b, "stale_units");
  g_autoptr (GList) units = g_hash_table_get_keys (self->today);
  units = g_list_sort (units, (GCompareFunc) g_strcmp0);
  for (GList *l = units; l; l = l->next)
    if (ioc_alert_engine_unit_is_stale (self, l->data))
      json_builder_add_string_value (b, l->data);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "baselines");
  build_baselines (b, self, MAX (self->last_eval_us, self->started_us));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
ioc_alert_engine_alerts_json (IocAlertEngine *self, gboolean with_resolved)
{
  return alerts_json (self, with_resolved, TRUE);
}

JsonNode *
ioc_alert_engine_active_alerts_json (IocAlertEngine *self)
{
  return alerts_json (self, FALSE, FALSE);
}

void
ioc_alert_json_silence_texts (JsonBuilder *b, const IocAlertSilence *s)
{
  ioc_json_string (b, "id", s->id);
  ioc_json_string (b, "rule", s->rule);
  ioc_json_string (b, "scope", s->scope);
  ioc_json_string (b, "by", s->by);
  ioc_json_string (b, "comment", s->comment);
}

JsonNode *
ioc_alert_engine_silences_json (IocAlertEngine *self, gint64 now_us)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_begin_array (b, "silences");
  for (guint i = 0; i < self->silences->len; i++)
    {
      IocAlertSilence *s = g_ptr_array_index (self->silences, i);
      if (s->expires_us <= now_us)
        continue;
      json_builder_begin_object (b);
      ioc_alert_json_silence_texts (b, s);
      ioc_json_time (b, "created_at", s->created_us);
      ioc_json_time (b, "expires_at", s->expires_us);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

GPtrArray *
ioc_alert_engine_active_keys (IocAlertEngine *self)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      IocAlertInst *i = v;
      g_ptr_array_add (out, g_strdup_printf ("%s:%s", i->key, ioc_alert_state_name (i->state)));
    }
  g_ptr_array_sort (out, ioc_keys_cmp);
  return out;
}
