/* ioc-sim.c — plays a province's source systems on loopback so the real
 * connectors run against them (SPEC §8), or publishes SPEC traffic directly
 * over MQTT like thousands of connectors (load).
 *
 *   ioc-sim --seed 1 --speed 60 --port 8081 [--sites 20] [--surge]
 *           [--post-to http://127.0.0.1:8092/kiosk/events]
 *   ioc-sim --mqtt tcp://127.0.0.1:1883 --connectors 3000 --rate 100 --seed 1
 *
 * Source mode serves on 127.0.0.1:PORT
 *   GET /api/queue/events?unit=CODE&after=N     desk events of one site (SPEC names)
 *   GET /api/dossiers/changes?since=N          dossier changes of every site
 *   GET /snapshot/CAM.jpg                       a camera snapshot (or 503 while down)
 * and answers RTSP OPTIONS/DESCRIBE on PORT+1 (rtsp://127.0.0.1:PORT+1/CAM),
 * and POSTs kiosk ratings to --post-to.
 *
 * Time: simulated time starts at --start (local HH:MM today, default 07:30)
 * and runs --speed times faster than the wall, but never ahead of the wall
 * clock (the hub refuses events from the future): a morning replays in
 * minutes, then the day continues in real time.  Deterministic: every event
 * is drawn from one GRand seeded with --seed, one simulated second at a time,
 * so the same seed and the same simulated span give the same events.
 * Daily curve: nothing before 07:00 or after 17:00, a morning peak 08–10,
 * a lunch dip 11:30–13:30; ~70 % of dossiers online; --late-share of them
 * already overdue; --surge adds an afternoon wave of overdue dossiers.
 *
 * Threads: the main loop generates and serves; one thread answers RTSP. */
#include <MQTTAsync.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "protocol/ioc-time.h"

#define SIM_MAX_EVENTS 2000000

typedef struct
{
  gchar *unit;
  GPtrArray *desk; /* JSON text of this site's desk events, index+1 = id */
  guint ticket;
  guint cams;
} Site;

typedef struct
{
  GRand *rand;
  gdouble speed;
  gint64 sim_us;
  gint64 wall_start_us;
  gint64 sim_start_us;
  GPtrArray *sites;   /* Site* */
  GHashTable *by_unit; /* unit → Site* (borrowed) */
  GPtrArray *dossiers; /* JSON text, index+1 = id */
  guint dossier_no;
  gboolean surge;
  gdouble late_share;
  gchar *post_to;
  SoupSession *poster;
  GPtrArray *pending_posts; /* gchar* */
  /* cameras: down until sim time (µs), per "site-index*8+cam" */
  GHashTable *cam_down_until; /* camera id → gint64* */
  gint rtsp_stop;
  /* mqtt mode */
  MQTTAsync mqtt;
  gint64 *seqs;
  guint connectors;
  gdouble rate;
  gint64 published;
  gint acked; /* atomic */
} Sim;

static gdouble
curve (gint minute_of_day)
{
  gdouble h = minute_of_day / 60.0;
  if (h < 7 || h >= 17)
    return 0;
  if (h >= 8 && h < 10)
    return 1.6; /* morning peak */
  if (h >= 11.5 && h < 13.5)
    return 0.3; /* lunch */
  return 1.0;
}

static void
ts_text (gint64 us, gchar buf[IOC_TIME_BUF])
{
  ioc_time_format (us, buf);
}

