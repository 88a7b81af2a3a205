/* test-snapshot.c — checkpoints come back exactly, replacing one is atomic,
 * and a damaged file stops the hub with an error that names it. */
#include <glib/gstdio.h>
#include <string.h>
#include <zlib.h>

#include "test-util.h"
#include "protocol/ioc-error.h"
#include "state/snapshot.h"

typedef struct
{
  gchar *dir;
} Fixture;


static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("test-snapshot-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  ioc_test_rm_rf (f->dir);
  g_free (f->dir);
}

static const guint8 binary[] = { 0, 1, 2, 0xff, 0, 'x', 0 };

/* A snapshot with a tag in one section, so tests can tell two apart. */
static IocSnapshot *
make_snapshot (guint64 segment, guint64 offset, const gchar *tag)
{
  IocSnapshot *s = ioc_snapshot_new ((IocJournalPos) { segment, offset });
  g_autoptr (GBytes) a = g_bytes_new (tag, strlen (tag));
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (GBytes) bin = g_bytes_new (binary, sizeof binary);
  g_autofree guint8 *big = g_malloc (300000);
  for (guint i = 0; i < 300000; i++)
    big[i] = (guint8) (i * 7);
  g_autoptr (GBytes) large = g_bytes_new (big, 300000);
  ioc_snapshot_add_section (s, "dedup", a);
  ioc_snapshot_add_section (s, "empty", empty);
  ioc_snapshot_add_section (s, "binary", bin);
  ioc_snapshot_add_section (s, "windows", large);
  return s;
}

static void
assert_tag (IocSnapshot *s, const gchar *tag)
{
  GBytes *b = ioc_snapshot_get_section (s, "dedup");
  g_assert_nonnull (b);
  gsize len = 0;
  const void *p = g_bytes_get_data (b, &len);
  g_assert_cmpmem (p, len, tag, strlen (tag));
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocSnapshot) none = ioc_snapshot_load (f->dir, &error);
  g_assert_no_error (error);
  g_assert_null (none); /* first start: no snapshot, no error */

  g_autoptr (IocSnapshot) s = make_snapshot (7, 123456, "one");
  g_assert_true (ioc_snapshot_save (s, f->dir, &error));
  g_assert_no_error (error);

  g_autoptr (IocSnapshot) back = ioc_snapshot_load (f->dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  IocJournalPos pos = ioc_snapshot_pos (back);
  g_assert_cmpuint (pos.segment, ==, 7);
  g_assert_cmpuint (pos.offset, ==, 123456);
  static const gchar *names[] = { "dedup", "empty", "binary", "windows" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GBytes *want = ioc_snapshot_get_section (s, names[i]);
      GBytes *got = ioc_snapshot_get_section (back, names[i]);
      g_assert_nonnull (got);
      g_assert_true (g_bytes_equal (want, got));
    }
  g_assert_null (ioc_snapshot_get_section (back, "rollup"));

  /* A second section of one name replaces the first. */
  g_autoptr (GBytes) two = g_bytes_new ("two", 3);
  ioc_snapshot_add_section (back, "dedup", two);
  assert_tag (back, "two");
}

static void
test_replace_keeps_prev (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocSnapshot) a = make_snapshot (1, 100, "old");
  g_autoptr (IocSnapshot) b = make_snapshot (2, 200, "new");
  g_assert_true (ioc_snapshot_save (a, f->dir, &error));
  g_assert_true (ioc_snapshot_save (b, f->dir, &error));
  g_assert_no_error (error);

  g_autoptr (IocSnapshot) cur = ioc_snapshot_load (f->dir, &error);
  g_assert_no_error (error);
  assert_tag (cur, "new");
  g_assert_cmpuint (ioc_snapshot_pos (cur).segment, ==, 2);

  /* snapshot.prev still holds the older checkpoint … */
  g_autofree gchar *cur_path = g_build_filename (f->dir, "snapshot", NULL);
  g_autofree gchar *tmp_path = g_build_filename (f->dir, "snapshot.tmp", NULL);
  g_assert_false (g_file_test (tmp_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_unlink (cur_path), ==, 0);
  /* … which is used only if the current one was removed. */
  g_autoptr (IocSnapshot) prev = ioc_snapshot_load (f->dir, &error);
  g_assert_no_error (error);
  assert_tag (prev, "old");
  g_assert_cmpuint (ioc_snapshot_pos (prev).offset, ==, 100);
}

static void
test_failed_save_keeps_old (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocSnapshot) a = make_snapshot (3, 300, "good");
  g_assert_true (ioc_snapshot_save (a, f->dir, &error));

  /* The temporary file cannot be created (a directory is in the way). */
  g_autofree gchar *tmp_path = g_build_filename (f->dir, "snapshot.tmp", NULL);
  g_autofree gchar *blocker = g_build_filename (tmp_path, "x", NULL);
  g_assert_cmpint (g_mkdir (tmp_path, 0700), ==, 0);
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));

  g_autoptr (IocSnapshot) b = make_snapshot (4, 400, "lost");
  g_assert_false (ioc_snapshot_save (b, f->dir, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "snapshot.tmp"));
  g_clear_error (&error);

  g_autoptr (IocSnapshot) back = ioc_snapshot_load (f->dir, &error);
  g_assert_no_error (error);
  assert_tag (back, "good");
  g_assert_cmpuint (ioc_snapshot_pos (back).segment, ==, 3);

  /* A directory that does not exist fails cleanly too. */
  g_autofree gchar *missing = g_build_filename (f->dir, "no", "such", NULL);
  g_assert_false (ioc_snapshot_save (b, missing, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_IO);

  /* A stale temporary file (crash during a save) is ignored and replaced. */
  ioc_test_rm_rf (tmp_path);
  g_assert_true (g_file_set_contents (tmp_path, "half a snapsh", -1, NULL));
  g_clear_error (&error);
  g_autoptr (IocSnapshot) again = ioc_snapshot_load (f->dir, &error);
  g_assert_no_error (error);
  assert_tag (again, "good");
  g_assert_true (ioc_snapshot_save (b, f->dir, &error));
  g_autoptr (IocSnapshot) latest = ioc_snapshot_load (f->dir, &error);
  g_assert_no_error (error);
  assert_tag (latest, "lost");
}

