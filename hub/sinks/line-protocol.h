/* line-protocol.h — the InfluxDB 1.x line protocol encoder for IocPoint
 * (SPEC §6).  Pure functions that only append to a GString; any thread.
 *
 * Escaping, as InfluxDB 1.x parses it (checked against influxd 1.6.7):
 *   - measurement: comma and space are escaped with a backslash;
 *   - tag keys, tag values, field keys: comma, equals sign and space;
 *   - string field values (inside "…"): backslash and double quote.
 * A backslash is otherwise literal (InfluxDB has no "\\" escape outside
 * string fields), and UTF-8 such as Vietnamese names passes through as is.
 * Three things cannot be written literally and are replaced, so that a
 * line is always exactly one valid line:
 *   - a newline or carriage return becomes a (escaped) space: the line
 *     protocol has no escape for them;
 *   - a backslash that would end a measurement, tag key, tag value or field
 *     key becomes '/': InfluxDB would read it as escaping the delimiter;
 *   - an empty tag value (and an empty tag key, measurement or field key)
 *     is written as "-": InfluxDB refuses empty tag values.
 * Bytes are not checked for UTF-8 validity; callers pass registry codes.
 */
#pragma once

#include <glib.h>

#include "model/record.h"

G_BEGIN_DECLS

/* Escapes comma and space. */
void ioc_lp_escape_measurement (GString *out, const gchar *s);
/* Tag keys, tag values and field keys: escapes comma, equals sign, space. */
void ioc_lp_escape_tag (GString *out, const gchar *s);
/* The inside of a string field value "…": escapes backslash and double
 * quote.  Newlines are kept (InfluxDB accepts them inside quotes). */
void ioc_lp_escape_field_string (GString *out, const gchar *s);

/* Appends one line ending in '\n' for point: tags channel (only when
 * point->channel != 0), hub, province, unit, in that (sorted) order; the
 * integer fields of the measurement with the 'i' suffix; for ioc_queue the
 * floats wait_p50_s, wait_p90_s, service_p50_s, service_p90_s where has_floats[k] (a NaN or
 * infinite value, which the protocol cannot carry, is left out too); and the
 * timestamp in whole seconds (the writer posts with precision=s). */
void ioc_lp_append_point (GString *out, const IocPoint *point, const gchar *province, const gchar *hub_id);

/* Appends the shortest decimal form of v that reads back as exactly v
 * (locale independent); whole numbers below 10^15 as plain digits, and
 * -0 as 0.  v must be finite (the callers leave NaN and infinities out).
 * Exposed for tests. */
void ioc_lp_append_double (GString *out, gdouble v);

G_END_DECLS
