/* dossier-tracker.c — one record per dossier, its deadline, and the
 * ioc_dossier facts and dossier indicators derived from it.
 *
 *   ingest (decoded, deduplicated, validated, unit resolved) ─► record()
 *   hub timer, every second ─► sweep(): deadlines that passed, due-soon, drops
 *   rollup, end of a minute ─► sample(): open / open_overdue gauges
 *
 * Each dossier keeps its state history (event time + state, sorted), so that
 * out-of-order and duplicate events give the same result as ordered ones.
 * After every change the dossier's counts are derived again from scratch by
 * the rules of indicator 2.1 (docs/DOSSIERS.md; see derive()), and
 * compared with what was already emitted for it: a difference is emitted as
 * a correction (negative delta at the original ts, then the new fact).
 * Deadlines wait in min-heaps keyed by instant, so a sweep touches only the
 * dossiers whose deadline passed.  Per-unit, per-local-day counters hold the
 * day / month / year indicators, so finished dossiers can leave memory.
 * Main context only; the owner serialises calls.  Rules: docs/DOSSIERS.md. */
#include "aggregate/dossier-tracker.h"

#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "state/snapcodec.h"
#include "protocol/ioc-hash.h"

#define DAY_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)
#define MAX_HIST 48
#define SNAP_MAGIC 0x31544449u /* "IDT1" */
#define SNAP_VERSION 1u

/* The tracker. */

enum
{
  CLS_NONE = 0,
  CLS_EARLY,
  CLS_ONTIME,
  CLS_LATE
};
enum
{
  RATE_PAID_N = 1,
  RATE_PAID_D = 2,
  RATE_DIG_N = 4,
  RATE_DIG_D = 8,
  RATE_ER_N = 16,
  RATE_ER_D = 32
};
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

