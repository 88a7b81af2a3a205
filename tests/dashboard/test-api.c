/* test-api.c — the JSON API of docs/API.md against a real mosquitto and the
 * real iochub: the numbers it serves for known published messages, its
 * token rules, the wall page's files and the live feed's first events.
 *
 * Tokens are configured, so: no token → 401, a display token reads, a
 * display token may not POST (403), an operator's POST to a read-only
 * resource is 405.  A hub that does not serve /api/v1 fails every case. */
#include <curl/curl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"

#define DISPLAY "disp-token"
#define DISPLAY_REVOKED "disp-to-revoke" /* removed from the config by /api/token-revoked */
#define OPERATOR "op-token"
#define UNIT "xa-16681"

typedef struct
{
  IocTestBroker *broker;
  IocTestHub *hub;
  IocTestPublisher *pub;
  gint64 now_ms;
  gboolean wired;
} Fixture;

static Fixture fx;

/* ---- a small HTTP client (libcurl): method, header, status, body ---- */

/* A Server-Sent Events reader: called with each complete event's name and
 * data; returns FALSE to hang up. */
typedef gboolean (*SseFunc) (const gchar *event, const gchar *data, gpointer user_data);

typedef struct
{
  GString *body;
  const gchar *stop_marker;
  SseFunc on_event;
  gpointer on_event_data;
  gsize parsed; /* bytes of body already split into events */
} Sink;

static gboolean
sink_parse_events (Sink *s)
{
  for (;;)
    {
      const gchar *start = s->body->str + s->parsed;
      const gchar *end = strstr (start, "\n\n");
      if (end == NULL)
        return TRUE;
      s->parsed = (gsize) (end + 2 - s->body->str);
      g_autofree gchar *block = g_strndup (start, (gsize) (end - start));
      const gchar *event = NULL, *data = NULL;
      g_auto (GStrv) lines = g_strsplit (block, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        if (g_str_has_prefix (lines[i], "event: "))
          event = lines[i] + strlen ("event: ");
        else if (g_str_has_prefix (lines[i], "data: "))
          data = lines[i] + strlen ("data: ");
      if (event != NULL && data != NULL && !s->on_event (event, data, s->on_event_data))
        return FALSE;
    }
}

static size_t
sink_write (char *data, size_t size, size_t nmemb, void *user)
{
  Sink *s = user;
  g_string_append_len (s->body, data, (gssize) (size * nmemb));
  if (s->stop_marker != NULL && strstr (s->body->str, s->stop_marker) != NULL)
    return 0; /* enough: ends a stream */
  if (s->on_event != NULL && !sink_parse_events (s))
    return 0;
  return size * nmemb;
}

/* What a request may add to a plain GET: all optional (zeros). */
typedef struct
{
  const gchar *bearer;      /* Authorization: Bearer …; NULL: none */
  gchar **content_type;     /* out (transfer full), if wanted */
  const gchar *stop_marker; /* a stream: hang up once the body holds this */
  SseFunc on_event;         /* a stream: called per event; FALSE hangs up */
  gpointer on_event_data;
  glong timeout_s;          /* 0: 10 s */
  gchar **allow;            /* out (transfer full): the Allow header, NULL if none */
} HttpOptions;

static const HttpOptions as_display = { .bearer = DISPLAY };
static const HttpOptions as_operator = { .bearer = OPERATOR };
static const HttpOptions as_revoked = { .bearer = DISPLAY_REVOKED };

static size_t
allow_header (char *data, size_t size, size_t nmemb, void *user)
{
  gchar **allow = user;
  gsize n = size * nmemb;
  if (n > 6 && g_ascii_strncasecmp (data, "Allow:", 6) == 0)
    {
      g_free (*allow);
      *allow = g_strstrip (g_strndup (data + 6, n - 6));
    }
  return n;
}

/* (transfer full) the body of METHOD path (a POST sends "{}"); *status is
 * the HTTP status, 0 when there was no answer.  opts may be NULL. */
static gchar *
http (const gchar *method, const gchar *path, const HttpOptions *opts, glong *status)
{
  static const HttpOptions none = { 0 };
  if (opts == NULL)
    opts = &none;
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", ioc_test_hub_http_port (fx.hub), path);
  CURL *c = curl_easy_init ();
  struct curl_slist *h = NULL;
  if (opts->bearer != NULL)
    {
      g_autofree gchar *line = g_strdup_printf ("Authorization: Bearer %s", opts->bearer);
      h = curl_slist_append (h, line);
    }
  Sink s = { g_string_new (NULL), opts->stop_marker, opts->on_event, opts->on_event_data, 0 };
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, sink_write);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt (c, CURLOPT_TIMEOUT, opts->timeout_s > 0 ? opts->timeout_s : 10L);
  curl_easy_setopt (c, CURLOPT_PATH_AS_IS, 1L);
  if (g_strcmp0 (method, "POST") == 0)
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, "{}");
  if (g_strcmp0 (method, "HEAD") == 0)
    curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
  if (opts->allow != NULL)
    {
      *opts->allow = NULL;
      curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, allow_header);
      curl_easy_setopt (c, CURLOPT_HEADERDATA, opts->allow);
    }
  CURLcode rc = curl_easy_perform (c);
  if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR)
    g_test_message ("%s %s: %s", method, path, curl_easy_strerror (rc));
  *status = 0;
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, status);
  if (opts->content_type != NULL)
    {
      char *ct = NULL;
      curl_easy_getinfo (c, CURLINFO_CONTENT_TYPE, &ct);
      *opts->content_type = g_strdup (ct);
    }
  curl_slist_free_all (h);
  curl_easy_cleanup (c);
  return g_string_free (s.body, FALSE);
}

