/* connector.c — the connector's core loop (see connector.h): every event a
 * kind emits gets the next durable seq, becomes a SPEC envelope, goes into
 * the disk buffer, and is pumped to the broker in seq order, at most
 * `window` unacknowledged at a time; on every (re)connect the pump restarts
 * at the oldest unacknowledged message.  Status is retained and repeated on
 * a timer.  A config pushed on the config topic (remote-config.h) is applied
 * here live: the kind's state is swapped, seq and the disk buffer stay.
 * Runs on the main loop only; Paho's threads reach it through publisher.c's
 * hand-off. */
#include "lib/connector.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "lib/disk-buffer.h"
#include "lib/envelope-writer.h"
#include "lib/publisher.h"
#include "lib/remote-config.h"
#include "lib/seq-store.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-topic.h"

#define PUMP_WINDOW 64

struct _IocConnector
{
  IocConnectorConfig *cfg;
  const IocConnectorKind *kind;
  gpointer kstate;
  IocSeqStore *seq;
  IocDiskBuffer *buf;
  IocPublisher *pub;
  gchar *status_topic;
  gchar *applied_topic;
  gchar *config_version; /* of the config running now; NULL: unknown */
  gchar *refused_version; /* the last pushed config refused */
  guint poll_source;
  guint status_source;
  guint pump_source;
  guint retry_source;
  gboolean dirty; /* appended since the last sync */
  gboolean started;
  gboolean stopping; /* a pushed config must not restart the kind now */
  guint64 rejects;
  guint64 emitted;
  guint64 acked;
};

const IocConnectorKind *
ioc_connector_find_kind (const IocConnectorKind *const *kinds, const gchar *name)
{
  for (guint i = 0; kinds[i]; i++)
    if (g_strcmp0 (kinds[i]->name, name) == 0)
      return kinds[i];
  return NULL;
}

/* What --check judges once the file is read: the kind is built in and
 * takes its own group. */
static gboolean
check_config (const IocConnectorConfig *cfg, const IocConnectorKind *const *kinds, GError **error)
{
  const IocConnectorKind *kind = ioc_connector_find_kind (kinds, cfg->kind_name);
  if (!kind)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [connector] kind: expected a kind built into this ioc-connector, got '%s'",
                   cfg->path, cfg->kind_name);
      return FALSE;
    }
  gpointer state = kind->configure (cfg, cfg->kf, cfg->kind_name, error);
  if (!state)
    return FALSE;
  kind->free (state);
  return TRUE;
}

gboolean
ioc_connector_check (const gchar *path, const IocConnectorKind *const *kinds, GError **error)
{
  g_autoptr (IocConnectorConfig) cfg = ioc_connector_config_load (path, error);
  return cfg != NULL && check_config (cfg, kinds, error);
}

gboolean
ioc_connector_check_data (const gchar *path, const gchar *data, const IocConnectorKind *const *kinds, GError **error)
{
  g_autoptr (IocConnectorConfig) cfg = ioc_connector_config_load_data (path, data, error);
  return cfg != NULL && check_config (cfg, kinds, error);
}

/* ---- the pump: disk buffer → broker, in seq order ---- */

static gboolean pump_cb (gpointer data);
static void schedule_pump (IocConnector *self);

