/* test-connector-lib.c — unit tests of libiocconnector's pure parts: the
 * envelope writer (SPEC §4 checks, 16 KiB), the seq store (rises across
 * restarts, skips after a crash, never reuses), the disk buffer (order,
 * cursor in the same sync, bound with a drop counter, torn tail), the field
 * mapping, and every shipped connector config under --check.  No processes,
 * no sleeps; files in a temporary directory. */
#include <glib/gstdio.h>
#include <string.h>

#include "ingest/decoder.h"
#include "kinds/kinds.h"
#include "lib/disk-buffer.h"
#include "lib/envelope-writer.h"
#include "lib/event-source.h"
#include "lib/seq-store.h"
#include "test-hub.h"

static JsonObject *
obj (const gchar *json)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, json, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

static void
test_envelope_checks (void)
{
  struct
  {
    IocKind kind;
    const gchar *type, *fields;
    gboolean want_ok;
  } cases[] = {
    { IOC_KIND_DESK, "ticket.called", "{\"ticket\":\"A1\",\"counter\":\"q1\",\"wait_s\":12}", TRUE },
    { IOC_KIND_DESK, "ticket.called", "{\"ticket\":\"A1\",\"counter\":\"q1\"}", FALSE },
    { IOC_KIND_DESK, "ticket.called", "{\"ticket\":1,\"counter\":\"q1\",\"wait_s\":1}", FALSE },
    { IOC_KIND_DESK, "rating", "{\"level\":1,\"scale\":5,\"channel\":\"qr\"}", FALSE },
    { IOC_KIND_KIOSK, "rating", "{\"level\":5,\"scale\":5,\"channel\":\"qr\"}", TRUE },
    { IOC_KIND_KIOSK, "rating", "{\"level\":6,\"scale\":5,\"channel\":\"qr\"}", FALSE },
    { IOC_KIND_KIOSK, "rating", "{\"level\":2,\"scale\":4,\"channel\":\"qr\"}", FALSE },
    { IOC_KIND_KIOSK, "rating", "{\"level\":2,\"scale\":3,\"channel\":\"sms\"}", FALSE },
    { IOC_KIND_KIOSK, "nonsense", "{}", FALSE },
    { IOC_KIND_PORTAL, "dossier", "{\"dossier\":\"D1\",\"procedure\":\"P\",\"state\":2,\"channel\":2,"
                                  "\"received_at\":\"2026-11-22T08:00:00+07:00\"}", TRUE },
    { IOC_KIND_PORTAL, "dossier", "{\"dossier\":\"D1\",\"procedure\":\"P\",\"state\":11,\"channel\":2,"
                                  "\"received_at\":\"2026-11-22T08:00:00+07:00\"}", FALSE },
    { IOC_KIND_PORTAL, "dossier", "{\"dossier\":\"D1\",\"procedure\":\"P\",\"state\":2,\"channel\":2,"
                                  "\"received_at\":\"yesterday\"}", FALSE },
    { IOC_KIND_CAMERA, "camera.offline", "{\"camera\":\"cam-01\"}", TRUE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonObject) f = obj (cases[i].fields);
      g_autoptr (GError) error = NULL;
      gboolean ok = ioc_envelope_check_event (cases[i].kind, cases[i].type, f, &error);
      if (ok != cases[i].want_ok)
        g_error ("case %zu (%s %s): got %d (%s)", i, cases[i].type, cases[i].fields, ok,
                 error ? error->message : "");
    }
}

static void
test_envelope_decodes (void)
{
  /* What the writer builds, the hub's decoder accepts. */
  g_autoptr (JsonObject) f = obj ("{\"ticket\":\"A1\",\"counter\":\"q1\",\"wait_s\":12.5}");
  gsize len;
  g_autofree gchar *text = ioc_envelope_build (42, "e1", g_get_real_time (), "ticket.called", f, &len, NULL);
  g_assert_nonnull (text);
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  const IocRecord *rec = NULL;
  const gchar *detail = NULL;
  const gchar *topic = "ioc/v1/40/xa-16681/desk/q-1/event";
  IocReject r = ioc_decoder_decode (dec, topic, strlen (topic), (const guint8 *) text, len, &rec, &detail);
  g_assert_cmpint (r, ==, IOC_REJECT_NONE);
  g_assert_cmpint (rec->seq, ==, 42);
  g_assert_cmpstr (rec->ticket, ==, "A1");
}

static void
test_envelope_too_large (void)
{
  g_autoptr (JsonObject) f = json_object_new ();
  g_autofree gchar *big = g_strnfill (17000, 'x');
  json_object_set_string_member (f, "camera", big);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = ioc_envelope_build (1, NULL, 0, "camera.offline", f, NULL, &error);
  g_assert_null (text);
  g_assert_nonnull (strstr (error->message, "16384"));
}

