/* test-source.c — see test-source.h.  Main context of the test. */
#include "test-source.h"

#include <libsoup/soup.h>

struct _IocTestSource
{
  SoupServer *server;
  guint port;
  GPtrArray *items; /* gchar* JSON */
};

static void
source_cb (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  IocTestSource *self = data;
  const gchar *after = query ? g_hash_table_lookup (query, "after") : NULL;
  if (after == NULL && query != NULL)
    after = g_hash_table_lookup (query, "since");
  guint64 from = after ? g_ascii_strtoull (after, NULL, 10) : 0;
  g_autoptr (GString) body = g_string_new ("{\"items\":[");
  guint64 last = from;
  for (guint64 i = from; i < self->items->len && i < from + 25; i++)
    {
      if (i > from)
        g_string_append_c (body, ',');
      g_string_append (body, self->items->pdata[i]);
      last = i + 1;
    }
  g_string_append_printf (body, "],\"cursor\":\"%" G_GUINT64_FORMAT "\"}", last);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body->str, body->len);
}

IocTestSource *
ioc_test_source_new (GError **error)
{
  g_autoptr (IocTestSource) self = g_new0 (IocTestSource, 1);
  self->items = g_ptr_array_new_with_free_func (g_free);
  self->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->server, NULL, source_cb, self, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  if (!soup_server_listen (self->server, addr, 0, error))
    return NULL;
  GSList *uris = soup_server_get_uris (self->server);
  self->port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return g_steal_pointer (&self);
}

guint
ioc_test_source_port (IocTestSource *self)
{
  return self->port;
}

void
ioc_test_source_add (IocTestSource *self, const gchar *item_json)
{
  g_ptr_array_add (self->items, g_strdup (item_json));
}

void
ioc_test_source_add_desk_call (IocTestSource *self)
{
  guint i = self->items->len + 1;
  g_ptr_array_add (self->items, g_strdup_printf ("{\"id\":%u,\"event\":\"CALL\",\"time\":%" G_GINT64_FORMAT
                                                 ",\"ticket_no\":%u,\"quay\":\"q%u\",\"window\":\"w%u\","
                                                 "\"wait_seconds\":%u}",
                                                 i, g_get_real_time () / 1000, 1000 + i, i % 4, i % 4, 30 + i));
}

guint
ioc_test_source_len (IocTestSource *self)
{
  return self->items->len;
}

void
ioc_test_source_free (IocTestSource *self)
{
  if (self == NULL)
    return;
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_object_unref (self->server);
    }
  g_ptr_array_unref (self->items);
  g_free (self);
}
