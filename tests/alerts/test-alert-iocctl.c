/* test-alert-iocctl.c — operators address alerts the way the wall shows
 * them (integration suite: a real mosquitto, iochub and the iocctl binary).
 *
 * desk-1 of xa-16681 goes offline → a dead-source alert fires.  Then, as an
 * operator types them: `iocctl alerts` lists it (id, rule, scope with the
 * unit's name, state, age, ack); `iocctl ack RULE/SCOPE` acknowledges it
 * and the list shows who; an unknown alert is exit 1 with a hint;
 * `iocctl silence --for 90` is refused with "90m" (and so is the API's
 * "duration": "90"); `--for 90m` silences, `iocctl silences` lists it and
 * `iocctl silences --delete` ends it.  Last, docs/API.md's field tables
 * for GET /api/v1/alerts and for the feed's alerts name exactly the
 * members the hub returns. */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/wait.h>

#include "alert-watch.h"
#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"

#define UNIT_NAME "Phường Thành Vinh" /* xa-16681 in ops/units/nghe-an.csv since 2025-07-01 */

typedef struct
{
  gint status;
  gchar *out, *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

/* iocctl ARGS… against the hub at port; IOCCTL_TOKEN unset. */
static Run
iocctl (guint port, const gchar *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup (IOCCTL_BIN));
  for (; *args != NULL; args++)
    g_ptr_array_add (argv, g_strdup (*args));
  g_ptr_array_add (argv, g_strdup_printf ("--url=http://127.0.0.1:%u", port));
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_environ_unsetenv (g_get_environ (), "IOCCTL_TOKEN");
  env = g_environ_setenv (env, "LC_ALL", "C.UTF-8", TRUE);
  Run r = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                               &r.status, &error));
  g_assert_no_error (error);
  r.status = WIFEXITED (r.status) ? WEXITSTATUS (r.status) : -1;
  g_autofree gchar *line = g_strjoinv (" ", (gchar **) argv->pdata);
  g_test_message ("%s → %d\n%s%s", line, r.status, r.out, r.err);
  return r;
}

#define IOCCTL(port, ...) iocctl ((port), (const gchar *const[]){ __VA_ARGS__, NULL })

static JsonNode *
get_json (guint port, const gchar *path, const gchar *token, const gchar *body, guint *status)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr (SoupMessage) msg = soup_message_new (body ? "POST" : "GET", url);
  g_autofree gchar *auth = g_strdup_printf ("Bearer %s", token);
  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", auth);
  if (body != NULL)
    {
      g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", b);
    }
  g_autoptr (GBytes) out = soup_session_send_and_read (session, msg, NULL, NULL);
  *status = soup_message_get_status (msg);
  g_autoptr (JsonParser) p = json_parser_new ();
  if (out == NULL || !json_parser_load_from_data (p, g_bytes_get_data (out, NULL), (gssize) g_bytes_get_size (out), NULL))
    return NULL;
  return json_node_copy (json_parser_get_root (p));
}

/* Field names of the first table after `after` in the `## heading`
 * section of docs/API.md, sorted, space-separated. */
static gchar *
documented_fields (const gchar *heading, const gchar *after)
{
  g_autofree gchar *path = g_build_filename (IOC_SOURCE_ROOT, "docs", "API.md", NULL);
  g_autofree gchar *doc = NULL;
  g_assert_true (g_file_get_contents (path, &doc, NULL, NULL));
  const gchar *sec = strstr (doc, heading);
  g_assert_nonnull (sec);
  const gchar *from = strstr (sec, after);
  g_assert_nonnull (from);
  const gchar *table = strstr (from, "\n| field |");
  g_assert_nonnull (table);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) rows = g_strsplit (table + 1, "\n", -1);
  for (guint i = 2; rows[i] != NULL && g_str_has_prefix (rows[i], "| `"); i++)
    {
      const gchar *name = rows[i] + 3;
      g_ptr_array_add (names, g_strndup (name, strcspn (name, "`")));
    }
  g_autoptr (GList) sorted = NULL;
  for (guint i = 0; i < names->len; i++)
    sorted = g_list_insert_sorted (sorted, names->pdata[i], (GCompareFunc) g_strcmp0);
  GString *s = g_string_new (NULL);
  for (GList *l = sorted; l != NULL; l = l->next)
    g_string_append_printf (s, "%s%s", s->len ? " " : "", (const gchar *) l->data);
  return g_string_free (s, FALSE);
}

