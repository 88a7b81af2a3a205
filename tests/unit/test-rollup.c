/* test-rollup.c — minute windows with allowed lateness, late rewrites,
 * the horizon, unit=all, percentiles, gauge sampling, live window and
 * snapshot round trip.  Time is a manual IocClock; nothing sleeps. */
#include <math.h>
#include <string.h>

#include "aggregate/rollup.h"
#include "model/clock.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"

#define SEC G_USEC_PER_SEC
#define MINUTE G_TIME_SPAN_MINUTE
/* 2025-07-01 08:00:00 UTC, a minute boundary. */
#define T0 ((gint64) 1751356800 * SEC)

typedef struct
{
  IocClock *clock;
  IocRollup *rollup;
  GArray *points; /* IocPoint */
} Fixture;

static void
collect_cb (const IocPoint *p, gpointer user_data)
{
  Fixture *fx = user_data;
  g_array_append_val (fx->points, *p);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  const IocRollupOptions *opts = data;
  fx->clock = ioc_clock_new_manual (T0);
  fx->rollup = ioc_rollup_new (opts, collect_cb, fx);
  fx->points = g_array_new (FALSE, TRUE, sizeof (IocPoint));
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  ioc_rollup_free (fx->rollup);
  ioc_clock_free (fx->clock);
  g_array_unref (fx->points);
}

static void
tick_at (Fixture *fx, gint64 now)
{
  ioc_clock_set (fx->clock, now);
  ioc_rollup_tick (fx->rollup, ioc_clock_now (fx->clock));
}

static void
count (Fixture *fx, IocMeasurement m, guint field, const gchar *unit, guint8 channel, gint64 ts, gint64 delta)
{
  IocFact f = { .measurement = m, .kind = IOC_FACT_COUNT, .field = field, .unit = ioc_intern (unit),
                .channel = channel, .ts_us = ts, .delta = delta };
  ioc_rollup_add (fx->rollup, &f);
}

static void
sample (Fixture *fx, guint sketch, const gchar *unit, gint64 ts, gdouble v)
{
  IocFact f = { .measurement = IOC_MEAS_QUEUE, .kind = IOC_FACT_SAMPLE, .field = sketch,
                .unit = ioc_intern (unit), .ts_us = ts, .sample = v };
  ioc_rollup_add (fx->rollup, &f);
}

static void
gauge (IocRollup *r, IocMeasurement m, guint field, const gchar *unit, gint64 ts, gint64 v)
{
  IocFact f = { .measurement = m, .kind = IOC_FACT_GAUGE, .field = field, .unit = ioc_intern (unit),
                .ts_us = ts, .delta = v };
  ioc_rollup_add (r, &f);
}

static const IocPoint *
find_point (Fixture *fx, IocMeasurement m, const gchar *unit, guint8 channel, gint64 ts)
{
  const IocPoint *found = NULL;
  for (guint i = 0; i < fx->points->len; i++)
    {
      const IocPoint *p = &g_array_index (fx->points, IocPoint, i);
      if (p->measurement == m && g_strcmp0 (p->unit, unit) == 0 && p->channel == channel && p->ts_us == ts)
        found = p; /* the latest emission */
    }
  return found;
}

static gint64
stat (const gchar *name)
{
  return ioc_stats_lookup (name, NULL);
}

/* ---- minute closing ---- */

typedef struct
{
  const gchar *name;
  gint64 lateness_us;
  gint64 tick_after_end_us; /* tick at minute end + this */
  guint want_points;        /* unit + all, or nothing */
} CloseCase;

static const CloseCase close_cases[] = {
  { "before-end", 10 * SEC, -1 * SEC, 0 },
  { "at-end", 10 * SEC, 0, 0 },
  { "one-us-before-lateness", 10 * SEC, 10 * SEC - 1, 0 },
  { "exactly-end-plus-lateness", 10 * SEC, 10 * SEC, 2 },
  { "later", 10 * SEC, 45 * SEC, 2 },
  { "zero-lateness-at-end", 0, 0, 2 },
  { "long-lateness", 50 * SEC, 49 * SEC, 0 },
};

