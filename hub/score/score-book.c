/* score-book.c — see score-book.h.  Ratings per unit and local day, the
 * stock of open dossiers at each month's close, the values connectors feed,
 * and the scorecards computed from them with the dossier tracker's day
 * counters, cached per period until the generation moves.  Main context. */
#include "score/score-book.h"

#include <string.h>

#include "model/calendar.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-keys.h"
#include "protocol/ioc-time.h"
#include "state/snapcodec.h"

#define BOOK_FORMAT 1
/* Results kept at once (period kinds × months asked for); beyond, all go. */
#define CACHE_MAX 48

typedef struct
{
  gint64 ratings, satisfied;
} RatingDay;

typedef struct
{
  gint64 open, open_overdue;
} Stock;

typedef struct
{
  IocScoreResult *result;
  gint now_month; /* the month "now" was in: decides which stock a period uses */
} CacheEntry;

struct _IocScoreBook
{
  const IocScoreConfig *config;
  GHashTable *ratings; /* interned unit → (day → RatingDay*) */
  GHashTable *stocks;  /* interned unit → (month key → Stock*) */
  IocScoreFeed *feed;
  gint last_month;     /* month key of the previous tick; -1 before the first */
  guint64 generation;
  GHashTable *cache;   /* period key → CacheEntry* */
  const gchar *all;
};

static void
cache_entry_free (gpointer p)
{
  CacheEntry *e = p;
  ioc_score_result_unref (e->result);
  g_free (e);
}

static GHashTable *
inner_new (void)
{
  return g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
}

IocScoreBook *
ioc_score_book_new (void)
{
  IocScoreBook *self = g_new0 (IocScoreBook, 1);
  self->ratings = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) g_hash_table_unref);
  self->stocks = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) g_hash_table_unref);
  self->feed = ioc_score_feed_new ();
  self->cache = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, cache_entry_free);
  self->last_month = -1;
  self->all = ioc_intern ("all");
  return self;
}

void
ioc_score_book_free (IocScoreBook *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->cache);
  g_hash_table_unref (self->ratings);
  g_hash_table_unref (self->stocks);
  ioc_score_feed_free (self->feed);
  g_free (self);
}

void
ioc_score_book_touch (IocScoreBook *self)
{
  g_return_if_fail (self != NULL);
  self->generation++;
}

guint64
ioc_score_book_generation (IocScoreBook *self)
{
  return self->generation;
}

void
ioc_score_book_set_config (IocScoreBook *self, const IocScoreConfig *config)
{
  g_return_if_fail (self != NULL);
  self->config = config;
  /* Results borrow the config: none may outlive it. */
  g_hash_table_remove_all (self->cache);
  self->generation++;
}

const IocScoreConfig *
ioc_score_book_config (IocScoreBook *self)
{
  return self->config;
}

static gint
month_key_of (gint64 us)
{
  gint y, m;
  ioc_time_local_date (us, &y, &m, NULL, NULL, NULL);
  return y * 12 + m - 1;
}

static gpointer
inner_slot (GHashTable *outer, const gchar *unit, gint key, gsize size, gboolean create)
{
  GHashTable *in = g_hash_table_lookup (outer, unit);
  if (in == NULL)
    {
      if (!create)
        return NULL;
      in = inner_new ();
      g_hash_table_insert (outer, (gpointer) unit, in);
    }
  gpointer v = g_hash_table_lookup (in, GINT_TO_POINTER (key));
  if (v == NULL && create)
    {
      v = g_malloc0 (size);
      g_hash_table_insert (in, GINT_TO_POINTER (key), v);
    }
  return v;
}

void
ioc_score_book_fact (IocScoreBook *self, const IocFact *fact)
{
  g_return_if_fail (self != NULL && fact != NULL);
  if (fact->kind != IOC_FACT_COUNT)
    return;
  if (fact->measurement == IOC_MEAS_RATING && fact->unit != NULL)
    {
      gint day = ioc_calendar_day_of (fact->ts_us);
      const gchar *units[2] = { fact->unit, self->all }; /* IocFact's unit is interned */
      for (guint i = 0; i < 2; i++)
        {
          RatingDay *d = inner_slot (self->ratings, units[i], day, sizeof (RatingDay), TRUE);
          if (fact->field == IOC_F_RATING_RATINGS)
            d->ratings += fact->delta;
          else if (fact->field == IOC_F_RATING_SATISFIED)
            d->satisfied += fact->delta;
        }
      self->generation++;
    }
  else if (fact->measurement == IOC_MEAS_DOSSIER)
    self->generation++;
}

