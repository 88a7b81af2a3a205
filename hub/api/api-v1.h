/* api-v1.h — the hub's JSON API under /api/v1/ (docs/API.md), the live
 * feed at /api/v1/feed and the wall display's files at "/".
 *
 * One call wires it all to a hub that is built but not yet started: the
 * routes go on the hub's HTTP server, and the API registers as one sink
 * (sinks/sink.h) whose point fills the in-memory minute series for charts
 * and whose batch, tick and reload feed the screens.  The API object must
 * outlive the hub (free it after ioc_hub_free): the hub calls the sink
 * until then.  Main context only. */
#pragma once

#include <json-glib/json-glib.h>

#include "hub.h"

G_BEGIN_DECLS

typedef struct _IocApiV1 IocApiV1;

/* The most memory the chart series (api/minute-ring.h) take, whatever the
 * traffic: a day of every minute of ~2,000 series at 8 fields each.  The
 * series a province fills take far less: a block of an hour exists only
 * once a point falls in it. */
#define IOC_API_SERIES_MAX_BYTES (96u << 20)

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
