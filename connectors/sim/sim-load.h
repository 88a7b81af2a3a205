/* sim-load.h — ioc-sim's MQTT mode (ioc-sim.c describes what it plays). */
#pragma once

#include <glib.h>

#include "sim-traffic.h"

typedef struct
{
  const gchar *url;   /* the broker */
  gint connectors;    /* devices to play */
  gdouble rate;       /* msg/s; 0: as fast as acknowledged */
  gint seed;
  gint64 count;       /* messages; 0: until SIGINT/SIGTERM */
  gdouble late_share; /* of new dossiers, born overdue */
  gint window;        /* unacknowledged messages at most, per connection */
  gint n_conn;        /* broker connections */
  IocSimMix mix;
  const gchar *state; /* where the open dossiers are kept across runs; NULL: nowhere */
} IocSimLoadOptions;

/* Publishes the traffic of o->connectors devices spread over units (unit
 * codes) to the broker.  With o->state, the open dossiers of the last run
 * are read from it at the start (and carried on), and written to it at the
 * end and every minute.  The exit status: 0, 1 when the broker cannot be
 * reached or the state file cannot be read or written, 2 for a bad URL. */
int ioc_sim_run_mqtt (GPtrArray *units, const IocSimLoadOptions *o);
