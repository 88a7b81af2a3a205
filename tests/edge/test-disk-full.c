/* test-disk-full.c — a hub whose disk fills loses nothing (edge suite: real
 * mosquitto and iochub, the hub's state_dir on a small tmpfs).
 *
 *  - disk-full: with the filesystem full, a burst is published.  The hub
 *    must stop taking messages (they stay queued on the broker) and say so
 *    (/healthz, iochub_journal_blocked, iochub_ingest_paused); once space is
 *    freed it takes them again, and every message is accepted exactly once.
 *    Before the write reserve, the journal refused inside Paho's persistence
 *    hook, Paho acknowledged anyway, and the burst was gone.
 *  - too-large: a payload over the size the hub accepts is a too_large dead
 *    letter carrying topic, size and the first bytes, and the journal grows
 *    by a stand-in, not by the payload.
 *
 * The tmpfs is mounted in a mount namespace of this process's own (as root
 * with CAP_SYS_ADMIN, or as a user namespace's root), so it disappears with
 * the test whatever happens.  Where neither is allowed the test says so and
 * is skipped (never counted as passed). */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"

#define TMPFS_BYTES (2 * 1024 * 1024)
#define RESERVE "256KiB"

static gboolean
write_file (const gchar *path, const gchar *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  gboolean ok = write (fd, text, strlen (text)) == (ssize_t) strlen (text);
  close (fd);
  return ok;
}

