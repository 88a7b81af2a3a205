/* handoff.h — IocHandoff: the one way another thread hands work to a main
 * context.  Two kinds of work travel through it, in one FIFO:
 *
 *   messages  ioc_handoff_push(): a topic, a payload, the arrival time and
 *             a position the producer attaches (the hub: where the journal
 *             holds the message).  Bounded: while `capacity` messages wait,
 *             the producer blocks (the broker then holds the backlog, which
 *             is what a persistent session is for); nothing is dropped.  The
 *             drain function takes them in batches.
 *   calls     ioc_handoff_call(): fn (data) on the main context, then
 *             destroy (data).  A call never blocks and is not counted
 *             against the bound (calls are few: connection changes, a line
 *             InfluxDB refused, another hub's rollup, a probe round's end).
 *
 * Order: work is handled in the order it was posted; a call posted after
 * two messages runs after the drain of those two.  Wake-ups: the first
 * message of a batch waits up to IOC_HANDOFF_BATCH_US for company, so the
 * main loop wakes once per window rather than once per message; a call
 * wakes it at once.
 *
 * Shutdown: ioc_handoff_close() drops what still waits (a call's destroy
 * runs, its fn does not; messages are discarded, so drain them first),
 * releases a producer blocked on the bound and refuses what comes later (a
 * call's destroy then runs at once on the posting thread).  A producer that
 * may outlive the owner (a library callback arriving after the owner is
 * gone) holds a reference; the owner closes, then unrefs.  So fn never runs
 * after the owner closed: it may use the owner without further checks.
 *
 * Threads: push, call, run_in_thread, ref, unref and length from any
 * thread; new, drain_now and close on the main context's thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How long the first message of a batch may wait for company (µs). */
#define IOC_HANDOFF_BATCH_US 1000

typedef struct
{
  guint64 pos_segment; /* the producer's position of the message; carried, not read */
  guint64 pos_offset;
  gint64 arrival_us;
  guint32 topic_len;
  guint32 payload_len;
  gchar data[]; /* topic, NUL, payload, NUL */
} IocHandoffMessage;

static inline const gchar *
ioc_handoff_message_topic (const IocHandoffMessage *msg)
{
  return msg->data;
}

static inline const guint8 *
ioc_handoff_message_payload (const IocHandoffMessage *msg)
{
  return (const guint8 *) msg->data + msg->topic_len + 1;
}

/* Main context: handles a batch in order.  The messages are freed (their
 * memory reused) after it returns. */
typedef void (*IocHandoffDrainFunc) (IocHandoffMessage *const *msgs, guint n, gpointer user_data);
typedef void (*IocHandoffFunc) (gpointer data);

typedef struct _IocHandoff IocHandoff;

/* For calls only, to the thread-default main context of the caller. */
IocHandoff *ioc_handoff_new (void);
/* Messages and calls.  capacity 0: 65536.  Registers the stats
 * iochub_inbox_depth and iochub_inbox_full_waits_total. */
IocHandoff *ioc_handoff_new_inbox (guint capacity, IocHandoffDrainFunc drain, gpointer user_data);
IocHandoff *ioc_handoff_ref (IocHandoff *self);
void        ioc_handoff_unref (IocHandoff *self);
/* Owner, main context: see "Shutdown" above.  Idempotent. */
void        ioc_handoff_close (IocHandoff *self);

/* Any thread but the main one (it may block there).  Copies topic and payload. */
void     ioc_handoff_push (IocHandoff *self, const gchar *topic, gsize topic_len, const guint8 *payload,
                           gsize payload_len, gint64 arrival_us, guint64 pos_segment, guint64 pos_offset);
/* Any thread.  destroy may be NULL. */
void     ioc_handoff_call (IocHandoff *self, IocHandoffFunc fn, gpointer data, GDestroyNotify destroy);
/* Runs work (data) on a new thread of its own (blocking I/O), then done
 * (data) through this hand-off, then destroy (data); after a close only
 * destroy runs.  Cancelling the work is the caller's (a GCancellable in
 * data).  FALSE (error set, destroy run) when no thread could be made. */
gboolean ioc_handoff_run_in_thread (IocHandoff *self, const gchar *name, IocHandoffFunc work, IocHandoffFunc done,
                                    gpointer data, GDestroyNotify destroy, GError **error);

/* Main context: handles what waits now (shutdown, tests). */
void     ioc_handoff_drain_now (IocHandoff *self);
/* Messages waiting. */
guint    ioc_handoff_length (IocHandoff *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocHandoff, ioc_handoff_unref)

G_END_DECLS
