/* connector-config.c — reads and checks [connector] and [mqtt] (see
 * connector-config.h).  Unknown keys are errors, so a typo never silently
 * becomes a default.  Runs wherever it is called (main, --check, tests). */
#include "lib/connector-config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-topic.h"

static const gchar *const connector_keys[] = {
  "kind", "id", "province", "unit", "device", "state_dir", "buffer_max", "status_interval",
  "poll_interval", "seq_block", NULL,
};
static const gchar *const mqtt_keys[] = { "url", "username", "password", "ca_file", "cert_file",
                                          "key_file", "verify", NULL };

static const gchar *const common_groups[] = { "connector", "mqtt", NULL };

const gchar *const *
ioc_connector_config_groups (void)
{
  return common_groups;
}

const gchar *const *
ioc_connector_config_keys (const gchar *group)
{
  if (g_strcmp0 (group, "connector") == 0)
    return connector_keys;
  if (g_strcmp0 (group, "mqtt") == 0)
    return mqtt_keys;
  return NULL;
}

void
ioc_connector_config_free (IocConnectorConfig *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->kf, ioc_keyfile_free);
  g_free (self->path);
  g_free (self->kind_name);
  g_free (self->id);
  g_free (self->province);
  g_free (self->unit);
  g_free (self->device);
  g_free (self->state_dir);
  g_free (self->mqtt_url);
  g_free (self->username);
  g_free (self->password);
  g_free (self->ca_file);
  g_free (self->cert_file);
  g_free (self->key_file);
  g_free (self);
}

static gboolean
bad (GError **error, const gchar *path, const gchar *group, const gchar *key,
     const gchar *expected, const gchar *got)
{
  g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: expected %s, got '%s'", path,
               group, key, expected, got ? got : "");
  return FALSE;
}

static gboolean
is_id (const gchar *s)
{
  return ioc_topic_is_device_id (s, strlen (s));
}

/* A TLS file must be there and readable now, not at the first connect. */
static gboolean
tls_file (IocKeyFile *kf, const gchar *key, gchar **out, GError **error)
{
  g_autoptr (GError) local = NULL;
  *out = ioc_keyfile_string (kf, "mqtt", key, NULL, FALSE, &local);
  if (local)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (*out && **out == '\0')
    g_clear_pointer (out, g_free);
  if (!*out)
    return TRUE;
  if (!g_file_test (*out, G_FILE_TEST_IS_REGULAR) || g_access (*out, R_OK) != 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [mqtt] %s: expected a readable PEM file, got '%s' (%s)", kf->path, key,
                   *out, g_file_test (*out, G_FILE_TEST_EXISTS) ? "not readable" : "no such file");
      return FALSE;
    }
  return TRUE;
}

/* The steps of finish(), in file order: [connector] kind, the ids, the
 * limits, then [mqtt].  Each key is refused where it is read (see
 * docs/CONNECTORS.md); each step returns FALSE with error set. */

/* kind, or for a connector kind that is not a SPEC kind (jsonl), the SPEC
 * kind its group says it publishes as: that names the topics and checks
 * the events. */
static gboolean
read_kind (IocConnectorConfig *self, IocKeyFile *kf, GError **error)
{
  const gchar *p = self->path;
  self->kind_name = ioc_keyfile_string (kf, "connector", "kind", NULL, TRUE, error);
  if (!self->kind_name)
    return FALSE;
  if (ioc_kind_from_string (self->kind_name, strlen (self->kind_name), &self->kind))
    return TRUE;
  g_autofree gchar *as = NULL;
  if (is_id (self->kind_name) && g_key_file_has_group (kf->kf, self->kind_name))
    as = ioc_keyfile_string (kf, self->kind_name, "publish_as", NULL, FALSE, NULL);
  if (!as)
    return bad (error, p, "connector", "kind",
                "desk, kiosk, camera, portal, or jsonl with [jsonl] publish_as", self->kind_name);
  g_strstrip (as);
  if (!ioc_kind_from_string (as, strlen (as), &self->kind))
    return bad (error, p, self->kind_name, "publish_as", "desk, kiosk, camera or portal", as);
  return TRUE;
}

/* province, unit, device, id and state_dir (the last two default from the others). */
static gboolean
read_ids (IocConnectorConfig *self, IocKeyFile *kf, GError **error)
{
  const gchar *p = self->path;
  self->province = ioc_keyfile_string (kf, "connector", "province", NULL, TRUE, error);
  if (!self->province)
    return FALSE;
  if (strlen (self->province) != 2 || !g_ascii_isdigit (self->province[0])
      || !g_ascii_isdigit (self->province[1]))
    return bad (error, p, "connector", "province", "a 2-digit province code such as 40",
                self->province);
  self->unit = ioc_keyfile_string (kf, "connector", "unit", NULL, TRUE, error);
  if (!self->unit)
    return FALSE;
  if (!ioc_topic_is_unit_code (self->unit, strlen (self->unit)))
    return bad (error, p, "connector", "unit", "a unit code [a-z0-9-]{1,32} such as xa-16681",
                self->unit);
  self->device = ioc_keyfile_string (kf, "connector", "device", NULL, TRUE, error);
  if (!self->device)
    return FALSE;
  if (!is_id (self->device))
    return bad (error, p, "connector", "device", "a device id [a-z0-9_-]{1,64}", self->device);
  g_autofree gchar *def_id = g_strdup_printf ("%s-%s", self->kind_name, self->device);
  self->id = ioc_keyfile_string (kf, "connector", "id", def_id, FALSE, error);
  if (!self->id)
    return FALSE;
  if (!is_id (self->id))
    return bad (error, p, "connector", "id", "a connector id [a-z0-9_-]{1,64}", self->id);
  g_autofree gchar *def_dir = g_build_filename ("/var/lib/ioc-connector", self->id, NULL);
  self->state_dir = ioc_keyfile_string (kf, "connector", "state_dir", def_dir, FALSE, error);
  if (!self->state_dir)
    return FALSE;
  if (!g_path_is_absolute (self->state_dir))
    return bad (error, p, "connector", "state_dir", "an absolute directory", self->state_dir);
  return TRUE;
}

