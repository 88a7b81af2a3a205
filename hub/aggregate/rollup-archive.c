/* rollup-archive.c — the rollup's archive of minutes past the horizon:
 * the day files' record format, the writer that moves windows out of
 * memory into them, and the reader that brings a window back when a late
 * fact falls in its minute.
 *
 * Where it sits: beside rollup.c (rollup-private.h).  Off unless the hub
 * sets a directory.  With one, tick() no longer frees windows older than
 * the horizon: ioc_rollup_archive() appends them to a per-local-day file
 * and frees them, and is called by the hub right after a snapshot has been
 * made durable.  Since that snapshot still holds the windows in memory, the
 * archive never holds an effect that a replay from the latest snapshot
 * would apply again.  A file is a sequence of records: magic, then one
 * window as a length-prefixed body, then the body's CRC-32 (a damaged
 * record is refused whole, never taken in part); a later record of the
 * same window replaces an earlier one.  A torn or corrupt tail (a crash
 * while appending) ends the file: it is ignored on lookup and cut off
 * before the next append, like the journal's.  The writer and the reader
 * share this file because they share the format.  A lookup reads only its
 * minute's records: the index holds, for each minute of the day, the byte
 * runs its records fill (each append writes a minute's records together),
 * so it does not grow with the windows a day archives (a hash of every
 * window grew the soak's RSS through the day).  The files are untrusted
 * input to the reader (tests/fuzz/fuzz-rollup-archive.c).  Main context
 * only. */
#include "aggregate/rollup-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <zlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "protocol/ioc-hash.h"
#include "protocol/ioc-time.h"

#define ARCHIVE_MAGIC 0x31415249u /* "IRA1" */
#define ARCHIVE_MAX_BODY (1u << 20)

/* ---- the day files: names, records, the index of one file ---- */

/* The day file of a minute: its Vietnam-local day (UTC+7, no DST). */
static gchar *
archive_day_name (gint64 start_us)
{
  gint64 day = ioc_rollup_floor_div (start_us + IOC_TIME_LOCAL_OFFSET_US, G_TIME_SPAN_DAY);
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (day * 86400);
  return g_date_time_format (dt, "%Y-%m-%d.bin");
}

static gchar *
archive_path (IocRollup *self, gint64 start_us)
{
  g_autofree gchar *name = archive_day_name (start_us);
  return g_build_filename (self->archive_dir, name, NULL);
}

/* The key of a window in a cached minute's table: a 64-bit
 * hash of its identity, held in the table's pointer itself.  Two windows
 * that share a hash are told apart when the record is read
 * (archive_bring_back), which then scans the minute's runs for the right
 * one. */
static guint64 archive_key_mask = G_MAXUINT64;

void
ioc_rollup_archive_set_key_mask_for_tests (guint64 mask)
{
  archive_key_mask = mask;
}

static gpointer
archive_key (guint m, guint c, gint64 start, const gchar *unit)
{
  guint8 buf[160];
  gsize ulen = strlen (unit), n = MIN (ulen, sizeof buf - 10);
  buf[0] = (guint8) m;
  buf[1] = (guint8) c;
  memcpy (buf + 2, &start, 8);
  memcpy (buf + 10, unit, n);
  guint64 h = ioc_hash_bytes64 (buf, 10 + n);
  if (ulen > n) /* a unit code longer than any registry's: hash the rest too */
    h ^= ioc_hash_bytes64 (unit + n, ulen - n);
  return GSIZE_TO_POINTER ((gsize) (h & archive_key_mask));
}

static void
archive_put_window (GByteArray *out, const IocRollupSeries *s, const IocRollupWindow *w)
{
  g_autoptr (GByteArray) body = g_byte_array_new ();
  ioc_snap_put_u8 (body, (guint8) s->measurement);
  ioc_snap_put_u8 (body, s->channel);
  ioc_snap_put_i64 (body, w->start_us);
  ioc_snap_put_str (body, s->unit);
  ioc_rollup_put_window_values (body, s, w);
  ioc_snap_put_u32 (out, ARCHIVE_MAGIC);
  ioc_snap_put_bytes (out, body->data, body->len);
  ioc_snap_put_u32 (out, (guint32) crc32 (0L, body->data, body->len));
}

