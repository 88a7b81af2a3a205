/* decoder.c — one MQTT message into an IocRecord (see decoder.h).
 *
 * First stage of ingest: every message the broker delivers (or the journal
 * replays) comes through ioc_decoder_decode() before validation and dedup.
 * Runs on whichever thread owns the decoder (the main context in the hub).
 *
 * Two passes over the payload:
 *   1. json-scan.c checks the whole payload against the JSON grammar and
 *      locates the value of every key SPEC §4 names; other keys are skipped;
 *   2. the field pass (decoder-fields.c) runs protocol/ioc-schema.c's rows
 *      for this message: the envelope, then the event type's or the kind's
 *      status fields; presence, JSON type and range of each field, copied
 *      into the record, strings unescaped and NUL-terminated in the arena.
 * This file knows the shapes of messages: topic, envelope, event, status
 * (a camera status's cameras[]), state.  Nothing is allocated per message. */
#include "ingest/decoder.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ingest/decoder-fields.h"
#include "ingest/json-scan.h"
#include "protocol/ioc-time.h"
#include "protocol/ioc-topic.h"

struct _IocDecoder
{
  IocJsonScanner scan;
  IocJsonVal top[IOC_KEY_COUNT];
  guint64 seen;
  guint prev_n_cameras;

  IocRecord rec;
  IocDecodeBuf buf;
};

/* Built once: the key names for the scanner, the field programs, the
 * scalar part of a record with every field "absent" (record.h). */
static const gchar *key_names[IOC_KEY_COUNT];
static IocJsonKeys keys;
static const IocFieldPrograms *progs;
static IocRecord absent_record;

static G_GNUC_PRINTF (3, 4) IocReject
reject (IocDecoder *self, IocReject reason, const gchar *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (self->buf.detail, sizeof self->buf.detail, fmt, ap);
  va_end (ap);
  return reason;
}

static IocReject
scan_reject (IocDecoder *self, const gchar *prefix)
{
  return reject (self, self->scan.error == IOC_JSON_ERR_UTF8 ? IOC_REJECT_BAD_UTF8 : IOC_REJECT_BAD_JSON,
                 "%s%s", prefix, self->scan.detail);
}

static gpointer
init_tables_cb (gpointer data)
{
  for (guint k = IOC_KEY_NONE + 1; k < IOC_KEY_COUNT; k++)
    key_names[k] = ioc_key_name ((IocKey) k);
  ioc_json_keys_init (&keys, key_names, IOC_KEY_COUNT);
  progs = ioc_field_programs ();
  absent_record.wait_s = -1;
  absent_record.service_s = -1;
  absent_record.supplements = -1;
  absent_record.fee = IOC_TRI_UNSET;
  absent_record.paid_online = IOC_TRI_UNSET;
  absent_record.digitized = IOC_TRI_UNSET;
  absent_record.e_result = IOC_TRI_UNSET;
  absent_record.counters_open = -1;
  absent_record.waiting = -1;
  absent_record.online = IOC_TRI_UNSET;
  absent_record.queue_length = -1;
  absent_record.paper_low = IOC_TRI_UNSET;
  absent_record.open = -1;
  absent_record.open_overdue = -1;
  absent_record.sync_lag_s = -1;
  return NULL;
}

IocDecoder *
ioc_decoder_new (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, init_tables_cb, NULL);
  return g_new0 (IocDecoder, 1);
}

void
ioc_decoder_free (IocDecoder *self)
{
  g_free (self);
}

#define TRY(expr)                                                                                  \
  G_STMT_START                                                                                     \
  {                                                                                                \
    IocReject _r = (expr);                                                                         \
    if (_r != IOC_REJECT_NONE)                                                                     \
      return _r;                                                                                   \
  }                                                                                                \
  G_STMT_END

/* ---- pass 2: events, statuses, states --------------------------------- */

static IocReject
decode_event (IocDecoder *self)
{
  IocRecord *rec = &self->rec;
  IocTypeField type = { NULL };
  IocEventType ev;

  TRY (ioc_field_program_run (progs->type, &self->buf, self->top, self->seen, &type));
  if (!ioc_event_type_from_string (type.type, strlen (type.type), &ev)
      || ioc_event_type_kind (ev) != rec->kind)
    return reject (self, IOC_REJECT_UNKNOWN_TYPE, "type: \"%.40s\" is not a %s event", type.type,
                   ioc_kind_name (rec->kind));
  rec->type = ev;
  return ioc_field_program_run (progs->events[ev], &self->buf, self->top, self->seen, rec);
}

/* One camera's fields, from the top level or from an element of cameras[]
 * (index G_MAXUINT: the top level). */
