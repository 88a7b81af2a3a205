/* alert-test.c — runs a rule test file (see alert-test.h, docs/ALERTS.md).
 *
 *   [test]
 *   rules = ../alerts.conf          relative to this file
 *   calendar = ../calendar/vn-2026.conf   optional; without it every day works
 *   eval_interval = 10m             the engine is evaluated this often (and at every input)
 *   [series NAME]
 *   unit = xa-17001                 overdue_entered / due / open_overdue: today's running count
 *   metric = overdue_entered | due | open_overdue | overdue_dossier | source | seq_gaps | ioc_device.cameras …
 *   kind = portal  device = portal-1  serves_all = false   (source, seq_gaps)
 *   dossier = ID                    (overdue_dossier: 1 = went overdue then, 0 = retracted)
 *   start = 2026-03-02T16:00:00+07:00
 *   step = 1d
 *   values = 3 2 _ 4x5              _ = no sample; AxN = A repeated N times;
 *                                   source: 1 = heard from at that time, 0 = silent
 *   [expect NAME]
 *   at = 2026-04-27T16:30:00+07:00
 *   firing = rule/scope, …          exactly the firing alerts at that time ("" = none)
 *   pending = rule/scope, …         optional: exactly the pending ones
 *
 * Runs on the caller's thread with a manual clock; no sleeps, no I/O but
 * reading the files. */
#include "alerts/alert-test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert-engine.h"
#include "alerts/alert-rules.h"
#include "model/calendar.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-keyfile.h"
#include "protocol/ioc-keys.h"
#include "protocol/ioc-time.h"

typedef enum
{
  EV_OVERDUE,
  EV_DUE,
  EV_STOCK,
  EV_SOURCE,
  EV_GAPS,
  EV_VALUE,
  EV_DOSSIER,
} EvKind;

typedef struct
{
  gint64 at_us;
  EvKind kind;
  const gchar *unit;   /* borrowed from the series */
  const gchar *metric;
  const gchar *src_kind, *device;
  const gchar *dossier;
  gboolean serves_all;
  gdouble value;
  guint order;         /* file order, for a stable sort */
} Event;

typedef struct
{
  gchar *name;
  gint64 at_us;
  gchar **firing;  /* sorted */
  gchar **pending; /* NULL: not checked */
} Expect;

typedef struct
{
  gchar *unit, *metric, *kind, *device, *dossier;
  gboolean serves_all;
} Series;

typedef struct
{
  gint32 day;
  gint64 overdue, due, stock;
} UnitNow;

typedef struct
{
  gint64 last_seen, gaps;
  const Series *series;
} SourceNow;

static void
series_free (Series *s)
{
  g_free (s->unit);
  g_free (s->metric);
  g_free (s->kind);
  g_free (s->device);
  g_free (s->dossier);
  g_free (s);
}

static void
expect_free (Expect *e)
{
  g_free (e->name);
  g_strfreev (e->firing);
  g_strfreev (e->pending);
  g_free (e);
}

static gint
cmp_event (gconstpointer a, gconstpointer b)
{
  const Event *x = a, *y = b;
  if (x->at_us != y->at_us)
    return x->at_us < y->at_us ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static gint
cmp_expect (gconstpointer a, gconstpointer b)
{
  const Expect *x = *(Expect *const *) a, *y = *(Expect *const *) b;
  return x->at_us < y->at_us ? -1 : x->at_us > y->at_us;
}

static gboolean
get_time (IocKeyFile *kf, const gchar *group, const gchar *key, gint64 *out, GError **error)
{
  g_autofree gchar *s = ioc_keyfile_string (kf, group, key, NULL, TRUE, error);
  if (s == NULL)
    return FALSE;
  if (!ioc_time_parse (s, strlen (s), out))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] %s: expected an RFC 3339 time with offset, got '%s'", kf->path, group, key, s);
      return FALSE;
    }
  return TRUE;
}

