/* test-broker.h — a real mosquitto for one test: a free 127.0.0.1 port, a
 * temporary directory with its config, persistence and log; stopped by PID;
 * its log printed when the test failed.  It includes ops/mosquitto/iochub.conf
 * so tests run the broker settings the product ships. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocTestBroker IocTestBroker;

IocTestBroker *ioc_test_broker_start (GError **error);
/* extra: appended to the generated mosquitto.conf (e.g. a bridge), may be NULL. */
IocTestBroker *ioc_test_broker_start_with (const gchar *extra, GError **error);
/* Stops (SIGTERM, then SIGKILL after a bound) and keeps the data dir. */
void           ioc_test_broker_stop (IocTestBroker *self);
/* Starts again on the same port with the same persistence file. */
gboolean       ioc_test_broker_restart (IocTestBroker *self, GError **error);
guint          ioc_test_broker_port (IocTestBroker *self);
const gchar   *ioc_test_broker_url (IocTestBroker *self); /* tcp://127.0.0.1:PORT */
void           ioc_test_broker_free (IocTestBroker *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocTestBroker, ioc_test_broker_free)

G_END_DECLS
