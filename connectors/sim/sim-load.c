/* sim-load.c — ioc-sim's MQTT mode (sim-load.h): thousands of devices
 * publishing SPEC traffic straight to a broker, paced, for load tests and
 * benchmarks.
 *
 * Threads: the calling thread generates and publishes; Paho's threads only
 * count acknowledgements and connections (atomics). */
#include "sim-load.h"

#include <MQTTAsync.h>
#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "protocol/ioc-schema.h"
#include "sim.h"

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
  guint site; /* index into sites; not for portals */
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
          l->devs[n] = (Dev) { DEV_DESK, site->unit, "", seq0, i };
          g_snprintf (l->devs[n].id, sizeof l->devs[n].id, "sim-q-%u-%u", i, d + 1);
        }
      site->kiosk = n;
      l->devs[n] = (Dev) { DEV_KIOSK, site->unit, "", seq0, i };
      g_snprintf (l->devs[n++].id, sizeof l->devs[0].id, "sim-kiosk-%u", i);
      site->camera = n;
      l->devs[n] = (Dev) { DEV_CAMERA, site->unit, "", seq0, i };
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
  LoadSite *site = d->kind == DEV_PORTAL ? NULL : &l->sites[d->site];
  /* The queue the desks and the kiosk report is the site's own, so that
   * "waiting" on the wall agrees with tickets issued less those called. */
  guint waiting = site ? g_queue_get_length (&site->waiting) : 0;
  switch (d->kind)
    {
    case DEV_DESK:
      {
        guint desk = (guint) (d - l->devs) - site->first_desk;
        body = g_strdup_printf ("\"counters_open\":1,\"waiting\":%u",
                                waiting / site->n_desks + (desk < waiting % site->n_desks));
        break;
      }
    case DEV_KIOSK:
      body = g_strdup_printf ("\"online\":true,\"queue_length\":%u,\"paper_low\":%s", waiting,
                              g_rand_double (l->rand) < 0.05 ? "true" : "false");
      break;
    case DEV_CAMERA:
      {
        g_autoptr (GString) b = g_string_new ("\"cameras\":[");
        for (guint c = 0; c < SIM_CAMS; c++)
          {
            guint bad = site->cam_bad[c];
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
  /* A few people per desk waiting: tickets come a little faster than calls
   * below that, a little slower above, so the queue the desks report keeps
   * its size instead of drifting up day after day. */
  gdouble issue = g_queue_get_length (&site->waiting) < 2 * site->n_desks ? 0.40 : 0.25;
  if (g_queue_is_empty (&site->waiting) || r < issue)
    {
      guint t = ++site->ticket % 1000;
      g_queue_push_tail (&site->waiting, GUINT_TO_POINTER (t));
      g_autofree gchar *b = g_strdup_printf ("\"type\":\"ticket.issued\",\"ticket\":\"A%03u\","
                                             "\"service\":\"%s\",\"priority\":\"%s\"", t,
                                             ioc_sim_services[g_rand_int_range (l->rand, 0, G_N_ELEMENTS (ioc_sim_services))],
                                             g_rand_double (l->rand) < 0.1 ? "elderly" : "normal");
      load_queue (l, kiosk, NULL, FALSE, now_ms, b);
      return;
    }
  if (!g_queue_is_empty (&site->serving) && r < issue + (1.0 - issue) / 2)
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
  /* Waits as a busy desk has them: most a few minutes, a few over an hour. */
  gint wait_s = (gint) CLAMP (-600.0 * log (1.0 - g_rand_double (l->rand)), 30.0, 7200.0);
  g_autofree gchar *b = g_strdup_printf ("\"type\":\"ticket.called\",\"ticket\":\"A%03u\","
                                         "\"counter\":\"q%u\",\"wait_s\":%d", t, off + 1, wait_s);
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
      /* The run's epoch in the code: a demo started again on the same state
       * must not reuse the codes of dossiers it completed last time. */
      ds->code = g_strdup_printf ("H40.%.6s-%06u", l->epoch, ++l->dossier_no);
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

/* Fills l->pending with the next message(s) of the mix: half statuses, a
 * third queue events, a sixth dossier events, 2 % camera events.  Richer in
 * events than SPEC §1's "mostly status" province, to load the pipeline: at
 * 100 msg/s that is ~20,000 new dossiers an hour, where a province has
 * ~12,000 a working day. */
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

/* Creates and connects n_conn clients into handles, each with at most
 * window messages in flight; waits 10 s at most until all are connected.
 * 0, or the exit status with why printed. */
static int
load_connect (MQTTAsync *handles, gint n_conn, const gchar *url, gint seed, gint window)
{
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
  return 0;
}

static void
load_clear (Load *l)
{
  g_queue_clear_full (&l->pending, g_free);
  for (guint i = 0; i < l->n_sites; i++)
    {
      g_queue_clear (&l->sites[i].waiting);
      g_queue_clear (&l->sites[i].serving);
    }
  for (guint i = 0; i < l->dossiers->len; i++)
    {
      LoadDossier *ds = l->dossiers->pdata[i];
      g_free (ds->code);
      g_free (ds);
    }
  g_ptr_array_unref (l->dossiers);
  g_free (l->sites);
  g_free (l->devs);
  g_free (l->province);
  g_rand_free (l->rand);
}

/* Publishes the next pending message ("topic\npayload\nretained") on the
 * connection its device uses.  FALSE when Paho did not queue it: it is put
 * back at the head, so seq order holds. */
static gboolean
load_send_one (Load *l, MQTTAsync *handles, gint n_conn)
{
  g_autofree gchar *m = g_queue_pop_head (&l->pending);
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
      g_queue_push_head (&l->pending, g_steal_pointer (&m));
      return FALSE;
    }
  return TRUE;
}

/* A benchmark driver: set-up, the paced loop and the report stay together
 * so that a run reads as one story; sending one message is load_send_one(). */
int
ioc_sim_run_mqtt (const gchar *url, GPtrArray *units, gint connectors, gdouble rate, gint seed,
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
  int rc = load_connect (handles, n_conn, url, seed, window);
  if (rc != 0)
    return rc;
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
      if (!load_send_one (&l, handles, n_conn))
        {
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
  load_clear (&l);
  return 0;
}
