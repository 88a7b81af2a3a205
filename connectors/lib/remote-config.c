/* remote-config.c — checks a pushed connector config and formats the
 * answer (see remote-config.h).  Where in the flow: publisher.c receives the
 * message on Paho's thread and hands it to the main loop; connector.c calls
 * ioc_remote_config_check() there and, on success, swaps the kind's state.
 * Main loop only; nothing here blocks except reading the startup file once. */
#include "lib/remote-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

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

/* ---- persistence of an applied push ---- */

static gboolean
write_all (int fd, const gchar *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gboolean
ioc_remote_config_persist (const IocConnectorConfig *applied, const void *data, gsize len,
                           const gchar *version, GError **error)
{
  g_autofree gchar *file_version = ioc_remote_config_file_version (applied->path);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *at = g_date_time_format_iso8601 (now);
  g_autofree gchar *text = g_strndup (data, len);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, version);
  /* What "newer than the file" is judged by at the next start. */
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, applied->path);
  json_builder_set_member_name (b, "file_version");
  if (file_version)
    json_builder_add_string_value (b, file_version);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "applied_at");
  json_builder_add_string_value (b, at);
  json_builder_set_member_name (b, "config");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *json = json_to_string (root, TRUE);

  g_autofree gchar *path = g_build_filename (applied->state_dir, IOC_REMOTE_CONFIG_FILE, NULL);
  g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return ioc_io_error (error, errno, "cannot create %s", tmp);
  if (!write_all (fd, json, strlen (json)) || fsync (fd) != 0)
    {
      ioc_io_error (error, errno, "cannot write %s", tmp);
      close (fd);
      g_unlink (tmp);
      return FALSE;
    }
  if (close (fd) != 0)
    {
      ioc_io_error (error, errno, "cannot write %s", tmp);
      g_unlink (tmp);
      return FALSE;
    }
  if (g_rename (tmp, path) != 0)
    {
      ioc_io_error (error, errno, "cannot rename into %s", path);
      g_unlink (tmp);
      return FALSE;
    }
  /* The rename itself is durable only once the directory is. */
  int dfd = open (applied->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return ioc_io_error (error, errno, "cannot open %s", applied->state_dir);
  gboolean ok = fsync (dfd) == 0;
  if (!ok)
    ioc_io_error (error, errno, "cannot sync %s", applied->state_dir);
  close (dfd);
  return ok;
}

IocConnectorConfig *
ioc_remote_config_restore (const IocConnectorConfig *file_cfg, const IocConnectorKind *kind,
                           gpointer *kstate, gchar **version)
{
  *kstate = NULL;
  *version = NULL;
  g_autofree gchar *path = g_build_filename (file_cfg->state_dir, IOC_REMOTE_CONFIG_FILE, NULL);
  g_autofree gchar *json = NULL;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &json, NULL, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("connector %s: %s; running %s", file_cfg->id, error->message, file_cfg->path);
      return NULL;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o = NULL;
  if (json_parser_load_from_data (parser, json, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    o = json_node_get_object (json_parser_get_root (parser));
  const gchar *kept_version = o ? json_object_get_string_member_with_default (o, "version", NULL) : NULL;
  const gchar *over = o ? json_object_get_string_member_with_default (o, "file_version", NULL) : NULL;
  const gchar *at = o ? json_object_get_string_member_with_default (o, "applied_at", "?") : "?";
  const gchar *text = o ? json_object_get_string_member_with_default (o, "config", NULL) : NULL;
  if (kept_version == NULL || text == NULL)
    {
      g_warning ("connector %s: %s: expected {\"version\", \"file_version\", \"config\"} as written "
                 "after a push; ignored, running %s", file_cfg->id, path, file_cfg->path);
      return NULL;
    }
  g_autofree gchar *file_version = ioc_remote_config_file_version (file_cfg->path);
  if (g_strcmp0 (kept_version, file_version) == 0)
    return NULL; /* the file says the same */
  if (g_strcmp0 (over, file_version) != 0)
    {
      /* Someone edited the file after the push: the file is newer. */
      g_message ("connector %s: %s changed after the config %s was pushed (applied %s): running "
                 "the file (version %s) and removing %s", file_cfg->id, file_cfg->path,
                 kept_version, at, file_version ? file_version : "?", path);
      g_unlink (path);
      return NULL;
    }
  IocConnectorConfig *cfg = ioc_remote_config_check (file_cfg, kind, text, strlen (text), kstate,
                                                     &error);
  if (cfg == NULL)
    {
      g_warning ("connector %s: the pushed config %s kept in %s no longer passes the checks (%s); "
                 "running %s", file_cfg->id, kept_version, path, error->message, file_cfg->path);
      return NULL;
    }
  g_message ("connector %s: starting with the pushed config %s (applied %s, kept in %s), which is "
             "newer than %s (version %s, unchanged since that push); no broker needed for this",
             file_cfg->id, kept_version, at, path, file_cfg->path, file_version ? file_version : "?");
  *version = g_strdup (kept_version);
  return cfg;
}