gboolean
ioc_score_book_put_value (IocScoreBook *self, const gchar *unit, const gchar *indicator, const gchar *month,
                          gint64 num, gint64 den, gint64 ts_us, const gchar **reason, GError **error)
{
  g_return_val_if_fail (self != NULL && unit != NULL && indicator != NULL, FALSE);
  static const gchar *dummy;
  if (reason == NULL)
    reason = &dummy;
  gint k = self->config != NULL ? ioc_score_config_find (self->config, indicator) : -1;
  if (k < 0 || self->config->indicators[k].input != IOC_SCORE_INPUT_CONNECTOR)
    {
      *reason = "unknown_indicator";
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED,
                   "indicator: '%s' is not an indicator with input = connector in the scorecard config%s", indicator,
                   self->config == NULL ? " (no scorecard is configured)" : "");
      return FALSE;
    }
  if (!ioc_score_feed_put (self->feed, ioc_intern (unit), indicator, month, num, den, ts_us, error))
    {
      *reason = "out_of_range";
      return FALSE;
    }
  self->generation++;
  return TRUE;
}

/* ---- stocks at the month's close ---- */

typedef struct
{
  IocScoreBook *self;
  IocDossierTracker *tracker;
  gint month;
  gint64 now_us;
} StockWalk;

static void
record_stock (const gchar *unit, gpointer data)
{
  StockWalk *w = data;
  IocDossierIndicators d;
  if (!ioc_dossier_tracker_indicators (w->tracker, unit, IOC_PERIOD_DAY, w->now_us, &d))
    return;
  Stock *s = inner_slot (w->self->stocks, ioc_intern (unit), w->month, sizeof (Stock), TRUE);
  s->open = d.open;
  s->open_overdue = d.open_overdue;
}

/* Drops what is older than 1 January of last year (the tracker's horizon). */
static void
prune (IocScoreBook *self, gint now_month)
{
  gint first_month = (now_month / 12 - 1) * 12;
  gint32 first_day = ioc_calendar_date_to_day (first_month / 12, 1, 1);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->ratings);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      GHashTableIter di;
      gpointer day, rd;
      g_hash_table_iter_init (&di, v);
      while (g_hash_table_iter_next (&di, &day, &rd))
        if (GPOINTER_TO_INT (day) < first_day)
          g_hash_table_iter_remove (&di);
    }
  g_hash_table_iter_init (&it, self->stocks);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      GHashTableIter mi;
      gpointer month, s;
      g_hash_table_iter_init (&mi, v);
      while (g_hash_table_iter_next (&mi, &month, &s))
        if (GPOINTER_TO_INT (month) < first_month)
          g_hash_table_iter_remove (&mi);
    }
}

void
ioc_score_book_tick (IocScoreBook *self, IocDossierTracker *tracker, gint64 now_us)
{
  g_return_if_fail (self != NULL && tracker != NULL);
  gint month = month_key_of (now_us);
  if (month == self->last_month)
    return;
  if (self->last_month >= 0 && month > self->last_month)
    {
      /* The month before now closed (after a long stop, the months between
       * have no record: nobody saw their end). */
      StockWalk w = { self, tracker, month - 1, now_us };
      ioc_dossier_tracker_foreach_unit (tracker, record_stock, &w);
      record_stock ("all", &w);
      g_message ("scorecard: %04d-%02d closed; open stock recorded for the score of past periods",
                 (month - 1) / 12, (month - 1) % 12 + 1);
      prune (self, month);
    }
  self->last_month = month;
  self->generation++;
}

gboolean
ioc_score_book_closing_stock (IocScoreBook *self, const gchar *unit, gint year, gint month, gint64 *open,
                              gint64 *open_overdue)
{
  g_return_val_if_fail (self != NULL && unit != NULL, FALSE);
  const Stock *s = inner_slot (self->stocks, ioc_intern (unit), year * 12 + month - 1, 0, FALSE);
  if (s == NULL)
    return FALSE;
  if (open != NULL)
    *open = s->open;
  if (open_overdue != NULL)
    *open_overdue = s->open_overdue;
  return TRUE;
}

/* ---- computing ---- */

const gchar *
ioc_score_stock_name (IocScoreStock stock)
{
  switch (stock)
    {
    case IOC_SCORE_STOCK_NOW:
      return "now";
    case IOC_SCORE_STOCK_MONTH_END:
      return "month_end";
    case IOC_SCORE_STOCK_NONE:
      return "none";
    default:
      return NULL;
    }
}

