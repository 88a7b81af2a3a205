/* test-connector-run.c — the real ioc-connector against a real mosquitto
 * (tests/lib/test-broker.h) and source systems served by this test on
 * loopback: a queue system polled with a cursor (desk), a rating webhook
 * (kiosk), a portal API (portal) and RTSP/HTTP cameras (camera).  Every
 * message is decoded with the hub's decoder; seq must rise without gaps
 * through a 10 s broker outage, and continue without reuse after SIGKILL.
 * Hostile sources (bad JSON, huge bodies, a slow client, RTSP garbage) are
 * counted, never published, and the connector keeps running.  A config
 * pushed on ioc/v1/<p>/config/<id> is applied live (or refused with the
 * reason, keeping the old one) and answered on .../applied.
 *
 * Single-threaded except the RTSP responder thread of the camera test. */
#include <MQTTAsync.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "connector-harness.h"
#include "test-broker.h"
#include "test-hub.h"
#include "test-influx.h"
#include "test-source.h"

typedef struct
{
  IocTestBroker *broker;
  IocTestCollector *collector;
  IocTestConnector conn;
  gchar *dir;
  IocTestSource *source; /* a source system's API, for the polling kinds */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  ioc_test_broker_let_persist (ioc_test_broker_port (f->broker));
  f->collector = ioc_test_collector_new (ioc_test_broker_url (f->broker), &error);
  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("ioc-conn-run-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (g_test_failed ())
    ioc_test_connector_dump_log (&f->conn);
  ioc_test_connector_clear (&f->conn);
  g_clear_pointer (&f->source, ioc_test_source_free);
  ioc_test_collector_free (f->collector);
  ioc_test_broker_free (f->broker);
  ioc_test_rm_rf (f->dir);
  g_free (f->dir);
}

static gchar *
conf_text (Fixture *f, const gchar *kind, const gchar *unit, const gchar *device,
           const gchar *kind_group)
{
  return g_strdup_printf (
    "[connector]\nkind = %s\nprovince = 40\nunit = %s\ndevice = %s\nstate_dir = %s/state\n"
    "status_interval = 1s\npoll_interval = 200ms\nseq_block = 100\n"
    "[mqtt]\nurl = %s\n[%s]\n%s",
    kind, unit, device, f->dir, ioc_test_broker_url (f->broker), kind, kind_group);
}

static gchar *
write_conf (Fixture *f, const gchar *kind, const gchar *unit, const gchar *device,
            const gchar *kind_group)
{
  g_autofree gchar *conf = conf_text (f, kind, unit, device, kind_group);
  gchar *path = g_build_filename (f->dir, "connector.conf", NULL);
  g_assert_true (g_file_set_contents (path, conf, -1, NULL));
  return path;
}

static void
start_source (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  f->source = ioc_test_source_new (&error);
  g_assert_no_error (error);
}

/* A vendor's queue event: its own names, mapped by the config. */
static void
add_desk_event (Fixture *f)
{
  ioc_test_source_add_desk_call (f->source);
}

typedef struct
{
  Fixture *f;
  const gchar *type;
  guint want;
} WantKeys;

static gboolean
have_keys (gpointer data)
{
  WantKeys *w = data;
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (w->f->collector);
  guint n = ioc_test_count_distinct_keys (recs, w->type);
  if (n < w->want && g_test_verbose ())
    {
      static gint64 last_print;
      if (g_get_monotonic_time () - last_print > G_TIME_SPAN_SECOND)
        {
          last_print = g_get_monotonic_time ();
          IocTestRecord *r = recs->len ? recs->pdata[recs->len - 1] : NULL;
          g_test_message ("%u of %u %s; %u messages; last %s", n, w->want, w->type, recs->len,
                          r ? r->payload : "-");
        }
    }
  return n >= w->want;
}

static const gchar *desk_group =
  "url = http://127.0.0.1:%u/api/queue/events\ncursor_param = after\n"
  "type_field = event\nts_field = time\ntype.CALL = ticket.called\n"
  "map.ticket = ticket_no\nmap.counter = quay\nmap.wait_s = wait_seconds\n";

static gint64
max_seq (GPtrArray *recs)
{
  gint64 m = 0;
  for (guint i = 0; i < recs->len; i++)
    m = MAX (m, ((IocTestRecord *) recs->pdata[i])->seq);
  return m;
}

static void
test_desk_poll (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  start_source (f);
  for (gint i = 0; i < 20; i++)
    add_desk_event (f);
  g_autofree gchar *group = g_strdup_printf (desk_group, ioc_test_source_port (f->source));
  g_autofree gchar *conf = write_conf (f, "desk", "xa-16681", "q-xa-16681", group);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));

  /* 1. What the source says arrives as valid SPEC messages on the right topic. */
  WantKeys w = { f, "ticket.called", 20 };
  g_assert_true (ioc_test_wait (have_keys, &w, 20 * G_TIME_SPAN_SECOND));
  {
    g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
    for (guint i = 0; i < recs->len; i++)
      {
        IocTestRecord *r = recs->pdata[i];
        const gchar *want = r->msg_type == IOC_MSG_EVENT ? "ioc/v1/40/xa-16681/desk/q-xa-16681/event"
                                                        : "ioc/v1/40/xa-16681/desk/q-xa-16681/status";
        g_assert_cmpstr (r->topic, ==, want);
      }
    ioc_test_check_seq (recs, 0);
  }

  /* 2. The broker away for 10 s while the source keeps producing. */
  ioc_test_broker_stop (f->broker);
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < end)
    {
      add_desk_event (f);
      for (gint i = 0; i < 50; i++)
        {
          while (g_main_context_iteration (NULL, FALSE))
            ;
          g_usleep (10000);
        }
    }
  g_assert_true (ioc_test_broker_restart (f->broker, &error));
  w.want = ioc_test_source_len (f->source);
  g_assert_true (ioc_test_wait (have_keys, &w, 30 * G_TIME_SPAN_SECOND));
  gint64 before_kill;
  {
    g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
    ioc_test_check_seq (recs, 0); /* every message, in order, no gap */
    before_kill = max_seq (recs);
  }

  /* 3. SIGKILL, more events, restart: seq continues, nothing published twice
   * under two numbers (the cursor was committed with the messages). */
  ioc_test_connector_kill (&f->conn);
  for (gint i = 0; i < 10; i++)
    add_desk_event (f);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  w.want = ioc_test_source_len (f->source);
  g_assert_true (ioc_test_wait (have_keys, &w, 20 * G_TIME_SPAN_SECOND));
  {
    g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
    /* What was published before the kill may show up as a gap; not reuse. */
    ioc_test_check_seq (recs, 1);
    g_assert_cmpint (max_seq (recs), >, before_kill);
  }
  /* 4. SIGTERM: clean exit. */
  g_assert_cmpint (ioc_test_connector_stop (&f->conn), ==, 0);
}

