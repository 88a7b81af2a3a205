/* device-health.c — device and connector state for ioc_device (SPEC §5–§6)
 * and the connectors API.  Sits beside queue-stats after ingest: every
 * validated record passes through ioc_device_health_record(); the rollup
 * calls ioc_device_health_sample() when a minute ends.  Main context only.
 *
 * A device is a (kind, device) pair, which is also what publishes the
 * retained state topic, so "connector" and "device" are the same key here.
 * Cameras are (unit, device, camera): one NVR device reports many.
 * Statuses carry event time and the latest wins, so a status replayed from
 * a connector's offline buffer never overwrites a newer one.
 *
 * A camera or kiosk whose device is not reporting does not count as online
 * or recording: its last status is stale, and the ops room must see the
 * drop rather than a frozen "all fine".  The snapshot section is in
 * device-health-snapshot.c (the split: device-health-private.h). */
#include "aggregate/device-health.h"
#include "aggregate/device-health-private.h"

#include <string.h>

#include "protocol/ioc-hash.h"

static void
dh_device_free (gpointer data)
{
  IocDhDevice *d = data;
  g_free (d->device);
  g_free (d->config_version);
  g_free (d);
}

static void
dh_camera_free (gpointer data)
{
  IocDhCamera *c = data;
  g_free (c->camera);
  g_free (c);
}

IocDeviceHealth *
ioc_device_health_new (void)
{
  IocDeviceHealth *self = g_new0 (IocDeviceHealth, 1);
  self->devices = g_hash_table_new_full (ioc_str_hash, g_str_equal, g_free, dh_device_free);
  self->cameras = g_hash_table_new_full (ioc_str_hash, g_str_equal, g_free, dh_camera_free);
  self->all_unit = ioc_intern ("all");
  self->cadence_us = IOC_DEVICE_REPORTING_WINDOW_US;
  self->per_unit = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

void
ioc_device_health_free (IocDeviceHealth *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->devices);
  g_hash_table_unref (self->cameras);
  g_hash_table_unref (self->per_unit);
  g_free (self);
}

/* Builds "a<sep>b<sep>c" into buf without printf: this runs for every
 * message.  Returns FALSE when it does not fit (callers then allocate). */
static gboolean
join_key (gchar *buf, gsize size, const gchar *a, const gchar *b, const gchar *c, gchar sep)
{
  const gchar *parts[3] = { a, b, c };
  gsize pos = 0;
  for (guint i = 0; i < 3 && parts[i] != NULL; i++)
    {
      gsize len = strlen (parts[i]);
      if (pos + len + 2 > size)
        return FALSE;
      if (i > 0)
        buf[pos++] = sep;
      memcpy (buf + pos, parts[i], len);
      pos += len;
    }
  buf[pos] = '\0';
  return TRUE;
}

static IocDhDevice *
device_get (IocDeviceHealth *self, IocKind kind, const gchar *device, const gchar *unit)
{
  IocDhDevice *recent = self->admitted;
  self->admitted = NULL;
  if (recent != NULL && recent->kind == kind && strcmp (recent->device, device) == 0)
    return recent;
  gchar stack_key[128];
  const gchar *kinds[] = { "0", "1", "2", "3" };
  g_autofree gchar *heap_key = NULL;
  const gchar *key = stack_key;
  if (!join_key (stack_key, sizeof stack_key, kinds[kind & 3], device, NULL, '/'))
    key = heap_key = g_strdup_printf ("%d/%s", (gint) kind, device);
  IocDhDevice *d = g_hash_table_lookup (self->devices, key);
  if (d == NULL)
    {
      d = g_new0 (IocDhDevice, 1);
      d->kind = kind;
      d->device = g_strdup (device);
      /* A portal connector publishes on many units' topics: its first unit
       * is kept (unless declared) so that it counts once, somewhere. */
      d->unit = unit;
      d->kiosk_online = IOC_TRI_UNSET;
      g_hash_table_insert (self->devices, g_strdup (key), d);
    }
  return d;
}

/* The per-(unit, kind) count of undeclared devices is derived from the
 * devices alone (so it is the same after a snapshot load as in the run that
 * saved it): rebuilt whenever declarations change, bumped when an
 * undeclared device is first heard. */
