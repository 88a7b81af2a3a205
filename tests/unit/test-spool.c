/* test-spool.c — the on-disk spool between the hub and InfluxDB (SPEC §7):
 * FIFO order with a committed read offset, what a restart or a SIGKILL
 * keeps and what it does not send again, torn tails, the byte bound and
 * its drop counters, and the blocking peek used by the writer thread. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "sinks/influx-sink.h"
#include "sinks/spool.h"
#include "test-util.h"

typedef struct
{
  gchar *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp ("test-spool-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  ioc_test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
append_str (IocSpool *spool, const gchar *s)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (ioc_spool_append (spool, s, strlen (s), &error));
  g_assert_no_error (error);
}

/* Peeks without waiting and checks the batch text (NULL: empty). */
static void
assert_peek (IocSpool *spool, const gchar *want)
{
  g_autoptr(GBytes) b = ioc_spool_peek (spool, 0);
  if (want == NULL)
    {
      g_assert_null (b);
      return;
    }
  g_assert_nonnull (b);
  gsize len = 0;
  const gchar *data = g_bytes_get_data (b, &len);
  g_assert_cmpmem (data, len, want, strlen (want));
}

static guint
count_segments (const gchar *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;
  while ((name = g_dir_read_name (d)) != NULL)
    n += g_str_has_suffix (name, ".spool");
  return n;
}

static void
test_fifo (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 20, &error);
  g_assert_no_error (error);

  assert_peek (spool, NULL);
  append_str (spool, "m f=1i 1\n");
  append_str (spool, "m f=2i 2\n");
  append_str (spool, "m f=3i 3\n");
  g_assert_cmpuint (ioc_spool_pending (spool).batches, ==, 3);
  g_assert_cmpuint (ioc_spool_pending (spool).bytes, ==, 3 * (8 + 9));
  g_assert_cmpint (ioc_stats_lookup ("iochub_spool_bytes", NULL), ==, 3 * (8 + 9));

  /* Until committed, the writer sees the same batch again. */
  assert_peek (spool, "m f=1i 1\n");
  assert_peek (spool, "m f=1i 1\n");
  ioc_spool_commit (spool);
  assert_peek (spool, "m f=2i 2\n");
  ioc_spool_commit (spool);
  /* A commit without a new peek does not skip a batch. */
  ioc_spool_commit (spool);
  assert_peek (spool, "m f=3i 3\n");
  ioc_spool_commit (spool);
  assert_peek (spool, NULL);
  g_assert_cmpuint (ioc_spool_pending (spool).bytes, ==, 0);
  g_assert_cmpint (ioc_stats_lookup ("iochub_spool_bytes", NULL), ==, 0);
}

static void
test_reopen (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  {
    g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 20, &error);
    g_assert_no_error (error);
    append_str (spool, "a");
    append_str (spool, "b");
    append_str (spool, "c");
    assert_peek (spool, "a");
    ioc_spool_commit (spool);
    /* "b" is peeked (being sent) but not committed when we stop. */
    assert_peek (spool, "b");
  }
  {
    g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 20, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ioc_spool_pending (spool).batches, ==, 2);
    append_str (spool, "d");
    assert_peek (spool, "b");
    ioc_spool_commit (spool);
    assert_peek (spool, "c");
    ioc_spool_commit (spool);
    assert_peek (spool, "d");
  }
  {
    /* Reopening again sends "d" again, and never "a", "b" or "c". */
    g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 20, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ioc_spool_pending (spool).batches, ==, 1);
    assert_peek (spool, "d");
    ioc_spool_commit (spool);
  }
  {
    g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 20, &error);
    g_assert_no_error (error);
    assert_peek (spool, NULL);
    g_assert_cmpuint (ioc_spool_pending (spool).bytes, ==, 0);
  }
}

/* A child process appends and commits, then is SIGKILLed without any
 * clean-up: the parent must find exactly the uncommitted batches. */
static void
test_sigkill (Fixture *f, gconstpointer data)
{
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      IocSpool *spool = ioc_spool_open (f->dir, 1 << 16, NULL);
      for (guint i = 0; i < 200; i++)
        {
          gchar buf[64];
          g_snprintf (buf, sizeof buf, "batch %03u padding padding padding padding", i);
          if (!ioc_spool_append (spool, buf, strlen (buf), NULL))
            _exit (3);
          if (i % 2 == 1)
            {
              /* Commit one batch for every two appended. */
              GBytes *b = ioc_spool_peek (spool, 0);
              if (b == NULL)
                _exit (4);
              g_bytes_unref (b);
              ioc_spool_commit (spool);
            }
        }
      raise (SIGKILL);
      _exit (5);
    }
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  g_autoptr(GError) error = NULL;
  g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 16, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ioc_spool_pending (spool).batches, ==, 100);
  for (guint i = 100; i < 200; i++)
    {
      gchar buf[64];
      g_snprintf (buf, sizeof buf, "batch %03u padding padding padding padding", i);
      assert_peek (spool, buf);
      ioc_spool_commit (spool);
    }
  assert_peek (spool, NULL);
  /* Segments that were fully read are gone from the disk. */
  g_assert_cmpuint (count_segments (f->dir), <=, 2);
}

