/* fuzz-line-protocol.c — libFuzzer target for the line-protocol encoder.
 *
 * Input: byte 0 picks the measurement and which floats are present, byte 1
 * the channel, bytes 2..9 the bits of a float value, and the rest is split
 * at NUL bytes into the unit, province and hub tags (missing ones are NULL).
 * Checks: the output is exactly one line; a small reference parser that
 * follows InfluxDB 1.x's rules (a delimiter preceded by a backslash is
 * escaped; "\," "\ " "\=" unescape, any other backslash is literal) splits
 * it back into the tag values line-protocol.h promises — the input with
 * CR/LF as spaces, a final backslash as '/', empty as "-" — and into the
 * fields and the timestamp that went in.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined with line-protocol.c and
 * model/record.c; tests/fuzz/replay-main.c replays the corpus under gcc. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/line-protocol.h"

/* Index of the first byte of `stops` in s[from, len) not preceded by a
 * backslash, as InfluxDB finds the end of a key or tag value; len if none. */
static gsize
ref_scan (const gchar *s, gsize from, gsize len, const gchar *stops)
{
  for (gsize i = from; i < len; i++)
    if (strchr (stops, s[i]) != NULL && s[i] != '\0' && (i == 0 || s[i - 1] != '\\'))
      return i;
  return len;
}

static gchar *
ref_unescape (const gchar *s, gsize len, const gchar *special)
{
  GString *out = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '\\' && i + 1 < len && strchr (special, s[i + 1]) != NULL && s[i + 1] != '\0')
        i++;
      g_string_append_c (out, s[i]);
    }
  return g_string_free (out, FALSE);
}

/* What line-protocol.h promises InfluxDB will store for tag value s. */
static gchar *
expected_tag (const gchar *s)
{
  if (s == NULL || *s == '\0')
    return g_strdup ("-");
  gchar *e = g_strdup (s);
  for (gchar *p = e; *p != '\0'; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  gsize n = strlen (e);
  if (e[n - 1] == '\\' && s[n - 1] == '\\')
    e[n - 1] = '/';
  return e;
}

static void
check_tag (const gchar *line, gsize *pos, gsize len, const gchar *key, const gchar *want_raw)
{
  g_assert_true (*pos < len && line[*pos] == ',');
  (*pos)++;
  gsize k_end = ref_scan (line, *pos, len, "=");
  g_autofree gchar *k = ref_unescape (line + *pos, k_end - *pos, ",= ");
  g_assert_cmpstr (k, ==, key);
  g_assert_true (k_end < len);
  gsize v_start = k_end + 1;
  gsize v_end = ref_scan (line, v_start, len, ", ");
  g_autofree gchar *v = ref_unescape (line + v_start, v_end - v_start, ",= ");
  g_autofree gchar *want = expected_tag (want_raw);
  g_assert_cmpstr (v, ==, want);
  *pos = v_end;
}

static gchar *
take_string (const uint8_t **p, const uint8_t *end)
{
  if (*p >= end)
    return NULL;
  const uint8_t *nul = memchr (*p, 0, (size_t) (end - *p));
  const uint8_t *stop = nul != NULL ? nul : end;
  gchar *s = g_strndup ((const gchar *) *p, (gsize) (stop - *p));
  *p = nul != NULL ? nul + 1 : end;
  return s;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 10)
    return 0;
  IocPoint point = { 0 };
  point.measurement = (IocMeasurement) (data[0] % IOC_MEAS_COUNT);
  point.channel = data[1] % 4;
  gdouble fv;
  memcpy (&fv, data + 2, sizeof fv);
  for (guint k = 0; k < IOC_QUEUE_N_FLOATS; k++)
    {
      point.has_floats[k] = (data[0] >> (2 + k)) & 1;
      point.floats[k] = k == 0 ? fv : (gdouble) k / 3;
    }
  for (guint k = 0; k < IOC_MAX_INT_FIELDS; k++)
    point.ints[k] = (gint64) (data[1] * 1000003u) - (gint64) k * G_GINT64_CONSTANT (1) * 9000000000000;
  point.ts_us = (gint64) data[9] * 60 * G_USEC_PER_SEC + G_GINT64_CONSTANT (1751328000) * G_USEC_PER_SEC;

  const uint8_t *p = data + 10;
  const uint8_t *end = data + size;
  g_autofree gchar *unit = take_string (&p, end);
  g_autofree gchar *province = take_string (&p, end);
  g_autofree gchar *hub = take_string (&p, end);
  point.unit = unit;

  g_autoptr(GString) out = g_string_new (NULL);
  ioc_lp_append_point (out, &point, province, hub);

  /* Exactly one line. */
  const gchar *line = out->str;
  gsize len = out->len;
  g_assert_true (len > 0 && line[len - 1] == '\n');
  g_assert_null (memchr (line, '\n', len - 1));
  g_assert_null (memchr (line, '\r', len));
  len--;

  /* Measurement. */
  gsize pos = ref_scan (line, 0, len, ", ");
  g_autofree gchar *meas = ref_unescape (line, pos, ", ");
  g_assert_cmpstr (meas, ==, ioc_measurement_name (point.measurement));

  /* Tags, in sorted order. */
  if (point.channel != 0)
    {
      gchar want[4];
      g_snprintf (want, sizeof want, "%u", point.channel);
      check_tag (line, &pos, len, "channel", want);
    }
  check_tag (line, &pos, len, "hub", hub);
  check_tag (line, &pos, len, "province", province);
  check_tag (line, &pos, len, "unit", unit);

  /* Fields: the integers with 'i', then the finite floats that are set. */
  g_assert_true (pos < len && line[pos] == ' ');
  pos++;
  gsize f_end = ref_scan (line, pos, len, " ");
  g_autofree gchar *fields = g_strndup (line + pos, f_end - pos);
  g_auto(GStrv) pairs = g_strsplit (fields, ",", -1);
  guint n_ints = ioc_measurement_n_ints (point.measurement);
  guint i = 0;
  for (; i < n_ints; i++)
    {
      g_assert_nonnull (pairs[i]);
      const gchar *name = ioc_measurement_int_name (point.measurement, i);
      g_autofree gchar *want = g_strdup_printf ("%s=%" G_GINT64_FORMAT "i", name, point.ints[i]);
      g_assert_cmpstr (pairs[i], ==, want);
    }
  static const gchar *const float_names[IOC_QUEUE_N_FLOATS] = { "wait_p50_s", "wait_p90_s", "service_p50_s",
                                                               "service_p90_s" };
  for (guint k = 0; k < IOC_QUEUE_N_FLOATS && point.measurement == IOC_MEAS_QUEUE; k++)
    {
      if (!point.has_floats[k] || !isfinite (point.floats[k]))
        continue;
      g_assert_nonnull (pairs[i]);
      g_assert_true (g_str_has_prefix (pairs[i], float_names[k]));
      const gchar *v = pairs[i] + strlen (float_names[k]);
      g_assert_true (*v == '=');
      gchar *v_end = NULL;
      gdouble back = g_ascii_strtod (v + 1, &v_end);
      g_assert_true (*v_end == '\0');
      g_assert_true (back == point.floats[k]);
      i++;
    }
  g_assert_null (pairs[i]);

  /* Timestamp in seconds. */
  g_assert_true (f_end < len);
  g_autofree gchar *ts = g_strndup (line + f_end + 1, len - f_end - 1);
  g_autofree gchar *want_ts = g_strdup_printf ("%" G_GINT64_FORMAT, point.ts_us / G_USEC_PER_SEC);
  g_assert_cmpstr (ts, ==, want_ts);
  return 0;
}
