/* seq-store.h — the per-device seq of SPEC §4 that keeps rising across
 * restarts and SIGKILL.  Numbers are reserved in fsync'd blocks ahead of use;
 * after a crash the unused rest of the last block is skipped (a gap is
 * honest, a reuse is not).  A clean close records the exact last number so
 * a normal restart leaves no gap.  The store has an epoch, drawn when the
 * store is new (a lost or wiped state_dir, a reinstall): the hub reads the
 * new epoch's seq 1 as a seq reset, not as duplicates of the old numbers.
 * One owner (the main loop). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocSeqStore IocSeqStore;

/* path: the file holding the reserved high-water mark; block: numbers
 * reserved per fsync (≥ 1). */
IocSeqStore *ioc_seq_store_open (const gchar *path, guint block, GError **error);
/* The next seq (≥ 1); 0 with error set when a reservation could not be made
 * durable (the caller must not publish then). */
gint64       ioc_seq_store_next (IocSeqStore *self, GError **error);
/* The last seq handed out (0 if none yet). */
gint64       ioc_seq_store_last (IocSeqStore *self);
/* The store's epoch (SPEC §4 `epoch`): [0-9a-z]{16} drawn when the store
 * was created, kept in its file with the number. */
const gchar *ioc_seq_store_epoch (IocSeqStore *self);
/* Records the exact last number (clean shutdown) and frees. */
void         ioc_seq_store_close (IocSeqStore *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocSeqStore, ioc_seq_store_close)

/* Writes data to path atomically and durably (tmp, fsync, rename, fsync dir). */
gboolean ioc_file_replace_durable (const gchar *path, const gchar *data, gsize len, GError **error);

G_END_DECLS
