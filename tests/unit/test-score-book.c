/* test-score-book.c — the scorecard's state between facts: ratings per day
 * behind 5.4, the open stock recorded when a month closes (past periods use
 * it, a late event moves their flows only), values fed by connectors, the
 * cache that the generation invalidates, the ranking's change of rank, and
 * the snapshot round trip.  A real dossier tracker feeds the book, as in
 * the hub. */
#include <string.h>

#include "model/calendar.h"
#include "protocol/ioc-error.h"
#include "score/score-book.h"

#define EPS 1e-9

/* 2.1 (50 points, no target), 5.4 (30, target 90), 1.3 (20, fed, latest). */
static const gchar config_text[]
    = "[scorecard]\nversion = t1\ntotal = 100\nmin_volume = 2\nrank = xa\n"
      "[group a]\nname = A\n[group b]\nname = B\n"
      "[indicator 2.1]\ngroup = a\nname = On time\nmax = 50\ninput = ontime\nsource = t\n"
      "[indicator 5.4]\ngroup = b\nname = Satisfied\nmax = 30\ntarget = 90\ninput = satisfaction\nsource = t\n"
      "[indicator 1.3]\ngroup = b\nname = Posted\nmax = 20\ninput = connector\naggregate = latest\nsource = t\n";

typedef struct
{
  IocScoreConfig *config;
  IocCalendar *cal;
  IocDossierTracker *tracker;
  IocScoreBook *book;
} Fixture;

static void
fact_cb (const IocFact *fact, gpointer user_data)
{
  Fixture *fx = user_data;
  ioc_score_book_fact (fx->book, fact);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  fx->config = ioc_score_config_load_data ("t.conf", config_text, strlen (config_text), &error);
  g_assert_no_error (error);
  static const gchar cal_text[] = "[calendar]\nweekend = sat,sun\n";
  fx->cal = ioc_calendar_load_data ("cal.conf", cal_text, sizeof cal_text - 1, &error);
  g_assert_no_error (error);
  fx->book = ioc_score_book_new ();
  ioc_score_book_set_config (fx->book, fx->config);
  fx->tracker = ioc_dossier_tracker_new (fx->cal, NULL, fact_cb, fx);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  ioc_dossier_tracker_free (fx->tracker);
  ioc_score_book_free (fx->book);
  ioc_calendar_free (fx->cal);
  ioc_score_config_free (fx->config);
}

static gint64
vn (gint y, gint mo, gint d, gint h)
{
  return ioc_calendar_day_start (ioc_calendar_date_to_day (y, mo, d)) + (gint64) h * G_TIME_SPAN_HOUR;
}

/* A dossier event: state 2 (received, with its deadline) or a finishing
 * state, at ts, arriving at now. */
static void
dossier (Fixture *fx, const gchar *unit, const gchar *id, gint state, gint64 ts, gint64 received, gint64 due,
         gint64 now)
{
  IocRecord r = { 0 };
  r.kind = IOC_KIND_PORTAL;
  r.type = IOC_EV_DOSSIER;
  r.unit = unit;
  r.dossier = id;
  r.procedure = "P";
  r.state = state;
  r.channel = 1;
  r.ts_us = ts;
  r.received_at_us = received;
  r.due_at_us = due;
  r.supplements = -1;
  r.fee = r.paid_online = r.digitized = r.e_result = IOC_TRI_UNSET;
  ioc_dossier_tracker_record (fx->tracker, &r, ioc_intern (unit), now);
  ioc_score_book_touch (fx->book);
}

static void
rating (Fixture *fx, const gchar *unit, gint64 ts, gboolean satisfied)
{
  IocFact f = { IOC_MEAS_RATING, IOC_FACT_COUNT, IOC_F_RATING_RATINGS, ioc_intern (unit), 0, ts, 1, 0 };
  ioc_score_book_fact (fx->book, &f);
  if (satisfied)
    {
      f.field = IOC_F_RATING_SATISFIED;
      ioc_score_book_fact (fx->book, &f);
    }
}

static IocScoreResult *
compute (Fixture *fx, const gchar *kind, const gchar *at, gint64 now)
{
  IocScorePeriod p;
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_score_period_parse (kind, at, &p, &error));
  IocScoreResult *r = ioc_score_book_compute (fx->book, fx->tracker, &p, now, NULL, &error);
  g_assert_no_error (error);
  return r;
}

