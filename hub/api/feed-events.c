/* feed-events.c — what the live feed sends, and when (see feed-events.h).
 *
 * A snapshot when a screen connects; then deltas pushed as the hub takes
 * messages in (ioc_feed_events_changed, from the API sink's batch),
 * coalesced and spaced (FEED_*), and on the 1 s tick for what time alone
 * changes (deadlines passing, minutes closing, devices going quiet).  A
 * delta holds only what changed since the previous event: the unit rows
 * whose numbers moved, and the summary, ranking and alerts when their text
 * differs from what was sent.  Every screen gets the same events, so one
 * record of what was sent serves all; a screen that connects later starts
 * from its own snapshot.  The documents come from api-docs, the bytes go
 * out through live-feed (the SSE transport).  Main context only. */
#include "api/feed-events.h"

#include <string.h>

#include "api/api-reply.h"
#include "protocol/ioc-stats.h"

/* The live feed pushes changes as they happen, coalesced: the first change
 * after a quiet spell goes out FEED_COALESCE_MS later (so a burst travels
 * as one event), and two events are at least FEED_MIN_INTERVAL_MS apart (so
 * a busy province costs the hub at most 4 deltas a second).  With nothing
 * new, an empty delta goes out on the first 1 s tick FEED_KEEPALIVE_US after
 * the last event, so a screen hears from the hub at least every 2 s and can
 * tell a quiet province from a dead hub. */
#define FEED_COALESCE_MS 50
#define FEED_MIN_INTERVAL_MS 250
#define FEED_KEEPALIVE_US (1500 * G_TIME_SPAN_MILLISECOND)
#define FEED_HEARTBEAT_US (10 * G_TIME_SPAN_SECOND)
/* A row's last_seen_ms alone is sent again only once it moved this far (or
 * the row turned stale or fresh): otherwise every status message would
 * resend its commune's row.  The page shows ages, not milliseconds. */
#define FEED_ROW_SEEN_STEP_US (30 * G_TIME_SPAN_SECOND)

struct _IocFeedEvents
{
  const IocApiDocs *docs;
  IocLiveFeed *feed;

  /* What the screens were last sent, to send only what changed. */
  GHashTable *sent_rows; /* interned unit code → IocUnitRow* */
  gchar *sent_summary, *sent_ranking, *sent_alerts;
  gint64 last_event_us;     /* monotonic */
  gint64 last_heartbeat_us; /* monotonic */
  guint flush_source;       /* a coalesced flush pending; 0: none */

  IocStat *stat_rows;
};

static gchar *
summary_text (IocFeedEvents *self, const IocDeviceSummary *province, gint64 now_us)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  ioc_api_docs_summary (self->docs, b, "all", NULL, province, now_us, TRUE);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return ioc_api_json_text (root);
}

static gchar *
ranking_text (const GArray *rows)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  ioc_api_docs_ranking (b, rows, IOC_API_DEFAULT_MIN_VOLUME, "ontime_rate");
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return ioc_api_json_text (root);
}

static gchar *
alerts_text (IocFeedEvents *self, gint64 now_us)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  ioc_api_docs_alerts (self->docs, b, now_us);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return ioc_api_json_text (root);
}

/* Whether a screen holding `sent` needs `now` again. */
static gboolean
row_changed (const IocUnitRow *sent, const IocUnitRow *now)
{
  IocUnitRow a = *sent, b = *now;
  if (a.stale != b.stale || b.last_seen_us - a.last_seen_us >= FEED_ROW_SEEN_STEP_US
      || b.last_seen_us < a.last_seen_us)
    return TRUE;
  a.last_seen_us = b.last_seen_us = 0;
  return memcmp (&a, &b, sizeof a) != 0;
}

/* Replaces *slot with text when they differ; TRUE then. */
static gboolean
remember_text (gchar **slot, gchar *text)
{
  if (g_strcmp0 (*slot, text) == 0)
    {
      g_free (text);
      return FALSE;
    }
  g_free (*slot);
  *slot = text;
  return TRUE;
}

static void
append_member (GString *out, const gchar *name, const gchar *json)
{
  g_string_append_printf (out, ",\"%s\":%s", name, json);
}

/* Either way the record of what was sent moves to now: a snapshot goes to
 * one new screen only, but it matches what the others hold after this
 * delta anyway. */
gchar *
ioc_feed_events_build (IocFeedEvents *self, gboolean full, gint64 now_us)
{
  IocDeviceSummary province;
  g_autoptr (GArray) rows = ioc_api_docs_unit_rows (self->docs, IOC_PERIOD_DAY, now_us, &province);
  gboolean summary_new = remember_text (&self->sent_summary, summary_text (self, &province, now_us));
  gboolean ranking_new = remember_text (&self->sent_ranking, ranking_text (rows));
  gboolean alerts_new = remember_text (&self->sent_alerts, alerts_text (self, now_us));

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  guint n_rows = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      const IocUnitEntry *e = &g_array_index (rows, IocUnitEntry, i);
      IocUnitRow *sent = g_hash_table_lookup (self->sent_rows, e->unit->code);
      gboolean changed = sent == NULL || row_changed (sent, &e->row);
      if (changed)
        {
          if (sent == NULL)
            g_hash_table_insert (self->sent_rows, (gpointer) e->unit->code, (sent = g_new (IocUnitRow, 1)));
          *sent = e->row;
        }
      if (changed || full)
        {
          ioc_api_docs_unit_row (b, e);
          n_rows++;
        }
    }
  json_builder_end_array (b);
  if (!full && n_rows == 0 && !summary_new && !ranking_new && !alerts_new)
    return NULL;
  ioc_stat_add (self->stat_rows, full ? 0 : n_rows);

  g_autoptr (JsonNode) rows_node = json_builder_get_root (b);
  g_autofree gchar *rows_json = ioc_api_json_text (rows_node);
  GString *out = g_string_sized_new (strlen (rows_json) + 256);
  g_string_append_printf (out, "{\"now_ms\":%" G_GINT64_FORMAT ",\"full\":%s", now_us / 1000, full ? "true" : "false");
  if (full || summary_new)
    append_member (out, "summary", self->sent_summary);
  append_member (out, "units", rows_json);
  if (full || ranking_new)
    append_member (out, "ranking", self->sent_ranking);
  if (full || alerts_new)
    append_member (out, "alerts", self->sent_alerts);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static void
