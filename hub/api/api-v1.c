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
#define FEED_HEARTBEAT_TICKS 10
#define DEFAULT_MIN_VOLUME 30

/* One series: minute slot i holds the point of the minute whose index
 * (ts / 1 min) ≡ i mod IOC_API_SERIES_MINUTES, if minute[i] says so. */
typedef struct
{
  IocMeasurement m;
  guint n;                                  /* int fields of m */
  gint32 minute[IOC_API_SERIES_MINUTES];    /* minute index since the epoch; 0: empty */
  gint32 vals[];                            /* IOC_API_SERIES_MINUTES × n */
} Ring;

struct _IocApiV1
{
  IocHub *hub;
  IocLiveFeed *feed;
  IocStaticFiles *files;
  GHashTable *rings;     /* "m|unit|channel" → Ring* */
  GHashTable *last_rows; /* unit code → its row as last broadcast (JSON text) */
  IocApiAlertsFunc alerts_fn;
  gpointer alerts_data;
  guint ticks;
  IocStat *stat_requests;
  IocStat *stat_series_full;
};

static const gchar *const kind_names[IOC_KIND_COUNT] = { "desk", "kiosk", "camera", "portal" };

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
  g_autofree gchar *key = g_strdup_printf ("%d|%s|%u", (gint) m, unit, channel);
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
  g_hash_table_insert (self->rings, g_steal_pointer (&key), r);
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

/* Sum of a counter over the closed minutes of today (local day). */
static gint64
ring_sum_today (IocApiV1 *self, IocMeasurement m, const gchar *unit, guint f, gint64 now_us)
{
  gint64 total = 0;
  gint32 from = (gint32) (local_day_start (now_us) / G_TIME_SPAN_MINUTE);
  gint32 to = (gint32) (now_us / G_TIME_SPAN_MINUTE);
  for (guint ch = 0; ch <= IOC_ROLLUP_MAX_CHANNEL; ch++)
    {
      Ring *r = ring_get (self, m, unit, ch, FALSE);
      if (r == NULL || f >= r->n)
        continue;
      for (guint s = 0; s < IOC_API_SERIES_MINUTES; s++)
        if (r->minute[s] >= from && r->minute[s] <= to)
          total += r->vals[s * r->n + f];
    }
  return total;
}

/* ---- freshness: newest message per unit and kind ---- */

typedef struct
{
  gint64 last[IOC_KIND_COUNT];
} Fresh;

static void
fresh_cb (const IocConnectorInfo *info, gpointer user_data)
{
  GHashTable *by_unit = user_data;
  if (info->last_seen_us <= 0 || info->unit == NULL || (guint) info->kind >= IOC_KIND_COUNT)
    return;
  const gchar *keys[] = { info->unit, "all" };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      Fresh *f = g_hash_table_lookup (by_unit, keys[i]);
      if (f == NULL)
        {
          f = g_new0 (Fresh, 1);
          g_hash_table_insert (by_unit, (gpointer) keys[i], f);
        }
      f->last[info->kind] = MAX (f->last[info->kind], info->last_seen_us);
    }
}

/* unit (interned or "all") → Fresh*.  Keys are borrowed (interned). */
static GHashTable *
freshness_table (const IocHubView *view, gint64 now_us)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  ioc_device_health_foreach_connector (view->devices, now_us, fresh_cb, t);
  return t;
}

static void
add_freshness (JsonBuilder *b, const Fresh *f, gint64 now_us)
{
  json_builder_set_member_name (b, "freshness");
  json_builder_begin_object (b);
  gint64 newest = 0;
  for (guint k = 0; k <= IOC_KIND_COUNT; k++)
    {
      gint64 last = k < IOC_KIND_COUNT ? (f ? f->last[k] : 0) : newest;
      if (k < IOC_KIND_COUNT)
        newest = MAX (newest, last);
      json_builder_set_member_name (b, k < IOC_KIND_COUNT ? kind_names[k] : "any");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "last_seen_ms");
      if (last > 0)
        json_builder_add_int_value (b, last / 1000);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "age_s");
      if (last > 0)
        json_builder_add_double_value (b, (now_us - last) / 1e6);
      else
        json_builder_add_null_value (b);
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

