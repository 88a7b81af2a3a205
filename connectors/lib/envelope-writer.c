/* envelope-writer.c — builds and checks the JSON envelope of SPEC §4 for
 * the connector library.  It sits between a kind (which maps source data to
 * SPEC fields) and the disk buffer: nothing leaves a connector that the hub's
 * decoder would dead-letter for a reason the connector could have seen.
 *
 * The checks walk the same rows of protocol/ioc-schema.c as the hub's
 * decoder and call the same range checks, so the two cannot drift apart.
 * Pure functions; called on the main loop. */
#include "lib/envelope-writer.h"

#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-time.h"

/* The one type name has for every event and status row that names it;
 * FALSE when no row does, or rows disagree ("channel"). */
static gboolean
type_in_rows (const IocFieldRule *rows, guint n, const gchar *name, gboolean *found, IocFieldType *type)
{
  for (guint i = 0; i < n; i++)
    if (strcmp (ioc_key_name (rows[i].key), name) == 0)
      {
        if (*found && *type != rows[i].type)
          return FALSE;
        *found = TRUE;
        *type = rows[i].type;
      }
  return TRUE;
}

gboolean
ioc_envelope_field_type (const gchar *name, IocFieldType *out)
{
  gboolean found = FALSE;
  IocFieldType type = IOC_FIELD_STRING;

  for (guint t = IOC_EV_NONE + 1; t < IOC_EV_COUNT; t++)
    {
      const IocEventSchema *ev = ioc_schema_event ((IocEventType) t);
      if (!type_in_rows (ev->fields, ev->n_fields, name, &found, &type))
        return FALSE;
    }
  for (guint k = 0; k < IOC_KIND_COUNT; k++)
    {
      const IocStatusSchema *st = ioc_schema_status ((IocKind) k);
      if (!type_in_rows (st->fields, st->n_fields, name, &found, &type) ||
          !type_in_rows (st->element_fields, st->n_element_fields, name, &found, &type))
        return FALSE;
    }
  /* cameras[] is not a value a source maps. */
  if (!found || type == IOC_FIELD_OBJECTS)
    return FALSE;
  *out = type;
  return TRUE;
}

static gboolean
node_has_type (JsonNode *node, IocFieldType type)
{
  if (type == IOC_FIELD_OBJECTS)
    return JSON_NODE_HOLDS_ARRAY (node);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  GType vt = json_node_get_value_type (node);
  switch (type)
    {
    case IOC_FIELD_STRING: return vt == G_TYPE_STRING;
    case IOC_FIELD_INT: return vt == G_TYPE_INT64;
    case IOC_FIELD_NUMBER: return vt == G_TYPE_INT64 || vt == G_TYPE_DOUBLE;
    case IOC_FIELD_BOOL: return vt == G_TYPE_BOOLEAN;
    case IOC_FIELD_TIME:
      if (vt == G_TYPE_INT64)
        return json_node_get_int (node) >= 0;
      if (vt == G_TYPE_STRING)
        {
          const gchar *s = json_node_get_string (node);
          gint64 us;
          return ioc_time_parse (s, strlen (s), &us);
        }
      return FALSE;
    default:
      return FALSE;
    }
}

/* The range of one present field, by the shared checks. */
static gboolean
check_range (const IocFieldRule *rule, JsonNode *node, JsonObject *fields, const gchar *what, GError **error)
{
  gchar detail[200];
  IocReject r = IOC_REJECT_NONE;

  switch (rule->type)
    {
    case IOC_FIELD_STRING:
      {
        const gchar *s = json_node_get_string (node), *allowed;
        r = ioc_schema_check_string (rule, s, strlen (s), &allowed, detail, sizeof detail);
        break;
      }
    case IOC_FIELD_INT:
      {
        gint64 bound = 0;
        if (rule->max_key != IOC_KEY_NONE)
          {
            /* Rows list the bounding field first: it was checked already. */
            JsonNode *b = json_object_get_member (fields, ioc_key_name (rule->max_key));
            bound = b != NULL && JSON_NODE_HOLDS_VALUE (b) ? json_node_get_int (b) : G_MAXINT64;
          }
        r = ioc_schema_check_int (rule, json_node_get_int (node), bound, detail, sizeof detail);
        break;
      }
    case IOC_FIELD_NUMBER:
      r = ioc_schema_check_number (rule, json_node_get_double (node), detail, sizeof detail);
      break;
    default:
      break;
    }
  if (r != IOC_REJECT_NONE)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s: %s", what, detail);
      return FALSE;
    }
  return TRUE;
}

/* Checks fields against rows as the hub's decoder does: a required field
 * present, every present one of its JSON type and in its range; null is
 * absent for an optional field. */
