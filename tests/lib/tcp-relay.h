/* tcp-relay.h — a TCP cable between two real processes on 127.0.0.1 that a
 * test can cut: while cut, the listening port refuses connections and every
 * relayed connection is closed; restored, it listens on the same port again.
 * Used to cut one mosquitto bridge without stopping either broker.  Runs its
 * own thread; the functions are for the test's main thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocTcpRelay IocTcpRelay;

/* Relays a free 127.0.0.1 port to 127.0.0.1:upstream_port. */
IocTcpRelay *ioc_tcp_relay_new (guint16 upstream_port, GError **error);
guint16      ioc_tcp_relay_port (IocTcpRelay *self);
/* Both return once the relay thread has done it (bounded: 5 s). */
void         ioc_tcp_relay_cut (IocTcpRelay *self);
void         ioc_tcp_relay_restore (IocTcpRelay *self);
void         ioc_tcp_relay_free (IocTcpRelay *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocTcpRelay, ioc_tcp_relay_free)

G_END_DECLS