typedef struct
{
  gchar *id; /* NULL: free slot */
  const gchar *unit;
  const gchar *procedure;
  gint64 *hist; /* (ts_us << 4) | state, ascending */
  gint64 received_us;
  gint64 due_src_us;
  gint64 fields_ts_us;
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
  UnitState *last_unit; /* unit_get's one-entry cache; NULL when the units were dropped */
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

/* Heaps. */

static void
heap_push (Heap *h, gint64 key, guint32 idx, guint32 gen)
{
  if (h->n == h->cap)
    {
      h->cap = h->cap ? h->cap * 2 : 1024;
      h->v = g_renew (HeapEntry, h->v, h->cap);
    }
  gsize i = h->n++;
  while (i > 0)
    {
      gsize p = (i - 1) / 2;
      if (h->v[p].key <= key)
        break;
      h->v[i] = h->v[p];
      i = p;
    }
  h->v[i] = (HeapEntry){ key, idx, gen };
}

static HeapEntry
heap_pop (Heap *h)
{
  HeapEntry top = h->v[0];
  HeapEntry last = h->v[--h->n];
  gsize i = 0;
  for (;;)
    {
      gsize c = 2 * i + 1;
      if (c >= h->n)
        break;
      if (c + 1 < h->n && h->v[c + 1].key < h->v[c].key)
        c++;
      if (last.key <= h->v[c].key)
        break;
      h->v[i] = h->v[c];
      i = c;
    }
  if (h->n > 0)
    h->v[i] = last;
  return top;
}

/* Helpers. */

static inline gint64
hist_ts (gint64 packed)
{
  return packed >> 4;
}

static inline gint
hist_state (gint64 packed)
{
  return (gint) (packed & 15);
}

/* DOMAIN §3 step 1: states that end processing. */
static inline gboolean
is_terminal (gint s)
{
  return s == IOC_DOSSIER_REFUSED || s == IOC_DOSSIER_WITHDRAWN || s == IOC_DOSSIER_STOPPED ||
         s == IOC_DOSSIER_PROCESSED || s == IOC_DOSSIER_RETURNED;
}

static guint64
id_hash (const gchar *s)
{
  guint64 h = G_GUINT64_CONSTANT (1469598103934665603);
  for (; *s; s++)
    h = (h ^ (guchar) *s) * G_GUINT64_CONSTANT (1099511628211);
  return h ? h : 1;
}

static inline Dossier *
slot (IocDossierTracker *self, guint32 idx)
{
  return &g_array_index (self->slots, Dossier, idx);
}

static void
unit_state_free (gpointer p)
{
  UnitState *u = p;
  g_hash_table_unref (u->days);
  g_free (u);
}

static UnitState *
unit_get (IocDossierTracker *self, const gchar *unit)
{
  /* Consecutive calls are mostly for one unit (one event's buckets). */
  if (self->last_unit != NULL && strcmp (unit, self->last_unit->unit) == 0)
    return self->last_unit;
  UnitState *u = g_hash_table_lookup (self->units, unit);
  if (u == NULL)
    {
      u = g_new0 (UnitState, 1);
      u->unit = ioc_intern (unit);
      u->days = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
      g_hash_table_insert (self->units, (gpointer) u->unit, u);
    }
  self->last_unit = u;
  return u;
}

static gint64 *
unit_day (UnitState *u, gint32 day, gboolean create)
{
  if (u->cached_counts != NULL && u->cached_day == day)
    return u->cached_counts;
  gint64 *c = g_hash_table_lookup (u->days, GINT_TO_POINTER (day));
  if (c == NULL && create)
    {
      c = g_new0 (gint64, B_N);
      g_hash_table_insert (u->days, GINT_TO_POINTER (day), c);
    }
  if (c != NULL)
    {
      u->cached_day = day;
      u->cached_counts = c;
    }
  return c;
}

static void
bucket_add (IocDossierTracker *self, const gchar *unit, gint64 ts, guint idx, gint64 delta)
{
  gint32 day = ioc_calendar_day_of (ts);
  if (day < self->min_day)
    return; /* before last year: pruned, nobody asks for it */
  unit_day (unit_get (self, unit), day, TRUE)[idx] += delta;
  unit_day (self->all, day, TRUE)[idx] += delta;
}

static void
emit_count (IocDossierTracker *self, guint field, const Emitted *e, gint64 ts, gint64 delta)
{
  if (self->emit == NULL)
    return;
  IocFact f = { 0 };
  f.measurement = IOC_MEAS_DOSSIER;
  f.kind = IOC_FACT_COUNT;
  f.field = field;
  f.unit = e->unit;
  f.channel = e->ch;
  f.ts_us = ts;
  f.delta = delta;
  self->emit (&f, self->user_data);
}

static void
apply_recv (IocDossierTracker *self, const Emitted *e, gint sign)
{
  if (e->unit == NULL || e->recv_ts == 0)
    return;
  emit_count (self, IOC_F_DOSSIER_RECEIVED, e, e->recv_ts, sign);
  bucket_add (self, e->unit, e->recv_ts, B_RECV0, sign);
  bucket_add (self, e->unit, e->recv_ts, B_RECV0 + e->ch, sign);
}

static void
apply_rates (IocDossierTracker *self, const Emitted *e, gint sign)
{
  static const struct
  {
    guint8 bit;
    guint idx;
  } map[] = {
    { RATE_PAID_N, B_PAID_N }, { RATE_PAID_D, B_PAID_D }, { RATE_DIG_N, B_DIG_N },
    { RATE_DIG_D, B_DIG_D },   { RATE_ER_N, B_ER_N },     { RATE_ER_D, B_ER_D },
  };
  if (e->unit == NULL || e->recv_ts == 0)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (e->rates & map[i].bit)
      bucket_add (self, e->unit, e->recv_ts, map[i].idx, sign);
}

static void
apply_done (IocDossierTracker *self, const Emitted *e, gint sign)
{
  if (e->unit == NULL || e->cls == CLS_NONE)
    return;
  guint field = IOC_F_DOSSIER_COMPLETED_EARLY + (e->cls - CLS_EARLY);
  emit_count (self, field, e, e->done_ts, sign);
  bucket_add (self, e->unit, e->done_ts, B_EARLY + (e->cls - CLS_EARLY), sign);
}

static void
apply_over (IocDossierTracker *self, const Emitted *e, gint sign)
{
  if (e->unit == NULL || e->over_ts == 0)
    return;
  emit_count (self, IOC_F_DOSSIER_OVERDUE_ENTERED, e, e->over_ts, sign);
  bucket_add (self, e->unit, e->over_ts, B_OVER, sign);
}

static void
apply_stock (IocDossierTracker *self, const Emitted *e, gint sign)
{
  if (e->unit == NULL || e->stock == 0)
    return;
  UnitState *us[2] = { unit_get (self, e->unit), self->all };
  for (guint i = 0; i < 2; i++)
    {
      if (e->stock & STOCK_OPEN)
        {
          us[i]->open[0] += sign;
          us[i]->open[e->ch] += sign;
        }
      if (e->stock & STOCK_OVERDUE)
        {
          us[i]->overdue[0] += sign;
          us[i]->overdue[e->ch] += sign;
        }
      if (e->stock & STOCK_SOON)
        us[i]->soon += sign;
    }
}

/* Emits the difference between what was emitted and what should be. */
static void
emitted_update (IocDossierTracker *self, Emitted *old, const Emitted *want)
{
  gboolean same = old->unit == want->unit && old->ch == want->ch;
  if (!same || old->recv_ts != want->recv_ts)
    {
      apply_recv (self, old, -1);
      apply_recv (self, want, +1);
    }
  if (!same || old->recv_ts != want->recv_ts || old->rates != want->rates)
    {
      apply_rates (self, old, -1);
      apply_rates (self, want, +1);
    }
  if (!same || old->cls != want->cls || (want->cls != CLS_NONE && old->done_ts != want->done_ts))
    {
      apply_done (self, old, -1);
      apply_done (self, want, +1);
    }
  if (!same || old->over_ts != want->over_ts)
    {
      apply_over (self, old, -1);
      apply_over (self, want, +1);
    }
  if (!same || old->stock != want->stock)
    {
      apply_stock (self, old, -1);
      apply_stock (self, want, +1);
    }
  *old = *want;
}

static gint64
horizon (IocDossierTracker *self, gint64 now_us)
{
  if (now_us != self->hz_now_us || self->hz_us == 0)
    {
      self->hz_now_us = now_us;
      self->hz_us = ioc_calendar_add_working_days (self->cal, now_us, 1);
    }
  return self->hz_us;
}

/* The deadline before any supplement pause: due_at from the source, else
 * received_at + the procedure's statutory time (docs/DOSSIERS.md). */
static gint64
due_base (IocDossierTracker *self, const Dossier *d)
{
  if (d->due_src_us > 0)
    return d->due_src_us;
  if (d->received_us <= 0)
    return 0;
  return ioc_procedures_deadline (self->procs, self->cal, d->procedure, d->received_us);
}

/* The rules of indicator 2.1 (docs/DOSSIERS.md), applied to the sorted history.
 * Pure: depends only on the dossier, the calendar and now.
 * Long on purpose: the rules read top to bottom as docs/DOSSIERS.md
 * states them; split, they would have to pass the half-derived state around. */
static void
derive (IocDossierTracker *self, const Dossier *d, gint64 now_us, Derived *out)
{
  memset (out, 0, sizeof *out);
  guint n = d->n_hist;
  if (n == 0)
    return;
  out->state = hist_state (d->hist[n - 1]);
  out->finished = is_terminal (out->state);
  /* Received: any state but registered (1) or refused at intake (3). */
  for (guint i = 0; i < n && !out->received; i++)
    {
      gint s = hist_state (d->hist[i]);
      out->received = s != IOC_DOSSIER_REGISTERED && s != IOC_DOSSIER_REFUSED;
    }
  /* Supplement requests: each entry into state 5.  r1 → x1 is the first one,
   * from the request to the next other state (the supplement arrived). */
  gint64 r1 = 0, r2 = 0, x1 = 0;
  guint x1_idx = 0, entries = 0;
  gint prev = 0;
  for (guint i = 0; i < n; i++)
    {
      gint s = hist_state (d->hist[i]);
      gint64 t = hist_ts (d->hist[i]);
      if (s == IOC_DOSSIER_SUPPLEMENT && prev != IOC_DOSSIER_SUPPLEMENT)
        {
          entries++;
          if (entries == 1)
            r1 = t;
          else if (entries == 2)
            r2 = t;
        }
      else if (s != IOC_DOSSIER_SUPPLEMENT && prev == IOC_DOSSIER_SUPPLEMENT && entries == 1 && x1 == 0)
        {
          x1 = t;
          x1_idx = i;
        }
      prev = s;
    }
  out->n_sup = MAX ((gint) entries, (gint) d->n_sup_field);
  gint64 sup2 = r2;
  if (d->sup2_field_ts_us != 0 && (sup2 == 0 || d->sup2_field_ts_us < sup2))
    sup2 = d->sup2_field_ts_us;

  /* End of processing: the first 9, else the first 10, else the first
   * 3/7/8 of the final run of ending states. */
  gboolean left_waiting = FALSE;
  if (out->finished)
    {
      guint k = n - 1;
      while (k > 0 && is_terminal (hist_state (d->hist[k - 1])))
        k--;
      gint64 t9 = 0, t10 = 0;
      for (guint i = k; i < n; i++)
        {
          gint s = hist_state (d->hist[i]);
          if (s == IOC_DOSSIER_PROCESSED && t9 == 0)
            t9 = hist_ts (d->hist[i]);
          if (s == IOC_DOSSIER_RETURNED && t10 == 0)
            t10 = hist_ts (d->hist[i]);
        }
      out->end_us = t9 ? t9 : t10 ? t10 : hist_ts (d->hist[k]);
      /* Left waiting for a supplement: the request is the end. */
      if (entries == 1 && x1 != 0 && x1_idx == k)
        {
          left_waiting = TRUE;
          out->end_us = r1;
        }
    }

  gint64 base = due_base (self, d);
  out->due_us = base;
  /* The first supplement request pauses the clock when it comes before the
   * deadline; the paused working time is added to the deadline. */
  if (out->n_sup < 2 && r1 != 0 && base != 0 && r1 <= base)
    {
      if (x1 != 0 && !left_waiting)
        out->due_us = ioc_calendar_add_working_us (self->cal, base,
                                                   ioc_calendar_working_us_between (self->cal, r1, x1));
      else if (x1 == 0 && !out->finished)
        out->paused = TRUE;
    }

  if (!out->received)
    return;
  /* Overdue: a second supplement request, or the deadline passing. */
  if (out->n_sup >= 2)
    out->over_us = sup2;
  gint64 cross = 0;
  if (out->due_us != 0)
    {
      if (out->finished && out->end_us > out->due_us)
        cross = out->due_us;
      else if (!out->finished && !out->paused && now_us > out->due_us)
        cross = out->due_us;
    }
  if (cross != 0 && (out->over_us == 0 || cross < out->over_us))
    out->over_us = cross;

  if (out->finished)
    {
      if (out->n_sup >= 2 || (out->due_us != 0 && out->end_us > out->due_us))
        out->cls = CLS_LATE;
      else if (out->due_us != 0 && ioc_calendar_day_of (out->end_us) < ioc_calendar_day_of (out->due_us))
        out->cls = CLS_EARLY;
      else
        out->cls = CLS_ONTIME;
    }
  else
    out->soon = !out->paused && out->over_us == 0 && out->due_us != 0 &&
                out->due_us <= horizon (self, now_us);
}

/* Derives the dossier again, emits corrections, re-arms its timers. */
static void
refresh (IocDossierTracker *self, guint32 idx, gint64 now_us)
{
  Dossier *d = slot (self, idx);
  Derived dv;
  derive (self, d, now_us, &dv);

  Emitted want = { 0 };
  if (dv.received)
    {
      want.unit = d->unit;
      want.ch = d->channel;
      want.recv_ts = d->received_us > 0 ? d->received_us : hist_ts (d->hist[0]);
      if (d->fee == IOC_TRI_TRUE)
        want.rates |= RATE_PAID_D | (d->paid_online == IOC_TRI_TRUE ? RATE_PAID_N : 0);
      if (d->digitized != IOC_TRI_UNSET)
        want.rates |= RATE_DIG_D | (d->digitized == IOC_TRI_TRUE ? RATE_DIG_N : 0);
      if (d->e_result != IOC_TRI_UNSET)
        want.rates |= RATE_ER_D | (d->e_result == IOC_TRI_TRUE ? RATE_ER_N : 0);
      want.cls = dv.cls;
      want.done_ts = dv.cls != CLS_NONE ? dv.end_us : 0;
      want.over_ts = dv.over_us;
      if (!dv.finished)
        want.stock = STOCK_OPEN | (dv.over_us ? STOCK_OVERDUE : 0) | (dv.soon ? STOCK_SOON : 0);
    }
  if (self->overdue_fn != NULL && (d->em.over_ts != want.over_ts || d->em.unit != want.unit))
    {
      if (d->em.over_ts != 0 && d->em.unit != NULL)
        self->overdue_fn (d->id, d->em.unit, d->em.over_ts, -1, self->overdue_data);
      if (want.over_ts != 0 && want.unit != NULL)
        self->overdue_fn (d->id, want.unit, want.over_ts, +1, self->overdue_data);
    }
  emitted_update (self, &d->em, &want);

  gint64 want_due = (dv.received && !dv.finished && !dv.paused && dv.over_us == 0) ? dv.due_us : 0;
  gint64 want_drop = 0;
  if (dv.finished)
    want_drop = d->drop_at_us != 0 ? d->drop_at_us : now_us + self->finished_keep_us;
  if (want_due != d->armed_due_us || want_drop != d->drop_at_us)
    {
      d->gen++;
      d->armed_due_us = want_due;
      d->drop_at_us = want_drop;
      if (want_due != 0)
        {
          heap_push (&self->deadlines, want_due, idx, d->gen);
          if (!dv.soon)
            heap_push (&self->soon, want_due, idx, d->gen);
        }
      if (want_drop != 0)
        heap_push (&self->drops, want_drop, idx, d->gen);
    }
}

static void
update_gauges (IocDossierTracker *self)
{
  ioc_stat_set (self->st_open, self->all->open[0]);
  ioc_stat_set (self->st_tracked, g_hash_table_size (self->ids));
}

static void
set_min_day (IocDossierTracker *self, gint64 now_us)
{
  gint y;
  gint32 today = ioc_calendar_day_of (now_us);
  ioc_calendar_day_to_date (today, &y, NULL, NULL);
  self->last_day = today;
  self->min_day = ioc_calendar_date_to_day (y - 1, 1, 1);
}

void
ioc_dossier_tracker_set_overdue_func (IocDossierTracker *self, IocDossierOverdueFunc fn, gpointer user_data)
{
  self->overdue_fn = fn;
  self->overdue_data = user_data;
}

IocDossierTracker *
ioc_dossier_tracker_new (const IocCalendar *cal, const IocProcedures *procs, IocFactFunc emit,
                         gpointer user_data)
{
  g_return_val_if_fail (cal != NULL, NULL);
  IocDossierTracker *self = g_new0 (IocDossierTracker, 1);
  self->cal = cal;
  self->procs = procs;
  self->emit = emit;
  self->user_data = user_data;
  self->finished_keep_us = 3 * DAY_US;
  self->tombstone_keep_us = 40 * DAY_US;
  self->slots = g_array_new (FALSE, TRUE, sizeof (Dossier));
  self->free_slots = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->ids = g_hash_table_new (ioc_str_hash, g_str_equal);
  self->tombs = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->units = g_hash_table_new_full (ioc_str_hash, g_str_equal, NULL, unit_state_free);
  self->all = unit_get (self, "all");
  self->min_day = G_MININT32;
  self->last_day = G_MININT32;
  self->st_open = ioc_stat ("iochub_dossiers_open", NULL, IOC_STAT_GAUGE,
                            "Dossiers received and not finished");
  self->st_tracked = ioc_stat ("iochub_dossiers_tracked", NULL, IOC_STAT_GAUGE,
                               "Dossiers held in memory (open and recently finished)");
  self->st_events = ioc_stat ("iochub_dossier_events_total", NULL, IOC_STAT_COUNTER,
                              "Dossier events given to the tracker");
  self->st_stale = ioc_stat ("iochub_dossier_stale_events_total", NULL, IOC_STAT_COUNTER,
                             "Dossier events older than the state already known");
  self->st_dup = ioc_stat ("iochub_dossier_duplicate_events_total", NULL, IOC_STAT_COUNTER,
                           "Dossier events with a state and time already known");
  return self;
}

static void
tracker_clear (IocDossierTracker *self)
{
  for (guint i = 0; i < self->slots->len; i++)
    {
      Dossier *d = slot (self, i);
      g_free (d->id);
      g_free (d->hist);
    }
  g_array_set_size (self->slots, 0);
  g_array_set_size (self->free_slots, 0);
  g_hash_table_remove_all (self->ids);
  g_hash_table_remove_all (self->tombs);
  self->last_unit = NULL;
  g_hash_table_remove_all (self->units);
  self->all = unit_get (self, "all");
  self->deadlines.n = self->soon.n = self->drops.n = 0;
}

void
ioc_dossier_tracker_free (IocDossierTracker *self)
{
  if (self == NULL)
    return;
  tracker_clear (self);
  g_array_unref (self->slots);
  g_array_unref (self->free_slots);
  g_hash_table_unref (self->ids);
  g_hash_table_unref (self->tombs);
  g_hash_table_unref (self->units);
  g_free (self->deadlines.v);
  g_free (self->soon.v);
  g_free (self->drops.v);
  g_free (self);
}

void
ioc_dossier_tracker_set_retention (IocDossierTracker *self, gint64 finished_us, gint64 tombstone_us)
{
  g_return_if_fail (self != NULL && finished_us > 0 && tombstone_us >= 0);
  self->finished_keep_us = finished_us;
  self->tombstone_keep_us = tombstone_us;
}

void
ioc_dossier_tracker_set_calendar (IocDossierTracker *self, const IocCalendar *cal,
                                  const IocProcedures *procs)
{
  g_return_if_fail (self != NULL && cal != NULL);
  self->cal = cal;
  self->procs = procs;
  self->hz_us = 0;
  for (guint32 i = 0; i < self->slots->len; i++)
    if (slot (self, i)->id != NULL)
      refresh (self, i, self->now_us);
  update_gauges (self);
}

static guint32
slot_new (IocDossierTracker *self, const gchar *id)
{
  guint32 idx;
  if (self->free_slots->len > 0)
    {
      idx = g_array_index (self->free_slots, guint32, self->free_slots->len - 1);
      g_array_set_size (self->free_slots, self->free_slots->len - 1);
    }
  else
    {
      idx = self->slots->len;
      g_array_set_size (self->slots, idx + 1);
    }
  Dossier *d = slot (self, idx);
  guint32 gen = d->gen;
  memset (d, 0, sizeof *d);
  d->gen = gen + 1;
  d->id = g_strdup (id);
  d->fee = d->paid_online = d->digitized = d->e_result = IOC_TRI_UNSET;
  g_hash_table_insert (self->ids, d->id, GUINT_TO_POINTER (idx + 1));
  return idx;
}

static void
slot_drop (IocDossierTracker *self, guint32 idx)
{
  Dossier *d = slot (self, idx);
  /* A finished dossier has no stock left; its facts stay counted. */
  if (d->em.stock != 0)
    {
      Emitted keep = d->em;
      keep.stock = 0;
      apply_stock (self, &d->em, -1);
      d->em = keep;
    }
  g_hash_table_remove (self->ids, d->id);
  if (self->tombstone_keep_us > 0)
    g_hash_table_replace (self->tombs, GSIZE_TO_POINTER (id_hash (d->id)),
                          GINT_TO_POINTER (ioc_calendar_day_of (self->now_us)));
  g_free (d->id);
  g_free (d->hist);
  guint32 gen = d->gen;
  memset (d, 0, sizeof *d);
  d->gen = gen + 1;
  g_array_append_val (self->free_slots, idx);
}

/* Inserts (ts, state) in order; FALSE when it is already there. */
static gboolean
hist_insert (Dossier *d, gint64 packed)
{
  guint lo = 0, hi = d->n_hist;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (d->hist[mid] < packed)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo < d->n_hist && d->hist[lo] == packed)
    return FALSE;
  if (d->n_hist == MAX_HIST)
    {
      /* A pathological dossier: forget its second-oldest state. */
      if (lo <= 1)
        return FALSE;
      memmove (&d->hist[1], &d->hist[2], (gsize) (lo - 2) * sizeof (gint64));
      d->hist[lo - 1] = packed;
      return TRUE;
    }
  if (d->n_hist == d->cap_hist)
    {
      d->cap_hist = d->cap_hist ? MIN (MAX_HIST, d->cap_hist * 2) : 4;
      d->hist = g_renew (gint64, d->hist, d->cap_hist);
    }
  memmove (&d->hist[lo + 1], &d->hist[lo], (gsize) (d->n_hist - lo) * sizeof (gint64));
  d->hist[lo] = packed;
  d->n_hist++;
  return TRUE;
}

