/* scorecard.c — see scorecard.h.  The scoring rule, the periods, the mapping
 * from the hub's numerators and denominators to the 766 indicators, the
 * values connectors feed, and the ranking.  Main context only. */
#include "score/scorecard.h"

#include <math.h>
#include <string.h>

#include "model/calendar.h"
#include "protocol/ioc-error.h"

/* ---- periods ---- */

static gboolean
parse_month (const gchar *at, gint *year, gint *month)
{
  if (at == NULL || strlen (at) != 7 || at[4] != '-')
    return FALSE;
  for (guint i = 0; i < 7; i++)
    if (i != 4 && !g_ascii_isdigit (at[i]))
      return FALSE;
  gint y = (gint) g_ascii_strtoll (at, NULL, 10);
  gint m = (gint) g_ascii_strtoll (at + 5, NULL, 10);
  if (y < 2000 || y > 2999 || m < 1 || m > 12)
    return FALSE;
  *year = y;
  *month = m;
  return TRUE;
}

gboolean
ioc_score_period_parse (const gchar *kind, const gchar *at, IocScorePeriod *out, GError **error)
{
  g_return_val_if_fail (out != NULL, FALSE);
  IocScorePeriod p = { 0 };
  if (g_strcmp0 (kind, "month") == 0)
    p.kind = IOC_SCORE_MONTH;
  else if (g_strcmp0 (kind, "quarter") == 0)
    p.kind = IOC_SCORE_QUARTER;
  else if (g_strcmp0 (kind, "ytd") == 0)
    p.kind = IOC_SCORE_YTD;
  else
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "period: expected month, quarter or ytd, got '%s'",
                   kind != NULL ? kind : "");
      return FALSE;
    }
  if (!parse_month (at, &p.year, &p.month))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "at: expected a month YYYY-MM (e.g. 2026-11), got '%s'",
                   at != NULL ? at : "");
      return FALSE;
    }
  *out = p;
  return TRUE;
}

static gint
first_month_of (const IocScorePeriod *p)
{
  switch (p->kind)
    {
    case IOC_SCORE_QUARTER:
      return (p->month - 1) / 3 * 3 + 1;
    case IOC_SCORE_YTD:
      return 1;
    case IOC_SCORE_MONTH:
    default:
      return p->month;
    }
}

void
ioc_score_period_days (const IocScorePeriod *p, gint32 *first_day, gint32 *last_day)
{
  g_return_if_fail (p != NULL);
  if (first_day != NULL)
    *first_day = ioc_calendar_date_to_day (p->year, first_month_of (p), 1);
  if (last_day != NULL)
    *last_day = (p->month == 12 ? ioc_calendar_date_to_day (p->year + 1, 1, 1)
                                : ioc_calendar_date_to_day (p->year, p->month + 1, 1))
                - 1;
}

IocScorePeriod
ioc_score_period_previous (const IocScorePeriod *p)
{
  IocScorePeriod q = *p;
  if (--q.month == 0)
    {
      q.month = 12;
      q.year--;
    }
  return q;
}

gchar *
ioc_score_period_label (const IocScorePeriod *p)
{
  g_return_val_if_fail (p != NULL, NULL);
  switch (p->kind)
    {
    case IOC_SCORE_QUARTER:
      return g_strdup_printf ("%04d-Q%d", p->year, (p->month - 1) / 3 + 1);
    case IOC_SCORE_YTD:
      return g_strdup_printf ("%04d", p->year);
    case IOC_SCORE_MONTH:
    default:
      return g_strdup_printf ("%04d-%02d", p->year, p->month);
    }
}

gint
ioc_score_period_first_month (const IocScorePeriod *p)
{
  return p->year * 12 + first_month_of (p) - 1;
}

gint
ioc_score_period_last_month (const IocScorePeriod *p)
{
  return p->year * 12 + p->month - 1;
}

/* ---- the rule ---- */

gdouble
ioc_score_points (gdouble rate, gdouble max, gboolean has_target, gdouble target)
{
  if (!(max > 0) || !(rate > 0))
    return 0;
  gdouble pts;
  if (has_target && target > 0)
    pts = rate >= target ? max : rate * max / target;
  else
    pts = rate * max / 100.0;
  return MIN (pts, max);
}

