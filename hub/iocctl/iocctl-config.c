/* iocctl-config.c — see iocctl-config.h: the commands that read the config
 * files on disk and never the hub: validate and broker-config.
 * Single-threaded tool code. */
#include "iocctl-config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "aggregate/dossier-tracker.h"
#include "alerts/alert-rules.h"
#include "hub-config.h"
#include "iocctl-broker.h"
#include "iocctl-cli.h"
#include "iocctl-connector.h"
#include "kinds/kinds.h"
#include "lib/connector.h"
#include "model/calendar.h"
#include "model/units.h"
#include "protocol/ioc-json.h"
#include "protocol/ioc-time.h"

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

/* The hub's config and the files it names, each by the loader iochub
 * uses.  *config and *units stay NULL when they cannot be read; the
 * connectors folder and the alert rules it names fill *connectors_dir and
 * *alerts_path where the command line left them NULL. */
static void
validate_hub_config (Findings *f, const gchar *config_path, IocHubConfig **config, IocUnitRegistry **units,
                     gchar **connectors_dir, gchar **alerts_path)
{
  g_autoptr (GError) error = NULL;
  *config = ioc_hub_config_load (config_path, &error);
  if (*config == NULL)
    {
      found_error (f, error);
      return;
    }
  const IocHubConfig *c = *config;
  g_ptr_array_add (f->checked, g_strdup_printf ("%s: hub config (province %s, hub %s)", config_path, c->province,
                                                c->hub_id));
  *units = ioc_units_load (c->units_path, &error);
  if (*units == NULL)
    found_error (f, error), g_clear_error (&error);
  else
    g_ptr_array_add (f->checked, g_strdup_printf ("%s: unit registry, %u entries", c->units_path,
                                                  ioc_units_size (*units)));
  if (c->calendar_paths == NULL || c->calendar_paths[0] == NULL)
    /* The hub starts on a built-in weekends-only calendar then; say so, as it does. */
    g_ptr_array_add (f->warnings, g_strdup_printf ("%s: [hub] calendar is empty: deadlines skip weekends but no "
                                                   "public holidays",
                                                   config_path));
  else
    {
      g_autoptr (IocCalendar) cal = ioc_calendar_load ((const gchar *const *) c->calendar_paths, &error);
      if (cal == NULL)
        found_error (f, error), g_clear_error (&error);
      else
        for (gchar **p = c->calendar_paths; *p; p++)
          g_ptr_array_add (f->checked, g_strdup_printf ("%s: calendar", *p));
    }
  if (c->procedures_path != NULL)
    {
      g_autoptr (IocProcedures) procs = ioc_procedures_load (c->procedures_path, &error);
      if (procs == NULL)
        found_error (f, error), g_clear_error (&error);
      else
        g_ptr_array_add (f->checked, g_strdup_printf ("%s: procedures", c->procedures_path));
    }
  if (*connectors_dir == NULL && c->connectors_dir != NULL)
    *connectors_dir = g_strdup (c->connectors_dir);
  if (*alerts_path == NULL && c->alerts_path != NULL)
    *alerts_path = g_strdup (c->alerts_path);
}

static void
add_string_array (JsonBuilder *b, const gchar *name, GPtrArray *strings)
{
  ioc_json_begin_array (b, name);
  for (guint i = 0; i < strings->len; i++)
    json_builder_add_string_value (b, strings->pdata[i]);
  json_builder_end_array (b);
}

/* What was checked, warned about and found wrong: one JSON document, or
 * one line each and a verdict. */
static void
print_findings (const Findings *f, gboolean ok, gboolean json)
{
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ioc_json_bool (b, "ok", ok);
      add_string_array (b, "errors", f->errors);
      add_string_array (b, "warnings", f->warnings);
      add_string_array (b, "checked", f->checked);
      json_builder_end_object (b);
      ioc_ctl_print_json (b, TRUE);
      return;
    }
  for (guint i = 0; i < f->checked->len; i++)
    g_print ("ok     %s\n", (gchar *) f->checked->pdata[i]);
  for (guint i = 0; i < f->warnings->len; i++)
    g_print ("warn   %s\n", (gchar *) f->warnings->pdata[i]);
  for (guint i = 0; i < f->errors->len; i++)
    g_print ("error  %s\n", (gchar *) f->errors->pdata[i]);
  g_print ("%s: %u error(s), %u warning(s)\n", ok ? "valid" : "INVALID", f->errors->len, f->warnings->len);
}

