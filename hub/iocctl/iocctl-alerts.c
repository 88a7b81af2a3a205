/* iocctl-alerts.c — see iocctl-alerts.h: the alert commands, each one call
 * of the hub's API (iocctl-http.h) and a table as the wall shows it.
 * Single-threaded tool code. */
#include "iocctl-alerts.h"

#include <json-glib/json-glib.h>

#include "alerts/alert-rules.h"
#include "iocctl-cli.h"
#include "iocctl-http.h"

/* What every alert command takes: --url, --token, its own options, then
 * --json. */
typedef struct
{
  gchar *base;  /* the hub's base URL, without a trailing slash */
  gchar *token; /* --token, else IOCCTL_TOKEN's value, else NULL */
  gboolean json;
} HubOptions;

static void
hub_options_clear (HubOptions *h)
{
  g_clear_pointer (&h->base, g_free);
  g_clear_pointer (&h->token, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HubOptions, hub_options_clear)

/* ioc_ctl_parse_options() of own (ended by { NULL }) between the common
 * options; token_help is --token's text in --help. */
static gboolean
parse_hub_options (const gchar *command, const gchar *args, const gchar *token_help, const GOptionEntry *own,
                   HubOptions *h, int *argc, char ***argv)
{
  g_autofree gchar *url = NULL;
  GOptionEntry common[] = { IOC_CTL_OPTION_URL (url), IOC_CTL_OPTION_TOKEN (h->token, token_help) };
  GOptionEntry json = IOC_CTL_OPTION_JSON (h->json, "Print the hub's JSON answer");
  g_autoptr (GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry)); /* zero-terminated: { NULL } */
  g_array_append_vals (entries, common, G_N_ELEMENTS (common));
  for (; own->long_name != NULL; own++)
    g_array_append_val (entries, *own);
  g_array_append_val (entries, json);
  if (!ioc_ctl_parse_options (command, args, (GOptionEntry *) entries->data, argc, argv))
    return FALSE;
  h->base = ioc_ctl_hub_url (url);
  ioc_ctl_env_token (&h->token);
  return TRUE;
}

/* The time of an RFC 3339 member in µs since the epoch; 0 when absent or
 * not a time. */
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

/* Rows for print_table, the first one head (ended by NULL); each row a
 * gchar** the table owns. */
static GPtrArray *
table_new (const gchar *const *head)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (rows, g_strdupv ((gchar **) head));
  return rows;
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

/* Firing first, then pending, as the wall puts them; then (--all)
 * resolved. */
static guint
state_rank (const gchar *state)
{
  return g_str_equal (state, "firing") ? 0 : g_str_equal (state, "pending") ? 1 : 2;
}

/* One alert as a row of ID, RULE, SCOPE, STATE, AGE, ACK. */
static gchar **
alert_row (JsonObject *a, gint64 now)
{
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
  return row;
}

