/* mqtt-client.c — see mqtt-client.h for the contract, the exactly-once
 * argument and why there are several sessions.  Paho calls us on its own
 * threads (receive thread for messages and persistence, callback threads for
 * connect/subscribe results); every such result is posted to the main
 * context, where the sessions' state machines and reconnect timers live.
 * Paho's persistence hook is in mqtt-store.c, the subscription record files
 * in mqtt-records.c; mqtt-client-private.h is what the three share. */
#include "io/mqtt-client-private.h"

#include <MQTTAsync.h>
#include <MQTTClientPersistence.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/handoff.h"
#include "protocol/ioc-backoff.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"

/* Paho keeps every received QoS 2 message in a linked list until its PUBREL
 * and, for each new PUBLISH, searches that whole list by packet id; mosquitto
 * walks its own in-flight list for every PUBREC.  With mosquitto 2.0.11 and a
 * window above one, a backlog grows both lists without bound (the broker
 * refills by position, mqtt-client.h): 11,008 waiting here, 600-800 us of CPU
 * per message instead of 25-35 us, a 100 k backlog drained at ~1,000 msg/s.
 * iochub_mqtt_awaiting_pubrel shows that list's length (docs/OPERATIONS.md). */

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

static void client_unref (IocMqttClient *self);
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
  client_unref (client);
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

static gboolean
is_mqtt5 (IocMqttClient *self)
{
  return self->opts.protocol == MQTTVERSION_5;
}

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

static void
on_request_success (void *context, MQTTAsync_successData *response)
{
  Request *req = context;
  GArray *refused = NULL;
  if (!req->unsubscribe && response != NULL)
    {
      /* Granted QoS per filter; 0x80 is a refusal (e.g. an ACL). */
      refused = g_array_new (FALSE, FALSE, sizeof (guint));
      if (req->filters->len == 1 && response->alt.qos == 0x80)
        {
          guint i = 0;
          g_array_append_val (refused, i);
        }
      else if (req->filters->len > 1 && response->alt.qosList != NULL)
        for (guint i = 0; i < req->filters->len; i++)
          if (response->alt.qosList[i] == 0x80)
            g_array_append_val (refused, i);
    }
  post (req->session, req->unsubscribe ? EV_UNSUBSCRIBED : EV_SUBSCRIBED, FALSE, 0, g_ptr_array_ref (req->filters),
        refused);
  request_free (req);
}

static void
on_request_success5 (void *context, MQTTAsync_successData5 *response)
{
  Request *req = context;
  GArray *refused = NULL;
  if (!req->unsubscribe && response != NULL)
    {
      refused = g_array_new (FALSE, FALSE, sizeof (guint));
      for (gint i = 0; i < response->alt.sub.reasonCodeCount && (guint) i < req->filters->len; i++)
        if (response->alt.sub.reasonCodes[i] >= 0x80)
          {
            guint idx = (guint) i;
            g_array_append_val (refused, idx);
          }
    }
  post (req->session, req->unsubscribe ? EV_UNSUBSCRIBED : EV_SUBSCRIBED, FALSE, 0, g_ptr_array_ref (req->filters),
        refused);
  request_free (req);
}

static void
on_request_failure (void *context, MQTTAsync_failureData *response)
{
  Request *req = context;
  post (req->session, EV_REQUEST_FAILED, req->unsubscribe, response ? response->code : 0,
        g_ptr_array_ref (req->filters), NULL);
  request_free (req);
}

static void
on_request_failure5 (void *context, MQTTAsync_failureData5 *response)
{
  Request *req = context;
  post (req->session, EV_REQUEST_FAILED, req->unsubscribe, response ? response->code : 0,
        g_ptr_array_ref (req->filters), NULL);
  request_free (req);
}

static int
on_message_arrived (void *context, char *topic, int topic_len, MQTTAsync_message *message)
{
  Session *s = context;
  IocMqttClient *self = s->client;
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
      __atomic_store_n (&s->last_message_us, g_get_monotonic_time (), __ATOMIC_RELAXED);
      ioc_stat_add (s->stat_received, 1);
    }
  MQTTAsync_freeMessage (&message);
  MQTTAsync_free (topic);
  return 1;
}

/* ---- the sessions' state machine (main context) ---- */

static void schedule_reconnect (Session *s);
static void do_connect (Session *s);
static void start_publisher (IocMqttClient *self);
static void sync_session (Session *s);

/* After any phase change: the gauges, the hub's callback, and — once every
 * configured session holds its filters — the unsubscribes of stale ones. */
