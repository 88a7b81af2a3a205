/* test-man-pages.c — the man pages in docs/man/ say what the code does.
 *
 * Options: every option a program's --help lists (each iocctl command's
 * --help for iocctl) is a tagged paragraph (.TP) of its page, and every
 * option the page tags is in --help.  Keys: every group and key the config
 * parsers check with (ioc_hub_config_keys, ioc_connector_config_keys,
 * ioc_alert_rules_*_keys) is a tagged paragraph of iochub.conf(5),
 * ioc-connector.conf(5) and iochub-alerts.conf(5) under its group's .SS
 * heading, and back.  Every mismatch is listed, not just the first. */
#include <string.h>

#include "alerts/alert-rules.h"
#include "hub-config.h"
#include "lib/connector-config.h"

#define MAN_DIR IOC_SOURCE_ROOT "/docs/man"

/* A page as sections: title (the .SS heading, or the .SH heading before any
 * .SS) → the names tagged in it.  mode_keys: a tag ".B key" is a key;
 * otherwise every \-\-option on a tag line is an option. */
static GHashTable *
read_page (const gchar *name, gboolean mode_keys)
{
  g_autofree gchar *path = g_build_filename (MAN_DIR, name, NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  GHashTable *sections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) g_hash_table_unref);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree gchar *section = NULL;
  g_autoptr (GRegex) opt_re = g_regex_new ("\\\\-\\\\-([a-z0-9][a-z0-9\\\\-]*)", 0, 0, NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const gchar *l = lines[i];
      if (g_str_has_prefix (l, ".SH ") || g_str_has_prefix (l, ".SS "))
        {
          g_free (section);
          section = g_strdup (l + 4);
          g_strstrip (section);
          if (section[0] == '"' && g_str_has_suffix (section, "\""))
            {
              gchar *unquoted = g_strndup (section + 1, strlen (section) - 2);
              g_free (section);
              section = unquoted;
            }
          if (!g_hash_table_contains (sections, section))
            g_hash_table_insert (sections, g_strdup (section),
                                 g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL));
          continue;
        }
      if (!g_str_equal (l, ".TP") || lines[i + 1] == NULL || section == NULL)
        continue;
      const gchar *tag = lines[++i];
      GHashTable *names = g_hash_table_lookup (sections, section);
      if (mode_keys)
        {
          if (g_str_has_prefix (tag, ".B ") && strchr (tag + 3, ' ') == NULL)
            g_hash_table_add (names, g_strdup (tag + 3));
          continue;
        }
      g_autoptr (GMatchInfo) m = NULL;
      for (g_regex_match (opt_re, tag, 0, &m); g_match_info_matches (m); g_match_info_next (m, NULL))
        {
          g_autofree gchar *opt = g_match_info_fetch (m, 1);
          /* roff writes a hyphen inside a name as \- too */
          g_autofree gchar *plain = NULL;
          g_auto (GStrv) parts = g_strsplit (opt, "\\", -1);
          plain = g_strjoinv ("", parts);
          g_hash_table_add (names, g_steal_pointer (&plain));
        }
    }
  return sections;
}

static gchar *
run (const gchar *const *argv, gint *status)
{
  gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, status,
                               &error));
  g_assert_no_error (error);
  return out;
}

/* The options GOption prints in --help: "  -c, --config=FILE   …" lines. */
static GHashTable *
help_options (const gchar *const *argv)
{
  gint status = 0;
  g_autofree gchar *out = run (argv, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  GHashTable *opts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GRegex) re = g_regex_new ("^  +(?:-\\S, )?--([a-z0-9][a-z0-9-]*)", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr (GMatchInfo) m = NULL;
  for (g_regex_match (re, out, 0, &m); g_match_info_matches (m); g_match_info_next (m, NULL))
    g_hash_table_add (opts, g_match_info_fetch (m, 1));
  return opts;
}

/* Lists what is in want and not in have (and back) into problems. */
static void
compare (GString *problems, const gchar *where, const gchar *want_name, GHashTable *want, const gchar *have_name,
         GHashTable *have)
{
  GHashTable *sets[2] = { want, have };
  const gchar *names[2][2] = { { want_name, have_name }, { have_name, want_name } };
  for (guint s = 0; s < 2; s++)
    {
      if (sets[s] == NULL)
        continue;
      g_autoptr (GList) keys = g_list_sort (g_hash_table_get_keys (sets[s]), (GCompareFunc) g_strcmp0);
      for (GList *k = keys; k != NULL; k = k->next)
        if (sets[1 - s] == NULL || !g_hash_table_contains (sets[1 - s], k->data))
          g_string_append_printf (problems, "%s: %s is in %s but not in %s\n", where, (const gchar *) k->data, names[s][0], names[s][1]);
    }
}

static GHashTable *
set_of (const gchar *const *names, const gchar *skip)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    if (g_strcmp0 (names[i], skip) != 0)
      g_hash_table_add (set, g_strdup (names[i]));
  return set;
}

