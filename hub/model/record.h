/* record.h — the records that travel between the hub's stages.
 *
 *   broker ─► journal ─► ingest (envelope → validate → dedup) ─► IocRecord
 *   IocRecord ─► aggregate (queue-stats, device-health, dossier-tracker) ─► IocFact
 *   IocFact   ─► rollup (10 s live windows, minute points) ─► IocPoint ─► sinks
 *
 * These are plain structs, filled and read on the main context.  Strings in an
 * IocRecord are borrowed from the decoder that produced it and are valid only
 * until the decoder decodes its next message; a stage that keeps one copies it
 * (or interns it, see ioc_intern()).
 */
#pragma once

#include <glib.h>

#include "protocol/ioc-schema.h"

G_BEGIN_DECLS

/* A camera status may list every camera of a site; more than this is rejected. */
#define IOC_MAX_CAMERAS 256

/* Optional booleans of a dossier event: absent is not false. */
typedef enum
{
  IOC_TRI_UNSET = -1,
  IOC_TRI_FALSE = 0,
  IOC_TRI_TRUE = 1
} IocTri;

/* Dossier states as the national portal syncs them (SPEC §4). */
typedef enum
{
  IOC_DOSSIER_REGISTERED = 1,
  IOC_DOSSIER_RECEIVED = 2,
  IOC_DOSSIER_REFUSED = 3,
  IOC_DOSSIER_PROCESSING = 4,
  IOC_DOSSIER_SUPPLEMENT = 5,
  IOC_DOSSIER_AWAITING_FEE = 6,
  IOC_DOSSIER_WITHDRAWN = 7,
  IOC_DOSSIER_STOPPED = 8,
  IOC_DOSSIER_PROCESSED = 9,
  IOC_DOSSIER_RETURNED = 10
} IocDossierState;

typedef struct
{
  const gchar *camera;
  gboolean online;
  gboolean recording;
  gboolean has_recording;
  gdouble fps;          /* < 0 when absent */
  gdouble bitrate_kbps; /* < 0 when absent */
} IocCameraStatus;

/* One decoded, validated message.  Which fields are meaningful depends on
 * kind, msg_type and type; the others are zero / NULL / IOC_TRI_UNSET / -1. */
typedef struct
{
  /* From the topic ioc/v1/<province>/<unit>/<kind>/<device>/<msg_type>. */
  const gchar *province;
  const gchar *unit;   /* the code as published (may be a pre-2025 code) */
  const gchar *device;
  IocKind kind;
  IocMsgType msg_type;

  /* Envelope; state messages (plain online/offline) have none: v = seq = 0. */
  gint64 v;
  gint64 seq;
  const gchar *epoch; /* the connector's seq store generation; NULL when absent */
  gint64 ts_us; /* event time, µs since the epoch, UTC; state: arrival time */
  IocEventType type;

  /* Event fields. */
  const gchar *counter;
  const gchar *officer;
  const gchar *ticket;
  const gchar *dossier;
  const gchar *service;
  const gchar *priority;
  const gchar *camera;
  gdouble wait_s;    /* ticket.called; < 0 when absent */
  gdouble service_s; /* service.done; < 0 when absent */
  gint level;        /* rating */
  gint scale;        /* rating: 3 or 5 */
  const gchar *rating_channel; /* rating: device, qr, web */

  /* Dossier event fields. */
  const gchar *procedure;
  gint state;   /* IocDossierState */
  gint channel; /* 1 in person, 2 online, 3 postal */
  gint64 received_at_us;
  gint64 due_at_us; /* 0 when absent */
  gint supplements; /* -1 when absent */
  IocTri fee;
  IocTri paid_online;
  IocTri digitized;
  IocTri e_result;
  const gchar *applicant_commune;

  /* Status fields (-1 when absent; booleans as IocTri). */
  gint64 counters_open; /* desk */
  gint64 waiting;       /* desk */
  IocTri online;        /* kiosk status; state topic: online / offline */
  gint64 queue_length;  /* kiosk */
  IocTri paper_low;     /* kiosk */
  gint64 open;          /* portal */
  gint64 open_overdue;  /* portal */
  gint64 sync_lag_s;    /* portal */
  const gchar *config_version; /* any status: the connector's running config (extra field); NULL absent */
  guint n_cameras;      /* camera status: entries in cameras[] */
  IocCameraStatus cameras[IOC_MAX_CAMERAS];
} IocRecord;

