/* connector-harness.c — see connector-harness.h.  The collector runs on
 * Paho's threads and stores messages under a mutex; everything else runs on
 * the test's main thread. */
#include "connector-harness.h"

#include <MQTTAsync.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ingest/decoder.h"
#include "test-util.h"

struct _IocTestCollector
{
  MQTTAsync h;
  GMutex lock;
  GPtrArray *msgs;
  gint subscribed; /* atomic */
};

static void
msg_free (IocTestMsg *m)
{
  g_free (m->topic);
  g_free (m->payload);
  g_free (m);
}

static int
on_msg (void *ctx, char *topic, int tlen, MQTTAsync_message *message)
{
  IocTestCollector *self = ctx;
  IocTestMsg *m = g_new0 (IocTestMsg, 1);
  m->topic = tlen > 0 ? g_strndup (topic, (gsize) tlen) : g_strdup (topic);
  m->payload = g_strndup (message->payload, (gsize) message->payloadlen);
  m->len = (gsize) message->payloadlen;
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->msgs, m);
  g_mutex_unlock (&self->lock);
  MQTTAsync_freeMessage (&message);
  MQTTAsync_free (topic);
  return 1;
}

static void
on_sub (void *ctx, MQTTAsync_successData *r)
{
  IocTestCollector *self = ctx;
  g_atomic_int_set (&self->subscribed, 1);
}

static void
on_conn (void *ctx, MQTTAsync_successData *r)
{
  IocTestCollector *self = ctx;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  ro.onSuccess = on_sub;
  ro.context = self;
  MQTTAsync_subscribe (self->h, "ioc/v1/#", 1, &ro);
}

/* Every (re)connect: subscribe again in case the broker lost the session. */
static void
on_connected (void *ctx, char *cause)
{
  on_conn (ctx, NULL);
}

static gboolean
is_subscribed (gpointer data)
{
  IocTestCollector *self = data;
  return g_atomic_int_get (&self->subscribed) == 1;
}

IocTestCollector *
ioc_test_collector_new (const gchar *url, GError **error)
{
  IocTestCollector *self = g_new0 (IocTestCollector, 1);
  g_mutex_init (&self->lock);
  self->msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) msg_free);
  g_autofree gchar *id = g_strdup_printf ("test-collector-%d", (int) getpid ());
  MQTTAsync_create (&self->h, url, id, MQTTCLIENT_PERSISTENCE_NONE, NULL);
  MQTTAsync_setCallbacks (self->h, self, NULL, on_msg, NULL);
  MQTTAsync_setConnected (self->h, self, on_connected);
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  /* A persistent session, so the broker keeps our queue across its restart. */
  co.cleansession = 0;
  co.keepAliveInterval = 5;
  co.automaticReconnect = 1;
  co.minRetryInterval = 1;
  co.maxRetryInterval = 1;
  co.context = self;
  if (MQTTAsync_connect (self->h, &co) != MQTTASYNC_SUCCESS
      || !ioc_test_wait (is_subscribed, self, 10 * G_TIME_SPAN_SECOND))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "collector: cannot subscribe at %s", url);
      ioc_test_collector_free (self);
      return NULL;
    }
  return self;
}

GPtrArray *
ioc_test_collector_messages (IocTestCollector *self)
{
  g_mutex_lock (&self->lock);
  GPtrArray *copy = g_ptr_array_new ();
  for (guint i = 0; i < self->msgs->len; i++)
    g_ptr_array_add (copy, self->msgs->pdata[i]);
  g_mutex_unlock (&self->lock);
  return copy;
}

void
ioc_test_collector_free (IocTestCollector *self)
{
  if (!self)
    return;
  MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
  d.timeout = 1000;
  if (MQTTAsync_isConnected (self->h))
    MQTTAsync_disconnect (self->h, &d);
  for (gint i = 0; i < 100 && MQTTAsync_isConnected (self->h); i++)
    g_usleep (10000);
  MQTTAsync_destroy (&self->h);
  g_ptr_array_unref (self->msgs);
  g_mutex_clear (&self->lock);
  g_free (self);
}