static void
update_state (IocMqttClient *self)
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
                   self->n_sessions, self->opts.qos, is_mqtt5 (self) ? "5" : "3.1.1",
                   is_mqtt5 (self) ? self->opts.receive_maximum : 0);
      if (self->on_state != NULL)
        self->on_state (now_up, self->user_data);
    }
  if (now_up)
    for (guint i = 0; i < self->n_all; i++)
      sync_session (self->sessions[i]);
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
  if (is_mqtt5 (self))
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
static void
sync_session (Session *s)
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
      update_state (self); /* calls back here once all are up */
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
static void
session_disconnect (Session *s)
{
  if (s->handle == NULL)
    return;
  MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
  if (is_mqtt5 (s->client))
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
      if (is_mqtt5 (s->client))
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

static gboolean
idle_check_cb (gpointer data)
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
handle_event (Event *ev)
{
  Session *s = ev->session;
  IocMqttClient *self = s->client;
  if (s->phase == PHASE_ENDED)
    return;
  switch (ev->type)
    {
    case EV_CONNECTED:
      ioc_backoff_reset (&s->backoff);
      s->busy = FALSE;
      if (self->paused)
        {
          /* Connected while a pause was being asked for: leave again. */
          session_disconnect (s);
          s->phase = PHASE_DOWN;
          update_state (self);
          break;
        }
      if (!ev->session_present)
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
      sync_session (s);
      break;
    case EV_CONNECT_FAILED:
    case EV_LOST:
      s->phase = PHASE_DOWN;
      s->busy = FALSE;
      update_state (self);
      schedule_reconnect (s);
      break;
    case EV_SUBSCRIBED:
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
          update_state (self);
          break;
        }
      sync_session (s);
      break;
    case EV_UNSUBSCRIBED:
      s->busy = FALSE;
      for (guint i = 0; i < ev->filters->len; i++)
        g_hash_table_remove (s->held, ev->filters->pdata[i]);
      ioc_mqtt_record_write (s);
      g_message ("mqtt: %s: unsubscribed from %u filter(s)", s->client_id, ev->filters->len);
      sync_session (s);
      break;
    case EV_REQUEST_FAILED:
      s->busy = FALSE;
      g_warning ("mqtt: %s: %s failed (code %d); reconnecting", s->client_id,
                 ev->session_present ? "unsubscribe" : "subscribe", ev->code);
      {
        MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
        if (is_mqtt5 (self))
          opts = (MQTTAsync_disconnectOptions) MQTTAsync_disconnectOptions_initializer5;
        MQTTAsync_disconnect (s->handle, &opts);
      }
      s->phase = PHASE_DOWN;
      update_state (self);
      schedule_reconnect (s);
      break;
    }
}

static gboolean
reconnect_cb (gpointer data)
{
  Session *s = data;
  s->reconnect_source = 0;
  do_connect (s);
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

static void
do_connect (Session *s)
{
  IocMqttClient *self = s->client;
  int rc;
  s->phase = PHASE_CONNECTING;
  if (is_mqtt5 (self))
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

static void
client_unref (IocMqttClient *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref))
    return;
  for (guint i = 0; i < self->n_all; i++)
    {
      Session *s = self->sessions[i];
      g_hash_table_unref (s->store);
      g_mutex_clear (&s->store_lock);
      g_ptr_array_unref (s->filters);
      g_hash_table_unref (s->filter_set);
      g_hash_table_unref (s->held);
      g_free (s->record_path);
      g_free (s->client_id);
      g_free (s);
    }
  g_free (self->sessions);
  g_free (self->pub_client_id);
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

static Session *
session_new (IocMqttClient *self, guint index, gboolean retired, GError **error)
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
  rc = MQTTAsync_setCallbacks (s->handle, s, on_connection_lost, on_message_arrived, NULL);
  if (rc != MQTTASYNC_SUCCESS)
    g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "cannot set MQTT callbacks (Paho code %d)", rc);
  return s;
}

static void
add_session (IocMqttClient *self, Session *s)
{
  self->sessions = g_renew (Session *, self->sessions, self->n_all + 1);
  self->sessions[self->n_all++] = s;
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
  ioc_stat_set (self->stat_sessions, self->opts.sessions);

  self->n_sessions = (guint) self->opts.sessions;
  for (guint i = 0; i < self->n_sessions; i++)
    {
      Session *s = session_new (self, i, FALSE, error);
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
    sync_session (s);
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
      Session *s = session_new (self, i, TRUE, &error);
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
      do_connect (self->sessions[i]);
  if (self->n_all > self->n_sessions)
    self->idle_source = g_timeout_add_seconds (5, idle_check_cb, self);
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
            session_disconnect (s);
          s->phase = PHASE_DOWN;
          s->busy = FALSE;
        }
      else if (s->phase == PHASE_DOWN && s->reconnect_source == 0)
        {
          ioc_backoff_reset (&s->backoff);
          do_connect (s);
        }
    }
  update_state (self);
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
          if (is_mqtt5 (self))
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
  client_unref (self);
}
