/* handoff.c — see handoff.h.  Producer: Paho's receive thread.
 * Consumer: the main context.
 *
 * Two costs dominated the hand-off when it woke the main loop for every
 * message (bench/e2e.sh, perf): the eventfd write plus the main loop's
 * poll/futex round per message, and a malloc on one thread freed on the
 * other.  So:
 *   - one GSource lives as long as the inbox; the producer that finds
 *     nothing pending arms it for IOC_HANDOFF_BATCH_US later, and everything
 *     that arrives meanwhile rides along: at most one wake-up per window;
 *   - items are packed into a byte buffer that is swapped, whole, with the
 *     consumer's spare, so steady state allocates nothing. */
#include "io/handoff.h"

#include <string.h>

#include "protocol/ioc-stats.h"

/* How long the first message of a batch may wait for company.  Far below
 * anything a user sees (the rollups are per minute, the live view per
 * second), and at 10 k msg/s it turns 10,000 wake-ups a second into 1,000. */
#define IOC_HANDOFF_BATCH_US 1000

typedef struct
{
  guint8 *data;
  gsize len;
  gsize cap;
  guint count;
} Buffer;

typedef struct
{
  GSource source;
  IocHandoff *inbox;
} DrainSource;

struct _IocHandoff
{
  GMutex lock;
  GCond not_full;
  Buffer queue; /* guarded by lock */
  Buffer spare; /* the consumer's; swapped with queue */
  GPtrArray *batch; /* IocHandoffMessage* into the buffer being drained */
  guint capacity;
  gboolean drain_pending;
  gboolean closing;
  GMainContext *context;
  GSource *source;
  IocHandoffDrainFunc drain;
  gpointer user_data;
  IocStat *stat_depth;
  IocStat *stat_blocked;
};

static void drain_batch (IocHandoff *self);

static gboolean
drain_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  /* Disarm before taking the batch: a producer that finds nothing pending
   * after the swap below arms it again, after this. */
  g_source_set_ready_time (source, -1);
  drain_batch (((DrainSource *) source)->inbox);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs drain_source_funcs = {
  .dispatch = drain_source_dispatch,
};

IocHandoff *
ioc_handoff_new (guint capacity, IocHandoffDrainFunc drain, gpointer user_data)
{
  IocHandoff *self = g_new0 (IocHandoff, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->not_full);
  self->batch = g_ptr_array_sized_new (1024);
  self->capacity = capacity ? capacity : 65536;
  self->context = g_main_context_ref_thread_default ();
  self->drain = drain;
  self->user_data = user_data;
  self->stat_depth = ioc_stat ("iochub_inbox_depth", NULL, IOC_STAT_GAUGE,
                               "Journaled messages waiting for the main loop");
  self->stat_blocked = ioc_stat ("iochub_inbox_full_waits_total", NULL, IOC_STAT_COUNTER,
                                 "Times the MQTT thread waited because the main loop was behind");
  self->source = g_source_new (&drain_source_funcs, sizeof (DrainSource));
  ((DrainSource *) self->source)->inbox = self;
  g_source_set_priority (self->source, G_PRIORITY_DEFAULT);
  g_source_set_name (self->source, "ioc-inbox");
  g_source_attach (self->source, self->context);
  return self;
}

static gsize
item_size (gsize topic_len, gsize payload_len)
{
  /* Rounded up so the next item's 64-bit fields stay aligned. */
  return (sizeof (IocHandoffMessage) + topic_len + payload_len + 2 + 7) & ~(gsize) 7;
}

void
ioc_handoff_push (IocHandoff *self, const gchar *topic, gsize topic_len, const guint8 *payload, gsize payload_len,
                gint64 arrival_us, guint64 segment, guint64 offset)
{
  gsize size = item_size (topic_len, payload_len);
  gboolean schedule = FALSE;

  g_mutex_lock (&self->lock);
  while (self->queue.count >= self->capacity && !self->closing)
    {
      ioc_stat_add (self->stat_blocked, 1);
      gint64 deadline = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;
      g_cond_wait_until (&self->not_full, &self->lock, deadline);
    }
  Buffer *q = &self->queue;
  if (q->len + size > q->cap)
    {
      q->cap = MAX (q->cap * 2, MAX (q->len + size, 64 * 1024));
      q->data = g_realloc (q->data, q->cap);
    }
  IocHandoffMessage *item = (IocHandoffMessage *) (q->data + q->len);
  q->len += size;
  q->count++;
  item->journal_segment = segment;
  item->journal_offset = offset;
  item->arrival_us = arrival_us;
  item->topic_len = (guint32) topic_len;
  item->payload_len = (guint32) payload_len;
  memcpy (item->data, topic, topic_len);
  item->data[topic_len] = '\0';
  memcpy (item->data + topic_len + 1, payload, payload_len);
  item->data[topic_len + 1 + payload_len] = '\0';
  ioc_stat_set (self->stat_depth, q->count);
  if (!self->drain_pending)
    {
      self->drain_pending = TRUE;
      schedule = TRUE;
    }
  g_mutex_unlock (&self->lock);

  /* Wakes the main context (it is not ours) once per batch. */
  if (schedule)
    g_source_set_ready_time (self->source, g_get_monotonic_time () + IOC_HANDOFF_BATCH_US);
}

static void
drain_batch (IocHandoff *self)
{
  g_mutex_lock (&self->lock);
  Buffer batch = self->queue;
  self->queue = self->spare;
  self->spare = (Buffer) { 0 };
  self->drain_pending = FALSE;
  ioc_stat_set (self->stat_depth, 0);
  g_cond_broadcast (&self->not_full);
  g_mutex_unlock (&self->lock);

  g_ptr_array_set_size (self->batch, 0);
  for (gsize off = 0; off < batch.len;)
    {
      IocHandoffMessage *item = (IocHandoffMessage *) (batch.data + off);
      g_ptr_array_add (self->batch, item);
      off += item_size (item->topic_len, item->payload_len);
    }
  if (self->batch->len > 0)
    self->drain ((IocHandoffMessage *const *) self->batch->pdata, self->batch->len, self->user_data);
  g_ptr_array_set_size (self->batch, 0);
  batch.len = 0;
  batch.count = 0;

  g_mutex_lock (&self->lock);
  self->spare = batch;
  g_mutex_unlock (&self->lock);
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

void
ioc_handoff_free (IocHandoff *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->closing = TRUE;
  g_cond_broadcast (&self->not_full);
  g_mutex_unlock (&self->lock);
  g_source_destroy (self->source);
  g_source_unref (self->source);
  g_free (self->queue.data);
  g_free (self->spare.data);
  g_ptr_array_unref (self->batch);
  g_main_context_unref (self->context);
  g_cond_clear (&self->not_full);
  g_mutex_clear (&self->lock);
  g_free (self);
}
