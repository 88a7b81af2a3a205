/* test-influx.c — runs a real influxd for the integration tests (see
 * test-influx.h), and the small helpers that the broker helper shares.
 * Runs on the test's main thread; the only waits are bounded polling
 * loops on a real process (start-up, shutdown). */
#include "tests/lib/test-influx.h"
#include "tests/lib/test-util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/ioc-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)

#define IOC_TEST_INFLUX_START_TIMEOUT_US (30 * G_TIME_SPAN_SECOND)
#define IOC_TEST_INFLUX_STOP_TIMEOUT_US (10 * G_TIME_SPAN_SECOND)
#define IOC_TEST_POLL_US (50 * 1000)

struct _IocTestInflux
{
  gchar *dir;
  gchar *config_path;
  gchar *log_path;
  gchar *url;
  guint16 http_port;
  guint16 rpc_port;
  GSubprocess *proc; /* NULL while stopped */
};

guint16
ioc_test_free_port (void)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  guint16 port = 0;

  if (fd < 0)
    return 0;
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = 0; /* the kernel picks a free one */
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0 && getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
    port = ntohs (addr.sin_port);
  close (fd);
  return port;
}


static void
ioc_test_curl_init (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&once, 1);
    }
}

static size_t
ioc_test_body_cb (char *ptr, size_t size, size_t nmemb, void *data)
{
  g_string_append_len (data, ptr, (gssize) (size * nmemb));
  return size * nmemb;
}

/* One HTTP request; returns the status (0: no answer) and the body. */
static long
ioc_test_http (const gchar *url, const gchar *post_body, gint64 timeout_ms, gchar **body_out)
{
  ioc_test_curl_init ();
  g_autoptr(CURL) curl = curl_easy_init ();
  g_autoptr(GString) body = g_string_new (NULL);
  long status = 0;

  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, ioc_test_body_cb);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, body);
  if (post_body != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, post_body);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen (post_body));
    }
  if (curl_easy_perform (curl) == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  if (body_out != NULL)
    *body_out = g_strdup (body->str);
  return status;
}

static gchar *
ioc_test_escape (const gchar *s)
{
  return g_uri_escape_string (s, NULL, FALSE);
}

static gboolean
ioc_test_influx_is_running (IocTestInflux *self)
{
  /* GSubprocess reaps the child on GLib's worker thread and then forgets
   * its identifier: no main loop needed to notice an exit. */
  return self->proc != NULL && g_subprocess_get_identifier (self->proc) != NULL;
}

static gboolean
ioc_test_influx_spawn (IocTestInflux *self, GError **error)
{
  const gchar *influxd = g_getenv ("IOC_TEST_INFLUXD");
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  int log_fd = open (self->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

  if (log_fd < 0)
    {
      int saved = errno;
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: %s", self->log_path, g_strerror (saved));
      return FALSE;
    }
  g_subprocess_launcher_take_stdout_fd (launcher, log_fd);
  g_subprocess_launcher_set_child_setup (launcher, ioc_test_die_with_test, NULL, NULL);
  self->proc = g_subprocess_launcher_spawn (launcher, error, influxd != NULL ? influxd : "/usr/bin/influxd", "run",
                                            "-config", self->config_path, NULL);
  if (self->proc == NULL)
    return FALSE;

  g_autofree gchar *ping = g_strdup_printf ("%s/ping", self->url);
  gint64 deadline = g_get_monotonic_time () + IOC_TEST_INFLUX_START_TIMEOUT_US;
  for (;;)
    {
      if (ioc_test_http (ping, NULL, 1000, NULL) == 204)
        return TRUE;
      if (!ioc_test_influx_is_running (self))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "influxd exited during start-up; log: %s", self->log_path);
          g_clear_object (&self->proc);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "influxd did not answer /ping within 30 s; log: %s",
                       self->log_path);
          ioc_test_influx_stop (self);
          return FALSE;
        }
      g_usleep (IOC_TEST_POLL_US);
    }
}

