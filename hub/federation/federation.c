/* federation.c — see federation.h. */
#include "federation.h"

#include <MQTTAsync.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "api/api-reply.h"
#include "api/auth.h"
#include "federation/fed-ledger.h"
#include "io/handoff.h"
#include "io/http-server.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-json.h"
#include "protocol/ioc-stats.h"
#include "protocol/ioc-time.h"

#define FED_MAX_PAYLOAD (64 * 1024)

/* The latest rollup of one other hub. */
typedef struct
{
  gchar *province;
  gchar *hub;
  gint64 day_start_us;
  gint64 sent_us;
  gint64 received_us; /* monotonic */
  IocFedTotals today;
  gchar key[]; /* "province/hub", then province and hub: one allocation */
} Remote;

struct _IocFederation
{
  IocHub *hub;
  IocHandoff *handoff; /* Paho's threads → main context; closed before free */
  IocFedLedger *ledger;
  gchar *ledger_path;
  gboolean ledger_dirty;
  gint64 last_publish_us; /* monotonic; 0: never */
  GHashTable *remotes; /* "province/hub" → Remote* */
  gchar *filter;
  MQTTAsync client;

  IocStat *stat_published;
  IocStat *stat_received;
  IocStat *stat_rejected;
  IocStat *stat_hubs;
};

/* Freed with g_free; the hash table's key is r->key. */
static Remote *
remote_new (const gchar *province, const gchar *hub)
{
  gsize p = strlen (province), h = strlen (hub);
  Remote *r = g_malloc0 (sizeof *r + 2 * (p + 1 + h + 1));
  memcpy (r->key, province, p);
  r->key[p] = '/';
  memcpy (r->key + p + 1, hub, h + 1);
  r->province = r->key + p + 1 + h + 1;
  memcpy (r->province, province, p + 1);
  r->hub = r->province + p + 1;
  memcpy (r->hub, hub, h + 1);
  return r;
}

/* (transfer full) The builder's document, compact. */
static gchar *
builder_to_data (JsonBuilder *b, gsize *len)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, len);
}

/* ---- publisher (main context) ---- */

/* The ledger is the federation's sink: every "all" minute point. */
static void
sink_point (gpointer data, const IocPoint *point)
{
  IocFederation *self = data;
  if (ioc_fed_ledger_record (self->ledger, point))
    self->ledger_dirty = TRUE;
}

static gchar *
own_message (IocFederation *self, gint64 now_us, gsize *len)
{
  const IocHubConfig *config = ioc_hub_config (self->hub);
  gint64 day = ioc_time_local_day_start (now_us);
  IocFedTotals today;
  ioc_fed_ledger_totals (self->ledger, day, G_MAXINT64, &today);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_int (b, "v", 1);
  ioc_json_string (b, "province", config->province);
  ioc_json_string (b, "hub", config->hub_id);
  ioc_json_int (b, "sent_ms", g_get_real_time () / 1000);
  ioc_json_int (b, "day_start_ms", day / 1000);
  json_builder_set_member_name (b, "today");
  ioc_fed_totals_to_json (&today, b);
  json_builder_end_object (b);
  return builder_to_data (b, len);
}

/* Every tick: the ledger saved when it changed, and this hub's rollup
 * published every publish_interval. */
static void
sink_tick (gpointer data, gint64 now_us)
{
  IocFederation *self = data;
  const IocHubConfig *config = ioc_hub_config (self->hub);
  if (self->ledger_dirty)
    {
      /* Yesterday is kept while today starts: late minutes still land there. */
      ioc_fed_ledger_prune (self->ledger, ioc_time_local_day_start (now_us) - G_TIME_SPAN_DAY);
      g_autoptr (GError) error = NULL;
      if (ioc_fed_ledger_save (self->ledger, self->ledger_path, &error))
        self->ledger_dirty = FALSE;
      else
        g_warning ("federation: cannot save %s (will retry): %s", self->ledger_path, error->message);
    }
  /* A national hub has no province of its own to publish. */
  if (config->national)
    return;
  gint64 mono = g_get_monotonic_time ();
  if (self->last_publish_us != 0 && mono - self->last_publish_us < config->federation_interval_us)
    return;
  gsize len = 0;
  g_autofree gchar *json = own_message (self, now_us, &len);
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/%s/rollup/%s", config->province, config->hub_id);
  if (ioc_hub_publish (self->hub, topic, json, len, 1, TRUE))
    {
      ioc_stat_add (self->stat_published, 1);
      self->last_publish_us = mono;
    }
}

/* ---- merger ---- */

static gboolean
is_code (const gchar *s, gsize max)
{
  gsize n = strlen (s);
  if (n == 0 || n > max)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_isalnum (s[i]) || s[i] == '-' || s[i] == '_'))
      return FALSE;
  return TRUE;
}

