/* test-victoria-storage.c — clustered storage (SPEC §9): the hub's InfluxDB
 * writer, unchanged, against VictoriaMetrics.  Real parts on free loopback
 * ports: mosquitto, iochub, victoria-metrics, vmagent.
 *   - one VictoriaMetrics node takes the line protocol on /write: the
 *     per-unit and province counts read back are exactly what was published
 *     (duplicates included in the stream, dropped by the hub);
 *   - vmagent shards the lines across two nodes (each series on exactly one
 *     node): the sum over both nodes is exact, both nodes hold series, and
 *     no series is on both.
 * Each minute point is written once here: the stream's events are of the
 * last seconds and the hub waits 20 s past a minute's end before it writes
 * it.  A point written again with corrected values (late data) is not what
 * this can check: Debian 12's VictoriaMetrics (1.79) keeps any one of the
 * copies of a series' timestamp, not the last (docs/SCALING.md). */
#include <gio/gio.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"
#include "test-victoria.h"

static const gchar *const units[] = { "xa-16681", "xa-16690", "xa-16702", "xa-16708", "tinh-40" };
#define N_UNITS G_N_ELEMENTS (units)
#define N_NODES 2

typedef struct
{
  IocTestBroker *broker;
  IocTestVictoria *nodes[N_NODES];
  guint n_nodes;
  IocTestVictoria *agent; /* NULL: the hub writes to nodes[0] */
  IocTestHub *hub;
  gint64 base_ms;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  gboolean sharded = GPOINTER_TO_INT (data);
  g_autoptr (GError) error = NULL;
  f->broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  if (f->broker == NULL)
    return;
  f->n_nodes = sharded ? N_NODES : 1;
  const gchar *urls[N_NODES];
  for (guint i = 0; i < f->n_nodes; i++)
    {
      f->nodes[i] = ioc_test_victoria_start (&error);
      g_assert_no_error (error);
      if (f->nodes[i] == NULL)
        return;
      urls[i] = ioc_test_victoria_url (f->nodes[i]);
    }
  if (sharded)
    {
      f->agent = ioc_test_vmagent_start (urls, f->n_nodes, TRUE, &error);
      g_assert_no_error (error);
      if (f->agent == NULL)
        return;
    }
  const gchar *store = ioc_test_victoria_url (f->agent != NULL ? f->agent : f->nodes[0]);
  f->hub = ioc_test_hub_new (ioc_test_broker_url (f->broker), store, "[windows]\nlateness = 20s\n", &error);
  g_assert_no_error (error);
  if (f->hub == NULL)
    return;
  ioc_test_hub_start (f->hub, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->hub != NULL && ioc_test_hub_is_running (f->hub))
    g_assert_true (ioc_test_hub_stop (f->hub));
  g_clear_pointer (&f->hub, ioc_test_hub_free);
  g_clear_pointer (&f->agent, ioc_test_victoria_free);
  for (guint i = 0; i < N_NODES; i++)
    g_clear_pointer (&f->nodes[i], ioc_test_victoria_free);
  g_clear_pointer (&f->broker, ioc_test_broker_free);
}

/* Message i: a ticket issued on kiosk k-(i % n_devices), in the last five
 * seconds (one minute or two), all of it before the hub writes them. */
static void
publish_stream (Fixture *f, IocTestPublisher *pub, guint n, guint n_devices)
{
  f->base_ms = g_get_real_time () / 1000;
  for (guint i = 0; i < n; i++)
    {
      guint device = i % n_devices;
      gint64 ts = f->base_ms - (gint64) (i % 5) * 1000;
      g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/kiosk/k-%02u/event", units[device % N_UNITS], device);
      g_autofree gchar *payload = g_strdup_printf (
          "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.issued\",\"ticket\":\"A-%u\"}",
          i / n_devices + 1, ts, i);
      ioc_test_publisher_send (pub, topic, payload, FALSE);
      if (i % 5 == 0) /* a connector resending after a lost PUBACK */
        ioc_test_publisher_send (pub, topic, payload, FALSE);
    }
}

