/* test-hub-dossiers.c — a day of a province's dossiers through mosquitto into
 * the real iochub, checked in InfluxDB against the day's indicators computed
 * here, independently, from the rules of docs/DOSSIERS.md: early = finished on a local day before the due day; on
 * time = on the due day up to the due instant; late = after it or after a
 * second supplement request; overdue.entered once per dossier when its
 * deadline passes on the hub's clock (no message), or at a second request.
 *
 * Events arrive out of order and some twice.  Deadlines come as due_at, so the
 * expectations do not depend on the calendar (the unit tests cover that). */
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-influx.h"
#include "test-publisher.h"

#define N_DOSSIERS 240
#define MIN_US (60 * G_TIME_SPAN_SECOND)
#define HOUR_US (60 * MIN_US)

static const gchar *const units[] = { "xa-16681", "xa-16690", "xa-16702", "tinh-40" };

typedef enum
{
  CASE_EARLY,
  CASE_ONTIME,
  CASE_LATE,
  CASE_OPEN_FUTURE,
  CASE_OPEN_PAST_DEADLINE,
  CASE_SECOND_SUPPLEMENT,
  N_CASES
} Case;

typedef struct
{
  gint64 received[4];
  gint64 early, ontime, late, overdue_entered, open, open_overdue;
  gint64 received_by_unit[G_N_ELEMENTS (units)];
} Expected;

typedef struct
{
  gint64 ts_ms;
  gchar *payload;
  const gchar *unit;
} Event;

/* Vietnam-local day number of an instant (UTC+7, no DST): the test's own. */
static gint64
local_day (gint64 us)
{
  gint64 local = us + 7 * HOUR_US;
  return local >= 0 ? local / (24 * HOUR_US) : (local - 24 * HOUR_US + 1) / (24 * HOUR_US);
}

static gchar *
dossier_json (guint seq, gint64 ts, const gchar *code, gint state, gint channel, gint64 received, gint64 due)
{
  return g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"dossier\",\"dossier\":\"%s\","
                          "\"procedure\":\"1.001234\",\"state\":%d,\"channel\":%d,\"received_at\":%" G_GINT64_FORMAT
                          ",\"due_at\":%" G_GINT64_FORMAT ",\"fee\":true,\"paid_online\":%s,\"digitized\":true}",
                          seq, ts / 1000, code, state, channel, received / 1000, due / 1000, channel == 2 ? "true" : "false");
}

static void
add_event (GArray *events, gint64 ts, const gchar *unit, gint state, const gchar *code, gint channel, gint64 received,
           gint64 due)
{
  Event e = { ts / 1000, NULL, unit };
  /* seq is assigned at publish time, in publishing order. */
  e.payload = g_strdup_printf ("%d|%" G_GINT64_FORMAT "|%s|%d|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, state, ts, code,
                               channel, received, due);
  g_array_append_val (events, e);
}

