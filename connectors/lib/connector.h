/* connector.h — IocConnector, what every connector kind shares: seq,
 * envelope, disk buffer, publishing, status heartbeat, clean shutdown.
 * A kind is an IocConnectorKind vtable in one file under kinds/.
 *
 * Threads: everything here runs on the main loop (the thread that runs the
 * default GMainContext).  Kinds call ioc_connector_emit() and
 * ioc_connector_commit() from their main-loop callbacks only. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "lib/connector-config.h"

G_BEGIN_DECLS

typedef struct _IocConnector IocConnector;

typedef struct
{
  const gchar *name;
  IocKind kind;
  /* Reads and checks the kind's group; (transfer full) state.  Must not
   * start anything: --check calls it too. */
  gpointer (*configure) (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group,
                         GError **error);
  /* Starts listeners etc.; NULL if none. */
  gboolean (*start) (IocConnector *conn, gpointer state, GError **error);
  /* Called every [connector] poll_interval; NULL if the kind does not poll. */
  void (*poll) (IocConnector *conn, gpointer state);
  /* Adds the kind's SPEC status fields (retained, at least every 60 s). */
  void (*status) (IocConnector *conn, gpointer state, JsonObject *fields);
  void (*free) (gpointer state);
} IocConnectorKind;

IocConnector *ioc_connector_new (IocConnectorConfig *cfg, const IocConnectorKind *kind,
                                 GError **error); /* takes cfg */
gboolean      ioc_connector_start (IocConnector *self, GError **error);
/* SIGTERM path: stops the kind, makes everything durable, waits up to
 * timeout_ms for the broker to acknowledge what is buffered, publishes the
 * offline state and DISCONNECTs.  TRUE when nothing was left unacknowledged. */
gboolean      ioc_connector_stop (IocConnector *self, guint timeout_ms);
void          ioc_connector_free (IocConnector *self);

/* Queues one event (SPEC §4) for unit (NULL: the site's unit).  fields
 * holds the type's fields; they are checked first.  FALSE (nothing queued,
 * no seq used) when they are not valid: the caller counts it as a reject. */
gboolean ioc_connector_emit (IocConnector *self, const gchar *unit, const gchar *type,
                             gint64 ts_us, JsonObject *fields, GError **error);
/* Makes every emit so far durable together with the source cursor (NULL:
 * unchanged).  Call it after a batch, before acknowledging the source. */
gboolean ioc_connector_commit (IocConnector *self, const gchar *cursor, GError **error);
/* The cursor saved with the last commit (NULL: start from the beginning). */
const gchar *ioc_connector_cursor (IocConnector *self);
/* Publishes the status now (e.g. after a camera changed state). */
void     ioc_connector_status_now (IocConnector *self);
/* Counts and logs (rate-limited) source data that was refused. */
void     ioc_connector_reject (IocConnector *self, const gchar *what, const gchar *detail);

const IocConnectorConfig *ioc_connector_config (IocConnector *self);
guint64 ioc_connector_rejects (IocConnector *self);
guint   ioc_connector_buffered (IocConnector *self);

/* --check: loads the file, finds the kind, runs its configure. */
gboolean ioc_connector_check (const gchar *path, const IocConnectorKind *const *kinds,
                              GError **error);
/* The same on a file's text (data: NUL-terminated; path names it in
 * errors): what `iocctl push-config` runs on the bytes it publishes. */
gboolean ioc_connector_check_data (const gchar *path, const gchar *data,
                                   const IocConnectorKind *const *kinds, GError **error);
const IocConnectorKind *ioc_connector_find_kind (const IocConnectorKind *const *kinds,
                                                 const gchar *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocConnector, ioc_connector_free)

G_END_DECLS
