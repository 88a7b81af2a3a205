/* hub.c — see hub.h.  The wiring of the pipeline and its timers, and the
 * life cycle.  The reference data and the reload are in hub-reload.c, the
 * snapshots in hub-state.c, what the API and alerts read in hub-access.c;
 * hub-internal.h is the state they share.
 *
 * Threads: on_mqtt_message() runs on Paho's receive thread and touches only
 * the journal and the inbox (both thread-safe).  Everything else here runs
 * on the main context. */
#include "hub-internal.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "aggregate/device-health.h"
#include "aggregate/dossier-tracker.h"
#include "aggregate/queue-stats.h"
#include "aggregate/rollup.h"
#include "ingest/deadletter.h"
#include "ingest/dedup.h"
#include "ingest/decoder.h"
#include "ingest/validate.h"
#include "io/http-server.h"
#include "io/handoff.h"
#include "io/mqtt-client.h"
#include "model/calendar.h"
#include "model/inventory.h"
#include "model/units.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-schema.h"
#include "protocol/ioc-stats.h"
#include "sinks/influx-sink.h"
#include "state/journal.h"
#include "state/snapshot.h"

/* ---- the pipeline, one message at a time (main context) ---- */

static void
reject (IocHub *self, IocReject reason, const gchar *detail, const gchar *topic, gsize topic_len,
        const guint8 *payload, gsize len, gint64 arrival_us)
{
  ioc_deadletter_reject (self->deadletter, ioc_reject_name (reason), detail, topic, topic_len, payload, len,
                         arrival_us);
}

/* The oldest event time whose minute is still rewritten, as seen at
 * at_us: the start of at_us's month in Vietnam (UTC+7, no DST) or
 * at_us − horizon, whichever is earlier; or at_us − [windows] rewrite_back.  Cached per month: called per event. */
static gint64
hub_rewrite_from (IocHub *self, gint64 at_us)
{
  if (self->config->rewrite_back_us > 0)
    return at_us - self->config->rewrite_back_us;
  /* Never less than the in-memory horizon (early on the 1st). */
  gint64 floor_us = at_us - self->config->horizon_us;
  if (at_us >= self->rewrite_month_from && at_us < self->rewrite_month_until)
    return MIN (self->rewrite_month_from, floor_us);
  const gint64 vn = 7 * G_TIME_SPAN_HOUR;
  g_autoptr (GDateTime) local = g_date_time_new_from_unix_utc ((at_us + vn) / G_USEC_PER_SEC);
  g_autoptr (GDateTime) first = g_date_time_new_utc (g_date_time_get_year (local), g_date_time_get_month (local), 1,
                                                     0, 0, 0);
  g_autoptr (GDateTime) next = g_date_time_add_months (first, 1);
  self->rewrite_month_from = g_date_time_to_unix (first) * G_USEC_PER_SEC - vn;
  self->rewrite_month_until = g_date_time_to_unix (next) * G_USEC_PER_SEC - vn;
  return MIN (self->rewrite_month_from, floor_us);
}

/* The sequence check of a record that carries one: a duplicate is dropped
 * without a dead letter, a jump is rejected.  TRUE when the record goes on. */
static gboolean
admit_seq (IocHub *self, const IocRecord *record, gboolean remapped, const gchar *topic, gsize topic_len,
           const guint8 *payload, gsize len, gint64 arrival_us)
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
  return TRUE;
}

/* A valid record into the stages that keep state from it: device health,
 * then dossiers or queue statistics.  FALSE when the dossier tracker
 * refuses it (a dead letter is sent). */
