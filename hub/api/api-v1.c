/* api-v1.c — the handlers of /api/v1/ (docs/API.md), and the wiring of
 * the API into the hub.
 *
 * Where in the flow: a sink beside the others.  The handlers read the
 * stages through the hub's read functions (hub.h) at request time; the
 * documents the wall reads both by GET and by the live feed are
 * api-docs', the feed's events feed-events', the chart history the minute
 * ring's (filled here by the sink's point).  This file owns those three,
 * the route table and the sink that drives them.  Thread: main context
 * only (libsoup handlers, the hub's calls into the sink). */
#include "api/api-v1.h"

#include "api/api-docs.h"
#include "api/api-reply.h"
#include "api/auth.h"
#include "api/feed-events.h"
#include "api/minute-ring.h"
#include "api/static-files.h"
#include "protocol/ioc-json.h"
#include "protocol/ioc-stats.h"

G_STATIC_ASSERT (IOC_HUB_SERIES_MINUTES_MIN >= IOC_MINUTE_RING_MIN_MINUTES
                 && IOC_HUB_SERIES_MINUTES_MAX <= IOC_MINUTE_RING_MAX_MINUTES);

struct _IocApiV1
{
  IocHub *hub;
  IocFeedEvents *events;
  IocStaticFiles *files;
  IocApiDocs docs;
  IocMinuteRing *ring;   /* the charts' minutes (GET /api/v1/series) */
  gint32 expired_minute; /* the ring's last expiry */

  GBytes *commune_map;   /* [http] commune_map, read at start and reload; NULL: none */

  IocStat *stat_requests;
  IocStat *stat_series_full;
  IocStat *stat_series_bytes;
};

/* ---- small helpers ---- */

/* Every request counts; nothing under /api/v1/ changes state (the alert
 * routes that do are alert-api's). */
static gboolean
authorize_read (IocApiV1 *self, SoupServerMessage *msg, GHashTable *query)
{
  ioc_stat_add (self->stat_requests, 1);
  return ioc_api_authorize_read (msg, query, ioc_hub_config (self->hub), NULL, NULL);
}

/* "all" or a unit valid now; NULL otherwise.  Returns the interned code. */
static const gchar *
resolve_unit (IocHub *hub, const gchar *code, gint64 now_us, const IocUnit **unit_out)
{
  *unit_out = NULL;
  if (g_strcmp0 (code, "all") == 0)
    return "all";
  const IocUnit *u = ioc_hub_unit_lookup (hub, code, now_us);
  if (u == NULL)
    return NULL;
  *unit_out = u;
  return u->code;
}

/* ---- handlers ---- */

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
summary_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  gint64 now = ioc_hub_now (self->hub);
  const IocUnit *u = NULL;
  const gchar *unit = resolve_unit (self->hub, ioc_api_query_string (query, "unit", "all"), now, &u);
  if (unit == NULL)
    {
      ioc_api_reply_error (msg, 404, "unknown unit (expected \"all\" or a unit code valid today)");
      return;
    }
  g_autoptr (JsonBuilder) b = json_builder_new ();
  ioc_api_docs_summary (&self->docs, b, unit, u, NULL, now, FALSE);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  ioc_api_reply_json (msg, 200, root);
}

static void
units_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  gint64 now = ioc_hub_now (self->hub);
  gint64 min_volume;
  IocPeriod period;
  const gchar *sort = ioc_api_query_string (query, "sort", "ontime_rate");
  if (!ioc_api_query_int (query, "min_volume", IOC_API_DEFAULT_MIN_VOLUME, 0, G_MAXINT32, &min_volume))
    {
      ioc_api_reply_error (msg, 400, "min_volume: expected an integer >= 0");
      return;
    }
  if (!parse_period (ioc_api_query_string (query, "period", "today"), &period))
    {
      ioc_api_reply_error (msg, 400, "period: expected today, month or ytd");
      return;
    }
  if (g_strcmp0 (sort, "ontime_rate") != 0 && g_strcmp0 (sort, "satisfied_rate") != 0)
    {
      ioc_api_reply_error (msg, 400, "sort: expected ontime_rate or satisfied_rate");
      return;
    }
  g_autoptr (GArray) rows = ioc_api_docs_unit_rows (&self->docs, period, now, NULL);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_int (b, "now_ms", now / 1000);
  ioc_json_string (b, "period", ioc_api_query_string (query, "period", "today"));
  ioc_json_int (b, "min_volume", min_volume);
  ioc_json_string (b, "sort", sort);
  ioc_json_begin_array (b, "units");
  for (guint i = 0; i < rows->len; i++)
    {
      const IocUnitEntry *e = &g_array_index (rows, IocUnitEntry, i);
      ioc_api_docs_unit_row (b, e);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "ranking");
  ioc_api_docs_ranking (b, rows, min_volume, sort);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  ioc_api_reply_json (msg, 200, root);
}

