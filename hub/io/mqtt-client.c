/* mqtt-client.c — see mqtt-client.h for the contract, the exactly-once
 * argument and why there are several sessions.  This file owns the client
 * and its API: options and counters, the filters the hub asks for and which
 * session holds each, start, pause and shutdown, and the hub's own publishing
 * connection.  Paho calls us on its own threads; every connect/subscribe
 * result is posted to the main context, where the sessions' state machines
 * and reconnect timers live (mqtt-session.c).  The message path and Paho's
 * persistence hook are in mqtt-store.c, the subscription record files in
 * mqtt-records.c; mqtt-client-private.h is what the four share. */
#include "io/mqtt-client-private.h"

#include <MQTTAsync.h>
#include <MQTTClientPersistence.h>
#include <string.h>

#include "io/handoff.h"
#include "protocol/ioc-backoff.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"

static void start_publisher (IocMqttClient *self);

/* ---- construction ---- */

void
ioc_mqtt_client_unref (IocMqttClient *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref))
    return;
  for (guint i = 0; i < self->n_all; i++)
    ioc_mqtt_session_free (self->sessions[i]);
  g_free (self->sessions);
  g_free (self->pub_client_id);
  g_mutex_clear (&self->pub_log_lock);
  g_main_context_unref (self->main_context);
  g_free (self->opts.url);
  g_free (self->opts.client_id);
  g_free (self->opts.username);
  g_free (self->opts.password);
  g_free (self);
}

guint
ioc_mqtt_session_for_key (const gchar *key, guint n_sessions)
{
  if (key == NULL || n_sessions <= 1)
    return 0;
  guint32 h = 2166136261u; /* FNV-1a */
  for (const guint8 *p = (const guint8 *) key; *p; p++)
    h = (h ^ *p) * 16777619u;
  /* FNV-1a's low bits depend on the low bits of the bytes only (xa-16681
   * and xa-16708 agree modulo 8): MurmurHash3's finalizer mixes them in. */
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h % n_sessions;
}

static void
add_session (IocMqttClient *self, Session *s)
{
  self->sessions = g_renew (Session *, self->sessions, self->n_all + 1);
  self->sessions[self->n_all++] = s;
}

/* The client's counters and gauges (/metrics); the per-session ones are
 * registered in ioc_mqtt_session_new. */
static void
register_stats (IocMqttClient *self)
{
  self->stat_connected = ioc_stat ("iochub_mqtt_connected", NULL, IOC_STAT_GAUGE,
                                   "1 while every ingest session is connected and subscribed");
  self->stat_sessions = ioc_stat ("iochub_mqtt_sessions", NULL, IOC_STAT_GAUGE, "Ingest sessions configured ([mqtt] sessions)");
  self->stat_sessions_up = ioc_stat ("iochub_mqtt_sessions_up", NULL, IOC_STAT_GAUGE,
                                     "Ingest sessions connected and subscribed");
  self->stat_reconnects = ioc_stat ("iochub_mqtt_reconnects_total", NULL, IOC_STAT_COUNTER, "Reconnect attempts to the broker");
  self->stat_session_lost = ioc_stat ("iochub_mqtt_session_not_present_total", NULL, IOC_STAT_COUNTER, "Connects where the broker kept no session (resubscribed)");
  self->stat_unprotected = ioc_stat ("iochub_mqtt_unprotected_messages_total", NULL, IOC_STAT_COUNTER,
                                     "Messages delivered with QoS < 2, acknowledged by Paho before the journal write");
  self->stat_refused = ioc_stat ("iochub_mqtt_refused_messages_total", NULL, IOC_STAT_COUNTER, "Messages the journal could not take (the hub stops; redelivered to the next run)");
  self->stat_publish_failed = ioc_stat ("iochub_mqtt_publish_failures_total", NULL, IOC_STAT_COUNTER, "Publishes Paho refused");
  self->stat_pub_lost = ioc_stat ("iochub_mqtt_publisher_lost_total", NULL, IOC_STAT_COUNTER,
                                  "Times the hub's publishing connection (client id + \"-pub\") was lost");
  self->stat_awaiting_pubrel = ioc_stat ("iochub_mqtt_awaiting_pubrel", NULL, IOC_STAT_GAUGE,
                                         "Received QoS 2 messages (journaled) whose PUBREL has not come yet");
  self->stat_awaiting_pubrel_max = ioc_stat ("iochub_mqtt_awaiting_pubrel_max", NULL, IOC_STAT_GAUGE,
                                             "The most received QoS 2 messages ever waiting for PUBREL at once since start "
                                             "(at most sessions x receive_maximum while the broker keeps its window)");
  self->stat_sub_refused = ioc_stat ("iochub_mqtt_subscriptions_refused_total", NULL, IOC_STAT_COUNTER,
                                     "Topic filters the broker refused to subscribe (ACL)");
  self->stat_paused = ioc_stat ("iochub_ingest_paused", NULL, IOC_STAT_GAUGE,
                                 "1 while the hub takes no messages (its journal cannot write; the broker queues them)");
  self->stat_pauses = ioc_stat ("iochub_ingest_pauses_total", NULL, IOC_STAT_COUNTER,
                                "Times the hub stopped taking messages because its journal could not write");
}

