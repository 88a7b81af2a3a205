/* alert-store.c — the alert engine's state on disk (see alert-store.h):
 * the engine as JSON (ioc_alert_engine_save/load) and the file that holds
 * it.
 *
 * The file is the engine's own JSON, in raw µs integers (it is the hub's
 * own file, not an interface); it is not part of the hub snapshot, so the
 * alert engine needs no snapshot section and can be saved on its own
 * rhythm: right after an operator's ack or silence, and within seconds of
 * any other change.  Loading is lenient: a record missing a member is
 * skipped, so a hand-edited file loses that record, not the rest.  Main
 * context. */
#include "alerts/alert-store.h"

#include <glib/gstdio.h>

#include "alerts/alert-engine-private.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-json.h"

/* ---- the file ---- */

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

/* ---- the engine as JSON ---- */

static void
save_inst (JsonBuilder *b, const IocAlertInst *i)
{
  json_builder_begin_object (b);
  ioc_json_string (b, "rule", i->rule);
  ioc_json_string (b, "scope", i->scope);
  ioc_json_string (b, "id", i->id);
  ioc_json_int (b, "state", i->state);
  const gint64 t[] = { i->started_us, i->fired_us, i->resolved_us, i->last_true_us, i->last_notified_us,
                       i->acked_us };
  ioc_json_begin_array (b, "t");
  for (guint k = 0; k < G_N_ELEMENTS (t); k++)
    json_builder_add_int_value (b, t[k]);
  json_builder_end_array (b);
  ioc_json_double (b, "value", i->value);
  ioc_json_double (b, "threshold", i->threshold);
  ioc_json_string (b, "detail", i->detail);
  ioc_json_string (b, "group", i->group);
  ioc_json_string (b, "unit", i->unit);
  ioc_json_string (b, "acked_by", i->acked_by);
  ioc_json_string (b, "ack_note", i->ack_note);
  json_builder_end_object (b);
}

static void
save_days (JsonBuilder *b, const gchar *name, GHashTable *outer)
{
  ioc_json_begin_object (b, name);
  GHashTableIter it, it2;
  gpointer k, v, dk, dv;
  g_hash_table_iter_init (&it, outer);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      ioc_json_begin_array (b, k);
      g_hash_table_iter_init (&it2, v);
      while (g_hash_table_iter_next (&it2, &dk, &dv))
        {
          json_builder_add_int_value (b, GPOINTER_TO_INT (dk));
          json_builder_add_int_value (b, (gint64) GPOINTER_TO_SIZE (dv) - 1);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

static void
save_alerts (JsonBuilder *b, IocAlertEngine *self)
{
  ioc_json_begin_array (b, "alerts");
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->insts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    save_inst (b, v);
  json_builder_end_array (b);
  ioc_json_begin_array (b, "recent");
  for (GList *l = self->recent->head; l; l = l->next)
    save_inst (b, l->data);
  json_builder_end_array (b);
}

static void
save_silences (JsonBuilder *b, IocAlertEngine *self)
{
  ioc_json_begin_array (b, "silences");
  for (guint i = 0; i < self->silences->len; i++)
    {
      IocAlertSilence *s = g_ptr_array_index (self->silences, i);
      json_builder_begin_object (b);
      ioc_alert_json_silence_texts (b, s);
      ioc_json_int (b, "created", s->created_us);
      ioc_json_int (b, "expires", s->expires_us);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* "flaps": key → [flapping, change µs…]. */
static void
save_flaps (JsonBuilder *b, IocAlertEngine *self)
{
  ioc_json_begin_object (b, "flaps");
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->flaps);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      IocAlertFlap *f = v;
      ioc_json_begin_array (b, k);
      json_builder_add_int_value (b, f->flapping);
      for (guint i = 0; i < f->changes->len; i++)
        json_builder_add_int_value (b, g_array_index (f->changes, gint64, i));
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

/* "today": unit → [day, overdue, due, stock, hour, hour_base, last_overdue]. */
static void
save_today (JsonBuilder *b, IocAlertEngine *self)
{
  ioc_json_begin_object (b, "today");
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->today);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      IocAlertUnitDay *ud = v;
      ioc_json_begin_array (b, k);
      json_builder_add_int_value (b, ud->day);
      json_builder_add_int_value (b, ud->overdue);
      json_builder_add_int_value (b, ud->due);
      json_builder_add_int_value (b, ud->stock);
      json_builder_add_int_value (b, ud->hour);
      json_builder_add_int_value (b, ud->hour_base);
      json_builder_add_int_value (b, ud->last_overdue);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

static void
save_day_set (JsonBuilder *b, const gchar *name, GHashTable *days)
{
  ioc_json_begin_array (b, name);
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, days);
  while (g_hash_table_iter_next (&it, &k, NULL))
    json_builder_add_int_value (b, GPOINTER_TO_INT (k));
  json_builder_end_array (b);
}

/* The baselines' history: days seen, per-unit day tables, "hours" as
 * [hour key, count, …] pairs and the hour being counted. */
static void
save_history (JsonBuilder *b, IocAlertEngine *self)
{
  save_day_set (b, "observed_days", self->observed_days);
  save_day_set (b, "influx_days", self->influx_days);
  save_days (b, "unit_daily", self->unit_daily);
  save_days (b, "unit_stock", self->unit_stock);

  ioc_json_begin_array (b, "hours");
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, self->hours);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      json_builder_add_int_value (b, *(gint64 *) k);
      json_builder_add_int_value (b, (gint64) GPOINTER_TO_SIZE (v) - 1);
    }
  json_builder_end_array (b);
  ioc_json_int (b, "hour", self->cur_hour);
}

/* The tracker does not tell again after a restart which dossiers went
 * overdue today: keep them, or their alerts would resolve at start. */
static void
save_overdue (JsonBuilder *b, IocAlertEngine *self)
{
  ioc_json_begin_array (b, "overdue_dossiers");
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, self->overdue);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      IocAlertOverdue *o = v;
      json_builder_begin_array (b);
      json_builder_add_string_value (b, o->unit);
      json_builder_add_string_value (b, o->dossier);
      json_builder_add_int_value (b, o->overdue_us);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
}

