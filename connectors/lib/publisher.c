/* publisher.c — MQTTAsync for a connector (see publisher.h).
 *
 * Threads: Paho runs its callbacks on its own threads.  They never touch the
 * publisher: they post a small event to the main context through the
 * publisher's IocHandoff, holding a reference on it; free closes it, so an
 * event that arrives after free is dropped.  Per-send contexts are tracked under a mutex so that
 * those Paho never answers (destroy with sends in flight) are still freed.
 *
 * Session: clean.  The connector subscribes to one topic, its config topic,
 * again on every connect (the retained config comes back each time, which
 * remote-config handles as "identical, ignore"); its durability is the disk
 * buffer (resent from the oldest unacknowledged message on every connect),
 * not broker or Paho state. */
#include "lib/publisher.h"

#include <MQTTAsync.h>
#include <string.h>

#include "io/handoff.h"
#include "protocol/ioc-backoff.h"
#include "protocol/ioc-error.h"

typedef struct
{
  IocHandoff *handoff; /* a reference */
  IocPublisher *pub;   /* read only when the hand-off runs the event */
  gint64 seq; /* 0: the state message */
  guint gen;
} SendCtx;

typedef enum
{
  EV_CONNECTED,
  EV_CONNECT_FAILED,
  EV_LOST,
  EV_DONE,
  EV_MESSAGE,
  EV_TLS_ERROR,
} EvKind;

typedef struct
{
  IocPublisher *pub; /* valid when the event runs: the hand-off is closed before free */
  EvKind kind;
  gint64 seq;
  guint gen;
  gboolean ok;
  gchar *detail; /* EV_MESSAGE: the topic */
  GBytes *payload;  /* EV_MESSAGE */
  gboolean retained; /* EV_MESSAGE: the broker's stored copy */
} Event;

struct _IocPublisher
{
  IocPublisherOptions opts; /* strings owned */
  IocPublisherFuncs funcs;
  gpointer user_data;
  MQTTAsync handle;
  IocHandoff *handoff; /* Paho threads → main loop */
  IocBackoff backoff;
  guint reconnect_source;
  gboolean connected;
  gboolean connecting;
  gboolean stopping;
  gboolean tls;
  guint tls_errors; /* since the last good connect */
  guint gen;
  struct ConnCtx_ *conn_ctx; /* Paho's context for connect/lost callbacks */
};

static void
event_free (gpointer data)
{
  Event *ev = data;
  g_free (ev->detail);
  g_clear_pointer (&ev->payload, g_bytes_unref);
  g_free (ev);
}

static void connect_now (IocPublisher *self);

