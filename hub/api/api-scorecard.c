/* api-scorecard.c — see api-scorecard.h.  GET /api/v1/scorecard and the
 * ioc_score measurements.  Main context. */
#include "api/api-scorecard.h"

#include <math.h>
#include <string.h>

#include "api/api-reply.h"
#include "model/calendar.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-json.h"
#include "protocol/ioc-stats.h"
#include "protocol/ioc-time.h"
#include "sinks/line-protocol.h"

struct _IocApiScorecard
{
  IocHub *hub;
  gint64 last_check_us; /* 0: not yet */
  gint checked_month;   /* the month the written set belongs to; -1 none */
  GHashTable *written;  /* series key hash (gint64*) → hash of the line last written (gint64*) */
  IocStat *stat_lines;
  IocStat *stat_requests;
};

/* ---- the document ---- */

static gchar *
month_text (gint key)
{
  return g_strdup_printf ("%04d-%02d", key / 12, key % 12 + 1);
}

static gchar *
day_text (gint32 day)
{
  gint y, m, d;
  ioc_calendar_day_to_date (day, &y, &m, &d);
  return g_strdup_printf ("%04d-%02d-%02d", y, m, d);
}

static const gchar *
period_kind_name (IocScorePeriodKind k)
{
  return k == IOC_SCORE_QUARTER ? "quarter" : k == IOC_SCORE_YTD ? "ytd" : "month";
}

static void
add_double_or_null (JsonBuilder *b, const gchar *name, gboolean has, gdouble v)
{
  ioc_json_double_or_null (b, name, has && isfinite (v), v);
}

