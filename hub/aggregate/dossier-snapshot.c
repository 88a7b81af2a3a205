/* dossier-snapshot.c — the dossier tracker's section of the hub snapshot
 * (state/snapshot.h), and loading it back.
 *
 * The section holds the tracker's whole state: each unit's day buckets,
 * every dossier in memory with its history and what it has emitted, and
 * the tombstones of dossiers already dropped.  Timers and the open stock
 * are not written: a load rebuilds them from the dossiers, and emits
 * nothing.  Each part has a writer and a reader next to each other, field
 * by field in the same order, so the two can be compared side by side; a
 * change to either is a new SNAP_VERSION.  The input is the hub's own file
 * (its checksum checked by state/snapshot.c) but is checked all the same: a
 * bad section leaves the tracker empty and says what was wrong.  Main
 * context only. */
#include "aggregate/dossier-private.h"

#include "protocol/ioc-error.h"
#include "state/snapcodec.h"

#define SNAP_MAGIC 0x31544449u /* "IDT1" */
/* 2: each dossier's due_field_ts_us.  A version 1 section still loads. */
#define SNAP_VERSION 2u

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

/* ---- units: name, sampled bits, day buckets ---- */

static void
save_units (IocDossierTracker *self, GByteArray *out)
{
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
}

static void
load_units (IocDossierTracker *self, IocSnapReader *r)
{
  guint32 n_units = ioc_snap_get_u32 (r);
  for (guint32 i = 0; i < n_units && ioc_snap_reader_ok (r); i++)
    {
      const gchar *name = intern_or_null (ioc_snap_get_str (r));
      if (name == NULL)
        break;
      UnitState *u = ioc_dossier_counts_unit (self, name);
      u->sampled = ioc_snap_get_u8 (r);
      guint32 n_days = ioc_snap_get_u32 (r);
      for (guint32 j = 0; j < n_days && ioc_snap_reader_ok (r); j++)
        {
          gint32 day = (gint32) ioc_snap_get_i64 (r);
          gint64 *c = ioc_dossier_counts_day (u, day, TRUE);
          for (guint b = 0; b < B_N; b++)
            c[b] = ioc_snap_get_i64 (r);
        }
    }
}

/* ---- dossiers: fields, history, what was emitted ---- */

