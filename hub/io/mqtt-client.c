/* mqtt-client.c — see mqtt-client.h for the contract and the exactly-once
 * argument.  Paho calls us on its own threads (receive thread for messages
 * and persistence, its callback threads for connect/subscribe results); the
 * reconnect timer and the state callback live on the main context. */
#include "io/mqtt-client.h"

#include <MQTTAsync.h>
#include <MQTTClientPersistence.h>
#include <string.h>

#include "io/handoff.h"
#include "protocol/ioc-backoff.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"

/* Paho keeps every received QoS 2 message in a linked list until its PUBREL
 * and, for each new PUBLISH, searches that whole list by packet id.  While
 * the hub keeps up the broker has at most max_inflight_messages (20) of them
 * unreleased; when the hub was starved of CPU (bench/e2e.sh with the hub
 * niced on a busy core) mosquitto 2.0.11 held back PUBRELs for thousands
 * while it went on sending new PUBLISHes: 11,008 waiting, 600-800 us of CPU
 * per message instead of 25-35 us.  iochub_mqtt_awaiting_pubrel shows that
 * list's length so that operators see it coming (docs/OPERATIONS.md).  A
 * reconnect does not empty it (tried: the waiting count stayed at ~1,000). */

/* Most messages are a few hundred bytes: assemble them on the stack. */
#define IOC_MQTT_STACK_PACKET 2048

struct _IocMqttClient
{
  IocMqttOptions opts;
  MQTTAsync handle;     /* ingest: persistent session, our persistence, subscribes only */
  MQTTAsync pub_handle; /* publishes (dead letters, alerts, configs): clean session, no persistence */
  gchar *pub_client_id;
  MQTTClient_persistence persistence;
  GMainContext *main_context;
  IocHandoff *handoff; /* connection changes: Paho threads → main context */
  IocMqttMessageFunc on_message;
  IocMqttStateFunc on_state;
  gpointer user_data;
  GPtrArray *filters; /* gchar* */
  /* The filters subscribed last time (a file under state_dir): those no
   * longer configured are unsubscribed on connect, or a persistent session
   * would go on delivering them (a hub given fewer units_owned would still
   * count the units it gave away). */
  gchar *record_path;
  GPtrArray *stale_filters; /* gchar*; read at start, emptied once unsubscribed */

  IocBackoff backoff;
  guint reconnect_source; /* main context */
  gboolean stopping;      /* atomic */
  gboolean connected;     /* atomic */

  /* Paho's persistence store, minus received QoS 2 publishes, which live in
   * the journal: outgoing QoS 1/2 state is kept in memory only, as with
   * MQTTCLIENT_PERSISTENCE_NONE.  Guarded by store_lock (Paho threads). */
  GMutex store_lock;
  GHashTable *store; /* key → GBytes; NULL value for journaled "r-" keys */

  /* Received QoS 2 messages whose PUBREL has not come yet ("r-" keys). */
  gint awaiting_pubrel; /* atomic */
  IocStat *stat_awaiting_pubrel;

  IocStat *stat_connected;
  IocStat *stat_reconnects;
  IocStat *stat_session_lost;
  IocStat *stat_unprotected;
  IocStat *stat_refused;
  IocStat *stat_publish_failed;

  IocMqttCaptureFunc capture; /* offline: publishes go here */
  gpointer capture_data;
};

/* ---- persistence: the hook that makes QoS 2 ingest durable before PUBREC ---- */

static int
store_open (void **handle, const char *client_id, const char *server_uri, void *context)
{
  *handle = context;
  return 0;
}

static int
store_close (void *handle)
{
  return 0;
}

/* Parses an MQTT 3.1.1 PUBLISH packet (fixed header, remaining length,
 * topic, packet id, payload) as Paho passes it to put(). */
