/* iocctl-dry-run.c — see iocctl-dry-run.h.
 *
 * No logic of the hub is copied here: the samples go through
 * ioc_hub_ingest() (decode → validate → dedup → device health, queue
 * stats, dossier tracker → rollup), ioc_hub_tick() closes minutes, sweeps
 * deadlines and runs the alert engine, exactly as iochub does.  This file
 * only reads the samples, drives the clock, and collects what would leave
 * the hub: publishes (the MQTT client's capture hook) and minute points
 * (a point observer, formatted by the hub's own line-protocol writer).
 *
 * The clock.  Samples are replayed in order of their arrival time; between
 * two arrivals the hub ticks once per second of event time, as its 1 s
 * timer does.  In a quiet stretch (nothing arrived for 10 minutes) it ticks
 * once per minute, so a sample spanning days stays quick.  After the last
 * sample it runs until --until, or until the last minute has closed.
 *
 * Single-threaded; the hub's worker threads are never started. */
#include "iocctl-dry-run.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "alerts/alert-rules.h"
#include "hub.h"
#include "iocctl-cli.h"
#include "protocol/ioc-json.h"
#include "protocol/ioc-time.h"
#include "sinks/line-protocol.h"

#define QUIET_AFTER_US (10 * G_TIME_SPAN_MINUTE)

typedef struct
{
  gchar *file;
  guint line;
  guint order; /* in the files, for equal arrival times */
  gchar *topic;
  gchar *payload;
  gsize payload_len;
  gint64 received_us;
} Sample;

typedef struct
{
  gboolean json;
  IocHub *hub;
  IocClock *clock;
  const gchar *province;
  const gchar *hub_id;
  gint64 tick_us;         /* the last tick */
  gint64 last_arrival_us;
  GString *lines;         /* scratch for one point */
  GPtrArray *pending_dl;  /* dead letters published by the message being ingested */
  gboolean in_message;
  guint accepted, deadlettered, duplicates;
  guint n_alerts, n_deadletters, n_other, n_lines;
} DryRun;

static void
sample_free (gpointer data)
{
  Sample *s = data;
  g_free (s->file);
  g_free (s->topic);
  g_free (s->payload);
  g_free (s);
}

/* ───────────── the sample files ───────────── */

/* A time member: RFC 3339 with an offset, or integer ms since the epoch. */
static gboolean
time_member (JsonObject *o, const gchar *name, gint64 *out_us, gboolean *present)
{
  JsonNode *n = json_object_get_member (o, name);
  *present = n != NULL && !JSON_NODE_HOLDS_NULL (n);
  if (!*present)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_INT64)
    {
      *out_us = json_node_get_int (n) * 1000;
      return TRUE;
    }
  if (t == G_TYPE_STRING)
    {
      const gchar *s = json_node_get_string (n);
      return ioc_time_parse (s, strlen (s), out_us);
    }
  return FALSE;
}

/* The payload's own "ts" (its event time), when it has a usable one. */
static gboolean
payload_ts (const gchar *payload, gint64 *out_us)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, payload, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    return FALSE;
  gboolean present = FALSE;
  return time_member (json_node_get_object (json_parser_get_root (p)), "ts", out_us, &present) && present;
}

static gboolean
sample_error (GError **error, const gchar *file, guint line, const gchar *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%u: %s", file, line, what);
  return FALSE;
}

/* One line: a JSON object {"topic", "payload", "received"?}, or the short
 * form TOPIC<space>PAYLOAD. */