static JsonNode *
get_json (const gchar *path)
{
  glong status = 0;
  g_autofree gchar *body = http ("GET", path, &as_display, &status);
  g_assert_cmpint (status, ==, 200);
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (body, &error);
  g_assert_no_error (error);
  return node;
}

static gint64
path_int (JsonNode *root, const gchar *jsonpath)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) hits = json_path_query (jsonpath, root, &error);
  g_assert_no_error (error);
  JsonArray *a = json_node_get_array (hits);
  g_assert_cmpuint (json_array_get_length (a), ==, 1);
  return json_array_get_int_element (a, 0);
}

static gdouble
path_double (JsonNode *root, const gchar *jsonpath)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) hits = json_path_query (jsonpath, root, &error);
  g_assert_no_error (error);
  JsonArray *a = json_node_get_array (hits);
  g_assert_cmpuint (json_array_get_length (a), ==, 1);
  return json_array_get_double_element (a, 0);
}

/* The object of array `member` whose string `key` is `value`. */
static gint64
row_int (JsonNode *root, const gchar *member, const gchar *key, const gchar *value, const gchar *field)
{
  JsonArray *rows = json_object_get_array_member (json_node_get_object (root), member);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (row, key, NULL), value) == 0)
        return json_object_get_int_member (row, field);
    }
  g_assert_not_reached ();
}

/* ---- the traffic ---- */

static void
publish (const gchar *kind, const gchar *device, const gchar *type, const gchar *payload)
{
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/%s/%s/%s", UNIT, kind, device, type);
  ioc_test_publisher_send (fx.pub, topic, payload, g_strcmp0 (type, "status") == 0);
}

static gchar *
dossier (guint seq, gint64 ts, const gchar *code, gint state, gint channel, gint64 received)
{
  return g_strdup_printf (
      "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"dossier\",\"dossier\":\"%s\","
      "\"procedure\":\"1.001234\",\"state\":%d,\"channel\":%d,\"received_at\":%" G_GINT64_FORMAT
      ",\"due_at\":%" G_GINT64_FORMAT "}",
      seq, ts, code, state, channel, received, (gint64) (received + 72 * G_GINT64_CONSTANT (3600000)));
}

/* Five dossiers received a minute ago (channels 1, 2, 2, 3, 1), one of them
 * already returned (early: due in three days); one repeat of seq 3; one
 * bad message from kiosk k9; a kiosk online; two cameras, one recording. */
static void
publish_day (void)
{
  gint64 r = fx.now_ms - 60 * 1000;
  const gint channels[] = { 1, 2, 2, 3, 1 };
  for (guint i = 0; i < 5; i++)
    {
      g_autofree gchar *code = g_strdup_printf ("000.00.40.H40-TEST-%04u", i);
      g_autofree gchar *p = dossier (i + 1, r, code, 2, channels[i], r);
      publish ("portal", "portal-a", "event", p);
    }
  g_autofree gchar *done = dossier (6, fx.now_ms, "000.00.40.H40-TEST-0000", 10, 1, r);
  publish ("portal", "portal-a", "event", done);
  g_autofree gchar *again = dossier (3, r, "000.00.40.H40-TEST-0002", 2, 2, r);
  publish ("portal", "portal-a", "event", again);
  publish ("kiosk", "k9", "event", "{not json");
  g_autofree gchar *kiosk
      = g_strdup_printf ("{\"v\":1,\"seq\":1,\"ts\":%" G_GINT64_FORMAT ",\"online\":true}", fx.now_ms);
  publish ("kiosk", "k1", "status", kiosk);
  g_autofree gchar *cams
      = g_strdup_printf ("{\"v\":1,\"seq\":1,\"ts\":%" G_GINT64_FORMAT
                         ",\"cameras\":[{\"camera\":\"c1\",\"online\":true,\"recording\":true},"
                         "{\"camera\":\"c2\",\"online\":true,\"recording\":false}]}",
                         fx.now_ms);
  publish ("camera", "nvr1", "status", cams);
  g_assert_true (ioc_test_publisher_flush (fx.pub, 10 * G_USEC_PER_SEC));
}

static gboolean
wait_received (const gchar *path, gint64 want)
{
  for (guint i = 0; i < 100; i++)
    {
      glong status = 0;
      g_autofree gchar *body = http ("GET", path, &as_display, &status);
      g_autoptr (JsonNode) root = status == 200 ? json_from_string (body, NULL) : NULL;
      if (root != NULL && path_int (root, "$.today.received.total") == want)
        return TRUE;
      g_usleep (100 * 1000);
    }
  return FALSE;
}

/* ---- tests ---- */

static gboolean
skip_unwired (void)
{
  /* The API is part of iochub: a hub without it is a failure, not a skip. */
  if (!fx.wired)
    g_test_fail_printf ("/api/v1 is not served by iochub (ioc_api_v1_attach missing from hub/main.c)");
  return !fx.wired;
}

