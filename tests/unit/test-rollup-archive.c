/* test-rollup-archive.c — minutes past the in-memory horizon: archived at
 * "snapshot" time, brought back by a late fact and emitted again complete
 * (unit and "all", same timestamp); a crash between the snapshot and a late
 * fact replays exactly; facts before the archive horizon are refused; a
 * torn or garbage day file is reported and does not crash. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <zlib.h>

#include "aggregate/rollup.h"
#include "protocol/ioc-stats.h"
#include "state/snapcodec.h"

#define SEC G_USEC_PER_SEC
#define MINUTE G_TIME_SPAN_MINUTE
#define HOUR G_TIME_SPAN_HOUR
/* 2025-07-01 08:00:00 UTC = 15:00 in Vietnam, a minute boundary. */
#define T0 ((gint64) 1751356800 * SEC)

typedef struct
{
  gchar *dir;
  IocRollup *rollup;
  GArray *points;
} Fixture;

static void
collect_cb (const IocPoint *p, gpointer user_data)
{
  g_array_append_val (((Fixture *) user_data)->points, *p);
}

static IocRollup *
new_rollup (Fixture *fx)
{
  IocRollup *r = ioc_rollup_new (NULL, collect_cb, fx); /* horizon 6 h */
  ioc_rollup_set_archive (r, fx->dir, T0 - 24 * HOUR);
  return r;
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autofree gchar *tmp = g_dir_make_tmp ("rollup-archive-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  fx->dir = g_build_filename (tmp, "rollup-archive", NULL);
  /* data 1: every window under one key of the archive's index, as if all
   * their hashes collided; the reader must still bring back each its own.
   * data 2: the files read 256 bytes at a time, so that records are cut by
   * the ends of reads (the largest record here is under 256 bytes). */
  ioc_rollup_archive_set_key_mask_for_tests (GPOINTER_TO_INT (data) == 1 ? 0 : G_MAXUINT64);
  ioc_rollup_archive_set_read_chunk_for_tests (GPOINTER_TO_INT (data) == 2 ? 256 : 4u << 20);
  fx->rollup = new_rollup (fx);
  fx->points = g_array_new (FALSE, TRUE, sizeof (IocPoint));
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  ioc_rollup_free (fx->rollup);
  ioc_rollup_archive_set_key_mask_for_tests (G_MAXUINT64);
  ioc_rollup_archive_set_read_chunk_for_tests (4u << 20);
  g_autoptr (GDir) d = g_dir_open (fx->dir, 0, NULL);
  const gchar *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *p = g_build_filename (fx->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (fx->dir);
  g_autofree gchar *parent = g_path_get_dirname (fx->dir);
  g_rmdir (parent);
  g_free (fx->dir);
  g_array_unref (fx->points);
}

static void
called (IocRollup *r, const gchar *unit, gint64 ts, gint64 n)
{
  IocFact f = { .measurement = IOC_MEAS_QUEUE, .kind = IOC_FACT_COUNT, .field = IOC_F_QUEUE_CALLED,
                .unit = ioc_intern (unit), .ts_us = ts, .delta = n };
  ioc_rollup_add (r, &f);
}

static void
wait_sample (IocRollup *r, const gchar *unit, gint64 ts, gdouble v)
{
  IocFact f = { .measurement = IOC_MEAS_QUEUE, .kind = IOC_FACT_SAMPLE, .field = IOC_S_QUEUE_WAIT,
                .unit = ioc_intern (unit), .ts_us = ts, .sample = v };
  ioc_rollup_add (r, &f);
}

static const IocPoint *
latest (Fixture *fx, const gchar *unit, gint64 ts)
{
  const IocPoint *found = NULL;
  for (guint i = 0; i < fx->points->len; i++)
    {
      const IocPoint *p = &g_array_index (fx->points, IocPoint, i);
      if (p->measurement == IOC_MEAS_QUEUE && g_strcmp0 (p->unit, unit) == 0 && p->ts_us == ts)
        found = p;
    }
  return found;
}

static gint64
metric (const gchar *name)
{
  return ioc_stats_lookup (name, NULL);
}

static gchar *
day_file (Fixture *fx)
{
  return g_build_filename (fx->dir, "2025-07-01.bin", NULL);
}

/* Two units in minute T0, emitted, then 8 h pass and the minute is archived. */
static void
fill_and_archive (Fixture *fx, IocRollup *r, GByteArray *snapshot)
{
  called (r, "xa-17001", T0 + 5 * SEC, 3);
  called (r, "xa-17003", T0 + 6 * SEC, 4);
  wait_sample (r, "xa-17001", T0 + 7 * SEC, 100.0);
  ioc_rollup_tick (r, T0 + 2 * MINUTE);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 7);
  ioc_rollup_tick (r, T0 + 8 * HOUR);
  /* Past the horizon but not yet archived: still held. */
  g_assert_cmpuint (ioc_rollup_n_windows (r), ==, 3);
  if (snapshot != NULL)
    ioc_rollup_save (r, snapshot);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_rollup_archive (r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ioc_rollup_n_windows (r), ==, 0);
  g_autofree gchar *file = day_file (fx);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (metric ("iochub_rollup_archive_bytes"), >, 0);
}

static void
test_rewrite (Fixture *fx, gconstpointer data)
{
  fill_and_archive (fx, fx->rollup, NULL);
  g_array_set_size (fx->points, 0);
  gint64 rewrites = metric ("iochub_rollup_archive_rewrites_total");

  /* A fact 8 h late for the archived minute. */
  called (fx->rollup, "xa-17001", T0 + 30 * SEC, 2);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + SEC);
  g_assert_cmpuint (fx->points->len, ==, 2);
  const IocPoint *u = latest (fx, "xa-17001", T0), *all = latest (fx, "all", T0);
  g_assert_nonnull (u);
  g_assert_nonnull (all);
  g_assert_cmpint (u->ints[IOC_F_QUEUE_CALLED], ==, 5);
  g_assert_cmpint (all->ints[IOC_F_QUEUE_CALLED], ==, 9);
  /* The sketch came back too: the percentile is the old sample's. */
  g_assert_true (u->has_floats[0]);
  g_assert_cmpfloat_with_epsilon (u->floats[0], 100.0, 2.0);
  g_assert_cmpint (metric ("iochub_rollup_archive_rewrites_total") - rewrites, ==, 1);

  /* Archived again, and again late: the last record wins. */
  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
  g_assert_cmpuint (ioc_rollup_n_windows (fx->rollup), ==, 0);
  called (fx->rollup, "xa-17003", T0 + 40 * SEC, 1);
  called (fx->rollup, "xa-17005", T0 + 41 * SEC, 10); /* a unit new in that minute */
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + 2 * SEC);
  g_assert_cmpint (latest (fx, "xa-17003", T0)->ints[IOC_F_QUEUE_CALLED], ==, 5);
  g_assert_cmpint (latest (fx, "xa-17005", T0)->ints[IOC_F_QUEUE_CALLED], ==, 10);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 20);
}

