/* http-server.c — see http-server.h.  Main context only.
 *
 * libsoup's own listener stops for good on the first failed accept()
 * (EMFILE), has no timeouts and reads a body before anyone may refuse it.
 * So the listening socket is ours: each accepted connection is checked
 * against the limits, then handed to libsoup (soup_server_accept_iostream)
 * and followed through its message's signals:
 *
 *   REQUEST   accepted, headers and body coming: deadline header_timeout
 *   RESPONSE  the handler runs or the response is written: deadline
 *             idle_timeout after the last byte that left
 *   LINGER    refused on its headers: the connection was taken back from
 *             libsoup, the refusal written, and what the client still sends
 *             is read and dropped (a little, briefly) so that it sees the
 *             reply rather than a reset
 *
 * A connection is found from its message through the remote address object
 * we gave libsoup (it hands the same object back), and forgotten when its
 * GSocketConnection is finalized — or, should a reference linger, when a
 * sweep finds its socket closed.  A deadline passed shuts the socket down,
 * which makes libsoup end the message and let the connection go. */
#include "io/http-server.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"

#define ACCEPT_BATCH       64    /* connections taken per wake-up: ingest shares the loop */
#define ACCEPT_RETRY_MS    500   /* after accept() failed (out of descriptors…) */
#define SWEEP_MS           500
#define QUIET_US           (5 * G_TIME_SPAN_SECOND) /* a complaint ends after this long without one */
#define LINGER_US          (2 * G_TIME_SPAN_SECOND)
#define LINGER_MAX_BYTES   (256 * 1024)

typedef enum
{
  CONN_REQUEST,
  CONN_RESPONSE,
  CONN_LINGER,
} ConnState;

typedef struct
{
  IocHttpServer *server;
  GSocket *socket;          /* owned reference */
  GSocketAddress *remote;   /* owned; libsoup's remote address is this object */
  gchar *peer;              /* the client's address, for max_per_client */
  GSocketConnection *conn;  /* not owned (weak): NULL once finalized */
  ConnState state;
  gint64 deadline;          /* monotonic; 0: none */
  guint64 body_seen;        /* bytes of a chunked body so far */
  GIOStream *stolen;        /* LINGER: the stream taken back from libsoup */
  GSource *linger_source;
  gsize drained;
} Conn;

/* A repeated failure, logged when it starts and when it has stopped (no
 * occurrence for QUIET_US), with how many there were in between. */
typedef struct
{
  const gchar *what;
  gboolean active;
  guint64 count;
  gint64 last;
} Complaint;

struct _IocHttpServer
{
  SoupServer *server;
  guint port;
  IocHttpLimits limits;
  IocHttpBodyGate gate;
  gpointer gate_data;

  GSocket *listener;
  GSource *accept_source; /* NULL while paused */
  guint retry_id;
  guint sweep_id;

  GHashTable *conns;    /* Conn* set */
  GHashTable *per_peer; /* peer string → count */

  Complaint accept_failed, refusing;

  IocStat *stat_conns, *stat_accept_errors, *stat_paused;
  IocStat *stat_refused_total, *stat_refused_per_client, *stat_refused_fds;
  IocStat *stat_timeouts_request, *stat_timeouts_response;
};

static GQuark conn_quark;

static void
complain (Complaint *c, const gchar *detail)
{
  c->count++;
  c->last = g_get_monotonic_time ();
  if (c->active)
    return;
  c->active = TRUE;
  g_warning ("http: %s: %s (counted, and logged again when it stops)", c->what, detail);
}

static void
complaint_check (Complaint *c, gint64 now)
{
  if (!c->active || now - c->last < QUIET_US)
    return;
  g_message ("http: %s: stopped after %" G_GUINT64_FORMAT " time(s)", c->what, c->count);
  c->active = FALSE;
  c->count = 0;
}

static void
limits_normalize (IocHttpLimits *l)
{
  if (l->header_timeout_us <= 0)
    l->header_timeout_us = IOC_HTTP_DEFAULT_HEADER_TIMEOUT_US;
  if (l->idle_timeout_us <= 0)
    l->idle_timeout_us = IOC_HTTP_DEFAULT_IDLE_TIMEOUT_US;
  if (l->max_connections == 0)
    l->max_connections = IOC_HTTP_DEFAULT_MAX_CONNECTIONS;
  if (l->max_body == 0)
    l->max_body = IOC_HTTP_DEFAULT_MAX_BODY;
}

