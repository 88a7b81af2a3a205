/* remote-config.c — checks a pushed connector config and formats the
 * answer (see remote-config.h).  Where in the flow: publisher.c receives the
 * message on Paho's thread and hands it to the main loop; connector.c calls
 * ioc_remote_config_check() there and, on success, swaps the kind's state.
 * Main loop only; nothing here blocks except reading the startup file once. */
#include "lib/remote-config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "protocol/ioc-error.h"

gchar *
ioc_remote_config_topic (const IocConnectorConfig *cfg)
{
  return g_strdup_printf ("ioc/v1/%s/config/%s", cfg->province, cfg->id);
}

gchar *
ioc_remote_config_applied_topic (const IocConnectorConfig *cfg)
{
  return g_strdup_printf ("ioc/v1/%s/config/%s/applied", cfg->province, cfg->id);
}

gchar *
ioc_remote_config_version (const void *data, gsize len)
{
  g_autofree gchar *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
  return g_strndup (hex, 12);
}

gchar *
ioc_remote_config_file_version (const gchar *path)
{
  g_autofree gchar *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, NULL))
    return NULL;
  return ioc_remote_config_version (data, len);
}

static gboolean
same (GError **error, const gchar *path, const gchar *group, const gchar *key,
      const gchar *running, const gchar *got)
{
  if (g_strcmp0 (running, got) == 0)
    return TRUE;
  /* Identity is the broker account, the topics and the seq stream: a
   * remote change would make the connector publish as someone else. */
  g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
               "%s: [%s] %s: expected the running value '%s' (it cannot change without a "
               "restart), got '%s'", path, group, key, running ? running : "", got ? got : "");
  return FALSE;
}

IocConnectorConfig *
ioc_remote_config_check (const IocConnectorConfig *running, const IocConnectorKind *kind,
                         const void *data, gsize len, gpointer *kstate, GError **error)
{
  const gchar *p = running->path;
  *kstate = NULL;
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, (gssize) len, NULL))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: expected a UTF-8 key file", p);
      return NULL;
    }
  g_autofree gchar *text = g_strndup (data, len);
  g_autoptr (IocConnectorConfig) cfg = ioc_connector_config_load_data (p, text, error);
  if (!cfg)
    return NULL;
  g_autofree gchar *block = g_strdup_printf ("%u", cfg->seq_block);
  g_autofree gchar *run_block = g_strdup_printf ("%u", running->seq_block);
  g_autofree gchar *bmax = g_strdup_printf ("%" G_GUINT64_FORMAT, cfg->buffer_max_bytes);
  g_autofree gchar *run_bmax = g_strdup_printf ("%" G_GUINT64_FORMAT, running->buffer_max_bytes);
  if (!same (error, p, "connector", "kind", running->kind_name, cfg->kind_name)
      || !same (error, p, "connector", "id", running->id, cfg->id)
      || !same (error, p, "connector", "province", running->province, cfg->province)
      || !same (error, p, "connector", "unit", running->unit, cfg->unit)
      || !same (error, p, "connector", "device", running->device, cfg->device)
      /* The seq file and disk buffer are open; the MQTT session is live. */
      || !same (error, p, "connector", "state_dir", running->state_dir, cfg->state_dir)
      || !same (error, p, "connector", "seq_block", run_block, block)
      || !same (error, p, "connector", "buffer_max", run_bmax, bmax)
      || !same (error, p, "mqtt", "url", running->mqtt_url, cfg->mqtt_url)
      || !same (error, p, "mqtt", "username", running->username, cfg->username))
    return NULL;
  if (g_strcmp0 (running->password, cfg->password) != 0)
    {
      /* Never echo a password into an answer others may read. */
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [mqtt] password: expected the running value (it cannot change without "
                   "a restart)", p);
      return NULL;
    }
  /* The same check as --check: the kind reads its own group. */
  gpointer st = kind->configure (cfg, cfg->kf, cfg->kind_name, error);
  if (!st)
    return NULL;
  *kstate = st;
  return g_steal_pointer (&cfg);
}

gchar *
ioc_remote_config_answer (const gchar *version, const GError *rejection, gsize *len)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, rejection == NULL);
  if (rejection)
    {
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, rejection->message);
    }
  if (version)
    {
      json_builder_set_member_name (b, "version");
      json_builder_add_string_value (b, version);
    }
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  gchar *out = json_to_string (root, FALSE);
  if (len)
    *len = strlen (out);
  return out;
}
