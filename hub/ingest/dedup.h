/* dedup.h — counts each (kind, device, seq) once and the gaps in each
 * device's seq as loss (SPEC §4, §7).
 *
 * Per (kind, device): the highest seq seen and a window of the
 * IOC_DEDUP_WINDOW seqs below it.  A seq above the highest is new, and the
 * seqs it skips become missing; a missing seq arriving later inside the
 * window is new (a late fill) and no longer missing; a seq seen before, or
 * below the window, is a duplicate.  A device's first message is new and sets
 * its base without counting a gap.  Main thread only. */
#pragma once

#include <glib.h>

#include "model/record.h"

G_BEGIN_DECLS

/* A connector publishes its backlog in seq order and the broker keeps a
 * client's order, so seqs arrive out of order only across QoS 1 redelivery
 * and in-flight windows (mosquitto's max_inflight_messages is 20 by
 * default).  1024 leaves a wide margin and costs 128 bytes per device. */
#define IOC_DEDUP_WINDOW 1024

typedef struct _IocDedup IocDedup;

typedef enum
{
  IOC_SEQ_NEW,
  IOC_SEQ_DUPLICATE
} IocSeqVerdict;

typedef void (*IocDedupDeviceFunc) (IocKind kind,
                                    const gchar *device,
                                    gint64 last_seq,
                                    gint64 missing,
                                    gint64 duplicates,
                                    gpointer user_data);

IocDedup     *ioc_dedup_new (void);
void          ioc_dedup_free (IocDedup *self);
/* seq >= 1: the validator rejects others, and state messages (plain
 * online/offline, seq 0) do not come here.  device is borrowed; it is
 * copied only the first time the device is seen. */
IocSeqVerdict ioc_dedup_check (IocDedup *self, IocKind kind, const gchar *device, gint64 seq);
/* For devices of `kind`, seqs skipped are not counted missing; duplicates
 * are still found.  For a hub that owns some of the units: a portal
 * connector numbers its messages across every unit it publishes under, so
 * such a hub sees only part of its seq, and the rest is another hub's. */
void          ioc_dedup_set_gapless (IocDedup *self, IocKind kind, gboolean gapless);
/* In first-seen order. */
void          ioc_dedup_foreach (IocDedup *self, IocDedupDeviceFunc func, gpointer user_data);
gint64        ioc_dedup_missing_total (IocDedup *self);
gint64        ioc_dedup_duplicates_total (IocDedup *self);
guint         ioc_dedup_n_devices (IocDedup *self);
/* Snapshot section (state/snapcodec.h).  Load replaces the whole state; on
 * failure (IOC_ERROR_CORRUPT) the tracker is left empty. */
void          ioc_dedup_save (IocDedup *self, GByteArray *out);
gboolean      ioc_dedup_load (IocDedup *self, const guint8 *data, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocDedup, ioc_dedup_free)

G_END_DECLS
