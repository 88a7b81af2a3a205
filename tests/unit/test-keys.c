/* test-keys.c — a table's keys in strcmp order, whatever the hashing. */
#include <string.h>

#include "protocol/ioc-keys.h"

static void
test_sorted (void)
{
  g_autoptr (GHashTable) t = g_hash_table_new (g_str_hash, g_str_equal);
  /* Unit codes as the registry holds them; "10" sorts before "9". */
  const gchar *codes[] = { "xa-9", "xa-10", "tinh-01", "phuong-26734", "all", "xa-1" };
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    g_hash_table_add (t, (gpointer) codes[i]);
  g_autoptr (GPtrArray) keys = ioc_keys_sorted (t);
  g_assert_cmpuint (keys->len, ==, G_N_ELEMENTS (codes));
  const gchar *want[] = { "all", "phuong-26734", "tinh-01", "xa-1", "xa-10", "xa-9" };
  for (guint i = 0; i < keys->len; i++)
    {
      g_assert_cmpstr (keys->pdata[i], ==, want[i]);
      /* Borrowed from the table, not copied. */
      g_assert_true (g_hash_table_contains (t, keys->pdata[i]));
    }
}

static void
test_empty (void)
{
  g_autoptr (GHashTable) t = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) keys = ioc_keys_sorted (t);
  g_assert_cmpuint (keys->len, ==, 0);
}

static void
test_cmp (void)
{
  g_autoptr (GPtrArray) a = g_ptr_array_new ();
  g_ptr_array_add (a, "b");
  g_ptr_array_add (a, "a");
  g_ptr_array_add (a, "ab");
  g_ptr_array_sort (a, ioc_keys_cmp);
  g_assert_cmpstr (a->pdata[0], ==, "a");
  g_assert_cmpstr (a->pdata[1], ==, "ab");
  g_assert_cmpstr (a->pdata[2], ==, "b");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/keys/sorted", test_sorted);
  g_test_add_func ("/ioc/keys/empty", test_empty);
  g_test_add_func ("/ioc/keys/cmp", test_cmp);
  return g_test_run ();
}
