/* live-feed.c — Server-Sent Events streams, one per wall screen.
 *
 * Where in the flow: after the rollup, beside the sinks; feed-events
 * feeds it, driven by the API's sink (batch, tick).  Thread: main context only (libsoup runs its
 * server I/O there).
 *
 * A stream is a chunked response that never completes.  libsoup pauses the
 * message's I/O whenever it runs out of chunks, so every append is followed
 * by an unpause.  The response body does not accumulate: a chunk is freed
 * once written, and "wrote-body-data" tells how much left the process, so
 * appended − written is what a slow client costs us. */
#include "api/live-feed.h"

#include <string.h>

#include "io/http-server.h"
#include "protocol/ioc-stats.h"

typedef struct
{
  IocLiveFeed *feed;
  SoupServerMessage *msg; /* owned reference */
  guint64 appended;
  guint64 written;
  gboolean finished;      /* libsoup is done with it: no more I/O calls */
  gchar *credential;      /* the token it was opened with, or NULL */
  gulong wrote_id, finished_id;
} Client;

struct _IocLiveFeed
{
  GPtrArray *clients; /* Client*, owned */
  gsize max_pending;
  guint64 dropped;
  IocStat *stat_clients;
  IocStat *stat_dropped;
  IocStat *stat_events;
  IocStat *stat_refused;
  gboolean refusing;     /* at the cap: logged once */
  guint64 refused_run;   /* refusals since then */
};

static void
client_free (gpointer data)
{
  Client *c = data;
  if (c->msg != NULL)
    {
      if (c->wrote_id != 0)
        g_signal_handler_disconnect (c->msg, c->wrote_id);
      if (c->finished_id != 0)
        g_signal_handler_disconnect (c->msg, c->finished_id);
      g_object_unref (c->msg);
    }
  g_free (c->credential);
  g_free (c);
}

static void
update_gauge (IocLiveFeed *self)
{
  ioc_stat_set (self->stat_clients, (gint64) self->clients->len);
}

static void
wrote_body_data_cb (SoupServerMessage *msg, guint chunk_size, gpointer user_data)
{
  Client *c = user_data;
  c->written += chunk_size;
}

/* "finished" comes when the response ends or the connection went away; the
 * client is removed here, whatever the reason. */
static void
finished_cb (SoupServerMessage *msg, gpointer user_data)
{
  Client *c = user_data;
  IocLiveFeed *self = c->feed;
  c->finished = TRUE;
  g_ptr_array_remove_fast (self->clients, c); /* frees c */
  update_gauge (self);
}

static void
client_send (Client *c, const gchar *text, gsize len)
{
  if (c->finished)
    return;
  SoupMessageBody *body = soup_server_message_get_response_body (c->msg);
  soup_message_body_append (body, SOUP_MEMORY_COPY, text, len);
  c->appended += len;
  soup_server_message_unpause (c->msg);
}

/* Ends a stream.  Closing the socket makes libsoup fail the pending write
 * and emit "finished", which removes the client. */
static void
client_end (Client *c)
{
  GSocket *sock = ioc_http_message_socket (c->msg);
  if (sock != NULL)
    g_socket_shutdown (sock, TRUE, TRUE, NULL);
  soup_message_body_complete (soup_server_message_get_response_body (c->msg));
  soup_server_message_unpause (c->msg);
}

/* A stream that cannot keep up. */
static void
client_drop (IocLiveFeed *self, Client *c)
{
  self->dropped++;
  ioc_stat_add (self->stat_dropped, 1);
  g_message ("feed: dropping a screen %" G_GUINT64_FORMAT " bytes behind (it will reconnect)",
             c->appended - c->written);
  client_end (c);
}

IocLiveFeed *
ioc_live_feed_new (gsize max_pending_bytes)
{
  IocLiveFeed *self = g_new0 (IocLiveFeed, 1);
  self->clients = g_ptr_array_new_with_free_func (client_free);
  self->max_pending = max_pending_bytes > 0 ? max_pending_bytes : IOC_LIVE_FEED_DEFAULT_PENDING;
  self->stat_clients = ioc_stat ("iochub_feed_clients", NULL, IOC_STAT_GAUGE, "Wall screens connected to the live feed");
  self->stat_dropped = ioc_stat ("iochub_feed_dropped_total", NULL, IOC_STAT_COUNTER,
                                 "Live-feed clients dropped because they fell too far behind");
  self->stat_events = ioc_stat ("iochub_feed_events_total", NULL, IOC_STAT_COUNTER, "Live-feed events broadcast");
  self->stat_refused = ioc_stat ("iochub_feed_refused_total", NULL, IOC_STAT_COUNTER,
                                 "Live-feed streams refused (503) at [http] max_feed_clients");
  return self;
}

