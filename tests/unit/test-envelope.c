/* test-envelope.c — decoding and checking messages (SPEC §3–§4): one row
 * per rejection reason, good messages of every event type and status kind
 * with their fields, and the context checks of ioc_validate(). */
#include <string.h>

#include <glib.h>

#include "ingest/decoder.h"
#include "ingest/validate.h"
#include "model/units.h"
#include "protocol/ioc-time.h"
#include "test-util.h"

#define T_DESK_EV "ioc/v1/40/xa-16681/desk/quay-01/event"
#define T_DESK_ST "ioc/v1/40/xa-16681/desk/quay-01/status"
#define T_KIOSK_EV "ioc/v1/40/xa-16681/kiosk/k-01/event"
#define T_KIOSK_ST "ioc/v1/40/xa-16681/kiosk/k-01/status"
#define T_CAM_EV "ioc/v1/40/xa-16681/camera/nvr-1/event"
#define T_CAM_ST "ioc/v1/40/xa-16681/camera/nvr-1/status"
#define T_PORTAL_EV "ioc/v1/40/xa-16681/portal/dvc/event"
#define T_PORTAL_ST "ioc/v1/40/xa-16681/portal/dvc/status"
#define T_STATE "ioc/v1/40/xa-16681/kiosk/k-01/state"

#define ENV "\"v\":1,\"seq\":7,\"ts\":\"2026-11-22T08:00:00+07:00\""
/* 2026-11-22T01:00:00Z */
#define TS_US G_GINT64_CONSTANT (1795309200000000)

static IocReject
decode (IocDecoder *dec, const gchar *topic, const gchar *payload, const IocRecord **rec,
        const gchar **detail)
{
  return ioc_decoder_decode (dec, topic, strlen (topic), (const guint8 *) payload, strlen (payload),
                             rec, detail);
}

