/* alert-engine-private.h — what the alert engine's pieces share, and
 * nothing outside hub/alerts/ includes.
 *
 * The engine is one object split by concern:
 *   alert-engine.c     the records and the engine, the inputs, one evaluation round
 *   alert-history.c    day and hour tables, baselines, the InfluxDB import
 *   alert-eval.c       the rule evaluators and the stale-data guard
 *   alert-lifecycle.c  instances: pending → firing → resolved, flaps, acks, silences
 *   alert-views.c      the JSON the API and the rule tests read
 *   alert-store.c      the state as JSON, and the file that holds it
 * Every function here takes the engine and runs on the main context, like
 * the public ones (alert-engine.h). */
#pragma once

#include <json-glib/json-glib.h>

#include "alerts/alert-engine.h"
#include "protocol/ioc-json.h"

G_BEGIN_DECLS

/* Resolved alerts kept for GET /api/v1/alerts?all=1 and for the flap
 * settling that may announce one again. */
#define IOC_ALERT_RECENT_MAX 500
/* A zero-tolerance unit with a mass failure raises one alert per dossier up
 * to this many a day; the spike rules speak for the rest. */
#define IOC_ALERT_ZERO_TOLERANCE_MAX 50
/* Baselines look back at most 52 weeks (baseline_weeks' range) plus a margin. */
#define IOC_ALERT_HISTORY_DAYS (53 * 7)

/* One alert: a (rule, scope) pending or firing, or resolved (then in
 * `recent`, finished: the next occurrence gets a new id). */
typedef struct
{
  gchar *key; /* "rule/scope" */
  gchar *rule;
  gchar *scope;
  gchar *id;
  IocAlertState state;
  gint64 started_us, fired_us, resolved_us, last_true_us, last_notified_us;
  gdouble value, threshold;
  gchar *detail;
  gchar *group;
  gchar *unit; /* a dead source's unit (its scope is kind/device), kept across restarts */
  gchar *acked_by;
  gchar *ack_note;
  gint64 acked_us;
  gboolean seen; /* mentioned by its rule's evaluator this round */
} IocAlertInst;

typedef struct
{
  GArray *changes; /* gint64 µs of notified state changes inside the window */
  gboolean flapping;
} IocAlertFlap;

typedef struct
{
  gchar *id, *rule, *scope, *by, *comment;
  gint64 created_us, expires_us;
} IocAlertSilence;

/* A unit's counts for the local day being counted (pushed each tick). */
typedef struct
{
  gint32 day;
  gint64 overdue, due, stock;
  gint64 hour;         /* day*24+hour that hour_base belongs to */
  gint64 hour_base;    /* overdue at the start of that hour */
  gint64 last_overdue; /* overdue at the previous evaluation */
} IocAlertUnitDay;

/* A connector as last pushed (IocAlertSource), with its seq gaps at the
 * start of the local day: gaps count per day. */
typedef struct
{
  gchar *kind, *device, *unit;
  gboolean is_declared, is_offline, serves_all;
  gint64 last_seen_us, missing, missing_day_start;
  gint32 day;
} IocAlertSourceState;

/* The newest value of a threshold rule's metric for one unit. */
typedef struct
{
  gint64 ts_us;
  gdouble value;
} IocAlertSample;

/* A dossier that went overdue today in a unit some zero-tolerance rule
 * lists (key "unit/dossier-id"). */
typedef struct
{
  gchar *unit, *dossier;
  gint64 overdue_us;
} IocAlertOverdue;

struct _IocAlertEngine
{
  const IocAlertRules *rules;
  const IocCalendar *cal;
  gint64 started_us;     /* when the hub first started (persisted) */
  gint64 run_started_us; /* when this run started: what came back since a restart */
  IocAlertFunc notify;
  gpointer user_data;
  IocAlertUnitNameFunc unit_name;
  gpointer unit_name_data;

  guint64 next_id;
  GHashTable *insts;    /* key → IocAlertInst* (pending and firing) */
  GQueue *recent;       /* IocAlertInst* resolved, newest last */
  GHashTable *flaps;    /* key → IocAlertFlap* */
  GPtrArray *silences;  /* IocAlertSilence* */
  guint64 next_silence;