/* ---- kiosk: the webhook, and what a hostile source sends ---- */

static guint
post (guint port, const gchar *path, const gchar *body, gsize len)
{
  g_autoptr (SoupSession) s = soup_session_new_with_options ("timeout", 5, NULL);
  g_autofree gchar *uri = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr (GBytes) b = g_bytes_new (body, len);
  soup_message_set_request_body_from_bytes (msg, "application/json", b);
  g_autoptr (GBytes) answer = soup_session_send_and_read (s, msg, NULL, NULL);
  return soup_message_get_status (msg);
}

typedef struct
{
  guint port;
} PortUp;

static gboolean
webhook_up (gpointer data)
{
  PortUp *p = data;
  return post (p->port, "/kiosk/events", "{}", 2) != SOUP_STATUS_NONE;
}

typedef struct
{
  Fixture *f;
  gint64 want_rejects;
} WantRejects;

static gboolean
status_rejects (gpointer data)
{
  WantRejects *w = data;
  g_autoptr (GPtrArray) msgs = ioc_test_collector_messages (w->f->collector);
  for (guint i = msgs->len; i > 0; i--)
    {
      IocTestMsg *m = msgs->pdata[i - 1];
      if (!g_str_has_suffix (m->topic, "/status"))
        continue;
      g_autoptr (JsonParser) p = json_parser_new ();
      if (!json_parser_load_from_data (p, m->payload, (gssize) m->len, NULL))
        return FALSE;
      JsonObject *o = json_node_get_object (json_parser_get_root (p));
      return json_object_get_int_member_with_default (o, "source_rejects", 0) >= w->want_rejects;
    }
  return FALSE;
}

