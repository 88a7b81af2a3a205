/* hub-internal.h — the hub's own state, shared by the files of core/ that
 * make up IocHub: hub.c (the wiring, the pipeline, the life cycle),
 * hub-state.c (snapshots, the journal replay, forgetting silent devices)
 * and hub-access.c (what the API, alerts and federation read through
 * hub.h).  Nothing outside core/ includes it: the layering test says so. */
#pragma once

#include "hub.h"
#include "hub-private.h"

#include "aggregate/device-health.h"
#include "aggregate/dossier-tracker.h"
#include "aggregate/queue-stats.h"
#include "aggregate/rollup.h"
#include "ingest/deadletter.h"
#include "ingest/dedup.h"
#include "ingest/decoder.h"
#include "io/http-server.h"
#include "io/handoff.h"
#include "io/mqtt-client.h"
#include "model/calendar.h"
#include "model/units.h"
#include "protocol/ioc-stats.h"
#include "sinks/influx-sink.h"
#include "state/journal.h"

G_BEGIN_DECLS

struct _IocHub
{
  IocHubConfig *config;
  IocClock *clock;
  IocClock *own_clock;

  /* reference data, swapped whole on reload */
  IocUnitRegistry *units;
  IocCalendar *calendar;
  IocProcedures *procedures;

  /* durability */
  IocJournal *journal;
  IocJournalPos processed_pos;
  gint64 rewrite_month_from; /* cache: the Vietnam month of the last event */
  gint64 rewrite_month_until;
  gint64 last_snapshot_us;
  guint64 journal_bytes_at_snapshot;

  /* stages */
  IocDecoder *decoder;
  IocDedup *dedup;
  IocDeadLetter *deadletter;
  IocQueueStats *queue_stats;
  IocDeviceHealth *devices;
  IocDossierTracker *dossiers;
  IocRollup *rollup;
  IocScoreBook *score; /* the 766 scorecard's state; computes only with [hub] scorecard */

  /* sinks, in the order they were added: InfluxDB first */
  GArray *sinks; /* Sink */
  IocInfluxSink *influx; /* NULL without [influx] url; also in sinks */

  /* io */
  IocMqttClient *mqtt;
  IocHandoff *inbox;
  IocHttpServer *http;
  guint tick_source;
  gboolean started;
  gboolean stopped;
  gint64 last_message_us; /* atomic: arrival of the newest message (Paho thread) */
  GSource *reserve_wake;  /* the Paho thread wakes it when the journal runs low */
  gboolean ingest_paused; /* main context: paused for the journal's reserve */
  gint64 paused_since_us;
  guint64 appends_at_pause;

  IocHubView view;

  IocStat *stat_received;
  IocStat *stat_processed;
  IocStat *stat_accepted;
  IocStat *stat_replayed;
  IocStat *stat_last_age;
  IocStat *stat_journal_bytes;
  IocStat *stat_snapshots;
  IocStat *stat_snapshot_failures;
  IocStat *stat_devices_forgotten;
};

typedef struct
{
  const IocSinkVTable *vt;
  gpointer self;
} Sink;

#define FOREACH_SINK(hub, sink) \
  for (Sink *sink = (Sink *) (hub)->sinks->data; sink < (Sink *) (hub)->sinks->data + (hub)->sinks->len; sink++)

/* hub.c: one message through decode, validate, dedup and the stages; FALSE
 * when it was rejected or a duplicate.  Main context. */
gboolean ioc_hub_process (IocHub *self, const gchar *topic, gsize topic_len, const guint8 *payload, gsize len,
                          gint64 arrival_us);
/* hub.c: the dead letter of a message over the size the hub takes, from the
 * stand-in the journal kept of it (its size, then its first bytes). */
void     ioc_hub_reject_too_large (IocHub *self, const gchar *topic, gsize topic_len, const guint8 *standin,
                                   gsize len, gint64 arrival_us);
/* hub-reload.c: the reference data and the declared connectors of config
 * (*out NULL without [hub] connectors); the inventory handed to device
 * health; the units' topics subscribed. */
gboolean ioc_hub_load_reference (IocHubConfig *config, IocUnitRegistry **units, IocCalendar **calendar,
                                 IocProcedures **procs, GError **error);
gboolean ioc_hub_load_inventory (const IocHubConfig *config, GPtrArray **out, GError **error);
void     ioc_hub_apply_inventory (IocHub *self, const IocHubConfig *config, GPtrArray *list);
void     ioc_hub_subscribe_units (IocHub *self);
/* What [http] allows clients, for the listener at start and at a reload. */
void     ioc_hub_http_limits (const IocHubConfig *config, IocHttpLimits *l);
/* hub-state.c: a durable snapshot (then the archive and the journal's
 * compaction), and the restore at start (snapshot, then the journal). */
gboolean ioc_hub_save_snapshot (IocHub *self, GError **error);
gboolean ioc_hub_restore (IocHub *self, GError **error);

G_END_DECLS
