/* journal-segment.c — the journal's segment files as bytes: their names,
 * their header, the record frame and its checks, and a read-only mapping
 * for the readers.
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
 * Kept apart from the object (journal.c) so that the format is stated and
 * checked in one place; everything here works on bytes and file
 * descriptors, takes no lock and keeps no state.  Any thread. */
#include "state/journal-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "protocol/ioc-error.h"

guint32
ioc_journal_crc_of (const guint8 *p, gsize len)
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

gchar *
ioc_journal_segment_path (const IocJournal *self, guint64 segment)
{
  g_autofree gchar *name = g_strdup_printf ("journal-%020" G_GUINT64_FORMAT ".log", segment);
  return g_build_filename (self->dir, name, NULL);
}

/* Segment number of a file name, or 0 when it is not a segment. */
guint64
ioc_journal_parse_segment_name (const gchar *name)
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

gboolean
ioc_journal_pwrite_all (int fd, const guint8 *p, gsize len, guint64 offset)
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
gsize
ioc_journal_record_check (const guint8 *base, gsize size, gsize off)
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
  if (ioc_journal_crc_of (p + 8, 4 + (gsize) body) != get_u32 (p + 4))
    return 0;
  return REC_HDR + (gsize) body;
}

/* Is there any valid record starting after from?  Decides whether a bad
 * record is a torn tail (nothing valid after it: the crash cut the file
 * there) or damage in the middle of the journal (valid records follow). */
gboolean
ioc_journal_valid_record_after (const guint8 *base, gsize size, gsize from)
{
  guint8 magic[4];
  put_u32 (magic, REC_MAGIC);
  while (from + REC_MIN <= size)
    {
      const guint8 *hit = memmem (base + from, size - from, magic, 4);
      if (hit == NULL)
        return FALSE;
      gsize off = (gsize) (hit - base);
      if (ioc_journal_record_check (base, size, off) > 0)
        return TRUE;
      from = off + 1;
    }
  return FALSE;
}

void
ioc_journal_map_release (IocMap *m)
{
  if (m->base != NULL && m->size > 0)
    munmap (m->base, m->size);
  m->base = NULL;
}

/* Maps the first size bytes of path read-only. */
gboolean
ioc_journal_map_file (const gchar *path, gsize size, IocMap *out, GError **error)
{
  out->base = NULL;
  out->size = 0;
  if (size == 0)
    return TRUE;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ioc_io_error (error, errno, "journal: %s", path);
  void *p = mmap (NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int saved = errno;
  close (fd);
  if (p == MAP_FAILED)
    {
      return ioc_io_error (error, saved, "journal: mmap %s", path);
    }
  madvise (p, size, MADV_SEQUENTIAL);
  out->base = p;
  out->size = size;
  return TRUE;
}

void
ioc_journal_build_header (guint8 *h, guint64 segment, guint64 prev_segment, guint64 prev_end)
{
  memcpy (h, SEG_MAGIC, 8);
  put_u32 (h + 12, SEG_VERSION);
  put_u64 (h + 16, segment);
  put_u64 (h + 24, prev_segment);
  put_u64 (h + 32, prev_end);
  put_u32 (h + 8, ioc_journal_crc_of (h + 12, SEG_HDR - 12));
}

/* Reads and checks the header of a segment file; fills seg. */
gboolean
ioc_journal_read_header (const gchar *path, guint64 segment, IocSegment *seg, GError **error)
{
  guint8 h[SEG_HDR];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ioc_io_error (error, errno, "journal: %s", path);
  struct stat st;
  ssize_t n = fstat (fd, &st) == 0 ? pread (fd, h, SEG_HDR, 0) : -1;
  int saved = errno;
  close (fd);
  if (n < 0)
    {
      return ioc_io_error (error, saved, "journal: %s", path);
    }
  seg->segment = segment;
  seg->size = (guint64) st.st_size;
  if (n < (ssize_t) SEG_HDR || memcmp (h, SEG_MAGIC, 8) != 0
      || get_u32 (h + 8) != ioc_journal_crc_of (h + 12, SEG_HDR - 12))
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
