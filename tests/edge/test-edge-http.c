/* test-edge-http.c — hostile HTTP clients against the real hub (mosquitto
 * and the iochub binary on free loopback ports).
 *
 *   /edge/http/hostile   the hub under `ulimit -n 400`, 1,000 connections
 *                        that each send half a request and hold it (and
 *                        come back when closed), while messages are
 *                        published over MQTT: every message is counted,
 *                        the hub never nears its descriptor limit, and
 *                        /healthz answers within 10 s after they leave.
 *   /edge/http/emfile    the same without a descriptor reserve: accept()
 *                        fails with EMFILE, and the listener comes back by
 *                        itself once the clients leave.
 *   /edge/http/caps      max_connections_per_client and max_feed_clients:
 *                        one more gets 503, counted.
 *   /edge/http/bodies    bodies refused on their headers: a 1 GB POST
 *                        without a token gets 401, a chunked or announced
 *                        body over max_body gets 413, and the hub's RSS
 *                        does not grow with the 200 MB the clients try to
 *                        send. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"
#include "test-stream.h"

/* ---- the hub process ---- */

/* The hub's PID: the process whose command line names its config. */
static gint
hub_pid (IocTestHub *hub)
{
  const gchar *conf = ioc_test_hub_conf_path (hub);
  g_autoptr (GDir) dir = g_dir_open ("/proc", 0, NULL);
  g_assert_nonnull (dir);
  const gchar *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_ascii_isdigit (name[0]))
        continue;
      g_autofree gchar *path = g_build_filename ("/proc", name, "cmdline", NULL);
      gchar *cmd = NULL;
      gsize len = 0;
      if (!g_file_get_contents (path, &cmd, &len, NULL))
        continue;
      gboolean is_hub = len > 0 && g_str_has_suffix (cmd, "iochub");
      for (gsize i = 0; is_hub && i + 1 < len; i++)
        if (cmd[i] == '\0' && g_str_equal (cmd + i + 1, conf))
          {
            g_free (cmd);
            return atoi (name);
          }
      g_free (cmd);
    }
  return -1;
}

/* A line of /proc/PID/status, in kB (VmRSS, VmHWM). */
static gint64
status_kb (gint pid, const gchar *field)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  const gchar *p = strstr (text, field);
  return p != NULL ? g_ascii_strtoll (p + strlen (field), NULL, 10) : -1;
}

static guint
open_fds (gint pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;
  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Starts the hub with its descriptor limit (soft) at nofile: set on this
 * process for the spawn only, so the hub inherits it. */
static IocTestHub *
hub_start_limited (const gchar *mqtt_url, const gchar *extra, rlim_t nofile)
{
  struct rlimit old;
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &old), ==, 0);
  struct rlimit lim = { nofile, old.rlim_max };
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &lim), ==, 0);
  g_autoptr (GError) error = NULL;
  IocTestHub *hub = ioc_test_hub_new (mqtt_url, NULL, extra, &error);
  g_assert_no_error (error);
  gboolean ok = ioc_test_hub_start (hub, &error);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &old), ==, 0);
  g_assert_no_error (error);
  g_assert_true (ok);
  return hub;
}

/* This process holds the hostile connections: as many descriptors as it may. */
static gboolean
raise_own_limit (void)
{
  struct rlimit lim;
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &lim), ==, 0);
  lim.rlim_cur = lim.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &lim), ==, 0);
  if (lim.rlim_cur >= 2000)
    return TRUE;
  g_test_skip ("needs 2000 descriptors for the hostile clients (ulimit -Hn)");
  return FALSE;
}

static gint
connect_nonblocking (guint port)
{
  gint fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((guint16) port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) != 0 && errno != EINPROGRESS)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* ---- hostile half-sent requests ---- */

typedef struct
{
  guint port;
  guint n;
  gint *fds;
  gboolean *sent;
  gint stop;           /* atomic */
  guint64 opened;      /* atomic: connections opened, reopenings included */
  guint64 closed_by_hub; /* atomic */
} Attack;

static const gchar half_request[] = "GET /api/v1/summary?unit=all HTTP/1.1\r\nHost: hub\r\nX-Slow: ";

static void
attack_open (Attack *a, guint i)
{
  a->fds[i] = connect_nonblocking (a->port);
  a->sent[i] = FALSE;
  if (a->fds[i] >= 0)
    g_atomic_pointer_add (&a->opened, 1);
}

