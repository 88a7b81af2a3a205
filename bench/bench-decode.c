/* bench-decode.c — ingest throughput on the same messages in one run:
 *   (a) our decoder + validation,
 *   (b) the hub's whole main-context path (decode, validate, dedup, unit
 *       resolution, queue/device/dossier stages, rollup windows) through
 *       ioc_hub_ingest() on a real IocHub with no broker,
 *   (c) json-glib parsing the same payloads and reading the same fields —
 *       the baseline.
 * Issue 2's target: 1 M msg/s on one core for (b).
 *
 *   bench-decode [N]     (default 2,000,000 messages; 3 rounds each)
 *
 * Messages are ~200 bytes, mixed like a working day: mostly status, then
 * tickets, ratings and dossier events, over the 130 communes of Nghệ An. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include <glib/gstdio.h>

#include "hub.h"
#include "ingest/decoder.h"
#include "ingest/validate.h"
#include "model/units.h"

typedef struct
{
  gchar *topic;
  gsize topic_len;
  gchar *payload;
  gsize payload_len;
} Msg;

#define T0_MS G_GINT64_CONSTANT (1795309200000) /* 2026-11-22T08:00+07:00 */

static void
make_msg (Msg *m, GRand *rng, guint i, const gchar *const *units, guint n_units)
{
  const gchar *unit = units[g_rand_int_range (rng, 0, n_units)];
  guint r = g_rand_int_range (rng, 0, 100);
  gint64 ts_ms = T0_MS + i;
  gchar ts[64];
  guint dev = g_rand_int_range (rng, 1, 40);

  if (i % 2)
    g_snprintf (ts, sizeof ts, "\"2026-11-22T08:%02u:%02u.%03u+07:00\"", (i / 1000) % 60, (i / 10) % 60, i % 1000);
  else
    g_snprintf (ts, sizeof ts, "%" G_GINT64_FORMAT, ts_ms);

  if (r < 40) /* status */
    {
      guint k = r % 4;
      m->topic = g_strdup_printf ("ioc/v1/40/%s/%s/dev-%04u/status", unit, ioc_kind_name ((IocKind) k), dev);
      switch (k)
        {
        case 0:
          m->payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%s,\"counters_open\":%u,\"waiting\":%u,"
                                        "\"schema\":\"ioc.cchc.desk.status/1\",\"source\":\"qms-nghean\"}",
                                        i + 1, ts, r % 5, r % 17);
          break;
        case 1:
          m->payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%s,\"online\":true,\"queue_length\":%u,"
                                        "\"paper_low\":false,\"schema\":\"ioc.cchc.kiosk.status/1\"}",
                                        i + 1, ts, r % 9);
          break;
        case 2:
          m->payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%s,\"cameras\":[{\"camera\":\"c1\",\"online\":true,"
                                        "\"recording\":true,\"fps\":25},{\"camera\":\"c2\",\"online\":true,\"recording\":false}]}",
                                        i + 1, ts);
          break;
        default:
          m->payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%s,\"open\":%u,\"open_overdue\":%u,\"sync_lag_s\":%u,"
                                        "\"source\":\"htttgqtthc-nghean\"}",
                                        i + 1, ts, 100 + r, r % 7, r % 60);
        }
    }
  else if (r < 65) /* tickets */
    {
      m->topic = g_strdup_printf ("ioc/v1/40/%s/desk/dev-%04u/event", unit, dev);
      m->payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%s,\"type\":\"ticket.called\",\"ticket\":\"A%03u\","
                                    "\"counter\":\"Quầy %u\",\"wait_s\":%u.5,\"msg_id\":\"01JD%022u\"}",
                                    i + 1, ts, i % 1000, dev % 6, r * 7, i);
    }
  else if (r < 80) /* ratings */
    {
      m->topic = g_strdup_printf ("ioc/v1/40/%s/kiosk/dev-%04u/event", unit, dev);
      m->payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%s,\"type\":\"rating\",\"level\":%u,\"scale\":5,"
                                    "\"channel\":\"device\",\"counter\":\"%u\",\"officer\":\"cb-%04u\"}",
                                    i + 1, ts, 1 + r % 5, dev % 6, dev);
    }
  else /* dossiers */
    {
      m->topic = g_strdup_printf ("ioc/v1/40/%s/portal/dvc-nghean/event", unit);
      m->payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%s,\"type\":\"dossier\",\"dossier\":\"000.00.40.H40-261122-%04u\","
                                    "\"procedure\":\"1.00%04u\",\"state\":%u,\"channel\":%u,\"received_at\":\"2026-11-20T09:15:00+07:00\","
                                    "\"due_at\":\"2026-11-27T17:00:00+07:00\",\"supplements\":0,\"fee\":true}",
                                    i + 1, ts, i % 10000, r, 1 + r % 10, 1 + r % 3);
    }
  m->topic_len = strlen (m->topic);
  m->payload_len = strlen (m->payload);
}

