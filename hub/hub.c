/* hub.c — see hub.h.  The wiring of the pipeline and its timers.
 *
 * Threads: on_mqtt_message() runs on Paho's receive thread and touches only
 * the journal and the inbox (both thread-safe).  on_influx_reject() runs on
 * the writer thread and hops to the main context.  Everything else here runs
 * on the main context. */
#include "hub.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "aggregate/device-health.h"
#include "aggregate/dossier-tracker.h"
#include "aggregate/queue-stats.h"
#include "aggregate/rollup.h"
#include "api/prom-metrics.h"
#include "ingest/deadletter.h"
#include "ingest/dedup.h"
#include "ingest/decoder.h"
#include "ingest/validate.h"
#include "io/http-server.h"
#include "io/handoff.h"
#include "io/mqtt-client.h"
#include "model/calendar.h"
#include "model/units.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "sinks/influx-writer.h"
#include "sinks/line-protocol.h"
#include "sinks/spool.h"
#include "state/journal.h"
#include "state/snapshot.h"

struct _IocHub
{
  IocHubConfig *config;
  IocClock *clock;
  IocClock *own_clock;

  /* reference data, swapped whole on reload */
  IocUnitRegistry *units;
  IocCalendar *calendar;
  IocProcedures *procedures;

  /* durability */
  IocJournal *journal;
  IocJournalPos processed_pos;
  gint64 last_snapshot_us;
  guint64 journal_bytes_at_snapshot;

  /* stages */
  IocDecoder *decoder;
  IocDedup *dedup;
  IocDeadLetter *deadletter;
  IocQueueStats *queue_stats;
  IocDeviceHealth *devices;
  IocDossierTracker *dossiers;
  IocRollup *rollup;

  /* sinks */
  IocSpool *spool;
  IocInfluxWriter *writer;
  GString *lp_batch;

  /* io */
  IocMqttClient *mqtt;
  IocHandoff *inbox;
  IocHttpServer *http;
  guint tick_source;
  gboolean started;
  gboolean stopped;
  gint64 last_message_us; /* atomic: arrival of the newest message (Paho thread) */

  IocHubView view;
  GArray *tick_observers;  /* Observer */
  GArray *point_observers; /* Observer */
  GArray *batch_observers; /* Observer */
  GArray *reload_observers; /* Observer */

  IocStat *stat_received;
  IocStat *stat_processed;
  IocStat *stat_accepted;
  IocStat *stat_replayed;
  IocStat *stat_last_age;
  IocStat *stat_journal_bytes;
  IocStat *stat_snapshots;
  IocStat *stat_snapshot_failures;
  IocStat *stat_spool_failures;
};

typedef struct
{
  GCallback fn;
  gpointer user_data;
} Observer;

/* ---- the pipeline, one message at a time (main context) ---- */

static void
reject (IocHub *self, IocReject reason, const gchar *detail, const gchar *topic, gsize topic_len,
        const guint8 *payload, gsize len, gint64 arrival_us)
{
  ioc_deadletter_reject (self->deadletter, ioc_reject_name (reason), detail, topic, topic_len, payload, len,
                         arrival_us);
}

