/* queue-stats.c — the ticket lifecycle and ratings as facts: ticket.issued,
 * ticket.called (with wait_s), service.done (with service_s),
 * ticket.no_show and rating events become COUNT and SAMPLE facts of
 * ioc_queue and ioc_rating, stamped with the event time, for the rollup.
 * Sits after ingest (validated, deduplicated records) and before the rollup.
 * Main context only.
 *
 * No per-ticket state: the source reports wait_s and service_s itself, and
 * rating coverage (ratings / served) is a ratio the readers compute from the
 * two summed counters (SPEC §5: never average ratios).
 *
 * Today's totals: per unit and for "all", two day slots (a local day and
 * the one before or after it, so a ts a few minutes past midnight does not
 * wipe the day still showing), filled by event time as each record comes —
 * the same moment the live window counts it.  A record for an older day
 * than its slot holds is counted in the facts only.  Saved in the snapshot
 * with the other stages, so a restart restores them and replays the journal
 * after it.  Desks: the latest status per device (by event time), its unit
 * and its `waiting`. */
#include "aggregate/queue-stats.h"

#include <math.h>
#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-time.h"
#include "state/snapcodec.h"

#define SNAP_MAGIC 0x31535149u /* "IQS1" */

typedef struct
{
  gint64 day; /* local day index; 0: empty */
  IocQueueToday t;
} DaySlot;

typedef struct
{
  DaySlot slots[2];
} UnitDays;

typedef struct
{
  const gchar *unit; /* interned */
  gint64 waiting;
  gint64 ts_us;
} DeskStatus;

struct _IocQueueStats
{
  IocFactFunc emit;
  gpointer user_data;
  GHashTable *units; /* borrowed code (interned, or "all") → UnitDays* */
  GHashTable *desks; /* device id (owned) → DeskStatus* */
};

static gint64
local_day_index (gint64 ts_us)
{
  /* +1 so that no day is 0 (the empty slot). */
  return ioc_time_local_day_start (ts_us) / G_TIME_SPAN_DAY + 1;
}

IocQueueStats *
ioc_queue_stats_new (IocFactFunc emit, gpointer user_data)
{
  g_return_val_if_fail (emit != NULL, NULL);
  IocQueueStats *self = g_new0 (IocQueueStats, 1);
  self->emit = emit;
  self->user_data = user_data;
  self->units = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  self->desks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
ioc_queue_stats_free (IocQueueStats *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->units);
  g_hash_table_unref (self->desks);
  g_free (self);
}

/* The slot of ts's day for unit, emptied when it held an older day; NULL
 * when it holds a newer one (a late record of a day already gone). */
static IocQueueToday *
today_slot (IocQueueStats *self, const gchar *unit, gint64 ts_us)
{
  UnitDays *d = g_hash_table_lookup (self->units, unit);
  if (d == NULL)
    {
      d = g_new0 (UnitDays, 1);
      g_hash_table_insert (self->units, (gpointer) unit, d);
    }
  gint64 day = local_day_index (ts_us);
  DaySlot *slot = &d->slots[day & 1];
  if (slot->day > day)
    return NULL;
  if (slot->day < day)
    {
      memset (slot, 0, sizeof *slot);
      slot->day = day;
    }
  return &slot->t;
}

/* Adds the event to today's totals of unit and of "all". */
static void
count_today (IocQueueStats *self, const IocRecord *rec, const gchar *unit)
{
  const gchar *targets[] = { unit, "all" };
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      IocQueueToday *t = today_slot (self, targets[i], rec->ts_us);
      if (t == NULL)
        continue;
      switch (rec->type)
        {
        case IOC_EV_TICKET_ISSUED:
          t->counts[IOC_F_QUEUE_ISSUED]++;
          break;
        case IOC_EV_TICKET_CALLED:
          t->counts[IOC_F_QUEUE_CALLED]++;
          if (rec->wait_s >= 0)
            {
              t->waits++;
              t->wait_sum_s += rec->wait_s;
              if (t->wait_max_unit == NULL || rec->wait_s > t->wait_max_s)
                {
                  t->wait_max_s = rec->wait_s;
                  t->wait_max_unit = unit;
                }
            }
          break;
        case IOC_EV_SERVICE_DONE:
          t->counts[IOC_F_QUEUE_SERVED]++;
          break;
        case IOC_EV_TICKET_NO_SHOW:
          t->counts[IOC_F_QUEUE_NO_SHOW]++;
          break;
        case IOC_EV_RATING:
          t->ratings++;
          if (rec->scale > 0 && rec->level >= rec->scale - 1)
            t->satisfied++;
          break;
        default:
          break;
        }
    }
}

