/* validate.c — context checks after the envelope decoder (SPEC §3–§4).
 *
 * Second stage of ingest, between ioc_decoder_decode() and dedup; runs on
 * the main context with the registry read-only.  The decoder knows only
 * the message; here we know our province, the dated unit registry, and the
 * hub's clock. */
#include "ingest/validate.h"

#include <stdio.h>
#include <string.h>

#include "protocol/ioc-time.h"

/* Province codes are two digits: compared inline, this is cheaper than a
 * call to strcmp on every message (bench-decode counts it). */
static inline gboolean
same_short_string (const gchar *a, const gchar *b)
{
  while (*a != '\0' && *a == *b)
    a++, b++;
  return *a == *b;
}

IocReject
ioc_validate (IocRecord *rec, const gchar *province, const IocUnitRegistry *units, gint64 now_us,
              const gchar **out_detail)
{
  const IocUnit *unit;
  return ioc_validate_unit (rec, province, units, now_us, &unit, NULL, out_detail);
}

IocReject
ioc_validate_unit (IocRecord *rec, const gchar *province, const IocUnitRegistry *units, gint64 now_us,
                   const IocUnit **out_unit, gboolean *out_remapped, const gchar **out_detail)
{
  /* The detail outlives this call but not the next one on the thread. */
  static _Thread_local gchar detail[160];
  gint64 at_us;

  g_return_val_if_fail (rec != NULL, IOC_REJECT_UNKNOWN_UNIT);
  g_return_val_if_fail (province != NULL, IOC_REJECT_WRONG_PROVINCE);
  g_return_val_if_fail (units != NULL, IOC_REJECT_UNKNOWN_UNIT);

  if (out_detail != NULL)
    *out_detail = NULL;
  if (out_remapped != NULL)
    *out_remapped = FALSE;
  *out_unit = NULL;

  if (rec->province == NULL || !same_short_string (rec->province, province))
    {
      snprintf (detail, sizeof detail, "topic: province %s is not ours (%s)",
                rec->province != NULL ? rec->province : "(none)", province);
      if (out_detail != NULL)
        *out_detail = detail;
      return IOC_REJECT_WRONG_PROVINCE;
    }

  if (rec->msg_type == IOC_MSG_STATE)
    {
      /* SPEC §3: state payloads have no ts; the hub stamps arrival. */
      rec->ts_us = now_us;
      at_us = now_us;
    }
  else
    {
      if (rec->ts_us > now_us + IOC_MAX_FUTURE_US)
        {
          gchar ts[IOC_TIME_BUF], now[IOC_TIME_BUF];
          ioc_time_format (rec->ts_us, ts);
          ioc_time_format (now_us, now);
          snprintf (detail, sizeof detail, "ts: %s is more than 5 min after the hub's clock %s", ts,
                    now);
          if (out_detail != NULL)
            *out_detail = detail;
          return IOC_REJECT_FUTURE_TS;
        }
      at_us = rec->ts_us;
    }

  if (rec->unit != NULL && (*out_unit = ioc_units_lookup (units, rec->unit, at_us)) == NULL &&
      (*out_unit = ioc_units_lookup_successor (units, rec->unit, at_us)) != NULL && out_remapped != NULL)
    *out_remapped = TRUE;
  if (*out_unit == NULL)
    {
      gchar at[IOC_TIME_BUF];
      ioc_time_format (at_us, at);
      snprintf (detail, sizeof detail, "unit: %s is not in the registry on %.10s",
                rec->unit != NULL ? rec->unit : "(none)", at);
      if (out_detail != NULL)
        *out_detail = detail;
      return IOC_REJECT_UNKNOWN_UNIT;
    }
  return IOC_REJECT_NONE;
}
