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

/* The line of every group header and key, read the way GKeyFile reads them:
 * leading blanks skipped, a header runs to the last ']', a key to the first
 * '=' less trailing blanks.  Groups: the first header; keys: the last line. */
typedef struct
{
  guint line, first;
  gchar *group, *key; /* key NULL: the group header */
} Repeat;

static void
repeat_free (gpointer p)
{
  Repeat *r = p;
  g_free (r->group);
  g_free (r->key);
  g_free (r);
}

static void
add_repeat (GPtrArray *repeats, guint line, guint first, const gchar *group, const gchar *key)
{
  Repeat *r = g_new0 (Repeat, 1);
  r->line = line;
  r->first = first;
  r->group = g_strdup (group);
  r->key = g_strdup (key);
  g_ptr_array_add (repeats, r);
}

static GHashTable *
index_lines (const gchar *data, gsize len, GPtrArray *repeats)
{
  GHashTable *lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) first_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree gchar *copy = g_strndup (data, len);
  g_auto (GStrv) text = g_strsplit (copy, "\n", -1);
  g_autofree gchar *group = NULL;
  for (guint i = 0; text[i] != NULL; i++)
    {
      gchar *l = g_strchug (text[i]);
      gsize n = strlen (l);
      while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
        l[--n] = '\0';
      if (n == 0 || l[0] == '#')
        continue;
      if (l[0] == '[')
        {
          gchar *close = strrchr (l, ']');
          if (close == NULL)
            continue;
          g_free (group);
          group = g_strndup (l + 1, (gsize) (close - l - 1));
          guint first = GPOINTER_TO_UINT (g_hash_table_lookup (lines, group));
          if (first == 0)
            g_hash_table_insert (lines, g_strdup (group), GUINT_TO_POINTER (i + 1));
          else
            add_repeat (repeats, i + 1, first, group, NULL);
          continue;
        }
      gchar *eq = strchr (l, '=');
      if (eq == NULL || group == NULL)
        continue;
      gsize klen = (gsize) (eq - l);
      while (klen > 0 && (l[klen - 1] == ' ' || l[klen - 1] == '\t'))
        klen--;
      g_autofree gchar *key = g_strndup (l, klen);
      gchar *k = g_strconcat (group, "\n", key, NULL);
      guint first = GPOINTER_TO_UINT (g_hash_table_lookup (first_key, k));
      if (first != 0)
        add_repeat (repeats, i + 1, first, group, key);
      else
        g_hash_table_insert (first_key, g_strdup (k), GUINT_TO_POINTER (i + 1));
      g_hash_table_replace (lines, k, GUINT_TO_POINTER (i + 1));
    }
  return lines;
}

IocKeyFile *
ioc_keyfile_load_data (const gchar *path, const gchar *data, gsize len, GError **error)
{
  /* GKeyFile takes any bytes in a value, and GLib's string functions
   * assume UTF-8 (g_pattern_match_simple aborted on a unit pattern with a
   * broken sequence: fuzz-alert-rules, tests/fuzz/long.sh). */
  const gchar *bad = NULL;
  if (!g_utf8_validate_len (data, len, &bad))
    {
      guint line = 1, column = 1;
      for (const gchar *p = data; p < bad; p++)
        {
          /* characters, as an editor counts them: what precedes is UTF-8 */
          column = *p == '\n' ? 1 : column + ((*p & 0xC0) != 0x80);
          line += *p == '\n';
        }
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s:%u: not UTF-8 text (byte 0x%02x at column %u); save the file as UTF-8", path, line,
                   (guint) (guchar) *bad, column);
      return NULL;
    }
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
  self->repeats = g_ptr_array_new_with_free_func (repeat_free);
  self->lines = index_lines (data, len, self->repeats);
  return self;
}

gchar *
ioc_keyfile_read (const gchar *path, gsize *len, GError **error)
{
  g_autoptr (GError) local = NULL;
  gchar *data = NULL;
  if (!g_file_get_contents (path, &data, len, &local))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: cannot read: %s", path, local->message);
      return NULL;
    }
  return data;
}

IocKeyFile *
ioc_keyfile_load (const gchar *path, GError **error)
{
  gsize len = 0;
  g_autofree gchar *data = ioc_keyfile_read (path, &len, error);
  if (data == NULL)
    return NULL;
  return ioc_keyfile_load_data (path, data, len, error);
}