/* buffer_max, status_interval, poll_interval, seq_block. */
static gboolean
read_limits (IocConnectorConfig *self, IocKeyFile *kf, GError **error)
{
  if (!ioc_keyfile_size (kf, "connector", "buffer_max", 256 * 1024 * 1024, 64 * 1024,
                         G_GUINT64_CONSTANT (1) << 40, &self->buffer_max_bytes, error)
      || !ioc_keyfile_duration (kf, "connector", "status_interval", 30 * G_TIME_SPAN_SECOND,
                                G_TIME_SPAN_SECOND, 60 * G_TIME_SPAN_SECOND,
                                &self->status_interval_us, error)
      || !ioc_keyfile_duration (kf, "connector", "poll_interval", 2 * G_TIME_SPAN_SECOND,
                                50 * G_TIME_SPAN_MILLISECOND, G_TIME_SPAN_HOUR,
                                &self->poll_interval_us, error))
    return FALSE;
  gint64 block = 0;
  if (!ioc_keyfile_int (kf, "connector", "seq_block", 1000, 1, 1000000, &block, error))
    return FALSE;
  self->seq_block = (guint) block;
  return TRUE;
}

/* [mqtt]: the broker URL, the login and the TLS files, which must agree. */
static gboolean
read_mqtt (IocConnectorConfig *self, IocKeyFile *kf, GError **error)
{
  const gchar *p = self->path;
  static const gchar *const mqtt_schemes[] = { "tcp", "ssl", "mqtt", "mqtts", NULL };
  self->mqtt_url = ioc_keyfile_url (kf, "mqtt", "url", "tcp://127.0.0.1:1883", mqtt_schemes, error);
  if (!self->mqtt_url)
    return FALSE;
  self->username = ioc_keyfile_string (kf, "mqtt", "username", NULL, FALSE, error);
  self->password = ioc_keyfile_string (kf, "mqtt", "password", NULL, FALSE, error);
  if (self->username && *self->username == '\0')
    g_clear_pointer (&self->username, g_free);
  if (self->password && !self->username)
    return bad (error, p, "mqtt", "username", "a username when a password is set", "");
  self->tls = g_str_has_prefix (self->mqtt_url, "ssl://") || g_str_has_prefix (self->mqtt_url, "mqtts://");
  if (!tls_file (kf, "ca_file", &self->ca_file, error)
      || !tls_file (kf, "cert_file", &self->cert_file, error)
      || !tls_file (kf, "key_file", &self->key_file, error)
      || !ioc_keyfile_bool (kf, "mqtt", "verify", TRUE, &self->verify, error))
    return FALSE;
  if (!self->tls && (self->ca_file || self->cert_file || self->key_file))
    return bad (error, p, "mqtt", "url", "ssl://HOST:PORT or mqtts://HOST:PORT when TLS files are set",
                self->mqtt_url);
  if (!self->cert_file != !self->key_file)
    return bad (error, p, "mqtt", self->cert_file ? "key_file" : "cert_file",
                "cert_file and key_file together (a client certificate and its key)", "");
  return TRUE;
}

static IocConnectorConfig *
finish (IocKeyFile *kf, GError **error)
{
  g_autoptr (IocConnectorConfig) self = g_new0 (IocConnectorConfig, 1);
  self->path = g_strdup (kf->path); /* kf is the caller's until success */

  if (!ioc_keyfile_check_keys (kf, "connector", connector_keys, error)
      || !ioc_keyfile_check_keys (kf, "mqtt", mqtt_keys, error))
    return NULL;
  if (!read_kind (self, kf, error) || !read_ids (self, kf, error)
      || !read_limits (self, kf, error) || !read_mqtt (self, kf, error))
    return NULL;
  if (!g_key_file_has_group (kf->kf, self->kind_name))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s]: expected the group of kind %s",
                   self->path, self->kind_name, self->kind_name);
      return NULL;
    }
  self->kf = kf;
  return g_steal_pointer (&self);
}

IocConnectorConfig *
ioc_connector_config_load (const gchar *path, GError **error)
{
  IocKeyFile *kf = ioc_keyfile_load (path, error);
  if (!kf)
    return NULL;
  IocConnectorConfig *cfg = finish (kf, error);
  if (!cfg)
    ioc_keyfile_free (kf);
  return cfg;
}

IocConnectorConfig *
ioc_connector_config_load_data (const gchar *path, const gchar *data, GError **error)
{
  IocKeyFile *kf = ioc_keyfile_load_data (path, data, strlen (data), error);
  if (!kf)
    return NULL;
  IocConnectorConfig *cfg = finish (kf, error);
  if (!cfg)
    ioc_keyfile_free (kf);
  return cfg;
}
