/* test-alert-scenario.c — the labelled alert scenario, at the engine
 * level with a manual clock (the shipped ops/alerts.conf and the 2026
 * calendar): eight weeks of normal history for a set of units, then Tuesday
 * 21/04/2026 with
 *   - spikes in three units (xa-17001 at 11:00, xa-17002 at 13:00, xa-17003 at 15:00),
 *   - one systemic hour (14:00–15:00: eight units +2 each, none over its own floor),
 *   - a small commune with noise (xa-17009: 2 of 2 due),
 *   - a stale connector (portal-b, reporting xa-17010's dossiers, silent from 09:00;
 *     xa-17010's count then jumps, which must not read as a spike),
 *   - a flapping threshold (cameras of xa-17011 below 95 % in 11-minute bursts).
 * Exactly the expected notifications, at the expected minutes, with the
 * expected grouping (three unit spikes are under units_in_spike = 5: no
 * group); none else.  The hub-level run through mosquitto is
 * tests/alerts/test-alert-hub.c (integration, needs the lead's wiring). */
#include <glib.h>
#include <string.h>

#include "alerts/alert-engine.h"
#include "alerts/alert-rules.h"
#include "model/calendar.h"
#include "protocol/ioc-time.h"

typedef struct
{
  GPtrArray *log;
  gint64 now;
} Log;

static void
log_cb (const IocAlert *a, gboolean page, gpointer data)
{
  Log *l = data;
  gint hh_mm = 0;
  ioc_time_local_date (l->now, NULL, NULL, NULL, NULL, &hh_mm);
  g_ptr_array_add (l->log, g_strdup_printf ("%02d:%02d %s %s/%s%s%s", hh_mm / 60, hh_mm % 60,
                                            ioc_alert_state_name (a->state), a->rule, a->scope,
                                            page ? "" : " (quiet)", a->group ? " grouped" : ""));
}

static gint64
at (gint day_offset, gint hh, gint mm)
{
  return ioc_time_from_local (2026, 4, 21 + day_offset, hh, mm);
}

typedef struct
{
  const gchar *unit;
  gint64 usual; /* newly overdue on a normal day */
  gint64 due;
} UnitSpec;

static const UnitSpec units[] = {
  { "xa-17001", 2, 40 }, { "xa-17002", 5, 70 }, { "xa-17003", 1, 15 },
  { "xa-17101", 0, 50 }, { "xa-17102", 0, 50 }, { "xa-17103", 0, 50 }, { "xa-17104", 0, 50 },
  { "xa-17105", 0, 50 }, { "xa-17106", 0, 50 }, { "xa-17107", 0, 50 }, { "xa-17108", 0, 50 },
  { "xa-17009", 0, 2 },  { "xa-17010", 1, 20 },
};

/* Today's running count of a unit on the spike day at hh:mm. */
static gint64
spike_day_count (const gchar *unit, gint hh, gint mm)
{
  gint t = hh * 60 + mm;
  if (g_str_equal (unit, "xa-17001"))
    return t >= 11 * 60 ? 6 : t >= 10 * 60 ? 3 : 0; /* threshold max(3, 2 + 3) = 5 */
  if (g_str_equal (unit, "xa-17002"))
    return t >= 13 * 60 ? 9 : t >= 9 * 60 ? 3 : 0; /* threshold 5 + 3·max(0.5, 1) = 8; 9/70 ≥ 10 %, 6/70 is not */
  if (g_str_equal (unit, "xa-17003"))
    return t >= 15 * 60 ? 4 : 0;                   /* threshold max(3, 1 + 3) = 4, 4/15 ≥ 10 % */
  if (g_str_has_prefix (unit, "xa-171"))
    return t >= 14 * 60 + 30 ? 2 : 0;              /* the systemic hour: 8 × 2 = 16 ≥ 10 */
  if (g_str_equal (unit, "xa-17009"))
    return t >= 10 * 60 ? 2 : 0;                   /* noise under the floor */
  if (g_str_equal (unit, "xa-17010"))
    return t >= 12 * 60 ? 9 : 1;                   /* completions missing: stale */
  return 0;
}

