/* snapcodec.c — see snapcodec.h. */
#include "state/snapcodec.h"

#include <string.h>

void
ioc_snap_put_u8 (GByteArray *out, guint8 v)
{
  g_byte_array_append (out, &v, 1);
}

/* The n low bytes of v, least significant first, whatever the host. */
static void
put_le (GByteArray *out, guint64 v, guint n)
{
  guint8 b[8];
  for (guint i = 0; i < n; i++)
    b[i] = (guint8) (v >> (8 * i));
  g_byte_array_append (out, b, n);
}

void
ioc_snap_put_u32 (GByteArray *out, guint32 v)
{
  put_le (out, v, 4);
}

void
ioc_snap_put_i64 (GByteArray *out, gint64 v)
{
  put_le (out, (guint64) v, 8);
}

void
ioc_snap_put_f64 (GByteArray *out, gdouble v)
{
  gint64 bits;
  memcpy (&bits, &v, 8);
  ioc_snap_put_i64 (out, bits);
}

void
ioc_snap_put_str (GByteArray *out, const gchar *s)
{
  if (s == NULL)
    {
      ioc_snap_put_u32 (out, G_MAXUINT32);
      return;
    }
  gsize len = strlen (s);
  g_return_if_fail (len < G_MAXUINT32);
  ioc_snap_put_u32 (out, (guint32) len);
  g_byte_array_append (out, (const guint8 *) s, (guint) len);
}

void
ioc_snap_put_bytes (GByteArray *out, const void *data, guint32 len)
{
  ioc_snap_put_u32 (out, len);
  g_byte_array_append (out, data, len);
}

void
ioc_snap_reader_init (IocSnapReader *r, const void *data, gsize len)
{
  /* An empty section may come as NULL: no arithmetic on a null pointer. */
  r->pos = data != NULL ? data : (const void *) "";
  r->end = r->pos + (data != NULL ? len : 0);
  r->failed = FALSE;
}

gboolean
ioc_snap_reader_ok (const IocSnapReader *r)
{
  return !r->failed;
}

gboolean
ioc_snap_reader_at_end (const IocSnapReader *r)
{
  return !r->failed && r->pos == r->end;
}

static const guint8 *
take (IocSnapReader *r, gsize n)
{
  if (r->failed || (gsize) (r->end - r->pos) < n)
    {
      r->failed = TRUE;
      return NULL;
    }
  const guint8 *p = r->pos;
  r->pos += n;
  return p;
}

guint8
ioc_snap_get_u8 (IocSnapReader *r)
{
  const guint8 *p = take (r, 1);
  return p ? p[0] : 0;
}

/* n bytes, least significant first; 0 after a failure. */
static guint64
get_le (IocSnapReader *r, guint n)
{
  const guint8 *p = take (r, n);
  guint64 v = 0;
  for (guint i = 0; p != NULL && i < n; i++)
    v |= (guint64) p[i] << (8 * i);
  return v;
}

guint32
ioc_snap_get_u32 (IocSnapReader *r)
{
  return (guint32) get_le (r, 4);
}

gint64
ioc_snap_get_i64 (IocSnapReader *r)
{
  return (gint64) get_le (r, 8);
}

gdouble
ioc_snap_get_f64 (IocSnapReader *r)
{
  gint64 bits = ioc_snap_get_i64 (r);
  gdouble v;
  memcpy (&v, &bits, 8);
  return v;
}

gchar *
ioc_snap_get_str (IocSnapReader *r)
{
  guint32 len = ioc_snap_get_u32 (r);
  if (r->failed || len == G_MAXUINT32)
    return NULL;
  const guint8 *p = take (r, len);
  return p ? g_strndup ((const gchar *) p, len) : NULL;
}

const guint8 *
ioc_snap_get_bytes (IocSnapReader *r, guint32 *len)
{
  *len = ioc_snap_get_u32 (r);
  const guint8 *p = take (r, *len);
  if (p == NULL)
    *len = 0;
  return p;
}
