/* test-stream.c — see test-stream.h. */
#include "test-stream.h"

struct _IocTestStream
{
  GThread *thread;
  IocTestPublisher *pub;
  guint n;
  guint rate_per_s;
  IocTestStreamFunc fn;
  gpointer user_data;
};

static gpointer
stream_thread (gpointer data)
{
  IocTestStream *self = data;
  gint64 start = g_get_monotonic_time ();
  for (guint i = 0; i < self->n; i++)
    {
      self->fn (i, self->pub, self->user_data);
      gint64 due = start + (gint64) (i + 1) * G_TIME_SPAN_SECOND / self->rate_per_s;
      gint64 now = g_get_monotonic_time ();
      if (due > now)
        g_usleep ((gulong) (due - now)); /* pacing, not waiting for a condition */
    }
  return NULL;
}

IocTestStream *
ioc_test_stream_start (IocTestPublisher *pub, guint n, guint rate_per_s, IocTestStreamFunc fn, gpointer user_data)
{
  g_return_val_if_fail (rate_per_s > 0 && fn != NULL, NULL);
  IocTestStream *self = g_new0 (IocTestStream, 1);
  self->pub = pub;
  self->n = n;
  self->rate_per_s = rate_per_s;
  self->fn = fn;
  self->user_data = user_data;
  self->thread = g_thread_new ("test-stream", stream_thread, self);
  return self;
}

void
ioc_test_stream_join (IocTestStream *self)
{
  g_thread_join (self->thread);
  g_free (self);
}
