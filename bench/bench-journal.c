/* bench-journal.c — throughput of the durability layer.
 *
 * Journal: appends N records of a 200-byte payload (the size of a typical
 * event), once with the default fdatasync batching and once with syncing
 * off (the cost of append itself), then replays them.  Dedup: checks/s on a
 * realistic in-order stream over many devices, and memory per device.
 *
 *   bench-journal [N] [DEVICES]     defaults 1000000 and 150000
 *
 * Build with -O2 and no sanitizers.  Writes ~0.3 GB per run to a temporary
 * directory (TMPDIR), removed at the end. */
#include <glib/gstdio.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/dedup.h"
#include "protocol/ioc-stats.h"
#include "state/journal.h"

static void
die (const GError *error)
{
  fprintf (stderr, "bench-journal: %s\n", error->message);
  exit (1);
}

static void
rm_rf (const gchar *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  if (d != NULL)
    {
      const gchar *name;
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree gchar *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

typedef struct
{
  guint64 n;
  guint64 bytes;
} ReplayCount;

static gboolean
replay_cb (const gchar *topic, gsize topic_len, const guint8 *payload, gsize len, guint32 flags,
           gint64 arrival_us, IocJournalPos pos, gpointer user_data)
{
  ReplayCount *c = user_data;
  c->n++;
  c->bytes += topic_len + len + (payload[0] & 1);
  return TRUE;
}

static void
bench_journal (guint64 n, gboolean with_sync)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("bench-journal-XXXXXX", &error);
  g_assert_no_error (error);
  IocJournalOptions opts = { 0, 0, 0 };
  if (!with_sync)
    {
      opts.sync_interval_us = G_MAXINT64 / 2;
      opts.sync_bytes = G_MAXUINT64 / 2;
    }
  IocJournal *j = ioc_journal_open (dir, &opts, &error);
  g_assert_no_error (error);

  guint8 payload[200];
  memset (payload, 'x', sizeof payload);
  const gchar *topic = "ioc/v1/40/xa-16732/kiosk/kiosk-0042/event";
  gsize topic_len = strlen (topic);
  gint64 syncs0 = ioc_stats_lookup ("iochub_journal_syncs_total", NULL);

  gint64 t0 = g_get_monotonic_time ();
  for (guint64 i = 0; i < n; i++)
    {
      payload[i % 200] = (guint8) i; /* records differ, as real ones do */
      if (!ioc_journal_append (j, topic, topic_len, payload, sizeof payload, 0, (gint64) i, NULL, &error))
        die (error);
    }
  gint64 t1 = g_get_monotonic_time ();
  if (!ioc_journal_sync (j, &error))
    die (error);
  gint64 t2 = g_get_monotonic_time ();
  gint64 syncs = ioc_stats_lookup ("iochub_journal_syncs_total", NULL) - syncs0;
  guint64 disk = ioc_journal_disk_bytes (j);

  printf ("journal append (%s): %" G_GUINT64_FORMAT " records of 200 B in %.3f s = %.3f us/record"
          " (%.0f records/s, %.1f MB/s); fdatasync calls: %" G_GINT64_FORMAT "; final sync %.1f ms;"
          " on disk %.1f MB\n",
          with_sync ? "default batching, fdatasync inline" : "fdatasync off", n, (t1 - t0) / 1e6,
          (gdouble) (t1 - t0) / (gdouble) n, n / ((t1 - t0) / 1e6), disk / ((t1 - t0) / 1e6) / 1e6, syncs,
          (t2 - t1) / 1e3, disk / 1e6);

  if (!with_sync)
    {
      ReplayCount c = { 0, 0 };
      guint64 n_replayed = 0;
      gint64 r0 = g_get_monotonic_time ();
      if (!ioc_journal_replay (j, (IocJournalPos) { 0, 0 }, replay_cb, &c, &n_replayed, &error))
        die (error);
      gint64 r1 = g_get_monotonic_time ();
      g_assert (c.n == n && n_replayed == n);
      printf ("journal replay (page cache warm): %" G_GUINT64_FORMAT " records in %.3f s = %.3f us/record"
              " (%.0f records/s, %.0f MB/s)\n",
              c.n, (r1 - r0) / 1e6, (gdouble) (r1 - r0) / (gdouble) c.n, c.n / ((r1 - r0) / 1e6),
              disk / ((r1 - r0) / 1e6) / 1e6);

      /* Reopen: the cost of scanning the active segment for a torn tail. */
      ioc_journal_free (j);
      gint64 o0 = g_get_monotonic_time ();
      j = ioc_journal_open (dir, &opts, &error);
      g_assert_no_error (error);
      gint64 o1 = g_get_monotonic_time ();
      printf ("journal open (scans the active segment): %.1f ms\n", (o1 - o0) / 1e3);
      IocJournalPos end = ioc_journal_end (j);
      gint64 c0 = g_get_monotonic_time ();
      ioc_journal_compact (j, end);
      gint64 c1 = g_get_monotonic_time ();
      printf ("journal compact of %.1f MB: %.1f ms, %.1f MB left\n", disk / 1e6, (c1 - c0) / 1e3,
              ioc_journal_disk_bytes (j) / 1e6);
    }
  ioc_journal_free (j);
  rm_rf (dir);
}

static gsize
heap_in_use (void)
{
  struct mallinfo2 mi = mallinfo2 ();
  return mi.uordblks + mi.hblkhd;
}

static void
bench_dedup (guint n_devices)
{
  enum { ROUNDS = 20 };
  gchar **names = g_new0 (gchar *, n_devices + 1);
  for (guint i = 0; i < n_devices; i++)
    names[i] = g_strdup_printf ("dev-%06u-%s", i, i % 2 ? "kiosk" : "counter");

  gsize heap0 = heap_in_use ();
  IocDedup *dd = ioc_dedup_new ();
  for (guint i = 0; i < n_devices; i++)
    ioc_dedup_check (dd, (IocKind) (i % IOC_KIND_COUNT), names[i], 1);
  gsize heap1 = heap_in_use ();

  /* Round robin over all devices: every check misses the CPU cache, the
   * worst case for a province-wide burst. */
  guint64 checks = 0, dups = 0;
  gint64 t0 = g_get_monotonic_time ();
  for (gint64 seq = 2; seq < 2 + ROUNDS; seq++)
    for (guint i = 0; i < n_devices; i++)
      {
        dups += ioc_dedup_check (dd, (IocKind) (i % IOC_KIND_COUNT), names[i], seq) == IOC_SEQ_DUPLICATE;
        checks++;
      }
  gint64 t1 = g_get_monotonic_time ();

  /* An offline buffer flushing: one device, long in-order run. */
  gint64 t2 = g_get_monotonic_time ();
  for (gint64 seq = 100; seq < 100 + 2000000; seq++)
    dups += ioc_dedup_check (dd, IOC_KIND_KIOSK, names[1], seq) == IOC_SEQ_DUPLICATE;
  gint64 t3 = g_get_monotonic_time ();

  g_autoptr (GByteArray) saved = g_byte_array_new ();
  gint64 s0 = g_get_monotonic_time ();
  ioc_dedup_save (dd, saved);
  gint64 s1 = g_get_monotonic_time ();
  IocDedup *back = ioc_dedup_new ();
  g_autoptr (GError) error = NULL;
  if (!ioc_dedup_load (back, saved->data, saved->len, &error))
    die (error);
  gint64 s2 = g_get_monotonic_time ();

  printf ("dedup: %u devices use %.1f MB = %.0f bytes/device (heap, incl. table and names)\n", n_devices,
          (heap1 - heap0) / 1e6, (gdouble) (heap1 - heap0) / n_devices);
  printf ("dedup: round robin over %u devices: %.1f M checks/s (%.0f ns/check); one device in order:"
          " %.1f M checks/s; duplicates %" G_GUINT64_FORMAT "\n",
          n_devices, checks / ((t1 - t0) / 1e6) / 1e6, (t1 - t0) * 1e3 / checks, 2000000 / ((t3 - t2) / 1e6) / 1e6,
          dups);
  printf ("dedup: snapshot section %.1f MB, save %.1f ms, load %.1f ms\n", saved->len / 1e6, (s1 - s0) / 1e3,
          (s2 - s1) / 1e3);
  ioc_dedup_free (back);
  ioc_dedup_free (dd);
  g_strfreev (names);
}

int
main (int argc, char **argv)
{
  guint64 n = argc > 1 ? g_ascii_strtoull (argv[1], NULL, 10) : 1000000;
  guint devices = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 150000;
  if (n == 0 || devices == 0)
    {
      fprintf (stderr, "usage: %s [N] [DEVICES]\n", argv[0]);
      return 2;
    }
  bench_journal (n, FALSE);
  bench_journal (n, TRUE);
  bench_dedup (devices);
  return 0;
}
