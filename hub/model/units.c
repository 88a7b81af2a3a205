/* units.c — loads and answers questions about the unit registry (SPEC §2).
 *
 * Loaded by the main context at start-up (and on reload); then read by
 * ingest's validation on every message (ioc_units_lookup) and by the
 * aggregates to map pre-2025 commune codes onto today's communes
 * (ioc_units_resolve).  Read-only after load, so any thread may read it.
 *
 * The CSV reader is RFC 4180 (quoted fields, "" escapes, CRLF or LF, an
 * optional UTF-8 BOM) and names file, line and column in every error. */
#include "model/units.h"

#include <string.h>

#include "model/record.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-keys.h"
#include "protocol/ioc-time.h"
#include "protocol/ioc-topic.h"
#include "protocol/ioc-hash.h"

#define N_COLUMNS 7
static const gchar *const column_names[N_COLUMNS] = {
  "code", "name", "kind", "parent", "valid_from", "valid_to", "successor",
};
enum { COL_CODE, COL_NAME, COL_KIND, COL_PARENT, COL_FROM, COL_TO, COL_SUCCESSOR };

/* Resolving follows successors; a registry with a longer chain is wrong. */
#define MAX_SUCCESSOR_HOPS 32

typedef struct
{
  IocUnit unit;
  guint line; /* for errors found after parsing */
} UnitEntry;

struct _IocUnitRegistry
{
  GPtrArray *entries;    /* UnitEntry*, owned, file order */
  GHashTable *by_code;   /* interned code → GPtrArray of UnitEntry*, sorted by valid_from */
  GStringChunk *strings; /* names and kinds */
};

void
ioc_units_free (IocUnitRegistry *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_code);
  g_ptr_array_unref (self->entries);
  g_string_chunk_free (self->strings);
  g_free (self);
}

static G_GNUC_PRINTF (5, 6) gboolean
fail (GError **error, const gchar *path, guint line, guint col, const gchar *fmt, ...)
{
  va_list ap;
  g_autofree gchar *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (col > 0)
    g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s:%u: column %u (%s): %s", path, line, col,
                 col <= N_COLUMNS ? column_names[col - 1] : "extra", msg);
  else
    g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s:%u: %s", path, line, msg);
  return FALSE;
}

/* Reads one CSV record starting at *pp into fields (gchar*, owned).  line is
 * the line the record starts on and is advanced past it.  Returns FALSE with
 * error set on a syntax error. */
static gboolean
read_record (const gchar *path, const gchar **pp, const gchar *end, guint *line,
             GPtrArray *fields, GError **error)
{
  const gchar *p = *pp;
  guint start_line = *line;

  g_ptr_array_set_size (fields, 0);
  for (;;)
    {
      g_autoptr (GString) field = g_string_new (NULL);
      guint col = fields->len + 1;

      if (p < end && *p == '"')
        {
          p++;
          for (;;)
            {
              if (p >= end)
                return fail (error, path, start_line, col, "expected a closing quote");
              if (*p == '"')
                {
                  if (p + 1 < end && p[1] == '"')
                    {
                      g_string_append_c (field, '"');
                      p += 2;
                      continue;
                    }
                  p++;
                  break;
                }
              if (*p == '\n')
                (*line)++;
              g_string_append_c (field, *p++);
            }
          if (p < end && *p != ',' && *p != '\n' && *p != '\r')
            return fail (error, path, *line, col, "expected ',' or end of line after a quoted field");
        }
      else
        {
          while (p < end && *p != ',' && *p != '\n' && *p != '\r')
            {
              if (*p == '"')
                return fail (error, path, *line, col,
                             "expected no quote inside an unquoted field (quote the whole field)");
              g_string_append_c (field, *p++);
            }
        }
      g_ptr_array_add (fields, g_string_free (g_steal_pointer (&field), FALSE));

      if (p < end && *p == ',')
        {
          p++;
          continue;
        }
      if (p < end && *p == '\r')
        {
          p++;
          if (p < end && *p != '\n')
            return fail (error, path, *line, 0, "expected LF after CR");
        }
      if (p < end && *p == '\n')
        {
          p++;
          (*line)++;
        }
      *pp = p;
      return TRUE;
    }
}

