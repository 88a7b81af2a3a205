/* test-alert-engine.c — rule evaluation and the alert lifecycle with a
 * manual clock (now is an argument; nothing sleeps): spike vs baseline, the
 * fallback and the min-volume guards, for / keep_firing_for / hysteresis,
 * flap detection, the stale guard, province grouping, acks, silences, and
 * the store round trip with the resolves owed after a restart. */
#include <glib.h>
#include <string.h>

#include "alerts/alert-engine.h"
#include "alerts/alert-rules.h"
#include "model/calendar.h"
#include "protocol/ioc-time.h"

typedef struct
{
  GPtrArray *log; /* "state rule/scope page|quiet" */
  GPtrArray *ids; /* id of each notification */
  GPtrArray *groups;
} Capture;

static void
capture_cb (const IocAlert *a, gboolean page, gpointer data)
{
  Capture *c = data;
  g_ptr_array_add (c->log, g_strdup_printf ("%s %s/%s %s", ioc_alert_state_name (a->state), a->rule,
                                            a->scope, page ? "page" : "quiet"));
  g_ptr_array_add (c->ids, g_strdup (a->id));
  g_ptr_array_add (c->groups, g_strdup (a->group ? a->group : ""));
}

static void
capture_init (Capture *c)
{
  c->log = g_ptr_array_new_with_free_func (g_free);
  c->ids = g_ptr_array_new_with_free_func (g_free);
  c->groups = g_ptr_array_new_with_free_func (g_free);
}

static void
capture_clear (Capture *c)
{
  g_ptr_array_unref (c->log);
  g_ptr_array_unref (c->ids);
  g_ptr_array_unref (c->groups);
}

static gchar *
joined (Capture *c)
{
  g_ptr_array_add (c->log, NULL);
  gchar *s = g_strjoinv ("; ", (gchar **) c->log->pdata);
  g_ptr_array_remove_index (c->log, c->log->len - 1);
  return s;
}

static IocAlertRules *
rules (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  IocAlertRules *r = ioc_alert_rules_load_data ("t.conf", text, strlen (text), &error);
  g_assert_no_error (error);
  return r;
}

/* Tuesday 2026-04-21 at hh:mm, Vietnam time. */
static gint64
at (gint day_offset, gint hh, gint mm)
{
  return ioc_time_from_local (2026, 4, 21 + day_offset, hh, mm);
}

/* Weeks of history: every day of the `weeks` weeks before 21/04 at 16:00
 * the unit reports `count` of `due`, and the day is closed at midnight. */
static void
history (IocAlertEngine *e, const gchar *unit, gint weeks, gint64 count, gint64 due)
{
  for (gint d = -7 * weeks; d < 0; d++)
    {
      ioc_alert_engine_unit_day (e, unit, at (d, 16, 0), count, due, 0);
      ioc_alert_engine_evaluate (e, at (d, 16, 0));
      ioc_alert_engine_evaluate (e, at (d, 23, 59));
    }
}

static const gchar *spike_rules = "[rule spike]\nkind = overdue_spike_unit\n";

static void
test_spike_vs_baseline (void)
{
  g_autoptr (IocAlertRules) r = rules (spike_rules);
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (-60, 0, 0), capture_cb, &c);
  history (e, "xa-1", 8, 2, 40);
  g_assert_cmpuint (c.log->len, ==, 0);
  /* Baseline median 2, MAD 0 → max(3, 2 + 3·1) = 5. */
  ioc_alert_engine_unit_day (e, "xa-1", at (0, 10, 0), 4, 40, 0);
  ioc_alert_engine_evaluate (e, at (0, 10, 0));
  g_assert_cmpuint (c.log->len, ==, 0);
  ioc_alert_engine_unit_day (e, "xa-1", at (0, 11, 0), 5, 40, 0);
  ioc_alert_engine_evaluate (e, at (0, 11, 0));
  g_autofree gchar *s = joined (&c);
  g_assert_cmpstr (s, ==, "firing spike/xa-1 page");
  g_autoptr (JsonNode) n = ioc_alert_engine_alerts_json (e, FALSE);
  g_autofree gchar *js = json_to_string (n, FALSE);
  g_assert_nonnull (strstr (js, "median 2.0, MAD 0.0 over 8 days"));
  /* It holds through the day and resolves when the day is over. */
  ioc_alert_engine_evaluate (e, at (0, 17, 30));
  g_assert_cmpuint (c.log->len, ==, 1);
  ioc_alert_engine_evaluate (e, at (1, 0, 1));
  g_autofree gchar *s2 = joined (&c);
  g_assert_cmpstr (s2, ==, "firing spike/xa-1 page; resolved spike/xa-1 page");
  capture_clear (&c);
}

