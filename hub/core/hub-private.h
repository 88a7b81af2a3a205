/* hub-private.h — the hub's stages, raw, for white-box tests only.
 *
 * Consumers (api/, alerts/, federation/, iocctl) read the hub through the
 * functions in hub.h; tests that must look inside a stage (a dossier's
 * state, a device's expectation) take the pointers from here.  The layering
 * test refuses this header anywhere under hub/ but hub/core/.
 * Borrowed pointers, valid while the hub lives; main context only.  The
 * reference data (units, calendar) can be swapped by a reload: ask again
 * each time, never keep them. */
#pragma once

#include "hub.h"

G_BEGIN_DECLS

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
  IocMqttClient *mqtt;  /* NULL after stop */
  IocHttpServer *http;
} IocHubView;

const IocHubView *ioc_hub_view (IocHub *self);

G_END_DECLS