/* One simulated second of a province. */
static void
step (Sim *s)
{
  gint minute;
  ioc_time_local_date (s->sim_us, NULL, NULL, NULL, NULL, &minute);
  gdouble k = curve (minute);
  gchar ts[IOC_TIME_BUF];
  ts_text (s->sim_us, ts);
  for (guint i = 0; i < s->sites->len; i++)
    {
      Site *site = s->sites->pdata[i];
      /* ~300 tickets a working day at a busy commune centre */
      if (k > 0 && site->desk->len < SIM_MAX_EVENTS && g_rand_double (s->rand) < 0.01 * k)
        {
          guint t = ++site->ticket;
          guint counter = (guint) g_rand_int_range (s->rand, 1, 5);
          gint wait = g_rand_int_range (s->rand, 30, (gint) (600 * k) + 60);
          gint service = g_rand_int_range (s->rand, 120, 900);
          g_ptr_array_add (site->desk, g_strdup_printf (
            "{\"id\":%u,\"type\":\"ticket.called\",\"ts\":\"%s\",\"ticket\":\"A%03u\",\"counter\":\"q%u\",\"wait_s\":%d}",
            site->desk->len + 1, ts, t, counter, wait));
          g_ptr_array_add (site->desk, g_strdup_printf (
            "{\"id\":%u,\"type\":\"service.done\",\"ts\":\"%s\",\"ticket\":\"A%03u\",\"counter\":\"q%u\",\"service_s\":%d}",
            site->desk->len + 1, ts, t, counter, service));
          if (s->post_to && g_rand_double (s->rand) < 0.4)
            g_ptr_array_add (s->pending_posts, g_strdup_printf (
              "{\"type\":\"rating\",\"ts\":\"%s\",\"level\":%d,\"scale\":5,\"channel\":\"%s\",\"counter\":\"q%u\"}",
              ts, g_rand_int_range (s->rand, 2, 6), g_rand_boolean (s->rand) ? "device" : "qr", counter));
        }
      /* dossiers: ~40 a day per site, 70 % online */
      gdouble pd = 0.0013 * k + (s->surge && minute >= 14 * 60 && minute < 15 * 60 ? 0.01 : 0);
      if (pd > 0 && s->dossiers->len < SIM_MAX_EVENTS && g_rand_double (s->rand) < pd)
        {
          guint no = ++s->dossier_no;
          gboolean online = g_rand_double (s->rand) < 0.7;
          gboolean late = g_rand_double (s->rand) < s->late_share
                          || (s->surge && minute >= 14 * 60 && minute < 15 * 60);
          gint64 received = s->sim_us - (late ? 20 : 1) * G_TIME_SPAN_DAY;
          gint64 due = late ? s->sim_us - G_TIME_SPAN_HOUR : s->sim_us + 5 * G_TIME_SPAN_DAY;
          gchar rts[IOC_TIME_BUF], dts[IOC_TIME_BUF];
          ts_text (received, rts);
          ts_text (due, dts);
          g_ptr_array_add (s->dossiers, g_strdup_printf (
            "{\"id\":%u,\"unit\":\"%s\",\"ts\":\"%s\",\"dossier\":\"H40.%06u\",\"procedure\":\"1.00%d\","
            "\"state\":%d,\"channel\":%d,\"received_at\":\"%s\",\"due_at\":\"%s\",\"paid_online\":%s}",
            s->dossiers->len + 1, site->unit, ts, no, g_rand_int_range (s->rand, 1, 9),
            late ? 4 : 2, online ? 2 : 1, rts, dts, online ? "true" : "false"));
        }
      /* camera outages: rare, a few simulated minutes */
      for (guint c = 0; c < site->cams; c++)
        if (g_rand_double (s->rand) < 0.00005)
          {
            g_autofree gchar *id = g_strdup_printf ("%s-cam-%02u", site->unit, c + 1);
            gint64 *until = g_new (gint64, 1);
            *until = s->sim_us + g_rand_int_range (s->rand, 60, 900) * G_TIME_SPAN_SECOND;
            g_hash_table_replace (s->cam_down_until, g_steal_pointer (&id), until);
          }
    }
}

