/* prom-metrics.h — /metrics in the Prometheus text format (0.0.4), rendered
 * from the process-wide stats registry (protocol/ioc-stats.h).  Main context. */
#pragma once

#include "hub.h"

G_BEGIN_DECLS

/* Adds the route /metrics to the hub's HTTP server, before start. */
void ioc_prom_metrics_register (IocHub *hub);

G_END_DECLS
