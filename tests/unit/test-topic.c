/* test-topic.c — the topic grammar of SPEC §3. */
#include <string.h>

#include <glib.h>

#include "protocol/ioc-topic.h"

static void
test_parse_table (void)
{
  static const struct
  {
    const gchar *topic;
    IocReject want;
    IocKind want_kind;
    IocMsgType want_type;
    const gchar *want_device;
  } cases[] = {
    { "ioc/v1/40/xa-16681/desk/rate-0007/event", IOC_REJECT_NONE, IOC_KIND_DESK, IOC_MSG_EVENT, "rate-0007" },
    { "ioc/v1/40/tinh-40/kiosk/k_01/status", IOC_REJECT_NONE, IOC_KIND_KIOSK, IOC_MSG_STATUS, "k_01" },
    { "ioc/v1/42/ca-18100/camera/nvr-1/state", IOC_REJECT_NONE, IOC_KIND_CAMERA, IOC_MSG_STATE, "nvr-1" },
    { "ioc/v1/40/cq-000-00-01-h26/portal/dvc-nghean/event", IOC_REJECT_NONE, IOC_KIND_PORTAL, IOC_MSG_EVENT, "dvc-nghean" },
    { "ioc/v1/40/xa-16681/printer/p1/event", IOC_REJECT_UNKNOWN_KIND, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/Desk/p1/event", IOC_REJECT_UNKNOWN_KIND, 0, 0, NULL },
    /* an unknown kind in an otherwise broken topic is a broken topic */
    { "ioc/v1/40/xa-16681/printer/p1/snapshot", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/desk/p1/snapshot", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v2/40/xa-16681/desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/4/xa-16681/desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/4a/xa-16681/desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/400/xa-16681/desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/XA-16681/desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa_16681/desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40//desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/a23456789012345678901234567890123/desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/desk/P1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/desk/p.1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/desk//event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/desk/p1/event/", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/desk/p1/event/x", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/desk/p1", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/desk/p1/", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681//p1/event", IOC_REJECT_UNKNOWN_KIND, 0, 0, NULL },
    { "ioc/v1/4\x80/xa-16681/desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "ioc/v1/40/xa-16681/desk/+/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "/ioc/v1/40/xa-16681/desk/p1/event", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
    { "", IOC_REJECT_BAD_TOPIC, 0, 0, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IocTopic t;
      IocReject r = ioc_topic_parse (cases[i].topic, strlen (cases[i].topic), &t);
      {
        /* escaped: TAP output must stay valid UTF-8 */
        g_autofree gchar *shown = g_strescape (cases[i].topic, NULL);
        g_test_message ("case %u: %s", i, shown);
      }
      g_assert_cmpint (r, ==, cases[i].want);
      if (r != IOC_REJECT_NONE)
        continue;
      g_assert_cmpint (t.kind_id, ==, cases[i].want_kind);
      g_assert_cmpint (t.type_id, ==, cases[i].want_type);
      g_assert_cmpint (t.device.len, ==, strlen (cases[i].want_device));
      g_assert_true (memcmp (t.device.p, cases[i].want_device, t.device.len) == 0);
      g_assert_cmpint (t.province.len, ==, 2);
    }
}

static void
test_device_length (void)
{
  g_autofree gchar *dev64 = g_strnfill (64, 'd');
  g_autofree gchar *dev65 = g_strnfill (65, 'd');
  g_autofree gchar *ok = g_strdup_printf ("ioc/v1/40/xa-1/desk/%s/event", dev64);
  g_autofree gchar *bad = g_strdup_printf ("ioc/v1/40/xa-1/desk/%s/event", dev65);
  IocTopic t;
  g_assert_cmpint (ioc_topic_parse (ok, strlen (ok), &t), ==, IOC_REJECT_NONE);
  g_assert_cmpint (ioc_topic_parse (bad, strlen (bad), &t), ==, IOC_REJECT_BAD_TOPIC);
}

/* Slices point into the caller's buffer, which need not be terminated. */
static void
test_not_terminated (void)
{
  const gchar buf[] = "ioc/v1/40/xa-16681/desk/c1/statusXYZ";
  IocTopic t;
  g_assert_cmpint (ioc_topic_parse (buf, strlen (buf) - 3, &t), ==, IOC_REJECT_NONE);
  g_assert_cmpint (t.type_id, ==, IOC_MSG_STATUS);
  g_assert_true (t.unit.p == buf + 10);
  g_assert_cmpint (t.unit.len, ==, 8);
}

/* A NUL inside the type or kind level is a byte like any other: it does not
 * end the name early, and matching never reads past a name's own end. */
static void
test_embedded_nul (void)
{
  static const gchar event_nul[] = "ioc/v1/40/xa-16681/desk/c1/event\0";
  static const gchar desk_nul[] = "ioc/v1/40/xa-16681/desk\0/c1/event";
  static const gchar state_nul[] = "ioc/v1/40/xa-16681/desk/c1/sta\0e";
  IocTopic t;
  g_assert_cmpint (ioc_topic_parse (event_nul, sizeof event_nul - 1, &t), ==, IOC_REJECT_BAD_TOPIC);
  g_assert_cmpint (ioc_topic_parse (desk_nul, sizeof desk_nul - 1, &t), ==, IOC_REJECT_UNKNOWN_KIND);
  g_assert_cmpint (ioc_topic_parse (state_nul, sizeof state_nul - 1, &t), ==, IOC_REJECT_BAD_TOPIC);
}

static void
test_build (void)
{
  g_autofree gchar *s = ioc_topic_build ("40", "xa-16681", IOC_KIND_PORTAL, "dvc_1", IOC_MSG_STATE);
  IocTopic t;
  g_assert_cmpstr (s, ==, "ioc/v1/40/xa-16681/portal/dvc_1/state");
  g_assert_cmpint (ioc_topic_parse (s, strlen (s), &t), ==, IOC_REJECT_NONE);
  g_assert_cmpint (t.kind_id, ==, IOC_KIND_PORTAL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/topic/parse", test_parse_table);
  g_test_add_func ("/ioc/topic/device-length", test_device_length);
  g_test_add_func ("/ioc/topic/not-terminated", test_not_terminated);
  g_test_add_func ("/ioc/topic/embedded-nul", test_embedded_nul);
  g_test_add_func ("/ioc/topic/build", test_build);
  return g_test_run ();
}
