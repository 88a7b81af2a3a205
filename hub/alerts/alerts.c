/* alerts.c — wires the alert engine to the hub (see alerts.h).
 *
 * Where it sits: an observer of the hub.  Once per hub tick (main context,
 * after the rollup ticked) it reads what the engine needs through the hub's
 * read functions (hub.h) — each unit's dossier indicators for today, every connector's
 * last-seen and state (device health), seq gaps of the portal connectors
 * (dedup) — then evaluates the rules and saves the store when it changed.
 * Minute points feed the threshold rules.  Notifications are published
 * retained through the hub's MQTT client; a publish that the client does not
 * take (not connected yet, e.g. the resolves owed at start) is kept, latest
 * per topic, and sent again on a later tick.  The webhook runs on
 * alert-notify's worker thread.  Everything here runs on the main context.
 *
 * Saved before sent: the engine's notifications are held until the store
 * that records them is on disk (release_held), so a SIGKILL between the
 * two never hands out an alert id again or pages a firing alert twice. */
#include "alerts/alerts.h"

#include <string.h>

#include "alerts/alert-api.h"
#include "alerts/alert-engine.h"
#include "alerts/alert-notify.h"
#include "alerts/alert-rules.h"
#include "alerts/alert-store.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-json.h"
#include "protocol/ioc-stats.h"
#include "protocol/ioc-time.h"
#include "sinks/influx-query.h"

/* A cold start waits at most this long per InfluxDB query (two queries). */
#define IOC_ALERTS_INFLUX_TIMEOUT_US (10 * G_USEC_PER_SEC)

/* Saving is an fsync'd rewrite: at most this often for automatic changes
 * (an operator's ack or silence is saved at once). */
#define IOC_ALERTS_SAVE_INTERVAL_US (2 * G_USEC_PER_SEC)

struct _IocAlerts
{
  IocHub *hub;
  IocAlertRules *rules;
  IocAlertEngine *engine;
  IocAlertNotify *notify;
  IocAlertApi api;
  gchar *store_path;
  GHashTable *owed; /* topic → payload not yet taken by the MQTT client */
  gboolean dirty;
  gint64 last_save_us;
  gint64 now_us;    /* during a tick */
  GHashTable *gaps; /* "portal/device" → missing seqs, during a tick */
  GPtrArray *held;  /* of HeldAlert: notified by the engine, not sent until saved */
  gchar *webhook_started; /* the [alerts] settings the notifier took at start */
  IocStat *stat_evaluations;
};

/* A notification as the engine gave it, its strings copied: the engine's
 * are borrowed for the callback only. */
typedef struct
{
  IocAlert alert;
  gboolean page;
  GStringChunk *strings;
} HeldAlert;

static void
held_alert_free (gpointer data)
{
  HeldAlert *h = data;
  g_string_chunk_free (h->strings);
  g_free (h);
}

static const gchar *
held_str (HeldAlert *h, const gchar *s)
{
  return s != NULL ? g_string_chunk_insert (h->strings, s) : NULL;
}

/* The engine's IocAlertFunc. */
static void
hold_alert (const IocAlert *alert, gboolean should_page, gpointer data)
{
  IocAlerts *self = data;
  HeldAlert *h = g_new0 (HeldAlert, 1);
  h->strings = g_string_chunk_new (256);
  h->alert = *alert;
  h->page = should_page;
  h->alert.id = held_str (h, alert->id);
  h->alert.rule = held_str (h, alert->rule);
  h->alert.scope = held_str (h, alert->scope);
  h->alert.kind = held_str (h, alert->kind);
  h->alert.summary = held_str (h, alert->summary);
  h->alert.summary_en = held_str (h, alert->summary_en);
  h->alert.detail = held_str (h, alert->detail);
  h->alert.group = held_str (h, alert->group);
  h->alert.acked_by = held_str (h, alert->acked_by);
  h->alert.ack_note = held_str (h, alert->ack_note);
  g_ptr_array_add (self->held, h);
}