static gboolean
retry_cb (gpointer data)
{
  IocConnector *self = data;
  self->retry_source = 0;
  schedule_pump (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_pump (IocConnector *self)
{
  if (self->pump_source == 0)
    self->pump_source = g_idle_add (pump_cb, self);
}

static gboolean
pump_cb (gpointer data)
{
  IocConnector *self = data;
  self->pump_source = 0;
  if (self->dirty)
    {
      g_autoptr (GError) error = NULL;
      if (!ioc_connector_commit (self, NULL, &error))
        g_warning ("disk buffer: %s", error->message);
    }
  if (!ioc_publisher_is_connected (self->pub))
    return G_SOURCE_REMOVE;
  guint gen = ioc_publisher_gen (self->pub);
  guint inflight = 0;
  GQueue *q = ioc_disk_buffer_entries (self->buf);
  /* Bounded: stops after the window is full; entries past the first unsent
   * one are all unsent, so the scan is O(window). */
  for (GList *l = q->head; l && inflight < PUMP_WINDOW; l = l->next)
    {
      IocBufEntry *e = l->data;
      if (e->state == IOC_BUF_ACKED)
        continue;
      if (e->state == IOC_BUF_INFLIGHT)
        {
          inflight++;
          continue;
        }
      gsize len;
      const void *p = g_bytes_get_data (e->payload, &len);
      if (!ioc_publisher_send (self->pub, e->topic, p, len, e->retained, e->seq))
        {
          /* Paho refused while connected (its queue is full): try again
           * shortly, even if no ack is due to wake us. */
          if (self->retry_source == 0 && ioc_publisher_is_connected (self->pub))
            self->retry_source = g_timeout_add (100, retry_cb, self);
          break;
        }
      e->state = IOC_BUF_INFLIGHT;
      e->gen = gen;
      inflight++;
    }
  return G_SOURCE_REMOVE;
}

static void
reset_inflight (IocConnector *self)
{
  GQueue *q = ioc_disk_buffer_entries (self->buf);
  for (GList *l = q->head; l; l = l->next)
    {
      IocBufEntry *e = l->data;
      if (e->state == IOC_BUF_INFLIGHT)
        e->state = IOC_BUF_UNSENT;
      else if (e->state == IOC_BUF_UNSENT)
        break; /* everything after the first unsent one is unsent */
    }
}

static void
on_connected (gpointer user_data, gboolean is_connected)
{
  IocConnector *self = user_data;
  /* Whatever was in flight on the old connection may or may not have
   * arrived: send it again, in order (a repeat has the same seq). */
  reset_inflight (self);
  if (is_connected)
    {
      g_message ("connector %s: connected; %u messages buffered", self->cfg->id,
                 ioc_disk_buffer_length (self->buf));
      schedule_pump (self);
    }
}

static void
on_done (gpointer user_data, gint64 seq, guint gen, gboolean ok)
{
  IocConnector *self = user_data;
  IocBufEntry *e = ioc_disk_buffer_lookup (self->buf, seq);
  if (e == NULL)
    return;
  if (ok)
    {
      self->acked++;
      ioc_disk_buffer_ack (self->buf, seq);
    }
  else if (e->state == IOC_BUF_INFLIGHT && e->gen == gen)
    {
      /* A failure on the live connection: resend from the oldest one so the
       * broker still sees seq order. */
      reset_inflight (self);
    }
  schedule_pump (self);
}

/* ---- emit ---- */

static gboolean
append (IocConnector *self, const gchar *unit, IocMsgType mtype, const gchar *type,
        gint64 ts_us, JsonObject *fields, gboolean retained, GError **error)
{
  /* Size check first with the longest possible seq, so a refused message
   * never consumes a number (a gap would read as loss at the hub). */
  const gchar *epoch = ioc_seq_store_epoch (self->seq);
  g_autofree gchar *trial = ioc_envelope_build (G_MAXINT64, epoch, ts_us, type, fields, NULL, error);
  if (!trial)
    return FALSE;
  gint64 seq = ioc_seq_store_next (self->seq, error);
  if (seq == 0)
    return FALSE;
  gsize len = 0;
  g_autofree gchar *payload = ioc_envelope_build (seq, epoch, ts_us, type, fields, &len, error);
  g_assert (payload != NULL);
  g_autofree gchar *topic = ioc_topic_build (self->cfg->province, unit ? unit : self->cfg->unit,
                                             self->cfg->kind, self->cfg->device, mtype);
  if (!ioc_disk_buffer_append (self->buf, seq, topic, payload, len, retained, error))
    return FALSE;
  self->dirty = TRUE;
  self->emitted++;
  schedule_pump (self);
  return TRUE;
}

gboolean
ioc_connector_emit (IocConnector *self, const gchar *unit, const gchar *type, gint64 ts_us,
                    JsonObject *fields, GError **error)
{
  g_return_val_if_fail (self->started, FALSE);
  if (unit && !ioc_topic_is_unit_code (unit, strlen (unit)))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "unit \"%s\" is not a unit code", unit);
      return FALSE;
    }
  if (!ioc_envelope_check_event (self->cfg->kind, type, fields, error))
    return FALSE;
  return append (self, unit, IOC_MSG_EVENT, type, ts_us, fields, FALSE, error);
}

