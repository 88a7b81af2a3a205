/* event-source-intake.c — polling and webhook intake for the HTTP/JSON
 * source systems (see event-source.h; the split: event-source-private.h).
 *
 * Hostile input is bounded: a poll response or webhook body over max_body is
 * refused before it is held in memory (Content-Length checked in the early
 * handler; a streamed poll body is cut at the limit), bad JSON and unmappable
 * items are counted through ioc_connector_reject() and never published.  A
 * slow client only holds its own connection: SoupServer is asynchronous, so
 * the main loop keeps serving everyone else.
 *
 * Runs on the main loop only. */
#include "lib/event-source.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "lib/event-source-private.h"

/* Maps and emits one item; refusals are counted, never published. */
static gboolean
take_item (IocEventSource *self, JsonNode *node)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ioc_connector_reject (self->conn, "item", "not a JSON object");
      return FALSE;
    }
  g_autofree gchar *unit = NULL, *type = NULL;
  gint64 ts_us;
  g_autoptr (JsonObject) fields = NULL;
  g_autoptr (GError) error = NULL;
  if (!ioc_event_source_map (self, json_node_get_object (node), &unit, &type, &ts_us, &fields, &error)
      || !ioc_connector_emit (self->conn, unit, type, ts_us, fields, &error))
    {
      ioc_connector_reject (self->conn, "item", error->message);
      return FALSE;
    }
  if (self->seen)
    self->seen (self->kind_state, unit, type, ts_us, fields);
  return TRUE;
}

/* ---- polling ---- */

typedef struct
{
  IocEventSource *self; /* valid unless cancel is cancelled */
  GCancellable *cancel;
  SoupMessage *msg;
  GInputStream *stream;
  GByteArray *body;
} PollReq;

static void
poll_req_free (PollReq *r)
{
  g_object_unref (r->cancel);
  g_clear_object (&r->msg);
  g_clear_object (&r->stream);
  if (r->body)
    g_byte_array_unref (r->body);
  g_free (r);
}

static void poll_next_page (IocEventSource *self);

static void
poll_failed (IocEventSource *self, const gchar *what)
{
  self->polling = FALSE;
  self->healthy = FALSE;
  ioc_connector_reject (self->conn, "poll", what);
}

static void
poll_body_done (IocEventSource *self, GBytes *body)
{
  gsize len;
  const gchar *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  if (!json_parser_load_from_data (parser, data, (gssize) len, &error))
    {
      g_autofree gchar *why = g_strdup_printf ("response is not JSON: %s", error->message);
      poll_failed (self, why);
      return;
    }
  JsonNode *root = json_parser_get_root (parser);
  JsonNode *items = NULL;
  if (root && JSON_NODE_HOLDS_ARRAY (root) && (self->items == NULL || *self->items == '\0'))
    items = root;
  else if (root && JSON_NODE_HOLDS_OBJECT (root) && self->items && *self->items)
    items = ioc_event_source_lookup_path (json_node_get_object (root), self->items);
  if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
    {
      g_autofree gchar *why = g_strdup_printf ("response has no array at '%s'",
                                               self->items ? self->items : "");
      poll_failed (self, why);
      return;
    }
  JsonArray *arr = json_node_get_array (items);
  guint n = json_array_get_length (arr);
  g_autofree gchar *cursor = NULL;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (arr, i);
      take_item (self, item);
      /* The cursor moves past refused items too: they will not get better. */
      if (JSON_NODE_HOLDS_OBJECT (item))
        {
          JsonObject *obj = json_node_get_object (item);
          g_autofree gchar *c
              = ioc_event_source_scalar_text (ioc_event_source_lookup_path (obj, self->cursor_field));
          if (c)
            g_free (cursor), cursor = g_steal_pointer (&c);
        }
    }
  if (JSON_NODE_HOLDS_OBJECT (root) && self->next_cursor && *self->next_cursor)
    {
      JsonObject *obj = json_node_get_object (root);
      g_autofree gchar *c
          = ioc_event_source_scalar_text (ioc_event_source_lookup_path (obj, self->next_cursor));
      if (c)
        g_free (cursor), cursor = g_steal_pointer (&c);
    }
  /* Durable before the next request: messages and cursor in one sync. */
  if (!ioc_connector_commit (self->conn, cursor, &error))
    {
      g_warning ("event source: %s", error->message);
      self->polling = FALSE;
      return;
    }
  self->healthy = TRUE;
  self->last_ok_us = g_get_real_time ();
  if (n > 0 && --self->pages_left > 0)
    poll_next_page (self); /* catching up: the next page now, bounded by max_pages */
  else
    self->polling = FALSE;
}