static gboolean
record_to_stages (IocHub *self, const IocRecord *record, const gchar *unit, const gchar *topic, gsize topic_len,
                  const guint8 *payload, gsize len, gint64 arrival_us)
{
  ioc_device_health_record (self->devices, record, unit, arrival_us);
  if (record->msg_type == IOC_MSG_EVENT)
    {
      if (record->type == IOC_EV_DOSSIER)
        {
          IocReject r = ioc_dossier_tracker_record (self->dossiers, record, unit, arrival_us);
          if (r != IOC_REJECT_NONE)
            {
              gchar why[200];
              g_snprintf (why, sizeof why, "state: %d for dossier %.80s, completed (state 10) before this ts",
                          record->state, record->dossier);
              reject (self, r, why, topic, topic_len, payload, len, arrival_us);
              return FALSE;
            }
          ioc_score_book_touch (self->score);
        }
      else if (record->kind == IOC_KIND_DESK || record->kind == IOC_KIND_KIOSK)
        ioc_queue_stats_record (self->queue_stats, record, unit);
    }
  else if (record->msg_type == IOC_MSG_STATUS && record->kind == IOC_KIND_DESK)
    ioc_queue_stats_record (self->queue_stats, record, unit); /* the desks' waiting count */
  return TRUE;
}

/* TRUE when the message was accepted (it changed what the hub knows). */
gboolean
ioc_hub_process (IocHub *self, const gchar *topic, gsize topic_len, const guint8 *payload, gsize len,
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
  /* SPEC §2: history under a code that merged away is reported under the
   * commune that absorbed it. */
  const gchar *unit = ioc_units_resolve_unit (self->units, unit_entry);

  /* Before any per-device state (dedup, health) is made for a new device. */
  if (!ioc_device_health_admit (self->devices, record->kind, record->device, unit))
    {
      gchar why[160];
      g_snprintf (why, sizeof why, "device: %.60s would be one more than [hub] max_devices_per_unit = %u",
                  record->device, self->config->max_devices_per_unit);
      reject (self, IOC_REJECT_TOO_MANY_DEVICES, why, topic, topic_len, payload, len, arrival_us);
      return FALSE;
    }

  if (record->seq > 0 && !admit_seq (self, record, remapped, topic, topic_len, payload, len, arrival_us))
    return FALSE;
  /* An event before the rewrite horizon could not correct its minute
   * (dossier events included: accepted, they would change dossiers and
   * scores but not the minutes).  Decided on the arrival time, so a replay
   * decides the same. */
  if (record->msg_type == IOC_MSG_EVENT && G_UNLIKELY (record->ts_us < hub_rewrite_from (self, arrival_us)))
    {
      gchar why[120];
      g_snprintf (why, sizeof why, "ts: before the oldest minute still rewritten ([windows] rewrite_back)");
      reject (self, IOC_REJECT_TOO_LATE, why, topic, topic_len, payload, len, arrival_us);
      return FALSE;
    }

  if (!record_to_stages (self, record, unit, topic, topic_len, payload, len, arrival_us))
    return FALSE;
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
      accepted += ioc_hub_process (self, ioc_handoff_message_topic (item), item->topic_len, ioc_handoff_message_payload (item),
                   item->payload_len, item->arrival_us);
      self->processed_pos.segment = item->pos_segment;
      self->processed_pos.offset = item->pos_offset;
    }
  if (accepted > 0)
    FOREACH_SINK (self, sink)
      if (sink->vt->batch != NULL)
        sink->vt->batch (sink->self, accepted);
}

/* A message over the size the hub accepts (IOC_MAX_PAYLOAD) is journaled as
 * a stand-in flagged IOC_JOURNAL_FLAG_TRUNCATED: its size (u64, little-endian)
 * and its first IOC_DEADLETTER_EXCERPT bytes.  The replay and the live run
 * both make the same too_large dead letter of it; its body is never kept. */
#define STANDIN_HDR 8u

