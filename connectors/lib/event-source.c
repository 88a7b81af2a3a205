/* event-source.c — polling and webhook intake for the HTTP/JSON source
 * systems, and the config-driven field mapping (see event-source.h).
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

#include "lib/envelope-writer.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-time.h"
#include "protocol/ioc-topic.h"

struct _IocEventSource
{
  gchar *cfg_path;
  gchar *group;
  gchar *url;
  gchar *listen;
  gchar *path;
  gchar *token;
  gchar *cursor_param;
  gchar *items;
  gchar *next_cursor;
  gchar *cursor_field;
  gchar *type_field;
  gchar *fixed_type;
  gchar *ts_field;
  gchar *unit_field;
  gint64 timeout_us;
  guint64 max_body;
  gint64 max_pages;
  GHashTable *map;    /* spec field → source path */
  GHashTable *types;  /* source type → spec type */
  GHashTable *values; /* "field\nsource value" → JsonNode */

  IocConnector *conn;
  IocEventSeenFunc seen;
  gpointer kind_state;
  SoupSession *session;
  SoupServer *server;
  guint port;
  GCancellable *cancel;
  gboolean polling;
  gint pages_left;
  gint64 last_ok_us;
  gboolean healthy;
};

/* ---- configuration ---- */

static const gchar *const plain_keys[] = {
  "url", "listen", "path", "token", "cursor_param", "items", "next_cursor", "cursor_field",
  "type_field", "type", "ts_field", "unit_field", "timeout", "max_body", "max_pages",
  /* kind-specific keys handled by the kind file */
  "scale", "offline_after", NULL,
};

void
ioc_event_source_free (IocEventSource *self)
{
  if (self == NULL)
    return;
  if (self->cancel)
    {
      g_cancellable_cancel (self->cancel);
      g_object_unref (self->cancel);
    }
  if (self->server)
    {
      soup_server_disconnect (self->server);
      g_object_unref (self->server);
    }
  g_clear_object (&self->session);
  g_free (self->cfg_path);
  g_free (self->group);
  g_free (self->url);
  g_free (self->listen);
  g_free (self->path);
  g_free (self->token);
  g_free (self->cursor_param);
  g_free (self->items);
  g_free (self->next_cursor);
  g_free (self->cursor_field);
  g_free (self->type_field);
  g_free (self->fixed_type);
  g_free (self->ts_field);
  g_free (self->unit_field);
  g_hash_table_unref (self->map);
  g_hash_table_unref (self->types);
  g_hash_table_unref (self->values);
  g_free (self);
}

static gboolean
cfg_error (GError **error, IocEventSource *self, const gchar *key, const gchar *expected,
           const gchar *got)
{
  g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: expected %s, got '%s'",
               self->cfg_path, self->group, key, expected, got ? got : "");
  return FALSE;
}

static gboolean
parse_listen (const gchar *listen, guint *port)
{
  const gchar *colon = strrchr (listen, ':');
  if (!colon || strncmp (listen, "127.0.0.1", (gsize) (colon - listen)) != 0)
    return FALSE;
  guint64 p;
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &p, NULL))
    return FALSE;
  *port = (guint) p;
  return TRUE;
}

/* Long on purpose: the keys of the [<kind>] group in the order
 * docs/CONNECTORS.md lists them, each refused where it is read. */
