/* test-victoria.c — see test-victoria.h.  Test main thread; the only
 * waits are bounded polling loops on a real process (start-up, shutdown). */
#include "test-victoria.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "protocol/ioc-error.h"
#include "test-influx.h"
#include "test-util.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)

#define IOC_TEST_VM_START_TIMEOUT_US (30 * G_TIME_SPAN_SECOND)
#define IOC_TEST_VM_STOP_TIMEOUT_US (10 * G_TIME_SPAN_SECOND)

struct _IocTestVictoria
{
  const gchar *what; /* "victoria-metrics" or "vmagent", for messages */
  gchar *dir;
  gchar *log_path;
  gchar *url;
  GSubprocess *proc;
};

static size_t
body_cb (char *ptr, size_t size, size_t nmemb, void *data)
{
  g_string_append_len (data, ptr, (gssize) (size * nmemb));
  return size * nmemb;
}

/* One HTTP request (POST when form is not NULL); the status (0: no answer). */
static long
http (const gchar *url, const gchar *form, gchar **body_out)
{
  g_autoptr (CURL) curl = curl_easy_init ();
  g_autoptr (GString) body = g_string_new (NULL);
  long status = 0;
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, body);
  if (form != NULL)
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, form);
  if (curl_easy_perform (curl) == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  if (body_out != NULL)
    *body_out = g_strdup (body->str);
  return status;
}

static gboolean
is_running (IocTestVictoria *self)
{
  return self->proc != NULL && g_subprocess_get_identifier (self->proc) != NULL;
}

static void
stop (IocTestVictoria *self)
{
  if (self->proc == NULL)
    return;
  if (is_running (self))
    {
      g_subprocess_send_signal (self->proc, SIGTERM);
      gint64 deadline = g_get_monotonic_time () + IOC_TEST_VM_STOP_TIMEOUT_US;
      while (is_running (self) && g_get_monotonic_time () < deadline)
        g_usleep (10 * 1000);
      if (is_running (self))
        {
          g_printerr ("# %s did not stop within 10 s of SIGTERM: SIGKILL\n", self->what);
          g_subprocess_force_exit (self->proc);
        }
    }
  g_subprocess_wait (self->proc, NULL, NULL);
  g_clear_object (&self->proc);
}

/* argv[0] is the default binary, overridden by env_override. */
static IocTestVictoria *
spawn (const gchar *what, const gchar *env_override, const gchar *default_bin, GPtrArray *args, GError **error)
{
  g_autoptr (IocTestVictoria) self = g_new0 (IocTestVictoria, 1);
  self->what = what;
  self->dir = g_dir_make_tmp ("iochub-vm-XXXXXX", error);
  if (self->dir == NULL)
    return NULL;
  const gchar *bin = g_getenv (env_override) != NULL ? g_getenv (env_override) : default_bin;
  if (!g_file_test (bin, G_FILE_TEST_IS_EXECUTABLE))
    {
      /* A missing binary is a broken test machine, not a pass. */
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED,
                   "%s is not installed (%s; Debian package victoria-metrics, see ops/setup.sh)", what, bin);
      return NULL;
    }
  guint16 port = ioc_test_free_port ();
  if (port == 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "no free loopback port");
      return NULL;
    }
  self->url = g_strdup_printf ("http://127.0.0.1:%u", port);
  self->log_path = g_build_filename (self->dir, "log", NULL);

  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup (bin));
  g_ptr_array_add (argv, g_strdup_printf ("-httpListenAddr=127.0.0.1:%u", port));
  for (guint i = 0; i < args->len; i++)
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (args, i)));
  g_ptr_array_add (argv, NULL);

  int log_fd = open (self->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0)
    {
      int saved = errno;
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: %s", self->log_path, g_strerror (saved));
      return NULL;
    }
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_take_stdout_fd (launcher, log_fd);
  g_subprocess_launcher_set_cwd (launcher, self->dir);
  g_subprocess_launcher_set_child_setup (launcher, ioc_test_die_with_test, NULL, NULL);
  self->proc = g_subprocess_launcher_spawnv (launcher, (const gchar *const *) argv->pdata, error);
  if (self->proc == NULL)
    return NULL;

  g_autofree gchar *health = g_strdup_printf ("%s/health", self->url);
  gint64 deadline = g_get_monotonic_time () + IOC_TEST_VM_START_TIMEOUT_US;
  while (http (health, NULL, NULL) != 200)
    {
      if (!is_running (self) || g_get_monotonic_time () > deadline)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s %s within 30 s (log: %s)", what,
                       is_running (self) ? "did not answer /health" : "exited during start-up", self->log_path);
          ioc_test_victoria_dump_log (self);
          stop (self);
          return NULL;
        }
      g_usleep (50 * 1000);
    }
  return g_steal_pointer (&self);
}

IocTestVictoria *
ioc_test_victoria_start (GError **error)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (args, g_strdup ("-storageDataPath=data"));
  /* One copy per series and timestamp, like InfluxDB: the hub writes a
   * minute's point again after late data, and a retried batch twice. */
  g_ptr_array_add (args, g_strdup ("-dedup.minScrapeInterval=1ms"));
  /* Points of the last minutes are "recent"; search them at once. */
  g_ptr_array_add (args, g_strdup ("-search.latencyOffset=0s"));
  g_ptr_array_add (args, g_strdup ("-loggerLevel=WARN"));
  return spawn ("victoria-metrics", "IOC_TEST_VICTORIA", "/usr/bin/victoria-metrics", args, error);
}