/* "YYYY-MM-DD" → Vietnam-local midnight starting that day. */
static gboolean
parse_date (const gchar *s, gint64 *out_us)
{
  guint y = 0, m = 0, d = 0;
  static const guint8 dim[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  if (strlen (s) != 10 || s[4] != '-' || s[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    {
      if (i == 4 || i == 7)
        continue;
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
    }
  y = (guint) g_ascii_strtoull (s, NULL, 10);
  m = (guint) g_ascii_strtoull (s + 5, NULL, 10);
  d = (guint) g_ascii_strtoull (s + 8, NULL, 10);
  if (m < 1 || m > 12 || d < 1 || d > dim[m - 1])
    return FALSE;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return FALSE;
  *out_us = ioc_time_from_local ((gint) y, (gint) m, (gint) d, 0, 0);
  return TRUE;
}

static gint
entry_cmp_from (gconstpointer a, gconstpointer b)
{
  const UnitEntry *x = *(UnitEntry *const *) a;
  const UnitEntry *y = *(UnitEntry *const *) b;
  return x->unit.valid_from_us < y->unit.valid_from_us ? -1 : x->unit.valid_from_us > y->unit.valid_from_us;
}

static const UnitEntry *
find_entry (const IocUnitRegistry *self, const gchar *code, gint64 ts_us)
{
  GPtrArray *list = g_hash_table_lookup (self->by_code, code);
  if (list == NULL)
    return NULL;
  for (guint i = 0; i < list->len; i++)
    {
      const UnitEntry *e = g_ptr_array_index (list, i);
      if (ts_us >= e->unit.valid_from_us && ts_us < e->unit.valid_to_us)
        return e;
    }
  return NULL;
}

static gchar *
format_day (gint64 us)
{
  gint y, m, d;
  ioc_time_local_date (us, &y, &m, &d, NULL, NULL);
  return g_strdup_printf ("%04d-%02d-%02d", y, m, d);
}

/* Checks that need every row: overlaps, parents, successors. */
static gboolean
check_links (IocUnitRegistry *self, const gchar *path, GError **error)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->by_code);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GPtrArray *list = value;
      g_ptr_array_sort (list, entry_cmp_from);
      for (guint i = 1; i < list->len; i++)
        {
          const UnitEntry *prev = g_ptr_array_index (list, i - 1);
          const UnitEntry *cur = g_ptr_array_index (list, i);
          if (cur->unit.valid_from_us < prev->unit.valid_to_us)
            return fail (error, path, MAX (prev->line, cur->line), COL_FROM + 1,
                         "expected validity of '%s' not to overlap its row on line %u",
                         cur->unit.code, MIN (prev->line, cur->line));
        }
    }

  for (guint i = 0; i < self->entries->len; i++)
    {
      const UnitEntry *e = g_ptr_array_index (self->entries, i);
      if (e->unit.parent != NULL && !g_hash_table_contains (self->by_code, e->unit.parent))
        return fail (error, path, e->line, COL_PARENT + 1, "expected a code of this registry, got '%s'",
                     e->unit.parent);
      if (e->unit.successor != NULL)
        {
          g_autofree gchar *day = NULL;
          if (!g_hash_table_contains (self->by_code, e->unit.successor))
            return fail (error, path, e->line, COL_SUCCESSOR + 1,
                         "expected a code of this registry, got '%s'", e->unit.successor);
          if (e->unit.valid_to_us == G_MAXINT64)
            return fail (error, path, e->line, COL_SUCCESSOR + 1,
                         "expected no successor for a unit without valid_to");
          if (find_entry (self, e->unit.successor, e->unit.valid_to_us) != NULL)
            continue;
          day = format_day (e->unit.valid_to_us);
          return fail (error, path, e->line, COL_SUCCESSOR + 1,
                       "expected successor '%s' to be valid on %s, the day after valid_to",
                       e->unit.successor, day);
        }
    }

  /* A cycle of successors would make resolve loop; the chain must end. */
  for (guint i = 0; i < self->entries->len; i++)
    {
      const UnitEntry *e = g_ptr_array_index (self->entries, i);
      guint hops = 0;
      while (e != NULL && e->unit.successor != NULL)
        {
          e = find_entry (self, e->unit.successor, e->unit.valid_to_us);
          if (++hops > MAX_SUCCESSOR_HOPS)
            {
              const UnitEntry *first = g_ptr_array_index (self->entries, i);
              return fail (error, path, first->line, COL_SUCCESSOR + 1,
                           "expected a chain of at most %d successors", MAX_SUCCESSOR_HOPS);
            }
        }
    }
  return TRUE;
}

static gboolean
is_kind (const gchar *s)
{
  if (*s == '\0' || strlen (s) > 32)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_islower (*s) && !g_ascii_isdigit (*s) && *s != '-')
      return FALSE;
  return TRUE;
}

/* The header of a registry with its successor column, and of one without
 * (SPEC §2: a registry of six columns stays valid). */
