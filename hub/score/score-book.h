/* score-book.h — IocScoreBook: what the 766 scorecard keeps between facts,
 * and the scorecard of every unit and of the province for a period.
 *
 *   rating facts (queue stats) ──► ratings per (unit, local day)
 *   `indicator` values          ──► the connector feed (scorecard.h)
 *   the local month closing     ──► each unit's open / open-overdue stock
 *   dossier facts, reloads      ──► the generation moves: cached results go
 *   compute (period)            ──► IocScoreResult: province, units, rankings
 *
 * The score is a pure function of the dossier tracker's day counters, the
 * ratings, the feed, the recorded stocks and the config; results are cached
 * per period and dropped whenever the generation moves, so a late event, a
 * correction or a reload moves the score exactly as it moves the
 * indicators it comes from.  Rules: docs/SCORECARD.md.
 * Main context only (no locking). */
#pragma once

#include <glib.h>

#include "aggregate/dossier-tracker.h"
#include "model/record.h"
#include "score/scorecard.h"

G_BEGIN_DECLS

typedef struct _IocScoreBook IocScoreBook;

IocScoreBook *ioc_score_book_new (void);
void          ioc_score_book_free (IocScoreBook *self);

/* The weights and targets (borrowed: valid until the next call; NULL: no
 * scorecard, nothing can be computed).  Drops every cached result. */
void                  ioc_score_book_set_config (IocScoreBook *self, const IocScoreConfig *config);
const IocScoreConfig *ioc_score_book_config (IocScoreBook *self);

/* Every fact the hub's stages emit: ratings are counted per unit and local
 * day of their event time (and for "all"); a dossier count (a completion,
 * an overdue entry, a correction) moves the generation.  Gauges are
 * ignored. */
void ioc_score_book_fact (IocScoreBook *self, const IocFact *fact);
/* Something the score reads changed without a fact (a dossier event, a
 * reload of the calendar or procedures): move the generation. */
void ioc_score_book_touch (IocScoreBook *self);
/* The generation: moves with every change that can change a score. */
guint64 ioc_score_book_generation (IocScoreBook *self);

/* A value of a connector-fed indicator (the `indicator` event,
 * docs/SCORECARD.md): unit is a registry code or "all" (scope province).
 * FALSE with the dead letter's reason in *reason (static:
 * "unknown_indicator" when the loaded config does not list indicator with
 * input = connector, "out_of_range" for a bad month or counts) and a
 * message in error. */
gboolean ioc_score_book_put_value (IocScoreBook *self, const gchar *unit, const gchar *indicator,
                                   const gchar *month, gint64 num, gint64 den, gint64 ts_us,
                                   const gchar **reason, GError **error);

/* Every tick: when the local month of now_us differs from the previous
 * tick's, each unit's open and open-overdue stock (and "all") is recorded
 * as the closing stock of the month that ended.  After a restart across a
 * month's end, the first tick records it then (the best the hub knows). */
void ioc_score_book_tick (IocScoreBook *self, IocDossierTracker *tracker, gint64 now_us);
/* The closing stock recorded for a unit and month ("YYYY-MM" as year, month);
 * FALSE when none was. */
gboolean ioc_score_book_closing_stock (IocScoreBook *self, const gchar *unit, gint year, gint month,
                                       gint64 *open, gint64 *open_overdue);

/* ---- results ---- */

/* Where the stock of open dossiers behind 2.1 and 5.4 comes from. */
typedef enum
{
  IOC_SCORE_STOCK_NOW = 0,   /* the period ends this month: the stock now */
  IOC_SCORE_STOCK_MONTH_END, /* recorded when the period's last month closed */
  IOC_SCORE_STOCK_NONE       /* a past period with no record (the hub was not
                              * running then): finished dossiers only */
} IocScoreStock;

const gchar *ioc_score_stock_name (IocScoreStock stock); /* "now", "month_end", "none" */

typedef struct
{
  const gchar *unit;     /* interned; "all" for the province */
  IocScoreCard *card;
  gint64 ratings, satisfied; /* behind 5.4 */
} IocScoreUnitCard;

typedef struct
{
  const gchar *prefix;   /* "xa", "cq" (borrowed from the config) */
  GArray *rows;          /* IocRankRow (scorecard.h); unit strings interned */
} IocScoreRanking;

typedef struct
{
  gint month;            /* months since year 0 (ioc_score_period_last_month) */
  gboolean has_score;
  gdouble score, points, max;
} IocScoreTrendPoint;

typedef struct
{
  gint refs;
  const IocScoreConfig *config; /* borrowed: valid until the book's next set_config */
  IocScorePeriod period;
  IocScoreStock stock;
  guint64 generation;           /* the book's, when this was computed */
  IocScoreUnitCard province;
  GArray *units;                /* IocScoreUnitCard, by unit code */
  GArray *rankings;             /* IocScoreRanking, one per config->rank_prefixes */
  GArray *trend;                /* IocScoreTrendPoint: the province, the same kind of
                                 * period ending with each month of the year to period */
} IocScoreResult;

/* The scorecard for p: the province, every unit with dossiers, ratings or
 * fed values and every code of extra_units (NULL-terminated, may be NULL:
 * the registry's current units, so a commune with nothing is listed), and
 * the rankings with the change against the previous period.  NULL with an
 * error when no config is set, or p ends after the month of now_us.
 * (transfer full): unref it; cached until the generation moves. */
IocScoreResult *ioc_score_book_compute (IocScoreBook *self, IocDossierTracker *tracker, const IocScorePeriod *p,
                                        gint64 now_us, const gchar *const *extra_units, GError **error);
IocScoreResult *ioc_score_result_ref (IocScoreResult *r);
void            ioc_score_result_unref (IocScoreResult *r);
/* The card of unit in r, or NULL. */
const IocScoreUnitCard *ioc_score_result_unit (const IocScoreResult *r, const gchar *unit);

/* ---- snapshot ---- */

void     ioc_score_book_save (IocScoreBook *self, GByteArray *out);
/* Replaces the book's ratings, stocks and values (the config stays). */
gboolean ioc_score_book_load (IocScoreBook *self, const guint8 *data, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocScoreBook, ioc_score_book_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocScoreResult, ioc_score_result_unref)

G_END_DECLS
