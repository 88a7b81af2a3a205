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
 * Every message is sent until the broker acknowledges it: a publish that
 * fails (the connection dropped with it in flight) goes again, same seq, and
 * the hub counts it once.  Connection losses and failures are logged to
 * stderr with their time and Paho's code.
 *
 * Threads: the main thread makes and sends messages; Paho's threads count
 * acknowledgements and hand failed publishes back to the main thread. */
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

/* A message handed to Paho and not yet acknowledged.  The window is a fixed
 * set of these: a slot is free, in flight, or waiting to be sent again.  A
 * publish that fails (Paho calls onFailure) is sent again as it was, same
 * seq: with a clean session, every publish in flight when the connection
 * drops fails, whether or not the broker had it (Paho gives each
 * MQTTASYNC_OPERATION_INCOMPLETE), and the hub counts a (kind, device, seq)
 * once however often it arrives.  So every message made is acknowledged in
 * the end, and the tally of acknowledged messages is what the hub owes. */
typedef struct
{
  GString *topic;
  GString *payload;
  gint type; /* index into type_names, or -1 */
  gboolean retained;
  gboolean sending; /* handed to Paho, no callback yet (under slots_lock) */
} Pending;

static volatile gint acked;
static volatile gint failed;
static volatile gint resent;
static volatile gint send_retries; /* sendMessage refusals, each retried */
static volatile gint lost;         /* connections lost */
static volatile gint stray;        /* callbacks for a publish not in flight, ignored */
static volatile gint connected;
static volatile gint stop_requested;
static volatile gint closing; /* the end: a failed publish is no longer sent again */
/* --tally: per message type, the ones the broker acknowledged. */
#define MAX_TYPES 32
static gchar *type_names[MAX_TYPES];
static volatile gint type_acked[MAX_TYPES];

/* Slots: free ones on a stack, failed ones in a FIFO to be sent again.
 * Taken by the main thread, given back by Paho's threads. */
static GMutex slots_lock;
static GCond slots_cond;
static Pending **free_slots;
static gint free_n;
static gint window_n;
static GQueue resend_queue = G_QUEUE_INIT;

/* Failure and refusal codes seen, with counts (few distinct codes). */
#define MAX_CODES 16
typedef struct
{
  gint code[MAX_CODES];
  gint count[MAX_CODES];
  gint n;
} CodeCounts;
static GMutex codes_lock;
static CodeCounts failure_codes;
static CodeCounts refusal_codes;
static gint failed_since_lost;      /* under codes_lock */
static gint last_logged_failure = 1; /* under codes_lock; 1: none since the last (re)connect */
static gint64 lost_at_us;
static gint64 connected_at_us;
static gint short_lives; /* connections in a row lost within 30 s of connecting */
static gchar *client_id_text;

static const gchar *
code_name (gint code)
{
  /* MQTTAsync_strerror writes unknown codes into a static buffer: only the
   * codes it names are asked for from Paho's threads. */
  return code <= 0 && code >= MQTTASYNC_MAX_BUFFERED ? MQTTAsync_strerror (code) : "unknown code";
}

static void
count_code (CodeCounts *c, gint code)
{
  gint i = 0;
  while (i < c->n && c->code[i] != code)
    i++;
  if (i == c->n)
    {
      if (c->n == MAX_CODES)
        i = MAX_CODES - 1; /* lumped with the last */
      else
        c->code[c->n++] = code;
    }
  c->count[i]++;
}

