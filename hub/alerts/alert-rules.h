/* alert-rules.h — the alert rule file (docs/ALERTS.md) as a list of
 * plain IocAlertRule structs, validated in one go.  One [rule NAME] group per
 * rule; every error reads "FILE: [group] key: expected …".  Immutable after
 * load: any thread may read it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  IOC_ALERT_KIND_SPIKE_UNIT = 0,  /* overdue_spike_unit */
  IOC_ALERT_KIND_SPIKE_PROVINCE,  /* overdue_spike_province */
  IOC_ALERT_KIND_STOCK_RISING,    /* overdue_stock_rising */
  IOC_ALERT_KIND_ZERO_TOLERANCE,  /* zero_tolerance */
  IOC_ALERT_KIND_DEAD_SOURCE,     /* dead_source */
  IOC_ALERT_KIND_THRESHOLD,       /* threshold */
  IOC_ALERT_KIND_COUNT
} IocAlertKind;

typedef enum
{
  IOC_ALERT_SEVERITY_INFO = 0,
  IOC_ALERT_SEVERITY_WARNING,
  IOC_ALERT_SEVERITY_CRITICAL,
} IocAlertSeverity;

typedef struct
{
  gchar *name; /* [rule NAME]: [a-z0-9_-]+, part of the MQTT topic */
  IocAlertKind kind;
  IocAlertSeverity severity;
  gchar *summary;          /* free text for people; may be NULL */
  gchar *summary_en;       /* the same in English, for the wall in English; may be NULL */

  /* Lifecycle, every kind. */
  gint64 for_us;           /* condition must hold this long before firing */
  gint64 keep_firing_for_us; /* keeps firing this long after the condition clears */
  gint64 reminder_us;      /* 0: notify on state changes only */
  gint64 flap_changes;     /* 0: off; this many changes inside flap_window → flapping */
  gint64 flap_window_us;
  gboolean working_hours_only; /* evaluated (and so notified) in office hours only */

  /* Which units (globs such as ca-*); NULL = every unit, and for a
   * threshold also "all", the province. */
  gchar **units;

  /* overdue_spike_unit / overdue_spike_province (docs/ALERTS.md, Kinds). */
  gdouble mad_factor;       /* 3 */
  gint64 baseline_weeks;    /* 8 */
  gint64 min_history;       /* fewer same-weekday samples → fallback (4) */
  gint64 min_count;         /* the floor: 3 per unit, 10 province-hour */
  gdouble min_share;        /* N / due ≥ this (unit only), 0.10 */
  gint64 units_in_spike;    /* province: ≥ this many unit spikes the same day (5); 0 off */
  gchar *unit_rule;         /* province: the unit spike rule it groups */
  gint64 stale_after_us;    /* silence of the dossier source, in working time (2 h) */

  /* overdue_stock_rising */
  gint64 days;              /* 3 */

  /* dead_source */
  gchar **source_kinds;     /* NULL = every kind */
  gint64 cadence_us;        /* expected at least this often (3 min) */

  /* threshold */
  gchar *metric;            /* "ioc_device.cameras_recording" */
  gchar *denominator;       /* optional: value = metric / denominator */
  gboolean below;           /* op "<": fires below value */
  gdouble value;
  gdouble clear;            /* hysteresis: clears only past this; = value when absent */
  gint64 max_age_us;        /* a sample older than this is "no data" (5 min) */
} IocAlertRule;

typedef struct
{
  gchar *path;
  GPtrArray *rules; /* IocAlertRule*, in file order */

  /* [alerts]: where notifications go besides MQTT. */
  gchar *webhook_url;    /* NULL: no webhook */
  gchar *webhook_token;  /* optional bearer token */
  gint64 webhook_timeout_us;
  gint64 webhook_attempts;
  gint64 retry_min_us, retry_max_us;
} IocAlertRules;

const gchar *ioc_alert_kind_name (IocAlertKind kind);
const gchar *ioc_alert_severity_name (IocAlertSeverity s);

/* The keys the parser knows, NULL-terminated: the [alerts] group's, those
 * every [rule NAME] takes, and a kind's own (for iochub-alerts.conf(5)'s
 * test and messages that list what is known). */
const gchar *const *ioc_alert_rules_alerts_keys (void);
const gchar *const *ioc_alert_rules_common_keys (void);
const gchar *const *ioc_alert_rules_kind_keys (IocAlertKind kind);

IocAlertRules *ioc_alert_rules_load (const gchar *path, GError **error);
IocAlertRules *ioc_alert_rules_load_data (const gchar *path_for_errors, const gchar *data, gsize len,
                                          GError **error);
IocAlertRules *ioc_alert_rules_new_empty (void);
const IocAlertRule *ioc_alert_rules_find (const IocAlertRules *self, const gchar *name);
void ioc_alert_rules_free (IocAlertRules *self);

/* TRUE when rule applies to unit (a registry code or "all"). */
gboolean ioc_alert_rule_has_unit (const IocAlertRule *rule, const gchar *unit);

/* A duration an operator typed for a silence ("30m", "2h", "1d", "90s").
 * Unlike a config key, a bare number is refused: `--for 90` is far more
 * likely to mean 90 minutes than 90 seconds, so the error suggests "90m". */
gboolean ioc_alert_parse_silence_duration (const gchar *text, gint64 *out_us, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocAlertRules, ioc_alert_rules_free)

G_END_DECLS
