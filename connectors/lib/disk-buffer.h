/* disk-buffer.h — a connector's messages not yet acknowledged by the broker,
 * on disk in seq order, plus the source cursor they were read up to.
 *
 * One append-only file of records (message or cursor).  A message appended
 * and synced survives SIGKILL; on open every message in the file is pending
 * again (some may have reached the broker: they go out again with the same
 * seq, a duplicate the hub drops).  The cursor is written in the same file
 * and the same sync as the messages it covers, so a crash can never leave
 * the cursor behind the messages (re-reading the source would publish the
 * same change twice under new numbers) or ahead of them (loss).
 *
 * Bounded by bytes: when full, the oldest entries not in flight are dropped
 * and counted.  Compacted (rewritten with only what is pending) when the
 * file grows well past what is pending.  One owner: the main loop. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  IOC_BUF_UNSENT = 0,
  IOC_BUF_INFLIGHT,
  IOC_BUF_ACKED,
} IocBufState;

typedef struct
{
  gint64 seq;
  gchar *topic;
  GBytes *payload;
  gboolean retained;
  IocBufState state;
  guint gen; /* the publisher connection the entry was last sent on */
} IocBufEntry;

typedef struct _IocDiskBuffer IocDiskBuffer;

IocDiskBuffer *ioc_disk_buffer_open (const gchar *path, guint64 max_bytes, GError **error);
void           ioc_disk_buffer_free (IocDiskBuffer *self);

/* Appends (not yet synced); may drop the oldest entries to stay in bound. */
gboolean ioc_disk_buffer_append (IocDiskBuffer *self, gint64 seq, const gchar *topic,
                                 const gchar *payload, gsize len, gboolean retained,
                                 GError **error);
/* Makes every append so far durable, together with cursor (NULL: unchanged). */
gboolean ioc_disk_buffer_sync (IocDiskBuffer *self, const gchar *cursor, GError **error);
/* The broker has it: forgets the entry once everything before it is acked. */
void     ioc_disk_buffer_ack (IocDiskBuffer *self, gint64 seq);
IocBufEntry *ioc_disk_buffer_lookup (IocDiskBuffer *self, gint64 seq);
/* Pending entries in seq order (borrowed; the caller may change state/gen). */
GQueue      *ioc_disk_buffer_entries (IocDiskBuffer *self);

const gchar *ioc_disk_buffer_cursor (IocDiskBuffer *self); /* NULL if none */
gint64       ioc_disk_buffer_last_seq (IocDiskBuffer *self); /* highest seq ever loaded/appended */
guint64      ioc_disk_buffer_bytes (IocDiskBuffer *self);
guint        ioc_disk_buffer_length (IocDiskBuffer *self);
guint64      ioc_disk_buffer_dropped (IocDiskBuffer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocDiskBuffer, ioc_disk_buffer_free)

G_END_DECLS
