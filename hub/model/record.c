/* record.c — names of the measurements and their fields, and the string
 * interner (the names of kinds and event types are protocol/ioc-schema.c's).
 * Pure tables; ioc_intern() runs on the main context only. */
#include "model/record.h"

#include <string.h>

static const gchar *const measurement_names[IOC_MEAS_COUNT] = {
  "ioc_dossier", "ioc_queue", "ioc_rating", "ioc_device",
};

static const gchar *const dossier_fields[IOC_F_DOSSIER_N] = {
  "received", "completed_early", "completed_ontime", "completed_late",
  "overdue_entered", "open", "open_overdue",
};
static const gchar *const queue_fields[IOC_F_QUEUE_N] = { "issued", "called", "served", "no_show" };
static const gchar *const rating_fields[IOC_F_RATING_N] = { "ratings", "satisfied" };
static const gchar *const device_fields[IOC_F_DEVICE_N] = {
  "cameras", "cameras_online", "cameras_recording", "kiosks", "kiosks_online",
  "connectors_expected", "connectors_reporting",
};

const gchar *
ioc_measurement_name (IocMeasurement m)
{
  g_return_val_if_fail (m < IOC_MEAS_COUNT, NULL);
  return measurement_names[m];
}

guint
ioc_measurement_n_ints (IocMeasurement m)
{
  switch (m)
    {
    case IOC_MEAS_DOSSIER: return IOC_F_DOSSIER_N;
    case IOC_MEAS_QUEUE: return IOC_F_QUEUE_N;
    case IOC_MEAS_RATING: return IOC_F_RATING_N;
    case IOC_MEAS_DEVICE: return IOC_F_DEVICE_N;
    default: g_return_val_if_reached (0);
    }
}

const gchar *
ioc_measurement_int_name (IocMeasurement m, guint field)
{
  g_return_val_if_fail (field < ioc_measurement_n_ints (m), NULL);
  switch (m)
    {
    case IOC_MEAS_DOSSIER: return dossier_fields[field];
    case IOC_MEAS_QUEUE: return queue_fields[field];
    case IOC_MEAS_RATING: return rating_fields[field];
    case IOC_MEAS_DEVICE: return device_fields[field];
    default: g_return_val_if_reached (NULL);
    }
}

gboolean
ioc_measurement_int_is_gauge (IocMeasurement m, guint field)
{
  if (m == IOC_MEAS_DEVICE)
    return TRUE;
  if (m == IOC_MEAS_DOSSIER)
    return field == IOC_F_DOSSIER_OPEN || field == IOC_F_DOSSIER_OPEN_OVERDUE;
  return FALSE;
}

const gchar *
ioc_intern (const gchar *s)
{
  return g_intern_string (s);
}
