/* alert-engine.h — evaluates the alert rules over what the hub knows, and
 * runs each alert's lifecycle: pending → firing → resolved, acks, silences,
 * flap detection, province grouping, the stale-data guard (docs/ALERTS.md).
 *
 * The engine does not read the hub: its inputs are pushed (today's dossier
 * counts per unit, connector last-seen, indicator values) and "now" is an
 * argument, so tests drive it with a manual clock and never sleep.  Its
 * state (alerts, acks, silences, baselines) round-trips through JSON.
 * Main context only. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "alerts/alert-rules.h"
#include "model/calendar.h"

G_BEGIN_DECLS

typedef enum
{
  IOC_ALERT_STATE_PENDING = 0,
  IOC_ALERT_STATE_FIRING,
  IOC_ALERT_STATE_RESOLVED,
  IOC_ALERT_STATE_FLAPPING, /* a notification only: the instance changes too often */
} IocAlertState;

const gchar *ioc_alert_state_name (IocAlertState s);

/* One alert as notified.  Strings are borrowed for the callback's duration. */
typedef struct
{
  const gchar *id;
  const gchar *rule;
  const gchar *scope;       /* unit code, "all", connector "kind/device", … */
  const gchar *kind;        /* rule kind name */
  IocAlertSeverity severity;
  IocAlertState state;      /* what is announced */
  const gchar *summary;
  const gchar *summary_en;  /* NULL: the rule has none */
  const gchar *detail;      /* why: value, threshold, baseline or its fallback */
  gdouble value;
  gdouble threshold;
  gint64 started_us;        /* condition first held (pending since) */
  gint64 fired_us;          /* 0 until it fired */
  gint64 resolved_us;       /* 0 until it resolved */
  const gchar *group;       /* id of the province alert grouping it, or NULL */
  const gchar *acked_by;    /* NULL: not acknowledged */
  gint64 acked_us;
  const gchar *ack_note;
  gboolean is_silenced;
  gboolean is_reminder;
  gboolean is_ack_update;   /* state unchanged: only the ack or the group (wall display, MQTT) */
} IocAlert;

/* Called for every notification.  The MQTT retained state should always be
 * published; a webhook only when should_page is TRUE (not silenced, not
 * grouped under a province alert, not an ack update). */
typedef void (*IocAlertFunc) (const IocAlert *alert, gboolean should_page, gpointer user_data);

/* A connector or device the engine watches (dead_source, stale guard). */
typedef struct
{
  const gchar *kind;      /* desk, kiosk, camera, portal */
  const gchar *device;
  const gchar *unit;      /* the unit it is declared for */
  gboolean is_declared;   /* in the inventory: expected even if never seen */
  gboolean is_offline;    /* its retained state says offline */
  gint64 last_seen_us;    /* 0: never */
  gint64 missing_seqs;    /* seq gaps counted so far (dedup) */
  gboolean serves_all;    /* a province-wide portal: its silence makes every unit stale */
} IocAlertSource;

typedef struct _IocAlertEngine IocAlertEngine;

/* rules and cal are borrowed and must outlive the engine (or the next set_*);
 * cal NULL: Monday–Friday 07:30–17:00 is not assumed, every day and hour is
 * working time.  started_us: when the hub started (never-seen sources are
 * down once a cadence has passed after it). */
IocAlertEngine *ioc_alert_engine_new (const IocAlertRules *rules, const IocCalendar *cal,
                                      gint64 started_us, IocAlertFunc notify, gpointer user_data);
void ioc_alert_engine_free (IocAlertEngine *self);
void ioc_alert_engine_set_rules (IocAlertEngine *self, const IocAlertRules *rules);
void ioc_alert_engine_set_calendar (IocAlertEngine *self, const IocCalendar *cal);

/* Inputs; call before ioc_alert_engine_evaluate().  unit_day: the unit's
 * counts for the local day containing now_us (cumulative since midnight):
 * dossiers newly overdue, dossiers due today, open overdue stock. */
void ioc_alert_engine_unit_day (IocAlertEngine *self, const gchar *unit, gint64 now_us,
                                gint64 overdue_entered, gint64 due, gint64 open_overdue);
void ioc_alert_engine_source (IocAlertEngine *self, const IocAlertSource *src);
/* metric: "measurement.field"; unit: a code or "all".  Only metrics some
 * threshold rule names are kept (ioc_alert_engine_wants_metric). */