IocMqttClient *
ioc_mqtt_client_new (const IocMqttOptions *opts, IocMqttMessageFunc on_message, IocMqttStateFunc on_state,
                     gpointer user_data, GError **error)
{
  g_return_val_if_fail (opts->client_id != NULL && opts->client_id[0] != '\0', NULL);
  IocMqttClient *self = g_new0 (IocMqttClient, 1);
  self->ref = 1;
  self->opts = *opts;
  self->opts.url = g_strdup (opts->url);
  self->opts.client_id = g_strdup (opts->client_id);
  self->opts.username = g_strdup (opts->username);
  self->opts.password = g_strdup (opts->password);
  self->pub_client_id = g_strdup_printf ("%s-pub", opts->client_id);
  g_mutex_init (&self->pub_log_lock);
  if (self->opts.keepalive_s <= 0)
    self->opts.keepalive_s = 20;
  if (self->opts.qos < 0 || self->opts.qos > 2)
    self->opts.qos = 2;
  if (self->opts.sessions <= 0)
    self->opts.sessions = 1;
  if (self->opts.protocol != MQTTVERSION_3_1_1)
    self->opts.protocol = MQTTVERSION_5;
  if (self->opts.receive_maximum <= 0 || self->opts.receive_maximum > 65535)
    self->opts.receive_maximum = 1;
  if (self->opts.reconnect_min_us <= 0)
    self->opts.reconnect_min_us = 500000;
  if (self->opts.reconnect_max_us <= 0)
    self->opts.reconnect_max_us = 30 * G_TIME_SPAN_SECOND;
  self->main_context = g_main_context_ref_thread_default ();
  self->handoff = ioc_handoff_new ();
  self->on_message = on_message;
  self->on_state = on_state;
  self->user_data = user_data;

  register_stats (self);
  ioc_stat_set (self->stat_sessions, self->opts.sessions);

  self->n_sessions = (guint) self->opts.sessions;
  for (guint i = 0; i < self->n_sessions; i++)
    {
      Session *s = ioc_mqtt_session_new (self, i, FALSE, error);
      add_session (self, s);
      if (s->handle == NULL || (error != NULL && *error != NULL))
        {
          ioc_mqtt_client_free (self);
          return NULL;
        }
    }
  return self;
}

guint
ioc_mqtt_client_n_sessions (IocMqttClient *self)
{
  return self->n_sessions;
}

static void
add_on (IocMqttClient *self, const gchar *filter, guint index)
{
  Session *s = self->sessions[index];
  if (g_hash_table_contains (s->filter_set, filter))
    return;
  gchar *copy = g_strdup (filter);
  g_ptr_array_add (s->filters, copy);
  g_hash_table_add (s->filter_set, copy);
  if (self->started)
    ioc_mqtt_session_sync (s);
}

void
ioc_mqtt_client_add_subscription (IocMqttClient *self, const gchar *filter, const gchar *shard_key)
{
  add_on (self, filter, ioc_mqtt_session_for_key (shard_key, self->n_sessions));
}