void
ioc_hub_reject_too_large (IocHub *self, const gchar *topic, gsize topic_len, const guint8 *standin, gsize len,
                          gint64 arrival_us)
{
  guint64 size = 0;
  for (guint i = 0; i < STANDIN_HDR && i < len; i++)
    size |= (guint64) standin[i] << (8 * i);
  gsize head = len > STANDIN_HDR ? len - STANDIN_HDR : 0;
  gchar why[160];
  g_snprintf (why, sizeof why, "payload: %" G_GUINT64_FORMAT " bytes, limit %d (not kept; the first %" G_GSIZE_FORMAT
              " bytes are here)", size, IOC_MAX_PAYLOAD, head);
  ioc_stat_add (self->stat_processed, 1);
  ioc_deadletter_reject_sized (self->deadletter, ioc_reject_name (IOC_REJECT_TOO_LARGE), why, topic, topic_len,
                               standin + (len > STANDIN_HDR ? STANDIN_HDR : len), head, (gsize) size, arrival_us);
}

typedef struct
{
  IocHub *hub;
  IocJournalPos pos;
  gint64 arrival_us;
  gsize topic_len;
  gsize len;
  guint8 data[]; /* topic, then the stand-in */
} TooLarge;

/* Main context, in the inbox's order. */
static void
too_large_cb (gpointer data)
{
  TooLarge *t = data;
  ioc_hub_reject_too_large (t->hub, (const gchar *) t->data, t->topic_len, t->data + t->topic_len, t->len, t->arrival_us);
  t->hub->processed_pos = t->pos;
}

/* Paho receive thread: make the message durable, then queue it.  There is
 * no refusing it (mqtt-client.h): the journal's reserve is what makes the
 * append succeed, and a journal running low wakes the main context, which
 * stops taking messages. */
static gboolean
on_mqtt_message (const gchar *topic, gsize topic_len, const guint8 *payload, gsize len, gpointer user_data)
{
  IocHub *self = user_data;
  gint64 arrival_us = g_get_real_time ();
  IocJournalPos pos;
  g_autoptr (GError) error = NULL;
  gboolean too_large = len > IOC_MAX_PAYLOAD;
  guint8 standin[STANDIN_HDR + IOC_DEADLETTER_EXCERPT];
  gsize standin_len = 0;
  if (too_large)
    {
      for (guint i = 0; i < STANDIN_HDR; i++)
        standin[i] = (guint8) ((guint64) len >> (8 * i));
      standin_len = STANDIN_HDR + MIN (len, IOC_DEADLETTER_EXCERPT);
      memcpy (standin + STANDIN_HDR, payload, standin_len - STANDIN_HDR);
    }
  if (!ioc_journal_append (self->journal, topic, topic_len, too_large ? standin : payload,
                           too_large ? standin_len : len, too_large ? IOC_JOURNAL_FLAG_TRUNCATED : 0, arrival_us,
                           &pos, &error))
    {
      g_critical ("journal: cannot append: %s", error->message);
      return FALSE;
    }
  if (ioc_journal_is_low (self->journal))
    g_source_set_ready_time (self->reserve_wake, 0);
  ioc_stat_add (self->stat_received, 1);
  __atomic_store_n (&self->last_message_us, arrival_us, __ATOMIC_RELAXED);
  if (too_large)
    {
      TooLarge *t = g_malloc (sizeof (TooLarge) + topic_len + standin_len);
      t->hub = self;
      t->pos = pos;
      t->arrival_us = arrival_us;
      t->topic_len = topic_len;
      t->len = standin_len;
      memcpy (t->data, topic, topic_len);
      memcpy (t->data + topic_len, standin, standin_len);
      ioc_handoff_call (self->inbox, too_large_cb, t, g_free);
      return TRUE;
    }
  ioc_handoff_push (self->inbox, topic, topic_len, payload, len, arrival_us, pos.segment, pos.offset);
  return TRUE;
}

/* Main context: pauses ingest while the journal cannot keep its reserve
 * and resumes it once it can; one log line per change. */