static gchar *
tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  gchar *d = g_dir_make_tmp ("ioc-conn-XXXXXX", &error);
  g_assert_no_error (error);
  return d;
}

static void
test_seq_store (void)
{
  g_autofree gchar *dir = tmpdir ();
  g_autofree gchar *path = g_build_filename (dir, "seq", NULL);
  IocSeqStore *s = ioc_seq_store_open (path, 100, NULL);
  for (gint i = 1; i <= 5; i++)
    g_assert_cmpint (ioc_seq_store_next (s, NULL), ==, i);
  /* What a SIGKILL leaves behind: the reservation, not the exact number. */
  g_autofree gchar *crash = NULL;
  g_assert_true (g_file_get_contents (path, &crash, NULL, NULL));
  g_assert_cmpint (g_ascii_strtoll (crash, NULL, 10), ==, 100);
  ioc_seq_store_close (s);
  /* Clean restart: no gap. */
  s = ioc_seq_store_open (path, 100, NULL);
  g_assert_cmpint (ioc_seq_store_next (s, NULL), ==, 6);
  ioc_seq_store_close (s);
  /* Crash restart: skips the rest of the block, never reuses 7…100. */
  g_assert_true (g_file_set_contents (path, crash, -1, NULL));
  s = ioc_seq_store_open (path, 100, NULL);
  g_assert_cmpint (ioc_seq_store_next (s, NULL), ==, 101);
  ioc_seq_store_close (s);
  /* A corrupt file is refused rather than restarting at 1. */
  g_assert_true (g_file_set_contents (path, "garbage", -1, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_null (ioc_seq_store_open (path, 100, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
  ioc_test_rm_rf (dir);
}

/* SPEC §4 epoch: drawn when the store is new, kept as long as it lives. */
static void
test_seq_store_epoch (void)
{
  g_autofree gchar *dir = tmpdir ();
  g_autofree gchar *path = g_build_filename (dir, "seq", NULL);
  g_autoptr (GRegex) shape = g_regex_new ("^[0-9a-z]{16}$", 0, 0, NULL);

  IocSeqStore *s = ioc_seq_store_open (path, 100, NULL);
  g_autofree gchar *first = g_strdup (ioc_seq_store_epoch (s));
  g_assert_true (g_regex_match (shape, first, 0, NULL));
  g_assert_cmpint (ioc_seq_store_next (s, NULL), ==, 1);
  /* Kept across a crash (the reservation holds it) and a clean stop. */
  g_autofree gchar *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_autofree gchar *want = g_strdup_printf ("100 %s\n", first);
  g_assert_cmpstr (text, ==, want);
  ioc_seq_store_close (s);
  s = ioc_seq_store_open (path, 100, NULL);
  g_assert_cmpstr (ioc_seq_store_epoch (s), ==, first);
  g_assert_cmpint (ioc_seq_store_next (s, NULL), ==, 2);
  ioc_seq_store_close (s);

  /* A new store (state_dir lost): a new epoch, and seq starts again at 1. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  s = ioc_seq_store_open (path, 100, NULL);
  g_assert_cmpstr (ioc_seq_store_epoch (s), !=, first);
  g_assert_cmpint (ioc_seq_store_next (s, NULL), ==, 1);
  ioc_seq_store_close (s);

  /* A store of a connector without epochs keeps its numbers, gains one. */
  g_assert_true (g_file_set_contents (path, "250\n", -1, NULL));
  s = ioc_seq_store_open (path, 100, NULL);
  g_assert_true (g_regex_match (shape, ioc_seq_store_epoch (s), 0, NULL));
  g_assert_cmpint (ioc_seq_store_next (s, NULL), ==, 251);
  g_autofree gchar *gained = g_strdup (ioc_seq_store_epoch (s));
  ioc_seq_store_close (s);
  s = ioc_seq_store_open (path, 100, NULL);
  g_assert_cmpstr (ioc_seq_store_epoch (s), ==, gained);
  ioc_seq_store_close (s);

  /* The epoch goes into every envelope. */
  g_autoptr (JsonObject) f = obj ("{\"camera\":\"cam-1\"}");
  g_autofree gchar *env = ioc_envelope_build (3, gained, 0, "camera.offline", f, NULL, NULL);
  g_autofree gchar *needle = g_strdup_printf ("\"epoch\":\"%s\"", gained);
  g_assert_nonnull (strstr (env, needle));
  g_autoptr (GError) error = NULL;
  g_assert_null (ioc_envelope_build (3, "", 0, "camera.offline", f, NULL, &error));

  /* A damaged epoch is refused like a damaged number. */
  g_assert_true (g_file_set_contents (path, "250 not/an epoch\n", -1, NULL));
  g_clear_error (&error);
  g_assert_null (ioc_seq_store_open (path, 100, &error));
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CORRUPT);
  ioc_test_rm_rf (dir);
}

static void
test_disk_buffer (void)
{
  g_autofree gchar *dir = tmpdir ();
  g_autofree gchar *path = g_build_filename (dir, "buffer.log", NULL);
  IocDiskBuffer *b = ioc_disk_buffer_open (path, 1024 * 1024, NULL);
  for (gint64 seq = 1; seq <= 10; seq++)
    {
      g_autofree gchar *p = g_strdup_printf ("{\"seq\":%" G_GINT64_FORMAT "}", seq);
      g_assert_true (ioc_disk_buffer_append (b, seq, "t/x", p, strlen (p), seq == 3, NULL));
    }
  g_assert_true (ioc_disk_buffer_sync (b, "cursor-10", NULL));
  ioc_disk_buffer_ack (b, 1);
  ioc_disk_buffer_ack (b, 3); /* out of order: kept until 2 is acked */
  g_assert_cmpuint (ioc_disk_buffer_length (b), ==, 9);
  ioc_disk_buffer_free (b);

  /* Reopen (as after SIGKILL): everything not acked-and-compacted is pending,
   * in seq order, and the cursor came back with it. */
  b = ioc_disk_buffer_open (path, 1024 * 1024, NULL);
  g_assert_cmpstr (ioc_disk_buffer_cursor (b), ==, "cursor-10");
  GQueue *q = ioc_disk_buffer_entries (b);
  gint64 prev = 0;
  for (GList *l = q->head; l; l = l->next)
    {
      IocBufEntry *e = l->data;
      g_assert_cmpint (e->seq, >, prev);
      prev = e->seq;
    }
  g_assert_cmpint (prev, ==, 10);
  g_assert_true (((IocBufEntry *) g_queue_peek_nth (q, 2))->retained);
  ioc_disk_buffer_free (b);

  /* A torn tail (killed mid-write) is cut; what precedes it survives. */
  g_autofree gchar *data = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  gsize cursor_rec = 24 + strlen ("cursor-10");
  g_assert_true (g_file_set_contents (path, data, (gssize) (len - cursor_rec - 3), NULL));
  b = ioc_disk_buffer_open (path, 1024 * 1024, NULL);
  g_assert_cmpint (ioc_disk_buffer_last_seq (b), ==, 9);
  g_assert_null (ioc_disk_buffer_cursor (b));
  ioc_disk_buffer_free (b);
  ioc_test_rm_rf (dir);
}

static void
test_disk_buffer_bound (void)
{
  g_autofree gchar *dir = tmpdir ();
  g_autofree gchar *path = g_build_filename (dir, "buffer.log", NULL);
  IocDiskBuffer *b = ioc_disk_buffer_open (path, 1000, NULL);
  g_autofree gchar *p = g_strnfill (96, 'p');
  for (gint64 seq = 1; seq <= 50; seq++)
    g_assert_true (ioc_disk_buffer_append (b, seq, "topic", p, strlen (p), FALSE, NULL));
  /* 101 bytes each, 1000 allowed: the 41 oldest were dropped and counted. */
  g_assert_cmpuint (ioc_disk_buffer_length (b), ==, 9);
  g_assert_cmpuint (ioc_disk_buffer_dropped (b), ==, 41);
  g_assert_cmpint (((IocBufEntry *) g_queue_peek_head (ioc_disk_buffer_entries (b)))->seq, ==, 42);
  /* Acking everything empties it; compaction keeps the file small. */
  for (gint64 seq = 42; seq <= 50; seq++)
    ioc_disk_buffer_ack (b, seq);
  g_assert_cmpuint (ioc_disk_buffer_length (b), ==, 0);
  ioc_disk_buffer_free (b);
  ioc_test_rm_rf (dir);
}

static void
test_mapping (void)
{
  const gchar *conf = "[connector]\nkind=desk\nprovince=40\nunit=xa-16681\ndevice=q-1\n"
                      "state_dir=/tmp/x\n[desk]\nurl=http://127.0.0.1:1/e\ntype_field=event\n"
                      "ts_field=time\ntype.CALL=ticket.called\nmap.ticket=data.no\nmap.counter=quay\n"
                      "map.wait_s=wait\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocConnectorConfig) cfg = ioc_connector_config_load_data ("t.conf", conf, &error);
  g_assert_no_error (error);
  g_autoptr (IocEventSource) src = ioc_event_source_configure (cfg, cfg->kf, "desk", &error);
  g_assert_no_error (error);
  g_autoptr (JsonObject) item = obj ("{\"event\":\"CALL\",\"time\":1763780000000,\"data\":{\"no\":17},"
                                     "\"quay\":\"q2\",\"wait\":30,\"junk\":1}");
  g_autofree gchar *unit = NULL, *type = NULL;
  gint64 ts;
  g_autoptr (JsonObject) f = NULL;
  g_assert_true (ioc_event_source_map (src, item, &unit, &type, &ts, &f, &error));
  g_assert_cmpstr (type, ==, "ticket.called");
  g_assert_cmpint (ts, ==, G_GINT64_CONSTANT (1763780000000000));
  g_assert_cmpstr (json_object_get_string_member (f, "ticket"), ==, "17"); /* coerced */
  g_assert_false (json_object_has_member (f, "junk"));
  g_assert_true (ioc_envelope_check_event (IOC_KIND_DESK, type, f, NULL));
  /* No time: refused. */
  g_autoptr (JsonObject) bad = obj ("{\"event\":\"CALL\"}");
  g_autofree gchar *u2 = NULL, *t2 = NULL;
  g_autoptr (JsonObject) f2 = NULL;
  g_clear_error (&error);
  g_assert_false (ioc_event_source_map (src, bad, &u2, &t2, &ts, &f2, &error));
}

static void
check_dir (const gchar *rel)
{
  g_autofree gchar *dir = g_build_filename (IOC_SOURCE_ROOT, rel, NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  guint n = 0;
  for (const gchar *name; (name = g_dir_read_name (d));)
    {
      if (!g_str_has_suffix (name, ".conf"))
        continue;
      g_autofree gchar *path = g_build_filename (dir, name, NULL);
      g_autoptr (GError) error = NULL;
      if (!ioc_connector_check (path, ioc_connector_kinds, &error))
        g_error ("%s", error->message);
      n++;
    }
  g_assert_cmpuint (n, >=, 4); /* one per kind at least */
}

static void
test_configs_shipped (void)
{
  check_dir ("connectors/samples");
  check_dir ("ops/connectors");
}

static void
test_config_errors (void)
{
  struct
  {
    const gchar *conf, *want;
  } cases[] = {
    { "[connector]\nkind=desk\nprovince=40\nunit=xa-1\ndevice=Q 1\n[desk]\nurl=http://x/\n",
      "[connector] device: expected" },
    { "[connector]\nkind=lamp\nprovince=40\nunit=xa-1\ndevice=q\n", "[connector] kind: expected" },
    { "[connector]\nkind=desk\nprovince=40\nunit=xa-1\ndevice=q\n", "[desk]: expected" },
    { "[connector]\nkind=desk\nprovince=40\nunit=xa-1\ndevice=q\npol_interval=1s\n[desk]\n",
      "pol_interval" },
    { "[connector]\nkind=desk\nprovince=40\nunit=xa-1\ndevice=q\n[desk]\nlisten=0.0.0.0:80\n",
      "[desk] listen: expected 127.0.0.1:PORT" },
    { "[connector]\nkind=portal\nprovince=40\nunit=tinh-40\ndevice=p\n[portal]\nurl=http://x/\n",
      "[portal] unit_field" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *dir = tmpdir ();
      g_autofree gchar *path = g_build_filename (dir, "c.conf", NULL);
      g_assert_true (g_file_set_contents (path, cases[i].conf, -1, NULL));
      g_autoptr (GError) error = NULL;
      g_assert_false (ioc_connector_check (path, ioc_connector_kinds, &error));
      if (!strstr (error->message, cases[i].want) || !strstr (error->message, path))
        g_error ("case %zu: '%s' does not say '%s' and the file", i, error->message, cases[i].want);
      ioc_test_rm_rf (dir);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/connector/envelope/checks", test_envelope_checks);
  g_test_add_func ("/ioc/connector/envelope/decodes", test_envelope_decodes);
  g_test_add_func ("/ioc/connector/envelope/too-large", test_envelope_too_large);
  g_test_add_func ("/ioc/connector/seq-store/no-reuse", test_seq_store);
  g_test_add_func ("/ioc/connector/seq-store/epoch", test_seq_store_epoch);
  g_test_add_func ("/ioc/connector/disk-buffer/order-cursor-torn", test_disk_buffer);
  g_test_add_func ("/ioc/connector/disk-buffer/bound", test_disk_buffer_bound);
  g_test_add_func ("/ioc/connector/mapping", test_mapping);
  g_test_add_func ("/ioc/connector/config/shipped", test_configs_shipped);
  g_test_add_func ("/ioc/connector/config/errors", test_config_errors);
  return g_test_run ();
}
