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

/* (transfer full) a new directory name-XXXXXX for a fuzz target's scratch
 * files: under /dev/shm when it is writable (memory-backed, for a file per
 * input), else in the system's temporary directory.  Aborts when it cannot
 * be made: a fuzz target has no test to fail. */
gchar *ioc_test_fuzz_tmp_dir (const gchar *name);

/* Once per process (later calls do nothing): when a test of this program
 * failed, its last messages and failed assertions are written again to
 * standard error as the program exits.  meson's --print-errorlogs shows only
 * a TAP test's standard error, where the hub's and the brokers' logs are
 * printed at teardown; the assertion that failed went to standard output
 * and was never shown.  This puts it last, where a CI log's tail has it.
 * The process-starting helpers (test-broker, test-hub) call it. */
void ioc_test_recap_failures_at_exit (void);

G_END_DECLS
