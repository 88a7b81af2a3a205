/* iocctl.c — the ops team's tool (SPEC §8).
 *
 *   iocctl validate --config hub.conf [--connectors DIR] [--alerts FILE] [--json]
 *   iocctl broker-config --connectors DIR --out DIR [--group GROUP] [--install-dir DIR] [--hub-user NAME] [--config hub.conf]
 *   iocctl connectors [--url http://127.0.0.1:8080] [--connectors DIR] [--json]
 *   iocctl push-config NAME --connectors DIR [--url tcp://broker:1883] [--timeout 10]
 *   iocctl alerts [--all] [--url URL]            (a display or operator token if the hub asks)
 *   iocctl ack ID|RULE/SCOPE [--note TEXT] [--by NAME]   (operator token: --token or IOCCTL_TOKEN)
 *   iocctl silence --rule GLOB [--scope GLOB] --for 2h [--note TEXT]
 *   iocctl silences [--delete ID]
 *   iocctl dry-run --config hub.conf [--until TIME] FILE…   (iocctl-dry-run.h)
 *   iocctl report --month 2026-11 --out DIR [--url …]       (iocctl-report.h)
 *
 * Human output by default, --json for scripts.  Exit status: 0 good, 1 a
 * check failed (an error found, a connector down, a config rejected), 2 the
 * command line or a file could not be used.  A one-shot, single-threaded
 * program; Paho's threads run only inside push-config, which waits on
 * them. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <MQTTAsync.h>
#include <curl/curl.h>
#include <json-glib/json-glib.h>

#include "aggregate/dossier-tracker.h"
#include "alerts/alert-rules.h"
#include "hub-config.h"
#include "iocctl-broker.h"
#include "iocctl-connector.h"
#include "iocctl-dry-run.h"
#include "iocctl-report.h"
#include "kinds/kinds.h"
#include "lib/connector.h"
#include "ingest/decoder.h"
#include "ingest/validate.h"
#include "model/calendar.h"
#include "model/units.h"
#include "protocol/ioc-time.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-keyfile.h"

enum { EXIT_GOOD = 0, EXIT_CHECK = 1, EXIT_USAGE = 2 };

static gboolean opt_json = FALSE;

static gboolean
parse_options (const gchar *command, const gchar *args, GOptionEntry *entries, int *argc, char ***argv)
{
  g_autofree gchar *title = g_strdup_printf ("%s %s", command, args);
  g_autoptr (GOptionContext) ctx = g_option_context_new (title);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("iocctl %s: %s\n", command, error->message);
      return FALSE;
    }
  return TRUE;
}

static void
print_json (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *text = json_to_string (root, TRUE);
  g_print ("%s\n", text);
}

/* ───────────────────────── validate ───────────────────────── */

typedef struct
{
  GPtrArray *errors;  /* gchar*: "FILE: … expected …" */
  GPtrArray *checked; /* gchar*: "FILE: what" */
  GPtrArray *warnings; /* gchar*: does not fail validation */
} Findings;

static void
found_error (Findings *f, const GError *error)
{
  g_ptr_array_add (f->errors, g_strdup (error->message));
}

/* The kind's own group, judged by the connector library itself (linked in,
 * not spawned): the same checks as `ioc-connector --check` and as
 * push-config, on the bytes of the file. */
static void
check_as_connector (Findings *f, const IocCtlConnector *c)
{
  g_autoptr (GError) error = NULL;
  if (memchr (c->raw, '\0', c->raw_len) != NULL)
    {
      g_ptr_array_add (f->errors, g_strdup_printf ("%s: expected a text file, got a NUL byte", c->path));
      return;
    }
  if (ioc_connector_check_data (c->path, c->raw, ioc_connector_kinds, &error))
    return;
  g_auto (GStrv) lines = g_strsplit (error->message, "\n", -1);
  for (gchar **l = lines; *l != NULL; l++)
    if (**l != '\0')
      g_ptr_array_add (f->errors, g_str_has_prefix (*l, c->path) ? g_strdup (*l)
                                                                  : g_strdup_printf ("%s: %s", c->path, *l));
}

/* "[connector] unit: expected a unit of the registry valid today", and for
 * a code retired by a merge, when it ended and what took its place. */
static gchar *
unit_not_valid (const gchar *path, const IocUnitRegistry *units, const gchar *code, gint64 now_us)
{
  const IocUnit *successor = ioc_units_lookup_successor (units, code, now_us);
  const IocUnit *old = successor != NULL ? ioc_units_lookup (units, code, successor->valid_from_us - 1) : NULL;
  if (old == NULL || old->valid_to_us == G_MAXINT64)
    return g_strdup_printf ("%s: [connector] unit: expected a unit of the registry valid today, got '%s'", path, code);
  /* valid_to_us is the exclusive local midnight after its last day */
  g_autoptr (GDateTime) last = g_date_time_new_from_unix_utc ((old->valid_to_us - 1 + IOC_TIME_LOCAL_OFFSET_US)
                                                              / G_USEC_PER_SEC);
  g_autofree gchar *day = g_date_time_format (last, "%Y-%m-%d");
  return g_strdup_printf ("%s: [connector] unit: %s ended %s; its successor is %s (%s): expected a unit of the "
                          "registry valid today",
                          path, code, day, successor->code, successor->name);
}

static void
validate_connectors (Findings *f, const gchar *dir, const IocHubConfig *config, const IocUnitRegistry *units)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = ioc_ctl_connectors_load_dir (dir, f->errors, &error);
  if (list == NULL)
    {
      g_ptr_array_add (f->errors, g_strdup_printf ("%s: expected a folder of connector configs (*.conf): %s", dir,
                                                   error->message));
      return;
    }
  gint64 now = g_get_real_time ();
  for (guint i = 0; i < list->len; i++)
    {
      IocCtlConnector *c = list->pdata[i];
      if (config != NULL && !g_str_equal (c->province, config->province))
        g_ptr_array_add (f->errors, g_strdup_printf ("%s: [connector] province: expected the hub's province %s, got '%s'",
                                                     c->path, config->province, c->province));
      else if (units != NULL && c->unit != NULL && ioc_units_lookup (units, c->unit, now) == NULL)
        g_ptr_array_add (f->errors, unit_not_valid (c->path, units, c->unit, now));
      else
        g_ptr_array_add (f->checked, g_strdup_printf ("%s: connector %s (%s %s/%s)", c->path, c->id, c->kind,
                                                      c->unit ? c->unit : "*", c->device));
      check_as_connector (f, c);
      if (c->username == NULL)
        g_ptr_array_add (f->warnings, g_strdup_printf ("%s: [mqtt] username: none, so the connector connects "
                                                       "anonymously, which `iocctl broker-config` refuses", c->path));
    }
  if (list->len == 0)
    g_ptr_array_add (f->checked, g_strdup_printf ("%s: no connector configs (*.conf)", dir));
}

/* Long on purpose, like each command here: options, read, check, report,
 * in the order a reader of the output expects them. */
