/* mqtt-client.h — the hub's MQTT connections (Eclipse Paho MQTTAsync).
 *
 * Ingest runs over one or more persistent sessions ([mqtt] sessions), each
 * with a stable client id: "<client_id>" for session 0, "<client_id>-<i>" for
 * the others.  A topic filter is added with a shard key (the unit code) and
 * lives on session ioc_mqtt_session_for_key (key, sessions), so every message
 * of a unit comes over one session, in the order the broker queued it.  Each
 * session reconnects on its own with bounded, jittered backoff driven from
 * the main context; on connect it subscribes what the broker does not hold
 * for it yet and, once every session is subscribed, unsubscribes what it
 * holds but is no longer configured (recorded in a file per session under
 * state_dir).  Sessions beyond [mqtt] sessions that a previous configuration
 * used are "retired": connected with no subscription until their queue has
 * drained, then ended.  On shutdown it sends DISCONNECT only, never
 * UNSUBSCRIBE, so the broker keeps queueing for us (clients that
 * unsubscribe on close lose what was queued).
 *
 * Why several sessions and MQTT 5 with a Receive Maximum of 1: mosquitto
 * 2.0.11 (Debian 12) refills a session's in-flight list after each
 * acknowledgement by the position of the message acknowledged rather than by
 * the count in flight, so under a backlog the list grows without bound past
 * max_inflight_messages, and both ends then search their QoS 2 lists
 * linearly (docs/BENCHMARKS.md §3.1).  With at most one message in flight the
 * refill adds exactly one; several sessions then give the throughput back.
 * With a broker whose in-flight accounting holds, a larger receive_maximum
 * lets each session pipeline.
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
 * a separate connection, "<client_id>-pub", clean session, no persistence.
 *
 * Threads: the message handler runs on Paho's receive thread (one for every
 * session of the process, so it is never called concurrently).  Everything
 * else in this API is called from the main context; connection and
 * subscription results hop back onto it through an IocHandoff (io/handoff.h).
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
  gint qos;             /* subscription QoS; 2 for crash-exact ingest */
  gint sessions;        /* ingest sessions, >= 1 (0: 1) */
  gint protocol;        /* 5 (MQTT 5, the default when 0) or 4 (MQTT 3.1.1) */
  gint receive_maximum; /* MQTT 5 Receive Maximum per session (0: 1) */
  gint64 reconnect_min_us;
  gint64 reconnect_max_us;
} IocMqttOptions;

/* Runs on Paho's receive thread.  Return TRUE once the message is durable.
 * Paho 1.3.12 answers PUBREC even when the persistence hook refuses, so
 * there is no refusing a QoS 2 message: FALSE stops the process (abort)
 * before the acknowledgement, and the broker redelivers it to the next run.
 * The hub keeps that from happening: its journal keeps a write reserve and
 * the hub pauses ingest (ioc_mqtt_client_set_paused) before it runs out. */
typedef gboolean (*IocMqttMessageFunc) (const gchar *topic, gsize topic_len, const guint8 *payload,
                                        gsize len, gpointer user_data);
/* Main context: every session is up and subscribed (or one went down). */
typedef void (*IocMqttStateFunc) (gboolean connected, gpointer user_data);

typedef struct _IocMqttClient IocMqttClient;

IocMqttClient *ioc_mqtt_client_new (const IocMqttOptions *opts, IocMqttMessageFunc on_message,
                                    IocMqttStateFunc on_state, gpointer user_data, GError **error);
/* The session a shard key's filters go to: FNV-1a (32 bits) of the key,
 * mixed by MurmurHash3's 32-bit finalizer, modulo n_sessions; the same on
 * every machine and in every release. */
guint    ioc_mqtt_session_for_key (const gchar *key, guint n_sessions);
guint    ioc_mqtt_client_n_sessions (IocMqttClient *self);
/* Adds a topic filter on the session of shard_key (NULL: session 0).  Before
 * start, or later (a reload that adds units): then it is subscribed at once
 * if that session is up.  Adding a filter twice adds it once. */
void     ioc_mqtt_client_add_subscription (IocMqttClient *self, const gchar *filter, const gchar *shard_key);
/* The hub's ingest filters (SPEC §3) for units (n of them) of province.
 * whole_province: units are every code of the registry and the hub takes the
 * whole province; otherwise they are the units it owns ([hub] units_owned).
 * The unit level U below is "+" for the whole province, else each owned unit.
 * Every session gets its topics whole-device: a device's seq reaches the hub
 * in the order it was published.
 *  - 1 session: `ioc/v1/P/U/+/+/T` for T in event, status, state (as always).
 *  - 2-4 sessions: one kind per session, desk, kiosk, camera, portal in
 *    turn (`ioc/v1/P/U/K/+/event`, `…/status`); the state topics
 *    (`ioc/v1/P/U/+/+/state`) on session 0.  A unit the registry does not
 *    know still reaches the hub (a dead letter); a kind SPEC does not name
 *    does so on its connector's state topic only.
 *  - more: each unit's desk, kiosk and camera topics on the session of the
 *    unit (ioc_mqtt_session_for_key), the portal topics (a portal device
 *    publishes under many units) on session 3, the state topics on
 *    session 0.  Only
 *    the registry's units are subscribed: a unit it does not know reaches
 *    the hub on its connectors' state topics only.
 * Called again after a reload, it adds the filters of new units. */
void     ioc_mqtt_client_subscribe_units (IocMqttClient *self, const gchar *province, const gchar *const *units,
                                          guint n, gboolean whole_province);
/* Keeps each session's subscribed filters in a file (path for session 0,
 * path with "-<i>" before its extension for session i) and, once every
 * session is subscribed, unsubscribes those recorded there that are no longer
 * added: a persistent session keeps a broker delivering what it was once
 * asked for.  Also finds the files of sessions beyond the configured number
 * and retires those sessions.  After the subscriptions, before start. */
void     ioc_mqtt_client_record_subscriptions (IocMqttClient *self, const gchar *path);
void     ioc_mqtt_client_start (IocMqttClient *self);
/* Main context.  Paused: every ingest session sends DISCONNECT (keeping its
 * session: the broker queues what comes meanwhile) and does not reconnect;
 * what was already in flight still reaches the message handler until the
 * socket closes.  Unpaused: they connect again.  Before start, a pause
 * keeps start from connecting them.  Gauge iochub_ingest_paused, counter
 * iochub_ingest_pauses_total. */
void     ioc_mqtt_client_set_paused (IocMqttClient *self, gboolean paused);
gboolean ioc_mqtt_client_is_paused (IocMqttClient *self);
/* Every ingest session connected and subscribed. */
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
/* Sends DISCONNECT on every session (waiting a little for it), no UNSUBSCRIBE. */
void     ioc_mqtt_client_free (IocMqttClient *self);

/* Splits a PUBLISH packet as Paho hands it to the persistence layer (fixed
 * header, remaining length, topic, packet id, for MQTT 5 the properties, then
 * the payload).  The packet comes from the broker: FALSE for anything that
 * does not add up.  Exposed for the unit tests and the fuzz target. */
gboolean ioc_mqtt_parse_publish (const guint8 *pkt, gsize len, gboolean mqtt5, const guint8 **topic,
                                 gsize *topic_len, const guint8 **payload, gsize *payload_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocMqttClient, ioc_mqtt_client_free)

G_END_DECLS