static void
test_close (gconstpointer data)
{
  const CloseCase *c = data;
  IocRollupOptions opts = { .lateness_us = c->lateness_us };
  Fixture fx;
  fixture_setup (&fx, &opts);
  if (c->lateness_us == 0)
    {
      /* lateness 0 is honoured, not replaced by the default */
      IocRollupOptions o0 = { .lateness_us = 0 };
      ioc_rollup_free (fx.rollup);
      fx.rollup = ioc_rollup_new (&o0, collect_cb, &fx);
    }
  count (&fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_ISSUED, "xa-17001", 0, T0 + 5 * SEC, 1);
  tick_at (&fx, T0 + 30 * SEC);
  g_assert_cmpuint (fx.points->len, ==, 0);
  tick_at (&fx, T0 + MINUTE + c->tick_after_end_us);
  g_assert_cmpuint (fx.points->len, ==, c->want_points);
  if (c->want_points > 0)
    {
      const IocPoint *p = &g_array_index (fx.points, IocPoint, 0);
      g_assert_cmpint (p->ts_us, ==, T0);
      g_assert_cmpint (p->ints[IOC_F_QUEUE_ISSUED], ==, 1);
      g_assert_cmpstr (p->unit, ==, "xa-17001");
      g_assert_cmpstr (g_array_index (fx.points, IocPoint, 1).unit, ==, "all");
    }
  fixture_teardown (&fx, NULL);
}

/* An emitted minute that gets no new facts is never emitted again. */
static void
test_no_reemission (Fixture *fx, gconstpointer data)
{
  count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_ISSUED, "xa-17001", 0, T0 + 1 * SEC, 1);
  count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_ISSUED, "xa-17001", 0, T0 + MINUTE + 1 * SEC, 1);
  for (gint64 t = T0; t <= T0 + 10 * MINUTE; t += SEC)
    tick_at (fx, t);
  g_assert_cmpuint (fx->points->len, ==, 4);
  g_assert_cmpint (g_array_index (fx->points, IocPoint, 0).ts_us, ==, T0);
  g_assert_cmpint (g_array_index (fx->points, IocPoint, 2).ts_us, ==, T0 + MINUTE);
}

/* SPEC §8: a late event still counts; the corrected point is written again
 * with the same timestamp, for the unit and for unit=all. */
static void
test_late_rewrite (Fixture *fx, gconstpointer data)
{
  count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_CALLED, "xa-17001", 0, T0 + 1 * SEC, 2);
  count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_CALLED, "xa-17002", 0, T0 + 2 * SEC, 3);
  tick_at (fx, T0 + MINUTE + 10 * SEC);
  g_assert_cmpuint (fx->points->len, ==, 3);
  g_assert_cmpint (find_point (fx, IOC_MEAS_QUEUE, "all", 0, T0)->ints[IOC_F_QUEUE_CALLED], ==, 5);

  gint64 rewrites = stat ("iochub_rollup_late_rewrites_total");
  gint64 late = stat ("iochub_rollup_late_facts_total");
  tick_at (fx, T0 + 5 * MINUTE);
  count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_CALLED, "xa-17001", 0, T0 + 59 * SEC, 1);
  g_array_set_size (fx->points, 0);
  tick_at (fx, T0 + 5 * MINUTE + SEC);
  g_assert_cmpuint (fx->points->len, ==, 2);
  const IocPoint *u = &g_array_index (fx->points, IocPoint, 0);
  const IocPoint *a = &g_array_index (fx->points, IocPoint, 1);
  g_assert_cmpstr (u->unit, ==, "xa-17001");
  g_assert_cmpint (u->ts_us, ==, T0);
  g_assert_cmpint (u->ints[IOC_F_QUEUE_CALLED], ==, 3);
  g_assert_cmpstr (a->unit, ==, "all");
  g_assert_cmpint (a->ts_us, ==, T0);
  g_assert_cmpint (a->ints[IOC_F_QUEUE_CALLED], ==, 6);
  g_assert_cmpint (stat ("iochub_rollup_late_rewrites_total") - rewrites, ==, 2);
  g_assert_cmpint (stat ("iochub_rollup_late_facts_total") - late, ==, 1);

  /* A late fact for a unit that had nothing in that minute: new unit
   * point, corrected "all". */
  count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_CALLED, "xa-17003", 0, T0 + 30 * SEC, 4);
  g_array_set_size (fx->points, 0);
  tick_at (fx, T0 + 5 * MINUTE + 2 * SEC);
  g_assert_cmpuint (fx->points->len, ==, 2);
  g_assert_cmpint (find_point (fx, IOC_MEAS_QUEUE, "xa-17003", 0, T0)->ints[IOC_F_QUEUE_CALLED], ==, 4);
  g_assert_cmpint (find_point (fx, IOC_MEAS_QUEUE, "all", 0, T0)->ints[IOC_F_QUEUE_CALLED], ==, 10);
}

