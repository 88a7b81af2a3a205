/* test-score-config.c — the scorecard config: the shipped file, and a file
 * with many mistakes reported all at once, each with its line. */
#include <string.h>

#include "protocol/ioc-error.h"
#include "score/score-config.h"

static IocScoreConfig *
load_ok (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  IocScoreConfig *c = ioc_score_config_load_data ("s.conf", text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_nonnull (c);
  return c;
}

static gchar *
load_err (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocScoreConfig) c = ioc_score_config_load_data ("s.conf", text, strlen (text), &error);
  g_assert_null (c);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
  return g_strdup (error->message);
}

/* The file the ops team ships: DOMAIN §1A's weights, group by group. */
static void
test_shipped (void)
{
  g_autofree gchar *path = g_build_filename (IOC_SOURCE_ROOT, "ops", "score-766.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (IocScoreConfig) c = ioc_score_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->version, ==, "2025.11-dvcqg");
  g_assert_cmpfloat (c->total, ==, 100);
  g_assert_cmpint (c->min_volume, ==, 30);
  g_assert_cmpstrv (c->rank_prefixes, ((const gchar *[]){ "xa", "cq", NULL }));
  static const struct
  {
    const gchar *id;
    gdouble max;
  } groups[] = { { "cong-khai", 18 }, { "tien-do", 20 }, { "truc-tuyen", 12 },
                 { "thanh-toan", 10 }, { "so-hoa", 22 }, { "hai-long", 18 } };
  g_assert_cmpuint (c->n_groups, ==, G_N_ELEMENTS (groups));
  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      g_assert_cmpstr (c->groups[i].id, ==, groups[i].id);
      g_assert_cmpfloat_with_epsilon (c->groups[i].max, groups[i].max, 1e-9);
    }
  static const struct
  {
    const gchar *id;
    gdouble max;
    gdouble target; /* 0: none */
    IocScoreInput input;
  } inds[] = {
    { "2.1", 20, 0, IOC_SCORE_INPUT_ONTIME },      { "3.3", 0, 50, IOC_SCORE_INPUT_ONLINE },
    { "3.6", 6, 0, IOC_SCORE_INPUT_PAID_ONLINE },  { "4.1", 6, 0, IOC_SCORE_INPUT_E_RESULT },
    { "4.2", 4, 80, IOC_SCORE_INPUT_DIGITIZED },   { "5.4", 6, 90, IOC_SCORE_INPUT_SATISFACTION },
    { "1.3", 2, 0, IOC_SCORE_INPUT_CONNECTOR },    { "4.x", 2, 0, IOC_SCORE_INPUT_NONE },
    { "3.5b", 2, 80, IOC_SCORE_INPUT_CONNECTOR },
  };
  for (guint i = 0; i < G_N_ELEMENTS (inds); i++)
    {
      gint k = ioc_score_config_find (c, inds[i].id);
      g_assert_cmpint (k, >=, 0);
      const IocScoreIndicatorDef *d = &c->indicators[k];
      g_assert_cmpfloat (d->max, ==, inds[i].max);
      g_assert_cmpint (d->has_target, ==, inds[i].target > 0);
      g_assert_cmpfloat (d->target, ==, inds[i].target);
      g_assert_cmpint (d->input, ==, inds[i].input);
      g_assert_nonnull (d->source);
      g_assert_cmpstr (d->source, !=, "");
    }
  g_assert_cmpint (c->indicators[ioc_score_config_find (c, "1.3")].aggregate, ==, IOC_SCORE_AGG_LATEST);
  g_assert_cmpint (c->indicators[ioc_score_config_find (c, "5.2")].aggregate, ==, IOC_SCORE_AGG_SUM);
  g_assert_cmpint (ioc_score_config_find (c, "9.9"), ==, -1);
}

