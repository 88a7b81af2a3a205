/* auth.c — see auth.h. */
#include "api/auth.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "io/http-server.h"
#include "protocol/ioc-json.h"

const gchar *
ioc_api_request_token (SoupServerMessage *msg, GHashTable *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const gchar *auth = soup_message_headers_get_one (headers, "Authorization");
  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    return auth + 7;
  return query != NULL ? g_hash_table_lookup (query, "token") : NULL;
}

/* Constant-time comparison, so a token cannot be guessed byte by byte. */
static gboolean
token_in (const gchar *token, gchar **list)
{
  gboolean found = FALSE;
  gsize len = strlen (token);
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    {
      gsize l = strlen (list[i]);
      guchar diff = (guchar) (l != len);
      for (gsize k = 0; k < len; k++)
        diff |= (guchar) token[k] ^ (guchar) list[i][k < l ? k : 0];
      found |= diff == 0;
    }
  return found;
}

static gboolean
has_any (gchar **list)
{
  return list != NULL && list[0] != NULL;
}

gboolean
ioc_api_token_allows (const IocHubConfig *config, const gchar *token, IocAccess need)
{
  gboolean is_operator = token != NULL && token_in (token, config->operator_tokens);
  if (need == IOC_ACCESS_OPERATE)
    return is_operator;
  /* Reads close only when display tokens are configured: adding operator
   * tokens (to allow acks) must not lock the walls out. */
  if (!has_any (config->display_tokens))
    return TRUE;
  return is_operator || (token != NULL && token_in (token, config->display_tokens));
}

/* The refusal names the token that is missing, so whoever reads it (the
 * wall, curl, iocctl) can say which list in hub.conf to look at. */
static gchar *
refusal_body (const gchar *token, IocAccess need)
{
  const gchar *kind = need == IOC_ACCESS_OPERATE ? "operator" : "display";
  const gchar *list = need == IOC_ACCESS_OPERATE ? "operator_tokens" : "display_tokens";
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  if (token == NULL)
    json_builder_add_string_value (
        b, need == IOC_ACCESS_OPERATE
               ? "an operator token is required ([http] operator_tokens): Authorization: Bearer TOKEN"
               : "a display token is required ([http] display_tokens): Authorization: Bearer TOKEN or ?token=TOKEN");
  else
    {
      g_autofree gchar *text = g_strdup_printf ("this token may not do that: it is not in [http] %s%s", list,
                                                need == IOC_ACCESS_READ ? " or operator_tokens" : "");
      json_builder_add_string_value (b, text);
    }
  ioc_json_string (b, "need", kind);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *text = json_to_string (root, FALSE);
  return g_strconcat (text, "\n", NULL);
}

gboolean
ioc_api_authorize (SoupServerMessage *msg, GHashTable *query, const IocHubConfig *config, IocAccess need)
{
  const gchar *token = ioc_api_request_token (msg, query);
  if (ioc_api_token_allows (config, token, need))
    return TRUE;
  g_autofree gchar *body = refusal_body (token, need);
  ioc_http_reply (msg, token == NULL ? 401 : 403, "application/json", body, strlen (body));
  return FALSE;
}

static gboolean
body_gate (SoupServerMessage *msg, gpointer user_data)
{
  IocHub *hub = user_data;
  /* Outside the API (the wall's files, /healthz, /metrics) nothing reads a
   * body: no need to ask who sends it. */
  if (!g_str_has_prefix (g_uri_get_path (soup_server_message_get_uri (msg)), "/api/"))
    {
      static const gchar body[] = "{\"error\":\"this resource takes no request body\"}\n";
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      ioc_http_reply (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "application/json", body, sizeof body - 1);
      return FALSE;
    }
  const gchar *q = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr (GHashTable) query = q != NULL ? soup_form_decode (q) : NULL;
  return ioc_api_authorize (msg, query, ioc_hub_config (hub), IOC_ACCESS_OPERATE);
}

void
ioc_api_gate_bodies (IocHub *hub)
{
  ioc_http_server_set_body_gate (ioc_hub_http_server (hub), body_gate, hub);
}
