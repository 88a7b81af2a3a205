/* test-alert-hub.c — the alert engine inside the real iochub, with a real
 * mosquitto and a webhook receiver started by the test (integration suite).
 *
 * A connector goes offline (retained state) → the dead-source alert fires:
 * read back from the retained MQTT topic ioc/v1/40/alerts/<rule>/<scope>,
 * from the webhook and from GET /api/v1/alerts.  An operator acks it and
 * silences its rule; the hub is SIGKILLed and restarted: the ack, the alert
 * id and the silence are still there.  The connector comes back → the
 * retained topic is cleared to "resolved", and the silenced resolve is not
 * paged.  Fails (not skips) when the hub binary serves no /api/v1/alerts. */
#include <MQTTAsync.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-listen.h"
#include "test-publisher.h"

#define TOPIC "ioc/v1/40/alerts/connector-down/desk/desk-1"

typedef struct
{
  GMutex lock;
  GHashTable *retained; /* topic → latest payload (Paho thread writes) */
  GPtrArray *hooks;     /* webhook bodies (main context) */
} Seen;

static int
arrived_cb (void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
  Seen *s = ctx;
  g_mutex_lock (&s->lock);
  g_hash_table_replace (s->retained, g_strdup (topic), g_strndup (m->payload, m->payloadlen));
  g_mutex_unlock (&s->lock);
  MQTTAsync_freeMessage (&m);
  MQTTAsync_free (topic);
  return 1;
}

static void
connected_cb (void *ctx, MQTTAsync_successData *r)
{
  MQTTAsync client = ctx;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  MQTTAsync_subscribe (client, "ioc/v1/40/alerts/#", 1, &ro);
}

static void
hook_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *q, gpointer data)
{
  Seen *s = data;
  g_autoptr (GBytes) b = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_ptr_array_add (s->hooks, g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b)));
  soup_server_message_set_status (msg, 200, NULL);
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* Serves the webhook receiver while waiting for a retained payload that
 * contains `needle` (and, if hook_needle, a webhook body with it). */
static gboolean
wait_for (Seen *s, const gchar *needle, const gchar *hook_needle, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  while (g_get_monotonic_time () < end)
    {
      g_timeout_add (50, tick_cb, NULL);
      g_main_context_iteration (NULL, TRUE);
      g_mutex_lock (&s->lock);
      const gchar *p = g_hash_table_lookup (s->retained, TOPIC);
      gboolean ok = p != NULL && strstr (p, needle) != NULL;
      g_mutex_unlock (&s->lock);
      for (guint i = 0; ok && hook_needle != NULL; i++)
        {
          if (i >= s->hooks->len)
            {
              ok = FALSE;
              break;
            }
          if (strstr (g_ptr_array_index (s->hooks, i), hook_needle) != NULL)
            break;
        }
      if (ok)
        return TRUE;
    }
  return FALSE;
}

static gchar *
http (SoupSession *session, const gchar *method, guint port, const gchar *path, const gchar *body, guint *status)
{
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", "Bearer op-secret");
  if (body != NULL)
    {
      g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", b);
    }
  g_autoptr (GBytes) out = soup_session_send_and_read (session, msg, NULL, NULL);
  *status = soup_message_get_status (msg);
  return out ? g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out)) : g_strdup ("");
}