static gchar *
baselines_of (IocAlertEngine *e)
{
  g_autoptr (JsonNode) n = ioc_alert_engine_alerts_json (e, FALSE);
  JsonNode *b = json_object_get_member (json_node_get_object (n), "baselines");
  return json_to_string (b, FALSE);
}

/* A cold start: the engine asks for history, takes imported days (never
 * over its own, never today), and says where the baseline came from. */
static void
test_imported_baseline (void)
{
  g_autoptr (IocAlertRules) r = rules ("[rule spike]\nkind = overdue_spike_unit\n"
                                       "[rule prov]\nkind = overdue_spike_province\nunits_in_spike = 0\n");
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (0, 8, 0), capture_cb, &c);
  ioc_alert_engine_evaluate (e, at (0, 8, 0));
  g_assert_cmpint (ioc_alert_engine_history_weeks (e, at (0, 8, 0)), ==, 8);
  g_autofree gchar *b0 = baselines_of (e);
  g_assert_nonnull (strstr (b0, "\"rule\":\"spike\",\"source\":\"fallback\",\"samples\":0"));

  /* Eight weeks of InfluxDB days: xa-1 usually 2; today is not taken. */
  for (gint d = -56; d < 0; d++)
    {
      g_assert_true (ioc_alert_engine_import_day (e, "xa-1", ioc_calendar_day_start (ioc_calendar_day_of (at (d, 12, 0))),
                                                  2, at (0, 8, 0)));
      g_assert_true (ioc_alert_engine_import_hour (e, at (d, 10, 0), 1, at (0, 8, 0)));
    }
  g_assert_false (ioc_alert_engine_import_day (e, "xa-1", at (0, 0, 0), 50, at (0, 8, 0)));
  g_assert_cmpint (ioc_alert_engine_history_weeks (e, at (0, 8, 0)), ==, 0);
  ioc_alert_engine_evaluate (e, at (0, 9, 0));
  g_autofree gchar *b1 = baselines_of (e);
  g_assert_nonnull (strstr (b1, "\"rule\":\"spike\",\"source\":\"influxdb\",\"samples\":8,\"from_influxdb\":8"));

  ioc_alert_engine_unit_day (e, "xa-1", at (0, 10, 0), 5, 40, 0);
  ioc_alert_engine_evaluate (e, at (0, 10, 0));
  g_autofree gchar *s = joined (&c);
  g_assert_cmpstr (s, ==, "firing spike/xa-1 page");
  g_autoptr (JsonNode) n = ioc_alert_engine_alerts_json (e, FALSE);
  g_autofree gchar *js = json_to_string (n, FALSE);
  g_assert_nonnull (strstr (js, "median 2.0, MAD 0.0 over 8 days from influxdb"));

  /* The engine's own day wins over an import; the mix is stated. */
  ioc_alert_engine_evaluate (e, at (1, 0, 1)); /* today closes: an own day */
  g_assert_false (ioc_alert_engine_import_day (e, "xa-1", at (0, 0, 0), 50, at (1, 8, 0)));
  g_autofree gchar *saved = ioc_alert_engine_save (e);
  g_autoptr (IocAlertEngine) e2 = ioc_alert_engine_new (r, NULL, at (7, 8, 0), NULL, NULL);
  g_assert_true (ioc_alert_engine_load (e2, saved, strlen (saved), NULL));
  ioc_alert_engine_evaluate (e2, at (7, 9, 0));
  g_autofree gchar *b2 = baselines_of (e2);
  g_assert_nonnull (strstr (b2, "\"rule\":\"spike\",\"source\":\"own history + influxdb\",\"samples\":8,"
                                "\"from_influxdb\":7"));
  capture_clear (&c);
}

