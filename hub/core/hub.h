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
#include "aggregate/queue-stats.h"
#include "aggregate/rollup.h"
#include "hub-config.h"
#include "ingest/deadletter.h"
#include "ingest/dedup.h"
#include "io/http-server.h"
#include "io/mqtt-client.h"
#include "model/calendar.h"
#include "model/clock.h"
#include "model/units.h"
#include "score/score-book.h"
#include "sinks/sink.h"

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
/* SIGHUP: re-reads the config's reference files and the HTTP tokens
 * ([http] display_tokens, operator_tokens: revoking a token needs no
 * restart); all or nothing. */
gboolean ioc_hub_reload (IocHub *self, GError **error);
guint    ioc_hub_http_port (IocHub *self);

/* Reading the hub, for its consumers (HTTP API, alert engine, federation,
 * iocctl): main context only.  What these return is borrowed and valid
 * until the next reload at most (reference data is swapped whole): ask
 * again rather than keep it. */
const IocHubConfig *ioc_hub_config (IocHub *self);
/* The hub's clock: real time, or the manual clock given to ioc_hub_new(). */
gint64   ioc_hub_now (IocHub *self);
const IocCalendar *ioc_hub_calendar (IocHub *self);
/* The registry entry of code valid at at_us, or NULL. */
const IocUnit *ioc_hub_unit_lookup (IocHub *self, const gchar *code, gint64 at_us);
/* (transfer container) The units valid at now_us (IocUnit*, borrowed). */
GPtrArray *ioc_hub_units_current (IocHub *self, gint64 now_us);
/* The channels a series may be split by (IocPoint.channel): 0 for none,
 * else a dossier channel 1 .. IOC_HUB_MAX_CHANNEL. */
#define IOC_HUB_MAX_CHANNEL IOC_ROLLUP_MAX_CHANNEL
/* The live window of a series (aggregate/rollup.h, ioc_rollup_live). */
gboolean ioc_hub_live (IocHub *self, IocMeasurement m, const gchar *unit, guint8 channel, gint64 now_us,
                       IocPoint *out);
/* Today's queue and rating totals of a unit or "all", counted as records
 * come (aggregate/queue-stats.h), and with_waiting the desks' waiting count
 * (a walk over the desks); FALSE (out zeroed, waiting -1) when none. */
gboolean ioc_hub_queue_today (IocHub *self, const gchar *unit, gint64 now_us, gboolean with_waiting,
                              IocQueueToday *out);
/* Dossier indicators of a unit or "all"; FALSE (out zeroed) for a unit
 * never seen.  The units with dossier counts, and who is told when a
 * dossier enters or leaves overdue (one function; NULL removes it). */
gboolean ioc_hub_dossier_indicators (IocHub *self, const gchar *unit, IocPeriod period, gint64 now_us,
                                     IocDossierIndicators *out);
void     ioc_hub_foreach_dossier_unit (IocHub *self, void (*fn) (const gchar *unit, gpointer), gpointer user_data);
void     ioc_hub_set_overdue_func (IocHub *self, IocDossierOverdueFunc fn, gpointer user_data);
/* The 766 scorecard of the province and every unit for a period
 * (docs/SCORECARD.md), computed from what the hub knows now, cached until a
 * fact, value or reload changes it.  NULL with an error without [hub]
 * scorecard or for a period that has not begun.  (transfer full): unref;
 * valid until the next reload. */
IocScoreResult *ioc_hub_scorecard (IocHub *self, const IocScorePeriod *period, GError **error);
/* Devices of a unit or "all" (FALSE: none), of every unit at once (interned
 * code → IocDeviceSummary*, transfer full), and every connector. */
gboolean ioc_hub_device_summary (IocHub *self, const gchar *unit, gint64 now_us, IocDeviceSummary *out);
GHashTable *ioc_hub_device_summaries (IocHub *self, gint64 now_us);
void     ioc_hub_foreach_connector (IocHub *self, gint64 now_us, IocConnectorInfoFunc fn, gpointer user_data);
/* Sequence accounting per device (missing, duplicates) and dead letters. */
void     ioc_hub_foreach_dedup_device (IocHub *self, IocDedupInfoFunc fn, gpointer user_data);
gint64   ioc_hub_dedup_missing_total (IocHub *self);
gint64   ioc_hub_dedup_duplicates_total (IocHub *self);
gint64   ioc_hub_dedup_resets_total (IocHub *self);    /* seq restarted at 1 (a reset connector) */
gint64   ioc_hub_dedup_remapped_total (IocHub *self);  /* counted under a retired code's successor */
void     ioc_hub_foreach_deadletter_device (IocHub *self, IocDeadLetterDeviceFunc fn, gpointer user_data);
gint64   ioc_hub_deadletter_total (IocHub *self);
/* The hub's own MQTT publishing connection (alerts, rollups, configs).
 * FALSE when not connected or stopped, or when Paho refused it. */
gboolean ioc_hub_mqtt_is_connected (IocHub *self);
gboolean ioc_hub_publish (IocHub *self, const gchar *topic, const void *payload, gsize len, gint qos,
                          gboolean retained);
/* Line-protocol lines (each ending in '\n') for InfluxDB, spooled and
 * written with the next tick's points: for consumers with measurements of
 * their own (ioc_score).  FALSE without [influx] url. */
gboolean ioc_hub_write_lines (IocHub *self, const gchar *lines, gsize len);
/* Offline runs (iocctl dry-run): every publish goes to fn instead; before
 * start, and never start the hub then. */
void     ioc_hub_capture_publishes (IocHub *self, IocMqttCaptureFunc fn, gpointer user_data);
/* Routes on the hub's HTTP server, listening from ioc_hub_new(); add them
 * before start.  The server itself, for modules that add several. */
void     ioc_hub_add_route (IocHub *self, const gchar *path, SoupServerCallback handler, gpointer user_data);
IocHttpServer *ioc_hub_http_server (IocHub *self);
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
/* Validates a config and every file it names, without starting (--check). */
gboolean ioc_hub_check (const gchar *config_path, GString *report, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocHub, ioc_hub_free)

G_END_DECLS
