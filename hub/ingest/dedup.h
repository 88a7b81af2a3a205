/* dedup.h — counts each (kind, device, seq) once and the gaps in each
 * device's seq as loss (SPEC §4, §7), and tells a seq reset from both.
 *
 * Per (kind, device): the highest seq seen and a window of the
 * IOC_DEDUP_WINDOW seqs below it.  A seq above the highest is new, and the
 * seqs it skips become missing; a missing seq arriving later inside the
 * window is new (a late fill) and no longer missing; a seq seen before, or
 * below the window, is a duplicate.  A device's first message is new and sets
 * its base without counting a gap.
 *
 * Seq resets (the contract is in docs/CONNECTORS.md, "seq and epoch"): a
 * connector whose seq store is new draws a new `epoch`.  A message whose
 * epoch differs from the device's is a reset: counted per device, neither
 * loss nor duplicate; the window starts again at its seq.  A message
 * without an epoch whose seq is more than IOC_DEDUP_RESET_BELOW below the
 * highest seen is a reset too.  Within an epoch (or without one), a seq more
 * than IOC_DEDUP_MAX_JUMP above the highest is IOC_SEQ_JUMP: the caller
 * dead-letters it, and the window does not move.
 *
 * Per device it also counts the events remapped to a successor unit, the
 * other per-connector fact the connectors view shows next to loss.
 * Main thread only. */
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

/* SPEC §4 (docs/CONNECTORS.md): without an epoch, a seq this far below
 * the highest seen starts the device again; more than this above it, in
 * the same epoch, is not believed. */
#define IOC_DEDUP_RESET_BELOW 1000
#define IOC_DEDUP_MAX_JUMP 1000000

typedef enum
{
  IOC_SEQ_NEW,       /* count it (a reset is new too) */
  IOC_SEQ_DUPLICATE, /* drop it, counted */
  IOC_SEQ_JUMP       /* dead-letter it (seq_jump); nothing changed */
} IocSeqVerdict;

typedef void (*IocDedupDeviceFunc) (IocKind kind,
                                    const gchar *device,
                                    gint64 last_seq,
                                    gint64 missing,
                                    gint64 duplicates,
                                    gpointer user_data);

/* What dedup knows of one device; strings borrowed for the callback. */
typedef struct
{
  IocKind kind;
  const gchar *device;
  const gchar *epoch; /* the current one, NULL if it never sent one */
  gint64 last_seq;
  gint64 missing;
  gint64 duplicates;
  gint64 resets;
  gint64 remapped;
} IocSeqDeviceInfo;

typedef void (*IocDedupInfoFunc) (const IocSeqDeviceInfo *info, gpointer user_data);

/* TRUE: keep what dedup knows of this device. */
typedef gboolean (*IocDedupKeepFunc) (IocKind kind, const gchar *device, gpointer user_data);

IocDedup     *ioc_dedup_new (void);
void          ioc_dedup_free (IocDedup *self);
/* seq >= 1: the validator rejects others, and state messages (plain
 * online/offline, seq 0) do not come here.  device is borrowed; it is
 * copied only the first time the device is seen. */
IocSeqVerdict ioc_dedup_check (IocDedup *self, IocKind kind, const gchar *device, gint64 seq);
/* The same for a message with its epoch (NULL: none).  On IOC_SEQ_JUMP,
 * *out_highest (may be NULL) is the device's highest seq, for the dead
 * letter's text. */
IocSeqVerdict ioc_dedup_check_epoch (IocDedup *self, IocKind kind, const gchar *device, gint64 seq,
                                     const gchar *epoch, gint64 *out_highest);
/* An accepted event of this device was counted under the successor of the
 * retired unit it named (SPEC §2). */
void          ioc_dedup_count_remapped (IocDedup *self, IocKind kind, const gchar *device);
/* For devices of `kind`, seqs skipped are not counted missing; duplicates
 * are still found.  For a hub that owns some of the units: a portal
 * connector numbers its messages across every unit it publishes under, so
 * such a hub sees only part of its seq, and the rest is another hub's. */
void          ioc_dedup_set_gapless (IocDedup *self, IocKind kind, gboolean gapless);
/* Forgets every device keep() refuses (a device silent for longer than
 * anything could be redelivered: [hub] forget_devices_after), giving its
 * memory back; the others keep their state and their order.  The loss and
 * duplicates it counted stay in the totals.  One pass over the devices and
 * a rebuilt table: for a periodic sweep, not per message.  Returns how many
 * were forgotten. */
guint         ioc_dedup_retain (IocDedup *self, IocDedupKeepFunc keep, gpointer user_data);
/* In first-seen order. */
void          ioc_dedup_foreach (IocDedup *self, IocDedupDeviceFunc func, gpointer user_data);
void          ioc_dedup_foreach_info (IocDedup *self, IocDedupInfoFunc func, gpointer user_data);
gint64        ioc_dedup_missing_total (IocDedup *self);
gint64        ioc_dedup_duplicates_total (IocDedup *self);
gint64        ioc_dedup_resets_total (IocDedup *self);
gint64        ioc_dedup_remapped_total (IocDedup *self);
guint         ioc_dedup_n_devices (IocDedup *self);
/* Snapshot section (state/snapcodec.h).  Load replaces the whole state and
 * reads sections of every earlier version; on failure (IOC_ERROR_CORRUPT)
 * the tracker is left empty. */
void          ioc_dedup_save (IocDedup *self, GByteArray *out);
gboolean      ioc_dedup_load (IocDedup *self, const guint8 *data, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocDedup, ioc_dedup_free)

G_END_DECLS