static void
test_fallback_and_guards (void)
{
  g_autoptr (IocAlertRules) r = rules (spike_rules);
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (0, 0, 0), capture_cb, &c);
  /* No history: the floor of 3 alone, and the rule says so. */
  ioc_alert_engine_unit_day (e, "xa-small", at (0, 9, 0), 2, 2, 0); /* 100 % but under the floor */
  ioc_alert_engine_unit_day (e, "xa-big", at (0, 9, 0), 20, 500, 0); /* 4 % of what was due */
  ioc_alert_engine_unit_day (e, "xa-new", at (0, 9, 0), 3, 10, 0);
  ioc_alert_engine_evaluate (e, at (0, 9, 0));
  g_autofree gchar *s = joined (&c);
  g_assert_cmpstr (s, ==, "firing spike/xa-new page");
  g_autoptr (JsonNode) n = ioc_alert_engine_alerts_json (e, FALSE);
  g_autofree gchar *js = json_to_string (n, FALSE);
  g_assert_nonnull (strstr (js, "fewer than 4; fallback floor 3"));
  capture_clear (&c);
}

static const gchar *threshold_rules = "[rule cam]\nkind = threshold\nmetric = ioc_device.cameras_recording\n"
                                      "denominator = ioc_device.cameras\nop = <\nvalue = 0.95\nclear = 0.97\n"
                                      "for = 10m\nkeep_firing_for = 5m\n";

static void
cam (IocAlertEngine *e, gint64 t, gdouble recording)
{
  ioc_alert_engine_value (e, "ioc_device.cameras", "xa-1", t, 100);
  ioc_alert_engine_value (e, "ioc_device.cameras_recording", "xa-1", t, recording);
  ioc_alert_engine_evaluate (e, t);
}

static void
test_for_keep_hysteresis (void)
{
  g_autoptr (IocAlertRules) r = rules (threshold_rules);
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (0, 8, 0), capture_cb, &c);
  gint64 t = at (0, 8, 0);
  cam (e, t, 90);                          /* pending */
  cam (e, t + 9 * G_TIME_SPAN_MINUTE, 90); /* still pending: for = 10m */
  g_assert_cmpuint (c.log->len, ==, 0);
  g_autoptr (GPtrArray) k = ioc_alert_engine_active_keys (e);
  g_assert_cmpstr (g_ptr_array_index (k, 0), ==, "cam/xa-1:pending");
  cam (e, t + 10 * G_TIME_SPAN_MINUTE, 90);
  g_assert_cmpuint (c.log->len, ==, 1);
  /* 96 %: above the threshold but below clear (97 %): it keeps firing. */
  cam (e, t + 20 * G_TIME_SPAN_MINUTE, 96);
  cam (e, t + 40 * G_TIME_SPAN_MINUTE, 96);
  g_assert_cmpuint (c.log->len, ==, 1);
  /* Cleared at 98 %, but keep_firing_for = 5m holds it. */
  cam (e, t + 41 * G_TIME_SPAN_MINUTE, 98);
  cam (e, t + 44 * G_TIME_SPAN_MINUTE, 98);
  g_assert_cmpuint (c.log->len, ==, 1);
  cam (e, t + 46 * G_TIME_SPAN_MINUTE, 98);
  g_autofree gchar *s = joined (&c);
  g_assert_cmpstr (s, ==, "firing cam/xa-1 page; resolved cam/xa-1 page");
  /* A pending that clears before `for` is never announced. */
  cam (e, t + 50 * G_TIME_SPAN_MINUTE, 90);
  cam (e, t + 55 * G_TIME_SPAN_MINUTE, 99);
  g_assert_cmpuint (c.log->len, ==, 2);
  /* A new occurrence after resolve gets a new id. */
  cam (e, t + 60 * G_TIME_SPAN_MINUTE, 90);
  cam (e, t + 70 * G_TIME_SPAN_MINUTE, 90);
  g_assert_cmpuint (c.log->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (c.ids, 0), ==, g_ptr_array_index (c.ids, 1));
  g_assert_cmpstr (g_ptr_array_index (c.ids, 0), !=, g_ptr_array_index (c.ids, 2));
  /* Stale data (older than max_age) changes nothing. */
  ioc_alert_engine_evaluate (e, t + 200 * G_TIME_SPAN_MINUTE);
  g_assert_cmpuint (c.log->len, ==, 3);
  capture_clear (&c);
}

