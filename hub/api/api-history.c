/* api-history.c — GET /api/v1/history (see api-history.h, docs/API.md).
 *
 * Where in the flow: a reader of InfluxDB beside the API, not in the
 * ingest path.  Threads: the handler, the cache and the replies run on the
 * main context; each query runs on a GTask worker thread with its own
 * IocInfluxQuery (one per thread, as influx-query.h asks) and copies of
 * everything it reads, so a query still running at shutdown touches nothing
 * the main thread frees. */
#include "api/api-history.h"

#include <math.h>
#include <string.h>

#include "api/api-reply.h"
#include "protocol/ioc-json.h"
#include "protocol/ioc-stats.h"
#include "protocol/ioc-time.h"
#include "sinks/influx-query.h"

#define LOCAL_OFFSET_S (IOC_TIME_LOCAL_OFFSET_US / G_USEC_PER_SEC)
#define DAY_S 86400
#define ERROR_CACHE_US (10 * G_USEC_PER_SEC) /* InfluxDB down: one try per 10 s, not one per screen */
#define QUERY_TIMEOUT_US (10 * G_USEC_PER_SEC)

typedef struct
{
  gchar *body;
  guint status;
  gint64 made_us;
  gint64 ttl_us;
} CacheEntry;

/* A request paused until its query returns.  "finished" may come first
 * (the screen went away); then there is nobody to answer. */
typedef struct
{
  SoupServerMessage *msg;
  gulong finished_id;
  gboolean finished;
} Waiter;

struct _IocApiHistory
{
  gint refs;         /* main context: the owner and each query in flight */
  IocHub *hub;       /* NULL once the owner freed us */
  gchar *url, *database, *username, *password;
  GHashTable *cache;   /* InfluxQL → CacheEntry* */
  GHashTable *pending; /* InfluxQL → GPtrArray of Waiter* */
  IocStat *stat_queries;
  IocStat *stat_hits;
  IocStat *stat_failures;
};

/* ---- the pure parts ---- */

static gint64
bucket_start (gint64 t_s, gint64 step_s)
{
  /* Buckets begin at local boundaries: a day at local midnight. */
  gint64 local = t_s + LOCAL_OFFSET_S;
  gint64 r = local % step_s;
  if (r < 0)
    r += step_s;
  return t_s - r;
}

void
ioc_history_request_clear (IocHistoryRequest *req)
{
  g_clear_pointer (&req->unit, g_free);
}



gboolean
ioc_history_request_parse (GHashTable *query, gint64 now_us, IocHistoryRequest *req, gchar **message)
{
  memset (req, 0, sizeof *req);
  IocMeasurement m;
  const gchar *bad = NULL;
  if (!ioc_api_query_field (query, &m, &req->field, &bad))
    {
      *message = g_strdup (bad);
      return FALSE;
    }
  req->measurement = (gint) m;
  req->gauge = ioc_measurement_int_is_gauge (m, req->field);
  const gchar *profile = ioc_api_query_string (query, "profile", NULL);
  if (profile != NULL && g_strcmp0 (profile, "weekday") != 0)
    {
      *message = g_strdup ("profile: only \"weekday\" (the usual curve of today's weekday)");
      return FALSE;
    }
  req->profile = profile != NULL;
  gint64 channel, days;
  if (!ioc_api_query_int (query, "step", req->profile ? 3600 : DAY_S, 60, DAY_S, &req->step_s) || req->step_s % 60 != 0
      || DAY_S % req->step_s != 0)
    {
      *message = g_strdup ("step: seconds, a multiple of 60 that divides a day (60, 300, 900, 3600, 86400, …)");
      return FALSE;
    }
  if (!ioc_api_query_int (query, "channel", -1, -1, IOC_HUB_MAX_CHANNEL, &channel)
      || !ioc_api_query_int (query, "days", 30, 1, 400, &days)
      || !ioc_api_query_int (query, "weeks", 8, 1, 12, &req->weeks))
    {
      *message = g_strdup ("channel: 0..3; days: 1..400; weeks: 1..12");
      return FALSE;
    }
  req->channel = (gint) channel;
  gint64 now_s = now_us / G_USEC_PER_SEC;
  if (req->profile)
    {
      req->n_buckets = DAY_S / req->step_s;
      req->from_s = bucket_start (now_s, DAY_S) - req->weeks * 7 * DAY_S;
    }
  else
    {
      req->n_buckets = days * DAY_S / req->step_s;
      if (req->n_buckets > IOC_HISTORY_MAX_POINTS)
        {
          *message = g_strdup_printf ("days × 86400 / step must be at most %d points: use a larger step",
                                      IOC_HISTORY_MAX_POINTS);
          return FALSE;
        }
      gint64 to = bucket_start (now_s, req->step_s) + req->step_s;
      req->from_s = to - req->n_buckets * req->step_s;
    }
  req->unit = g_strdup (ioc_api_query_string (query, "unit", "all"));
  return TRUE;
}

