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
 * Segment file: a 40-byte header, then records.
 *   header: "IOCJSEG1" | crc32 of bytes 12..39 | u32 version | u64 segment |
 *           u64 previous segment | u64 end offset of the previous segment
 *   record: u32 magic | crc32 of bytes 8..end | u32 body length |
 *           i64 arrival_us | u32 flags << 24 | topic length | topic | payload
 * All integers little-endian.  The previous segment's end in each header is
 * what lets a replay prove that nothing between a snapshot's position and
 * the oldest kept segment was compacted away.  A topic is at most 65,535
 * bytes, so the flags live in the top byte of its length: records written
 * before flags existed read as flags 0, and a flag this version does not
 * know makes the record corrupt rather than misread.
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
 * for the allocation, said once in the log. */
#include "state/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include "protocol/ioc-complain.h"

#include "protocol/ioc-error.h"
#include "state/durable.h"
#include "protocol/ioc-stats.h"

#define SEG_MAGIC "IOCJSEG1"
#define SEG_VERSION 1u
#define SEG_HDR 40u
#define REC_MAGIC 0x314a4349u /* "ICJ1" */
#define REC_HDR 12u           /* magic, crc, body length */
#define REC_FIXED 12u         /* arrival_us, topic length */
#define REC_MIN (REC_HDR + REC_FIXED)
#define TOPIC_LEN_MASK 0x00ffffffu
#define FLAGS_SHIFT 24

#define DEFAULT_SEGMENT_BYTES (64u * 1024u * 1024u)
#define DEFAULT_RESERVE_BYTES (16u * 1024u * 1024u)
#define DEFAULT_SYNC_INTERVAL_US (20 * G_TIME_SPAN_MILLISECOND)
#define DEFAULT_SYNC_BYTES (4u * 1024u * 1024u)

typedef struct
{
  guint64 segment;
  guint64 size;          /* bytes on disk; the active one's is self->offset */
  guint64 prev_segment;  /* from the header */
  guint64 prev_end;
} IocSegment;

struct _IocJournal
{
  gchar *dir;
  IocJournalOptions opts;
  GMutex lock;
  int lock_fd;
  int fd;               /* the active (last) segment */
  guint64 alloc_end;    /* the active segment's blocks are allocated up to here */
  gboolean no_fallocate; /* the filesystem cannot: statvfs estimates */
  gint low;             /* atomic: the reserve could not be kept */
  gint low_errno;       /* why, at the last failed extension */
  guint64 headroom;     /* atomic: alloc_end - offset */
  IocComplaint roll_failing;
  GArray *segments;     /* IocSegment, oldest first; the last is active */
  guint64 offset;       /* end of the active segment */
  guint64 sealed_bytes; /* sum of the sizes of all but the active segment */
  guint8 *buf;          /* frame buffer, reused by every append */
  gsize buf_size;
  guint64 appended_total; /* bytes written since open, all segments */
  guint64 synced_total;   /* … of which known to be on disk */
  gint64 last_sync_us;    /* monotonic */
  gchar *broken;          /* why appends now fail, or NULL */
  IocStat *st_bytes;
  IocStat *st_appends;
  IocStat *st_syncs;
  IocStat *st_torn;
  IocStat *st_headroom;
  IocStat *st_blocked;
};

gint
ioc_journal_pos_compare (IocJournalPos a, IocJournalPos b)
{
  if (a.segment != b.segment)
    return a.segment < b.segment ? -1 : 1;
  if (a.offset != b.offset)
    return a.offset < b.offset ? -1 : 1;
  return 0;
}

static inline void
put_u32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

static inline void
put_u64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

static inline guint32
get_u32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static inline guint64
get_u64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

static guint32
crc_of (const guint8 *p, gsize len)
{
  uLong crc = crc32 (0L, Z_NULL, 0);
  /* zlib takes uInt lengths; records are at most 256 MiB, but be exact. */
  while (len > 0)
    {
      uInt n = len > G_MAXUINT32 ? G_MAXUINT32 : (uInt) len;
      crc = crc32 (crc, p, n);
      p += n;
      len -= n;
    }
  return (guint32) crc;
}

static gchar *
segment_path (const IocJournal *self, guint64 segment)
{
  g_autofree gchar *name = g_strdup_printf ("journal-%020" G_GUINT64_FORMAT ".log", segment);
  return g_build_filename (self->dir, name, NULL);
}

