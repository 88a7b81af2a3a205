/* calendar.h — the working calendar that dossier deadlines are counted on.
 *
 * A calendar knows the weekly rest days, the office hours of a working day,
 * the public holidays (Tết and the other lunar ones are listed by date, the
 * calendar does no lunar arithmetic) and the make-up working days (ngày làm
 * bù) that turn a weekend day into a working day.  It is loaded from one or
 * more GKeyFile files and is immutable afterwards: pure functions, any
 * thread.  Days are Vietnam-local (UTC+7, no DST); instants are µs UTC.
 *
 *   [calendar]
 *   weekend = sat,sun
 *   hours = 07:30-11:30,13:30-17:00
 *   [holidays]
 *   2026-02-16..2026-02-20 = Tết Nguyên đán
 *   [workdays]
 *   2026-01-10 = làm bù cho thứ Sáu 02/01
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocCalendar IocCalendar;

/* paths: NULL-terminated; later files override [calendar] keys of earlier
 * ones, holidays and workdays are merged.  Errors name file, group, key. */
IocCalendar *ioc_calendar_load (const gchar *const *paths, GError **error);
IocCalendar *ioc_calendar_load_data (const gchar *path_for_errors, const gchar *data, gsize len,
                                     GError **error);
void ioc_calendar_free (IocCalendar *self);

gboolean ioc_calendar_is_working_day (const IocCalendar *self, gint year, gint month, gint day);
gboolean ioc_calendar_is_working_time (const IocCalendar *self, gint64 us);

/* N working days = N × (length of a working day) of working time counted
 * from from_us, e.g. Monday 10:00 + 1 → Tuesday 10:00; Saturday 10:00 + 1 →
 * Monday 17:00 (see docs/DOSSIERS.md).  days <= 0 returns from_us. */
gint64 ioc_calendar_add_working_days (const IocCalendar *self, gint64 from_us, gint days);
gint64 ioc_calendar_add_working_hours (const IocCalendar *self, gint64 from_us, gdouble hours);
/* The instant at which `us` µs of working time have elapsed after from_us;
 * a result that lands on the end of an office-hours block stays there
 * (11:30, not 13:30).  us <= 0 returns from_us. */
gint64 ioc_calendar_add_working_us (const IocCalendar *self, gint64 from_us, gint64 us);
/* Working time inside [a_us, b_us); 0 when b <= a. */
gint64 ioc_calendar_working_seconds_between (const IocCalendar *self, gint64 a_us, gint64 b_us);
gint64 ioc_calendar_working_us_between (const IocCalendar *self, gint64 a_us, gint64 b_us);
/* Length of one working day's office hours, in µs (7.5 h by default). */
gint64 ioc_calendar_working_day_us (const IocCalendar *self);
/* The end of the last office-hours block of local day `day` (a day number
 * from ioc_calendar_day_of), whether or not that day is a working day. */
gint64 ioc_calendar_day_work_end (const IocCalendar *self, gint32 day);
/* The first local day >= day that is a working day. */
gint32 ioc_calendar_next_working_day (const IocCalendar *self, gint32 day);
gboolean ioc_calendar_is_working_day_n (const IocCalendar *self, gint32 day);
/* Name of the holiday or make-up day on that date, or NULL. */
const gchar *ioc_calendar_day_name (const IocCalendar *self, gint year, gint month, gint day);

/* Vietnam-local day numbers (days since 1970-01-01 local), for callers that
 * bucket by local day; these do not need a calendar. */
gint32 ioc_calendar_day_of (gint64 us);
gint64 ioc_calendar_day_start (gint32 day); /* µs UTC of local midnight */
gint32 ioc_calendar_date_to_day (gint year, gint month, gint day);
void   ioc_calendar_day_to_date (gint32 day, gint *year, gint *month, gint *mday);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocCalendar, ioc_calendar_free)

G_END_DECLS
