/* test-reload.c — SIGHUP under load with the real iochub and mosquitto, and
 * iocctl against the running hub.
 *
 * A stream of kiosk events is published while the hub is sent SIGHUP twice:
 * first with a valid, changed config (a unit registry with one more unit:
 * messages for it, dead-lettered before, are accepted after; and a
 * [windows] key, which the log names as waiting for a restart), then with an
 * invalid one (a calendar that does not parse: the hub keeps running with
 * the previous config and its log says which file and why).  The count of
 * accepted messages in /metrics must be exact: nothing lost or doubled by a
 * reload.  Waits are bounded polls of /metrics or the hub's log, never a
 * fixed sleep standing in for an outcome. */
#include <gio/gio.h>
#include <signal.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"
#include "test-util.h"

static const gchar *const units[] = { "xa-16681", "xa-16690", "xa-16702" };

/* Bounded wait for the n-th occurrence of needle in the hub's log. */
static gchar *
wait_log (IocTestHub *hub, const gchar *needle, guint nth, gint64 timeout_s)
{
  g_autofree gchar *path = g_build_filename (ioc_test_hub_dir (hub), "hub.log", NULL);
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline)
    {
      g_autofree gchar *log = NULL;
      if (g_file_get_contents (path, &log, NULL, NULL))
        {
          const gchar *p = log;
          for (guint i = 0; (p = strstr (p, needle)) != NULL; p++)
            if (++i == nth)
              {
                const gchar *end = strchr (p, '\n');
                return g_strndup (p, end ? (gsize) (end - p) : strlen (p));
              }
        }
      g_usleep (100 * 1000);
    }
  return NULL;
}

static void
send_event (IocTestPublisher *pub, const gchar *unit, const gchar *device, guint seq, gint64 ts_ms)
{
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/kiosk/%s/event", unit, device);
  g_autofree gchar *payload = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT
                                               ",\"type\":\"ticket.issued\",\"ticket\":\"T%u\"}", seq, ts_ms, seq);
  ioc_test_publisher_send (pub, topic, payload, FALSE);
}

