/* fuzz-http-request.c — libFuzzer target for the hub's HTTP request path:
 * the input is what one client sends on one connection, taken whole by a
 * real IocHub in this process through its own listener
 * (hub/io/http-server.c: limits, the checks on the headers, the body gate),
 * libsoup's parser, the token rules (hub/api/auth.c) and the handlers of
 * every route (hub/api/, hub/alerts/: summary, units, series, connectors,
 * alerts, silences, acks, feed, scorecard, history, commune map, metrics,
 * static files).
 *
 * The hub is built once, as hub/main.c builds it, from a config with a
 * display and an operator token, a small max_body and the shipped alert
 * rules, on a manual clock, without a broker (nothing is started but its
 * HTTP listener).  Each input is written to a fresh loopback connection;
 * the main loop runs until the hub closes it or stays quiet.  Checks:
 *   - whatever comes back starts with a well-formed status line;
 *   - a request in which neither token appears (raw or percent-decoded)
 *     never gets a 2xx for a path under /api/ (the path the hub routes by:
 *     libsoup builds it from the Host header and the request target);
 *   - the hub still answers GET /healthz afterwards (the listener is not
 *     wedged, the connection was let go).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (ops/test.sh);
 * tests/fuzz/replay-main.c replays the corpus under gcc. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "alerts/alerts.h"
#include "api/api-history.h"
#include "api/api-scorecard.h"
#include "api/api-v1.h"
#include "api/prom-metrics.h"
#include "hub.h"
#include "test-util.h"

#define DISPLAY_TOKEN  "DispTok1"
#define OPERATOR_TOKEN "OpTok2"
#define MAX_REQUEST      (64 * 1024)
#define QUIET_MS       250  /* no byte for this long after the request: done (a stream) */
#define DEADLINE_MS    1000 /* at most this long per connection */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static IocHub *hub;
static guint port;
static gchar *hub_dir; /* config and state_dir, removed at exit */

static void
remove_hub_dir (void)
{
  ioc_test_rm_rf (hub_dir);
}

static void
build_hub (void)
{
  g_autoptr (GError) error = NULL;
  hub_dir = g_dir_make_tmp ("fuzz-http-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_hub_dir);
  const gchar *dir = hub_dir;
  g_autofree gchar *conf = g_strdup_printf (
      "[hub]\nprovince = 40\nid = fuzz-hub\nunits = %s/ops/units/nghe-an.csv\n"
      "calendar = %s/ops/calendar/vn-2025.conf,%s/ops/calendar/vn-2026.conf\n"
      "procedures = %s/ops/procedures.conf\nstate_dir = %s/state\nalerts = %s/ops/alerts.conf\n"
      "scorecard = %s/ops/score-766.conf\n"
      "[mqtt]\nurl = tcp://127.0.0.1:9\nclient_id = iochub-fuzz\n"
      "[http]\nlisten = 127.0.0.1:0\ndisplay_tokens = " DISPLAY_TOKEN "\noperator_tokens = " OPERATOR_TOKEN "\n"
      "dashboard_dir = %s/dashboards/www\nmax_body = 4KiB\n",
      IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, dir, IOC_SOURCE_ROOT, IOC_SOURCE_ROOT,
      IOC_SOURCE_ROOT);
  g_autofree gchar *conf_path = g_build_filename (dir, "hub.conf", NULL);
  g_assert_true (g_file_set_contents (conf_path, conf, -1, NULL));
  IocHubConfig *config = ioc_hub_config_load (conf_path, &error);
  g_assert_no_error (error);
  /* Friday 20 November 2026, 10:00 in Vietnam. */
  IocClock *clock = ioc_clock_new_manual (G_GINT64_CONSTANT (1795143600) * G_USEC_PER_SEC);
  hub = ioc_hub_new (config, clock, &error);
  g_assert_no_error (error);
  ioc_prom_metrics_register (hub);
  IocApiV1 *api = ioc_api_v1_attach (hub);
  ioc_api_history_attach (hub);
  ioc_api_scorecard_attach (hub);
  IocAlerts *alerts = ioc_alerts_attach (hub, &error);
  g_assert_no_error (error);
  g_assert_nonnull (alerts);
  ioc_api_v1_set_alerts_source (api, ioc_alerts_add_api_json, alerts);
  ioc_hub_tick (hub);
  port = ioc_hub_http_port (hub);
  g_assert_cmpuint (port, >, 0);
}

static int
connect_hub (void)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port), .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int rc = connect (fd, (struct sockaddr *) &a, sizeof a);
  g_assert_true (rc == 0 || errno == EINPROGRESS);
  return fd;
}

