/* ioc-error.h — the one GError domain of iochub, and the reasons a message
 * is rejected (dead-lettered).  Reject reasons are data, not GErrors: their
 * names are stable because they appear in dead-letter topics and metrics. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IOC_ERROR (ioc_error_quark ())
GQuark ioc_error_quark (void);

typedef enum
{
  IOC_ERROR_FAILED,
  IOC_ERROR_CONFIG,  /* a config or reference file is wrong */
  IOC_ERROR_IO,      /* a file or socket operation failed */
  IOC_ERROR_CORRUPT, /* a journal, snapshot or spool file fails its checks */
  IOC_ERROR_HTTP,    /* a remote HTTP peer failed or refused */
} IocErrorCode;

/* A failed system call as an IOC_ERROR_IO error, "<fmt…>: <strerror>", and
 * FALSE, so that it is one line: return ioc_io_error (error, errno, "create
 * %s", path).  errsv is errno as the call left it: save it first when a
 * close() or unlink() runs before, or when another argument calls out. */
gboolean ioc_io_error (GError **error, int errsv, const gchar *fmt, ...) G_GNUC_PRINTF (3, 4);

/* Why a message was dead-lettered (SPEC §4).  Append only; never renumber. */
typedef enum
{
  IOC_REJECT_NONE = 0,
  IOC_REJECT_TOO_LARGE,     /* payload over 16 KiB */
  IOC_REJECT_BAD_TOPIC,     /* topic not ioc/v1/<province>/<unit>/<kind>/<device>/<type> */
  IOC_REJECT_WRONG_PROVINCE, /* topic names another province */
  IOC_REJECT_UNKNOWN_KIND,  /* <kind> not desk/kiosk/camera/portal */
  IOC_REJECT_UNKNOWN_UNIT,  /* <unit> not in the registry at the event time */
  IOC_REJECT_BAD_UTF8,      /* payload is not valid UTF-8 */
  IOC_REJECT_BAD_JSON,      /* payload is not a JSON object */
  IOC_REJECT_BAD_VERSION,   /* v is not a supported schema version */
  IOC_REJECT_MISSING_FIELD, /* a required field is absent */
  IOC_REJECT_WRONG_TYPE,    /* a field has the wrong JSON type */
  IOC_REJECT_OUT_OF_RANGE,  /* a value outside its range (level > scale, state 11, seq 0 …) */
  IOC_REJECT_UNKNOWN_TYPE,  /* event type unknown, or not one of this kind's */
  IOC_REJECT_BAD_TIME,      /* a time field is neither RFC 3339 with offset nor epoch ms */
  IOC_REJECT_FUTURE_TS,     /* ts more than 5 minutes ahead of the hub's clock */
  IOC_REJECT_BAD_STATE,     /* state topic payload is not online/offline */
  IOC_REJECT_SEQ_JUMP,      /* seq more than 1,000,000 above the device's highest in its epoch */
  IOC_REJECT_TRANSITION,    /* a completed dossier (state 10) sent back to an earlier state later */
  IOC_REJECT_TOO_MANY_DEVICES, /* a new device past [hub] max_devices_per_unit of its (unit, kind) */
  IOC_REJECT_TOO_LATE,      /* an event dated before [windows] rewrite_back (arrival time) */
  IOC_REJECT_COUNT
} IocReject;

/* Stable snake_case name, as used in ioc/v1/<p>/deadletter/<reason>. */
const gchar *ioc_reject_name (IocReject reason);

G_END_DECLS
