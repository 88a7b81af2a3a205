/* api-reply.h — what every JSON handler of /api/v1/ does the same way:
 * reply with JSON (compact, never cached: a screen must not be shown
 * yesterday's numbers by a proxy), reply with an error {"error": "…"},
 * read the query parameters, check that a request may read.
 *
 * Used by api-v1, api-history and the alert routes.  Main context
 * (libsoup handlers). */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "hub-config.h"
#include "protocol/ioc-json.h"
#include "model/record.h"

G_BEGIN_DECLS

/* root as compact JSON, with Cache-Control: no-store. */
void      ioc_api_reply_json (SoupServerMessage *msg, guint status, JsonNode *root);
/* Indented, for what operators read with curl (the alert routes). */
void      ioc_api_reply_json_pretty (SoupServerMessage *msg, guint status, JsonNode *root);
/* A JSON text already built (copied), as ioc_api_reply_json. */
void      ioc_api_reply_json_text (SoupServerMessage *msg, guint status, const gchar *json);
/* (transfer full) {"error": message}; a resource may add members. */
JsonNode *ioc_api_error_node (const gchar *message);
/* ioc_api_error_node as ioc_api_reply_json. */
void      ioc_api_reply_error (SoupServerMessage *msg, guint status, const gchar *message);
/* (transfer full) node as compact JSON text. */
gchar    *ioc_api_json_text (JsonNode *node);

/* A query parameter; absent or empty → fallback.  query may be NULL. */
const gchar *ioc_api_query_string (GHashTable *query, const gchar *key, const gchar *fallback);
/* An integer parameter in [min, max]; absent or empty → fallback.  FALSE
 * when it is not such an integer (the caller answers 400). */
gboolean     ioc_api_query_int (GHashTable *query, const gchar *key, gint64 fallback, gint64 min, gint64 max,
                                gint64 *out);

/* measurement= (default ioc_dossier) and field=, an integer field of it
 * (default its first).  FALSE with *message (static) for the 400. */
gboolean     ioc_api_query_field (GHashTable *query, IocMeasurement *m, guint *field, const gchar **message);

/* How a resource words an error reply (api-history adds a member); NULL
 * means ioc_api_reply_error. */
typedef void (*IocApiErrorFunc) (SoupServerMessage *msg, guint status, const gchar *message,
                                 gpointer user_data);

/* A read is GET or HEAD with a token that may read: TRUE.  Otherwise
 * FALSE with the reply set: 401/403 for a token that may not (auth.h), and
 * 405 with "Allow: GET, HEAD" for an operator's other method (refuse words
 * it).  The resources it guards change nothing. */
gboolean ioc_api_authorize_read (SoupServerMessage *msg, GHashTable *query, const IocHubConfig *config,
                                 IocApiErrorFunc refuse, gpointer user_data);

G_END_DECLS