static void
test_rejects (void)
{
  static const struct
  {
    const gchar *topic;
    const gchar *payload;
    IocReject want;
    const gchar *want_detail; /* substring, or NULL */
  } cases[] = {
    { "ioc/v1/40/xa-16681/desk/quay 1/event", "{}", IOC_REJECT_BAD_TOPIC, "topic" },
    { "ioc/v1/40/xa-16681/printer/p1/event", "{}", IOC_REJECT_UNKNOWN_KIND, "printer" },
    { T_DESK_EV, "\xff", IOC_REJECT_BAD_UTF8, "byte 0" },
    { T_DESK_EV, "{" ENV ",\"type\":\"counter.open\",\"counter\":\"\xc3\x28\"}", IOC_REJECT_BAD_UTF8, NULL },
    { T_DESK_EV, "{" ENV ",\"x\":\"\xed\xa0\x80\"}", IOC_REJECT_BAD_UTF8, NULL },  /* UTF-8 surrogate */
    { T_DESK_EV, "{" ENV ",\"x\":\"\xc0\xaf\"}", IOC_REJECT_BAD_UTF8, NULL },      /* overlong */
    { T_DESK_EV, "{" ENV ",\"x\":\"\xf4\x90\x80\x80\"}", IOC_REJECT_BAD_UTF8, NULL }, /* > U+10FFFF */
    { T_DESK_EV, "{" ENV ",\"x\":\"\\ud800\"}", IOC_REJECT_BAD_UTF8, "surrogate" },
    { T_DESK_EV, "{" ENV ",\"x\":\"\\udc00\\ud800\"}", IOC_REJECT_BAD_UTF8, "surrogate" },
    { T_DESK_EV, "{" ENV ",\"x\":\"\\ud800\\u0041\"}", IOC_REJECT_BAD_UTF8, "surrogate" },
    { T_DESK_EV, "", IOC_REJECT_BAD_JSON, "object" },
    { T_DESK_EV, "[1]", IOC_REJECT_BAD_JSON, "object" },
    { T_DESK_EV, "\"online\"", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{" ENV "} x", IOC_REJECT_BAD_JSON, "trailing" },
    { T_DESK_EV, "{" ENV "}{}", IOC_REJECT_BAD_JSON, "trailing" },
    { T_DESK_EV, "{" ENV ",}", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{" ENV ",\"seq\":8}", IOC_REJECT_BAD_JSON, "duplicate key: seq" },
    { T_DESK_EV, "{" ENV ",\"s\\u0065q\":8}", IOC_REJECT_BAD_JSON, "duplicate key: seq" },
    { T_DESK_EV, "{" ENV ",\"x\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", IOC_REJECT_BAD_JSON, "nesting" },
    { T_DESK_EV, "{" ENV ",\"x\":01}", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{" ENV ",\"x\":1.}", IOC_REJECT_BAD_JSON, "number" },
    { T_DESK_EV, "{" ENV ",\"x\":.5}", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{" ENV ",\"x\":+1}", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{" ENV ",\"x\":1e}", IOC_REJECT_BAD_JSON, "number" },
    { T_DESK_EV, "{" ENV ",\"x\":NaN}", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{" ENV ",\"x\":tru}", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{" ENV ",\"x\":\"a\tb\"}", IOC_REJECT_BAD_JSON, "control" },
    { T_DESK_EV, "{" ENV ",\"x\":\"\\x\"}", IOC_REJECT_BAD_JSON, "escape" },
    { T_DESK_EV, "{" ENV ",\"x\":\"\\u12g4\"}", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{" ENV ",'x':1}", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{\"v\":1 \"seq\":2}", IOC_REJECT_BAD_JSON, NULL },
    { T_DESK_EV, "{\"seq\":1,\"ts\":0,\"type\":\"counter.open\",\"counter\":\"1\"}", IOC_REJECT_MISSING_FIELD, "missing field: v" },
    { T_DESK_EV, "{\"v\":2,\"seq\":1,\"ts\":0}", IOC_REJECT_BAD_VERSION, "v: expected 1" },
    { T_DESK_EV, "{\"v\":\"1\",\"seq\":1,\"ts\":0}", IOC_REJECT_BAD_VERSION, NULL },
    { T_DESK_EV, "{\"v\":1.0,\"seq\":1,\"ts\":0}", IOC_REJECT_BAD_VERSION, NULL },
    { T_DESK_EV, "{\"v\":1,\"ts\":0}", IOC_REJECT_MISSING_FIELD, "missing field: seq" },
    { T_DESK_EV, "{\"v\":1,\"seq\":0,\"ts\":0}", IOC_REJECT_OUT_OF_RANGE, "seq" },
    { T_DESK_EV, "{\"v\":1,\"seq\":-3,\"ts\":0}", IOC_REJECT_OUT_OF_RANGE, "seq" },
    { T_DESK_EV, "{\"v\":1,\"seq\":99999999999999999999,\"ts\":0}", IOC_REJECT_OUT_OF_RANGE, "seq" },
    { T_DESK_EV, "{\"v\":1,\"seq\":1.5,\"ts\":0}", IOC_REJECT_WRONG_TYPE, "seq: expected an integer" },
    { T_DESK_EV, "{\"v\":1,\"seq\":\"1\",\"ts\":0}", IOC_REJECT_WRONG_TYPE, "seq" },
    { T_DESK_EV, "{\"v\":1,\"seq\":null,\"ts\":0}", IOC_REJECT_WRONG_TYPE, "seq" },
    { T_DESK_EV, "{\"v\":1,\"seq\":1}", IOC_REJECT_MISSING_FIELD, "missing field: ts" },
    { T_DESK_EV, "{\"v\":1,\"seq\":1,\"ts\":\"2026-11-22T08:00:00\"}", IOC_REJECT_BAD_TIME, "ts" },
    { T_DESK_EV, "{\"v\":1,\"seq\":1,\"ts\":\"yesterday\"}", IOC_REJECT_BAD_TIME, "ts" },
    { T_DESK_EV, "{\"v\":1,\"seq\":1,\"ts\":1795309200000.5}", IOC_REJECT_BAD_TIME, "ts" },
    { T_DESK_EV, "{\"v\":1,\"seq\":1,\"ts\":1e13}", IOC_REJECT_BAD_TIME, "ts" },
    { T_DESK_EV, "{\"v\":1,\"seq\":1,\"ts\":999999999999999999}", IOC_REJECT_BAD_TIME, "ts" },
    { T_DESK_EV, "{\"v\":1,\"seq\":1,\"ts\":true}", IOC_REJECT_WRONG_TYPE, "ts" },
    { T_DESK_EV, "{" ENV "}", IOC_REJECT_MISSING_FIELD, "missing field: type" },
    { T_DESK_EV, "{" ENV ",\"type\":7}", IOC_REJECT_WRONG_TYPE, "type" },
    { T_DESK_EV, "{" ENV ",\"type\":\"rating\"}", IOC_REJECT_UNKNOWN_TYPE, "not a desk event" },
    { T_DESK_EV, "{" ENV ",\"type\":\"counter.opened\"}", IOC_REJECT_UNKNOWN_TYPE, NULL },
    { T_DESK_EV, "{" ENV ",\"type\":\"counter.open\"}", IOC_REJECT_MISSING_FIELD, "missing field: counter" },
    { T_DESK_EV, "{" ENV ",\"type\":\"counter.open\",\"counter\":3}", IOC_REJECT_WRONG_TYPE, "counter: expected a string" },
    { T_DESK_EV, "{" ENV ",\"type\":\"counter.open\",\"counter\":\"\"}", IOC_REJECT_OUT_OF_RANGE, "empty" },
    { T_DESK_EV, "{" ENV ",\"type\":\"counter.open\",\"counter\":\"a\\u0000b\"}", IOC_REJECT_OUT_OF_RANGE, "U+0000" },
    { T_DESK_EV, "{" ENV ",\"type\":\"counter.open\",\"counter\":\"1\",\"officer\":false}", IOC_REJECT_WRONG_TYPE, "officer" },
    { T_DESK_EV, "{" ENV ",\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\"}", IOC_REJECT_MISSING_FIELD, "wait_s" },
    { T_DESK_EV, "{" ENV ",\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":-1}", IOC_REJECT_OUT_OF_RANGE, "wait_s" },
    { T_DESK_EV, "{" ENV ",\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":\"5\"}", IOC_REJECT_WRONG_TYPE, "wait_s" },
    { T_DESK_EV, "{" ENV ",\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":1e999}", IOC_REJECT_OUT_OF_RANGE, "wait_s" },
    { T_DESK_EV, "{" ENV ",\"type\":\"service.done\",\"ticket\":\"A1\",\"counter\":\"1\",\"service_s\":-0.5}", IOC_REJECT_OUT_OF_RANGE, "service_s" },
    { T_KIOSK_EV, "{" ENV ",\"type\":\"rating\",\"level\":6,\"scale\":5,\"channel\":\"qr\"}", IOC_REJECT_OUT_OF_RANGE, "level: 6 is above scale 5" },
    { T_KIOSK_EV, "{" ENV ",\"type\":\"rating\",\"level\":0,\"scale\":5,\"channel\":\"qr\"}", IOC_REJECT_OUT_OF_RANGE, "level" },
    { T_KIOSK_EV, "{" ENV ",\"type\":\"rating\",\"level\":4,\"scale\":3,\"channel\":\"qr\"}", IOC_REJECT_OUT_OF_RANGE, "above scale 3" },
    { T_KIOSK_EV, "{" ENV ",\"type\":\"rating\",\"level\":2,\"scale\":4,\"channel\":\"qr\"}", IOC_REJECT_OUT_OF_RANGE, "scale" },
    { T_KIOSK_EV, "{" ENV ",\"type\":\"rating\",\"level\":2.5,\"scale\":5,\"channel\":\"qr\"}", IOC_REJECT_WRONG_TYPE, "level" },
    { T_KIOSK_EV, "{" ENV ",\"type\":\"rating\",\"level\":2,\"scale\":5,\"channel\":\"sms\"}", IOC_REJECT_OUT_OF_RANGE, "channel" },
    { T_KIOSK_EV, "{" ENV ",\"type\":\"rating\",\"level\":2,\"scale\":5}", IOC_REJECT_MISSING_FIELD, "channel" },
    { T_KIOSK_EV, "{" ENV ",\"type\":\"ticket.issued\"}", IOC_REJECT_MISSING_FIELD, "ticket" },
    { T_CAM_EV, "{" ENV ",\"type\":\"tamper\"}", IOC_REJECT_MISSING_FIELD, "camera" },
    { T_CAM_EV, "{" ENV ",\"type\":\"ticket.issued\",\"ticket\":\"1\"}", IOC_REJECT_UNKNOWN_TYPE, NULL },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"1.001\",\"state\":11,\"channel\":1,\"received_at\":0}", IOC_REJECT_OUT_OF_RANGE, "state" },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"1.001\",\"state\":0,\"channel\":1,\"received_at\":0}", IOC_REJECT_OUT_OF_RANGE, "state" },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"1.001\",\"state\":2,\"channel\":4,\"received_at\":0}", IOC_REJECT_OUT_OF_RANGE, "channel" },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"1.001\",\"state\":2,\"channel\":1}", IOC_REJECT_MISSING_FIELD, "received_at" },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"1.001\",\"state\":2,\"channel\":1,\"received_at\":\"2026-11-22\"}", IOC_REJECT_BAD_TIME, "received_at" },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"1.001\",\"state\":2,\"channel\":1,\"received_at\":0,\"due_at\":\"soon\"}", IOC_REJECT_BAD_TIME, "due_at" },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"1.001\",\"state\":2,\"channel\":1,\"received_at\":0,\"supplements\":-1}", IOC_REJECT_OUT_OF_RANGE, "supplements" },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"1.001\",\"state\":2,\"channel\":1,\"received_at\":0,\"fee\":1}", IOC_REJECT_WRONG_TYPE, "fee" },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"procedure\":\"1.001\",\"state\":2,\"channel\":1,\"received_at\":0}", IOC_REJECT_MISSING_FIELD, "dossier" },
    { T_DESK_ST, "{" ENV ",\"counters_open\":-1}", IOC_REJECT_OUT_OF_RANGE, "counters_open" },
    { T_DESK_ST, "{" ENV ",\"waiting\":\"3\"}", IOC_REJECT_WRONG_TYPE, "waiting" },
    { T_KIOSK_ST, "{" ENV ",\"online\":\"yes\"}", IOC_REJECT_WRONG_TYPE, "online" },
    { T_KIOSK_ST, "{\"v\":1,\"seq\":1,\"online\":true}", IOC_REJECT_MISSING_FIELD, "ts" },
    { T_CAM_ST, "{" ENV ",\"cameras\":{}}", IOC_REJECT_WRONG_TYPE, "cameras" },
    { T_CAM_ST, "{" ENV ",\"cameras\":[1]}", IOC_REJECT_WRONG_TYPE, "cameras[0]" },
    { T_CAM_ST, "{" ENV ",\"cameras\":[{\"camera\":\"c1\"},{\"online\":true}]}", IOC_REJECT_MISSING_FIELD, "cameras[1]: missing field: camera" },
    { T_CAM_ST, "{" ENV ",\"cameras\":[{\"camera\":\"c1\",\"fps\":-2}]}", IOC_REJECT_OUT_OF_RANGE, "fps" },
    { T_CAM_ST, "{" ENV ",\"cameras\":[{\"camera\":\"c1\",\"camera\":\"c2\"}]}", IOC_REJECT_BAD_JSON, "duplicate key: camera" },
    { T_CAM_ST, "{" ENV ",\"online\":true}", IOC_REJECT_MISSING_FIELD, "camera" },
    { T_PORTAL_ST, "{" ENV ",\"sync_lag_s\":1.5}", IOC_REJECT_WRONG_TYPE, "sync_lag_s" },
    /* Plausible ranges (docs/CONNECTORS.md): every numeric field has one. */
    { T_DESK_EV, "{\"v\":1,\"seq\":9007199254740992,\"ts\":0}", IOC_REJECT_OUT_OF_RANGE, "seq: 9007199254740992 is above 9007199254740991" },
    { T_DESK_EV, "{\"v\":1,\"seq\":4611686018427387904,\"ts\":0}", IOC_REJECT_OUT_OF_RANGE, "seq" },
    { T_DESK_EV, "{" ENV ",\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":1e308}", IOC_REJECT_OUT_OF_RANGE, "wait_s: 1e+308 is above 86400" },
    { T_DESK_EV, "{" ENV ",\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":86400.5}", IOC_REJECT_OUT_OF_RANGE, "wait_s" },
    { T_DESK_EV, "{" ENV ",\"type\":\"service.done\",\"ticket\":\"A1\",\"counter\":\"1\",\"service_s\":28801}", IOC_REJECT_OUT_OF_RANGE, "service_s: 28801 is above 28800" },
    { T_PORTAL_EV, "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"1.001\",\"state\":2,\"channel\":1,\"received_at\":0,\"supplements\":101}", IOC_REJECT_OUT_OF_RANGE, "supplements" },
    { T_DESK_ST, "{" ENV ",\"counters_open\":1001}", IOC_REJECT_OUT_OF_RANGE, "counters_open: 1001 is above 1000" },
    { T_DESK_ST, "{" ENV ",\"waiting\":10001}", IOC_REJECT_OUT_OF_RANGE, "waiting" },
    { T_KIOSK_ST, "{" ENV ",\"queue_length\":10001}", IOC_REJECT_OUT_OF_RANGE, "queue_length" },
    { T_PORTAL_ST, "{" ENV ",\"open\":10000001}", IOC_REJECT_OUT_OF_RANGE, "open" },
    { T_PORTAL_ST, "{" ENV ",\"open_overdue\":10000001}", IOC_REJECT_OUT_OF_RANGE, "open_overdue" },
    { T_PORTAL_ST, "{" ENV ",\"sync_lag_s\":31536001}", IOC_REJECT_OUT_OF_RANGE, "sync_lag_s" },
    { T_CAM_ST, "{" ENV ",\"cameras\":[{\"camera\":\"c1\",\"fps\":1000.5}]}", IOC_REJECT_OUT_OF_RANGE, "cameras[0]: fps" },
    { T_CAM_ST, "{" ENV ",\"camera\":\"c1\",\"bitrate_kbps\":1e7}", IOC_REJECT_OUT_OF_RANGE, "bitrate_kbps" },
    /* epoch: a string of 1 to 32 characters */
    { T_DESK_ST, "{" ENV ",\"epoch\":7}", IOC_REJECT_WRONG_TYPE, "epoch: expected a string" },
    { T_DESK_ST, "{" ENV ",\"epoch\":\"\"}", IOC_REJECT_OUT_OF_RANGE, "epoch" },
    { T_DESK_ST, "{" ENV ",\"epoch\":\"0123456789abcdef0123456789abcdef0\"}", IOC_REJECT_OUT_OF_RANGE, "epoch: 33 characters, more than 32" },
    { T_STATE, "maybe", IOC_REJECT_BAD_STATE, "online or offline" },
    { T_STATE, "{\"state\":\"online\"}", IOC_REJECT_BAD_STATE, NULL },
    { T_STATE, "", IOC_REJECT_BAD_STATE, NULL },
    { T_STATE, "Online", IOC_REJECT_BAD_STATE, NULL },
  };
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  gboolean seen[IOC_REJECT_COUNT] = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const IocRecord *rec = NULL;
      const gchar *detail = NULL;
      IocReject r = decode (dec, cases[i].topic, cases[i].payload, &rec, &detail);

      {

        /* escaped: TAP output must stay valid UTF-8 */

        g_autofree gchar *shown = g_strescape (cases[i].payload, NULL);

        g_test_message ("case %u: %s", i, shown);

      }
      if (r != cases[i].want)
        g_error ("case %u: got %s (%s), want %s", i, ioc_reject_name (r), detail,
                 ioc_reject_name (cases[i].want));
      g_assert_nonnull (detail);
      g_assert_cmpstr (detail, !=, "");
      if (cases[i].want_detail != NULL && strstr (detail, cases[i].want_detail) == NULL)
        g_error ("case %u: detail \"%s\" lacks \"%s\"", i, detail, cases[i].want_detail);
      /* A reject past the topic still names the device, for per-device counts. */
      if (r != IOC_REJECT_BAD_TOPIC && r != IOC_REJECT_UNKNOWN_KIND)
        {
          g_assert_nonnull (rec);
          g_assert_cmpstr (rec->province, ==, "40");
        }
      seen[r] = TRUE;
    }

  /* TOO_LARGE: 16 KiB + 1 of an otherwise fine message. */
  {
    g_autoptr (GString) big = g_string_new ("{" ENV ",\"type\":\"counter.open\",\"counter\":\"1\",\"pad\":\"");
    const IocRecord *rec;
    const gchar *detail;
    while (big->len < IOC_MAX_PAYLOAD - 2)
      g_string_append_c (big, 'x');
    g_string_append (big, "\"}");
    g_assert_cmpint (big->len, ==, IOC_MAX_PAYLOAD);
    g_assert_cmpint (decode (dec, T_DESK_EV, big->str, &rec, &detail), ==, IOC_REJECT_NONE);
    g_string_insert_c (big, big->len - 2, 'x');
    g_assert_cmpint (decode (dec, T_DESK_EV, big->str, &rec, &detail), ==, IOC_REJECT_TOO_LARGE);
    g_assert_nonnull (strstr (detail, "16385"));
    seen[IOC_REJECT_TOO_LARGE] = TRUE;
  }

  /* Every reason the decoder owns has a row. */
  for (IocReject r = IOC_REJECT_TOO_LARGE; r < IOC_REJECT_COUNT; r++)
    if (r != IOC_REJECT_WRONG_PROVINCE && r != IOC_REJECT_UNKNOWN_UNIT && r != IOC_REJECT_FUTURE_TS &&
        r != IOC_REJECT_SEQ_JUMP && r != IOC_REJECT_TRANSITION &&
        r != IOC_REJECT_TOO_MANY_DEVICES && r != IOC_REJECT_TOO_LATE) /* the hub's, not the decoder's */
      if (!seen[r])
        g_error ("no row for %s", ioc_reject_name (r));
}

