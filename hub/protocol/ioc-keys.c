/* ioc-keys.c — see ioc-keys.h. */
#include "protocol/ioc-keys.h"

#include <string.h>

gint
ioc_keys_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

GPtrArray *
ioc_keys_sorted (GHashTable *table)
{
  g_return_val_if_fail (table != NULL, NULL);
  GPtrArray *keys = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_ptr_array_add (keys, k);
  g_ptr_array_sort (keys, ioc_keys_cmp);
  return keys;
}