/* Main context.  Returns FALSE with *why on a message that is not a rollup. */
static gboolean
merge_message (IocFederation *self, const gchar *topic, const gchar *payload, gsize len, const gchar **why)
{
  g_auto (GStrv) parts = g_strsplit (topic, "/", -1);
  if (g_strv_length (parts) != 5 || strcmp (parts[3], "rollup") != 0 || !is_code (parts[2], 2)
      || !is_code (parts[4], 64))
    {
      *why = "topic is not ioc/v1/<province>/rollup/<hub>";
      return FALSE;
    }
  if (len == 0)
    {
      /* A cleared retained message: that hub was retired. */
      g_autofree gchar *key = g_strdup_printf ("%s/%s", parts[2], parts[4]);
      g_hash_table_remove (self->remotes, key);
      return TRUE;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (len > FED_MAX_PAYLOAD || !json_parser_load_from_data (parser, payload, (gssize) len, NULL))
    {
      *why = "not JSON (or above 64 KiB)";
      return FALSE;
    }
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  if (o == NULL || json_object_get_int_member_with_default (o, "v", 0) != 1)
    {
      *why = "not a v1 rollup object";
      return FALSE;
    }
  const gchar *province = json_object_get_string_member_with_default (o, "province", "");
  const gchar *hub = json_object_get_string_member_with_default (o, "hub", "");
  if (strcmp (province, parts[2]) != 0 || strcmp (hub, parts[4]) != 0)
    {
      *why = "province or hub differs from the topic";
      return FALSE;
    }
  JsonNode *today = json_object_get_member (o, "today");
  Remote fresh = { 0 };
  fresh.sent_us = json_object_get_int_member_with_default (o, "sent_ms", 0) * 1000;
  fresh.day_start_us = json_object_get_int_member_with_default (o, "day_start_ms", 0) * 1000;
  if (today == NULL || !JSON_NODE_HOLDS_OBJECT (today)
      || !ioc_fed_totals_from_json (json_node_get_object (today), &fresh.today, NULL))
    {
      *why = "today: expected an object of integer fields per measurement";
      return FALSE;
    }
  g_autofree gchar *key = g_strdup_printf ("%s/%s", province, hub);
  Remote *r = g_hash_table_lookup (self->remotes, key);
  /* A bridge may hand over a queued older message after the retained newer one. */
  if (r != NULL && r->sent_us > fresh.sent_us)
    return TRUE;
  if (r == NULL)
    {
      r = remote_new (province, hub);
      g_hash_table_insert (self->remotes, r->key, r);
    }
  r->sent_us = fresh.sent_us;
  r->day_start_us = fresh.day_start_us;
  r->today = fresh.today;
  r->received_us = g_get_monotonic_time ();
  ioc_stat_set (self->stat_hubs, g_hash_table_size (self->remotes));
  return TRUE;
}

/* A rollup on its way from Paho's thread: one allocation, freed with g_free. */
typedef struct
{
  IocFederation *fed; /* valid whenever the call runs: the hand-off is closed before free */
  gsize len;
  gchar *payload; /* into topic[], after the topic */
  gchar topic[];
} Inbound;

static void
inbound_main_cb (gpointer data)
{
  Inbound *in = data;
  IocFederation *self = in->fed;
  const gchar *why = NULL;
  if (merge_message (self, in->topic, in->payload, in->len, &why))
    ioc_stat_add (self->stat_received, 1);
  else
    {
      ioc_stat_add (self->stat_rejected, 1);
      g_warning ("federation: %s: ignored: %s", in->topic, why);
    }
}

/* Paho thread. */
static int
on_arrived (void *context, char *topic, int topic_len, MQTTAsync_message *msg)
{
  IocFederation *self = context;
  gsize tlen = topic_len > 0 ? (gsize) topic_len : strlen (topic);
  gsize len = (gsize) MAX (msg->payloadlen, 0);
  Inbound *in = g_malloc (sizeof *in + tlen + 1 + len + 1);
  in->fed = self;
  in->len = len;
  memcpy (in->topic, topic, tlen);
  in->topic[tlen] = '\0';
  in->payload = in->topic + tlen + 1;
  memcpy (in->payload, msg->payload, len);
  in->payload[len] = '\0';
  ioc_handoff_call (self->handoff, inbound_main_cb, in, g_free);
  MQTTAsync_freeMessage (&msg);
  MQTTAsync_free (topic);
  return 1;
}

typedef struct
{
  MQTTAsync client;
  gchar *filter;
} SubscribeCtx;

/* Paho thread: (re)subscribe on every connection; the session is clean, so
 * the retained rollups come again and the merger is whole at once. */
static void
on_connected (void *context, char *cause)
{
  IocFederation *self = context;
  MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
  int rc = MQTTAsync_subscribe (self->client, self->filter, 1, &ropts);
  if (rc != MQTTASYNC_SUCCESS)
    g_warning ("federation: cannot subscribe to %s (Paho %d)", self->filter, rc);
}

static void
on_lost (void *context, char *cause)
{
  /* Paho reconnects by itself (automaticReconnect). */
}

static gboolean
start_merger (IocFederation *self, const IocHubConfig *c, GError **error)
{
  self->filter = c->national ? g_strdup ("ioc/v1/+/rollup/+") : g_strdup_printf ("ioc/v1/%s/rollup/+", c->province);
  g_autofree gchar *client_id = g_strdup_printf ("%.50s-federation", c->mqtt_client_id);
  MQTTAsync_createOptions copts = MQTTAsync_createOptions_initializer;
  int rc = MQTTAsync_createWithOptions (&self->client, c->mqtt_url, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL,
                                        &copts);
  if (rc != MQTTASYNC_SUCCESS)
    {
      self->client = NULL;
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [mqtt] url: federation client for %s: Paho error %d",
                   c->path, c->mqtt_url, rc);
      return FALSE;
    }
  MQTTAsync_setCallbacks (self->client, self, on_lost, on_arrived, NULL);
  MQTTAsync_setConnected (self->client, self, on_connected);
  MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
  opts.keepAliveInterval = (int) c->mqtt_keepalive_s;
  opts.cleansession = 1;
  opts.automaticReconnect = 1;
  opts.minRetryInterval = 1;
  opts.maxRetryInterval = 10;
  opts.username = c->mqtt_username;
  opts.password = c->mqtt_password;
  rc = MQTTAsync_connect (self->client, &opts);
  if (rc != MQTTASYNC_SUCCESS)
    g_warning ("federation: connect to %s failed at once (Paho %d); retrying", c->mqtt_url, rc);
  return TRUE;
}

