/* procedures.h — IocProcedures: the statutory processing time of each
 * administrative procedure (ops/procedures.conf) and the deadline it gives
 * a dossier received at a given instant, counted on the working calendar.
 *
 *   [procedures]
 *   default = 5wd          5 working days (also the built-in default)
 *   1.004227 = 8h          8 working hours
 *   2.001234 = 15d         15 calendar days; ending on a rest day, it ends
 *                          with the next working day
 *
 * Loaded once, immutable afterwards: pure functions, any thread.  Rules:
 * docs/DOSSIERS.md. */
#pragma once

#include <glib.h>

#include "model/calendar.h"

G_BEGIN_DECLS

typedef struct _IocProcedures IocProcedures;

/* Errors name the file, the group and the key ("p.conf: [procedures] X:
 * expected a statutory time such as 5wd …"). */
IocProcedures *ioc_procedures_load (const gchar *path, GError **error);
IocProcedures *ioc_procedures_load_data (const gchar *path_for_errors, const gchar *data, gsize len,
                                         GError **error);
void           ioc_procedures_free (IocProcedures *self);

/* The statutory deadline of a dossier of procedure `code` received at
 * received_us: the procedure's time, or the file's default for a code it
 * does not list (code may be NULL), counted on cal.  self may be NULL (no
 * procedures file): every procedure then takes 5 working days. */
gint64 ioc_procedures_deadline (const IocProcedures *self, const IocCalendar *cal, const gchar *code,
                                gint64 received_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocProcedures, ioc_procedures_free)

G_END_DECLS
