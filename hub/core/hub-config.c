/* hub-config.c — see hub-config.h. */
#include "hub-config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-keyfile.h"

static const gchar *const hub_keys[] = { "province", "id", "units", "calendar", "procedures", "state_dir",
                                         "alerts", "units_owned", "connectors", "connector_cadence", "max_devices_per_unit",
                                         "forget_devices_after", "keep_finished_dossiers",
                                         "remember_dropped_dossiers",
                                         "scorecard", NULL };
static const gchar *const mqtt_keys[] = { "url", "client_id", "username", "password", "qos", "keepalive",
                                          "sessions", "protocol", "receive_maximum", NULL };
static const gchar *const influx_keys[] = { "url", "database", "username", "password", "batch_size",
                                            "spool_max", "timeout", "gzip", "score_interval", NULL };
static const gchar *const http_keys[] = { "listen", "dashboard_dir", "display_tokens", "operator_tokens",
                                          "header_timeout", "idle_timeout", "max_connections",
                                          "max_connections_per_client", "max_feed_clients", "fd_reserve",
                                          "max_body", "commune_map", "series_minutes", NULL };
/* The keys a reload applies: the files it reads again (hub-reload.c) and
 * the settings it adopts (adopt_settings there).  Any other key waits for
 * a restart. */
static const gchar *const reloadable_keys[] = {
  "[hub] units", "[hub] calendar", "[hub] procedures", "[hub] connectors", "[hub] connector_cadence",
  "[hub] max_devices_per_unit", "[hub] forget_devices_after", "[hub] keep_finished_dossiers",
  "[hub] remember_dropped_dossiers", "[hub] scorecard", "[http] display_tokens", "[http] operator_tokens",
  "[http] header_timeout", "[http] idle_timeout", "[http] max_connections", "[http] max_connections_per_client",
  "[http] max_feed_clients", "[http] fd_reserve", "[http] max_body", "[http] commune_map", NULL
};
static const gchar *const windows_keys[] = { "live", "lateness", "horizon", "rewrite_back", NULL };
static const gchar *const journal_keys[] = { "segment_size", "sync_interval", "snapshot_interval",
                                             "snapshot_journal_size", "reserve_size", NULL };
static const gchar *const federation_keys[] = { "enabled", "national", "publish_interval", NULL };
static const gchar *const known_groups[] = { "hub", "mqtt", "influx", "http", "windows", "journal", "federation", NULL };

static const gchar *const *const group_keys[] = { hub_keys, mqtt_keys, influx_keys, http_keys, windows_keys,
                                                 journal_keys, federation_keys };
G_STATIC_ASSERT (G_N_ELEMENTS (group_keys) + 1 == G_N_ELEMENTS (known_groups));

const gchar *const *
ioc_hub_config_groups (void)
{
  return known_groups;
}

const gchar *const *
ioc_hub_config_keys (const gchar *group)
{
  for (guint i = 0; known_groups[i] != NULL; i++)
    if (g_strcmp0 (group, known_groups[i]) == 0)
      return group_keys[i];
  return NULL;
}

/* No value of hub.conf (paths, tokens, URLs, ids) may hold a control
 * character, which only a GKeyFile escape such as \n can put there.
 * Refused up front, every later message that quotes a value or names a
 * path stays on its one line. */
static gboolean
check_control_chars (IocKeyFile *kf, GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (kf->kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_auto (GStrv) keys = g_key_file_get_keys (kf->kf, groups[g], NULL, NULL);
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          g_autofree gchar *v = g_key_file_get_string (kf->kf, groups[g], keys[k], NULL);
          for (const guchar *p = (const guchar *) v; p != NULL && *p != '\0'; p++)
            if (*p < 0x20 || *p == 0x7f)
              {
                g_autofree gchar *quoted = ioc_keyfile_one_line (v);
                g_autofree gchar *key = ioc_keyfile_one_line (keys[k]);
                g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                             "%s:%u: [%s] %s: expected no control characters, got '%s'", kf->path,
                             ioc_keyfile_key_line (kf, groups[g], keys[k]), groups[g], key, quoted);
                return FALSE;
              }
        }
    }
  return TRUE;
}

