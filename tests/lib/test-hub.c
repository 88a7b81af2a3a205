/* test-hub.c — see test-hub.h.  Test main thread only. */
#include "test-hub.h"

#include <curl/curl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "test-influx.h"
#include "test-util.h"

struct _IocTestHub
{
  gchar *dir;
  gchar *conf_path;
  gchar *log_path;
  guint http_port;
  GSubprocess *proc;
};

IocTestHub *
ioc_test_hub_new (const gchar *mqtt_url, const gchar *influx_url, const gchar *extra, GError **error)
{
  ioc_test_recap_failures_at_exit ();
  IocTestHub *self = g_new0 (IocTestHub, 1);
  self->dir = g_dir_make_tmp ("ioc-hub-XXXXXX", error);
  if (self->dir == NULL)
    {
      g_free (self);
      return NULL;
    }
  self->http_port = ioc_test_free_port ();
  self->conf_path = g_build_filename (self->dir, "hub.conf", NULL);
  self->log_path = g_build_filename (self->dir, "hub.log", NULL);
  g_autofree gchar *conf = g_strdup_printf (
      "[hub]\nprovince = 40\nid = test-hub\nunits = %s/ops/units/nghe-an.csv\n"
      "calendar = %s/ops/calendar/vn-2025.conf,%s/ops/calendar/vn-2026.conf\n"
      "state_dir = %s/state\n"
      "[mqtt]\nurl = %s\nclient_id = iochub-test\n"
      "[influx]\nurl = %s\ndatabase = ioc\n"
      "[http]\nlisten = 127.0.0.1:%u\n"
      "[windows]\nlateness = 2s\n"
      "[journal]\nsnapshot_interval = 3s\nsync_interval = 20ms\n"
      "%s\n",
      IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, self->dir, mqtt_url, influx_url ? influx_url : "",
      self->http_port, extra ? extra : "");
  if (!g_file_set_contents (self->conf_path, conf, -1, error))
    {
      ioc_test_hub_free (self);
      return NULL;
    }
  return self;
}

IocTestHub *
ioc_test_hub_new_started (const gchar *mqtt_url, const gchar *influx_url, const gchar *extra)
{
  g_autoptr (GError) error = NULL;
  IocTestHub *hub = ioc_test_hub_new (mqtt_url, influx_url, extra, &error);
  g_assert_no_error (error);
  if (hub == NULL)
    return NULL;
  ioc_test_hub_start (hub, &error);
  g_assert_no_error (error);
  return hub;
}

gchar *
ioc_test_alerts_conf (const gchar *dir, const gchar *rules_text, gboolean all_hours_working, const gchar *more)
{
  g_autofree gchar *path = g_build_filename (dir, "alerts.conf", NULL);
  g_assert_true (g_file_set_contents (path, rules_text, -1, NULL));
  g_autofree gchar *calendar = NULL;
  if (all_hours_working)
    {
      g_autofree gchar *cal_path = g_build_filename (dir, "calendar.conf", NULL);
      g_assert_true (g_file_set_contents (cal_path, "[calendar]\nweekend =\nhours = 00:00-24:00\n", -1, NULL));
      calendar = g_strdup_printf ("calendar = %s\n", cal_path);
    }
  return g_strdup_printf ("[hub]\nalerts = %s\n%s%s", path, calendar != NULL ? calendar : "",
                          more != NULL ? more : "");
}

gboolean
ioc_test_hub_start (IocTestHub *self, GError **error)
{
  g_return_val_if_fail (self->proc == NULL, FALSE);
  /* Append to the log so that every run of this hub is kept. */
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree gchar *cmd = g_strdup_printf ("exec '%s' --config '%s' >>'%s' 2>&1", IOC_HUB_BIN, self->conf_path, self->log_path);
  g_subprocess_launcher_set_child_setup (launcher, ioc_test_die_with_test, NULL, NULL);
  self->proc = g_subprocess_launcher_spawn (launcher, error, "/bin/sh", "-c", cmd, NULL);
  if (self->proc == NULL)
    return FALSE;
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline)
    {
      glong status = 0;
      g_autofree gchar *body = ioc_test_hub_get (self, "/healthz", &status);
      if (status == 200)
        return TRUE;
      if (!ioc_test_hub_is_running (self))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "iochub exited during start-up (log: %s)", self->log_path);
          return FALSE;
        }
      g_usleep (50 * 1000);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "iochub was not healthy within 30 s (log: %s)", self->log_path);
  return FALSE;
}

gboolean
ioc_test_hub_is_running (IocTestHub *self)
{
  return self->proc != NULL && g_subprocess_get_identifier (self->proc) != NULL;
}

void
ioc_test_hub_signal (IocTestHub *self, gint signum)
{
  if (self->proc != NULL)
    g_subprocess_send_signal (self->proc, signum);
}

