/* alert-notify.c — turns engine notifications into MQTT publishes and
 * webhook calls (SPEC §3 "Topics the hub publishes").
 *
 * Main context: ioc_alert_notify_alert() formats the alert's JSON, publishes
 * it retained (the latest state wins; a resolve replaces a firing state, so
 * no topic is left stale) and, when the alert pages, queues the body.
 * Worker thread (one, started only when a webhook is configured): pops
 * bodies, POSTs them with libcurl, retries with capped exponential backoff
 * (protocol/ioc-backoff.h), and waits on a condition variable so that a stop
 * interrupts a backoff.  A failing receiver costs queue slots, never the main
 * loop: when the queue is full the oldest body is dropped and counted. */
#include "alerts/alert-notify.h"

#include <curl/curl.h>
#include <string.h>

#include "protocol/ioc-backoff.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)

struct _IocAlertNotify
{
  IocAlertNotifyOptions opts;
  IocAlertPublishFunc publish;
  gpointer publish_data;

  GMutex lock;
  GCond cond;
  GQueue *queue; /* gchar* JSON bodies */
  gboolean stopping;
  GThread *worker;
  IocAlertNotifyStats stats;
};

gchar *
ioc_alert_topic (const gchar *province, const gchar *rule, const gchar *scope)
{
  return g_strdup_printf ("ioc/v1/%s/alerts/%s/%s", province, rule, scope);
}

static size_t
discard_cb (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  return size * nmemb;
}

/* Worker thread: one POST; TRUE on a 2xx answer. */
static gboolean
post_once (IocAlertNotify *self, const gchar *body)
{
  g_autoptr (CURL) curl = curl_easy_init ();
  if (curl == NULL)
    return FALSE;
  struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
  g_autofree gchar *auth = NULL;
  if (self->opts.webhook_token != NULL)
    {
      auth = g_strdup_printf ("Authorization: Bearer %s", self->opts.webhook_token);
      headers = curl_slist_append (headers, auth);
    }
  curl_easy_setopt (curl, CURLOPT_URL, self->opts.webhook_url);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) (self->opts.webhook_timeout_us / 1000));
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, discard_cb);
  CURLcode rc = curl_easy_perform (curl);
  long status = 0;
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all (headers);
  return rc == CURLE_OK && status >= 200 && status < 300;
}

static gpointer
worker_main (gpointer data)
{
  IocAlertNotify *self = data;
  IocBackoff backoff;
  ioc_backoff_init (&backoff, self->opts.retry_min_us, self->opts.retry_max_us);
  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      if (g_queue_is_empty (self->queue))
        {
          g_cond_wait (&self->cond, &self->lock);
          continue;
        }
      g_autofree gchar *body = g_queue_pop_head (self->queue);
      guint attempt = 0;
      ioc_backoff_reset (&backoff);
      for (;;)
        {
          g_mutex_unlock (&self->lock);
          gboolean ok = post_once (self, body);
          g_mutex_lock (&self->lock);
          attempt++;
          if (ok)
            {
              self->stats.webhook_sent++;
              break;
            }
          if (self->stopping)
            {
              /* Shutting down: not the receiver's fault, nothing to report. */
              self->stats.webhook_dropped++;
              g_debug ("alert webhook %s: dropped at stop", self->opts.webhook_url);
              break;
            }
          if (attempt >= self->opts.webhook_attempts)
            {
              self->stats.webhook_dropped++;
              g_warning ("alert webhook %s: giving up after %u attempts", self->opts.webhook_url, attempt);
              break;
            }
          self->stats.webhook_retries++;
          gint64 until = g_get_monotonic_time () + ioc_backoff_next (&backoff);
          while (!self->stopping && g_cond_wait_until (&self->cond, &self->lock, until))
            ;
        }
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

IocAlertNotify *
ioc_alert_notify_new (const IocAlertNotifyOptions *opts, IocAlertPublishFunc publish, gpointer publish_data)
{
  IocAlertNotify *self = g_new0 (IocAlertNotify, 1);
  self->opts = *opts;
  self->opts.province = g_strdup (opts->province);
  self->opts.webhook_url = g_strdup (opts->webhook_url);
  self->opts.webhook_token = g_strdup (opts->webhook_token);
  if (self->opts.webhook_timeout_us <= 0)
    self->opts.webhook_timeout_us = 5 * G_USEC_PER_SEC;
  if (self->opts.retry_min_us <= 0)
    self->opts.retry_min_us = G_USEC_PER_SEC;
  if (self->opts.retry_max_us < self->opts.retry_min_us)
    self->opts.retry_max_us = MAX (self->opts.retry_min_us, 60 * G_USEC_PER_SEC);
  if (self->opts.webhook_attempts == 0)
    self->opts.webhook_attempts = 5;
  if (self->opts.queue_max == 0)
    self->opts.queue_max = 1000;
  self->publish = publish;
  self->publish_data = publish_data;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->queue = g_queue_new ();
  if (self->opts.webhook_url != NULL && *self->opts.webhook_url != '\0')
    self->worker = g_thread_new ("ioc-alert-webhook", worker_main, self);
  return self;
}

void
ioc_alert_notify_free (IocAlertNotify *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (self->worker != NULL)
    g_thread_join (self->worker);
  g_queue_free_full (self->queue, g_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->opts.province);
  g_free (self->opts.webhook_url);
  g_free (self->opts.webhook_token);
  g_free (self);
}

void
ioc_alert_notify_set_publish (IocAlertNotify *self, IocAlertPublishFunc publish, gpointer data)
{
  self->publish = publish;
  self->publish_data = data;
}

void
ioc_alert_notify_alert (const IocAlert *alert, gboolean should_page, gpointer user_data)
{
  IocAlertNotify *self = user_data;
  g_autoptr (JsonNode) node = ioc_alert_alert_to_json (alert);
  g_autofree gchar *body = json_to_string (node, FALSE);

  /* Retained, so the latest state wins: a resolve (or the settled state
   * after "flapping") replaces what was there, and no topic stays stale. */
  if (self->publish != NULL)
    {
      g_autofree gchar *topic = ioc_alert_topic (self->opts.province, alert->rule, alert->scope);
      gboolean ok = self->publish (topic, body, strlen (body), TRUE, self->publish_data);
      g_mutex_lock (&self->lock);
      if (ok)
        self->stats.published++;
      else
        self->stats.publish_failed++;
      g_mutex_unlock (&self->lock);
    }
  if (!should_page || self->worker == NULL)
    return;
  g_mutex_lock (&self->lock);
  while (g_queue_get_length (self->queue) >= self->opts.queue_max)
    {
      g_free (g_queue_pop_head (self->queue));
      self->stats.webhook_dropped++;
    }
  g_queue_push_tail (self->queue, g_steal_pointer (&body));
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
ioc_alert_notify_stats (IocAlertNotify *self, IocAlertNotifyStats *out)
{
  g_mutex_lock (&self->lock);
  *out = self->stats;
  g_mutex_unlock (&self->lock);
}
