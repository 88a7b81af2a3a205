/* sim-source.h — ioc-sim's source mode (ioc-sim.c describes what it plays
 * and serves). */
#pragma once

#include <glib.h>

typedef struct
{
  gint seed;
  gdouble speed;       /* simulated seconds per wall second */
  gboolean surge;      /* an overdue wave 14:00–15:00 */
  gdouble late_share;  /* of dossiers already overdue */
  gint port;           /* HTTP on 127.0.0.1:port, RTSP on port + 1 */
  const gchar *start;  /* "HH:MM", local, today or on date */
  const gchar *date;   /* "YYYY-MM-DD" or NULL: today */
  const gchar *const *post_to; /* --post-to values: URL or UNIT=URL; may be NULL */
} IocSimSourceOptions;

/* Plays the sites of units (unit codes) until SIGINT/SIGTERM; the exit
 * status: 0, 1 when a port cannot be listened on, 2 for a bad option
 * value (with what is expected on stderr). */
int ioc_sim_run_source (GPtrArray *units, const IocSimSourceOptions *o);