static gchar *
format_codes (CodeCounts *c)
{
  GString *s = g_string_new (NULL);
  g_mutex_lock (&codes_lock);
  for (gint i = 0; i < c->n; i++)
    g_string_append_printf (s, "%scode %d (%s) %d", i > 0 ? ", " : "", c->code[i], code_name (c->code[i]),
                            c->count[i]);
  g_mutex_unlock (&codes_lock);
  if (s->len == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

/* "2026-12-07T03:40:47.123Z", for lines an operator lines up with the
 * broker's log. */
static gchar *
now_text (void)
{
  g_autoptr (GDateTime) t = g_date_time_new_now_utc ();
  return g_date_time_format (t, "%FT%T.%fZ");
}

/* Gives a slot back, free (to_resend FALSE) or to be sent again.  FALSE if
 * it was not in flight: a second callback for one publish must not put a
 * slot on the stack twice (two messages in one slot, one of them lost). */
static gboolean
slot_return (Pending *p, gboolean to_resend)
{
  g_mutex_lock (&slots_lock);
  gboolean was_sending = p->sending;
  if (was_sending)
    {
      p->sending = FALSE;
      if (to_resend)
        g_queue_push_tail (&resend_queue, p);
      else
        free_slots[free_n++] = p;
      g_cond_signal (&slots_cond);
    }
  g_mutex_unlock (&slots_lock);
  if (!was_sending)
    g_atomic_int_inc (&stray);
  return was_sending;
}

static gint
in_flight (void)
{
  g_mutex_lock (&slots_lock);
  gint n = window_n - free_n;
  g_mutex_unlock (&slots_lock);
  return n;
}

static void
on_sent (void *context, MQTTAsync_successData *response)
{
  Pending *p = context;
  gint type = p->type;
  if (!slot_return (p, FALSE))
    return;
  g_atomic_int_inc (&acked);
  if (type >= 0)
    g_atomic_int_inc (&type_acked[type]);
}

/* Paho's threads.  Logs the first failure after each (re)connect and each
 * change of code; on_connected sums up the rest. */
static void
on_failed (void *context, MQTTAsync_failureData *response)
{
  Pending *p = context;
  gint code = response != NULL ? response->code : 0;
  if (g_atomic_int_get (&closing))
    {
      g_atomic_int_inc (&failed);
      return;
    }
  if (!slot_return (p, TRUE))
    return;
  g_atomic_int_inc (&failed);
  g_mutex_lock (&codes_lock);
  count_code (&failure_codes, code);
  failed_since_lost++;
  gboolean log = code != last_logged_failure;
  last_logged_failure = code;
  g_mutex_unlock (&codes_lock);
  if (log)
    {
      g_autofree gchar *now = now_text ();
      g_printerr ("ioc-load: %s: publish failed (token %d): code %d (%s)%s%s; sending it again%s\n", now,
                  response != NULL ? response->token : 0, code, code_name (code),
                  response != NULL && response->message != NULL ? ": " : "",
                  response != NULL && response->message != NULL ? response->message : "",
                  g_atomic_int_get (&connected) ? "" : " after the reconnect");
    }
}

static void
on_connected (void *context, char *cause)
{
  connected_at_us = g_get_monotonic_time ();
  g_atomic_int_set (&connected, 1);
  if (g_atomic_int_get (&lost) == 0)
    return;
  g_mutex_lock (&codes_lock);
  gint n = failed_since_lost;
  failed_since_lost = 0;
  last_logged_failure = 1;
  g_mutex_unlock (&codes_lock);
  g_autofree gchar *now = now_text ();
  g_printerr ("ioc-load: %s: reconnected (%s) after %.1f s; %d publishes failed since the loss, sent again\n", now,
              cause != NULL ? cause : "no cause given", (g_get_monotonic_time () - lost_at_us) / 1e6, n);
}

/* Paho gives no cause for MQTT 3.1.1 (always NULL in 1.3.x); the broker's
 * log or --paho-trace says why.  A connection that keeps dying soon after it
 * is made is most often another client taking over the same client id (the
 * broker closes the older connection, both reconnect, and so on). */
static void
on_lost (void *context, char *cause)
{
  g_atomic_int_set (&connected, 0);
  g_atomic_int_inc (&lost);
  lost_at_us = g_get_monotonic_time ();
  gdouble lived = (lost_at_us - connected_at_us) / 1e6;
  short_lives = lived < 30 ? short_lives + 1 : 0;
  g_autofree gchar *now = now_text ();
  g_printerr ("ioc-load: %s: connection lost (%s) after %.1f s connected, with %d publishes in flight; %d acknowledged"
              " so far\n",
              now, cause != NULL ? cause : "Paho gives no cause", lived, in_flight (), g_atomic_int_get (&acked));
  if (short_lives == 3)
    g_printerr ("ioc-load: the connection was lost 3 times in a row within 30 s of connecting: does another client"
                " connect with client id \"%s\"? (the broker's log says so)\n",
                client_id_text);
}

/* --paho-trace: Paho's trace at MINIMUM kept in a ring of the last lines,
 * printed when the connection is lost (why Paho closed it); its errors are
 * printed as they come. */
#define TRACE_LINES 200
static gboolean paho_trace;
static GMutex trace_lock;
static gchar *trace_ring[TRACE_LINES];
static guint trace_next;

static void
on_trace (enum MQTTASYNC_TRACE_LEVELS level, char *message)
{
  if (level >= MQTTASYNC_TRACE_ERROR)
    g_printerr ("ioc-load: paho: %s\n", message);
  /* Function entries and exits ("(3)> Socket_close:944") would push what
   * happened out of the ring. */
  if (!paho_trace || strstr (message, ")> ") != NULL || strstr (message, ")< ") != NULL)
    return;
  g_mutex_lock (&trace_lock);
  g_free (trace_ring[trace_next]);
  trace_ring[trace_next] = g_strdup (message);
  trace_next = (trace_next + 1) % TRACE_LINES;
  /* "Calling connectionLost" comes just before on_lost: print the ring. */
  if (strstr (message, "connectionLost") != NULL)
    for (guint i = 0; i < TRACE_LINES; i++)
      {
        gchar *line = trace_ring[(trace_next + i) % TRACE_LINES];
        if (line != NULL)
          g_printerr ("ioc-load: paho trace: %s\n", line);
      }
  g_mutex_unlock (&trace_lock);
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
    { "paho-trace", 0, 0, G_OPTION_ARG_NONE, &paho_trace,
      "Keep Paho's recent trace lines and print them when the connection is lost (why Paho closed it)", NULL },
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
  if (window < 1 || window > 65535)
    {
      g_printerr ("ioc-load: --window: expected 1 to 65535 (MQTT message ids), got %d\n", window);
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

  window_n = window;
  Pending *slots = g_new0 (Pending, window);
  free_slots = g_new (Pending *, window);
  for (gint i = 0; i < window; i++)
    {
      slots[i].topic = g_string_new (NULL);
      slots[i].payload = g_string_new (NULL);
      free_slots[free_n++] = &slots[window - 1 - i];
    }

  client_id_text = client_id;
  MQTTAsync_setTraceCallback (on_trace);
  MQTTAsync_setTraceLevel (paho_trace ? MQTTASYNC_TRACE_MINIMUM : MQTTASYNC_TRACE_ERROR);
  MQTTAsync handle;
  MQTTAsync_createOptions copts = MQTTAsync_createOptions_initializer;
  /* Paho queues a publish until fewer than maxInflight are in flight, and
   * refuses one (MQTTASYNC_MAX_BUFFERED_MESSAGES) once maxBufferedMessages
   * (100 by default) wait: let the window bound both. */
  copts.maxBufferedMessages = window;
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

  gint64 start = g_get_monotonic_time ();
  gint64 sent = 0;
  gint64 last_report = start;
  gint64 drain_until = 0; /* once stopping: how long to wait for the window to empty */
  for (;;)
    {
      g_main_context_iteration (NULL, FALSE);
      gboolean making = (count == 0 || sent < count) && !g_atomic_int_get (&stop_requested);
      if (!making && drain_until == 0)
        drain_until = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
      if (!making && (in_flight () == 0 || g_get_monotonic_time () > drain_until))
        break;

      /* A failed publish goes again before anything new. */
      g_mutex_lock (&slots_lock);
      Pending *p = g_queue_pop_head (&resend_queue);
      if (p != NULL)
        p->sending = TRUE;
      g_mutex_unlock (&slots_lock);
      gboolean again = p != NULL;
      if (p == NULL)
        {
          /* Wait for the next message's time and a free slot, or for a
           * failed publish; back to the loop (signals, the drain's deadline)
           * within 50 ms. */
          gint64 due = making && rate > 0 ? start + sent * G_TIME_SPAN_SECOND / rate : 0;
          gint64 give_up = g_get_monotonic_time () + 50 * 1000;
          g_mutex_lock (&slots_lock);
          for (;;)
            {
              if (!g_queue_is_empty (&resend_queue))
                break;
              gboolean can_make = making && free_n > 0;
              gint64 now = g_get_monotonic_time ();
              if (can_make && now >= due)
                {
                  p = free_slots[--free_n];
                  p->sending = TRUE;
                  break;
                }
              if (now >= give_up)
                break;
              g_cond_wait_until (&slots_cond, &slots_lock, can_make ? MIN (due, give_up) : give_up);
            }
          g_mutex_unlock (&slots_lock);
          if (p == NULL)
            continue;
          Device *d = &devs[g_rand_int_range (rand, 0, devices)];
          make_message (rand, d, dossiers, units, province, g_get_real_time () / 1000, p->topic, p->payload);
          p->retained = strstr (p->topic->str, "/status") != NULL;
          p->type = -1;
          if (tally)
            {
              /* An event's "type", or the topic's last level (status). */
              g_autofree gchar *type = NULL;
              const gchar *t = strstr (p->payload->str, "\"type\":\"");
              if (t != NULL)
                type = g_strndup (t + 8, strcspn (t + 8, "\""));
              else
                type = g_strdup (strrchr (p->topic->str, '/') + 1);
              gint i = 0;
              while (i < MAX_TYPES - 1 && type_names[i] != NULL && strcmp (type_names[i], type) != 0)
                i++;
              if (type_names[i] == NULL)
                type_names[i] = g_steal_pointer (&type);
              p->type = i;
            }
        }

      MQTTAsync_message msg = MQTTAsync_message_initializer;
      msg.payload = p->payload->str;
      msg.payloadlen = (int) p->payload->len;
      msg.qos = qos;
      msg.retained = p->retained;
      MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
      ropts.onSuccess = on_sent;
      ropts.onFailure = on_failed;
      ropts.context = p;
      /* The same message again until Paho takes it (it refuses while
       * disconnected): a fresh one would skip a seq and a dossier
       * transition the model already made, which a soak then sees as a seq
       * gap and a dossier left open for ever. */
      gint rc;
      while ((rc = MQTTAsync_sendMessage (handle, p->topic->str, &msg, &ropts)) != MQTTASYNC_SUCCESS)
        {
          g_atomic_int_inc (&send_retries);
          g_mutex_lock (&codes_lock);
          count_code (&refusal_codes, rc);
          g_mutex_unlock (&codes_lock);
          if (g_atomic_int_get (&stop_requested) && drain_until == 0)
            drain_until = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
          if (drain_until != 0 && g_get_monotonic_time () > drain_until)
            break;
          g_usleep (10000);
          g_main_context_iteration (NULL, FALSE);
        }
      if (rc != MQTTASYNC_SUCCESS)
        {
          slot_return (p, FALSE); /* stopping, and Paho would not take it */
          break;
        }
      if (again)
        g_atomic_int_inc (&resent);
      else
        sent++;
      gint64 now = g_get_monotonic_time ();
      if (now - last_report > 10 * G_TIME_SPAN_SECOND)
        {
          g_printerr ("ioc-load: %" G_GINT64_FORMAT " sent, %d acknowledged\n", sent, g_atomic_int_get (&acked));
          last_report = now;
        }
    }
  gdouble secs = (g_get_monotonic_time () - start) / 1e6;
  g_autofree gchar *failure_text = format_codes (&failure_codes);
  g_autofree gchar *refusal_text = format_codes (&refusal_codes);
  gint unacked = in_flight ();
  if (tally)
    {
      g_autofree gchar *stray_text = g_atomic_int_get (&stray) == 0 ? g_strdup ("")
                                     : g_strdup_printf (", %d callbacks for a publish not in flight ignored",
                                                        g_atomic_int_get (&stray));
      printf ("ioc-load tally (acknowledged; %d publishes failed and were sent again [%s], %d sends refused by Paho"
              " and retried [%s], %d connections lost, %d never acknowledged%s):",
              g_atomic_int_get (&failed), failure_text, g_atomic_int_get (&send_retries), refusal_text,
              g_atomic_int_get (&lost), unacked, stray_text);
      for (gint i = 0; i < MAX_TYPES && type_names[i] != NULL; i++)
        printf (" %s=%d", type_names[i], g_atomic_int_get (&type_acked[i]));
      printf ("\n");
    }
  printf ("ioc-load: %" G_GINT64_FORMAT " sent, %d acknowledged in %.2f s (%.0f msg/s)\n", sent, g_atomic_int_get (&acked),
          secs, sent / secs);
  fflush (stdout);
  g_printerr ("ioc-load: %d connections lost; %d publishes failed [%s], %d sent again; %d sends refused [%s]; %d never"
              " acknowledged; %d callbacks from Paho for a publish not in flight (ignored)\n",
              g_atomic_int_get (&lost), g_atomic_int_get (&failed), failure_text, g_atomic_int_get (&resent),
              g_atomic_int_get (&send_retries), refusal_text, unacked, g_atomic_int_get (&stray));
  /* Paho fails what is still in flight when it is destroyed: those are only
   * counted now.  The slots stay valid until Paho is gone. */
  g_atomic_int_set (&closing, 1);
  MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect (handle, &dopts);
  g_usleep (100000);
  MQTTAsync_destroy (&handle);
  for (gint i = 0; i < window; i++)
    {
      g_string_free (slots[i].topic, TRUE);
      g_string_free (slots[i].payload, TRUE);
    }
  g_free (slots);
  g_free (free_slots);
  g_rand_free (rand);
  g_free (devs);
  return 0;
}