/* The object of GET /api/v1/summary, also the feed's "summary". */
static void
build_summary (IocApiV1 *self, JsonBuilder *b, const gchar *unit, const IocUnit *u, GHashTable *fresh,
               gint64 now_us)
{
  const IocHubView *view = ioc_hub_view (self->hub);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "unit");
  json_builder_add_string_value (b, unit);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, u != NULL ? u->name : NULL);
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
  json_builder_set_member_name (b, "queue_today");
  json_builder_begin_object (b);
  for (guint f = 0; f < IOC_F_QUEUE_N; f++)
    add_int (b, ioc_measurement_int_name (IOC_MEAS_QUEUE, f), ring_sum_today (self, IOC_MEAS_QUEUE, unit, f, now_us));
  json_builder_end_object (b);
  gint64 ratings = ring_sum_today (self, IOC_MEAS_RATING, unit, IOC_F_RATING_RATINGS, now_us);
  gint64 satisfied = ring_sum_today (self, IOC_MEAS_RATING, unit, IOC_F_RATING_SATISFIED, now_us);
  json_builder_set_member_name (b, "rating_today");
  json_builder_begin_object (b);
  add_int (b, "ratings", ratings);
  add_int (b, "satisfied", satisfied);
  add_rate (b, "satisfied_rate", satisfied, ratings);
  json_builder_end_object (b);

  add_live (b, view, unit, now_us);
  IocDeviceSummary s;
  if (!ioc_device_health_summary (view->devices, unit, now_us, &s))
    memset (&s, 0, sizeof s);
  add_devices (b, &s);
  add_freshness (b, g_hash_table_lookup (fresh, unit), now_us);
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

/* One row of GET /api/v1/units; its volume and sort value come back. */
static void
build_unit_row (IocApiV1 *self, JsonBuilder *b, const IocUnit *u, IocPeriod period, GHashTable *fresh,
                gint64 now_us, gint64 *volume, gdouble *ontime, gdouble *satisfaction)
{
  const IocHubView *view = ioc_hub_view (self->hub);
  IocDossierIndicators d;
  ioc_dossier_tracker_indicators (view->dossiers, u->code, period, now_us, &d);
  IocDeviceSummary s;
  if (!ioc_device_health_summary (view->devices, u->code, now_us, &s))
    memset (&s, 0, sizeof s);
  gint64 ratings = ring_sum_today (self, IOC_MEAS_RATING, u->code, IOC_F_RATING_RATINGS, now_us);
  gint64 satisfied = ring_sum_today (self, IOC_MEAS_RATING, u->code, IOC_F_RATING_SATISFIED, now_us);
  const Fresh *f = g_hash_table_lookup (fresh, u->code);
  gint64 last = 0;
  for (guint k = 0; f != NULL && k < IOC_KIND_COUNT; k++)
    last = MAX (last, f->last[k]);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, u->code);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, u->name);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, u->kind);
  json_builder_set_member_name (b, "parent");
  json_builder_add_string_value (b, u->parent);
  add_int (b, "received", d.received[0]);
  add_int (b, "completed", d.completed_early + d.completed_ontime + d.completed_late);
  add_int (b, "completed_late", d.completed_late);
  add_int (b, "open", d.open);
  add_int (b, "open_overdue", d.open_overdue);
  add_int (b, "due_soon", d.due_soon);
  add_rate (b, "ontime_rate", d.ontime_num, d.ontime_den);
  add_rate (b, "online_rate", d.online_num, d.online_den);
  add_int (b, "ratings", ratings);
  add_rate (b, "satisfied_rate", satisfied, ratings);
  add_int (b, "cameras", s.cameras);
  add_int (b, "cameras_recording", s.cameras_recording);
  add_int (b, "kiosks", s.kiosks);
  add_int (b, "kiosks_online", s.kiosks_online);
  json_builder_set_member_name (b, "last_seen_ms");
  if (last > 0)
    json_builder_add_int_value (b, last / 1000);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);

  *volume = d.received[0];
  *ontime = d.ontime_den > 0 ? (gdouble) d.ontime_num / d.ontime_den : -1;
  *satisfaction = ratings > 0 ? (gdouble) satisfied / ratings : -1;
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

