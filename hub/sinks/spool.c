/* spool.c — the on-disk FIFO of line-protocol batches owed to InfluxDB
 * (format and promises in spool.h).  The main context appends when the
 * rollup emits points; the InfluxDB writer thread peeks and commits.  One
 * mutex guards the whole state, and a condition variable wakes a peek
 * waiting for data.  Files are written with pwrite(2), never buffered in
 * user space, so a SIGKILL loses nothing that append returned for. */
#include "sinks/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"

#define IOC_SPOOL_SEGMENT_MAX (4u * 1024u * 1024u)
#define IOC_SPOOL_SEGMENT_MIN 4096u
#define IOC_SPOOL_HEADER 8u

typedef struct
{
  guint64 id;
  guint64 size;    /* bytes of whole, valid records */
  guint n_records;
} IocSpoolSegment;

struct _IocSpool
{
  GMutex lock;
  GCond cond;
  gchar *dir;
  guint64 max_bytes;
  guint64 segment_max;

  GQueue segments;    /* IocSpoolSegment*, oldest (the read head) first; never empty */
  guint64 disk_bytes; /* sum of the segments' sizes */
  guint total_records;

  guint64 read_off;   /* in the head segment */
  guint read_records; /* records of the head segment before read_off */

  int write_fd;       /* the tail segment */
  int read_fd;        /* the head segment, opened lazily; -1 */
  guint64 read_fd_id;

  gboolean has_peek;  /* the last peeked record, for commit */
  guint64 peek_id;
  guint64 peek_off;
  guint64 peek_len;

  gboolean wake;

  IocStat *st_bytes;
  IocStat *st_dropped_bytes;
  IocStat *st_dropped_batches;
};

static gchar *
ioc_spool_segment_path (IocSpool *self, guint64 id)
{
  g_autofree gchar *name = g_strdup_printf ("seg-%020" G_GUINT64_FORMAT ".spool", id);
  return g_build_filename (self->dir, name, NULL);
}

static guint32
ioc_spool_crc (guint32 len, const guint8 *payload)
{
  guint8 le[4] = { len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >> 24) & 0xff };
  uLong crc = crc32 (0L, Z_NULL, 0);
  crc = crc32 (crc, le, 4);
  /* zlib takes uInt lengths; records are below 4 GiB but feed in chunks
   * anyway so that no cast truncates. */
  for (guint32 done = 0; done < len;)
    {
      guint32 chunk = MIN (len - done, 1u << 30);
      crc = crc32 (crc, payload + done, chunk);
      done += chunk;
    }
  return (guint32) crc;
}

static guint32
ioc_spool_get_u32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static void
ioc_spool_put_u32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

static void
ioc_spool_update_gauge (IocSpool *self)
{
  ioc_stat_set (self->st_bytes, (gint64) (self->disk_bytes - self->read_off));
}

/* Stores the read position.  g_file_set_contents_full writes a temporary
 * file and renames it over the old one, so a crash leaves either position,
 * never a torn one.  Failure is logged and tolerated: the worst outcome is
 * that batches are sent twice after a crash, which InfluxDB absorbs. */
static void
ioc_spool_write_commit (IocSpool *self)
{
  IocSpoolSegment *head = g_queue_peek_head (&self->segments);
  g_autofree gchar *path = g_build_filename (self->dir, "commit", NULL);
  g_autofree gchar *text = g_strdup_printf ("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n", head->id, self->read_off);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_warning ("spool: cannot store the read offset: %s", error->message);
}

static void
ioc_spool_close_read_fd (IocSpool *self)
{
  if (self->read_fd >= 0)
    close (self->read_fd);
  self->read_fd = -1;
}

/* Starts a new, empty tail segment; later appends go there. */
static gboolean
ioc_spool_rotate (IocSpool *self, GError **error)
{
  IocSpoolSegment *tail = g_queue_peek_tail (&self->segments);
  guint64 id = tail != NULL ? tail->id + 1 : 0;
  g_autofree gchar *path = ioc_spool_segment_path (self, id);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd < 0)
    return ioc_io_error (error, errno, "%s", path);
  if (self->write_fd >= 0)
    close (self->write_fd);
  self->write_fd = fd;
  IocSpoolSegment *seg = g_new0 (IocSpoolSegment, 1);
  seg->id = id;
  g_queue_push_tail (&self->segments, seg);
  return TRUE;
}

