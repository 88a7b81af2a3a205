/* decoder-fields.c — the decoder's field pass (see decoder-fields.h).
 *
 * The rows say what to check; the slot tables below say where in the
 * record each key's value goes.  Hot path of ingest: a program runs once or
 * twice per message, and its loop keeps the common cases in line. */
#include "ingest/decoder-fields.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "protocol/ioc-time.h"

/* Epoch-ms times: the years 0000–9999 that RFC 3339 can write too. */
#define MAX_EPOCH_MS G_GINT64_CONSTANT (253402300799999)
#define MIN_EPOCH_MS G_GINT64_CONSTANT (-62167219200000)

IocReject
ioc_decode_buf_reject (IocDecodeBuf *self, IocReject reason, const gchar *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (self->detail, sizeof self->detail, fmt, ap);
  va_end (ap);
  return reason;
}

/* Where a key's value goes in the target struct.  size 0: nowhere. */
typedef struct
{
  guint16 offset;
  guint8 size;
} Slot;

/* A struct the field pass fills: the record, or one camera of a status.
 * A key may have a string form and a value form ("channel" is device/qr/web
 * in a rating and 1–3 in a dossier); each goes to its own slot. */
typedef struct
{
  const Slot *strings;
  const Slot *values;
} Target;

#define REC(m) { offsetof (IocRecord, m), sizeof (((IocRecord *) 0)->m) }
static const Slot record_strings[IOC_KEY_COUNT] = {
  [IOC_KEY_EPOCH] = REC (epoch),
  [IOC_KEY_COUNTER] = REC (counter),
  [IOC_KEY_OFFICER] = REC (officer),
  [IOC_KEY_TICKET] = REC (ticket),
  [IOC_KEY_DOSSIER] = REC (dossier),
  [IOC_KEY_SERVICE] = REC (service),
  [IOC_KEY_PRIORITY] = REC (priority),
  [IOC_KEY_CAMERA] = REC (camera),
  [IOC_KEY_CHANNEL] = REC (rating_channel),
  [IOC_KEY_PROCEDURE] = REC (procedure),
  [IOC_KEY_APPLICANT_COMMUNE] = REC (applicant_commune),
};
static const Slot record_values[IOC_KEY_COUNT] = {
  [IOC_KEY_V] = REC (v),
  [IOC_KEY_SEQ] = REC (seq),
  [IOC_KEY_TS] = REC (ts_us),
  [IOC_KEY_WAIT_S] = REC (wait_s),
  [IOC_KEY_SERVICE_S] = REC (service_s),
  [IOC_KEY_LEVEL] = REC (level),
  [IOC_KEY_SCALE] = REC (scale),
  [IOC_KEY_CHANNEL] = REC (channel),
  [IOC_KEY_STATE] = REC (state),
  [IOC_KEY_RECEIVED_AT] = REC (received_at_us),
  [IOC_KEY_DUE_AT] = REC (due_at_us),
  [IOC_KEY_SUPPLEMENTS] = REC (supplements),
  [IOC_KEY_FEE] = REC (fee),
  [IOC_KEY_PAID_ONLINE] = REC (paid_online),
  [IOC_KEY_DIGITIZED] = REC (digitized),
  [IOC_KEY_E_RESULT] = REC (e_result),
  [IOC_KEY_COUNTERS_OPEN] = REC (counters_open),
  [IOC_KEY_WAITING] = REC (waiting),
  [IOC_KEY_ONLINE] = REC (online),
  [IOC_KEY_QUEUE_LENGTH] = REC (queue_length),
  [IOC_KEY_PAPER_LOW] = REC (paper_low),
  [IOC_KEY_OPEN] = REC (open),
  [IOC_KEY_OPEN_OVERDUE] = REC (open_overdue),
  [IOC_KEY_SYNC_LAG_S] = REC (sync_lag_s),
};
static const Target record_target = { record_strings, record_values };

