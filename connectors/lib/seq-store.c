/* seq-store.c — durable seq reservation for a connector's device (see
 * seq-store.h).  The file holds one line: the highest seq that may have
 * been handed out, a space and the store's epoch ("4000 k3x9…").  A file
 * of an older connector has the number alone; it keeps its numbers and
 * gets an epoch at its next write.  Runs on the main loop only. */
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
  gchar *epoch;
  guint block;
  gint64 last;     /* last handed out */
  gint64 reserved; /* durable high-water mark: last ≤ reserved */
};

/* SPEC §4: drawn anew whenever the store is new, so that the hub reads a
 * restart from 1 as a seq reset, not as duplicates.  16 random characters
 * of [0-9a-z]: a repeat is out of the question. */
static gchar *
draw_epoch (void)
{
  static const gchar digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  gchar *e = g_malloc (17);
  for (guint i = 0; i < 16; i++)
    e[i] = digits[g_random_int_range (0, 36)];
  e[16] = '\0';
  return e;
}

static gboolean
is_epoch (const gchar *s)
{
  gsize n = strlen (s);
  if (n == 0 || n > 32)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '-' && s[i] != '_')
      return FALSE;
  return TRUE;
}

static gchar *
store_text (const IocSeqStore *self, gint64 value)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT " %s\n", value, self->epoch);
}

gboolean
ioc_file_replace_durable (const gchar *path, const gchar *data, gsize len, GError **error)
{
  g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      return ioc_io_error (error, errno, "%s", tmp);
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
      return ioc_io_error (error, errno, "%s: rename", path);
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
  g_autofree gchar *epoch = NULL;
  gint64 reserved = 0;
  g_autoptr (GError) local = NULL;
  if (g_file_get_contents (path, &text, NULL, &local))
    {
      gchar *end = NULL;
      g_strstrip (text);
      reserved = g_ascii_strtoll (text, &end, 10);
      if (end != text && *end == ' ')
        {
          epoch = g_strdup (end + 1);
          end += strlen (end);
        }
      if (end == text || *end != '\0' || reserved < 0 || (epoch != NULL && !is_epoch (epoch)))
        {
          /* Refuse rather than restart at 1: that would reuse numbers. */
          g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                       "%s: expected a non-negative integer and an epoch of 1–32 characters "
                       "[0-9A-Za-z_-], got '%s'", path, text);
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
  /* A new store, or one written before epochs: a new epoch.  For the
   * latter the hub sees an epoch appear, which is not a reset. */
  self->epoch = epoch != NULL ? g_steal_pointer (&epoch) : draw_epoch ();
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
      g_autofree gchar *text = store_text (self, want);
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

const gchar *
ioc_seq_store_epoch (IocSeqStore *self)
{
  return self->epoch;
}

void
ioc_seq_store_close (IocSeqStore *self)
{
  if (self == NULL)
    return;
  if (self->last < self->reserved)
    {
      g_autofree gchar *text = store_text (self, self->last);
      g_autoptr (GError) error = NULL;
      if (!ioc_file_replace_durable (self->path, text, strlen (text), &error))
        g_warning ("seq store: %s (the next start skips to %" G_GINT64_FORMAT ")",
                   error->message, self->reserved + 1);
    }
  g_free (self->path);
  g_free (self->epoch);
  g_free (self);
}