static gboolean
check_rows (const IocFieldRule *rows, guint n, JsonObject *fields, const gchar *what, GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      const IocFieldRule *rule = &rows[i];
      const gchar *name = ioc_key_name (rule->key);
      JsonNode *node = json_object_get_member (fields, name);

      if (node == NULL || (JSON_NODE_HOLDS_NULL (node) && !rule->required))
        {
          if (rule->required)
            {
              g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s: missing field %s", what, name);
              return FALSE;
            }
          continue;
        }
      if (!node_has_type (node, rule->type))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s: field %s: expected %s", what, name,
                       ioc_field_type_text (rule->type));
          return FALSE;
        }
      if (!check_range (rule, node, fields, what, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
ioc_envelope_check_event (IocKind kind, const gchar *type, JsonObject *fields, GError **error)
{
  IocEventType t;
  if (type == NULL || !ioc_event_type_from_string (type, strlen (type), &t))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "unknown event type \"%s\"", type ? type : "(none)");
      return FALSE;
    }
  if (ioc_event_type_kind (t) != kind)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "event type %s is not one of kind %s", type,
                   ioc_kind_name (kind));
      return FALSE;
    }
  const IocEventSchema *ev = ioc_schema_event (t);
  return check_rows (ev->fields, ev->n_fields, fields, type, error);
}

gboolean
ioc_envelope_check_status (IocKind kind, JsonObject *fields, GError **error)
{
  g_return_val_if_fail ((guint) kind < IOC_KIND_COUNT, FALSE);
  const IocStatusSchema *st = ioc_schema_status (kind);
  g_autofree gchar *what = g_strdup_printf ("%s status", ioc_kind_name (kind));

  if (!check_rows (st->fields, st->n_fields, fields, what, error))
    return FALSE;
  if (st->element_fields == NULL)
    return TRUE;
  /* A camera status: cameras[] of camera objects, or one camera's fields. */
  JsonNode *cameras = json_object_get_member (fields, ioc_key_name (IOC_KEY_CAMERAS));
  if (cameras != NULL && JSON_NODE_HOLDS_ARRAY (cameras))
    {
      JsonArray *a = json_node_get_array (cameras);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          g_autofree gchar *elem = g_strdup_printf ("%s cameras[%u]", what, i);
          if (!JSON_NODE_HOLDS_OBJECT (e))
            {
              g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s: expected an object", elem);
              return FALSE;
            }
          if (!check_rows (st->element_fields, st->n_element_fields, json_node_get_object (e), elem, error))
            return FALSE;
        }
      return TRUE;
    }
  for (guint i = 0; i < st->n_element_fields; i++)
    if (json_object_has_member (fields, ioc_key_name (st->element_fields[i].key)))
      return check_rows (st->element_fields, st->n_element_fields, fields, what, error);
  return TRUE;
}

gchar *
ioc_envelope_build (gint64 seq, const gchar *epoch, gint64 ts_us, const gchar *type, JsonObject *fields,
                    gsize *out_len, GError **error)
{
  g_return_val_if_fail (seq >= 1, NULL);
  gchar ts[IOC_TIME_BUF];
  ioc_time_format (ts_us, ts);

  g_autoptr (JsonObject) obj = json_object_new ();
  json_object_set_int_member (obj, "v", 1);
  json_object_set_int_member (obj, "seq", seq);
  if (epoch != NULL)
    {
      gchar detail[200];
      const gchar *allowed;
      if (ioc_schema_check_string (ioc_schema_envelope_field (IOC_KEY_EPOCH), epoch, strlen (epoch), &allowed,
                                   detail, sizeof detail) != IOC_REJECT_NONE)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "envelope: %s", detail);
          return NULL;
        }
      json_object_set_string_member (obj, "epoch", epoch);
    }
  json_object_set_string_member (obj, "ts", ts);
  if (type)
    json_object_set_string_member (obj, "type", type);
  if (fields)
    {
      g_autoptr (GList) members = json_object_get_members (fields);
      for (GList *l = members; l; l = l->next)
        {
          const gchar *name = l->data;
          if (strcmp (name, "v") == 0 || strcmp (name, "seq") == 0 || strcmp (name, "epoch") == 0 ||
              strcmp (name, "ts") == 0 || strcmp (name, "type") == 0)
            continue;
          json_object_set_member (obj, name, json_node_copy (json_object_get_member (fields, name)));
        }
    }
  g_autoptr (JsonNode) root = json_node_init_object (json_node_alloc (), obj);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  gsize len = 0;
  g_autofree gchar *text = json_generator_to_data (gen, &len);
  if (len > IOC_ENVELOPE_MAX_BYTES)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED,
                   "message of %zu bytes is over the %d-byte limit (SPEC §4)", len,
                   IOC_ENVELOPE_MAX_BYTES);
      return NULL;
    }
  if (out_len)
    *out_len = len;
  return g_steal_pointer (&text);
}
