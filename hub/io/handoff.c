/* handoff.c — see handoff.h.  Producers: any thread (Paho's, the InfluxDB
 * writer's, a probe worker).  Consumer: the main context it was made on.
 *
 * Two costs dominated the hand-off when it woke the main loop for every
 * message (bench/e2e.sh, perf): the eventfd write plus the main loop's
 * poll/futex round per message, and a malloc on one thread freed on the
 * other.  So:
 *   - one GSource lives as long as the hand-off is open; the producer that
 *     finds nothing pending arms it for IOC_HANDOFF_BATCH_US later, and
 *     everything that arrives meanwhile rides along: at most one wake-up
 *     per window (a call arms it for now);
 *   - messages and calls are packed, in order, into a byte buffer that is
 *     swapped, whole, with the consumer's spare, so steady state allocates
 *     nothing.  A call is an entry whose topic_len is CALL_MARK and whose
 *     data holds a Call. */
#include "io/handoff.h"

#include <string.h>

#include "protocol/ioc-stats.h"

#define CALL_MARK G_MAXUINT32

typedef struct
{
  IocHandoffFunc fn;
  gpointer data;
  GDestroyNotify destroy;
} Call;

typedef struct
{
  guint8 *data;
  gsize len;
  gsize cap;
  guint count; /* messages (calls are not counted against the bound) */
} Buffer;

typedef struct
{
  GSource source;
  IocHandoff *handoff;
} DrainSource;

typedef enum
{
  WAKE_NONE,  /* nothing queued since the last drain took the queue */
  WAKE_BATCH, /* armed for IOC_HANDOFF_BATCH_US after the first message */
  WAKE_NOW,   /* armed for now: a call waits */
} Wake;

struct _IocHandoff
{
  gint ref; /* atomic */
  GMutex lock;
  GCond not_full;
  Buffer queue;   /* guarded by lock */
  Wake wake;      /* guarded by lock */
  gboolean closed; /* written under lock, on the main context */
  Buffer spare;   /* the consumer's; swapped with queue */
  GPtrArray *batch; /* IocHandoffMessage* into the buffer being drained */
  gboolean draining;
  guint capacity;
  GMainContext *context;
  GSource *source;
  IocHandoffDrainFunc drain; /* NULL: calls only */
  gpointer user_data;
  IocStat *stat_depth;   /* NULL for calls only */
  IocStat *stat_blocked;
};

static void drain_batch (IocHandoff *self);

static gboolean
drain_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  /* Disarm before taking the batch: a producer that finds nothing pending
   * after the swap arms it again, after this. */
  g_source_set_ready_time (source, -1);
  drain_batch (((DrainSource *) source)->handoff);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs drain_source_funcs = {
  .dispatch = drain_source_dispatch,
};

static IocHandoff *
handoff_new (guint capacity, IocHandoffDrainFunc drain, gpointer user_data)
{
  IocHandoff *self = g_new0 (IocHandoff, 1);
  self->ref = 1;
  g_mutex_init (&self->lock);
  g_cond_init (&self->not_full);
  self->batch = g_ptr_array_sized_new (drain != NULL ? 1024 : 0);
  self->capacity = capacity ? capacity : 65536;
  self->context = g_main_context_ref_thread_default ();
  self->drain = drain;
  self->user_data = user_data;
  self->source = g_source_new (&drain_source_funcs, sizeof (DrainSource));
  ((DrainSource *) self->source)->handoff = self;
  g_source_set_priority (self->source, G_PRIORITY_DEFAULT);
  g_source_set_name (self->source, drain != NULL ? "ioc-inbox" : "ioc-handoff");
  g_source_attach (self->source, self->context);
  return self;
}

IocHandoff *
ioc_handoff_new (void)
{
  return handoff_new (0, NULL, NULL);
}

IocHandoff *
ioc_handoff_new_inbox (guint capacity, IocHandoffDrainFunc drain, gpointer user_data)
{
  g_return_val_if_fail (drain != NULL, NULL);
  IocHandoff *self = handoff_new (capacity, drain, user_data);
  self->stat_depth = ioc_stat ("iochub_inbox_depth", NULL, IOC_STAT_GAUGE,
                               "Journaled messages waiting for the main loop");
  self->stat_blocked = ioc_stat ("iochub_inbox_full_waits_total", NULL, IOC_STAT_COUNTER,
                                 "Times the MQTT thread waited because the main loop was behind");
  return self;
}