/* Keeps n connections open, each with half a request sent; one the hub
 * closes is opened again (at most every 100 ms), as a hostile client
 * would. */
static gpointer
attack_thread (gpointer data)
{
  Attack *a = data;
  struct pollfd *pfd = g_new0 (struct pollfd, a->n);
  gint64 last_reopen = 0;
  while (!g_atomic_int_get (&a->stop))
    {
      gint64 now = g_get_monotonic_time ();
      if (now - last_reopen >= 100 * G_TIME_SPAN_MILLISECOND)
        {
          for (guint i = 0; i < a->n; i++)
            if (a->fds[i] < 0)
              attack_open (a, i);
          last_reopen = now;
        }
      for (guint i = 0; i < a->n; i++)
        {
          pfd[i].fd = a->fds[i];
          pfd[i].events = POLLIN | (a->sent[i] ? 0 : POLLOUT);
          pfd[i].revents = 0;
        }
      if (poll (pfd, a->n, 100) <= 0)
        continue;
      for (guint i = 0; i < a->n; i++)
        {
          if (pfd[i].fd < 0 || pfd[i].revents == 0)
            continue;
          if ((pfd[i].revents & POLLOUT) && !a->sent[i])
            {
              if (send (a->fds[i], half_request, sizeof half_request - 1, MSG_NOSIGNAL) > 0)
                a->sent[i] = TRUE;
            }
          if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
            {
              gchar buf[512];
              gssize n = recv (a->fds[i], buf, sizeof buf, 0);
              if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || (pfd[i].revents & (POLLHUP | POLLERR)))
                {
                  close (a->fds[i]);
                  a->fds[i] = -1;
                  g_atomic_pointer_add (&a->closed_by_hub, 1);
                }
            }
        }
    }
  for (guint i = 0; i < a->n; i++)
    if (a->fds[i] >= 0)
      close (a->fds[i]);
  g_free (pfd);
  return NULL;
}

typedef struct
{
  guint n_devices;
  gint64 base_ms;
} Traffic;

static void
stream_one (guint i, IocTestPublisher *pub, gpointer user_data)
{
  const Traffic *t = user_data;
  guint device = i % t->n_devices;
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/xa-16681/kiosk/k-%02u/event", device);
  g_autofree gchar *payload = g_strdup_printf (
      "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.issued\",\"ticket\":\"A-%u\","
      "\"service\":\"hộ tịch\"}",
      i / t->n_devices + 1, t->base_ms - (gint64) (i % 120) * 1000, i);
  ioc_test_publisher_send (pub, topic, payload, FALSE);
}

