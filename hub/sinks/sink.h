/* sink.h — IocSink: how the hub hands its output to whatever consumes it.
 *
 * A sink is a vtable plus its own state.  hub.c registers each one
 * (ioc_hub_add_sink) and fans out to them in the order they were added; a
 * sink never knows the other sinks, nor the stages that fed the point (as
 * collectd's writers register and never know each other).  The InfluxDB
 * path (influx-sink.h) is one; the federation ledger, the HTTP API's live
 * view and the alert engine are others.
 *
 * Every function is optional (NULL: not interested), runs on the main
 * context, and must return quickly: a sink queues, and does its slow work
 * on a thread or timer of its own. */
#pragma once

#include <glib.h>

#include "model/record.h"

G_BEGIN_DECLS

typedef struct
{
  const gchar *name; /* for logs */
  /* ioc_hub_start(): connect, spawn threads.  FALSE fails the start. */
  gboolean (*start) (gpointer self, GError **error);
  /* Every minute point emitted, and again after late data corrected it. */
  void (*point) (gpointer self, const IocPoint *point);
  /* After each batch of messages taken in (one wake of the main loop, at
   * most every few milliseconds under load) of which n_accepted > 0 were
   * accepted: for sinks that push changes as they happen. */
  void (*batch) (gpointer self, guint n_accepted);
  /* Once per hub tick (1 s), after the rollup ticked and emitted. */
  void (*tick) (gpointer self, gint64 now_us);
  /* After a reload (SIGHUP) took effect. */
  void (*reload) (gpointer self);
  /* ioc_hub_stop(), after the last points were emitted: flush. */
  void (*stop) (gpointer self);
  /* ioc_hub_free().  NULL: whoever registered the sink frees it. */
  void (*free) (gpointer self);
} IocSinkVTable;

G_END_DECLS