static gsize
entry_size (gsize topic_len, gsize payload_len)
{
  /* Rounded up so the next entry's 64-bit fields stay aligned. */
  return (sizeof (IocHandoffMessage) + topic_len + payload_len + 2 + 7) & ~(gsize) 7;
}

static gsize
entry_size_of (const IocHandoffMessage *e)
{
  return e->topic_len == CALL_MARK ? entry_size (sizeof (Call), 0) : entry_size (e->topic_len, e->payload_len);
}

/* Under lock: room for one more entry of size bytes at the queue's end. */
static IocHandoffMessage *
queue_append (IocHandoff *self, gsize size)
{
  Buffer *q = &self->queue;
  if (q->len + size > q->cap)
    {
      q->cap = MAX (q->cap * 2, MAX (q->len + size, 64 * 1024));
      q->data = g_realloc (q->data, q->cap);
    }
  IocHandoffMessage *e = (IocHandoffMessage *) (q->data + q->len);
  q->len += size;
  return e;
}

void
ioc_handoff_push (IocHandoff *self, const gchar *topic, gsize topic_len, const guint8 *payload, gsize payload_len,
                  gint64 arrival_us, guint64 pos_segment, guint64 pos_offset)
{
  g_return_if_fail (self->drain != NULL && topic_len < CALL_MARK && payload_len < G_MAXUINT32);
  gboolean schedule = FALSE;

  g_mutex_lock (&self->lock);
  while (self->queue.count >= self->capacity && !self->closed)
    {
      ioc_stat_add (self->stat_blocked, 1);
      gint64 deadline = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;
      g_cond_wait_until (&self->not_full, &self->lock, deadline);
    }
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  IocHandoffMessage *msg = queue_append (self, entry_size (topic_len, payload_len));
  self->queue.count++;
  msg->pos_segment = pos_segment;
  msg->pos_offset = pos_offset;
  msg->arrival_us = arrival_us;
  msg->topic_len = (guint32) topic_len;
  msg->payload_len = (guint32) payload_len;
  memcpy (msg->data, topic, topic_len);
  msg->data[topic_len] = '\0';
  memcpy (msg->data + topic_len + 1, payload, payload_len);
  msg->data[topic_len + 1 + payload_len] = '\0';
  ioc_stat_set (self->stat_depth, self->queue.count);
  if (self->wake == WAKE_NONE)
    {
      self->wake = WAKE_BATCH;
      schedule = TRUE;
    }
  g_mutex_unlock (&self->lock);

  /* Wakes the main context (it is not ours) once per batch. */
  if (schedule)
    g_source_set_ready_time (self->source, g_get_monotonic_time () + IOC_HANDOFF_BATCH_US);
}

void
ioc_handoff_call (IocHandoff *self, IocHandoffFunc fn, gpointer data, GDestroyNotify destroy)
{
  g_return_if_fail (fn != NULL);
  gboolean schedule = FALSE;

  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      if (destroy != NULL)
        destroy (data);
      return;
    }
  IocHandoffMessage *e = queue_append (self, entry_size (sizeof (Call), 0));
  memset (e, 0, sizeof *e);
  e->topic_len = CALL_MARK;
  Call call = { fn, data, destroy };
  memcpy (e->data, &call, sizeof call);
  if (self->wake != WAKE_NOW)
    {
      self->wake = WAKE_NOW;
      schedule = TRUE;
    }
  g_mutex_unlock (&self->lock);

  if (schedule)
    g_source_set_ready_time (self->source, 0);
}

/* Runs or drops what a taken buffer holds; main context.  After a close
 * (also one made by a call in this very batch) nothing more runs. */
static void
handle_entries (IocHandoff *self, Buffer *taken)
{
  g_ptr_array_set_size (self->batch, 0);
  for (gsize off = 0; off < taken->len;)
    {
      IocHandoffMessage *e = (IocHandoffMessage *) (taken->data + off);
      off += entry_size_of (e);
      if (e->topic_len != CALL_MARK)
        {
          g_ptr_array_add (self->batch, e);
          continue;
        }
      /* A call: the messages before it first. */
      if (self->batch->len > 0 && !self->closed)
        self->drain ((IocHandoffMessage *const *) self->batch->pdata, self->batch->len, self->user_data);
      g_ptr_array_set_size (self->batch, 0);
      Call call;
      memcpy (&call, e->data, sizeof call);
      if (!self->closed)
        call.fn (call.data);
      if (call.destroy != NULL)
        call.destroy (call.data);
    }
  if (self->batch->len > 0 && !self->closed)
    self->drain ((IocHandoffMessage *const *) self->batch->pdata, self->batch->len, self->user_data);
  g_ptr_array_set_size (self->batch, 0);
}

