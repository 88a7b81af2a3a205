/* test-dossier-tracker.c — the dossier rules of docs/DOSSIERS.md with
 * hand-computed expectations.  Time is passed explicitly (a manual clock);
 * nothing sleeps.  Calendar: Sat/Sun off, 07:30-11:30 + 13:30-17:00 (7.5 h),
 * the real 2025/2026 swaps that the cases cross. */
#include <glib.h>
#include <string.h>

#include "aggregate/dossier-tracker.h"
#include "model/clock.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "state/snapcodec.h"

static const gchar test_cal[] =
  "[calendar]\nweekend = sat,sun\nhours = 07:30-11:30,13:30-17:00\n"
  "[holidays]\n2025-04-30..2025-05-02 = 30/4-1/5\n"
  "2026-01-01..2026-01-02 = Tết Dương lịch\n"
  "2026-02-14..2026-02-22 = Tết Nguyên đán Bính Ngọ\n"
  "[workdays]\n2025-04-26 = làm bù\n2026-01-10 = làm bù\n";

static const gchar test_procs[] =
  "[procedures]\ndefault = 3wd\nP-3WD = 3wd\nP-1WD = 1wd\nP-4H = 4h\nP-10D = 10d\n";

#define MIN_US (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)
#define UNIT_A "xa-16681"
#define UNIT_B "xa-16684"

static gint64
vn (gint y, gint mo, gint d, gint h, gint mi)
{
  return ioc_calendar_day_start (ioc_calendar_date_to_day (y, mo, d)) +
         ((gint64) h * 3600 + mi * 60) * G_USEC_PER_SEC;
}

typedef struct
{
  IocCalendar *cal;
  IocProcedures *procs;
  IocDossierTracker *t;
  GArray *facts;
  IocClock *clock;
} Fx;

static void
collect_cb (const IocFact *f, gpointer user_data)
{
  g_array_append_val ((GArray *) user_data, *f);
}

static void
fx_setup (Fx *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  fx->cal = ioc_calendar_load_data ("test.conf", test_cal, sizeof test_cal - 1, &error);
  g_assert_no_error (error);
  fx->procs = ioc_procedures_load_data ("procs.conf", test_procs, sizeof test_procs - 1, &error);
  g_assert_no_error (error);
  fx->facts = g_array_new (FALSE, TRUE, sizeof (IocFact));
  fx->t = ioc_dossier_tracker_new (fx->cal, fx->procs, collect_cb, fx->facts);
  fx->clock = ioc_clock_new_manual (vn (2025, 3, 10, 7, 0));
}

static void
fx_teardown (Fx *fx, gconstpointer data)
{
  ioc_dossier_tracker_free (fx->t);
  ioc_procedures_free (fx->procs);
  ioc_calendar_free (fx->cal);
  g_array_unref (fx->facts);
  ioc_clock_free (fx->clock);
}

typedef struct
{
  const gchar *unit;
  const gchar *procedure;
  gint channel;
  gint64 received;
  gint64 due;
  gint supplements;
  IocTri fee, paid, digitized, e_result;
} Ev;

/* One dossier event at ts into tracker t, seen by the hub at ts (the
 * clock is set to it when that is later). */
static void
ev_into (Fx *fx, IocDossierTracker *t, const gchar *id, gint state, gint64 ts, const Ev *e)
{
  IocRecord *r = g_new0 (IocRecord, 1);
  r->kind = IOC_KIND_PORTAL;
  r->type = IOC_EV_DOSSIER;
  r->unit = e->unit ? e->unit : UNIT_A;
  r->dossier = id;
  r->procedure = e->procedure ? e->procedure : "P-3WD";
  r->state = state;
  r->channel = e->channel ? e->channel : 2;
  r->ts_us = ts;
  r->received_at_us = e->received;
  r->due_at_us = e->due;
  r->supplements = e->supplements;
  r->fee = e->fee;
  r->paid_online = e->paid;
  r->digitized = e->digitized;
  r->e_result = e->e_result;
  if (ioc_clock_now (fx->clock) < ts)
    ioc_clock_set (fx->clock, ts);
  ioc_dossier_tracker_record (t, r, ioc_intern (r->unit), ioc_clock_now (fx->clock));
  g_free (r);
}

static void
ev_full (Fx *fx, const gchar *id, gint state, gint64 ts, const Ev *e)
{
  ev_into (fx, fx->t, id, state, ts, e);
}

static void
ev (Fx *fx, const gchar *id, gint state, gint64 ts, gint64 received, gint supplements)
{
  Ev e = { .received = received, .supplements = supplements, .fee = IOC_TRI_UNSET,
           .paid = IOC_TRI_UNSET, .digitized = IOC_TRI_UNSET, .e_result = IOC_TRI_UNSET };
  ev_full (fx, id, state, ts, &e);
}

static void
sweep_at (Fx *fx, gint64 now)
{
  ioc_clock_set (fx->clock, now);
  ioc_dossier_tracker_sweep (fx->t, ioc_clock_now (fx->clock));
}

/* Sum of deltas of one counter; *n_neg counts retractions. */
static gint64
sum_field (Fx *fx, guint field, gint64 *last_ts, guint *n_neg)
{
  gint64 sum = 0;
  if (n_neg)
    *n_neg = 0;
  for (guint i = 0; i < fx->facts->len; i++)
    {
      const IocFact *f = &g_array_index (fx->facts, IocFact, i);
      if (f->kind != IOC_FACT_COUNT || f->field != field)
        continue;
      g_assert_cmpint (f->measurement, ==, IOC_MEAS_DOSSIER);
      sum += f->delta;
      if (f->delta > 0 && last_ts)
        *last_ts = f->ts_us;
      if (f->delta < 0 && n_neg)
        (*n_neg)++;
    }
  return sum;
}

static IocDossierIndicators
ind (Fx *fx, const gchar *unit, IocPeriod p, gint64 now)
{
  IocDossierIndicators out;
  g_assert_true (ioc_dossier_tracker_indicators (fx->t, unit, p, now, &out));
  return out;
}

