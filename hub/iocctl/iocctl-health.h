/* iocctl-health.h — `iocctl connectors` (SPEC §8):
 *
 *   iocctl connectors [--url http://127.0.0.1:8080] [--connectors DIR] [--token T] [--json]
 *
 * One row per connector the hub knows (GET /api/v1/connectors, every page):
 * its state, whether it reports, its sequence gaps and dead letters, the
 * config version it runs; with --connectors, those declared on disk and
 * unknown to the hub too, and a config on disk that differs from the one
 * running.  A hub without that endpoint: what /metrics says.  Exit status
 * 1 when any connector is down or the hub cannot be read, 2 for the
 * command line (iocctl-cli.h). */
#pragma once

int ioc_ctl_connectors_health (int argc, char **argv);
