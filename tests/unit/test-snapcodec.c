/* test-snapcodec.c — the byte format of snapshot sections: every type
 * round-trips, the layout is little-endian and fixed, and a short or
 * corrupt section fails once and stays failed (sticky reader), never
 * reading past its end. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "state/snapcodec.h"

static GByteArray *
sample (void)
{
  GByteArray *out = g_byte_array_new ();
  ioc_snap_put_u8 (out, 0xa5);
  ioc_snap_put_u32 (out, 0x01020304);
  ioc_snap_put_i64 (out, G_GINT64_CONSTANT (-2));
  ioc_snap_put_f64 (out, 0.1);
  ioc_snap_put_f64 (out, -INFINITY);
  ioc_snap_put_str (out, "Phường Thành Vinh");
  ioc_snap_put_str (out, "");
  ioc_snap_put_str (out, NULL);
  ioc_snap_put_bytes (out, "\0\1\2", 3);
  ioc_snap_put_i64 (out, G_MAXINT64);
  return out;
}

static void
test_round_trip (void)
{
  g_autoptr (GByteArray) out = sample ();
  IocSnapReader r;
  ioc_snap_reader_init (&r, out->data, out->len);
  g_assert_cmpuint (ioc_snap_get_u8 (&r), ==, 0xa5);
  g_assert_cmpuint (ioc_snap_get_u32 (&r), ==, 0x01020304);
  g_assert_cmpint (ioc_snap_get_i64 (&r), ==, -2);
  g_assert_cmpfloat (ioc_snap_get_f64 (&r), ==, 0.1);
  gdouble inf = ioc_snap_get_f64 (&r);
  g_assert_true (isinf (inf) && inf < 0);
  g_autofree gchar *s1 = ioc_snap_get_str (&r);
  g_autofree gchar *s2 = ioc_snap_get_str (&r);
  g_autofree gchar *s3 = ioc_snap_get_str (&r);
  g_assert_cmpstr (s1, ==, "Phường Thành Vinh");
  g_assert_cmpstr (s2, ==, "");
  g_assert_null (s3);
  guint32 len = 0;
  const guint8 *bytes = ioc_snap_get_bytes (&r, &len);
  g_assert_cmpuint (len, ==, 3);
  g_assert_cmpmem (bytes, 3, "\0\1\2", 3);
  g_assert_true (bytes > out->data && bytes + 3 <= out->data + out->len); /* borrowed, not copied */
  g_assert_cmpint (ioc_snap_get_i64 (&r), ==, G_MAXINT64);
  g_assert_true (ioc_snap_reader_ok (&r));
  g_assert_true (ioc_snap_reader_at_end (&r));
}

/* Snapshots outlive a build: the layout is the contract. */
static void
test_layout (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  ioc_snap_put_u32 (out, 0x01020304);
  ioc_snap_put_i64 (out, -2);
  ioc_snap_put_str (out, "ab");
  ioc_snap_put_str (out, NULL);
  ioc_snap_put_f64 (out, 1.0);
  static const guint8 want[] = {
    0x04, 0x03, 0x02, 0x01,                         /* u32 LE */
    0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* i64 LE, two's complement */
    0x02, 0x00, 0x00, 0x00, 'a',  'b',              /* u32 length + bytes, no NUL */
    0xff, 0xff, 0xff, 0xff,                         /* NULL string */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, /* 1.0 as IEEE bits, LE */
  };
  g_assert_cmpmem (out->data, out->len, want, sizeof want);
}

/* Cut the sample anywhere: the reader fails, returns zeros and NULLs from
 * then on, and says so once at the end. */
static void
test_truncated_is_sticky (void)
{
  g_autoptr (GByteArray) out = sample ();
  for (guint cut = 0; cut < out->len; cut++)
    {
      /* A copy of exactly cut bytes, so that ASan sees any read beyond. */
      g_autofree guint8 *data = g_memdup2 (out->data, cut);
      IocSnapReader r;
      ioc_snap_reader_init (&r, data, cut);
      ioc_snap_get_u8 (&r);
      ioc_snap_get_u32 (&r);
      ioc_snap_get_i64 (&r);
      ioc_snap_get_f64 (&r);
      ioc_snap_get_f64 (&r);
      g_free (ioc_snap_get_str (&r));
      g_free (ioc_snap_get_str (&r));
      g_free (ioc_snap_get_str (&r));
      guint32 len = 99;
      const guint8 *bytes = ioc_snap_get_bytes (&r, &len);
      gint64 last = ioc_snap_get_i64 (&r);
      g_assert_false (ioc_snap_reader_ok (&r));
      g_assert_false (ioc_snap_reader_at_end (&r));
      g_assert_cmpint (last, ==, 0);
      if (bytes == NULL)
        g_assert_cmpuint (len, ==, 0);
    }
}

/* A length field that claims more than is there fails, without reading. */
static void
test_corrupt_length (void)
{
  static const guint8 data[] = { 0xfe, 0xff, 0xff, 0xff, 'x' };
  IocSnapReader r;
  ioc_snap_reader_init (&r, data, sizeof data);
  g_assert_null (ioc_snap_get_str (&r));
  g_assert_false (ioc_snap_reader_ok (&r));
  ioc_snap_reader_init (&r, data, sizeof data);
  guint32 len = 0;
  g_assert_null (ioc_snap_get_bytes (&r, &len));
  g_assert_cmpuint (len, ==, 0);
  g_assert_false (ioc_snap_reader_ok (&r));
  g_assert_cmpuint (ioc_snap_get_u8 (&r), ==, 0); /* sticky */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/snapcodec/round-trip", test_round_trip);
  g_test_add_func ("/ioc/snapcodec/layout", test_layout);
  g_test_add_func ("/ioc/snapcodec/truncated-is-sticky", test_truncated_is_sticky);
  g_test_add_func ("/ioc/snapcodec/corrupt-length", test_corrupt_length);
  return g_test_run ();
}