/* Crash after the snapshot and the archive append, before the next
 * snapshot: the restored snapshot still holds the minute in memory, the
 * replayed late fact lands there once. */
static void
test_crash_replay (Fixture *fx, gconstpointer data)
{
  g_autoptr (GByteArray) snap = g_byte_array_new ();
  fill_and_archive (fx, fx->rollup, snap);
  called (fx->rollup, "xa-17001", T0 + 30 * SEC, 2); /* journaled after the snapshot */
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + SEC);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 9);

  /* SIGKILL: a new rollup from the snapshot, then the journal's replay. */
  g_autoptr (IocRollup) r2 = new_rollup (fx);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_rollup_load (r2, snap->data, snap->len, &error));
  g_assert_no_error (error);
  g_array_set_size (fx->points, 0);
  called (r2, "xa-17001", T0 + 30 * SEC, 2);
  ioc_rollup_tick (r2, T0 + 8 * HOUR + 5 * SEC);
  g_assert_cmpint (latest (fx, "xa-17001", T0)->ints[IOC_F_QUEUE_CALLED], ==, 5);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 9);

  /* The next snapshot archives it again; a later fact sees 9, not 7. */
  g_assert_true (ioc_rollup_archive (r2, NULL));
  called (r2, "xa-17003", T0 + 50 * SEC, 1);
  ioc_rollup_tick (r2, T0 + 8 * HOUR + 6 * SEC);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 10);
}

static void
test_before_archive_horizon (Fixture *fx, gconstpointer data)
{
  fill_and_archive (fx, fx->rollup, NULL);
  g_array_set_size (fx->points, 0);
  gint64 too_late = metric ("iochub_rollup_too_late_total");
  called (fx->rollup, "xa-17001", T0 - 25 * HOUR, 1);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + SEC);
  g_assert_cmpuint (fx->points->len, ==, 0);
  g_assert_cmpint (metric ("iochub_rollup_too_late_total") - too_late, ==, 1);

  /* Moving the archive horizon past the day deletes its file. */
  ioc_rollup_set_archive_from (fx->rollup, T0 + 2 * 24 * HOUR);
  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
  g_autofree gchar *file = day_file (fx);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
}

