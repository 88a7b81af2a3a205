/* iocctl-alerts.h — the alert commands (SPEC §8, docs/ALERTS.md), against
 * the hub's /api/v1/alerts and /api/v1/silences:
 *
 *   iocctl alerts [--all] [--url URL] [--token T] [--json]
 *     the active alerts (and with --all the recently resolved): id, rule,
 *     scope with its unit's name, state, age, who acknowledged it
 *   iocctl ack ID|RULE/SCOPE [--note TEXT] [--by NAME]
 *   iocctl silence --rule GLOB [--scope GLOB] --for 2h [--note TEXT] [--by NAME]
 *   iocctl silences [--delete ID]
 *
 * A display or operator token reads; ack, silence and --delete need an
 * operator's (--token or IOCCTL_TOKEN).  Each takes argv as main() hands
 * it on and returns the exit status (iocctl-cli.h): 1 when the hub refused
 * or could not be read. */
#pragma once

int ioc_ctl_alerts (int argc, char **argv);
int ioc_ctl_ack (int argc, char **argv);
int ioc_ctl_silence (int argc, char **argv);
int ioc_ctl_silences (int argc, char **argv);
