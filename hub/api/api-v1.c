/* api-v1.c — JSON handlers of /api/v1/ (docs/API.md) and the feeding of
 * the live feed.
 *
 * Where in the flow: a reader beside the sinks.  It reads the stages
 * through the hub's view (dossier indicators, live windows, device health,
 * dedup and dead-letter counts) at request time, and keeps one thing of its
 * own: a fixed ring of minute points per (measurement, unit, channel),
 * filled by a point observer, for charts and for today's queue and rating
 * totals.  Thread: main context only (libsoup handlers, hub observers).
 *
 * Every count is summed, every rate computed here from its numerator and
 * denominator (SPEC §5); a rate with a zero denominator is null, never 0,
 * so the wall does not paint an empty commune red. */
#include "api/api-v1.h"

#include <string.h>

#include "api/auth.h"
#include "api/live-feed.h"
#include "api/static-files.h"
#include "protocol/ioc-stats.h"

#define LOCAL_OFFSET_US (7 * G_TIME_SPAN_HOUR) /* Vietnam: UTC+7, no DST */
#define STALE_AFTER_US IOC_DEVICE_REPORTING_WINDOW_US
#define DEFAULT_MIN_VOLUME 30

/* The live feed pushes changes as they happen, coalesced: the first change
 * after a quiet spell goes out FEED_COALESCE_MS later (so a burst travels
 * as one event), and two events are at least FEED_MIN_INTERVAL_MS apart (so
 * a busy province costs the hub at most 4 deltas a second).  With nothing
 * new, an empty delta goes out on the first 1 s tick FEED_KEEPALIVE_US after
 * the last event, so a screen hears from the hub at least every 2 s and can
 * tell a quiet province from a dead hub. */
#define FEED_COALESCE_MS 50
#define FEED_MIN_INTERVAL_MS 250
#define FEED_KEEPALIVE_US (1500 * G_TIME_SPAN_MILLISECOND)
#define FEED_HEARTBEAT_US (10 * G_TIME_SPAN_SECOND)
/* A row's last_seen_ms alone is sent again only once it moved this far (or
 * the row turned stale or fresh): otherwise every status message would
 * resend its commune's row.  The page shows ages, not milliseconds. */
#define FEED_ROW_SEEN_STEP_US (30 * G_TIME_SPAN_SECOND)
/* The summary's freshness goes out floored to this step, for the same
 * reason: the province hears a device every few milliseconds. */
#define FEED_FRESH_STEP_MS 5000

/* One series: minute slot i holds the point of the minute whose index
 * (ts / 1 min) ≡ i mod IOC_API_SERIES_MINUTES, if minute[i] says so.
 * Today's sums are cached: a wall asks for every commune's every second,
 * and most series did not change in between. */
typedef struct
{
  IocMeasurement m;
  guint n;                                  /* int fields of m */
  guint64 version;                          /* bumped by every point */
  guint64 sums_version;                     /* of sums[]; 0: none */
  gint32 sums_from, sums_to;                /* minutes summed */
  gint64 sums[IOC_MAX_INT_FIELDS];
  gint32 minute[IOC_API_SERIES_MINUTES];    /* minute index since the epoch; 0: empty */
  gint32 vals[];                            /* IOC_API_SERIES_MINUTES × n */
} Ring;

/* What a screen was last sent of one unit's row. */
typedef struct _UnitRow UnitRow;

struct _IocApiV1
{
  IocHub *hub;
  IocLiveFeed *feed;
  IocStaticFiles *files;
  GHashTable *rings;     /* "m|unit|channel" → Ring* */
  IocApiAlertsFunc alerts_fn;
  gpointer alerts_data;

  /* The feed: what the screens were last sent, to send only what changed. */
  GHashTable *sent_rows; /* interned unit code → UnitRow* */
  gchar *sent_summary, *sent_ranking, *sent_alerts;
  gint64 feed_last_event_us;     /* monotonic */
  gint64 feed_last_heartbeat_us; /* monotonic */
  guint feed_flush_source;       /* a coalesced flush pending; 0: none */

  IocStat *stat_requests;
  IocStat *stat_series_full;
  IocStat *stat_feed_rows;
};


/* ---- small helpers ---- */

static gint64
local_day_start (gint64 now_us)
{
  gint64 local = now_us + LOCAL_OFFSET_US;
  return now_us - (local % G_TIME_SPAN_DAY);
}

static void
add_rate (JsonBuilder *b, const gchar *name, gint64 num, gint64 den)
{
  json_builder_set_member_name (b, name);
  if (den > 0)
    json_builder_add_double_value (b, (gdouble) num / (gdouble) den);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const gchar *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
reply_json (SoupServerMessage *msg, guint status, JsonNode *root)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  gsize len = 0;
  gchar *text = json_generator_to_data (gen, &len);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

static void
reply_error (SoupServerMessage *msg, guint status, const gchar *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  reply_json (msg, status, root);
}

static gchar *
node_to_string (JsonNode *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

/* Reads are GET/HEAD with a display or operator token.  Nothing under
 * /api/v1/ changes state yet, so an operator's POST gets 405; anyone else's
 * POST is refused by ioc_api_authorize first (401/403). */
static gboolean
authorize_read (IocApiV1 *self, SoupServerMessage *msg, GHashTable *query)
{
  const IocHubView *view = ioc_hub_view (self->hub);
  ioc_stat_add (self->stat_requests, 1);
  const gchar *method = soup_server_message_get_method (msg);
  if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0)
    {
      if (ioc_api_authorize (msg, query, view->config, IOC_ACCESS_OPERATE))
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
          reply_error (msg, 405, "this resource is read-only");
        }
      return FALSE;
    }
  return ioc_api_authorize (msg, query, view->config, IOC_ACCESS_READ);
}