/* A torn tail (crash while appending): the intact records still serve,
 * the torn one is reported and cut off before the next append. */
static void
test_torn_tail (Fixture *fx, gconstpointer data)
{
  fill_and_archive (fx, fx->rollup, NULL);
  g_autofree gchar *file = day_file (fx);
  GStatBuf st;
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (truncate (file, st.st_size - 3), ==, 0);

  g_array_set_size (fx->points, 0);
  gint64 errors = metric ("iochub_rollup_archive_errors_total");
  g_test_expect_message ("ioc-aggregate", G_LOG_LEVEL_WARNING, "*torn or corrupt record*");
  called (fx->rollup, "xa-17001", T0 + 30 * SEC, 2);
  g_test_assert_expected_messages ();
  g_assert_cmpint (metric ("iochub_rollup_archive_errors_total") - errors, ==, 1);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + SEC);
  /* "all" was written first and is intact. */
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 9);

  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
  called (fx->rollup, "xa-17003", T0 + 50 * SEC, 1);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + 2 * SEC);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 10);
  g_assert_cmpint (metric ("iochub_rollup_archive_errors_total") - errors, ==, 1);
}

typedef enum
{
  DAY_FILE_CUT_SHORT, /* truncated in place to an earlier copy's length */
  DAY_FILE_REPLACED,  /* a copy renamed over it */
  DAY_FILE_DELETED,
} DayFileChange;

/* A day file changed under the running hub (a state_dir restored from a
 * backup, say): the index is built again from what the file holds, with a
 * warning, so that what is archived into it afterwards is found again and
 * the minutes it holds read as the file has them. */
static void
check_day_file_changed (Fixture *fx, DayFileChange how)
{
  fill_and_archive (fx, fx->rollup, NULL); /* minute T0: 3 + 4 called */
  g_autofree gchar *file = day_file (fx);
  g_autofree gchar *backup = NULL;
  gsize backup_len = 0;
  g_assert_true (g_file_get_contents (file, &backup, &backup_len, NULL));

  /* Minute T0 + 1 min comes 8 h late and is archived; late facts for T0,
   * then for T0 + 1 min, read every record appended into the index. */
  called (fx->rollup, "xa-17002", T0 + MINUTE + 5 * SEC, 6);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + SEC);
  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
  called (fx->rollup, "xa-17001", T0 + 30 * SEC, 2);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + 2 * SEC);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 9);
  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
  called (fx->rollup, "xa-17002", T0 + MINUTE + 6 * SEC, 1);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + 3 * SEC);
  g_assert_cmpint (latest (fx, "xa-17002", T0 + MINUTE)->ints[IOC_F_QUEUE_CALLED], ==, 7);
  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));

  const gchar *said = NULL;
  switch (how)
    {
    case DAY_FILE_CUT_SHORT: /* the file only appends: the copy is its start */
      g_assert_cmpint (truncate (file, (off_t) backup_len), ==, 0);
      said = "*cut short while the hub ran*indexing it again*";
      break;
    case DAY_FILE_REPLACED: /* by a copy of itself: the same bytes, another inode */
      {
        g_autofree gchar *now = NULL;
        gsize now_len = 0;
        g_assert_true (g_file_get_contents (file, &now, &now_len, NULL));
        g_assert_true (g_file_set_contents (file, now, (gssize) now_len, NULL));
        said = "*replaced while the hub ran*indexing it again*";
        break;
      }
    case DAY_FILE_DELETED:
      g_assert_cmpint (g_unlink (file), ==, 0);
      said = "*deleted while the hub ran*indexing it again*";
      break;
    }
  gint64 errors = metric ("iochub_rollup_archive_errors_total");
  g_test_expect_message ("ioc-aggregate", G_LOG_LEVEL_WARNING, said);
  called (fx->rollup, "xa-17004", T0 + 2 * MINUTE + 5 * SEC, 7);
  g_test_assert_expected_messages ();
  g_assert_cmpint (metric ("iochub_rollup_archive_errors_total") - errors, ==, 1);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + 4 * SEC);
  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));

  /* Archived into the file as it now is, and found there by the next late fact. */
  called (fx->rollup, "xa-17004", T0 + 2 * MINUTE + 9 * SEC, 1);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + 5 * SEC);
  g_assert_cmpint (latest (fx, "xa-17004", T0 + 2 * MINUTE)->ints[IOC_F_QUEUE_CALLED], ==, 8);
  /* Minute T0 as the file holds it: the 7 of the start it was cut to (not
   * the 9 archived after it), the 9 of a whole copy, or nothing once the
   * file was deleted. */
  called (fx->rollup, "xa-17003", T0 + 50 * SEC, 1);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + 6 * SEC);
  const gint64 before[] = { [DAY_FILE_CUT_SHORT] = 7, [DAY_FILE_REPLACED] = 9, [DAY_FILE_DELETED] = 0 };
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, before[how] + 1);
  g_assert_cmpint (metric ("iochub_rollup_archive_errors_total") - errors, ==, 1);
}