static void
hub_check_reserve (IocHub *self)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = ioc_journal_prepare (self->journal, &error);
  if (!ok && !self->ingest_paused)
    {
      self->ingest_paused = TRUE;
      self->paused_since_us = g_get_monotonic_time ();
      self->appends_at_pause = (guint64) ioc_stat_get (self->stat_received);
      g_warning ("%s; stopped taking messages (the broker keeps them queued) until it can write again", error->message);
      if (self->mqtt != NULL)
        ioc_mqtt_client_set_paused (self->mqtt, TRUE);
    }
  else if (ok && self->ingest_paused)
    {
      self->ingest_paused = FALSE;
      g_message ("journal: its write reserve is whole again; taking messages again after %.0f s"
                 " (%" G_GUINT64_FORMAT " message(s) in flight were written into the reserve)",
                 (g_get_monotonic_time () - self->paused_since_us) / 1e6,
                 (guint64) ioc_stat_get (self->stat_received) - self->appends_at_pause);
      if (self->mqtt != NULL)
        ioc_mqtt_client_set_paused (self->mqtt, FALSE);
    }
}

static gboolean
reserve_wake_cb (GSource *source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  hub_check_reserve (user_data);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs reserve_wake_funcs = { .dispatch = reserve_wake_cb };

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
  ioc_score_book_fact (self->score, fact);
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
  FOREACH_SINK (self, sink)
    if (sink->vt->point != NULL)
      sink->vt->point (sink->self, point);
}

/* InfluxDB refused a line alone: a dead letter, like a refused message. */
static void
influx_reject_cb (const gchar *topic, const gchar *line, const gchar *why, gpointer user_data)
{
  IocHub *self = user_data;
  ioc_deadletter_reject (self->deadletter, "influx_rejected", why, topic, strlen (topic), (const guint8 *) line,
                         strlen (line), g_get_real_time ());
}

static void
publish_deadletter_cb (const gchar *topic, const gchar *json, gsize len, gpointer user_data)
{
  IocHub *self = user_data;
  if (self->mqtt != NULL)
    ioc_mqtt_client_publish (self->mqtt, topic, json, len, 1, FALSE);
}

/* ---- the clock tick ---- */

static void
hub_tick (IocHub *self)
{
  gint64 now = ioc_clock_now (self->clock);
  ioc_dossier_tracker_sweep (self->dossiers, now);
  ioc_score_book_tick (self->score, self->dossiers, now);
  ioc_rollup_set_archive_from (self->rollup, hub_rewrite_from (self, now));
  ioc_rollup_tick (self->rollup, now);
  FOREACH_SINK (self, sink)
    if (sink->vt->tick != NULL)
      sink->vt->tick (sink->self, now);

  g_autoptr (GError) error = NULL;
  if (!ioc_journal_sync (self->journal, &error))
    g_warning ("journal: sync failed: %s", error->message);
  g_clear_error (&error);
  hub_check_reserve (self);

  gint64 last = __atomic_load_n (&self->last_message_us, __ATOMIC_RELAXED);
  ioc_stat_set_double (self->stat_last_age, last > 0 ? (g_get_real_time () - last) / 1e6 : -1.0);
  guint64 jbytes = ioc_journal_disk_bytes (self->journal);
  ioc_stat_set (self->stat_journal_bytes, (gint64) jbytes);

  gboolean due = g_get_monotonic_time () - self->last_snapshot_us >= self->config->snapshot_interval_us
                 || jbytes - MIN (jbytes, self->journal_bytes_at_snapshot) >= self->config->snapshot_journal_bytes;
  if (due && !ioc_hub_save_snapshot (self, &error))
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
  gboolean blocked = self->ingest_paused;
  gboolean influx_ok = self->influx == NULL || ioc_influx_sink_is_healthy (self->influx);
  gint64 last = __atomic_load_n (&self->last_message_us, __ATOMIC_RELAXED);
  g_autofree gchar *body = g_strdup_printf (
      "{\"status\":\"%s\",\"journal_blocked\":%s,\"mqtt_connected\":%s,\"influx_healthy\":%s,\"last_message_age_s\":%.1f,"
      "\"spool_bytes\":%" G_GUINT64_FORMAT ",\"journal_bytes\":%" G_GUINT64_FORMAT "}\n",
      blocked ? "journal_blocked" : mqtt_ok ? (influx_ok ? "ok" : "degraded") : "down", blocked ? "true" : "false",
      mqtt_ok ? "true" : "false",
      influx_ok ? "true" : "false", last > 0 ? (g_get_real_time () - last) / 1e6 : -1.0,
      self->influx ? ioc_influx_sink_pending_bytes (self->influx) : 0, ioc_journal_disk_bytes (self->journal));
  ioc_http_reply (msg, mqtt_ok && !blocked ? 200 : 503, "application/json", body, strlen (body));
}

