/* sim-traffic.h — the province ioc-sim's MQTT mode plays: devices spread
 * over the registry's units, and the messages their queues, dossiers and
 * cameras make (sim-load.c sends them; ioc-sim.c describes what is played). */
#pragma once

#include <glib.h>

/* What the devices send, and how much of it. */
typedef enum
{
  /* Events-heavy, to load the pipeline: half statuses, a third queue
   * events, a sixth dossier events, 2 % camera events, whatever the rate. */
  IOC_SIM_MIX_LOAD,
  /* A province on a normal day: dossier, queue and camera events at the
   * volumes of DOMAIN §4 (about 12,000 new dossiers a working day), the rest
   * of the rate statuses; dossiers complete in turn, within hours. */
  IOC_SIM_MIX_PROVINCE,
} IocSimMix;

/* Parses a --mix value ("load" or "province"). */
gboolean ioc_sim_mix_parse (const gchar *text, IocSimMix *out);

typedef struct _IocSimTraffic IocSimTraffic;

typedef struct
{
  guint devices, sites, portals;
  guint open_dossiers;
} IocSimTrafficSize;

/* connectors devices over units (unit codes, which must outlive it), drawn
 * from seed; rate (msg/s, 0: as fast as they go) sets the province mix's
 * shares; late_share of new dossiers are born overdue. */
IocSimTraffic *ioc_sim_traffic_new (GPtrArray *units, guint connectors, gint seed, IocSimMix mix, gdouble rate,
                                    gdouble late_share);
void ioc_sim_traffic_free (IocSimTraffic *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocSimTraffic, ioc_sim_traffic_free)

/* The next message, "topic\npayload\nretained" (retained: 0 or 1), made at
 * now_ms (transfer full).  A step may make several: the others are kept and
 * come first. */
gchar *ioc_sim_traffic_take (IocSimTraffic *self, gint64 now_ms);
/* Puts a taken message back in front: the broker did not take it. */
void ioc_sim_traffic_put_back (IocSimTraffic *self, gchar *message);
/* TRUE while messages already made wait to be taken. */
gboolean ioc_sim_traffic_has_made (IocSimTraffic *self);
IocSimTrafficSize ioc_sim_traffic_size (IocSimTraffic *self);

/* The open dossiers, kept across runs so that a simulator started again
 * carries on with them.  Reading a missing file is not an error (the first
 * run); a file that is not a state file is, with its line. */
gboolean ioc_sim_traffic_read_state (IocSimTraffic *self, const gchar *path, GError **error);
gboolean ioc_sim_traffic_write_state (IocSimTraffic *self, const gchar *path, GError **error);
