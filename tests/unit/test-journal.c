/* test-journal.c — the journal keeps every acknowledged message, in order,
 * across restarts and crashes, and compaction bounds its disk use. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "state/journal.h"

/* Never sync by time in tests: syncs happen by bytes, roll or sync(). */
#define NO_TIMED_SYNC (G_MAXINT64 / 2)

typedef struct
{
  gchar *dir;
} Fixture;

/* Warnings about crash leftovers, swallowed and counted. */
static guint n_crash_warnings;

static void
log_cb (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  if ((level & G_LOG_LEVEL_WARNING) && strstr (message, "crash") != NULL)
    {
      n_crash_warnings++;
      return;
    }
  if (level & G_LOG_LEVEL_DEBUG)
    return;
  g_log_default_handler (domain, level, message, user_data);
  if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL))
    g_assert_not_reached ();
}


static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("test-journal-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  ioc_test_rm_rf (f->dir);
  g_free (f->dir);
}

static gchar *
make_topic (guint i)
{
  return g_strdup_printf ("ioc/v1/40/xa-%05u/desk/d%u/event", 10000 + i % 50, i);
}

/* Varied lengths, including an empty payload. */
static gchar *
make_payload (guint i)
{
  if (i % 11 == 5)
    return g_strdup ("");
  g_autofree gchar *pad = g_strnfill (i % 37, 'x');
  return g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":1751328000000,\"type\":\"ticket.issued\",\"p\":\"%s\"}", i + 1,
                          pad);
}

static gint64
make_arrival (guint i)
{
  return G_GINT64_CONSTANT (1751328000000000) + (gint64) i * 1000;
}

static IocJournal *
open_journal (const gchar *dir, guint64 segment_bytes)
{
  g_autoptr (GError) error = NULL;
  IocJournalOptions opts = { segment_bytes, NO_TIMED_SYNC, 0 };
  IocJournal *j = ioc_journal_open (dir, &opts, &error);
  g_assert_no_error (error);
  g_assert_nonnull (j);
  return j;
}

static void
append_range (IocJournal *j, guint from, guint to, IocJournalPos *pos)
{
  for (guint i = from; i < to; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *topic = make_topic (i);
      g_autofree gchar *payload = make_payload (i);
      gboolean ok = ioc_journal_append (j, topic, strlen (topic), (const guint8 *) payload, strlen (payload), 0,
                                        make_arrival (i), &pos[i], &error);
      g_assert_no_error (error);
      g_assert_true (ok);
    }
}

typedef struct
{
  guint first;     /* index of the first record expected */
  guint n;         /* records seen */
  guint stop_after; /* 0: never stop */
  const IocJournalPos *pos;
} Replay;

/* Checks every replayed record against what was appended as index first+n. */
static gboolean
check_cb (const gchar *topic, gsize topic_len, const guint8 *payload, gsize len, guint32 flags,
          gint64 arrival_us, IocJournalPos pos, gpointer user_data)
{
  Replay *r = user_data;
  guint i = r->first + r->n;
  g_autofree gchar *want_topic = make_topic (i);
  g_autofree gchar *want_payload = make_payload (i);
  g_assert_cmpmem (topic, topic_len, want_topic, strlen (want_topic));
  g_assert_cmpmem (payload, len, want_payload, strlen (want_payload));
  g_assert_cmpint (arrival_us, ==, make_arrival (i));
  if (r->pos != NULL)
    {
      g_assert_cmpuint (pos.segment, ==, r->pos[i].segment);
      g_assert_cmpuint (pos.offset, ==, r->pos[i].offset);
    }
  r->n++;
  return r->stop_after == 0 || r->n < r->stop_after;
}

static guint
replay_all (IocJournal *j, IocJournalPos from, guint first, const IocJournalPos *pos)
{
  g_autoptr (GError) error = NULL;
  Replay r = { first, 0, 0, pos };
  guint64 n = 0;
  gboolean ok = ioc_journal_replay (j, from, check_cb, &r, &n, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (n, ==, r.n);
  return r.n;
}

static guint
count_segments (const gchar *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  const gchar *name;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "journal-") && g_str_has_suffix (name, ".log"))
      n++;
  return n;
}