/* Completion classes: due 12/3 17:00; early = before the due day, on time
 * = on the due day up to the due instant, late = after it. */
static void
test_completion_classes (Fx *fx, gconstpointer data)
{
  static const struct
  {
    const gchar *name;
    gint end_state;
    gint d, h, mi;
    guint want_field;
    gint64 want_overdue;
  } cases[] = {
    { "9 the day before", 9, 11, 10, 0, IOC_F_DOSSIER_COMPLETED_EARLY, 0 },
    { "9 on the due day", 9, 12, 9, 0, IOC_F_DOSSIER_COMPLETED_ONTIME, 0 },
    { "9 at the due instant", 9, 12, 17, 0, IOC_F_DOSSIER_COMPLETED_ONTIME, 0 },
    { "9 the day after", 9, 13, 8, 0, IOC_F_DOSSIER_COMPLETED_LATE, 1 },
    { "10 without 9", 10, 11, 10, 0, IOC_F_DOSSIER_COMPLETED_EARLY, 0 },
    { "withdrawn (7)", 7, 12, 9, 0, IOC_F_DOSSIER_COMPLETED_ONTIME, 0 },
    { "stopped (8) late", 8, 14, 9, 0, IOC_F_DOSSIER_COMPLETED_LATE, 1 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *id = g_strdup_printf ("D-%u", i);
      gint64 recv = vn (2025, 3, 10, 8, 0);
      gint64 due = vn (2025, 3, 12, 17, 0);
      gint64 end = vn (2025, 3, cases[i].d, cases[i].h, cases[i].mi);
      g_array_set_size (fx->facts, 0);
      Ev e = { .received = recv, .due = due, .supplements = -1, .fee = IOC_TRI_UNSET,
               .paid = IOC_TRI_UNSET, .digitized = IOC_TRI_UNSET, .e_result = IOC_TRI_UNSET };
      ev_full (fx, id, 2, recv, &e);
      ev_full (fx, id, 4, recv + 60 * MIN_US, &e);
      ev_full (fx, id, cases[i].end_state, end, &e);
      gint64 ts = 0, over_ts = 0;
      for (guint f = IOC_F_DOSSIER_COMPLETED_EARLY; f <= IOC_F_DOSSIER_COMPLETED_LATE; f++)
        {
          gint64 got = sum_field (fx, f, &ts, NULL);
          if (got != (f == cases[i].want_field ? 1 : 0))
            g_error ("%s: field %u = %" G_GINT64_FORMAT, cases[i].name, f, got);
        }
      sum_field (fx, cases[i].want_field, &ts, NULL);
      g_assert_cmpint (ts, ==, end);
      g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, &over_ts, NULL), ==, cases[i].want_overdue);
      if (cases[i].want_overdue)
        g_assert_cmpint (over_ts, ==, due);
      g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_RECEIVED, &ts, NULL), ==, 1);
      g_assert_cmpint (ts, ==, recv);
    }
}

/* due_at absent: received_at + the procedure's statutory time. */
static void
test_due_from_procedure (Fx *fx, gconstpointer data)
{
  struct
  {
    const gchar *name, *procedure;
    gint64 received, want_due;
  } rows[] = {
    { "3 wd: mon 10:00 → thu 10:00", "P-3WD", vn (2025, 3, 10, 10, 0), vn (2025, 3, 13, 10, 0) },
    { "4 h: mon 10:00 → 16:00 (lunch skipped)", "P-4H", vn (2025, 3, 10, 10, 0), vn (2025, 3, 10, 16, 0) },
    { "1 wd after hours: fri 17:30 → mon 17:00", "P-1WD", vn (2025, 3, 14, 17, 30), vn (2025, 3, 17, 17, 0) },
    { "unknown procedure: default 3 wd", "P-NONE", vn (2025, 3, 10, 10, 0), vn (2025, 3, 13, 10, 0) },
    { "10 calendar days ending in Tết → end of mon 23/2", "P-10D", vn (2026, 2, 5, 10, 0), vn (2026, 2, 23, 17, 0) },
  };
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree gchar *id = g_strdup_printf ("P-%u", i);
      Ev e = { .procedure = rows[i].procedure, .received = rows[i].received, .supplements = -1,
               .fee = IOC_TRI_UNSET, .paid = IOC_TRI_UNSET, .digitized = IOC_TRI_UNSET,
               .e_result = IOC_TRI_UNSET };
      ev_full (fx, id, 2, rows[i].received, &e);
      IocDossierInfo info;
      g_assert_true (ioc_dossier_tracker_lookup (fx->t, id, &info));
      if (info.due_us != rows[i].want_due)
        g_error ("%s: due off by %" G_GINT64_FORMAT " min", rows[i].name, (info.due_us - rows[i].want_due) / MIN_US);
    }
  /* Without a procedures file: the built-in 5 working days. */
  g_autoptr (IocDossierTracker) t = ioc_dossier_tracker_new (fx->cal, NULL, NULL, NULL);
  IocRecord *r = g_new0 (IocRecord, 1);
  r->dossier = "X";
  r->procedure = "P-3WD";
  r->state = 2;
  r->channel = 1;
  r->ts_us = r->received_at_us = vn (2025, 3, 10, 10, 0);
  r->supplements = -1;
  r->fee = r->paid_online = r->digitized = r->e_result = IOC_TRI_UNSET;
  ioc_dossier_tracker_record (t, r, ioc_intern (UNIT_A), r->ts_us);
  g_free (r);
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (t, "X", &info));
  g_assert_cmpint (info.due_us, ==, vn (2025, 3, 17, 10, 0));
}

/* A dossier that finishes leaves its deadline timers behind, due days
 * later; it leaves memory sooner (keep_finished_dossiers).  20,000 dossiers
 * received and finished a second later must not leave 40,000 timers (the
 * soak's creep): the timers follow the dossiers held, and the deadline of
 * one still open still fires. */