static gboolean
publish_cb (const gchar *topic, const gchar *payload, gsize len, gboolean retained, gpointer data)
{
  IocAlerts *self = data;
  if (ioc_hub_mqtt_is_connected (self->hub) && ioc_hub_publish (self->hub, topic, payload, len, 1, retained))
    {
      g_hash_table_remove (self->owed, topic);
      return TRUE;
    }
  /* Retained state: only the latest per topic matters. */
  g_hash_table_replace (self->owed, g_strdup (topic), g_strndup (payload, len));
  return FALSE;
}

static void
flush_owed (IocAlerts *self)
{
  if (g_hash_table_size (self->owed) == 0 || !ioc_hub_mqtt_is_connected (self->hub))
    return;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->owed);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (ioc_hub_publish (self->hub, k, v, strlen (v), 1, TRUE))
      g_hash_table_iter_remove (&it);
}

static gboolean
save (IocAlerts *self, gint64 now_us)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = ioc_alert_store_save (self->engine, self->store_path, &error);
  if (!ok)
    g_warning ("alerts: %s", error->message);
  self->dirty = FALSE;
  self->last_save_us = now_us;
  return ok;
}

/* The [alerts] settings the notifier works with, as one string to compare. */
static gchar *
webhook_settings (const IocAlertRules *r)
{
  return g_strdup_printf ("%s\n%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT,
                          r->webhook_url ? r->webhook_url : "", r->webhook_token ? r->webhook_token : "",
                          r->webhook_timeout_us, r->webhook_attempts, r->retry_min_us, r->retry_max_us);
}

/* Saves the store if any notification waits for it, then sends them in
 * the engine's order. */
static void
release_held (IocAlerts *self, gint64 now_us)
{
  if (self->held->len == 0)
    return;
  /* An alert is still sent when the store cannot be written (a full
   * disk): a page matters more than the promise not to repeat it. */
  if (!save (self, now_us))
    g_warning ("alerts: sending %u notification(s) that the store could not record: after a restart they "
               "may be sent again",
               self->held->len);
  for (guint i = 0; i < self->held->len; i++)
    {
      HeldAlert *h = g_ptr_array_index (self->held, i);
      ioc_alert_notify_alert (&h->alert, h->page, self->notify);
    }
  g_ptr_array_set_size (self->held, 0);
}

static void
unit_cb (const gchar *unit, gpointer data)
{
  IocAlerts *self = data;
  IocDossierIndicators ind;
  if (!ioc_hub_dossier_indicators (self->hub, unit, IOC_PERIOD_DAY, self->now_us, &ind))
    return;
  /* Dossiers due today ≈ those that went overdue today plus those still due
   * within a working day (docs/ALERTS.md: the share's denominator). */
  ioc_alert_engine_unit_day (self->engine, unit, self->now_us, ind.overdue_entered,
                             ind.overdue_entered + ind.due_soon, ind.open_overdue);
}

static void
gap_cb (const IocSeqDeviceInfo *d, gpointer data)
{
  IocAlerts *self = data;
  if (d->kind == IOC_KIND_PORTAL)
    g_hash_table_replace (self->gaps, g_strdup (d->device), GSIZE_TO_POINTER ((gsize) d->missing));
}

static void
connector_cb (const IocConnectorInfo *info, gpointer data)
{
  IocAlerts *self = data;
  IocAlertSource src = {
    .kind = ioc_kind_name (info->kind),
    .device = info->device,
    .unit = info->unit,
    .is_declared = info->is_declared,
    .is_offline = info->state == IOC_CONNECTOR_STATE_OFFLINE,
    .last_seen_us = info->last_seen_us,
    /* A portal declared for the provincial centre reports every unit's dossiers. */
    .serves_all = info->kind == IOC_KIND_PORTAL && (info->unit == NULL || g_str_has_prefix (info->unit, "tinh-")),
  };
  if (info->kind == IOC_KIND_PORTAL)
    src.missing_seqs = (gint64) GPOINTER_TO_SIZE (g_hash_table_lookup (self->gaps, info->device));
  ioc_alert_engine_source (self->engine, &src);
}