static void
test_hostile (void)
{
  if (!raise_own_limit ())
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  /* No cap per address (every client here is 127.0.0.1) and room for
   * 4,000: the descriptor reserve is what must hold. */
  const gchar *extra = "[http]\nheader_timeout = 2s\nmax_connections = 4000\nmax_connections_per_client = 0\n"
                       "fd_reserve = 128\n";
  const rlim_t nofile = 400;
  g_autoptr (IocTestHub) hub = hub_start_limited (ioc_test_broker_url (broker), extra, nofile);
  gint pid = hub_pid (hub);
  g_assert_cmpint (pid, >, 0);
  g_autofree gchar *limits_path = g_strdup_printf ("/proc/%d/limits", pid);
  g_autofree gchar *limits = NULL;
  g_assert_true (g_file_get_contents (limits_path, &limits, NULL, NULL));
  g_assert_true (g_regex_match_simple ("Max open files +400 ", limits, 0, 0));

  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "edge-pub", &error);
  g_assert_no_error (error);

  Attack a = { .port = ioc_test_hub_http_port (hub), .n = 1000 };
  a.fds = g_new (gint, a.n);
  a.sent = g_new0 (gboolean, a.n);
  for (guint i = 0; i < a.n; i++)
    a.fds[i] = -1;
  GThread *attacker = g_thread_new ("attack", attack_thread, &a);
  /* Bounded wait until the thousand are out. */
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_atomic_pointer_get (&a.opened) < a.n && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_cmpuint (g_atomic_pointer_get (&a.opened), >=, a.n);

  /* Messages all through the attack, sampling the hub's descriptors. */
  Traffic t = { .n_devices = 20, .base_ms = g_get_real_time () / 1000 - 60 * 1000 };
  const guint n = 3000;
  guint max_fds = 0;
  IocTestStream *stream = ioc_test_stream_start (pub, n, 250, stream_one, &t);
  deadline = g_get_monotonic_time () + 14 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline)
    {
      max_fds = MAX (max_fds, open_fds (pid));
      g_usleep (50 * 1000);
    }
  ioc_test_stream_join (stream);
  g_assert_true (ioc_test_publisher_flush (pub, 60 * G_TIME_SPAN_SECOND));
  g_test_message ("hub: at most %u descriptors open of %u; %" G_GUINT64_FORMAT " hostile connections opened, "
                  "%" G_GUINT64_FORMAT " closed by the hub",
                  max_fds, (guint) nofile, (guint64) g_atomic_pointer_get (&a.opened),
                  (guint64) g_atomic_pointer_get (&a.closed_by_hub));
  g_assert_true (ioc_test_hub_is_running (hub));
  /* HTTP stayed out of the reserve: what is left is the hub's own. */
  g_assert_cmpuint (max_fds, <=, nofile - 128 + 8);
  /* The hub closed half-sent requests (timeouts, refusals) rather than
   * holding them: the attacker had to come back. */
  g_assert_cmpuint (g_atomic_pointer_get (&a.closed_by_hub), >, 0);

  g_atomic_int_set (&a.stop, 1);
  g_thread_join (attacker);
  gint64 left = g_get_monotonic_time ();
  glong status = 0;
  while (g_get_monotonic_time () - left < 10 * G_TIME_SPAN_SECOND)
    {
      g_autofree gchar *body = ioc_test_hub_get (hub, "/healthz", &status);
      if (status == 200)
        break;
      g_usleep (100 * 1000);
    }
  gint64 took_ms = (g_get_monotonic_time () - left) / 1000;
  g_test_message ("/healthz answered %ld %" G_GINT64_FORMAT " ms after the hostile clients left", status, took_ms);
  g_assert_cmpint (status, ==, 200);
  g_assert_cmpint (took_ms, <, 10 * 1000);

  /* Every message counted, exactly. */
  g_assert_cmpfloat (ioc_test_hub_wait_metric (hub, "iochub_messages_accepted_total", n, 30), ==, n);
  g_assert_cmpfloat (ioc_test_hub_metric (hub, "iochub_http_connections_refused_total{limit=\"fd_reserve\"}"), >, 0);
  g_assert_cmpfloat (ioc_test_hub_metric (hub, "iochub_http_timeouts_total{phase=\"request\"}"), >, 0);
  /* Nothing of the attack is left: the connection table emptied (the one
   * open is this /metrics request). */
  g_assert_cmpfloat (ioc_test_hub_wait_metric (hub, "iochub_http_connections", 1, 10), ==, 1);
  g_assert_true (ioc_test_hub_stop (hub));
  /* Tens of thousands of refusals, a handful of log lines: once when
   * refusing starts, once when it stops. */
  g_autofree gchar *log_path = g_build_filename (ioc_test_hub_dir (hub), "hub.log", NULL);
  g_autofree gchar *log = NULL;
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  guint http_lines = 0, emfile_lines = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      http_lines += strstr (lines[i], "http: ") != NULL;
      emfile_lines += strstr (lines[i], "Too many open files") != NULL;
    }
  g_test_message ("hub log: %u lines, %u about HTTP, %u \"Too many open files\"", g_strv_length (lines), http_lines,
                  emfile_lines);
  g_assert_cmpuint (http_lines, <=, 10);
  g_assert_cmpuint (emfile_lines, <=, 4);
  g_free (a.fds);
  g_free (a.sent);
}

/* Without a reserve, the attack exhausts the hub's descriptors and accept()
 * fails (EMFILE): the listener must pause, retry and serve again by itself
 * once the clients leave (libsoup's own listener stopped for good). */
