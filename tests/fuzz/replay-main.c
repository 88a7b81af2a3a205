/* replay-main.c — runs a libFuzzer target without libFuzzer: calls
 * LLVMFuzzerTestOneInput() on every file named on the command line, and on
 * every regular file inside every directory named (not recursive).  Lets the
 * normal (gcc, sanitizer) build replay the seed corpora and crash
 * reproducers as plain tests.  Shared by all fuzz targets. */
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

static gboolean
run_file (const gchar *path, guint *n)
{
  g_autofree gchar *data = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents (path, &data, &len, &error))
    {
      g_printerr ("replay: %s\n", error->message);
      return FALSE;
    }
  /* A private copy of exactly len bytes, so ASan sees reads past the end. */
  {
    g_autofree guint8 *copy = g_memdup2 (data, len ? len : 1);
    LLVMFuzzerTestOneInput (copy, len);
  }
  (*n)++;
  return TRUE;
}

int
main (int argc, char **argv)
{
  guint n = 0;
  gboolean ok = TRUE;

  if (argc < 2)
    {
      g_printerr ("usage: %s FILE|DIR…\n", argv[0]);
      return 2;
    }
  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (GDir) dir = g_dir_open (argv[i], 0, &error);
          g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          const gchar *name;
          if (dir == NULL)
            {
              g_printerr ("replay: %s\n", error->message);
              ok = FALSE;
              continue;
            }
          while ((name = g_dir_read_name (dir)) != NULL)
            g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
          /* A stable order makes a failure reproducible. */
          g_ptr_array_sort (names, compare_paths);
          for (guint k = 0; k < names->len; k++)
            if (g_file_test (names->pdata[k], G_FILE_TEST_IS_REGULAR))
              ok = run_file (names->pdata[k], &n) && ok;
        }
      else
        ok = run_file (argv[i], &n) && ok;
    }
  printf ("replay: %u inputs\n", n);
  return ok ? 0 : 1;
}