static IocReject
decode_camera (IocDecoder *self, const IocStatusSchema *st, const IocJsonVal *slots, guint64 seen,
               IocCameraStatus *cam, guint index)
{
  IocCameraFields f = { NULL, IOC_TRI_UNSET, IOC_TRI_UNSET, -1, -1 };
  IocReject r = ioc_field_program_run (progs->camera, &self->buf, slots, seen, &f);

  if (r != IOC_REJECT_NONE)
    {
      if (index != G_MAXUINT)
        {
          gchar tmp[160];
          g_strlcpy (tmp, self->buf.detail, sizeof tmp);
          snprintf (self->buf.detail, sizeof self->buf.detail, "cameras[%u]: %s", index, tmp);
        }
      return r;
    }
  cam->camera = f.camera;
  cam->fps = f.fps;
  cam->bitrate_kbps = f.bitrate_kbps;
  /* A camera that does not say it is online is not counted online. */
  cam->online = f.online == IOC_TRI_TRUE;
  cam->recording = f.recording == IOC_TRI_TRUE;
  cam->has_recording = f.recording != IOC_TRI_UNSET;
  return IOC_REJECT_NONE;
}

/* SPEC §4: a camera status carries cameras[] or one camera's fields. */
static IocReject
decode_camera_status (IocDecoder *self, const IocStatusSchema *st)
{
  IocRecord *rec = &self->rec;
  const IocJsonVal *arr = &self->top[IOC_KEY_CAMERAS];

  if ((self->seen & IOC_KEY_BIT (IOC_KEY_CAMERAS)) && arr->type != IOC_JSON_NULL)
    {
      if (arr->type != IOC_JSON_ARRAY)
        return reject (self, IOC_REJECT_WRONG_TYPE, "cameras: expected an array, got %s",
                       ioc_json_type_text (arr->type));
      /* Pass 1 checked the grammar: walk the elements again. */
      ioc_json_enter_array (&self->scan, arr);
      while (ioc_json_next_element (&self->scan))
        {
          IocJsonVal slots[IOC_KEY_COUNT];
          guint64 seen;
          IocJsonType t = ioc_json_peek (&self->scan);

          if (t != IOC_JSON_OBJECT)
            return reject (self, IOC_REJECT_WRONG_TYPE, "cameras[%u]: expected an object, got %s",
                           rec->n_cameras, ioc_json_type_text (t));
          if (rec->n_cameras >= IOC_MAX_CAMERAS)
            return reject (self, IOC_REJECT_OUT_OF_RANGE, "cameras: more than %d", IOC_MAX_CAMERAS);
          if (!ioc_json_scan_object (&self->scan, 3, &keys, progs->camera_keys, slots, &seen))
            {
              gchar prefix[32];
              snprintf (prefix, sizeof prefix, "cameras[%u]: ", rec->n_cameras);
              return scan_reject (self, prefix);
            }
          TRY (decode_camera (self, st, slots, seen, &rec->cameras[rec->n_cameras], rec->n_cameras));
          rec->n_cameras++;
          self->prev_n_cameras = rec->n_cameras;
        }
      return IOC_REJECT_NONE;
    }
  if (self->seen & progs->camera_keys)
    {
      TRY (decode_camera (self, st, self->top, self->seen, &rec->cameras[0], G_MAXUINT));
      rec->n_cameras = 1;
      self->prev_n_cameras = 1;
    }
  return IOC_REJECT_NONE;
}

static IocReject
decode_status (IocDecoder *self)
{
  IocRecord *rec = &self->rec;
  const IocStatusSchema *st = ioc_schema_status (rec->kind);

  if (st->element_fields != NULL)
    TRY (decode_camera_status (self, st));
  else
    TRY (ioc_field_program_run (progs->statuses[rec->kind], &self->buf, self->top, self->seen, rec));
  /* An extra field, never aggregated: the version of the config the
   * connector runs, for the connectors API.  Like any unknown field, a
   * value of another type does not make the status bad; it is ignored. */
  if ((self->seen & IOC_KEY_BIT (IOC_KEY_CONFIG_VERSION))
      && self->top[IOC_KEY_CONFIG_VERSION].type == IOC_JSON_STRING)
    {
      gboolean has_nul;
      gsize len;
      const gchar *s = ioc_decode_buf_string (&self->buf, &self->top[IOC_KEY_CONFIG_VERSION], &len, &has_nul);
      rec->config_version = has_nul ? NULL : s;
    }
  return IOC_REJECT_NONE;
}

/* SPEC §3: a state payload is plain online/offline (the connector's last
 * will); the JSON strings are accepted too, and surrounding whitespace. */
static IocReject
decode_state (IocDecoder *self, const guint8 *payload, gsize len)
{
  const guint8 *p = payload, *end = payload + len;

  while (p < end && g_ascii_isspace (*p))
    p++;
  while (end > p && g_ascii_isspace (end[-1]))
    end--;
  if (end - p >= 2 && p[0] == '"' && end[-1] == '"')
    p++, end--;
  if (end - p == 6 && memcmp (p, "online", 6) == 0)
    self->rec.online = IOC_TRI_TRUE;
  else if (end - p == 7 && memcmp (p, "offline", 7) == 0)
    self->rec.online = IOC_TRI_FALSE;
  else
    return reject (self, IOC_REJECT_BAD_STATE, "state: expected online or offline, got \"%.*s\"",
                   (gint) MIN (len, 40), g_utf8_validate_len ((const gchar *) payload, MIN (len, 40), NULL)
                                           ? (const gchar *) payload : "(binary)");
  return IOC_REJECT_NONE;
}