static gboolean
parse_publish (const guint8 *pkt, gsize len, const guint8 **topic, gsize *topic_len,
               const guint8 **payload, gsize *payload_len)
{
  if (len < 2 || (pkt[0] >> 4) != 3)
    return FALSE;
  gsize pos = 1;
  gsize remaining = 0;
  guint shift = 0;
  for (;;)
    {
      if (pos >= len || shift > 21)
        return FALSE;
      guint8 b = pkt[pos++];
      remaining |= (gsize) (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0)
        break;
    }
  if (len - pos != remaining || remaining < 2)
    return FALSE;
  gsize tlen = ((gsize) pkt[pos] << 8) | pkt[pos + 1];
  pos += 2;
  if (len - pos < tlen)
    return FALSE;
  *topic = pkt + pos;
  *topic_len = tlen;
  pos += tlen;
  guint qos = (pkt[0] >> 1) & 3;
  if (qos > 0)
    {
      if (len - pos < 2)
        return FALSE;
      pos += 2;
    }
  *payload = pkt + pos;
  *payload_len = len - pos;
  return TRUE;
}

static int
store_put (void *handle, char *key, int bufcount, char *buffers[], int buflens[])
{
  IocMqttClient *self = handle;

  if (g_str_has_prefix (key, "r-"))
    {
      /* A received QoS 2 PUBLISH: Paho answers PUBREC only after we return 0. */
      gsize total = 0;
      for (int i = 0; i < bufcount; i++)
        total += (gsize) buflens[i];
      guint8 stack_buf[IOC_MQTT_STACK_PACKET];
      g_autofree guint8 *heap_buf = total > sizeof stack_buf ? g_malloc (total) : NULL;
      guint8 *pkt = heap_buf ? heap_buf : stack_buf;
      gsize off = 0;
      for (int i = 0; i < bufcount; i++)
        {
          memcpy (pkt + off, buffers[i], (gsize) buflens[i]);
          off += (gsize) buflens[i];
        }
      const guint8 *topic, *payload;
      gsize topic_len, payload_len;
      if (!parse_publish (pkt, total, &topic, &topic_len, &payload, &payload_len))
        {
          g_warning ("mqtt: cannot parse a received PUBLISH (%zu bytes); refusing it", total);
          return MQTTCLIENT_PERSISTENCE_ERROR;
        }
      if (!self->on_message ((const gchar *) topic, topic_len, payload, payload_len, self->user_data))
        {
          ioc_stat_add (self->stat_refused, 1);
          return MQTTCLIENT_PERSISTENCE_ERROR;
        }
      g_mutex_lock (&self->store_lock);
      gboolean is_new = g_hash_table_replace (self->store, g_strdup (key), NULL);
      g_mutex_unlock (&self->store_lock);
      if (is_new)
        {
          ioc_stat_set (self->stat_awaiting_pubrel, g_atomic_int_add (&self->awaiting_pubrel, 1) + 1);
        }
      return 0;
    }

  GByteArray *data = g_byte_array_new ();
  for (int i = 0; i < bufcount; i++)
    g_byte_array_append (data, (const guint8 *) buffers[i], (guint) buflens[i]);
  g_mutex_lock (&self->store_lock);
  g_hash_table_replace (self->store, g_strdup (key), g_byte_array_free_to_bytes (data));
  g_mutex_unlock (&self->store_lock);
  return 0;
}

static int
store_get (void *handle, char *key, char **buffer, int *buflen)
{
  IocMqttClient *self = handle;
  int rc = MQTTCLIENT_PERSISTENCE_ERROR;
  g_mutex_lock (&self->store_lock);
  GBytes *data = g_hash_table_lookup (self->store, key);
  if (data != NULL)
    {
      gsize len = 0;
      const void *p = g_bytes_get_data (data, &len);
      *buffer = malloc (len ? len : 1); /* Paho frees it with free() */
      if (*buffer != NULL)
        {
          memcpy (*buffer, p, len);
          *buflen = (int) len;
          rc = 0;
        }
    }
  g_mutex_unlock (&self->store_lock);
  return rc;
}

static int
store_remove (void *handle, char *key)
{
  IocMqttClient *self = handle;
  g_mutex_lock (&self->store_lock);
  gboolean removed = g_hash_table_remove (self->store, key);
  g_mutex_unlock (&self->store_lock);
  if (removed && g_str_has_prefix (key, "r-"))
    ioc_stat_set (self->stat_awaiting_pubrel, g_atomic_int_add (&self->awaiting_pubrel, -1) - 1);
  return 0;
}

