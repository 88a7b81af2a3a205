/* minute-ring.c — see minute-ring.h. */
#include "api/minute-ring.h"

#include <string.h>

#include "hub.h" /* IOC_HUB_MAX_CHANNEL */

/* The minutes first .. first + block_minutes - 1 of one series; bit i of
 * held says minute first + i has a point (a block has at most 60). */
typedef struct
{
  gint32 first;
  guint64 held;
  gint32 vals[]; /* block_minutes × the series' n */
} Block;

typedef struct
{
  IocMeasurement m;
  guint n;         /* int fields of m */
  guint n_held;    /* blocks allocated */
  gsize cost;      /* of the series itself, as counted in the ring's bytes */
  Block *blocks[]; /* slot (first / block_minutes) mod the ring's n_blocks */
} Series;

struct _IocMinuteRing
{
  GHashTable *series; /* "m|unit|channel" → Series* */
  guint minutes;
  guint block_minutes;
  guint n_blocks; /* enough that the last `minutes` minutes are all held */
  gsize bytes;
  gsize max_bytes;
};

/* What a hash table entry, and the allocator's header of a chunk, cost
 * beside the payload: counted, so that max_bytes bounds the memory the ring
 * takes and not only its arrays. */
#define ENTRY_OVERHEAD 48
#define CHUNK_OVERHEAD 16

static gint32
floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;
  return (gint32) ((a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q);
}

static gsize
block_size (const IocMinuteRing *self, guint n)
{
  return sizeof (Block) + sizeof (gint32) * self->block_minutes * n;
}

static gsize
block_cost (const IocMinuteRing *self, guint n)
{
  return block_size (self, n) + CHUNK_OVERHEAD;
}

IocMinuteRing *
ioc_minute_ring_new (guint minutes, gsize max_bytes)
{
  g_return_val_if_fail (minutes >= IOC_MINUTE_RING_MIN_MINUTES && minutes <= IOC_MINUTE_RING_MAX_MINUTES, NULL);
  IocMinuteRing *self = g_new0 (IocMinuteRing, 1);
  self->series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->minutes = minutes;
  self->block_minutes = MIN (60, minutes);
  /* The block the newest minute is in, plus enough whole blocks behind it. */
  self->n_blocks = (minutes + self->block_minutes - 1) / self->block_minutes + 1;
  self->max_bytes = max_bytes;
  return self;
}

void
ioc_minute_ring_free (IocMinuteRing *self)
{
  if (self == NULL)
    return;
  ioc_minute_ring_expire (self, G_MAXINT32); /* every block is past that */
  g_hash_table_unref (self->series);
  g_free (self);
}

guint
ioc_minute_ring_n_series (IocMinuteRing *self)
{
  return g_hash_table_size (self->series);
}

gsize
ioc_minute_ring_bytes (IocMinuteRing *self)
{
  return self->bytes;
}

/* FALSE when the key would not fit: registry codes are short, and such a
 * code has no series. */
static gboolean
series_key (gchar *key, gsize size, IocMeasurement m, const gchar *unit, guint channel)
{
  return g_snprintf (key, size, "%d|%s|%u", (gint) m, unit, channel) < (gint) size;
}

static Series *
series_lookup (IocMinuteRing *self, IocMeasurement m, const gchar *unit, guint channel)
{
  gchar key[160];
  if (!series_key (key, sizeof key, m, unit, channel))
    return NULL;
  return g_hash_table_lookup (self->series, key);
}

gboolean
ioc_minute_ring_add (IocMinuteRing *self, const IocPoint *point)
{
  gchar key[160];
  if (!series_key (key, sizeof key, point->measurement, point->unit, point->channel))
    return TRUE;
  guint n = ioc_measurement_n_ints (point->measurement);
  gsize new_block = block_cost (self, n);
  Series *s = g_hash_table_lookup (self->series, key);
  if (s == NULL)
    {
      gsize cost = sizeof (Series) + sizeof (Block *) * self->n_blocks + strlen (key) + 1 + ENTRY_OVERHEAD;
      if (self->bytes + cost + new_block > self->max_bytes)
        return FALSE;
      s = g_malloc0 (sizeof (Series) + sizeof (Block *) * self->n_blocks);
      s->m = point->measurement;
      s->n = n;
      s->cost = cost;
      self->bytes += cost;
      g_hash_table_insert (self->series, g_strdup (key), s);
    }
  gint32 minute = floor_div (point->ts_us, G_TIME_SPAN_MINUTE);
  gint32 index = floor_div (minute, self->block_minutes);
  gint32 first = index * (gint32) self->block_minutes;
  guint slot = (guint) (index - floor_div (index, self->n_blocks) * (gint32) self->n_blocks);
  Block *b = s->blocks[slot];
  if (b == NULL)
    {
      /* A series just made always has room for its first block (checked
       * with it), so a refusal here never leaves an empty series behind. */
      if (self->bytes + new_block > self->max_bytes)
        return FALSE;
      b = s->blocks[slot] = g_malloc (block_size (self, n));
      b->first = first;
      b->held = 0;
      s->n_held++;
      self->bytes += new_block;
    }
  else if (b->first < first)
    {
      b->first = first; /* the ring came round: this block's minutes are past */
      b->held = 0;
    }
  else if (b->first > first)
    return TRUE; /* older than what the ring holds */
  guint i = (guint) (minute - first);
  for (guint f = 0; f < n; f++)
    b->vals[i * n + f] = (gint32) CLAMP (point->ints[f], G_MININT32, G_MAXINT32);
  b->held |= G_GUINT64_CONSTANT (1) << i;
  return TRUE;
}

gboolean
ioc_minute_ring_value (IocMinuteRing *self, IocMeasurement m, const gchar *unit, gint channel, guint f,
                       gint32 minute, gint64 *out)
{
  gboolean any = FALSE;
  gint64 sum = 0;
  gint32 index = floor_div (minute, self->block_minutes);
  gint32 first = index * (gint32) self->block_minutes;
  guint slot = (guint) (index - floor_div (index, self->n_blocks) * (gint32) self->n_blocks);
  guint i = (guint) (minute - first);
  for (guint ch = 0; ch <= IOC_HUB_MAX_CHANNEL; ch++)
    {
      if (channel >= 0 && (guint) channel != ch)
        continue;
      Series *s = series_lookup (self, m, unit, ch);
      if (s == NULL || f >= s->n)
        continue;
      const Block *b = s->blocks[slot];
      if (b == NULL || b->first != first || !(b->held & (G_GUINT64_CONSTANT (1) << i)))
        continue;
      sum += b->vals[i * s->n + f];
      any = TRUE;
    }
  *out = sum;
  return any;
}

void
ioc_minute_ring_expire (IocMinuteRing *self, gint32 now_minute)
{
  gint32 oldest = now_minute - (gint32) self->minutes;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->series);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Series *s = value;
      for (guint i = 0; i < self->n_blocks; i++)
        if (s->blocks[i] != NULL && s->blocks[i]->first + (gint32) self->block_minutes <= oldest)
          {
            g_clear_pointer (&s->blocks[i], g_free);
            self->bytes -= block_cost (self, s->n);
            s->n_held--;
          }
      if (s->n_held == 0)
        {
          self->bytes -= s->cost;
          g_hash_table_iter_remove (&it);
          g_free (s);
        }
    }
}