static void
per_unit_bump (IocDeviceHealth *self, IocKind kind, const gchar *unit)
{
  g_autofree gchar *key = g_strdup_printf ("%d/%s", (gint) kind, unit);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_unit, key));
  g_hash_table_replace (self->per_unit, g_steal_pointer (&key), GUINT_TO_POINTER (n + 1));
}

void
ioc_device_health_per_unit_rebuild (IocDeviceHealth *self)
{
  g_hash_table_remove_all (self->per_unit);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocDhDevice *d = value;
      if (!d->is_declared)
        per_unit_bump (self, d->kind, d->unit);
    }
}

void
ioc_device_health_set_max_per_unit (IocDeviceHealth *self, guint max_per_unit)
{
  g_return_if_fail (self != NULL);
  self->max_per_unit = max_per_unit;
}

gboolean
ioc_device_health_admit (IocDeviceHealth *self, IocKind kind, const gchar *device, const gchar *unit)
{
  g_return_val_if_fail (self != NULL && kind < IOC_KIND_COUNT && device != NULL && unit != NULL, FALSE);
  if (self->max_per_unit == 0)
    return TRUE;
  /* Every message comes here: the keys are built on the stack, as in
   * device_get (a device id that does not fit is a new device anyway). */
  const gchar *kinds[] = { "0", "1", "2", "3" };
  gchar key[160];
  IocDhDevice *known = join_key (key, sizeof key, kinds[kind & 3], device, NULL, '/')
                           ? g_hash_table_lookup (self->devices, key)
                           : NULL;
  if (known != NULL)
    {
      self->admitted = known; /* record() comes next for this message */
      return TRUE;            /* known: heard before, or declared */
    }
  g_autofree gchar *heap_key = NULL;
  const gchar *unit_key = key;
  if (!join_key (key, sizeof key, kinds[kind & 3], unit, NULL, '/'))
    unit_key = heap_key = g_strdup_printf ("%d/%s", (gint) kind, unit);
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->per_unit, unit_key)) < self->max_per_unit;
}

static IocDhCamera *
camera_get (IocDeviceHealth *self, const gchar *unit, IocDhDevice *dev, const gchar *camera)
{
  gchar stack_key[256];
  g_autofree gchar *heap_key = NULL;
  const gchar *key = stack_key;
  if (!join_key (stack_key, sizeof stack_key, unit, dev->device, camera, '\x1f'))
    key = heap_key = g_strdup_printf ("%s\x1f%s\x1f%s", unit, dev->device, camera);
  IocDhCamera *c = g_hash_table_lookup (self->cameras, key);
  if (c == NULL)
    {
      c = g_new0 (IocDhCamera, 1);
      c->unit = unit;
      c->device = dev;
      c->camera = g_strdup (camera);
      c->ts_us = G_MININT64;
      g_hash_table_insert (self->cameras, g_strdup (key), c);
    }
  return c;
}

/* The two lookups above stay static so that record() keeps them in line;
 * the snapshot loader reaches them through these. */
IocDhDevice *
ioc_device_health_device_get (IocDeviceHealth *self, IocKind kind, const gchar *device,
                              const gchar *unit)
{
  return device_get (self, kind, device, unit);
}

IocDhCamera *
ioc_device_health_camera_get (IocDeviceHealth *self, const gchar *unit, IocDhDevice *dev,
                              const gchar *camera)
{
  return camera_get (self, unit, dev, camera);
}

static gboolean
device_is_reporting (const IocDeviceHealth *self, const IocDhDevice *d, gint64 now_us)
{
  switch (d->state)
    {
    case IOC_CONNECTOR_STATE_ONLINE:
      return TRUE;
    case IOC_CONNECTOR_STATE_OFFLINE:
      return FALSE;
    default:
      return d->last_seen_us > 0 && now_us - d->last_seen_us <= self->cadence_us;
    }
}

static gboolean
device_is_down (const IocDeviceHealth *self, const IocDhDevice *d, gint64 now_us)
{
  if (d->state == IOC_CONNECTOR_STATE_OFFLINE)
    return TRUE;
  if (!d->is_declared || device_is_reporting (self, d, now_us))
    return FALSE;
  if (d->last_seen_us > 0 || d->state != IOC_CONNECTOR_STATE_UNKNOWN)
    return TRUE; /* heard, and silent for more than a cadence */
  /* Never heard: it has a cadence to show up, from the hub's first start
   * or from its declaration, whichever is later. */
  gint64 since = MAX (self->started_us, d->declared_us);
  return now_us - since > self->cadence_us;
}