static void
test_lifecycle_through_mosquitto (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  Seen seen = { .retained = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
                .hooks = g_ptr_array_new_with_free_func (g_free) };
  g_mutex_init (&seen.lock);

  g_autoptr (SoupServer) receiver = soup_server_new (NULL, NULL);
  soup_server_add_handler (receiver, "/hook", hook_cb, &seen, NULL);
  guint hook_port = ioc_test_listen_local (receiver, &error);
  g_assert_cmpuint (hook_port, !=, 0);

  g_autofree gchar *dir = g_dir_make_tmp ("ioc-alert-hub-XXXXXX", NULL);
  g_autofree gchar *rules = g_strdup_printf ("[alerts]\nwebhook_url = http://127.0.0.1:%u/hook\nretry_min = 100ms\n"
                                             "[rule connector-down]\nkind = dead_source\ncadence = 1h\nfor = 0s\n",
                                             hook_port);
  g_autofree gchar *extra = ioc_test_alerts_conf (dir, rules, FALSE, "[http]\noperator_tokens = op-secret\n");
  g_autoptr (IocTestHub) hub = ioc_test_hub_new (ioc_test_broker_url (broker), NULL, extra, &error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_hub_start (hub, &error));
  g_assert_no_error (error);
  guint port = ioc_test_hub_http_port (hub);
  g_autoptr (SoupSession) session = soup_session_new ();
  guint status = 0;
  g_autofree gchar *probe = http (session, "GET", port, "/api/v1/alerts", NULL, &status);
  if (status == 404)
    {
      g_test_fail_printf ("iochub serves no /api/v1/alerts: main.c must call ioc_alerts_attach()");
      g_hash_table_unref (seen.retained);
      g_ptr_array_unref (seen.hooks);
      ioc_test_rm_rf (dir);
      return;
    }
  g_assert_cmpuint (status, ==, 200);

  MQTTAsync client = NULL;
  g_assert_cmpint (MQTTAsync_create (&client, ioc_test_broker_url (broker), "alert-watcher",
                                     MQTTCLIENT_PERSISTENCE_NONE, NULL), ==, MQTTASYNC_SUCCESS);
  MQTTAsync_setCallbacks (client, &seen, NULL, arrived_cb, NULL);
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.cleansession = 1;
  co.onSuccess = connected_cb;
  co.context = client;
  g_assert_cmpint (MQTTAsync_connect (client, &co), ==, MQTTASYNC_SUCCESS);

  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "desk-1", &error);
  g_assert_no_error (error);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/desk-1/state", "offline", TRUE);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_USEC_PER_SEC));
  g_assert_true (wait_for (&seen, "\"state\":\"firing\"", "\"state\":\"firing\"", 20 * G_USEC_PER_SEC));

  g_autofree gchar *list = http (session, "GET", port, "/api/v1/alerts", NULL, &status);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, list, -1, NULL));
  JsonArray *alerts = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "alerts");
  g_assert_cmpuint (json_array_get_length (alerts), ==, 1);
  g_autofree gchar *id = g_strdup (json_object_get_string_member (json_array_get_object_element (alerts, 0), "id"));

  g_autofree gchar *ack_path = g_strdup_printf ("/api/v1/alerts/%s/ack", id);
  g_autofree gchar *r1 = http (session, "POST", port, ack_path, "{\"by\":\"Trần Thị Bình\",\"note\":\"gọi xã\"}", &status);
  g_assert_cmpuint (status, ==, 200);
  g_autofree gchar *r2 = http (session, "POST", port, "/api/v1/silences",
                               "{\"rule\":\"connector-down\",\"scope\":\"desk/*\",\"duration\":\"1h\",\"by\":\"Bình\"}", &status);
  g_assert_cmpuint (status, ==, 201);

  ioc_test_hub_kill (hub);
  g_assert_true (ioc_test_hub_start (hub, &error));
  g_assert_no_error (error);
  g_autofree gchar *after = http (session, "GET", port, "/api/v1/alerts", NULL, &status);
  g_assert_nonnull (strstr (after, "Trần Thị Bình"));
  g_autofree gchar *id_json = g_strdup_printf ("\"id\" : \"%s\"", id);
  g_assert_nonnull (strstr (after, id_json));
  g_autofree gchar *sil = http (session, "GET", port, "/api/v1/silences", NULL, &status);
  g_assert_nonnull (strstr (sil, "desk/*"));

  guint hooks_before = seen.hooks->len;
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/desk-1/state", "online", TRUE);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_USEC_PER_SEC));
  g_assert_true (wait_for (&seen, "\"state\":\"resolved\"", NULL, 20 * G_USEC_PER_SEC));
  g_assert_cmpuint (seen.hooks->len, ==, hooks_before); /* silenced: not paged */

  MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect (client, &dopts);
  MQTTAsync_destroy (&client);
  g_assert_true (ioc_test_hub_stop (hub));
  g_hash_table_unref (seen.retained);
  g_ptr_array_unref (seen.hooks);
  g_mutex_clear (&seen.lock);
  ioc_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-hub/lifecycle-through-mosquitto", test_lifecycle_through_mosquitto);
  return g_test_run ();
}