/* ---- life cycle ---- */


static void
hub_register_stats (IocHub *self)
{
  self->stat_received = ioc_stat ("iochub_messages_received_total", NULL, IOC_STAT_COUNTER, "Messages received from the broker and journaled");
  self->stat_processed = ioc_stat ("iochub_messages_processed_total", NULL, IOC_STAT_COUNTER, "Messages run through decode and validation (including replays)");
  self->stat_accepted = ioc_stat ("iochub_messages_accepted_total", NULL, IOC_STAT_COUNTER, "Messages that passed validation and de-duplication");
  self->stat_replayed = ioc_stat ("iochub_messages_replayed_total", NULL, IOC_STAT_COUNTER, "Messages replayed from the journal at start");
  self->stat_last_age = ioc_stat ("iochub_last_message_age_seconds", NULL, IOC_STAT_GAUGE, "Seconds since the last message arrived (-1: none yet)");
  self->stat_journal_bytes = ioc_stat ("iochub_journal_disk_bytes", NULL, IOC_STAT_GAUGE, "Bytes of journal on disk");
  self->stat_snapshots = ioc_stat ("iochub_snapshots_total", NULL, IOC_STAT_COUNTER, "Snapshots saved");
  self->stat_snapshot_failures = ioc_stat ("iochub_snapshot_failures_total", NULL, IOC_STAT_COUNTER, "Snapshots that failed to save");
  self->stat_devices_forgotten = ioc_stat ("iochub_devices_forgotten_total", NULL, IOC_STAT_COUNTER,
                                           "Undeclared devices forgotten after [hub] forget_devices_after of silence");
}

static gboolean
hub_open_journal (IocHub *self, const IocHubConfig *config, GError **error)
{
  if (g_mkdir_with_parents (config->state_dir, 0750) != 0)
    {
      return ioc_io_error (error, errno, "%s: [hub] state_dir: cannot create %s", config->path, config->state_dir);
    }
  g_autofree gchar *journal_dir = g_build_filename (config->state_dir, "journal", NULL);
  IocJournalOptions jopts = { 0 };
  jopts.segment_bytes = config->journal_segment_bytes;
  jopts.sync_interval_us = config->journal_sync_interval_us;
  jopts.reserve_bytes = config->journal_reserve_bytes;
  self->journal = ioc_journal_open (journal_dir, &jopts, error);
  return self->journal != NULL;
}

/* The stages in pipeline order, each wired to the next by its emit
 * callback: decoder → dedup → device health, queue stats, dossier tracker
 * → rollup → the sinks. */
