/* durable.c — see durable.h.  Used by the journal and the snapshot. */
#include "state/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "protocol/ioc-error.h"

gboolean
ioc_durable_sync_dir (const gchar *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync (fd) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      return ioc_io_error (error, saved, "fsync of directory %s", dir);
    }
  close (fd);
  return TRUE;
}