static IocEventSource *
configure (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group,
           gboolean intake, const gchar *const *own_keys, GError **error)
{
  g_autoptr (IocEventSource) self = g_new0 (IocEventSource, 1);
  self->cfg_path = g_strdup (kf->path);
  self->group = g_strdup (group);
  self->map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) json_node_unref);
  struct
  {
    const gchar *key, *def;
    gchar **out;
  } strs[] = {
    { "url", NULL, &self->url },
    { "listen", NULL, &self->listen },
    { "path", "/events", &self->path },
    { "token", NULL, &self->token },
    { "cursor_param", "after", &self->cursor_param },
    { "items", "items", &self->items },
    { "next_cursor", "cursor", &self->next_cursor },
    { "cursor_field", "id", &self->cursor_field },
    { "type_field", "type", &self->type_field },
    { "type", NULL, &self->fixed_type },
    { "ts_field", "ts", &self->ts_field },
    { "unit_field", NULL, &self->unit_field },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (strs); i++)
    {
      g_autoptr (GError) local = NULL;
      *strs[i].out = ioc_keyfile_string (kf, group, strs[i].key, strs[i].def, FALSE, &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      if (*strs[i].out && **strs[i].out == '\0' && strs[i].def == NULL)
        g_clear_pointer (strs[i].out, g_free);
    }
  if (!intake && (self->url || self->listen))
    return cfg_error (error, self, self->url ? "url" : "listen",
                      "nothing (this kind reads its own source; see its sample)",
                      self->url ? self->url : self->listen), NULL;
  if (intake && !self->url && !self->listen)
    return cfg_error (error, self, "url", "an http:// URL to poll, or listen = 127.0.0.1:PORT "
                      "for a webhook (or both)", ""), NULL;
  if (self->url && !g_str_has_prefix (self->url, "http://") && !g_str_has_prefix (self->url, "https://"))
    return cfg_error (error, self, "url", "an http:// or https:// URL", self->url), NULL;
  guint port;
  if (self->listen && !parse_listen (self->listen, &port))
    return cfg_error (error, self, "listen", "127.0.0.1:PORT (loopback only)", self->listen), NULL;
  if (self->path[0] != '/')
    return cfg_error (error, self, "path", "a path starting with /", self->path), NULL;
  /* SPEC §4: a portal publishes one event type. */
  if (!self->fixed_type && cfg->kind == IOC_KIND_PORTAL)
    self->fixed_type = g_strdup ("dossier");
  if (self->fixed_type)
    {
      IocEventType t;
      if (!ioc_event_type_from_string (self->fixed_type, strlen (self->fixed_type), &t)
          || ioc_event_type_kind (t) != cfg->kind)
        return cfg_error (error, self, "type", "an event type of this kind", self->fixed_type), NULL;
    }
  if (!ioc_keyfile_duration (kf, group, "timeout", 10 * G_TIME_SPAN_SECOND,
                             100 * G_TIME_SPAN_MILLISECOND, 300 * G_TIME_SPAN_SECOND,
                             &self->timeout_us, error)
      || !ioc_keyfile_size (kf, group, "max_body", 1024 * 1024, 1024, 64 * 1024 * 1024,
                            &self->max_body, error)
      || !ioc_keyfile_int (kf, group, "max_pages", 10, 1, 1000, &self->max_pages, error))
    return NULL;

  g_auto (GStrv) keys = g_key_file_get_keys (kf->kf, group, NULL, NULL);
  for (guint i = 0; keys && keys[i]; i++)
    {
      const gchar *k = keys[i];
      g_autofree gchar *v = g_key_file_get_string (kf->kf, group, k, NULL);
      if (v == NULL)
        v = g_strdup ("");
      IocFieldType ft;
      if (g_str_has_prefix (k, "map."))
        {
          const gchar *f = k + 4;
          if (!ioc_envelope_field_type (f, &ft) && strcmp (f, "channel") != 0)
            return cfg_error (error, self, k, "map.<a SPEC §4 field> (e.g. map.ticket)", k), NULL;
          if (*v == '\0')
            return cfg_error (error, self, k, "a source field path such as data.ticket_no", v), NULL;
          g_hash_table_replace (self->map, g_strdup (f), g_strdup (v));
        }
      else if (g_str_has_prefix (k, "type."))
        {
          IocEventType t;
          if (!ioc_event_type_from_string (v, strlen (v), &t) || ioc_event_type_kind (t) != cfg->kind)
            return cfg_error (error, self, k, "an event type of this kind (SPEC §4)", v), NULL;
          g_hash_table_replace (self->types, g_strdup (k + 5), g_strdup (v));
        }
      else if (g_str_has_prefix (k, "value."))
        {
          const gchar *rest = k + 6;
          const gchar *dot = strchr (rest, '.');
          if (!dot || dot == rest || dot[1] == '\0')
            return cfg_error (error, self, k, "value.<SPEC field>.<source value>", k), NULL;
          g_autoptr (JsonParser) jp = json_parser_new ();
          if (!json_parser_load_from_data (jp, v, -1, NULL) || !json_parser_get_root (jp)
              || !JSON_NODE_HOLDS_VALUE (json_parser_get_root (jp)))
            return cfg_error (error, self, k, "a JSON value (2, true, \"web\")", v), NULL;
          g_autofree gchar *field = g_strndup (rest, (gsize) (dot - rest));
          g_hash_table_replace (self->values, g_strdup_printf ("%s\n%s", field, dot + 1),
                                json_node_copy (json_parser_get_root (jp)));
        }
      else if (!g_strv_contains (plain_keys, k) && !(own_keys && g_strv_contains (own_keys, k)))
        return cfg_error (error, self, k, "a known key (url, listen, map.*, type.*, value.* …; "
                          "see connectors/samples)", k), NULL;
    }
  return g_steal_pointer (&self);
}

