/* test-dedup.c — each (kind, device, seq) counts once; gaps are loss until
 * filled; a new epoch, or without one a seq far below the highest, is a
 * reset (neither loss nor duplicates); a jump beyond a million is refused
 * and moves nothing; the state survives a snapshot round trip with the same
 * verdicts, and a snapshot of the version before epochs still loads. */
#include <stdlib.h>
#include <string.h>

#include "ingest/dedup.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "state/snapcodec.h"

#define D IOC_KIND_DESK
#define K IOC_KIND_KIOSK
#define P IOC_KIND_PORTAL
#define NEW IOC_SEQ_NEW
#define DUP IOC_SEQ_DUPLICATE
#define JUMP IOC_SEQ_JUMP

typedef struct
{
  IocKind kind;
  const gchar *device;
  gint64 seq;
  IocSeqVerdict want;
  const gchar *epoch; /* NULL: the case's */
} Step;

typedef struct
{
  IocKind kind;
  const gchar *device;
  gint64 want_last;
  gint64 want_missing;
  gint64 want_duplicates;
  gint64 want_resets;
} DeviceWant;

typedef struct
{
  const gchar *name;
  Step steps[16];
  gint64 run_to; /* > 0: before the steps, d1 (desk) sends 1..run_to in order */
  gint64 want_missing;
  gint64 want_duplicates;
  gint64 want_late_fills;
  DeviceWant devices[3];
  const gchar *epoch; /* of run_to and of every step without its own */
  gint64 want_resets;
} Case;

