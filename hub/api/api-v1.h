/* api-v1.h — the hub's JSON API under /api/v1/ (docs/API.md), the live
 * feed at /api/v1/feed and the wall display's files at "/".
 *
 * One call wires it all to a hub that is built but not yet started: the
 * routes go on the hub's HTTP server, a point observer fills the in-memory
 * minute series for charts, a tick observer feeds the screens.  The API
 * object must outlive the hub (free it after ioc_hub_free): the hub's
 * observers call into it until then.  Main context only. */
#pragma once

#include <json-glib/json-glib.h>

#include "hub.h"

G_BEGIN_DECLS

typedef struct _IocApiV1 IocApiV1;

/* The number of chart series (measurement, unit, channel) held at most,
 * 24 h of minutes each (api/minute-ring.h): memory stays bounded at about
 * IOC_API_MAX_SERIES × 46 KiB whatever the traffic. */
#define IOC_API_MAX_SERIES 2048

/* Adds the alerts currently known, as objects of docs/API.md "alerts", to
 * an array that b has open.  The alert engine plugs in here. */
typedef void (*IocApiAlertsFunc) (JsonBuilder *b, gint64 now_us, gpointer user_data);

/* Call before ioc_hub_start().  Logs and serves no page when [http]
 * dashboard_dir is set but unusable; the API is served regardless. */
IocApiV1 *ioc_api_v1_attach (IocHub *hub);
void      ioc_api_v1_free (IocApiV1 *self);
void      ioc_api_v1_set_alerts_source (IocApiV1 *self, IocApiAlertsFunc fn, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocApiV1, ioc_api_v1_free)

G_END_DECLS
