/* auth.h — who may call what on the hub's HTTP side (SPEC §8).
 *
 * Display tokens are read-only, never expire, and are revoked by removing
 * them from [http] display_tokens (a reload applies it).  Operator tokens
 * ([http] operator_tokens) may also change state (ack, silence).  A token
 * comes as "Authorization: Bearer TOKEN" or "?token=TOKEN" (a wall screen's
 * URL).  With no tokens configured at all, reads are open (a lab set-up);
 * writes always need an operator token.  Main context. */
#pragma once

#include <libsoup/soup.h>

#include "hub-config.h"

G_BEGIN_DECLS

typedef enum
{
  IOC_ACCESS_READ,
  IOC_ACCESS_OPERATE,
} IocAccess;

/* TRUE when allowed; otherwise replies 401/403 with a JSON error and returns FALSE. */
gboolean ioc_api_authorize (SoupServerMessage *msg, GHashTable *query, const IocHubConfig *config, IocAccess need);
/* The token a request carries, or NULL; borrowed from msg or query. */
const gchar *ioc_api_request_token (SoupServerMessage *msg, GHashTable *query);
/* Whether token (NULL: none) may do `need` under config's lists now: for
 * what outlives its request (a live-feed stream) after a reload. */
gboolean ioc_api_token_allows (const IocHubConfig *config, const gchar *token, IocAccess need);

G_END_DECLS
