/* prom-metrics.c — see prom-metrics.h. */
#include "api/prom-metrics.h"

#include "io/http-server.h"
#include "protocol/ioc-stats.h"

static void
metrics_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  g_autoptr (GString) out = g_string_sized_new (8192);
  ioc_stats_render (out);
  ioc_http_reply (msg, 200, "text/plain; version=0.0.4; charset=utf-8", out->str, out->len);
}

void
ioc_prom_metrics_register (IocHub *hub)
{
  ioc_hub_add_route (hub, "/metrics", metrics_cb, NULL);
}
