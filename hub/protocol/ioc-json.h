/* ioc-json.h — members of the JSON object a JsonBuilder has open, written
 * the same way by every part of the hub that answers in JSON (the API, the
 * alert engine's views and store, federation, iocctl).
 *
 * A NULL string, a time of 0 and a value the caller does not have are JSON
 * null; a rate with no denominator is null, never 0 (the wall must not paint
 * an empty commune red).  Pure, any thread (one builder per thread). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void ioc_json_int (JsonBuilder *b, const gchar *name, gint64 v);
void ioc_json_double (JsonBuilder *b, const gchar *name, gdouble v);
void ioc_json_bool (JsonBuilder *b, const gchar *name, gboolean v);
void ioc_json_string (JsonBuilder *b, const gchar *name, const gchar *v);
/* us as RFC 3339 in Vietnam time (ioc_time_format); 0 is null. */
void ioc_json_time (JsonBuilder *b, const gchar *name, gint64 us);
/* v when have, else null (a time never seen, an average of nothing). */
void ioc_json_int_or_null (JsonBuilder *b, const gchar *name, gboolean have, gint64 v);
void ioc_json_double_or_null (JsonBuilder *b, const gchar *name, gboolean have, gdouble v);
/* num / den, null when den is 0. */
void ioc_json_rate (JsonBuilder *b, const gchar *name, gint64 num, gint64 den);
/* A member that is an array or an object, left open for its elements
 * (json_builder_end_array / _end_object closes it). */
void ioc_json_begin_array (JsonBuilder *b, const gchar *name);
void ioc_json_begin_object (JsonBuilder *b, const gchar *name);

G_END_DECLS