/* head, just popped, is gone: the read position moves to the next segment
 * and is stored before the file is deleted, so a crash between the two
 * only leaves a file that open deletes. */
static void
ioc_spool_delete_head (IocSpool *self, IocSpoolSegment *head)
{
  self->disk_bytes -= head->size;
  self->total_records -= head->n_records;
  self->read_off = 0;
  self->read_records = 0;
  if (self->read_fd_id == head->id)
    ioc_spool_close_read_fd (self);
  ioc_spool_write_commit (self);
  g_autofree gchar *path = ioc_spool_segment_path (self, head->id);
  g_unlink (path);
  g_free (head);
}

/* Drops the head segment with whatever is still unread in it, counting the
 * loss.  The caller made sure it is not the tail. */
static void
ioc_spool_drop_head (IocSpool *self, const gchar *why)
{
  g_assert (self->segments.length > 1);
  IocSpoolSegment *head = g_queue_pop_head (&self->segments);
  guint64 lost_bytes = head->size - self->read_off;
  guint lost_batches = head->n_records - self->read_records;

  if (lost_batches > 0)
    {
      /* SPEC §7: a visible counter whenever the bound drops data. */
      ioc_stat_add (self->st_dropped_bytes, (gint64) lost_bytes);
      ioc_stat_add (self->st_dropped_batches, lost_batches);
      g_warning ("spool: %s: dropped %u batches (%" G_GUINT64_FORMAT " bytes) not yet written to InfluxDB",
                 why, lost_batches, lost_bytes);
    }
  ioc_spool_delete_head (self, head);
  ioc_spool_update_gauge (self);
}

/* Reads a segment and keeps its valid prefix; a torn or corrupt tail (a
 * crash mid-append, a damaged disk) is cut from the file.  commit_off is
 * the committed offset when this is the committed segment, else 0; the
 * number of whole records before it goes to *records_before. */
static gboolean
ioc_spool_scan_segment (IocSpool *self, IocSpoolSegment *seg, guint64 commit_off,
                        guint64 *read_off, guint *records_before, GError **error)
{
  g_autofree gchar *path = ioc_spool_segment_path (self, seg->id);
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;

  const guint8 *data = (const guint8 *) contents;
  gsize off = 0;
  *read_off = 0;
  *records_before = 0;
  while (len - off >= IOC_SPOOL_HEADER)
    {
      guint32 rlen = ioc_spool_get_u32 (data + off);
      guint32 crc = ioc_spool_get_u32 (data + off + 4);
      if (rlen == 0 || rlen > len - off - IOC_SPOOL_HEADER ||
          ioc_spool_crc (rlen, data + off + IOC_SPOOL_HEADER) != crc)
        break;
      off += IOC_SPOOL_HEADER + rlen;
      seg->n_records++;
      /* A committed offset between records cannot happen; if it did, stop
       * at the record boundary below it: resending beats losing. */
      if (off <= commit_off)
        {
          *read_off = off;
          (*records_before)++;
        }
    }
  if (off < len)
    {
      g_message ("spool: %s: cutting %" G_GSIZE_FORMAT " bytes of a torn or corrupt tail", path, len - off);
      if (truncate (path, (off_t) off) != 0)
        return ioc_io_error (error, errno, "%s", path);
    }
  seg->size = off;
  return TRUE;
}

static gint
ioc_spool_compare_ids (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a;
  guint64 y = *(const guint64 *) b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* The ids of the segment files (seg-<20 digits>.spool) in the directory,
 * oldest first; NULL when it cannot be read. */
static GArray *
ioc_spool_list_segments (IocSpool *self, GError **error)
{
  g_autoptr(GDir) d = g_dir_open (self->dir, 0, error);
  const gchar *name;
  if (d == NULL)
    return NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (strlen (name) != 4 + 20 + 6 || !g_str_has_prefix (name, "seg-") || !g_str_has_suffix (name, ".spool"))
        continue;
      gchar *end = NULL;
      guint64 id = g_ascii_strtoull (name + 4, &end, 10);
      if (end != name + 24)
        continue;
      g_array_append_val (ids, id);
    }
  g_array_sort (ids, ioc_spool_compare_ids);
  return ids;
}