/* TRUE when the message was accepted (it changed what the hub knows). */
static gboolean
hub_process (IocHub *self, const gchar *topic, gsize topic_len, const guint8 *payload, gsize len,
             gint64 arrival_us)
{
  const IocRecord *rec = NULL;
  const gchar *detail = NULL;

  ioc_stat_add (self->stat_processed, 1);
  IocReject r = ioc_decoder_decode (self->decoder, topic, topic_len, payload, len, &rec, &detail);
  if (r != IOC_REJECT_NONE)
    {
      reject (self, r, detail, topic, topic_len, payload, len, arrival_us);
      return FALSE;
    }
  IocRecord *record = (IocRecord *) rec;
  if (record->msg_type == IOC_MSG_STATE)
    record->ts_us = arrival_us; /* state carries no envelope */

  /* "now" for validation is the arrival time from the journal, so that a
   * replay after a crash takes exactly the decisions the live run took. */
  const IocUnit *unit_entry = NULL;
  gboolean remapped = FALSE;
  r = ioc_validate_unit (record, self->config->province, self->units, arrival_us, &unit_entry, &remapped,
                         &detail);
  if (r != IOC_REJECT_NONE)
    {
      reject (self, r, detail, topic, topic_len, payload, len, arrival_us);
      return FALSE;
    }
  if (record->seq > 0)
    {
      gint64 highest = 0;
      IocSeqVerdict v = ioc_dedup_check_epoch (self->dedup, record->kind, record->device, record->seq,
                                               record->epoch, &highest);
      if (v == IOC_SEQ_DUPLICATE)
        return FALSE;
      if (v == IOC_SEQ_JUMP)
        {
          gchar jump[160];
          g_snprintf (jump, sizeof jump, "seq: %" G_GINT64_FORMAT " is more than %d above the highest seen, %"
                      G_GINT64_FORMAT, record->seq, IOC_DEDUP_MAX_JUMP, highest);
          reject (self, IOC_REJECT_SEQ_JUMP, jump, topic, topic_len, payload, len, arrival_us);
          return FALSE;
        }
      if (G_UNLIKELY (remapped))
        ioc_dedup_count_remapped (self->dedup, record->kind, record->device);
    }

  /* SPEC §2: history under a code that merged away is reported under the
   * commune that absorbed it. */
  const gchar *unit = ioc_units_resolve_unit (self->units, unit_entry);

  ioc_device_health_record (self->devices, record, unit, arrival_us);
  if (record->msg_type == IOC_MSG_EVENT)
    {
      if (record->type == IOC_EV_DOSSIER &&
          (r = ioc_dossier_tracker_record (self->dossiers, record, unit, arrival_us)) != IOC_REJECT_NONE)
        {
          gchar why[200];
          g_snprintf (why, sizeof why, "state: %d for dossier %.80s, completed (state 10) before this ts",
                      record->state, record->dossier);
          reject (self, r, why, topic, topic_len, payload, len, arrival_us);
          return FALSE;
        }
      if (record->kind == IOC_KIND_DESK || record->kind == IOC_KIND_KIOSK)
        ioc_queue_stats_record (self->queue_stats, record, unit);
    }
  ioc_stat_add (self->stat_accepted, 1);
  return TRUE;
}

static void
inbox_drain_cb (IocHandoffMessage *const *items, guint n, gpointer user_data)
{
  IocHub *self = user_data;
  guint accepted = 0;
  for (guint i = 0; i < n; i++)
    {
      const IocHandoffMessage *item = items[i];
      accepted += hub_process (self, ioc_handoff_message_topic (item), item->topic_len, ioc_handoff_message_payload (item),
                   item->payload_len, item->arrival_us);
      self->processed_pos.segment = item->journal_segment;
      self->processed_pos.offset = item->journal_offset;
    }
  for (guint i = 0; accepted > 0 && i < self->batch_observers->len; i++)
    {
      Observer *o = &g_array_index (self->batch_observers, Observer, i);
      ((IocHubBatchFunc) o->fn) (accepted, o->user_data);
    }
}

/* Paho receive thread: make the message durable, then queue it. */
static gboolean
on_mqtt_message (const gchar *topic, gsize topic_len, const guint8 *payload, gsize len, gpointer user_data)
{
  IocHub *self = user_data;
  gint64 arrival_us = g_get_real_time ();
  IocJournalPos pos;
  g_autoptr (GError) error = NULL;
  if (!ioc_journal_append (self->journal, topic, topic_len, payload, len, arrival_us, &pos, &error))
    {
      g_warning ("journal: cannot append (message not acknowledged, the broker keeps it): %s", error->message);
      return FALSE;
    }
  ioc_stat_add (self->stat_received, 1);
  __atomic_store_n (&self->last_message_us, arrival_us, __ATOMIC_RELAXED);
  ioc_handoff_push (self->inbox, topic, topic_len, payload, len, arrival_us, pos.segment, pos.offset);
  return TRUE;
}

static void
on_mqtt_state (gboolean connected, gpointer user_data)
{
  (void) user_data;
  (void) connected;
}

/* ---- facts, points and sinks ---- */

static void
fact_to_rollup_cb (const IocFact *fact, gpointer user_data)
{
  IocHub *self = user_data;
  ioc_rollup_add (self->rollup, fact);
}

