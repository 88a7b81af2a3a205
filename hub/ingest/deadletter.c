/* deadletter.c — see deadletter.h.  Off the hot path, but not rare when a
 * source misbehaves (a flood of bad messages is dead-lettered one by one):
 * a rejected message may allocate, and its JSON is written in runs rather
 * than byte by byte. */
#include "ingest/deadletter.h"

#include <string.h>
#include <time.h>

#include "protocol/ioc-error.h"
#include "ingest/json-scan.h"
#include "protocol/ioc-stats.h"

typedef struct
{
  gint64 count;
  const gchar *last_reason; /* interned */
} DeviceCount;

typedef struct
{
  IocStat *stat; /* process-wide, for /metrics */
  gint64 count;  /* this instance's */
} ReasonCount;

struct _IocDeadLetter
{
  gchar *province;
  IocDeadLetterPublishFunc publish;
  gpointer user_data;
  GHashTable *by_reason; /* interned reason → ReasonCount* */
  GHashTable *by_device; /* "kind/device" → DeviceCount* */
  gint64 total;
};

/* Beyond this many distinct devices new ones are folded into "other", so a
 * flood of forged device ids cannot grow the hub's memory without bound. */
#define MAX_DEVICES 10000

/* Reasons the hub itself rejects for (hub.c), besides the ingest ones. */
static const gchar *const hub_reasons[] = { "influx_rejected" };

static ReasonCount *
reason_count (IocDeadLetter *self, const gchar *interned)
{
  ReasonCount *rc = g_hash_table_lookup (self->by_reason, interned);
  if (rc == NULL)
    {
      g_autofree gchar *labels = g_strdup_printf ("reason=\"%s\"", interned);
      rc = g_new0 (ReasonCount, 1);
      rc->stat = ioc_stat ("iochub_deadletters_total", labels, IOC_STAT_COUNTER,
                           "Messages rejected and published to the dead-letter topic, by reason");
      g_hash_table_insert (self->by_reason, (gpointer) interned, rc);
    }
  return rc;
}

void
ioc_deadletter_declare (IocDeadLetter *self, const gchar *reason)
{
  reason_count (self, g_intern_string (reason));
}

IocDeadLetter *
ioc_deadletter_new (const gchar *province, IocDeadLetterPublishFunc publish, gpointer user_data)
{
  IocDeadLetter *self = g_new0 (IocDeadLetter, 1);
  self->province = g_strdup (province);
  self->publish = publish;
  self->user_data = user_data;
  self->by_reason = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->by_device = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* Every reason is on /metrics from the start, at 0: a rate or an
   * increase() over a series that appears only with its first reject
   * reads as "no data", not as "none rejected". */
  for (guint r = IOC_REJECT_NONE + 1; r < IOC_REJECT_COUNT; r++)
    ioc_deadletter_declare (self, ioc_reject_name ((IocReject) r));
  for (guint r = 0; r < G_N_ELEMENTS (hub_reasons); r++)
    ioc_deadletter_declare (self, hub_reasons[r]);
  return self;
}

void
ioc_deadletter_free (IocDeadLetter *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_reason);
  g_hash_table_unref (self->by_device);
  g_free (self->province);
  g_free (self);
}

/* Appends s as a JSON string, writing into room made for the worst case
 * (every byte a \u00XX escape) rather than one append per run. */
static void
json_string (GString *out, const gchar *s, gssize len)
{
  static const gchar hex[] = "0123456789abcdef";
  gsize n = len < 0 ? strlen (s) : (gsize) len;
  gsize old = out->len;
  g_string_set_size (out, old + 2 + 6 * n);
  gchar *d = out->str + old;

  *d++ = '"';
  for (const guint8 *p = (const guint8 *) s, *end = p + n; p < end;)
    {
      const guint8 *run = ioc_json_plain_end (p, end);
      memcpy (d, p, (gsize) (run - p));
      d += run - p;
      if (run >= end)
        break;
      guchar c = *run;
      p = run + 1;
      *d++ = '\\';
      switch (c)
        {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        default:
          *d++ = 'u';
          *d++ = '0';
          *d++ = '0';
          *d++ = hex[c >> 4];
          *d++ = hex[c & 15];
        }
    }
  *d++ = '"';
  g_string_truncate (out, (gsize) (d - out->str));
}

/* The longest prefix of at most max bytes that ends on a character boundary
 * of valid UTF-8, or -1 when the excerpt is not UTF-8 at all. */
static gssize
utf8_excerpt_len (const guint8 *data, gsize len, gsize max)
{
  gsize n = MIN (len, max);
  gsize valid = ioc_json_utf8_check (data, n);
  if (valid == n)
    return (gssize) n;
  /* Invalid only because the cut split a character: accept the prefix. */
  const gchar *end = (const gchar *) data + valid;
  if (n < len && n - valid < 4 && g_utf8_get_char_validated (end, (gssize) (n - valid)) == (gunichar) -2)
    return (gssize) valid;
  return -1;
}

