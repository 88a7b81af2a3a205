/* influx-writer.c — drains the spool into InfluxDB (contract in
 * influx-writer.h).  It is the last stage of the flow: rollup → line
 * protocol → spool → here.  Everything below runs on the writer thread
 * "ioc-influx" except new/start/free/is_healthy, which the main context
 * calls; the two share only the stop flag (under `lock`) and atomics. */
#include "sinks/influx-writer.h"

#include <curl/curl.h>
#include <string.h>
#include <zlib.h>

#include "protocol/ioc-backoff.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)

typedef enum
{
  IOC_INFLUX_DONE,    /* written, or refused lines handed to on_reject */
  IOC_INFLUX_STOPPED, /* the writer is stopping; nothing committed */
} IocInfluxResult;

typedef struct
{
  gsize off;
  gsize len; /* including the '\n' when there is one */
} IocInfluxSpan;

struct _IocInfluxWriter
{
  gchar *base_url; /* without a trailing '/' */
  gchar *write_url;
  gchar *database;
  gchar *username;
  gchar *password;
  gsize max_batch_bytes;
  gint64 timeout_us;
  gboolean gzip;
  IocBackoff backoff;

  IocSpool *spool;
  IocInfluxRejectFunc on_reject;
  gpointer user_data;

  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean stopping; /* under lock; also read atomically by curl's callback */

  gint healthy;      /* atomic */

  /* Writer thread only. */
  CURL *curl;
  GString *response;
  gboolean tried_create;
  guint failure_streak;

  IocStat *st_writes;
  IocStat *st_failures;
  IocStat *st_rejected;
  IocStat *st_seconds;
  IocStat *st_last_success;
  IocStat *st_healthy;
};

static gboolean
ioc_influx_writer_is_stopping (IocInfluxWriter *self)
{
  return g_atomic_int_get (&self->stopping);
}

/* Waits delay_us unless the writer is told to stop; TRUE when stopping. */
static gboolean
ioc_influx_writer_wait (IocInfluxWriter *self, gint64 delay_us)
{
  gint64 deadline = g_get_monotonic_time () + delay_us;
  g_mutex_lock (&self->lock);
  while (!self->stopping && g_cond_wait_until (&self->cond, &self->lock, deadline))
    ;
  gboolean stopping = self->stopping;
  g_mutex_unlock (&self->lock);
  return stopping;
}

static size_t
ioc_influx_writer_body_cb (char *ptr, size_t size, size_t nmemb, void *data)
{
  IocInfluxWriter *self = data;
  /* InfluxDB's answers are small; keep at most 64 KiB of one. */
  if (self->response->len < 65536)
    g_string_append_len (self->response, ptr, (gssize) MIN (size * nmemb, 65536 - self->response->len));
  return size * nmemb;
}

static int
ioc_influx_writer_progress_cb (void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  /* Non-zero aborts the transfer: free() must not wait for a timeout. */
  return ioc_influx_writer_is_stopping (data) ? 1 : 0;
}

