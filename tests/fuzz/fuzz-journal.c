/* fuzz-journal.c — libFuzzer target for the journal's reader
 * (state/journal.c): opening a directory of segments left by a crash or
 * damaged on disk, and replaying it.
 *
 * Input: byte 0 chooses the mode.
 *  - Even: written, then damaged.  Bytes 1-2 (LE) are a file offset, byte 3
 *    a mask XORed into the byte there (0: none), bytes 4-5 how many bytes
 *    to cut off the end, byte 6 the segment size in units of 64 bytes (0:
 *    one large segment); the rest, one record per line ("TOPIC PAYLOAD",
 *    at most 32), is appended with the journal itself.  Then the newest
 *    segment (or, for odd byte 6, the oldest) is damaged as told.
 *  - Odd: the rest of the input is the only segment file, as found on disk;
 *    with bit 1 set the harness writes a valid segment header before it so
 *    the records behind it are read.
 * Checks: never crashes, leaks or reads outside a file; a refused open or
 * replay says why in an error naming the journal; an undamaged journal
 * replays every record appended, in order, byte for byte and with its
 * flags; a replayed record never has a flag this version does not know; a
 * damaged one
 * that opens replays a prefix of what was appended (never a changed or
 * invented record); after any successful open, one more append replays as
 * the last record (the torn tail was cut at a record boundary).
 *
 * The files live in a private temporary directory (memory-backed when
 * /dev/shm exists), emptied before every input.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "state/journal.h"
#include "test-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_RECORDS 32
/* The space allocated ahead of the end (default 16 MiB): small, one
 * journal per input. */
#define RESERVE (64u * 1024u)

/* Every other record is written with the TRUNCATED flag. */
static guint32
record_flags (guint n)
{
  return (n & 1) ? IOC_JOURNAL_FLAG_TRUNCATED : 0;
}

typedef struct
{
  GPtrArray *topics;   /* GBytes */
  GPtrArray *payloads; /* GBytes */
  guint n;             /* records seen by the replay */
  guint checksum;      /* of the bytes of raw records: makes the reads real */
  gboolean mismatch;
} Replay;

static gchar *tmp_dir;
static gchar *jdir;

static void
empty_dir (void)
{
  GDir *d = g_dir_open (jdir, 0, NULL);
  if (d == NULL)
    return;
  const gchar *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      gchar *p = g_build_filename (jdir, name, NULL);
      unlink (p);
      g_free (p);
    }
  g_dir_close (d);
}

static void
remove_tmp (void)
{
  empty_dir ();
  rmdir (jdir);
  rmdir (tmp_dir);
}

/* The journal warns when it cuts a torn tail: expected here, and one line
 * per input would slow the run.  A critical still stops it. */
static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    abort ();
  return G_LOG_WRITER_HANDLED;
}

static void
init_tmp (void)
{
  if (tmp_dir != NULL)
    return;
  g_log_set_writer_func (quiet_writer, NULL, NULL);
  tmp_dir = ioc_test_fuzz_tmp_dir ("fuzz-journal");
  jdir = g_build_filename (tmp_dir, "journal", NULL);
  atexit (remove_tmp);
}

static gboolean
on_record (const gchar *topic, gsize topic_len, const guint8 *payload, gsize len, guint32 flags,
           gint64 arrival_us, IocJournalPos pos, gpointer user_data)
{
  Replay *r = user_data;
  if (r->topics != NULL)
    {
      if (r->n >= r->topics->len)
        r->mismatch = TRUE;
      else
        {
          gsize tl = 0, pl = 0;
          const void *t = g_bytes_get_data (g_ptr_array_index (r->topics, r->n), &tl);
          const void *p = g_bytes_get_data (g_ptr_array_index (r->payloads, r->n), &pl);
          if (tl != topic_len || pl != len || (tl && memcmp (t, topic, tl)) || (pl && memcmp (p, payload, pl))
              || arrival_us != 1000 + (gint64) r->n || flags != record_flags (r->n))
            r->mismatch = TRUE;
        }
    }
  else
    {
      if ((flags & ~IOC_JOURNAL_FLAGS_KNOWN) != 0)
        abort ();
      /* Touch every byte so ASan checks the slices. */
      guint8 sum = 0;
      for (gsize i = 0; i < topic_len; i++)
        sum += (guint8) topic[i];
      for (gsize i = 0; i < len; i++)
        sum += payload[i];
      r->checksum += sum;
    }
  r->n++;
  return TRUE;
}

static void
check_error (GError *error)
{
  if (error == NULL || error->message[0] == '\0' || strstr (error->message, "journal") == NULL)
    abort ();
}

/* Appends one record to an opened journal and checks that it replays last. */
static void
append_after_open (IocJournal *j, guint n_before)
{
  GError *error = NULL;
  IocJournalPos pos;
  if (!ioc_journal_append (j, "t/after", 7, (const guint8 *) "after", 5, 0, 1, &pos, &error))
    abort ();
  Replay r = { 0 };
  if (!ioc_journal_replay (j, (IocJournalPos) { 0, 0 }, on_record, &r, NULL, &error))
    abort ();
  if (r.n != n_before + 1)
    abort ();
  if (ioc_journal_pos_compare (pos, ioc_journal_end (j)) != 0)
    abort ();
}

