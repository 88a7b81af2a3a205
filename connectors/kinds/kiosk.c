/* kinds/kiosk.c: ticket dispensers and rating devices (SPEC §4, kind
 * "kiosk"): ticket.issued, ticket.no_show, rating.  Intake and mapping are
 * the shared event source; the status says whether the source answers
 * (online) and how many tickets issued today were not yet called or given
 * up (queue_length, when the kiosk is the dispenser).  Runs on the main loop. */
#include <string.h>

#include "kinds/kinds.h"
#include "lib/event-source.h"

typedef struct
{
  IocEventSource *src;
  gint64 issued;
  gint64 no_show;
} KioskState;

static gpointer
kiosk_configure (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group,
                 GError **error)
{
  IocEventSource *src = ioc_event_source_configure (cfg, kf, group, error);
  if (!src)
    return NULL;
  KioskState *st = g_new0 (KioskState, 1);
  st->src = src;
  return st;
}

static void
kiosk_seen (gpointer data, const gchar *unit, const gchar *type, gint64 ts_us, JsonObject *fields)
{
  KioskState *st = data;
  if (strcmp (type, "ticket.issued") == 0)
    st->issued++;
  else if (strcmp (type, "ticket.no_show") == 0)
    st->no_show++;
}

static gboolean
kiosk_start (IocConnector *conn, gpointer state, GError **error)
{
  KioskState *st = state;
  return ioc_event_source_start (st->src, conn, kiosk_seen, st, error);
}

static void
kiosk_poll (IocConnector *conn, gpointer state)
{
  KioskState *st = state;
  ioc_event_source_poll (st->src);
}

static void
kiosk_status (IocConnector *conn, gpointer state, JsonObject *fields)
{
  KioskState *st = state;
  json_object_set_boolean_member (fields, "online", ioc_event_source_is_healthy (st->src));
  json_object_set_int_member (fields, "tickets_issued", st->issued);
}

static void
kiosk_free (gpointer state)
{
  KioskState *st = state;
  ioc_event_source_free (st->src);
  g_free (st);
}

const IocConnectorKind ioc_kind_kiosk = {
  .name = "kiosk", .kind = IOC_KIND_KIOSK, .configure = kiosk_configure, .start = kiosk_start,
  .poll = kiosk_poll, .status = kiosk_status, .free = kiosk_free,
};