/* Reads one record's header; FALSE at a torn or corrupt record. */
static gboolean
archive_get_header (IocSnapReader *r, const guint8 **body, guint32 *body_len, guint8 *m, guint8 *c,
                    gint64 *start, gchar **unit)
{
  if (ioc_snap_get_u32 (r) != ARCHIVE_MAGIC || !ioc_snap_reader_ok (r))
    return FALSE;
  *body = ioc_snap_get_bytes (r, body_len);
  guint32 crc = ioc_snap_get_u32 (r);
  if (!ioc_snap_reader_ok (r) || *body == NULL || *body_len > ARCHIVE_MAX_BODY
      || crc != (guint32) crc32 (0L, *body, *body_len))
    return FALSE;
  IocSnapReader b;
  ioc_snap_reader_init (&b, *body, *body_len);
  *m = ioc_snap_get_u8 (&b);
  *c = ioc_snap_get_u8 (&b);
  *start = ioc_snap_get_i64 (&b);
  *unit = ioc_snap_get_str (&b);
  if (!ioc_snap_reader_ok (&b) || *unit == NULL || *m >= IOC_MEAS_COUNT || *c > IOC_ROLLUP_MAX_CHANNEL
      || !ioc_rollup_is_minute_start (*start))
    {
      g_clear_pointer (unit, g_free);
      return FALSE;
    }
  return TRUE;
}

