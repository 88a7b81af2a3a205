/* seq-store.c — durable seq reservation for a connector's device (see
 * seq-store.h).  The file holds one decimal number: the highest seq that may
 * have been handed out.  Runs on the main loop only. */
#include "lib/seq-store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "protocol/ioc-error.h"

struct _IocSeqStore
{
  gchar *path;
  guint block;
  gint64 last;     /* last handed out */
  gint64 reserved; /* durable high-water mark: last ≤ reserved */
};

gboolean
ioc_file_replace_durable (const gchar *path, const gchar *data, gsize len, GError **error)
{
  g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: %s", tmp, g_strerror (errno));
      return FALSE;
    }
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: write: %s", tmp, g_strerror (errno));
          close (fd);
          return FALSE;
        }
      done += (gsize) n;
    }
  if (fsync (fd) != 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: fsync: %s", tmp, g_strerror (errno));
      close (fd);
      return FALSE;
    }
  close (fd);
  if (rename (tmp, path) != 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: rename: %s", path, g_strerror (errno));
      return FALSE;
    }
  /* The rename itself must survive a power cut too. */
  g_autofree gchar *dir = g_path_get_dirname (path);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
  return TRUE;
}

IocSeqStore *
ioc_seq_store_open (const gchar *path, guint block, GError **error)
{
  g_return_val_if_fail (block >= 1, NULL);
  g_autofree gchar *text = NULL;
  gint64 reserved = 0;
  g_autoptr (GError) local = NULL;
  if (g_file_get_contents (path, &text, NULL, &local))
    {
      gchar *end = NULL;
      g_strstrip (text);
      reserved = g_ascii_strtoll (text, &end, 10);
      if (end == text || *end != '\0' || reserved < 0)
        {
          /* Refuse rather than restart at 1: that would reuse numbers. */
          g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                       "%s: expected a non-negative integer, got '%s'", path, text);
          return NULL;
        }
    }
  else if (!g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  IocSeqStore *self = g_new0 (IocSeqStore, 1);
  self->path = g_strdup (path);
  self->block = block;
  /* Whatever happened last time, nothing above `reserved` was used and
   * everything up to it may have been: start after it. */
  self->last = reserved;
  self->reserved = reserved;
  return self;
}

gint64
ioc_seq_store_next (IocSeqStore *self, GError **error)
{
  if (self->last >= self->reserved)
    {
      gint64 want = self->last + self->block;
      g_autofree gchar *text = g_strdup_printf ("%" G_GINT64_FORMAT "\n", want);
      if (!ioc_file_replace_durable (self->path, text, strlen (text), error))
        return 0;
      self->reserved = want;
    }
  return ++self->last;
}

gint64
ioc_seq_store_last (IocSeqStore *self)
{
  return self->last;
}

void
ioc_seq_store_close (IocSeqStore *self)
{
  if (self == NULL)
    return;
  if (self->last < self->reserved)
    {
      g_autofree gchar *text = g_strdup_printf ("%" G_GINT64_FORMAT "\n", self->last);
      g_autoptr (GError) error = NULL;
      if (!ioc_file_replace_durable (self->path, text, strlen (text), &error))
        g_warning ("seq store: %s (the next start skips to %" G_GINT64_FORMAT ")",
                   error->message, self->reserved + 1);
    }
  g_free (self->path);
  g_free (self);
}
