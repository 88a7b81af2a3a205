/* inventory.c — reads and cross-checks the declared connector configs
 * (inventory.h).  Every problem names the file, the line and the [group]
 * key and says what is expected, so `iocctl validate` can list them all at
 * once and the hub can refuse a broken folder with a message an ops person
 * can act on. */
#include "model/inventory.h"

#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-keyfile.h"
#include "protocol/ioc-schema.h"
#include "protocol/ioc-topic.h"

void
ioc_connector_decl_free (IocConnectorDecl *self)
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

/* "FILE:LINE: " or "FILE: " when the key is not in the file. */
static gchar *
where (IocKeyFile *kf, const gchar *path, const gchar *group, const gchar *key)
{
  guint line = ioc_keyfile_key_line (kf, group, key);
  if (line == 0)
    line = ioc_keyfile_group_line (kf, group);
  return line > 0 ? g_strdup_printf ("%s:%u", path, line) : g_strdup (path);
}

static gboolean
bad_value (GError **error, IocKeyFile *kf, const gchar *path, const gchar *group, const gchar *key,
           const gchar *expected, const gchar *got)
{
  g_autofree gchar *at = where (kf, path, group, key);
  g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: expected %s, got '%s'", at, group, key, expected,
               got);
  return FALSE;
}

/* The getters say "FILE: [group] key: …"; give their errors the line too. */
static gboolean
with_line (GError **error, IocKeyFile *kf, const gchar *path, const gchar *group, const gchar *key)
{
  if (error == NULL || *error == NULL)
    return FALSE;
  g_autofree gchar *prefix = g_strconcat (path, ": ", NULL);
  guint line = ioc_keyfile_key_line (kf, group, key);
  if (line == 0) /* a missing key: where its group starts */
    line = ioc_keyfile_group_line (kf, group);
  if (line > 0 && g_str_has_prefix ((*error)->message, prefix))
    {
      gchar *msg = g_strdup_printf ("%s:%u: %s", path, line, (*error)->message + strlen (prefix));
      g_free ((*error)->message);
      (*error)->message = msg;
    }
  return FALSE;
}

static gchar *
get_string (IocKeyFile *kf, const gchar *path, const gchar *group, const gchar *key, const gchar *def,
            gboolean required, GError **error)
{
  gchar *v = ioc_keyfile_string (kf, group, key, def, required, error);
  if (v == NULL)
    with_line (error, kf, path, group, key);
  return v;
}

/* The steps of ioc_connector_decl_load_data(); each returns FALSE with
 * error set ("FILE:LINE: [group] key: expected …"). */

/* A connector kind that is not a SPEC kind (jsonl) publishes as one: that
 * is the kind of its topics, its ACL and its (kind, device), so self->kind
 * becomes that SPEC kind. */
static gboolean
decl_spec_kind (IocConnectorDecl *self, IocKeyFile *kf, const gchar *path, GError **error)
{
  IocKind spec_kind;
  if (ioc_kind_from_string (self->kind, strlen (self->kind), &spec_kind))
    return TRUE;
  gchar *as = NULL;
  if (ioc_topic_is_device_id (self->kind, strlen (self->kind)) && g_key_file_has_group (kf->kf, self->kind))
    as = ioc_keyfile_string (kf, self->kind, "publish_as", NULL, FALSE, NULL);
  if (as == NULL)
    return bad_value (error, kf, path, "connector", "kind",
                      "one of desk, kiosk, camera, portal, or jsonl with [jsonl] publish_as", self->kind);
  g_strstrip (as);
  if (!ioc_kind_from_string (as, strlen (as), &spec_kind))
    {
      g_autofree gchar *group = g_strdup (self->kind);
      bad_value (error, kf, path, group, "publish_as", "one of desk, kiosk, camera, portal", as);
      g_free (as);
      return FALSE;
    }
  g_free (self->kind);
  self->kind = as;
  return TRUE;
}

/* device, id, province and unit (which a portal may leave out). */
static gboolean
decl_check_ids (IocConnectorDecl *self, IocKeyFile *kf, const gchar *path, GError **error)
{
  gboolean portal = g_str_equal (self->kind, "portal");
  if (!ioc_topic_is_device_id (self->device, strlen (self->device)))
    return bad_value (error, kf, path, "connector", "device", "[a-z0-9_-]{1,64} (SPEC §3)", self->device);
  if (!ioc_topic_is_device_id (self->id, strlen (self->id)))
    return bad_value (error, kf, path, "connector", "id", "[a-z0-9_-]{1,64}", self->id);
  if (!is_province (self->province))
    return bad_value (error, kf, path, "connector", "province", "a 2-digit province code", self->province);
  self->unit = get_string (kf, path, "connector", "unit", NULL, !portal, error);
  if (!portal && self->unit == NULL)
    return FALSE;
  if (self->unit != NULL && !ioc_topic_is_unit_code (self->unit, strlen (self->unit)))
    return bad_value (error, kf, path, "connector", "unit", "a registry code [a-z0-9-]{1,32}", self->unit);
  /* The hub publishes under these (SPEC §3); no unit takes their names. */
  static const gchar *const reserved[] = { "alerts", "deadletter", "config", "rollup", NULL };
  if (self->unit != NULL && g_strv_contains (reserved, self->unit))
    return bad_value (error, kf, path, "connector", "unit",
                      "a registry code, not one of the hub's topics alerts, deadletter, config, rollup", self->unit);
  return TRUE;
}