static gboolean
archive_pread (int fd, gint64 offset, gsize len, guint8 *buf)
{
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = pread (fd, buf + done, len - done, offset + (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  return done == len;
}

static gboolean
archive_read_at (const gchar *path, gint64 offset, gsize len, guint8 *buf)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  gboolean ok = archive_pread (fd, offset, len, buf);
  close (fd);
  return ok;
}

#define ARCHIVE_DAY_MINUTES 1440
/* When a minute has this many runs, its two closest runs become one: a
 * lookup then reads the other minutes' records between them too (and skips
 * them), and the index stays under 1440 × 32 runs whatever late facts
 * re-archive. */
#define ARCHIVE_MAX_RUNS 32
/* Records are read this much at a time: more than the largest record
 * (ARCHIVE_MAX_BODY), so memory stays bounded however long a run is. */
static gsize archive_read_chunk = 4u << 20;

void
ioc_rollup_archive_set_read_chunk_for_tests (gsize bytes)
{
  archive_read_chunk = bytes;
}

typedef struct
{
  gint64 from, to; /* [from, to) of the day file: whole records */
} ArchiveRun;

/* The minute of its local day a window starts in, 0..1439.  Any start a
 * record passes the header's checks with: minutes first, so that the
 * offset cannot overflow near G_MAXINT64. */
static guint
archive_day_minute (gint64 start_us)
{
  gint64 local = ioc_rollup_floor_div (start_us, IOC_ROLLUP_MINUTE_US)
                 + IOC_TIME_LOCAL_OFFSET_US / IOC_ROLLUP_MINUTE_US;
  gint64 k = local % ARCHIVE_DAY_MINUTES;
  return (guint) (k < 0 ? k + ARCHIVE_DAY_MINUTES : k);
}

/* The index of one day file: per minute of its day, the byte runs of the
 * file holding that minute's records. */
typedef struct
{
  gchar *path;
  GArray *runs[ARCHIVE_DAY_MINUTES]; /* of ArchiveRun; NULL: none */
  gint64 scanned;                    /* bytes indexed (good prefix) */
  gint64 size;                       /* the file's size then: a torn tail is reported once */
  gboolean seen;                     /* the file was there at the last lookup, as: */
  dev_t dev;                         /* another one at the path (a restored copy) */
  ino_t ino;                         /* is indexed again */
} ArchiveDay;

static void
archive_day_clear (ArchiveDay *day)
{
  for (guint k = 0; k < ARCHIVE_DAY_MINUTES; k++)
    g_clear_pointer (&day->runs[k], g_array_unref);
  day->scanned = 0;
  day->size = 0;
  day->seen = FALSE;
}

static void
archive_day_free (gpointer data)
{
  ArchiveDay *day = data;
  archive_day_clear (day);
  g_free (day->path);
  g_free (day);
}

static void
archive_forget_cached_minutes (IocRollup *self)
{
  for (guint i = 0; i < IOC_ROLLUP_ARCHIVE_CACHED_MINUTES; i++)
    g_clear_pointer (&self->cached_minutes[i].keys, g_hash_table_unref);
}

void
ioc_rollup_archive_forget_index (IocRollup *self)
{
  g_clear_pointer (&self->archive_days, g_hash_table_unref);
  archive_forget_cached_minutes (self);
}

guint
ioc_rollup_archive_index_entries (IocRollup *self)
{
  guint n = 0;
  for (guint i = 0; i < IOC_ROLLUP_ARCHIVE_CACHED_MINUTES; i++)
    n += self->cached_minutes[i].keys != NULL ? g_hash_table_size (self->cached_minutes[i].keys) : 0;
  GHashTableIter it;
  gpointer day;
  if (self->archive_days != NULL)
    for (g_hash_table_iter_init (&it, self->archive_days); g_hash_table_iter_next (&it, NULL, &day);)
      for (guint k = 0; k < ARCHIVE_DAY_MINUTES; k++)
        n += ((ArchiveDay *) day)->runs[k] != NULL ? ((ArchiveDay *) day)->runs[k]->len : 0;
  return n;
}

/* A record of a day file, whole and checked: at and next are its offset
 * and the offset past it. */
typedef void (*ArchiveRecordFunc) (gint64 at, gint64 next, guint8 m, guint8 c, gint64 start, const gchar *unit,
                                   gpointer user_data);

/* Calls found() for each record of buf, which holds the file's bytes from
 * offset base, up to the first torn or corrupt one; returns the length of
 * the good prefix. */
static gsize
archive_each_record (const guint8 *buf, gsize len, gint64 base, ArchiveRecordFunc found, gpointer user_data)
{
  IocSnapReader r;
  ioc_snap_reader_init (&r, buf, len);
  gsize good = 0;
  for (;;)
    {
      const guint8 *body;
      guint32 body_len;
      guint8 m, c;
      gint64 start;
      g_autofree gchar *unit = NULL;
      if (ioc_snap_reader_at_end (&r) || !archive_get_header (&r, &body, &body_len, &m, &c, &start, &unit))
        return good;
      gsize next = (gsize) (r.pos - buf); /* past the record's CRC */
      found (base + (gint64) good, base + (gint64) next, m, c, start, unit, user_data);
      good = next;
    }
}

static void
archive_index_add_cb (gint64 from, gint64 to, guint8 m, guint8 c, gint64 start, const gchar *unit,
                      gpointer user_data)
{
  ArchiveDay *day = user_data;
  day->scanned = to; /* records come in file order from the last indexed byte */
  guint k = archive_day_minute (start);
  GArray *runs = day->runs[k];
  if (runs == NULL)
    runs = day->runs[k] = g_array_new (FALSE, FALSE, sizeof (ArchiveRun));
  if (runs->len > 0 && g_array_index (runs, ArchiveRun, runs->len - 1).to == from)
    {
      g_array_index (runs, ArchiveRun, runs->len - 1).to = to;
      return;
    }
  if (runs->len == ARCHIVE_MAX_RUNS)
    {
      guint closest = 0;
      for (guint i = 1; i + 1 < runs->len; i++)
        if (g_array_index (runs, ArchiveRun, i + 1).from - g_array_index (runs, ArchiveRun, i).to
            < g_array_index (runs, ArchiveRun, closest + 1).from - g_array_index (runs, ArchiveRun, closest).to)
          closest = i;
      g_array_index (runs, ArchiveRun, closest).to = g_array_index (runs, ArchiveRun, closest + 1).to;
      g_array_remove_index (runs, closest + 1);
    }
  ArchiveRun run = { from, to };
  g_array_append_val (runs, run);
}

/* Calls found() for each record of path in [from, to), read a chunk at a
 * time, up to the first torn or corrupt one; *good_end: the offset past the
 * last good record.  FALSE when the file cannot be read. */
static gboolean
archive_read_records (const gchar *path, gint64 from, gint64 to, ArchiveRecordFunc found, gpointer user_data,
                      gint64 *good_end)
{
  *good_end = from;
  if (to <= from)
    return TRUE;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  g_autofree guint8 *buf = g_malloc ((gsize) MIN (to - from, (gint64) archive_read_chunk));
  gboolean ok = TRUE;
  while (*good_end < to)
    {
      gsize len = (gsize) MIN (to - *good_end, (gint64) archive_read_chunk);
      if (!(ok = archive_pread (fd, *good_end, len, buf)))
        break;
      gsize good = archive_each_record (buf, len, *good_end, found, user_data);
      *good_end += (gint64) good;
      /* Short of the chunk: a record cut by its end, read whole next time,
       * unless the chunk held nothing whole or was the last one. */
      if (good < len && (good == 0 || *good_end + (gint64) (len - good) == to))
        break;
    }
  close (fd);
  return ok;
}

/* The index of path, brought up to date: only the bytes appended since the
 * last scan are read.  Every day file looked up keeps its index (~150 KB)
 * until the file is deleted: replays that cross local midnight go back and
 * forth between two files, and reading a whole file again at each change
 * cost ~0.7 ms a late fact (bench-rollup, section 3).  NULL when the file
 * cannot be read: the index then holds what it could read, and the rest is
 * read at the next call (never taken for a file that ends there). */
static ArchiveDay *
archive_index (IocRollup *self, const gchar *path)
{
  if (self->archive_days == NULL)
    self->archive_days = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, archive_day_free);
  ArchiveDay *day = g_hash_table_lookup (self->archive_days, path);
  if (day == NULL)
    {
      day = g_new0 (ArchiveDay, 1);
      day->path = g_strdup (path);
      g_hash_table_insert (self->archive_days, day->path, day);
    }
  GStatBuf st;
  gboolean exists = g_stat (path, &st) == 0;
  if (!exists && errno != ENOENT)
    return day;
  /* Only the hub writes these files, but a day file deleted, cut short or
   * put back from a copy under it would leave offsets that are no longer
   * the file's: the next append would land after records the index does
   * not know, or cut good ones off as a torn tail.  Index it again. */
  const gchar *changed = !day->seen                                          ? NULL
                         : !exists                                           ? "deleted"
                         : st.st_size < day->scanned                         ? "cut short"
                         : st.st_ino != day->ino || st.st_dev != day->dev ? "replaced"
                                                                             : NULL;
  if (changed != NULL)
    {
      ioc_stat_add (self->stat_archive_errors, 1);
      g_warning ("rollup archive %s: %s while the hub ran (%" G_GINT64_FORMAT " bytes were indexed); indexing it"
                 " again from its start",
                 path, changed, day->scanned);
      archive_day_clear (day);
      archive_forget_cached_minutes (self);
    }
  if (!exists)
    return day;
  day->seen = TRUE;
  day->dev = st.st_dev;
  day->ino = st.st_ino;
  if (st.st_size <= day->scanned || st.st_size == day->size)
    return day;
  gint64 good_end;
  if (!archive_read_records (path, day->scanned, st.st_size, archive_index_add_cb, day, &good_end))
    return NULL;
  g_assert (good_end == day->scanned);
  day->size = st.st_size; /* a torn tail is reported once */
  if (good_end < st.st_size)
    {
      ioc_stat_add (self->stat_archive_errors, 1);
      g_warning ("rollup archive %s: torn or corrupt record at byte %" G_GINT64_FORMAT ", the rest is ignored",
                 path, good_end);
    }
  return day;
}

