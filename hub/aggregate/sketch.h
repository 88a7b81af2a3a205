/* sketch.h — IocSketch: a small mergeable quantile sketch for durations in
 * seconds.
 *
 * DDSketch-style: a value v > 0 falls into the log bucket k = ceil(log_γ v)
 * with γ = (1 + α) / (1 − α), α = 1 %, and a quantile is answered with the
 * bucket's midpoint 2γ^k / (γ + 1), so every answer is within 1 % of the
 * true sample at that rank.  Two sketches merge by adding bucket counts, so
 * the province total is the merge of the units' sketches, exactly.
 *
 * Values are clamped into [0, IOC_SKETCH_MAX_VALUE]; values below
 * IOC_SKETCH_MIN_VALUE (including 0) are counted in a zero bucket and
 * answered as 0.  Buckets are stored sparsely in a sorted array that grows
 * from empty, so a minute window holding a handful of samples costs a few
 * dozen bytes; the fixed value range bounds a sketch at IOC_SKETCH_MAX_BUCKETS
 * buckets (about 9 KiB) however many samples it holds.
 *
 * Plain data, no locking: the owner's thread only. */
#pragma once

#include <glib.h>

#include "state/snapcodec.h"

G_BEGIN_DECLS

#define IOC_SKETCH_RELATIVE_ACCURACY 0.01
#define IOC_SKETCH_MIN_VALUE 1e-3 /* 1 ms: shorter durations count as 0 */
#define IOC_SKETCH_MAX_VALUE 1e7  /* s, about 115 days */
#define IOC_SKETCH_MAX_BUCKETS 1160

typedef struct _IocSketch IocSketch;

IocSketch *ioc_sketch_new (void);
void       ioc_sketch_free (IocSketch *self);
/* NaN and negative values count as 0; values above the range are clamped. */
void       ioc_sketch_add (IocSketch *self, gdouble v);
void       ioc_sketch_merge (IocSketch *into, const IocSketch *from);
/* q in [0, 1]: the estimate of the sample of rank floor(q · (count − 1)) in
 * sorted order; 0 for an empty sketch (check ioc_sketch_count first). */
gdouble    ioc_sketch_quantile (const IocSketch *self, gdouble q);
guint64    ioc_sketch_count (const IocSketch *self);
/* Heap bytes held by the sketch, its struct included. */
gsize      ioc_sketch_memory (const IocSketch *self);

void       ioc_sketch_save (const IocSketch *self, GByteArray *out);
/* (transfer full) NULL when the bytes are short or inconsistent; then the
 * reader is marked failed as well, so a caller can check once. */
IocSketch *ioc_sketch_load (IocSnapReader *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocSketch, ioc_sketch_free)

G_END_DECLS
