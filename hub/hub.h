/* hub.h — IocHub: builds the stages in pipeline order and wires them.
 *
 *   MQTT (Paho thread) ─► journal ─► inbox ─► [main] decode → validate → dedup
 *     → queue-stats / device-health / dossier-tracker → rollup → sinks:
 *       InfluxDB (spool, writer), and whatever registered (API, alerts, federation)
 *                                  └► dead letters (MQTT)
 *
 * hub.c is the only file that knows every stage; it holds no business rules
 * of its own.  Main context, except the MQTT message handler (Paho thread),
 * which only journals and queues. */
#pragma once

#include <glib.h>

#include "aggregate/device-health.h"
#include "aggregate/dossier-tracker.h"
#include "aggregate/rollup.h"
#include "hub-config.h"
#include "ingest/deadletter.h"
#include "ingest/dedup.h"
#include "io/http-server.h"
#include "io/mqtt-client.h"
#include "model/calendar.h"
#include "model/clock.h"
#include "model/units.h"
#include "sinks/sink.h"

G_BEGIN_DECLS

typedef struct _IocHub IocHub;

/* What the hub's consumers (HTTP API, live feed, alert engine) may read.
 * Borrowed pointers, valid while the hub lives; main context only.  The
 * reference data (units, calendar) can be swapped by a reload: read them
 * through the view each time, never keep them. */
typedef struct
{
  const IocHubConfig *config;
  IocClock *clock;
  IocUnitRegistry *units;
  IocCalendar *calendar;
  IocRollup *rollup;
  IocDossierTracker *dossiers;
  IocDeviceHealth *devices;
  IocDedup *dedup;
  IocDeadLetter *deadletter;
  IocMqttClient *mqtt;  /* publish alerts/config; NULL after stop */
  IocHttpServer *http;  /* listening from ioc_hub_new(): add routes before start */
} IocHubView;

/* The deprecated observer functions: IocSinkVTable's tick, batch, reload. */
typedef void (*IocHubTickFunc) (gint64 now_us, gpointer user_data);
typedef void (*IocHubBatchFunc) (guint n_accepted, gpointer user_data);
typedef void (*IocHubReloadFunc) (gpointer user_data);

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
/* SIGHUP: re-reads the config's reference files and the HTTP tokens
 * ([http] display_tokens, operator_tokens: revoking a token needs no
 * restart); all or nothing. */
gboolean ioc_hub_reload (IocHub *self, GError **error);
guint    ioc_hub_http_port (IocHub *self);
const IocHubView *ioc_hub_view (IocHub *self);
/* The main-context pipeline for one message, without MQTT and journal:
 * decode, validate, dedup, aggregate.  For benchmarks and dry runs. */
void     ioc_hub_ingest (IocHub *self, const gchar *topic, gsize topic_len, const guint8 *payload, gsize len,
                         gint64 arrival_us);
/* One tick at the clock's now, as the 1 s timer does once started: for
 * offline runs (iocctl dry-run) that move a manual clock by hand. */
void     ioc_hub_tick (IocHub *self);
/* Consumers of the hub's output register as sinks (sinks/sink.h) before
 * ioc_hub_start(); the hub calls them in the order added (the InfluxDB sink,
 * when configured, first).  With vtable->free set the hub owns sink and
 * frees it in ioc_hub_free(). */
void     ioc_hub_add_sink (IocHub *self, const IocSinkVTable *vtable, gpointer sink);
/* Deprecated: one-function sinks, kept while api/ and alerts/ move to
 * ioc_hub_add_sink(). */
void     ioc_hub_add_tick_observer (IocHub *self, IocHubTickFunc fn, gpointer user_data);
void     ioc_hub_add_batch_observer (IocHub *self, IocHubBatchFunc fn, gpointer user_data);
void     ioc_hub_add_reload_observer (IocHub *self, IocHubReloadFunc fn, gpointer user_data);
void     ioc_hub_add_point_observer (IocHub *self, IocPointFunc fn, gpointer user_data);

/* Validates a config and every file it names, without starting (--check). */
gboolean ioc_hub_check (const gchar *config_path, GString *report, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocHub, ioc_hub_free)

G_END_DECLS