/* [mqtt] url, username and password, as the connector itself reads them
 * (connectors/lib/connector-config.c). */
static gboolean
decl_read_mqtt (IocConnectorDecl *self, IocKeyFile *kf, const gchar *path, GError **error)
{
  static const gchar *const mqtt_schemes[] = { "tcp", "ssl", "mqtt", "mqtts", NULL };
  if (!(self->mqtt_url = ioc_keyfile_url (kf, "mqtt", "url", "tcp://127.0.0.1:1883", mqtt_schemes, error)))
    return with_line (error, kf, path, "mqtt", "url");
  g_autoptr (GError) local = NULL;
  self->username = get_string (kf, path, "mqtt", "username", NULL, FALSE, &local);
  if (local == NULL)
    self->password = get_string (kf, path, "mqtt", "password", NULL, FALSE, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (self->username != NULL && *self->username == '\0')
    g_clear_pointer (&self->username, g_free);
  if (self->username != NULL && (strchr (self->username, ':') || strchr (self->username, ' ')))
    return bad_value (error, kf, path, "mqtt", "username", "a name without ':' or spaces", self->username);
  if (self->username != NULL && (self->password == NULL || *self->password == '\0'))
    {
      g_autofree gchar *at = where (kf, path, "mqtt", "password");
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [mqtt] password: expected a password for username '%s', got none", at, self->username);
      return FALSE;
    }
  return TRUE;
}

IocConnectorDecl *
ioc_connector_decl_load_data (const gchar *path, const gchar *data, gsize len, GError **error)
{
  g_autoptr (IocConnectorDecl) self = g_new0 (IocConnectorDecl, 1);
  self->path = g_strdup (path);
  self->raw = g_malloc (len + 1); /* the bytes as they are (pushed as is), NUL-terminated */
  memcpy (self->raw, data, len);
  self->raw[len] = '\0';
  self->raw_len = len;
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load_data (path, self->raw, self->raw_len, error);
  if (kf == NULL)
    return NULL;
  if (!(self->kind = get_string (kf, path, "connector", "kind", NULL, TRUE, error))
      || !(self->province = get_string (kf, path, "connector", "province", NULL, TRUE, error))
      || !(self->device = get_string (kf, path, "connector", "device", NULL, TRUE, error)))
    return NULL;
  /* The connector's own default (connectors/lib/connector-config.c). */
  g_autofree gchar *def_id = g_strdup_printf ("%s-%s", self->kind, self->device);
  if (!(self->id = get_string (kf, path, "connector", "id", def_id, FALSE, error)))
    return NULL;
  if (!decl_spec_kind (self, kf, path, error) || !decl_check_ids (self, kf, path, error)
      || !decl_read_mqtt (self, kf, path, error))
    return NULL;
  self->id_line = ioc_keyfile_key_line (kf, "connector", "id");
  self->device_line = ioc_keyfile_key_line (kf, "connector", "device");
  self->username_line = ioc_keyfile_key_line (kf, "mqtt", "username");
  return g_steal_pointer (&self);
}

IocConnectorDecl *
ioc_connector_decl_load (const gchar *path, GError **error)
{
  gsize len = 0;
  g_autofree gchar *data = ioc_keyfile_read (path, &len, error);
  if (data == NULL)
    return NULL;
  return ioc_connector_decl_load_data (path, data, len, error);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

static gchar *
at_line (const gchar *path, guint line)
{
  return line > 0 ? g_strdup_printf ("%s:%u", path, line) : g_strdup (path);
}

GPtrArray *
ioc_inventory_load_dir (const gchar *dir, GPtrArray *errors, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".conf") && name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) ioc_connector_decl_free);
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree gchar *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autoptr (GError) local = NULL;
      g_autoptr (IocConnectorDecl) c = ioc_connector_decl_load (path, &local);
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
          g_autofree gchar *at = at_line (path, c->id_line ? c->id_line : c->device_line);
          g_ptr_array_add (errors, g_strdup_printf ("%s: [connector] id: expected an id unique in province %s, "
                                                    "got '%s', also declared in %s", at, c->province, c->id, other));
          continue;
        }
      if ((other = g_hash_table_lookup (devices, dev_key)) != NULL)
        {
          g_autofree gchar *at = at_line (path, c->device_line);
          g_ptr_array_add (errors, g_strdup_printf ("%s: [connector] device: expected a device id unique per province "
                                                    "and kind (SPEC §4), got '%s', also declared in %s",
                                                    at, c->device, other));
          continue;
        }
      if (c->username != NULL && (other = g_hash_table_lookup (users, c->username)) != NULL)
        {
          g_autofree gchar *at = at_line (path, c->username_line);
          g_ptr_array_add (errors, g_strdup_printf ("%s: [mqtt] username: expected a username of its own, got '%s', "
                                                    "also used by %s", at, c->username, other));
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

GPtrArray *
ioc_inventory_load (const gchar *dir, GError **error)
{
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local = NULL;
  g_autoptr (GPtrArray) list = ioc_inventory_load_dir (dir, errors, &local);
  if (list == NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: cannot read the connectors folder: %s", dir,
                   local->message);
      return NULL;
    }
  if (errors->len > 0)
    {
      g_ptr_array_add (errors, NULL);
      g_autofree gchar *all = g_strjoinv ("\n", (gchar **) errors->pdata);
      g_set_error_literal (error, IOC_ERROR, IOC_ERROR_CONFIG, all);
      return NULL;
    }
  return g_steal_pointer (&list);
}
