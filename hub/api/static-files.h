/* static-files.h — serves the wall display's files ([http] dashboard_dir)
 * at "/" from the hub itself: the operations room may have no internet, so
 * nothing comes from a CDN.  Main context only. */
#pragma once

#include "io/http-server.h"

G_BEGIN_DECLS

typedef struct _IocStaticFiles IocStaticFiles;

/* dir must exist; "/" serves dir/index.html.  NULL with an error naming the
 * [http] dashboard_dir key otherwise. */
IocStaticFiles *ioc_static_files_new (const gchar *dir, GError **error);
void            ioc_static_files_free (IocStaticFiles *self);
/* Adds the catch-all route "/" to http. */
void            ioc_static_files_register (IocStaticFiles *self, IocHttpServer *http);

/* The file under root that url_path names, or NULL when it would leave
 * root (.., symlinks out, NUL, backslashes) or names no regular file.
 * Exposed for the tests. */
gchar          *ioc_static_files_resolve (const gchar *root, const gchar *url_path);
/* "text/html; charset=utf-8" etc. by extension; application/octet-stream
 * when unknown. */
const gchar    *ioc_static_files_content_type (const gchar *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocStaticFiles, ioc_static_files_free)

G_END_DECLS