/* ---- what the wall display reads ---- */

static gint
remote_cmp (gconstpointer a, gconstpointer b)
{
  const Remote *x = *(Remote *const *) a, *y = *(Remote *const *) b;
  gint c = strcmp (x->province, y->province);
  return c != 0 ? c : strcmp (x->hub, y->hub);
}

/* A hub's own totals too: the province wall of a hub that owns some units
 * adds the other hubs' to its own live figures (dashboards/www/app.js). */
static void
add_hub (JsonBuilder *b, const gchar *hub, gdouble age_s, gboolean current, const IocFedTotals *today)
{
  json_builder_begin_object (b);
  ioc_json_string (b, "hub", hub);
  ioc_json_double (b, "age_s", age_s);
  ioc_json_bool (b, "current", current);
  if (current)
    {
      json_builder_set_member_name (b, "today");
      ioc_fed_totals_to_json (today, b);
    }
  json_builder_end_object (b);
}

static void
end_province (JsonBuilder *b, const IocFedTotals *t)
{
  json_builder_end_array (b); /* hubs */
  json_builder_set_member_name (b, "today");
  ioc_fed_totals_to_json (t, b);
  json_builder_end_object (b);
}

/* Every hub of the answer, sorted by province then hub: the others' latest
 * rollups, and this hub's own totals from its ledger (own, filled here)
 * rather than its echo through the broker.  (transfer container) */
static GPtrArray *
hubs_of_answer (IocFederation *self, const IocHubConfig *config, gint64 day, gint64 mono, Remote *own)
{
  const gchar *own_province = config->national ? NULL : config->province;
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->remotes);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Remote *r = value;
      if (own_province != NULL && strcmp (r->province, own_province) == 0 && strcmp (r->hub, config->hub_id) == 0)
        continue;
      g_ptr_array_add (list, r);
    }
  if (own_province != NULL)
    {
      own->province = (gchar *) own_province;
      own->hub = config->hub_id;
      own->day_start_us = day;
      own->received_us = mono;
      ioc_fed_ledger_totals (self->ledger, day, G_MAXINT64, &own->today);
      g_ptr_array_add (list, own);
    }
  g_ptr_array_sort (list, remote_cmp);
  return list;
}

/* "provinces": per province its hubs and their sum; the sum of all in *total. */
static void
add_provinces (JsonBuilder *b, GPtrArray *list, gint64 day, gint64 mono, IocFedTotals *total)
{
  IocFedTotals province = { 0 };
  const gchar *current_province = NULL;
  ioc_json_begin_array (b, "provinces");
  for (guint i = 0; i < list->len; i++)
    {
      Remote *r = g_ptr_array_index (list, i);
      if (current_province == NULL || strcmp (current_province, r->province) != 0)
        {
          if (current_province != NULL)
            end_province (b, &province);
          memset (&province, 0, sizeof province);
          current_province = r->province;
          json_builder_begin_object (b);
          ioc_json_string (b, "province", r->province);
          ioc_json_begin_array (b, "hubs");
        }
      /* Yesterday's totals of a hub that has not spoken today count for nothing today. */
      gboolean current = r->day_start_us == day;
      add_hub (b, r->hub, (mono - r->received_us) / 1e6, current, &r->today);
      if (current)
        {
          ioc_fed_totals_add (&province, &r->today);
          ioc_fed_totals_add (total, &r->today);
        }
    }
  if (current_province != NULL)
    end_province (b, &province);
  json_builder_end_array (b);
}

