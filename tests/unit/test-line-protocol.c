/* test-line-protocol.c — the InfluxDB line-protocol encoder (SPEC §6):
 * exact lines for every escaping rule, integer suffixes, floats that read
 * back exactly, timestamps in seconds.  The escaping expectations were
 * checked against influxd 1.6.7 (see line-protocol.h). */
#include <math.h>
#include <string.h>

#include "sinks/line-protocol.h"

typedef struct
{
  const gchar *name;
  const gchar *in;
  const gchar *want_tag;
  const gchar *want_measurement;
} EscapeCase;

static const EscapeCase escape_cases[] = {
  { "plain", "xa-17980", "xa-17980", "xa-17980" },
  { "vietnamese", "Phường Thành Vinh", "Phường\\ Thành\\ Vinh", "Phường\\ Thành\\ Vinh" },
  { "comma", "Nghệ An,Hà Tĩnh", "Nghệ\\ An\\,Hà\\ Tĩnh", "Nghệ\\ An\\,Hà\\ Tĩnh" },
  { "equals", "a=b", "a\\=b", "a=b" },
  { "quotes-are-literal", "say \"hi\"", "say\\ \"hi\"", "say\\ \"hi\"" },
  { "backslash-is-literal", "back\\slash", "back\\slash", "back\\slash" },
  { "backslash-before-comma", "a\\,b", "a\\\\,b", "a\\\\,b" },
  { "trailing-backslash", "trail\\", "trail/", "trail/" },
  { "empty", "", "-", "-" },
  { "newline", "line\nbreak", "line\\ break", "line\\ break" },
  { "carriage-return", "cr\r", "cr\\ ", "cr\\ " },
  { "tab-is-literal", "t\tab", "t\tab", "t\tab" },
};

static void
test_escape (gconstpointer data)
{
  const EscapeCase *c = data;
  g_autoptr(GString) tag = g_string_new (NULL);
  g_autoptr(GString) meas = g_string_new (NULL);

  ioc_lp_escape_tag (tag, c->in);
  ioc_lp_escape_measurement (meas, c->in);
  g_assert_cmpstr (tag->str, ==, c->want_tag);
  g_assert_cmpstr (meas->str, ==, c->want_measurement);
}

static void
test_escape_null_tag (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  ioc_lp_escape_tag (out, NULL);
  g_assert_cmpstr (out->str, ==, "-");
}

