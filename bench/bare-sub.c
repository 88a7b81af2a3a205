/* bare-sub.c — the baseline of the end-to-end benchmarks: a Paho subscriber
 * that only counts messages.  The hub's CPU per message is reported as a
 * multiple of this one's, measured in the same run on the same stream.
 *
 *   bare-sub --url tcp://127.0.0.1:PORT --topic 'ioc/v1/40/#' --count N
 *            [--api async|client] [--qos 1|2] [--client-id ID]
 *            [--mqtt 3|5] [--receive-max R] [--sessions S --units CSV]
 *            [--hook]
 *
 * It connects (clean session unless --persistent), prints "ready" once
 * subscribed, and exits after N messages, printing the CPU seconds it used
 * (user + system, from getrusage) and the wall time since the first message.
 * --api client uses the synchronous MQTTClient with its receive loop on the
 * main thread, the alternative the issue asks to measure.
 *
 * The backlog candidates (docs/BENCHMARKS.md §3.1), MQTTAsync only:
 * --mqtt 5 connects with MQTT 5; --receive-max R sends Receive Maximum R in
 * its CONNECT (how many QoS 1/2 messages the broker may have in flight to
 * us).  --sessions S opens S sessions (client ids ID, ID-1 … ID-S-1) and puts
 * each unit of --units on one of them by a stable hash of its code, with the
 * portal topics and every state topic on session 0, as the hub does
 * (hub/io/mqtt-client.h).  --hook installs a persistence layer whose put()
 * counts each received QoS 2 message, so the message is taken where the hub
 * journals it (before PUBREC) rather than where Paho delivers it. */
#include <MQTTAsync.h>
#include <MQTTClient.h>
#include <MQTTClientPersistence.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static gboolean persistent;
static gboolean hook;
static gint mqtt_version = 3;
static gint receive_max;
static gint timeout_s;
static gboolean by_kind;
static gint64 session_expiry = 0x7FFFFFFF; /* not 0xFFFFFFFF: mosquitto 2.0.11 expired those (hub/io/mqtt-client.c) */
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

static void
count_one (void)
{
  if (g_atomic_int_add (&received, 1) == 0)
    first_us = g_get_monotonic_time ();
}

static int
on_arrived (void *context, char *topic, int len, MQTTAsync_message *msg)
{
  if (!hook || msg->qos < 2)
    count_one ();
  MQTTAsync_freeMessage (&msg);
  MQTTAsync_free (topic);
  return 1;
}

typedef struct
{
  MQTTAsync handle;
  GPtrArray *filters; /* gchar* */
  gint qos;
  MQTTClient_persistence persistence;
  GMutex lock;
  GHashTable *store; /* key → GBytes: what Paho stores besides received publishes */
} Session;

/* ---- --hook: a persistence layer that takes received QoS 2 publishes ---- */

static int
p_open (void **handle, const char *client_id, const char *server_uri, void *context)
{
  *handle = context;
  return 0;
}

static int
p_close (void *handle)
{
  return 0;
}

static int
p_put (void *handle, char *key, int bufcount, char *buffers[], int buflens[])
{
  Session *s = handle;
  if (key[0] == 'r')
    {
      count_one (); /* "r-" (3.1.1) or "r5-": Paho answers PUBREC after this returns */
      return 0;
    }
  GByteArray *data = g_byte_array_new ();
  for (int i = 0; i < bufcount; i++)
    g_byte_array_append (data, (const guint8 *) buffers[i], (guint) buflens[i]);
  g_mutex_lock (&s->lock);
  g_hash_table_replace (s->store, g_strdup (key), g_byte_array_free_to_bytes (data));
  g_mutex_unlock (&s->lock);
  return 0;
}

static int
p_get (void *handle, char *key, char **buffer, int *buflen)
{
  Session *s = handle;
  int rc = MQTTCLIENT_PERSISTENCE_ERROR;
  g_mutex_lock (&s->lock);
  GBytes *data = g_hash_table_lookup (s->store, key);
  if (data != NULL)
    {
      gsize len = 0;
      const void *p = g_bytes_get_data (data, &len);
      *buffer = malloc (len ? len : 1);
      memcpy (*buffer, p, len);
      *buflen = (int) len;
      rc = 0;
    }
  g_mutex_unlock (&s->lock);
  return rc;
}

