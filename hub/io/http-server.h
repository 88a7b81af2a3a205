/* http-server.h — the hub's HTTP listener (libsoup-3), on the main context.
 * It owns the socket and the route table; handlers live with their owners
 * (api/, the live feed).  Routes are exact paths or prefixes ending in '/'.
 *
 * The listener is ours, not libsoup's, so that no HTTP client can take what
 * ingest needs (a wall left open, a scanner, a hostile client holding
 * half-sent requests):
 *   - a request's headers and body must arrive within header_timeout of the
 *     connection opening; a response the client stops reading (no byte
 *     leaves for idle_timeout) is closed;
 *   - at most max_connections at once, max_per_client from one address;
 *   - never more descriptors than RLIMIT_NOFILE − fd_reserve: the journal,
 *     the spool, MQTT and InfluxDB keep theirs;
 *   - a body is read only when the gate admits it on the headers alone
 *     (the hub's gate asks for an operator token), and never more than
 *     max_body bytes of it: 413 otherwise, before the body is read;
 *   - when accept() runs out of descriptors the listener pauses and comes
 *     back by itself.
 * A refused connection gets a 503 with Retry-After and is closed.  Each
 * response closes its connection (no keep-alive: a connection is one
 * request).  Repeated errors and refusals are logged once when they start
 * and once when they stop, with their count; every one is a metric
 * (iochub_http_*).  Main context only. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _IocHttpServer IocHttpServer;

typedef struct
{
  gint64 header_timeout_us; /* request line, headers and body; 0 → default */
  gint64 idle_timeout_us;   /* a response no byte of which leaves for this long */
  guint max_connections;    /* 0 → default */
  guint max_per_client;     /* 0 → no cap per address */
  guint fd_reserve;         /* descriptors HTTP never takes */
  gsize max_body;           /* 0 → default */
} IocHttpLimits;

#define IOC_HTTP_DEFAULT_HEADER_TIMEOUT_US (10 * G_TIME_SPAN_SECOND)
#define IOC_HTTP_DEFAULT_IDLE_TIMEOUT_US   (60 * G_TIME_SPAN_SECOND)
#define IOC_HTTP_DEFAULT_MAX_CONNECTIONS   512
#define IOC_HTTP_DEFAULT_MAX_PER_CLIENT    64
#define IOC_HTTP_DEFAULT_FD_RESERVE        128
#define IOC_HTTP_DEFAULT_MAX_BODY          (64 * 1024)

/* Called on the headers of a request that announces a body (a
 * Content-Length above 0 or a chunked one).  TRUE lets the body be read;
 * FALSE refuses it: the gate has set the status and response (e.g. with
 * ioc_http_reply), which is sent before the connection closes, unread. */
typedef gboolean (*IocHttpBodyGate) (SoupServerMessage *msg, gpointer user_data);

/* listen is "HOST:PORT" (PORT 0 picks a free port; see ioc_http_server_port).
 * limits NULL: the defaults. */
IocHttpServer *ioc_http_server_new (const gchar *listen, const IocHttpLimits *limits, GError **error);
void           ioc_http_server_free (IocHttpServer *self);
/* New limits apply to new connections and requests (a reload). */
void           ioc_http_server_set_limits (IocHttpServer *self, const IocHttpLimits *limits);
/* gate NULL: every body is refused (401).  user_data must outlive self. */
void           ioc_http_server_set_body_gate (IocHttpServer *self, IocHttpBodyGate gate, gpointer user_data);
void           ioc_http_server_route (IocHttpServer *self, const gchar *path, SoupServerCallback handler,
                                      gpointer user_data);
guint          ioc_http_server_port (IocHttpServer *self);
SoupServer    *ioc_http_server_soup (IocHttpServer *self);
guint          ioc_http_server_n_connections (IocHttpServer *self);

/* The socket under msg (soup_server_message_get_socket() is NULL for the
 * connections this server hands to libsoup), or NULL.  Shutting it down
 * ends the message's I/O. */
GSocket       *ioc_http_message_socket (SoupServerMessage *msg);

/* Replies with a complete body; content_type NULL → text/plain. */
void ioc_http_reply (SoupServerMessage *msg, guint status, const gchar *content_type, const gchar *body,
                     gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocHttpServer, ioc_http_server_free)

G_END_DECLS