void
ioc_keyfile_free (IocKeyFile *self)
{
  if (self == NULL)
    return;
  g_key_file_free (self->kf);
  g_free (self->path);
  if (self->lines != NULL)
    g_hash_table_unref (self->lines);
  if (self->problems != NULL)
    g_ptr_array_unref (self->problems);
  if (self->repeats != NULL)
    g_ptr_array_unref (self->repeats);
  g_free (self);
}

guint
ioc_keyfile_group_line (IocKeyFile *self, const gchar *group)
{
  g_return_val_if_fail (self != NULL && group != NULL, 0);
  if (self->lines == NULL)
    return 0;
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->lines, group));
}

guint
ioc_keyfile_key_line (IocKeyFile *self, const gchar *group, const gchar *key)
{
  g_return_val_if_fail (self != NULL && group != NULL && key != NULL, 0);
  if (self->lines == NULL)
    return 0;
  g_autofree gchar *k = g_strconcat (group, "\n", key, NULL);
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->lines, k));
}

gchar *
ioc_keyfile_one_line (const gchar *text)
{
  GString *out = g_string_sized_new (strlen (text));
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    if (*p == '\n')
      g_string_append (out, "\\n");
    else if (*p == '\r')
      g_string_append (out, "\\r");
    else if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
      g_string_append_printf (out, "\\x%02x", *p);
    else
      g_string_append_c (out, (gchar) *p);
  return g_string_free (out, FALSE);
}

/* Takes line; one problem is one line whatever the values it quotes. */
static void
add_problem (IocKeyFile *self, gchar *line)
{
  if (strpbrk (line, "\n\r") != NULL)
    {
      gchar *flat = ioc_keyfile_one_line (line);
      g_free (line);
      line = flat;
    }
  if (self->problems == NULL)
    self->problems = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->problems, line);
}

static gchar *
where (IocKeyFile *self, guint line)
{
  return line > 0 ? g_strdup_printf ("%s:%u", self->path, line) : g_strdup (self->path);
}

void
ioc_keyfile_problem (IocKeyFile *self, const gchar *group, const gchar *key, const gchar *format, ...)
{
  g_return_if_fail (self != NULL && format != NULL);
  va_list ap;
  va_start (ap, format);
  g_autofree gchar *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  guint line = 0;
  if (group != NULL && key != NULL)
    line = ioc_keyfile_key_line (self, group, key);
  if (group != NULL && line == 0)
    line = ioc_keyfile_group_line (self, group);
  g_autofree gchar *at = where (self, line);
  if (group == NULL)
    add_problem (self, g_strdup_printf ("%s: %s", at, msg));
  else if (key == NULL)
    add_problem (self, g_strdup_printf ("%s: [%s]: %s", at, group, msg));
  else
    add_problem (self, g_strdup_printf ("%s: [%s] %s: %s", at, group, key, msg));
}

void
ioc_keyfile_problem_at (IocKeyFile *self, guint line_hint, const gchar *format, ...)
{
  g_return_if_fail (self != NULL && format != NULL);
  va_list ap;
  va_start (ap, format);
  g_autofree gchar *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_autofree gchar *at = where (self, line_hint);
  add_problem (self, g_strdup_printf ("%s: %s", at, msg));
}

guint
ioc_keyfile_n_problems (IocKeyFile *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->problems != NULL ? self->problems->len : 0;
}

gboolean
ioc_keyfile_problems_error (IocKeyFile *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (ioc_keyfile_n_problems (self) == 0)
    return TRUE;
  g_autoptr (GString) all = g_string_new (NULL);
  for (guint i = 0; i < self->problems->len; i++)
    {
      if (i > 0)
        g_string_append_c (all, '\n');
      g_string_append (all, g_ptr_array_index (self->problems, i));
    }
  g_set_error_literal (error, IOC_ERROR, IOC_ERROR_CONFIG, all->str);
  return FALSE;
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

/* The value set for group.key, or NULL when the key is absent or set to
 * nothing: the typed getters then keep their default. */
static gchar *
set_value (IocKeyFile *self, const gchar *group, const gchar *key)
{
  gchar *v = raw_value (self, group, key);
  if (v != NULL && v[0] == '\0')
    g_clear_pointer (&v, g_free);
  return v;
}

/* A bad value: a GError (collect FALSE) or a recorded problem (collect TRUE),
 * "expected <what fmt says>, got '<got>'". */
static G_GNUC_PRINTF (7, 8) gboolean
bad_value (IocKeyFile *self, gboolean collect, const gchar *group, const gchar *key, const gchar *got,
           GError **error, const gchar *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree gchar *expected = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autofree gchar *quoted = ioc_keyfile_one_line (got);
  if (collect)
    ioc_keyfile_problem (self, group, key, "expected %s, got '%s'", expected, quoted);
  else
    {
      g_autofree gchar *at = where (self, ioc_keyfile_key_line (self, group, key));
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: expected %s, got '%s'", at, group, key,
                   expected, quoted);
    }
  return FALSE;
}

