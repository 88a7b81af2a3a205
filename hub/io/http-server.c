/* http-server.c — see http-server.h.  Main context only. */
#include "io/http-server.h"

#include <gio/gio.h>
#include <string.h>

#include "protocol/ioc-error.h"

struct _IocHttpServer
{
  SoupServer *server;
  guint port;
};

IocHttpServer *
ioc_http_server_new (const gchar *listen, GError **error)
{
  g_autoptr (GSocketConnectable) addr = g_network_address_parse (listen, 8080, error);
  if (addr == NULL)
    {
      g_prefix_error (error, "[http] listen: expected HOST:PORT, got '%s': ", listen);
      return NULL;
    }
  const gchar *host = g_network_address_get_hostname (G_NETWORK_ADDRESS (addr));
  guint16 port = g_network_address_get_port (G_NETWORK_ADDRESS (addr));
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      if (g_strcmp0 (host, "localhost") == 0)
        inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      else
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "[http] listen: expected a numeric address or localhost, got '%s'", host);
          return NULL;
        }
    }
  g_autoptr (GSocketAddress) sockaddr = g_inet_socket_address_new (inet, port);

  IocHttpServer *self = g_new0 (IocHttpServer, 1);
  self->server = soup_server_new ("server-header", "iochub", NULL);
  if (!soup_server_listen (self->server, sockaddr, 0, error))
    {
      g_prefix_error (error, "[http] listen: cannot listen on %s: ", listen);
      ioc_http_server_free (self);
      return NULL;
    }
  GSList *uris = soup_server_get_uris (self->server);
  if (uris != NULL)
    self->port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return self;
}

void
ioc_http_server_free (IocHttpServer *self)
{
  if (self == NULL)
    return;
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_object_unref (self->server);
    }
  g_free (self);
}

void
ioc_http_server_route (IocHttpServer *self, const gchar *path, SoupServerCallback handler, gpointer user_data)
{
  soup_server_add_handler (self->server, path, handler, user_data, NULL);
}

guint
ioc_http_server_port (IocHttpServer *self)
{
  return self->port;
}

SoupServer *
ioc_http_server_soup (IocHttpServer *self)
{
  return self->server;
}

void
ioc_http_reply (SoupServerMessage *msg, guint status, const gchar *content_type, const gchar *body, gsize len)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type ? content_type : "text/plain; charset=utf-8",
                                    SOUP_MEMORY_COPY, body, len);
}