typedef struct
{
  gint64 start;
  ArchiveRecordFunc found;
  gpointer user_data;
} MinuteFilter;

static void
archive_minute_filter_cb (gint64 at, gint64 next, guint8 m, guint8 c, gint64 start, const gchar *unit,
                          gpointer user_data)
{
  MinuteFilter *f = user_data;
  if (start == f->start)
    f->found (at, next, m, c, start, unit, f->user_data);
}

/* Calls found() for every record of minute start in the runs the index
 * holds for it, in file order.  FALSE when a run cannot be read whole: its
 * records were whole when indexed, so the file was damaged since, and a
 * late fact must not land on an older record of its window. */
static gboolean
archive_walk_minute (const ArchiveDay *day, gint64 start, ArchiveRecordFunc found, gpointer user_data)
{
  GArray *runs = day->runs[archive_day_minute (start)];
  for (guint i = 0; runs != NULL && i < runs->len; i++)
    {
      ArchiveRun run = g_array_index (runs, ArchiveRun, i);
      MinuteFilter filter = { start, found, user_data };
      gint64 good_end;
      if (!archive_read_records (day->path, run.from, run.to, archive_minute_filter_cb, &filter, &good_end)
          || good_end != run.to)
        return FALSE;
    }
  return TRUE;
}