static const IocScoreItem *
item (const IocScoreResult *r, const gchar *unit, const gchar *id)
{
  const IocScoreUnitCard *u = ioc_score_result_unit (r, unit);
  g_assert_nonnull (u);
  gint k = ioc_score_config_find (r->config, id);
  g_assert_cmpint (k, >=, 0);
  return &u->card->items[k];
}

static void
tick (Fixture *fx, gint64 now)
{
  ioc_dossier_tracker_sweep (fx->tracker, now);
  ioc_score_book_tick (fx->book, fx->tracker, now);
}

/* October: D1 (due 23/10) goes overdue and D2 (due 30/11) stays open over
 * the month's end; both finish in November.  October's 2.1 counts them as
 * the stock at its end; November's as finished. */
static void
october (Fixture *fx)
{
  tick (fx, vn (2026, 10, 20, 7));
  dossier (fx, "xa-00001", "D1", 2, vn (2026, 10, 20, 8), vn (2026, 10, 20, 8), vn (2026, 10, 23, 17),
           vn (2026, 10, 20, 8));
  dossier (fx, "xa-00001", "D2", 2, vn (2026, 10, 20, 9), vn (2026, 10, 20, 9), vn (2026, 11, 30, 17),
           vn (2026, 10, 20, 9));
  tick (fx, vn (2026, 10, 27, 9)); /* D1 overdue */
  tick (fx, vn (2026, 11, 1, 0) + 30 * G_USEC_PER_SEC); /* October closes */
  dossier (fx, "xa-00001", "D1", 9, vn (2026, 11, 3, 9), 0, 0, vn (2026, 11, 3, 9));
  dossier (fx, "xa-00001", "D2", 9, vn (2026, 11, 3, 10), 0, 0, vn (2026, 11, 3, 10));
}

static void
test_closing_stock (Fixture *fx, gconstpointer data)
{
  october (fx);
  gint64 open = -1, overdue = -1;
  g_assert_true (ioc_score_book_closing_stock (fx->book, "xa-00001", 2026, 10, &open, &overdue));
  g_assert_cmpint (open, ==, 2);
  g_assert_cmpint (overdue, ==, 1);
  g_assert_true (ioc_score_book_closing_stock (fx->book, "all", 2026, 10, &open, &overdue));
  g_assert_cmpint (open, ==, 2);
  g_assert_false (ioc_score_book_closing_stock (fx->book, "xa-00001", 2026, 9, NULL, NULL));

  gint64 now = vn (2026, 11, 5, 12);
  g_autoptr (IocScoreResult) oct = compute (fx, "month", "2026-10", now);
  g_assert_cmpint (oct->stock, ==, IOC_SCORE_STOCK_MONTH_END);
  const IocScoreItem *i = item (oct, "xa-00001", "2.1");
  g_assert_cmpint (i->num, ==, 1); /* D2 open in time at the end of October */
  g_assert_cmpint (i->den, ==, 2);
  g_assert_cmpfloat_with_epsilon (i->points, 25, EPS);
  i = item (oct, "all", "2.1");
  g_assert_cmpint (i->num, ==, 1);
  g_assert_cmpint (i->den, ==, 2);

  g_autoptr (IocScoreResult) nov = compute (fx, "month", "2026-11", now);
  g_assert_cmpint (nov->stock, ==, IOC_SCORE_STOCK_NOW);
  i = item (nov, "xa-00001", "2.1");
  g_assert_cmpint (i->num, ==, 1); /* D2 on time, D1 late */
  g_assert_cmpint (i->den, ==, 2);

  /* A late event for October: D3 received 21/10, finished 22/10, arrives
   * on 5/11.  October's flows take it; its recorded stock does not move. */
  dossier (fx, "xa-00001", "D3", 2, vn (2026, 10, 21, 8), vn (2026, 10, 21, 8), vn (2026, 10, 28, 17), now);
  dossier (fx, "xa-00001", "D3", 10, vn (2026, 10, 22, 8), 0, 0, now);
  g_autoptr (IocScoreResult) oct2 = compute (fx, "month", "2026-10", now);
  g_assert_true (oct2 != oct);
  i = item (oct2, "xa-00001", "2.1");
  g_assert_cmpint (i->num, ==, 2);
  g_assert_cmpint (i->den, ==, 3);
  g_assert_cmpfloat_with_epsilon (i->points, 50.0 * 2 / 3, EPS);
  g_assert_true (ioc_score_book_closing_stock (fx->book, "xa-00001", 2026, 10, &open, &overdue));
  g_assert_cmpint (open, ==, 2);

  /* The year to date ends this month: its stock is the stock now (none
   * open), its flows every finished dossier: D1 late, D2 and D3 in time. */
  g_autoptr (IocScoreResult) ytd = compute (fx, "ytd", "2026-11", now);
  i = item (ytd, "xa-00001", "2.1");
  g_assert_cmpint (i->num, ==, 2);
  g_assert_cmpint (i->den, ==, 3);
}

