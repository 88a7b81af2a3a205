/* auth.h — who may call what on the hub's HTTP side (SPEC §8).
 *
 * Display tokens are read-only, never expire, and are revoked by removing
 * them from [http] display_tokens (a reload applies it).  Operator tokens
 * ([http] operator_tokens) may also change state (ack, silence).  A token
 * comes as "Authorization: Bearer TOKEN" or "?token=TOKEN" (a wall screen's
 * URL).  Reads are open until display tokens are configured (operator
 * tokens alone do not close them: allowing acks must not lock the walls
 * out); an operator token reads too.  Writes always need an operator
 * token.  A refusal is 401 without a token, 403 with one that may not do
 * that, and its JSON says which token is needed: {"error": "…", "need":
 * "display"|"operator"}.  Main context. */
#pragma once

#include <libsoup/soup.h>

#include "hub.h"

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

/* Makes the hub's HTTP server ask, on the headers of every request to
 * /api/ that announces a body, for an operator token (the only bodies the
 * API reads are operators' writes): without one the request gets its
 * 401/403 before a byte of the body is read.  Outside /api/ a body gets 405
 * (nothing there takes one).  hub outlives its HTTP server. */
void ioc_api_gate_bodies (IocHub *hub);

G_END_DECLS