static void
save_dossier (const Dossier *d, GByteArray *out)
{
  ioc_snap_put_str (out, d->id);
  ioc_snap_put_str (out, d->unit);
  ioc_snap_put_str (out, d->procedure);
  ioc_snap_put_i64 (out, d->received_us);
  ioc_snap_put_i64 (out, d->due_src_us);
  ioc_snap_put_i64 (out, d->due_field_ts_us);
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

/* Reads one dossier of a version section into a new slot and re-arms its
 * timers; FALSE (error set) when it is out of range. */
static gboolean
load_dossier (IocDossierTracker *self, IocSnapReader *r, guint32 version, GError **error)
{
  g_autofree gchar *id = ioc_snap_get_str (r);
  if (id == NULL || g_hash_table_contains (self->ids, id))
    return corrupt (error, "bad or repeated dossier id");
  guint32 idx = ioc_dossier_tracker_slot_new (self, id);
  Dossier *d = ioc_dossier_slot (self, idx);
  d->unit = intern_or_null (ioc_snap_get_str (r));
  d->procedure = intern_or_null (ioc_snap_get_str (r));
  d->received_us = ioc_snap_get_i64 (r);
  d->due_src_us = ioc_snap_get_i64 (r);
  if (version >= 2)
    d->due_field_ts_us = ioc_snap_get_i64 (r);
  d->fields_ts_us = ioc_snap_get_i64 (r);
  /* Version 1 kept no time for due_at: an event older than the newest
   * then keeps it, as that version did. */
  if (version < 2)
    d->due_field_ts_us = d->due_src_us > 0 ? d->fields_ts_us : 0;
  d->sup2_field_ts_us = ioc_snap_get_i64 (r);
  d->armed_due_us = ioc_snap_get_i64 (r);
  d->drop_at_us = ioc_snap_get_i64 (r);
  d->channel = ioc_snap_get_u8 (r);
  d->n_sup_field = ioc_snap_get_u8 (r);
  d->fee = (gint8) (ioc_snap_get_u8 (r) - 1);
  d->paid_online = (gint8) (ioc_snap_get_u8 (r) - 1);
  d->digitized = (gint8) (ioc_snap_get_u8 (r) - 1);
  d->e_result = (gint8) (ioc_snap_get_u8 (r) - 1);
  guint8 n_hist = ioc_snap_get_u8 (r);
  if (n_hist > MAX_HIST || d->channel < 1 || d->channel > 3)
    return corrupt (error, "dossier out of range");
  d->cap_hist = n_hist;
  d->hist = g_new0 (gint64, MAX (n_hist, 1));
  for (guint j = 0; j < n_hist; j++)
    d->hist[j] = ioc_snap_get_i64 (r);
  d->n_hist = n_hist;
  d->em.unit = intern_or_null (ioc_snap_get_str (r));
  d->em.recv_ts = ioc_snap_get_i64 (r);
  d->em.done_ts = ioc_snap_get_i64 (r);
  d->em.over_ts = ioc_snap_get_i64 (r);
  d->em.ch = ioc_snap_get_u8 (r);
  d->em.cls = ioc_snap_get_u8 (r);
  d->em.rates = ioc_snap_get_u8 (r);
  d->em.stock = ioc_snap_get_u8 (r);
  if (d->em.ch > 3 || d->em.cls > CLS_LATE || (d->em.unit != NULL && d->em.ch == 0))
    return corrupt (error, "dossier counts out of range");
  ioc_dossier_counts_stock (self, &d->em, +1);
  ioc_dossier_tracker_arm (self, idx, (d->em.stock & STOCK_SOON) != 0);
  return TRUE;
}

/* ---- tombstones: id hash, day dropped ---- */

static void
save_tomb (gpointer hash, gpointer day, gpointer out)
{
  ioc_snap_put_i64 (out, (gint64) GPOINTER_TO_SIZE (hash));
  ioc_snap_put_i64 (out, GPOINTER_TO_INT (day));
}

static void
save_tombs (IocDossierTracker *self, GByteArray *out)
{
  ioc_snap_put_u32 (out, g_hash_table_size (self->tombs));
  g_hash_table_foreach (self->tombs, save_tomb, out);
}

static void
load_tombs (IocDossierTracker *self, IocSnapReader *r)
{
  guint32 n_tombs = ioc_snap_get_u32 (r);
  for (guint32 i = 0; i < n_tombs && ioc_snap_reader_ok (r); i++)
    {
      guint64 h = (guint64) ioc_snap_get_i64 (r);
      gint32 day = (gint32) ioc_snap_get_i64 (r);
      g_hash_table_replace (self->tombs, GSIZE_TO_POINTER ((gsize) h), GINT_TO_POINTER (day));
    }
}

/* ---- the section ---- */

void
ioc_dossier_tracker_save (IocDossierTracker *self, GByteArray *out)
{
  g_return_if_fail (self != NULL && out != NULL);
  ioc_snap_put_u32 (out, SNAP_MAGIC);
  ioc_snap_put_u32 (out, SNAP_VERSION);
  save_units (self, out);
  ioc_snap_put_u32 (out, g_hash_table_size (self->ids));
  for (guint32 i = 0; i < self->slots->len; i++)
    {
      const Dossier *d = ioc_dossier_slot (self, i);
      if (d->id != NULL)
        save_dossier (d, out);
    }
  save_tombs (self, out);
}

gboolean
ioc_dossier_tracker_load (IocDossierTracker *self, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL && (data != NULL || len == 0), FALSE);
  IocSnapReader r;
  ioc_snap_reader_init (&r, data, len);
  if (ioc_snap_get_u32 (&r) != SNAP_MAGIC)
    return corrupt (error, "bad magic");
  guint32 version = ioc_snap_get_u32 (&r);
  if (version < 1 || version > SNAP_VERSION)
    return corrupt (error, "unsupported version");
  ioc_dossier_tracker_clear (self);
  load_units (self, &r);
  guint32 n_dossiers = ioc_snap_get_u32 (&r);
  for (guint32 i = 0; i < n_dossiers && ioc_snap_reader_ok (&r); i++)
    if (!load_dossier (self, &r, version, error))
      {
        ioc_dossier_tracker_clear (self);
        return FALSE;
      }
  load_tombs (self, &r);
  if (!ioc_snap_reader_ok (&r) || !ioc_snap_reader_at_end (&r))
    {
      ioc_dossier_tracker_clear (self);
      return corrupt (error, "truncated or trailing bytes");
    }
  self->hz_us = 0;
  ioc_dossier_tracker_update_gauges (self);
  return TRUE;
}