void ioc_alert_engine_value (IocAlertEngine *self, const gchar *metric, const gchar *unit,
                             gint64 ts_us, gdouble value);
gboolean ioc_alert_engine_wants_metric (IocAlertEngine *self, const gchar *metric);
/* A dossier went overdue (sign +1) or that was retracted (-1: a late event
 * showed it finished in time).  Kept only for units a zero_tolerance rule
 * lists, for the local day of overdue_us. */
void ioc_alert_engine_dossier_overdue (IocAlertEngine *self, const gchar *unit, const gchar *dossier,
                                       gint64 overdue_us, gint sign);

/* Runs every rule as of now_us; notifies state changes.  Returns TRUE when
 * the persistent state changed (the caller saves it). */
gboolean ioc_alert_engine_evaluate (IocAlertEngine *self, gint64 now_us);

/* Operators.  id: an alert's id, or its "RULE/SCOPE" as the wall and the
 * topic show it.  FALSE + error when no pending or firing alert matches. */
gboolean ioc_alert_engine_ack (IocAlertEngine *self, const gchar *id, const gchar *by,
                               const gchar *note, gint64 now_us, GError **error);
/* rule and scope are glob patterns (g_pattern_match_simple); (transfer full) id. */
gchar   *ioc_alert_engine_silence (IocAlertEngine *self, const gchar *rule, const gchar *scope,
                                   gint64 expires_us, const gchar *by, const gchar *comment,
                                   gint64 now_us);
gboolean ioc_alert_engine_unsilence (IocAlertEngine *self, const gchar *id, GError **error);

/* Baselines from elsewhere (InfluxDB on a cold start).  history_weeks: 0
 * when the engine's own history is enough; else how many weeks back the
 * spike rules look (the caller imports that much).  import_day: a unit's
 * newly overdue count of the local day containing day_us (unit NULL: the
 * day was seen, with nothing overdue for units not imported); import_hour:
 * the province's count of that clock hour.  A day the engine saw itself,
 * and today, are never replaced: FALSE.  Imported days are marked, and a
 * baseline says where it came from ("own history", "influxdb", both, or
 * the fallback) in the alert's detail and in alerts_json "baselines". */
gint64   ioc_alert_engine_history_weeks (IocAlertEngine *self, gint64 now_us);
gboolean ioc_alert_engine_import_day (IocAlertEngine *self, const gchar *unit, gint64 day_us,
                                      gint64 overdue_entered, gint64 now_us);
gboolean ioc_alert_engine_import_hour (IocAlertEngine *self, gint64 hour_us, gint64 overdue_entered,
                                       gint64 now_us);

/* The name of a unit code for people ("Xã Nghi Lộc"), or NULL when the
 * registry does not know it; borrowed until the next call. */
typedef const gchar *(*IocAlertUnitNameFunc) (const gchar *unit, gpointer user_data);
/* The views below then carry each alert's "unit_name" (else null). */
void ioc_alert_engine_set_unit_names (IocAlertEngine *self, IocAlertUnitNameFunc fn, gpointer user_data);

/* Views for the API and the rule tests: {"alerts", "stale_units", "baselines"}.
 * Each alert is the notified JSON (ioc_alert_alert_to_json) plus "unit",
 * the unit it is about (a dead source's unit, a zero-tolerance dossier's,
 * the scope of a unit rule; null for province-wide ones), and "unit_name". */
JsonNode *ioc_alert_engine_alerts_json (IocAlertEngine *self, gboolean with_resolved);
/* Only {"alerts"}: for the wall's live feed, which asks several times a
 * second (the stale-unit list walks every source for every unit). */
JsonNode *ioc_alert_engine_active_alerts_json (IocAlertEngine *self);
JsonNode *ioc_alert_engine_silences_json (IocAlertEngine *self, gint64 now_us);
JsonNode *ioc_alert_alert_to_json (const IocAlert *a);
/* Active (pending or firing) alerts as "rule/scope:state" strings, sorted. */
GPtrArray *ioc_alert_engine_active_keys (IocAlertEngine *self);
gboolean  ioc_alert_engine_unit_is_stale (IocAlertEngine *self, const gchar *unit);

/* Persistent state: alerts, acks, silences, flap history, baselines. */
gchar   *ioc_alert_engine_save (IocAlertEngine *self);
gboolean ioc_alert_engine_load (IocAlertEngine *self, const gchar *json, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocAlertEngine, ioc_alert_engine_free)

G_END_DECLS
