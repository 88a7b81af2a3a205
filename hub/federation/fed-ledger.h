/* fed-ledger.h — a hub's own province totals for the rollup exchange
 * (SPEC §9), kept as the minute points of unit "all" it emitted.
 *
 * A minute point can be emitted again with corrected values (late data), so
 * the ledger keeps one row per (measurement, channel, minute) and the latest
 * emission replaces it: a day's totals are then exact, whatever the number of
 * re-emissions.  Counters of a day are the sum of its minutes; gauges (open
 * dossiers, cameras online, …) the value of its latest minute.  It is saved
 * as a small text file so that a restarted hub publishes the whole day, not
 * only what it emitted since.  Main context only. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "model/record.h"

G_BEGIN_DECLS

/* One day of one province (or the sum of several): ints per measurement. */
typedef struct
{
  gint64 v[IOC_MEAS_COUNT][IOC_MAX_INT_FIELDS];
} IocFedTotals;

typedef struct _IocFedLedger IocFedLedger;

IocFedLedger *ioc_fed_ledger_new (void);
void          ioc_fed_ledger_free (IocFedLedger *self);
/* Points of other units than "all" are ignored.  TRUE when something changed. */
gboolean      ioc_fed_ledger_record (IocFedLedger *self, const IocPoint *point);
/* Totals of the minutes in [from_us, to_us). */
void          ioc_fed_ledger_totals (IocFedLedger *self, gint64 from_us, gint64 to_us, IocFedTotals *out);
/* Forgets minutes before before_us (yesterday's, once today is well under way). */
void          ioc_fed_ledger_prune (IocFedLedger *self, gint64 before_us);
guint         ioc_fed_ledger_size (IocFedLedger *self);

/* Text, one row per line: "measurement channel minute_us v0 v1 …". */
gboolean      ioc_fed_ledger_save (IocFedLedger *self, const gchar *path, GError **error);
/* A missing file is an empty ledger; a malformed line is an error naming
 * the file and the line. */
gboolean      ioc_fed_ledger_load (IocFedLedger *self, const gchar *path, GError **error);

/* Adds b into a. */
void          ioc_fed_totals_add (IocFedTotals *a, const IocFedTotals *b);
/* {"ioc_dossier":{"received":…,…},"ioc_queue":{…},…} */
void          ioc_fed_totals_to_json (const IocFedTotals *t, JsonBuilder *b);
/* The inverse; unknown members are ignored, a non-integer is an error. */
gboolean      ioc_fed_totals_from_json (JsonObject *obj, IocFedTotals *out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocFedLedger, ioc_fed_ledger_free)

G_END_DECLS
