/* snapshot.h — a checkpoint of the whole hub's state as of one journal
 * position: named sections of bytes (each stage writes its own with
 * state/snapcodec.h) plus the position after the last message they include.
 * On start the hub loads it and replays the journal after that position. */
#pragma once

#include <glib.h>

#include "state/journal.h"

G_BEGIN_DECLS

typedef struct _IocSnapshot IocSnapshot;

IocSnapshot  *ioc_snapshot_new (IocJournalPos pos);
void          ioc_snapshot_free (IocSnapshot *self);
/* Keeps a reference to data; a second section of one name replaces the first. */
void          ioc_snapshot_add_section (IocSnapshot *self, const gchar *name, GBytes *data);
/* Borrowed, or NULL when the snapshot has no such section. */
GBytes       *ioc_snapshot_get_section (IocSnapshot *self, const gchar *name);
IocJournalPos ioc_snapshot_pos (IocSnapshot *self);

/* Atomically replaces dir/snapshot (the previous one is kept as
 * dir/snapshot.prev); durable when it returns TRUE.  On failure the old
 * snapshot is untouched.  Main thread. */
gboolean      ioc_snapshot_save (IocSnapshot *self, const gchar *dir, GError **error);
/* NULL without error when dir holds no snapshot yet.  A damaged file is
 * IOC_ERROR_CORRUPT naming it. */
IocSnapshot  *ioc_snapshot_load (const gchar *dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocSnapshot, ioc_snapshot_free)

G_END_DECLS
