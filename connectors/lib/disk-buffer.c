/* disk-buffer.c — see disk-buffer.h.  Record layout, little endian:
 *   u32 magic "IOCB" | u8 kind (1 message, 2 cursor) | u8 retained |
 *   u16 topic_len | u32 payload_len | i64 seq | u32 crc32(topic+payload) |
 *   topic | payload
 * A torn or corrupt tail (SIGKILL mid-write) ends the load and is cut off.
 * Runs on the main loop only. */
#include "lib/disk-buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "protocol/ioc-error.h"

#define REC_MAGIC 0x42434f49u /* "IOCB" */
#define REC_HEADER 24
#define REC_MESSAGE 1
#define REC_CURSOR 2
/* A record is never bigger than a message plus its topic: refuse more on
 * load, so a corrupt length cannot make us allocate gigabytes. */
#define REC_MAX_BODY (1024 * 1024)

struct _IocDiskBuffer
{
  gchar *path;
  int fd;
  guint64 max_bytes;
  GQueue entries;   /* IocBufEntry*, seq order */
  GHashTable *by_seq; /* seq → entry (borrowed) */
  guint64 bytes;    /* payload+topic bytes of pending entries */
  guint64 file_bytes;
  guint64 dropped;
  gint64 last_seq;
  gchar *cursor;
  gboolean cursor_dirty;
};

static void
entry_free (IocBufEntry *e)
{
  g_free (e->topic);
  g_bytes_unref (e->payload);
  g_free (e);
}

static gsize
entry_size (const IocBufEntry *e)
{
  return strlen (e->topic) + g_bytes_get_size (e->payload);
}

static void
put_u32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static guint32
get_u32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static GBytes *
encode (guint8 kind, gboolean retained, gint64 seq, const gchar *topic, gsize tlen,
        const gchar *payload, gsize plen)
{
  guint8 *buf = g_malloc (REC_HEADER + tlen + plen);
  put_u32 (buf, REC_MAGIC);
  buf[4] = kind;
  buf[5] = retained ? 1 : 0;
  buf[6] = (guint8) tlen;
  buf[7] = (guint8) (tlen >> 8);
  put_u32 (buf + 8, (guint32) plen);
  put_u32 (buf + 12, (guint32) ((guint64) seq & 0xffffffffu));
  put_u32 (buf + 16, (guint32) ((guint64) seq >> 32));
  memcpy (buf + REC_HEADER, topic, tlen);
  memcpy (buf + REC_HEADER + tlen, payload, plen);
  uLong crc = crc32 (0L, buf + REC_HEADER, (uInt) (tlen + plen));
  put_u32 (buf + 20, (guint32) crc);
  return g_bytes_new_take (buf, REC_HEADER + tlen + plen);
}

static gboolean
write_all (int fd, const guint8 *p, gsize len, GError **error, const gchar *path)
{
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          return ioc_io_error (error, errno, "%s: write", path);
        }
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
write_record (IocDiskBuffer *self, int fd, GBytes *rec, GError **error)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (rec, &len);
  if (!write_all (fd, p, len, error, self->path))
    return FALSE;
  self->file_bytes += len;
  return TRUE;
}

/* Loads every record; returns the offset of the first byte that is not a
 * whole, valid record. */
static goffset
load (IocDiskBuffer *self, const guint8 *data, gsize len)
{
  gsize pos = 0;
  for (;;)
    {
      if (len - pos < REC_HEADER)
        break;
      const guint8 *h = data + pos;
      if (get_u32 (h) != REC_MAGIC)
        break;
      gsize tlen = (gsize) h[6] | (gsize) h[7] << 8;
      gsize plen = get_u32 (h + 8);
      if (plen > REC_MAX_BODY || len - pos - REC_HEADER < tlen + plen)
        break;
      gint64 seq = (gint64) ((guint64) get_u32 (h + 12) | (guint64) get_u32 (h + 16) << 32);
      const guint8 *body = h + REC_HEADER;
      if ((guint32) crc32 (0L, body, (uInt) (tlen + plen)) != get_u32 (h + 20))
        break;
      if (h[4] == REC_CURSOR)
        {
          g_free (self->cursor);
          self->cursor = g_strndup ((const gchar *) body + tlen, plen);
        }
      else if (h[4] == REC_MESSAGE && seq > self->last_seq)
        {
          IocBufEntry *e = g_new0 (IocBufEntry, 1);
          e->seq = seq;
          e->topic = g_strndup ((const gchar *) body, tlen);
          e->payload = g_bytes_new (body + tlen, plen);
          e->retained = h[5] != 0;
          g_queue_push_tail (&self->entries, e);
          g_hash_table_insert (self->by_seq, &e->seq, e);
          self->bytes += entry_size (e);
          self->last_seq = seq;
        }
      pos += REC_HEADER + tlen + plen;
    }
  return (goffset) pos;
}

