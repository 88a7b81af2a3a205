/* iocctl.c — the ops team's tool (SPEC §8).
 *
 *   iocctl validate --config hub.conf [--connectors DIR] [--alerts FILE] [--json]
 *   iocctl broker-config --connectors DIR --out DIR [--group GROUP] [--install-dir DIR] [--hub-user NAME] [--config hub.conf]
 *   iocctl connectors [--url http://127.0.0.1:8080] [--connectors DIR] [--json]
 *   iocctl push-config NAME --connectors DIR [--url tcp://broker:1883] [--timeout 10]
 *   iocctl alerts [--all] [--url URL]            (a display or operator token if the hub asks)
 *   iocctl ack ID|RULE/SCOPE [--note TEXT] [--by NAME]   (operator token: --token or IOCCTL_TOKEN)
 *   iocctl silence --rule GLOB [--scope GLOB] --for 2h [--note TEXT]
 *   iocctl silences [--delete ID]
 *   iocctl dry-run --config hub.conf [--until TIME] FILE…   (iocctl-dry-run.h)
 *   iocctl report --month 2026-11 --out DIR [--url …]       (iocctl-report.h)
 *
 * Human output by default, --json for scripts.  Exit status: 0 good, 1 a
 * check failed (an error found, a connector down, a config rejected), 2 the
 * command line or a file could not be used.  A one-shot, single-threaded
 * program; Paho's threads run only inside push-config, which waits on
 * them.
 *
 * This file is the command table and main(); each command lives with its
 * kin: iocctl-config.c (validate, broker-config), iocctl-health.c
 * (connectors), iocctl-push.c (push-config), iocctl-alerts.c (alerts, ack,
 * silence, silences), iocctl-dry-run.c, iocctl-report.c.  What they share:
 * iocctl-cli.h (exit statuses, options, JSON output) and iocctl-http.h
 * (the client of the hub's API). */
#include <locale.h>

#include <curl/curl.h>

#include "iocctl-alerts.h"
#include "iocctl-cli.h"
#include "iocctl-config.h"
#include "iocctl-dry-run.h"
#include "iocctl-health.h"
#include "iocctl-push.h"
#include "iocctl-report.h"

typedef struct
{
  const gchar *name;
  int (*run) (int argc, char **argv);
  const gchar *summary; /* one line of `iocctl --help` */
} Command;

static const Command commands[] = {
  { "validate", ioc_ctl_validate,
    "check hub config, registry, calendar, procedures, alert rules, connector configs" },
  { "broker-config", ioc_ctl_broker_config,
    "write mosquitto's password file, ACL and config include from connector configs" },
  { "connectors", ioc_ctl_connectors_health, "list connectors and their health from the hub; exit 1 when any is down" },
  { "push-config", ioc_ctl_push_config, "publish a connector's config on its config topic and wait for its answer" },
  { "alerts", ioc_ctl_alerts, "list the active alerts: id, rule, scope with its unit's name, state, age, ack" },
  { "ack", ioc_ctl_ack, "acknowledge an alert by its ID or RULE/SCOPE (operator token)" },
  { "silence", ioc_ctl_silence, "silence alerts by rule and scope for a while (operator token)" },
  { "silences", ioc_ctl_silences, "list the active silences; --delete ID ends one (operator token)" },
  { "dry-run", ioc_ctl_dry_run, "run sample messages through the hub's stages offline: what it would publish and write" },
  { "report", ioc_ctl_report, "write the month's 766 scorecard as CSV and a printable report (Vietnamese)" },
};

/* On stdout for --help (exit 0), on stderr after a usage error. */
static void
usage (gboolean to_stdout)
{
  g_autoptr (GString) text = g_string_new ("usage: iocctl COMMAND [OPTIONS]   (iocctl COMMAND --help for its options)\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (text, "  %-14s %s\n", commands[i].name, commands[i].summary);
  (to_stdout ? g_print : g_printerr) ("%s", text->str);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      usage (argc >= 2);
      return argc < 2 ? EXIT_USAGE : EXIT_GOOD;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("iocctl %s\n", IOC_VERSION);
      return EXIT_GOOD;
    }
  const Command *command = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (commands) && command == NULL; i++)
    if (g_str_equal (argv[1], commands[i].name))
      command = &commands[i];
  if (command == NULL)
    {
      g_printerr ("iocctl: unknown command '%s'\n", argv[1]);
      usage (FALSE);
      return EXIT_USAGE;
    }
  /* The command sees argv as a program of its own: argv[0], then its
   * arguments. */
  argv[1] = argv[0];
  argc--, argv++;
  curl_global_init (CURL_GLOBAL_DEFAULT);
  int rc = command->run (argc, argv);
  curl_global_cleanup ();
  return rc;
}
