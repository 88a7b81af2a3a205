/* device-health-private.h — what device health's two pieces share, and
 * nothing outside hub/aggregate/device-health*.c includes.
 *
 * Device health (device-health.h) is one object split by concern:
 *   device-health.c           the object, its devices and cameras, record(),
 *                             the inventory, the summaries and the gauges
 *   device-health-snapshot.c  the state as a snapshot section, and back
 * Main context only, like the public functions. */
#pragma once

#include "aggregate/device-health.h"

G_BEGIN_DECLS
/* A version is 12 hex digits today; anything longer is cut, not refused. */
#define CONFIG_VERSION_MAX 64

typedef struct
{
  IocKind kind;
  gchar *device;
  const gchar *unit; /* interned: the declared unit, else the first seen */
  gboolean is_declared;
  gint64 declared_us; /* when it was (last) newly declared; 0: not declared */
  guint gen;          /* the inventory that last declared it */
  IocConnectorState state;
  gint64 state_ts_us;
  gint64 last_seen_us;
  IocTri kiosk_online;
  gint64 kiosk_ts_us;
  gchar *config_version; /* from its statuses; NULL: never said */
  gint64 config_ts_us;
} IocDhDevice;

typedef struct
{
  const gchar *unit; /* interned */
  IocDhDevice *device;
  gchar *camera;
  gboolean online;
  gboolean recording;
  gint64 ts_us;
} IocDhCamera;

struct _IocDeviceHealth
{
  GHashTable *devices; /* "kind/device" → IocDhDevice* */
  GHashTable *cameras; /* "unit\x1fdevice\x1fcamera" → IocDhCamera* */
  const gchar *all_unit;
  gboolean has_inventory; /* set_inventory was called: expected = declared */
  guint gen;
  gint64 cadence_us;
  gint64 started_us; /* the hub's first start (persisted); 0: not said */
  guint max_per_unit;  /* undeclared devices admitted per (unit, kind); 0: no cap */
  IocDhDevice *admitted; /* the device admit() last found, which record() then takes without a
                          * second lookup (when its kind and id match: a message admitted
                          * and then rejected leaves it for the next one); NULL whenever
                          * devices may have been freed */
  GHashTable *per_unit; /* "kind/unit" → GUINT_TO_POINTER (undeclared devices), derived */
};

/* The device (kind, device), created with `unit` (interned) if new. */
IocDhDevice *ioc_device_health_device_get (IocDeviceHealth *self, IocKind kind,
                                           const gchar *device, const gchar *unit);
/* The camera of dev at unit (interned), created if new. */
IocDhCamera *ioc_device_health_camera_get (IocDeviceHealth *self, const gchar *unit,
                                           IocDhDevice *dev, const gchar *camera);
/* Recounts the undeclared devices per (unit, kind) from the devices. */
void ioc_device_health_per_unit_rebuild (IocDeviceHealth *self);

G_END_DECLS
