/* test-docs.c — the commands and keys the docs name exist.
 *
 * Reads README.md and the docs folder as an ops person would copy from them: the
 * code in them (fenced blocks and `inline` spans).  Every "iocctl COMMAND"
 * is a command iocctl answers --help for; every --option written after
 * iochub, iocctl COMMAND or ioc-connector is in that program's --help; every
 * "[group] key" is a key a config parser knows (hub.conf, a connector's
 * file, the alert rules).  Every mismatch is listed with its file and line,
 * not just the first. */
#include <string.h>

#include "alerts/alert-rules.h"
#include "hub-config.h"
#include "lib/connector-config.h"

typedef struct
{
  gchar *file; /* relative to the source root */
  guint line;
  gchar *code;
} CodeSpan;

static void
code_span_free (CodeSpan *s)
{
  g_free (s->file);
  g_free (s->code);
  g_free (s);
}

static void
add_span (GPtrArray *spans, const gchar *file, guint line, const gchar *code, gssize len)
{
  CodeSpan *s = g_new0 (CodeSpan, 1);
  s->file = g_strdup (file);
  s->line = line;
  s->code = len < 0 ? g_strdup (code) : g_strndup (code, (gsize) len);
  g_ptr_array_add (spans, s);
}

/* The code of one Markdown file: each line of a fenced block, each inline
 * span of the other lines. */
static void
read_code (GPtrArray *spans, const gchar *rel)
{
  g_autofree gchar *path = g_build_filename (IOC_SOURCE_ROOT, rel, NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean fenced = FALSE;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const gchar *l = lines[i];
      if (g_str_has_prefix (g_strchug ((gchar *) l), "```"))
        {
          fenced = !fenced;
          continue;
        }
      if (fenced)
        {
          add_span (spans, rel, i + 1, l, -1);
          continue;
        }
      for (const gchar *p = strchr (l, '`'); p != NULL;)
        {
          const gchar *q = strchr (p + 1, '`');
          if (q == NULL)
            break;
          add_span (spans, rel, i + 1, p + 1, q - p - 1);
          p = strchr (q + 1, '`');
        }
    }
}

static GPtrArray *
all_code (void)
{
  GPtrArray *spans = g_ptr_array_new_with_free_func ((GDestroyNotify) code_span_free);
  read_code (spans, "README.md");
  g_autofree gchar *docs = g_build_filename (IOC_SOURCE_ROOT, "docs", NULL);
  g_autoptr (GDir) dir = g_dir_open (docs, 0, NULL);
  g_assert_nonnull (dir);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (const gchar *n; (n = g_dir_read_name (dir)) != NULL;)
    if (g_str_has_suffix (n, ".md"))
      g_ptr_array_add (names, g_strdup_printf ("docs/%s", n));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    read_code (spans, g_ptr_array_index (names, i));
  g_assert_cmpuint (spans->len, >, 100); /* the docs are there and were read */
  return spans;
}

/* A program's --help: its exit status and its text. */
static gboolean
help_of (const gchar *const *argv, gchar **out)
{
  gint status = 0;
  g_autofree gchar *err = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, out, NULL,
                               &status, &error));
  g_assert_no_error (error);
  return g_spawn_check_wait_status (status, NULL);
}

static gboolean
help_has_option (const gchar *help, const gchar *option)
{
  g_autofree gchar *needle = g_strdup_printf ("--%s", option);
  for (const gchar *p = strstr (help, needle); p != NULL; p = strstr (p + 1, needle))
    {
      gchar after = p[strlen (needle)];
      if (!(g_ascii_isalnum (after) || after == '-'))
        return TRUE;
    }
  return FALSE;
}

/* Each program's --help, cached by the words that ask for it. */
static const gchar *
cached_help (GHashTable *cache, const gchar *program, const gchar *command, gboolean *ok)
{
  g_autofree gchar *key = g_strdup_printf ("%s %s", program, command ? command : "");
  gchar *help = g_hash_table_lookup (cache, key);
  if (help == NULL)
    {
      const gchar *bin = g_str_equal (program, "iochub") ? IOCHUB_BIN
                         : g_str_equal (program, "iocctl") ? IOCCTL_BIN
                                                           : IOC_CONNECTOR_BIN;
      const gchar *argv[] = { bin, command ? command : "--help", command ? "--help" : NULL, NULL };
      gchar *out = NULL;
      gboolean good = help_of (argv, &out);
      help = good ? out : (g_free (out), g_strdup (""));
      g_hash_table_insert (cache, g_steal_pointer (&key), help);
    }
  *ok = *help != '\0';
  return help;
}

