/* test-hub-spine.c — the hub end to end with real parts: mosquitto, influxd
 * and the iochub binary, on free loopback ports.  Each test counts in
 * InfluxDB exactly what was published, under the faults SPEC §7 promises to
 * survive: duplicates and bad messages, SIGKILL of the hub, an InfluxDB
 * outage, a broker restart. */
#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "test-publisher.h"
#include "test-stack.h"
#include "test-stream.h"

static const gchar *const units[] = { "xa-16681", "xa-16690", "xa-16702", "xa-16708", "tinh-40" };
#define N_UNITS G_N_ELEMENTS (units)

typedef struct
{
  IocTestStack stack;
  gint64 base_ms; /* event times are before this, in closed minutes */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  ioc_test_stack_start (&f->stack);
  ioc_test_stack_start_hub (&f->stack, NULL);
  f->base_ms = g_get_real_time () / 1000 - 60 * 1000;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  /* A clean stop (exit 0), asserted by ioc_test_stack_clear(). */
  ioc_test_stack_clear (&f->stack);
}

/* Message i of a stream: a kiosk ticket issued on device k-(i % n_devices)
 * with that device's next seq, at an event time spread over three closed
 * minutes. */
static void
stream_message (const Fixture *f, guint i, guint n_devices, gchar **topic, gchar **payload)
{
  guint device = i % n_devices;
  guint seq = i / n_devices + 1;
  const gchar *unit = units[device % N_UNITS];
  gint64 ts = f->base_ms - (gint64) (i % 180) * 1000;
  *topic = g_strdup_printf ("ioc/v1/40/%s/kiosk/k-%02u/event", unit, device);
  *payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.issued\","
                              "\"ticket\":\"A-%u\",\"service\":\"hộ tịch\"}",
                              seq, ts, i);
}

/* Bounded wait for InfluxDB to hold the expected total (points arrive after
 * the minute closes plus lateness, and after any outage drains). */
static gint64
wait_for_sum (Fixture *f, const gchar *unit, gint64 expected, gint64 timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gint64 got = -1;
  while (g_get_monotonic_time () < deadline)
    {
      got = ioc_test_stack_queue_sum (&f->stack, "issued", unit);
      if (got == expected)
        return got;
      g_usleep (250 * 1000);
    }
  /* The sum a failing assertion shows says little on its own. */
  g_test_message ("no sum of %s equal to %" G_GINT64_FORMAT " in %" G_GINT64_FORMAT " s: last %" G_GINT64_FORMAT
                  "%s%s", unit, expected, timeout_s, got, got < 0 ? ", query failed: " : "",
                  got < 0 && f->stack.last_query_error != NULL ? f->stack.last_query_error : "");
  return got;
}

static void
publish_stream (Fixture *f, IocTestPublisher *pub, guint from, guint to, guint n_devices)
{
  for (guint i = from; i < to; i++)
    {
      g_autofree gchar *topic = NULL;
      g_autofree gchar *payload = NULL;
      stream_message (f, i, n_devices, &topic, &payload);
      ioc_test_publisher_send (pub, topic, payload, FALSE);
    }
}