gboolean
ioc_test_wait (gboolean (*pred) (gpointer), gpointer data, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  while (g_get_monotonic_time () < end)
    {
      if (pred (data))
        return TRUE;
      for (gint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
        ;
      g_usleep (5000);
    }
  return pred (data);
}

gboolean
ioc_test_connector_start (IocTestConnector *self, const gchar *conf_path, GError **error)
{
  if (!self->log_path)
    {
      g_autofree gchar *dir = g_path_get_dirname (conf_path);
      self->log_path = g_build_filename (dir, "connector.log", NULL);
      self->conf_path = g_strdup (conf_path);
    }
  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  /* append: a restarted connector's log follows the first one's */
  int fd = open (self->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  g_subprocess_launcher_take_stderr_fd (l, fd);
  g_subprocess_launcher_setenv (l, "G_MESSAGES_DEBUG", "", TRUE);
  /* dies with the test, so an aborted test leaves no connector behind (it
   * is stopped by PID otherwise) */
  g_subprocess_launcher_set_child_setup (l, ioc_test_die_with_test, NULL, NULL);
  self->proc = g_subprocess_launcher_spawn (l, error, IOC_CONNECTOR_BIN, "--config", conf_path,
                                            "--drain", "3", NULL);
  return self->proc != NULL;
}

void
ioc_test_connector_kill (IocTestConnector *self)
{
  if (!self->proc)
    return;
  g_subprocess_send_signal (self->proc, SIGKILL);
  g_subprocess_wait (self->proc, NULL, NULL);
  g_clear_object (&self->proc);
}

gint
ioc_test_connector_stop (IocTestConnector *self)
{
  if (!self->proc)
    return -1;
  g_subprocess_send_signal (self->proc, SIGTERM);
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_subprocess_get_identifier (self->proc) != NULL && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  if (g_subprocess_get_identifier (self->proc) != NULL)
    {
      g_subprocess_send_signal (self->proc, SIGKILL);
      g_subprocess_wait (self->proc, NULL, NULL);
      g_clear_object (&self->proc);
      return -1;
    }
  gint st = g_subprocess_get_if_exited (self->proc) ? g_subprocess_get_exit_status (self->proc) : -1;
  g_clear_object (&self->proc);
  return st;
}

gboolean
ioc_test_connector_alive (IocTestConnector *self)
{
  if (!self->proc)
    return FALSE;
  g_main_context_iteration (NULL, FALSE);
  return g_subprocess_get_identifier (self->proc) != NULL;
}

void
ioc_test_connector_dump_log (IocTestConnector *self)
{
  g_autofree gchar *log = NULL;
  if (self->log_path && g_file_get_contents (self->log_path, &log, NULL, NULL))
    g_printerr ("---- ioc-connector log (%s) ----\n%s---- end ----\n", self->log_path, log);
}

void
ioc_test_connector_clear (IocTestConnector *self)
{
  ioc_test_connector_kill (self);
  g_clear_pointer (&self->log_path, g_free);
  g_clear_pointer (&self->conf_path, g_free);
}

static void
rec_free (IocTestRecord *r)
{
  g_free (r->topic);
  g_free (r->type);
  g_free (r->key);
  g_free (r->unit);
  g_free (r->payload);
  g_free (r);
}

GPtrArray *
ioc_test_decode_all (IocTestCollector *c)
{
  g_autoptr (GPtrArray) msgs = ioc_test_collector_messages (c);
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rec_free);
  for (guint i = 0; i < msgs->len; i++)
    {
      IocTestMsg *m = msgs->pdata[i];
      if (g_str_has_suffix (m->topic, "/state"))
        {
          g_assert_true (strcmp (m->payload, "online") == 0 || strcmp (m->payload, "offline") == 0);
          continue;
        }
      /* ioc/v1/<p>/config/<id>[/applied]: the hub's pushed config and the
       * connector's answer (SPEC §3), not connector data for the decoder. */
      if (g_str_has_prefix (m->topic, "ioc/v1/") && strstr (m->topic, "/config/") != NULL)
        continue;
      const IocRecord *rec = NULL;
      const gchar *detail = NULL;
      IocReject r = ioc_decoder_decode (dec, m->topic, strlen (m->topic), (const guint8 *) m->payload,
                                        m->len, &rec, &detail);
      if (r != IOC_REJECT_NONE)
        g_error ("the hub would reject %s %s: %s (%s)", m->topic, m->payload, ioc_reject_name (r),
                 detail);
      IocTestRecord *t = g_new0 (IocTestRecord, 1);
      t->topic = g_strdup (m->topic);
      t->msg_type = rec->msg_type;
      t->seq = rec->seq;
      t->unit = g_strdup (rec->unit);
      t->payload = g_strdup (m->payload);
      if (rec->msg_type == IOC_MSG_EVENT)
        {
          t->type = g_strdup (ioc_event_type_name (rec->type));
          /* camera events repeat by nature (offline, online, offline…): no key */
          if (rec->type == IOC_EV_DOSSIER)
            {
              /* a dossier's key is one change of it: id and state */
              g_free (t->key);
              t->key = g_strdup_printf ("%s/%d", rec->dossier, rec->state);
            }
          else if (rec->ticket)
            {
              g_free (t->key);
              t->key = g_strdup_printf ("%s/%s", ioc_event_type_name (rec->type), rec->ticket);
            }
        }
      g_ptr_array_add (out, t);
    }
  return out;
}

void
ioc_test_check_seq (GPtrArray *records, gint64 allow_gap_after)
{
  g_autoptr (GHashTable) by_seq = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GHashTable) by_key = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 max = 0, min = G_MAXINT64;
  for (guint i = 0; i < records->len; i++)
    {
      IocTestRecord *r = records->pdata[i];
      IocTestRecord *prev = g_hash_table_lookup (by_seq, &r->seq);
      if (prev)
        {
          /* a resend after a lost ack: same seq, same message */
          g_assert_cmpstr (prev->payload, ==, r->payload);
          continue;
        }
      /* distinct seqs arrive in increasing order */
      if (r->seq < max)
        g_error ("seq %" G_GINT64_FORMAT " arrived after %" G_GINT64_FORMAT, r->seq, max);
      max = r->seq;
      min = MIN (min, r->seq);
      g_hash_table_insert (by_seq, &r->seq, r);
      if (r->key)
        {
          IocTestRecord *k = g_hash_table_lookup (by_key, r->key);
          if (k)
            g_error ("%s published twice: seq %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, r->key,
                     k->seq, r->seq);
          g_hash_table_insert (by_key, r->key, r);
        }
    }
  gint64 missing = 0;
  for (gint64 s = min; s <= max; s++)
    if (!g_hash_table_contains (by_seq, &s))
      {
        if (allow_gap_after > 0 && s > allow_gap_after)
          {
            /* the crash gap: one contiguous run after allow_gap_after */
            while (s <= max && !g_hash_table_contains (by_seq, &s))
              s++;
            allow_gap_after = 0;
            continue;
          }
        missing++;
        g_printerr ("seq %" G_GINT64_FORMAT " missing\n", s);
      }
  g_assert_cmpint (missing, ==, 0);
}

