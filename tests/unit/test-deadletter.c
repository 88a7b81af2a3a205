/* test-deadletter.c — a rejected message is counted per reason and device,
 * and published with its topic, reason and a 1 KiB excerpt of the payload. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "ingest/deadletter.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"

typedef struct
{
  GPtrArray *topics;
  GPtrArray *docs;
} Sink;

static void
publish_cb (const gchar *topic, const gchar *json, gsize len, gpointer user_data)
{
  Sink *sink = user_data;
  g_ptr_array_add (sink->topics, g_strdup (topic));
  g_ptr_array_add (sink->docs, g_strndup (json, len));
}

static JsonObject *
parse (const gchar *doc, JsonParser *parser)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (json_parser_load_from_data (parser, doc, -1, &error));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_publish_and_count (void)
{
  Sink sink = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (IocDeadLetter) dl = ioc_deadletter_new ("40", publish_cb, &sink);
  const gchar *topic = "ioc/v1/40/xa-16681/kiosk/k-01/event";
  const gchar *payload = "{\"v\":1,\"seq\":\"x\",\"note\":\"Phường Thành Vinh\"}";
  ioc_deadletter_reject (dl, "wrong_type", "seq: expected an integer", topic, strlen (topic), (const guint8 *) payload,
                         strlen (payload), 1763785800000000);
  ioc_deadletter_reject (dl, "wrong_type", "again", topic, strlen (topic), (const guint8 *) payload, strlen (payload), 1);
  ioc_deadletter_reject (dl, "bad_json", "eof", topic, strlen (topic), (const guint8 *) "{", 1, 1);

  g_assert_cmpint (ioc_deadletter_count (dl, "wrong_type"), ==, 2);
  g_assert_cmpint (ioc_deadletter_count (dl, "bad_json"), ==, 1);
  g_assert_cmpint (ioc_deadletter_total (dl), ==, 3);
  g_assert_cmpuint (sink.topics->len, ==, 3);
  g_assert_cmpstr (sink.topics->pdata[0], ==, "ioc/v1/40/deadletter/wrong_type");
  g_assert_cmpstr (sink.topics->pdata[2], ==, "ioc/v1/40/deadletter/bad_json");

  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o = parse (sink.docs->pdata[0], parser);
  g_assert_cmpstr (json_object_get_string_member (o, "reason"), ==, "wrong_type");
  g_assert_cmpstr (json_object_get_string_member (o, "topic"), ==, topic);
  g_assert_cmpstr (json_object_get_string_member (o, "detail"), ==, "seq: expected an integer");
  g_assert_cmpstr (json_object_get_string_member (o, "payload"), ==, payload);
  g_assert_false (json_object_get_boolean_member (o, "truncated"));
  g_ptr_array_unref (sink.topics);
  g_ptr_array_unref (sink.docs);
}

static void
test_excerpt_binary_and_long (void)
{
  /* Over 1 KiB: truncated to 1 KiB on a character boundary.  Binary: base64. */
  GString *big = g_string_new (NULL);
  while (big->len < 3000)
    g_string_append (big, "ệ");
  g_autofree gchar *doc = ioc_deadletter_format ("too_large", "", "t", 1, (const guint8 *) big->str, big->len, 0);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o = parse (doc, parser);
  const gchar *excerpt = json_object_get_string_member (o, "payload");
  g_assert_true (g_utf8_validate (excerpt, -1, NULL));
  g_assert_cmpuint (strlen (excerpt), <=, IOC_DEADLETTER_EXCERPT);
  g_assert_cmpuint (strlen (excerpt), >, IOC_DEADLETTER_EXCERPT - 4);
  g_assert_true (json_object_get_boolean_member (o, "truncated"));
  g_assert_cmpint (json_object_get_int_member (o, "payload_bytes"), ==, (gint64) big->len);
  g_string_free (big, TRUE);

  const guint8 binary[] = { 0xff, 0xfe, 0x00, 0x01 };
  g_autofree gchar *doc2 = ioc_deadletter_format ("bad_utf8", "", "t", 1, binary, sizeof binary, 0);
  g_autoptr (JsonParser) parser2 = json_parser_new ();
  JsonObject *o2 = parse (doc2, parser2);
  g_assert_false (json_object_has_member (o2, "payload"));
  g_assert_cmpstr (json_object_get_string_member (o2, "payload_base64"), ==, "//4AAQ==");
}