static int
cmd_validate (int argc, char **argv)
{
  g_autofree gchar *config_path = NULL, *connectors_dir = NULL, *alerts_path = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Hub configuration (and the files it names)", "FILE" },
    { "connectors", 0, 0, G_OPTION_ARG_FILENAME, &connectors_dir, "Connector configs (default: [hub] connectors)", "DIR" },
    { "alerts", 0, 0, G_OPTION_ARG_FILENAME, &alerts_path, "Alert rules (default: [hub] alerts)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Machine-readable output", NULL },
    { NULL }
  };
  if (!parse_options ("validate", "", entries, &argc, &argv))
    return EXIT_USAGE;
  if (config_path == NULL && connectors_dir == NULL && alerts_path == NULL)
    {
      g_printerr ("iocctl validate: give --config FILE and/or --connectors DIR, --alerts FILE\n");
      return EXIT_USAGE;
    }
  Findings f = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free),
                 g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (IocHubConfig) config = NULL;
  g_autoptr (IocUnitRegistry) units = NULL;
  g_autoptr (GError) error = NULL;
  if (config_path != NULL)
    {
      config = ioc_hub_config_load (config_path, &error);
      if (config == NULL)
        found_error (&f, error), g_clear_error (&error);
      else
        {
          g_ptr_array_add (f.checked, g_strdup_printf ("%s: hub config (province %s, hub %s)", config_path,
                                                       config->province, config->hub_id));
          units = ioc_units_load (config->units_path, &error);
          if (units == NULL)
            found_error (&f, error), g_clear_error (&error);
          else
            g_ptr_array_add (f.checked, g_strdup_printf ("%s: unit registry, %u entries", config->units_path,
                                                         ioc_units_size (units)));
          g_autoptr (IocCalendar) cal = ioc_calendar_load ((const gchar *const *) config->calendar_paths, &error);
          if (cal == NULL)
            found_error (&f, error), g_clear_error (&error);
          else
            for (gchar **p = config->calendar_paths; p && *p; p++)
              g_ptr_array_add (f.checked, g_strdup_printf ("%s: calendar", *p));
          if (config->procedures_path != NULL)
            {
              g_autoptr (IocProcedures) procs = ioc_procedures_load (config->procedures_path, &error);
              if (procs == NULL)
                found_error (&f, error), g_clear_error (&error);
              else
                g_ptr_array_add (f.checked, g_strdup_printf ("%s: procedures", config->procedures_path));
            }
          if (connectors_dir == NULL && config->connectors_dir != NULL)
            connectors_dir = g_strdup (config->connectors_dir);
          if (alerts_path == NULL && config->alerts_path != NULL)
            alerts_path = g_strdup (config->alerts_path);
        }
    }
  if (alerts_path != NULL)
    {
      /* The alert engine's own loader: what the hub would refuse, iocctl reports. */
      g_autoptr (IocAlertRules) rules = ioc_alert_rules_load (alerts_path, &error);
      if (rules == NULL)
        found_error (&f, error), g_clear_error (&error);
      else
        g_ptr_array_add (f.checked, g_strdup_printf ("%s: alert rules", alerts_path));
    }
  if (connectors_dir != NULL)
    validate_connectors (&f, connectors_dir, config, units);

  gboolean ok = f.errors->len == 0;
  if (opt_json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      json_builder_set_member_name (b, "errors");
      json_builder_begin_array (b);
      for (guint i = 0; i < f.errors->len; i++)
        json_builder_add_string_value (b, f.errors->pdata[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "warnings");
      json_builder_begin_array (b);
      for (guint i = 0; i < f.warnings->len; i++)
        json_builder_add_string_value (b, f.warnings->pdata[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "checked");
      json_builder_begin_array (b);
      for (guint i = 0; i < f.checked->len; i++)
        json_builder_add_string_value (b, f.checked->pdata[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      print_json (b);
    }
  else
    {
      for (guint i = 0; i < f.checked->len; i++)
        g_print ("ok     %s\n", (gchar *) f.checked->pdata[i]);
      for (guint i = 0; i < f.warnings->len; i++)
        g_print ("warn   %s\n", (gchar *) f.warnings->pdata[i]);
      for (guint i = 0; i < f.errors->len; i++)
        g_print ("error  %s\n", (gchar *) f.errors->pdata[i]);
      g_print ("%s: %u error(s), %u warning(s)\n", ok ? "valid" : "INVALID", f.errors->len, f.warnings->len);
    }
  g_ptr_array_unref (f.errors);
  g_ptr_array_unref (f.checked);
  g_ptr_array_unref (f.warnings);
  return ok ? EXIT_GOOD : EXIT_CHECK;
}

/* ───────────────────────── broker-config ───────────────────────── */

/* Long on purpose: options, read the connectors, write, report (see
 * cmd_validate). */
static int
cmd_broker_config (int argc, char **argv)
{
  g_autofree gchar *connectors_dir = NULL, *out_dir = NULL, *install_dir = NULL, *hub_user = NULL;
  g_autofree gchar *hub_password = NULL, *config_path = NULL, *group = NULL;
  GOptionEntry entries[] = {
    { "connectors", 0, 0, G_OPTION_ARG_FILENAME, &connectors_dir, "Declared connector configs", "DIR" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "Where to write passwd, acl, iochub-security.conf", "DIR" },
    { "install-dir", 0, 0, G_OPTION_ARG_FILENAME, &install_dir, "Where the files will live on the broker (default: --out)", "DIR" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "Group of the files, the broker's (first install: mosquitto; default: keep the replaced files')", "GROUP" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Hub config: its province and [mqtt] username/password", "FILE" },
    { "hub-user", 0, 0, G_OPTION_ARG_STRING, &hub_user, "The hub's broker account", "NAME" },
    { "hub-password", 0, 0, G_OPTION_ARG_STRING, &hub_password, "Its password (or IOCCTL_HUB_PASSWORD; default: generated into OUT/hub.password)", "PW" },
    { NULL }
  };
  if (!parse_options ("broker-config", "", entries, &argc, &argv))
    return EXIT_USAGE;
  if (connectors_dir == NULL || out_dir == NULL)
    {
      g_printerr ("iocctl broker-config: --connectors DIR and --out DIR are required\n");
      return EXIT_USAGE;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (IocHubConfig) config = NULL;
  if (config_path != NULL)
    {
      if ((config = ioc_hub_config_load (config_path, &error)) == NULL)
        {
          g_printerr ("iocctl broker-config: %s\n", error->message);
          return EXIT_CHECK;
        }
      if (hub_user == NULL && config->mqtt_username != NULL && *config->mqtt_username)
        hub_user = g_strdup (config->mqtt_username);
      if (hub_password == NULL && config->mqtt_password != NULL && *config->mqtt_password)
        hub_password = g_strdup (config->mqtt_password);
    }
  if (hub_password == NULL && g_getenv ("IOCCTL_HUB_PASSWORD") != NULL)
    hub_password = g_strdup (g_getenv ("IOCCTL_HUB_PASSWORD"));
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) list = ioc_ctl_connectors_load_dir (connectors_dir, errors, &error);
  if (list == NULL)
    {
      g_printerr ("iocctl broker-config: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (errors->len > 0)
    {
      for (guint i = 0; i < errors->len; i++)
        g_printerr ("error  %s\n", (gchar *) errors->pdata[i]);
      g_printerr ("iocctl broker-config: nothing written: fix the %u error(s) above\n", errors->len);
      return EXIT_CHECK;
    }
  g_autoptr (GPtrArray) provinces = g_ptr_array_new ();
  if (config != NULL)
    g_ptr_array_add (provinces, config->province);
  for (guint i = 0; i < list->len; i++)
    {
      IocCtlConnector *c = list->pdata[i];
      if (!g_ptr_array_find_with_equal_func (provinces, c->province, g_str_equal, NULL))
        g_ptr_array_add (provinces, c->province);
    }
  g_ptr_array_add (provinces, NULL);
  gboolean generated = FALSE;
  if (hub_user != NULL && hub_password == NULL)
    {
      guint8 raw[18];
      for (guint i = 0; i < sizeof raw; i++)
        raw[i] = g_random_int_range (0, 256);
      g_autofree gchar *b64 = g_base64_encode (raw, sizeof raw);
      g_strdelimit (b64, "+/=", 'x');
      hub_password = g_steal_pointer (&b64);
      generated = TRUE;
    }
  IocCtlBrokerOptions opts = { out_dir, install_dir, hub_user, hub_password, (const gchar *const *) provinces->pdata,
                               group };
  g_autoptr (GString) report = g_string_new (NULL);
  if (!ioc_ctl_broker_write (list, &opts, report, &error))
    {
      g_printerr ("iocctl broker-config: %s\n", error->message);
      return EXIT_CHECK;
    }
  if (generated)
    {
      g_autofree gchar *pw_path = g_build_filename (out_dir, "hub.password", NULL);
      g_autofree gchar *text = g_strconcat (hub_password, "\n", NULL);
      if (!g_file_set_contents_full (pw_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        {
          g_printerr ("iocctl broker-config: %s\n", error->message);
          return EXIT_USAGE;
        }
      g_string_append_printf (report, "%s: generated password of the hub account %s: put it in hub.conf [mqtt] "
                                      "password\n", pw_path, hub_user);
    }
  if (hub_user == NULL)
    g_string_append (report, "note: no hub account (--hub-user or --config with [mqtt] username): only connectors "
                             "can log in\n");
  g_print ("%s", report->str);
  return EXIT_GOOD;
}

/* ───────────────────────── HTTP (connectors) ───────────────────────── */

static size_t
curl_body_cb (char *ptr, size_t size, size_t n, void *user_data)
{
  g_string_append_len (user_data, ptr, size * n);
  return size * n;
}

/* (transfer full) the body, or NULL with error (connection failures only). */
static gchar *
http_request (const gchar *method, const gchar *url, const gchar *token, const gchar *json_body, glong *status,
              GError **error)
{
  CURL *curl = curl_easy_init ();
  g_autoptr (GString) body = g_string_new (NULL);
  struct curl_slist *headers = NULL;
  g_autofree gchar *auth = token ? g_strdup_printf ("Authorization: Bearer %s", token) : NULL;
  if (auth)
    headers = curl_slist_append (headers, auth);
  if (json_body)
    {
      headers = curl_slist_append (headers, "Content-Type: application/json");
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, json_body);
    }
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, curl_body_cb);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, body);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform (curl);
  *status = 0;
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, status);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
  if (rc != CURLE_OK)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "%s %s: %s", method, url, curl_easy_strerror (rc));
      return NULL;
    }
  return g_string_free (g_steal_pointer (&body), FALSE);
}

static const gchar *
member_string (JsonObject *o, const gchar *const *names, gchar *buf, gsize len)
{
  for (; *names; names++)
    {
      JsonNode *n = json_object_get_member (o, *names);
      if (n == NULL || JSON_NODE_HOLDS_NULL (n) || !JSON_NODE_HOLDS_VALUE (n))
        continue;
      GType t = json_node_get_value_type (n);
      if (t == G_TYPE_STRING)
        return json_node_get_string (n);
      if (t == G_TYPE_BOOLEAN)
        return json_node_get_boolean (n) ? "true" : "false";
      if (t == G_TYPE_INT64)
        g_snprintf (buf, len, "%" G_GINT64_FORMAT, json_node_get_int (n));
      else
        g_snprintf (buf, len, "%g", json_node_get_double (n));
      return buf;
    }
  return "-";
}

/* A connector entry of /api/v1/connectors is down when the hub says so
 * ("down"), its state says so (offline, down, stale, missing, silent),
 * online/up is false, or it is declared and not reporting (one the hub
 * never heard yet, within its first cadence, too: the tool answers "is
 * every connector there?"). */
static gboolean
entry_is_down (JsonObject *o)
{
  if (json_object_get_boolean_member_with_default (o, "down", FALSE))
    return TRUE;
  static const gchar *const down[] = { "offline", "down", "stale", "missing", "silent", "never", NULL };
  const gchar *state = json_object_get_string_member_with_default (o, "state", NULL);
  if (state != NULL && g_strv_contains (down, state))
    return TRUE;
  if (json_object_has_member (o, "online") && !json_object_get_boolean_member_with_default (o, "online", TRUE))
    return TRUE;
  if (json_object_get_boolean_member_with_default (o, "declared", FALSE)
      && !json_object_get_boolean_member_with_default (o, "reporting", TRUE))
    return TRUE;
  return FALSE;
}

static int
connectors_from_metrics (const gchar *url, GPtrArray *declared)
{
  g_autofree gchar *murl = g_strconcat (url, "/metrics", NULL);
  g_autoptr (GError) error = NULL;
  glong status;
  g_autofree gchar *body = http_request ("GET", murl, NULL, NULL, &status, &error);
  if (body == NULL || status != 200)
    {
      g_printerr ("iocctl connectors: %s: %s\n", murl, error ? error->message : "not 200");
      return EXIT_CHECK;
    }
  /* Per-connector health is not in /metrics: give the hub's own view. */
  static const gchar *const series[] = { "iochub_mqtt_connected", "iochub_last_message_age_seconds",
                                         "iochub_messages_accepted_total", "iochub_seq_missing",
                                         "iochub_connectors_expected", "iochub_connectors_reporting", NULL };
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, "metrics");
  json_builder_set_member_name (b, "note");
  json_builder_add_string_value (b, "/api/v1/connectors is not available on this hub; per-connector health unknown");
  if (!opt_json)
    g_print ("note: %s/api/v1/connectors is not available on this hub; from /metrics (no per-connector health):\n",
             url);
  gboolean down = FALSE;
  gchar **lines = g_strsplit (body, "\n", -1);
  for (gchar **l = lines; *l; l++)
    for (const gchar *const *s = series; *s; s++)
      if (g_str_has_prefix (*l, *s) && ((*l)[strlen (*s)] == ' ' || (*l)[strlen (*s)] == '{'))
        {
          gchar *sp = strrchr (*l, ' ');
          gdouble v = g_ascii_strtod (sp + 1, NULL);
          *sp = '\0';
          json_builder_set_member_name (b, *l);
          json_builder_add_double_value (b, v);
          if (!opt_json)
            g_print ("  %-40s %g\n", *l, v);
          if (g_str_equal (*l, "iochub_mqtt_connected") && v == 0)
            down = TRUE;
        }
  g_strfreev (lines);
  if (declared != NULL)
    {
      json_builder_set_member_name (b, "declared");
      json_builder_begin_array (b);
      for (guint i = 0; i < declared->len; i++)
        {
          IocCtlConnector *c = declared->pdata[i];
          json_builder_add_string_value (b, c->id);
          if (!opt_json)
            g_print ("  declared %-24s %s %s/%s  health unknown\n", c->id, c->kind, c->unit ? c->unit : "*", c->device);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  if (opt_json)
    print_json (b);
  return down ? EXIT_CHECK : EXIT_GOOD;
}

/* Long on purpose: options, the hub's /api/v1/connectors joined with the
 * configs on disk, then one table or one JSON document (see cmd_validate). */
static int
cmd_connectors (int argc, char **argv)
{
  g_autofree gchar *url = NULL, *connectors_dir = NULL, *token = NULL;
  GOptionEntry entries[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url, "The hub's HTTP address (default http://127.0.0.1:8080)", "URL" },
    { "connectors", 0, 0, G_OPTION_ARG_FILENAME, &connectors_dir, "Declared connectors, to flag those the hub never heard of", "DIR" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token, "Read token (or IOCCTL_TOKEN)", "TOKEN" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Machine-readable output", NULL },
    { NULL }
  };
  if (!parse_options ("connectors", "", entries, &argc, &argv))
    return EXIT_USAGE;
  if (url == NULL)
    url = g_strdup ("http://127.0.0.1:8080");
  if (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  if (token == NULL && g_getenv ("IOCCTL_TOKEN"))
    token = g_strdup (g_getenv ("IOCCTL_TOKEN"));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) declared = NULL;
  if (connectors_dir != NULL)
    {
      g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
      declared = ioc_ctl_connectors_load_dir (connectors_dir, errors, &error);
      if (declared == NULL)
        {
          g_printerr ("iocctl connectors: %s\n", error->message);
          return EXIT_USAGE;
        }
      for (guint i = 0; i < errors->len; i++)
        g_printerr ("warning  %s\n", (gchar *) errors->pdata[i]);
    }
  g_autofree gchar *api = g_strconcat (url, "/api/v1/connectors", NULL);
  /* The hub pages the list (`next`): every page, joined into the first
   * one's document (the totals are the same on each).  Bounded. */
  g_autoptr (JsonNode) root = NULL;
  JsonArray *arr = NULL;
  g_autofree gchar *after = NULL;
  for (guint page = 0; page < 10000; page++)
    {
      g_autofree gchar *escaped = after != NULL ? g_uri_escape_string (after, NULL, TRUE) : NULL;
      g_autofree gchar *page_url = g_strdup_printf ("%s?limit=5000%s%s", api, escaped ? "&after=" : "",
                                                    escaped ? escaped : "");
      glong status;
      g_autofree gchar *body = http_request ("GET", page_url, token, NULL, &status, &error);
      if (body == NULL)
        {
          g_printerr ("iocctl connectors: %s\n", error->message);
          return EXIT_CHECK;
        }
      if (status == 404 && page == 0)
        return connectors_from_metrics (url, declared);
      if (status != 200)
        {
          g_printerr ("iocctl connectors: %s: HTTP %ld: %s\n", api, status, body);
          return EXIT_CHECK;
        }
      g_autoptr (JsonParser) parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, body, -1, &error))
        {
          g_printerr ("iocctl connectors: %s: expected JSON: %s\n", api, error->message);
          return EXIT_CHECK;
        }
      JsonNode *got = json_parser_get_root (parser);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (got) ? json_node_get_object (got) : NULL;
      JsonArray *rows = JSON_NODE_HOLDS_ARRAY (got) ? json_node_get_array (got)
                        : o != NULL && json_object_has_member (o, "connectors")
                            ? json_object_get_array_member (o, "connectors")
                            : NULL;
      if (rows == NULL)
        {
          g_printerr ("iocctl connectors: %s: expected an array of connectors or {\"connectors\": […]}\n", api);
          return EXIT_CHECK;
        }
      if (root == NULL)
        {
          root = json_node_copy (got);
          arr = JSON_NODE_HOLDS_ARRAY (root) ? json_node_get_array (root)
                                             : json_object_get_array_member (json_node_get_object (root), "connectors");
        }
      else
        for (guint i = 0; i < json_array_get_length (rows); i++)
          json_array_add_element (arr, json_node_copy (json_array_get_element (rows, i)));
      const gchar *next = o != NULL ? json_object_get_string_member_with_default (o, "next", NULL) : NULL;
      if (next == NULL || json_array_get_length (rows) == 0)
        break;
      g_free (after);
      after = g_strdup (next);
    }
  if (JSON_NODE_HOLDS_OBJECT (root))
    json_object_remove_member (json_node_get_object (root), "next");
  guint n_down = 0;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!opt_json)
    g_print ("%-8s %-24s %-12s %-8s %-9s %-10s %9s %8s %8s %6s %6s %8s %-12s  %s\n", "KIND", "DEVICE", "UNIT",
             "STATE", "REPORTING", "INVENTORY", "AGE S", "LAST SEQ", "MISSING", "DEAD", "RESETS", "REMAPPED", "CONFIG",
             "CONNECTOR");
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      if (o == NULL)
        continue;
      gchar b[11][64];
      static const gchar *const k_kind[] = { "kind", NULL };
      static const gchar *const k_dev[] = { "device", "id", NULL };
      static const gchar *const k_unit[] = { "unit", NULL };
      static const gchar *const k_state[] = { "state", NULL };
      static const gchar *const k_rep[] = { "reporting", NULL };
      static const gchar *const k_seq[] = { "last_seq", NULL };
      static const gchar *const k_gaps[] = { "missing", "seq_missing", NULL };
      static const gchar *const k_dead[] = { "deadletters", NULL };
      static const gchar *const k_resets[] = { "seq_resets", NULL };
      static const gchar *const k_remapped[] = { "remapped", NULL };
      const gchar *kind = member_string (o, k_kind, b[0], sizeof b[0]);
      const gchar *device = member_string (o, k_dev, b[1], sizeof b[1]);
      g_autofree gchar *key = g_strconcat (kind, "/", device, NULL);
      const gchar *id = "";
      g_autofree gchar *declared_version = NULL;
      /* The hub's inventory, or the folder given here: heard but not in it. */
      gboolean in_dir = FALSE;
      for (guint j = 0; declared && j < declared->len; j++)
        {
          IocCtlConnector *c = declared->pdata[j];
          if (g_str_equal (c->kind, kind) && g_str_equal (c->device, device))
            {
              in_dir = TRUE;
              id = c->id;
              /* The version push-config would publish (SPEC §3 config topic). */
              g_autofree gchar *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) c->raw,
                                                                   c->raw_len);
              g_clear_pointer (&declared_version, g_free);
              declared_version = g_strndup (hex, 12);
            }
        }
      const gchar *config_version = json_object_get_string_member_with_default (o, "config_version", NULL);
      gboolean hub_declared = json_object_get_boolean_member_with_default (o, "declared", FALSE);
      gboolean undeclared = json_object_get_boolean_member_with_default (o, "undeclared", FALSE)
                            || (declared != NULL && !in_dir);
      const gchar *inventory = undeclared ? "undeclared" : hub_declared || in_dir ? "declared" : "-";
      gboolean down = entry_is_down (o);
      n_down += down;
      g_hash_table_add (seen, g_steal_pointer (&key));
      if (!opt_json)
        {
          gchar age[32] = "-";
          JsonNode *an = json_object_get_member (o, "age_s");
          if (an != NULL && JSON_NODE_HOLDS_VALUE (an))
            g_snprintf (age, sizeof age, "%.0f", json_node_get_double (an));
          g_autofree gchar *differs = NULL;
          if (declared_version != NULL && config_version != NULL && !g_str_equal (declared_version, config_version))
            differs = g_strdup_printf ("   (config in %s: %s)", connectors_dir, declared_version);
          g_print ("%-8s %-24s %-12s %-8s %-9s %-10s %9s %8s %8s %6s %6s %8s %-12s  %s%s%s\n", kind, device,
                   member_string (o, k_unit, b[2], sizeof b[2]), member_string (o, k_state, b[3], sizeof b[3]),
                   member_string (o, k_rep, b[4], sizeof b[4]), inventory, age,
                   member_string (o, k_seq, b[6], sizeof b[6]),
                   member_string (o, k_gaps, b[7], sizeof b[7]), member_string (o, k_dead, b[8], sizeof b[8]),
                   member_string (o, k_resets, b[9], sizeof b[9]), member_string (o, k_remapped, b[10], sizeof b[10]),
                   config_version ? config_version : "-", id, down ? "   DOWN" : "", differs ? differs : "");
        }
    }
  g_autoptr (GPtrArray) unknown = g_ptr_array_new ();
  for (guint i = 0; declared && i < declared->len; i++)
    {
      IocCtlConnector *c = declared->pdata[i];
      g_autofree gchar *key = g_strconcat (c->kind, "/", c->device, NULL);
      if (!g_hash_table_contains (seen, key))
        {
          g_ptr_array_add (unknown, c->id);
          n_down++;
          if (!opt_json)
            g_print ("%-8s %-24s %-12s %-8s (declared in %s as %s, unknown to the hub)   DOWN\n", c->kind, c->device,
                     c->unit ? c->unit : "*", "missing", c->path, c->id);
        }
    }
  if (opt_json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, "api");
      json_builder_set_member_name (b, "down");
      json_builder_add_int_value (b, n_down);
      json_builder_set_member_name (b, "connectors");
      json_builder_add_value (b, json_node_copy (JSON_NODE_HOLDS_ARRAY (root) ? root
                                                 : json_object_get_member (json_node_get_object (root), "connectors")));
      json_builder_set_member_name (b, "missing");
      json_builder_begin_array (b);
      for (guint i = 0; i < unknown->len; i++)
        json_builder_add_string_value (b, unknown->pdata[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      print_json (b);
    }
  else
    g_print ("%u connector(s) down\n", n_down);
  return n_down > 0 ? EXIT_CHECK : EXIT_GOOD;
}