static void
test_file_cut_short (Fixture *fx, gconstpointer data)
{
  check_day_file_changed (fx, DAY_FILE_CUT_SHORT);
}

static void
test_file_replaced (Fixture *fx, gconstpointer data)
{
  check_day_file_changed (fx, DAY_FILE_REPLACED);
}

static void
test_file_deleted (Fixture *fx, gconstpointer data)
{
  check_day_file_changed (fx, DAY_FILE_DELETED);
}

/* The day file cannot be read when a late fact comes (no file descriptor
 * left): the fact is refused with a warning, never counted on an empty
 * minute; once the file reads again, the archived counts are all there and
 * the next append does not cut the file back to what was read. */
static void
test_unreadable (Fixture *fx, gconstpointer data)
{
  fill_and_archive (fx, fx->rollup, NULL);
  g_autofree gchar *file = day_file (fx);
  GStatBuf st;
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  gint64 archived_size = st.st_size;
  gint64 errors = metric ("iochub_rollup_archive_errors_total");

  struct rlimit saved, low;
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  low = saved;
  low.rlim_cur = MIN (saved.rlim_max, 256);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
  int fds[256];
  guint n_fds = 0;
  errno = 0;
  while (n_fds < G_N_ELEMENTS (fds) && (fds[n_fds] = open ("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
    n_fds++;
  g_assert_cmpuint (n_fds, <, G_N_ELEMENTS (fds));
  g_assert_cmpint (errno, ==, EMFILE);
  g_test_expect_message ("ioc-aggregate", G_LOG_LEVEL_WARNING, "*unreadable record*fact not counted*");
  called (fx->rollup, "xa-17001", T0 + 30 * SEC, 2);
  g_test_assert_expected_messages ();
  while (n_fds > 0)
    close (fds[--n_fds]);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  g_assert_cmpint (metric ("iochub_rollup_archive_errors_total") - errors, ==, 1);

  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
  called (fx->rollup, "xa-17003", T0 + 50 * SEC, 1);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + SEC);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 8);
  g_assert_cmpint (latest (fx, "xa-17003", T0)->ints[IOC_F_QUEUE_CALLED], ==, 5);
  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, archived_size);
}

/* The day file holds only a record the reader refuses: a late fact for
 * its minute warns, and starts the minute afresh. */
static void
expect_day_file_refused (Fixture *fx)
{
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR);
  g_test_expect_message ("ioc-aggregate", G_LOG_LEVEL_WARNING, "*torn or corrupt record at byte 0*");
  called (fx->rollup, "xa-17001", T0 + 30 * SEC, 2);
  g_test_assert_expected_messages ();
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + SEC);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 2);
}

/* A day file of garbage: reported, no crash, the fact starts a new window. */
static void
test_garbage (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (g_mkdir_with_parents (fx->dir, 0755), ==, 0);
  g_autofree gchar *file = day_file (fx);
  static const gchar junk[] = "\x49\x52\x41\x31\xff\xff\xff\x7f not an archive";
  g_assert_true (g_file_set_contents (file, junk, sizeof junk, NULL));
  expect_day_file_refused (fx);
}

/* A well-formed record (magic, CRC) dated a few µs after G_MININT64: not a
 * minute's start, so a corrupt record, refused without arithmetic on the
 * time that overflows (found in the snapshot's rollup section by
 * fuzz-sections; the same check reads this file). */
