/* score-config.c — see score-config.h.  Reads the whole file, records every
 * problem with its line (protocol/ioc-keyfile's collect_* getters), and
 * returns a config only when there was none. */
#include "score/score-config.h"

#include <math.h>
#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-keyfile.h"

static const gchar *const input_names[IOC_SCORE_INPUT_N + 1] = {
  "none", "connector", "ontime", "online", "paid_online", "e_result", "digitized", "satisfaction", NULL,
};
static const gchar *const aggregate_names[] = { "sum", "latest", NULL };
static const gchar *const scorecard_keys[] = { "version", "title", "source", "total", "min_volume", "rank", NULL };
static const gchar *const group_keys[] = { "name", "name_en", NULL };
static const gchar *const indicator_keys[] = { "group", "name", "name_en", "max", "target", "input",
                                               "aggregate", "source", "formula", NULL };
static const gchar *const group_kinds[] = { "scorecard", "group", "indicator", NULL };

const gchar *
ioc_score_input_name (IocScoreInput input)
{
  return (guint) input < IOC_SCORE_INPUT_N ? input_names[input] : NULL;
}

void
ioc_score_config_free (IocScoreConfig *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->n_groups; i++)
    {
      g_free (self->groups[i].id);
      g_free (self->groups[i].name);
      g_free (self->groups[i].name_en);
    }
  for (guint i = 0; i < self->n_indicators; i++)
    {
      IocScoreIndicatorDef *d = &self->indicators[i];
      g_free (d->id);
      g_free (d->name);
      g_free (d->name_en);
      g_free (d->source);
      g_free (d->formula);
    }
  g_free (self->groups);
  g_free (self->indicators);
  g_free (self->path);
  g_free (self->version);
  g_free (self->title);
  g_free (self->source);
  g_strfreev (self->rank_prefixes);
  g_free (self);
}

gint
ioc_score_config_find (const IocScoreConfig *self, const gchar *id)
{
  g_return_val_if_fail (self != NULL && id != NULL, -1);
  for (guint i = 0; i < self->n_indicators; i++)
    if (strcmp (self->indicators[i].id, id) == 0)
      return (gint) i;
  return -1;
}

static gboolean
is_word (const gchar *s, gsize max_len, const gchar *extra)
{
  gsize n = strlen (s);
  if (n == 0 || n > max_len)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && strchr (extra, *s) == NULL)
      return FALSE;
  return TRUE;
}

/* The index of value in names, or -1 after recording "expected one of …"
 * (with "did you mean" when one is close). */
static gint
pick (IocKeyFile *kf, const gchar *group, const gchar *key, const gchar *value, const gchar *const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (g_strcmp0 (value, names[i]) == 0)
      return (gint) i;
  g_autofree gchar *list = g_strjoinv (", ", (gchar **) names);
  const gchar *near = ioc_suggest (value, names);
  if (near != NULL)
    ioc_keyfile_problem (kf, group, key, "expected one of %s, got '%s'; did you mean '%s'?", list, value, near);
  else
    ioc_keyfile_problem (kf, group, key, "expected one of %s, got '%s'", list, value);
  return -1;
}

/* A name shown to people: required, non-empty. */
static gchar *
name_key (IocKeyFile *kf, const gchar *group, const gchar *key, gboolean required, const gchar *def)
{
  g_autofree gchar *v = ioc_keyfile_collect_string (kf, group, key, def, required);
  if (v != NULL && v[0] == '\0' && required)
    {
      ioc_keyfile_problem (kf, group, key, "expected a non-empty text, got ''");
      return NULL;
    }
  return g_steal_pointer (&v);
}

static void
read_scorecard (IocKeyFile *kf, IocScoreConfig *c)
{
  const gchar *g = "scorecard";
  ioc_keyfile_collect_keys (kf, g, scorecard_keys);
  c->version = ioc_keyfile_collect_string (kf, g, "version", NULL, TRUE);
  if (c->version != NULL && !is_word (c->version, 64, "._-"))
    ioc_keyfile_problem (kf, g, "version",
                         "expected a version of letters, digits, '.', '_' or '-' (at most 64), got '%s'",
                         c->version);
  c->title = name_key (kf, g, "title", FALSE, "Bộ chỉ số 766");
  c->source = ioc_keyfile_collect_string (kf, g, "source", "", FALSE);
  ioc_keyfile_collect_double (kf, g, "total", 100, 1, 1000, &c->total);
  ioc_keyfile_collect_int (kf, g, "min_volume", 30, 0, 1000000000, &c->min_volume);
  g_autofree gchar *rank = ioc_keyfile_collect_string (kf, g, "rank", "xa, cq", FALSE);
  g_auto (GStrv) parts = g_strsplit_set (rank, ",;", -1);
  g_autoptr (GPtrArray) prefixes = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const gchar *p = g_strstrip (parts[i]);
      if (p[0] == '\0')
        continue;
      gboolean lower = is_word (p, 16, "");
      for (const gchar *q = p; lower && *q; q++)
        lower = g_ascii_islower (*q);
      if (!lower)
        ioc_keyfile_problem (kf, g, "rank",
                             "expected unit code prefixes such as xa, cq (lower-case letters), got '%s'", p);
      else if (!g_ptr_array_find_with_equal_func (prefixes, p, g_str_equal, NULL))
        g_ptr_array_add (prefixes, g_strdup (p));
    }
  g_ptr_array_add (prefixes, NULL);
  c->rank_prefixes = (gchar **) g_ptr_array_steal (prefixes, NULL);
}

