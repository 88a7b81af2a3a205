/* static-files.c — the wall display's files, served read-only from
 * [http] dashboard_dir.
 *
 * Where in the flow: none; it is the page that then reads the JSON API.
 * Thread: main context (libsoup handlers).  Files are small (a page, its
 * script, a chart library, fonts), so each is read whole per request; the
 * page is cached by the browser, so this is not a hot path.
 *
 * Safety: the URL path is checked segment by segment (no "..", no hidden
 * files, no backslash or NUL) and the resolved real path must still lie
 * under the real root, so a symlink cannot lead out of it either. */
#include "api/static-files.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/http-server.h"
#include "protocol/ioc-error.h"

struct _IocStaticFiles
{
  gchar *root; /* realpath of dashboard_dir */
};

static const struct
{
  const gchar *ext;
  const gchar *type;
  gboolean revalidate; /* HTML: always revalidate, so a new page reaches the wall */
} types[] = {
  { ".html", "text/html; charset=utf-8", TRUE },
  { ".js", "text/javascript; charset=utf-8", FALSE },
  { ".mjs", "text/javascript; charset=utf-8", FALSE },
  { ".css", "text/css; charset=utf-8", FALSE },
  { ".json", "application/json", TRUE },
  { ".svg", "image/svg+xml", FALSE },
  { ".png", "image/png", FALSE },
  { ".ico", "image/x-icon", FALSE },
  { ".woff2", "font/woff2", FALSE },
  { ".woff", "font/woff", FALSE },
  { ".txt", "text/plain; charset=utf-8", TRUE },
};

const gchar *
ioc_static_files_content_type (const gchar *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (path, types[i].ext))
      return types[i].type;
  return "application/octet-stream";
}

static gboolean
must_revalidate (const gchar *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (path, types[i].ext))
      return types[i].revalidate;
  return TRUE;
}

gchar *
ioc_static_files_resolve (const gchar *root, const gchar *url_path)
{
  if (url_path == NULL || url_path[0] != '/')
    return NULL;
  /* libsoup hands over the path still percent-encoded; decode it once and
   * refuse what decodes to a separator or NUL trick. */
  g_autofree gchar *decoded = g_uri_unescape_string (url_path, NULL);
  if (decoded == NULL || strchr (decoded, '\\') != NULL)
    return NULL;
  g_autoptr (GString) rel = g_string_new (NULL);
  g_auto (GStrv) parts = g_strsplit (decoded + 1, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const gchar *p = parts[i];
      if (p[0] == '\0')
        continue; /* "//" and the trailing "/" */
      if (p[0] == '.') /* "..", ".", and hidden files such as .git */
        return NULL;
      if (rel->len > 0)
        g_string_append_c (rel, '/');
      g_string_append (rel, p);
    }
  if (rel->len == 0 || g_str_has_suffix (decoded, "/"))
    g_string_append (rel, rel->len == 0 ? "index.html" : "/index.html");

  g_autofree gchar *joined = g_build_filename (root, rel->str, NULL);
  gchar *real = realpath (joined, NULL); /* malloc'd: free(), not g_free() */
  if (real == NULL)
    return NULL;
  gsize rlen = strlen (root);
  if (strncmp (real, root, rlen) != 0 || real[rlen] != '/')
    {
      free (real);
      return NULL;
    }
  gchar *out = NULL;
  if (g_file_test (real, G_FILE_TEST_IS_REGULAR))
    out = g_strdup (real);
  free (real);
  return out;
}

static void
files_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  IocStaticFiles *self = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      ioc_http_reply (msg, 405, NULL, "method not allowed\n", 19);
      return;
    }
  g_autofree gchar *file = ioc_static_files_resolve (self->root, path);
  gchar *data = NULL;
  gsize len = 0;
  if (file == NULL || !g_file_get_contents (file, &data, &len, NULL))
    {
      ioc_http_reply (msg, 404, NULL, "not found\n", 10);
      return;
    }
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  /* The page must pick up a new version on its next reload; the rest may
   * be cached for an hour (file names carry no content hash). */
  soup_message_headers_replace (h, "Cache-Control", must_revalidate (file) ? "no-cache" : "public, max-age=3600");
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  GStatBuf st;
  if (g_stat (file, &st) == 0)
    {
      g_autoptr (GDateTime) mtime = g_date_time_new_from_unix_utc (st.st_mtime);
      g_autofree gchar *lm = g_date_time_format (mtime, "%a, %d %b %Y %H:%M:%S GMT");
      soup_message_headers_replace (h, "Last-Modified", lm);
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, ioc_static_files_content_type (file), SOUP_MEMORY_TAKE, data, len);
}

IocStaticFiles *
ioc_static_files_new (const gchar *dir, GError **error)
{
  gchar *real = realpath (dir, NULL);
  if (real == NULL || !g_file_test (real, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "[http] dashboard_dir: expected a folder with the wall display (ops/setup-web.sh builds it), got '%s'%s%s",
                   dir, real == NULL ? ": " : "", real == NULL ? g_strerror (errno) : "");
      free (real);
      return NULL;
    }
  IocStaticFiles *self = g_new0 (IocStaticFiles, 1);
  self->root = g_strdup (real);
  free (real);
  return self;
}

void
ioc_static_files_free (IocStaticFiles *self)
{
  if (self == NULL)
    return;
  g_free (self->root);
  g_free (self);
}

void
ioc_static_files_register (IocStaticFiles *self, IocHub *hub)
{
  ioc_hub_add_route (hub, "/", files_cb, self);
}
