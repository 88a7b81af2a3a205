/* ioc-time.c — RFC 3339 parsing/formatting and the Vietnam-local calendar.
 *
 * Sits on the ingest hot path (every ts, received_at and due_at goes through
 * ioc_time_parse) and under every window and rollup boundary, so it avoids
 * GDateTime and does integer calendar arithmetic (Howard Hinnant's
 * days-from-civil).  Pure functions; any thread. */
#include "protocol/ioc-time.h"

#include <stdio.h>

#define DAY_US G_TIME_SPAN_DAY
#define MINUTE_US G_TIME_SPAN_MINUTE

/* Floor division: C's / truncates toward zero, which is wrong before 1970. */
static inline gint64
floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

gint64
ioc_time_days_from_civil (gint64 y, guint m, guint d)
{
  y -= m <= 2;
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  guint yoe = (guint) (y - era * 400);
  guint doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  guint doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (gint64) doe - 719468;
}

void
ioc_time_civil_from_days (gint64 z, gint64 *year, guint *month, guint *day)
{
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  guint doe = (guint) (z - era * 146097);
  guint yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 y = (gint64) yoe + era * 400;
  guint doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  guint mp = (5 * doy + 2) / 153;
  guint d = doy - (153 * mp + 2) / 5 + 1;
  guint m = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (m <= 2);
  *month = m;
  *day = d;
}

static inline gboolean
is_leap (gint64 y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline guint
days_in_month (gint64 y, guint m)
{
  static const guint8 dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  return m == 2 && is_leap (y) ? 29 : dim[m - 1];
}

/* n digits at s → value; FALSE unless all are ASCII digits. */
static inline gboolean
digits (const gchar *s, guint n, guint *out)
{
  guint v = 0;
  for (guint i = 0; i < n; i++)
    {
      guint c = (guchar) s[i] - '0';
      if (c > 9)
        return FALSE;
      v = v * 10 + c;
    }
  *out = v;
  return TRUE;
}

gboolean
ioc_time_parse (const gchar *s, gsize len, gint64 *out_us)
{
  guint year, month, day, hour, minute, second;
  gsize i;
  gint64 frac_us = 0;
  gint64 offset_us;

  g_return_val_if_fail (s != NULL || len == 0, FALSE);
  g_return_val_if_fail (out_us != NULL, FALSE);

  /* "YYYY-MM-DDTHH:MM:SS" is 19 bytes, the shortest offset "Z" one more. */
  if (len < 20)
    return FALSE;
  if (!digits (s, 4, &year) || s[4] != '-' || !digits (s + 5, 2, &month) || s[7] != '-' ||
      !digits (s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !digits (s + 11, 2, &hour) || s[13] != ':' || !digits (s + 14, 2, &minute) ||
      s[16] != ':' || !digits (s + 17, 2, &second))
    return FALSE;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month (year, month) || hour > 23 ||
      minute > 59 || second > 59)
    return FALSE;

  i = 19;
  if (s[i] == '.')
    {
      gint64 scale = 100000;
      gsize start = ++i;
      while (i < len && s[i] >= '0' && s[i] <= '9')
        {
          frac_us += (s[i] - '0') * scale;
          scale /= 10;
          i++;
        }
      if (i == start)
        return FALSE;
    }
  if (i >= len)
    return FALSE;
  if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len)
    offset_us = 0;
  else if ((s[i] == '+' || s[i] == '-') && i + 6 == len)
    {
      guint oh, om;
      if (!digits (s + i + 1, 2, &oh) || s[i + 3] != ':' || !digits (s + i + 4, 2, &om) ||
          oh > 23 || om > 59)
        return FALSE;
      offset_us = (gint64) (oh * 60 + om) * MINUTE_US;
      if (s[i] == '-')
        offset_us = -offset_us;
    }
  else
    return FALSE;

  *out_us = ioc_time_days_from_civil (year, month, day) * DAY_US +
            (gint64) (hour * 3600 + minute * 60 + second) * G_TIME_SPAN_SECOND + frac_us -
            offset_us;
  return TRUE;
}

void
ioc_time_format (gint64 us, gchar buf[IOC_TIME_BUF])
{
  gint64 local = us + IOC_TIME_LOCAL_OFFSET_US;
  gint64 days = floor_div (local, DAY_US);
  gint64 rem = local - days * DAY_US; /* 0 … DAY_US-1 */
  gint64 year;
  guint month, day;

  ioc_time_civil_from_days (days, &year, &month, &day);
  snprintf (buf, IOC_TIME_BUF, "%04" G_GINT64_FORMAT "-%02u-%02uT%02u:%02u:%02u.%03u+07:00", year,
            month, day, (guint) (rem / G_TIME_SPAN_HOUR),
            (guint) (rem / MINUTE_US % 60), (guint) (rem / G_TIME_SPAN_SECOND % 60),
            (guint) (rem / G_TIME_SPAN_MILLISECOND % 1000));
}

gint64
ioc_time_minute_start (gint64 us)
{
  return floor_div (us, MINUTE_US) * MINUTE_US;
}

gint64
ioc_time_local_day_start (gint64 us)
{
  return floor_div (us + IOC_TIME_LOCAL_OFFSET_US, DAY_US) * DAY_US - IOC_TIME_LOCAL_OFFSET_US;
}

gint64
ioc_time_local_month_start (gint64 us)
{
  gint64 year;
  guint month, day;
  ioc_time_civil_from_days (floor_div (us + IOC_TIME_LOCAL_OFFSET_US, DAY_US), &year, &month, &day);
  return ioc_time_days_from_civil (year, month, 1) * DAY_US - IOC_TIME_LOCAL_OFFSET_US;
}

gint64
ioc_time_local_year_start (gint64 us)
{
  gint64 year;
  guint month, day;
  ioc_time_civil_from_days (floor_div (us + IOC_TIME_LOCAL_OFFSET_US, DAY_US), &year, &month, &day);
  return ioc_time_days_from_civil (year, 1, 1) * DAY_US - IOC_TIME_LOCAL_OFFSET_US;
}

void
ioc_time_local_date (gint64 us, gint *year, gint *month, gint *day, gint *weekday,
                     gint *minute_of_day)
{
  gint64 local = us + IOC_TIME_LOCAL_OFFSET_US;
  gint64 days = floor_div (local, DAY_US);
  gint64 y;
  guint m, d;

  ioc_time_civil_from_days (days, &y, &m, &d);
  if (year)
    *year = (gint) y;
  if (month)
    *month = (gint) m;
  if (day)
    *day = (gint) d;
  /* 1970-01-01 was a Thursday (4). */
  if (weekday)
    *weekday = (gint) ((days % 7 + 7 + 3) % 7) + 1;
  if (minute_of_day)
    *minute_of_day = (gint) ((local - days * DAY_US) / MINUTE_US);
}

gint64
ioc_time_from_local (gint year, gint month, gint day, gint hour, gint minute)
{
  g_return_val_if_fail (month >= 1 && month <= 12, 0);
  return (ioc_time_days_from_civil (year, (guint) month, 1) + (day - 1)) * DAY_US +
         (gint64) hour * G_TIME_SPAN_HOUR + (gint64) minute * MINUTE_US -
         IOC_TIME_LOCAL_OFFSET_US;
}
