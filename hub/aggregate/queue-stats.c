/* queue-stats.c — the ticket lifecycle and ratings as facts: ticket.issued,
 * ticket.called (with wait_s), service.done (with service_s),
 * ticket.no_show and rating events become COUNT and SAMPLE facts of
 * ioc_queue and ioc_rating, stamped with the event time, for the rollup.
 * Sits after ingest (validated, deduplicated records) and before the rollup.
 * Main context only.
 *
 * No per-ticket state: the source reports wait_s and service_s itself, and
 * rating coverage (ratings / served) is a ratio the readers compute from the
 * two summed counters (SPEC §5: never average ratios). */
#include "aggregate/queue-stats.h"

struct _IocQueueStats
{
  IocFactFunc emit;
  gpointer user_data;
};

IocQueueStats *
ioc_queue_stats_new (IocFactFunc emit, gpointer user_data)
{
  g_return_val_if_fail (emit != NULL, NULL);
  IocQueueStats *self = g_new0 (IocQueueStats, 1);
  self->emit = emit;
  self->user_data = user_data;
  return self;
}

void
ioc_queue_stats_free (IocQueueStats *self)
{
  g_free (self);
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
  if (rec->msg_type != IOC_MSG_EVENT)
    return;

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
