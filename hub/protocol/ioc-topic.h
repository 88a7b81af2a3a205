/* ioc-topic.h — the MQTT topics of SPEC §3:
 *   ioc/v1/<province>/<unit>/<kind>/<device>/<type>
 * Parsing does not allocate: the slices point into the caller's topic. */
#pragma once

#include <glib.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-schema.h"

G_BEGIN_DECLS

/* Longest unit code: [a-z0-9-]{1,32}. */
#define IOC_MAX_UNIT_LEN 32

typedef struct
{
  const gchar *p;
  gsize len;
} IocSlice;

typedef struct
{
  IocSlice province, unit, kind, device, type;
  IocKind kind_id;
  IocMsgType type_id;
} IocTopic;

/* Returns IOC_REJECT_NONE and fills *out, or IOC_REJECT_BAD_TOPIC (shape,
 * province not 2 digits, unit not [a-z0-9-]{1,32}, device not
 * [a-z0-9_-]{1,64}, type not event/status/state) or, for an otherwise
 * well-formed topic, IOC_REJECT_UNKNOWN_KIND.  topic need not be
 * NUL-terminated.  *out is undefined after a reject. */
IocReject ioc_topic_parse (const gchar *topic, gsize len, IocTopic *out);

/* (transfer full) The topic for these parts; they must be well-formed. */
gchar *ioc_topic_build (const gchar *province, const gchar *unit, IocKind kind,
                        const gchar *device, IocMsgType type);

/* Syntax checks of single segments, shared with the unit registry. */
gboolean ioc_topic_is_unit_code (const gchar *s, gsize len);
gboolean ioc_topic_is_device_id (const gchar *s, gsize len);

G_END_DECLS
