/* alert-rules.c — parses and validates the alert rule file (docs/ALERTS.md).
 *
 * Sits before the engine: ioc_alerts_attach() and `iochub --test-rules` load
 * a file here, and the engine only ever sees validated rules.  Errors name
 * the file, the [group], the key and what is expected, through the typed
 * getters of protocol/ioc-keyfile.h.  Main context (load and reload). */
#include "alerts/alert-rules.h"

#include <string.h>

#include "model/record.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-keyfile.h"
#include "protocol/ioc-schema.h"

static const gchar *const kind_names[IOC_ALERT_KIND_COUNT] = {
  "overdue_spike_unit", "overdue_spike_province", "overdue_stock_rising",
  "zero_tolerance",     "dead_source",            "threshold",
};

const gchar *
ioc_alert_kind_name (IocAlertKind kind)
{
  g_return_val_if_fail (kind < IOC_ALERT_KIND_COUNT, "?");
  return kind_names[kind];
}

const gchar *
ioc_alert_severity_name (IocAlertSeverity s)
{
  switch (s)
    {
    case IOC_ALERT_SEVERITY_INFO: return "info";
    case IOC_ALERT_SEVERITY_WARNING: return "warning";
    case IOC_ALERT_SEVERITY_CRITICAL: return "critical";
    }
  return "?";
}

static void
rule_free (IocAlertRule *r)
{
  g_free (r->name);
  g_free (r->summary);
  g_free (r->summary_en);
  g_strfreev (r->units);
  g_free (r->unit_rule);
  g_strfreev (r->source_kinds);
  g_free (r->metric);
  g_free (r->denominator);
  g_free (r);
}

void
ioc_alert_rules_free (IocAlertRules *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_free (self->webhook_url);
  g_free (self->webhook_token);
  g_ptr_array_unref (self->rules);
  g_free (self);
}

IocAlertRules *
ioc_alert_rules_new_empty (void)
{
  IocAlertRules *self = g_new0 (IocAlertRules, 1);
  self->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  self->webhook_timeout_us = 5 * G_USEC_PER_SEC;
  self->webhook_attempts = 5;
  self->retry_min_us = G_USEC_PER_SEC;
  self->retry_max_us = 60 * G_USEC_PER_SEC;
  return self;
}

const IocAlertRule *
ioc_alert_rules_find (const IocAlertRules *self, const gchar *name)
{
  for (guint i = 0; i < self->rules->len; i++)
    {
      const IocAlertRule *r = g_ptr_array_index (self->rules, i);
      if (g_str_equal (r->name, name))
        return r;
    }
  return NULL;
}

gboolean
ioc_alert_rule_has_unit (const IocAlertRule *rule, const gchar *unit)
{
  if (rule->units == NULL)
    return rule->kind == IOC_ALERT_KIND_THRESHOLD || g_strcmp0 (unit, "all") != 0;
  for (guint i = 0; rule->units[i] != NULL; i++)
    if (g_pattern_match_simple (rule->units[i], unit))
      return TRUE;
  return FALSE;
}

