/* mqtt-client-private.h — the state the files of the MQTT client share:
 * mqtt-client.c (construction, the API, the publishing connection),
 * mqtt-session.c (the sessions' state machine on the main context),
 * mqtt-store.c (the message path and Paho's persistence hook: durable
 * before PUBREC) and mqtt-records.c (the subscription record files).
 * io/ only. */
#pragma once

#include <MQTTAsync.h>
#include <MQTTClientPersistence.h>

#include "io/handoff.h"
#include "io/mqtt-client.h"
#include "protocol/ioc-backoff.h"
#include "protocol/ioc-stats.h"

G_BEGIN_DECLS

/* Most messages are a few hundred bytes: assemble them on the stack. */
#define IOC_MQTT_STACK_PACKET 2048

typedef enum
{
  PHASE_DOWN,        /* not connected; a reconnect is scheduled (or stopping) */
  PHASE_CONNECTING,  /* CONNECT sent */
  PHASE_SUBSCRIBING, /* connected, a SUBSCRIBE of what the broker lacks in flight */
  PHASE_UP,          /* connected and subscribed to every configured filter */
  PHASE_ENDED,       /* a retired session whose queue drained: disconnected for good */
} Phase;

typedef struct _Session Session;

struct _IocMqttClient
{
  gint ref; /* atomic: the owner plus every event posted to the main context */
  IocMqttOptions opts;
  MQTTAsync pub_handle; /* publishes (dead letters, alerts, configs): clean session, no persistence */
  gchar *pub_client_id;
  /* The publishing connection's losses, for its log (Paho's threads). */
  GMutex pub_log_lock;
  gint64 pub_connected_us;  /* 0: not connected */
  gint64 pub_logged_us;     /* the last loss logged */
  guint pub_short_lives;    /* losses in a row within 30 s of connecting */
  guint pub_unlogged;       /* losses since the last one logged */
  IocStat *stat_pub_lost;
  GMainContext *main_context;
  IocHandoff *handoff; /* Paho threads → main context: connection and subscription results */
  IocMqttMessageFunc on_message;
  IocMqttStateFunc on_state;
  gpointer user_data;

  Session **sessions; /* the configured ones first, then the retired */
  guint n_sessions;   /* configured */
  guint n_all;        /* configured + retired */
  gboolean started;
  gboolean stopping; /* atomic */
  gboolean paused;   /* main context: ioc_mqtt_client_set_paused */
  gboolean all_up;   /* main context: what on_state was last told */
  gint up_atomic;    /* the same, for any thread */
  guint idle_source; /* main context: checks retired sessions */

  gint awaiting_pubrel; /* atomic, over all sessions */
  IocStat *stat_awaiting_pubrel;
  IocStat *stat_awaiting_pubrel_max;
  IocStat *stat_connected;
  IocStat *stat_sessions;
  IocStat *stat_sessions_up;
  IocStat *stat_reconnects;
  IocStat *stat_session_lost;
  IocStat *stat_unprotected;
  IocStat *stat_refused;
  IocStat *stat_publish_failed;
  IocStat *stat_sub_refused;
  IocStat *stat_paused;
  IocStat *stat_pauses;

  IocMqttCaptureFunc capture; /* offline: publishes go here */
  gpointer capture_data;
};

struct _Session
{
  IocMqttClient *client;
  guint index;
  gboolean retired; /* beyond [mqtt] sessions: drains, then ends */
  gchar *client_id;
  MQTTAsync handle;
  MQTTClient_persistence persistence;

  /* Paho's persistence store, minus received QoS 2 publishes, which live in
   * the journal: outgoing state is kept in memory only, as with
   * MQTTCLIENT_PERSISTENCE_NONE.  Guarded by store_lock (Paho threads). */
  GMutex store_lock;
  GHashTable *store; /* key → GBytes; NULL value for journaled "r-"/"r5-" keys */

  /* Main context only. */
  GPtrArray *filters;     /* configured, in order added */
  GHashTable *filter_set; /* the same, as a set */
  GHashTable *held;       /* what the broker holds for this session (the record file) */
  gchar *record_path;
  Phase phase;
  gboolean busy; /* a SUBSCRIBE or UNSUBSCRIBE in flight */
  IocBackoff backoff;
  guint reconnect_source;
  gint64 up_since_us;

  gint64 last_message_us; /* atomic: Paho receive thread */
  IocStat *stat_received;
};

static inline gboolean
ioc_mqtt_is_v5 (IocMqttClient *self)
{
  return self->opts.protocol == MQTTVERSION_5;
}

/* mqtt-client.c: drops a reference (the owner's, or a posted event's); the
 * last one frees the client and its sessions. */
void ioc_mqtt_client_unref (IocMqttClient *self);

/* mqtt-session.c, main context.  A new session (PHASE_DOWN; handle NULL and
 * error set if Paho refused it) and its end; connect (reconnects are
 * scheduled on failure); bring the broker's subscriptions in line with the
 * configured filters; DISCONNECT keeping the session; after any phase change,
 * the gauges and on_state; the timer that ends drained retired sessions. */
Session *ioc_mqtt_session_new (IocMqttClient *self, guint index, gboolean retired, GError **error);
void     ioc_mqtt_session_free (Session *s);
void     ioc_mqtt_session_connect (Session *s);
void     ioc_mqtt_session_sync (Session *s);
void     ioc_mqtt_session_disconnect (Session *s);
void     ioc_mqtt_update_state (IocMqttClient *self);
gboolean ioc_mqtt_retired_check_cb (gpointer data);

/* mqtt-store.c: points the session's Paho persistence at the store. */
void   ioc_mqtt_store_attach (Session *s);
/* mqtt-store.c, Paho's receive thread: a QoS 0/1 message (QoS 2 ones were
 * handed over in the store already); Paho's messageArrived callback. */
int    ioc_mqtt_message_arrived (void *context, char *topic, int topic_len, MQTTAsync_message *message);
/* mqtt-records.c: the session's record file, written from s->held (no-op
 * without a path) and read into it; the path of session index's file. */
void   ioc_mqtt_record_write (Session *s);
void   ioc_mqtt_record_read (Session *s);
gchar *ioc_mqtt_record_path_for (const gchar *path, guint index);

G_END_DECLS