static void
test_minimal_defaults (void)
{
  g_autoptr (IocScoreConfig) c = load_ok ("[scorecard]\nversion = v1\ntotal = 20\n"
                                          "[indicator 2.1]\ngroup = g\nname = Đúng hạn\nmax = 20\n"
                                          "input = ontime\nsource = test\n"
                                          "[group g]\nname = Tiến độ\n");
  g_assert_cmpint (c->min_volume, ==, 30);
  g_assert_cmpstrv (c->rank_prefixes, ((const gchar *[]){ "xa", "cq", NULL }));
  g_assert_cmpuint (c->n_indicators, ==, 1);
  g_assert_cmpstr (c->indicators[0].name_en, ==, "Đúng hạn"); /* name_en defaults to name */
  g_assert_false (c->indicators[0].has_target);
  g_assert_cmpuint (c->indicators[0].group, ==, 0); /* the group came after its indicator */
  g_assert_cmpuint (c->indicators[0].line, ==, 4);
}

/* One file, every kind of mistake: all reported in one run, in file order
 * of discovery, each with the line to fix. */
static void
test_every_error (void)
{
  const gchar *text = "[scorecard]\n"                /* 1 */
                      "version = 2025 bad\n"         /* 2 */
                      "totl = 100\n"                 /* 3 */
                      "min_volume = lots\n"          /* 4 */
                      "rank = xa, CQ\n"              /* 5 */
                      "[group tien-do]\n"            /* 6 */
                      "name = Tiến độ\n"             /* 7 */
                      "[group empty]\n"              /* 8 */
                      "name = Không dùng\n"          /* 9 */
                      "[indicator 2.1]\n"            /* 10 */
                      "group = tiendo\n"             /* 11 */
                      "name = Đúng hạn\n"            /* 12 */
                      "max = twenty\n"               /* 13 */
                      "target = 0\n"                 /* 14 */
                      "input = ontim\n"              /* 15 */
                      "source = [S3]\n"              /* 16 */
                      "[indicator 3.6]\n"            /* 17 */
                      "group = tien-do\n"            /* 18 */
                      "name = Thanh toán\n"          /* 19 */
                      "max = 6\n"                    /* 20 */
                      "target = 120\n"               /* 21 */
                      "input = paid_online\n"        /* 22 */
                      "aggregate = latest\n"         /* 23 */
                      "wieght = 3\n"                 /* 24 */
                      "[indicatr 4.1]\n"             /* 25 */
                      "max = 6\n"                    /* 26 */
                      "[indicator 5.4]\n"            /* 27 */
                      "group = tien-do\n"            /* 28 */
                      "max =\n"                      /* 29 */
                      "input = connector\n"          /* 30 */
                      "aggregate = newest\n"         /* 31 */
                      "[indicator 3.6]\n"            /* 32 */
                      "max = 7\n";                   /* 33 */
  g_autofree gchar *msg = load_err (text);
  g_auto (GStrv) lines = g_strsplit (msg, "\n", -1);
  static const gchar *const want[] = {
    "s.conf:32: [indicator 3.6]: group written again (first on line 17); give each its own name",
    "s.conf:33: [indicator 3.6] max: key written again (first on line 20); only the last would count",
    "s.conf:3: [scorecard] totl: unknown key; did you mean 'total'?",
    "s.conf:2: [scorecard] version: expected a version of letters, digits, '.', '_' or '-' (at most 64), got '2025 bad'",
    "s.conf:4: [scorecard] min_volume: expected an integer from 0 to 1000000000, got 'lots'",
    "s.conf:5: [scorecard] rank: expected unit code prefixes such as xa, cq (lower-case letters), got 'CQ'",
    "s.conf:25: [indicatr 4.1]: expected [scorecard], [group ID] or [indicator ID]; did you mean [indicator 4.1]?",
    "s.conf:11: [indicator 2.1] group: expected one of tien-do, empty, got 'tiendo'; did you mean 'tien-do'?",
    "s.conf:13: [indicator 2.1] max: expected a number from 0 to 100, got 'twenty'",
    "s.conf:14: [indicator 2.1] target: expected a target above 0 and at most 100 (%), got '0'",
    "s.conf:15: [indicator 2.1] input: expected one of none, connector, ontime, online, paid_online, e_result, "
    "digitized, satisfaction, got 'ontim'; did you mean 'ontime'?",
    "s.conf:24: [indicator 3.6] wieght: unknown key (known keys: group, name, name_en, max, target, input, "
    "aggregate, source, formula)",
    "s.conf:17: [indicator 3.6] source: required key is missing",
    "s.conf:21: [indicator 3.6] target: expected a number from 0 to 100, got '120'",
    "s.conf:23: [indicator 3.6] aggregate: only for input = connector (the hub sums its own numerators), got 'latest'",
    "s.conf:27: [indicator 5.4] name: required key is missing",
    "s.conf:27: [indicator 5.4] source: required key is missing",
    "s.conf:29: [indicator 5.4] max: expected a number from 0 to 100, got ''",
    "s.conf:31: [indicator 5.4] aggregate: expected one of sum, latest, got 'newest'",
    "s.conf:8: [group empty]: no [indicator ID] has group = empty",
    /* No "maxima add up to …": two maxima were already reported bad. */
  };
  for (guint i = 0; i < G_N_ELEMENTS (want) && lines[i] != NULL; i++)
    g_assert_cmpstr (lines[i], ==, want[i]);
  g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (want));
}