/* ---- connections ---- */

static Conn *
conn_of (SoupServerMessage *msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);
  return addr != NULL ? g_object_get_qdata (G_OBJECT (addr), conn_quark) : NULL;
}

GSocket *
ioc_http_message_socket (SoupServerMessage *msg)
{
  GSocket *sock = soup_server_message_get_socket (msg);
  if (sock != NULL)
    return sock;
  Conn *c = conn_of (msg);
  return c != NULL ? c->socket : NULL;
}

static void conn_finalized (gpointer data, GObject *where_the_object_was);

static void
conn_forget (Conn *c)
{
  IocHttpServer *self = c->server;
  if (c->conn != NULL)
    g_object_weak_unref (G_OBJECT (c->conn), conn_finalized, c);
  if (c->linger_source != NULL)
    {
      g_source_destroy (c->linger_source);
      g_source_unref (c->linger_source);
    }
  g_object_set_qdata (G_OBJECT (c->remote), conn_quark, NULL);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_peer, c->peer));
  if (n <= 1)
    g_hash_table_remove (self->per_peer, c->peer);
  else
    g_hash_table_insert (self->per_peer, g_strdup (c->peer), GUINT_TO_POINTER (n - 1));
  g_hash_table_remove (self->conns, c);
  ioc_stat_set (self->stat_conns, g_hash_table_size (self->conns));
  GIOStream *stolen = c->stolen;
  if (stolen != NULL)
    g_socket_close (c->socket, NULL);
  g_object_unref (c->socket);
  g_object_unref (c->remote);
  g_free (c->peer);
  g_free (c);
  if (stolen != NULL)
    {
      g_io_stream_close (stolen, NULL, NULL);
      g_object_unref (stolen);
    }
}

static void
conn_finalized (gpointer data, GObject *where_the_object_was)
{
  Conn *c = data;
  c->conn = NULL;
  conn_forget (c);
}