static void
test_summary (void)
{
  if (skip_unwired ())
    return;
  g_assert_true (wait_received ("/api/v1/summary?unit=all", 5));
  const gchar *paths[] = { "/api/v1/summary?unit=all", "/api/v1/summary?unit=" UNIT };
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (JsonNode) s = get_json (paths[i]);
      g_assert_cmpint (path_int (s, "$.today.received.total"), ==, 5);
      g_assert_cmpint (path_int (s, "$.today.received.in_person"), ==, 2);
      g_assert_cmpint (path_int (s, "$.today.received.online"), ==, 2);
      g_assert_cmpint (path_int (s, "$.today.received.postal"), ==, 1);
      g_assert_cmpint (path_int (s, "$.today.completed_early"), ==, 1);
      g_assert_cmpint (path_int (s, "$.today.completed"), ==, 1);
      g_assert_cmpint (path_int (s, "$.today.open"), ==, 4);
      g_assert_cmpint (path_int (s, "$.today.open_overdue"), ==, 0);
      g_assert_cmpfloat_with_epsilon (path_double (s, "$.today.ontime_rate"), 1.0, 1e-9);
      g_assert_cmpfloat_with_epsilon (path_double (s, "$.today.online_rate"), 0.4, 1e-9);
      g_assert_cmpint (path_int (s, "$.ytd.received.total"), ==, 5);
      g_assert_cmpint (path_int (s, "$.devices.kiosks"), ==, 1);
      g_assert_cmpint (path_int (s, "$.devices.kiosks_online"), ==, 1);
      g_assert_cmpint (path_int (s, "$.devices.cameras"), ==, 2);
      g_assert_cmpint (path_int (s, "$.devices.cameras_recording"), ==, 1);
      g_assert_cmpfloat_with_epsilon (path_double (s, "$.devices.cameras_recording_rate"), 0.5, 1e-9);
      /* Freshness: the portal spoke seconds ago; no desk ever did. */
      g_assert_cmpfloat (path_double (s, "$.freshness.portal.age_s"), <, 60.0);
      g_autoptr (JsonNode) desk = json_path_query ("$.freshness.desk.last_seen_ms", s, NULL);
      g_assert_true (JSON_NODE_HOLDS_NULL (json_array_get_element (json_node_get_array (desk), 0)));
    }
  glong status = 0;
  g_autofree gchar *body = http ("GET", "/api/v1/summary?unit=xa-99999", &as_display, &status);
  g_assert_cmpint (status, ==, 404);
}

static gboolean
ranking_has (JsonNode *root, const gchar *code)
{
  JsonArray *rank = json_object_get_array_member (json_node_get_object (root), "ranking");
  for (guint i = 0; i < json_array_get_length (rank); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (rank, i), "code"), code)
        == 0)
      return TRUE;
  return FALSE;
}

static void
test_units (void)
{
  if (skip_unwired ())
    return;
  g_assert_true (wait_received ("/api/v1/summary?unit=" UNIT, 5));
  g_autoptr (JsonNode) u = get_json ("/api/v1/units?min_volume=5");
  g_assert_cmpint (row_int (u, "units", "code", UNIT, "received"), ==, 5);
  g_assert_cmpint (row_int (u, "units", "code", UNIT, "open"), ==, 4);
  g_assert_true (ranking_has (u, UNIT));
  g_autoptr (JsonNode) cut = get_json ("/api/v1/units?min_volume=6");
  g_assert_false (ranking_has (cut, UNIT)); /* below the minimum volume: not ranked */
  glong status = 0;
  g_autofree gchar *bad = http ("GET", "/api/v1/units?min_volume=lots", &as_display, &status);
  g_assert_cmpint (status, ==, 400);
}

static void
test_connectors_alerts_series (void)
{
  if (skip_unwired ())
    return;
  g_assert_true (wait_received ("/api/v1/summary?unit=all", 5));
  g_autoptr (JsonNode) c = get_json ("/api/v1/connectors");
  g_assert_cmpint (row_int (c, "connectors", "device", "portal-a", "last_seq"), ==, 6);
  g_assert_cmpint (row_int (c, "connectors", "device", "portal-a", "duplicates"), ==, 1);
  g_assert_cmpint (row_int (c, "connectors", "device", "k9", "deadletters"), ==, 1);
  g_assert_cmpint (path_int (c, "$.totals.duplicates"), ==, 1);

  g_autoptr (JsonNode) a = get_json ("/api/v1/alerts");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (a), "alerts")),
                    ==, 0);

  g_autoptr (JsonNode) s
      = get_json ("/api/v1/series?measurement=ioc_dossier&field=received&unit=all&step=300&minutes=60");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (s), "points")),
                    ==, 12);
  /* The wall asks for the day so far whatever [http] series_minutes (10
   * here): the minutes the ring does not reach are null, not a 400, and
   * the page fills those hours from /history. */
  g_autoptr (JsonNode) day
      = get_json ("/api/v1/series?measurement=ioc_dossier&field=received&unit=all&step=3600&minutes=1440");
  g_assert_nonnull (day);
  if (day != NULL)
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (json_node_get_object (day), "points")), ==, 24);
  glong status = 0;
  g_autofree gchar *bad = http ("GET", "/api/v1/series?measurement=ioc_nothing", &as_display, &status);
  g_assert_cmpint (status, ==, 400);
}

/* This hub has no InfluxDB: the history endpoint says so (the page then
 * writes "no history" instead of drawing an empty line as if it were 0). */