int
ioc_ctl_alerts (int argc, char **argv)
{
  g_auto (HubOptions) h = { 0 };
  gboolean all = FALSE;
  GOptionEntry own[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "Also the recently resolved alerts", NULL },
    { NULL }
  };
  if (!parse_hub_options ("alerts", "", "A display or operator token (or IOCCTL_TOKEN)", own, &h, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1)
    {
      g_printerr ("iocctl alerts: unexpected argument '%s'\n", argv[1]);
      return EXIT_USAGE;
    }
  int rc;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *alerts = ioc_ctl_api_get_list ("alerts", h.base, all ? "/api/v1/alerts?all=1" : "/api/v1/alerts",
                                           h.token, "alerts", h.json, &root, &rc);
  if (alerts == NULL)
    return rc;
  gint64 now = g_get_real_time ();
  static const gchar *const head[] = { "ID", "RULE", "SCOPE", "STATE", "AGE", "ACK", NULL };
  g_autoptr (GPtrArray) rows = table_new (head);
  /* Newest first within each state, as the API gives them. */
  for (guint rank = 0; rank < 3; rank++)
    for (guint i = 0; i < json_array_get_length (alerts); i++)
      {
        JsonObject *a = json_array_get_object_element (alerts, i);
        if (state_rank (json_object_get_string_member_with_default (a, "state", "?")) == rank)
          g_ptr_array_add (rows, alert_row (a, now));
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

int
ioc_ctl_ack (int argc, char **argv)
{
  g_auto (HubOptions) h = { 0 };
  g_autofree gchar *note = NULL, *by = NULL;
  GOptionEntry own[] = {
    { "note", 'n', 0, G_OPTION_ARG_STRING, &note, "Why (shown with the alert, also on the wall)", "TEXT" },
    { "by", 0, 0, G_OPTION_ARG_STRING, &by, "Operator's name (default: the login name)", "NAME" },
    { NULL }
  };
  if (!parse_hub_options ("ack", "ID|RULE/SCOPE", "Operator token (or IOCCTL_TOKEN)", own, &h, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2 || *argv[1] == '\0')
    {
      g_printerr ("iocctl ack: expected one alert: its ID or RULE/SCOPE (iocctl alerts lists them)\n");
      return EXIT_USAGE;
    }
  if (!ioc_ctl_operator_token ("ack", &h.token))
    return EXIT_USAGE;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_ctl_add_member (b, "by", by ? by : g_get_user_name ());
  ioc_ctl_add_member (b, "note", note);
  json_builder_end_object (b);
  /* RULE/SCOPE keeps its slashes: the hub reads everything before /ack. */
  g_autofree gchar *escaped = g_uri_escape_string (argv[1], "/", FALSE);
  g_autofree gchar *path = g_strdup_printf ("/api/v1/alerts/%s/ack", escaped);
  int rc;
  g_autoptr (JsonNode) root = ioc_ctl_api_call ("ack", "POST", h.base, path, h.token, b, &rc);
  if (rc != EXIT_GOOD)
    return rc;
  if (h.json)
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

int
ioc_ctl_silence (int argc, char **argv)
{
  g_auto (HubOptions) h = { 0 };
  g_autofree gchar *note = NULL, *by = NULL, *rule = NULL, *scope = NULL, *duration = NULL;
  GOptionEntry own[] = {
    { "rule", 'r', 0, G_OPTION_ARG_STRING, &rule, "Rule name (glob)", "GLOB" },
    { "scope", 's', 0, G_OPTION_ARG_STRING, &scope, "Scope, e.g. a unit code or desk/desk-1 (glob)", "GLOB" },
    { "for", 0, 0, G_OPTION_ARG_STRING, &duration, "How long, with its unit: 30m, 2h, 1d", "DURATION" },
    { "note", 'n', 0, G_OPTION_ARG_STRING, &note, "Why", "TEXT" },
    { "by", 0, 0, G_OPTION_ARG_STRING, &by, "Operator's name (default: the login name)", "NAME" },
    { NULL }
  };
  if (!parse_hub_options ("silence", "", "Operator token (or IOCCTL_TOKEN)", own, &h, &argc, &argv))
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
  if (!ioc_ctl_operator_token ("silence", &h.token))
    return EXIT_USAGE;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_ctl_add_member (b, "rule", rule);
  ioc_ctl_add_member (b, "scope", scope);
  ioc_ctl_add_member (b, "duration", duration);
  ioc_ctl_add_member (b, "by", by ? by : g_get_user_name ());
  ioc_ctl_add_member (b, "comment", note);
  json_builder_end_object (b);
  int rc;
  g_autoptr (JsonNode) root = ioc_ctl_api_call ("silence", "POST", h.base, "/api/v1/silences", h.token, b, &rc);
  if (rc != EXIT_GOOD)
    return rc;
  const gchar *id = root && JSON_NODE_HOLDS_OBJECT (root)
                        ? json_object_get_string_member_with_default (json_node_get_object (root), "id", "?") : "?";
  if (h.json)
    g_print ("{\"id\": \"%s\"}\n", id);
  else
    g_print ("silence %s: rule %s scope %s for %s (iocctl silences --delete %s ends it)\n", id, rule ? rule : "*",
             scope ? scope : "*", duration, id);
  return EXIT_GOOD;
}

int
ioc_ctl_silences (int argc, char **argv)
{
  g_auto (HubOptions) h = { 0 };
  g_autofree gchar *delete_id = NULL;
  GOptionEntry own[] = {
    { "delete", 'd', 0, G_OPTION_ARG_STRING, &delete_id, "End this silence now", "ID" },
    { NULL }
  };
  if (!parse_hub_options ("silences", "", "A display or operator token; --delete needs an operator's (or IOCCTL_TOKEN)",
                          own, &h, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1)
    {
      g_printerr ("iocctl silences: unexpected argument '%s' (to end one: --delete ID)\n", argv[1]);
      return EXIT_USAGE;
    }
  int rc;
  if (delete_id != NULL)
    {
      if (!ioc_ctl_operator_token ("silences", &h.token))
        return EXIT_USAGE;
      g_autofree gchar *escaped = g_uri_escape_string (delete_id, NULL, FALSE);
      g_autofree gchar *path = g_strdup_printf ("/api/v1/silences/%s", escaped);
      g_autoptr (JsonNode) gone = ioc_ctl_api_call ("silences", "DELETE", h.base, path, h.token, NULL, &rc);
      (void) gone; /* only whether it succeeded matters */
      if (rc != EXIT_GOOD)
        return rc;
      if (h.json)
        g_print ("{\"deleted\": \"%s\"}\n", delete_id);
      else
        g_print ("silence %s: deleted\n", delete_id);
      return EXIT_GOOD;
    }
  g_autoptr (JsonNode) root = NULL;
  JsonArray *list = ioc_ctl_api_get_list ("silences", h.base, "/api/v1/silences", h.token, "silences", h.json, &root,
                                          &rc);
  if (list == NULL)
    return rc;
  if (json_array_get_length (list) == 0)
    {
      g_print ("no active silences\n");
      return EXIT_GOOD;
    }
  gint64 now = g_get_real_time ();
  static const gchar *const head[] = { "ID", "RULE", "SCOPE", "ENDS IN", "BY", "COMMENT", NULL };
  g_autoptr (GPtrArray) rows = table_new (head);
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

