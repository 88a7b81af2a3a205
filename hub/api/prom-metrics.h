/* prom-metrics.h — /metrics in the Prometheus text format (0.0.4), rendered
 * from the process-wide stats registry (protocol/ioc-stats.h).  Main context. */
#pragma once

#include "io/http-server.h"

G_BEGIN_DECLS

void ioc_prom_metrics_register (IocHttpServer *http);

G_END_DECLS
