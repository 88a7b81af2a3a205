/* alert-notify.h — delivers alert notifications: the retained
 * MQTT state ioc/v1/<province>/alerts/<rule>/<scope>, and an optional
 * webhook POST with retries and backoff on its own worker thread.
 *
 * ioc_alert_notify_alert() is called on the main context and never blocks:
 * it formats, publishes through the given function (Paho queues it), and
 * hands the webhook body to the worker through a bounded queue. */
#pragma once

#include <glib.h>

#include "alerts/alert-engine.h"

G_BEGIN_DECLS

/* Any thread; FALSE when the message could not be queued. */
typedef gboolean (*IocAlertPublishFunc) (const gchar *topic, const gchar *payload, gsize len,
                                         gboolean retained, gpointer user_data);

typedef struct
{
  gchar *province;
  gchar *webhook_url;      /* NULL: no webhook */
  gchar *webhook_token;    /* optional "Authorization: Bearer" */
  gint64 webhook_timeout_us;
  gint64 retry_min_us, retry_max_us;
  guint webhook_attempts;  /* per notification, then dropped and counted */
  guint queue_max;         /* notifications waiting for the webhook */
} IocAlertNotifyOptions;

typedef struct _IocAlertNotify IocAlertNotify;

IocAlertNotify *ioc_alert_notify_new (const IocAlertNotifyOptions *opts, IocAlertPublishFunc publish,
                                      gpointer publish_data);
/* Stops the worker: waits at most for the request in flight (its timeout). */
void ioc_alert_notify_free (IocAlertNotify *self);
void ioc_alert_notify_set_publish (IocAlertNotify *self, IocAlertPublishFunc publish, gpointer data);

/* An IocAlertFunc (user_data = the IocAlertNotify). */
void ioc_alert_notify_alert (const IocAlert *alert, gboolean should_page, gpointer self);

/* "ioc/v1/<province>/alerts/<rule>/<scope>" (transfer full). */
gchar *ioc_alert_topic (const gchar *province, const gchar *rule, const gchar *scope);

typedef struct
{
  guint64 published, publish_failed, webhook_sent, webhook_retries, webhook_dropped;
} IocAlertNotifyStats;
void ioc_alert_notify_stats (IocAlertNotify *self, IocAlertNotifyStats *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocAlertNotify, ioc_alert_notify_free)

G_END_DECLS
