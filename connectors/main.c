/* main.c — `ioc-connector --config NAME.conf [--check]` (SPEC §8): runs one
 * configured connector until SIGTERM/SIGINT, then flushes what it can and
 * DISCONNECTs.  --check validates the config (every error names the file,
 * the group and key, and what is expected) and exits.  Single-threaded main
 * loop; Paho's and the camera probe's threads hand back to it. */
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>

#include "kinds/kinds.h"
#include "lib/connector.h"

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_autofree gchar *config = NULL;
  gboolean check = FALSE, version = FALSE;
  gint drain_s = 10;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Connector config (key file)", "NAME.conf" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check, "Validate the config and exit", NULL },
    { "drain", 0, 0, G_OPTION_ARG_INT, &drain_s,
      "Seconds to wait on SIGTERM for the broker to take what is buffered (default 10)", "S" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) octx = g_option_context_new ("— run one iochub connector");
  g_option_context_add_main_entries (octx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      fprintf (stderr, "ioc-connector: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      printf ("ioc-connector %s\n", IOC_VERSION);
      return 0;
    }
  if (!config)
    {
      fprintf (stderr, "ioc-connector: --config NAME.conf is required\n");
      return 2;
    }
  if (check)
    {
      if (!ioc_connector_check (config, ioc_connector_kinds, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      printf ("%s: OK\n", config);
      return 0;
    }

  IocConnectorConfig *cfg = ioc_connector_config_load (config, &error);
  if (!cfg)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  const IocConnectorKind *kind = ioc_connector_find_kind (ioc_connector_kinds, cfg->kind_name);
  if (!kind)
    {
      g_printerr ("%s: [connector] kind: expected a built-in kind, got '%s'\n", config,
                  cfg->kind_name);
      ioc_connector_config_free (cfg);
      return 1;
    }
  g_autoptr (IocConnector) conn = ioc_connector_new (cfg, kind, &error);
  if (!conn)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  if (!ioc_connector_start (conn, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_main_loop_run (loop);
  g_message ("stopping: draining the disk buffer (at most %d s)", drain_s);
  ioc_connector_stop (conn, (guint) MAX (0, drain_s) * 1000);
  return 0;
}
