/* alert-store.c — persists the alert engine (see alert-store.h).
 *
 * The file is the engine's own JSON (ioc_alert_engine_save); it is not part
 * of the hub snapshot, so the alert engine needs no snapshot section and
 * can be saved on its own rhythm: right after an operator's ack or silence,
 * and within seconds of any other change.  Main context. */
#include "alerts/alert-store.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "protocol/ioc-error.h"

gboolean
ioc_alert_store_load (IocAlertEngine *engine, const gchar *path, GError **error)
{
  g_autofree gchar *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: cannot read: %s", path, local->message);
      return FALSE;
    }
  if (!ioc_alert_engine_load (engine, data, len, &local))
    {
      /* Keep the evidence, start clean: alerts are re-derived from the data. */
      g_autofree gchar *aside = g_strconcat (path, ".corrupt", NULL);
      (void) g_rename (path, aside);
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "%s: %s (moved to %s)", path, local->message, aside);
      return FALSE;
    }
  return TRUE;
}

gboolean
ioc_alert_store_save (IocAlertEngine *engine, const gchar *path, GError **error)
{
  g_autofree gchar *data = ioc_alert_engine_save (engine);
  g_autoptr (GError) local = NULL;
  /* CONSISTENT|DURABLE: write a temp file, fsync it, rename over the old one. */
  if (!g_file_set_contents_full (path, data, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600,
                                 &local))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: cannot write: %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}
