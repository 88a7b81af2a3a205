/* sim-traffic.c — the province ioc-sim's MQTT mode plays (sim-traffic.h):
 * its sites and devices, their queues, dossiers and cameras, and the mix of
 * messages they make; sim-load.c sends them.
 *
 * Threads: one, the caller's. */
#include "sim-traffic.h"

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
  GQueue serving; /* SimService*, one a busy desk, longest first */
  guint8 cam_bad[SIM_CAMS]; /* 0 fine, else the trouble (1 offline 2 video loss 3 tamper 4 no rec) */
  gint64 cam_until_ms[SIM_CAMS]; /* province mix: when the trouble ends */
} SimSite;

typedef struct
{
  guint ticket, desk; /* desk: offset from the site's first */
  gint service_s;
  gint64 done_ms;     /* when the service is over */
} SimService;

typedef struct
{
  gchar *code;
  const gchar *unit;
  guint portal;
  gint64 received_ms, due_ms;
  gint state, channel, procedure;
} SimDossier;

struct _IocSimTraffic
{
  GRand *rand;
  Dev *devs;
  guint n_devs;
  SimSite *sites;
  guint n_sites;
  guint first_portal, n_portals;
  GPtrArray *dossiers; /* SimDossier*, open */
  guint dossier_no;
  guint next_open;     /* province mix: the open dossier advanced next */
  IocSimMix mix;
  gdouble p_queue, p_dossier, p_camera; /* province mix: shares of the steps; the rest statuses */
  gdouble *site_weight_sum; /* province mix: site i's dossiers ∝ 1/(i+1), summed up to i */
  gint64 cam_check_ms; /* province mix: next look for outages that ended */
  GQueue pending; /* gchar* "topic\npayload\nretained" made by a lifecycle, sent next */
  gdouble late_share;
  gchar *province;
  gchar epoch[17]; /* SPEC §4: this run's, for every device */
};

/* Devices as a province has them: each site a few desks, a kiosk and an
 * NVR; a few province-wide portal back-ends. */
static void
traffic_build (IocSimTraffic *l, GPtrArray *units, guint connectors)
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
  guint avg_desks = CLAMP ((connectors - l->n_portals) / l->n_sites, 3u, 130u) - 2;
  l->sites = g_new0 (SimSite, l->n_sites);
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
      SimSite *site = &l->sites[i];
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
traffic_queue (IocSimTraffic *l, Dev *d, const gchar *unit, gboolean status, gint64 now_ms, const gchar *body)
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
traffic_status (IocSimTraffic *l, Dev *d, gint64 now_ms)
{
  g_autofree gchar *body = NULL;
  SimSite *site = d->kind == DEV_PORTAL ? NULL : &l->sites[d->site];
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
          overdue += ((SimDossier *) l->dossiers->pdata[i])->due_ms < now_ms;
        body = g_strdup_printf ("\"open\":%u,\"open_overdue\":%u,\"sync_lag_s\":%d",
                                l->dossiers->len, overdue, g_rand_int_range (l->rand, 1, 30));
        break;
      }
    }
  traffic_queue (l, d, NULL, TRUE, now_ms, body);
}

static gboolean
traffic_desk_busy (SimSite *site, guint off)
{
  for (GList *s = site->serving.head; s != NULL; s = s->next)
    if (((SimService *) s->data)->desk == off)
      return TRUE;
  return FALSE;
}

static void
traffic_service_done (IocSimTraffic *l, SimSite *site, GList *link, gint64 now_ms)
{
  g_autofree SimService *sv = link->data;
  g_queue_delete_link (&site->serving, link);
  Dev *desk = &l->devs[site->first_desk + sv->desk];
  g_autofree gchar *b = g_strdup_printf ("\"type\":\"service.done\",\"ticket\":\"A%03u\","
                                         "\"counter\":\"q%u\",\"service_s\":%d", sv->ticket, sv->desk + 1, sv->service_s);
  traffic_queue (l, desk, NULL, FALSE, now_ms, b);
  if (g_rand_double (l->rand) < 0.4)
    {
      gint scale = g_rand_double (l->rand) < 0.8 ? 5 : 3;
      g_autofree gchar *rb = g_strdup_printf (
        "\"type\":\"rating\",\"level\":%d,\"scale\":%d,\"channel\":\"%s\",\"counter\":\"q%u\"",
        g_rand_int_range (l->rand, MAX (1, scale - 2), scale + 1), scale,
        g_rand_boolean (l->rand) ? "device" : "qr", sv->desk + 1);
      traffic_queue (l, &l->devs[site->kiosk], NULL, FALSE, now_ms, rb);
    }
}