static const IocRecord *
decode_ok (IocDecoder *dec, const gchar *topic, const gchar *payload)
{
  const IocRecord *rec = NULL;
  const gchar *detail = NULL;
  IocReject r = decode (dec, topic, payload, &rec, &detail);
  if (r != IOC_REJECT_NONE)
    g_error ("%s: %s (%s)", payload, ioc_reject_name (r), detail);
  g_assert_null (detail);
  g_assert_nonnull (rec);
  return rec;
}

/* Fields no message type sets must read as absent. */
static void
assert_absent_status (const IocRecord *rec)
{
  g_assert_cmpint (rec->counters_open, ==, -1);
  g_assert_cmpint (rec->waiting, ==, -1);
  g_assert_cmpint (rec->queue_length, ==, -1);
  g_assert_cmpint (rec->open, ==, -1);
  g_assert_cmpint (rec->sync_lag_s, ==, -1);
  g_assert_cmpint (rec->paper_low, ==, IOC_TRI_UNSET);
  g_assert_cmpint (rec->n_cameras, ==, 0);
}

static void
test_desk_events (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  const IocRecord *rec;

  rec = decode_ok (dec, T_DESK_EV, "{" ENV ",\"type\":\"counter.open\",\"counter\":\"Quầy 1\",\"officer\":\"cb-07\"}");
  g_assert_cmpstr (rec->province, ==, "40");
  g_assert_cmpstr (rec->unit, ==, "xa-16681");
  g_assert_cmpstr (rec->device, ==, "quay-01");
  g_assert_cmpint (rec->kind, ==, IOC_KIND_DESK);
  g_assert_cmpint (rec->msg_type, ==, IOC_MSG_EVENT);
  g_assert_cmpint (rec->v, ==, 1);
  g_assert_cmpint (rec->seq, ==, 7);
  g_assert_cmpint (rec->ts_us, ==, TS_US);
  g_assert_null (rec->epoch);
  g_assert_cmpint (rec->type, ==, IOC_EV_COUNTER_OPEN);
  g_assert_cmpstr (rec->counter, ==, "Quầy 1");
  g_assert_cmpstr (rec->officer, ==, "cb-07");
  g_assert_null (rec->ticket);
  g_assert_cmpfloat (rec->wait_s, ==, -1);
  g_assert_cmpint (rec->supplements, ==, -1);
  g_assert_cmpint (rec->fee, ==, IOC_TRI_UNSET);
  assert_absent_status (rec);

  rec = decode_ok (dec, T_DESK_EV, "{\"type\":\"counter.close\",\"counter\":\"1\",\"officer\":null," ENV
                                   ",\"epoch\":\"k7Q2-2026-11-22\"}");
  g_assert_cmpstr (rec->epoch, ==, "k7Q2-2026-11-22");
  g_assert_cmpint (rec->type, ==, IOC_EV_COUNTER_CLOSE);
  g_assert_null (rec->officer);

  rec = decode_ok (dec, T_DESK_EV, "{" ENV ",\"type\":\"ticket.called\",\"ticket\":\"A012\",\"counter\":\"2\",\"wait_s\":754.5}");
  g_assert_cmpint (rec->type, ==, IOC_EV_TICKET_CALLED);
  g_assert_cmpstr (rec->ticket, ==, "A012");
  g_assert_cmpfloat (rec->wait_s, ==, 754.5);
  g_assert_cmpfloat (rec->service_s, ==, -1);

  rec = decode_ok (dec, T_DESK_EV, "{" ENV ",\"type\":\"service.done\",\"ticket\":\"A012\",\"counter\":\"2\",\"service_s\":300,\"officer\":\"cb-1\",\"dossier\":\"000.00.40.H40-261122-0001\"}");
  g_assert_cmpint (rec->type, ==, IOC_EV_SERVICE_DONE);
  g_assert_cmpfloat (rec->service_s, ==, 300);
  g_assert_cmpstr (rec->dossier, ==, "000.00.40.H40-261122-0001");
  g_assert_cmpstr (rec->counter, ==, "2");
}