static void
test_flap (void)
{
  g_autoptr (IocAlertRules) r = rules ("[rule cam]\nkind = threshold\nmetric = ioc_device.cameras_recording\n"
                                       "denominator = ioc_device.cameras\nop = <\nvalue = 0.95\n"
                                       "flap_changes = 4\nflap_window = 30m\n");
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (0, 8, 0), capture_cb, &c);
  gint64 t = at (0, 8, 0);
  for (gint i = 0; i < 10; i++)
    cam (e, t + i * G_TIME_SPAN_MINUTE, i % 2 == 0 ? 90 : 99);
  g_autofree gchar *s = joined (&c);
  g_assert_cmpstr (s, ==, "firing cam/xa-1 page; resolved cam/xa-1 page; firing cam/xa-1 page; "
                          "flapping cam/xa-1 page");
  /* Quiet (steadily firing) for a whole window: its state is told once more. */
  for (gint i = 10; i < 60; i++)
    cam (e, t + i * G_TIME_SPAN_MINUTE, 90);
  g_autofree gchar *s2 = joined (&c);
  g_assert_cmpstr (s2, ==, "firing cam/xa-1 page; resolved cam/xa-1 page; firing cam/xa-1 page; "
                           "flapping cam/xa-1 page; firing cam/xa-1 page");
  capture_clear (&c);
}

static void
test_stale_guard (void)
{
  g_autoptr (IocAlertRules) r = rules (spike_rules);
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (-1, 0, 0), capture_cb, &c);
  IocAlertSource portal = { .kind = "portal", .device = "dvc", .unit = "xa-1", .is_declared = TRUE,
                            .last_seen_us = at (0, 6, 0) };
  ioc_alert_engine_source (e, &portal);
  ioc_alert_engine_unit_day (e, "xa-1", at (0, 9, 0), 10, 20, 0);
  ioc_alert_engine_unit_day (e, "xa-2", at (0, 9, 0), 10, 20, 0);
  ioc_alert_engine_evaluate (e, at (0, 9, 0)); /* 3 h silent (no calendar: every hour counts) */
  g_autofree gchar *s = joined (&c);
  g_assert_cmpstr (s, ==, "firing spike/xa-2 page");
  g_assert_true (ioc_alert_engine_unit_is_stale (e, "xa-1"));
  g_assert_false (ioc_alert_engine_unit_is_stale (e, "xa-2"));
  /* Heard from again, but with seq gaps today: still suppressed. */
  portal.last_seen_us = at (0, 9, 5);
  portal.missing_seqs = 3;
  ioc_alert_engine_source (e, &portal);
  ioc_alert_engine_evaluate (e, at (0, 9, 6));
  g_assert_cmpuint (c.log->len, ==, 1);
  /* Next day: yesterday's gaps no longer count. */
  portal.last_seen_us = at (1, 9, 0);
  ioc_alert_engine_source (e, &portal);
  ioc_alert_engine_evaluate (e, at (1, 0, 1));
  ioc_alert_engine_unit_day (e, "xa-1", at (1, 9, 0), 10, 20, 0);
  ioc_alert_engine_evaluate (e, at (1, 9, 1));
  g_autoptr (GPtrArray) k = ioc_alert_engine_active_keys (e);
  g_assert_cmpuint (k->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (k, 0), ==, "spike/xa-1:firing");
  capture_clear (&c);
}

/* Zero tolerance: one alert per overdue dossier of a listed unit, its id in
 * the scope (made topic-safe); a retraction resolves it, the day's end
 * resolves the rest; the list survives a restart of the engine. */