static int
store_keys (void *handle, char ***keys, int *nkeys)
{
  IocMqttClient *self = handle;
  g_mutex_lock (&self->store_lock);
  /* Journaled publishes are not offered back: they are replayed from the
   * journal, and a PUBREL for an unknown id is simply completed by Paho. */
  guint n = 0;
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init (&iter, self->store);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (value != NULL)
      n++;
  *nkeys = (int) n;
  *keys = NULL;
  if (n > 0)
    {
      *keys = malloc (sizeof (char *) * n);
      guint i = 0;
      g_hash_table_iter_init (&iter, self->store);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (value != NULL)
          (*keys)[i++] = strdup (key);
    }
  g_mutex_unlock (&self->store_lock);
  return 0;
}

static int
store_clear (void *handle)
{
  IocMqttClient *self = handle;
  g_mutex_lock (&self->store_lock);
  g_hash_table_remove_all (self->store);
  g_mutex_unlock (&self->store_lock);
  g_atomic_int_set (&self->awaiting_pubrel, 0);
  ioc_stat_set (self->stat_awaiting_pubrel, 0);
  return 0;
}

static int
store_containskey (void *handle, char *key)
{
  IocMqttClient *self = handle;
  g_mutex_lock (&self->store_lock);
  gboolean found = g_hash_table_contains (self->store, key);
  g_mutex_unlock (&self->store_lock);
  return found ? 0 : MQTTCLIENT_PERSISTENCE_ERROR;
}

/* ---- connection management ---- */

static void schedule_reconnect (IocMqttClient *self);
static void do_connect (IocMqttClient *self);
static void start_publisher (IocMqttClient *self);

/* Main context, once subscribed: what the broker now delivers to us. */
static void
write_record (IocMqttClient *self)
{
  g_autoptr (GString) text = g_string_new ("# MQTT topic filters this hub is subscribed to (written by iochub)\n");
  for (guint i = 0; i < self->filters->len; i++)
    g_string_append_printf (text, "%s\n", (const gchar *) self->filters->pdata[i]);
  g_autoptr (GError) error = NULL;
  if (!g_file_set_contents (self->record_path, text->str, (gssize) text->len, &error))
    g_warning ("mqtt: %s", error->message);
}

typedef struct
{
  IocMqttClient *self;
  gboolean connected;
} StateChange;

static void
state_change_cb (gpointer data)
{
  StateChange *change = data;
  IocMqttClient *self = change->self;
  if (!g_atomic_int_get (&self->stopping))
    {
      if (change->connected && self->record_path != NULL)
        write_record (self);
      if (self->on_state != NULL)
        self->on_state (change->connected, self->user_data);
      if (!change->connected)
        schedule_reconnect (self);
    }
}

/* Any thread → main context. */
static void
post_state (IocMqttClient *self, gboolean connected)
{
  g_atomic_int_set (&self->connected, connected);
  ioc_stat_set (self->stat_connected, connected ? 1 : 0);
  StateChange *change = g_new0 (StateChange, 1);
  change->self = self;
  change->connected = connected;
  ioc_handoff_call (self->handoff, state_change_cb, change, g_free);
}

static void
on_subscribe_success (void *context, MQTTAsync_successData *response)
{
  IocMqttClient *self = context;
  g_message ("mqtt: subscribed to %u filter(s) with QoS %d", self->filters->len, self->opts.qos);
  post_state (self, TRUE);
}

static void
on_subscribe_failure (void *context, MQTTAsync_failureData *response)
{
  IocMqttClient *self = context;
  g_warning ("mqtt: subscribe failed (code %d%s%s); reconnecting", response ? response->code : 0,
             response && response->message ? ": " : "", response && response->message ? response->message : "");
  MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect (self->handle, &opts);
  post_state (self, FALSE);
}

static void
subscribe_all (IocMqttClient *self)
{
  guint n = self->filters->len;
  g_autofree int *qos = g_new (int, n);
  for (guint i = 0; i < n; i++)
    qos[i] = self->opts.qos;
  MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
  ropts.onSuccess = on_subscribe_success;
  ropts.onFailure = on_subscribe_failure;
  ropts.context = self;
  int rc = MQTTAsync_subscribeMany (self->handle, (int) n, (char *const *) self->filters->pdata, qos, &ropts);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_warning ("mqtt: subscribe request failed (code %d)", rc);
      post_state (self, FALSE);
    }
}

