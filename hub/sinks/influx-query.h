/* influx-query.h — read history back from InfluxDB 1.x (InfluxQL over
 * HTTP GET /query), for the parts of the hub that need more than its own
 * memory: alert baselines on a cold start, the wall display's 30-day trend.
 *
 * Blocking by design: one request at a time per IocInfluxQuery, bounded by
 * a timeout.  Call it at start-up or from a worker thread (a GTask), never
 * from the main loop while the hub is serving.  One instance must not be
 * used by two threads at once; create one per thread.
 *
 * Times come back as Unix seconds (epoch=s).  An InfluxDB-level error (a
 * bad statement, an unknown database) is a GError carrying InfluxDB's own
 * message, so an operator sees what InfluxDB said. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _IocInfluxQuery IocInfluxQuery;

/* url: "http://host:8086" without a path; database NULL or "": "ioc";
 * username NULL or "": no authentication. */
IocInfluxQuery *ioc_influx_query_new (const gchar *url, const gchar *database, const gchar *username,
                                      const gchar *password);
void            ioc_influx_query_free (IocInfluxQuery *self);
/* Per request; default 10 s. */
void            ioc_influx_query_set_timeout (IocInfluxQuery *self, gint64 timeout_us);

/* Runs one statement and returns InfluxDB's "results" array node
 * (transfer full).  Fails on transport errors, non-2xx answers, unparsable
 * bodies and on an "error" member in the answer or in any result. */
JsonNode *ioc_influx_query_run (IocInfluxQuery *self, const gchar *influxql, GError **error);

/* Called once per row of every series of every result.  tags: the series'
 * tags (never NULL; empty without GROUP BY tags); columns: the column
 * names, row: the values, same order ("time" first, as a number). */
typedef void (*IocInfluxRowFunc) (const gchar *measurement, GHashTable *tags, JsonArray *columns, JsonArray *row,
                                  gpointer user_data);
gboolean ioc_influx_query_foreach_row (JsonNode *results, IocInfluxRowFunc func, gpointer user_data,
                                       GError **error);

/* Quotes a string literal for InfluxQL ('…' with \' and \\ escaped), so a
 * unit code or a tag value from config can never change a statement. */
gchar *ioc_influx_query_quote (const gchar *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocInfluxQuery, ioc_influx_query_free)

G_END_DECLS