static void
test_zero_tolerance_per_dossier (void)
{
  g_autoptr (IocAlertRules) r = rules ("[rule zt]\nkind = zero_tolerance\nseverity = info\nunits = ca-*\n");
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (-1, 0, 0), capture_cb, &c);
  ioc_alert_engine_dossier_overdue (e, "ca-1", "H40.1-0001", at (0, 10, 0), +1);
  ioc_alert_engine_dossier_overdue (e, "ca-1", "H40/1#2", at (0, 10, 0), +1);
  ioc_alert_engine_dossier_overdue (e, "xa-1", "H40.9-0001", at (0, 10, 0), +1); /* not listed */
  ioc_alert_engine_dossier_overdue (e, "ca-1", "H40.1-0001", at (0, 10, 0), +1); /* told twice: one alert */
  ioc_alert_engine_evaluate (e, at (0, 10, 0));
  g_autofree gchar *s1 = joined (&c);
  g_assert_cmpstr (s1, ==, "firing zt/ca-1/H40.1-0001 page; firing zt/ca-1/H40_1_2 page");

  /* A restart keeps today's overdue dossiers: nothing resolves. */
  g_autofree gchar *saved = ioc_alert_engine_save (e);
  g_autoptr (IocAlertEngine) e2 = ioc_alert_engine_new (r, NULL, at (-1, 0, 0), capture_cb, &c);
  g_assert_true (ioc_alert_engine_load (e2, saved, strlen (saved), NULL));
  ioc_alert_engine_evaluate (e2, at (0, 10, 1));
  g_assert_cmpuint (c.log->len, ==, 2);

  /* A late event showed H40/1#2 finished in time: it resolves at once. */
  ioc_alert_engine_dossier_overdue (e2, "ca-1", "H40/1#2", at (0, 10, 0), -1);
  ioc_alert_engine_evaluate (e2, at (0, 11, 0));
  g_assert_cmpuint (c.log->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (c.log, 2), ==, "resolved zt/ca-1/H40_1_2 page");
  /* The day ends: the other resolves; the next day starts empty. */
  ioc_alert_engine_evaluate (e2, at (1, 0, 1));
  g_assert_cmpuint (c.log->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (c.log, 3), ==, "resolved zt/ca-1/H40.1-0001 page");
  g_autoptr (GPtrArray) k = ioc_alert_engine_active_keys (e2);
  g_assert_cmpuint (k->len, ==, 0);

  /* At most 50 a unit a day: the spike rules speak for a mass failure. */
  for (guint i = 0; i < 60; i++)
    {
      g_autofree gchar *id = g_strdup_printf ("H40.2-%04u", i);
      ioc_alert_engine_dossier_overdue (e2, "ca-2", id, at (1, 9, 0), +1);
    }
  ioc_alert_engine_evaluate (e2, at (1, 9, 0));
  g_autoptr (GPtrArray) k2 = ioc_alert_engine_active_keys (e2);
  g_assert_cmpuint (k2->len, ==, 50);
  capture_clear (&c);
}

static void
test_province_grouping (void)
{
  g_autoptr (IocAlertRules) r = rules ("[rule spike]\nkind = overdue_spike_unit\n"
                                       "[rule prov]\nkind = overdue_spike_province\nunit_rule = spike\n"
                                       "units_in_spike = 3\nmin_count = 1000\n");
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (0, 0, 0), capture_cb, &c);
  ioc_alert_engine_unit_day (e, "xa-1", at (0, 9, 0), 5, 10, 0);
  ioc_alert_engine_unit_day (e, "xa-2", at (0, 9, 0), 5, 10, 0);
  ioc_alert_engine_evaluate (e, at (0, 9, 0));
  ioc_alert_engine_unit_day (e, "xa-3", at (0, 10, 0), 5, 10, 0);
  ioc_alert_engine_evaluate (e, at (0, 10, 0));
  ioc_alert_engine_unit_day (e, "xa-4", at (0, 11, 0), 5, 10, 0);
  ioc_alert_engine_evaluate (e, at (0, 11, 0));
  g_autofree gchar *s = joined (&c);
  /* The third unit completes the group: it goes out under it (quiet), the
   * two before it are told their group (quiet); the fourth fires grouped. */
  g_assert_cmpstr (s, ==, "firing spike/xa-1 page; firing spike/xa-2 page; firing prov/units page; "
                          "firing spike/xa-1 quiet; firing spike/xa-2 quiet; firing spike/xa-3 quiet; "
                          "firing spike/xa-4 quiet");
  const gchar *prov_id = g_ptr_array_index (c.ids, 2);
  for (guint k = 3; k < 7; k++)
    g_assert_cmpstr (g_ptr_array_index (c.groups, k), ==, prov_id);
  g_autoptr (JsonNode) n = ioc_alert_engine_alerts_json (e, FALSE);
  g_autofree gchar *js = json_to_string (n, FALSE);
  g_assert_nonnull (strstr (js, "units in spike today"));
  g_assert_nonnull (strstr (js, "xa-1,xa-2,xa-3,xa-4"));
  capture_clear (&c);
}

