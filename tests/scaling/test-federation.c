/* test-federation.c — the rollup exchange (SPEC §9): three hubs split a
 * province's units, publish their rollups on ioc/v1/40/rollup/<hub> and
 * merge each other's.  Real mosquitto and iochub processes.
 *   - every one of the three serves, on GET /api/v1/federation, province
 *     totals of today equal to the count published across all units, even
 *     though each saw only its own units, and after one of them was
 *     SIGKILLed mid-stream and restarted (its ledger and journal bring its
 *     day back);
 *   - a fourth hub started afterwards, owning no unit with traffic, shows
 *     the same totals at once from the retained rollups. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "protocol/ioc-time.h"
#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"
#include "test-stream.h"

static const gchar *const units[] = { "xa-16681", "xa-16690", "xa-16702", "xa-16708", "xa-16732",
                                      "xa-16738", "xa-16744", "xa-16750", "tinh-40" };
#define N_UNITS G_N_ELEMENTS (units)
#define N_PARTS 3

typedef struct
{
  IocTestBroker *broker;
  IocTestHub *parts[N_PARTS];
  IocTestHub *wall;
  gint64 base_ms;
} Fixture;

static IocTestHub *
start_hub (Fixture *f, const gchar *id, const gchar *units_owned)
{
  g_autofree gchar *extra = g_strdup_printf ("[hub]\nid = %s\nunits_owned = %s\n[mqtt]\nclient_id = iochub-%s\n"
                                             "[federation]\nenabled = true\npublish_interval = 1s\n",
                                             id, units_owned, id);
  return ioc_test_hub_new_started (ioc_test_broker_url (f->broker), NULL, extra);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  if (f->broker == NULL)
    return;
  for (guint p = 0; p < N_PARTS; p++)
    {
      g_autoptr (GString) owned = g_string_new (NULL);
      for (guint u = p; u < N_UNITS; u += N_PARTS)
        g_string_append_printf (owned, "%s%s", owned->len ? "," : "", units[u]);
      g_autofree gchar *id = g_strdup_printf ("part-%c", 'a' + p);
      f->parts[p] = start_hub (f, id, owned->str);
    }
  f->base_ms = g_get_real_time () / 1000 - 60 * 1000;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  IocTestHub **all[] = { &f->parts[0], &f->parts[1], &f->parts[2], &f->wall };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      if (*all[i] != NULL && ioc_test_hub_is_running (*all[i]))
        g_assert_true (ioc_test_hub_stop (*all[i]));
      g_clear_pointer (all[i], ioc_test_hub_free);
    }
  g_clear_pointer (&f->broker, ioc_test_broker_free);
}

static gint64
event_ts_ms (Fixture *f, guint i)
{
  return f->base_ms - (gint64) (i % 180) * 1000;
}

static void
publish_one (Fixture *f, IocTestPublisher *pub, guint i, guint n_devices)
{
  guint device = i % n_devices;
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/kiosk/k-%03u/event", units[device % N_UNITS], device);
  g_autofree gchar *payload = g_strdup_printf (
      "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.issued\",\"ticket\":\"A-%u\"}",
      i / n_devices + 1, event_ts_ms (f, i), i);
  ioc_test_publisher_send (pub, topic, payload, FALSE);
}

/* The paced stream (tests/lib/test-stream.h): message i of n_devices. */
typedef struct
{
  Fixture *f;
  guint n_devices;
} Stream;

static void
stream_one (guint i, IocTestPublisher *pub, gpointer user_data)
{
  Stream *st = user_data;
  publish_one (st->f, pub, i, st->n_devices);
}

/* The province's tickets of today ("today" is the hub's local day: a test
 * run across local midnight counts only the minutes after it). */
static gint64
expected_today (Fixture *f, guint n)
{
  gint64 day_start_ms = ioc_time_local_day_start (g_get_real_time ()) / 1000;
  gint64 count = 0;
  for (guint i = 0; i < n; i++)
    if (ioc_time_minute_start (event_ts_ms (f, i) * 1000) / 1000 >= day_start_ms)
      count++;
  return count;
}

/* From GET /api/v1/federation: the issued tickets of province 40 and the
 * number of its hubs that are current; -1 when unreadable. */
static gint64
federation_issued (IocTestHub *hub, guint *n_hubs)
{
  glong status = 0;
  g_autofree gchar *body = ioc_test_hub_get (hub, "/api/v1/federation", &status);
  if (status != 200 || body == NULL)
    return -1;
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, body, -1, NULL))
    return -1;
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonArray *provinces = json_object_get_array_member (root, "provinces");
  for (guint i = 0; provinces != NULL && i < json_array_get_length (provinces); i++)
    {
      JsonObject *p = json_array_get_object_element (provinces, i);
      if (g_strcmp0 (json_object_get_string_member (p, "province"), "40") != 0)
        continue;
      JsonArray *hubs = json_object_get_array_member (p, "hubs");
      guint current = 0;
      for (guint h = 0; h < json_array_get_length (hubs); h++)
        current += json_object_get_boolean_member (json_array_get_object_element (hubs, h), "current");
      if (n_hubs != NULL)
        *n_hubs = current;
      JsonObject *today = json_object_get_object_member (p, "today");
      return json_object_get_int_member (json_object_get_object_member (today, "ioc_queue"), "issued");
    }
  return 0;
}

static gint64
wait_for_issued (IocTestHub *hub, gint64 expected, gint64 timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gint64 got = -1;
  while (g_get_monotonic_time () < deadline)
    {
      got = federation_issued (hub, NULL);
      if (got == expected)
        return got;
      g_usleep (250 * 1000);
    }
  return got;
}

static void
test_merged_totals (Fixture *f, gconstpointer data)
{
  if (g_test_failed ())
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (f->broker), "test-pub", &error);
  g_assert_no_error (error);
  if (pub == NULL)
    return;
  const guint n = 6000, n_devices = 90;
  Stream st = { f, n_devices };
  IocTestStream *stream = ioc_test_stream_start (pub, n, 1500, stream_one, &st);
  g_usleep (1500 * 1000);
  ioc_test_hub_kill (f->parts[1]);
  g_usleep (700 * 1000);
  ioc_test_hub_start (f->parts[1], &error);
  g_assert_no_error (error);
  ioc_test_stream_join (stream);
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));

  gint64 expected = expected_today (f, n);
  for (guint p = 0; p < N_PARTS; p++)
    {
      g_assert_cmpint (wait_for_issued (f->parts[p], expected, 90), ==, expected);
      guint current = 0;
      federation_issued (f->parts[p], &current);
      g_assert_cmpuint (current, ==, N_PARTS);
    }

  /* A wall hub started now owns a unit without traffic: the retained
   * rollups alone give it the province. */
  f->wall = start_hub (f, "wall", "xa-16792");
  if (f->wall == NULL)
    return;
  g_assert_cmpint (wait_for_issued (f->wall, expected, 10), ==, expected);
  guint current = 0;
  federation_issued (f->wall, &current);
  g_assert_cmpuint (current, ==, N_PARTS + 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add ("/ioc/scaling/federation/three-hubs-merge-exact-after-sigkill", Fixture, NULL, fixture_setup,
              test_merged_totals, fixture_teardown);
  return g_test_run ();
}