static gboolean
parse_line (const gchar *file, guint ln, gchar *line, Sample *s, gint64 previous_us, GError **error)
{
  gboolean have_received = FALSE;
  if (*line == '{')
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      g_autoptr (GError) local = NULL;
      if (!json_parser_load_from_data (p, line, -1, &local) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
        {
          g_autofree gchar *what = g_strdup_printf ("expected a JSON object {\"topic\": …, \"payload\": …, "
                                                    "\"received\": …} on one line%s%s",
                                                    local ? ": " : "", local ? local->message : "");
          return sample_error (error, file, ln, what);
        }
      JsonObject *o = json_node_get_object (json_parser_get_root (p));
      const gchar *topic = json_object_get_string_member_with_default (o, "topic", NULL);
      if (topic == NULL || *topic == '\0')
        return sample_error (error, file, ln, "topic: expected the MQTT topic the message came on, as a string");
      JsonNode *payload = json_object_get_member (o, "payload");
      if (payload == NULL)
        return sample_error (error, file, ln, "payload: expected a JSON object (the message) or a string "
                                              "(its raw bytes, e.g. online or a broken payload)");
      s->topic = g_strdup (topic);
      if (JSON_NODE_HOLDS_VALUE (payload) && json_node_get_value_type (payload) == G_TYPE_STRING)
        s->payload = g_strdup (json_node_get_string (payload));
      else
        s->payload = json_to_string (payload, FALSE);
      if (!time_member (o, "received", &s->received_us, &have_received))
        return sample_error (error, file, ln, "received: expected RFC 3339 with an offset "
                                              "(2026-03-02T08:00:00+07:00) or integer ms since the epoch");
    }
  else
    {
      gchar *sp = strchr (line, ' ');
      s->topic = g_strndup (line, sp ? (gsize) (sp - line) : strlen (line));
      s->payload = g_strdup (sp ? sp + 1 : "");
    }
  s->payload_len = strlen (s->payload);
  if (!have_received && !payload_ts (s->payload, &s->received_us))
    {
      /* No time at all (a state message, a broken payload): it arrives
       * with the one before it. */
      if (previous_us == G_MININT64)
        return sample_error (error, file, ln, "received: expected a time (RFC 3339 or ms), since the payload has no "
                                              "ts and no line before it gives one");
      s->received_us = previous_us;
    }
  return TRUE;
}

static gboolean
load_samples (char **files, gint n, GPtrArray *out, GError **error)
{
  gint64 previous = G_MININT64;
  for (gint f = 0; f < n; f++)
    {
      g_autofree gchar *text = NULL;
      if (!g_file_get_contents (files[f], &text, NULL, error))
        return FALSE;
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      for (guint ln = 0; lines[ln] != NULL; ln++)
        {
          gchar *line = g_strstrip (lines[ln]);
          if (*line == '\0' || *line == '#')
            continue;
          Sample *s = g_new0 (Sample, 1);
          s->file = g_strdup (files[f]);
          s->line = ln + 1;
          s->order = out->len;
          g_ptr_array_add (out, s);
          if (!parse_line (files[f], ln + 1, line, s, previous, error))
            return FALSE;
          previous = s->received_us;
        }
    }
  if (out->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no samples in the file(s): expected one message per "
                   "line (docs/OPERATIONS.md \"Dry run\")");
      return FALSE;
    }
  return TRUE;
}

