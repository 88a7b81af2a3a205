/* test-broker.c — see test-broker.h.  Test process main thread only. */
#include "test-broker.h"

#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "test-hub.h"
#include "test-influx.h"
#include "test-util.h"

struct _IocTestBroker
{
  gchar *dir;
  gchar *conf_path;
  gchar *log_path;
  gchar *url;
  guint port;
  GSubprocess *proc;
};

static gboolean
wait_for_port (guint port, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (GSocketClient) client = g_socket_client_new ();
      g_autoptr (GSocketConnection) conn = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port, NULL, NULL);
      if (conn != NULL)
        return TRUE;
      g_usleep (50 * 1000);
    }
  return FALSE;
}

static gboolean
spawn (IocTestBroker *self, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (launcher, self->log_path);
  g_subprocess_launcher_set_child_setup (launcher, ioc_test_die_with_test, NULL, NULL);
  self->proc = g_subprocess_launcher_spawn (launcher, error, "mosquitto", "-c", self->conf_path, NULL);
  if (self->proc == NULL)
    return FALSE;
  if (!wait_for_port (self->port, 10 * G_TIME_SPAN_SECOND))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "mosquitto did not listen on port %u within 10 s", self->port);
      return FALSE;
    }
  return TRUE;
}

IocTestBroker *
ioc_test_broker_start (GError **error)
{
  return ioc_test_broker_start_with (NULL, error);
}

IocTestBroker *
ioc_test_broker_start_with (const gchar *extra, GError **error)
{
  ioc_test_recap_failures_at_exit ();
  g_autofree gchar *ops_conf = g_build_filename (IOC_SOURCE_ROOT, "ops", "mosquitto", "iochub.conf", NULL);
  g_autofree gchar *shipped = NULL;
  if (!g_file_get_contents (ops_conf, &shipped, NULL, error))
    return NULL;

  IocTestBroker *self = g_new0 (IocTestBroker, 1);
  self->dir = g_dir_make_tmp ("ioc-broker-XXXXXX", error);
  if (self->dir == NULL)
    {
      g_free (self);
      return NULL;
    }
  /* Started as root, mosquitto drops to its own user: that user must be
   * able to write its persistence file here, or sessions and queued
   * messages silently do not survive a restart. */
  g_chmod (self->dir, 0777);
  self->port = ioc_test_free_port ();
  self->url = g_strdup_printf ("tcp://127.0.0.1:%u", self->port);
  self->conf_path = g_build_filename (self->dir, "mosquitto.conf", NULL);
  self->log_path = g_build_filename (self->dir, "mosquitto.log", NULL);
  /* As root, mosquitto would drop to its own user, and a process that
   * changes its credentials loses the death signal that stops it with the
   * test (ioc_test_die_with_test): a crashed test would leave it running. */
  g_autofree gchar *conf = g_strdup_printf ("%slistener %u 127.0.0.1\n"
                                            "allow_anonymous true\n"
                                            "persistence_location %s/\n"
                                            "log_dest stderr\n"
                                            "log_type error\nlog_type warning\nlog_type notice\n"
                                            "%s\n%s",
                                            geteuid () == 0 ? "user root\n" : "", self->port, self->dir, shipped,
                                            extra ? extra : "");
  if (!g_file_set_contents (self->conf_path, conf, -1, error) || !spawn (self, error))
    {
      ioc_test_broker_free (self);
      return NULL;
    }
  return self;
}

void
ioc_test_broker_stop (IocTestBroker *self)
{
  if (self->proc == NULL)
    return;
  g_subprocess_send_signal (self->proc, SIGTERM);
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_subprocess_get_identifier (self->proc) != NULL && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  if (g_subprocess_get_identifier (self->proc) != NULL)
    g_subprocess_force_exit (self->proc);
  g_subprocess_wait (self->proc, NULL, NULL);
  g_clear_object (&self->proc);
}

gboolean
ioc_test_broker_restart (IocTestBroker *self, GError **error)
{
  ioc_test_broker_stop (self);
  return spawn (self, error);
}

guint
ioc_test_broker_port (IocTestBroker *self)
{
  return self->port;
}

const gchar *
ioc_test_broker_url (IocTestBroker *self)
{
  return self->url;
}

void
ioc_test_broker_free (IocTestBroker *self)
{
  if (self == NULL)
    return;
  ioc_test_broker_stop (self);
  if (g_test_failed () && self->log_path != NULL)
    {
      g_autofree gchar *log = NULL;
      /* The tail only: a test's own messages and the hub's log come before
       * it, and a CI report shows the end of the output. */
      if (g_file_get_contents (self->log_path, &log, NULL, NULL))
        {
          const gchar *tail = log + strlen (log);
          for (guint lines = 0; tail > log && lines <= 30; lines += tail[0] == '\n')
            tail--;
          g_printerr ("---- mosquitto log (%s)%s ----\n%s\n----\n", self->log_path,
                      tail > log ? ", its last 30 lines" : "", tail);
        }
    }
  if (self->dir != NULL && !g_test_failed ())
    ioc_test_rm_rf (self->dir);
  g_free (self->dir);
  g_free (self->conf_path);
  g_free (self->log_path);
  g_free (self->url);
  g_free (self);
}