static gboolean
device_is_undeclared (const IocDeviceHealth *self, const IocDhDevice *d)
{
  return self->has_inventory && !d->is_declared;
}

static void
camera_event (IocDeviceHealth *self, const IocRecord *rec, const gchar *unit, IocDhDevice *dev)
{
  if (rec->camera == NULL)
    return;
  IocDhCamera *c = camera_get (self, unit, dev, rec->camera);
  if (rec->ts_us < c->ts_us)
    return;
  switch (rec->type)
    {
    case IOC_EV_CAMERA_OFFLINE:
      c->online = FALSE;
      break;
    case IOC_EV_CAMERA_ONLINE:
      c->online = TRUE;
      break;
    case IOC_EV_RECORDING_STOPPED:
      c->recording = FALSE;
      break;
    case IOC_EV_RECORDING_STARTED:
      c->recording = TRUE;
      break;
    default:
      return; /* video.loss, tamper: alerts, not device state */
    }
  c->ts_us = rec->ts_us;
}

void
ioc_device_health_record (IocDeviceHealth *self, const IocRecord *rec, const gchar *unit, gint64 now_us)
{
  g_return_if_fail (self != NULL && rec != NULL && unit != NULL && rec->device != NULL);
  g_return_if_fail (rec->kind < IOC_KIND_COUNT);

  guint before = g_hash_table_size (self->devices);
  IocDhDevice *dev = device_get (self, rec->kind, rec->device, unit);
  if (g_hash_table_size (self->devices) != before)
    per_unit_bump (self, dev->kind, dev->unit);
  dev->last_seen_us = MAX (dev->last_seen_us, now_us);

  switch (rec->msg_type)
    {
    case IOC_MSG_STATE:
      if (rec->online != IOC_TRI_UNSET && rec->ts_us >= dev->state_ts_us)
        {
          dev->state = rec->online == IOC_TRI_TRUE ? IOC_CONNECTOR_STATE_ONLINE : IOC_CONNECTOR_STATE_OFFLINE;
          dev->state_ts_us = rec->ts_us;
        }
      break;

    case IOC_MSG_STATUS:
      if (rec->config_version != NULL && rec->ts_us >= dev->config_ts_us)
        {
          if (g_strcmp0 (dev->config_version, rec->config_version) != 0)
            {
              g_free (dev->config_version);
              dev->config_version = g_strndup (rec->config_version, CONFIG_VERSION_MAX);
            }
          dev->config_ts_us = rec->ts_us;
        }
      if (rec->kind == IOC_KIND_KIOSK && rec->online != IOC_TRI_UNSET && rec->ts_us >= dev->kiosk_ts_us)
        {
          dev->kiosk_online = rec->online;
          dev->kiosk_ts_us = rec->ts_us;
        }
      else if (rec->kind == IOC_KIND_CAMERA)
        {
          for (guint i = 0; i < MIN (rec->n_cameras, (guint) IOC_MAX_CAMERAS); i++)
            {
              const IocCameraStatus *st = &rec->cameras[i];
              if (st->camera == NULL)
                continue;
              IocDhCamera *c = camera_get (self, unit, dev, st->camera);
              if (rec->ts_us < c->ts_us)
                continue;
              c->online = st->online;
              if (st->has_recording)
                c->recording = st->recording;
              c->ts_us = rec->ts_us;
            }
        }
      break;

    case IOC_MSG_EVENT:
      if (rec->kind == IOC_KIND_CAMERA)
        camera_event (self, rec, unit, dev);
      break;

    default:
      break;
    }
}

void
ioc_device_health_expect (IocDeviceHealth *self, IocKind kind, const gchar *device, const gchar *unit)
{
  g_return_if_fail (self != NULL && kind < IOC_KIND_COUNT && device != NULL && unit != NULL);
  IocDhDevice *d = device_get (self, kind, device, ioc_intern (unit));
  d->is_declared = TRUE;
  d->unit = ioc_intern (unit);
  ioc_device_health_per_unit_rebuild (self);
}

static gboolean
device_has_camera (IocDeviceHealth *self, const IocDhDevice *d)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->cameras);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((IocDhCamera *) value)->device == d)
      return TRUE;
  return FALSE;
}