static gboolean
valid_name (const gchar *s)
{
  if (*s == '\0' || strlen (s) > 64)
    return FALSE;
  for (const gchar *p = s; *p; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_' || *p == '-'))
      return FALSE;
  return TRUE;
}

/* An optional comma-separated list: *out NULL when it is absent or
 * empty; FALSE with *error set when the key cannot be read. */
static gboolean
opt_list (IocKeyFile *kf, const gchar *group, const gchar *key, gchar ***out, GError **error)
{
  GError *local = NULL;
  *out = NULL;
  g_autofree gchar *s = ioc_keyfile_string (kf, group, key, NULL, FALSE, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (s == NULL)
    return TRUE;
  g_auto (GStrv) parts = g_strsplit (s, ",", -1);
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gchar *t = g_strstrip (parts[i]);
      if (*t != '\0')
        g_ptr_array_add (list, g_strdup (t));
    }
  if (list->len == 0)
    return TRUE;
  g_ptr_array_add (list, NULL);
  *out = (gchar **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
  return TRUE;
}

static const gchar *const common_keys[] = {
  "kind", "severity", "summary", "summary_en", "for", "keep_firing_for", "reminder", "flap_changes",
  "flap_window", "working_hours_only", "units", NULL,
};
static const gchar *const spike_unit_keys[] = {
  "mad_factor", "baseline_weeks", "min_history", "min_count", "min_share", "stale_after", NULL,
};
static const gchar *const spike_province_keys[] = {
  "mad_factor", "baseline_weeks", "min_history", "min_count", "units_in_spike", "unit_rule",
  "stale_after", NULL,
};
static const gchar *const stock_keys[] = { "days", "stale_after", NULL };
static const gchar *const zero_keys[] = { NULL };
static const gchar *const dead_keys[] = { "source_kinds", "cadence", NULL };
static const gchar *const threshold_keys[] = {
  "metric", "denominator", "op", "value", "clear", "max_age", NULL,
};
static const gchar *const *const kind_keys[IOC_ALERT_KIND_COUNT] = {
  spike_unit_keys, spike_province_keys, stock_keys, zero_keys, dead_keys, threshold_keys,
};

static const gchar *const alerts_keys[] = {
  "webhook_url", "webhook_token", "webhook_timeout", "webhook_attempts", "retry_min", "retry_max", NULL,
};

const gchar *const *
ioc_alert_rules_alerts_keys (void)
{
  return alerts_keys;
}

const gchar *const *
ioc_alert_rules_common_keys (void)
{
  return common_keys;
}

const gchar *const *
ioc_alert_rules_kind_keys (IocAlertKind kind)
{
  g_return_val_if_fail (kind < IOC_ALERT_KIND_COUNT, NULL);
  return kind_keys[kind];
}

/* An optional string key (absent: *out NULL), or FALSE with *error set. */
static gboolean
opt_string (IocKeyFile *kf, const gchar *group, const gchar *key, gchar **out, GError **error)
{
  GError *local = NULL;
  *out = ioc_keyfile_string (kf, group, key, NULL, FALSE, &local);
  if (local == NULL)
    return TRUE;
  g_propagate_error (error, local);
  return FALSE;
}

/* kind, and then no key that kind does not take: unknown keys are typos,
 * so name them rather than ignore them. */
static gboolean
parse_kind (IocKeyFile *kf, const gchar *group, IocAlertRule *r, GError **error)
{
  g_autofree gchar *kind = ioc_keyfile_string (kf, group, "kind", NULL, TRUE, error);
  if (kind == NULL)
    return FALSE;
  r->kind = IOC_ALERT_KIND_COUNT;
  for (guint k = 0; k < IOC_ALERT_KIND_COUNT; k++)
    if (g_str_equal (kind, kind_names[k]))
      r->kind = k;
  if (r->kind == IOC_ALERT_KIND_COUNT)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] kind: expected one of overdue_spike_unit, overdue_spike_province, "
                   "overdue_stock_rising, zero_tolerance, dead_source, threshold, got '%s'",
                   kf->path, group, kind);
      return FALSE;
    }
  g_autoptr (GPtrArray) known = g_ptr_array_new ();
  for (guint i = 0; common_keys[i]; i++)
    g_ptr_array_add (known, (gpointer) common_keys[i]);
  for (guint i = 0; kind_keys[r->kind][i]; i++)
    g_ptr_array_add (known, (gpointer) kind_keys[r->kind][i]);
  g_ptr_array_add (known, NULL);
  return ioc_keyfile_check_keys (kf, group, (const gchar *const *) known->pdata, error);
}

static gboolean
parse_severity (IocKeyFile *kf, const gchar *group, IocAlertRule *r, GError **error)
{
  g_autofree gchar *sev = ioc_keyfile_string (kf, group, "severity", "warning", FALSE, error);
  if (sev == NULL)
    return FALSE;
  if (g_str_equal (sev, "info"))
    r->severity = IOC_ALERT_SEVERITY_INFO;
  else if (g_str_equal (sev, "warning"))
    r->severity = IOC_ALERT_SEVERITY_WARNING;
  else if (g_str_equal (sev, "critical"))
    r->severity = IOC_ALERT_SEVERITY_CRITICAL;
  else
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] severity: expected info, warning or critical, got '%s'", kf->path,
                   group, sev);
      return FALSE;
    }
  return TRUE;
}