const gchar *
ioc_score_status_name (IocScoreStatus status)
{
  switch (status)
    {
    case IOC_SCORE_SCORED:
      return "scored";
    case IOC_SCORE_NA:
      return "na";
    case IOC_SCORE_NOT_OBSERVED:
      return "not_observed";
    default:
      return NULL;
    }
}

IocScoreCard *
ioc_scorecard_compute (const IocScoreConfig *config, const IocScoreValue *values, gint64 volume)
{
  g_return_val_if_fail (config != NULL && (values != NULL || config->n_indicators == 0), NULL);
  IocScoreCard *c = g_new0 (IocScoreCard, 1);
  c->config = config;
  c->volume = volume;
  c->items = g_new0 (IocScoreItem, MAX (config->n_indicators, 1));
  c->groups = g_new0 (IocScoreGroup, MAX (config->n_groups, 1));
  for (guint g = 0; g < config->n_groups; g++)
    c->groups[g].full_max = config->groups[g].max;
  for (guint i = 0; i < config->n_indicators; i++)
    {
      const IocScoreIndicatorDef *d = &config->indicators[i];
      const IocScoreValue *v = &values[i];
      IocScoreItem *it = &c->items[i];
      if (!v->observed)
        {
          it->status = IOC_SCORE_NOT_OBSERVED;
          continue;
        }
      it->num = v->num;
      it->den = v->den;
      if (v->den <= 0)
        {
          /* "nếu mẫu số = 0: hiển thị 0 hoặc N/A" (DOMAIN §1A): N/A, and
           * out of the maximum, like an indicator not observed. */
          it->status = IOC_SCORE_NA;
          continue;
        }
      it->status = IOC_SCORE_SCORED;
      it->rate = 100.0 * (gdouble) v->num / (gdouble) v->den;
      it->points = ioc_score_points (it->rate, d->max, d->has_target, d->target);
      it->max = d->max;
      c->points += it->points;
      c->max += it->max;
      if (d->group < config->n_groups)
        {
          c->groups[d->group].points += it->points;
          c->groups[d->group].max += it->max;
        }
    }
  c->has_score = c->max > 0;
  c->score = c->has_score ? c->points * config->total / c->max : 0;
  return c;
}

void
ioc_scorecard_free (IocScoreCard *self)
{
  if (self == NULL)
    return;
  g_free (self->items);
  g_free (self->groups);
  g_free (self);
}

/* ---- the hub's inputs ---- */

void
ioc_score_hub_value (IocScoreInput input, const IocScoreHubInputs *in, IocScoreValue *out)
{
  g_return_if_fail (out != NULL);
  memset (out, 0, sizeof *out);
  if (in == NULL)
    return;
  const IocDossierIndicators *d = &in->dossiers;
  /* The five ratios the dossier tracker counts as they are. */
  const struct
  {
    IocScoreInput input;
    gint64 num, den;
  } direct[] = {
    { IOC_SCORE_INPUT_ONTIME, d->ontime_num, d->ontime_den },
    { IOC_SCORE_INPUT_ONLINE, d->online_num, d->online_den },
    { IOC_SCORE_INPUT_PAID_ONLINE, d->paid_online_num, d->paid_online_den },
    { IOC_SCORE_INPUT_E_RESULT, d->e_result_num, d->e_result_den },
    { IOC_SCORE_INPUT_DIGITIZED, d->digitized_num, d->digitized_den },
  };
  out->observed = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (direct); i++)
    if (direct[i].input == input)
      {
        out->num = direct[i].num;
        out->den = direct[i].den;
        return;
      }
  if (input == IOC_SCORE_INPUT_SATISFACTION)
    {
      /* QĐ 766: (dossiers − those overdue or with dissatisfaction) /
       * dossiers.  Overdue = the 2.1 denominator − numerator; each rating
       * below the top two levels counts as one dissatisfied dossier. */
      gint64 dissatisfied = MAX (in->ratings - in->satisfied, 0);
      out->den = d->ontime_den;
      out->num = CLAMP (d->ontime_num - dissatisfied, 0, MAX (out->den, 0));
      return;
    }
  out->observed = FALSE; /* NONE and CONNECTOR: not the hub's to measure */
}