int
ioc_ctl_validate (int argc, char **argv)
{
  g_autofree gchar *config_path = NULL, *connectors_dir = NULL, *alerts_path = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Hub configuration (and the files it names)", "FILE" },
    { "connectors", 0, 0, G_OPTION_ARG_FILENAME, &connectors_dir, "Connector configs (default: [hub] connectors)", "DIR" },
    { "alerts", 0, 0, G_OPTION_ARG_FILENAME, &alerts_path, "Alert rules (default: [hub] alerts)", "FILE" },
    IOC_CTL_OPTION_JSON (json, "Machine-readable output"),
    { NULL }
  };
  if (!ioc_ctl_parse_options ("validate", "", entries, &argc, &argv))
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
  if (config_path != NULL)
    validate_hub_config (&f, config_path, &config, &units, &connectors_dir, &alerts_path);
  if (alerts_path != NULL)
    {
      /* The alert engine's own loader: what the hub would refuse, iocctl reports. */
      g_autoptr (GError) error = NULL;
      g_autoptr (IocAlertRules) rules = ioc_alert_rules_load (alerts_path, &error);
      if (rules == NULL)
        found_error (&f, error);
      else
        g_ptr_array_add (f.checked, g_strdup_printf ("%s: alert rules", alerts_path));
    }
  if (connectors_dir != NULL)
    validate_connectors (&f, connectors_dir, config, units);

  gboolean ok = f.errors->len == 0;
  print_findings (&f, ok, json);
  g_ptr_array_unref (f.errors);
  g_ptr_array_unref (f.checked);
  g_ptr_array_unref (f.warnings);
  return ok ? EXIT_GOOD : EXIT_CHECK;
}

/* ───────────────────────── broker-config ───────────────────────── */

/* The provinces the hub reads, NULL-terminated (borrowed strings): the
 * hub's own (config may be NULL), then each connector's, once. */
static GPtrArray *
provinces_of (const IocHubConfig *config, GPtrArray *connectors)
{
  GPtrArray *provinces = g_ptr_array_new ();
  if (config != NULL)
    g_ptr_array_add (provinces, config->province);
  for (guint i = 0; i < connectors->len; i++)
    {
      IocCtlConnector *c = connectors->pdata[i];
      if (!g_ptr_array_find_with_equal_func (provinces, c->province, g_str_equal, NULL))
        g_ptr_array_add (provinces, c->province);
    }
  g_ptr_array_add (provinces, NULL);
  return provinces;
}

/* 18 random bytes in base64 without + / =: a password that needs no
 * quoting in hub.conf or a shell.  (transfer full) */
static gchar *
new_password (void)
{
  guint8 raw[18];
  for (guint i = 0; i < sizeof raw; i++)
    raw[i] = g_random_int_range (0, 256);
  gchar *b64 = g_base64_encode (raw, sizeof raw);
  g_strdelimit (b64, "+/=", 'x');
  return b64;
}

/* The hub's broker account where the options left it out: the hub
 * config's [mqtt] username and password (config may be NULL), then the
 * password from IOCCTL_HUB_PASSWORD. */
static void
hub_account_defaults (const IocHubConfig *config, gchar **hub_user, gchar **hub_password)
{
  if (config != NULL)
    {
      if (*hub_user == NULL && config->mqtt_username != NULL && *config->mqtt_username)
        *hub_user = g_strdup (config->mqtt_username);
      if (*hub_password == NULL && config->mqtt_password != NULL && *config->mqtt_password)
        *hub_password = g_strdup (config->mqtt_password);
    }
  if (*hub_password == NULL && g_getenv ("IOCCTL_HUB_PASSWORD") != NULL)
    *hub_password = g_strdup (g_getenv ("IOCCTL_HUB_PASSWORD"));
}

/* OUT/hub.password (mode 0600) with the generated password, and the line
 * of the report that says where it is. */
static gboolean
save_generated_password (const gchar *out_dir, const gchar *hub_user, const gchar *hub_password,
                         GString *report, GError **error)
{
  g_autofree gchar *pw_path = g_build_filename (out_dir, "hub.password", NULL);
  g_autofree gchar *text = g_strconcat (hub_password, "\n", NULL);
  if (!g_file_set_contents_full (pw_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  g_string_append_printf (report, "%s: generated password of the hub account %s: put it in hub.conf [mqtt] "
                                  "password\n", pw_path, hub_user);
  return TRUE;
}

/* Options, read the connectors, write, report, in the order a reader of
 * the output expects them. */
int
ioc_ctl_broker_config (int argc, char **argv)
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
  if (!ioc_ctl_parse_options ("broker-config", "", entries, &argc, &argv))
    return EXIT_USAGE;
  if (connectors_dir == NULL || out_dir == NULL)
    {
      g_printerr ("iocctl broker-config: --connectors DIR and --out DIR are required\n");
      return EXIT_USAGE;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (IocHubConfig) config = NULL;
  if (config_path != NULL && (config = ioc_hub_config_load (config_path, &error)) == NULL)
    {
      g_printerr ("iocctl broker-config: %s\n", error->message);
      return EXIT_CHECK;
    }
  hub_account_defaults (config, &hub_user, &hub_password);
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
  g_autoptr (GPtrArray) provinces = provinces_of (config, list);
  gboolean generated = FALSE;
  if (hub_user != NULL && hub_password == NULL)
    {
      hub_password = new_password ();
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
  if (generated && !save_generated_password (out_dir, hub_user, hub_password, report, &error))
    {
      g_printerr ("iocctl broker-config: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (hub_user == NULL)
    g_string_append (report, "note: no hub account (--hub-user or --config with [mqtt] username): only connectors "
                             "can log in\n");
  g_print ("%s", report->str);
  return EXIT_GOOD;
}
