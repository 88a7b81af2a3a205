/* device-health-snapshot.c — device health as a snapshot section, and back
 * (see device-health.h; the split: device-health-private.h).  The
 * inventory is configuration and is not saved: a load keeps the devices
 * the inventory declared and takes the observed state from the snapshot.
 * Main context only. */
#include "aggregate/device-health.h"
#include "aggregate/device-health-private.h"

#include "protocol/ioc-error.h"
#include "state/snapcodec.h"

#define SNAP_MAGIC_V1 0x31484449u /* "IDH1": before config versions */
#define SNAP_MAGIC_V2 0x32484449u /* "IDH2": before start and declaration times */
#define SNAP_MAGIC 0x33484449u    /* "IDH3" */

void
ioc_device_health_save (IocDeviceHealth *self, GByteArray *out)
{
  g_return_if_fail (self != NULL && out != NULL);
  GHashTableIter it;
  gpointer value;

  ioc_snap_put_u32 (out, SNAP_MAGIC);
  ioc_snap_put_i64 (out, self->started_us);
  ioc_snap_put_u32 (out, g_hash_table_size (self->devices));
  g_hash_table_iter_init (&it, self->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      const IocDhDevice *d = value;
      ioc_snap_put_u8 (out, (guint8) d->kind);
      ioc_snap_put_str (out, d->device);
      ioc_snap_put_str (out, d->unit);
      ioc_snap_put_u8 (out, (guint8) d->state);
      ioc_snap_put_i64 (out, d->state_ts_us);
      ioc_snap_put_i64 (out, d->last_seen_us);
      ioc_snap_put_u8 (out, (guint8) (d->kiosk_online + 1));
      ioc_snap_put_i64 (out, d->kiosk_ts_us);
      ioc_snap_put_str (out, d->config_version);
      ioc_snap_put_i64 (out, d->config_ts_us);
      ioc_snap_put_i64 (out, d->declared_us);
    }
  ioc_snap_put_u32 (out, g_hash_table_size (self->cameras));
  g_hash_table_iter_init (&it, self->cameras);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      const IocDhCamera *c = value;
      ioc_snap_put_str (out, c->unit);
      ioc_snap_put_str (out, c->device->device);
      ioc_snap_put_str (out, c->camera);
      ioc_snap_put_u8 (out, (guint8) c->online);
      ioc_snap_put_u8 (out, (guint8) c->recording);
      ioc_snap_put_i64 (out, c->ts_us);
    }
}

static gboolean
dh_corrupt (GError **error, const gchar *what)
{
  g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "device-health snapshot: %s", what);
  return FALSE;
}

