/* test-static-files.c — what the wall page's file server will and will not
 * hand out: ioc_static_files_resolve() over a real temporary folder with a
 * symlink pointing out of it.  Pure logic, no server. */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/static-files.h"
#include "test-hub.h"

static gchar *root;

static void
write_file (const gchar *rel, const gchar *text)
{
  g_autofree gchar *path = g_build_filename (root, rel, NULL);
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
assert_serves (const gchar *url, const gchar *rel)
{
  g_autofree gchar *want = g_build_filename (root, rel, NULL);
  g_autofree gchar *got = ioc_static_files_resolve (root, url);
  g_assert_cmpstr (got, ==, want);
}

static void
assert_refuses (const gchar *url)
{
  g_autofree gchar *got = ioc_static_files_resolve (root, url);
  if (got != NULL)
    g_error ("%s resolved to %s", url, got);
}

static void
test_resolve (void)
{
  assert_serves ("/", "index.html");
  assert_serves ("/index.html", "index.html");
  assert_serves ("/vendor/fonts/a.woff2", "vendor/fonts/a.woff2");
  assert_serves ("//vendor//uPlot.js", "vendor/uPlot.js");
  assert_serves ("/vendor/", "vendor/index.html");
  assert_serves ("/t%E1%BB%87p.txt", "tệp.txt"); /* percent-encoded UTF-8 name */

  assert_refuses ("/../outside.txt");
  assert_refuses ("/vendor/../../outside.txt");
  assert_refuses ("/%2e%2e/outside.txt");
  assert_refuses ("/%2E%2E%2Foutside.txt");
  assert_refuses ("/..%5coutside.txt");
  assert_refuses ("/.hidden");
  assert_refuses ("/vendor/.git/config");
  assert_refuses ("/escape/outside.txt"); /* a symlink out of the root */
  assert_refuses ("/missing.html");
  assert_refuses ("/vendor/fonts");       /* a folder without index.html */
  assert_refuses ("/index.html%00.png");
  assert_refuses ("relative.html");
}

static void
test_content_types (void)
{
  g_assert_cmpstr (ioc_static_files_content_type ("a/index.html"), ==, "text/html; charset=utf-8");
  g_assert_cmpstr (ioc_static_files_content_type ("app.js"), ==, "text/javascript; charset=utf-8");
  g_assert_cmpstr (ioc_static_files_content_type ("app.css"), ==, "text/css; charset=utf-8");
  g_assert_cmpstr (ioc_static_files_content_type ("f.woff2"), ==, "font/woff2");
  g_assert_cmpstr (ioc_static_files_content_type ("x.bin"), ==, "application/octet-stream");
}

static void
test_new_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IocStaticFiles) none = ioc_static_files_new ("/nonexistent/www", &error);
  g_assert_null (none);
  g_assert_nonnull (strstr (error->message, "[http] dashboard_dir"));
  g_autoptr (IocStaticFiles) ok = ioc_static_files_new (root, NULL);
  g_assert_nonnull (ok);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autofree gchar *base = g_dir_make_tmp ("ioc-static-XXXXXX", NULL);
  g_assert_nonnull (base);
  /* realpath: the resolver answers with real paths. */
  g_autofree gchar *real_base = realpath (base, NULL);
  root = g_build_filename (real_base, "www", NULL);
  write_file ("index.html", "<html></html>");
  write_file ("vendor/uPlot.js", "x");
  write_file ("vendor/index.html", "x");
  write_file ("vendor/fonts/a.woff2", "x");
  write_file ("vendor/.git/config", "x");
  write_file (".hidden", "x");
  write_file ("tệp.txt", "x");
  g_autofree gchar *outside = g_build_filename (real_base, "outside.txt", NULL);
  g_assert_true (g_file_set_contents (outside, "secret", -1, NULL));
  g_autofree gchar *link = g_build_filename (root, "escape", NULL);
  g_assert_cmpint (symlink (real_base, link), ==, 0);

  g_test_add_func ("/static-files/resolve", test_resolve);
  g_test_add_func ("/static-files/content-types", test_content_types);
  g_test_add_func ("/static-files/new-errors", test_new_errors);
  int rc = g_test_run ();
  ioc_test_rm_rf (real_base);
  g_free (root);
  return rc;
}
