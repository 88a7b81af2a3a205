/* test-util.c — see test-util.h.  Any thread. */
#include "test-util.h"

#include <signal.h>
#include <sys/prctl.h>

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