static void
hub_build_stages (IocHub *self, const IocHubConfig *config)
{
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
  {
    g_autofree gchar *archive = g_build_filename (config->state_dir, "rollup-archive", NULL);
    ioc_rollup_set_archive (self->rollup, archive, hub_rewrite_from (self, ioc_clock_now (self->clock)));
  }
  self->queue_stats = ioc_queue_stats_new (fact_to_rollup_cb, self);
  self->devices = ioc_device_health_new ();
  /* The grace of a never-heard connector runs from the first start: a
   * restored snapshot brings an earlier one back. */
  ioc_device_health_set_started (self->devices, ioc_clock_now (self->clock));
  self->dossiers = ioc_dossier_tracker_new (self->calendar, self->procedures, fact_to_rollup_cb, self);
  ioc_dossier_tracker_set_retention (self->dossiers, config->keep_finished_dossiers_us,
                                     config->remember_dropped_dossiers_us);
  self->score = ioc_score_book_new ();
  ioc_score_book_set_config (self->score, config->scorecard);
  ioc_rollup_add_gauge_sampler (self->rollup, ioc_device_health_sample, self->devices);
  ioc_rollup_add_gauge_sampler (self->rollup, dossier_sampler_cb, self);
}

/* The InfluxDB sink, the first of the sinks, when [influx] url is set. */
static gboolean
hub_add_influx (IocHub *self, const IocHubConfig *config, GError **error)
{
  if (config->influx_url == NULL)
    return TRUE;
  g_autofree gchar *spool_dir = g_build_filename (config->state_dir, "spool", NULL);
  IocInfluxSinkOptions o = { 0 };
  o.province = config->province;
  o.hub_id = config->hub_id;
  o.spool_dir = spool_dir;
  o.spool_max_bytes = config->spool_max_bytes;
  o.writer.url = config->influx_url;
  o.writer.database = config->influx_database;
  o.writer.username = config->influx_username;
  o.writer.password = config->influx_password;
  o.writer.max_batch_bytes = config->influx_batch_bytes;
  o.writer.timeout_us = config->influx_timeout_us;
  o.writer.retry_initial_us = 200 * G_TIME_SPAN_MILLISECOND;
  o.writer.retry_max_us = 30 * G_TIME_SPAN_SECOND;
  o.writer.gzip = config->influx_gzip;
  self->influx = ioc_influx_sink_new (&o, influx_reject_cb, self, error);
  if (self->influx == NULL)
    return FALSE;
  ioc_hub_add_sink (self, ioc_influx_sink_vtable (), self->influx);
  return TRUE;
}

/* The MQTT client with the hub's subscriptions (the province, or the units
 * this hub owns), and the inbox its messages cross to the main context by. */
static gboolean
hub_open_mqtt (IocHub *self, const IocHubConfig *config, GError **error)
{
  IocMqttOptions mopts = { 0 };
  mopts.url = config->mqtt_url;
  mopts.client_id = config->mqtt_client_id;
  mopts.username = config->mqtt_username;
  mopts.password = config->mqtt_password;
  mopts.keepalive_s = (gint) config->mqtt_keepalive_s;
  mopts.qos = (gint) config->mqtt_qos;
  mopts.sessions = (gint) config->mqtt_sessions;
  mopts.protocol = (gint) config->mqtt_protocol;
  mopts.receive_maximum = (gint) config->mqtt_receive_maximum;
  self->mqtt = ioc_mqtt_client_new (&mopts, on_mqtt_message, on_mqtt_state, self, error);
  if (self->mqtt == NULL)
    return FALSE;
  ioc_hub_subscribe_units (self);
  g_autofree gchar *record = g_build_filename (config->state_dir, "mqtt-subscriptions.txt", NULL);
  ioc_mqtt_client_record_subscriptions (self->mqtt, record);
  self->inbox = ioc_handoff_new_inbox (65536, inbox_drain_cb, self);
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
  /* Sized: FOREACH_SINK walks data, which an empty g_array_new leaves NULL. */
  self->sinks = g_array_sized_new (FALSE, FALSE, sizeof (Sink), 4);
  hub_register_stats (self);

  if (!ioc_hub_load_reference (config, &self->units, &self->calendar, &self->procedures, error)
      || !hub_open_journal (self, config, error))
    return NULL;
  hub_build_stages (self, config);
  g_autoptr (GPtrArray) inventory = NULL;
  if (!ioc_hub_load_inventory (config, &inventory, error))
    return NULL;
  ioc_hub_apply_inventory (self, config, inventory);
  if (!hub_add_influx (self, config, error) || !hub_open_mqtt (self, config, error) || !ioc_hub_restore (self, error))
    return NULL;

  /* Listening before start, so consumers can add their routes. */
  IocHttpLimits limits;
  ioc_hub_http_limits (config, &limits);
  self->http = ioc_http_server_new (config->http_listen, &limits, error);
  if (self->http == NULL)
    return NULL;
  ioc_http_server_route (self->http, "/healthz", healthz_cb, self);
  return g_steal_pointer (&self);
}

