/* ioc-schema.h — SPEC §3–§4 as data: the kinds, message types and event
 * types with their names, every key of the envelope, and per event type and
 * per kind's status the fields a message carries, their JSON types,
 * whether they are required and the range or set of values they may take.
 *
 * The hub's decoder (ingest/decoder.c) and the connectors' envelope writer
 * (connectors/lib/envelope-writer.c) both walk these tables, and both call
 * the range checks below, so a connector cannot build a message the hub
 * would dead-letter for a reason the connector could have seen.  Adding a
 * field to an event type is one row in ioc-schema.c (plus, for a key SPEC
 * did not have before, its IocKey and its slot in the record).
 *
 * Pure tables and functions; any thread. */
#pragma once

#include <glib.h>

#include "protocol/ioc-error.h"

G_BEGIN_DECLS

/* SPEC §4: an envelope is at most 16 KiB. */
#define IOC_MAX_PAYLOAD 16384
/* SPEC §3: a device id is [a-z0-9_-]{1,64}. */
#define IOC_MAX_DEVICE_LEN 64

/* SPEC §3: <kind> in the topic. */
typedef enum
{
  IOC_KIND_DESK = 0,
  IOC_KIND_KIOSK,
  IOC_KIND_CAMERA,
  IOC_KIND_PORTAL,
  IOC_KIND_COUNT
} IocKind;

/* SPEC §3: <type> in the topic. */
typedef enum
{
  IOC_MSG_EVENT = 0,
  IOC_MSG_STATUS,
  IOC_MSG_STATE,
  IOC_MSG_COUNT
} IocMsgType;

/* SPEC §4: the `type` of an event. */
typedef enum
{
  IOC_EV_NONE = 0,
  /* desk */
  IOC_EV_COUNTER_OPEN,
  IOC_EV_COUNTER_CLOSE,
  IOC_EV_TICKET_CALLED,
  IOC_EV_SERVICE_DONE,
  /* kiosk */
  IOC_EV_TICKET_ISSUED,
  IOC_EV_TICKET_NO_SHOW,
  IOC_EV_RATING,
  /* camera */
  IOC_EV_CAMERA_OFFLINE,
  IOC_EV_CAMERA_ONLINE,
  IOC_EV_VIDEO_LOSS,
  IOC_EV_TAMPER,
  IOC_EV_RECORDING_STOPPED,
  IOC_EV_RECORDING_STARTED,
  /* portal */
  IOC_EV_DOSSIER,
  IOC_EV_COUNT
} IocEventType;

/* Every key SPEC §4 names at the top level of an envelope or inside a
 * camera status, and config_version (an extra field the hub reads but never
 * aggregates).  IOC_KEY_NONE is 0 so that a rule's max_key defaults to it. */
typedef enum
{
  IOC_KEY_NONE = 0,
  IOC_KEY_V,
  IOC_KEY_SEQ,
  IOC_KEY_EPOCH,
  IOC_KEY_TS,
  IOC_KEY_TYPE,
  IOC_KEY_COUNTER,
  IOC_KEY_OFFICER,
  IOC_KEY_TICKET,
  IOC_KEY_DOSSIER,
  IOC_KEY_SERVICE,
  IOC_KEY_PRIORITY,
  IOC_KEY_CAMERA,
  IOC_KEY_WAIT_S,
  IOC_KEY_SERVICE_S,
  IOC_KEY_LEVEL,
  IOC_KEY_SCALE,
  IOC_KEY_CHANNEL,
  IOC_KEY_PROCEDURE,
  IOC_KEY_STATE,
  IOC_KEY_RECEIVED_AT,
  IOC_KEY_DUE_AT,
  IOC_KEY_SUPPLEMENTS,
  IOC_KEY_FEE,
  IOC_KEY_PAID_ONLINE,
  IOC_KEY_DIGITIZED,
  IOC_KEY_E_RESULT,
  IOC_KEY_APPLICANT_COMMUNE,
  IOC_KEY_COUNTERS_OPEN,
  IOC_KEY_WAITING,
  IOC_KEY_ONLINE,
  IOC_KEY_QUEUE_LENGTH,
  IOC_KEY_PAPER_LOW,
  IOC_KEY_OPEN,
  IOC_KEY_OPEN_OVERDUE,
  IOC_KEY_SYNC_LAG_S,
  IOC_KEY_CAMERAS,
  IOC_KEY_RECORDING,
  IOC_KEY_FPS,
  IOC_KEY_BITRATE_KBPS,
  IOC_KEY_CONFIG_VERSION,
  IOC_KEY_COUNT
} IocKey;

/* A key's bit in a 64-bit set of keys. */
#define IOC_KEY_BIT(k) (G_GUINT64_CONSTANT (1) << (k))

