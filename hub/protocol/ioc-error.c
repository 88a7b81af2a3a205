/* ioc-error.c — the IOC_ERROR domain and reject-reason names. */
#include "protocol/ioc-error.h"

G_DEFINE_QUARK (ioc-error-quark, ioc_error)

gboolean
ioc_io_error (GError **error, int errsv, const gchar *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree gchar *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: %s", what, g_strerror (errsv));
  return FALSE;
}

static const gchar *const reject_names[IOC_REJECT_COUNT] = {
  [IOC_REJECT_NONE] = "none",
  [IOC_REJECT_TOO_LARGE] = "too_large",
  [IOC_REJECT_BAD_TOPIC] = "bad_topic",
  [IOC_REJECT_WRONG_PROVINCE] = "wrong_province",
  [IOC_REJECT_UNKNOWN_KIND] = "unknown_kind",
  [IOC_REJECT_UNKNOWN_UNIT] = "unknown_unit",
  [IOC_REJECT_BAD_UTF8] = "bad_utf8",
  [IOC_REJECT_BAD_JSON] = "bad_json",
  [IOC_REJECT_BAD_VERSION] = "bad_version",
  [IOC_REJECT_MISSING_FIELD] = "missing_field",
  [IOC_REJECT_WRONG_TYPE] = "wrong_type",
  [IOC_REJECT_OUT_OF_RANGE] = "out_of_range",
  [IOC_REJECT_UNKNOWN_TYPE] = "unknown_type",
  [IOC_REJECT_BAD_TIME] = "bad_time",
  [IOC_REJECT_FUTURE_TS] = "future_ts",
  [IOC_REJECT_BAD_STATE] = "bad_state",
  [IOC_REJECT_SEQ_JUMP] = "seq_jump",
  [IOC_REJECT_TRANSITION] = "transition",
  [IOC_REJECT_TOO_MANY_DEVICES] = "too_many_devices",
  [IOC_REJECT_TOO_LATE] = "too_late",
};

const gchar *
ioc_reject_name (IocReject reason)
{
  g_return_val_if_fail (reason < IOC_REJECT_COUNT, "invalid");
  return reject_names[reason];
}
