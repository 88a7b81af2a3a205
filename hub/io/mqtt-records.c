/* mqtt-records.c — the record file of what the broker holds for each
 * session: written whenever a SUBSCRIBE or UNSUBSCRIBE completes, read at
 * start, so that a restart subscribes only what the broker lacks and
 * unsubscribes what the configuration dropped (a persistent session keeps
 * its subscriptions across the hub's restarts).  Main context. */
#include "io/mqtt-client-private.h"
#include "protocol/ioc-keys.h"

#include <string.h>

void
ioc_mqtt_record_write (Session *s)
{
  if (s->record_path == NULL)
    return;
  g_autoptr (GPtrArray) sorted = ioc_keys_sorted (s->held);
  g_autoptr (GString) text = g_string_new (NULL);
  g_string_append_printf (text, "# MQTT topic filters session %s is subscribed to (written by iochub)\n", s->client_id);
  for (guint i = 0; i < sorted->len; i++)
    g_string_append_printf (text, "%s\n", (const gchar *) sorted->pdata[i]);
  g_autoptr (GError) error = NULL;
  if (!g_file_set_contents (s->record_path, text->str, (gssize) text->len, &error))
    g_warning ("mqtt: %s", error->message);
}

gchar *
ioc_mqtt_record_path_for (const gchar *path, guint index)
{
  if (index == 0)
    return g_strdup (path);
  const gchar *base = strrchr (path, '/');
  const gchar *dot = strrchr (base ? base : path, '.');
  if (dot == NULL)
    return g_strdup_printf ("%s-%u", path, index);
  return g_strdup_printf ("%.*s-%u%s", (int) (dot - path), path, index, dot);
}

void
ioc_mqtt_record_read (Session *s)
{
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (s->record_path, &text, NULL, NULL))
    return; /* first start: nothing subscribed before */
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const gchar *line = g_strstrip (lines[i]);
      if (line[0] != '\0' && line[0] != '#')
        g_hash_table_add (s->held, g_strdup (line));
    }
}