void
ioc_device_health_set_inventory (IocDeviceHealth *self, const IocDeclaredConnector *decls, guint n, gint64 now_us)
{
  g_return_if_fail (self != NULL && (decls != NULL || n == 0));
  self->has_inventory = TRUE;
  self->gen++;
  for (guint i = 0; i < n; i++)
    {
      const IocDeclaredConnector *c = &decls[i];
      g_return_if_fail (c->kind < IOC_KIND_COUNT && c->device != NULL && c->unit != NULL);
      IocDhDevice *d = device_get (self, c->kind, c->device, ioc_intern (c->unit));
      if (!d->is_declared || d->declared_us == 0)
        d->declared_us = now_us;
      d->is_declared = TRUE;
      d->unit = ioc_intern (c->unit);
      d->gen = self->gen;
    }
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocDhDevice *d = value;
      if (d->gen == self->gen)
        continue;
      d->is_declared = FALSE;
      d->declared_us = 0;
      if (d->last_seen_us == 0 && d->state == IOC_CONNECTOR_STATE_UNKNOWN && !device_has_camera (self, d))
        {
          self->admitted = NULL;
          g_hash_table_iter_remove (&it);
        }
    }
  ioc_device_health_per_unit_rebuild (self);
}

guint
ioc_device_health_forget_silent (IocDeviceHealth *self, gint64 now_us, gint64 silent_us,
                                 IocDeviceForgetFunc forget, gpointer user_data)
{
  g_return_val_if_fail (self != NULL && silent_us > 0, 0);
  g_autoptr (GHashTable) doomed = g_hash_table_new (NULL, NULL);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocDhDevice *d = value;
      if (!d->is_declared && d->last_seen_us > 0 && now_us - d->last_seen_us > silent_us)
        g_hash_table_add (doomed, d);
    }
  if (g_hash_table_size (doomed) == 0)
    return 0;
  /* Cameras point at their device: they go first. */
  g_hash_table_iter_init (&it, self->cameras);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (g_hash_table_contains (doomed, ((IocDhCamera *) value)->device))
      g_hash_table_iter_remove (&it);
  self->admitted = NULL;
  g_hash_table_iter_init (&it, self->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocDhDevice *d = value;
      if (!g_hash_table_contains (doomed, d))
        continue;
      if (forget != NULL)
        forget (d->kind, d->device, user_data);
      g_hash_table_iter_remove (&it);
    }
  ioc_device_health_per_unit_rebuild (self);
  return g_hash_table_size (doomed);
}

void
ioc_device_health_set_cadence (IocDeviceHealth *self, gint64 cadence_us)
{
  g_return_if_fail (self != NULL && cadence_us > 0);
  self->cadence_us = cadence_us;
}

void
ioc_device_health_set_started (IocDeviceHealth *self, gint64 now_us)
{
  g_return_if_fail (self != NULL);
  if (self->started_us == 0 || (now_us > 0 && now_us < self->started_us))
    self->started_us = now_us;
}

gint64
ioc_device_health_started (IocDeviceHealth *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->started_us;
}

/* Adds the devices and cameras of `unit` (or of every unit when unit is
 * NULL, or the all-unit) into per-unit summaries (by_unit: interned unit →
 * IocDeviceSummary*) or into *total. */
static void
summarise (IocDeviceHealth *self, gint64 now_us, const gchar *unit, GHashTable *by_unit,
           IocDeviceSummary *total)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, self->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocDhDevice *d = value;
      if (unit != NULL && d->unit != unit)
        continue;
      IocDeviceSummary *s = total;
      if (by_unit != NULL && (s = g_hash_table_lookup (by_unit, d->unit)) == NULL)
        g_hash_table_insert (by_unit, (gpointer) d->unit, (s = g_new0 (IocDeviceSummary, 1)));
      gboolean reporting = device_is_reporting (self, d, now_us);
      if (!device_is_undeclared (self, d))
        {
          s->connectors_expected++;
          s->connectors_reporting += reporting;
        }
      if (d->kind == IOC_KIND_KIOSK)
        {
          s->kiosks++;
          s->kiosks_online += reporting && d->kiosk_online == IOC_TRI_TRUE;
        }
      s->last_seen_us = MAX (s->last_seen_us, d->last_seen_us);
      if ((guint) d->kind < IOC_KIND_COUNT)
        s->last_seen_by_kind_us[d->kind] = MAX (s->last_seen_by_kind_us[d->kind], d->last_seen_us);
    }

  g_hash_table_iter_init (&it, self->cameras);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocDhCamera *c = value;
      if (unit != NULL && c->unit != unit)
        continue;
      IocDeviceSummary *s = total;
      if (by_unit != NULL && (s = g_hash_table_lookup (by_unit, c->unit)) == NULL)
        g_hash_table_insert (by_unit, (gpointer) c->unit, (s = g_new0 (IocDeviceSummary, 1)));
      gboolean reporting = device_is_reporting (self, c->device, now_us);
      s->cameras++;
      s->cameras_online += reporting && c->online;
      s->cameras_recording += reporting && c->recording;
    }
}