static void
dossier_sampler_cb (IocRollup *rollup, gint64 minute_start_us, gpointer user_data)
{
  IocHub *self = user_data;
  ioc_dossier_tracker_sample (self->dossiers, minute_start_us, fact_to_rollup_cb, self);
}

static void
point_cb (const IocPoint *point, gpointer user_data)
{
  IocHub *self = user_data;
  if (self->spool != NULL)
    ioc_lp_append_point (self->lp_batch, point, self->config->province, self->config->hub_id);
  for (guint i = 0; i < self->point_observers->len; i++)
    {
      Observer *o = &g_array_index (self->point_observers, Observer, i);
      ((IocPointFunc) o->fn) (point, o->user_data);
    }
}

static void
flush_points (IocHub *self)
{
  if (self->spool == NULL || self->lp_batch->len == 0)
    return;
  g_autoptr (GError) error = NULL;
  if (!ioc_spool_append (self->spool, self->lp_batch->str, self->lp_batch->len, &error))
    {
      /* Not dropped silently: counted, logged; the points are re-emitted
       * after a restart because the snapshot still says "not written". */
      ioc_stat_add (self->stat_spool_failures, 1);
      g_warning ("spool: cannot store %zu bytes of points: %s", self->lp_batch->len, error->message);
    }
  g_string_truncate (self->lp_batch, 0);
}

typedef struct
{
  IocHub *hub;
  gchar *line;
  gchar *why;
} RejectedLine;

static gboolean
influx_reject_main_cb (gpointer data)
{
  RejectedLine *rl = data;
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/%s/hub/%s/influx", rl->hub->config->province,
                                             rl->hub->config->hub_id);
  ioc_deadletter_reject (rl->hub->deadletter, "influx_rejected", rl->why, topic, strlen (topic),
                         (const guint8 *) rl->line, strlen (rl->line), g_get_real_time ());
  return G_SOURCE_REMOVE;
}

static void
rejected_line_free (gpointer data)
{
  RejectedLine *rl = data;
  g_free (rl->line);
  g_free (rl->why);
  g_free (rl);
}

/* Writer thread. */
static void
on_influx_reject (const gchar *line, gsize len, const gchar *influx_error, gpointer user_data)
{
  RejectedLine *rl = g_new0 (RejectedLine, 1);
  rl->hub = user_data;
  rl->line = g_strndup (line, len);
  rl->why = g_strdup (influx_error ? influx_error : "rejected by InfluxDB");
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, influx_reject_main_cb, rl, rejected_line_free);
}

static void
publish_deadletter_cb (const gchar *topic, const gchar *json, gsize len, gpointer user_data)
{
  IocHub *self = user_data;
  if (self->mqtt != NULL)
    ioc_mqtt_client_publish (self->mqtt, topic, json, len, 1, FALSE);
}

/* ---- snapshots ---- */

static GBytes *
section (void (*save) (gpointer, GByteArray *), gpointer stage)
{
  GByteArray *out = g_byte_array_new ();
  save (stage, out);
  return g_byte_array_free_to_bytes (out);
}

static gboolean
hub_save_snapshot (IocHub *self, GError **error)
{
  g_autoptr (IocSnapshot) snap = ioc_snapshot_new (self->processed_pos);
  g_autoptr (GBytes) dedup = section ((void (*) (gpointer, GByteArray *)) ioc_dedup_save, self->dedup);
  g_autoptr (GBytes) rollup = section ((void (*) (gpointer, GByteArray *)) ioc_rollup_save, self->rollup);
  g_autoptr (GBytes) devices = section ((void (*) (gpointer, GByteArray *)) ioc_device_health_save, self->devices);
  g_autoptr (GBytes) dossiers = section ((void (*) (gpointer, GByteArray *)) ioc_dossier_tracker_save, self->dossiers);
  ioc_snapshot_add_section (snap, "dedup", dedup);
  ioc_snapshot_add_section (snap, "rollup", rollup);
  ioc_snapshot_add_section (snap, "devices", devices);
  ioc_snapshot_add_section (snap, "dossiers", dossiers);
  if (!ioc_snapshot_save (snap, self->config->state_dir, error))
    return FALSE;
  /* Only once the snapshot is durable may the journal before it go. */
  ioc_journal_compact (self->journal, self->processed_pos);
  self->journal_bytes_at_snapshot = ioc_journal_disk_bytes (self->journal);
  self->last_snapshot_us = g_get_monotonic_time ();
  ioc_stat_add (self->stat_snapshots, 1);
  return TRUE;
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
replay_cb (const gchar *topic, gsize topic_len, const guint8 *payload, gsize len, gint64 arrival_us,
           IocJournalPos pos, gpointer user_data)
{
  IocHub *self = user_data;
  hub_process (self, topic, topic_len, payload, len, arrival_us);
  self->processed_pos = pos;
  ioc_stat_add (self->stat_replayed, 1);
  return TRUE;
}

static gboolean
hub_restore (IocHub *self, GError **error)
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
          || !load_section (snap, "dossiers", (gpointer) ioc_dossier_tracker_load, self->dossiers, error))
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