/* GET /api/v1/series, as asked. */
typedef struct
{
  IocMeasurement m;
  guint field;
  gboolean gauge;     /* last value per bucket, else the sum */
  const gchar *unit;  /* interned, or "all" */
  gint64 step_s, minutes, channel;
} SeriesQuery;

/* FALSE with the reply sent (400, 404). */
static gboolean
series_query (IocHub *hub, GHashTable *query, gint64 now, SeriesQuery *q, SoupServerMessage *msg)
{
  const gchar *message = NULL;
  if (!ioc_api_query_field (query, &q->m, &q->field, &message))
    {
      ioc_api_reply_error (msg, 400, message);
      return FALSE;
    }
  q->gauge = ioc_measurement_int_is_gauge (q->m, q->field);
  const IocUnit *u = NULL;
  q->unit = resolve_unit (hub, ioc_api_query_string (query, "unit", "all"), now, &u);
  if (q->unit == NULL)
    {
      ioc_api_reply_error (msg, 404, "unknown unit (expected \"all\" or a unit code valid today)");
      return FALSE;
    }
  if (!ioc_api_query_int (query, "step", 60, 60, 86400, &q->step_s) || q->step_s % 60 != 0
      || !ioc_api_query_int (query, "minutes", 360, 1, IOC_HUB_SERIES_MINUTES_MAX, &q->minutes)
      || !ioc_api_query_int (query, "channel", -1, -1, IOC_HUB_MAX_CHANNEL, &q->channel))
    {
      ioc_api_reply_error (msg, 400, "step: a multiple of 60 s up to 86400; minutes: 1..1440; channel: 0..3");
      return FALSE;
    }
  return TRUE;
}

/* The points: buckets aligned to the step, ending with the last closed
 * minute; a bucket no minute of which is held is null (a gap in the chart,
 * not a 0). */
static void
write_points (JsonBuilder *b, IocMinuteRing *ring, const SeriesQuery *q, gint64 now)
{
  gint32 step_min = (gint32) (q->step_s / 60);
  gint32 last_minute = (gint32) (now / G_TIME_SPAN_MINUTE) - 1;
  gint32 end = last_minute - (last_minute % step_min) + step_min; /* exclusive */
  gint32 n_buckets = (gint32) ((q->minutes + step_min - 1) / step_min);
  gint32 start = end - n_buckets * step_min;
  json_builder_begin_array (b);
  for (gint32 t = start; t < end; t += step_min)
    {
      gboolean any = FALSE;
      gint64 acc = 0;
      for (gint32 mi = t; mi < t + step_min; mi++)
        {
          gint64 v;
          if (mi > last_minute + 1
              || !ioc_minute_ring_value (ring, q->m, q->unit, (gint) q->channel, q->field, mi, &v))
            continue;
          acc = q->gauge ? v : acc + v;
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
}

static void
series_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  gint64 now = ioc_hub_now (self->hub);
  SeriesQuery q;
  if (!series_query (self->hub, query, now, &q, msg))
    return;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_string (b, "measurement", ioc_measurement_name (q.m));
  ioc_json_string (b, "unit", q.unit);
  ioc_json_string (b, "field", ioc_measurement_int_name (q.m, q.field));
  ioc_json_int_or_null (b, "channel", q.channel >= 0, q.channel);
  ioc_json_int (b, "step_s", q.step_s);
  ioc_json_string (b, "aggregate", q.gauge ? "last" : "sum");
  ioc_json_int (b, "now_ms", now / 1000);
  json_builder_set_member_name (b, "points");
  write_points (b, self->ring, &q, now);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  ioc_api_reply_json (msg, 200, root);
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

/* One row of /api/v1/connectors, kept until the page is cut. */
typedef struct
{
  gchar *key; /* "kind/device": the order of the pages */
  const gchar *kind;
  gchar *device;
  const gchar *unit; /* interned, or NULL */
  const gchar *state;
  gboolean declared, undeclared, reporting, down;
  gint64 last_seen_us;
  gchar *config_version;
  const DeviceCounts *counts;
} ConnectorRow;

static void
connector_row_clear (gpointer data)
{
  ConnectorRow *r = data;
  g_free (r->key);
  g_free (r->device);
  g_free (r->config_version);
}

static gint
connector_row_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((const ConnectorRow *) a)->key, ((const ConnectorRow *) b)->key);
}