static void
test_exact_counts (Fixture *f, gconstpointer data)
{
  g_autoptr (IocTestPublisher) pub = ioc_test_stack_publisher (&f->stack);

  const guint n = 1000, n_devices = 20;
  publish_stream (f, pub, 0, n, n_devices);
  /* Every 7th message again, as a connector resending after a lost PUBACK. */
  for (guint i = 0; i < n; i += 7)
    {
      g_autofree gchar *topic = NULL;
      g_autofree gchar *payload = NULL;
      stream_message (f, i, n_devices, &topic, &payload);
      ioc_test_publisher_send (pub, topic, payload, FALSE);
    }
  /* One bad message per reason; none may count, none may stall the stream. */
  static const struct
  {
    const gchar *topic;
    const gchar *payload;
    const gchar *reason;
  } bad[] = {
    { "ioc/v1/40/xa-16681/kiosk/bad-1/event", "{\"v\":1,\"seq\":1,", "bad_json" },
    { "ioc/v1/40/xa-99999/kiosk/bad-2/event", "{\"v\":1,\"seq\":1,\"ts\":1,\"type\":\"ticket.issued\",\"ticket\":\"x\"}", "unknown_unit" },
    { "ioc/v1/40/xa-16681/kiosk/bad-3/event", "{\"v\":1,\"seq\":1,\"ts\":1700000000000,\"type\":\"rating\",\"level\":6,\"scale\":5,\"channel\":\"qr\"}", "out_of_range" },
    { "ioc/v1/40/xa-16681/kiosk/bad-4/event", "{\"v\":1,\"ts\":1700000000000,\"type\":\"ticket.issued\",\"ticket\":\"x\"}", "missing_field" },
    { "ioc/v1/40/xa-16681/kiosk/bad-5/event", "{\"v\":1,\"seq\":1,\"ts\":\"2099-01-01T00:00:00+07:00\",\"type\":\"ticket.issued\",\"ticket\":\"x\"}", "future_ts" },
    /* A kind SPEC does not name reaches the hub on its connector's state
     * topic: the hub subscribes kind by kind (hub/io/mqtt-client.h). */
    { "ioc/v1/40/xa-16681/toaster/bad-6/state", "online", "unknown_kind" },
    { "ioc/v1/40/xa-16681/kiosk/bad-7/event", "{\"v\":2,\"seq\":1,\"ts\":1,\"type\":\"ticket.issued\",\"ticket\":\"x\"}", "bad_version" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    ioc_test_publisher_send (pub, bad[i].topic, bad[i].payload, FALSE);
  /* A last good message after the bad ones proves the stream did not stall. */
  publish_stream (f, pub, n, n + 20, n_devices);
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));

  g_assert_cmpint (wait_for_sum (f, "all", n + 20, 60), ==, n + 20);
  for (guint u = 0; u < N_UNITS; u++)
    g_assert_cmpint (ioc_test_stack_queue_sum (&f->stack, "issued", units[u]), ==, (n + 20) / N_UNITS);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree gchar *series = g_strdup_printf ("iochub_deadletters_total{reason=\"%s\"}", bad[i].reason);
      g_assert_cmpfloat (ioc_test_hub_metric (f->stack.hub, series), ==, 1.0);
    }
  /* Resends by the publisher after a lost PUBACK would add to these. */
  g_assert_cmpfloat (ioc_test_hub_metric (f->stack.hub, "iochub_duplicates_total"), >=, (gdouble) ((n + 6) / 7));
}

/* One message of the paced stream (tests/lib/test-stream.h): 50 devices. */
static void
stream_one (guint i, IocTestPublisher *pub, gpointer user_data)
{
  publish_stream (user_data, pub, i, i + 1, 50);
}

static void
test_sigkill_twice (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub = ioc_test_stack_publisher (&f->stack);
  const guint n = 6000;
  IocTestStream *stream = ioc_test_stream_start (pub, n, 1500, stream_one, f);
  for (int round = 0; round < 2; round++)
    {
      g_usleep (1200 * 1000);
      ioc_test_hub_kill (f->stack.hub);
      g_usleep (300 * 1000);
      ioc_test_hub_start (f->stack.hub, &error);
      g_assert_no_error (error);
    }
  ioc_test_stream_join (stream);
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));
  g_assert_cmpint (wait_for_sum (f, "all", n, 60), ==, n);
  /* The last kill came before any snapshot of that run: its state really
   * came back from the journal. */
  g_assert_cmpfloat (ioc_test_hub_metric (f->stack.hub, "iochub_messages_replayed_total"), >, 0.0);
}

static void
test_influx_outage (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub = ioc_test_stack_publisher (&f->stack);
  const guint n = 3000;
  IocTestStream *stream = ioc_test_stream_start (pub, n, 500, stream_one, f);
  g_usleep (1000 * 1000);
  ioc_test_influx_stop (f->stack.influx);
  g_usleep (30 * G_TIME_SPAN_SECOND); /* SPEC §7 / issue: InfluxDB down for 30 s during a stream */
  g_assert_cmpfloat (ioc_test_hub_metric (f->stack.hub, "iochub_spool_bytes"), >, 0.0);
  ioc_test_influx_restart (f->stack.influx, &error);
  g_assert_no_error (error);
  ioc_test_stream_join (stream);
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));
  g_assert_cmpint (wait_for_sum (f, "all", n, 90), ==, n);
  g_assert_cmpfloat (ioc_test_hub_metric (f->stack.hub, "iochub_spool_dropped_bytes_total"), <=, 0.0);
}

static void
test_broker_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub = ioc_test_stack_publisher (&f->stack);
  const guint n = 4000;
  IocTestStream *stream = ioc_test_stream_start (pub, n, 1000, stream_one, f);
  g_usleep (1500 * 1000);
  ioc_test_broker_restart (f->stack.broker, &error);
  g_assert_no_error (error);
  ioc_test_stream_join (stream);
  g_assert_true (ioc_test_publisher_flush (pub, 60 * G_TIME_SPAN_SECOND));
  g_assert_cmpint (wait_for_sum (f, "all", n, 90), ==, n);
  /* The hub noticed and came back by itself. */
  g_assert_cmpfloat (ioc_test_hub_metric (f->stack.hub, "iochub_mqtt_reconnects_total"), >=, 1.0);
}