IocTestInflux *
ioc_test_influx_start (GError **error)
{
  g_autoptr(IocTestInflux) self = g_new0 (IocTestInflux, 1);

  self->dir = g_dir_make_tmp ("iochub-influxd-XXXXXX", error);
  if (self->dir == NULL)
    return NULL;
  self->http_port = ioc_test_free_port ();
  /* The kernel may hand out the port it just freed again: ask anew. */
  for (int i = 0; i < 20 && (self->rpc_port == 0 || self->rpc_port == self->http_port); i++)
    self->rpc_port = ioc_test_free_port ();
  if (self->http_port == 0 || self->rpc_port == 0 || self->http_port == self->rpc_port)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "no free loopback ports");
      return NULL;
    }
  self->config_path = g_build_filename (self->dir, "influxdb.conf", NULL);
  self->log_path = g_build_filename (self->dir, "influxd.log", NULL);
  self->url = g_strdup_printf ("http://127.0.0.1:%u", self->http_port);

  /* Both listeners on our own free ports: the RPC (backup) service binds
   * 8088 by default, which would collide with any other influxd. */
  g_autofree gchar *config = g_strdup_printf (
    "reporting-disabled = true\n"
    "bind-address = \"127.0.0.1:%u\"\n"
    "[meta]\n  dir = \"%s/meta\"\n"
    "[data]\n  dir = \"%s/data\"\n  wal-dir = \"%s/wal\"\n  query-log-enabled = false\n"
    "[http]\n  enabled = true\n  bind-address = \"127.0.0.1:%u\"\n  log-enabled = false\n"
    "[monitor]\n  store-enabled = false\n"
    "[continuous_queries]\n  enabled = false\n"
    "[subscriber]\n  enabled = false\n",
    self->rpc_port, self->dir, self->dir, self->dir, self->http_port);
  if (!g_file_set_contents (self->config_path, config, -1, error))
    return NULL;
  if (!ioc_test_influx_spawn (self, error))
    {
      g_prefix_error (error, "influxd in %s: ", self->dir);
      ioc_test_influx_dump_log (self);
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
ioc_test_influx_stop (IocTestInflux *self)
{
  g_return_if_fail (self != NULL);
  if (self->proc == NULL)
    return;
  if (ioc_test_influx_is_running (self))
    {
      g_subprocess_send_signal (self->proc, SIGTERM);
      gint64 deadline = g_get_monotonic_time () + IOC_TEST_INFLUX_STOP_TIMEOUT_US;
      while (ioc_test_influx_is_running (self) && g_get_monotonic_time () < deadline)
        g_usleep (IOC_TEST_POLL_US / 5);
      if (ioc_test_influx_is_running (self))
        {
          g_printerr ("# influxd did not stop within 10 s of SIGTERM: SIGKILL\n");
          g_subprocess_force_exit (self->proc);
        }
    }
  g_subprocess_wait (self->proc, NULL, NULL);
  g_clear_object (&self->proc);
}

gboolean
ioc_test_influx_restart (IocTestInflux *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  ioc_test_influx_stop (self);
  return ioc_test_influx_spawn (self, error);
}

void
ioc_test_influx_dump_log (IocTestInflux *self)
{
  g_autofree gchar *log = NULL;
  if (self->log_path != NULL && g_file_get_contents (self->log_path, &log, NULL, NULL))
    g_printerr ("# ---- influxd log (%s) ----\n%s# ---- end of influxd log ----\n", self->log_path, log);
}

void
ioc_test_influx_free (IocTestInflux *self)
{
  if (self == NULL)
    return;
  ioc_test_influx_stop (self);
  if (g_test_failed ())
    ioc_test_influx_dump_log (self);
  ioc_test_rm_rf (self->dir);
  g_free (self->dir);
  g_free (self->config_path);
  g_free (self->log_path);
  g_free (self->url);
  g_free (self);
}

const gchar *
ioc_test_influx_url (IocTestInflux *self)
{
  return self->url;
}

const gchar *
ioc_test_influx_log_path (IocTestInflux *self)
{
  return self->log_path;
}

gboolean
ioc_test_influx_exec (IocTestInflux *self, const gchar *statement, GError **error)
{
  g_autofree gchar *url = g_strdup_printf ("%s/query", self->url);
  g_autofree gchar *q = ioc_test_escape (statement);
  g_autofree gchar *form = g_strdup_printf ("q=%s", q);
  g_autofree gchar *body = NULL;
  long status = ioc_test_http (url, form, 10000, &body);

  if (status != 200 || strstr (body, "\"error\"") != NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "%s: HTTP %ld %s", statement, status, body);
      return FALSE;
    }
  return TRUE;
}