#define CAM(m) { offsetof (IocCameraFields, m), sizeof (((IocCameraFields *) 0)->m) }
static const Slot camera_strings[IOC_KEY_COUNT] = {
  [IOC_KEY_CAMERA] = CAM (camera),
};
static const Slot camera_values[IOC_KEY_COUNT] = {
  [IOC_KEY_ONLINE] = CAM (online),
  [IOC_KEY_RECORDING] = CAM (recording),
  [IOC_KEY_FPS] = CAM (fps),
  [IOC_KEY_BITRATE_KBPS] = CAM (bitrate_kbps),
};
static const Target camera_target = { camera_strings, camera_values };

static const Slot type_strings[IOC_KEY_COUNT] = {
  [IOC_KEY_TYPE] = { offsetof (IocTypeField, type), sizeof (const gchar *) },
};
static const Slot no_values[IOC_KEY_COUNT];
static const Target type_target = { type_strings, no_values };

static gboolean
slot_fits (const Target *t, const IocFieldRule *rule)
{
  const Slot *s = rule->type == IOC_FIELD_STRING ? &t->strings[rule->key] : &t->values[rule->key];
  switch (rule->type)
    {
    case IOC_FIELD_STRING: return s->size == sizeof (const gchar *);
    case IOC_FIELD_INT:
      return s->size == 8 || (s->size == 4 && rule->max <= G_MAXINT && rule->min >= G_MININT);
    case IOC_FIELD_NUMBER: return s->size == sizeof (gdouble);
    case IOC_FIELD_BOOL: return s->size == sizeof (IocTri);
    case IOC_FIELD_TIME: return s->size == 8;
    default: return FALSE;
    }
}

static inline gchar *
buf_string (IocDecodeBuf *self, const IocJsonVal *v, gsize *out_len, gboolean *has_nul)
{
  gsize raw = (gsize) (v->end - v->p);
  gchar *dst;
  gsize n;

  g_assert (self->arena_used + raw + 1 <= IOC_DECODE_ARENA);
  dst = self->arena + self->arena_used;
  *has_nul = FALSE;
  if (!v->has_escape)
    {
      memcpy (dst, v->p, raw);
      n = raw;
    }
  else
    n = ioc_json_unescape (v->p, v->end, dst, has_nul);
  dst[n] = '\0';
  self->arena_used += n + 1;
  *out_len = n;
  return dst;
}

gchar *
ioc_decode_buf_string (IocDecodeBuf *self, const IocJsonVal *v, gsize *out_len, gboolean *has_nul)
{
  return buf_string (self, v, out_len, has_nul);
}

/* A rule compiled for the hot loop: where its value goes and what is left
 * to check after the cheap tests, resolved once at start. */
typedef struct
{
  guint8 key;
  guint8 type;     /* IocFieldType */
  guint8 required;
  guint8 size;     /* of the slot: 4 or 8 for INT */
  guint8 slow;     /* STRING: a length bound to check */
  guint8 n_strings; /* STRING: the size of its set of values, or 0 */
  guint64 allowed; /* INT: the rule's set, or 0 */
  guint16 offset;  /* of the slot in the target */
  guint16 bound_offset; /* INT with max_key: that field's slot */
  guint8 bound_size;
  gint64 min, max; /* INT */
  gdouble dmin, dmax; /* NUMBER */
  const IocFieldRule *rule;
} Op;

/* The compiled rows of one message shape. */
struct _IocFieldProgram
{
  Op *ops;
  guint n;
};

static const Slot *
slot_of (const Target *t, const IocFieldRule *rule)
{
  return rule->type == IOC_FIELD_STRING ? &t->strings[rule->key] : &t->values[rule->key];
}

/* Compiles rows; every row must have a slot of its type in t: a field added
 * to the schema without a place in the record fails here, at the first
 * decoder, and in every test. */