static void
test_history_without_influx (void)
{
  if (skip_unwired ())
    return;
  glong status = 0;
  g_autofree gchar *body = http ("GET", "/api/v1/history?field=received&days=30", &as_display, &status);
  g_assert_cmpint (status, ==, 503);
  g_autoptr (JsonNode) root = json_from_string (body, NULL);
  g_assert_nonnull (root);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (root), "history"));
  g_assert_nonnull (
      strstr (json_object_get_string_member (json_node_get_object (root), "error"), "no history"));
  g_autofree gchar *anon = http ("GET", "/api/v1/history", NULL, &status);
  g_assert_cmpint (status, ==, 401);
}

static void
test_auth (void)
{
  if (skip_unwired ())
    return;
  glong status = 0;
  g_autofree gchar *a = http ("GET", "/api/v1/summary", NULL, &status);
  g_assert_cmpint (status, ==, 401);
  g_autofree gchar *b = http ("GET", "/api/v1/summary", &(HttpOptions) { .bearer = "not-a-token" }, &status);
  g_assert_cmpint (status, ==, 403);
  g_autofree gchar *c = http ("GET", "/api/v1/summary?token=" DISPLAY, NULL, &status);
  g_assert_cmpint (status, ==, 200);
  /* Changing state (an ack) needs an operator token: a display token is refused;
   * an operator gets through to the alert engine (which has no such alert). */
  g_autofree gchar *d = http ("POST", "/api/v1/alerts/1/ack", &as_display, &status);
  g_assert_cmpint (status, ==, 403);
  g_autofree gchar *e = http ("POST", "/api/v1/alerts/1/ack", &as_operator, &status);
  g_assert_cmpint (status, ==, 400); /* no "by" in the body: past the token check */
  g_autofree gchar *f = http ("GET", "/api/v1/feed", NULL, &status);
  g_assert_cmpint (status, ==, 401);
  g_autofree gchar *g = http ("GET", "/api/v1/nothing", &as_display, &status);
  g_assert_cmpint (status, ==, 404);

  /* The alert routes keep the same rules as the others: reads are GET and
   * HEAD; a method a route does not take is 401/403 to anyone but an
   * operator, and 405 naming what it takes to an operator. */
  const struct
  {
    const gchar *method, *path;
    const HttpOptions *as;
    glong status;
    const gchar *allow;
  } cases[] = {
    { "HEAD", "/api/v1/alerts", &as_display, 200, NULL },
    { "HEAD", "/api/v1/silences", &as_display, 200, NULL },
    { "POST", "/api/v1/alerts", NULL, 401, NULL },
    { "POST", "/api/v1/alerts", &as_display, 403, NULL },
    { "POST", "/api/v1/alerts", &as_operator, 405, "GET, HEAD" },
    { "GET", "/api/v1/alerts/1/ack", &as_display, 403, NULL },
    { "GET", "/api/v1/alerts/1/ack", &as_operator, 405, "POST" },
    { "PUT", "/api/v1/silences", NULL, 401, NULL },
    { "PUT", "/api/v1/silences", &as_operator, 405, "GET, HEAD, POST" },
    { "GET", "/api/v1/silences/s1", &as_operator, 405, "DELETE" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *allow = NULL;
      HttpOptions o = { .bearer = cases[i].as != NULL ? cases[i].as->bearer : NULL, .allow = &allow };
      g_autofree gchar *body = http (cases[i].method, cases[i].path, &o, &status);
      g_test_message ("%s %s as %s: %ld, Allow: %s", cases[i].method, cases[i].path,
                      o.bearer != NULL ? o.bearer : "nobody", status, allow != NULL ? allow : "-");
      g_assert_cmpint (status, ==, cases[i].status);
      g_assert_cmpstr (allow, ==, cases[i].allow);
    }
}

static void
test_static (void)
{
  if (skip_unwired ())
    return;
  glong status = 0;
  g_autofree gchar *ct = NULL;
  g_autofree gchar *page = http ("GET", "/", &(HttpOptions) { .content_type = &ct }, &status);
  g_assert_cmpint (status, ==, 200);
  g_assert_cmpstr (ct, ==, "text/html; charset=utf-8");
  g_assert_nonnull (strstr (page, "app.js"));
  g_autofree gchar *ct2 = NULL;
  g_autofree gchar *js = http ("GET", "/app.js", &(HttpOptions) { .content_type = &ct2 }, &status);
  g_assert_cmpint (status, ==, 200);
  g_assert_cmpstr (ct2, ==, "text/javascript; charset=utf-8");
  const gchar *escapes[] = { "/../hub.conf", "/%2e%2e/%2e%2e/ops/units/nghe-an.csv", "/..%2f..%2fmeson.build",
                             "/.gitignore", "/nothing-here.html" };
  for (guint i = 0; i < G_N_ELEMENTS (escapes); i++)
    {
      g_autofree gchar *x = http ("GET", escapes[i], NULL, &status);
      /* libsoup itself answers 400 to some of these; either way, no file. */
      if (status != 400)
        g_assert_cmpint (status, ==, 404);
    }
  g_autofree gchar *y = http ("POST", "/", NULL, &status);
  g_assert_cmpint (status, ==, 405);
}

static void
test_feed (void)
{
  if (skip_unwired ())
    return;
  g_assert_true (wait_received ("/api/v1/summary?unit=all", 5));
  glong status = 0;
  g_autofree gchar *ct = NULL;
  /* Reads until the first delta after the snapshot, then hangs up. */
  g_autofree gchar *stream
      = http ("GET", "/api/v1/feed?token=" DISPLAY,
              &(HttpOptions) { .content_type = &ct, .stop_marker = "event: delta\ndata: {" }, &status);
  g_assert_cmpint (status, ==, 200);
  g_assert_cmpstr (ct, ==, "text/event-stream");
  g_test_message ("feed: %zu bytes: %.200s … %s", strlen (stream), stream,
                  strlen (stream) > 200 ? stream + strlen (stream) - 200 : "");
  const gchar *snap = strstr (stream, "event: snapshot\ndata: ");
  g_assert_nonnull (snap);
  g_assert_nonnull (strstr (stream, "event: delta"));
  const gchar *data = snap + strlen ("event: snapshot\ndata: ");
  g_autofree gchar *line = g_strndup (data, strcspn (data, "\n"));
  g_autoptr (JsonNode) root = json_from_string (line, NULL);
  g_assert_nonnull (root);
  g_assert_cmpint (path_int (root, "$.summary.today.received.total"), ==, 5);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (root), "full"));
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (json_node_get_object (root), "units")), >, 100);
}

