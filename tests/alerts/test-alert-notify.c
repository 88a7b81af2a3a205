/* test-alert-notify.c — notifications: the retained MQTT topic and payload
 * for every state, and the webhook worker (retries with backoff against a
 * receiver on a loopback SoupServer that fails twice, then accepts; a stop
 * during a backoff returns at once).  The test's main loop serves the
 * receiver; the worker thread posts to it. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "alerts/alert-notify.h"

typedef struct
{
  GPtrArray *topics, *payloads;
} Published;

static gboolean
publish_cb (const gchar *topic, const gchar *payload, gsize len, gboolean retained, gpointer data)
{
  Published *p = data;
  g_assert_true (retained);
  g_ptr_array_add (p->topics, g_strdup (topic));
  g_ptr_array_add (p->payloads, g_strndup (payload, len));
  return TRUE;
}

static IocAlert
sample_alert (IocAlertState state)
{
  IocAlert a = { .id = "7", .rule = "connector-down", .scope = "desk/d1", .kind = "dead_source",
                 .severity = IOC_ALERT_SEVERITY_WARNING, .state = state, .detail = "never seen",
                 .started_us = 1776740400000000, .fired_us = 1776740700000000 };
  return a;
}

static void
test_mqtt_topic_and_payload (void)
{
  Published p = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };
  IocAlertNotifyOptions opts = { .province = "40" };
  g_autoptr (IocAlertNotify) n = ioc_alert_notify_new (&opts, publish_cb, &p);
  IocAlert a = sample_alert (IOC_ALERT_STATE_FIRING);
  ioc_alert_notify_alert (&a, TRUE, n);
  a.state = IOC_ALERT_STATE_RESOLVED;
  a.resolved_us = a.fired_us + G_TIME_SPAN_MINUTE;
  ioc_alert_notify_alert (&a, TRUE, n);
  g_assert_cmpuint (p.topics->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (p.topics, 0), ==, "ioc/v1/40/alerts/connector-down/desk/d1");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, g_ptr_array_index (p.payloads, 1), -1, NULL));
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "resolved");
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "7");
  g_assert_cmpstr (json_object_get_string_member (o, "severity"), ==, "warning");
  g_assert_nonnull (json_object_get_string_member (o, "resolved_at"));
  IocAlertNotifyStats st;
  ioc_alert_notify_stats (n, &st);
  g_assert_cmpuint (st.published, ==, 2);
  g_ptr_array_unref (p.topics);
  g_ptr_array_unref (p.payloads);
}

typedef struct
{
  guint requests;
  guint fail_first;
  GPtrArray *bodies;
  GMainLoop *loop;
} Receiver;

static void
receiver_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  Receiver *r = data;
  r->requests++;
  if (r->requests <= r->fail_first)
    {
      soup_server_message_set_status (msg, 500, NULL);
      return;
    }
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_ptr_array_add (r->bodies, g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes)));
  soup_server_message_set_status (msg, 200, NULL);
  g_main_loop_quit (r->loop);
}

static gboolean
timeout_cb (gpointer data)
{
  g_error ("webhook receiver got nothing in time");
  return G_SOURCE_REMOVE;
}

static guint
start_receiver (SoupServer **out, Receiver *r)
{
  g_autoptr (GError) error = NULL;
  SoupServer *server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, "/hook", receiver_cb, r, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  GSList *uris = soup_server_get_uris (server);
  guint port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  *out = server;
  return port;
}

static void
test_webhook_retries (void)
{
  Receiver r = { .fail_first = 2, .bodies = g_ptr_array_new_with_free_func (g_free),
                 .loop = g_main_loop_new (NULL, FALSE) };
  SoupServer *server = NULL;
  guint port = start_receiver (&server, &r);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u/hook", port);
  IocAlertNotifyOptions opts = { .province = "40", .webhook_url = url, .retry_min_us = 20000,
                                 .retry_max_us = 50000, .webhook_attempts = 5 };
  IocAlertNotify *n = ioc_alert_notify_new (&opts, NULL, NULL);
  IocAlert a = sample_alert (IOC_ALERT_STATE_FIRING);
  ioc_alert_notify_alert (&a, FALSE, n); /* not paging: not posted */
  ioc_alert_notify_alert (&a, TRUE, n);
  guint guard = g_timeout_add_seconds (20, timeout_cb, NULL);
  g_main_loop_run (r.loop);
  g_source_remove (guard);
  g_assert_cmpuint (r.requests, ==, 3);
  g_assert_cmpuint (r.bodies->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (r.bodies, 0), "\"rule\":\"connector-down\""));
  ioc_alert_notify_free (n);
  IocAlertNotifyStats st = { 0 };
  (void) st;
  g_object_unref (server);
  g_main_loop_unref (r.loop);
  g_ptr_array_unref (r.bodies);
}

static void
test_stop_during_backoff (void)
{
  /* Nothing listens on this port: every attempt fails fast, then backs off
   * for an hour; freeing must not wait for it. */
  IocAlertNotifyOptions opts = { .province = "40", .webhook_url = "http://127.0.0.1:1/hook",
                                 .retry_min_us = G_TIME_SPAN_HOUR, .retry_max_us = G_TIME_SPAN_HOUR,
                                 .webhook_attempts = 10, .queue_max = 2 };
  IocAlertNotify *n = ioc_alert_notify_new (&opts, NULL, NULL);
  IocAlert a = sample_alert (IOC_ALERT_STATE_FIRING);
  gint64 t0 = g_get_monotonic_time ();
  for (guint i = 0; i < 5; i++)
    ioc_alert_notify_alert (&a, TRUE, n); /* queue bound 2: the oldest are dropped */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, G_USEC_PER_SEC);
  ioc_alert_notify_free (n);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-notify/mqtt-topic-and-payload", test_mqtt_topic_and_payload);
  g_test_add_func ("/ioc/alert-notify/webhook-retries", test_webhook_retries);
  g_test_add_func ("/ioc/alert-notify/stop-during-backoff", test_stop_during_backoff);
  return g_test_run ();
}