/* Segment number of a file name, or 0 when it is not a segment. */
static guint64
parse_segment_name (const gchar *name)
{
  const gsize digits = 20;
  if (!g_str_has_prefix (name, "journal-") || !g_str_has_suffix (name, ".log"))
    return 0;
  if (strlen (name) != strlen ("journal-") + digits + strlen (".log"))
    return 0;
  g_autofree gchar *num = g_strndup (name + strlen ("journal-"), digits);
  guint64 v = 0;
  if (!g_ascii_string_to_unsigned (num, 10, 1, G_MAXUINT64, &v, NULL))
    return 0;
  return v;
}

static gboolean
pwrite_all (int fd, const guint8 *p, gsize len, guint64 offset)
{
  while (len > 0)
    {
      ssize_t n = pwrite (fd, p, len, (off_t) offset);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      if (n == 0)
        {
          errno = EIO;
          return FALSE;
        }
      p += n;
      len -= (gsize) n;
      offset += (guint64) n;
    }
  return TRUE;
}

/* Total length of the valid record at off in base[0..size), or 0. */
static gsize
record_check (const guint8 *base, gsize size, gsize off)
{
  if (off > size || size - off < REC_MIN)
    return 0;
  const guint8 *p = base + off;
  if (get_u32 (p) != REC_MAGIC)
    return 0;
  guint32 body = get_u32 (p + 8);
  if (body < REC_FIXED || body > IOC_JOURNAL_MAX_RECORD || size - off - REC_HDR < body)
    return 0;
  guint32 tl = get_u32 (p + REC_HDR + 8);
  if ((tl & TOPIC_LEN_MASK) > body - REC_FIXED || ((tl >> FLAGS_SHIFT) & ~IOC_JOURNAL_FLAGS_KNOWN) != 0)
    return 0;
  if (crc_of (p + 8, 4 + (gsize) body) != get_u32 (p + 4))
    return 0;
  return REC_HDR + (gsize) body;
}

/* Is there any valid record starting after from?  Decides whether a bad
 * record is a torn tail (nothing valid after it: the crash cut the file
 * there) or damage in the middle of the journal (valid records follow). */
static gboolean
valid_record_after (const guint8 *base, gsize size, gsize from)
{
  guint8 magic[4];
  put_u32 (magic, REC_MAGIC);
  while (from + REC_MIN <= size)
    {
      const guint8 *hit = memmem (base + from, size - from, magic, 4);
      if (hit == NULL)
        return FALSE;
      gsize off = (gsize) (hit - base);
      if (record_check (base, size, off) > 0)
        return TRUE;
      from = off + 1;
    }
  return FALSE;
}

typedef struct
{
  guint8 *base;
  gsize size;
} IocMap;

static void
map_release (IocMap *m)
{
  if (m->base != NULL && m->size > 0)
    munmap (m->base, m->size);
  m->base = NULL;
}

/* Maps the first size bytes of path read-only. */
static gboolean
map_file (const gchar *path, gsize size, IocMap *out, GError **error)
{
  out->base = NULL;
  out->size = 0;
  if (size == 0)
    return TRUE;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  void *p = mmap (NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int saved = errno;
  close (fd);
  if (p == MAP_FAILED)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: mmap %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  madvise (p, size, MADV_SEQUENTIAL);
  out->base = p;
  out->size = size;
  return TRUE;
}

static void
build_header (guint8 *h, guint64 segment, guint64 prev_segment, guint64 prev_end)
{
  memcpy (h, SEG_MAGIC, 8);
  put_u32 (h + 12, SEG_VERSION);
  put_u64 (h + 16, segment);
  put_u64 (h + 24, prev_segment);
  put_u64 (h + 32, prev_end);
  put_u32 (h + 8, crc_of (h + 12, SEG_HDR - 12));
}

/* Reads and checks the header of a segment file; fills seg. */
static gboolean
read_header (const gchar *path, guint64 segment, IocSegment *seg, GError **error)
{
  guint8 h[SEG_HDR];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  struct stat st;
  ssize_t n = fstat (fd, &st) == 0 ? pread (fd, h, SEG_HDR, 0) : -1;
  int saved = errno;
  close (fd);
  if (n < 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  seg->segment = segment;
  seg->size = (guint64) st.st_size;
  if (n < (ssize_t) SEG_HDR || memcmp (h, SEG_MAGIC, 8) != 0
      || get_u32 (h + 8) != crc_of (h + 12, SEG_HDR - 12))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                   "journal: %s: bad segment header at offset 0", path);
      return FALSE;
    }
  if (get_u32 (h + 12) != SEG_VERSION)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                   "journal: %s: unsupported segment version %u (this hub reads %u)",
                   path, get_u32 (h + 12), SEG_VERSION);
      return FALSE;
    }
  if (get_u64 (h + 16) != segment)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                   "journal: %s: header says segment %" G_GUINT64_FORMAT, path, get_u64 (h + 16));
      return FALSE;
    }
  seg->prev_segment = get_u64 (h + 24);
  seg->prev_end = get_u64 (h + 32);
  return TRUE;
}