static const IocFieldProgram *
compile (const Target *t, const IocFieldRule *rules, guint n)
{
  IocFieldProgram *prog = g_new0 (IocFieldProgram, 1);
  prog->ops = g_new0 (Op, MAX (n, 1));
  prog->n = n;
  for (guint i = 0; i < n; i++)
    {
      const IocFieldRule *r = &rules[i];
      Op *op = &prog->ops[i];
      const Slot *s = slot_of (t, r);
      g_assert (slot_fits (t, r));
      op->key = (guint8) r->key;
      op->type = (guint8) r->type;
      op->required = (guint8) r->required;
      op->size = s->size;
      op->offset = s->offset;
      op->min = r->min;
      op->max = r->max;
      op->dmin = (gdouble) r->min;
      op->dmax = r->max == IOC_SCHEMA_NO_MAX ? G_MAXDOUBLE : (gdouble) r->max;
      op->rule = r;
      op->allowed = r->allowed;
      /* The hot loop tests bit x of the set only for x in [min, max]. */
      g_assert (r->allowed == 0 || (r->min >= 0 && r->max <= 63));
      op->slow = r->type == IOC_FIELD_STRING && (r->max != IOC_SCHEMA_NO_MAX || r->min > 1);
      for (guint k = 0; r->strings != NULL && r->strings[k] != NULL; k++)
        op->n_strings = (guint8) (k + 1);
      if (r->max_key != IOC_KEY_NONE)
        {
          const Slot *b = &t->values[r->max_key];
          g_assert (b->size == 4 || b->size == 8);
          op->bound_offset = b->offset;
          op->bound_size = b->size;
        }
    }
  return prog;
}

static gpointer
compile_all_cb (gpointer data)
{
  static IocFieldPrograms p;
  guint n = 0;
  const IocFieldRule *env = ioc_schema_envelope (&n);

  g_assert (n >= 1 && env[0].key == IOC_KEY_V);
  p.envelope = compile (&record_target, env + 1, n - 1);
  p.type = compile (&type_target, ioc_schema_envelope_field (IOC_KEY_TYPE), 1);
  for (guint t = IOC_EV_NONE + 1; t < IOC_EV_COUNT; t++)
    {
      const IocEventSchema *ev = ioc_schema_event ((IocEventType) t);
      p.events[t] = compile (&record_target, ev->fields, ev->n_fields);
    }
  for (guint k = 0; k < IOC_KIND_COUNT; k++)
    {
      const IocStatusSchema *st = ioc_schema_status ((IocKind) k);
      if (st->element_fields != NULL)
        {
          /* cameras[] itself is walked by the decoder. */
          g_assert (st->n_fields == 1 && st->fields[0].type == IOC_FIELD_OBJECTS);
          p.camera = compile (&camera_target, st->element_fields, st->n_element_fields);
          for (guint i = 0; i < st->n_element_fields; i++)
            p.camera_keys |= IOC_KEY_BIT (st->element_fields[i].key);
        }
      else
        p.statuses[k] = compile (&record_target, st->fields, st->n_fields);
    }
  return &p;
}

const IocFieldPrograms *
ioc_field_programs (void)
{
  static GOnce once = G_ONCE_INIT;
  return g_once (&once, compile_all_cb, NULL);
}

static G_NO_INLINE IocReject
reject_absent (IocDecodeBuf *self, const Op *op, guint64 seen)
{
  const gchar *name = ioc_key_name ((IocKey) op->key);
  if (!(seen & IOC_KEY_BIT (op->key)))
    return ioc_decode_buf_reject (self, IOC_REJECT_MISSING_FIELD, "missing field: %s", name);
  return ioc_decode_buf_reject (self, IOC_REJECT_WRONG_TYPE, "%s: expected %s, got null", name,
                 ioc_field_type_text ((IocFieldType) op->type));
}

static G_NO_INLINE IocReject
reject_type (IocDecodeBuf *self, const Op *op, const IocJsonVal *v)
{
  return ioc_decode_buf_reject (
      self, IOC_REJECT_WRONG_TYPE, "%s: expected %s, got %s", ioc_key_name ((IocKey)op->key),
      ioc_field_type_text ((IocFieldType)op->type), ioc_json_type_text (v->type));
}

/* A string with escapes, or one with something to check. */
static G_NO_INLINE IocReject
read_string_slow (IocDecodeBuf *self, const Op *op, const IocJsonVal *v, const gchar **out)
{
  gboolean has_nul;
  gsize len;

  *out = buf_string (self, v, &len, &has_nul);
  if (has_nul)
    return ioc_decode_buf_reject (self, IOC_REJECT_OUT_OF_RANGE, "%s: contains U+0000",
                                  ioc_key_name ((IocKey)op->key));
  if (op->slow || op->n_strings > 0 || (len == 0 && op->min > 0))
    {
      const gchar *allowed;
      IocReject r = ioc_schema_check_string (op->rule, *out, len, &allowed, self->detail,
                                             sizeof self->detail);
      if (r != IOC_REJECT_NONE)
        return r;
      if (allowed != NULL)
        *out = allowed;
    }
  return IOC_REJECT_NONE;
}