static const gchar *
query_get (GHashTable *query, const gchar *key, const gchar *fallback)
{
  const gchar *v = query != NULL ? g_hash_table_lookup (query, key) : NULL;
  return v != NULL && v[0] != '\0' ? v : fallback;
}

static gboolean
query_int (GHashTable *query, const gchar *key, gint64 fallback, gint64 min, gint64 max, gint64 *out)
{
  const gchar *v = query_get (query, key, NULL);
  if (v == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  return g_ascii_string_to_signed (v, 10, min, max, out, NULL);
}

/* "all" or a unit valid now; NULL otherwise.  Returns the interned code. */
static const gchar *
resolve_unit (const IocHubView *view, const gchar *code, gint64 now_us, const IocUnit **unit_out)
{
  *unit_out = NULL;
  if (g_strcmp0 (code, "all") == 0)
    return "all";
  const IocUnit *u = ioc_units_lookup (view->units, code, now_us);
  if (u == NULL)
    return NULL;
  *unit_out = u;
  return u->code;
}

/* ---- the minute rings ---- */

static Ring *
ring_get (IocApiV1 *self, IocMeasurement m, const gchar *unit, guint channel, gboolean create)
{
  gchar key[160];
  if (g_snprintf (key, sizeof key, "%d|%s|%u", (gint) m, unit, channel) >= (gint) sizeof key)
    return NULL; /* registry codes are short; such a code has no series */
  Ring *r = g_hash_table_lookup (self->rings, key);
  if (r != NULL || !create)
    return r;
  if (g_hash_table_size (self->rings) >= IOC_API_MAX_SERIES)
    {
      ioc_stat_add (self->stat_series_full, 1);
      return NULL;
    }
  guint n = ioc_measurement_n_ints (m);
  r = g_malloc0 (sizeof (Ring) + sizeof (gint32) * IOC_API_SERIES_MINUTES * n);
  r->m = m;
  r->n = n;
  r->version = 1;
  g_hash_table_insert (self->rings, g_strdup (key), r);
  return r;
}

static void
point_cb (const IocPoint *point, gpointer user_data)
{
  IocApiV1 *self = user_data;
  Ring *r = ring_get (self, point->measurement, point->unit, point->channel, TRUE);
  if (r == NULL)
    return;
  gint32 minute = (gint32) (point->ts_us / G_TIME_SPAN_MINUTE);
  guint slot = (guint) (minute % IOC_API_SERIES_MINUTES);
  /* A re-emission carries the complete corrected values: replace.  An
   * older minute than the slot holds is out of the ring's reach. */
  if (r->minute[slot] > minute)
    return;
  r->minute[slot] = minute;
  for (guint f = 0; f < r->n; f++)
    r->vals[slot * r->n + f] = (gint32) CLAMP (point->ints[f], G_MININT32, G_MAXINT32);
  r->version++;
}

/* Value of field f in minute `minute` summed over the channels asked for
 * (channel < 0: all of them); FALSE when no series has that minute. */
static gboolean
ring_value (IocApiV1 *self, IocMeasurement m, const gchar *unit, gint channel, guint f, gint32 minute,
            gint64 *out)
{
  gboolean any = FALSE;
  gint64 sum = 0;
  for (guint ch = 0; ch <= IOC_ROLLUP_MAX_CHANNEL; ch++)
    {
      if (channel >= 0 && (guint) channel != ch)
        continue;
      Ring *r = ring_get (self, m, unit, ch, FALSE);
      if (r == NULL || f >= r->n)
        continue;
      guint slot = (guint) (minute % IOC_API_SERIES_MINUTES);
      if (r->minute[slot] != minute)
        continue;
      sum += r->vals[slot * r->n + f];
      any = TRUE;
    }
  *out = sum;
  return any;
}

/* Every counter of m summed over the closed minutes of today (local day)
 * and all channels, into out[0 .. n ints of m). */
static void
ring_sums_today (IocApiV1 *self, IocMeasurement m, const gchar *unit, gint64 now_us, gint64 *out)
{
  guint n = ioc_measurement_n_ints (m);
  memset (out, 0, sizeof (gint64) * n);
  gint32 from = (gint32) (local_day_start (now_us) / G_TIME_SPAN_MINUTE);
  gint32 to = (gint32) (now_us / G_TIME_SPAN_MINUTE);
  for (guint ch = 0; ch <= IOC_ROLLUP_MAX_CHANNEL; ch++)
    {
      Ring *r = ring_get (self, m, unit, ch, FALSE);
      if (r == NULL)
        continue;
      if (r->sums_version != r->version || r->sums_from != from || r->sums_to != to)
        {
          memset (r->sums, 0, sizeof r->sums);
          for (guint s = 0; s < IOC_API_SERIES_MINUTES; s++)
            if (r->minute[s] >= from && r->minute[s] <= to)
              for (guint f = 0; f < r->n; f++)
                r->sums[f] += r->vals[s * r->n + f];
          r->sums_version = r->version;
          r->sums_from = from;
          r->sums_to = to;
        }
      for (guint f = 0; f < n && f < r->n; f++)
        out[f] += r->sums[f];
    }
}

/* ---- freshness: newest message per unit and kind ---- */

/* for_feed: last_seen_ms floored to FEED_FRESH_STEP_MS and no age_s (the
 * page computes ages from the event's now_ms), so the text changes only
 * when a screen would show something new. */
static void
add_freshness (JsonBuilder *b, const IocDeviceSummary *s, gint64 now_us, gboolean for_feed)
{
  json_builder_set_member_name (b, "freshness");
  json_builder_begin_object (b);
  gint64 newest = 0;
  for (guint k = 0; k <= IOC_KIND_COUNT; k++)
    {
      gint64 last = k < IOC_KIND_COUNT ? (s != NULL ? s->last_seen_by_kind_us[k] : 0) : newest;
      if (k < IOC_KIND_COUNT)
        newest = MAX (newest, last);
      json_builder_set_member_name (b, k < IOC_KIND_COUNT ? ioc_kind_name ((IocKind) k) : "any");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "last_seen_ms");
      gint64 ms = last / 1000;
      if (for_feed)
        ms -= ms % FEED_FRESH_STEP_MS;
      if (last > 0)
        json_builder_add_int_value (b, ms);
      else
        json_builder_add_null_value (b);
      if (!for_feed)
        {
          json_builder_set_member_name (b, "age_s");
          if (last > 0)
            json_builder_add_double_value (b, (now_us - last) / 1e6);
          else
            json_builder_add_null_value (b);
        }
      json_builder_set_member_name (b, "stale");
      json_builder_add_boolean_value (b, last <= 0 || now_us - last > STALE_AFTER_US);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

/* ---- documents ---- */

static void
add_indicators (JsonBuilder *b, const gchar *name, const IocDossierIndicators *d)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "received");
  json_builder_begin_object (b);
  add_int (b, "total", d->received[0]);
  add_int (b, "in_person", d->received[1]);
  add_int (b, "online", d->received[2]);
  add_int (b, "postal", d->received[3]);
  json_builder_end_object (b);
  add_int (b, "completed_early", d->completed_early);
  add_int (b, "completed_ontime", d->completed_ontime);
  add_int (b, "completed_late", d->completed_late);
  add_int (b, "completed", d->completed_early + d->completed_ontime + d->completed_late);
  add_int (b, "open", d->open);
  add_int (b, "open_overdue", d->open_overdue);
  add_int (b, "overdue_entered", d->overdue_entered);
  add_int (b, "due_soon", d->due_soon);
  add_rate (b, "ontime_rate", d->ontime_num, d->ontime_den);
  add_rate (b, "online_rate", d->online_num, d->online_den);
  add_rate (b, "paid_online_rate", d->paid_online_num, d->paid_online_den);
  add_rate (b, "digitized_rate", d->digitized_num, d->digitized_den);
  add_rate (b, "e_result_rate", d->e_result_num, d->e_result_den);
  add_int (b, "ontime_den", d->ontime_den);
  json_builder_end_object (b);
}