static void
merge_tri (gint8 *dst, IocTri v, gboolean newer)
{
  if (v != IOC_TRI_UNSET && (newer || *dst == IOC_TRI_UNSET))
    *dst = (gint8) v;
}

IocReject
ioc_dossier_tracker_record (IocDossierTracker *self, const IocRecord *rec, const gchar *unit,
                            gint64 now_us)
{
  g_return_val_if_fail (self != NULL && rec != NULL && unit != NULL, IOC_REJECT_NONE);
  g_return_val_if_fail (rec->dossier != NULL, IOC_REJECT_NONE);
  ioc_stat_add (self->st_events, 1);
  self->now_us = now_us;
  if (self->last_day == G_MININT32)
    set_min_day (self, now_us);

  gpointer v = g_hash_table_lookup (self->ids, rec->dossier);
  guint32 idx;
  if (v == NULL)
    {
      if (g_hash_table_contains (self->tombs, GSIZE_TO_POINTER (id_hash (rec->dossier))))
        {
          /* Finished and dropped: this event is older than what we knew. */
          ioc_stat_add (self->st_stale, 1);
          return IOC_REJECT_NONE;
        }
      idx = slot_new (self, rec->dossier);
    }
  else
    idx = GPOINTER_TO_UINT (v) - 1;
  Dossier *d = slot (self, idx);

  gint64 ts = rec->ts_us;
  /* A result returned is final: a later event may repeat state 10, not
   * reopen the dossier (a back-end bug, or a clock set back). */
  if (d->n_hist > 0 && hist_state (d->hist[d->n_hist - 1]) == IOC_DOSSIER_RETURNED &&
      ts > hist_ts (d->hist[d->n_hist - 1]) && rec->state != IOC_DOSSIER_RETURNED)
    return IOC_REJECT_TRANSITION;
  gboolean newer = d->n_hist == 0 || ts >= d->fields_ts_us;
  /* Fields: the newest event wins; an older one only fills gaps. */
  if (newer || d->unit == NULL)
    d->unit = ioc_intern (unit);
  if (rec->procedure != NULL && (newer || d->procedure == NULL))
    d->procedure = ioc_intern (rec->procedure);
  if (rec->channel >= 1 && rec->channel <= 3 && (newer || d->channel == 0))
    d->channel = (guint8) rec->channel;
  if (rec->received_at_us > 0 && (newer || d->received_us == 0))
    d->received_us = rec->received_at_us;
  if (rec->due_at_us > 0 && (newer || d->due_src_us == 0))
    d->due_src_us = rec->due_at_us;
  merge_tri (&d->fee, rec->fee, newer);
  merge_tri (&d->paid_online, rec->paid_online, newer);
  merge_tri (&d->digitized, rec->digitized, newer);
  merge_tri (&d->e_result, rec->e_result, newer);
  if (rec->supplements >= 0)
    {
      d->n_sup_field = (guint8) MAX (d->n_sup_field, MIN (rec->supplements, 255));
      if (rec->supplements >= 2 && (d->sup2_field_ts_us == 0 || ts < d->sup2_field_ts_us))
        d->sup2_field_ts_us = ts;
    }
  if (d->channel == 0)
    d->channel = 1; /* validation requires it; never index out of range */
  if (newer)
    d->fields_ts_us = ts;

  if (rec->state >= IOC_DOSSIER_REGISTERED && rec->state <= IOC_DOSSIER_RETURNED && ts >= 0)
    {
      if (d->n_hist > 0 && ts < hist_ts (d->hist[d->n_hist - 1]))
        ioc_stat_add (self->st_stale, 1);
      if (!hist_insert (d, (ts << 4) | rec->state))
        ioc_stat_add (self->st_dup, 1);
    }
  if (d->n_hist > 0)
    refresh (self, idx, now_us);
  update_gauges (self);
  return IOC_REJECT_NONE;
}