static gboolean
linger_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Conn *c = user_data;
  gchar buf[16 * 1024];
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive_with_blocking (socket, buf, sizeof buf, FALSE, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (n <= 0 || (c->drained += (gsize) n) > LINGER_MAX_BYTES)
        {
          conn_forget (c); /* destroys this source */
          return G_SOURCE_REMOVE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static const gchar *
header_skipped (const gchar *name)
{
  static const gchar *const skip[] = { "Content-Length", "Transfer-Encoding", "Connection", NULL };
  for (guint i = 0; skip[i] != NULL; i++)
    if (g_ascii_strcasecmp (name, skip[i]) == 0)
      return skip[i];
  return NULL;
}

static void
append_header (const char *name, const char *value, gpointer user_data)
{
  if (header_skipped (name) == NULL)
    g_string_append_printf (user_data, "%s: %s\r\n", name, value);
}

/* Sends msg's status and response on a connection refused on its headers,
 * without reading its body: the connection is taken back from libsoup (it
 * would read the body first), the reply written, and the connection closed
 * after a short linger.  msg may be freed on return. */
static void
refuse_request (Conn *c, SoupServerMessage *msg)
{
  guint status = soup_server_message_get_status (msg);
  const gchar *reason = soup_server_message_get_reason_phrase (msg);
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  gsize len = 0;
  const gchar *data = g_bytes_get_data (body, &len);
  g_autoptr (GString) out = g_string_sized_new (512 + len);
  g_string_append_printf (out, "HTTP/1.1 %u %s\r\n", status, reason ? reason : soup_status_get_phrase (status));
  soup_message_headers_foreach (soup_server_message_get_response_headers (msg), append_header, out);
  g_string_append_printf (out, "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
  g_string_append_len (out, data, (gssize) len);

  g_autofree gchar *labels = g_strdup_printf ("status=\"%u\"", status);
  ioc_stat_add (ioc_stat ("iochub_http_bodies_refused_total", labels, IOC_STAT_COUNTER,
                          "Requests refused on their headers, their body unread, by status"),
                1);

  GIOStream *stolen = soup_server_message_steal_connection (msg);
  if (stolen == NULL)
    return;
  c->stolen = stolen;
  c->state = CONN_LINGER;
  c->deadline = g_get_monotonic_time () + LINGER_US;
  /* A few hundred bytes into a fresh socket's buffer: one non-blocking
   * send; a client that cannot take them gets the close. */
  g_socket_send_with_blocking (c->socket, out->str, out->len, FALSE, NULL, NULL);
  g_socket_shutdown (c->socket, FALSE, TRUE, NULL);
  c->linger_source = g_socket_create_source (c->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (c->linger_source, (GSourceFunc) (GCallback) linger_cb, c, NULL);
  g_source_attach (c->linger_source, g_main_context_get_thread_default ());
}

static void
reply_json_error (SoupServerMessage *msg, guint status, const gchar *text)
{
  g_autofree gchar *escaped = g_strescape (text, NULL);
  g_autofree gchar *body = g_strdup_printf ("{\"error\":\"%s\"}\n", escaped);
  ioc_http_reply (msg, status, "application/json", body, strlen (body));
}

static void
refuse_too_large (Conn *c, SoupServerMessage *msg)
{
  g_autofree gchar *text = g_strdup_printf ("request body over %zu bytes ([http] max_body)", c->server->limits.max_body);
  reply_json_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, text);
  refuse_request (c, msg);
}

static void
got_headers_cb (SoupServerMessage *msg, gpointer user_data)
{
  Conn *c = conn_of (msg);
  if (c == NULL || c->state != CONN_REQUEST)
    return;
  IocHttpServer *self = c->server;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  SoupEncoding enc = soup_message_headers_get_encoding (h);
  goffset len = enc == SOUP_ENCODING_CONTENT_LENGTH ? soup_message_headers_get_content_length (h) : 0;
  gboolean has_body = enc == SOUP_ENCODING_CHUNKED || enc == SOUP_ENCODING_EOF || len > 0;
  if (!has_body)
    return;
  /* libsoup refused the request line or headers itself (and would still
   * read the body): send its refusal now. */
  if (soup_server_message_get_status (msg) != 0)
    {
      refuse_request (c, msg);
      return;
    }
  if (self->gate == NULL || !self->gate (msg, self->gate_data))
    {
      if (soup_server_message_get_status (msg) == 0)
        reply_json_error (msg, SOUP_STATUS_UNAUTHORIZED, "this request may not carry a body");
      refuse_request (c, msg);
      return;
    }
  if (len > 0 && (guint64) len > self->limits.max_body)
    refuse_too_large (c, msg);
}

static void
got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  Conn *c = conn_of (msg);
  if (c == NULL || c->state != CONN_REQUEST)
    return;
  c->body_seen += g_bytes_get_size (chunk);
  if (c->body_seen > c->server->limits.max_body)
    refuse_too_large (c, msg);
}

static void
got_body_cb (SoupServerMessage *msg, gpointer user_data)
{
  Conn *c = conn_of (msg);
  if (c == NULL || c->state != CONN_REQUEST)
    return;
  c->state = CONN_RESPONSE;
  c->deadline = g_get_monotonic_time () + c->server->limits.idle_timeout_us;
}

/* A byte left: the client is reading. */
static void
wrote_cb (SoupServerMessage *msg, gpointer user_data)
{
  Conn *c = conn_of (msg);
  if (c != NULL && c->state == CONN_RESPONSE)
    c->deadline = g_get_monotonic_time () + c->server->limits.idle_timeout_us;
}

static void
request_started_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  Conn *c = conn_of (msg);
  if (c == NULL)
    return;
  /* One request per connection: what a connection costs is then bounded
   * by the timeouts above, whatever the client does next. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), NULL);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), NULL);
  g_signal_connect (msg, "got-body", G_CALLBACK (got_body_cb), NULL);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (wrote_cb), NULL);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (wrote_cb), NULL);
}

/* ---- accepting ---- */

/* Open descriptors, or G_MAXUINT when they cannot be counted (which is
 * itself a sign there are none to spare). */
static guint
open_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    return G_MAXUINT;
  guint n = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n > 0 ? n - 1 : 0; /* not the directory's own */
}

/* The reserve in force: never more than half the limit, so that a low
 * `ulimit -n` leaves HTTP (and /healthz) some room rather than none. */
static rlim_t
effective_reserve (guint reserve, rlim_t limit)
{
  return MIN ((rlim_t) reserve, limit / 2);
}

/* Whether the descriptors in use (the accepted one included) reach into
 * the reserve. */
static gboolean
fds_in_reserve (guint reserve)
{
  struct rlimit rl;
  if (reserve == 0 || getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return FALSE;
  reserve = (guint) effective_reserve (reserve, rl.rlim_cur);
  guint n = open_fds ();
  return n == G_MAXUINT || (rlim_t) n > rl.rlim_cur - reserve;
}

static void
refuse_connection (IocHttpServer *self, GSocket *client, const gchar *why, IocStat *stat)
{
  static const gchar body[] = "{\"error\":\"too many connections, retry later\"}\n";
  gchar reply[256];
  gint len = g_snprintf (reply, sizeof reply,
                         "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
                         "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                         sizeof body - 1, body);
  ioc_stat_add (stat, 1);
  complain (&self->refusing, why);
  g_socket_send_with_blocking (client, reply, (gsize) len, FALSE, NULL, NULL);
  g_socket_close (client, NULL);
}

static void
admit (IocHttpServer *self, GSocket *client)
{
  g_socket_set_blocking (client, FALSE);
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (client, NULL);
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (client, NULL);
  if (remote == NULL || local == NULL)
    {
      g_socket_close (client, NULL); /* gone already */
      return;
    }
  g_autofree gchar *peer = G_IS_INET_SOCKET_ADDRESS (remote)
                               ? g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)))
                               : g_strdup ("local");
  guint from_peer = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_peer, peer));
  if (g_hash_table_size (self->conns) >= self->limits.max_connections)
    {
      refuse_connection (self, client, "at [http] max_connections", self->stat_refused_total);
      return;
    }
  if (self->limits.max_per_client > 0 && from_peer >= self->limits.max_per_client)
    {
      refuse_connection (self, client, "a client at [http] max_connections_per_client", self->stat_refused_per_client);
      return;
    }
  if (fds_in_reserve (self->limits.fd_reserve))
    {
      refuse_connection (self, client, "open descriptors within [http] fd_reserve of the limit (ulimit -n)",
                         self->stat_refused_fds);
      return;
    }

  Conn *c = g_new0 (Conn, 1);
  c->server = self;
  c->socket = g_object_ref (client);
  c->remote = g_object_ref (remote);
  c->peer = g_strdup (peer);
  c->state = CONN_REQUEST;
  c->deadline = g_get_monotonic_time () + self->limits.header_timeout_us;
  g_hash_table_add (self->conns, c);
  g_hash_table_insert (self->per_peer, g_steal_pointer (&peer), GUINT_TO_POINTER (from_peer + 1));
  ioc_stat_set (self->stat_conns, g_hash_table_size (self->conns));
  g_object_set_qdata (G_OBJECT (remote), conn_quark, c);

  GSocketConnection *conn = g_socket_connection_factory_create_connection (client);
  c->conn = conn;
  g_object_weak_ref (G_OBJECT (conn), conn_finalized, c);
  g_autoptr (GError) error = NULL;
  if (!soup_server_accept_iostream (self->server, G_IO_STREAM (conn), local, remote, &error))
    {
      g_socket_close (client, NULL);
      complain (&self->accept_failed, error->message);
    }
  g_object_unref (conn); /* libsoup holds it (and c goes when it lets go) */
}

