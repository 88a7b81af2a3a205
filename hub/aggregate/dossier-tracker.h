/* dossier-tracker.h — follows every dossier through its life (SPEC §4
 * `dossier` events, §5) and produces the ioc_dossier facts and the dossier
 * indicators.  Rules: docs/DOSSIERS.md.  Main context only. */
#pragma once

#include <glib.h>

#include "model/calendar.h"
#include "model/procedures.h"
#include "model/record.h"

G_BEGIN_DECLS

typedef enum
{
  IOC_PERIOD_DAY,
  IOC_PERIOD_MONTH,
  IOC_PERIOD_YEAR
} IocPeriod;

typedef struct
{
  gint64 received[4]; /* [0] total, [1..3] by channel */
  gint64 completed_early, completed_ontime, completed_late, open, open_overdue, overdue_entered,
    due_soon;
  gint64 ontime_num, ontime_den, online_num, online_den, paid_online_num, paid_online_den,
    digitized_num, digitized_den, e_result_num, e_result_den;
} IocDossierIndicators;

/* What the tracker knows of one dossier (for the API and tests). */
typedef struct
{
  const gchar *unit;
  const gchar *procedure;
  gint state;        /* IocDossierState of the latest event */
  gint channel;
  gint64 received_us;
  gint64 due_us;     /* effective deadline: supplement pause applied */
  gint supplements;
  gboolean is_open;  /* received and not finished */
  gboolean is_paused; /* waiting in its first supplement request */
  gint64 overdue_us; /* when it entered overdue, 0 if it has not */
  gint64 end_us;     /* end of processing (rule 2.1), 0 while open */
  guint completion;  /* 0 none, else IOC_F_DOSSIER_COMPLETED_{EARLY,ONTIME,LATE} + 1 */
} IocDossierInfo;

typedef struct _IocDossierTracker IocDossierTracker;

/* cal is borrowed and must outlive the tracker (or the next set_calendar);
 * procs may be NULL: every procedure then takes the built-in default of 5
 * working days (docs/DOSSIERS.md). */
IocDossierTracker *ioc_dossier_tracker_new (const IocCalendar *cal, const IocProcedures *procs,
                                            IocFactFunc emit, gpointer user_data);
/* Config reload: recomputes every deadline; facts change only where a
 * deadline moved across "now" (retractions as in docs/DOSSIERS.md). */
void ioc_dossier_tracker_set_calendar (IocDossierTracker *self, const IocCalendar *cal,
                                       const IocProcedures *procs);
/* How long a finished dossier stays in memory after it finished (default 3
 * days), and how long its id is then remembered so that a late event for it
 * is ignored rather than counted as a new dossier (default 40 days). */
void ioc_dossier_tracker_set_retention (IocDossierTracker *self, gint64 finished_us,
                                        gint64 tombstone_us);
void ioc_dossier_tracker_free (IocDossierTracker *self);

/* rec: a decoded, validated portal `dossier` event; unit: interned, resolved.
 * Returns IOC_REJECT_TRANSITION, and changes nothing, for an event that
 * moves a completed dossier (state 10, result returned) back to an earlier
 * state with a later ts; the caller dead-letters it.  An event with an
 * earlier ts arriving late is history, and taken. */
IocReject ioc_dossier_tracker_record (IocDossierTracker *self, const IocRecord *rec, const gchar *unit,
                                      gint64 now_us);
/* Every second: deadlines that passed → overdue.entered, once per dossier.
 * Costs O(log n) per dossier whose state changes, not O(n). */
void ioc_dossier_tracker_sweep (IocDossierTracker *self, gint64 now_us);
/* At the end of a minute: IOC_FACT_GAUGE open and open_overdue per (unit,
 * channel) for series that are or were non-zero (0 is emitted once). */
void ioc_dossier_tracker_sample (IocDossierTracker *self, gint64 minute_start_us, IocFactFunc emit,
                                 gpointer user_data);
/* unit: a registry code or "all".  FALSE (out zeroed) for a unit never seen. */
gboolean ioc_dossier_tracker_indicators (IocDossierTracker *self, const gchar *unit, IocPeriod period,
                                         gint64 now_us, IocDossierIndicators *out);
/* The same over the Vietnam-local days [first_day, last_day] (numbers from
 * ioc_calendar_day_of; days pruned as too old count as empty), for months,
 * quarters and years other than the current one.  open, open_overdue and
 * due_soon, and the part of the 2.1 counts they make, are the stock now: the
 * tracker keeps no past stock. */
gboolean ioc_dossier_tracker_indicators_range (IocDossierTracker *self, const gchar *unit, gint32 first_day,
                                               gint32 last_day, IocDossierIndicators *out);
/* Units that have dossier counts (not "all"). */
void ioc_dossier_tracker_foreach_unit (IocDossierTracker *self,
                                       void (*fn) (const gchar *unit, gpointer), gpointer user_data);
/* Told when a dossier enters overdue (sign +1) and when that is retracted
 * (sign -1: a late event showed it finished in time), with its id, for
 * consumers that need the dossier itself (zero-tolerance alerts).  One
 * observer; NULL removes it.  Not called while a snapshot is loaded. */
typedef void (*IocDossierOverdueFunc) (const gchar *dossier, const gchar *unit, gint64 overdue_us, gint sign,
                                       gpointer user_data);
void ioc_dossier_tracker_set_overdue_func (IocDossierTracker *self, IocDossierOverdueFunc fn,
                                           gpointer user_data);
/* FALSE when the dossier is not in memory.  Strings are interned. */
gboolean ioc_dossier_tracker_lookup (IocDossierTracker *self, const gchar *dossier,
                                     IocDossierInfo *out);
guint ioc_dossier_tracker_n_tracked (IocDossierTracker *self);
/* Deadline, due-soon and drop timers waiting, stale ones included: they
 * stay within a small multiple of the dossiers held. */
gsize ioc_dossier_tracker_n_timers (IocDossierTracker *self);

void     ioc_dossier_tracker_save (IocDossierTracker *self, GByteArray *out);
/* Replaces the tracker's state; emits nothing. */
gboolean ioc_dossier_tracker_load (IocDossierTracker *self, const guint8 *data, gsize len,
                                   GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocDossierTracker, ioc_dossier_tracker_free)

G_END_DECLS