static gboolean
tick_cb (gpointer data)
{
  Sim *s = data;
  gint64 wall = g_get_real_time ();
  gint64 target = s->sim_start_us + (gint64) ((gdouble) (wall - s->wall_start_us) * s->speed);
  target = MIN (target, wall); /* never ahead of the wall clock */
  for (guint i = 0; i < 86400 && s->sim_us + G_TIME_SPAN_SECOND <= target; i++)
    {
      s->sim_us += G_TIME_SPAN_SECOND;
      step (s);
    }
  /* webhook posts: fire and forget, a few per tick */
  for (guint i = 0; i < 50 && s->pending_posts->len > 0; i++)
    {
      gchar *body = g_ptr_array_steal_index (s->pending_posts, 0);
      SoupMessage *msg = soup_message_new ("POST", s->post_to);
      g_autoptr (GBytes) b = g_bytes_new_take (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", b);
      soup_session_send_async (s->poster, msg, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_object_unref (msg);
    }
  return G_SOURCE_CONTINUE;
}

static void
serve_list (SoupServerMessage *msg, GPtrArray *list, guint64 after)
{
  g_autoptr (GString) body = g_string_new ("{\"items\":[");
  guint64 last = MIN (after, list->len);
  for (guint64 i = after; i < list->len && i < after + 500; i++)
    {
      if (i > after)
        g_string_append_c (body, ',');
      g_string_append (body, list->pdata[i]);
      last = i + 1;
    }
  g_string_append_printf (body, "],\"cursor\":\"%" G_GUINT64_FORMAT "\"}", last);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body->str, body->len);
}

static gboolean
cam_is_down (Sim *s, const gchar *cam)
{
  gint64 *until = g_hash_table_lookup (s->cam_down_until, cam);
  return until && *until > s->sim_us;
}

static void
http_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
         gpointer data)
{
  Sim *s = data;
  const gchar *after = query ? g_hash_table_lookup (query, "after") : NULL;
  const gchar *since = query ? g_hash_table_lookup (query, "since") : NULL;
  if (g_str_equal (path, "/api/queue/events"))
    {
      const gchar *unit = query ? g_hash_table_lookup (query, "unit") : NULL;
      Site *site = unit ? g_hash_table_lookup (s->by_unit, unit) : NULL;
      if (!site)
        {
          soup_server_message_set_status (msg, 404, NULL);
          return;
        }
      serve_list (msg, site->desk, after ? g_ascii_strtoull (after, NULL, 10) : 0);
    }
  else if (g_str_equal (path, "/api/dossiers/changes"))
    serve_list (msg, s->dossiers, since ? g_ascii_strtoull (since, NULL, 10) : 0);
  else if (g_str_has_prefix (path, "/snapshot/"))
    {
      g_autofree gchar *cam = g_strndup (path + 10, strcspn (path + 10, "."));
      if (cam_is_down (s, cam))
        soup_server_message_set_status (msg, 503, NULL);
      else
        {
          soup_server_message_set_status (msg, 200, NULL);
          soup_server_message_set_response (msg, "image/jpeg", SOUP_MEMORY_STATIC, "\xff\xd8\xff\xd9", 4);
        }
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

typedef struct
{
  Sim *sim;
  GSocketListener *listener;
} RtspArgs;

/* RTSP thread: answers OPTIONS/DESCRIBE; a camera in an outage gets 503.
 * Reads the outage table without a lock only via cam_is_down's single
 * lookup; the table is only replaced into, never freed while running. */
static gpointer
rtsp_thread (gpointer data)
{
  RtspArgs *a = data;
  for (guint64 n = 0; n < G_MAXUINT64 && !g_atomic_int_get (&a->sim->rtsp_stop); n++)
    {
      g_autoptr (GSocketConnection) c = g_socket_listener_accept (a->listener, NULL, NULL, NULL);
      if (!c)
        break;
      g_socket_set_timeout (g_socket_connection_get_socket (c), 5);
      GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (c));
      GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (c));
      for (gint req = 0; req < 4; req++)
        {
          g_autoptr (GString) head = g_string_new (NULL);
          gchar ch;
          while (head->len < 8192 && g_input_stream_read (in, &ch, 1, NULL, NULL) == 1)
            {
              g_string_append_c (head, ch);
              if (g_str_has_suffix (head->str, "\r\n\r\n"))
                break;
            }
          if (!g_str_has_suffix (head->str, "\r\n\r\n"))
            break;
          const gchar *p = strstr (head->str, "rtsp://");
          const gchar *slash = p ? strchr (p + 7, '/') : NULL;
          g_autofree gchar *cam = slash ? g_strndup (slash + 1, strcspn (slash + 1, " ")) : g_strdup ("");
          g_autofree gchar *answer = NULL;
          if (cam_is_down (a->sim, cam))
            answer = g_strdup ("RTSP/1.0 503 Service Unavailable\r\nCSeq: 1\r\n\r\n");
          else if (g_str_has_prefix (head->str, "OPTIONS"))
            answer = g_strdup ("RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n");
          else
            {
              const gchar *sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=ioc-sim\r\nm=video 0 RTP/AVP 96\r\n";
              answer = g_strdup_printf ("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\n"
                                        "Content-Length: %zu\r\n\r\n%s", strlen (sdp), sdp);
            }
          g_output_stream_write_all (out, answer, strlen (answer), NULL, NULL, NULL);
        }
    }
  return NULL;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static GPtrArray *
load_units (const gchar *path, guint max, GError **error)
{
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  GPtrArray *units = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] && units->len < max; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", 7);
      /* current commune and ward centres (no valid_to) */
      if (g_strv_length (f) >= 6 && g_str_has_prefix (f[0], "xa-") && *f[5] == '\0')
        g_ptr_array_add (units, g_strdup (f[0]));
    }
  return units;
}

