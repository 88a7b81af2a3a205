/* fuzz-mqtt-publish.c — libFuzzer target for ioc_mqtt_parse_publish, which
 * takes apart every QoS 2 PUBLISH the broker sends before the hub journals it.
 *
 * Input: byte 0 bit 0 says MQTT 5; the rest is the packet.  Checks: a packet
 * it accepts has its topic and payload inside the input, the topic before
 * the payload, the payload running to the end; the remaining length it read
 * accounts for every byte; and a packet rebuilt from what it returned (same
 * header byte, a packet id, no properties) parses back to the same topic and
 * payload.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/mqtt-client.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  gboolean mqtt5 = data[0] & 1;
  /* A copy of exactly the packet's size, so ASan sees any read past it. */
  gsize len = size - 1;
  guint8 *pkt = g_memdup2 (data + 1, len);
  const guint8 *topic = NULL, *payload = NULL;
  gsize topic_len = 0, payload_len = 0;
  if (ioc_mqtt_parse_publish (pkt, len, mqtt5, &topic, &topic_len, &payload, &payload_len))
    {
      if (len < 4 || (pkt[0] >> 4) != 3 || ((pkt[0] >> 1) & 3) == 3)
        abort ();
      if (topic < pkt + 3 || topic + topic_len > payload || payload + payload_len != pkt + len)
        abort ();
      /* Rebuild: header byte, remaining length, topic, id, (empty props), payload. */
      guint qos = (pkt[0] >> 1) & 3;
      gsize rem = 2 + topic_len + (qos ? 2 : 0) + (mqtt5 ? 1 : 0) + payload_len;
      GByteArray *again = g_byte_array_new ();
      g_byte_array_append (again, pkt, 1);
      gsize r = rem;
      do
        {
          guint8 b = r & 0x7f;
          r >>= 7;
          if (r)
            b |= 0x80;
          g_byte_array_append (again, &b, 1);
        }
      while (r);
      guint8 tl[2] = { (guint8) (topic_len >> 8), (guint8) topic_len };
      g_byte_array_append (again, tl, 2);
      g_byte_array_append (again, topic, (guint) topic_len);
      static const guint8 id[2] = { 0, 1 }, none = 0;
      if (qos)
        g_byte_array_append (again, id, 2);
      if (mqtt5)
        g_byte_array_append (again, &none, 1);
      g_byte_array_append (again, payload, (guint) payload_len);
      const guint8 *t2, *p2;
      gsize tl2, pl2;
      if (!ioc_mqtt_parse_publish (again->data, again->len, mqtt5, &t2, &tl2, &p2, &pl2) || tl2 != topic_len
          || pl2 != payload_len || memcmp (t2, topic, topic_len) != 0 || memcmp (p2, payload, payload_len) != 0)
        abort ();
      g_byte_array_unref (again);
    }
  g_free (pkt);
  return 0;
}
