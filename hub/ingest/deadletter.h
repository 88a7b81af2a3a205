/* deadletter.h — what happens to a message the hub cannot use.
 *
 * Every rejected message is counted per reason and per device and published
 * to ioc/v1/<province>/deadletter/<reason> as JSON: the topic it came on, the
 * reason, a human detail, the arrival time and the first 1 KiB of the payload
 * (as text when it is UTF-8, otherwise base64).  /metrics has one
 * iochub_deadletters_total series per reason, every known reason from the
 * start (at 0).  It never stops the stream
 * (PEERS.md lesson 2).  Main context. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*IocDeadLetterPublishFunc) (const gchar *topic, const gchar *json, gsize len, gpointer user_data);
typedef void (*IocDeadLetterDeviceFunc) (const gchar *kind, const gchar *device, gint64 count,
                                         const gchar *last_reason, gpointer user_data);

typedef struct _IocDeadLetter IocDeadLetter;

#define IOC_DEADLETTER_EXCERPT 1024

IocDeadLetter *ioc_deadletter_new (const gchar *province, IocDeadLetterPublishFunc publish, gpointer user_data);
void           ioc_deadletter_free (IocDeadLetter *self);
/* Puts `reason` on /metrics (iochub_deadletters_total{reason="…"}) at 0
 * before its first reject.  _new() declares every ioc_reject_name() and
 * the hub's own reasons; a new hub-side reason is declared by its owner. */
void           ioc_deadletter_declare (IocDeadLetter *self, const gchar *reason);
/* reason: an ioc_reject_name() or a hub-side reason such as "influx_rejected". */
void           ioc_deadletter_reject (IocDeadLetter *self, const gchar *reason, const gchar *detail,
                                      const gchar *topic, gsize topic_len, const guint8 *payload, gsize len,
                                      gint64 arrival_us);
/* The same for a message whose body was not kept (too_large): payload is
 * its first len bytes, full_len its size, which the dead letter reports. */
void           ioc_deadletter_reject_sized (IocDeadLetter *self, const gchar *reason, const gchar *detail,
                                            const gchar *topic, gsize topic_len, const guint8 *payload, gsize len,
                                            gsize full_len, gint64 arrival_us);
gint64         ioc_deadletter_count (IocDeadLetter *self, const gchar *reason);
gint64         ioc_deadletter_total (IocDeadLetter *self);
void           ioc_deadletter_foreach_device (IocDeadLetter *self, IocDeadLetterDeviceFunc fn, gpointer user_data);
/* Builds the JSON document (exposed for tests and for iocctl dry-run). */
gchar         *ioc_deadletter_format (const gchar *reason, const gchar *detail, const gchar *topic, gsize topic_len,
                                      const guint8 *payload, gsize len, gint64 arrival_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocDeadLetter, ioc_deadletter_free)

G_END_DECLS
