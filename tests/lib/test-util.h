/* test-util.h — small helpers every kind of test uses: glib only, so unit
 * tests can link them without the process-starting helpers of tests/lib. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes a file or a directory tree (test temporary directories). */
void ioc_test_rm_rf (const gchar *path);

/* A GSpawnChildSetupFunc (g_subprocess_launcher_set_child_setup): the
 * child is killed when the test process dies, so a test that crashes or
 * aborts on an assertion leaves no broker, hub or connector behind. */
void ioc_test_die_with_test (gpointer unused);

G_END_DECLS
