/* hub.h — IocHub: builds the stages in pipeline order and wires them.
 *
 *   MQTT (Paho thread) ─► journal ─► inbox ─► [main] decode → validate → dedup
 *     → queue-stats / device-health / dossier-tracker → rollup → spool → InfluxDB
 *                                  └► dead letters (MQTT)
 *
 * hub.c is the only file that knows every stage; it holds no business rules
 * of its own.  Main context, except the MQTT message handler (Paho thread),
 * which only journals and queues. */
#pragma once

#include <glib.h>

#include "hub-config.h"
#include "model/clock.h"

G_BEGIN_DECLS

typedef struct _IocHub IocHub;

/* Loads reference data, opens the state directory, restores the last
 * snapshot and replays the journal after it.  Takes ownership of config.
 * clock may be NULL (real time); the hub borrows it otherwise. */
IocHub  *ioc_hub_new (IocHubConfig *config, IocClock *clock, GError **error);
/* Starts listening (HTTP), connecting (MQTT), writing (InfluxDB), ticking. */
gboolean ioc_hub_start (IocHub *self, GError **error);
/* Clean stop: DISCONNECT from the broker, process what was journaled,
 * close due windows, save a snapshot.  Safe to call once before free. */
void     ioc_hub_stop (IocHub *self);
void     ioc_hub_free (IocHub *self);
/* SIGHUP: re-reads the config's reference files; all or nothing. */
gboolean ioc_hub_reload (IocHub *self, GError **error);
guint    ioc_hub_http_port (IocHub *self);

/* Validates a config and every file it names, without starting (--check). */
gboolean ioc_hub_check (const gchar *config_path, GString *report, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocHub, ioc_hub_free)

G_END_DECLS