/* The numeric keys of every kind, with their defaults and ranges (a kind
 * that does not take a key keeps its default, unused). */
static gboolean
parse_numbers (IocKeyFile *kf, const gchar *group, IocAlertRule *r, GError **error)
{
  /* Defaults as docs/ALERTS.md lists them; the unit floor is 3, the province-hour floor 10. */
  gboolean is_province = r->kind == IOC_ALERT_KIND_SPIKE_PROVINCE;
  gint64 def_for = r->kind == IOC_ALERT_KIND_DEAD_SOURCE ? 5 * G_TIME_SPAN_MINUTE : 0;
  if (!ioc_keyfile_duration (kf, group, "for", def_for, 0, 7 * G_TIME_SPAN_DAY, &r->for_us, error)
      || !ioc_keyfile_duration (kf, group, "keep_firing_for", 0, 0, 7 * G_TIME_SPAN_DAY,
                                &r->keep_firing_for_us, error)
      || !ioc_keyfile_duration (kf, group, "reminder", 0, 0, 30 * G_TIME_SPAN_DAY, &r->reminder_us,
                                error)
      || !ioc_keyfile_int (kf, group, "flap_changes", 0, 0, 1000, &r->flap_changes, error)
      || !ioc_keyfile_duration (kf, group, "flap_window", G_TIME_SPAN_HOUR, G_USEC_PER_SEC,
                                7 * G_TIME_SPAN_DAY, &r->flap_window_us, error)
      || !ioc_keyfile_bool (kf, group, "working_hours_only", FALSE, &r->working_hours_only, error)
      || !ioc_keyfile_double (kf, group, "mad_factor", 3.0, 0.0, 100.0, &r->mad_factor, error)
      || !ioc_keyfile_int (kf, group, "baseline_weeks", 8, 1, 52, &r->baseline_weeks, error)
      || !ioc_keyfile_int (kf, group, "min_history", 4, 1, 52, &r->min_history, error)
      || !ioc_keyfile_int (kf, group, "min_count", is_province ? 10 : 3, 1, 1000000, &r->min_count,
                           error)
      || !ioc_keyfile_double (kf, group, "min_share", 0.10, 0.0, 1.0, &r->min_share, error)
      || !ioc_keyfile_int (kf, group, "units_in_spike", 5, 0, 100000, &r->units_in_spike, error)
      || !ioc_keyfile_duration (kf, group, "stale_after", 2 * G_TIME_SPAN_HOUR, G_USEC_PER_SEC,
                                30 * G_TIME_SPAN_DAY, &r->stale_after_us, error)
      || !ioc_keyfile_int (kf, group, "days", 3, 1, 60, &r->days, error)
      || !ioc_keyfile_duration (kf, group, "cadence", 3 * G_TIME_SPAN_MINUTE, G_USEC_PER_SEC,
                                7 * G_TIME_SPAN_DAY, &r->cadence_us, error)
      || !ioc_keyfile_duration (kf, group, "max_age", 5 * G_TIME_SPAN_MINUTE, G_USEC_PER_SEC,
                                7 * G_TIME_SPAN_DAY, &r->max_age_us, error))
    return FALSE;
  if (r->flap_changes == 1)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] flap_changes: expected 0 (off) or at least 2, got 1", kf->path, group);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_dead_source (IocKeyFile *kf, const gchar *group, IocAlertRule *r, GError **error)
{
  if (!opt_list (kf, group, "source_kinds", &r->source_kinds, error))
    return FALSE;
  for (guint i = 0; r->source_kinds && r->source_kinds[i]; i++)
    {
      const gchar *k = r->source_kinds[i];
      IocKind kind;
      if (!ioc_kind_from_string (k, strlen (k), &kind))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "%s: [%s] source_kinds: expected a list of desk, kiosk, camera, portal, "
                       "got '%s'",
                       kf->path, group, k);
          return FALSE;
        }
    }
  return TRUE;
}

/* A threshold's metric is a number the minute points carry: an integer
 * field of a SPEC §6 measurement ("ioc_device.cameras_recording").  A name
 * that is not one would never get a sample, and the rule would stay silent. */