static const gchar header_7[] = "code,name,kind,parent,valid_from,valid_to,successor";
static const gchar header_6[] = "code,name,kind,parent,valid_from,valid_to";

/* n_columns: the header's, 6 or 7; every row has as many. */
static gboolean
add_row (IocUnitRegistry *self, const gchar *path, guint line, GPtrArray *f, guint n_columns, GError **error)
{
  const gchar *code, *name, *kind, *parent, *from, *to, *successor;
  UnitEntry *e;
  GPtrArray *list;

  if (f->len != n_columns)
    return fail (error, path, line, 0, "expected %u columns (%s), got %u", n_columns,
                 n_columns == N_COLUMNS ? header_7 : header_6, f->len);
  code = g_ptr_array_index (f, COL_CODE);
  name = g_ptr_array_index (f, COL_NAME);
  kind = g_ptr_array_index (f, COL_KIND);
  parent = g_ptr_array_index (f, COL_PARENT);
  from = g_ptr_array_index (f, COL_FROM);
  to = g_ptr_array_index (f, COL_TO);
  successor = n_columns > COL_SUCCESSOR ? g_ptr_array_index (f, COL_SUCCESSOR) : "";
  if (!ioc_topic_is_unit_code (code, strlen (code)))
    return fail (error, path, line, COL_CODE + 1, "expected a code of [a-z0-9-]{1,32}, got '%s'", code);
  if (*name == '\0')
    return fail (error, path, line, COL_NAME + 1, "expected a name");
  if (!is_kind (kind))
    return fail (error, path, line, COL_KIND + 1, "expected a kind of [a-z0-9-]{1,32}, got '%s'", kind);
  if (*parent != '\0' && !ioc_topic_is_unit_code (parent, strlen (parent)))
    return fail (error, path, line, COL_PARENT + 1, "expected a code or nothing, got '%s'", parent);
  if (*successor != '\0' && !ioc_topic_is_unit_code (successor, strlen (successor)))
    return fail (error, path, line, COL_SUCCESSOR + 1, "expected a code or nothing, got '%s'",
                 successor);

  e = g_new0 (UnitEntry, 1);
  g_ptr_array_add (self->entries, e); /* owned from here on, even on error */
  e->line = line;
  e->unit.code = ioc_intern (code);
  e->unit.name = g_string_chunk_insert_const (self->strings, name);
  e->unit.kind = g_string_chunk_insert_const (self->strings, kind);
  e->unit.parent = *parent ? ioc_intern (parent) : NULL;
  e->unit.successor = *successor ? ioc_intern (successor) : NULL;
  e->unit.valid_from_us = G_MININT64;
  e->unit.valid_to_us = G_MAXINT64;
  if (*from != '\0' && !parse_date (from, &e->unit.valid_from_us))
    return fail (error, path, line, COL_FROM + 1, "expected a date YYYY-MM-DD or nothing, got '%s'", from);
  if (*to != '\0')
    {
      if (!parse_date (to, &e->unit.valid_to_us))
        return fail (error, path, line, COL_TO + 1, "expected a date YYYY-MM-DD or nothing, got '%s'", to);
      e->unit.valid_to_us += G_TIME_SPAN_DAY; /* inclusive last day → exclusive end */
      if (e->unit.valid_to_us <= e->unit.valid_from_us)
        return fail (error, path, line, COL_TO + 1, "expected valid_to on or after valid_from %s", from);
    }

  list = g_hash_table_lookup (self->by_code, e->unit.code);
  if (list == NULL)
    {
      list = g_ptr_array_sized_new (1);
      g_hash_table_insert (self->by_code, (gpointer) e->unit.code, list);
    }
  g_ptr_array_add (list, e);
  return TRUE;
}