/* Seconds the query covers: a profile reads the weeks before today. */
static gint64
query_to_s (const IocHistoryRequest *req)
{
  return req->profile ? req->from_s + req->weeks * 7 * DAY_S : req->from_s + req->n_buckets * req->step_s;
}

gchar *
ioc_history_influxql (const IocHistoryRequest *req)
{
  IocMeasurement m = (IocMeasurement) req->measurement;
  g_autofree gchar *unit = ioc_influx_query_quote (req->unit);
  g_autoptr (GString) q = g_string_new (NULL);
  /* Per series (hub, channel) first, summed across them here: a gauge's
   * last value per hub and channel adds up to the province's, where one
   * last() over all series would pick a single hub's. */
  g_string_append_printf (q, "SELECT %s(\"%s\") FROM \"%s\" WHERE \"unit\" = %s", req->gauge ? "last" : "sum",
                          ioc_measurement_int_name (m, req->field), ioc_measurement_name (m), unit);
  if (req->channel == 0)
    g_string_append (q, " AND \"channel\" = ''"); /* channel 0 is written without the tag */
  else if (req->channel > 0)
    g_string_append_printf (q, " AND \"channel\" = '%d'", req->channel);
  gint64 offset = (req->step_s - LOCAL_OFFSET_S % req->step_s) % req->step_s;
  g_string_append_printf (q,
                          " AND time >= %" G_GINT64_FORMAT "s AND time < %" G_GINT64_FORMAT "s"
                          " GROUP BY time(%" G_GINT64_FORMAT "s, %" G_GINT64_FORMAT "s), \"hub\", \"channel\" fill(none)",
                          req->from_s, query_to_s (req), req->step_s, offset);
  return g_string_free (g_steal_pointer (&q), FALSE);
}

typedef struct
{
  const IocHistoryRequest *req;
  gint64 n_slots;   /* buckets, or weeks × buckets for a profile */
  gdouble *sum;
  gboolean *have;
  gboolean *week_seen;
} Fold;

static gboolean
number_of (JsonNode *node, gdouble *out)
{
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return FALSE;
  GType t = json_node_get_value_type (node);
  if (t == G_TYPE_INT64)
    *out = (gdouble) json_node_get_int (node);
  else if (t == G_TYPE_DOUBLE)
    *out = json_node_get_double (node);
  else
    return FALSE;
  return TRUE;
}

static void
fold_row (const gchar *measurement, GHashTable *tags, JsonArray *columns, JsonArray *row, gpointer user_data)
{
  Fold *f = user_data;
  const IocHistoryRequest *req = f->req;
  gdouble t, v;
  if (json_array_get_length (row) < 2 || !number_of (json_array_get_element (row, 0), &t)
      || !number_of (json_array_get_element (row, 1), &v))
    return;
  gint64 since = (gint64) t - req->from_s;
  if (since < 0)
    return;
  gint64 idx;
  if (req->profile)
    {
      gint64 day = since / DAY_S;
      if (day % 7 != 0 || day / 7 >= req->weeks)
        return; /* another weekday */
      idx = (day / 7) * req->n_buckets + (since % DAY_S) / req->step_s;
      f->week_seen[day / 7] = TRUE;
    }
  else
    idx = since / req->step_s;
  if (idx >= f->n_slots)
    return;
  f->sum[idx] += v;
  f->have[idx] = TRUE;
}

static void
add_number (JsonBuilder *b, gdouble v)
{
  if (v == floor (v) && fabs (v) < 9e15)
    json_builder_add_int_value (b, (gint64) v);
  else
    json_builder_add_double_value (b, v);
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return (x > y) - (x < y);
}

