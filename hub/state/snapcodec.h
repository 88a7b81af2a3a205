/* snapcodec.h — the byte format every stage uses to save its state into a
 * snapshot and read it back.
 *
 * Little-endian fixed-width integers, doubles as their IEEE bits, strings as
 * u32 length + bytes (no NUL).  The writer appends to a GByteArray.  The
 * reader is sticky: after the first short read every getter returns zero and
 * ioc_snap_reader_ok() is FALSE, so a loader may read a whole section and
 * check once.  Pure functions; any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void ioc_snap_put_u8 (GByteArray *out, guint8 v);
void ioc_snap_put_u32 (GByteArray *out, guint32 v);
void ioc_snap_put_i64 (GByteArray *out, gint64 v);
void ioc_snap_put_f64 (GByteArray *out, gdouble v);
void ioc_snap_put_str (GByteArray *out, const gchar *s); /* NULL is written as length 0xffffffff */
void ioc_snap_put_bytes (GByteArray *out, const void *data, guint32 len);

typedef struct
{
  const guint8 *pos;
  const guint8 *end;
  gboolean failed;
} IocSnapReader;

void     ioc_snap_reader_init (IocSnapReader *r, const void *data, gsize len);
gboolean ioc_snap_reader_ok (const IocSnapReader *r);
gboolean ioc_snap_reader_at_end (const IocSnapReader *r);
guint8   ioc_snap_get_u8 (IocSnapReader *r);
guint32  ioc_snap_get_u32 (IocSnapReader *r);
gint64   ioc_snap_get_i64 (IocSnapReader *r);
gdouble  ioc_snap_get_f64 (IocSnapReader *r);
/* (transfer full); NULL for a NULL string or after a failure. */
gchar   *ioc_snap_get_str (IocSnapReader *r);
/* Borrowed pointer into the reader's buffer; NULL after a failure. */
const guint8 *ioc_snap_get_bytes (IocSnapReader *r, guint32 *len);

G_END_DECLS