static IocScoreStock
stock_kind (IocScoreBook *self, const IocScorePeriod *p, gint now_month)
{
  gint last = ioc_score_period_last_month (p);
  if (last >= now_month)
    return IOC_SCORE_STOCK_NOW;
  GHashTable *all = g_hash_table_lookup (self->stocks, self->all);
  return all != NULL && g_hash_table_contains (all, GINT_TO_POINTER (last)) ? IOC_SCORE_STOCK_MONTH_END
                                                                             : IOC_SCORE_STOCK_NONE;
}

/* The hub's inputs of one unit for p: the tracker's flows over the period's
 * days, the stock its end had, the ratings of its days. */
static void
hub_inputs (IocScoreBook *self, IocDossierTracker *tracker, const gchar *unit, const IocScorePeriod *p,
            IocScoreStock stock, IocScoreHubInputs *in)
{
  memset (in, 0, sizeof *in);
  gint32 first, last;
  ioc_score_period_days (p, &first, &last);
  IocDossierIndicators *d = &in->dossiers;
  ioc_dossier_tracker_indicators_range (tracker, unit, first, last, d);
  if (stock != IOC_SCORE_STOCK_NOW)
    {
      /* A past period: the stock at its end, as recorded when its last
       * month closed (none recorded: no open dossier counted). */
      const Stock *s = inner_slot (self->stocks, unit, ioc_score_period_last_month (p), 0, FALSE);
      d->open = s != NULL ? s->open : 0;
      d->open_overdue = s != NULL ? s->open_overdue : 0;
      d->due_soon = 0;
      d->ontime_num = d->completed_early + d->completed_ontime + (d->open - d->open_overdue);
      d->ontime_den = d->completed_early + d->completed_ontime + d->completed_late + d->open;
    }
  GHashTable *days = g_hash_table_lookup (self->ratings, unit);
  if (days == NULL)
    return;
  if ((gint64) last - first + 1 > (gint64) g_hash_table_size (days))
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, days);
      while (g_hash_table_iter_next (&it, &k, &v))
        if (GPOINTER_TO_INT (k) >= first && GPOINTER_TO_INT (k) <= last)
          {
            in->ratings += ((const RatingDay *) v)->ratings;
            in->satisfied += ((const RatingDay *) v)->satisfied;
          }
    }
  else
    for (gint32 day = first; day <= last; day++)
      {
        const RatingDay *r = g_hash_table_lookup (days, GINT_TO_POINTER (day));
        if (r != NULL)
          {
            in->ratings += r->ratings;
            in->satisfied += r->satisfied;
          }
      }
}

static void
unit_card (IocScoreBook *self, IocDossierTracker *tracker, const gchar *unit, const IocScorePeriod *p,
           IocScoreStock stock, IocScoreUnitCard *out)
{
  IocScoreHubInputs in;
  hub_inputs (self, tracker, unit, p, stock, &in);
  g_autofree IocScoreValue *values = g_new0 (IocScoreValue, MAX (self->config->n_indicators, 1));
  ioc_score_values (self->config, &in, self->feed, unit, p, values);
  out->unit = unit;
  out->card = ioc_scorecard_compute (self->config, values, ioc_score_hub_volume (&in));
  out->ratings = in.ratings;
  out->satisfied = in.satisfied;
}

static void
add_unit_cb (const gchar *unit, gpointer data)
{
  if (strcmp (unit, "all") != 0)
    g_hash_table_add (data, (gpointer) ioc_intern (unit));
}

/* Every unit the scorecard lists, sorted by code. */
static GPtrArray *
unit_list (IocScoreBook *self, IocDossierTracker *tracker, const gchar *const *extra)
{
  g_autoptr (GHashTable) set = g_hash_table_new (g_direct_hash, g_direct_equal);
  ioc_dossier_tracker_foreach_unit (tracker, add_unit_cb, set);
  ioc_score_feed_foreach_unit (self->feed, add_unit_cb, set);
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, self->ratings);
  while (g_hash_table_iter_next (&it, &k, NULL))
    add_unit_cb (k, set);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    add_unit_cb (extra[i], set);
  return ioc_keys_sorted (set);
}

static void
unit_card_clear (gpointer p)
{
  IocScoreUnitCard *u = p;
  ioc_scorecard_free (u->card);
}

