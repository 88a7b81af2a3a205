/* event-source.c — the event source object, its configuration and the
 * config-driven field mapping (see event-source.h); the intake, polling and
 * webhook, is in event-source-intake.c (the split: event-source-private.h).
 *
 * Runs on the main loop only. */
#include "lib/event-source.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "lib/envelope-writer.h"
#include "lib/event-source-private.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-time.h"
#include "protocol/ioc-topic.h"

/* ---- configuration ---- */

static const gchar *const plain_keys[] = {
  "url", "listen", "path", "token", "cursor_param", "items", "next_cursor", "cursor_field",
  "type_field", "type", "ts_field", "unit_field", "timeout", "max_body", "max_pages",
  /* kind-specific keys handled by the kind file */
  "scale", "offline_after", NULL,
};

void
ioc_event_source_free (IocEventSource *self)
{
  if (self == NULL)
    return;
  if (self->cancel)
    {
      g_cancellable_cancel (self->cancel);
      g_object_unref (self->cancel);
    }
  if (self->server)
    {
      soup_server_disconnect (self->server);
      g_object_unref (self->server);
    }
  g_clear_object (&self->session);
  g_free (self->cfg_path);
  g_free (self->group);
  g_free (self->url);
  g_free (self->listen);
  g_free (self->path);
  g_free (self->token);
  g_free (self->cursor_param);
  g_free (self->items);
  g_free (self->next_cursor);
  g_free (self->cursor_field);
  g_free (self->type_field);
  g_free (self->fixed_type);
  g_free (self->ts_field);
  g_free (self->unit_field);
  g_hash_table_unref (self->map);
  g_hash_table_unref (self->types);
  g_hash_table_unref (self->values);
  g_free (self);
}

static gboolean
cfg_error (GError **error, IocEventSource *self, const gchar *key, const gchar *expected,
           const gchar *got)
{
  g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: expected %s, got '%s'",
               self->cfg_path, self->group, key, expected, got ? got : "");
  return FALSE;
}

gboolean
ioc_event_source_parse_listen (const gchar *listen, guint *port)
{
  const gchar *colon = strrchr (listen, ':');
  if (!colon || strncmp (listen, "127.0.0.1", (gsize) (colon - listen)) != 0)
    return FALSE;
  guint64 p;
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &p, NULL))
    return FALSE;
  *port = (guint) p;
  return TRUE;
}

/* configure() reads the keys of the [<kind>] group in the order
 * docs/CONNECTORS.md lists them, each refused where it is read: first the
 * plain keys (read_plain_keys), then map.*, type.* and value.*
 * (read_mapping_key).  Each step returns FALSE with error set. */

/* The string keys with their defaults, then the checks between them and
 * the limits. */
