/* alert-watch.h — what an alert integration test sees of a running hub:
 * every message on ioc/v1/<province>/alerts/# (a watcher subscribed
 * through the real broker, in arrival order, retained ones included) and
 * every body POSTed to a webhook receiver on a free loopback port.
 *
 * The watcher stays connected across hub restarts, so after its first
 * retained burst it only sees what the hub publishes.  The receiver runs on
 * the test's main context: wait with ioc_alert_watch_serve() or the
 * ioc_alert_watch_wait_*() calls, which iterate it.  Main thread only,
 * apart from the Paho callbacks (under the lock). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _IocAlertWatch IocAlertWatch;

/* Connects to broker_url, subscribes to ioc/v1/<province>/alerts/# and
 * waits (bounded) until the subscription is granted; starts the receiver. */
IocAlertWatch *ioc_alert_watch_new (const gchar *broker_url, const gchar *province, GError **error);
void           ioc_alert_watch_free (IocAlertWatch *self);
/* http://127.0.0.1:PORT/hook */
const gchar   *ioc_alert_watch_hook_url (IocAlertWatch *self);

/* Serves the receiver for `us` microseconds. */
void     ioc_alert_watch_serve (IocAlertWatch *self, gint64 us);
/* Messages seen so far, each summarised "rule/scope state" (or "… acked"
 * when its ack member is set); webhooks likewise. */
guint    ioc_alert_watch_n_messages (IocAlertWatch *self);
guint    ioc_alert_watch_n_hooks (IocAlertWatch *self);
/* (transfer full) the summaries from index `from` on, one a line. */
gchar   *ioc_alert_watch_messages_since (IocAlertWatch *self, guint from);
gchar   *ioc_alert_watch_hooks_since (IocAlertWatch *self, guint from);
/* Waits until a message whose summary is `summary` arrived (from index
 * `from` on); FALSE on timeout (and the log is printed). */
gboolean ioc_alert_watch_wait_message (IocAlertWatch *self, const gchar *summary, guint from, gint64 timeout_us);
gboolean ioc_alert_watch_wait_hook (IocAlertWatch *self, const gchar *summary, guint from, gint64 timeout_us);
/* (transfer full) the newest payload on ioc/v1/<p>/alerts/<rule_scope>, parsed, or NULL. */
JsonObject *ioc_alert_watch_latest (IocAlertWatch *self, const gchar *rule_scope);

/* The wall's view: the first "snapshot" event of the hub's /api/v1/feed
 * (token may be NULL), parsed; fails the test if none comes. */
JsonNode *ioc_alert_feed_snapshot (guint port, const gchar *token);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocAlertWatch, ioc_alert_watch_free)

G_END_DECLS