/* ---- the feed's deltas: only what changed, at least every 2 s ---- */

#define OTHER_UNIT "xa-16702"

typedef struct
{
  JsonNode *snapshot;
  gboolean published;
  JsonNode *hit;          /* the delta with OTHER_UNIT's new row */
  guint deltas, rows_before_hit, empty_deltas;
  gint64 last_now_ms, max_gap_ms;
  guint after_hit;
} FeedWatch;

static JsonObject *
find_row (JsonNode *event, const gchar *code)
{
  JsonArray *rows = json_object_get_array_member (json_node_get_object (event), "units");
  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      if (g_strcmp0 (json_object_get_string_member (row, "code"), code) == 0)
        return row;
    }
  return NULL;
}

static gboolean
feed_watch_cb (const gchar *event, const gchar *data, gpointer user_data)
{
  FeedWatch *w = user_data;
  g_autoptr (JsonNode) ev = json_from_string (data, NULL);
  g_assert_nonnull (ev);
  JsonObject *o = json_node_get_object (ev);
  gint64 now_ms = json_object_get_int_member (o, "now_ms");
  if (w->last_now_ms > 0)
    w->max_gap_ms = MAX (w->max_gap_ms, now_ms - w->last_now_ms);
  w->last_now_ms = now_ms;
  if (g_strcmp0 (event, "snapshot") == 0)
    {
      w->snapshot = json_node_ref (ev);
      return TRUE;
    }
  w->deltas++;
  g_assert_false (json_object_get_boolean_member (o, "full"));
  guint n_rows = json_array_get_length (json_object_get_array_member (o, "units"));
  if (n_rows == 0 && !json_object_has_member (o, "summary") && !json_object_has_member (o, "ranking")
      && !json_object_has_member (o, "alerts"))
    w->empty_deltas++;
  if (w->hit != NULL)
    return ++w->after_hit < 3; /* a few more, for the spacing */
  if (!w->published)
    {
      /* One dossier on a commune that had none, once the stream runs. */
      g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/portal/portal-b/event", OTHER_UNIT);
      g_autofree gchar *p = dossier (1, fx.now_ms, "000.00.40.H40-FEED-0001", 2, 2, fx.now_ms);
      ioc_test_publisher_send (fx.pub, topic, p, FALSE);
      g_assert_true (ioc_test_publisher_flush (fx.pub, 10 * G_USEC_PER_SEC));
      w->published = TRUE;
      return TRUE;
    }
  if (find_row (ev, OTHER_UNIT) != NULL)
    w->hit = json_node_ref (ev);
  else
    w->rows_before_hit += n_rows;
  return TRUE;
}

static void
test_feed_delta (void)
{
  if (skip_unwired ())
    return;
  g_assert_true (wait_received ("/api/v1/summary?unit=all", 5));
  FeedWatch w = { 0 };
  glong status = 0;
  g_autofree gchar *stream
      = http ("GET", "/api/v1/feed?token=" DISPLAY,
              &(HttpOptions) { .on_event = feed_watch_cb, .on_event_data = &w, .timeout_s = 30L }, &status);
  g_assert_cmpint (status, ==, 200);
  g_assert_nonnull (w.snapshot);
  g_assert_nonnull (w.hit);
  g_test_message ("feed: %u deltas, %u empty, %u rows before the change, largest gap %" G_GINT64_FORMAT " ms",
                  w.deltas, w.empty_deltas, w.rows_before_hit, w.max_gap_ms);
  if (w.snapshot == NULL || w.hit == NULL)
    return;
  gint64 before = path_int (w.snapshot, "$.summary.today.received.total");
  JsonObject *snap_row = find_row (w.snapshot, OTHER_UNIT);
  g_assert_nonnull (snap_row);
  g_assert_cmpint (json_object_get_int_member (snap_row, "received"), ==, 0);

  /* The delta that carries the change: the commune's new row, the new
   * province total, and not the rows that did not move. */
  JsonObject *row = find_row (w.hit, OTHER_UNIT);
  g_assert_cmpint (json_object_get_int_member (row, "received"), ==, 1);
  g_assert_false (json_object_get_boolean_member (row, "stale"));
  g_assert_null (find_row (w.hit, UNIT));
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (json_node_get_object (w.hit), "units")), <=, 2);
  g_assert_true (json_object_has_member (json_node_get_object (w.hit), "summary"));
  g_assert_cmpint (path_int (w.hit, "$.summary.today.received.total"), ==, before + 1);
  /* Nothing else was published: the deltas before it carried (almost) no
   * rows, where resending the province would be 260. */
  g_assert_cmpuint (w.rows_before_hit, <=, 2);
  /* A quiet stream still speaks often enough for the page's 6 s watchdog. */
  g_assert_cmpint (w.max_gap_ms, <, 6000);
  g_assert_cmpuint (w.empty_deltas, >, 0);
  json_node_unref (w.snapshot);
  json_node_unref (w.hit);
}

