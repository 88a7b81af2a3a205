/* test-hubs-split.c — several hubs for one province (SPEC §9): the same
 * stream goes, through one mosquitto, into one hub that owns every unit
 * (hub "solo") and into three hubs that split the units between them
 * ([hub] units_owned, hubs "part-a", "part-b", "part-c").  All four write to
 * one influxd, each point tagged with its hub.  Per unit and for the
 * province, the sum over the three hubs equals the solo hub's and the count
 * published — and still does when one of the three is SIGKILLed mid-stream
 * and restarted. */
#include <gio/gio.h>
#include <string.h>

#include "test-publisher.h"
#include "test-stack.h"
#include "test-stream.h"

/* Units in force today (none merged away, SPEC §2). */
static const gchar *const units[] = { "xa-16681", "xa-16690", "xa-16702", "xa-16708", "xa-16732",
                                      "xa-16738", "xa-16744", "xa-16750", "tinh-40" };
#define N_UNITS G_N_ELEMENTS (units)
#define N_PARTS 3

typedef struct
{
  IocTestStack stack; /* its hub unused: the hubs are below */
  IocTestHub *solo;
  IocTestHub *parts[N_PARTS];
  gint64 base_ms;
} Fixture;

static IocTestHub *
start_hub (Fixture *f, const gchar *id, const gchar *units_owned)
{
  /* The [hub] and [mqtt] groups again: their keys override the helper's
   * defaults (GKeyFile keeps the last value of a key). */
  g_autofree gchar *extra = g_strdup_printf ("[hub]\nid = %s\n%s%s%s[mqtt]\nclient_id = iochub-%s\n", id,
                                             units_owned ? "units_owned = " : "", units_owned ? units_owned : "",
                                             units_owned ? "\n" : "", id);
  return ioc_test_hub_new_started (ioc_test_broker_url (f->stack.broker), ioc_test_influx_url (f->stack.influx),
                                   extra);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  if (!ioc_test_stack_start (&f->stack))
    return;
  f->solo = start_hub (f, "solo", NULL);
  for (guint p = 0; p < N_PARTS; p++)
    {
      /* Unit u belongs to part u % 3. */
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
  IocTestHub **all[] = { &f->solo, &f->parts[0], &f->parts[1], &f->parts[2] };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      if (*all[i] != NULL && ioc_test_hub_is_running (*all[i]))
        g_assert_true (ioc_test_hub_stop (*all[i]));
      g_clear_pointer (all[i], ioc_test_hub_free);
    }
  ioc_test_stack_clear (&f->stack);
}

/* Message i: a kiosk ticket on device k-(i % n_devices), whose unit is
 * units[device % N_UNITS]; every 4th message is a rating instead.  Event
 * times spread over three closed minutes. */
static void
publish_one (Fixture *f, IocTestPublisher *pub, guint i, guint n_devices)
{
  guint device = i % n_devices;
  guint seq = i / n_devices + 1;
  gint64 ts = f->base_ms - (gint64) (i % 180) * 1000;
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/kiosk/k-%03u/event", units[device % N_UNITS], device);
  g_autofree gchar *payload = NULL;
  if (seq % 4 == 0)
    payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"rating\",\"level\":%u,"
                               "\"scale\":5,\"channel\":\"device\"}",
                               seq, ts, 1 + i % 5);
  else
    payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.issued\","
                               "\"ticket\":\"A-%u\"}",
                               seq, ts, i);
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

/* What the stream holds, per unit: tickets, ratings, satisfied ratings. */
static void
expected_counts (guint n, guint n_devices, gint64 issued[N_UNITS], gint64 ratings[N_UNITS],
                 gint64 satisfied[N_UNITS])
{
  memset (issued, 0, sizeof (gint64) * N_UNITS);
  memset (ratings, 0, sizeof (gint64) * N_UNITS);
  memset (satisfied, 0, sizeof (gint64) * N_UNITS);
  for (guint i = 0; i < n; i++)
    {
      guint u = (i % n_devices) % N_UNITS;
      if ((i / n_devices + 1) % 4 == 0)
        {
          ratings[u]++;
          satisfied[u] += (1 + i % 5) >= 4; /* the top two levels of a 5-level scale */
        }
      else
        issued[u]++;
    }
}