/* The baseline: what the hub would do with json-glib for the same checks. */
static gboolean
jsonglib_read (JsonParser *parser, const Msg *m, guint64 *sink)
{
  JsonNode *root;
  JsonObject *o;

  if (!json_parser_load_from_data (parser, m->payload, (gssize) m->payload_len, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  o = json_node_get_object (root);
  *sink += (guint64) json_object_get_int_member_with_default (o, "v", 0);
  *sink += (guint64) json_object_get_int_member_with_default (o, "seq", 0);
  if (json_object_has_member (o, "ts"))
    {
      JsonNode *ts = json_object_get_member (o, "ts");
      if (json_node_get_value_type (ts) == G_TYPE_STRING)
        {
          g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (json_node_get_string (ts), NULL);
          *sink += dt ? (guint64) g_date_time_to_unix (dt) : 0;
        }
      else
        *sink += (guint64) json_node_get_int (ts);
    }
  if (json_object_has_member (o, "type"))
    {
      const gchar *type = json_object_get_string_member_with_default (o, "type", "");
      *sink += strlen (type);
      *sink += strlen (json_object_get_string_member_with_default (o, "ticket", ""));
      *sink += strlen (json_object_get_string_member_with_default (o, "counter", ""));
      *sink += strlen (json_object_get_string_member_with_default (o, "dossier", ""));
      *sink += (guint64) json_object_get_double_member_with_default (o, "wait_s", 0);
      *sink += (guint64) json_object_get_int_member_with_default (o, "level", 0);
      *sink += (guint64) json_object_get_int_member_with_default (o, "state", 0);
    }
  else
    {
      *sink += (guint64) json_object_get_int_member_with_default (o, "counters_open", 0);
      *sink += (guint64) json_object_get_int_member_with_default (o, "open", 0);
      if (json_object_has_member (o, "cameras"))
        *sink += json_array_get_length (json_object_get_array_member (o, "cameras"));
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 2000000;
  g_autoptr (GRand) rng = g_rand_new_with_seed (40);
  g_autoptr (GString) csv = g_string_new ("code,name,kind,parent,valid_from,valid_to,successor\ntinh-40,Tỉnh,tinh,,,,\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (IocUnitRegistry) units = NULL;
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  gchar *unit_codes[130];
  Msg *msgs;
  gsize bytes = 0;
  gint64 now_us = T0_MS * 1000 + G_TIME_SPAN_HOUR;
  const guint rounds = 3;
  gdouble best_ours = 0, best_json = 0;

  if (n == 0)
    n = 1;
  for (guint i = 0; i < 130; i++)
    {
      unit_codes[i] = g_strdup_printf ("xa-%05u", 16681 + 11 * i);
      g_string_append_printf (csv, "%s,Xã %u,xa,tinh-40,2025-07-01,,\n", unit_codes[i], i);
    }
  units = ioc_units_load_data ("bench.csv", csv->str, csv->len, &error);
  g_assert_no_error (error);

  msgs = g_new0 (Msg, n);
  for (guint i = 0; i < n; i++)
    {
      make_msg (&msgs[i], rng, i, (const gchar *const *) unit_codes, 130);
      bytes += msgs[i].payload_len;
    }
  /* Connectors number their messages per (kind, device), +1 each: renumber
   * so that dedup sees in-order seqs as in production, not a gap per message. */
  {
    g_autoptr (GHashTable) next_seq = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    bytes = 0;
    for (guint i = 0; i < n; i++)
      {
        g_auto (GStrv) parts = g_strsplit (msgs[i].topic, "/", -1);
        g_autofree gchar *key = g_strdup_printf ("%s/%s", parts[4], parts[5]);
        guint seq = GPOINTER_TO_UINT (g_hash_table_lookup (next_seq, key)) + 1;
        g_hash_table_replace (next_seq, g_steal_pointer (&key), GUINT_TO_POINTER (seq));
        gchar *at = strstr (msgs[i].payload, "\"seq\":");
        g_assert_nonnull (at);
        gchar *digits_end = at + 6;
        while (g_ascii_isdigit (*digits_end))
          digits_end++;
        gchar *fixed = g_strdup_printf ("%.*s\"seq\":%u%s", (int) (at - msgs[i].payload), msgs[i].payload, seq, digits_end);
        g_free (msgs[i].payload);
        msgs[i].payload = fixed;
        msgs[i].payload_len = strlen (fixed);
        bytes += msgs[i].payload_len;
      }
  }
  printf ("%u messages, mean payload %.0f bytes\n", n, (gdouble) bytes / n);

  /* "bench-decode N pipeline" measures only (b), for profiling. */
  gboolean only_pipeline = argc > 2 && strcmp (argv[2], "pipeline") == 0;
  for (guint round = 0; round < rounds && !only_pipeline; round++)
    {
      guint64 sink = 0;
      guint rejects = 0;
      gint64 t0 = g_get_monotonic_time ();
      for (guint i = 0; i < n; i++)
        {
          const IocRecord *rec;
          const gchar *detail;
          IocReject r = ioc_decoder_decode (dec, msgs[i].topic, msgs[i].topic_len,
                                            (const guint8 *) msgs[i].payload, msgs[i].payload_len,
                                            &rec, &detail);
          if (r == IOC_REJECT_NONE)
            r = ioc_validate ((IocRecord *) rec, "40", units, now_us, &detail);
          if (r != IOC_REJECT_NONE)
            {
              if (rejects++ == 0)
                fprintf (stderr, "reject %s: %s: %s\n", ioc_reject_name (r), detail, msgs[i].payload);
              continue;
            }
          sink += (guint64) rec->seq + (guint64) rec->type;
        }
      gint64 t1 = g_get_monotonic_time ();
      gdouble ours = n / ((t1 - t0) / 1e6);

      guint json_fail = 0;
      t0 = g_get_monotonic_time ();
      for (guint i = 0; i < n; i++)
        if (!jsonglib_read (parser, &msgs[i], &sink))
          json_fail++;
      t1 = g_get_monotonic_time ();
      gdouble json = n / ((t1 - t0) / 1e6);

      printf ("round %u: iochub decode+validate %.2f M msg/s (%.0f ns/msg, %u rejects) | "
              "json-glib %.2f M msg/s (%.0f ns/msg, %u failed) | ratio %.1fx  [%" G_GUINT64_FORMAT "]\n",
              round + 1, ours / 1e6, 1e9 / ours, rejects, json / 1e6, 1e9 / json, json_fail, ours / json,
              sink % 10);
      best_ours = MAX (best_ours, ours);
      best_json = MAX (best_json, json);
    }
  printf ("best: iochub %.2f M msg/s, json-glib %.2f M msg/s, ratio %.1fx\n", best_ours / 1e6,
          best_json / 1e6, best_ours / best_json);

  /* (b) the whole pipeline, on a fresh hub each round (dedup would drop a
   * second pass as duplicates). */
  gdouble best_hub = 0;
  g_autofree gchar *dir = g_dir_make_tmp ("bench-pipeline-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree gchar *units_path = g_build_filename (dir, "units.csv", NULL);
  g_file_set_contents (units_path, csv->str, (gssize) csv->len, &error);
  g_assert_no_error (error);
  for (guint round = 0; round < rounds; round++)
    {
      g_autofree gchar *conf_path = g_build_filename (dir, "hub.conf", NULL);
      g_autofree gchar *conf = g_strdup_printf ("[hub]\nprovince = 40\nunits = %s\nstate_dir = %s/state-%u\n"
                                                "[mqtt]\nclient_id = bench\n[http]\nlisten = 127.0.0.1:0\n",
                                                units_path, dir, round);
      g_file_set_contents (conf_path, conf, -1, &error);
      g_assert_no_error (error);
      IocHubConfig *config = ioc_hub_config_load (conf_path, &error);
      g_assert_no_error (error);
      g_autoptr (IocHub) hub = ioc_hub_new (config, NULL, &error);
      g_assert_no_error (error);
      gint64 t0 = g_get_monotonic_time ();
      for (guint i = 0; i < n; i++)
        ioc_hub_ingest (hub, msgs[i].topic, msgs[i].topic_len, (const guint8 *) msgs[i].payload,
                        msgs[i].payload_len, now_us);
      gint64 t1 = g_get_monotonic_time ();
      gdouble rate = n / ((t1 - t0) / 1e6);
      printf ("round %u: iochub whole pipeline (decode, validate, dedup, aggregate) %.2f M msg/s (%.0f ns/msg)\n",
              round + 1, rate / 1e6, 1e9 / rate);
      best_hub = MAX (best_hub, rate);
    }
  printf ("best: pipeline %.2f M msg/s = %.1fx json-glib parse-only (%.2f M msg/s)\n", best_hub / 1e6,
          best_hub / best_json, best_json / 1e6);

  for (guint i = 0; i < n; i++)
    {
      g_free (msgs[i].topic);
      g_free (msgs[i].payload);
    }
  g_free (msgs);
  for (guint i = 0; i < 130; i++)
    g_free (unit_codes[i]);
  return 0;
}
