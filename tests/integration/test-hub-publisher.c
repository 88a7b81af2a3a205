/* test-hub-publisher.c — the hub's publishing connection (its client id +
 * "-pub", which carries dead letters, alerts and configs) on a real
 * mosquitto: a second client that takes that id makes the broker close the
 * hub's connection every time either reconnects.  The soaks ran for hours
 * like that with nothing in the hub's log; the hub now counts each loss
 * and, once they come soon after each connect, names the likely cause. */
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"

static void
test_shared_client_id_named (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autoptr (IocTestHub) hub = ioc_test_hub_new_started (ioc_test_broker_url (broker), NULL, NULL);
  g_assert_nonnull (hub);
  g_assert_cmpfloat (ioc_test_hub_metric (hub, "iochub_mqtt_publisher_lost_total"), ==, 0);

  /* The test hub's client id is iochub-test. */
  IocTestPublisher *impostor = ioc_test_publisher_new (ioc_test_broker_url (broker), "iochub-test-pub", &error);
  g_assert_no_error (error);
  gdouble lost = ioc_test_hub_wait_metric_above (hub, "iochub_mqtt_publisher_lost_total", 2.5, 60);
  ioc_test_publisher_free (impostor);
  g_assert_cmpfloat (lost, >=, 3);

  g_autofree gchar *log_path = g_build_filename (ioc_test_hub_dir (hub), "hub.log", NULL);
  g_autofree gchar *log = NULL;
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "iochub-test-pub: publishing connection to "));
  g_assert_nonnull (strstr (log, "is another client using the client id iochub-test-pub?"));
  g_assert_true (ioc_test_hub_is_running (hub));
  if (g_test_verbose ())
    g_printerr ("%s", log);
  g_assert_true (ioc_test_hub_stop (hub));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/hub-publisher/shared-client-id-named", test_shared_client_id_named);
  return g_test_run ();
}
