/* influx-sink.c — see influx-sink.h.  Main context, except
 * writer_reject_cb() (the writer thread), which only copies and hands over. */
#include "sinks/influx-sink.h"

#include <string.h>

#include "io/handoff.h"
#include "protocol/ioc-stats.h"
#include "sinks/line-protocol.h"
#include "sinks/spool.h"

struct _IocInfluxSink
{
  gchar *province;
  gchar *hub_id;
  IocInfluxOptions writer_opts; /* strings owned */
  IocSpool *spool;
  IocInfluxWriter *writer; /* from start */
  GString *batch;          /* lines of the points since the last tick */
  IocHandoff *handoff;     /* writer thread → main context */
  gchar *reject_topic;
  IocInfluxSinkRejectFunc on_reject;
  gpointer user_data;
  IocStat *stat_spool_failures;
  IocStat *stat_held_bytes;
  IocStat *stat_held_dropped;
  gsize hold_max;         /* what a failed append may keep in memory */
  gint64 held_since_us;   /* monotonic; 0: nothing held */
  gint64 last_warning_us; /* monotonic */
};

/* A spool append that fails (the disk full, an I/O error) keeps its points
 * in memory and tries again at the next tick, so that freeing space loses
 * nothing (SPEC §7: nothing owed to InfluxDB is dropped).  At most this
 * much, or half the spool's bound: past it the held points are dropped,
 * counted and logged. */
#define IOC_INFLUX_SINK_HOLD_MAX ((gsize) 64 << 20)

/* A refused line on its way from the writer thread: one allocation, freed
 * with g_free. */
typedef struct
{
  IocInfluxSink *sink; /* valid when the call runs: the hand-off is closed before free */
  gchar *why;          /* into line[], after the line */
  gchar line[];
} RejectedLine;

static void
rejected_line_cb (gpointer data)
{
  RejectedLine *rl = data;
  IocInfluxSink *self = rl->sink;
  if (self->on_reject != NULL)
    self->on_reject (self->reject_topic, rl->line, rl->why, self->user_data);
}

/* Writer thread. */
static void
writer_reject_cb (const gchar *line, gsize len, const gchar *influx_error, gpointer user_data)
{
  IocInfluxSink *self = user_data;
  const gchar *why = influx_error ? influx_error : "rejected by InfluxDB";
  gsize why_len = strlen (why);
  RejectedLine *rl = g_malloc (sizeof *rl + len + 1 + why_len + 1);
  rl->sink = self;
  memcpy (rl->line, line, len);
  rl->line[len] = '\0';
  rl->why = rl->line + len + 1;
  memcpy (rl->why, why, why_len + 1);
  ioc_handoff_call (self->handoff, rejected_line_cb, rl, g_free);
}