static void
drain_batch (IocHandoff *self)
{
  /* A drain_now from inside a drain would reorder work: the outer one goes
   * on, and what was queued meanwhile has armed its own wake-up. */
  if (self->draining)
    return;
  self->draining = TRUE;
  ioc_handoff_ref (self); /* a call may drop the owner's reference */

  g_mutex_lock (&self->lock);
  Buffer taken = self->queue;
  self->queue = self->spare;
  self->spare = (Buffer) { 0 };
  self->wake = WAKE_NONE;
  if (self->stat_depth != NULL)
    ioc_stat_set (self->stat_depth, 0);
  g_cond_broadcast (&self->not_full);
  g_mutex_unlock (&self->lock);

  handle_entries (self, &taken);
  taken.len = 0;
  taken.count = 0;

  g_mutex_lock (&self->lock);
  if (self->spare.data == NULL)
    self->spare = taken;
  else
    g_free (taken.data);
  g_mutex_unlock (&self->lock);

  self->draining = FALSE;
  ioc_handoff_unref (self);
}

void
ioc_handoff_drain_now (IocHandoff *self)
{
  drain_batch (self);
}

guint
ioc_handoff_length (IocHandoff *self)
{
  g_mutex_lock (&self->lock);
  guint n = self->queue.count;
  g_mutex_unlock (&self->lock);
  return n;
}

/* Destroys the calls of a buffer without running them, and frees it. */
static void
discard (Buffer *b)
{
  for (gsize off = 0; off < b->len;)
    {
      IocHandoffMessage *e = (IocHandoffMessage *) (b->data + off);
      off += entry_size_of (e);
      if (e->topic_len == CALL_MARK)
        {
          Call call;
          memcpy (&call, e->data, sizeof call);
          if (call.destroy != NULL)
            call.destroy (call.data);
        }
    }
  g_free (b->data);
  *b = (Buffer) { 0 };
}

void
ioc_handoff_close (IocHandoff *self)
{
  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->closed = TRUE;
  Buffer waiting = self->queue;
  self->queue = (Buffer) { 0 };
  g_cond_broadcast (&self->not_full);
  g_mutex_unlock (&self->lock);
  g_source_destroy (self->source);
  discard (&waiting);
}

IocHandoff *
ioc_handoff_ref (IocHandoff *self)
{
  g_atomic_int_inc (&self->ref);
  return self;
}

void
ioc_handoff_unref (IocHandoff *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref))
    return;
  ioc_handoff_close (self);
  g_source_unref (self->source);
  g_free (self->spare.data);
  g_ptr_array_unref (self->batch);
  g_main_context_unref (self->context);
  g_cond_clear (&self->not_full);
  g_mutex_clear (&self->lock);
  g_free (self);
}

typedef struct
{
  IocHandoff *handoff;
  IocHandoffFunc work;
  IocHandoffFunc done;
  gpointer data;
  GDestroyNotify destroy;
} Job;

static void
job_free (gpointer p)
{
  Job *job = p;
  if (job->destroy != NULL)
    job->destroy (job->data);
  ioc_handoff_unref (job->handoff);
  g_free (job);
}

static void
job_done_cb (gpointer p)
{
  Job *job = p;
  job->done (job->data);
}

static gpointer
job_thread (gpointer p)
{
  Job *job = p;
  job->work (job->data);
  ioc_handoff_call (job->handoff, job_done_cb, job, job_free);
  return NULL;
}

gboolean
ioc_handoff_run_in_thread (IocHandoff *self, const gchar *name, IocHandoffFunc work, IocHandoffFunc done,
                           gpointer data, GDestroyNotify destroy, GError **error)
{
  g_return_val_if_fail (work != NULL && done != NULL, FALSE);
  Job *job = g_new0 (Job, 1);
  job->handoff = ioc_handoff_ref (self);
  job->work = work;
  job->done = done;
  job->data = data;
  job->destroy = destroy;
  GThread *thread = g_thread_try_new (name, job_thread, job, error);
  if (thread == NULL)
    {
      job_free (job);
      return FALSE;
    }
  g_thread_unref (thread); /* detached: it ends by handing its result over */
  return TRUE;
}