static gboolean accept_cb (GSocket *socket, GIOCondition condition, gpointer user_data);

static void
accept_resume (IocHttpServer *self)
{
  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, (GSourceFunc) (GCallback) accept_cb, self, NULL);
  g_source_attach (self->accept_source, g_main_context_get_thread_default ());
  ioc_stat_set (self->stat_paused, 0);
}

static gboolean
retry_cb (gpointer user_data)
{
  IocHttpServer *self = user_data;
  self->retry_id = 0;
  accept_resume (self);
  return G_SOURCE_REMOVE;
}

static gboolean
accept_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  IocHttpServer *self = user_data;
  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr (GError) error = NULL;
      GSocket *client = g_socket_accept (self->listener, NULL, &error);
      if (client == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
          /* Out of descriptors (or memory, or buffers): the connection
           * stays queued, and retrying at once would spin.  Pause, and
           * come back on our own. */
          ioc_stat_add (self->stat_accept_errors, 1);
          complain (&self->accept_failed, error->message);
          g_clear_pointer (&self->accept_source, g_source_unref); /* destroyed by returning REMOVE */
          ioc_stat_set (self->stat_paused, 1);
          self->retry_id = g_timeout_add (ACCEPT_RETRY_MS, retry_cb, self);
          return G_SOURCE_REMOVE;
        }
      admit (self, client);
      g_object_unref (client);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