static gboolean
entry_valid (IocDossierTracker *self, const HeapEntry *e)
{
  if (e->idx >= self->slots->len)
    return FALSE;
  const Dossier *d = slot (self, e->idx);
  return d->id != NULL && d->gen == e->gen;
}

static void
prune (IocDossierTracker *self, gint64 now_us)
{
  set_min_day (self, now_us);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      UnitState *u = v;
      GHashTableIter dit;
      gpointer dk;
      g_hash_table_iter_init (&dit, u->days);
      while (g_hash_table_iter_next (&dit, &dk, NULL))
        if (GPOINTER_TO_INT (dk) < self->min_day)
          g_hash_table_iter_remove (&dit);
      if (u->cached_counts != NULL && u->cached_day < self->min_day)
        u->cached_counts = NULL;
    }
  gint32 oldest = self->last_day - (gint32) (self->tombstone_keep_us / DAY_US);
  g_hash_table_iter_init (&it, self->tombs);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (GPOINTER_TO_INT (v) < oldest)
      g_hash_table_iter_remove (&it);
}

void
ioc_dossier_tracker_sweep (IocDossierTracker *self, gint64 now_us)
{
  g_return_if_fail (self != NULL);
  self->now_us = now_us;
  if (ioc_calendar_day_of (now_us) != self->last_day)
    prune (self, now_us);
  /* SPEC §5: the hub notices a deadline passing on its own clock. */
  while (self->deadlines.n > 0 && self->deadlines.v[0].key < now_us)
    {
      HeapEntry e = heap_pop (&self->deadlines);
      if (entry_valid (self, &e))
        refresh (self, e.idx, now_us);
    }
  gint64 hz = horizon (self, now_us);
  while (self->soon.n > 0 && self->soon.v[0].key <= hz)
    {
      HeapEntry e = heap_pop (&self->soon);
      if (entry_valid (self, &e))
        refresh (self, e.idx, now_us);
    }
  while (self->drops.n > 0 && self->drops.v[0].key <= now_us)
    {
      HeapEntry e = heap_pop (&self->drops);
      if (entry_valid (self, &e) && slot (self, e.idx)->drop_at_us == e.key)
        slot_drop (self, e.idx);
    }
  update_gauges (self);
}

