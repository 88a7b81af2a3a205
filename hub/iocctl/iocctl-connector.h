/* iocctl-connector.h — the declared connector configs as iocctl reads them.
 *
 * One key file per connector (connectors/, SPEC §8), of which iocctl needs:
 *   [connector] kind (desk|kiosk|camera|portal, or jsonl with [jsonl] publish_as),
 *               id (default KIND-DEVICE),
 *               province, unit (a portal may publish under any unit), device
 *   [mqtt]      url, username, password
 * Other groups (the kind's own settings) are the connector's business.
 * Errors read "FILE: [group] key: expected …".  Single-threaded tool code. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *path;
  gchar *id;       /* [a-z0-9_-]{1,64}, default KIND-DEVICE; the config topic's last segment */
  gchar *kind;     /* the SPEC kind: desk, kiosk, camera, portal (a jsonl connector: its publish_as) */
  gchar *province; /* 2 digits */
  gchar *unit;     /* registry code; may be NULL for a portal connector */
  gchar *device;   /* [a-z0-9_-]{1,64} */
  gchar *mqtt_url;
  gchar *username; /* may be NULL: then the broker config cannot include it */
  gchar *password;
  gchar *raw;      /* the file's text, as pushed on the config topic */
  gsize raw_len;
} IocCtlConnector;

IocCtlConnector *ioc_ctl_connector_load (const gchar *path, GError **error);
void             ioc_ctl_connector_free (IocCtlConnector *self);

/* Loads every *.conf of dir, sorted by name.  Each problem (a bad file, a
 * duplicate id, username or (province, kind, device)) is appended to errors
 * as a string; the good connectors are returned (transfer full). */
GPtrArray *ioc_ctl_connectors_load_dir (const gchar *dir, GPtrArray *errors, GError **error);

/* The connector whose id or file name (without .conf) is name, or NULL. */
IocCtlConnector *ioc_ctl_connectors_find (GPtrArray *connectors, const gchar *name);

/* The topics of SPEC §3 this connector owns. (transfer full) */
gchar *ioc_ctl_connector_publish_filter (const IocCtlConnector *self); /* ioc/v1/p/u/k/d/# */
gchar *ioc_ctl_connector_config_topic (const IocCtlConnector *self);   /* ioc/v1/p/config/id */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocCtlConnector, ioc_ctl_connector_free)

G_END_DECLS