static gchar *
segment_file (const gchar *dir, guint64 segment)
{
  g_autofree gchar *name = g_strdup_printf ("journal-%020" G_GUINT64_FORMAT ".log", segment);
  return g_build_filename (dir, name, NULL);
}

static void
flip_byte (const gchar *path, goffset offset)
{
  int fd = open (path, O_RDWR);
  g_assert_cmpint (fd, >=, 0);
  guint8 b = 0;
  g_assert_cmpint (pread (fd, &b, 1, offset), ==, 1);
  b ^= 0x5a;
  g_assert_cmpint (pwrite (fd, &b, 1, offset), ==, 1);
  close (fd);
}

static void
test_append_replay_order (Fixture *f, gconstpointer data)
{
  enum { N = 200 };
  IocJournalPos pos[N];
  g_autoptr (IocJournal) j = open_journal (f->dir, 0);

  IocJournalPos empty_end = ioc_journal_end (j);
  g_assert_cmpuint (replay_all (j, (IocJournalPos) { 0, 0 }, 0, NULL), ==, 0);

  /* A hub that snapshots before its first message uses the empty end. */
  g_assert_cmpuint (replay_all (j, empty_end, 0, NULL), ==, 0);
  append_range (j, 0, N, pos);
  g_assert_cmpuint (replay_all (j, empty_end, 0, pos), ==, N);
  for (guint i = 1; i < N; i++)
    g_assert_cmpint (ioc_journal_pos_compare (pos[i - 1], pos[i]), <, 0);
  g_assert_cmpint (ioc_journal_pos_compare (empty_end, pos[0]), <, 0);
  IocJournalPos end = ioc_journal_end (j);
  g_assert_cmpint (ioc_journal_pos_compare (end, pos[N - 1]), ==, 0);

  /* Replaying from the position after record k yields exactly k+1 .. N-1. */
  static const struct
  {
    gint after; /* -1: from the very beginning */
    guint want_n;
  } cases[] = {
    { -1, N }, { 0, N - 1 }, { 99, N - 100 }, { N - 2, 1 }, { N - 1, 0 },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      IocJournalPos from = cases[c].after < 0 ? (IocJournalPos) { 0, 0 } : pos[cases[c].after];
      g_assert_cmpuint (replay_all (j, from, (guint) (cases[c].after + 1), pos), ==, cases[c].want_n);
    }

  /* A callback that returns FALSE stops the replay. */
  g_autoptr (GError) error = NULL;
  Replay r = { 0, 0, 3, pos };
  guint64 n = 0;
  g_assert_true (ioc_journal_replay (j, (IocJournalPos) { 0, 0 }, check_cb, &r, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.n, ==, 3);
  g_assert_cmpuint (n, ==, 3);
}

static void
test_reopen_continues (Fixture *f, gconstpointer data)
{
  enum { N = 30 };
  IocJournalPos pos[N];
  {
    g_autoptr (IocJournal) j = open_journal (f->dir, 1024);
    append_range (j, 0, 20, pos);
  }
  g_autoptr (IocJournal) j = open_journal (f->dir, 1024);
  IocJournalPos end = ioc_journal_end (j);
  g_assert_cmpint (ioc_journal_pos_compare (end, pos[19]), ==, 0);
  append_range (j, 20, N, pos);
  g_assert_cmpint (ioc_journal_pos_compare (pos[19], pos[20]), <, 0);
  g_assert_cmpuint (replay_all (j, (IocJournalPos) { 0, 0 }, 0, pos), ==, N);
  g_assert_cmpuint (replay_all (j, pos[19], 20, pos), ==, N - 20);
  g_assert_cmpuint (count_segments (f->dir), >, 1);
}

static void
test_second_open_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (IocJournal) j = open_journal (f->dir, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (IocJournal) j2 = ioc_journal_open (f->dir, NULL, &error);
  g_assert_null (j2);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "another"));
}

