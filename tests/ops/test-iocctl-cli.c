/* test-iocctl-cli.c — the iocctl binary as scripts use it: exit status,
 * human and --json output of validate, dry-run and broker-config, on the
 * shipped ops/ configs and the fixtures.  Spawns iocctl only (no broker). */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#define FIXTURES IOC_SOURCE_ROOT "/tests/ops/fixtures"
#define HUB_CONF IOC_SOURCE_ROOT "/ops/hub.conf"

/* Runs iocctl with args in cwd (NULL: ours); returns its exit status,
 * (transfer full) stdout and, if err is not NULL, stderr. */
static gint
run_va (const gchar *cwd, gchar **out, gchar **err_out, va_list ap)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) IOCCTL_BIN);
  const gchar *a;
  while ((a = va_arg (ap, const gchar *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *err = NULL;
  gint status;
  g_assert_true (g_spawn_sync (cwd, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status,
                               &error));
  g_assert_no_error (error);
  g_test_message ("stdout: %s\nstderr: %s", *out, err);
  g_assert_true (WIFEXITED (status));
  if (err_out != NULL)
    *err_out = g_steal_pointer (&err);
  return WEXITSTATUS (status);
}

static gint
run (gchar **out, ...)
{
  va_list ap;
  va_start (ap, out);
  gint status = run_va (NULL, out, NULL, ap);
  va_end (ap);
  return status;
}

static gint
run_in (const gchar *cwd, gchar **out, gchar **err, ...)
{
  va_list ap;
  va_start (ap, err);
  gint status = run_va (cwd, out, err, ap);
  va_end (ap);
  return status;
}

static JsonObject *
parse_object (JsonParser *p, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (json_parser_load_from_data (p, text, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (p));
}

static void
test_validate_shipped (void)
{
  g_autofree gchar *out = NULL;
  g_assert_cmpint (run (&out, "validate", "--config", HUB_CONF, "--connectors", FIXTURES "/connectors-inventory", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "valid: 0 error(s)"));
  g_autofree gchar *json = NULL;
  g_assert_cmpint (run (&json, "validate", "--config", HUB_CONF, "--json", NULL), ==, 0);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = parse_object (p, json);
  g_assert_true (json_object_get_boolean_member (o, "ok"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "checked")), >=, 4);
}

static void
test_validate_errors (void)
{
  g_autofree gchar *json = NULL;
  g_assert_cmpint (run (&json, "validate", "--config", HUB_CONF, "--connectors", FIXTURES "/connectors-bad", "--json",
                        NULL), ==, 1);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = parse_object (p, json);
  g_assert_false (json_object_get_boolean_member (o, "ok"));
  JsonArray *errors = json_object_get_array_member (o, "errors");
  /* all of them, not the first: 7 against the hub and the registry, and the
   * 4 files whose kind's own group is missing (judged by the connector
   * library linked into iocctl) */
  g_assert_cmpuint (json_array_get_length (errors), ==, 11);
  g_autoptr (GString) all = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (errors); i++)
    g_string_append_printf (all, "%s\n", json_array_get_string_element (errors, i));
  g_assert_nonnull (strstr (all->str, "e-syntax.conf:1:"));                      /* the line */
  g_assert_nonnull (strstr (all->str, "c-dup.conf: [kiosk]: expected the group of kind kiosk"));
  g_assert_nonnull (strstr (all->str, "f-other-province.conf: [connector] province: expected the hub's province 40"));
  g_assert_nonnull (strstr (all->str, "g-unknown-unit.conf: [connector] unit: expected a unit of the registry"));
  /* a code the 2025 merge retired names its end and its successor */
  g_assert_nonnull (strstr (all->str, "h-retired-unit.conf: [connector] unit: xa-16717 ended 2025-06-30; its successor "
                                      "is xa-16732 (Phường Cửa Lò)"));

  /* A hub config with a typo'd value names the file and key. */
  g_autofree gchar *dir = g_dir_make_tmp ("iocctl-cli-XXXXXX", NULL);
  g_autofree gchar *conf = g_build_filename (dir, "hub.conf", NULL);
  g_assert_true (g_file_set_contents (conf, "[hub]\nprovince = 4O\nunits = nope.csv\nstate_dir = /tmp\n"
                                            "[mqtt]\nclient_id = x\n", -1, NULL));
  g_autofree gchar *out = NULL;
  g_assert_cmpint (run (&out, "validate", "--config", conf, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "hub.conf"));
  g_assert_nonnull (strstr (out, "INVALID"));

  /* A hub config without [hub] calendar is valid: the hub starts on a
   * weekends-only calendar, and validate warns as the hub does (it used to
   * crash here). */
  g_autofree gchar *units = g_build_filename (IOC_SOURCE_ROOT, "ops", "units", "nghe-an.csv", NULL);
  g_autofree gchar *minimal = g_strdup_printf ("[hub]\nprovince = 40\nunits = %s\nstate_dir = /tmp\n"
                                               "[mqtt]\nclient_id = x\n", units);
  g_assert_true (g_file_set_contents (conf, minimal, -1, NULL));
  g_autofree gchar *out2 = NULL;
  g_assert_cmpint (run (&out2, "validate", "--config", conf, NULL), ==, 0);
  g_test_message ("%s", out2);
  g_assert_nonnull (strstr (out2, "[hub] calendar is empty: deadlines skip weekends but no public holidays"));
  g_assert_nonnull (strstr (out2, "valid: 0 error(s), 1 warning(s)"));
  g_unlink (conf);
  g_rmdir (dir);
}

/* The kind's own group is judged too, without ioc-connector installed. */
static void
test_validate_with_connector (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("iocctl-cli-XXXXXX", NULL);
  g_autofree gchar *conf = g_build_filename (dir, "desk-x.conf", NULL);
  g_assert_true (g_file_set_contents (conf, "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\n"
                                            "device = dx\nstate_dir = /tmp/nonexistent-iocctl\n"
                                            "[mqtt]\nusername = u\npassword = p\n[desk]\n", -1, NULL));
  g_autofree gchar *out = NULL;
  g_assert_cmpint (run (&out, "validate", "--connectors", dir, NULL), ==, 1);
  g_assert_true (strstr (out, "error  ") && strstr (out, "desk-x.conf: [desk]"));
  g_autofree gchar *good = NULL;
  g_assert_cmpint (run (&good, "validate", "--connectors", IOC_SOURCE_ROOT "/ops/connectors", NULL), ==, 0);
  g_unlink (conf);
  g_rmdir (dir);
}

static void
test_usage (void)
{
  g_autofree gchar *out = NULL;
  g_assert_cmpint (run (&out, "frobnicate", NULL), ==, 2);
  g_autofree gchar *out2 = NULL;
  g_assert_cmpint (run (&out2, "validate", NULL), ==, 2);
  g_autofree gchar *out3 = NULL;
  g_assert_cmpint (run (&out3, "broker-config", "--connectors", FIXTURES "/connectors-bad", "--out", "/nonexistent/x",
                        NULL), ==, 1); /* errors found: nothing written */
}

/* The short form (TOPIC PAYLOAD): each message's fate and what it costs. */
static void
test_dry_run_short_form (void)
{
  g_autofree gchar *out = NULL;
  g_assert_cmpint (run (&out, "dry-run", "--config", HUB_CONF, FIXTURES "/samples.txt", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "samples.txt:2  accepted   ioc/v1/40/xa-16681/kiosk/kiosk-b1/event\n"));
  g_assert_nonnull (strstr (out, "samples.txt:3  duplicate  ioc/v1/40/xa-16681/kiosk/kiosk-b1/event\n"));
  g_assert_nonnull (strstr (out, "samples.txt:4  deadletter ioc/v1/40/xa-99999/kiosk/kiosk-b1/event  unknown_unit: "));
  g_assert_nonnull (strstr (out, "samples.txt:5  deadletter ioc/v1/40/xa-16681/kiosk/kiosk-b1/event  out_of_range: "
                                 "level: 6 is above scale 5\n"));
  g_assert_nonnull (strstr (out, "samples.txt:6  deadletter ioc/v1/40/xa-16681/kiosk/kiosk-b1/event  bad_json: "));
  g_assert_nonnull (strstr (out, "  publish ioc/v1/40/deadletter/bad_json  {\"reason\":\"bad_json\""));
  g_assert_nonnull (strstr (out, "5 message(s): 1 accepted, 3 dead-lettered, 1 duplicate(s); published 0 alert "
                                 "update(s), 3 dead letter(s); 4 line(s) for InfluxDB\n"));
}

/* A queue minute, a bad message, a police unit's dossier going overdue
 * (fixtures/dry-run): every line the hub would publish and write, exactly,
 * in the events' time. */
static void
test_dry_run_exact (void)
{
  const gchar *dir = FIXTURES "/dry-run";
  g_autofree gchar *out = NULL;
  g_assert_cmpint (run_in (dir, &out, NULL, "dry-run", "--config", "hub.conf", "--until", "2026-03-02T08:05:00+07:00",
                           "samples.jsonl", NULL), ==, 1);
  g_autofree gchar *expected = NULL;
  g_assert_true (g_file_get_contents (FIXTURES "/dry-run/expected.txt", &expected, NULL, NULL));
  g_auto (GStrv) got_lines = g_strsplit (out, "\n", -1);
  g_auto (GStrv) want_lines = g_strsplit (expected, "\n", -1);
  for (guint i = 0; want_lines[i] != NULL && got_lines[i] != NULL; i++)
    g_assert_cmpstr (got_lines[i], ==, want_lines[i]);
  g_assert_cmpuint (g_strv_length (got_lines), ==, g_strv_length (want_lines));

  /* The same run for scripts: one JSON object per line. */
  g_autofree gchar *json = NULL;
  g_assert_cmpint (run_in (dir, &json, NULL, "dry-run", "--json", "--config", "hub.conf", "--until",
                           "2026-03-02T08:05:00+07:00", "samples.jsonl", NULL), ==, 1);
  g_auto (GStrv) lines = g_strsplit (g_strstrip (json), "\n", -1);
  guint writes = 0, messages = 0;
  gboolean alert = FALSE, deadletter = FALSE;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      JsonObject *o = parse_object (p, lines[i]);
      const gchar *what = json_object_get_string_member (o, "what");
      if (g_str_equal (what, "write"))
        writes++;
      else if (g_str_equal (what, "message"))
        {
          messages++;
          if (json_object_get_int_member (o, "line") == 10)
            {
              g_assert_cmpstr (json_object_get_string_member (o, "decision"), ==, "deadletter");
              g_assert_cmpstr (json_object_get_string_member (o, "reason"), ==, "out_of_range");
              g_assert_cmpstr (json_object_get_string_member (o, "detail"), ==, "level: 6 is above scale 5");
            }
        }
      else if (g_str_equal (what, "publish"))
        {
          JsonObject *payload = json_object_get_object_member (o, "payload");
          const gchar *topic = json_object_get_string_member (o, "topic");
          if (g_str_has_prefix (topic, "ioc/v1/40/alerts/"))
            {
              alert = TRUE;
              g_assert_cmpstr (topic, ==, "ioc/v1/40/alerts/zero-tolerance-police/ca-16681/H40.1-260302-0001");
              g_assert_true (json_object_get_boolean_member (o, "retained"));
              g_assert_cmpstr (json_object_get_string_member (payload, "state"), ==, "firing");
              g_assert_cmpstr (json_object_get_string_member (o, "at"), ==, "2026-03-02T08:03:01.000+07:00");
            }
          else
            {
              deadletter = TRUE;
              g_assert_cmpstr (topic, ==, "ioc/v1/40/deadletter/out_of_range");
              g_assert_cmpstr (json_object_get_string_member (payload, "received_at"), ==, "2026-03-02T01:00:40Z");
            }
        }
      else
        {
          g_assert_cmpstr (what, ==, "summary");
          g_assert_null (lines[i + 1]);
          g_assert_cmpint (json_object_get_int_member (o, "lines"), ==, 22);
          g_assert_cmpint (json_object_get_int_member (o, "duplicates"), ==, 1);
        }
    }
  g_assert_cmpuint (writes, ==, 22);
  g_assert_cmpuint (messages, ==, 7);
  g_assert_true (alert && deadletter);
}

