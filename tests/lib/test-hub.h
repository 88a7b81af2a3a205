/* test-hub.h — runs the real iochub binary for an integration test: writes a
 * hub.conf into a temporary directory, starts the daemon, waits until it is
 * subscribed (/healthz 200), kills it with SIGKILL or stops it with SIGTERM,
 * reads its HTTP endpoints.  Its log is printed when the test failed. */
#pragma once

#include <glib.h>

#include "test-util.h"

G_BEGIN_DECLS

typedef struct _IocTestHub IocTestHub;

/* extra: appended to the generated hub.conf (more groups/keys), may be NULL.
 * influx_url NULL: no InfluxDB. */
IocTestHub *ioc_test_hub_new (const gchar *mqtt_url, const gchar *influx_url, const gchar *extra,
                              GError **error);
gboolean    ioc_test_hub_start (IocTestHub *self, GError **error);
/* new + start, failing the test on an error; NULL when it could not start. */
IocTestHub *ioc_test_hub_new_started (const gchar *mqtt_url, const gchar *influx_url, const gchar *extra);
/* (transfer full) hub.conf lines for a hub with alert rules: writes
 * rules_text to DIR/alerts.conf and returns "[hub]\nalerts = …\n", then,
 * with all_hours_working, a calendar (DIR/calendar.conf) in which every day
 * and hour is working time, so that rules bound to working hours run
 * whenever the test does; then more (more [hub] keys first, then other
 * groups; may be NULL). */
gchar      *ioc_test_alerts_conf (const gchar *dir, const gchar *rules_text, gboolean all_hours_working,
                                  const gchar *more);
void        ioc_test_hub_kill (IocTestHub *self);      /* SIGKILL, reaped */
gboolean    ioc_test_hub_stop (IocTestHub *self);      /* SIGTERM; TRUE when it exited 0 */
gboolean    ioc_test_hub_is_running (IocTestHub *self);
void        ioc_test_hub_signal (IocTestHub *self, gint signum); /* e.g. SIGHUP for a reload */
const gchar *ioc_test_hub_conf_path (IocTestHub *self);           /* to rewrite the config before a reload */
guint       ioc_test_hub_http_port (IocTestHub *self);
const gchar *ioc_test_hub_dir (IocTestHub *self);
/* GET http://127.0.0.1:PORT/path: (transfer full) body, or NULL; status in *status. */
gchar      *ioc_test_hub_get (IocTestHub *self, const gchar *path, glong *status);
/* The value of one /metrics series, e.g. "iochub_deadletters_total{reason=\"bad_json\"}"; -1 if absent. */
gdouble     ioc_test_hub_metric (IocTestHub *self, const gchar *series);
/* Polls the series every 100 ms until it reads want or timeout_s passed;
 * returns the last value read (assert it equals want). */
gdouble     ioc_test_hub_wait_metric (IocTestHub *self, const gchar *series, gdouble want, gint64 timeout_s);
/* The same until it reads more than above (a counter that moved on). */
gdouble     ioc_test_hub_wait_metric_above (IocTestHub *self, const gchar *series, gdouble above, gint64 timeout_s);
void        ioc_test_hub_free (IocTestHub *self);


G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocTestHub, ioc_test_hub_free)

G_END_DECLS
