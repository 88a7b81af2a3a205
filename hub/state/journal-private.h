/* journal-private.h — what the journal's pieces share, and nothing
 * outside hub/state/ includes.
 *
 * The journal is one object split by concern, so that the crash-critical
 * paths can each be read on their own:
 *   journal.c          the object: open, append (frame, write, roll, sync),
 *                      sync, compact, free
 *   journal-segment.c  the segment file format: names, headers, record
 *                      frames and their checks, read-only mapping
 *   journal-reserve.c  the write reserve: blocks allocated ahead of the end
 *   journal-recover.c  the reader: the segment chain and torn tail at
 *                      open, and the replay
 * Threads and locking as in journal.c's opening comment: a function named
 * _locked runs with self->lock held. */
#pragma once

#include "state/journal.h"

#include <string.h>

#include "protocol/ioc-complain.h"
#include "protocol/ioc-stats.h"

G_BEGIN_DECLS

#define SEG_MAGIC "IOCJSEG1"
#define SEG_VERSION 1u
#define SEG_HDR 40u
#define REC_MAGIC 0x314a4349u /* "ICJ1" */
#define REC_HDR 12u           /* magic, crc, body length */
#define REC_FIXED 12u         /* arrival_us, topic length */
#define REC_MIN (REC_HDR + REC_FIXED)
#define TOPIC_LEN_MASK 0x00ffffffu
#define FLAGS_SHIFT 24

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

/* A segment's first size bytes, mapped read-only. */
typedef struct
{
  guint8 *base;
  gsize size;
} IocMap;

/* ---- journal.c ---- */

/* Creates segment `segment` after (prev_segment, prev_end), durable before
 * it returns: header synced, directory entry synced.  Lock held (or open). */
gboolean ioc_journal_create_segment (IocJournal *self, guint64 segment, guint64 prev_segment,
                                     guint64 prev_end, GError **error);

/* ---- journal-segment.c ---- */

guint32  ioc_journal_crc_of (const guint8 *p, gsize len);
gchar   *ioc_journal_segment_path (const IocJournal *self, guint64 segment);
/* Segment number of a file name, or 0 when it is not a segment. */
guint64  ioc_journal_parse_segment_name (const gchar *name);
/* pwrite(2) until all of p is written; FALSE with errno set. */
gboolean ioc_journal_pwrite_all (int fd, const guint8 *p, gsize len, guint64 offset);
/* Total length of the valid record at off in base[0..size), or 0. */
gsize    ioc_journal_record_check (const guint8 *base, gsize size, gsize off);
/* Is there any valid record starting after from? */
gboolean ioc_journal_valid_record_after (const guint8 *base, gsize size, gsize from);
/* Maps the first size bytes of path read-only; release with map_release. */
gboolean ioc_journal_map_file (const gchar *path, gsize size, IocMap *out, GError **error);
void     ioc_journal_map_release (IocMap *m);
void     ioc_journal_build_header (guint8 *h, guint64 segment, guint64 prev_segment, guint64 prev_end);
/* Reads and checks the header of a segment file; fills seg. */
gboolean ioc_journal_read_header (const gchar *path, guint64 segment, IocSegment *seg, GError **error);

/* ---- journal-reserve.c ---- */

/* Allocates the active segment's blocks up to target.  FALSE with errno
 * kept in low_errno. */
gboolean ioc_journal_extend_locked (IocJournal *self, guint64 target);
/* Keeps reserve_bytes allocated ahead of the end: extends when less than
 * half is left (always when force), and says low when it cannot. */
void     ioc_journal_refill_locked (IocJournal *self, gboolean force);
/* Gives back what was allocated past a segment's end. */
void     ioc_journal_release_tail (int fd, guint64 end, guint64 alloc_end);

/* ---- journal-recover.c ---- */

/* Lists, checks and chains the segments of self->dir (creating the first),
 * cuts a torn tail off the newest and opens it for appends.  Open only. */
gboolean ioc_journal_load_segments (IocJournal *self, GError **error);

G_END_DECLS
