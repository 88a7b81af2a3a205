/* dossier-private.h — what the dossier tracker's pieces share, and nothing
 * outside hub/aggregate/ includes.
 *
 * The tracker is one object split by concern, so that the rules can be read
 * apart from the bookkeeping around them:
 *   dossier-tracker.c   the object and its dossiers: record(), sweep(), the
 *                       deadline heaps, and refresh(), which ties the rest together
 *   dossier-rules.c     a dossier's state history and the rules of indicator
 *                       2.1 over it (pure: the dossier, the calendar and now)
 *   dossier-counts.c    what was emitted and counted for a dossier: the facts,
 *                       the per-unit per-day buckets and the open stock
 *   dossier-views.c     what callers read: day / month / year indicators,
 *                       the per-minute gauges, one dossier, the units
 *   dossier-snapshot.c  the state as a snapshot section, and back
 * Every function here takes the tracker and runs on the main context, like
 * the public ones (dossier-tracker.h).  Rules: docs/DOSSIERS.md. */
#pragma once

#include <string.h>

#include "aggregate/dossier-tracker.h"

#include "protocol/ioc-stats.h"

G_BEGIN_DECLS

#define DAY_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)
/* The most states one dossier's history keeps (see ioc_dossier_rules_hist_insert). */
#define MAX_HIST 48

/* Emitted.cls: how a finished dossier completed (indicator 2.1). */
enum
{
  CLS_NONE = 0,
  CLS_EARLY,
  CLS_ONTIME,
  CLS_LATE
};
/* Emitted.rates: the rate numerators and denominators it counts in. */
enum
{
  RATE_PAID_N = 1,
  RATE_PAID_D = 2,
  RATE_DIG_N = 4,
  RATE_DIG_D = 8,
  RATE_ER_N = 16,
  RATE_ER_D = 32
};
/* Emitted.stock: what it adds to its unit's stock now. */
enum
{
  STOCK_OPEN = 1,
  STOCK_OVERDUE = 2,
  STOCK_SOON = 4
};
/* Per-unit per-local-day counters. */
enum
{
  B_RECV0 = 0, /* B_RECV0 + channel */
  B_EARLY = 4,
  B_ONTIME,
  B_LATE,
  B_OVER,
  B_PAID_N,
  B_PAID_D,
  B_DIG_N,
  B_DIG_D,
  B_ER_N,
  B_ER_D,
  B_N
};

/* What has been emitted (facts) and counted (buckets, stock) for a dossier. */
typedef struct
{
  const gchar *unit; /* NULL: nothing */
  gint64 recv_ts;    /* received fact at received_at; 0: none */
  gint64 done_ts;    /* completion fact; valid when cls != CLS_NONE */
  gint64 over_ts;    /* overdue.entered; 0: none */
  guint8 ch;
  guint8 cls;
  guint8 rates;
  guint8 stock;
} Emitted;

/* One dossier in memory: the fields its events brought, its history, its
 * timers and what it has counted. */
typedef struct
{
  gchar *id; /* NULL: free slot */
  const gchar *unit;
  const gchar *procedure;
  gint64 *hist; /* (ts_us << 4) | state, ascending */
  gint64 received_us;
  gint64 due_src_us;
  gint64 due_field_ts_us;  /* time of the event due_src_us came from */
  gint64 fields_ts_us;     /* time of the newest event */
  gint64 sup2_field_ts_us; /* earliest event whose `supplements` was >= 2 */
  gint64 armed_due_us;     /* deadline heap entry pushed for this instant */
  gint64 drop_at_us;       /* finished: leaves memory then */
  guint32 gen;             /* heap entries with another gen are stale */
  guint8 n_hist, cap_hist;
  guint8 channel;
  guint8 n_sup_field;
  gint8 fee, paid_online, digitized, e_result;
  Emitted em;
} Dossier;

/* A min-heap of timers keyed by instant; an entry whose gen is no longer
 * its dossier's is stale and skipped. */
typedef struct
{
  gint64 key;
  guint32 idx;
  guint32 gen;
} HeapEntry;

typedef struct
{
  HeapEntry *v;
  gsize n, cap;
} Heap;

/* The counters of one unit, or of "all". */
typedef struct
{
  const gchar *unit;
  GHashTable *days; /* GINT_TO_POINTER (day) → gint64[B_N] */
  /* The day last counted into: an event touches the same day 4-5 times. */
  gint32 cached_day;
  gint64 *cached_counts; /* NULL: none */
  gint64 open[4], overdue[4], soon; /* [0] total, [1..3] channel */
  guint8 sampled; /* bit ch: the last gauge written for ch was non-zero */
} UnitState;