static const gchar *dead_rules = "[rule down]\nkind = dead_source\ncadence = 3m\nfor = 0s\n";

static void
test_ack_silence_store (void)
{
  g_autoptr (IocAlertRules) r = rules (dead_rules);
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (0, 8, 0), capture_cb, &c);
  IocAlertSource a = { .kind = "desk", .device = "d1", .unit = "xa-1", .is_declared = TRUE };
  IocAlertSource b = { .kind = "desk", .device = "d2", .unit = "xa-1", .is_declared = TRUE };
  ioc_alert_engine_source (e, &a);
  ioc_alert_engine_source (e, &b);
  g_autofree gchar *sid = ioc_alert_engine_silence (e, "down", "desk/d2", at (1, 0, 0), "lan", "maintenance",
                                                    at (0, 8, 0));
  ioc_alert_engine_evaluate (e, at (0, 8, 5)); /* never seen: down */
  g_autofree gchar *s = joined (&c);
  g_assert_cmpstr (s, ==, "firing down/desk/d1 page; firing down/desk/d2 quiet");
  const gchar *id = g_ptr_array_index (c.ids, 0);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_alert_engine_ack (e, id, "Nguyễn Văn An", "đang xử lý", at (0, 8, 6), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.log->len, ==, 3); /* the ack is shown (MQTT), not paged */
  g_assert_cmpstr (g_ptr_array_index (c.log, 2), ==, "firing down/desk/d1 quiet");
  g_assert_false (ioc_alert_engine_ack (e, "999", "x", NULL, at (0, 8, 6), &error));
  g_clear_error (&error);

  /* Restart: the state comes back; d1 recovered while the hub was down. */
  g_autofree gchar *saved = ioc_alert_engine_save (e);
  Capture c2;
  capture_init (&c2);
  g_autoptr (IocAlertEngine) e2 = ioc_alert_engine_new (r, NULL, at (0, 9, 0), capture_cb, &c2);
  g_assert_true (ioc_alert_engine_load (e2, saved, strlen (saved), &error));
  g_assert_no_error (error);
  g_autoptr (JsonNode) n1 = ioc_alert_engine_alerts_json (e, FALSE);
  g_autoptr (JsonNode) n2 = ioc_alert_engine_alerts_json (e2, FALSE);
  g_autofree gchar *j1 = json_to_string (n1, FALSE);
  g_autofree gchar *j2 = json_to_string (n2, FALSE);
  g_assert_cmpstr (j1, ==, j2);
  g_assert_nonnull (strstr (j2, "\"by\":\"Nguyễn Văn An\""));
  g_autoptr (JsonNode) sn = ioc_alert_engine_silences_json (e2, at (0, 9, 0));
  g_autofree gchar *sj = json_to_string (sn, FALSE);
  g_assert_nonnull (strstr (sj, sid));
  a.last_seen_us = at (0, 9, 0);
  b.last_seen_us = 0;
  ioc_alert_engine_source (e2, &a);
  ioc_alert_engine_source (e2, &b);
  ioc_alert_engine_evaluate (e2, at (0, 9, 0));
  g_autofree gchar *s2 = joined (&c2);
  g_assert_cmpstr (s2, ==, "resolved down/desk/d1 page"); /* the resolve owed, same id */
  g_assert_cmpstr (g_ptr_array_index (c2.ids, 0), ==, id);
  /* The resolved alert keeps its ack in the history. */
  g_autoptr (JsonNode) n3 = ioc_alert_engine_alerts_json (e2, TRUE);
  g_autofree gchar *j3 = json_to_string (n3, FALSE);
  g_assert_nonnull (strstr (j3, "\"state\":\"resolved\""));
  g_assert_nonnull (strstr (j3, "đang xử lý"));
  /* A second save/load round trip is stable. */
  g_autofree gchar *again = ioc_alert_engine_save (e2);
  g_autoptr (IocAlertEngine) e3 = ioc_alert_engine_new (r, NULL, at (0, 9, 0), NULL, NULL);
  g_assert_true (ioc_alert_engine_load (e3, again, strlen (again), &error));
  g_autoptr (JsonNode) n4 = ioc_alert_engine_alerts_json (e3, TRUE);
  g_autofree gchar *j4 = json_to_string (n4, FALSE);
  g_assert_cmpstr (j3, ==, j4);
  g_assert_false (ioc_alert_engine_load (e3, "{\"version\": 7}", 14, &error));
  g_clear_error (&error);
  capture_clear (&c);
  capture_clear (&c2);
}