static gchar *
resolve_path (const gchar *config_path, const gchar *value)
{
  if (value == NULL || value[0] == '\0')
    return NULL;
  if (g_path_is_absolute (value))
    return g_strdup (value);
  g_autofree gchar *dir = g_path_get_dirname (config_path);
  return g_build_filename (dir, value, NULL);
}

void
ioc_hub_config_free (IocHubConfig *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->province);
  g_free (self->hub_id);
  g_free (self->units_path);
  g_strfreev (self->calendar_paths);
  g_strfreev (self->restart_settings);
  g_free (self->procedures_path);
  g_free (self->state_dir);
  g_free (self->alerts_path);
  g_strfreev (self->unit_filters);
  g_free (self->mqtt_url);
  g_free (self->mqtt_client_id);
  g_free (self->mqtt_username);
  g_free (self->mqtt_password);
  g_free (self->influx_url);
  g_free (self->influx_database);
  g_free (self->influx_username);
  g_free (self->influx_password);
  g_free (self->http_listen);
  g_free (self->dashboard_dir);
  g_free (self->commune_map);
  g_strfreev (self->display_tokens);
  g_strfreev (self->operator_tokens);
  g_free (self->connectors_dir);
  g_free (self->scorecard_path);
  ioc_score_config_free (self->scorecard);
  g_free (self);
}

static gboolean
check_groups (IocKeyFile *kf, GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (kf->kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (!g_strv_contains (known_groups, groups[i]))
      {
        g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                     "%s: [%s]: unknown group (expected hub, mqtt, influx, http, windows, journal, federation)",
                     kf->path,
                     groups[i]);
        return FALSE;
      }
  return ioc_keyfile_check_keys (kf, "hub", hub_keys, error) && ioc_keyfile_check_keys (kf, "mqtt", mqtt_keys, error)
         && ioc_keyfile_check_keys (kf, "influx", influx_keys, error)
         && ioc_keyfile_check_keys (kf, "http", http_keys, error)
         && ioc_keyfile_check_keys (kf, "windows", windows_keys, error)
         && ioc_keyfile_check_keys (kf, "journal", journal_keys, error)
         && ioc_keyfile_check_keys (kf, "federation", federation_keys, error);
}

static gchar **
split_list (const gchar *value)
{
  if (value == NULL || value[0] == '\0')
    return NULL;
  gchar **parts = g_strsplit_set (value, ",;", -1);
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gchar *p = g_strstrip (parts[i]);
      if (p[0] != '\0')
        g_ptr_array_add (out, g_strdup (p));
    }
  g_strfreev (parts);
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

/* Long on purpose: one key after another in file order ([hub], [mqtt],
 * [influx], [http], [windows], [journal], [federation]), each checked and
 * refused where it is read, so the first error is the first in the file. */
/* [hub] province and id, [mqtt] client_id: who the hub is. */
static gboolean
load_identity (IocKeyFile *kf, IocHubConfig *c, GError **error)
{
  const gchar *path = kf->path;
  c->province = ioc_keyfile_string (kf, "hub", "province", NULL, TRUE, error);
  if (c->province == NULL)
    return FALSE;
  if (strlen (c->province) != 2 || !g_ascii_isdigit (c->province[0]) || !g_ascii_isdigit (c->province[1]))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [hub] province: expected a 2-digit province code (e.g. 40), got '%s'", path, c->province);
      return FALSE;
    }

  c->mqtt_client_id = ioc_keyfile_string (kf, "mqtt", "client_id", NULL, TRUE, error);
  if (c->mqtt_client_id == NULL)
    return FALSE;
  if (c->mqtt_client_id[0] == '\0' || strlen (c->mqtt_client_id) > 64)
    {
      /* A persistent session needs a stable, explicit id: a random one
       * silently makes every connect a new session. */
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [mqtt] client_id: expected a stable id of 1 to 64 characters (the broker keeps the "
                   "hub's session under it)", path);
      return FALSE;
    }
  c->hub_id = ioc_keyfile_string (kf, "hub", "id", c->mqtt_client_id, FALSE, error);
  for (const gchar *p = c->hub_id; *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_'))
      {
        g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                     "%s: [hub] id: expected letters, digits, '-' or '_', got '%s'", path, c->hub_id);
        return FALSE;
      }
  return TRUE;
}

