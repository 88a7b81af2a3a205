/* fed-ledger.c — see fed-ledger.h. */
#include "fed-ledger.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/ioc-error.h"

typedef struct
{
  guint8 measurement;
  guint8 channel;
  gint64 minute_us;
} RowKey;

typedef struct
{
  RowKey key;
  gint64 ints[IOC_MAX_INT_FIELDS];
} Row;

struct _IocFedLedger
{
  GHashTable *rows; /* RowKey* (inside Row) → Row* */
};

static guint
row_hash (gconstpointer p)
{
  const RowKey *k = p;
  return g_int64_hash (&k->minute_us) ^ ((guint) k->measurement << 8) ^ k->channel;
}

static gboolean
row_equal (gconstpointer a, gconstpointer b)
{
  const RowKey *x = a, *y = b;
  return x->measurement == y->measurement && x->channel == y->channel && x->minute_us == y->minute_us;
}

IocFedLedger *
ioc_fed_ledger_new (void)
{
  IocFedLedger *self = g_new0 (IocFedLedger, 1);
  self->rows = g_hash_table_new_full (row_hash, row_equal, NULL, g_free);
  return self;
}

void
ioc_fed_ledger_free (IocFedLedger *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->rows);
  g_free (self);
}

static gboolean
put (IocFedLedger *self, IocMeasurement m, guint8 channel, gint64 minute_us, const gint64 *ints)
{
  RowKey key = { (guint8) m, channel, minute_us };
  Row *row = g_hash_table_lookup (self->rows, &key);
  if (row != NULL && memcmp (row->ints, ints, sizeof row->ints) == 0)
    return FALSE;
  if (row == NULL)
    {
      row = g_new0 (Row, 1);
      row->key = key;
      g_hash_table_insert (self->rows, &row->key, row);
    }
  memcpy (row->ints, ints, sizeof row->ints);
  return TRUE;
}

gboolean
ioc_fed_ledger_record (IocFedLedger *self, const IocPoint *point)
{
  if (strcmp (point->unit, "all") != 0 || point->measurement >= IOC_MEAS_COUNT)
    return FALSE;
  gint64 ints[IOC_MAX_INT_FIELDS] = { 0 };
  memcpy (ints, point->ints, sizeof (gint64) * ioc_measurement_n_ints (point->measurement));
  return put (self, point->measurement, point->channel, point->ts_us, ints);
}

void
ioc_fed_ledger_totals (IocFedLedger *self, gint64 from_us, gint64 to_us, IocFedTotals *out)
{
  memset (out, 0, sizeof *out);
  /* The latest minute with a row, per measurement: its gauges are the day's. */
  gint64 latest[IOC_MEAS_COUNT];
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    latest[m] = G_MININT64;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->rows);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      const Row *r = value;
      if (r->key.minute_us >= from_us && r->key.minute_us < to_us)
        latest[r->key.measurement] = MAX (latest[r->key.measurement], r->key.minute_us);
    }
  g_hash_table_iter_init (&it, self->rows);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      const Row *r = value;
      IocMeasurement m = r->key.measurement;
      if (r->key.minute_us < from_us || r->key.minute_us >= to_us)
        continue;
      for (guint f = 0; f < ioc_measurement_n_ints (m); f++)
        if (!ioc_measurement_int_is_gauge (m, f))
          out->v[m][f] += r->ints[f];
        else if (r->key.minute_us == latest[m])
          out->v[m][f] += r->ints[f]; /* summed over channels */
    }
}

void
ioc_fed_ledger_prune (IocFedLedger *self, gint64 before_us)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->rows);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((Row *) value)->key.minute_us < before_us)
      g_hash_table_iter_remove (&it);
}

guint
ioc_fed_ledger_size (IocFedLedger *self)
{
  return g_hash_table_size (self->rows);
}

gboolean
ioc_fed_ledger_save (IocFedLedger *self, const gchar *path, GError **error)
{
  g_autoptr (GString) out = g_string_new ("# iochub federation ledger v1: measurement channel minute_us ints…\n");
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, self->rows);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      const Row *r = value;
      g_string_append_printf (out, "%u %u %" G_GINT64_FORMAT, r->key.measurement, r->key.channel, r->key.minute_us);
      for (guint f = 0; f < IOC_MAX_INT_FIELDS; f++)
        g_string_append_printf (out, " %" G_GINT64_FORMAT, r->ints[f]);
      g_string_append_c (out, '\n');
    }
  return g_file_set_contents (path, out->str, (gssize) out->len, error);
}

gboolean
ioc_fed_ledger_load (IocFedLedger *self, const gchar *path, GError **error)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      g_auto (GStrv) parts = g_strsplit (lines[i], " ", -1);
      gint64 vals[3 + IOC_MAX_INT_FIELDS];
      guint n = g_strv_length (parts);
      gboolean ok = n == G_N_ELEMENTS (vals);
      for (guint k = 0; ok && k < n; k++)
        ok = g_ascii_string_to_signed (parts[k], 10, G_MININT64, G_MAXINT64, &vals[k], NULL);
      if (!ok || vals[0] < 0 || vals[0] >= IOC_MEAS_COUNT || vals[1] < 0 || vals[1] > 255)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                       "%s: line %u: expected 'measurement channel minute_us' and %u integers", path, i + 1,
                       IOC_MAX_INT_FIELDS);
          return FALSE;
        }
      put (self, (IocMeasurement) vals[0], (guint8) vals[1], vals[2], vals + 3);
    }
  return TRUE;
}

void
ioc_fed_totals_add (IocFedTotals *a, const IocFedTotals *b)
{
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    for (guint f = 0; f < IOC_MAX_INT_FIELDS; f++)
      a->v[m][f] += b->v[m][f];
}

void
ioc_fed_totals_to_json (const IocFedTotals *t, JsonBuilder *b)
{
  json_builder_begin_object (b);
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    {
      json_builder_set_member_name (b, ioc_measurement_name (m));
      json_builder_begin_object (b);
      for (guint f = 0; f < ioc_measurement_n_ints (m); f++)
        {
          json_builder_set_member_name (b, ioc_measurement_int_name (m, f));
          json_builder_add_int_value (b, t->v[m][f]);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

gboolean
ioc_fed_totals_from_json (JsonObject *obj, IocFedTotals *out, GError **error)
{
  memset (out, 0, sizeof *out);
  for (guint m = 0; m < IOC_MEAS_COUNT; m++)
    {
      JsonNode *mn = json_object_get_member (obj, ioc_measurement_name (m));
      if (mn == NULL)
        continue;
      if (!JSON_NODE_HOLDS_OBJECT (mn))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s: expected an object", ioc_measurement_name (m));
          return FALSE;
        }
      JsonObject *mo = json_node_get_object (mn);
      for (guint f = 0; f < ioc_measurement_n_ints (m); f++)
        {
          JsonNode *v = json_object_get_member (mo, ioc_measurement_int_name (m, f));
          if (v == NULL)
            continue;
          if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_INT64)
            {
              g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s.%s: expected an integer", ioc_measurement_name (m),
                           ioc_measurement_int_name (m, f));
              return FALSE;
            }
          out->v[m][f] = json_node_get_int (v);
        }
    }
  return TRUE;
}