guint
ioc_test_count_distinct_keys (GPtrArray *records, const gchar *type)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < records->len; i++)
    {
      IocTestRecord *r = records->pdata[i];
      if (r->key && g_strcmp0 (r->type, type) == 0)
        g_hash_table_add (seen, r->key);
    }
  return g_hash_table_size (seen);
}

void
ioc_test_broker_let_persist (guint port)
{
  /* tests/lib/test-broker.c creates its data dir 0700 as the test's user;
   * mosquitto started as root drops to user "mosquitto" and then cannot save
   * its database ("Error: Permission denied"), so sessions would not survive
   * a restart.  Open the dir to it (the directory is private to this test). */
  g_autoptr (GDir) d = g_dir_open (g_get_tmp_dir (), 0, NULL);
  g_autofree gchar *want = g_strdup_printf ("listener %u ", port);
  for (const gchar *name; d && (name = g_dir_read_name (d));)
    {
      if (!g_str_has_prefix (name, "ioc-broker-"))
        continue;
      g_autofree gchar *dir = g_build_filename (g_get_tmp_dir (), name, NULL);
      g_autofree gchar *conf_path = g_build_filename (dir, "mosquitto.conf", NULL);
      g_autofree gchar *conf = NULL;
      if (g_file_get_contents (conf_path, &conf, NULL, NULL) && g_str_has_prefix (conf, want))
        g_chmod (dir, 0777);
    }
}