/* How long the dossier tracker holds a finished dossier (so that a late
 * event for it, a 10 after a 9 or a reopen, is handled exactly) and then
 * remembers its id (so that a later event is ignored as stale instead of
 * counted as a new dossier).  Memory grows with both at a province's rate;
 * the tombstones are pruned by whole days, hence 0 or at least a day. */
static gboolean
load_dossier_retention (IocKeyFile *kf, IocHubConfig *c, GError **error)
{
  if (!ioc_keyfile_duration (kf, "hub", "keep_finished_dossiers", 3 * G_TIME_SPAN_DAY, G_TIME_SPAN_MINUTE,
                             366 * G_TIME_SPAN_DAY, &c->keep_finished_dossiers_us, error)
      || !ioc_keyfile_duration (kf, "hub", "remember_dropped_dossiers", 40 * G_TIME_SPAN_DAY, 0,
                                400 * G_TIME_SPAN_DAY, &c->remember_dropped_dossiers_us, error))
    return FALSE;
  if (c->remember_dropped_dossiers_us != 0 && c->remember_dropped_dossiers_us < G_TIME_SPAN_DAY)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s:%u: [hub] remember_dropped_dossiers: expected 0 (not at all) or a duration of at least 1d",
                   kf->path, ioc_keyfile_key_line (kf, "hub", "remember_dropped_dossiers"));
      return FALSE;
    }
  return TRUE;
}

/* The rest of [hub]: reference data, state, inventory, devices, scorecard. */
static gboolean
load_hub_group (IocKeyFile *kf, IocHubConfig *c, GError **error)
{
  const gchar *path = kf->path;
  g_autofree gchar *units = ioc_keyfile_string (kf, "hub", "units", NULL, TRUE, error);
  if (units == NULL)
    return FALSE;
  c->units_path = resolve_path (path, units);

  g_autofree gchar *state_dir = ioc_keyfile_string (kf, "hub", "state_dir", NULL, TRUE, error);
  if (state_dir == NULL)
    return FALSE;
  c->state_dir = resolve_path (path, state_dir);

  g_autofree gchar *calendar = ioc_keyfile_string (kf, "hub", "calendar", "", FALSE, error);
  g_auto (GStrv) cal_list = split_list (calendar);
  GPtrArray *cals = g_ptr_array_new ();
  for (guint i = 0; cal_list && cal_list[i]; i++)
    g_ptr_array_add (cals, resolve_path (path, cal_list[i]));
  g_ptr_array_add (cals, NULL);
  c->calendar_paths = (gchar **) g_ptr_array_free (cals, FALSE);

  g_autofree gchar *procs = ioc_keyfile_string (kf, "hub", "procedures", "", FALSE, error);
  c->procedures_path = resolve_path (path, procs);
  g_autofree gchar *alerts = ioc_keyfile_string (kf, "hub", "alerts", "", FALSE, error);
  c->alerts_path = resolve_path (path, alerts);
  g_autofree gchar *owned = ioc_keyfile_string (kf, "hub", "units_owned", "", FALSE, error);
  c->unit_filters = split_list (owned);
  g_autofree gchar *connectors = ioc_keyfile_string (kf, "hub", "connectors", "", FALSE, error);
  c->connectors_dir = resolve_path (path, connectors);
  /* How often a connector is heard at the least (status every 60 s):
   * silent longer, it is not reporting; declared and never heard, it is
   * down this long after the hub first started. */
  if (!ioc_keyfile_duration (kf, "hub", "connector_cadence", 3 * G_TIME_SPAN_MINUTE, G_TIME_SPAN_SECOND,
                             24 * 3600 * G_TIME_SPAN_SECOND, &c->connector_cadence_us, error))
    return FALSE;
  /* A commune runs a few desks, kiosks and cameras per kind; 64 is far
   * above any real one, and bounds what forged device ids can make the hub
   * keep (about 0.8 KB each) to 64 per unit and kind.  0: no cap. */
  gint64 max_devices = 0;
  if (!ioc_keyfile_int (kf, "hub", "max_devices_per_unit", 64, 0, 1000000, &max_devices, error))
    return FALSE;
  c->max_devices_per_unit = (guint) max_devices;
  /* An undeclared device silent this long is forgotten (its seq window,
   * its state, its place under the cap).  Anything it sent before is long
   * acknowledged, so nothing of it can come back as a duplicate; a day at
   * the least keeps a connector's reconnect replay well inside.  0: never. */
  if (!ioc_keyfile_duration (kf, "hub", "forget_devices_after", 30 * G_TIME_SPAN_DAY, 0, 3660 * G_TIME_SPAN_DAY,
                             &c->forget_devices_after_us, error))
    return FALSE;
  if (c->forget_devices_after_us != 0 && c->forget_devices_after_us < G_TIME_SPAN_DAY)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s:%u: [hub] forget_devices_after: expected 0 (never) or a duration of at least 1d", path,
                   ioc_keyfile_key_line (kf, "hub", "forget_devices_after"));
      return FALSE;
    }
  if (!load_dossier_retention (kf, c, error))
    return FALSE;
  g_autofree gchar *scorecard = ioc_keyfile_string (kf, "hub", "scorecard", "", FALSE, error);
  c->scorecard_path = resolve_path (path, scorecard);
  if (c->scorecard_path != NULL)
    {
      /* Loaded here, so that --check and a reload refuse a bad file; its
       * problems come one per line, each with its own file and line. */
      c->scorecard = ioc_score_config_load (c->scorecard_path, error);
      if (c->scorecard == NULL)
        {
          g_prefix_error (error, "%s: [hub] scorecard:\n", path);
          return FALSE;
        }
    }
  return TRUE;
}

