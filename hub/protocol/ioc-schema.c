/* ioc-schema.c — the tables of SPEC §3–§4 (see ioc-schema.h) and the range
 * checks both ends of the wire share.  Pure data and functions; any thread. */
#include "protocol/ioc-schema.h"

#include <stdio.h>
#include <string.h>

/* ---- names ---- */

const gchar *const ioc_kind_names[IOC_KIND_COUNT] = { "desk", "kiosk", "camera", "portal" };
const gchar *const ioc_msg_type_names[IOC_MSG_COUNT] = { "event", "status", "state" };

static const gchar *const key_names[IOC_KEY_COUNT] = {
  [IOC_KEY_NONE] = "",
  [IOC_KEY_V] = "v",
  [IOC_KEY_SEQ] = "seq",
  [IOC_KEY_EPOCH] = "epoch",
  [IOC_KEY_TS] = "ts",
  [IOC_KEY_TYPE] = "type",
  [IOC_KEY_COUNTER] = "counter",
  [IOC_KEY_OFFICER] = "officer",
  [IOC_KEY_TICKET] = "ticket",
  [IOC_KEY_DOSSIER] = "dossier",
  [IOC_KEY_SERVICE] = "service",
  [IOC_KEY_PRIORITY] = "priority",
  [IOC_KEY_CAMERA] = "camera",
  [IOC_KEY_WAIT_S] = "wait_s",
  [IOC_KEY_SERVICE_S] = "service_s",
  [IOC_KEY_LEVEL] = "level",
  [IOC_KEY_SCALE] = "scale",
  [IOC_KEY_CHANNEL] = "channel",
  [IOC_KEY_PROCEDURE] = "procedure",
  [IOC_KEY_STATE] = "state",
  [IOC_KEY_RECEIVED_AT] = "received_at",
  [IOC_KEY_DUE_AT] = "due_at",
  [IOC_KEY_SUPPLEMENTS] = "supplements",
  [IOC_KEY_FEE] = "fee",
  [IOC_KEY_PAID_ONLINE] = "paid_online",
  [IOC_KEY_DIGITIZED] = "digitized",
  [IOC_KEY_E_RESULT] = "e_result",
  [IOC_KEY_APPLICANT_COMMUNE] = "applicant_commune",
  [IOC_KEY_COUNTERS_OPEN] = "counters_open",
  [IOC_KEY_WAITING] = "waiting",
  [IOC_KEY_ONLINE] = "online",
  [IOC_KEY_QUEUE_LENGTH] = "queue_length",
  [IOC_KEY_PAPER_LOW] = "paper_low",
  [IOC_KEY_OPEN] = "open",
  [IOC_KEY_OPEN_OVERDUE] = "open_overdue",
  [IOC_KEY_SYNC_LAG_S] = "sync_lag_s",
  [IOC_KEY_CAMERAS] = "cameras",
  [IOC_KEY_RECORDING] = "recording",
  [IOC_KEY_FPS] = "fps",
  [IOC_KEY_BITRATE_KBPS] = "bitrate_kbps",
  [IOC_KEY_CONFIG_VERSION] = "config_version",
};
G_STATIC_ASSERT (IOC_KEY_COUNT <= 64);

/* ---- rows ----
 *
 * One macro per JSON type keeps a row to one line.  REQ/OPT say whether
 * the field is required.  A required string is an identifier and may not
 * be empty. */