static void
minute_keys_add_cb (gint64 at, gint64 next, guint8 m, guint8 c, gint64 start, const gchar *unit,
                    gpointer user_data)
{
  IocRollupArchiveMinute *slot = user_data;
  g_hash_table_insert (slot->keys, archive_key (m, c, start, unit), GSIZE_TO_POINTER ((gsize) at + 1));
}

/* *at: the offset + 1 of the last record whose key is the window's, or 0.
 * FALSE when the minute's records cannot be read.  A
 * minute's records are read once into a cached table, again only after an
 * append (a later record may replace one) or when it was the least recently used of
 * the cached minutes. */
static gboolean
archive_lookup (IocRollup *self, const ArchiveDay *day, const IocRollupSeries *s, gint64 start, gsize *at)
{
  IocRollupArchiveMinute *slot = NULL, *oldest = &self->cached_minutes[0];
  for (guint i = 0; i < IOC_ROLLUP_ARCHIVE_CACHED_MINUTES && slot == NULL; i++)
    {
      IocRollupArchiveMinute *c = &self->cached_minutes[i];
      if (c->keys != NULL && c->start == start)
        slot = c;
      else if (c->keys == NULL || (oldest->keys != NULL && c->used < oldest->used))
        oldest = c;
    }
  if (slot == NULL || slot->upto != day->scanned)
    {
      if (slot == NULL)
        slot = oldest;
      if (slot->keys == NULL)
        slot->keys = g_hash_table_new (g_direct_hash, g_direct_equal); /* see archive_key() */
      g_hash_table_remove_all (slot->keys);
      slot->start = start;
      slot->upto = day->scanned;
      if (!archive_walk_minute (day, start, minute_keys_add_cb, slot))
        {
          g_clear_pointer (&slot->keys, g_hash_table_unref);
          return FALSE;
        }
    }
  slot->used = ++self->cached_clock;
  *at = GPOINTER_TO_SIZE (g_hash_table_lookup (slot->keys, archive_key (s->measurement, s->channel, start, s->unit)));
  return TRUE;
}

typedef struct
{
  const IocRollupSeries *s;
  gint64 found;
} ScanWalk;

static void
scan_for_cb (gint64 at, gint64 next, guint8 m, guint8 c, gint64 start, const gchar *unit, gpointer user_data)
{
  ScanWalk *walk = user_data;
  if (m == walk->s->measurement && c == walk->s->channel && strcmp (unit, walk->s->unit) == 0)
    walk->found = at;
}