/* [mqtt]: the broker and the sessions. */
static gboolean
load_mqtt_group (IocKeyFile *kf, IocHubConfig *c, GError **error)
{
  const gchar *path = kf->path;
  static const gchar *const mqtt_schemes[] = { "tcp", "ssl", "mqtt", "mqtts", NULL };
  c->mqtt_url = ioc_keyfile_url (kf, "mqtt", "url", "tcp://127.0.0.1:1883", mqtt_schemes, error);
  if (c->mqtt_url == NULL)
    return FALSE;
  c->mqtt_username = ioc_keyfile_string (kf, "mqtt", "username", NULL, FALSE, error);
  c->mqtt_password = ioc_keyfile_string (kf, "mqtt", "password", NULL, FALSE, error);
  if (c->mqtt_username && c->mqtt_username[0] == '\0')
    g_clear_pointer (&c->mqtt_username, g_free);
  if (!ioc_keyfile_int (kf, "mqtt", "qos", 2, 1, 2, &c->mqtt_qos, error)
      || !ioc_keyfile_int (kf, "mqtt", "keepalive", 20, 5, 600, &c->mqtt_keepalive_s, error)
      || !ioc_keyfile_int (kf, "mqtt", "sessions", 4, 1, 64, &c->mqtt_sessions, error)
      || !ioc_keyfile_int (kf, "mqtt", "receive_maximum", 1, 1, 65535, &c->mqtt_receive_maximum, error))
    return FALSE;
  g_autofree gchar *protocol = ioc_keyfile_string (kf, "mqtt", "protocol", "5", FALSE, error);
  if (g_str_equal (protocol, "5"))
    c->mqtt_protocol = 5;
  else if (g_str_equal (protocol, "3.1.1"))
    c->mqtt_protocol = 4;
  else
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [mqtt] protocol: expected 5 or 3.1.1, got '%s'", path,
                   protocol);
      return FALSE;
    }
  return TRUE;
}

/* [influx]: the database (none when url is empty) and the spool. */
static gboolean
load_influx_group (IocKeyFile *kf, IocHubConfig *c, GError **error)
{
  static const gchar *const http_schemes[] = { "http", "https", NULL };
  c->influx_url = ioc_keyfile_url (kf, "influx", "url", "", http_schemes, error); /* empty: no InfluxDB */
  if (c->influx_url == NULL)
    return FALSE;
  if (c->influx_url[0] == '\0')
    g_clear_pointer (&c->influx_url, g_free);
  c->influx_database = ioc_keyfile_string (kf, "influx", "database", "ioc", FALSE, error);
  c->influx_username = ioc_keyfile_string (kf, "influx", "username", NULL, FALSE, error);
  c->influx_password = ioc_keyfile_string (kf, "influx", "password", NULL, FALSE, error);
  if (!ioc_keyfile_size (kf, "influx", "batch_size", 1024 * 1024, 1024, 64 * 1024 * 1024,
                         &c->influx_batch_bytes, error)
      || !ioc_keyfile_size (kf, "influx", "spool_max", 1024ull * 1024 * 1024, 1024 * 1024,
                            1024ull * 1024 * 1024 * 1024, &c->spool_max_bytes, error)
      || !ioc_keyfile_duration (kf, "influx", "timeout", 10 * G_TIME_SPAN_SECOND, 100000, 600 * G_TIME_SPAN_SECOND,
                                &c->influx_timeout_us, error)
      || !ioc_keyfile_bool (kf, "influx", "gzip", TRUE, &c->influx_gzip, error)
      || !ioc_keyfile_duration (kf, "influx", "score_interval", 300 * G_TIME_SPAN_SECOND, G_TIME_SPAN_SECOND,
                                86400 * G_TIME_SPAN_SECOND, &c->influx_score_interval_us, error))
    return FALSE;
  return TRUE;
}

