/* test-hub-backlog.c — a backlog queued at the broker while the hub was
 * down drains through the hub's ingest sessions exactly (counted in InfluxDB
 * once each), with the broker's in-flight window held: mosquitto 2.0.11
 * overruns it for a 3.1.1 session (or an MQTT 5 one with a Receive Maximum
 * above one), and both ends then search their QoS 2 lists linearly
 * (docs/BENCHMARKS.md §3.1).  Also: a SIGKILL in the middle of the drain,
 * and a hub given fewer sessions while the old ones still hold messages. */
#include <signal.h>
#include <string.h>

#include "test-publisher.h"
#include "test-stack.h"

/* Current units that the unit hash spreads over 6 of 8 sessions. */
static const gchar *const units[] = { "xa-16681", "xa-16690", "xa-16702", "xa-16708", "tinh-40",
                                      "xa-16732", "xa-16738", "xa-16744" };
#define N_UNITS G_N_ELEMENTS (units)
/* Device d is a kiosk (d % 4 == 0, 1: tickets issued), a desk (2: tickets
 * called) or a camera (3: status); d belongs to unit d % N_UNITS. */
#define N_DEVICES 40

typedef struct
{
  IocTestStack stack;
  gint64 base_ms;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  ioc_test_stack_start (&f->stack);
  f->base_ms = g_get_real_time () / 1000 - 60 * 1000;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  ioc_test_stack_clear (&f->stack);
}

/* Message i comes from device i % N_DEVICES with its next seq, at an event
 * time in one of three closed minutes; every 50th of them a portal dossier
 * event (one portal device, publishing under every unit). */
static void
publish_backlog (Fixture *f, guint n)
{
  g_autoptr (IocTestPublisher) pub = ioc_test_stack_publisher (&f->stack);
  guint portal_seq = 0;
  for (guint i = 0; i < n; i++)
    {
      guint d = i % N_DEVICES;
      guint seq = i / N_DEVICES + 1;
      gint64 ts = f->base_ms - (gint64) (i % 180) * 1000;
      const gchar *unit = units[d % N_UNITS];
      g_autofree gchar *topic = NULL;
      g_autofree gchar *payload = NULL;
      switch (d % 4)
        {
        case 0:
        case 1:
          topic = g_strdup_printf ("ioc/v1/40/%s/kiosk/k-%02u/event", unit, d);
          payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT
                                     ",\"type\":\"ticket.issued\",\"ticket\":\"A-%u\"}", seq, ts, i);
          break;
        case 2:
          topic = g_strdup_printf ("ioc/v1/40/%s/desk/d-%02u/event", unit, d);
          payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT
                                     ",\"type\":\"ticket.called\",\"ticket\":\"A-%u\",\"counter\":\"q1\",\"wait_s\":60}",
                                     seq, ts, i);
          break;
        default:
          topic = g_strdup_printf ("ioc/v1/40/%s/camera/c-%02u/status", unit, d);
          payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT
                                     ",\"cameras\":[{\"camera\":\"cam-1\",\"online\":true,\"recording\":true}]}",
                                     seq, ts);
          break;
        }
      ioc_test_publisher_send (pub, topic, payload, FALSE);
      if (i % 50 == 0)
        {
          g_autofree gchar *ptopic = g_strdup_printf ("ioc/v1/40/%s/portal/p-1/event", unit);
          g_autofree gchar *ppayload = g_strdup_printf (
              "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"dossier\",\"dossier\":\"000.00.40.H40-%06u\","
              "\"procedure\":\"1.000001\",\"state\":2,\"channel\":2,\"received_at\":%" G_GINT64_FORMAT
              ",\"due_at\":%" G_GINT64_FORMAT "}",
              ++portal_seq, ts, i, ts, ts + 5 * 86400000);
          ioc_test_publisher_send (pub, ptopic, ppayload, FALSE);
        }
    }
  g_assert_true (ioc_test_publisher_flush (pub, 60 * G_TIME_SPAN_SECOND));
}

/* Messages published for n stream messages: the stream plus the portal's. */
static guint
published (guint n)
{
  return n + (n + 49) / 50;
}

static gint64
wait_for_issued (Fixture *f, gint64 expected, gint64 timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gint64 got = -1;
  while (g_get_monotonic_time () < deadline)
    {
      got = ioc_test_stack_queue_sum (&f->stack, "issued", "all")
            + ioc_test_stack_queue_sum (&f->stack, "called", "all");
      if (got == expected)
        return got;
      g_usleep (250 * 1000);
    }
  return got;
}


/* The hub once, to create its persistent sessions; then it goes away. */
static void
register_and_stop (Fixture *f, const gchar *extra)
{
  g_assert_true (ioc_test_stack_start_hub (&f->stack, extra));
  g_assert_true (ioc_test_hub_stop (f->stack.hub));
}

static gdouble
metric (Fixture *f, const gchar *series)
{
  return ioc_test_hub_metric (f->stack.hub, series);
}

/* Every message of the stream counted once: tickets in InfluxDB per unit,
 * and everything (camera status, portal events too) accepted by the hub. */