/* The sum of one field over every node (a sharded store is read whole). */
static gdouble
store_sum (Fixture *f, const gchar *selector, guint *n_series_per_node)
{
  gdouble total = 0;
  for (guint i = 0; i < f->n_nodes; i++)
    {
      g_autoptr (GError) error = NULL;
      gdouble sum = 0;
      guint series = 0;
      g_assert_true (ioc_test_victoria_export_sum (f->nodes[i], selector, &sum, NULL, &series, &error));
      g_assert_no_error (error);
      total += sum;
      if (n_series_per_node != NULL)
        n_series_per_node[i] = series;
    }
  return total;
}

static gdouble
wait_for_sum (Fixture *f, const gchar *selector, gdouble expected, gint64 timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gdouble got = -1;
  while (g_get_monotonic_time () < deadline)
    {
      got = store_sum (f, selector, NULL);
      if (got == expected)
        return got;
      g_usleep (250 * 1000);
    }
  return got;
}

static void
test_exact_counts (Fixture *f, gconstpointer data)
{
  if (g_test_failed ()) /* set-up failed; its error is reported */
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (f->broker), "test-pub", &error);
  g_assert_no_error (error);
  if (pub == NULL)
    return;
  const guint n = 2000, n_devices = 20;
  publish_stream (f, pub, n, n_devices);
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));

  /* Written 20 s after the end of the events' minute: up to 80 s from now. */
  g_assert_cmpfloat (wait_for_sum (f, "{__name__=\"ioc_queue_issued\",unit=\"all\"}", n, 120), ==, n);
  /* Each point was written once (see the top): no fact came after its
   * minute was written. */
  g_assert_cmpfloat (ioc_test_hub_metric (f->hub, "iochub_rollup_late_facts_total"), ==, 0);
  /* Waited for too: with two shards, a unit's series may sit on the node
   * that makes fresh data searchable a moment after the other. */
  for (guint u = 0; u < N_UNITS; u++)
    {
      g_autofree gchar *sel = g_strdup_printf ("{__name__=\"ioc_queue_issued\",unit=\"%s\"}", units[u]);
      g_assert_cmpfloat (wait_for_sum (f, sel, (gdouble) (n / N_UNITS), 30), ==, (gdouble) (n / N_UNITS));
    }
  /* Every point carries the writing hub's id (SPEC §6). */
  g_assert_cmpfloat (store_sum (f, "{__name__=\"ioc_queue_issued\",unit=\"all\",hub=\"test-hub\"}", NULL), ==, n);

  if (f->n_nodes > 1)
    {
      /* Really sharded: both nodes hold series, and none is on both (the
       * same selector's series counts add up to the distinct total). */
      guint per_node[N_NODES] = { 0 };
      store_sum (f, "{__name__=~\"ioc_.*\"}", per_node);
      for (guint i = 0; i < f->n_nodes; i++)
        g_assert_cmpuint (per_node[i], >, 0);
      guint unit_series[N_NODES] = { 0 };
      store_sum (f, "{__name__=\"ioc_queue_issued\"}", unit_series);
      g_assert_cmpuint (unit_series[0] + unit_series[1], ==, N_UNITS + 1);
      g_assert_cmpfloat (ioc_test_victoria_metric (f->agent, "vmagent_remotewrite_pending_data_bytes"), <=, 0.0);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add ("/ioc/scaling/victoria/one-node-exact", Fixture, GINT_TO_POINTER (FALSE), fixture_setup,
              test_exact_counts, fixture_teardown);
  g_test_add ("/ioc/scaling/victoria/vmagent-two-shards-exact", Fixture, GINT_TO_POINTER (TRUE), fixture_setup,
              test_exact_counts, fixture_teardown);
  return g_test_run ();
}
