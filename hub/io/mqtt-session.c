/* mqtt-session.c — one ingest session's life on the main context: connect
 * with a persistent session, subscribe what the broker lacks, unsubscribe
 * what is no longer configured (once every session is up), reconnect with
 * backoff, and drain then end a retired session.  Paho answers on its own
 * threads; the callbacks here only post an event to the main context, where
 * handle_event drives the state machine.  mqtt-client.c owns the client and
 * its API, mqtt-store.c the message path, mqtt-records.c the record files. */
#include "io/mqtt-client-private.h"

#include <MQTTAsync.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "io/handoff.h"
#include "protocol/ioc-backoff.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"

/* A retired session with no message for this long has drained its queue. */
#define RETIRED_IDLE_US (30 * G_TIME_SPAN_SECOND)

/* ---- events from Paho's threads to the main context ---- */

typedef enum
{
  EV_CONNECTED,
  EV_CONNECT_FAILED,
  EV_LOST,
  EV_SUBSCRIBED,
  EV_UNSUBSCRIBED,
  EV_REQUEST_FAILED,
} EventType;

typedef struct
{
  Session *session;
  EventType type;
  gboolean session_present;
  gint code;
  GPtrArray *filters; /* EV_(UN)SUBSCRIBED / EV_REQUEST_FAILED: the request's filters */
  GArray *refused;    /* EV_SUBSCRIBED: indices of filters the broker refused (guint) */
} Event;

/* What a SUBSCRIBE/UNSUBSCRIBE was for; the Paho callback's context. */
typedef struct
{
  Session *session;
  GPtrArray *filters; /* gchar*, owned */
  gboolean unsubscribe;
} Request;

static void handle_event (Event *ev);

static void
event_cb (gpointer data)
{
  Event *ev = data;
  if (!g_atomic_int_get (&ev->session->client->stopping))
    handle_event (ev);
}

static void
event_free (gpointer data)
{
  Event *ev = data;
  IocMqttClient *client = ev->session->client;
  if (ev->filters != NULL)
    g_ptr_array_unref (ev->filters);
  if (ev->refused != NULL)
    g_array_unref (ev->refused);
  g_free (ev);
  ioc_mqtt_client_unref (client);
}

/* Any thread. */
static void
post (Session *s, EventType type, gboolean session_present, gint code, GPtrArray *filters, GArray *refused)
{
  Event *ev = g_new0 (Event, 1);
  ev->session = s;
  ev->type = type;
  ev->session_present = session_present;
  ev->code = code;
  ev->filters = filters;
  ev->refused = refused;
  g_atomic_int_inc (&s->client->ref);
  ioc_handoff_call (s->client->handoff, event_cb, ev, event_free);
}

/* ---- Paho callbacks (Paho's threads): post, nothing else ---- */

static void
on_connect_success (void *context, MQTTAsync_successData *response)
{
  post (context, EV_CONNECTED, response != NULL && response->alt.connect.sessionPresent, 0, NULL, NULL);
}

static void
on_connect_success5 (void *context, MQTTAsync_successData5 *response)
{
  post (context, EV_CONNECTED, response != NULL && response->alt.connect.sessionPresent, 0, NULL, NULL);
}

static void
on_connect_failure (void *context, MQTTAsync_failureData *response)
{
  Session *s = context;
  g_warning ("mqtt: %s cannot connect to %s (code %d%s%s)", s->client_id, s->client->opts.url,
             response ? response->code : 0, response && response->message ? ": " : "",
             response && response->message ? response->message : "");
  post (s, EV_CONNECT_FAILED, FALSE, response ? response->code : 0, NULL, NULL);
}