/* ---- MQTT mode ---- */

static void
on_ack (void *ctx, MQTTAsync_successData *r)
{
  Sim *s = ctx;
  g_atomic_int_inc (&s->acked);
}

static gboolean
mqtt_tick_cb (gpointer data)
{
  Sim *s = data;
  static gint64 start;
  if (!start)
    start = g_get_monotonic_time ();
  gint64 due = (gint64) ((gdouble) (g_get_monotonic_time () - start) / G_TIME_SPAN_SECOND * s->rate);
  GPtrArray *units = g_object_get_data (G_OBJECT (s->poster), "units");
  for (gint i = 0; i < 10000 && s->published < due; i++)
    {
      guint dev = (guint) g_rand_int_range (s->rand, 0, (gint) s->connectors);
      const gchar *unit = units->pdata[dev % units->len];
      gchar ts[IOC_TIME_BUF];
      ts_text (g_get_real_time (), ts);
      g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/desk/sim-%05u/event", unit, dev);
      g_autofree gchar *payload = g_strdup_printf (
        "{\"v\":1,\"seq\":%" G_GINT64_FORMAT ",\"ts\":\"%s\",\"type\":\"ticket.called\",\"ticket\":\"A%u\","
        "\"counter\":\"q1\",\"wait_s\":%d}", ++s->seqs[dev], ts, g_rand_int (s->rand) % 1000,
        g_rand_int_range (s->rand, 10, 900));
      MQTTAsync_message m = MQTTAsync_message_initializer;
      m.payload = payload;
      m.payloadlen = (int) strlen (payload);
      m.qos = 1;
      MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
      ro.onSuccess = on_ack;
      ro.context = s;
      if (MQTTAsync_sendMessage (s->mqtt, topic, &m, &ro) != MQTTASYNC_SUCCESS)
        {
          s->seqs[dev]--; /* not sent: the number is not used */
          break;
        }
      s->published++;
    }
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gint seed = 1, port = 8081, sites = 20;
  gdouble speed = 60, late_share = 0.05, rate = 100;
  gboolean surge = FALSE;
  gint connectors = 3000;
  g_autofree gchar *units_path = g_strdup (IOC_DEFAULT_UNITS);
  g_autofree gchar *start = g_strdup ("07:30");
  g_autofree gchar *post_to = NULL, *mqtt = NULL;
  GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (default 1)", "N" },
    { "speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed, "Simulated seconds per wall second (default 60)", "X" },
    { "start", 0, 0, G_OPTION_ARG_STRING, &start, "Simulated start, local HH:MM today (default 07:30)", "HH:MM" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "HTTP port on 127.0.0.1; RTSP on PORT+1 (default 8081)", "P" },
    { "sites", 0, 0, G_OPTION_ARG_INT, &sites, "Commune sites to play (default 20)", "N" },
    { "units", 0, 0, G_OPTION_ARG_FILENAME, &units_path, "Unit registry CSV", "PATH" },
    { "late-share", 0, 0, G_OPTION_ARG_DOUBLE, &late_share, "Share of dossiers already overdue (0.05)", "F" },
    { "surge", 0, 0, G_OPTION_ARG_NONE, &surge, "An overdue surge 14:00–15:00 (exercises alerts)", NULL },
    { "post-to", 0, 0, G_OPTION_ARG_STRING, &post_to, "Kiosk webhook URL to POST ratings to", "URL" },
    { "mqtt", 0, 0, G_OPTION_ARG_STRING, &mqtt, "MQTT mode: publish SPEC events to this broker", "URL" },
    { "connectors", 0, 0, G_OPTION_ARG_INT, &connectors, "MQTT mode: devices to play (3000)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "MQTT mode: messages per second (100)", "R" },
    { NULL },
  };
  g_autoptr (GOptionContext) octx = g_option_context_new ("— play a province for iochub");
  g_option_context_add_main_entries (octx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("ioc-sim: %s\n", error->message);
      return 2;
    }
  if (sites < 1 || sites > 5000 || speed <= 0 || connectors < 1 || connectors > 1000000 || rate <= 0
      || port < 1 || port > 65534)
    {
      g_printerr ("ioc-sim: --sites 1…5000, --speed > 0, --connectors 1…1000000, --rate > 0, --port 1…65534\n");
      return 2;
    }
  g_autoptr (GPtrArray) units = load_units (units_path, mqtt ? 100000 : (guint) sites, &error);
  if (!units || units->len == 0)
    {
      g_printerr ("ioc-sim: %s: %s\n", units_path, error ? error->message : "no current xa- units");
      return 1;
    }
  Sim s = { 0 };
  s.rand = g_rand_new_with_seed ((guint32) seed);
  s.speed = speed;
  s.surge = surge;
  s.late_share = late_share;
  s.post_to = post_to;
  s.sites = g_ptr_array_new ();
  s.by_unit = g_hash_table_new (g_str_hash, g_str_equal);
  s.dossiers = g_ptr_array_new_with_free_func (g_free);
  s.pending_posts = g_ptr_array_new_with_free_func (g_free);
  s.cam_down_until = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s.poster = soup_session_new_with_options ("timeout", 5, NULL);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);

  if (mqtt)
    {
      s.connectors = (guint) connectors;
      s.rate = rate;
      s.seqs = g_new0 (gint64, connectors);
      g_object_set_data (G_OBJECT (s.poster), "units", units);
      MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
      co.maxBufferedMessages = 100000;
      co.sendWhileDisconnected = 1;
      g_autofree gchar *id = g_strdup_printf ("ioc-sim-%d", seed);
      MQTTAsync_createWithOptions (&s.mqtt, mqtt, id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
      MQTTAsync_connectOptions c = MQTTAsync_connectOptions_initializer;
      c.cleansession = 1;
      c.maxInflight = 1000;
      c.automaticReconnect = 1;
      MQTTAsync_connect (s.mqtt, &c);
      g_timeout_add (10, mqtt_tick_cb, &s);
      g_message ("ioc-sim: MQTT mode, %d devices over %u units, %.0f msg/s to %s", connectors,
                 units->len, rate, mqtt);
      g_main_loop_run (loop);
      g_message ("ioc-sim: published %" G_GINT64_FORMAT ", acknowledged %d", s.published,
                 g_atomic_int_get (&s.acked));
      MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
      MQTTAsync_disconnect (s.mqtt, &d);
      MQTTAsync_destroy (&s.mqtt);
      g_free (s.seqs);
      return 0;
    }

  for (guint i = 0; i < units->len; i++)
    {
      Site *site = g_new0 (Site, 1);
      site->unit = units->pdata[i];
      site->desk = g_ptr_array_new_with_free_func (g_free);
      site->cams = 4;
      g_ptr_array_add (s.sites, site);
      g_hash_table_insert (s.by_unit, site->unit, site);
    }
  gint hh = 7, mm = 30;
  sscanf (start, "%d:%d", &hh, &mm);
  gint y, mo, d;
  ioc_time_local_date (g_get_real_time (), &y, &mo, &d, NULL, NULL);
  s.sim_start_us = ioc_time_from_local (y, mo, d, hh, mm);
  if (s.sim_start_us > g_get_real_time ())
    s.sim_start_us = ioc_time_from_local (y, mo, d - 1, hh, mm); /* before dawn: replay yesterday */
  s.sim_us = s.sim_start_us;
  s.wall_start_us = g_get_real_time ();

  g_autoptr (SoupServer) server = soup_server_new ("server-header", "ioc-sim", NULL);
  soup_server_add_handler (server, NULL, http_cb, &s, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, (guint16) port);
  if (!soup_server_listen (server, addr, 0, &error))
    {
      g_printerr ("ioc-sim: listen 127.0.0.1:%d: %s\n", port, error->message);
      return 1;
    }
  RtspArgs ra = { &s, g_socket_listener_new () };
  g_autoptr (GSocketAddress) raddr = g_inet_socket_address_new (lo, (guint16) (port + 1));
  if (!g_socket_listener_add_address (ra.listener, raddr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, NULL, &error))
    {
      g_printerr ("ioc-sim: RTSP listen 127.0.0.1:%d: %s\n", port + 1, error->message);
      return 1;
    }
  /* the RTSP thread blocks in accept for the life of the process */
  g_thread_unref (g_thread_new ("rtsp", rtsp_thread, &ra));
  g_timeout_add (100, tick_cb, &s);
  g_message ("ioc-sim: %u sites, seed %d, speed %.0fx from %02d:%02d; HTTP 127.0.0.1:%d, RTSP :%d",
             units->len, seed, speed, hh, mm, port, port + 1);
  g_main_loop_run (loop);
  g_atomic_int_set (&s.rtsp_stop, 1);
  g_message ("ioc-sim: stopped after %u dossier changes", s.dossiers->len);
  return 0;
}
