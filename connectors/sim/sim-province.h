/* sim-province.h — the province ioc-sim's source mode plays, as a model
 * advanced one simulated second at a time: sites with their desks, kiosk
 * and cameras, tickets and dossiers over their lives, camera troubles,
 * the daily curve.  What it produces lands in lists the connectors read
 * (desk events, dossier changes) and in webhook posts to send; serving
 * them is sim-source.c's.
 *
 * Threads: the main thread runs the model; the camera states may be read
 * from any thread under cams_lock. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "sim.h"

#define SIM_MAX_EVENTS 2000000

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

/* The model's state; speed, the two clock starts, poster and rtsp_stop
 * are the serving side's (sim-source.c). */
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

/* A kiosk webhook call the model made, for the serving side to send. */
typedef struct
{
  gchar *url;
  gchar *body;
} PendingPost;

/* Sets up s (zeroed) for the sites of units (unit codes, borrowed); the
 * events are drawn from one GRand seeded with seed.  sim_us and the
 * fields of the serving side (speed, clock start, poster) are the
 * caller's. */
void sim_init (Sim *s, GPtrArray *units, gint seed, gboolean surge, gdouble late_share);
/* Frees what sim_init and the serving side made (no thread may use s). */
void sim_clear (Sim *s);

/* One simulated second of the province at s->sim_us: new tickets, dossiers
 * and troubles drawn, then every scheduled event now due published into
 * its list. */
void sim_step (Sim *s);