static void
rewrite_conf (IocTestHub *hub, const gchar *from, const gchar *to)
{
  g_autofree gchar *conf = NULL;
  g_assert_true (g_file_get_contents (ioc_test_hub_conf_path (hub), &conf, NULL, NULL));
  g_auto (GStrv) parts = g_strsplit (conf, from, -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  g_autofree gchar *fresh = g_strjoinv (to, parts);
  g_assert_true (g_file_set_contents (ioc_test_hub_conf_path (hub), fresh, -1, NULL));
}

static void
test_reload_under_load (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  /* Alert rules with a webhook (nothing fires: no rule), whose URL the
   * first reload changes. */
  g_autofree gchar *alerts_dir = g_dir_make_tmp ("ioc-reload-alerts-XXXXXX", NULL);
  g_autofree gchar *extra = ioc_test_alerts_conf (alerts_dir, "[alerts]\nwebhook_url = http://127.0.0.1:9/first\n", FALSE,
                                                  "[http]\noperator_tokens = op-token\n");
  g_autoptr (IocTestHub) hub = ioc_test_hub_new (ioc_test_broker_url (broker), NULL, extra, &error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_hub_start (hub, &error));
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "reload-pub", &error);
  g_assert_no_error (error);

  /* The changed registry: the shipped one plus a unit the hub does not know yet. */
  g_autofree gchar *orig_units = g_build_filename (IOC_SOURCE_ROOT, "ops", "units", "nghe-an.csv", NULL);
  g_autofree gchar *csv = NULL;
  g_assert_true (g_file_get_contents (orig_units, &csv, NULL, NULL));
  g_autofree gchar *new_units = g_build_filename (ioc_test_hub_dir (hub), "units-new.csv", NULL);
  g_autofree gchar *more = g_strconcat (csv, g_str_has_suffix (csv, "\n") ? "" : "\n",
                                        "xa-99001,Xã Thử Nghiệm,xa,tinh-40,2020-01-01,,\n", NULL);
  g_assert_true (g_file_set_contents (new_units, more, -1, NULL));
  g_autofree gchar *bad_cal = g_build_filename (ioc_test_hub_dir (hub), "broken-calendar.conf", NULL);
  g_assert_true (g_file_set_contents (bad_cal, "[holidays\nthis is not a key file\n", -1, NULL));

  gint64 ts = g_get_real_time () / 1000 - 30 * 1000;
  const gchar *unknown = "iochub_deadletters_total{reason=\"unknown_unit\"}";
  send_event (pub, "xa-99001", "k-new", 1, ts); /* unknown before the reload */
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));
  g_assert_cmpfloat (ioc_test_hub_wait_metric (hub, unknown, 1, 30), ==, 1);

  const guint n = 3000;
  guint seq[3] = { 0 }, new_seq = 1, expected = 0;
  for (guint i = 0; i < n; i++)
    {
      guint d = i % 3;
      g_autofree gchar *device = g_strdup_printf ("k-%u", d);
      send_event (pub, units[d], device, ++seq[d], ts);
      expected++;
      if (i == n / 3)
        {
          rewrite_conf (hub, orig_units, new_units);
          /* A key the reload cannot apply: the log must say so. */
          rewrite_conf (hub, "lateness = 2s", "lateness = 3s");
          g_autofree gchar *alerts_path = g_build_filename (alerts_dir, "alerts.conf", NULL);
          g_assert_true (g_file_set_contents (alerts_path, "[alerts]\nwebhook_url = http://127.0.0.1:9/second\n", -1,
                                              NULL));
          ioc_test_hub_signal (hub, SIGHUP);
        }
      if (i == 2 * n / 3)
        {
          g_autofree gchar *done = wait_log (hub, "reload: ", 1, 30);
          g_assert_nonnull (done);
          g_test_message ("first reload: %s", done);
          g_autofree gchar *waiting = wait_log (hub, "a reload does not apply it", 1, 30);
          g_assert_nonnull (waiting);
          g_assert_nonnull (strstr (waiting, "(restart the hub to): [windows] lateness"));
          g_assert_null (strstr (waiting, "[hub] units")); /* applied: not named */
          g_autofree gchar *webhook = wait_log (hub, "alerts: reload: ", 1, 30);
          g_assert_nonnull (webhook);
          g_assert_nonnull (strstr (webhook, "alerts.conf: [alerts] changed, but a reload does not apply it"));
          /* The new unit is known now, and stays known after the refused reload. */
          send_event (pub, "xa-99001", "k-new", ++new_seq, ts);
          expected++;
          g_autofree gchar *conf = NULL;
          g_assert_true (g_file_get_contents (ioc_test_hub_conf_path (hub), &conf, NULL, NULL));
          const gchar *cal = strstr (conf, "calendar = ");
          g_assert_nonnull (cal);
          g_autofree gchar *cal_line = g_strndup (cal, strchr (cal, '\n') - cal);
          g_autofree gchar *bad_line = g_strconcat ("calendar = ", bad_cal, NULL);
          rewrite_conf (hub, cal_line, bad_line);
          ioc_test_hub_signal (hub, SIGHUP);
        }
    }
  g_autofree gchar *refused = wait_log (hub, "reload refused", 1, 30);
  g_assert_nonnull (refused);
  g_test_message ("second reload: %s", refused);
  g_assert_nonnull (strstr (refused, "broken-calendar.conf"));
  g_assert_true (ioc_test_hub_is_running (hub));
  send_event (pub, "xa-99001", "k-new", ++new_seq, ts);
  expected++;
  g_assert_true (ioc_test_publisher_flush (pub, 60 * G_TIME_SPAN_SECOND));

  g_assert_cmpfloat (ioc_test_hub_wait_metric (hub, "iochub_messages_accepted_total", expected, 60), ==, expected);
  g_assert_cmpfloat (ioc_test_hub_metric (hub, unknown), ==, 1);
  g_assert_true (ioc_test_hub_is_running (hub));

  /* iocctl connectors against this hub: the API if it exists, else /metrics. */
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", ioc_test_hub_http_port (hub));
  /* Tokens are configured on this hub, so reads need one too. */
  const gchar *args[] = { IOCCTL_BIN, "connectors", "--url", url, "--token", "op-token", "--json", NULL };
  g_autofree gchar *out = NULL;
  gint status;
  g_assert_true (g_spawn_sync (NULL, (gchar **) args, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error));
  g_test_message ("iocctl connectors: %s", out);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  const gchar *source = json_object_get_string_member (o, "source");
  g_assert_true (g_spawn_check_wait_status (status, NULL)); /* connected, nothing declared is down */
  if (g_str_equal (source, "metrics"))
    g_assert_cmpfloat (json_object_get_double_member (o, "iochub_messages_accepted_total"), ==, expected);
  else
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "connectors")), ==, 4);

  /* Operator actions through the hub's API: a silence with the token is
   * created; a wrong token and an unknown alert are refused (exit 1).  Only
   * when this hub serves the alert API. */
  glong http_status = 0;
  g_autofree gchar *silences = ioc_test_hub_get (hub, "/api/v1/silences?token=op-token", &http_status);
  if (http_status != 200)
    {
      g_test_message ("the hub does not serve /api/v1/silences (HTTP %ld): ack/silence not exercised", http_status);
      g_assert_true (ioc_test_hub_stop (hub));
      return;
    }
  const gchar *silence[] = { IOCCTL_BIN, "silence", "--url", url, "--token", "op-token", "--rule", "dead_source",
                             "--scope", "xa-16681", "--for", "2h", "--note", "maintenance", NULL };
  g_autofree gchar *s_out = NULL;
  g_assert_true (g_spawn_sync (NULL, (gchar **) silence, NULL, G_SPAWN_DEFAULT, NULL, NULL, &s_out, NULL, &status,
                               &error));
  g_test_message ("iocctl silence: %s", s_out);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  const gchar *bad_token[] = { IOCCTL_BIN, "silence", "--url", url, "--token", "wrong", "--rule", "x", "--for", "1h",
                               NULL };
  g_assert_true (g_spawn_sync (NULL, (gchar **) bad_token, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  const gchar *ack[] = { IOCCTL_BIN, "ack", "no-such-alert", "--url", url, "--token", "op-token", NULL };
  g_assert_true (g_spawn_sync (NULL, (gchar **) ack, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);

  g_assert_true (ioc_test_hub_stop (hub));
  ioc_test_rm_rf (alerts_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ops/reload-under-load", test_reload_under_load);
  return g_test_run ();
}