/* One step of a site's queue.  A desk serves one person at a time.  In the
 * province mix, for the service time drawn when it called them: a service
 * whose time is up ends first, so served follows called by about a
 * service's length, as on a real floor (and the clock, not only the seed,
 * decides the sequence).  In either mix, with every desk busy and people
 * waiting, the longest service ends early: at the load mix's pace steps
 * come faster than services end. */
static void
traffic_ticket_step (IocSimTraffic *l, SimSite *site, gint64 now_ms)
{
  gdouble r = g_rand_double (l->rand);
  Dev *kiosk = &l->devs[site->kiosk];
  for (GList *s = site->serving.head; l->mix == IOC_SIM_MIX_PROVINCE && s != NULL; s = s->next)
    if (((SimService *) s->data)->done_ms <= now_ms)
      {
        traffic_service_done (l, site, s, now_ms);
        return;
      }
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
      traffic_queue (l, kiosk, NULL, FALSE, now_ms, b);
      return;
    }
  if (g_queue_get_length (&site->serving) >= site->n_desks)
    {
      traffic_service_done (l, site, site->serving.head, now_ms);
      return;
    }
  guint t = GPOINTER_TO_UINT (g_queue_pop_head (&site->waiting));
  if (g_rand_double (l->rand) < 0.04)
    {
      g_autofree gchar *b = g_strdup_printf ("\"type\":\"ticket.no_show\",\"ticket\":\"A%03u\"", t);
      traffic_queue (l, kiosk, NULL, FALSE, now_ms, b);
      return;
    }
  /* a free desk calls (there is one: checked above) */
  guint off = (guint) g_rand_int_range (l->rand, 0, (gint) site->n_desks);
  for (guint k = 0; k < site->n_desks && traffic_desk_busy (site, off); k++)
    off = (off + 1) % site->n_desks;
  SimService *sv = g_new (SimService, 1);
  *sv = (SimService) { t, off, g_rand_int_range (l->rand, 60, 1200), 0 };
  sv->done_ms = now_ms + (gint64) sv->service_s * 1000;
  g_queue_push_tail (&site->serving, sv);
  /* Waits as a busy desk has them: most a few minutes, a few over an hour. */
  gint wait_s = (gint) CLAMP (-600.0 * log (1.0 - g_rand_double (l->rand)), 30.0, 7200.0);
  g_autofree gchar *b = g_strdup_printf ("\"type\":\"ticket.called\",\"ticket\":\"A%03u\","
                                         "\"counter\":\"q%u\",\"wait_s\":%d", t, off + 1, wait_s);
  traffic_queue (l, &l->devs[site->first_desk + off], NULL, FALSE, now_ms, b);
}

/* Province mix: open dossiers the province keeps in hand.  Below it a new
 * dossier comes a little more often than one completes (a dossier takes 3–4
 * steps after it is received), above it a little less often.  At 1.25
 * dossier events a second, a round of 5,000 takes under 2 hours, so a
 * dossier is returned within hours (a few supplement loops: within 12),
 * before its deadline of 1–9 days. */
#define PROVINCE_OPEN_DOSSIERS 5000

static gdouble
traffic_new_dossier_share (IocSimTraffic *l)
{
  if (l->mix == IOC_SIM_MIX_LOAD)
    return 0.35;
  return l->dossiers->len < PROVINCE_OPEN_DOSSIERS ? 0.30 : 0.20;
}

/* The site a new dossier is received at.  Province mix: a few busy wards
 * and many quiet communes (site i gets a share ∝ 1/(i+1)), so that the wall's
 * ranking, which waits for 30 dossiers a unit, fills from the first hour. */
