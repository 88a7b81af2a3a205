/* ioc-keyfile.h — typed GKeyFile getters with defaults and ranges.
 *
 * Every error reads "FILE: [group] key: expected …, got '…'", so the ops
 * team can fix a config without reading code.  A missing optional key yields
 * its default; a present but malformed one is an error (never 0 by accident,
 * as atoi would make it). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  GKeyFile *kf;
  gchar *path;
} IocKeyFile;

/* Loads path; a syntax error names the file and line (GKeyFile's message). */
IocKeyFile *ioc_keyfile_load (const gchar *path, GError **error);
IocKeyFile *ioc_keyfile_load_data (const gchar *path, const gchar *data, gsize len, GError **error);
void        ioc_keyfile_free (IocKeyFile *self);

/* (transfer full); def may be NULL; required=TRUE makes absence an error. */
gchar   *ioc_keyfile_string (IocKeyFile *self, const gchar *group, const gchar *key,
                             const gchar *def, gboolean required, GError **error);
gboolean ioc_keyfile_int (IocKeyFile *self, const gchar *group, const gchar *key, gint64 def,
                          gint64 min, gint64 max, gint64 *out, GError **error);
gboolean ioc_keyfile_double (IocKeyFile *self, const gchar *group, const gchar *key, gdouble def,
                             gdouble min, gdouble max, gdouble *out, GError **error);
gboolean ioc_keyfile_bool (IocKeyFile *self, const gchar *group, const gchar *key, gboolean def,
                           gboolean *out, GError **error);
/* A duration such as "10s", "500ms", "5m", "2h", "1d"; a bare number is seconds. */
gboolean ioc_keyfile_duration (IocKeyFile *self, const gchar *group, const gchar *key,
                               gint64 def_us, gint64 min_us, gint64 max_us, gint64 *out_us,
                               GError **error);
/* A size such as "512MiB", "64KiB", "1GiB" or bytes. */
gboolean ioc_keyfile_size (IocKeyFile *self, const gchar *group, const gchar *key, guint64 def,
                           guint64 min, guint64 max, guint64 *out, GError **error);
/* Sets an error naming unknown keys of group (typos) when any is present. */
gboolean ioc_keyfile_check_keys (IocKeyFile *self, const gchar *group, const gchar *const *known,
                                 GError **error);

/* Parsers behind the getters, for values that come from elsewhere. */
gboolean ioc_parse_duration (const gchar *text, gint64 *out_us);
gboolean ioc_parse_size (const gchar *text, guint64 *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocKeyFile, ioc_keyfile_free)

G_END_DECLS