static gchar *
segment_file (guint64 segment)
{
  gchar *name = g_strdup_printf ("journal-%020" G_GUINT64_FORMAT ".log", segment);
  gchar *path = g_build_filename (jdir, name, NULL);
  g_free (name);
  return path;
}

static void
fuzz_raw (const uint8_t *data, size_t size, gboolean with_header)
{
  g_mkdir_with_parents (jdir, 0700);
  GByteArray *file = g_byte_array_new ();
  if (with_header)
    {
      /* "IOCJSEG1" | crc32 of bytes 12..39 | u32 version 1 | u64 segment 1 |
       * u64 previous 0 | u64 previous end 0. */
      guint8 h[40] = { 'I', 'O', 'C', 'J', 'S', 'E', 'G', '1' };
      h[12] = 1;
      h[16] = 1;
      guint32 crc = (guint32) crc32 (crc32 (0L, Z_NULL, 0), h + 12, 28);
      crc = GUINT32_TO_LE (crc);
      memcpy (h + 8, &crc, 4);
      g_byte_array_append (file, h, sizeof h);
    }
  g_byte_array_append (file, data, (guint) size);
  gchar *path = segment_file (1);
  if (!g_file_set_contents (path, (const gchar *) file->data, file->len, NULL))
    abort ();
  g_free (path);
  g_byte_array_unref (file);

  GError *error = NULL;
  IocJournalOptions opts = { .reserve_bytes = RESERVE };
  IocJournal *j = ioc_journal_open (jdir, &opts, &error);
  if (j == NULL)
    {
      check_error (error);
      g_error_free (error);
      return;
    }
  Replay r = { 0 };
  guint64 n = 0;
  if (ioc_journal_replay (j, (IocJournalPos) { 0, 0 }, on_record, &r, &n, &error))
    {
      if (n != r.n)
        abort ();
      append_after_open (j, r.n);
    }
  else
    {
      check_error (error);
      g_error_free (error);
    }
  ioc_journal_free (j);
}

static void
fuzz_damaged (const uint8_t *data, size_t size)
{
  if (size < 7)
    return;
  guint offset = data[1] | (guint) data[2] << 8;
  guint8 mask = data[3];
  guint cut = data[4] | (guint) data[5] << 8;
  guint8 seg_units = data[6];
  IocJournalOptions opts = { .reserve_bytes = RESERVE };
  if (seg_units >> 1)
    opts.segment_bytes = (guint64) (seg_units >> 1) * 64;

  Replay want = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref),
                  g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref), 0, 0, FALSE };
  GError *error = NULL;
  IocJournal *j = ioc_journal_open (jdir, &opts, &error);
  if (j == NULL)
    abort ();
  const gchar *p = (const gchar *) data + 7, *end = (const gchar *) data + size;
  while (p < end && want.topics->len < MAX_RECORDS)
    {
      const gchar *nl = memchr (p, '\n', (gsize) (end - p));
      const gchar *line_end = nl ? nl : end;
      const gchar *sp = memchr (p, ' ', (gsize) (line_end - p));
      const gchar *topic_end = sp ? sp : line_end;
      const gchar *payload = sp ? sp + 1 : line_end;
      gint64 arrival = 1000 + (gint64) want.topics->len;
      if (!ioc_journal_append (j, p, (gsize) (topic_end - p), (const guint8 *) payload,
                               (gsize) (line_end - payload), record_flags (want.topics->len), arrival, NULL,
                               &error))
        abort ();
      g_ptr_array_add (want.topics, g_bytes_new (p, (gsize) (topic_end - p)));
      g_ptr_array_add (want.payloads, g_bytes_new (payload, (gsize) (line_end - payload)));
      p = nl ? nl + 1 : end;
    }
  guint64 last = ioc_journal_end (j).segment;
  ioc_journal_free (j);

  /* Damage one segment file. */
  gboolean damaged = FALSE;
  gchar *path = segment_file ((seg_units & 1) ? 1 : last);
  gchar *bytes = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &bytes, &len, NULL))
    abort ();
  if (mask != 0 && len > 0)
    {
      bytes[offset % len] ^= (gchar) mask;
      damaged = TRUE;
    }
  if (cut > 0 && len > 0)
    {
      len -= MIN (cut, len);
      damaged = TRUE;
    }
  if (!g_file_set_contents (path, bytes, (gssize) len, NULL))
    abort ();
  g_free (bytes);
  g_free (path);

  j = ioc_journal_open (jdir, &opts, &error);
  if (j == NULL)
    {
      if (!damaged)
        abort ();
      check_error (error);
      g_error_free (error);
    }
  else
    {
      guint64 n = 0;
      if (ioc_journal_replay (j, (IocJournalPos) { 0, 0 }, on_record, &want, &n, &error))
        {
          if (want.mismatch || n != want.n || want.n > want.topics->len)
            abort ();
          if (!damaged && want.n != want.topics->len)
            abort ();
          append_after_open (j, want.n);
        }
      else
        {
          if (!damaged || want.mismatch)
            abort ();
          check_error (error);
          g_error_free (error);
        }
      ioc_journal_free (j);
    }
  g_ptr_array_unref (want.topics);
  g_ptr_array_unref (want.payloads);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1 || size > 8192)
    return 0;
  init_tmp ();
  empty_dir ();
  if (data[0] & 1)
    fuzz_raw (data + 1, size - 1, (data[0] & 2) != 0);
  else
    fuzz_damaged (data, size);
  empty_dir ();
  return 0;
}
