/* test-publisher.h — publishes test traffic like a connector does: QoS 1,
 * and every message the broker did not acknowledge is sent again (same
 * payload, same seq) until it is, as a connector's disk buffer would.
 * Duplicates are the hub's to drop.  Safe to drive from one thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocTestPublisher IocTestPublisher;

IocTestPublisher *ioc_test_publisher_new (const gchar *url, const gchar *client_id, GError **error);
/* Queues one message; blocks briefly when too many are unacknowledged. */
void              ioc_test_publisher_send (IocTestPublisher *self, const gchar *topic, const gchar *payload,
                                           gboolean retained);
/* Waits until the broker acknowledged everything sent, resending what was
 * lost with a dropped connection.  FALSE on timeout. */
gboolean          ioc_test_publisher_flush (IocTestPublisher *self, gint64 timeout_us);
guint64           ioc_test_publisher_resent (IocTestPublisher *self);
void              ioc_test_publisher_free (IocTestPublisher *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocTestPublisher, ioc_test_publisher_free)

G_END_DECLS
