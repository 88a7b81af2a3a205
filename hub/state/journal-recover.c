/* journal-recover.c — the journal's readers: the segment chain and the
 * torn tail at open, and the replay.
 *
 * At open the segments are listed and each header's link to the one before
 * is checked, so a missing or altered segment is refused; the newest
 * segment is read to its last valid record, and what follows it is cut when
 * it is a torn write (no valid record after it) and refused when it is
 * damage (valid records follow).  A replay feeds the records after a
 * snapshot's position, and refuses when that position was compacted away
 * or is not a record boundary.  Kept apart from the append path
 * (journal.c, journal-reserve.c) because these rules decide, after a crash,
 * what the hub believes it acknowledged.  Main thread; the replay copies
 * the segment list under the lock and reads the files without it. */
#include "state/journal-private.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "protocol/ioc-error.h"

/* Finds the end of the last segment, cutting a torn tail.  Open only. */
static gboolean
recover_tail (IocJournal *self, IocSegment *seg, GError **error)
{
  g_autofree gchar *path = ioc_journal_segment_path (self, seg->segment);
  IocMap m;
  if (!ioc_journal_map_file (path, seg->size, &m, error))
    return FALSE;
  gsize off = SEG_HDR;
  gsize n;
  while ((n = ioc_journal_record_check (m.base, m.size, off)) > 0)
    off += n;
  if (off == m.size)
    {
      ioc_journal_map_release (&m);
      self->offset = off;
      return TRUE;
    }
  gboolean is_torn = !ioc_journal_valid_record_after (m.base, m.size, off + 1);
  ioc_journal_map_release (&m);
  if (!is_torn)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                   "journal: %s: corrupt record at offset %" G_GSIZE_FORMAT
                   " with valid records after it (damage, not a torn write); refusing to guess",
                   path, off);
      return FALSE;
    }
  /* A crash cut the last write short (or the disk lost unsynced pages):
   * drop the partial record so appends continue on a clean boundary. */
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ftruncate (fd, (off_t) off) < 0 || fdatasync (fd) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: truncate %s to %" G_GSIZE_FORMAT ": %s",
                   path, off, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  g_warning ("journal: %s: cut a torn record at offset %" G_GSIZE_FORMAT " (%" G_GUINT64_FORMAT
             " bytes) left by a crash",
             path, off, seg->size - off);
  ioc_stat_add (self->st_torn, 1);
  seg->size = off;
  self->offset = off;
  return TRUE;
}

static gint
cmp_u64 (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return x < y ? -1 : x > y;
}

/* The numbers of the segment files in the journal's directory, oldest
 * first; NULL when it cannot be read. */
static GArray *
list_segments (IocJournal *self, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (self->dir, 0, error);
  if (d == NULL)
    {
      g_prefix_error (error, "journal: ");
      return NULL;
    }
  GArray *nums = g_array_new (FALSE, FALSE, sizeof (guint64));
  const gchar *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      guint64 v = ioc_journal_parse_segment_name (name);
      if (v > 0)
        g_array_append_val (nums, v);
    }
  g_array_sort (nums, cmp_u64);
  return nums;
}

/* After the chain is checked: the newest segment's torn tail cut, the
 * segment opened for appends, the sealed ones' bytes counted. */
static gboolean
open_newest (IocJournal *self, GError **error)
{
  IocSegment *last = &g_array_index (self->segments, IocSegment, self->segments->len - 1);
  if (!recover_tail (self, last, error))
    return FALSE;
  g_autofree gchar *path = ioc_journal_segment_path (self, last->segment);
  self->fd = open (path, O_WRONLY | O_CLOEXEC);
  if (self->fd < 0)
    return ioc_io_error (error, errno, "journal: %s", path);
  for (guint i = 0; i + 1 < self->segments->len; i++)
    self->sealed_bytes += g_array_index (self->segments, IocSegment, i).size;
  return TRUE;
}

/* List the segments (list_segments), check each one's header and its link
 * to the one before, then open the newest (open_newest): the repair rules
 * at start-up read top to bottom here. */
gboolean
ioc_journal_load_segments (IocJournal *self, GError **error)
{
  g_autoptr (GArray) nums = list_segments (self, error);
  if (nums == NULL)
    return FALSE;
  if (nums->len == 0)
    return ioc_journal_create_segment (self, 1, 0, 0, error);

  for (guint i = 0; i < nums->len; i++)
    {
      guint64 num = g_array_index (nums, guint64, i);
      g_autofree gchar *path = ioc_journal_segment_path (self, num);
      IocSegment seg = { 0 };
      g_autoptr (GError) local = NULL;
      gboolean is_last = i + 1 == nums->len;
      if (!ioc_journal_read_header (path, num, &seg, &local))
        {
          /* A crash while a segment was being created leaves a file
           * shorter than its header; no record can be in it, because
           * records are written only after the header is synced. */
          if (is_last && seg.size <= SEG_HDR && g_error_matches (local, IOC_ERROR, IOC_ERROR_CORRUPT)
              && (i > 0 || num == 1))
            {
              g_warning ("journal: %s: removing a segment whose creation a crash cut short", path);
              ioc_stat_add (self->st_torn, 1);
              if (unlink (path) < 0)
                return ioc_io_error (error, errno, "journal: unlink %s", path);
              if (i == 0)
                return ioc_journal_create_segment (self, 1, 0, 0, error);
              break;
            }
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (i > 0)
        {
          const IocSegment *prev = &g_array_index (self->segments, IocSegment, self->segments->len - 1);
          if (seg.prev_segment != prev->segment || seg.prev_end != prev->size)
            {
              g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                           "journal: %s follows segment %" G_GUINT64_FORMAT " at offset %" G_GUINT64_FORMAT
                           ", but the segment before it is %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                           " bytes (a segment is missing or was altered)",
                           path, seg.prev_segment, seg.prev_end, prev->segment, prev->size);
              return FALSE;
            }
        }
      g_array_append_val (self->segments, seg);
    }

  return open_newest (self, error);
}

