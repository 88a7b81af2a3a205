/* journal.c — the append-only journal under state_dir (SPEC §7).
 *
 * It owns the segment files journal-<20-digit segment>.log and the lock file
 * journal.lock of one directory.  In the flow it sits first: the Paho
 * thread's messageArrived appends every message (good or bad) here and only
 * then returns 1, which makes Paho send PUBACK; the main thread later
 * processes the message, checkpoints (state/snapshot.c) and compacts.  At
 * start the main thread opens the journal (cutting a torn tail) and replays
 * what the snapshot does not cover.
 *
 * Threads: append runs on the Paho thread; open, replay, sync, prepare,
 * compact and free run on the main thread; is_low and headroom are atomic
 * reads for any thread.  One mutex serializes appends with sync, prepare and
 * compaction; fdatasync from ioc_journal_sync() runs outside it, on a dup of
 * the file descriptor, so a slow disk does not stall the Paho thread.
 *
 * Durability.  A record is written with one pwrite(2) of a frame built in a
 * reusable buffer, before append returns: once it returns, the record is in
 * the page cache and survives SIGKILL of the hub.  fdatasync is batched:
 * inside append when the last sync is older than sync_interval_us or
 * sync_bytes are unsynced, when a segment rolls, and whenever the main
 * thread calls ioc_journal_sync().  So on power loss (or a kernel crash) the
 * hub can lose messages it has already acknowledged: at most those appended
 * within the last sync_interval_us (default 20 ms) or sync_bytes, whichever
 * comes first, plus up to the main thread's sync timer period when traffic
 * stops.  Such a loss shows up as a torn or missing tail, never as a
 * corrupt middle.  A failed fdatasync leaves the page cache in an unknown
 * state, so it breaks the journal: every later append fails and the hub must
 * restart rather than acknowledge messages it cannot keep.
 *
 * The pieces (journal-private.h): the segment file format in
 * journal-segment.c, the write reserve in journal-reserve.c, the readers
 * (open's recovery and the replay) in journal-recover.c. */
#include "state/journal-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "protocol/ioc-error.h"
#include "state/durable.h"

#define DEFAULT_SEGMENT_BYTES (64u * 1024u * 1024u)
#define DEFAULT_RESERVE_BYTES (16u * 1024u * 1024u)
#define DEFAULT_SYNC_INTERVAL_US (20 * G_TIME_SPAN_MILLISECOND)
#define DEFAULT_SYNC_BYTES (4u * 1024u * 1024u)

gint
ioc_journal_pos_compare (IocJournalPos a, IocJournalPos b)
{
  if (a.segment != b.segment)
    return a.segment < b.segment ? -1 : 1;
  if (a.offset != b.offset)
    return a.offset < b.offset ? -1 : 1;
  return 0;
}

static void
update_bytes_gauge (IocJournal *self)
{
  ioc_stat_set (self->st_bytes, (gint64) (self->sealed_bytes + self->offset));
}

/* Creates segment `segment` after (prev_segment, prev_end), durable before
 * it returns: header synced, directory entry synced.  Lock held (or open). */
gboolean
ioc_journal_create_segment (IocJournal *self, guint64 segment, guint64 prev_segment, guint64 prev_end,
                GError **error)
{
  g_autofree gchar *path = ioc_journal_segment_path (self, segment);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return ioc_io_error (error, errno, "journal: create %s", path);
  guint8 h[SEG_HDR];
  ioc_journal_build_header (h, segment, prev_segment, prev_end);
  if (!ioc_journal_pwrite_all (fd, h, SEG_HDR, 0) || fdatasync (fd) < 0)
    {
      int saved = errno;
      close (fd);
      unlink (path);
      return ioc_io_error (error, saved, "journal: write %s", path);
    }
  if (!ioc_durable_sync_dir (self->dir, error))
    {
      /* Not in the chain: a file left here would break the next open. */
      g_prefix_error (error, "journal: ");
      close (fd);
      unlink (path);
      return FALSE;
    }
  if (self->fd >= 0)
    close (self->fd);
  self->fd = fd;
  self->offset = SEG_HDR;
  self->alloc_end = SEG_HDR;
  IocSegment seg = { segment, SEG_HDR, prev_segment, prev_end };
  g_array_append_val (self->segments, seg);
  return TRUE;
}

