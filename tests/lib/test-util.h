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

/* A random decimal number as JSON writes it, into num (at least 20
 * bytes): 1 to 17 digits with the point anywhere or nowhere, no leading
 * zero except in "0.x", never ending in the point. */
void ioc_test_random_decimal (GRand *rng, gchar *num);

G_END_DECLS
