/* calendar.c — the working calendar: weekly rest days, office hours, public
 * holidays and make-up working days, read from GKeyFile files (ops/calendar/).
 *
 * Model layer, below the dossier tracker: the tracker turns a statutory time
 * ("3 ngày làm việc") into a deadline and measures supplement pauses in
 * working time with these functions (SPEC §5: "deadlines count working days
 * and hours from a calendar file").  Loaded on the main context at start-up
 * and on config reload; afterwards immutable, so pure and thread-safe.
 *
 * Vietnam-local conversions (UTC+7, no DST) live here, privately, so that the
 * model layer does not depend on protocol/ioc-time. */
#include "model/calendar.h"

#include <stdio.h>
#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-keyfile.h"

#define VN_OFFSET_US (G_GINT64_CONSTANT (7) * 3600 * G_USEC_PER_SEC)
#define DAY_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)
#define MAX_BLOCKS 8
/* A deadline search that finds no working time within this many days means
 * a broken calendar; load refuses calendars without a working weekday, so
 * this bound only stops a runaway loop. */
#define MAX_SCAN_DAYS (366 * 30)
/* A holiday range longer than this is a typo, not a holiday. */
#define MAX_RANGE_DAYS 31

typedef struct
{
  gboolean is_working; /* TRUE: make-up working day; FALSE: holiday */
  gchar *name;
  gchar *file;
} SpecialDay;

struct _IocCalendar
{
  guint8 weekend_mask; /* bit i set: weekday i (0 = Monday) is a rest day */
  guint n_blocks;
  gint64 block_start_us[MAX_BLOCKS]; /* offsets from local midnight */
  gint64 block_end_us[MAX_BLOCKS];
  gint64 day_us;        /* sum of the blocks */
  GHashTable *special;  /* GINT_TO_POINTER (day) → SpecialDay* */
};

static void
special_day_free (gpointer p)
{
  SpecialDay *s = p;
  g_free (s->name);
  g_free (s->file);
  g_free (s);
}

/* Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian). */
gint32
ioc_calendar_date_to_day (gint y, gint m, gint d)
{
  y -= m <= 2;
  const gint era = (y >= 0 ? y : y - 399) / 400;
  const gint yoe = y - era * 400;
  const gint doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const gint doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void
ioc_calendar_day_to_date (gint32 z, gint *year, gint *month, gint *mday)
{
  z += 719468;
  const gint era = (z >= 0 ? z : z - 146096) / 146097;
  const gint doe = z - era * 146097;
  const gint yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const gint doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const gint mp = (5 * doy + 2) / 153;
  const gint d = doy - (153 * mp + 2) / 5 + 1;
  const gint m = mp < 10 ? mp + 3 : mp - 9;
  if (year != NULL)
    *year = yoe + era * 400 + (m <= 2);
  if (month != NULL)
    *month = m;
  if (mday != NULL)
    *mday = d;
}

gint32
ioc_calendar_day_of (gint64 us)
{
  gint64 l = us + VN_OFFSET_US;
  gint64 q = l / DAY_US;
  if (l % DAY_US < 0)
    q--;
  return (gint32) q;
}

gint64
ioc_calendar_day_start (gint32 day)
{
  return (gint64) day * DAY_US - VN_OFFSET_US;
}

static guint
weekday_of_day (gint32 day)
{
  /* 1970-01-01 was a Thursday (3 when Monday is 0). */
  gint w = (day + 3) % 7;
  return (guint) (w < 0 ? w + 7 : w);
}

gboolean
ioc_calendar_is_working_day_n (const IocCalendar *self, gint32 day)
{
  g_return_val_if_fail (self != NULL, FALSE);
  const SpecialDay *s = g_hash_table_lookup (self->special, GINT_TO_POINTER (day));
  if (s != NULL)
    return s->is_working;
  return (self->weekend_mask & (1u << weekday_of_day (day))) == 0;
}

gboolean
ioc_calendar_is_working_day (const IocCalendar *self, gint year, gint month, gint day)
{
  return ioc_calendar_is_working_day_n (self, ioc_calendar_date_to_day (year, month, day));
}

const gchar *
ioc_calendar_day_name (const IocCalendar *self, gint year, gint month, gint day)
{
  g_return_val_if_fail (self != NULL, NULL);
  const SpecialDay *s = g_hash_table_lookup (self->special,
                                             GINT_TO_POINTER (ioc_calendar_date_to_day (year, month, day)));
  return s != NULL ? s->name : NULL;
}

gboolean
ioc_calendar_is_working_time (const IocCalendar *self, gint64 us)
{
  g_return_val_if_fail (self != NULL, FALSE);
  gint32 day = ioc_calendar_day_of (us);
  if (!ioc_calendar_is_working_day_n (self, day))
    return FALSE;
  gint64 tod = us - ioc_calendar_day_start (day);
  for (guint i = 0; i < self->n_blocks; i++)
    if (tod >= self->block_start_us[i] && tod < self->block_end_us[i])
      return TRUE;
  return FALSE;
}

gint64
ioc_calendar_working_day_us (const IocCalendar *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->day_us;
}

gint64
ioc_calendar_day_work_end (const IocCalendar *self, gint32 day)
{
  g_return_val_if_fail (self != NULL, 0);
  return ioc_calendar_day_start (day) + self->block_end_us[self->n_blocks - 1];
}

gint32
ioc_calendar_next_working_day (const IocCalendar *self, gint32 day)
{
  g_return_val_if_fail (self != NULL, day);
  for (gint i = 0; i < MAX_SCAN_DAYS; i++, day++)
    if (ioc_calendar_is_working_day_n (self, day))
      return day;
  return day;
}

gint64
ioc_calendar_add_working_us (const IocCalendar *self, gint64 from_us, gint64 us)
{
  g_return_val_if_fail (self != NULL, from_us);
  if (us <= 0)
    return from_us;
  gint32 day = ioc_calendar_day_of (from_us);
  gint64 tod = from_us - ioc_calendar_day_start (day);
  gint64 left = us;
  for (gint n = 0; n < MAX_SCAN_DAYS; n++, day++, tod = 0)
    {
      if (!ioc_calendar_is_working_day_n (self, day))
        continue;
      /* Whole working days at once: the common case for long deadlines. */
      if (tod == 0 && left > self->day_us)
        {
          left -= self->day_us;
          continue;
        }
      for (guint i = 0; i < self->n_blocks; i++)
        {
          if (tod >= self->block_end_us[i])
            continue;
          gint64 start = MAX (tod, self->block_start_us[i]);
          gint64 avail = self->block_end_us[i] - start;
          if (left <= avail)
            return ioc_calendar_day_start (day) + start + left;
          left -= avail;
        }
    }
  return G_MAXINT64;
}

gint64
ioc_calendar_add_working_days (const IocCalendar *self, gint64 from_us, gint days)
{
  g_return_val_if_fail (self != NULL, from_us);
  if (days <= 0)
    return from_us;
  return ioc_calendar_add_working_us (self, from_us, (gint64) days * self->day_us);
}

gint64
ioc_calendar_add_working_hours (const IocCalendar *self, gint64 from_us, gdouble hours)
{
  g_return_val_if_fail (self != NULL, from_us);
  if (!(hours > 0))
    return from_us;
  return ioc_calendar_add_working_us (self, from_us, (gint64) (hours * 3600.0 * G_USEC_PER_SEC + 0.5));
}

gint64
ioc_calendar_working_us_between (const IocCalendar *self, gint64 a_us, gint64 b_us)
{
  g_return_val_if_fail (self != NULL, 0);
  if (b_us <= a_us)
    return 0;
  gint64 total = 0;
  gint32 last = ioc_calendar_day_of (b_us - 1);
  for (gint32 day = ioc_calendar_day_of (a_us); day <= last; day++)
    {
      if (!ioc_calendar_is_working_day_n (self, day))
        continue;
      gint64 d0 = ioc_calendar_day_start (day);
      for (guint i = 0; i < self->n_blocks; i++)
        {
          gint64 s = MAX (a_us, d0 + self->block_start_us[i]);
          gint64 e = MIN (b_us, d0 + self->block_end_us[i]);
          if (e > s)
            total += e - s;
        }
    }
  return total;
}

gint64
ioc_calendar_working_seconds_between (const IocCalendar *self, gint64 a_us, gint64 b_us)
{
  return ioc_calendar_working_us_between (self, a_us, b_us) / G_USEC_PER_SEC;
}

void
ioc_calendar_free (IocCalendar *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->special);
  g_free (self);
}