static void
read_group (IocKeyFile *kf, const gchar *group, const gchar *id, GArray *groups)
{
  ioc_keyfile_collect_keys (kf, group, group_keys);
  if (!is_word (id, 32, "_-"))
    {
      ioc_keyfile_problem (kf, group, NULL,
                           "expected [group ID] with an ID of letters, digits, '_' or '-' (at most 32), got '%s'",
                           id);
      return;
    }
  IocScoreGroupDef gd = { 0 };
  gd.id = g_strdup (id);
  gd.name = name_key (kf, group, "name", TRUE, NULL);
  if (gd.name == NULL)
    gd.name = g_strdup (id);
  gd.name_en = name_key (kf, group, "name_en", FALSE, gd.name);
  gd.line = ioc_keyfile_group_line (kf, group);
  g_array_append_val (groups, gd);
}

/* Returns FALSE when its max could not be read (the sum is then unknown). */
static gboolean
read_indicator (IocKeyFile *kf, const gchar *group, const gchar *id, IocScoreConfig *c, GArray *indicators)
{
  ioc_keyfile_collect_keys (kf, group, indicator_keys);
  if (!is_word (id, 16, "._-"))
    {
      ioc_keyfile_problem (kf, group, NULL,
                           "expected [indicator ID] with an ID such as 2.1 or 3.5b (letters, digits, '.', "
                           "'_' or '-', at most 16), got '%s'",
                           id);
      return TRUE;
    }
  IocScoreIndicatorDef d = { 0 };
  d.id = g_strdup (id);
  d.line = ioc_keyfile_group_line (kf, group);
  d.name = name_key (kf, group, "name", TRUE, NULL);
  if (d.name == NULL)
    d.name = g_strdup (id);
  d.name_en = name_key (kf, group, "name_en", FALSE, d.name);
  d.source = name_key (kf, group, "source", TRUE, NULL);
  d.formula = ioc_keyfile_collect_string (kf, group, "formula", NULL, FALSE);

  d.group = G_MAXUINT;
  g_autofree gchar *gname = ioc_keyfile_collect_string (kf, group, "group", NULL, TRUE);
  if (gname != NULL)
    {
      g_autoptr (GPtrArray) ids = g_ptr_array_new ();
      for (guint i = 0; i < c->n_groups; i++)
        g_ptr_array_add (ids, c->groups[i].id);
      g_ptr_array_add (ids, NULL);
      gint gi = pick (kf, group, "group", gname, (const gchar *const *) ids->pdata);
      if (gi >= 0)
        d.group = (guint) gi;
    }

  /* Required, and never 0 by omission: "max =" is an error too. */
  g_autofree gchar *max = ioc_keyfile_collect_string (kf, group, "max", NULL, TRUE);
  gboolean max_ok = max != NULL && max[0] != '\0';
  if (max != NULL && max[0] == '\0')
    ioc_keyfile_problem (kf, group, "max", "expected a number from 0 to %g, got ''", c->total);
  else if (max != NULL)
    max_ok = ioc_keyfile_collect_double (kf, group, "max", 0, 0, c->total, &d.max);

  g_autofree gchar *target = ioc_keyfile_collect_string (kf, group, "target", "", FALSE);
  if (target[0] != '\0')
    {
      /* Above 0: R × max / T divides by it; at most 100: R is a share. */
      gdouble t = 0;
      if (ioc_keyfile_collect_double (kf, group, "target", 0, 0, 100, &t) && t <= 0)
        ioc_keyfile_problem (kf, group, "target", "expected a target above 0 and at most 100 (%%), got '%s'",
                             target);
      else if (t > 0)
        {
          d.has_target = TRUE;
          d.target = t;
        }
    }

  g_autofree gchar *input = ioc_keyfile_collect_string (kf, group, "input", NULL, TRUE);
  if (input != NULL)
    {
      gint ii = pick (kf, group, "input", input, input_names);
      d.input = ii >= 0 ? (IocScoreInput) ii : IOC_SCORE_INPUT_NONE;
    }
  g_autofree gchar *agg = ioc_keyfile_collect_string (kf, group, "aggregate", NULL, FALSE);
  if (agg != NULL)
    {
      if (input != NULL && d.input != IOC_SCORE_INPUT_CONNECTOR)
        ioc_keyfile_problem (kf, group, "aggregate",
                             "only for input = connector (the hub sums its own numerators), got '%s'", agg);
      gint ai = pick (kf, group, "aggregate", agg, aggregate_names);
      d.aggregate = ai >= 0 ? (IocScoreAggregate) ai : IOC_SCORE_AGG_SUM;
    }
  g_array_append_val (indicators, d);
  return max_ok;
}

