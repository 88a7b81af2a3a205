/* ioc-keyfile.c — see ioc-keyfile.h.  Main context (config load and reload). */
#include "protocol/ioc-keyfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/ioc-error.h"

/* GKeyFile's syntax errors quote the line but not its number: find the first
 * line that is neither blank, a comment, a [group] nor key=value. */
static guint
bad_line (const gchar *data, gsize len)
{
  g_autofree gchar *copy = g_strndup (data, len);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const gchar *l = lines[i];
      while (*l == ' ' || *l == '\t')
        l++;
      if (*l == '\0' || *l == '#' || *l == '\r' || (*l == '[' && strchr (l, ']') != NULL) || strchr (l, '=') != NULL)
        continue;
      return i + 1;
    }
  return 0;
}

IocKeyFile *
ioc_keyfile_load_data (const gchar *path, const gchar *data, gsize len, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local = NULL;
  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, &local))
    {
      guint line = bad_line (data, len);
      if (line > 0)
        g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s:%u: %s", path, line, local->message);
      else
        g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: %s", path, local->message);
      return NULL;
    }
  IocKeyFile *self = g_new0 (IocKeyFile, 1);
  self->kf = g_steal_pointer (&kf);
  self->path = g_strdup (path);
  return self;
}

IocKeyFile *
ioc_keyfile_load (const gchar *path, GError **error)
{
  g_autofree gchar *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: cannot read: %s", path, local->message);
      return NULL;
    }
  return ioc_keyfile_load_data (path, data, len, error);
}

void
ioc_keyfile_free (IocKeyFile *self)
{
  if (self == NULL)
    return;
  g_key_file_free (self->kf);
  g_free (self->path);
  g_free (self);
}

/* The raw value with surrounding blanks and a trailing "# comment" removed;
 * NULL when absent. */
static gchar *
raw_value (IocKeyFile *self, const gchar *group, const gchar *key)
{
  g_autofree gchar *v = g_key_file_get_value (self->kf, group, key, NULL);
  if (v == NULL)
    return NULL;
  gchar *hash = strstr (v, " #");
  if (hash == NULL)
    hash = strstr (v, "\t#");
  if (hash != NULL)
    *hash = '\0';
  return g_strdup (g_strstrip (v));
}

static gboolean
bad_value (IocKeyFile *self, const gchar *group, const gchar *key, const gchar *expected,
           const gchar *got, GError **error)
{
  g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: expected %s, got '%s'", self->path,
               group, key, expected, got);
  return FALSE;
}

gchar *
ioc_keyfile_string (IocKeyFile *self, const gchar *group, const gchar *key, const gchar *def,
                    gboolean required, GError **error)
{
  g_autofree gchar *v = raw_value (self, group, key);
  if (v == NULL)
    {
      if (required)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: required key is missing",
                       self->path, group, key);
          return NULL;
        }
      return g_strdup (def);
    }
  /* GKeyFile escapes (\s, \n, \\) are honoured for strings. */
  g_autofree gchar *s = g_key_file_get_string (self->kf, group, key, NULL);
  if (s != NULL)
    {
      gchar *hash = strstr (s, " #");
      if (hash != NULL)
        *hash = '\0';
      return g_strdup (g_strstrip (s));
    }
  return g_steal_pointer (&v);
}