  GHashTable *today;        /* unit → IocAlertUnitDay* */
  GHashTable *observed_days; /* day → 1: the engine saw that day (absent units count 0) */
  GHashTable *influx_days;  /* day → 1: of those, days whose counts came from InfluxDB */
  GHashTable *unit_daily;   /* unit → (day → count+1) */
  GHashTable *unit_stock;   /* unit → (day → stock+1) at the end of the day */
  GHashTable *hours;        /* day*24+hour → count+1 (province, newly overdue) */
  gint64 cur_hour;          /* day*24+hour being counted; 0: none */
  GHashTable *sources;      /* "kind/device" → IocAlertSourceState* */
  GHashTable *values;       /* "metric|unit" → IocAlertSample* */
  GHashTable *overdue;      /* "unit/dossier" → IocAlertOverdue*: today's, zero-tolerance units only */
  /* Unit spikes that fired this round, announced after the province rules
   * ran: if they complete a group they go out under it, not one by one. */
  GPtrArray *fired_units;   /* keys */
  gboolean dirty;
  gint64 last_eval_us;
};

typedef enum
{
  IOC_ALERT_COND_FALSE,
  IOC_ALERT_COND_TRUE,
  IOC_ALERT_COND_UNKNOWN, /* no data, stale, muted: the instance stays as it is */
} IocAlertCond;

/* ---- alert-engine.c ---- */

void          ioc_alert_inst_free (IocAlertInst *i);
IocAlertFlap *ioc_alert_flap_new (void);
void          ioc_alert_flap_free (IocAlertFlap *f);
void          ioc_alert_silence_free (IocAlertSilence *s);

/* The calendar's answers; without a calendar every day and hour is working time. */
gboolean ioc_alert_engine_is_working_day (IocAlertEngine *self, gint32 day);
gboolean ioc_alert_engine_is_working_time (IocAlertEngine *self, gint64 us);
gint64   ioc_alert_engine_working_us_between (IocAlertEngine *self, gint64 a, gint64 b);
/* Keeps (unit, dossier) among today's overdue dossiers of zero-tolerance
 * units, up to IOC_ALERT_ZERO_TOLERANCE_MAX a unit a day. */
void     ioc_alert_engine_add_overdue (IocAlertEngine *self, const gchar *unit, const gchar *dossier,
                                       gint64 overdue_us);

/* ---- alert-history.c ---- */

/* A day number → count table (GINT_TO_POINTER keys, count + 1 values). */
GHashTable  *ioc_alert_history_day_table (void);
/* day × 24 + local hour: the key of the province's hourly table. */
gint64       ioc_alert_history_hour_key (gint64 us);
/* outer: unit → day table.  Values are stored + 1 so that 0 is told from absent. */
void         ioc_alert_history_table_set (GHashTable *outer, const gchar *unit, gint32 day, gint64 v);
gboolean     ioc_alert_history_table_get (GHashTable *outer, const gchar *unit, gint32 day, gint64 *out);
/* Closes ud into the history when its day is before today, and restarts it. */
void         ioc_alert_history_close_day (IocAlertEngine *self, const gchar *unit, IocAlertUnitDay *ud,
                                          gint32 today);
/* Same-weekday samples of unit (NULL: count the days only) over `weeks`
 * weeks before day, into out (may be NULL); how many, and how many of
 * them were imported from InfluxDB. */
guint        ioc_alert_history_unit_samples (IocAlertEngine *self, const gchar *unit, gint32 day, gint64 weeks,
                                             gdouble *out, guint *n_influx);
/* The province's counts of the same weekday-hour as hour_key over `weeks`
 * weeks before it, into out (may be NULL); as unit_samples.  An hour the
 * hub did not run is no sample. */
guint        ioc_alert_history_hour_samples (IocAlertEngine *self, gint64 hour_key, gint64 weeks, gdouble *out,
                                             guint *n_influx);
/* "own history", "influxdb" or both, for a baseline of n samples. */
const gchar *ioc_alert_history_baseline_source (guint n, guint n_influx);
/* Once per evaluation: closes finished days and the hour that ended. */
void         ioc_alert_history_roll (IocAlertEngine *self, gint64 now_us);
/* On a new day: forgets what no rule's baseline reaches any more. */
void         ioc_alert_history_prune (IocAlertEngine *self, gint64 now_us);