static void
test_timers_follow_dossiers (Fx *fx, gconstpointer data)
{
  ioc_dossier_tracker_set_retention (fx->t, MIN_US, 0);
  gint64 t = vn (2025, 3, 10, 8, 0);
  ev (fx, "OPEN", 2, t, t, 0);
  for (guint i = 0; i < 20000; i++)
    {
      g_autofree gchar *id = g_strdup_printf ("T%u", i);
      ev (fx, id, 2, t, t, 0);
      ev (fx, id, 10, t + G_USEC_PER_SEC, t, 0);
      t += G_USEC_PER_SEC;
      if (i % 100 == 99)
        sweep_at (fx, t);
    }
  g_assert_cmpuint (ioc_dossier_tracker_n_tracked (fx->t), <, 200);
  g_assert_cmpuint (ioc_dossier_tracker_n_timers (fx->t), <, 8000);
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (fx->t, "OPEN", &info));
  sweep_at (fx, info.due_us + 1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 1);
}

/* One supplement request pauses the clock: received Mon 10/3 08:00, 3 wd →
 * Thu 13/3 08:00.  Request Tue 08:00, supplement in Thu 10:00: paused
 * 7 + 7.5 + 2.5 = 17 working hours → due Mon 17/3 10:00. */
static void
test_supplement_pause (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2025, 3, 10, 8, 0);
  ev (fx, "S", 2, recv, recv, 0);
  ev (fx, "S", 5, vn (2025, 3, 11, 8, 0), recv, 1);
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (fx->t, "S", &info));
  g_assert_true (info.is_paused);
  /* Past the original deadline while paused: not overdue. */
  sweep_at (fx, vn (2025, 3, 13, 9, 0));
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 0);
  g_assert_cmpint (ind (fx, UNIT_A, IOC_PERIOD_DAY, vn (2025, 3, 13, 9, 0)).open_overdue, ==, 0);
  ev (fx, "S", 4, vn (2025, 3, 13, 10, 0), recv, 1);
  g_assert_true (ioc_dossier_tracker_lookup (fx->t, "S", &info));
  g_assert_false (info.is_paused);
  g_assert_cmpint (info.due_us, ==, vn (2025, 3, 17, 10, 0));
  sweep_at (fx, vn (2025, 3, 17, 10, 0));
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 0);
  sweep_at (fx, vn (2025, 3, 17, 10, 0) + 1);
  gint64 ts = 0;
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, &ts, NULL), ==, 1);
  g_assert_cmpint (ts, ==, vn (2025, 3, 17, 10, 0));
  sweep_at (fx, vn (2025, 3, 18, 10, 0));
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 1);
}

/* A second supplement request makes the dossier overdue at once. */
static void
test_second_supplement (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2025, 3, 10, 8, 0);
  ev (fx, "S2", 2, recv, recv, 0);
  ev (fx, "S2", 5, vn (2025, 3, 11, 8, 0), recv, 1);
  ev (fx, "S2", 4, vn (2025, 3, 11, 10, 0), recv, 1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 0);
  ev (fx, "S2", 5, vn (2025, 3, 11, 14, 0), recv, 2);
  gint64 ts = 0;
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, &ts, NULL), ==, 1);
  g_assert_cmpint (ts, ==, vn (2025, 3, 11, 14, 0));
  g_assert_cmpint (ind (fx, UNIT_A, IOC_PERIOD_DAY, vn (2025, 3, 11, 14, 0)).open_overdue, ==, 1);
  /* Later sweeps, a third request, the deadline: still once. */
  sweep_at (fx, vn (2025, 3, 12, 9, 0));
  ev (fx, "S2", 4, vn (2025, 3, 12, 10, 0), recv, 2);
  ev (fx, "S2", 5, vn (2025, 3, 12, 11, 0), recv, 3);
  sweep_at (fx, vn (2025, 3, 14, 9, 0));
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 1);
  /* Finished before the deadline, it is still late. */
  ev (fx, "S2", 9, vn (2025, 3, 14, 10, 0), recv, 3);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_LATE, NULL, NULL), ==, 1);

  /* Known only from the `supplements` count of a later event. */
  g_array_set_size (fx->facts, 0);
  ev (fx, "S3", 2, recv, recv, 0);
  ev (fx, "S3", 4, vn (2025, 3, 12, 9, 0), recv, 2);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, &ts, NULL), ==, 1);
  g_assert_cmpint (ts, ==, vn (2025, 3, 12, 9, 0));
}

/* Tết across a deadline: Thu 12/2/2026 10:00 + 3 wd → Tue 24/2 10:00. */
static void
test_holiday_tet (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2026, 2, 12, 10, 0);
  ev (fx, "T", 2, recv, recv, -1);
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (fx->t, "T", &info));
  g_assert_cmpint (info.due_us, ==, vn (2026, 2, 24, 10, 0));
  sweep_at (fx, vn (2026, 2, 20, 12, 0));
  sweep_at (fx, vn (2026, 2, 24, 10, 0));
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 0);
  sweep_at (fx, vn (2026, 2, 24, 10, 1));
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 1);
}

/* A make-up Saturday is a working day. */
static void
test_makeup_saturday (Fx *fx, gconstpointer data)
{
  Ev e = { .procedure = "P-1WD", .received = vn (2026, 1, 9, 10, 0), .supplements = -1,
           .fee = IOC_TRI_UNSET, .paid = IOC_TRI_UNSET, .digitized = IOC_TRI_UNSET, .e_result = IOC_TRI_UNSET };
  ev_full (fx, "M1", 2, e.received, &e);
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (fx->t, "M1", &info));
  g_assert_cmpint (info.due_us, ==, vn (2026, 1, 10, 10, 0));
  /* Finished on the make-up Saturday morning: on time, not late. */
  ev_full (fx, "M1", 9, vn (2026, 1, 10, 9, 0), &e);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_ONTIME, NULL, NULL), ==, 1);
  /* 2025: Fri 25/4 + 1 wd = Sat 26/4; + 2 wd = Mon 5/5 (30/4..4/5 off). */
  e.received = vn (2025, 4, 25, 10, 0);
  ev_full (fx, "M2", 2, e.received, &e);
  g_assert_true (ioc_dossier_tracker_lookup (fx->t, "M2", &info));
  g_assert_cmpint (info.due_us, ==, vn (2025, 4, 26, 10, 0));
  e.procedure = "P-2";
  e.due = vn (2025, 4, 29, 17, 0); /* source due_at wins over the procedure */
  ev_full (fx, "M3", 2, e.received, &e);
  g_assert_true (ioc_dossier_tracker_lookup (fx->t, "M3", &info));
  g_assert_cmpint (info.due_us, ==, vn (2025, 4, 29, 17, 0));
}