static void
test_kiosk_events (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  const IocRecord *rec;

  rec = decode_ok (dec, T_KIOSK_EV, "{" ENV ",\"type\":\"ticket.issued\",\"ticket\":\"B7\",\"service\":\"Chứng thực\",\"priority\":\"elderly\"}");
  g_assert_cmpint (rec->kind, ==, IOC_KIND_KIOSK);
  g_assert_cmpint (rec->type, ==, IOC_EV_TICKET_ISSUED);
  g_assert_cmpstr (rec->service, ==, "Chứng thực");
  g_assert_cmpstr (rec->priority, ==, "elderly");

  rec = decode_ok (dec, T_KIOSK_EV, "{" ENV ",\"type\":\"ticket.no_show\",\"ticket\":\"B7\"}");
  g_assert_cmpint (rec->type, ==, IOC_EV_TICKET_NO_SHOW);
  g_assert_null (rec->service);

  rec = decode_ok (dec, T_KIOSK_EV, "{" ENV ",\"type\":\"rating\",\"level\":5,\"scale\":5,\"channel\":\"device\",\"counter\":\"3\"}");
  g_assert_cmpint (rec->type, ==, IOC_EV_RATING);
  g_assert_cmpint (rec->level, ==, 5);
  g_assert_cmpint (rec->scale, ==, 5);
  g_assert_cmpstr (rec->rating_channel, ==, "device");
  g_assert_cmpstr (rec->counter, ==, "3");

  rec = decode_ok (dec, T_KIOSK_EV, "{" ENV ",\"type\":\"rating\",\"level\":1,\"scale\":3.0,\"channel\":\"web\"}");
  g_assert_cmpint (rec->scale, ==, 3);
  g_assert_cmpint (rec->level, ==, 1);
  g_assert_cmpstr (rec->rating_channel, ==, "web");
}

