/* test-hub-config.c — hub.conf: defaults, and one precise error per kind of
 * mistake the ops team makes. */
#include <glib/gstdio.h>
#include <string.h>

#include "hub-config.h"

static gchar *
write_conf (const gchar *dir, const gchar *text)
{
  gchar *path = g_build_filename (dir, "hub.conf", NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
test_defaults (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-conf-XXXXXX", NULL);
  g_autofree gchar *path = write_conf (dir, "[hub]\nprovince = 40\nunits = units.csv\nstate_dir = /var/lib/iochub\n"
                                            "[mqtt]\nclient_id = iochub-1\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (IocHubConfig) c = ioc_hub_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->province, ==, "40");
  g_assert_cmpstr (c->hub_id, ==, "iochub-1");
  g_assert_cmpstr (c->mqtt_url, ==, "tcp://127.0.0.1:1883");
  g_assert_cmpint (c->mqtt_qos, ==, 2);
  g_assert_cmpint (c->mqtt_sessions, ==, 4);
  g_assert_cmpint (c->mqtt_protocol, ==, 5);
  g_assert_cmpint (c->mqtt_receive_maximum, ==, 1);
  g_assert_null (c->influx_url);
  g_assert_cmpstr (c->influx_database, ==, "ioc");
  g_assert_cmpstr (c->http_listen, ==, "127.0.0.1:8080");
  g_assert_cmpint (c->http_header_timeout_us, ==, 10 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (c->http_idle_timeout_us, ==, 60 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (c->http_max_connections, ==, 512);
  g_assert_cmpint (c->http_max_per_client, ==, 64);
  g_assert_cmpint (c->http_max_feed_clients, ==, 100);
  g_assert_cmpint (c->http_fd_reserve, ==, 128);
  g_assert_cmpuint (c->http_max_body, ==, 64 * 1024);
  g_assert_cmpint (c->http_series_minutes, ==, 1440);
  g_assert_cmpint (c->lateness_us, ==, 10 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (c->live_window_us, ==, 10 * G_TIME_SPAN_SECOND);
  /* Relative paths are relative to the config file. */
  g_autofree gchar *units = g_build_filename (dir, "units.csv", NULL);
  g_assert_cmpstr (c->units_path, ==, units);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_errors (void)
{
  static const struct
  {
    const gchar *text;
    const gchar *want;
  } cases[] = {
    { "[hub]\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\n", "[hub] province: required key is missing" },
    { "[hub]\nprovince=4\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\n", "[hub] province: expected a 2-digit province code" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\n", "[mqtt] client_id: required key is missing" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\nqos=3\n", "[mqtt] qos: expected an integer from 1 to 2, got '3'" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\nurl=http://x\n", ":7: [mqtt] url: expected a URL tcp://HOST:PORT" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\nurl=tcp://127.0.0.1:notaport\n",
      ":7: [mqtt] url: expected a URL tcp://HOST:PORT, ssl://HOST:PORT, mqtt://HOST:PORT or mqtts://HOST:PORT with PORT a number in 1-65535, got 'tcp://127.0.0.1:notaport'" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\nurl=tcp://127.0.0.1:70000\n", "[mqtt] url: expected a URL" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\nprotocol=3\n", "[mqtt] protocol: expected 5 or 3.1.1, got '3'" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\nsessions=0\n", "[mqtt] sessions: expected an integer from 1 to 64, got '0'" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\n[influx]\nurl=ftp://x\n", ":8: [influx] url: expected a URL http://HOST:PORT or https://HOST:PORT" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\n[windows]\nlateness=soon\n", "[windows] lateness: expected a duration" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\nstatedir=t\n[mqtt]\nclient_id=a\n", "[hub] statedir: unknown key" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\n[influxdb]\n", "[influxdb]: unknown group" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\nid=hub one\n[mqtt]\nclient_id=a\n", "[hub] id: expected letters" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\nscorecard=a\\nb.conf\n[mqtt]\nclient_id=a\n",
      ":5: [hub] scorecard: expected no control characters, got 'a\\nb.conf'" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=  # where?\n[mqtt]\nclient_id=a\n",
      ":4: [hub] state_dir: expected a value, got nothing" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\nforget_devices_after=1h\n[mqtt]\nclient_id=a\n",
      ":5: [hub] forget_devices_after: expected 0 (never) or a duration of at least 1d" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\nremember_dropped_dossiers=2h\n[mqtt]\nclient_id=a\n",
      ":5: [hub] remember_dropped_dossiers: expected 0 (not at all) or a duration of at least 1d" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\nkeep_finished_dossiers=10s\n[mqtt]\nclient_id=a\n",
      "[hub] keep_finished_dossiers: expected a duration" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\n[http]\nidle_timeout=5s\n", "[http] idle_timeout: expected" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\n[http]\nmax_connections=100\nmax_feed_clients=100\n",
      "[http] max_feed_clients: expected fewer than max_connections (100)" },
    { "[hub]\nprovince=40\nunits=u\nstate_dir=s\n[mqtt]\nclient_id=a\n[http]\nseries_minutes=2000\n",
      "[http] series_minutes" },
  };
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-conf-XXXXXX", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *path = write_conf (dir, cases[i].text);
      g_autoptr (GError) error = NULL;
      g_autoptr (IocHubConfig) c = ioc_hub_config_load (path, &error);
      g_assert_null (c);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].want) == NULL || strstr (error->message, path) == NULL)
        g_error ("case %u: got '%s', want '%s' with the path", i, error->message, cases[i].want);
      g_unlink (path);
    }
  g_rmdir (dir);
}

/* [hub] scorecard: absent → none; relative to hub.conf; loaded and
 * validated with it, every problem of the scorecard file listed. */
static void
test_scorecard (void)
{
  static const gchar base[] = "[hub]\nprovince = 40\nunits = units.csv\nstate_dir = s\n[mqtt]\nclient_id = a\n";
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-conf-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_conf (dir, base);
  g_autoptr (IocHubConfig) none = ioc_hub_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_null (none->scorecard_path);
  g_assert_null (none->scorecard);

  g_autofree gchar *shipped = g_build_filename (IOC_SOURCE_ROOT, "ops", "score-766.conf", NULL);
  g_autofree gchar *good = g_strdup_printf ("[hub]\nprovince = 40\nunits = u\nstate_dir = s\nscorecard = %s\n"
                                            "[mqtt]\nclient_id = a\n", shipped);
  g_unlink (path);
  g_free (path);
  path = write_conf (dir, good);
  g_autoptr (IocHubConfig) c = ioc_hub_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->scorecard_path, ==, shipped);
  g_assert_nonnull (c->scorecard);
  g_assert_cmpstr (c->scorecard->version, ==, "2025.11-dvcqg");

  g_autofree gchar *bad_path = g_build_filename (dir, "score.conf", NULL);
  g_assert_true (g_file_set_contents (bad_path, "[scorecard]\nversion = v 1\n[indicator 2.1]\nmax = 100\n", -1, NULL));
  g_unlink (path);
  g_free (path);
  path = write_conf (dir, "[hub]\nprovince = 40\nunits = u\nstate_dir = s\nscorecard = score.conf\n"
                          "[mqtt]\nclient_id = a\n");
  g_autoptr (IocHubConfig) bad = ioc_hub_config_load (path, &error);
  g_assert_null (bad);
  g_auto (GStrv) lines = g_strsplit (error->message, "\n", -1);
  g_autofree gchar *head = g_strdup_printf ("%s: [hub] scorecard:", path);
  g_assert_cmpstr (lines[0], ==, head);
  g_assert_true (g_str_has_prefix (lines[1], bad_path));
  g_assert_nonnull (strstr (lines[1], ":2: [scorecard] version: expected a version"));
  g_assert_nonnull (strstr (error->message, ":3: [indicator 2.1] name: required key is missing"));
  g_assert_nonnull (strstr (error->message, ":3: [indicator 2.1] group: required key is missing"));
  g_assert_nonnull (strstr (error->message, ":3: [indicator 2.1] input: required key is missing"));
  g_clear_error (&error);
  g_unlink (bad_path);

  g_unlink (path);
  g_free (path);
  path = write_conf (dir, "[hub]\nprovince = 40\nunits = u\nstate_dir = s\nscorecard = missing.conf\n"
                          "[mqtt]\nclient_id = a\n");
  g_autoptr (IocHubConfig) missing = ioc_hub_config_load (path, &error);
  g_assert_null (missing);
  g_assert_nonnull (strstr (error->message, "[hub] scorecard:"));
  g_assert_nonnull (strstr (error->message, "missing.conf: cannot read"));
  g_unlink (path);
  g_rmdir (dir);
}

/* [http] commune_map: relative to the config; read and checked when the
 * config loads, with the file (and line:column) named when it is wrong. */
static void
test_commune_map (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-conf-XXXXXX", NULL);
  g_autofree gchar *path = write_conf (dir, "[hub]\nprovince = 40\nunits = u\nstate_dir = s\n"
                                            "[mqtt]\nclient_id = a\n[http]\ncommune_map = communes.geojson\n");
  g_autofree gchar *map = g_build_filename (dir, "communes.geojson", NULL);
  static const struct { const gchar *text, *want; } cases[] = {
    { "{\"type\": \"FeatureCollection\", \"features\": []}", NULL },
    { "{\"type\": \"FeatureCollection\",\n \"features\": [,]}", "communes.geojson:2:" },
    { "{\"type\": \"Feature\", \"features\": []}", "communes.geojson: expected a GeoJSON FeatureCollection" },
    { "{\"type\": \"FeatureCollection\", \"features\": {}}", "communes.geojson: expected a GeoJSON FeatureCollection" },
    { "[]", "communes.geojson: expected a GeoJSON FeatureCollection" },
    { NULL, "[http] commune_map: " },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (cases[i].text != NULL)
        g_assert_true (g_file_set_contents (map, cases[i].text, -1, NULL));
      else
        g_unlink (map);
      g_autoptr (GError) error = NULL;
      g_autoptr (IocHubConfig) c = ioc_hub_config_load (path, &error);
      if (cases[i].want == NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (c->commune_map, ==, map);
          g_autoptr (GBytes) bytes = ioc_hub_config_read_commune_map (c, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (g_bytes_get_size (bytes), ==, strlen (cases[i].text));
          continue;
        }
      g_assert_null (c);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].want));
    }
  g_unlink (path);
  g_rmdir (dir);
}

