/* alert-api.c — HTTP handlers for alerts and silences (see alert-api.h).
 *
 * Reads need a display or operator token, writes an operator token
 * (api/auth.h).  The "by" of an ack or silence is what the operator typed;
 * the token only proves the right to write.  After a write the store is
 * saved at once, so an ack survives a SIGKILL a moment later.  Main context. */
#include "alerts/alert-api.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "api/api-reply.h"
#include "api/auth.h"
#include "alerts/alert-rules.h"
#include "protocol/ioc-json.h"
#include "protocol/ioc-time.h"

/* Indented JSON, errors too: operators read these routes with curl. */
static void
reply_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  ioc_api_reply_json_pretty (msg, status, node);
}

static void
reply_error (SoupServerMessage *msg, guint status, const gchar *text)
{
  g_autoptr (JsonNode) n = ioc_api_error_node (text);
  ioc_api_reply_json_pretty (msg, status, n);
}

static void
refuse_read_only (SoupServerMessage *msg, guint status, const gchar *text, gpointer user_data)
{
  reply_error (msg, status, text);
}

/* A method the route does not take.  Anyone but an operator is refused
 * first (401/403), as ioc_api_authorize_read does for the other routes, so
 * that a 405 tells nothing to someone who may not write; an operator gets
 * 405 with the methods the route takes. */
static void
refuse_method (SoupServerMessage *msg, GHashTable *query, const IocHubConfig *config, const gchar *allow)
{
  if (!ioc_api_authorize (msg, query, config, IOC_ACCESS_OPERATE))
    return;
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  g_autofree gchar *text = g_strdup_printf ("this resource takes %s", allow);
  reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, text);
}

static gboolean
is_read (const gchar *method)
{
  return g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
}

static const gchar *
member_str (JsonObject *o, const gchar *name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

/* The request body as a JSON object, or NULL (reply sent). */
static JsonObject *
body_object (SoupServerMessage *msg, JsonParser *parser)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize len = 0;
  const gchar *data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    data = "{}", len = 2;
  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "expected a JSON object");
      return NULL;
    }
  /* json-glib turns an escaped lone surrogate ("\ud800") into bytes that
   * are not UTF-8; a silence's glob made of them would abort the hub at its
   * first match (g_pattern_match_simple), and a note would break the JSON
   * the wall reads. */
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  JsonObjectIter it;
  const gchar *name;
  JsonNode *value;
  json_object_iter_init (&it, o);
  while (json_object_iter_next (&it, &name, &value))
    if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING
        && !g_utf8_validate (json_node_get_string (value), -1, NULL))
      {
        g_autofree gchar *text = g_strdup_printf ("%s: expected UTF-8 text (no lone surrogate escapes)", name);
        reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
        return NULL;
      }
  return o;
}


/* A write: an operator's token, and a body that is a JSON object with the
 * operator's name in "by" (the token proves the right to write, "by" says
 * who did).  NULL with the reply sent otherwise. */
static JsonObject *
operator_body (SoupServerMessage *msg, GHashTable *query, const IocHubConfig *config, JsonParser *parser,
               const gchar **by)
{
  if (!ioc_api_authorize (msg, query, config, IOC_ACCESS_OPERATE))
    return NULL;
  JsonObject *o = body_object (msg, parser);
  if (o == NULL)
    return NULL;
  *by = member_str (o, "by");
  if (*by == NULL || **by == '\0')
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "by: expected the operator's name");
      return NULL;
    }
  return o;
}