static void
test_camera_events (void)
{
  static const struct
  {
    const gchar *type;
    IocEventType want;
  } cases[] = {
    { "camera.offline", IOC_EV_CAMERA_OFFLINE }, { "camera.online", IOC_EV_CAMERA_ONLINE },
    { "video.loss", IOC_EV_VIDEO_LOSS },         { "tamper", IOC_EV_TAMPER },
    { "recording.stopped", IOC_EV_RECORDING_STOPPED }, { "recording.started", IOC_EV_RECORDING_STARTED },
  };
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *p = g_strdup_printf ("{" ENV ",\"type\":\"%s\",\"camera\":\"cam-3\",\"counter\":\"1\"}",
                                             cases[i].type);
      const IocRecord *rec = decode_ok (dec, T_CAM_EV, p);
      g_assert_cmpint (rec->type, ==, cases[i].want);
      g_assert_cmpstr (rec->camera, ==, "cam-3");
      g_assert_cmpstr (rec->counter, ==, "1");
    }
}

static void
test_dossier_event (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  const IocRecord *rec;

  rec = decode_ok (dec, T_PORTAL_EV,
                   "{" ENV ",\"type\":\"dossier\",\"dossier\":\"000.00.40.H40-261122-0001\",\"procedure\":\"1.001234\","
                   "\"state\":5,\"channel\":2,\"received_at\":\"2026-11-20T09:15:00+07:00\",\"due_at\":1795309200000,"
                   "\"supplements\":1,\"fee\":true,\"paid_online\":false,\"digitized\":true,\"e_result\":null,"
                   "\"applicant_commune\":\"xa-16690\"}");
  g_assert_cmpint (rec->kind, ==, IOC_KIND_PORTAL);
  g_assert_cmpint (rec->type, ==, IOC_EV_DOSSIER);
  g_assert_cmpstr (rec->dossier, ==, "000.00.40.H40-261122-0001");
  g_assert_cmpstr (rec->procedure, ==, "1.001234");
  g_assert_cmpint (rec->state, ==, IOC_DOSSIER_SUPPLEMENT);
  g_assert_cmpint (rec->channel, ==, 2);
  g_assert_cmpint (rec->received_at_us, ==, TS_US - 2 * G_TIME_SPAN_DAY + 75 * G_TIME_SPAN_MINUTE);
  g_assert_cmpint (rec->due_at_us, ==, TS_US);
  g_assert_cmpint (rec->supplements, ==, 1);
  g_assert_cmpint (rec->fee, ==, IOC_TRI_TRUE);
  g_assert_cmpint (rec->paid_online, ==, IOC_TRI_FALSE);
  g_assert_cmpint (rec->digitized, ==, IOC_TRI_TRUE);
  g_assert_cmpint (rec->e_result, ==, IOC_TRI_UNSET);
  g_assert_cmpstr (rec->applicant_commune, ==, "xa-16690");
  g_assert_null (rec->rating_channel);

  /* Optional fields absent. */
  rec = decode_ok (dec, T_PORTAL_EV,
                   "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D2\",\"procedure\":\"P\",\"state\":1,\"channel\":1,\"received_at\":0}");
  g_assert_cmpint (rec->due_at_us, ==, 0);
  g_assert_cmpint (rec->supplements, ==, -1);
  g_assert_cmpint (rec->fee, ==, IOC_TRI_UNSET);
  g_assert_null (rec->applicant_commune);
}

