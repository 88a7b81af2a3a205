/* hub-reload.c — the hub's reference data (unit registry, calendars,
 * procedures) and declared inventory: loaded at start, checked by
 * `iochub --check`, and swapped whole by a reload (SIGHUP) only once every
 * part of the new config is good.  Main context. */
#include "hub-internal.h"

#include "model/inventory.h"
#include "protocol/ioc-error.h"

void
ioc_hub_http_limits (const IocHubConfig *config, IocHttpLimits *l)
{
  *l = (IocHttpLimits) {
    .header_timeout_us = config->http_header_timeout_us,
    .idle_timeout_us = config->http_idle_timeout_us,
    .max_connections = (guint) config->http_max_connections,
    .max_per_client = (guint) config->http_max_per_client,
    .fd_reserve = (guint) config->http_fd_reserve,
    .max_body = (gsize) config->http_max_body,
  };
}

gboolean
ioc_hub_load_reference (IocHubConfig *config, IocUnitRegistry **units, IocCalendar **calendar, IocProcedures **procs,
                GError **error)
{
  *units = ioc_units_load (config->units_path, error);
  if (*units == NULL)
    {
      g_prefix_error (error, "%s: [hub] units: ", config->path);
      return FALSE;
    }
  if (config->calendar_paths == NULL || config->calendar_paths[0] == NULL)
    {
      /* No holidays known: deadlines count weekends only.  Say so once. */
      static const gchar fallback[] = "[calendar]\nweekend = sat,sun\n";
      g_warning ("%s: [hub] calendar is empty: deadlines skip weekends but no public holidays", config->path);
      *calendar = ioc_calendar_load_data ("(built-in weekends-only calendar)", fallback, sizeof fallback - 1, error);
    }
  else
    *calendar = ioc_calendar_load ((const gchar *const *) config->calendar_paths, error);
  if (*calendar == NULL)
    {
      g_prefix_error (error, "%s: [hub] calendar: ", config->path);
      return FALSE;
    }
  *procs = NULL;
  if (config->procedures_path != NULL)
    {
      *procs = ioc_procedures_load (config->procedures_path, error);
      if (*procs == NULL)
        {
          g_prefix_error (error, "%s: [hub] procedures: ", config->path);
          return FALSE;
        }
    }
  return TRUE;
}

/* The declared connectors ([hub] connectors), read whole: one broken file
 * refuses the start or the reload, every problem named.  *out stays NULL
 * when no folder is configured (then what is heard is what is expected). */
gboolean
ioc_hub_load_inventory (const IocHubConfig *config, GPtrArray **out, GError **error)
{
  *out = NULL;
  if (config->connectors_dir == NULL)
    return TRUE;
  *out = ioc_inventory_load (config->connectors_dir, error);
  if (*out == NULL)
    g_prefix_error (error, "%s: [hub] connectors:\n", config->path);
  return *out != NULL;
}

/* Hands the inventory to device health.  A connector of another province,
 * or of a unit another hub owns, is not this hub's to expect; a portal
 * without a unit of its own counts under the province. */
void
ioc_hub_apply_inventory (IocHub *self, const IocHubConfig *config, GPtrArray *list)
{
  ioc_device_health_set_cadence (self->devices, config->connector_cadence_us);
  ioc_device_health_set_max_per_unit (self->devices, config->max_devices_per_unit);
  if (list == NULL)
    return;
  g_autoptr (GArray) decls = g_array_new (FALSE, FALSE, sizeof (IocDeclaredConnector));
  g_autofree gchar *province_unit = g_strconcat ("tinh-", config->province, NULL);
  guint foreign = 0;
  for (guint i = 0; i < list->len; i++)
    {
      const IocConnectorDecl *c = list->pdata[i];
      IocDeclaredConnector d = { .device = c->device, .unit = c->unit ? c->unit : province_unit };
      gboolean portal = g_str_equal (c->kind, "portal");
      if (!g_str_equal (c->province, config->province)
          || (config->unit_filters != NULL && !portal && !g_strv_contains ((const gchar *const *) config->unit_filters, d.unit))
          || !ioc_kind_from_string (c->kind, strlen (c->kind), &d.kind))
        {
          foreign++;
          continue;
        }
      g_array_append_val (decls, d);
    }
  ioc_device_health_set_inventory (self->devices, (const IocDeclaredConnector *) decls->data, decls->len,
                                   ioc_clock_now (self->clock));
  g_message ("connectors: %u declared in %s%s", decls->len, config->connectors_dir,
             foreign ? " (and some of another province or hub, not expected here)" : "");
}

