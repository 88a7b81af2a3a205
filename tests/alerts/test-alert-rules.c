/* test-alert-rules.c — the rule file parser: the shipped file loads, and
 * every mistake is reported with file, [group], key and what is expected. */
#include <glib.h>
#include <string.h>

#include "alerts/alert-rules.h"
#include "protocol/ioc-error.h"

static void
test_shipped_loads (void)
{
  g_autofree gchar *path = g_build_filename (IOC_SOURCE_ROOT, "ops", "alerts.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (IocAlertRules) rules = ioc_alert_rules_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rules->rules->len, ==, 6);
  const IocAlertRule *r = ioc_alert_rules_find (rules, "cameras-recording-low");
  g_assert_nonnull (r);
  g_assert_cmpint (r->kind, ==, IOC_ALERT_KIND_THRESHOLD);
  g_assert_true (r->below);
  g_assert_cmpfloat (r->value, ==, 0.95);
  g_assert_cmpfloat (r->clear, ==, 0.97);
  g_assert_cmpint (r->for_us, ==, 10 * G_TIME_SPAN_MINUTE);
  /* Every shipped rule speaks both of the wall's languages. */
  for (guint i = 0; i < rules->rules->len; i++)
    {
      const IocAlertRule *each = g_ptr_array_index (rules->rules, i);
      g_assert_nonnull (each->summary);
      g_assert_nonnull (each->summary_en);
    }
  g_assert_cmpstr (r->summary_en, ==, "Cameras recording below 95 %");
  r = ioc_alert_rules_find (rules, "zero-tolerance-police");
  g_assert_true (ioc_alert_rule_has_unit (r, "ca-16681"));
  g_assert_false (ioc_alert_rule_has_unit (r, "xa-16681"));
  r = ioc_alert_rules_find (rules, "overdue-spike-unit");
  g_assert_cmpint (r->min_count, ==, 3);
  g_assert_cmpfloat (r->min_share, ==, 0.10);
  g_assert_cmpint (r->baseline_weeks, ==, 8);
}

static const struct
{
  const gchar *text;
  const gchar *want; /* substring of the error */
} bad_cases[] = {
  { "[rule a]\nkind = spike\n", "t.conf: [rule a] kind: expected one of overdue_spike_unit" },
  { "[rule a]\n", "t.conf: [rule a] kind:" },
  { "[rule A B]\nkind = threshold\n", "t.conf: [rule A B]: expected [alerts] or a group named [rule NAME]" },
  { "[other]\nx = 1\n", "t.conf: [other]: expected" },
  { "[rule a]\nkind = dead_source\ncadense = 3m\n", "t.conf: [rule a] cadense: unknown key" },
  { "[rule a]\nkind = dead_source\ncadence = soon\n", "t.conf:3: [rule a] cadence: expected" },
  { "[rule a]\nkind = dead_source\nsource_kinds = desk,phone\n", "[rule a] source_kinds: expected a list of desk" },
  { "[rule a]\nkind = overdue_spike_unit\nmin_share = 2\n", "t.conf:3: [rule a] min_share:" },
  { "[rule a]\nkind = overdue_spike_unit\nseverity = loud\n", "[rule a] severity: expected info, warning or critical, got 'loud'" },
  { "[rule a]\nkind = threshold\nop = <\nvalue = 1\n", "[rule a] metric:" },
  { "[rule a]\nkind = threshold\nmetric = cameras\nop = <\nvalue = 1\n", "[rule a] metric: expected MEASUREMENT.FIELD" },
  { "[rule a]\nkind = threshold\nmetric = ioc_queue.issued\nop = <=\nvalue = 1\n", "[rule a] op: expected < or >, got '<='" },
  { "[rule a]\nkind = threshold\nmetric = ioc_queue.issued\nop = <\n", "[rule a] value: expected a number, missing" },
  { "[rule a]\nkind = threshold\nmetric = ioc_queue.issued\nop = <\nvalue = 0.95\nclear = 0.9\n", "[rule a] clear: expected a value" },
  { "[rule a]\nkind = overdue_spike_province\nunit_rule = b\n", "[rule a] unit_rule: expected the name of an overdue_spike_unit rule, got 'b'" },
  { "[rule a]\nkind = zero_tolerance\nflap_changes = 1\n", "[rule a] flap_changes: expected 0 (off) or at least 2" },
  { "[alerts]\nwebhook_url = ftp://x\n", "t.conf: [alerts] webhook_url: expected an http:// or https:// URL" },
  { "[alerts]\nwebhok = 1\n", "t.conf: [alerts] webhok: unknown key" },
  /* a metric no minute point carries would never fire */
  { "[rule a]\nkind = threshold\nmetric = ioc_device.cameras_recordng\nop = <\nvalue = 1\n",
    "t.conf:3: [rule a] metric: expected MEASUREMENT.FIELD, an integer field of a SPEC §6 measurement (e.g. "
    "ioc_device.cameras_recording), got 'ioc_device.cameras_recordng'; did you mean 'ioc_device.cameras_recording'?" },
  { "[rule a]\nkind = threshold\nmetric = ioc_device.cameras_recording\ndenominator = cameras\nop = <\nvalue = 1\n",
    "t.conf:4: [rule a] denominator: expected MEASUREMENT.FIELD" },
  { "[rule a]\nkind = zero_tolerance\n[rule a]\nkind = zero_tolerance\n", "" },
  /* a broken UTF-8 sequence in a unit pattern aborted the hub at the first
   * match (g_pattern_match_simple); found by tests/fuzz/long.sh */
  { "[rule a]\nkind = overdue_spike_unit\nunits = xa-\355\227*\n",
    "t.conf:3: not UTF-8 text (byte 0xed at column 12); save the file as UTF-8" },
};

static void
test_errors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IocAlertRules) rules = ioc_alert_rules_load_data ("t.conf", bad_cases[i].text, strlen (bad_cases[i].text), &error);
      if (*bad_cases[i].want == '\0')
        {
          /* GKeyFile merges repeated groups: still one rule. */
          g_assert_no_error (error);
          g_assert_cmpuint (rules->rules->len, ==, 1);
          continue;
        }
      g_assert_null (rules);
      g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
      if (strstr (error->message, bad_cases[i].want) == NULL)
        g_error ("case %u: got '%s', want '%s'", i, error->message, bad_cases[i].want);
    }
}

static void
test_defaults (void)
{
  const gchar *text = "[rule p]\nkind = overdue_spike_province\n[rule d]\nkind = dead_source\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocAlertRules) rules = ioc_alert_rules_load_data ("t.conf", text, strlen (text), &error);
  g_assert_no_error (error);
  const IocAlertRule *p = ioc_alert_rules_find (rules, "p");
  g_assert_cmpint (p->min_count, ==, 10); /* the province-hour floor (docs/ALERTS.md) */
  g_assert_cmpint (p->units_in_spike, ==, 5);
  const IocAlertRule *d = ioc_alert_rules_find (rules, "d");
  g_assert_cmpint (d->for_us, ==, 5 * G_TIME_SPAN_MINUTE);
  g_assert_cmpint (d->cadence_us, ==, 3 * G_TIME_SPAN_MINUTE);
  g_assert_null (rules->webhook_url);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-rules/shipped-loads", test_shipped_loads);
  g_test_add_func ("/ioc/alert-rules/errors", test_errors);
  g_test_add_func ("/ioc/alert-rules/defaults", test_defaults);
  return g_test_run ();
}