IocUnitRegistry *
ioc_units_load_data (const gchar *path_for_errors, const gchar *data, gsize len, GError **error)
{
  g_autoptr (IocUnitRegistry) self = NULL;
  g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  const gchar *p = data;
  const gchar *end = data + len;
  const gchar *bad = NULL;
  guint line = 1;

  g_return_val_if_fail (path_for_errors != NULL, NULL);
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (!g_utf8_validate_len (data, len, &bad))
    {
      guint bad_line = 1;
      for (const gchar *q = data; q < bad; q++)
        bad_line += *q == '\n';
      fail (error, path_for_errors, bad_line, 0, "expected UTF-8 text");
      return NULL;
    }
  if (len >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;

  self = g_new0 (IocUnitRegistry, 1);
  self->entries = g_ptr_array_new_with_free_func (g_free);
  self->by_code = g_hash_table_new_full (ioc_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) g_ptr_array_unref);
  self->strings = g_string_chunk_new (4096);

  if (!read_record (path_for_errors, &p, end, &line, fields, error))
    return NULL;
  guint n_columns = N_COLUMNS;
  {
    g_autofree gchar *header = NULL;
    g_ptr_array_add (fields, NULL);
    header = g_strjoinv (",", (gchar **) fields->pdata);
    g_ptr_array_set_size (fields, fields->len - 1);
    if (g_strcmp0 (header, header_6) == 0)
      n_columns = N_COLUMNS - 1;
    else if (g_strcmp0 (header, header_7) != 0)
      {
        fail (error, path_for_errors, 1, 0, "expected the header '%s' (or without ',successor')", header_7);
        return NULL;
      }
  }

  while (p < end)
    {
      guint row_line = line;
      if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
        {
          p += *p == '\r' ? 2 : 1; /* blank line */
          line++;
          continue;
        }
      if (!read_record (path_for_errors, &p, end, &line, fields, error))
        return NULL;
      if (!add_row (self, path_for_errors, row_line, fields, n_columns, error))
        return NULL;
    }
  if (!check_links (self, path_for_errors, error))
    return NULL;
  return g_steal_pointer (&self);
}

IocUnitRegistry *
ioc_units_load (const gchar *path, GError **error)
{
  g_autofree gchar *data = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s", local->message);
      return NULL;
    }
  return ioc_units_load_data (path, data, len, error);
}

const IocUnit *
ioc_units_lookup (const IocUnitRegistry *self, const gchar *code, gint64 ts_us)
{
  const UnitEntry *e;
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (code != NULL, NULL);
  e = find_entry (self, code, ts_us);
  return e != NULL ? &e->unit : NULL;
}

const IocUnit *
ioc_units_lookup_successor (const IocUnitRegistry *self, const gchar *code, gint64 ts_us)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (code != NULL, NULL);

  GPtrArray *list = g_hash_table_lookup (self->by_code, code);
  const UnitEntry *e = NULL;
  /* Sorted by valid_from and disjoint: the last one ended before ts_us. */
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      const UnitEntry *c = g_ptr_array_index (list, i);
      if (c->unit.valid_to_us <= ts_us)
        e = c;
    }
  for (guint hops = 0; e != NULL && hops < MAX_SUCCESSOR_HOPS; hops++)
    {
      if (ts_us >= e->unit.valid_from_us && ts_us < e->unit.valid_to_us)
        return &e->unit;
      if (e->unit.successor == NULL || e->unit.valid_to_us > ts_us)
        return NULL;
      e = find_entry (self, e->unit.successor, e->unit.valid_to_us);
    }
  return NULL;
}

const gchar *
ioc_units_resolve_unit (const IocUnitRegistry *self, const IocUnit *unit)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (unit != NULL, NULL);

  /* Every IocUnit handed out is the head of its UnitEntry. */
  const UnitEntry *e = (const UnitEntry *) unit;
  /* check_links() proved every chain ends within MAX_SUCCESSOR_HOPS. */
  for (guint hops = 0; e->unit.successor != NULL && hops < MAX_SUCCESSOR_HOPS; hops++)
    {
      const UnitEntry *next = find_entry (self, e->unit.successor, e->unit.valid_to_us);
      if (next == NULL)
        break;
      e = next;
    }
  return e->unit.code;
}

const gchar *
ioc_units_resolve (const IocUnitRegistry *self, const gchar *code, gint64 ts_us)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (code != NULL, NULL);

  const UnitEntry *e = find_entry (self, code, ts_us);
  return e != NULL ? ioc_units_resolve_unit (self, &e->unit) : NULL;
}

static gint
unit_cmp_code (gconstpointer a, gconstpointer b)
{
  const IocUnit *x = *(const IocUnit *const *) a;
  const IocUnit *y = *(const IocUnit *const *) b;
  return strcmp (x->code, y->code);
}

GPtrArray *
ioc_units_current (const IocUnitRegistry *self, gint64 now_us)
{
  GPtrArray *out;
  g_return_val_if_fail (self != NULL, NULL);
  out = g_ptr_array_new ();
  for (guint i = 0; i < self->entries->len; i++)
    {
      UnitEntry *e = g_ptr_array_index (self->entries, i);
      if (now_us >= e->unit.valid_from_us && now_us < e->unit.valid_to_us)
        g_ptr_array_add (out, &e->unit);
    }
  g_ptr_array_sort (out, unit_cmp_code);
  return out;
}

GPtrArray *
ioc_units_codes (const IocUnitRegistry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return ioc_keys_sorted (self->by_code);
}

guint
ioc_units_size (const IocUnitRegistry *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->entries->len;
}
