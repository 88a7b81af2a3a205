/* test-feed-events.c — the live feed's events, built from a real IocHub
 * driven by hand (manual clock, messages through ioc_hub_ingest; no
 * broker, no thread, nothing started): the province's devices the feed adds
 * up from the unit table are the numbers device health gives for "all"; a
 * snapshot holds every unit; a delta holds the rows that changed, and
 * nothing when nothing did. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "api/api-docs.h"
#include "api/feed-events.h"
#include "hub.h"
#include "hub-private.h" /* white-box: stage pointers */
#include "test-util.h"

/* 2026-03-02 10:00 +07:00, a Monday. */
#define T0 ((gint64) 1772420400 * G_USEC_PER_SEC)

typedef struct
{
  gchar *dir;
  IocClock *clock;
  IocHub *hub;
  IocApiDocs docs;
  IocFeedEvents *events;
  gint64 seq;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  fx->dir = g_dir_make_tmp ("test-feed-events-XXXXXX", NULL);
  g_assert_nonnull (fx->dir);
  g_autofree gchar *conf = g_strdup_printf (
      "[hub]\nprovince = 40\nid = test-hub\nunits = %s/ops/units/nghe-an.csv\n"
      "calendar = %s/ops/calendar/vn-2025.conf,%s/ops/calendar/vn-2026.conf\n"
      "state_dir = %s/state\n"
      "[mqtt]\nurl = tcp://127.0.0.1:9\nclient_id = iochub-test\n"
      "[http]\nlisten = 127.0.0.1:0\n",
      IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, IOC_SOURCE_ROOT, fx->dir);
  g_autofree gchar *path = g_build_filename (fx->dir, "hub.conf", NULL);
  g_assert_true (g_file_set_contents (path, conf, -1, NULL));
  g_autoptr (GError) error = NULL;
  IocHubConfig *config = ioc_hub_config_load (path, &error);
  g_assert_no_error (error);
  fx->clock = ioc_clock_new_manual (T0);
  fx->hub = ioc_hub_new (config, fx->clock, &error);
  g_assert_no_error (error);
  fx->docs = (IocApiDocs) { .hub = fx->hub };
  fx->events = ioc_feed_events_new (&fx->docs);
  ioc_hub_tick (fx->hub);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  ioc_feed_events_free (fx->events);
  ioc_hub_free (fx->hub);
  ioc_clock_free (fx->clock);
  ioc_test_rm_rf (fx->dir);
  g_free (fx->dir);
}

/* One message of `type` from a device of unit, now; fields without braces. */
static void
publish (Fixture *fx, const gchar *unit, const gchar *kind, const gchar *device, const gchar *type,
         const gchar *fields)
{
  gint64 now = ioc_clock_now (fx->clock);
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/%s/%s/%s/%s", unit, kind, device, type);
  g_autofree gchar *payload
      = g_str_equal (type, "state")
            ? g_strdup (fields)
            : g_strdup_printf ("{\"v\":1,\"seq\":%" G_GINT64_FORMAT ",\"ts\":%" G_GINT64_FORMAT ",%s}",
                               ++fx->seq, now / 1000, fields);
  ioc_hub_ingest (fx->hub, topic, strlen (topic), (const guint8 *) payload, strlen (payload), now);
}


static void
advance (Fixture *fx, gint64 us)
{
  ioc_clock_set (fx->clock, ioc_clock_now (fx->clock) + us);
}

/* Devices in three communes, of every kind, some quiet or offline. */
static void
populate (Fixture *fx)
{
  publish (fx, "xa-16681", "camera", "nvr-1", "status",
           "\"cameras\":[{\"camera\":\"c1\",\"online\":true,\"recording\":true},"
           "{\"camera\":\"c2\",\"online\":true,\"recording\":false}]");
  publish (fx, "xa-16681", "kiosk", "kiosk-1", "status", "\"online\":true,\"queue_length\":3");
  publish (fx, "xa-16690", "kiosk", "kiosk-2", "status", "\"online\":false,\"queue_length\":0");
  publish (fx, "xa-16690", "desk", "desk-2", "status", "\"counters_open\":2,\"waiting\":5");
  advance (fx, 4 * G_TIME_SPAN_MINUTE); /* those are no longer reporting */
  publish (fx, "ca-16702", "camera", "nvr-3", "status",
           "\"cameras\":[{\"camera\":\"c1\",\"online\":true,\"recording\":true}]");
  publish (fx, "ca-16702", "desk", "desk-3", "status", "\"counters_open\":1,\"waiting\":0");
  publish (fx, "xa-16690", "kiosk", "kiosk-4", "state", "offline");
  /* Declared for a commune merged on 2025-06-30 (an inventory not yet
   * updated): it counts for the province, though no current row shows it. */
  ioc_device_health_expect (ioc_hub_view (fx->hub)->devices, IOC_KIND_PORTAL, "portal-old",
                            ioc_intern ("xa-18055"));
  advance (fx, 10 * G_USEC_PER_SEC);
}