gboolean
ioc_connector_commit (IocConnector *self, const gchar *cursor, GError **error)
{
  if (!self->dirty && (cursor == NULL || g_strcmp0 (cursor, ioc_disk_buffer_cursor (self->buf)) == 0))
    return TRUE;
  if (!ioc_disk_buffer_sync (self->buf, cursor, error))
    return FALSE;
  self->dirty = FALSE;
  return TRUE;
}

const gchar *
ioc_connector_cursor (IocConnector *self)
{
  return ioc_disk_buffer_cursor (self->buf);
}

void
ioc_connector_reject (IocConnector *self, const gchar *what, const gchar *detail)
{
  self->rejects++;
  /* Rate-limited: a source spewing garbage must not fill the journal. */
  if (self->rejects <= 20 || self->rejects % 1000 == 0)
    g_warning ("connector %s: refused %s: %s (%" G_GUINT64_FORMAT " refused so far)",
               self->cfg->id, what, detail, self->rejects);
}

void
ioc_connector_status_now (IocConnector *self)
{
  g_autoptr (JsonObject) fields = json_object_new ();
  if (self->kind->status && self->kstate)
    self->kind->status (self, self->kstate, fields);
  /* Extra fields are ignored by the hub's aggregates (SPEC §4) but show the
   * connector's own health to whoever reads the retained status. */
  json_object_set_int_member (fields, "source_rejects", (gint64) self->rejects);
  json_object_set_int_member (fields, "buffer_dropped",
                              (gint64) ioc_disk_buffer_dropped (self->buf));
  json_object_set_int_member (fields, "buffered", ioc_disk_buffer_length (self->buf));
  if (self->config_version)
    json_object_set_string_member (fields, "config_version", self->config_version);
  g_autoptr (GError) error = NULL;
  if (!append (self, NULL, IOC_MSG_STATUS, NULL, g_get_real_time (), fields, TRUE, &error))
    g_warning ("connector %s: status not queued: %s", self->cfg->id, error->message);
}

