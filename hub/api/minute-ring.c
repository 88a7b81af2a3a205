/* minute-ring.c — see minute-ring.h. */
#include "api/minute-ring.h"

#include <string.h>

#include "aggregate/rollup.h"

/* One series.  Today's sums are cached (sums_version == version). */
typedef struct
{
  IocMeasurement m;
  guint n;                                  /* int fields of m */
  guint64 version;                          /* bumped by every point */
  guint64 sums_version;                     /* of sums[]; 0: none */
  gint32 sums_from, sums_to;                /* minutes summed */
  gint64 sums[IOC_MAX_INT_FIELDS];
  gint32 minute[IOC_MINUTE_RING_MINUTES];   /* minute index since the epoch; 0: empty */
  gint32 vals[];                            /* IOC_MINUTE_RING_MINUTES × n */
} Series;

struct _IocMinuteRing
{
  GHashTable *series; /* "m|unit|channel" → Series* */
  guint max_series;
};

IocMinuteRing *
ioc_minute_ring_new (guint max_series)
{
  IocMinuteRing *self = g_new0 (IocMinuteRing, 1);
  self->series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->max_series = max_series;
  return self;
}

void
ioc_minute_ring_free (IocMinuteRing *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->series);
  g_free (self);
}

guint
ioc_minute_ring_n_series (IocMinuteRing *self)
{
  return g_hash_table_size (self->series);
}

/* The series, or NULL: not there (and !create), or no room for it (*full). */
static Series *
series_get (IocMinuteRing *self, IocMeasurement m, const gchar *unit, guint channel, gboolean create,
            gboolean *full)
{
  gchar key[160];
  if (g_snprintf (key, sizeof key, "%d|%s|%u", (gint) m, unit, channel) >= (gint) sizeof key)
    return NULL; /* registry codes are short; such a code has no series */
  Series *s = g_hash_table_lookup (self->series, key);
  if (s != NULL || !create)
    return s;
  if (g_hash_table_size (self->series) >= self->max_series)
    {
      *full = TRUE;
      return NULL;
    }
  guint n = ioc_measurement_n_ints (m);
  s = g_malloc0 (sizeof (Series) + sizeof (gint32) * IOC_MINUTE_RING_MINUTES * n);
  s->m = m;
  s->n = n;
  s->version = 1;
  g_hash_table_insert (self->series, g_strdup (key), s);
  return s;
}

gboolean
ioc_minute_ring_add (IocMinuteRing *self, const IocPoint *point)
{
  gboolean full = FALSE;
  Series *s = series_get (self, point->measurement, point->unit, point->channel, TRUE, &full);
  if (s == NULL)
    return !full;
  gint32 minute = (gint32) (point->ts_us / G_TIME_SPAN_MINUTE);
  guint slot = (guint) (minute % IOC_MINUTE_RING_MINUTES);
  if (s->minute[slot] > minute)
    return TRUE;
  s->minute[slot] = minute;
  for (guint f = 0; f < s->n; f++)
    s->vals[slot * s->n + f] = (gint32) CLAMP (point->ints[f], G_MININT32, G_MAXINT32);
  s->version++;
  return TRUE;
}

gboolean
ioc_minute_ring_value (IocMinuteRing *self, IocMeasurement m, const gchar *unit, gint channel, guint f,
                       gint32 minute, gint64 *out)
{
  gboolean any = FALSE;
  gint64 sum = 0;
  for (guint ch = 0; ch <= IOC_ROLLUP_MAX_CHANNEL; ch++)
    {
      if (channel >= 0 && (guint) channel != ch)
        continue;
      Series *s = series_get (self, m, unit, ch, FALSE, NULL);
      if (s == NULL || f >= s->n)
        continue;
      guint slot = (guint) (minute % IOC_MINUTE_RING_MINUTES);
      if (s->minute[slot] != minute)
        continue;
      sum += s->vals[slot * s->n + f];
      any = TRUE;
    }
  *out = sum;
  return any;
}

void
ioc_minute_ring_sums (IocMinuteRing *self, IocMeasurement m, const gchar *unit, gint32 from_minute,
                      gint32 to_minute, gint64 *out)
{
  guint n = ioc_measurement_n_ints (m);
  memset (out, 0, sizeof (gint64) * n);
  for (guint ch = 0; ch <= IOC_ROLLUP_MAX_CHANNEL; ch++)
    {
      Series *s = series_get (self, m, unit, ch, FALSE, NULL);
      if (s == NULL)
        continue;
      if (s->sums_version != s->version || s->sums_from != from_minute || s->sums_to != to_minute)
        {
          memset (s->sums, 0, sizeof s->sums);
          for (guint i = 0; i < IOC_MINUTE_RING_MINUTES; i++)
            if (s->minute[i] >= from_minute && s->minute[i] <= to_minute)
              for (guint f = 0; f < s->n; f++)
                s->sums[f] += s->vals[i * s->n + f];
          s->sums_version = s->version;
          s->sums_from = from_minute;
          s->sums_to = to_minute;
        }
      for (guint f = 0; f < n && f < s->n; f++)
        out[f] += s->sums[f];
    }
}
