/* test-listen.c — see test-listen.h. */
#include "test-listen.h"

guint
ioc_test_listen_local (SoupServer *server, GError **error)
{
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
    return 0;
  GSList *uris = soup_server_get_uris (server);
  guint port = uris != NULL ? (guint) g_uri_get_port (uris->data) : 0;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return port;
}