static void
overdue_cb (const gchar *dossier, const gchar *unit, gint64 overdue_us, gint sign, gpointer data)
{
  IocAlerts *self = data;
  ioc_alert_engine_dossier_overdue (self->engine, unit, dossier, overdue_us, sign);
}

static void
tick_cb (gpointer data, gint64 now_us)
{
  IocAlerts *self = data;
  self->now_us = now_us;
  /* Reference data may have been swapped by a reload: never keep it. */
  ioc_alert_engine_set_calendar (self->engine, ioc_hub_calendar (self->hub));
  ioc_hub_foreach_dossier_unit (self->hub, unit_cb, self);
  g_hash_table_remove_all (self->gaps);
  ioc_hub_foreach_dedup_device (self->hub, gap_cb, self);
  ioc_hub_foreach_connector (self->hub, now_us, connector_cb, self);
  if (ioc_alert_engine_evaluate (self->engine, now_us))
    self->dirty = TRUE;
  ioc_stat_add (self->stat_evaluations, 1);
  release_held (self, now_us);
  if (self->dirty && now_us - self->last_save_us >= IOC_ALERTS_SAVE_INTERVAL_US)
    save (self, now_us);
  flush_owed (self);
}

static void
point_cb (gpointer data, const IocPoint *point)
{
  IocAlerts *self = data;
  if (point->channel != 0)
    return;
  const gchar *m = ioc_measurement_name (point->measurement);
  for (guint f = 0; f < ioc_measurement_n_ints (point->measurement); f++)
    {
      gchar name[128];
      g_snprintf (name, sizeof name, "%s.%s", m, ioc_measurement_int_name (point->measurement, f));
      if (ioc_alert_engine_wants_metric (self->engine, name))
        /* A minute's point describes the minute that ended. */
        ioc_alert_engine_value (self->engine, name, point->unit, point->ts_us + G_TIME_SPAN_MINUTE,
                                (gdouble) point->ints[f]);
    }
}

static const IocHubConfig *
api_config (gpointer data)
{
  IocAlerts *self = data;
  return ioc_hub_config (self->hub);
}

static gint64
api_now (gpointer data)
{
  IocAlerts *self = data;
  return ioc_hub_now (self->hub);
}

static void
api_changed (gpointer data)
{
  IocAlerts *self = data;
  gint64 now = ioc_hub_now (self->hub);
  save (self, now);
  release_held (self, now);
}

static const gchar *
unit_name_cb (const gchar *unit, gpointer data)
{
  IocAlerts *self = data;
  const IocUnit *u = ioc_hub_unit_lookup (self->hub, unit, ioc_hub_now (self->hub));
  return u != NULL ? u->name : NULL;
}

static IocAlertRules *
load_rules (const IocHubConfig *config, GError **error)
{
  if (config->alerts_path == NULL || *config->alerts_path == '\0')
    return ioc_alert_rules_new_empty ();
  g_autoptr (GError) local = NULL;
  IocAlertRules *rules = ioc_alert_rules_load (config->alerts_path, &local);
  if (rules == NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [hub] alerts: %s", config->path, local->message);
      return NULL;
    }
  return rules;
}

/* ---- baselines from InfluxDB on a cold start ---- */

typedef struct
{
  IocAlertEngine *engine;
  gint64 now_us;
  gboolean hourly;
  guint days, hours;
} Import;