static IocHubConfig *
load_text (const gchar *dir, const gchar *text)
{
  g_autofree gchar *path = write_conf (dir, text);
  g_autoptr (GError) error = NULL;
  IocHubConfig *c = ioc_hub_config_load (path, &error);
  g_assert_no_error (error);
  g_unlink (path);
  return c;
}

/* What a reload cannot apply is named, so that an operator who edits
 * [windows] rewrite_back before an outage and reloads is told to restart;
 * what it does apply (tokens, limits, the files) is not. */
static void
test_restart_changes (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("ioc-conf-XXXXXX", NULL);
  const gchar *base = "[hub]\nprovince = 40\nunits = units.csv\nstate_dir = /var/lib/iochub\n"
                      "[mqtt]\nclient_id = iochub-1\n[http]\nlisten = 127.0.0.1:8080\n";
  g_autoptr (IocHubConfig) running = load_text (dir, base);

  const gchar *reloadable = "[hub]\nprovince = 40\nunits = other.csv\nstate_dir = /var/lib/iochub\n"
                            "keep_finished_dossiers = 1h\n[mqtt]\nclient_id = iochub-1\n"
                            "[http]\nlisten = 127.0.0.1:8080\ndisplay_tokens = abc\nmax_body = 1MiB\n";
  g_autoptr (IocHubConfig) same = load_text (dir, reloadable);
  g_assert_null (ioc_hub_config_restart_changes (running, same));

  g_autofree gchar *restart = g_strconcat ("[windows]\nrewrite_back = 40d\n", base, NULL);
  g_auto (GStrv) parts = g_strsplit (restart, "listen = 127.0.0.1:8080", -1);
  g_autofree gchar *listen_changed = g_strjoinv ("listen = 0.0.0.0:8080", parts);
  g_autoptr (IocHubConfig) fresh = load_text (dir, listen_changed);
  g_autofree gchar *changes = ioc_hub_config_restart_changes (running, fresh);
  g_assert_cmpstr (changes, ==, "[http] listen, [windows] rewrite_back");
  /* Removed: named from the running side. */
  g_autofree gchar *back = ioc_hub_config_restart_changes (fresh, running);
  g_assert_cmpstr (back, ==, "[http] listen, [windows] rewrite_back");
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/hub-config/defaults", test_defaults);
  g_test_add_func ("/ioc/hub-config/errors", test_errors);
  g_test_add_func ("/ioc/hub-config/scorecard", test_scorecard);
  g_test_add_func ("/ioc/hub-config/commune-map", test_commune_map);
  g_test_add_func ("/ioc/hub-config/restart-changes", test_restart_changes);
  return g_test_run ();
}