static gboolean
check_metric (IocKeyFile *kf, const gchar *group, const gchar *key, const gchar *name, GError **error)
{
  g_autoptr (GPtrArray) known = g_ptr_array_new_with_free_func (g_free);
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    for (guint f = 0; f < ioc_measurement_n_ints ((IocMeasurement) m); f++)
      {
        gchar *field = g_strdup_printf ("%s.%s", ioc_measurement_name ((IocMeasurement) m),
                                        ioc_measurement_int_name ((IocMeasurement) m, f));
        if (g_str_equal (field, name))
          {
            g_free (field);
            return TRUE;
          }
        g_ptr_array_add (known, field);
      }
  g_ptr_array_add (known, NULL);
  const gchar *near = ioc_suggest (name, (const gchar *const *) known->pdata);
  guint line = ioc_keyfile_key_line (kf, group, key);
  g_autofree gchar *at = line > 0 ? g_strdup_printf ("%s:%u", kf->path, line) : g_strdup (kf->path);
  g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
               "%s: [%s] %s: expected MEASUREMENT.FIELD, an integer field of a SPEC §6 measurement "
               "(e.g. ioc_device.cameras_recording), got '%s'%s%s%s",
               at, group, key, name, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
  return FALSE;
}

static gboolean
parse_threshold (IocKeyFile *kf, const gchar *group, IocAlertRule *r, GError **error)
{
  r->metric = ioc_keyfile_string (kf, group, "metric", NULL, TRUE, error);
  if (r->metric == NULL)
    return FALSE;
  if (strchr (r->metric, '.') == NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] metric: expected MEASUREMENT.FIELD (e.g. ioc_device.cameras_recording), "
                   "got '%s'",
                   kf->path, group, r->metric);
      return FALSE;
    }
  if (!check_metric (kf, group, "metric", r->metric, error))
    return FALSE;
  if (!opt_string (kf, group, "denominator", &r->denominator, error))
    return FALSE;
  if (r->denominator != NULL && !check_metric (kf, group, "denominator", r->denominator, error))
    return FALSE;
  g_autofree gchar *op = ioc_keyfile_string (kf, group, "op", NULL, TRUE, error);
  if (op == NULL)
    return FALSE;
  if (g_str_equal (op, "<"))
    r->below = TRUE;
  else if (g_str_equal (op, ">"))
    r->below = FALSE;
  else
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] op: expected < or >, got '%s'",
                   kf->path, group, op);
      return FALSE;
    }
  if (!g_key_file_has_key (kf->kf, group, "value", NULL))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] value: expected a number, missing",
                   kf->path, group);
      return FALSE;
    }
  if (!ioc_keyfile_double (kf, group, "value", 0, -1e15, 1e15, &r->value, error)
      || !ioc_keyfile_double (kf, group, "clear", r->value, -1e15, 1e15, &r->clear, error))
    return FALSE;
  /* Hysteresis only makes sense on the far side of the threshold. */
  if ((r->below && r->clear < r->value) || (!r->below && r->clear > r->value))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] clear: expected a value %s value (%g) so that it clears past the "
                   "threshold, got %g",
                   kf->path, group, r->below ? "≥" : "≤", r->value, r->clear);
      return FALSE;
    }
  return TRUE;
}

/* One [rule NAME] group into r, checked in the order an operator reads
 * the group: kind (and the keys it takes), severity, texts, numbers, then
 * what only one kind has. */
static gboolean
parse_rule (IocKeyFile *kf, const gchar *group, const gchar *name, IocAlertRule *r, GError **error)
{
  if (!parse_kind (kf, group, r, error) || !parse_severity (kf, group, r, error)
      || !opt_string (kf, group, "summary", &r->summary, error)
      || !opt_string (kf, group, "summary_en", &r->summary_en, error)
      || !opt_list (kf, group, "units", &r->units, error) || !parse_numbers (kf, group, r, error))
    return FALSE;
  if (r->kind == IOC_ALERT_KIND_SPIKE_PROVINCE && !opt_string (kf, group, "unit_rule", &r->unit_rule, error))
    return FALSE;
  if (r->kind == IOC_ALERT_KIND_DEAD_SOURCE && !parse_dead_source (kf, group, r, error))
    return FALSE;
  if (r->kind == IOC_ALERT_KIND_THRESHOLD && !parse_threshold (kf, group, r, error))
    return FALSE;
  r->name = g_strdup (name);
  return TRUE;
}

