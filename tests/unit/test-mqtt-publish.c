/* test-mqtt-publish.c — the PUBLISH packets the hub's persistence hook takes
 * apart before it journals them (ioc_mqtt_parse_publish), and the stable
 * unit → session hash that keeps each unit on one ingest session. */
#include <string.h>

#include "io/mqtt-client.h"

/* A PUBLISH as Paho hands it to put(): fixed header, remaining length,
 * topic, packet id (QoS > 0), properties (MQTT 5), payload. */
static GByteArray *
build (guint qos, gboolean mqtt5, const gchar *topic, const guint8 *props, gsize props_len, const gchar *payload)
{
  GByteArray *body = g_byte_array_new ();
  guint8 tl[2] = { (guint8) (strlen (topic) >> 8), (guint8) strlen (topic) };
  g_byte_array_append (body, tl, 2);
  g_byte_array_append (body, (const guint8 *) topic, (guint) strlen (topic));
  if (qos > 0)
    {
      guint8 id[2] = { 0x12, 0x34 };
      g_byte_array_append (body, id, 2);
    }
  if (mqtt5)
    {
      guint8 plen = (guint8) props_len; /* < 128 in these tests */
      g_byte_array_append (body, &plen, 1);
      if (props_len > 0)
        g_byte_array_append (body, props, (guint) props_len);
    }
  g_byte_array_append (body, (const guint8 *) payload, (guint) strlen (payload));
  GByteArray *pkt = g_byte_array_new ();
  guint8 h = (guint8) (0x30 | (qos << 1));
  g_byte_array_append (pkt, &h, 1);
  gsize rem = body->len;
  do
    {
      guint8 b = rem & 0x7f;
      rem >>= 7;
      if (rem > 0)
        b |= 0x80;
      g_byte_array_append (pkt, &b, 1);
    }
  while (rem > 0);
  g_byte_array_append (pkt, body->data, body->len);
  g_byte_array_unref (body);
  return pkt;
}

static void
assert_parses (GByteArray *pkt, gboolean mqtt5, const gchar *topic, const gchar *payload)
{
  const guint8 *t = NULL, *p = NULL;
  gsize tl = 0, pl = 0;
  g_assert_true (ioc_mqtt_parse_publish (pkt->data, pkt->len, mqtt5, &t, &tl, &p, &pl));
  g_assert_cmpmem (t, tl, topic, strlen (topic));
  g_assert_cmpmem (p, pl, payload, strlen (payload));
}