static void
test_kiosk_webhook_hostile (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint port = ioc_test_free_port ();
  g_autofree gchar *group = g_strdup_printf (
    "listen = 127.0.0.1:%u\npath = /kiosk/events\nmax_body = 64KiB\n"
    "type.rate = rating\nmap.level = diem\nvalue.channel.kiosk = \"device\"\n", port);
  g_autofree gchar *conf = write_conf (f, "kiosk", "xa-16681", "kiosk-1", group);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  PortUp up = { port };
  g_assert_true (ioc_test_wait (webhook_up, &up, 10 * G_TIME_SPAN_SECOND));
  /* the probe "{}" above was an item without type: refused (1+) */

  /* A slow client holds a connection open mid-headers the whole time. */
  g_autoptr (GSocketClient) sc = g_socket_client_new ();
  g_autoptr (GSocketConnection) slow = g_socket_client_connect_to_host (sc, "127.0.0.1", (guint16) port,
                                                                        NULL, &error);
  g_assert_no_error (error);
  const gchar *partial = "POST /kiosk/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n";
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (slow)), partial,
                             strlen (partial), NULL, NULL, NULL);

  gint64 now_ms = g_get_real_time () / 1000;
  g_autofree gchar *good1 = g_strdup_printf ("{\"type\":\"rate\",\"ts\":%" G_GINT64_FORMAT
                                             ",\"diem\":4,\"scale\":5,\"channel\":\"kiosk\"}", now_ms);
  g_autofree gchar *good2 = g_strdup_printf ("[{\"type\":\"ticket.issued\",\"ts\":%" G_GINT64_FORMAT
                                             ",\"ticket\":\"A7\"}]", now_ms);
  g_autofree gchar *bad_level = g_strdup_printf ("{\"type\":\"rate\",\"ts\":%" G_GINT64_FORMAT
                                                 ",\"diem\":9,\"scale\":5,\"channel\":\"qr\"}", now_ms);
  g_assert_cmpuint (post (port, "/kiosk/events", good1, strlen (good1)), ==, 200);
  g_assert_cmpuint (post (port, "/kiosk/events", "{not json", 9), ==, 400);
  g_autofree gchar *huge = g_strnfill (2 * 1024 * 1024, '[');
  guint st = post (port, "/kiosk/events", huge, strlen (huge));
  g_assert_true (st == 413 || st == SOUP_STATUS_NONE); /* refused before the body */
  g_assert_cmpuint (post (port, "/kiosk/events", bad_level, strlen (bad_level)), ==, 422);
  g_assert_cmpuint (post (port, "/kiosk/events", good2, strlen (good2)), ==, 200);

  /* Counted (probe, bad JSON, huge, bad level) and reported in status. */
  WantRejects wr = { f, 4 };
  g_assert_true (ioc_test_wait (status_rejects, &wr, 10 * G_TIME_SPAN_SECOND));
  WantKeys w = { f, "ticket.issued", 1 };
  g_assert_true (ioc_test_wait (have_keys, &w, 10 * G_TIME_SPAN_SECOND));
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector); /* all valid */
  guint events = 0;
  for (guint i = 0; i < recs->len; i++)
    if (((IocTestRecord *) recs->pdata[i])->msg_type == IOC_MSG_EVENT)
      events++;
  g_assert_cmpuint (events, ==, 2); /* only the two good ones */
  ioc_test_check_seq (recs, 0);
  g_assert_true (ioc_test_connector_alive (&f->conn));
  g_assert_cmpint (ioc_test_connector_stop (&f->conn), ==, 0);
}

