/* ioc-sim.c — plays a province's source systems on loopback so the real
 * connectors run against them (SPEC §8), or publishes SPEC traffic directly
 * over MQTT like thousands of connectors (load).
 *
 *   ioc-sim --seed 1 --speed 60 --port 8081 [--sites 20] [--surge]
 *           [--post-to URL | --post-to UNIT=URL …] [--list-sites]
 *   ioc-sim --mqtt tcp://127.0.0.1:1883 --connectors 3000 --rate 100 --seed 1 [--count N] [--connections N]
 *
 * Source mode serves on 127.0.0.1:PORT
 *   GET /api/queue/events?unit=CODE&after=N     desk events of one site (SPEC names)
 *   GET /api/dossiers/changes?since=N          dossier changes of every site
 *   GET /snapshot/CAM.jpg                       a camera snapshot (or 503 while down)
 *   GET /nvr/CODE/status                        the site NVR's channel status (JSON)
 * and answers RTSP OPTIONS/DESCRIBE on PORT+1 (rtsp://127.0.0.1:PORT+1/CAM),
 * and POSTs kiosk tickets and ratings to --post-to (per site or for all).
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
 * A ticket is issued at the kiosk, called at a counter after its wait and
 * done after its service; a dossier is received, processed and returned
 * over simulated hours: later steps are scheduled and published when the
 * simulated clock reaches them, so no event is dated ahead of its time.
 *
 * MQTT mode plays --connectors devices spread over the registry's current
 * units (per site: 1–4 desks, a kiosk, an NVR; plus a few province-wide
 * portal back-ends) and publishes their realistic mix at --rate msg/s
 * (0: as fast as the broker acknowledges): retained statuses, ticket
 * lifecycles (issued → called → done → rating), dossier lifecycles on the
 * handling unit's topic, camera outages.  The sequence of messages is a
 * function of --seed alone; timestamps are the wall clock, and each run
 * draws a new epoch (SPEC §4), its devices counting seq from 1.
 *
 * Threads: the main loop generates and serves; one thread answers RTSP and
 * reads camera state under cams_lock. */
#include <MQTTAsync.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "protocol/ioc-schema.h"
#include "protocol/ioc-time.h"

#define SIM_MAX_EVENTS 2000000
#define SIM_CAMS 4

typedef struct
{
  /* sim time (µs) until which each trouble lasts; under cams_lock */
  gint64 down_until;
  gint64 video_loss_until;
  gint64 tamper_until;
  gint64 norec_until;
} CamState;

typedef struct
{
  gchar *unit;
  GPtrArray *desk; /* JSON text of this site's desk events, index+1 = id */
  guint ticket;
  gboolean open; /* counters opened today */
  gchar *post_to; /* kiosk webhook of this site, or NULL */
  CamState cams[SIM_CAMS];
} Site;

typedef enum
{
  TO_DESK,
  TO_KIOSK,
  TO_PORTAL,
} Target;

/* A source event due later in simulated time (ticket called, dossier
 * processed): published when the clock reaches it. */
typedef struct
{
  gint64 due_us;
  guint64 order; /* ties keep creation order: deterministic */
  Site *site;
  Target target;
  gchar *tail; /* the JSON object's members after id/ts */
} Scheduled;

typedef struct
{
  GRand *rand;
  gdouble speed;
  gint64 sim_us;
  gint64 wall_start_us;
  gint64 sim_start_us;
  GPtrArray *sites;    /* Site* */
  GHashTable *by_unit; /* unit → Site* (borrowed) */
  GPtrArray *dossiers; /* JSON text of dossier changes, index+1 = id */
  guint dossier_no;
  gboolean surge;
  gdouble late_share;
  SoupSession *poster;
  GPtrArray *pending_posts; /* PendingPost* */
  GSequence *schedule;      /* Scheduled*, by (due, order) */
  guint64 order;
  GMutex cams_lock;
  gint rtsp_stop;
} Sim;

typedef struct
{
  gchar *url;
  gchar *body;
} PendingPost;

static void
pending_post_free (PendingPost *p)
{
  g_free (p->url);
  g_free (p->body);
  g_free (p);
}

static void
scheduled_free (Scheduled *e)
{
  g_free (e->tail);
  g_free (e);
}