static void
build_day (gint64 now, GArray *events, Expected *want)
{
  memset (want, 0, sizeof *want);
  gint64 t0 = now - 10 * HOUR_US;
  for (guint i = 0; i < N_DOSSIERS; i++)
    {
      Case k = (Case) (i % N_CASES);
      guint u = (i / N_CASES) % G_N_ELEMENTS (units);
      const gchar *unit = units[u];
      gint channel = 1 + (gint) ((i / 2) % 3);
      gint64 r = t0 + (gint64) i * 2 * MIN_US;
      g_autofree gchar *code = g_strdup_printf ("000.00.40.H40-251122-%04u", i);
      gint64 due = 0, end = 0;
      add_event (events, r, unit, 2, code, channel, r, 0); /* due filled below */
      add_event (events, r + 5 * MIN_US, unit, 4, code, channel, r, 0);
      switch (k)
        {
        case CASE_EARLY: due = r + 72 * HOUR_US; end = r + 30 * MIN_US; break;
        case CASE_ONTIME: due = r + 2 * HOUR_US; end = r + 90 * MIN_US; break;
        case CASE_LATE: due = r + 1 * HOUR_US; end = r + 2 * HOUR_US; break;
        case CASE_OPEN_FUTURE: due = now + 48 * HOUR_US; break;
        case CASE_OPEN_PAST_DEADLINE: due = r + 30 * MIN_US; break;
        case CASE_SECOND_SUPPLEMENT:
          due = now + 72 * HOUR_US;
          add_event (events, r + 20 * MIN_US, unit, 5, code, channel, r, 0);
          add_event (events, r + 30 * MIN_US, unit, 4, code, channel, r, 0);
          add_event (events, r + 40 * MIN_US, unit, 5, code, channel, r, 0);
          break;
        default: g_assert_not_reached ();
        }
      if (end != 0)
        add_event (events, end, unit, 10, code, channel, r, 0);
      /* Every event of this dossier carries the same due_at. */
      for (guint e = 0; e < events->len; e++)
        {
          Event *ev = &g_array_index (events, Event, e);
          if (strstr (ev->payload, code) != NULL && g_str_has_suffix (ev->payload, "|0"))
            {
              gchar *fixed = g_strdup_printf ("%.*s|%" G_GINT64_FORMAT, (int) (strlen (ev->payload) - 2), ev->payload, due);
              g_free (ev->payload);
              ev->payload = fixed;
            }
        }

      /* The expectation, from the rules. */
      want->received[0]++;
      want->received[channel]++;
      want->received_by_unit[u]++;
      if (end != 0)
        {
          if (end > due)
            want->late++;
          else if (local_day (end) < local_day (due))
            want->early++;
          else
            want->ontime++;
          if (end > due)
            want->overdue_entered++;
        }
      else
        {
          want->open++;
          gboolean overdue = (k == CASE_SECOND_SUPPLEMENT) || due < now;
          want->open_overdue += overdue;
          want->overdue_entered += overdue;
        }
    }
}

static gint64
query (IocTestInflux *influx, const gchar *q)
{
  gint64 v = -1;
  g_autoptr (GError) error = NULL;
  if (!ioc_test_influx_query_int (influx, "ioc", q, &v, &error))
    return -1;
  return v;
}

static gint64
sum_field (IocTestInflux *influx, const gchar *field, const gchar *where)
{
  g_autofree gchar *q = g_strdup_printf ("SELECT sum(\"%s\") FROM \"ioc_dossier\" WHERE %s", field, where);
  return query (influx, q);
}

/* The gauge at the newest minute, summed over the channel series. */
static gint64
latest_gauge (IocTestInflux *influx, const gchar *field)
{
  g_autofree gchar *q = g_strdup_printf ("SELECT sum(\"v\") FROM (SELECT last(\"%s\") AS \"v\" FROM \"ioc_dossier\" "
                                         "WHERE \"unit\"='all' GROUP BY \"channel\")", field);
  return query (influx, q);
}

