/* connector-config.h — the [connector] and [mqtt] groups every connector
 * config has (SPEC §8: GLib key files; every error names file, group, key
 * and what is expected).  The kind's own group is [<kind>] and is read by
 * the kind.  Plain data; any thread. */
#pragma once

#include <glib.h>

#include "model/record.h"
#include "protocol/ioc-keyfile.h"

G_BEGIN_DECLS

typedef struct
{
  IocKeyFile *kf; /* the whole file, for the kind's group */
  gchar *path;
  gchar *kind_name;
  IocKind kind;
  gchar *id;        /* connector id: MQTT client id and config topic */
  gchar *province;  /* 2 digits */
  gchar *unit;      /* registry code of the site */
  gchar *device;    /* SPEC §3 device id; seq runs per (kind, device) */
  gchar *state_dir; /* seq, disk buffer, cursor */
  gchar *mqtt_url;
  gchar *username; /* NULL: anonymous */
  gchar *password;
  /* TLS (url ssl:// or mqtts://): PEM files; NULL = not set */
  gboolean tls;
  gchar *ca_file;   /* trust these CAs instead of the system's */
  gchar *cert_file; /* client certificate, with key_file */
  gchar *key_file;
  gboolean verify;  /* check the broker's certificate and host name (default true) */
  guint64 buffer_max_bytes;
  gint64 status_interval_us; /* ≤ 60 s (SPEC §3) */
  gint64 poll_interval_us;
  guint seq_block;
} IocConnectorConfig;

IocConnectorConfig *ioc_connector_config_load (const gchar *path, GError **error);
IocConnectorConfig *ioc_connector_config_load_data (const gchar *path, const gchar *data,
                                                    GError **error);
void                ioc_connector_config_free (IocConnectorConfig *self);

/* The groups every connector config has ("connector", "mqtt"; the kind's
 * own group aside) and each one's keys, NULL-terminated (NULL for another
 * group): the tables the parser checks with, for ioc-connector.conf(5)'s
 * test and messages that list what is known. */
const gchar *const *ioc_connector_config_groups (void);
const gchar *const *ioc_connector_config_keys   (const gchar *group);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocConnectorConfig, ioc_connector_config_free)

G_END_DECLS
