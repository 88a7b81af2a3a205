/* main.c — the iochub daemon: command line, main loop, signals.
 *   iochub --config hub.conf           run
 *   iochub --check --config hub.conf   validate config, registry, calendar; exit 0/1
 * SIGTERM/SIGINT stop cleanly (DISCONNECT, final snapshot); SIGHUP reloads. */
#include <glib-unix.h>
#include <locale.h>
#include <stdlib.h>

#include "alerts/alerts.h"
#include "api/api-history.h"
#include "api/api-scorecard.h"
#include "api/api-v1.h"
#include "api/prom-metrics.h"
#include "alerts/alert-test.h"
#include "federation/federation.h"
#include "hub.h"

static gboolean
quit_cb (gpointer data)
{
  g_message ("signal: stopping");
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  IocHub *hub;
  IocAlerts *alerts;
} Running;

static gboolean
reload_cb (gpointer data)
{
  Running *r = data;
  g_autoptr (GError) error = NULL;
  if (!ioc_hub_reload (r->hub, &error))
    g_warning ("reload refused, running configuration unchanged: %s", error->message);
  g_clear_error (&error);
  if (!ioc_alerts_reload (r->alerts, &error))
    g_warning ("alert rules: reload refused, old rules kept: %s", error->message);
  return G_SOURCE_CONTINUE;
}

/* --test-rules FILE: the alert rule tests, their report on stdout. */
static int
run_rule_tests (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) report = g_string_new (NULL);
  gboolean ok = ioc_alert_test_rules (path, report, &error);
  g_print ("%s%s", report->str, g_str_has_suffix (report->str, "\n") ? "" : "\n");
  if (!ok)
    {
      g_printerr ("iochub: %s\n", error->message);
      return 1;
    }
  return 0;
}

/* --check: the configuration and the files it names, hub then alerts. */
static int
check_config (const gchar *config_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) report = g_string_new (NULL);
  if (!ioc_hub_check (config_path, report, &error) || !ioc_alerts_check (config_path, report, &error))
    {
      g_printerr ("iochub: %s\n", error->message);
      return 1;
    }
  g_print ("%s", report->str);
  return 0;
}

/* The daemon: build the hub, attach what reads it, run until a signal
 * stops it.  One function on purpose: the g_autoptr order below is the
 * teardown order. */
static int
run_daemon (const gchar *config_path)
{
  g_autoptr (GError) error = NULL;
  IocHubConfig *config = ioc_hub_config_load (config_path, &error);
  if (config == NULL)
    {
      g_printerr ("iochub: %s\n", error->message);
      return 1;
    }
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  /* alerts before hub: g_autoptr frees in reverse, so the hub (whose stop
   * ticks once more) goes first and the alerts after it. */
  g_autoptr (IocApiV1) api = NULL;
  g_autoptr (IocApiHistory) history = NULL;
  g_autoptr (IocAlerts) alerts = NULL;
  g_autoptr (IocFederation) federation = NULL; /* freed after the hub: saves its ledger last */
  g_autoptr (IocHub) hub = ioc_hub_new (config, NULL, &error);
  if (hub != NULL)
    {
      ioc_prom_metrics_register (hub);
      /* The alert routes (ack, silence) are added after the API's, so
       * they take /api/v1/alerts; the wall rail gets the same alerts
       * through the live feed. */
      api = ioc_api_v1_attach (hub);
      history = ioc_api_history_attach (hub);
      ioc_api_scorecard_attach (hub); /* the hub owns it */
      alerts = ioc_alerts_attach (hub, &error);
      if (alerts != NULL)
        ioc_api_v1_set_alerts_source (api, ioc_alerts_add_api_json, alerts);
      if (alerts != NULL) /* NULL without error when [federation] is off */
        federation = ioc_federation_attach (hub, &error);
    }
  if (hub == NULL || alerts == NULL || error != NULL || !ioc_hub_start (hub, &error))
    {
      g_printerr ("iochub: %s\n", error->message);
      return 1;
    }
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  Running running = { hub, alerts };
  g_unix_signal_add (SIGHUP, reload_cb, &running);
  g_main_loop_run (loop);
  ioc_hub_stop (hub);
  return 0;
}

/* The options, then one of: --version, --test-rules, --check, or the daemon. */
int
main (int argc, char **argv)
{
  g_autofree gchar *config_path = NULL;
  gboolean check = FALSE;
  gboolean version = FALSE;
  g_autofree gchar *test_rules = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Hub configuration file", "FILE" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check, "Validate the configuration and the files it names, then exit", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { "test-rules", 0, 0, G_OPTION_ARG_FILENAME, &test_rules, "Run the alert rule tests in FILE, then exit", "FILE" },
    { NULL }
  };
  setlocale (LC_ALL, "");
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- the IOC data hub");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("iochub: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("iochub %s\n", IOC_VERSION);
      return 0;
    }
  if (test_rules != NULL)
    return run_rule_tests (test_rules);
  if (config_path == NULL)
    {
      g_printerr ("iochub: --config FILE is required\n");
      return 2;
    }
  if (check)
    return check_config (config_path);
  return run_daemon (config_path);
}