static void
test_time_near_int64_min (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (g_mkdir_with_parents (fx->dir, 0755), ==, 0);
  g_autoptr (GByteArray) body = g_byte_array_new ();
  ioc_snap_put_u8 (body, IOC_MEAS_QUEUE);
  ioc_snap_put_u8 (body, 0);
  ioc_snap_put_i64 (body, G_MININT64 + 5);
  ioc_snap_put_str (body, "xa-17001");
  g_autoptr (GByteArray) rec = g_byte_array_new ();
  ioc_snap_put_u32 (rec, 0x31415249u);
  ioc_snap_put_bytes (rec, body->data, body->len);
  ioc_snap_put_u32 (rec, (guint32) crc32 (0L, body->data, body->len));
  g_autofree gchar *file = day_file (fx);
  g_assert_true (g_file_set_contents (file, (const gchar *) rec->data, rec->len, NULL));
  expect_day_file_refused (fx);
}

/* 00:00 of 2025-07-02 in Vietnam: the first minute of a day file. */
#define DAY (T0 + 9 * HOUR)
#define DAY_UNITS 10

static gint64
all_called (Fixture *fx, gint64 ts)
{
  const IocPoint *p = latest (fx, "all", ts);
  g_assert_nonnull (p);
  return p->ints[IOC_F_QUEUE_CALLED];
}

/* A whole local day archived as the hub does it (every few minutes, just
 * past the horizon): the index in memory stays a few entries a minute, not
 * one per window (15,840 windows here; a hash of each was the soak's RSS
 * creep), and a late fact for any minute still finds its own window. */
/* DAY_UNITS units, one call each a minute through the local day, archived
 * every ten minutes as the hub does after its snapshots; returns the time
 * reached, 7 h after the day (all of it archived). */
static gint64
archive_a_day (Fixture *fx)
{
  for (gint64 i = 0; i < 1440 + 7 * 60; i++)
    {
      if (i < 1440)
        for (guint u = 0; u < DAY_UNITS; u++)
          {
            g_autofree gchar *unit = g_strdup_printf ("xa-%05u", 17001 + u);
            called (fx->rollup, unit, DAY + i * MINUTE + 10 * SEC, 1);
          }
      ioc_rollup_tick (fx->rollup, DAY + (i + 1) * MINUTE);
      if (i % 10 == 9)
        g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
    }
  g_assert_cmpuint (ioc_rollup_n_windows (fx->rollup), <, (6 * 60 + 20) * (DAY_UNITS + 1));
  return DAY + (1440 + 7 * 60) * MINUTE;
}

static void
test_day_index_bounded (Fixture *fx, gconstpointer data)
{
  gint64 now = archive_a_day (fx);
  guint archived = 1440 * (DAY_UNITS + 1);
  for (gint64 i = 0; i < 1440; i += 97)
    {
      called (fx->rollup, "xa-17004", DAY + i * MINUTE + 30 * SEC, 1);
      ioc_rollup_tick (fx->rollup, now += SEC);
      g_assert_cmpint (all_called (fx, DAY + i * MINUTE), ==, DAY_UNITS + 1);
    }
  /* Runs (one per minute here) and the cached minutes' windows. */
  g_assert_cmpuint (ioc_rollup_archive_index_entries (fx->rollup), <=, 1440 + 16 * (DAY_UNITS + 1));
  g_assert_cmpuint (ioc_rollup_archive_index_entries (fx->rollup), <, archived / 4);
}

/* Connectors replaying outages side by side: late facts for 20 minutes of
 * the day interleaved, more minutes than the index caches, three rounds;
 * every fact lands on its own minute's window, read back from the file. */
static void
test_interleaved_replays (Fixture *fx, gconstpointer data)
{
  gint64 now = archive_a_day (fx);
  for (guint round = 0; round < 3; round++)
    {
      g_autofree gchar *unit = g_strdup_printf ("xa-%05u", 17001 + round);
      for (gint64 i = 0; i < 20; i++)
        called (fx->rollup, unit, DAY + (i * 71) * MINUTE + 40 * SEC, 1);
      ioc_rollup_tick (fx->rollup, now += SEC);
      for (gint64 i = 0; i < 20; i++)
        g_assert_cmpint (all_called (fx, DAY + (i * 71) * MINUTE), ==, DAY_UNITS + 1 + round);
      g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
    }
}

/* Two minutes brought back and archived again 40 times, alternately: each
 * append splits their records, more runs than the index keeps per minute;
 * merged runs still find the latest record of each window. */