static void
alerts_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
           gpointer user_data)
{
  IocAlertApi *api = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  const IocHubConfig *config = api->config (api->data);

  if (g_str_equal (path, "/api/v1/alerts") || g_str_equal (path, "/api/v1/alerts/"))
    {
      if (!ioc_api_authorize_read (msg, query, config, refuse_read_only, NULL))
        return;
      gboolean all = query != NULL && g_strcmp0 (g_hash_table_lookup (query, "all"), "1") == 0;
      g_autoptr (JsonNode) n = ioc_alert_engine_alerts_json (api->engine, all);
      reply_json (msg, SOUP_STATUS_OK, n);
      return;
    }

  /* /api/v1/alerts/{id}/ack or /api/v1/alerts/{rule}/{scope…}/ack: a
   * scope may hold slashes (kind/device, unit/dossier). */
  const gchar *rest = path + strlen ("/api/v1/alerts/");
  gsize rest_len = strlen (rest);
  g_autofree gchar *target = NULL;
  if (rest_len > strlen ("/ack") && g_str_has_suffix (rest, "/ack"))
    {
      g_autofree gchar *escaped = g_strndup (rest, rest_len - strlen ("/ack"));
      target = g_uri_unescape_string (escaped, NULL);
    }
  if (target == NULL || *target == '\0')
    {
      reply_error (msg, SOUP_STATUS_NOT_FOUND, "expected /api/v1/alerts/{id or rule/scope}/ack");
      return;
    }
  if (!g_str_equal (method, "POST"))
    {
      refuse_method (msg, query, config, "POST");
      return;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *by = NULL;
  JsonObject *o = operator_body (msg, query, config, parser, &by);
  if (o == NULL)
    return;
  g_autoptr (GError) error = NULL;
  if (!ioc_alert_engine_ack (api->engine, target, by, member_str (o, "note"), api->now (api->data),
                             &error))
    {
      reply_error (msg, SOUP_STATUS_NOT_FOUND, error->message);
      return;
    }
  api->changed (api->data);
  g_autoptr (JsonNode) n = ioc_alert_engine_alerts_json (api->engine, FALSE);
  reply_json (msg, SOUP_STATUS_OK, n);
}

static void
silences_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
             gpointer user_data)
{
  IocAlertApi *api = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  const IocHubConfig *config = api->config (api->data);
  gint64 now = api->now (api->data);
  gboolean is_root = g_str_equal (path, "/api/v1/silences") || g_str_equal (path, "/api/v1/silences/");

  if (is_root && is_read (method))
    {
      if (!ioc_api_authorize (msg, query, config, IOC_ACCESS_READ))
        return;
      g_autoptr (JsonNode) n = ioc_alert_engine_silences_json (api->engine, now);
      reply_json (msg, SOUP_STATUS_OK, n);
      return;
    }
  if (!is_root && g_str_equal (method, "DELETE"))
    {
      if (!ioc_api_authorize (msg, query, config, IOC_ACCESS_OPERATE))
        return;
      g_autoptr (GError) error = NULL;
      if (!ioc_alert_engine_unsilence (api->engine, path + strlen ("/api/v1/silences/"), &error))
        {
          reply_error (msg, SOUP_STATUS_NOT_FOUND, error->message);
          return;
        }
      api->changed (api->data);
      ioc_http_reply (msg, SOUP_STATUS_NO_CONTENT, NULL, "", 0);
      return;
    }
  if (!is_root || !g_str_equal (method, "POST"))
    {
      refuse_method (msg, query, config, is_root ? "GET, HEAD, POST" : "DELETE");
      return;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *by = NULL;
  JsonObject *o = operator_body (msg, query, config, parser, &by);
  if (o == NULL)
    return;
  const gchar *rule = member_str (o, "rule");
  const gchar *scope = member_str (o, "scope");
  const gchar *duration = member_str (o, "duration");
  const gchar *expires_at = member_str (o, "expires_at");
  gint64 expires = 0, d = 0;
  if (rule == NULL && scope == NULL)
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "rule, scope: expected at least one matcher (glob)");
      return;
    }
  g_autoptr (GError) bad = NULL;
  if (duration != NULL)
    {
      if (!ioc_alert_parse_silence_duration (duration, &d, &bad))
        {
          g_autofree gchar *text = g_strdup_printf ("duration: %s", bad->message);
          reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
          return;
        }
      expires = now + d;
    }
  else if (expires_at != NULL && ioc_time_parse (expires_at, strlen (expires_at), &expires) && expires > now)
    ;
  else
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                   "duration or expires_at: expected a duration such as \"2h\" or a future RFC 3339 time");
      return;
    }
  g_autofree gchar *id = ioc_alert_engine_silence (api->engine, rule, scope, expires, by,
                                                   member_str (o, "comment"), now);
  api->changed (api->data);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_string (b, "id", id);
  json_builder_end_object (b);
  g_autoptr (JsonNode) n = json_builder_get_root (b);
  reply_json (msg, SOUP_STATUS_CREATED, n);
}

void
ioc_alert_api_register (IocHttpServer *http, IocAlertApi *api)
{
  /* libsoup routes a path and everything below it to the handler. */
  ioc_http_server_route (http, "/api/v1/alerts", alerts_cb, api);
  ioc_http_server_route (http, "/api/v1/silences", silences_cb, api);
}
