/* ioc-topic.c — parses and builds the topics of SPEC §3.
 *
 * First step of ingest (called by the envelope decoder for every message),
 * so it works on slices and never allocates.  It matches kind and type names
 * itself rather than through model/record.c, because the protocol layer sits
 * below the model layer.  Pure; any thread. */
#include "protocol/ioc-topic.h"

#include <string.h>

#define PREFIX "ioc/v1/"
#define PREFIX_LEN (sizeof PREFIX - 1)

static const gchar *const kind_names[IOC_KIND_COUNT] = { "desk", "kiosk", "camera", "portal" };
static const gchar *const type_names[IOC_MSG_COUNT] = { "event", "status", "state" };

/* [a-z0-9-] plus, for devices, '_'. */
static inline gboolean
is_id_char (guchar c, gboolean allow_underscore)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         (allow_underscore && c == '_');
}

static gboolean
is_id (const gchar *s, gsize len, gsize max, gboolean allow_underscore)
{
  if (len == 0 || len > max)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!is_id_char ((guchar) s[i], allow_underscore))
      return FALSE;
  return TRUE;
}

gboolean
ioc_topic_is_unit_code (const gchar *s, gsize len)
{
  return is_id (s, len, IOC_MAX_UNIT_LEN, FALSE);
}

gboolean
ioc_topic_is_device_id (const gchar *s, gsize len)
{
  return is_id (s, len, IOC_MAX_DEVICE_LEN, TRUE);
}

static gboolean
match_name (const gchar *const *names, guint n, IocSlice s, guint *out)
{
  for (guint i = 0; i < n; i++)
    if (strlen (names[i]) == s.len && memcmp (names[i], s.p, s.len) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

IocReject
ioc_topic_parse (const gchar *topic, gsize len, IocTopic *out)
{
  IocSlice seg[5];
  const gchar *p, *end;
  guint id;

  g_return_val_if_fail (topic != NULL || len == 0, IOC_REJECT_BAD_TOPIC);
  g_return_val_if_fail (out != NULL, IOC_REJECT_BAD_TOPIC);

  if (len < PREFIX_LEN || memcmp (topic, PREFIX, PREFIX_LEN) != 0)
    return IOC_REJECT_BAD_TOPIC;
  p = topic + PREFIX_LEN;
  end = topic + len;
  for (guint i = 0; i < 5; i++)
    {
      const gchar *slash = memchr (p, '/', (gsize) (end - p));
      if (i < 4 && slash == NULL)
        return IOC_REJECT_BAD_TOPIC;
      if (i == 4)
        {
          if (slash != NULL)
            return IOC_REJECT_BAD_TOPIC; /* more than 7 levels */
          slash = end;
        }
      seg[i].p = p;
      seg[i].len = (gsize) (slash - p);
      p = slash + 1;
    }
  out->province = seg[0];
  out->unit = seg[1];
  out->kind = seg[2];
  out->device = seg[3];
  out->type = seg[4];

  if (seg[0].len != 2 || !g_ascii_isdigit (seg[0].p[0]) || !g_ascii_isdigit (seg[0].p[1]))
    return IOC_REJECT_BAD_TOPIC;
  if (!ioc_topic_is_unit_code (seg[1].p, seg[1].len))
    return IOC_REJECT_BAD_TOPIC;
  if (!ioc_topic_is_device_id (seg[3].p, seg[3].len))
    return IOC_REJECT_BAD_TOPIC;
  if (!match_name (type_names, IOC_MSG_COUNT, seg[4], &id))
    return IOC_REJECT_BAD_TOPIC;
  out->type_id = (IocMsgType) id;
  /* Only a topic that is right in every other part is an unknown kind:
   * that is the reason a new connector type will hit. */
  if (!match_name (kind_names, IOC_KIND_COUNT, seg[2], &id))
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
  return g_strconcat (PREFIX, province, "/", unit, "/", kind_names[kind], "/", device, "/",
                      type_names[type], NULL);
}