/* ---- portal: dossiers on the topic of their handling unit ---- */

static void
test_portal (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  start_source (f);
  gint64 now_ms = g_get_real_time () / 1000;
  /* The portal's dossier changes, served as a source (tests/lib/test-source.h). */
  for (guint i = 1; i <= 30; i++)
    {
      g_autofree gchar *item = g_strdup_printf (
        "{\"id\":%u,\"ma_ho_so\":\"H40.%05u\",\"thu_tuc\":\"1.001\",\"trang_thai\":\"%u\","
        "\"kenh\":%u,\"ngay_nhan\":\"2026-11-20T08:00:00+07:00\",\"han_xu_ly\":%" G_GINT64_FORMAT ","
        "\"don_vi\":\"%s\",\"updated_at\":%" G_GINT64_FORMAT "}",
        i, i, i % 3 == 0 ? 9 : 2, i % 10 < 7 ? 2 : 1, now_ms + 86400000, i % 2 ? "xa-16681" : "xa-16690",
        now_ms);
      ioc_test_source_add (f->source, item);
    }
  ioc_test_source_add (f->source, "{\"id\":31,\"ma_ho_so\":\"BAD\",\"trang_thai\":\"42\"}");
  g_autofree gchar *group = g_strdup_printf (
    "url = http://127.0.0.1:%u/api/dossiers/changes\ncursor_param = since\nunit_field = don_vi\n"
    "ts_field = updated_at\nmap.dossier = ma_ho_so\nmap.procedure = thu_tuc\nmap.state = trang_thai\n"
    "map.channel = kenh\nmap.received_at = ngay_nhan\nmap.due_at = han_xu_ly\n", ioc_test_source_port (f->source));
  g_autofree gchar *conf = write_conf (f, "portal", "tinh-40", "dvc-nghe-an", group);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  WantKeys w = { f, "dossier", 30 };
  g_assert_true (ioc_test_wait (have_keys, &w, 20 * G_TIME_SPAN_SECOND));
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
  guint on_a = 0, on_b = 0;
  for (guint i = 0; i < recs->len; i++)
    {
      IocTestRecord *r = recs->pdata[i];
      if (r->msg_type != IOC_MSG_EVENT)
        {
          g_assert_cmpstr (r->topic, ==, "ioc/v1/40/tinh-40/portal/dvc-nghe-an/status");
          continue;
        }
      on_a += strcmp (r->topic, "ioc/v1/40/xa-16681/portal/dvc-nghe-an/event") == 0;
      on_b += strcmp (r->topic, "ioc/v1/40/xa-16690/portal/dvc-nghe-an/event") == 0;
    }
  g_assert_cmpuint (on_a, ==, 15);
  g_assert_cmpuint (on_b, ==, 15);
  ioc_test_check_seq (recs, 0); /* one seq across units */
  g_assert_cmpint (ioc_test_connector_stop (&f->conn), ==, 0);
}

/* ---- camera: RTSP + HTTP snapshot responders ---- */

typedef struct
{
  GSocketListener *listener;
  GCancellable *cancel;
  gint mode; /* atomic: 0 good, 1 garbage */
  guint16 port;
  GThread *thread;
} Rtsp;