static GBytes *
ioc_influx_gzip (const guint8 *data, gsize len)
{
  z_stream zs = { 0 };
  /* windowBits 15 + 16: a gzip wrapper, as Content-Encoding: gzip says. */
  if (deflateInit2 (&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return NULL;
  uLong bound = deflateBound (&zs, (uLong) len);
  guint8 *out = g_malloc (bound);
  zs.next_in = (Bytef *) data;
  zs.avail_in = (uInt) len;
  zs.next_out = out;
  zs.avail_out = (uInt) bound;
  int rc = deflate (&zs, Z_FINISH);
  gsize out_len = zs.total_out;
  deflateEnd (&zs);
  if (rc != Z_STREAM_END)
    {
      g_free (out);
      return NULL;
    }
  return g_bytes_new_take (out, out_len);
}

/* One POST.  Returns the HTTP status, or 0 when there was no answer
 * (refused, timeout, aborted); *detail says why for the log. */
static long
ioc_influx_writer_post (IocInfluxWriter *self, const gchar *url, const gchar *content_type, const guint8 *body,
                        gsize len, gboolean may_gzip, gchar **detail)
{
  g_autoptr(GBytes) gz = NULL;
  struct curl_slist *headers = NULL;
  gchar errbuf[CURL_ERROR_SIZE] = "";
  long status = 0;

  /* gzip only pays off above a few hundred bytes; InfluxDB takes both. */
  if (may_gzip && self->gzip && len > 256 && len <= G_MAXUINT32)
    gz = ioc_influx_gzip (body, len);
  if (gz != NULL)
    {
      body = g_bytes_get_data (gz, &len);
      headers = curl_slist_append (headers, "Content-Encoding: gzip");
    }
  headers = curl_slist_append (headers, content_type);
  /* No "Expect: 100-continue" round trip before large bodies. */
  headers = curl_slist_append (headers, "Expect:");

  g_string_truncate (self->response, 0);
  curl_easy_reset (self->curl);
  curl_easy_setopt (self->curl, CURLOPT_URL, url);
  curl_easy_setopt (self->curl, CURLOPT_POST, 1L);
  curl_easy_setopt (self->curl, CURLOPT_POSTFIELDS, (const char *) body);
  curl_easy_setopt (self->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
  curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (self->curl, CURLOPT_WRITEFUNCTION, ioc_influx_writer_body_cb);
  curl_easy_setopt (self->curl, CURLOPT_WRITEDATA, self);
  curl_easy_setopt (self->curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (self->curl, CURLOPT_XFERINFOFUNCTION, ioc_influx_writer_progress_cb);
  curl_easy_setopt (self->curl, CURLOPT_XFERINFODATA, self);
  curl_easy_setopt (self->curl, CURLOPT_NOSIGNAL, 1L); /* we are not the main thread */
  curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, (long) MAX (self->timeout_us / 1000, 1));
  curl_easy_setopt (self->curl, CURLOPT_ERRORBUFFER, errbuf);
  if (self->username != NULL)
    {
      curl_easy_setopt (self->curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
      curl_easy_setopt (self->curl, CURLOPT_USERNAME, self->username);
      curl_easy_setopt (self->curl, CURLOPT_PASSWORD, self->password != NULL ? self->password : "");
    }

  gint64 start = g_get_monotonic_time ();
  CURLcode rc = curl_easy_perform (self->curl);
  curl_slist_free_all (headers);
  if (rc != CURLE_OK)
    {
      *detail = g_strdup (errbuf[0] != '\0' ? errbuf : curl_easy_strerror (rc));
      return 0;
    }
  curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &status);
  ioc_stat_set_double (self->st_seconds, (gdouble) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  *detail = g_strdup (self->response->str);
  return status;
}

/* InfluxDB 1.x answers errors as {"error":"…"}; take the message out
 * without a JSON library (the sinks layer does not link one). */
static gchar *
ioc_influx_error_message (const gchar *body)
{
  const gchar *p = strstr (body, "\"error\":\"");
  if (p == NULL)
    return g_strstrip (g_strdup (body));
  p += strlen ("\"error\":\"");
  GString *out = g_string_new (NULL);
  for (; *p != '\0' && *p != '"'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        {
          p++;
          g_string_append_c (out, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
          continue;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
ioc_influx_writer_set_healthy (IocInfluxWriter *self, gboolean healthy)
{
  g_atomic_int_set (&self->healthy, healthy);
  ioc_stat_set (self->st_healthy, healthy ? 1 : 0);
}

static void
ioc_influx_writer_create_database (IocInfluxWriter *self)
{
  g_autoptr(GString) q = g_string_new ("CREATE DATABASE \"");
  for (const gchar *p = self->database; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (q, '\\');
      g_string_append_c (q, *p);
    }
  g_string_append_c (q, '"');
  char *esc = curl_easy_escape (self->curl, q->str, (int) q->len);
  g_autofree gchar *form = g_strdup_printf ("q=%s", esc);
  curl_free (esc);
  g_autofree gchar *url = g_strdup_printf ("%s/query", self->base_url);
  g_autofree gchar *detail = NULL;

  long status = ioc_influx_writer_post (self, url, "Content-Type: application/x-www-form-urlencoded",
                                        (const guint8 *) form, strlen (form), FALSE, &detail);
  if (status / 100 == 2)
    g_message ("influx: created database \"%s\"", self->database);
  else
    g_warning ("influx: cannot create database \"%s\": HTTP %ld %s", self->database, status, detail);
}

/* Posts the lines spans[lo, hi) — contiguous in data — until InfluxDB has
 * them or has refused them one by one. */
static IocInfluxResult
ioc_influx_writer_write_lines (IocInfluxWriter *self, const guint8 *data, const IocInfluxSpan *spans, guint lo,
                               guint hi)
{
  gsize off = spans[lo].off;
  gsize len = spans[hi - 1].off + spans[hi - 1].len - off;

  for (;;)
    {
      if (ioc_influx_writer_is_stopping (self))
        return IOC_INFLUX_STOPPED;

      g_autofree gchar *detail = NULL;
      long status = ioc_influx_writer_post (self, self->write_url, "Content-Type: text/plain; charset=utf-8",
                                            data + off, len, TRUE, &detail);
      if (ioc_influx_writer_is_stopping (self))
        return IOC_INFLUX_STOPPED;

      if (status / 100 == 2)
        {
          ioc_stat_add (self->st_writes, 1);
          /* The metric is wall-clock time for people; logic never uses it. */
          ioc_stat_set (self->st_last_success, g_get_real_time () / G_USEC_PER_SEC);
          ioc_backoff_reset (&self->backoff);
          if (self->failure_streak > 0)
            g_message ("influx: writing again after %u failed attempts", self->failure_streak);
          self->failure_streak = 0;
          self->tried_create = FALSE;
          ioc_influx_writer_set_healthy (self, TRUE);
          return IOC_INFLUX_DONE;
        }
      if (status == 400 || status == 413)
        {
          /* Some lines are refused (a field type conflict, a parse error)
           * or the body is too large: narrow it down. */
          if (hi - lo == 1)
            {
              g_autofree gchar *msg = ioc_influx_error_message (detail);
              gsize line_len = spans[lo].len;
              if (line_len > 0 && data[spans[lo].off + line_len - 1] == '\n')
                line_len--;
              ioc_stat_add (self->st_rejected, 1);
              g_debug ("influx: line refused: %s", msg);
              if (self->on_reject != NULL)
                self->on_reject ((const gchar *) data + spans[lo].off, line_len, msg, self->user_data);
              ioc_influx_writer_set_healthy (self, TRUE);
              return IOC_INFLUX_DONE;
            }
          guint mid = lo + (hi - lo) / 2;
          if (ioc_influx_writer_write_lines (self, data, spans, lo, mid) == IOC_INFLUX_STOPPED)
            return IOC_INFLUX_STOPPED;
          return ioc_influx_writer_write_lines (self, data, spans, mid, hi);
        }

      ioc_stat_add (self->st_failures, 1);
      ioc_influx_writer_set_healthy (self, FALSE);
      if (status == 404 && strstr (detail, "database not found") != NULL && !self->tried_create)
        {
          self->tried_create = TRUE;
          ioc_influx_writer_create_database (self);
          continue;
        }
      /* Log the first failure of a streak and then every 20th, not every
       * retry of an outage that lasts hours. */
      if (self->failure_streak++ % 20 == 0)
        {
          g_autofree gchar *what = status != 0 ? g_strdup_printf ("HTTP %ld", status) : g_strdup ("no answer");
          IocSpoolPending waiting = ioc_spool_pending (self->spool);
          g_warning ("influx: write failed (%s): %s; retrying, %u batches (%" G_GUINT64_FORMAT " bytes) waiting",
                     what, g_strstrip (detail), waiting.batches, waiting.bytes);
        }
      if (ioc_influx_writer_wait (self, ioc_backoff_next (&self->backoff)))
        return IOC_INFLUX_STOPPED;
    }
}

/* Writes one spooled batch, in pieces of at most max_batch_bytes cut at
 * line ends (a longer single line goes alone). */
static IocInfluxResult
ioc_influx_writer_write_batch (IocInfluxWriter *self, GBytes *batch)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (batch, &len);
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (IocInfluxSpan));

  for (gsize off = 0; off < len;)
    {
      const guint8 *nl = memchr (data + off, '\n', len - off);
      gsize end = nl != NULL ? (gsize) (nl - data) + 1 : len;
      IocInfluxSpan span = { off, end - off };
      /* Blank lines carry nothing; they stay inside a piece harmlessly. */
      if (!(span.len == 1 && data[off] == '\n'))
        g_array_append_val (spans, span);
      off = end;
    }

  const IocInfluxSpan *s = (const IocInfluxSpan *) spans->data;
  for (guint lo = 0; lo < spans->len;)
    {
      guint hi = lo + 1;
      while (hi < spans->len && s[hi].off + s[hi].len - s[lo].off <= self->max_batch_bytes)
        hi++;
      if (ioc_influx_writer_write_lines (self, data, s, lo, hi) == IOC_INFLUX_STOPPED)
        return IOC_INFLUX_STOPPED;
      lo = hi;
    }
  return IOC_INFLUX_DONE;
}

static gpointer
ioc_influx_writer_thread (gpointer data)
{
  IocInfluxWriter *self = data;

  while (!ioc_influx_writer_is_stopping (self))
    {
      /* The timeout only bounds how long a missed wake-up could delay a
       * stop; appends and ioc_spool_wake() end the wait at once. */
      g_autoptr(GBytes) batch = ioc_spool_peek (self->spool, G_USEC_PER_SEC);
      if (batch == NULL)
        continue;
      if (ioc_influx_writer_write_batch (self, batch) == IOC_INFLUX_DONE)
        ioc_spool_commit (self->spool);
    }
  return NULL;
}

IocInfluxWriter *
ioc_influx_writer_new (const IocInfluxOptions *opts, IocSpool *spool, IocInfluxRejectFunc on_reject, gpointer user_data,
                       GError **error)
{
  static gsize curl_once = 0;

  g_return_val_if_fail (opts != NULL, NULL);
  g_return_val_if_fail (spool != NULL, NULL);

  if (opts->url == NULL || !(g_str_has_prefix (opts->url, "http://") || g_str_has_prefix (opts->url, "https://")))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "[influx] url: expected http://host:port, got \"%s\"",
                   opts->url != NULL ? opts->url : "");
      return NULL;
    }
  /* curl_global_init is not thread-safe everywhere: do it once, here, on
   * the main context, before any writer thread exists. */
  if (g_once_init_enter (&curl_once))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&curl_once, 1);
    }

  g_autoptr(IocInfluxWriter) self = g_new0 (IocInfluxWriter, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->base_url = g_strdup (opts->url);
  while (g_str_has_suffix (self->base_url, "/"))
    self->base_url[strlen (self->base_url) - 1] = '\0';
  self->database = g_strdup (opts->database != NULL && *opts->database != '\0' ? opts->database : "ioc");
  if (opts->username != NULL && *opts->username != '\0')
    {
      self->username = g_strdup (opts->username);
      self->password = g_strdup (opts->password);
    }
  self->max_batch_bytes = opts->max_batch_bytes > 0 ? opts->max_batch_bytes : 1024 * 1024;
  self->timeout_us = opts->timeout_us > 0 ? opts->timeout_us : 10 * G_USEC_PER_SEC;
  gint64 initial = opts->retry_initial_us > 0 ? opts->retry_initial_us : G_USEC_PER_SEC;
  gint64 max = opts->retry_max_us > 0 ? opts->retry_max_us : 60 * G_USEC_PER_SEC;
  ioc_backoff_init (&self->backoff, initial, MAX (max, initial));
  self->gzip = opts->gzip;
  self->spool = spool;
  self->on_reject = on_reject;
  self->user_data = user_data;
  self->healthy = TRUE;
  self->response = g_string_new (NULL);

  self->curl = curl_easy_init ();
  if (self->curl == NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "influx: cannot initialise libcurl");
      return NULL;
    }
  char *db = curl_easy_escape (self->curl, self->database, 0);
  self->write_url = g_strdup_printf ("%s/write?db=%s&precision=s", self->base_url, db);
  curl_free (db);

  self->st_writes = ioc_stat ("iochub_influx_writes_total", NULL, IOC_STAT_COUNTER, "Successful writes to InfluxDB");
  self->st_failures = ioc_stat ("iochub_influx_write_failures_total", NULL, IOC_STAT_COUNTER,
                                "Writes to InfluxDB that failed and will be retried");
  self->st_rejected = ioc_stat ("iochub_influx_rejected_lines_total", NULL, IOC_STAT_COUNTER,
                                "Lines InfluxDB refused (HTTP 400), dead-lettered");
  self->st_seconds =
    ioc_stat ("iochub_influx_write_seconds", NULL, IOC_STAT_GAUGE, "Duration of the last request to InfluxDB");
  self->st_last_success = ioc_stat ("iochub_influx_last_success_unixtime", NULL, IOC_STAT_GAUGE,
                                    "Unix time of the last successful write to InfluxDB");
  self->st_healthy =
    ioc_stat ("iochub_influx_healthy", NULL, IOC_STAT_GAUGE, "1 when the last attempt to write to InfluxDB succeeded");
  ioc_stat_set (self->st_healthy, 1);
  return g_steal_pointer (&self);
}

void
ioc_influx_writer_start (IocInfluxWriter *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->thread == NULL);
  self->thread = g_thread_new ("ioc-influx", ioc_influx_writer_thread, self);
}

void
ioc_influx_writer_free (IocInfluxWriter *self)
{
  if (self == NULL)
    return;
  if (self->thread != NULL)
    {
      g_mutex_lock (&self->lock);
      g_atomic_int_set (&self->stopping, TRUE);
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      ioc_spool_wake (self->spool);
      g_thread_join (self->thread);
    }
  if (self->curl != NULL)
    curl_easy_cleanup (self->curl);
  g_string_free (self->response, TRUE);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->base_url);
  g_free (self->write_url);
  g_free (self->database);
  g_free (self->username);
  g_free (self->password);
  g_free (self);
}

gboolean
ioc_influx_writer_is_healthy (IocInfluxWriter *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return g_atomic_int_get (&self->healthy);
}