static void
add_member (JsonBuilder *b, const gchar *name, const gchar *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

/* ───────────────────────── alerts (alerts, ack, silence, silences) ───────────────────────── */

/* The hub's base URL without a trailing slash. */
static gchar *
hub_url (const gchar *url)
{
  gchar *u = g_strdup (url != NULL ? url : "http://127.0.0.1:8080");
  if (g_str_has_suffix (u, "/"))
    u[strlen (u) - 1] = '\0';
  return u;
}

static void
env_token (gchar **token)
{
  if (*token == NULL && g_getenv ("IOCCTL_TOKEN"))
    *token = g_strdup (g_getenv ("IOCCTL_TOKEN"));
}

static gboolean
operator_token (const gchar *command, gchar **token)
{
  env_token (token);
  if (*token == NULL)
    g_printerr ("iocctl %s: an operator token is required (--token or IOCCTL_TOKEN; [http] operator_tokens)\n",
                command);
  return *token != NULL;
}

/* The hub's "error" member of a JSON answer, or the body itself. */
static gchar *
answer_error (const gchar *body)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (json_parser_load_from_data (p, body, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    {
      const gchar *e = json_object_get_string_member_with_default (json_node_get_object (json_parser_get_root (p)),
                                                                   "error", NULL);
      if (e != NULL)
        return g_strdup (e);
    }
  return g_strstrip (g_strdup (body));
}

/* Sends a request to the hub's API; the parsed JSON answer (or NULL when it
 * had none: 204), or NULL + a message printed for a failure.  *rc: the
 * exit status to use when NULL is a failure. */
static JsonNode *
api_call (const gchar *command, const gchar *method, const gchar *url, const gchar *path, const gchar *token,
          JsonBuilder *b, int *rc)
{
  g_autofree gchar *payload = NULL;
  if (b != NULL)
    {
      g_autoptr (JsonNode) root = json_builder_get_root (b);
      payload = json_to_string (root, FALSE);
    }
  g_autofree gchar *api = g_strconcat (url, path, NULL);
  g_autoptr (GError) error = NULL;
  glong status;
  g_autofree gchar *body = http_request (method, api, token, payload, &status, &error);
  *rc = EXIT_GOOD;
  if (body == NULL)
    {
      g_printerr ("iocctl %s: %s\n", command, error->message);
      *rc = EXIT_CHECK;
      return NULL;
    }
  if (status < 200 || status >= 300)
    {
      g_autofree gchar *why = answer_error (body);
      g_printerr ("iocctl %s: %s %s: HTTP %ld: %s\n", command, method, api, status, why);
      *rc = EXIT_CHECK;
      return NULL;
    }
  if (status == 204 || *body == '\0')
    return NULL;
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, body, -1, NULL) || json_parser_get_root (p) == NULL)
    {
      g_printerr ("iocctl %s: %s %s: the answer is not JSON\n", command, method, api);
      *rc = EXIT_CHECK;
      return NULL;
    }
  return json_node_copy (json_parser_get_root (p));
}