static void
import_row_cb (const gchar *measurement, GHashTable *tags, JsonArray *columns, JsonArray *row, gpointer data)
{
  Import *im = data;
  if (json_array_get_length (row) < 2 || json_node_is_null (json_array_get_element (row, 1)))
    return;
  gint64 t_us = json_array_get_int_element (row, 0) * G_USEC_PER_SEC;
  gint64 count = json_array_get_int_element (row, 1);
  if (im->hourly)
    {
      im->hours += ioc_alert_engine_import_hour (im->engine, t_us, count, im->now_us);
      return;
    }
  const gchar *unit = g_hash_table_lookup (tags, "unit");
  if (unit == NULL)
    return;
  /* The province series only says that the hub wrote on that day. */
  im->days += ioc_alert_engine_import_day (im->engine, g_str_equal (unit, "all") ? NULL : unit, t_us, count,
                                           im->now_us);
}

/* The hub's own history is short (first start, state lost): read the daily
 * newly-overdue count per unit and the province's hourly count of the last
 * weeks from the minute points this hub wrote (SPEC §6: ioc_dossier,
 * summed over the channel series; tags province and hub).  Blocking, at
 * start-up only; on any failure the rules state their fallback. */
static void
import_influx_baselines (IocAlerts *self, const IocHubConfig *config, gint64 now_us)
{
  gint64 weeks = ioc_alert_engine_history_weeks (self->engine, now_us);
  if (weeks == 0 || config->influx_url == NULL || *config->influx_url == '\0')
    return;
  g_autoptr (IocInfluxQuery) q = ioc_influx_query_new (config->influx_url, config->influx_database,
                                                       config->influx_username, config->influx_password);
  ioc_influx_query_set_timeout (q, IOC_ALERTS_INFLUX_TIMEOUT_US);
  gint64 today_start = ioc_calendar_day_start (ioc_calendar_day_of (now_us));
  gint64 from_s = (today_start - weeks * 7 * G_TIME_SPAN_DAY) / G_USEC_PER_SEC;
  gint64 to_s = today_start / G_USEC_PER_SEC;
  g_autofree gchar *province = ioc_influx_query_quote (config->province);
  g_autofree gchar *hub_id = ioc_influx_query_quote (config->hub_id);
  /* Local days: InfluxDB's days start at midnight UTC, Vietnam's at 17:00
   * UTC the day before (no DST): offset the buckets by that much. */
  gint64 midnight_h = (G_TIME_SPAN_DAY - IOC_TIME_LOCAL_OFFSET_US) / G_TIME_SPAN_HOUR;
  g_autofree gchar *daily = g_strdup_printf (
      "SELECT sum(\"overdue_entered\") FROM \"ioc_dossier\" WHERE \"province\" = %s AND \"hub\" = %s "
      "AND time >= %" G_GINT64_FORMAT "s AND time < %" G_GINT64_FORMAT "s "
      "GROUP BY time(1d, %" G_GINT64_FORMAT "h), \"unit\" fill(none)",
      province, hub_id, from_s, to_s, midnight_h);
  g_autofree gchar *hourly = g_strdup_printf (
      "SELECT sum(\"overdue_entered\") FROM \"ioc_dossier\" WHERE \"province\" = %s AND \"hub\" = %s "
      "AND \"unit\" = 'all' AND time >= %" G_GINT64_FORMAT "s AND time < %" G_GINT64_FORMAT "s "
      "GROUP BY time(1h) fill(none)",
      province, hub_id, from_s, to_s);
  Import im = { .engine = self->engine, .now_us = now_us };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) days = ioc_influx_query_run (q, daily, &error);
  if (days == NULL || !ioc_influx_query_foreach_row (days, import_row_cb, &im, &error))
    {
      g_warning ("alerts: baselines from InfluxDB %s: %s; rules use their own history or the fallback",
                 config->influx_url, error->message);
      return;
    }
  im.hourly = TRUE;
  g_autoptr (JsonNode) hours = ioc_influx_query_run (q, hourly, &error);
  if (hours == NULL || !ioc_influx_query_foreach_row (hours, import_row_cb, &im, &error))
    g_warning ("alerts: hourly baselines from InfluxDB %s: %s", config->influx_url, error->message);
  g_message ("alerts: too little history of its own; %u unit-days and %u hours of the last %" G_GINT64_FORMAT
             " weeks taken from InfluxDB",
             im.days, im.hours, weeks);
  self->dirty = TRUE;
}