/* Every registry code when the hub takes the whole province, or the units
 * it owns; mqtt-client.h says how they spread over the sessions. */
void
ioc_hub_subscribe_units (IocHub *self)
{
  g_autoptr (GPtrArray) codes = self->config->unit_filters ? NULL : ioc_units_codes (self->units);
  const gchar *const *units = codes ? (const gchar *const *) codes->pdata : (const gchar *const *) self->config->unit_filters;
  guint n = codes ? codes->len : g_strv_length (self->config->unit_filters);
  ioc_mqtt_client_subscribe_units (self->mqtt, self->config->province, units, n, codes != NULL);
}

/* The settings a reload changes in place in the running config: strings and
 * lists are swapped with fresh's (the old ones are freed with it), numbers
 * copied. */
static void
adopt_settings (IocHub *self, IocHubConfig *fresh)
{
  gchar *old_dir = self->config->connectors_dir;
  self->config->connectors_dir = g_steal_pointer (&fresh->connectors_dir);
  fresh->connectors_dir = old_dir;
  self->config->connector_cadence_us = fresh->connector_cadence_us;
  self->config->max_devices_per_unit = fresh->max_devices_per_unit;
  self->config->forget_devices_after_us = fresh->forget_devices_after_us;
  /* Dossiers finishing from now on are kept for the new time; those already
   * finished keep the drop time they were given. */
  self->config->keep_finished_dossiers_us = fresh->keep_finished_dossiers_us;
  self->config->remember_dropped_dossiers_us = fresh->remember_dropped_dossiers_us;
  ioc_dossier_tracker_set_retention (self->dossiers, fresh->keep_finished_dossiers_us,
                                     fresh->remember_dropped_dossiers_us);
  ioc_device_health_set_max_per_unit (self->devices, fresh->max_devices_per_unit);
  /* The scorecard's weights and targets: the book lets go of the old ones
   * (and of every result computed with them) before they are freed. */
  IocScoreConfig *old_score = self->config->scorecard;
  gchar *old_score_path = self->config->scorecard_path;
  self->config->scorecard = g_steal_pointer (&fresh->scorecard);
  self->config->scorecard_path = g_steal_pointer (&fresh->scorecard_path);
  fresh->scorecard = old_score;
  fresh->scorecard_path = old_score_path;
  ioc_score_book_set_config (self->score, self->config->scorecard);
  /* Screen and operator tokens are revocable in the config: the lists are
   * swapped in place, so every reader of the config sees the new ones from
   * now on. */
  gchar **old = self->config->display_tokens;
  self->config->display_tokens = g_steal_pointer (&fresh->display_tokens);
  fresh->display_tokens = old;
  old = self->config->operator_tokens;
  self->config->operator_tokens = g_steal_pointer (&fresh->operator_tokens);
  fresh->operator_tokens = old;
  /* What HTTP clients may take applies to the next connections. */
  self->config->http_header_timeout_us = fresh->http_header_timeout_us;
  self->config->http_idle_timeout_us = fresh->http_idle_timeout_us;
  self->config->http_max_connections = fresh->http_max_connections;
  self->config->http_max_per_client = fresh->http_max_per_client;
  self->config->http_max_feed_clients = fresh->http_max_feed_clients;
  self->config->http_fd_reserve = fresh->http_fd_reserve;
  self->config->http_max_body = fresh->http_max_body;
  /* The communes' map: its path (checked with the rest of the file) is
   * swapped; the API reads the file again in its reload. */
  gchar *old_map = self->config->commune_map;
  self->config->commune_map = g_steal_pointer (&fresh->commune_map);
  fresh->commune_map = old_map;
}