gint64
ioc_score_hub_volume (const IocScoreHubInputs *in)
{
  return in != NULL ? in->dossiers.ontime_den : 0;
}

/* ---- the feed ---- */

typedef struct
{
  gint64 num, den, ts_us;
} FeedEntry;

struct _IocScoreFeed
{
  GHashTable *by_indicator; /* indicator → (unit → (month key → FeedEntry*)) */
};

IocScoreFeed *
ioc_score_feed_new (void)
{
  IocScoreFeed *self = g_new0 (IocScoreFeed, 1);
  self->by_indicator = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_hash_table_unref);
  return self;
}

void
ioc_score_feed_free (IocScoreFeed *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_indicator);
  g_free (self);
}

gboolean
ioc_score_feed_put (IocScoreFeed *self, const gchar *unit, const gchar *indicator, const gchar *month,
                    gint64 num, gint64 den, gint64 ts_us, GError **error)
{
  g_return_val_if_fail (self != NULL && unit != NULL && indicator != NULL, FALSE);
  gint y, m;
  if (!parse_month (month, &y, &m))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "period: expected a month YYYY-MM, got '%s'",
                   month != NULL ? month : "");
      return FALSE;
    }
  if (num < 0 || den < 0 || num > den)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED,
                   "numerator, denominator: expected 0 ≤ numerator ≤ denominator, got %" G_GINT64_FORMAT
                   " / %" G_GINT64_FORMAT,
                   num, den);
      return FALSE;
    }
  GHashTable *units = g_hash_table_lookup (self->by_indicator, indicator);
  if (units == NULL)
    {
      units = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
      g_hash_table_insert (self->by_indicator, g_strdup (indicator), units);
    }
  GHashTable *months = g_hash_table_lookup (units, unit);
  if (months == NULL)
    {
      months = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
      g_hash_table_insert (units, g_strdup (unit), months);
    }
  gint key = y * 12 + m - 1;
  FeedEntry *e = g_hash_table_lookup (months, GINT_TO_POINTER (key));
  if (e == NULL)
    {
      e = g_new0 (FeedEntry, 1);
      g_hash_table_insert (months, GINT_TO_POINTER (key), e);
    }
  else if (ts_us < e->ts_us)
    return TRUE; /* an older message than the value held: the newest wins */
  e->num = num;
  e->den = den;
  e->ts_us = ts_us;
  return TRUE;
}

/* The value of one month for unit ("all": the province value, else the sum
 * of the units'); FALSE when there is none. */
static gboolean
feed_month (GHashTable *units, const gchar *unit, gint key, gint64 *num, gint64 *den)
{
  GHashTable *months = g_hash_table_lookup (units, unit);
  const FeedEntry *e = months != NULL ? g_hash_table_lookup (months, GINT_TO_POINTER (key)) : NULL;
  if (e != NULL)
    {
      *num = e->num;
      *den = e->den;
      return TRUE;
    }
  if (strcmp (unit, "all") != 0)
    return FALSE;
  gboolean any = FALSE;
  *num = *den = 0;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, units);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      if (strcmp (k, "all") == 0)
        continue;
      const FeedEntry *u = g_hash_table_lookup (v, GINT_TO_POINTER (key));
      if (u != NULL)
        {
          *num += u->num;
          *den += u->den;
          any = TRUE;
        }
    }
  return any;
}

void
ioc_score_feed_get (IocScoreFeed *self, const gchar *unit, const gchar *indicator, IocScoreAggregate aggregate,
                    const IocScorePeriod *p, IocScoreValue *out)
{
  g_return_if_fail (self != NULL && unit != NULL && indicator != NULL && p != NULL && out != NULL);
  memset (out, 0, sizeof *out);
  GHashTable *units = g_hash_table_lookup (self->by_indicator, indicator);
  if (units == NULL)
    return;
  for (gint key = ioc_score_period_first_month (p); key <= ioc_score_period_last_month (p); key++)
    {
      gint64 num, den;
      if (!feed_month (units, unit, key, &num, &den))
        continue;
      if (aggregate == IOC_SCORE_AGG_LATEST)
        {
          out->num = num;
          out->den = den;
        }
      else
        {
          out->num += num;
          out->den += den;
        }
      out->observed = TRUE;
    }
}

/* Calls fn for each (indicator, unit) the feed holds, with that unit's
 * months (month key → FeedEntry*): the one walk of the nested tables. */