/* The engine reads the hub on every tick and takes the minute points; its
 * owner (hub/main.c) frees it, so no free here. */
static const IocSinkVTable alerts_sink = {
  .name = "alerts",
  .point = point_cb,
  .tick = tick_cb,
};

IocAlerts *
ioc_alerts_attach (IocHub *hub, GError **error)
{
  g_return_val_if_fail (hub != NULL, NULL);
  const IocHubConfig *config = ioc_hub_config (hub);
  g_autoptr (IocAlertRules) rules = load_rules (config, error);
  if (rules == NULL)
    return NULL;

  IocAlerts *self = g_new0 (IocAlerts, 1);
  self->hub = hub;
  self->rules = g_steal_pointer (&rules);
  self->owed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->gaps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->held = g_ptr_array_new_with_free_func (held_alert_free);
  self->stat_evaluations = ioc_stat ("iochub_alert_evaluations_total", NULL, IOC_STAT_COUNTER,
                                     "Rounds of alert rule evaluation (one a hub tick)");
  IocAlertNotifyOptions nopts = {
    .province = config->province,
    .webhook_url = self->rules->webhook_url,
    .webhook_token = self->rules->webhook_token,
    .webhook_timeout_us = self->rules->webhook_timeout_us,
    .retry_min_us = self->rules->retry_min_us,
    .retry_max_us = self->rules->retry_max_us,
    .webhook_attempts = (guint) self->rules->webhook_attempts,
  };
  self->notify = ioc_alert_notify_new (&nopts, publish_cb, self);
  self->webhook_started = webhook_settings (self->rules);
  gint64 now = ioc_hub_now (hub);
  self->engine = ioc_alert_engine_new (self->rules, ioc_hub_calendar (hub), now, hold_alert, self);
  ioc_alert_engine_set_unit_names (self->engine, unit_name_cb, self);
  self->store_path = g_build_filename (config->state_dir, IOC_ALERT_STORE_FILE, NULL);
  g_autoptr (GError) local = NULL;
  if (!ioc_alert_store_load (self->engine, self->store_path, &local))
    g_warning ("alerts: %s; starting without alert history", local->message);
  self->last_save_us = now;
  import_influx_baselines (self, config, now);

  self->api = (IocAlertApi){ .engine = self->engine, .config = api_config, .now = api_now,
                             .changed = api_changed, .data = self };
  ioc_alert_api_register (ioc_hub_http_server (hub), &self->api);
  ioc_hub_add_sink (hub, &alerts_sink, self);
  ioc_hub_set_overdue_func (hub, overdue_cb, self);
  g_info ("alerts: %u rules from %s", self->rules->rules->len,
          config->alerts_path ? config->alerts_path : "(none)");
  return self;
}

gboolean
ioc_alerts_check (const gchar *config_path, GString *report, GError **error)
{
  g_autoptr (IocHubConfig) config = ioc_hub_config_load (config_path, error);
  if (config == NULL)
    return FALSE;
  if (config->alerts_path == NULL || *config->alerts_path == '\0')
    {
      g_string_append_printf (report, "%s: no [hub] alerts: no alert rules\n", config_path);
      return TRUE;
    }
  g_autoptr (IocAlertRules) rules = load_rules (config, error);
  if (rules == NULL)
    return FALSE;
  g_string_append_printf (report, "%s: OK (%u alert rules%s)\n", config->alerts_path, rules->rules->len,
                          rules->webhook_url != NULL ? ", webhook" : "");
  return TRUE;
}