static gboolean
reconnect_cb (gpointer data)
{
  IocPublisher *self = data;
  self->reconnect_source = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (IocPublisher *self)
{
  if (self->stopping || self->reconnect_source)
    return;
  gint64 delay_us = ioc_backoff_next (&self->backoff);
  self->reconnect_source = g_timeout_add ((guint) (delay_us / 1000), reconnect_cb, self);
}

/* Paho thread. */
static void
on_subscribe_failure (void *context, MQTTAsync_failureData *response)
{
  /* Not fatal: publishing goes on; the next reconnect subscribes again. */
  g_warning ("mqtt: subscribing to the config topic failed: code %d %s",
             response ? response->code : 0,
             response && response->message ? response->message : "");
}

static void
subscribe_now (IocPublisher *self)
{
  if (self->opts.subscribe_topic == NULL)
    return;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  ro.onFailure = on_subscribe_failure;
  int rc = MQTTAsync_subscribe (self->handle, self->opts.subscribe_topic, 1, &ro);
  if (rc != MQTTASYNC_SUCCESS)
    g_warning ("mqtt: cannot subscribe to %s: %s", self->opts.subscribe_topic,
               MQTTAsync_strerror (rc));
}

static void
dispatch_cb (gpointer data)
{
  Event *ev = data;
  IocPublisher *self = ev->pub;
  switch (ev->kind)
    {
    case EV_CONNECTED:
      self->connecting = FALSE;
      self->connected = TRUE;
      self->gen++;
      ioc_backoff_reset (&self->backoff);
      self->tls_errors = 0;
      g_message ("mqtt: connected to %s as %s", self->opts.url, self->opts.client_id);
      /* SPEC §3: retained online; the will says offline if we vanish. */
      ioc_publisher_send (self, self->opts.state_topic, "online", 6, TRUE, 0);
      subscribe_now (self);
      self->funcs.connected (self->user_data, TRUE);
      break;
    case EV_CONNECT_FAILED:
      self->connecting = FALSE;
      g_message ("mqtt: connect to %s failed: %s", self->opts.url, ev->detail);
      schedule_reconnect (self);
      break;
    case EV_LOST:
      if (self->connected)
        {
          self->connected = FALSE;
          g_message ("mqtt: connection lost: %s", ev->detail ? ev->detail : "(no reason)");
          self->funcs.connected (self->user_data, FALSE);
        }
      schedule_reconnect (self);
      break;
    case EV_DONE:
      if (ev->seq > 0)
        self->funcs.done (self->user_data, ev->seq, ev->gen, ev->ok);
      break;
    case EV_TLS_ERROR:
      /* once per failing streak: a reconnect loop must not flood the log */
      if (self->tls_errors++ % 30 == 0)
        g_warning ("mqtt: %s: %s", self->opts.url, ev->detail);
      break;
    case EV_MESSAGE:
      if (self->funcs.message && !self->stopping)
        self->funcs.message (self->user_data, ev->detail, ev->payload, ev->retained);
      break;
    }
}

/* Any Paho thread. */
static void
post (IocHandoff *handoff, IocPublisher *pub, EvKind kind, gint64 seq, guint gen, gboolean ok,
      const gchar *detail)
{
  Event *ev = g_new0 (Event, 1);
  ev->pub = pub;
  ev->kind = kind;
  ev->seq = seq;
  ev->gen = gen;
  ev->ok = ok;
  ev->detail = g_strdup (detail);
  ioc_handoff_call (handoff, dispatch_cb, ev, event_free);
}

typedef struct ConnCtx_
{
  IocHandoff *handoff; /* a reference */
  IocPublisher *pub;
} ConnCtx;

static void
on_connect_success (void *context, MQTTAsync_successData *response)
{
  ConnCtx *c = context;
  post (c->handoff, c->pub, EV_CONNECTED, 0, 0, TRUE, NULL);
}

static void
on_connect_failure (void *context, MQTTAsync_failureData *response)
{
  ConnCtx *c = context;
  g_autofree gchar *detail = g_strdup_printf ("code %d %s", response ? response->code : 0,
                                              response && response->message ? response->message : "");
  post (c->handoff, c->pub, EV_CONNECT_FAILED, 0, 0, FALSE, detail);
}

/* Paho thread: OpenSSL's own words for a failed handshake ("certificate
 * verify failed"), which the connect failure alone does not carry. */
static int
on_tls_error (const char *str, size_t len, void *context)
{
  ConnCtx *c = context;
  g_autofree gchar *text = g_strndup (str, len);
  g_strchomp (text);
  g_autofree gchar *detail = g_strdup_printf ("TLS: %s", text);
  post (c->handoff, c->pub, EV_TLS_ERROR, 0, 0, FALSE, detail);
  return 0;
}

static void
on_connection_lost (void *context, char *cause)
{
  ConnCtx *c = context;
  post (c->handoff, c->pub, EV_LOST, 0, 0, FALSE, cause);
}

static int
on_message_arrived (void *context, char *topic, int topic_len, MQTTAsync_message *message)
{
  ConnCtx *c = context;
  Event *ev = g_new0 (Event, 1);
  ev->pub = c->pub;
  ev->kind = EV_MESSAGE;
  ev->retained = message->retained != 0;
  ev->detail = topic_len > 0 ? g_strndup (topic, (gsize) topic_len) : g_strdup (topic);
  ev->payload = g_bytes_new (message->payload, (gsize) MAX (0, message->payloadlen));
  ioc_handoff_call (c->handoff, dispatch_cb, ev, event_free);
  MQTTAsync_freeMessage (&message);
  MQTTAsync_free (topic);
  return 1;
}

/* Send contexts Paho has not answered yet.  A process has one publisher,
 * but Paho may answer after the publisher is gone, so the set is static:
 * a context found here is answered exactly once; one missing was already
 * freed by ioc_publisher_free. */
static GMutex sends_registry_lock;
static GHashTable *sends_registry; /* SendCtx* → its IocHandoff* (borrowed) */

static void
on_send_done (SendCtx *s, gboolean ok)
{
  g_mutex_lock (&sends_registry_lock);
  gboolean mine = sends_registry != NULL && g_hash_table_remove (sends_registry, s);
  g_mutex_unlock (&sends_registry_lock);
  if (!mine)
    return; /* freed by ioc_publisher_free */
  post (s->handoff, s->pub, EV_DONE, s->seq, s->gen, ok, NULL);
  ioc_handoff_unref (s->handoff);
  g_free (s);
}

static void
on_send_success (void *context, MQTTAsync_successData *response)
{
  on_send_done (context, TRUE);
}

static void
on_send_failure (void *context, MQTTAsync_failureData *response)
{
  on_send_done (context, FALSE);
}

IocPublisher *
ioc_publisher_new (const IocPublisherOptions *opts, const IocPublisherFuncs *funcs,
                   gpointer user_data, GError **error)
{
  IocPublisher *self = g_new0 (IocPublisher, 1);
  self->opts = *opts;
  self->opts.url = g_strdup (opts->url);
  self->opts.client_id = g_strdup (opts->client_id);
  self->opts.username = g_strdup (opts->username);
  self->opts.password = g_strdup (opts->password);
  self->opts.state_topic = g_strdup (opts->state_topic);
  self->opts.subscribe_topic = g_strdup (opts->subscribe_topic);
  self->opts.ca_file = g_strdup (opts->ca_file);
  self->opts.cert_file = g_strdup (opts->cert_file);
  self->opts.key_file = g_strdup (opts->key_file);
  /* Paho knows tcp:// and ssl://; the mqtt(s):// spellings are the same */
  if (g_str_has_prefix (opts->url, "mqtts://") || g_str_has_prefix (opts->url, "mqtt://"))
    {
      g_free ((gchar *) self->opts.url);
      self->opts.url = g_strconcat (g_str_has_prefix (opts->url, "mqtts://") ? "ssl://" : "tcp://",
                                    strstr (opts->url, "://") + 3, NULL);
    }
  self->tls = g_str_has_prefix (self->opts.url, "ssl://");
  if (self->opts.keepalive_s == 0)
    self->opts.keepalive_s = 20;
  if (self->opts.max_inflight == 0)
    self->opts.max_inflight = 64;
  self->funcs = *funcs;
  self->user_data = user_data;
  self->handoff = ioc_handoff_new ();
  ioc_backoff_init (&self->backoff, 200 * G_TIME_SPAN_MILLISECOND, 10 * G_TIME_SPAN_SECOND);

  g_mutex_lock (&sends_registry_lock);
  if (sends_registry == NULL)
    sends_registry = g_hash_table_new (NULL, NULL);
  g_mutex_unlock (&sends_registry_lock);

  MQTTAsync_createOptions copts = MQTTAsync_createOptions_initializer;
  copts.sendWhileDisconnected = 0;
  int rc = MQTTAsync_createWithOptions (&self->handle, self->opts.url, self->opts.client_id,
                                        MQTTCLIENT_PERSISTENCE_NONE, NULL, &copts);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "mqtt: cannot create client for %s: %s",
                   self->opts.url, MQTTAsync_strerror (rc));
      self->handle = NULL;
      ioc_publisher_free (self);
      return NULL;
    }
  self->conn_ctx = g_new0 (ConnCtx, 1);
  self->conn_ctx->handoff = ioc_handoff_ref (self->handoff);
  self->conn_ctx->pub = self;
  MQTTAsync_setCallbacks (self->handle, self->conn_ctx, on_connection_lost, on_message_arrived,
                          NULL);
  return self;
}