void
ioc_mqtt_client_subscribe_units (IocMqttClient *self, const gchar *province, const gchar *const *units, guint n,
                                 gboolean whole_province)
{
  static const gchar *const kinds[] = { "desk", "kiosk", "camera", "portal" };
  static const gchar *const types[] = { "event", "status" };
  guint ns = self->n_sessions;
  /* The unit level of a filter: "+" for the whole province, else each owned unit. */
  guint n_levels = whole_province ? 1 : n;
  for (guint u = 0; u < n_levels; u++)
    {
      const gchar *unit = whole_province ? "+" : units[u];
      g_autofree gchar *state = g_strdup_printf ("ioc/v1/%s/%s/+/+/state", province, unit);
      add_on (self, state, 0);
      if (ns == 1)
        for (guint t = 0; t < G_N_ELEMENTS (types); t++)
          {
            g_autofree gchar *f = g_strdup_printf ("ioc/v1/%s/%s/+/+/%s", province, unit, types[t]);
            add_on (self, f, 0);
          }
      else
        for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
          {
            /* Beyond 4 sessions, desk, kiosk and camera go per unit below. */
            if (ns > G_N_ELEMENTS (kinds) && k < 3)
              continue;
            for (guint t = 0; t < G_N_ELEMENTS (types); t++)
              {
                g_autofree gchar *f = g_strdup_printf ("ioc/v1/%s/%s/%s/+/%s", province, unit, kinds[k], types[t]);
                add_on (self, f, k % ns);
              }
          }
    }
  if (ns <= G_N_ELEMENTS (kinds))
    return;
  for (guint u = 0; u < n; u++)
    for (guint k = 0; k < 3; k++)
      for (guint t = 0; t < G_N_ELEMENTS (types); t++)
        {
          g_autofree gchar *f = g_strdup_printf ("ioc/v1/%s/%s/%s/+/%s", province, units[u], kinds[k], types[t]);
          ioc_mqtt_client_add_subscription (self, f, units[u]);
        }
}

void
ioc_mqtt_client_record_subscriptions (IocMqttClient *self, const gchar *path)
{
  g_return_if_fail (self != NULL && path != NULL && !self->started);
  for (guint i = 0; i < self->n_sessions; i++)
    {
      Session *s = self->sessions[i];
      g_free (s->record_path);
      s->record_path = ioc_mqtt_record_path_for (path, i);
      g_hash_table_remove_all (s->held);
      ioc_mqtt_record_read (s);
    }
  /* Sessions a configuration with more of them left behind: their queues
   * still hold messages (units that now belong to another session). */
  for (guint i = self->n_sessions; i < 4096; i++)
    {
      g_autofree gchar *rpath = ioc_mqtt_record_path_for (path, i);
      if (!g_file_test (rpath, G_FILE_TEST_EXISTS))
        {
          if (i > self->n_sessions + 256)
            break;
          continue;
        }
      g_autoptr (GError) error = NULL;
      Session *s = ioc_mqtt_session_new (self, i, TRUE, &error);
      s->record_path = g_steal_pointer (&rpath);
      ioc_mqtt_record_read (s);
      add_session (self, s);
      if (error != NULL || s->handle == NULL)
        {
          g_warning ("mqtt: cannot retire session %s: %s", s->client_id, error ? error->message : "no client");
          s->phase = PHASE_ENDED;
          continue;
        }
      g_message ("mqtt: session %s is beyond [mqtt] sessions = %u: draining it, then ending it", s->client_id,
                 self->n_sessions);
    }
}

void
ioc_mqtt_client_start (IocMqttClient *self)
{
  g_return_if_fail (!self->started);
  self->started = TRUE;
  start_publisher (self);
  for (guint i = 0; i < self->n_all; i++)
    if (self->sessions[i]->phase != PHASE_ENDED && !self->paused)
      ioc_mqtt_session_connect (self->sessions[i]);
  if (self->n_all > self->n_sessions)
    self->idle_source = g_timeout_add_seconds (5, ioc_mqtt_retired_check_cb, self);
}