void
ioc_dossier_tracker_sample (IocDossierTracker *self, gint64 minute_start_us, IocFactFunc emit,
                            gpointer user_data)
{
  g_return_if_fail (self != NULL && emit != NULL);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      UnitState *u = v;
      if (u == self->all)
        continue;
      for (guint ch = 1; ch <= 3; ch++)
        {
          gboolean nonzero = u->open[ch] != 0 || u->overdue[ch] != 0;
          if (!nonzero && !(u->sampled & (1u << ch)))
            continue;
          IocFact f = { 0 };
          f.measurement = IOC_MEAS_DOSSIER;
          f.kind = IOC_FACT_GAUGE;
          f.unit = u->unit;
          f.channel = (guint8) ch;
          f.ts_us = minute_start_us;
          f.field = IOC_F_DOSSIER_OPEN;
          f.delta = u->open[ch];
          emit (&f, user_data);
          f.field = IOC_F_DOSSIER_OPEN_OVERDUE;
          f.delta = u->overdue[ch];
          emit (&f, user_data);
          if (nonzero)
            u->sampled |= (guint8) (1u << ch);
          else
            u->sampled &= (guint8) ~(1u << ch);
        }
    }
}

gboolean
ioc_dossier_tracker_indicators (IocDossierTracker *self, const gchar *unit, IocPeriod period,
                                gint64 now_us, IocDossierIndicators *out)
{
  g_return_val_if_fail (self != NULL && unit != NULL && out != NULL, FALSE);
  gint32 today = ioc_calendar_day_of (now_us);
  gint y, m, d;
  ioc_calendar_day_to_date (today, &y, &m, &d);
  gint32 first = period == IOC_PERIOD_DAY     ? today
                 : period == IOC_PERIOD_MONTH ? ioc_calendar_date_to_day (y, m, 1)
                                              : ioc_calendar_date_to_day (y, 1, 1);
  return ioc_dossier_tracker_indicators_range (self, unit, first, today, out);
}