/* [http]: the listener, tokens, client limits, the commune map. */
static gboolean
load_http_group (IocKeyFile *kf, IocHubConfig *c, GError **error)
{
  const gchar *path = kf->path;
  c->http_listen = ioc_keyfile_string (kf, "http", "listen", "127.0.0.1:8080", FALSE, error);
  g_autofree gchar *dashboard = ioc_keyfile_string (kf, "http", "dashboard_dir", "", FALSE, error);
  c->dashboard_dir = resolve_path (path, dashboard);
  g_autofree gchar *display = ioc_keyfile_string (kf, "http", "display_tokens", "", FALSE, error);
  c->display_tokens = split_list (display);
  g_autofree gchar *operators = ioc_keyfile_string (kf, "http", "operator_tokens", "", FALSE, error);
  c->operator_tokens = split_list (operators);
  if (!ioc_keyfile_duration (kf, "http", "header_timeout", 10 * G_TIME_SPAN_SECOND, G_TIME_SPAN_SECOND,
                             300 * G_TIME_SPAN_SECOND, &c->http_header_timeout_us, error)
      || !ioc_keyfile_duration (kf, "http", "idle_timeout", 60 * G_TIME_SPAN_SECOND, 20 * G_TIME_SPAN_SECOND,
                                3600 * G_TIME_SPAN_SECOND, &c->http_idle_timeout_us, error)
      || !ioc_keyfile_int (kf, "http", "max_connections", 512, 8, 65536, &c->http_max_connections, error)
      || !ioc_keyfile_int (kf, "http", "max_connections_per_client", 64, 0, 65536, &c->http_max_per_client, error)
      || !ioc_keyfile_int (kf, "http", "max_feed_clients", 100, 1, 65536, &c->http_max_feed_clients, error)
      || !ioc_keyfile_int (kf, "http", "fd_reserve", 128, 0, 65536, &c->http_fd_reserve, error)
      || !ioc_keyfile_size (kf, "http", "max_body", 64 * 1024, 1024, 64 * 1024 * 1024, &c->http_max_body, error)
      || !ioc_keyfile_int (kf, "http", "series_minutes", IOC_HUB_SERIES_MINUTES_MAX, IOC_HUB_SERIES_MINUTES_MIN,
                           IOC_HUB_SERIES_MINUTES_MAX, &c->http_series_minutes, error))
    return FALSE;
  if (c->http_max_feed_clients >= c->http_max_connections)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [http] max_feed_clients: expected fewer than max_connections (%" G_GINT64_FORMAT
                   "), so that screens leave room for the API, got %" G_GINT64_FORMAT,
                   path, c->http_max_connections, c->http_max_feed_clients);
      return FALSE;
    }
  g_autofree gchar *commune_map = ioc_keyfile_string (kf, "http", "commune_map", "", FALSE, error);
  c->commune_map = resolve_path (path, commune_map);
  if (c->commune_map != NULL)
    {
      g_autoptr (GBytes) map = ioc_hub_config_read_commune_map (c, error);
      if (map == NULL)
        return FALSE;
    }
  return TRUE;
}