static G_NO_INLINE IocReject
read_int_slow (IocDecodeBuf *self, const Op *op, const IocJsonVal *v, gint64 *out)
{
  switch (ioc_json_number_int64 (v, self->scratch, out))
    {
    case IOC_JSON_INT_OK:
      return IOC_REJECT_NONE;
    case IOC_JSON_INT_NOT_INTEGER:
      return ioc_decode_buf_reject (
          self, IOC_REJECT_WRONG_TYPE, "%s: expected an integer, got %.*s",
          ioc_key_name ((IocKey)op->key), (gint)MIN (v->end - v->p, 40), (const gchar *)v->p);
    default:
      return ioc_decode_buf_reject (self, IOC_REJECT_OUT_OF_RANGE, "%s: integer too large",
                                    ioc_key_name ((IocKey)op->key));
    }
}

/* The value of the field an INT is bounded by (level ≤ scale). */
static inline gint64
load_bound (const Op *op, const guint8 *base)
{
  if (op->bound_size == 4)
    {
      gint b;
      memcpy (&b, base + op->bound_offset, sizeof b);
      return b;
    }
  gint64 b;
  memcpy (&b, base + op->bound_offset, sizeof b);
  return b;
}

static G_NO_INLINE IocReject
check_int_slow (IocDecodeBuf *self, const Op *op, gint64 x, const guint8 *base)
{
  gint64 bound = op->bound_size ? load_bound (op, base) : 0;
  return ioc_schema_check_int (op->rule, x, bound, self->detail, sizeof self->detail);
}

/* A string from a set (a rating's channel): the set's own static copy, or
 * NULL when it is none of them. */
static inline const gchar *
match_string (const Op *op, const IocJsonVal *v)
{
  gsize len = (gsize) (v->end - v->p);
  for (guint i = 0; i < op->n_strings; i++)
    {
      const gchar *w = op->rule->strings[i];
      gsize j = 0;
      while (j < len && w[j] != '\0' && w[j] == (gchar) v->p[j])
        j++;
      if (j == len && w[j] == '\0')
        return w;
    }
  return NULL;
}

/* SPEC §4: every time field is RFC 3339 with an offset or integer epoch ms.
 * Other JSON types are WRONG_TYPE; a string or number that is not such a
 * time is BAD_TIME. */
static IocReject
read_time (IocDecodeBuf *self, const Op *op, const IocJsonVal *v, gint64 *out)
{
#define name ioc_key_name ((IocKey) op->key) /* only on a reject */
  if (v->type == IOC_JSON_STRING)
    {
      /* Times never need escapes; one that has them is not RFC 3339. */
      if (v->has_escape || !ioc_time_parse ((const gchar *) v->p, (gsize) (v->end - v->p), out))
        return ioc_decode_buf_reject (self, IOC_REJECT_BAD_TIME,
                                      "%s: expected RFC 3339 with offset, got \"%.*s\"", name,
                                      (gint)MIN (v->end - v->p, 40), (const gchar *)v->p);
      return IOC_REJECT_NONE;
    }
  if (v->type == IOC_JSON_NUMBER)
    {
      gint64 ms;
      if (!v->is_int || ioc_json_number_int64 (v, self->scratch, &ms) != IOC_JSON_INT_OK
          || ms < MIN_EPOCH_MS || ms > MAX_EPOCH_MS)
        return ioc_decode_buf_reject (self, IOC_REJECT_BAD_TIME,
                                      "%s: expected integer epoch ms, got %.*s", name,
                                      (gint)MIN (v->end - v->p, 40), (const gchar *)v->p);
      *out = ms * 1000;
      return IOC_REJECT_NONE;
    }
  return reject_type (self, op, v);
#undef name
}