static void
test_corrupt_detected (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocSnapshot) s = make_snapshot (5, 500, "tag");
  g_assert_true (ioc_snapshot_save (s, f->dir, &error));
  g_autofree gchar *path = g_build_filename (f->dir, "snapshot", NULL);
  g_autofree gchar *orig = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &orig, &len, NULL));

  static const struct
  {
    const gchar *name;
    gssize flip_at;   /* byte to flip, -1 none; negative from the end below -1 */
    gssize keep_len;  /* truncate to this many bytes; -1 keep */
    gboolean bump_version; /* valid CRC, unknown version */
    const gchar *want;
  } cases[] = {
    { "magic", 0, -1, FALSE, "bad magic" },
    { "position", 14, -1, FALSE, "checksum" },
    { "section-data", 200, -1, FALSE, "checksum" },
    { "crc-itself", -2, -1, FALSE, "checksum" },
    { "truncated", -1, 1000, FALSE, "checksum" },
    { "empty", -1, 0, FALSE, "bad magic" },
    { "future-version", -1, -1, TRUE, "version" },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_test_message ("case %s", cases[c].name);
      g_autofree gchar *buf = g_memdup2 (orig, len);
      gsize n = cases[c].keep_len >= 0 ? (gsize) cases[c].keep_len : len;
      if (cases[c].flip_at >= 0)
        buf[cases[c].flip_at] ^= 0x10;
      else if (cases[c].flip_at < -1)
        buf[(gssize) len + cases[c].flip_at + 1] ^= 0x10;
      if (cases[c].bump_version)
        {
          buf[8] = 99;
          guint32 crc = GUINT32_TO_LE ((guint32) crc32 (crc32 (0, Z_NULL, 0), (const Bytef *) buf, (uInt) (n - 4)));
          memcpy (buf + n - 4, &crc, 4);
        }
      g_assert_true (g_file_set_contents (path, buf, (gssize) n, NULL));
      g_autoptr (IocSnapshot) back = ioc_snapshot_load (f->dir, &error);
      g_assert_null (back);
      g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_nonnull (strstr (error->message, cases[c].want));
      g_clear_error (&error);
    }
}

static gboolean
count_cb (const gchar *topic, gsize topic_len, const guint8 *payload, gsize len, guint32 flags,
          gint64 arrival_us, IocJournalPos pos, gpointer user_data)
{
  gint64 *sum = user_data;
  *sum += arrival_us; /* the "state": a sum over every message once */
  return TRUE;
}

/* The hub's restart: state from the snapshot plus the journal after its
 * position counts every message exactly once, across segment rolls and
 * compaction. */
static void
test_restart_exactly_once (Fixture *f, gconstpointer data)
{
  enum { N = 300, SNAP_AT = 170 };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *jdir = g_build_filename (f->dir, "journal", NULL);
  IocJournalOptions opts = { 1024, G_MAXINT64 / 2, 0 };
  gint64 want = 0, state = 0;
  {
    g_autoptr (IocJournal) j = ioc_journal_open (jdir, &opts, &error);
    g_assert_no_error (error);
    for (gint64 i = 1; i <= N; i++)
      {
        IocJournalPos pos;
        g_assert_true (ioc_journal_append (j, "t", 1, (const guint8 *) "{}", 2, 0, i, &pos, &error));
        want += i;
        if (i <= SNAP_AT)
          state += i; /* processed by the main thread */
        if (i == SNAP_AT)
          {
            g_autoptr (IocSnapshot) s = ioc_snapshot_new (pos);
            g_autoptr (GBytes) b = g_bytes_new (&state, sizeof state);
            ioc_snapshot_add_section (s, "sum", b);
            g_assert_true (ioc_snapshot_save (s, f->dir, &error));
            ioc_journal_compact (j, pos);
          }
      }
  } /* the hub dies here with N - SNAP_AT messages journaled, unprocessed */

  g_autoptr (IocSnapshot) s = ioc_snapshot_load (f->dir, &error);
  g_assert_no_error (error);
  g_autoptr (IocJournal) j = ioc_journal_open (jdir, &opts, &error);
  g_assert_no_error (error);
  GBytes *b = ioc_snapshot_get_section (s, "sum");
  gint64 sum = 0;
  memcpy (&sum, g_bytes_get_data (b, NULL), sizeof sum);
  guint64 n = 0;
  g_assert_true (ioc_journal_replay (j, ioc_snapshot_pos (s), count_cb, &sum, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, N - SNAP_AT);
  g_assert_cmpint (sum, ==, want);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/ioc/snapshot/round-trip", test_round_trip);
  ADD ("/ioc/snapshot/replace-keeps-prev", test_replace_keeps_prev);
  ADD ("/ioc/snapshot/failed-save-keeps-old", test_failed_save_keeps_old);
  ADD ("/ioc/snapshot/corrupt-detected", test_corrupt_detected);
  ADD ("/ioc/snapshot/restart-exactly-once", test_restart_exactly_once);
  return g_test_run ();
}