/* A sample file it cannot use: FILE:LINE and what is expected, exit 2. */
static void
test_dry_run_bad_samples (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("iocctl-dry-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree gchar *path = g_build_filename (dir, "bad.jsonl", NULL);
  g_assert_true (g_file_set_contents (path, "# one good, one without a topic\n"
                                      "{\"topic\":\"ioc/v1/40/xa-16681/kiosk/k/state\",\"payload\":\"online\","
                                      "\"received\":1772413200000}\n"
                                      "{\"payload\":{\"v\":1}}\n", -1, NULL));
  g_autofree gchar *out = NULL, *err = NULL;
  g_assert_cmpint (run_in (dir, &out, &err, "dry-run", "--config", HUB_CONF, "bad.jsonl", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "bad.jsonl:3: topic: expected the MQTT topic"));
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_file_set_contents (path, "{\"topic\":\"ioc/v1/40/xa-16681/kiosk/k/state\",\"payload\":\"online\"}\n",
                                      -1, NULL));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_in (dir, &out, &err, "dry-run", "--config", HUB_CONF, "bad.jsonl", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "bad.jsonl:1: received: expected a time"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_broker_config_generated_password (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("iocctl-cli-XXXXXX", NULL);
  g_autofree gchar *out = NULL;
  g_assert_cmpint (run (&out, "broker-config", "--connectors", FIXTURES "/connectors-inventory", "--out", dir, "--hub-user",
                        "iochub", NULL), ==, 0);
  g_autofree gchar *pw_path = g_build_filename (dir, "hub.password", NULL);
  g_autofree gchar *pw = NULL;
  g_assert_true (g_file_get_contents (pw_path, &pw, NULL, NULL));
  g_assert_cmpuint (strlen (g_strstrip (pw)), >=, 20);
  GStatBuf st;
  g_assert_cmpint (g_stat (pw_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  const gchar *names[] = { "hub.password", "passwd", "acl", "iochub-security.conf" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree gchar *f = g_build_filename (dir, names[i], NULL);
      g_assert_cmpint (g_unlink (f), ==, 0);
    }
  g_rmdir (dir);
}

/* The shipped tree is one consistent inventory: the hub config, its files
 * and the example connectors validate without a warning, and the broker's
 * security files can be made from them as they are. */
static void
test_shipped_tree (void)
{
  g_autofree gchar *out = NULL;
  g_assert_cmpint (run (&out, "validate", "--config", IOC_SOURCE_ROOT "/ops/hub.conf", "--connectors",
                        IOC_SOURCE_ROOT "/ops/connectors", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "valid: 0 error(s), 0 warning(s)"));
  g_autofree gchar *dir = g_dir_make_tmp ("iocctl-cli-XXXXXX", NULL);
  g_autofree gchar *made = NULL;
  g_assert_cmpint (run (&made, "broker-config", "--connectors", IOC_SOURCE_ROOT "/ops/connectors", "--config",
                        IOC_SOURCE_ROOT "/ops/hub.conf", "--out", dir, NULL), ==, 0);
  g_autofree gchar *passwd_path = g_build_filename (dir, "passwd", NULL);
  g_autofree gchar *passwd = NULL;
  g_assert_true (g_file_get_contents (passwd_path, &passwd, NULL, NULL));
  g_auto (GStrv) users = g_strsplit (g_strstrip (passwd), "\n", -1);
  g_assert_cmpuint (g_strv_length (users), ==, 5); /* one account per example connector */
  const gchar *names[] = { "passwd", "acl", "iochub-security.conf" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree gchar *f = g_build_filename (dir, names[i], NULL);
      g_assert_cmpint (g_unlink (f), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* A stand-in for the hub's HTTP API, answering with the shapes of
 * hub/api/api-v1.c and hub/alerts/alert-api.c, recording what it got. */
typedef struct
{
  SoupServer *server;
  guint port;
  gboolean all_online;
  GString *requests; /* "METHOD PATH AUTH BODY\n" per request */
} FakeHub;

static void
fake_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  FakeHub *f = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const gchar *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  g_string_append_printf (f->requests, "%s %s %s %.*s\n", soup_server_message_get_method (msg), path,
                          auth ? auth : "-", (int) body->length, body->data ? body->data : "");
  const gchar *reply = "{\"error\":\"no such resource\"}";
  guint status = 404;
  if (g_str_equal (path, "/api/v1/connectors"))
    {
      status = 200;
      reply = f->all_online
        ? "{\"now_ms\":1,\"connectors\":[{\"kind\":\"desk\",\"device\":\"desk-a1\",\"unit\":\"xa-16681\","
          "\"state\":\"online\",\"declared\":true,\"reporting\":true,\"last_seen_ms\":1,\"age_s\":1.5,"
          "\"last_seq\":10,\"missing\":0,\"duplicates\":0,\"deadletters\":2,\"last_reject_reason\":null}]}"
        : "{\"now_ms\":1,\"connectors\":[{\"kind\":\"desk\",\"device\":\"desk-a1\",\"unit\":\"xa-16681\","
          "\"state\":\"online\",\"declared\":true,\"reporting\":true,\"last_seen_ms\":1,\"age_s\":1.5,"
          "\"last_seq\":10,\"missing\":0,\"duplicates\":0,\"deadletters\":2,\"last_reject_reason\":null},"
          "{\"kind\":\"kiosk\",\"device\":\"kiosk-b1\",\"unit\":\"xa-16690\",\"state\":\"offline\","
          "\"declared\":true,\"reporting\":false,\"last_seen_ms\":null,\"age_s\":null,\"last_seq\":0,"
          "\"missing\":3,\"duplicates\":0,\"deadletters\":0,\"last_reject_reason\":null}]}";
    }
  else if (g_str_equal (path, "/api/v1/alerts/a-1/ack"))
    status = 200, reply = "[]";
  else if (g_str_equal (path, "/api/v1/silences"))
    status = 201, reply = "{\"id\":\"s-1\"}";
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, reply, strlen (reply));
  soup_server_message_set_status (msg, status, NULL);
}

static void
fake_start (FakeHub *f)
{
  g_autoptr (GError) error = NULL;
  f->server = soup_server_new (NULL, NULL);
  f->requests = g_string_new (NULL);
  soup_server_add_handler (f->server, NULL, fake_cb, f, NULL);
  g_assert_true (soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  GSList *uris = soup_server_get_uris (f->server);
  f->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
fake_stop (FakeHub *f)
{
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_string_free (f->requests, TRUE);
}

static void
exited_cb (GObject *src, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  gchar **out = user_data;
  g_assert_true (g_subprocess_communicate_utf8_finish (G_SUBPROCESS (src), res, out, NULL, &error));
  g_assert_no_error (error);
}

/* Runs iocctl while the main context serves the fake hub. */
static gint
run_async (gchar **out, const gchar *const *args)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_newv (args, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  *out = NULL;
  g_subprocess_communicate_utf8_async (p, NULL, NULL, exited_cb, out);
  while (*out == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_wait (p, NULL, NULL);
  g_test_message ("%s", *out);
  return g_subprocess_get_exit_status (p);
}

static void
test_http_commands (void)
{
  FakeHub f = { 0 };
  fake_start (&f);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", f.port);

  /* One declared connector offline, one the hub never heard of: exit 1. */
  const gchar *list[] = { IOCCTL_BIN, "connectors", "--url", url, "--connectors", FIXTURES "/connectors-inventory", NULL };
  g_autofree gchar *out = NULL;
  g_assert_cmpint (run_async (&out, list), ==, 1);
  g_assert_nonnull (strstr (out, "desk-a1"));
  g_assert_true (strstr (out, "kiosk-b1") && strstr (out, "offline"));
  g_assert_true (strstr (out, "portal-dvc") && strstr (out, "unknown to the hub"));
  g_assert_nonnull (strstr (out, "2 connector(s) down"));

  f.all_online = TRUE;
  const gchar *one[] = { IOCCTL_BIN, "connectors", "--url", url, "--json", NULL };
  g_autofree gchar *json = NULL;
  g_assert_cmpint (run_async (&json, one), ==, 0);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = parse_object (p, json);
  g_assert_cmpstr (json_object_get_string_member (o, "source"), ==, "api");
  g_assert_cmpint (json_object_get_int_member (o, "down"), ==, 0);

  const gchar *ack[] = { IOCCTL_BIN, "ack", "a-1", "--url", url, "--token", "op", "--by", "lan", "--note", "on it", NULL };
  g_autofree gchar *ack_out = NULL;
  g_assert_cmpint (run_async (&ack_out, ack), ==, 0);
  g_assert_nonnull (strstr (f.requests->str, "POST /api/v1/alerts/a-1/ack Bearer op {\"by\":\"lan\",\"note\":\"on it\"}"));
  const gchar *silence[] = { IOCCTL_BIN, "silence", "--url", url, "--token", "op", "--by", "lan", "--rule", "dead_*",
                             "--scope", "xa-16681", "--for", "2h", NULL };
  g_autofree gchar *s_out = NULL;
  g_assert_cmpint (run_async (&s_out, silence), ==, 0);
  g_assert_nonnull (strstr (f.requests->str, "POST /api/v1/silences Bearer op {\"rule\":\"dead_*\",\"scope\":\"xa-16681\","
                                             "\"duration\":\"2h\",\"by\":\"lan\"}"));
  const gchar *unknown[] = { IOCCTL_BIN, "ack", "a-2", "--url", url, "--token", "op", NULL };
  g_autofree gchar *u_out = NULL;
  g_assert_cmpint (run_async (&u_out, unknown), ==, 1);
  fake_stop (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/iocctl-cli/validate-shipped", test_validate_shipped);
  g_test_add_func ("/iocctl-cli/validate-errors", test_validate_errors);
  g_test_add_func ("/iocctl-cli/shipped-tree", test_shipped_tree);
  g_test_add_func ("/iocctl-cli/validate-with-connector", test_validate_with_connector);
  g_test_add_func ("/iocctl-cli/usage", test_usage);
  g_test_add_func ("/iocctl-cli/dry-run-short-form", test_dry_run_short_form);
  g_test_add_func ("/iocctl-cli/dry-run-exact", test_dry_run_exact);
  g_test_add_func ("/iocctl-cli/dry-run-bad-samples", test_dry_run_bad_samples);
  g_test_add_func ("/iocctl-cli/broker-config-generated-password", test_broker_config_generated_password);
  g_test_add_func ("/iocctl-cli/http-commands", test_http_commands);
  return g_test_run ();
}