/* The crash cut the last record at every possible length: the hub starts,
 * cuts it, keeps the earlier records and appends on a clean boundary. */
static void
test_torn_tail (Fixture *f, gconstpointer data)
{
  IocJournalPos pos[4];
  {
    g_autoptr (IocJournal) j = open_journal (f->dir, 0);
    append_range (j, 0, 3, pos);
  }
  g_autofree gchar *path = segment_file (f->dir, pos[2].segment);
  g_autofree gchar *orig = NULL;
  gsize orig_len = 0;
  g_assert_true (g_file_get_contents (path, &orig, &orig_len, NULL));
  g_assert_cmpuint (orig_len, ==, pos[2].offset);
  guint64 rec_start = pos[1].offset;
  guint64 rec_len = pos[2].offset - rec_start;

  for (guint64 cut = 1; cut < rec_len; cut++)
    {
      g_assert_true (g_file_set_contents (path, orig, (gssize) (rec_start + cut), NULL));
      gint64 torn_before = ioc_stats_lookup ("iochub_journal_torn_records_total", NULL);
      guint warned_before = n_crash_warnings;
      g_autoptr (IocJournal) j = open_journal (f->dir, 0);
      g_assert_cmpint (ioc_stats_lookup ("iochub_journal_torn_records_total", NULL), ==, torn_before + 1);
      g_assert_cmpuint (n_crash_warnings, ==, warned_before + 1);
      IocJournalPos end = ioc_journal_end (j);
      g_assert_cmpint (ioc_journal_pos_compare (end, pos[1]), ==, 0);
      GStatBuf st;
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpuint ((guint64) st.st_size, ==, rec_start);
      g_assert_cmpuint (replay_all (j, (IocJournalPos) { 0, 0 }, 0, pos), ==, 2);
      /* The message is appended again (Paho redelivers what was not acked). */
      IocJournalPos again[3];
      append_range (j, 2, 3, again);
      g_assert_cmpint (ioc_journal_pos_compare (again[2], pos[2]), ==, 0);
      g_assert_cmpuint (replay_all (j, (IocJournalPos) { 0, 0 }, 0, pos), ==, 3);
    }

  /* Other shapes of a torn tail: zeros the file system extended the file
   * with, and a complete-length last record whose bytes did not all land. */
  static const struct
  {
    const gchar *name;
    gboolean add_zeros;
    gboolean flip_last;
  } shapes[] = {
    { "zero-extended", TRUE, FALSE },
    { "last-record-garbled", FALSE, TRUE },
  };
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      g_test_message ("shape %s", shapes[s].name);
      g_autofree gchar *buf = g_malloc0 (orig_len + 4096);
      memcpy (buf, orig, orig_len);
      g_assert_true (g_file_set_contents (path, buf, (gssize) (orig_len + (shapes[s].add_zeros ? 4096 : 0)), NULL));
      if (shapes[s].flip_last)
        flip_byte (path, (goffset) (rec_start + rec_len - 3));
      g_autoptr (IocJournal) j = open_journal (f->dir, 0);
      IocJournalPos want = shapes[s].add_zeros ? pos[2] : pos[1];
      g_assert_cmpint (ioc_journal_pos_compare (ioc_journal_end (j), want), ==, 0);
      g_assert_cmpuint (replay_all (j, (IocJournalPos) { 0, 0 }, 0, pos), ==, shapes[s].add_zeros ? 3 : 2);
    }
}