static void
on_unsubscribe_success (void *context, MQTTAsync_successData *response)
{
  IocMqttClient *self = context;
  g_message ("mqtt: unsubscribed from %u filter(s) no longer configured", self->stale_filters->len);
  g_ptr_array_set_size (self->stale_filters, 0);
  subscribe_all (self);
}

static void
on_unsubscribe_failure (void *context, MQTTAsync_failureData *response)
{
  IocMqttClient *self = context;
  g_warning ("mqtt: unsubscribe failed (code %d); reconnecting", response ? response->code : 0);
  MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect (self->handle, &opts);
  post_state (self, FALSE);
}

static void
unsubscribe_stale (IocMqttClient *self)
{
  MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
  ropts.onSuccess = on_unsubscribe_success;
  ropts.onFailure = on_unsubscribe_failure;
  ropts.context = self;
  int rc = MQTTAsync_unsubscribeMany (self->handle, (int) self->stale_filters->len,
                                      (char *const *) self->stale_filters->pdata, &ropts);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_warning ("mqtt: unsubscribe request failed (code %d)", rc);
      post_state (self, FALSE);
    }
}

static void
on_connect_success (void *context, MQTTAsync_successData *response)
{
  IocMqttClient *self = context;
  ioc_backoff_reset (&self->backoff);
  gboolean session_present = response != NULL && response->alt.connect.sessionPresent;
  if (session_present && self->stale_filters->len > 0)
    {
      /* Then subscribe anew: a filter given back may be under a wider one. */
      g_message ("mqtt: connected to %s, session present: dropping %u filter(s) no longer configured",
                 self->opts.url, self->stale_filters->len);
      unsubscribe_stale (self);
    }
  else if (session_present)
    {
      g_message ("mqtt: connected to %s, session present: subscriptions kept by the broker", self->opts.url);
      post_state (self, TRUE);
    }
  else
    {
      /* A broker that lost our session (restart without persistence) also
       * lost our subscriptions; without this the hub would look connected
       * and hear nothing. */
      g_message ("mqtt: connected to %s, no session on the broker: subscribing", self->opts.url);
      g_ptr_array_set_size (self->stale_filters, 0); /* the broker forgot those too */
      ioc_stat_add (self->stat_session_lost, 1);
      subscribe_all (self);
    }
}

static void
on_connect_failure (void *context, MQTTAsync_failureData *response)
{
  IocMqttClient *self = context;
  g_warning ("mqtt: cannot connect to %s (code %d%s%s)", self->opts.url, response ? response->code : 0,
             response && response->message ? ": " : "", response && response->message ? response->message : "");
  post_state (self, FALSE);
}

static void
on_connection_lost (void *context, char *cause)
{
  IocMqttClient *self = context;
  if (g_atomic_int_get (&self->stopping))
    return;
  g_warning ("mqtt: connection to %s lost%s%s", self->opts.url, cause ? ": " : "", cause ? cause : "");
  post_state (self, FALSE);
}

static int
on_message_arrived (void *context, char *topic, int topic_len, MQTTAsync_message *message)
{
  IocMqttClient *self = context;
  /* QoS 2 messages were handed over (and journaled) in store_put already. */
  if (message->qos < 2)
    {
      ioc_stat_add (self->stat_unprotected, 1);
      gsize tlen = topic_len > 0 ? (gsize) topic_len : strlen (topic);
      if (!self->on_message (topic, tlen, message->payload, (gsize) message->payloadlen, self->user_data))
        {
          ioc_stat_add (self->stat_refused, 1);
          return 0; /* Paho retries the delivery later */
        }
    }
  MQTTAsync_freeMessage (&message);
  MQTTAsync_free (topic);
  return 1;
}

