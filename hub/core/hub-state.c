/* hub-state.c — the hub's durable state: a snapshot of every stage (after
 * which the journal before it may go), the restore at start (the snapshot,
 * then the journal after it, replayed through the same pipeline), and the
 * forgetting of silent devices just before a snapshot.  Main context. */
#include "hub-internal.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "protocol/ioc-error.h"
#include "state/snapshot.h"

static GBytes *
section (void (*save) (gpointer, GByteArray *), gpointer stage)
{
  GByteArray *out = g_byte_array_new ();
  save (stage, out);
  return g_byte_array_free_to_bytes (out);
}

typedef struct
{
  IocHub *hub;
  GHashTable *keys; /* "kind/device" */
} Forgotten;

static void
note_forgotten (IocKind kind, const gchar *device, gpointer data)
{
  Forgotten *f = data;
  g_hash_table_add (f->keys, g_strdup_printf ("%d/%s", (gint) kind, device));
  if (kind == IOC_KIND_DESK)
    ioc_queue_stats_forget_desk (f->hub->queue_stats, device);
}

static gboolean
not_forgotten (IocKind kind, const gchar *device, gpointer forgotten)
{
  g_autofree gchar *key = g_strdup_printf ("%d/%s", (gint) kind, device);
  return !g_hash_table_contains (forgotten, key);
}

/* Undeclared devices silent for [hub] forget_devices_after leave device
 * health, dedup and (desks) the queue's latest statuses.  Done just before a snapshot, so that the snapshot
 * holds the state after it and a journal replay from that snapshot takes
 * the same decisions (the cap's admit() reads that state). */
static void
hub_forget_silent_devices (IocHub *self)
{
  if (self->config->forget_devices_after_us <= 0)
    return;
  g_autoptr (GHashTable) forgotten = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Forgotten f = { self, forgotten };
  guint n = ioc_device_health_forget_silent (self->devices, ioc_clock_now (self->clock),
                                             self->config->forget_devices_after_us, note_forgotten, &f);
  if (n == 0)
    return;
  ioc_dedup_retain (self->dedup, not_forgotten, forgotten);
  ioc_stat_add (self->stat_devices_forgotten, n);
  g_message ("devices: forgot %u undeclared device(s) silent for more than [hub] forget_devices_after", n);
}

/* glibc keeps what is freed in its heap for later allocations, and hands
 * back only the heap's top.  A snapshot's sections (tens of MB at a
 * province's peak) and a restore's snapshot are freed all at once, right
 * after: the pages they leave free in the middle of the heap stayed in the
 * hub's RSS (a soak at 20x peak held 29 MB of free memory after an hour,
 * and RSS went up in steps while the live state was flat).  Handing them
 * back there costs one walk of the heap a snapshot. */
static void
release_free_memory (void)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

static gboolean
save_snapshot (IocHub *self, GError **error)
{
  hub_forget_silent_devices (self);
  g_autoptr (IocSnapshot) snap = ioc_snapshot_new (self->processed_pos);
  g_autoptr (GBytes) dedup = section ((void (*) (gpointer, GByteArray *)) ioc_dedup_save, self->dedup);
  g_autoptr (GBytes) rollup = section ((void (*) (gpointer, GByteArray *)) ioc_rollup_save, self->rollup);
  g_autoptr (GBytes) devices = section ((void (*) (gpointer, GByteArray *)) ioc_device_health_save, self->devices);
  g_autoptr (GBytes) dossiers = section ((void (*) (gpointer, GByteArray *)) ioc_dossier_tracker_save, self->dossiers);
  g_autoptr (GBytes) score = section ((void (*) (gpointer, GByteArray *)) ioc_score_book_save, self->score);
  g_autoptr (GBytes) queues = section ((void (*) (gpointer, GByteArray *)) ioc_queue_stats_save, self->queue_stats);
  ioc_snapshot_add_section (snap, "dedup", dedup);
  ioc_snapshot_add_section (snap, "rollup", rollup);
  ioc_snapshot_add_section (snap, "devices", devices);
  ioc_snapshot_add_section (snap, "dossiers", dossiers);
  ioc_snapshot_add_section (snap, "score", score);
  ioc_snapshot_add_section (snap, "queues", queues);
  if (!ioc_snapshot_save (snap, self->config->state_dir, error))
    return FALSE;
  /* Minutes past the horizon go to the archive only now: the durable
   * snapshot still holds them, so a replay from it never meets them twice. */
  g_autoptr (GError) archive_error = NULL;
  if (!ioc_rollup_archive (self->rollup, &archive_error))
    g_warning ("state: %s (kept in memory, tried again at the next snapshot)", archive_error->message);
  /* Only once the snapshot is durable may the journal before it go. */
  ioc_journal_compact (self->journal, self->processed_pos);
  self->journal_bytes_at_snapshot = ioc_journal_disk_bytes (self->journal);
  self->last_snapshot_us = g_get_monotonic_time ();
  ioc_stat_add (self->stat_snapshots, 1);
  return TRUE;
}

