/* handoff.h — the hand-off of journaled messages from Paho's receive
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
} IocHandoffMessage;

static inline const gchar *
ioc_handoff_message_topic (const IocHandoffMessage *item)
{
  return item->data;
}

static inline const guint8 *
ioc_handoff_message_payload (const IocHandoffMessage *item)
{
  return (const guint8 *) item->data + item->topic_len + 1;
}

/* Main context: handles a batch in order.  Items are freed after it returns. */
typedef void (*IocHandoffDrainFunc) (IocHandoffMessage *const *items, guint n, gpointer user_data);

typedef struct _IocHandoff IocHandoff;

IocHandoff *ioc_handoff_new (guint capacity, IocHandoffDrainFunc drain, gpointer user_data);
void      ioc_handoff_free (IocHandoff *self);
/* Producer side; any thread but the main one.  Copies topic and payload. */
void      ioc_handoff_push (IocHandoff *self, const gchar *topic, gsize topic_len, const guint8 *payload,
                          gsize payload_len, gint64 arrival_us, guint64 segment, guint64 offset);
/* Main context: drains now (used at shutdown and by tests). */
void      ioc_handoff_drain_now (IocHandoff *self);
guint     ioc_handoff_length (IocHandoff *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocHandoff, ioc_handoff_free)

G_END_DECLS