static void
on_connect_failure5 (void *context, MQTTAsync_failureData5 *response)
{
  Session *s = context;
  g_warning ("mqtt: %s cannot connect to %s with MQTT 5 (code %d, reason %d%s%s)%s", s->client_id,
             s->client->opts.url, response ? response->code : 0, response ? (gint) response->reasonCode : 0,
             response && response->message ? ": " : "", response && response->message ? response->message : "",
             response && response->code == MQTTASYNC_BAD_PROTOCOL
                 ? "; a broker without MQTT 5 needs [mqtt] protocol = 3.1.1"
                 : "");
  post (s, EV_CONNECT_FAILED, FALSE, response ? response->code : 0, NULL, NULL);
}

static void
on_connection_lost (void *context, char *cause)
{
  Session *s = context;
  if (g_atomic_int_get (&s->client->stopping))
    return;
  g_warning ("mqtt: %s: connection to %s lost%s%s", s->client_id, s->client->opts.url, cause ? ": " : "",
             cause ? cause : "");
  post (s, EV_LOST, FALSE, 0, NULL, NULL);
}

static void
request_free (Request *req)
{
  g_ptr_array_unref (req->filters);
  g_free (req);
}

/* A (un)subscribe the broker answered.  codes[i] is what it said of filter
 * i, a granted QoS (3.1.1) or a reason code (5): 0x80 and above is a
 * refusal, e.g. by an ACL.  An unsubscribe posts no refusals. */
static void
request_granted (Request *req, const gint *codes, guint n_codes)
{
  GArray *refused = NULL;
  if (!req->unsubscribe)
    {
      refused = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint i = 0; i < n_codes && i < req->filters->len; i++)
        if (codes[i] >= 0x80)
          g_array_append_val (refused, i);
    }
  post (req->session, req->unsubscribe ? EV_UNSUBSCRIBED : EV_SUBSCRIBED, FALSE, 0, g_ptr_array_ref (req->filters),
        refused);
  request_free (req);
}

static void
on_request_success (void *context, MQTTAsync_successData *response)
{
  Request *req = context;
  const gint *codes = NULL;
  guint n = 0;
  /* 3.1.1 answers a single filter in alt.qos and several in alt.qosList. */
  if (!req->unsubscribe && response != NULL)
    {
      if (req->filters->len == 1)
        {
          codes = &response->alt.qos;
          n = 1;
        }
      else if (response->alt.qosList != NULL)
        {
          codes = response->alt.qosList;
          n = req->filters->len;
        }
    }
  request_granted (req, codes, n);
}

static void
on_request_success5 (void *context, MQTTAsync_successData5 *response)
{
  Request *req = context;
  guint n = 0;
  g_autofree gint *codes = NULL;
  if (!req->unsubscribe && response != NULL && response->alt.sub.reasonCodeCount > 0)
    {
      n = (guint) response->alt.sub.reasonCodeCount;
      codes = g_new (gint, n);
      for (guint i = 0; i < n; i++)
        codes[i] = (gint) response->alt.sub.reasonCodes[i];
    }
  request_granted (req, codes, n);
}

static void
request_failed (Request *req, gint code)
{
  post (req->session, EV_REQUEST_FAILED, req->unsubscribe, code, g_ptr_array_ref (req->filters), NULL);
  request_free (req);
}

static void
on_request_failure (void *context, MQTTAsync_failureData *response)
{
  request_failed (context, response ? response->code : 0);
}

static void
on_request_failure5 (void *context, MQTTAsync_failureData5 *response)
{
  request_failed (context, response ? response->code : 0);
}


/* ---- the sessions' state machine (main context) ---- */

static void schedule_reconnect (Session *s);

/* After any phase change: the gauges, the hub's callback, and — once every
 * configured session holds its filters — the unsubscribes of stale ones. */