static const Case cases[] = {
  { "in-order", { { D, "d1", 1, NEW }, { D, "d1", 2, NEW }, { D, "d1", 3, NEW }, { D, "d1", 4, NEW } },
    0, 0, 0, 0, { { D, "d1", 4, 0, 0 } } },
  /* The hub cannot know what came before it started: no gap. */
  { "first-message-sets-base", { { D, "d1", 500, NEW }, { D, "d1", 501, NEW } },
    0, 0, 0, 0, { { D, "d1", 501, 0, 0 } } },
  { "duplicates", { { D, "d1", 1, NEW }, { D, "d1", 2, NEW }, { D, "d1", 2, DUP }, { D, "d1", 1, DUP },
                    { D, "d1", 3, NEW }, { D, "d1", 3, DUP } },
    0, 0, 3, 0, { { D, "d1", 3, 0, 3 } } },
  { "gap-then-late-fill", { { D, "d1", 1, NEW }, { D, "d1", 5, NEW }, { D, "d1", 3, NEW }, { D, "d1", 3, DUP },
                            { D, "d1", 2, NEW }, { D, "d1", 5, DUP } },
    0, 1, 2, 2, { { D, "d1", 5, 1, 2 } } },
  { "gap-stays-loss", { { K, "k7", 10, NEW }, { K, "k7", 20, NEW }, { K, "k7", 21, NEW } },
    0, 9, 0, 0, { { K, "k7", 21, 9, 0 } } },
  /* Within an epoch: 2000 - 1000 < 1024 is inside the window; 2000 - 976
   * = 1024 is not, and is a duplicate. */
  { "too-old", { { D, "d1", 1, NEW }, { D, "d1", 2000, NEW }, { D, "d1", 500, DUP }, { D, "d1", 1000, NEW },
                 { D, "d1", 976, DUP }, { D, "d1", 977, NEW } },
    0, 1996, 2, 2, { { D, "d1", 2000, 1996, 2 } }, "e1" },
  { "step-beyond-window", { { D, "d1", 3, DUP }, { D, "d1", 5000, NEW }, { D, "d1", 4999, NEW },
                            { D, "d1", 3000, DUP }, { D, "d1", 3977, NEW }, { D, "d1", 3976, DUP } },
    3, 4994, 3, 2, { { D, "d1", 5000, 4994, 3 } }, "e1" },
  { "long-run-then-old", { { D, "d1", 1500, DUP }, { D, "d1", 477, DUP }, { D, "d1", 1501, NEW } },
    1500, 0, 2, 0, { { D, "d1", 1501, 0, 2 } }, "e1" },
  /* Without an epoch: more than 1000 below the highest is a reset, 1000
   * below is still the window. */
  { "restart-without-epoch", { { D, "d1", 1000, DUP }, { D, "d1", 999, NEW }, { D, "d1", 1000, NEW },
                               { D, "d1", 999, DUP }, { D, "d1", 2500, NEW }, { D, "d1", 1, NEW }, { D, "d1", 2, NEW },
                               { D, "d1", 1, DUP }, { D, "d1", 4, NEW } },
    2000, 1500, 3, 0, { { D, "d1", 4, 1500, 3, 2 } }, NULL, 2 },
  /* A jump of more than a million is refused and moves nothing; exactly a
   * million is believed. */
  { "jump-refused", { { D, "d1", 1000011, JUMP }, { D, "d1", 11, NEW }, { D, "d1", 1000011, NEW },
                      { K, "k1", 5, NEW, "e1" }, { K, "k1", 4611686018427387904, JUMP, "e1" },
                      { K, "k1", 6, NEW, "e1" } },
    10, 999999, 0, 0, { { D, "d1", 1000011, 999999, 0 }, { K, "k1", 6, 0, 0 } } },
  /* A new epoch is a reset: the old epoch's late repeats are duplicates,
   * its gaps stay loss, the new epoch's seq starts afresh. */
  { "epoch-change", { { D, "d1", 1, NEW, "e2" }, { D, "d1", 2, NEW, "e2" }, { D, "d1", 2000, DUP, "e1" },
                      { D, "d1", 1500, DUP, "e1" }, { D, "d1", 2, DUP, "e2" }, { D, "d1", 4, NEW, "e2" },
                      { D, "d1", 1, NEW, "e3" } },
    2000, 1, 3, 0, { { D, "d1", 1, 1, 3, 2 } }, "e1", 2 },
  /* A device that starts sending an epoch keeps its numbers. */
  { "epoch-adopted", { { D, "d1", 11, NEW, "e1" }, { D, "d1", 10, DUP, "e1" }, { D, "d1", 12, NEW, "e1" } },
    10, 0, 1, 0, { { D, "d1", 12, 0, 1 } } },
  /* SPEC §4: seq runs per (kind, device), whatever the unit topic. */
  { "kinds-are-separate", { { D, "x1", 1, NEW }, { K, "x1", 1, NEW }, { P, "x1", 1, NEW }, { D, "x1", 1, DUP },
                            { K, "x1", 3, NEW }, { D, "x1", 2, NEW } },
    0, 1, 1, 0, { { D, "x1", 2, 0, 1 }, { K, "x1", 3, 1, 0 }, { P, "x1", 1, 0, 0 } } },
  { "devices-are-separate", { { D, "a", 1, NEW }, { D, "b", 1, NEW }, { D, "a", 2, NEW }, { D, "b", 2, NEW },
                              { D, "ab", 2, NEW } },
    0, 0, 0, 0, { { D, "a", 2, 0, 0 }, { D, "b", 2, 0, 0 }, { D, "ab", 2, 0, 0 } } },
  /* Reordered just after the hub started: below the base is new, and
   * was never missing. */
  { "below-base-at-start", { { D, "d1", 100, NEW }, { D, "d1", 99, NEW }, { D, "d1", 99, DUP },
                             { D, "d1", 102, NEW }, { D, "d1", 101, NEW } },
    0, 0, 1, 1, { { D, "d1", 102, 0, 1 } } },
};

typedef struct
{
  GString *out;
  const Case *c;
  guint n_checked;
} Collect;

static void
collect_cb (const IocSeqDeviceInfo *d, gpointer user_data)
{
  Collect *col = user_data;
  g_string_append_printf (col->out, "%s/%s epoch=%s last=%" G_GINT64_FORMAT " missing=%" G_GINT64_FORMAT
                          " dups=%" G_GINT64_FORMAT " resets=%" G_GINT64_FORMAT " remapped=%" G_GINT64_FORMAT "\n",
                          ioc_kind_name (d->kind), d->device, d->epoch ? d->epoch : "-", d->last_seq, d->missing,
                          d->duplicates, d->resets, d->remapped);
  if (col->c == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (col->c->devices) && col->c->devices[i].device; i++)
    {
      const DeviceWant *w = &col->c->devices[i];
      if (w->kind == d->kind && strcmp (w->device, d->device) == 0)
        {
          g_assert_cmpint (d->last_seq, ==, w->want_last);
          g_assert_cmpint (d->missing, ==, w->want_missing);
          g_assert_cmpint (d->duplicates, ==, w->want_duplicates);
          g_assert_cmpint (d->resets, ==, w->want_resets);
          col->n_checked++;
        }
    }
}

