/* alert-watch.c — see alert-watch.h. */
#include "alert-watch.h"

#include <MQTTAsync.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#include "test-listen.h"

struct _IocAlertWatch
{
  GMutex lock;
  MQTTAsync client;
  gchar *prefix;        /* ioc/v1/<p>/alerts/ */
  gboolean subscribed;  /* Paho thread sets */
  GPtrArray *messages;  /* summaries, arrival order (Paho thread appends) */
  GHashTable *latest;   /* rule/scope → payload (Paho thread writes) */
  GPtrArray *hooks;     /* summaries (main context) */
  SoupServer *receiver;
  gchar *hook_url;
};

static gchar *
summary_of (const gchar *payload)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, payload, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    return g_strdup_printf ("(not JSON: %s)", payload);
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  JsonNode *ack = json_object_get_member (o, "ack");
  return g_strdup_printf ("%s/%s %s%s", json_object_get_string_member_with_default (o, "rule", "?"),
                          json_object_get_string_member_with_default (o, "scope", "?"),
                          json_object_get_string_member_with_default (o, "state", "?"),
                          ack != NULL && JSON_NODE_HOLDS_OBJECT (ack) ? " acked" : "");
}

static int
arrived_cb (void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
  IocAlertWatch *self = ctx;
  g_autofree gchar *payload = g_strndup (m->payload, m->payloadlen);
  g_mutex_lock (&self->lock);
  if (g_str_has_prefix (topic, self->prefix))
    g_hash_table_replace (self->latest, g_strdup (topic + strlen (self->prefix)), g_strdup (payload));
  g_ptr_array_add (self->messages, summary_of (payload));
  g_mutex_unlock (&self->lock);
  MQTTAsync_freeMessage (&m);
  MQTTAsync_free (topic);
  return 1;
}

static void
subscribed_cb (void *ctx, MQTTAsync_successData *r)
{
  IocAlertWatch *self = ctx;
  g_mutex_lock (&self->lock);
  self->subscribed = TRUE;
  g_mutex_unlock (&self->lock);
}

static void
connected_cb (void *ctx, MQTTAsync_successData *r)
{
  IocAlertWatch *self = ctx;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  ro.onSuccess = subscribed_cb;
  ro.context = self;
  g_autofree gchar *filter = g_strconcat (self->prefix, "#", NULL);
  MQTTAsync_subscribe (self->client, filter, 1, &ro);
}

static void
hook_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *q, gpointer data)
{
  IocAlertWatch *self = data;
  g_autoptr (GBytes) b = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree gchar *body = g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_ptr_array_add (self->hooks, summary_of (body));
  soup_server_message_set_status (msg, 200, NULL);
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

void
ioc_alert_watch_serve (IocAlertWatch *self, gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;
  while (g_get_monotonic_time () < end)
    {
      g_timeout_add (20, wake_cb, NULL);
      g_main_context_iteration (NULL, TRUE);
    }
}

IocAlertWatch *
ioc_alert_watch_new (const gchar *broker_url, const gchar *province, GError **error)
{
  g_autoptr (IocAlertWatch) self = g_new0 (IocAlertWatch, 1);
  g_mutex_init (&self->lock);
  self->prefix = g_strdup_printf ("ioc/v1/%s/alerts/", province);
  self->messages = g_ptr_array_new_with_free_func (g_free);
  self->hooks = g_ptr_array_new_with_free_func (g_free);
  self->latest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  self->receiver = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->receiver, "/hook", hook_cb, self, NULL);
  guint port = ioc_test_listen_local (self->receiver, error);
  if (port == 0)
    return NULL;
  self->hook_url = g_strdup_printf ("http://127.0.0.1:%u/hook", port);

  g_autofree gchar *client_id = g_strdup_printf ("alert-watch-%d", (gint) getpid ());
  if (MQTTAsync_create (&self->client, broker_url, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL)
      != MQTTASYNC_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "MQTTAsync_create %s failed", broker_url);
      return NULL;
    }
  MQTTAsync_setCallbacks (self->client, self, NULL, arrived_cb, NULL);
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.cleansession = 1;
  co.onSuccess = connected_cb;
  co.context = self;
  if (MQTTAsync_connect (self->client, &co) != MQTTASYNC_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "MQTTAsync_connect %s failed", broker_url);
      return NULL;
    }
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_mutex_lock (&self->lock);
      gboolean ok = self->subscribed;
      g_mutex_unlock (&self->lock);
      if (ok)
        return g_steal_pointer (&self);
      ioc_alert_watch_serve (self, 20 * 1000);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "not subscribed to %s# within 10 s", self->prefix);
  return NULL;
}

