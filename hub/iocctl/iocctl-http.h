/* iocctl-http.h — iocctl's client of the hub's HTTP API (SPEC §6): one
 * request with libcurl, and the helpers that turn the hub's answers into
 * JSON or into the messages and exit statuses the commands print.
 * Single-threaded tool code; curl_global_init() is main()'s. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Sends method to url, with "Authorization: Bearer token" when token is
 * not NULL and json_body as an application/json body when not NULL; gives
 * up after timeout_s seconds.  The body of the answer, whatever its status
 * (in *status), or NULL with error when no answer came ("METHOD URL: why").
 * (transfer full) */
gchar *ioc_ctl_http_request (const gchar *method, const gchar *url, const gchar *token, const gchar *json_body,
                             glong timeout_s, glong *status, GError **error);

/* The "error" member of the hub's JSON answer, or the body itself, trimmed.
 * (transfer full) */
gchar *ioc_ctl_answer_error (const gchar *body);

/* Sends method to base + path with b's document as the body (b may be
 * NULL).  The parsed JSON answer (transfer full), or NULL when the hub
 * answered nothing (204) with *rc EXIT_GOOD, or NULL with "iocctl COMMAND:
 * why" printed and *rc the exit status for a failure. */
JsonNode *ioc_ctl_api_call (const gchar *command, const gchar *method, const gchar *base, const gchar *path,
                            const gchar *token, JsonBuilder *b, int *rc);

/* GETs a list the hub answers as {"MEMBER": […]}.  With json the answer is
 * printed whole and NULL is returned with *rc EXIT_GOOD; on any failure
 * NULL with a message printed and *rc the exit status.  *root (transfer
 * full) keeps the answer the array belongs to. */
JsonArray *ioc_ctl_api_get_list (const gchar *command, const gchar *base, const gchar *path, const gchar *token,
                                 const gchar *member, gboolean json, JsonNode **root, int *rc);

G_END_DECLS