IocAlertRules *
ioc_alert_rules_load_data (const gchar *path, const gchar *data, gsize len, GError **error)
{
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load_data (path, data, len, error);
  if (kf == NULL)
    return NULL;
  g_autoptr (IocAlertRules) self = ioc_alert_rules_new_empty ();
  self->path = g_strdup (path);
  if (!ioc_keyfile_check_keys (kf, "alerts", alerts_keys, error)
      || !opt_string (kf, "alerts", "webhook_url", &self->webhook_url, error)
      || !opt_string (kf, "alerts", "webhook_token", &self->webhook_token, error))
    return NULL;
  if (self->webhook_url != NULL && !g_str_has_prefix (self->webhook_url, "http://")
      && !g_str_has_prefix (self->webhook_url, "https://"))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [alerts] webhook_url: expected an http:// or https:// URL, got '%s'", path,
                   self->webhook_url);
      return NULL;
    }
  if (!ioc_keyfile_duration (kf, "alerts", "webhook_timeout", 5 * G_USEC_PER_SEC, 100000,
                             120 * G_USEC_PER_SEC, &self->webhook_timeout_us, error)
      || !ioc_keyfile_int (kf, "alerts", "webhook_attempts", 5, 1, 100, &self->webhook_attempts, error)
      || !ioc_keyfile_duration (kf, "alerts", "retry_min", G_USEC_PER_SEC, 1000, G_TIME_SPAN_HOUR,
                                &self->retry_min_us, error)
      || !ioc_keyfile_duration (kf, "alerts", "retry_max", 60 * G_USEC_PER_SEC, 1000, G_TIME_SPAN_DAY,
                                &self->retry_max_us, error))
    return NULL;

  g_auto (GStrv) groups = g_key_file_get_groups (kf->kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      const gchar *g = groups[i];
      if (g_str_equal (g, "alerts"))
        continue;
      if (!g_str_has_prefix (g, "rule ") || !valid_name (g + 5))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "%s: [%s]: expected [alerts] or a group named [rule NAME] with NAME of a-z, 0-9, _ and -",
                       path, g);
          return NULL;
        }
      if (ioc_alert_rules_find (self, g + 5) != NULL)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s]: expected a unique rule name",
                       path, g);
          return NULL;
        }
      IocAlertRule *r = g_new0 (IocAlertRule, 1);
      if (!parse_rule (kf, g, g + 5, r, error))
        {
          rule_free (r);
          return NULL;
        }
      g_ptr_array_add (self->rules, r);
    }
  /* Cross-rule reference: a province rule groups an existing unit spike rule. */
  for (guint i = 0; i < self->rules->len; i++)
    {
      IocAlertRule *r = g_ptr_array_index (self->rules, i);
      if (r->kind != IOC_ALERT_KIND_SPIKE_PROVINCE || r->unit_rule == NULL)
        continue;
      const IocAlertRule *u = ioc_alert_rules_find (self, r->unit_rule);
      if (u == NULL || u->kind != IOC_ALERT_KIND_SPIKE_UNIT)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "%s: [rule %s] unit_rule: expected the name of an overdue_spike_unit rule, "
                       "got '%s'",
                       path, r->name, r->unit_rule);
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

IocAlertRules *
ioc_alert_rules_load (const gchar *path, GError **error)
{
  gsize len = 0;
  g_autofree gchar *data = ioc_keyfile_read (path, &len, error);
  if (data == NULL)
    return NULL;
  return ioc_alert_rules_load_data (path, data, len, error);
}

gboolean
ioc_alert_parse_silence_duration (const gchar *text, gint64 *out_us, GError **error)
{
  const gchar *t = text != NULL ? text : "";
  gchar *end = NULL;
  gdouble n = g_ascii_strtod (t, &end);
  if (end != t && *end == '\0' && n > 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "expected a duration with a unit, got '%s': did you mean %sm? (s, m, h or d: 30m, 2h, 1d)", t, t);
      return FALSE;
    }
  gint64 us = 0;
  if (!ioc_parse_duration (t, &us) || us <= 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "expected a duration such as 30m, 2h or 1d, got '%s'", t);
      return FALSE;
    }
  *out_us = us;
  return TRUE;
}
