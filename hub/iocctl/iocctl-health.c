/* iocctl-health.c — see iocctl-health.h: `iocctl connectors`, the hub's
 * /api/v1/connectors (every page) joined with the declared configs on disk.
 * Single-threaded tool code. */
#include "iocctl-health.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "iocctl-cli.h"
#include "iocctl-connector.h"
#include "iocctl-http.h"
#include "protocol/ioc-json.h"

/* The first of names (ended by NULL) that o holds as a value, as text
 * (a number is formatted into buf); "-" when none. */
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

/* A hub without /api/v1/connectors: the connector series of its /metrics,
 * and the declared connectors (may be NULL) with their health unknown.
 * Exit 1 when /metrics cannot be read or the hub's MQTT is disconnected. */
static int
connectors_from_metrics (const gchar *url, GPtrArray *declared, gboolean json)
{
  g_autofree gchar *murl = g_strconcat (url, "/metrics", NULL);
  g_autoptr (GError) error = NULL;
  glong status;
  g_autofree gchar *body = ioc_ctl_http_request ("GET", murl, NULL, NULL, 10, &status, &error);
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
  ioc_json_string (b, "source", "metrics");
  json_builder_set_member_name (b, "note");
  json_builder_add_string_value (b, "/api/v1/connectors is not available on this hub; per-connector health unknown");
  if (!json)
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
          if (!json)
            g_print ("  %-40s %g\n", *l, v);
          if (g_str_equal (*l, "iochub_mqtt_connected") && v == 0)
            down = TRUE;
        }
  g_strfreev (lines);
  if (declared != NULL)
    {
      ioc_json_begin_array (b, "declared");
      for (guint i = 0; i < declared->len; i++)
        {
          IocCtlConnector *c = declared->pdata[i];
          json_builder_add_string_value (b, c->id);
          if (!json)
            g_print ("  declared %-24s %s %s/%s  health unknown\n", c->id, c->kind, c->unit ? c->unit : "*", c->device);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  if (json)
    ioc_ctl_print_json (b, TRUE);
  return down ? EXIT_CHECK : EXIT_GOOD;
}

/* GETs every page of api (the hub pages the list: `next`), the rows of
 * the later pages joined into the first one's document (the totals are the
 * same on each).  Bounded.  EXIT_GOOD and *root (transfer full); EXIT_GOOD,
 * *root NULL and *not_found when the hub has no such endpoint (404 on the
 * first page); else a message printed and the exit status. */
static int
get_all_pages (const gchar *api, const gchar *token, JsonNode **root, gboolean *not_found)
{
  g_autoptr (JsonNode) doc = NULL;
  JsonArray *arr = NULL;
  g_autofree gchar *after = NULL;
  g_autoptr (GError) error = NULL;
  *not_found = FALSE;
  for (guint page = 0; page < 10000; page++)
    {
      g_autofree gchar *escaped = after != NULL ? g_uri_escape_string (after, NULL, TRUE) : NULL;
      g_autofree gchar *page_url = g_strdup_printf ("%s?limit=5000%s%s", api, escaped ? "&after=" : "",
                                                    escaped ? escaped : "");
      glong status;
      g_autofree gchar *body = ioc_ctl_http_request ("GET", page_url, token, NULL, 10, &status, &error);
      if (body == NULL)
        {
          g_printerr ("iocctl connectors: %s\n", error->message);
          return EXIT_CHECK;
        }
      if (status == 404 && page == 0)
        {
          *not_found = TRUE;
          return EXIT_GOOD;
        }
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
      if (doc == NULL)
        {
          doc = json_node_copy (got);
          arr = JSON_NODE_HOLDS_ARRAY (doc) ? json_node_get_array (doc)
                                            : json_object_get_array_member (json_node_get_object (doc), "connectors");
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
  if (JSON_NODE_HOLDS_OBJECT (doc))
    json_object_remove_member (json_node_get_object (doc), "next");
  *root = g_steal_pointer (&doc);
  return EXIT_GOOD;
}

/* The declared connector of (kind, device) in declared (may be NULL), or
 * NULL; *version the config version push-config would publish for it
 * (SPEC §3 config topic). */
static IocCtlConnector *
find_declared (GPtrArray *declared, const gchar *kind, const gchar *device, gchar **version)
{
  IocCtlConnector *found = NULL;
  for (guint j = 0; declared && j < declared->len; j++)
    {
      IocCtlConnector *c = declared->pdata[j];
      if (g_str_equal (c->kind, kind) && g_str_equal (c->device, device))
        {
          found = c;
          g_autofree gchar *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) c->raw, c->raw_len);
          g_clear_pointer (version, g_free);
          *version = g_strndup (hex, 12);
        }
    }
  return found;
}

/* One entry of the hub's list: a table row unless json; adds its
 * KIND/DEVICE to seen.  Whether it is down. */
static gboolean
connector_row (JsonObject *o, GPtrArray *declared, const gchar *connectors_dir, gboolean json, GHashTable *seen)
{
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
  /* The hub's inventory, or the folder given here: heard but not in it. */
  g_autofree gchar *declared_version = NULL;
  const IocCtlConnector *in_dir = find_declared (declared, kind, device, &declared_version);
  const gchar *config_version = json_object_get_string_member_with_default (o, "config_version", NULL);
  gboolean hub_declared = json_object_get_boolean_member_with_default (o, "declared", FALSE);
  gboolean undeclared = json_object_get_boolean_member_with_default (o, "undeclared", FALSE)
                        || (declared != NULL && in_dir == NULL);
  const gchar *inventory = undeclared ? "undeclared" : hub_declared || in_dir != NULL ? "declared" : "-";
  gboolean down = entry_is_down (o);
  g_hash_table_add (seen, g_strconcat (kind, "/", device, NULL));
  if (json)
    return down;
  gchar age[32] = "-";
  JsonNode *an = json_object_get_member (o, "age_s");
  if (an != NULL && JSON_NODE_HOLDS_VALUE (an))
    g_snprintf (age, sizeof age, "%.0f", json_node_get_double (an));
  g_autofree gchar *differs = NULL;
  if (declared_version != NULL && config_version != NULL && !g_str_equal (declared_version, config_version))
    differs = g_strdup_printf ("   (config in %s: %s)", connectors_dir, declared_version);
  g_print ("%-8s %-24s %-12s %-8s %-9s %-10s %9s %8s %8s %6s %6s %8s %-12s  %s%s%s\n", kind, device,
           member_string (o, k_unit, b[2], sizeof b[2]), member_string (o, k_state, b[3], sizeof b[3]),
           member_string (o, k_rep, b[4], sizeof b[4]), inventory, age, member_string (o, k_seq, b[6], sizeof b[6]),
           member_string (o, k_gaps, b[7], sizeof b[7]), member_string (o, k_dead, b[8], sizeof b[8]),
           member_string (o, k_resets, b[9], sizeof b[9]), member_string (o, k_remapped, b[10], sizeof b[10]),
           config_version ? config_version : "-", in_dir != NULL ? in_dir->id : "", down ? "   DOWN" : "",
           differs ? differs : "");
  return down;
}

/* The declared connectors the hub has no row for (not in seen, keyed
 * "kind/device"): their ids into unknown, a DOWN line each unless json.
 * Returns how many. */
static guint
declared_unknown (GPtrArray *declared, GHashTable *seen, gboolean json, GPtrArray *unknown)
{
  guint n = 0;
  for (guint i = 0; declared && i < declared->len; i++)
    {
      IocCtlConnector *c = declared->pdata[i];
      g_autofree gchar *key = g_strconcat (c->kind, "/", c->device, NULL);
      if (!g_hash_table_contains (seen, key))
        {
          g_ptr_array_add (unknown, c->id);
          n++;
          if (!json)
            g_print ("%-8s %-24s %-12s %-8s (declared in %s as %s, unknown to the hub)   DOWN\n", c->kind, c->device,
                     c->unit ? c->unit : "*", "missing", c->path, c->id);
        }
    }
  return n;
}

/* --json: the API's rows as they are, with the count down and the
 * declared ids the hub does not know. */
static void
print_api_json (JsonNode *list, guint n_down, GPtrArray *unknown)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_string (b, "source", "api");
  ioc_json_int (b, "down", n_down);
  json_builder_set_member_name (b, "connectors");
  json_builder_add_value (b, json_node_copy (list));
  ioc_json_begin_array (b, "missing");
  for (guint i = 0; i < unknown->len; i++)
    json_builder_add_string_value (b, unknown->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  ioc_ctl_print_json (b, TRUE);
}

int
ioc_ctl_connectors_health (int argc, char **argv)
{
  g_autofree gchar *url = NULL, *connectors_dir = NULL, *token = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    IOC_CTL_OPTION_URL (url),
    { "connectors", 0, 0, G_OPTION_ARG_FILENAME, &connectors_dir, "Declared connectors, to flag those the hub never heard of", "DIR" },
    IOC_CTL_OPTION_TOKEN (token, "Read token (or IOCCTL_TOKEN)"),
    IOC_CTL_OPTION_JSON (json, "Machine-readable output"),
    { NULL }
  };
  if (!ioc_ctl_parse_options ("connectors", "", entries, &argc, &argv))
    return EXIT_USAGE;
  g_autofree gchar *base = ioc_ctl_hub_url (url);
  ioc_ctl_env_token (&token);
  g_autoptr (GPtrArray) declared = NULL;
  if (connectors_dir != NULL)
    {
      g_autoptr (GError) error = NULL;
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
  g_autofree gchar *api = g_strconcat (base, "/api/v1/connectors", NULL);
  g_autoptr (JsonNode) root = NULL;
  gboolean not_found;
  int rc = get_all_pages (api, token, &root, &not_found);
  if (rc != EXIT_GOOD)
    return rc;
  if (not_found)
    return connectors_from_metrics (base, declared, json);
  JsonNode *list = JSON_NODE_HOLDS_ARRAY (root) ? root : json_object_get_member (json_node_get_object (root), "connectors");
  JsonArray *arr = json_node_get_array (list);
  guint n_down = 0;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!json)
    g_print ("%-8s %-24s %-12s %-8s %-9s %-10s %9s %8s %8s %6s %6s %8s %-12s  %s\n", "KIND", "DEVICE", "UNIT",
             "STATE", "REPORTING", "INVENTORY", "AGE S", "LAST SEQ", "MISSING", "DEAD", "RESETS", "REMAPPED", "CONFIG",
             "CONNECTOR");
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      if (o != NULL)
        n_down += connector_row (o, declared, connectors_dir, json, seen);
    }
  g_autoptr (GPtrArray) unknown = g_ptr_array_new ();
  n_down += declared_unknown (declared, seen, json, unknown);
  if (json)
    print_api_json (list, n_down, unknown);
  else
    g_print ("%u connector(s) down\n", n_down);
  return n_down > 0 ? EXIT_CHECK : EXIT_GOOD;
}