static gchar *
describe (IocDedup *dd)
{
  Collect col = { g_string_new (NULL), NULL, 0 };
  ioc_dedup_foreach_info (dd, collect_cb, &col);
  return g_string_free (col.out, FALSE);
}

static IocDedup *
run_case (const Case *c)
{
  IocDedup *dd = ioc_dedup_new ();
  for (gint64 s = 1; s <= c->run_to; s++)
    g_assert_cmpint (ioc_dedup_check_epoch (dd, D, "d1", s, c->epoch, NULL), ==, NEW);
  for (guint i = 0; i < G_N_ELEMENTS (c->steps) && c->steps[i].device; i++)
    {
      const Step *st = &c->steps[i];
      const gchar *epoch = st->epoch ? st->epoch : c->epoch;
      gint64 highest = -1;
      g_test_message ("%s step %u: %s/%s seq %" G_GINT64_FORMAT " epoch %s", c->name, i, ioc_kind_name (st->kind),
                      st->device, st->seq, epoch ? epoch : "-");
      IocSeqVerdict v = ioc_dedup_check_epoch (dd, st->kind, st->device, st->seq, epoch, &highest);
      g_assert_cmpint (v, ==, st->want);
      if (v == JUMP)
        g_assert_cmpint (highest, >=, 1);
    }
  return dd;
}

static void
test_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      gint64 late0 = ioc_stats_lookup ("iochub_seq_late_fills_total", NULL);
      gint64 dups0 = ioc_stats_lookup ("iochub_duplicates_total", NULL);
      gint64 resets0 = ioc_stats_lookup ("iochub_seq_resets_total", NULL);
      g_autoptr (IocDedup) dd = run_case (c);
      g_assert_cmpint (ioc_dedup_missing_total (dd), ==, c->want_missing);
      g_assert_cmpint (ioc_dedup_duplicates_total (dd), ==, c->want_duplicates);
      g_assert_cmpint (ioc_stats_lookup ("iochub_seq_missing", NULL), ==, c->want_missing);
      g_assert_cmpint (ioc_stats_lookup ("iochub_duplicates_total", NULL) - dups0, ==, c->want_duplicates);
      g_assert_cmpint (ioc_stats_lookup ("iochub_seq_late_fills_total", NULL) - late0, ==, c->want_late_fills);
      g_assert_cmpint (ioc_dedup_resets_total (dd), ==, c->want_resets);
      g_assert_cmpint (ioc_stats_lookup ("iochub_seq_resets_total", NULL) - resets0, ==, c->want_resets);
      Collect col = { g_string_new (NULL), c, 0 };
      ioc_dedup_foreach_info (dd, collect_cb, &col);
      guint n_want = 0;
      while (n_want < G_N_ELEMENTS (c->devices) && c->devices[n_want].device)
        n_want++;
      g_assert_cmpuint (col.n_checked, ==, n_want);
      g_assert_cmpuint (ioc_dedup_n_devices (dd), ==, n_want);
      g_string_free (col.out, TRUE);
    }
}

/* After a save and a load, the next messages get the same verdicts and the
 * counts carry on: a restart neither double counts nor forgets loss. */
static void
test_save_load_round_trip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      g_autoptr (IocDedup) a = run_case (c);
      g_autoptr (GByteArray) bytes = g_byte_array_new ();
      ioc_dedup_save (a, bytes);
      g_autoptr (IocDedup) b = ioc_dedup_new ();
      ioc_dedup_check (b, D, "stale", 1); /* load replaces, not merges */
      g_autoptr (GError) error = NULL;
      g_assert_true (ioc_dedup_load (b, bytes->data, bytes->len, &error));
      g_assert_no_error (error);
      g_autofree gchar *da = describe (a);
      g_autofree gchar *db = describe (b);
      g_assert_cmpstr (da, ==, db);
      g_assert_cmpint (ioc_dedup_missing_total (b), ==, c->want_missing);
      g_assert_cmpint (ioc_dedup_duplicates_total (b), ==, c->want_duplicates);

      /* Probe the whole window around every device's last seq. */
      for (guint d = 0; d < G_N_ELEMENTS (c->devices) && c->devices[d].device; d++)
        {
          const DeviceWant *w = &c->devices[d];
          static const gint64 deltas[] = { -1100, -1024, -1023, -1001, -1000, -700, -3, -2, -1, 0, 1, 3, 1030 };
          static const gchar *const epochs[] = { NULL, "e1", "e2", "e9" };
          for (guint k = 0; k < G_N_ELEMENTS (deltas); k++)
            for (guint e = 0; e < G_N_ELEMENTS (epochs); e++)
              {
                gint64 seq = w->want_last + deltas[k];
                if (seq < 1)
                  continue;
                g_assert_cmpint (ioc_dedup_check_epoch (a, w->kind, w->device, seq, epochs[e], NULL), ==,
                                 ioc_dedup_check_epoch (b, w->kind, w->device, seq, epochs[e], NULL));
              }
        }
      g_assert_cmpint (ioc_dedup_missing_total (a), ==, ioc_dedup_missing_total (b));
      g_assert_cmpint (ioc_dedup_duplicates_total (a), ==, ioc_dedup_duplicates_total (b));
      g_assert_cmpint (ioc_dedup_resets_total (a), ==, ioc_dedup_resets_total (b));
      g_autofree gchar *da2 = describe (a);
      g_autofree gchar *db2 = describe (b);
      g_assert_cmpstr (da2, ==, db2);
    }
}