static gint
scheduled_cmp (gconstpointer a, gconstpointer b, gpointer data)
{
  const Scheduled *x = a, *y = b;
  if (x->due_us != y->due_us)
    return x->due_us < y->due_us ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

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
schedule (Sim *s, Site *site, Target target, gint64 due_us, gchar *tail)
{
  Scheduled *e = g_new0 (Scheduled, 1);
  e->due_us = due_us;
  e->order = ++s->order;
  e->site = site;
  e->target = target;
  e->tail = tail;
  g_sequence_insert_sorted (s->schedule, e, scheduled_cmp, NULL);
}

/* Publishes one due event into the list the connectors read. */
static void
materialize (Sim *s, Scheduled *e)
{
  gchar ts[IOC_TIME_BUF];
  ioc_time_format (e->due_us, ts);
  switch (e->target)
    {
    case TO_DESK:
      if (e->site->desk->len < SIM_MAX_EVENTS)
        g_ptr_array_add (e->site->desk, g_strdup_printf ("{\"id\":%u,\"ts\":\"%s\",%s}",
                                                         e->site->desk->len + 1, ts, e->tail));
      break;
    case TO_KIOSK:
      if (e->site->post_to && s->pending_posts->len < 100000)
        {
          PendingPost *p = g_new0 (PendingPost, 1);
          p->url = g_strdup (e->site->post_to);
          p->body = g_strdup_printf ("{\"ts\":\"%s\",%s}", ts, e->tail);
          g_ptr_array_add (s->pending_posts, p);
        }
      break;
    case TO_PORTAL:
      if (s->dossiers->len < SIM_MAX_EVENTS)
        g_ptr_array_add (s->dossiers, g_strdup_printf ("{\"id\":%u,\"ts\":\"%s\",%s}",
                                                       s->dossiers->len + 1, ts, e->tail));
      break;
    }
}

static const gchar *const services[] = { "hộ tịch", "chứng thực", "đất đai", "xây dựng", "tư pháp" };

/* A ticket's life: issued at the kiosk now, called after its wait, done
 * after its service, rated (sometimes) right after. */
static void
new_ticket (Sim *s, Site *site, gdouble k)
{
  guint t = ++site->ticket;
  guint counter = (guint) g_rand_int_range (s->rand, 1, SIM_CAMS + 1);
  gint wait = g_rand_int_range (s->rand, 30, (gint) (600 * k) + 60);
  gint service = g_rand_int_range (s->rand, 120, 900);
  gboolean no_show = g_rand_double (s->rand) < 0.04;
  const gchar *svc = services[g_rand_int_range (s->rand, 0, G_N_ELEMENTS (services))];
  const gchar *prio = g_rand_double (s->rand) < 0.1 ? "elderly" : "normal";
  schedule (s, site, TO_KIOSK, s->sim_us,
            g_strdup_printf ("\"type\":\"ticket.issued\",\"ticket\":\"A%03u\",\"service\":\"%s\","
                             "\"priority\":\"%s\"", t, svc, prio));
  gint64 called = s->sim_us + wait * G_TIME_SPAN_SECOND;
  if (no_show)
    {
      schedule (s, site, TO_KIOSK, called + 300 * G_TIME_SPAN_SECOND,
                g_strdup_printf ("\"type\":\"ticket.no_show\",\"ticket\":\"A%03u\"", t));
      return;
    }
  schedule (s, site, TO_DESK, called,
            g_strdup_printf ("\"type\":\"ticket.called\",\"ticket\":\"A%03u\",\"counter\":\"q%u\","
                             "\"wait_s\":%d", t, counter, wait));
  gint64 done = called + service * G_TIME_SPAN_SECOND;
  schedule (s, site, TO_DESK, done,
            g_strdup_printf ("\"type\":\"service.done\",\"ticket\":\"A%03u\",\"counter\":\"q%u\","
                             "\"service_s\":%d", t, counter, service));
  if (g_rand_double (s->rand) < 0.4)
    {
      gint level = g_rand_double (s->rand) < 0.85 ? g_rand_int_range (s->rand, 4, 6)
                                                  : g_rand_int_range (s->rand, 1, 4);
      schedule (s, site, TO_KIOSK, done + 30 * G_TIME_SPAN_SECOND,
                g_strdup_printf ("\"type\":\"rating\",\"level\":%d,\"scale\":5,\"channel\":\"%s\","
                                 "\"counter\":\"q%u\"", level,
                                 g_rand_boolean (s->rand) ? "device" : "qr", counter));
    }
}

static gchar *
dossier_tail (const gchar *unit, guint no, gint procedure, gint state, gboolean online,
              gint64 received, gint64 due, gboolean done)
{
  gchar rts[IOC_TIME_BUF], dts[IOC_TIME_BUF];
  ioc_time_format (received, rts);
  ioc_time_format (due, dts);
  return g_strdup_printf ("\"unit\":\"%s\",\"dossier\":\"H40.%06u\",\"procedure\":\"1.00%d\","
                          "\"state\":%d,\"channel\":%d,\"received_at\":\"%s\",\"due_at\":\"%s\","
                          "\"fee\":%s,\"paid_online\":%s%s", unit, no, procedure, state,
                          online ? 2 : 1, rts, dts, procedure % 2 ? "true" : "false",
                          online && procedure % 2 ? "true" : "false",
                          done ? ",\"digitized\":true,\"e_result\":true" : "");
}

/* A dossier's life: received (or, for the late share, found already
 * overdue in processing), processed over simulated hours, returned. */
static void
new_dossier (Sim *s, Site *site, gboolean surge_now)
{
  guint no = ++s->dossier_no;
  gboolean online = g_rand_double (s->rand) < 0.7;
  gboolean late = g_rand_double (s->rand) < s->late_share || surge_now;
  gboolean same_day = g_rand_double (s->rand) < 0.3;
  gint procedure = g_rand_int_range (s->rand, 1, 9);
  gint64 received = s->sim_us - (late ? 20 * G_TIME_SPAN_DAY : 0);
  gint64 due = late ? s->sim_us - G_TIME_SPAN_HOUR
                    : s->sim_us + (same_day ? 8 * G_TIME_SPAN_HOUR : 5 * G_TIME_SPAN_DAY);
  schedule (s, site, TO_PORTAL, s->sim_us,
            dossier_tail (site->unit, no, procedure, late ? 4 : 2, online, received, due, FALSE));
  if (late || !same_day)
    {
      /* multi-day (or already late): processing starts today */
      if (!late)
        schedule (s, site, TO_PORTAL,
                  s->sim_us + g_rand_int_range (s->rand, 600, 7200) * G_TIME_SPAN_SECOND,
                  dossier_tail (site->unit, no, procedure, 4, online, received, due, FALSE));
      return;
    }
  gint64 t = s->sim_us + g_rand_int_range (s->rand, 300, 3600) * G_TIME_SPAN_SECOND;
  schedule (s, site, TO_PORTAL, t,
            dossier_tail (site->unit, no, procedure, 4, online, received, due, FALSE));
  t += g_rand_int_range (s->rand, 1800, 6 * 3600) * G_TIME_SPAN_SECOND;
  schedule (s, site, TO_PORTAL, t,
            dossier_tail (site->unit, no, procedure, 9, online, received, due, TRUE));
  t += g_rand_int_range (s->rand, 300, 3600) * G_TIME_SPAN_SECOND;
  schedule (s, site, TO_PORTAL, t,
            dossier_tail (site->unit, no, procedure, 10, online, received, due, TRUE));
}

static void
counters_open_close (Sim *s, Site *site, gboolean open)
{
  for (guint c = 1; c <= SIM_CAMS; c++)
    schedule (s, site, TO_DESK, s->sim_us,
              g_strdup_printf ("\"type\":\"%s\",\"counter\":\"q%u\"",
                               open ? "counter.open" : "counter.close", c));
  site->open = open;
}

/* Rare camera troubles, each for a few simulated minutes: offline (RTSP
 * and snapshot fail), video loss, tamper, recording stopped (NVR side). */
static void
camera_troubles (Sim *s, Site *site)
{
  for (guint c = 0; c < SIM_CAMS; c++)
    {
      CamState *cam = &site->cams[c];
      gdouble r = g_rand_double (s->rand);
      if (r >= 0.00012)
        continue;
      gint64 *until = r < 0.00005 ? &cam->down_until
                      : r < 0.00008 ? &cam->video_loss_until
                      : r < 0.0001 ? &cam->tamper_until : &cam->norec_until;
      gint64 v = s->sim_us + g_rand_int_range (s->rand, 60, 900) * G_TIME_SPAN_SECOND;
      g_mutex_lock (&s->cams_lock);
      *until = MAX (*until, v);
      g_mutex_unlock (&s->cams_lock);
    }
}

/* One simulated second of a province. */
static void
step (Sim *s)
{
  gint minute;
  ioc_time_local_date (s->sim_us, NULL, NULL, NULL, NULL, &minute);
  gdouble k = curve (minute);
  gboolean surge_now = s->surge && minute >= 14 * 60 && minute < 15 * 60;
  for (guint i = 0; i < s->sites->len; i++)
    {
      Site *site = s->sites->pdata[i];
      if ((k > 0) != site->open)
        counters_open_close (s, site, k > 0);
      /* ~300 tickets a working day at a busy commune centre */
      if (k > 0 && g_rand_double (s->rand) < 0.01 * k)
        new_ticket (s, site, k);
      /* dossiers: ~40 a day per site, 70 % online */
      gdouble pd = 0.0013 * k + (surge_now ? 0.01 : 0);
      if (pd > 0 && g_rand_double (s->rand) < pd)
        new_dossier (s, site, surge_now);
      camera_troubles (s, site);
    }
  for (GSequenceIter *it = g_sequence_get_begin_iter (s->schedule);
       !g_sequence_iter_is_end (it);)
    {
      Scheduled *e = g_sequence_get (it);
      if (e->due_us > s->sim_us)
        break;
      materialize (s, e);
      GSequenceIter *next = g_sequence_iter_next (it);
      g_sequence_remove (it);
      it = next;
    }
}

static void
post_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) in = soup_session_send_finish (SOUP_SESSION (source), res, &error);
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
      step (s);
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