void
ioc_queue_stats_forget_desk (IocQueueStats *self, const gchar *device)
{
  g_return_if_fail (self != NULL && device != NULL);
  g_hash_table_remove (self->desks, device);
}

static void
record_desk_status (IocQueueStats *self, const IocRecord *rec, const gchar *unit)
{
  if (rec->waiting < 0 || rec->device == NULL)
    return;
  DeskStatus *d = g_hash_table_lookup (self->desks, rec->device);
  if (d == NULL)
    {
      d = g_new0 (DeskStatus, 1);
      g_hash_table_insert (self->desks, g_strdup (rec->device), d);
    }
  else if (rec->ts_us < d->ts_us)
    return; /* an older status replayed: the latest wins */
  d->unit = unit;
  d->waiting = rec->waiting;
  d->ts_us = rec->ts_us;
}

gboolean
ioc_queue_stats_today (IocQueueStats *self, const gchar *unit, gint64 now_us, IocQueueToday *out)
{
  g_return_val_if_fail (self != NULL && unit != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  out->waiting = -1;
  gboolean any = FALSE;
  UnitDays *d = g_hash_table_lookup (self->units, unit);
  gint64 day = local_day_index (now_us);
  if (d != NULL && d->slots[day & 1].day == day)
    {
      *out = d->slots[day & 1].t;
      out->waiting = -1;
      out->desks_reporting = 0;
      any = TRUE;
    }
  return any;
}

gboolean
ioc_queue_stats_waiting (IocQueueStats *self, const gchar *unit, gint64 now_us, IocQueueToday *out)
{
  g_return_val_if_fail (self != NULL && unit != NULL && out != NULL, FALSE);
  out->waiting = -1;
  out->desks_reporting = 0;
  gboolean any = FALSE;
  gboolean all = g_strcmp0 (unit, "all") == 0;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->desks);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      const DeskStatus *s = v;
      if ((!all && g_strcmp0 (s->unit, unit) != 0) || now_us - s->ts_us > IOC_QUEUE_DESK_FRESH_US)
        continue;
      out->waiting = MAX (out->waiting, 0) + s->waiting;
      out->desks_reporting++;
      any = TRUE;
    }
  return any;
}

static void
emit_count (IocQueueStats *self, const IocRecord *rec, const gchar *unit, IocMeasurement m, guint field)
{
  IocFact fact = {
    .measurement = m, .kind = IOC_FACT_COUNT, .field = field, .unit = unit,
    .channel = 0, .ts_us = rec->ts_us, .delta = 1,
  };
  self->emit (&fact, self->user_data);
}

static void
emit_sample (IocQueueStats *self, const IocRecord *rec, const gchar *unit, guint sketch, gdouble v)
{
  /* Absent durations are < 0 (record.h); they count the event only. */
  if (!(v >= 0))
    return;
  IocFact fact = {
    .measurement = IOC_MEAS_QUEUE, .kind = IOC_FACT_SAMPLE, .field = sketch, .unit = unit,
    .channel = 0, .ts_us = rec->ts_us, .sample = v,
  };
  self->emit (&fact, self->user_data);
}

