/* kinds/portal.c: an online public-service / dossier-handling back-end (SPEC
 * §4, kind "portal").  Polls its REST API for dossiers changed since the
 * saved cursor and publishes one `dossier` event per change, on the topic of
 * the unit that handles the dossier (unit_field).  The cursor is committed
 * with the events in one sync (lib/disk-buffer.h), so a crash never makes a
 * change publish twice under two numbers.  Status: open, open overdue and
 * how far behind the source we are.  Runs on the main loop. */
#include <string.h>

#include "kinds/kinds.h"
#include "lib/event-source.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-time.h"

#define PORTAL_MAX_TRACKED 500000

typedef struct
{
  IocEventSource *src;
  GHashTable *open; /* dossier id → due_at µs (0 none) of open dossiers */
  gint64 last_event_ts_us;
} PortalState;

static gpointer
portal_configure (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group,
                  GError **error)
{
  if (!g_key_file_has_key (kf->kf, group, "url", NULL))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] url: expected the portal API URL to poll (http://…)", kf->path, group);
      return NULL;
    }
  if (!g_key_file_has_key (kf->kf, group, "unit_field", NULL))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] unit_field: expected the source field naming the handling unit",
                   kf->path, group);
      return NULL;
    }
  IocEventSource *src = ioc_event_source_configure (cfg, kf, group, error);
  if (!src)
    return NULL;
  PortalState *st = g_new0 (PortalState, 1);
  st->src = src;
  st->open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return st;
}

static gboolean
state_is_open (gint64 s)
{
  /* SPEC §4: 3 refused, 7 withdrawn, 8 stopped, 9 processed, 10 returned end it. */
  return s == 1 || s == 2 || s == 4 || s == 5 || s == 6;
}

static void
portal_seen (gpointer data, const gchar *unit, const gchar *type, gint64 ts_us, JsonObject *fields)
{
  PortalState *st = data;
  const gchar *id = json_object_get_string_member (fields, "dossier");
  gint64 s = json_object_get_int_member (fields, "state");
  st->last_event_ts_us = MAX (st->last_event_ts_us, ts_us);
  if (!state_is_open (s))
    {
      g_hash_table_remove (st->open, id);
      return;
    }
  gint64 due = 0;
  JsonNode *d = json_object_get_member (fields, "due_at");
  if (d && json_node_get_value_type (d) == G_TYPE_INT64)
    due = json_node_get_int (d) * 1000;
  else if (d && json_node_get_value_type (d) == G_TYPE_STRING)
    ioc_time_parse (json_node_get_string (d), strlen (json_node_get_string (d)), &due);
  if (g_hash_table_size (st->open) < PORTAL_MAX_TRACKED || g_hash_table_contains (st->open, id))
    g_hash_table_replace (st->open, g_strdup (id), g_memdup2 (&due, sizeof due));
}

static gboolean
portal_start (IocConnector *conn, gpointer state, GError **error)
{
  PortalState *st = state;
  return ioc_event_source_start (st->src, conn, portal_seen, st, error);
}

static void
portal_poll (IocConnector *conn, gpointer state)
{
  PortalState *st = state;
  ioc_event_source_poll (st->src);
}

static void
portal_status (IocConnector *conn, gpointer state, JsonObject *fields)
{
  PortalState *st = state;
  gint64 now = g_get_real_time ();
  gint64 overdue = 0;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, st->open);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      gint64 due = *(gint64 *) v;
      if (due > 0 && due < now)
        overdue++;
    }
  json_object_set_int_member (fields, "open", g_hash_table_size (st->open));
  json_object_set_int_member (fields, "open_overdue", overdue);
  gint64 lag = (now - ioc_event_source_last_ok (st->src)) / G_TIME_SPAN_SECOND;
  json_object_set_int_member (fields, "sync_lag_s", MAX (0, lag));
}

static void
portal_free (gpointer state)
{
  PortalState *st = state;
  ioc_event_source_free (st->src);
  g_hash_table_unref (st->open);
  g_free (st);
}

const IocConnectorKind ioc_kind_portal = {
  .name = "portal", .kind = IOC_KIND_PORTAL, .configure = portal_configure,
  .start = portal_start, .poll = portal_poll, .status = portal_status, .free = portal_free,
};
