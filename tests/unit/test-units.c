/* test-units.c — the dated unit registry (SPEC §2): lookups across the
 * 2025-07-01 merger with reused codes, successors, CSV errors, and the
 * shipped ops/units/nghe-an.csv.
 *
 * Files are found through G_TEST_SRCDIR (set it to tests/unit), or
 * IOC_SOURCE_ROOT (the source tree's root). */
#include <string.h>

#include <glib.h>

#include "model/record.h"
#include "model/units.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-time.h"

static gchar *
source_file (const gchar *first, ...)
{
  const gchar *root = g_getenv ("IOC_SOURCE_ROOT");
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();
  va_list ap;
  g_autofree gchar *rel = NULL;

  va_start (ap, first);
  for (const gchar *p = first; p != NULL; p = va_arg (ap, const gchar *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (ap);
  g_ptr_array_add (parts, NULL);
  rel = g_build_filenamev ((gchar **) parts->pdata);
  if (root != NULL)
    return g_build_filename (root, rel, NULL);
  return g_build_filename (g_test_get_dir (G_TEST_DIST), "..", "..", rel, NULL);
}

static IocUnitRegistry *
load_fixture (void)
{
  g_autofree gchar *path = source_file ("tests", "fixtures", "units-test.csv", NULL);
  g_autoptr (GError) error = NULL;
  IocUnitRegistry *reg = ioc_units_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reg);
  return reg;
}

/* Vietnam-local wall time. */
#define LOCAL(y, m, d, h, mi) ioc_time_from_local (y, m, d, h, mi)

static void
test_dated_lookup (void)
{
  g_autoptr (IocUnitRegistry) reg = load_fixture ();
  static const struct
  {
    const gchar *code;
    gint y, m, d, h, mi;
    const gchar *want_name; /* NULL: not valid then */
  } cases[] = {
    /* xa-16681 is reused: Quang Trung until 30 June, Thành Vinh from 1 July */
    { "xa-16681", 2025, 6, 30, 23, 59, "Phường Quang Trung" },
    { "xa-16681", 2025, 7, 1, 0, 0, "Phường Thành Vinh" },
    { "xa-16681", 2000, 1, 1, 0, 0, "Phường Quang Trung" },
    { "xa-16663", 2025, 6, 30, 23, 59, "Phường Đông Vĩnh" },
    { "xa-16663", 2025, 7, 1, 0, 0, NULL },
    { "ca-16681", 2025, 6, 30, 12, 0, NULL },
    { "ca-16681", 2025, 7, 1, 8, 0, "Công an phường Thành Vinh" },
    { "xa-90001", 2019, 12, 31, 23, 59, NULL },
    { "xa-90001", 2020, 1, 1, 0, 0, "Xã \"Thử\", nghiệm" },
    { "xa-90001", 2022, 12, 31, 23, 59, "Xã \"Thử\", nghiệm" },
    { "xa-90001", 2023, 1, 1, 0, 0, NULL },
    { "tinh-40", 1990, 1, 1, 0, 0, "Trung tâm Phục vụ hành chính công tỉnh Nghệ An" },
    { "xa-99999", 2025, 7, 1, 0, 0, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 ts = LOCAL (cases[i].y, cases[i].m, cases[i].d, cases[i].h, cases[i].mi);
      const IocUnit *u = ioc_units_lookup (reg, cases[i].code, ts);
      g_test_message ("case %u: %s", i, cases[i].code);
      if (cases[i].want_name == NULL)
        {
          g_assert_null (u);
          continue;
        }
      g_assert_nonnull (u);
      g_assert_cmpstr (u->name, ==, cases[i].want_name);
      g_assert_true (u->code == ioc_intern (cases[i].code));
    }
  /* The boundary is local midnight: 17:00 UTC on 30 June. */
  {
    const IocUnit *u = ioc_units_lookup (reg, "xa-16681", G_GINT64_CONSTANT (1751302800000000));
    g_assert_nonnull (u);
    g_assert_cmpstr (u->name, ==, "Phường Thành Vinh");
    g_assert_cmpint (u->valid_from_us, ==, G_GINT64_CONSTANT (1751302800000000));
    g_assert_cmpint (u->valid_to_us, ==, G_MAXINT64);
    g_assert_true (u->parent == ioc_intern ("tinh-40"));
  }
}

static void
test_resolve (void)
{
  g_autoptr (IocUnitRegistry) reg = load_fixture ();
  gint64 before = LOCAL (2025, 6, 1, 9, 0);
  gint64 after = LOCAL (2025, 8, 1, 9, 0);

  g_assert_true (ioc_units_resolve (reg, "xa-16663", before) == ioc_intern ("xa-16681"));
  g_assert_true (ioc_units_resolve (reg, "xa-16681", before) == ioc_intern ("xa-16681"));
  g_assert_true (ioc_units_resolve (reg, "xa-16681", after) == ioc_intern ("xa-16681"));
  /* two hops: xa-90001 → xa-90002 (2023) → xa-16681 (2025) */
  g_assert_true (ioc_units_resolve (reg, "xa-90001", LOCAL (2021, 5, 5, 0, 0)) == ioc_intern ("xa-16681"));
  g_assert_null (ioc_units_resolve (reg, "xa-16663", after));
  g_assert_null (ioc_units_resolve (reg, "xa-00000", before));
}

static void
test_current (void)
{
  g_autoptr (IocUnitRegistry) reg = load_fixture ();
  g_autoptr (GPtrArray) now = ioc_units_current (reg, LOCAL (2026, 1, 1, 0, 0));
  g_autoptr (GPtrArray) then = ioc_units_current (reg, LOCAL (2021, 1, 1, 0, 0));
  const gchar *want_now[] = { "ca-16681", "tinh-40", "xa-16681" };
  const gchar *want_then[] = { "tinh-40", "xa-16663", "xa-16681", "xa-90001" };

  g_assert_cmpint (ioc_units_size (reg), ==, 7);
  g_assert_cmpint (now->len, ==, G_N_ELEMENTS (want_now));
  for (guint i = 0; i < now->len; i++)
    g_assert_cmpstr (((IocUnit *) now->pdata[i])->code, ==, want_now[i]);
  g_assert_cmpint (then->len, ==, G_N_ELEMENTS (want_then));
  for (guint i = 0; i < then->len; i++)
    g_assert_cmpstr (((IocUnit *) then->pdata[i])->code, ==, want_then[i]);
}

#define HEADER "code,name,kind,parent,valid_from,valid_to,successor\n"

static void
test_csv_errors (void)
{
  static const struct
  {
    const gchar *data;
    const gchar *want; /* substring of the message */
  } cases[] = {
    { "code,name,kind,parent,valid_from\n", "units.csv:1: expected the header" },
    { "code,name,kind,parent,valid_from,valid_to\nxa-1,A,xa,,,,\n", "units.csv:2: expected 6 columns" },
    { HEADER "xa-1,A,xa,,,\n", "units.csv:2: expected 7 columns" },
    { HEADER "xa-1,A,xa,,,,\nXA-2,B,xa,,,,\n", "units.csv:3: column 1 (code): expected a code" },
    { HEADER "xa-1,,xa,,,,\n", "units.csv:2: column 2 (name): expected a name" },
    { HEADER "xa-1,A,,,,,\n", "units.csv:2: column 3 (kind)" },
    { HEADER "xa-1,A,xa,,2025-02-29,,\n", "units.csv:2: column 5 (valid_from): expected a date YYYY-MM-DD" },
    { HEADER "xa-1,A,xa,,2025-7-1,,\n", "units.csv:2: column 5 (valid_from)" },
    { HEADER "xa-1,A,xa,,,31/12/2025,\n", "units.csv:2: column 6 (valid_to)" },
    { HEADER "xa-1,A,xa,,2025-07-02,2025-07-01,\n", "units.csv:2: column 6 (valid_to): expected valid_to on or after" },
    { HEADER "xa-1,A,xa,,,2025-06-30,\nxa-1,B,xa,,2025-06-30,,\n",
      "units.csv:3: column 5 (valid_from): expected validity of 'xa-1' not to overlap its row on line 2" },
    { HEADER "xa-1,A,xa,,,,\nxa-1,B,xa,,2025-07-01,,\n", "not to overlap" },
    { HEADER "xa-1,A,xa,,,2025-06-30,xa-9\n", "units.csv:2: column 7 (successor): expected a code of this registry, got 'xa-9'" },
    { HEADER "xa-1,A,xa,,,2025-06-30,xa-2\nxa-2,B,xa,,2025-08-01,,\n",
      "units.csv:2: column 7 (successor): expected successor 'xa-2' to be valid on 2025-07-01" },
    { HEADER "xa-1,A,xa,,,,xa-2\nxa-2,B,xa,,,,\n", "expected no successor for a unit without valid_to" },
    { HEADER "xa-1,A,xa,tinh-9,,,\n", "units.csv:2: column 4 (parent): expected a code of this registry" },
    { HEADER "xa-1,\"A,xa,,,,\n", "units.csv:2: column 2 (name): expected a closing quote" },
    { HEADER "xa-1,\"A\"x,xa,,,,\n", "units.csv:2: column 2 (name): expected ',' or end of line" },
    { HEADER "xa-1,A\"B,xa,,,,\n", "units.csv:2: column 2 (name): expected no quote" },
    { HEADER "xa-1,\"multi\nline\",xa,,,,\nxa-2,B,xa,,x,,\n", "units.csv:4: column 5 (valid_from)" },
    { HEADER "xa-1,A\xff,xa,,,,\n", "units.csv:2: expected UTF-8 text" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IocUnitRegistry) reg = NULL;
      g_test_message ("case %u: %s", i, cases[i].want);
      reg = ioc_units_load_data ("units.csv", cases[i].data, strlen (cases[i].data), &error);
      g_assert_null (reg);
      g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
      if (strstr (error->message, cases[i].want) == NULL)
        g_error ("case %u: got \"%s\", want \"%s\"", i, error->message, cases[i].want);
    }
}

static void
test_csv_forms (void)
{
  /* BOM, CRLF, blank lines, quoted fields with "" and a missing final EOL. */
  const gchar data[] = "\xEF\xBB\xBF" "code,name,kind,parent,valid_from,valid_to,successor\r\n"
                       "\r\n"
                       "tinh-40,\"Tỉnh \"\"Nghệ An\"\", 40\",tinh,,,,\r\n"
                       "xa-1,\"Xã\nMột\",xa,tinh-40,2025-07-01,,";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocUnitRegistry) reg = ioc_units_load_data ("x.csv", data, strlen (data), &error);
  const IocUnit *u;

  g_assert_no_error (error);
  g_assert_cmpint (ioc_units_size (reg), ==, 2);
  u = ioc_units_lookup (reg, "tinh-40", 0);
  g_assert_cmpstr (u->name, ==, "Tỉnh \"Nghệ An\", 40");
  u = ioc_units_lookup (reg, "xa-1", LOCAL (2025, 7, 1, 0, 0));
  g_assert_cmpstr (u->name, ==, "Xã\nMột");
  g_assert_null (u->successor);
}

/* SPEC §2: a registry without the successor column stays valid. */
static void
test_six_columns (void)
{
  const gchar data[] = "code,name,kind,parent,valid_from,valid_to\n"
                       "tinh-40,Tỉnh Nghệ An,tinh,,,\n"
                       "xa-1,Xã Một,xa,tinh-40,,2025-06-30\n"
                       "xa-2,Phường Hai,phuong,tinh-40,2025-07-01,\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (IocUnitRegistry) reg = ioc_units_load_data ("six.csv", data, strlen (data), &error);
  g_assert_no_error (error);
  g_assert_cmpint (ioc_units_size (reg), ==, 3);
  const IocUnit *u = ioc_units_lookup (reg, "xa-1", LOCAL (2025, 6, 30, 12, 0));
  g_assert_nonnull (u);
  g_assert_cmpstr (u->parent, ==, "tinh-40");
  g_assert_null (u->successor);
  g_assert_null (ioc_units_lookup (reg, "xa-1", LOCAL (2025, 7, 1, 0, 0)));
  g_assert_nonnull (ioc_units_lookup (reg, "xa-2", LOCAL (2025, 7, 1, 0, 0)));
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocUnitRegistry) reg = ioc_units_load ("/nonexistent/units.csv", &error);
  g_assert_null (reg);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_IO);
}