IocInfluxSink *
ioc_influx_sink_new (const IocInfluxSinkOptions *opts, IocInfluxSinkRejectFunc on_reject, gpointer user_data,
                     GError **error)
{
  g_autoptr (IocInfluxSink) self = g_new0 (IocInfluxSink, 1);
  self->province = g_strdup (opts->province);
  self->hub_id = g_strdup (opts->hub_id);
  self->writer_opts = opts->writer;
  self->writer_opts.url = g_strdup (opts->writer.url);
  self->writer_opts.database = g_strdup (opts->writer.database);
  self->writer_opts.username = g_strdup (opts->writer.username);
  self->writer_opts.password = g_strdup (opts->writer.password);
  self->batch = g_string_sized_new (64 * 1024);
  self->handoff = ioc_handoff_new ();
  self->reject_topic = g_strdup_printf ("ioc/v1/%s/hub/%s/influx", opts->province, opts->hub_id);
  self->on_reject = on_reject;
  self->user_data = user_data;
  self->stat_spool_failures = ioc_stat ("iochub_spool_append_failures_total", NULL, IOC_STAT_COUNTER,
                                        "Attempts to store a tick's points in the spool that failed");
  self->stat_held_bytes = ioc_stat ("iochub_spool_held_bytes", NULL, IOC_STAT_GAUGE,
                                    "Points the spool could not store yet, held in memory and tried again each tick");
  self->stat_held_dropped = ioc_stat ("iochub_spool_held_dropped_bytes_total", NULL, IOC_STAT_COUNTER,
                                      "Points held for the spool that were lost: more than the hub holds, or "
                                      "still held at its stop");
  self->hold_max = (gsize) MIN ((guint64) IOC_INFLUX_SINK_HOLD_MAX, opts->spool_max_bytes / 2);
  self->spool = ioc_spool_open (opts->spool_dir, opts->spool_max_bytes, error);
  if (self->spool == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

static gboolean
sink_start (gpointer data, GError **error)
{
  IocInfluxSink *self = data;
  g_return_val_if_fail (self->writer == NULL, FALSE);
  self->writer = ioc_influx_writer_new (&self->writer_opts, self->spool, writer_reject_cb, self, error);
  if (self->writer == NULL)
    return FALSE;
  ioc_influx_writer_start (self->writer);
  return TRUE;
}

static void
sink_point (gpointer data, const IocPoint *point)
{
  IocInfluxSink *self = data;
  ioc_lp_append_point (self->batch, point, self->province, self->hub_id);
}

void
ioc_influx_sink_append_lines (IocInfluxSink *self, const gchar *lines, gsize len)
{
  g_return_if_fail (self != NULL && lines != NULL);
  g_string_append_len (self->batch, lines, (gssize) len);
}

/* The points of one tick become one spool batch (with any held from
 * earlier ticks in front of them, in order).  stopping: the last chance,
 * what cannot be stored now is lost (and said so). */
static void
flush_batch (IocInfluxSink *self, gboolean stopping)
{
  if (self->batch->len == 0)
    return;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_monotonic_time ();
  if (ioc_spool_append (self->spool, self->batch->str, self->batch->len, &error))
    {
      if (self->held_since_us != 0)
        g_message ("spool: stored the points held in memory for %" G_GINT64_FORMAT " s (%zu bytes)",
                   (now - self->held_since_us) / G_USEC_PER_SEC, self->batch->len);
      self->held_since_us = 0;
      g_string_truncate (self->batch, 0);
      ioc_stat_set (self->stat_held_bytes, 0);
      return;
    }
  ioc_stat_add (self->stat_spool_failures, 1);
  gboolean keep = !stopping && self->batch->len <= self->hold_max;
  if (self->held_since_us == 0 || !keep || now - self->last_warning_us >= G_TIME_SPAN_MINUTE)
    {
      g_warning ("spool: cannot store %zu bytes of points: %s; %s", self->batch->len, error->message,
                 keep       ? "they are held in memory and tried again each second"
                 : stopping ? "lost: the hub stops"
                            : "lost: more are held than the hub keeps in memory");
      self->last_warning_us = now;
    }
  if (!keep)
    {
      ioc_stat_add (self->stat_held_dropped, (gint64) self->batch->len);
      g_string_truncate (self->batch, 0);
      self->held_since_us = 0;
    }
  else if (self->held_since_us == 0)
    self->held_since_us = now;
  ioc_stat_set (self->stat_held_bytes, (gint64) self->batch->len);
}

static void
sink_tick (gpointer data, gint64 now_us)
{
  flush_batch (data, FALSE);
}

static void
sink_stop (gpointer data)
{
  flush_batch (data, TRUE);
}

void
ioc_influx_sink_free (IocInfluxSink *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->writer, ioc_influx_writer_free); /* joins the writer thread */
  if (self->handoff != NULL)
    ioc_handoff_close (self->handoff);
  g_clear_pointer (&self->handoff, ioc_handoff_unref);
  g_clear_pointer (&self->spool, ioc_spool_free);
  if (self->batch != NULL)
    g_string_free (self->batch, TRUE);
  g_free (self->writer_opts.url);
  g_free (self->writer_opts.database);
  g_free (self->writer_opts.username);
  g_free (self->writer_opts.password);
  g_free (self->reject_topic);
  g_free (self->province);
  g_free (self->hub_id);
  g_free (self);
}

static void
sink_free (gpointer data)
{
  ioc_influx_sink_free (data);
}

static const IocSinkVTable influx_sink_vtable = {
  .name = "influxdb",
  .start = sink_start,
  .point = sink_point,
  .tick = sink_tick,
  .stop = sink_stop,
  .free = sink_free,
};

const IocSinkVTable *
ioc_influx_sink_vtable (void)
{
  return &influx_sink_vtable;
}

gboolean
ioc_influx_sink_is_healthy (IocInfluxSink *self)
{
  return self->writer == NULL || ioc_influx_writer_is_healthy (self->writer);
}

guint64
ioc_influx_sink_pending_bytes (IocInfluxSink *self)
{
  return ioc_spool_pending (self->spool).bytes;
}
