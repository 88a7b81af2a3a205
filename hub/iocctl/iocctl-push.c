/* iocctl-push.c — see iocctl-push.h.  The command runs on the main thread
 * and waits, on a condition variable with a deadline, for what Paho's
 * callback thread hands it: the outcome of the connect and the connector's
 * answers.  Nothing else crosses between the two threads. */
#include "iocctl-push.h"

#include <string.h>
#include <unistd.h>

#include <MQTTAsync.h>
#include <json-glib/json-glib.h>

#include "iocctl-cli.h"
#include "iocctl-connector.h"
#include "kinds/kinds.h"
#include "lib/connector.h"

/* iocctl links the hub's own stages (dry-run), hence Paho's asynchronous
 * library, the hub's one: the push waits on its callbacks. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gint connect_state; /* 0 pending, 1 connected, -1 refused or failed */
  gint connect_code;
  GQueue answers; /* gchar*: fresh (not retained) messages on .../applied */
} PushWait;

static void
push_connected_cb (void *context, MQTTAsync_successData *response)
{
  PushWait *w = context;
  g_mutex_lock (&w->lock);
  w->connect_state = 1;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

static void
push_connect_failed_cb (void *context, MQTTAsync_failureData *response)
{
  PushWait *w = context;
  g_mutex_lock (&w->lock);
  w->connect_state = -1;
  w->connect_code = response ? response->code : -1;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

static int
push_message_cb (void *context, char *topic, int topic_len, MQTTAsync_message *m)
{
  PushWait *w = context;
  /* A retained answer is the connector's reply to an earlier push. */
  if (!m->retained)
    {
      g_mutex_lock (&w->lock);
      g_queue_push_tail (&w->answers, g_strndup (m->payload, (gsize) m->payloadlen));
      g_cond_broadcast (&w->cond);
      g_mutex_unlock (&w->lock);
    }
  MQTTAsync_freeMessage (&m);
  MQTTAsync_free (topic);
  return 1;
}

/* Publishes payload retained at QoS 1 on topic and waits (10 s at most)
 * until the broker has it; MQTTASYNC_SUCCESS or Paho's code. */
static int
publish_retained (MQTTAsync client, const gchar *topic, const gchar *payload, gsize len)
{
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = (void *) payload;
  msg.payloadlen = (int) len;
  msg.qos = 1;
  msg.retained = 1;
  MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
  int rc = MQTTAsync_sendMessage (client, topic, &msg, &opts);
  if (rc == MQTTASYNC_SUCCESS)
    rc = MQTTAsync_waitForCompletion (client, opts.token, 10000);
  return rc;
}

/* Prints the connector's answer; the exit status it means. */
static int
report_answer (const IocCtlConnector *c, const gchar *answer, gboolean json)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  gboolean ok = TRUE;
  if (json_parser_load_from_data (p, answer, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    {
      JsonObject *o = json_node_get_object (json_parser_get_root (p));
      if (json_object_has_member (o, "ok"))
        ok = json_object_get_boolean_member_with_default (o, "ok", FALSE);
      const gchar *st = json_object_get_string_member_with_default (o, "status", NULL);
      if (st == NULL)
        st = json_object_get_string_member_with_default (o, "result", NULL);
      if (st != NULL && (g_str_equal (st, "rejected") || g_str_equal (st, "error")))
        ok = FALSE;
    }
  else if (g_str_has_prefix (answer, "rejected") || g_str_has_prefix (answer, "error"))
    ok = FALSE;
  if (json)
    g_print ("%s\n", answer);
  else
    g_print ("%s: %s: %s\n", c->id, ok ? "applied" : "REJECTED (the connector keeps its old config)", answer);
  return ok ? EXIT_GOOD : EXIT_CHECK;
}

/* Connects with the account given (12 s at most); FALSE, with why
 * printed, when the broker refused or could not be reached. */
static gboolean
push_connect (MQTTAsync client, PushWait *w, const gchar *url, const gchar *username, const gchar *password)
{
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.keepAliveInterval = 20;
  co.cleansession = 1;
  co.username = username;
  co.password = password;
  co.connectTimeout = 10;
  co.onSuccess = push_connected_cb;
  co.onFailure = push_connect_failed_cb;
  co.context = w;
  gint64 connect_deadline = g_get_monotonic_time () + 12 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&w->lock);
  if (MQTTAsync_connect (client, &co) != MQTTASYNC_SUCCESS)
    w->connect_state = -1, w->connect_code = -1;
  while (w->connect_state == 0 && g_cond_wait_until (&w->cond, &w->lock, connect_deadline))
    ;
  gint connected = w->connect_state;
  gint code = w->connect_code;
  g_mutex_unlock (&w->lock);
  if (connected == 1)
    return TRUE;
  g_printerr ("iocctl push-config: %s: connect refused or failed (%d)%s\n", url, connected == 0 ? -1 : code,
              code == 5 ? ": not authorised (give --username/--password of an account that may write config topics)"
                        : "");
  return FALSE;
}

/* The first fresh answer within timeout_s, or NULL. (transfer full) */
static gchar *
wait_answer (PushWait *w, gint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) MAX (timeout_s, 0) * G_USEC_PER_SEC;
  g_mutex_lock (&w->lock);
  while (g_queue_is_empty (&w->answers) && g_cond_wait_until (&w->cond, &w->lock, deadline))
    ;
  gchar *answer = g_queue_pop_head (&w->answers);
  g_mutex_unlock (&w->lock);
  return answer;
}

/* On a connected client: subscribes to the connector's .../applied,
 * publishes its config retained, waits for its answer and reports it; a
 * refused config is cleared off the topic.  The exit status. */
static int
push (MQTTAsync client, PushWait *w, const IocCtlConnector *c, gint timeout_s, gboolean json)
{
  g_autofree gchar *topic = ioc_ctl_connector_config_topic (c);
  g_autofree gchar *applied = g_strconcat (topic, "/applied", NULL);
  MQTTAsync_responseOptions sub = MQTTAsync_responseOptions_initializer;
  int rc = MQTTAsync_subscribe (client, applied, 1, &sub);
  if (rc == MQTTASYNC_SUCCESS)
    rc = MQTTAsync_waitForCompletion (client, sub.token, 10000);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_printerr ("iocctl push-config: subscribing to %s failed (%d)\n", applied, rc);
      return EXIT_CHECK;
    }
  rc = publish_retained (client, topic, c->raw, c->raw_len);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_printerr ("iocctl push-config: publishing on %s failed (%d)\n", topic, rc);
      return EXIT_CHECK;
    }
  if (!json)
    g_print ("%s: published retained on %s (%zu bytes); waiting %d s for %s\n", c->path, topic, c->raw_len,
             timeout_s, applied);
  g_autofree gchar *answer = wait_answer (w, timeout_s);
  if (answer == NULL)
    {
      g_printerr ("iocctl push-config: no answer on %s within %d s; the config stays retained and the connector "
                  "gets it when it connects\n", applied, timeout_s);
      return EXIT_CHECK;
    }
  int result = report_answer (c, answer, json);
  if (result != EXIT_GOOD)
    {
      /* Refused: take it off the topic (an empty retained message clears
       * it; the connector ignores that), so that no reconnect brings it
       * back and the topic never holds a config nobody runs. */
      rc = publish_retained (client, topic, "", 0);
      if (rc != MQTTASYNC_SUCCESS)
        g_printerr ("iocctl push-config: the refused config stays retained on %s: clearing it failed (%d); "
                    "clear it with: mosquitto_pub -r -n -t %s\n", topic, rc, topic);
      else if (!json)
        g_print ("%s: cleared the refused config from %s\n", c->id, topic);
    }
  return result;
}