/* Seals the active segment (synced) and starts the next.  Lock held.
 * *rolled is FALSE when the next segment could not be made (logged once
 * per streak): the active one then simply goes on. */
static gboolean
roll_locked (IocJournal *self, gboolean *rolled, GError **error)
{
  *rolled = FALSE;
  IocSegment *cur = &g_array_index (self->segments, IocSegment, self->segments->len - 1);
  if (fdatasync (self->fd) < 0)
    {
      int saved = errno;
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: fdatasync segment %" G_GUINT64_FORMAT ": %s",
                   cur->segment, g_strerror (saved));
      return FALSE;
    }
  self->synced_total = self->appended_total;
  self->last_sync_us = g_get_monotonic_time ();
  ioc_stat_add (self->st_syncs, 1);
  cur->size = self->offset;
  guint64 prev_segment = cur->segment;
  guint64 prev_end = self->offset;
  int old_fd = dup (self->fd);
  guint64 old_alloc = self->alloc_end;
  g_autoptr (GError) create_error = NULL;
  if (!ioc_journal_create_segment (self, prev_segment + 1, prev_segment, prev_end, &create_error))
    {
      if (old_fd >= 0)
        close (old_fd);
      if (ioc_complain (&self->roll_failing))
        g_warning ("%s (the active segment goes on past segment_bytes until one can be made)",
                   create_error->message);
      return TRUE;
    }
  if (old_fd >= 0)
    {
      ioc_journal_release_tail (old_fd, prev_end, old_alloc);
      close (old_fd);
    }
  self->sealed_bytes += prev_end;
  *rolled = TRUE;
  return TRUE;
}

IocJournal *
ioc_journal_open (const gchar *dir, const IocJournalOptions *opts, GError **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      ioc_io_error (error, errno, "journal: create directory %s", dir);
      return NULL;
    }

  g_autoptr (IocJournal) self = g_new0 (IocJournal, 1);
  self->dir = g_strdup (dir);
  self->fd = -1;
  self->lock_fd = -1;
  g_mutex_init (&self->lock);
  self->segments = g_array_new (FALSE, FALSE, sizeof (IocSegment));
  if (opts != NULL)
    self->opts = *opts;
  if (self->opts.segment_bytes == 0)
    self->opts.segment_bytes = DEFAULT_SEGMENT_BYTES;
  if (self->opts.sync_interval_us <= 0)
    self->opts.sync_interval_us = DEFAULT_SYNC_INTERVAL_US;
  if (self->opts.sync_bytes == 0)
    self->opts.sync_bytes = DEFAULT_SYNC_BYTES;
  if (self->opts.reserve_bytes == 0)
    self->opts.reserve_bytes = DEFAULT_RESERVE_BYTES;
  ioc_complaint_init (&self->roll_failing, 0);
  self->st_bytes = ioc_stat ("iochub_journal_bytes", NULL, IOC_STAT_GAUGE,
                             "Bytes of journal segments on disk");
  self->st_appends = ioc_stat ("iochub_journal_appends_total", NULL, IOC_STAT_COUNTER,
                               "Messages appended to the journal");
  self->st_syncs = ioc_stat ("iochub_journal_syncs_total", NULL, IOC_STAT_COUNTER,
                             "fdatasync calls on the journal");
  self->st_torn = ioc_stat ("iochub_journal_torn_records_total", NULL, IOC_STAT_COUNTER,
                            "Torn journal records (cut short by a crash) removed at start");
  self->st_headroom = ioc_stat ("iochub_journal_reserve_bytes", NULL, IOC_STAT_GAUGE,
                                "Journal bytes allocated ahead of its end (the write reserve)");
  self->st_blocked = ioc_stat ("iochub_journal_blocked", NULL, IOC_STAT_GAUGE,
                               "1 while the journal cannot keep its write reserve (disk or quota full): the hub takes no messages");

  /* Two hubs appending to one journal would interleave and double count. */
  g_autofree gchar *lock_path = g_build_filename (dir, "journal.lock", NULL);
  self->lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (self->lock_fd < 0 || flock (self->lock_fd, LOCK_EX | LOCK_NB) < 0)
    {
      int saved = errno;
      if (saved == EWOULDBLOCK)
        g_set_error (error, IOC_ERROR, IOC_ERROR_IO,
                     "journal: lock %s: held by another process (is another iochub running?)", lock_path);
      else
        ioc_io_error (error, saved, "journal: lock %s", lock_path);
      return NULL;
    }

  if (!ioc_journal_load_segments (self, error))
    return NULL;
  ioc_journal_refill_locked (self, TRUE);
  self->last_sync_us = g_get_monotonic_time ();
  update_bytes_gauge (self);
  return g_steal_pointer (&self);
}

