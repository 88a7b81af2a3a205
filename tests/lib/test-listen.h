/* test-listen.h — a test's own HTTP server (a webhook receiver, a fake
 * API) on a free 127.0.0.1 port.  Served from the caller's thread-default
 * main context. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Listens on 127.0.0.1, port 0, and returns the port the system gave; 0
 * with error set when it could not listen. */
guint ioc_test_listen_local (SoupServer *server, GError **error);

G_END_DECLS