/* Members "units" (array of rows) and "ranking" of GET /api/v1/units. */
static void
build_units (IocApiV1 *self, JsonBuilder *b, IocPeriod period, gint64 min_volume, const gchar *sort,
             GHashTable *fresh, gint64 now_us)
{
  const IocHubView *view = ioc_hub_view (self->hub);
  g_autoptr (GPtrArray) units = ioc_units_current (view->units, now_us);
  g_autoptr (GArray) rank = g_array_new (FALSE, FALSE, sizeof (RankEntry));
  json_builder_set_member_name (b, "units");
  json_builder_begin_array (b);
  for (guint i = 0; i < units->len; i++)
    {
      const IocUnit *u = units->pdata[i];
      gint64 volume;
      gdouble ontime, satisfaction;
      build_unit_row (self, b, u, period, fresh, now_us, &volume, &ontime, &satisfaction);
      gdouble v = g_strcmp0 (sort, "satisfied_rate") == 0 ? satisfaction : ontime;
      if (volume >= min_volume && v >= 0)
        {
          RankEntry e = { u->code, v };
          g_array_append_val (rank, e);
        }
    }
  json_builder_end_array (b);
  g_array_sort (rank, rank_cmp);
  json_builder_set_member_name (b, "ranking");
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
  g_autoptr (GHashTable) fresh = freshness_table (view, now);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  build_summary (self, b, unit, u, fresh, now);
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
  g_autoptr (GHashTable) fresh = freshness_table (view, now);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_int (b, "now_ms", now / 1000);
  json_builder_set_member_name (b, "period");
  json_builder_add_string_value (b, query_get (query, "period", "today"));
  add_int (b, "min_volume", min_volume);
  json_builder_set_member_name (b, "sort");
  json_builder_add_string_value (b, sort);
  build_units (self, b, period, min_volume, sort, fresh, now);
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
  gint64 last_seq, missing, duplicates, dead;
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
dedup_cb (IocKind kind, const gchar *device, gint64 last_seq, gint64 missing, gint64 duplicates, gpointer user_data)
{
  DeviceCounts *c = counts_for (user_data, ioc_kind_name (kind), device);
  c->last_seq = last_seq;
  c->missing = missing;
  c->duplicates = duplicates;
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
  ioc_dedup_foreach (view->dedup, dedup_cb, counts);
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

/* ---- the live feed ---- */

/* The feed's event: the province summary, the unit rows (all of them, or
 * only those changed since the last broadcast) and the alerts. */
static gchar *
build_feed_event (IocApiV1 *self, gboolean full, gint64 now_us)
{
  const IocHubView *view = ioc_hub_view (self->hub);
  g_autoptr (GHashTable) fresh = freshness_table (view, now_us);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_int (b, "now_ms", now_us / 1000);
  json_builder_set_member_name (b, "full");
  json_builder_add_boolean_value (b, full);
  json_builder_set_member_name (b, "summary");
  build_summary (self, b, "all", NULL, fresh, now_us);
  build_units (self, b, IOC_PERIOD_DAY, DEFAULT_MIN_VOLUME, "ontime_rate", fresh, now_us);
  build_alerts (self, b, now_us);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  if (!full)
    {
      /* Keep only the rows that changed: a screen then costs a few hundred
       * bytes a second, not the whole province. */
      JsonArray *rows = json_object_get_array_member (json_node_get_object (root), "units");
      for (guint i = json_array_get_length (rows); i-- > 0;)
        {
          JsonObject *row = json_array_get_object_element (rows, i);
          const gchar *code = json_object_get_string_member (row, "code");
          g_autofree gchar *text = node_to_string (json_array_get_element (rows, i));
          const gchar *prev = g_hash_table_lookup (self->last_rows, code);
          if (g_strcmp0 (prev, text) == 0)
            json_array_remove_element (rows, i);
          else
            g_hash_table_replace (self->last_rows, g_strdup (code), g_steal_pointer (&text));
        }
    }
  return node_to_string (root);
}

static void
feed_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  gint64 now = ioc_clock_now (ioc_hub_view (self->hub)->clock);
  g_autofree gchar *snapshot = build_feed_event (self, TRUE, now);
  ioc_live_feed_add_client (self->feed, msg, snapshot);
}

static void
tick_cb (gint64 now_us, gpointer user_data)
{
  IocApiV1 *self = user_data;
  self->ticks++;
  if (ioc_live_feed_n_clients (self->feed) == 0)
    {
      /* Nobody watching: forget what was sent, the next screen starts
       * from a snapshot anyway. */
      g_hash_table_remove_all (self->last_rows);
      return;
    }
  /* Every tick (1 s): changes reach the wall within 2 s of arrival. */
  g_autofree gchar *delta = build_feed_event (self, FALSE, now_us);
  ioc_live_feed_broadcast (self->feed, "delta", delta);
  if (self->ticks % FEED_HEARTBEAT_TICKS == 0)
    ioc_live_feed_heartbeat (self->feed);
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
  self->last_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->stat_requests = ioc_stat ("iochub_api_requests_total", NULL, IOC_STAT_COUNTER, "Requests to /api/v1/");
  self->stat_series_full = ioc_stat ("iochub_api_series_full_total", NULL, IOC_STAT_COUNTER,
                                     "Minute points not kept for charts because the series table is full");

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
  g_clear_pointer (&self->feed, ioc_live_feed_free);
  g_clear_pointer (&self->files, ioc_static_files_free);
  g_clear_pointer (&self->rings, g_hash_table_unref);
  g_clear_pointer (&self->last_rows, g_hash_table_unref);
  g_free (self);
}