/* Lock held. */
static gboolean
sync_locked (IocJournal *self, GError **error)
{
  if (fdatasync (self->fd) < 0)
    {
      int saved = errno;
      g_free (self->broken);
      self->broken = g_strdup_printf ("fdatasync failed: %s", g_strerror (saved));
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: %s: %s", self->dir, self->broken);
      return FALSE;
    }
  self->synced_total = self->appended_total;
  self->last_sync_us = g_get_monotonic_time ();
  ioc_stat_add (self->st_syncs, 1);
  return TRUE;
}

void
ioc_journal_free (IocJournal *self)
{
  if (self == NULL)
    return;
  if (self->fd >= 0)
    {
      g_autoptr (GError) error = NULL;
      if (self->broken == NULL && self->synced_total != self->appended_total
          && !sync_locked (self, &error))
        g_warning ("%s", error->message);
      ioc_journal_release_tail (self->fd, self->offset, self->alloc_end);
      close (self->fd);
    }
  if (self->lock_fd >= 0)
    close (self->lock_fd); /* releases the flock */
  g_mutex_clear (&self->lock);
  ioc_complaint_clear (&self->roll_failing);
  g_array_unref (self->segments);
  g_free (self->buf);
  g_free (self->broken);
  g_free (self->dir);
  g_free (self);
}

/* The limits a record must keep: its topic and its whole frame. */
static gboolean
check_record_size (gsize topic_len, gsize len, GError **error)
{
  if (topic_len > IOC_JOURNAL_MAX_TOPIC)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED,
                   "journal: topic of %" G_GSIZE_FORMAT " bytes is over the limit of %u", topic_len,
                   IOC_JOURNAL_MAX_TOPIC);
      return FALSE;
    }
  if (len > IOC_JOURNAL_MAX_RECORD
      || REC_FIXED + topic_len + len > IOC_JOURNAL_MAX_RECORD)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED,
                   "journal: record of %" G_GSIZE_FORMAT " bytes is over the limit of %u",
                   REC_FIXED + topic_len + len, IOC_JOURNAL_MAX_RECORD);
      return FALSE;
    }
  return TRUE;
}

/* Before a record that does not fit in the active segment: a new one.  A
 * record never spans segments; one larger than a segment gets its own.  No
 * roll while low (a new segment needs new blocks), and a failed one leaves
 * the record in the active segment.  FALSE only when the roll broke the
 * journal (error set). */
