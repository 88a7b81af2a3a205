/* ioc-topic.c — parses and builds the topics of SPEC §3.
 *
 * First step of ingest (called by the decoder for every message), so it
 * works on slices and never allocates.  The names come from ioc-schema.c;
 * the match here is the hot path's own.  Pure; any thread. */
#include "protocol/ioc-topic.h"

#include <string.h>

#define PREFIX "ioc/v1/"
#define PREFIX_LEN (sizeof PREFIX - 1)


/* Byte classes of topic identifiers: unit codes are [a-z0-9-], device ids
 * [a-z0-9_-].  A table, because every message's topic goes through here. */
enum
{
  C_UNIT = 1,
  C_DEVICE = 2,
  C_DIGIT = 4,
};

static const guint8 id_class[256] = {
  ['-'] = C_UNIT | C_DEVICE,
  ['_'] = C_DEVICE,
  ['0'] = C_UNIT | C_DEVICE | C_DIGIT, ['1'] = C_UNIT | C_DEVICE | C_DIGIT, ['2'] = C_UNIT | C_DEVICE | C_DIGIT,
  ['3'] = C_UNIT | C_DEVICE | C_DIGIT, ['4'] = C_UNIT | C_DEVICE | C_DIGIT, ['5'] = C_UNIT | C_DEVICE | C_DIGIT,
  ['6'] = C_UNIT | C_DEVICE | C_DIGIT, ['7'] = C_UNIT | C_DEVICE | C_DIGIT, ['8'] = C_UNIT | C_DEVICE | C_DIGIT,
  ['9'] = C_UNIT | C_DEVICE | C_DIGIT,
  ['a'] = C_UNIT | C_DEVICE, ['b'] = C_UNIT | C_DEVICE, ['c'] = C_UNIT | C_DEVICE, ['d'] = C_UNIT | C_DEVICE,
  ['e'] = C_UNIT | C_DEVICE, ['f'] = C_UNIT | C_DEVICE, ['g'] = C_UNIT | C_DEVICE, ['h'] = C_UNIT | C_DEVICE,
  ['i'] = C_UNIT | C_DEVICE, ['j'] = C_UNIT | C_DEVICE, ['k'] = C_UNIT | C_DEVICE, ['l'] = C_UNIT | C_DEVICE,
  ['m'] = C_UNIT | C_DEVICE, ['n'] = C_UNIT | C_DEVICE, ['o'] = C_UNIT | C_DEVICE, ['p'] = C_UNIT | C_DEVICE,
  ['q'] = C_UNIT | C_DEVICE, ['r'] = C_UNIT | C_DEVICE, ['s'] = C_UNIT | C_DEVICE, ['t'] = C_UNIT | C_DEVICE,
  ['u'] = C_UNIT | C_DEVICE, ['v'] = C_UNIT | C_DEVICE, ['w'] = C_UNIT | C_DEVICE, ['x'] = C_UNIT | C_DEVICE,
  ['y'] = C_UNIT | C_DEVICE, ['z'] = C_UNIT | C_DEVICE,
};

static gboolean
is_id (const gchar *s, gsize len, gsize max, guint8 cls)
{
  if (len == 0 || len > max)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!(id_class[(guchar) s[i]] & cls))
      return FALSE;
  return TRUE;
}

gboolean
ioc_topic_is_unit_code (const gchar *s, gsize len)
{
  return is_id (s, len, IOC_MAX_UNIT_LEN, C_UNIT);
}

gboolean
ioc_topic_is_device_id (const gchar *s, gsize len)
{
  return is_id (s, len, IOC_MAX_DEVICE_LEN, C_DEVICE);
}

/* s has passed the C_UNIT class test, so it holds no NUL: a name's own NUL
 * ends the comparison. */