static void
add_devices (JsonBuilder *b, const IocDeviceSummary *s)
{
  json_builder_set_member_name (b, "devices");
  json_builder_begin_object (b);
  add_int (b, "cameras", s->cameras);
  add_int (b, "cameras_online", s->cameras_online);
  add_int (b, "cameras_recording", s->cameras_recording);
  add_int (b, "kiosks", s->kiosks);
  add_int (b, "kiosks_online", s->kiosks_online);
  add_int (b, "connectors_expected", s->connectors_expected);
  add_int (b, "connectors_reporting", s->connectors_reporting);
  add_rate (b, "cameras_recording_rate", s->cameras_recording, s->cameras);
  add_rate (b, "kiosks_online_rate", s->kiosks_online, s->kiosks);
  json_builder_end_object (b);
}

static void
add_live (JsonBuilder *b, const IocHubView *view, const gchar *unit, gint64 now_us)
{
  IocPoint p;
  json_builder_set_member_name (b, "live");
  json_builder_begin_object (b);
  add_int (b, "window_s", view->config->live_window_us / G_USEC_PER_SEC);
  gint64 received = 0;
  for (guint ch = 0; ch <= IOC_ROLLUP_MAX_CHANNEL; ch++)
    if (ioc_rollup_live (view->rollup, IOC_MEAS_DOSSIER, unit, (guint8) ch, now_us, &p))
      received += p.ints[IOC_F_DOSSIER_RECEIVED];
  add_int (b, "dossiers_received", received);
  const IocMeasurement ms[] = { IOC_MEAS_QUEUE, IOC_MEAS_RATING };
  for (guint i = 0; i < G_N_ELEMENTS (ms); i++)
    {
      gboolean have = ioc_rollup_live (view->rollup, ms[i], unit, 0, now_us, &p);
      json_builder_set_member_name (b, ms[i] == IOC_MEAS_QUEUE ? "queue" : "rating");
      json_builder_begin_object (b);
      for (guint f = 0; f < ioc_measurement_n_ints (ms[i]); f++)
        add_int (b, ioc_measurement_int_name (ms[i], f), have ? p.ints[f] : 0);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

/* The object of GET /api/v1/summary, also the feed's "summary" (for_feed:
 * without now_ms, the event has it, and with the feed's freshness). */
static void
build_summary (IocApiV1 *self, JsonBuilder *b, const gchar *unit, const IocUnit *u, gint64 now_us,
               gboolean for_feed)
{
  const IocHubView *view = ioc_hub_view (self->hub);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "unit");
  json_builder_add_string_value (b, unit);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, u != NULL ? u->name : NULL);
  if (!for_feed)
    add_int (b, "now_ms", now_us / 1000);

  static const struct { IocPeriod p; const gchar *name; } periods[] = {
    { IOC_PERIOD_DAY, "today" }, { IOC_PERIOD_MONTH, "month" }, { IOC_PERIOD_YEAR, "ytd" } };
  for (guint i = 0; i < G_N_ELEMENTS (periods); i++)
    {
      IocDossierIndicators d;
      ioc_dossier_tracker_indicators (view->dossiers, unit, periods[i].p, now_us, &d);
      add_indicators (b, periods[i].name, &d);
    }

  /* Queue and ratings of today: closed minutes from the ring. */
  gint64 sums[IOC_MAX_INT_FIELDS];
  ring_sums_today (self, IOC_MEAS_QUEUE, unit, now_us, sums);
  json_builder_set_member_name (b, "queue_today");
  json_builder_begin_object (b);
  for (guint f = 0; f < IOC_F_QUEUE_N; f++)
    add_int (b, ioc_measurement_int_name (IOC_MEAS_QUEUE, f), sums[f]);
  json_builder_end_object (b);
  ring_sums_today (self, IOC_MEAS_RATING, unit, now_us, sums);
  json_builder_set_member_name (b, "rating_today");
  json_builder_begin_object (b);
  add_int (b, "ratings", sums[IOC_F_RATING_RATINGS]);
  add_int (b, "satisfied", sums[IOC_F_RATING_SATISFIED]);
  add_rate (b, "satisfied_rate", sums[IOC_F_RATING_SATISFIED], sums[IOC_F_RATING_RATINGS]);
  json_builder_end_object (b);

  add_live (b, view, unit, now_us);
  IocDeviceSummary s;
  if (!ioc_device_health_summary (view->devices, unit, now_us, &s))
    memset (&s, 0, sizeof s);
  add_devices (b, &s);
  add_freshness (b, &s, now_us, for_feed);
  json_builder_end_object (b);
}