/* GET a list the hub answers as {"MEMBER": […]}.  With --json the answer
 * is printed whole and NULL is returned with *rc EXIT_GOOD; on any failure
 * NULL with a message printed and *rc the exit status.  *root keeps the
 * answer the array belongs to. */
static JsonArray *
api_get_list (const gchar *command, const gchar *base, const gchar *path, const gchar *token,
              const gchar *member, JsonNode **root, int *rc)
{
  *root = api_call (command, "GET", base, path, token, NULL, rc);
  if (*root == NULL)
    {
      if (*rc == EXIT_GOOD)
        *rc = EXIT_CHECK;
      return NULL;
    }
  if (opt_json)
    {
      g_autofree gchar *text = json_to_string (*root, TRUE);
      g_print ("%s\n", text);
      *rc = EXIT_GOOD;
      return NULL;
    }
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (*root) ? json_node_get_object (*root) : NULL;
  if (o == NULL || !json_object_has_member (o, member) || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, member)))
    {
      g_printerr ("iocctl %s: %s%s: expected {\"%s\": […]}\n", command, base, path, member);
      *rc = EXIT_CHECK;
      return NULL;
    }
  return json_object_get_array_member (o, member);
}
static gint64
iso_us (JsonObject *o, const gchar *member)
{
  const gchar *t = json_object_get_string_member_with_default (o, member, NULL);
  g_autoptr (GDateTime) dt = t != NULL ? g_date_time_new_from_iso8601 (t, NULL) : NULL;
  return dt != NULL ? g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt) : 0;
}

