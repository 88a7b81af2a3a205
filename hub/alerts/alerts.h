/* alerts.h — plugs the alert engine into a running IocHub.
 *
 *   IocAlerts *alerts = ioc_alerts_attach (hub, &error);   before ioc_hub_start()
 *   …  ioc_hub_stop (hub); ioc_hub_free (hub);  ioc_alerts_free (alerts);
 *
 * The alerts object must outlive the hub's last tick (ioc_hub_stop ticks the
 * rollup once more), so free it after the hub.  Main context only. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hub.h"

G_BEGIN_DECLS

typedef struct _IocAlerts IocAlerts;

/* Loads [hub] alerts (none configured: no rules, the API still answers),
 * restores state_dir/alerts.json, registers the HTTP routes and the hub's
 * tick and point observers.  Errors name the rule file, [group] and key. */
IocAlerts *ioc_alerts_attach (IocHub *hub, GError **error);
/* --check: loads the config and the rule file its [hub] alerts names; one
 * report line, or an error naming the config, the rule file, [group] and key. */
gboolean   ioc_alerts_check (const gchar *config_path, GString *report, GError **error);
/* SIGHUP: re-reads the rule file; on error the old rules stay. */
gboolean   ioc_alerts_reload (IocAlerts *self, GError **error);
/* The current alerts as wall-display objects (docs/API.md "alerts") into an
 * array b has open: an IocApiAlertsFunc for ioc_api_v1_set_alerts_source(). */
void       ioc_alerts_add_api_json (JsonBuilder *b, gint64 now_us, gpointer alerts);
/* Saves the state, stops the webhook worker. */
void       ioc_alerts_free (IocAlerts *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocAlerts, ioc_alerts_free)

G_END_DECLS
