/* event-source-private.h — what the event source's two pieces share, and
 * nothing outside connectors/lib/event-source*.c includes.
 *
 * The event source (event-source.h) is one object split by concern:
 *   event-source.c         the object, its configuration (the [<kind>]
 *                          group's keys) and the mapping of a source item
 *                          to SPEC fields: no network
 *   event-source-intake.c  how items arrive: polling with a cursor, the
 *                          webhook, start()
 * Main loop only, like the public functions. */
#pragma once

#include <libsoup/soup.h>

#include "lib/event-source.h"

G_BEGIN_DECLS

struct _IocEventSource
{
  gchar *cfg_path;
  gchar *group;
  gchar *url;
  gchar *listen;
  gchar *path;
  gchar *token;
  gchar *cursor_param;
  gchar *items;
  gchar *next_cursor;
  gchar *cursor_field;
  gchar *type_field;
  gchar *fixed_type;
  gchar *ts_field;
  gchar *unit_field;
  gint64 timeout_us;
  guint64 max_body;
  gint64 max_pages;
  GHashTable *map;    /* spec field → source path */
  GHashTable *types;  /* source type → spec type */
  GHashTable *values; /* "field\nsource value" → JsonNode */

  IocConnector *conn;
  IocEventSeenFunc seen;
  gpointer kind_state;
  SoupSession *session;
  SoupServer *server;
  guint port;
  GCancellable *cancel;
  gboolean polling;
  gint pages_left;
  gint64 last_ok_us;
  gboolean healthy;
};

/* "127.0.0.1:PORT" (loopback only) into *port; FALSE if it is not that. */
gboolean  ioc_event_source_parse_listen (const gchar *listen, guint *port);
/* The member at a dotted path (a.b.c) of obj; NULL if absent. */
JsonNode *ioc_event_source_lookup_path (JsonObject *obj, const gchar *path);
/* (transfer full) The node as a short string key, for type.* and value.*;
 * NULL unless a scalar. */
gchar    *ioc_event_source_scalar_text (JsonNode *node);

G_END_DECLS
