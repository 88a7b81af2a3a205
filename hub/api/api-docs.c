/* api-docs.c — see api-docs.h.
 *
 * Every count is summed, every rate computed here from its numerator and
 * denominator (SPEC §5); a rate with a zero denominator is null, never 0,
 * so the wall does not paint an empty commune red. */
#include "api/api-docs.h"

#include <math.h>
#include <string.h>

#include "api/api-reply.h"
#include "protocol/ioc-json.h"

#define STALE_AFTER_US IOC_DEVICE_REPORTING_WINDOW_US
/* The feed's summary gives freshness floored to this step: the province
 * hears a device every few milliseconds, and a text that changed with each
 * of them would make every delta carry the summary. */
#define FEED_FRESH_STEP_MS 5000

/* ---- the summary ---- */

/* for_feed: last_seen_ms floored to FEED_FRESH_STEP_MS and no age_s (the
 * page computes ages from the event's now_ms), so the text changes only
 * when a screen would show something new. */
static void
add_freshness (JsonBuilder *b, const IocDeviceSummary *s, gint64 now_us, gboolean for_feed)
{
  ioc_json_begin_object (b, "freshness");
  gint64 newest = 0;
  for (guint k = 0; k <= IOC_KIND_COUNT; k++)
    {
      gint64 last = k < IOC_KIND_COUNT ? (s != NULL ? s->last_seen_by_kind_us[k] : 0) : newest;
      if (k < IOC_KIND_COUNT)
        newest = MAX (newest, last);
      json_builder_set_member_name (b, k < IOC_KIND_COUNT ? ioc_kind_name ((IocKind) k) : "any");
      json_builder_begin_object (b);
      gint64 ms = last / 1000;
      if (for_feed)
        ms -= ms % FEED_FRESH_STEP_MS;
      ioc_json_int_or_null (b, "last_seen_ms", last > 0, ms);
      if (!for_feed)
        {
          ioc_json_double_or_null (b, "age_s", last > 0, (now_us - last) / 1e6);
        }
      ioc_json_bool (b, "stale", last <= 0 || now_us - last > STALE_AFTER_US);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

static void
add_indicators (JsonBuilder *b, const gchar *name, const IocDossierIndicators *d)
{
  ioc_json_begin_object (b, name);
  ioc_json_begin_object (b, "received");
  ioc_json_int (b, "total", d->received[0]);
  ioc_json_int (b, "in_person", d->received[1]);
  ioc_json_int (b, "online", d->received[2]);
  ioc_json_int (b, "postal", d->received[3]);
  json_builder_end_object (b);
  ioc_json_int (b, "completed_early", d->completed_early);
  ioc_json_int (b, "completed_ontime", d->completed_ontime);
  ioc_json_int (b, "completed_late", d->completed_late);
  ioc_json_int (b, "completed", d->completed_early + d->completed_ontime + d->completed_late);
  ioc_json_int (b, "open", d->open);
  ioc_json_int (b, "open_overdue", d->open_overdue);
  ioc_json_int (b, "overdue_entered", d->overdue_entered);
  ioc_json_int (b, "due_soon", d->due_soon);
  ioc_json_rate (b, "ontime_rate", d->ontime_num, d->ontime_den);
  ioc_json_rate (b, "online_rate", d->online_num, d->online_den);
  ioc_json_rate (b, "paid_online_rate", d->paid_online_num, d->paid_online_den);
  ioc_json_rate (b, "digitized_rate", d->digitized_num, d->digitized_den);
  ioc_json_rate (b, "e_result_rate", d->e_result_num, d->e_result_den);
  ioc_json_int (b, "ontime_den", d->ontime_den);
  json_builder_end_object (b);
}

static void
add_devices (JsonBuilder *b, const IocDeviceSummary *s)
{
  ioc_json_begin_object (b, "devices");
  ioc_json_int (b, "cameras", s->cameras);
  ioc_json_int (b, "cameras_online", s->cameras_online);
  ioc_json_int (b, "cameras_recording", s->cameras_recording);
  ioc_json_int (b, "kiosks", s->kiosks);
  ioc_json_int (b, "kiosks_online", s->kiosks_online);
  ioc_json_int (b, "connectors_expected", s->connectors_expected);
  ioc_json_int (b, "connectors_reporting", s->connectors_reporting);
  ioc_json_rate (b, "cameras_recording_rate", s->cameras_recording, s->cameras);
  ioc_json_rate (b, "kiosks_online_rate", s->kiosks_online, s->kiosks);
  json_builder_end_object (b);
}

static void
add_live (JsonBuilder *b, IocHub *hub, const gchar *unit, gint64 now_us)
{
  IocPoint p;
  ioc_json_begin_object (b, "live");
  ioc_json_int (b, "window_s", ioc_hub_config (hub)->live_window_us / G_USEC_PER_SEC);
  gint64 received = 0;
  for (guint ch = 0; ch <= IOC_HUB_MAX_CHANNEL; ch++)
    if (ioc_hub_live (hub, IOC_MEAS_DOSSIER, unit, (guint8) ch, now_us, &p))
      received += p.ints[IOC_F_DOSSIER_RECEIVED];
  ioc_json_int (b, "dossiers_received", received);
  const IocMeasurement ms[] = { IOC_MEAS_QUEUE, IOC_MEAS_RATING };
  for (guint i = 0; i < G_N_ELEMENTS (ms); i++)
    {
      gboolean have = ioc_hub_live (hub, ms[i], unit, 0, now_us, &p);
      json_builder_set_member_name (b, ms[i] == IOC_MEAS_QUEUE ? "queue" : "rating");
      json_builder_begin_object (b);
      for (guint f = 0; f < ioc_measurement_n_ints (ms[i]); f++)
        ioc_json_int (b, ioc_measurement_int_name (ms[i], f), have ? p.ints[f] : 0);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

/* The object of GET /api/v1/summary, also the feed's "summary" (for_feed:
 * without now_ms, the event has it, and with the feed's freshness). */
void
ioc_api_docs_summary (const IocApiDocs *docs, JsonBuilder *b, const gchar *unit, const IocUnit *u,
                      const IocDeviceSummary *devices, gint64 now_us, gboolean for_feed)
{
  json_builder_begin_object (b);
  ioc_json_string (b, "unit", unit);
  ioc_json_string (b, "name", u != NULL ? u->name : NULL);
  if (!for_feed)
    ioc_json_int (b, "now_ms", now_us / 1000);

  static const struct { IocPeriod p; const gchar *name; } periods[] = {
    { IOC_PERIOD_DAY, "today" }, { IOC_PERIOD_MONTH, "month" }, { IOC_PERIOD_YEAR, "ytd" } };
  for (guint i = 0; i < G_N_ELEMENTS (periods); i++)
    {
      IocDossierIndicators d;
      ioc_hub_dossier_indicators (docs->hub, unit, periods[i].p, now_us, &d);
      add_indicators (b, periods[i].name, &d);
    }

  /* Queue and ratings of today, counted as the records come: the same
   * moment the live window counts them. */
  IocQueueToday q;
  ioc_hub_queue_today (docs->hub, unit, now_us, TRUE, &q);
  ioc_json_begin_object (b, "queue_today");
  for (guint f = 0; f < IOC_F_QUEUE_N; f++)
    ioc_json_int (b, ioc_measurement_int_name (IOC_MEAS_QUEUE, f), q.counts[f]);
  ioc_json_int_or_null (b, "waiting", q.waiting >= 0, q.waiting);
  ioc_json_int (b, "waiting_desks", q.desks_reporting);
  ioc_json_int (b, "waits", q.waits);
  ioc_json_double_or_null (b, "wait_avg_s", q.waits > 0, round (q.wait_sum_s / (gdouble) q.waits * 10) / 10);
  ioc_json_double_or_null (b, "wait_max_s", q.waits > 0, q.wait_max_s);
  ioc_json_string (b, "wait_max_unit", q.waits > 0 ? q.wait_max_unit : NULL);
  json_builder_end_object (b);
  ioc_json_begin_object (b, "rating_today");
  ioc_json_int (b, "ratings", q.ratings);
  ioc_json_int (b, "satisfied", q.satisfied);
  ioc_json_rate (b, "satisfied_rate", q.satisfied, q.ratings);
  /* Rating coverage (SPEC §5, DOMAIN's "độ phủ đánh giá"): ratings per
   * counter service completed. */
  ioc_json_rate (b, "coverage_rate", q.ratings, q.counts[IOC_F_QUEUE_SERVED]);
  json_builder_end_object (b);

  add_live (b, docs->hub, unit, now_us);
  IocDeviceSummary s;
  if (devices != NULL)
    s = *devices;
  else if (!ioc_hub_device_summary (docs->hub, unit, now_us, &s))
    memset (&s, 0, sizeof s);
  add_devices (b, &s);
  add_freshness (b, &s, now_us, for_feed);
  json_builder_end_object (b);
}

/* ---- the unit table ---- */

void
ioc_api_docs_add_devices (IocDeviceSummary *total, const IocDeviceSummary *s)
{
  total->cameras += s->cameras;
  total->cameras_online += s->cameras_online;
  total->cameras_recording += s->cameras_recording;
  total->kiosks += s->kiosks;
  total->kiosks_online += s->kiosks_online;
  total->connectors_expected += s->connectors_expected;
  total->connectors_reporting += s->connectors_reporting;
  total->last_seen_us = MAX (total->last_seen_us, s->last_seen_us);
  for (guint k = 0; k < IOC_KIND_COUNT; k++)
    total->last_seen_by_kind_us[k] = MAX (total->last_seen_by_kind_us[k], s->last_seen_by_kind_us[k]);
}

GArray *
ioc_api_docs_unit_rows (const IocApiDocs *docs, IocPeriod period, gint64 now_us, IocDeviceSummary *province)
{
  g_autoptr (GPtrArray) units = ioc_hub_units_current (docs->hub, now_us);
  g_autoptr (GHashTable) devices = ioc_hub_device_summaries (docs->hub, now_us);
  GArray *rows = g_array_sized_new (FALSE, TRUE, sizeof (IocUnitEntry), units->len);
  for (guint i = 0; i < units->len; i++)
    {
      const IocUnit *u = units->pdata[i];
      IocUnitEntry e = { .unit = u };
      IocUnitRow *r = &e.row;
      IocDossierIndicators d;
      ioc_hub_dossier_indicators (docs->hub, u->code, period, now_us, &d);
      r->received = d.received[0];
      r->completed = d.completed_early + d.completed_ontime + d.completed_late;
      r->completed_late = d.completed_late;
      r->open = d.open;
      r->open_overdue = d.open_overdue;
      r->due_soon = d.due_soon;
      r->ontime_num = d.ontime_num;
      r->ontime_den = d.ontime_den;
      r->online_num = d.online_num;
      r->online_den = d.online_den;
      IocQueueToday q;
      ioc_hub_queue_today (docs->hub, u->code, now_us, FALSE, &q);
      r->ratings = q.ratings;
      r->satisfied = q.satisfied;
      /* u->code is interned, as the devices' units are. */
      const IocDeviceSummary *s = g_hash_table_lookup (devices, u->code);
      if (s != NULL)
        {
          r->cameras = s->cameras;
          r->cameras_recording = s->cameras_recording;
          r->kiosks = s->kiosks;
          r->kiosks_online = s->kiosks_online;
          r->last_seen_us = s->last_seen_us;
        }
      r->stale = r->last_seen_us <= 0 || now_us - r->last_seen_us > STALE_AFTER_US;
      g_array_append_val (rows, e);
    }
  if (province != NULL)
    {
      /* Every unit's devices, current in the registry or not: the same
       * numbers as a walk over all devices for "all", without a second walk. */
      memset (province, 0, sizeof *province);
      GHashTableIter it;
      gpointer v;
      g_hash_table_iter_init (&it, devices);
      while (g_hash_table_iter_next (&it, NULL, &v))
        ioc_api_docs_add_devices (province, v);
    }
  return rows;
}

void
ioc_api_docs_unit_row (JsonBuilder *b, const IocUnitEntry *e)
{
  const IocUnit *u = e->unit;
  const IocUnitRow *r = &e->row;
  json_builder_begin_object (b);
  ioc_json_string (b, "code", u->code);
  ioc_json_string (b, "name", u->name);
  ioc_json_string (b, "kind", u->kind);
  ioc_json_string (b, "parent", u->parent);
  ioc_json_int (b, "received", r->received);
  ioc_json_int (b, "completed", r->completed);
  ioc_json_int (b, "completed_late", r->completed_late);
  ioc_json_int (b, "open", r->open);
  ioc_json_int (b, "open_overdue", r->open_overdue);
  ioc_json_int (b, "due_soon", r->due_soon);
  ioc_json_rate (b, "ontime_rate", r->ontime_num, r->ontime_den);
  ioc_json_rate (b, "online_rate", r->online_num, r->online_den);
  ioc_json_int (b, "ratings", r->ratings);
  ioc_json_rate (b, "satisfied_rate", r->satisfied, r->ratings);
  ioc_json_int (b, "cameras", r->cameras);
  ioc_json_int (b, "cameras_recording", r->cameras_recording);
  ioc_json_int (b, "kiosks", r->kiosks);
  ioc_json_int (b, "kiosks_online", r->kiosks_online);
  ioc_json_int_or_null (b, "last_seen_ms", r->last_seen_us > 0, r->last_seen_us / 1000);
  ioc_json_bool (b, "stale", r->stale);
  json_builder_end_object (b);
}

typedef struct
{
  const gchar *code;
  gdouble value;
} RankEntry;

static gint
rank_cmp (gconstpointer a, gconstpointer b)
{
  const RankEntry *x = a, *y = b;
  if (x->value != y->value)
    return x->value < y->value ? 1 : -1;
  return strcmp (x->code, y->code);
}

/* The ranking: units with at least min_volume dossiers received in the
 * period and a defined rate, best first; ties by code. */
void
ioc_api_docs_ranking (JsonBuilder *b, const GArray *rows, gint64 min_volume, const gchar *sort)
{
  gboolean by_satisfaction = g_strcmp0 (sort, "satisfied_rate") == 0;
  g_autoptr (GArray) rank = g_array_new (FALSE, FALSE, sizeof (RankEntry));
  for (guint i = 0; i < rows->len; i++)
    {
      const IocUnitEntry *e = &g_array_index (rows, IocUnitEntry, i);
      const IocUnitRow *r = &e->row;
      gint64 num = by_satisfaction ? r->satisfied : r->ontime_num;
      gint64 den = by_satisfaction ? r->ratings : r->ontime_den;
      if (r->received >= min_volume && den > 0)
        {
          RankEntry x = { e->unit->code, (gdouble) num / (gdouble) den };
          g_array_append_val (rank, x);
        }
    }
  g_array_sort (rank, rank_cmp);
  json_builder_begin_array (b);
  for (guint i = 0; i < rank->len; i++)
    {
      RankEntry *e = &g_array_index (rank, RankEntry, i);
      json_builder_begin_object (b);
      ioc_json_string (b, "code", e->code);
      ioc_json_double (b, "value", e->value);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

void
ioc_api_docs_alerts (const IocApiDocs *docs, JsonBuilder *b, gint64 now_us)
{
  json_builder_begin_array (b);
  if (docs->alerts_fn != NULL)
    docs->alerts_fn (b, now_us, docs->alerts_data);
  json_builder_end_array (b);
}
