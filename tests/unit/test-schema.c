/* test-schema.c — SPEC §4 as data (protocol/ioc-schema.h), against SPEC's
 * own tables written out again here: every event type and status field is
 * there with its kind, JSON type and required flag, and the ranges SPEC
 * names.  Then the two ends that walk the schema must agree, on rows
 * generated from the schema itself: what the connectors' envelope writer
 * accepts and builds, the hub's decoder accepts; what one refuses, the
 * other refuses, the decoder with the reason the rule implies. */
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ingest/decoder.h"
#include "lib/envelope-writer.h"
#include "protocol/ioc-schema.h"

#define TS_US G_GINT64_CONSTANT (1795309200000000) /* 2026-11-22T08:00:00+07:00 */
#define A_TIME "2026-11-22T08:00:00+07:00"

/* ---- SPEC §4, written out again ---------------------------------------- */

static const struct
{
  const gchar *type;
  IocKind kind;
  const gchar *required; /* space-separated */
  const gchar *optional;
} spec_events[] = {
  { "counter.open", IOC_KIND_DESK, "counter", "officer" },
  { "counter.close", IOC_KIND_DESK, "counter", "officer" },
  { "ticket.called", IOC_KIND_DESK, "ticket counter wait_s", "" },
  { "service.done", IOC_KIND_DESK, "ticket counter service_s", "officer dossier" },
  { "ticket.issued", IOC_KIND_KIOSK, "ticket", "service priority" },
  { "ticket.no_show", IOC_KIND_KIOSK, "ticket", "" },
  { "rating", IOC_KIND_KIOSK, "level scale channel", "counter officer dossier" },
  { "camera.offline", IOC_KIND_CAMERA, "camera", "counter" },
  { "camera.online", IOC_KIND_CAMERA, "camera", "counter" },
  { "video.loss", IOC_KIND_CAMERA, "camera", "counter" },
  { "tamper", IOC_KIND_CAMERA, "camera", "counter" },
  { "recording.stopped", IOC_KIND_CAMERA, "camera", "counter" },
  { "recording.started", IOC_KIND_CAMERA, "camera", "counter" },
  { "dossier", IOC_KIND_PORTAL, "dossier procedure state channel received_at",
    "due_at supplements fee paid_online digitized e_result applicant_commune" },
};

/* The JSON type of each field; "channel" is a string in a rating and an
 * integer in a dossier. */
static IocFieldType
spec_type (const gchar *event, const gchar *field)
{
  static const struct
  {
    const gchar *names;
    IocFieldType type;
  } types[] = {
    { "counter officer ticket dossier service priority camera procedure applicant_commune", IOC_FIELD_STRING },
    { "level scale state supplements counters_open waiting queue_length open open_overdue sync_lag_s",
      IOC_FIELD_INT },
    { "wait_s service_s fps bitrate_kbps", IOC_FIELD_NUMBER },
    { "fee paid_online digitized e_result online paper_low recording", IOC_FIELD_BOOL },
    { "received_at due_at", IOC_FIELD_TIME },
    { "cameras", IOC_FIELD_OBJECTS },
  };
  if (strcmp (field, "channel") == 0)
    return g_strcmp0 (event, "dossier") == 0 ? IOC_FIELD_INT : IOC_FIELD_STRING;
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_auto (GStrv) names = g_strsplit (types[i].names, " ", -1);
      if (g_strv_contains ((const gchar *const *) names, field))
        return types[i].type;
    }
  g_error ("no SPEC type for %s", field);
}

/* Status fields: every one optional for the hub (a status is a heartbeat). */
static const gchar *const spec_status[IOC_KIND_COUNT] = {
  [IOC_KIND_DESK] = "counters_open waiting",
  [IOC_KIND_KIOSK] = "online queue_length paper_low",
  [IOC_KIND_CAMERA] = "cameras",
  [IOC_KIND_PORTAL] = "open open_overdue sync_lag_s",
};