/* State 10 arrives before 4 and 2: the later state stays. */
static void
test_out_of_order (Fx *fx, gconstpointer data)
{
  gint64 stale0 = ioc_stats_lookup ("iochub_dossier_stale_events_total", NULL);
  gint64 recv = vn (2025, 3, 10, 8, 0);
  ev (fx, "O", 10, vn (2025, 3, 12, 9, 0), recv, -1);
  ev (fx, "O", 4, vn (2025, 3, 10, 9, 0), recv, -1);
  ev (fx, "O", 2, recv, recv, -1);
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (fx->t, "O", &info));
  g_assert_cmpint (info.state, ==, 10);
  g_assert_false (info.is_open);
  g_assert_cmpint (ioc_stats_lookup ("iochub_dossier_stale_events_total", NULL) - stale0, ==, 2);
  guint neg = 0;
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_RECEIVED, NULL, &neg), ==, 1);
  g_assert_cmpint (neg, ==, 0);
  /* due Thu 13/3 08:00; returned Wed → early. */
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_EARLY, NULL, &neg), ==, 1);
  g_assert_cmpint (neg, ==, 0);
  g_assert_cmpint (ind (fx, UNIT_A, IOC_PERIOD_DAY, vn (2025, 3, 12, 9, 0)).open, ==, 0);
}

/* Every event twice: counted once, no corrections. */
static void
test_duplicates (Fx *fx, gconstpointer data)
{
  gint64 dup0 = ioc_stats_lookup ("iochub_dossier_duplicate_events_total", NULL);
  gint64 recv = vn (2025, 3, 10, 8, 0);
  for (guint k = 0; k < 2; k++)
    {
      ev (fx, "DUP", 2, recv, recv, -1);
      ev (fx, "DUP", 2, recv, recv, -1);
      ev (fx, "DUP", 9, vn (2025, 3, 14, 9, 0), recv, -1);
    }
  g_assert_cmpint (ioc_stats_lookup ("iochub_dossier_duplicate_events_total", NULL) - dup0, ==, 4);
  guint neg = 0;
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_RECEIVED, NULL, &neg), ==, 1);
  g_assert_cmpint (neg, ==, 0);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_LATE, NULL, &neg), ==, 1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, &neg), ==, 1);
  g_assert_cmpint (neg, ==, 0);
  g_assert_cmpint (fx->facts->len, ==, 3);
}

/* A late event reopens a finished dossier, or moves its end earlier. */
static void
test_reopened (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2025, 3, 10, 8, 0); /* due Thu 13/3 08:00 */
  ev (fx, "R", 2, recv, recv, -1);
  ev (fx, "R", 9, vn (2025, 3, 11, 10, 0), recv, -1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_EARLY, NULL, NULL), ==, 1);
  ev (fx, "R", 4, vn (2025, 3, 11, 15, 0), recv, -1);
  /* Taken back at the original ts. */
  guint neg = 0;
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_EARLY, NULL, &neg), ==, 0);
  g_assert_cmpint (neg, ==, 1);
  const IocFact *last = &g_array_index (fx->facts, IocFact, fx->facts->len - 1);
  g_assert_cmpint (last->delta, ==, -1);
  g_assert_cmpint (last->ts_us, ==, vn (2025, 3, 11, 10, 0));
  g_assert_cmpint (last->channel, ==, 2);
  g_assert_cmpint (ind (fx, UNIT_A, IOC_PERIOD_DAY, vn (2025, 3, 11, 15, 0)).open, ==, 1);
  sweep_at (fx, vn (2025, 3, 13, 8, 1));
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 1);
  ev (fx, "R", 10, vn (2025, 3, 14, 9, 0), recv, -1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_LATE, NULL, NULL), ==, 1);

  /* 10 on Fri (late), then the 9 of Wed arrives: early after all. */
  g_array_set_size (fx->facts, 0);
  ev (fx, "R2", 2, recv, recv, -1);
  ev (fx, "R2", 10, vn (2025, 3, 14, 9, 0), recv, -1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_LATE, NULL, NULL), ==, 1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 1);
  ev (fx, "R2", 9, vn (2025, 3, 12, 16, 0), recv, -1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_LATE, NULL, &neg), ==, 0);
  g_assert_cmpint (neg, ==, 1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, &neg), ==, 0);
  g_assert_cmpint (neg, ==, 1);
  gint64 ts = 0;
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_COMPLETED_EARLY, &ts, NULL), ==, 1);
  g_assert_cmpint (ts, ==, vn (2025, 3, 12, 16, 0));
}

/* Open counts on time until its deadline passes; then the sweep alone
 * makes it overdue. */
