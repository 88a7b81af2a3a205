/* mqtt-store.c — the persistence hook that makes QoS 2 ingest durable
 * before PUBREC (mqtt-client.h has the exactly-once argument), and the
 * parser of the received PUBLISH it is handed: the message path.  Paho calls
 * the store on its own threads: a received QoS 2 publish goes to the hub's
 * journal (through on_message) before Paho may acknowledge it; Paho's
 * outgoing state is kept in memory, as with MQTTCLIENT_PERSISTENCE_NONE.
 * QoS 0/1 messages come through ioc_mqtt_message_arrived instead. */
#include "io/mqtt-client-private.h"

#include <stdlib.h>
#include <string.h>

/* A variable byte integer (MQTT remaining length, MQTT 5 property length). */
static gboolean
read_varint (const guint8 *p, gsize len, gsize *pos, gsize *value)
{
  gsize v = 0;
  for (guint shift = 0; shift <= 21; shift += 7)
    {
      if (*pos >= len)
        return FALSE;
      guint8 b = p[(*pos)++];
      v |= (gsize) (b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        {
          *value = v;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
ioc_mqtt_parse_publish (const guint8 *pkt, gsize len, gboolean mqtt5, const guint8 **topic, gsize *topic_len,
                        const guint8 **payload, gsize *payload_len)
{
  if (len < 2 || (pkt[0] >> 4) != 3)
    return FALSE;
  gsize pos = 1;
  gsize remaining = 0;
  if (!read_varint (pkt, len, &pos, &remaining) || len - pos != remaining || remaining < 2)
    return FALSE;
  gsize tlen = ((gsize) pkt[pos] << 8) | pkt[pos + 1];
  pos += 2;
  if (len - pos < tlen)
    return FALSE;
  *topic = pkt + pos;
  *topic_len = tlen;
  pos += tlen;
  guint qos = (pkt[0] >> 1) & 3;
  if (qos == 3)
    return FALSE;
  if (qos > 0)
    {
      if (len - pos < 2)
        return FALSE;
      pos += 2;
    }
  if (mqtt5)
    {
      gsize props = 0;
      if (!read_varint (pkt, len, &pos, &props) || len - pos < props)
        return FALSE;
      pos += props;
    }
  *payload = pkt + pos;
  *payload_len = len - pos;
  return TRUE;
}


static int
store_open (void **handle, const char *client_id, const char *server_uri, void *context)
{
  *handle = context;
  return 0;
}

static int
store_close (void *handle)
{
  return 0;
}

static gboolean
is_received_key (const char *key)
{
  return g_str_has_prefix (key, "r-") || g_str_has_prefix (key, "r5-");
}

static int
store_put (void *handle, char *key, int bufcount, char *buffers[], int buflens[])
{
  Session *s = handle;
  IocMqttClient *self = s->client;

  if (is_received_key (key))
    {
      /* A received QoS 2 PUBLISH: Paho answers PUBREC only after we return 0. */
      gsize total = 0;
      for (int i = 0; i < bufcount; i++)
        total += (gsize) buflens[i];
      guint8 stack_buf[IOC_MQTT_STACK_PACKET];
      g_autofree guint8 *heap_buf = total > sizeof stack_buf ? g_malloc (total) : NULL;
      guint8 *pkt = heap_buf ? heap_buf : stack_buf;
      gsize off = 0;
      for (int i = 0; i < bufcount; i++)
        {
          memcpy (pkt + off, buffers[i], (gsize) buflens[i]);
          off += (gsize) buflens[i];
        }
      const guint8 *topic, *payload;
      gsize topic_len, payload_len;
      if (!ioc_mqtt_parse_publish (pkt, total, key[1] == '5', &topic, &topic_len, &payload, &payload_len))
        {
          g_warning ("mqtt: cannot parse a received PUBLISH (%zu bytes) on %s; refusing it", total, s->client_id);
          return MQTTCLIENT_PERSISTENCE_ERROR;
        }
      if (!self->on_message ((const gchar *) topic, topic_len, payload, payload_len, self->user_data))
        {
          /* Paho answers PUBREC whatever we return here: refusing would
           * lose the message.  Stopping before we return leaves it
           * unacknowledged, and the broker redelivers it to the next run. */
          ioc_stat_add (self->stat_refused, 1);
          g_error ("mqtt: %s: a received message could not be kept; stopping before it is acknowledged so that"
                   " the broker redelivers it", s->client_id);
        }
      __atomic_store_n (&s->last_message_us, g_get_monotonic_time (), __ATOMIC_RELAXED);
      ioc_stat_add (s->stat_received, 1);
      g_mutex_lock (&s->store_lock);
      gboolean is_new = g_hash_table_replace (s->store, g_strdup (key), NULL);
      g_mutex_unlock (&s->store_lock);
      if (is_new)
        {
          gint waiting = g_atomic_int_add (&self->awaiting_pubrel, 1) + 1;
          ioc_stat_set (self->stat_awaiting_pubrel, waiting);
          /* Only Paho's one receive thread gets here: no lost update. */
          if (waiting > ioc_stat_get (self->stat_awaiting_pubrel_max))
            ioc_stat_set (self->stat_awaiting_pubrel_max, waiting);
        }
      return 0;
    }

  GByteArray *data = g_byte_array_new ();
  for (int i = 0; i < bufcount; i++)
    g_byte_array_append (data, (const guint8 *) buffers[i], (guint) buflens[i]);
  g_mutex_lock (&s->store_lock);
  g_hash_table_replace (s->store, g_strdup (key), g_byte_array_free_to_bytes (data));
  g_mutex_unlock (&s->store_lock);
  return 0;
}

static int
store_get (void *handle, char *key, char **buffer, int *buflen)
{
  Session *s = handle;
  int rc = MQTTCLIENT_PERSISTENCE_ERROR;
  g_mutex_lock (&s->store_lock);
  GBytes *data = g_hash_table_lookup (s->store, key);
  if (data != NULL)
    {
      gsize len = 0;
      const void *p = g_bytes_get_data (data, &len);
      *buffer = malloc (len ? len : 1); /* Paho frees it with free() */
      if (*buffer != NULL)
        {
          memcpy (*buffer, p, len);
          *buflen = (int) len;
          rc = 0;
        }
    }
  g_mutex_unlock (&s->store_lock);
  return rc;
}

static int
store_remove (void *handle, char *key)
{
  Session *s = handle;
  g_mutex_lock (&s->store_lock);
  gboolean removed = g_hash_table_remove (s->store, key);
  g_mutex_unlock (&s->store_lock);
  if (removed && is_received_key (key))
    ioc_stat_set (s->client->stat_awaiting_pubrel, g_atomic_int_add (&s->client->awaiting_pubrel, -1) - 1);
  return 0;
}

static int
store_keys (void *handle, char ***keys, int *nkeys)
{
  Session *s = handle;
  g_mutex_lock (&s->store_lock);
  /* Journaled publishes are not offered back: they are replayed from the
   * journal, and a PUBREL for an unknown id is simply completed by Paho. */
  guint n = 0;
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init (&iter, s->store);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (value != NULL)
      n++;
  *nkeys = (int) n;
  *keys = NULL;
  if (n > 0)
    {
      *keys = malloc (sizeof (char *) * n);
      guint i = 0;
      g_hash_table_iter_init (&iter, s->store);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (value != NULL)
          (*keys)[i++] = strdup (key);
    }
  g_mutex_unlock (&s->store_lock);
  return 0;
}

static int
store_clear (void *handle)
{
  Session *s = handle;
  g_mutex_lock (&s->store_lock);
  guint received = 0;
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, s->store);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (is_received_key (key))
      received++;
  g_hash_table_remove_all (s->store);
  g_mutex_unlock (&s->store_lock);
  ioc_stat_set (s->client->stat_awaiting_pubrel,
                g_atomic_int_add (&s->client->awaiting_pubrel, -(gint) received) - (gint) received);
  return 0;
}

static int
store_containskey (void *handle, char *key)
{
  Session *s = handle;
  g_mutex_lock (&s->store_lock);
  gboolean found = g_hash_table_contains (s->store, key);
  g_mutex_unlock (&s->store_lock);
  return found ? 0 : MQTTCLIENT_PERSISTENCE_ERROR;
}

/* Paho keeps every received QoS 2 message in a linked list until its PUBREL
 * and, for each new PUBLISH, searches that whole list by packet id; mosquitto
 * walks its own in-flight list for every PUBREC.  With mosquitto 2.0.11 and a
 * window above one, a backlog grows both lists without bound (the broker
 * refills by position, mqtt-client.h): 11,008 waiting here, 600-800 us of CPU
 * per message instead of 25-35 us, a 100 k backlog drained at ~1,000 msg/s.
 * iochub_mqtt_awaiting_pubrel shows that list's length (docs/OPERATIONS.md). */

int
ioc_mqtt_message_arrived (void *context, char *topic, int topic_len, MQTTAsync_message *message)
{
  Session *s = context;
  IocMqttClient *self = s->client;
  /* QoS 2 messages were handed over (and journaled) in store_put already. */
  if (message->qos < 2)
    {
      ioc_stat_add (self->stat_unprotected, 1);
      gsize tlen = topic_len > 0 ? (gsize) topic_len : strlen (topic);
      if (!self->on_message (topic, tlen, message->payload, (gsize) message->payloadlen, self->user_data))
        {
          ioc_stat_add (self->stat_refused, 1);
          return 0; /* Paho retries the delivery later */
        }
      __atomic_store_n (&s->last_message_us, g_get_monotonic_time (), __ATOMIC_RELAXED);
      ioc_stat_add (s->stat_received, 1);
    }
  MQTTAsync_freeMessage (&message);
  MQTTAsync_free (topic);
  return 1;
}


void
ioc_mqtt_store_attach (Session *s)
{
  s->persistence.context = s;
  s->persistence.popen = store_open;
  s->persistence.pclose = store_close;
  s->persistence.pput = store_put;
  s->persistence.pget = store_get;
  s->persistence.premove = store_remove;
  s->persistence.pkeys = store_keys;
  s->persistence.pclear = store_clear;
  s->persistence.pcontainskey = store_containskey;
}