/* The members before "points": what was asked, and whence the answer. */
static void
write_answer_head (JsonBuilder *b, const IocHistoryRequest *req, const Fold *f, gint64 now_us)
{
  IocMeasurement m = (IocMeasurement) req->measurement;
  ioc_json_string (b, "measurement", ioc_measurement_name (m));
  ioc_json_string (b, "unit", req->unit);
  ioc_json_string (b, "field", ioc_measurement_int_name (m, req->field));
  ioc_json_int_or_null (b, "channel", req->channel >= 0, req->channel);
  ioc_json_int (b, "step_s", req->step_s);
  ioc_json_string (b, "aggregate", req->gauge ? "last" : "sum");
  ioc_json_string (b, "source", "influxdb");
  ioc_json_int (b, "from_ms", req->from_s * 1000);
  ioc_json_int (b, "to_ms", query_to_s (req) * 1000);
  ioc_json_int (b, "generated_ms", now_us / 1000);
  if (req->profile)
    {
      gint64 seen = 0;
      for (gint64 w = 0; w < req->weeks; w++)
        seen += f->week_seen[w] ? 1 : 0;
      ioc_json_string (b, "profile", "weekday");
      ioc_json_int (b, "weeks", req->weeks);
      ioc_json_int (b, "weeks_with_data", seen);
    }
}

/* Bucket i of a profile: the median over the weeks that have data that
 * weekday.  A counter's empty bucket in such a week was a quiet hour (0); a
 * gauge's is unknown and left out.  vals: room for the weeks. */
static void
write_profile_value (JsonBuilder *b, const IocHistoryRequest *req, const Fold *f, gint64 i, gdouble *vals)
{
  guint n = 0;
  for (gint64 w = 0; w < req->weeks; w++)
    {
      gint64 idx = w * req->n_buckets + i;
      if (f->have[idx])
        vals[n++] = f->sum[idx];
      else if (f->week_seen[w] && !req->gauge)
        vals[n++] = 0;
    }
  if (n == 0)
    json_builder_add_null_value (b);
  else
    {
      qsort (vals, n, sizeof (gdouble), cmp_double);
      add_number (b, n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2);
    }
}