IocEventSource *
ioc_event_source_configure (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group,
                            GError **error)
{
  return configure (cfg, kf, group, TRUE, NULL, error);
}

IocEventSource *
ioc_event_source_configure_mapping (const IocConnectorConfig *cfg, IocKeyFile *kf,
                                    const gchar *group, const gchar *const *own_keys,
                                    GError **error)
{
  return configure (cfg, kf, group, FALSE, own_keys, error);
}

/* ---- mapping ---- */

static JsonNode *
lookup_path (JsonObject *obj, const gchar *path)
{
  g_auto (GStrv) parts = g_strsplit (path, ".", 8);
  JsonNode *node = NULL;
  for (guint i = 0; parts[i]; i++)
    {
      if (obj == NULL || !json_object_has_member (obj, parts[i]))
        return NULL;
      node = json_object_get_member (obj, parts[i]);
      obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  return node;
}

/* (transfer full) The node as a short string key, for type.* and value.*. */
static gchar *
scalar_text (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  GType t = json_node_get_value_type (node);
  if (t == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (t == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (t == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  if (t == G_TYPE_DOUBLE)
    {
      gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
    }
  return NULL;
}

/* Coerces a source value to the SPEC type where that is lossless. */
static JsonNode *
coerce (JsonNode *node, IocFieldType ft)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  GType t = json_node_get_value_type (node);
  if (ft == IOC_FIELD_STRING && t == G_TYPE_INT64)
    {
      g_autofree gchar *s = scalar_text (node);
      return json_node_init_string (json_node_alloc (), s);
    }
  if (ft == IOC_FIELD_INT && t == G_TYPE_STRING)
    {
      gint64 v;
      if (g_ascii_string_to_signed (json_node_get_string (node), 10, G_MININT64, G_MAXINT64, &v, NULL))
        return json_node_init_int (json_node_alloc (), v);
    }
  return json_node_copy (node);
}

static const gchar *const all_fields[] = {
  "counter", "officer", "ticket", "wait_s", "service_s", "dossier", "service", "priority",
  "level", "scale", "channel", "camera", "procedure", "state", "received_at", "due_at",
  "supplements", "fee", "paid_online", "digitized", "e_result", "applicant_commune", NULL,
};

gboolean
ioc_event_source_map (IocEventSource *self, JsonObject *item, gchar **out_unit, gchar **out_type,
                      gint64 *out_ts_us, JsonObject **out_fields, GError **error)
{
  g_autofree gchar *type = NULL;
  if (self->fixed_type)
    type = g_strdup (self->fixed_type);
  else
    {
      g_autofree gchar *src = scalar_text (lookup_path (item, self->type_field));
      if (!src)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "no type in field %s", self->type_field);
          return FALSE;
        }
      const gchar *mapped = g_hash_table_lookup (self->types, src);
      type = g_strdup (mapped ? mapped : src);
    }

  JsonNode *tsn = lookup_path (item, self->ts_field);
  gint64 ts_us = 0;
  if (tsn && JSON_NODE_HOLDS_VALUE (tsn) && json_node_get_value_type (tsn) == G_TYPE_INT64
      && json_node_get_int (tsn) > 0)
    ts_us = json_node_get_int (tsn) * 1000;
  else if (tsn && JSON_NODE_HOLDS_VALUE (tsn) && json_node_get_value_type (tsn) == G_TYPE_STRING)
    {
      const gchar *s = json_node_get_string (tsn);
      if (!ioc_time_parse (s, strlen (s), &ts_us))
        ts_us = 0;
    }
  if (ts_us == 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED,
                   "field %s: expected RFC 3339 time with offset or epoch ms", self->ts_field);
      return FALSE;
    }

  g_autofree gchar *unit = NULL;
  if (self->unit_field)
    {
      unit = scalar_text (lookup_path (item, self->unit_field));
      if (!unit || !ioc_topic_is_unit_code (unit, strlen (unit)))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "field %s: expected a unit code",
                       self->unit_field);
          return FALSE;
        }
    }

  g_autoptr (JsonObject) fields = json_object_new ();
  for (guint i = 0; all_fields[i]; i++)
    {
      const gchar *f = all_fields[i];
      const gchar *src_path = g_hash_table_lookup (self->map, f);
      JsonNode *node = lookup_path (item, src_path ? src_path : f);
      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        continue;
      g_autofree gchar *text = scalar_text (node);
      if (text && g_hash_table_size (self->values) > 0)
        {
          g_autofree gchar *key = g_strdup_printf ("%s\n%s", f, text);
          JsonNode *v = g_hash_table_lookup (self->values, key);
          if (v)
            {
              json_object_set_member (fields, f, json_node_copy (v));
              continue;
            }
        }
      IocFieldType ft;
      if (strcmp (f, "channel") == 0)
        ft = strcmp (type, "dossier") == 0 ? IOC_FIELD_INT : IOC_FIELD_STRING;
      else
        ioc_envelope_field_type (f, &ft);
      JsonNode *c = coerce (node, ft);
      if (c)
        json_object_set_member (fields, f, c);
    }
  *out_unit = g_steal_pointer (&unit);
  *out_type = g_steal_pointer (&type);
  *out_ts_us = ts_us;
  *out_fields = g_steal_pointer (&fields);
  return TRUE;
}

gboolean
ioc_event_source_emit (IocEventSource *self, IocConnector *conn, JsonObject *item,
                       IocEventSeenFunc seen, gpointer kind_state, GError **error)
{
  g_autofree gchar *unit = NULL, *type = NULL;
  gint64 ts_us;
  g_autoptr (JsonObject) fields = NULL;
  if (!ioc_event_source_map (self, item, &unit, &type, &ts_us, &fields, error)
      || !ioc_connector_emit (conn, unit, type, ts_us, fields, error))
    return FALSE;
  if (seen)
    seen (kind_state, unit, type, ts_us, fields);
  return TRUE;
}

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
    items = lookup_path (json_node_get_object (root), self->items);
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
          g_autofree gchar *c = scalar_text (lookup_path (json_node_get_object (item),
                                                          self->cursor_field));
          if (c)
            g_free (cursor), cursor = g_steal_pointer (&c);
        }
    }
  if (JSON_NODE_HOLDS_OBJECT (root) && self->next_cursor && *self->next_cursor)
    {
      g_autofree gchar *c = scalar_text (lookup_path (json_node_get_object (root), self->next_cursor));
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
      parse_listen (self->listen, &port);
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
