/* hub-config.h — hub.conf (SPEC §8) as a plain struct, validated in one go.
 *
 * Every key has a default in one table-like function (hub-config.c); every
 * error names the file, the [group] and key, and what is expected.  Relative
 * paths are taken relative to the config file's folder.  Main context. */
#pragma once

#include <glib.h>

#include "score/score-config.h"

G_BEGIN_DECLS

/* [http] series_minutes: how far back the charts' minutes reach in memory
 * (GET /api/v1/series); older ones are in InfluxDB. */
#define IOC_HUB_SERIES_MINUTES_MIN 10
#define IOC_HUB_SERIES_MINUTES_MAX 1440

typedef struct
{
  gchar *path; /* the file this came from */

  /* [hub] */
  gchar *province;  /* 2 digits */
  gchar *hub_id;    /* tags every point (SPEC §9) */
  gchar *units_path;
  gchar **calendar_paths; /* may be empty */
  gchar *procedures_path; /* may be NULL */
  gchar *state_dir;
  gchar *alerts_path;     /* may be NULL */
  gchar **unit_filters;   /* units this hub owns; NULL → all (topic filter per unit) */
  gchar *connectors_dir;  /* declared connector configs (the expected inventory); may be NULL */
  guint max_devices_per_unit; /* undeclared devices per (unit, kind); 0: no cap */
  gint64 forget_devices_after_us; /* undeclared devices silent this long are forgotten; 0: never */
  gint64 keep_finished_dossiers_us;    /* a finished dossier stays in memory this long */
  gint64 remember_dropped_dossiers_us; /* then its id is remembered this long; 0: not at all */
  gint64 connector_cadence_us; /* silent longer: not reporting; never heard: down this long after start */
  gchar *scorecard_path;  /* the 766 scorecard's weights and targets; NULL: no scorecard */
  IocScoreConfig *scorecard; /* loaded and validated with this file; NULL with scorecard_path */

  /* [mqtt] */
  gchar *mqtt_url;
  gchar *mqtt_client_id;
  gchar *mqtt_username;
  gchar *mqtt_password;
  gint64 mqtt_qos;
  gint64 mqtt_keepalive_s;
  gint64 mqtt_sessions;        /* ingest sessions, units spread over them (hub/io/mqtt-client.h) */
  gint64 mqtt_protocol;        /* 5 (MQTT 5) or 4 (3.1.1) */
  gint64 mqtt_receive_maximum; /* MQTT 5 Receive Maximum per session */

  /* [influx] */
  gchar *influx_url; /* NULL or empty: no InfluxDB */
  gchar *influx_database;
  gchar *influx_username;
  gchar *influx_password;
  guint64 influx_batch_bytes;
  guint64 spool_max_bytes;
  gint64 influx_timeout_us;
  gboolean influx_gzip;
  gint64 influx_score_interval_us; /* how often ioc_score is checked and rewritten where it changed */

  /* [http] */
  gchar *http_listen;
  gchar *dashboard_dir;    /* the wall display's files; NULL → none served */
  gchar **display_tokens;  /* read-only, never expire; revoke by removing */
  gchar **operator_tokens; /* may also ack and silence */
  gchar *commune_map;      /* a GeoJSON of the communes, GET /api/v1/commune-map; NULL → 404 */
  /* What HTTP clients may take (hub/io/http-server.h). */
  gint64 http_header_timeout_us;   /* request line, headers and body must arrive within */
  gint64 http_idle_timeout_us;     /* a response the client stops reading is closed */
  gint64 http_max_connections;
  gint64 http_max_per_client;      /* 0: no cap per client address */
  gint64 http_max_feed_clients;    /* live-feed streams (wall screens) at once */
  gint64 http_fd_reserve;          /* descriptors HTTP never takes */
  guint64 http_max_body;           /* request bodies over this are refused (413) unread */
  gint64 http_series_minutes;      /* the charts' minutes kept in memory (a restart applies it) */

  /* [windows] */
  gint64 live_window_us;
  gint64 lateness_us;
  gint64 horizon_us;
  gint64 rewrite_back_us; /* 0: the current month (Vietnam time) */

  /* [journal] */
  guint64 journal_segment_bytes;
  guint64 journal_reserve_bytes; /* kept allocated ahead of the journal (state/journal.h) */
  gint64 journal_sync_interval_us;
  gint64 snapshot_interval_us;
  guint64 snapshot_journal_bytes; /* also snapshot when this much journal accumulated */

  /* [federation] (SPEC §9; hub/federation/) */
  gboolean federation;           /* publish our rollup, merge the other hubs' */
  gboolean national;             /* merge every province's rollups (a national hub) */
  gint64 federation_interval_us; /* how often our rollup is published */

  /* Every key a reload does not apply, as "[group] key\nvalue", sorted:
   * what ioc_hub_config_restart_changes compares. */
  gchar **restart_settings;
} IocHubConfig;

IocHubConfig *ioc_hub_config_load (const gchar *path, GError **error);
/* The keys whose values differ between the running config and a fresh one
 * (added, removed or changed) among those a reload does not apply, as
 * "[group] key, [group] key"; NULL when there are none.  A reload says them,
 * so that a change to, say, [windows] rewrite_back is not believed applied. */
gchar        *ioc_hub_config_restart_changes (const IocHubConfig *running, const IocHubConfig *fresh);
void          ioc_hub_config_free (IocHubConfig *self);
/* (transfer full) [http] commune_map's bytes, checked to be a GeoJSON
 * FeatureCollection; NULL with an error naming the file otherwise.  The
 * config's load calls it too, so start and --check refuse a bad file. */
GBytes       *ioc_hub_config_read_commune_map (const IocHubConfig *self, GError **error);

/* The groups hub.conf may hold, and each group's keys (NULL-terminated;
 * NULL for a group that is not one): the tables the parser checks with,
 * for iochub.conf(5)'s test and messages that list what is known. */
const gchar *const *ioc_hub_config_groups (void);
const gchar *const *ioc_hub_config_keys   (const gchar *group);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocHubConfig, ioc_hub_config_free)

G_END_DECLS