gchar *
ioc_history_answer (const IocHistoryRequest *req, JsonNode *results, gint64 now_us, GError **error)
{
  gint64 weeks = req->profile ? req->weeks : 1;
  Fold f = { req, weeks * req->n_buckets, NULL, NULL, NULL };
  g_autofree gdouble *sum = g_new0 (gdouble, f.n_slots);
  g_autofree gboolean *have = g_new0 (gboolean, f.n_slots);
  g_autofree gboolean *week_seen = g_new0 (gboolean, weeks);
  f.sum = sum;
  f.have = have;
  f.week_seen = week_seen;
  if (!ioc_influx_query_foreach_row (results, fold_row, &f, error))
    return NULL;

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  write_answer_head (b, req, &f, now_us);
  gint64 today = bucket_start (now_us / G_USEC_PER_SEC, DAY_S);
  ioc_json_begin_array (b, "points");
  g_autofree gdouble *vals = g_new0 (gdouble, weeks);
  for (gint64 i = 0; i < req->n_buckets; i++)
    {
      json_builder_begin_array (b);
      if (req->profile)
        {
          json_builder_add_int_value (b, (today + i * req->step_s) * 1000);
          write_profile_value (b, req, &f, i, vals);
        }
      else
        {
          json_builder_add_int_value (b, (req->from_s + i * req->step_s) * 1000);
          if (have[i])
            add_number (b, sum[i]);
          else
            json_builder_add_null_value (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return ioc_api_json_text (root);
}

/* ---- the worker ---- */

typedef struct
{
  gchar *url, *database, *username, *password;
  gchar *influxql;
  IocHistoryRequest req;
  gint64 now_us;
} Job;

static void
job_free (gpointer data)
{
  Job *j = data;
  g_free (j->url);
  g_free (j->database);
  g_free (j->username);
  g_free (j->password);
  g_free (j->influxql);
  ioc_history_request_clear (&j->req);
  g_free (j);
}

static void
job_run (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *j = task_data;
  g_autoptr (IocInfluxQuery) q = ioc_influx_query_new (j->url, j->database, j->username, j->password);
  ioc_influx_query_set_timeout (q, QUERY_TIMEOUT_US);
  GError *error = NULL;
  g_autoptr (JsonNode) results = ioc_influx_query_run (q, j->influxql, &error);
  gchar *answer = results != NULL ? ioc_history_answer (&j->req, results, j->now_us, &error) : NULL;
  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, g_free);
}

/* ---- the main-context side: cache, waiters, replies ---- */

static void
cache_entry_free (gpointer data)
{
  CacheEntry *e = data;
  g_free (e->body);
  g_free (e);
}

static void
waiter_free (gpointer data)
{
  Waiter *w = data;
  if (!w->finished)
    g_signal_handler_disconnect (w->msg, w->finished_id);
  g_object_unref (w->msg);
  g_free (w);
}

static void
waiter_finished_cb (SoupServerMessage *msg, gpointer user_data)
{
  Waiter *w = user_data;
  w->finished = TRUE;
  g_signal_handler_disconnect (msg, w->finished_id);
}


static gchar *
error_body (const gchar *message, gboolean configured)
{
  g_autoptr (JsonNode) root = ioc_api_error_node (message);
  json_object_set_boolean_member (json_node_get_object (root), "history", configured);
  return ioc_api_json_text (root);
}

/* History's errors say whether InfluxDB is configured at all ("history"),
 * so the page can tell "no history here" from "InfluxDB is down". */
static void
reply_error (SoupServerMessage *msg, guint status, const gchar *message, gpointer user_data)
{
  IocApiHistory *self = user_data;
  g_autofree gchar *body = error_body (message, self->url != NULL);
  ioc_api_reply_json_text (msg, status, body);
}

static void
history_unref (IocApiHistory *self)
{
  if (--self->refs > 0)
    return;
  g_free (self->url);
  g_free (self->database);
  g_free (self->username);
  g_free (self->password);
  g_hash_table_unref (self->cache);
  g_hash_table_unref (self->pending);
  g_free (self);
}

/* Keeps the cache bounded: expired entries go first, then the oldest. */
static void
cache_put (IocApiHistory *self, const gchar *key, gchar *body, guint status, gint64 ttl_us)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->cache);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (now - ((CacheEntry *) v)->made_us > ((CacheEntry *) v)->ttl_us)
      g_hash_table_iter_remove (&it);
  while (g_hash_table_size (self->cache) >= IOC_HISTORY_CACHE_MAX)
    {
      gpointer oldest = NULL;
      gint64 oldest_at = G_MAXINT64;
      g_hash_table_iter_init (&it, self->cache);
      while (g_hash_table_iter_next (&it, &k, &v))
        if (((CacheEntry *) v)->made_us < oldest_at)
          {
            oldest_at = ((CacheEntry *) v)->made_us;
            oldest = k;
          }
      g_hash_table_remove (self->cache, oldest);
    }
  CacheEntry *e = g_new0 (CacheEntry, 1);
  e->body = body;
  e->status = status;
  e->made_us = now;
  e->ttl_us = ttl_us;
  g_hash_table_replace (self->cache, g_strdup (key), e);
}

static void
job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  IocApiHistory *self = user_data;
  GTask *task = G_TASK (result);
  Job *j = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = g_task_propagate_pointer (task, &error);
  guint status = 200;
  if (answer == NULL)
    {
      ioc_stat_add (self->stat_failures, 1);
      g_warning ("history: InfluxDB query failed: %s", error->message);
      g_autofree gchar *message = g_strdup_printf ("InfluxDB: %s", error->message);
      answer = error_body (message, TRUE);
      status = 502;
    }
  g_autoptr (GPtrArray) waiters = NULL;
  g_hash_table_steal_extended (self->pending, j->influxql, NULL, (gpointer *) &waiters);
  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      Waiter *w = g_ptr_array_index (waiters, i);
      if (w->finished)
        continue;
      ioc_api_reply_json_text (w->msg, status, answer);
      soup_server_message_unpause (w->msg);
    }
  if (self->hub != NULL)
    cache_put (self, j->influxql, g_steal_pointer (&answer), status,
               status == 200 ? IOC_HISTORY_CACHE_US : ERROR_CACHE_US);
  g_object_unref (task);
  history_unref (self);
}