typedef struct
{
  gint64 count;
  gchar *reason;
} DeviceSeen;

static void
device_cb (const gchar *kind, const gchar *device, gint64 count, const gchar *last_reason, gpointer user_data)
{
  if (g_strcmp0 (kind, "kiosk") == 0 && g_strcmp0 (device, "k-01") == 0)
    {
      DeviceSeen *seen = user_data;
      seen->count = count;
      seen->reason = g_strdup (last_reason);
    }
}

static void
test_per_device (void)
{
  g_autoptr (IocDeadLetter) dl = ioc_deadletter_new ("40", NULL, NULL);
  const gchar *topic = "ioc/v1/40/xa-16681/kiosk/k-01/event";
  for (int i = 0; i < 3; i++)
    ioc_deadletter_reject (dl, i < 2 ? "bad_json" : "future_ts", "", topic, strlen (topic), (const guint8 *) "x", 1, 0);
  DeviceSeen seen = { 0 };
  ioc_deadletter_foreach_device (dl, device_cb, &seen);
  g_assert_cmpint (seen.count, ==, 3);
  g_assert_cmpstr (seen.reason, ==, "future_ts");
  g_free (seen.reason);
}

/* /metrics: one iochub_deadletters_total series per reason, every reason
 * there at 0 from the start (so rate() and increase() see "none", not "no
 * data"); a reject moves its own reason's series only.  Runs first: the
 * stats are process-wide. */
static void
test_metrics_by_reason (void)
{
  g_autoptr (IocDeadLetter) dl = ioc_deadletter_new ("40", NULL, NULL);
  g_autoptr (GPtrArray) reasons = g_ptr_array_new ();
  for (guint r = IOC_REJECT_NONE + 1; r < IOC_REJECT_COUNT; r++)
    g_ptr_array_add (reasons, (gpointer) ioc_reject_name ((IocReject) r));
  g_ptr_array_add (reasons, "influx_rejected");
  g_autoptr (GString) before = g_string_new (NULL);
  ioc_stats_render (before);
  for (guint i = 0; i < reasons->len; i++)
    {
      g_autofree gchar *line = g_strdup_printf ("\niochub_deadletters_total{reason=\"%s\"} 0\n",
                                                (const gchar *) reasons->pdata[i]);
      g_assert_nonnull (strstr (before->str, line));
    }
  g_assert_nonnull (strstr (before->str, "# TYPE iochub_deadletters_total counter\n"));
  const gchar *topic = "ioc/v1/40/xa-16681/desk/d-1/state";
  ioc_deadletter_reject (dl, "bad_state", "expected online or offline", topic, strlen (topic),
                         (const guint8 *) "maybe", 5, 1);
  ioc_deadletter_reject (dl, "bad_state", "again", topic, strlen (topic), (const guint8 *) "maybe", 5, 2);
  g_autoptr (GString) after = g_string_new (NULL);
  ioc_stats_render (after);
  g_assert_nonnull (strstr (after->str, "\niochub_deadletters_total{reason=\"bad_state\"} 2\n"));
  g_assert_nonnull (strstr (after->str, "\niochub_deadletters_total{reason=\"bad_json\"} 0\n"));
  /* One HELP and TYPE for the whole family. */
  const gchar *first = strstr (after->str, "# TYPE iochub_deadletters_total");
  g_assert_null (strstr (first + 1, "# TYPE iochub_deadletters_total"));
  /* A reason declared later (a new hub-side one) joins at 0. */
  ioc_deadletter_declare (dl, "spool_dropped");
  g_assert_cmpint (ioc_stats_lookup ("iochub_deadletters_total", "reason=\"spool_dropped\""), ==, 0);
  g_autoptr (GString) last = g_string_new (NULL);
  ioc_stats_render (last);
  g_assert_nonnull (strstr (last->str, "\niochub_deadletters_total{reason=\"spool_dropped\"} 0\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/deadletter/metrics-by-reason", test_metrics_by_reason);
  g_test_add_func ("/ioc/deadletter/publish-and-count", test_publish_and_count);
  g_test_add_func ("/ioc/deadletter/excerpt-binary-and-long", test_excerpt_binary_and_long);
  g_test_add_func ("/ioc/deadletter/per-device", test_per_device);
  return g_test_run ();
}