sweep_cb (gpointer user_data)
{
  IocHttpServer *self = user_data;
  gint64 now = g_get_monotonic_time ();
  complaint_check (&self->accept_failed, now);
  complaint_check (&self->refusing, now);

  g_autoptr (GPtrArray) due = g_ptr_array_new ();
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, self->conns);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      Conn *c = key;
      if ((c->deadline != 0 && now >= c->deadline) || (c->state != CONN_LINGER && g_socket_is_closed (c->socket)))
        g_ptr_array_add (due, c);
    }
  for (guint i = 0; i < due->len; i++)
    {
      Conn *c = due->pdata[i];
      if (c->state == CONN_LINGER || g_socket_is_closed (c->socket))
        conn_forget (c); /* a linger's end; or closed, with a reference to it left somewhere */
      else
        {
          ioc_stat_add (c->state == CONN_REQUEST ? self->stat_timeouts_request : self->stat_timeouts_response, 1);
          c->deadline = 0;
          /* libsoup sees the end of the stream, ends the message and lets
           * the connection go. */
          g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
        }
    }
  return G_SOURCE_CONTINUE;
}

/* ---- the server ---- */

static GSocket *
listen_on (const gchar *listen, GError **error)
{
  g_autoptr (GSocketConnectable) addr = g_network_address_parse (listen, 8080, error);
  if (addr == NULL)
    {
      g_prefix_error (error, "[http] listen: expected HOST:PORT, got '%s': ", listen);
      return NULL;
    }
  const gchar *host = g_network_address_get_hostname (G_NETWORK_ADDRESS (addr));
  guint16 port = g_network_address_get_port (G_NETWORK_ADDRESS (addr));
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      if (g_strcmp0 (host, "localhost") == 0)
        inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      else
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "[http] listen: expected a numeric address or localhost, got '%s'", host);
          return NULL;
        }
    }
  g_autoptr (GSocketAddress) sockaddr = g_inet_socket_address_new (inet, port);
  g_autoptr (GSocket) sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return NULL;
  g_socket_set_blocking (sock, FALSE);
  g_socket_set_listen_backlog (sock, 256);
  if (!g_socket_bind (sock, sockaddr, TRUE, error) || !g_socket_listen (sock, error))
    {
      g_prefix_error (error, "[http] listen: cannot listen on %s: ", listen);
      return NULL;
    }
  return g_steal_pointer (&sock);
}