static void
test_open_until_deadline (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2025, 3, 10, 8, 0); /* due Thu 13/3 08:00 */
  ev (fx, "U", 2, recv, recv, -1);
  sweep_at (fx, vn (2025, 3, 10, 9, 0));
  IocDossierIndicators i = ind (fx, UNIT_A, IOC_PERIOD_DAY, vn (2025, 3, 10, 9, 0));
  g_assert_cmpint (i.open, ==, 1);
  g_assert_cmpint (i.due_soon, ==, 0);
  g_assert_cmpint (i.ontime_num, ==, 1);
  g_assert_cmpint (i.ontime_den, ==, 1);
  /* Wed 09:00 + 1 wd = Thu 09:00 ≥ Thu 08:00: due within one working day. */
  sweep_at (fx, vn (2025, 3, 12, 9, 0));
  i = ind (fx, UNIT_A, IOC_PERIOD_DAY, vn (2025, 3, 12, 9, 0));
  g_assert_cmpint (i.due_soon, ==, 1);
  g_assert_cmpint (i.open_overdue, ==, 0);
  sweep_at (fx, vn (2025, 3, 13, 8, 0) + 1);
  i = ind (fx, "all", IOC_PERIOD_DAY, vn (2025, 3, 13, 9, 0));
  g_assert_cmpint (i.open, ==, 1);
  g_assert_cmpint (i.open_overdue, ==, 1);
  g_assert_cmpint (i.due_soon, ==, 0);
  g_assert_cmpint (i.overdue_entered, ==, 1);
  g_assert_cmpint (i.ontime_num, ==, 0);
  g_assert_cmpint (i.ontime_den, ==, 1);
  gint64 ts = 0;
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, &ts, NULL), ==, 1);
  g_assert_cmpint (ts, ==, vn (2025, 3, 13, 8, 0));
  g_assert_cmpint (ioc_stats_lookup ("iochub_dossiers_open", NULL), >=, 1);
}

/* Day / month / year windows roll over at Vietnam midnight. */
static void
test_indicator_periods (Fx *fx, gconstpointer data)
{
  gint64 t1 = vn (2025, 3, 31, 23, 30), t2 = vn (2025, 4, 1, 0, 30), t0 = vn (2025, 1, 15, 9, 0);
  Ev e = { .channel = 1, .supplements = -1, .fee = IOC_TRI_TRUE, .paid = IOC_TRI_TRUE,
           .digitized = IOC_TRI_TRUE, .e_result = IOC_TRI_UNSET };
  e.received = t0;
  e.unit = UNIT_B;
  ev_full (fx, "I0", 2, t0, &e);
  e.unit = UNIT_A;
  e.received = t1;
  ev_full (fx, "I1", 2, t1, &e);
  e.received = t2;
  e.channel = 2;
  e.paid = IOC_TRI_UNSET;
  e.digitized = IOC_TRI_FALSE;
  e.e_result = IOC_TRI_TRUE;
  ev_full (fx, "I2", 2, t2, &e);

  IocDossierIndicators i = ind (fx, UNIT_A, IOC_PERIOD_DAY, vn (2025, 3, 31, 23, 45));
  g_assert_cmpint (i.received[0], ==, 1);
  i = ind (fx, UNIT_A, IOC_PERIOD_DAY, vn (2025, 4, 1, 8, 0));
  g_assert_cmpint (i.received[0], ==, 1);
  g_assert_cmpint (i.received[2], ==, 1);
  i = ind (fx, UNIT_A, IOC_PERIOD_MONTH, vn (2025, 4, 1, 8, 0));
  g_assert_cmpint (i.received[0], ==, 1);
  i = ind (fx, UNIT_A, IOC_PERIOD_YEAR, vn (2025, 4, 1, 8, 0));
  g_assert_cmpint (i.received[0], ==, 2);
  g_assert_cmpint (i.received[1], ==, 1);
  g_assert_cmpint (i.online_num, ==, 1);
  g_assert_cmpint (i.online_den, ==, 2);
  g_assert_cmpint (i.paid_online_num, ==, 1);
  g_assert_cmpint (i.paid_online_den, ==, 2);
  g_assert_cmpint (i.digitized_num, ==, 1);
  g_assert_cmpint (i.digitized_den, ==, 2);
  g_assert_cmpint (i.e_result_num, ==, 1);
  g_assert_cmpint (i.e_result_den, ==, 1);
  i = ind (fx, "all", IOC_PERIOD_YEAR, vn (2025, 4, 1, 8, 0));
  g_assert_cmpint (i.received[0], ==, 3);
  g_assert_cmpint (i.open, ==, 3);
  i = ind (fx, "all", IOC_PERIOD_MONTH, vn (2025, 3, 31, 23, 45));
  g_assert_cmpint (i.received[0], ==, 1);
  IocDossierIndicators none;
  g_assert_false (ioc_dossier_tracker_indicators (fx->t, "xa-99999", IOC_PERIOD_DAY, t2, &none));
  /* A late flag updates the rate in the dossier's received day. */
  e.paid = IOC_TRI_TRUE;
  ev_full (fx, "I2", 4, vn (2025, 4, 1, 9, 0), &e);
  i = ind (fx, UNIT_A, IOC_PERIOD_DAY, vn (2025, 4, 1, 9, 0));
  g_assert_cmpint (i.paid_online_num, ==, 1);
  g_assert_cmpint (i.paid_online_den, ==, 1);
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_RECEIVED, NULL, NULL), ==, 3);
}

static void
test_sample_gauges (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2025, 3, 10, 8, 0);
  ev (fx, "G1", 2, recv, recv, -1);
  ev (fx, "G2", 2, recv, recv, -1);
  g_autoptr (GArray) g = g_array_new (FALSE, TRUE, sizeof (IocFact));
  ioc_dossier_tracker_sample (fx->t, recv, collect_cb, g);
  g_assert_cmpint (g->len, ==, 2); /* open + open_overdue for (A, channel 2) */
  const IocFact *f = &g_array_index (g, IocFact, 0);
  g_assert_cmpint (f->kind, ==, IOC_FACT_GAUGE);
  g_assert_cmpint (f->field, ==, IOC_F_DOSSIER_OPEN);
  g_assert_cmpint (f->delta, ==, 2);
  g_assert_cmpint (f->channel, ==, 2);
  g_assert_cmpstr (f->unit, ==, UNIT_A);
  g_assert_cmpint (f->ts_us, ==, recv);
  ev (fx, "G1", 9, recv + 60 * MIN_US, recv, -1);
  ev (fx, "G2", 9, recv + 60 * MIN_US, recv, -1);
  g_array_set_size (g, 0);
  ioc_dossier_tracker_sample (fx->t, recv + 60 * MIN_US, collect_cb, g);
  g_assert_cmpint (g->len, ==, 2);
  g_assert_cmpint (g_array_index (g, IocFact, 0).delta, ==, 0);
  g_array_set_size (g, 0);
  ioc_dossier_tracker_sample (fx->t, recv + 61 * MIN_US, collect_cb, g);
  g_assert_cmpint (g->len, ==, 0);
}