/* ---- the unit table: GET /api/v1/units and the feed's rows ---- */

/* The numbers of one unit's row, compared member by member to tell whether
 * a screen needs the row again. */
struct _UnitRow
{
  gint64 received, completed, completed_late, open, open_overdue, due_soon;
  gint64 ontime_num, ontime_den, online_num, online_den;
  gint64 ratings, satisfied;
  gint64 cameras, cameras_recording, kiosks, kiosks_online;
  gint64 last_seen_us; /* newest message from any device of the unit; 0: none */
  gboolean stale;      /* no device heard within the reporting window */
};

typedef struct
{
  const IocUnit *unit;
  UnitRow row;
} UnitEntry;

/* Every current unit's row, in registry order: one pass over the devices,
 * one lookup per unit in the dossier tracker and the minute rings. */
static GArray *
collect_rows (IocApiV1 *self, IocPeriod period, gint64 now_us)
{
  const IocHubView *view = ioc_hub_view (self->hub);
  g_autoptr (GPtrArray) units = ioc_units_current (view->units, now_us);
  g_autoptr (GHashTable) devices = ioc_device_health_summaries (view->devices, now_us);
  GArray *rows = g_array_sized_new (FALSE, TRUE, sizeof (UnitEntry), units->len);
  for (guint i = 0; i < units->len; i++)
    {
      const IocUnit *u = units->pdata[i];
      UnitEntry e = { .unit = u };
      UnitRow *r = &e.row;
      IocDossierIndicators d;
      ioc_dossier_tracker_indicators (view->dossiers, u->code, period, now_us, &d);
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
      gint64 sums[IOC_MAX_INT_FIELDS];
      ring_sums_today (self, IOC_MEAS_RATING, u->code, now_us, sums);
      r->ratings = sums[IOC_F_RATING_RATINGS];
      r->satisfied = sums[IOC_F_RATING_SATISFIED];
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
  return rows;
}

static void
write_row (JsonBuilder *b, const IocUnit *u, const UnitRow *r)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, u->code);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, u->name);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, u->kind);
  json_builder_set_member_name (b, "parent");
  json_builder_add_string_value (b, u->parent);
  add_int (b, "received", r->received);
  add_int (b, "completed", r->completed);
  add_int (b, "completed_late", r->completed_late);
  add_int (b, "open", r->open);
  add_int (b, "open_overdue", r->open_overdue);
  add_int (b, "due_soon", r->due_soon);
  add_rate (b, "ontime_rate", r->ontime_num, r->ontime_den);
  add_rate (b, "online_rate", r->online_num, r->online_den);
  add_int (b, "ratings", r->ratings);
  add_rate (b, "satisfied_rate", r->satisfied, r->ratings);
  add_int (b, "cameras", r->cameras);
  add_int (b, "cameras_recording", r->cameras_recording);
  add_int (b, "kiosks", r->kiosks);
  add_int (b, "kiosks_online", r->kiosks_online);
  json_builder_set_member_name (b, "last_seen_ms");
  if (r->last_seen_us > 0)
    json_builder_add_int_value (b, r->last_seen_us / 1000);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "stale");
  json_builder_add_boolean_value (b, r->stale);
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
static void
write_ranking (JsonBuilder *b, const GArray *rows, gint64 min_volume, const gchar *sort)
{
  gboolean by_satisfaction = g_strcmp0 (sort, "satisfied_rate") == 0;
  g_autoptr (GArray) rank = g_array_new (FALSE, FALSE, sizeof (RankEntry));
  for (guint i = 0; i < rows->len; i++)
    {
      const UnitEntry *e = &g_array_index (rows, UnitEntry, i);
      const UnitRow *r = &e->row;
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
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, e->code);
      json_builder_set_member_name (b, "value");
      json_builder_add_double_value (b, e->value);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static gboolean
parse_period (const gchar *s, IocPeriod *out)
{
  if (g_strcmp0 (s, "today") == 0 || g_strcmp0 (s, "day") == 0)
    *out = IOC_PERIOD_DAY;
  else if (g_strcmp0 (s, "month") == 0)
    *out = IOC_PERIOD_MONTH;
  else if (g_strcmp0 (s, "ytd") == 0 || g_strcmp0 (s, "year") == 0)
    *out = IOC_PERIOD_YEAR;
  else
    return FALSE;
  return TRUE;
}

static void
build_alerts (IocApiV1 *self, JsonBuilder *b, gint64 now_us)
{
  json_builder_set_member_name (b, "alerts");
  json_builder_begin_array (b);
  if (self->alerts_fn != NULL)
    self->alerts_fn (b, now_us, self->alerts_data);
  json_builder_end_array (b);
}

/* ---- handlers ---- */

static void
summary_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  const IocHubView *view = ioc_hub_view (self->hub);
  gint64 now = ioc_clock_now (view->clock);
  const IocUnit *u = NULL;
  const gchar *unit = resolve_unit (view, query_get (query, "unit", "all"), now, &u);
  if (unit == NULL)
    {
      reply_error (msg, 404, "unknown unit (expected \"all\" or a unit code valid today)");
      return;
    }
  g_autoptr (JsonBuilder) b = json_builder_new ();
  build_summary (self, b, unit, u, now, FALSE);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  reply_json (msg, 200, root);
}

