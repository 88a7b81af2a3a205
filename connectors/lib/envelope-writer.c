/* envelope-writer.c — builds and checks the JSON envelope of SPEC §4 for
 * the connector library.  It sits between a kind (which maps source data to
 * SPEC fields) and the disk buffer: nothing leaves a connector that the hub's
 * decoder would dead-letter for a reason the connector could have seen.
 * Pure functions; called on the main loop. */
#include "lib/envelope-writer.h"

#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-time.h"

typedef struct
{
  const gchar *name;
  IocFieldType type;
} FieldDef;

/* Every field SPEC §4 names, with its JSON type. */
static const FieldDef field_defs[] = {
  { "counter", IOC_FIELD_STRING },    { "officer", IOC_FIELD_STRING },
  { "ticket", IOC_FIELD_STRING },     { "wait_s", IOC_FIELD_NUMBER },
  { "service_s", IOC_FIELD_NUMBER },  { "dossier", IOC_FIELD_STRING },
  { "service", IOC_FIELD_STRING },    { "priority", IOC_FIELD_STRING },
  { "level", IOC_FIELD_INT },         { "scale", IOC_FIELD_INT },
  { "camera", IOC_FIELD_STRING },     { "procedure", IOC_FIELD_STRING },
  { "state", IOC_FIELD_INT },         { "received_at", IOC_FIELD_TIME },
  { "due_at", IOC_FIELD_TIME },       { "supplements", IOC_FIELD_INT },
  { "fee", IOC_FIELD_BOOL },          { "paid_online", IOC_FIELD_BOOL },
  { "digitized", IOC_FIELD_BOOL },    { "e_result", IOC_FIELD_BOOL },
  { "applicant_commune", IOC_FIELD_STRING },
  { "counters_open", IOC_FIELD_INT }, { "waiting", IOC_FIELD_INT },
  { "online", IOC_FIELD_BOOL },       { "queue_length", IOC_FIELD_INT },
  { "paper_low", IOC_FIELD_BOOL },    { "open", IOC_FIELD_INT },
  { "open_overdue", IOC_FIELD_INT },  { "sync_lag_s", IOC_FIELD_INT },
};

gboolean
ioc_envelope_field_type (const gchar *name, IocFieldType *out)
{
  for (gsize i = 0; i < G_N_ELEMENTS (field_defs); i++)
    if (strcmp (field_defs[i].name, name) == 0)
      {
        *out = field_defs[i].type;
        return TRUE;
      }
  return FALSE;
}

/* Required fields per event type (SPEC §4 table), NULL-terminated. */
static const gchar *const req_counter[] = { "counter", NULL };
static const gchar *const req_called[] = { "ticket", "counter", "wait_s", NULL };
static const gchar *const req_done[] = { "ticket", "counter", "service_s", NULL };
static const gchar *const req_ticket[] = { "ticket", NULL };
static const gchar *const req_rating[] = { "level", "scale", "channel", NULL };
static const gchar *const req_camera[] = { "camera", NULL };
static const gchar *const req_dossier[] = { "dossier", "procedure", "state", "channel",
                                            "received_at", NULL };

static const gchar *const *
required_fields (IocEventType t)
{
  switch (t)
    {
    case IOC_EV_COUNTER_OPEN:
    case IOC_EV_COUNTER_CLOSE: return req_counter;
    case IOC_EV_TICKET_CALLED: return req_called;
    case IOC_EV_SERVICE_DONE: return req_done;
    case IOC_EV_TICKET_ISSUED:
    case IOC_EV_TICKET_NO_SHOW: return req_ticket;
    case IOC_EV_RATING: return req_rating;
    case IOC_EV_DOSSIER: return req_dossier;
    default: return req_camera;
    }
}

static gboolean
node_has_type (JsonNode *node, IocFieldType type)
{
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
    case IOC_FIELD_OBJECTS:
      return JSON_NODE_HOLDS_ARRAY (node);
    }
  return FALSE;
}

