/* fuzz-alert-store.c — libFuzzer target for what operators and the disk
 * hand the alert engine: the state file (alerts/alert-store.c,
 * ioc_alert_engine_load) and, from the input's first line, an ack target
 * (an id or RULE/SCOPE) and a silence duration (POST /api/v1/silences,
 * iocctl silence --for).
 *
 * Input: the bytes of an alerts.json.  Checks: never crashes or leaks; a
 * refused file says why (non-empty message); a loaded one evaluates, renders
 * its views, and what it saves loads again into the same active alerts; a
 * duration is either refused with a message or positive, and a bare
 * number is always refused.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert-engine.h"
#include "alerts/alert-rules.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* One rule of every kind, so that every loaded alert has its evaluator. */
static const gchar rules_text[] =
    "[rule spike]\nkind = overdue_spike_unit\n"
    "[rule province]\nkind = overdue_spike_province\nunit_rule = spike\nunits_in_spike = 2\n"
    "[rule stock]\nkind = overdue_stock_rising\n"
    "[rule zero]\nkind = zero_tolerance\nunits = ca-*\n"
    "[rule down]\nkind = dead_source\ncadence = 3m\nfor = 0s\nflap_changes = 3\n"
    "[rule cam]\nkind = threshold\nmetric = ioc_device.cameras_recording\nop = <\nvalue = 0.9\nfor = 0s\n";

static gint64 T0 = G_GINT64_CONSTANT (1776736800000000); /* 2026-04-21 09:00 +07 */

static GPtrArray *
active (IocAlertEngine *e)
{
  return ioc_alert_engine_active_keys (e);
}

static gboolean
same_keys (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (strcmp (a->pdata[i], b->pdata[i]) != 0)
      return FALSE;
  return TRUE;
}

static void
operator_line (IocAlertEngine *e, const uint8_t *data, size_t size)
{
  size_t n = 0;
  while (n < size && n < 200 && data[n] != '\n' && data[n] != '\0')
    n++;
  gchar *line = g_strndup ((const gchar *) data, n);
  GError *error = NULL;
  gint64 us = 0;
  if (!ioc_alert_parse_silence_duration (line, &us, &error))
    {
      if (error == NULL || error->message[0] == '\0')
        abort ();
      g_clear_error (&error);
    }
  else
    {
      gchar *end = NULL;
      g_ascii_strtod (line, &end);
      if (us <= 0 || (end != line && *end == '\0'))
        abort (); /* a bare number must never pass */
    }
  if (g_utf8_validate (line, -1, NULL))
    {
      if (!ioc_alert_engine_ack (e, line, "fuzz", NULL, T0, &error) && (error == NULL || error->message[0] == '\0'))
        abort ();
      g_clear_error (&error);
    }
  g_free (line);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > 256 * 1024)
    return 0;
  IocAlertRules *rules = ioc_alert_rules_load_data ("fuzz-rules.conf", rules_text, strlen (rules_text), NULL);
  if (rules == NULL)
    abort ();
  IocAlertEngine *e = ioc_alert_engine_new (rules, NULL, T0, NULL, NULL);
  GError *error = NULL;
  gboolean loaded = ioc_alert_engine_load (e, (const gchar *) data, size, &error);
  operator_line (e, data, size);
  if (!loaded)
    {
      if (error == NULL || error->message[0] == '\0')
        abort ();
      g_error_free (error);
      ioc_alert_engine_free (e);
      ioc_alert_rules_free (rules);
      return 0;
    }
  /* A restart's first rounds, before any data: then one with data. */
  ioc_alert_engine_evaluate (e, T0 + G_USEC_PER_SEC);
  ioc_alert_engine_evaluate (e, T0 + 2 * G_USEC_PER_SEC);
  IocAlertSource src = { .kind = "desk", .device = "d1", .unit = "xa-1", .is_declared = TRUE };
  ioc_alert_engine_source (e, &src);
  ioc_alert_engine_value (e, "ioc_device.cameras_recording", "xa-1", T0, 0.5);
  ioc_alert_engine_unit_day (e, "xa-1", T0, 3, 5, 7);
  ioc_alert_engine_evaluate (e, T0 + 3 * G_USEC_PER_SEC);
  JsonNode *views = ioc_alert_engine_alerts_json (e, TRUE);
  json_node_unref (views);
  views = ioc_alert_engine_silences_json (e, T0);
  json_node_unref (views);

  gchar *saved = ioc_alert_engine_save (e);
  IocAlertEngine *again = ioc_alert_engine_new (rules, NULL, T0, NULL, NULL);
  if (!ioc_alert_engine_load (again, saved, strlen (saved), NULL))
    abort (); /* what the engine writes, it reads */
  GPtrArray *a = active (e), *b = active (again);
  if (!same_keys (a, b))
    abort ();
  g_ptr_array_unref (a);
  g_ptr_array_unref (b);
  g_free (saved);
  ioc_alert_engine_free (again);
  ioc_alert_engine_free (e);
  ioc_alert_rules_free (rules);
  return 0;
}