static void
test_commands_and_options (void)
{
  g_autoptr (GPtrArray) spans = all_code ();
  g_autoptr (GHashTable) cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GString) problems = g_string_new (NULL);
  /* A program name at a word start and ending at a space (not a path such
   * as /etc/iochub/hub.conf), an optional iocctl command, then the rest of
   * the command line up to a shell separator. */
  g_autoptr (GRegex) cmd_re = g_regex_new ("(?:^|[\\s(/$])(iochub|iocctl|ioc-connector)(?=\\s|$)(?: +([a-z][a-z-]*))?"
                                           "([^|;&`]*)",
                                           0, 0, NULL);
  g_autoptr (GRegex) opt_re = g_regex_new ("(?:^|\\s)--([a-z][a-z0-9-]*)", 0, 0, NULL);
  guint commands = 0, options = 0;
  for (guint i = 0; i < spans->len; i++)
    {
      const CodeSpan *s = g_ptr_array_index (spans, i);
      g_autoptr (GMatchInfo) m = NULL;
      for (g_regex_match (cmd_re, s->code, 0, &m); g_match_info_matches (m); g_match_info_next (m, NULL))
        {
          g_autofree gchar *program = g_match_info_fetch (m, 1);
          g_autofree gchar *word = g_match_info_fetch (m, 2);
          g_autofree gchar *rest = g_match_info_fetch (m, 3);
          const gchar *command = NULL;
          if (g_str_equal (program, "iocctl"))
            {
              if (word == NULL || *word == '\0')
                continue; /* "iocctl" alone, in prose */
              command = word;
              commands++;
            }
          else if (word != NULL && *word != '\0')
            continue; /* "iochub the hub", a file name such as iochub.conf */
          gboolean ok = FALSE;
          const gchar *help = cached_help (cache, program, command, &ok);
          if (!ok)
            {
              g_string_append_printf (problems, "%s:%u: `%s %s`: no such command (--help fails)\n", s->file,
                                      s->line, program, command);
              continue;
            }
          g_autoptr (GMatchInfo) o = NULL;
          for (g_regex_match (opt_re, rest, 0, &o); g_match_info_matches (o); g_match_info_next (o, NULL))
            {
              g_autofree gchar *opt = g_match_info_fetch (o, 1);
              options++;
              if (!help_has_option (help, opt))
                g_string_append_printf (problems, "%s:%u: `%s%s%s --%s`: not in its --help\n", s->file, s->line,
                                        program, command ? " " : "", command ? command : "", opt);
            }
        }
    }
  g_test_message ("%u iocctl commands and %u options named in the docs", commands, options);
  g_assert_cmpuint (commands, >, 10);
  if (problems->len > 0)
    g_error ("the docs name what the programs do not have:\n%s", problems->str);
}

static gboolean
strv_has (const gchar *const *v, const gchar *s)
{
  return v != NULL && g_strv_contains (v, s);
}

/* Known when a parser has that group and that key in it. */
static gboolean
key_known (const gchar *group, const gchar *key)
{
  if (strv_has (ioc_hub_config_groups (), group) && strv_has (ioc_hub_config_keys (group), key))
    return TRUE;
  if (strv_has (ioc_connector_config_groups (), group) && strv_has (ioc_connector_config_keys (group), key))
    return TRUE;
  if (g_str_equal (group, "alerts") && strv_has (ioc_alert_rules_alerts_keys (), key))
    return TRUE;
  return FALSE;
}

static gboolean
group_known (const gchar *group)
{
  return strv_has (ioc_hub_config_groups (), group) || strv_has (ioc_connector_config_groups (), group)
         || g_str_equal (group, "alerts");
}

static void
test_keys (void)
{
  g_autoptr (GPtrArray) spans = all_code ();
  g_autoptr (GString) problems = g_string_new (NULL);
  /* "[group] key" (a key named with its group), and "key = value" lines of
   * a fenced file after a "[group]" line of the same block. */
  g_autoptr (GRegex) named_re = g_regex_new ("^\\[([a-z_]+)\\] +([a-z_][a-z0-9_]*)\\b(?! *=)", 0, 0, NULL);
  guint checked = 0;
  for (guint i = 0; i < spans->len; i++)
    {
      const CodeSpan *s = g_ptr_array_index (spans, i);
      g_autoptr (GMatchInfo) m = NULL;
      if (!g_regex_match (named_re, s->code, 0, &m))
        continue;
      g_autofree gchar *group = g_match_info_fetch (m, 1);
      g_autofree gchar *key = g_match_info_fetch (m, 2);
      if (!group_known (group))
        continue; /* a kind's own group or a rule: iochub-alerts.conf(5) and the man pages check those */
      checked++;
      if (!key_known (group, key))
        g_string_append_printf (problems, "%s:%u: `[%s] %s`: no parser knows this key\n", s->file, s->line, group,
                                key);
    }
  g_test_message ("%u \"[group] key\" names checked", checked);
  g_assert_cmpuint (checked, >, 20);
  if (problems->len > 0)
    g_error ("the docs name keys the parsers do not know:\n%s", problems->str);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/docs/commands-and-options", test_commands_and_options);
  g_test_add_func ("/ioc/docs/keys", test_keys);
  return g_test_run ();
}
