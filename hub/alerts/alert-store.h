/* alert-store.h — the alert engine's state on disk: one JSON file in the
 * hub's state_dir (alerts, acks, silences, flap history, baselines), written
 * atomically (temp file, fsync, rename) so that a SIGKILL leaves either the
 * old or the new file.  Main context. */
#pragma once

#include <glib.h>

#include "alerts/alert-engine.h"

G_BEGIN_DECLS

#define IOC_ALERT_STORE_FILE "alerts.json"

/* A missing file is not an error (first start).  A corrupt one is moved
 * aside to FILE.corrupt and reported in *error; the engine starts empty. */
gboolean ioc_alert_store_load (IocAlertEngine *engine, const gchar *path, GError **error);
gboolean ioc_alert_store_save (IocAlertEngine *engine, const gchar *path, GError **error);

G_END_DECLS