/* The shipped registry: ops/units/README.md promises these counts. */
static void
test_nghe_an (void)
{
  g_autofree gchar *path = source_file ("ops", "units", "nghe-an.csv", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (IocUnitRegistry) reg = ioc_units_load (path, &error);
  g_autoptr (GPtrArray) now = NULL;
  g_autoptr (GPtrArray) before = NULL;
  guint n_xa = 0, n_ca = 0, n_kind_xa = 0, n_kind_phuong = 0;
  const IocUnit *u;

  g_assert_no_error (error);
  g_assert_cmpint (ioc_units_size (reg), ==, 1 + 130 + 412 + 130);

  now = ioc_units_current (reg, LOCAL (2026, 11, 22, 8, 0));
  for (guint i = 0; i < now->len; i++)
    {
      const IocUnit *cu = now->pdata[i];
      if (g_str_has_prefix (cu->code, "xa-"))
        {
          n_xa++;
          n_kind_xa += g_strcmp0 (cu->kind, "xa") == 0;
          n_kind_phuong += g_strcmp0 (cu->kind, "phuong") == 0;
          g_assert_true (cu->parent == ioc_intern ("tinh-40"));
        }
      if (g_str_has_prefix (cu->code, "ca-"))
        n_ca++;
    }
  g_assert_cmpint (n_xa, ==, 130);
  g_assert_cmpint (n_kind_xa, ==, 119);
  g_assert_cmpint (n_kind_phuong, ==, 11);
  g_assert_cmpint (n_ca, ==, 130);
  g_assert_cmpint (now->len, ==, 1 + 130 + 130);

  before = ioc_units_current (reg, LOCAL (2025, 6, 30, 12, 0));
  g_assert_cmpint (before->len, ==, 1 + 412);

  /* Phường Thành Vinh kept the code of old Phường Quang Trung. */
  u = ioc_units_lookup (reg, "xa-16681", LOCAL (2025, 6, 30, 23, 59));
  g_assert_cmpstr (u->name, ==, "Phường Quang Trung");
  g_assert_true (u->successor == ioc_intern ("xa-16681"));
  u = ioc_units_lookup (reg, "xa-16681", LOCAL (2025, 7, 1, 0, 0));
  g_assert_cmpstr (u->name, ==, "Phường Thành Vinh");
  /* Old Phường Đông Vĩnh (16663) was merged into Thành Vinh. */
  g_assert_true (ioc_units_resolve (reg, "xa-16663", LOCAL (2024, 3, 1, 9, 0)) == ioc_intern ("xa-16681"));
  g_assert_null (ioc_units_lookup (reg, "xa-16663", LOCAL (2025, 7, 1, 0, 0)));
  u = ioc_units_lookup (reg, "tinh-40", LOCAL (2026, 1, 1, 0, 0));
  g_assert_cmpstr (u->name, ==, "Trung tâm Phục vụ hành chính công tỉnh Nghệ An");
  u = ioc_units_lookup (reg, "ca-16681", LOCAL (2026, 1, 1, 0, 0));
  g_assert_true (u->parent == ioc_intern ("xa-16681"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/units/dated-lookup", test_dated_lookup);
  g_test_add_func ("/ioc/units/resolve", test_resolve);
  g_test_add_func ("/ioc/units/current", test_current);
  g_test_add_func ("/ioc/units/csv-errors", test_csv_errors);
  g_test_add_func ("/ioc/units/csv-forms", test_csv_forms);
  g_test_add_func ("/ioc/units/six-columns", test_six_columns);
  g_test_add_func ("/ioc/units/missing-file", test_missing_file);
  g_test_add_func ("/ioc/units/nghe-an", test_nghe_an);
  return g_test_run ();
}