/* [windows]: live window, lateness, horizon, how far back late events rewrite. */
static gboolean
load_windows_group (IocKeyFile *kf, IocHubConfig *c, GError **error)
{
  if (!ioc_keyfile_duration (kf, "windows", "live", 10 * G_TIME_SPAN_SECOND, G_TIME_SPAN_SECOND, 300 * G_TIME_SPAN_SECOND,
                             &c->live_window_us, error)
      || !ioc_keyfile_duration (kf, "windows", "lateness", 10 * G_TIME_SPAN_SECOND, 0, 3600 * G_TIME_SPAN_SECOND,
                                &c->lateness_us, error)
      || !ioc_keyfile_duration (kf, "windows", "horizon", 6 * 3600 * G_TIME_SPAN_SECOND, 60 * G_TIME_SPAN_SECOND,
                                7 * 86400 * G_TIME_SPAN_SECOND, &c->horizon_us, error))
    return FALSE;
  /* How far back a late event still rewrites its minute: "month" (the
   * current month, Vietnam time) or a duration of at least the horizon. */
  g_autofree gchar *rewrite_back = ioc_keyfile_string (kf, "windows", "rewrite_back", "month", FALSE, error);
  if (rewrite_back == NULL)
    return FALSE;
  c->rewrite_back_us = 0;
  if (g_strcmp0 (rewrite_back, "month") != 0
      && (!ioc_parse_duration (rewrite_back, &c->rewrite_back_us) || c->rewrite_back_us < c->horizon_us
          || c->rewrite_back_us > 366 * G_TIME_SPAN_DAY))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [windows] rewrite_back: '%s': expected month or a duration from horizon to 366d", kf->path,
                   rewrite_back);
      return FALSE;
    }
  return TRUE;
}

/* [journal]: segments, sync, snapshots, the write reserve. */
static gboolean
load_journal_group (IocKeyFile *kf, IocHubConfig *c, GError **error)
{
  if (!ioc_keyfile_size (kf, "journal", "segment_size", 64 * 1024 * 1024, 64 * 1024, 4ull * 1024 * 1024 * 1024,
                         &c->journal_segment_bytes, error)
      || !ioc_keyfile_duration (kf, "journal", "sync_interval", 20 * G_TIME_SPAN_MILLISECOND, 0,
                                10 * G_TIME_SPAN_SECOND, &c->journal_sync_interval_us, error)
      || !ioc_keyfile_duration (kf, "journal", "snapshot_interval", 60 * G_TIME_SPAN_SECOND, G_TIME_SPAN_SECOND,
                                3600 * G_TIME_SPAN_SECOND, &c->snapshot_interval_us, error)
      || !ioc_keyfile_size (kf, "journal", "snapshot_journal_size", 256 * 1024 * 1024, 64 * 1024,
                            64ull * 1024 * 1024 * 1024, &c->snapshot_journal_bytes, error)
      || !ioc_keyfile_size (kf, "journal", "reserve_size", 16 * 1024 * 1024, 256 * 1024, 1024ull * 1024 * 1024,
                            &c->journal_reserve_bytes, error))
    return FALSE;
  return TRUE;
}

/* [federation]: a province hub publishing rollups, or the national one merging them. */
static gboolean
load_federation_group (IocKeyFile *kf, IocHubConfig *c, GError **error)
{
  const gchar *path = kf->path;
  if (!ioc_keyfile_bool (kf, "federation", "enabled", FALSE, &c->federation, error)
      || !ioc_keyfile_bool (kf, "federation", "national", FALSE, &c->national, error)
      || !ioc_keyfile_duration (kf, "federation", "publish_interval", 5 * G_TIME_SPAN_SECOND,
                                G_TIME_SPAN_SECOND, 3600 * G_TIME_SPAN_SECOND, &c->federation_interval_us, error))
    return FALSE;
  if (c->national && !c->federation)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [federation] national: a national hub merges rollups, so it needs [federation] enabled = true",
                   path);
      return FALSE;
    }
  return TRUE;
}

