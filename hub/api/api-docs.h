/* api-docs.h — the JSON documents the wall reads, each written one way for
 * both its GET and the live feed: a unit's summary (GET /api/v1/summary,
 * the feed's "summary"), the unit table and its ranking (GET
 * /api/v1/units, the feed's "units" and "ranking"), the alerts (GET
 * /api/v1/alerts without the alert engine's routes, the feed's "alerts").
 *
 * Read at request time through the hub's read functions (hub.h: dossier
 * indicators, live windows, device health); nothing is kept here.  Internal to hub/api/.  Main context only. */
#pragma once

#include <json-glib/json-glib.h>

#include "api/api-v1.h"
#include "hub.h"

G_BEGIN_DECLS

/* The ranking leaves out units with fewer dossiers received in the period:
 * a commune with 3 dossiers and 3 on time is not the province's best. */
#define IOC_API_DEFAULT_MIN_VOLUME 30

/* What the documents are built from; owned by IocApiV1.  alerts_fn NULL:
 * no alert engine, an empty list. */
typedef struct
{
  IocHub *hub;
  IocApiAlertsFunc alerts_fn;
  gpointer alerts_data;
} IocApiDocs;

/* The summary object of unit ("all" or a registry code; u its registry
 * entry, NULL for "all").  devices: the unit's device summary when the
 * caller has it already (the feed adds the province's up from the unit
 * table), NULL to ask device health.  for_feed: without now_ms (the event
 * has it) and with the feed's coarser freshness. */
void ioc_api_docs_summary (const IocApiDocs *docs, JsonBuilder *b, const gchar *unit, const IocUnit *u,
                           const IocDeviceSummary *devices, gint64 now_us, gboolean for_feed);

/* The numbers of one unit's row; the feed compares them member by member
 * to tell whether a screen needs the row again. */
typedef struct
{
  gint64 received, completed, completed_late, open, open_overdue, due_soon;
  gint64 ontime_num, ontime_den, online_num, online_den;
  gint64 ratings, satisfied;
  gint64 cameras, cameras_recording, kiosks, kiosks_online;
  gint64 last_seen_us; /* newest message from any device of the unit; 0: none */
  gboolean stale;      /* no device heard within the reporting window */
} IocUnitRow;

typedef struct
{
  const IocUnit *unit;
  IocUnitRow row;
} IocUnitEntry;

/* Every current unit's row (GArray of IocUnitEntry, transfer full), in
 * registry order: one pass over the devices, one lookup per unit in the
 * dossier tracker.  province (may be NULL): the
 * devices of the whole province, added up from that one pass, equal to
 * ioc_hub_device_summary (…, "all", …). */
GArray *ioc_api_docs_unit_rows (const IocApiDocs *docs, IocPeriod period, gint64 now_us,
                                IocDeviceSummary *province);
/* Adds s into total: counts add up, last-seen times keep the newest. */
void    ioc_api_docs_add_devices (IocDeviceSummary *total, const IocDeviceSummary *s);
/* One row as the object of GET /api/v1/units and the feed's "units". */
void    ioc_api_docs_unit_row (JsonBuilder *b, const IocUnitEntry *e);
/* The ranking array: units with at least min_volume dossiers received in
 * the period and a defined rate (sort: "ontime_rate" or
 * "satisfied_rate"), best first; ties by code. */
void    ioc_api_docs_ranking (JsonBuilder *b, const GArray *rows, gint64 min_volume, const gchar *sort);
/* The current alerts as an array (docs/API.md "alerts"). */
void    ioc_api_docs_alerts (const IocApiDocs *docs, JsonBuilder *b, gint64 now_us);

G_END_DECLS
