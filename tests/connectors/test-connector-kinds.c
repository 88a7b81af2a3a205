/* test-connector-kinds.c — the real ioc-connector, a real mosquitto:
 *  - jsonl: a JSON-lines file replayed with mapping; bad lines counted and
 *    logged with their line number, never published; SIGKILL and restart
 *    publish nothing twice and skip nothing; a line still being written
 *    waits; a FIFO is read as it is written.
 *  - camera with an NVR status endpoint served by the test: recording,
 *    video loss and tamper flags become SPEC events, once each.
 *  - TLS: a mosquitto TLS listener with certificates made by the test
 *    (openssl CLI); the connector publishes over ssl:// and the message
 *    arrives; with the wrong CA it is refused with OpenSSL's reason; --check
 *    names a missing CA file.
 * Single-threaded: the test's HTTP server runs on the test's main loop,
 * iterated by ioc_test_wait. */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connector-harness.h"
#include "test-broker.h"
#include "test-hub.h"
#include "test-influx.h"
#include "test-util.h"

typedef struct
{
  IocTestBroker *broker;
  IocTestCollector *collector;
  IocTestConnector conn;
  gchar *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  f->collector = ioc_test_collector_new (ioc_test_broker_url (f->broker), &error);
  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("ioc-conn-kinds-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (g_test_failed ())
    ioc_test_connector_dump_log (&f->conn);
  ioc_test_connector_clear (&f->conn);
  ioc_test_collector_free (f->collector);
  ioc_test_broker_free (f->broker);
  ioc_test_rm_rf (f->dir);
  g_free (f->dir);
}

static gchar *
write_conf (const gchar *dir, const gchar *name, const gchar *kind, const gchar *device,
            const gchar *url, const gchar *mqtt_extra, const gchar *group)
{
  g_autofree gchar *conf = g_strdup_printf (
    "[connector]\nkind = %s\nprovince = 40\nunit = xa-16681\ndevice = %s\nstate_dir = %s/state-%s\n"
    "status_interval = 1s\npoll_interval = 100ms\nseq_block = 10\n"
    "[mqtt]\nurl = %s\n%s[%s]\n%s", kind, device, dir, device, url, mqtt_extra, kind, group);
  gchar *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, conf, -1, NULL));
  return path;
}