gchar *
ioc_alert_engine_save (IocAlertEngine *self)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ioc_json_int (b, "version", 1);
  ioc_json_int (b, "next_id", (gint64) self->next_id);
  /* A source never seen is down a cadence after the hub first started, not
   * after every restart (no resolve-and-refire at each start). */
  ioc_json_int (b, "started", self->started_us);
  ioc_json_int (b, "next_silence", (gint64) self->next_silence);
  save_alerts (b, self);
  save_silences (b, self);
  save_flaps (b, self);
  save_today (b, self);
  save_history (b, self);
  save_overdue (b, self);
  json_builder_end_object (b);

  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static const gchar *
opt_str (JsonObject *o, const gchar *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_string (n) : NULL;
}

static gchar *
dup_opt (JsonObject *o, const gchar *name)
{
  return g_strdup (opt_str (o, name));
}

static IocAlertInst *
load_inst (JsonObject *o)
{
  JsonArray *t = json_object_get_array_member (o, "t");
  if (opt_str (o, "rule") == NULL || opt_str (o, "scope") == NULL || opt_str (o, "id") == NULL || t == NULL
      || json_array_get_length (t) != 6)
    return NULL;
  IocAlertInst *i = g_new0 (IocAlertInst, 1);
  i->rule = dup_opt (o, "rule");
  i->scope = dup_opt (o, "scope");
  i->key = g_strdup_printf ("%s/%s", i->rule, i->scope);
  i->id = dup_opt (o, "id");
  i->state = (IocAlertState) json_object_get_int_member (o, "state");
  i->started_us = json_array_get_int_element (t, 0);
  i->fired_us = json_array_get_int_element (t, 1);
  i->resolved_us = json_array_get_int_element (t, 2);
  i->last_true_us = json_array_get_int_element (t, 3);
  i->last_notified_us = json_array_get_int_element (t, 4);
  i->acked_us = json_array_get_int_element (t, 5);
  i->value = json_object_get_double_member (o, "value");
  i->threshold = json_object_get_double_member (o, "threshold");
  i->detail = dup_opt (o, "detail");
  i->group = dup_opt (o, "group");
  i->unit = dup_opt (o, "unit");
  i->acked_by = dup_opt (o, "acked_by");
  i->ack_note = dup_opt (o, "ack_note");
  return i;
}

static void
load_days (JsonObject *root, const gchar *name, GHashTable *outer)
{
  JsonObject *o = json_object_get_object_member (root, name);
  if (o == NULL)
    return;
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *l = members; l; l = l->next)
    {
      JsonArray *a = json_object_get_array_member (o, l->data);
      for (guint i = 0; a != NULL && i + 1 < json_array_get_length (a); i += 2)
        ioc_alert_history_table_set (outer, l->data, (gint32) json_array_get_int_element (a, i),
                   json_array_get_int_element (a, i + 1));
    }
}

static void
load_alerts (IocAlertEngine *self, JsonObject *root)
{
  JsonArray *a = json_object_get_array_member (root, "alerts");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      IocAlertInst *in = load_inst (json_array_get_object_element (a, i));
      if (in != NULL)
        g_hash_table_replace (self->insts, in->key, in);
    }
  a = json_object_get_array_member (root, "recent");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      IocAlertInst *in = load_inst (json_array_get_object_element (a, i));
      if (in != NULL)
        g_queue_push_tail (self->recent, in);
    }
}

static void
load_silences (IocAlertEngine *self, JsonObject *root)
{
  JsonArray *a = json_object_get_array_member (root, "silences");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      if (opt_str (o, "id") == NULL)
        continue;
      IocAlertSilence *s = g_new0 (IocAlertSilence, 1);
      s->id = dup_opt (o, "id");
      s->rule = g_strdup (opt_str (o, "rule") ? opt_str (o, "rule") : "*");
      s->scope = g_strdup (opt_str (o, "scope") ? opt_str (o, "scope") : "*");
      s->by = dup_opt (o, "by");
      s->comment = dup_opt (o, "comment");
      s->created_us = json_object_get_int_member_with_default (o, "created", 0);
      s->expires_us = json_object_get_int_member_with_default (o, "expires", 0);
      g_ptr_array_add (self->silences, s);
    }
}

