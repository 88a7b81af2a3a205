/* live-feed.h — Server-Sent Events to the wall screens.  Wall displays
 * elsewhere degrade over days (memory grows) and lose their session: here
 * each screen's stream is bounded, needs no login (a read-only display
 * token that a reload can revoke) and restarts from a full snapshot.
 *
 * Knows nothing of the hub: its owner (api-v1) authorizes a request, hands
 * the message over with the snapshot to start from, and broadcasts events
 * on its own clock.  Each client's unsent bytes are bounded; a client that
 * falls further behind is dropped (its EventSource reconnects and gets a
 * fresh snapshot), so a stuck screen never grows the hub's memory.  The
 * number of clients is the gauge iochub_feed_clients; it is capped by its
 * owner (ioc_live_feed_admit), refusals are iochub_feed_refused_total.  Main context only. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _IocLiveFeed IocLiveFeed;

/* A client with more than max_pending_bytes written but not yet sent is
 * dropped; 0 → IOC_LIVE_FEED_DEFAULT_PENDING. */
#define IOC_LIVE_FEED_DEFAULT_PENDING (1024 * 1024)

IocLiveFeed *ioc_live_feed_new (gsize max_pending_bytes);
/* Ends every stream (the server may already be gone). */
void         ioc_live_feed_free (IocLiveFeed *self);

/* Turns msg into an open text/event-stream and sends `event: snapshot`
 * with snapshot_json as its data.  msg must come from a SoupServer handler
 * running now (the feed takes a reference).  credential (copied; may be
 * NULL) is what the stream was opened with, for ioc_live_feed_revoke(). */
void         ioc_live_feed_add_client (IocLiveFeed *self, SoupServerMessage *msg, const gchar *snapshot_json,
                                       const gchar *credential);
/* Ends every stream whose credential keep() no longer accepts (a token
 * removed from the config); returns how many were ended. */
typedef gboolean (*IocLiveFeedKeepFunc) (const gchar *credential, gpointer user_data);
guint        ioc_live_feed_revoke (IocLiveFeed *self, IocLiveFeedKeepFunc keep, gpointer user_data);
/* Sends `event: EVENT\ndata: JSON` to every client; json has no newline
 * (json-glib's compact output). */
void         ioc_live_feed_broadcast (IocLiveFeed *self, const gchar *event, const gchar *json);
/* A comment line, so proxies and the page's watchdog see the stream alive. */
void         ioc_live_feed_heartbeat (IocLiveFeed *self);
guint        ioc_live_feed_n_clients (IocLiveFeed *self);
/* Whether one more client fits under max_clients; a refusal is counted
 * (iochub_feed_refused_total) and logged once while they go on. */
gboolean     ioc_live_feed_admit (IocLiveFeed *self, guint max_clients);
guint64      ioc_live_feed_n_dropped (IocLiveFeed *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocLiveFeed, ioc_live_feed_free)

G_END_DECLS
