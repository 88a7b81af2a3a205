/* test-util.c — see test-util.h.  Any thread. */
#include "test-util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gstdio.h>

void
ioc_test_rm_rf (const gchar *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  const gchar *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);
      /* Never follow a link out of the tree being removed. */
      if (g_file_test (child, G_FILE_TEST_IS_SYMLINK) || !g_file_test (child, G_FILE_TEST_IS_DIR))
        g_unlink (child);
      else
        ioc_test_rm_rf (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

void
ioc_test_die_with_test (gpointer unused)
{
  /* Between fork and exec; inherited across exec (not setuid). */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

void
ioc_test_random_decimal (GRand *rng, gchar *num)
{
  guint n = (guint) g_rand_int_range (rng, 1, 18);
  guint point = (guint) g_rand_int_range (rng, 0, (gint) n);
  gchar *d = num;
  for (guint k = 0; k < n; k++)
    {
      gboolean lead = k == 0 && n > 1 && point != 1;
      *d++ = (gchar) ('0' + g_rand_int_range (rng, lead ? 1 : 0, 10));
      if (point > 0 && k + 1 == point)
        *d++ = '.';
    }
  if (d[-1] == '.')
    *d++ = '5';
  *d = '\0';
}

gchar *
ioc_test_fuzz_tmp_dir (const gchar *name)
{
  const gchar *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && access ("/dev/shm", W_OK) == 0
                        ? "/dev/shm" : g_get_tmp_dir ();
  g_autofree gchar *tmpl = g_strconcat (name, "-XXXXXX", NULL);
  gchar *dir = g_build_filename (base, tmpl, NULL);
  if (g_mkdtemp (dir) == NULL)
    abort ();
  return dir;
}

/* ---- the failure recap ---- */

#define RECAP_LINES 40

static GMutex recap_lock;
static GQueue recap_lines = G_QUEUE_INIT; /* what the tests said, oldest first */
static gboolean recap_failed;
static gboolean recap_not_ok; /* a "not ok" whose rest (" # TODO …" or "\n") is still to come */
static GPrintFunc recap_next_print;

/* g_print's handler: TAP output passes through to standard output as
 * before; a test's "# " messages (a non-fatal assertion's "# …ERROR:…"
 * among them) and the "not ok" result lines are kept.  GLib prints a
 * result line in two calls; a "not ok" followed by " # TODO"
 * (g_test_incomplete in some GLib releases) is not a failure. */
static void
recap_print (const gchar *string)
{
  if (recap_next_print != NULL)
    recap_next_print (string);
  else
    {
      fputs (string, stdout);
      fflush (stdout);
    }
  g_mutex_lock (&recap_lock);
  if (recap_not_ok)
    recap_failed |= !g_str_has_prefix (string, " # TODO");
  recap_not_ok = g_str_has_prefix (string, "not ok");
  if (recap_not_ok || g_str_has_prefix (string, "# "))
    {
      g_queue_push_tail (&recap_lines, g_strdup (string));
      while (recap_lines.length > RECAP_LINES)
        g_free (g_queue_pop_head (&recap_lines));
    }
  g_mutex_unlock (&recap_lock);
}

static void
recap_write (void)
{
  g_mutex_lock (&recap_lock);
  if (recap_failed || recap_not_ok)
    {
      g_autofree gchar *name = g_path_get_basename (g_get_prgname () != NULL ? g_get_prgname () : "test");
      fprintf (stderr, "---- %s failed: its last %u messages and results, again ----\n", name,
               recap_lines.length);
      for (GList *l = recap_lines.head; l != NULL; l = l->next)
        {
          const gchar *line = l->data;
          fputs (line, stderr);
          if (!g_str_has_suffix (line, "\n"))
            fputc ('\n', stderr);
        }
      fputs ("----\n", stderr);
      fflush (stderr);
    }
  g_queue_clear_full (&recap_lines, g_free);
  g_mutex_unlock (&recap_lock);
}

void
ioc_test_recap_failures_at_exit (void)
{
  static gsize installed = 0;
  if (!g_once_init_enter (&installed))
    return;
  recap_next_print = g_set_print_handler (recap_print);
  atexit (recap_write);
  g_once_init_leave (&installed, 1);
}