/* ---- alert-lifecycle.c ---- */

/* Whether a silence active at now_us matches (rule, scope). */
gboolean ioc_alert_lifecycle_is_silenced (IocAlertEngine *self, const gchar *rule, const gchar *scope,
                                          gint64 now_us);
/* i as the public IocAlert; strings borrowed from i and the rule. */
void     ioc_alert_lifecycle_fill (IocAlertEngine *self, const IocAlertInst *i, IocAlert *a);
/* Tells the engine's callback about i in `state`, now (no flap check). */
void     ioc_alert_lifecycle_notify (IocAlertEngine *self, IocAlertInst *i, IocAlertState state, gint64 now_us,
                                     gboolean is_reminder, gboolean is_ack_update);
/* Announces i's new state unless flap detection holds it back. */
void     ioc_alert_lifecycle_transition (IocAlertEngine *self, const IocAlertRule *r, IocAlertInst *i,
                                         gint64 now_us);
/* Flapping keys quiet for a whole window announce their settled state. */
void     ioc_alert_lifecycle_settle_flaps (IocAlertEngine *self, gint64 now_us);
/* The pending or firing instance of (r, scope), or NULL. */
IocAlertInst *ioc_alert_lifecycle_lookup (IocAlertEngine *self, const IocAlertRule *r, const gchar *scope);
/* Finishes i (it moves to the recent list) and announces it. */
void     ioc_alert_lifecycle_resolve (IocAlertEngine *self, const IocAlertRule *r, IocAlertInst *i,
                                      gint64 now_us);
/* Moves (r, scope) by this round's condition: value, threshold and detail
 * describe a true condition (detail is copied). */
void     ioc_alert_lifecycle_step (IocAlertEngine *self, const IocAlertRule *r, const gchar *scope,
                                   IocAlertCond cond, gdouble value, gdouble threshold, const gchar *detail,
                                   gint64 now_us);
/* Whether ioc_alert_lifecycle_step_unmentioned() steps i. */
typedef gboolean (*IocAlertInstFilter) (IocAlertEngine *self, const IocAlertRule *r, const IocAlertInst *i,
                                        gint64 now_us);
/* Steps with cond every instance of r that its evaluator did not mention
 * this round and that keep accepts (keep NULL: every one). */
void     ioc_alert_lifecycle_step_unmentioned (IocAlertEngine *self, const IocAlertRule *r, IocAlertCond cond,
                                               IocAlertInstFilter keep, gint64 now_us);
/* Instances of r that its evaluator did not mention this round: false. */
void     ioc_alert_lifecycle_finish_rule (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us);
/* A round: begin marks every instance unmentioned; keep_rule leaves a
 * muted rule's instances as they are; end announces the unit spikes that
 * fired this round (under a group if one opened), resolves the alerts of
 * rules a reload removed, settles flaps and drops expired silences. */
void     ioc_alert_lifecycle_begin_round (IocAlertEngine *self);
void     ioc_alert_lifecycle_keep_rule (IocAlertEngine *self, const IocAlertRule *r);
void     ioc_alert_lifecycle_end_round (IocAlertEngine *self, gint64 now_us);

/* ---- alert-eval.c ---- */

/* Runs r's evaluator: every scope it knows goes through ioc_alert_lifecycle_step(). */
void         ioc_alert_eval_rule (IocAlertEngine *self, const IocAlertRule *r, gint64 now_us);
/* Why unit's dossier data cannot be trusted now (its portal source silent
 * for more than stale_after_us of working time, offline, or with seq gaps
 * today), or NULL. */
const gchar *ioc_alert_eval_stale_reason (IocAlertEngine *self, const gchar *unit, gint64 stale_after_us,
                                          gint64 now_us);

/* ---- alert-views.c ---- */

/* A silence's id, rule, scope, by and comment (its times differ: RFC 3339
 * for people, raw µs in the store). */
void ioc_alert_json_silence_texts (JsonBuilder *b, const IocAlertSilence *s);

G_END_DECLS
