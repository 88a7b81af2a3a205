/* record.c — names of the records' enums, and the string interner.
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

static const gchar *const kind_names[IOC_KIND_COUNT] = { "desk", "kiosk", "camera", "portal" };
static const gchar *const msg_type_names[IOC_MSG_COUNT] = { "event", "status", "state" };

static const struct
{
  const gchar *name;
  IocKind kind;
} event_types[IOC_EV_COUNT] = {
  [IOC_EV_NONE] = { "", IOC_KIND_COUNT },
  [IOC_EV_COUNTER_OPEN] = { "counter.open", IOC_KIND_DESK },
  [IOC_EV_COUNTER_CLOSE] = { "counter.close", IOC_KIND_DESK },
  [IOC_EV_TICKET_CALLED] = { "ticket.called", IOC_KIND_DESK },
  [IOC_EV_SERVICE_DONE] = { "service.done", IOC_KIND_DESK },
  [IOC_EV_TICKET_ISSUED] = { "ticket.issued", IOC_KIND_KIOSK },
  [IOC_EV_TICKET_NO_SHOW] = { "ticket.no_show", IOC_KIND_KIOSK },
  [IOC_EV_RATING] = { "rating", IOC_KIND_KIOSK },
  [IOC_EV_CAMERA_OFFLINE] = { "camera.offline", IOC_KIND_CAMERA },
  [IOC_EV_CAMERA_ONLINE] = { "camera.online", IOC_KIND_CAMERA },
  [IOC_EV_VIDEO_LOSS] = { "video.loss", IOC_KIND_CAMERA },
  [IOC_EV_TAMPER] = { "tamper", IOC_KIND_CAMERA },
  [IOC_EV_RECORDING_STOPPED] = { "recording.stopped", IOC_KIND_CAMERA },
  [IOC_EV_RECORDING_STARTED] = { "recording.started", IOC_KIND_CAMERA },
  [IOC_EV_DOSSIER] = { "dossier", IOC_KIND_PORTAL },
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

static gboolean
lookup_name (const gchar *const *names, guint n, const gchar *s, gsize len, guint *out)
{
  for (guint i = 0; i < n; i++)
    if (strlen (names[i]) == len && memcmp (names[i], s, len) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

const gchar *
ioc_kind_name (IocKind kind)
{
  g_return_val_if_fail (kind < IOC_KIND_COUNT, NULL);
  return kind_names[kind];
}

gboolean
ioc_kind_from_string (const gchar *s, gsize len, IocKind *out)
{
  guint i;
  if (!lookup_name (kind_names, IOC_KIND_COUNT, s, len, &i))
    return FALSE;
  *out = (IocKind) i;
  return TRUE;
}

const gchar *
ioc_msg_type_name (IocMsgType t)
{
  g_return_val_if_fail (t < IOC_MSG_COUNT, NULL);
  return msg_type_names[t];
}

gboolean
ioc_msg_type_from_string (const gchar *s, gsize len, IocMsgType *out)
{
  guint i;
  if (!lookup_name (msg_type_names, IOC_MSG_COUNT, s, len, &i))
    return FALSE;
  *out = (IocMsgType) i;
  return TRUE;
}

const gchar *
ioc_event_type_name (IocEventType t)
{
  g_return_val_if_fail (t < IOC_EV_COUNT, NULL);
  return event_types[t].name;
}

gboolean
ioc_event_type_from_string (const gchar *s, gsize len, IocEventType *out)
{
  for (guint i = 1; i < IOC_EV_COUNT; i++)
    if (strlen (event_types[i].name) == len && memcmp (event_types[i].name, s, len) == 0)
      {
        *out = (IocEventType) i;
        return TRUE;
      }
  return FALSE;
}

IocKind
ioc_event_type_kind (IocEventType t)
{
  g_return_val_if_fail (t < IOC_EV_COUNT, IOC_KIND_COUNT);
  return event_types[t].kind;
}

const gchar *
ioc_intern (const gchar *s)
{
  return g_intern_string (s);
}