void
ioc_hub_ingest (IocHub *self, const gchar *topic, gsize topic_len, const guint8 *payload, gsize len,
                gint64 arrival_us)
{
  ioc_hub_process (self, topic, topic_len, payload, len, arrival_us);
}

void
ioc_hub_tick (IocHub *self)
{
  hub_tick (self);
}

void
ioc_hub_add_sink (IocHub *self, const IocSinkVTable *vtable, gpointer sink)
{
  g_return_if_fail (!self->started && vtable != NULL);
  Sink entry = { vtable, sink };
  g_array_append_val (self->sinks, entry);
}

/* The observer functions of before the sinks: each one a sink of one
 * function that the hub owns.  alerts/ is their last user (and the view's,
 * above); remove both when it registers a sink of its own. */
gboolean
ioc_hub_start (IocHub *self, GError **error)
{
  g_return_val_if_fail (!self->started, FALSE);

  FOREACH_SINK (self, sink)
    if (sink->vt->start != NULL && !sink->vt->start (sink->self, error))
      {
        g_prefix_error (error, "%s: ", sink->vt->name);
        return FALSE;
      }

  self->reserve_wake = g_source_new (&reserve_wake_funcs, sizeof (GSource));
  g_source_set_callback (self->reserve_wake, NULL, self, NULL);
  g_source_set_priority (self->reserve_wake, G_PRIORITY_HIGH);
  g_source_attach (self->reserve_wake, NULL);
  hub_tick (self); /* a journal low already at start keeps ingest paused */
  self->tick_source = g_timeout_add (1000, tick_cb, self);
  ioc_mqtt_client_start (self->mqtt);
  self->started = TRUE;
  g_message ("hub %s: province %s, %u units, http on port %u, %s", self->config->hub_id, self->config->province,
             ioc_units_size (self->units), ioc_http_server_port (self->http),
             self->influx ? "writing to InfluxDB" : "no InfluxDB configured");
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
      FOREACH_SINK (self, sink)
        if (sink->vt->stop != NULL)
          sink->vt->stop (sink->self);
    }
  g_autoptr (GError) error = NULL;
  if (!ioc_hub_save_snapshot (self, &error))
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
  if (self->reserve_wake != NULL)
    {
      g_source_destroy (self->reserve_wake);
      g_clear_pointer (&self->reserve_wake, g_source_unref);
    }
  /* After Paho is gone, the inbox's only producer. */
  if (self->inbox != NULL)
    ioc_handoff_close (self->inbox);
  g_clear_pointer (&self->inbox, ioc_handoff_unref);
  if (self->sinks != NULL)
    {
      FOREACH_SINK (self, sink)
        if (sink->vt->free != NULL)
          sink->vt->free (sink->self);
      g_array_unref (self->sinks);
      self->sinks = NULL;
      self->influx = NULL;
    }
  g_clear_pointer (&self->http, ioc_http_server_free);
  g_clear_pointer (&self->dossiers, ioc_dossier_tracker_free);
  g_clear_pointer (&self->score, ioc_score_book_free);
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
  g_clear_pointer (&self->own_clock, ioc_clock_free);
  g_clear_pointer (&self->config, ioc_hub_config_free);
  g_free (self);
}


guint
ioc_hub_http_port (IocHub *self)
{
  return self->http ? ioc_http_server_port (self->http) : 0;
}