/* "2026-11-22T01:00:00Z": the arrival, in UTC, to the second. */
static void
format_utc (gint64 us, gchar buf[32])
{
  time_t t = (time_t) (us / G_USEC_PER_SEC - (us % G_USEC_PER_SEC < 0));
  struct tm tm;
  if (gmtime_r (&t, &tm) == NULL || strftime (buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    buf[0] = '\0';
}

static gchar *
format_sized (const gchar *reason, const gchar *detail, const gchar *topic, gsize topic_len,
              const guint8 *payload, gsize len, gsize full_len, gint64 arrival_us)
{
  GString *out = g_string_sized_new (256 + MIN (len, IOC_DEADLETTER_EXCERPT) * 2);
  gchar when[32], bytes[24];
  g_string_append (out, "{\"reason\":");
  json_string (out, reason, -1);
  g_string_append (out, ",\"detail\":");
  json_string (out, detail ? detail : "", -1);
  g_string_append (out, ",\"topic\":");
  /* Topics from the broker are UTF-8 by MQTT's rules; guard anyway. */
  if (ioc_json_utf8_check ((const guint8 *) topic, topic_len) == topic_len)
    json_string (out, topic, (gssize) topic_len);
  else
    g_string_append (out, "\"(not UTF-8)\"");
  format_utc (arrival_us, when);
  g_string_append (out, ",\"received_at\":");
  json_string (out, when, -1);
  g_string_append (out, ",\"payload_bytes\":");
  g_string_append_len (out, bytes, g_snprintf (bytes, sizeof bytes, "%" G_GSIZE_FORMAT, full_len));
  g_string_append (out, full_len > MIN (len, IOC_DEADLETTER_EXCERPT) ? ",\"truncated\":true" : ",\"truncated\":false");
  gssize text_len = utf8_excerpt_len (payload, len, IOC_DEADLETTER_EXCERPT);
  if (text_len >= 0)
    {
      g_string_append (out, ",\"payload\":");
      json_string (out, (const gchar *) payload, text_len);
    }
  else
    {
      g_autofree gchar *b64 = g_base64_encode (payload, MIN (len, IOC_DEADLETTER_EXCERPT));
      g_string_append (out, ",\"payload_base64\":");
      json_string (out, b64, -1);
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

gchar *
ioc_deadletter_format (const gchar *reason, const gchar *detail, const gchar *topic, gsize topic_len,
                       const guint8 *payload, gsize len, gint64 arrival_us)
{
  return format_sized (reason, detail, topic, topic_len, payload, len, len, arrival_us);
}

static gchar *
device_key (const gchar *topic, gsize topic_len)
{
  /* ioc/v1/<province>/<unit>/<kind>/<device>/<type>: levels 4 and 5. */
  const gchar *level[8];
  guint n = 0;
  const gchar *end = topic + topic_len;
  level[n++] = topic;
  for (const gchar *p = topic; p < end && n < G_N_ELEMENTS (level); p++)
    if (*p == '/')
      level[n++] = p + 1;
  if (n == 7 && memchr (topic, '\0', topic_len) == NULL &&
      ioc_json_utf8_check ((const guint8 *) topic, topic_len) == topic_len && level[6] - level[5] - 1 <= 64)
    return g_strndup (level[4], (gsize) (level[6] - 1 - level[4]));
  return g_strdup ("unknown/unknown");
}

void
ioc_deadletter_reject (IocDeadLetter *self, const gchar *reason, const gchar *detail, const gchar *topic,
                       gsize topic_len, const guint8 *payload, gsize len, gint64 arrival_us)
{
  ioc_deadletter_reject_sized (self, reason, detail, topic, topic_len, payload, len, len, arrival_us);
}

void
ioc_deadletter_reject_sized (IocDeadLetter *self, const gchar *reason, const gchar *detail, const gchar *topic,
                             gsize topic_len, const guint8 *payload, gsize len, gsize full_len, gint64 arrival_us)
{
  const gchar *r = g_intern_string (reason);
  ReasonCount *rc = reason_count (self, r);
  ioc_stat_add (rc->stat, 1);
  rc->count++;
  self->total++;

  g_autofree gchar *key = device_key (topic, topic_len);
  DeviceCount *dc = g_hash_table_lookup (self->by_device, key);
  if (dc == NULL)
    {
      if (g_hash_table_size (self->by_device) >= MAX_DEVICES)
        {
          g_free (key);
          key = g_strdup ("other/other");
          dc = g_hash_table_lookup (self->by_device, key);
        }
      if (dc == NULL)
        {
          dc = g_new0 (DeviceCount, 1);
          g_hash_table_insert (self->by_device, g_strdup (key), dc);
        }
    }
  dc->count++;
  dc->last_reason = r;

  if (self->publish != NULL)
    {
      g_autofree gchar *json = format_sized (r, detail, topic, topic_len, payload, len, full_len, arrival_us);
      g_autofree gchar *dl_topic = g_strconcat ("ioc/v1/", self->province, "/deadletter/", r, NULL);
      self->publish (dl_topic, json, strlen (json), self->user_data);
    }
}

gint64
ioc_deadletter_count (IocDeadLetter *self, const gchar *reason)
{
  ReasonCount *rc = g_hash_table_lookup (self->by_reason, g_intern_string (reason));
  return rc ? rc->count : 0;
}

gint64
ioc_deadletter_total (IocDeadLetter *self)
{
  return self->total;
}

void
ioc_deadletter_foreach_device (IocDeadLetter *self, IocDeadLetterDeviceFunc fn, gpointer user_data)
{
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init (&iter, self->by_device);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const DeviceCount *dc = value;
      g_autofree gchar *k = g_strdup (key);
      gchar *slash = strchr (k, '/');
      *slash = '\0';
      fn (k, slash + 1, dc->count, dc->last_reason, user_data);
    }
}
