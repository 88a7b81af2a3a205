/* score-config.h — the 766 scorecard's groups, indicators, weights and
 * targets (ops/score-766.conf, `[hub] scorecard`), validated in one run.
 *
 * Every problem of the file is reported at once, one per line, as
 * "FILE:LINE: [group] key: expected …, got '…'", with "did you mean" for a
 * misspelt key, group or name.  Read-only after load.  Format and rules:
 * docs/SCORECARD.md.  Main context (config load and reload). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where an indicator's numerator and denominator come from. */
typedef enum
{
  IOC_SCORE_INPUT_NONE = 0,     /* not observed: always left out of the maximum */
  IOC_SCORE_INPUT_CONNECTOR,    /* a unit-level value a connector feeds (docs/SCORECARD.md) */
  IOC_SCORE_INPUT_ONTIME,       /* 2.1: dossiers handled on time / handled (dossier tracker) */
  IOC_SCORE_INPUT_ONLINE,       /* 3.3: received online / received */
  IOC_SCORE_INPUT_PAID_ONLINE,  /* 3.6: fee paid online / fee-bearing */
  IOC_SCORE_INPUT_E_RESULT,     /* 4.1: e-result / e-result reported */
  IOC_SCORE_INPUT_DIGITIZED,    /* 4.2: digitised / digitisation reported */
  IOC_SCORE_INPUT_SATISFACTION, /* 5.4: handled − overdue − dissatisfied ratings / handled */
  IOC_SCORE_INPUT_N
} IocScoreInput;

/* How a connector-fed indicator's monthly values make a quarter or a year. */
typedef enum
{
  IOC_SCORE_AGG_SUM = 0, /* sum numerators and denominators (flows: dossiers, complaints) */
  IOC_SCORE_AGG_LATEST   /* the latest month's value (stocks: procedures published) */
} IocScoreAggregate;

typedef struct
{
  gchar *id;      /* [group ID] */
  gchar *name;    /* Vietnamese */
  gchar *name_en;
  gdouble max;    /* sum of its indicators' maxima */
  guint line;
} IocScoreGroupDef;

typedef struct
{
  gchar *id;      /* [indicator ID], e.g. "2.1", "3.5b" */
  gchar *name;    /* Vietnamese, as the national portal names it */
  gchar *name_en;
  gchar *source;  /* where the weight and target come from */
  gchar *formula; /* may be NULL */
  guint group;    /* index into groups */
  gdouble max;    /* points at R ≥ target; 0: shown, not scored (monitor only) */
  gboolean has_target;
  gdouble target; /* %, (0, 100] */
  IocScoreInput input;
  IocScoreAggregate aggregate;
  guint line;
} IocScoreIndicatorDef;

typedef struct
{
  gchar *path;
  gchar *version; /* [A-Za-z0-9._-]{1,64}; bumped whenever a weight or target changes */
  gchar *title;
  gchar *source;
  gdouble total;       /* the indicators' maxima add up to this (100) */
  gint64 min_volume;   /* dossiers behind a unit's score before it is ranked */
  gchar **rank_prefixes; /* unit code prefixes ranked, each on its own ("xa", "cq") */
  IocScoreGroupDef *groups;
  guint n_groups;
  IocScoreIndicatorDef *indicators; /* in file order */
  guint n_indicators;
} IocScoreConfig;

IocScoreConfig *ioc_score_config_load (const gchar *path, GError **error);
IocScoreConfig *ioc_score_config_load_data (const gchar *path_for_errors, const gchar *data, gsize len,
                                            GError **error);
void            ioc_score_config_free (IocScoreConfig *self);

/* Index of the indicator with that id, or -1. */
gint         ioc_score_config_find (const IocScoreConfig *self, const gchar *id);
/* "none", "connector", "ontime", …; NULL when out of range. */
const gchar *ioc_score_input_name (IocScoreInput input);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocScoreConfig, ioc_score_config_free)

G_END_DECLS