void
ioc_mqtt_client_set_paused (IocMqttClient *self, gboolean paused)
{
  paused = !!paused;
  if (self->paused == paused)
    return;
  self->paused = paused;
  ioc_stat_set (self->stat_paused, paused);
  if (paused)
    ioc_stat_add (self->stat_pauses, 1);
  if (!self->started || self->capture != NULL)
    return;
  for (guint i = 0; i < self->n_all; i++)
    {
      Session *s = self->sessions[i];
      if (s->phase == PHASE_ENDED)
        continue;
      if (paused)
        {
          if (s->reconnect_source != 0)
            {
              GSource *source = g_main_context_find_source_by_id (self->main_context, s->reconnect_source);
              if (source != NULL)
                g_source_destroy (source);
              s->reconnect_source = 0;
            }
          if (s->phase != PHASE_DOWN)
            ioc_mqtt_session_disconnect (s);
          s->phase = PHASE_DOWN;
          s->busy = FALSE;
        }
      else if (s->phase == PHASE_DOWN && s->reconnect_source == 0)
        {
          ioc_backoff_reset (&s->backoff);
          ioc_mqtt_session_connect (s);
        }
    }
  ioc_mqtt_update_state (self);
}

gboolean
ioc_mqtt_client_is_paused (IocMqttClient *self)
{
  return self->paused;
}

gboolean
ioc_mqtt_client_is_connected (IocMqttClient *self)
{
  return self->capture != NULL || g_atomic_int_get (&self->up_atomic);
}

void
ioc_mqtt_client_capture (IocMqttClient *self, IocMqttCaptureFunc fn, gpointer user_data)
{
  self->capture = fn;
  self->capture_data = user_data;
}

/* A lost publishing connection was silent: what the hub published while it
 * was down waited in Paho's buffer, and nothing said why.  The usual cause
 * that is not the network is a second client with the same id (the broker
 * keeps one connection per id and closes the older): both then lose the
 * connection every few seconds.  So: a warning, at most one a minute with
 * the losses since the last, and a hint once losses come soon after each
 * connect. */
static void
on_pub_connected (void *context, char *cause)
{
  IocMqttClient *self = context;
  g_mutex_lock (&self->pub_log_lock);
  self->pub_connected_us = g_get_monotonic_time ();
  g_mutex_unlock (&self->pub_log_lock);
}

static void
on_pub_lost (void *context, char *cause)
{
  IocMqttClient *self = context;
  if (g_atomic_int_get (&self->stopping))
    return;
  ioc_stat_add (self->stat_pub_lost, 1);
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&self->pub_log_lock);
  gboolean short_life = self->pub_connected_us != 0 && now - self->pub_connected_us < 30 * G_TIME_SPAN_SECOND;
  self->pub_short_lives = short_life ? self->pub_short_lives + 1 : 0;
  self->pub_connected_us = 0;
  self->pub_unlogged++;
  gboolean log = self->pub_logged_us == 0 || now - self->pub_logged_us >= 60 * G_TIME_SPAN_SECOND
                 || self->pub_short_lives == 3; /* the pattern of a shared id, said when first seen */
  guint n = self->pub_unlogged, short_lives = self->pub_short_lives;
  if (log)
    {
      self->pub_logged_us = now;
      self->pub_unlogged = 0;
    }
  g_mutex_unlock (&self->pub_log_lock);
  if (!log)
    return;
  if (short_lives >= 3)
    g_warning ("mqtt: %s: publishing connection to %s lost (%u time(s) since the last report, each within 30 s "
               "of connecting): is another client using the client id %s? The broker keeps one connection per id",
               self->pub_client_id, self->opts.url, n, self->pub_client_id);
  else
    g_warning ("mqtt: %s: publishing connection to %s lost (%u time(s) since the last report); "
               "publishes wait for the reconnect",
               self->pub_client_id, self->opts.url, n);
}

/* The publishing connection subscribes to nothing; Paho wants the callback. */
static int
on_pub_message (void *context, char *topic, int len, MQTTAsync_message *msg)
{
  MQTTAsync_freeMessage (&msg);
  MQTTAsync_free (topic);
  return 1;
}

/* The hub publishes on its own connection.  Paho persists the publish
 * commands of a client that has persistence and reads them back (pget) as
 * it sends them; keeping the ingest sessions subscribe-only keeps our
 * persistence layer down to what it is for: received QoS 2 messages. */
