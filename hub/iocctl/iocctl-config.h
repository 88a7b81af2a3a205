/* iocctl-config.h — the iocctl commands on the config files, offline
 * (SPEC §8, docs/OPERATIONS.md):
 *
 *   iocctl validate --config hub.conf [--connectors DIR] [--alerts FILE] [--json]
 *     the hub's config and every file it names (unit registry, calendar,
 *     procedures, alert rules, connector configs), each judged by the very
 *     loader that reads it in iochub or ioc-connector; exit 1 when any
 *     error was found.
 *   iocctl broker-config --connectors DIR --out DIR [--group GROUP] [--install-dir DIR]
 *                        [--hub-user NAME] [--config hub.conf]
 *     mosquitto's password file, ACL and config include from the declared
 *     connectors (iocctl-broker.h); nothing written when any config is bad.
 *
 * Each takes argv as main() hands it on (argv[0] the program, then the
 * command's arguments) and returns the exit status (iocctl-cli.h). */
#pragma once

int ioc_ctl_validate (int argc, char **argv);
int ioc_ctl_broker_config (int argc, char **argv);
