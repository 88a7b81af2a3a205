/* ioc-stats.c — see ioc-stats.h.  Values are updated with atomics from any
 * thread; the registry itself is guarded by one mutex. */
#include "protocol/ioc-stats.h"

#include <string.h>

struct _IocStat
{
  gchar *name;
  gchar *labels;
  gchar *help;
  IocStatType type;
  gboolean is_double;
  gint64 value; /* atomic; a double's bits when is_double */
};

static GMutex stats_lock;
static GPtrArray *stats_list;  /* IocStat*, registration order */
static GHashTable *stats_index; /* "name{labels}" → IocStat* */

IocStat *
ioc_stat (const gchar *name, const gchar *labels, IocStatType type, const gchar *help)
{
  g_return_val_if_fail (name != NULL, NULL);
  g_autofree gchar *key = g_strdup_printf ("%s{%s}", name, labels ? labels : "");

  g_mutex_lock (&stats_lock);
  if (stats_list == NULL)
    {
      stats_list = g_ptr_array_new ();
      stats_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    }
  IocStat *stat = g_hash_table_lookup (stats_index, key);
  if (stat == NULL)
    {
      stat = g_new0 (IocStat, 1);
      stat->name = g_strdup (name);
      stat->labels = g_strdup (labels ? labels : "");
      stat->help = g_strdup (help ? help : "");
      stat->type = type;
      g_ptr_array_add (stats_list, stat);
      g_hash_table_insert (stats_index, g_steal_pointer (&key), stat);
    }
  g_mutex_unlock (&stats_lock);
  return stat;
}

void
ioc_stat_add (IocStat *stat, gint64 delta)
{
  __atomic_fetch_add (&stat->value, delta, __ATOMIC_RELAXED);
}

void
ioc_stat_set (IocStat *stat, gint64 value)
{
  __atomic_store_n (&stat->value, value, __ATOMIC_RELAXED);
}

gint64
ioc_stat_get (const IocStat *stat)
{
  return __atomic_load_n (&stat->value, __ATOMIC_RELAXED);
}

void
ioc_stat_set_double (IocStat *stat, gdouble value)
{
  gint64 bits;
  memcpy (&bits, &value, sizeof bits);
  stat->is_double = TRUE;
  __atomic_store_n (&stat->value, bits, __ATOMIC_RELAXED);
}

gdouble
ioc_stat_get_double (const IocStat *stat)
{
  gint64 bits = __atomic_load_n (&stat->value, __ATOMIC_RELAXED);
  gdouble value;
  memcpy (&value, &bits, sizeof value);
  return value;
}

void
ioc_stats_render (GString *out)
{
  g_mutex_lock (&stats_lock);
  if (stats_list != NULL)
    {
      g_autoptr (GHashTable) done = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < stats_list->len; i++)
        {
          IocStat *head = g_ptr_array_index (stats_list, i);
          if (g_hash_table_contains (done, head->name))
            continue;
          g_hash_table_add (done, head->name);
          g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", head->name, head->help,
                                  head->name, head->type == IOC_STAT_COUNTER ? "counter" : "gauge");
          for (guint j = i; j < stats_list->len; j++)
            {
              IocStat *s = g_ptr_array_index (stats_list, j);
              if (strcmp (s->name, head->name) != 0)
                continue;
              g_string_append (out, s->name);
              if (s->labels[0] != '\0')
                g_string_append_printf (out, "{%s}", s->labels);
              if (s->is_double)
                {
                  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
                  g_string_append_printf (out, " %s\n",
                                          g_ascii_dtostr (buf, sizeof buf, ioc_stat_get_double (s)));
                }
              else
                g_string_append_printf (out, " %" G_GINT64_FORMAT "\n", ioc_stat_get (s));
            }
        }
    }
  g_mutex_unlock (&stats_lock);
}

gint64
ioc_stats_lookup (const gchar *name, const gchar *labels)
{
  g_autofree gchar *key = g_strdup_printf ("%s{%s}", name, labels ? labels : "");
  gint64 value = 0;
  g_mutex_lock (&stats_lock);
  IocStat *stat = stats_index ? g_hash_table_lookup (stats_index, key) : NULL;
  if (stat != NULL)
    value = ioc_stat_get (stat);
  g_mutex_unlock (&stats_lock);
  return value;
}