IocTestVictoria *
ioc_test_vmagent_start (const gchar *const *node_urls, guint n_nodes, gboolean shard, GError **error)
{
  g_return_val_if_fail (n_nodes >= 1, NULL);
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *tmp = g_dir_make_tmp ("iochub-vmagent-cfg-XXXXXX", error);
  if (tmp == NULL)
    return NULL;
  g_ptr_array_add (args, g_strdup ("-remoteWrite.tmpDataPath=queue"));
  g_ptr_array_add (args, g_strdup ("-remoteWrite.flushInterval=200ms"));
  g_ptr_array_add (args, g_strdup ("-loggerLevel=WARN"));
  for (guint i = 0; i < n_nodes; i++)
    {
      g_ptr_array_add (args, g_strdup_printf ("-remoteWrite.url=%s/api/v1/write", node_urls[i]));
      if (!shard)
        continue;
      /* The same series always to the same node: its points of one minute
       * meet there and de-duplicate. */
      g_autofree gchar *path = g_strdup_printf ("%s/shard-%u.yml", tmp, i);
      g_autofree gchar *yml = g_strdup_printf (
          "- source_labels: [__name__, province, unit, hub, channel]\n"
          "  modulus: %u\n"
          "  target_label: __shard\n"
          "  action: hashmod\n"
          "- source_labels: [__shard]\n"
          "  regex: \"%u\"\n"
          "  action: keep\n"
          "- regex: __shard\n"
          "  action: labeldrop\n",
          n_nodes, i);
      if (!g_file_set_contents (path, yml, -1, error))
        return NULL;
      g_ptr_array_add (args, g_strdup_printf ("-remoteWrite.urlRelabelConfig=%s", path));
    }
  IocTestVictoria *self = spawn ("vmagent", "IOC_TEST_VMAGENT", "/usr/bin/vmagent", args, error);
  if (self != NULL)
    {
      /* Keep the relabel files with the process's directory. */
      g_autofree gchar *moved = g_build_filename (self->dir, "relabel", NULL);
      if (g_rename (tmp, moved) != 0)
        ioc_test_rm_rf (tmp);
    }
  else
    ioc_test_rm_rf (tmp);
  return self;
}

void
ioc_test_victoria_dump_log (IocTestVictoria *self)
{
  g_autofree gchar *log = NULL;
  if (self->log_path != NULL && g_file_get_contents (self->log_path, &log, NULL, NULL))
    g_printerr ("# ---- %s log (%s) ----\n%s# ---- end of %s log ----\n", self->what, self->log_path, log,
                self->what);
}

void
ioc_test_victoria_free (IocTestVictoria *self)
{
  if (self == NULL)
    return;
  stop (self);
  if (g_test_failed ())
    ioc_test_victoria_dump_log (self);
  if (self->dir != NULL)
    ioc_test_rm_rf (self->dir);
  g_free (self->dir);
  g_free (self->log_path);
  g_free (self->url);
  g_free (self);
}

const gchar *
ioc_test_victoria_url (IocTestVictoria *self)
{
  return self->url;
}

gdouble
ioc_test_victoria_metric (IocTestVictoria *self, const gchar *series)
{
  g_autofree gchar *url = g_strdup_printf ("%s/metrics", self->url);
  g_autofree gchar *body = NULL;
  if (http (url, NULL, &body) != 200)
    return -1;
  g_auto (GStrv) lines = g_strsplit (body, "\n", -1);
  gsize n = strlen (series);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], series, n) == 0)
      {
        const gchar *space = strrchr (lines[i], ' ');
        if (space != NULL)
          return g_ascii_strtod (space + 1, NULL);
      }
  return -1;
}

gboolean
ioc_test_victoria_export_sum (IocTestVictoria *self, const gchar *selector, gdouble *sum, guint *n_samples,
                              guint *n_series, GError **error)
{
  g_autofree gchar *flush = g_strdup_printf ("%s/internal/force_flush", self->url);
  http (flush, "", NULL);
  g_autofree gchar *url = g_strdup_printf ("%s/api/v1/export", self->url);
  g_autofree gchar *esc = g_uri_escape_string (selector, NULL, FALSE);
  g_autofree gchar *form = g_strdup_printf ("match[]=%s", esc);
  g_autofree gchar *body = NULL;
  long status = http (url, form, &body);
  if (status != 200)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "export %s: HTTP %ld %s", selector, status, body);
      return FALSE;
    }
  gdouble total = 0;
  guint samples = 0, series = 0;
  g_auto (GStrv) lines = g_strsplit (body, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      g_autoptr (JsonParser) parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, lines[i], -1, error))
        {
          g_prefix_error (error, "export %s: line %u: ", selector, i + 1);
          return FALSE;
        }
      JsonNode *root = json_parser_get_root (parser);
      JsonObject *obj = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
      if (obj == NULL || !json_object_has_member (obj, "values"))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "export %s: unexpected line %s", selector, lines[i]);
          return FALSE;
        }
      JsonArray *values = json_object_get_array_member (obj, "values");
      for (guint v = 0; v < json_array_get_length (values); v++)
        {
          JsonNode *node = json_array_get_element (values, v);
          total += json_node_get_value_type (node) == G_TYPE_INT64 ? (gdouble) json_node_get_int (node)
                                                                    : json_node_get_double (node);
          samples++;
        }
      series++;
    }
  if (sum != NULL)
    *sum = total;
  if (n_samples != NULL)
    *n_samples = samples;
  if (n_series != NULL)
    *n_series = series;
  return TRUE;
}