/* A snapshot written before epochs (section version 1) loads: the devices
 * carry on with their windows and counts, without an epoch. */
static void
test_load_version_1 (void)
{
  g_autoptr (GByteArray) v1 = g_byte_array_new ();
  ioc_snap_put_u32 (v1, 1);    /* version */
  ioc_snap_put_u32 (v1, 1024); /* window */
  ioc_snap_put_u32 (v1, 2);    /* devices */
  ioc_snap_put_u8 (v1, D);
  ioc_snap_put_str (v1, "q-1");
  ioc_snap_put_i64 (v1, 50); /* last */
  ioc_snap_put_i64 (v1, 1);  /* base */
  ioc_snap_put_i64 (v1, 0);  /* missing */
  ioc_snap_put_i64 (v1, 4);  /* duplicates */
  ioc_snap_put_u8 (v1, 0);   /* canonical window */
  ioc_snap_put_u8 (v1, K);
  ioc_snap_put_str (v1, "k-1");
  ioc_snap_put_i64 (v1, 9);
  ioc_snap_put_i64 (v1, 1);
  ioc_snap_put_i64 (v1, 1);
  ioc_snap_put_i64 (v1, 0);
  ioc_snap_put_u8 (v1, 1); /* the ring words: 1..9 without 5 */
  for (guint w = 0; w < 1024 / 64; w++)
    ioc_snap_put_i64 (v1, w == 0 ? (gint64) 0x3DE : 0);

  g_autoptr (IocDedup) d = ioc_dedup_new ();
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_dedup_load (d, v1->data, v1->len, &error));
  g_assert_no_error (error);
  g_autofree gchar *text = describe (d);
  g_assert_cmpstr (text, ==, "desk/q-1 epoch=- last=50 missing=0 dups=4 resets=0 remapped=0\n"
                             "kiosk/k-1 epoch=- last=9 missing=1 dups=0 resets=0 remapped=0\n");
  g_assert_cmpint (ioc_dedup_check (d, D, "q-1", 50), ==, DUP);
  g_assert_cmpint (ioc_dedup_check (d, D, "q-1", 51), ==, NEW);
  g_assert_cmpint (ioc_dedup_check (d, K, "k-1", 8), ==, DUP);
  g_assert_cmpint (ioc_dedup_check (d, K, "k-1", 5), ==, NEW); /* the late fill */
  g_assert_cmpint (ioc_dedup_missing_total (d), ==, 0);
  /* Its connector, upgraded, starts sending an epoch: not a reset. */
  g_assert_cmpint (ioc_dedup_check_epoch (d, D, "q-1", 52, "new1", NULL), ==, NEW);
  g_assert_cmpint (ioc_dedup_resets_total (d), ==, 0);
}

/* Remapped events are counted per device and survive a snapshot. */
static void
test_remapped (void)
{
  g_autoptr (IocDedup) d = ioc_dedup_new ();
  gint64 stat0 = ioc_stats_lookup ("iochub_remapped_total", NULL);
  ioc_dedup_check (d, P, "dvc", 1);
  ioc_dedup_count_remapped (d, P, "dvc");
  ioc_dedup_count_remapped (d, P, "dvc");
  g_assert_cmpint (ioc_dedup_remapped_total (d), ==, 2);
  g_assert_cmpint (ioc_stats_lookup ("iochub_remapped_total", NULL) - stat0, ==, 2);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  ioc_dedup_save (d, bytes);
  g_autoptr (IocDedup) back = ioc_dedup_new ();
  g_assert_true (ioc_dedup_load (back, bytes->data, bytes->len, NULL));
  g_autofree gchar *text = describe (back);
  g_assert_cmpstr (text, ==, "portal/dvc epoch=- last=1 missing=0 dups=0 resets=0 remapped=2\n");
  g_assert_cmpint (ioc_dedup_remapped_total (back), ==, 2);
}