IocDiskBuffer *
ioc_disk_buffer_open (const gchar *path, guint64 max_bytes, GError **error)
{
  g_autoptr (IocDiskBuffer) self = g_new0 (IocDiskBuffer, 1);
  self->path = g_strdup (path);
  self->fd = -1;
  self->max_bytes = max_bytes;
  g_queue_init (&self->entries);
  self->by_seq = g_hash_table_new (g_int64_hash, g_int64_equal);

  g_autofree gchar *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &data, &len, &local)
      && !g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  goffset good = data ? load (self, (const guint8 *) data, len) : 0;
  self->fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (self->fd < 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: %s", path, g_strerror (errno));
      return NULL;
    }
  if ((gsize) good < len)
    g_message ("%s: cut %zu bytes of torn or corrupt tail after %u pending messages", path,
               len - (gsize) good, self->entries.length);
  if (ftruncate (self->fd, good) != 0 || lseek (self->fd, good, SEEK_SET) < 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: truncate: %s", path, g_strerror (errno));
      return NULL;
    }
  self->file_bytes = (guint64) good;
  return g_steal_pointer (&self);
}

void
ioc_disk_buffer_free (IocDiskBuffer *self)
{
  if (self == NULL)
    return;
  if (self->fd >= 0)
    close (self->fd);
  g_queue_clear_full (&self->entries, (GDestroyNotify) entry_free);
  g_hash_table_unref (self->by_seq);
  g_free (self->cursor);
  g_free (self->path);
  g_free (self);
}

/* Drops the oldest entries that are not in flight until under the bound.
 * SPEC §7 asks for a visible counter; the connector reports it in status. */
static void
enforce_bound (IocDiskBuffer *self)
{
  GList *l = self->entries.head;
  while (self->bytes > self->max_bytes && l)
    {
      GList *next = l->next;
      IocBufEntry *e = l->data;
      if (e->state != IOC_BUF_INFLIGHT)
        {
          self->bytes -= entry_size (e);
          if (e->state != IOC_BUF_ACKED)
            self->dropped++;
          g_hash_table_remove (self->by_seq, &e->seq);
          g_queue_delete_link (&self->entries, l);
          entry_free (e);
        }
      l = next;
    }
}

gboolean
ioc_disk_buffer_append (IocDiskBuffer *self, gint64 seq, const gchar *topic,
                        const gchar *payload, gsize len, gboolean retained, GError **error)
{
  g_return_val_if_fail (seq > self->last_seq, FALSE);
  gsize tlen = strlen (topic);
  g_return_val_if_fail (tlen <= G_MAXUINT16 && len <= REC_MAX_BODY, FALSE);
  g_autoptr (GBytes) rec = encode (REC_MESSAGE, retained, seq, topic, tlen, payload, len);
  if (!write_record (self, self->fd, rec, error))
    return FALSE;
  IocBufEntry *e = g_new0 (IocBufEntry, 1);
  e->seq = seq;
  e->topic = g_strdup (topic);
  e->payload = g_bytes_new (payload, len);
  e->retained = retained;
  g_queue_push_tail (&self->entries, e);
  g_hash_table_insert (self->by_seq, &e->seq, e);
  self->bytes += entry_size (e);
  self->last_seq = seq;
  enforce_bound (self);
  return TRUE;
}