/* "a, b" → sorted NULL-terminated vector ("" → empty). */
static gchar **
get_keys (IocKeyFile *kf, const gchar *group, const gchar *key, GError **error)
{
  g_autofree gchar *s = ioc_keyfile_string (kf, group, key, "", FALSE, error);
  if (s == NULL)
    return NULL;
  g_auto (GStrv) parts = g_strsplit (s, ",", -1);
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; parts[i]; i++)
    {
      gchar *t = g_strstrip (parts[i]);
      if (*t != '\0')
        g_ptr_array_add (out, g_strdup (t));
    }
  g_ptr_array_sort (out, ioc_keys_cmp);
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

static gboolean
parse_values (IocKeyFile *kf, const gchar *group, GArray *values, GError **error)
{
  g_autofree gchar *s = ioc_keyfile_string (kf, group, "values", NULL, TRUE, error);
  if (s == NULL)
    return FALSE;
  g_auto (GStrv) toks = g_strsplit_set (s, " \t", -1);
  for (guint i = 0; toks[i]; i++)
    {
      const gchar *t = toks[i];
      if (*t == '\0')
        continue;
      gdouble v = NAN;
      guint64 n = 1;
      gchar *end = NULL;
      if (g_str_has_prefix (t, "_"))
        end = (gchar *) t + 1;
      else
        v = g_ascii_strtod (t, &end);
      if (end == t)
        goto bad;
      if (*end == 'x')
        {
          gchar *end2 = NULL;
          n = g_ascii_strtoull (end + 1, &end2, 10);
          if (end2 == end + 1 || n == 0 || n > 100000)
            goto bad;
          end = end2;
        }
      if (*end != '\0')
        goto bad;
      for (guint64 k = 0; k < n; k++)
        g_array_append_val (values, v);
      continue;
    bad:
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] values: expected numbers, _ or AxN separated by spaces, got '%s'", kf->path,
                   group, t);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_series (IocKeyFile *kf, const gchar *group, GPtrArray *series, GArray *events, GError **error)
{
  static const gchar *const keys[] = { "unit", "metric", "kind", "device", "serves_all", "dossier", "start",
                                       "step", "values", NULL };
  if (!ioc_keyfile_check_keys (kf, group, keys, error))
    return FALSE;
  Series *s = g_new0 (Series, 1);
  g_ptr_array_add (series, s);
  s->metric = ioc_keyfile_string (kf, group, "metric", NULL, TRUE, error);
  if (s->metric == NULL)
    return FALSE;
  EvKind kind;
  if (g_str_equal (s->metric, "overdue_entered"))
    kind = EV_OVERDUE;
  else if (g_str_equal (s->metric, "due"))
    kind = EV_DUE;
  else if (g_str_equal (s->metric, "open_overdue"))
    kind = EV_STOCK;
  else if (g_str_equal (s->metric, "overdue_dossier"))
    kind = EV_DOSSIER;
  else if (g_str_equal (s->metric, "source"))
    kind = EV_SOURCE;
  else if (g_str_equal (s->metric, "seq_gaps"))
    kind = EV_GAPS;
  else if (strchr (s->metric, '.') != NULL)
    kind = EV_VALUE;
  else
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] metric: expected overdue_entered, due, open_overdue, overdue_dossier, source, seq_gaps or "
                   "MEASUREMENT.FIELD, got '%s'",
                   kf->path, group, s->metric);
      return FALSE;
    }
  gboolean is_source = kind == EV_SOURCE || kind == EV_GAPS;
  s->unit = ioc_keyfile_string (kf, group, "unit", is_source ? "" : NULL, !is_source, error);
  if (s->unit == NULL)
    return FALSE;
  if (is_source)
    {
      s->kind = ioc_keyfile_string (kf, group, "kind", NULL, TRUE, error);
      if (s->kind == NULL)
        return FALSE;
      s->device = ioc_keyfile_string (kf, group, "device", NULL, TRUE, error);
      if (s->device == NULL)
        return FALSE;
      if (!ioc_keyfile_bool (kf, group, "serves_all", FALSE, &s->serves_all, error))
        return FALSE;
    }
  if (kind == EV_DOSSIER && (s->dossier = ioc_keyfile_string (kf, group, "dossier", NULL, TRUE, error)) == NULL)
    return FALSE;
  gint64 start, step;
  if (!get_time (kf, group, "start", &start, error)
      || !ioc_keyfile_duration (kf, group, "step", G_TIME_SPAN_DAY, G_USEC_PER_SEC, 366 * G_TIME_SPAN_DAY,
                                &step, error))
    return FALSE;
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (gdouble));
  if (!parse_values (kf, group, values, error))
    return FALSE;
  for (guint i = 0; i < values->len; i++)
    {
      gdouble v = g_array_index (values, gdouble, i);
      if (isnan (v))
        continue;
      Event e = { .at_us = start + (gint64) i * step, .kind = kind, .unit = s->unit, .metric = s->metric,
                  .src_kind = s->kind, .device = s->device, .dossier = s->dossier,
                  .serves_all = s->serves_all, .value = v,
                  .order = events->len };
      g_array_append_val (events, e);
    }
  return TRUE;
}