/* Compares rows with SPEC's required and optional lists. */
static void
assert_rows (const gchar *what, const IocFieldRule *rows, guint n, const gchar *required, const gchar *optional)
{
  g_auto (GStrv) req = g_strsplit (required, " ", -1);
  g_auto (GStrv) opt = g_strsplit (optional, " ", -1);
  guint want = 0;
  for (guint i = 0; req[i]; i++)
    want += *req[i] != '\0';
  for (guint i = 0; opt[i]; i++)
    want += *opt[i] != '\0';
  if (n != want)
    g_error ("%s: %u rows, SPEC names %u fields", what, n, want);
  for (guint i = 0; i < n; i++)
    {
      const gchar *name = ioc_key_name (rows[i].key);
      gboolean is_req = g_strv_contains ((const gchar *const *) req, name);
      if (!is_req && !g_strv_contains ((const gchar *const *) opt, name))
        g_error ("%s: %s is not a SPEC field here", what, name);
      if (rows[i].required != is_req)
        g_error ("%s: %s required %d, SPEC says %d", what, name, rows[i].required, is_req);
      if (rows[i].type != spec_type (what, name))
        g_error ("%s: %s has type %s", what, name, ioc_field_type_text (rows[i].type));
    }
}

static void
test_spec_tables (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (spec_events), ==, IOC_EV_COUNT - 1);
  for (guint i = 0; i < G_N_ELEMENTS (spec_events); i++)
    {
      IocEventType t;
      const gchar *name = spec_events[i].type;
      g_assert_true (ioc_event_type_from_string (name, strlen (name), &t));
      g_assert_cmpstr (ioc_event_type_name (t), ==, name);
      g_assert_cmpint (ioc_event_type_kind (t), ==, spec_events[i].kind);
      const IocEventSchema *ev = ioc_schema_event (t);
      g_assert_cmpint (ev->type, ==, t);
      assert_rows (name, ev->fields, ev->n_fields, spec_events[i].required, spec_events[i].optional);
    }
  for (guint k = 0; k < IOC_KIND_COUNT; k++)
    {
      const IocStatusSchema *st = ioc_schema_status ((IocKind) k);
      assert_rows (ioc_kind_name ((IocKind) k), st->fields, st->n_fields, "", spec_status[k]);
      if (k == IOC_KIND_CAMERA)
        assert_rows ("camera element", st->element_fields, st->n_element_fields, "camera",
                     "online recording fps bitrate_kbps");
      else
        g_assert_null (st->element_fields);
    }

  /* The envelope: v, seq, ts required, in that order (v first). */
  guint n = 0;
  const IocFieldRule *env = ioc_schema_envelope (&n);
  g_assert_cmpuint (n, >=, 3);
  g_assert_cmpint (env[0].key, ==, IOC_KEY_V);
  g_assert_true (env[0].required && env[0].min == 1 && env[0].max == 1);
  g_assert_true (ioc_schema_envelope_field (IOC_KEY_SEQ)->required);
  g_assert_cmpint (ioc_schema_envelope_field (IOC_KEY_SEQ)->min, ==, 1);
  g_assert_cmpint (ioc_schema_envelope_field (IOC_KEY_TS)->type, ==, IOC_FIELD_TIME);
  g_assert_cmpint (ioc_schema_envelope_field (IOC_KEY_TYPE)->type, ==, IOC_FIELD_STRING);
}

/* The ranges SPEC §4 spells out. */
static void
test_spec_ranges (void)
{
  const IocFieldRule *scale = ioc_schema_event_field (IOC_EV_RATING, IOC_KEY_SCALE);
  const IocFieldRule *level = ioc_schema_event_field (IOC_EV_RATING, IOC_KEY_LEVEL);
  const IocFieldRule *rchan = ioc_schema_event_field (IOC_EV_RATING, IOC_KEY_CHANNEL);
  const IocFieldRule *state = ioc_schema_event_field (IOC_EV_DOSSIER, IOC_KEY_STATE);
  const IocFieldRule *dchan = ioc_schema_event_field (IOC_EV_DOSSIER, IOC_KEY_CHANNEL);
  gchar detail[200];
  const gchar *allowed;

  for (gint64 x = -1; x <= 7; x++)
    g_assert_cmpint (ioc_schema_check_int (scale, x, 0, detail, sizeof detail) == IOC_REJECT_NONE, ==,
                     x == 3 || x == 5);
  g_assert_cmpint (level->max_key, ==, IOC_KEY_SCALE);
  for (gint64 s = 3; s <= 5; s += 2)
    for (gint64 x = -1; x <= 7; x++)
      g_assert_cmpint (ioc_schema_check_int (level, x, s, detail, sizeof detail) == IOC_REJECT_NONE, ==,
                       x >= 1 && x <= s);
  g_assert_cmpint (ioc_schema_check_int (level, 6, 5, detail, sizeof detail), ==, IOC_REJECT_OUT_OF_RANGE);
  g_assert_cmpstr (detail, ==, "level: 6 is above scale 5");
  for (gint64 x = -1; x <= 12; x++)
    g_assert_cmpint (ioc_schema_check_int (state, x, 0, detail, sizeof detail) == IOC_REJECT_NONE, ==,
                     x >= 1 && x <= 10);
  for (gint64 x = -1; x <= 5; x++)
    g_assert_cmpint (ioc_schema_check_int (dchan, x, 0, detail, sizeof detail) == IOC_REJECT_NONE, ==,
                     x >= 1 && x <= 3);
  const gchar *const *channels = ioc_schema_rating_channels ();
  g_assert_cmpuint (g_strv_length ((gchar **) channels), ==, 3);
  for (guint i = 0; channels[i]; i++)
    {
      g_assert_cmpint (ioc_schema_check_string (rchan, channels[i], strlen (channels[i]), &allowed, detail,
                                                sizeof detail), ==, IOC_REJECT_NONE);
      g_assert_true (allowed == channels[i]);
    }
  g_assert_cmpint (ioc_schema_check_string (rchan, "sms", 3, &allowed, detail, sizeof detail), ==,
                   IOC_REJECT_OUT_OF_RANGE);
  g_assert_cmpstr (detail, ==, "channel: \"sms\" is not device, qr or web");
}