/* The read position stored in the commit file ("<segment id> <offset>").
 * FALSE when there is none or it is unreadable (then everything is sent
 * again). */
static gboolean
ioc_spool_read_commit (IocSpool *self, guint64 *commit_id, guint64 *commit_off)
{
  g_autofree gchar *commit_path = g_build_filename (self->dir, "commit", NULL);
  g_autofree gchar *commit_text = NULL;
  gboolean has_commit = FALSE;
  if (!g_file_get_contents (commit_path, &commit_text, NULL, NULL))
    return FALSE;
  gchar *end = NULL;
  *commit_id = g_ascii_strtoull (commit_text, &end, 10);
  if (end != commit_text && *end == ' ')
    {
      gchar *end2 = NULL;
      *commit_off = g_ascii_strtoull (end + 1, &end2, 10);
      has_commit = end2 != end + 1;
    }
  if (!has_commit)
    g_warning ("spool: %s is unreadable; sending the whole spool again", commit_path);
  return has_commit;
}

/* Segments, commit file and the repair of a torn tail, in the one order
 * that makes the spool safe to open after SIGKILL. */
static gboolean
ioc_spool_load (IocSpool *self, GError **error)
{
  g_autoptr(GArray) ids = ioc_spool_list_segments (self, error);
  guint64 commit_id = 0;
  guint64 commit_off = 0;

  if (ids == NULL)
    return FALSE;
  gboolean has_commit = ioc_spool_read_commit (self, &commit_id, &commit_off);

  for (guint i = 0; i < ids->len; i++)
    {
      guint64 id = g_array_index (ids, guint64, i);
      g_autofree gchar *path = ioc_spool_segment_path (self, id);
      if (has_commit && id < commit_id)
        {
          /* Fully committed; a crash came between commit and unlink. */
          g_unlink (path);
          continue;
        }
      g_autofree IocSpoolSegment *seg = g_new0 (IocSpoolSegment, 1);
      guint64 read_off = 0;
      guint before = 0;
      seg->id = id;
      gboolean is_head = self->segments.length == 0;
      if (!ioc_spool_scan_segment (self, seg, (is_head && has_commit && id == commit_id) ? commit_off : 0,
                                   &read_off, &before, error))
        return FALSE;
      if (is_head)
        {
          self->read_off = read_off;
          self->read_records = before;
        }
      self->disk_bytes += seg->size;
      self->total_records += seg->n_records;
      g_queue_push_tail (&self->segments, g_steal_pointer (&seg));
    }

  /* Appends go to a fresh segment: the old tail may end where a torn record
   * was cut, and keeping writers off old files keeps that simple. */
  if (!ioc_spool_rotate (self, error))
    return FALSE;
  /* Drop fully read heads so that the head is where data is. */
  while (self->segments.length > 1)
    {
      IocSpoolSegment *head = g_queue_peek_head (&self->segments);
      if (self->read_off < head->size)
        break;
      ioc_spool_drop_head (self, "opening");
    }
  /* Store the position we resolved, so that a stale commit file can never
   * be applied to a segment created later under the same id. */
  ioc_spool_write_commit (self);
  ioc_spool_update_gauge (self);
  return TRUE;
}