const gchar *
ioc_test_hub_conf_path (IocTestHub *self)
{
  return self->conf_path;
}

void
ioc_test_hub_kill (IocTestHub *self)
{
  if (self->proc == NULL)
    return;
  g_subprocess_send_signal (self->proc, SIGKILL);
  g_subprocess_wait (self->proc, NULL, NULL);
  g_clear_object (&self->proc);
}

gboolean
ioc_test_hub_stop (IocTestHub *self)
{
  if (self->proc == NULL)
    return TRUE;
  g_subprocess_send_signal (self->proc, SIGTERM);
  /* Bounded: a hub that does not stop in 20 s is killed and reported.
   * GSubprocess reaps on GLib's worker thread, so polling sees the exit. */
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  while (g_subprocess_get_identifier (self->proc) != NULL && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  gboolean ok = g_subprocess_get_identifier (self->proc) == NULL;
  if (!ok)
    g_subprocess_force_exit (self->proc);
  g_subprocess_wait (self->proc, NULL, NULL);
  gboolean clean = ok && g_subprocess_get_if_exited (self->proc) && g_subprocess_get_exit_status (self->proc) == 0;
  /* Said here, near the assertion that fails on it: the hub's log (a
   * sanitizer's report, say) is printed only when the hub is freed. */
  if (!clean)
    g_test_message ("iochub (%s) did not stop cleanly: %s %d (log: %s)", self->conf_path,
                    !ok                                       ? "still running 20 s after SIGTERM, killed; status"
                    : g_subprocess_get_if_signaled (self->proc) ? "killed by signal"
                                                                : "exit status",
                    g_subprocess_get_if_signaled (self->proc) ? g_subprocess_get_term_sig (self->proc)
                                                              : g_subprocess_get_exit_status (self->proc),
                    self->log_path);
  g_clear_object (&self->proc);
  return clean;
}

guint
ioc_test_hub_http_port (IocTestHub *self)
{
  return self->http_port;
}

const gchar *
ioc_test_hub_dir (IocTestHub *self)
{
  return self->dir;
}

static size_t
collect_cb (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  g_string_append_len (userdata, ptr, (gssize) (size * nmemb));
  return size * nmemb;
}

gchar *
ioc_test_hub_get (IocTestHub *self, const gchar *path, glong *status)
{
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", self->http_port, path);
  CURL *curl = curl_easy_init ();
  GString *body = g_string_new (NULL);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, collect_cb);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, body);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform (curl);
  long code = 0;
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup (curl);
  if (status != NULL)
    *status = rc == CURLE_OK ? code : 0;
  if (rc != CURLE_OK)
    {
      g_string_free (body, TRUE);
      return NULL;
    }
  return g_string_free (body, FALSE);
}

gdouble
ioc_test_hub_metric (IocTestHub *self, const gchar *series)
{
  g_autofree gchar *body = ioc_test_hub_get (self, "/metrics", NULL);
  if (body == NULL)
    return -1;
  g_auto (GStrv) lines = g_strsplit (body, "\n", -1);
  gsize n = strlen (series);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], series, n) == 0 && lines[i][n] == ' ')
      return g_ascii_strtod (lines[i] + n + 1, NULL);
  return -1;
}

gdouble
ioc_test_hub_wait_metric (IocTestHub *self, const gchar *series, gdouble want, gint64 timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gdouble v = ioc_test_hub_metric (self, series);
  while (v != want && g_get_monotonic_time () < deadline)
    {
      g_usleep (100 * 1000);
      v = ioc_test_hub_metric (self, series);
    }
  if (v != want)
    g_test_message ("%s = %g, expected %g", series, v, want);
  return v;
}

gdouble
ioc_test_hub_wait_metric_above (IocTestHub *self, const gchar *series, gdouble above, gint64 timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gdouble v = ioc_test_hub_metric (self, series);
  while (!(v > above) && g_get_monotonic_time () < deadline)
    {
      g_usleep (100 * 1000);
      v = ioc_test_hub_metric (self, series);
    }
  if (!(v > above))
    g_test_message ("%s = %g, expected more than %g", series, v, above);
  return v;
}

void
ioc_test_hub_free (IocTestHub *self)
{
  if (self == NULL)
    return;
  if (self->proc != NULL)
    ioc_test_hub_kill (self);
  if (g_test_failed () && self->log_path != NULL)
    {
      g_autofree gchar *log = NULL;
      if (g_file_get_contents (self->log_path, &log, NULL, NULL))
        g_printerr ("---- iochub log (%s) ----\n%s\n----\n", self->log_path, log);
    }
  if (self->dir != NULL && !g_test_failed ())
    ioc_test_rm_rf (self->dir);
  g_free (self->dir);
  g_free (self->conf_path);
  g_free (self->log_path);
  g_free (self);
}