static gpointer
rtsp_thread (gpointer data)
{
  Rtsp *r = data;
  for (guint n = 0; n < 100000 && !g_cancellable_is_cancelled (r->cancel); n++)
    {
      g_autoptr (GSocketConnection) c = g_socket_listener_accept (r->listener, NULL, r->cancel, NULL);
      if (!c)
        break;
      GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (c));
      GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (c));
      for (gint req = 0; req < 4; req++)
        {
          g_autoptr (GString) head = g_string_new (NULL);
          gchar ch;
          while (head->len < 8192 && g_input_stream_read (in, &ch, 1, r->cancel, NULL) == 1)
            {
              g_string_append_c (head, ch);
              if (g_str_has_suffix (head->str, "\r\n\r\n"))
                break;
            }
          if (!g_str_has_suffix (head->str, "\r\n\r\n"))
            break;
          g_autofree gchar *answer = NULL;
          if (g_atomic_int_get (&r->mode) == 1)
            answer = g_strdup ("\x01\x02garbage\r\n\r\n");
          else if (g_str_has_prefix (head->str, "OPTIONS"))
            answer = g_strdup ("RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n");
          else if (g_str_has_prefix (head->str, "DESCRIBE"))
            {
              const gchar *sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cam\r\nm=video 0 RTP/AVP 96\r\n";
              answer = g_strdup_printf ("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\n"
                                        "Content-Length: %zu\r\n\r\n%s", strlen (sdp), sdp);
            }
          else if (g_str_has_prefix (head->str, "GET"))
            answer = g_strdup ("HTTP/1.0 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 4\r\n\r\n"
                               "\xff\xd8\xff\xd9");
          else
            answer = g_strdup ("RTSP/1.0 400 Bad\r\n\r\n");
          g_output_stream_write_all (out, answer, strlen (answer), NULL, NULL, NULL);
        }
    }
  return NULL;
}

typedef struct
{
  Fixture *f;
  const gchar *type;
  guint want;
} WantEvents;

static guint
count_events (Fixture *f, const gchar *type)
{
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
  guint n = 0;
  for (guint i = 0; i < recs->len; i++)
    n += g_strcmp0 (((IocTestRecord *) recs->pdata[i])->type, type) == 0;
  return n;
}

static gboolean
have_events (gpointer data)
{
  WantEvents *w = data;
  return count_events (w->f, w->type) >= w->want;
}

static gboolean
camera_online_status (gpointer data)
{
  Fixture *f = data;
  g_autoptr (GPtrArray) msgs = ioc_test_collector_messages (f->collector);
  for (guint i = 0; i < msgs->len; i++)
    {
      IocTestMsg *m = msgs->pdata[i];
      if (g_str_has_suffix (m->topic, "/status") && strstr (m->payload, "\"camera\":\"cam-01\",\"online\":true"))
        return TRUE;
    }
  return FALSE;
}

static void
test_camera (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  Rtsp r = { 0 };
  r.listener = g_socket_listener_new ();
  r.cancel = g_cancellable_new ();
  r.port = g_socket_listener_add_any_inet_port (r.listener, NULL, &error);
  g_assert_no_error (error);
  r.thread = g_thread_new ("rtsp", rtsp_thread, &r);
  g_autofree gchar *group = g_strdup_printf (
    "cameras = cam-01\nprobe_timeout = 1s\noffline_after = 3\nonline_after = 2\n"
    "rtsp.cam-01 = rtsp://127.0.0.1:%u/cam-01\nsnapshot.cam-01 = http://127.0.0.1:%u/snap.jpg\n"
    "counter.cam-01 = q1\n", r.port, r.port);
  g_autofree gchar *conf = write_conf (f, "camera", "xa-16681", "nvr-1", group);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  g_assert_true (ioc_test_wait (camera_online_status, f, 15 * G_TIME_SPAN_SECOND));

  /* RTSP garbage: after three bad rounds, one camera.offline. */
  g_atomic_int_set (&r.mode, 1);
  WantEvents off = { f, "camera.offline", 1 };
  g_assert_true (ioc_test_wait (have_events, &off, 15 * G_TIME_SPAN_SECOND));
  g_atomic_int_set (&r.mode, 0);
  WantEvents on = { f, "camera.online", 1 };
  g_assert_true (ioc_test_wait (have_events, &on, 15 * G_TIME_SPAN_SECOND));
  /* debounced: exactly one of each */
  g_assert_cmpuint (count_events (f, "camera.offline"), ==, 1);
  g_assert_cmpuint (count_events (f, "camera.online"), ==, 1);
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
  ioc_test_check_seq (recs, 0);
  g_assert_cmpint (ioc_test_connector_stop (&f->conn), ==, 0);

  g_cancellable_cancel (r.cancel);
  g_socket_listener_close (r.listener);
  g_thread_join (r.thread);
  g_object_unref (r.listener);
  g_object_unref (r.cancel);
}