/* *found: the offset of the last record of the window (s, start), or -1.
 * FALSE when unreadable.  The slow way, taken only when the table's hash
 * led to another window. */
static gboolean
archive_scan_for (const ArchiveDay *day, const IocRollupSeries *s, gint64 start, gint64 *found)
{
  ScanWalk walk = { s, -1 };
  if (!archive_walk_minute (day, start, scan_for_cb, &walk))
    return FALSE;
  *found = walk.found;
  return TRUE;
}

/* ---- reading: a late fact for an archived minute ---- */

/* The record at offset at of path, read whole and checked (magic, CRC,
 * header); *rec owns the bytes *body points into.  FALSE when unreadable. */
static gboolean
archive_load_record (const gchar *path, gsize at, guint8 **rec, const guint8 **body, guint32 *body_len,
                     guint8 *m, guint8 *c, gint64 *start, gchar **unit)
{
  guint8 head[8];
  if (!archive_read_at (path, (gint64) at, sizeof head, head))
    return FALSE;
  IocSnapReader r;
  ioc_snap_reader_init (&r, head, sizeof head);
  ioc_snap_get_u32 (&r);
  guint32 len = ioc_snap_get_u32 (&r);
  if (len > ARCHIVE_MAX_BODY)
    return FALSE;
  gsize rec_len = 8 + (gsize) len + 4; /* magic, length, body, CRC */
  *rec = g_malloc (rec_len);
  if (!archive_read_at (path, (gint64) at, rec_len, *rec))
    return FALSE;
  ioc_snap_reader_init (&r, *rec, rec_len);
  return archive_get_header (&r, body, body_len, m, c, start, unit);
}

static gboolean
archive_bring_back (IocRollup *self, const ArchiveDay *day, IocRollupSeries *s, gint64 start)
{
  if (ioc_rollup_series_find (s, start) != NULL)
    return TRUE;
  const gchar *path = day->path;
  gsize at = 0;
  if (!archive_lookup (self, day, s, start, &at))
    return FALSE;
  if (at == 0)
    {
      ioc_rollup_series_window (self, s, start);
      return TRUE;
    }
  g_autofree guint8 *rec = NULL;
  const guint8 *body;
  guint32 body_len;
  guint8 m, c;
  gint64 st;
  g_autofree gchar *unit = NULL;
  if (!archive_load_record (path, at - 1, &rec, &body, &body_len, &m, &c, &st, &unit))
    return FALSE;
  if (m != s->measurement || c != s->channel || st != start || strcmp (unit, s->unit) != 0)
    {
      /* Another window with the same 64-bit hash: find this one's record. */
      g_clear_pointer (&rec, g_free);
      g_clear_pointer (&unit, g_free);
      gint64 found = -1;
      if (!archive_scan_for (day, s, start, &found))
        return FALSE;
      if (found < 0)
        {
          ioc_rollup_series_window (self, s, start);
          return TRUE;
        }
      if (!archive_load_record (path, (gsize) found, &rec, &body, &body_len, &m, &c, &st, &unit))
        return FALSE;
    }
  IocSnapReader b;
  ioc_snap_reader_init (&b, body, body_len);
  ioc_snap_get_u8 (&b);
  ioc_snap_get_u8 (&b);
  ioc_snap_get_i64 (&b);
  g_free (ioc_snap_get_str (&b));
  guint8 gauge_set = ioc_snap_get_u8 (&b);
  gint64 ints[IOC_MAX_INT_FIELDS] = { 0 };
  for (guint f = 0; f < s->n_ints; f++)
    ints[f] = ioc_snap_get_i64 (&b);
  guint8 mask = ioc_snap_get_u8 (&b);
  guint n_sketches = ioc_rollup_n_sketches (s->measurement);
  if (!ioc_snap_reader_ok (&b) || (mask >> n_sketches))
    return FALSE;
  IocSketch *sk[IOC_MAX_SKETCHES] = { NULL };
  gboolean ok = TRUE;
  for (guint k = 0; k < n_sketches && ok; k++)
    if (mask & (1u << k))
      ok = (sk[k] = ioc_sketch_load (&b)) != NULL;
  if (!ok || !ioc_snap_reader_at_end (&b))
    {
      for (guint k = 0; k < IOC_MAX_SKETCHES; k++)
        ioc_sketch_free (sk[k]);
      return FALSE;
    }
  IocRollupWindow *w = ioc_rollup_series_window (self, s, start);
  w->gauge_set = gauge_set;
  memcpy (w->ints, ints, s->n_ints * sizeof (gint64));
  memcpy (w->sketches, sk, sizeof sk);
  w->flags |= IOC_ROLLUP_WIN_EMITTED;
  return TRUE;
}