/* Measurements of SPEC §6. */
typedef enum
{
  IOC_MEAS_DOSSIER = 0,
  IOC_MEAS_QUEUE,
  IOC_MEAS_RATING,
  IOC_MEAS_DEVICE,
  IOC_MEAS_COUNT
} IocMeasurement;

/* Integer counters of each measurement, in the order of SPEC §6. */
enum
{
  IOC_F_DOSSIER_RECEIVED = 0,
  IOC_F_DOSSIER_COMPLETED_EARLY,
  IOC_F_DOSSIER_COMPLETED_ONTIME,
  IOC_F_DOSSIER_COMPLETED_LATE,
  IOC_F_DOSSIER_OVERDUE_ENTERED,
  IOC_F_DOSSIER_OPEN,         /* gauge */
  IOC_F_DOSSIER_OPEN_OVERDUE, /* gauge */
  IOC_F_DOSSIER_N
};
enum
{
  IOC_F_QUEUE_ISSUED = 0,
  IOC_F_QUEUE_CALLED,
  IOC_F_QUEUE_SERVED,
  IOC_F_QUEUE_NO_SHOW,
  IOC_F_QUEUE_N
};
/* Sketches of ioc_queue: the float fields are percentiles of these. */
enum
{
  IOC_S_QUEUE_WAIT = 0,
  IOC_S_QUEUE_SERVICE,
  IOC_S_QUEUE_N
};
enum
{
  IOC_F_RATING_RATINGS = 0,
  IOC_F_RATING_SATISFIED,
  IOC_F_RATING_N
};
enum
{
  IOC_F_DEVICE_CAMERAS = 0, /* all device fields are gauges */
  IOC_F_DEVICE_CAMERAS_ONLINE,
  IOC_F_DEVICE_CAMERAS_RECORDING,
  IOC_F_DEVICE_KIOSKS,
  IOC_F_DEVICE_KIOSKS_ONLINE,
  IOC_F_DEVICE_CONNECTORS_EXPECTED,
  IOC_F_DEVICE_CONNECTORS_REPORTING,
  IOC_F_DEVICE_N
};
#define IOC_MAX_INT_FIELDS 8
#define IOC_MAX_SKETCHES 2

typedef enum
{
  IOC_FACT_COUNT = 0, /* add delta to an integer counter */
  IOC_FACT_GAUGE,     /* set an integer field to value (latest wins) */
  IOC_FACT_SAMPLE     /* add one sample to a sketch */
} IocFactKind;

/* One fact for the rollup: "in unit U at event time T, counter F of
 * measurement M went up by delta" (or a gauge value, or a duration sample). */
typedef struct
{
  IocMeasurement measurement;
  IocFactKind kind;
  guint field;       /* counter index, or sketch index for IOC_FACT_SAMPLE */
  const gchar *unit; /* interned registry code (ioc_intern) */
  guint8 channel;    /* 0: not split; 1..3 dossier channel */
  gint64 ts_us;      /* event time */
  gint64 delta;      /* COUNT: increment; GAUGE: value */
  gdouble sample;    /* SAMPLE: value (seconds) */
} IocFact;

typedef void (*IocFactFunc) (const IocFact *fact, gpointer user_data);

/* The float fields of ioc_queue (SPEC §5: wait and service time, median
 * and p90), in the order IocPoint holds them. */
#define IOC_QUEUE_N_FLOATS 4

/* One point of SPEC §6, ready for the line-protocol encoder. */
typedef struct
{
  IocMeasurement measurement;
  const gchar *unit; /* registry code, or "all" for the province */
  guint8 channel;    /* 0: no channel tag */
  gint64 ts_us;      /* start of the minute */
  gint64 ints[IOC_MAX_INT_FIELDS];
  gdouble floats[IOC_QUEUE_N_FLOATS]; /* ioc_queue: wait_p50_s, wait_p90_s, service_p50_s, service_p90_s */
  gboolean has_floats[IOC_QUEUE_N_FLOATS]; /* a percentile of an empty sketch is not written */
} IocPoint;

typedef void (*IocPointFunc) (const IocPoint *point, gpointer user_data);

/* Names as they appear in InfluxDB and the API. */
const gchar *ioc_measurement_name (IocMeasurement m);
guint        ioc_measurement_n_ints (IocMeasurement m);
const gchar *ioc_measurement_int_name (IocMeasurement m, guint field);
gboolean     ioc_measurement_int_is_gauge (IocMeasurement m, guint field);

/* Interned, process-lifetime strings for unit codes and other small keys,
 * so that stages can compare and hash them by pointer.  Main context only. */
const gchar *ioc_intern (const gchar *s);

G_END_DECLS
