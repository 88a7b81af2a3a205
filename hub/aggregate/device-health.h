/* device-health.h — what the province's devices are doing (SPEC §5
 * devices, §6 ioc_device): cameras online and recording, kiosks online,
 * connectors reporting versus expected.  Fed with every record; sampled by
 * the rollup once a minute as an IocGaugeSampler.  Main context only. */
#pragma once

#include <glib.h>

#include "aggregate/rollup.h"
#include "model/record.h"

G_BEGIN_DECLS

/* A device that sent no state message counts as reporting while its last
 * message is at most this old (status comes at least every 60 s): the
 * default connector cadence ([hub] connector_cadence). */
#define IOC_DEVICE_REPORTING_WINDOW_US (3 * G_TIME_SPAN_MINUTE)

typedef struct _IocDeviceHealth IocDeviceHealth;

typedef struct
{
  gint64 cameras, cameras_online, cameras_recording;
  gint64 kiosks, kiosks_online;
  gint64 connectors_expected, connectors_reporting;
  gint64 last_seen_us; /* newest message from any device of the unit; 0: none */
  gint64 last_seen_by_kind_us[IOC_KIND_COUNT]; /* the same, per connector kind */
} IocDeviceSummary;

typedef enum
{
  IOC_CONNECTOR_STATE_UNKNOWN = 0, /* no retained state message seen */
  IOC_CONNECTOR_STATE_ONLINE,
  IOC_CONNECTOR_STATE_OFFLINE,
} IocConnectorState;

typedef struct
{
  IocKind kind;
  const gchar *device;    /* borrowed, valid during the callback */
  const gchar *unit;      /* interned */
  IocConnectorState state;
  gboolean is_declared;   /* listed in the inventory (ioc_device_health_expect) */
  gboolean is_undeclared; /* heard, and an inventory is loaded that does not list it */
  gboolean is_reporting;  /* as counted in connectors_reporting (declared ones only once an
                           * inventory is loaded) */
  gboolean is_down;       /* state offline; or declared, not reporting, and past its grace
                           * (a never-heard one: one cadence after the hub first started or
                           * after it was declared, whichever is later) */
  gint64 last_seen_us;    /* hub clock at its last message; 0: never */
  const gchar *config_version; /* of the config it runs, from its newest status
                                * carrying one; borrowed; NULL: never said */
} IocConnectorInfo;

typedef void (*IocConnectorInfoFunc) (const IocConnectorInfo *info, gpointer user_data);

IocDeviceHealth *ioc_device_health_new (void);
void             ioc_device_health_free (IocDeviceHealth *self);

/* Any record from a device.  unit: the resolved registry code, interned;
 * now_us: the hub clock at arrival (last seen), not the event time.
 * Statuses and camera events apply only if not older than what is known. */
void     ioc_device_health_record (IocDeviceHealth *self, const IocRecord *rec, const gchar *unit,
                                   gint64 now_us);
/* Declared inventory: the device is expected even before it is ever seen,
 * and counts for `unit` wherever it publishes.  Adds one declaration to
 * those already made (and does not switch to inventory mode: see below). */
void     ioc_device_health_expect (IocDeviceHealth *self, IocKind kind, const gchar *device,
                                   const gchar *unit);

typedef struct
{
  IocKind kind;
  const gchar *device;
  const gchar *unit;
} IocDeclaredConnector;

/* Replaces the whole inventory with these n connectors (at start and at
 * each reload).  From then on connectors_expected counts the declared
 * connectors only, connectors_reporting those of them reporting, and a
 * connector heard but not declared is listed as undeclared.  A connector
 * no longer declared is forgotten if it was never heard, else it stays as
 * undeclared.  now_us: when a newly declared one was declared (its grace
 * runs a cadence from then); one declared before keeps its time. */
void     ioc_device_health_set_inventory (IocDeviceHealth *self, const IocDeclaredConnector *decls, guint n,
                                          gint64 now_us);
/* How long a connector without a retained state counts as reporting after
 * its last message, and the grace of a never-heard declared one (default
 * IOC_DEVICE_REPORTING_WINDOW_US). */
void     ioc_device_health_set_cadence (IocDeviceHealth *self, gint64 cadence_us);
/* The cap on distinct undeclared devices per (unit, kind) ([hub]
 * max_devices_per_unit); 0: none.  Declared devices never count. */
void     ioc_device_health_set_max_per_unit (IocDeviceHealth *self, guint max_per_unit);
/* FALSE when a message from this device must be dead-lettered
 * too_many_devices: it is not known (heard or declared) and its (unit, kind)
 * already has the cap of undeclared devices.  Derived from saved state
 * only, so a journal replay takes the same decision.  Call before any
 * per-device state is made. */
gboolean ioc_device_health_admit (IocDeviceHealth *self, IocKind kind, const gchar *device, const gchar *unit);
/* Forgets every undeclared device whose last message (hub clock) is more
 * than silent_us before now_us, with its cameras: a forged or retired id
 * must not cost memory for ever, nor hold a place under the cap.  Declared
 * devices are never forgotten: a silent one is down, and must stay in
 * sight.  forget (may be NULL) hears each one before it goes.  Returns how
 * many were forgotten. */
typedef void (*IocDeviceForgetFunc) (IocKind kind, const gchar *device, gpointer user_data);
guint    ioc_device_health_forget_silent (IocDeviceHealth *self, gint64 now_us, gint64 silent_us,
                                          IocDeviceForgetFunc forget, gpointer user_data);
/* When the hub started: kept if an earlier one is known.  Saved in the
 * snapshot, and the earlier of the snapshot's and this one wins on load,
 * so a restart does not restart a never-heard connector's grace. */
void     ioc_device_health_set_started (IocDeviceHealth *self, gint64 now_us);
gint64   ioc_device_health_started (IocDeviceHealth *self);

/* An IocGaugeSampler (user_data = the IocDeviceHealth): pushes the seven
 * ioc_device gauges of every unit with a device, at ts = minute_start_us,
 * judged as of the minute's end. */
void     ioc_device_health_sample (IocRollup *rollup, gint64 minute_start_us, gpointer self);

/* unit: a registry code or "all".  FALSE when the unit has no device. */
gboolean ioc_device_health_summary (IocDeviceHealth *self, const gchar *unit, gint64 now_us,
                                    IocDeviceSummary *out);
/* Every unit's summary in one pass over the devices (what a wall needs
 * for all its communes at once; the per-unit call would walk every device
 * once per unit): interned unit code → IocDeviceSummary*, owned by the
 * table.  Units without a device are absent. */
GHashTable *ioc_device_health_summaries (IocDeviceHealth *self, gint64 now_us);
/* Every connector (kind, device), ordered by kind then device. */
void     ioc_device_health_foreach_connector (IocDeviceHealth *self, gint64 now_us,
                                              IocConnectorInfoFunc fn, gpointer user_data);

/* Snapshot section.  The inventory is configuration and is not saved: load
 * restores what was observed (and the start and declaration times) and
 * keeps the declarations already made. */
void     ioc_device_health_save (IocDeviceHealth *self, GByteArray *out);
gboolean ioc_device_health_load (IocDeviceHealth *self, const guint8 *data, gsize len,
                                 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocDeviceHealth, ioc_device_health_free)

G_END_DECLS
