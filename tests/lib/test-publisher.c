/* test-publisher.c — see test-publisher.h.  Paho callbacks run on Paho's
 * threads; the pending table is guarded by a mutex. */
#include "test-publisher.h"

#include <MQTTAsync.h>
#include <gio/gio.h>
#include <string.h>

typedef struct
{
  gchar *topic;
  gchar *payload;
  gboolean retained;
  gboolean in_flight; /* a send is outstanding */
} Pending;

struct _IocTestPublisher
{
  MQTTAsync handle;
  GMutex lock;
  GCond changed;
  GHashTable *pending; /* id (guint64) → Pending* */
  guint64 next_id;
  guint64 resent;
  gboolean connected;
  GPtrArray *contexts; /* SendCtx*, freed with the publisher: Paho may never call back for a lost send */
};

typedef struct
{
  IocTestPublisher *self;
  guint64 id;
} SendCtx;

static void
pending_free (gpointer data)
{
  Pending *p = data;
  g_free (p->topic);
  g_free (p->payload);
  g_free (p);
}

static void
on_sent (void *context, MQTTAsync_successData *response)
{
  SendCtx *ctx = context;
  g_mutex_lock (&ctx->self->lock);
  g_hash_table_remove (ctx->self->pending, &ctx->id);
  g_cond_broadcast (&ctx->self->changed);
  g_mutex_unlock (&ctx->self->lock);
}

static void
on_send_failed (void *context, MQTTAsync_failureData *response)
{
  SendCtx *ctx = context;
  g_mutex_lock (&ctx->self->lock);
  Pending *p = g_hash_table_lookup (ctx->self->pending, &ctx->id);
  if (p != NULL)
    p->in_flight = FALSE;
  g_cond_broadcast (&ctx->self->changed);
  g_mutex_unlock (&ctx->self->lock);
}

static void
on_connected (void *context, char *cause)
{
  IocTestPublisher *self = context;
  g_mutex_lock (&self->lock);
  self->connected = TRUE;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

static void
on_lost (void *context, char *cause)
{
  IocTestPublisher *self = context;
  g_mutex_lock (&self->lock);
  self->connected = FALSE;
  /* Whatever was in flight on the dead connection may never be confirmed. */
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((Pending *) value)->in_flight = FALSE;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

static int
on_arrived (void *context, char *topic, int len, MQTTAsync_message *msg)
{
  MQTTAsync_freeMessage (&msg);
  MQTTAsync_free (topic);
  return 1;
}

/* Called WITHOUT the lock: Paho calls on_sent/on_send_failed with its own
 * mutex held, so holding ours across a Paho call would deadlock.  p is owned
 * by the table; the caller copied what Paho needs. */
static void
send_one (IocTestPublisher *self, guint64 id, const gchar *topic, const gchar *payload, gboolean retained)
{
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = (void *) payload;
  msg.payloadlen = (int) strlen (payload);
  msg.qos = 1;
  msg.retained = retained;
  SendCtx *ctx = g_new0 (SendCtx, 1);
  ctx->self = self;
  ctx->id = id;
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->contexts, ctx);
  g_mutex_unlock (&self->lock);
  MQTTAsync_responseOptions ropts = MQTTAsync_responseOptions_initializer;
  ropts.onSuccess = on_sent;
  ropts.onFailure = on_send_failed;
  ropts.context = ctx;
  if (MQTTAsync_sendMessage (self->handle, topic, &msg, &ropts) != MQTTASYNC_SUCCESS)
    {
      g_mutex_lock (&self->lock);
      Pending *p = g_hash_table_lookup (self->pending, &id);
      if (p != NULL)
        p->in_flight = FALSE;
      g_mutex_unlock (&self->lock);
    }
}

typedef struct
{
  guint64 id;
  gchar *topic;
  gchar *payload;
  gboolean retained;
} Resend;

IocTestPublisher *
ioc_test_publisher_new (const gchar *url, const gchar *client_id, GError **error)
{
  IocTestPublisher *self = g_new0 (IocTestPublisher, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->changed);
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, pending_free);
  self->contexts = g_ptr_array_new_with_free_func (g_free);
  MQTTAsync_createOptions copts = MQTTAsync_createOptions_initializer;
  copts.sendWhileDisconnected = 0;
  if (MQTTAsync_createWithOptions (&self->handle, url, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &copts)
      != MQTTASYNC_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create publisher for %s", url);
      ioc_test_publisher_free (self);
      return NULL;
    }
  MQTTAsync_setCallbacks (self->handle, self, on_lost, on_arrived, NULL);
  MQTTAsync_setConnected (self->handle, self, on_connected);
  MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
  opts.keepAliveInterval = 10;
  opts.cleansession = 1;
  opts.automaticReconnect = 1;
  opts.minRetryInterval = 1;
  opts.maxRetryInterval = 2;
  opts.maxInflight = 2000;
  MQTTAsync_connect (self->handle, &opts);
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&self->lock);
  while (!self->connected && g_get_monotonic_time () < deadline)
    g_cond_wait_until (&self->changed, &self->lock, deadline);
  gboolean ok = self->connected;
  g_mutex_unlock (&self->lock);
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "publisher could not connect to %s", url);
      ioc_test_publisher_free (self);
      return NULL;
    }
  return self;
}