/* ---- the clock tick ---- */

static void
hub_tick (IocHub *self)
{
  gint64 now = ioc_clock_now (self->clock);
  ioc_dossier_tracker_sweep (self->dossiers, now);
  ioc_rollup_tick (self->rollup, now);
  flush_points (self);
  for (guint i = 0; i < self->tick_observers->len; i++)
    {
      Observer *o = &g_array_index (self->tick_observers, Observer, i);
      ((IocHubTickFunc) o->fn) (now, o->user_data);
    }

  g_autoptr (GError) error = NULL;
  if (!ioc_journal_sync (self->journal, &error))
    g_warning ("journal: sync failed: %s", error->message);
  g_clear_error (&error);

  gint64 last = __atomic_load_n (&self->last_message_us, __ATOMIC_RELAXED);
  ioc_stat_set_double (self->stat_last_age, last > 0 ? (g_get_real_time () - last) / 1e6 : -1.0);
  guint64 jbytes = ioc_journal_disk_bytes (self->journal);
  ioc_stat_set (self->stat_journal_bytes, (gint64) jbytes);

  gboolean due = g_get_monotonic_time () - self->last_snapshot_us >= self->config->snapshot_interval_us
                 || jbytes - MIN (jbytes, self->journal_bytes_at_snapshot) >= self->config->snapshot_journal_bytes;
  if (due && !hub_save_snapshot (self, &error))
    {
      ioc_stat_add (self->stat_snapshot_failures, 1);
      g_warning ("snapshot: %s (will retry; the journal keeps growing until one succeeds)", error->message);
      self->last_snapshot_us = g_get_monotonic_time ();
    }
}

static gboolean
tick_cb (gpointer data)
{
  hub_tick (data);
  return G_SOURCE_CONTINUE;
}

/* ---- HTTP ---- */

static void
healthz_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocHub *self = user_data;
  gboolean mqtt_ok = self->mqtt != NULL && ioc_mqtt_client_is_connected (self->mqtt);
  gboolean influx_ok = self->writer == NULL || ioc_influx_writer_is_healthy (self->writer);
  gint64 last = __atomic_load_n (&self->last_message_us, __ATOMIC_RELAXED);
  g_autofree gchar *body = g_strdup_printf (
      "{\"status\":\"%s\",\"mqtt_connected\":%s,\"influx_healthy\":%s,\"last_message_age_s\":%.1f,"
      "\"spool_bytes\":%" G_GUINT64_FORMAT ",\"journal_bytes\":%" G_GUINT64_FORMAT "}\n",
      mqtt_ok ? (influx_ok ? "ok" : "degraded") : "down", mqtt_ok ? "true" : "false",
      influx_ok ? "true" : "false", last > 0 ? (g_get_real_time () - last) / 1e6 : -1.0,
      self->spool ? ioc_spool_pending_bytes (self->spool) : 0, ioc_journal_disk_bytes (self->journal));
  ioc_http_reply (msg, mqtt_ok ? 200 : 503, "application/json", body, strlen (body));
}

/* ---- life cycle ---- */

