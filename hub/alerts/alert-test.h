/* alert-test.h — promtool-style rule tests for the ops team:
 * `iochub --test-rules FILE`.  A test file names a rule file, input series
 * and the alerts expected at given times; the engine runs over them with a
 * manual clock.  Format: docs/ALERTS.md "Rule tests".  Main context. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends one line per expectation ("ok …" / "FAIL …" with a diff) to report.
 * FALSE with *error set when the file is invalid or any expectation failed. */
gboolean ioc_alert_test_rules (const gchar *path, GString *report, GError **error);

G_END_DECLS
