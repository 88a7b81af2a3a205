/* federation.h — the rollup exchange between hubs (SPEC §9).
 *
 * Publisher: every [federation] publish_interval the hub publishes its
 * province totals of today on ioc/v1/<province>/rollup/<hub id>, QoS 1 and
 * retained: a newcomer gets every hub's latest at once, and subscribers get
 * each update as a stream.  The totals are cumulative for the local day (not
 * deltas), so a lost or repeated message, a hub restart or a cut bridge can
 * delay a total but never make it wrong.
 *
 * Merger: its own MQTT session subscribes to ioc/v1/<province>/rollup/+ (a
 * national hub, [federation] national = true: ioc/v1/+/rollup/+, fed by
 * mosquitto bridges, see ops/bridges/), keeps each hub's latest, and serves
 * GET /api/v1/federation: per province the sum over its hubs (this hub's own
 * totals included), and the sum over provinces.
 *
 * Main context, except Paho's callbacks, which only copy and hop over. */
#pragma once

#include <glib.h>

#include "hub.h"

G_BEGIN_DECLS

typedef struct _IocFederation IocFederation;

/* Before ioc_hub_start().  With [federation] enabled = false: NULL, no
 * error, nothing attached.  Fails on an unreadable ledger file. */
IocFederation *ioc_federation_attach (IocHub *hub, GError **error);
/* After ioc_hub_stop(): saves the ledger with the points of the last tick. */
void           ioc_federation_free (IocFederation *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocFederation, ioc_federation_free)

G_END_DECLS
