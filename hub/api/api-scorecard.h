/* api-scorecard.h — the 766 scorecard for people and for InfluxDB:
 *
 *   GET /api/v1/scorecard?period=month|quarter|ytd&at=YYYY-MM[&unit=…]
 *       the province, the units, the rankings (docs/API.md)
 *   ioc_score, ioc_score_indicator
 *       every [influx] score_interval (5 min), the current and the previous
 *       month's periods, rewritten (same timestamp) where a value changed
 *
 * Both read ioc_hub_scorecard(), which computes from the dossier tracker,
 * the ratings and the fed values and caches until something changes: the
 * answer is never older than the last fact.  Rules: docs/SCORECARD.md.
 * Main context only. */
#pragma once

#include <json-glib/json-glib.h>

#include "hub.h"

G_BEGIN_DECLS

typedef struct _IocApiScorecard IocApiScorecard;

/* Adds the route and the sink that writes ioc_score to the hub (before
 * ioc_hub_start()).  The hub owns the result and frees it. */
IocApiScorecard *ioc_api_scorecard_attach (IocHub *hub);

/* ---- the parts the tests call ---- */

/* The answer of docs/API.md for r.  unit: NULL every unit, "none" none
 * (the province and the rankings only), else that unit only.  Names come
 * from the hub's registry at now_us. */
JsonNode *ioc_api_scorecard_json (IocHub *hub, const IocScoreResult *r, const gchar *unit, gint64 now_us);
/* The ioc_score and ioc_score_indicator lines of r (docs/API.md), each
 * ending in '\n', stamped (in seconds) with local midnight of the first day
 * of the month the period ends with. */
void      ioc_score_lines_append (GString *out, const IocScoreResult *r, const gchar *province, const gchar *hub_id);

G_END_DECLS
