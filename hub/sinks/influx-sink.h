/* influx-sink.h — IocInfluxSink: the hub's points on their way to InfluxDB
 * 1.x (SPEC §6, §7), as one IocSink.
 *
 *   point ─► line protocol (line-protocol.h), batched in memory
 *   tick  ─► the batch appended to the on-disk spool (spool.h)
 *   writer thread (influx-writer.h) ─► POST /write, commit, retry, split
 *   a line InfluxDB refuses alone ─► on_reject, on the main context
 *
 * Nothing owed to InfluxDB lives only in memory for longer than one tick
 * while the spool takes it.  A batch the spool cannot store (a full disk)
 * is counted (iochub_spool_append_failures_total), logged, held in memory
 * (iochub_spool_held_bytes, bounded) and stored in order at a later tick;
 * what is held past the bound or at the stop is lost and counted
 * (iochub_spool_held_dropped_bytes_total).
 *
 * Threads: everything here on the main context; the writer thread only
 * hands refused lines over, through the sink's IocHandoff. */
#pragma once

#include <glib.h>

#include "sinks/influx-writer.h"
#include "sinks/sink.h"

G_BEGIN_DECLS

typedef struct
{
  const gchar *province; /* tags of every line */
  const gchar *hub_id;
  const gchar *spool_dir;
  guint64 spool_max_bytes;
  IocInfluxOptions writer; /* url, database, credentials, batch, timeout, gzip */
} IocInfluxSinkOptions;

/* Main context: InfluxDB refused this line alone (400) and it will not be
 * sent again.  topic names where it came from (ioc/v1/<p>/hub/<id>/influx),
 * for the dead letter; why is InfluxDB's message. */
typedef void (*IocInfluxSinkRejectFunc) (const gchar *topic, const gchar *line, const gchar *why,
                                         gpointer user_data);

typedef struct _IocInfluxSink IocInfluxSink;

/* Opens (and repairs) the spool; the writer starts with the sink's start.
 * Copies opts. */
IocInfluxSink *ioc_influx_sink_new (const IocInfluxSinkOptions *opts, IocInfluxSinkRejectFunc on_reject,
                                    gpointer user_data, GError **error);
/* Stops the writer (what it did not commit stays spooled) and closes the
 * spool; a refused line not yet handed over is dropped. */
void           ioc_influx_sink_free (IocInfluxSink *self);
/* The vtable to register it with (its free is ioc_influx_sink_free). */
const IocSinkVTable *ioc_influx_sink_vtable (void);
/* Lines already in the line protocol, each ending in '\n' (a consumer's
 * own measurement, such as the scorecard's ioc_score): spooled with the
 * next tick's batch, written like the points.  Main context. */
void           ioc_influx_sink_append_lines (IocInfluxSink *self, const gchar *lines, gsize len);
/* TRUE while the last write succeeded, or before the first. */
gboolean       ioc_influx_sink_is_healthy (IocInfluxSink *self);
/* Bytes spooled and not yet committed by InfluxDB. */
guint64        ioc_influx_sink_pending_bytes (IocInfluxSink *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocInfluxSink, ioc_influx_sink_free)

G_END_DECLS
