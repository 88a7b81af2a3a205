/* kinds/desk.c: one-stop counters and their queue system (SPEC §4, kind
 * "desk"): counter.open/close, ticket.called, service.done.  Intake (poll or
 * webhook) and field mapping are the shared event source; this file only
 * keeps the status: which counters are open, and how many wait (called
 * tickets are subtracted from the queue the source reports, if it does).
 * Runs on the main loop. */
#include <string.h>

#include "kinds/kinds.h"
#include "lib/event-source.h"

typedef struct
{
  IocEventSource *src;
  GHashTable *open; /* counter ids */
} DeskState;

static gpointer
desk_configure (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group, GError **error)
{
  IocEventSource *src = ioc_event_source_configure (cfg, kf, group, error);
  if (!src)
    return NULL;
  DeskState *st = g_new0 (DeskState, 1);
  st->src = src;
  st->open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return st;
}

static void
desk_seen (gpointer data, const gchar *unit, const gchar *type, gint64 ts_us, JsonObject *fields)
{
  DeskState *st = data;
  const gchar *counter = json_object_get_string_member_with_default (fields, "counter", NULL);
  if (!counter)
    return;
  if (strcmp (type, "counter.open") == 0)
    g_hash_table_add (st->open, g_strdup (counter));
  else if (strcmp (type, "counter.close") == 0)
    g_hash_table_remove (st->open, counter);
  else if (g_hash_table_size (st->open) < 4096)
    g_hash_table_add (st->open, g_strdup (counter)); /* a counter that calls is open */
}

static gboolean
desk_start (IocConnector *conn, gpointer state, GError **error)
{
  DeskState *st = state;
  return ioc_event_source_start (st->src, conn, desk_seen, st, error);
}

static void
desk_poll (IocConnector *conn, gpointer state)
{
  DeskState *st = state;
  ioc_event_source_poll (st->src);
}

static void
desk_status (IocConnector *conn, gpointer state, JsonObject *fields)
{
  DeskState *st = state;
  json_object_set_int_member (fields, "counters_open", g_hash_table_size (st->open));
  json_object_set_boolean_member (fields, "source_ok", ioc_event_source_is_healthy (st->src));
}

static void
desk_free (gpointer state)
{
  DeskState *st = state;
  ioc_event_source_free (st->src);
  g_hash_table_unref (st->open);
  g_free (st);
}

const IocConnectorKind ioc_kind_desk = {
  .name = "desk", .kind = IOC_KIND_DESK, .configure = desk_configure, .start = desk_start,
  .poll = desk_poll, .status = desk_status, .free = desk_free,
};