gboolean
ioc_rollup_archive_restore (IocRollup *self, const IocFact *fact, gint64 start)
{
  if (self->archive_dir == NULL || start < self->archive_from)
    return FALSE;
  IocRollupSeries *s
      = ioc_rollup_lookup_series (self, fact->measurement, fact->unit, fact->channel, TRUE);
  if (ioc_rollup_series_find (s, start) != NULL && ioc_rollup_series_find (s->all, start) != NULL)
    return TRUE;
  g_autofree gchar *path = archive_path (self, start);
  const ArchiveDay *day = archive_index (self, path);
  if (day == NULL || !archive_bring_back (self, day, s->all, start) || !archive_bring_back (self, day, s, start))
    {
      ioc_stat_add (self->stat_archive_errors, 1);
      g_warning ("rollup archive %s: unreadable record for minute %" G_GINT64_FORMAT " s; fact not counted",
                 path, start / G_USEC_PER_SEC);
      return FALSE;
    }
  ioc_stat_add (self->stat_archive_rewrites, 1);
  return TRUE;
}

/* ---- writing ---- */

void
ioc_rollup_set_archive (IocRollup *self, const gchar *dir, gint64 archive_from_us)
{
  g_return_if_fail (self != NULL);
  g_free (self->archive_dir);
  self->archive_dir = g_strdup (dir);
  self->archive_from = archive_from_us;
}

void
ioc_rollup_set_archive_from (IocRollup *self, gint64 archive_from_us)
{
  g_return_if_fail (self != NULL);
  self->archive_from = archive_from_us;
}

typedef struct
{
  GTree *minutes; /* window start → GByteArray of its records */
  gint64 before;
} ArchiveWalk;

static gint
archive_cmp_start (gconstpointer a, gconstpointer b, gpointer user_data)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

static gboolean
archive_list_cb (gpointer key, gpointer value, gpointer user_data)
{
  g_ptr_array_add (user_data, key);
  return FALSE;
}

static gboolean
archive_collect_cb (IocRollup *self, IocRollupSeries *s, gpointer user_data)
{
  ArchiveWalk *walk = user_data;
  for (guint32 i = 0; i < s->n_windows && s->starts[i] < walk->before; i++)
    {
      IocRollupWindow *w = s->windows[i];
      if (w->flags & IOC_ROLLUP_WIN_PENDING)
        continue; /* not emitted yet: archived at a later call */
      GByteArray *buf = g_tree_lookup (walk->minutes, &w->start_us);
      if (buf == NULL)
        g_tree_insert (walk->minutes, g_memdup2 (&w->start_us, sizeof w->start_us), buf = g_byte_array_new ());
      archive_put_window (buf, s, w);
    }
  return FALSE;
}

