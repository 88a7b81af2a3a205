/* iocctl-http.c — see iocctl-http.h.  Single-threaded tool code. */
#include "iocctl-http.h"

#include <curl/curl.h>

#include "iocctl-cli.h"
#include "protocol/ioc-error.h"

static size_t
curl_body_cb (char *ptr, size_t size, size_t n, void *user_data)
{
  g_string_append_len (user_data, ptr, size * n);
  return size * n;
}

gchar *
ioc_ctl_http_request (const gchar *method, const gchar *url, const gchar *token, const gchar *json_body,
                      glong timeout_s, glong *status, GError **error)
{
  CURL *curl = curl_easy_init ();
  g_autoptr (GString) body = g_string_new (NULL);
  struct curl_slist *headers = NULL;
  g_autofree gchar *auth = token ? g_strdup_printf ("Authorization: Bearer %s", token) : NULL;
  if (auth)
    headers = curl_slist_append (headers, auth);
  if (json_body)
    {
      headers = curl_slist_append (headers, "Content-Type: application/json");
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, json_body);
    }
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, curl_body_cb);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, body);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform (curl);
  *status = 0;
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, status);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
  if (rc != CURLE_OK)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "%s %s: %s", method, url, curl_easy_strerror (rc));
      return NULL;
    }
  return g_string_free (g_steal_pointer (&body), FALSE);
}

gchar *
ioc_ctl_answer_error (const gchar *body)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (json_parser_load_from_data (p, body, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    {
      const gchar *e = json_object_get_string_member_with_default (json_node_get_object (json_parser_get_root (p)),
                                                                   "error", NULL);
      if (e != NULL)
        return g_strdup (e);
    }
  return g_strstrip (g_strdup (body));
}

JsonNode *
ioc_ctl_api_call (const gchar *command, const gchar *method, const gchar *base, const gchar *path, const gchar *token,
                  JsonBuilder *b, int *rc)
{
  g_autofree gchar *payload = NULL;
  if (b != NULL)
    {
      g_autoptr (JsonNode) root = json_builder_get_root (b);
      payload = json_to_string (root, FALSE);
    }
  g_autofree gchar *api = g_strconcat (base, path, NULL);
  g_autoptr (GError) error = NULL;
  glong status;
  g_autofree gchar *body = ioc_ctl_http_request (method, api, token, payload, 10, &status, &error);
  *rc = EXIT_GOOD;
  if (body == NULL)
    {
      g_printerr ("iocctl %s: %s\n", command, error->message);
      *rc = EXIT_CHECK;
      return NULL;
    }
  if (status < 200 || status >= 300)
    {
      g_autofree gchar *why = ioc_ctl_answer_error (body);
      g_printerr ("iocctl %s: %s %s: HTTP %ld: %s\n", command, method, api, status, why);
      *rc = EXIT_CHECK;
      return NULL;
    }
  if (status == 204 || *body == '\0')
    return NULL;
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, body, -1, NULL) || json_parser_get_root (p) == NULL)
    {
      g_printerr ("iocctl %s: %s %s: the answer is not JSON\n", command, method, api);
      *rc = EXIT_CHECK;
      return NULL;
    }
  return json_node_copy (json_parser_get_root (p));
}

JsonArray *
ioc_ctl_api_get_list (const gchar *command, const gchar *base, const gchar *path, const gchar *token,
                      const gchar *member, gboolean json, JsonNode **root, int *rc)
{
  *root = ioc_ctl_api_call (command, "GET", base, path, token, NULL, rc);
  if (*root == NULL)
    {
      if (*rc == EXIT_GOOD)
        *rc = EXIT_CHECK;
      return NULL;
    }
  if (json)
    {
      g_autofree gchar *text = json_to_string (*root, TRUE);
      g_print ("%s\n", text);
      *rc = EXIT_GOOD;
      return NULL;
    }
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (*root) ? json_node_get_object (*root) : NULL;
  if (o == NULL || !json_object_has_member (o, member) || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, member)))
    {
      g_printerr ("iocctl %s: %s%s: expected {\"%s\": […]}\n", command, base, path, member);
      *rc = EXIT_CHECK;
      return NULL;
    }
  return json_object_get_array_member (o, member);
}