/* Current units of the registry; communes and wards only (prefix "xa-")
 * when communes_only.  code,name,kind,parent,valid_from,valid_to,successor:
 * names never contain a comma before valid_to is reached from the end. */
static GPtrArray *
load_units (const gchar *path, guint max, gboolean communes_only, GError **error)
{
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  GPtrArray *units = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] && units->len < max; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      guint n = g_strv_length (f);
      if (n >= 7 && f[n - 2][0] == '\0' && (!communes_only || g_str_has_prefix (f[0], "xa-")))
        g_ptr_array_add (units, g_strdup (f[0]));
    }
  return units;
}

/* ======================= MQTT mode ======================= */

typedef enum
{
  DEV_DESK,
  DEV_KIOSK,
  DEV_CAMERA,
  DEV_PORTAL,
} DevKind;


typedef struct
{
  DevKind kind;
  const gchar *unit;
  gchar id[48];
  gint64 seq;
} Dev;

typedef struct
{
  const gchar *unit;
  guint first_desk, n_desks; /* indexes into devs */
  guint kiosk, camera;
  guint ticket;
  GQueue waiting; /* ticket numbers (GUINT_TO_POINTER) */
  GQueue serving; /* ticket<<8 | desk offset */
  guint8 cam_bad[SIM_CAMS]; /* 0 fine, else the trouble (1 offline 2 video loss 3 tamper 4 no rec) */
} LoadSite;

typedef struct
{
  gchar *code;
  const gchar *unit;
  guint portal;
  gint64 received_ms, due_ms;
  gint state, channel, procedure;
} LoadDossier;

typedef struct
{
  GRand *rand;
  Dev *devs;
  guint n_devs;
  LoadSite *sites;
  guint n_sites;
  guint first_portal, n_portals;
  GPtrArray *dossiers; /* LoadDossier*, open */
  guint dossier_no;
  GQueue pending; /* gchar* "topic\npayload\nretained" made by a lifecycle, sent next */
  gdouble late_share;
  gchar *province;
  gchar epoch[17]; /* SPEC §4: this run's, for every device */
} Load;

static volatile gint load_acked, load_inflight, load_connected, load_stop;

static void
load_on_sent (void *ctx, MQTTAsync_successData *r)
{
  g_atomic_int_inc (&load_acked);
  g_atomic_int_add (&load_inflight, -1);
}

