/* inventory.h — the declared connectors: the folder of connector configs
 * (`[hub] connectors`, one key file per connector, SPEC §8) as the hub and
 * iocctl read it.  Of each file this reads:
 *   [connector] kind (desk|kiosk|camera|portal, or jsonl with [jsonl] publish_as),
 *               id (default KIND-DEVICE),
 *               province, unit (a portal may publish under any unit), device
 *   [mqtt]      url, username, password
 * Other groups (the kind's own settings) are the connector's business.
 * Errors read "FILE:LINE: [group] key: expected …, got '…'" (no LINE when
 * the key is absent).  Pure reading: no state, any thread. */
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
  guint id_line, device_line, username_line; /* where written (1-based), 0: absent; for the cross-file errors */
} IocConnectorDecl;

IocConnectorDecl *ioc_connector_decl_load (const gchar *path, GError **error);
/* The same from text already read (path names it in errors). */
IocConnectorDecl *ioc_connector_decl_load_data (const gchar *path, const gchar *data, gsize len, GError **error);
void              ioc_connector_decl_free (IocConnectorDecl *self);

/* Loads every *.conf of dir, sorted by name.  Each problem (a bad file, a
 * duplicate id, username or (province, kind, device)) is appended to errors
 * as a string; the good connectors are returned (transfer full).  NULL and
 * error set only when dir cannot be read. */
GPtrArray *ioc_inventory_load_dir (const gchar *dir, GPtrArray *errors, GError **error);

/* All or nothing, as the hub wants it: the connectors of dir, or NULL with
 * every problem in error, one per line. */
GPtrArray *ioc_inventory_load (const gchar *dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocConnectorDecl, ioc_connector_decl_free)

G_END_DECLS
