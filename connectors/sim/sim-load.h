/* sim-load.h — ioc-sim's MQTT mode (ioc-sim.c describes what it plays). */
#pragma once

#include <glib.h>

/* Publishes the mix of connectors devices spread over units (unit codes)
 * to the broker at url: rate msg/s (0: as fast as acknowledged), count
 * messages (0: until SIGINT/SIGTERM), at most window unacknowledged per
 * connection over n_conn connections.  The exit status: 0, 1 when the
 * broker cannot be reached, 2 for a bad URL. */
int ioc_sim_run_mqtt (const gchar *url, GPtrArray *units, gint connectors, gdouble rate, gint seed, gint64 count,
                      gdouble late_share, gint window, gint n_conn);