static const IocRollupOptions short_horizon = { .horizon_us = G_TIME_SPAN_HOUR };

/* Beyond the horizon: counted, otherwise ignored. */
static void
test_too_late (Fixture *fx, gconstpointer data)
{
  count (fx, IOC_MEAS_RATING, IOC_F_RATING_RATINGS, "xa-17001", 0, T0, 1);
  tick_at (fx, T0 + 3 * G_TIME_SPAN_HOUR);
  g_assert_cmpuint (fx->points->len, ==, 2);
  g_assert_cmpuint (ioc_rollup_n_windows (fx->rollup), ==, 0);
  g_assert_cmpuint (ioc_rollup_n_series (fx->rollup), ==, 1); /* the "all" series stays */

  gint64 too_late = stat ("iochub_rollup_too_late_total");
  count (fx, IOC_MEAS_RATING, IOC_F_RATING_RATINGS, "xa-17001", 0, T0 + 30 * SEC, 1);
  count (fx, IOC_MEAS_RATING, IOC_F_RATING_RATINGS, "xa-17001", 0, T0 + 3 * G_TIME_SPAN_HOUR - 2 * G_TIME_SPAN_HOUR, 1);
  g_assert_cmpint (stat ("iochub_rollup_too_late_total") - too_late, ==, 2);
  /* Just inside the horizon still counts (a connector's offline buffer). */
  count (fx, IOC_MEAS_RATING, IOC_F_RATING_RATINGS, "xa-17001", 0, T0 + 3 * G_TIME_SPAN_HOUR - 50 * MINUTE, 1);
  g_assert_cmpint (stat ("iochub_rollup_too_late_total") - too_late, ==, 2);
  g_array_set_size (fx->points, 0);
  tick_at (fx, T0 + 3 * G_TIME_SPAN_HOUR + SEC);
  g_assert_cmpuint (fx->points->len, ==, 2);
  g_assert_cmpint (g_array_index (fx->points, IocPoint, 0).ts_us, ==, T0 + 2 * G_TIME_SPAN_HOUR + 10 * MINUTE);
}