static void
start_publisher (IocMqttClient *self)
{
  MQTTAsync_createOptions create_opts = MQTTAsync_createOptions_initializer;
  create_opts.MQTTVersion = MQTTVERSION_3_1_1;
  create_opts.sendWhileDisconnected = 1;
  create_opts.maxBufferedMessages = 10000;
  if (MQTTAsync_createWithOptions (&self->pub_handle, self->opts.url, self->pub_client_id, MQTTCLIENT_PERSISTENCE_NONE,
                                   NULL, &create_opts) != MQTTASYNC_SUCCESS)
    {
      g_warning ("mqtt: cannot create the publishing client for %s", self->opts.url);
      self->pub_handle = NULL;
      return;
    }
  MQTTAsync_setCallbacks (self->pub_handle, self, on_pub_lost, on_pub_message, NULL);
  MQTTAsync_setConnected (self->pub_handle, self, on_pub_connected);
  MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
  opts.keepAliveInterval = self->opts.keepalive_s;
  opts.cleansession = 1;
  opts.MQTTVersion = MQTTVERSION_3_1_1;
  opts.automaticReconnect = 1;
  opts.minRetryInterval = 1;
  opts.maxRetryInterval = 30;
  opts.username = self->opts.username;
  opts.password = self->opts.password;
  MQTTAsync_connect (self->pub_handle, &opts);
}

gboolean
ioc_mqtt_client_publish (IocMqttClient *self, const gchar *topic, const void *payload, gsize len, gint qos,
                         gboolean retained)
{
  if (self->capture != NULL)
    {
      self->capture (topic, payload, len, qos, retained, self->capture_data);
      return TRUE;
    }
  if (self->pub_handle == NULL)
    {
      ioc_stat_add (self->stat_publish_failed, 1);
      return FALSE;
    }
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = (void *) payload;
  msg.payloadlen = (int) len;
  msg.qos = qos;
  msg.retained = retained;
  MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
  int rc = MQTTAsync_sendMessage (self->pub_handle, topic, &msg, &ropts);
  if (rc != MQTTASYNC_SUCCESS)
    {
      ioc_stat_add (self->stat_publish_failed, 1);
      return FALSE;
    }
  return TRUE;
}

void
ioc_mqtt_client_free (IocMqttClient *self)
{
  if (self == NULL)
    return;
  g_atomic_int_set (&self->stopping, TRUE);
  if (self->idle_source != 0)
    {
      GSource *source = g_main_context_find_source_by_id (self->main_context, self->idle_source);
      if (source != NULL)
        g_source_destroy (source);
    }
  /* DISCONNECT only: an UNSUBSCRIBE would make the broker drop what it
   * queues for us while we are down.  All sessions at
   * once, then a bounded wait for all of them. */
  for (guint i = 0; i < self->n_all; i++)
    {
      Session *s = self->sessions[i];
      if (s->reconnect_source != 0)
        {
          GSource *source = g_main_context_find_source_by_id (self->main_context, s->reconnect_source);
          if (source != NULL)
            g_source_destroy (source);
          s->reconnect_source = 0;
        }
      if (s->handle != NULL && MQTTAsync_isConnected (s->handle))
        {
          MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
          if (ioc_mqtt_is_v5 (self))
            opts = (MQTTAsync_disconnectOptions) MQTTAsync_disconnectOptions_initializer5;
          opts.timeout = 2000;
          MQTTAsync_disconnect (s->handle, &opts);
        }
    }
  if (self->pub_handle != NULL)
    {
      MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
      opts.timeout = 1000;
      MQTTAsync_disconnect (self->pub_handle, &opts);
    }
  for (int tries = 0; tries < 100; tries++)
    {
      gboolean any = self->pub_handle != NULL && MQTTAsync_isConnected (self->pub_handle);
      for (guint i = 0; i < self->n_all && !any; i++)
        any = self->sessions[i]->handle != NULL && MQTTAsync_isConnected (self->sessions[i]->handle);
      if (!any)
        break;
      g_usleep (20000);
    }
  for (guint i = 0; i < self->n_all; i++)
    if (self->sessions[i]->handle != NULL)
      MQTTAsync_destroy (&self->sessions[i]->handle);
  if (self->pub_handle != NULL)
    MQTTAsync_destroy (&self->pub_handle);
  /* Paho is gone: what it posted and is still waiting is dropped (each
   * event's destroy gives its reference back). */
  ioc_handoff_close (self->handoff);
  g_clear_pointer (&self->handoff, ioc_handoff_unref);
  ioc_mqtt_client_unref (self);
}