static void
connect_now (IocPublisher *self)
{
  if (self->stopping || self->connected || self->connecting)
    return;
  MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
  will.topicName = self->opts.state_topic;
  will.message = "offline";
  will.retained = 1;
  will.qos = 1;
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.keepAliveInterval = (int) self->opts.keepalive_s;
  co.cleansession = 1;
  co.connectTimeout = 5;
  co.maxInflight = (int) self->opts.max_inflight;
  co.will = &will;
  co.username = self->opts.username;
  co.password = self->opts.password;
  MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
  if (self->tls)
    {
      ssl.trustStore = self->opts.ca_file;
      ssl.keyStore = self->opts.cert_file;
      ssl.privateKey = self->opts.key_file;
      ssl.enableServerCertAuth = self->opts.verify;
      ssl.verify = self->opts.verify;
      ssl.sslVersion = MQTT_SSL_VERSION_TLS_1_2;
      ssl.ssl_error_cb = on_tls_error;
      ssl.ssl_error_context = self->conn_ctx;
      co.ssl = &ssl;
    }
  co.onSuccess = on_connect_success;
  co.onFailure = on_connect_failure;
  co.context = self->conn_ctx;
  self->connecting = TRUE;
  int rc = MQTTAsync_connect (self->handle, &co);
  if (rc != MQTTASYNC_SUCCESS)
    {
      self->connecting = FALSE;
      g_message ("mqtt: connect to %s refused locally: %s", self->opts.url, MQTTAsync_strerror (rc));
      schedule_reconnect (self);
    }
}