/* ---- a revoked display token: its open stream ends on the reload ---- */

typedef struct
{
  guint deltas;
  gboolean reloaded;
  gint64 reloaded_at;
  guint events_after_reload;
} RevokeWatch;

static gboolean
revoke_watch_cb (const gchar *event, const gchar *data, gpointer user_data)
{
  RevokeWatch *w = user_data;
  if (g_strcmp0 (event, "delta") != 0)
    return TRUE;
  if (w->reloaded)
    {
      w->events_after_reload++;
      return TRUE;
    }
  if (++w->deltas < 2)
    return TRUE;
  /* The stream runs: take the token out of the config and reload. */
  const gchar *path = ioc_test_hub_conf_path (fx.hub);
  g_autofree gchar *conf = NULL;
  g_assert_true (g_file_get_contents (path, &conf, NULL, NULL));
  g_autofree gchar *from = g_strdup_printf ("display_tokens = %s, %s", DISPLAY, DISPLAY_REVOKED);
  g_autofree gchar *to = g_strdup_printf ("display_tokens = %s", DISPLAY);
  g_autoptr (GString) edited = g_string_new (conf);
  g_assert_cmpuint (g_string_replace (edited, from, to, 1), ==, 1);
  g_assert_true (g_file_set_contents (path, edited->str, (gssize) edited->len, NULL));
  ioc_test_hub_signal (fx.hub, SIGHUP);
  w->reloaded = TRUE;
  w->reloaded_at = g_get_monotonic_time ();
  return TRUE;
}

static void
test_token_revoked (void)
{
  if (skip_unwired ())
    return;
  glong status = 0;
  g_autofree gchar *before = http ("GET", "/api/v1/summary", &as_revoked, &status);
  g_assert_cmpint (status, ==, 200);

  RevokeWatch w = { 0 };
  g_autofree gchar *stream
      = http ("GET", "/api/v1/feed?token=" DISPLAY_REVOKED,
              &(HttpOptions) { .on_event = revoke_watch_cb, .on_event_data = &w, .timeout_s = 40L }, &status);
  g_assert_true (w.reloaded);
  gint64 ended_after_ms = (g_get_monotonic_time () - w.reloaded_at) / 1000;
  g_test_message ("stream ended %" G_GINT64_FORMAT " ms after the reload, %u event(s) in between",
                  ended_after_ms, w.events_after_reload);
  /* Ended by the hub (the transfer's limit is 40 s), and promptly. */
  g_assert_cmpint (ended_after_ms, <, 15000);

  g_autofree gchar *after = http ("GET", "/api/v1/summary", &as_revoked, &status);
  g_assert_cmpint (status, ==, 403);
  g_autofree gchar *feed = http ("GET", "/api/v1/feed", &as_revoked, &status);
  g_assert_cmpint (status, ==, 403);
  g_autofree gchar *kept = http ("GET", "/api/v1/summary", &as_display, &status);
  g_assert_cmpint (status, ==, 200);
}

/* What test_queue_today published, as /api/v1/summary shows it for the
 * unit and the province; with_live: the live window must agree. */
enum { QUEUE_N = 20, QUEUE_SERVED = 25 };

static void
check_queue_today (gboolean with_live)
{
  const gint64 N = QUEUE_N;
  const gchar *paths[] = { "/api/v1/summary?unit=" UNIT, "/api/v1/summary?unit=all" };
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (JsonNode) s = get_json (paths[i]);
      g_assert_cmpint (path_int (s, "$.rating_today.ratings"), ==, N);
      g_assert_cmpint (path_int (s, "$.rating_today.satisfied"), ==, 15);
      g_assert_cmpint (path_int (s, "$.queue_today.issued"), ==, N);
      if (with_live)
        {
          g_assert_cmpint (path_int (s, "$.rating_today.ratings"), ==, path_int (s, "$.live.rating.ratings"));
          g_assert_cmpint (path_int (s, "$.queue_today.issued"), ==, path_int (s, "$.live.queue.issued"));
        }
      g_assert_cmpint (path_int (s, "$.queue_today.called"), ==, 3);
      /* Rating coverage: 20 ratings for 25 services done. */
      g_assert_cmpint (path_int (s, "$.queue_today.served"), ==, QUEUE_SERVED);
      g_assert_cmpfloat_with_epsilon (path_double (s, "$.rating_today.coverage_rate"), 0.8, 1e-9);
      g_assert_cmpint (path_int (s, "$.queue_today.waiting"), ==, 7);
      g_assert_cmpint (path_int (s, "$.queue_today.waiting_desks"), ==, 1);
      g_assert_cmpfloat_with_epsilon (path_double (s, "$.queue_today.wait_avg_s"), 160.0, 1e-9);
      g_assert_cmpfloat_with_epsilon (path_double (s, "$.queue_today.wait_max_s"), 300.0, 1e-9);
      g_autoptr (JsonNode) where = json_path_query ("$.queue_today.wait_max_unit", s, NULL);
      g_assert_cmpstr (json_array_get_string_element (json_node_get_array (where), 0), ==, UNIT);
    }
  g_autoptr (JsonNode) u = get_json ("/api/v1/units");
  g_assert_cmpint (row_int (u, "units", "code", UNIT, "ratings"), ==, N);
}

