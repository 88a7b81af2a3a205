/* hub-access.c — what the API, the alerts and federation reach the hub
 * through (hub.h): reads of the stages' state, publishing, routes and
 * sinks.  The stages stay the hub's; these functions hand out answers, not
 * pointers (hub-private.h's view is the tests' exception).  Main context. */
#include "hub-internal.h"

const IocHubView *
ioc_hub_view (IocHub *self)
{
  self->view.config = self->config;
  self->view.clock = self->clock;
  self->view.units = self->units;
  self->view.calendar = self->calendar;
  self->view.rollup = self->rollup;
  self->view.dossiers = self->dossiers;
  self->view.devices = self->devices;
  self->view.dedup = self->dedup;
  self->view.deadletter = self->deadletter;
  self->view.mqtt = self->mqtt;
  self->view.http = self->http;
  return &self->view;
}

const IocHubConfig *
ioc_hub_config (IocHub *self)
{
  return self->config;
}

gint64
ioc_hub_now (IocHub *self)
{
  return ioc_clock_now (self->clock);
}

const IocCalendar *
ioc_hub_calendar (IocHub *self)
{
  return self->calendar;
}

const IocUnit *
ioc_hub_unit_lookup (IocHub *self, const gchar *code, gint64 at_us)
{
  return ioc_units_lookup (self->units, code, at_us);
}

GPtrArray *
ioc_hub_units_current (IocHub *self, gint64 now_us)
{
  return ioc_units_current (self->units, now_us);
}

gboolean
ioc_hub_live (IocHub *self, IocMeasurement m, const gchar *unit, guint8 channel, gint64 now_us, IocPoint *out)
{
  return ioc_rollup_live (self->rollup, m, unit, channel, now_us, out);
}

gboolean
ioc_hub_queue_today (IocHub *self, const gchar *unit, gint64 now_us, gboolean with_waiting, IocQueueToday *out)
{
  gboolean any = ioc_queue_stats_today (self->queue_stats, unit, now_us, out);
  if (with_waiting)
    any = ioc_queue_stats_waiting (self->queue_stats, unit, now_us, out) || any;
  return any;
}

gboolean
ioc_hub_dossier_indicators (IocHub *self, const gchar *unit, IocPeriod period, gint64 now_us,
                            IocDossierIndicators *out)
{
  return ioc_dossier_tracker_indicators (self->dossiers, unit, period, now_us, out);
}

void
ioc_hub_foreach_dossier_unit (IocHub *self, void (*fn) (const gchar *unit, gpointer), gpointer user_data)
{
  ioc_dossier_tracker_foreach_unit (self->dossiers, fn, user_data);
}

void
ioc_hub_set_overdue_func (IocHub *self, IocDossierOverdueFunc fn, gpointer user_data)
{
  ioc_dossier_tracker_set_overdue_func (self->dossiers, fn, user_data);
}

IocScoreResult *
ioc_hub_scorecard (IocHub *self, const IocScorePeriod *period, GError **error)
{
  g_autoptr (GPtrArray) current = ioc_units_current (self->units, ioc_clock_now (self->clock));
  g_autoptr (GPtrArray) codes = g_ptr_array_new ();
  for (guint i = 0; i < current->len; i++)
    g_ptr_array_add (codes, (gpointer) ((const IocUnit *) g_ptr_array_index (current, i))->code);
  g_ptr_array_add (codes, NULL);
  return ioc_score_book_compute (self->score, self->dossiers, period, ioc_clock_now (self->clock),
                                 (const gchar *const *) codes->pdata, error);
}

gboolean
ioc_hub_device_summary (IocHub *self, const gchar *unit, gint64 now_us, IocDeviceSummary *out)
{
  return ioc_device_health_summary (self->devices, unit, now_us, out);
}

GHashTable *
ioc_hub_device_summaries (IocHub *self, gint64 now_us)
{
  return ioc_device_health_summaries (self->devices, now_us);
}

void
ioc_hub_foreach_connector (IocHub *self, gint64 now_us, IocConnectorInfoFunc fn, gpointer user_data)
{
  ioc_device_health_foreach_connector (self->devices, now_us, fn, user_data);
}

void
ioc_hub_foreach_dedup_device (IocHub *self, IocDedupInfoFunc fn, gpointer user_data)
{
  ioc_dedup_foreach_info (self->dedup, fn, user_data);
}

gint64
ioc_hub_dedup_missing_total (IocHub *self)
{
  return ioc_dedup_missing_total (self->dedup);
}

gint64
ioc_hub_dedup_duplicates_total (IocHub *self)
{
  return ioc_dedup_duplicates_total (self->dedup);
}

gint64
ioc_hub_dedup_resets_total (IocHub *self)
{
  return ioc_dedup_resets_total (self->dedup);
}

gint64
ioc_hub_dedup_remapped_total (IocHub *self)
{
  return ioc_dedup_remapped_total (self->dedup);
}

void
ioc_hub_foreach_deadletter_device (IocHub *self, IocDeadLetterDeviceFunc fn, gpointer user_data)
{
  ioc_deadletter_foreach_device (self->deadletter, fn, user_data);
}

gint64
ioc_hub_deadletter_total (IocHub *self)
{
  return ioc_deadletter_total (self->deadletter);
}

gboolean
ioc_hub_mqtt_is_connected (IocHub *self)
{
  return self->mqtt != NULL && ioc_mqtt_client_is_connected (self->mqtt);
}

gboolean
ioc_hub_publish (IocHub *self, const gchar *topic, const void *payload, gsize len, gint qos, gboolean retained)
{
  return self->mqtt != NULL && ioc_mqtt_client_publish (self->mqtt, topic, payload, len, qos, retained);
}

gboolean
ioc_hub_write_lines (IocHub *self, const gchar *lines, gsize len)
{
  if (self->influx == NULL)
    return FALSE;
  ioc_influx_sink_append_lines (self->influx, lines, len);
  return TRUE;
}

void
ioc_hub_capture_publishes (IocHub *self, IocMqttCaptureFunc fn, gpointer user_data)
{
  g_return_if_fail (!self->started && self->mqtt != NULL);
  ioc_mqtt_client_capture (self->mqtt, fn, user_data);
}

void
ioc_hub_add_route (IocHub *self, const gchar *path, SoupServerCallback handler, gpointer user_data)
{
  ioc_http_server_route (self->http, path, handler, user_data);
}

IocHttpServer *
ioc_hub_http_server (IocHub *self)
{
  return self->http;
}