/* Parsing. */

static gboolean
parse_date (const gchar *s, gint32 *out)
{
  gint y, m, d;
  gchar tail;
  for (guint i = 0; i < 10 && s[i] != '\0'; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (s[i]))
      return FALSE;
  if (strlen (s) != 10 || sscanf (s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return FALSE;
  if (s[4] != '-' || s[7] != '-' || y < 1970 || y > 2199 || m < 1 || m > 12 || d < 1 ||
      d > g_date_get_days_in_month ((GDateMonth) m, (GDateYear) y))
    return FALSE;
  *out = ioc_calendar_date_to_day (y, m, d);
  return TRUE;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD". */
static gboolean
parse_date_key (const gchar *key, gint32 *first, gint32 *last)
{
  const gchar *dots = strstr (key, "..");
  if (dots == NULL)
    {
      if (!parse_date (key, first))
        return FALSE;
      *last = *first;
      return TRUE;
    }
  g_autofree gchar *a = g_strndup (key, (gsize) (dots - key));
  return parse_date (a, first) && parse_date (dots + 2, last) && *last >= *first &&
         *last - *first < MAX_RANGE_DAYS;
}

static gboolean
parse_hhmm (const gchar *s, gint64 *out_us)
{
  gint h, m;
  gchar tail;
  if (strlen (s) != 5 || !g_ascii_isdigit (s[0]) || !g_ascii_isdigit (s[1]) ||
      !g_ascii_isdigit (s[3]) || !g_ascii_isdigit (s[4]) || s[2] != ':' || sscanf (s, "%2d:%2d%c", &h, &m, &tail) != 2)
    return FALSE;
  if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0))
    return FALSE;
  *out_us = ((gint64) h * 3600 + m * 60) * G_USEC_PER_SEC;
  return TRUE;
}

static gboolean
parse_hours (IocCalendar *self, const gchar *text)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  guint n = 0;
  gint64 prev_end = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_auto (GStrv) se = g_strsplit (g_strstrip (parts[i]), "-", -1);
      gint64 s, e;
      if (n == MAX_BLOCKS || g_strv_length (se) != 2 || !parse_hhmm (g_strstrip (se[0]), &s) ||
          !parse_hhmm (g_strstrip (se[1]), &e) || e <= s || s < prev_end)
        return FALSE;
      self->block_start_us[n] = s;
      self->block_end_us[n] = e;
      prev_end = e;
      n++;
    }
  if (n == 0)
    return FALSE;
  self->n_blocks = n;
  self->day_us = 0;
  for (guint i = 0; i < n; i++)
    self->day_us += self->block_end_us[i] - self->block_start_us[i];
  return TRUE;
}

static gboolean
parse_weekend (const gchar *text, guint8 *mask)
{
  static const gchar *const names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  guint8 m = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const gchar *p = g_strstrip (parts[i]);
      if (*p == '\0' && parts[1] == NULL)
        break; /* "weekend =": no weekly rest day */
      guint w;
      for (w = 0; w < 7; w++)
        if (g_ascii_strcasecmp (p, names[w]) == 0)
          break;
      if (w == 7)
        return FALSE;
      m |= (guint8) (1u << w);
    }
  if (m == 0x7f)
    return FALSE; /* no working weekday: deadlines would never come */
  *mask = m;
  return TRUE;
}