gboolean
ioc_dossier_tracker_indicators_range (IocDossierTracker *self, const gchar *unit, gint32 first_day,
                                      gint32 last_day, IocDossierIndicators *out)
{
  g_return_val_if_fail (self != NULL && unit != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  UnitState *u = g_strcmp0 (unit, "all") == 0 ? self->all : g_hash_table_lookup (self->units, unit);
  if (u == NULL)
    return FALSE;
  gint64 c[B_N] = { 0 };
  /* One lookup per day of the range, or one pass over the unit's days when
   * that is shorter (a wide range). */
  gint64 span = (gint64) last_day - (gint64) first_day + 1;
  if (span > (gint64) g_hash_table_size (u->days))
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, u->days);
      while (g_hash_table_iter_next (&it, &k, &v))
        if (GPOINTER_TO_INT (k) >= first_day && GPOINTER_TO_INT (k) <= last_day)
          for (guint i = 0; i < B_N; i++)
            c[i] += ((const gint64 *) v)[i];
    }
  else
    for (gint32 day = first_day; day <= last_day; day++)
      {
        const gint64 *b = unit_day (u, day, FALSE);
        if (b != NULL)
          for (guint i = 0; i < B_N; i++)
            c[i] += b[i];
      }
  for (guint i = 0; i < 4; i++)
    out->received[i] = c[B_RECV0 + i];
  out->completed_early = c[B_EARLY];
  out->completed_ontime = c[B_ONTIME];
  out->completed_late = c[B_LATE];
  out->overdue_entered = c[B_OVER];
  out->open = u->open[0];
  out->open_overdue = u->overdue[0];
  out->due_soon = u->soon;
  /* 2.1: finished in the period + still open (open counts as on time until
   * its deadline passes). */
  out->ontime_num = out->completed_early + out->completed_ontime + (out->open - out->open_overdue);
  out->ontime_den = out->completed_early + out->completed_ontime + out->completed_late + out->open;
  out->online_num = c[B_RECV0 + 2];
  out->online_den = c[B_RECV0];
  out->paid_online_num = c[B_PAID_N];
  out->paid_online_den = c[B_PAID_D];
  out->digitized_num = c[B_DIG_N];
  out->digitized_den = c[B_DIG_D];
  out->e_result_num = c[B_ER_N];
  out->e_result_den = c[B_ER_D];
  return TRUE;
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