/* SPEC §5: wait and service time, median and p90, per unit and for the
 * province, from desk events through the broker into InfluxDB. */
static gdouble
queue_field (Fixture *f, const gchar *field, const gchar *unit)
{
  g_autofree gchar *q = g_strdup_printf ("SELECT last(\"%s\") FROM \"ioc_queue\" WHERE \"unit\"='%s'", field, unit);
  gdouble v = -1;
  if (!ioc_test_influx_query_double (f->stack.influx, "ioc", q, &v, NULL))
    return -1; /* not yet: the database is made with the first write */
  return v;
}

static void
test_wait_and_service_percentiles (Fixture *f, gconstpointer data)
{
  g_autoptr (IocTestPublisher) pub = ioc_test_stack_publisher (&f->stack);
  /* 100 tickets at one desk within one closed minute: waits 1..100 s,
   * services 201..300 s. */
  gint64 minute_ms = (f->base_ms / 60000 - 1) * 60000;
  guint seq = 0;
  for (guint i = 1; i <= 100; i++)
    {
      gint64 ts = minute_ms + (gint64) (i % 50) * 1000;
      g_autofree gchar *called = g_strdup_printf (
          "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.called\",\"ticket\":\"A%03u\","
          "\"counter\":\"c1\",\"wait_s\":%u}", ++seq, ts, i, i);
      g_autofree gchar *done = g_strdup_printf (
          "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"service.done\",\"ticket\":\"A%03u\","
          "\"counter\":\"c1\",\"service_s\":%u}", ++seq, ts + 500, i, 200 + i);
      ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/d-01/event", called, FALSE);
      ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/d-01/event", done, FALSE);
    }
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));

  /* Bounded wait until the minute is written whole, in both scopes: it is
   * closed already, so each hub tick re-writes it with what has come in so
   * far, and a point of the first few tickets has percentiles of its own. */
  gint64 deadline = g_get_monotonic_time () + 90 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline
         && !(ioc_test_stack_queue_sum (&f->stack, "called", "xa-16681") == 100
              && ioc_test_stack_queue_sum (&f->stack, "served", "xa-16681") == 100
              && ioc_test_stack_queue_sum (&f->stack, "called", "all") == 100
              && ioc_test_stack_queue_sum (&f->stack, "served", "all") == 100))
    g_usleep (250 * 1000);

  static const struct { const gchar *field; gdouble want; } fields[] = {
    { "wait_p50_s", 50 }, { "wait_p90_s", 90 }, { "service_p50_s", 250 }, { "service_p90_s", 290 },
  };
  const gchar *const scopes[] = { "xa-16681", "all" };
  for (guint u = 0; u < G_N_ELEMENTS (scopes); u++)
    for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
      {
        gdouble got = queue_field (f, fields[i].field, scopes[u]);
        g_test_message ("%s %s = %g (want %g)", scopes[u], fields[i].field, got, fields[i].want);
        /* The sketch's relative error is 1 %. */
        g_assert_cmpfloat (fabs (got - fields[i].want), <=, 0.01 * fields[i].want);
      }
  g_assert_cmpint (ioc_test_stack_queue_sum (&f->stack, "called", "xa-16681"), ==, 100);
  g_assert_cmpint (ioc_test_stack_queue_sum (&f->stack, "served", "xa-16681"), ==, 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/ioc/hub-spine/exact-counts-duplicates-bad-messages", Fixture, NULL, fixture_setup,
              test_exact_counts, fixture_teardown);
  g_test_add ("/ioc/hub-spine/sigkill-twice-exact", Fixture, NULL, fixture_setup, test_sigkill_twice,
              fixture_teardown);
  g_test_add ("/ioc/hub-spine/influx-down-30s-exact", Fixture, NULL, fixture_setup, test_influx_outage,
              fixture_teardown);
  g_test_add ("/ioc/hub-spine/broker-restart-exact", Fixture, NULL, fixture_setup, test_broker_restart,
              fixture_teardown);
  g_test_add ("/ioc/hub-spine/wait-and-service-median-and-p90", Fixture, NULL, fixture_setup,
              test_wait_and_service_percentiles, fixture_teardown);
  return g_test_run ();
}