IocHttpServer *
ioc_http_server_new (const gchar *listen, const IocHttpLimits *limits, GError **error)
{
  if (conn_quark == 0)
    conn_quark = g_quark_from_static_string ("ioc-http-conn");
  GSocket *listener = listen_on (listen, error);
  if (listener == NULL)
    return NULL;

  IocHttpServer *self = g_new0 (IocHttpServer, 1);
  self->listener = listener;
  ioc_http_server_set_limits (self, limits);
  g_autoptr (GSocketAddress) bound = g_socket_get_local_address (listener, NULL);
  if (bound != NULL && G_IS_INET_SOCKET_ADDRESS (bound))
    self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->conns = g_hash_table_new (NULL, NULL);
  self->per_peer = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->accept_failed.what = "accept() failed; the listener pauses and retries";
  self->refusing.what = "refusing connections";
  self->stat_conns = ioc_stat ("iochub_http_connections", NULL, IOC_STAT_GAUGE, "HTTP connections open");
  self->stat_accept_errors = ioc_stat ("iochub_http_accept_errors_total", NULL, IOC_STAT_COUNTER,
                                       "accept() failures on the HTTP listener (out of descriptors…)");
  self->stat_paused = ioc_stat ("iochub_http_listener_paused", NULL, IOC_STAT_GAUGE,
                                "1 while the HTTP listener waits to retry a failed accept()");
  static const gchar help_refused[] = "HTTP connections refused with 503 at a limit, by limit";
  self->stat_refused_total
      = ioc_stat ("iochub_http_connections_refused_total", "limit=\"max_connections\"", IOC_STAT_COUNTER, help_refused);
  self->stat_refused_per_client = ioc_stat ("iochub_http_connections_refused_total",
                                            "limit=\"max_connections_per_client\"", IOC_STAT_COUNTER, help_refused);
  self->stat_refused_fds
      = ioc_stat ("iochub_http_connections_refused_total", "limit=\"fd_reserve\"", IOC_STAT_COUNTER, help_refused);
  static const gchar help_timeouts[] = "HTTP connections closed by a timeout, by phase";
  self->stat_timeouts_request
      = ioc_stat ("iochub_http_timeouts_total", "phase=\"request\"", IOC_STAT_COUNTER, help_timeouts);
  self->stat_timeouts_response
      = ioc_stat ("iochub_http_timeouts_total", "phase=\"response\"", IOC_STAT_COUNTER, help_timeouts);
  ioc_stat_set (self->stat_conns, 0);
  ioc_stat_set (self->stat_paused, 0);

  self->server = soup_server_new ("server-header", "iochub", NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  accept_resume (self);
  self->sweep_id = g_timeout_add (SWEEP_MS, sweep_cb, self);
  return self;
}

void
ioc_http_server_free (IocHttpServer *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->listener != NULL)
    {
      g_socket_close (self->listener, NULL);
      g_clear_object (&self->listener);
    }
  /* Forget the connections first, so that libsoup letting them go below
   * does not come back to us. */
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, self->conns);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_ptr_array_add (all, key);
  for (guint i = 0; i < all->len; i++)
    conn_forget (all->pdata[i]);
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_object_unref (self->server);
    }
  g_hash_table_unref (self->conns);
  g_hash_table_unref (self->per_peer);
  g_free (self);
}

void
ioc_http_server_set_limits (IocHttpServer *self, const IocHttpLimits *limits)
{
  if (limits != NULL)
    self->limits = *limits;
  else
    memset (&self->limits, 0, sizeof self->limits);
  if (limits == NULL)
    {
      self->limits.max_per_client = IOC_HTTP_DEFAULT_MAX_PER_CLIENT;
      self->limits.fd_reserve = IOC_HTTP_DEFAULT_FD_RESERVE;
    }
  limits_normalize (&self->limits);
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
      && effective_reserve (self->limits.fd_reserve, rl.rlim_cur) < self->limits.fd_reserve)
    g_warning ("http: the descriptor limit (ulimit -n) is %lu: [http] fd_reserve %u is taken as %lu, half of it; "
               "raise LimitNOFILE",
               (gulong) rl.rlim_cur, self->limits.fd_reserve,
               (gulong) effective_reserve (self->limits.fd_reserve, rl.rlim_cur));
}

void
ioc_http_server_set_body_gate (IocHttpServer *self, IocHttpBodyGate gate, gpointer user_data)
{
  self->gate = gate;
  self->gate_data = user_data;
}

void
ioc_http_server_route (IocHttpServer *self, const gchar *path, SoupServerCallback handler, gpointer user_data)
{
  soup_server_add_handler (self->server, path, handler, user_data, NULL);
}

guint
ioc_http_server_port (IocHttpServer *self)
{
  return self->port;
}

SoupServer *
ioc_http_server_soup (IocHttpServer *self)
{
  return self->server;
}

guint
ioc_http_server_n_connections (IocHttpServer *self)
{
  return g_hash_table_size (self->conns);
}

void
ioc_http_reply (SoupServerMessage *msg, guint status, const gchar *content_type, const gchar *body, gsize len)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type ? content_type : "text/plain; charset=utf-8",
                                    SOUP_MEMORY_COPY, body, len);
}