static gchar *
only_segment_path (const gchar *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  gchar *found = NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);
      struct stat st;
      if (g_str_has_suffix (name, ".spool") && g_stat (path, &st) == 0 && st.st_size > 0)
        {
          g_assert_null (found);
          found = g_steal_pointer (&path);
        }
    }
  g_assert_nonnull (found);
  return found;
}

/* A crash may stop a write at any byte: for every possible cut of a
 * segment, reopening keeps exactly the whole records before the cut, and
 * new appends after it read back correctly. */
static void
test_torn_tail (Fixture *f, gconstpointer data)
{
  static const gchar *const batches[] = { "first", "the second batch", "3" };
  gsize ends[G_N_ELEMENTS (batches)];
  gsize total = 0;
  g_autoptr(GError) error = NULL;
  {
    g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 20, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (batches); i++)
      {
        append_str (spool, batches[i]);
        total += 8 + strlen (batches[i]);
        ends[i] = total;
      }
  }
  g_autofree gchar *seg = only_segment_path (f->dir);
  g_autofree gchar *full = NULL;
  gsize full_len = 0;
  g_assert_true (g_file_get_contents (seg, &full, &full_len, NULL));
  g_assert_cmpuint (full_len, ==, total);
  g_autofree gchar *commit_path = g_build_filename (f->dir, "commit", NULL);
  g_autofree gchar *commit = NULL;
  g_assert_true (g_file_get_contents (commit_path, &commit, NULL, NULL));

  for (gsize cut = 0; cut <= full_len; cut++)
    {
      g_autofree gchar *dir = g_dir_make_tmp ("test-spool-cut-XXXXXX", NULL);
      g_autofree gchar *base = g_path_get_basename (seg);
      g_autofree gchar *path = g_build_filename (dir, base, NULL);
      g_autofree gchar *cpath = g_build_filename (dir, "commit", NULL);
      g_assert_true (g_file_set_contents (path, full, (gssize) cut, NULL));
      g_assert_true (g_file_set_contents (cpath, commit, -1, NULL));

      g_autoptr(IocSpool) spool = ioc_spool_open (dir, 1 << 20, &error);
      g_assert_no_error (error);
      guint whole = 0;
      while (whole < G_N_ELEMENTS (batches) && ends[whole] <= cut)
        whole++;
      g_assert_cmpuint (ioc_spool_pending (spool).batches, ==, whole);
      append_str (spool, "after");
      for (guint i = 0; i < whole; i++)
        {
          assert_peek (spool, batches[i]);
          ioc_spool_commit (spool);
        }
      assert_peek (spool, "after");
      g_clear_pointer (&spool, ioc_spool_free);
      ioc_test_rm_rf (dir);
    }
}

static void
test_corrupt_record (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  {
    g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 20, &error);
    append_str (spool, "good");
    append_str (spool, "flipped");
  }
  g_autofree gchar *seg = only_segment_path (f->dir);
  g_autofree gchar *full = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (seg, &full, &len, NULL));
  full[len - 1] ^= 0x20; /* one bit of the last payload */
  g_assert_true (g_file_set_contents (seg, full, (gssize) len, NULL));

  g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 20, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ioc_spool_pending (spool).batches, ==, 1);
  assert_peek (spool, "good");
}

/* SPEC §7: bounded by bytes, with a visible counter when the bound drops
 * data; the oldest data goes first, whole segments at a time. */