static void
finish (GString *problems)
{
  if (problems->len > 0)
    g_test_fail_printf ("\n%s", problems->str);
}

static void
check_program (const gchar *page_name, const gchar *bin)
{
  g_autoptr (GHashTable) page = read_page (page_name, FALSE);
  const gchar *argv[] = { bin, "--help", NULL };
  g_autoptr (GHashTable) help = help_options (argv);
  g_autoptr (GString) problems = g_string_new (NULL);
  g_autofree gchar *base = g_path_get_basename (bin);
  g_autofree gchar *help_name = g_strdup_printf ("%s --help", base);
  compare (problems, page_name, help_name, help, "OPTIONS", g_hash_table_lookup (page, "OPTIONS"));
  finish (problems);
}

static void
test_iochub (void)
{
  check_program ("iochub.8", IOCHUB_BIN);
}

static void
test_ioc_connector (void)
{
  check_program ("ioc-connector.8", IOC_CONNECTOR_BIN);
}

/* iocctl: the commands its --help lists are the page's "iocctl COMMAND"
 * sections, and each command's options (--help aside, which every command
 * takes and OPTIONS says once) are the section's. */
static void
test_iocctl (void)
{
  g_autoptr (GHashTable) page = read_page ("iocctl.8", FALSE);
  g_autoptr (GString) problems = g_string_new (NULL);
  gint status = 0;
  const gchar *argv[] = { IOCCTL_BIN, "--help", NULL };
  g_autofree gchar *usage = run (argv, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  g_autoptr (GHashTable) commands = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GRegex) re = g_regex_new ("^  ([a-z][a-z-]*(?:, [a-z][a-z-]*)*)  ", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr (GMatchInfo) m = NULL;
  for (g_regex_match (re, usage, 0, &m); g_match_info_matches (m); g_match_info_next (m, NULL))
    {
      g_autofree gchar *names = g_match_info_fetch (m, 1);
      g_auto (GStrv) each = g_strsplit (names, ", ", -1);
      for (guint i = 0; each[i] != NULL; i++)
        g_hash_table_add (commands, g_strdup (each[i]));
    }
  g_assert_cmpuint (g_hash_table_size (commands), >=, 5);

  g_autoptr (GHashTable) page_commands = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter it;
  gpointer title;
  g_hash_table_iter_init (&it, page);
  while (g_hash_table_iter_next (&it, &title, NULL))
    if (g_str_has_prefix (title, "iocctl "))
      g_hash_table_add (page_commands, g_strdup ((const gchar *) title + 7));
  compare (problems, "iocctl.8", "iocctl --help", commands, "the page's \"iocctl COMMAND\" sections",
           page_commands);

  static const gchar *const top[] = { "help", "version", NULL };
  g_autoptr (GHashTable) top_set = set_of (top, NULL);
  compare (problems, "iocctl.8", "iocctl's own options", top_set, "OPTIONS", g_hash_table_lookup (page, "OPTIONS"));

  g_hash_table_iter_init (&it, commands);
  gpointer cmd;
  while (g_hash_table_iter_next (&it, &cmd, NULL))
    {
      const gchar *cargv[] = { IOCCTL_BIN, cmd, "--help", NULL };
      g_autoptr (GHashTable) opts = help_options (cargv);
      g_hash_table_remove (opts, "help");
      g_autofree gchar *section = g_strdup_printf ("iocctl %s", (const gchar *) cmd);
      g_autofree gchar *help_name = g_strdup_printf ("iocctl %s --help", (const gchar *) cmd);
      compare (problems, "iocctl.8", help_name, opts, section, g_hash_table_lookup (page, section));
    }
  finish (problems);
}

/* The page's "[group]" sections are exactly the parser's groups. */
static void
compare_groups (GString *problems, const gchar *page_name, GHashTable *page, const gchar *const *groups,
                const gchar *const *(*keys_of) (const gchar *group))
{
  g_autoptr (GHashTable) page_groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter it;
  gpointer title;
  g_hash_table_iter_init (&it, page);
  while (g_hash_table_iter_next (&it, &title, NULL))
    if (((const gchar *) title)[0] == '[')
      g_hash_table_add (page_groups, g_strdup (title));
  g_autoptr (GHashTable) code_groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree gchar *section = g_strdup_printf ("[%s]", groups[i]);
      g_hash_table_add (code_groups, g_strdup (section));
      g_autoptr (GHashTable) code = set_of (keys_of (groups[i]), NULL);
      compare (problems, page_name, "the parser's keys", code, section, g_hash_table_lookup (page, section));
    }
  compare (problems, page_name, "the parser's groups", code_groups, "the page's sections", page_groups);
}