static void
assert_exact (Fixture *f, guint n, gboolean one_process)
{
  g_assert_cmpint (wait_for_issued (f, n / 4 * 3, 90), ==, n / 4 * 3);
  for (guint u = 0; u < N_UNITS; u++)
    {
      /* Unit u has the devices d = u mod 8, all of kind u % 4. */
      guint devices = N_DEVICES / N_UNITS;
      g_assert_cmpint (ioc_test_stack_queue_sum (&f->stack, "issued", units[u]), ==,
                       u % 4 < 2 ? devices * (n / N_DEVICES) : 0);
      g_assert_cmpint (ioc_test_stack_queue_sum (&f->stack, "called", units[u]), ==,
                       u % 4 == 2 ? devices * (n / N_DEVICES) : 0);
    }
  if (!one_process)
    return; /* the counters below start again with the process */
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  while (metric (f, "iochub_messages_accepted_total") < published (n) && g_get_monotonic_time () < deadline)
    g_usleep (100 * 1000);
  g_assert_cmpfloat (metric (f, "iochub_messages_accepted_total"), ==, (gdouble) published (n));
}

static guint
sessions_that_received (Fixture *f, guint n_sessions)
{
  guint used = 0;
  for (guint s = 0; s < n_sessions; s++)
    {
      g_autofree gchar *series = g_strdup_printf ("iochub_mqtt_session_messages_total{session=\"%u\"}", s);
      used += metric (f, series) > 0;
    }
  return used;
}

static void
drain_and_check (Fixture *f, const gchar *extra, guint n_sessions, guint used)
{
  const guint n = 16000;
  register_and_stop (f, extra);
  publish_backlog (f, n);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_test_hub_start (f->stack.hub, &error));
  g_assert_no_error (error);
  assert_exact (f, n, TRUE);
  g_assert_cmpfloat (metric (f, "iochub_mqtt_sessions"), ==, (gdouble) n_sessions);
  /* The window held: never more than one message per session waiting for
   * its PUBREL.  With one 3.1.1 session this reached 8,000. */
  g_assert_cmpfloat (metric (f, "iochub_mqtt_awaiting_pubrel_max"), >=, 1.0);
  g_assert_cmpfloat (metric (f, "iochub_mqtt_awaiting_pubrel_max"), <=, (gdouble) n_sessions);
  /* The stream really spread over the sessions. */
  g_assert_cmpuint (sessions_that_received (f, n_sessions), ==, used);
  g_assert_cmpfloat (metric (f, "iochub_mqtt_unprotected_messages_total"), ==, 0.0);
  g_assert_cmpfloat (metric (f, "iochub_duplicates_total"), ==, 0.0);
}

/* The shipped settings: 4 sessions, one kind each; MQTT 5, Receive Maximum 1. */
static void
test_drain_by_kind (Fixture *f, gconstpointer data)
{
  drain_and_check (f, NULL, 4, 4);
}

/* 8 sessions: desk, kiosk and camera by unit (6 of the 8 here), portal on 3. */
static void
test_drain_by_unit (Fixture *f, gconstpointer data)
{
  drain_and_check (f, "[mqtt]\nsessions = 8\n", 8, 7);
}

/* SIGKILL once a third has been journaled: nothing lost, nothing twice. */
static void
test_drain_sigkill (Fixture *f, gconstpointer data)
{
  const guint n = 16000;
  register_and_stop (f, NULL);
  publish_backlog (f, n);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_test_hub_start (f->stack.hub, &error));
  g_assert_no_error (error);
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  while (metric (f, "iochub_messages_received_total") < n / 3.0 && g_get_monotonic_time () < deadline)
    g_usleep (2000);
  g_assert_cmpfloat (metric (f, "iochub_messages_received_total"), <, (gdouble) n);
  ioc_test_hub_kill (f->stack.hub);
  g_assert_true (ioc_test_hub_start (f->stack.hub, &error));
  g_assert_no_error (error);
  assert_exact (f, n, FALSE);
  g_assert_cmpfloat (metric (f, "iochub_messages_replayed_total"), >, 0.0);
}

/* From 8 sessions to 4 with a backlog queued in all of them: sessions 4-7
 * (units that now go by kind to 0-3) are drained, not abandoned. */
static void
test_fewer_sessions_drains_old_ones (Fixture *f, gconstpointer data)
{
  const guint n = 8000;
  register_and_stop (f, "[mqtt]\nsessions = 8\n");
  publish_backlog (f, n);
  g_autofree gchar *conf = NULL;
  g_assert_true (g_file_get_contents (ioc_test_hub_conf_path (f->stack.hub), &conf, NULL, NULL));
  gchar *at = strstr (conf, "sessions = 8");
  g_assert_nonnull (at);
  at[strlen ("sessions = ")] = '4';
  g_assert_true (g_file_set_contents (ioc_test_hub_conf_path (f->stack.hub), conf, -1, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_test_hub_start (f->stack.hub, &error));
  g_assert_no_error (error);
  assert_exact (f, n, TRUE);
  g_assert_cmpfloat (metric (f, "iochub_mqtt_sessions"), ==, 4.0);
  /* Sessions 5, 6 and 7 held units: their queues were drained. */
  g_assert_cmpuint (sessions_that_received (f, 8), >=, 6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/ioc/hub-backlog/drain-by-kind-exact-window-held", Fixture, NULL, fixture_setup, test_drain_by_kind,
              fixture_teardown);
  g_test_add ("/ioc/hub-backlog/drain-by-unit-exact-window-held", Fixture, NULL, fixture_setup, test_drain_by_unit,
              fixture_teardown);
  g_test_add ("/ioc/hub-backlog/drain-sigkill-exact", Fixture, NULL, fixture_setup, test_drain_sigkill,
              fixture_teardown);
  g_test_add ("/ioc/hub-backlog/fewer-sessions-drains-old-ones", Fixture, NULL, fixture_setup,
              test_fewer_sessions_drains_old_ones, fixture_teardown);
  return g_test_run ();
}
