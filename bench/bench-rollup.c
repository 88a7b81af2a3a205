/* bench-rollup.c — throughput of ioc_rollup_add() and memory per series.
 *
 * 1. 5 M facts over 300 units (queue counts and wait/service samples,
 *    ratings, dossier counts by channel), one simulated hour of event time
 *    with 2 % of facts up to 5 minutes late, ticking once per simulated
 *    second: facts/s including ticks and emission.
 * 2. Memory: 300 units × 4 measurements × 60 minutes of windows, measured
 *    with mallinfo2() (what malloc really holds) and ioc_rollup_memory().
 * 3. The archive: a local day of 300 units archived every minute past a
 *    6 h horizon; the heap the day's archiving added from hour 7 to the
 *    day's end (the index, with windows held constant), then facts 8 h
 *    late replayed in time order, and by 8 connectors at different points
 *    of their backlogs at once: µs per late fact.
 * Build with -O2 and no sanitizers. */
#include <malloc.h>
#include <stdio.h>

#include <glib/gstdio.h>

#include "aggregate/rollup.h"

#define N_UNITS 300
#define N_FACTS 5000000
#define T0 ((gint64) 1751356800 * G_USEC_PER_SEC)

static guint64 n_points;

static void
count_cb (const IocPoint *p, gpointer user_data)
{
  n_points++;
}

static gsize
heap_in_use (void)
{
  struct mallinfo2 mi = mallinfo2 ();
  return mi.uordblks + mi.hblkhd;
}

static void
archive_fact (IocRollup *r, const gchar *unit, gint64 ts, guint i)
{
  IocFact f = { .unit = unit, .ts_us = ts, .delta = 1, .measurement = IOC_MEAS_QUEUE, .kind = IOC_FACT_COUNT,
                .field = IOC_F_QUEUE_CALLED };
  if (i % 3 == 1)
    {
      f.kind = IOC_FACT_SAMPLE;
      f.field = IOC_S_QUEUE_WAIT;
      f.sample = 60.0 + i % 900;
    }
  else if (i % 3 == 2)
    {
      f.measurement = IOC_MEAS_DOSSIER;
      f.field = IOC_F_DOSSIER_RECEIVED;
      f.channel = 1 + i % 3;
    }
  ioc_rollup_add (r, &f);
}

