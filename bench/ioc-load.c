/* ioc-load.c — publishes a province's worth of SPEC §4 traffic over MQTT.
 *
 * The demo's built-in traffic (until ioc-sim plays the real source systems)
 * and the load for the end-to-end benchmarks.  Deterministic from --seed:
 * the same arguments publish the same messages.  Devices are spread over the
 * current units of a registry CSV; each device has its own rising seq.
 *
 *   ioc-load --url tcp://127.0.0.1:1883 --units ops/units/nghe-an.csv \
 *            --rate 200 --count 0 (forever) --devices 500 --seed 1
 *
 * Threads: main thread publishes; Paho's threads count acknowledgements. */
#include <MQTTAsync.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  gchar *unit;
  gchar *kind;
  gchar id[32];
  gint64 seq;
} Device;

typedef struct
{
  gchar *code;
  gchar *unit;
  gint64 received_ms;
  gint64 due_ms;
  gint state;
  gint channel;
} Dossier;

static volatile gint acked;
static volatile gint failed;
static volatile gint send_retries; /* sendMessage refusals, each retried */
/* --tally: per message type, the ones the broker acknowledged (a publish
 * that fails is not resent, so it is not owed downstream). */
#define MAX_TYPES 32
static gchar *type_names[MAX_TYPES];
static volatile gint type_acked[MAX_TYPES];
static volatile gint in_flight;
static volatile gint connected;
static volatile gint stop_requested;

static void
on_sent (void *context, MQTTAsync_successData *response)
{
  g_atomic_int_inc (&acked);
  if (context != NULL)
    g_atomic_int_inc (&type_acked[GPOINTER_TO_INT (context) - 1]);
  g_atomic_int_add (&in_flight, -1);
}

static void
on_failed (void *context, MQTTAsync_failureData *response)
{
  g_atomic_int_inc (&failed);
  g_atomic_int_add (&in_flight, -1);
}

static void
on_connected (void *context, char *cause)
{
  g_atomic_int_set (&connected, 1);
}

static void
on_lost (void *context, char *cause)
{
  g_atomic_int_set (&connected, 0);
}

static int
on_arrived (void *context, char *topic, int len, MQTTAsync_message *msg)
{
  MQTTAsync_freeMessage (&msg);
  MQTTAsync_free (topic);
  return 1;
}

static gboolean
on_signal (gpointer data)
{
  g_atomic_int_set (&stop_requested, 1);
  return G_SOURCE_CONTINUE;
}

static GPtrArray *
load_units (const gchar *path, GError **error)
{
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  GPtrArray *units = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      /* code,name,kind,parent,valid_from,valid_to,successor — current units
       * have an empty valid_to; names never start a line, so a split on ','
       * of the first field is safe. */
      if (lines[i][0] == '\0')
        continue;
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      guint n = g_strv_length (f);
      if (n >= 7 && f[n - 2][0] == '\0')
        g_ptr_array_add (units, g_strdup (f[0]));
    }
  return units;
}

static const gchar *
pick_kind (GRand *rand)
{
  gdouble r = g_rand_double (rand);
  return r < 0.35 ? "desk" : r < 0.70 ? "kiosk" : r < 0.95 ? "camera" : "portal";
}

/* The share of portal events that open a new dossier; the others move an
 * open one on (two steps to finish).  Above 1/3 the open stock grows without
 * bound (the default, as the original benchmarks ran); below it the stock
 * stays near 50, as in a province whose dossiers do finish. */
static gdouble new_dossier_share = 0.4;

/* One message of the realistic mix: mostly status, then queue events,
 * ratings and dossier events. */
