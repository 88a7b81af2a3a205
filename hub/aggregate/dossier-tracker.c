/* dossier-tracker.c — one record per dossier, its deadline, and the
 * ioc_dossier facts and dossier indicators derived from it.
 *
 *   ingest (decoded, deduplicated, validated, unit resolved) ─► record()
 *   hub timer, every second ─► sweep(): deadlines that passed, due-soon, drops
 *   rollup, end of a minute ─► sample(): open / open_overdue gauges
 *
 * This file is the object and its dossiers: their slots and ids, the
 * fields an event brings, the timers, and refresh(), which after every
 * change derives the dossier's counts again from scratch by the rules of
 * indicator 2.1 (dossier-rules.c) and has the difference from what was
 * already emitted for it emitted as a correction (dossier-counts.c).
 * Deadlines wait in min-heaps keyed by instant, so a sweep touches only the
 * dossiers whose deadline passed.  Per-unit, per-local-day counters hold the
 * day / month / year indicators (dossier-views.c), so finished dossiers can
 * leave memory.  The pieces and what they share: dossier-private.h.
 * Main context only; the owner serialises calls.  Rules: docs/DOSSIERS.md. */
#include "aggregate/dossier-private.h"

#include <string.h>

#include "protocol/ioc-hash.h"

/* Heaps. */

void
ioc_dossier_heap_push (Heap *h, gint64 key, guint32 idx, guint32 gen)
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

/* Puts e at i or below, where the heap's order wants it. */
static void
heap_sift_down (Heap *h, gsize i, HeapEntry e)
{
  for (;;)
    {
      gsize c = 2 * i + 1;
      if (c >= h->n)
        break;
      if (c + 1 < h->n && h->v[c + 1].key < h->v[c].key)
        c++;
      if (e.key <= h->v[c].key)
        break;
      h->v[i] = h->v[c];
      i = c;
    }
  h->v[i] = e;
}

static HeapEntry
heap_pop (Heap *h)
{
  HeapEntry top = h->v[0];
  HeapEntry last = h->v[--h->n];
  if (h->n > 0)
    heap_sift_down (h, 0, last);
  return top;
}

static guint64
id_hash (const gchar *s)
{
  guint64 h = G_GUINT64_CONSTANT (1469598103934665603);
  for (; *s; s++)
    h = (h ^ (guchar) *s) * G_GUINT64_CONSTANT (1099511628211);
  return h ? h : 1;
}

