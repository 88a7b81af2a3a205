/* sim-source.c — ioc-sim's source mode (sim-source.h): the province of
 * sim-province.h on its simulated clock, and what the connectors read of
 * it: the vendor HTTP APIs, NVR status and snapshots, RTSP, and the kiosk
 * webhooks it POSTs to.
 *
 * Threads: the main loop ticks the model and serves HTTP; one thread
 * answers RTSP and reads camera state under cams_lock. */
#include "sim-source.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "protocol/ioc-time.h"
#include "sim-province.h"

static void
post_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) in = soup_session_send_finish (SOUP_SESSION (source), res, &error);
  (void) in;
  /* fire and forget: a connector that is down loses the event, as a
   * vendor's webhook without retries would */
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
      sim_step (s);
    }
  /* webhook posts: a bounded number per tick, in order */
  guint n = MIN (s->pending_posts->len, 100u);
  for (guint i = 0; i < n; i++)
    {
      PendingPost *p = s->pending_posts->pdata[i];
      SoupMessage *msg = soup_message_new ("POST", p->url);
      if (msg)
        {
          g_autoptr (GBytes) b = g_bytes_new (p->body, strlen (p->body));
          soup_message_set_request_body_from_bytes (msg, "application/json", b);
          soup_session_send_async (s->poster, msg, G_PRIORITY_DEFAULT, NULL, post_done, NULL);
          g_object_unref (msg);
        }
    }
  g_ptr_array_remove_range (s->pending_posts, 0, n);
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

/* "UNIT-cam-NN" → the camera's state (NULL if no such camera). */
static CamState *
find_cam (Sim *s, const gchar *cam)
{
  const gchar *dash = g_strrstr (cam, "-cam-");
  if (!dash)
    return NULL;
  g_autofree gchar *unit = g_strndup (cam, (gsize) (dash - cam));
  Site *site = g_hash_table_lookup (s->by_unit, unit);
  guint64 n = 0;
  if (!site || !g_ascii_string_to_unsigned (dash + 5, 10, 1, SIM_CAMS, &n, NULL))
    return NULL;
  return &site->cams[n - 1];
}

/* Any thread. */
static gboolean
cam_is_down (Sim *s, const gchar *cam)
{
  CamState *c = find_cam (s, cam);
  if (!c)
    return FALSE;
  g_mutex_lock (&s->cams_lock);
  gboolean down = c->down_until > s->sim_us;
  g_mutex_unlock (&s->cams_lock);
  return down;
}

/* The NVR's view of its channels, shaped like a common NVR "working status"
 * JSON (one object per channel): online, record, signal (1 = video loss),
 * tamper, bitRate (kbit/s), fps. */
static void
serve_nvr (Sim *s, SoupServerMessage *msg, Site *site)
{
  g_autoptr (GString) body = g_string_new ("{\"ChanStatus\":[");
  g_mutex_lock (&s->cams_lock);
  for (guint c = 0; c < SIM_CAMS; c++)
    {
      CamState *cam = &site->cams[c];
      gboolean online = cam->down_until <= s->sim_us;
      gboolean vloss = online && cam->video_loss_until > s->sim_us;
      gboolean tamper = online && cam->tamper_until > s->sim_us;
      gboolean rec = online && !vloss && cam->norec_until <= s->sim_us;
      g_string_append_printf (body, "%s{\"chanNo\":%u,\"name\":\"%s-cam-%02u\",\"online\":%d,"
                              "\"record\":%d,\"signal\":%d,\"tamper\":%d,\"bitRate\":%d,\"fps\":%d}",
                              c ? "," : "", c + 1, site->unit, c + 1, online, rec, vloss, tamper,
                              online && !vloss ? 2048 : 0, online && !vloss ? 25 : 0);
    }
  g_mutex_unlock (&s->cams_lock);
  g_string_append (body, "]}");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body->str, body->len);
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
  else if (g_str_has_prefix (path, "/nvr/") && g_str_has_suffix (path, "/status"))
    {
      g_autofree gchar *unit = g_strndup (path + 5, strlen (path) - 5 - 7);
      Site *site = g_hash_table_lookup (s->by_unit, unit);
      if (site)
        serve_nvr (s, msg, site);
      else
        soup_server_message_set_status (msg, 404, NULL);
    }
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

/* RTSP thread: answers OPTIONS/DESCRIBE; a camera in an outage gets 503. */
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

/* --post-to: UNIT=http://… for one site, http://… for every site not
 * named.  0, or 2 (the exit status) after the message. */