static gchar *
summary_text (Fixture *fx, const IocDeviceSummary *devices, gint64 now)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  ioc_api_docs_summary (&fx->docs, b, "all", NULL, devices, now, TRUE);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* The feed's province tile must show what GET /api/v1/summary shows. */
static void
test_province_devices_from_unit_rows (Fixture *fx, gconstpointer data)
{
  populate (fx);
  gint64 now = ioc_clock_now (fx->clock);
  IocDeviceSummary province, all;
  g_autoptr (GArray) rows = ioc_api_docs_unit_rows (&fx->docs, IOC_PERIOD_DAY, now, &province);
  g_assert_true (ioc_device_health_summary (ioc_hub_view (fx->hub)->devices, "all", now, &all));
  g_assert_cmpint (province.cameras, ==, 3);
  g_assert_cmpint (province.cameras_recording, ==, 1); /* nvr-1 went quiet */
  g_assert_cmpint (province.kiosks, ==, 3);
  g_assert_cmpint (province.connectors_expected, ==, 8);
  g_assert_cmpint (province.connectors_reporting, ==, 2);
  g_assert_cmpint (province.cameras, ==, all.cameras);
  g_assert_cmpint (province.cameras_online, ==, all.cameras_online);
  g_assert_cmpint (province.cameras_recording, ==, all.cameras_recording);
  g_assert_cmpint (province.kiosks, ==, all.kiosks);
  g_assert_cmpint (province.kiosks_online, ==, all.kiosks_online);
  g_assert_cmpint (province.connectors_expected, ==, all.connectors_expected);
  g_assert_cmpint (province.connectors_reporting, ==, all.connectors_reporting);
  g_assert_cmpint (province.last_seen_us, ==, all.last_seen_us);
  for (guint k = 0; k < IOC_KIND_COUNT; k++)
    g_assert_cmpint (province.last_seen_by_kind_us[k], ==, all.last_seen_by_kind_us[k]);
  g_autofree gchar *from_rows = summary_text (fx, &province, now);
  g_autofree gchar *looked_up = summary_text (fx, NULL, now);
  g_assert_cmpstr (from_rows, ==, looked_up);
}

/* Before any device: both are all zeros. */
static void
test_province_devices_empty (Fixture *fx, gconstpointer data)
{
  gint64 now = ioc_clock_now (fx->clock);
  IocDeviceSummary province;
  g_autoptr (GArray) rows = ioc_api_docs_unit_rows (&fx->docs, IOC_PERIOD_DAY, now, &province);
  g_assert_cmpuint (rows->len, >, 0);
  g_autofree gchar *from_rows = summary_text (fx, &province, now);
  g_autofree gchar *looked_up = summary_text (fx, NULL, now);
  g_assert_cmpstr (from_rows, ==, looked_up);
}

static JsonObject *
parse_event (JsonParser *parser, const gchar *text)
{
  g_assert_nonnull (text);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_snapshot_then_deltas (Fixture *fx, gconstpointer data)
{
  populate (fx);
  gint64 now = ioc_clock_now (fx->clock);
  g_autoptr (GPtrArray) current = ioc_units_current (ioc_hub_view (fx->hub)->units, now);

  g_autofree gchar *snapshot = ioc_feed_events_build (fx->events, TRUE, now);
  g_autoptr (JsonParser) p1 = json_parser_new ();
  JsonObject *s = parse_event (p1, snapshot);
  g_assert_true (json_object_get_boolean_member (s, "full"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (s, "units")), ==, current->len);
  g_assert_true (json_object_has_member (s, "summary") && json_object_has_member (s, "ranking")
                 && json_object_has_member (s, "alerts"));

  /* Nothing new: no delta at all (the keep-alive is the flush's business). */
  g_autofree gchar *none = ioc_feed_events_build (fx->events, FALSE, now);
  g_assert_null (none);

  /* A kiosk appears in one commune: that row, and the province summary. */
  publish (fx, "xa-16702", "kiosk", "kiosk-9", "status", "\"online\":true,\"queue_length\":1");
  g_autofree gchar *delta = ioc_feed_events_build (fx->events, FALSE, now);
  g_autoptr (JsonParser) p2 = json_parser_new ();
  JsonObject *d = parse_event (p2, delta);
  g_assert_false (json_object_get_boolean_member (d, "full"));
  JsonArray *units = json_object_get_array_member (d, "units");
  g_assert_cmpuint (json_array_get_length (units), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (units, 0), "code"), ==,
                   "xa-16702");
  g_assert_true (json_object_has_member (d, "summary"));
  g_assert_false (json_object_has_member (d, "alerts")); /* unchanged */

  g_autofree gchar *again = ioc_feed_events_build (fx->events, FALSE, now);
  g_assert_null (again);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/ioc/feed-events/province-devices-from-unit-rows", Fixture, NULL, fixture_setup,
              test_province_devices_from_unit_rows, fixture_teardown);
  g_test_add ("/ioc/feed-events/province-devices-empty", Fixture, NULL, fixture_setup,
              test_province_devices_empty, fixture_teardown);
  g_test_add ("/ioc/feed-events/snapshot-then-deltas", Fixture, NULL, fixture_setup,
              test_snapshot_then_deltas, fixture_teardown);
  return g_test_run ();
}