static gchar *
get_string (IocKeyFile *self, gboolean collect, const gchar *group, const gchar *key, const gchar *def,
            gboolean required, GError **error)
{
  g_autofree gchar *v = raw_value (self, group, key);
  if (v == NULL)
    {
      if (required)
        {
          if (collect)
            ioc_keyfile_problem (self, group, key, "required key is missing");
          else
            g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: required key is missing",
                         self->path, group, key);
          return NULL;
        }
      return g_strdup (def);
    }
  /* GKeyFile escapes (\s, \n, \\) are honoured for strings. */
  g_autofree gchar *s = g_key_file_get_string (self->kf, group, key, NULL);
  gchar *value = NULL;
  if (s != NULL)
    {
      gchar *hash = s[0] == '#' ? s : strstr (s, " #"); /* "key = # why" is empty */
      if (hash != NULL)
        *hash = '\0';
      value = g_strdup (g_strstrip (s));
    }
  else
    value = g_steal_pointer (&v);
  /* "state_dir =" (or a value that is only a comment, or starts with a NUL
   * byte) is no state_dir: a required key needs a value.  (Collecting
   * callers parse the value further and say what it should have been.) */
  if (required && !collect && value[0] == '\0')
    {
      g_free (value);
      g_autofree gchar *at = where (self, ioc_keyfile_key_line (self, group, key));
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: expected a value, got nothing", at, group, key);
      return NULL;
    }
  return value;
}

gchar *
ioc_keyfile_string (IocKeyFile *self, const gchar *group, const gchar *key, const gchar *def,
                    gboolean required, GError **error)
{
  return get_string (self, FALSE, group, key, def, required, error);
}

gchar *
ioc_keyfile_collect_string (IocKeyFile *self, const gchar *group, const gchar *key, const gchar *def,
                            gboolean required)
{
  return get_string (self, TRUE, group, key, def, required, NULL);
}