void
ioc_dossier_tracker_foreach_unit (IocDossierTracker *self, void (*fn) (const gchar *unit, gpointer),
                                  gpointer user_data)
{
  g_return_if_fail (self != NULL && fn != NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (v != self->all)
      g_ptr_array_add (names, k);
  g_ptr_array_sort (names, cmp_str);
  for (guint i = 0; i < names->len; i++)
    fn (g_ptr_array_index (names, i), user_data);
}

gboolean
ioc_dossier_tracker_lookup (IocDossierTracker *self, const gchar *dossier, IocDossierInfo *out)
{
  g_return_val_if_fail (self != NULL && dossier != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  gpointer v = g_hash_table_lookup (self->ids, dossier);
  if (v == NULL)
    return FALSE;
  const Dossier *d = slot (self, GPOINTER_TO_UINT (v) - 1);
  Derived dv;
  derive (self, d, self->now_us, &dv);
  out->unit = d->unit;
  out->procedure = d->procedure;
  out->state = dv.state;
  out->channel = d->channel;
  out->received_us = d->received_us;
  out->due_us = dv.due_us;
  out->supplements = dv.n_sup;
  out->is_open = dv.received && !dv.finished;
  out->is_paused = dv.paused;
  /* What was counted (the sweep may not have run since the deadline). */
  out->overdue_us = d->em.over_ts;
  out->end_us = dv.finished ? dv.end_us : 0;
  out->completion = d->em.cls == CLS_NONE ? 0 : IOC_F_DOSSIER_COMPLETED_EARLY + (d->em.cls - CLS_EARLY) + 1;
  return TRUE;
}

guint
ioc_dossier_tracker_n_tracked (IocDossierTracker *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return g_hash_table_size (self->ids);
}

/* Snapshot. */

void
ioc_dossier_tracker_save (IocDossierTracker *self, GByteArray *out)
{
  g_return_if_fail (self != NULL && out != NULL);
  ioc_snap_put_u32 (out, SNAP_MAGIC);
  ioc_snap_put_u32 (out, SNAP_VERSION);
  ioc_snap_put_u32 (out, g_hash_table_size (self->units));
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->units);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      UnitState *u = v;
      ioc_snap_put_str (out, u->unit);
      ioc_snap_put_u8 (out, u->sampled);
      ioc_snap_put_u32 (out, g_hash_table_size (u->days));
      GHashTableIter dit;
      gpointer dk, dv;
      g_hash_table_iter_init (&dit, u->days);
      while (g_hash_table_iter_next (&dit, &dk, &dv))
        {
          ioc_snap_put_i64 (out, GPOINTER_TO_INT (dk));
          for (guint i = 0; i < B_N; i++)
            ioc_snap_put_i64 (out, ((gint64 *) dv)[i]);
        }
    }
  ioc_snap_put_u32 (out, g_hash_table_size (self->ids));
  for (guint32 i = 0; i < self->slots->len; i++)
    {
      const Dossier *d = slot (self, i);
      if (d->id == NULL)
        continue;
      ioc_snap_put_str (out, d->id);
      ioc_snap_put_str (out, d->unit);
      ioc_snap_put_str (out, d->procedure);
      ioc_snap_put_i64 (out, d->received_us);
      ioc_snap_put_i64 (out, d->due_src_us);
      ioc_snap_put_i64 (out, d->fields_ts_us);
      ioc_snap_put_i64 (out, d->sup2_field_ts_us);
      ioc_snap_put_i64 (out, d->armed_due_us);
      ioc_snap_put_i64 (out, d->drop_at_us);
      ioc_snap_put_u8 (out, d->channel);
      ioc_snap_put_u8 (out, d->n_sup_field);
      ioc_snap_put_u8 (out, (guint8) (d->fee + 1));
      ioc_snap_put_u8 (out, (guint8) (d->paid_online + 1));
      ioc_snap_put_u8 (out, (guint8) (d->digitized + 1));
      ioc_snap_put_u8 (out, (guint8) (d->e_result + 1));
      ioc_snap_put_u8 (out, d->n_hist);
      for (guint j = 0; j < d->n_hist; j++)
        ioc_snap_put_i64 (out, d->hist[j]);
      ioc_snap_put_str (out, d->em.unit);
      ioc_snap_put_i64 (out, d->em.recv_ts);
      ioc_snap_put_i64 (out, d->em.done_ts);
      ioc_snap_put_i64 (out, d->em.over_ts);
      ioc_snap_put_u8 (out, d->em.ch);
      ioc_snap_put_u8 (out, d->em.cls);
      ioc_snap_put_u8 (out, d->em.rates);
      ioc_snap_put_u8 (out, d->em.stock);
    }
  ioc_snap_put_u32 (out, g_hash_table_size (self->tombs));
  g_hash_table_iter_init (&it, self->tombs);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      ioc_snap_put_i64 (out, (gint64) GPOINTER_TO_SIZE (k));
      ioc_snap_put_i64 (out, GPOINTER_TO_INT (v));
    }
}