static gint64
influx_sum (Fixture *f, const gchar *measurement, const gchar *field, const gchar *unit, const gchar *hub_regex)
{
  g_autofree gchar *q = g_strdup_printf ("SELECT sum(\"%s\") FROM \"%s\" WHERE \"unit\"='%s' AND \"hub\" =~ /%s/",
                                         field, measurement, unit, hub_regex);
  gint64 value = -1;
  g_autoptr (GError) error = NULL;
  if (!ioc_test_influx_query_int (f->stack.influx, "ioc", q, &value, &error))
    g_printerr ("# %s: %s\n", q, error->message);
  return value;
}

static void
assert_totals (Fixture *f, guint n, guint n_devices)
{
  gint64 issued[N_UNITS], ratings[N_UNITS], satisfied[N_UNITS];
  expected_counts (n, n_devices, issued, ratings, satisfied);
  gint64 all_issued = 0, all_ratings = 0, all_satisfied = 0;
  for (guint u = 0; u < N_UNITS; u++)
    {
      all_issued += issued[u];
      all_ratings += ratings[u];
      all_satisfied += satisfied[u];
    }

  /* Wait (bounded) until the province total of the split hubs is in:
   * points come at minute close plus lateness, and after a restart. */
  const gchar *split = "^part-[abc]$";
  gint64 deadline = g_get_monotonic_time () + 90 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline
         && (influx_sum (f, "ioc_queue", "issued", "all", split) != all_issued
             || influx_sum (f, "ioc_queue", "issued", "all", "^solo$") != all_issued
             || influx_sum (f, "ioc_rating", "ratings", "all", split) != all_ratings))
    g_usleep (250 * 1000);

  g_assert_cmpint (influx_sum (f, "ioc_queue", "issued", "all", "^solo$"), ==, all_issued);
  g_assert_cmpint (influx_sum (f, "ioc_queue", "issued", "all", split), ==, all_issued);
  g_assert_cmpint (influx_sum (f, "ioc_rating", "ratings", "all", split), ==, all_ratings);
  g_assert_cmpint (influx_sum (f, "ioc_rating", "satisfied", "all", split), ==, all_satisfied);
  for (guint u = 0; u < N_UNITS; u++)
    {
      g_test_message ("unit %s", units[u]);
      g_assert_cmpint (influx_sum (f, "ioc_queue", "issued", units[u], "^solo$"), ==, issued[u]);
      g_assert_cmpint (influx_sum (f, "ioc_queue", "issued", units[u], split), ==, issued[u]);
      g_assert_cmpint (influx_sum (f, "ioc_rating", "ratings", units[u], split), ==, ratings[u]);
      g_assert_cmpint (influx_sum (f, "ioc_rating", "satisfied", units[u], split), ==, satisfied[u]);
      /* Each unit is written by its own hub only. */
      g_autofree gchar *owner = g_strdup_printf ("^part-%c$", 'a' + u % N_PARTS);
      g_assert_cmpint (influx_sum (f, "ioc_queue", "issued", units[u], owner), ==, issued[u]);
    }
}

static void
test_split_exact (Fixture *f, gconstpointer data)
{
  gboolean kill_one = GPOINTER_TO_INT (data);
  if (g_test_failed ())
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub = ioc_test_stack_publisher (&f->stack);
  if (pub == NULL)
    return;
  const guint n = 6000, n_devices = 90;
  Stream st = { f, n_devices };
  IocTestStream *stream = ioc_test_stream_start (pub, n, 1500, stream_one, &st);
  if (kill_one)
    {
      /* Part b dies without a word in the middle of the stream; the broker
       * keeps its session, its journal keeps what it had taken. */
      g_usleep (1500 * 1000);
      ioc_test_hub_kill (f->parts[1]);
      g_usleep (700 * 1000);
      ioc_test_hub_start (f->parts[1], &error);
      g_assert_no_error (error);
    }
  ioc_test_stream_join (stream);
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));
  assert_totals (f, n, n_devices);

  /* A portal connector numbers its messages across every unit it publishes
   * under: each split hub sees a third of its seqs, and that is not loss. */
  const guint n_portal = 3 * N_UNITS;
  gdouble accepted_before[N_PARTS];
  for (guint p = 0; p < N_PARTS; p++)
    accepted_before[p] = ioc_test_hub_metric (f->parts[p], "iochub_messages_accepted_total");
  for (guint i = 0; i < n_portal; i++)
    {
      g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/portal/dvc-split/status", units[i % N_UNITS]);
      g_autofree gchar *payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT
                                                   ",\"open\":10,\"open_overdue\":0,\"sync_lag_s\":5}",
                                                   i + 1, f->base_ms);
      ioc_test_publisher_send (pub, topic, payload, FALSE);
    }
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  gdouble got = 0;
  while (g_get_monotonic_time () < deadline)
    {
      got = 0;
      for (guint p = 0; p < N_PARTS; p++)
        got += ioc_test_hub_metric (f->parts[p], "iochub_messages_accepted_total") - accepted_before[p];
      if (got >= n_portal)
        break;
      g_usleep (100 * 1000);
    }
  g_assert_cmpfloat (got, ==, n_portal);
  for (guint p = 0; p < N_PARTS; p++)
    g_assert_cmpfloat (ioc_test_hub_metric (f->parts[p], "iochub_seq_missing"), ==, 0);
  g_assert_cmpfloat (ioc_test_hub_metric (f->solo, "iochub_seq_missing"), ==, 0);
}

