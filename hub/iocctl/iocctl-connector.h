/* iocctl-connector.h — the declared connector configs as iocctl reads them:
 * the hub's own reader (model/inventory.h, which says what is read and how
 * errors read), under iocctl's names, and the topics a connector owns.
 * Single-threaded tool code. */
#pragma once

#include <glib.h>

#include "model/inventory.h"

G_BEGIN_DECLS

typedef IocConnectorDecl IocCtlConnector;

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
