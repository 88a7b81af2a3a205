/* ioc-time.h — the hub's time arithmetic: RFC 3339 in and out, and the
 * Vietnam-local calendar (UTC+7, no DST) that windows and rollups use.
 *
 * Inside the hub time is a gint64 of microseconds since the epoch, UTC.
 * Every function here is pure and thread-safe. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Vietnam is UTC+7 all year (no DST). */
#define IOC_TIME_LOCAL_OFFSET_US (7 * G_TIME_SPAN_HOUR)
/* Room for "-292277-12-31T23:59:59.999+07:00" and a NUL. */
#define IOC_TIME_BUF 40

/* Parses RFC 3339 with a mandatory offset ("Z" or ±hh:mm) and an optional
 * fraction of any length (digits past µs are truncated).  s need not be
 * NUL-terminated.  Rejects everything else, including impossible dates,
 * leap seconds (":60") and years outside 0000–9999.  On FALSE *out_us is
 * untouched. */
gboolean ioc_time_parse (const gchar *s, gsize len, gint64 *out_us);
/* "2026-11-22T10:11:12.345+07:00": ms precision, Vietnam offset. */
void     ioc_time_format (gint64 us, gchar buf[IOC_TIME_BUF]);

/* Floors to the minute (also for instants before 1970). */
gint64 ioc_time_minute_start (gint64 us);
/* UTC instants of the Vietnam-local midnight that starts us's local day,
 * month, and year. */
gint64 ioc_time_local_day_start (gint64 us);
gint64 ioc_time_local_month_start (gint64 us);
gint64 ioc_time_local_year_start (gint64 us);
/* Vietnam-local calendar fields of us; any out pointer may be NULL.
 * weekday: 1 = Monday … 7 = Sunday; minute_of_day: 0 … 1439. */
void ioc_time_local_date (gint64 us, gint *year, gint *month, gint *day, gint *weekday,
                          gint *minute_of_day);
/* Vietnam-local wall time → µs UTC.  month 1–12; day, hour and minute may
 * run over (day 32 is the 1st of the next month), as mktime() allows. */
gint64 ioc_time_from_local (gint year, gint month, gint day, gint hour, gint minute);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
gint64 ioc_time_days_from_civil (gint64 year, guint month, guint day);
void   ioc_time_civil_from_days (gint64 days, gint64 *year, guint *month, guint *day);

G_END_DECLS
