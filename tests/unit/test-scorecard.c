/* test-scorecard.c — the 766 scoring rule, periods, the hub's inputs, values
 * fed by connectors, ranking, and a scenario computed by hand through a real
 * dossier tracker and the shipped ops/score-766.conf. */
#include <string.h>

#include "model/calendar.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "score/scorecard.h"

#define EPS 1e-9

static IocScoreConfig *
shipped (void)
{
  g_autofree gchar *path = g_build_filename (IOC_SOURCE_ROOT, "ops", "score-766.conf", NULL);
  g_autoptr (GError) error = NULL;
  IocScoreConfig *c = ioc_score_config_load (path, &error);
  g_assert_no_error (error);
  return c;
}

/* DOMAIN §1A: with T, max when R ≥ T else R × max / T; without, R × max / 100. */
static void
test_rule (void)
{
  static const struct
  {
    gdouble rate, max;
    gboolean has_target;
    gdouble target, want;
  } cases[] = {
    { 90, 20, FALSE, 0, 18 },        /* no target: R × max / 100 */
    { 100, 20, FALSE, 0, 20 },
    { 0, 20, FALSE, 0, 0 },
    { 85, 4, TRUE, 80, 4 },          /* target met: full marks */
    { 80, 4, TRUE, 80, 4 },          /* exactly at the target */
    { 79.99, 4, TRUE, 80, 3.9995 },  /* just below: R × max / T */
    { 84, 6, TRUE, 90, 5.6 },
    { 40, 2, TRUE, 80, 1 },
    { 40, 0, TRUE, 50, 0 },          /* monitor only */
    { 120, 6, FALSE, 0, 6 },         /* bad data above 100 %: never above max */
    { -5, 6, FALSE, 0, 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gdouble got = ioc_score_points (cases[i].rate, cases[i].max, cases[i].has_target, cases[i].target);
      if (ABS (got - cases[i].want) > 1e-9)
        g_error ("case %u: R=%g max=%g T=%g: got %g, want %g", i, cases[i].rate, cases[i].max, cases[i].target, got,
                 cases[i].want);
    }
}

static void
test_periods (void)
{
  static const struct
  {
    const gchar *kind, *at;
    const gchar *label;
    gint first_y, first_m, last_y, last_m, last_d;
    const gchar *prev_label;
  } cases[] = {
    { "month", "2026-11", "2026-11", 2026, 11, 2026, 11, 30, "2026-10" },
    { "month", "2026-01", "2026-01", 2026, 1, 2026, 1, 31, "2025-12" },
    { "month", "2028-02", "2028-02", 2028, 2, 2028, 2, 29, "2028-01" }, /* leap year */
    { "quarter", "2026-11", "2026-Q4", 2026, 10, 2026, 11, 30, "2026-Q4" },
    { "quarter", "2026-10", "2026-Q4", 2026, 10, 2026, 10, 31, "2026-Q3" },
    { "quarter", "2026-03", "2026-Q1", 2026, 1, 2026, 3, 31, "2026-Q1" },
    { "ytd", "2026-11", "2026", 2026, 1, 2026, 11, 30, "2026" },
    { "ytd", "2026-12", "2026", 2026, 1, 2026, 12, 31, "2026" },
    { "ytd", "2026-01", "2026", 2026, 1, 2026, 1, 31, "2025" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IocScorePeriod p;
      g_autoptr (GError) error = NULL;
      g_assert_true (ioc_score_period_parse (cases[i].kind, cases[i].at, &p, &error));
      g_autofree gchar *label = ioc_score_period_label (&p);
      g_assert_cmpstr (label, ==, cases[i].label);
      gint32 a, b;
      ioc_score_period_days (&p, &a, &b);
      g_assert_cmpint (a, ==, ioc_calendar_date_to_day (cases[i].first_y, cases[i].first_m, 1));
      g_assert_cmpint (b, ==, ioc_calendar_date_to_day (cases[i].last_y, cases[i].last_m, cases[i].last_d));
      IocScorePeriod q = ioc_score_period_previous (&p);
      g_autofree gchar *prev = ioc_score_period_label (&q);
      g_assert_cmpstr (prev, ==, cases[i].prev_label);
      g_assert_cmpint (q.kind, ==, p.kind);
    }
  static const struct
  {
    const gchar *kind, *at, *want;
  } bad[] = {
    { "week", "2026-11", "period: expected month, quarter or ytd, got 'week'" },
    { NULL, "2026-11", "period: expected month, quarter or ytd, got ''" },
    { "month", "2026-13", "at: expected a month YYYY-MM (e.g. 2026-11), got '2026-13'" },
    { "month", "2026-1", "at: expected a month YYYY-MM" },
    { "ytd", "26-11-01", "at: expected a month YYYY-MM" },
    { "ytd", "1999-12", "at: expected a month YYYY-MM" },
    { "quarter", NULL, "at: expected a month YYYY-MM (e.g. 2026-11), got ''" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      IocScorePeriod p;
      g_autoptr (GError) error = NULL;
      g_assert_false (ioc_score_period_parse (bad[i].kind, bad[i].at, &p, &error));
      g_assert_true (g_str_has_prefix (error->message, bad[i].want));
    }
}

/* Not observed and zero denominators are left out of the maximum, and the
 * total is scaled to the config's 100 over what was scored. */
static void
test_compute_statuses (void)
{
  const gchar *text = "[scorecard]\nversion = t\ntotal = 100\n"
                      "[group a]\nname = A\n[group b]\nname = B\n"
                      "[indicator x]\ngroup = a\nname = X\nmax = 40\ninput = ontime\nsource = t\n"
                      "[indicator y]\ngroup = a\nname = Y\nmax = 20\ntarget = 80\ninput = digitized\nsource = t\n"
                      "[indicator z]\ngroup = b\nname = Z\nmax = 30\ninput = paid_online\nsource = t\n"
                      "[indicator w]\ngroup = b\nname = W\nmax = 10\ninput = none\nsource = t\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocScoreConfig) c = ioc_score_config_load_data ("t.conf", text, strlen (text), &error);
  g_assert_no_error (error);
  IocScoreValue v[4] = { { TRUE, 45, 50 }, { TRUE, 30, 50 }, { TRUE, 0, 0 }, { FALSE, 0, 0 } };
  g_autoptr (IocScoreCard) s = ioc_scorecard_compute (c, v, 50);
  g_assert_cmpint (s->items[0].status, ==, IOC_SCORE_SCORED);
  g_assert_cmpfloat_with_epsilon (s->items[0].rate, 90, EPS);
  g_assert_cmpfloat_with_epsilon (s->items[0].points, 36, EPS);
  g_assert_cmpfloat_with_epsilon (s->items[1].rate, 60, EPS);
  g_assert_cmpfloat_with_epsilon (s->items[1].points, 15, EPS); /* 60 × 20 / 80 */
  g_assert_cmpint (s->items[2].status, ==, IOC_SCORE_NA);
  g_assert_cmpfloat (s->items[2].points, ==, 0);
  g_assert_cmpfloat (s->items[2].max, ==, 0);
  g_assert_cmpint (s->items[3].status, ==, IOC_SCORE_NOT_OBSERVED);
  g_assert_cmpfloat_with_epsilon (s->points, 51, EPS);
  g_assert_cmpfloat_with_epsilon (s->max, 60, EPS);
  g_assert_true (s->has_score);
  g_assert_cmpfloat_with_epsilon (s->score, 85, EPS); /* 51 of 60 scored points, on 100 */
  g_assert_cmpfloat_with_epsilon (s->groups[0].points, 51, EPS);
  g_assert_cmpfloat_with_epsilon (s->groups[0].max, 60, EPS);
  g_assert_cmpfloat_with_epsilon (s->groups[0].full_max, 60, EPS);
  g_assert_cmpfloat (s->groups[1].points, ==, 0);
  g_assert_cmpfloat (s->groups[1].max, ==, 0);
  g_assert_cmpfloat_with_epsilon (s->groups[1].full_max, 40, EPS);
  g_assert_cmpstr (ioc_score_status_name (s->items[3].status), ==, "not_observed");

  /* Nothing scored: no score at all, never 0 and never 100. */
  IocScoreValue empty[4] = { { TRUE, 0, 0 }, { FALSE, 0, 0 }, { TRUE, 0, 0 }, { FALSE, 0, 0 } };
  g_autoptr (IocScoreCard) e = ioc_scorecard_compute (c, empty, 0);
  g_assert_false (e->has_score);
  g_assert_cmpfloat (e->score, ==, 0);
}

static void
test_hub_values (void)
{
  IocScoreHubInputs in = { 0 };
  in.dossiers.ontime_num = 45;
  in.dossiers.ontime_den = 50;
  in.dossiers.online_num = 20;
  in.dossiers.online_den = 50;
  in.dossiers.paid_online_num = 7;
  in.dossiers.paid_online_den = 9;
  in.dossiers.e_result_num = 3;
  in.dossiers.e_result_den = 4;
  in.dossiers.digitized_num = 5;
  in.dossiers.digitized_den = 6;
  in.ratings = 10;
  in.satisfied = 7;
  static const struct
  {
    IocScoreInput input;
    gboolean observed;
    gint64 num, den;
  } cases[] = {
    { IOC_SCORE_INPUT_ONTIME, TRUE, 45, 50 },      { IOC_SCORE_INPUT_ONLINE, TRUE, 20, 50 },
    { IOC_SCORE_INPUT_PAID_ONLINE, TRUE, 7, 9 },   { IOC_SCORE_INPUT_E_RESULT, TRUE, 3, 4 },
    { IOC_SCORE_INPUT_DIGITIZED, TRUE, 5, 6 },     { IOC_SCORE_INPUT_SATISFACTION, TRUE, 42, 50 },
    { IOC_SCORE_INPUT_NONE, FALSE, 0, 0 },         { IOC_SCORE_INPUT_CONNECTOR, FALSE, 0, 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IocScoreValue v;
      ioc_score_hub_value (cases[i].input, &in, &v);
      g_assert_cmpint (v.observed, ==, cases[i].observed);
      g_assert_cmpint (v.num, ==, cases[i].num);
      g_assert_cmpint (v.den, ==, cases[i].den);
    }
  /* More dissatisfied ratings than dossiers on time: 0, not negative. */
  in.ratings = 100;
  in.satisfied = 0;
  IocScoreValue v;
  ioc_score_hub_value (IOC_SCORE_INPUT_SATISFACTION, &in, &v);
  g_assert_cmpint (v.num, ==, 0);
  g_assert_cmpint (v.den, ==, 50);
  g_assert_cmpint (ioc_score_hub_volume (&in), ==, 50);
}

static void
test_feed (void)
{
  g_autoptr (IocScoreFeed) f = ioc_score_feed_new ();
  g_autoptr (GError) error = NULL;
  gint64 t = 1000;
  g_assert_true (ioc_score_feed_put (f, "xa-1", "5.2", "2026-10", 8, 10, t, &error));
  g_assert_true (ioc_score_feed_put (f, "xa-1", "5.2", "2026-11", 9, 10, t, &error));
  g_assert_true (ioc_score_feed_put (f, "xa-2", "5.2", "2026-11", 1, 5, t, &error));
  /* A newer message for the month replaces; an older one is ignored. */
  g_assert_true (ioc_score_feed_put (f, "xa-1", "5.2", "2026-11", 10, 10, t + 1, &error));
  g_assert_true (ioc_score_feed_put (f, "xa-1", "5.2", "2026-11", 0, 10, t - 1, &error));

  IocScorePeriod nov, q4, ytd, sep;
  g_assert_true (ioc_score_period_parse ("month", "2026-11", &nov, NULL));
  g_assert_true (ioc_score_period_parse ("quarter", "2026-11", &q4, NULL));
  g_assert_true (ioc_score_period_parse ("ytd", "2026-11", &ytd, NULL));
  g_assert_true (ioc_score_period_parse ("month", "2026-09", &sep, NULL));
  IocScoreValue v;
  ioc_score_feed_get (f, "xa-1", "5.2", IOC_SCORE_AGG_SUM, &nov, &v);
  g_assert_true (v.observed);
  g_assert_cmpint (v.num, ==, 10);
  g_assert_cmpint (v.den, ==, 10);
  ioc_score_feed_get (f, "xa-1", "5.2", IOC_SCORE_AGG_SUM, &q4, &v);
  g_assert_cmpint (v.num, ==, 18);
  g_assert_cmpint (v.den, ==, 20);
  ioc_score_feed_get (f, "xa-1", "5.2", IOC_SCORE_AGG_LATEST, &ytd, &v);
  g_assert_cmpint (v.num, ==, 10);
  g_assert_cmpint (v.den, ==, 10);
  ioc_score_feed_get (f, "xa-1", "5.2", IOC_SCORE_AGG_SUM, &sep, &v);
  g_assert_false (v.observed);
  ioc_score_feed_get (f, "xa-3", "5.2", IOC_SCORE_AGG_SUM, &nov, &v);
  g_assert_false (v.observed);
  ioc_score_feed_get (f, "xa-1", "5.3", IOC_SCORE_AGG_SUM, &nov, &v);
  g_assert_false (v.observed);
  /* The province: the sum of the units, month by month ... */
  ioc_score_feed_get (f, "all", "5.2", IOC_SCORE_AGG_SUM, &q4, &v);
  g_assert_cmpint (v.num, ==, 8 + 10 + 1);
  g_assert_cmpint (v.den, ==, 10 + 10 + 5);
  /* ... unless the province's own figure was sent for that month. */
  g_assert_true (ioc_score_feed_put (f, "all", "5.2", "2026-11", 50, 60, t, &error));
  ioc_score_feed_get (f, "all", "5.2", IOC_SCORE_AGG_SUM, &q4, &v);
  g_assert_cmpint (v.num, ==, 8 + 50);
  g_assert_cmpint (v.den, ==, 10 + 60);

  static const struct
  {
    const gchar *month;
    gint64 num, den;
    const gchar *want;
  } bad[] = {
    { "2026-13", 1, 2, "period: expected a month YYYY-MM" },
    { "2026", 1, 2, "period: expected a month YYYY-MM" },
    { "2026-11", 3, 2, "numerator, denominator: expected 0 ≤ numerator ≤ denominator, got 3 / 2" },
    { "2026-11", -1, 2, "numerator, denominator: expected" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      g_assert_false (ioc_score_feed_put (f, "xa-1", "5.2", bad[i].month, bad[i].num, bad[i].den, t + 9, &e));
      g_assert_true (g_str_has_prefix (e->message, bad[i].want));
    }
  ioc_score_feed_get (f, "xa-1", "5.2", IOC_SCORE_AGG_SUM, &nov, &v);
  g_assert_cmpint (v.num, ==, 10); /* nothing bad was stored */
}

static const IocRankRow *
row_of (GArray *rows, const gchar *unit)
{
  for (guint i = 0; i < rows->len; i++)
    if (strcmp (g_array_index (rows, IocRankRow, i).unit, unit) == 0)
      return &g_array_index (rows, IocRankRow, i);
  g_error ("no row for %s", unit);
  return NULL;
}

static void
test_rank (void)
{
  const IocRankEntry cur[] = {
    { "xa-00005", TRUE, 91.004, 40 },  /* shows 91.00: ties with xa-00004 and xa-00003 */
    { "xa-00004", TRUE, 90.996, 80 },  /* shows 91.00, larger volume: first of the three */
    { "xa-00003", TRUE, 91.0, 40 },    /* shows 91.00, same volume as xa-00005: lower code first */
    { "xa-00002", TRUE, 95.0, 30 },    /* exactly min_volume: ranked */
    { "xa-00001", TRUE, 99.0, 29 },    /* below min_volume: listed, not ranked */
    { "xa-00006", FALSE, 0, 500 },     /* nothing scored */
    { "cq-ab", TRUE, 99.5, 1000 },     /* another ranking */
    { "ca-00001", TRUE, 99.9, 1000 },  /* not ranked in this one */
    { "xa-00007", TRUE, 50.0, 100 },
  };
  const IocRankEntry prev[] = {
    { "xa-00007", TRUE, 99.0, 100 }, /* was 1st */
    { "xa-00004", TRUE, 90.0, 80 },  /* was 2nd */
    { "xa-00002", TRUE, 10.0, 5 },   /* was not ranked (low volume) */
    { "xa-00003", TRUE, 60.0, 40 },  /* was 3rd */
  };
  g_autoptr (GArray) rows = ioc_score_rank (cur, G_N_ELEMENTS (cur), prev, G_N_ELEMENTS (prev), "xa", 30);
  static const struct
  {
    const gchar *unit;
    gint rank;
    IocRankState state;
    gint prev_rank;
    gboolean has_change;
    gint change;
  } want[] = {
    { "xa-00002", 1, IOC_RANK_RANKED, 0, FALSE, 0 },
    { "xa-00004", 2, IOC_RANK_RANKED, 2, TRUE, 0 },
    { "xa-00003", 3, IOC_RANK_RANKED, 3, TRUE, 0 },
    { "xa-00005", 4, IOC_RANK_RANKED, 0, FALSE, 0 },
    { "xa-00007", 5, IOC_RANK_RANKED, 1, TRUE, -4 }, /* fell four places */
    { "xa-00001", 0, IOC_RANK_LOW_VOLUME, 0, FALSE, 0 },
    { "xa-00006", 0, IOC_RANK_NO_SCORE, 0, FALSE, 0 },
  };
  g_assert_cmpuint (rows->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const IocRankRow *r = &g_array_index (rows, IocRankRow, i);
      g_assert_cmpstr (r->unit, ==, want[i].unit);
      g_assert_cmpint (r->rank, ==, want[i].rank);
      g_assert_cmpint (r->state, ==, want[i].state);
      g_assert_cmpint (r->prev_rank, ==, want[i].prev_rank);
      g_assert_cmpint (r->has_change, ==, want[i].has_change);
      g_assert_cmpint (r->change, ==, want[i].change);
    }
  g_assert_cmpstr (ioc_rank_state_name (row_of (rows, "xa-00001")->state), ==, "low_volume");

  g_autoptr (GArray) cq = ioc_score_rank (cur, G_N_ELEMENTS (cur), NULL, 0, "cq", 30);
  g_assert_cmpuint (cq->len, ==, 1);
  g_assert_cmpint (g_array_index (cq, IocRankRow, 0).rank, ==, 1);
  g_assert_false (g_array_index (cq, IocRankRow, 0).has_change);
  /* "xa" does not take "xa2-…" or "xax-…". */
  const IocRankEntry odd[] = { { "xax-1", TRUE, 1, 100 }, { "xa", TRUE, 1, 100 } };
  g_autoptr (GArray) none = ioc_score_rank (odd, G_N_ELEMENTS (odd), NULL, 0, "xa", 0);
  g_assert_cmpuint (none->len, ==, 0);
}

/* ---- the scenario: a commune's November, by hand ---- */

static void
record (IocDossierTracker *t, const gchar *id, gint state, gint64 ts, gint channel, gint64 received, gint64 due,
        IocTri digitized, IocTri e_result, gint64 now)
{
  IocRecord r = { 0 };
  r.kind = IOC_KIND_PORTAL;
  r.type = IOC_EV_DOSSIER;
  r.unit = "xa-16681";
  r.dossier = id;
  r.procedure = "P";
  r.state = state;
  r.channel = channel;
  r.ts_us = ts;
  r.received_at_us = received;
  r.due_at_us = due;
  r.supplements = -1;
  r.fee = IOC_TRI_UNSET;
  r.paid_online = IOC_TRI_UNSET;
  r.digitized = digitized;
  r.e_result = e_result;
  ioc_dossier_tracker_record (t, &r, ioc_intern ("xa-16681"), now);
}

static gint64
vn (gint y, gint mo, gint d, gint h)
{
  return ioc_calendar_day_start (ioc_calendar_date_to_day (y, mo, d)) + (gint64) h * G_TIME_SPAN_HOUR;
}

static IocScoreCard *
score_unit (const IocScoreConfig *c, IocDossierTracker *t, IocScoreFeed *feed, const IocScorePeriod *p,
            gint64 ratings, gint64 satisfied, IocScoreValue *values)
{
  IocScoreHubInputs in = { 0 };
  gint32 a, b;
  ioc_score_period_days (p, &a, &b);
  g_assert_true (ioc_dossier_tracker_indicators_range (t, "xa-16681", a, b, &in.dossiers));
  in.ratings = ratings;
  in.satisfied = satisfied;
  ioc_score_values (c, &in, feed, "xa-16681", p, values);
  return ioc_scorecard_compute (c, values, ioc_score_hub_volume (&in));
}

static const IocScoreItem *
item (const IocScoreCard *s, const gchar *id)
{
  gint k = ioc_score_config_find (s->config, id);
  g_assert_cmpint (k, >=, 0);
  return &s->items[k];
}

static void
test_scenario (void)
{
  g_autoptr (IocScoreConfig) c = shipped ();
  static const gchar cal_text[] = "[calendar]\nweekend = sat,sun\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocCalendar) cal = ioc_calendar_load_data ("cal.conf", cal_text, sizeof cal_text - 1, &error);
  g_assert_no_error (error);
  g_autoptr (IocDossierTracker) t = ioc_dossier_tracker_new (cal, NULL, NULL, NULL);
  gint64 now = vn (2026, 11, 20, 12);
  /* D1 early, D2 on time (its due day), D3 late, D4 open within its
   * deadline: 2.1 = (1 + 1 + 1 open) / 4 = 75 %.  One of four online (3.3
   * 25 %), all four digitised (4.2 100 % ≥ T 80), two of four with an
   * e-result (4.1 50 %), no fee-bearing dossier (3.6 N/A). */
  record (t, "D1", 2, vn (2026, 11, 2, 8), 1, vn (2026, 11, 2, 8), vn (2026, 11, 6, 17), IOC_TRI_TRUE, IOC_TRI_TRUE, now);
  record (t, "D1", 9, vn (2026, 11, 4, 10), 1, 0, 0, IOC_TRI_UNSET, IOC_TRI_UNSET, now);
  record (t, "D2", 2, vn (2026, 11, 2, 8), 2, vn (2026, 11, 2, 8), vn (2026, 11, 4, 17), IOC_TRI_TRUE, IOC_TRI_TRUE, now);
  record (t, "D2", 10, vn (2026, 11, 4, 16), 2, 0, 0, IOC_TRI_UNSET, IOC_TRI_UNSET, now);
  record (t, "D3", 2, vn (2026, 11, 3, 8), 1, vn (2026, 11, 3, 8), vn (2026, 11, 5, 17), IOC_TRI_TRUE, IOC_TRI_FALSE, now);
  record (t, "D3", 9, vn (2026, 11, 9, 9), 1, 0, 0, IOC_TRI_UNSET, IOC_TRI_UNSET, now);
  record (t, "D4", 2, vn (2026, 11, 16, 8), 1, vn (2026, 11, 16, 8), vn (2026, 12, 31, 17), IOC_TRI_TRUE, IOC_TRI_FALSE, now);
  ioc_dossier_tracker_sweep (t, now);
  /* A connector fed 1.3 (procedures posted with all parts): 120 of 130. */
  g_autoptr (IocScoreFeed) feed = ioc_score_feed_new ();
  g_assert_true (ioc_score_feed_put (feed, "xa-16681", "1.3", "2026-11", 120, 130, now, &error));

  IocScorePeriod nov;
  g_assert_true (ioc_score_period_parse ("month", "2026-11", &nov, NULL));
  IocScoreValue values[64];
  g_assert_cmpuint (c->n_indicators, <=, G_N_ELEMENTS (values));
  /* Five ratings, four satisfied: one dissatisfied. */
  g_autoptr (IocScoreCard) s = score_unit (c, t, feed, &nov, 5, 4, values);

  const IocScoreItem *i21 = item (s, "2.1");
  g_assert_cmpint (i21->num, ==, 3);
  g_assert_cmpint (i21->den, ==, 4);
  g_assert_cmpfloat_with_epsilon (i21->rate, 75, EPS);
  g_assert_cmpfloat_with_epsilon (i21->points, 15, EPS);  /* 75 × 20 / 100 */
  const IocScoreItem *i42 = item (s, "4.2");
  g_assert_cmpfloat_with_epsilon (i42->rate, 100, EPS);
  g_assert_cmpfloat_with_epsilon (i42->points, 4, EPS);   /* target met */
  const IocScoreItem *i54 = item (s, "5.4");
  g_assert_cmpint (i54->num, ==, 2);                      /* 3 on time − 1 dissatisfied */
  g_assert_cmpint (i54->den, ==, 4);
  g_assert_cmpfloat_with_epsilon (i54->points, 50.0 * 6 / 90, EPS); /* below target 90: 3.33 */
  const IocScoreItem *i41 = item (s, "4.1");
  g_assert_cmpfloat_with_epsilon (i41->points, 3, EPS);   /* 50 × 6 / 100 */
  const IocScoreItem *i33 = item (s, "3.3");
  g_assert_cmpint (i33->status, ==, IOC_SCORE_SCORED);
  g_assert_cmpfloat_with_epsilon (i33->rate, 25, EPS);
  g_assert_cmpfloat (i33->points, ==, 0);                 /* tracked, no points */
  g_assert_cmpint (item (s, "3.6")->status, ==, IOC_SCORE_NA);       /* zero denominator */
  g_assert_cmpint (item (s, "1.1")->status, ==, IOC_SCORE_NOT_OBSERVED); /* connector, nothing fed */
  g_assert_cmpint (item (s, "4.x")->status, ==, IOC_SCORE_NOT_OBSERVED); /* none */
  const IocScoreItem *i13 = item (s, "1.3");
  g_assert_cmpfloat_with_epsilon (i13->points, 2.0 * 120 / 130, EPS);
  /* 15 + 4 + 3.33 + 3 + 1.85 = 27.18 of 20 + 4 + 6 + 6 + 2 = 38 → 71.52. */
  gdouble points = 15 + 4 + 50.0 * 6 / 90 + 3 + 2.0 * 120 / 130;
  g_assert_cmpfloat_with_epsilon (s->points, points, EPS);
  g_assert_cmpfloat_with_epsilon (s->max, 38, EPS);
  g_assert_cmpfloat_with_epsilon (s->score, points * 100 / 38, EPS);
  g_assert_cmpfloat_with_epsilon (s->score, 71.52496626, 1e-6);
  g_assert_cmpint (s->volume, ==, 4);
  gint tien_do = -1;
  for (guint g = 0; g < c->n_groups; g++)
    if (strcmp (c->groups[g].id, "tien-do") == 0)
      tien_do = (gint) g;
  g_assert_cmpfloat_with_epsilon (s->groups[tien_do].points, 15, EPS);
  g_assert_cmpfloat_with_epsilon (s->groups[tien_do].max, 20, EPS);

  /* The same facts make the quarter and the year to date. */
  IocScorePeriod ytd;
  g_assert_true (ioc_score_period_parse ("ytd", "2026-11", &ytd, NULL));
  g_autoptr (IocScoreCard) y = score_unit (c, t, feed, &ytd, 5, 4, values);
  g_assert_cmpfloat_with_epsilon (y->score, s->score, EPS);

  /* A late event: D3's "processed" on 5/11, before its deadline, arrives
   * after the 9/11 one.  The end of processing is the first 9, so D3 is on
   * time and the month's score moves: 2.1 100 % (20), 5.4 75 % (5). */
  record (t, "D3", 9, vn (2026, 11, 5, 9), 1, 0, 0, IOC_TRI_UNSET, IOC_TRI_UNSET, now);
  g_autoptr (IocScoreCard) late = score_unit (c, t, feed, &nov, 5, 4, values);
  g_assert_cmpfloat_with_epsilon (item (late, "2.1")->points, 20, EPS);
  g_assert_cmpfloat_with_epsilon (item (late, "5.4")->points, 5, EPS);
  g_assert_cmpfloat_with_epsilon (late->score, (20 + 4 + 5 + 3 + 2.0 * 120 / 130) * 100 / 38, EPS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/scorecard/rule", test_rule);
  g_test_add_func ("/ioc/scorecard/periods", test_periods);
  g_test_add_func ("/ioc/scorecard/compute-statuses", test_compute_statuses);
  g_test_add_func ("/ioc/scorecard/hub-values", test_hub_values);
  g_test_add_func ("/ioc/scorecard/feed", test_feed);
  g_test_add_func ("/ioc/scorecard/rank", test_rank);
  g_test_add_func ("/ioc/scorecard/scenario", test_scenario);
  return g_test_run ();
}
