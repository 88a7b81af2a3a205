/* http-server.h — the hub's HTTP listener (libsoup-3), on the main context.
 * It owns the socket and the route table; handlers live with their owners
 * (api/, the live feed).  Routes are exact paths or prefixes ending in '/'. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _IocHttpServer IocHttpServer;

/* listen is "HOST:PORT" (PORT 0 picks a free port; see ioc_http_server_port). */
IocHttpServer *ioc_http_server_new (const gchar *listen, GError **error);
void           ioc_http_server_free (IocHttpServer *self);
void           ioc_http_server_route (IocHttpServer *self, const gchar *path, SoupServerCallback handler,
                                      gpointer user_data);
guint          ioc_http_server_port (IocHttpServer *self);
SoupServer    *ioc_http_server_soup (IocHttpServer *self);

/* Replies with a complete body; content_type NULL → text/plain. */
void ioc_http_reply (SoupServerMessage *msg, guint status, const gchar *content_type, const gchar *body,
                     gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocHttpServer, ioc_http_server_free)

G_END_DECLS