static gboolean
match_name (const gchar *const *names, guint n, IocSlice s, guint *out)
{
  /* Every kind and type name is under 9 bytes. */
  if (s.len == 0 || s.len > 8)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      /* Byte by byte: the names are short, a call to memcmp costs more. */
      const gchar *name = names[i];
      gsize j = 0;
      while (j < s.len && name[j] == s.p[j])
        j++;
      if (j == s.len && name[j] == '\0')
        {
          *out = i;
          return TRUE;
        }
    }
  return FALSE;
}

IocReject
ioc_topic_parse (const gchar *topic, gsize len, IocTopic *out)
{
  IocSlice seg[5];
  guint8 cls[5];
  const gchar *p, *end;
  guint id;

  g_return_val_if_fail (topic != NULL || len == 0, IOC_REJECT_BAD_TOPIC);
  g_return_val_if_fail (out != NULL, IOC_REJECT_BAD_TOPIC);

  if (len < PREFIX_LEN || memcmp (topic, PREFIX, PREFIX_LEN) != 0)
    return IOC_REJECT_BAD_TOPIC;
  p = topic + PREFIX_LEN;
  end = topic + len;
  /* One pass: split at '/' and, per level, the classes all its bytes share. */
  for (guint i = 0; i < 5; i++)
    {
      const gchar *start = p;
      guint8 all = C_UNIT | C_DEVICE | C_DIGIT;
      while (p < end && *p != '/')
        all &= id_class[(guchar) *p++];
      seg[i].p = start;
      seg[i].len = (gsize) (p - start);
      cls[i] = all;
      if (i < 4)
        {
          if (p >= end)
            return IOC_REJECT_BAD_TOPIC;
          p++;
        }
      else if (p < end)
        return IOC_REJECT_BAD_TOPIC; /* more than 7 levels */
    }
  out->province = seg[0];
  out->unit = seg[1];
  out->kind = seg[2];
  out->device = seg[3];
  out->type = seg[4];

  if (seg[0].len != 2 || !(cls[0] & C_DIGIT))
    return IOC_REJECT_BAD_TOPIC;
  if (seg[1].len == 0 || seg[1].len > IOC_MAX_UNIT_LEN || !(cls[1] & C_UNIT))
    return IOC_REJECT_BAD_TOPIC;
  if (seg[3].len == 0 || seg[3].len > IOC_MAX_DEVICE_LEN || !(cls[3] & C_DEVICE))
    return IOC_REJECT_BAD_TOPIC;
  /* Kind and type names are [a-z]: a byte outside [a-z0-9-] never matches. */
  if (!(cls[4] & C_UNIT) || !match_name (ioc_msg_type_names, IOC_MSG_COUNT, seg[4], &id))
    return IOC_REJECT_BAD_TOPIC;
  out->type_id = (IocMsgType) id;
  /* Only a topic that is right in every other part is an unknown kind:
   * that is the reason a new connector type will hit. */
  if (!(cls[2] & C_UNIT) || !match_name (ioc_kind_names, IOC_KIND_COUNT, seg[2], &id))
    return IOC_REJECT_UNKNOWN_KIND;
  out->kind_id = (IocKind) id;
  return IOC_REJECT_NONE;
}

gchar *
ioc_topic_build (const gchar *province, const gchar *unit, IocKind kind, const gchar *device,
                 IocMsgType type)
{
  g_return_val_if_fail (province != NULL && strlen (province) == 2, NULL);
  g_return_val_if_fail (unit != NULL && ioc_topic_is_unit_code (unit, strlen (unit)), NULL);
  g_return_val_if_fail (kind < IOC_KIND_COUNT, NULL);
  g_return_val_if_fail (device != NULL && ioc_topic_is_device_id (device, strlen (device)), NULL);
  g_return_val_if_fail (type < IOC_MSG_COUNT, NULL);
  return g_strconcat (PREFIX, province, "/", unit, "/", ioc_kind_names[kind], "/", device, "/",
                      ioc_msg_type_names[type], NULL);
}
