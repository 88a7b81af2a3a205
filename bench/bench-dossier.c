/* bench-dossier.c — 300,000 open dossiers: resident memory, and the cost of
 * ioc_dossier_tracker_sweep() when called once per simulated second over a
 * simulated day (SPEC §1 scale; issue 3: ≤ 200 MB RSS, sweep < 10 ms per
 * second of wall time).  Build with -O2, no sanitizers:
 *   gcc -std=c11 -O2 -I. -Ihub bench/bench-dossier.c hub/aggregate/dossier-*.c \
 *     hub/model/calendar.c hub/model/procedures.c hub/model/record.c hub/protocol/ioc-error.c \
 *     hub/protocol/ioc-keyfile.c hub/protocol/ioc-stats.c hub/state/snapcodec.c \
 *     $(pkg-config --cflags --libs glib-2.0) -o bench-dossier */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/dossier-tracker.h"

static gint64
rss_kib (void)
{
  g_autofree gchar *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  const gchar *p = strstr (status, "VmRSS:");
  return p ? g_ascii_strtoll (p + 6, NULL, 10) : -1;
}

static guint64 n_facts;

static void
count_cb (const IocFact *f, gpointer user_data)
{
  n_facts++;
}

static gint64
vn (gint y, gint mo, gint d, gint h, gint mi)
{
  return ioc_calendar_day_start (ioc_calendar_date_to_day (y, mo, d)) +
         ((gint64) h * 3600 + mi * 60) * G_USEC_PER_SEC;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 300000;
  static const gchar cal_data[] = "[calendar]\nweekend = sat,sun\nhours = 07:30-11:30,13:30-17:00\n"
                                  "[holidays]\n2025-04-30..2025-05-02 = lễ\n[workdays]\n2025-04-26 = bù\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocCalendar) cal = ioc_calendar_load_data ("bench", cal_data, sizeof cal_data - 1, &error);
  g_assert_no_error (error);
  gint64 rss0 = rss_kib ();
  g_autoptr (IocDossierTracker) t = ioc_dossier_tracker_new (cal, NULL, count_cb, NULL);

  const gchar *units[300];
  for (guint u = 0; u < 300; u++)
    {
      g_autofree gchar *s = g_strdup_printf ("xa-%05u", 16000 + u);
      units[u] = ioc_intern (s);
    }
  /* Received over the last 10 working days, due over the next 10. */
  gint64 day0 = vn (2025, 4, 21, 7, 0); /* Monday */
  gint64 wd = ioc_calendar_working_day_us (cal);
  GRand *rnd = g_rand_new_with_seed (42);
  IocRecord *r = g_new0 (IocRecord, 1);
  gint64 t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      gchar id[64];
      g_snprintf (id, sizeof id, "000.00.40.H40-250421-%07u", i);
      memset (r, 0, sizeof *r);
      r->dossier = id;
      r->procedure = "1.004227";
      r->state = (i % 5 == 0) ? 2 : 4;
      r->channel = 1 + (gint) (i % 3);
      r->received_at_us = day0 - (gint64) g_rand_int_range (rnd, 1, 10 * 86400) * G_USEC_PER_SEC;
      r->ts_us = r->received_at_us + 60 * G_USEC_PER_SEC;
      r->due_at_us = ioc_calendar_add_working_us (cal, day0, (gint64) (g_rand_double (rnd) * 10 * wd));
      r->supplements = 0;
      r->fee = r->paid_online = r->digitized = r->e_result = IOC_TRI_UNSET;
      ioc_dossier_tracker_record (t, r, units[i % 300], day0);
    }
  gint64 t1 = g_get_monotonic_time ();
  g_free (r);
  g_rand_free (rnd);
  gint64 rss1 = rss_kib ();
  printf ("dossiers: %u open, tracked %u; load %.2f s (%.2f us/event)\n", n,
          ioc_dossier_tracker_n_tracked (t), (t1 - t0) / 1e6, (gdouble) (t1 - t0) / n);
  printf ("RSS: %.1f MiB total, %.1f MiB for the tracker (%.0f B/dossier)\n", rss1 / 1024.0,
          (rss1 - rss0) / 1024.0, (rss1 - rss0) * 1024.0 / n);

  /* One sweep per simulated second over a whole day (Monday 07:00 to
   * Tuesday 07:00): about a tenth of the deadlines pass during it. */
  guint64 facts0 = n_facts;
  gint64 worst = 0, total = 0, work_total = 0;
  guint calls = 0, work_calls = 0;
  for (gint64 s = 0; s < 86400; s++)
    {
      gint64 now = day0 + s * G_USEC_PER_SEC;
      gint64 a = g_get_monotonic_time ();
      ioc_dossier_tracker_sweep (t, now);
      gint64 b = g_get_monotonic_time ();
      total += b - a;
      worst = MAX (worst, b - a);
      calls++;
      if (s >= 1800 && s < 1800 + 9 * 3600 + 1800) /* 07:30..17:00 */
        {
          work_total += b - a;
          work_calls++;
        }
    }
  IocDossierIndicators ind;
  ioc_dossier_tracker_indicators (t, "all", IOC_PERIOD_DAY, day0 + (gint64) 86399 * G_USEC_PER_SEC, &ind);
  printf ("sweep: %u calls over a simulated day, mean %.2f us, office hours mean %.2f us, worst %.2f ms\n",
          calls, (gdouble) total / calls, (gdouble) work_total / work_calls, worst / 1000.0);
  printf ("deadlines passed: %" G_GUINT64_FORMAT " overdue.entered facts; open %" G_GINT64_FORMAT
          ", open overdue %" G_GINT64_FORMAT ", due within 1 wd %" G_GINT64_FORMAT "\n",
          n_facts - facts0, ind.open, ind.open_overdue, ind.due_soon);
  printf ("sweep cost per second of wall time: %.3f ms (budget 10 ms)\n", (gdouble) total / calls / 1000.0);
  gint64 a = g_get_monotonic_time ();
  g_autoptr (GByteArray) snap = g_byte_array_new ();
  ioc_dossier_tracker_save (t, snap);
  gint64 b = g_get_monotonic_time ();
  printf ("snapshot: %.1f MiB in %.0f ms\n", snap->len / 1048576.0, (b - a) / 1000.0);
  return 0;
}
