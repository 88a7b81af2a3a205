/* api-history.h — GET /api/v1/history: chart history beyond the hub's
 * memory, read from InfluxDB (docs/API.md).
 *
 * The wall's 30-day trend and its "usual weekday" curve need weeks of
 * data; the hub keeps 24 h.  This endpoint asks InfluxDB, downsampled there
 * to the chart's step (GROUP BY time), on a worker thread (a GTask): the
 * request is paused and answered when the query returns, so the main loop
 * never waits on InfluxDB.  Answers are cached for IOC_HISTORY_CACHE_US and
 * identical requests in flight share one query, so fifty screens cost one
 * query a minute, not fifty.  Without [influx] url the endpoint answers 503
 * "no history", and the page says so instead of drawing something false.
 *
 * Main context only (the worker threads touch only their own copies). */
#pragma once

#include <json-glib/json-glib.h>

#include "hub.h"

G_BEGIN_DECLS

typedef struct _IocApiHistory IocApiHistory;

#define IOC_HISTORY_CACHE_US (60 * G_USEC_PER_SEC)
#define IOC_HISTORY_CACHE_MAX 64
/* Buckets in one answer at most: a wall chart has a few hundred pixels. */
#define IOC_HISTORY_MAX_POINTS 2000

/* Adds the route /api/v1/history to the hub's HTTP server.  Call before
 * ioc_hub_start(); free after the hub (a query may still be running then:
 * its thread keeps what it needs). */
IocApiHistory *ioc_api_history_attach (IocHub *hub);
void           ioc_api_history_free (IocApiHistory *self);

/* ---- the pure parts, exposed for the unit tests ---- */

typedef struct
{
  gint measurement;   /* IocMeasurement */
  guint field;        /* integer field index */
  gboolean gauge;     /* last() per bucket and series, else sum() */
  gchar *unit;        /* "all" or a unit code */
  gint channel;       /* -1: every channel summed */
  gint64 step_s;      /* divides a day; buckets start at local (UTC+7) boundaries */
  gint64 from_s;      /* first bucket's start */
  gint64 n_buckets;
  gboolean profile;   /* the usual-weekday curve instead of a plain range */
  gint64 weeks;       /* profile: same weekday over this many past weeks */
} IocHistoryRequest;

void   ioc_history_request_clear (IocHistoryRequest *req);
/* Parses the query parameters (docs/API.md) against now_us.  FALSE with a
 * message for a 400 otherwise. */
gboolean ioc_history_request_parse (GHashTable *query, gint64 now_us, IocHistoryRequest *req, gchar **message);
/* The InfluxQL statement for req (one per request; unit quoted). */
gchar *ioc_history_influxql (const IocHistoryRequest *req);
/* Turns InfluxDB's results into the JSON answer of docs/API.md. */
gchar *ioc_history_answer (const IocHistoryRequest *req, JsonNode *results, gint64 now_us, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocApiHistory, ioc_api_history_free)

G_END_DECLS