/* "5 s", "12 min", "3 h", "2 d": how long ago, as the wall says it. */
static gchar *
age_text (gint64 since_us, gint64 now_us)
{
  if (since_us == 0)
    return g_strdup ("-");
  gint64 s = MAX (now_us - since_us, 0) / G_USEC_PER_SEC;
  if (s < 120)
    return g_strdup_printf ("%" G_GINT64_FORMAT " s", s);
  if (s < 7200)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min", s / 60);
  if (s < 2 * 86400)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h", s / 3600);
  return g_strdup_printf ("%" G_GINT64_FORMAT " d", s / 86400);
}

/* The scope as the wall shows it: the unit's name with it. */
static gchar *
scope_text (JsonObject *a)
{
  const gchar *scope = json_object_get_string_member_with_default (a, "scope", "");
  const gchar *unit = json_object_get_string_member_with_default (a, "unit", NULL);
  const gchar *name = json_object_get_string_member_with_default (a, "unit_name", NULL);
  if (unit == NULL)
    return g_strdup (scope);
  if (g_str_equal (unit, scope))
    return name != NULL ? g_strdup_printf ("%s (%s)", scope, name) : g_strdup (scope);
  return g_strdup_printf ("%s (%s%s%s)", scope, unit, name ? " " : "", name ? name : "");
}

/* Rows of ncols cells (gchar** each, the first the header), in columns
 * padded by display width (UTF-8 names are wider in bytes than on screen). */
static void
print_table (GPtrArray *rows, guint ncols)
{
  g_autofree guint *width = g_new0 (guint, ncols);
  for (guint r = 0; r < rows->len; r++)
    for (guint c = 0; c < ncols; c++)
      width[c] = MAX (width[c], (guint) g_utf8_strlen (((gchar **) rows->pdata[r])[c], -1));
  g_autoptr (GString) out = g_string_new (NULL);
  for (guint r = 0; r < rows->len; r++)
    {
      gsize start = out->len;
      for (guint c = 0; c < ncols; c++)
        {
          const gchar *cell = ((gchar **) rows->pdata[r])[c];
          g_string_append (out, cell);
          for (glong i = g_utf8_strlen (cell, -1); c + 1 < ncols && i < (glong) width[c] + 2; i++)
            g_string_append_c (out, ' ');
        }
      while (out->len > start && out->str[out->len - 1] == ' ')
        g_string_truncate (out, out->len - 1);
      g_string_append_c (out, '\n');
    }
  g_print ("%s", out->str);
}