static void
units_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  const IocHubView *view = ioc_hub_view (self->hub);
  gint64 now = ioc_clock_now (view->clock);
  gint64 min_volume;
  IocPeriod period;
  const gchar *sort = query_get (query, "sort", "ontime_rate");
  if (!query_int (query, "min_volume", DEFAULT_MIN_VOLUME, 0, G_MAXINT32, &min_volume))
    {
      reply_error (msg, 400, "min_volume: expected an integer >= 0");
      return;
    }
  if (!parse_period (query_get (query, "period", "today"), &period))
    {
      reply_error (msg, 400, "period: expected today, month or ytd");
      return;
    }
  if (g_strcmp0 (sort, "ontime_rate") != 0 && g_strcmp0 (sort, "satisfied_rate") != 0)
    {
      reply_error (msg, 400, "sort: expected ontime_rate or satisfied_rate");
      return;
    }
  g_autoptr (GArray) rows = collect_rows (self, period, now);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_int (b, "now_ms", now / 1000);
  json_builder_set_member_name (b, "period");
  json_builder_add_string_value (b, query_get (query, "period", "today"));
  add_int (b, "min_volume", min_volume);
  json_builder_set_member_name (b, "sort");
  json_builder_add_string_value (b, sort);
  json_builder_set_member_name (b, "units");
  json_builder_begin_array (b);
  for (guint i = 0; i < rows->len; i++)
    {
      const UnitEntry *e = &g_array_index (rows, UnitEntry, i);
      write_row (b, e->unit, &e->row);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "ranking");
  write_ranking (b, rows, min_volume, sort);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  reply_json (msg, 200, root);
}

static gboolean
measurement_from_name (const gchar *name, IocMeasurement *out)
{
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    if (g_strcmp0 (name, ioc_measurement_name ((IocMeasurement) m)) == 0)
      {
        *out = (IocMeasurement) m;
        return TRUE;
      }
  return FALSE;
}

static void
series_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  const IocHubView *view = ioc_hub_view (self->hub);
  gint64 now = ioc_clock_now (view->clock);
  IocMeasurement m;
  if (!measurement_from_name (query_get (query, "measurement", "ioc_dossier"), &m))
    {
      reply_error (msg, 400, "measurement: expected ioc_dossier, ioc_queue, ioc_rating or ioc_device");
      return;
    }
  const gchar *field_name = query_get (query, "field", ioc_measurement_int_name (m, 0));
  gint field = -1;
  for (guint f = 0; f < ioc_measurement_n_ints (m); f++)
    if (g_strcmp0 (field_name, ioc_measurement_int_name (m, f)) == 0)
      field = (gint) f;
  if (field < 0)
    {
      reply_error (msg, 400, "field: not an integer field of that measurement (docs/API.md)");
      return;
    }
  const IocUnit *u = NULL;
  const gchar *unit = resolve_unit (view, query_get (query, "unit", "all"), now, &u);
  if (unit == NULL)
    {
      reply_error (msg, 404, "unknown unit (expected \"all\" or a unit code valid today)");
      return;
    }
  gint64 step_s, minutes, channel;
  if (!query_int (query, "step", 60, 60, 86400, &step_s) || step_s % 60 != 0
      || !query_int (query, "minutes", 360, 1, IOC_API_SERIES_MINUTES, &minutes)
      || !query_int (query, "channel", -1, -1, IOC_ROLLUP_MAX_CHANNEL, &channel))
    {
      reply_error (msg, 400, "step: a multiple of 60 s up to 86400; minutes: 1..1440; channel: 0..3");
      return;
    }
  gboolean gauge = ioc_measurement_int_is_gauge (m, (guint) field);
  gint32 step_min = (gint32) (step_s / 60);
  /* Buckets aligned to the step, ending with the last closed minute. */
  gint32 last_minute = (gint32) (now / G_TIME_SPAN_MINUTE) - 1;
  gint32 end = last_minute - (last_minute % step_min) + step_min; /* exclusive */
  gint32 n_buckets = (gint32) ((minutes + step_min - 1) / step_min);
  gint32 start = end - n_buckets * step_min;

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "measurement");
  json_builder_add_string_value (b, ioc_measurement_name (m));
  json_builder_set_member_name (b, "unit");
  json_builder_add_string_value (b, unit);
  json_builder_set_member_name (b, "field");
  json_builder_add_string_value (b, field_name);
  json_builder_set_member_name (b, "channel");
  if (channel >= 0)
    json_builder_add_int_value (b, channel);
  else
    json_builder_add_null_value (b);
  add_int (b, "step_s", step_s);
  json_builder_set_member_name (b, "aggregate");
  json_builder_add_string_value (b, gauge ? "last" : "sum");
  add_int (b, "now_ms", now / 1000);
  json_builder_set_member_name (b, "points");
  json_builder_begin_array (b);
  for (gint32 t = start; t < end; t += step_min)
    {
      gboolean any = FALSE;
      gint64 acc = 0;
      for (gint32 mi = t; mi < t + step_min; mi++)
        {
          gint64 v;
          if (mi > last_minute + 1 || !ring_value (self, m, unit, (gint) channel, (guint) field, mi, &v))
            continue;
          acc = gauge ? v : acc + v;
          any = TRUE;
        }
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) t * 60000);
      if (any)
        json_builder_add_int_value (b, acc);
      else
        json_builder_add_null_value (b);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  reply_json (msg, 200, root);
}