static void
test_emfile (void)
{
  if (!raise_own_limit ())
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  const gchar *extra = "[http]\nheader_timeout = 2s\nmax_connections = 4000\nmax_connections_per_client = 0\n"
                       "fd_reserve = 0\n";
  g_autoptr (IocTestHub) hub = hub_start_limited (ioc_test_broker_url (broker), extra, 400);
  gint pid = hub_pid (hub);
  g_assert_cmpint (pid, >, 0);

  Attack a = { .port = ioc_test_hub_http_port (hub), .n = 1000 };
  a.fds = g_new (gint, a.n);
  a.sent = g_new0 (gboolean, a.n);
  for (guint i = 0; i < a.n; i++)
    a.fds[i] = -1;
  GThread *attacker = g_thread_new ("attack", attack_thread, &a);
  /* Bounded wait until the hub's descriptors ran out. */
  gint64 deadline = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;
  guint max_fds = 0;
  while (max_fds < 400 && g_get_monotonic_time () < deadline)
    {
      max_fds = MAX (max_fds, open_fds (pid));
      g_usleep (20 * 1000);
    }
  g_test_message ("hub: %u descriptors open of 400", max_fds);
  g_assert_cmpuint (max_fds, ==, 400);
  g_usleep (G_USEC_PER_SEC); /* some failed accepts */
  g_atomic_int_set (&a.stop, 1);
  g_thread_join (attacker);

  gint64 left = g_get_monotonic_time ();
  glong status = 0;
  while (g_get_monotonic_time () - left < 10 * G_TIME_SPAN_SECOND)
    {
      g_autofree gchar *body = ioc_test_hub_get (hub, "/healthz", &status);
      if (status == 200)
        break;
      g_usleep (100 * 1000);
    }
  gint64 took_ms = (g_get_monotonic_time () - left) / 1000;
  g_test_message ("/healthz answered %ld %" G_GINT64_FORMAT " ms after the hostile clients left", status, took_ms);
  g_assert_cmpint (status, ==, 200);
  g_assert_cmpfloat (ioc_test_hub_metric (hub, "iochub_http_accept_errors_total"), >, 0);
  g_assert_cmpfloat (ioc_test_hub_metric (hub, "iochub_http_listener_paused"), ==, 0);
  g_assert_true (ioc_test_hub_is_running (hub));
  gboolean clean = ioc_test_hub_stop (hub);
  g_autofree gchar *log_path = g_build_filename (ioc_test_hub_dir (hub), "hub.log", NULL);
  g_autofree gchar *log = NULL;
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  guint http_lines = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    http_lines += strstr (lines[i], "http: ") != NULL;
  g_test_message ("hub log: %u lines, %u about HTTP; stopped %s", g_strv_length (lines), http_lines,
                  clean ? "cleanly" : "NOT cleanly");
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "WARNING") != NULL || strstr (lines[i], "CRITICAL") != NULL)
      g_test_message ("  %s", lines[i]);
  /* The descriptors ran out for everyone here (that is what fd_reserve is
   * for), yet HTTP's own complaints stay a handful. */
  g_assert_cmpuint (http_lines, <=, 10);
  g_free (a.fds);
  g_free (a.sent);
}

/* ---- caps ---- */