static int
p_remove (void *handle, char *key)
{
  Session *s = handle;
  g_mutex_lock (&s->lock);
  g_hash_table_remove (s->store, key);
  g_mutex_unlock (&s->lock);
  return 0;
}

static int
p_keys (void *handle, char ***keys, int *nkeys)
{
  Session *s = handle;
  g_mutex_lock (&s->lock);
  *nkeys = (int) g_hash_table_size (s->store);
  *keys = NULL;
  if (*nkeys > 0)
    {
      *keys = malloc (sizeof (char *) * (gsize) *nkeys);
      GHashTableIter iter;
      gpointer key;
      int i = 0;
      g_hash_table_iter_init (&iter, s->store);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        (*keys)[i++] = strdup (key);
    }
  g_mutex_unlock (&s->lock);
  return 0;
}

static int
p_clear (void *handle)
{
  Session *s = handle;
  g_mutex_lock (&s->lock);
  g_hash_table_remove_all (s->store);
  g_mutex_unlock (&s->lock);
  return 0;
}

static int
p_containskey (void *handle, char *key)
{
  Session *s = handle;
  g_mutex_lock (&s->lock);
  gboolean found = g_hash_table_contains (s->store, key);
  g_mutex_unlock (&s->lock);
  return found ? 0 : MQTTCLIENT_PERSISTENCE_ERROR;
}

/* ---- MQTTAsync, one or several sessions ---- */

static void
on_subscribed (void *context, MQTTAsync_successData *response)
{
  g_atomic_int_inc (&subscribed);
}

static void
on_subscribed5 (void *context, MQTTAsync_successData5 *response)
{
  g_atomic_int_inc (&subscribed);
}

static void
on_sub_failed5 (void *context, MQTTAsync_failureData5 *response)
{
  fprintf (stderr, "bare-sub: subscribe failed (code %d)\n", response ? response->code : 0);
}

static void
on_connected (void *context, MQTTAsync_successData *response)
{
  Session *s = context;
  guint n = s->filters->len;
  g_autofree int *qos = g_new (int, n);
  for (guint i = 0; i < n; i++)
    qos[i] = s->qos;
  MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
  ropts.onSuccess = on_subscribed;
  ropts.context = s;
  MQTTAsync_subscribeMany (s->handle, (int) n, (char *const *) s->filters->pdata, qos, &ropts);
}

static void
on_connected5 (void *context, MQTTAsync_successData5 *response)
{
  Session *s = context;
  guint n = s->filters->len;
  g_autofree int *qos = g_new (int, n);
  for (guint i = 0; i < n; i++)
    qos[i] = s->qos;
  MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
  ropts.onSuccess5 = on_subscribed5;
  ropts.onFailure5 = on_sub_failed5;
  ropts.context = s;
  int rc = MQTTAsync_subscribeMany (s->handle, (int) n, (char *const *) s->filters->pdata, qos, &ropts);
  if (rc != MQTTASYNC_SUCCESS)
    fprintf (stderr, "bare-sub: subscribe request failed (code %d)\n", rc);
}

static void
on_connect_failed5 (void *context, MQTTAsync_failureData5 *response)
{
  fprintf (stderr, "bare-sub: connect failed (code %d)\n", response ? response->code : 0);
}

/* The hub's stable hash of a unit code (ioc_mqtt_session_for_key: FNV-1a,
 * then MurmurHash3's finalizer): the same unit lands on the same session. */
static guint32
unit_hash (const gchar *s)
{
  guint32 h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (guint8) *s) * 16777619u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* Units of a registry CSV (every row: messages may come under a code that
 * has since ended). */
static GPtrArray *
load_unit_codes (const gchar *path)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &text, NULL, &error))
    {
      fprintf (stderr, "bare-sub: %s\n", error->message);
      exit (2);
    }
  GPtrArray *codes = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const gchar *comma = strchr (lines[i], ',');
      if (comma != NULL && comma > lines[i])
        g_ptr_array_add (codes, g_strndup (lines[i], (gsize) (comma - lines[i])));
    }
  return codes;
}