/* One unit's (or the province's) card. */
static void
add_card (JsonBuilder *b, IocHub *hub, const IocScoreResult *r, const IocScoreUnitCard *u, gint64 now_us)
{
  const IocScoreConfig *c = r->config;
  const IocScoreCard *card = u->card;
  json_builder_begin_object (b);
  ioc_json_string (b, "unit", u->unit);
  /* The province goes by its provincial centre's name (tinh-<code>). */
  const gchar *province = ioc_hub_config (hub)->province;
  g_autofree gchar *centre = g_strconcat ("tinh-", province, NULL);
  gboolean is_all = strcmp (u->unit, "all") == 0;
  const IocUnit *entry = ioc_hub_unit_lookup (hub, is_all ? centre : u->unit, now_us);
  if (is_all)
    ioc_json_string (b, "province", province);
  ioc_json_string (b, "name", entry != NULL ? entry->name : NULL);
  ioc_json_string (b, "kind", entry != NULL && !is_all ? entry->kind : NULL);
  add_double_or_null (b, "score", card->has_score, card->score);
  add_double_or_null (b, "points", TRUE, card->points);
  add_double_or_null (b, "max", TRUE, card->max);
  add_double_or_null (b, "coverage", c->total > 0, card->max / c->total);
  ioc_json_int (b, "volume", card->volume);
  ioc_json_int (b, "ratings", u->ratings);
  ioc_json_int (b, "satisfied", u->satisfied);
  ioc_json_begin_array (b, "groups");
  for (guint g = 0; g < c->n_groups; g++)
    {
      json_builder_begin_object (b);
      ioc_json_string (b, "id", c->groups[g].id);
      add_double_or_null (b, "points", TRUE, card->groups[g].points);
      add_double_or_null (b, "max", TRUE, card->groups[g].max);
      add_double_or_null (b, "full_max", TRUE, card->groups[g].full_max);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  ioc_json_begin_array (b, "indicators");
  for (guint i = 0; i < c->n_indicators; i++)
    {
      const IocScoreIndicatorDef *d = &c->indicators[i];
      const IocScoreItem *it = &card->items[i];
      gboolean observed = it->status != IOC_SCORE_NOT_OBSERVED;
      gboolean scored = it->status == IOC_SCORE_SCORED;
      json_builder_begin_object (b);
      ioc_json_string (b, "id", d->id);
      ioc_json_string (b, "status", ioc_score_status_name (it->status));
      ioc_json_int_or_null (b, "numerator", observed, it->num);
      ioc_json_int_or_null (b, "denominator", observed, it->den);
      add_double_or_null (b, "rate", scored, it->rate);
      add_double_or_null (b, "target", d->has_target, d->target);
      add_double_or_null (b, "points", scored, it->points);
      add_double_or_null (b, "max", TRUE, d->max);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
add_definitions (JsonBuilder *b, const IocScoreConfig *c)
{
  ioc_json_begin_object (b, "config");
  ioc_json_string (b, "version", c->version);
  ioc_json_string (b, "title", c->title);
  ioc_json_string (b, "source", c->source);
  ioc_json_string (b, "path", c->path);
  add_double_or_null (b, "total", TRUE, c->total);
  ioc_json_int (b, "min_volume", c->min_volume);
  json_builder_end_object (b);

  ioc_json_begin_array (b, "groups");
  for (guint g = 0; g < c->n_groups; g++)
    {
      json_builder_begin_object (b);
      ioc_json_string (b, "id", c->groups[g].id);
      ioc_json_string (b, "name", c->groups[g].name);
      ioc_json_string (b, "name_en", c->groups[g].name_en);
      add_double_or_null (b, "max", TRUE, c->groups[g].max);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  ioc_json_begin_array (b, "indicators");
  for (guint i = 0; i < c->n_indicators; i++)
    {
      const IocScoreIndicatorDef *d = &c->indicators[i];
      json_builder_begin_object (b);
      ioc_json_string (b, "id", d->id);
      ioc_json_string (b, "group", c->groups[d->group].id);
      ioc_json_string (b, "name", d->name);
      ioc_json_string (b, "name_en", d->name_en);
      add_double_or_null (b, "max", TRUE, d->max);
      add_double_or_null (b, "target", d->has_target, d->target);
      ioc_json_string (b, "input", ioc_score_input_name (d->input));
      ioc_json_string (b, "aggregate",
                  d->input == IOC_SCORE_INPUT_CONNECTOR ? (d->aggregate == IOC_SCORE_AGG_LATEST ? "latest" : "sum")
                                                        : NULL);
      ioc_json_string (b, "source", d->source);
      ioc_json_string (b, "formula", d->formula);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_period (JsonBuilder *b, const IocScoreResult *r)
{
  ioc_json_begin_object (b, "period");
  gint32 first, last;
  ioc_score_period_days (&r->period, &first, &last);
  g_autofree gchar *at = month_text (ioc_score_period_last_month (&r->period));
  g_autofree gchar *label = ioc_score_period_label (&r->period);
  g_autofree gchar *from = day_text (first);
  g_autofree gchar *to = day_text (last);
  IocScorePeriod prev = ioc_score_period_previous (&r->period);
  g_autofree gchar *prev_at = month_text (ioc_score_period_last_month (&prev));
  ioc_json_string (b, "kind", period_kind_name (r->period.kind));
  ioc_json_string (b, "at", at);
  ioc_json_string (b, "label", label);
  ioc_json_string (b, "from", from);
  ioc_json_string (b, "to", to);
  ioc_json_string (b, "stock", ioc_score_stock_name (r->stock));
  ioc_json_string (b, "previous_at", prev_at);
  json_builder_end_object (b);
}

static void
add_ranking (JsonBuilder *b, IocHub *hub, const IocScoreResult *r, gint64 now_us)
{
  ioc_json_begin_object (b, "ranking");
  for (guint k = 0; k < r->rankings->len; k++)
    {
      const IocScoreRanking *rk = &g_array_index (r->rankings, IocScoreRanking, k);
      ioc_json_begin_array (b, rk->prefix);
      for (guint i = 0; i < rk->rows->len; i++)
        {
          const IocRankRow *row = &g_array_index (rk->rows, IocRankRow, i);
          const IocUnit *entry = ioc_hub_unit_lookup (hub, row->unit, now_us);
          json_builder_begin_object (b);
          ioc_json_string (b, "unit", row->unit);
          ioc_json_string (b, "name", entry != NULL ? entry->name : NULL);
          ioc_json_int_or_null (b, "rank", row->rank > 0, row->rank);
          ioc_json_int_or_null (b, "prev_rank", row->prev_rank > 0, row->prev_rank);
          ioc_json_int_or_null (b, "change", row->has_change, row->change);
          add_double_or_null (b, "score", row->state != IOC_RANK_NO_SCORE, row->score);
          ioc_json_int (b, "volume", row->volume);
          ioc_json_string (b, "state", ioc_rank_state_name (row->state));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

static void
add_trend (JsonBuilder *b, const IocScoreResult *r)
{
  ioc_json_begin_array (b, "trend");
  for (guint i = 0; i < r->trend->len; i++)
    {
      const IocScoreTrendPoint *t = &g_array_index (r->trend, IocScoreTrendPoint, i);
      g_autofree gchar *m = month_text (t->month);
      json_builder_begin_object (b);
      ioc_json_string (b, "at", m);
      add_double_or_null (b, "score", t->has_score, t->score);
      add_double_or_null (b, "points", TRUE, t->points);
      add_double_or_null (b, "max", TRUE, t->max);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

JsonNode *
ioc_api_scorecard_json (IocHub *hub, const IocScoreResult *r, const gchar *unit, gint64 now_us)
{
  g_return_val_if_fail (hub != NULL && r != NULL, NULL);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_int (b, "now_ms", now_us / 1000);
  add_definitions (b, r->config);
  add_period (b, r);

  json_builder_set_member_name (b, "province");
  add_card (b, hub, r, &r->province, now_us);

  ioc_json_begin_array (b, "units");
  for (guint i = 0; i < r->units->len; i++)
    {
      const IocScoreUnitCard *u = &g_array_index (r->units, IocScoreUnitCard, i);
      if (unit == NULL || strcmp (unit, u->unit) == 0)
        add_card (b, hub, r, u, now_us);
    }
  json_builder_end_array (b);

  add_ranking (b, hub, r, now_us);
  add_trend (b, r);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* ---- GET /api/v1/scorecard ---- */

static void
scorecard_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer user_data)
{
  IocApiScorecard *self = user_data;
  if (!ioc_api_authorize_read (msg, query, ioc_hub_config (self->hub), NULL, NULL))
    return;
  ioc_stat_add (self->stat_requests, 1);
  gint64 now = ioc_hub_now (self->hub);
  gint y, m;
  ioc_time_local_date (now, &y, &m, NULL, NULL, NULL);
  g_autofree gchar *this_month = g_strdup_printf ("%04d-%02d", y, m);
  const gchar *kind = ioc_api_query_string (query, "period", "ytd");
  const gchar *at = ioc_api_query_string (query, "at", this_month);
  const gchar *unit = ioc_api_query_string (query, "unit", NULL);
  IocScorePeriod p;
  g_autoptr (GError) error = NULL;
  if (!ioc_score_period_parse (kind, at, &p, &error))
    {
      ioc_api_reply_error (msg, 400, error->message);
      return;
    }
  g_autoptr (IocScoreResult) r = ioc_hub_scorecard (self->hub, &p, &error);
  if (r == NULL)
    {
      ioc_api_reply_error (msg, g_error_matches (error, IOC_ERROR, IOC_ERROR_CONFIG) ? 404 : 400, error->message);
      return;
    }
  if (unit != NULL && strcmp (unit, "none") != 0 && ioc_score_result_unit (r, unit) == NULL)
    {
      g_autofree gchar *text = g_strdup_printf ("unit: '%s' has no scorecard (not a unit of this province now)", unit);
      ioc_api_reply_error (msg, 404, text);
      return;
    }
  g_autoptr (JsonNode) root = ioc_api_scorecard_json (self->hub, r, unit, now);
  ioc_api_reply_json (msg, 200, root);
}

/* ---- ioc_score ---- */

static void
append_tags (GString *out, const gchar *measurement, const gchar *hub_id, const gchar *indicator, const gchar *period,
             const gchar *province, const gchar *unit)
{
  ioc_lp_escape_measurement (out, measurement);
  g_string_append (out, ",hub=");
  ioc_lp_escape_tag (out, hub_id);
  if (indicator != NULL)
    {
      g_string_append (out, ",indicator=");
      ioc_lp_escape_tag (out, indicator);
    }
  g_string_append (out, ",period=");
  g_string_append (out, period);
  g_string_append (out, ",province=");
  ioc_lp_escape_tag (out, province);
  g_string_append (out, ",unit=");
  ioc_lp_escape_tag (out, unit);
  g_string_append_c (out, ' ');
}

static void
field_double (GString *out, gboolean *first, const gchar *key, gdouble v)
{
  if (!isfinite (v))
    return;
  if (!*first)
    g_string_append_c (out, ',');
  *first = FALSE;
  ioc_lp_escape_tag (out, key);
  g_string_append_c (out, '=');
  ioc_lp_append_double (out, v);
}

static void
field_int (GString *out, gboolean *first, const gchar *key, gint64 v)
{
  if (!*first)
    g_string_append_c (out, ',');
  *first = FALSE;
  ioc_lp_escape_tag (out, key);
  g_string_append_printf (out, "=%" G_GINT64_FORMAT "i", v);
}

static void
unit_lines (GString *out, const IocScoreResult *r, const IocScoreUnitCard *u, const IocRankRow *row,
            const gchar *period, const gchar *province, const gchar *hub_id, gint64 ts_s)
{
  const IocScoreConfig *c = r->config;
  const IocScoreCard *card = u->card;
  append_tags (out, "ioc_score", hub_id, NULL, period, province, u->unit);
  gboolean first = TRUE;
  if (card->has_score)
    field_double (out, &first, "score", card->score);
  field_double (out, &first, "points", card->points);
  field_double (out, &first, "max", card->max);
  if (c->total > 0)
    field_double (out, &first, "coverage", card->max / c->total);
  field_int (out, &first, "volume", card->volume);
  if (row != NULL && row->rank > 0)
    field_int (out, &first, "rank", row->rank);
  if (row != NULL && row->has_change)
    field_int (out, &first, "rank_change", row->change);
  for (guint g = 0; g < c->n_groups; g++)
    {
      g_autofree gchar *key = g_strconcat ("g_", c->groups[g].id, NULL);
      field_double (out, &first, key, card->groups[g].points);
    }
  g_string_append_printf (out, " %" G_GINT64_FORMAT "\n", ts_s);
  for (guint i = 0; i < c->n_indicators; i++)
    {
      const IocScoreItem *it = &card->items[i];
      if (it->status != IOC_SCORE_SCORED)
        continue;
      append_tags (out, "ioc_score_indicator", hub_id, c->indicators[i].id, period, province, u->unit);
      first = TRUE;
      field_int (out, &first, "numerator", it->num);
      field_int (out, &first, "denominator", it->den);
      field_double (out, &first, "rate", it->rate);
      field_double (out, &first, "points", it->points);
      g_string_append_printf (out, " %" G_GINT64_FORMAT "\n", ts_s);
    }
}

void
ioc_score_lines_append (GString *out, const IocScoreResult *r, const gchar *province, const gchar *hub_id)
{
  g_return_if_fail (out != NULL && r != NULL);
  /* Stamped with the month the period ends with, not its first day: the
   * year to October and the year to November are two points, so InfluxDB
   * keeps how the year went, month by month. */
  gint64 ts_s = ioc_calendar_day_start (ioc_calendar_date_to_day (r->period.year, r->period.month, 1)) / G_USEC_PER_SEC;
  const gchar *period = period_kind_name (r->period.kind);
  g_autoptr (GHashTable) rows = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint k = 0; k < r->rankings->len; k++)
    {
      const IocScoreRanking *rk = &g_array_index (r->rankings, IocScoreRanking, k);
      for (guint i = 0; i < rk->rows->len; i++)
        g_hash_table_insert (rows, (gpointer) g_array_index (rk->rows, IocRankRow, i).unit,
                             &g_array_index (rk->rows, IocRankRow, i));
    }
  unit_lines (out, r, &r->province, NULL, period, province, hub_id, ts_s);
  for (guint i = 0; i < r->units->len; i++)
    {
      const IocScoreUnitCard *u = &g_array_index (r->units, IocScoreUnitCard, i);
      unit_lines (out, r, u, g_hash_table_lookup (rows, u->unit), period, province, hub_id, ts_s);
    }
}

/* 64-bit FNV-1a: the written-set is keyed by series and remembers a line by
 * its hash, so ~40,000 lines cost two integers each. */
static gint64
hash64 (const gchar *p, gsize len)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) p[i]) * G_GUINT64_CONSTANT (0x100000001b3);
  return (gint64) h;
}

/* Keeps the lines of all whose text differs from what was last written for
 * their series (measurement, tags, timestamp). */
static void
changed_lines (IocApiScorecard *self, const GString *all, GString *out)
{
  const gchar *p = all->str, *end = all->str + all->len;
  while (p < end)
    {
      const gchar *nl = memchr (p, '\n', (gsize) (end - p));
      gsize len = (gsize) (nl - p) + 1;
      const gchar *fields = memchr (p, ' ', len); /* tags never hold an unescaped space */
      const gchar *ts = g_strrstr_len (p, (gssize) len, " ");
      g_autoptr (GString) key = g_string_new_len (p, fields - p);
      g_string_append_len (key, ts, nl - ts);
      gint64 k = hash64 (key->str, key->len), v = hash64 (p, len);
      gint64 *old = g_hash_table_lookup (self->written, &k);
      if (old == NULL || *old != v)
        {
          g_string_append_len (out, p, (gssize) len);
          if (old != NULL)
            *old = v;
          else
            g_hash_table_insert (self->written, g_memdup2 (&k, sizeof k), g_memdup2 (&v, sizeof v));
        }
      p = nl + 1;
    }
}

static void
score_tick (gpointer data, gint64 now_us)
{
  IocApiScorecard *self = data;
  const IocHubConfig *config = ioc_hub_config (self->hub);
  if (config->influx_url == NULL || config->scorecard == NULL)
    return;
  if (self->last_check_us != 0 && now_us - self->last_check_us < config->influx_score_interval_us
      && now_us >= self->last_check_us)
    return;
  self->last_check_us = now_us;
  gint y, m;
  ioc_time_local_date (now_us, &y, &m, NULL, NULL, NULL);
  gint month = y * 12 + m - 1;
  if (month != self->checked_month)
    {
      /* A new month: the periods checked are new ones, forget the old. */
      g_hash_table_remove_all (self->written);
      self->checked_month = month;
    }
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) all = g_string_new (NULL);
  /* This month's periods, and last month's, which late events still move. */
  for (gint back = 1; back >= 0; back--)
    for (IocScorePeriodKind k = IOC_SCORE_MONTH; k <= IOC_SCORE_YTD; k++)
      {
        gint key = month - back;
        IocScorePeriod p = { k, key / 12, key % 12 + 1 };
        g_autoptr (GError) error = NULL;
        g_autoptr (IocScoreResult) r = ioc_hub_scorecard (self->hub, &p, &error);
        if (r == NULL)
          continue;
        g_string_truncate (all, 0);
        ioc_score_lines_append (all, r, config->province, config->hub_id);
        changed_lines (self, all, out);
      }
  if (out->len > 0 && ioc_hub_write_lines (self->hub, out->str, out->len))
    {
      gint64 n = 0;
      for (gsize i = 0; i < out->len; i++)
        n += out->str[i] == '\n';
      ioc_stat_add (self->stat_lines, n);
    }
}

static void
score_free (gpointer data)
{
  IocApiScorecard *self = data;
  g_hash_table_unref (self->written);
  g_free (self);
}

static const IocSinkVTable score_sink = {
  .name = "scorecard (ioc_score)",
  .tick = score_tick,
  .free = score_free,
};

IocApiScorecard *
ioc_api_scorecard_attach (IocHub *hub)
{
  g_return_val_if_fail (hub != NULL, NULL);
  IocApiScorecard *self = g_new0 (IocApiScorecard, 1);
  self->hub = hub;
  self->checked_month = -1;
  self->written = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->stat_lines = ioc_stat ("iochub_score_lines_total", NULL, IOC_STAT_COUNTER,
                               "ioc_score and ioc_score_indicator lines handed to InfluxDB (changed values only)");
  self->stat_requests = ioc_stat ("iochub_scorecard_requests_total", NULL, IOC_STAT_COUNTER,
                                  "GET /api/v1/scorecard requests that passed the token check");
  ioc_hub_add_route (hub, "/api/v1/scorecard", scorecard_cb, self);
  ioc_hub_add_sink (hub, &score_sink, self);
  return self;
}
