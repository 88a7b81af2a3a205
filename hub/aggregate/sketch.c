/* sketch.c — the mergeable quantile sketch behind the wait and service
 * percentiles of ioc_queue (SPEC §5–§6).  Owned by the rollup: one sketch per
 * minute window and duration field, for each unit and for unit=all, which is
 * the merge of the units'.  Pure data structure; it runs on whatever thread
 * owns the sketch (the main context in the hub).
 *
 * Why a sketch and not stored samples: a busy provincial centre calls
 * hundreds of tickets an hour, and the province total over a day would need
 * every sample; log buckets bound the relative error at 1 % in bounded
 * memory, and adding bucket counts merges units exactly (stored-sample
 * percentiles do not merge at all). */
#include "aggregate/sketch.h"

#include <math.h>
#include <string.h>

typedef struct
{
  gint32 key;
  guint32 count; /* saturates at G_MAXUINT32: 4e9 samples in one 2 % bucket */
} IocSketchBucket;

struct _IocSketch
{
  guint64 count;      /* exact number of samples, zero bucket included */
  guint64 zero_count; /* samples below IOC_SKETCH_MIN_VALUE */
  guint32 n_buckets;
  guint32 cap_buckets;
  IocSketchBucket *buckets; /* sorted by key, n_buckets used */
};

/* ln γ and the key range, computed once from the constants. */
static gdouble
sketch_ln_gamma (void)
{
  static gdouble ln_gamma;
  if (ln_gamma == 0)
    ln_gamma = log ((1 + IOC_SKETCH_RELATIVE_ACCURACY) / (1 - IOC_SKETCH_RELATIVE_ACCURACY));
  return ln_gamma;
}

static gint32
sketch_key (gdouble v)
{
  return (gint32) ceil (log (v) / sketch_ln_gamma ());
}

static gint32
sketch_min_key (void)
{
  return sketch_key (IOC_SKETCH_MIN_VALUE);
}

static gint32
sketch_max_key (void)
{
  return sketch_key (IOC_SKETCH_MAX_VALUE);
}

/* The value that answers for bucket k: equidistant (relatively) from both
 * edges γ^(k−1) and γ^k, hence within α of any value in the bucket. */
static gdouble
sketch_value (gint32 key)
{
  gdouble gamma = exp (sketch_ln_gamma ());
  return 2.0 * exp (key * sketch_ln_gamma ()) / (gamma + 1.0);
}

IocSketch *
ioc_sketch_new (void)
{
  return g_new0 (IocSketch, 1);
}

void
ioc_sketch_free (IocSketch *self)
{
  if (self == NULL)
    return;
  g_free (self->buckets);
  g_free (self);
}

static void
sketch_reserve (IocSketch *self, guint32 n)
{
  if (n <= self->cap_buckets)
    return;
  /* Start small (most minute windows hold a few samples), then double. */
  guint32 cap = self->cap_buckets ? self->cap_buckets : 2;
  while (cap < n)
    cap *= 2;
  cap = MIN (cap, (guint32) IOC_SKETCH_MAX_BUCKETS);
  g_assert (cap >= n);
  self->buckets = g_renew (IocSketchBucket, self->buckets, cap);
  self->cap_buckets = cap;
}

static guint32
saturating_add (guint32 a, guint64 b)
{
  guint64 s = (guint64) a + b;
  return s > G_MAXUINT32 ? G_MAXUINT32 : (guint32) s;
}

static void
sketch_add_to_bucket (IocSketch *self, gint32 key, guint64 n)
{
  guint32 lo = 0, hi = self->n_buckets;
  /* Samples of one window cluster, so the last bucket is a common hit. */
  if (hi > 0 && self->buckets[hi - 1].key < key)
    lo = hi;
  while (lo < hi)
    {
      guint32 mid = lo + (hi - lo) / 2;
      if (self->buckets[mid].key < key)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo < self->n_buckets && self->buckets[lo].key == key)
    {
      self->buckets[lo].count = saturating_add (self->buckets[lo].count, n);
      return;
    }
  sketch_reserve (self, self->n_buckets + 1);
  memmove (&self->buckets[lo + 1], &self->buckets[lo],
           (self->n_buckets - lo) * sizeof (IocSketchBucket));
  self->buckets[lo].key = key;
  self->buckets[lo].count = saturating_add (0, n);
  self->n_buckets++;
}

void
ioc_sketch_add (IocSketch *self, gdouble v)
{
  g_return_if_fail (self != NULL);
  self->count++;
  /* !(v >= min) also catches NaN: a broken duration must not poison the
   * percentile, and validation upstream already rejects negative ones. */
  if (!(v >= IOC_SKETCH_MIN_VALUE))
    {
      self->zero_count++;
      return;
    }
  if (v > IOC_SKETCH_MAX_VALUE)
    v = IOC_SKETCH_MAX_VALUE;
  sketch_add_to_bucket (self, sketch_key (v), 1);
}