static gboolean
load_reference (IocHubConfig *config, IocUnitRegistry **units, IocCalendar **calendar, IocProcedures **procs,
                GError **error)
{
  *units = ioc_units_load (config->units_path, error);
  if (*units == NULL)
    {
      g_prefix_error (error, "%s: [hub] units: ", config->path);
      return FALSE;
    }
  if (config->calendar_paths == NULL || config->calendar_paths[0] == NULL)
    {
      /* No holidays known: deadlines count weekends only.  Say so once. */
      static const gchar fallback[] = "[calendar]\nweekend = sat,sun\n";
      g_warning ("%s: [hub] calendar is empty: deadlines skip weekends but no public holidays", config->path);
      *calendar = ioc_calendar_load_data ("(built-in weekends-only calendar)", fallback, sizeof fallback - 1, error);
    }
  else
    *calendar = ioc_calendar_load ((const gchar *const *) config->calendar_paths, error);
  if (*calendar == NULL)
    {
      g_prefix_error (error, "%s: [hub] calendar: ", config->path);
      return FALSE;
    }
  *procs = NULL;
  if (config->procedures_path != NULL)
    {
      *procs = ioc_procedures_load (config->procedures_path, error);
      if (*procs == NULL)
        {
          g_prefix_error (error, "%s: [hub] procedures: ", config->path);
          return FALSE;
        }
    }
  return TRUE;
}