static void
apply (IocAlertEngine *engine, const Event *e, GHashTable *units, GHashTable *sources)
{
  if (e->kind == EV_VALUE)
    {
      ioc_alert_engine_value (engine, e->metric, e->unit, e->at_us, e->value);
      return;
    }
  if (e->kind == EV_DOSSIER)
    {
      ioc_alert_engine_dossier_overdue (engine, e->unit, e->dossier, e->at_us, e->value != 0 ? +1 : -1);
      return;
    }
  if (e->kind == EV_SOURCE || e->kind == EV_GAPS)
    {
      g_autofree gchar *key = g_strdup_printf ("%s/%s", e->src_kind, e->device);
      SourceNow *s = g_hash_table_lookup (sources, key);
      if (s == NULL)
        {
          s = g_new0 (SourceNow, 1);
          g_hash_table_insert (sources, g_steal_pointer (&key), s);
        }
      if (e->kind == EV_SOURCE && e->value != 0)
        s->last_seen = e->at_us;
      if (e->kind == EV_GAPS)
        s->gaps = (gint64) e->value;
      IocAlertSource src = { .kind = e->src_kind, .device = e->device, .unit = e->unit, .is_declared = TRUE,
                             .last_seen_us = s->last_seen, .missing_seqs = s->gaps,
                             .serves_all = e->serves_all };
      ioc_alert_engine_source (engine, &src);
      return;
    }
  gint32 day = ioc_calendar_day_of (e->at_us);
  UnitNow *u = g_hash_table_lookup (units, e->unit);
  if (u == NULL)
    {
      u = g_new0 (UnitNow, 1);
      g_hash_table_insert (units, g_strdup (e->unit), u);
    }
  if (u->day != day)
    {
      /* Counts restart each day; the stock is a level and carries over. */
      u->day = day;
      u->overdue = u->due = 0;
    }
  if (e->kind == EV_OVERDUE)
    u->overdue = (gint64) e->value;
  else if (e->kind == EV_DUE)
    u->due = (gint64) e->value;
  else
    u->stock = (gint64) e->value;
  ioc_alert_engine_unit_day (engine, e->unit, e->at_us, u->overdue, u->due, u->stock);
}

/* "- want" / "+ got" lines for the difference of two sorted lists. */
static gboolean
diff (GString *out, const gchar *what, gchar **want, GPtrArray *got)
{
  gboolean same = TRUE;
  guint i = 0, j = 0, nw = g_strv_length (want);
  while (i < nw || j < got->len)
    {
      gint c = i >= nw ? 1 : j >= got->len ? -1 : strcmp (want[i], g_ptr_array_index (got, j));
      if (c == 0)
        i++, j++;
      else if (c < 0)
        {
          g_string_append_printf (out, "    - %s %s (expected, missing)\n", what, want[i++]);
          same = FALSE;
        }
      else
        {
          g_string_append_printf (out, "    + %s %s (unexpected)\n", what, (gchar *) g_ptr_array_index (got, j++));
          same = FALSE;
        }
    }
  return same;
}