static void
test_escape_field_string (void)
{
  static const struct
  {
    const gchar *in;
    const gchar *want;
  } cases[] = {
    { "plain", "plain" },
    { "Phường Thành Vinh, Nghệ An", "Phường Thành Vinh, Nghệ An" },
    { "a\\b\"c", "a\\\\b\\\"c" },
    { "a=b,c d", "a=b,c d" },
    { "", "" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      ioc_lp_escape_field_string (out, cases[i].in);
      g_assert_cmpstr (out->str, ==, cases[i].want);
    }
}

/* 2025-07-01T00:00:00Z */
#define TS_US G_GINT64_CONSTANT (1751328000000000)

typedef struct
{
  const gchar *name;
  IocPoint point;
  const gchar *province;
  const gchar *hub;
  const gchar *want;
} PointCase;

static const PointCase point_cases[] = {
  { "dossier-all-integers",
    { .measurement = IOC_MEAS_DOSSIER, .unit = "xa-17980", .ts_us = TS_US, .ints = { 1, 2, 3, 4, 5, 6, 7 } },
    "40", "iochub-1",
    "ioc_dossier,hub=iochub-1,province=40,unit=xa-17980 received=1i,completed_early=2i,completed_ontime=3i,"
    "completed_late=4i,overdue_entered=5i,open=6i,open_overdue=7i 1751328000\n" },
  { "channel-tag-sorted-first",
    { .measurement = IOC_MEAS_DOSSIER, .unit = "all", .channel = 2, .ts_us = TS_US + 60 * G_USEC_PER_SEC, .ints = { 10 } },
    "40", "iochub-1",
    "ioc_dossier,channel=2,hub=iochub-1,province=40,unit=all received=10i,completed_early=0i,completed_ontime=0i,"
    "completed_late=0i,overdue_entered=0i,open=0i,open_overdue=0i 1751328060\n" },
  { "vietnamese-unit-escaped",
    { .measurement = IOC_MEAS_RATING, .unit = "Phường Thành Vinh", .ts_us = TS_US, .ints = { 7, -3 } },
    "40", "hub a,b=c",
    "ioc_rating,hub=hub\\ a\\,b\\=c,province=40,unit=Phường\\ Thành\\ Vinh ratings=7i,satisfied=-3i 1751328000\n" },
  { "empty-tags-are-dash",
    { .measurement = IOC_MEAS_RATING, .unit = "", .ts_us = TS_US, .ints = { 0, 0 } },
    "", NULL, "ioc_rating,hub=-,province=-,unit=- ratings=0i,satisfied=0i 1751328000\n" },
  { "queue-floats-only-when-present",
    { .measurement = IOC_MEAS_QUEUE, .unit = "xa-1", .ts_us = TS_US, .ints = { 4, 3, 2, 1 },
      .floats = { 0.1, 99.5, 7 }, .has_floats = { TRUE, FALSE, TRUE } },
    "42", "h",
    "ioc_queue,hub=h,province=42,unit=xa-1 issued=4i,called=3i,served=2i,no_show=1i,wait_p50_s=0.1,service_p50_s=7 "
    "1751328000\n" },
  { "queue-wait-and-service-median-and-p90",
    { .measurement = IOC_MEAS_QUEUE, .unit = "xa-1", .ts_us = TS_US, .ints = { 4, 3, 2, 1 },
      .floats = { 30.5, 120.5, 240.75, 600.25 }, .has_floats = { TRUE, TRUE, TRUE, TRUE } },
    "42", "h",
    "ioc_queue,hub=h,province=42,unit=xa-1 issued=4i,called=3i,served=2i,no_show=1i,wait_p50_s=30.5,wait_p90_s=120.5,"
    "service_p50_s=240.75,service_p90_s=600.25 1751328000\n" },
  { "queue-nan-left-out",
    { .measurement = IOC_MEAS_QUEUE, .unit = "xa-1", .ts_us = TS_US, .ints = { 0 },
      .floats = { NAN, INFINITY, 1.5 }, .has_floats = { TRUE, TRUE, TRUE } },
    "42", "h",
    "ioc_queue,hub=h,province=42,unit=xa-1 issued=0i,called=0i,served=0i,no_show=0i,service_p50_s=1.5 1751328000\n" },
  { "device-big-integers",
    { .measurement = IOC_MEAS_DEVICE, .unit = "tinh-40", .ts_us = TS_US,
      .ints = { G_MAXINT64, G_MININT64, 0, 1, 2, 3, 4 } },
    "40", "iochub-1",
    "ioc_device,hub=iochub-1,province=40,unit=tinh-40 cameras=9223372036854775807i,cameras_online=-9223372036854775808i,"
    "cameras_recording=0i,kiosks=1i,kiosks_online=2i,connectors_expected=3i,connectors_reporting=4i 1751328000\n" },
  { "timestamp-truncated-to-seconds",
    { .measurement = IOC_MEAS_RATING, .unit = "u", .ts_us = TS_US + 999999, .ints = { 1, 1 } },
    "40", "h", "ioc_rating,hub=h,province=40,unit=u ratings=1i,satisfied=1i 1751328000\n" },
  { "pre-epoch-floors",
    { .measurement = IOC_MEAS_RATING, .unit = "u", .ts_us = -1, .ints = { 1, 1 } },
    "40", "h", "ioc_rating,hub=h,province=40,unit=u ratings=1i,satisfied=1i -1\n" },
};

static void
test_point (gconstpointer data)
{
  const PointCase *c = data;
  g_autoptr(GString) out = g_string_new ("prefix\n");

  ioc_lp_append_point (out, &c->point, c->province, c->hub);
  g_assert_true (g_str_has_prefix (out->str, "prefix\n"));
  g_assert_cmpstr (out->str + strlen ("prefix\n"), ==, c->want);
  /* Exactly one line. */
  g_assert_cmpuint (strchr (c->want, '\n') - c->want, ==, strlen (c->want) - 1);
}

static void
test_double_round_trip (void)
{
  static const struct
  {
    gdouble v;
    const gchar *want; /* NULL: only the round trip is checked */
  } cases[] = {
    { 0.1, "0.1" },      { 2.0, "2" },           { -2.5, "-2.5" },          { 0.0, "0" },
    { 1e-7, "1e-07" },   { 5e20, "5e+20" },      { 123456.789, "123456.789" },
    { 30.0, "30" },      { 1200.0, "1200" },     { -60.0, "-60" },          { -0.0, "0" },
    { 999999999999999.0, "999999999999999" },     { 1e15, "1e+15" },
    { 1.0 / 3.0, NULL }, { 2.0 / 3.0 * 1e300, NULL }, { 4.9e-324, NULL }, { 1.7976931348623157e308, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      ioc_lp_append_double (out, cases[i].v);
      g_assert_cmpfloat (g_ascii_strtod (out->str, NULL), ==, cases[i].v);
      if (cases[i].want != NULL)
        g_assert_cmpstr (out->str, ==, cases[i].want);
      /* A float field must not look like an integer field. */
      g_assert_null (strchr (out->str, 'i'));
    }
  /* Random values round-trip too (fixed seed: reproducible). */
  g_autoptr(GRand) rand = g_rand_new_with_seed (40);
  for (guint i = 0; i < 2000; i++)
    {
      gdouble v = g_rand_double_range (rand, -1e6, 1e6) * pow (10, g_rand_int_range (rand, -30, 30));
      g_autoptr(GString) out = g_string_new (NULL);
      ioc_lp_append_double (out, v);
      g_assert_cmpfloat (g_ascii_strtod (out->str, NULL), ==, v);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (escape_cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/ioc/line-protocol/escape/%s", escape_cases[i].name);
      g_test_add_data_func (path, &escape_cases[i], test_escape);
    }
  g_test_add_func ("/ioc/line-protocol/escape/null-tag", test_escape_null_tag);
  g_test_add_func ("/ioc/line-protocol/escape/field-string", test_escape_field_string);
  for (guint i = 0; i < G_N_ELEMENTS (point_cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/ioc/line-protocol/point/%s", point_cases[i].name);
      g_test_add_data_func (path, &point_cases[i], test_point);
    }
  g_test_add_func ("/ioc/line-protocol/double-round-trip", test_double_round_trip);
  return g_test_run ();
}