gboolean
ioc_alerts_reload (IocAlerts *self, GError **error)
{
  IocAlertRules *rules = load_rules (ioc_hub_config (self->hub), error);
  if (rules == NULL)
    return FALSE;
  /* Alerts of removed rules resolve at the next evaluation.  The webhook
   * settings apply from the next start (its worker took them): say so
   * rather than let a new URL be believed in use. */
  g_autofree gchar *webhook = webhook_settings (rules);
  if (g_strcmp0 (webhook, self->webhook_started) != 0)
    g_warning ("alerts: reload: %s: [alerts] changed, but a reload does not apply it (restart the hub to); "
               "the rules were reloaded",
               rules->path != NULL ? rules->path : "(no rule file)");
  ioc_alert_engine_set_rules (self->engine, rules);
  ioc_alert_rules_free (self->rules);
  self->rules = rules;
  return TRUE;
}

void
ioc_alerts_free (IocAlerts *self)
{
  if (self == NULL)
    return;
  /* The hub is freed first: nothing could be published from here.  Nothing
   * is held either: the tick or the API call that made a notification
   * releases it before returning. */
  g_warn_if_fail (self->held->len == 0);
  save (self, self->last_save_us);
  ioc_alert_engine_free (self->engine);
  ioc_alert_notify_free (self->notify);
  ioc_alert_rules_free (self->rules);
  g_hash_table_unref (self->owed);
  g_hash_table_unref (self->gaps);
  g_ptr_array_unref (self->held);
  g_free (self->webhook_started);
  g_free (self->store_path);
  g_free (self);
}

static gint64
iso_to_ms (JsonObject *o, const gchar *member)
{
  if (!json_object_has_member (o, member) || json_node_is_null (json_object_get_member (o, member)))
    return 0;
  const gchar *text = json_object_get_string_member (o, member);
  g_autoptr (GDateTime) dt = text ? g_date_time_new_from_iso8601 (text, NULL) : NULL;
  return dt ? g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000 : 0;
}

/* Member name of the engine's alert a, copied ("" when absent). */
static void
copy_str (JsonBuilder *b, JsonObject *a, const gchar *name)
{
  ioc_json_string (b, name, json_object_get_string_member_with_default (a, name, ""));
}

void
ioc_alerts_add_api_json (JsonBuilder *b, gint64 now_us, gpointer user_data)
{
  IocAlerts *self = user_data;
  g_autoptr (JsonNode) root = ioc_alert_engine_active_alerts_json (self->engine);
  JsonArray *list = json_object_get_array_member (json_node_get_object (root), "alerts");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *a = json_array_get_object_element (list, i);
      const gchar *scope = json_object_get_string_member_with_default (a, "scope", "");
      gint64 fired = iso_to_ms (a, "fired_at");
      json_builder_begin_object (b);
      copy_str (b, a, "id");
      copy_str (b, a, "rule");
      ioc_json_string (b, "scope", scope);
      /* The unit the engine says the alert is about (null: province-wide). */
      json_builder_set_member_name (b, "unit");
      json_builder_add_value (b, json_node_copy (json_object_get_member (a, "unit")));
      json_builder_set_member_name (b, "unit_name");
      json_builder_add_value (b, json_node_copy (json_object_get_member (a, "unit_name")));
      copy_str (b, a, "severity");
      copy_str (b, a, "state");
      ioc_json_int (b, "since_ms", fired ? fired : iso_to_ms (a, "started_at"));
      ioc_json_double (b, "value", json_object_get_double_member_with_default (a, "value", 0));
      ioc_json_string (b, "message", json_object_get_string_member_with_default (a, "summary", ""));
      /* The wall in English shows this one where the rule has it. */
      ioc_json_string (b, "message_en", json_object_get_string_member_with_default (a, "summary_en", NULL));
      JsonNode *ack = json_object_get_member (a, "ack");
      JsonObject *ack_o = ack && JSON_NODE_HOLDS_OBJECT (ack) ? json_node_get_object (ack) : NULL;
      ioc_json_string (b, "acked_by", ack_o != NULL ? json_object_get_string_member_with_default (ack_o, "by", "") : NULL);
      ioc_json_int_or_null (b, "acked_at_ms", ack_o != NULL, ack_o != NULL ? iso_to_ms (ack_o, "at") : 0);
      json_builder_end_object (b);
    }
}
