/* test-util.h — small helpers every kind of test uses: glib only, so unit
 * tests can link them without the process-starting helpers of tests/lib. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes a file or a directory tree (test temporary directories). */
void ioc_test_rm_rf (const gchar *path);

G_END_DECLS
