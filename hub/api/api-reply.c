/* api-reply.c — see api-reply.h. */
#include "api/api-reply.h"

#include <string.h>

#include "api/auth.h"
#include "protocol/ioc-json.h"

gchar *
ioc_api_json_text (JsonNode *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static void
reply (SoupServerMessage *msg, guint status, gchar *text, gsize len, SoupMemoryUse use)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", use, text, len);
}

void
ioc_api_reply_json (SoupServerMessage *msg, guint status, JsonNode *root)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  gsize len = 0;
  gchar *text = json_generator_to_data (gen, &len);
  reply (msg, status, text, len, SOUP_MEMORY_TAKE);
}

void
ioc_api_reply_json_text (SoupServerMessage *msg, guint status, const gchar *json)
{
  reply (msg, status, (gchar *) json, strlen (json), SOUP_MEMORY_COPY);
}

void
ioc_api_reply_json_pretty (SoupServerMessage *msg, guint status, JsonNode *root)
{
  gchar *text = json_to_string (root, TRUE);
  reply (msg, status, text, strlen (text), SOUP_MEMORY_TAKE);
}

JsonNode *
ioc_api_error_node (const gchar *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_string (b, "error", message);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
ioc_api_reply_error (SoupServerMessage *msg, guint status, const gchar *message)
{
  g_autoptr (JsonNode) root = ioc_api_error_node (message);
  ioc_api_reply_json (msg, status, root);
}

const gchar *
ioc_api_query_string (GHashTable *query, const gchar *key, const gchar *fallback)
{
  const gchar *v = query != NULL ? g_hash_table_lookup (query, key) : NULL;
  return v != NULL && v[0] != '\0' ? v : fallback;
}

gboolean
ioc_api_query_int (GHashTable *query, const gchar *key, gint64 fallback, gint64 min, gint64 max, gint64 *out)
{
  const gchar *v = ioc_api_query_string (query, key, NULL);
  if (v == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  return g_ascii_string_to_signed (v, 10, min, max, out, NULL);
}

gboolean
ioc_api_query_field (GHashTable *query, IocMeasurement *m, guint *field, const gchar **message)
{
  const gchar *mname = ioc_api_query_string (query, "measurement", "ioc_dossier");
  guint mi = 0;
  while (mi < IOC_MEAS_COUNT && g_strcmp0 (mname, ioc_measurement_name ((IocMeasurement) mi)) != 0)
    mi++;
  if (mi == IOC_MEAS_COUNT)
    {
      *message = "measurement: expected ioc_dossier, ioc_queue, ioc_rating or ioc_device";
      return FALSE;
    }
  *m = (IocMeasurement) mi;
  const gchar *fname = ioc_api_query_string (query, "field", ioc_measurement_int_name (*m, 0));
  for (guint f = 0; f < ioc_measurement_n_ints (*m); f++)
    if (g_strcmp0 (fname, ioc_measurement_int_name (*m, f)) == 0)
      {
        *field = f;
        return TRUE;
      }
  *message = "field: not an integer field of that measurement (docs/API.md)";
  return FALSE;
}

gboolean
ioc_api_authorize_read (SoupServerMessage *msg, GHashTable *query, const IocHubConfig *config,
                        IocApiErrorFunc refuse, gpointer user_data)
{
  const gchar *method = soup_server_message_get_method (msg);
  if (g_strcmp0 (method, "GET") == 0 || g_strcmp0 (method, "HEAD") == 0)
    return ioc_api_authorize (msg, query, config, IOC_ACCESS_READ);
  /* Anyone but an operator is refused first (401/403), so the 405 tells
   * nothing about the resource to someone who may not write. */
  if (ioc_api_authorize (msg, query, config, IOC_ACCESS_OPERATE))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      if (refuse != NULL)
        refuse (msg, 405, "this resource is read-only", user_data);
      else
        ioc_api_reply_error (msg, 405, "this resource is read-only");
    }
  return FALSE;
}