IocHub *
ioc_hub_new (IocHubConfig *config, IocClock *clock, GError **error)
{
  g_autoptr (IocHub) self = g_new0 (IocHub, 1);
  self->config = config;
  if (clock == NULL)
    clock = self->own_clock = ioc_clock_new_real ();
  self->clock = clock;
  self->tick_observers = g_array_new (FALSE, FALSE, sizeof (Observer));
  self->point_observers = g_array_new (FALSE, FALSE, sizeof (Observer));
  self->batch_observers = g_array_new (FALSE, FALSE, sizeof (Observer));
  self->reload_observers = g_array_new (FALSE, FALSE, sizeof (Observer));

  self->stat_received = ioc_stat ("iochub_messages_received_total", NULL, IOC_STAT_COUNTER, "Messages received from the broker and journaled");
  self->stat_processed = ioc_stat ("iochub_messages_processed_total", NULL, IOC_STAT_COUNTER, "Messages run through decode and validation (including replays)");
  self->stat_accepted = ioc_stat ("iochub_messages_accepted_total", NULL, IOC_STAT_COUNTER, "Messages that passed validation and de-duplication");
  self->stat_replayed = ioc_stat ("iochub_messages_replayed_total", NULL, IOC_STAT_COUNTER, "Messages replayed from the journal at start");
  self->stat_last_age = ioc_stat ("iochub_last_message_age_seconds", NULL, IOC_STAT_GAUGE, "Seconds since the last message arrived (-1: none yet)");
  self->stat_journal_bytes = ioc_stat ("iochub_journal_disk_bytes", NULL, IOC_STAT_GAUGE, "Bytes of journal on disk");
  self->stat_snapshots = ioc_stat ("iochub_snapshots_total", NULL, IOC_STAT_COUNTER, "Snapshots saved");
  self->stat_snapshot_failures = ioc_stat ("iochub_snapshot_failures_total", NULL, IOC_STAT_COUNTER, "Snapshots that failed to save");
  self->stat_spool_failures = ioc_stat ("iochub_spool_append_failures_total", NULL, IOC_STAT_COUNTER, "Point batches the spool could not store");

  if (!load_reference (config, &self->units, &self->calendar, &self->procedures, error))
    return NULL;

  if (g_mkdir_with_parents (config->state_dir, 0750) != 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: [hub] state_dir: cannot create %s: %s", config->path,
                   config->state_dir, g_strerror (errno));
      return NULL;
    }
  g_autofree gchar *journal_dir = g_build_filename (config->state_dir, "journal", NULL);
  IocJournalOptions jopts = { 0 };
  jopts.segment_bytes = config->journal_segment_bytes;
  jopts.sync_interval_us = config->journal_sync_interval_us;
  self->journal = ioc_journal_open (journal_dir, &jopts, error);
  if (self->journal == NULL)
    return NULL;

  self->decoder = ioc_decoder_new ();
  self->dedup = ioc_dedup_new ();
  /* A hub that owns some units sees a portal connector's messages for
   * those units only: the other seqs are not lost, they are another hub's. */
  if (config->unit_filters != NULL)
    ioc_dedup_set_gapless (self->dedup, IOC_KIND_PORTAL, TRUE);
  self->deadletter = ioc_deadletter_new (config->province, publish_deadletter_cb, self);
  IocRollupOptions ropts = { 0 };
  ropts.live_window_us = config->live_window_us;
  ropts.lateness_us = config->lateness_us;
  ropts.horizon_us = config->horizon_us;
  self->rollup = ioc_rollup_new (&ropts, point_cb, self);
  self->queue_stats = ioc_queue_stats_new (fact_to_rollup_cb, self);
  self->devices = ioc_device_health_new ();
  self->dossiers = ioc_dossier_tracker_new (self->calendar, self->procedures, fact_to_rollup_cb, self);
  ioc_rollup_add_gauge_sampler (self->rollup, ioc_device_health_sample, self->devices);
  ioc_rollup_add_gauge_sampler (self->rollup, dossier_sampler_cb, self);
  self->lp_batch = g_string_sized_new (64 * 1024);

  if (config->influx_url != NULL)
    {
      g_autofree gchar *spool_dir = g_build_filename (config->state_dir, "spool", NULL);
      self->spool = ioc_spool_open (spool_dir, config->spool_max_bytes, error);
      if (self->spool == NULL)
        return NULL;
    }

  IocMqttOptions mopts = { 0 };
  mopts.url = config->mqtt_url;
  mopts.client_id = config->mqtt_client_id;
  mopts.username = config->mqtt_username;
  mopts.password = config->mqtt_password;
  mopts.keepalive_s = (gint) config->mqtt_keepalive_s;
  mopts.qos = (gint) config->mqtt_qos;
  self->mqtt = ioc_mqtt_client_new (&mopts, on_mqtt_message, on_mqtt_state, self, error);
  if (self->mqtt == NULL)
    return NULL;
  const gchar *types[] = { "event", "status", "state" };
  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    {
      if (config->unit_filters == NULL)
        {
          g_autofree gchar *filter = g_strdup_printf ("ioc/v1/%s/+/+/+/%s", config->province, types[t]);
          ioc_mqtt_client_add_subscription (self->mqtt, filter);
        }
      else
        for (guint u = 0; config->unit_filters[u] != NULL; u++)
          {
            g_autofree gchar *filter = g_strdup_printf ("ioc/v1/%s/%s/+/+/%s", config->province,
                                                        config->unit_filters[u], types[t]);
            ioc_mqtt_client_add_subscription (self->mqtt, filter);
          }
    }
  g_autofree gchar *record = g_build_filename (config->state_dir, "mqtt-subscriptions.txt", NULL);
  ioc_mqtt_client_record_subscriptions (self->mqtt, record);
  self->inbox = ioc_handoff_new (65536, inbox_drain_cb, self);

  if (!hub_restore (self, error))
    return NULL;

  /* Listening before start, so consumers can add their routes. */
  self->http = ioc_http_server_new (config->http_listen, error);
  if (self->http == NULL)
    return NULL;
  ioc_http_server_route (self->http, "/healthz", healthz_cb, self);
  ioc_prom_metrics_register (self->http);
  return g_steal_pointer (&self);
}

void
ioc_hub_ingest (IocHub *self, const gchar *topic, gsize topic_len, const guint8 *payload, gsize len,
                gint64 arrival_us)
{
  hub_process (self, topic, topic_len, payload, len, arrival_us);
}

void
ioc_hub_tick (IocHub *self)
{
  hub_tick (self);
}

const IocHubView *
ioc_hub_view (IocHub *self)
{
  self->view.config = self->config;
  self->view.clock = self->clock;
  self->view.units = self->units;
  self->view.calendar = self->calendar;
  self->view.rollup = self->rollup;
  self->view.dossiers = self->dossiers;
  self->view.devices = self->devices;
  self->view.dedup = self->dedup;
  self->view.deadletter = self->deadletter;
  self->view.mqtt = self->mqtt;
  self->view.http = self->http;
  return &self->view;
}

