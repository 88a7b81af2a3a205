/* ioc-keys.h — a string-keyed table's keys in order.  What the hub writes,
 * evaluates or lists in a table's order must not depend on hashing: the
 * same state gives the same file, the same notifications, the same page. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* strcmp for g_ptr_array_sort over an array of strings (its elements are
 * gchar *, so it is handed gchar **). */
gint       ioc_keys_cmp (gconstpointer a, gconstpointer b);

/* (transfer container) The string keys of table in strcmp order, borrowed
 * from it: valid while the table keeps them. */
GPtrArray *ioc_keys_sorted (GHashTable *table);

G_END_DECLS
