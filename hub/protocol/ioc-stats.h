/* ioc-stats.h — named counters and gauges for /metrics and /healthz.
 *
 * A stat is registered once (any thread, at start-up) and then updated with
 * relaxed atomics from whatever thread owns the event it counts: the Paho
 * thread counts messages in, the writer thread counts InfluxDB failures.
 * Rendering walks the registry under a lock.  Stats live for the process. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  IOC_STAT_COUNTER,
  IOC_STAT_GAUGE,
} IocStatType;

typedef struct _IocStat IocStat;

/* Returns the stat for (name, labels), creating it on first use.  labels is
 * the Prometheus label set without braces, e.g. "reason=\"bad_json\"", or
 * NULL.  help and type must be the same for every stat of one name. */
IocStat *ioc_stat (const gchar *name, const gchar *labels, IocStatType type, const gchar *help);

void   ioc_stat_add (IocStat *stat, gint64 delta);
void   ioc_stat_set (IocStat *stat, gint64 value);
gint64 ioc_stat_get (const IocStat *stat);
/* Gauges that are not integers (seconds, ratios). */
void    ioc_stat_set_double (IocStat *stat, gdouble value);
gdouble ioc_stat_get_double (const IocStat *stat);

/* Appends every stat in Prometheus text exposition format 0.0.4. */
void ioc_stats_render (GString *out);

/* Value of (name, labels) or 0 when not registered; for tests and /healthz. */
gint64 ioc_stats_lookup (const gchar *name, const gchar *labels);

G_END_DECLS