static void
test_status (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  const IocRecord *rec;

  rec = decode_ok (dec, T_DESK_ST, "{" ENV ",\"counters_open\":4,\"waiting\":12}");
  g_assert_cmpint (rec->msg_type, ==, IOC_MSG_STATUS);
  g_assert_cmpint (rec->type, ==, IOC_EV_NONE);
  g_assert_cmpint (rec->counters_open, ==, 4);
  g_assert_cmpint (rec->waiting, ==, 12);

  rec = decode_ok (dec, T_KIOSK_ST, "{" ENV ",\"online\":true,\"queue_length\":3,\"paper_low\":false}");
  g_assert_cmpint (rec->online, ==, IOC_TRI_TRUE);
  g_assert_cmpint (rec->queue_length, ==, 3);
  g_assert_cmpint (rec->paper_low, ==, IOC_TRI_FALSE);
  g_assert_cmpint (rec->counters_open, ==, -1);

  rec = decode_ok (dec, T_KIOSK_ST, "{" ENV "}");
  g_assert_cmpint (rec->online, ==, IOC_TRI_UNSET);
  assert_absent_status (rec);

  rec = decode_ok (dec, T_PORTAL_ST, "{" ENV ",\"open\":120,\"open_overdue\":3,\"sync_lag_s\":45}");
  g_assert_cmpint (rec->open, ==, 120);
  g_assert_cmpint (rec->open_overdue, ==, 3);
  g_assert_cmpint (rec->sync_lag_s, ==, 45);
}

static void
test_camera_status (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  const IocRecord *rec;

  rec = decode_ok (dec, T_CAM_ST,
                   "{" ENV ",\"cameras\":[{\"camera\":\"c1\",\"online\":true,\"recording\":true,\"fps\":25,\"bitrate_kbps\":2048.5},"
                   " {\"camera\":\"c2\",\"online\":false,\"x\":{\"camera\":1}},{\"camera\":\"c3\",\"online\":true,\"recording\":false}]}");
  g_assert_cmpint (rec->n_cameras, ==, 3);
  g_assert_cmpstr (rec->cameras[0].camera, ==, "c1");
  g_assert_true (rec->cameras[0].online);
  g_assert_true (rec->cameras[0].recording);
  g_assert_true (rec->cameras[0].has_recording);
  g_assert_cmpfloat (rec->cameras[0].fps, ==, 25);
  g_assert_cmpfloat (rec->cameras[0].bitrate_kbps, ==, 2048.5);
  g_assert_cmpstr (rec->cameras[1].camera, ==, "c2");
  g_assert_false (rec->cameras[1].online);
  g_assert_false (rec->cameras[1].has_recording);
  g_assert_cmpfloat (rec->cameras[1].fps, <, 0);
  g_assert_true (rec->cameras[2].has_recording);
  g_assert_false (rec->cameras[2].recording);

  /* The next message must not see the previous cameras. */
  rec = decode_ok (dec, T_CAM_ST, "{" ENV ",\"camera\":\"solo\",\"online\":true,\"fps\":12.5}");
  g_assert_cmpint (rec->n_cameras, ==, 1);
  g_assert_cmpstr (rec->cameras[0].camera, ==, "solo");
  g_assert_cmpfloat (rec->cameras[0].fps, ==, 12.5);
  g_assert_null (rec->cameras[1].camera);

  rec = decode_ok (dec, T_CAM_ST, "{" ENV ",\"cameras\":[]}");
  g_assert_cmpint (rec->n_cameras, ==, 0);
  g_assert_null (rec->cameras[0].camera);

  /* Up to IOC_MAX_CAMERAS, and not one more. */
  {
    g_autoptr (GString) s = g_string_new ("{" ENV ",\"cameras\":[");
    const gchar *detail;
    for (guint i = 0; i < IOC_MAX_CAMERAS; i++)
      g_string_append_printf (s, "%s{\"camera\":\"c%u\",\"online\":true}", i ? "," : "", i);
    g_string_append (s, "]}");
    rec = decode_ok (dec, T_CAM_ST, s->str);
    g_assert_cmpint (rec->n_cameras, ==, IOC_MAX_CAMERAS);
    g_assert_cmpstr (rec->cameras[IOC_MAX_CAMERAS - 1].camera, ==, "c255");
    g_string_truncate (s, s->len - 2);
    g_string_append (s, ",{\"camera\":\"one-more\"}]}");
    g_assert_cmpint (decode (dec, T_CAM_ST, s->str, &rec, &detail), ==, IOC_REJECT_OUT_OF_RANGE);
  }
}

static void
test_state (void)
{
  static const struct
  {
    const gchar *payload;
    IocTri want;
  } cases[] = {
    { "online", IOC_TRI_TRUE }, { "offline", IOC_TRI_FALSE }, { "\"online\"", IOC_TRI_TRUE },
    { "\"offline\"", IOC_TRI_FALSE }, { "offline\n", IOC_TRI_FALSE },
  };
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const IocRecord *rec = decode_ok (dec, T_STATE, cases[i].payload);
      g_assert_cmpint (rec->msg_type, ==, IOC_MSG_STATE);
      g_assert_cmpint (rec->online, ==, cases[i].want);
      g_assert_cmpint (rec->seq, ==, 0);
      g_assert_cmpint (rec->v, ==, 0);
      g_assert_cmpint (rec->ts_us, ==, 0);
    }
}