/* Each mistake on its own, so that one fix cannot hide another's test. */
static void
test_single_errors (void)
{
  static const gchar head[] = "[scorecard]\nversion = v1\n[group g]\nname = G\n";
  static const struct
  {
    const gchar *body;
    const gchar *want;
  } cases[] = {
    { "[indicator 2.1]\ngroup = g\nname = A\nmax = 100\ninput = ontime\nsource = s\ntarget = -5\n",
      "s.conf:11: [indicator 2.1] target: expected a number from 0 to 100, got '-5'" },
    { "[indicator 2.1]\ngroup = g\nname = A\nmax = 100\ninput = ontime\nsource = s\n[scorecard x]\n",
      "s.conf:11: [scorecard x]: expected [scorecard], [group ID] or [indicator ID]" },
    { "[indicator 2.1]\ngroup = g\nname = A\nmax = 100\ninput = ontime\nsource = s\n[indicator]\n",
      "s.conf:11: [indicator]: expected [scorecard], [group ID] or [indicator ID]" },
    { "[indicator 2 1]\ngroup = g\nname = A\nmax = 100\ninput = ontime\nsource = s\n",
      "s.conf:5: [indicator 2 1]: expected [indicator ID] with an ID such as 2.1" },
    { "[indicator 2.1]\ngroup = g\nname = A\nmax = 60\ninput = ontime\nsource = s\n",
      "s.conf:1: [scorecard] total: expected the indicators' maxima to add up to 100, they add up to 60" },
    { "[indicator 2.1]\ngroup = g\nname = \nmax = 100\ninput = ontime\nsource = s\n",
      "s.conf:7: [indicator 2.1] name: expected a non-empty text, got ''" },
    { "[indicator 2.1]\ngroup = g\nname = A\nmax = 100\nsource = s\n",
      "s.conf:5: [indicator 2.1] input: required key is missing" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *text = g_strconcat (head, cases[i].body, NULL);
      g_autofree gchar *msg = load_err (text);
      if (!g_str_has_prefix (msg, cases[i].want))
        g_error ("case %u: got\n%s\nwant a message starting\n%s", i, msg, cases[i].want);
    }
  g_autofree gchar *none = load_err ("[scorecard]\nversion = v1\n");
  g_assert_cmpstr (none, ==, "s.conf: expected at least one [indicator ID] group");
  g_autofree gchar *syntax = load_err ("[scorecard]\nthis line is broken\n");
  g_assert_true (g_str_has_prefix (syntax, "s.conf:2: "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/score-config/shipped", test_shipped);
  g_test_add_func ("/ioc/score-config/minimal-defaults", test_minimal_defaults);
  g_test_add_func ("/ioc/score-config/every-error", test_every_error);
  g_test_add_func ("/ioc/score-config/single-errors", test_single_errors);
  return g_test_run ();
}