void
ioc_mqtt_update_state (IocMqttClient *self)
{
  guint up = 0;
  for (guint i = 0; i < self->n_sessions; i++)
    up += self->sessions[i]->phase == PHASE_UP;
  ioc_stat_set (self->stat_sessions_up, up);
  gboolean now_up = up == self->n_sessions;
  ioc_stat_set (self->stat_connected, now_up ? 1 : 0);
  if (now_up != self->all_up)
    {
      self->all_up = now_up;
      g_atomic_int_set (&self->up_atomic, now_up);
      if (now_up)
        g_message ("mqtt: all %u session(s) connected and subscribed (QoS %d, MQTT %s, receive maximum %d)",
                   self->n_sessions, self->opts.qos, ioc_mqtt_is_v5 (self) ? "5" : "3.1.1",
                   ioc_mqtt_is_v5 (self) ? self->opts.receive_maximum : 0);
      if (self->on_state != NULL)
        self->on_state (now_up, self->user_data);
    }
  if (now_up)
    for (guint i = 0; i < self->n_all; i++)
      ioc_mqtt_session_sync (self->sessions[i]);
}

static void
send_request (Session *s, GPtrArray *filters, gboolean unsubscribe)
{
  IocMqttClient *self = s->client;
  Request *req = g_new0 (Request, 1);
  req->session = s;
  req->filters = filters;
  req->unsubscribe = unsubscribe;
  MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
  if (ioc_mqtt_is_v5 (self))
    {
      ropts.onSuccess5 = on_request_success5;
      ropts.onFailure5 = on_request_failure5;
    }
  else
    {
      ropts.onSuccess = on_request_success;
      ropts.onFailure = on_request_failure;
    }
  ropts.context = req;
  int rc;
  guint n = filters->len;
  if (unsubscribe)
    rc = MQTTAsync_unsubscribeMany (s->handle, (int) n, (char *const *) filters->pdata, &ropts);
  else
    {
      g_autofree int *qos = g_new (int, n);
      for (guint i = 0; i < n; i++)
        qos[i] = self->opts.qos;
      rc = MQTTAsync_subscribeMany (s->handle, (int) n, (char *const *) filters->pdata, qos, &ropts);
    }
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_warning ("mqtt: %s: %s request failed (code %d); reconnecting", s->client_id,
                 unsubscribe ? "unsubscribe" : "subscribe", rc);
      request_free (req);
      MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
      MQTTAsync_disconnect (s->handle, &opts);
      s->phase = PHASE_DOWN;
      schedule_reconnect (s);
      return;
    }
  s->busy = TRUE;
}

/* Subscribes what the broker does not hold yet; once every session is up,
 * unsubscribes what it holds that is no longer configured. */
void
ioc_mqtt_session_sync (Session *s)
{
  IocMqttClient *self = s->client;
  if (s->busy || (s->phase != PHASE_SUBSCRIBING && s->phase != PHASE_UP))
    return;
  GPtrArray *missing = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < s->filters->len; i++)
    if (!g_hash_table_contains (s->held, s->filters->pdata[i]))
      g_ptr_array_add (missing, g_strdup (s->filters->pdata[i]));
  if (missing->len > 0)
    {
      s->phase = PHASE_SUBSCRIBING;
      send_request (s, missing, FALSE);
      return;
    }
  g_ptr_array_unref (missing);
  if (s->phase == PHASE_SUBSCRIBING)
    {
      s->phase = PHASE_UP;
      s->up_since_us = g_get_monotonic_time ();
      ioc_mqtt_update_state (self); /* calls back here once all are up */
      return;
    }
  /* Stale filters go only once every configured session holds its own: a
   * unit moving between sessions is never without a subscriber meanwhile. */
  if (!self->all_up)
    return;
  GPtrArray *stale = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, s->held);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (s->filter_set, key))
      g_ptr_array_add (stale, g_strdup (key));
  if (stale->len > 0)
    {
      g_message ("mqtt: %s: unsubscribing %u filter(s) no longer configured on it", s->client_id, stale->len);
      send_request (s, stale, TRUE);
    }
  else
    g_ptr_array_unref (stale);
}

