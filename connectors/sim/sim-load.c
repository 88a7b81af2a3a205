/* sim-load.c — ioc-sim's MQTT mode (sim-load.h): the traffic of
 * sim-traffic.c published straight to a broker, paced, over one or more
 * connections: the load mix for load tests and benchmarks, the province mix
 * for the demo's wall.
 *
 * Threads: the calling thread generates and publishes; Paho's threads only
 * count acknowledgements and connections (atomics). */
#include "sim-load.h"

#include <MQTTAsync.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

static volatile gint load_acked, load_inflight, load_connected, load_stop;

static void
load_on_sent (void *ctx, MQTTAsync_successData *r)
{
  g_atomic_int_inc (&load_acked);
  g_atomic_int_add (&load_inflight, -1);
}

static void
load_on_failed (void *ctx, MQTTAsync_failureData *r)
{
  g_atomic_int_add (&load_inflight, -1);
}

static void
load_on_connected (void *ctx, char *cause)
{
  g_atomic_int_inc (&load_connected);
}

static void
load_on_lost (void *ctx, char *cause)
{
  g_atomic_int_add (&load_connected, -1);
}

static int
load_on_arrived (void *ctx, char *topic, int len, MQTTAsync_message *m)
{
  MQTTAsync_freeMessage (&m);
  MQTTAsync_free (topic);
  return 1;
}

static gboolean
load_on_signal (gpointer data)
{
  g_atomic_int_set (&load_stop, 1);
  return G_SOURCE_CONTINUE;
}

/* A device's messages go out on one connection, so the broker keeps their
 * seq order: the connection is chosen by (kind, device), the 5th and 6th
 * topic levels. */
static guint
load_connection_of (const gchar *topic, guint n)
{
  if (n == 1)
    return 0;
  const gchar *p = topic;
  for (guint slashes = 0; *p != '\0' && slashes < 4; p++)
    if (*p == '/')
      slashes++;
  guint h = 5381;
  for (guint slashes = 0; *p != '\0' && *p != '\n'; p++)
    {
      if (*p == '/' && ++slashes == 2)
        break;
      h = h * 33 + (guchar) *p;
    }
  return h % n;
}

/* Creates and connects n_conn clients into handles, each with at most
 * window messages in flight; waits 10 s at most until all are connected.
 * 0, or the exit status with why printed. */
static int
load_connect (MQTTAsync *handles, gint n_conn, const gchar *url, gint seed, gint window)
{
  for (gint k = 0; k < n_conn; k++)
    {
      MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
      g_autofree gchar *id = n_conn == 1 ? g_strdup_printf ("ioc-sim-%d", seed) : g_strdup_printf ("ioc-sim-%d-%d", seed, k);
      if (MQTTAsync_createWithOptions (&handles[k], url, id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &co)
          != MQTTASYNC_SUCCESS)
        {
          g_printerr ("ioc-sim: --mqtt %s: not a broker URL\n", url);
          return 2;
        }
      MQTTAsync_setCallbacks (handles[k], NULL, load_on_lost, load_on_arrived, NULL);
      MQTTAsync_setConnected (handles[k], NULL, load_on_connected);
      MQTTAsync_connectOptions c = MQTTAsync_connectOptions_initializer;
      c.cleansession = 1;
      c.maxInflight = window;
      c.automaticReconnect = 1;
      c.keepAliveInterval = 20;
      MQTTAsync_connect (handles[k], &c);
    }
  /* load_connected counts connections up (a lost one counts down). */
  for (int i = 0; i < 200 && g_atomic_int_get (&load_connected) < n_conn; i++)
    g_usleep (50 * 1000);
  if (g_atomic_int_get (&load_connected) < n_conn)
    {
      g_printerr ("ioc-sim: cannot connect to %s\n", url);
      return 1;
    }
  return 0;
}

/* Publishes the next pending message ("topic\npayload\nretained") on the
 * connection its device uses.  FALSE when Paho did not queue it: it is put
 * back at the head, so seq order holds. */
static gboolean
load_send_one (IocSimTraffic *t, MQTTAsync *handles, gint n_conn)
{
  g_autofree gchar *m = ioc_sim_traffic_take (t, g_get_real_time () / 1000);
  gchar *nl1 = strchr (m, '\n');
  gchar *nl2 = strrchr (m, '\n');
  *nl1 = *nl2 = '\0';
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = nl1 + 1;
  msg.payloadlen = (int) strlen (nl1 + 1);
  msg.qos = 1;
  msg.retained = nl2[1] == '1';
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  ro.onSuccess = load_on_sent;
  ro.onFailure = load_on_failed;
  g_atomic_int_inc (&load_inflight);
  if (MQTTAsync_sendMessage (handles[load_connection_of (m, (guint) n_conn)], m, &msg, &ro) != MQTTASYNC_SUCCESS)
    {
      /* not queued: put it back so seq order holds */
      g_atomic_int_add (&load_inflight, -1);
      *nl1 = *nl2 = '\n';
      ioc_sim_traffic_put_back (t, g_steal_pointer (&m));
      return FALSE;
    }
  return TRUE;
}

