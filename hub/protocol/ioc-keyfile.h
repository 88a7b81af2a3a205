/* ioc-keyfile.h — typed GKeyFile getters with defaults and ranges.
 *
 * Every error reads "FILE: [group] key: expected …, got '…'", so the ops
 * team can fix a config without reading code.  A missing optional key yields
 * its default; a present but malformed one is an error (never 0 by accident,
 * as atoi would make it).
 *
 * Two ways to read a file:
 *  - the getters below stop at the first error (a GError);
 *  - the collect_* getters record a problem and go on, so that one run lists
 *    every error of the file, each as "FILE:LINE: [group] key: expected …,
 *    got '…'", with "did you mean …" for a misspelt key or group.  GKeyFile
 *    knows no line numbers: they come from an index of the file's text made
 *    at load (ioc_keyfile_key_line). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  GKeyFile *kf;
  gchar *path;
  GHashTable *lines;   /* "group" / "group\nkey" → line (1-based); NULL: no index */
  GPtrArray *problems; /* collected "FILE:LINE: …" lines; NULL: none yet */
  GPtrArray *repeats;  /* internal: groups and keys written more than once */
} IocKeyFile;

/* Loads path; a syntax error names the file and line (GKeyFile's message). */
/* The whole of a config file, or NULL with "PATH: cannot read: why"
 * (IOC_ERROR_CONFIG): the one error every config loader gives for it. */
gchar *ioc_keyfile_read (const gchar *path, gsize *len, GError **error);
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

/* Where a group header or a key is written (1-based); 0 when it is not in the
 * file.  A group written twice gives its first header, a key written twice
 * its last line (the value GKeyFile keeps). */
guint ioc_keyfile_group_line (IocKeyFile *self, const gchar *group);
guint ioc_keyfile_key_line (IocKeyFile *self, const gchar *group, const gchar *key);

/* Collecting errors.  A problem reads "FILE:LINE: [group] key: MESSAGE";
 * LINE is the key's line, else its group's, else left out; key NULL gives
 * "[group]: MESSAGE" and group NULL "FILE:LINE: MESSAGE" (line_hint used
 * then, 0 for none). */
void     ioc_keyfile_problem (IocKeyFile *self, const gchar *group, const gchar *key, const gchar *format,
                              ...) G_GNUC_PRINTF (4, 5);
void     ioc_keyfile_problem_at (IocKeyFile *self, guint line_hint, const gchar *format, ...) G_GNUC_PRINTF (3, 4);
guint    ioc_keyfile_n_problems (IocKeyFile *self);
/* TRUE when nothing was recorded; otherwise FALSE and error holds every
 * problem, one per line, in the order recorded. */
gboolean ioc_keyfile_problems_error (IocKeyFile *self, GError **error);

/* Like the getters above, but a bad value is recorded as a problem (with
 * its line) and the default is returned in *out; the return value says
 * whether the value was good.  collect_string returns NULL only for a
 * missing required key. */
gchar   *ioc_keyfile_collect_string (IocKeyFile *self, const gchar *group, const gchar *key,
                                     const gchar *def, gboolean required);
gboolean ioc_keyfile_collect_int (IocKeyFile *self, const gchar *group, const gchar *key, gint64 def,
                                  gint64 min, gint64 max, gint64 *out);
gboolean ioc_keyfile_collect_double (IocKeyFile *self, const gchar *group, const gchar *key, gdouble def,
                                     gdouble min, gdouble max, gdouble *out);
gboolean ioc_keyfile_collect_bool (IocKeyFile *self, const gchar *group, const gchar *key, gboolean def,
                                   gboolean *out);
gboolean ioc_keyfile_collect_duration (IocKeyFile *self, const gchar *group, const gchar *key,
                                       gint64 def_us, gint64 min_us, gint64 max_us, gint64 *out_us);
/* Records a problem for every group header and every key written twice:
 * GKeyFile silently merges such groups and keeps the last value, so a copied
 * block whose name was not changed would overwrite another.  FALSE when
 * there was one. */
gboolean ioc_keyfile_collect_repeats (IocKeyFile *self);
/* Records every unknown key of group, each with "did you mean" when a known
 * key is close; FALSE when there was one. */
gboolean ioc_keyfile_collect_keys (IocKeyFile *self, const gchar *group, const gchar *const *known);

/* The candidate closest to word (case-insensitive edit distance, a swap of
 * two neighbours counting once) when it is close enough to be a typo of it:
 * at most 1 edit for words up to 4 bytes, 2 up to 8, else 3.  Ties: the
 * first candidate.  NULL when none is close. */
const gchar *ioc_suggest (const gchar *word, const gchar *const *candidates);
guint        ioc_edit_distance (const gchar *a, const gchar *b);

/* A URL: its scheme one of schemes (NULL-terminated), a host, and a port,
 * if any, a number in 1–65535.  The string, or NULL with
 * "PATH: [group] key: expected …, got '…'".  def "" allows the key empty
 * (returned as ""). */
gchar   *ioc_keyfile_url (IocKeyFile *self, const gchar *group, const gchar *key, const gchar *def,
                          const gchar *const *schemes, GError **error);

/* Parsers behind the getters, for values that come from elsewhere. */
gboolean ioc_parse_url (const gchar *text, const gchar *const *schemes);
gboolean ioc_parse_duration (const gchar *text, gint64 *out_us);
gboolean ioc_parse_size (const gchar *text, guint64 *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocKeyFile, ioc_keyfile_free)

/* (transfer full) text with its line breaks and other control characters but
 * tab written as escapes (\n, \r, \xNN): a value quoted in a one-line error. */
gchar *ioc_keyfile_one_line (const gchar *text);

G_END_DECLS