static gint
cmp_setting (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

static gchar **
restart_settings (IocKeyFile *kf)
{
  GPtrArray *out = g_ptr_array_new ();
  g_auto (GStrv) groups = g_key_file_get_groups (kf->kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_auto (GStrv) keys = g_key_file_get_keys (kf->kf, groups[g], NULL, NULL);
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          g_autofree gchar *name = g_strdup_printf ("[%s] %s", groups[g], keys[k]);
          if (g_strv_contains (reloadable_keys, name))
            continue;
          g_autofree gchar *value = g_key_file_get_value (kf->kf, groups[g], keys[k], NULL);
          g_ptr_array_add (out, g_strdup_printf ("%s\n%s", name, value != NULL ? value : ""));
        }
    }
  g_ptr_array_sort (out, cmp_setting);
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

IocHubConfig *
ioc_hub_config_load (const gchar *path, GError **error)
{
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load (path, error);
  if (kf == NULL)
    return NULL;
  if (!check_groups (kf, error) || !check_control_chars (kf, error))
    return NULL;

  g_autoptr (IocHubConfig) c = g_new0 (IocHubConfig, 1);
  c->path = g_strdup (path);
  /* In file order of the shipped hub.conf, so that the first error found
   * is the first a reader meets. */
  if (!load_identity (kf, c, error) || !load_hub_group (kf, c, error) || !load_mqtt_group (kf, c, error)
      || !load_influx_group (kf, c, error) || !load_http_group (kf, c, error) || !load_windows_group (kf, c, error)
      || !load_journal_group (kf, c, error) || !load_federation_group (kf, c, error))
    return NULL;
  c->restart_settings = restart_settings (kf);
  return g_steal_pointer (&c);
}

/* The name part of a restart_settings entry, up to its newline. */
static gsize
setting_name_len (const gchar *entry)
{
  return (gsize) (strchr (entry, '\n') - entry);
}

static const gchar *
find_setting (gchar **settings, const gchar *entry)
{
  gsize n = setting_name_len (entry);
  for (guint i = 0; settings != NULL && settings[i] != NULL; i++)
    if (setting_name_len (settings[i]) == n && strncmp (settings[i], entry, n) == 0)
      return settings[i];
  return NULL;
}

/* Names the settings of from that to lacks or, unless only_missing,
 * holds with another value. */
static void
add_changes (GString *out, gchar **from, gchar **to, gboolean only_missing)
{
  for (guint i = 0; from != NULL && from[i] != NULL; i++)
    {
      const gchar *other = find_setting (to, from[i]);
      if (other != NULL && (only_missing || strcmp (other, from[i]) == 0))
        continue;
      g_string_append_printf (out, "%s%.*s", out->len > 0 ? ", " : "", (int) setting_name_len (from[i]), from[i]);
    }
}

gchar *
ioc_hub_config_restart_changes (const IocHubConfig *running, const IocHubConfig *fresh)
{
  g_return_val_if_fail (running != NULL && fresh != NULL, NULL);
  GString *out = g_string_new (NULL);
  add_changes (out, running->restart_settings, fresh->restart_settings, FALSE); /* changed or removed */
  add_changes (out, fresh->restart_settings, running->restart_settings, TRUE);  /* added */
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

/* The file as served; checked to be a GeoJSON FeatureCollection (an object
 * with "type": "FeatureCollection" and a "features" array). */
#define COMMUNE_MAP_MAX_BYTES (64 * 1024 * 1024)

GBytes *
ioc_hub_config_read_commune_map (const IocHubConfig *c, GError **error)
{
  g_return_val_if_fail (c->commune_map != NULL, NULL);
  gsize len = 0;
  g_autoptr (GError) local = NULL;
  gchar *data = ioc_keyfile_read (c->commune_map, &len, error);
  if (data == NULL)
    {
      g_prefix_error (error, "%s: [http] commune_map: ", c->path);
      return NULL;
    }
  g_autoptr (GBytes) bytes = g_bytes_new_take (data, len);
  if (len > COMMUNE_MAP_MAX_BYTES)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: %zu bytes; expected a GeoJSON of at most %d MiB",
                   c->commune_map, len, COMMUNE_MAP_MAX_BYTES / (1024 * 1024));
      return NULL;
    }
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local))
    {
      /* json-glib's message carries the line and column, after "<data>:". */
      const gchar *why = local->message;
      if (g_str_has_prefix (why, "<data>:"))
        why += strlen ("<data>:");
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s:%s (expected a GeoJSON FeatureCollection)",
                   c->commune_map, why);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *o = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonNode *features = o != NULL ? json_object_get_member (o, "features") : NULL;
  if (o == NULL || g_strcmp0 (json_object_get_string_member_with_default (o, "type", NULL), "FeatureCollection") != 0
      || features == NULL || !JSON_NODE_HOLDS_ARRAY (features))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: expected a GeoJSON FeatureCollection: an object with \"type\": \"FeatureCollection\" "
                   "and a \"features\" array ([http] commune_map)",
                   c->commune_map);
      return NULL;
    }
  return g_steal_pointer (&bytes);
}