/* unit=all is the sum of the units; order: measurement, unit, "all" last. */
static void
test_all_is_sum (Fixture *fx, gconstpointer data)
{
  static const struct { const gchar *unit; guint field; gint64 n; } facts[] = {
    { "xa-17003", IOC_F_QUEUE_ISSUED, 4 }, { "xa-17001", IOC_F_QUEUE_ISSUED, 1 },
    { "cq-so-tp", IOC_F_QUEUE_SERVED, 7 }, { "xa-17001", IOC_F_QUEUE_NO_SHOW, 2 },
    { "xa-17003", IOC_F_QUEUE_ISSUED, 5 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (facts); i++)
    count (fx, IOC_MEAS_QUEUE, facts[i].field, facts[i].unit, 0, T0 + i * SEC, facts[i].n);
  count (fx, IOC_MEAS_RATING, IOC_F_RATING_RATINGS, "xa-17001", 0, T0, 1);
  tick_at (fx, T0 + MINUTE + 10 * SEC);

  static const struct { IocMeasurement m; const gchar *unit; } want[] = {
    { IOC_MEAS_QUEUE, "cq-so-tp" }, { IOC_MEAS_QUEUE, "xa-17001" }, { IOC_MEAS_QUEUE, "xa-17003" },
    { IOC_MEAS_QUEUE, "all" }, { IOC_MEAS_RATING, "xa-17001" }, { IOC_MEAS_RATING, "all" },
  };
  g_assert_cmpuint (fx->points->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const IocPoint *p = &g_array_index (fx->points, IocPoint, i);
      g_assert_cmpint (p->measurement, ==, want[i].m);
      g_assert_cmpstr (p->unit, ==, want[i].unit);
    }
  const IocPoint *all = &g_array_index (fx->points, IocPoint, 3);
  g_assert_cmpint (all->ints[IOC_F_QUEUE_ISSUED], ==, 10);
  g_assert_cmpint (all->ints[IOC_F_QUEUE_SERVED], ==, 7);
  g_assert_cmpint (all->ints[IOC_F_QUEUE_NO_SHOW], ==, 2);
  g_assert_cmpint (all->ints[IOC_F_QUEUE_CALLED], ==, 0);
  g_assert_false (all->has_floats[0]);
}

/* wait and service time, median and p90 (SPEC §5), from the sketches,
 * within 1 %, for each unit and for the merge of units. */
static void
test_percentiles (Fixture *fx, gconstpointer data)
{
  /* xa-17001: waits 1..100 s; xa-17002: waits 101..200 s, services
   * 201..300 s. */
  for (guint i = 1; i <= 100; i++)
    {
      sample (fx, IOC_S_QUEUE_WAIT, "xa-17001", T0 + (i % 60) * SEC, i);
      sample (fx, IOC_S_QUEUE_WAIT, "xa-17002", T0 + (i % 60) * SEC, 100 + i);
      sample (fx, IOC_S_QUEUE_SERVICE, "xa-17002", T0 + (i % 60) * SEC, 200 + i);
    }
  tick_at (fx, T0 + MINUTE + 10 * SEC);

  static const struct { const gchar *unit; gdouble p50, p90, s50, s90; gboolean has_service; } want[] = {
    { "xa-17001", 50, 90, 0, 0, FALSE },
    { "xa-17002", 150, 190, 250, 290, TRUE },
    { "all", 100, 180, 250, 290, TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const IocPoint *p = find_point (fx, IOC_MEAS_QUEUE, want[i].unit, 0, T0);
      g_assert_nonnull (p);
      g_assert_true (p->has_floats[0] && p->has_floats[1]);
      g_assert_cmpfloat (fabs (p->floats[0] - want[i].p50), <=, 0.01 * want[i].p50);
      g_assert_cmpfloat (fabs (p->floats[1] - want[i].p90), <=, 0.01 * want[i].p90);
      g_assert_cmpint (p->has_floats[2], ==, want[i].has_service);
      g_assert_cmpint (p->has_floats[3], ==, want[i].has_service);
      if (want[i].has_service)
        {
          g_assert_cmpfloat (fabs (p->floats[2] - want[i].s50), <=, 0.01 * want[i].s50);
          g_assert_cmpfloat (fabs (p->floats[3] - want[i].s90), <=, 0.01 * want[i].s90);
        }
    }
}

/* ---- gauges ---- */

typedef struct
{
  GArray *minutes; /* gint64 minute starts the sampler was called for */
  gint64 value;
} SamplerLog;

static void
sampler_cb (IocRollup *rollup, gint64 minute_start_us, gpointer user_data)
{
  SamplerLog *log = user_data;
  g_array_append_val (log->minutes, minute_start_us);
  gauge (rollup, IOC_MEAS_DEVICE, IOC_F_DEVICE_CAMERAS_ONLINE, "xa-17001", minute_start_us, log->value);
  gauge (rollup, IOC_MEAS_DEVICE, IOC_F_DEVICE_CAMERAS_ONLINE, "xa-17002", minute_start_us, 10);
}

static void
test_gauge_sampler (Fixture *fx, gconstpointer data)
{
  SamplerLog log = { g_array_new (FALSE, FALSE, sizeof (gint64)), 4 };
  ioc_rollup_add_gauge_sampler (fx->rollup, sampler_cb, &log);
  tick_at (fx, T0 + 30 * SEC); /* first tick: the minute before start */
  g_array_set_size (log.minutes, 0);
  g_array_set_size (fx->points, 0);
  for (gint64 t = T0 + 31 * SEC; t <= T0 + 3 * MINUTE + 30 * SEC; t += SEC)
    {
      tick_at (fx, t);
      if (t == T0 + MINUTE + 5 * SEC)
        log.value = 6; /* state changes before minute 0 closes: latest wins */
    }
  /* Once per minute boundary: T0, T0+1, T0+2 ended. */
  g_assert_cmpuint (log.minutes->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (g_array_index (log.minutes, gint64, i), ==, T0 + i * MINUTE);
  const IocPoint *p = find_point (fx, IOC_MEAS_DEVICE, "xa-17001", 0, T0);
  g_assert_nonnull (p);
  g_assert_cmpint (p->ints[IOC_F_DEVICE_CAMERAS_ONLINE], ==, 4);
  g_assert_cmpint (find_point (fx, IOC_MEAS_DEVICE, "all", 0, T0)->ints[IOC_F_DEVICE_CAMERAS_ONLINE], ==, 14);
  g_assert_cmpint (find_point (fx, IOC_MEAS_DEVICE, "all", 0, T0 + MINUTE)->ints[IOC_F_DEVICE_CAMERAS_ONLINE], ==, 16);

  /* A gauge set again in an open minute replaces the unit's value, and
   * "all" follows (sum of latest values, not of every sample). */
  gauge (fx->rollup, IOC_MEAS_DEVICE, IOC_F_DEVICE_CAMERAS_ONLINE, "xa-17009", T0 + 3 * MINUTE, 1);
  gauge (fx->rollup, IOC_MEAS_DEVICE, IOC_F_DEVICE_CAMERAS_ONLINE, "xa-17009", T0 + 3 * MINUTE, 2);
  g_array_set_size (fx->points, 0);
  tick_at (fx, T0 + 4 * MINUTE + 10 * SEC);
  g_assert_cmpint (find_point (fx, IOC_MEAS_DEVICE, "all", 0, T0 + 3 * MINUTE)->ints[IOC_F_DEVICE_CAMERAS_ONLINE], ==, 6 + 10 + 2);
  g_array_unref (log.minutes);
}

/* ---- live window ---- */

static void
test_live (Fixture *fx, gconstpointer data)
{
  IocPoint p;
  g_assert_false (ioc_rollup_live (fx->rollup, IOC_MEAS_QUEUE, "xa-17001", 0, T0, &p));
  /* One ticket a second from T0 to T0+29 s at xa-17001, two at xa-17002. */
  for (gint64 s = 0; s < 30; s++)
    {
      count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_ISSUED, "xa-17001", 0, T0 + s * SEC + 300000, 1);
      count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_ISSUED, "xa-17002", 0, T0 + s * SEC, 2);
    }
  static const struct { gint64 now; const gchar *unit; gint64 want; } cases[] = {
    { T0 + 30 * SEC, "xa-17001", 10 }, /* seconds 20..29 */
    { T0 + 30 * SEC, "xa-17002", 20 },
    { T0 + 30 * SEC, "all", 30 },
    { T0 + 35 * SEC, "xa-17001", 5 },  /* 25..29 */
    { T0 + 45 * SEC, "all", 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_true (ioc_rollup_live (fx->rollup, IOC_MEAS_QUEUE, cases[i].unit, 0, cases[i].now, &p));
      g_assert_cmpint (p.ints[IOC_F_QUEUE_ISSUED], ==, cases[i].want);
    }
  /* A late fact for the live range counts; one older than the ring does not
   * disturb it. */
  count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_ISSUED, "xa-17001", 0, T0 + 25 * SEC, 100);
  count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_ISSUED, "xa-17001", 0, T0 + 2 * SEC, 1000);
  g_assert_true (ioc_rollup_live (fx->rollup, IOC_MEAS_QUEUE, "xa-17001", 0, T0 + 30 * SEC, &p));
  g_assert_cmpint (p.ints[IOC_F_QUEUE_ISSUED], ==, 110);
}