void
ioc_queue_stats_record (IocQueueStats *self, const IocRecord *rec, const gchar *unit)
{
  g_return_if_fail (self != NULL && rec != NULL && unit != NULL);
  if (rec->msg_type == IOC_MSG_STATUS && rec->kind == IOC_KIND_DESK)
    record_desk_status (self, rec, unit);
  if (rec->msg_type != IOC_MSG_EVENT)
    return;
  count_today (self, rec, unit);

  switch (rec->type)
    {
    case IOC_EV_TICKET_ISSUED:
      emit_count (self, rec, unit, IOC_MEAS_QUEUE, IOC_F_QUEUE_ISSUED);
      break;
    case IOC_EV_TICKET_CALLED:
      emit_count (self, rec, unit, IOC_MEAS_QUEUE, IOC_F_QUEUE_CALLED);
      emit_sample (self, rec, unit, IOC_S_QUEUE_WAIT, rec->wait_s);
      break;
    case IOC_EV_SERVICE_DONE:
      emit_count (self, rec, unit, IOC_MEAS_QUEUE, IOC_F_QUEUE_SERVED);
      emit_sample (self, rec, unit, IOC_S_QUEUE_SERVICE, rec->service_s);
      break;
    case IOC_EV_TICKET_NO_SHOW:
      emit_count (self, rec, unit, IOC_MEAS_QUEUE, IOC_F_QUEUE_NO_SHOW);
      break;
    case IOC_EV_RATING:
      emit_count (self, rec, unit, IOC_MEAS_RATING, IOC_F_RATING_RATINGS);
      /* SPEC §5: satisfied = the top two levels of the device's scale
       * (4–5 of 5, 2–3 of 3). */
      if (rec->scale > 0 && rec->level >= rec->scale - 1)
        emit_count (self, rec, unit, IOC_MEAS_RATING, IOC_F_RATING_SATISFIED);
      break;
    default:
      break;
    }
}

/* ---- snapshot ---- */

static void
put_today (GByteArray *out, const DaySlot *slot)
{
  const IocQueueToday *t = &slot->t;
  ioc_snap_put_i64 (out, slot->day);
  ioc_snap_put_u8 (out, IOC_F_QUEUE_N);
  for (guint f = 0; f < IOC_F_QUEUE_N; f++)
    ioc_snap_put_i64 (out, t->counts[f]);
  ioc_snap_put_i64 (out, t->ratings);
  ioc_snap_put_i64 (out, t->satisfied);
  ioc_snap_put_i64 (out, t->waits);
  ioc_snap_put_f64 (out, t->wait_sum_s);
  ioc_snap_put_f64 (out, t->wait_max_s);
  ioc_snap_put_str (out, t->wait_max_unit);
}

void
ioc_queue_stats_save (IocQueueStats *self, GByteArray *out)
{
  g_return_if_fail (self != NULL && out != NULL);
  GHashTableIter it;
  gpointer key, value;
  ioc_snap_put_u32 (out, SNAP_MAGIC);
  ioc_snap_put_u32 (out, g_hash_table_size (self->units));
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const UnitDays *d = value;
      ioc_snap_put_str (out, key);
      for (guint i = 0; i < G_N_ELEMENTS (d->slots); i++)
        put_today (out, &d->slots[i]);
    }
  ioc_snap_put_u32 (out, g_hash_table_size (self->desks));
  g_hash_table_iter_init (&it, self->desks);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const DeskStatus *s = value;
      ioc_snap_put_str (out, key);
      ioc_snap_put_str (out, s->unit);
      ioc_snap_put_i64 (out, s->waiting);
      ioc_snap_put_i64 (out, s->ts_us);
    }
}

static gboolean
qs_corrupt (GError **error, const gchar *what)
{
  g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "queue-stats snapshot: %s", what);
  return FALSE;
}

/* One day slot; the slot index a day goes to is fixed (day & 1), so a slot
 * whose day does not belong there is corrupt. */