/* Damage with good records after it is not a crash: refuse, naming where. */
static void
test_corrupt_middle (Fixture *f, gconstpointer data)
{
  IocJournalPos pos[40];
  {
    g_autoptr (IocJournal) j = open_journal (f->dir, 1024);
    append_range (j, 0, 40, pos);
  }
  g_assert_cmpuint (pos[0].segment, <, pos[39].segment);

  /* In a sealed segment: open succeeds, the replay fails. */
  guint64 seg1 = pos[0].segment;
  g_autofree gchar *path1 = segment_file (f->dir, seg1);
  flip_byte (path1, (goffset) pos[0].offset + 30);
  {
    g_autoptr (IocJournal) j = open_journal (f->dir, 1024);
    g_autoptr (GError) error = NULL;
    Replay r = { 0, 0, 0, pos };
    g_assert_false (ioc_journal_replay (j, (IocJournalPos) { 0, 0 }, check_cb, &r, NULL, &error));
    g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
    g_autofree gchar *want = g_strdup_printf ("%s: corrupt record at offset %" G_GUINT64_FORMAT, path1,
                                              pos[0].offset);
    g_assert_nonnull (strstr (error->message, want));
    g_assert_cmpuint (r.n, ==, 1); /* what came before the damage was fed */
  }
  flip_byte (path1, (goffset) pos[0].offset + 30); /* repair */

  /* In the active segment, with records after it: open fails. */
  guint i = 37;
  g_assert_cmpuint (pos[i].segment, ==, pos[39].segment);
  g_assert_cmpuint (pos[i - 1].segment, ==, pos[39].segment);
  g_autofree gchar *path2 = segment_file (f->dir, pos[39].segment);
  flip_byte (path2, (goffset) pos[i - 1].offset + 14);
  g_autoptr (GError) error = NULL;
  g_autoptr (IocJournal) j = ioc_journal_open (f->dir, NULL, &error);
  g_assert_null (j);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
  g_autofree gchar *want = g_strdup_printf ("%s: corrupt record at offset %" G_GUINT64_FORMAT, path2,
                                            pos[i - 1].offset);
  g_assert_nonnull (strstr (error->message, want));
}