/* ---- a pushed config (SPEC §3 config/<id>, OPERATIONS "Pushing a config") ---- */

/* Publishes data QoS 1 retained on topic, as `iocctl push-config` does. */
static void
push_config (Fixture *f, const gchar *topic, const gchar *data)
{
  MQTTAsync h = NULL;
  g_assert_cmpint (MQTTAsync_create (&h, ioc_test_broker_url (f->broker), "test-push-config",
                                     MQTTCLIENT_PERSISTENCE_NONE, NULL), ==, MQTTASYNC_SUCCESS);
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.cleansession = 1;
  g_assert_cmpint (MQTTAsync_connect (h, &co), ==, MQTTASYNC_SUCCESS);
  for (gint64 end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
       !MQTTAsync_isConnected (h) && g_get_monotonic_time () < end;)
    g_usleep (10000);
  g_assert_true (MQTTAsync_isConnected (h));
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = (void *) data;
  msg.payloadlen = (int) strlen (data);
  msg.qos = 1;
  msg.retained = 1;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  g_assert_cmpint (MQTTAsync_sendMessage (h, topic, &msg, &ro), ==, MQTTASYNC_SUCCESS);
  g_assert_cmpint (MQTTAsync_waitForCompletion (h, ro.token, 5000), ==, MQTTASYNC_SUCCESS);
  MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
  dopts.timeout = 2000;
  MQTTAsync_disconnect (h, &dopts);
  for (gint i = 0; i < 200 && MQTTAsync_isConnected (h); i++)
    g_usleep (10000);
  MQTTAsync_destroy (&h);
}

typedef struct
{
  Fixture *f;
  guint want; /* the want-th answer (1-based) */
  gchar *answer;
} WantAnswer;

static gboolean
have_answer (gpointer data)
{
  WantAnswer *w = data;
  g_autoptr (GPtrArray) msgs = ioc_test_collector_messages (w->f->collector);
  guint n = 0;
  for (guint i = 0; i < msgs->len; i++)
    {
      IocTestMsg *m = msgs->pdata[i];
      if (g_strcmp0 (m->topic, "ioc/v1/40/config/desk-q-xa-16681/applied") == 0 && ++n == w->want)
        {
          g_free (w->answer);
          w->answer = g_strdup (m->payload);
          return TRUE;
        }
    }
  return FALSE;
}

/* Tickets published with a counter from the "window" field (the pushed
 * mapping) rather than "quay" (the original one). */
static guint
count_window_tickets (Fixture *f)
{
  g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < recs->len; i++)
    {
      IocTestRecord *r = recs->pdata[i];
      if (g_strcmp0 (r->type, "ticket.called") == 0 && strstr (r->payload, "\"counter\":\"w"))
        g_hash_table_add (seen, r->key);
    }
  return g_hash_table_size (seen);
}

typedef struct
{
  Fixture *f;
  guint want;
} WantWindow;

static gboolean
have_window_tickets (gpointer data)
{
  WantWindow *w = data;
  return count_window_tickets (w->f) >= w->want;
}