IocSpool *
ioc_spool_open (const gchar *dir, guint64 max_bytes, GError **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (max_bytes > 0, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      ioc_io_error (error, errno, "%s", dir);
      return NULL;
    }

  g_autoptr(IocSpool) self = g_new0 (IocSpool, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->segments);
  self->dir = g_strdup (dir);
  self->max_bytes = max_bytes;
  /* At least four segments fit in the bound, so that dropping whole
   * segments drops a quarter of the spool at most. */
  self->segment_max = CLAMP (max_bytes / 4, IOC_SPOOL_SEGMENT_MIN, IOC_SPOOL_SEGMENT_MAX);
  self->write_fd = -1;
  self->read_fd = -1;
  self->st_bytes = ioc_stat (
    "iochub_spool_bytes", NULL, IOC_STAT_GAUGE, "Bytes in the InfluxDB spool not yet written to InfluxDB");
  self->st_dropped_bytes = ioc_stat ("iochub_spool_dropped_bytes_total", NULL, IOC_STAT_COUNTER,
                                     "Bytes of unwritten batches dropped because the spool reached its bound");
  self->st_dropped_batches = ioc_stat ("iochub_spool_dropped_batches_total", NULL, IOC_STAT_COUNTER,
                                       "Unwritten batches dropped because the spool reached its bound");

  if (!ioc_spool_load (self, error))
    {
      g_prefix_error (error, "spool %s: ", dir);
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
ioc_spool_free (IocSpool *self)
{
  if (self == NULL)
    return;
  if (self->write_fd >= 0)
    close (self->write_fd);
  ioc_spool_close_read_fd (self);
  g_queue_clear_full (&self->segments, g_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->dir);
  g_free (self);
}

static gboolean
ioc_spool_pwrite_all (int fd, const guint8 *buf, gsize len, guint64 off, GError **error)
{
  while (len > 0)
    {
      ssize_t n = pwrite (fd, buf, len, (off_t) off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = n < 0 ? errno : ENOSPC;
          g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "spool write: %s", g_strerror (saved));
          return FALSE;
        }
      buf += n;
      len -= (gsize) n;
      off += (guint64) n;
    }
  return TRUE;
}

gboolean
ioc_spool_append (IocSpool *self, const void *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL && len > 0, FALSE);

  guint64 rec = IOC_SPOOL_HEADER + (guint64) len;
  if (len > G_MAXUINT32 - IOC_SPOOL_HEADER || rec > self->max_bytes)
    {
      /* Counted like a drop by the bound: it never reaches InfluxDB. */
      ioc_stat_add (self->st_dropped_bytes, (gint64) rec);
      ioc_stat_add (self->st_dropped_batches, 1);
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO,
                   "spool: a batch of %" G_GSIZE_FORMAT " bytes exceeds the spool bound of %" G_GUINT64_FORMAT
                   " bytes; dropped",
                   len, self->max_bytes);
      return FALSE;
    }

  g_autofree guint8 *buf = g_malloc (rec);
  ioc_spool_put_u32 (buf, (guint32) len);
  memcpy (buf + IOC_SPOOL_HEADER, data, len);
  ioc_spool_put_u32 (buf + 4, ioc_spool_crc ((guint32) len, buf + IOC_SPOOL_HEADER));

  g_mutex_lock (&self->lock);
  IocSpoolSegment *tail = g_queue_peek_tail (&self->segments);
  if (tail->size > 0 && tail->size + rec > self->segment_max)
    {
      if (!ioc_spool_rotate (self, error))
        {
          g_mutex_unlock (&self->lock);
          return FALSE;
        }
      tail = g_queue_peek_tail (&self->segments);
    }
  while (self->disk_bytes + rec > self->max_bytes)
    {
      if (self->segments.length == 1)
        {
          /* Only the tail is left: close it so that it can go too. */
          if (!ioc_spool_rotate (self, error))
            {
              g_mutex_unlock (&self->lock);
              return FALSE;
            }
          tail = g_queue_peek_tail (&self->segments);
        }
      ioc_spool_drop_head (self, "spool full");
    }

  if (!ioc_spool_pwrite_all (self->write_fd, buf, rec, tail->size, error))
    {
      /* Cut what reached the file, so that a crash now leaves no half
       * record to trip over (open would cut it anyway). */
      if (ftruncate (self->write_fd, (off_t) tail->size) != 0)
        g_debug ("spool: cannot cut a failed append");
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  tail->size += rec;
  tail->n_records++;
  self->disk_bytes += rec;
  self->total_records++;
  ioc_spool_update_gauge (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* Reads the record at the read position into *out.  FALSE when it cannot
 * be read back or fails its CRC (the disk changed under us). */
static gboolean
ioc_spool_read_record (IocSpool *self, IocSpoolSegment *head, GBytes **out, guint64 *rec_len)
{
  if (self->read_fd < 0 || self->read_fd_id != head->id)
    {
      g_autofree gchar *path = ioc_spool_segment_path (self, head->id);
      ioc_spool_close_read_fd (self);
      self->read_fd = open (path, O_RDONLY | O_CLOEXEC);
      if (self->read_fd < 0)
        return FALSE;
      self->read_fd_id = head->id;
    }
  guint8 hdr[IOC_SPOOL_HEADER];
  if (pread (self->read_fd, hdr, sizeof hdr, (off_t) self->read_off) != (ssize_t) sizeof hdr)
    return FALSE;
  guint32 len = ioc_spool_get_u32 (hdr);
  if (len == 0 || IOC_SPOOL_HEADER + (guint64) len > head->size - self->read_off)
    return FALSE;
  g_autofree guint8 *payload = g_malloc (len);
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = pread (self->read_fd, payload + done, len - done, (off_t) (self->read_off + IOC_SPOOL_HEADER + done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      done += (gsize) n;
    }
  if (ioc_spool_crc (len, payload) != ioc_spool_get_u32 (hdr + 4))
    return FALSE;
  *rec_len = IOC_SPOOL_HEADER + len;
  *out = g_bytes_new_take (g_steal_pointer (&payload), len);
  return TRUE;
}

GBytes *
ioc_spool_peek (IocSpool *self, gint64 timeout_us)
{
  g_return_val_if_fail (self != NULL, NULL);

  gint64 deadline = g_get_monotonic_time () + MAX (timeout_us, 0);
  GBytes *bytes = NULL;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      if (self->wake)
        {
          self->wake = FALSE;
          break;
        }
      IocSpoolSegment *head = g_queue_peek_head (&self->segments);
      if (self->read_off >= head->size && self->segments.length > 1)
        {
          /* A fully read segment that is no longer appended to (an empty
           * tail left by an earlier run): move on to the next one. */
          ioc_spool_drop_head (self, "fully read");
          continue;
        }
      if (self->read_off < head->size)
        {
          guint64 rec_len = 0;
          if (ioc_spool_read_record (self, head, &bytes, &rec_len))
            {
              self->has_peek = TRUE;
              self->peek_id = head->id;
              self->peek_off = self->read_off;
              self->peek_len = rec_len;
              break;
            }
          /* Unreadable: give up the rest of this segment (counted) rather
           * than block the writer forever on it. */
          if (self->segments.length == 1)
            {
              g_autoptr(GError) error = NULL;
              if (!ioc_spool_rotate (self, &error))
                {
                  g_warning ("spool: %s", error->message);
                  break;
                }
            }
          ioc_spool_drop_head (self, "unreadable segment");
          continue;
        }
      if (g_get_monotonic_time () >= deadline)
        break;
      g_cond_wait_until (&self->cond, &self->lock, deadline);
    }
  g_mutex_unlock (&self->lock);
  return bytes;
}

void
ioc_spool_commit (IocSpool *self)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  IocSpoolSegment *head = g_queue_peek_head (&self->segments);
  if (!self->has_peek || self->peek_id != head->id || self->peek_off != self->read_off)
    {
      /* Dropped by the bound while it was being written. */
      self->has_peek = FALSE;
      g_mutex_unlock (&self->lock);
      return;
    }
  self->has_peek = FALSE;
  self->read_off += self->peek_len;
  self->read_records++;
  if (self->read_off >= head->size && self->segments.length > 1)
    {
      /* Fully read and no longer appended to. */
      g_queue_pop_head (&self->segments);
      ioc_spool_delete_head (self, head);
    }
  else
    ioc_spool_write_commit (self);
  ioc_spool_update_gauge (self);
  g_mutex_unlock (&self->lock);
}

IocSpoolPending
ioc_spool_pending (IocSpool *self)
{
  IocSpoolPending p = { 0, 0 };
  g_return_val_if_fail (self != NULL, p);
  g_mutex_lock (&self->lock);
  p.bytes = self->disk_bytes - self->read_off;
  p.batches = self->total_records - self->read_records;
  g_mutex_unlock (&self->lock);
  return p;
}

void
ioc_spool_wake (IocSpool *self)
{
  g_return_if_fail (self != NULL);
  g_mutex_lock (&self->lock);
  self->wake = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}
