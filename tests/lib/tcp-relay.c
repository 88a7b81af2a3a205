/* tcp-relay.c — see tcp-relay.h.  One thread, poll(2) over the listener
 * and every pair of sockets. */
#include "tcp-relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test-influx.h" /* ioc_test_free_port */

#define MAX_PAIRS 16

struct _IocTcpRelay
{
  guint16 port;
  guint16 upstream;
  GThread *thread;
  gint want_cut; /* atomic: what the test asked */
  gint is_cut;   /* atomic: what the thread did */
  gint quit;     /* atomic */
  int listen_fd;
  int pairs[MAX_PAIRS][2]; /* -1: free */
};

static int
tcp_listen (guint16 port)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port) };
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (fd, (struct sockaddr *) &a, sizeof a) != 0 || listen (fd, 8) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static int
tcp_connect (guint16 port)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port) };
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &a, sizeof a) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static void
close_pair (IocTcpRelay *self, guint i)
{
  for (guint k = 0; k < 2; k++)
    if (self->pairs[i][k] >= 0)
      {
        shutdown (self->pairs[i][k], SHUT_RDWR);
        close (self->pairs[i][k]);
        self->pairs[i][k] = -1;
      }
}

static gpointer
relay_thread (gpointer data)
{
  IocTcpRelay *self = data;
  while (!g_atomic_int_get (&self->quit))
    {
      gboolean cut = g_atomic_int_get (&self->want_cut);
      if (cut && self->listen_fd >= 0)
        {
          close (self->listen_fd);
          self->listen_fd = -1;
          for (guint i = 0; i < MAX_PAIRS; i++)
            close_pair (self, i);
        }
      else if (!cut && self->listen_fd < 0)
        self->listen_fd = tcp_listen (self->port); /* retried each round if the port is busy */
      g_atomic_int_set (&self->is_cut, cut && self->listen_fd < 0 ? 1 : (!cut && self->listen_fd >= 0 ? 0 : -1));

      struct pollfd fds[1 + 2 * MAX_PAIRS];
      guint n = 0;
      if (self->listen_fd >= 0)
        fds[n++] = (struct pollfd) { .fd = self->listen_fd, .events = POLLIN };
      for (guint i = 0; i < MAX_PAIRS; i++)
        for (guint k = 0; k < 2 && self->pairs[i][0] >= 0; k++)
          fds[n++] = (struct pollfd) { .fd = self->pairs[i][k], .events = POLLIN };
      if (poll (fds, n, 50) <= 0)
        continue;
      for (guint j = 0; j < n; j++)
        {
          if (!(fds[j].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          if (fds[j].fd == self->listen_fd)
            {
              int in = accept4 (self->listen_fd, NULL, NULL, SOCK_CLOEXEC);
              int out = in >= 0 ? tcp_connect (self->upstream) : -1;
              guint slot = 0;
              while (slot < MAX_PAIRS && self->pairs[slot][0] >= 0)
                slot++;
              if (in < 0 || out < 0 || slot == MAX_PAIRS)
                {
                  if (in >= 0)
                    close (in);
                  if (out >= 0)
                    close (out);
                  continue;
                }
              self->pairs[slot][0] = in;
              self->pairs[slot][1] = out;
              break; /* descriptors changed: poll again before reading any */
            }
          for (guint i = 0; i < MAX_PAIRS; i++)
            for (guint k = 0; k < 2; k++)
              if (self->pairs[i][k] == fds[j].fd)
                {
                  char buf[16384];
                  ssize_t got = read (fds[j].fd, buf, sizeof buf);
                  gboolean ok = got > 0;
                  for (ssize_t off = 0; ok && off < got;)
                    {
                      ssize_t w = write (self->pairs[i][1 - k], buf + off, (size_t) (got - off));
                      ok = w > 0;
                      off += MAX (w, 0);
                    }
                  if (!ok)
                    {
                      close_pair (self, i);
                      goto next_round; /* a closed number may come back from accept */
                    }
                }
        }
    next_round:;
    }
  if (self->listen_fd >= 0)
    close (self->listen_fd);
  for (guint i = 0; i < MAX_PAIRS; i++)
    close_pair (self, i);
  return NULL;
}

IocTcpRelay *
ioc_tcp_relay_new (guint16 upstream_port, GError **error)
{
  IocTcpRelay *self = g_new0 (IocTcpRelay, 1);
  self->upstream = upstream_port;
  self->port = ioc_test_free_port ();
  memset (self->pairs, -1, sizeof self->pairs);
  self->listen_fd = self->port ? tcp_listen (self->port) : -1;
  if (self->listen_fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "tcp relay: cannot listen on a free loopback port");
      g_free (self);
      return NULL;
    }
  self->thread = g_thread_new ("tcp-relay", relay_thread, self);
  return self;
}

guint16
ioc_tcp_relay_port (IocTcpRelay *self)
{
  return self->port;
}

static void
wait_state (IocTcpRelay *self, gint want)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (g_atomic_int_get (&self->is_cut) != want && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
}

void
ioc_tcp_relay_cut (IocTcpRelay *self)
{
  g_atomic_int_set (&self->want_cut, 1);
  wait_state (self, 1);
}

void
ioc_tcp_relay_restore (IocTcpRelay *self)
{
  g_atomic_int_set (&self->want_cut, 0);
  wait_state (self, 0);
}

void
ioc_tcp_relay_free (IocTcpRelay *self)
{
  if (self == NULL)
    return;
  g_atomic_int_set (&self->quit, 1);
  g_thread_join (self->thread);
  g_free (self);
}