typedef struct
{
  gint64 last_seq, missing, duplicates, dead, seq_resets, remapped;
  const gchar *last_reason; /* borrowed for the request's duration */
  gboolean listed;
} DeviceCounts;

static DeviceCounts *
counts_for (GHashTable *t, const gchar *kind, const gchar *device)
{
  g_autofree gchar *key = g_strconcat (kind, "/", device, NULL);
  DeviceCounts *c = g_hash_table_lookup (t, key);
  if (c == NULL)
    {
      c = g_new0 (DeviceCounts, 1);
      g_hash_table_insert (t, g_steal_pointer (&key), c);
    }
  return c;
}

static void
dedup_cb (const IocSeqDeviceInfo *d, gpointer user_data)
{
  DeviceCounts *c = counts_for (user_data, ioc_kind_name (d->kind), d->device);
  c->last_seq = d->last_seq;
  c->missing = d->missing;
  c->duplicates = d->duplicates;
  c->seq_resets = d->resets;
  c->remapped = d->remapped;
}

static void
dead_cb (const gchar *kind, const gchar *device, gint64 count, const gchar *last_reason, gpointer user_data)
{
  DeviceCounts *c = counts_for (user_data, kind ? kind : "unknown", device ? device : "unknown");
  c->dead = count;
  c->last_reason = last_reason;
}

typedef struct
{
  JsonBuilder *b;
  GHashTable *counts;
  gint64 now_us;
} ConnectorWalk;

static void
add_connector (JsonBuilder *b, const gchar *kind, const gchar *device, const gchar *unit, const gchar *state,
               gboolean declared, gboolean reporting, gint64 last_seen_us, const gchar *config_version,
               const DeviceCounts *c, gint64 now_us)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, kind);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, device);
  json_builder_set_member_name (b, "unit");
  json_builder_add_string_value (b, unit);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, state);
  json_builder_set_member_name (b, "declared");
  json_builder_add_boolean_value (b, declared);
  json_builder_set_member_name (b, "reporting");
  json_builder_add_boolean_value (b, reporting);
  json_builder_set_member_name (b, "last_seen_ms");
  if (last_seen_us > 0)
    json_builder_add_int_value (b, last_seen_us / 1000);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "age_s");
  if (last_seen_us > 0)
    json_builder_add_double_value (b, (now_us - last_seen_us) / 1e6);
  else
    json_builder_add_null_value (b);
  add_int (b, "last_seq", c ? c->last_seq : 0);
  add_int (b, "missing", c ? c->missing : 0);
  add_int (b, "duplicates", c ? c->duplicates : 0);
  add_int (b, "deadletters", c ? c->dead : 0);
  add_int (b, "seq_resets", c ? c->seq_resets : 0);
  add_int (b, "remapped", c ? c->remapped : 0);
  json_builder_set_member_name (b, "last_reject_reason");
  json_builder_add_string_value (b, c ? c->last_reason : NULL);
  /* The config it says it runs (its status), to check a push took. */
  json_builder_set_member_name (b, "config_version");
  json_builder_add_string_value (b, config_version);
  json_builder_end_object (b);
}

static void
connector_cb (const IocConnectorInfo *info, gpointer user_data)
{
  ConnectorWalk *w = user_data;
  static const gchar *const states[] = { "unknown", "online", "offline" };
  const gchar *kind = ioc_kind_name (info->kind);
  g_autofree gchar *key = g_strconcat (kind, "/", info->device, NULL);
  DeviceCounts *c = g_hash_table_lookup (w->counts, key);
  if (c != NULL)
    c->listed = TRUE;
  add_connector (w->b, kind, info->device, info->unit, states[MIN ((guint) info->state, 2u)], info->is_declared,
                 info->is_reporting, info->last_seen_us, info->config_version, c, w->now_us);
}

static void
connectors_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  const IocHubView *view = ioc_hub_view (self->hub);
  gint64 now = ioc_clock_now (view->clock);
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  ioc_dedup_foreach_info (view->dedup, dedup_cb, counts);
  ioc_deadletter_foreach_device (view->deadletter, dead_cb, counts);

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_int (b, "now_ms", now / 1000);
  json_builder_set_member_name (b, "connectors");
  json_builder_begin_array (b);
  ConnectorWalk w = { b, counts, now };
  ioc_device_health_foreach_connector (view->devices, now, connector_cb, &w);
  /* Devices whose every message was rejected never reach device health,
   * and those are the ones the ops team most needs to see. */
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, counts);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      DeviceCounts *c = v;
      if (c->listed)
        continue;
      g_auto (GStrv) kd = g_strsplit (k, "/", 2);
      add_connector (b, kd[0], kd[1], NULL, "unknown", FALSE, FALSE, 0, NULL, c, now);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "totals");
  json_builder_begin_object (b);
  add_int (b, "missing", ioc_dedup_missing_total (view->dedup));
  add_int (b, "duplicates", ioc_dedup_duplicates_total (view->dedup));
  add_int (b, "deadletters", ioc_deadletter_total (view->deadletter));
  add_int (b, "seq_resets", ioc_dedup_resets_total (view->dedup));
  add_int (b, "remapped", ioc_dedup_remapped_total (view->dedup));
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  reply_json (msg, 200, root);
}

