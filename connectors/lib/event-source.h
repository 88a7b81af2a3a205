/* event-source.h — the two ways a source system hands events over:
 * an HTTP endpoint polled with a cursor, and an HTTP webhook the source
 * POSTs to; plus the config-driven mapping of source JSON to SPEC fields, so
 * a new vendor needs a config, not code.  desk, kiosk and portal are thin
 * kinds on top of it.
 *
 * Config keys of the kind's group (all optional unless noted):
 *   url = http://…         poll this endpoint (GET url?<cursor_param>=<cursor>)
 *   listen = 127.0.0.1:8090  serve a webhook (POST <path>, JSON object or array)
 *   (at least one of url / listen)
 *   path = /events  token =  cursor_param = after  items = items
 *   next_cursor = cursor  cursor_field = id  type_field = type  type =
 *   ts_field = ts  unit_field =  timeout = 10s  max_body = 1MiB  max_pages = 10
 *   map.<spec field> = <source path a.b.c>
 *   type.<source type> = <spec type>
 *   value.<spec field>.<source value> = <JSON value for SPEC>
 *
 * Runs on the main loop: libsoup's async client and SoupServer. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "lib/connector.h"

G_BEGIN_DECLS

typedef struct _IocEventSource IocEventSource;

/* Called after each event was queued (for the kind's status bookkeeping). */
typedef void (*IocEventSeenFunc) (gpointer kind_state, const gchar *unit, const gchar *type,
                                  gint64 ts_us, JsonObject *fields);

IocEventSource *ioc_event_source_configure (const IocConnectorConfig *cfg, IocKeyFile *kf,
                                            const gchar *group, GError **error);
/* The mapping keys only (type_field, ts_field, unit_field, type, map.*,
 * type.*, value.*) for a kind that reads its source itself (jsonl):
 * url/listen are refused; own_keys (NULL-terminated) are the kind's. */
IocEventSource *ioc_event_source_configure_mapping (const IocConnectorConfig *cfg, IocKeyFile *kf,
                                                    const gchar *group,
                                                    const gchar *const *own_keys, GError **error);
void     ioc_event_source_free (IocEventSource *self);
/* Maps one source item and emits it on conn; FALSE (nothing emitted, no
 * seq used) with the reason in error.  The caller counts the reject. */
gboolean ioc_event_source_emit (IocEventSource *self, IocConnector *conn, JsonObject *item,
                                IocEventSeenFunc seen, gpointer kind_state, GError **error);
gboolean ioc_event_source_start (IocEventSource *self, IocConnector *conn, IocEventSeenFunc seen,
                                 gpointer kind_state, GError **error);
void     ioc_event_source_poll (IocEventSource *self);
/* When the last poll succeeded (µs, real time); 0 never.  Webhook-only: start time. */
gint64   ioc_event_source_last_ok (IocEventSource *self);
gboolean ioc_event_source_is_healthy (IocEventSource *self);
/* The bound webhook port (0 if none): tests and logs. */
guint    ioc_event_source_port (IocEventSource *self);

/* Maps one source item to (unit, type, ts, SPEC fields); FALSE with a reason
 * in error.  Pure: exposed for the unit test. */
gboolean ioc_event_source_map (IocEventSource *self, JsonObject *item, gchar **out_unit,
                               gchar **out_type, gint64 *out_ts_us, JsonObject **out_fields,
                               GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocEventSource, ioc_event_source_free)

G_END_DECLS
