/* test-deadletter-metrics.c — iochub_deadletters_total on a real hub's
 * /metrics (integration suite: real mosquitto and iochub): one series per
 * reason, every reason listed at 0 as soon as the hub is up (an operator's
 * rate() or increase() over it reads "none rejected", not "no data"), and
 * each rejected message moves its own reason's series by exactly one.
 * docs/OPERATIONS.md's list of reasons is the list /metrics has. */
#include <string.h>

#include "protocol/ioc-error.h"
#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"

static gint
cmp_strp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

static gdouble
reason (IocTestHub *hub, const gchar *name)
{
  g_autofree gchar *series = g_strdup_printf ("iochub_deadletters_total{reason=\"%s\"}", name);
  return ioc_test_hub_metric (hub, series);
}

static void
test_every_reason_counted (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autoptr (IocTestHub) hub = ioc_test_hub_new_started (ioc_test_broker_url (broker), NULL, NULL);
  g_assert_nonnull (hub);

  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  for (guint r = IOC_REJECT_NONE + 1; r < IOC_REJECT_COUNT; r++)
    g_ptr_array_add (names, (gpointer) ioc_reject_name ((IocReject) r));
  g_ptr_array_add (names, "influx_rejected");
  for (guint i = 0; i < names->len; i++)
    {
      g_test_message ("reason %s", (const gchar *) names->pdata[i]);
      g_assert_cmpfloat (reason (hub, names->pdata[i]), ==, 0);
    }
  g_autofree gchar *metrics = ioc_test_hub_get (hub, "/metrics", NULL);
  g_assert_nonnull (strstr (metrics, "# TYPE iochub_deadletters_total counter\n"));

  /* docs/OPERATIONS.md lists exactly the reasons /metrics has. */
  g_autofree gchar *ops_path = g_build_filename (IOC_SOURCE_ROOT, "docs", "OPERATIONS.md", NULL);
  g_autofree gchar *ops = NULL;
  g_assert_true (g_file_get_contents (ops_path, &ops, NULL, NULL));
  const gchar *row = strstr (ops, "| `iochub_deadletters_total{reason}` |");
  g_assert_nonnull (row);
  g_autofree gchar *line = g_strndup (row, strcspn (row, "\n"));
  g_autoptr (GPtrArray) documented = g_ptr_array_new_with_free_func (g_free);
  const gchar *listed = strstr (line, "(`");
  g_assert_nonnull (listed);
  const gchar *listed_end = strchr (listed, ')'); /* the list is the parenthesis */
  g_assert_nonnull (listed_end);
  for (const gchar *p = strchr (listed, '`'); p != NULL && p < listed_end; p = strchr (p + 1, '`'))
    {
      const gchar *q = strchr (p + 1, '`');
      if (q == NULL)
        break;
      g_autofree gchar *word = g_strndup (p + 1, q - p - 1);
      if (g_regex_match_simple ("^[a-z0-9_]+$", word, 0, 0))
        g_ptr_array_add (documented, g_steal_pointer (&word));
      p = q;
    }
  g_autoptr (GPtrArray) exported = g_ptr_array_new_with_free_func (g_free);
  const gchar *prefix = "\niochub_deadletters_total{reason=\"";
  for (const gchar *p = strstr (metrics, prefix); p != NULL; p = strstr (p + 1, prefix))
    {
      const gchar *name = p + strlen (prefix);
      g_ptr_array_add (exported, g_strndup (name, strcspn (name, "\"")));
    }
  g_autofree gchar *doc_list = NULL, *exp_list = NULL;
  g_ptr_array_sort (documented, (GCompareFunc) cmp_strp);
  g_ptr_array_sort (exported, (GCompareFunc) cmp_strp);
  g_ptr_array_add (documented, NULL);
  g_ptr_array_add (exported, NULL);
  doc_list = g_strjoinv (" ", (gchar **) documented->pdata);
  exp_list = g_strjoinv (" ", (gchar **) exported->pdata);
  g_assert_cmpstr (doc_list, ==, exp_list);

  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "dl-metrics", &error);
  g_assert_no_error (error);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/desk-1/event", "not json", FALSE);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/desk-1/state", "maybe", FALSE);
  g_autofree gchar *big = g_strnfill (17 * 1024, 'x');
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/desk-1/event", big, FALSE);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_USEC_PER_SEC));
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end
         && (reason (hub, "bad_json") < 1 || reason (hub, "bad_state") < 1 || reason (hub, "too_large") < 1))
    g_usleep (50 * 1000);
  for (guint i = 0; i < names->len; i++)
    {
      const gchar *name = names->pdata[i];
      gboolean hit = g_str_equal (name, "bad_json") || g_str_equal (name, "bad_state")
                     || g_str_equal (name, "too_large");
      g_test_message ("reason %s", name);
      g_assert_cmpfloat (reason (hub, name), ==, hit ? 1 : 0);
    }
  g_assert_true (ioc_test_hub_stop (hub));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/deadletter-metrics/every-reason-counted", test_every_reason_counted);
  return g_test_run ();
}