void
ioc_device_health_sample (IocRollup *rollup, gint64 minute_start_us, gpointer user_data)
{
  IocDeviceHealth *self = user_data;
  g_return_if_fail (rollup != NULL && self != NULL);

  /* Judged as of the minute's end, whenever the tick runs. */
  gint64 now_us = minute_start_us + IOC_ROLLUP_MINUTE_US;
  g_autoptr (GHashTable) by_unit = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  summarise (self, now_us, NULL, by_unit, NULL);

  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, by_unit);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const IocDeviceSummary *s = value;
      const gint64 fields[IOC_F_DEVICE_N] = {
        [IOC_F_DEVICE_CAMERAS] = s->cameras,
        [IOC_F_DEVICE_CAMERAS_ONLINE] = s->cameras_online,
        [IOC_F_DEVICE_CAMERAS_RECORDING] = s->cameras_recording,
        [IOC_F_DEVICE_KIOSKS] = s->kiosks,
        [IOC_F_DEVICE_KIOSKS_ONLINE] = s->kiosks_online,
        [IOC_F_DEVICE_CONNECTORS_EXPECTED] = s->connectors_expected,
        [IOC_F_DEVICE_CONNECTORS_REPORTING] = s->connectors_reporting,
      };
      for (guint f = 0; f < IOC_F_DEVICE_N; f++)
        {
          IocFact fact = {
            .measurement = IOC_MEAS_DEVICE, .kind = IOC_FACT_GAUGE, .field = f,
            .unit = key, .channel = 0, .ts_us = minute_start_us, .delta = fields[f],
          };
          ioc_rollup_add (rollup, &fact);
        }
    }
}

gboolean
ioc_device_health_summary (IocDeviceHealth *self, const gchar *unit, gint64 now_us, IocDeviceSummary *out)
{
  g_return_val_if_fail (self != NULL && unit != NULL && out != NULL, FALSE);
  const gchar *u = ioc_intern (unit);
  memset (out, 0, sizeof *out);
  summarise (self, now_us, u == self->all_unit ? NULL : u, NULL, out);
  /* Undeclared devices are not expected but the unit has them. */
  return out->connectors_expected > 0 || out->cameras > 0 || out->last_seen_us > 0;
}

GHashTable *
ioc_device_health_summaries (IocDeviceHealth *self, gint64 now_us)
{
  g_return_val_if_fail (self != NULL, NULL);
  GHashTable *by_unit = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  summarise (self, now_us, NULL, by_unit, NULL);
  return by_unit;
}

static gint
device_cmp (gconstpointer a, gconstpointer b)
{
  const IocDhDevice *da = *(IocDhDevice *const *) a;
  const IocDhDevice *db = *(IocDhDevice *const *) b;
  if (da->kind != db->kind)
    return da->kind < db->kind ? -1 : 1;
  return strcmp (da->device, db->device);
}

void
ioc_device_health_foreach_connector (IocDeviceHealth *self, gint64 now_us, IocConnectorInfoFunc fn,
                                     gpointer user_data)
{
  g_return_if_fail (self != NULL && fn != NULL);
  g_autoptr (GPtrArray) list = g_ptr_array_sized_new (g_hash_table_size (self->devices));
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (list, value);
  g_ptr_array_sort (list, device_cmp);
  for (guint i = 0; i < list->len; i++)
    {
      const IocDhDevice *d = list->pdata[i];
      IocConnectorInfo info = {
        .kind = d->kind, .device = d->device, .unit = d->unit, .state = d->state,
        .is_declared = d->is_declared, .is_undeclared = device_is_undeclared (self, d),
        .is_reporting = device_is_reporting (self, d, now_us), .is_down = device_is_down (self, d, now_us),
        .last_seen_us = d->last_seen_us, .config_version = d->config_version,
      };
      fn (&info, user_data);
    }
}