/* DISCONNECT, keeping the session: the broker goes on queueing for it. */
void
ioc_mqtt_session_disconnect (Session *s)
{
  if (s->handle == NULL)
    return;
  MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
  if (ioc_mqtt_is_v5 (s->client))
    opts = (MQTTAsync_disconnectOptions) MQTTAsync_disconnectOptions_initializer5;
  MQTTAsync_disconnect (s->handle, &opts);
}

static void
end_retired (Session *s)
{
  g_message ("mqtt: %s: retired session drained; ending it", s->client_id);
  if (s->handle != NULL && MQTTAsync_isConnected (s->handle))
    {
      MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
      MQTTProperties props = MQTTProperties_initializer;
      if (ioc_mqtt_is_v5 (s->client))
        {
          /* Session Expiry 0 on DISCONNECT: the broker forgets the session. */
          opts = (MQTTAsync_disconnectOptions) MQTTAsync_disconnectOptions_initializer5;
          MQTTProperty p = { .identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL };
          p.value.integer4 = 0;
          MQTTProperties_add (&props, &p);
          opts.properties = props;
        }
      MQTTAsync_disconnect (s->handle, &opts);
      MQTTProperties_free (&props);
    }
  s->phase = PHASE_ENDED;
  if (s->record_path != NULL && g_unlink (s->record_path) != 0 && errno != ENOENT)
    g_warning ("mqtt: cannot remove %s: %s", s->record_path, g_strerror (errno));
}