/* The kind of a group header: 0 scorecard, 1 group, 2 indicator, -1 none
 * (recorded).  *id is what follows the kind word. */
static gint
group_kind (IocKeyFile *kf, const gchar *group, const gchar **id)
{
  const gchar *sp = strchr (group, ' ');
  g_autofree gchar *word = sp != NULL ? g_strndup (group, (gsize) (sp - group)) : g_strdup (group);
  *id = sp != NULL ? sp + 1 : "";
  for (guint i = 0; group_kinds[i] != NULL; i++)
    if (strcmp (word, group_kinds[i]) == 0)
      {
        if ((i == 0) != (sp == NULL))
          break;
        return (gint) i;
      }
  const gchar *near = ioc_suggest (word, group_kinds);
  if (near != NULL && strcmp (near, word) != 0)
    ioc_keyfile_problem (kf, group, NULL,
                         "expected [scorecard], [group ID] or [indicator ID]; did you mean [%s%s%s]?", near,
                         strcmp (near, "scorecard") == 0 ? "" : " ", strcmp (near, "scorecard") == 0 ? "" : *id);
  else
    ioc_keyfile_problem (kf, group, NULL, "expected [scorecard], [group ID] or [indicator ID]");
  return -1;
}

static IocScoreConfig *
parse (IocKeyFile *kf, GError **error)
{
  g_autoptr (IocScoreConfig) c = g_new0 (IocScoreConfig, 1);
  c->path = g_strdup (kf->path);
  ioc_keyfile_collect_repeats (kf);
  read_scorecard (kf, c);

  g_auto (GStrv) names = g_key_file_get_groups (kf->kf, NULL);
  /* Groups first: an indicator may come before its group in the file. */
  g_autoptr (GArray) groups = g_array_new (FALSE, TRUE, sizeof (IocScoreGroupDef));
  gint *kinds = g_new0 (gint, g_strv_length (names) + 1);
  for (guint i = 0; names[i] != NULL; i++)
    {
      const gchar *id;
      kinds[i] = group_kind (kf, names[i], &id);
      if (kinds[i] == 1)
        read_group (kf, names[i], id, groups);
    }
  c->n_groups = groups->len;
  c->groups = (IocScoreGroupDef *) g_array_free (g_steal_pointer (&groups), FALSE);

  g_autoptr (GArray) indicators = g_array_new (FALSE, TRUE, sizeof (IocScoreIndicatorDef));
  gboolean maxima_known = TRUE;
  for (guint i = 0; names[i] != NULL; i++)
    if (kinds[i] == 2 && !read_indicator (kf, names[i], strchr (names[i], ' ') + 1, c, indicators))
      maxima_known = FALSE;
  g_free (kinds);
  c->n_indicators = indicators->len;
  c->indicators = (IocScoreIndicatorDef *) g_array_free (g_steal_pointer (&indicators), FALSE);

  if (c->n_indicators == 0)
    ioc_keyfile_problem_at (kf, 0, "expected at least one [indicator ID] group");
  gdouble sum = 0;
  for (guint i = 0; i < c->n_indicators; i++)
    {
      const IocScoreIndicatorDef *d = &c->indicators[i];
      sum += d->max;
      if (d->group < c->n_groups)
        c->groups[d->group].max += d->max;
    }
  for (guint i = 0; i < c->n_groups; i++)
    {
      gboolean used = FALSE;
      for (guint j = 0; j < c->n_indicators && !used; j++)
        used = c->indicators[j].group == i;
      if (!used)
        {
          g_autofree gchar *header = g_strconcat ("group ", c->groups[i].id, NULL);
          ioc_keyfile_problem (kf, header, NULL, "no [indicator ID] has group = %s", c->groups[i].id);
        }
    }
  /* The weights are what the province is judged on: a typo in one of them
   * must not pass as a new weighting.  (A max already reported as bad
   * would make this sum wrong too: said once is enough.) */
  if (c->n_indicators > 0 && maxima_known && fabs (sum - c->total) > 1e-9)
    ioc_keyfile_problem (kf, "scorecard", "total",
                         "expected the indicators' maxima to add up to %g, they add up to %g", c->total, sum);

  if (!ioc_keyfile_problems_error (kf, error))
    return NULL;
  return g_steal_pointer (&c);
}

IocScoreConfig *
ioc_score_config_load_data (const gchar *path_for_errors, const gchar *data, gsize len, GError **error)
{
  g_return_val_if_fail (path_for_errors != NULL && (data != NULL || len == 0), NULL);
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load_data (path_for_errors, data != NULL ? data : "", len, error);
  if (kf == NULL)
    return NULL;
  return parse (kf, error);
}

IocScoreConfig *
ioc_score_config_load (const gchar *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load (path, error);
  if (kf == NULL)
    return NULL;
  return parse (kf, error);
}