static void
read_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  PollReq *r = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, &error);
  if (g_cancellable_is_cancelled (r->cancel))
    {
      poll_req_free (r);
      return;
    }
  IocEventSource *self = r->self;
  if (!chunk)
    {
      poll_failed (self, error->message);
      poll_req_free (r);
      return;
    }
  gsize len = g_bytes_get_size (chunk);
  if (len == 0)
    {
      g_autoptr (GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&r->body));
      poll_req_free (r);
      poll_body_done (self, body);
      return;
    }
  if (r->body->len + len > self->max_body)
    {
      g_autofree gchar *why = g_strdup_printf ("response over max_body %" G_GUINT64_FORMAT " bytes",
                                               self->max_body);
      poll_failed (self, why);
      poll_req_free (r);
      return;
    }
  g_byte_array_append (r->body, g_bytes_get_data (chunk, NULL), (guint) len);
  g_input_stream_read_bytes_async (r->stream, 65536, G_PRIORITY_DEFAULT, r->cancel, read_cb, r);
}

static void
send_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  PollReq *r = data;
  g_autoptr (GError) error = NULL;
  r->stream = soup_session_send_finish (SOUP_SESSION (source), res, &error);
  if (g_cancellable_is_cancelled (r->cancel))
    {
      poll_req_free (r);
      return;
    }
  IocEventSource *self = r->self;
  if (!r->stream)
    {
      poll_failed (self, error->message);
      poll_req_free (r);
      return;
    }
  guint status = soup_message_get_status (r->msg);
  goffset clen = soup_message_headers_get_content_length (soup_message_get_response_headers (r->msg));
  if (status != 200)
    {
      g_autofree gchar *why = g_strdup_printf ("HTTP %u from %s", status, self->url);
      poll_failed (self, why);
      poll_req_free (r);
      return;
    }
  if (clen > 0 && (guint64) clen > self->max_body)
    {
      g_autofree gchar *why = g_strdup_printf ("response of %" G_GINT64_FORMAT " bytes is over "
                                               "max_body", (gint64) clen);
      poll_failed (self, why);
      poll_req_free (r);
      return;
    }
  r->body = g_byte_array_new ();
  g_input_stream_read_bytes_async (r->stream, 65536, G_PRIORITY_DEFAULT, r->cancel, read_cb, r);
}