static void
test_bound (Fixture *f, gconstpointer data)
{
  const guint64 max_bytes = 16384;
  const guint n = 100;
  gint64 dropped_bytes0 = ioc_stats_lookup ("iochub_spool_dropped_bytes_total", NULL);
  gint64 dropped_batches0 = ioc_stats_lookup ("iochub_spool_dropped_batches_total", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, max_bytes, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < n; i++)
    {
      gchar buf[500];
      memset (buf, 'x', sizeof buf);
      g_snprintf (buf, sizeof buf, "%03u", i);
      g_assert_true (ioc_spool_append (spool, buf, sizeof buf, &error));
      g_assert_cmpuint (ioc_spool_pending (spool).bytes, <=, max_bytes);
    }
  gint64 dropped_batches = ioc_stats_lookup ("iochub_spool_dropped_batches_total", NULL) - dropped_batches0;
  gint64 dropped_bytes = ioc_stats_lookup ("iochub_spool_dropped_bytes_total", NULL) - dropped_bytes0;
  guint pending = ioc_spool_pending (spool).batches;
  g_assert_cmpint (dropped_batches, >, 0);
  g_assert_cmpint (dropped_batches + pending, ==, n);
  g_assert_cmpint (dropped_bytes, ==, dropped_batches * 508);
  /* At least three quarters of the bound is still in use. */
  g_assert_cmpuint (ioc_spool_pending (spool).bytes, >=, max_bytes * 3 / 4 - 508);

  /* What is left is the newest data, in order. */
  for (guint i = (guint) dropped_batches; i < n; i++)
    {
      g_autoptr(GBytes) b = ioc_spool_peek (spool, 0);
      g_assert_nonnull (b);
      gchar want[4];
      g_snprintf (want, sizeof want, "%03u", i);
      g_assert_cmpmem (g_bytes_get_data (b, NULL), 3, want, 3);
      ioc_spool_commit (spool);
    }
  assert_peek (spool, NULL);
}

/* The writer may be sending the oldest batch when the bound drops it: its
 * commit must not skip a batch that was not sent. */
static void
test_bound_drops_peeked (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 8192, &error);
  gchar buf[1000];
  memset (buf, 'y', sizeof buf);

  buf[0] = 'A';
  g_assert_true (ioc_spool_append (spool, buf, sizeof buf, &error));
  g_autoptr(GBytes) first = ioc_spool_peek (spool, 0);
  g_assert_nonnull (first);
  guint i;
  for (i = 0; i < 20; i++)
    {
      buf[0] = 'a' + i;
      g_assert_true (ioc_spool_append (spool, buf, sizeof buf, &error));
    }
  ioc_spool_commit (spool);
  g_autoptr(GBytes) next = ioc_spool_peek (spool, 0);
  g_assert_nonnull (next);
  guint left = ioc_spool_pending (spool).batches;
  /* Whatever survived is a suffix of the appends and is all still there. */
  g_assert_cmpint (((const gchar *) g_bytes_get_data (next, NULL))[0], ==, 'a' + (20 - left));
}

static void
test_oversize (Fixture *f, gconstpointer data)
{
  gint64 dropped0 = ioc_stats_lookup ("iochub_spool_dropped_batches_total", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 4096, &error);
  g_autofree gchar *big = g_malloc0 (5000);

  g_assert_false (ioc_spool_append (spool, big, 5000, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_IO);
  g_assert_cmpint (ioc_stats_lookup ("iochub_spool_dropped_batches_total", NULL), ==, dropped0 + 1);
  assert_peek (spool, NULL);
}

typedef struct
{
  IocSpool *spool;
  gint64 timeout_us;
  gint64 elapsed_us;
} PeekThread;

static gpointer
peek_thread (gpointer data)
{
  PeekThread *t = data;
  gint64 start = g_get_monotonic_time ();
  GBytes *b = ioc_spool_peek (t->spool, t->timeout_us);
  t->elapsed_us = g_get_monotonic_time () - start;
  return b;
}

static void
test_peek_blocks (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 1 << 20, &error);

  /* An append wakes a waiting peek long before its timeout. */
  PeekThread t = { spool, 20 * G_USEC_PER_SEC, 0 };
  GThread *th = g_thread_new ("peek", peek_thread, &t);
  append_str (spool, "wake up");
  g_autoptr(GBytes) b = g_thread_join (th);
  g_assert_nonnull (b);
  g_assert_cmpint (t.elapsed_us, <, 10 * G_USEC_PER_SEC);
  ioc_spool_commit (spool);

  /* ioc_spool_wake() ends a peek on an empty spool (shutdown). */
  PeekThread t2 = { spool, 20 * G_USEC_PER_SEC, 0 };
  th = g_thread_new ("peek", peek_thread, &t2);
  ioc_spool_wake (spool);
  g_autoptr(GBytes) b2 = g_thread_join (th);
  g_assert_null (b2);
  g_assert_cmpint (t2.elapsed_us, <, 10 * G_USEC_PER_SEC);
}