/* What the rules say of a dossier now (ioc_dossier_rules_derive). */
typedef struct
{
  gboolean received, finished, paused;
  gint state;
  gint n_sup;
  gint64 end_us, due_us, over_us;
  guint8 cls;
  gboolean soon;
} Derived;

struct _IocDossierTracker
{
  const IocCalendar *cal;
  const IocProcedures *procs;
  IocFactFunc emit;
  gpointer user_data;
  IocDossierOverdueFunc overdue_fn;
  UnitState *last_unit; /* ioc_dossier_counts_unit's one-entry cache; NULL when the units were dropped */
  gpointer overdue_data;
  gint64 finished_keep_us;
  gint64 tombstone_keep_us;

  GArray *slots;       /* Dossier */
  GArray *free_slots;  /* guint32 */
  GHashTable *ids;     /* id (owned by the slot) → GUINT_TO_POINTER (idx + 1) */
  GHashTable *tombs;   /* GSIZE_TO_POINTER (hash of id) → GINT_TO_POINTER (day dropped) */
  GHashTable *units;   /* unit → UnitState* */
  UnitState *all;
  Heap deadlines, soon, drops;

  gint64 now_us;
  gint64 hz_now_us, hz_us; /* cached now + 1 working day */
  gint32 last_day;
  gint32 min_day; /* buckets before this day are pruned */

  IocStat *st_open, *st_tracked, *st_events, *st_stale, *st_dup;
};

static inline Dossier *
ioc_dossier_slot (IocDossierTracker *self, guint32 idx)
{
  return &g_array_index (self->slots, Dossier, idx);
}

/* A history entry is (ts_us << 4) | state. */
static inline gint64
ioc_dossier_hist_ts (gint64 packed)
{
  return packed >> 4;
}

static inline gint
ioc_dossier_hist_state (gint64 packed)
{
  return (gint) (packed & 15);
}

/* ---- dossier-tracker.c ---- */

void    ioc_dossier_heap_push (Heap *h, gint64 key, guint32 idx, guint32 gen);
/* Pushes d's deadline (armed_due_us; into the due-soon heap too unless it
 * is due soon already) and drop (drop_at_us) timers, where they are set. */
void    ioc_dossier_tracker_arm (IocDossierTracker *self, guint32 idx, gboolean soon);
/* A new slot for id, registered in ids; its fields unset. */
guint32 ioc_dossier_tracker_slot_new (IocDossierTracker *self, const gchar *id);
/* Forgets every dossier, count and timer (a load starts from here). */
void    ioc_dossier_tracker_clear (IocDossierTracker *self);
void    ioc_dossier_tracker_update_gauges (IocDossierTracker *self);

/* ---- dossier-rules.c ---- */

/* Inserts (ts, state) in order; FALSE when it is already there. */
gboolean ioc_dossier_rules_hist_insert (Dossier *d, gint64 packed);
/* now + 1 working day, cached for one now. */
gint64   ioc_dossier_rules_horizon (IocDossierTracker *self, gint64 now_us);
/* The rules of indicator 2.1 applied to d's history at now_us. */
void     ioc_dossier_rules_derive (IocDossierTracker *self, const Dossier *d, gint64 now_us, Derived *out);

/* ---- dossier-counts.c ---- */

UnitState *ioc_dossier_counts_unit_lookup (IocDossierTracker *self, const gchar *unit);
void       ioc_dossier_counts_unit_free (gpointer p);
gint64    *ioc_dossier_counts_day_lookup (UnitState *u, gint32 day, gboolean create);

/* The counters of unit (a registry code or "all"), made when missing.
 * Inline, as the one-entry caches below were before the tracker was split
 * into files: every dossier event takes several buckets of one unit and
 * day, and a call per bucket showed in bench-decode's instructions. */
static inline UnitState *
ioc_dossier_counts_unit (IocDossierTracker *self, const gchar *unit)
{
  if (self->last_unit != NULL && strcmp (unit, self->last_unit->unit) == 0)
    return self->last_unit;
  return ioc_dossier_counts_unit_lookup (self, unit);
}

/* The unit's buckets of a local day; NULL when missing and !create. */
static inline gint64 *
ioc_dossier_counts_day (UnitState *u, gint32 day, gboolean create)
{
  if (u->cached_counts != NULL && u->cached_day == day)
    return u->cached_counts;
  return ioc_dossier_counts_day_lookup (u, day, create);
}
/* Adds (sign +1) or takes back (-1) e's open / overdue / due-soon stock. */
void       ioc_dossier_counts_stock (IocDossierTracker *self, const Emitted *e, gint sign);
/* Emits and counts the difference between what was emitted (old) and what
 * should be (want); old becomes want. */
void       ioc_dossier_counts_update (IocDossierTracker *self, Emitted *old, const Emitted *want);

G_END_DECLS