static void
alerts_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  gint64 now = ioc_clock_now (ioc_hub_view (self->hub)->clock);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_int (b, "now_ms", now / 1000);
  build_alerts (self, b, now);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  reply_json (msg, 200, root);
}

static void
not_found_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  reply_error (msg, 404, "no such resource (docs/API.md lists them)");
}

/* ---- the live feed ----
 *
 * A snapshot when a screen connects; then deltas pushed as the hub takes
 * messages in (a batch observer), coalesced and spaced (FEED_*), and on the
 * 1 s tick for what time alone changes (deadlines passing, minutes
 * closing, devices going quiet).  A delta holds only what changed since
 * the previous event: the unit rows whose numbers moved, and the summary,
 * ranking and alerts when their text differs from what was sent.  Every
 * screen gets the same events, so one record of what was sent serves all;
 * a screen that connects later starts from its own snapshot. */

static gchar *
summary_text (IocApiV1 *self, gint64 now_us)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  build_summary (self, b, "all", NULL, now_us, TRUE);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return node_to_string (root);
}

static gchar *
ranking_text (const GArray *rows)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  write_ranking (b, rows, DEFAULT_MIN_VOLUME, "ontime_rate");
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return node_to_string (root);
}

static gchar *
alerts_text (IocApiV1 *self, gint64 now_us)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  if (self->alerts_fn != NULL)
    self->alerts_fn (b, now_us, self->alerts_data);
  json_builder_end_array (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return node_to_string (root);
}

/* Whether a screen holding `sent` needs `now` again. */
static gboolean
row_changed (const UnitRow *sent, const UnitRow *now)
{
  UnitRow a = *sent, b = *now;
  if (a.stale != b.stale || b.last_seen_us - a.last_seen_us >= FEED_ROW_SEEN_STEP_US
      || b.last_seen_us < a.last_seen_us)
    return TRUE;
  a.last_seen_us = b.last_seen_us = 0;
  return memcmp (&a, &b, sizeof a) != 0;
}

/* Replaces *slot with text when they differ; TRUE then. */
static gboolean
remember_text (gchar **slot, gchar *text)
{
  if (g_strcmp0 (*slot, text) == 0)
    {
      g_free (text);
      return FALSE;
    }
  g_free (*slot);
  *slot = text;
  return TRUE;
}

static void
append_member (GString *out, const gchar *name, const gchar *json)
{
  g_string_append_printf (out, ",\"%s\":%s", name, json);
}

/* The event's JSON text: everything (full) or only what changed since the
 * last event; NULL when a delta would carry nothing.  Either way the record
 * of what was sent moves to now: a snapshot goes to one new screen only,
 * but it matches what the others hold after this delta anyway. */
static gchar *
build_feed_event (IocApiV1 *self, gboolean full, gint64 now_us)
{
  g_autoptr (GArray) rows = collect_rows (self, IOC_PERIOD_DAY, now_us);
  gboolean summary_new = remember_text (&self->sent_summary, summary_text (self, now_us));
  gboolean ranking_new = remember_text (&self->sent_ranking, ranking_text (rows));
  gboolean alerts_new = remember_text (&self->sent_alerts, alerts_text (self, now_us));

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  guint n_rows = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      const UnitEntry *e = &g_array_index (rows, UnitEntry, i);
      UnitRow *sent = g_hash_table_lookup (self->sent_rows, e->unit->code);
      gboolean changed = sent == NULL || row_changed (sent, &e->row);
      if (changed)
        {
          if (sent == NULL)
            g_hash_table_insert (self->sent_rows, (gpointer) e->unit->code, (sent = g_new (UnitRow, 1)));
          *sent = e->row;
        }
      if (changed || full)
        {
          write_row (b, e->unit, &e->row);
          n_rows++;
        }
    }
  json_builder_end_array (b);
  if (!full && n_rows == 0 && !summary_new && !ranking_new && !alerts_new)
    return NULL;
  ioc_stat_add (self->stat_feed_rows, full ? 0 : n_rows);

  g_autoptr (JsonNode) rows_node = json_builder_get_root (b);
  g_autofree gchar *rows_json = node_to_string (rows_node);
  GString *out = g_string_sized_new (strlen (rows_json) + 256);
  g_string_append_printf (out, "{\"now_ms\":%" G_GINT64_FORMAT ",\"full\":%s", now_us / 1000, full ? "true" : "false");
  if (full || summary_new)
    append_member (out, "summary", self->sent_summary);
  append_member (out, "units", rows_json);
  if (full || ranking_new)
    append_member (out, "ranking", self->sent_ranking);
  if (full || alerts_new)
    append_member (out, "alerts", self->sent_alerts);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static void
feed_forget (IocApiV1 *self)
{
  g_hash_table_remove_all (self->sent_rows);
  g_clear_pointer (&self->sent_summary, g_free);
  g_clear_pointer (&self->sent_ranking, g_free);
  g_clear_pointer (&self->sent_alerts, g_free);
}

static void
feed_flush (IocApiV1 *self)
{
  gint64 mono = g_get_monotonic_time ();
  if (ioc_live_feed_n_clients (self->feed) == 0)
    {
      /* Nobody watching: the next screen starts from a snapshot anyway. */
      feed_forget (self);
      return;
    }
  gint64 now = ioc_clock_now (ioc_hub_view (self->hub)->clock);
  g_autofree gchar *delta = build_feed_event (self, FALSE, now);
  if (delta == NULL && mono - self->feed_last_event_us >= FEED_KEEPALIVE_US)
    delta = g_strdup_printf ("{\"now_ms\":%" G_GINT64_FORMAT ",\"full\":false,\"units\":[]}", now / 1000);
  if (delta != NULL)
    {
      ioc_live_feed_broadcast (self->feed, "delta", delta);
      self->feed_last_event_us = mono;
    }
  if (mono - self->feed_last_heartbeat_us >= FEED_HEARTBEAT_US)
    {
      ioc_live_feed_heartbeat (self->feed);
      self->feed_last_heartbeat_us = mono;
    }
}

