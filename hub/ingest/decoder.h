/* decoder.h — decodes and checks one MQTT message (SPEC §3–§4) into an
 * IocRecord: the hot path of ingest.  What it checks is the schema of
 * protocol/ioc-schema.h; the JSON grammar is ingest/json-scan.h's.
 *
 * A decoder is a reusable scratch space: decoding does not allocate.  The
 * record and every string in it (NUL-terminated) live inside the decoder and
 * stay valid until its next decode.  One decoder per thread. */
#pragma once

#include <glib.h>

#include "model/record.h"
#include "protocol/ioc-error.h"

G_BEGIN_DECLS

typedef struct _IocDecoder IocDecoder;

IocDecoder *ioc_decoder_new (void);
void        ioc_decoder_free (IocDecoder *self);

/* Returns IOC_REJECT_NONE and the decoded record, or the reason the message
 * is rejected and, in *out_detail, a short human text for the dead letter
 * ("level: 6 is above scale 5", "missing field: seq").
 *
 * On a reject *out_record is NULL when the topic itself was rejected
 * (BAD_TOPIC, UNKNOWN_KIND); otherwise it points to the partly decoded
 * record, of which only province, unit, device, kind and msg_type may be
 * used (to count the reject per device).
 *
 * State messages (msg_type "state") carry online/offline only: v = seq = 0,
 * ts_us = 0 until ioc_validate() stamps the arrival time. */
IocReject ioc_decoder_decode (IocDecoder *self, const gchar *topic, gsize topic_len,
                              const guint8 *payload, gsize payload_len,
                              const IocRecord **out_record, const gchar **out_detail);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocDecoder, ioc_decoder_free)

G_END_DECLS