static void
test_scenario (void)
{
  g_autofree gchar *rules_path = g_build_filename (IOC_SOURCE_ROOT, "ops", "alerts.conf", NULL);
  g_autofree gchar *cal_path = g_build_filename (IOC_SOURCE_ROOT, "ops", "calendar", "vn-2026.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (IocAlertRules) rules = ioc_alert_rules_load (rules_path, &error);
  g_assert_no_error (error);
  const gchar *paths[] = { cal_path, NULL };
  g_autoptr (IocCalendar) cal = ioc_calendar_load (paths, &error);
  g_assert_no_error (error);
  Log l = { g_ptr_array_new_with_free_func (g_free), 0 };
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (rules, cal, at (-56, 0, 0), log_cb, &l);

  /* Eight weeks of history; xa-17002 varies a little (MAD 0.5 → 1). */
  static const gint64 a2_tuesdays[] = { 4, 5, 6, 5, 5, 4, 6, 5 };
  IocAlertSource portal = { .kind = "portal", .device = "portal-b", .unit = "xa-17010", .is_declared = TRUE };
  for (gint d = -56; d < 0; d++)
    {
      /* Counts arrive through the day: unit u's at 08:00 + (u mod 9) hours. */
      for (gint hh = 8; hh <= 16; hh++)
        {
          l.now = at (d, hh, 0);
          for (guint u = 0; u < G_N_ELEMENTS (units); u++)
            {
              gint64 c = units[u].usual;
              if (g_str_equal (units[u].unit, "xa-17002") && (d + 56) % 7 == 0)
                c = a2_tuesdays[(d + 56) / 7];
              ioc_alert_engine_unit_day (e, units[u].unit, l.now, hh >= 8 + (gint) (u % 9) ? c : 0,
                                         units[u].due, 0);
            }
          portal.last_seen_us = l.now;
          ioc_alert_engine_source (e, &portal);
          ioc_alert_engine_evaluate (e, l.now);
        }
      l.now = at (d, 23, 59);
      ioc_alert_engine_evaluate (e, l.now);
    }
  for (guint i = 0; i < l.log->len; i++)
    g_printerr ("history: %s\n", (gchar *) g_ptr_array_index (l.log, i));
  g_assert_cmpuint (l.log->len, ==, 0);

  /* The spike day, minute by minute from 07:00 to 18:00, and 1 a.m. next day. */
  for (gint m = 7 * 60; m <= 18 * 60; m++)
    {
      gint hh = m / 60, mm = m % 60;
      l.now = at (0, hh, mm);
      for (guint u = 0; u < G_N_ELEMENTS (units); u++)
        ioc_alert_engine_unit_day (e, units[u].unit, l.now, spike_day_count (units[u].unit, hh, mm),
                                   units[u].due, 0);
      if (m <= 9 * 60)
        {
          portal.last_seen_us = l.now;
          ioc_alert_engine_source (e, &portal);
        }
      /* Cameras of xa-17011: 100 %, then bursts of 11 min at 90 % with 1 min
       * at 100 % from 08:00 to 08:47, then 100 % again. */
      gboolean low = m >= 8 * 60 && m < 8 * 60 + 48 && (m - 8 * 60) % 12 < 11;
      ioc_alert_engine_value (e, "ioc_device.cameras", "xa-17011", l.now, 20);
      ioc_alert_engine_value (e, "ioc_device.cameras_recording", "xa-17011", l.now, low ? 18 : 20);
      ioc_alert_engine_evaluate (e, l.now);
      if (hh == 12 && mm == 0)
        g_assert_true (ioc_alert_engine_unit_is_stale (e, "xa-17010"));
    }
  l.now = at (1, 1, 0);
  ioc_alert_engine_evaluate (e, l.now);

  static const gchar *const want[] = {
    "08:10 firing cameras-recording-low/xa-17011",
    "08:11 resolved cameras-recording-low/xa-17011",
    "08:22 firing cameras-recording-low/xa-17011",
    "08:23 flapping cameras-recording-low/xa-17011",
    "09:09 firing connector-down/portal/portal-b",
    /* Still changing (held back) at 08:34/35 and 08:46/47; quiet for a whole
     * flap_window (1 h) after the last change, the settled state is told once. */
    "09:47 resolved cameras-recording-low/xa-17011",
    "11:00 firing overdue-spike-unit/xa-17001",
    "13:00 firing overdue-spike-unit/xa-17002",
    "14:30 firing overdue-spike-province/hourly",
    /* A unit spike is told after the province rules ran (it might complete a group). */
    "15:00 resolved overdue-spike-province/hourly",
    "15:00 firing overdue-spike-unit/xa-17003",
    /* 17:00 the office closes: connector-down is muted (no change) overnight. */
    "01:00 resolved overdue-spike-unit/xa-17001",
    "01:00 resolved overdue-spike-unit/xa-17002",
    "01:00 resolved overdue-spike-unit/xa-17003",
  };
  g_autoptr (GString) got = g_string_new (NULL);
  for (guint i = 0; i < l.log->len; i++)
    g_string_append_printf (got, "%s\n", (gchar *) g_ptr_array_index (l.log, i));
  g_autoptr (GString) expected = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    g_string_append_printf (expected, "%s\n", want[i]);
  g_assert_cmpstr (got->str, ==, expected->str);
  g_ptr_array_unref (l.log);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-scenario/labelled-day", test_scenario);
  return g_test_run ();
}