gboolean
ioc_hub_reload (IocHub *self, GError **error)
{
  /* Parse and validate everything first; swap only when all of it is good:
   * a reload never throws state away.  Journal, windows, dossiers and alerts
   * are kept. */
  g_autoptr (IocHubConfig) fresh = ioc_hub_config_load (self->config->path, error);
  if (fresh == NULL)
    return FALSE;
  IocUnitRegistry *units = NULL;
  IocCalendar *calendar = NULL;
  IocProcedures *procs = NULL;
  g_autoptr (GPtrArray) inventory = NULL;
  if (!ioc_hub_load_reference (fresh, &units, &calendar, &procs, error) || !ioc_hub_load_inventory (fresh, &inventory, error))
    {
      g_clear_pointer (&units, ioc_units_free);
      g_clear_pointer (&calendar, ioc_calendar_free);
      g_clear_pointer (&procs, ioc_procedures_free);
      return FALSE;
    }
  ioc_dossier_tracker_set_calendar (self->dossiers, calendar, procs);
  ioc_units_free (self->units);
  ioc_calendar_free (self->calendar);
  if (self->procedures != NULL)
    ioc_procedures_free (self->procedures);
  self->units = units;
  self->calendar = calendar;
  self->procedures = procs;
  if (self->mqtt != NULL)
    ioc_hub_subscribe_units (self); /* new units' filters */
  /* The declared connectors: added ones are expected from now on, removed
   * ones no longer are. */
  ioc_hub_apply_inventory (self, fresh, inventory);
  guint n_display = fresh->display_tokens ? g_strv_length (fresh->display_tokens) : 0;
  guint n_operator = fresh->operator_tokens ? g_strv_length (fresh->operator_tokens) : 0;
  adopt_settings (self, fresh);
  IocHttpLimits limits;
  ioc_hub_http_limits (self->config, &limits);
  ioc_http_server_set_limits (self->http, &limits);
  g_message ("reload: %s: %u units, calendar and procedures reloaded; %u display and %u operator token(s)",
             fresh->path, ioc_units_size (units), n_display, n_operator);
  g_autofree gchar *waiting = ioc_hub_config_restart_changes (self->config, fresh);
  if (waiting != NULL)
    g_warning ("reload: %s: changed, but a reload does not apply it (restart the hub to): %s", fresh->path,
               waiting);
  FOREACH_SINK (self, sink)
    if (sink->vt->reload != NULL)
      sink->vt->reload (sink->self);
  return TRUE;
}

gboolean
ioc_hub_check (const gchar *config_path, GString *report, GError **error)
{
  g_autoptr (IocHubConfig) config = ioc_hub_config_load (config_path, error);
  if (config == NULL)
    return FALSE;
  IocUnitRegistry *units = NULL;
  IocCalendar *calendar = NULL;
  IocProcedures *procs = NULL;
  g_autoptr (GPtrArray) inventory = NULL;
  gboolean ok = ioc_hub_load_reference (config, &units, &calendar, &procs, error) && ioc_hub_load_inventory (config, &inventory, error);
  if (ok)
    g_string_append_printf (report, "%s: OK (province %s, hub %s, %u registry entries, %u calendar file(s)%s)\n",
                            config_path, config->province, config->hub_id, ioc_units_size (units),
                            g_strv_length (config->calendar_paths), procs ? ", procedures" : "");
  if (ok && inventory != NULL)
    g_string_append_printf (report, "%s: %u declared connector(s)\n", config->connectors_dir, inventory->len);
  g_clear_pointer (&units, ioc_units_free);
  g_clear_pointer (&calendar, ioc_calendar_free);
  g_clear_pointer (&procs, ioc_procedures_free);
  return ok;
}