/* Without a record of the month's end (the hub was not running then), a
 * past period counts finished dossiers only, and says so. */
static void
test_no_closing_record (Fixture *fx, gconstpointer data)
{
  gint64 now = vn (2026, 11, 5, 12);
  tick (fx, now); /* first tick in November: nothing closed that the book saw */
  dossier (fx, "xa-00001", "D1", 2, vn (2026, 10, 20, 8), vn (2026, 10, 20, 8), vn (2026, 10, 23, 17), now);
  dossier (fx, "xa-00001", "D2", 2, vn (2026, 10, 21, 8), vn (2026, 10, 21, 8), vn (2026, 10, 27, 17), now);
  dossier (fx, "xa-00001", "D2", 10, vn (2026, 10, 22, 8), 0, 0, now);
  tick (fx, now + G_USEC_PER_SEC);
  g_autoptr (IocScoreResult) oct = compute (fx, "month", "2026-10", now);
  g_assert_cmpint (oct->stock, ==, IOC_SCORE_STOCK_NONE);
  g_assert_cmpstr (ioc_score_stock_name (oct->stock), ==, "none");
  const IocScoreItem *i = item (oct, "xa-00001", "2.1");
  g_assert_cmpint (i->num, ==, 1);
  g_assert_cmpint (i->den, ==, 1);
  /* November holds D1, open and overdue now. */
  g_autoptr (IocScoreResult) nov = compute (fx, "month", "2026-11", now);
  i = item (nov, "xa-00001", "2.1");
  g_assert_cmpint (i->num, ==, 0);
  g_assert_cmpint (i->den, ==, 1);
}

/* 5.4 takes the ratings of the period's days only. */
static void
test_ratings_by_day (Fixture *fx, gconstpointer data)
{
  october (fx);
  rating (fx, "xa-00001", vn (2026, 10, 5, 9), FALSE);
  rating (fx, "xa-00001", vn (2026, 10, 6, 9), TRUE);
  rating (fx, "xa-00001", vn (2026, 11, 2, 9), TRUE);
  gint64 now = vn (2026, 11, 5, 12);
  g_autoptr (IocScoreResult) nov = compute (fx, "month", "2026-11", now);
  const IocScoreUnitCard *u = ioc_score_result_unit (nov, "xa-00001");
  g_assert_cmpint (u->ratings, ==, 1);
  g_assert_cmpint (u->satisfied, ==, 1);
  const IocScoreItem *i = item (nov, "xa-00001", "5.4");
  g_assert_cmpint (i->num, ==, 1); /* on time 1 − dissatisfied 0 */
  g_assert_cmpint (i->den, ==, 2);
  g_assert_cmpfloat_with_epsilon (i->points, 50.0 * 30 / 90, EPS);
  g_autoptr (IocScoreResult) oct = compute (fx, "month", "2026-10", now);
  i = item (oct, "xa-00001", "5.4");
  g_assert_cmpint (i->num, ==, 0); /* on time 1 − dissatisfied 1 */
  g_assert_cmpint (i->den, ==, 2);
  g_autoptr (IocScoreResult) ytd = compute (fx, "ytd", "2026-11", now);
  u = ioc_score_result_unit (ytd, "xa-00001");
  g_assert_cmpint (u->ratings, ==, 3);
  g_assert_cmpint (u->satisfied, ==, 2);
  g_assert_cmpint (ytd->province.ratings, ==, 3);
}

