/* dossier-rules.c — one dossier's state history, and the rules of
 * indicator 2.1 (docs/DOSSIERS.md) applied to it.
 *
 * Each dossier keeps its states (event time + state, sorted), so that
 * out-of-order and duplicate events give the same result as ordered ones.
 * ioc_dossier_rules_derive() reads that history from scratch: received or
 * not, finished when, the deadline with the supplement pause, overdue
 * since when, completed early / on time / late, due soon.  It is pure (the
 * dossier, the calendar and now) and changes nothing, so it lives apart
 * from the bookkeeping that acts on its answer (dossier-tracker.c,
 * dossier-counts.c).  Main context only. */
#include "aggregate/dossier-private.h"

#include <string.h>

/* DOMAIN §3 step 1: states that end processing. */
static inline gboolean
is_terminal (gint s)
{
  return s == IOC_DOSSIER_REFUSED || s == IOC_DOSSIER_WITHDRAWN || s == IOC_DOSSIER_STOPPED ||
         s == IOC_DOSSIER_PROCESSED || s == IOC_DOSSIER_RETURNED;
}

gboolean
ioc_dossier_rules_hist_insert (Dossier *d, gint64 packed)
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

gint64
ioc_dossier_rules_horizon (IocDossierTracker *self, gint64 now_us)
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


/* Supplement requests: each entry into state 5.  r1 → x1 is the first one,
 * from the request to the next other state (the supplement arrived; x1_idx
 * is that state's place in the history); r2 is the second request. */
typedef struct
{
  gint64 r1, r2, x1;
  guint x1_idx, entries;
} Supplements;

static void
scan_supplements (const Dossier *d, Supplements *sup)
{
  memset (sup, 0, sizeof *sup);
  gint prev = 0;
  for (guint i = 0; i < d->n_hist; i++)
    {
      gint s = ioc_dossier_hist_state (d->hist[i]);
      gint64 t = ioc_dossier_hist_ts (d->hist[i]);
      if (s == IOC_DOSSIER_SUPPLEMENT && prev != IOC_DOSSIER_SUPPLEMENT)
        {
          sup->entries++;
          if (sup->entries == 1)
            sup->r1 = t;
          else if (sup->entries == 2)
            sup->r2 = t;
        }
      else if (s != IOC_DOSSIER_SUPPLEMENT && prev == IOC_DOSSIER_SUPPLEMENT && sup->entries == 1 &&
               sup->x1 == 0)
        {
          sup->x1 = t;
          sup->x1_idx = i;
        }
      prev = s;
    }
}

/* End of processing of a finished dossier: the first 9, else the first 10,
 * else the first 3/7/8 of the final run of ending states, which starts at
 * *run_start. */
static gint64
end_of_processing (const Dossier *d, guint *run_start)
{
  guint n = d->n_hist;
  guint k = n - 1;
  while (k > 0 && is_terminal (ioc_dossier_hist_state (d->hist[k - 1])))
    k--;
  gint64 t9 = 0, t10 = 0;
  for (guint i = k; i < n; i++)
    {
      gint s = ioc_dossier_hist_state (d->hist[i]);
      if (s == IOC_DOSSIER_PROCESSED && t9 == 0)
        t9 = ioc_dossier_hist_ts (d->hist[i]);
      if (s == IOC_DOSSIER_RETURNED && t10 == 0)
        t10 = ioc_dossier_hist_ts (d->hist[i]);
    }
  *run_start = k;
  return t9 ? t9 : t10 ? t10 : ioc_dossier_hist_ts (d->hist[k]);
}

/* The rules of indicator 2.1 (docs/DOSSIERS.md), applied to the sorted
 * history, in the order docs/DOSSIERS.md states them. */
void
ioc_dossier_rules_derive (IocDossierTracker *self, const Dossier *d, gint64 now_us, Derived *out)
{
  memset (out, 0, sizeof *out);
  guint n = d->n_hist;
  if (n == 0)
    return;
  out->state = ioc_dossier_hist_state (d->hist[n - 1]);
  out->finished = is_terminal (out->state);
  /* Received: any state but registered (1) or refused at intake (3). */
  for (guint i = 0; i < n && !out->received; i++)
    {
      gint s = ioc_dossier_hist_state (d->hist[i]);
      out->received = s != IOC_DOSSIER_REGISTERED && s != IOC_DOSSIER_REFUSED;
    }
  Supplements sup;
  scan_supplements (d, &sup);
  out->n_sup = MAX ((gint) sup.entries, (gint) d->n_sup_field);
  gint64 sup2 = sup.r2;
  if (d->sup2_field_ts_us != 0 && (sup2 == 0 || d->sup2_field_ts_us < sup2))
    sup2 = d->sup2_field_ts_us;

  gboolean left_waiting = FALSE;
  if (out->finished)
    {
      guint k;
      out->end_us = end_of_processing (d, &k);
      /* Left waiting for a supplement: the request is the end. */
      if (sup.entries == 1 && sup.x1 != 0 && sup.x1_idx == k)
        {
          left_waiting = TRUE;
          out->end_us = sup.r1;
        }
    }

  gint64 base = due_base (self, d);
  out->due_us = base;
  /* The first supplement request pauses the clock when it comes before the
   * deadline; the paused working time is added to the deadline. */
  if (out->n_sup < 2 && sup.r1 != 0 && base != 0 && sup.r1 <= base)
    {
      if (sup.x1 != 0 && !left_waiting)
        out->due_us = ioc_calendar_add_working_us (self->cal, base,
                                                   ioc_calendar_working_us_between (self->cal, sup.r1, sup.x1));
      else if (sup.x1 == 0 && !out->finished)
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
                out->due_us <= ioc_dossier_rules_horizon (self, now_us);
}