static void
test_unknown_fields_ignored (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  const IocRecord *rec;

  rec = decode_ok (dec, T_KIOSK_EV,
                   "{\"schema\":\"ioc.cchc.kiosk.event/1\",\"msg_id\":\"01JD0000000000000000000000\","
                   "\"extra\":{\"a\":[1,2.5e-3,{\"b\":null,\"seq\":\"not ours\"}],\"c\":true},"
                   "\"wait_s\":\"ignored: not a rating field\",\"list\":[],\"o\":{},"
                   " \"v\" : 1 , \"seq\" : 9 , \"ts\" : 1795309200123 ,"
                   "\"type\":\"rating\",\"level\":3,\"scale\":5,\"channel\":\"qr\",\"note\":\"\\u00e2\"}");
  g_assert_cmpint (rec->seq, ==, 9);
  g_assert_cmpint (rec->ts_us, ==, TS_US + 123000);
  g_assert_cmpint (rec->level, ==, 3);
  g_assert_cmpfloat (rec->wait_s, ==, -1);
}

static void
test_escapes (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  const IocRecord *rec;

  rec = decode_ok (dec, T_DESK_EV,
                   "{" ENV ",\"type\":\"counter.open\",\"counter\":\"Qu\\u1ea7y \\\"1\\\"\\n\\\\\\/\\t\","
                   "\"officer\":\"Nguy\\u1ec5n V\\u0103n A \\ud83d\\ude00 Đức\"}");
  g_assert_cmpstr (rec->counter, ==, "Quầy \"1\"\n\\/\t");
  g_assert_cmpstr (rec->officer, ==, "Nguyễn Văn A \xf0\x9f\x98\x80 Đức");
  g_assert_true (g_utf8_validate (rec->officer, -1, NULL));
  /* Known keys written with escapes are still those keys. */
  rec = decode_ok (dec, T_DESK_EV, "{\"\\u0076\":1,\"se\\u0071\":3,\"ts\":0,\"type\":\"counter.open\",\"counter\":\"x\"}");
  g_assert_cmpint (rec->seq, ==, 3);
}

static void
test_ts_forms (void)
{
  static const struct
  {
    const gchar *ts;
    gint64 want;
  } cases[] = {
    { "\"2026-11-22T08:00:00+07:00\"", TS_US },
    { "\"2026-11-22T01:00:00Z\"", TS_US },
    { "\"2026-11-22T01:00:00.250Z\"", TS_US + 250000 },
    { "1795309200000", TS_US },
    { "0", 0 },
  };
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *p = g_strdup_printf ("{\"v\":1,\"seq\":1,\"ts\":%s}", cases[i].ts);
      const IocRecord *rec = decode_ok (dec, T_DESK_ST, p);
      g_assert_cmpint (rec->ts_us, ==, cases[i].want);
    }
}

/* Strings stay valid until the next decode; each decode starts clean. */
static void
test_reset_between_messages (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  const IocRecord *rec;
  const gchar *detail;

  decode_ok (dec, T_PORTAL_EV,
             "{" ENV ",\"type\":\"dossier\",\"dossier\":\"D1\",\"procedure\":\"P\",\"state\":4,\"channel\":3,\"received_at\":0,\"supplements\":2,\"fee\":false}");
  rec = decode_ok (dec, T_DESK_EV, "{" ENV ",\"type\":\"counter.open\",\"counter\":\"1\"}");
  g_assert_null (rec->dossier);
  g_assert_cmpint (rec->state, ==, 0);
  g_assert_cmpint (rec->channel, ==, 0);
  g_assert_cmpint (rec->supplements, ==, -1);
  g_assert_cmpint (rec->fee, ==, IOC_TRI_UNSET);
  g_assert_cmpint (decode (dec, T_DESK_EV, "{", &rec, &detail), ==, IOC_REJECT_BAD_JSON);
  rec = decode_ok (dec, T_DESK_EV, "{" ENV ",\"type\":\"counter.close\",\"counter\":\"2\"}");
  g_assert_cmpstr (rec->counter, ==, "2");
}

/* ---- validate --------------------------------------------------------- */

static IocUnitRegistry *
registry (void)
{
  static const gchar csv[] = "code,name,kind,parent,valid_from,valid_to,successor\n"
                             "tinh-40,Tỉnh,tinh,,,,\n"
                             "xa-16681,Phường Quang Trung,phuong,tinh-40,,2025-06-30,xa-16681\n"
                             "xa-16681,Phường Thành Vinh,phuong,tinh-40,2025-07-01,,\n"
                             "xa-16663,Phường Đông Vĩnh,phuong,tinh-40,,2025-06-30,xa-16681\n"
                             "xa-16700,Xã Bỏ,xa,tinh-40,,2025-06-30,\n";
  g_autoptr (GError) error = NULL;
  IocUnitRegistry *reg = ioc_units_load_data ("test.csv", csv, sizeof csv - 1, &error);
  g_assert_no_error (error);
  return reg;
}