void
ioc_live_feed_free (IocLiveFeed *self)
{
  if (self == NULL)
    return;
  /* Only let go of the messages: their connections belong to the server,
   * which closes them when it goes (the hub frees it before us), and
   * touching a message whose I/O already ended is an error in libsoup.
   * The handlers go first, so "finished" cannot reach a freed array. */
  for (guint i = 0; i < self->clients->len; i++)
    {
      Client *c = self->clients->pdata[i];
      g_signal_handler_disconnect (c->msg, c->wrote_id);
      g_signal_handler_disconnect (c->msg, c->finished_id);
      c->wrote_id = c->finished_id = 0;
    }
  g_ptr_array_unref (self->clients);
  ioc_stat_set (self->stat_clients, 0);
  g_free (self);
}

void
ioc_live_feed_add_client (IocLiveFeed *self, SoupServerMessage *msg, const gchar *snapshot_json,
                          const gchar *credential)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_set_content_type (h, "text/event-stream", NULL);
  soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  /* nginx and similar would otherwise buffer the stream. */
  soup_message_headers_replace (h, "X-Accel-Buffering", "no");
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);

  Client *c = g_new0 (Client, 1);
  c->feed = self;
  c->msg = g_object_ref (msg);
  c->credential = g_strdup (credential);
  c->wrote_id = g_signal_connect (msg, "wrote-body-data", G_CALLBACK (wrote_body_data_cb), c);
  c->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (finished_cb), c);
  g_ptr_array_add (self->clients, c);
  update_gauge (self);

  g_autoptr (GString) first = g_string_new ("retry: 2000\n\n");
  g_string_append_printf (first, "event: snapshot\ndata: %s\n\n", snapshot_json);
  client_send (c, first->str, first->len);
}

/* The client of msg, if it is still there and running. */
static Client *
client_of (IocLiveFeed *self, SoupServerMessage *msg)
{
  for (guint k = 0; k < self->clients->len; k++)
    {
      Client *c = self->clients->pdata[k];
      if (c->msg == msg && !c->finished)
        return c;
    }
  return NULL;
}

static void
send_all (IocLiveFeed *self, const gchar *text, gsize len)
{
  /* Collect the laggards first, then drop them: dropping may emit
   * "finished" synchronously, which edits the array. */
  g_autoptr (GPtrArray) laggards = g_ptr_array_new ();
  for (guint i = 0; i < self->clients->len; i++)
    {
      Client *c = self->clients->pdata[i];
      if (c->finished)
        continue;
      if (c->appended - c->written + len > self->max_pending)
        g_ptr_array_add (laggards, c->msg);
      else
        client_send (c, text, len);
    }
  for (guint i = 0; i < laggards->len; i++)
    {
      Client *c = client_of (self, laggards->pdata[i]);
      if (c != NULL)
        client_drop (self, c);
    }
}

guint
ioc_live_feed_revoke (IocLiveFeed *self, IocLiveFeedKeepFunc keep, gpointer user_data)
{
  /* As in send_all: ending a stream may edit the array. */
  g_autoptr (GPtrArray) revoked = g_ptr_array_new ();
  for (guint i = 0; i < self->clients->len; i++)
    {
      Client *c = self->clients->pdata[i];
      if (!c->finished && !keep (c->credential, user_data))
        g_ptr_array_add (revoked, c->msg);
    }
  for (guint i = 0; i < revoked->len; i++)
    {
      Client *c = client_of (self, revoked->pdata[i]);
      if (c != NULL)
        client_end (c);
    }
  if (revoked->len > 0)
    g_message ("feed: ended %u stream(s) whose token is no longer configured", revoked->len);
  return revoked->len;
}

void
ioc_live_feed_broadcast (IocLiveFeed *self, const gchar *event, const gchar *json)
{
  if (self->clients->len == 0)
    return;
  g_autoptr (GString) text = g_string_sized_new (strlen (json) + 32);
  g_string_append_printf (text, "event: %s\ndata: %s\n\n", event, json);
  send_all (self, text->str, text->len);
  ioc_stat_add (self->stat_events, 1);
}

void
ioc_live_feed_heartbeat (IocLiveFeed *self)
{
  static const gchar hb[] = ": hb\n\n";
  send_all (self, hb, sizeof hb - 1);
}

guint
ioc_live_feed_n_clients (IocLiveFeed *self)
{
  return self->clients->len;
}

gboolean
ioc_live_feed_admit (IocLiveFeed *self, guint max_clients)
{
  if (self->clients->len < max_clients)
    {
      if (self->refusing)
        g_message ("feed: taking screens again (%" G_GUINT64_FORMAT " refused at [http] max_feed_clients = %u)",
                   self->refused_run, max_clients);
      self->refusing = FALSE;
      self->refused_run = 0;
      return TRUE;
    }
  ioc_stat_add (self->stat_refused, 1);
  self->refused_run++;
  if (!self->refusing)
    g_warning ("feed: %u screens connected, at [http] max_feed_clients: refusing more (503) until one leaves",
               self->clients->len);
  self->refusing = TRUE;
  return FALSE;
}

guint64
ioc_live_feed_n_dropped (IocLiveFeed *self)
{
  return self->dropped;
}