static GArray *
cards_for (IocScoreBook *self, IocDossierTracker *tracker, GPtrArray *units, const IocScorePeriod *p,
           IocScoreStock stock)
{
  GArray *cards = g_array_sized_new (FALSE, TRUE, sizeof (IocScoreUnitCard), units->len);
  g_array_set_clear_func (cards, unit_card_clear);
  for (guint i = 0; i < units->len; i++)
    {
      IocScoreUnitCard c;
      unit_card (self, tracker, g_ptr_array_index (units, i), p, stock, &c);
      g_array_append_val (cards, c);
    }
  return cards;
}

static IocRankEntry *
rank_entries (GArray *cards)
{
  IocRankEntry *e = g_new0 (IocRankEntry, MAX (cards->len, 1));
  for (guint i = 0; i < cards->len; i++)
    {
      const IocScoreUnitCard *c = &g_array_index (cards, IocScoreUnitCard, i);
      e[i].unit = c->unit;
      e[i].has_score = c->card->has_score;
      e[i].score = c->card->score;
      e[i].volume = c->card->volume;
    }
  return e;
}

static void
ranking_clear (gpointer p)
{
  IocScoreRanking *r = p;
  g_array_unref (r->rows);
}

static IocScoreResult *
compute (IocScoreBook *self, IocDossierTracker *tracker, const IocScorePeriod *p, gint now_month,
         const gchar *const *extra)
{
  IocScoreResult *r = g_new0 (IocScoreResult, 1);
  r->refs = 1;
  r->config = self->config;
  r->period = *p;
  r->generation = self->generation;
  r->stock = stock_kind (self, p, now_month);
  unit_card (self, tracker, self->all, p, r->stock, &r->province);
  g_autoptr (GPtrArray) units = unit_list (self, tracker, extra);
  r->units = cards_for (self, tracker, units, p, r->stock);

  /* The previous period, for the change of rank. */
  IocScorePeriod q = ioc_score_period_previous (p);
  g_autoptr (GArray) before = cards_for (self, tracker, units, &q, stock_kind (self, &q, now_month));
  g_autofree IocRankEntry *cur = rank_entries (r->units);
  g_autofree IocRankEntry *prev = rank_entries (before);
  r->rankings = g_array_new (FALSE, TRUE, sizeof (IocScoreRanking));
  g_array_set_clear_func (r->rankings, ranking_clear);
  for (guint i = 0; self->config->rank_prefixes != NULL && self->config->rank_prefixes[i] != NULL; i++)
    {
      IocScoreRanking rk = { self->config->rank_prefixes[i], NULL };
      rk.rows = ioc_score_rank (cur, r->units->len, prev, before->len, rk.prefix, self->config->min_volume);
      g_array_append_val (r->rankings, rk);
    }

  /* The province through the year: the same kind of period ending with
   * each month from January to p's. */
  r->trend = g_array_new (FALSE, TRUE, sizeof (IocScoreTrendPoint));
  for (gint m = 1; m <= p->month; m++)
    {
      IocScorePeriod t = { p->kind, p->year, m };
      IocScoreUnitCard c;
      unit_card (self, tracker, self->all, &t, stock_kind (self, &t, now_month), &c);
      IocScoreTrendPoint tp = { ioc_score_period_last_month (&t), c.card->has_score, c.card->score, c.card->points,
                                c.card->max };
      g_array_append_val (r->trend, tp);
      ioc_scorecard_free (c.card);
    }
  return r;
}

IocScoreResult *
ioc_score_book_compute (IocScoreBook *self, IocDossierTracker *tracker, const IocScorePeriod *p, gint64 now_us,
                        const gchar *const *extra_units, GError **error)
{
  g_return_val_if_fail (self != NULL && tracker != NULL && p != NULL, NULL);
  if (self->config == NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "no scorecard is configured ([hub] scorecard)");
      return NULL;
    }
  gint now_month = month_key_of (now_us);
  if (ioc_score_period_last_month (p) > now_month)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "at: %04d-%02d has not begun (this month is %04d-%02d)",
                   p->year, p->month, now_month / 12, now_month % 12 + 1);
      return NULL;
    }
  gint key = (gint) p->kind * 100000 + ioc_score_period_last_month (p);
  CacheEntry *e = g_hash_table_lookup (self->cache, GINT_TO_POINTER (key));
  if (e != NULL && e->result->generation == self->generation && e->now_month == now_month)
    return ioc_score_result_ref (e->result);
  if (g_hash_table_size (self->cache) >= CACHE_MAX)
    g_hash_table_remove_all (self->cache);
  IocScoreResult *r = compute (self, tracker, p, now_month, extra_units);
  e = g_new0 (CacheEntry, 1);
  e->result = ioc_score_result_ref (r);
  e->now_month = now_month;
  g_hash_table_replace (self->cache, GINT_TO_POINTER (key), e);
  return r;
}