static gchar *
read_log (IocTestConnector *c)
{
  gchar *text = NULL;
  if (!c->log_path || !g_file_get_contents (c->log_path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

/* The newest status's integer field of a device (-1 if none yet). */
static gint64
last_status_int (IocTestCollector *c, const gchar *device, const gchar *field)
{
  g_autoptr (GPtrArray) msgs = ioc_test_collector_messages (c);
  g_autofree gchar *suffix = g_strdup_printf ("/%s/status", device);
  for (guint i = msgs->len; i > 0; i--)
    {
      IocTestMsg *m = msgs->pdata[i - 1];
      if (!g_str_has_suffix (m->topic, suffix))
        continue;
      g_autoptr (JsonParser) p = json_parser_new ();
      if (!json_parser_load_from_data (p, m->payload, (gssize) m->len, NULL))
        return -1;
      JsonObject *o = json_node_get_object (json_parser_get_root (p));
      return json_object_get_int_member_with_default (o, field, -1);
    }
  return -1;
}

typedef struct
{
  IocTestCollector *c;
  const gchar *type;
  guint want;
} WantKeys;

static gboolean
have_keys (gpointer data)
{
  WantKeys *w = data;
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (w->c);
  return ioc_test_count_distinct_keys (recs, w->type) >= w->want;
}

static guint
count_type (IocTestCollector *c, const gchar *type)
{
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (c);
  guint n = 0;
  for (guint i = 0; i < recs->len; i++)
    n += g_strcmp0 (((IocTestRecord *) recs->pdata[i])->type, type) == 0;
  return n;
}

/* ---- jsonl ---- */

/* A vendor's line: its own names, mapped by the config below. */
static gchar *
desk_line (guint n)
{
  return g_strdup_printf ("{\"event\":\"CALL\",\"time\":%" G_GINT64_FORMAT ",\"so_phieu\":%u,"
                          "\"quay\":\"q%u\",\"cho\":%u}\n", g_get_real_time () / 1000, 1000 + n,
                          n % 4 + 1, 30 + n);
}

static const gchar *jsonl_mapping =
  "type_field = event\nts_field = time\ntype.CALL = ticket.called\n"
  "map.ticket = so_phieu\nmap.counter = quay\nmap.wait_s = cho\n";

static void
append (const gchar *path, const gchar *text)
{
  FILE *fp = fopen (path, "a");
  g_assert_nonnull (fp);
  fputs (text, fp);
  fclose (fp);
}

typedef struct
{
  IocTestCollector *c;
  const gchar *device;
  gint64 want;
} WantRejects;

static gboolean
have_rejects (gpointer data)
{
  WantRejects *w = data;
  return last_status_int (w->c, w->device, "source_rejects") >= w->want;
}

static void
test_jsonl_file (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *events = g_build_filename (f->dir, "events.jsonl", NULL);
  /* 30 good lines, and 4 bad ones at lines 3, 10, 17, 24 */
  g_autoptr (GString) text = g_string_new (NULL);
  guint good = 0;
  for (guint line = 1; line <= 34; line++)
    {
      if (line == 3)
        g_string_append (text, "{\"event\":\"CALL\", this is not JSON\n");
      else if (line == 10)
        g_string_append (text, "[1,2,3]\n");
      else if (line == 17) /* maps, but wait_s is not a number: not a valid SPEC event */
        g_string_append_printf (text, "{\"event\":\"CALL\",\"time\":%" G_GINT64_FORMAT
                                ",\"so_phieu\":1,\"quay\":\"q1\",\"cho\":\"soon\"}\n",
                                g_get_real_time () / 1000);
      else if (line == 24) /* over max_line */
        {
          g_string_append (text, "{\"pad\":\"");
          for (guint i = 0; i < 3000; i++)
            g_string_append_c (text, 'x');
          g_string_append (text, "\"}\n");
        }
      else
        {
          g_autofree gchar *l = desk_line (++good);
          g_string_append (text, l);
        }
    }
  g_assert_true (g_file_set_contents (events, text->str, (gssize) text->len, NULL));
  g_autofree gchar *group = g_strdup_printf ("publish_as = desk\nfile = %s\nmax_line = 2KiB\n%s",
                                             events, jsonl_mapping);
  g_autofree gchar *conf = write_conf (f->dir, "jsonl.conf", "jsonl", "replay-1",
                                       ioc_test_broker_url (f->broker), "", group);

  /* --check accepts it, and names what is wrong in a broken one */
  g_autofree gchar *out = NULL, *err = NULL;
  gint status = -1;
  const gchar *check_argv[] = { IOC_CONNECTOR_BIN, "--check", "--config", conf, NULL };
  g_assert_true (g_spawn_sync (NULL, (gchar **) check_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_autofree gchar *bad_group = g_strdup_printf ("publish_as = lamp\nfile = %s\n", events);
  g_autofree gchar *bad_conf = write_conf (f->dir, "bad.conf", "jsonl", "replay-x",
                                           ioc_test_broker_url (f->broker), "", bad_group);
  const gchar *bad_argv[] = { IOC_CONNECTOR_BIN, "--check", "--config", bad_conf, NULL };
  g_clear_pointer (&err, g_free);
  g_assert_true (g_spawn_sync (NULL, (gchar **) bad_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               &err, &status, NULL));
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "bad.conf: [jsonl] publish_as: expected desk, kiosk, camera or portal"));

  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  WantKeys w = { f->collector, "ticket.called", 30 };
  g_assert_true (ioc_test_wait (have_keys, &w, 20 * G_TIME_SPAN_SECOND));
  WantRejects wr = { f->collector, "replay-1", 4 };
  g_assert_true (ioc_test_wait (have_rejects, &wr, 10 * G_TIME_SPAN_SECOND));
  g_autofree gchar *log = read_log (&f->conn);
  for (guint i = 0; i < 4; i++)
    {
      static const guint bad_lines[] = { 3, 10, 17, 24 };
      g_autofree gchar *want = g_strdup_printf ("events.jsonl line %u: ", bad_lines[i]);
      if (!strstr (log, want))
        g_error ("the log does not name %s:\n%s", want, log);
    }

  /* SIGKILL, more lines (one still being written), restart */
  ioc_test_connector_kill (&f->conn);
  g_autoptr (GPtrArray) before = ioc_test_decode_all (f->collector);
  gint64 seq_at_kill = 0;
  for (guint i = 0; i < before->len; i++)
    seq_at_kill = MAX (seq_at_kill, ((IocTestRecord *) before->pdata[i])->seq);
  g_autoptr (GString) more = g_string_new (NULL);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree gchar *l = desk_line (++good);
      g_string_append (more, l);
    }
  g_autofree gchar *last = desk_line (++good);
  g_string_append_len (more, last, (gssize) strlen (last) - 1); /* no newline yet */
  append (events, more->str);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  w.want = 50;
  g_assert_true (ioc_test_wait (have_keys, &w, 20 * G_TIME_SPAN_SECOND));
  g_usleep (500 * 1000);
  ioc_test_wait (have_keys, &w, 200 * G_TIME_SPAN_MILLISECOND);
  /* the unfinished line waits */
  {
    g_autoptr (GPtrArray) now = ioc_test_decode_all (f->collector);
    g_assert_cmpuint (ioc_test_count_distinct_keys (now, "ticket.called"), ==, 50);
  }
  append (events, "\n");
  w.want = 51;
  g_assert_true (ioc_test_wait (have_keys, &w, 20 * G_TIME_SPAN_SECOND));
  g_assert_cmpint (ioc_test_connector_stop (&f->conn), ==, 0);

  g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
  /* nothing twice under two numbers, nothing skipped, seq continues */
  ioc_test_check_seq (recs, seq_at_kill);
  g_assert_cmpuint (ioc_test_count_distinct_keys (recs, "ticket.called"), ==, 51);
  guint events_published = count_type (f->collector, "ticket.called");
  guint distinct_seqs = 0;
  g_autoptr (GHashTable) seqs = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < recs->len; i++)
    {
      IocTestRecord *r = recs->pdata[i];
      if (g_strcmp0 (r->type, "ticket.called") == 0 && !g_hash_table_contains (seqs, &r->seq))
        {
          g_hash_table_add (seqs, &r->seq);
          distinct_seqs++;
        }
    }
  g_assert_cmpuint (distinct_seqs, ==, 51); /* repeats (same seq) are allowed, new numbers not */
  g_assert_cmpuint (events_published, >=, 51);
}

static void
test_jsonl_fifo (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *fifo = g_build_filename (f->dir, "events.fifo", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_autofree gchar *group = g_strdup_printf ("publish_as = desk\nfile = %s\n%s", fifo, jsonl_mapping);
  g_autofree gchar *conf = write_conf (f->dir, "fifo.conf", "jsonl", "fifo-1",
                                       ioc_test_broker_url (f->broker), "", group);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  /* the connector holds the FIFO open; a writer that comes and goes */
  for (guint round = 0; round < 2; round++)
    {
      gint fd = -1;
      for (guint i = 0; i < 100 && fd < 0; i++)
        {
          fd = g_open (fifo, O_WRONLY | O_NONBLOCK, 0);
          if (fd < 0)
            g_usleep (50 * 1000); /* ENXIO: the reader is not there yet */
        }
      g_assert_cmpint (fd, >=, 0);
      for (guint i = 0; i < 10; i++)
        {
          g_autofree gchar *l = desk_line (round * 10 + i + 1);
          g_assert_cmpint (write (fd, l, strlen (l)), ==, (gssize) strlen (l));
        }
      g_assert_cmpint (write (fd, "not json\n", 9), ==, 9);
      close (fd);
      WantKeys w = { f->collector, "ticket.called", 10 * (round + 1) };
      g_assert_true (ioc_test_wait (have_keys, &w, 20 * G_TIME_SPAN_SECOND));
    }
  WantRejects wr = { f->collector, "fifo-1", 2 };
  g_assert_true (ioc_test_wait (have_rejects, &wr, 10 * G_TIME_SPAN_SECOND));
  g_assert_true (ioc_test_connector_alive (&f->conn));
  g_assert_cmpint (ioc_test_connector_stop (&f->conn), ==, 0);
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
  ioc_test_check_seq (recs, 0);
}

/* ---- camera with the NVR's channel status ---- */

typedef struct
{
  gint record, signal, tamper;
} NvrFlags;

static void
nvr_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
        gpointer data)
{
  NvrFlags *n = data;
  g_autofree gchar *body = g_strdup_printf (
    "{\"ChanStatus\":[{\"chanNo\":1,\"online\":1,\"record\":%d,\"signal\":%d,\"tamper\":%d,"
    "\"bitRate\":2048,\"fps\":25},{\"chanNo\":2,\"online\":true,\"record\":true,\"signal\":0}]}",
    n->record, n->signal, n->tamper);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

typedef struct
{
  IocTestCollector *c;
  const gchar *needle;
} WantStatus;

static gboolean
status_has (gpointer data)
{
  WantStatus *w = data;
  g_autoptr (GPtrArray) msgs = ioc_test_collector_messages (w->c);
  for (guint i = 0; i < msgs->len; i++)
    {
      IocTestMsg *m = msgs->pdata[i];
      if (g_str_has_suffix (m->topic, "/status") && strstr (m->payload, w->needle))
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  IocTestCollector *c;
  const gchar *type;
} WantType;

static gboolean
have_type (gpointer data)
{
  WantType *w = data;
  return count_type (w->c, w->type) >= 1;
}

static void
test_camera_nvr (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  NvrFlags flags = { 1, 0, 0 };
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, "/ISAPI/System/workingstatus", nvr_cb, &flags, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_assert_true (soup_server_listen (server, addr, 0, &error));
  GSList *uris = soup_server_get_uris (server);
  guint port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_autofree gchar *group = g_strdup_printf (
    "cameras = cam-01, cam-02\nprobe_timeout = 1s\nonline_after = 1\n"
    "nvr_status = http://127.0.0.1:%u/ISAPI/System/workingstatus?format=json\n"
    "channel.cam-01 = 1\nchannel.cam-02 = 2\ncounter.cam-01 = q1\n", port);
  g_autofree gchar *conf = write_conf (f->dir, "camera.conf", "camera", "nvr-1",
                                       ioc_test_broker_url (f->broker), "", group);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  WantStatus ws = { f->collector, "{\"camera\":\"cam-01\",\"online\":true,\"recording\":true,\"fps\":25,\"bitrate_kbps\":2048}" };
  g_assert_true (ioc_test_wait (status_has, &ws, 15 * G_TIME_SPAN_SECOND));
  /* the first reading is status only */
  g_assert_cmpuint (count_type (f->collector, "recording.started"), ==, 0);

  flags.record = 0;
  WantType stopped = { f->collector, "recording.stopped" };
  g_assert_true (ioc_test_wait (have_type, &stopped, 15 * G_TIME_SPAN_SECOND));
  WantStatus wns = { f->collector, "{\"camera\":\"cam-01\",\"online\":true,\"recording\":false" };
  g_assert_true (ioc_test_wait (status_has, &wns, 15 * G_TIME_SPAN_SECOND));
  flags.signal = 1;
  WantType loss = { f->collector, "video.loss" };
  g_assert_true (ioc_test_wait (have_type, &loss, 15 * G_TIME_SPAN_SECOND));
  flags.tamper = 1;
  WantType tamper = { f->collector, "tamper" };
  g_assert_true (ioc_test_wait (have_type, &tamper, 15 * G_TIME_SPAN_SECOND));
  flags.record = 1;
  flags.signal = 0;
  flags.tamper = 0;
  WantType started = { f->collector, "recording.started" };
  g_assert_true (ioc_test_wait (have_type, &started, 15 * G_TIME_SPAN_SECOND));
  /* a few more rounds: no repeats of a flag that did not change again */
  g_usleep (600 * 1000);
  ioc_test_wait (have_type, &started, 300 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (ioc_test_connector_stop (&f->conn), ==, 0);
  const gchar *types[] = { "recording.stopped", "video.loss", "tamper", "recording.started" };
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    g_assert_cmpuint (count_type (f->collector, types[i]), ==, 1);
  g_assert_cmpuint (count_type (f->collector, "camera.offline"), ==, 0);
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
  ioc_test_check_seq (recs, 0);
  for (guint i = 0; i < recs->len; i++)
    {
      IocTestRecord *r = recs->pdata[i];
      if (r->type)
        g_assert_nonnull (strstr (r->payload, "\"camera\":\"cam-01\"")); /* cam-02 never changed */
    }
}

/* ---- TLS ---- */

static void
run_openssl (const gchar *dir, const gchar *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) "openssl");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_autofree gchar *err = NULL;
  gint status = -1;
  g_autoptr (GError) error = NULL;
  if (!g_spawn_sync (dir, (gchar **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                     &status, &error))
    g_error ("the TLS test needs the openssl command: %s", error->message);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("openssl %s failed: %s", args[0], err);
}

/* A CA, a broker certificate it signed for 127.0.0.1, and an unrelated CA. */
static void
make_certs (const gchar *dir)
{
  const gchar *ca[] = { "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                        "ca.pem", "-days", "2", "-subj", "/CN=ioc-test-ca", NULL };
  const gchar *csr[] = { "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
                         "server.csr", "-subj", "/CN=127.0.0.1", NULL };
  const gchar *sign[] = { "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                          "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile",
                          "ext.cnf", NULL };
  const gchar *other[] = { "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key",
                           "-out", "other.pem", "-days", "2", "-subj", "/CN=some-other-ca", NULL };
  g_autofree gchar *ext = g_build_filename (dir, "ext.cnf", NULL);
  g_assert_true (g_file_set_contents (ext, "subjectAltName=IP:127.0.0.1\n", -1, NULL));
  run_openssl (dir, ca);
  run_openssl (dir, csr);
  run_openssl (dir, sign);
  run_openssl (dir, other);
  /* mosquitto, started as root, reads them as its own user */
  g_chmod (dir, 0755);
  const gchar *files[] = { "ca.pem", "server.pem", "server.key", "other.pem" };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree gchar *p = g_build_filename (dir, files[i], NULL);
      g_chmod (p, 0644);
    }
}

typedef struct
{
  GSubprocess *proc;
  guint plain_port, tls_port;
  gchar *log;
} TlsBroker;

static gboolean
port_open (guint port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) c = g_socket_client_connect_to_host (client, "127.0.0.1",
                                                                     (guint16) port, NULL, NULL);
  return c != NULL;
}

static void
tls_broker_start (TlsBroker *b, const gchar *dir)
{
  b->plain_port = ioc_test_free_port ();
  do
    b->tls_port = ioc_test_free_port ();
  while (b->tls_port == b->plain_port);
  g_autofree gchar *conf = g_strdup_printf (
    "%sallow_anonymous true\npersistence false\nlog_dest stderr\n"
    "listener %u 127.0.0.1\n"
    "listener %u 127.0.0.1\ncafile %s/ca.pem\ncertfile %s/server.pem\nkeyfile %s/server.key\n",
    geteuid () == 0 ? "user root\n" : "", /* keeps the death signal (ioc_test_die_with_test) */
    b->plain_port, b->tls_port, dir, dir, dir);
  g_autofree gchar *path = g_build_filename (dir, "mosquitto.conf", NULL);
  g_assert_true (g_file_set_contents (path, conf, -1, NULL));
  b->log = g_build_filename (dir, "mosquitto.log", NULL);
  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (l, b->log);
  g_autoptr (GError) error = NULL;
  g_subprocess_launcher_set_child_setup (l, ioc_test_die_with_test, NULL, NULL);
  b->proc = g_subprocess_launcher_spawn (l, &error, "mosquitto", "-c", path, NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < 200 && !(port_open (b->plain_port) && port_open (b->tls_port)); i++)
    g_usleep (50 * 1000);
  if (!port_open (b->tls_port))
    {
      g_autofree gchar *text = NULL;
      g_file_get_contents (b->log, &text, NULL, NULL);
      g_error ("mosquitto with TLS did not listen on %u:\n%s", b->tls_port, text);
    }
}

static void
tls_broker_stop (TlsBroker *b)
{
  g_subprocess_send_signal (b->proc, SIGTERM);
  g_subprocess_wait (b->proc, NULL, NULL);
  g_clear_object (&b->proc);
  g_free (b->log);
}

typedef struct
{
  IocTestConnector *conn;
  const gchar *needle;
} WantLog;

static gboolean
log_has (gpointer data)
{
  WantLog *w = data;
  g_autofree gchar *log = read_log (w->conn);
  return strstr (log, w->needle) != NULL;
}

static void
test_tls (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-conn-tls-XXXXXX", &error);
  g_assert_no_error (error);
  make_certs (dir);
  TlsBroker b = { 0 };
  tls_broker_start (&b, dir);
  g_autofree gchar *plain = g_strdup_printf ("tcp://127.0.0.1:%u", b.plain_port);
  g_autofree gchar *tls_url = g_strdup_printf ("ssl://127.0.0.1:%u", b.tls_port);
  g_autoptr (IocTestCollector) col = ioc_test_collector_new (plain, &error);
  g_assert_no_error (error);

  g_autofree gchar *events = g_build_filename (dir, "events.jsonl", NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint i = 1; i <= 5; i++)
    {
      g_autofree gchar *l = desk_line (i);
      g_string_append (text, l);
    }
  g_assert_true (g_file_set_contents (events, text->str, -1, NULL));
  g_autofree gchar *group = g_strdup_printf ("publish_as = desk\nfile = %s\n%s", events, jsonl_mapping);

  /* the right CA: published over TLS, arrives */
  g_autofree gchar *good_extra = g_strdup_printf ("ca_file = %s/ca.pem\n", dir);
  g_autofree gchar *good = write_conf (dir, "good.conf", "jsonl", "tls-good", tls_url, good_extra, group);
  IocTestConnector cg = { 0 };
  g_assert_true (ioc_test_connector_start (&cg, good, &error));
  WantKeys w = { col, "ticket.called", 5 };
  gboolean arrived = ioc_test_wait (have_keys, &w, 20 * G_TIME_SPAN_SECOND);
  if (!arrived)
    ioc_test_connector_dump_log (&cg);
  g_assert_true (arrived);
  g_assert_cmpint (ioc_test_connector_stop (&cg), ==, 0);
  ioc_test_connector_clear (&cg);

  /* another CA: refused, and the log says why */
  g_autofree gchar *bad_extra = g_strdup_printf ("ca_file = %s/other.pem\n", dir);
  g_autofree gchar *bad = write_conf (dir, "bad.conf", "jsonl", "tls-bad", tls_url, bad_extra, group);
  IocTestConnector cb = { 0 };
  cb.log_path = g_build_filename (dir, "bad.log", NULL);
  g_assert_true (ioc_test_connector_start (&cb, bad, &error));
  WantLog wl = { &cb, "certificate verify failed" };
  gboolean said = ioc_test_wait (log_has, &wl, 20 * G_TIME_SPAN_SECOND);
  if (!said)
    ioc_test_connector_dump_log (&cb);
  g_assert_true (said);
  g_assert_true (ioc_test_connector_alive (&cb)); /* keeps trying, keeps buffering */
  g_autoptr (GPtrArray) msgs = ioc_test_collector_messages (col);
  for (guint i = 0; i < msgs->len; i++)
    g_assert_null (strstr (((IocTestMsg *) msgs->pdata[i])->topic, "/tls-bad/"));
  ioc_test_connector_stop (&cb);
  ioc_test_connector_clear (&cb);

  /* --check: a CA file that is not there is named with its key */
  g_autofree gchar *missing_extra = g_strdup_printf ("ca_file = %s/nope.pem\n", dir);
  g_autofree gchar *missing = write_conf (dir, "missing.conf", "jsonl", "tls-x", tls_url,
                                          missing_extra, group);
  const gchar *argv[] = { IOC_CONNECTOR_BIN, "--check", "--config", missing, NULL };
  g_autofree gchar *err = NULL;
  gint status = -1;
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err,
                               &status, NULL));
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "missing.conf: [mqtt] ca_file: expected a readable PEM file"));
  /* and TLS files on a plain tcp:// URL are a mistake, not ignored */
  g_autofree gchar *mixed = write_conf (dir, "mixed.conf", "jsonl", "tls-y", plain, good_extra, group);
  const gchar *argv2[] = { IOC_CONNECTOR_BIN, "--check", "--config", mixed, NULL };
  g_clear_pointer (&err, g_free);
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv2, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err,
                               &status, NULL));
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "mixed.conf: [mqtt] url: expected ssl://"));

  g_clear_pointer (&col, ioc_test_collector_free);
  tls_broker_stop (&b);
  ioc_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/ioc/connector/jsonl/file-kill", Fixture, NULL, fixture_setup, test_jsonl_file,
              fixture_teardown);
  g_test_add ("/ioc/connector/jsonl/fifo", Fixture, NULL, fixture_setup, test_jsonl_fifo,
              fixture_teardown);
  g_test_add ("/ioc/connector/camera/nvr-status", Fixture, NULL, fixture_setup, test_camera_nvr,
              fixture_teardown);
  g_test_add_func ("/ioc/connector/tls/publish-and-refuse", test_tls);
  return g_test_run ();
}
