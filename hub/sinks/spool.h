/* spool.h — the bounded on-disk FIFO of line-protocol batches between the
 * hub and InfluxDB (SPEC §7).  It is the only queue on that path: nothing
 * owed to InfluxDB lives only in memory.
 *
 * The main context appends a batch when the rollup emits points; the writer
 * thread peeks the oldest uncommitted batch, posts it, then commits it.
 * Appended bytes reach the kernel (write(2)) before append returns, and the
 * read offset is committed in a small file replaced atomically, so the spool
 * survives SIGKILL at any instant; after a crash the uncommitted batches are
 * sent again (harmless: the same timestamps overwrite in InfluxDB) and
 * committed ones are not.
 *
 * On disk: DIR/seg-<20-digit id>.spool segment files of up to 4 MiB (less
 * when max_bytes is small), each a sequence of records
 *   u32 LE length | u32 LE CRC-32 of (length bytes + payload) | payload
 * and DIR/commit holding "<segment id> <offset>".  A torn or corrupt tail
 * is cut when the spool is opened.
 *
 * The spool is bounded by max_bytes of segment files: when an append would
 * exceed it, whole oldest segments are dropped and counted in
 * iochub_spool_dropped_bytes_total / iochub_spool_dropped_batches_total.
 * The gauge iochub_spool_bytes holds the uncommitted bytes.
 *
 * Thread-safe: one mutex guards everything. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocSpool IocSpool;

IocSpool *ioc_spool_open (const gchar *dir, guint64 max_bytes, GError **error);
void      ioc_spool_free (IocSpool *self);

/* Appends one batch (len > 0).  Fails (IOC_ERROR_IO) when the disk write
 * fails, or when the batch alone is larger than the bound (it is then
 * counted as dropped). */
gboolean  ioc_spool_append (IocSpool *self, const void *data, gsize len, GError **error);

/* The oldest uncommitted batch (transfer full), or NULL when the spool stays
 * empty for timeout_us (0: do not wait) or ioc_spool_wake() was called.
 * Peeking again without a commit returns the same batch. */
GBytes   *ioc_spool_peek (IocSpool *self, gint64 timeout_us);

/* The batch last peeked is done: advance the committed offset and delete
 * segments that are fully read.  A no-op when that batch was dropped by the
 * byte bound in the meantime. */
void      ioc_spool_commit (IocSpool *self);

/* What waits to be sent, both taken at one moment. */
typedef struct
{
  guint64 bytes; /* payload + framing */
  guint   batches;
} IocSpoolPending;

IocSpoolPending ioc_spool_pending (IocSpool *self);

/* Makes a blocked (or the next) ioc_spool_peek() return NULL at once. */
void      ioc_spool_wake (IocSpool *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocSpool, ioc_spool_free)

G_END_DECLS