void
ioc_alert_watch_free (IocAlertWatch *self)
{
  if (self == NULL)
    return;
  if (self->client != NULL)
    {
      if (MQTTAsync_isConnected (self->client))
        {
          MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
          dopts.timeout = 1000;
          MQTTAsync_disconnect (self->client, &dopts);
          for (guint i = 0; i < 100 && MQTTAsync_isConnected (self->client); i++)
            g_usleep (10 * 1000);
        }
      MQTTAsync_destroy (&self->client);
    }
  g_clear_object (&self->receiver);
  g_ptr_array_unref (self->messages);
  g_ptr_array_unref (self->hooks);
  g_hash_table_unref (self->latest);
  g_free (self->prefix);
  g_free (self->hook_url);
  g_mutex_clear (&self->lock);
  g_free (self);
}

const gchar *
ioc_alert_watch_hook_url (IocAlertWatch *self)
{
  return self->hook_url;
}

guint
ioc_alert_watch_n_messages (IocAlertWatch *self)
{
  g_mutex_lock (&self->lock);
  guint n = self->messages->len;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
ioc_alert_watch_n_hooks (IocAlertWatch *self)
{
  return self->hooks->len;
}

static gchar *
join_since (GPtrArray *a, guint from)
{
  GString *s = g_string_new (NULL);
  for (guint i = from; i < a->len; i++)
    g_string_append_printf (s, "%s\n", (const gchar *) g_ptr_array_index (a, i));
  return g_string_free (s, FALSE);
}

gchar *
ioc_alert_watch_messages_since (IocAlertWatch *self, guint from)
{
  g_mutex_lock (&self->lock);
  gchar *s = join_since (self->messages, from);
  g_mutex_unlock (&self->lock);
  return s;
}

gchar *
ioc_alert_watch_hooks_since (IocAlertWatch *self, guint from)
{
  return join_since (self->hooks, from);
}

static gboolean
has_since (GPtrArray *a, const gchar *summary, guint from)
{
  for (guint i = from; i < a->len; i++)
    if (g_str_equal (g_ptr_array_index (a, i), summary))
      return TRUE;
  return FALSE;
}

gboolean
ioc_alert_watch_wait_message (IocAlertWatch *self, const gchar *summary, guint from, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  do
    {
      g_mutex_lock (&self->lock);
      gboolean ok = has_since (self->messages, summary, from);
      g_mutex_unlock (&self->lock);
      if (ok)
        return TRUE;
      ioc_alert_watch_serve (self, 50 * 1000);
    }
  while (g_get_monotonic_time () < end);
  g_autofree gchar *log = ioc_alert_watch_messages_since (self, 0);
  g_printerr ("timed out waiting for MQTT \"%s\"; seen:\n%s", summary, log);
  return FALSE;
}

gboolean
ioc_alert_watch_wait_hook (IocAlertWatch *self, const gchar *summary, guint from, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  do
    {
      if (has_since (self->hooks, summary, from))
        return TRUE;
      ioc_alert_watch_serve (self, 50 * 1000);
    }
  while (g_get_monotonic_time () < end);
  g_autofree gchar *log = ioc_alert_watch_hooks_since (self, 0);
  g_printerr ("timed out waiting for the webhook \"%s\"; seen:\n%s", summary, log);
  return FALSE;
}

JsonObject *
ioc_alert_watch_latest (IocAlertWatch *self, const gchar *rule_scope)
{
  g_mutex_lock (&self->lock);
  g_autofree gchar *payload = g_strdup (g_hash_table_lookup (self->latest, rule_scope));
  g_mutex_unlock (&self->lock);
  g_autoptr (JsonParser) p = json_parser_new ();
  if (payload == NULL || !json_parser_load_from_data (p, payload, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

JsonNode *
ioc_alert_feed_snapshot (guint port, const gchar *token)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  soup_session_set_timeout (session, 10);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/feed%s%s", port, token ? "?token=" : "",
                                           token ? token : "");
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) in = soup_session_send (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (GDataInputStream) lines = g_data_input_stream_new (in);
  gboolean is_snapshot = FALSE;
  for (guint i = 0; i < 100; i++)
    {
      g_autofree gchar *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_equal (line, "event: snapshot"))
        is_snapshot = TRUE;
      else if (is_snapshot && g_str_has_prefix (line, "data: "))
        {
          g_autoptr (JsonParser) p = json_parser_new ();
          g_assert_true (json_parser_load_from_data (p, line + 6, -1, NULL));
          return json_node_copy (json_parser_get_root (p));
        }
    }
  g_assert_not_reached ();
}