static const gchar *
type_name (IocFieldType t)
{
  static const gchar *const names[] = { "a string", "an integer", "a number", "a boolean",
                                        "RFC 3339 time with offset or epoch ms", "an array" };
  return names[t];
}

gboolean
ioc_envelope_check_event (IocKind kind, const gchar *type, JsonObject *fields, GError **error)
{
  IocEventType t;
  if (type == NULL || !ioc_event_type_from_string (type, strlen (type), &t))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "unknown event type \"%s\"",
                   type ? type : "(none)");
      return FALSE;
    }
  if (ioc_event_type_kind (t) != kind)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "event type %s is not one of kind %s", type,
                   ioc_kind_name (kind));
      return FALSE;
    }
  for (const gchar *const *r = required_fields (t); *r; r++)
    if (!json_object_has_member (fields, *r))
      {
        g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s: missing field %s", type, *r);
        return FALSE;
      }
  /* Every present SPEC field has its type; "channel" differs by kind. */
  g_autoptr (GList) members = json_object_get_members (fields);
  for (GList *l = members; l; l = l->next)
    {
      const gchar *name = l->data;
      JsonNode *node = json_object_get_member (fields, name);
      IocFieldType ft;
      if (strcmp (name, "channel") == 0)
        ft = t == IOC_EV_DOSSIER ? IOC_FIELD_INT : IOC_FIELD_STRING;
      else if (!ioc_envelope_field_type (name, &ft))
        continue;
      if (!node_has_type (node, ft))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s: field %s: expected %s", type, name,
                       type_name (ft));
          return FALSE;
        }
    }
  if (t == IOC_EV_RATING)
    {
      gint64 scale = json_object_get_int_member (fields, "scale");
      gint64 level = json_object_get_int_member (fields, "level");
      const gchar *ch = json_object_get_string_member (fields, "channel");
      if (scale != 3 && scale != 5)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "rating: scale %" G_GINT64_FORMAT
                       " is not 3 or 5", scale);
          return FALSE;
        }
      if (level < 1 || level > scale)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "rating: level %" G_GINT64_FORMAT
                       " outside 1…%" G_GINT64_FORMAT, level, scale);
          return FALSE;
        }
      if (strcmp (ch, "device") != 0 && strcmp (ch, "qr") != 0 && strcmp (ch, "web") != 0)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "rating: channel \"%s\" is not "
                       "device, qr or web", ch);
          return FALSE;
        }
    }
  if (t == IOC_EV_DOSSIER)
    {
      gint64 state = json_object_get_int_member (fields, "state");
      gint64 channel = json_object_get_int_member (fields, "channel");
      if (state < 1 || state > 10 || channel < 1 || channel > 3)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "dossier: state %" G_GINT64_FORMAT
                       " or channel %" G_GINT64_FORMAT " out of range", state, channel);
          return FALSE;
        }
      if (json_object_has_member (fields, "supplements")
          && json_object_get_int_member (fields, "supplements") < 0)
        {
          g_set_error_literal (error, IOC_ERROR, IOC_ERROR_FAILED, "dossier: supplements < 0");
          return FALSE;
        }
    }
  return TRUE;
}

gchar *
ioc_envelope_build (gint64 seq, gint64 ts_us, const gchar *type, JsonObject *fields,
                    gsize *out_len, GError **error)
{
  g_return_val_if_fail (seq >= 1, NULL);
  gchar ts[IOC_TIME_BUF];
  ioc_time_format (ts_us, ts);

  g_autoptr (JsonObject) obj = json_object_new ();
  json_object_set_int_member (obj, "v", 1);
  json_object_set_int_member (obj, "seq", seq);
  json_object_set_string_member (obj, "ts", ts);
  if (type)
    json_object_set_string_member (obj, "type", type);
  if (fields)
    {
      g_autoptr (GList) members = json_object_get_members (fields);
      for (GList *l = members; l; l = l->next)
        {
          const gchar *name = l->data;
          if (strcmp (name, "v") == 0 || strcmp (name, "seq") == 0 || strcmp (name, "ts") == 0
              || strcmp (name, "type") == 0)
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
