/* test-victoria.h — a real VictoriaMetrics single node, or a real vmagent in
 * front of several of them, for the clustered-storage tests (SPEC §9).
 *
 * ioc_test_victoria_start() runs /usr/bin/victoria-metrics (or
 * $IOC_TEST_VICTORIA) on a free 127.0.0.1 port with its storage in a
 * g_dir_make_tmp() directory and -dedup.minScrapeInterval=1ms, so that a
 * point written again for the same minute (late data, a replay, a retried
 * batch) keeps one copy, as InfluxDB does.  It accepts the InfluxDB line
 * protocol on {url}/write.
 *
 * ioc_test_vmagent_start() runs /usr/bin/vmagent (or $IOC_TEST_VMAGENT)
 * that takes the line protocol on {url}/write and remote-writes it to the
 * given nodes.  With shard = TRUE every series goes to exactly one node:
 * vmagent 1.79 (Debian 12) has no -remoteWrite.shardByURL, so each URL gets
 * a -remoteWrite.urlRelabelConfig that keeps hashmod(series labels) == its
 * index, which is what shardByURL does in later releases.
 *
 * Both return once /health answers (at most 30 s), die with the test
 * process (PR_SET_PDEATHSIG), are stopped by PID (SIGTERM, then SIGKILL
 * after 10 s) by free(), which prints their log when the test failed and
 * removes the directory.  Test main thread only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocTestVictoria IocTestVictoria;

IocTestVictoria *ioc_test_victoria_start (GError **error);
/* n_nodes >= 1 URLs of nodes (ioc_test_victoria_url()). */
IocTestVictoria *ioc_test_vmagent_start (const gchar *const *node_urls, guint n_nodes, gboolean shard,
                                         GError **error);
void             ioc_test_victoria_free (IocTestVictoria *self);

/* "http://127.0.0.1:<port>", valid until free. */
const gchar     *ioc_test_victoria_url (IocTestVictoria *self);
void             ioc_test_victoria_dump_log (IocTestVictoria *self);
/* A value of the process's own /metrics (first series whose name and labels
 * start with `series`, e.g. "vmagent_remotewrite_pending_data_bytes");
 * -1 when absent or unreachable. */
gdouble          ioc_test_victoria_metric (IocTestVictoria *self, const gchar *series);

/* Makes what was written searchable now (POST /internal/force_flush), then
 * reads every raw sample of the series matching a selector such as
 * {__name__="ioc_queue_issued",unit="all"} through /api/v1/export (after
 * de-duplication): their sum, the number of samples and of series.  Only
 * for a node, not vmagent. */
gboolean         ioc_test_victoria_export_sum (IocTestVictoria *self, const gchar *selector, gdouble *sum,
                                               guint *n_samples, guint *n_series, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocTestVictoria, ioc_test_victoria_free)

G_END_DECLS
