/* iocctl-push.h — `iocctl push-config` (SPEC §3 config topic, §8):
 *
 *   iocctl push-config NAME --connectors DIR [--url tcp://broker:1883] [--timeout 10]
 *                      [--username NAME --password PW] [--json]
 *
 * Checks the connector's config (NAME: its id or file name) as
 * `ioc-connector --check` would, publishes its bytes retained on the
 * connector's config topic and waits for the answer on .../applied.  A
 * refused config is taken off the topic again.  Exit status 0 applied, 1
 * refused, no answer or the broker failed, 2 the command line
 * (iocctl-cli.h). */
#pragma once

int ioc_ctl_push_config (int argc, char **argv);