/* ---- channels ---- */

static void
test_channels (Fixture *fx, gconstpointer data)
{
  static const struct { const gchar *unit; guint8 channel; gint64 n; } facts[] = {
    { "xa-17001", 1, 3 }, { "xa-17001", 2, 5 }, { "xa-17002", 2, 7 }, { "xa-17002", 3, 1 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (facts); i++)
    count (fx, IOC_MEAS_DOSSIER, IOC_F_DOSSIER_RECEIVED, facts[i].unit, facts[i].channel, T0, facts[i].n);
  gauge (fx->rollup, IOC_MEAS_DOSSIER, IOC_F_DOSSIER_OPEN, "xa-17001", T0, 40);
  tick_at (fx, T0 + MINUTE + 10 * SEC);
  static const struct { const gchar *unit; guint8 channel; gint64 received; } want[] = {
    { "xa-17001", 0, 0 }, { "xa-17001", 1, 3 }, { "xa-17001", 2, 5 }, { "xa-17002", 2, 7 },
    { "xa-17002", 3, 1 }, { "all", 0, 0 }, { "all", 1, 3 }, { "all", 2, 12 }, { "all", 3, 1 },
  };
  g_assert_cmpuint (fx->points->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const IocPoint *p = &g_array_index (fx->points, IocPoint, i);
      g_assert_cmpstr (p->unit, ==, want[i].unit);
      g_assert_cmpint (p->channel, ==, want[i].channel);
      g_assert_cmpint (p->ints[IOC_F_DOSSIER_RECEIVED], ==, want[i].received);
    }
  g_assert_cmpint (find_point (fx, IOC_MEAS_DOSSIER, "all", 0, T0)->ints[IOC_F_DOSSIER_OPEN], ==, 40);
}

/* ---- snapshot ---- */

static void
feed_some (Fixture *fx, gint64 base)
{
  for (guint i = 0; i < 50; i++)
    {
      const gchar *unit = i % 3 ? "xa-17001" : "xa-17002";
      count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_CALLED, unit, 0, base + i * 7 * SEC, 1);
      sample (fx, IOC_S_QUEUE_WAIT, unit, base + i * 7 * SEC, 10 + i);
      count (fx, IOC_MEAS_DOSSIER, IOC_F_DOSSIER_RECEIVED, unit, 1 + i % 3, base + i * 5 * SEC, 1);
    }
}