long
ioc_test_influx_write (IocTestInflux *self, const gchar *db, const gchar *lines, gchar **body)
{
  g_autofree gchar *edb = ioc_test_escape (db);
  g_autofree gchar *url = g_strdup_printf ("%s/write?db=%s&precision=s", self->url, edb);
  return ioc_test_http (url, lines, 10000, body);
}

gchar *
ioc_test_influx_query_json (IocTestInflux *self, const gchar *db, const gchar *q, GError **error)
{
  g_autofree gchar *edb = ioc_test_escape (db);
  g_autofree gchar *eq = ioc_test_escape (q);
  g_autofree gchar *url = g_strdup_printf ("%s/query?db=%s&q=%s", self->url, edb, eq);
  g_autofree gchar *body = NULL;
  long status = ioc_test_http (url, NULL, 10000, &body);

  if (status != 200)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "%s: HTTP %ld %s", q, status, body);
      return NULL;
    }
  return g_steal_pointer (&body);
}

/* The first value of the first row's second column; the integer 0 when
 * the query returned no series (a count of nothing); NULL on an error. */
static JsonNode *
ioc_test_influx_query_value (IocTestInflux *self, const gchar *db, const gchar *q, GError **error)
{
  g_autofree gchar *json = ioc_test_influx_query_json (self, db, q, error);
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, error))
    return NULL;
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *obj = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonArray *results = NULL;
  if (obj != NULL && json_object_has_member (obj, "results"))
    results = json_object_get_array_member (obj, "results");
  if (results == NULL || json_array_get_length (results) == 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "%s: unexpected answer %s", q, json);
      return NULL;
    }
  JsonObject *result = json_array_get_object_element (results, 0);
  if (json_object_has_member (result, "error"))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "%s: %s", q, json_object_get_string_member (result, "error"));
      return NULL;
    }
  if (!json_object_has_member (result, "series"))
    return json_node_init_int (json_node_alloc (), 0);
  JsonArray *series = json_object_get_array_member (result, "series");
  JsonObject *s0 = NULL;
  JsonArray *values = NULL;
  JsonArray *row = NULL;
  if (json_array_get_length (series) > 0)
    s0 = json_array_get_object_element (series, 0);
  if (s0 != NULL && json_object_has_member (s0, "values"))
    values = json_object_get_array_member (s0, "values");
  if (values != NULL && json_array_get_length (values) > 0)
    row = json_array_get_array_element (values, 0);
  if (row == NULL || json_array_get_length (row) < 2)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "%s: no value in %s", q, json);
      return NULL;
    }
  JsonNode *v = json_array_get_element (row, 1);
  GType type = JSON_NODE_TYPE (v) == JSON_NODE_VALUE ? json_node_get_value_type (v) : G_TYPE_INVALID;
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "%s: not a number in %s", q, json);
      return NULL;
    }
  return json_node_copy (v);
}

gboolean
ioc_test_influx_query_int (IocTestInflux *self, const gchar *db, const gchar *q, gint64 *out, GError **error)
{
  g_autoptr(JsonNode) v = ioc_test_influx_query_value (self, db, q, error);
  if (v == NULL)
    return FALSE;
  if (json_node_get_value_type (v) == G_TYPE_DOUBLE)
    {
      gdouble d = json_node_get_double (v);
      if (d != (gdouble) (gint64) d)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "%s: %g is not an integer", q, d);
          return FALSE;
        }
      *out = (gint64) d;
      return TRUE;
    }
  *out = json_node_get_int (v);
  return TRUE;
}

gboolean
ioc_test_influx_query_double (IocTestInflux *self, const gchar *db, const gchar *q, gdouble *out, GError **error)
{
  g_autoptr(JsonNode) v = ioc_test_influx_query_value (self, db, q, error);
  if (v == NULL)
    return FALSE;
  *out = json_node_get_value_type (v) == G_TYPE_DOUBLE ? json_node_get_double (v) : (gdouble) json_node_get_int (v);
  return TRUE;
}