typedef struct
{
  GArray *rows; /* ConnectorRow */
  GHashTable *counts;
  gboolean inventory;                           /* [hub] connectors is set */
  gint64 expected, reporting, down, undeclared; /* as the wall counts them */
} ConnectorWalk;

static void
add_connector (JsonBuilder *b, const ConnectorRow *r, gint64 now_us)
{
  const DeviceCounts *c = r->counts;
  json_builder_begin_object (b);
  ioc_json_string (b, "kind", r->kind);
  ioc_json_string (b, "device", r->device);
  ioc_json_string (b, "unit", r->unit);
  ioc_json_string (b, "state", r->state);
  ioc_json_bool (b, "declared", r->declared);
  /* Heard, but not in the declared inventory ([hub] connectors). */
  ioc_json_bool (b, "undeclared", r->undeclared);
  ioc_json_bool (b, "reporting", r->reporting);
  ioc_json_bool (b, "down", r->down);
  ioc_json_int_or_null (b, "last_seen_ms", r->last_seen_us > 0, r->last_seen_us / 1000);
  ioc_json_double_or_null (b, "age_s", r->last_seen_us > 0, (now_us - r->last_seen_us) / 1e6);
  ioc_json_int (b, "last_seq", c ? c->last_seq : 0);
  ioc_json_int (b, "missing", c ? c->missing : 0);
  ioc_json_int (b, "duplicates", c ? c->duplicates : 0);
  ioc_json_int (b, "deadletters", c ? c->dead : 0);
  ioc_json_int (b, "seq_resets", c ? c->seq_resets : 0);
  ioc_json_int (b, "remapped", c ? c->remapped : 0);
  ioc_json_string (b, "last_reject_reason", c ? c->last_reason : NULL);
  /* The config it says it runs (its status), to check a push took. */
  ioc_json_string (b, "config_version", r->config_version);
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
  if (info->is_declared || !w->inventory)
    {
      w->expected++;
      w->reporting += info->is_reporting;
    }
  w->down += info->is_down;
  w->undeclared += info->is_undeclared;
  ConnectorRow r = { g_steal_pointer (&key), kind, g_strdup (info->device), info->unit,
                     states[MIN ((guint) info->state, 2u)], info->is_declared, info->is_undeclared,
                     info->is_reporting, info->is_down, info->last_seen_us, g_strdup (info->config_version), c };
  g_array_append_val (w->rows, r);
}

/* Pages: rows in "kind/device" order, `limit` of them (default
 * CONNECTORS_PAGE, at most CONNECTORS_PAGE_MAX) after the key `after`;
 * `next` names the last row when more follow.  Keys stay stable while
 * devices come and go, so following `next` lists every device present
 * throughout exactly once.  The totals are always the whole province's. */
#define CONNECTORS_PAGE     500
#define CONNECTORS_PAGE_MAX 5000

