/* line-protocol.c — encodes the hub's minute points (IocPoint) as InfluxDB
 * line protocol.  It sits between the rollup, which emits points on the
 * main context, and the spool, which stores the encoded lines for the
 * writer thread.  Pure and allocation-free apart from the caller's GString,
 * so any thread may call it.  The escaping rules and the three replacements
 * are described in line-protocol.h. */
#include "sinks/line-protocol.h"

#include <math.h>
#include <string.h>

/* Shared by measurement names, tag keys/values and field keys: escape every
 * byte in `special` with a backslash, turn CR/LF into an escaped space, and
 * a final backslash into '/' (it would escape the delimiter that follows). */
static void
ioc_lp_escape_key (GString *out, const gchar *s, const gchar *special)
{
  if (s == NULL || *s == '\0')
    {
      /* InfluxDB refuses empty tag values (and empty keys). */
      g_string_append_c (out, '-');
      return;
    }
  for (const gchar *p = s; *p != '\0'; p++)
    {
      gchar c = *p;
      if (c == '\n' || c == '\r')
        c = ' ';
      if (c == '\\' && p[1] == '\0')
        {
          g_string_append_c (out, '/');
          continue;
        }
      if (strchr (special, c) != NULL)
        g_string_append_c (out, '\\');
      g_string_append_c (out, c);
    }
}

void
ioc_lp_escape_measurement (GString *out, const gchar *s)
{
  g_return_if_fail (out != NULL);
  ioc_lp_escape_key (out, s, ", ");
}

void
ioc_lp_escape_tag (GString *out, const gchar *s)
{
  g_return_if_fail (out != NULL);
  ioc_lp_escape_key (out, s, ",= ");
}

void
ioc_lp_escape_field_string (GString *out, const gchar *s)
{
  g_return_if_fail (out != NULL);
  if (s == NULL)
    return;
  for (const gchar *p = s; *p != '\0'; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
}

void
ioc_lp_append_double (GString *out, gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* A whole number of seconds (a 30 s wait) reads as 30, not as the 3e+01
   * the shortest %g gives; below 10^15 every whole double prints exactly.
   * Without an 'i' suffix InfluxDB still takes it as a float. */
  if (v == floor (v) && fabs (v) < 1e15)
    {
      g_string_append_printf (out, "%.0f", v == 0.0 ? 0.0 : v);
      return;
    }

  /* %.17g always round-trips but prints 0.1 as 0.10000000000000001; the
   * first shorter precision that reads back exactly is what a person (and
   * a Grafana panel) expects to see. */
  for (gint prec = 1; prec <= 17; prec++)
    {
      gchar fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (prec == 17 || g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
}

static const gchar *const queue_float_names[IOC_QUEUE_N_FLOATS] = { "wait_p50_s", "wait_p90_s", "service_p50_s",
                                                                    "service_p90_s" };

void
ioc_lp_append_point (GString *out, const IocPoint *point, const gchar *province, const gchar *hub_id)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (point != NULL);
  g_return_if_fail (point->measurement < IOC_MEAS_COUNT);

  ioc_lp_escape_measurement (out, ioc_measurement_name (point->measurement));

  /* Tags sorted by key (channel < hub < province < unit): InfluxDB sorts
   * them anyway, and does less work when they come sorted. */
  if (point->channel != 0)
    g_string_append_printf (out, ",channel=%u", (guint) point->channel);
  g_string_append (out, ",hub=");
  ioc_lp_escape_tag (out, hub_id);
  g_string_append (out, ",province=");
  ioc_lp_escape_tag (out, province);
  g_string_append (out, ",unit=");
  ioc_lp_escape_tag (out, point->unit);

  /* SPEC §6: field types never change — counts are always integers. */
  guint n = ioc_measurement_n_ints (point->measurement);
  for (guint k = 0; k < n; k++)
    {
      g_string_append_c (out, k == 0 ? ' ' : ',');
      ioc_lp_escape_tag (out, ioc_measurement_int_name (point->measurement, k));
      g_string_append_printf (out, "=%" G_GINT64_FORMAT "i", point->ints[k]);
    }
  if (point->measurement == IOC_MEAS_QUEUE)
    {
      for (guint k = 0; k < G_N_ELEMENTS (queue_float_names); k++)
        {
          if (!point->has_floats[k] || !isfinite (point->floats[k]))
            continue;
          g_string_append_printf (out, ",%s=", queue_float_names[k]);
          ioc_lp_append_double (out, point->floats[k]);
        }
    }

  /* Floor division, so a (theoretical) pre-1970 minute stays on its minute. */
  gint64 ts_s = point->ts_us / G_USEC_PER_SEC;
  if (point->ts_us % G_USEC_PER_SEC < 0)
    ts_s--;
  g_string_append_printf (out, " %" G_GINT64_FORMAT "\n", ts_s);
}