/* Runs the main loop while the hub works on the connection; sends what is
 * left of out, collects what comes back.  Ends on EOF or reset, after
 * QUIET_MS without a byte once all is sent, or at DEADLINE_MS. */
static GByteArray *
exchange (const guint8 *out, gsize out_len)
{
  int fd = connect_hub ();
  GByteArray *in = g_byte_array_new ();
  gsize sent = 0;
  gint64 start = g_get_monotonic_time ();
  gint64 last = start;
  for (;;)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      gint64 now = g_get_monotonic_time ();
      if (now - start > DEADLINE_MS * 1000 || (sent == out_len && now - last > QUIET_MS * 1000))
        break;
      struct pollfd p = { .fd = fd, .events = POLLIN | (sent < out_len ? POLLOUT : 0) };
      if (poll (&p, 1, 1) <= 0)
        continue;
      if ((p.revents & POLLOUT) && sent < out_len)
        {
          ssize_t n = send (fd, out + sent, out_len - sent, MSG_NOSIGNAL);
          if (n > 0)
            sent += (gsize) n, last = now;
          else if (n < 0 && errno != EAGAIN)
            sent = out_len; /* the hub hung up on us: read what it said */
          /* All sent: say so, so that an unfinished request ends at once
           * instead of at the hub's header timeout. */
          if (sent == out_len)
            shutdown (fd, SHUT_WR);
        }
      if (p.revents & (POLLIN | POLLHUP | POLLERR))
        {
          guint8 buf[16384];
          ssize_t n = recv (fd, buf, sizeof buf, 0);
          if (n > 0)
            {
              if (in->len < 4 * 1024 * 1024)
                g_byte_array_append (in, buf, (guint) n);
              last = now;
            }
          else if (n == 0 || errno != EAGAIN)
            break;
        }
    }
  close (fd);
  /* Let the hub see the close and forget the connection. */
  for (guint i = 0; i < 8; i++)
    while (g_main_context_iteration (NULL, FALSE))
      ;
  return in;
}

/* The status of a response, or 0 when there is none; aborts on a response
 * that does not start with a status line. */
static guint
status_of (const GByteArray *r)
{
  if (r->len == 0)
    return 0;
  g_assert_cmpuint (r->len, >=, 12);
  g_assert_true (memcmp (r->data, "HTTP/1.1 ", 9) == 0 || memcmp (r->data, "HTTP/1.0 ", 9) == 0);
  for (guint i = 9; i < 12; i++)
    g_assert_true (g_ascii_isdigit (r->data[i]));
  return (guint) ((r->data[9] - '0') * 100 + (r->data[10] - '0') * 10 + (r->data[11] - '0'));
}

/* Percent-decodes what can be decoded (a token may be sent encoded). */
static gchar *
loose_unescape (const gchar *s)
{
  GString *out = g_string_new (NULL);
  for (const gchar *p = s; *p != '\0'; p++)
    if (p[0] == '%' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))
      {
        g_string_append_c (out, (gchar) (g_ascii_xdigit_value (p[1]) * 16 + g_ascii_xdigit_value (p[2])));
        p += 2;
      }
    else
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

static gboolean
names_a_token (const gchar *text)
{
  return strstr (text, DISPLAY_TOKEN) != NULL || strstr (text, OPERATOR_TOKEN) != NULL;
}

/* The value of a header line starting at line (after its "Host:"), as
 * libsoup's parser (soup_headers_parse) leaves it: continuation lines (a
 * next line starting with a blank) joined by one space, leading and trailing
 * blanks and CRs cut, and any CR left inside turned into a space.  Taking
 * the value "up to the CR" instead routed "Host: a\r?" to a path the hub
 * never saw (libsoup makes it "a ?", which moves the target into the
 * query). */
static gchar *
soup_header_value (const gchar *v)
{
  GString *value = g_string_new (NULL);
  for (;;)
    {
      const gchar *eol = strchr (v, '\n');
      if (eol == NULL)
        {
          g_string_append (value, v);
          break;
        }
      const gchar *end = eol;
      while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
      g_string_append_len (value, v, end - v);
      if (eol[1] != ' ' && eol[1] != '\t')
        break;
      v = eol + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      g_string_append_c (value, ' ');
    }
  gchar *s = value->str;
  while (*s == ' ' || *s == '\t' || *s == '\r')
    s++;
  gchar *out = g_strdup (s);
  g_string_free (value, TRUE);
  gsize n = strlen (out);
  while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\r'))
    out[--n] = '\0';
  for (gchar *p = out; *p != '\0'; p++)
    if (*p == '\r')
      *p = ' ';
  return out;
}