/* A benchmark driver: set-up, the paced loop and the report stay together
 * so that a run reads as one story; sending one message is load_send_one(). */
int
ioc_sim_run_mqtt (GPtrArray *units, const IocSimLoadOptions *o)
{
  const gchar *url = o->url;
  gdouble rate = o->rate;
  gint64 count = o->count;
  gint window = o->window, n_conn = o->n_conn;
  g_autoptr (IocSimTraffic) t = ioc_sim_traffic_new (units, (guint) o->connectors, o->seed, o->mix, rate,
                                                     o->late_share);
  g_autoptr (GError) error = NULL;
  if (o->state != NULL && !ioc_sim_traffic_read_state (t, o->state, &error))
    {
      g_printerr ("ioc-sim: --state %s\n", error->message);
      return 1;
    }

  /* One connection cannot reach the broker's limit here (docs/BENCHMARKS.md
   * §6.2): --connections spreads the devices over several. */
  g_autofree MQTTAsync *handles = g_new0 (MQTTAsync, n_conn);
  int rc = load_connect (handles, n_conn, url, o->seed, window);
  if (rc != 0)
    return rc;
  g_unix_signal_add (SIGINT, load_on_signal, NULL);
  g_unix_signal_add (SIGTERM, load_on_signal, NULL);
  IocSimTrafficSize size = ioc_sim_traffic_size (t);
  g_message ("ioc-sim: MQTT mode, %u devices (%u sites, %u portals) at %.0f msg/s to %s, %s mix, "
             "%u open dossiers carried on", size.devices, size.sites, size.portals, rate, url,
             o->mix == IOC_SIM_MIX_PROVINCE ? "province" : "load", size.open_dossiers);

  gint64 start = g_get_monotonic_time (), last_report = start, last_save = start;
  gint64 sent = 0;
  while ((count == 0 || sent < count) && !g_atomic_int_get (&load_stop))
    {
      g_main_context_iteration (NULL, FALSE);
      if (rate > 0)
        {
          gint64 due = start + (gint64) ((gdouble) sent * G_TIME_SPAN_SECOND / rate);
          gint64 now = g_get_monotonic_time ();
          if (due > now)
            {
              g_usleep ((gulong) MIN (due - now, 100000));
              continue;
            }
        }
      if (g_atomic_int_get (&load_inflight) >= window * n_conn || g_atomic_int_get (&load_connected) < n_conn)
        {
          g_usleep (200);
          continue;
        }
      if (!load_send_one (t, handles, n_conn))
        {
          g_usleep (10000);
          continue;
        }
      sent++;
      gint64 now = g_get_monotonic_time ();
      if (now - last_report > 10 * G_TIME_SPAN_SECOND)
        {
          g_message ("ioc-sim: %" G_GINT64_FORMAT " sent, %d acknowledged", sent,
                     g_atomic_int_get (&load_acked));
          last_report = now;
        }
      /* Against a SIGKILL: at most a minute of steps is replayed. */
      if (o->state != NULL && now - last_save > G_TIME_SPAN_MINUTE)
        {
          if (!ioc_sim_traffic_write_state (t, o->state, &error))
            {
              g_printerr ("ioc-sim: --state %s\n", error->message);
              g_clear_error (&error);
            }
          last_save = now;
        }
    }
  /* Stopped by a signal: what the last step made is sent too, so that the
   * state written below is what the hub was told. */
  for (int i = 0; i < 100 && count == 0 && ioc_sim_traffic_has_made (t); i++)
    {
      if (load_send_one (t, handles, n_conn))
        sent++;
      else
        g_usleep (10000);
    }
  for (int i = 0; i < 600 && g_atomic_int_get (&load_inflight) > 0; i++)
    g_usleep (50 * 1000);
  gdouble secs = (gdouble) (g_get_monotonic_time () - start) / 1e6;
  printf ("ioc-sim: %" G_GINT64_FORMAT " sent, %d acknowledged in %.2f s (%.0f msg/s)\n", sent,
          g_atomic_int_get (&load_acked), secs, (gdouble) sent / secs);
  fflush (stdout);
  for (gint k = 0; k < n_conn; k++)
    {
      MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
      MQTTAsync_disconnect (handles[k], &d);
    }
  g_usleep (100000);
  for (gint k = 0; k < n_conn; k++)
    MQTTAsync_destroy (&handles[k]);
  rc = 0;
  if (o->state != NULL && !ioc_sim_traffic_write_state (t, o->state, &error))
    {
      g_printerr ("ioc-sim: --state %s\n", error->message);
      rc = 1;
    }
  return rc;
}