static void
connectors_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  gint64 limit = 0;
  if (!ioc_api_query_int (query, "limit", CONNECTORS_PAGE, 1, CONNECTORS_PAGE_MAX, &limit))
    {
      ioc_api_reply_error (msg, 400, "limit: expected a number of connectors from 1 to 5000");
      return;
    }
  const gchar *after = ioc_api_query_string (query, "after", NULL);
  gint64 now = ioc_hub_now (self->hub);
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  ioc_hub_foreach_dedup_device (self->hub, dedup_cb, counts);
  ioc_hub_foreach_deadletter_device (self->hub, dead_cb, counts);

  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (ConnectorRow));
  g_array_set_clear_func (rows, connector_row_clear);
  ConnectorWalk w = { rows, counts, ioc_hub_config (self->hub)->connectors_dir != NULL, 0, 0, 0, 0 };
  ioc_hub_foreach_connector (self->hub, now, connector_cb, &w);
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
      /* Not declared (a declared one is listed above), so undeclared
       * once there is an inventory. */
      ConnectorRow r = { g_strdup (k), ioc_intern (kd[0]), g_strdup (kd[1]), NULL, "unknown", FALSE, w.inventory,
                         FALSE, FALSE, 0, NULL, c };
      g_array_append_val (rows, r);
      w.undeclared += w.inventory;
    }
  g_array_sort (rows, connector_row_cmp);

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_int (b, "now_ms", now / 1000);
  ioc_json_begin_array (b, "connectors");
  guint i = 0;
  while (after != NULL && i < rows->len && strcmp (g_array_index (rows, ConnectorRow, i).key, after) <= 0)
    i++;
  const gchar *next = NULL;
  for (gint64 n = 0; i < rows->len && n < limit; i++, n++)
    add_connector (b, &g_array_index (rows, ConnectorRow, i), now);
  if (i < rows->len && i > 0)
    next = g_array_index (rows, ConnectorRow, i - 1).key;
  json_builder_end_array (b);
  ioc_json_string (b, "next", next);
  ioc_json_begin_object (b, "totals");
  ioc_json_int (b, "connectors", rows->len);
  ioc_json_int (b, "missing", ioc_hub_dedup_missing_total (self->hub));
  ioc_json_int (b, "duplicates", ioc_hub_dedup_duplicates_total (self->hub));
  ioc_json_int (b, "deadletters", ioc_hub_deadletter_total (self->hub));
  ioc_json_int (b, "seq_resets", ioc_hub_dedup_resets_total (self->hub));
  ioc_json_int (b, "remapped", ioc_hub_dedup_remapped_total (self->hub));
  /* What the wall shows as "connectors reporting / expected". */
  ioc_json_int (b, "expected", w.expected);
  ioc_json_int (b, "reporting", w.reporting);
  ioc_json_int (b, "down", w.down);
  ioc_json_int (b, "undeclared", w.undeclared);
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  ioc_api_reply_json (msg, 200, root);
}

static void
alerts_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  gint64 now = ioc_hub_now (self->hub);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_int (b, "now_ms", now / 1000);
  json_builder_set_member_name (b, "alerts");
  ioc_api_docs_alerts (&self->docs, b, now);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  ioc_api_reply_json (msg, 200, root);
}

/* The GeoJSON of the province's communes, as configured ([http]
 * commune_map, checked when the config loads); 404 without one, so the wall
 * keeps its tile grid. */
static void
commune_map_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  if (self->commune_map == NULL)
    {
      ioc_api_reply_error (msg, 404, "no commune map configured ([http] commune_map)");
      return;
    }
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  soup_message_headers_set_content_type (h, "application/geo+json", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), self->commune_map);
  soup_server_message_set_status (msg, 200, NULL);
}

static void
not_found_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  ioc_api_reply_error (msg, 404, "no such resource (docs/API.md lists them)");
}

/* The live feed: a screen's event stream (feed-events.h). */
static void
feed_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiV1 *self = user_data;
  if (!authorize_read (self, msg, query))
    return;
  if (!ioc_feed_events_admit (self->events, (guint) ioc_hub_config (self->hub)->http_max_feed_clients))
    {
      /* The page's EventSource retries on its own. */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "10");
      ioc_api_reply_error (msg, 503, "too many screens on the live feed ([http] max_feed_clients)");
      return;
    }
  ioc_feed_events_add_client (self->events, msg, ioc_api_request_token (msg, query));
}

static gboolean
token_still_allowed (const gchar *token, gpointer user_data)
{
  IocApiV1 *self = user_data;
  return ioc_api_token_allows (ioc_hub_config (self->hub), token, IOC_ACCESS_READ);
}

/* ---- the API as a sink of the hub ---- */

/* Every minute point, for the charts and today's totals. */
static void
sink_point (gpointer data, const IocPoint *point)
{
  IocApiV1 *self = data;
  if (!ioc_minute_ring_add (self->ring, point))
    ioc_stat_add (self->stat_series_full, 1);
  ioc_stat_set (self->stat_series_bytes, (gint64) ioc_minute_ring_bytes (self->ring));
}

static void
sink_batch (gpointer data, guint n_accepted)
{
  IocApiV1 *self = data;
  ioc_feed_events_changed (self->events);
}

static void
sink_tick (gpointer data, gint64 now_us)
{
  IocApiV1 *self = data;
  ioc_feed_events_tick (self->events);
  gint32 minute = (gint32) (now_us / G_TIME_SPAN_MINUTE);
  if (minute != self->expired_minute)
    {
      ioc_minute_ring_expire (self->ring, minute);
      ioc_stat_set (self->stat_series_bytes, (gint64) ioc_minute_ring_bytes (self->ring));
      self->expired_minute = minute;
    }
}