/* One table of names for each enum; no two names alike. */
static void
test_names (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint k = 0; k < IOC_KIND_COUNT; k++)
    {
      IocKind back;
      const gchar *name = ioc_kind_name ((IocKind) k);
      g_assert_true (ioc_kind_from_string (name, strlen (name), &back) && back == k);
      g_assert_true (ioc_kind_names[k] == name);
    }
  for (guint t = 0; t < IOC_MSG_COUNT; t++)
    {
      IocMsgType back;
      const gchar *name = ioc_msg_type_name ((IocMsgType) t);
      g_assert_true (ioc_msg_type_from_string (name, strlen (name), &back) && back == t);
    }
  for (guint k = IOC_KEY_NONE + 1; k < IOC_KEY_COUNT; k++)
    {
      const gchar *name = ioc_key_name ((IocKey) k);
      g_assert_cmpuint (strlen (name), >=, 1);
      g_assert_cmpuint (strlen (name), <=, IOC_KEY_MAX_LEN);
      g_assert_false (g_hash_table_contains (seen, name));
      g_hash_table_add (seen, (gpointer) name);
    }
  for (guint r = 0; r < IOC_REJECT_COUNT; r++)
    g_assert_nonnull (ioc_reject_name ((IocReject) r));
}

/* ---- writer and decoder agree ------------------------------------------ */

/* A value that satisfies rule; high: the top of its range instead. */
static JsonNode *
good_value (const IocFieldRule *rule, gboolean high, gint64 bound)
{
  JsonNode *n = json_node_alloc ();
  switch (rule->type)
    {
    case IOC_FIELD_STRING:
      if (rule->strings != NULL)
        return json_node_init_string (n, rule->strings[high ? g_strv_length ((gchar **) rule->strings) - 1 : 0]);
      return json_node_init_string (n, high ? "Quầy \"số\" 1 — Đức" : "x");
    case IOC_FIELD_INT:
      {
        gint64 lo = rule->min, hi = rule->max == IOC_SCHEMA_NO_MAX ? rule->min + 1000 : rule->max;
        if (rule->max_key != IOC_KEY_NONE)
          hi = MIN (hi, bound);
        gint64 x = high ? hi : lo;
        while (rule->allowed != 0 && !(rule->allowed & (G_GUINT64_CONSTANT (1) << x)))
          x += high ? -1 : 1;
        return json_node_init_int (n, x);
      }
    case IOC_FIELD_NUMBER:
      return json_node_init_double (n, high && rule->max != IOC_SCHEMA_NO_MAX ? (gdouble) rule->max
                                                                              : (gdouble) rule->min + 12.5);
    case IOC_FIELD_BOOL:
      return json_node_init_boolean (n, high);
    case IOC_FIELD_TIME:
      return high ? json_node_init_int (n, TS_US / 1000) : json_node_init_string (n, A_TIME);
    default:
      g_assert_not_reached ();
    }
}