static void
load_flaps (IocAlertEngine *self, JsonObject *root)
{
  JsonObject *o = json_object_get_object_member (root, "flaps");
  if (o == NULL)
    return;
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *l = members; l; l = l->next)
    {
      JsonArray *fa = json_object_get_array_member (o, l->data);
      if (fa == NULL || json_array_get_length (fa) < 1)
        continue;
      IocAlertFlap *f = ioc_alert_flap_new ();
      f->flapping = json_array_get_int_element (fa, 0) != 0;
      for (guint i = 1; i < json_array_get_length (fa); i++)
        {
          gint64 t = json_array_get_int_element (fa, i);
          g_array_append_val (f->changes, t);
        }
      g_hash_table_replace (self->flaps, g_strdup (l->data), f);
    }
}

static void
load_today (IocAlertEngine *self, JsonObject *root)
{
  JsonObject *o = json_object_get_object_member (root, "today");
  if (o == NULL)
    return;
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *l = members; l; l = l->next)
    {
      JsonArray *ua = json_object_get_array_member (o, l->data);
      if (ua == NULL || json_array_get_length (ua) != 7)
        continue;
      IocAlertUnitDay *ud = g_new0 (IocAlertUnitDay, 1);
      ud->day = (gint32) json_array_get_int_element (ua, 0);
      ud->overdue = json_array_get_int_element (ua, 1);
      ud->due = json_array_get_int_element (ua, 2);
      ud->stock = json_array_get_int_element (ua, 3);
      ud->hour = json_array_get_int_element (ua, 4);
      ud->hour_base = json_array_get_int_element (ua, 5);
      ud->last_overdue = json_array_get_int_element (ua, 6);
      g_hash_table_replace (self->today, g_strdup (l->data), ud);
    }
}

static void
load_day_set (JsonObject *root, const gchar *name, GHashTable *days)
{
  JsonArray *a = json_object_get_array_member (root, name);
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    g_hash_table_add (days, GINT_TO_POINTER ((gint) json_array_get_int_element (a, i)));
}

static void
load_history (IocAlertEngine *self, JsonObject *root)
{
  load_day_set (root, "observed_days", self->observed_days);
  load_day_set (root, "influx_days", self->influx_days);
  load_days (root, "unit_daily", self->unit_daily);
  load_days (root, "unit_stock", self->unit_stock);
  JsonArray *a = json_object_get_array_member (root, "hours");
  for (guint i = 0; a && i + 1 < json_array_get_length (a); i += 2)
    {
      gint64 *key = g_new (gint64, 1);
      *key = json_array_get_int_element (a, i);
      g_hash_table_replace (self->hours, key,
                            GSIZE_TO_POINTER ((gsize) (json_array_get_int_element (a, i + 1) + 1)));
    }
  self->cur_hour = json_object_get_int_member_with_default (root, "hour", 0);
}

static void
load_overdue (IocAlertEngine *self, JsonObject *root)
{
  JsonArray *a = json_object_get_array_member (root, "overdue_dossiers");
  for (guint i = 0; a && i < json_array_get_length (a); i++)
    {
      JsonArray *oa = json_array_get_array_element (a, i);
      if (oa == NULL || json_array_get_length (oa) != 3)
        continue;
      const gchar *unit = json_array_get_string_element (oa, 0);
      const gchar *dossier = json_array_get_string_element (oa, 1);
      if (unit != NULL && dossier != NULL)
        ioc_alert_engine_add_overdue (self, unit, dossier, json_array_get_int_element (oa, 2));
    }
}

gboolean
ioc_alert_engine_load (IocAlertEngine *self, const gchar *json, gsize len, GError **error)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) local = NULL;
  if (!json_parser_load_from_data (p, json, (gssize) len, &local))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "not JSON: %s", local->message);
      return FALSE;
    }
  JsonNode *rn = json_parser_get_root (p);
  if (rn == NULL || !JSON_NODE_HOLDS_OBJECT (rn))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "expected a JSON object");
      return FALSE;
    }
  JsonObject *root = json_node_get_object (rn);
  if (json_object_get_int_member_with_default (root, "version", 0) != 1)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "expected version 1");
      return FALSE;
    }
  self->next_id = (guint64) json_object_get_int_member_with_default (root, "next_id", 1);
  self->next_silence = (guint64) json_object_get_int_member_with_default (root, "next_silence", 1);
  gint64 started = json_object_get_int_member_with_default (root, "started", 0);
  if (started > 0 && started < self->started_us)
    self->started_us = started;
  load_alerts (self, root);
  load_silences (self, root);
  load_flaps (self, root);
  load_today (self, root);
  load_history (self, root);
  load_overdue (self, root);
  return TRUE;
}