static gboolean
load_special (IocCalendar *self, IocKeyFile *kf, const gchar *group, gboolean is_working,
              GError **error)
{
  if (!g_key_file_has_group (kf->kf, group))
    return TRUE;
  g_auto (GStrv) keys = g_key_file_get_keys (kf->kf, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      gint32 first, last;
      if (!parse_date_key (keys[i], &first, &last))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "%s: [%s] %s: expected a key YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD "
                       "(a real date, ranges of at most %d days)",
                       kf->path, group, keys[i], MAX_RANGE_DAYS);
          return FALSE;
        }
      g_autofree gchar *name = ioc_keyfile_string (kf, group, keys[i], "", FALSE, error);
      if (name == NULL)
        return FALSE;
      for (gint32 day = first; day <= last; day++)
        {
          SpecialDay *old = g_hash_table_lookup (self->special, GINT_TO_POINTER (day));
          if (old != NULL && old->is_working != is_working)
            {
              g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                           "%s: [%s] %s: expected a date that is not also a %s, but %s lists it "
                           "as '%s'",
                           kf->path, group, keys[i], old->is_working ? "make-up working day" : "holiday",
                           old->file, old->name);
              return FALSE;
            }
          SpecialDay *s = g_new0 (SpecialDay, 1);
          s->is_working = is_working;
          s->name = g_strdup (name);
          s->file = g_strdup (kf->path);
          g_hash_table_replace (self->special, GINT_TO_POINTER (day), s);
        }
    }
  return TRUE;
}

static gboolean
load_into (IocCalendar *self, IocKeyFile *kf, GError **error)
{
  static const gchar *const known_groups[] = { "calendar", "holidays", "workdays", NULL };
  static const gchar *const known_keys[] = { "weekend", "hours", NULL };
  g_auto (GStrv) groups = g_key_file_get_groups (kf->kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (!g_strv_contains (known_groups, groups[i]))
      {
        g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                     "%s: [%s]: expected only the groups [calendar], [holidays], [workdays]",
                     kf->path, groups[i]);
        return FALSE;
      }
  if (g_key_file_has_group (kf->kf, "calendar"))
    {
      if (!ioc_keyfile_check_keys (kf, "calendar", known_keys, error))
        return FALSE;
      g_autofree gchar *weekend = ioc_keyfile_string (kf, "calendar", "weekend", NULL, FALSE, error);
      if (weekend != NULL && !parse_weekend (weekend, &self->weekend_mask))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "%s: [calendar] weekend: expected a comma-separated list of mon..sun "
                       "leaving at least one working weekday, got '%s'",
                       kf->path, weekend);
          return FALSE;
        }
      g_autofree gchar *hours = ioc_keyfile_string (kf, "calendar", "hours", NULL, FALSE, error);
      if (hours != NULL && !parse_hours (self, hours))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "%s: [calendar] hours: expected ascending, non-overlapping HH:MM-HH:MM "
                       "blocks separated by commas (at most %d), got '%s'",
                       kf->path, MAX_BLOCKS, hours);
          return FALSE;
        }
    }
  return load_special (self, kf, "holidays", FALSE, error) &&
         load_special (self, kf, "workdays", TRUE, error);
}

static IocCalendar *
calendar_new (void)
{
  IocCalendar *self = g_new0 (IocCalendar, 1);
  self->special = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, special_day_free);
  /* Defaults (docs/DOSSIERS.md): Saturday and Sunday off, 7.5 office hours. */
  self->weekend_mask = (1u << 5) | (1u << 6);
  parse_hours (self, "07:30-11:30,13:30-17:00");
  return self;
}

IocCalendar *
ioc_calendar_load_data (const gchar *path_for_errors, const gchar *data, gsize len, GError **error)
{
  g_return_val_if_fail (path_for_errors != NULL && data != NULL, NULL);
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load_data (path_for_errors, data, len, error);
  if (kf == NULL)
    return NULL;
  g_autoptr (IocCalendar) self = calendar_new ();
  if (!load_into (self, kf, error))
    return NULL;
  return g_steal_pointer (&self);
}

IocCalendar *
ioc_calendar_load (const gchar *const *paths, GError **error)
{
  g_return_val_if_fail (paths != NULL && paths[0] != NULL, NULL);
  g_autoptr (IocCalendar) self = calendar_new ();
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr (IocKeyFile) kf = ioc_keyfile_load (paths[i], error);
      if (kf == NULL || !load_into (self, kf, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}