IocScoreResult *
ioc_score_result_ref (IocScoreResult *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  r->refs++;
  return r;
}

void
ioc_score_result_unref (IocScoreResult *r)
{
  if (r == NULL || --r->refs > 0)
    return;
  ioc_scorecard_free (r->province.card);
  g_array_unref (r->units);
  g_array_unref (r->rankings);
  g_array_unref (r->trend);
  g_free (r);
}

const IocScoreUnitCard *
ioc_score_result_unit (const IocScoreResult *r, const gchar *unit)
{
  g_return_val_if_fail (r != NULL && unit != NULL, NULL);
  if (strcmp (unit, "all") == 0)
    return &r->province;
  guint lo = 0, hi = r->units->len;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      const IocScoreUnitCard *c = &g_array_index (r->units, IocScoreUnitCard, mid);
      gint cmp = strcmp (unit, c->unit);
      if (cmp == 0)
        return c;
      if (cmp < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
  return NULL;
}

/* ---- snapshot ---- */

static void
save_table (GHashTable *outer, GByteArray *out, gboolean ratings)
{
  ioc_snap_put_u32 (out, g_hash_table_size (outer));
  GHashTableIter it;
  gpointer unit, inner;
  g_hash_table_iter_init (&it, outer);
  while (g_hash_table_iter_next (&it, &unit, &inner))
    {
      ioc_snap_put_str (out, unit);
      ioc_snap_put_u32 (out, g_hash_table_size (inner));
      GHashTableIter ii;
      gpointer key, v;
      g_hash_table_iter_init (&ii, inner);
      while (g_hash_table_iter_next (&ii, &key, &v))
        {
          ioc_snap_put_u32 (out, (guint32) GPOINTER_TO_INT (key));
          /* RatingDay and Stock are both two counters. */
          const gint64 *pair = ratings ? &((const RatingDay *) v)->ratings : &((const Stock *) v)->open;
          ioc_snap_put_i64 (out, pair[0]);
          ioc_snap_put_i64 (out, pair[1]);
        }
    }
}

static gboolean
load_table (GHashTable *outer, IocSnapReader *r)
{
  guint32 n = ioc_snap_get_u32 (r);
  for (guint32 i = 0; i < n && ioc_snap_reader_ok (r); i++)
    {
      g_autofree gchar *unit = ioc_snap_get_str (r);
      guint32 m = ioc_snap_get_u32 (r);
      if (unit == NULL)
        return FALSE;
      for (guint32 j = 0; j < m && ioc_snap_reader_ok (r); j++)
        {
          gint key = (gint) ioc_snap_get_u32 (r);
          gint64 *pair = inner_slot (outer, ioc_intern (unit), key, 2 * sizeof (gint64), TRUE);
          pair[0] = ioc_snap_get_i64 (r);
          pair[1] = ioc_snap_get_i64 (r);
        }
    }
  return ioc_snap_reader_ok (r);
}

void
ioc_score_book_save (IocScoreBook *self, GByteArray *out)
{
  g_return_if_fail (self != NULL && out != NULL);
  ioc_snap_put_u32 (out, BOOK_FORMAT);
  ioc_snap_put_i64 (out, self->last_month);
  save_table (self->ratings, out, TRUE);
  save_table (self->stocks, out, FALSE);
  ioc_score_feed_save (self->feed, out);
}

gboolean
ioc_score_book_load (IocScoreBook *self, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  IocSnapReader r;
  ioc_snap_reader_init (&r, data, len);
  guint32 format = ioc_snap_get_u32 (&r);
  if (format != BOOK_FORMAT)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "scorecard state: format %u, expected %u", format,
                   BOOK_FORMAT);
      return FALSE;
    }
  g_hash_table_remove_all (self->ratings);
  g_hash_table_remove_all (self->stocks);
  g_hash_table_remove_all (self->cache);
  ioc_score_feed_free (self->feed);
  self->feed = ioc_score_feed_new ();
  self->last_month = (gint) ioc_snap_get_i64 (&r);
  if (!load_table (self->ratings, &r) || !load_table (self->stocks, &r) || !ioc_score_feed_load (self->feed, &r)
      || !ioc_snap_reader_at_end (&r))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "scorecard state: truncated or malformed");
      return FALSE;
    }
  self->generation++;
  return TRUE;
}