static int
cmd_alerts (int argc, char **argv)
{
  g_autofree gchar *url = NULL, *token = NULL;
  gboolean all = FALSE;
  GOptionEntry entries[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url, "The hub's HTTP address (default http://127.0.0.1:8080)", "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token, "A display or operator token (or IOCCTL_TOKEN)", "TOKEN" },
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Also the recently resolved alerts", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the hub's JSON answer", NULL },
    { NULL }
  };
  if (!parse_options ("alerts", "", entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1)
    {
      g_printerr ("iocctl alerts: unexpected argument '%s'\n", argv[1]);
      return EXIT_USAGE;
    }
  env_token (&token);
  g_autofree gchar *base = hub_url (url);
  int rc;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *alerts = api_get_list ("alerts", base, all ? "/api/v1/alerts?all=1" : "/api/v1/alerts", token, "alerts",
                                    &root, &rc);
  if (alerts == NULL)
    return rc;
  gint64 now = g_get_real_time ();
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  const gchar *head[] = { "ID", "RULE", "SCOPE", "STATE", "AGE", "ACK", NULL };
  g_ptr_array_add (rows, g_strdupv ((gchar **) head));
  for (guint i = 0; i < json_array_get_length (alerts); i++)
    {
      JsonObject *a = json_array_get_object_element (alerts, i);
      const gchar *state = json_object_get_string_member_with_default (a, "state", "?");
      gint64 since = iso_us (a, "fired_at");
      if (since == 0)
        since = iso_us (a, "started_at");
      if (g_str_equal (state, "resolved"))
        since = iso_us (a, "resolved_at");
      JsonNode *ack = json_object_get_member (a, "ack");
      const gchar *by = ack != NULL && JSON_NODE_HOLDS_OBJECT (ack)
                            ? json_object_get_string_member_with_default (json_node_get_object (ack), "by", "?")
                            : "-";
      gboolean silenced = json_object_get_boolean_member_with_default (a, "silenced", FALSE);
      gchar **row = g_new0 (gchar *, 7);
      row[0] = g_strdup (json_object_get_string_member_with_default (a, "id", "?"));
      row[1] = g_strdup (json_object_get_string_member_with_default (a, "rule", "?"));
      row[2] = scope_text (a);
      row[3] = g_strdup_printf ("%s%s", state, silenced ? " (silenced)" : "");
      row[4] = age_text (since, now);
      row[5] = g_strdup (by);
      g_ptr_array_add (rows, row);
    }
  if (rows->len == 1)
    g_print (all ? "no alerts, active or recently resolved\n" : "no active alerts\n");
  else
    print_table (rows, 6);
  g_autoptr (GString) out = g_string_new (NULL);
  JsonObject *o = json_node_get_object (root);
  JsonArray *stale = json_object_has_member (o, "stale_units") ? json_object_get_array_member (o, "stale_units") : NULL;
  for (guint i = 0; stale != NULL && i < json_array_get_length (stale); i++)
    g_string_append_printf (out, "%s%s", i == 0 ? "stale data (spike rules hold): " : ", ",
                            json_array_get_string_element (stale, i));
  if (stale != NULL && json_array_get_length (stale) > 0)
    g_string_append_c (out, '\n');
  g_print ("%s", out->str);
  return EXIT_GOOD;
}

/* The alert an ack answer's list holds for target (an id or RULE/SCOPE). */
static JsonObject *
find_alert (JsonNode *root, const gchar *target)
{
  JsonObject *o = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonArray *alerts = o != NULL && json_object_has_member (o, "alerts") ? json_object_get_array_member (o, "alerts")
                                                                         : NULL;
  for (guint i = 0; alerts != NULL && i < json_array_get_length (alerts); i++)
    {
      JsonObject *a = json_array_get_object_element (alerts, i);
      g_autofree gchar *key = g_strdup_printf ("%s/%s", json_object_get_string_member_with_default (a, "rule", ""),
                                               json_object_get_string_member_with_default (a, "scope", ""));
      if (g_str_equal (json_object_get_string_member_with_default (a, "id", ""), target)
          || g_str_equal (key, target))
        return a;
    }
  return NULL;
}

