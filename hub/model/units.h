/* units.h — the dated unit registry of SPEC §2.
 *
 * CSV columns `code,name,kind,parent,valid_from,valid_to,successor`; the last
 * one is our extension: the code that took over this unit's history when it
 * ended (empty for none).  Dates are Vietnam-local days, valid_from
 * inclusive, valid_to the inclusive last day, empty = open.  The same code
 * may appear on several rows with disjoint validity (commune codes were
 * reused in the 2025 merger).  Loaded once, then read-only: lookups are safe
 * from any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const gchar *code;      /* interned (ioc_intern) */
  const gchar *name;      /* Vietnamese, UTF-8 */
  const gchar *kind;      /* tinh, xa, phuong, thi-tran, ca, cq, … */
  const gchar *parent;    /* interned code, or NULL */
  const gchar *successor; /* interned code, or NULL */
  gint64 valid_from_us;   /* local midnight starting valid_from; G_MININT64 when open */
  gint64 valid_to_us;     /* exclusive end instant; G_MAXINT64 when open */
} IocUnit;

typedef struct _IocUnitRegistry IocUnitRegistry;

/* Errors (IOC_ERROR_CONFIG) read "PATH:LINE: column N (name): expected …". */
IocUnitRegistry *ioc_units_load (const gchar *path, GError **error);
IocUnitRegistry *ioc_units_load_data (const gchar *path_for_errors, const gchar *data, gsize len,
                                      GError **error);
void ioc_units_free (IocUnitRegistry *self);

/* The entry of code valid at ts_us, or NULL.  O(1) on average. */
const IocUnit *ioc_units_lookup (const IocUnitRegistry *self, const gchar *code, gint64 ts_us);
/* For a message under a code that is not valid at ts_us because it was
 * retired before (SPEC §2, the 2025 merge): the entry valid at ts_us of the
 * unit that took its history over, following successors from the code's
 * last entry that ended at or before ts_us.  NULL when that entry has no
 * successor, or the chain reaches no unit valid at ts_us. */
const IocUnit *ioc_units_lookup_successor (const IocUnitRegistry *self, const gchar *code, gint64 ts_us);
/* The interned code of the unit that carries this history today: the entry
 * valid at ts_us, then its successors in turn.  NULL if code is unknown at
 * ts_us. */
const gchar *ioc_units_resolve (const IocUnitRegistry *self, const gchar *code, gint64 ts_us);
/* The same, from an entry ioc_units_lookup() returned: saves the hot path
 * a second lookup of a unit it has just validated. */
const gchar *ioc_units_resolve_unit (const IocUnitRegistry *self, const IocUnit *unit);
/* (transfer container) IocUnit* valid at now_us, sorted by code. */
GPtrArray *ioc_units_current (const IocUnitRegistry *self, gint64 now_us);
/* (transfer container) Every code of the registry (interned, each once,
 * sorted), whatever its validity: messages may still come under a code that
 * has ended (a connector's offline buffer). */
GPtrArray *ioc_units_codes (const IocUnitRegistry *self);
/* Number of rows (dated entries). */
guint ioc_units_size (const IocUnitRegistry *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocUnitRegistry, ioc_units_free)

G_END_DECLS