static gboolean
feed_flush_cb (gpointer user_data)
{
  IocApiV1 *self = user_data;
  self->feed_flush_source = 0;
  feed_flush (self);
  return G_SOURCE_REMOVE;
}

/* Something may have changed: flush soon, but not sooner than the spacing
 * allows; a flush already pending covers this change too. */
static void
feed_request_flush (IocApiV1 *self)
{
  if (self->feed_flush_source != 0 || ioc_live_feed_n_clients (self->feed) == 0)
    return;
  gint64 since_ms = (g_get_monotonic_time () - self->feed_last_event_us) / 1000;
  gint64 delay_ms = MAX (FEED_COALESCE_MS, FEED_MIN_INTERVAL_MS - since_ms);
  self->feed_flush_source = g_timeout_add ((guint) delay_ms, feed_flush_cb, self);
}

static void
feed_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  gint64 now = ioc_clock_now (ioc_hub_view (self->hub)->clock);
  /* What changed for the others goes to them first, so the snapshot and
   * the record of what was sent agree. */
  if (ioc_live_feed_n_clients (self->feed) > 0)
    {
      g_autofree gchar *delta = build_feed_event (self, FALSE, now);
      if (delta != NULL)
        {
          ioc_live_feed_broadcast (self->feed, "delta", delta);
          self->feed_last_event_us = g_get_monotonic_time ();
        }
    }
  else
    feed_forget (self);
  g_autofree gchar *snapshot = build_feed_event (self, TRUE, now);
  ioc_live_feed_add_client (self->feed, msg, snapshot, ioc_api_request_token (msg, query));
}

static gboolean
token_still_allowed (const gchar *token, gpointer user_data)
{
  IocApiV1 *self = user_data;
  return ioc_api_token_allows (ioc_hub_view (self->hub)->config, token, IOC_ACCESS_READ);
}

/* A reload may have revoked a token: a screen that opened its stream with
 * it stops getting data now, not at its next reconnection. */
static void
reload_cb (gpointer user_data)
{
  IocApiV1 *self = user_data;
  ioc_live_feed_revoke (self->feed, token_still_allowed, self);
}

static void
batch_cb (guint n_accepted, gpointer user_data)
{
  feed_request_flush (user_data);
}

static void
tick_cb (gint64 now_us, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (ioc_live_feed_n_clients (self->feed) == 0)
    feed_forget (self);
  else
    feed_request_flush (self);
}

/* ---- life cycle ---- */

IocApiV1 *
ioc_api_v1_attach (IocHub *hub)
{
  const IocHubView *view = ioc_hub_view (hub);
  IocApiV1 *self = g_new0 (IocApiV1, 1);
  self->hub = hub;
  self->feed = ioc_live_feed_new (0);
  self->rings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->sent_rows = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->stat_requests = ioc_stat ("iochub_api_requests_total", NULL, IOC_STAT_COUNTER, "Requests to /api/v1/");
  self->stat_series_full = ioc_stat ("iochub_api_series_full_total", NULL, IOC_STAT_COUNTER,
                                     "Minute points not kept for charts because the series table is full");
  self->stat_feed_rows = ioc_stat ("iochub_feed_rows_total", NULL, IOC_STAT_COUNTER,
                                   "Unit rows sent in live-feed deltas (changed rows only)");

  ioc_http_server_route (view->http, "/api/v1/summary", summary_cb, self);
  ioc_http_server_route (view->http, "/api/v1/units", units_cb, self);
  ioc_http_server_route (view->http, "/api/v1/series", series_cb, self);
  ioc_http_server_route (view->http, "/api/v1/connectors", connectors_cb, self);
  ioc_http_server_route (view->http, "/api/v1/alerts", alerts_cb, self);
  ioc_http_server_route (view->http, "/api/v1/feed", feed_cb, self);
  ioc_http_server_route (view->http, "/api/v1/", not_found_cb, self);

  if (view->config->dashboard_dir != NULL)
    {
      g_autoptr (GError) error = NULL;
      self->files = ioc_static_files_new (view->config->dashboard_dir, &error);
      if (self->files != NULL)
        ioc_static_files_register (self->files, view->http);
      else
        g_warning ("%s: %s (the API is served, the wall page is not)", view->config->path, error->message);
    }

  ioc_hub_add_point_observer (hub, point_cb, self);
  ioc_hub_add_tick_observer (hub, tick_cb, self);
  ioc_hub_add_batch_observer (hub, batch_cb, self);
  ioc_hub_add_reload_observer (hub, reload_cb, self);
  return self;
}

void
ioc_api_v1_set_alerts_source (IocApiV1 *self, IocApiAlertsFunc fn, gpointer user_data)
{
  self->alerts_fn = fn;
  self->alerts_data = user_data;
}

void
ioc_api_v1_free (IocApiV1 *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->feed_flush_source, g_source_remove);
  g_clear_pointer (&self->feed, ioc_live_feed_free);
  g_clear_pointer (&self->files, ioc_static_files_free);
  g_clear_pointer (&self->rings, g_hash_table_unref);
  g_clear_pointer (&self->sent_rows, g_hash_table_unref);
  g_clear_pointer (&self->sent_summary, g_free);
  g_clear_pointer (&self->sent_ranking, g_free);
  g_clear_pointer (&self->sent_alerts, g_free);
  g_free (self);
}