static void
remove_dir (const gchar *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

/* 3. A day archived, then late facts replayed through the archive. */
static void
bench_archive (const gchar **units)
{
  const gint64 minute = G_TIME_SPAN_MINUTE;
  const gint64 day = T0 + 9 * G_TIME_SPAN_HOUR; /* 00:00 in Vietnam */
  g_autofree gchar *dir = g_dir_make_tmp ("bench-rollup-archive-XXXXXX", NULL);
  g_autoptr (IocRollup) r = ioc_rollup_new (NULL, NULL, NULL); /* horizon 6 h */
  ioc_rollup_set_archive (r, dir, day - G_TIME_SPAN_DAY);
  gsize heap_h7 = 0;
  guint windows_h7 = 0;
  for (gint64 i = 0; i < 1440 + 7 * 60; i++)
    {
      if (i < 1440)
        for (guint u = 0; u < N_UNITS; u++)
          for (guint k = 0; k < 3; k++)
            archive_fact (r, units[u], day + i * minute + (u * 100 + k) * 1000, k);
      ioc_rollup_tick (r, day + (i + 1) * minute);
      if (!ioc_rollup_archive (r, NULL))
        g_error ("archive failed");
      if (i == 7 * 60)
        {
          malloc_trim (0);
          heap_h7 = heap_in_use ();
          windows_h7 = ioc_rollup_n_windows (r);
        }
      if (i == 1439)
        {
          malloc_trim (0);
          gsize heap_end = heap_in_use ();
          printf ("archive: the day's last 17 h archived, windows held %u → %u: heap %+.2f MiB (the index)\n",
                  windows_h7, ioc_rollup_n_windows (r), ((gdouble) heap_end - (gdouble) heap_h7) / 1048576.0);
        }
    }
  gint64 now = day + (1440 + 7 * 60) * minute;

  /* Facts 8+ h late, in time order: minutes 0..119 of the day, every unit. */
  guint n = 0;
  gint64 t = g_get_monotonic_time ();
  for (gint64 i = 0; i < 120; i++)
    {
      for (guint u = 0; u < N_UNITS; u++)
        for (guint k = 0; k < 3; k++, n++)
          archive_fact (r, units[u], day + i * minute + 30 * G_USEC_PER_SEC + u * 1000, k);
      ioc_rollup_tick (r, now += G_USEC_PER_SEC);
      if (i % 10 == 9 && !ioc_rollup_archive (r, NULL))
        g_error ("archive failed");
    }
  gdouble us = (gdouble) (g_get_monotonic_time () - t) / n;
  printf ("archive: %u late facts in time order (2 h of the day, a re-archive every 10 minutes): %.2f us a fact\n", n, us);

  /* 8 connectors, each replaying its own 30 units over its own 2 h of the
   * day, interleaved fact by fact. */
  n = 0;
  t = g_get_monotonic_time ();
  for (gint64 i = 0; i < 120; i++)
    {
      for (guint c = 0; c < 8; c++)
        for (guint u = 0; u < 30; u++)
          for (guint k = 0; k < 3; k++, n++)
            archive_fact (r, units[c * 30 + u], day + (180 * (c + 1) + i) * minute + 40 * G_USEC_PER_SEC, k);
      ioc_rollup_tick (r, now += G_USEC_PER_SEC);
      if (i % 10 == 9 && !ioc_rollup_archive (r, NULL))
        g_error ("archive failed");
    }
  us = (gdouble) (g_get_monotonic_time () - t) / n;
  printf ("archive: %u late facts from 8 connectors interleaved (each 2 h of its own): %.2f us a fact\n", n, us);
  g_clear_pointer (&r, ioc_rollup_free);
  remove_dir (dir);
}

int
main (void)
{
  const gchar *units[N_UNITS];
  for (guint i = 0; i < N_UNITS; i++)
    {
      g_autofree gchar *code = g_strdup_printf ("xa-%05u", 17000 + i);
      units[i] = ioc_intern (code);
    }

  /* 1. throughput */
  g_autoptr (IocRollup) r = ioc_rollup_new (NULL, count_cb, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  gint64 span = G_TIME_SPAN_HOUR, next_tick = T0;
  gint64 start = g_get_monotonic_time ();
  for (guint i = 0; i < N_FACTS; i++)
    {
      gint64 ts = T0 + (gint64) ((gdouble) i / N_FACTS * span);
      while (next_tick <= ts)
        {
          ioc_rollup_tick (r, next_tick);
          next_tick += G_USEC_PER_SEC;
        }
      if (g_rand_int_range (rand, 0, 50) == 0)
        ts -= g_rand_int_range (rand, 0, 300) * G_USEC_PER_SEC;
      IocFact f = { .unit = units[g_rand_int_range (rand, 0, N_UNITS)], .ts_us = ts, .delta = 1 };
      switch (i % 8)
        {
        case 0: case 1: case 2:
          f.measurement = IOC_MEAS_QUEUE; f.kind = IOC_FACT_COUNT; f.field = i % 4; break;
        case 3:
          f.measurement = IOC_MEAS_QUEUE; f.kind = IOC_FACT_SAMPLE; f.field = IOC_S_QUEUE_WAIT;
          f.sample = g_rand_double_range (rand, 10, 3600); break;
        case 4:
          f.measurement = IOC_MEAS_QUEUE; f.kind = IOC_FACT_SAMPLE; f.field = IOC_S_QUEUE_SERVICE;
          f.sample = g_rand_double_range (rand, 60, 1800); break;
        case 5:
          f.measurement = IOC_MEAS_RATING; f.kind = IOC_FACT_COUNT; f.field = i % 2; break;
        default:
          f.measurement = IOC_MEAS_DOSSIER; f.kind = IOC_FACT_COUNT; f.field = IOC_F_DOSSIER_RECEIVED;
          f.channel = 1 + i % 3; break;
        }
      ioc_rollup_add (r, &f);
    }
  ioc_rollup_tick (r, next_tick + 2 * G_TIME_SPAN_MINUTE);
  gdouble secs = (g_get_monotonic_time () - start) / 1e6;
  printf ("throughput: %u facts in %.2f s = %.0f facts/s (%llu points emitted, %u series, %u windows, %.1f MiB accounted)\n",
          N_FACTS, secs, N_FACTS / secs, (unsigned long long) n_points, ioc_rollup_n_series (r),
          ioc_rollup_n_windows (r), ioc_rollup_memory (r) / 1048576.0);
  g_clear_pointer (&r, ioc_rollup_free);

  /* 2. memory per live series: one fact per (unit, measurement, minute);
   * a queue window also holds three wait and two service samples. */
  malloc_trim (0);
  gsize before = heap_in_use ();
  g_autoptr (IocRollup) m = ioc_rollup_new (NULL, NULL, NULL);
  for (guint minute = 0; minute < 60; minute++)
    for (guint u = 0; u < N_UNITS; u++)
      for (guint meas = 0; meas < IOC_MEAS_COUNT; meas++)
        {
          gint64 ts = T0 + minute * G_TIME_SPAN_MINUTE + u * 100000;
          IocFact f = { .measurement = meas, .unit = units[u], .ts_us = ts, .delta = 1 + u % 5,
                        .kind = meas == IOC_MEAS_DEVICE ? IOC_FACT_GAUGE : IOC_FACT_COUNT };
          ioc_rollup_add (m, &f);
          if (meas == IOC_MEAS_QUEUE)
            for (guint s = 0; s < 5; s++)
              {
                IocFact smp = { .measurement = meas, .kind = IOC_FACT_SAMPLE, .field = s < 3 ? 0 : 1,
                                .unit = units[u], .ts_us = ts, .sample = 30.0 * (s + 1) + u };
                ioc_rollup_add (m, &smp);
              }
        }
  ioc_rollup_tick (m, T0 + 61 * G_TIME_SPAN_MINUTE + 10 * G_USEC_PER_SEC);
  gsize measured = heap_in_use () - before;
  guint n_series = ioc_rollup_n_series (m), n_windows = ioc_rollup_n_windows (m);
  gsize accounted = ioc_rollup_memory (m);
  printf ("memory: %u series (incl. %u 'all'), %u windows: heap %.2f MiB measured (%.2f MiB accounted)\n",
          n_series, n_series - N_UNITS * IOC_MEAS_COUNT, n_windows, measured / 1048576.0, accounted / 1048576.0);
  printf ("memory: %.0f bytes per series with 60 minute windows, %.0f bytes per minute window (measured)\n",
          (gdouble) measured / n_series, (gdouble) measured / n_windows);
  g_clear_pointer (&m, ioc_rollup_free);
  bench_archive (units);
  return 0;
}