static gboolean
archive_append (IocRollup *self, const gchar *path, GByteArray *buf, GError **error)
{
  /* Cut a torn tail first, so the new records start on a boundary; not
   * knowing where the good records end, append nothing. */
  ArchiveDay *day = archive_index (self, path);
  if (day == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "rollup archive %s: cannot be read to find its end", path);
      return FALSE;
    }
  GStatBuf st;
  gboolean existed = g_stat (path, &st) == 0;
  if (existed && st.st_size > day->scanned && truncate (path, day->scanned) != 0)
    goto fail;
  int fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    goto fail;
  gsize done = 0;
  while (done < buf->len)
    {
      ssize_t n = write (fd, buf->data + done, buf->len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = errno;
          close (fd);
          errno = e;
          goto fail;
        }
      done += (gsize) n;
    }
  if (fsync (fd) != 0)
    {
      int e = errno;
      close (fd);
      errno = e;
      goto fail;
    }
  close (fd);
  day->size = -1; /* index the appended bytes at the next lookup */
  if (!existed)
    {
      int dfd = g_open (self->archive_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
      if (dfd >= 0)
        {
          fsync (dfd);
          close (dfd);
        }
    }
  return TRUE;
fail:
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "rollup archive %s: %s", path,
               g_strerror (errno));
  return FALSE;
}

/* Deletes day files wholly before archive_from (at most a few per call)
 * and sums the sizes of the others. */
static void
archive_sweep (IocRollup *self)
{
  g_autoptr (GDir) dir = g_dir_open (self->archive_dir, 0, NULL);
  if (dir == NULL)
    return;
  g_autofree gchar *first = archive_day_name (self->archive_from);
  guint deleted = 0;
  gint64 bytes = 0;
  const gchar *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_suffix (name, ".bin") || strlen (name) != strlen ("YYYY-MM-DD.bin"))
        continue;
      g_autofree gchar *path = g_build_filename (self->archive_dir, name, NULL);
      if (strcmp (name, first) < 0 && deleted < 4)
        {
          if (g_unlink (path) == 0)
            {
              deleted++;
              if (self->archive_days != NULL && g_hash_table_remove (self->archive_days, path))
                archive_forget_cached_minutes (self);
              continue;
            }
        }
      GStatBuf st;
      if (g_stat (path, &st) == 0)
        bytes += st.st_size;
    }
  ioc_stat_set (self->stat_archive_bytes, bytes);
}

gboolean
ioc_rollup_archive (IocRollup *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->archive_dir == NULL)
    return TRUE;
  if (g_mkdir_with_parents (self->archive_dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "rollup archive %s: %s",
                   self->archive_dir, g_strerror (errno));
      return FALSE;
    }
  g_autoptr (GTree) minutes = g_tree_new_full (archive_cmp_start, NULL, g_free, (GDestroyNotify) g_byte_array_unref);
  ArchiveWalk walk = { minutes, self->dropped_before };
  ioc_rollup_foreach_series (self, archive_collect_cb, &walk);

  /* In order of minute, one append per day file: each minute's records
   * are then one run of its file (the index's unit). */
  g_autoptr (GPtrArray) starts = g_ptr_array_new ();
  g_tree_foreach (minutes, archive_list_cb, starts);
  g_autoptr (GByteArray) day = g_byte_array_new ();
  for (guint i = 0; i < starts->len; i++)
    {
      const gint64 *start = starts->pdata[i];
      GByteArray *records = g_tree_lookup (minutes, start);
      g_byte_array_append (day, records->data, records->len);
      g_autofree gchar *name = archive_day_name (*start);
      g_autofree gchar *next = i + 1 < starts->len ? archive_day_name (*(const gint64 *) starts->pdata[i + 1]) : NULL;
      g_tree_remove (minutes, start); /* its bytes are in day now: not held twice */
      if (g_strcmp0 (name, next) == 0)
        continue;
      g_autofree gchar *path = g_build_filename (self->archive_dir, name, NULL);
      if (!archive_append (self, path, day, error))
        return FALSE; /* nothing freed: the windows stay in memory */
      g_byte_array_set_size (day, 0);
    }

  /* Every window before the horizon is on disk: free them, and the unit
   * series left empty. */
  ioc_rollup_free_before (self, walk.before);
  ioc_stat_set (self->stat_windows, self->n_windows);
  archive_sweep (self);
  return TRUE;
}