static void
test_hub_conf (void)
{
  g_autoptr (GHashTable) page = read_page ("iochub.conf.5", TRUE);
  g_autoptr (GString) problems = g_string_new (NULL);
  compare_groups (problems, "iochub.conf.5", page, ioc_hub_config_groups (), ioc_hub_config_keys);
  finish (problems);
}

static void
test_connector_conf (void)
{
  g_autoptr (GHashTable) page = read_page ("ioc-connector.conf.5", TRUE);
  g_autoptr (GString) problems = g_string_new (NULL);
  compare_groups (problems, "ioc-connector.conf.5", page, ioc_connector_config_groups (), ioc_connector_config_keys);
  finish (problems);
}

static const gchar *const *
alert_group_keys (const gchar *group)
{
  if (g_str_equal (group, "alerts"))
    return ioc_alert_rules_alerts_keys ();
  return ioc_alert_rules_common_keys (); /* "rule NAME" */
}

static void
test_alert_rules (void)
{
  g_autoptr (GHashTable) page = read_page ("iochub-alerts.conf.5", TRUE);
  g_autoptr (GString) problems = g_string_new (NULL);
  static const gchar *const groups[] = { "alerts", "rule NAME", NULL };
  compare_groups (problems, "iochub-alerts.conf.5", page, groups, alert_group_keys);

  g_autoptr (GHashTable) page_kinds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter it;
  gpointer title;
  g_hash_table_iter_init (&it, page);
  while (g_hash_table_iter_next (&it, &title, NULL))
    if (g_str_has_prefix (title, "kind = "))
      g_hash_table_add (page_kinds, g_strdup (title));
  g_autoptr (GHashTable) code_kinds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint k = 0; k < IOC_ALERT_KIND_COUNT; k++)
    {
      g_autofree gchar *section = g_strdup_printf ("kind = %s", ioc_alert_kind_name (k));
      g_hash_table_add (code_kinds, g_strdup (section));
      g_autoptr (GHashTable) code = set_of (ioc_alert_rules_kind_keys (k), NULL);
      compare (problems, "iochub-alerts.conf.5", "the parser's keys", code, section,
               g_hash_table_lookup (page, section));
    }
  compare (problems, "iochub-alerts.conf.5", "the parser's rule kinds", code_kinds, "the page's sections",
           page_kinds);
  finish (problems);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/man-pages/iochub-options", test_iochub);
  g_test_add_func ("/ioc/man-pages/iocctl-commands-and-options", test_iocctl);
  g_test_add_func ("/ioc/man-pages/ioc-connector-options", test_ioc_connector);
  g_test_add_func ("/ioc/man-pages/hub-conf-keys", test_hub_conf);
  g_test_add_func ("/ioc/man-pages/connector-conf-keys", test_connector_conf);
  g_test_add_func ("/ioc/man-pages/alert-rules-keys", test_alert_rules);
  return g_test_run ();
}