/* Derives the dossier again, emits corrections, re-arms its timers. */
static void
refresh (IocDossierTracker *self, guint32 idx, gint64 now_us)
{
  Dossier *d = ioc_dossier_slot (self, idx);
  Derived dv;
  ioc_dossier_rules_derive (self, d, now_us, &dv);

  Emitted want = { 0 };
  if (dv.received)
    {
      want.unit = d->unit;
      want.ch = d->channel;
      want.recv_ts = d->received_us > 0 ? d->received_us : ioc_dossier_hist_ts (d->hist[0]);
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
  ioc_dossier_counts_update (self, &d->em, &want);

  gint64 want_due = (dv.received && !dv.finished && !dv.paused && dv.over_us == 0) ? dv.due_us : 0;
  gint64 want_drop = 0;
  if (dv.finished)
    want_drop = d->drop_at_us != 0 ? d->drop_at_us : now_us + self->finished_keep_us;
  if (want_due != d->armed_due_us || want_drop != d->drop_at_us)
    {
      d->gen++;
      d->armed_due_us = want_due;
      d->drop_at_us = want_drop;
      ioc_dossier_tracker_arm (self, idx, dv.soon);
    }
}

void
ioc_dossier_tracker_arm (IocDossierTracker *self, guint32 idx, gboolean soon)
{
  const Dossier *d = ioc_dossier_slot (self, idx);
  if (d->armed_due_us != 0)
    {
      ioc_dossier_heap_push (&self->deadlines, d->armed_due_us, idx, d->gen);
      if (!soon)
        ioc_dossier_heap_push (&self->soon, d->armed_due_us, idx, d->gen);
    }
  if (d->drop_at_us != 0)
    ioc_dossier_heap_push (&self->drops, d->drop_at_us, idx, d->gen);
}

void
ioc_dossier_tracker_update_gauges (IocDossierTracker *self)
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
  self->units = g_hash_table_new_full (ioc_str_hash, g_str_equal, NULL, ioc_dossier_counts_unit_free);
  self->all = ioc_dossier_counts_unit (self, "all");
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

void
ioc_dossier_tracker_clear (IocDossierTracker *self)
{
  for (guint i = 0; i < self->slots->len; i++)
    {
      Dossier *d = ioc_dossier_slot (self, i);
      g_free (d->id);
      g_free (d->hist);
    }
  g_array_set_size (self->slots, 0);
  g_array_set_size (self->free_slots, 0);
  g_hash_table_remove_all (self->ids);
  g_hash_table_remove_all (self->tombs);
  self->last_unit = NULL;
  g_hash_table_remove_all (self->units);
  self->all = ioc_dossier_counts_unit (self, "all");
  self->deadlines.n = self->soon.n = self->drops.n = 0;
}

void
ioc_dossier_tracker_free (IocDossierTracker *self)
{
  if (self == NULL)
    return;
  ioc_dossier_tracker_clear (self);
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
    if (ioc_dossier_slot (self, i)->id != NULL)
      refresh (self, i, self->now_us);
  ioc_dossier_tracker_update_gauges (self);
}

guint32
ioc_dossier_tracker_slot_new (IocDossierTracker *self, const gchar *id)
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
  Dossier *d = ioc_dossier_slot (self, idx);
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
  Dossier *d = ioc_dossier_slot (self, idx);
  /* A finished dossier has no stock left; its facts stay counted. */
  if (d->em.stock != 0)
    {
      Emitted keep = d->em;
      keep.stock = 0;
      ioc_dossier_counts_stock (self, &d->em, -1);
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
      idx = ioc_dossier_tracker_slot_new (self, rec->dossier);
    }
  else
    idx = GPOINTER_TO_UINT (v) - 1;
  Dossier *d = ioc_dossier_slot (self, idx);

  gint64 ts = rec->ts_us;
  /* A result returned is final: a later event may repeat state 10, not
   * reopen the dossier (a back-end bug, or a clock set back). */
  if (d->n_hist > 0 && ioc_dossier_hist_state (d->hist[d->n_hist - 1]) == IOC_DOSSIER_RETURNED &&
      ts > ioc_dossier_hist_ts (d->hist[d->n_hist - 1]) && rec->state != IOC_DOSSIER_RETURNED)
    return IOC_REJECT_TRANSITION;
  gboolean newer = d->n_hist == 0 || ts >= d->fields_ts_us;
  /* Fields: the newest event wins; an older one only fills gaps. */
  /* unit comes interned (the header's contract); a procedure code is
   * interned only when it changes, a dossier's events mostly repeat it
   * (interning is a locked lookup in GLib's table of every quark). */
  if (newer || d->unit == NULL)
    d->unit = unit;
  if (rec->procedure != NULL && (newer || d->procedure == NULL)
      && (d->procedure == NULL || strcmp (d->procedure, rec->procedure) != 0))
    d->procedure = ioc_intern (rec->procedure);
  if (rec->channel >= 1 && rec->channel <= 3 && (newer || d->channel == 0))
    d->channel = (guint8) rec->channel;
  if (rec->received_at_us > 0 && (newer || d->received_us == 0))
    d->received_us = rec->received_at_us;
  /* due_at moves (an extension, a supplement): it comes from the newest
   * event that carries it, whatever the arrival order; newer-than-all
   * would keep an older value when a newer event without it came between. */
  if (rec->due_at_us > 0 && (d->due_src_us == 0 || ts >= d->due_field_ts_us))
    {
      d->due_src_us = rec->due_at_us;
      d->due_field_ts_us = ts;
    }
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
      if (d->n_hist > 0 && ts < ioc_dossier_hist_ts (d->hist[d->n_hist - 1]))
        ioc_stat_add (self->st_stale, 1);
      if (!ioc_dossier_rules_hist_insert (d, (ts << 4) | rec->state))
        ioc_stat_add (self->st_dup, 1);
    }
  if (d->n_hist > 0)
    refresh (self, idx, now_us);
  ioc_dossier_tracker_update_gauges (self);
  return IOC_REJECT_NONE;
}

static gboolean
entry_valid (IocDossierTracker *self, const HeapEntry *e)
{
  if (e->idx >= self->slots->len)
    return FALSE;
  const Dossier *d = ioc_dossier_slot (self, e->idx);
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

/* An entry goes stale when its dossier's deadline moves or the dossier
 * leaves (its gen changes); it is skipped when it comes up, which for a
 * deadline is days away.  So that a heap follows the dossiers held and not
 * the events they had, one with far more entries than dossiers is rebuilt
 * from the entries still current. */
static void
heap_compact (IocDossierTracker *self, Heap *h)
{
  gsize held = g_hash_table_size (self->ids);
  if (h->n <= 2 * held + 4096)
    return;
  gsize k = 0;
  for (gsize i = 0; i < h->n; i++)
    if (entry_valid (self, &h->v[i]))
      h->v[k++] = h->v[i];
  h->n = k;
  for (gsize i = h->n / 2; i-- > 0;)
    heap_sift_down (h, i, h->v[i]);
  if (h->cap > 1024 && h->n < h->cap / 4)
    {
      h->cap = MAX (1024, 2 * h->n);
      h->v = g_renew (HeapEntry, h->v, h->cap);
    }
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
  gint64 hz = ioc_dossier_rules_horizon (self, now_us);
  while (self->soon.n > 0 && self->soon.v[0].key <= hz)
    {
      HeapEntry e = heap_pop (&self->soon);
      if (entry_valid (self, &e))
        refresh (self, e.idx, now_us);
    }
  while (self->drops.n > 0 && self->drops.v[0].key <= now_us)
    {
      HeapEntry e = heap_pop (&self->drops);
      if (entry_valid (self, &e) && ioc_dossier_slot (self, e.idx)->drop_at_us == e.key)
        slot_drop (self, e.idx);
    }
  heap_compact (self, &self->deadlines);
  heap_compact (self, &self->soon);
  heap_compact (self, &self->drops);
  ioc_dossier_tracker_update_gauges (self);
}

