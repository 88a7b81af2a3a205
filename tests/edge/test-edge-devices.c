/* test-edge-devices.c — forged device ids cannot grow the hub, through the
 * real path (edge suite: real mosquitto and the iochub binary).
 *
 * A hub with [hub] max_devices_per_unit = 8 gets kiosk tickets from 20
 * device ids in one commune: 8 are taken, 12 are dead-lettered
 * too_many_devices (published on the dead-letter topic, counted in
 * /metrics).  The hub is SIGKILLed right after, before any snapshot, and 10
 * more new ids plus a second ticket from each of the 8 are published while
 * it is down.  After the restart (journal replay, then the queued messages)
 * the commune has 8 devices kept in /api/v1/connectors (the 22 refused are
 * listed by their dead letters only) and exactly 16 tickets
 * issued today: the cap took the same decisions in the replay as before the
 * crash, and nothing of the refused devices counts.  Before the cap, every
 * forged id cost ~0.8 KB, for ever, and /api/v1/connectors grew without
 * bound. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"

#define CAP 8
#define UNIT "xa-16681"

static void
send_ticket (IocTestPublisher *pub, guint device, guint seq, gint64 ts_ms)
{
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/" UNIT "/kiosk/forged-%02u/event", device);
  g_autofree gchar *payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.issued\","
                                               "\"ticket\":\"F%u-%u\"}",
                                               seq, ts_ms, device, seq);
  ioc_test_publisher_send (pub, topic, payload, FALSE);
}

static JsonNode *
get_json (IocTestHub *hub, const gchar *path)
{
  glong status = 0;
  g_autofree gchar *body = ioc_test_hub_get (hub, path, &status);
  if (body == NULL || status != 200)
    return NULL;
  return json_from_string (body, NULL);
}

/* Bounded wait until the unit's tickets issued today reach want; returns
 * the last value read (-1: none). */
static gint64
wait_issued (IocTestHub *hub, gint64 want)
{
  gint64 got = -1;
  for (guint i = 0; i < 200; i++) /* 20 s */
    {
      g_autoptr (JsonNode) root = get_json (hub, "/api/v1/summary?unit=" UNIT);
      if (root != NULL)
        {
          JsonObject *queue = json_object_get_object_member (json_node_get_object (root), "queue_today");
          got = json_object_get_int_member (queue, "issued");
          if (got == want)
            return got;
        }
      g_usleep (100 * 1000);
    }
  return got;
}

/* The forged kiosks /api/v1/connectors lists: those the hub keeps (heard,
 * with a unit) and those only known by their dead letters (unit null, the
 * dead-letter counts are bounded on their own). */
static void
forged_connectors (IocTestHub *hub, gint64 *kept, gint64 *refused)
{
  g_autoptr (JsonNode) root = get_json (hub, "/api/v1/connectors?kind=kiosk");
  g_assert_nonnull (root);
  JsonArray *rows = json_object_get_array_member (json_node_get_object (root), "connectors");
  *kept = *refused = 0;
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      if (!g_str_has_prefix (json_object_get_string_member (row, "device"), "forged-"))
        continue;
      if (!json_object_get_null_member (row, "unit"))
        (*kept)++;
      else if (g_strcmp0 (json_object_get_string_member (row, "last_reject_reason"), "too_many_devices") == 0)
        (*refused)++;
    }
}

static void
test_cap_across_sigkill (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  /* Snapshots far apart: the SIGKILL comes before any, so the restart
   * replays the whole journal through the cap. */
  g_autoptr (IocTestHub) hub = ioc_test_hub_new_started (
      ioc_test_broker_url (broker), NULL,
      "[hub]\nmax_devices_per_unit = 8\n[journal]\nsnapshot_interval = 1h\n");
  g_assert_nonnull (hub);
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "forger", &error);
  g_assert_no_error (error);

  gint64 ts_ms = g_get_real_time () / 1000 - 5000;
  for (guint d = 0; d < 20; d++)
    send_ticket (pub, d, 1, ts_ms);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_TIME_SPAN_SECOND));
  g_assert_cmpint (wait_issued (hub, CAP), ==, CAP);
  g_assert_cmpfloat (ioc_test_hub_wait_metric (hub, "iochub_deadletters_total{reason=\"too_many_devices\"}", 12, 20), ==, 12);
  gint64 kept = 0, refused = 0;
  forged_connectors (hub, &kept, &refused);
  g_assert_cmpint (kept, ==, CAP);
  g_assert_cmpint (refused, ==, 12);

  ioc_test_hub_kill (hub);
  for (guint d = 20; d < 30; d++)
    send_ticket (pub, d, 1, ts_ms);
  for (guint d = 0; d < 20; d++)
    send_ticket (pub, d, 2, ts_ms); /* the 8 known ones count; the 12 refused stay refused */
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_TIME_SPAN_SECOND));

  g_assert_true (ioc_test_hub_start (hub, &error));
  g_assert_no_error (error);
  g_assert_cmpint (wait_issued (hub, 2 * CAP), ==, 2 * CAP);
  /* Replayed: the first 12 again; then 10 new ids and 12 second tickets. */
  g_assert_cmpfloat (ioc_test_hub_wait_metric (hub, "iochub_deadletters_total{reason=\"too_many_devices\"}", 12 + 10 + 12, 20), ==,
                     12 + 10 + 12);
  forged_connectors (hub, &kept, &refused);
  g_assert_cmpint (kept, ==, CAP);
  g_assert_cmpint (refused, ==, 12 + 10);
  g_assert_cmpint (wait_issued (hub, 2 * CAP), ==, 2 * CAP);
  g_assert_true (ioc_test_hub_stop (hub));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/edge/devices/cap-across-sigkill", test_cap_across_sigkill);
  return g_test_run ();
}
