/* fuzz-sections.c — libFuzzer target for every stage's snapshot section
 * reader: dedup, rollup, device health, the dossier tracker, the 766 score
 * book and today's queues (their *_load functions).  fuzz-snapshot covers
 * the container; these read what is inside it, after a crash, a full disk
 * or a bad sector.
 *
 * At start a real IocHub (as hub/main.c builds it, without a broker, on a
 * manual clock) takes a few messages of every kind (dossiers, tickets,
 * ratings, desk, kiosk and camera statuses, an epoch reset) and saves its
 * snapshot: its sections are the well-formed bases.
 *
 * Input: byte 0 chooses the stage (low bits) and the mode (bit 7).  Mode
 * clear: the rest is the section.  Mode set: the rest is (offset LE16, xor
 * byte) triples applied to that stage's base section (and a final length
 * cut when the input leaves one or two bytes over).  Checks: never crashes,
 * leaks or reads outside the bytes; a refused section gives an error with a
 * message; an accepted one saved again is accepted again, and saves to as
 * many bytes (what a stage took in, it can write back).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/device-health.h"
#include "aggregate/dossier-tracker.h"
#include "aggregate/queue-stats.h"
#include "aggregate/rollup.h"
#include "hub.h"
#include "hub-private.h"
#include "ingest/dedup.h"
#include "model/calendar.h"
#include "model/procedures.h"
#include "score/score-book.h"
#include "state/snapshot.h"
#include "test-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define T0_MS G_GINT64_CONSTANT (1795309200000) /* 2026-11-22T08:00:00+07:00 */

enum { DEDUP, ROLLUP, DEVICES, DOSSIERS, SCORE, QUEUES, N_STAGES };
static const gchar *const section_names[N_STAGES] = { "dedup", "rollup", "devices", "dossiers", "score", "queues" };

static GBytes *bases[N_STAGES];
static IocCalendar *calendar;
static IocProcedures *procedures;
static gchar *hub_dir;

static void
remove_hub_dir (void)
{
  ioc_test_rm_rf (hub_dir);
}

static void
ingest (IocHub *hub, const gchar *topic, const gchar *body, guint seq, gint64 ts_ms, const gchar *epoch)
{
  g_autofree gchar *ep = epoch != NULL ? g_strdup_printf (",\"epoch\":\"%s\"", epoch) : g_strdup ("");
  g_autofree gchar *p = g_strdup_printf ("{\"v\":1,\"seq\":%u%s,\"ts\":%" G_GINT64_FORMAT ",%s}", seq, ep, ts_ms, body);
  ioc_hub_ingest (hub, topic, strlen (topic), (const guint8 *) p, strlen (p), T0_MS * 1000);
}