static gboolean
check (IocAlertEngine *engine, const Expect *x, GString *report)
{
  g_autoptr (GPtrArray) active = ioc_alert_engine_active_keys (engine);
  g_autoptr (GPtrArray) firing = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) pending = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < active->len; i++)
    {
      const gchar *k = g_ptr_array_index (active, i);
      const gchar *colon = strrchr (k, ':');
      g_ptr_array_add (g_str_equal (colon + 1, "firing") ? firing : pending, g_strndup (k, colon - k));
    }
  g_ptr_array_sort (firing, ioc_keys_cmp);
  g_ptr_array_sort (pending, ioc_keys_cmp);
  g_autoptr (GString) d = g_string_new (NULL);
  gboolean ok = diff (d, "firing", x->firing, firing);
  if (x->pending != NULL)
    ok = diff (d, "pending", x->pending, pending) && ok;
  gchar buf[IOC_TIME_BUF];
  ioc_time_format (x->at_us, buf);
  g_string_append_printf (report, "%s [expect %s] at %s\n%s", ok ? "ok  " : "FAIL", x->name, buf, d->str);
  return ok;
}

/* A path in the test file, relative to the file's folder unless absolute. */
static gchar *
beside (const gchar *dir, const gchar *rel)
{
  return g_path_is_absolute (rel) ? g_strdup (rel) : g_build_filename (dir, rel, NULL);
}

/* [test]: the rule file, the optional calendar, the evaluation interval. */
static gboolean
parse_test_group (IocKeyFile *kf, const gchar *path, IocAlertRules **rules, IocCalendar **cal,
                  gint64 *interval_us, GError **error)
{
  static const gchar *const test_keys[] = { "rules", "calendar", "eval_interval", NULL };
  if (!ioc_keyfile_check_keys (kf, "test", test_keys, error))
    return FALSE;
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *rules_rel = ioc_keyfile_string (kf, "test", "rules", NULL, TRUE, error);
  if (rules_rel == NULL)
    return FALSE;
  g_autofree gchar *rules_path = beside (dir, rules_rel);
  *rules = ioc_alert_rules_load (rules_path, error);
  if (*rules == NULL)
    {
      g_prefix_error (error, "%s: [test] rules: ", path);
      return FALSE;
    }
  GError *local = NULL;
  g_autofree gchar *cal_rel = ioc_keyfile_string (kf, "test", "calendar", NULL, FALSE, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (cal_rel != NULL)
    {
      g_autofree gchar *cal_path = beside (dir, cal_rel);
      const gchar *paths[] = { cal_path, NULL };
      *cal = ioc_calendar_load (paths, error);
      if (*cal == NULL)
        {
          g_prefix_error (error, "%s: [test] calendar: ", path);
          return FALSE;
        }
    }
  return ioc_keyfile_duration (kf, "test", "eval_interval", 10 * G_TIME_SPAN_MINUTE, G_USEC_PER_SEC,
                               G_TIME_SPAN_DAY, interval_us, error);
}

static gboolean
parse_expect (IocKeyFile *kf, const gchar *g, GPtrArray *expects, GError **error)
{
  static const gchar *const keys[] = { "at", "firing", "pending", NULL };
  if (!ioc_keyfile_check_keys (kf, g, keys, error))
    return FALSE;
  Expect *x = g_new0 (Expect, 1);
  g_ptr_array_add (expects, x);
  x->name = g_strdup (g + 7);
  if (!get_time (kf, g, "at", &x->at_us, error))
    return FALSE;
  if ((x->firing = get_keys (kf, g, "firing", error)) == NULL)
    return FALSE;
  if (g_key_file_has_key (kf->kf, g, "pending", NULL)
      && (x->pending = get_keys (kf, g, "pending", error)) == NULL)
    return FALSE;
  return TRUE;
}

/* The [series NAME] and [expect NAME] groups, in file order. */
static gboolean
parse_groups (IocKeyFile *kf, const gchar *path, GPtrArray *series, GArray *events, GPtrArray *expects,
              GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (kf->kf, NULL);
  for (guint i = 0; groups[i]; i++)
    {
      const gchar *g = groups[i];
      if (g_str_equal (g, "test"))
        continue;
      if (g_str_has_prefix (g, "series "))
        {
          if (!parse_series (kf, g, series, events, error))
            return FALSE;
          continue;
        }
      if (g_str_has_prefix (g, "expect "))
        {
          if (!parse_expect (kf, g, expects, error))
            return FALSE;
          continue;
        }
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s]: expected [test], [series NAME] or [expect NAME]", path, g);
      return FALSE;
    }
  if (expects->len == 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: expected at least one [expect NAME] group", path);
      return FALSE;
    }
  return TRUE;
}

