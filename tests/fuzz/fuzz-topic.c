/* fuzz-topic.c — libFuzzer target for the MQTT topic parser
 * (protocol/ioc-topic.c), the first thing every message meets.
 *
 * Input: the bytes of a topic (not NUL-terminated; may hold NULs).  Checks:
 * never crashes or reads outside the topic; an accepted topic has its five
 * slices inside the input, in order, each well-formed (province 2 digits,
 * unit [a-z0-9-]{1,32}, device [a-z0-9_-]{1,IOC_MAX_DEVICE_LEN}, a known kind and type
 * whose names match the slices), and ioc_topic_build() of the parts gives
 * back exactly the input; a reject is BAD_TOPIC or UNKNOWN_KIND, and
 * UNKNOWN_KIND only for a topic that parses once its kind is replaced.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/ioc-topic.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
inside (IocSlice s, const gchar *base, gsize len)
{
  return s.p >= base && s.len <= len && (gsize) (s.p - base) <= len - s.len;
}

static gboolean
slice_is (IocSlice s, const gchar *name)
{
  return name != NULL && strlen (name) == s.len && memcmp (s.p, name, s.len) == 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > 4096)
    return 0;
  /* An exact-size private copy: ASan sees any read past the end. */
  gchar *topic = g_memdup2 (data, size ? size : 1);
  IocTopic t;
  IocReject r = ioc_topic_parse (topic, size, &t);
  if (r == IOC_REJECT_NONE)
    {
      IocSlice parts[] = { t.province, t.unit, t.kind, t.device, t.type };
      const gchar *prev_end = topic;
      for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
        {
          if (!inside (parts[i], topic, size) || parts[i].p < prev_end || parts[i].len == 0)
            abort ();
          prev_end = parts[i].p + parts[i].len;
        }
      if (t.province.len != 2 || !g_ascii_isdigit (t.province.p[0]) || !g_ascii_isdigit (t.province.p[1]))
        abort ();
      if (!ioc_topic_is_unit_code (t.unit.p, t.unit.len) || t.unit.len > IOC_MAX_UNIT_LEN)
        abort ();
      if (!ioc_topic_is_device_id (t.device.p, t.device.len) || t.device.len > IOC_MAX_DEVICE_LEN)
        abort ();
      if (t.kind_id >= IOC_KIND_COUNT || t.type_id >= IOC_MSG_COUNT)
        abort ();
      if (!slice_is (t.kind, ioc_kind_name (t.kind_id)) || !slice_is (t.type, ioc_msg_type_name (t.type_id)))
        abort ();
      gchar *province = g_strndup (t.province.p, t.province.len);
      gchar *unit = g_strndup (t.unit.p, t.unit.len);
      gchar *device = g_strndup (t.device.p, t.device.len);
      gchar *built = ioc_topic_build (province, unit, t.kind_id, device, t.type_id);
      if (strlen (built) != size || memcmp (built, topic, size) != 0)
        abort ();
      g_free (built);
      g_free (device);
      g_free (unit);
      g_free (province);
    }
  else if (r == IOC_REJECT_UNKNOWN_KIND)
    {
      /* Well-formed but for the kind: the 5th '/'-separated field from the
       * end is the kind (ioc/v1/P/U/KIND/D/T); with a known kind there it
       * must parse. */
      const gchar *slash[3] = { NULL };
      guint found = 0;
      for (gsize i = size; i > 0 && found < 3; i--)
        if (topic[i - 1] == '/')
          slash[found++] = topic + i - 1;
      if (found < 3)
        abort ();
      /* slash[2] ends the unit, slash[1] ends the kind. */
      const gchar *kind = ioc_kind_name (0);
      GString *fixed = g_string_new_len (topic, slash[2] + 1 - topic);
      g_string_append (fixed, kind);
      g_string_append_len (fixed, slash[1], topic + size - slash[1]);
      IocTopic t2;
      if (ioc_topic_parse (fixed->str, fixed->len, &t2) != IOC_REJECT_NONE)
        abort ();
      g_string_free (fixed, TRUE);
    }
  else if (r != IOC_REJECT_BAD_TOPIC)
    abort ();
  g_free (topic);
  return 0;
}
