/* publisher.h — the connector's one MQTTAsync connection: publishes
 * QoS 1, retained state "online" with "offline" as last will, reconnect with
 * capped backoff.  It keeps no messages itself: the connector's disk buffer
 * is the queue, and the publisher only reports each send's outcome.
 *
 * Threads: create, send and free on the main loop.  Paho calls back on its
 * own threads; every callback is handed to the main context, so the
 * IocPublisherFuncs below run on the main loop. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocPublisher IocPublisher;

typedef struct
{
  const gchar *url;
  const gchar *client_id;
  const gchar *username; /* NULL: anonymous */
  const gchar *password;
  const gchar *state_topic; /* will: "offline" retained; "online" on every connect */
  /* Subscribed QoS 1 on every connect (the session is clean); NULL: none.
   * The connector's config topic (remote-config.h). */
  const gchar *subscribe_topic;
  guint keepalive_s;
  guint max_inflight;
  /* TLS when url is ssl:// or mqtts://; PEM paths, NULL = not set */
  const gchar *ca_file;
  const gchar *cert_file;
  const gchar *key_file;
  gboolean verify; /* the broker's certificate chain and host name */
} IocPublisherOptions;

typedef struct
{
  void (*connected) (gpointer user_data, gboolean is_connected);
  /* ok: the broker acknowledged (PUBACK); otherwise the send failed. */
  void (*done) (gpointer user_data, gint64 seq, guint gen, gboolean ok);
  /* A message on subscribe_topic; retained: the broker's stored copy (sent
   * on subscribe), not a fresh publish.  NULL: dropped. */
  void (*message) (gpointer user_data, const gchar *topic, GBytes *payload, gboolean retained);
} IocPublisherFuncs;

IocPublisher *ioc_publisher_new (const IocPublisherOptions *opts, const IocPublisherFuncs *funcs,
                                 gpointer user_data, GError **error);
/* Connects (and keeps reconnecting until stopped). */
void     ioc_publisher_start (IocPublisher *self);
gboolean ioc_publisher_is_connected (IocPublisher *self);
/* The connection generation: increases with every (re)connect. */
guint    ioc_publisher_gen (IocPublisher *self);
/* Queues one QoS 1 publish on the current connection; FALSE when not
 * connected or Paho refused (the caller keeps the message). */
gboolean ioc_publisher_send (IocPublisher *self, const gchar *topic, const void *payload,
                             gsize len, gboolean retained, gint64 seq);
/* Publishes the retained "offline" state, then DISCONNECT (never
 * UNSUBSCRIBE, which would drop what the broker queued), waiting at most timeout_ms. */
void     ioc_publisher_stop (IocPublisher *self, guint timeout_ms);
void     ioc_publisher_free (IocPublisher *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocPublisher, ioc_publisher_free)

G_END_DECLS