static void
test_validate (void)
{
  /* 2025-07-01 00:00 +07:00 is 2025-06-30T17:00Z = 1751302800 s. */
  static const struct
  {
    const gchar *topic;
    const gchar *ts; /* JSON value; NULL: a state message */
    gint64 now_us;
    IocReject want;
    const gchar *want_remapped_to; /* NULL: not remapped */
  } cases[] = {
    { "ioc/v1/40/xa-16681/desk/d1/status", "\"2025-06-30T23:59:00+07:00\"", G_GINT64_CONSTANT (1751400000000000), IOC_REJECT_NONE },
    { "ioc/v1/40/xa-16663/desk/d1/status", "\"2025-06-30T23:59:00+07:00\"", G_GINT64_CONSTANT (1751400000000000), IOC_REJECT_NONE },
    /* retired by the merge: after it, the successor's (SPEC §2) */
    { "ioc/v1/40/xa-16663/desk/d1/status", "\"2025-07-01T00:00:00+07:00\"", G_GINT64_CONSTANT (1751400000000000), IOC_REJECT_NONE, "xa-16681" },
    /* retired with no successor: unknown after its last day */
    { "ioc/v1/40/xa-16700/desk/d1/status", "\"2025-06-30T23:59:00+07:00\"", G_GINT64_CONSTANT (1751400000000000), IOC_REJECT_NONE },
    { "ioc/v1/40/xa-16700/desk/d1/status", "\"2025-07-01T00:00:00+07:00\"", G_GINT64_CONSTANT (1751400000000000), IOC_REJECT_UNKNOWN_UNIT },
    { "ioc/v1/40/xa-99999/desk/d1/status", "\"2025-07-01T00:00:00+07:00\"", G_GINT64_CONSTANT (1751400000000000), IOC_REJECT_UNKNOWN_UNIT },
    { "ioc/v1/42/xa-16681/desk/d1/status", "\"2025-07-01T00:00:00+07:00\"", G_GINT64_CONSTANT (1751400000000000), IOC_REJECT_WRONG_PROVINCE },
    /* 5 minutes ahead is fine, a microsecond more is not */
    { "ioc/v1/40/xa-16681/desk/d1/status", "1751303100000", G_GINT64_CONSTANT (1751302800000000), IOC_REJECT_NONE },
    { "ioc/v1/40/xa-16681/desk/d1/status", "1751303100001", G_GINT64_CONSTANT (1751302800000000), IOC_REJECT_FUTURE_TS },
    /* state: looked up at the hub's clock */
    { "ioc/v1/40/xa-16663/kiosk/k1/state", NULL, G_GINT64_CONSTANT (1751302799000000), IOC_REJECT_NONE },
    { "ioc/v1/40/xa-16663/kiosk/k1/state", NULL, G_GINT64_CONSTANT (1751302800000000), IOC_REJECT_NONE, "xa-16681" },
  };
  g_autoptr (IocUnitRegistry) reg = registry ();
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *p = cases[i].ts ? g_strdup_printf ("{\"v\":1,\"seq\":1,\"ts\":%s}", cases[i].ts)
                                        : g_strdup ("offline");
      const IocRecord *crec = decode_ok (dec, cases[i].topic, p);
      IocRecord *rec = (IocRecord *) crec;
      const gchar *detail = NULL;
      const IocUnit *unit = NULL;
      gboolean remapped = TRUE;
      IocReject r = ioc_validate_unit (rec, "40", reg, cases[i].now_us, &unit, &remapped, &detail);

      g_test_message ("case %u", i);
      g_assert_cmpint (r, ==, cases[i].want);
      g_assert_cmpint (remapped, ==, cases[i].want_remapped_to != NULL);
      if (cases[i].want_remapped_to != NULL)
        g_assert_cmpstr (unit->code, ==, cases[i].want_remapped_to);
      if (r == IOC_REJECT_NONE && cases[i].want_remapped_to == NULL)
        g_assert_cmpstr (unit->code, ==, rec->unit);
      if (r != IOC_REJECT_NONE)
        g_assert_nonnull (detail);
      if (cases[i].ts == NULL)
        g_assert_cmpint (rec->ts_us, ==, cases[i].now_us);
    }
}

/* Decimal numbers come out as the very double strtod makes of them,
 * whichever path the decoder takes (short decimals skip strtod). */
static void
test_numbers_exact (void)
{
  g_autoptr (IocDecoder) dec = ioc_decoder_new ();
  g_autoptr (GRand) rng = g_rand_new_with_seed (766);
  static const gchar *const fixed[] = { "0", "0.0", "12.5", "0.1", "0.3", "1.7976931348623157", "123456789012345",
                                        "1234567890123456", "12345678901234567", "9007199254740993",
                                        "0.000000000000001", "3.14159265358979", "2.5e1", "1E2", "100.000" };
  for (guint i = 0; i < G_N_ELEMENTS (fixed) + 20000; i++)
    {
      gchar num[64];
      if (i < G_N_ELEMENTS (fixed))
        g_strlcpy (num, fixed[i], sizeof num);
      else
        ioc_test_random_decimal (rng, num);
      g_autofree gchar *payload = g_strdup_printf ("{" ENV ",\"type\":\"ticket.called\",\"ticket\":\"A1\","
                                                   "\"counter\":\"1\",\"wait_s\":%s}", num);
      const IocRecord *rec = NULL;
      const gchar *detail = NULL;
      gdouble want = g_ascii_strtod (num, NULL);
      IocReject r = decode (dec, T_DESK_EV, payload, &rec, &detail);
      if (want > 86400)
        {
          /* A wait longer than a day is out of its range. */
          if (r != IOC_REJECT_OUT_OF_RANGE)
            g_error ("wait_s %s: %s, want out_of_range", num, ioc_reject_name (r));
          continue;
        }
      if (r != IOC_REJECT_NONE)
        g_error ("wait_s %s: rejected: %s", num, detail);
      if (memcmp (&rec->wait_s, &want, sizeof want) != 0)
        g_error ("wait_s %s: decoded %.17g, strtod %.17g", num, rec->wait_s, want);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/envelope/rejects", test_rejects);
  g_test_add_func ("/ioc/envelope/desk-events", test_desk_events);
  g_test_add_func ("/ioc/envelope/kiosk-events", test_kiosk_events);
  g_test_add_func ("/ioc/envelope/camera-events", test_camera_events);
  g_test_add_func ("/ioc/envelope/dossier-event", test_dossier_event);
  g_test_add_func ("/ioc/envelope/status", test_status);
  g_test_add_func ("/ioc/envelope/camera-status", test_camera_status);
  g_test_add_func ("/ioc/envelope/state", test_state);
  g_test_add_func ("/ioc/envelope/unknown-fields-ignored", test_unknown_fields_ignored);
  g_test_add_func ("/ioc/envelope/escapes", test_escapes);
  g_test_add_func ("/ioc/envelope/ts-forms", test_ts_forms);
  g_test_add_func ("/ioc/envelope/reset-between-messages", test_reset_between_messages);
  g_test_add_func ("/ioc/envelope/numbers-exact", test_numbers_exact);
  g_test_add_func ("/ioc/validate/context", test_validate);
  return g_test_run ();
}