static void
test_compact (Fixture *f, gconstpointer data)
{
  enum { N = 60 };
  IocJournalPos pos[N];
  g_autoptr (IocJournal) j = open_journal (f->dir, 512);
  append_range (j, 0, N, pos);
  guint n_segments = count_segments (f->dir);
  g_assert_cmpuint (n_segments, >=, 5);
  guint64 bytes_before = ioc_journal_disk_bytes (j);
  g_assert_cmpint (ioc_stats_lookup ("iochub_journal_bytes", NULL), ==, (gint64) bytes_before);

  /* Compact up to the last record of a segment: that segment goes too. */
  guint k = 0;
  while (pos[k + 1].segment == pos[k].segment || pos[k].segment == pos[0].segment)
    k++;
  g_assert_cmpuint (pos[k + 1].segment, ==, pos[k].segment + 1);
  ioc_journal_compact (j, pos[k]);
  g_assert_cmpuint (count_segments (f->dir), ==, n_segments - (guint) (pos[k].segment - pos[0].segment + 1));
  g_assert_cmpuint (ioc_journal_disk_bytes (j), <, bytes_before);
  g_assert_cmpint (ioc_stats_lookup ("iochub_journal_bytes", NULL), ==, (gint64) ioc_journal_disk_bytes (j));

  /* What the snapshot does not cover is all still there … */
  g_assert_cmpuint (replay_all (j, pos[k], k + 1, pos), ==, N - k - 1);

  /* … and a stale snapshot cannot silently skip compacted messages. */
  static const gint stale[] = { -1, 0, 3 };
  for (guint s = 0; s < G_N_ELEMENTS (stale); s++)
    {
      IocJournalPos from = stale[s] < 0 ? (IocJournalPos) { 0, 0 } : pos[stale[s]];
      g_autoptr (GError) error = NULL;
      Replay r = { 0, 0, 0, NULL };
      g_assert_false (ioc_journal_replay (j, from, check_cb, &r, NULL, &error));
      g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
      g_assert_nonnull (strstr (error->message, "compacted"));
      g_assert_cmpuint (r.n, ==, 0);
    }

  /* Compacting inside a segment keeps it; the active one always stays. */
  n_segments = count_segments (f->dir);
  ioc_journal_compact (j, pos[k + 1]);
  g_assert_cmpuint (count_segments (f->dir), ==, n_segments);
  ioc_journal_compact (j, ioc_journal_end (j));
  g_assert_cmpuint (count_segments (f->dir), ==, 1);
  g_assert_cmpuint (replay_all (j, pos[N - 1], N, pos), ==, 0);

  /* The chain still checks out after a restart. */
  ioc_journal_free (g_steal_pointer (&j));
  j = open_journal (f->dir, 512);
  g_assert_cmpint (ioc_journal_pos_compare (ioc_journal_end (j), pos[N - 1]), ==, 0);
  g_assert_cmpuint (replay_all (j, pos[N - 1], N, pos), ==, 0);

  /* A snapshot ahead of the journal is refused too. */
  g_autoptr (GError) error = NULL;
  Replay r = { 0, 0, 0, NULL };
  IocJournalPos ahead = { pos[N - 1].segment + 1, 100 };
  g_assert_false (ioc_journal_replay (j, ahead, check_cb, &r, NULL, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
}

/* Snapshot + compact after every batch: the disk use stays bounded. */
static void
test_disk_bounded (Fixture *f, gconstpointer data)
{
  enum { BATCH = 50, ROUNDS = 40, SEG = 2048 };
  static IocJournalPos pos[BATCH * ROUNDS];
  g_autoptr (IocJournal) j = open_journal (f->dir, SEG);
  guint64 max_bytes = 0;
  for (guint round = 0; round < ROUNDS; round++)
    {
      append_range (j, round * BATCH, (round + 1) * BATCH, pos);
      max_bytes = MAX (max_bytes, ioc_journal_disk_bytes (j));
      ioc_journal_compact (j, pos[(round + 1) * BATCH - 1]);
    }
  /* One batch is ~6 KiB; without compaction it would be 40× that. */
  g_assert_cmpuint (max_bytes, <=, SEG + 8 * 1024);
  g_assert_cmpuint (ioc_journal_disk_bytes (j), <=, SEG);
  g_assert_cmpuint (count_segments (f->dir), ==, 1);
}

static void
test_sync_batches (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  IocJournalOptions opts = { 0, NO_TIMED_SYNC, 1000 };
  g_autoptr (IocJournal) j = ioc_journal_open (f->dir, &opts, &error);
  g_assert_no_error (error);
  gint64 syncs0 = ioc_stats_lookup ("iochub_journal_syncs_total", NULL);
  gint64 appends0 = ioc_stats_lookup ("iochub_journal_appends_total", NULL);
  guint8 payload[200] = { 0 };
  for (guint i = 0; i < 20; i++)
    g_assert_true (ioc_journal_append (j, "t", 1, payload, sizeof payload, 0, 1, NULL, &error));
  /* 20 × 225 bytes with a 1000-byte batch: one fdatasync per 5 records. */
  g_assert_cmpint (ioc_stats_lookup ("iochub_journal_syncs_total", NULL) - syncs0, ==, 4);
  g_assert_cmpint (ioc_stats_lookup ("iochub_journal_appends_total", NULL) - appends0, ==, 20);
  g_assert_true (ioc_journal_sync (j, &error)); /* nothing pending */
  g_assert_true (ioc_journal_append (j, "t", 1, payload, sizeof payload, 0, 1, NULL, &error));
  g_assert_true (ioc_journal_sync (j, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ioc_stats_lookup ("iochub_journal_syncs_total", NULL) - syncs0, ==, 5);

  /* Paced by time: with a 1 µs interval every append syncs. */
  ioc_journal_free (g_steal_pointer (&j));
  IocJournalOptions eager = { 0, 1, 0 };
  j = ioc_journal_open (f->dir, &eager, &error);
  g_assert_no_error (error);
  syncs0 = ioc_stats_lookup ("iochub_journal_syncs_total", NULL);
  for (guint i = 0; i < 3; i++)
    {
      /* Spin (not sleep) past the 1 µs interval. */
      gint64 t0 = g_get_monotonic_time ();
      while (g_get_monotonic_time () - t0 < 2)
        ;
      g_assert_true (ioc_journal_append (j, "t", 1, payload, sizeof payload, 0, 1, NULL, &error));
    }
  g_assert_cmpint (ioc_stats_lookup ("iochub_journal_syncs_total", NULL) - syncs0, ==, 3);
}

/* A segment whose creation a crash cut short is removed, not fatal. */
static void
test_torn_segment_header (Fixture *f, gconstpointer data)
{
  IocJournalPos pos[10];
  {
    g_autoptr (IocJournal) j = open_journal (f->dir, 0);
    append_range (j, 0, 10, pos);
  }
  g_autofree gchar *next = segment_file (f->dir, pos[9].segment + 1);
  g_assert_true (g_file_set_contents (next, "IOCJS", 5, NULL));
  guint warned_before = n_crash_warnings;
  g_autoptr (IocJournal) j = open_journal (f->dir, 0);
  g_assert_cmpuint (n_crash_warnings, ==, warned_before + 1);
  g_assert_false (g_file_test (next, G_FILE_TEST_EXISTS));
  g_assert_cmpint (ioc_journal_pos_compare (ioc_journal_end (j), pos[9]), ==, 0);
  g_assert_cmpuint (replay_all (j, (IocJournalPos) { 0, 0 }, 0, pos), ==, 10);
}

typedef struct
{
  IocJournal *j;
  GAsyncQueue *positions; /* IocJournalPos*, as the hub hands them over */
  guint n;
} Appender;

static gpointer
appender_thread (gpointer data)
{
  Appender *a = data;
  for (guint i = 0; i < a->n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *topic = make_topic (i);
      g_autofree gchar *payload = make_payload (i);
      IocJournalPos *pos = g_new (IocJournalPos, 1);
      g_assert_true (ioc_journal_append (a->j, topic, strlen (topic), (const guint8 *) payload,
                                         strlen (payload), 0, make_arrival (i), pos, &error));
      g_assert_no_error (error);
      g_async_queue_push (a->positions, pos);
    }
  return NULL;
}

/* The hub's threading: Paho appends while the main thread syncs and
 * compacts behind what it processed.  Nothing is lost or reordered. */
static void
test_concurrent (Fixture *f, gconstpointer data)
{
  enum { N = 3000 };
  IocJournalOptions opts = { 4096, NO_TIMED_SYNC, 8192 };
  g_autoptr (GError) error = NULL;
  g_autoptr (IocJournal) j = ioc_journal_open (f->dir, &opts, &error);
  g_assert_no_error (error);
  Appender a = { j, g_async_queue_new_full (g_free), N };
  GThread *t = g_thread_new ("paho", appender_thread, &a);
  IocJournalPos last = { 0, 0 }, compacted = { 0, 0 };
  guint processed = 0, compacted_n = 0;
  while (processed < N)
    {
      g_autofree IocJournalPos *pos = g_async_queue_pop (a.positions);
      g_assert_cmpint (ioc_journal_pos_compare (last, *pos), <, 0);
      last = *pos;
      processed++;
      if (processed % 97 == 0)
        {
          g_assert_true (ioc_journal_sync (j, &error));
          g_assert_no_error (error);
        }
      if (processed % 400 == 0)
        {
          ioc_journal_compact (j, last);
          compacted = last;
          compacted_n = processed;
        }
    }
  g_thread_join (t);
  g_async_queue_unref (a.positions);
  g_assert_cmpuint (compacted_n, >, 0);
  g_assert_cmpuint (replay_all (j, compacted, compacted_n, NULL), ==, N - compacted_n);
  g_assert_cmpuint (ioc_journal_disk_bytes (j), <, 3 * 4096 + 400 * 128);
}

typedef struct
{
  guint n;
  guint32 flags[4];
  gsize len[4];
} FlagReplay;

static gboolean
flags_cb (const gchar *topic, gsize topic_len, const guint8 *payload, gsize len, guint32 flags,
          gint64 arrival_us, IocJournalPos pos, gpointer user_data)
{
  FlagReplay *r = user_data;
  g_assert_cmpuint (r->n, <, G_N_ELEMENTS (r->flags));
  r->flags[r->n] = flags;
  r->len[r->n++] = len;
  return r->n < 2;
}

/* A record's flags come back from the replay, also after a reopen; the
 * reserve is allocated ahead of the end and kept there as appends use it;
 * a record's size is what ioc_journal_frame_size says. */
static void
test_flags_and_reserve (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  IocJournalOptions opts = { .reserve_bytes = 64 * 1024, .sync_interval_us = NO_TIMED_SYNC };
  IocJournal *j = ioc_journal_open (f->dir, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ioc_journal_reserve_bytes (j), ==, 64 * 1024);
  g_assert_cmpuint (ioc_journal_headroom (j), ==, 64 * 1024);
  g_assert_false (ioc_journal_is_low (j));

  IocJournalPos before = ioc_journal_end (j);
  guint8 payload[100] = { 0 };
  g_assert_true (ioc_journal_append (j, "a/b", 3, payload, sizeof payload, 0, 1, NULL, &error));
  g_assert_true (ioc_journal_append (j, "a/b", 3, payload, 10, IOC_JOURNAL_FLAG_TRUNCATED, 2, NULL, &error));
  IocJournalPos after = ioc_journal_end (j);
  g_assert_cmpuint (after.offset - before.offset, ==,
                    ioc_journal_frame_size (3, sizeof payload) + ioc_journal_frame_size (3, 10));
  /* Half the reserve left is the point where it is topped up again. */
  g_assert_cmpuint (ioc_journal_headroom (j), >=, 32 * 1024);
  for (guint i = 0; i < 1000; i++)
    g_assert_true (ioc_journal_append (j, "a/b", 3, payload, sizeof payload, 0, 3, NULL, &error));
  g_assert_cmpuint (ioc_journal_headroom (j), >=, 32 * 1024);
  g_assert_true (ioc_journal_prepare (j, &error));
  g_assert_no_error (error);
  /* The file holds the records only: the allocation is not its size. */
  g_autofree gchar *seg = g_build_filename (f->dir, "journal-00000000000000000001.log", NULL);
  GStatBuf st;
  g_assert_cmpint (g_stat (seg, &st), ==, 0);
  g_assert_cmpuint ((guint64) st.st_size, ==, ioc_journal_end (j).offset);
  ioc_journal_free (j);

  j = ioc_journal_open (f->dir, &opts, &error);
  g_assert_no_error (error);
  FlagReplay r = { 0 };
  IocJournalPos from = { before.segment, before.offset };
  g_assert_true (ioc_journal_replay (j, from, flags_cb, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.n, ==, 2);
  g_assert_cmpuint (r.flags[0], ==, 0);
  g_assert_cmpuint (r.len[0], ==, sizeof payload);
  g_assert_cmpuint (r.flags[1], ==, IOC_JOURNAL_FLAG_TRUNCATED);
  g_assert_cmpuint (r.len[1], ==, 10);
  ioc_journal_free (j);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Cutting a torn tail warns; log_cb counts those and fails on others. */
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR);
  g_log_set_default_handler (log_cb, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/ioc/journal/append-replay-order", test_append_replay_order);
  ADD ("/ioc/journal/reopen-continues", test_reopen_continues);
  ADD ("/ioc/journal/second-open-refused", test_second_open_refused);
  ADD ("/ioc/journal/torn-tail", test_torn_tail);
  ADD ("/ioc/journal/torn-segment-header", test_torn_segment_header);
  ADD ("/ioc/journal/corrupt-middle", test_corrupt_middle);
  ADD ("/ioc/journal/compact", test_compact);
  ADD ("/ioc/journal/disk-bounded", test_disk_bounded);
  ADD ("/ioc/journal/sync-batches", test_sync_batches);
  ADD ("/ioc/journal/flags-and-reserve", test_flags_and_reserve);
  ADD ("/ioc/journal/concurrent-append-sync-compact", test_concurrent);
  return g_test_run ();
}
