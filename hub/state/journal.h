/* journal.h — the hub's own write-ahead journal of every message the broker
 * delivered (SPEC §7, exactly once).
 *
 * The Paho thread appends each message before it acknowledges it; the main
 * thread processes messages, checkpoints its state as of a journal position
 * (state/snapshot.h) and then compacts the journal up to that position.  On
 * start the hub loads the newest snapshot and replays the journal after its
 * position.  Files live in one directory: journal-<segment>.log segments that
 * roll at segment_bytes, and a lock file that keeps a second hub out. */
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
} IocJournalOptions;

/* Strings are borrowed for the duration of the call; topic is not
 * NUL-terminated.  Return FALSE to stop the replay. */
typedef gboolean (*IocJournalReplayFunc) (const gchar *topic,
                                          gsize topic_len,
                                          const guint8 *payload,
                                          gsize len,
                                          gint64 arrival_us,
                                          IocJournalPos pos,
                                          gpointer user_data);

/* The largest record body the journal accepts (MQTT's own limit). */
#define IOC_JOURNAL_MAX_RECORD (256u * 1024u * 1024u)

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
 * sync_interval_us / sync_bytes, or at ioc_journal_sync(). */
gboolean ioc_journal_append (IocJournal *self,
                             const gchar *topic,
                             gsize topic_len,
                             const guint8 *payload,
                             gsize len,
                             gint64 arrival_us,
                             IocJournalPos *out_pos,
                             GError **error);
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