static void
poll_next_page (IocEventSource *self)
{
  const gchar *cursor = ioc_connector_cursor (self->conn);
  g_autofree gchar *uri = NULL;
  if (cursor)
    {
      g_autofree gchar *esc = g_uri_escape_string (cursor, NULL, FALSE);
      uri = g_strdup_printf ("%s%c%s=%s", self->url, strchr (self->url, '?') ? '&' : '?',
                             self->cursor_param, esc);
    }
  else
    uri = g_strdup (self->url);
  SoupMessage *msg = soup_message_new ("GET", uri);
  if (!msg)
    {
      poll_failed (self, "bad URL");
      return;
    }
  if (self->token)
    {
      g_autofree gchar *auth = g_strdup_printf ("Bearer %s", self->token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  PollReq *r = g_new0 (PollReq, 1);
  r->self = self;
  r->cancel = g_object_ref (self->cancel);
  r->msg = msg;
  self->polling = TRUE;
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, r->cancel, send_cb, r);
}

void
ioc_event_source_poll (IocEventSource *self)
{
  if (!self->url || self->polling)
    return; /* one request at a time: a slow source is not piled on */
  self->pages_left = (gint) self->max_pages;
  poll_next_page (self);
}

/* ---- webhook ---- */

static void
reply (SoupServerMessage *msg, guint status, const gchar *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

/* Before the body is read: refuse what is too big or unbounded. */
static void
early_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
          gpointer data)
{
  IocEventSource *self = data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  if (strcmp (soup_server_message_get_method (msg), "POST") != 0)
    {
      reply (msg, 405, "{\"error\":\"POST only\"}");
      return;
    }
  if (soup_message_headers_get_encoding (h) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      ioc_connector_reject (self->conn, "webhook", "no Content-Length");
      reply (msg, 411, "{\"error\":\"Content-Length required\"}");
      return;
    }
  if ((guint64) soup_message_headers_get_content_length (h) > self->max_body)
    {
      ioc_connector_reject (self->conn, "webhook", "body over max_body");
      reply (msg, 413, "{\"error\":\"body too large\"}");
      return;
    }
  if (self->token)
    {
      const gchar *auth = soup_message_headers_get_one (h, "Authorization");
      g_autofree gchar *want = g_strdup_printf ("Bearer %s", self->token);
      if (g_strcmp0 (auth, want) != 0)
        {
          ioc_connector_reject (self->conn, "webhook", "bad or missing token");
          reply (msg, 401, "{\"error\":\"unauthorized\"}");
        }
    }
}

static void
webhook_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer data)
{
  IocEventSource *self = data;
  if (soup_server_message_get_status (msg) != 0 && soup_server_message_get_status (msg) != 200)
    return; /* already refused early */
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize len;
  const gchar *data_p = g_bytes_get_data (bytes, &len);
  if (len > self->max_body)
    {
      ioc_connector_reject (self->conn, "webhook", "body over max_body");
      reply (msg, 413, "{\"error\":\"body too large\"}");
      return;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  if (!json_parser_load_from_data (parser, data_p ? data_p : "", (gssize) len, &error)
      || json_parser_get_root (parser) == NULL)
    {
      ioc_connector_reject (self->conn, "webhook", error ? error->message : "empty body");
      reply (msg, 400, "{\"error\":\"body is not JSON\"}");
      return;
    }
  JsonNode *root = json_parser_get_root (parser);
  guint accepted = 0, refused = 0;
  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *arr = json_node_get_array (root);
      for (guint i = 0; i < json_array_get_length (arr); i++)
        take_item (self, json_array_get_element (arr, i)) ? accepted++ : refused++;
    }
  else
    take_item (self, root) ? accepted++ : refused++;
  /* Durable before we say 200: the source may forget it after that. */
  if (!ioc_connector_commit (self->conn, NULL, &error))
    {
      g_warning ("webhook: %s", error->message);
      reply (msg, 503, "{\"error\":\"cannot store\"}");
      return;
    }
  g_autofree gchar *answer = g_strdup_printf ("{\"accepted\":%u,\"refused\":%u}", accepted, refused);
  reply (msg, refused && !accepted ? 422 : 200, answer);
}

gboolean
ioc_event_source_start (IocEventSource *self, IocConnector *conn, IocEventSeenFunc seen,
                        gpointer kind_state, GError **error)
{
  self->conn = conn;
  self->seen = seen;
  self->kind_state = kind_state;
  self->cancel = g_cancellable_new ();
  self->last_ok_us = g_get_real_time ();
  self->healthy = TRUE;
  if (self->url)
    {
      guint secs = (guint) MAX (1, self->timeout_us / G_TIME_SPAN_SECOND);
      self->session = soup_session_new_with_options ("timeout", secs, "idle-timeout", 60,
                                                     "user-agent", "ioc-connector", NULL);
    }
  if (self->listen)
    {
      guint port = 0;
      ioc_event_source_parse_listen (self->listen, &port);
      self->server = soup_server_new ("server-header", "ioc-connector", NULL);
      soup_server_add_early_handler (self->server, self->path, early_cb, self, NULL);
      soup_server_add_handler (self->server, self->path, webhook_cb, self, NULL);
      g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, (guint16) port);
      if (!soup_server_listen (self->server, addr, 0, error))
        {
          g_prefix_error (error, "%s: [%s] listen %s: ", self->cfg_path, self->group, self->listen);
          return FALSE;
        }
      GSList *uris = soup_server_get_uris (self->server);
      if (uris)
        self->port = (guint) g_uri_get_port (uris->data);
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
      g_message ("webhook: listening on 127.0.0.1:%u%s", self->port, self->path);
    }
  return TRUE;
}

gint64
ioc_event_source_last_ok (IocEventSource *self)
{
  return self->last_ok_us;
}

gboolean
ioc_event_source_is_healthy (IocEventSource *self)
{
  return self->healthy;
}

guint
ioc_event_source_port (IocEventSource *self)
{
  return self->port;
}