void
ioc_sketch_merge (IocSketch *into, const IocSketch *from)
{
  g_return_if_fail (into != NULL && from != NULL && into != from);
  into->count += from->count;
  into->zero_count += from->zero_count;
  if (from->n_buckets == 0)
    return;
  if (into->n_buckets == 0)
    {
      sketch_reserve (into, from->n_buckets);
      memcpy (into->buckets, from->buckets, from->n_buckets * sizeof (IocSketchBucket));
      into->n_buckets = from->n_buckets;
      return;
    }

  /* Merge the two sorted arrays from the back, in place: the union has at
   * most n_into + n_from distinct keys, so reserve that, count the distinct
   * keys, then fill from the end downwards. */
  guint32 na = into->n_buckets, nb = from->n_buckets, distinct = 0;
  for (guint32 i = 0, j = 0; i < na || j < nb; distinct++)
    {
      if (j == nb || (i < na && into->buckets[i].key < from->buckets[j].key))
        i++;
      else if (i == na || from->buckets[j].key < into->buckets[i].key)
        j++;
      else
        i++, j++;
    }
  sketch_reserve (into, distinct);
  gint64 i = (gint64) na - 1, j = (gint64) nb - 1, out = (gint64) distinct - 1;
  while (j >= 0)
    {
      if (i >= 0 && into->buckets[i].key > from->buckets[j].key)
        into->buckets[out--] = into->buckets[i--];
      else if (i >= 0 && into->buckets[i].key == from->buckets[j].key)
        {
          IocSketchBucket b = into->buckets[i--];
          b.count = saturating_add (b.count, from->buckets[j--].count);
          into->buckets[out--] = b;
        }
      else
        into->buckets[out--] = from->buckets[j--];
    }
  /* The rest of `into` is already in place (out == i here). */
  g_assert (out == i);
  into->n_buckets = distinct;
}

gdouble
ioc_sketch_quantile (const IocSketch *self, gdouble q)
{
  g_return_val_if_fail (self != NULL, 0);
  if (self->count == 0)
    return 0;
  q = CLAMP (q, 0.0, 1.0);
  guint64 rank = (guint64) floor (q * (gdouble) (self->count - 1));
  if (rank < self->zero_count)
    return 0;
  guint64 seen = self->zero_count;
  for (guint32 i = 0; i < self->n_buckets; i++)
    {
      seen += self->buckets[i].count;
      if (seen > rank)
        return sketch_value (self->buckets[i].key);
    }
  /* Only reachable when a bucket count saturated. */
  return sketch_value (self->buckets[self->n_buckets - 1].key);
}

guint64
ioc_sketch_count (const IocSketch *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->count;
}

gsize
ioc_sketch_memory (const IocSketch *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return sizeof (IocSketch) + self->cap_buckets * sizeof (IocSketchBucket);
}

void
ioc_sketch_save (const IocSketch *self, GByteArray *out)
{
  g_return_if_fail (self != NULL && out != NULL);
  ioc_snap_put_i64 (out, (gint64) self->count);
  ioc_snap_put_i64 (out, (gint64) self->zero_count);
  ioc_snap_put_u32 (out, self->n_buckets);
  for (guint32 i = 0; i < self->n_buckets; i++)
    {
      ioc_snap_put_u32 (out, (guint32) self->buckets[i].key);
      ioc_snap_put_u32 (out, self->buckets[i].count);
    }
}

IocSketch *
ioc_sketch_load (IocSnapReader *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  g_autoptr (IocSketch) self = ioc_sketch_new ();
  self->count = (guint64) ioc_snap_get_i64 (r);
  self->zero_count = (guint64) ioc_snap_get_i64 (r);
  guint32 n = ioc_snap_get_u32 (r);
  if (!ioc_snap_reader_ok (r) || n > IOC_SKETCH_MAX_BUCKETS || self->zero_count > self->count)
    {
      r->failed = TRUE;
      return NULL;
    }
  sketch_reserve (self, n);
  guint64 total = self->zero_count;
  gint32 min_key = sketch_min_key (), max_key = sketch_max_key ();
  for (guint32 i = 0; i < n; i++)
    {
      gint32 key = (gint32) ioc_snap_get_u32 (r);
      guint32 count = ioc_snap_get_u32 (r);
      /* Keys strictly increasing and inside the value range, counts > 0:
       * anything else is a corrupt snapshot, not a sketch. */
      if (!ioc_snap_reader_ok (r) || key < min_key || key > max_key || count == 0
          || (i > 0 && key <= self->buckets[i - 1].key))
        {
          r->failed = TRUE;
          return NULL;
        }
      self->buckets[i].key = key;
      self->buckets[i].count = count;
      self->n_buckets++;
      total += count;
    }
  /* Saturated buckets make the sum short of count, never above it. */
  if (total > self->count)
    {
      r->failed = TRUE;
      return NULL;
    }
  return g_steal_pointer (&self);
}