gboolean
ioc_hub_save_snapshot (IocHub *self, GError **error)
{
  gboolean ok = save_snapshot (self, error);
  release_free_memory ();
  return ok;
}

static gboolean
load_section (IocSnapshot *snap, const gchar *name,
              gboolean (*load) (gpointer, const guint8 *, gsize, GError **), gpointer stage, GError **error)
{
  GBytes *data = ioc_snapshot_get_section (snap, name);
  if (data == NULL)
    return TRUE; /* a stage added since that snapshot starts empty */
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (data, &len);
  if (!load (stage, p, len, error))
    {
      g_prefix_error (error, "snapshot section '%s': ", name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
replay_cb (const gchar *topic, gsize topic_len, const guint8 *payload, gsize len, guint32 flags,
           gint64 arrival_us, IocJournalPos pos, gpointer user_data)
{
  IocHub *self = user_data;
  if (flags & IOC_JOURNAL_FLAG_TRUNCATED)
    ioc_hub_reject_too_large (self, topic, topic_len, payload, len, arrival_us);
  else
    ioc_hub_process (self, topic, topic_len, payload, len, arrival_us);
  self->processed_pos = pos;
  ioc_stat_add (self->stat_replayed, 1);
  return TRUE;
}

static gboolean
restore (IocHub *self, GError **error)
{
  g_autoptr (IocSnapshot) snap = ioc_snapshot_load (self->config->state_dir, error);
  if (snap == NULL && error != NULL && *error != NULL)
    {
      /* Starting empty would count the journal's survivors again on top of
       * what InfluxDB already has: refuse, and say what to do. */
      g_prefix_error (error, "cannot restore state from %s (move the state directory aside to start empty): ",
                      self->config->state_dir);
      return FALSE;
    }
  IocJournalPos from = { 0, 0 };
  if (snap != NULL)
    {
      if (!load_section (snap, "dedup", (gpointer) ioc_dedup_load, self->dedup, error)
          || !load_section (snap, "rollup", (gpointer) ioc_rollup_load, self->rollup, error)
          || !load_section (snap, "devices", (gpointer) ioc_device_health_load, self->devices, error)
          || !load_section (snap, "dossiers", (gpointer) ioc_dossier_tracker_load, self->dossiers, error)
          || !load_section (snap, "score", (gpointer) ioc_score_book_load, self->score, error)
          || !load_section (snap, "queues", (gpointer) ioc_queue_stats_load, self->queue_stats, error))
        return FALSE;
      from = ioc_snapshot_pos (snap);
    }
  self->processed_pos = from;
  guint64 n = 0;
  gint64 t0 = g_get_monotonic_time ();
  if (!ioc_journal_replay (self->journal, from, replay_cb, self, &n, error))
    {
      g_prefix_error (error, "journal replay: ");
      return FALSE;
    }
  if (snap != NULL || n > 0)
    g_message ("state: restored snapshot%s and replayed %" G_GUINT64_FORMAT " journaled message(s) in %.2f s",
               snap ? "" : " (none yet)", n, (g_get_monotonic_time () - t0) / 1e6);
  self->journal_bytes_at_snapshot = ioc_journal_disk_bytes (self->journal);
  self->last_snapshot_us = g_get_monotonic_time ();
  return TRUE;
}

gboolean
ioc_hub_restore (IocHub *self, GError **error)
{
  gboolean ok = restore (self, error);
  release_free_memory ();
  return ok;
}