static void
unit_cb (const gchar *unit, gpointer user_data)
{
  g_ptr_array_add (user_data, (gpointer) unit);
}

/* Finished dossiers leave memory after the retention; a late event for
 * one is then ignored instead of counting a new dossier. */
static void
test_retention (Fx *fx, gconstpointer data)
{
  ioc_dossier_tracker_set_retention (fx->t, G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC,
                                     G_GINT64_CONSTANT (40) * 86400 * G_USEC_PER_SEC);
  gint64 recv = vn (2025, 3, 10, 8, 0);
  ev (fx, "K", 2, recv, recv, -1);
  ev (fx, "K", 9, vn (2025, 3, 10, 9, 0), recv, -1);
  ev (fx, "L", 2, recv, recv, -1);
  g_assert_cmpuint (ioc_dossier_tracker_n_tracked (fx->t), ==, 2);
  sweep_at (fx, vn (2025, 3, 11, 9, 1));
  g_assert_cmpuint (ioc_dossier_tracker_n_tracked (fx->t), ==, 1);
  IocDossierInfo info;
  g_assert_false (ioc_dossier_tracker_lookup (fx->t, "K", &info));
  guint n = fx->facts->len;
  ev (fx, "K", 10, vn (2025, 3, 11, 10, 0), recv, -1);
  g_assert_cmpuint (fx->facts->len, ==, n);
  IocDossierIndicators i = ind (fx, UNIT_A, IOC_PERIOD_MONTH, vn (2025, 3, 11, 10, 0));
  g_assert_cmpint (i.received[0], ==, 2);
  g_assert_cmpint (i.completed_early, ==, 1);
  g_autoptr (GPtrArray) units = g_ptr_array_new ();
  ioc_dossier_tracker_foreach_unit (fx->t, unit_cb, units);
  g_assert_cmpuint (units->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (units, 0), ==, UNIT_A);
}

static void
test_save_load (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2025, 3, 10, 8, 0); /* due Thu 13/3 08:00 */
  ev (fx, "A1", 2, recv, recv, -1);                              /* open */
  ev (fx, "A2", 2, recv, recv, -1);                              /* finished */
  ev (fx, "A2", 9, vn (2025, 3, 11, 9, 0), recv, -1);
  ev (fx, "A3", 2, vn (2025, 3, 5, 8, 0), vn (2025, 3, 5, 8, 0), -1); /* overdue Mon 10/3 08:00 */
  ev (fx, "A4", 5, vn (2025, 3, 10, 10, 0), recv, 1);             /* paused */
  sweep_at (fx, vn (2025, 3, 11, 10, 0));
  g_autoptr (GByteArray) snap = g_byte_array_new ();
  ioc_dossier_tracker_save (fx->t, snap);

  g_autoptr (GArray) facts2 = g_array_new (FALSE, TRUE, sizeof (IocFact));
  g_autoptr (IocDossierTracker) t2 = ioc_dossier_tracker_new (fx->cal, fx->procs, collect_cb, facts2);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_dossier_tracker_load (t2, snap->data, snap->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (facts2->len, ==, 0);
  for (IocPeriod p = IOC_PERIOD_DAY; p <= IOC_PERIOD_YEAR; p++)
    {
      IocDossierIndicators a, b;
      g_assert_true (ioc_dossier_tracker_indicators (fx->t, UNIT_A, p, vn (2025, 3, 11, 10, 0), &a));
      g_assert_true (ioc_dossier_tracker_indicators (t2, UNIT_A, p, vn (2025, 3, 11, 10, 0), &b));
      g_assert_cmpmem (&a, sizeof a, &b, sizeof b);
    }
  IocDossierIndicators b;
  g_assert_true (ioc_dossier_tracker_indicators (t2, UNIT_A, IOC_PERIOD_YEAR, vn (2025, 3, 11, 10, 0), &b));
  g_assert_cmpint (b.open, ==, 3);
  g_assert_cmpint (b.open_overdue, ==, 1);
  g_assert_cmpint (b.received[0], ==, 4);
  /* After the restart the deadline of A1 still fires, once, in the
   * restored tracker only as often as in the original. */
  ioc_dossier_tracker_sweep (t2, vn (2025, 3, 13, 9, 0));
  ioc_dossier_tracker_sweep (t2, vn (2025, 3, 13, 10, 0));
  guint over = 0;
  for (guint i = 0; i < facts2->len; i++)
    if (g_array_index (facts2, IocFact, i).field == IOC_F_DOSSIER_OVERDUE_ENTERED)
      {
        over++;
        g_assert_cmpint (g_array_index (facts2, IocFact, i).ts_us, ==, vn (2025, 3, 13, 8, 0));
      }
  g_assert_cmpuint (over, ==, 1);
  /* A4 (paused) event continues where it left off. */
  IocRecord r = { 0 };
  r.dossier = "A4";
  r.procedure = "P-3WD";
  r.state = 4;
  r.channel = 2;
  r.ts_us = vn (2025, 3, 11, 10, 0);
  r.received_at_us = recv;
  r.supplements = 1;
  r.fee = r.paid_online = r.digitized = r.e_result = IOC_TRI_UNSET;
  ioc_dossier_tracker_record (t2, &r, ioc_intern (UNIT_A), vn (2025, 3, 13, 10, 0));
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (t2, "A4", &info));
  /* Paused 10/3 10:00 → 11/3 10:00 = 7.5 h: due Thu 08:00 → Fri 14/3 08:00. */
  g_assert_cmpint (info.due_us, ==, vn (2025, 3, 14, 8, 0));

  /* Corrupt snapshots are refused. */
  g_autoptr (GError) e2 = NULL;
  g_assert_false (ioc_dossier_tracker_load (t2, snap->data, snap->len - 3, &e2));
  g_assert_error (e2, IOC_ERROR, IOC_ERROR_CORRUPT);
  g_clear_error (&e2);
  guint8 junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  g_assert_false (ioc_dossier_tracker_load (t2, junk, sizeof junk, &e2));
  g_assert_error (e2, IOC_ERROR, IOC_ERROR_CORRUPT);
}