typedef void (*FeedUnitFn) (const gchar *indicator, const gchar *unit, GHashTable *months, gpointer user_data);

static void
feed_foreach_unit_months (IocScoreFeed *self, FeedUnitFn fn, gpointer user_data)
{
  GHashTableIter it;
  gpointer indicator, units;
  g_hash_table_iter_init (&it, self->by_indicator);
  while (g_hash_table_iter_next (&it, &indicator, &units))
    {
      GHashTableIter ui;
      gpointer unit, months;
      g_hash_table_iter_init (&ui, units);
      while (g_hash_table_iter_next (&ui, &unit, &months))
        fn (indicator, unit, months, user_data);
    }
}

typedef struct
{
  GHashTable *seen;
  void (*fn) (const gchar *unit, gpointer);
  gpointer user_data;
} UnitVisit;

static void
visit_unit_once (const gchar *indicator, const gchar *unit, GHashTable *months, gpointer data)
{
  UnitVisit *v = data;
  if (g_hash_table_add (v->seen, (gpointer) unit))
    v->fn (unit, v->user_data);
}

void
ioc_score_feed_foreach_unit (IocScoreFeed *self, void (*fn) (const gchar *unit, gpointer), gpointer user_data)
{
  g_return_if_fail (self != NULL && fn != NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  UnitVisit v = { seen, fn, user_data };
  feed_foreach_unit_months (self, visit_unit_once, &v);
}

static void
count_months (const gchar *indicator, const gchar *unit, GHashTable *months, gpointer data)
{
  *(guint *) data += g_hash_table_size (months);
}

static void
save_months (const gchar *indicator, const gchar *unit, GHashTable *months, gpointer data)
{
  GByteArray *out = data;
  GHashTableIter mi;
  gpointer key, e;
  g_hash_table_iter_init (&mi, months);
  while (g_hash_table_iter_next (&mi, &key, &e))
    {
      const FeedEntry *f = e;
      ioc_snap_put_str (out, indicator);
      ioc_snap_put_str (out, unit);
      ioc_snap_put_u32 (out, (guint32) GPOINTER_TO_INT (key));
      ioc_snap_put_i64 (out, f->num);
      ioc_snap_put_i64 (out, f->den);
      ioc_snap_put_i64 (out, f->ts_us);
    }
}

void
ioc_score_feed_save (IocScoreFeed *self, GByteArray *out)
{
  g_return_if_fail (self != NULL && out != NULL);
  guint n = 0;
  feed_foreach_unit_months (self, count_months, &n);
  ioc_snap_put_u32 (out, n);
  feed_foreach_unit_months (self, save_months, out);
}

gboolean
ioc_score_feed_load (IocScoreFeed *self, IocSnapReader *r)
{
  g_return_val_if_fail (self != NULL && r != NULL, FALSE);
  guint32 n = ioc_snap_get_u32 (r);
  for (guint32 i = 0; i < n && ioc_snap_reader_ok (r); i++)
    {
      g_autofree gchar *indicator = ioc_snap_get_str (r);
      g_autofree gchar *unit = ioc_snap_get_str (r);
      guint32 key = ioc_snap_get_u32 (r);
      gint64 num = ioc_snap_get_i64 (r), den = ioc_snap_get_i64 (r), ts = ioc_snap_get_i64 (r);
      if (!ioc_snap_reader_ok (r) || indicator == NULL || unit == NULL || key > 2999 * 12)
        return FALSE;
      g_autofree gchar *month = g_strdup_printf ("%04u-%02u", key / 12, key % 12 + 1);
      if (!ioc_score_feed_put (self, unit, indicator, month, num, den, ts, NULL))
        return FALSE;
    }
  return ioc_snap_reader_ok (r);
}

void
ioc_score_values (const IocScoreConfig *config, const IocScoreHubInputs *hub, IocScoreFeed *feed,
                  const gchar *unit, const IocScorePeriod *p, IocScoreValue *values)
{
  g_return_if_fail (config != NULL && unit != NULL && p != NULL && values != NULL);
  for (guint i = 0; i < config->n_indicators; i++)
    {
      const IocScoreIndicatorDef *d = &config->indicators[i];
      memset (&values[i], 0, sizeof values[i]);
      if (d->input == IOC_SCORE_INPUT_CONNECTOR)
        {
          if (feed != NULL)
            ioc_score_feed_get (feed, unit, d->id, d->aggregate, p, &values[i]);
        }
      else if (d->input != IOC_SCORE_INPUT_NONE)
        ioc_score_hub_value (d->input, hub, &values[i]);
    }
}

/* ---- ranking ---- */

const gchar *
ioc_rank_state_name (IocRankState state)
{
  switch (state)
    {
    case IOC_RANK_RANKED:
      return "ranked";
    case IOC_RANK_LOW_VOLUME:
      return "low_volume";
    case IOC_RANK_NO_SCORE:
      return "no_score";
    default:
      return NULL;
    }
}

/* The score as shown: 2 decimals (DOMAIN §1A), as an integer. */
static gint64
shown (gdouble score)
{
  return (gint64) llround (score * 100.0);
}

static gint
ranked_cmp (gconstpointer a, gconstpointer b)
{
  const IocRankRow *x = a, *y = b;
  gint64 sx = shown (x->score), sy = shown (y->score);
  if (sx != sy)
    return sx > sy ? -1 : 1;
  if (x->volume != y->volume)
    return x->volume > y->volume ? -1 : 1;
  return strcmp (x->unit, y->unit);
}

static gint
code_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((const IocRankRow *) a)->unit, ((const IocRankRow *) b)->unit);
}

