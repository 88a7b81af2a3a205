/* test-error.c — a failed system call as a GError: what it names, and the
 * errno it was given even when later calls change errno. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "protocol/ioc-error.h"

static void
test_io_error (void)
{
  g_autoptr (GError) error = NULL;
  const gchar *path = "/nonexistent-iochub-test/file";
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, <, 0);
  int saved = errno;
  close (-1); /* sets errno to EBADF: the message must still say ENOENT */
  g_assert_false (ioc_io_error (&error, saved, "journal: open %s", path));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_IO);
  g_autofree gchar *want = g_strdup_printf ("journal: open %s: %s", path, g_strerror (ENOENT));
  g_assert_cmpstr (error->message, ==, want);
}

static void
test_io_error_ignored (void)
{
  /* A caller that does not want the error passes NULL. */
  g_assert_false (ioc_io_error (NULL, EACCES, "%s", "x"));
}

static void
test_reject_names (void)
{
  /* Dead-letter topics and metrics carry these names: stable. */
  g_assert_cmpstr (ioc_reject_name (IOC_REJECT_TOO_LATE), ==, "too_late");
  g_assert_cmpstr (ioc_reject_name (IOC_REJECT_BAD_JSON), ==, "bad_json");
  for (guint r = 0; r < IOC_REJECT_COUNT; r++)
    g_assert_nonnull (ioc_reject_name (r));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/error/io", test_io_error);
  g_test_add_func ("/ioc/error/io-ignored", test_io_error_ignored);
  g_test_add_func ("/ioc/error/reject-names", test_reject_names);
  return g_test_run ();
}