/* The JSON type a field has. */
typedef enum
{
  IOC_FIELD_STRING,
  IOC_FIELD_INT,    /* a JSON number with an integral value */
  IOC_FIELD_NUMBER, /* any finite JSON number */
  IOC_FIELD_BOOL,
  IOC_FIELD_TIME,   /* RFC 3339 with offset, or integer epoch ms (SPEC §4) */
  IOC_FIELD_OBJECTS /* an array of objects (a camera status's cameras) */
} IocFieldType;

/* No upper bound (INT, NUMBER: none but the type's; STRING: none but the
 * 16 KiB of the payload). */
#define IOC_SCHEMA_NO_MAX G_MAXINT64
/* SPEC §4: an epoch is a string of at most 32 characters. */
#define IOC_MAX_EPOCH_LEN 32

/* One field of a message: one row of SPEC §4's tables.
 *   INT:    min ≤ value ≤ max; if allowed ≠ 0, bit `value` of it is set
 *           (scale ∈ {3, 5}); if max_key is set, value ≤ that field's value
 *           (level ≤ scale), which is checked first, so it comes earlier in
 *           the row list.
 *   NUMBER: min ≤ value ≤ max, finite.
 *   STRING: min ≤ length in characters ≤ max, no U+0000; if strings is set,
 *           one of them (rating channel).
 * null counts as absent for an optional field and as the wrong type for a
 * required one. */
typedef struct
{
  IocKey key;
  IocFieldType type;
  gboolean required;
  gint64 min;
  gint64 max;
  guint64 allowed;
  IocKey max_key;
  const gchar *const *strings; /* NULL-terminated */
} IocFieldRule;

/* The fields of one event type, in the order the decoder checks them. */
typedef struct
{
  IocEventType type;
  const gchar *name;
  IocKind kind;
  const IocFieldRule *fields;
  guint n_fields;
} IocEventSchema;

/* The status fields of one kind.  A camera status carries `cameras` (an
 * array of objects with element_fields each) or one camera's
 * element_fields at the top level. */
typedef struct
{
  IocKind kind;
  const IocFieldRule *fields;
  guint n_fields;
  const IocFieldRule *element_fields; /* IOC_FIELD_OBJECTS elements, or NULL */
  guint n_element_fields;
} IocStatusSchema;

/* ---- names ---- */

/* The tables themselves, for hot paths that match slices (ioc-topic.c). */
extern const gchar *const ioc_kind_names[IOC_KIND_COUNT];
extern const gchar *const ioc_msg_type_names[IOC_MSG_COUNT];

const gchar *ioc_kind_name (IocKind kind);
gboolean     ioc_kind_from_string (const gchar *s, gsize len, IocKind *out);
const gchar *ioc_msg_type_name (IocMsgType t);
gboolean     ioc_msg_type_from_string (const gchar *s, gsize len, IocMsgType *out);
const gchar *ioc_event_type_name (IocEventType t);
gboolean     ioc_event_type_from_string (const gchar *s, gsize len, IocEventType *out);
IocKind      ioc_event_type_kind (IocEventType t);
/* The JSON name of a key ("wait_s"). */
const gchar *ioc_key_name (IocKey key);
/* Longest key name, in bytes. */
#define IOC_KEY_MAX_LEN 17

/* ---- the tables ---- */

/* The fields of every envelope, in checking order (v is checked before
 * them, with its own reason, BAD_VERSION). */
const IocFieldRule    *ioc_schema_envelope (guint *n_fields);
/* The rule of a single envelope field (seq, ts …), or NULL. */
const IocFieldRule    *ioc_schema_envelope_field (IocKey key);
const IocEventSchema  *ioc_schema_event (IocEventType t);
const IocStatusSchema *ioc_schema_status (IocKind kind);
/* The rule for key in an event of type t, or NULL when t has no such field. */
const IocFieldRule    *ioc_schema_event_field (IocEventType t, IocKey key);
/* The allowed values of the rating channel (SPEC §4), NULL-terminated. */
const gchar *const    *ioc_schema_rating_channels (void);

/* ---- range checks, shared by decoder and writer ----
 *
 * Each returns IOC_REJECT_NONE, or the reason (OUT_OF_RANGE) with a short
 * human text naming the field in detail[size] ("level: 6 is above scale 5"). */
IocReject ioc_schema_check_int (const IocFieldRule *rule, gint64 value, gint64 max_key_value,
                                gchar *detail, gsize size);
IocReject ioc_schema_check_number (const IocFieldRule *rule, gdouble value, gchar *detail, gsize size);
/* s is valid UTF-8 of len bytes (no NUL needed).  On success *out_allowed
 * is the matching entry of rule->strings (static storage), or NULL when the
 * rule has no set. */
IocReject ioc_schema_check_string (const IocFieldRule *rule, const gchar *s, gsize len,
                                   const gchar **out_allowed, gchar *detail, gsize size);
/* "a string", "an integer" … for "expected …" texts. */
const gchar *ioc_field_type_text (IocFieldType type);

G_END_DECLS
