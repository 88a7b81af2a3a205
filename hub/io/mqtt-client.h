/* mqtt-client.h — the hub's one MQTT connection (Eclipse Paho MQTTAsync).
 *
 * Persistent session with a stable client id; reconnects with bounded,
 * jittered backoff driven from the main context; subscribes again whenever
 * the broker reports that it kept no session (CONNACK session present = 0).
 * On shutdown it sends DISCONNECT only, never UNSUBSCRIBE, so the broker keeps
 * queueing for us (clients that unsubscribe on close lose what was queued).
 *
 * Exactly once across SIGKILL.  Paho sends a QoS 1 PUBACK *before* it calls
 * the application, so a message acknowledged that way can be lost by a crash
 * in between.  For QoS 2 Paho first hands the received PUBLISH to its
 * persistence layer and only then answers PUBREC.  We install our own
 * persistence whose put() for a received PUBLISH calls the message handler,
 * which writes the message to the hub's journal: the broker is told "got it"
 * only after the message is durable.  The broker must therefore deliver QoS 2
 * to the hub: subscribe with QoS 2 and run mosquitto with
 * `upgrade_outgoing_qos true` (ops/mosquitto/iochub.conf).  A message that
 * still arrives with QoS 0/1 is handed over from messageArrived and counted in
 * iochub_mqtt_unprotected_messages_total.
 *
 * The hub's own messages (dead letters, alerts, connector configs) go out on
 * a second connection, "<client_id>-pub", clean session, no persistence.
 *
 * Threads: the message handler runs on Paho's receive thread.  Everything
 * else in this API is called from the main context; connection callbacks
 * hop back onto it through an IocHandoff (io/handoff.h).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *url;
  gchar *client_id;
  gchar *username; /* NULL: none */
  gchar *password;
  gint keepalive_s;
  gint qos; /* subscription QoS; 2 for crash-exact ingest */
  gint64 reconnect_min_us;
  gint64 reconnect_max_us;
} IocMqttOptions;

/* Runs on Paho's receive thread.  Return TRUE once the message is durable;
 * FALSE refuses it (the connection is dropped so that the broker redelivers). */
typedef gboolean (*IocMqttMessageFunc) (const gchar *topic, gsize topic_len, const guint8 *payload,
                                        gsize len, gpointer user_data);
/* Main context: the connection came up (or went down). */
typedef void (*IocMqttStateFunc) (gboolean connected, gpointer user_data);

typedef struct _IocMqttClient IocMqttClient;

IocMqttClient *ioc_mqtt_client_new (const IocMqttOptions *opts, IocMqttMessageFunc on_message,
                                    IocMqttStateFunc on_state, gpointer user_data, GError **error);
/* Adds a topic filter to subscribe on connect; before start only. */
void     ioc_mqtt_client_add_subscription (IocMqttClient *self, const gchar *filter);
/* Keeps the subscribed filters in path (under state_dir) and, on connect,
 * unsubscribes those recorded there that are no longer added: a persistent
 * session keeps a broker delivering what it was once asked for.  After the
 * subscriptions, before start. */
void     ioc_mqtt_client_record_subscriptions (IocMqttClient *self, const gchar *path);
void     ioc_mqtt_client_start (IocMqttClient *self);
gboolean ioc_mqtt_client_is_connected (IocMqttClient *self);
/* Any thread.  Returns FALSE (and counts it) when Paho would not take it. */
gboolean ioc_mqtt_client_publish (IocMqttClient *self, const gchar *topic, const void *payload,
                                  gsize len, gint qos, gboolean retained);
/* Offline runs (iocctl dry-run): every publish goes to fn instead of a
 * broker, and the client reads as connected.  Call before start, and never
 * start it then.  Main context. */
typedef void (*IocMqttCaptureFunc) (const gchar *topic, const void *payload, gsize len, gint qos,
                                    gboolean retained, gpointer user_data);
void     ioc_mqtt_client_capture (IocMqttClient *self, IocMqttCaptureFunc fn, gpointer user_data);
/* Sends DISCONNECT (waiting up to timeout_ms for in-flight publishes), no UNSUBSCRIBE. */
void     ioc_mqtt_client_free (IocMqttClient *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocMqttClient, ioc_mqtt_client_free)

G_END_DECLS