static gboolean
points_equal (GArray *a, GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (IocPoint)) == 0;
}

/* Save, load into a fresh rollup, tick: the same points as without the
 * restart; minutes emitted before the snapshot are not emitted again. */
static void
test_save_load (Fixture *fx, gconstpointer data)
{
  feed_some (fx, T0);
  tick_at (fx, T0 + 3 * MINUTE + 10 * SEC); /* closes minutes 0..2 */
  feed_some (fx, T0 + 3 * MINUTE);          /* minutes 3..8 open */
  count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_CALLED, "xa-17001", 0, T0 + 30 * SEC, 1); /* late for minute 0 */

  g_autoptr (GByteArray) snap = g_byte_array_new ();
  ioc_rollup_save (fx->rollup, snap);

  Fixture restored;
  fixture_setup (&restored, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_rollup_load (restored.rollup, snap->data, snap->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ioc_rollup_n_series (restored.rollup), ==, ioc_rollup_n_series (fx->rollup));
  g_assert_cmpuint (ioc_rollup_n_windows (restored.rollup), ==, ioc_rollup_n_windows (fx->rollup));

  g_array_set_size (fx->points, 0);
  tick_at (fx, T0 + 20 * MINUTE);
  tick_at (&restored, T0 + 20 * MINUTE);
  g_assert_cmpuint (fx->points->len, >, 0);
  g_assert_true (points_equal (fx->points, restored.points));
  /* Minute 0 only for the late fact's unit and all; minutes 1, 2 not again. */
  for (guint i = 0; i < restored.points->len; i++)
    {
      const IocPoint *p = &g_array_index (restored.points, IocPoint, i);
      g_assert_true (p->ts_us == T0 ? p->measurement == IOC_MEAS_QUEUE : p->ts_us >= T0 + 3 * MINUTE);
    }
  g_assert_nonnull (find_point (&restored, IOC_MEAS_QUEUE, "xa-17001", 0, T0));

  /* Afterwards both behave alike, and a second save is byte-identical in
   * size (hash order may differ). */
  g_array_set_size (fx->points, 0);
  g_array_set_size (restored.points, 0);
  tick_at (fx, T0 + 21 * MINUTE);
  tick_at (&restored, T0 + 21 * MINUTE);
  g_assert_cmpuint (restored.points->len, ==, 0);
  g_autoptr (GByteArray) snap2 = g_byte_array_new ();
  ioc_rollup_save (restored.rollup, snap2);
  g_autoptr (GByteArray) snap1 = g_byte_array_new ();
  ioc_rollup_save (fx->rollup, snap1);
  g_assert_cmpuint (snap1->len, ==, snap2->len);
  fixture_teardown (&restored, NULL);
}