static gboolean
read_plain_keys (IocEventSource *self, const IocConnectorConfig *cfg, IocKeyFile *kf,
                 const gchar *group, gboolean intake, GError **error)
{
  struct
  {
    const gchar *key, *def;
    gchar **out;
  } strs[] = {
    { "url", NULL, &self->url },
    { "listen", NULL, &self->listen },
    { "path", "/events", &self->path },
    { "token", NULL, &self->token },
    { "cursor_param", "after", &self->cursor_param },
    { "items", "items", &self->items },
    { "next_cursor", "cursor", &self->next_cursor },
    { "cursor_field", "id", &self->cursor_field },
    { "type_field", "type", &self->type_field },
    { "type", NULL, &self->fixed_type },
    { "ts_field", "ts", &self->ts_field },
    { "unit_field", NULL, &self->unit_field },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (strs); i++)
    {
      g_autoptr (GError) local = NULL;
      *strs[i].out = ioc_keyfile_string (kf, group, strs[i].key, strs[i].def, FALSE, &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (*strs[i].out && **strs[i].out == '\0' && strs[i].def == NULL)
        g_clear_pointer (strs[i].out, g_free);
    }
  if (!intake && (self->url || self->listen))
    return cfg_error (error, self, self->url ? "url" : "listen",
                      "nothing (this kind reads its own source; see its sample)",
                      self->url ? self->url : self->listen);
  if (intake && !self->url && !self->listen)
    return cfg_error (error, self, "url", "an http:// URL to poll, or listen = 127.0.0.1:PORT "
                      "for a webhook (or both)", "");
  if (self->url && !g_str_has_prefix (self->url, "http://") && !g_str_has_prefix (self->url, "https://"))
    return cfg_error (error, self, "url", "an http:// or https:// URL", self->url);
  guint port;
  if (self->listen && !ioc_event_source_parse_listen (self->listen, &port))
    return cfg_error (error, self, "listen", "127.0.0.1:PORT (loopback only)", self->listen);
  if (self->path[0] != '/')
    return cfg_error (error, self, "path", "a path starting with /", self->path);
  /* SPEC §4: a portal publishes one event type. */
  if (!self->fixed_type && cfg->kind == IOC_KIND_PORTAL)
    self->fixed_type = g_strdup ("dossier");
  if (self->fixed_type)
    {
      IocEventType t;
      if (!ioc_event_type_from_string (self->fixed_type, strlen (self->fixed_type), &t)
          || ioc_event_type_kind (t) != cfg->kind)
        return cfg_error (error, self, "type", "an event type of this kind", self->fixed_type);
    }
  return ioc_keyfile_duration (kf, group, "timeout", 10 * G_TIME_SPAN_SECOND,
                               100 * G_TIME_SPAN_MILLISECOND, 300 * G_TIME_SPAN_SECOND,
                               &self->timeout_us, error)
         && ioc_keyfile_size (kf, group, "max_body", 1024 * 1024, 1024, 64 * 1024 * 1024,
                              &self->max_body, error)
         && ioc_keyfile_int (kf, group, "max_pages", 10, 1, 1000, &self->max_pages, error);
}

/* One key k = v of the group: map.*, type.*, value.*, else a plain key
 * (already read) or one of the kind's own_keys; anything else is refused. */
static gboolean
read_mapping_key (IocEventSource *self, const IocConnectorConfig *cfg, const gchar *k,
                  const gchar *v, const gchar *const *own_keys, GError **error)
{
  IocFieldType ft;
  if (g_str_has_prefix (k, "map."))
    {
      const gchar *f = k + 4;
      if (!ioc_envelope_field_type (f, &ft) && strcmp (f, "channel") != 0)
        return cfg_error (error, self, k, "map.<a SPEC §4 field> (e.g. map.ticket)", k);
      if (*v == '\0')
        return cfg_error (error, self, k, "a source field path such as data.ticket_no", v);
      g_hash_table_replace (self->map, g_strdup (f), g_strdup (v));
    }
  else if (g_str_has_prefix (k, "type."))
    {
      IocEventType t;
      if (!ioc_event_type_from_string (v, strlen (v), &t) || ioc_event_type_kind (t) != cfg->kind)
        return cfg_error (error, self, k, "an event type of this kind (SPEC §4)", v);
      g_hash_table_replace (self->types, g_strdup (k + 5), g_strdup (v));
    }
  else if (g_str_has_prefix (k, "value."))
    {
      const gchar *rest = k + 6;
      const gchar *dot = strchr (rest, '.');
      if (!dot || dot == rest || dot[1] == '\0')
        return cfg_error (error, self, k, "value.<SPEC field>.<source value>", k);
      g_autoptr (JsonParser) jp = json_parser_new ();
      if (!json_parser_load_from_data (jp, v, -1, NULL) || !json_parser_get_root (jp)
          || !JSON_NODE_HOLDS_VALUE (json_parser_get_root (jp)))
        return cfg_error (error, self, k, "a JSON value (2, true, \"web\")", v);
      g_autofree gchar *field = g_strndup (rest, (gsize) (dot - rest));
      g_hash_table_replace (self->values, g_strdup_printf ("%s\n%s", field, dot + 1),
                            json_node_copy (json_parser_get_root (jp)));
    }
  else if (!g_strv_contains (plain_keys, k) && !(own_keys && g_strv_contains (own_keys, k)))
    return cfg_error (error, self, k, "a known key (url, listen, map.*, type.*, value.* …; "
                      "see connectors/samples)", k);
  return TRUE;
}

static IocEventSource *
configure (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group,
           gboolean intake, const gchar *const *own_keys, GError **error)
{
  g_autoptr (IocEventSource) self = g_new0 (IocEventSource, 1);
  self->cfg_path = g_strdup (kf->path);
  self->group = g_strdup (group);
  self->map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) json_node_unref);
  if (!read_plain_keys (self, cfg, kf, group, intake, error))
    return NULL;
  g_auto (GStrv) keys = g_key_file_get_keys (kf->kf, group, NULL, NULL);
  for (guint i = 0; keys && keys[i]; i++)
    {
      g_autofree gchar *v = g_key_file_get_string (kf->kf, group, keys[i], NULL);
      if (!read_mapping_key (self, cfg, keys[i], v ? v : "", own_keys, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

IocEventSource *
ioc_event_source_configure (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group,
                            GError **error)
{
  return configure (cfg, kf, group, TRUE, NULL, error);
}

IocEventSource *
ioc_event_source_configure_mapping (const IocConnectorConfig *cfg, IocKeyFile *kf,
                                    const gchar *group, const gchar *const *own_keys,
                                    GError **error)
{
  return configure (cfg, kf, group, FALSE, own_keys, error);
}

/* ---- mapping ---- */

JsonNode *
ioc_event_source_lookup_path (JsonObject *obj, const gchar *path)
{
  g_auto (GStrv) parts = g_strsplit (path, ".", 8);
  JsonNode *node = NULL;
  for (guint i = 0; parts[i]; i++)
    {
      if (obj == NULL || !json_object_has_member (obj, parts[i]))
        return NULL;
      node = json_object_get_member (obj, parts[i]);
      obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  return node;
}

/* (transfer full) The node as a short string key, for type.* and value.*. */
gchar *
ioc_event_source_scalar_text (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  GType t = json_node_get_value_type (node);
  if (t == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (t == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (t == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  if (t == G_TYPE_DOUBLE)
    {
      gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
    }
  return NULL;
}

/* Coerces a source value to the SPEC type where that is lossless. */
static JsonNode *
coerce (JsonNode *node, IocFieldType ft)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  GType t = json_node_get_value_type (node);
  if (ft == IOC_FIELD_STRING && t == G_TYPE_INT64)
    {
      g_autofree gchar *s = ioc_event_source_scalar_text (node);
      return json_node_init_string (json_node_alloc (), s);
    }
  if (ft == IOC_FIELD_INT && t == G_TYPE_STRING)
    {
      gint64 v;
      if (g_ascii_string_to_signed (json_node_get_string (node), 10, G_MININT64, G_MAXINT64, &v, NULL))
        return json_node_init_int (json_node_alloc (), v);
    }
  return json_node_copy (node);
}

static const gchar *const all_fields[] = {
  "counter", "officer", "ticket", "wait_s", "service_s", "dossier", "service", "priority",
  "level", "scale", "channel", "camera", "procedure", "state", "received_at", "due_at",
  "supplements", "fee", "paid_online", "digitized", "e_result", "applicant_commune", NULL,
};

/* The item's time (µs) from ts_field: epoch ms, or RFC 3339 with an
 * offset; 0 when it is neither. */
static gint64
item_ts_us (IocEventSource *self, JsonObject *item)
{
  JsonNode *tsn = ioc_event_source_lookup_path (item, self->ts_field);
  gint64 ts_us = 0;
  if (tsn && JSON_NODE_HOLDS_VALUE (tsn) && json_node_get_value_type (tsn) == G_TYPE_INT64
      && json_node_get_int (tsn) > 0)
    ts_us = json_node_get_int (tsn) * 1000;
  else if (tsn && JSON_NODE_HOLDS_VALUE (tsn) && json_node_get_value_type (tsn) == G_TYPE_STRING)
    {
      const gchar *s = json_node_get_string (tsn);
      if (!ioc_time_parse (s, strlen (s), &ts_us))
        ts_us = 0;
    }
  return ts_us;
}

gboolean
ioc_event_source_map (IocEventSource *self, JsonObject *item, gchar **out_unit, gchar **out_type,
                      gint64 *out_ts_us, JsonObject **out_fields, GError **error)
{
  g_autofree gchar *type = NULL;
  if (self->fixed_type)
    type = g_strdup (self->fixed_type);
  else
    {
      g_autofree gchar *src
          = ioc_event_source_scalar_text (ioc_event_source_lookup_path (item, self->type_field));
      if (!src)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "no type in field %s", self->type_field);
          return FALSE;
        }
      const gchar *mapped = g_hash_table_lookup (self->types, src);
      type = g_strdup (mapped ? mapped : src);
    }

  gint64 ts_us = item_ts_us (self, item);
  if (ts_us == 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED,
                   "field %s: expected RFC 3339 time with offset or epoch ms", self->ts_field);
      return FALSE;
    }

  g_autofree gchar *unit = NULL;
  if (self->unit_field)
    {
      unit = ioc_event_source_scalar_text (ioc_event_source_lookup_path (item, self->unit_field));
      if (!unit || !ioc_topic_is_unit_code (unit, strlen (unit)))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "field %s: expected a unit code",
                       self->unit_field);
          return FALSE;
        }
    }

  g_autoptr (JsonObject) fields = json_object_new ();
  for (guint i = 0; all_fields[i]; i++)
    {
      const gchar *f = all_fields[i];
      const gchar *src_path = g_hash_table_lookup (self->map, f);
      JsonNode *node = ioc_event_source_lookup_path (item, src_path ? src_path : f);
      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        continue;
      g_autofree gchar *text = ioc_event_source_scalar_text (node);
      if (text && g_hash_table_size (self->values) > 0)
        {
          g_autofree gchar *key = g_strdup_printf ("%s\n%s", f, text);
          JsonNode *v = g_hash_table_lookup (self->values, key);
          if (v)
            {
              json_object_set_member (fields, f, json_node_copy (v));
              continue;
            }
        }
      IocFieldType ft;
      if (strcmp (f, "channel") == 0)
        ft = strcmp (type, "dossier") == 0 ? IOC_FIELD_INT : IOC_FIELD_STRING;
      else
        ioc_envelope_field_type (f, &ft);
      JsonNode *c = coerce (node, ft);
      if (c)
        json_object_set_member (fields, f, c);
    }
  *out_unit = g_steal_pointer (&unit);
  *out_type = g_steal_pointer (&type);
  *out_ts_us = ts_us;
  *out_fields = g_steal_pointer (&fields);
  return TRUE;
}

gboolean
ioc_event_source_emit (IocEventSource *self, IocConnector *conn, JsonObject *item,
                       IocEventSeenFunc seen, gpointer kind_state, GError **error)
{
  g_autofree gchar *unit = NULL, *type = NULL;
  gint64 ts_us;
  g_autoptr (JsonObject) fields = NULL;
  if (!ioc_event_source_map (self, item, &unit, &type, &ts_us, &fields, error)
      || !ioc_connector_emit (conn, unit, type, ts_us, fields, error))
    return FALSE;
  if (seen)
    seen (kind_state, unit, type, ts_us, fields);
  return TRUE;
}