/* Where a replay from `from` starts: *idx in segs and *start in that
 * segment.  Every way a position can be wrong is told apart here: compacted
 * away, ahead of the journal, or not a record boundary. */
static gboolean
replay_start (IocJournal *self, GArray *segs, IocJournalPos from, guint *idx, gsize *start, GError **error)
{
  *idx = 0;
  const IocSegment *oldest = &g_array_index (segs, IocSegment, 0);
  const IocSegment *newest = &g_array_index (segs, IocSegment, segs->len - 1);
  if (from.segment == oldest->prev_segment && from.offset == oldest->prev_end)
    {
      *start = SEG_HDR;
    }
  else if (from.segment < oldest->segment)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                   "journal: %s: cannot replay from segment %" G_GUINT64_FORMAT " offset %" G_GUINT64_FORMAT
                   ": the oldest kept segment %" G_GUINT64_FORMAT " starts after segment %" G_GUINT64_FORMAT
                   " offset %" G_GUINT64_FORMAT ", so messages in between were compacted away"
                   " (the snapshot is older than the journal); refusing to lose them silently",
                   self->dir, from.segment, from.offset, oldest->segment, oldest->prev_segment,
                   oldest->prev_end);
      return FALSE;
    }
  else if (from.segment > newest->segment)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                   "journal: %s: cannot replay from segment %" G_GUINT64_FORMAT " offset %" G_GUINT64_FORMAT
                   ": the journal ends at segment %" G_GUINT64_FORMAT " offset %" G_GUINT64_FORMAT
                   " (the snapshot is ahead of the journal)",
                   self->dir, from.segment, from.offset, newest->segment, newest->size);
      return FALSE;
    }
  else
    {
      *idx = (guint) (from.segment - oldest->segment);
      const IocSegment *seg = &g_array_index (segs, IocSegment, *idx);
      g_assert (seg->segment == from.segment); /* the chain has no holes */
      /* offset SEG_HDR is the start of a segment: ioc_journal_end() of a
       * journal with nothing in its newest segment. */
      if ((from.offset < SEG_HDR + REC_MIN && from.offset != SEG_HDR) || from.offset > seg->size)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                       "journal: %s: cannot replay from segment %" G_GUINT64_FORMAT " offset %" G_GUINT64_FORMAT
                       ": not a record boundary (the segment holds %" G_GUINT64_FORMAT " bytes)",
                       self->dir, from.segment, from.offset, seg->size);
          return FALSE;
        }
      *start = (gsize) from.offset;
    }
  return TRUE;
}

/* Feeds one segment's records from offset start to cb.  FALSE (error set) on
 * a corrupt record; *stopped when cb asked to stop. */
static gboolean
replay_segment (IocJournal *self, const IocSegment *seg, gsize start, IocJournalReplayFunc cb, gpointer user_data,
                guint64 *n_replayed, gboolean *stopped, GError **error)
{
  g_autofree gchar *path = ioc_journal_segment_path (self, seg->segment);
  IocMap m;
  if (!ioc_journal_map_file (path, seg->size, &m, error))
    return FALSE;
  gsize off = start;
  while (off < m.size)
    {
      gsize n = ioc_journal_record_check (m.base, m.size, off);
      if (n == 0)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                       "journal: %s: corrupt record at offset %" G_GSIZE_FORMAT, path, off);
          ioc_journal_map_release (&m);
          return FALSE;
        }
      const guint8 *p = m.base + off;
      guint32 body = get_u32 (p + 8);
      gint64 arrival_us = (gint64) get_u64 (p + 12);
      guint32 tl = get_u32 (p + 20);
      guint32 topic_len = tl & TOPIC_LEN_MASK;
      guint32 flags = tl >> FLAGS_SHIFT;
      IocJournalPos pos = { seg->segment, off + n };
      off += n;
      if (n_replayed != NULL)
        (*n_replayed)++;
      if (!cb ((const gchar *) p + REC_MIN, topic_len, p + REC_MIN + topic_len,
               body - REC_FIXED - topic_len, flags, arrival_us, pos, user_data))
        {
          ioc_journal_map_release (&m);
          *stopped = TRUE;
          return TRUE;
        }
    }
  ioc_journal_map_release (&m);
  return TRUE;
}

/* Where to start (replay_start), then one segment after another
 * (replay_segment) on a copy of the segment list. */
gboolean
ioc_journal_replay (IocJournal *self,
                    IocJournalPos from,
                    IocJournalReplayFunc cb,
                    gpointer user_data,
                    guint64 *n_replayed,
                    GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (cb != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_replayed != NULL)
    *n_replayed = 0;

  /* Replay what is there now; appends made meanwhile reach the main thread
   * the normal way. */
  g_mutex_lock (&self->lock);
  g_autoptr (GArray) segs = g_array_copy (self->segments);
  g_mutex_unlock (&self->lock);

  guint idx;
  gsize start;
  if (!replay_start (self, segs, from, &idx, &start, error))
    return FALSE;
  for (; idx < segs->len; idx++, start = SEG_HDR)
    {
      gboolean stopped = FALSE;
      if (!replay_segment (self, &g_array_index (segs, IocSegment, idx), start, cb, user_data, n_replayed,
                           &stopped, error))
        return FALSE;
      if (stopped)
        return TRUE;
    }
  return TRUE;
}