/* A private mount namespace; FALSE (why in *why) when the kernel refuses. */
static gboolean
enter_mount_namespace (gchar **why)
{
  if (unshare (CLONE_NEWNS) != 0)
    {
      uid_t uid = getuid ();
      gid_t gid = getgid ();
      if (unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0)
        {
          *why = g_strdup_printf ("unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", g_strerror (errno));
          return FALSE;
        }
      g_autofree gchar *umap = g_strdup_printf ("%u %u 1\n", uid, uid);
      g_autofree gchar *gmap = g_strdup_printf ("%u %u 1\n", gid, gid);
      if (!write_file ("/proc/self/setgroups", "deny") || !write_file ("/proc/self/uid_map", umap)
          || !write_file ("/proc/self/gid_map", gmap))
        {
          *why = g_strdup_printf ("user namespace id maps: %s", g_strerror (errno));
          return FALSE;
        }
    }
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    {
      *why = g_strdup_printf ("making / private: %s", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  IocTestBroker *broker;
  IocTestHub *hub;
  gchar *state;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->broker = ioc_test_broker_start_with (data, &error);
  g_assert_no_error (error);
  f->hub = ioc_test_hub_new (ioc_test_broker_url (f->broker), NULL, "reserve_size = " RESERVE "\n", &error);
  g_assert_no_error (error);
  f->state = g_build_filename (ioc_test_hub_dir (f->hub), "state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->state, 0700), ==, 0);
  g_autofree gchar *opts = g_strdup_printf ("size=%u,mode=0700", TMPFS_BYTES);
  g_assert_cmpint (mount ("iochub-test", f->state, "tmpfs", 0, opts), ==, 0);
  g_assert_true (ioc_test_hub_start (f->hub, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_assert_true (ioc_test_hub_stop (f->hub)); /* exit 0: no crash, no leak under ASan */
  umount2 (f->state, MNT_DETACH);
  g_free (f->state);
  ioc_test_hub_free (f->hub);
  ioc_test_broker_free (f->broker);
}

static gdouble
metric (Fixture *f, const gchar *series)
{
  return ioc_test_hub_metric (f->hub, series);
}

/* Fills the filesystem of dir to the last page; returns the filler's path. */
static gchar *
fill_disk (const gchar *dir)
{
  gchar *path = g_build_filename (dir, "filler", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  static const guint8 block[4096];
  guint64 written = 0;
  for (;;)
    {
      ssize_t n = write (fd, block, sizeof block);
      if (n <= 0)
        {
          g_assert_cmpint (errno, ==, ENOSPC);
          break;
        }
      written += (guint64) n;
    }
  close (fd);
  g_test_message ("filled %s with %" G_GUINT64_FORMAT " bytes", dir, written);
  return path;
}

static gchar *
kiosk_payload (guint seq, guint i)
{
  gint64 ts = g_get_real_time () / 1000;
  return g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT
                          ",\"type\":\"ticket.issued\",\"ticket\":\"A-%u\"}", seq, ts, i);
}

static void
test_disk_full (Fixture *f, gconstpointer data)
{
  const guint n = 4000, devices = 8;
  g_assert_cmpfloat (metric (f, "iochub_journal_blocked"), ==, 0.0);
  g_autofree gchar *filler = fill_disk (f->state);

  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (f->broker), "disk-pub", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/xa-16681/kiosk/k-%02u/event", i % devices);
      g_autofree gchar *payload = kiosk_payload (i / devices + 1, i);
      ioc_test_publisher_send (pub, topic, payload, FALSE);
    }
  g_assert_true (ioc_test_publisher_flush (pub, 60 * G_TIME_SPAN_SECOND));

  /* The reserve runs low, the hub stops taking messages and says so. */
  g_assert_cmpfloat (ioc_test_hub_wait_metric (f->hub, "iochub_ingest_paused", 1.0, 30), ==, 1.0);
  g_assert_cmpfloat (metric (f, "iochub_journal_blocked"), ==, 1.0);
  g_assert_cmpfloat (metric (f, "iochub_ingest_pauses_total"), ==, 1.0);
  glong status = 0;
  g_autofree gchar *health = ioc_test_hub_get (f->hub, "/healthz", &status);
  g_assert_cmpint (status, ==, 503);
  g_assert_nonnull (strstr (health, "\"journal_blocked\":true"));
  gdouble received = metric (f, "iochub_messages_received_total");
  g_test_message ("paused after %.0f of %u messages", received, n);
  g_assert_cmpfloat (received, <, n);
  g_assert_cmpfloat (metric (f, "iochub_mqtt_refused_messages_total"), ==, 0.0);

  /* Space again: it takes the rest, each exactly once. */
  g_assert_cmpint (g_unlink (filler), ==, 0);
  g_assert_cmpfloat (ioc_test_hub_wait_metric (f->hub, "iochub_messages_accepted_total", n, 60), ==, n);
  g_assert_cmpfloat (ioc_test_hub_wait_metric (f->hub, "iochub_ingest_paused", 0.0, 10), ==, 0.0);
  g_assert_cmpfloat (metric (f, "iochub_journal_blocked"), ==, 0.0);
  g_assert_cmpfloat (metric (f, "iochub_messages_received_total"), ==, n);
  g_assert_cmpfloat (metric (f, "iochub_duplicates_total"), ==, 0.0);
  g_assert_cmpfloat (metric (f, "iochub_seq_missing"), ==, 0.0);
  g_assert_cmpfloat (metric (f, "iochub_ingest_pauses_total"), ==, 1.0);
  g_free (g_steal_pointer (&health));
  health = ioc_test_hub_get (f->hub, "/healthz", &status);
  g_assert_cmpint (status, ==, 200);
  g_assert_nonnull (strstr (health, "\"journal_blocked\":false"));
}

/* The hub's resident memory in KiB (VmRSS), found by its config path. */
static gint64
hub_rss_kib (Fixture *f)
{
  const gchar *conf = ioc_test_hub_conf_path (f->hub);
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  g_assert_nonnull (proc);
  const gchar *name;
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      if (!g_ascii_isdigit (name[0]))
        continue;
      g_autofree gchar *cmd_path = g_build_filename ("/proc", name, "cmdline", NULL);
      g_autofree gchar *cmd = NULL;
      gsize len = 0;
      if (!g_file_get_contents (cmd_path, &cmd, &len, NULL) || len == 0 || !g_str_has_suffix (cmd, "iochub"))
        continue;
      gboolean ours = FALSE;
      for (gsize off = 0; off < len; off += strlen (cmd + off) + 1)
        ours |= g_str_equal (cmd + off, conf);
      if (!ours)
        continue;
      g_autofree gchar *status_path = g_build_filename ("/proc", name, "status", NULL);
      g_autofree gchar *status = NULL;
      g_assert_true (g_file_get_contents (status_path, &status, NULL, NULL));
      const gchar *rss = strstr (status, "\nVmRSS:");
      g_assert_nonnull (rss);
      return g_ascii_strtoll (rss + 8, NULL, 10);
    }
  g_assert_not_reached ();
  return -1;
}

/* A 64 MiB payload (the broker's own limit lifted for this test): a
 * too_large dead letter, and the hub's memory comes back afterwards but for
 * one buffer of the packet's size: Paho 1.3.12 keeps its socket read buffer
 * at the largest packet read (SocketBuffer.c), which the shipped broker's
 * message_size_limit bounds to 1 MiB.  The hub itself used to keep its
 * journal frame buffer, and the inbox its copy, at that size too. */
static void
test_too_large_memory (Fixture *f, gconstpointer data)
{
  const gsize big = 64 * 1024 * 1024;
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (f->broker), "huge-pub", &error);
  g_assert_no_error (error);
  gint64 rss0 = hub_rss_kib (f);
  gdouble journal0 = metric (f, "iochub_journal_bytes");
  {
    g_autofree gchar *payload = g_strnfill (big, 'z');
    ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/kiosk/k-02/event", payload, FALSE);
  }
  g_assert_true (ioc_test_publisher_flush (pub, 60 * G_TIME_SPAN_SECOND));
  g_assert_cmpfloat (ioc_test_hub_wait_metric (f->hub, "iochub_deadletters_total{reason=\"too_large\"}", 1.0, 60), ==, 1.0);
  g_assert_cmpfloat (metric (f, "iochub_journal_bytes") - journal0, <, 4096.0);
  /* Paho frees the packet once the exchange completes: bounded wait. */
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  gint64 rss = hub_rss_kib (f);
  /* One packet-sized buffer and slack; a second copy kept would be 2 x big. */
  const gint64 allowed_kib = (gint64) (big / 1024) * 3 / 2;
  while (rss - rss0 >= allowed_kib && g_get_monotonic_time () < deadline)
    {
      g_usleep (100 * 1000);
      rss = hub_rss_kib (f);
    }
  g_test_message ("hub RSS %" G_GINT64_FORMAT " KiB before, %" G_GINT64_FORMAT " KiB after a %" G_GSIZE_FORMAT
                  "-byte payload", rss0, rss, big);
  g_assert_cmpint (rss - rss0, <, allowed_kib);
}

static void
test_too_large (Fixture *f, gconstpointer data)
{
  const gsize big = 200 * 1024;
  const gchar *topic = "ioc/v1/40/xa-16681/kiosk/k-01/event";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (f->broker), "big-pub", &error);
  g_assert_no_error (error);
  /* A retained probe: mosquitto_sub's first line, proof it is subscribed. */
  ioc_test_publisher_send (pub, "test/probe", "probe", TRUE);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_TIME_SPAN_SECOND));
  g_autofree gchar *port = g_strdup_printf ("%u", ioc_test_broker_port (f->broker));
  const gchar *argv[] = { "mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-C", "2", "-W", "30",
                          "-t", "test/probe", "-t", "ioc/v1/40/deadletter/too_large", NULL };
  g_autoptr (GSubprocess) sub = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_autoptr (GDataInputStream) lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sub));
  g_data_input_stream_set_newline_type (lines, G_DATA_STREAM_NEWLINE_TYPE_LF);
  g_autofree gchar *probe = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (probe, ==, "probe");

  gdouble journal0 = metric (f, "iochub_journal_bytes");
  g_assert_cmpfloat (journal0, >, 0.0);
  g_autofree gchar *payload = g_strnfill (big, 'y');
  memcpy (payload, "{\"v\":1,", 7);
  ioc_test_publisher_send (pub, topic, payload, FALSE);
  g_assert_true (ioc_test_publisher_flush (pub, 30 * G_TIME_SPAN_SECOND));
  g_assert_cmpfloat (ioc_test_hub_wait_metric (f->hub, "iochub_deadletters_total{reason=\"too_large\"}", 1.0, 30), ==, 1.0);
  gdouble journal1 = metric (f, "iochub_journal_bytes");
  g_test_message ("journal grew by %.0f bytes for a %" G_GSIZE_FORMAT "-byte payload", journal1 - journal0, big);
  g_assert_cmpfloat (journal1 - journal0, <, 4096.0);
  g_assert_cmpfloat (metric (f, "iochub_messages_accepted_total"), ==, 0.0);

  g_autofree gchar *out = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_true (g_subprocess_wait (sub, NULL, &error));
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  JsonObject *dl = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (dl, "reason"), ==, "too_large");
  g_assert_cmpstr (json_object_get_string_member (dl, "topic"), ==, topic);
  g_assert_cmpint (json_object_get_int_member (dl, "payload_bytes"), ==, (gint64) big);
  g_assert_true (json_object_get_boolean_member (dl, "truncated"));
  const gchar *head = json_object_get_string_member (dl, "payload");
  g_assert_true (g_str_has_prefix (head, "{\"v\":1,yyy"));
  g_assert_cmpuint (strlen (head), <=, 1024);
}

