/* iocctl-dry-run.h — `iocctl dry-run`: sample messages through the hub's own
 * stages, offline (docs/OPERATIONS.md "Dry run").
 *
 *   iocctl dry-run --config hub.conf [--until TIME] [--json] FILE…
 *
 * Builds a real IocHub from the config with a manual clock, its MQTT
 * publishes captured instead of sent, no InfluxDB, its state in a temporary
 * folder; attaches the alert engine as iochub does; then feeds the samples
 * in order of arrival, ticking the hub's clock through the events' time.  It
 * prints, in time order, each message's fate (accepted, duplicate,
 * dead-lettered with the reason), what the hub would publish (dead letters,
 * alerts) and the line-protocol lines it would write.  Exit status: 0, 1
 * when any sample was dead-lettered, 2 when the config or a sample file
 * cannot be used (FILE:LINE and what is expected). */
#pragma once

int ioc_ctl_dry_run (int argc, char **argv);
