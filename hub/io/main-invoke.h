/* main-invoke.h — the hand-off of journaled messages from Paho's receive
 * thread to the main context.
 *
 * A bounded FIFO.  The producer (Paho thread) pushes and, when the consumer
 * has no drain pending, schedules one on the main context about a
 * millisecond later; the drain takes every queued item in one batch.  When the queue is full the producer blocks
 * (up to a bound, then waits again): the broker then holds the backlog, which
 * is what a persistent session is for.  Nothing is ever dropped here. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 journal_segment; /* IocJournalPos of the record, after it */
  guint64 journal_offset;
  gint64 arrival_us;
  guint32 topic_len;
  guint32 payload_len;
  gchar data[]; /* topic, NUL, payload, NUL */
} IocInboxItem;

static inline const gchar *
ioc_inbox_item_topic (const IocInboxItem *item)
{
  return item->data;
}

static inline const guint8 *
ioc_inbox_item_payload (const IocInboxItem *item)
{
  return (const guint8 *) item->data + item->topic_len + 1;
}

/* Main context: handles a batch in order.  Items are freed after it returns. */
typedef void (*IocInboxDrainFunc) (IocInboxItem *const *items, guint n, gpointer user_data);

typedef struct _IocInbox IocInbox;

IocInbox *ioc_inbox_new (guint capacity, IocInboxDrainFunc drain, gpointer user_data);
void      ioc_inbox_free (IocInbox *self);
/* Producer side; any thread but the main one.  Copies topic and payload. */
void      ioc_inbox_push (IocInbox *self, const gchar *topic, gsize topic_len, const guint8 *payload,
                          gsize payload_len, gint64 arrival_us, guint64 segment, guint64 offset);
/* Main context: drains now (used at shutdown and by tests). */
void      ioc_inbox_drain_now (IocInbox *self);
guint     ioc_inbox_length (IocInbox *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocInbox, ioc_inbox_free)

G_END_DECLS