int
main (int argc, char **argv)
{
  /* Before any thread: unshare refuses a process that has several. */
  g_autofree gchar *why = NULL;
  gboolean isolated = enter_mount_namespace (&why);
  g_test_init (&argc, &argv, NULL);
#if defined(__SANITIZE_ADDRESS__)
  /* The hubs this starts are instrumented too: without a quarantine, what
   * they free goes back to the system, so their RSS means what it says. */
  const gchar *asan = g_getenv ("ASAN_OPTIONS");
  g_autofree gchar *asan_opts = g_strdup_printf ("%s%squarantine_size_mb=0", asan ? asan : "", asan && *asan ? ":" : "");
  g_setenv ("ASAN_OPTIONS", asan_opts, TRUE);
#endif
  if (!isolated)
    {
      g_test_skip_printf ("no private mount namespace for a small tmpfs (%s)", why);
      g_print ("1..0 # SKIP no private mount namespace for a small tmpfs (%s)\n", why);
      return 0;
    }
  g_test_add ("/edge/disk-full/nothing-lost", Fixture, NULL, fixture_setup, test_disk_full, fixture_teardown);
  g_test_add ("/edge/disk-full/too-large", Fixture, NULL, fixture_setup, test_too_large, fixture_teardown);
  g_test_add ("/edge/disk-full/too-large-memory", Fixture, "message_size_limit 0\n", fixture_setup,
              test_too_large_memory, fixture_teardown);
  return g_test_run ();
}