gboolean
ioc_keyfile_int (IocKeyFile *self, const gchar *group, const gchar *key, gint64 def, gint64 min,
                 gint64 max, gint64 *out, GError **error)
{
  g_autofree gchar *v = raw_value (self, group, key);
  if (v == NULL || v[0] == '\0')
    {
      *out = def;
      return TRUE;
    }
  gchar *end = NULL;
  errno = 0;
  gint64 n = g_ascii_strtoll (v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
    {
      g_autofree gchar *expected = g_strdup_printf ("an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, min, max);
      return bad_value (self, group, key, expected, v, error);
    }
  *out = n;
  return TRUE;
}

gboolean
ioc_keyfile_double (IocKeyFile *self, const gchar *group, const gchar *key, gdouble def,
                    gdouble min, gdouble max, gdouble *out, GError **error)
{
  g_autofree gchar *v = raw_value (self, group, key);
  if (v == NULL || v[0] == '\0')
    {
      *out = def;
      return TRUE;
    }
  gchar *end = NULL;
  errno = 0;
  gdouble d = g_ascii_strtod (v, &end);
  if (errno != 0 || end == v || *end != '\0' || !(d >= min && d <= max))
    {
      g_autofree gchar *expected = g_strdup_printf ("a number from %g to %g", min, max);
      return bad_value (self, group, key, expected, v, error);
    }
  *out = d;
  return TRUE;
}

gboolean
ioc_keyfile_bool (IocKeyFile *self, const gchar *group, const gchar *key, gboolean def,
                  gboolean *out, GError **error)
{
  g_autofree gchar *v = raw_value (self, group, key);
  if (v == NULL || v[0] == '\0')
    {
      *out = def;
      return TRUE;
    }
  if (g_ascii_strcasecmp (v, "true") == 0 || g_ascii_strcasecmp (v, "yes") == 0 || strcmp (v, "1") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (v, "false") == 0 || g_ascii_strcasecmp (v, "no") == 0 || strcmp (v, "0") == 0)
    *out = FALSE;
  else
    return bad_value (self, group, key, "true or false", v, error);
  return TRUE;
}

gboolean
ioc_parse_duration (const gchar *text, gint64 *out_us)
{
  gchar *end = NULL;
  errno = 0;
  gdouble n = g_ascii_strtod (text, &end);
  if (errno != 0 || end == text || n < 0)
    return FALSE;
  gdouble mult;
  if (*end == '\0' || strcmp (end, "s") == 0)
    mult = G_USEC_PER_SEC;
  else if (strcmp (end, "ms") == 0)
    mult = 1000;
  else if (strcmp (end, "m") == 0 || strcmp (end, "min") == 0)
    mult = 60.0 * G_USEC_PER_SEC;
  else if (strcmp (end, "h") == 0)
    mult = 3600.0 * G_USEC_PER_SEC;
  else if (strcmp (end, "d") == 0)
    mult = 86400.0 * G_USEC_PER_SEC;
  else
    return FALSE;
  gdouble us = n * mult;
  if (us > (gdouble) G_MAXINT64 / 2)
    return FALSE;
  *out_us = (gint64) us;
  return TRUE;
}

gboolean
ioc_keyfile_duration (IocKeyFile *self, const gchar *group, const gchar *key, gint64 def_us,
                      gint64 min_us, gint64 max_us, gint64 *out_us, GError **error)
{
  g_autofree gchar *v = raw_value (self, group, key);
  if (v == NULL || v[0] == '\0')
    {
      *out_us = def_us;
      return TRUE;
    }
  gint64 us;
  if (!ioc_parse_duration (v, &us) || us < min_us || us > max_us)
    {
      g_autofree gchar *expected = g_strdup_printf (
          "a duration from %gs to %gs (e.g. 500ms, 10s, 5m, 2h)", (gdouble) min_us / G_USEC_PER_SEC,
          (gdouble) max_us / G_USEC_PER_SEC);
      return bad_value (self, group, key, expected, v, error);
    }
  *out_us = us;
  return TRUE;
}

gboolean
ioc_parse_size (const gchar *text, guint64 *out)
{
  gchar *end = NULL;
  errno = 0;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  if (errno != 0 || end == text)
    return FALSE;
  guint64 mult;
  if (*end == '\0' || strcmp (end, "B") == 0)
    mult = 1;
  else if (strcmp (end, "KiB") == 0 || strcmp (end, "K") == 0)
    mult = 1024;
  else if (strcmp (end, "MiB") == 0 || strcmp (end, "M") == 0)
    mult = 1024 * 1024;
  else if (strcmp (end, "GiB") == 0 || strcmp (end, "G") == 0)
    mult = 1024ull * 1024 * 1024;
  else
    return FALSE;
  if (n > G_MAXUINT64 / mult)
    return FALSE;
  *out = n * mult;
  return TRUE;
}

gboolean
ioc_keyfile_size (IocKeyFile *self, const gchar *group, const gchar *key, guint64 def, guint64 min,
                  guint64 max, guint64 *out, GError **error)
{
  g_autofree gchar *v = raw_value (self, group, key);
  if (v == NULL || v[0] == '\0')
    {
      *out = def;
      return TRUE;
    }
  guint64 n;
  if (!ioc_parse_size (v, &n) || n < min || n > max)
    {
      g_autofree gchar *expected = g_strdup_printf ("a size from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " bytes (e.g. 64KiB, 512MiB, 2GiB)", min, max);
      return bad_value (self, group, key, expected, v, error);
    }
  *out = n;
  return TRUE;
}

gboolean
ioc_keyfile_check_keys (IocKeyFile *self, const gchar *group, const gchar *const *known,
                        GError **error)
{
  if (!g_key_file_has_group (self->kf, group))
    return TRUE;
  g_auto (GStrv) keys = g_key_file_get_keys (self->kf, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (!g_strv_contains (known, keys[i]))
      {
        g_autofree gchar *list = g_strjoinv (", ", (gchar **) known);
        g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: unknown key (known keys: %s)",
                     self->path, group, keys[i], list);
        return FALSE;
      }
  return TRUE;
}