static void
update_bytes_gauge (IocJournal *self)
{
  ioc_stat_set (self->st_bytes, (gint64) (self->sealed_bytes + self->offset));
}

/* Creates segment `segment` after (prev_segment, prev_end), durable before
 * it returns: header synced, directory entry synced.  Lock held (or open). */
static gboolean
create_segment (IocJournal *self, guint64 segment, guint64 prev_segment, guint64 prev_end,
                GError **error)
{
  g_autofree gchar *path = segment_path (self, segment);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: create %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  guint8 h[SEG_HDR];
  build_header (h, segment, prev_segment, prev_end);
  if (!pwrite_all (fd, h, SEG_HDR, 0) || fdatasync (fd) < 0)
    {
      int saved = errno;
      close (fd);
      unlink (path);
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: write %s: %s", path, g_strerror (saved));
      return FALSE;
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

/* Allocates the active segment's blocks up to target.  Lock held.  FALSE
 * with errno kept in low_errno. */
static gboolean
extend_locked (IocJournal *self, guint64 target)
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
static void
refill_locked (IocJournal *self, gboolean force)
{
  guint64 left = self->alloc_end > self->offset ? self->alloc_end - self->offset : 0;
  if (force || left < self->opts.reserve_bytes / 2 || g_atomic_int_get (&self->low))
    {
      gboolean ok = extend_locked (self, self->offset + self->opts.reserve_bytes);
      g_atomic_int_set (&self->low, !ok);
      ioc_stat_set (self->st_blocked, !ok);
      left = self->alloc_end > self->offset ? self->alloc_end - self->offset : 0;
    }
  __atomic_store_n (&self->headroom, left, __ATOMIC_RELAXED);
  ioc_stat_set (self->st_headroom, (gint64) left);
}

/* Gives back what was allocated past a segment's end. */
static void
release_tail (int fd, guint64 end, guint64 alloc_end)
{
  if (alloc_end > end)
    (void) fallocate (fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t) end, (off_t) (alloc_end - end));
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
  if (!create_segment (self, prev_segment + 1, prev_segment, prev_end, &create_error))
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
      release_tail (old_fd, prev_end, old_alloc);
      close (old_fd);
    }
  self->sealed_bytes += prev_end;
  *rolled = TRUE;
  return TRUE;
}

/* Finds the end of the last segment, cutting a torn tail.  Open only. */
static gboolean
recover_tail (IocJournal *self, IocSegment *seg, GError **error)
{
  g_autofree gchar *path = segment_path (self, seg->segment);
  IocMap m;
  if (!map_file (path, seg->size, &m, error))
    return FALSE;
  gsize off = SEG_HDR;
  gsize n;
  while ((n = record_check (m.base, m.size, off)) > 0)
    off += n;
  if (off == m.size)
    {
      map_release (&m);
      self->offset = off;
      return TRUE;
    }
  gboolean is_torn = !valid_record_after (m.base, m.size, off + 1);
  map_release (&m);
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

/* Long on purpose: list, sort, check and open the segments in one place,
 * so the repair rules at start-up read top to bottom. */
static gboolean
load_segments (IocJournal *self, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (self->dir, 0, error);
  if (d == NULL)
    {
      g_prefix_error (error, "journal: ");
      return FALSE;
    }
  g_autoptr (GArray) nums = g_array_new (FALSE, FALSE, sizeof (guint64));
  const gchar *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      guint64 v = parse_segment_name (name);
      if (v > 0)
        g_array_append_val (nums, v);
    }
  g_array_sort (nums, cmp_u64);

  if (nums->len == 0)
    return create_segment (self, 1, 0, 0, error);

  for (guint i = 0; i < nums->len; i++)
    {
      guint64 num = g_array_index (nums, guint64, i);
      g_autofree gchar *path = segment_path (self, num);
      IocSegment seg = { 0 };
      g_autoptr (GError) local = NULL;
      gboolean is_last = i + 1 == nums->len;
      if (!read_header (path, num, &seg, &local))
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
                {
                  int saved = errno;
                  g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: unlink %s: %s", path,
                               g_strerror (saved));
                  return FALSE;
                }
              if (i == 0)
                return create_segment (self, 1, 0, 0, error);
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

  IocSegment *last = &g_array_index (self->segments, IocSegment, self->segments->len - 1);
  if (!recover_tail (self, last, error))
    return FALSE;
  g_autofree gchar *path = segment_path (self, last->segment);
  self->fd = open (path, O_WRONLY | O_CLOEXEC);
  if (self->fd < 0)
    {
      int saved = errno;
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  for (guint i = 0; i + 1 < self->segments->len; i++)
    self->sealed_bytes += g_array_index (self->segments, IocSegment, i).size;
  return TRUE;
}

IocJournal *
ioc_journal_open (const gchar *dir, const IocJournalOptions *opts, GError **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: create directory %s: %s", dir,
                   g_strerror (saved));
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
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: lock %s: %s", lock_path,
                   saved == EWOULDBLOCK ? "held by another process (is another iochub running?)"
                                        : g_strerror (saved));
      return NULL;
    }

  if (!load_segments (self, error))
    return NULL;
  refill_locked (self, TRUE);
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
      release_tail (self->fd, self->offset, self->alloc_end);
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