static JsonObject *
good_fields (const IocFieldRule *rows, guint n, gboolean all, gboolean high)
{
  JsonObject *o = json_object_new ();
  for (guint i = 0; i < n; i++)
    if (rows[i].required || all)
      {
        gint64 bound = rows[i].max_key != IOC_KEY_NONE
                         ? json_object_get_int_member (o, ioc_key_name (rows[i].max_key)) : 0;
        json_object_set_member (o, ioc_key_name (rows[i].key), good_value (&rows[i], high, bound));
      }
  return o;
}

static IocReject
decode_built (IocDecoder *dec, IocKind kind, const gchar *type, JsonObject *fields, const IocRecord **rec,
              const gchar **detail)
{
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = ioc_envelope_build (41, "k3x9", TS_US, type, fields, &len, &error);
  g_assert_no_error (error);
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/xa-16681/%s/dev-1/%s", ioc_kind_name (kind),
                                             type ? "event" : "status");
  return ioc_decoder_decode (dec, topic, strlen (topic), (const guint8 *) text, len, rec, detail);
}

static void
test_writer_output_decodes (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  for (guint t = IOC_EV_NONE + 1; t < IOC_EV_COUNT; t++)
    {
      const IocEventSchema *ev = ioc_schema_event ((IocEventType) t);
      for (guint variant = 0; variant < 3; variant++)
        {
          /* required only; every field low; every field high */
          g_autoptr (JsonObject) f = good_fields (ev->fields, ev->n_fields, variant > 0, variant == 2);
          g_autoptr (GError) error = NULL;
          const IocRecord *rec = NULL;
          const gchar *detail = NULL;
          if (!ioc_envelope_check_event (ev->kind, ev->name, f, &error))
            g_error ("%s variant %u: writer refuses: %s", ev->name, variant, error->message);
          IocReject r = decode_built (dec, ev->kind, ev->name, f, &rec, &detail);
          if (r != IOC_REJECT_NONE)
            g_error ("%s variant %u: decoder refuses: %s", ev->name, variant, detail);
          g_assert_cmpint (rec->type, ==, t);
          g_assert_cmpint (rec->seq, ==, 41);
          g_assert_cmpint (rec->ts_us, ==, TS_US);
        }
    }
  for (guint k = 0; k < IOC_KIND_COUNT; k++)
    {
      const IocStatusSchema *st = ioc_schema_status ((IocKind) k);
      for (guint variant = 0; variant < 3; variant++)
        {
          g_autoptr (JsonObject) f = NULL;
          if (st->element_fields == NULL)
            f = good_fields (st->fields, st->n_fields, variant > 0, variant == 2);
          else if (variant == 1) /* one camera's fields at the top level */
            f = good_fields (st->element_fields, st->n_element_fields, TRUE, FALSE);
          else
            {
              JsonArray *a = json_array_new ();
              for (guint i = 0; i < 3; i++)
                json_array_add_object_element (a, good_fields (st->element_fields, st->n_element_fields,
                                                               i > 0, variant == 2));
              f = json_object_new ();
              json_object_set_array_member (f, "cameras", a);
            }
          g_autoptr (GError) error = NULL;
          const IocRecord *rec = NULL;
          const gchar *detail = NULL;
          if (!ioc_envelope_check_status ((IocKind) k, f, &error))
            g_error ("%s status variant %u: writer refuses: %s", ioc_kind_name (k), variant, error->message);
          IocReject r = decode_built (dec, (IocKind) k, NULL, f, &rec, &detail);
          if (r != IOC_REJECT_NONE)
            g_error ("%s status variant %u: decoder refuses: %s", ioc_kind_name (k), variant, detail);
          if (k == IOC_KIND_CAMERA)
            g_assert_cmpuint (rec->n_cameras, ==, variant == 1 ? 1 : 3);
        }
    }
}

typedef struct
{
  const gchar *how;
  JsonNode *value; /* NULL: remove the field */
  IocReject want;
} Breakage;

/* The ways a rule can be broken, each with the reason the hub gives. */
static GArray *
breakages (const IocFieldRule *rule, gint64 bound)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (Breakage));
  Breakage b;