static gboolean
roll_if_full_locked (IocJournal *self, gsize frame, GError **error)
{
  if (self->offset > SEG_HDR && self->offset + frame > self->opts.segment_bytes
      && !g_atomic_int_get (&self->low))
    {
      gboolean rolled = FALSE;
      if (!roll_locked (self, &rolled, error))
        return FALSE;
      if (rolled)
        {
          guint64 n = 0;
          gdouble secs = 0;
          if (ioc_complaint_resolve (&self->roll_failing, &n, &secs))
            g_message ("journal: %s: a new segment was made again after %" G_GUINT64_FORMAT " failed tries in %.0f s",
                       self->dir, n, secs);
          ioc_journal_refill_locked (self, TRUE);
        }
    }
  return TRUE;
}

/* The record's frame in self->buf: magic, CRC, body length, arrival time,
 * topic length and flags, topic, payload. */
static void
encode_frame_locked (IocJournal *self, gsize frame, gsize body, const gchar *topic, gsize topic_len,
                     const guint8 *payload, gsize len, guint32 flags, gint64 arrival_us)
{
  if (self->buf_size < frame)
    {
      self->buf_size = MAX (frame, 4096);
      self->buf = g_realloc (self->buf, self->buf_size);
    }
  guint8 *p = self->buf;
  put_u32 (p, REC_MAGIC);
  put_u32 (p + 8, (guint32) body);
  put_u64 (p + 12, (guint64) arrival_us);
  put_u32 (p + 20, (guint32) topic_len | (flags << FLAGS_SHIFT));
  if (topic_len > 0)
    memcpy (p + REC_MIN, topic, topic_len);
  if (len > 0)
    memcpy (p + REC_MIN + topic_len, payload, len);
  put_u32 (p + 4, ioc_journal_crc_of (p + 8, 4 + body));
}

/* One pwrite of the frame at the end of the active segment; on failure no
 * partial frame is left behind for the next append to follow (or, when
 * that cannot be made sure, the journal is broken). */
static gboolean
write_frame_locked (IocJournal *self, gsize frame, GError **error)
{
  if (!ioc_journal_pwrite_all (self->fd, self->buf, frame, self->offset))
    {
      int saved = errno;
      if (ftruncate (self->fd, (off_t) self->offset) < 0)
        {
          g_free (self->broken);
          self->broken = g_strdup_printf ("cannot remove a partial write: %s", g_strerror (errno));
        }
      return ioc_io_error (error, saved, "journal: append to %s", self->dir);
    }
  return TRUE;
}

/* The whole durable append under one lock, in the order the crash analysis
 * relies on: roll if full, blocks, frame, one write, accounting, sync. */