static void
add_observer (GArray *list, GCallback fn, gpointer user_data)
{
  Observer o = { fn, user_data };
  g_array_append_val (list, o);
}

void
ioc_hub_add_tick_observer (IocHub *self, IocHubTickFunc fn, gpointer user_data)
{
  add_observer (self->tick_observers, G_CALLBACK (fn), user_data);
}

void
ioc_hub_add_batch_observer (IocHub *self, IocHubBatchFunc fn, gpointer user_data)
{
  add_observer (self->batch_observers, G_CALLBACK (fn), user_data);
}

void
ioc_hub_add_reload_observer (IocHub *self, IocHubReloadFunc fn, gpointer user_data)
{
  add_observer (self->reload_observers, G_CALLBACK (fn), user_data);
}

void
ioc_hub_add_point_observer (IocHub *self, IocPointFunc fn, gpointer user_data)
{
  add_observer (self->point_observers, G_CALLBACK (fn), user_data);
}

gboolean
ioc_hub_start (IocHub *self, GError **error)
{
  g_return_val_if_fail (!self->started, FALSE);

  if (self->spool != NULL)
    {
      IocInfluxOptions iopts = { 0 };
      iopts.url = self->config->influx_url;
      iopts.database = self->config->influx_database;
      iopts.username = self->config->influx_username;
      iopts.password = self->config->influx_password;
      iopts.max_batch_bytes = self->config->influx_batch_bytes;
      iopts.timeout_us = self->config->influx_timeout_us;
      iopts.retry_initial_us = 200 * G_TIME_SPAN_MILLISECOND;
      iopts.retry_max_us = 30 * G_TIME_SPAN_SECOND;
      iopts.gzip = self->config->influx_gzip;
      self->writer = ioc_influx_writer_new (&iopts, self->spool, on_influx_reject, self, error);
      if (self->writer == NULL)
        return FALSE;
      ioc_influx_writer_start (self->writer);
    }

  hub_tick (self);
  self->tick_source = g_timeout_add (1000, tick_cb, self);
  ioc_mqtt_client_start (self->mqtt);
  self->started = TRUE;
  g_message ("hub %s: province %s, %u units, http on port %u, %s", self->config->hub_id, self->config->province,
             ioc_units_size (self->units), ioc_http_server_port (self->http),
             self->spool ? "writing to InfluxDB" : "no InfluxDB configured");
  return TRUE;
}

void
ioc_hub_stop (IocHub *self)
{
  if (self->stopped)
    return;
  self->stopped = TRUE;
  if (self->tick_source != 0)
    {
      g_source_remove (self->tick_source);
      self->tick_source = 0;
    }
  /* Disconnect first so nothing new arrives, then finish what was journaled. */
  g_clear_pointer (&self->mqtt, ioc_mqtt_client_free);
  if (self->inbox != NULL)
    ioc_handoff_drain_now (self->inbox);
  if (self->started)
    {
      ioc_rollup_tick (self->rollup, ioc_clock_now (self->clock));
      flush_points (self);
    }
  g_autoptr (GError) error = NULL;
  if (!hub_save_snapshot (self, &error))
    g_warning ("snapshot at shutdown: %s (the journal will be replayed at next start)", error->message);
}

void
ioc_hub_free (IocHub *self)
{
  if (self == NULL)
    return;
  if (self->started && !self->stopped)
    ioc_hub_stop (self);
  if (self->tick_source != 0)
    g_source_remove (self->tick_source);
  g_clear_pointer (&self->mqtt, ioc_mqtt_client_free);
  g_clear_pointer (&self->inbox, ioc_handoff_free);
  g_clear_pointer (&self->writer, ioc_influx_writer_free);
  g_clear_pointer (&self->http, ioc_http_server_free);
  g_clear_pointer (&self->spool, ioc_spool_free);
  g_clear_pointer (&self->dossiers, ioc_dossier_tracker_free);
  g_clear_pointer (&self->devices, ioc_device_health_free);
  g_clear_pointer (&self->queue_stats, ioc_queue_stats_free);
  g_clear_pointer (&self->rollup, ioc_rollup_free);
  g_clear_pointer (&self->deadletter, ioc_deadletter_free);
  g_clear_pointer (&self->dedup, ioc_dedup_free);
  g_clear_pointer (&self->decoder, ioc_decoder_free);
  g_clear_pointer (&self->journal, ioc_journal_free);
  g_clear_pointer (&self->procedures, ioc_procedures_free);
  g_clear_pointer (&self->calendar, ioc_calendar_free);
  g_clear_pointer (&self->units, ioc_units_free);
  if (self->lp_batch != NULL)
    g_string_free (self->lp_batch, TRUE);
  g_clear_pointer (&self->own_clock, ioc_clock_free);
  g_clear_pointer (&self->config, ioc_hub_config_free);
  if (self->tick_observers != NULL)
    g_array_unref (self->tick_observers);
  if (self->point_observers != NULL)
    g_array_unref (self->point_observers);
  if (self->batch_observers != NULL)
    g_array_unref (self->batch_observers);
  if (self->reload_observers != NULL)
    g_array_unref (self->reload_observers);
  g_free (self);
}

