/* sim-province.c — see sim-province.h.  Deterministic: every event is
 * drawn from s->rand, one simulated second at a time, so the same seed and
 * the same simulated span give the same events. */
#include "sim-province.h"

#include "protocol/ioc-time.h"

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
  const gchar *svc = ioc_sim_services[g_rand_int_range (s->rand, 0, G_N_ELEMENTS (ioc_sim_services))];
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

void
sim_step (Sim *s)
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
site_free (Site *site)
{
  g_ptr_array_unref (site->desk);
  g_free (site->post_to);
  g_free (site);
}

void
sim_init (Sim *s, GPtrArray *units, gint seed, gboolean surge, gdouble late_share)
{
  s->rand = g_rand_new_with_seed ((guint32) seed);
  s->surge = surge;
  s->late_share = late_share;
  s->sites = g_ptr_array_new_with_free_func ((GDestroyNotify) site_free);
  s->by_unit = g_hash_table_new (g_str_hash, g_str_equal);
  s->dossiers = g_ptr_array_new_with_free_func (g_free);
  s->pending_posts = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_post_free);
  s->schedule = g_sequence_new ((GDestroyNotify) scheduled_free);
  g_mutex_init (&s->cams_lock);
  for (guint i = 0; i < units->len; i++)
    {
      Site *site = g_new0 (Site, 1);
      site->unit = units->pdata[i];
      site->desk = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (s->sites, site);
      g_hash_table_insert (s->by_unit, site->unit, site);
    }
}

void
sim_clear (Sim *s)
{
  g_clear_pointer (&s->rand, g_rand_free);
  g_clear_pointer (&s->by_unit, g_hash_table_unref);
  g_clear_pointer (&s->sites, g_ptr_array_unref);
  g_clear_pointer (&s->dossiers, g_ptr_array_unref);
  g_clear_pointer (&s->pending_posts, g_ptr_array_unref);
  g_clear_pointer (&s->schedule, g_sequence_free);
  g_clear_object (&s->poster);
  g_mutex_clear (&s->cams_lock);
}