gboolean
ioc_mqtt_retired_check_cb (gpointer data)
{
  IocMqttClient *self = data;
  gboolean pending = FALSE;
  gint64 now = g_get_monotonic_time ();
  for (guint i = self->n_sessions; i < self->n_all; i++)
    {
      Session *s = self->sessions[i];
      if (s->phase == PHASE_ENDED)
        continue;
      pending = TRUE;
      gint64 last = MAX (s->up_since_us, __atomic_load_n (&s->last_message_us, __ATOMIC_RELAXED));
      if (s->phase == PHASE_UP && !s->busy && g_hash_table_size (s->held) == 0 && now - last >= RETIRED_IDLE_US)
        end_retired (s);
    }
  if (!pending)
    {
      self->idle_source = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_connected (Session *s, gboolean session_present)
{
  IocMqttClient *self = s->client;
  ioc_backoff_reset (&s->backoff);
  s->busy = FALSE;
  if (self->paused)
    {
      /* Connected while a pause was being asked for: leave again. */
      ioc_mqtt_session_disconnect (s);
      s->phase = PHASE_DOWN;
      ioc_mqtt_update_state (self);
      return;
    }
  if (!session_present)
    {
      /* A broker that lost our session (restart without persistence)
       * also lost our subscriptions; without this the hub would look
       * connected and hear nothing. */
      if (g_hash_table_size (s->held) > 0 || !s->retired)
        {
          g_message ("mqtt: %s connected to %s, no session on the broker: subscribing %u filter(s)",
                     s->client_id, self->opts.url, s->filters->len);
          ioc_stat_add (self->stat_session_lost, 1);
        }
      g_hash_table_remove_all (s->held);
      ioc_mqtt_record_write (s);
      if (s->retired)
        {
          end_retired (s); /* nothing queued for it */
          return;
        }
    }
  else
    g_message ("mqtt: %s connected to %s, session present", s->client_id, self->opts.url);
  s->phase = PHASE_SUBSCRIBING;
  ioc_mqtt_session_sync (s);
}

static void
on_subscribed (Session *s, const Event *ev)
{
  IocMqttClient *self = s->client;
  s->busy = FALSE;
  for (guint i = 0; i < ev->filters->len; i++)
    {
      gboolean refused = FALSE;
      for (guint r = 0; ev->refused != NULL && r < ev->refused->len; r++)
        refused |= g_array_index (ev->refused, guint, r) == i;
      if (refused)
        {
          /* Not held: tried again at the next connect. */
          g_warning ("mqtt: %s: the broker refused the subscription to %s (ACL?)", s->client_id,
                     (const gchar *) ev->filters->pdata[i]);
          ioc_stat_add (self->stat_sub_refused, 1);
        }
      else
        g_hash_table_add (s->held, g_strdup (ev->filters->pdata[i]));
    }
  ioc_mqtt_record_write (s);
  g_message ("mqtt: %s: subscribed to %u filter(s) with QoS %d", s->client_id, ev->filters->len, self->opts.qos);
  if (ev->refused != NULL && ev->refused->len > 0 && s->phase == PHASE_SUBSCRIBING)
    {
      /* Do not ask again in a loop: up with what the broker granted. */
      s->phase = PHASE_UP;
      s->up_since_us = g_get_monotonic_time ();
      ioc_mqtt_update_state (self);
      return;
    }
  ioc_mqtt_session_sync (s);
}

static void
on_unsubscribed (Session *s, const Event *ev)
{
  s->busy = FALSE;
  for (guint i = 0; i < ev->filters->len; i++)
    g_hash_table_remove (s->held, ev->filters->pdata[i]);
  ioc_mqtt_record_write (s);
  g_message ("mqtt: %s: unsubscribed from %u filter(s)", s->client_id, ev->filters->len);
  ioc_mqtt_session_sync (s);
}

/* For EV_REQUEST_FAILED, session_present says it was an UNSUBSCRIBE. */
static void
on_request_failed (Session *s, const Event *ev)
{
  IocMqttClient *self = s->client;
  s->busy = FALSE;
  g_warning ("mqtt: %s: %s failed (code %d); reconnecting", s->client_id,
             ev->session_present ? "unsubscribe" : "subscribe", ev->code);
  MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
  if (ioc_mqtt_is_v5 (self))
    opts = (MQTTAsync_disconnectOptions) MQTTAsync_disconnectOptions_initializer5;
  MQTTAsync_disconnect (s->handle, &opts);
  s->phase = PHASE_DOWN;
  ioc_mqtt_update_state (self);
  schedule_reconnect (s);
}

/* The state machine: one event from Paho's threads, on the main context. */
static void
handle_event (Event *ev)
{
  Session *s = ev->session;
  if (s->phase == PHASE_ENDED)
    return;
  switch (ev->type)
    {
    case EV_CONNECTED:
      on_connected (s, ev->session_present);
      break;
    case EV_CONNECT_FAILED:
    case EV_LOST:
      s->phase = PHASE_DOWN;
      s->busy = FALSE;
      ioc_mqtt_update_state (s->client);
      schedule_reconnect (s);
      break;
    case EV_SUBSCRIBED:
      on_subscribed (s, ev);
      break;
    case EV_UNSUBSCRIBED:
      on_unsubscribed (s, ev);
      break;
    case EV_REQUEST_FAILED:
      on_request_failed (s, ev);
      break;
    }
}

static gboolean
reconnect_cb (gpointer data)
{
  Session *s = data;
  s->reconnect_source = 0;
  ioc_mqtt_session_connect (s);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (Session *s)
{
  if (s->reconnect_source != 0 || g_atomic_int_get (&s->client->stopping) || s->phase == PHASE_ENDED
      || s->client->paused)
    return;
  gint64 delay_us = ioc_backoff_next (&s->backoff);
  g_message ("mqtt: %s: reconnecting in %.1f s", s->client_id, delay_us / 1e6);
  ioc_stat_add (s->client->stat_reconnects, 1);
  GSource *source = g_timeout_source_new ((guint) (delay_us / 1000));
  g_source_set_callback (source, reconnect_cb, s, NULL);
  s->reconnect_source = g_source_attach (source, s->client->main_context);
  g_source_unref (source);
}

void
ioc_mqtt_session_connect (Session *s)
{
  IocMqttClient *self = s->client;
  int rc;
  s->phase = PHASE_CONNECTING;
  if (ioc_mqtt_is_v5 (self))
    {
      MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer5;
      MQTTProperties props = MQTTProperties_initializer;
      MQTTProperty p = { .identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL };
      /* 68 years: the broker's persistent_client_expiration caps it, as for a
       * 3.1.1 persistent session.  Not 0xFFFFFFFF ("never"): mosquitto 2.0.11
       * expired such MQTT 5 sessions after ~256 s offline here, with their
       * queued messages (tested: 0x7FFFFFFF, 30 d and 1 d kept). */
      p.value.integer4 = 0x7FFFFFFFu;
      MQTTProperties_add (&props, &p);
      p = (MQTTProperty) { .identifier = MQTTPROPERTY_CODE_RECEIVE_MAXIMUM };
      p.value.integer2 = (unsigned short) self->opts.receive_maximum;
      MQTTProperties_add (&props, &p);
      opts.cleanstart = 0; /* persistent session: the broker queues while we are away */
      opts.connectProperties = &props;
      opts.keepAliveInterval = self->opts.keepalive_s;
      opts.connectTimeout = 10;
      opts.username = self->opts.username;
      opts.password = self->opts.password;
      opts.onSuccess5 = on_connect_success5;
      opts.onFailure5 = on_connect_failure5;
      opts.context = s;
      rc = MQTTAsync_connect (s->handle, &opts);
      MQTTProperties_free (&props);
    }
  else
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
      opts.context = s;
      rc = MQTTAsync_connect (s->handle, &opts);
    }
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_warning ("mqtt: %s: connect request to %s failed (code %d)", s->client_id, self->opts.url, rc);
      s->phase = PHASE_DOWN;
      schedule_reconnect (s);
    }
}

/* ---- construction ---- */

Session *
ioc_mqtt_session_new (IocMqttClient *self, guint index, gboolean retired, GError **error)
{
  Session *s = g_new0 (Session, 1);
  s->client = self;
  s->index = index;
  s->retired = retired;
  s->client_id = index == 0 ? g_strdup (self->opts.client_id) : g_strdup_printf ("%s-%u", self->opts.client_id, index);
  s->filters = g_ptr_array_new_with_free_func (g_free);
  s->filter_set = g_hash_table_new (g_str_hash, g_str_equal);
  s->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&s->store_lock);
  s->store = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  ioc_backoff_init (&s->backoff, self->opts.reconnect_min_us, self->opts.reconnect_max_us);
  s->phase = PHASE_DOWN;
  g_autofree gchar *label = g_strdup_printf ("session=\"%u\"", index);
  s->stat_received = ioc_stat ("iochub_mqtt_session_messages_total", label, IOC_STAT_COUNTER,
                               "Messages received on each ingest session (0 is <client_id>, i is <client_id>-i)");

  ioc_mqtt_store_attach (s);

  MQTTAsync_createOptions create_opts = MQTTAsync_createOptions_initializer;
  create_opts.MQTTVersion = self->opts.protocol;
  create_opts.sendWhileDisconnected = 1;
  create_opts.maxBufferedMessages = 10000;
  int rc = MQTTAsync_createWithOptions (&s->handle, self->opts.url, s->client_id, MQTTCLIENT_PERSISTENCE_USER,
                                        &s->persistence, &create_opts);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "[mqtt] url: cannot create an MQTT client for '%s' (Paho code %d)",
                   self->opts.url, rc);
      s->handle = NULL;
      return s;
    }
  rc = MQTTAsync_setCallbacks (s->handle, s, on_connection_lost, ioc_mqtt_message_arrived, NULL);
  if (rc != MQTTASYNC_SUCCESS)
    g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "cannot set MQTT callbacks (Paho code %d)", rc);
  return s;
}

void
ioc_mqtt_session_free (Session *s)
{
  g_hash_table_unref (s->store);
  g_mutex_clear (&s->store_lock);
  g_ptr_array_unref (s->filters);
  g_hash_table_unref (s->filter_set);
  g_hash_table_unref (s->held);
  g_free (s->record_path);
  g_free (s->client_id);
  g_free (s);
}