static gchar *
object_members (JsonObject *o)
{
  g_autoptr (GList) members = json_object_get_members (o);
  members = g_list_sort (members, (GCompareFunc) g_strcmp0);
  GString *s = g_string_new (NULL);
  for (GList *l = members; l != NULL; l = l->next)
    g_string_append_printf (s, "%s%s", s->len ? " " : "", (const gchar *) l->data);
  return g_string_free (s, FALSE);
}

static void
test_operators_address_alerts (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestBroker) broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-alert-iocctl-XXXXXX", NULL);
  g_autofree gchar *extra = ioc_test_alerts_conf (dir,
                                                  "[rule connector-down]\nkind = dead_source\ncadence = 1h\nfor = 0s\n"
                                                  "source_kinds = desk\nsummary = Bàn một cửa mất kết nối\n"
                                                  "[rule kiosk-down]\nkind = dead_source\ncadence = 1h\nfor = 1h\n"
                                                  "source_kinds = kiosk\nsummary = Kiosk mất kết nối\n",
                                                  FALSE, "[http]\ndisplay_tokens = disp\noperator_tokens = op\n");
  g_autoptr (IocTestHub) hub = ioc_test_hub_new_started (ioc_test_broker_url (broker), NULL, extra);
  g_assert_nonnull (hub);
  guint port = ioc_test_hub_http_port (hub);

  g_autoptr (IocTestPublisher) pub = ioc_test_publisher_new (ioc_test_broker_url (broker), "iocctl-desk", &error);
  g_assert_no_error (error);
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/desk/desk-1/state", "offline", TRUE);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_USEC_PER_SEC));

  /* iocctl alerts: the alert as the wall shows it. */
  Run r = { 0 };
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do
    {
      run_clear (&r);
      r = IOCCTL (port, "alerts", "--token", "disp");
    }
  while (strstr (r.out, "connector-down") == NULL && g_get_monotonic_time () < end);
  g_assert_cmpint (r.status, ==, 0);
  g_auto (GStrv) lines = g_strsplit (r.out, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "ID"));
  g_assert_nonnull (strstr (lines[0], "RULE"));
  g_assert_nonnull (strstr (lines[0], "SCOPE"));
  g_assert_nonnull (strstr (lines[0], "STATE"));
  g_assert_nonnull (strstr (lines[0], "AGE"));
  g_assert_nonnull (strstr (lines[0], "ACK"));
  g_assert_true (g_regex_match_simple ("^[0-9]+ +connector-down +desk/desk-1 \\(xa-16681 " UNIT_NAME
                                       "\\) +firing +[0-9]+ s +-$",
                                       lines[1], 0, 0));
  g_autofree gchar *id = g_strndup (lines[1], strcspn (lines[1], " "));
  run_clear (&r);
  /* A read needs a token on this hub: the refusal says which. */
  r = IOCCTL (port, "alerts");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "HTTP 401"));
  g_assert_nonnull (strstr (r.err, "display token"));
  run_clear (&r);

  /* iocctl ack RULE/SCOPE, as the wall and the topic show it. */
  r = IOCCTL (port, "ack", "connector-down/desk/desk-1", "--by", "Lê Văn Cường", "--note", "gọi xã", "--token", "op");
  g_assert_cmpint (r.status, ==, 0);
  g_autofree gchar *acked = g_strdup_printf ("alert %s (connector-down/desk/desk-1): acknowledged by Lê Văn Cường\n", id);
  g_assert_cmpstr (r.out, ==, acked);
  run_clear (&r);
  r = IOCCTL (port, "alerts", "--token", "op"); /* an operator token reads too */
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_regex_match_simple ("connector-down +desk/desk-1 .* firing +[0-9]+ s +Lê Văn Cường\n", r.out, 0, 0));
  run_clear (&r);
  /* By id too; an alert that is not there is exit 1 and says where to look. */
  r = IOCCTL (port, "ack", id, "--by", "Bình", "--token", "op");
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = IOCCTL (port, "ack", "connector-down/desk/desk-9", "--token", "op");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "no pending or firing alert"));
  g_assert_nonnull (strstr (r.err, "iocctl alerts"));
  run_clear (&r);

  /* A duration without a unit: refused, with the likely meaning. */
  r = IOCCTL (port, "silence", "--rule", "connector-down", "--for", "90", "--token", "op");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "did you mean 90m?"));
  run_clear (&r);
  guint status = 0;
  g_autoptr (JsonNode) refused = get_json (port, "/api/v1/silences", "op",
                                           "{\"rule\":\"x\",\"duration\":\"90\",\"by\":\"t\"}", &status);
  g_assert_cmpuint (status, ==, 400);
  g_assert_nonnull (strstr (json_object_get_string_member (json_node_get_object (refused), "error"), "90m"));
  r = IOCCTL (port, "silence", "--rule", "connector-down", "--scope", "desk/*", "--for", "90m", "--note", "bảo trì",
              "--by", "Bình", "--token", "op");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "silence s1: rule connector-down scope desk/* for 90m"));
  run_clear (&r);
  r = IOCCTL (port, "silences", "--token", "disp");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_regex_match_simple ("^ID +RULE +SCOPE +ENDS IN +BY +COMMENT\ns1 +connector-down +desk/\\* +(89|90) min +"
                                       "Bình +bảo trì\n$",
                                       r.out, 0, 0));
  run_clear (&r);
  r = IOCCTL (port, "alerts", "--token", "disp");
  g_assert_nonnull (strstr (r.out, "firing (silenced)"));
  run_clear (&r);
  r = IOCCTL (port, "silences", "--delete", "s1", "--token", "disp"); /* a display token may not */
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "HTTP 403"));
  run_clear (&r);
  r = IOCCTL (port, "silences", "--delete", "s1", "--token", "op");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "silence s1: deleted\n");
  run_clear (&r);
  r = IOCCTL (port, "silences", "--token", "disp");
  g_assert_cmpstr (r.out, ==, "no active silences\n");
  run_clear (&r);

  /* docs/API.md lists exactly what the API returns, for GET and the feed. */
  g_autoptr (JsonNode) list = get_json (port, "/api/v1/alerts", "disp", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  JsonArray *alerts = json_object_get_array_member (json_node_get_object (list), "alerts");
  g_assert_cmpuint (json_array_get_length (alerts), ==, 1);
  JsonObject *a = json_array_get_object_element (alerts, 0);
  g_assert_cmpstr (json_object_get_string_member (a, "unit"), ==, "xa-16681");
  g_assert_cmpstr (json_object_get_string_member (a, "unit_name"), ==, UNIT_NAME);
  g_autofree gchar *got = object_members (a);
  g_autofree gchar *doc = documented_fields ("## `GET /api/v1/alerts`", "Each alert:");
  g_assert_cmpstr (got, ==, doc);
  g_autoptr (JsonNode) snap = ioc_alert_feed_snapshot (port, "disp");
  JsonArray *feed_alerts = json_object_get_array_member (json_node_get_object (snap), "alerts");
  g_assert_cmpuint (json_array_get_length (feed_alerts), ==, 1);
  JsonObject *fa = json_array_get_object_element (feed_alerts, 0);
  g_assert_cmpstr (json_object_get_string_member (fa, "unit_name"), ==, UNIT_NAME);
  g_autofree gchar *feed_got = object_members (fa);
  g_autofree gchar *feed_doc = documented_fields ("## `GET /api/v1/alerts`", "in a shorter form");
  g_assert_cmpstr (feed_got, ==, feed_doc);

  /* A kiosk goes quiet later: its alert is newer and only pending, so
   * iocctl lists it after the firing one, as the wall does. */
  ioc_test_publisher_send (pub, "ioc/v1/40/xa-16681/kiosk/kiosk-1/state", "offline", TRUE);
  g_assert_true (ioc_test_publisher_flush (pub, 10 * G_USEC_PER_SEC));
  end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do
    {
      run_clear (&r);
      r = IOCCTL (port, "alerts", "--token", "disp");
    }
  while (strstr (r.out, "kiosk-down") == NULL && g_get_monotonic_time () < end);
  g_assert_cmpint (r.status, ==, 0);
  const gchar *firing = strstr (r.out, "connector-down"), *pending = strstr (r.out, "kiosk-down");
  g_assert_nonnull (pending);
  g_assert_true (g_regex_match_simple ("kiosk-down +kiosk/kiosk-1 .* pending ", r.out, 0, 0));
  g_assert_nonnull (firing);
  if (firing > pending)
    g_error ("a pending alert listed before a firing one:\n%s", r.out);
  run_clear (&r);

  g_assert_true (ioc_test_hub_stop (hub));
  ioc_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-iocctl/operators-address-alerts", test_operators_address_alerts);
  return g_test_run ();
}