static guint
traffic_pick_dossier_site (IocSimTraffic *l)
{
  if (l->site_weight_sum == NULL)
    return (guint) g_rand_int_range (l->rand, 0, (gint) l->n_sites);
  gdouble x = g_rand_double (l->rand) * l->site_weight_sum[l->n_sites - 1];
  guint lo = 0, hi = l->n_sites - 1;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (l->site_weight_sum[mid] <= x)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* The open dossier a step moves on.  Province mix: each in turn, so every
 * one is done within a few rounds (hours at the demo's pace, not the days
 * to its deadline): on a normal day only those born late go overdue.  IocSimTraffic
 * mix: any one, at random. */
static guint
traffic_pick_open (IocSimTraffic *l)
{
  if (l->mix == IOC_SIM_MIX_LOAD)
    return (guint) g_rand_int_range (l->rand, 0, (gint) l->dossiers->len);
  if (l->next_open >= l->dossiers->len)
    l->next_open = 0;
  return l->next_open++;
}

static void
traffic_dossier_step (IocSimTraffic *l, gint64 now_ms)
{
  SimDossier *ds;
  gboolean tracked = TRUE;
  guint idx = G_MAXUINT;
  if (l->dossiers->len < 50 || g_rand_double (l->rand) < traffic_new_dossier_share (l))
    {
      ds = g_new0 (SimDossier, 1);
      /* The run's epoch in the code: a demo started again on the same state
       * must not reuse the codes of dossiers it completed last time. */
      ds->code = g_strdup_printf ("H40.%.6s-%06u", l->epoch, ++l->dossier_no);
      ds->unit = l->sites[traffic_pick_dossier_site (l)].unit;
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
      idx = traffic_pick_open (l);
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
  traffic_queue (l, &l->devs[ds->portal], ds->unit, FALSE, now_ms, b);
  if (ds->state == 10 || !tracked)
    {
      if (tracked) /* an open one, moved on to its end: idx is its place */
        {
          /* the last one takes its place, and its turn */
          g_ptr_array_remove_index_fast (l->dossiers, idx);
          if (l->next_open > idx)
            l->next_open = idx;
        }
      g_free (ds->code);
      g_free (ds);
    }
}

/* A camera's trouble starts (trouble 1 offline, 2 video loss, 3 tamper,
 * 4 not recording) or, with trouble 0, ends: one NVR event. */
static void
traffic_camera_change (IocSimTraffic *l, SimSite *site, guint c, guint8 trouble, gint64 now_ms)
{
  static const gchar *const start[] = { NULL, "camera.offline", "video.loss", "tamper", "recording.stopped" };
  /* offline → online, no recording → recording */
  const gchar *type = trouble ? start[trouble] : site->cam_bad[c] == 1 ? "camera.online" : "recording.started";
  site->cam_bad[c] = trouble;
  g_autofree gchar *b = g_strdup_printf ("\"type\":\"%s\",\"camera\":\"cam-%02u\",\"counter\":\"q%u\"",
                                         type, c + 1, c + 1);
  traffic_queue (l, &l->devs[site->camera], NULL, FALSE, now_ms, b);
}

/* IocSimTraffic mix: a camera picked at random changes, its trouble starting or ending. */
static void
traffic_camera_step (IocSimTraffic *l, SimSite *site, gint64 now_ms)
{
  guint c = (guint) g_rand_int_range (l->rand, 0, SIM_CAMS);
  traffic_camera_change (l, site, c, site->cam_bad[c] ? 0 : (guint8) g_rand_int_range (l->rand, 1, 5), now_ms);
}

/* Province mix: a trouble starts at a camera that works and lasts 2–20
 * minutes (traffic_camera_ends ends it); a camera already down sends its
 * status instead, so that every step sends something. */
static void
traffic_camera_outage (IocSimTraffic *l, SimSite *site, gint64 now_ms)
{
  guint c = (guint) g_rand_int_range (l->rand, 0, SIM_CAMS);
  if (site->cam_bad[c])
    {
      traffic_status (l, &l->devs[site->camera], now_ms);
      return;
    }
  site->cam_until_ms[c] = now_ms + (gint64) g_rand_int_range (l->rand, 2, 21) * 60000;
  traffic_camera_change (l, site, c, (guint8) g_rand_int_range (l->rand, 1, 5), now_ms);
}

/* Province mix: the troubles that are over end, looked for once a second. */
static void
traffic_camera_ends (IocSimTraffic *l, gint64 now_ms)
{
  if (now_ms < l->cam_check_ms)
    return;
  l->cam_check_ms = now_ms + 1000;
  for (guint i = 0; i < l->n_sites; i++)
    for (guint c = 0; c < SIM_CAMS; c++)
      if (l->sites[i].cam_bad[c] && l->sites[i].cam_until_ms[c] <= now_ms)
        traffic_camera_change (l, &l->sites[i], c, 0, now_ms);
}

/* Fills l->pending with the next message(s) of the mix (sim-traffic.h). */
static void
traffic_next (IocSimTraffic *l, gint64 now_ms)
{
  if (l->mix == IOC_SIM_MIX_PROVINCE)
    {
      traffic_camera_ends (l, now_ms);
      if (!g_queue_is_empty (&l->pending))
        return;
    }
  gdouble r = g_rand_double (l->rand);
  if (l->mix == IOC_SIM_MIX_PROVINCE)
    {
      SimSite *site = &l->sites[g_rand_int_range (l->rand, 0, (gint) l->n_sites)];
      if (r < l->p_dossier)
        traffic_dossier_step (l, now_ms);
      else if (r < l->p_dossier + l->p_queue)
        traffic_ticket_step (l, site, now_ms);
      else if (r < l->p_dossier + l->p_queue + l->p_camera)
        traffic_camera_outage (l, site, now_ms);
      else
        traffic_status (l, &l->devs[g_rand_int_range (l->rand, 0, (gint) l->n_devs)], now_ms);
      return;
    }
  if (r < 0.5)
    traffic_status (l, &l->devs[g_rand_int_range (l->rand, 0, (gint) l->n_devs)], now_ms);
  else if (r < 0.82)
    traffic_ticket_step (l, &l->sites[g_rand_int_range (l->rand, 0, (gint) l->n_sites)], now_ms);
  else if (r < 0.98)
    traffic_dossier_step (l, now_ms);
  else
    traffic_camera_step (l, &l->sites[g_rand_int_range (l->rand, 0, (gint) l->n_sites)], now_ms);
}

/* Province mix, per second (DOMAIN §4, a working hour's pace, around the
 * clock): ~12,000 new dossiers a working day of 9 hours, each received and
 * then moved on 3–4 times; 20–40k queue events a day; a camera trouble
 * every 15 minutes somewhere.  Statuses fill the rest of the rate. */
#define PROVINCE_DOSSIER_EVENTS_PER_S 1.25
#define PROVINCE_TICKET_STEPS_PER_S 0.9
#define PROVINCE_CAMERA_TROUBLES_PER_S (1.0 / 900)

static void
traffic_set_mix (IocSimTraffic *l, IocSimMix mix, gdouble rate)
{
  l->mix = mix;
  if (mix == IOC_SIM_MIX_PROVINCE)
    {
      l->site_weight_sum = g_new (gdouble, l->n_sites);
      gdouble sum = 0;
      for (guint i = 0; i < l->n_sites; i++)
        l->site_weight_sum[i] = sum += 1.0 / (i + 1);
    }
  /* As fast as acknowledged: the shares of 100 msg/s. */
  gdouble per_s = rate > 0 ? rate : 100;
  l->p_dossier = PROVINCE_DOSSIER_EVENTS_PER_S / per_s;
  l->p_queue = PROVINCE_TICKET_STEPS_PER_S / per_s;
  l->p_camera = PROVINCE_CAMERA_TROUBLES_PER_S / per_s;
  /* Below ~5 msg/s events would crowd out the statuses: keep half. */
  gdouble events = l->p_dossier + l->p_queue + l->p_camera;
  if (events > 0.5)
    {
      l->p_dossier *= 0.5 / events;
      l->p_queue *= 0.5 / events;
      l->p_camera *= 0.5 / events;
    }
}

static void
traffic_clear (IocSimTraffic *l)
{
  g_queue_clear_full (&l->pending, g_free);
  for (guint i = 0; i < l->n_sites; i++)
    {
      g_queue_clear (&l->sites[i].waiting);
      g_queue_clear_full (&l->sites[i].serving, g_free);
    }
  for (guint i = 0; i < l->dossiers->len; i++)
    {
      SimDossier *ds = l->dossiers->pdata[i];
      g_free (ds->code);
      g_free (ds);
    }
  g_ptr_array_unref (l->dossiers);
  g_free (l->sites);
  g_free (l->site_weight_sum);
  g_free (l->devs);
  g_free (l->province);
  g_rand_free (l->rand);
}

/* The open dossiers, kept across runs (--state) so that a simulator
 * started again carries on with them, as a portal would, instead of leaving
 * them open at the hub until their deadlines pass.  A header line, then a
 * line a dossier, tab-separated:
 *   code unit portal received_ms due_ms state channel procedure */
#define TRAFFIC_STATE_HEADER "# ioc-sim open dossiers, version 1"

static gboolean
traffic_topic_level_ok (const gchar *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!(g_ascii_isalnum (*s) || *s == '-' || *s == '_' || *s == '.'))
      return FALSE;
  return TRUE;
}

gboolean
ioc_sim_traffic_read_state (IocSimTraffic *l, const gchar *path, GError **error)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE; /* the first run */
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  if (g_strcmp0 (lines[0], TRAFFIC_STATE_HEADER) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:1: expected the line '%s'", path, TRAFFIC_STATE_HEADER);
      return FALSE;
    }
  for (guint i = 1; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);
      guint64 portal;
      gint64 received, due, state, channel, procedure;
      if (g_strv_length (f) != 8 || !traffic_topic_level_ok (f[0]) || !traffic_topic_level_ok (f[1])
          || !g_ascii_string_to_unsigned (f[2], 10, 0, 63, &portal, NULL)
          || !g_ascii_string_to_signed (f[3], 10, 0, G_MAXINT64, &received, NULL)
          || !g_ascii_string_to_signed (f[4], 10, 0, G_MAXINT64, &due, NULL)
          || !g_ascii_string_to_signed (f[5], 10, 2, 9, &state, NULL) || state == 3
          || !g_ascii_string_to_signed (f[6], 10, 1, 3, &channel, NULL)
          || !g_ascii_string_to_signed (f[7], 10, 1, 99, &procedure, NULL))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s:%u: expected 8 fields separated by tabs: dossier code, unit, portal (0-63), "
                       "received_ms, due_ms, state (2, 4, 5 or 9), channel (1-3), procedure (1-99)",
                       path, i + 1);
          return FALSE;
        }
      SimDossier *ds = g_new0 (SimDossier, 1);
      ds->code = g_strdup (f[0]);
      ds->unit = g_intern_string (f[1]);
      ds->portal = l->first_portal + (guint) portal % l->n_portals;
      ds->received_ms = received;
      ds->due_ms = due;
      ds->state = (gint) state;
      ds->channel = (gint) channel;
      ds->procedure = (gint) procedure;
      g_ptr_array_add (l->dossiers, ds);
    }
  return TRUE;
}