static guint
count_in_flight_locked (IocTestPublisher *self)
{
  guint n = 0;
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n += ((Pending *) value)->in_flight;
  return n;
}

void
ioc_test_publisher_send (IocTestPublisher *self, const gchar *topic, const gchar *payload, gboolean retained)
{
  Pending *p = g_new0 (Pending, 1);
  p->topic = g_strdup (topic);
  p->payload = g_strdup (payload);
  p->retained = retained;
  g_mutex_lock (&self->lock);
  guint64 id = ++self->next_id;
  g_hash_table_insert (self->pending, g_memdup2 (&id, sizeof id), p);
  /* Keep the window bounded, as a connector's in-flight limit does. */
  gint64 deadline = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;
  while (g_hash_table_size (self->pending) > 1000 && g_get_monotonic_time () < deadline)
    g_cond_wait_until (&self->changed, &self->lock, deadline);
  gboolean connected = self->connected;
  if (connected)
    p->in_flight = TRUE;
  g_mutex_unlock (&self->lock);
  if (connected)
    send_one (self, id, topic, payload, retained);
}

gboolean
ioc_test_publisher_flush (IocTestPublisher *self, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  g_mutex_lock (&self->lock);
  while (g_hash_table_size (self->pending) > 0 && g_get_monotonic_time () < deadline)
    {
      if (self->connected && count_in_flight_locked (self) == 0)
        {
          g_autoptr (GArray) batch = g_array_new (FALSE, FALSE, sizeof (Resend));
          GHashTableIter iter;
          gpointer key, value;
          g_hash_table_iter_init (&iter, self->pending);
          while (g_hash_table_iter_next (&iter, &key, &value))
            {
              Pending *p = value;
              Resend r = { *(guint64 *) key, g_strdup (p->topic), g_strdup (p->payload), p->retained };
              p->in_flight = TRUE;
              g_array_append_val (batch, r);
              self->resent++;
            }
          g_mutex_unlock (&self->lock);
          for (guint i = 0; i < batch->len; i++)
            {
              Resend *r = &g_array_index (batch, Resend, i);
              send_one (self, r->id, r->topic, r->payload, r->retained);
              g_free (r->topic);
              g_free (r->payload);
            }
          g_mutex_lock (&self->lock);
        }
      gint64 wake = MIN (deadline, g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND);
      g_cond_wait_until (&self->changed, &self->lock, wake);
    }
  gboolean done = g_hash_table_size (self->pending) == 0;
  g_mutex_unlock (&self->lock);
  return done;
}

guint64
ioc_test_publisher_resent (IocTestPublisher *self)
{
  return self->resent;
}

void
ioc_test_publisher_free (IocTestPublisher *self)
{
  if (self == NULL)
    return;
  if (self->handle != NULL)
    {
      MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
      opts.timeout = 1000;
      MQTTAsync_disconnect (self->handle, &opts);
      for (int i = 0; i < 50 && MQTTAsync_isConnected (self->handle); i++)
        g_usleep (20 * 1000);
      MQTTAsync_destroy (&self->handle);
    }
  g_hash_table_unref (self->pending);
  g_ptr_array_unref (self->contexts);
  g_cond_clear (&self->changed);
  g_mutex_clear (&self->lock);
  g_free (self);
}
