/* fuzz-rollup-archive.c — libFuzzer target for the reader of the rollup's
 * archive of past minutes (hub/aggregate/rollup-archive.c, state_dir/rollup-archive/
 * DAY.bin): the file is the hub's own, but a crash tears it and a disk can
 * damage it, and a late event reads it back.
 *
 * Input: the first byte picks the file.  Even: the rest of the input is the
 * day file as found.  Odd: a day file the rollup wrote itself (two units'
 * counts and a wait sketch in one minute) damaged as the input says: bytes
 * 1-2 (little-endian) an offset whose byte is XORed with byte 3 (0: none),
 * byte 4 a number of bytes cut off the end.  Then a fresh rollup, eight
 * hours on, takes one late fact for that minute, which makes it read the
 * file.  Checks: never crashes or reads out of bounds; the corrected "all"
 * point is emitted and counts the late fact; from an undamaged file it is
 * exactly the archived count plus the fact; a damaged record is never taken
 * in part (the count is either the whole archived one or none of it).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "aggregate/rollup.h"

#define SEC G_USEC_PER_SEC
/* 2025-07-01 08:00:00 UTC = 15:00 in Vietnam, a minute boundary. */
#define T0 ((gint64) 1751356800 * SEC)
#define LATE 2 /* the late fact's count */
#define ARCHIVED 7 /* what the written file holds for "all" */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gchar *dir;  /* state_dir/rollup-archive of this process */
static gchar *file; /* its day file for T0 */
static GBytes *written; /* a day file the rollup wrote */

typedef struct
{
  gint64 all_called; /* -1: no "all" point for T0 */
} Emitted;

static void
emit_cb (const IocPoint *p, gpointer user_data)
{
  Emitted *e = user_data;
  if (p->measurement == IOC_MEAS_QUEUE && g_strcmp0 (p->unit, "all") == 0 && p->ts_us == T0)
    e->all_called = p->ints[IOC_F_QUEUE_CALLED];
}

static void
quiet_log (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  /* The reader's one warning per damaged file is expected here. */
}

static void
called (IocRollup *r, const gchar *unit, gint64 ts, gint64 n)
{
  IocFact f = { .measurement = IOC_MEAS_QUEUE, .kind = IOC_FACT_COUNT, .field = IOC_F_QUEUE_CALLED,
                .unit = ioc_intern (unit), .ts_us = ts, .delta = n };
  ioc_rollup_add (r, &f);
}

static void
clear_dir (void)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
}

static void
remove_dir (void)
{
  clear_dir ();
  g_rmdir (dir);
  g_autofree gchar *parent = g_path_get_dirname (dir);
  g_rmdir (parent);
}

static void
setup (void)
{
  g_log_set_handler ("ioc-aggregate", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet_log, NULL);
  g_autofree gchar *tmp = g_dir_make_tmp ("fuzz-rollup-archive-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  dir = g_build_filename (tmp, "rollup-archive", NULL);
  file = g_build_filename (dir, "2025-07-01.bin", NULL);
  atexit (remove_dir);
  Emitted e = { -1 };
  IocRollup *r = ioc_rollup_new (NULL, emit_cb, &e);
  ioc_rollup_set_archive (r, dir, T0 - 24 * G_TIME_SPAN_HOUR);
  called (r, "xa-17001", T0 + 5 * SEC, 3);
  called (r, "xa-17003", T0 + 6 * SEC, 4);
  IocFact w = { .measurement = IOC_MEAS_QUEUE, .kind = IOC_FACT_SAMPLE, .field = IOC_S_QUEUE_WAIT,
                .unit = ioc_intern ("xa-17001"), .ts_us = T0 + 7 * SEC, .sample = 100.0 };
  ioc_rollup_add (r, &w);
  ioc_rollup_tick (r, T0 + 2 * G_TIME_SPAN_MINUTE);
  ioc_rollup_tick (r, T0 + 8 * G_TIME_SPAN_HOUR);
  g_assert_true (ioc_rollup_archive (r, NULL));
  ioc_rollup_free (r);
  gchar *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (file, &bytes, &len, NULL));
  written = g_bytes_new_take (bytes, len);
  g_assert_cmpint (e.all_called, ==, ARCHIVED);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1 || size > 64 * 1024)
    return 0;
  if (dir == NULL)
    setup ();
  clear_dir ();

  gboolean damaged = FALSE;
  if ((data[0] & 1) == 0)
    {
      g_assert_true (g_file_set_contents (file, (const gchar *) data + 1, (gssize) size - 1, NULL));
      damaged = TRUE; /* whatever it holds */
    }
  else
    {
      gsize len = 0;
      const guint8 *w = g_bytes_get_data (written, &len);
      g_autofree guint8 *copy = g_memdup2 (w, len);
      if (size >= 4 && data[3] != 0 && len > 0)
        {
          gsize at = ((gsize) data[1] | ((gsize) data[2] << 8)) % len;
          copy[at] ^= data[3];
          damaged = TRUE;
        }
      gsize cut = size >= 5 ? MIN ((gsize) data[4], len) : 0;
      damaged |= cut > 0;
      g_assert_true (g_file_set_contents (file, (const gchar *) copy, (gssize) (len - cut), NULL));
    }

  Emitted e = { -1 };
  IocRollup *r = ioc_rollup_new (NULL, emit_cb, &e);
  ioc_rollup_set_archive (r, dir, T0 - 24 * G_TIME_SPAN_HOUR);
  ioc_rollup_tick (r, T0 + 8 * G_TIME_SPAN_HOUR);
  called (r, "xa-17001", T0 + 30 * SEC, LATE);
  ioc_rollup_tick (r, T0 + 8 * G_TIME_SPAN_HOUR + SEC);
  /* The late fact is in the series, whatever the file held. */
  if (e.all_called < LATE)
    {
      g_printerr ("fuzz-rollup-archive: \"all\" point %" G_GINT64_FORMAT ", expected at least %d\n", e.all_called,
                  LATE);
      abort ();
    }
  if (!damaged && e.all_called != ARCHIVED + LATE)
    {
      g_printerr ("fuzz-rollup-archive: undamaged file gave %" G_GINT64_FORMAT ", expected %d\n", e.all_called,
                  ARCHIVED + LATE);
      abort ();
    }
  if (damaged && (data[0] & 1) == 1 && e.all_called != LATE && e.all_called != ARCHIVED + LATE)
    {
      g_printerr ("fuzz-rollup-archive: a damaged record was taken in part: %" G_GINT64_FORMAT "\n", e.all_called);
      abort ();
    }
  ioc_rollup_free (r);
  return 0;
}
