/* bare-sub.c — the baseline of the end-to-end benchmark: a Paho subscriber
 * that only counts messages.  The hub's CPU per message is reported as a
 * multiple of this one's, measured in the same run on the same stream.
 *
 *   bare-sub --url tcp://127.0.0.1:PORT --topic 'ioc/v1/40/#' --count N
 *            [--api async|client] [--qos 1|2] [--client-id ID]
 *
 * It connects (clean session unless --persistent), prints "ready" once
 * subscribed, and exits after N messages, printing the CPU seconds it used
 * (user + system, from getrusage) and the wall time since the first message.
 * --api client uses the synchronous MQTTClient with its receive loop on the
 * main thread, the alternative the issue asks to measure. */
#include <MQTTAsync.h>
#include <MQTTClient.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static gboolean persistent;
static volatile gint received;
static volatile gint subscribed;
static gint64 first_us;

static gdouble
cpu_seconds (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int
on_arrived (void *context, char *topic, int len, MQTTAsync_message *msg)
{
  if (g_atomic_int_add (&received, 1) == 0)
    first_us = g_get_monotonic_time ();
  MQTTAsync_freeMessage (&msg);
  MQTTAsync_free (topic);
  return 1;
}

static void
on_subscribed (void *context, MQTTAsync_successData *response)
{
  g_atomic_int_set (&subscribed, 1);
}

typedef struct
{
  MQTTAsync handle;
  const gchar *topic;
  gint qos;
} AsyncCtx;

static void
on_connected (void *context, MQTTAsync_successData *response)
{
  AsyncCtx *ctx = context;
  MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
  ropts.onSuccess = on_subscribed;
  MQTTAsync_subscribe (ctx->handle, ctx->topic, ctx->qos, &ropts);
}

static int
run_async (const gchar *url, const gchar *client_id, const gchar *topic, gint qos, gint count)
{
  AsyncCtx ctx = { NULL, topic, qos };
  MQTTAsync_create (&ctx.handle, url, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL);
  MQTTAsync_setCallbacks (ctx.handle, &ctx, NULL, on_arrived, NULL);
  MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
  opts.cleansession = !persistent;
  opts.keepAliveInterval = 20;
  opts.onSuccess = on_connected;
  opts.context = &ctx;
  MQTTAsync_connect (ctx.handle, &opts);
  while (!g_atomic_int_get (&subscribed))
    g_usleep (1000);
  printf ("ready\n");
  fflush (stdout);
  while (g_atomic_int_get (&received) < count)
    g_usleep (1000);
  gdouble cpu = cpu_seconds ();
  gdouble wall = (g_get_monotonic_time () - first_us) / 1e6;
  printf ("bare-sub async qos%d: %d messages, cpu %.3f s (%.2f us/msg), wall %.3f s (%.0f msg/s)\n", qos,
          count, cpu, cpu * 1e6 / count, wall, count / wall);
  MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect (ctx.handle, &dopts);
  g_usleep (100000);
  MQTTAsync_destroy (&ctx.handle);
  return 0;
}

static int
run_client (const gchar *url, const gchar *client_id, const gchar *topic, gint qos, gint count)
{
  MQTTClient handle;
  MQTTClient_create (&handle, url, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL);
  MQTTClient_connectOptions opts = MQTTClient_connectOptions_initializer;
  opts.cleansession = !persistent;
  opts.keepAliveInterval = 20;
  if (MQTTClient_connect (handle, &opts) != MQTTCLIENT_SUCCESS || MQTTClient_subscribe (handle, topic, qos) != MQTTCLIENT_SUCCESS)
    {
      fprintf (stderr, "bare-sub: cannot connect/subscribe to %s\n", url);
      return 1;
    }
  printf ("ready\n");
  fflush (stdout);
  gint n = 0;
  while (n < count)
    {
      char *t = NULL;
      int tlen = 0;
      MQTTClient_message *msg = NULL;
      if (MQTTClient_receive (handle, &t, &tlen, &msg, 1000) == MQTTCLIENT_SUCCESS && msg != NULL)
        {
          if (n++ == 0)
            first_us = g_get_monotonic_time ();
          MQTTClient_freeMessage (&msg);
          MQTTClient_free (t);
        }
    }
  gdouble cpu = cpu_seconds ();
  gdouble wall = (g_get_monotonic_time () - first_us) / 1e6;
  printf ("bare-sub client qos%d: %d messages, cpu %.3f s (%.2f us/msg), wall %.3f s (%.0f msg/s)\n", qos, count,
          cpu, cpu * 1e6 / count, wall, count / wall);
  MQTTClient_disconnect (handle, 1000);
  MQTTClient_destroy (&handle);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *url = g_strdup ("tcp://127.0.0.1:1883");
  g_autofree gchar *topic = g_strdup ("ioc/v1/40/#");
  g_autofree gchar *api = g_strdup ("async");
  g_autofree gchar *client_id = g_strdup ("bare-sub");
  gint qos = 1, count = 100000;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "Broker URL", "URL" },
    { "topic", 0, 0, G_OPTION_ARG_STRING, &topic, "Topic filter", "FILTER" },
    { "api", 0, 0, G_OPTION_ARG_STRING, &api, "async (MQTTAsync) or client (MQTTClient receive loop)", "API" },
    { "client-id", 0, 0, G_OPTION_ARG_STRING, &client_id, "Client id", "ID" },
    { "qos", 0, 0, G_OPTION_ARG_INT, &qos, "Subscription QoS", "N" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Messages to receive", "N" },
    { "persistent", 0, 0, G_OPTION_ARG_NONE, &persistent, "Persistent session (to receive a backlog queued while away)", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- count messages (benchmark baseline)");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bare-sub: %s\n", error->message);
      return 2;
    }
  return strcmp (api, "client") == 0 ? run_client (url, client_id, topic, qos, count)
                                     : run_async (url, client_id, topic, qos, count);
}