/* A hub that took one of everything, then its snapshot's sections. */
static void
build_bases (void)
{
  g_autoptr (GError) error = NULL;
  hub_dir = g_dir_make_tmp ("fuzz-sections-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_hub_dir);
  g_autofree gchar *conf = g_strdup_printf (
      "[hub]\nprovince = 40\nunits = %s/ops/units/nghe-an.csv\n"
      "calendar = %s/ops/calendar/vn-2025.conf,%s/ops/calendar/vn-2026.conf\n"
      "procedures = %s/ops/procedures.conf\nstate_dir = %s/state\nscorecard = %s/ops/score-766.conf\n"
      "[mqtt]\nclient_id = fuzz-sections\n[http]\nlisten = 127.0.0.1:0\n",
      IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, hub_dir, IOC_SOURCE_ROOT);
  g_autofree gchar *conf_path = g_build_filename (hub_dir, "hub.conf", NULL);
  g_assert_true (g_file_set_contents (conf_path, conf, -1, NULL));
  IocHubConfig *config = ioc_hub_config_load (conf_path, &error);
  g_assert_no_error (error);
  g_autoptr (IocClock) clock = ioc_clock_new_manual (T0_MS * 1000);
  IocHub *hub = ioc_hub_new (config, clock, &error);
  g_assert_no_error (error);

  const gint64 t = T0_MS - 90 * 1000;
  ingest (hub, "ioc/v1/40/xa-16681/portal/dvc-1/event",
          "\"type\":\"dossier\",\"dossier\":\"H40-1\",\"procedure\":\"1.001\",\"state\":1,\"channel\":2", 1, t - 86400000,
          "e1");
  ingest (hub, "ioc/v1/40/xa-16681/portal/dvc-1/event",
          "\"type\":\"dossier\",\"dossier\":\"H40-1\",\"procedure\":\"1.001\",\"state\":10,\"channel\":2", 2, t, "e1");
  ingest (hub, "ioc/v1/40/xa-16681/portal/dvc-1/event",
          "\"type\":\"dossier\",\"dossier\":\"H40-2\",\"procedure\":\"1.001\",\"state\":4,\"channel\":1", 5, t, "e1");
  ingest (hub, "ioc/v1/40/xa-16681/portal/dvc-1/event",
          "\"type\":\"dossier\",\"dossier\":\"H40-3\",\"procedure\":\"9.999\",\"state\":1,\"channel\":3", 1, t, "e2");
  ingest (hub, "ioc/v1/40/xa-16681/kiosk/k-1/event", "\"type\":\"ticket.issued\",\"ticket\":\"A1\"", 1, t, NULL);
  ingest (hub, "ioc/v1/40/xa-16681/kiosk/k-1/event", "\"type\":\"rating\",\"level\":4,\"scale\":5,\"channel\":\"qr\"",
          2, t, NULL);
  ingest (hub, "ioc/v1/40/xa-16690/desk/q-1/event",
          "\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":300", 1, t, NULL);
  ingest (hub, "ioc/v1/40/xa-16690/desk/q-1/status", "\"waiting\":3,\"counters_open\":2", 2, t, NULL);
  ingest (hub, "ioc/v1/40/xa-16681/kiosk/k-1/status", "\"online\":true,\"queue_length\":4", 3, t, NULL);
  ingest (hub, "ioc/v1/40/xa-16681/camera/nvr-1/status",
          "\"cameras\":[{\"camera\":\"c1\",\"online\":true,\"recording\":true},"
          "{\"camera\":\"c2\",\"online\":false,\"recording\":false}]",
          1, t, NULL);
  ioc_clock_set (clock, (T0_MS + 120 * 1000) * 1000);
  ioc_hub_tick (hub);
  ioc_hub_stop (hub); /* the final snapshot */
  ioc_hub_free (hub);

  g_autofree gchar *state = g_build_filename (hub_dir, "state", NULL);
  g_autoptr (IocSnapshot) snap = ioc_snapshot_load (state, &error);
  g_assert_no_error (error);
  g_assert_nonnull (snap);
  for (guint i = 0; i < N_STAGES; i++)
    {
      bases[i] = ioc_snapshot_get_section (snap, section_names[i]);
      g_assert_nonnull (bases[i]);
      bases[i] = g_bytes_ref (bases[i]);
    }
  const gchar *cal_paths[] = { IOC_SOURCE_ROOT "/ops/calendar/vn-2025.conf", IOC_SOURCE_ROOT "/ops/calendar/vn-2026.conf",
                               NULL };
  calendar = ioc_calendar_load (cal_paths, &error);
  g_assert_no_error (error);
  procedures = ioc_procedures_load (IOC_SOURCE_ROOT "/ops/procedures.conf", &error);
  g_assert_no_error (error);
}

static void
null_fact (const IocFact *fact, gpointer user_data)
{
}

static void
null_point (const IocPoint *point, gpointer user_data)
{
}

typedef gboolean (*LoadFunc) (gpointer stage, const guint8 *data, gsize len, GError **error);
typedef void (*SaveFunc) (gpointer stage, GByteArray *out);

typedef struct
{
  gpointer stage;
  LoadFunc load;
  SaveFunc save;
  GDestroyNotify free;
} Stage;

static Stage
stage_new (guint which)
{
  switch (which)
    {
    case DEDUP:
      return (Stage) { ioc_dedup_new (), (LoadFunc) ioc_dedup_load, (SaveFunc) ioc_dedup_save,
                       (GDestroyNotify) ioc_dedup_free };
    case ROLLUP:
      return (Stage) { ioc_rollup_new (NULL, null_point, NULL), (LoadFunc) ioc_rollup_load, (SaveFunc) ioc_rollup_save,
                       (GDestroyNotify) ioc_rollup_free };
    case DEVICES:
      return (Stage) { ioc_device_health_new (), (LoadFunc) ioc_device_health_load,
                       (SaveFunc) ioc_device_health_save, (GDestroyNotify) ioc_device_health_free };
    case DOSSIERS:
      return (Stage) { ioc_dossier_tracker_new (calendar, procedures, null_fact, NULL),
                       (LoadFunc) ioc_dossier_tracker_load, (SaveFunc) ioc_dossier_tracker_save,
                       (GDestroyNotify) ioc_dossier_tracker_free };
    case SCORE:
      return (Stage) { ioc_score_book_new (), (LoadFunc) ioc_score_book_load, (SaveFunc) ioc_score_book_save,
                       (GDestroyNotify) ioc_score_book_free };
    default:
      return (Stage) { ioc_queue_stats_new (null_fact, NULL), (LoadFunc) ioc_queue_stats_load,
                       (SaveFunc) ioc_queue_stats_save, (GDestroyNotify) ioc_queue_stats_free };
    }
}

/* Loads bytes into a fresh stage; the stage's saved form, or NULL when it
 * refused them (with a message). */
static GByteArray *
load_and_save (guint which, const guint8 *bytes, gsize len)
{
  Stage st = stage_new (which);
  GError *error = NULL;
  GByteArray *out = NULL;
  if (st.load (st.stage, bytes, len, &error))
    {
      if (error != NULL)
        abort ();
      out = g_byte_array_new ();
      st.save (st.stage, out);
    }
  else
    {
      if (error == NULL || error->message == NULL || error->message[0] == '\0')
        abort ();
      g_error_free (error);
    }
  st.free (st.stage);
  return out;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (bases[0] == NULL)
    build_bases ();
  if (size < 1 || size > 64 * 1024)
    return 0;
  guint which = (data[0] & 0x7f) % N_STAGES;
  g_autoptr (GByteArray) input = g_byte_array_new ();
  if (data[0] & 0x80)
    {
      gsize base_len = 0;
      const guint8 *base = g_bytes_get_data (bases[which], &base_len);
      g_byte_array_append (input, base, (guint) base_len);
      gsize i = 1;
      for (; i + 3 <= size; i += 3)
        {
          gsize off = ((gsize) data[i] | ((gsize) data[i + 1] << 8)) % MAX (input->len, 1u);
          if (input->len > 0)
            input->data[off] ^= data[i + 2];
        }
      if (i < size && input->len > 0) /* one or two bytes left: cut the section there */
        g_byte_array_set_size (input, (guint) (((gsize) data[i] * 257 + (i + 1 < size ? data[i + 1] : 0)) % input->len));
    }
  else
    g_byte_array_append (input, data + 1, (guint) (size - 1));

  g_autoptr (GByteArray) first = load_and_save (which, input->data, input->len);
  if (first == NULL)
    return 0;
  g_autoptr (GByteArray) second = load_and_save (which, first->data, first->len);
  /* The same length, not the same bytes: most stages write their hash
   * tables in the tables' order, which the order of insertion changes. */
  if (second == NULL || second->len != first->len)
    {
      g_printerr ("fuzz-sections: %s: a section it took and wrote back (%u bytes) %s\n", section_names[which],
                  first->len, second == NULL ? "is refused" : "saves to another length");
      const gchar *dump = g_getenv ("FUZZ_SECTIONS_DUMP"); /* a directory: the three byte strings, to diff */
      if (dump != NULL)
        {
          g_autofree gchar *a = g_build_filename (dump, "input", NULL);
          g_autofree gchar *b = g_build_filename (dump, "first", NULL);
          g_autofree gchar *c = g_build_filename (dump, "second", NULL);
          g_file_set_contents (a, (const gchar *) input->data, input->len, NULL);
          g_file_set_contents (b, (const gchar *) first->data, first->len, NULL);
          if (second != NULL)
            g_file_set_contents (c, (const gchar *) second->data, second->len, NULL);
        }
      abort ();
    }
  return 0;
}
