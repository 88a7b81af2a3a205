/* test-sketch.c — the sketch behind the wait/service percentiles:
 * relative error bound against exact quantiles, exact merge, snapshot. */
#include <math.h>
#include <string.h>

#include "aggregate/sketch.h"

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return (x > y) - (x < y);
}

typedef struct
{
  const gchar *name;
  guint n;
  gdouble lo, hi; /* log-uniform range of the samples, s */
} DistCase;

static const DistCase dist_cases[] = {
  { "one", 1, 30, 30 },
  { "few-waits", 7, 5, 900 },
  { "minute-of-calls", 60, 1, 3600 },
  { "wide", 20000, 0.01, 1e6 },
  { "narrow", 5000, 100, 101 },
};

/* Every asked quantile is within 1 % of the exact sample of that rank. */
static void
test_error_bound (gconstpointer data)
{
  const DistCase *c = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autofree gdouble *v = g_new (gdouble, c->n);
  g_autoptr (IocSketch) sk = ioc_sketch_new ();
  for (guint i = 0; i < c->n; i++)
    {
      v[i] = c->lo * exp (g_rand_double (rand) * log (c->hi / c->lo));
      ioc_sketch_add (sk, v[i]);
    }
  qsort (v, c->n, sizeof *v, cmp_double);
  g_assert_cmpuint (ioc_sketch_count (sk), ==, c->n);
  static const gdouble qs[] = { 0, 0.1, 0.25, 0.5, 0.9, 0.99, 1 };
  for (guint i = 0; i < G_N_ELEMENTS (qs); i++)
    {
      gdouble exact = v[(guint) floor (qs[i] * (c->n - 1))];
      gdouble got = ioc_sketch_quantile (sk, qs[i]);
      g_assert_cmpfloat (fabs (got - exact), <=, IOC_SKETCH_RELATIVE_ACCURACY * exact + 1e-12);
    }
}

static void
test_zero_and_clamp (void)
{
  g_autoptr (IocSketch) sk = ioc_sketch_new ();
  g_assert_cmpfloat (ioc_sketch_quantile (sk, 0.5), ==, 0);
  ioc_sketch_add (sk, 0);
  ioc_sketch_add (sk, 0);
  ioc_sketch_add (sk, -3);  /* broken input counts as 0, not as garbage */
  ioc_sketch_add (sk, NAN);
  ioc_sketch_add (sk, 1e12); /* clamped to the top of the range */
  g_assert_cmpuint (ioc_sketch_count (sk), ==, 5);
  g_assert_cmpfloat (ioc_sketch_quantile (sk, 0.5), ==, 0);
  g_assert_cmpfloat (fabs (ioc_sketch_quantile (sk, 1) - IOC_SKETCH_MAX_VALUE), <=,
                     IOC_SKETCH_RELATIVE_ACCURACY * IOC_SKETCH_MAX_VALUE);
}

/* merge(a, b) answers exactly like the sketch of a ∪ b, whatever the split. */
static void
test_merge_equals_union (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  for (guint round = 0; round < 20; round++)
    {
      g_autoptr (IocSketch) a = ioc_sketch_new ();
      g_autoptr (IocSketch) b = ioc_sketch_new ();
      g_autoptr (IocSketch) u = ioc_sketch_new ();
      guint na = g_rand_int_range (rand, 0, 50), nb = g_rand_int_range (rand, 0, 500);
      for (guint i = 0; i < na + nb; i++)
        {
          gdouble v = g_rand_int_range (rand, 0, 4) == 0 ? 0 : exp (g_rand_double_range (rand, -3, 12));
          ioc_sketch_add (i < na ? a : b, v);
          ioc_sketch_add (u, v);
        }
      ioc_sketch_merge (a, b);
      g_assert_cmpuint (ioc_sketch_count (a), ==, ioc_sketch_count (u));
      for (gdouble q = 0; q <= 1.0; q += 0.01)
        g_assert_cmpfloat (ioc_sketch_quantile (a, q), ==, ioc_sketch_quantile (u, q));
      g_autoptr (GByteArray) sa = g_byte_array_new ();
      g_autoptr (GByteArray) su = g_byte_array_new ();
      ioc_sketch_save (a, sa);
      ioc_sketch_save (u, su);
      g_assert_cmpmem (sa->data, sa->len, su->data, su->len);
    }
}

static void
test_save_load (void)
{
  g_autoptr (IocSketch) sk = ioc_sketch_new ();
  for (guint i = 0; i < 300; i++)
    ioc_sketch_add (sk, i * 1.7);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  ioc_sketch_save (sk, out);

  IocSnapReader r;
  ioc_snap_reader_init (&r, out->data, out->len);
  g_autoptr (IocSketch) back = ioc_sketch_load (&r);
  g_assert_nonnull (back);
  g_assert_true (ioc_snap_reader_at_end (&r));
  g_assert_cmpuint (ioc_sketch_count (back), ==, 300);
  g_assert_cmpfloat (ioc_sketch_quantile (back, 0.9), ==, ioc_sketch_quantile (sk, 0.9));

  /* Every truncation is refused, never half-loaded. */
  for (guint len = 0; len < out->len; len++)
    {
      ioc_snap_reader_init (&r, out->data, len);
      IocSketch *bad = ioc_sketch_load (&r);
      g_assert_null (bad);
      g_assert_false (ioc_snap_reader_ok (&r));
    }
  /* Keys out of order are corrupt. */
  g_autoptr (IocSketch) two = ioc_sketch_new ();
  ioc_sketch_add (two, 1);
  ioc_sketch_add (two, 100);
  g_autoptr (GByteArray) o2 = g_byte_array_new ();
  ioc_sketch_save (two, o2);
  guint8 tmp[8];
  memcpy (tmp, o2->data + 20, 8);
  memcpy (o2->data + 20, o2->data + 28, 8);
  memcpy (o2->data + 28, tmp, 8);
  ioc_snap_reader_init (&r, o2->data, o2->len);
  g_assert_null (ioc_sketch_load (&r));
}

/* A minute window with a few samples stays small; any sketch is bounded. */
static void
test_memory (void)
{
  g_autoptr (IocSketch) sk = ioc_sketch_new ();
  gsize empty = ioc_sketch_memory (sk);
  for (guint i = 0; i < 3; i++)
    ioc_sketch_add (sk, 60 + 40 * i);
  g_assert_cmpuint (ioc_sketch_memory (sk), <=, empty + 4 * 8);
  for (guint i = 0; i < 200000; i++)
    ioc_sketch_add (sk, 1e-3 * pow (1.0001, i));
  g_assert_cmpuint (ioc_sketch_memory (sk), <=, empty + IOC_SKETCH_MAX_BUCKETS * 8);
  g_assert_cmpuint (ioc_sketch_count (sk), ==, 200003);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (dist_cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/ioc/sketch/error-bound/%s", dist_cases[i].name);
      g_test_add_data_func (path, &dist_cases[i], test_error_bound);
    }
  g_test_add_func ("/ioc/sketch/zero-and-clamp", test_zero_and_clamp);
  g_test_add_func ("/ioc/sketch/merge-equals-union", test_merge_equals_union);
  g_test_add_func ("/ioc/sketch/save-load", test_save_load);
  g_test_add_func ("/ioc/sketch/memory", test_memory);
  return g_test_run ();
}
