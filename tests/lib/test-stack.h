/* test-stack.h — the real parts an end-to-end test runs the hub between: a
 * mosquitto (test-broker.h), an influxd (test-influx.h) and, when asked, an
 * iochub wired to both (test-hub.h).  A test fixture holds one IocTestStack;
 * each start fails the test on an error, and clear stops the hub expecting
 * a clean exit (under the sanitizer build, a leak or a use-after-free at
 * shutdown fails there) and frees the three.  Main thread. */
#pragma once

#include <glib.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-influx.h"
#include "test-publisher.h"

G_BEGIN_DECLS

typedef struct
{
  IocTestBroker *broker;
  IocTestInflux *influx;
  IocTestHub *hub; /* NULL until ioc_test_stack_start_hub() */
  gchar *last_query_error; /* why the last ioc_test_stack_queue_sum() failed */
} IocTestStack;

/* Starts the broker and influxd; FALSE when either did not start. */
gboolean ioc_test_stack_start (IocTestStack *self);
/* Creates and starts a hub on the stack's broker and influxd; extra is
 * appended to its hub.conf (see ioc_test_hub_new()), may be NULL.  FALSE
 * when it did not start. */
gboolean ioc_test_stack_start_hub (IocTestStack *self, const gchar *extra);
/* A publisher on the stack's broker, client id "test-pub"; NULL (the test
 * failed) when it could not connect. */
IocTestPublisher *ioc_test_stack_publisher (IocTestStack *self);
/* sum(field) of unit's ioc_queue points in database ioc, all time; -1 when
 * the query failed (why: last_query_error, for the test's message when a
 * wait for a sum times out). */
gint64   ioc_test_stack_queue_sum (IocTestStack *self, const gchar *field, const gchar *unit);
/* Stops the hub if it runs (asserting it exits 0), then frees the hub,
 * influxd and the broker; the stack can be started again. */
void     ioc_test_stack_clear (IocTestStack *self);

G_END_DECLS
