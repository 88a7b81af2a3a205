/* test-programs.c — every program behaves like a Debian program: --help on
 * stdout with exit 0, --version on stdout with exit 0, and UTF-8 text
 * printed as UTF-8 under C.UTF-8 (GLib converts what it prints to the
 * locale's charset, which stays ASCII unless the program calls setlocale). */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

typedef struct
{
  const gchar *name;
  const gchar *bin;
  const gchar *help_argv1; /* a --help that GOption prints ("[OPTION…]") */
  const gchar *help_argv2;
  const gchar *const *bad_file_argv; /* prints the file name in its error; "@" is replaced */
} Program;

static const gchar *const iochub_bad[] = { "--check", "--config", "@", NULL };
static const gchar *const iocctl_bad[] = { "validate", "--config", "@", NULL };
static const gchar *const connector_bad[] = { "--check", "--config", "@", NULL };
static const gchar *const sim_bad[] = { "--list-sites", "--units", "@", NULL };

static const Program programs[] = {
  { "iochub", IOCHUB_BIN, "--help", NULL, iochub_bad },
  { "iocctl", IOCCTL_BIN, "validate", "--help", iocctl_bad },
  { "ioc-connector", IOC_CONNECTOR_BIN, "--help", NULL, connector_bad },
  { "ioc-sim", IOC_SIM_BIN, "--help", NULL, sim_bad },
};

/* Runs bin with args under LC_ALL=C.UTF-8; returns the exit status. */
static gint
run (const gchar *bin, const gchar *const *args, gchar **out, gchar **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) bin);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_unsetenv (env, "LANG");
  env = g_environ_unsetenv (env, "LANGUAGE");
  env = g_environ_setenv (env, "LC_ALL", "C.UTF-8", TRUE);
  gint status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status,
                               &error));
  g_assert_no_error (error);
  if (!WIFEXITED (status))
    g_error ("%s %s was killed by signal %d; it printed:\n%s", bin, args[0], WTERMSIG (status), *err);
  return WEXITSTATUS (status);
}

static void
test_help (gconstpointer data)
{
  const Program *p = data;
  g_autofree gchar *out = NULL, *err = NULL;
  const gchar *args[] = { "--help", NULL };
  g_assert_cmpint (run (p->bin, args, &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (strstr (out, p->name) != NULL);
  g_assert_true (g_ascii_strncasecmp (out, "usage", 5) == 0 || strstr (out, "Usage:") != NULL);
}

static void
test_version (gconstpointer data)
{
  const Program *p = data;
  g_autofree gchar *out = NULL, *err = NULL;
  const gchar *args[] = { "--version", NULL };
  g_assert_cmpint (run (p->bin, args, &out, &err), ==, 0);
  g_autofree gchar *want = g_strdup_printf ("%s %s\n", p->name, IOC_VERSION);
  g_assert_cmpstr (out, ==, want);
}

static void
test_utf8 (gconstpointer data)
{
  const Program *p = data;
  /* GOption's own usage line has a U+2026 ellipsis. */
  g_autofree gchar *out = NULL, *err = NULL;
  const gchar *args[] = { p->help_argv1, p->help_argv2, NULL };
  g_assert_cmpint (run (p->bin, args, &out, &err), ==, 0);
  g_assert_true (g_utf8_validate (out, -1, NULL));
  g_assert_true (strstr (out, "[OPTION…]") != NULL);

  /* A Vietnamese file name comes back as it was typed. */
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-utf8-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "Nghệ An — cấu hình.conf", NULL);
  g_autoptr (GPtrArray) bad = g_ptr_array_new ();
  for (guint i = 0; p->bad_file_argv[i] != NULL; i++)
    g_ptr_array_add (bad, (gpointer) (g_str_equal (p->bad_file_argv[i], "@") ? path : p->bad_file_argv[i]));
  g_ptr_array_add (bad, NULL);
  g_autofree gchar *out2 = NULL, *err2 = NULL;
  gint rc = run (p->bin, (const gchar *const *) bad->pdata, &out2, &err2);
  g_assert_cmpint (rc, !=, 0);
  g_autofree gchar *both = g_strconcat (out2, err2, NULL);
  g_assert_true (g_utf8_validate (both, -1, NULL));
  if (strstr (both, "Nghệ An — cấu hình.conf") == NULL)
    g_test_fail_printf ("%s did not print the file name as UTF-8: %s", p->name, both);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (programs); i++)
    {
      g_autofree gchar *help = g_strdup_printf ("/ioc/programs/%s/help", programs[i].name);
      g_autofree gchar *version = g_strdup_printf ("/ioc/programs/%s/version", programs[i].name);
      g_autofree gchar *utf8 = g_strdup_printf ("/ioc/programs/%s/utf8", programs[i].name);
      g_test_add_data_func (help, &programs[i], test_help);
      g_test_add_data_func (version, &programs[i], test_version);
      g_test_add_data_func (utf8, &programs[i], test_utf8);
    }
  return g_test_run ();
}
