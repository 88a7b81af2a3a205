/* test-util.c — see test-util.h.  Any thread. */
#include "test-util.h"

#include <signal.h>
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
