/* auth.c — see auth.h. */
#include "api/auth.h"

#include <string.h>

#include "io/http-server.h"

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

gboolean
ioc_api_token_allows (const IocHubConfig *config, const gchar *token, IocAccess need)
{
  gboolean any_tokens = (config->display_tokens && config->display_tokens[0])
                        || (config->operator_tokens && config->operator_tokens[0]);
  gboolean is_operator = token != NULL && token_in (token, config->operator_tokens);
  gboolean is_display = token != NULL && token_in (token, config->display_tokens);
  return need == IOC_ACCESS_OPERATE ? is_operator : (is_operator || is_display || !any_tokens);
}

gboolean
ioc_api_authorize (SoupServerMessage *msg, GHashTable *query, const IocHubConfig *config, IocAccess need)
{
  const gchar *token = ioc_api_request_token (msg, query);
  if (ioc_api_token_allows (config, token, need))
    return TRUE;
  const gchar *body = token == NULL ? "{\"error\":\"a token is required (Authorization: Bearer TOKEN)\"}\n"
                                    : "{\"error\":\"this token may not do that\"}\n";
  ioc_http_reply (msg, token == NULL ? 401 : 403, "application/json", body, strlen (body));
  return FALSE;
}
