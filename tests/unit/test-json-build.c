/* test-json-build.c — the JSON members every answer of the hub is made of:
 * what is null, how a time and a rate read. */
#include "protocol/ioc-json.h"

static gchar *
build (void (*fill) (JsonBuilder *b))
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  fill (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
fill_scalars (JsonBuilder *b)
{
  ioc_json_int (b, "i", -42);
  ioc_json_double (b, "d", 0.5);
  ioc_json_bool (b, "t", TRUE);
  ioc_json_string (b, "s", "Phường Vinh");
  ioc_json_string (b, "none", NULL);
}

static void
test_scalars (void)
{
  g_autofree gchar *text = build (fill_scalars);
  g_assert_cmpstr (text, ==, "{\"i\":-42,\"d\":0.5,\"t\":true,\"s\":\"Phường Vinh\",\"none\":null}");
}

static void
fill_unknowns (JsonBuilder *b)
{
  ioc_json_int_or_null (b, "seen", TRUE, 7);
  ioc_json_int_or_null (b, "never", FALSE, 7);
  ioc_json_double_or_null (b, "avg", TRUE, 1.25);
  ioc_json_double_or_null (b, "avg_of_nothing", FALSE, 1.25);
  /* A commune with nothing received has no rate: null, never 0. */
  ioc_json_rate (b, "ontime", 3, 4);
  ioc_json_rate (b, "empty", 0, 0);
}

static void
test_unknowns (void)
{
  g_autofree gchar *text = build (fill_unknowns);
  g_assert_cmpstr (text, ==,
                   "{\"seen\":7,\"never\":null,\"avg\":1.25,\"avg_of_nothing\":null,\"ontime\":0.75,\"empty\":null}");
}

static void
fill_times (JsonBuilder *b)
{
  /* 2025-07-01T00:00:00Z is 07:00 in Vietnam. */
  ioc_json_time (b, "at", G_GINT64_CONSTANT (1751328000) * G_USEC_PER_SEC);
  ioc_json_time (b, "never", 0);
}

static void
test_times (void)
{
  g_autofree gchar *text = build (fill_times);
  g_assert_cmpstr (text, ==, "{\"at\":\"2025-07-01T07:00:00.000+07:00\",\"never\":null}");
}

static void
fill_containers (JsonBuilder *b)
{
  ioc_json_begin_array (b, "units");
  json_builder_add_string_value (b, "xa-1");
  json_builder_end_array (b);
  ioc_json_begin_object (b, "all");
  ioc_json_int (b, "open", 3);
  json_builder_end_object (b);
}

static void
test_containers (void)
{
  g_autofree gchar *text = build (fill_containers);
  g_assert_cmpstr (text, ==, "{\"units\":[\"xa-1\"],\"all\":{\"open\":3}}");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/json-build/scalars", test_scalars);
  g_test_add_func ("/ioc/json-build/unknowns-are-null", test_unknowns);
  g_test_add_func ("/ioc/json-build/times", test_times);
  g_test_add_func ("/ioc/json-build/containers", test_containers);
  return g_test_run ();
}
