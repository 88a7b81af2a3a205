/* test-influx.h — a real influxd (1.x) for integration tests.
 *
 * ioc_test_influx_start() runs /usr/bin/influxd (or $IOC_TEST_INFLUXD) on
 * free 127.0.0.1 ports, with its meta, data and WAL in a g_dir_make_tmp()
 * directory, reporting disabled and its log in that directory, and returns
 * once /ping answers (at most 30 s).  Stop and restart keep the ports and
 * the data (for outage tests).  ioc_test_influx_free() stops it by PID
 * (SIGTERM, then SIGKILL after 10 s), prints its log when the test failed
 * (g_test_failed(): use g_test_set_nonfatal_assertions() so that a failing
 * test gets that far) and removes the directory.  influxd is also told to
 * die with the test process (PR_SET_PDEATHSIG), so a crashed test leaves no
 * daemon behind.
 *
 * Also here, for the other helpers (tests/lib/test-broker.c):
 * ioc_test_free_port().  (ioc_test_rm_rf() lives in test-hub.h.)  Any
 * thread; not thread-safe per instance. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
 * released), or 0 on failure.  Another process may take it before the
 * caller binds it; good enough for tests. */
guint16 ioc_test_free_port (void);

typedef struct _IocTestInflux IocTestInflux;

IocTestInflux *ioc_test_influx_start (GError **error);
/* SIGTERM, then SIGKILL after 10 s; the data and ports stay reserved. */
void           ioc_test_influx_stop (IocTestInflux *self);
/* Stops it if running and starts it again on the same ports and data. */
gboolean       ioc_test_influx_restart (IocTestInflux *self, GError **error);
void           ioc_test_influx_free (IocTestInflux *self);

/* "http://127.0.0.1:<port>", valid until free. */
const gchar   *ioc_test_influx_url (IocTestInflux *self);
const gchar   *ioc_test_influx_log_path (IocTestInflux *self);
/* Prints influxd's log to stderr (done by free when the test failed). */
void           ioc_test_influx_dump_log (IocTestInflux *self);

/* POST /query q=<statement> (CREATE DATABASE, DROP …). */
gboolean       ioc_test_influx_exec (IocTestInflux *self, const gchar *statement, GError **error);
/* POST /write?db=<db>&precision=s with raw line protocol.  Returns the HTTP
 * status (0: no answer) and, when body is not NULL, the answer's body. */
long           ioc_test_influx_write (IocTestInflux *self, const gchar *db, const gchar *lines, gchar **body);
/* GET /query?db=<db>&q=<q> and read the first value of the first row's
 * second column (the first after "time"), e.g. SELECT count(f) FROM m.
 * An empty result (no series) reads as 0: that is what a count of nothing
 * means.  Fails on HTTP or query errors, or a null / non-numeric value. */
gboolean       ioc_test_influx_query_int (IocTestInflux *self, const gchar *db, const gchar *q, gint64 *out,
                                          GError **error);
gboolean       ioc_test_influx_query_double (IocTestInflux *self, const gchar *db, const gchar *q, gdouble *out,
                                             GError **error);
/* The whole JSON answer of a query (transfer full), for anything else. */
gchar         *ioc_test_influx_query_json (IocTestInflux *self, const gchar *db, const gchar *q, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocTestInflux, ioc_test_influx_free)

G_END_DECLS