static int
apply_post_to (Sim *s, GPtrArray *units, const gchar *const *post_to)
{
  for (guint i = 0; post_to && post_to[i]; i++)
    {
      const gchar *eq = strchr (post_to[i], '=');
      if (!g_str_has_prefix (post_to[i], "http://") && eq)
        {
          g_autofree gchar *unit = g_strndup (post_to[i], (gsize) (eq - post_to[i]));
          Site *site = g_hash_table_lookup (s->by_unit, unit);
          if (!site)
            {
              g_printerr ("ioc-sim: --post-to %s: %s is not one of the %u sites (see --list-sites)\n",
                          post_to[i], unit, units->len);
              return 2;
            }
          g_free (site->post_to);
          site->post_to = g_strdup (eq + 1);
        }
      else if (g_str_has_prefix (post_to[i], "http://"))
        for (guint j = 0; j < s->sites->len; j++)
          {
            Site *site = s->sites->pdata[j];
            if (!site->post_to)
              site->post_to = g_strdup (post_to[i]);
          }
      else
        {
          g_printerr ("ioc-sim: --post-to %s: expected http://… or UNIT=http://…\n", post_to[i]);
          return 2;
        }
    }
  return 0;
}

/* --start HH:MM on --date (default today, or yesterday while it is still
 * before that time) into s->sim_start_us.  0, or 2 (the exit status)
 * after the message. */
static int
set_start_time (Sim *s, const gchar *start, const gchar *date, gint *out_hh, gint *out_mm)
{
  gint hh = 7, mm = 30;
  if (sscanf (start, "%d:%d", &hh, &mm) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59)
    {
      g_printerr ("ioc-sim: --start %s: expected HH:MM\n", start);
      return 2;
    }
  gint y, mo, d;
  ioc_time_local_date (g_get_real_time (), &y, &mo, &d, NULL, NULL);
  if (date && (sscanf (date, "%d-%d-%d", &y, &mo, &d) != 3 || mo < 1 || mo > 12 || d < 1 || d > 31))
    {
      g_printerr ("ioc-sim: --date %s: expected YYYY-MM-DD\n", date);
      return 2;
    }
  s->sim_start_us = ioc_time_from_local (y, mo, d, hh, mm);
  if (s->sim_start_us > g_get_real_time ())
    {
      if (date)
        {
          g_printerr ("ioc-sim: --date %s --start %s is in the future\n", date, start);
          return 2;
        }
      s->sim_start_us -= G_TIME_SPAN_DAY; /* before dawn: replay yesterday */
    }
  *out_hh = hh;
  *out_mm = mm;
  return 0;
}

int
ioc_sim_run_source (GPtrArray *units, const IocSimSourceOptions *o)
{
  g_autoptr (GError) error = NULL;
  const gchar *const *post_to = o->post_to;
  const gchar *start = o->start, *date = o->date;
  gint port = o->port;
  Sim s = { 0 };
  sim_init (&s, units, o->seed, o->surge, o->late_share);
  s.speed = o->speed;
  s.poster = soup_session_new_with_options ("timeout", 5, "max-conns", 64, NULL);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  int status = apply_post_to (&s, units, post_to);
  gint hh, mm;
  if (status == 0)
    status = set_start_time (&s, start, date, &hh, &mm);
  if (status != 0)
    {
      sim_clear (&s);
      return status;
    }
  s.sim_us = s.sim_start_us;
  s.wall_start_us = g_get_real_time ();

  g_autoptr (SoupServer) server = soup_server_new ("server-header", "ioc-sim", NULL);
  soup_server_add_handler (server, NULL, http_cb, &s, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, (guint16) port);
  if (!soup_server_listen (server, addr, 0, &error))
    {
      g_printerr ("ioc-sim: listen 127.0.0.1:%d: %s\n", port, error->message);
      sim_clear (&s);
      return 1;
    }
  RtspArgs ra = { &s, g_socket_listener_new () };
  g_autoptr (GSocketAddress) raddr = g_inet_socket_address_new (lo, (guint16) (port + 1));
  if (!g_socket_listener_add_address (ra.listener, raddr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, NULL, &error))
    {
      g_printerr ("ioc-sim: RTSP listen 127.0.0.1:%d: %s\n", port + 1, error->message);
      g_object_unref (ra.listener);
      sim_clear (&s);
      return 1;
    }
  /* the RTSP thread blocks in accept for the life of the process */
  g_thread_unref (g_thread_new ("rtsp", rtsp_thread, &ra));
  g_timeout_add (100, tick_cb, &s);
  g_message ("ioc-sim: %u sites, seed %d, speed %.0fx from %02d:%02d; HTTP 127.0.0.1:%d, RTSP :%d",
             units->len, o->seed, o->speed, hh, mm, port, port + 1);
  g_main_loop_run (loop);
  g_atomic_int_set (&s.rtsp_stop, 1);
  g_message ("ioc-sim: stopped after %u dossier changes", s.dossiers->len);
  /* The RTSP thread may still be in accept(): the process ends here
   * without tearing down what it reads. */
  return 0;
}