#define REQ TRUE
#define OPT FALSE
#define NO_MAX IOC_SCHEMA_NO_MAX
#define STR(k, req)                                                                                \
  { .key = IOC_KEY_##k, .type = IOC_FIELD_STRING, .required = req, .min = req ? 1 : 0, .max = NO_MAX }
#define STR_LEN(k, req, lo, hi)                                                                    \
  { .key = IOC_KEY_##k, .type = IOC_FIELD_STRING, .required = req, .min = lo, .max = hi }
#define STR_IN(k, req, set)                                                                        \
  { .key = IOC_KEY_##k, .type = IOC_FIELD_STRING, .required = req, .min = 1, .max = NO_MAX,          \
    .strings = set }
#define INT(k, req, lo, hi, ...)                                                                   \
  { .key = IOC_KEY_##k, .type = IOC_FIELD_INT, .required = req, .min = lo, .max = hi, __VA_ARGS__ }
#define NUM(k, req, lo, hi)                                                                        \
  { .key = IOC_KEY_##k, .type = IOC_FIELD_NUMBER, .required = req, .min = lo, .max = hi }
#define BOOL(k) { .key = IOC_KEY_##k, .type = IOC_FIELD_BOOL, .required = OPT }
#define TIME(k, req) { .key = IOC_KEY_##k, .type = IOC_FIELD_TIME, .required = req }
#define BIT(n) (G_GUINT64_CONSTANT (1) << (n))

static const gchar *const rating_channels[] = { "device", "qr", "web", NULL };

/* Plausible ranges (docs/CONNECTORS.md, "The envelope"): a value outside
 * its range is a fault at the source, dead-lettered out_of_range, never a
 * number to average.  Times are bounded by their format (years 0–9999). */
#define DAY_S (24 * 3600)
#define WORKING_DAY_S (8 * 3600)
#define MAX_EXACT_JSON_INT G_GINT64_CONSTANT (9007199254740991) /* 2^53 - 1 */

/* SPEC §4, the envelope.  v is checked first, with its own reason. */
static const IocFieldRule envelope_fields[] = {
  INT (V, REQ, 1, 1),
  INT (SEQ, REQ, 1, MAX_EXACT_JSON_INT),
  STR_LEN (EPOCH, OPT, 1, IOC_MAX_EPOCH_LEN),
  TIME (TS, REQ),
};
/* Events only; an unknown name is UNKNOWN_TYPE. */
static const IocFieldRule type_field = STR (TYPE, REQ);

/* SPEC §4, event types. */
static const IocFieldRule counter_fields[] = {
  STR (COUNTER, REQ),
  STR (OFFICER, OPT),
};
static const IocFieldRule ticket_called_fields[] = {
  STR (TICKET, REQ),
  STR (COUNTER, REQ),
  NUM (WAIT_S, REQ, 0, DAY_S), /* a wait longer than a day is no wait */
};
static const IocFieldRule service_done_fields[] = {
  STR (TICKET, REQ),
  STR (COUNTER, REQ),
  NUM (SERVICE_S, REQ, 0, WORKING_DAY_S), /* no service outlasts a working day */
  STR (OFFICER, OPT),
  STR (DOSSIER, OPT),
};
static const IocFieldRule ticket_issued_fields[] = {
  STR (TICKET, REQ),
  STR (SERVICE, OPT),
  STR (PRIORITY, OPT),
};
static const IocFieldRule ticket_no_show_fields[] = {
  STR (TICKET, REQ),
};
static const IocFieldRule rating_fields[] = {
  INT (SCALE, REQ, 3, 5, .allowed = BIT (3) | BIT (5)),
  INT (LEVEL, REQ, 1, 5, .max_key = IOC_KEY_SCALE), /* 1 = worst … scale */
  STR_IN (CHANNEL, REQ, rating_channels),
  STR (COUNTER, OPT),
  STR (OFFICER, OPT),
  STR (DOSSIER, OPT),
};
static const IocFieldRule camera_event_fields[] = {
  STR (CAMERA, REQ),
  STR (COUNTER, OPT),
};
static const IocFieldRule dossier_fields[] = {
  STR (DOSSIER, REQ),
  STR (PROCEDURE, REQ),
  INT (STATE, REQ, 1, 10),  /* IocDossierState */
  INT (CHANNEL, REQ, 1, 3), /* 1 in person, 2 online, 3 postal */
  TIME (RECEIVED_AT, REQ),
  TIME (DUE_AT, OPT),
  INT (SUPPLEMENTS, OPT, 0, 100),
  BOOL (FEE),
  BOOL (PAID_ONLINE),
  BOOL (DIGITIZED),
  BOOL (E_RESULT),
  STR (APPLICANT_COMMUNE, OPT),
};

#define EVENT(t, n, k, rows) [t] = { t, n, k, rows, G_N_ELEMENTS (rows) }
static const IocEventSchema events[IOC_EV_COUNT] = {
  [IOC_EV_NONE] = { IOC_EV_NONE, "", IOC_KIND_COUNT, NULL, 0 },
  EVENT (IOC_EV_COUNTER_OPEN, "counter.open", IOC_KIND_DESK, counter_fields),
  EVENT (IOC_EV_COUNTER_CLOSE, "counter.close", IOC_KIND_DESK, counter_fields),
  EVENT (IOC_EV_TICKET_CALLED, "ticket.called", IOC_KIND_DESK, ticket_called_fields),
  EVENT (IOC_EV_SERVICE_DONE, "service.done", IOC_KIND_DESK, service_done_fields),
  EVENT (IOC_EV_TICKET_ISSUED, "ticket.issued", IOC_KIND_KIOSK, ticket_issued_fields),
  EVENT (IOC_EV_TICKET_NO_SHOW, "ticket.no_show", IOC_KIND_KIOSK, ticket_no_show_fields),
  EVENT (IOC_EV_RATING, "rating", IOC_KIND_KIOSK, rating_fields),
  EVENT (IOC_EV_CAMERA_OFFLINE, "camera.offline", IOC_KIND_CAMERA, camera_event_fields),
  EVENT (IOC_EV_CAMERA_ONLINE, "camera.online", IOC_KIND_CAMERA, camera_event_fields),
  EVENT (IOC_EV_VIDEO_LOSS, "video.loss", IOC_KIND_CAMERA, camera_event_fields),
  EVENT (IOC_EV_TAMPER, "tamper", IOC_KIND_CAMERA, camera_event_fields),
  EVENT (IOC_EV_RECORDING_STOPPED, "recording.stopped", IOC_KIND_CAMERA, camera_event_fields),
  EVENT (IOC_EV_RECORDING_STARTED, "recording.started", IOC_KIND_CAMERA, camera_event_fields),
  EVENT (IOC_EV_DOSSIER, "dossier", IOC_KIND_PORTAL, dossier_fields),
};

/* SPEC §4, status fields.  SPEC marks some without "?", but a status is a
 * heartbeat first: a connector with nothing to report yet still sends one,
 * so the hub takes every status field as optional. */
static const IocFieldRule desk_status_fields[] = {
  INT (COUNTERS_OPEN, OPT, 0, 1000),
  INT (WAITING, OPT, 0, 10000),
};
static const IocFieldRule kiosk_status_fields[] = {
  BOOL (ONLINE),
  INT (QUEUE_LENGTH, OPT, 0, 10000),
  BOOL (PAPER_LOW),
};
static const IocFieldRule camera_status_fields[] = {
  { .key = IOC_KEY_CAMERAS, .type = IOC_FIELD_OBJECTS, .required = OPT },
};
/* One camera: an element of cameras[], or the top level of the status. */
static const IocFieldRule camera_fields[] = {
  STR (CAMERA, REQ),
  BOOL (ONLINE),
  BOOL (RECORDING),
  NUM (FPS, OPT, 0, 1000),
  NUM (BITRATE_KBPS, OPT, 0, 1000000),
};
static const IocFieldRule portal_status_fields[] = {
  INT (OPEN, OPT, 0, 10000000),
  INT (OPEN_OVERDUE, OPT, 0, 10000000),
  INT (SYNC_LAG_S, OPT, 0, 365 * DAY_S),
};

static const IocStatusSchema statuses[IOC_KIND_COUNT] = {
  [IOC_KIND_DESK] = { IOC_KIND_DESK, desk_status_fields, G_N_ELEMENTS (desk_status_fields), NULL, 0 },
  [IOC_KIND_KIOSK] = { IOC_KIND_KIOSK, kiosk_status_fields, G_N_ELEMENTS (kiosk_status_fields), NULL, 0 },
  [IOC_KIND_CAMERA] = { IOC_KIND_CAMERA, camera_status_fields, G_N_ELEMENTS (camera_status_fields),
                        camera_fields, G_N_ELEMENTS (camera_fields) },
  [IOC_KIND_PORTAL] = { IOC_KIND_PORTAL, portal_status_fields, G_N_ELEMENTS (portal_status_fields), NULL, 0 },
};

/* ---- lookups ---- */

static gboolean
lookup_name (const gchar *const *names, guint n, const gchar *s, gsize len, guint *out)
{
  for (guint i = 0; i < n; i++)
    if (strlen (names[i]) == len && memcmp (names[i], s, len) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

const gchar *
ioc_kind_name (IocKind kind)
{
  g_return_val_if_fail ((guint) kind < IOC_KIND_COUNT, NULL);
  return ioc_kind_names[kind];
}

gboolean
ioc_kind_from_string (const gchar *s, gsize len, IocKind *out)
{
  guint i;
  if (!lookup_name (ioc_kind_names, IOC_KIND_COUNT, s, len, &i))
    return FALSE;
  *out = (IocKind) i;
  return TRUE;
}

const gchar *
ioc_msg_type_name (IocMsgType t)
{
  g_return_val_if_fail ((guint) t < IOC_MSG_COUNT, NULL);
  return ioc_msg_type_names[t];
}

gboolean
ioc_msg_type_from_string (const gchar *s, gsize len, IocMsgType *out)
{
  guint i;
  if (!lookup_name (ioc_msg_type_names, IOC_MSG_COUNT, s, len, &i))
    return FALSE;
  *out = (IocMsgType) i;
  return TRUE;
}

const gchar *
ioc_event_type_name (IocEventType t)
{
  g_return_val_if_fail ((guint) t < IOC_EV_COUNT, NULL);
  return events[t].name;
}

gboolean
ioc_event_type_from_string (const gchar *s, gsize len, IocEventType *out)
{
  for (guint i = 1; i < IOC_EV_COUNT; i++)
    if (strlen (events[i].name) == len && memcmp (events[i].name, s, len) == 0)
      {
        *out = (IocEventType) i;
        return TRUE;
      }
  return FALSE;
}

IocKind
ioc_event_type_kind (IocEventType t)
{
  g_return_val_if_fail ((guint) t < IOC_EV_COUNT, IOC_KIND_COUNT);
  return events[t].kind;
}

const gchar *
ioc_key_name (IocKey key)
{
  g_return_val_if_fail ((guint) key < IOC_KEY_COUNT, NULL);
  return key_names[key];
}

const IocFieldRule *
ioc_schema_envelope (guint *n_fields)
{
  *n_fields = G_N_ELEMENTS (envelope_fields);
  return envelope_fields;
}

const IocFieldRule *
ioc_schema_envelope_field (IocKey key)
{
  if (key == IOC_KEY_TYPE)
    return &type_field;
  for (guint i = 0; i < G_N_ELEMENTS (envelope_fields); i++)
    if (envelope_fields[i].key == key)
      return &envelope_fields[i];
  return NULL;
}

const IocEventSchema *
ioc_schema_event (IocEventType t)
{
  g_return_val_if_fail (t > IOC_EV_NONE && t < IOC_EV_COUNT, NULL);
  return &events[t];
}

const IocStatusSchema *
ioc_schema_status (IocKind kind)
{
  g_return_val_if_fail ((guint) kind < IOC_KIND_COUNT, NULL);
  return &statuses[kind];
}

const IocFieldRule *
ioc_schema_event_field (IocEventType t, IocKey key)
{
  const IocEventSchema *ev = ioc_schema_event (t);
  for (guint i = 0; ev != NULL && i < ev->n_fields; i++)
    if (ev->fields[i].key == key)
      return &ev->fields[i];
  return NULL;
}

const gchar *const *
ioc_schema_rating_channels (void)
{
  return rating_channels;
}

const gchar *
ioc_field_type_text (IocFieldType type)
{
  static const gchar *const texts[] = {
    [IOC_FIELD_STRING] = "a string",
    [IOC_FIELD_INT] = "an integer",
    [IOC_FIELD_NUMBER] = "a number",
    [IOC_FIELD_BOOL] = "true or false",
    [IOC_FIELD_TIME] = "a time (RFC 3339 with offset, or integer epoch ms)",
    [IOC_FIELD_OBJECTS] = "an array of objects",
  };
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (texts), "?");
  return texts[type];
}

/* ---- range checks ---- */

/* "3 or 5", "device, qr or web". */
static void
join_or (GString *out, const gchar *const *words, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append (out, i + 1 == n ? " or " : ", ");
      g_string_append (out, words[i]);
    }
}

static G_GNUC_PRINTF (3, 4) IocReject
out_of_range (gchar *detail, gsize size, const gchar *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (detail, size, fmt, ap);
  va_end (ap);
  return IOC_REJECT_OUT_OF_RANGE;
}

IocReject
ioc_schema_check_int (const IocFieldRule *rule, gint64 x, gint64 max_key_value, gchar *detail, gsize size)
{
  const gchar *name = key_names[rule->key];

  if (rule->allowed != 0 && (x < 0 || x > 63 || !(rule->allowed & BIT (x))))
    {
      gchar words[64][4];
      const gchar *list[64];
      guint n = 0;
      for (guint b = 0; b < 64; b++)
        if (rule->allowed & BIT (b))
          {
            snprintf (words[n], sizeof words[n], "%u", b);
            list[n] = words[n];
            n++;
          }
      g_autoptr (GString) set = g_string_new (NULL);
      join_or (set, list, n);
      return out_of_range (detail, size, "%s: %" G_GINT64_FORMAT " is not %s", name, x, set->str);
    }
  if (x < rule->min)
    return out_of_range (detail, size, "%s: %" G_GINT64_FORMAT " is below %" G_GINT64_FORMAT, name, x,
                         rule->min);
  if (rule->max_key != IOC_KEY_NONE && x > max_key_value)
    return out_of_range (detail, size, "%s: %" G_GINT64_FORMAT " is above %s %" G_GINT64_FORMAT, name, x,
                         key_names[rule->max_key], max_key_value);
  if (rule->max != IOC_SCHEMA_NO_MAX && x > rule->max)
    return out_of_range (detail, size, "%s: %" G_GINT64_FORMAT " is above %" G_GINT64_FORMAT, name, x,
                         rule->max);
  return IOC_REJECT_NONE;
}

IocReject
ioc_schema_check_number (const IocFieldRule *rule, gdouble x, gchar *detail, gsize size)
{
  const gchar *name = key_names[rule->key];

  /* NaN fails every comparison: test for it first. */
  if (x != x || x < -G_MAXDOUBLE || x > G_MAXDOUBLE)
    return out_of_range (detail, size, "%s: number too large", name);
  if (x < (gdouble) rule->min)
    return out_of_range (detail, size, "%s: %g is below %" G_GINT64_FORMAT, name, x, rule->min);
  if (rule->max != IOC_SCHEMA_NO_MAX && x > (gdouble) rule->max)
    return out_of_range (detail, size, "%s: %g is above %" G_GINT64_FORMAT, name, x, rule->max);
  return IOC_REJECT_NONE;
}

IocReject
ioc_schema_check_string (const IocFieldRule *rule, const gchar *s, gsize len, const gchar **out_allowed,
                         gchar *detail, gsize size)
{
  const gchar *name = key_names[rule->key];

  *out_allowed = NULL;
  if (memchr (s, '\0', len) != NULL)
    return out_of_range (detail, size, "%s: contains U+0000", name);
  if (len == 0 && rule->min > 0)
    return out_of_range (detail, size, "%s: is empty", name);
  /* Bytes bound characters from above: count only when it can matter. */
  if ((rule->max != IOC_SCHEMA_NO_MAX && len > (guint64) rule->max) || (gint64) len < rule->min)
    {
      glong chars = g_utf8_strlen (s, (gssize) len);
      if (chars < rule->min)
        return out_of_range (detail, size, "%s: %ld characters, fewer than %" G_GINT64_FORMAT, name, chars,
                             rule->min);
      if (rule->max != IOC_SCHEMA_NO_MAX && chars > rule->max)
        return out_of_range (detail, size, "%s: %ld characters, more than %" G_GINT64_FORMAT, name, chars,
                             rule->max);
    }
  if (rule->strings != NULL)
    {
      guint n = 0;
      for (; rule->strings[n] != NULL; n++)
        if (strlen (rule->strings[n]) == len && memcmp (rule->strings[n], s, len) == 0)
          {
            *out_allowed = rule->strings[n];
            return IOC_REJECT_NONE;
          }
      g_autoptr (GString) set = g_string_new (NULL);
      join_or (set, rule->strings, n);
      return out_of_range (detail, size, "%s: \"%.*s\" is not %s", name, (gint) MIN (len, 40), s, set->str);
    }
  return IOC_REJECT_NONE;
}