/* After a restart the engine has no values and no sources until the hub
 * pushes them: a firing threshold and a firing dead source stay as they
 * are (same id, nothing notified) until fresh data says otherwise; a
 * source device health no longer lists clears a cadence after the run
 * started, a unit the rule no longer covers at once. */
static void
test_restart_without_data (void)
{
  g_autoptr (IocAlertRules) r = rules ("[rule cam]\nkind = threshold\nmetric = ioc_device.cameras_recording\n"
                                       "denominator = ioc_device.cameras\nop = <\nvalue = 0.95\nfor = 0s\n"
                                       "[rule down]\nkind = dead_source\ncadence = 3m\nfor = 0s\n");
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (0, 8, 0), capture_cb, &c);
  IocAlertSource d1 = { .kind = "desk", .device = "d1", .unit = "xa-1", .is_declared = TRUE };
  IocAlertSource d2 = { .kind = "desk", .device = "d2", .unit = "xa-1", .is_declared = TRUE };
  ioc_alert_engine_source (e, &d1);
  ioc_alert_engine_source (e, &d2);
  ioc_alert_engine_value (e, "ioc_device.cameras", "xa-1", at (0, 8, 4), 100);
  ioc_alert_engine_value (e, "ioc_device.cameras_recording", "xa-1", at (0, 8, 4), 90);
  ioc_alert_engine_evaluate (e, at (0, 8, 5));
  g_autofree gchar *s = joined (&c);
  g_assert_cmpstr (s, ==, "firing cam/xa-1 page; firing down/desk/d1 page; firing down/desk/d2 page");
  g_autofree gchar *saved = ioc_alert_engine_save (e);

  /* The restarted engine: its first rounds come before any data. */
  Capture c2;
  capture_init (&c2);
  g_autoptr (IocAlertEngine) e2 = ioc_alert_engine_new (r, NULL, at (0, 8, 10), capture_cb, &c2);
  g_assert_true (ioc_alert_engine_load (e2, saved, strlen (saved), NULL));
  for (gint m = 10; m <= 12; m++)
    ioc_alert_engine_evaluate (e2, at (0, 8, m));
  g_assert_cmpuint (c2.log->len, ==, 0);
  g_autoptr (JsonNode) n1 = ioc_alert_engine_alerts_json (e, FALSE);
  g_autoptr (JsonNode) n2 = ioc_alert_engine_alerts_json (e2, FALSE);
  g_autofree gchar *j1 = json_to_string (json_object_get_member (json_node_get_object (n1), "alerts"), FALSE);
  g_autofree gchar *j2 = json_to_string (json_object_get_member (json_node_get_object (n2), "alerts"), FALSE);
  g_assert_cmpstr (j2, ==, j1);

  /* d1 is listed again and still silent: it stays.  d2 never comes back:
   * a cadence after the restart it has left the inventory. */
  ioc_alert_engine_source (e2, &d1);
  ioc_alert_engine_evaluate (e2, at (0, 13, 0));
  g_autofree gchar *s2 = joined (&c2);
  g_assert_cmpstr (s2, ==, "resolved down/desk/d2 page");
  /* Fresh data clears the threshold, under its old id. */
  ioc_alert_engine_value (e2, "ioc_device.cameras", "xa-1", at (0, 13, 1), 100);
  ioc_alert_engine_value (e2, "ioc_device.cameras_recording", "xa-1", at (0, 13, 1), 100);
  ioc_alert_engine_evaluate (e2, at (0, 13, 1));
  g_assert_cmpuint (c2.log->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (c2.log, 1), ==, "resolved cam/xa-1 page");
  g_assert_cmpstr (g_ptr_array_index (c2.ids, 1), ==, g_ptr_array_index (c.ids, 0));
  capture_clear (&c);
  capture_clear (&c2);
}

