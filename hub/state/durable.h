/* durable.h — what makes a write survive a power cut beyond fsync(2) of the
 * file itself: the directory entry of a created or renamed file is durable
 * only once the directory is synced too.  Any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* fsync(2) of the directory dir.  IOC_ERROR_IO "fsync of directory DIR: …". */
gboolean ioc_durable_sync_dir (const gchar *dir, GError **error);

G_END_DECLS
