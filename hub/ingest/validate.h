/* validate.h — the checks of a decoded message that need the hub's context
 * (SPEC §3–§4): our province, the unit registry, the hub's clock. */
#pragma once

#include <glib.h>

#include "model/record.h"
#include "model/units.h"
#include "protocol/ioc-error.h"

G_BEGIN_DECLS

/* SPEC §4: an event time more than this ahead of the hub's clock is bad. */
#define IOC_MAX_FUTURE_US (5 * G_TIME_SPAN_MINUTE)

/* Returns IOC_REJECT_NONE, or WRONG_PROVINCE (topic names another province),
 * FUTURE_TS (ts_us > now_us + 5 min) or UNKNOWN_UNIT (no unit of that code
 * valid at the event time), with a short text in *out_detail (valid until
 * the next call on this thread).  A state message carries no time: it is
 * stamped here with now_us (rec->ts_us), and its unit looked up at now_us. */
IocReject ioc_validate (IocRecord *rec, const gchar *province, const IocUnitRegistry *units,
                        gint64 now_us, const gchar **out_detail);
/* The same, and on success the registry entry of the record's unit at the
 * record's time in *out_unit, for ioc_units_resolve_unit().  A code that
 * was retired before the record's time (SPEC §2, the 2025 merge) is taken
 * as the unit that took its history over: *out_unit is that unit's entry
 * and *out_remapped (may be NULL) TRUE.  Only a code with no successor
 * valid at that time is UNKNOWN_UNIT. */
IocReject ioc_validate_unit (IocRecord *rec, const gchar *province, const IocUnitRegistry *units,
                             gint64 now_us, const IocUnit **out_unit, gboolean *out_remapped,
                             const gchar **out_detail);

G_END_DECLS