static void
test_load_rejects_damage (void)
{
  g_autoptr (IocDedup) a = run_case (&cases[3]);
  ioc_dedup_check (a, K, "k2", 9);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  ioc_dedup_save (a, bytes);

  static const struct
  {
    const gchar *name;
    gsize len_minus; /* cut this many bytes off the end */
    gint poke_at;    /* -1 none */
    guint8 poke;
  } damage[] = {
    { "truncated", 5, -1, 0 },
    { "header-only", 0, -1, 0 }, /* replaced below by a 6-byte section */
    { "bad-version", 0, 0, 7 },
    { "other-window", 0, 5, 0x08 },
    { "bad-kind", 0, 12, 9 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (damage); i++)
    {
      g_autofree guint8 *buf = g_memdup2 (bytes->data, bytes->len);
      gsize len = bytes->len - damage[i].len_minus;
      if (i == 1)
        len = 6;
      if (damage[i].poke_at >= 0)
        buf[damage[i].poke_at] = damage[i].poke;
      g_autoptr (IocDedup) b = ioc_dedup_new ();
      g_autoptr (GError) error = NULL;
      g_test_message ("damage %s", damage[i].name);
      g_assert_false (ioc_dedup_load (b, buf, len, &error));
      g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
      g_assert_cmpuint (ioc_dedup_n_devices (b), ==, 0);
      g_assert_cmpint (ioc_dedup_missing_total (b), ==, 0);
    }
}

/* Enough devices to grow the table many times; every one keeps its own
 * counts (a probe collision would merge two devices). */
static void
test_many_devices (void)
{
  enum { N = 20000 };
  g_autoptr (IocDedup) dd = ioc_dedup_new ();
  for (guint i = 0; i < N; i++)
    {
      g_autofree gchar *dev = g_strdup_printf ("counter-%u", i);
      g_assert_cmpint (ioc_dedup_check (dd, (IocKind) (i % IOC_KIND_COUNT), dev, 1), ==, NEW);
    }
  for (guint i = 0; i < N; i++)
    {
      g_autofree gchar *dev = g_strdup_printf ("counter-%u", i);
      IocKind kind = (IocKind) (i % IOC_KIND_COUNT);
      g_assert_cmpint (ioc_dedup_check (dd, kind, dev, 1), ==, DUP);
      g_assert_cmpint (ioc_dedup_check (dd, kind, dev, 2 + i % 3), ==, NEW);
    }
  g_assert_cmpuint (ioc_dedup_n_devices (dd), ==, N);
  g_assert_cmpint (ioc_dedup_duplicates_total (dd), ==, N);
  /* Device i skipped i % 3 seqs. */
  g_assert_cmpint (ioc_dedup_missing_total (dd), ==, (N / 3) * 3 + (N % 3 == 2 ? 1 : 0));

  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  ioc_dedup_save (dd, bytes);
  g_autoptr (IocDedup) back = ioc_dedup_new ();
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_dedup_load (back, bytes->data, bytes->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ioc_dedup_n_devices (back), ==, N);
  g_assert_cmpint (ioc_dedup_missing_total (back), ==, ioc_dedup_missing_total (dd));
  g_assert_cmpint (ioc_dedup_check (back, IOC_KIND_DESK, "counter-0", 2), ==, DUP);
  g_assert_cmpint (ioc_dedup_check (back, IOC_KIND_KIOSK, "counter-0", 1), ==, NEW);
}

/* A hub owning some units sees every other seq of a portal connector: no
 * loss counted for portals, still for desks, and duplicates still dropped. */
static void
test_gapless_kind (void)
{
  g_autoptr (IocDedup) d = ioc_dedup_new ();
  ioc_dedup_set_gapless (d, IOC_KIND_PORTAL, TRUE);
  for (gint64 seq = 1; seq <= 100; seq += 3)
    {
      g_assert_cmpint (ioc_dedup_check (d, IOC_KIND_PORTAL, "dvc", seq), ==, IOC_SEQ_NEW);
      g_assert_cmpint (ioc_dedup_check (d, IOC_KIND_DESK, "q1", seq), ==, IOC_SEQ_NEW);
    }
  g_assert_cmpint (ioc_dedup_check (d, IOC_KIND_PORTAL, "dvc", 40), ==, IOC_SEQ_DUPLICATE);
  /* A skipped seq arriving late is new, and was never counted missing. */
  g_assert_cmpint (ioc_dedup_check (d, IOC_KIND_PORTAL, "dvc", 41), ==, IOC_SEQ_NEW);
  g_assert_cmpint (ioc_dedup_check (d, IOC_KIND_PORTAL, "dvc", 41), ==, IOC_SEQ_DUPLICATE);
  /* The desk skipped 2 of every 3 from 1 to 100: 66 missing; the portal none. */
  g_assert_cmpint (ioc_dedup_missing_total (d), ==, 66);
  ioc_dedup_set_gapless (d, IOC_KIND_PORTAL, FALSE);
  g_assert_cmpint (ioc_dedup_check (d, IOC_KIND_PORTAL, "dvc", 110), ==, IOC_SEQ_NEW);
  g_assert_cmpint (ioc_dedup_missing_total (d), ==, 66 + 9);
}

static gboolean
keep_odd (IocKind kind, const gchar *device, gpointer data)
{
  return (strtoul (device + strlen ("counter-"), NULL, 10) & 1) == 1;
}

static void
note_order (IocKind kind, const gchar *device, gint64 last_seq, gint64 missing, gint64 duplicates, gpointer out)
{
  g_ptr_array_add (out, g_strdup (device));
}

/* Forgetting silent devices ([hub] forget_devices_after): across several
 * blocks of devices, the kept ones keep their windows, epochs and order,
 * the forgotten ones start again as new devices, and the table still finds
 * everything after it shrank and grew again. */
static void
test_retain (void)
{
  enum { N = 5000 };
  g_autoptr (IocDedup) dd = ioc_dedup_new ();
  for (guint i = 0; i < N; i++)
    {
      g_autofree gchar *dev = g_strdup_printf ("counter-%u", i);
      g_assert_cmpint (ioc_dedup_check_epoch (dd, IOC_KIND_DESK, dev, 10, i % 7 == 0 ? "ep-a" : NULL, NULL), ==, NEW);
    }
  g_assert_cmpuint (ioc_dedup_retain (dd, keep_odd, NULL), ==, N / 2);
  g_assert_cmpuint (ioc_dedup_n_devices (dd), ==, N / 2);
  g_autoptr (GPtrArray) order = g_ptr_array_new_with_free_func (g_free);
  ioc_dedup_foreach (dd, note_order, order);
  for (guint i = 0; i < order->len; i++)
    {
      g_autofree gchar *want = g_strdup_printf ("counter-%u", 2 * i + 1);
      g_assert_cmpstr (g_ptr_array_index (order, i), ==, want);
    }
  for (guint i = 0; i < N; i++)
    {
      g_autofree gchar *dev = g_strdup_printf ("counter-%u", i);
      const gchar *epoch = i % 7 == 0 ? "ep-a" : NULL;
      /* Kept: seq 10 was seen.  Forgotten: seq 10 is a first message. */
      g_assert_cmpint (ioc_dedup_check_epoch (dd, IOC_KIND_DESK, dev, 10, epoch, NULL), ==, (i & 1) ? DUP : NEW);
      g_assert_cmpint (ioc_dedup_check_epoch (dd, IOC_KIND_DESK, dev, 11, epoch, NULL), ==, NEW);
    }
  g_assert_cmpuint (ioc_dedup_n_devices (dd), ==, N);
  g_assert_cmpint (ioc_dedup_resets_total (dd), ==, 0);
  g_assert_cmpuint (ioc_dedup_retain (dd, keep_odd, NULL), ==, N / 2);
  g_assert_cmpuint (ioc_dedup_retain (dd, keep_odd, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/dedup/table", test_table);
  g_test_add_func ("/ioc/dedup/save-load-round-trip", test_save_load_round_trip);
  g_test_add_func ("/ioc/dedup/load-rejects-damage", test_load_rejects_damage);
  g_test_add_func ("/ioc/dedup/load-version-1", test_load_version_1);
  g_test_add_func ("/ioc/dedup/remapped", test_remapped);
  g_test_add_func ("/ioc/dedup/many-devices", test_many_devices);
  g_test_add_func ("/ioc/dedup/gapless-kind", test_gapless_kind);
  g_test_add_func ("/ioc/dedup/retain", test_retain);
  return g_test_run ();
}