/* A corrupt or truncated snapshot is refused and leaves the rollup as it was. */
static void
test_load_corrupt (Fixture *fx, gconstpointer data)
{
  feed_some (fx, T0);
  g_autoptr (GByteArray) snap = g_byte_array_new ();
  ioc_rollup_save (fx->rollup, snap);
  guint windows = ioc_rollup_n_windows (fx->rollup);
  for (guint len = 0; len < snap->len; len += 1 + len / 8)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (ioc_rollup_load (fx->rollup, snap->data, len, &error));
      g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
      g_assert_cmpuint (ioc_rollup_n_windows (fx->rollup), ==, windows);
    }
  snap->data[0] ^= 0xff;
  g_assert_false (ioc_rollup_load (fx->rollup, snap->data, snap->len, NULL));
  tick_at (fx, T0 + 30 * MINUTE);
  g_assert_cmpuint (fx->points->len, >, 0);
}

/* Facts out of event-time order land in their own minutes. */
static void
test_out_of_order (Fixture *fx, gconstpointer data)
{
  static const gint64 offsets_s[] = { 130, 5, 65, 200, 0, 61, 129, 59 };
  for (guint i = 0; i < G_N_ELEMENTS (offsets_s); i++)
    count (fx, IOC_MEAS_QUEUE, IOC_F_QUEUE_ISSUED, "xa-17001", 0, T0 + offsets_s[i] * SEC, 1);
  tick_at (fx, T0 + 10 * MINUTE);
  static const gint64 want[] = { 3, 2, 2, 1 }; /* minutes 0..3 */
  for (guint m = 0; m < G_N_ELEMENTS (want); m++)
    g_assert_cmpint (find_point (fx, IOC_MEAS_QUEUE, "xa-17001", 0, T0 + m * MINUTE)->ints[0], ==, want[m]);
  /* emitted in minute order */
  for (guint i = 1; i < fx->points->len; i++)
    g_assert_cmpint (g_array_index (fx->points, IocPoint, i - 1).ts_us, <=, g_array_index (fx->points, IocPoint, i).ts_us);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (close_cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/ioc/rollup/close/%s", close_cases[i].name);
      g_test_add_data_func (path, &close_cases[i], test_close);
    }
#define ADD(path, fn, opts) g_test_add ("/ioc/rollup/" path, Fixture, opts, fixture_setup, fn, fixture_teardown)
  ADD ("no-reemission", test_no_reemission, NULL);
  ADD ("late-rewrite", test_late_rewrite, NULL);
  ADD ("too-late", test_too_late, &short_horizon);
  ADD ("all-is-sum", test_all_is_sum, NULL);
  ADD ("percentiles", test_percentiles, NULL);
  ADD ("gauge-sampler", test_gauge_sampler, NULL);
  ADD ("live", test_live, NULL);
  ADD ("channels", test_channels, NULL);
  ADD ("save-load", test_save_load, NULL);
  ADD ("load-corrupt", test_load_corrupt, NULL);
  ADD ("out-of-order", test_out_of_order, NULL);
  return g_test_run ();
}