/* A hub that gives units away keeps its persistent session: the broker must
 * stop delivering those units to it, or it would count them beside the hub
 * that now owns them.  One hub, no InfluxDB: owns everything, then xa-16681. */
static gboolean
accepted_reaches (IocTestHub *hub, gdouble want)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline)
    {
      if (ioc_test_hub_metric (hub, "iochub_messages_accepted_total") >= want)
        return TRUE;
      g_usleep (50 * 1000);
    }
  return FALSE;
}

/* A ticket on kiosk k-DEVICE of unit, numbered seq (its ticket is T-seq). */
static void
send_ticket (IocTestPublisher *pub, const gchar *unit, guint device, guint seq)
{
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/kiosk/k-%u/event", unit, device);
  g_autofree gchar *payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT
                                               ",\"type\":\"ticket.issued\",\"ticket\":\"T-%u\"}",
                                               seq, g_get_real_time () / 1000, seq);
  ioc_test_publisher_send (pub, topic, payload, FALSE);
}

static void
test_units_given_away (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autoptr (IocTestHub) hub = ioc_test_hub_new (ioc_test_broker_url (broker), NULL,
                                                 "[hub]\nid = giver\n[mqtt]\nclient_id = iochub-giver\n", &error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_hub_start (hub, &error));
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "giver-pub", &error);
  g_assert_no_error (error);
  guint seq = 0;
  const gchar *both[] = { "xa-16681", "xa-16690" };
  for (guint i = 0; i < G_N_ELEMENTS (both); i++)
    send_ticket (pub, both[i], i, ++seq);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_TIME_SPAN_SECOND));
  g_assert_true (accepted_reaches (hub, 2));
  g_assert_true (ioc_test_hub_stop (hub));

  /* Now it owns xa-16681 only (a later [hub] group's key wins). */
  g_autofree gchar *conf = NULL;
  g_assert_true (g_file_get_contents (ioc_test_hub_conf_path (hub), &conf, NULL, NULL));
  g_autofree gchar *conf2 = g_strconcat (conf, "\n[hub]\nunits_owned = xa-16681\n", NULL);
  g_assert_true (g_file_set_contents (ioc_test_hub_conf_path (hub), conf2, -1, NULL));
  g_assert_true (ioc_test_hub_start (hub, &error));
  g_assert_no_error (error);
  gdouble before = ioc_test_hub_metric (hub, "iochub_messages_received_total");
  for (guint i = 0; i < G_N_ELEMENTS (both); i++)
    send_ticket (pub, both[1 - i], 1 - i, ++seq);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_TIME_SPAN_SECOND));
  /* xa-16690's message went first: once xa-16681's is in, the other would have been too. */
  ioc_test_hub_wait_metric_above (hub, "iochub_messages_received_total", before, 15);
  g_usleep (500 * 1000);
  g_assert_cmpfloat (ioc_test_hub_metric (hub, "iochub_messages_received_total"), ==, before + 1);
  g_assert_true (ioc_test_hub_stop (hub));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add ("/ioc/scaling/hubs-split/three-hubs-equal-one", Fixture, GINT_TO_POINTER (FALSE), fixture_setup,
              test_split_exact, fixture_teardown);
  g_test_add ("/ioc/scaling/hubs-split/one-of-three-sigkilled-exact", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_split_exact, fixture_teardown);
  g_test_add_func ("/ioc/scaling/hubs-split/units-given-away-after-restart", test_units_given_away);
  return g_test_run ();
}