/* Reads the section into `into` (a fresh instance). */
static gboolean
dh_parse (IocDeviceHealth *into, IocSnapReader *r, GError **error)
{
  guint32 magic = ioc_snap_get_u32 (r);
  if (magic == SNAP_MAGIC)
    into->started_us = ioc_snap_get_i64 (r);
  guint32 n = ioc_snap_get_u32 (r);
  if (!ioc_snap_reader_ok (r) || (magic != SNAP_MAGIC && magic != SNAP_MAGIC_V2 && magic != SNAP_MAGIC_V1))
    return dh_corrupt (error, "bad header");
  if (into->started_us < 0)
    return dh_corrupt (error, "negative start time");
  for (guint32 i = 0; i < n; i++)
    {
      guint8 kind = ioc_snap_get_u8 (r);
      g_autofree gchar *device = ioc_snap_get_str (r);
      g_autofree gchar *unit = ioc_snap_get_str (r);
      guint8 state = ioc_snap_get_u8 (r);
      gint64 state_ts = ioc_snap_get_i64 (r);
      gint64 last_seen = ioc_snap_get_i64 (r);
      guint8 kiosk_online = ioc_snap_get_u8 (r);
      gint64 kiosk_ts = ioc_snap_get_i64 (r);
      g_autofree gchar *config_version = NULL;
      gint64 config_ts = 0, declared = 0;
      if (magic != SNAP_MAGIC_V1)
        {
          config_version = ioc_snap_get_str (r);
          config_ts = ioc_snap_get_i64 (r);
        }
      if (magic == SNAP_MAGIC)
        declared = ioc_snap_get_i64 (r);
      if (!ioc_snap_reader_ok (r) || device == NULL || unit == NULL)
        return dh_corrupt (error, "truncated device");
      if (kind >= IOC_KIND_COUNT || state > IOC_CONNECTOR_STATE_OFFLINE || kiosk_online > 2)
        return dh_corrupt (error, "device with an unknown kind or state");
      IocDhDevice *d = ioc_device_health_device_get (into, kind, device, ioc_intern (unit));
      d->state = state;
      d->state_ts_us = state_ts;
      d->last_seen_us = last_seen;
      d->kiosk_online = (IocTri) kiosk_online - 1;
      d->kiosk_ts_us = kiosk_ts;
      g_free (d->config_version);
      d->config_version = config_version && *config_version ? g_strndup (config_version, CONFIG_VERSION_MAX) : NULL;
      d->config_ts_us = config_ts;
      d->declared_us = MAX (declared, 0);
    }
  n = ioc_snap_get_u32 (r);
  for (guint32 i = 0; i < n && ioc_snap_reader_ok (r); i++)
    {
      g_autofree gchar *unit = ioc_snap_get_str (r);
      g_autofree gchar *device = ioc_snap_get_str (r);
      g_autofree gchar *camera = ioc_snap_get_str (r);
      guint8 online = ioc_snap_get_u8 (r);
      guint8 recording = ioc_snap_get_u8 (r);
      gint64 ts = ioc_snap_get_i64 (r);
      if (!ioc_snap_reader_ok (r) || unit == NULL || device == NULL || camera == NULL)
        return dh_corrupt (error, "truncated camera");
      const gchar *u = ioc_intern (unit);
      IocDhDevice *d = ioc_device_health_device_get (into, IOC_KIND_CAMERA, device, u);
      IocDhCamera *c = ioc_device_health_camera_get (into, u, d, camera);
      c->online = online != 0;
      c->recording = recording != 0;
      c->ts_us = ts;
    }
  if (!ioc_snap_reader_ok (r) || !ioc_snap_reader_at_end (r))
    return dh_corrupt (error, "truncated or trailing bytes");
  return TRUE;
}

gboolean
ioc_device_health_load (IocDeviceHealth *self, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL && (data != NULL || len == 0), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_autoptr (IocDeviceHealth) tmp = ioc_device_health_new ();
  IocSnapReader r;
  ioc_snap_reader_init (&r, data, len);
  if (!dh_parse (tmp, &r, error))
    return FALSE;

  /* Keep the declarations made from the inventory; observed state comes
   * from the snapshot.  A device that was only ever declared carries no
   * observation and is not resurrected if the inventory dropped it. */
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, self->devices);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      IocDhDevice *d = value;
      if (!d->is_declared)
        continue;
      IocDhDevice *t = g_hash_table_lookup (tmp->devices, key);
      if (t == NULL)
        t = ioc_device_health_device_get (tmp, d->kind, d->device, d->unit);
      t->is_declared = TRUE;
      t->unit = d->unit;
      t->gen = d->gen;
      /* Declared before the restart too: its grace ran from then. */
      if (t->declared_us == 0 || (d->declared_us > 0 && d->declared_us < t->declared_us))
        t->declared_us = d->declared_us;
    }
  g_hash_table_iter_init (&it, tmp->devices);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      IocDhDevice *t = value;
      if (!t->is_declared)
        t->declared_us = 0;
      if (!t->is_declared && t->last_seen_us == 0 && t->state == IOC_CONNECTOR_STATE_UNKNOWN)
        {
          /* still referenced by a camera? then keep it */
          gboolean used = FALSE;
          GHashTableIter ci;
          gpointer cv;
          g_hash_table_iter_init (&ci, tmp->cameras);
          while (!used && g_hash_table_iter_next (&ci, NULL, &cv))
            used = ((IocDhCamera *) cv)->device == t;
          if (!used)
            g_hash_table_iter_remove (&it);
        }
    }

  GHashTable *devices = self->devices, *cameras = self->cameras;
  self->admitted = NULL;
  self->devices = tmp->devices;
  self->cameras = tmp->cameras;
  tmp->devices = devices;
  tmp->cameras = cameras;
  /* The earlier start wins: the hub's first start survives restarts. */
  if (tmp->started_us > 0)
    ioc_device_health_set_started (self, tmp->started_us);
  ioc_device_health_per_unit_rebuild (self);
  return TRUE;
}