/* Today agrees with live: N ratings and N tickets just published are
 * counted in today's totals as soon as in the live window, not when their
 * minute closes; the desks' waiting count and the waits are the hub's. */
static void
test_queue_today (void)
{
  if (skip_unwired ())
    return;
  enum { N = QUEUE_N };
  gint64 ts = g_get_real_time () / 1000;
  guint seq = 0;
  for (guint i = 0; i < N; i++)
    {
      g_autofree gchar *issued = g_strdup_printf (
          "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.issued\",\"ticket\":\"A%03u\"}",
          ++seq, ts, i);
      publish ("kiosk", "kq", "event", issued);
      g_autofree gchar *rating = g_strdup_printf (
          "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"rating\",\"level\":%d,\"scale\":5,"
          "\"channel\":\"device\"}",
          ++seq, ts, i < 15 ? 5 : 2);
      publish ("kiosk", "kq", "event", rating);
    }
  const gint waits[] = { 60, 120, 300 };
  for (guint i = 0; i < G_N_ELEMENTS (waits); i++)
    {
      g_autofree gchar *called = g_strdup_printf (
          "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.called\",\"ticket\":\"A%03u\","
          "\"counter\":\"1\",\"wait_s\":%d}",
          i + 1, ts, i, waits[i]);
      publish ("desk", "dq", "event", called);
    }
  g_autofree gchar *status = g_strdup_printf (
      "{\"v\":1,\"seq\":4,\"ts\":%" G_GINT64_FORMAT ",\"counters_open\":2,\"waiting\":7}", ts);
  publish ("desk", "dq", "status", status);
  for (guint i = 0; i < QUEUE_SERVED; i++)
    {
      g_autofree gchar *done = g_strdup_printf (
          "{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"service.done\",\"ticket\":\"A%03u\","
          "\"counter\":\"1\",\"service_s\":240}",
          5 + i, ts, i);
      publish ("desk", "dq", "event", done);
    }
  g_assert_true (ioc_test_publisher_flush (fx.pub, 10 * G_USEC_PER_SEC));

  /* Bounded wait for ingestion (the live window's count), not for the
   * minute to close: then today must say the same at once. */
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  gint64 live = -1;
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (JsonNode) s = get_json ("/api/v1/summary?unit=" UNIT);
      live = path_int (s, "$.live.rating.ratings");
      if (live == N && path_int (s, "$.live.queue.issued") == N && path_int (s, "$.live.queue.called") == 3)
        break;
      g_usleep (50 * 1000);
    }
  g_assert_cmpint (live, ==, N);
  check_queue_today (TRUE);
}

/* The wall's queue tiles after a restart: a clean stop saves today's
 * totals in the snapshot (nothing is left in the journal to replay), and
 * the restarted hub serves the same figures, without the live window. */
static void
test_queue_today_restart (void)
{
  if (skip_unwired ())
    return;
  g_assert_true (ioc_test_hub_stop (fx.hub));
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_test_hub_start (fx.hub, &error));
  g_assert_no_error (error);
  check_queue_today (FALSE);
}

/* No [http] commune_map: 404 to a display token (the wall keeps its grid),
 * 401 without a token, as every read. */
static void
test_commune_map_absent (void)
{
  if (skip_unwired ())
    return;
  glong status = 0;
  g_autofree gchar *a = http ("GET", "/api/v1/commune-map", &as_display, &status);
  g_assert_cmpint (status, ==, 404);
  g_assert_nonnull (strstr (a, "commune_map"));
  g_autofree gchar *b = http ("GET", "/api/v1/commune-map", NULL, &status);
  g_assert_cmpint (status, ==, 401);
}

/* /api/v1/connectors in pages of one: following `next` lists every device
 * of the unpaged list once, in the same order; the totals are the whole
 * list's on every page; a limit out of range is a 400. */
static void
test_connectors_paged (void)
{
  if (skip_unwired ())
    return;
  g_autoptr (JsonNode) all = get_json ("/api/v1/connectors?limit=5000");
  JsonObject *ao = json_node_get_object (all);
  JsonArray *rows = json_object_get_array_member (ao, "connectors");
  guint n = json_array_get_length (rows);
  g_assert_cmpuint (n, >=, 3);
  g_assert_true (json_object_get_null_member (ao, "next"));
  g_assert_cmpint (path_int (all, "$.totals.connectors"), ==, n);
  g_autofree gchar *after = NULL;
  guint seen = 0;
  for (guint page = 0; page < n + 2; page++)
    {
      g_autofree gchar *escaped = after != NULL ? g_uri_escape_string (after, NULL, TRUE) : NULL;
      g_autofree gchar *url = g_strdup_printf ("/api/v1/connectors?limit=1%s%s", escaped ? "&after=" : "",
                                               escaped ? escaped : "");
      g_autoptr (JsonNode) got = get_json (url);
      JsonObject *o = json_node_get_object (got);
      JsonArray *one = json_object_get_array_member (o, "connectors");
      g_assert_cmpuint (json_array_get_length (one), ==, 1);
      g_assert_cmpint (path_int (got, "$.totals.connectors"), ==, n);
      JsonObject *want = json_array_get_object_element (rows, seen), *have = json_array_get_object_element (one, 0);
      g_assert_cmpstr (json_object_get_string_member (have, "kind"), ==, json_object_get_string_member (want, "kind"));
      g_assert_cmpstr (json_object_get_string_member (have, "device"), ==,
                       json_object_get_string_member (want, "device"));
      seen++;
      const gchar *next = json_object_get_string_member_with_default (o, "next", NULL);
      if (next == NULL)
        break;
      g_free (after);
      after = g_strdup (next);
    }
  g_assert_cmpuint (seen, ==, n);
  glong status = 0;
  g_autofree gchar *bad = http ("GET", "/api/v1/connectors?limit=0", &as_display, &status);
  g_assert_cmpint (status, ==, 400);
}