static void
test_many_rewrites (Fixture *fx, gconstpointer data)
{
  fill_and_archive (fx, fx->rollup, NULL);
  called (fx->rollup, "xa-17001", T0 + MINUTE + SEC, 1);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + MINUTE);
  g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
  gint64 now = T0 + 8 * HOUR + MINUTE;
  for (guint round = 1; round <= 40; round++)
    {
      called (fx->rollup, "xa-17003", T0 + 20 * SEC, 1);
      called (fx->rollup, "xa-17003", T0 + MINUTE + 20 * SEC, 2);
      ioc_rollup_tick (fx->rollup, now += SEC);
      g_assert_cmpint (all_called (fx, T0), ==, 7 + round);
      g_assert_cmpint (all_called (fx, T0 + MINUTE), ==, 1 + 2 * round);
      g_assert_true (ioc_rollup_archive (fx->rollup, NULL));
      g_assert_cmpuint (ioc_rollup_n_windows (fx->rollup), ==, 0);
    }
}

/* A well-formed record dated at the last minute an int64 of µs holds: a
 * valid record of some other day, indexed without overflow (UBSan), and a
 * late fact for T0 does not find it. */
static void
test_time_near_int64_max (Fixture *fx, gconstpointer data)
{
  g_assert_cmpint (g_mkdir_with_parents (fx->dir, 0755), ==, 0);
  g_autoptr (GByteArray) body = g_byte_array_new ();
  ioc_snap_put_u8 (body, IOC_MEAS_QUEUE);
  ioc_snap_put_u8 (body, 0);
  ioc_snap_put_i64 (body, G_MAXINT64 / MINUTE * MINUTE);
  ioc_snap_put_str (body, "xa-17001");
  g_autoptr (GByteArray) rec = g_byte_array_new ();
  ioc_snap_put_u32 (rec, 0x31415249u);
  ioc_snap_put_bytes (rec, body->data, body->len);
  ioc_snap_put_u32 (rec, (guint32) crc32 (0L, body->data, body->len));
  g_autofree gchar *file = day_file (fx);
  g_assert_true (g_file_set_contents (file, (const gchar *) rec->data, rec->len, NULL));
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR);
  called (fx->rollup, "xa-17001", T0 + 30 * SEC, 2);
  ioc_rollup_tick (fx->rollup, T0 + 8 * HOUR + SEC);
  g_assert_cmpint (latest (fx, "all", T0)->ints[IOC_F_QUEUE_CALLED], ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/ioc/rollup-archive/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("rewrite", test_rewrite);
  ADD ("crash-replay", test_crash_replay);
  ADD ("before-archive-horizon", test_before_archive_horizon);
  ADD ("torn-tail", test_torn_tail);
  ADD ("garbage", test_garbage);
  ADD ("time-near-int64-min", test_time_near_int64_min);
  ADD ("time-near-int64-max", test_time_near_int64_max);
  ADD ("unreadable", test_unreadable);
  ADD ("file-cut-short", test_file_cut_short);
  ADD ("file-replaced", test_file_replaced);
  ADD ("file-deleted", test_file_deleted);
  ADD ("day-index-bounded", test_day_index_bounded);
  ADD ("many-rewrites", test_many_rewrites);
  ADD ("interleaved-replays", test_interleaved_replays);
  g_test_add ("/ioc/rollup-archive/many-rewrites-keys-collide", Fixture, GINT_TO_POINTER (1), fixture_setup,
              test_many_rewrites, fixture_teardown);
#define ADD_SMALL_READS(path, fn)                                                                            \
  g_test_add ("/ioc/rollup-archive/small-reads/" path, Fixture, GINT_TO_POINTER (2), fixture_setup, fn,        \
              fixture_teardown)
  ADD_SMALL_READS ("rewrite", test_rewrite);
  ADD_SMALL_READS ("crash-replay", test_crash_replay);
  ADD_SMALL_READS ("torn-tail", test_torn_tail);
  ADD_SMALL_READS ("many-rewrites", test_many_rewrites);
  ADD_SMALL_READS ("interleaved-replays", test_interleaved_replays);
  ADD_SMALL_READS ("file-replaced", test_file_replaced);
  g_test_add ("/ioc/rollup-archive/rewrite-keys-collide", Fixture, GINT_TO_POINTER (1), fixture_setup, test_rewrite,
              fixture_teardown);
  g_test_add ("/ioc/rollup-archive/crash-replay-keys-collide", Fixture, GINT_TO_POINTER (1), fixture_setup,
              test_crash_replay, fixture_teardown);
  return g_test_run ();
}