static gboolean
has_prefix (const gchar *unit, const gchar *prefix)
{
  gsize n = strlen (prefix);
  return strncmp (unit, prefix, n) == 0 && unit[n] == '-';
}

/* Ranked rows (sorted, numbered) then the others (by code). */
static GArray *
rank_one (const IocRankEntry *e, guint n, const gchar *prefix, gint64 min_volume)
{
  g_autoptr (GArray) ranked = g_array_new (FALSE, TRUE, sizeof (IocRankRow));
  g_autoptr (GArray) other = g_array_new (FALSE, TRUE, sizeof (IocRankRow));
  for (guint i = 0; i < n; i++)
    {
      if (e[i].unit == NULL || !has_prefix (e[i].unit, prefix))
        continue;
      IocRankRow r = { 0 };
      r.unit = e[i].unit;
      r.score = e[i].has_score ? e[i].score : 0;
      r.volume = e[i].volume;
      r.state = !e[i].has_score ? IOC_RANK_NO_SCORE
                : e[i].volume < min_volume ? IOC_RANK_LOW_VOLUME
                                           : IOC_RANK_RANKED;
      g_array_append_val (r.state == IOC_RANK_RANKED ? ranked : other, r);
    }
  g_array_sort (ranked, ranked_cmp);
  g_array_sort (other, code_cmp);
  for (guint i = 0; i < ranked->len; i++)
    g_array_index (ranked, IocRankRow, i).rank = (gint) i + 1;
  g_array_append_vals (ranked, other->data, other->len);
  return g_steal_pointer (&ranked);
}

GArray *
ioc_score_rank (const IocRankEntry *cur, guint n_cur, const IocRankEntry *prev, guint n_prev, const gchar *prefix,
                gint64 min_volume)
{
  g_return_val_if_fail ((cur != NULL || n_cur == 0) && prefix != NULL, NULL);
  GArray *rows = rank_one (cur, n_cur, prefix, min_volume);
  if (prev == NULL || n_prev == 0)
    return rows;
  g_autoptr (GArray) before = rank_one (prev, n_prev, prefix, min_volume);
  g_autoptr (GHashTable) prev_rank = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < before->len; i++)
    {
      const IocRankRow *r = &g_array_index (before, IocRankRow, i);
      if (r->rank > 0)
        g_hash_table_insert (prev_rank, (gpointer) r->unit, GINT_TO_POINTER (r->rank));
    }
  for (guint i = 0; i < rows->len; i++)
    {
      IocRankRow *r = &g_array_index (rows, IocRankRow, i);
      r->prev_rank = GPOINTER_TO_INT (g_hash_table_lookup (prev_rank, r->unit));
      r->has_change = r->rank > 0 && r->prev_rank > 0;
      r->change = r->has_change ? r->prev_rank - r->rank : 0;
    }
  return rows;
}