gboolean
ioc_hub_reload (IocHub *self, GError **error)
{
  /* Parse and validate everything first; swap only when all of it is good
   * (PEERS.md lesson 7).  Journal, windows, dossiers and alerts are kept. */
  g_autoptr (IocHubConfig) fresh = ioc_hub_config_load (self->config->path, error);
  if (fresh == NULL)
    return FALSE;
  IocUnitRegistry *units = NULL;
  IocCalendar *calendar = NULL;
  IocProcedures *procs = NULL;
  if (!load_reference (fresh, &units, &calendar, &procs, error))
    {
      g_clear_pointer (&units, ioc_units_free);
      g_clear_pointer (&calendar, ioc_calendar_free);
      g_clear_pointer (&procs, ioc_procedures_free);
      return FALSE;
    }
  ioc_dossier_tracker_set_calendar (self->dossiers, calendar, procs);
  ioc_units_free (self->units);
  ioc_calendar_free (self->calendar);
  if (self->procedures != NULL)
    ioc_procedures_free (self->procedures);
  self->units = units;
  self->calendar = calendar;
  self->procedures = procs;
  /* Tokens are revocable in the config (issue 5): the lists are swapped in
   * place, so every reader of the config sees the new ones from now on. */
  guint n_display = fresh->display_tokens ? g_strv_length (fresh->display_tokens) : 0;
  guint n_operator = fresh->operator_tokens ? g_strv_length (fresh->operator_tokens) : 0;
  gchar **old = self->config->display_tokens;
  self->config->display_tokens = g_steal_pointer (&fresh->display_tokens);
  fresh->display_tokens = old;
  old = self->config->operator_tokens;
  self->config->operator_tokens = g_steal_pointer (&fresh->operator_tokens);
  fresh->operator_tokens = old;
  g_message ("reload: %s: %u units, calendar and procedures reloaded; %u display and %u operator token(s)",
             fresh->path, ioc_units_size (units), n_display, n_operator);
  for (guint i = 0; i < self->reload_observers->len; i++)
    {
      Observer *o = &g_array_index (self->reload_observers, Observer, i);
      ((IocHubReloadFunc) o->fn) (o->user_data);
    }
  return TRUE;
}

guint
ioc_hub_http_port (IocHub *self)
{
  return self->http ? ioc_http_server_port (self->http) : 0;
}

gboolean
ioc_hub_check (const gchar *config_path, GString *report, GError **error)
{
  g_autoptr (IocHubConfig) config = ioc_hub_config_load (config_path, error);
  if (config == NULL)
    return FALSE;
  IocUnitRegistry *units = NULL;
  IocCalendar *calendar = NULL;
  IocProcedures *procs = NULL;
  gboolean ok = load_reference (config, &units, &calendar, &procs, error);
  if (ok)
    g_string_append_printf (report, "%s: OK (province %s, hub %s, %u registry entries, %u calendar file(s)%s)\n",
                            config_path, config->province, config->hub_id, ioc_units_size (units),
                            g_strv_length (config->calendar_paths), procs ? ", procedures" : "");
  g_clear_pointer (&units, ioc_units_free);
  g_clear_pointer (&calendar, ioc_calendar_free);
  g_clear_pointer (&procs, ioc_procedures_free);
  return ok;
}