static gboolean
get_int (IocKeyFile *self, gboolean collect, const gchar *group, const gchar *key, gint64 def, gint64 min,
         gint64 max, gint64 *out, GError **error)
{
  *out = def;
  g_autofree gchar *v = set_value (self, group, key);
  if (v == NULL)
    return TRUE;
  gchar *end = NULL;
  errno = 0;
  gint64 n = g_ascii_strtoll (v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
    return bad_value (self, collect, group, key, v, error,
                      "an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, min, max);
  *out = n;
  return TRUE;
}

gboolean
ioc_keyfile_int (IocKeyFile *self, const gchar *group, const gchar *key, gint64 def, gint64 min,
                 gint64 max, gint64 *out, GError **error)
{
  return get_int (self, FALSE, group, key, def, min, max, out, error);
}

gboolean
ioc_keyfile_collect_int (IocKeyFile *self, const gchar *group, const gchar *key, gint64 def, gint64 min,
                         gint64 max, gint64 *out)
{
  return get_int (self, TRUE, group, key, def, min, max, out, NULL);
}

static gboolean
get_double (IocKeyFile *self, gboolean collect, const gchar *group, const gchar *key, gdouble def,
            gdouble min, gdouble max, gdouble *out, GError **error)
{
  *out = def;
  g_autofree gchar *v = set_value (self, group, key);
  if (v == NULL)
    return TRUE;
  gchar *end = NULL;
  errno = 0;
  gdouble d = g_ascii_strtod (v, &end);
  if (errno != 0 || end == v || *end != '\0' || !(d >= min && d <= max))
    return bad_value (self, collect, group, key, v, error, "a number from %g to %g", min, max);
  *out = d;
  return TRUE;
}

gboolean
ioc_keyfile_double (IocKeyFile *self, const gchar *group, const gchar *key, gdouble def,
                    gdouble min, gdouble max, gdouble *out, GError **error)
{
  return get_double (self, FALSE, group, key, def, min, max, out, error);
}

gboolean
ioc_keyfile_collect_double (IocKeyFile *self, const gchar *group, const gchar *key, gdouble def,
                            gdouble min, gdouble max, gdouble *out)
{
  return get_double (self, TRUE, group, key, def, min, max, out, NULL);
}

static gboolean
get_bool (IocKeyFile *self, gboolean collect, const gchar *group, const gchar *key, gboolean def,
          gboolean *out, GError **error)
{
  *out = def;
  g_autofree gchar *v = set_value (self, group, key);
  if (v == NULL)
    return TRUE;
  if (g_ascii_strcasecmp (v, "true") == 0 || g_ascii_strcasecmp (v, "yes") == 0 || strcmp (v, "1") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (v, "false") == 0 || g_ascii_strcasecmp (v, "no") == 0 || strcmp (v, "0") == 0)
    *out = FALSE;
  else
    return bad_value (self, collect, group, key, v, error, "true or false");
  return TRUE;
}

gboolean
ioc_keyfile_bool (IocKeyFile *self, const gchar *group, const gchar *key, gboolean def,
                  gboolean *out, GError **error)
{
  return get_bool (self, FALSE, group, key, def, out, error);
}

gboolean
ioc_keyfile_collect_bool (IocKeyFile *self, const gchar *group, const gchar *key, gboolean def,
                          gboolean *out)
{
  return get_bool (self, TRUE, group, key, def, out, NULL);
}

gboolean
ioc_parse_duration (const gchar *text, gint64 *out_us)
{
  gchar *end = NULL;
  errno = 0;
  gdouble n = g_ascii_strtod (text, &end);
  if (errno != 0 || end == text || !(n >= 0)) /* NaN ("nan") compares false: refused too */
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

static gboolean
get_duration (IocKeyFile *self, gboolean collect, const gchar *group, const gchar *key, gint64 def_us,
              gint64 min_us, gint64 max_us, gint64 *out_us, GError **error)
{
  *out_us = def_us;
  g_autofree gchar *v = set_value (self, group, key);
  if (v == NULL)
    return TRUE;
  gint64 us;
  if (!ioc_parse_duration (v, &us) || us < min_us || us > max_us)
    return bad_value (self, collect, group, key, v, error, "a duration from %gs to %gs (e.g. 500ms, 10s, 5m, 2h)",
                      (gdouble) min_us / G_USEC_PER_SEC, (gdouble) max_us / G_USEC_PER_SEC);
  *out_us = us;
  return TRUE;
}

gboolean
ioc_keyfile_duration (IocKeyFile *self, const gchar *group, const gchar *key, gint64 def_us,
                      gint64 min_us, gint64 max_us, gint64 *out_us, GError **error)
{
  return get_duration (self, FALSE, group, key, def_us, min_us, max_us, out_us, error);
}

gboolean
ioc_keyfile_collect_duration (IocKeyFile *self, const gchar *group, const gchar *key, gint64 def_us,
                              gint64 min_us, gint64 max_us, gint64 *out_us)
{
  return get_duration (self, TRUE, group, key, def_us, min_us, max_us, out_us, NULL);
}

gboolean
ioc_parse_url (const gchar *text, const gchar *const *schemes)
{
  g_autofree gchar *scheme = NULL, *host = NULL;
  gint port = -1;
  if (text == NULL || !g_uri_split_network (text, G_URI_FLAGS_NONE, &scheme, &host, &port, NULL))
    return FALSE;
  if (scheme == NULL || !g_strv_contains (schemes, scheme) || host == NULL || *host == '\0')
    return FALSE;
  return port == -1 || (port >= 1 && port <= 65535);
}

gchar *
ioc_keyfile_url (IocKeyFile *self, const gchar *group, const gchar *key, const gchar *def,
                 const gchar *const *schemes, GError **error)
{
  gchar *v = get_string (self, FALSE, group, key, def, FALSE, error);
  if (v == NULL || (*v == '\0' && def != NULL && *def == '\0') || ioc_parse_url (v, schemes))
    return v;
  g_autoptr (GString) expected = g_string_new ("a URL ");
  for (guint i = 0; schemes[i] != NULL; i++)
    g_string_append_printf (expected, "%s%s://HOST:PORT", i == 0 ? "" : schemes[i + 1] == NULL ? " or " : ", ",
                            schemes[i]);
  g_string_append (expected, " with PORT a number in 1-65535");
  bad_value (self, FALSE, group, key, v, error, "%s", expected->str);
  g_free (v);
  return NULL;
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
  g_autofree gchar *v = set_value (self, group, key);
  if (v == NULL)
    {
      *out = def;
      return TRUE;
    }
  guint64 n;
  if (!ioc_parse_size (v, &n) || n < min || n > max)
    return bad_value (self, FALSE, group, key, v, error,
                      "a size from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " bytes (e.g. 64KiB, 512MiB, 2GiB)",
                      min, max);
  *out = n;
  return TRUE;
}

/* Optimal string alignment distance, ASCII case folded; bytes otherwise. */
guint
ioc_edit_distance (const gchar *a, const gchar *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, G_MAXUINT);
  gsize n = strlen (a), m = strlen (b);
  if (n > 256 || m > 256)
    return (guint) MAX (n, m); /* not a typo of a key name */
  g_autofree guint *d = g_new (guint, (n + 1) * (m + 1));
#define D(i, j) d[(i) * (m + 1) + (j)]
  for (gsize i = 0; i <= n; i++)
    D (i, 0) = (guint) i;
  for (gsize j = 0; j <= m; j++)
    D (0, j) = (guint) j;
  for (gsize i = 1; i <= n; i++)
    for (gsize j = 1; j <= m; j++)
      {
        gchar x = g_ascii_tolower (a[i - 1]), y = g_ascii_tolower (b[j - 1]);
        guint cost = x == y ? 0 : 1;
        guint v = MIN (D (i - 1, j) + 1, D (i, j - 1) + 1);
        v = MIN (v, D (i - 1, j - 1) + cost);
        if (i > 1 && j > 1 && x == g_ascii_tolower (b[j - 2]) && g_ascii_tolower (a[i - 2]) == y)
          v = MIN (v, D (i - 2, j - 2) + 1);
        D (i, j) = v;
      }
  guint r = D (n, m);
#undef D
  return r;
}

const gchar *
ioc_suggest (const gchar *word, const gchar *const *candidates)
{
  g_return_val_if_fail (word != NULL, NULL);
  if (candidates == NULL)
    return NULL;
  gsize len = strlen (word);
  guint limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
  const gchar *best = NULL;
  guint best_d = limit + 1;
  for (guint i = 0; candidates[i] != NULL; i++)
    {
      guint d = ioc_edit_distance (word, candidates[i]);
      if (d < best_d)
        {
          best = candidates[i];
          best_d = d;
        }
    }
  return best;
}

/* "unknown key; did you mean 'x'?" or "unknown key (known keys: …)". */
static gchar *
unknown_key_message (const gchar *key, const gchar *const *known)
{
  const gchar *near = ioc_suggest (key, known);
  if (near != NULL)
    return g_strdup_printf ("unknown key; did you mean '%s'?", near);
  g_autofree gchar *list = g_strjoinv (", ", (gchar **) known);
  return g_strdup_printf ("unknown key (known keys: %s)", list);
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
        g_autofree gchar *msg = unknown_key_message (keys[i], known);
        g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s] %s: %s", self->path, group, keys[i], msg);
        return FALSE;
      }
  return TRUE;
}