/* The connector name (id or file name) of list, if the connector's own
 * checks (connectors/lib, the kind's group included) pass on the very
 * bytes that would be published: a file it would refuse never reaches the
 * retained topic.  Else NULL, with why printed. */
static IocCtlConnector *
find_pushable (GPtrArray *list, GPtrArray *errors, const gchar *name, const gchar *dir)
{
  IocCtlConnector *c = ioc_ctl_connectors_find (list, name);
  if (c == NULL)
    {
      for (guint i = 0; i < errors->len; i++)
        g_printerr ("error  %s\n", (gchar *) errors->pdata[i]);
      g_printerr ("iocctl push-config: no valid connector '%s' in %s: nothing pushed\n", name, dir);
      return NULL;
    }
  g_autoptr (GError) error = NULL;
  if (memchr (c->raw, '\0', c->raw_len) != NULL || !ioc_connector_check_data (c->path, c->raw, ioc_connector_kinds, &error))
    {
      g_printerr ("error  %s\n", error ? error->message : "expected a text file, got a NUL byte");
      g_printerr ("iocctl push-config: %s does not pass `ioc-connector --check`: nothing pushed\n", c->path);
      return NULL;
    }
  return c;
}

int
ioc_ctl_push_config (int argc, char **argv)
{
  g_autofree gchar *connectors_dir = NULL, *url = NULL, *username = NULL, *password = NULL;
  gint timeout_s = 10;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "connectors", 0, 0, G_OPTION_ARG_FILENAME, &connectors_dir, "Declared connector configs", "DIR" },
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url, "Broker (default: the connector's [mqtt] url)", "URL" },
    { "username", 0, 0, G_OPTION_ARG_STRING, &username, "Broker account allowed to write config topics (or IOCCTL_MQTT_USERNAME)", "NAME" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &password, "Its password (or IOCCTL_MQTT_PASSWORD)", "PW" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_s, "Seconds to wait for the connector's answer (default 10)", "S" },
    IOC_CTL_OPTION_JSON (json, "Print the connector's answer only"),
    { NULL }
  };
  if (!ioc_ctl_parse_options ("push-config", "NAME", entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2 || connectors_dir == NULL)
    {
      g_printerr ("iocctl push-config: expected NAME (connector id or file name) and --connectors DIR\n");
      return EXIT_USAGE;
    }
  if (username == NULL && g_getenv ("IOCCTL_MQTT_USERNAME"))
    username = g_strdup (g_getenv ("IOCCTL_MQTT_USERNAME"));
  if (password == NULL && g_getenv ("IOCCTL_MQTT_PASSWORD"))
    password = g_strdup (g_getenv ("IOCCTL_MQTT_PASSWORD"));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) list = ioc_ctl_connectors_load_dir (connectors_dir, errors, &error);
  if (list == NULL)
    {
      g_printerr ("iocctl push-config: %s\n", error->message);
      return EXIT_USAGE;
    }
  IocCtlConnector *c = find_pushable (list, errors, argv[1], connectors_dir);
  if (c == NULL)
    return EXIT_CHECK;
  if (url == NULL)
    url = g_strdup (c->mqtt_url);
  g_autofree gchar *client_id = g_strdup_printf ("iocctl-%d", (int) getpid ());
  MQTTAsync client = NULL;
  if (MQTTAsync_create (&client, url, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL) != MQTTASYNC_SUCCESS)
    {
      g_printerr ("iocctl push-config: %s: expected a broker URL such as tcp://127.0.0.1:1883\n", url);
      return EXIT_USAGE;
    }
  PushWait w = { 0 };
  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  g_queue_init (&w.answers);
  MQTTAsync_setCallbacks (client, &w, NULL, push_message_cb, NULL);
  int result = push_connect (client, &w, url, username, password) ? push (client, &w, c, timeout_s, json)
                                                                   : EXIT_CHECK;
  if (MQTTAsync_isConnected (client))
    {
      MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
      dopts.timeout = 2000;
      MQTTAsync_disconnect (client, &dopts);
      for (gint i = 0; i < 100 && MQTTAsync_isConnected (client); i++)
        g_usleep (20000);
    }
  MQTTAsync_destroy (&client);
  g_queue_clear_full (&w.answers, g_free);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  return result;
}