#define ADD(h, v, w) (b = (Breakage) { h, v, w }, g_array_append_val (out, b))
  if (rule->required)
    ADD ("missing", NULL, IOC_REJECT_MISSING_FIELD);
  if (rule->required)
    ADD ("null", json_node_init_null (json_node_alloc ()), IOC_REJECT_WRONG_TYPE);
  switch (rule->type)
    {
    case IOC_FIELD_STRING:
      ADD ("a number", json_node_init_int (json_node_alloc (), 7), IOC_REJECT_WRONG_TYPE);
      if (rule->min > 0)
        ADD ("empty", json_node_init_string (json_node_alloc (), ""), IOC_REJECT_OUT_OF_RANGE);
      if (rule->strings != NULL)
        ADD ("not in the set", json_node_init_string (json_node_alloc (), "nope"), IOC_REJECT_OUT_OF_RANGE);
      if (rule->max != IOC_SCHEMA_NO_MAX)
        {
          g_autofree gchar *long_text = g_strnfill ((gsize) rule->max + 1, 'e');
          ADD ("too long", json_node_init_string (json_node_alloc (), long_text), IOC_REJECT_OUT_OF_RANGE);
        }
      break;
    case IOC_FIELD_INT:
      ADD ("a string", json_node_init_string (json_node_alloc (), "7"), IOC_REJECT_WRONG_TYPE);
      if (rule->min > G_MININT64)
        ADD ("below", json_node_init_int (json_node_alloc (), rule->min - 1), IOC_REJECT_OUT_OF_RANGE);
      if (rule->max != IOC_SCHEMA_NO_MAX)
        ADD ("above", json_node_init_int (json_node_alloc (), rule->max + 1), IOC_REJECT_OUT_OF_RANGE);
      if (rule->allowed != 0)
        for (gint64 x = rule->min; x <= rule->max; x++)
          if (!(rule->allowed & (G_GUINT64_CONSTANT (1) << x)))
            ADD ("not in the set", json_node_init_int (json_node_alloc (), x), IOC_REJECT_OUT_OF_RANGE);
      if (rule->max_key != IOC_KEY_NONE && bound < rule->max)
        ADD ("above its bound", json_node_init_int (json_node_alloc (), bound + 1), IOC_REJECT_OUT_OF_RANGE);
      break;
    case IOC_FIELD_NUMBER:
      ADD ("a string", json_node_init_string (json_node_alloc (), "7"), IOC_REJECT_WRONG_TYPE);
      ADD ("below", json_node_init_double (json_node_alloc (), (gdouble) rule->min - 0.5), IOC_REJECT_OUT_OF_RANGE);
      if (rule->max != IOC_SCHEMA_NO_MAX)
        ADD ("above", json_node_init_double (json_node_alloc (), (gdouble) rule->max + 0.5), IOC_REJECT_OUT_OF_RANGE);
      break;
    case IOC_FIELD_BOOL:
      ADD ("a number", json_node_init_int (json_node_alloc (), 1), IOC_REJECT_WRONG_TYPE);
      break;
    case IOC_FIELD_TIME:
      ADD ("a boolean", json_node_init_boolean (json_node_alloc (), TRUE), IOC_REJECT_WRONG_TYPE);
      ADD ("not a time", json_node_init_string (json_node_alloc (), "yesterday"), IOC_REJECT_BAD_TIME);
      ADD ("no offset", json_node_init_string (json_node_alloc (), "2026-11-22T08:00:00"), IOC_REJECT_BAD_TIME);
      break;
    default:
      break;
    }
#undef ADD
  return out;
}

/* Breaks each row of rows in every way, in an otherwise good message, and
 * asks both ends.  Returns the number of cases run. */
