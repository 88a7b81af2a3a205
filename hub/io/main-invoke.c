/* main-invoke.c — see main-invoke.h.  Producer: Paho's receive thread.
 * Consumer: the main context, through an idle source scheduled only when
 * the queue goes from "nothing pending" to "something pending", so a burst
 * costs one wake-up, not one per message. */
#include "io/main-invoke.h"

#include <string.h>

#include "protocol/ioc-stats.h"

struct _IocInbox
{
  GMutex lock;
  GCond not_full;
  GPtrArray *queue; /* IocInboxItem*, guarded by lock */
  GPtrArray *spare; /* the consumer's batch buffer, swapped with queue */
  guint capacity;
  gboolean drain_pending;
  gboolean closing;
  GMainContext *context;
  IocInboxDrainFunc drain;
  gpointer user_data;
  IocStat *stat_depth;
  IocStat *stat_blocked;
};

static gboolean drain_cb (gpointer data);

IocInbox *
ioc_inbox_new (guint capacity, IocInboxDrainFunc drain, gpointer user_data)
{
  IocInbox *self = g_new0 (IocInbox, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->not_full);
  self->queue = g_ptr_array_sized_new (1024);
  self->spare = g_ptr_array_sized_new (1024);
  self->capacity = capacity ? capacity : 65536;
  self->context = g_main_context_ref_thread_default ();
  self->drain = drain;
  self->user_data = user_data;
  self->stat_depth = ioc_stat ("iochub_inbox_depth", NULL, IOC_STAT_GAUGE,
                               "Journaled messages waiting for the main loop");
  self->stat_blocked = ioc_stat ("iochub_inbox_full_waits_total", NULL, IOC_STAT_COUNTER,
                                 "Times the MQTT thread waited because the main loop was behind");
  return self;
}

void
ioc_inbox_push (IocInbox *self, const gchar *topic, gsize topic_len, const guint8 *payload, gsize payload_len,
                gint64 arrival_us, guint64 segment, guint64 offset)
{
  IocInboxItem *item = g_malloc (sizeof (IocInboxItem) + topic_len + payload_len + 2);
  item->journal_segment = segment;
  item->journal_offset = offset;
  item->arrival_us = arrival_us;
  item->topic_len = (guint32) topic_len;
  item->payload_len = (guint32) payload_len;
  memcpy (item->data, topic, topic_len);
  item->data[topic_len] = '\0';
  memcpy (item->data + topic_len + 1, payload, payload_len);
  item->data[topic_len + 1 + payload_len] = '\0';

  gboolean schedule = FALSE;
  g_mutex_lock (&self->lock);
  while (self->queue->len >= self->capacity && !self->closing)
    {
      ioc_stat_add (self->stat_blocked, 1);
      gint64 deadline = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;
      g_cond_wait_until (&self->not_full, &self->lock, deadline);
    }
  g_ptr_array_add (self->queue, item);
  ioc_stat_set (self->stat_depth, self->queue->len);
  if (!self->drain_pending)
    {
      self->drain_pending = TRUE;
      schedule = TRUE;
    }
  g_mutex_unlock (&self->lock);

  if (schedule)
    {
      GSource *source = g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, drain_cb, self, NULL);
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
}

static void
drain_batch (IocInbox *self)
{
  g_mutex_lock (&self->lock);
  GPtrArray *batch = self->queue;
  self->queue = self->spare;
  self->spare = NULL;
  self->drain_pending = FALSE;
  ioc_stat_set (self->stat_depth, 0);
  g_cond_broadcast (&self->not_full);
  g_mutex_unlock (&self->lock);

  if (batch->len > 0)
    self->drain ((IocInboxItem *const *) batch->pdata, batch->len, self->user_data);
  for (guint i = 0; i < batch->len; i++)
    g_free (batch->pdata[i]);
  g_ptr_array_set_size (batch, 0);

  g_mutex_lock (&self->lock);
  self->spare = batch;
  g_mutex_unlock (&self->lock);
}

static gboolean
drain_cb (gpointer data)
{
  drain_batch (data);
  return G_SOURCE_REMOVE;
}

void
ioc_inbox_drain_now (IocInbox *self)
{
  drain_batch (self);
}

guint
ioc_inbox_length (IocInbox *self)
{
  g_mutex_lock (&self->lock);
  guint n = self->queue->len;
  g_mutex_unlock (&self->lock);
  return n;
}

void
ioc_inbox_free (IocInbox *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->closing = TRUE;
  g_cond_broadcast (&self->not_full);
  g_mutex_unlock (&self->lock);
  /* A drain source may still be attached: remove it before freeing. */
  while (g_source_remove_by_user_data (self))
    ;
  for (guint i = 0; i < self->queue->len; i++)
    g_free (self->queue->pdata[i]);
  g_ptr_array_unref (self->queue);
  if (self->spare != NULL)
    g_ptr_array_unref (self->spare);
  g_main_context_unref (self->context);
  g_cond_clear (&self->not_full);
  g_mutex_clear (&self->lock);
  g_free (self);
}