static void
test_day_of_dossiers (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  IocTestInflux *influx = ioc_test_influx_start (&error);
  g_assert_no_error (error);
  /* A day of history must stay within the rewrite horizon. */
  g_autoptr (IocTestHub) hub = ioc_test_hub_new (ioc_test_broker_url (broker), ioc_test_influx_url (influx),
                                                 "[windows]\nhorizon = 2d\n", &error);
  g_assert_no_error (error);
  ioc_test_hub_start (hub, &error);
  g_assert_no_error (error);

  gint64 now = g_get_real_time ();
  g_autoptr (GArray) events = g_array_new (FALSE, FALSE, sizeof (Event));
  Expected want;
  build_day (now, events, &want);

  /* Publish in a shuffled order (out-of-order arrival), every 5th event twice
   * with the same seq (redelivery). */
  GRand *rand = g_rand_new_with_seed (766);
  for (guint i = events->len; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i);
      Event tmp = g_array_index (events, Event, i - 1);
      g_array_index (events, Event, i - 1) = g_array_index (events, Event, j);
      g_array_index (events, Event, j) = tmp;
    }
  g_rand_free (rand);
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "portal-test", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      Event *ev = &g_array_index (events, Event, i);
      g_auto (GStrv) f = g_strsplit (ev->payload, "|", -1);
      g_autofree gchar *json = dossier_json (i + 1, g_ascii_strtoll (f[1], NULL, 10), f[2], atoi (f[0]), atoi (f[3]),
                                             g_ascii_strtoll (f[4], NULL, 10), g_ascii_strtoll (f[5], NULL, 10));
      g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/portal/portal-nghean/event", ev->unit);
      ioc_test_publisher_send (pub, topic, json, FALSE);
      if (i % 5 == 0)
        ioc_test_publisher_send (pub, topic, json, FALSE);
    }
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));

  /* Bounded wait: minutes close at end + lateness, gauges at the next minute. */
  gint64 deadline = g_get_monotonic_time () + 150 * G_TIME_SPAN_SECOND;
  gboolean settled = FALSE;
  while (!settled && g_get_monotonic_time () < deadline)
    {
      settled = sum_field (influx, "received", "\"unit\"='all'") == want.received[0]
                && sum_field (influx, "overdue_entered", "\"unit\"='all'") == want.overdue_entered
                && latest_gauge (influx, "open") == want.open
                && latest_gauge (influx, "open_overdue") == want.open_overdue;
      if (!settled)
        g_usleep (500 * 1000);
    }
  g_test_message ("expected: received %" G_GINT64_FORMAT " early %" G_GINT64_FORMAT " ontime %" G_GINT64_FORMAT
                  " late %" G_GINT64_FORMAT " overdue_entered %" G_GINT64_FORMAT " open %" G_GINT64_FORMAT
                  " open_overdue %" G_GINT64_FORMAT,
                  want.received[0], want.early, want.ontime, want.late, want.overdue_entered, want.open, want.open_overdue);
  g_assert_cmpint (sum_field (influx, "received", "\"unit\"='all'"), ==, want.received[0]);
  for (gint c = 1; c <= 3; c++)
    {
      g_autofree gchar *where = g_strdup_printf ("\"unit\"='all' AND \"channel\"='%d'", c);
      g_assert_cmpint (sum_field (influx, "received", where), ==, want.received[c]);
    }
  for (guint u = 0; u < G_N_ELEMENTS (units); u++)
    {
      g_autofree gchar *where = g_strdup_printf ("\"unit\"='%s'", units[u]);
      g_assert_cmpint (sum_field (influx, "received", where), ==, want.received_by_unit[u]);
    }
  g_assert_cmpint (sum_field (influx, "completed_early", "\"unit\"='all'"), ==, want.early);
  g_assert_cmpint (sum_field (influx, "completed_ontime", "\"unit\"='all'"), ==, want.ontime);
  g_assert_cmpint (sum_field (influx, "completed_late", "\"unit\"='all'"), ==, want.late);
  g_assert_cmpint (sum_field (influx, "overdue_entered", "\"unit\"='all'"), ==, want.overdue_entered);
  g_assert_cmpint (latest_gauge (influx, "open"), ==, want.open);
  g_assert_cmpint (latest_gauge (influx, "open_overdue"), ==, want.open_overdue);
  /* Redeliveries were dropped by (kind, device, seq), not counted twice. */
  g_assert_cmpfloat (ioc_test_hub_metric (hub, "iochub_duplicates_total"), >=, (gdouble) ((events->len + 4) / 5));

  for (guint i = 0; i < events->len; i++)
    g_free (g_array_index (events, Event, i).payload);
  g_clear_pointer (&hub, ioc_test_hub_free);
  ioc_test_influx_free (influx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/hub-dossiers/day-of-dossiers-indicators", test_day_of_dossiers);
  return g_test_run ();
}
