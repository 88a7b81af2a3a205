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
 * failed and the program still exits normally (non-fatal assertions), the
 * program's last 40 TAP messages ("# …": what the test said, the failed
 * assertions) and "not ok" lines are written again to standard error as it
 * exits.  meson's --print-errorlogs shows only a TAP test's standard error;
 * there the failed assertion comes before the hubs' and brokers' logs
 * printed at teardown, and the test's own messages not at all.  A CI log's
 * tail then has both.  A fatal assertion aborts at once, after which its
 * message is already last.  The process-starting helpers (test-broker,
 * test-hub) call it. */
void ioc_test_recap_failures_at_exit (void);

G_END_DECLS