static int
cmd_ack (int argc, char **argv)
{
  g_autofree gchar *url = NULL, *token = NULL, *note = NULL, *by = NULL;
  GOptionEntry entries[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url, "The hub's HTTP address (default http://127.0.0.1:8080)", "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token, "Operator token (or IOCCTL_TOKEN)", "TOKEN" },
    { "note", 'n', 0, G_OPTION_ARG_STRING, &note, "Why (shown with the alert, also on the wall)", "TEXT" },
    { "by", 0, 0, G_OPTION_ARG_STRING, &by, "Operator's name (default: the login name)", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the hub's JSON answer", NULL },
    { NULL }
  };
  if (!parse_options ("ack", "ID|RULE/SCOPE", entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2 || *argv[1] == '\0')
    {
      g_printerr ("iocctl ack: expected one alert: its ID or RULE/SCOPE (iocctl alerts lists them)\n");
      return EXIT_USAGE;
    }
  if (!operator_token ("ack", &token))
    return EXIT_USAGE;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_member (b, "by", by ? by : g_get_user_name ());
  add_member (b, "note", note);
  json_builder_end_object (b);
  /* RULE/SCOPE keeps its slashes: the hub reads everything before /ack. */
  g_autofree gchar *escaped = g_uri_escape_string (argv[1], "/", FALSE);
  g_autofree gchar *path = g_strdup_printf ("/api/v1/alerts/%s/ack", escaped);
  g_autofree gchar *base = hub_url (url);
  int rc;
  g_autoptr (JsonNode) root = api_call ("ack", "POST", base, path, token, b, &rc);
  if (rc != EXIT_GOOD)
    return rc;
  if (opt_json)
    {
      g_autofree gchar *text = root ? json_to_string (root, TRUE) : g_strdup ("{}");
      g_print ("%s\n", text);
      return EXIT_GOOD;
    }
  JsonObject *a = find_alert (root, argv[1]);
  if (a != NULL)
    g_print ("alert %s (%s/%s): acknowledged by %s\n", json_object_get_string_member_with_default (a, "id", "?"),
             json_object_get_string_member_with_default (a, "rule", "?"),
             json_object_get_string_member_with_default (a, "scope", "?"), by ? by : g_get_user_name ());
  else
    g_print ("%s: acknowledged\n", argv[1]);
  return EXIT_GOOD;
}

static int
cmd_silence (int argc, char **argv)
{
  g_autofree gchar *url = NULL, *token = NULL, *note = NULL, *by = NULL, *rule = NULL, *scope = NULL;
  g_autofree gchar *duration = NULL;
  GOptionEntry entries[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url, "The hub's HTTP address (default http://127.0.0.1:8080)", "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token, "Operator token (or IOCCTL_TOKEN)", "TOKEN" },
    { "rule", 'r', 0, G_OPTION_ARG_STRING, &rule, "Rule name (glob)", "GLOB" },
    { "scope", 's', 0, G_OPTION_ARG_STRING, &scope, "Scope, e.g. a unit code or desk/desk-1 (glob)", "GLOB" },
    { "for", 0, 0, G_OPTION_ARG_STRING, &duration, "How long, with its unit: 30m, 2h, 1d", "DURATION" },
    { "note", 'n', 0, G_OPTION_ARG_STRING, &note, "Why", "TEXT" },
    { "by", 0, 0, G_OPTION_ARG_STRING, &by, "Operator's name (default: the login name)", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the hub's JSON answer", NULL },
    { NULL }
  };
  if (!parse_options ("silence", "", entries, &argc, &argv))
    return EXIT_USAGE;
  if (rule == NULL && scope == NULL)
    {
      g_printerr ("iocctl silence: expected --rule GLOB and/or --scope GLOB\n");
      return EXIT_USAGE;
    }
  gint64 us;
  g_autoptr (GError) error = NULL;
  if (!ioc_alert_parse_silence_duration (duration, &us, &error))
    {
      g_printerr ("iocctl silence: --for: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (!operator_token ("silence", &token))
    return EXIT_USAGE;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_member (b, "rule", rule);
  add_member (b, "scope", scope);
  add_member (b, "duration", duration);
  add_member (b, "by", by ? by : g_get_user_name ());
  add_member (b, "comment", note);
  json_builder_end_object (b);
  g_autofree gchar *base = hub_url (url);
  int rc;
  g_autoptr (JsonNode) root = api_call ("silence", "POST", base, "/api/v1/silences", token, b, &rc);
  if (rc != EXIT_GOOD)
    return rc;
  const gchar *id = root && JSON_NODE_HOLDS_OBJECT (root)
                        ? json_object_get_string_member_with_default (json_node_get_object (root), "id", "?") : "?";
  if (opt_json)
    g_print ("{\"id\": \"%s\"}\n", id);
  else
    g_print ("silence %s: rule %s scope %s for %s (iocctl silences --delete %s ends it)\n", id, rule ? rule : "*",
             scope ? scope : "*", duration, id);
  return EXIT_GOOD;
}

static int
cmd_silences (int argc, char **argv)
{
  g_autofree gchar *url = NULL, *token = NULL, *delete_id = NULL;
  GOptionEntry entries[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url, "The hub's HTTP address (default http://127.0.0.1:8080)", "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token, "A display or operator token; --delete needs an operator's "
      "(or IOCCTL_TOKEN)", "TOKEN" },
    { "delete", 'd', 0, G_OPTION_ARG_STRING, &delete_id, "End this silence now", "ID" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the hub's JSON answer", NULL },
    { NULL }
  };
  if (!parse_options ("silences", "", entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1)
    {
      g_printerr ("iocctl silences: unexpected argument '%s' (to end one: --delete ID)\n", argv[1]);
      return EXIT_USAGE;
    }
  g_autofree gchar *base = hub_url (url);
  int rc;
  if (delete_id != NULL)
    {
      if (!operator_token ("silences", &token))
        return EXIT_USAGE;
      g_autofree gchar *escaped = g_uri_escape_string (delete_id, NULL, FALSE);
      g_autofree gchar *path = g_strdup_printf ("/api/v1/silences/%s", escaped);
      g_autoptr (JsonNode) gone = api_call ("silences", "DELETE", base, path, token, NULL, &rc);
      if (rc != EXIT_GOOD)
        return rc;
      if (opt_json)
        g_print ("{\"deleted\": \"%s\"}\n", delete_id);
      else
        g_print ("silence %s: deleted\n", delete_id);
      return EXIT_GOOD;
    }
  env_token (&token);
  g_autoptr (JsonNode) root = NULL;
  JsonArray *list = api_get_list ("silences", base, "/api/v1/silences", token, "silences", &root, &rc);
  if (list == NULL)
    return rc;
  if (json_array_get_length (list) == 0)
    {
      g_print ("no active silences\n");
      return EXIT_GOOD;
    }
  gint64 now = g_get_real_time ();
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  const gchar *head[] = { "ID", "RULE", "SCOPE", "ENDS IN", "BY", "COMMENT", NULL };
  g_ptr_array_add (rows, g_strdupv ((gchar **) head));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *s = json_array_get_object_element (list, i);
      gint64 left = iso_us (s, "expires_at") - now;
      gchar **row = g_new0 (gchar *, 7);
      row[0] = g_strdup (json_object_get_string_member_with_default (s, "id", "?"));
      row[1] = g_strdup (json_object_get_string_member_with_default (s, "rule", "*"));
      row[2] = g_strdup (json_object_get_string_member_with_default (s, "scope", "*"));
      row[3] = age_text (now - MAX (left, 0), now);
      row[4] = g_strdup (json_object_get_string_member_with_default (s, "by", ""));
      row[5] = g_strdup (json_object_get_string_member_with_default (s, "comment", ""));
      g_ptr_array_add (rows, row);
    }
  print_table (rows, 6);
  return EXIT_GOOD;
}

/* ───────────────────────── push-config ───────────────────────── */

/* iocctl links the hub's own stages (dry-run), hence Paho's asynchronous
 * library, the hub's one: the push waits on its callbacks. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gint connect_state; /* 0 pending, 1 connected, -1 refused or failed */
  gint connect_code;
  GQueue answers; /* gchar*: fresh (not retained) messages on .../applied */
} PushWait;

static void
push_connected_cb (void *context, MQTTAsync_successData *response)
{
  PushWait *w = context;
  g_mutex_lock (&w->lock);
  w->connect_state = 1;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

static void
push_connect_failed_cb (void *context, MQTTAsync_failureData *response)
{
  PushWait *w = context;
  g_mutex_lock (&w->lock);
  w->connect_state = -1;
  w->connect_code = response ? response->code : -1;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

static int
push_message_cb (void *context, char *topic, int topic_len, MQTTAsync_message *m)
{
  PushWait *w = context;
  /* A retained answer is the connector's reply to an earlier push. */
  if (!m->retained)
    {
      g_mutex_lock (&w->lock);
      g_queue_push_tail (&w->answers, g_strndup (m->payload, (gsize) m->payloadlen));
      g_cond_broadcast (&w->cond);
      g_mutex_unlock (&w->lock);
    }
  MQTTAsync_freeMessage (&m);
  MQTTAsync_free (topic);
  return 1;
}

/* Prints the connector's answer; the exit status it means. */
static int
report_answer (const IocCtlConnector *c, const gchar *answer)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  gboolean ok = TRUE;
  if (json_parser_load_from_data (p, answer, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    {
      JsonObject *o = json_node_get_object (json_parser_get_root (p));
      if (json_object_has_member (o, "ok"))
        ok = json_object_get_boolean_member_with_default (o, "ok", FALSE);
      const gchar *st = json_object_get_string_member_with_default (o, "status", NULL);
      if (st == NULL)
        st = json_object_get_string_member_with_default (o, "result", NULL);
      if (st != NULL && (g_str_equal (st, "rejected") || g_str_equal (st, "error")))
        ok = FALSE;
    }
  else if (g_str_has_prefix (answer, "rejected") || g_str_has_prefix (answer, "error"))
    ok = FALSE;
  if (opt_json)
    g_print ("%s\n", answer);
  else
    g_print ("%s: %s: %s\n", c->id, ok ? "applied" : "REJECTED (the connector keeps its old config)", answer);
  return ok ? EXIT_GOOD : EXIT_CHECK;
}

/* Long on purpose: options, validate, publish retained, wait for the
 * connector's answer, report (see cmd_validate). */
static int
cmd_push_config (int argc, char **argv)
{
  g_autofree gchar *connectors_dir = NULL, *url = NULL, *username = NULL, *password = NULL;
  gint timeout_s = 10;
  GOptionEntry entries[] = {
    { "connectors", 0, 0, G_OPTION_ARG_FILENAME, &connectors_dir, "Declared connector configs", "DIR" },
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url, "Broker (default: the connector's [mqtt] url)", "URL" },
    { "username", 0, 0, G_OPTION_ARG_STRING, &username, "Broker account allowed to write config topics (or IOCCTL_MQTT_USERNAME)", "NAME" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &password, "Its password (or IOCCTL_MQTT_PASSWORD)", "PW" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_s, "Seconds to wait for the connector's answer (default 10)", "S" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the connector's answer only", NULL },
    { NULL }
  };
  if (!parse_options ("push-config", "NAME", entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2 || connectors_dir == NULL)
    {
      g_printerr ("iocctl push-config: expected NAME (connector id or file name) and --connectors DIR\n");
      return EXIT_USAGE;
    }
  if (username == NULL && g_getenv ("IOCCTL_MQTT_USERNAME"))
    username = g_strdup (g_getenv ("IOCCTL_MQTT_USERNAME"));
  if (password == NULL && g_getenv ("IOCCTL_MQTT_PASSWORD"))
    password = g_strdup (g_getenv ("IOCCTL_MQTT_PASSWORD"));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) list = ioc_ctl_connectors_load_dir (connectors_dir, errors, &error);
  if (list == NULL)
    {
      g_printerr ("iocctl push-config: %s\n", error->message);
      return EXIT_USAGE;
    }
  IocCtlConnector *c = ioc_ctl_connectors_find (list, argv[1]);
  if (c == NULL)
    {
      for (guint i = 0; i < errors->len; i++)
        g_printerr ("error  %s\n", (gchar *) errors->pdata[i]);
      g_printerr ("iocctl push-config: no valid connector '%s' in %s: nothing pushed\n", argv[1], connectors_dir);
      return EXIT_CHECK;
    }
  /* The connector's own checks (connectors/lib, the kind's group
   * included), on the very bytes that would be published: a file it would
   * refuse never reaches the retained topic. */
  if (memchr (c->raw, '\0', c->raw_len) != NULL || !ioc_connector_check_data (c->path, c->raw, ioc_connector_kinds, &error))
    {
      g_printerr ("error  %s\n", error ? error->message : "expected a text file, got a NUL byte");
      g_printerr ("iocctl push-config: %s does not pass `ioc-connector --check`: nothing pushed\n", c->path);
      return EXIT_CHECK;
    }
  if (url == NULL)
    url = g_strdup (c->mqtt_url);
  g_autofree gchar *topic = ioc_ctl_connector_config_topic (c);
  g_autofree gchar *applied = g_strconcat (topic, "/applied", NULL);
  g_autofree gchar *client_id = g_strdup_printf ("iocctl-%d", (int) getpid ());

  MQTTAsync client = NULL;
  if (MQTTAsync_create (&client, url, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL) != MQTTASYNC_SUCCESS)
    {
      g_printerr ("iocctl push-config: %s: expected a broker URL such as tcp://127.0.0.1:1883\n", url);
      return EXIT_USAGE;
    }
  PushWait w = { 0 };
  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  g_queue_init (&w.answers);
  MQTTAsync_setCallbacks (client, &w, NULL, push_message_cb, NULL);
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.keepAliveInterval = 20;
  co.cleansession = 1;
  co.username = username;
  co.password = password;
  co.connectTimeout = 10;
  co.onSuccess = push_connected_cb;
  co.onFailure = push_connect_failed_cb;
  co.context = &w;
  int result = EXIT_CHECK;
  g_autofree gchar *answer = NULL;
  gint64 connect_deadline = g_get_monotonic_time () + 12 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&w.lock);
  if (MQTTAsync_connect (client, &co) != MQTTASYNC_SUCCESS)
    w.connect_state = -1, w.connect_code = -1;
  while (w.connect_state == 0 && g_cond_wait_until (&w.cond, &w.lock, connect_deadline))
    ;
  gint connected = w.connect_state;
  gint code = w.connect_code;
  g_mutex_unlock (&w.lock);
  if (connected != 1)
    {
      g_printerr ("iocctl push-config: %s: connect refused or failed (%d)%s\n", url, connected == 0 ? -1 : code,
                  code == 5 ? ": not authorised (give --username/--password of an account that may write config topics)"
                            : "");
      goto out;
    }
  MQTTAsync_responseOptions sub = MQTTAsync_responseOptions_initializer;
  int rc = MQTTAsync_subscribe (client, applied, 1, &sub);
  if (rc == MQTTASYNC_SUCCESS)
    rc = MQTTAsync_waitForCompletion (client, sub.token, 10000);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_printerr ("iocctl push-config: subscribing to %s failed (%d)\n", applied, rc);
      goto out;
    }
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = c->raw;
  msg.payloadlen = (int) c->raw_len;
  msg.qos = 1;
  msg.retained = 1;
  MQTTAsync_responseOptions pub = MQTTAsync_responseOptions_initializer;
  rc = MQTTAsync_sendMessage (client, topic, &msg, &pub);
  if (rc == MQTTASYNC_SUCCESS)
    rc = MQTTAsync_waitForCompletion (client, pub.token, 10000);
  if (rc != MQTTASYNC_SUCCESS)
    {
      g_printerr ("iocctl push-config: publishing on %s failed (%d)\n", topic, rc);
      goto out;
    }
  if (!opt_json)
    g_print ("%s: published retained on %s (%zu bytes); waiting %d s for %s\n", c->path, topic, c->raw_len,
             timeout_s, applied);
  gint64 deadline = g_get_monotonic_time () + (gint64) MAX (timeout_s, 0) * G_USEC_PER_SEC;
  g_mutex_lock (&w.lock);
  while (g_queue_is_empty (&w.answers) && g_cond_wait_until (&w.cond, &w.lock, deadline))
    ;
  answer = g_queue_pop_head (&w.answers);
  g_mutex_unlock (&w.lock);
  if (answer != NULL)
    result = report_answer (c, answer);
  if (answer != NULL && result != EXIT_GOOD)
    {
      /* Refused: take it off the topic (an empty retained message clears
       * it; the connector ignores that), so that no reconnect brings it
       * back and the topic never holds a config nobody runs. */
      MQTTAsync_message clear = MQTTAsync_message_initializer;
      clear.payload = (void *) "";
      clear.payloadlen = 0;
      clear.qos = 1;
      clear.retained = 1;
      MQTTAsync_responseOptions cl = MQTTAsync_responseOptions_initializer;
      rc = MQTTAsync_sendMessage (client, topic, &clear, &cl);
      if (rc == MQTTASYNC_SUCCESS)
        rc = MQTTAsync_waitForCompletion (client, cl.token, 10000);
      if (rc != MQTTASYNC_SUCCESS)
        g_printerr ("iocctl push-config: the refused config stays retained on %s: clearing it failed (%d); "
                    "clear it with: mosquitto_pub -r -n -t %s\n", topic, rc, topic);
      else if (!opt_json)
        g_print ("%s: cleared the refused config from %s\n", c->id, topic);
    }
  else if (answer == NULL)
    g_printerr ("iocctl push-config: no answer on %s within %d s; the config stays retained and the connector "
                "gets it when it connects\n", applied, timeout_s);
out:
  if (MQTTAsync_isConnected (client))
    {
      MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
      dopts.timeout = 2000;
      MQTTAsync_disconnect (client, &dopts);
      for (gint i = 0; i < 100 && MQTTAsync_isConnected (client); i++)
        g_usleep (20000);
    }
  MQTTAsync_destroy (&client);
  g_queue_clear_full (&w.answers, g_free);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  return result;
}

/* ───────────────────────── main ───────────────────────── */

/* On stdout for --help (exit 0), on stderr after a usage error. */
static void
usage (gboolean to_stdout)
{
  (to_stdout ? g_print : g_printerr) ("usage: iocctl COMMAND [OPTIONS]   (iocctl COMMAND --help for its options)\n"
              "  validate       check hub config, registry, calendar, procedures, alert rules, connector configs\n"
              "  broker-config  write mosquitto's password file, ACL and config include from connector configs\n"
              "  connectors     list connectors and their health from the hub; exit 1 when any is down\n"
              "  push-config    publish a connector's config on its config topic and wait for its answer\n"
              "  alerts         list the active alerts: id, rule, scope with its unit's name, state, age, ack\n"
              "  ack            acknowledge an alert by its ID or RULE/SCOPE (operator token)\n"
              "  silence        silence alerts by rule and scope for a while (operator token)\n"
              "  silences       list the active silences; --delete ID ends one (operator token)\n"
              "  dry-run        run sample messages through the hub's stages offline: what it would publish "
              "and write\n"
              "  report         write the month's 766 scorecard as CSV and a printable report (Vietnamese)\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      usage (argc >= 2);
      return argc < 2 ? EXIT_USAGE : EXIT_GOOD;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("iocctl %s\n", IOC_VERSION);
      return EXIT_GOOD;
    }
  const gchar *cmd = argv[1];
  argv[1] = argv[0];
  argc--, argv++;
  curl_global_init (CURL_GLOBAL_DEFAULT);
  int rc;
  if (g_str_equal (cmd, "validate"))
    rc = cmd_validate (argc, argv);
  else if (g_str_equal (cmd, "broker-config"))
    rc = cmd_broker_config (argc, argv);
  else if (g_str_equal (cmd, "connectors"))
    rc = cmd_connectors (argc, argv);
  else if (g_str_equal (cmd, "push-config"))
    rc = cmd_push_config (argc, argv);
  else if (g_str_equal (cmd, "alerts"))
    rc = cmd_alerts (argc, argv);
  else if (g_str_equal (cmd, "ack"))
    rc = cmd_ack (argc, argv);
  else if (g_str_equal (cmd, "silence"))
    rc = cmd_silence (argc, argv);
  else if (g_str_equal (cmd, "silences"))
    rc = cmd_silences (argc, argv);
  else if (g_str_equal (cmd, "dry-run"))
    rc = ioc_ctl_dry_run (argc, argv);
  else if (g_str_equal (cmd, "report"))
    rc = ioc_ctl_report (argc, argv);
  else
    {
      g_printerr ("iocctl: unknown command '%s'\n", cmd);
      usage (FALSE);
      rc = EXIT_USAGE;
    }
  curl_global_cleanup ();
  return rc;
}
