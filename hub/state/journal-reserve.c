/* journal-reserve.c — the journal's write reserve: blocks of the active
 * segment allocated ahead of its end, so that an append is never the first
 * to find the disk full.
 *
 * The reserve (journal.h, "The write reserve").  The active segment's
 * blocks are allocated with fallocate(FALLOC_FL_KEEP_SIZE) up to alloc_end,
 * reserve_bytes past its end; the file's size (what a replay reads) stays
 * the end of the last record.  An append that finds less than half the
 * reserve allocated ahead of it extends it; when that fails the journal is
 * "low" and keeps writing into what is allocated, and every later append or
 * ioc_journal_prepare() tries again.  A roll is skipped while low, and a
 * roll that fails (no descriptor, no space for a header) is skipped too:
 * segment_bytes is where a segment should end, not where it must.  A sealed
 * segment's unused allocation is released (punched) when it is sealed.
 * Filesystems without fallocate: the free space statvfs reports stands in
 * for the allocation, said once in the log.
 *
 * Kept apart from the append path (journal.c) so that how the journal
 * meets a full disk reads in one place.  The _locked functions run with
 * self->lock held; is_low and headroom are atomic reads for any thread. */
#include "state/journal-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/statvfs.h>

#include "protocol/ioc-error.h"

/* Allocates the active segment's blocks up to target.  Lock held.  FALSE
 * with errno kept in low_errno. */
gboolean
ioc_journal_extend_locked (IocJournal *self, guint64 target)
{
  if (target <= self->alloc_end)
    return TRUE;
  guint64 from = MAX (self->alloc_end, self->offset);
  if (!self->no_fallocate)
    {
      int rc;
      do
        rc = fallocate (self->fd, FALLOC_FL_KEEP_SIZE, (off_t) from, (off_t) (target - from));
      while (rc < 0 && errno == EINTR);
      if (rc == 0)
        {
          self->alloc_end = target;
          return TRUE;
        }
      if (errno != EOPNOTSUPP && errno != ENOSYS)
        {
          self->low_errno = errno;
          return FALSE;
        }
      self->no_fallocate = TRUE;
      g_message ("journal: %s cannot preallocate (fallocate: %s); the write reserve is estimated from the"
                 " free space instead", self->dir, g_strerror (errno));
    }
  /* The estimate: the free space must hold this extension and a whole
   * reserve more, since other writers share it and nothing is set aside. */
  struct statvfs sv;
  if (fstatvfs (self->fd, &sv) < 0)
    {
      self->low_errno = errno;
      return FALSE;
    }
  guint64 avail = (guint64) sv.f_bavail * (guint64) sv.f_frsize;
  if (avail < target - from + self->opts.reserve_bytes)
    {
      self->low_errno = ENOSPC;
      return FALSE;
    }
  self->alloc_end = target;
  return TRUE;
}

/* Keeps reserve_bytes allocated ahead of the end: extends when less than
 * half is left (always when force), and says low when it cannot.  Lock held. */
void
ioc_journal_refill_locked (IocJournal *self, gboolean force)
{
  guint64 left = self->alloc_end > self->offset ? self->alloc_end - self->offset : 0;
  if (force || left < self->opts.reserve_bytes / 2 || g_atomic_int_get (&self->low))
    {
      gboolean ok = ioc_journal_extend_locked (self, self->offset + self->opts.reserve_bytes);
      g_atomic_int_set (&self->low, !ok);
      ioc_stat_set (self->st_blocked, !ok);
      left = self->alloc_end > self->offset ? self->alloc_end - self->offset : 0;
    }
  __atomic_store_n (&self->headroom, left, __ATOMIC_RELAXED);
  ioc_stat_set (self->st_headroom, (gint64) left);
}

/* Gives back what was allocated past a segment's end. */
void
ioc_journal_release_tail (int fd, guint64 end, guint64 alloc_end)
{
  if (alloc_end > end)
    (void) fallocate (fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t) end, (off_t) (alloc_end - end));
}

gboolean
ioc_journal_prepare (IocJournal *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  ioc_journal_refill_locked (self, FALSE);
  gboolean ok = !g_atomic_int_get (&self->low);
  if (!ok)
    g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: %s: cannot keep %" G_GUINT64_FORMAT
                 " bytes reserved ahead of the journal: %s", self->dir, self->opts.reserve_bytes,
                 g_strerror (self->low_errno));
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
ioc_journal_is_low (IocJournal *self)
{
  return g_atomic_int_get (&self->low) != 0;
}

guint64
ioc_journal_headroom (IocJournal *self)
{
  return __atomic_load_n (&self->headroom, __ATOMIC_RELAXED);
}

guint64
ioc_journal_reserve_bytes (IocJournal *self)
{
  return self->opts.reserve_bytes;
}