static gboolean
get_today (IocSnapReader *r, DaySlot *slot, guint index, GError **error)
{
  slot->day = ioc_snap_get_i64 (r);
  if (ioc_snap_get_u8 (r) != IOC_F_QUEUE_N)
    return qs_corrupt (error, "unexpected number of queue counters");
  IocQueueToday *t = &slot->t;
  for (guint f = 0; f < IOC_F_QUEUE_N; f++)
    t->counts[f] = ioc_snap_get_i64 (r);
  t->ratings = ioc_snap_get_i64 (r);
  t->satisfied = ioc_snap_get_i64 (r);
  t->waits = ioc_snap_get_i64 (r);
  t->wait_sum_s = ioc_snap_get_f64 (r);
  t->wait_max_s = ioc_snap_get_f64 (r);
  g_autofree gchar *max_unit = ioc_snap_get_str (r);
  if (!ioc_snap_reader_ok (r))
    return qs_corrupt (error, "truncated day");
  if (slot->day < 0 || (slot->day != 0 && (guint) (slot->day & 1) != index))
    return qs_corrupt (error, "a day in the wrong slot");
  gboolean negative = t->ratings < 0 || t->satisfied < 0 || t->satisfied > t->ratings || t->waits < 0;
  for (guint f = 0; f < IOC_F_QUEUE_N; f++)
    negative |= t->counts[f] < 0;
  if (negative || !(t->wait_sum_s >= 0) || !(t->wait_max_s >= 0) || !isfinite (t->wait_sum_s))
    return qs_corrupt (error, "a negative or impossible total");
  t->wait_max_unit = max_unit != NULL ? ioc_intern (max_unit) : NULL;
  t->waiting = -1;
  return TRUE;
}

gboolean
ioc_queue_stats_load (IocQueueStats *self, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL && (data != NULL || len == 0), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  IocSnapReader r;
  ioc_snap_reader_init (&r, data, len);
  if (ioc_snap_get_u32 (&r) != SNAP_MAGIC)
    return qs_corrupt (error, "bad header");
  g_autoptr (GHashTable) units = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr (GHashTable) desks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint32 n = ioc_snap_get_u32 (&r);
  for (guint32 i = 0; i < n && ioc_snap_reader_ok (&r); i++)
    {
      g_autofree gchar *unit = ioc_snap_get_str (&r);
      g_autofree UnitDays *d = g_new0 (UnitDays, 1);
      for (guint k = 0; k < G_N_ELEMENTS (d->slots); k++)
        if (!get_today (&r, &d->slots[k], k, error))
          return FALSE;
      if (unit == NULL || g_hash_table_contains (units, unit))
        return qs_corrupt (error, "a unit without a code or twice");
      g_hash_table_insert (units, (gpointer) ioc_intern (unit), g_steal_pointer (&d));
    }
  n = ioc_snap_get_u32 (&r);
  for (guint32 i = 0; i < n && ioc_snap_reader_ok (&r); i++)
    {
      g_autofree gchar *device = ioc_snap_get_str (&r);
      g_autofree gchar *unit = ioc_snap_get_str (&r);
      gint64 waiting = ioc_snap_get_i64 (&r);
      gint64 ts = ioc_snap_get_i64 (&r);
      if (!ioc_snap_reader_ok (&r) || device == NULL || unit == NULL)
        return qs_corrupt (error, "truncated desk");
      if (waiting < 0 || g_hash_table_contains (desks, device))
        return qs_corrupt (error, "a desk with a negative waiting count or twice");
      DeskStatus *s = g_new0 (DeskStatus, 1);
      s->unit = ioc_intern (unit);
      s->waiting = waiting;
      s->ts_us = ts;
      g_hash_table_insert (desks, g_steal_pointer (&device), s);
    }
  if (!ioc_snap_reader_ok (&r) || !ioc_snap_reader_at_end (&r))
    return qs_corrupt (error, "truncated or trailing bytes");
  g_hash_table_unref (self->units);
  g_hash_table_unref (self->desks);
  self->units = g_steal_pointer (&units);
  self->desks = g_steal_pointer (&desks);
  return TRUE;
}
