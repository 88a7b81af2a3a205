/* journal.h — the hub's own write-ahead journal of every message the broker
 * delivered (SPEC §7, exactly once).
 *
 * The Paho thread appends each message before it acknowledges it; the main
 * thread processes messages, checkpoints its state as of a journal position
 * (state/snapshot.h) and then compacts the journal up to that position.  On
 * start the hub loads the newest snapshot and replays the journal after its
 * position.  Files live in one directory: journal-<segment>.log segments that
 * roll at segment_bytes, and a lock file that keeps a second hub out.
 *
 * The write reserve.  An append must not be the first to find the disk full:
 * the acknowledgement it stands for cannot be taken back
 * (hub/io/mqtt-client.h).  So the journal keeps reserve_bytes of the active
 * segment's blocks allocated ahead of its end (fallocate, the file's size
 * unchanged) and extends that as appends use it.  When it cannot (the disk
 * or a quota is full) it is "low": appends go on into what is allocated,
 * the hub stops taking messages (core/hub.c) so that only those already in
 * flight arrive, and ioc_journal_prepare() on the main thread's timer tries
 * again until the whole reserve is allocated.  On a filesystem that cannot
 * preallocate, statvfs's free space stands in for the allocation: an
 * estimate, said once in the log. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocJournal IocJournal;

/* A point in the journal: the position just after one record.  Positions
 * order by (segment, offset); {0, 0} is "before the first record ever". */
typedef struct
{
  guint64 segment;
  guint64 offset;
} IocJournalPos;

/* Every field 0 = its default. */
typedef struct
{
  guint64 segment_bytes;    /* roll a segment past this size; default 64 MiB */
  gint64 sync_interval_us;  /* fdatasync when the last one is older; default 20 ms */
  guint64 sync_bytes;       /* … or when this much is unsynced; default 4 MiB */
  guint64 reserve_bytes;    /* allocated ahead of the end; default 16 MiB */
} IocJournalOptions;

/* A record's flags, kept with it and given back by the replay.
 * TRUNCATED: the payload is not the message's but a stand-in its writer
 * made for a message too large to keep (the hub: its size and first bytes,
 * core/hub.c). */
#define IOC_JOURNAL_FLAG_TRUNCATED 0x01u
#define IOC_JOURNAL_FLAGS_KNOWN    0x01u

/* Strings are borrowed for the duration of the call; topic is not
 * NUL-terminated.  Return FALSE to stop the replay. */
typedef gboolean (*IocJournalReplayFunc) (const gchar *topic,
                                          gsize topic_len,
                                          const guint8 *payload,
                                          gsize len,
                                          guint32 flags,
                                          gint64 arrival_us,
                                          IocJournalPos pos,
                                          gpointer user_data);

/* The largest record body the journal accepts (MQTT's own limit). */
#define IOC_JOURNAL_MAX_RECORD (256u * 1024u * 1024u)
/* The longest topic a record holds (MQTT's own limit is 65,535 bytes). */
#define IOC_JOURNAL_MAX_TOPIC 0xffffu

gint     ioc_journal_pos_compare (IocJournalPos a, IocJournalPos b);

/* Opens (creating) dir, takes its lock, checks the segment chain and cuts a
 * torn last record off the newest segment.  Main thread, before Paho runs. */
IocJournal *ioc_journal_open (const gchar *dir, const IocJournalOptions *opts, GError **error);
/* Syncs and closes. */
void     ioc_journal_free (IocJournal *self);

/* Feeds every record after from, in order, to cb.  Fails when a record
 * after from is no longer on disk (compacted: the snapshot is stale) or
 * fails its checks.  Records appended while the replay runs are not fed. */
gboolean ioc_journal_replay (IocJournal *self,
                             IocJournalPos from,
                             IocJournalReplayFunc cb,
                             gpointer user_data,
                             guint64 *n_replayed,
                             GError **error);

/* Any thread (the Paho thread in the hub).  On success the record is in
 * the file (write(2) returned), so it survives SIGKILL of the process; it
 * survives power loss after the next fdatasync, which happens within
 * sync_interval_us / sync_bytes, or at ioc_journal_sync().  flags: see
 * IOC_JOURNAL_FLAG_*. */
gboolean ioc_journal_append (IocJournal *self,
                             const gchar *topic,
                             gsize topic_len,
                             const guint8 *payload,
                             gsize len,
                             guint32 flags,
                             gint64 arrival_us,
                             IocJournalPos *out_pos,
                             GError **error);
/* Main thread, on a timer: tops the reserve up.  FALSE (error: the disk is
 * full, a quota) while the journal is low. */
gboolean ioc_journal_prepare (IocJournal *self, GError **error);
/* Any thread, lock-free: the reserve could not be kept (see above). */
gboolean ioc_journal_is_low (IocJournal *self);
/* Any thread, lock-free: bytes allocated ahead of the end now. */
guint64  ioc_journal_headroom (IocJournal *self);
guint64  ioc_journal_reserve_bytes (IocJournal *self);
/* What one record of topic_len + len bytes takes in a segment. */
guint64  ioc_journal_frame_size (gsize topic_len, gsize len);
/* fdatasync what was appended so far; the main thread calls it on a timer.
 * Appends are not blocked while the disk syncs. */
gboolean ioc_journal_sync (IocJournal *self, GError **error);
/* Deletes whole segments that end at or before upto.  Call only once a
 * snapshot as of upto is durable.  Never deletes the segment in use. */
void     ioc_journal_compact (IocJournal *self, IocJournalPos upto);
guint64  ioc_journal_disk_bytes (IocJournal *self);
/* The position after the last record appended. */
IocJournalPos ioc_journal_end (IocJournal *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocJournal, ioc_journal_free)

G_END_DECLS