static void
make_message (GRand *rand, Device *d, GPtrArray *dossiers, GPtrArray *units, const gchar *province,
              gint64 now_ms, GString *topic, GString *payload)
{
  d->seq++;
  gdouble r = g_rand_double (rand);
  const gchar *type = "event";
  g_string_printf (payload, "{\"v\":1,\"seq\":%" G_GINT64_FORMAT ",\"ts\":%" G_GINT64_FORMAT, d->seq, now_ms);
  if (strcmp (d->kind, "camera") == 0)
    {
      if (r < 0.9)
        {
          type = "status";
          g_string_append_printf (payload, ",\"cameras\":[{\"camera\":\"cam-1\",\"online\":%s,\"recording\":%s,\"fps\":25},"
                                           "{\"camera\":\"cam-2\",\"online\":true,\"recording\":true}]}",
                                  g_rand_double (rand) < 0.97 ? "true" : "false", g_rand_double (rand) < 0.95 ? "true" : "false");
        }
      else
        g_string_append_printf (payload, ",\"type\":\"%s\",\"camera\":\"cam-1\"}",
                                g_rand_boolean (rand) ? "camera.online" : "recording.started");
    }
  else if (strcmp (d->kind, "kiosk") == 0)
    {
      if (r < 0.3)
        {
          type = "status";
          g_string_append_printf (payload, ",\"online\":true,\"queue_length\":%d}", g_rand_int_range (rand, 0, 30));
        }
      else if (r < 0.75)
        g_string_append_printf (payload, ",\"type\":\"ticket.issued\",\"ticket\":\"A-%" G_GINT64_FORMAT "\",\"service\":\"hộ tịch\",\"priority\":\"normal\"}", d->seq);
      else if (r < 0.8)
        g_string_append_printf (payload, ",\"type\":\"ticket.no_show\",\"ticket\":\"A-%" G_GINT64_FORMAT "\"}", d->seq - 5);
      else
        {
          gint scale = g_rand_boolean (rand) ? 5 : 3;
          g_string_append_printf (payload, ",\"type\":\"rating\",\"level\":%d,\"scale\":%d,\"channel\":\"%s\"}",
                                  g_rand_int_range (rand, MAX (1, scale - 2), scale + 1), scale,
                                  g_rand_boolean (rand) ? "device" : "qr");
        }
    }
  else if (strcmp (d->kind, "desk") == 0)
    {
      if (r < 0.3)
        {
          type = "status";
          g_string_append_printf (payload, ",\"counters_open\":%d,\"waiting\":%d}", g_rand_int_range (rand, 1, 6),
                                  g_rand_int_range (rand, 0, 25));
        }
      else if (r < 0.65)
        g_string_append_printf (payload, ",\"type\":\"ticket.called\",\"ticket\":\"A-%" G_GINT64_FORMAT "\",\"counter\":\"q%d\",\"wait_s\":%d}",
                                d->seq, g_rand_int_range (rand, 1, 6), g_rand_int_range (rand, 30, 1800));
      else
        g_string_append_printf (payload, ",\"type\":\"service.done\",\"ticket\":\"A-%" G_GINT64_FORMAT "\",\"counter\":\"q%d\",\"service_s\":%d}",
                                d->seq, g_rand_int_range (rand, 1, 6), g_rand_int_range (rand, 60, 1200));
    }
  else /* portal: dossier events, published on the handling unit's topic */
    {
      Dossier *ds = NULL;
      if (dossiers->len < 50 || g_rand_double (rand) < new_dossier_share)
        {
          ds = g_new0 (Dossier, 1);
          ds->code = g_strdup_printf ("000.00.40.H40-%s-%06u", d->id, g_rand_int_range (rand, 0, 999999));
          ds->unit = units->pdata[g_rand_int_range (rand, 0, (gint32) units->len)];
          ds->received_ms = now_ms;
          ds->due_ms = now_ms + (gint64) g_rand_int_range (rand, 1, 10) * 86400000;
          ds->state = 2;
          ds->channel = g_rand_double (rand) < 0.7 ? 2 : (g_rand_double (rand) < 0.9 ? 1 : 3);
          g_ptr_array_add (dossiers, ds);
        }
      else
        {
          guint idx = (guint) g_rand_int_range (rand, 0, (gint32) dossiers->len);
          ds = dossiers->pdata[idx];
          ds->state = ds->state == 2 ? 4 : 10;
          if (ds->state == 10)
            {
              g_ptr_array_steal_index_fast (dossiers, idx);
              g_string_append_printf (payload, ",\"type\":\"dossier\",\"dossier\":\"%s\",\"procedure\":\"1.000%03u\",\"state\":%d,"
                                               "\"channel\":%d,\"received_at\":%" G_GINT64_FORMAT ",\"due_at\":%" G_GINT64_FORMAT ","
                                               "\"fee\":true,\"paid_online\":%s,\"digitized\":true,\"e_result\":true}",
                                      ds->code, (guint) (g_str_hash (ds->code) % 100), ds->state, ds->channel, ds->received_ms,
                                      ds->due_ms, ds->channel == 2 ? "true" : "false");
              g_string_printf (topic, "ioc/v1/%s/%s/portal/%s/event", province, ds->unit, d->id);
              g_free (ds->code);
              g_free (ds);
              return;
            }
        }
      g_string_append_printf (payload, ",\"type\":\"dossier\",\"dossier\":\"%s\",\"procedure\":\"1.000%03u\",\"state\":%d,"
                                       "\"channel\":%d,\"received_at\":%" G_GINT64_FORMAT ",\"due_at\":%" G_GINT64_FORMAT "}",
                              ds->code, (guint) (g_str_hash (ds->code) % 100), ds->state, ds->channel, ds->received_ms, ds->due_ms);
      g_string_printf (topic, "ioc/v1/%s/%s/portal/%s/event", province, ds->unit, d->id);
      return;
    }
  g_string_printf (topic, "ioc/v1/%s/%s/%s/%s/%s", province, d->unit, d->kind, d->id, type);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *url = g_strdup ("tcp://127.0.0.1:1883");
  g_autofree gchar *units_path = NULL;
  g_autofree gchar *province = g_strdup ("40");
  g_autofree gchar *client_id = g_strdup ("ioc-load");
  gint rate = 100, devices = 500, seed = 1, qos = 1, window = 1000, first_device = 0;
  gint64 count = 0;
  gboolean tally = FALSE;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "Broker URL", "URL" },
    { "units", 0, 0, G_OPTION_ARG_FILENAME, &units_path, "Unit registry CSV (current units get devices)", "FILE" },
    { "province", 0, 0, G_OPTION_ARG_STRING, &province, "Province code", "NN" },
    { "client-id", 0, 0, G_OPTION_ARG_STRING, &client_id, "MQTT client id", "ID" },
    { "rate", 0, 0, G_OPTION_ARG_INT, &rate, "Messages per second (0: as fast as the broker takes them)", "N" },
    { "count", 0, 0, G_OPTION_ARG_INT64, &count, "Messages to publish (0: until SIGINT/SIGTERM)", "N" },
    { "devices", 0, 0, G_OPTION_ARG_INT, &devices, "Number of devices", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed", "N" },
    { "first-device", 0, 0, G_OPTION_ARG_INT, &first_device,
      "Number the devices from N (publishers run side by side with disjoint devices)", "N" },
    { "qos", 0, 0, G_OPTION_ARG_INT, &qos, "QoS (connectors publish 1)", "N" },
    { "window", 0, 0, G_OPTION_ARG_INT, &window, "Unacknowledged messages in flight at most", "N" },
    { "new-dossiers", 0, 0, G_OPTION_ARG_DOUBLE, &new_dossier_share,
      "Share of dossier events that open a new dossier (default 0.4; below 0.33 the open stock stays bounded)", "P" },
    { "tally", 0, 0, G_OPTION_ARG_NONE, &tally, "At the end, print how many messages of each type the broker acknowledged (to check totals downstream)", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- publish SPEC §4 traffic for demos and benchmarks");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || units_path == NULL)
    {
      g_printerr ("ioc-load: %s\n", error ? error->message : "--units FILE is required");
      return 2;
    }
  if (first_device < 0 || first_device > 99999 - devices)
    {
      g_printerr ("ioc-load: --first-device: expected 0 to %d for %d devices, got %d\n", 99999 - devices, devices,
                  first_device);
      return 2;
    }
  if (!(new_dossier_share >= 0.0 && new_dossier_share <= 1.0))
    {
      g_printerr ("ioc-load: --new-dossiers: expected a share from 0 to 1, got %g\n", new_dossier_share);
      return 2;
    }
  g_autoptr (GPtrArray) units = load_units (units_path, &error);
  if (units == NULL || units->len == 0)
    {
      g_printerr ("ioc-load: %s: %s\n", units_path, error ? error->message : "no current units");
      return 1;
    }

  GRand *rand = g_rand_new_with_seed ((guint32) seed);
  Device *devs = g_new0 (Device, devices);
  for (gint i = 0; i < devices; i++)
    {
      devs[i].unit = units->pdata[i % units->len];
      devs[i].kind = (gchar *) pick_kind (rand);
      g_snprintf (devs[i].id, sizeof devs[i].id, "%s-%05d", devs[i].kind, first_device + i);
      /* Continue seqs across runs of the same seed: a restart of the demo
       * must not look like duplicates to the hub. */
      devs[i].seq = g_get_real_time () / 1000;
    }
  g_autoptr (GPtrArray) dossiers = g_ptr_array_new ();

  MQTTAsync handle;
  MQTTAsync_createOptions copts = MQTTAsync_createOptions_initializer;
  MQTTAsync_createWithOptions (&handle, url, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &copts);
  MQTTAsync_setCallbacks (handle, NULL, on_lost, on_arrived, NULL);
  MQTTAsync_setConnected (handle, NULL, on_connected);
  MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
  opts.cleansession = 1;
  opts.automaticReconnect = 1;
  opts.maxInflight = window;
  opts.keepAliveInterval = 20;
  MQTTAsync_connect (handle, &opts);
  for (int i = 0; i < 200 && !g_atomic_int_get (&connected); i++)
    g_usleep (50 * 1000);
  if (!g_atomic_int_get (&connected))
    {
      g_printerr ("ioc-load: cannot connect to %s\n", url);
      return 1;
    }
  g_unix_signal_add (SIGINT, on_signal, NULL);
  g_unix_signal_add (SIGTERM, on_signal, NULL);

  g_autoptr (GString) topic = g_string_new (NULL);
  g_autoptr (GString) payload = g_string_new (NULL);
  gint64 start = g_get_monotonic_time ();
  gint64 sent = 0;
  gint64 last_report = start;
  while ((count == 0 || sent < count) && !g_atomic_int_get (&stop_requested))
    {
      g_main_context_iteration (NULL, FALSE);
      if (rate > 0)
        {
          gint64 due = start + sent * G_TIME_SPAN_SECOND / rate;
          gint64 now = g_get_monotonic_time ();
          if (due > now)
            g_usleep ((gulong) MIN (due - now, 100000));
          if (due > g_get_monotonic_time ())
            continue;
        }
      while (g_atomic_int_get (&in_flight) >= window && !g_atomic_int_get (&stop_requested))
        g_usleep (100);
      Device *d = &devs[g_rand_int_range (rand, 0, devices)];
      make_message (rand, d, dossiers, units, province, g_get_real_time () / 1000, topic, payload);
      MQTTAsync_message msg = MQTTAsync_message_initializer;
      msg.payload = payload->str;
      msg.payloadlen = (int) payload->len;
      msg.qos = qos;
      msg.retained = strstr (topic->str, "/status") != NULL;
      MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
      ropts.onSuccess = on_sent;
      ropts.onFailure = on_failed;
      if (tally)
        {
          /* An event's "type", or the topic's last level (status). */
          g_autofree gchar *type = NULL;
          const gchar *t = strstr (payload->str, "\"type\":\"");
          if (t != NULL)
            type = g_strndup (t + 8, strcspn (t + 8, "\""));
          else
            type = g_strdup (strrchr (topic->str, '/') + 1);
          gint i = 0;
          while (i < MAX_TYPES - 1 && type_names[i] != NULL && strcmp (type_names[i], type) != 0)
            i++;
          if (type_names[i] == NULL)
            type_names[i] = g_steal_pointer (&type);
          ropts.context = GINT_TO_POINTER (i + 1);
        }
      /* The same message again until Paho takes it (its in-flight count can
       * lag our callbacks): a fresh one would skip a seq and a dossier
       * transition the model already made, which a soak then sees as a seq
       * gap and a dossier left open for ever. */
      gint refused = 0;
      gboolean taken = FALSE;
      g_atomic_int_inc (&in_flight);
      while (!(taken = MQTTAsync_sendMessage (handle, topic->str, &msg, &ropts) == MQTTASYNC_SUCCESS)
             && !g_atomic_int_get (&stop_requested))
        {
          refused++;
          g_usleep (10000);
          g_main_context_iteration (NULL, FALSE);
        }
      g_atomic_int_add (&send_retries, refused);
      if (!taken)
        {
          g_atomic_int_add (&in_flight, -1);
          break;
        }
      sent++;
      gint64 now = g_get_monotonic_time ();
      if (now - last_report > 10 * G_TIME_SPAN_SECOND)
        {
          g_printerr ("ioc-load: %" G_GINT64_FORMAT " sent, %d acknowledged\n", sent, g_atomic_int_get (&acked));
          last_report = now;
        }
    }
  for (int i = 0; i < 600 && g_atomic_int_get (&in_flight) > 0; i++)
    g_usleep (50 * 1000);
  gdouble secs = (g_get_monotonic_time () - start) / 1e6;
  if (tally)
    {
      printf ("ioc-load tally (acknowledged; %d publishes failed, %d sends refused by Paho and retried):",
              g_atomic_int_get (&failed), g_atomic_int_get (&send_retries));
      for (gint i = 0; i < MAX_TYPES && type_names[i] != NULL; i++)
        printf (" %s=%d", type_names[i], g_atomic_int_get (&type_acked[i]));
      printf ("\n");
    }
  printf ("ioc-load: %" G_GINT64_FORMAT " sent, %d acknowledged in %.2f s (%.0f msg/s)\n", sent, g_atomic_int_get (&acked),
          secs, sent / secs);
  MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect (handle, &dopts);
  g_usleep (100000);
  MQTTAsync_destroy (&handle);
  g_rand_free (rand);
  g_free (devs);
  return 0;
}