static void
test_values (Fixture *fx, gconstpointer data)
{
  gint64 now = vn (2026, 11, 5, 12);
  tick (fx, now);
  const gchar *reason = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_false (ioc_score_book_put_value (fx->book, "xa-00001", "2.1", "2026-11", 1, 2, now, &reason, &error));
  g_assert_cmpstr (reason, ==, "unknown_indicator");
  g_assert_true (strstr (error->message, "'2.1'") != NULL);
  g_clear_error (&error);
  g_assert_false (ioc_score_book_put_value (fx->book, "xa-00001", "9.9", "2026-11", 1, 2, now, &reason, &error));
  g_assert_cmpstr (reason, ==, "unknown_indicator");
  g_clear_error (&error);
  g_assert_false (ioc_score_book_put_value (fx->book, "xa-00001", "1.3", "2026-11", 3, 2, now, &reason, &error));
  g_assert_cmpstr (reason, ==, "out_of_range");
  g_clear_error (&error);
  g_assert_false (ioc_score_book_put_value (fx->book, "xa-00001", "1.3", "2026-13", 1, 2, now, &reason, &error));
  g_assert_cmpstr (reason, ==, "out_of_range");
  g_clear_error (&error);

  g_autoptr (IocScoreResult) before = compute (fx, "month", "2026-11", now);
  g_assert_cmpint (item (before, "all", "1.3")->status, ==, IOC_SCORE_NOT_OBSERVED);
  g_assert_true (ioc_score_book_put_value (fx->book, "xa-00001", "1.3", "2026-11", 90, 100, now, &reason, &error));
  g_assert_true (ioc_score_book_put_value (fx->book, "xa-00002", "1.3", "2026-11", 10, 100, now, &reason, &error));
  g_autoptr (IocScoreResult) after = compute (fx, "month", "2026-11", now);
  const IocScoreItem *i = item (after, "xa-00001", "1.3");
  g_assert_cmpint (i->status, ==, IOC_SCORE_SCORED);
  g_assert_cmpfloat_with_epsilon (i->points, 18, EPS);
  /* The province without its own value: the sum of the units'. */
  i = item (after, "all", "1.3");
  g_assert_cmpint (i->num, ==, 100);
  g_assert_cmpint (i->den, ==, 200);
  /* A unit known only by its fed value is listed. */
  g_assert_nonnull (ioc_score_result_unit (after, "xa-00002"));
  /* The province's own value wins. */
  g_assert_true (ioc_score_book_put_value (fx->book, "all", "1.3", "2026-11", 150, 200, now, &reason, &error));
  g_autoptr (IocScoreResult) prov = compute (fx, "month", "2026-11", now);
  g_assert_cmpint (item (prov, "all", "1.3")->num, ==, 150);
  g_assert_cmpfloat_with_epsilon (prov->province.card->score, 15.0 * 100 / 20, EPS);
}