static int
run_async (const gchar *url, const gchar *client_id, const gchar *topic, gint qos, gint count, gint nsessions,
           const gchar *units_path, const gchar *province)
{
  Session *sessions = g_new0 (Session, nsessions);
  for (gint i = 0; i < nsessions; i++)
    {
      sessions[i].filters = g_ptr_array_new_with_free_func (g_free);
      sessions[i].qos = qos;
    }
  if (by_kind)
    {
      /* One session per kind (desk, kiosk, camera, portal), every unit. */
      const gchar *kinds[] = { "desk", "kiosk", "camera", "portal" };
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        for (guint t = 0; t < 2; t++)
          g_ptr_array_add (sessions[k % (guint) nsessions].filters,
                           g_strdup_printf ("ioc/v1/%s/+/%s/+/%s", province, kinds[k], t ? "status" : "event"));
      g_ptr_array_add (sessions[0].filters, g_strdup_printf ("ioc/v1/%s/+/+/+/state", province));
    }
  else if (units_path == NULL)
    g_ptr_array_add (sessions[0].filters, g_strdup (topic));
  else
    {
      g_autoptr (GPtrArray) codes = load_unit_codes (units_path);
      const gchar *kinds[] = { "desk", "kiosk", "camera" };
      const gchar *types[] = { "event", "status" };
      for (guint u = 0; u < codes->len; u++)
        {
          Session *s = &sessions[unit_hash (codes->pdata[u]) % (guint32) nsessions];
          for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
            for (guint t = 0; t < G_N_ELEMENTS (types); t++)
              g_ptr_array_add (s->filters, g_strdup_printf ("ioc/v1/%s/%s/%s/+/%s", province,
                                                            (const gchar *) codes->pdata[u], kinds[k], types[t]));
        }
      for (guint t = 0; t < G_N_ELEMENTS (types); t++)
        g_ptr_array_add (sessions[0].filters, g_strdup_printf ("ioc/v1/%s/+/portal/+/%s", province, types[t]));
      g_ptr_array_add (sessions[0].filters, g_strdup_printf ("ioc/v1/%s/+/+/+/state", province));
    }

  for (gint i = 0; i < nsessions; i++)
    {
      Session *s = &sessions[i];
      g_autofree gchar *id = i == 0 ? g_strdup (client_id) : g_strdup_printf ("%s-%d", client_id, i);
      MQTTAsync_createOptions copts = MQTTAsync_createOptions_initializer;
      copts.MQTTVersion = mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
      int rc;
      if (hook)
        {
          g_mutex_init (&s->lock);
          s->store = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
          s->persistence = (MQTTClient_persistence) { s, p_open, p_close, p_put, p_get, p_remove, p_keys, p_clear, p_containskey };
          rc = MQTTAsync_createWithOptions (&s->handle, url, id, MQTTCLIENT_PERSISTENCE_USER, &s->persistence, &copts);
        }
      else
        rc = MQTTAsync_createWithOptions (&s->handle, url, id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &copts);
      if (rc != MQTTASYNC_SUCCESS)
        {
          fprintf (stderr, "bare-sub: cannot create a client (code %d)\n", rc);
          return 1;
        }
      MQTTAsync_setCallbacks (s->handle, s, NULL, on_arrived, NULL);
      if (mqtt_version == 5)
        {
          MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer5;
          MQTTProperties props = MQTTProperties_initializer;
          MQTTProperty p;
          if (persistent)
            {
              p.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
              p.value.integer4 = (unsigned int) session_expiry;
              MQTTProperties_add (&props, &p);
            }
          if (receive_max > 0)
            {
              p.identifier = MQTTPROPERTY_CODE_RECEIVE_MAXIMUM;
              p.value.integer2 = (unsigned short) receive_max;
              MQTTProperties_add (&props, &p);
            }
          opts.cleanstart = !persistent;
          opts.connectProperties = &props;
          opts.keepAliveInterval = 20;
          opts.onSuccess5 = on_connected5;
          opts.onFailure5 = on_connect_failed5;
          opts.context = s;
          rc = MQTTAsync_connect (s->handle, &opts);
          MQTTProperties_free (&props);
        }
      else
        {
          MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
          opts.cleansession = !persistent;
          opts.keepAliveInterval = 20;
          opts.onSuccess = on_connected;
          opts.context = s;
          rc = MQTTAsync_connect (s->handle, &opts);
        }
      if (rc != MQTTASYNC_SUCCESS)
        {
          fprintf (stderr, "bare-sub: connect request failed (code %d)\n", rc);
          return 1;
        }
    }
  while (g_atomic_int_get (&subscribed) < nsessions)
    g_usleep (1000);
  printf ("ready\n");
  fflush (stdout);
  gint64 deadline = timeout_s > 0 ? g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND : G_MAXINT64;
  while (g_atomic_int_get (&received) < count && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  gdouble cpu = cpu_seconds ();
  gdouble wall = (g_get_monotonic_time () - first_us) / 1e6;
  if (g_atomic_int_get (&received) < count)
    {
      gint got = g_atomic_int_get (&received);
      printf ("bare-sub TIMEOUT after %d s: %d of %d messages, cpu %.3f s (%.2f us/msg), %.0f msg/s\n", timeout_s, got,
              count, cpu, got ? cpu * 1e6 / got : 0.0, got ? got / wall : 0.0);
      fflush (stdout);
      _exit (3);
    }
  printf ("bare-sub async qos%d mqtt%d receive-max %d sessions %d%s: %d messages, cpu %.3f s (%.2f us/msg), wall %.3f s (%.0f msg/s)\n",
          qos, mqtt_version, receive_max, nsessions, hook ? " hook" : "", count, cpu, cpu * 1e6 / count, wall,
          count / wall);
  fflush (stdout);
  for (gint i = 0; i < nsessions; i++)
    {
      MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
      if (mqtt_version == 5)
        dopts = (MQTTAsync_disconnectOptions) MQTTAsync_disconnectOptions_initializer5;
      MQTTAsync_disconnect (sessions[i].handle, &dopts);
    }
  g_usleep (100000);
  for (gint i = 0; i < nsessions; i++)
    MQTTAsync_destroy (&sessions[i].handle);
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
  g_autofree gchar *units = NULL;
  g_autofree gchar *province = g_strdup ("40");
  gint qos = 1, count = 100000, nsessions = 1;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "Broker URL", "URL" },
    { "topic", 0, 0, G_OPTION_ARG_STRING, &topic, "Topic filter", "FILTER" },
    { "api", 0, 0, G_OPTION_ARG_STRING, &api, "async (MQTTAsync) or client (MQTTClient receive loop)", "API" },
    { "client-id", 0, 0, G_OPTION_ARG_STRING, &client_id, "Client id", "ID" },
    { "qos", 0, 0, G_OPTION_ARG_INT, &qos, "Subscription QoS", "N" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Messages to receive", "N" },
    { "persistent", 0, 0, G_OPTION_ARG_NONE, &persistent, "Persistent session (to receive a backlog queued while away)", NULL },
    { "mqtt", 0, 0, G_OPTION_ARG_INT, &mqtt_version, "MQTT version: 3 (3.1.1) or 5 (async only)", "V" },
    { "receive-max", 0, 0, G_OPTION_ARG_INT, &receive_max, "MQTT 5 Receive Maximum sent on CONNECT (0: none)", "R" },
    { "sessions", 0, 0, G_OPTION_ARG_INT, &nsessions, "Sessions, the units spread over them by hash (needs --units)", "S" },
    { "units", 0, 0, G_OPTION_ARG_FILENAME, &units, "Unit registry CSV: subscribe per unit instead of --topic", "CSV" },
    { "province", 0, 0, G_OPTION_ARG_STRING, &province, "Province code for --units", "NN" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, "Give up after S seconds, printing what arrived (async only)", "S" },
    { "session-expiry", 0, 0, G_OPTION_ARG_INT64, &session_expiry, "MQTT 5 Session Expiry Interval with --persistent (default 2147483647)", "S" },
    { "by-kind", 0, 0, G_OPTION_ARG_NONE, &by_kind, "Spread the kinds (desk, kiosk, camera, portal) over the sessions instead of units", NULL },
    { "hook", 0, 0, G_OPTION_ARG_NONE, &hook, "Count QoS 2 messages in the persistence put(), before PUBREC", NULL },
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
  if (nsessions < 1 || (nsessions > 1 && units == NULL && !by_kind) || (mqtt_version != 3 && mqtt_version != 5))
    {
      fprintf (stderr, "bare-sub: --sessions > 1 needs --units; --mqtt is 3 or 5\n");
      return 2;
    }
  return strcmp (api, "client") == 0 ? run_client (url, client_id, topic, qos, count)
                                     : run_async (url, client_id, topic, qos, count, nsessions, units, province);
}