/* Runs a program over the located values: presence (null counts as absent
 * for an optional field), JSON type and range of each field, and stores
 * every present one in base.  The loop is the hot path of ingest: the
 * common cases are in line, everything else is a call.  One switch over the
 * five JSON types; over ~80 lines because splitting it would cost a call
 * per field. */
IocReject
ioc_field_program_run (const IocFieldProgram *prog, IocDecodeBuf *self, const IocJsonVal *slots, guint64 seen,
                       gpointer target)
{
  guint8 *base = target;

  for (const Op *op = prog->ops, *end = prog->ops + prog->n; op < end; op++)
    {
      const IocJsonVal *v = &slots[op->key];
      guint8 *dst = base + op->offset;
      IocReject r;

      if (!(seen & IOC_KEY_BIT (op->key)) || v->type == IOC_JSON_NULL)
        {
          if (op->required)
            return reject_absent (self, op, seen);
          continue;
        }
      switch (op->type)
        {
        case IOC_FIELD_STRING:
          {
            const gchar *s;
            if (G_UNLIKELY (v->type != IOC_JSON_STRING))
              return reject_type (self, op, v);
            if (G_LIKELY (!v->has_escape && !op->slow && !op->n_strings && v->end > v->p))
              {
                gboolean has_nul;
                gsize len;
                s = buf_string (self, v, &len, &has_nul);
              }
            else if (!(op->n_strings && !v->has_escape && (s = match_string (op, v)) != NULL) &&
                     (r = read_string_slow (self, op, v, &s)) != IOC_REJECT_NONE)
              return r;
            memcpy (dst, &s, sizeof s);
            break;
          }
        case IOC_FIELD_INT:
          {
            gint64 x = 0;
            if (G_UNLIKELY (v->type != IOC_JSON_NUMBER))
              return reject_type (self, op, v);
            if (G_LIKELY (v->is_int && v->end - v->p <= 18))
              {
                /* Up to 18 characters cannot overflow. */
                const guint8 *p = v->p;
                gboolean neg = *p == '-';
                for (p += neg; p < v->end; p++)
                  x = x * 10 + (*p - '0');
                x = neg ? -x : x;
              }
            else if ((r = read_int_slow (self, op, v, &x)) != IOC_REJECT_NONE)
              return r;
            gboolean bad = x < op->min || x > op->max;
            bad = bad || (op->allowed != 0 && !(op->allowed & (G_GUINT64_CONSTANT (1) << x)));
            bad = bad || (op->bound_size != 0 && x > load_bound (op, base));
            if (G_UNLIKELY (bad) && (r = check_int_slow (self, op, x, base)) != IOC_REJECT_NONE)
              return r;
            if (op->size == 4)
              {
                gint y = (gint) x; /* the rule's range fits (slot_fits) */
                memcpy (dst, &y, sizeof y);
              }
            else
              memcpy (dst, &x, sizeof x);
            break;
          }
        case IOC_FIELD_NUMBER:
          {
            if (G_UNLIKELY (v->type != IOC_JSON_NUMBER))
              return reject_type (self, op, v);
            gdouble d = ioc_json_number_double (v, self->scratch);
            /* NaN cannot come out of JSON; ±inf fails the bounds. */
            if (G_UNLIKELY (!(d >= op->dmin && d <= op->dmax)))
              return ioc_schema_check_number (op->rule, d, self->detail, sizeof self->detail);
            memcpy (dst, &d, sizeof d);
            break;
          }
        case IOC_FIELD_BOOL:
          {
            if (G_UNLIKELY (v->type != IOC_JSON_TRUE && v->type != IOC_JSON_FALSE))
              return reject_type (self, op, v);
            IocTri b = v->type == IOC_JSON_TRUE ? IOC_TRI_TRUE : IOC_TRI_FALSE;
            memcpy (dst, &b, sizeof b);
            break;
          }
        case IOC_FIELD_TIME:
          {
            gint64 us;
            if ((r = read_time (self, op, v, &us)) != IOC_REJECT_NONE)
              return r;
            memcpy (dst, &us, sizeof us);
            break;
          }
        default:
          g_assert_not_reached ();
        }
    }
  return IOC_REJECT_NONE;
}