/* Long on purpose: the whole durable append (frame, write, rotate, sync)
 * under one lock, in the order the crash analysis relies on. */
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
  /* A record never spans segments; one larger than a segment gets its own.
   * No roll while low (a new segment needs new blocks), and a failed one
   * leaves the record in the active segment. */
  if (self->offset > SEG_HDR && self->offset + frame > self->opts.segment_bytes
      && !g_atomic_int_get (&self->low))
    {
      gboolean rolled = FALSE;
      if (!roll_locked (self, &rolled, error))
        {
          g_mutex_unlock (&self->lock);
          return FALSE;
        }
      if (rolled)
        {
          guint64 n = 0;
          gdouble secs = 0;
          if (ioc_complaint_resolve (&self->roll_failing, &n, &secs))
            g_message ("journal: %s: a new segment was made again after %" G_GUINT64_FORMAT " failed tries in %.0f s",
                       self->dir, n, secs);
          refill_locked (self, TRUE);
        }
    }
  /* Normally the reserve covers it; a record larger than what is left
   * gets its blocks now, or is written anyway (and may fail). */
  if (self->offset + frame > self->alloc_end)
    (void) extend_locked (self, self->offset + frame + self->opts.reserve_bytes);
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
  put_u32 (p + 4, crc_of (p + 8, 4 + body));

  if (!pwrite_all (self->fd, p, frame, self->offset))
    {
      int saved = errno;
      /* Leave no partial frame behind for the next append to follow. */
      if (ftruncate (self->fd, (off_t) self->offset) < 0)
        {
          g_free (self->broken);
          self->broken = g_strdup_printf ("cannot remove a partial write: %s", g_strerror (errno));
        }
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "journal: append to %s: %s", self->dir,
                   g_strerror (saved));
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
  refill_locked (self, FALSE);
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

gboolean
ioc_journal_prepare (IocJournal *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  refill_locked (self, FALSE);
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
      g_autofree gchar *path = segment_path (self, g_array_index (doomed, guint64, i));
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

/* Long on purpose: one pass over segments and records with every way a
 * torn or corrupt tail is told apart, kept together so the rules are seen
 * at once. */
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

  const IocSegment *oldest = &g_array_index (segs, IocSegment, 0);
  const IocSegment *newest = &g_array_index (segs, IocSegment, segs->len - 1);
  guint idx = 0;
  gsize start;
  if (from.segment == oldest->prev_segment && from.offset == oldest->prev_end)
    {
      start = SEG_HDR;
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
      idx = (guint) (from.segment - oldest->segment);
      const IocSegment *seg = &g_array_index (segs, IocSegment, idx);
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
      start = (gsize) from.offset;
    }

  for (; idx < segs->len; idx++, start = SEG_HDR)
    {
      const IocSegment *seg = &g_array_index (segs, IocSegment, idx);
      g_autofree gchar *path = segment_path (self, seg->segment);
      IocMap m;
      if (!map_file (path, seg->size, &m, error))
        return FALSE;
      gsize off = start;
      while (off < m.size)
        {
          gsize n = record_check (m.base, m.size, off);
          if (n == 0)
            {
              g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                           "journal: %s: corrupt record at offset %" G_GSIZE_FORMAT, path, off);
              map_release (&m);
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
              map_release (&m);
              return TRUE;
            }
        }
      map_release (&m);
    }
  return TRUE;
}
