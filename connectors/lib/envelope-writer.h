/* envelope-writer.h — SPEC §4 envelopes as a connector writes them: v, seq,
 * ts, type and the fields of one event or status, checked against the rows
 * of protocol/ioc-schema.h (the hub's decoder checks the same rows) and the
 * 16 KiB limit before anything is buffered.  Pure; any thread. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "protocol/ioc-schema.h"

G_BEGIN_DECLS

#define IOC_ENVELOPE_MAX_BYTES IOC_MAX_PAYLOAD

/* The JSON type of a field SPEC names in an event or a status, so a mapped
 * source value can be coerced (a numeric ticket id becomes "17"); FALSE when
 * SPEC does not name it (it is passed through untouched) or its type depends
 * on the event ("channel"). */
gboolean ioc_envelope_field_type (const gchar *name, IocFieldType *out);

/* Checks fields against SPEC §4 for event type of kind: the type belongs to
 * the kind, every required field is present with its JSON type, values are
 * in range (rating level ≤ scale, dossier state 1–10, channel 1–3).  The
 * error says which field and why ("rating: level: 7 is above scale 5").
 * Fields the event does not name are not looked at (the hub ignores them). */
gboolean ioc_envelope_check_event (IocKind kind, const gchar *type, JsonObject *fields,
                                   GError **error);
/* The same for the status fields of kind (every one optional). */
gboolean ioc_envelope_check_status (IocKind kind, JsonObject *fields, GError **error);

/* (transfer full) The JSON text of one message: {"v":1,"seq":…,
 * ["epoch":…,] "ts":…, ["type":…,] fields…}.  epoch: the seq store's
 * (seq-store.h), or NULL; type NULL for a status.  Fails when the epoch is
 * not 1–32 characters or the text would exceed IOC_ENVELOPE_MAX_BYTES.
 * Fields named v/seq/epoch/ts/type are ignored. */
gchar *ioc_envelope_build (gint64 seq, const gchar *epoch, gint64 ts_us, const gchar *type,
                           JsonObject *fields, gsize *out_len, GError **error);

G_END_DECLS