static void
test_many_segments (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(IocSpool) spool = ioc_spool_open (f->dir, 64 * 1024, &error);
  gchar buf[1000];
  memset (buf, 'z', sizeof buf);
  for (guint i = 0; i < 40; i++)
    {
      g_snprintf (buf, 8, "%05u", i);
      g_assert_true (ioc_spool_append (spool, buf, sizeof buf, &error));
    }
  g_assert_cmpuint (count_segments (f->dir), >, 2);
  for (guint i = 0; i < 40; i++)
    {
      g_autoptr(GBytes) b = ioc_spool_peek (spool, 0);
      gchar want[8];
      g_snprintf (want, sizeof want, "%05u", i);
      g_assert_nonnull (b);
      g_assert_cmpstr (g_bytes_get_data (b, NULL), ==, want);
      ioc_spool_commit (spool);
    }
  g_assert_cmpuint (count_segments (f->dir), ==, 1);
  g_assert_cmpuint (ioc_spool_pending (spool).bytes, ==, 0);
}

/* The spool's one segment file (seg-….spool): its size and (transfer full)
 * bytes. */
static gchar *
segment_contents (const gchar *dir, gsize *len)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  const gchar *name;
  gchar *data = NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);
      if (!g_str_has_suffix (name, ".spool"))
        continue; /* the commit file */
      g_assert_null (data); /* one segment */
      g_assert_true (g_file_get_contents (path, &data, len, NULL));
    }
  g_assert_nonnull (data);
  return data;
}

/* A tick's points that the spool cannot store (a full disk; here a file
 * size limit, which fails the write with EFBIG) are kept and stored, in
 * order with the next tick's, once the spool can take them again: freeing
 * space loses nothing.  Before, they were counted and dropped. */
static void
test_sink_holds_failed_points (Fixture *f, gconstpointer data)
{
  IocInfluxSinkOptions o = { .province = "40", .hub_id = "h", .spool_dir = f->dir, .spool_max_bytes = 1 << 20 };
  g_autoptr (GError) error = NULL;
  IocInfluxSink *sink = ioc_influx_sink_new (&o, NULL, NULL, &error);
  g_assert_no_error (error);
  const IocSinkVTable *vt = ioc_influx_sink_vtable ();
  ioc_influx_sink_append_lines (sink, "m a=1i 1\n", 9);
  vt->tick (sink, 0);
  gsize before = 0;
  g_autofree gchar *first = segment_contents (f->dir, &before);
  g_assert_nonnull (memmem (first, before, "m a=1i 1\n", 9));

  struct rlimit saved;
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  void (*old_handler) (int) = signal (SIGXFSZ, SIG_IGN);
  struct rlimit small = { .rlim_cur = before, .rlim_max = saved.rlim_max };
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  ioc_influx_sink_append_lines (sink, "m a=2i 2\n", 9);
  vt->tick (sink, 0); /* fails: held */
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, old_handler);
  gsize mid = 0;
  g_autofree gchar *second = segment_contents (f->dir, &mid);
  g_assert_cmpuint (mid, ==, before);

  ioc_influx_sink_append_lines (sink, "m a=3i 3\n", 9);
  vt->tick (sink, 0); /* stores the held points, then this tick's */
  gsize after = 0;
  g_autofree gchar *third = segment_contents (f->dir, &after);
  g_assert_cmpuint (after, >, before);
  g_assert_nonnull (memmem (third, after, "m a=2i 2\nm a=3i 3\n", 18));
  ioc_influx_sink_free (sink);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Drops are announced with g_warning(); the tests check the counters. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/ioc/spool/fifo-peek-commit", test_fifo);
  ADD ("/ioc/spool/reopen-keeps-uncommitted", test_reopen);
  ADD ("/ioc/spool/sigkill-replays-uncommitted-only", test_sigkill);
  ADD ("/ioc/spool/torn-tail-cut-at-every-byte", test_torn_tail);
  ADD ("/ioc/spool/corrupt-record-cut", test_corrupt_record);
  ADD ("/ioc/spool/bound-drops-oldest-and-counts", test_bound);
  ADD ("/ioc/spool/bound-drops-batch-being-sent", test_bound_drops_peeked);
  ADD ("/ioc/spool/oversize-batch-refused-and-counted", test_oversize);
  ADD ("/ioc/spool/peek-blocks-until-append-or-wake", test_peek_blocks);
  ADD ("/ioc/spool/finished-segments-deleted", test_many_segments);
  ADD ("/ioc/spool/sink-holds-points-it-cannot-store", test_sink_holds_failed_points);
#undef ADD
  return g_test_run ();
}