static void
test_desk_push_config (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const gchar *topic = "ioc/v1/40/config/desk-q-xa-16681";
  start_source (f);
  for (gint i = 0; i < 5; i++)
    add_desk_event (f);
  g_autofree gchar *group = g_strdup_printf (desk_group, ioc_test_source_port (f->source));
  g_autofree gchar *conf = write_conf (f, "desk", "xa-16681", "q-xa-16681", group);
  g_assert_true (ioc_test_connector_start (&f->conn, conf, &error));
  WantKeys wk = { f, "ticket.called", 5 };
  g_assert_true (ioc_test_wait (have_keys, &wk, 20 * G_TIME_SPAN_SECOND));
  g_assert_cmpuint (count_window_tickets (f), ==, 0);

  /* 1. A changed mapping (counter from "window"): ok with the version, and
   *    the next tickets follow it, in the same process. */
  g_autofree gchar *group2 = g_strdup_printf (
    "url = http://127.0.0.1:%u/api/queue/events\ncursor_param = after\n"
    "type_field = event\nts_field = time\ntype.CALL = ticket.called\n"
    "map.ticket = ticket_no\nmap.counter = window\nmap.wait_s = wait_seconds\n",
    ioc_test_source_port (f->source));
  g_autofree gchar *good = conf_text (f, "desk", "xa-16681", "q-xa-16681", group2);
  push_config (f, topic, good);
  WantAnswer wa = { f, 1, NULL };
  g_assert_true (ioc_test_wait (have_answer, &wa, 10 * G_TIME_SPAN_SECOND));
  g_autofree gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, good, -1);
  g_autofree gchar *want_ok = g_strdup_printf ("{\"ok\":true,\"version\":\"%.12s\"}", hex);
  g_assert_cmpstr (wa.answer, ==, want_ok);
  for (gint i = 0; i < 5; i++)
    add_desk_event (f);
  WantWindow ww = { f, 5 };
  g_assert_true (ioc_test_wait (have_window_tickets, &ww, 15 * G_TIME_SPAN_SECOND));

  /* 2. An invalid kind setting: refused with file, group, key and what is
   *    expected; the config pushed before keeps running. */
  g_autofree gchar *bad_group = g_strconcat (group2, "type.SERVE = camera.offline\n", NULL);
  g_autofree gchar *bad = conf_text (f, "desk", "xa-16681", "q-xa-16681", bad_group);
  push_config (f, topic, bad);
  wa.want = 2;
  g_assert_true (ioc_test_wait (have_answer, &wa, 10 * G_TIME_SPAN_SECOND));
  g_test_message ("rejected: %s", wa.answer);
  g_assert_true (g_str_has_prefix (wa.answer, "{\"ok\":false,\"error\":\""));
  g_assert_nonnull (strstr (wa.answer, "connector.conf: [desk] type.SERVE: expected"));

  /* 3. Identity may not change remotely. */
  g_autofree gchar *moved = conf_text (f, "desk", "xa-99999", "q-xa-16681", group2);
  push_config (f, topic, moved);
  wa.want = 3;
  g_assert_true (ioc_test_wait (have_answer, &wa, 10 * G_TIME_SPAN_SECOND));
  g_test_message ("rejected: %s", wa.answer);
  g_assert_nonnull (strstr (wa.answer, "\"ok\":false"));
  g_assert_nonnull (strstr (wa.answer, "[connector] unit: expected"));
  g_free (wa.answer);

  for (gint i = 0; i < 5; i++)
    add_desk_event (f);
  ww.want = 10;
  g_assert_true (ioc_test_wait (have_window_tickets, &ww, 15 * G_TIME_SPAN_SECOND));
  g_assert_true (ioc_test_connector_alive (&f->conn));
  wk.want = 15;
  g_assert_true (ioc_test_wait (have_keys, &wk, 5 * G_TIME_SPAN_SECOND));
  {
    /* seq kept rising through the swap and the refusals: no gap, no reuse. */
    g_autoptr (GPtrArray) recs = ioc_test_decode_all (f->collector);
    ioc_test_check_seq (recs, 0);
    for (guint i = 0; i < recs->len; i++)
      g_assert_cmpstr (((IocTestRecord *) recs->pdata[i])->unit, ==, "xa-16681");
  }
  g_assert_cmpint (ioc_test_connector_stop (&f->conn), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/ioc/connector/desk/poll-outage-kill", Fixture, NULL, fixture_setup, test_desk_poll,
              fixture_teardown);
  g_test_add ("/ioc/connector/desk/push-config", Fixture, NULL, fixture_setup,
              test_desk_push_config, fixture_teardown);
  g_test_add ("/ioc/connector/kiosk/webhook-hostile", Fixture, NULL, fixture_setup,
              test_kiosk_webhook_hostile, fixture_teardown);
  g_test_add ("/ioc/connector/portal/units", Fixture, NULL, fixture_setup, test_portal,
              fixture_teardown);
  g_test_add ("/ioc/connector/camera/debounce", Fixture, NULL, fixture_setup, test_camera,
              fixture_teardown);
  return g_test_run ();
}
