/* scorecard.h — the 766 score of a unit or of the province for a month, a
 * quarter or the year to date, and the ranking of units by it.
 *
 * Pure logic: inputs are numerators and denominators (from the dossier
 * tracker, the ratings, and values connectors feed), outputs are each
 * indicator's R, T and points, each group's points, the total and the
 * ranks.  Nothing here reads a clock or a file.  Rules and the choices
 * made where the national rules are silent: docs/SCORECARD.md.
 * Main context only (no locking). */
#pragma once

#include <glib.h>

#include "aggregate/dossier-tracker.h"
#include "score/score-config.h"

G_BEGIN_DECLS

/* ---- periods ---- */

typedef enum
{
  IOC_SCORE_MONTH = 0,
  IOC_SCORE_QUARTER, /* the quarter of `month`, from its first month to `month` */
  IOC_SCORE_YTD      /* January to `month` */
} IocScorePeriodKind;

typedef struct
{
  IocScorePeriodKind kind;
  gint year;
  gint month; /* 1..12: the period ends with this month */
} IocScorePeriod;

/* kind: "month", "quarter" or "ytd"; at: "YYYY-MM" (year 2000..2999).  The
 * error says which of the two is wrong and what is expected. */
gboolean ioc_score_period_parse (const gchar *kind, const gchar *at, IocScorePeriod *out, GError **error);
/* The first and last Vietnam-local day numbers (ioc_calendar_day_of) of p. */
void     ioc_score_period_days (const IocScorePeriod *p, gint32 *first_day, gint32 *last_day);
/* The same kind of period, one month earlier (for the change of rank). */
IocScorePeriod ioc_score_period_previous (const IocScorePeriod *p);
/* "2026-11", "2026-Q4" (to 2026-11) or "2026" (to 2026-11): the kind's own
 * label; (transfer full). */
gchar   *ioc_score_period_label (const IocScorePeriod *p);
/* Months since year 0, for keys: year * 12 + month − 1. */
gint     ioc_score_period_first_month (const IocScorePeriod *p);
gint     ioc_score_period_last_month (const IocScorePeriod *p);

/* ---- the scoring rule ---- */

/* DOMAIN §1A: with a target T, points = max when R ≥ T, else R × max / T;
 * without one, R × max / 100.  R is a percentage; the result is clamped to
 * [0, max] (a numerator above its denominator earns no more than max). */
gdouble ioc_score_points (gdouble rate, gdouble max, gboolean has_target, gdouble target);

/* One indicator's inputs for one unit and period. */
typedef struct
{
  gboolean observed; /* FALSE: nobody measured it for this unit and period */
  gint64 num, den;
} IocScoreValue;

typedef enum
{
  IOC_SCORE_SCORED = 0,   /* den > 0: R, points */
  IOC_SCORE_NA,           /* observed, den = 0: shown N/A, left out of the maximum */
  IOC_SCORE_NOT_OBSERVED  /* not measured: shown as such, left out of the maximum */
} IocScoreStatus;

const gchar *ioc_score_status_name (IocScoreStatus status); /* "scored", "na", "not_observed" */

typedef struct
{
  IocScoreStatus status;
  gint64 num, den; /* as given (0 when not observed) */
  gdouble rate;    /* R in % when SCORED, else 0 */
  gdouble points;  /* when SCORED, else 0 */
  gdouble max;     /* the indicator's max when SCORED, else 0 */
} IocScoreItem;

typedef struct
{
  gdouble points;   /* over the group's scored indicators */
  gdouble max;      /* the maxima of those indicators */
  gdouble full_max; /* the config's maximum for the group */
} IocScoreGroup;

typedef struct
{
  const IocScoreConfig *config; /* borrowed */
  IocScoreItem *items;          /* config->n_indicators, in config order */
  IocScoreGroup *groups;        /* config->n_groups */
  gdouble points;               /* Σ points of the scored indicators */
  gdouble max;                  /* Σ their maxima (≤ config->total) */
  gboolean has_score;           /* max > 0 */
  gdouble score;                /* points × total / max: on the config's scale */
  gint64 volume;                /* dossiers behind it (the 2.1 denominator) */
} IocScoreCard;

/* values: config->n_indicators entries in config order.  The config must
 * outlive the card. */