static guint
refuse_rows (IocDecoder *dec, IocKind kind, const gchar *type, const IocFieldRule *rows, guint n,
             gboolean as_camera, guint *reasons)
{
  guint cases = 0;
  for (guint i = 0; i < n; i++)
    {
      const IocFieldRule *rule = &rows[i];
      const gchar *name = ioc_key_name (rule->key);
      g_autoptr (JsonObject) base = good_fields (rows, n, TRUE, FALSE);
      gint64 bound = rule->max_key != IOC_KEY_NONE ? json_object_get_int_member (base, ioc_key_name (rule->max_key))
                                                   : 0;
      g_autoptr (GArray) ways = breakages (rule, bound);
      for (guint w = 0; w < ways->len; w++)
        {
          Breakage *b = &g_array_index (ways, Breakage, w);
          g_autoptr (JsonObject) f = good_fields (rows, n, TRUE, FALSE);
          if (b->value != NULL)
            json_object_set_member (f, name, b->value);
          else
            json_object_remove_member (f, name);
          g_autoptr (JsonObject) msg = NULL;
          if (as_camera)
            {
              JsonArray *a = json_array_new ();
              json_array_add_object_element (a, json_object_ref (f));
              msg = json_object_new ();
              json_object_set_array_member (msg, "cameras", a);
            }
          else
            msg = json_object_ref (f);

          g_autoptr (GError) error = NULL;
          gboolean writer_ok = type ? ioc_envelope_check_event (kind, type, msg, &error)
                                    : ioc_envelope_check_status (kind, msg, &error);
          const IocRecord *rec = NULL;
          const gchar *detail = NULL;
          IocReject r = decode_built (dec, kind, type, msg, &rec, &detail);
          g_test_message ("%s %s %s: writer %s, decoder %s (%s)", type ? type : ioc_kind_name (kind), name,
                          b->how, writer_ok ? "accepts" : error->message, ioc_reject_name (r),
                          detail ? detail : "");
          if (writer_ok)
            g_error ("%s: %s %s: the writer accepts it", type ? type : ioc_kind_name (kind), name, b->how);
          if (r != b->want)
            g_error ("%s: %s %s: decoder says %s (%s), want %s", type ? type : ioc_kind_name (kind), name,
                     b->how, ioc_reject_name (r), detail, ioc_reject_name (b->want));
          g_assert_nonnull (strstr (detail, name));
          reasons[r]++;
          cases++;
        }
    }
  return cases;
}

static void
test_refused_by_both (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  guint reasons[IOC_REJECT_COUNT] = { 0 };
  guint cases = 0;

  for (guint t = IOC_EV_NONE + 1; t < IOC_EV_COUNT; t++)
    {
      const IocEventSchema *ev = ioc_schema_event ((IocEventType) t);
      cases += refuse_rows (dec, ev->kind, ev->name, ev->fields, ev->n_fields, FALSE, reasons);
    }
  for (guint k = 0; k < IOC_KIND_COUNT; k++)
    {
      const IocStatusSchema *st = ioc_schema_status ((IocKind) k);
      if (st->element_fields != NULL)
        cases += refuse_rows (dec, (IocKind) k, NULL, st->element_fields, st->n_element_fields, TRUE, reasons);
      else
        cases += refuse_rows (dec, (IocKind) k, NULL, st->fields, st->n_fields, FALSE, reasons);
    }
  g_test_message ("%u cases", cases);
  g_assert_cmpuint (cases, >, 100);
  /* Every reason a field rule can imply was produced. */
  g_assert_cmpuint (reasons[IOC_REJECT_MISSING_FIELD], >, 0);
  g_assert_cmpuint (reasons[IOC_REJECT_WRONG_TYPE], >, 0);
  g_assert_cmpuint (reasons[IOC_REJECT_OUT_OF_RANGE], >, 0);
  g_assert_cmpuint (reasons[IOC_REJECT_BAD_TIME], >, 0);
}

/* The writer's field types, for mapping source values, come from the rows. */
static void
test_field_types (void)
{
  IocFieldType t;
  g_assert_true (ioc_envelope_field_type ("wait_s", &t) && t == IOC_FIELD_NUMBER);
  g_assert_true (ioc_envelope_field_type ("ticket", &t) && t == IOC_FIELD_STRING);
  g_assert_true (ioc_envelope_field_type ("state", &t) && t == IOC_FIELD_INT);
  g_assert_true (ioc_envelope_field_type ("received_at", &t) && t == IOC_FIELD_TIME);
  g_assert_true (ioc_envelope_field_type ("paper_low", &t) && t == IOC_FIELD_BOOL);
  g_assert_false (ioc_envelope_field_type ("channel", &t)); /* string or integer by event */
  g_assert_false (ioc_envelope_field_type ("cameras", &t));
  g_assert_false (ioc_envelope_field_type ("schema", &t));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/schema/spec-tables", test_spec_tables);
  g_test_add_func ("/ioc/schema/spec-ranges", test_spec_ranges);
  g_test_add_func ("/ioc/schema/names", test_names);
  g_test_add_func ("/ioc/schema/writer-output-decodes", test_writer_output_decodes);
  g_test_add_func ("/ioc/schema/refused-by-both", test_refused_by_both);
  g_test_add_func ("/ioc/schema/field-types", test_field_types);
  return g_test_run ();
}