static void
federation_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocFederation *self = user_data;
  const IocHubConfig *config = ioc_hub_config (self->hub);
  if (!ioc_api_authorize (msg, query, config, IOC_ACCESS_READ))
    return;
  gint64 now = ioc_hub_now (self->hub);
  gint64 day = ioc_time_local_day_start (now);
  gint64 mono = g_get_monotonic_time ();
  Remote own = { 0 };
  g_autoptr (GPtrArray) list = hubs_of_answer (self, config, day, mono, &own);

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_int (b, "now_ms", now / 1000);
  ioc_json_string (b, "hub", config->hub_id);
  ioc_json_string (b, "mode", config->national ? "national" : "province");
  ioc_json_int (b, "day_start_ms", day / 1000);
  IocFedTotals total = { 0 };
  add_provinces (b, list, day, mono, &total);
  json_builder_set_member_name (b, "total");
  ioc_fed_totals_to_json (&total, b);
  json_builder_end_object (b);
  gsize len = 0;
  g_autofree gchar *body = builder_to_data (b, &len);
  ioc_http_reply (msg, 200, "application/json", body, len);
}

/* ---- life cycle ---- */

IocFederation *
ioc_federation_attach (IocHub *hub, GError **error)
{
  const IocHubConfig *c = ioc_hub_config (hub);
  if (!c->federation)
    return NULL;
  g_autoptr (IocFederation) self = g_new0 (IocFederation, 1);
  self->hub = hub;
  self->handoff = ioc_handoff_new ();
  self->ledger = ioc_fed_ledger_new ();
  self->ledger_path = g_build_filename (c->state_dir, "federation-ledger.txt", NULL);
  self->remotes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  self->stat_published = ioc_stat ("iochub_federation_published_total", NULL, IOC_STAT_COUNTER,
                                   "Rollups this hub published for the other hubs");
  self->stat_received = ioc_stat ("iochub_federation_received_total", NULL, IOC_STAT_COUNTER,
                                  "Rollups of hubs merged (own echo included)");
  self->stat_rejected = ioc_stat ("iochub_federation_rejected_total", NULL, IOC_STAT_COUNTER,
                                  "Messages on a rollup topic that were not a valid rollup");
  self->stat_hubs = ioc_stat ("iochub_federation_hubs", NULL, IOC_STAT_GAUGE, "Hubs whose rollup is known");
  if (!ioc_fed_ledger_load (self->ledger, self->ledger_path, error))
    {
      g_prefix_error (error, "federation ledger (move it aside to start the day's totals empty): ");
      return NULL;
    }
  if (!start_merger (self, c, error))
    return NULL;
  /* No free: main.c frees the federation after the hub, so that the ledger
   * is saved with the points of the hub's last tick. */
  static const IocSinkVTable sink = { .name = "federation", .point = sink_point, .tick = sink_tick };
  ioc_hub_add_sink (hub, &sink, self);
  ioc_hub_add_route (hub, "/api/v1/federation", federation_cb, self);
  g_message ("federation: %s mode, merging %s%s", c->national ? "national" : "province", self->filter,
             c->national ? "" : ", publishing this hub's rollup");
  return g_steal_pointer (&self);
}

void
ioc_federation_free (IocFederation *self)
{
  if (self == NULL)
    return;
  if (self->client != NULL)
    {
      MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
      dopts.timeout = 500;
      MQTTAsync_disconnect (self->client, &dopts);
      for (int i = 0; i < 25 && MQTTAsync_isConnected (self->client); i++)
        g_usleep (20 * 1000);
      MQTTAsync_destroy (&self->client);
    }
  if (self->ledger_dirty)
    {
      g_autoptr (GError) error = NULL;
      if (!ioc_fed_ledger_save (self->ledger, self->ledger_path, &error))
        g_warning ("federation: cannot save %s at shutdown: %s", self->ledger_path, error->message);
    }
  /* Paho is gone: a rollup it handed over but not yet merged is dropped. */
  if (self->handoff != NULL)
    ioc_handoff_close (self->handoff);
  g_clear_pointer (&self->handoff, ioc_handoff_unref);
  g_clear_pointer (&self->ledger, ioc_fed_ledger_free);
  g_clear_pointer (&self->remotes, g_hash_table_unref);
  g_free (self->ledger_path);
  g_free (self->filter);
  g_free (self);
}