static void
test_versions_and_qos (void)
{
  const gchar *topic = "ioc/v1/40/xa-16681/kiosk/k-01/event";
  const gchar *payload = "{\"v\":1,\"seq\":7,\"ts\":1,\"type\":\"rating\"}";
  /* Receive Maximum is not sent to us, but a broker may add e.g. a topic
   * alias or user properties: 0x23 = topic alias 5, 0x26 = user property. */
  static const guint8 props[] = { 0x23, 0x00, 0x05, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v' };
  for (guint qos = 0; qos <= 2; qos++)
    {
      g_autoptr (GByteArray) v3 = build (qos, FALSE, topic, NULL, 0, payload);
      assert_parses (v3, FALSE, topic, payload);
      g_autoptr (GByteArray) v5 = build (qos, TRUE, topic, props, sizeof props, payload);
      assert_parses (v5, TRUE, topic, payload);
      g_autoptr (GByteArray) v5bare = build (qos, TRUE, topic, NULL, 0, payload);
      assert_parses (v5bare, TRUE, topic, payload);
    }
  /* An empty payload is a PUBLISH too (a cleared retained message). */
  g_autoptr (GByteArray) empty = build (2, TRUE, topic, NULL, 0, "");
  assert_parses (empty, TRUE, topic, "");
  /* Long enough for a two-byte remaining length. */
  g_autofree gchar *big = g_strnfill (5000, 'x');
  g_autoptr (GByteArray) large = build (2, FALSE, topic, NULL, 0, big);
  assert_parses (large, FALSE, topic, big);
}

static void
test_rejects (void)
{
  const gchar *topic = "ioc/v1/40/xa-16681/desk/d-1/status";
  static const guint8 props[] = { 0x23, 0x00, 0x05 };
  const guint8 *t, *p;
  gsize tl, pl;
  g_autoptr (GByteArray) ok = build (2, TRUE, topic, props, sizeof props, "{}");
  g_assert_true (ioc_mqtt_parse_publish (ok->data, ok->len, TRUE, &t, &tl, &p, &pl));
  /* Every truncation is refused: the remaining length no longer adds up. */
  for (gsize n = 0; n < ok->len; n++)
    g_assert_false (ioc_mqtt_parse_publish (ok->data, n, TRUE, &t, &tl, &p, &pl));
  /* Not a PUBLISH (a PUBREL), and QoS 3. */
  g_autoptr (GByteArray) bad = g_byte_array_new ();
  g_byte_array_append (bad, ok->data, ok->len);
  bad->data[0] = 0x62;
  g_assert_false (ioc_mqtt_parse_publish (bad->data, bad->len, TRUE, &t, &tl, &p, &pl));
  bad->data[0] = 0x36;
  g_assert_false (ioc_mqtt_parse_publish (bad->data, bad->len, TRUE, &t, &tl, &p, &pl));
  /* A topic length past the end. */
  bad->data[0] = ok->data[0];
  bad->data[2] = 0xff;
  g_assert_false (ioc_mqtt_parse_publish (bad->data, bad->len, TRUE, &t, &tl, &p, &pl));
  /* A property length past the end. */
  g_byte_array_set_size (bad, 0);
  g_byte_array_append (bad, ok->data, ok->len);
  bad->data[2 + 2 + strlen (topic) + 2] = 0x7f;
  g_assert_false (ioc_mqtt_parse_publish (bad->data, bad->len, TRUE, &t, &tl, &p, &pl));
  /* A remaining length of five bytes (at most four exist). */
  static const guint8 varint[] = { 0x34, 0xff, 0xff, 0xff, 0xff, 0x01 };
  g_assert_false (ioc_mqtt_parse_publish (varint, sizeof varint, FALSE, &t, &tl, &p, &pl));
}

/* The assignment is part of the deployment: a hub that changed it would
 * move units between sessions at every upgrade (each move is handled, but
 * costs a resubscription).  Fixed values, then the province's registry
 * spread over 8 sessions, none with fewer than half or more than twice its
 * share. */
static void
test_session_hash (void)
{
  /* FNV-1a("a") = 0xe40c292c and ("foobar") = 0xbf9cf968 (the published
   * test vectors), each through MurmurHash3's fmix32. */
  g_assert_cmpuint (ioc_mqtt_session_for_key ("a", G_MAXUINT), ==, 444641715u);
  g_assert_cmpuint (ioc_mqtt_session_for_key ("foobar", G_MAXUINT), ==, 202221276u);
  g_assert_cmpuint (ioc_mqtt_session_for_key ("xa-16681", 1), ==, 0);
  g_assert_cmpuint (ioc_mqtt_session_for_key (NULL, 8), ==, 0);
  const gchar *path = IOC_SOURCE_ROOT "/ops/units/nghe-an.csv";
  g_autofree gchar *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint per[8] = { 0 };
  guint n = 0;
  for (guint i = 1; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      {
        g_auto (GStrv) f = g_strsplit (lines[i], ",", 2);
        guint s = ioc_mqtt_session_for_key (f[0], 8);
        g_assert_cmpuint (s, <, 8);
        g_assert_cmpuint (s, ==, ioc_mqtt_session_for_key (f[0], 8));
        per[s]++;
        n++;
      }
  for (guint s = 0; s < 8; s++)
    {
      g_assert_cmpuint (per[s], >, n / 16);
      g_assert_cmpuint (per[s], <, n / 4);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mqtt/publish/versions-and-qos", test_versions_and_qos);
  g_test_add_func ("/mqtt/publish/rejects", test_rejects);
  g_test_add_func ("/mqtt/session-hash", test_session_hash);
  return g_test_run ();
}
