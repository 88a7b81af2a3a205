/* iocctl-connector.c — loads and cross-checks the declared connector configs
 * (iocctl-connector.h).  Every problem names the file and the [group] key
 * and says what is expected, so `iocctl validate` can list them all at once
 * instead of stopping at the first.  Single-threaded tool code. */
#include "iocctl-connector.h"

#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-keyfile.h"
#include "protocol/ioc-topic.h"

void
ioc_ctl_connector_free (IocCtlConnector *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->id);
  g_free (self->kind);
  g_free (self->province);
  g_free (self->unit);
  g_free (self->device);
  g_free (self->mqtt_url);
  g_free (self->username);
  g_free (self->password);
  g_free (self->raw);
  g_free (self);
}

static gboolean
is_province (const gchar *s)
{
  return s != NULL && strlen (s) == 2 && g_ascii_isdigit (s[0]) && g_ascii_isdigit (s[1]);
}

static gboolean
bad_value (GError **error, const gchar *path, const gchar *group, const gchar *key, const gchar *expected,
           const gchar *got)
{
  g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: expected %s, got '%s'", path, group, key,
               expected, got);
  return FALSE;
}

IocCtlConnector *
ioc_ctl_connector_load (const gchar *path, GError **error)
{
  g_autoptr (IocCtlConnector) self = g_new0 (IocCtlConnector, 1);
  self->path = g_strdup (path);
  if (!g_file_get_contents (path, &self->raw, &self->raw_len, error))
    return NULL;
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load_data (path, self->raw, self->raw_len, error);
  if (kf == NULL)
    return NULL;
  if (!(self->kind = ioc_keyfile_string (kf, "connector", "kind", NULL, TRUE, error))
      || !(self->province = ioc_keyfile_string (kf, "connector", "province", NULL, TRUE, error))
      || !(self->device = ioc_keyfile_string (kf, "connector", "device", NULL, TRUE, error)))
    return NULL;
  /* The connector's own default (connectors/lib/connector-config.c). */
  g_autofree gchar *def_id = g_strdup_printf ("%s-%s", self->kind, self->device);
  if (!(self->id = ioc_keyfile_string (kf, "connector", "id", def_id, FALSE, error)))
    return NULL;
  IocKind spec_kind;
  if (!ioc_kind_from_string (self->kind, strlen (self->kind), &spec_kind))
    {
      /* A connector kind that is not a SPEC kind (jsonl) publishes as one:
       * that is the kind of its topics, its ACL and its (kind, device). */
      gchar *as = NULL;
      if (ioc_topic_is_device_id (self->kind, strlen (self->kind)) && g_key_file_has_group (kf->kf, self->kind))
        as = ioc_keyfile_string (kf, self->kind, "publish_as", NULL, FALSE, NULL);
      if (as == NULL)
        return bad_value (error, path, "connector", "kind", "one of desk, kiosk, camera, portal, or jsonl with "
                          "[jsonl] publish_as", self->kind), NULL;
      g_strstrip (as);
      if (!ioc_kind_from_string (as, strlen (as), &spec_kind))
        {
          g_autofree gchar *group = g_strdup (self->kind);
          bad_value (error, path, group, "publish_as", "one of desk, kiosk, camera, portal", as);
          g_free (as);
          return NULL;
        }
      g_free (self->kind);
      self->kind = as;
    }
  gboolean portal = g_str_equal (self->kind, "portal");
  if (!ioc_topic_is_device_id (self->id, strlen (self->id)))
    return bad_value (error, path, "connector", "id", "[a-z0-9_-]{1,64}", self->id), NULL;
  if (!is_province (self->province))
    return bad_value (error, path, "connector", "province", "a 2-digit province code", self->province), NULL;
  if (!ioc_topic_is_device_id (self->device, strlen (self->device)))
    return bad_value (error, path, "connector", "device", "[a-z0-9_-]{1,64} (SPEC §3)", self->device), NULL;
  self->unit = ioc_keyfile_string (kf, "connector", "unit", NULL, !portal, error);
  if (!portal && self->unit == NULL)
    return NULL;
  if (self->unit != NULL && !ioc_topic_is_unit_code (self->unit, strlen (self->unit)))
    return bad_value (error, path, "connector", "unit", "a registry code [a-z0-9-]{1,32}", self->unit), NULL;
  /* The hub publishes under these (SPEC §3); no unit takes their names. */
  static const gchar *const reserved[] = { "alerts", "deadletter", "config", "rollup", NULL };
  if (self->unit != NULL && g_strv_contains (reserved, self->unit))
    return bad_value (error, path, "connector", "unit",
                      "a registry code, not one of the hub's topics alerts, deadletter, config, rollup", self->unit),
           NULL;
  if (!(self->mqtt_url = ioc_keyfile_string (kf, "mqtt", "url", "tcp://127.0.0.1:1883", FALSE, error)))
    return NULL;
  if (!g_str_has_prefix (self->mqtt_url, "tcp://") && !g_str_has_prefix (self->mqtt_url, "ssl://")
      && !g_str_has_prefix (self->mqtt_url, "mqtt://") && !g_str_has_prefix (self->mqtt_url, "mqtts://"))
    return bad_value (error, path, "mqtt", "url", "tcp://HOST:PORT or ssl://HOST:PORT", self->mqtt_url), NULL;
  g_autoptr (GError) local = NULL;
  self->username = ioc_keyfile_string (kf, "mqtt", "username", NULL, FALSE, &local);
  if (local == NULL)
    self->password = ioc_keyfile_string (kf, "mqtt", "password", NULL, FALSE, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (self->username != NULL && *self->username == '\0')
    g_clear_pointer (&self->username, g_free);
  if (self->username != NULL && (strchr (self->username, ':') || strchr (self->username, ' ')))
    return bad_value (error, path, "mqtt", "username", "a name without ':' or spaces", self->username), NULL;
  if (self->username != NULL && (self->password == NULL || *self->password == '\0'))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [mqtt] password: expected a password for username '%s', got none", path, self->username);
      return NULL;
    }
  return g_steal_pointer (&self);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

GPtrArray *
ioc_ctl_connectors_load_dir (const gchar *dir, GPtrArray *errors, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".conf"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) ioc_ctl_connector_free);
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree gchar *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autoptr (GError) local = NULL;
      g_autoptr (IocCtlConnector) c = ioc_ctl_connector_load (path, &local);
      if (c == NULL)
        {
          g_ptr_array_add (errors, g_strdup (local->message));
          continue;
        }
      g_autofree gchar *id_key = g_strdup_printf ("%s/%s", c->province, c->id);
      g_autofree gchar *dev_key = g_strdup_printf ("%s/%s/%s", c->province, c->kind, c->device);
      const gchar *other;
      if ((other = g_hash_table_lookup (ids, id_key)) != NULL)
        {
          g_ptr_array_add (errors, g_strdup_printf ("%s: [connector] id: expected an id unique in province %s, "
                                                    "got '%s', also declared in %s", path, c->province, c->id, other));
          continue;
        }
      if ((other = g_hash_table_lookup (devices, dev_key)) != NULL)
        {
          g_ptr_array_add (errors, g_strdup_printf ("%s: [connector] device: expected a device id unique per province "
                                                    "and kind (SPEC §4), got '%s', also declared in %s",
                                                    path, c->device, other));
          continue;
        }
      if (c->username != NULL && (other = g_hash_table_lookup (users, c->username)) != NULL)
        {
          g_ptr_array_add (errors, g_strdup_printf ("%s: [mqtt] username: expected a username of its own, got '%s', "
                                                    "also used by %s", path, c->username, other));
          continue;
        }
      g_hash_table_insert (ids, g_steal_pointer (&id_key), c->path);
      g_hash_table_insert (devices, g_steal_pointer (&dev_key), c->path);
      if (c->username != NULL)
        g_hash_table_insert (users, g_strdup (c->username), c->path);
      g_ptr_array_add (out, g_steal_pointer (&c));
    }
  return out;
}

IocCtlConnector *
ioc_ctl_connectors_find (GPtrArray *connectors, const gchar *name)
{
  for (guint i = 0; i < connectors->len; i++)
    {
      IocCtlConnector *c = connectors->pdata[i];
      g_autofree gchar *base = g_path_get_basename (c->path);
      if (g_str_has_suffix (base, ".conf"))
        base[strlen (base) - 5] = '\0';
      if (g_str_equal (c->id, name) || g_str_equal (base, name))
        return c;
    }
  return NULL;
}

gchar *
ioc_ctl_connector_publish_filter (const IocCtlConnector *self)
{
  return g_strdup_printf ("ioc/v1/%s/%s/%s/%s/#", self->province,
                          g_str_equal (self->kind, "portal") || self->unit == NULL ? "+" : self->unit, self->kind,
                          self->device);
}

gchar *
ioc_ctl_connector_config_topic (const IocCtlConnector *self)
{
  return g_strdup_printf ("ioc/v1/%s/config/%s", self->province, self->id);
}