gboolean
ioc_sim_traffic_write_state (IocSimTraffic *l, const gchar *path, GError **error)
{
  g_autoptr (GString) s = g_string_new (TRAFFIC_STATE_HEADER "\n");
  for (guint i = 0; i < l->dossiers->len; i++)
    {
      const SimDossier *ds = l->dossiers->pdata[i];
      g_string_append_printf (s, "%s\t%s\t%u\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t%d\t%d\t%d\n", ds->code,
                              ds->unit, ds->portal - l->first_portal, ds->received_ms, ds->due_ms, ds->state,
                              ds->channel, ds->procedure);
    }
  return g_file_set_contents (path, s->str, (gssize) s->len, error);
}

gboolean
ioc_sim_mix_parse (const gchar *text, IocSimMix *out)
{
  if (g_strcmp0 (text, "load") == 0)
    *out = IOC_SIM_MIX_LOAD;
  else if (g_strcmp0 (text, "province") == 0)
    *out = IOC_SIM_MIX_PROVINCE;
  else
    return FALSE;
  return TRUE;
}

IocSimTraffic *
ioc_sim_traffic_new (GPtrArray *units, guint connectors, gint seed, IocSimMix mix, gdouble rate,
                     gdouble late_share)
{
  IocSimTraffic *l = g_new0 (IocSimTraffic, 1);
  l->rand = g_rand_new_with_seed ((guint32) seed);
  l->dossiers = g_ptr_array_new ();
  l->late_share = late_share;
  l->province = g_strdup ("40");
  g_queue_init (&l->pending);
  traffic_build (l, units, connectors);
  traffic_set_mix (l, mix, rate);
  return l;
}

void
ioc_sim_traffic_free (IocSimTraffic *l)
{
  if (l == NULL)
    return;
  traffic_clear (l);
  g_free (l);
}

gchar *
ioc_sim_traffic_take (IocSimTraffic *l, gint64 now_ms)
{
  if (g_queue_is_empty (&l->pending))
    traffic_next (l, now_ms);
  return g_queue_pop_head (&l->pending);
}

void
ioc_sim_traffic_put_back (IocSimTraffic *l, gchar *message)
{
  g_queue_push_head (&l->pending, message);
}

gboolean
ioc_sim_traffic_has_made (IocSimTraffic *l)
{
  return !g_queue_is_empty (&l->pending);
}

IocSimTrafficSize
ioc_sim_traffic_size (IocSimTraffic *l)
{
  return (IocSimTrafficSize) { l->n_devs, l->n_sites, l->n_portals, l->dossiers->len };
}
