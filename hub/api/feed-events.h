/* feed-events.h — what the wall's live feed (/api/v1/feed) sends, and
 * when: a snapshot to a screen that connects, then deltas holding only what
 * changed, pushed soon after the hub takes messages in (coalesced, at most
 * 4 a second) and on the 1 s tick; an empty delta as a keep-alive at least
 * every 2 s, so a screen can tell a quiet province from a dead hub.
 *
 * The documents come from api-docs; the SSE transport (one stream per
 * screen, bounded, revocable) is live-feed, which this owns.  Main context
 * only. */
#pragma once

#include <libsoup/soup.h>

#include "api/api-docs.h"
#include "api/live-feed.h"

G_BEGIN_DECLS

typedef struct _IocFeedEvents IocFeedEvents;

/* docs is borrowed and must outlive the feed. */
IocFeedEvents *ioc_feed_events_new (const IocApiDocs *docs);
/* Ends every stream; a pending flush is cancelled. */
void           ioc_feed_events_free (IocFeedEvents *self);

/* A screen connects: msg comes from a handler running now, authorized
 * with credential (copied; may be NULL).  The others get what changed
 * first, then this one its snapshot. */
void  ioc_feed_events_add_client (IocFeedEvents *self, SoupServerMessage *msg, const gchar *credential);
/* Whether one more screen fits under max_clients (ioc_live_feed_admit). */
gboolean ioc_feed_events_admit (IocFeedEvents *self, guint max_clients);
/* The hub took a batch in: a delta goes out soon (coalesced, spaced). */
void  ioc_feed_events_changed (IocFeedEvents *self);
/* The hub's 1 s tick: what time alone changes, and the keep-alive. */
void  ioc_feed_events_tick (IocFeedEvents *self);
/* Ends the streams whose credential keep() no longer accepts (a token
 * a reload removed); returns how many. */
guint ioc_feed_events_revoke (IocFeedEvents *self, IocLiveFeedKeepFunc keep, gpointer user_data);

/* The event's JSON text as of now_us: everything (full) or only what
 * changed since the previous event; NULL when a delta would carry nothing.
 * The record of what was sent moves to now either way.  Exposed for the
 * tests; the feed calls it itself. */
gchar *ioc_feed_events_build (IocFeedEvents *self, gboolean full, gint64 now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocFeedEvents, ioc_feed_events_free)

G_END_DECLS