gboolean
ioc_keyfile_collect_repeats (IocKeyFile *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  for (guint i = 0; self->repeats != NULL && i < self->repeats->len; i++)
    {
      const Repeat *r = g_ptr_array_index (self->repeats, i);
      if (r->key == NULL)
        ioc_keyfile_problem_at (self, r->line, "[%s]: group written again (first on line %u); give each its own name",
                                r->group, r->first);
      else
        ioc_keyfile_problem_at (self, r->line, "[%s] %s: key written again (first on line %u); only the last would count",
                                r->group, r->key, r->first);
    }
  return self->repeats == NULL || self->repeats->len == 0;
}

gboolean
ioc_keyfile_collect_keys (IocKeyFile *self, const gchar *group, const gchar *const *known)
{
  g_return_val_if_fail (self != NULL && group != NULL && known != NULL, FALSE);
  if (!g_key_file_has_group (self->kf, group))
    return TRUE;
  gboolean ok = TRUE;
  g_auto (GStrv) keys = g_key_file_get_keys (self->kf, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (!g_strv_contains (known, keys[i]) && !g_strv_contains ((const gchar *const *) keys + i + 1, keys[i]))
      {
        g_autofree gchar *msg = unknown_key_message (keys[i], known);
        ioc_keyfile_problem (self, group, keys[i], "%s", msg);
        ok = FALSE;
      }
  return ok;
}