static const gchar *
intern_or_null (gchar *s)
{
  const gchar *r = s != NULL ? ioc_intern (s) : NULL;
  g_free (s);
  return r;
}

static gboolean
corrupt (GError **error, const gchar *what)
{
  g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "dossier tracker snapshot: %s", what);
  return FALSE;
}

/* Long on purpose: the section is read in the order ioc_dossier_tracker_save
 * wrote it, field by field, so the two can be compared side by side. */
gboolean
ioc_dossier_tracker_load (IocDossierTracker *self, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL && (data != NULL || len == 0), FALSE);
  IocSnapReader r;
  ioc_snap_reader_init (&r, data, len);
  if (ioc_snap_get_u32 (&r) != SNAP_MAGIC)
    return corrupt (error, "bad magic");
  if (ioc_snap_get_u32 (&r) != SNAP_VERSION)
    return corrupt (error, "unsupported version");
  tracker_clear (self);
  guint32 n_units = ioc_snap_get_u32 (&r);
  for (guint32 i = 0; i < n_units && ioc_snap_reader_ok (&r); i++)
    {
      const gchar *name = intern_or_null (ioc_snap_get_str (&r));
      if (name == NULL)
        break;
      UnitState *u = unit_get (self, name);
      u->sampled = ioc_snap_get_u8 (&r);
      guint32 n_days = ioc_snap_get_u32 (&r);
      for (guint32 j = 0; j < n_days && ioc_snap_reader_ok (&r); j++)
        {
          gint32 day = (gint32) ioc_snap_get_i64 (&r);
          gint64 *c = unit_day (u, day, TRUE);
          for (guint b = 0; b < B_N; b++)
            c[b] = ioc_snap_get_i64 (&r);
        }
    }
  guint32 n_dossiers = ioc_snap_get_u32 (&r);
  for (guint32 i = 0; i < n_dossiers && ioc_snap_reader_ok (&r); i++)
    {
      g_autofree gchar *id = ioc_snap_get_str (&r);
      if (id == NULL || g_hash_table_contains (self->ids, id))
        {
          tracker_clear (self);
          return corrupt (error, "bad or repeated dossier id");
        }
      guint32 idx = slot_new (self, id);
      Dossier *d = slot (self, idx);
      d->unit = intern_or_null (ioc_snap_get_str (&r));
      d->procedure = intern_or_null (ioc_snap_get_str (&r));
      d->received_us = ioc_snap_get_i64 (&r);
      d->due_src_us = ioc_snap_get_i64 (&r);
      d->fields_ts_us = ioc_snap_get_i64 (&r);
      d->sup2_field_ts_us = ioc_snap_get_i64 (&r);
      d->armed_due_us = ioc_snap_get_i64 (&r);
      d->drop_at_us = ioc_snap_get_i64 (&r);
      d->channel = ioc_snap_get_u8 (&r);
      d->n_sup_field = ioc_snap_get_u8 (&r);
      d->fee = (gint8) (ioc_snap_get_u8 (&r) - 1);
      d->paid_online = (gint8) (ioc_snap_get_u8 (&r) - 1);
      d->digitized = (gint8) (ioc_snap_get_u8 (&r) - 1);
      d->e_result = (gint8) (ioc_snap_get_u8 (&r) - 1);
      guint8 n_hist = ioc_snap_get_u8 (&r);
      if (n_hist > MAX_HIST || d->channel < 1 || d->channel > 3)
        {
          tracker_clear (self);
          return corrupt (error, "dossier out of range");
        }
      d->cap_hist = n_hist;
      d->hist = g_new0 (gint64, MAX (n_hist, 1));
      for (guint j = 0; j < n_hist; j++)
        d->hist[j] = ioc_snap_get_i64 (&r);
      d->n_hist = n_hist;
      d->em.unit = intern_or_null (ioc_snap_get_str (&r));
      d->em.recv_ts = ioc_snap_get_i64 (&r);
      d->em.done_ts = ioc_snap_get_i64 (&r);
      d->em.over_ts = ioc_snap_get_i64 (&r);
      d->em.ch = ioc_snap_get_u8 (&r);
      d->em.cls = ioc_snap_get_u8 (&r);
      d->em.rates = ioc_snap_get_u8 (&r);
      d->em.stock = ioc_snap_get_u8 (&r);
      if (d->em.ch > 3 || d->em.cls > CLS_LATE || (d->em.unit != NULL && d->em.ch == 0))
        {
          tracker_clear (self);
          return corrupt (error, "dossier counts out of range");
        }
      apply_stock (self, &d->em, +1);
      if (d->armed_due_us != 0)
        {
          heap_push (&self->deadlines, d->armed_due_us, idx, d->gen);
          if (!(d->em.stock & STOCK_SOON))
            heap_push (&self->soon, d->armed_due_us, idx, d->gen);
        }
      if (d->drop_at_us != 0)
        heap_push (&self->drops, d->drop_at_us, idx, d->gen);
    }
  guint32 n_tombs = ioc_snap_get_u32 (&r);
  for (guint32 i = 0; i < n_tombs && ioc_snap_reader_ok (&r); i++)
    {
      guint64 h = (guint64) ioc_snap_get_i64 (&r);
      gint32 day = (gint32) ioc_snap_get_i64 (&r);
      g_hash_table_replace (self->tombs, GSIZE_TO_POINTER ((gsize) h), GINT_TO_POINTER (day));
    }
  if (!ioc_snap_reader_ok (&r) || !ioc_snap_reader_at_end (&r))
    {
      tracker_clear (self);
      return corrupt (error, "truncated or trailing bytes");
    }
  self->hz_us = 0;
  update_gauges (self);
  return TRUE;
}