static gboolean
status_cb (gpointer data)
{
  ioc_connector_status_now (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
poll_cb (gpointer data)
{
  IocConnector *self = data;
  if (self->kstate) /* NULL only if a failed reconfigure could not restore */
    self->kind->poll (self, self->kstate);
  return G_SOURCE_CONTINUE;
}

/* ---- a pushed config (remote-config.h) ---- */

static void
start_timers (IocConnector *self)
{
  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_clear_handle_id (&self->status_source, g_source_remove);
  self->status_source = g_timeout_add ((guint) (self->cfg->status_interval_us / 1000), status_cb,
                                       self);
  if (self->kind->poll)
    self->poll_source = g_timeout_add ((guint) (self->cfg->poll_interval_us / 1000), poll_cb,
                                       self);
}

/* Swaps in a checked config and its kind state.  The old state is freed
 * first because it may hold what the new one needs (the webhook's port); if
 * the new one does not start, the old config is configured and started
 * again, so the connector never ends up with no kind running. */
static gboolean
apply (IocConnector *self, IocConnectorConfig *cfg, gpointer kstate, GError **error)
{
  g_clear_handle_id (&self->poll_source, g_source_remove);
  if (self->kstate)
    g_clear_pointer (&self->kstate, self->kind->free);
  IocConnectorConfig *old = self->cfg;
  self->cfg = cfg;
  self->kstate = kstate;
  if (self->kind->start && !self->kind->start (self, self->kstate, error))
    {
      g_clear_pointer (&self->kstate, self->kind->free);
      self->cfg = old;
      ioc_connector_config_free (cfg);
      g_autoptr (GError) again = NULL;
      self->kstate = self->kind->configure (old, old->kf, old->kind_name, &again);
      if (self->kstate && self->kind->start && !self->kind->start (self, self->kstate, &again))
        g_clear_pointer (&self->kstate, self->kind->free);
      if (!self->kstate)
        g_warning ("connector %s: the old config does not start again either: %s",
                   self->cfg->id, again->message);
      start_timers (self);
      return FALSE;
    }
  ioc_connector_config_free (old);
  start_timers (self);
  if (self->kind->poll && self->kstate)
    self->kind->poll (self, self->kstate);
  return TRUE;
}

static void
on_config (gpointer user_data, const gchar *topic, GBytes *payload, gboolean retained)
{
  IocConnector *self = user_data;
  gsize len = 0;
  const void *data = g_bytes_get_data (payload, &len);
  if (self->stopping)
    return; /* the kind is stopped for good; the retained config waits */
  if (len == 0)
    return; /* a cleared retained config: nothing to apply, nobody waits */
  g_autofree gchar *version = ioc_remote_config_version (data, len);
  /* The retained copy comes back on every reconnect: the one we run is not
   * news.  A fresh push of it is answered, since iocctl waits for it. */
  if ((g_strcmp0 (version, self->config_version) == 0
       || g_strcmp0 (version, self->refused_version) == 0) && retained)
    return;
  g_autoptr (GError) error = NULL;
  if (g_strcmp0 (version, self->config_version) != 0)
    {
      gpointer kstate = NULL;
      IocConnectorConfig *cfg = ioc_remote_config_check (self->cfg, self->kind, data, len,
                                                         &kstate, &error);
      if (cfg && apply (self, cfg, kstate, &error))
        {
          g_free (self->config_version);
          self->config_version = g_strdup (version);
          g_message ("connector %s: applied pushed config %s", self->cfg->id, version);
          g_autoptr (GError) perr = NULL;
          if (!ioc_remote_config_persist (self->cfg, data, len, version, &perr))
            g_warning ("connector %s: pushed config %s runs but a restart would lose it: %s",
                       self->cfg->id, version, perr->message);
          ioc_connector_status_now (self);
        }
    }
  if (error)
    {
      g_warning ("connector %s: pushed config %s rejected, keeping the old one: %s",
                 self->cfg->id, version, error->message);
      g_free (self->refused_version);
      self->refused_version = g_strdup (version);
    }
  gsize alen = 0;
  g_autofree gchar *answer = ioc_remote_config_answer (error ? NULL : version, error, &alen);
  /* Not retained (iocctl must tell a fresh answer from an old one), and
   * seq 0: answers are not part of the event stream or the disk buffer. */
  if (!ioc_publisher_send (self->pub, self->applied_topic, answer, alen, FALSE, 0))
    g_message ("connector %s: config answer not sent (not connected): %s", self->cfg->id, answer);
}

/* ---- lifecycle ---- */

IocConnector *
ioc_connector_new (IocConnectorConfig *cfg, const IocConnectorKind *kind, GError **error)
{
  g_autoptr (IocConnector) self = g_new0 (IocConnector, 1);
  self->cfg = cfg;
  self->kind = kind;
  /* A pushed config applied before a restart outranks the unchanged file. */
  IocConnectorConfig *pushed = ioc_remote_config_restore (cfg, kind, &self->kstate,
                                                          &self->config_version);
  if (pushed)
    {
      ioc_connector_config_free (cfg);
      self->cfg = cfg = pushed;
    }
  else
    self->kstate = kind->configure (cfg, cfg->kf, cfg->kind_name, error);
  if (!self->kstate)
    return NULL;
  if (g_mkdir_with_parents (cfg->state_dir, 0750) != 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: [connector] state_dir: cannot create %s: %s",
                   cfg->path, cfg->state_dir, g_strerror (errno));
      return NULL;
    }
  g_autofree gchar *seq_path = g_build_filename (cfg->state_dir, "seq", NULL);
  g_autofree gchar *buf_path = g_build_filename (cfg->state_dir, "buffer.log", NULL);
  self->seq = ioc_seq_store_open (seq_path, cfg->seq_block, error);
  if (!self->seq)
    return NULL;
  self->buf = ioc_disk_buffer_open (buf_path, cfg->buffer_max_bytes, error);
  if (!self->buf)
    return NULL;
  if (ioc_disk_buffer_last_seq (self->buf) > ioc_seq_store_last (self->seq))
    {
      /* Never: the seq file is made durable before the number is used. */
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                   "%s: buffered seq %" G_GINT64_FORMAT " is above the stored seq %" G_GINT64_FORMAT
                   "; refusing to reuse numbers", seq_path, ioc_disk_buffer_last_seq (self->buf),
                   ioc_seq_store_last (self->seq));
      return NULL;
    }
  self->status_topic = ioc_topic_build (cfg->province, cfg->unit, cfg->kind, cfg->device,
                                        IOC_MSG_STATUS);
  g_autofree gchar *state_topic = ioc_topic_build (cfg->province, cfg->unit, cfg->kind,
                                                   cfg->device, IOC_MSG_STATE);
  g_autofree gchar *config_topic = ioc_remote_config_topic (cfg);
  self->applied_topic = ioc_remote_config_applied_topic (cfg);
  if (!self->config_version)
    self->config_version = ioc_remote_config_file_version (cfg->path);
  IocPublisherOptions po = {
    .url = cfg->mqtt_url, .client_id = cfg->id, .username = cfg->username,
    .password = cfg->password, .state_topic = state_topic, .subscribe_topic = config_topic,
    .ca_file = cfg->ca_file, .cert_file = cfg->cert_file, .key_file = cfg->key_file,
    .verify = cfg->verify,
  };
  static const IocPublisherFuncs funcs = {
    .connected = on_connected, .done = on_done, .message = on_config,
  };
  self->pub = ioc_publisher_new (&po, &funcs, self, error);
  if (!self->pub)
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
ioc_connector_start (IocConnector *self, GError **error)
{
  self->started = TRUE;
  if (self->kind->start && !self->kind->start (self, self->kstate, error))
    return FALSE;
  g_message ("connector %s: kind %s, device %s, unit %s; seq continues after %" G_GINT64_FORMAT
             ", %u messages buffered", self->cfg->id, self->kind->name, self->cfg->device,
             self->cfg->unit, ioc_seq_store_last (self->seq), ioc_disk_buffer_length (self->buf));
  ioc_publisher_start (self->pub);
  ioc_connector_status_now (self);
  start_timers (self);
  if (self->kind->poll)
    self->kind->poll (self, self->kstate);
  return TRUE;
}

gboolean
ioc_connector_stop (IocConnector *self, guint timeout_ms)
{
  self->stopping = TRUE;
  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_clear_handle_id (&self->status_source, g_source_remove);
  /* Stop taking data first (closes the webhook listener), then drain. */
  if (self->kstate)
    g_clear_pointer (&self->kstate, self->kind->free);
  g_autoptr (GError) error = NULL;
  if (!ioc_connector_commit (self, NULL, &error))
    g_warning ("disk buffer: %s", error->message);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  GMainContext *ctx = g_main_context_default ();
  while (ioc_disk_buffer_length (self->buf) > 0 && ioc_publisher_is_connected (self->pub)
         && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (ctx, FALSE))
        g_usleep (1000);
    }
  guint left = ioc_disk_buffer_length (self->buf);
  if (left)
    g_message ("connector %s: %u messages stay in the disk buffer for the next start",
               self->cfg->id, left);
  ioc_publisher_stop (self->pub, 2000);
  return left == 0;
}

void
ioc_connector_free (IocConnector *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_clear_handle_id (&self->status_source, g_source_remove);
  g_clear_handle_id (&self->pump_source, g_source_remove);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->kstate)
    self->kind->free (self->kstate);
  g_clear_pointer (&self->pub, ioc_publisher_free);
  g_clear_pointer (&self->buf, ioc_disk_buffer_free);
  g_clear_pointer (&self->seq, ioc_seq_store_close);
  g_free (self->status_topic);
  g_free (self->applied_topic);
  g_free (self->config_version);
  g_free (self->refused_version);
  ioc_connector_config_free (self->cfg);
  g_free (self);
}

const IocConnectorConfig *
ioc_connector_config (IocConnector *self)
{
  return self->cfg;
}

guint64
ioc_connector_rejects (IocConnector *self)
{
  return self->rejects;
}

guint
ioc_connector_buffered (IocConnector *self)
{
  return ioc_disk_buffer_length (self->buf);
}
