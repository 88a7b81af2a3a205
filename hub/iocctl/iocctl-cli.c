/* iocctl-cli.c — see iocctl-cli.h.  Single-threaded tool code. */
#include "iocctl-cli.h"
#include "protocol/ioc-json.h"

#include <string.h>

gboolean
ioc_ctl_parse_options_full (const gchar *command, const gchar *args, const gchar *summary, const gchar *description,
                            GOptionEntry *entries, int *argc, char ***argv)
{
  g_autofree gchar *title = g_strdup_printf ("%s %s", command, args);
  g_autoptr (GOptionContext) ctx = g_option_context_new (title);
  if (summary != NULL)
    g_option_context_set_summary (ctx, summary);
  if (description != NULL)
    g_option_context_set_description (ctx, description);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("iocctl %s: %s\n", command, error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
ioc_ctl_parse_options (const gchar *command, const gchar *args, GOptionEntry *entries, int *argc, char ***argv)
{
  return ioc_ctl_parse_options_full (command, args, NULL, NULL, entries, argc, argv);
}

void
ioc_ctl_print_json (JsonBuilder *b, gboolean pretty)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *text = json_to_string (root, pretty);
  g_print ("%s\n", text);
}

void
ioc_ctl_add_member (JsonBuilder *b, const gchar *name, const gchar *value)
{
  if (value == NULL)
    return;
  ioc_json_string (b, name, value);
}

gchar *
ioc_ctl_hub_url (const gchar *url)
{
  gchar *u = g_strdup (url != NULL ? url : IOC_CTL_DEFAULT_URL);
  if (g_str_has_suffix (u, "/"))
    u[strlen (u) - 1] = '\0';
  return u;
}

void
ioc_ctl_env_token (gchar **token)
{
  if (*token == NULL && g_getenv ("IOCCTL_TOKEN") != NULL)
    *token = g_strdup (g_getenv ("IOCCTL_TOKEN"));
}

gboolean
ioc_ctl_operator_token (const gchar *command, gchar **token)
{
  ioc_ctl_env_token (token);
  if (*token == NULL)
    g_printerr ("iocctl %s: an operator token is required (--token or IOCCTL_TOKEN; [http] operator_tokens)\n",
                command);
  return *token != NULL;
}