/* An event that carries due_at (0: none) into tracker t. */
static void
ev_due (Fx *fx, IocDossierTracker *t, const gchar *id, gint state, gint64 ts, gint64 received, gint64 due)
{
  Ev e = { .received = received, .due = due, .supplements = -1, .fee = IOC_TRI_UNSET, .paid = IOC_TRI_UNSET,
           .digitized = IOC_TRI_UNSET, .e_result = IOC_TRI_UNSET };
  ev_into (fx, t, id, state, ts, &e);
}

static gint64
due_of (IocDossierTracker *t, const gchar *id)
{
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (t, id, &info));
  return info.due_us;
}

/* due_at comes from the newest event that carries it, whatever the
 * arrival order (docs/DOSSIERS.md), also across a snapshot. */
static void
test_due_out_of_order (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2025, 3, 10, 9, 0);
  gint64 due_x = vn (2025, 3, 13, 17, 0), due_y = vn (2025, 3, 14, 17, 0);
  ev_due (fx, fx->t, "D1", 2, recv, recv, due_x);
  ev_due (fx, fx->t, "D1", 4, vn (2025, 3, 10, 11, 0), recv, 0); /* newest, without due_at */
  /* Arrives last, dated between the two: its due_at is the newest. */
  ev_due (fx, fx->t, "D1", 3, vn (2025, 3, 10, 10, 0), recv, due_y);
  g_assert_cmpint (due_of (fx->t, "D1"), ==, due_y);
  /* An event older than the one due_y came from does not move it. */
  ev_due (fx, fx->t, "D1", 3, vn (2025, 3, 10, 9, 30), recv, vn (2025, 3, 20, 17, 0));
  g_assert_cmpint (due_of (fx->t, "D1"), ==, due_y);

  /* The time due_at came from survives a snapshot. */
  g_autoptr (GByteArray) snap = g_byte_array_new ();
  ioc_dossier_tracker_save (fx->t, snap);
  g_autoptr (IocDossierTracker) t2 = ioc_dossier_tracker_new (fx->cal, fx->procs, NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_dossier_tracker_load (t2, snap->data, snap->len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (due_of (t2, "D1"), ==, due_y);
  ev_due (fx, t2, "D1", 3, vn (2025, 3, 10, 9, 45), recv, vn (2025, 3, 21, 17, 0));
  g_assert_cmpint (due_of (t2, "D1"), ==, due_y);
  gint64 due_z = vn (2025, 3, 17, 17, 0);
  ev_due (fx, t2, "D1", 3, vn (2025, 3, 10, 10, 30), recv, due_z);
  g_assert_cmpint (due_of (t2, "D1"), ==, due_z);
}

/* A section written by the version before due_at had its own time loads,
 * and keeps that version's rule for the dossiers in it. */
static void
test_load_version_1 (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2025, 3, 10, 9, 0), newest = vn (2025, 3, 10, 11, 0);
  gint64 due = vn (2025, 3, 13, 17, 0);
  g_autoptr (GByteArray) v1 = g_byte_array_new ();
  ioc_snap_put_u32 (v1, 0x31544449u); /* "IDT1" */
  ioc_snap_put_u32 (v1, 1);
  ioc_snap_put_u32 (v1, 0); /* units */
  ioc_snap_put_u32 (v1, 1); /* dossiers */
  ioc_snap_put_str (v1, "V1");
  ioc_snap_put_str (v1, UNIT_A);
  ioc_snap_put_str (v1, "P-3WD");
  ioc_snap_put_i64 (v1, recv);   /* received */
  ioc_snap_put_i64 (v1, due);    /* due_at */
  ioc_snap_put_i64 (v1, newest); /* newest event */
  for (guint i = 0; i < 3; i++)  /* second supplement, armed deadline, drop time */
    ioc_snap_put_i64 (v1, 0);
  ioc_snap_put_u8 (v1, 2); /* channel */
  ioc_snap_put_u8 (v1, 0); /* supplements */
  for (guint i = 0; i < 4; i++)
    ioc_snap_put_u8 (v1, 0); /* fee … e_result unset */
  ioc_snap_put_u8 (v1, 2);   /* history */
  ioc_snap_put_i64 (v1, (recv << 4) | 2);
  ioc_snap_put_i64 (v1, (newest << 4) | 4);
  ioc_snap_put_str (v1, NULL); /* nothing emitted */
  for (guint i = 0; i < 3; i++)
    ioc_snap_put_i64 (v1, 0);
  for (guint i = 0; i < 4; i++)
    ioc_snap_put_u8 (v1, 0);
  ioc_snap_put_u32 (v1, 0); /* tombstones */

  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_dossier_tracker_load (fx->t, v1->data, v1->len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (due_of (fx->t, "V1"), ==, due);
  /* Older than the newest event: version 1's rule, due_at stays. */
  ev_due (fx, fx->t, "V1", 3, vn (2025, 3, 10, 10, 0), recv, vn (2025, 3, 20, 17, 0));
  g_assert_cmpint (due_of (fx->t, "V1"), ==, due);
  gint64 moved = vn (2025, 3, 18, 17, 0);
  ev_due (fx, fx->t, "V1", 4, vn (2025, 3, 10, 11, 30), recv, moved);
  g_assert_cmpint (due_of (fx->t, "V1"), ==, moved);
  /* A version this hub does not know yet is refused. */
  v1->data[4] = 9; /* the version, little-endian after the magic */
  g_clear_error (&error);
  g_assert_false (ioc_dossier_tracker_load (fx->t, v1->data, v1->len, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
}

static void
test_reload_calendar (Fx *fx, gconstpointer data)
{
  gint64 recv = vn (2025, 3, 10, 8, 0); /* due Thu 13/3 08:00 */
  ev (fx, "C", 2, recv, recv, -1);
  static const gchar more[] = "[holidays]\n2025-03-12 = test holiday\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocCalendar) cal2 = ioc_calendar_load_data ("c2.conf", more, sizeof more - 1, &error);
  g_assert_no_error (error);
  ioc_dossier_tracker_set_calendar (fx->t, cal2, fx->procs);
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (fx->t, "C", &info));
  g_assert_cmpint (info.due_us, ==, vn (2025, 3, 14, 8, 0));
  sweep_at (fx, vn (2025, 3, 13, 9, 0));
  g_assert_cmpint (sum_field (fx, IOC_F_DOSSIER_OVERDUE_ENTERED, NULL, NULL), ==, 0);
  ioc_dossier_tracker_set_calendar (fx->t, fx->cal, fx->procs);
}

/* Any range of days (a past month, a quarter): counts by the day they
 * belong to; the open stock is the stock now, whatever the range. */
static void
test_indicators_range (Fx *fx, gconstpointer data)
{
  Ev e = { .channel = 2, .supplements = -1, .fee = IOC_TRI_TRUE, .paid = IOC_TRI_TRUE,
           .digitized = IOC_TRI_UNSET, .e_result = IOC_TRI_UNSET };
  gint64 jan = vn (2025, 1, 15, 9, 0), mar = vn (2025, 3, 31, 9, 0), apr = vn (2025, 4, 1, 9, 0);
  e.received = jan;
  ev_full (fx, "R1", 2, jan, &e);
  ev_full (fx, "R1", 10, jan + G_TIME_SPAN_HOUR, &e); /* early */
  e.received = mar;
  e.channel = 1;
  ev_full (fx, "R2", 2, mar, &e);
  e.received = apr;
  e.paid = IOC_TRI_FALSE;
  ev_full (fx, "R3", 2, apr, &e);
  IocDossierIndicators i;
  gint32 q1a = ioc_calendar_date_to_day (2025, 1, 1), q1b = ioc_calendar_date_to_day (2025, 3, 31);
  g_assert_true (ioc_dossier_tracker_indicators_range (fx->t, UNIT_A, q1a, q1b, &i));
  g_assert_cmpint (i.received[0], ==, 2);
  g_assert_cmpint (i.online_num, ==, 1);
  g_assert_cmpint (i.completed_early, ==, 1);
  g_assert_cmpint (i.paid_online_num, ==, 2);
  g_assert_cmpint (i.paid_online_den, ==, 2);
  g_assert_cmpint (i.open, ==, 2); /* R2 and R3, open now */
  g_assert_cmpint (i.ontime_num, ==, 3);
  g_assert_cmpint (i.ontime_den, ==, 3);
  /* February: nothing happened, only the stock. */
  g_assert_true (ioc_dossier_tracker_indicators_range (fx->t, UNIT_A, ioc_calendar_date_to_day (2025, 2, 1),
                                                       ioc_calendar_date_to_day (2025, 2, 28), &i));
  g_assert_cmpint (i.received[0], ==, 0);
  g_assert_cmpint (i.ontime_den, ==, 2);
  /* A range much wider than the days held gives the same as the year. */
  IocDossierIndicators wide, year = ind (fx, UNIT_A, IOC_PERIOD_YEAR, apr);
  g_assert_true (ioc_dossier_tracker_indicators_range (fx->t, UNIT_A, ioc_calendar_date_to_day (2000, 1, 1),
                                                       ioc_calendar_date_to_day (2030, 1, 1), &wide));
  g_assert_cmpint (memcmp (&wide, &year, sizeof wide), ==, 0);
  g_assert_cmpint (wide.received[0], ==, 3);
  g_assert_true (ioc_dossier_tracker_indicators_range (fx->t, "all", ioc_calendar_date_to_day (2025, 4, 1),
                                                       ioc_calendar_date_to_day (2025, 4, 30), &i));
  g_assert_cmpint (i.received[0], ==, 1);
  g_assert_cmpint (i.paid_online_num, ==, 0);
  g_assert_cmpint (i.paid_online_den, ==, 1);
  g_assert_false (ioc_dossier_tracker_indicators_range (fx->t, "xa-99999", q1a, q1b, &i));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/ioc/dossier-tracker/" path, Fx, NULL, fx_setup, fn, fx_teardown)
  ADD ("completion-classes", test_completion_classes);
  ADD ("due-from-procedure", test_due_from_procedure);
  ADD ("supplement-pause", test_supplement_pause);
  ADD ("timers-follow-dossiers", test_timers_follow_dossiers);
  ADD ("second-supplement-overdue", test_second_supplement);
  ADD ("holiday-tet-across-deadline", test_holiday_tet);
  ADD ("makeup-saturday", test_makeup_saturday);
  ADD ("out-of-order", test_out_of_order);
  ADD ("duplicates", test_duplicates);
  ADD ("reopened-by-late-event", test_reopened);
  ADD ("open-ontime-until-deadline", test_open_until_deadline);
  ADD ("indicator-periods", test_indicator_periods);
  ADD ("indicators-range", test_indicators_range);
  ADD ("sample-gauges", test_sample_gauges);
  ADD ("retention", test_retention);
  ADD ("save-load", test_save_load);
  ADD ("due-at-out-of-order", test_due_out_of_order);
  ADD ("load-version-1", test_load_version_1);
  ADD ("reload-calendar", test_reload_calendar);
  return g_test_run ();
}