gboolean
ioc_journal_append (IocJournal *self,
                    const gchar *topic,
                    gsize topic_len,
                    const guint8 *payload,
                    gsize len,
                    guint32 flags,
                    gint64 arrival_us,
                    IocJournalPos *out_pos,
                    GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (topic != NULL || topic_len == 0, FALSE);
  g_return_val_if_fail (payload != NULL || len == 0, FALSE);
  g_return_val_if_fail ((flags & ~IOC_JOURNAL_FLAGS_KNOWN) == 0, FALSE);

  if (!check_record_size (topic_len, len, error))
    return FALSE;
  gsize body = REC_FIXED + topic_len + len;
  gsize frame = REC_HDR + body;

  g_mutex_lock (&self->lock);
  if (self->broken != NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: %s: %s; restart the hub",
                   self->dir, self->broken);
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  if (!roll_if_full_locked (self, frame, error))
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  /* Normally the reserve covers it; a record larger than what is left
   * gets its blocks now, or is written anyway (and may fail). */
  if (self->offset + frame > self->alloc_end)
    (void) ioc_journal_extend_locked (self, self->offset + frame + self->opts.reserve_bytes);
  encode_frame_locked (self, frame, body, topic, topic_len, payload, len, flags, arrival_us);
  if (!write_frame_locked (self, frame, error))
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  self->offset += frame;
  self->appended_total += frame;
  IocSegment *cur = &g_array_index (self->segments, IocSegment, self->segments->len - 1);
  cur->size = self->offset;
  if (out_pos != NULL)
    {
      out_pos->segment = cur->segment;
      out_pos->offset = self->offset;
    }
  ioc_stat_add (self->st_appends, 1);
  update_bytes_gauge (self);
  ioc_journal_refill_locked (self, FALSE);
  /* A rare large record must not keep its buffer for the process's life. */
  if (self->buf_size > 1024 * 1024)
    {
      g_clear_pointer (&self->buf, g_free);
      self->buf_size = 0;
    }

  /* The monotonic clock only paces fdatasync; it decides nothing about the
   * data, so it does not go through IocClock. */
  gboolean ok = TRUE;
  if (self->appended_total - self->synced_total >= self->opts.sync_bytes
      || g_get_monotonic_time () - self->last_sync_us >= self->opts.sync_interval_us)
    ok = sync_locked (self, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

guint64
ioc_journal_frame_size (gsize topic_len, gsize len)
{
  return REC_MIN + (guint64) topic_len + (guint64) len;
}

gboolean
ioc_journal_sync (IocJournal *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  g_mutex_lock (&self->lock);
  if (self->broken != NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: %s: %s", self->dir, self->broken);
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  if (self->synced_total == self->appended_total)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  guint64 target = self->appended_total;
  /* Sync a duplicate of the descriptor outside the lock: appends go on
   * meanwhile, and a roll may close self->fd (after syncing it itself).
   * Out of descriptors, sync under the lock instead: slower, not a failure. */
  int fd = dup (self->fd);
  if (fd < 0)
    {
      gboolean ok = sync_locked (self, error);
      g_mutex_unlock (&self->lock);
      return ok;
    }
  int saved;
  g_mutex_unlock (&self->lock);
  int rc = fdatasync (fd);
  saved = errno;
  close (fd);

  g_mutex_lock (&self->lock);
  if (rc < 0)
    {
      g_free (self->broken);
      self->broken = g_strdup_printf ("fdatasync failed: %s", g_strerror (saved));
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: %s: %s", self->dir, self->broken);
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  self->synced_total = MAX (self->synced_total, target);
  self->last_sync_us = g_get_monotonic_time ();
  ioc_stat_add (self->st_syncs, 1);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

void
ioc_journal_compact (IocJournal *self, IocJournalPos upto)
{
  g_return_if_fail (self != NULL);

  g_autoptr (GArray) doomed = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_mutex_lock (&self->lock);
  guint n = 0;
  while (n + 1 < self->segments->len)
    {
      const IocSegment *seg = &g_array_index (self->segments, IocSegment, n);
      IocJournalPos end = { seg->segment, seg->size };
      if (ioc_journal_pos_compare (end, upto) > 0)
        break;
      g_array_append_val (doomed, seg->segment);
      self->sealed_bytes -= seg->size;
      n++;
    }
  if (n > 0)
    g_array_remove_range (self->segments, 0, n);
  update_bytes_gauge (self);
  g_mutex_unlock (&self->lock);

  /* Oldest first: a crash half way leaves a contiguous chain, which the
   * next open accepts. */
  for (guint i = 0; i < doomed->len; i++)
    {
      g_autofree gchar *path = ioc_journal_segment_path (self, g_array_index (doomed, guint64, i));
      if (unlink (path) < 0 && errno != ENOENT)
        g_warning ("journal: compact: unlink %s: %s", path, g_strerror (errno));
      else
        g_debug ("journal: compacted %s", path);
    }
}

guint64
ioc_journal_disk_bytes (IocJournal *self)
{
  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->lock);
  guint64 v = self->sealed_bytes + self->offset;
  g_mutex_unlock (&self->lock);
  return v;
}

IocJournalPos
ioc_journal_end (IocJournal *self)
{
  IocJournalPos pos = { 0, 0 };
  g_return_val_if_fail (self != NULL, pos);
  g_mutex_lock (&self->lock);
  pos.segment = g_array_index (self->segments, IocSegment, self->segments->len - 1).segment;
  pos.offset = self->offset;
  g_mutex_unlock (&self->lock);
  return pos;
}