static void
history_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocApiHistory *self = user_data;
  if (!ioc_api_authorize_read (msg, query, ioc_hub_config (self->hub), reply_error, self))
    return;
  gint64 now = ioc_hub_now (self->hub);
  IocHistoryRequest req;
  g_autofree gchar *message = NULL;
  if (!ioc_history_request_parse (query, now, &req, &message))
    {
      reply_error (msg, 400, message, self);
      return;
    }
  if (g_strcmp0 (req.unit, "all") != 0 && ioc_hub_unit_lookup (self->hub, req.unit, now) == NULL)
    {
      ioc_history_request_clear (&req);
      reply_error (msg, 404, "unknown unit (expected \"all\" or a unit code valid today)", self);
      return;
    }
  if (self->url == NULL)
    {
      ioc_history_request_clear (&req);
      reply_error (msg, 503, "no history: InfluxDB is not configured ([influx] url)", self);
      return;
    }

  /* The statement names the absolute bucket bounds, so it is the cache key:
   * it changes when a new bucket starts, not with every request. */
  g_autofree gchar *influxql = ioc_history_influxql (&req);
  CacheEntry *hit = g_hash_table_lookup (self->cache, influxql);
  if (hit != NULL && g_get_monotonic_time () - hit->made_us <= hit->ttl_us)
    {
      ioc_stat_add (self->stat_hits, 1);
      ioc_history_request_clear (&req);
      ioc_api_reply_json_text (msg, hit->status, hit->body);
      return;
    }

  Waiter *w = g_new0 (Waiter, 1);
  w->msg = g_object_ref (msg);
  w->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (waiter_finished_cb), w);
  soup_server_message_pause (msg);
  GPtrArray *waiters = g_hash_table_lookup (self->pending, influxql);
  if (waiters != NULL)
    {
      /* Someone asked the same a moment ago: share that query. */
      ioc_stat_add (self->stat_hits, 1);
      g_ptr_array_add (waiters, w);
      ioc_history_request_clear (&req);
      return;
    }
  waiters = g_ptr_array_new_with_free_func (waiter_free);
  g_ptr_array_add (waiters, w);
  g_hash_table_insert (self->pending, g_strdup (influxql), waiters);

  ioc_stat_add (self->stat_queries, 1);
  Job *j = g_new0 (Job, 1);
  j->url = g_strdup (self->url);
  j->database = g_strdup (self->database);
  j->username = g_strdup (self->username);
  j->password = g_strdup (self->password);
  j->influxql = g_steal_pointer (&influxql);
  j->req = req; /* takes the unit */
  j->now_us = now;
  self->refs++;
  GTask *task = g_task_new (NULL, NULL, job_done, self);
  g_task_set_task_data (task, j, job_free);
  g_task_run_in_thread (task, job_run);
  /* job_done drops the reference g_task_new gave us. */
}

IocApiHistory *
ioc_api_history_attach (IocHub *hub)
{
  IocApiHistory *self = g_new0 (IocApiHistory, 1);
  self->refs = 1;
  self->hub = hub;
  const IocHubConfig *c = ioc_hub_config (hub);
  if (c->influx_url != NULL && c->influx_url[0] != '\0')
    {
      self->url = g_strdup (c->influx_url);
      self->database = g_strdup (c->influx_database);
      self->username = g_strdup (c->influx_username);
      self->password = g_strdup (c->influx_password);
    }
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cache_entry_free);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->stat_queries = ioc_stat ("iochub_history_queries_total", NULL, IOC_STAT_COUNTER,
                                 "History queries sent to InfluxDB for /api/v1/history");
  self->stat_hits = ioc_stat ("iochub_history_cache_hits_total", NULL, IOC_STAT_COUNTER,
                              "History requests answered from the cache or a query already in flight");
  self->stat_failures = ioc_stat ("iochub_history_failures_total", NULL, IOC_STAT_COUNTER,
                                  "History queries InfluxDB did not answer");
  ioc_hub_add_route (hub, "/api/v1/history", history_cb, self);
  return self;
}

void
ioc_api_history_free (IocApiHistory *self)
{
  if (self == NULL)
    return;
  self->hub = NULL;
  history_unref (self);
}