/* One timeline: inputs, then an evaluation, then the checks, at every
 * input time, every expectation time and every interval_us.  events and
 * expects are sorted by time.  Returns how many expectations failed. */
static guint
run_timeline (const IocAlertRules *rules, const IocCalendar *cal, gint64 interval_us, GArray *events,
              GPtrArray *expects, GString *report)
{
  gint64 start = events->len > 0 ? g_array_index (events, Event, 0).at_us
                                 : ((Expect *) g_ptr_array_index (expects, 0))->at_us;
  start = MIN (start, ((Expect *) g_ptr_array_index (expects, 0))->at_us);
  gint64 end = ((Expect *) g_ptr_array_index (expects, expects->len - 1))->at_us;
  g_autoptr (IocAlertEngine) engine = ioc_alert_engine_new (rules, cal, start, NULL, NULL);
  g_autoptr (GHashTable) units = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  guint ei = 0, xi = 0, failed = 0;
  gint64 next_tick = start;
  for (gint64 t = start; t <= end;)
    {
      while (ei < events->len && g_array_index (events, Event, ei).at_us <= t)
        apply (engine, &g_array_index (events, Event, ei++), units, sources);
      ioc_alert_engine_evaluate (engine, t);
      while (xi < expects->len && ((Expect *) g_ptr_array_index (expects, xi))->at_us <= t)
        if (!check (engine, g_ptr_array_index (expects, xi++), report))
          failed++;
      while (next_tick <= t)
        next_tick += interval_us;
      gint64 next = next_tick;
      if (ei < events->len)
        next = MIN (next, g_array_index (events, Event, ei).at_us);
      if (xi < expects->len)
        next = MIN (next, ((Expect *) g_ptr_array_index (expects, xi))->at_us);
      if (xi >= expects->len)
        break;
      t = next;
    }
  return failed;
}

gboolean
ioc_alert_test_rules (const gchar *path, GString *report, GError **error)
{
  g_return_val_if_fail (path != NULL && report != NULL, FALSE);
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load (path, error);
  if (kf == NULL)
    return FALSE;
  g_autoptr (IocAlertRules) rules = NULL;
  g_autoptr (IocCalendar) cal = NULL;
  gint64 interval;
  if (!parse_test_group (kf, path, &rules, &cal, &interval, error))
    return FALSE;

  g_autoptr (GPtrArray) series = g_ptr_array_new_with_free_func ((GDestroyNotify) series_free);
  g_autoptr (GArray) events = g_array_new (FALSE, FALSE, sizeof (Event));
  g_autoptr (GPtrArray) expects = g_ptr_array_new_with_free_func ((GDestroyNotify) expect_free);
  if (!parse_groups (kf, path, series, events, expects, error))
    return FALSE;
  g_array_sort (events, cmp_event);
  g_ptr_array_sort (expects, cmp_expect);

  guint failed = run_timeline (rules, cal, interval, events, expects, report);
  g_string_append_printf (report, "%s: %u of %u expectations passed\n", path, expects->len - failed,
                          expects->len);
  if (failed > 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "%s: %u of %u expectations failed", path, failed,
                   expects->len);
      return FALSE;
    }
  return TRUE;
}