static gint
sample_cmp (gconstpointer a, gconstpointer b)
{
  const Sample *x = *(Sample *const *) a, *y = *(Sample *const *) b;
  if (x->received_us != y->received_us)
    return x->received_us < y->received_us ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* ───────────── output ───────────── */

static void
begin_entry (JsonBuilder *b, const gchar *what, gint64 at_us)
{
  gchar at[IOC_TIME_BUF];
  ioc_time_format (at_us, at);
  json_builder_begin_object (b);
  ioc_json_string (b, "at", at);
  ioc_json_string (b, "what", what);
}

static void
print_message (DryRun *d, const Sample *s, const gchar *decision, const gchar *reason, const gchar *detail)
{
  gint64 at = ioc_clock_now (d->clock);
  if (d->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      begin_entry (b, "message", at);
      ioc_json_string (b, "file", s->file);
      ioc_json_int (b, "line", s->line);
      ioc_json_string (b, "topic", s->topic);
      ioc_json_string (b, "decision", decision);
      if (reason)
        ioc_json_string (b, "reason", reason);
      if (detail)
        ioc_json_string (b, "detail", detail);
      json_builder_end_object (b);
      ioc_ctl_print_json (b, FALSE);
      return;
    }
  gchar when[IOC_TIME_BUF];
  ioc_time_format (at, when);
  g_print ("%s  %s:%u  %-10s %s%s%s%s%s\n", when, s->file, s->line, decision, s->topic, reason ? "  " : "",
           reason ? reason : "", detail ? ": " : "", detail ? detail : "");
}

static void
capture_cb (const gchar *topic, const void *payload, gsize len, gint qos, gboolean retained, gpointer user_data)
{
  DryRun *d = user_data;
  g_autofree gchar *text = g_strndup (payload, len);
  g_autofree gchar *dl_prefix = g_strdup_printf ("ioc/v1/%s/deadletter/", d->province);
  g_autofree gchar *alert_prefix = g_strdup_printf ("ioc/v1/%s/alerts/", d->province);
  gboolean is_dl = g_str_has_prefix (topic, dl_prefix);
  if (is_dl)
    d->n_deadletters++;
  else if (g_str_has_prefix (topic, alert_prefix))
    d->n_alerts++;
  else
    d->n_other++;
  /* A message's own dead letter is printed after the message's line. */
  if (is_dl && d->in_message)
    {
      g_ptr_array_add (d->pending_dl, g_strdup (topic));
      g_ptr_array_add (d->pending_dl, g_steal_pointer (&text));
      return;
    }
  gint64 at = ioc_clock_now (d->clock);
  if (d->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      begin_entry (b, "publish", at);
      ioc_json_string (b, "topic", topic);
      ioc_json_bool (b, "retained", retained);
      ioc_json_int (b, "qos", qos);
      json_builder_set_member_name (b, "payload");
      g_autoptr (JsonParser) p = json_parser_new ();
      if (json_parser_load_from_data (p, text, -1, NULL))
        json_builder_add_value (b, json_node_copy (json_parser_get_root (p)));
      else
        json_builder_add_string_value (b, text);
      json_builder_end_object (b);
      ioc_ctl_print_json (b, FALSE);
      return;
    }
  gchar when[IOC_TIME_BUF];
  ioc_time_format (at, when);
  g_print ("%s  publish%s %s  %s\n", when, retained ? " retained" : "", topic, text);
}

/* The dry run's sink: every minute point, printed as the line InfluxDB would get. */
static void
sink_point (gpointer user_data, const IocPoint *point)
{
  DryRun *d = user_data;
  g_string_truncate (d->lines, 0);
  ioc_lp_append_point (d->lines, point, d->province, d->hub_id);
  gint64 at = ioc_clock_now (d->clock);
  gchar when[IOC_TIME_BUF];
  ioc_time_format (at, when);
  g_auto (GStrv) lines = g_strsplit (d->lines->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (*lines[i] == '\0')
        continue;
      d->n_lines++;
      if (d->json)
        {
          g_autoptr (JsonBuilder) b = json_builder_new ();
          begin_entry (b, "write", at);
          ioc_json_string (b, "line", lines[i]);
          json_builder_end_object (b);
          ioc_ctl_print_json (b, FALSE);
        }
      else
        g_print ("%s  write   %s\n", when, lines[i]);
    }
}

/* ───────────── the run ───────────── */

/* The temporary state folder: journal, snapshots, alert state. */
static void
rm_rf (const gchar *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      for (const gchar *name; dir != NULL && (name = g_dir_read_name (dir)) != NULL;)
        {
          g_autofree gchar *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

/* Ticks the hub up to target (inclusive when a tick falls on it), then
 * leaves the clock at target for the next arrival. */
static void
advance_to (DryRun *d, gint64 target_us)
{
  for (;;)
    {
      gint64 next = (d->tick_us / G_USEC_PER_SEC + 1) * G_USEC_PER_SEC;
      if (d->tick_us - d->last_arrival_us >= QUIET_AFTER_US)
        next = ioc_time_minute_start (d->tick_us) + G_TIME_SPAN_MINUTE;
      if (next > target_us)
        break;
      d->tick_us = next;
      ioc_clock_set (d->clock, next);
      ioc_hub_tick (d->hub);
    }
  if (target_us > ioc_clock_now (d->clock))
    ioc_clock_set (d->clock, target_us);
}

static void
feed (DryRun *d, const Sample *s)
{
  gint64 dups = ioc_hub_dedup_duplicates_total (d->hub);
  d->in_message = TRUE;
  ioc_hub_ingest (d->hub, s->topic, strlen (s->topic), (const guint8 *) s->payload, s->payload_len,
                  ioc_clock_now (d->clock));
  d->in_message = FALSE;
  d->last_arrival_us = ioc_clock_now (d->clock);
  if (d->pending_dl->len > 0)
    {
      const gchar *topic = d->pending_dl->pdata[0];
      const gchar *reason = strrchr (topic, '/') + 1;
      g_autoptr (JsonParser) p = json_parser_new ();
      const gchar *detail = NULL;
      if (json_parser_load_from_data (p, d->pending_dl->pdata[1], -1, NULL)
          && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
        detail = json_object_get_string_member_with_default (json_node_get_object (json_parser_get_root (p)),
                                                             "detail", NULL);
      d->deadlettered++;
      print_message (d, s, "deadletter", reason, detail);
      /* … and the dead letter it publishes. */
      for (guint i = 0; i + 1 < d->pending_dl->len; i += 2)
        {
          d->n_deadletters--; /* counted again by capture_cb */
          capture_cb (d->pending_dl->pdata[i], d->pending_dl->pdata[i + 1], strlen (d->pending_dl->pdata[i + 1]), 1,
                      FALSE, d);
        }
      g_ptr_array_set_size (d->pending_dl, 0);
    }
  else if (ioc_hub_dedup_duplicates_total (d->hub) > dups)
    {
      d->duplicates++;
      print_message (d, s, "duplicate", NULL, NULL);
    }
  else
    {
      d->accepted++;
      print_message (d, s, "accepted", NULL, NULL);
    }
}

/* The rule file without its webhook: a dry run must not page anyone.  The
 * original is checked first, so that errors name the operator's file. */
static gchar *
rules_without_webhook (const gchar *path, const gchar *dir, GError **error)
{
  g_autoptr (IocAlertRules) rules = ioc_alert_rules_load (path, error);
  if (rules == NULL)
    return NULL;
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GString) out = g_string_new (NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const gchar *l = lines[i];
      while (*l == ' ' || *l == '\t')
        l++;
      /* Replaced, not removed: line numbers stay the operator's. */
      if (g_str_has_prefix (l, "webhook_url") && strchr (" \t=", l[strlen ("webhook_url")]) != NULL)
        g_string_append (out, "# webhook_url: not called in a dry run");
      else
        g_string_append (out, lines[i]);
      if (lines[i + 1] != NULL)
        g_string_append_c (out, '\n');
    }
  gchar *copy = g_build_filename (dir, "alerts-dry-run.conf", NULL);
  if (!g_file_set_contents (copy, out->str, (gssize) out->len, error))
    {
      g_free (copy);
      return NULL;
    }
  return copy;
}

static gboolean
parse_time_arg (const gchar *text, gint64 *out_us)
{
  gchar *end = NULL;
  gint64 ms = g_ascii_strtoll (text, &end, 10);
  if (end != text && *end == '\0')
    {
      *out_us = ms * 1000;
      return TRUE;
    }
  return ioc_time_parse (text, strlen (text), out_us);
}

/* Nothing of the real hub's is touched: its own state folder, no
 * InfluxDB, an HTTP port of its own that nobody is told about, alert rules
 * without their webhooks. */
static gboolean
make_offline (IocHubConfig *config, const gchar *state, GError **error)
{
  g_free (config->state_dir);
  config->state_dir = g_build_filename (state, "state", NULL);
  g_clear_pointer (&config->influx_url, g_free);
  g_free (config->http_listen);
  config->http_listen = g_strdup ("127.0.0.1:0");
  if (config->alerts_path != NULL && *config->alerts_path != '\0')
    {
      gchar *copy = rules_without_webhook (config->alerts_path, state, error);
      if (copy == NULL)
        {
          g_prefix_error (error, "%s: [hub] alerts: ", config->path);
          return FALSE;
        }
      g_free (config->alerts_path);
      config->alerts_path = copy;
    }
  return TRUE;
}

static void
print_summary (DryRun *d, guint n_samples)
{
  if (!d->json)
    {
      g_print ("%u message(s): %u accepted, %u dead-lettered, %u duplicate(s); published %u alert update(s), "
               "%u dead letter(s); %u line(s) for InfluxDB\n",
               n_samples, d->accepted, d->deadlettered, d->duplicates, d->n_alerts, d->n_deadletters, d->n_lines);
      return;
    }
  const struct
  {
    const gchar *name;
    guint value;
  } counts[] = {
    { "accepted", d->accepted },           { "deadlettered", d->deadlettered },
    { "duplicates", d->duplicates },       { "alert_publishes", d->n_alerts },
    { "deadletter_publishes", d->n_deadletters }, { "lines", d->n_lines },
  };
  g_autoptr (JsonBuilder) b = json_builder_new ();
  begin_entry (b, "summary", ioc_clock_now (d->clock));
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      ioc_json_int (b, counts[i].name, counts[i].value);
    }
  json_builder_end_object (b);
  ioc_ctl_print_json (b, FALSE);
}

/* The offline hub, with the alerts, fed the samples in order of arrival on
 * a manual clock walked over them and then to `until` (else until the
 * last sample's minute has closed); prints the summary.  Owns config. */
static int
play (IocHubConfig *config, GPtrArray *samples, gboolean json, const gchar *until, gint64 until_us)
{
  g_autoptr (GError) error = NULL;
  const Sample *first = samples->pdata[0];
  const Sample *last = samples->pdata[samples->len - 1];
  gint64 start = first->received_us / G_USEC_PER_SEC * G_USEC_PER_SEC;
  gint64 lateness = config->lateness_us;
  g_autoptr (IocClock) clock = ioc_clock_new_manual (start);
  DryRun d = { 0 };
  d.json = json;
  d.clock = clock;
  d.lines = g_string_new (NULL);
  d.pending_dl = g_ptr_array_new_with_free_func (g_free);
  d.tick_us = start;
  d.last_arrival_us = start;
  int rc = EXIT_USAGE;
  /* The hub is freed before the alerts (its stop ticks once more). */
  IocAlerts *alerts = NULL;
  IocHub *hub = ioc_hub_new (config, clock, &error);
  if (hub == NULL)
    {
      g_printerr ("iocctl dry-run: %s\n", error->message);
      goto out;
    }
  d.hub = hub;
  d.province = ioc_hub_config (hub)->province;
  d.hub_id = ioc_hub_config (hub)->hub_id;
  ioc_hub_capture_publishes (hub, capture_cb, &d);
  alerts = ioc_alerts_attach (hub, &error);
  if (alerts == NULL)
    {
      g_printerr ("iocctl dry-run: %s\n", error->message);
      goto out;
    }
  static const IocSinkVTable sink = { .name = "dry-run", .point = sink_point };
  ioc_hub_add_sink (hub, &sink, &d);

  ioc_hub_tick (hub); /* as ioc_hub_start() does */
  for (guint i = 0; i < samples->len; i++)
    {
      const Sample *s = samples->pdata[i];
      advance_to (&d, s->received_us);
      feed (&d, s);
    }
  gint64 end = ioc_time_minute_start (last->received_us) + G_TIME_SPAN_MINUTE + lateness + G_USEC_PER_SEC;
  advance_to (&d, until != NULL ? MAX (until_us, ioc_clock_now (clock)) : end);

  print_summary (&d, samples->len);
  rc = d.deadlettered > 0 ? EXIT_CHECK : EXIT_GOOD;

out:
  /* ioc_hub_new() owns config, also when it fails.  Not ioc_hub_stop(): nothing was started, and its last tick would run
   * on the real clock's terms. */
  ioc_hub_free (hub);
  if (alerts != NULL)
    ioc_alerts_free (alerts);
  g_string_free (d.lines, TRUE);
  g_ptr_array_unref (d.pending_dl);
  return rc;
}

/* Options, samples, the configuration and a temporary state directory;
 * then play() runs the hub over them.  The temporary state goes after. */
int
ioc_ctl_dry_run (int argc, char **argv)
{
  g_autofree gchar *config_path = NULL, *until = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Hub configuration (province, registry, calendar, "
      "procedures, alert rules, windows)", "FILE" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &until, "Run the clock until this time (RFC 3339 or ms; default: until "
      "the last sample's minute has closed)", "TIME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line", NULL },
    { NULL }
  };
  if (!ioc_ctl_parse_options_full ("dry-run", "FILE…", NULL,
                                   "Each line of FILE is one message, as it arrived from the broker:\n"
                                   "  {\"topic\": \"ioc/v1/40/…/event\", \"payload\": {…}, \"received\": "
                                   "\"2026-03-02T08:00:05+07:00\"}\n"
                                   "payload may be a string (raw bytes); received defaults to the payload's ts.\n"
                                   "The short form TOPIC<space>PAYLOAD is read too.  # starts a comment.\n",
                                   entries, &argc, &argv))
    return EXIT_USAGE;
  g_autoptr (GError) error = NULL;
  if (config_path == NULL || argc < 2)
    {
      g_printerr ("iocctl dry-run: expected --config FILE and sample files (one message per line: "
                  "{\"topic\":…,\"payload\":…,\"received\":…})\n");
      return EXIT_USAGE;
    }
  gint64 until_us = 0;
  if (until != NULL && !parse_time_arg (until, &until_us))
    {
      g_printerr ("iocctl dry-run: --until: expected RFC 3339 with an offset or integer ms, got '%s'\n", until);
      return EXIT_USAGE;
    }
  g_autoptr (GPtrArray) samples = g_ptr_array_new_with_free_func (sample_free);
  if (!load_samples (argv + 1, argc - 1, samples, &error))
    {
      g_printerr ("iocctl dry-run: %s\n", error->message);
      return EXIT_USAGE;
    }
  g_ptr_array_sort (samples, sample_cmp);

  IocHubConfig *config = ioc_hub_config_load (config_path, &error);
  if (config == NULL)
    {
      g_printerr ("iocctl dry-run: %s\n", error->message);
      return EXIT_USAGE;
    }
  g_autofree gchar *state = g_dir_make_tmp ("iocctl-dry-run-XXXXXX", &error);
  if (state == NULL || !make_offline (config, state, &error))
    {
      g_printerr ("iocctl dry-run: %s\n", error->message);
      ioc_hub_config_free (config);
      return EXIT_USAGE;
    }
  int rc = play (config, samples, json, until, until_us);
  rm_rf (state);
  return rc;
}