/* v: its own reason, BAD_VERSION, whatever is wrong with it. */
static IocReject
decode_version (IocDecoder *self)
{
  const IocJsonVal *v = &self->top[IOC_KEY_V];

  if (!(self->seen & IOC_KEY_BIT (IOC_KEY_V)))
    return reject (self, IOC_REJECT_MISSING_FIELD, "missing field: v");
  if (v->type != IOC_JSON_NUMBER || !v->is_int || v->end - v->p != 1 || *v->p != '1')
    {
      if (v->type == IOC_JSON_NUMBER)
        return reject (self, IOC_REJECT_BAD_VERSION, "v: expected 1, got %.*s",
                       (gint)MIN (v->end - v->p, 20), (const gchar *)v->p);
      return reject (self, IOC_REJECT_BAD_VERSION, "v: expected 1, got %s", ioc_json_type_text (v->type));
    }
  self->rec.v = 1;
  return IOC_REJECT_NONE;
}

static IocReject
decode_payload (IocDecoder *self, const guint8 *payload, gsize payload_len)
{
  IocRecord *rec = &self->rec;
  gsize bad;

  if (payload_len > IOC_MAX_PAYLOAD)
    return reject (self, IOC_REJECT_TOO_LARGE, "payload: %" G_GSIZE_FORMAT " bytes, limit %d", payload_len,
                   IOC_MAX_PAYLOAD);
  if (rec->msg_type == IOC_MSG_STATE)
    return decode_state (self, payload, payload_len);

  /* Pass 1.  The scanner checks UTF-8 inside strings, and nothing else may
   * be non-ASCII; only a refused payload is checked whole, so that invalid
   * UTF-8 anywhere is reported as such, before any JSON fault. */
  ioc_json_scanner_init (&self->scan, payload, payload_len);
  if (!ioc_json_scan_document (&self->scan, &keys, self->top, &self->seen))
    {
      bad = ioc_json_utf8_check (payload, payload_len);
      if (bad != payload_len)
        return reject (self, IOC_REJECT_BAD_UTF8, "payload: invalid UTF-8 at byte %" G_GSIZE_FORMAT, bad);
      return scan_reject (self, "");
    }

  /* Pass 2: the envelope (v first), then the body. */
  TRY (decode_version (self));
  TRY (ioc_field_program_run (progs->envelope, &self->buf, self->top, self->seen, rec));
  if (rec->msg_type == IOC_MSG_EVENT)
    return decode_event (self);
  return decode_status (self);
}

IocReject
ioc_decoder_decode (IocDecoder *self, const gchar *topic, gsize topic_len, const guint8 *payload,
                    gsize payload_len, const IocRecord **out_record, const gchar **out_detail)
{
  IocRecord *rec;
  IocTopic t;
  IocReject r;

  g_return_val_if_fail (self != NULL, IOC_REJECT_BAD_JSON);
  g_return_val_if_fail (topic != NULL || topic_len == 0, IOC_REJECT_BAD_TOPIC);
  g_return_val_if_fail (payload != NULL || payload_len == 0, IOC_REJECT_BAD_JSON);
  g_return_val_if_fail (out_record != NULL, IOC_REJECT_BAD_JSON);

  /* Reset only what the last message can have set: cameras[] is ~10 KB. */
  rec = &self->rec;
  memcpy (rec, &absent_record, offsetof (IocRecord, cameras));
  memset (rec->cameras, 0, self->prev_n_cameras * sizeof rec->cameras[0]);
  self->prev_n_cameras = 0;
  self->buf.arena_used = 0;
  self->seen = 0;
  self->buf.detail[0] = '\0';
  *out_record = NULL;
  if (out_detail != NULL)
    *out_detail = NULL;

  r = ioc_topic_parse (topic, topic_len, &t);
  if (r != IOC_REJECT_NONE)
    {
      if (r == IOC_REJECT_UNKNOWN_KIND)
        reject (self, r, "topic: unknown kind \"%.*s\"", (gint) MIN (t.kind.len, 40), t.kind.p);
      else
        reject (self, r, "topic: expected ioc/v1/<province>/<unit>/<kind>/<device>/<type>");
      if (out_detail != NULL)
        *out_detail = self->buf.detail;
      return r;
    }
  rec->province = ioc_decode_buf_copy (&self->buf, t.province.p, t.province.len);
  rec->unit = ioc_decode_buf_copy (&self->buf, t.unit.p, t.unit.len);
  rec->device = ioc_decode_buf_copy (&self->buf, t.device.p, t.device.len);
  rec->kind = t.kind_id;
  rec->msg_type = t.type_id;
  *out_record = rec;

  r = decode_payload (self, payload, payload_len);
  if (out_detail != NULL)
    *out_detail = r != IOC_REJECT_NONE ? self->buf.detail : NULL;
  return r;
}
