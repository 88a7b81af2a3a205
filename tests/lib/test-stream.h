/* test-stream.h — a paced stream of test traffic: n messages at a steady
 * rate, the way a province of devices talks, rather than one burst.
 *
 * A thread of its own calls fn (i, pub, user_data) for i = 0 … n−1, which
 * makes message i and sends it through pub (ioc_test_publisher_send); after
 * message i it waits until start + (i + 1) / rate_per_s.  fn runs on that
 * thread: it may read what the test set up before, and nothing the test
 * changes meanwhile. */
#pragma once

#include <glib.h>

#include "test-publisher.h"

G_BEGIN_DECLS

typedef void (*IocTestStreamFunc) (guint i, IocTestPublisher *pub, gpointer user_data);

typedef struct _IocTestStream IocTestStream;

IocTestStream *ioc_test_stream_start (IocTestPublisher *pub, guint n, guint rate_per_s, IocTestStreamFunc fn,
                                      gpointer user_data);
/* Waits until the n-th message was handed to the publisher, then frees.
 * Acknowledgements are the publisher's (ioc_test_publisher_flush). */
void           ioc_test_stream_join (IocTestStream *self);

G_END_DECLS