/* GET /api/v1/commune-map until its status is want (and, for a 200, the
 * body holds marker): a reload takes effect within seconds. */
static gboolean
wait_commune_map (glong want, const gchar *marker)
{
  for (guint i = 0; i < 100; i++)
    {
      glong status = 0;
      g_autofree gchar *body = http ("GET", "/api/v1/commune-map", &as_display, &status);
      if (status == want && (marker == NULL || strstr (body, marker) != NULL))
        return TRUE;
      g_usleep (100 * 1000);
    }
  return FALSE;
}

static void
write_commune_map (const gchar *path, const gchar *name)
{
  g_autofree gchar *geojson = g_strdup_printf (
      "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
      "{\"code\":\"" UNIT "\",\"name\":\"%s\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
      "[[[105.6,18.6],[105.7,18.6],[105.7,18.7],[105.6,18.6]]]}}]}",
      name);
  g_assert_true (g_file_set_contents (path, geojson, -1, NULL));
}

/* The communes' map follows the config on SIGHUP: added, replaced by a new
 * file's content, and removed again (the wall falls back to its grid). */
static void
test_commune_map_reload (void)
{
  if (skip_unwired ())
    return;
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-map-XXXXXX", NULL);
  g_autofree gchar *map = g_build_filename (dir, "communes.geojson", NULL);
  write_commune_map (map, "first-map");
  const gchar *path = ioc_test_hub_conf_path (fx.hub);
  g_autofree gchar *conf = NULL;
  g_assert_true (g_file_get_contents (path, &conf, NULL, NULL));
  g_autoptr (GString) with_map = g_string_new (conf);
  g_autofree gchar *line = g_strdup_printf ("operator_tokens = " OPERATOR "\ncommune_map = %s", map);
  g_assert_cmpuint (g_string_replace (with_map, "operator_tokens = " OPERATOR, line, 1), ==, 1);
  g_assert_true (g_file_set_contents (path, with_map->str, -1, NULL));
  ioc_test_hub_signal (fx.hub, SIGHUP);
  g_assert_true (wait_commune_map (200, "first-map"));

  write_commune_map (map, "second-map");
  ioc_test_hub_signal (fx.hub, SIGHUP);
  g_assert_true (wait_commune_map (200, "second-map"));

  g_assert_true (g_file_set_contents (path, conf, -1, NULL));
  ioc_test_hub_signal (fx.hub, SIGHUP);
  g_assert_true (wait_commune_map (404, NULL));
  g_unlink (map);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Keep going after a failed check, so the hub's log is printed at the end. */
  g_test_set_nonfatal_assertions ();
  curl_global_init (CURL_GLOBAL_DEFAULT);
  g_autoptr (GError) error = NULL;
  fx.broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autofree gchar *extra
      = g_strdup_printf ("[http]\ndisplay_tokens = " DISPLAY ", " DISPLAY_REVOKED
                         "\noperator_tokens = " OPERATOR "\ndashboard_dir = %s/dashboards/www\nseries_minutes = 10\n",
                         IOC_SOURCE_ROOT);
  fx.hub = ioc_test_hub_new (ioc_test_broker_url (fx.broker), NULL, extra, &error);
  g_assert_no_error (error);
  g_assert_true (ioc_test_hub_start (fx.hub, &error));
  g_assert_no_error (error);
  fx.pub = ioc_test_publisher_new (ioc_test_broker_url (fx.broker), "test-api-pub", &error);
  g_assert_no_error (error);
  fx.now_ms = g_get_real_time () / 1000;

  glong status = 0;
  g_autofree gchar *probe = http ("GET", "/api/v1/summary", &as_display, &status);
  fx.wired = status != 404;
  if (fx.wired)
    publish_day ();

  g_test_add_func ("/api/summary", test_summary);
  g_test_add_func ("/api/units", test_units);
  g_test_add_func ("/api/connectors-alerts-series", test_connectors_alerts_series);
  g_test_add_func ("/api/auth", test_auth);
  g_test_add_func ("/api/history-without-influx", test_history_without_influx);
  g_test_add_func ("/api/static", test_static);
  g_test_add_func ("/api/feed", test_feed);
  g_test_add_func ("/api/feed-delta", test_feed_delta);
  g_test_add_func ("/api/token-revoked", test_token_revoked);
  g_test_add_func ("/api/queue-today", test_queue_today);
  g_test_add_func ("/api/queue-today-restart", test_queue_today_restart);
  g_test_add_func ("/api/commune-map-absent", test_commune_map_absent);
  g_test_add_func ("/api/connectors-paged", test_connectors_paged);
  g_test_add_func ("/api/commune-map-reload", test_commune_map_reload);
  int rc = g_test_run ();

  ioc_test_publisher_free (fx.pub);
  ioc_test_hub_free (fx.hub);
  ioc_test_broker_free (fx.broker);
  curl_global_cleanup ();
  return rc;
}