IocScoreCard *ioc_scorecard_compute (const IocScoreConfig *config, const IocScoreValue *values, gint64 volume);
void          ioc_scorecard_free (IocScoreCard *self);

/* ---- what the hub observes ---- */

/* The hub's own inputs for one unit and period. */
typedef struct
{
  IocDossierIndicators dossiers; /* from ioc_dossier_tracker_indicators_range */
  gint64 ratings, satisfied;     /* desk/kiosk ratings in the period */
} IocScoreHubInputs;

/* The numerator and denominator of a hub-observed input (docs/SCORECARD.md
 * "Mapping"); observed is FALSE for NONE and CONNECTOR, whose values come
 * from elsewhere. */
void   ioc_score_hub_value (IocScoreInput input, const IocScoreHubInputs *in, IocScoreValue *out);
/* The volume a unit is ranked on: dossiers handled in the period (the 2.1
 * denominator). */
gint64 ioc_score_hub_volume (const IocScoreHubInputs *in);

/* ---- values fed by connectors ---- */

/* Unit-level values of connector-fed indicators, per month: the newest
 * message (by event time) for a (unit, indicator, month) wins.  unit "all"
 * holds values for the province as a whole (scope "province"). */
typedef struct _IocScoreFeed IocScoreFeed;

IocScoreFeed *ioc_score_feed_new (void);
void          ioc_score_feed_free (IocScoreFeed *self);
/* month: "YYYY-MM".  FALSE (and nothing stored) with the reason for a bad
 * month, a negative count or num > den. */
gboolean      ioc_score_feed_put (IocScoreFeed *self, const gchar *unit, const gchar *indicator, const gchar *month,
                                  gint64 num, gint64 den, gint64 ts_us, GError **error);
/* The value for p.  SUM: Σ num and Σ den over the period's months that have
 * one; LATEST: the latest such month.  For unit "all", a month without a
 * province value takes the sum of the units' values of that month.  Not
 * observed when no month of the period has a value. */
void          ioc_score_feed_get (IocScoreFeed *self, const gchar *unit, const gchar *indicator,
                                  IocScoreAggregate aggregate, const IocScorePeriod *p, IocScoreValue *out);

/* Every value of every indicator for one unit and period: hub inputs for
 * hub-observed indicators, the feed (may be NULL) for connector ones. */
void ioc_score_values (const IocScoreConfig *config, const IocScoreHubInputs *hub, IocScoreFeed *feed,
                       const gchar *unit, const IocScorePeriod *p, IocScoreValue *values);

/* ---- ranking ---- */

typedef struct
{
  const gchar *unit; /* borrowed */
  gboolean has_score;
  gdouble score;
  gint64 volume;
} IocRankEntry;

typedef enum
{
  IOC_RANK_RANKED = 0,
  IOC_RANK_LOW_VOLUME, /* volume < min_volume */
  IOC_RANK_NO_SCORE    /* nothing scored (every indicator N/A or not observed) */
} IocRankState;

const gchar *ioc_rank_state_name (IocRankState state); /* "ranked", "low_volume", "no_score" */

typedef struct
{
  const gchar *unit; /* borrowed from the entries */
  IocRankState state;
  gint rank;      /* 1-based; 0 when not ranked */
  gint prev_rank; /* rank in the previous ranking; 0 when not ranked there */
  gboolean has_change;
  gint change;    /* prev_rank − rank: positive = moved up; valid when has_change */
  gdouble score;
  gint64 volume;
} IocRankRow;

/* Ranks the entries whose unit code starts with "<prefix>-": by score
 * rounded to 2 decimals (as shown), highest first; equal shown scores go to
 * the larger volume, then to the lower unit code.  Units below min_volume or
 * without a score are listed after the ranked ones, by code, with rank 0.
 * prev (may be NULL) is the previous period's entries, ranked by the same
 * rule for the change.  Returns IocRankRow. */
GArray *ioc_score_rank (const IocRankEntry *cur, guint n_cur, const IocRankEntry *prev, guint n_prev,
                        const gchar *prefix, gint64 min_volume);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocScoreCard, ioc_scorecard_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocScoreFeed, ioc_score_feed_free)

G_END_DECLS