/* The values of every Host header of the request's header block. */
static GPtrArray *
host_headers (const gchar *text)
{
  GPtrArray *hosts = g_ptr_array_new_with_free_func (g_free);
  for (const gchar *line = strchr (text, '\n'); line != NULL; line = strchr (line + 1, '\n'))
    {
      if (line[1] == '\n' || (line[1] == '\r' && line[2] == '\n'))
        break; /* the end of the header block */
      if (g_ascii_strncasecmp (line + 1, "host:", 5) == 0)
        g_ptr_array_add (hosts, soup_header_value (line + 6));
    }
  return hosts;
}

/* The path the hub routes the request by when its Host is host, decoded, or
 * NULL when it cannot be told.  libsoup makes the request's URI from the
 * Host header and the request target (so "Host: a?b" moves the target into
 * the query): do the same, with the same URI flags. */
static gchar *
routed_path_for_host (const gchar *target, const gchar *host)
{
  g_autofree gchar *uri_text = NULL;
  if (target[0] == '/')
    uri_text = g_strconcat ("http://", host != NULL ? host : "localhost", target, NULL);
  else
    uri_text = g_strdup (target); /* absolute form */
  const GUriFlags flags = G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_PATH | G_URI_FLAGS_ENCODED_QUERY
                          | G_URI_FLAGS_ENCODED_FRAGMENT | G_URI_FLAGS_SCHEME_NORMALIZE;
  g_autoptr (GUri) uri = g_uri_parse (uri_text, flags, NULL);
  if (uri == NULL)
    return NULL;
  const gchar *path = g_uri_get_path (uri);
  return loose_unescape (path[0] != '\0' ? path : "/");
}

/* Whether the hub surely routed the request to a path under /api/: the path
 * is under /api/ whichever of its Host headers libsoup took (with several,
 * which one is not documented). */
static gboolean
routed_under_api (const gchar *text, gchar **path_out)
{
  *path_out = NULL;
  const gchar *sp = strchr (text, ' ');
  if (sp == NULL)
    return FALSE;
  const gchar *start = sp + 1;
  const gchar *end = strpbrk (start, " \r\n");
  if (end == NULL)
    return FALSE;
  g_autofree gchar *target = g_strndup (start, (gsize) (end - start));
  g_autoptr (GPtrArray) hosts = host_headers (text);
  if (hosts->len == 0)
    g_ptr_array_add (hosts, NULL);
  for (guint i = 0; i < hosts->len; i++)
    {
      g_autofree gchar *path = routed_path_for_host (target, g_ptr_array_index (hosts, i));
      if (path == NULL || !g_str_has_prefix (path, "/api/"))
        {
          g_clear_pointer (path_out, g_free);
          return FALSE;
        }
      if (*path_out == NULL)
        *path_out = g_steal_pointer (&path);
    }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > MAX_REQUEST)
    return 0;
  if (hub == NULL)
    build_hub ();

  g_autoptr (GByteArray) reply = exchange (data, size);
  guint status = status_of (reply);
  if (g_getenv ("FUZZ_HTTP_VERBOSE") != NULL) /* to see what a corpus gets */
    {
      g_autofree gchar *head = g_strndup ((const gchar *) reply->data, MIN (reply->len, 400u));
      g_printerr ("%u  %.*s\n%s\n", status, (int) MIN (size, (gsize) strcspn ((const gchar *) data, "\r\n")), data,
                  g_getenv ("FUZZ_HTTP_VERBOSE")[0] == '2' ? head : "");
    }

  /* No token anywhere in the request: nothing under /api/ may succeed. */
  g_autofree gchar *text = g_strndup ((const gchar *) data, size); /* up to the first NUL */
  g_autofree gchar *decoded = loose_unescape (text);
  g_autofree gchar *path = NULL;
  if (status >= 200 && status < 300 && !names_a_token (text) && !names_a_token (decoded)
      && routed_under_api (text, &path))
    {
      g_printerr ("fuzz-http-request: %u without a token for %s\n", status, path);
      abort ();
    }

  /* The hub still serves: within a few seconds, not on the first try.  On
   * a loaded machine one probe can meet the quiet cut-off, or the input's
   * connection not yet let go (a CI run once read 0 bytes); a wedged
   * listener fails all of them. */
  static const gchar probe[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  guint hs = 0, len = 0;
  for (guint attempt = 0; attempt < 8 && hs != 200 && hs != 503; attempt++)
    {
      g_autoptr (GByteArray) health = exchange ((const guint8 *) probe, sizeof probe - 1);
      hs = status_of (health);
      len = health->len;
    }
  if (hs != 200 && hs != 503)
    {
      g_printerr ("fuzz-http-request: GET /healthz after the input answered %u (%u bytes), 8 times\n", hs, len);
      abort ();
    }
  return 0;
}