/* [http] commune_map, read whole (at start and at each reload), so that a
 * request never reads a file being replaced.  A map that no longer reads
 * keeps the one served so far. */
static void
load_commune_map (IocApiV1 *self)
{
  const IocHubConfig *config = ioc_hub_config (self->hub);
  if (config->commune_map == NULL)
    {
      g_clear_pointer (&self->commune_map, g_bytes_unref);
      return;
    }
  g_autoptr (GError) error = NULL;
  GBytes *map = ioc_hub_config_read_commune_map (config, &error);
  if (map == NULL)
    {
      g_warning ("%s (%s)", error->message,
                 self->commune_map != NULL ? "the wall keeps the map it had" : "the wall shows its tile grid");
      return;
    }
  g_clear_pointer (&self->commune_map, g_bytes_unref);
  self->commune_map = map;
}

/* A reload may have revoked a token: a screen that opened its stream with
 * it stops getting data now, not at its next reconnection.  The communes'
 * map may have changed, or been added or removed. */
static void
sink_reload (gpointer data)
{
  IocApiV1 *self = data;
  ioc_feed_events_revoke (self->events, token_still_allowed, self);
  load_commune_map (self);
}

/* No free: the API frees itself, after the hub. */
static const IocSinkVTable api_sink = {
  .name = "api",
  .point = sink_point,
  .batch = sink_batch,
  .tick = sink_tick,
  .reload = sink_reload,
};

/* ---- life cycle ---- */

IocApiV1 *
ioc_api_v1_attach (IocHub *hub)
{
  const IocHubConfig *config = ioc_hub_config (hub);
  IocApiV1 *self = g_new0 (IocApiV1, 1);
  self->hub = hub;
  self->docs.hub = hub;
  self->ring = ioc_minute_ring_new ((guint) config->http_series_minutes, IOC_API_SERIES_MAX_BYTES);
  self->events = ioc_feed_events_new (&self->docs);
  self->stat_requests = ioc_stat ("iochub_api_requests_total", NULL, IOC_STAT_COUNTER, "Requests to /api/v1/");
  self->stat_series_full = ioc_stat ("iochub_api_series_full_total", NULL, IOC_STAT_COUNTER,
                                     "Minute points not kept for charts: their memory is at its bound");
  self->stat_series_bytes = ioc_stat ("iochub_api_series_bytes", NULL, IOC_STAT_GAUGE,
                                      "Memory the charts' minute series take ([http] series_minutes)");

  ioc_api_gate_bodies (hub);
  ioc_hub_add_route (hub, "/api/v1/summary", summary_cb, self);
  ioc_hub_add_route (hub, "/api/v1/units", units_cb, self);
  ioc_hub_add_route (hub, "/api/v1/series", series_cb, self);
  ioc_hub_add_route (hub, "/api/v1/connectors", connectors_cb, self);
  ioc_hub_add_route (hub, "/api/v1/alerts", alerts_cb, self);
  ioc_hub_add_route (hub, "/api/v1/feed", feed_cb, self);
  ioc_hub_add_route (hub, "/api/v1/commune-map", commune_map_cb, self);
  ioc_hub_add_route (hub, "/api/v1/", not_found_cb, self);

  if (config->dashboard_dir != NULL)
    {
      g_autoptr (GError) error = NULL;
      self->files = ioc_static_files_new (config->dashboard_dir, &error);
      if (self->files != NULL)
        ioc_static_files_register (self->files, hub);
      else
        g_warning ("%s: %s (the API is served, the wall page is not)", config->path, error->message);
    }

  load_commune_map (self);

  ioc_hub_add_sink (hub, &api_sink, self);
  return self;
}

void
ioc_api_v1_set_alerts_source (IocApiV1 *self, IocApiAlertsFunc fn, gpointer user_data)
{
  self->docs.alerts_fn = fn;
  self->docs.alerts_data = user_data;
}

void
ioc_api_v1_free (IocApiV1 *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->events, ioc_feed_events_free);
  g_clear_pointer (&self->files, ioc_static_files_free);
  g_clear_pointer (&self->ring, ioc_minute_ring_free);
  g_clear_pointer (&self->commune_map, g_bytes_unref);
  g_free (self);
}