gboolean
ioc_disk_buffer_sync (IocDiskBuffer *self, const gchar *cursor, GError **error)
{
  if (cursor && g_strcmp0 (cursor, self->cursor) != 0)
    {
      g_autoptr (GBytes) rec = encode (REC_CURSOR, FALSE, 0, "", 0, cursor, strlen (cursor));
      if (!write_record (self, self->fd, rec, error))
        return FALSE;
      g_free (self->cursor);
      self->cursor = g_strdup (cursor);
    }
  if (fdatasync (self->fd) != 0)
    {
      return ioc_io_error (error, errno, "%s: fdatasync", self->path);
    }
  return TRUE;
}

/* Rewrites the file with the cursor and what is pending, atomically. */
static gboolean
compact (IocDiskBuffer *self, GError **error)
{
  g_autofree gchar *tmp = g_strconcat (self->path, ".tmp", NULL);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      return ioc_io_error (error, errno, "%s", tmp);
    }
  guint64 saved_bytes = self->file_bytes;
  self->file_bytes = 0;
  gboolean ok = TRUE;
  if (self->cursor)
    {
      g_autoptr (GBytes) rec = encode (REC_CURSOR, FALSE, 0, "", 0, self->cursor,
                                       strlen (self->cursor));
      ok = write_record (self, fd, rec, error);
    }
  for (GList *l = self->entries.head; ok && l; l = l->next)
    {
      IocBufEntry *e = l->data;
      if (e->state == IOC_BUF_ACKED)
        continue;
      gsize plen;
      const gchar *p = g_bytes_get_data (e->payload, &plen);
      g_autoptr (GBytes) rec = encode (REC_MESSAGE, e->retained, e->seq, e->topic,
                                       strlen (e->topic), p, plen);
      ok = write_record (self, fd, rec, error);
    }
  if (ok && fsync (fd) != 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: fsync: %s", tmp, g_strerror (errno));
      ok = FALSE;
    }
  if (ok && rename (tmp, self->path) != 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: rename: %s", self->path,
                   g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    {
      close (fd);
      unlink (tmp);
      self->file_bytes = saved_bytes;
      return FALSE;
    }
  close (self->fd);
  self->fd = fd;
  lseek (self->fd, 0, SEEK_END);
  return TRUE;
}

void
ioc_disk_buffer_ack (IocDiskBuffer *self, gint64 seq)
{
  IocBufEntry *e = g_hash_table_lookup (self->by_seq, &seq);
  if (e == NULL)
    return;
  e->state = IOC_BUF_ACKED;
  /* Forget the acknowledged prefix; an ack out of order waits for its
   * predecessors so that a restart resends in seq order. */
  for (guint i = 0; i < G_MAXUINT && self->entries.head; i++)
    {
      IocBufEntry *h = self->entries.head->data;
      if (h->state != IOC_BUF_ACKED)
        break;
      g_queue_pop_head (&self->entries);
      g_hash_table_remove (self->by_seq, &h->seq);
      self->bytes -= entry_size (h);
      entry_free (h);
    }
  /* Keep the file near what is pending: rewrite when it is mostly acked. */
  if ((self->file_bytes > 64 * 1024 && self->file_bytes > 4 * (self->bytes + 1024))
      || (self->entries.length == 0 && self->file_bytes > 16 * 1024))
    {
      g_autoptr (GError) error = NULL;
      if (!compact (self, &error))
        g_warning ("disk buffer: compaction failed (file keeps growing): %s", error->message);
    }
}

IocBufEntry *
ioc_disk_buffer_lookup (IocDiskBuffer *self, gint64 seq)
{
  return g_hash_table_lookup (self->by_seq, &seq);
}

GQueue *
ioc_disk_buffer_entries (IocDiskBuffer *self)
{
  return &self->entries;
}

const gchar *
ioc_disk_buffer_cursor (IocDiskBuffer *self)
{
  return self->cursor;
}

gint64
ioc_disk_buffer_last_seq (IocDiskBuffer *self)
{
  return self->last_seq;
}

guint64
ioc_disk_buffer_bytes (IocDiskBuffer *self)
{
  return self->bytes;
}

guint
ioc_disk_buffer_length (IocDiskBuffer *self)
{
  return self->entries.length;
}

guint64
ioc_disk_buffer_dropped (IocDiskBuffer *self)
{
  return self->dropped;
}