void
ioc_publisher_start (IocPublisher *self)
{
  connect_now (self);
}

gboolean
ioc_publisher_is_connected (IocPublisher *self)
{
  return self->connected;
}

guint
ioc_publisher_gen (IocPublisher *self)
{
  return self->gen;
}

gboolean
ioc_publisher_send (IocPublisher *self, const gchar *topic, const void *payload, gsize len,
                    gboolean retained, gint64 seq)
{
  if (!self->connected || self->stopping)
    return FALSE;
  SendCtx *s = g_new0 (SendCtx, 1);
  s->handoff = ioc_handoff_ref (self->handoff);
  s->pub = self;
  s->seq = seq;
  s->gen = self->gen;
  g_mutex_lock (&sends_registry_lock);
  g_hash_table_insert (sends_registry, s, self->handoff);
  g_mutex_unlock (&sends_registry_lock);

  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = (void *) payload;
  msg.payloadlen = (int) len;
  msg.qos = 1;
  msg.retained = retained ? 1 : 0;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  ro.onSuccess = on_send_success;
  ro.onFailure = on_send_failure;
  ro.context = s;
  int rc = MQTTAsync_sendMessage (self->handle, topic, &msg, &ro);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_mutex_lock (&sends_registry_lock);
      gboolean mine = g_hash_table_remove (sends_registry, s);
      g_mutex_unlock (&sends_registry_lock);
      if (mine)
        {
          ioc_handoff_unref (s->handoff);
          g_free (s);
        }
      return FALSE;
    }
  return TRUE;
}

void
ioc_publisher_stop (IocPublisher *self, guint timeout_ms)
{
  if (self->stopping)
    return;
  self->stopping = TRUE;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (!self->handle || !MQTTAsync_isConnected (self->handle))
    return;
  /* A clean stop is an honest offline: the will only covers vanishing. */
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = (void *) "offline";
  msg.payloadlen = 7;
  msg.qos = 1;
  msg.retained = 1;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  if (MQTTAsync_sendMessage (self->handle, self->opts.state_topic, &msg, &ro) == MQTTASYNC_SUCCESS)
    MQTTAsync_waitForCompletion (self->handle, ro.token, timeout_ms);
  /* DISCONNECT only, never UNSUBSCRIBE: the broker keeps our queue. */
  MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
  dopts.timeout = (int) timeout_ms;
  MQTTAsync_disconnect (self->handle, &dopts);
  for (guint i = 0; i < timeout_ms / 10 + 1 && MQTTAsync_isConnected (self->handle); i++)
    g_usleep (10 * 1000);
  self->connected = FALSE;
}

void
ioc_publisher_free (IocPublisher *self)
{
  if (self == NULL)
    return;
  self->stopping = TRUE;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (self->handle)
    MQTTAsync_destroy (&self->handle);
  /* Paho will not answer the sends still outstanding: free them here. */
  g_mutex_lock (&sends_registry_lock);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, sends_registry);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      SendCtx *s = key;
      if (s->handoff == self->handoff)
        {
          g_hash_table_iter_remove (&it);
          ioc_handoff_unref (s->handoff);
          g_free (s);
        }
    }
  g_mutex_unlock (&sends_registry_lock);
  if (self->conn_ctx)
    {
      ioc_handoff_unref (self->conn_ctx->handoff);
      g_free (self->conn_ctx);
    }
  ioc_handoff_close (self->handoff);
  ioc_handoff_unref (self->handoff);
  g_free ((gchar *) self->opts.url);
  g_free ((gchar *) self->opts.client_id);
  g_free ((gchar *) self->opts.username);
  g_free ((gchar *) self->opts.password);
  g_free ((gchar *) self->opts.state_topic);
  g_free ((gchar *) self->opts.subscribe_topic);
  g_free ((gchar *) self->opts.ca_file);
  g_free ((gchar *) self->opts.cert_file);
  g_free ((gchar *) self->opts.key_file);
  g_free (self);
}
