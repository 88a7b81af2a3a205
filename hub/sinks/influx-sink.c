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
};

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
                                        "Point batches the spool could not store");
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

/* The points of one tick become one spool batch. */
static void
flush_batch (IocInfluxSink *self)
{
  if (self->batch->len == 0)
    return;
  g_autoptr (GError) error = NULL;
  if (!ioc_spool_append (self->spool, self->batch->str, self->batch->len, &error))
    {
      /* Not dropped silently: counted, logged; the points are re-emitted
       * after a restart because the snapshot still says "not written". */
      ioc_stat_add (self->stat_spool_failures, 1);
      g_warning ("spool: cannot store %zu bytes of points: %s", self->batch->len, error->message);
    }
  g_string_truncate (self->batch, 0);
}

static void
sink_tick (gpointer data, gint64 now_us)
{
  flush_batch (data);
}

static void
sink_stop (gpointer data)
{
  flush_batch (data);
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
  return ioc_spool_pending_bytes (self->spool);
}