static void
test_baseline_persists (void)
{
  g_autoptr (IocAlertRules) r = rules (spike_rules);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, NULL, at (-60, 0, 0), NULL, NULL);
  history (e, "xa-1", 8, 6, 100);
  g_autofree gchar *saved = ioc_alert_engine_save (e);
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e2 = ioc_alert_engine_new (r, NULL, at (0, 0, 0), capture_cb, &c);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_alert_engine_load (e2, saved, strlen (saved), &error));
  /* Baseline 6 → threshold 9 after the restart; 8 does not fire, 9 does. */
  ioc_alert_engine_unit_day (e2, "xa-1", at (0, 10, 0), 8, 100, 0);
  ioc_alert_engine_evaluate (e2, at (0, 10, 0));
  g_assert_cmpuint (c.log->len, ==, 0);
  ioc_alert_engine_unit_day (e2, "xa-1", at (0, 11, 0), 10, 100, 0);
  ioc_alert_engine_evaluate (e2, at (0, 11, 0));
  g_assert_cmpuint (c.log->len, ==, 1);
  capture_clear (&c);
}

static void
test_working_hours_mute (void)
{
  const gchar *cal_text = "[calendar]\nweekend = sat,sun\nhours = 07:30-11:30,13:30-17:00\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocCalendar) cal = ioc_calendar_load_data ("cal.conf", cal_text, strlen (cal_text), &error);
  g_assert_no_error (error);
  g_autoptr (IocAlertRules) r = rules ("[rule down]\nkind = dead_source\ncadence = 3m\nfor = 0s\n"
                                       "working_hours_only = true\n");
  Capture c;
  capture_init (&c);
  g_autoptr (IocAlertEngine) e = ioc_alert_engine_new (r, cal, at (0, 16, 0), capture_cb, &c);
  IocAlertSource a = { .kind = "desk", .device = "d1", .unit = "xa-1", .is_declared = TRUE,
                       .last_seen_us = at (0, 16, 58) };
  ioc_alert_engine_source (e, &a);
  ioc_alert_engine_evaluate (e, at (0, 16, 59));
  ioc_alert_engine_evaluate (e, at (0, 20, 0)); /* closed: muted */
  g_assert_cmpuint (c.log->len, ==, 0);
  ioc_alert_engine_evaluate (e, at (1, 7, 31));
  g_assert_cmpuint (c.log->len, ==, 1);
  capture_clear (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/alert-engine/spike-vs-baseline", test_spike_vs_baseline);
  g_test_add_func ("/ioc/alert-engine/fallback-and-min-volume", test_fallback_and_guards);
  g_test_add_func ("/ioc/alert-engine/for-keep-firing-hysteresis", test_for_keep_hysteresis);
  g_test_add_func ("/ioc/alert-engine/flap", test_flap);
  g_test_add_func ("/ioc/alert-engine/stale-guard", test_stale_guard);
  g_test_add_func ("/ioc/alert-engine/province-grouping", test_province_grouping);
  g_test_add_func ("/ioc/alert-engine/zero-tolerance-per-dossier", test_zero_tolerance_per_dossier);
  g_test_add_func ("/ioc/alert-engine/imported-baseline", test_imported_baseline);
  g_test_add_func ("/ioc/alert-engine/ack-silence-store", test_ack_silence_store);
  g_test_add_func ("/ioc/alert-engine/baseline-persists", test_baseline_persists);
  g_test_add_func ("/ioc/alert-engine/restart-without-data", test_restart_without_data);
  g_test_add_func ("/ioc/alert-engine/working-hours-mute", test_working_hours_mute);
  return g_test_run ();
}