/* Connects and sends request (blocking); returns the socket. */
static gint
open_request (guint port, const gchar *request)
{
  gint fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((guint16) port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (send (fd, request, strlen (request), MSG_NOSIGNAL), ==, (gssize) strlen (request));
  return fd;
}

/* The status line's code of what fd receives within 5 s (0: none). */
static guint
read_status (gint fd)
{
  gchar buf[256];
  gsize got = 0;
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (got < 12 && g_get_monotonic_time () < deadline)
    {
      struct pollfd p = { fd, POLLIN, 0 };
      if (poll (&p, 1, 100) <= 0)
        continue;
      gssize n = recv (fd, buf + got, sizeof buf - 1 - got, 0);
      if (n <= 0)
        break;
      got += (gsize) n;
    }
  buf[got] = '\0';
  return g_str_has_prefix (buf, "HTTP/1.1 ") ? (guint) g_ascii_strtoull (buf + 9, NULL, 10) : 0;
}

/* Connections per client address and live-feed screens are capped: one
 * more gets 503 (and is counted), the ones in place keep working. */
static void
test_caps (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autoptr (IocTestHub) hub = ioc_test_hub_new_started (
      ioc_test_broker_url (broker), NULL, "[http]\nmax_connections_per_client = 8\nmax_feed_clients = 2\n");
  g_assert_nonnull (hub);
  guint port = ioc_test_hub_http_port (hub);

  /* Two screens on the feed; a third is refused. */
  static const gchar feed[] = "GET /api/v1/feed HTTP/1.1\r\nHost: hub\r\nAccept: text/event-stream\r\n\r\n";
  gint screens[3];
  for (guint i = 0; i < 3; i++)
    {
      screens[i] = open_request (port, feed);
      guint status = read_status (screens[i]);
      g_assert_cmpuint (status, ==, i < 2 ? 200 : 503);
    }
  g_assert_cmpfloat (ioc_test_hub_metric (hub, "iochub_feed_clients"), ==, 2);
  g_assert_cmpfloat (ioc_test_hub_metric (hub, "iochub_feed_refused_total"), ==, 1);
  close (screens[2]);

  /* Six half-sent requests fill this address's 8 with the two screens;
   * the next connection gets 503 at once. */
  gint held[6];
  for (guint i = 0; i < 6; i++)
    held[i] = open_request (port, "GET /healthz HTTP/1.1\r\nHost: hub\r\n");
  gint extra = open_request (port, "GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n");
  g_assert_cmpuint (read_status (extra), ==, 503);
  close (extra);
  for (guint i = 0; i < 6; i++)
    close (held[i]);
  close (screens[0]);
  close (screens[1]);
  /* Freed: the address may connect again (bounded wait for the hub to see
   * the closes). */
  glong status = 0;
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (status != 200 && g_get_monotonic_time () < deadline)
    {
      g_autofree gchar *body = ioc_test_hub_get (hub, "/healthz", &status);
      if (status != 200)
        g_usleep (50 * 1000);
    }
  g_assert_cmpint (status, ==, 200);
  g_assert_cmpfloat (
      ioc_test_hub_metric (hub, "iochub_http_connections_refused_total{limit=\"max_connections_per_client\"}"), >=, 1);
  g_assert_true (ioc_test_hub_stop (hub));
}

/* ---- bodies ---- */

/* Sends head, then up to max_body bytes of body (chunked when asked) in
 * 64 KiB writes, a millisecond apart, reading the reply meanwhile.
 * Returns the reply's status (0: none); *sent is how much body went out. */
static guint
send_body (guint port, const gchar *head, gboolean chunked, guint64 max_body, guint64 *sent)
{
  gint fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((guint16) port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (send (fd, head, strlen (head), MSG_NOSIGNAL), ==, (gssize) strlen (head));
  static gchar chunk[64 * 1024];
  memset (chunk, 'x', sizeof chunk);
  g_autoptr (GString) reply = g_string_new (NULL);
  *sent = 0;
  gboolean writing = TRUE;
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd p = { fd, POLLIN | (writing ? POLLOUT : 0), 0 };
      if (poll (&p, 1, 100) < 0)
        break;
      if (p.revents & (POLLIN | POLLHUP | POLLERR))
        {
          gchar buf[4096];
          gssize n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
          if (n > 0)
            g_string_append_len (reply, buf, n);
          else if (n == 0 || errno != EAGAIN)
            break;
        }
      if (writing && (p.revents & POLLOUT))
        {
          if (*sent >= max_body)
            writing = FALSE;
          else
            {
              gchar frame[32];
              gint flen = chunked ? g_snprintf (frame, sizeof frame, "%zx\r\n", sizeof chunk) : 0;
              gssize n = (flen == 0 || send (fd, frame, (gsize) flen, MSG_NOSIGNAL | MSG_DONTWAIT) == flen)
                             ? send (fd, chunk, sizeof chunk, MSG_NOSIGNAL | MSG_DONTWAIT)
                             : -1;
              if (chunked && n == (gssize) sizeof chunk)
                send (fd, "\r\n", 2, MSG_NOSIGNAL | MSG_DONTWAIT);
              if (n > 0)
                *sent += (guint64) n;
              else if (errno != EAGAIN)
                writing = FALSE; /* the hub closed: read what it replied */
              g_usleep (1000);
            }
        }
    }
  close (fd);
  guint status = 0;
  if (g_str_has_prefix (reply->str, "HTTP/1.1 "))
    status = (guint) g_ascii_strtoull (reply->str + 9, NULL, 10);
  return status;
}

/* A small JSON body to POST /api/v1/silences with an operator's token;
 * the reply's status. */
static guint
post_operator_json (guint port, const gchar *json)
{
  guint64 sent = 0;
  g_autofree gchar *head = g_strdup_printf ("POST /api/v1/silences HTTP/1.1\r\nHost: hub\r\n"
                                            "Authorization: Bearer op-1\r\nContent-Type: application/json\r\n"
                                            "Content-Length: %zu\r\n\r\n%s",
                                            strlen (json), json);
  return send_body (port, head, FALSE, 0, &sent);
}

static void
test_bodies (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autoptr (IocTestHub) hub = ioc_test_hub_new_started (
      ioc_test_broker_url (broker), NULL, "[http]\ndisplay_tokens = wall-1\noperator_tokens = op-1\n");
  g_assert_nonnull (hub);
  gint pid = hub_pid (hub);
  g_assert_cmpint (pid, >, 0);
  guint port = ioc_test_hub_http_port (hub);
  gint64 rss0 = status_kb (pid, "VmRSS:");
  const guint64 mb200 = 200ull * 1024 * 1024;
  guint64 sent = 0;

  /* 1 GB announced, no token: 401 before the body. */
  guint status = send_body (port,
                            "POST /api/v1/summary HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                            "Content-Length: 1073741824\r\n\r\n",
                            FALSE, mb200, &sent);
  g_test_message ("no token, 1 GB announced: %u after %" G_GUINT64_FORMAT " bytes sent", status, sent);
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpuint (sent, <, mb200);

  /* Chunked, no length, no token: 401 too. */
  status = send_body (port, "POST /api/v1/silences HTTP/1.1\r\nHost: hub\r\nTransfer-Encoding: chunked\r\n\r\n", TRUE,
                      mb200, &sent);
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpuint (sent, <, mb200);

  /* An operator's, but 1 GB announced: 413 unread. */
  status = send_body (port,
                      "POST /api/v1/silences HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer op-1\r\n"
                      "Content-Length: 1073741824\r\n\r\n",
                      FALSE, mb200, &sent);
  g_assert_cmpuint (status, ==, 413);
  g_assert_cmpuint (sent, <, mb200);

  /* An operator's, chunked past max_body: 413 once it passes. */
  status = send_body (port,
                      "POST /api/v1/silences HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer op-1\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n",
                      TRUE, mb200, &sent);
  g_test_message ("operator, chunked: %u after %" G_GUINT64_FORMAT " bytes sent", status, sent);
  g_assert_cmpuint (status, ==, 413);
  g_assert_cmpuint (sent, <, mb200);

  /* A display token may read, not send a body: 403. */
  status = send_body (port,
                      "POST /api/v1/silences HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer wall-1\r\n"
                      "Content-Length: 1073741824\r\n\r\n",
                      FALSE, mb200, &sent);
  g_assert_cmpuint (status, ==, 403);

  gint64 rss1 = status_kb (pid, "VmRSS:");
  gint64 hwm = status_kb (pid, "VmHWM:");
  g_test_message ("hub RSS %" G_GINT64_FORMAT " kB before, %" G_GINT64_FORMAT " kB after (peak %" G_GINT64_FORMAT
                  " kB)",
                  rss0, rss1, hwm);
  g_assert_cmpint (rss0, >, 0);
  g_assert_cmpint (rss1 - rss0, <, 32 * 1024);
  g_assert_cmpint (hwm - rss0, <, 48 * 1024);

  /* The way in still works: an operator's small body reaches the API
   * (whatever it then says of it). */
  status = post_operator_json (port, "{\"by\":\"ca trực\",\"rule\":\"edge-*\",\"duration\":\"1h\"}");
  g_test_message ("operator, small body: %u", status);
  g_assert_cmpuint (status, !=, 0);
  g_assert_cmpuint (status, !=, 401);
  g_assert_cmpuint (status, !=, 403);
  g_assert_cmpuint (status, !=, 413);

  /* An escaped lone surrogate is not text: a silence whose glob held it
   * would abort the hub at its first match.  Refused, and the hub lives on. */
  status = post_operator_json (port, "{\"by\":\"ca trực\",\"scope\":\"xa-\\ud800*\",\"duration\":\"1h\"}");
  g_assert_cmpuint (status, ==, 400);
  glong health = 0;
  g_free (ioc_test_hub_get (hub, "/healthz", &health));
  g_assert_cmpint (health, ==, 200);
  g_assert_true (ioc_test_hub_stop (hub));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/edge/http/hostile", test_hostile);
  g_test_add_func ("/edge/http/emfile", test_emfile);
  g_test_add_func ("/edge/http/caps", test_caps);
  g_test_add_func ("/edge/http/bodies", test_bodies);
  return g_test_run ();
}