static gboolean
reconnect_cb (gpointer data)
{
  IocMqttClient *self = data;
  self->reconnect_source = 0;
  do_connect (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (IocMqttClient *self)
{
  if (self->reconnect_source != 0 || g_atomic_int_get (&self->stopping))
    return;
  gint64 delay_us = ioc_backoff_next (&self->backoff);
  g_message ("mqtt: reconnecting in %.1f s", delay_us / 1e6);
  ioc_stat_add (self->stat_reconnects, 1);
  GSource *source = g_timeout_source_new ((guint) (delay_us / 1000));
  g_source_set_callback (source, reconnect_cb, self, NULL);
  self->reconnect_source = g_source_attach (source, self->main_context);
  g_source_unref (source);
}

static void
do_connect (IocMqttClient *self)
{
  MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
  opts.keepAliveInterval = self->opts.keepalive_s;
  opts.cleansession = 0; /* persistent session: the broker queues while we are away */
  opts.MQTTVersion = MQTTVERSION_3_1_1;
  opts.connectTimeout = 10;
  opts.username = self->opts.username;
  opts.password = self->opts.password;
  opts.onSuccess = on_connect_success;
  opts.onFailure = on_connect_failure;
  opts.context = self;
  int rc = MQTTAsync_connect (self->handle, &opts);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_warning ("mqtt: connect request to %s failed (code %d)", self->opts.url, rc);
      schedule_reconnect (self);
    }
}

IocMqttClient *
ioc_mqtt_client_new (const IocMqttOptions *opts, IocMqttMessageFunc on_message, IocMqttStateFunc on_state,
                     gpointer user_data, GError **error)
{
  g_return_val_if_fail (opts->client_id != NULL && opts->client_id[0] != '\0', NULL);
  g_autoptr (IocMqttClient) self = g_new0 (IocMqttClient, 1);
  self->opts = *opts;
  self->opts.url = g_strdup (opts->url);
  self->opts.client_id = g_strdup (opts->client_id);
  self->opts.username = g_strdup (opts->username);
  self->opts.password = g_strdup (opts->password);
  self->pub_client_id = g_strdup_printf ("%s-pub", opts->client_id);
  if (self->opts.keepalive_s <= 0)
    self->opts.keepalive_s = 20;
  if (self->opts.qos < 0 || self->opts.qos > 2)
    self->opts.qos = 2;
  ioc_backoff_init (&self->backoff, opts->reconnect_min_us > 0 ? opts->reconnect_min_us : 500000,
                    opts->reconnect_max_us > 0 ? opts->reconnect_max_us : 30 * G_TIME_SPAN_SECOND);
  self->main_context = g_main_context_ref_thread_default ();
  self->handoff = ioc_handoff_new ();
  self->on_message = on_message;
  self->on_state = on_state;
  self->user_data = user_data;
  self->filters = g_ptr_array_new_with_free_func (g_free);
  self->stale_filters = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&self->store_lock);
  self->store = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);

  self->stat_connected = ioc_stat ("iochub_mqtt_connected", NULL, IOC_STAT_GAUGE, "1 while the hub is connected and subscribed");
  self->stat_reconnects = ioc_stat ("iochub_mqtt_reconnects_total", NULL, IOC_STAT_COUNTER, "Reconnect attempts to the broker");
  self->stat_session_lost = ioc_stat ("iochub_mqtt_session_not_present_total", NULL, IOC_STAT_COUNTER, "Connects where the broker kept no session (resubscribed)");
  self->stat_unprotected = ioc_stat ("iochub_mqtt_unprotected_messages_total", NULL, IOC_STAT_COUNTER,
                                     "Messages delivered with QoS < 2, acknowledged by Paho before the journal write");
  self->stat_refused = ioc_stat ("iochub_mqtt_refused_messages_total", NULL, IOC_STAT_COUNTER, "Messages the journal could not take (redelivered later)");
  self->stat_publish_failed = ioc_stat ("iochub_mqtt_publish_failures_total", NULL, IOC_STAT_COUNTER, "Publishes Paho refused");
  self->stat_awaiting_pubrel = ioc_stat ("iochub_mqtt_awaiting_pubrel", NULL, IOC_STAT_GAUGE,
                                         "Received QoS 2 messages (journaled) whose PUBREL has not come yet");

  self->persistence.context = self;
  self->persistence.popen = store_open;
  self->persistence.pclose = store_close;
  self->persistence.pput = store_put;
  self->persistence.pget = store_get;
  self->persistence.premove = store_remove;
  self->persistence.pkeys = store_keys;
  self->persistence.pclear = store_clear;
  self->persistence.pcontainskey = store_containskey;

  MQTTAsync_createOptions create_opts = MQTTAsync_createOptions_initializer;
  create_opts.MQTTVersion = MQTTVERSION_3_1_1;
  create_opts.sendWhileDisconnected = 1;
  create_opts.maxBufferedMessages = 10000;
  int rc = MQTTAsync_createWithOptions (&self->handle, self->opts.url, self->opts.client_id,
                                        MQTTCLIENT_PERSISTENCE_USER, &self->persistence, &create_opts);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "[mqtt] url: cannot create an MQTT client for '%s' (Paho code %d)",
                   self->opts.url, rc);
      self->handle = NULL;
      return NULL;
    }
  rc = MQTTAsync_setCallbacks (self->handle, self, on_connection_lost, on_message_arrived, NULL);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "cannot set MQTT callbacks (Paho code %d)", rc);
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
ioc_mqtt_client_add_subscription (IocMqttClient *self, const gchar *filter)
{
  g_ptr_array_add (self->filters, g_strdup (filter));
}