/* The same period is computed once until something changes. */
static void
test_cache (Fixture *fx, gconstpointer data)
{
  october (fx);
  gint64 now = vn (2026, 11, 5, 12);
  g_autoptr (IocScoreResult) a = compute (fx, "ytd", "2026-11", now);
  g_autoptr (IocScoreResult) b = compute (fx, "ytd", "2026-11", now);
  g_assert_true (a == b);
  g_autoptr (IocScoreResult) q = compute (fx, "quarter", "2026-11", now);
  g_assert_true (q != a);
  rating (fx, "xa-00001", vn (2026, 11, 4, 9), FALSE);
  g_autoptr (IocScoreResult) c = compute (fx, "ytd", "2026-11", now);
  g_assert_true (c != a);
  g_assert_cmpint (ioc_score_result_unit (c, "xa-00001")->ratings, ==, 1);
  /* A gauge (the minute's open stock) changes nothing. */
  guint64 gen = ioc_score_book_generation (fx->book);
  IocFact g = { IOC_MEAS_DOSSIER, IOC_FACT_GAUGE, IOC_F_DOSSIER_OPEN, ioc_intern ("xa-00001"), 0, now, 3, 0 };
  ioc_score_book_fact (fx->book, &g);
  g_assert_cmpuint (ioc_score_book_generation (fx->book), ==, gen);
  /* A reload of the weights drops every result. */
  ioc_score_book_set_config (fx->book, fx->config);
  g_autoptr (IocScoreResult) d = compute (fx, "ytd", "2026-11", now);
  g_assert_true (d != c);

  /* A period that has not begun, and no scorecard: errors, not zeros. */
  IocScorePeriod dec;
  g_assert_true (ioc_score_period_parse ("month", "2026-12", &dec, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_null (ioc_score_book_compute (fx->book, fx->tracker, &dec, now, NULL, &error));
  g_assert_true (strstr (error->message, "has not begun") != NULL);
  g_clear_error (&error);
  ioc_score_book_set_config (fx->book, NULL);
  g_assert_null (ioc_score_book_compute (fx->book, fx->tracker, &dec, now, NULL, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
}

/* Communes ranked by score, with the change against the month before and
 * the extra units (the registry's) listed without a score. */
static void
test_ranking (Fixture *fx, gconstpointer data)
{
  tick (fx, vn (2026, 10, 1, 7));
  /* October: xa-00001 all on time (2 of 2), xa-00002 one of two. */
  gint64 t = vn (2026, 10, 5, 8);
  dossier (fx, "xa-00001", "A1", 2, t, t, vn (2026, 10, 9, 17), t);
  dossier (fx, "xa-00001", "A1", 10, t + 3600000000, 0, 0, t);
  dossier (fx, "xa-00001", "A2", 2, t, t, vn (2026, 10, 9, 17), t);
  dossier (fx, "xa-00001", "A2", 10, t + 3600000000, 0, 0, t);
  dossier (fx, "xa-00002", "B1", 2, t, t, vn (2026, 10, 9, 17), t);
  dossier (fx, "xa-00002", "B1", 10, t + 3600000000, 0, 0, t);
  dossier (fx, "xa-00002", "B2", 2, t, t, vn (2026, 10, 6, 17), t);
  dossier (fx, "xa-00002", "B2", 10, vn (2026, 10, 8, 8), 0, 0, vn (2026, 10, 8, 8));
  tick (fx, vn (2026, 11, 1, 1));
  /* November: the other way round. */
  t = vn (2026, 11, 2, 8);
  dossier (fx, "xa-00002", "B3", 2, t, t, vn (2026, 11, 6, 17), t);
  dossier (fx, "xa-00002", "B3", 10, t + 3600000000, 0, 0, t);
  dossier (fx, "xa-00002", "B4", 2, t, t, vn (2026, 11, 6, 17), t);
  dossier (fx, "xa-00002", "B4", 10, t + 3600000000, 0, 0, t);
  dossier (fx, "xa-00001", "A3", 2, t, t, vn (2026, 11, 6, 17), t);
  dossier (fx, "xa-00001", "A3", 10, t + 3600000000, 0, 0, t);
  dossier (fx, "xa-00001", "A4", 2, t, t, vn (2026, 11, 3, 17), t);
  dossier (fx, "xa-00001", "A4", 10, vn (2026, 11, 5, 8), 0, 0, vn (2026, 11, 5, 8));
  gint64 now = vn (2026, 11, 6, 12);
  IocScorePeriod p;
  g_assert_true (ioc_score_period_parse ("month", "2026-11", &p, NULL));
  const gchar *extra[] = { "xa-00003", "cq-so-tu-phap", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (IocScoreResult) r = ioc_score_book_compute (fx->book, fx->tracker, &p, now, extra, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->rankings->len, ==, 1);
  const IocScoreRanking *rk = &g_array_index (r->rankings, IocScoreRanking, 0);
  g_assert_cmpstr (rk->prefix, ==, "xa");
  g_assert_cmpuint (rk->rows->len, ==, 3);
  const IocRankRow *row = &g_array_index (rk->rows, IocRankRow, 0);
  g_assert_cmpstr (row->unit, ==, "xa-00002");
  g_assert_cmpint (row->rank, ==, 1);
  g_assert_cmpint (row->prev_rank, ==, 2);
  g_assert_cmpint (row->change, ==, 1);
  row = &g_array_index (rk->rows, IocRankRow, 1);
  g_assert_cmpstr (row->unit, ==, "xa-00001");
  g_assert_cmpint (row->change, ==, -1);
  row = &g_array_index (rk->rows, IocRankRow, 2);
  g_assert_cmpstr (row->unit, ==, "xa-00003");
  g_assert_cmpint (row->rank, ==, 0);
  g_assert_cmpint (row->state, ==, IOC_RANK_NO_SCORE);
  /* Listed, not ranked among the communes. */
  g_assert_nonnull (ioc_score_result_unit (r, "cq-so-tu-phap"));
  /* The province's trend: October and November, month by month. */
  g_assert_cmpuint (r->trend->len, ==, 11);
  const IocScoreTrendPoint *oct = &g_array_index (r->trend, IocScoreTrendPoint, 9);
  const IocScoreTrendPoint *nov = &g_array_index (r->trend, IocScoreTrendPoint, 10);
  g_assert_false (g_array_index (r->trend, IocScoreTrendPoint, 0).has_score);
  g_assert_true (oct->has_score);
  /* 3 of 4 on time both months: 2.1 = 37.5 of 50; 5.4 75 % → 25 of 30. */
  g_assert_cmpfloat_with_epsilon (oct->points, 37.5 + 25, EPS);
  g_assert_cmpfloat_with_epsilon (nov->score, (37.5 + 25) * 100 / 80, EPS);
  g_assert_cmpfloat_with_epsilon (nov->score, r->province.card->score, EPS);
}

/* What a snapshot keeps gives the same scorecards after a restart. */
static void
test_snapshot (Fixture *fx, gconstpointer data)
{
  october (fx);
  gint64 now = vn (2026, 11, 5, 12);
  rating (fx, "xa-00001", vn (2026, 10, 5, 9), FALSE);
  g_assert_true (ioc_score_book_put_value (fx->book, "xa-00001", "1.3", "2026-10", 7, 10, now, NULL, NULL));
  g_autoptr (GByteArray) saved = g_byte_array_new ();
  ioc_score_book_save (fx->book, saved);

  g_autoptr (IocScoreBook) again = ioc_score_book_new ();
  ioc_score_book_set_config (again, fx->config);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_score_book_load (again, saved->data, saved->len, &error));
  g_assert_no_error (error);
  IocScorePeriod oct;
  g_assert_true (ioc_score_period_parse ("month", "2026-10", &oct, NULL));
  g_autoptr (IocScoreResult) a = compute (fx, "month", "2026-10", now);
  g_autoptr (IocScoreResult) b = ioc_score_book_compute (again, fx->tracker, &oct, now, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->stock, ==, IOC_SCORE_STOCK_MONTH_END);
  g_assert_cmpfloat (a->province.card->score, ==, b->province.card->score);
  for (guint i = 0; i < fx->config->n_indicators; i++)
    {
      const IocScoreItem *x = &ioc_score_result_unit (a, "xa-00001")->card->items[i];
      const IocScoreItem *y = &ioc_score_result_unit (b, "xa-00001")->card->items[i];
      g_assert_cmpint (x->status, ==, y->status);
      g_assert_cmpint (x->num, ==, y->num);
      g_assert_cmpint (x->den, ==, y->den);
    }
  /* The month the book last ticked in survives: no second "close". */
  ioc_score_book_tick (again, fx->tracker, now);
  g_assert_true (ioc_score_book_closing_stock (again, "xa-00001", 2026, 10, NULL, NULL));

  /* Truncated or foreign bytes are refused with a reason. */
  for (gsize cut = 0; cut < saved->len; cut += 7)
    {
      g_autoptr (IocScoreBook) bad = ioc_score_book_new ();
      g_autoptr (GError) e = NULL;
      g_assert_false (ioc_score_book_load (bad, saved->data, cut, &e));
      g_assert_error (e, IOC_ERROR, IOC_ERROR_CORRUPT);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/ioc/score-book/closing-stock", test_closing_stock);
  ADD ("/ioc/score-book/no-closing-record", test_no_closing_record);
  ADD ("/ioc/score-book/ratings-by-day", test_ratings_by_day);
  ADD ("/ioc/score-book/values", test_values);
  ADD ("/ioc/score-book/cache", test_cache);
  ADD ("/ioc/score-book/ranking", test_ranking);
  ADD ("/ioc/score-book/snapshot", test_snapshot);
  return g_test_run ();
}