feed_forget (IocFeedEvents *self)
{
  g_hash_table_remove_all (self->sent_rows);
  g_clear_pointer (&self->sent_summary, g_free);
  g_clear_pointer (&self->sent_ranking, g_free);
  g_clear_pointer (&self->sent_alerts, g_free);
}

static void
feed_flush (IocFeedEvents *self)
{
  gint64 mono = g_get_monotonic_time ();
  if (ioc_live_feed_n_clients (self->feed) == 0)
    {
      /* Nobody watching: the next screen starts from a snapshot anyway. */
      feed_forget (self);
      return;
    }
  gint64 now = ioc_hub_now (self->docs->hub);
  g_autofree gchar *delta = ioc_feed_events_build (self, FALSE, now);
  if (delta == NULL && mono - self->last_event_us >= FEED_KEEPALIVE_US)
    delta = g_strdup_printf ("{\"now_ms\":%" G_GINT64_FORMAT ",\"full\":false,\"units\":[]}", now / 1000);
  if (delta != NULL)
    {
      ioc_live_feed_broadcast (self->feed, "delta", delta);
      self->last_event_us = mono;
    }
  if (mono - self->last_heartbeat_us >= FEED_HEARTBEAT_US)
    {
      ioc_live_feed_heartbeat (self->feed);
      self->last_heartbeat_us = mono;
    }
}

static gboolean
feed_flush_cb (gpointer user_data)
{
  IocFeedEvents *self = user_data;
  self->flush_source = 0;
  feed_flush (self);
  return G_SOURCE_REMOVE;
}

/* Something may have changed: flush soon, but not sooner than the spacing
 * allows; a flush already pending covers this change too. */
static void
feed_request_flush (IocFeedEvents *self)
{
  if (self->flush_source != 0 || ioc_live_feed_n_clients (self->feed) == 0)
    return;
  gint64 since_ms = (g_get_monotonic_time () - self->last_event_us) / 1000;
  gint64 delay_ms = MAX (FEED_COALESCE_MS, FEED_MIN_INTERVAL_MS - since_ms);
  self->flush_source = g_timeout_add ((guint) delay_ms, feed_flush_cb, self);
}


IocFeedEvents *
ioc_feed_events_new (const IocApiDocs *docs)
{
  IocFeedEvents *self = g_new0 (IocFeedEvents, 1);
  self->docs = docs;
  self->feed = ioc_live_feed_new (0);
  self->sent_rows = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->stat_rows = ioc_stat ("iochub_feed_rows_total", NULL, IOC_STAT_COUNTER,
                              "Unit rows sent in live-feed deltas (changed rows only)");
  return self;
}

void
ioc_feed_events_free (IocFeedEvents *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_clear_pointer (&self->feed, ioc_live_feed_free);
  g_clear_pointer (&self->sent_rows, g_hash_table_unref);
  g_clear_pointer (&self->sent_summary, g_free);
  g_clear_pointer (&self->sent_ranking, g_free);
  g_clear_pointer (&self->sent_alerts, g_free);
  g_free (self);
}

void
ioc_feed_events_add_client (IocFeedEvents *self, SoupServerMessage *msg, const gchar *credential)
{
  gint64 now = ioc_hub_now (self->docs->hub);
  /* What changed for the others goes to them first, so the snapshot and
   * the record of what was sent agree. */
  if (ioc_live_feed_n_clients (self->feed) > 0)
    {
      g_autofree gchar *delta = ioc_feed_events_build (self, FALSE, now);
      if (delta != NULL)
        {
          ioc_live_feed_broadcast (self->feed, "delta", delta);
          self->last_event_us = g_get_monotonic_time ();
        }
    }
  else
    feed_forget (self);
  g_autofree gchar *snapshot = ioc_feed_events_build (self, TRUE, now);
  ioc_live_feed_add_client (self->feed, msg, snapshot, credential);
}

void
ioc_feed_events_changed (IocFeedEvents *self)
{
  feed_request_flush (self);
}

void
ioc_feed_events_tick (IocFeedEvents *self)
{
  if (ioc_live_feed_n_clients (self->feed) == 0)
    feed_forget (self);
  else
    feed_request_flush (self);
}

guint
ioc_feed_events_revoke (IocFeedEvents *self, IocLiveFeedKeepFunc keep, gpointer user_data)
{
  return ioc_live_feed_revoke (self->feed, keep, user_data);
}

gboolean
ioc_feed_events_admit (IocFeedEvents *self, guint max_clients)
{
  return ioc_live_feed_admit (self->feed, max_clients);
}