void
ioc_mqtt_client_record_subscriptions (IocMqttClient *self, const gchar *path)
{
  g_return_if_fail (self != NULL && path != NULL);
  g_free (self->record_path);
  self->record_path = g_strdup (path);
  g_ptr_array_set_size (self->stale_filters, 0);
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return; /* first start: nothing subscribed before */
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const gchar *line = g_strstrip (lines[i]);
      if (line[0] == '\0' || line[0] == '#')
        continue;
      gboolean still = FALSE;
      for (guint f = 0; f < self->filters->len && !still; f++)
        still = g_str_equal (line, self->filters->pdata[f]);
      if (!still)
        g_ptr_array_add (self->stale_filters, g_strdup (line));
    }
}

void
ioc_mqtt_client_start (IocMqttClient *self)
{
  g_return_if_fail (self->filters->len > 0);
  start_publisher (self);
  do_connect (self);
}

gboolean
ioc_mqtt_client_is_connected (IocMqttClient *self)
{
  return self->capture != NULL || g_atomic_int_get (&self->connected);
}

void
ioc_mqtt_client_capture (IocMqttClient *self, IocMqttCaptureFunc fn, gpointer user_data)
{
  self->capture = fn;
  self->capture_data = user_data;
}

/* The hub publishes on a second connection.  Paho persists the publish
 * commands of a client that has persistence and reads them back (pget) as
 * it sends them; keeping the ingest client subscribe-only keeps our
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
  if (self->reconnect_source != 0)
    {
      GSource *source = g_main_context_find_source_by_id (self->main_context, self->reconnect_source);
      if (source != NULL)
        g_source_destroy (source);
    }
  if (self->handle != NULL)
    {
      if (MQTTAsync_isConnected (self->handle))
        {
          /* DISCONNECT only: an UNSUBSCRIBE would make the broker drop what it
           * queues for us while we are down. */
          MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
          opts.timeout = 2000;
          MQTTAsync_disconnect (self->handle, &opts);
          for (int i = 0; i < 100 && MQTTAsync_isConnected (self->handle); i++)
            g_usleep (20000);
        }
      MQTTAsync_destroy (&self->handle);
    }
  if (self->pub_handle != NULL)
    {
      MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
      opts.timeout = 1000;
      MQTTAsync_disconnect (self->pub_handle, &opts);
      for (int i = 0; i < 50 && MQTTAsync_isConnected (self->pub_handle); i++)
        g_usleep (20000);
      MQTTAsync_destroy (&self->pub_handle);
    }
  g_free (self->pub_client_id);
  g_hash_table_unref (self->store);
  g_mutex_clear (&self->store_lock);
  g_ptr_array_unref (self->filters);
  g_ptr_array_unref (self->stale_filters);
  g_free (self->record_path);
  /* Paho is gone: a connection change it posted before is dropped. */
  if (self->handoff != NULL)
    ioc_handoff_close (self->handoff);
  g_clear_pointer (&self->handoff, ioc_handoff_unref);
  g_main_context_unref (self->main_context);
  g_free (self->opts.url);
  g_free (self->opts.client_id);
  g_free (self->opts.username);
  g_free (self->opts.password);
  g_free (self);
}