static void
load_on_failed (void *ctx, MQTTAsync_failureData *r)
{
  g_atomic_int_add (&load_inflight, -1);
}

static void
load_on_connected (void *ctx, char *cause)
{
  g_atomic_int_inc (&load_connected);
}

static void
load_on_lost (void *ctx, char *cause)
{
  g_atomic_int_add (&load_connected, -1);
}

static int
load_on_arrived (void *ctx, char *topic, int len, MQTTAsync_message *m)
{
  MQTTAsync_freeMessage (&m);
  MQTTAsync_free (topic);
  return 1;
}

static gboolean
load_on_signal (gpointer data)
{
  g_atomic_int_set (&load_stop, 1);
  return G_SOURCE_CONTINUE;
}

/* Devices as a province has them: each site a few desks, a kiosk and an
 * NVR; a few province-wide portal back-ends. */
static void
load_build (Load *l, GPtrArray *units, guint connectors)
{
  /* sites are commune/ward centres and provincial agencies, not police posts */
  g_autoptr (GPtrArray) site_units = g_ptr_array_new ();
  for (guint i = 0; i < units->len; i++)
    if (g_str_has_prefix (units->pdata[i], "xa-") || g_str_has_prefix (units->pdata[i], "cq-"))
      g_ptr_array_add (site_units, units->pdata[i]);
  if (site_units->len == 0)
    g_ptr_array_extend (site_units, units, NULL, NULL);
  l->n_portals = MIN (3u, MAX (1u, connectors / 1000));
  guint per_site = 5; /* 3 desks on average + kiosk + NVR */
  l->n_sites = MAX (1u, MIN (site_units->len, (connectors - l->n_portals) / per_site));
  /* more devices than the registry has sites at 5 each: bigger sites */
  guint avg_desks = CLAMP ((connectors - l->n_portals) / l->n_sites, 3u, 130u) - 2; /* ≤ 255: 8 bits in serving */
  l->sites = g_new0 (LoadSite, l->n_sites);
  l->devs = g_new0 (Dev, (gsize) l->n_sites * (2 * avg_desks + 2) + l->n_portals);
  /* Every run is a new epoch (SPEC §4): seq starts at 1 and the hub
   * counts a restart as a seq reset, not as loss or duplicates. */
  gint64 seq0 = 0;
  for (guint i = 0; i < 16; i++)
    l->epoch[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[g_random_int_range (0, 36)];
  l->epoch[16] = '\0';
  guint n = 0;
  for (guint i = 0; i < l->n_sites; i++)
    {
      LoadSite *site = &l->sites[i];
      site->unit = site_units->pdata[i];
      site->first_desk = n;
      site->n_desks = (guint) g_rand_int_range (l->rand, 1, (gint) (2 * avg_desks));
      for (guint d = 0; d < site->n_desks; d++, n++)
        {
          l->devs[n] = (Dev) { DEV_DESK, site->unit, "", seq0 };
          g_snprintf (l->devs[n].id, sizeof l->devs[n].id, "sim-q-%u-%u", i, d + 1);
        }
      site->kiosk = n;
      l->devs[n] = (Dev) { DEV_KIOSK, site->unit, "", seq0 };
      g_snprintf (l->devs[n++].id, sizeof l->devs[0].id, "sim-kiosk-%u", i);
      site->camera = n;
      l->devs[n] = (Dev) { DEV_CAMERA, site->unit, "", seq0 };
      g_snprintf (l->devs[n++].id, sizeof l->devs[0].id, "sim-nvr-%u", i);
      g_queue_init (&site->waiting);
      g_queue_init (&site->serving);
    }
  l->first_portal = n;
  for (guint p = 0; p < l->n_portals; p++, n++)
    {
      l->devs[n] = (Dev) { DEV_PORTAL, "tinh-40", "", seq0 };
      g_snprintf (l->devs[n].id, sizeof l->devs[n].id, "sim-portal-%u", p + 1);
    }
  l->n_devs = n;
}

static void
load_queue (Load *l, Dev *d, const gchar *unit, gboolean status, gint64 now_ms, const gchar *body)
{
  d->seq++;
  gchar *m = g_strdup_printf ("ioc/v1/%s/%s/%s/%s/%s\n{\"v\":1,\"seq\":%" G_GINT64_FORMAT
                              ",\"epoch\":\"%s\",\"ts\":%" G_GINT64_FORMAT "%s%s}\n%d",
                              l->province, unit ? unit : d->unit, ioc_kind_name ((IocKind) d->kind), d->id,
                              status ? "status" : "event", d->seq, l->epoch, now_ms, *body ? "," : "",
                              body, status);
  g_queue_push_tail (&l->pending, m);
}

static void
load_status (Load *l, Dev *d, gint64 now_ms)
{
  g_autofree gchar *body = NULL;
  switch (d->kind)
    {
    case DEV_DESK:
      body = g_strdup_printf ("\"counters_open\":1,\"waiting\":%d", g_rand_int_range (l->rand, 0, 25));
      break;
    case DEV_KIOSK:
      body = g_strdup_printf ("\"online\":true,\"queue_length\":%d,\"paper_low\":%s",
                              g_rand_int_range (l->rand, 0, 30),
                              g_rand_double (l->rand) < 0.05 ? "true" : "false");
      break;
    case DEV_CAMERA:
      {
        LoadSite *site = NULL;
        for (guint i = 0; i < l->n_sites && !site; i++)
          if (l->sites[i].camera == (guint) (d - l->devs))
            site = &l->sites[i];
        g_autoptr (GString) b = g_string_new ("\"cameras\":[");
        for (guint c = 0; c < SIM_CAMS; c++)
          {
            guint bad = site ? site->cam_bad[c] : 0;
            g_string_append_printf (b, "%s{\"camera\":\"cam-%02u\",\"online\":%s,\"recording\":%s,"
                                    "\"fps\":%d,\"bitrate_kbps\":%d}", c ? "," : "", c + 1,
                                    bad == 1 ? "false" : "true",
                                    bad == 0 || bad == 3 ? "true" : "false", bad ? 0 : 25,
                                    bad ? 0 : 2048);
          }
        g_string_append_c (b, ']');
        body = g_string_free (g_steal_pointer (&b), FALSE);
        break;
      }
    case DEV_PORTAL:
      {
        guint overdue = 0;
        for (guint i = 0; i < l->dossiers->len; i++)
          overdue += ((LoadDossier *) l->dossiers->pdata[i])->due_ms < now_ms;
        body = g_strdup_printf ("\"open\":%u,\"open_overdue\":%u,\"sync_lag_s\":%d",
                                l->dossiers->len, overdue, g_rand_int_range (l->rand, 1, 30));
        break;
      }
    }
  load_queue (l, d, NULL, TRUE, now_ms, body);
}

static void
load_ticket_step (Load *l, LoadSite *site, gint64 now_ms)
{
  gdouble r = g_rand_double (l->rand);
  Dev *kiosk = &l->devs[site->kiosk];
  if (g_queue_is_empty (&site->waiting) || r < 0.34)
    {
      guint t = ++site->ticket % 1000;
      g_queue_push_tail (&site->waiting, GUINT_TO_POINTER (t));
      g_autofree gchar *b = g_strdup_printf ("\"type\":\"ticket.issued\",\"ticket\":\"A%03u\","
                                             "\"service\":\"%s\",\"priority\":\"%s\"", t,
                                             services[g_rand_int_range (l->rand, 0, G_N_ELEMENTS (services))],
                                             g_rand_double (l->rand) < 0.1 ? "elderly" : "normal");
      load_queue (l, kiosk, NULL, FALSE, now_ms, b);
      return;
    }
  if (!g_queue_is_empty (&site->serving) && r < 0.67)
    {
      guint v = GPOINTER_TO_UINT (g_queue_pop_head (&site->serving));
      guint t = v >> 8, off = v & 0xff;
      Dev *desk = &l->devs[site->first_desk + off];
      g_autofree gchar *b = g_strdup_printf ("\"type\":\"service.done\",\"ticket\":\"A%03u\","
                                             "\"counter\":\"q%u\",\"service_s\":%d", t, off + 1,
                                             g_rand_int_range (l->rand, 60, 1200));
      load_queue (l, desk, NULL, FALSE, now_ms, b);
      if (g_rand_double (l->rand) < 0.4)
        {
          gint scale = g_rand_double (l->rand) < 0.8 ? 5 : 3;
          g_autofree gchar *rb = g_strdup_printf (
            "\"type\":\"rating\",\"level\":%d,\"scale\":%d,\"channel\":\"%s\",\"counter\":\"q%u\"",
            g_rand_int_range (l->rand, MAX (1, scale - 2), scale + 1), scale,
            g_rand_boolean (l->rand) ? "device" : "qr", off + 1);
          load_queue (l, kiosk, NULL, FALSE, now_ms, rb);
        }
      return;
    }
  guint t = GPOINTER_TO_UINT (g_queue_pop_head (&site->waiting));
  if (g_rand_double (l->rand) < 0.04)
    {
      g_autofree gchar *b = g_strdup_printf ("\"type\":\"ticket.no_show\",\"ticket\":\"A%03u\"", t);
      load_queue (l, kiosk, NULL, FALSE, now_ms, b);
      return;
    }
  guint off = (guint) g_rand_int_range (l->rand, 0, (gint) site->n_desks);
  if (g_queue_get_length (&site->serving) < 64)
    g_queue_push_tail (&site->serving, GUINT_TO_POINTER (t << 8 | off));
  g_autofree gchar *b = g_strdup_printf ("\"type\":\"ticket.called\",\"ticket\":\"A%03u\","
                                         "\"counter\":\"q%u\",\"wait_s\":%d", t, off + 1,
                                         g_rand_int_range (l->rand, 30, 1800));
  load_queue (l, &l->devs[site->first_desk + off], NULL, FALSE, now_ms, b);
}

static void
load_dossier_step (Load *l, gint64 now_ms)
{
  LoadDossier *ds;
  gboolean tracked = TRUE;
  if (l->dossiers->len < 50 || g_rand_double (l->rand) < 0.35)
    {
      ds = g_new0 (LoadDossier, 1);
      ds->code = g_strdup_printf ("H40.%08u", ++l->dossier_no);
      ds->unit = l->sites[g_rand_int_range (l->rand, 0, (gint) l->n_sites)].unit;
      ds->portal = l->first_portal + (guint) g_rand_int_range (l->rand, 0, (gint) l->n_portals);
      gboolean late = g_rand_double (l->rand) < l->late_share;
      ds->received_ms = now_ms - (late ? 20 * 86400000LL : 0);
      ds->due_ms = late ? now_ms - 3600000 : now_ms + (gint64) g_rand_int_range (l->rand, 1, 10) * 86400000;
      ds->state = late ? 4 : 2;
      ds->channel = g_rand_double (l->rand) < 0.7 ? 2 : (g_rand_double (l->rand) < 0.9 ? 1 : 3);
      ds->procedure = g_rand_int_range (l->rand, 1, 100);
      tracked = l->dossiers->len < 100000;
      if (tracked)
        g_ptr_array_add (l->dossiers, ds);
    }
  else
    {
      guint idx = (guint) g_rand_int_range (l->rand, 0, (gint) l->dossiers->len);
      ds = l->dossiers->pdata[idx];
      /* received → processing (→ supplement → processing) → processed → returned */
      ds->state = ds->state == 2 ? 4
                  : ds->state == 4 ? (g_rand_double (l->rand) < 0.1 ? 5 : 9)
                  : ds->state == 5 ? 4 : 10;
    }
  gboolean done = ds->state >= 9;
  g_autofree gchar *b = g_strdup_printf (
    "\"type\":\"dossier\",\"dossier\":\"%s\",\"procedure\":\"1.000%03d\",\"state\":%d,\"channel\":%d,"
    "\"received_at\":%" G_GINT64_FORMAT ",\"due_at\":%" G_GINT64_FORMAT ",\"fee\":true,"
    "\"paid_online\":%s%s", ds->code, ds->procedure, ds->state, ds->channel, ds->received_ms,
    ds->due_ms, ds->channel == 2 ? "true" : "false", done ? ",\"digitized\":true,\"e_result\":true" : "");
  load_queue (l, &l->devs[ds->portal], ds->unit, FALSE, now_ms, b);
  if (ds->state == 10 || !tracked)
    {
      if (tracked)
        g_ptr_array_remove_fast (l->dossiers, ds);
      g_free (ds->code);
      g_free (ds);
    }
}

static void
load_camera_step (Load *l, LoadSite *site, gint64 now_ms)
{
  static const gchar *const start[] = { NULL, "camera.offline", "video.loss", "tamper", "recording.stopped" };
  guint c = (guint) g_rand_int_range (l->rand, 0, SIM_CAMS);
  Dev *nvr = &l->devs[site->camera];
  const gchar *type;
  if (site->cam_bad[c])
    {
      /* the trouble ends: offline → online, no recording → recording */
      type = site->cam_bad[c] == 1 ? "camera.online" : "recording.started";
      site->cam_bad[c] = 0;
    }
  else
    {
      site->cam_bad[c] = (guint8) g_rand_int_range (l->rand, 1, 5);
      type = start[site->cam_bad[c]];
    }
  g_autofree gchar *b = g_strdup_printf ("\"type\":\"%s\",\"camera\":\"cam-%02u\",\"counter\":\"q%u\"",
                                         type, c + 1, c + 1);
  load_queue (l, nvr, NULL, FALSE, now_ms, b);
}

/* Fills l->pending with the next message(s) of the mix: about half are
 * statuses (SPEC §1: "mostly status"), then queue events, dossiers and the
 * odd camera event. */
static void
load_next (Load *l, gint64 now_ms)
{
  gdouble r = g_rand_double (l->rand);
  if (r < 0.5)
    load_status (l, &l->devs[g_rand_int_range (l->rand, 0, (gint) l->n_devs)], now_ms);
  else if (r < 0.82)
    load_ticket_step (l, &l->sites[g_rand_int_range (l->rand, 0, (gint) l->n_sites)], now_ms);
  else if (r < 0.98)
    load_dossier_step (l, now_ms);
  else
    load_camera_step (l, &l->sites[g_rand_int_range (l->rand, 0, (gint) l->n_sites)], now_ms);
}

/* A device's messages go out on one connection, so the broker keeps their
 * seq order: the connection is chosen by (kind, device), the 5th and 6th
 * topic levels. */
static guint
load_connection_of (const gchar *topic, guint n)
{
  if (n == 1)
    return 0;
  const gchar *p = topic;
  for (guint slashes = 0; *p != '\0' && slashes < 4; p++)
    if (*p == '/')
      slashes++;
  guint h = 5381;
  for (guint slashes = 0; *p != '\0' && *p != '\n'; p++)
    {
      if (*p == '/' && ++slashes == 2)
        break;
      h = h * 33 + (guchar) *p;
    }
  return h % n;
}

/* Long on purpose: a benchmark driver; set-up, the paced loop and the
 * report stay together so a run can be read as one story. */
static int
run_mqtt (const gchar *url, GPtrArray *units, gint connectors, gdouble rate, gint seed,
          gint64 count, gdouble late_share, gint window, gint n_conn)
{
  Load l = { 0 };
  l.rand = g_rand_new_with_seed ((guint32) seed);
  l.dossiers = g_ptr_array_new ();
  l.late_share = late_share;
  l.province = g_strdup ("40");
  g_queue_init (&l.pending);
  load_build (&l, units, (guint) connectors);

  /* One connection cannot reach the broker's limit here (docs/BENCHMARKS.md
   * §6.2): --connections spreads the devices over several. */
  g_autofree MQTTAsync *handles = g_new0 (MQTTAsync, n_conn);
  for (gint k = 0; k < n_conn; k++)
    {
      MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
      g_autofree gchar *id = n_conn == 1 ? g_strdup_printf ("ioc-sim-%d", seed) : g_strdup_printf ("ioc-sim-%d-%d", seed, k);
      if (MQTTAsync_createWithOptions (&handles[k], url, id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &co)
          != MQTTASYNC_SUCCESS)
        {
          g_printerr ("ioc-sim: --mqtt %s: not a broker URL\n", url);
          return 2;
        }
      MQTTAsync_setCallbacks (handles[k], NULL, load_on_lost, load_on_arrived, NULL);
      MQTTAsync_setConnected (handles[k], NULL, load_on_connected);
      MQTTAsync_connectOptions c = MQTTAsync_connectOptions_initializer;
      c.cleansession = 1;
      c.maxInflight = window;
      c.automaticReconnect = 1;
      c.keepAliveInterval = 20;
      MQTTAsync_connect (handles[k], &c);
    }
  /* load_connected counts connections up (a lost one counts down). */
  for (int i = 0; i < 200 && g_atomic_int_get (&load_connected) < n_conn; i++)
    g_usleep (50 * 1000);
  if (g_atomic_int_get (&load_connected) < n_conn)
    {
      g_printerr ("ioc-sim: cannot connect to %s\n", url);
      return 1;
    }
  g_unix_signal_add (SIGINT, load_on_signal, NULL);
  g_unix_signal_add (SIGTERM, load_on_signal, NULL);
  g_message ("ioc-sim: MQTT mode, %u devices (%u sites, %u portals) at %.0f msg/s to %s",
             l.n_devs, l.n_sites, l.n_portals, rate, url);

  gint64 start = g_get_monotonic_time (), last_report = start;
  gint64 sent = 0;
  while ((count == 0 || sent < count) && !g_atomic_int_get (&load_stop))
    {
      g_main_context_iteration (NULL, FALSE);
      if (rate > 0)
        {
          gint64 due = start + (gint64) ((gdouble) sent * G_TIME_SPAN_SECOND / rate);
          gint64 now = g_get_monotonic_time ();
          if (due > now)
            {
              g_usleep ((gulong) MIN (due - now, 100000));
              continue;
            }
        }
      if (g_atomic_int_get (&load_inflight) >= window * n_conn || g_atomic_int_get (&load_connected) < n_conn)
        {
          g_usleep (200);
          continue;
        }
      if (g_queue_is_empty (&l.pending))
        load_next (&l, g_get_real_time () / 1000);
      g_autofree gchar *m = g_queue_pop_head (&l.pending);
      gchar *nl1 = strchr (m, '\n');
      gchar *nl2 = strrchr (m, '\n');
      *nl1 = *nl2 = '\0';
      MQTTAsync_message msg = MQTTAsync_message_initializer;
      msg.payload = nl1 + 1;
      msg.payloadlen = (int) strlen (nl1 + 1);
      msg.qos = 1;
      msg.retained = nl2[1] == '1';
      MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
      ro.onSuccess = load_on_sent;
      ro.onFailure = load_on_failed;
      g_atomic_int_inc (&load_inflight);
      if (MQTTAsync_sendMessage (handles[load_connection_of (m, (guint) n_conn)], m, &msg, &ro) != MQTTASYNC_SUCCESS)
        {
          /* not queued: put it back so seq order holds */
          g_atomic_int_add (&load_inflight, -1);
          *nl1 = *nl2 = '\n';
          g_queue_push_head (&l.pending, g_steal_pointer (&m));
          g_usleep (10000);
          continue;
        }
      sent++;
      gint64 now = g_get_monotonic_time ();
      if (now - last_report > 10 * G_TIME_SPAN_SECOND)
        {
          g_message ("ioc-sim: %" G_GINT64_FORMAT " sent, %d acknowledged", sent,
                     g_atomic_int_get (&load_acked));
          last_report = now;
        }
    }
  for (int i = 0; i < 600 && g_atomic_int_get (&load_inflight) > 0; i++)
    g_usleep (50 * 1000);
  gdouble secs = (gdouble) (g_get_monotonic_time () - start) / 1e6;
  printf ("ioc-sim: %" G_GINT64_FORMAT " sent, %d acknowledged in %.2f s (%.0f msg/s)\n", sent,
          g_atomic_int_get (&load_acked), secs, (gdouble) sent / secs);
  fflush (stdout);
  for (gint k = 0; k < n_conn; k++)
    {
      MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
      MQTTAsync_disconnect (handles[k], &d);
    }
  g_usleep (100000);
  for (gint k = 0; k < n_conn; k++)
    MQTTAsync_destroy (&handles[k]);
  g_queue_clear_full (&l.pending, g_free);
  for (guint i = 0; i < l.n_sites; i++)
    {
      g_queue_clear (&l.sites[i].waiting);
      g_queue_clear (&l.sites[i].serving);
    }
  for (guint i = 0; i < l.dossiers->len; i++)
    {
      LoadDossier *ds = l.dossiers->pdata[i];
      g_free (ds->code);
      g_free (ds);
    }
  g_ptr_array_unref (l.dossiers);
  g_free (l.sites);
  g_free (l.devs);
  g_free (l.province);
  g_rand_free (l.rand);
  return 0;
}

/* ======================= main ======================= */

static void
site_free (Site *site)
{
  g_ptr_array_unref (site->desk);
  g_free (site->post_to);
  g_free (site);
}

/* Long on purpose: the options and the three modes (MQTT, HTTP posts,
 * RTSP) of one program, dispatched in order. */
int
main (int argc, char **argv)
{
  gint seed = 1, port = 8081, sites = 20, window = 1000, n_conn = 1;
  gdouble speed = 60, late_share = 0.05, rate = 100;
  gboolean surge = FALSE, list_sites = FALSE, version = FALSE;
  gint connectors = 3000;
  gint64 count = 0;
  /* Defaults are set after parsing: GOption overwrites a string without
   * freeing it, so a default set here would leak when the option is given. */
  g_autofree gchar *units_path = NULL;
  g_autofree gchar *start = NULL;
  g_autofree gchar *date = NULL;
  g_autofree gchar *mqtt = NULL;
  g_auto (GStrv) post_to = NULL;
  GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (default 1)", "N" },
    { "speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed, "Simulated seconds per wall second (default 60)", "X" },
    { "start", 0, 0, G_OPTION_ARG_STRING, &start, "Simulated start, local HH:MM today (default 07:30)", "HH:MM" },
    { "date", 0, 0, G_OPTION_ARG_STRING, &date,
      "Play this past day instead of today (a working day at any hour; benchmarks)", "YYYY-MM-DD" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "HTTP port on 127.0.0.1; RTSP on PORT+1 (default 8081)", "P" },
    { "sites", 0, 0, G_OPTION_ARG_INT, &sites, "Commune sites to play (default 20)", "N" },
    { "list-sites", 0, 0, G_OPTION_ARG_NONE, &list_sites, "Print the sites' unit codes and exit", NULL },
    { "units", 0, 0, G_OPTION_ARG_FILENAME, &units_path, "Unit registry CSV", "PATH" },
    { "late-share", 0, 0, G_OPTION_ARG_DOUBLE, &late_share, "Share of dossiers already overdue (0.05)", "F" },
    { "surge", 0, 0, G_OPTION_ARG_NONE, &surge, "An overdue surge 14:00–15:00 (exercises alerts)", NULL },
    { "post-to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &post_to,
      "Kiosk webhook to POST tickets and ratings to: URL (every site) or UNIT=URL (repeatable)", "URL" },
    { "mqtt", 0, 0, G_OPTION_ARG_STRING, &mqtt, "MQTT mode: publish SPEC traffic to this broker", "URL" },
    { "connectors", 0, 0, G_OPTION_ARG_INT, &connectors, "MQTT mode: devices to play (3000)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "MQTT mode: messages per second, 0 = the broker's limit (100)", "R" },
    { "count", 0, 0, G_OPTION_ARG_INT64, &count, "MQTT mode: stop after N messages (0: until SIGTERM)", "N" },
    { "window", 0, 0, G_OPTION_ARG_INT, &window, "MQTT mode: unacknowledged messages at most, per connection (1000)", "N" },
    { "connections", 0, 0, G_OPTION_ARG_INT, &n_conn,
      "MQTT mode: broker connections, each device on one of them (1)", "N" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL },
  };
  setlocale (LC_ALL, "");
  g_autoptr (GOptionContext) octx = g_option_context_new ("— play a province for iochub");
  g_option_context_add_main_entries (octx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("ioc-sim: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("ioc-sim %s\n", IOC_VERSION);
      return 0;
    }
  if (units_path == NULL)
    units_path = g_strdup (IOC_DEFAULT_UNITS);
  if (start == NULL)
    start = g_strdup ("07:30");
  if (sites < 1 || sites > 5000 || speed <= 0 || connectors < 10 || connectors > 1000000 || rate < 0
      || port < 1 || port > 65534 || window < 1 || window > 65535 || count < 0 || n_conn < 1 || n_conn > 64)
    {
      g_printerr ("ioc-sim: --sites 1…5000, --speed > 0, --connectors 10…1000000, --rate ≥ 0, "
                  "--port 1…65534, --window 1…65535, --count ≥ 0, --connections 1…64\n");
      return 2;
    }
  g_autoptr (GPtrArray) units = load_units (units_path, mqtt ? 100000 : (guint) sites, !mqtt, &error);
  if (!units || units->len == 0)
    {
      g_printerr ("ioc-sim: %s: %s\n", units_path, error ? error->message : "no current units");
      return 1;
    }
  if (list_sites)
    {
      for (guint i = 0; i < units->len; i++)
        printf ("%s\n", (gchar *) units->pdata[i]);
      return 0;
    }
  if (mqtt)
    return run_mqtt (mqtt, units, connectors, rate, seed, count, late_share, window, n_conn);

  Sim s = { 0 };
  s.rand = g_rand_new_with_seed ((guint32) seed);
  s.speed = speed;
  s.surge = surge;
  s.late_share = late_share;
  s.sites = g_ptr_array_new_with_free_func ((GDestroyNotify) site_free);
  s.by_unit = g_hash_table_new (g_str_hash, g_str_equal);
  s.dossiers = g_ptr_array_new_with_free_func (g_free);
  s.pending_posts = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_post_free);
  s.schedule = g_sequence_new ((GDestroyNotify) scheduled_free);
  g_mutex_init (&s.cams_lock);
  s.poster = soup_session_new_with_options ("timeout", 5, "max-conns", 64, NULL);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);

  for (guint i = 0; i < units->len; i++)
    {
      Site *site = g_new0 (Site, 1);
      site->unit = units->pdata[i];
      site->desk = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (s.sites, site);
      g_hash_table_insert (s.by_unit, site->unit, site);
    }
  for (guint i = 0; post_to && post_to[i]; i++)
    {
      const gchar *eq = strchr (post_to[i], '=');
      if (!g_str_has_prefix (post_to[i], "http://") && eq)
        {
          g_autofree gchar *unit = g_strndup (post_to[i], (gsize) (eq - post_to[i]));
          Site *site = g_hash_table_lookup (s.by_unit, unit);
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
        for (guint j = 0; j < s.sites->len; j++)
          {
            Site *site = s.sites->pdata[j];
            if (!site->post_to)
              site->post_to = g_strdup (post_to[i]);
          }
      else
        {
          g_printerr ("ioc-sim: --post-to %s: expected http://… or UNIT=http://…\n", post_to[i]);
          return 2;
        }
    }
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
  s.sim_start_us = ioc_time_from_local (y, mo, d, hh, mm);
  if (s.sim_start_us > g_get_real_time ())
    {
      if (date)
        {
          g_printerr ("ioc-sim: --date %s --start %s is in the future\n", date, start);
          return 2;
        }
      s.sim_start_us -= G_TIME_SPAN_DAY; /* before dawn: replay yesterday */
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
  /* The RTSP thread may still be in accept(): the process ends here
   * without tearing down what it reads. */
  return 0;
}
