/* rtsp-client.c — see rtsp-client.h.  Plain GIO sockets, one request per
 * connection (HTTP/1.0, RTSP without a session); every read is bounded. */
#include "lib/rtsp-client.h"

#include <string.h>

#include "protocol/ioc-error.h"

#define RTSP_MAX_HEAD 8192
#define RTSP_MAX_SDP 65536
#define RTSP_MAX_SNAPSHOT (8 * 1024 * 1024)

/* Reads until "\r\n\r\n"; the head in *out.  Bounded by RTSP_MAX_HEAD. */
static gboolean
read_head (GInputStream *in, GString *out, GCancellable *cancel, GError **error)
{
  gchar c;
  for (guint i = 0; i < RTSP_MAX_HEAD; i++)
    {
      gssize n = g_input_stream_read (in, &c, 1, cancel, error);
      if (n <= 0)
        {
          if (n == 0)
            g_set_error_literal (error, IOC_ERROR, IOC_ERROR_IO, "connection closed mid-answer");
          return FALSE;
        }
      g_string_append_c (out, c);
      if (g_str_has_suffix (out->str, "\r\n\r\n"))
        return TRUE;
    }
  g_set_error_literal (error, IOC_ERROR, IOC_ERROR_IO, "answer head over 8 KiB (garbage?)");
  return FALSE;
}

static gint64
header_int (const gchar *head, const gchar *name)
{
  g_autofree gchar *lower = g_ascii_strdown (head, -1);
  g_autofree gchar *key = g_strdup_printf ("\r\n%s:", name);
  const gchar *p = strstr (lower, key);
  if (!p)
    return -1;
  return g_ascii_strtoll (p + strlen (key), NULL, 10);
}

static gboolean
exchange (GIOStream *io, const gchar *request, const gchar *want_status, GString *head,
          GCancellable *cancel, GError **error)
{
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (io), request, strlen (request),
                                  NULL, cancel, error))
    return FALSE;
  g_string_truncate (head, 0);
  if (!read_head (g_io_stream_get_input_stream (io), head, cancel, error))
    return FALSE;
  if (!g_str_has_prefix (head->str, want_status))
    {
      g_autofree gchar *first = g_strndup (head->str, strcspn (head->str, "\r\n"));
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "answer '%.60s'", first);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_body (GIOStream *io, gint64 len, gsize max, GString *body, GCancellable *cancel, GError **error)
{
  if (len < 0 || (guint64) len > max)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "body length %" G_GINT64_FORMAT " not in 1…%zu",
                   len, max);
      return FALSE;
    }
  g_string_set_size (body, (gsize) len);
  gsize got = 0;
  if (!g_input_stream_read_all (g_io_stream_get_input_stream (io), body->str, (gsize) len, &got,
                                cancel, error))
    return FALSE;
  if (got != (gsize) len)
    {
      g_set_error_literal (error, IOC_ERROR, IOC_ERROR_IO, "body cut short");
      return FALSE;
    }
  return TRUE;
}

static GSocketConnection *
dial (const gchar *url, guint16 def_port, guint timeout_s, GCancellable *cancel, GUri **out_uri,
      GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, error);
  if (!uri)
    return NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_socket_client_set_timeout (client, timeout_s);
  gint port = g_uri_get_port (uri);
  GSocketConnection *c = g_socket_client_connect_to_host (client, g_uri_get_host (uri),
                                                          port > 0 ? (guint16) port : def_port,
                                                          cancel, error);
  if (c)
    *out_uri = g_steal_pointer (&uri);
  return c;
}

gboolean
ioc_rtsp_client_probe (const gchar *url, guint timeout_s, GCancellable *cancel, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GSocketConnection) conn = dial (url, 554, timeout_s, cancel, &uri, error);
  if (!conn)
    return FALSE;
  g_autoptr (GString) head = g_string_new (NULL);
  g_autofree gchar *opt = g_strdup_printf ("OPTIONS %s RTSP/1.0\r\nCSeq: 1\r\n"
                                           "User-Agent: ioc-connector\r\n\r\n", url);
  if (!exchange (G_IO_STREAM (conn), opt, "RTSP/1.0 200", head, cancel, error))
    return FALSE;
  gint64 skip = header_int (head->str, "content-length");
  if (skip > 0)
    {
      g_autoptr (GString) junk = g_string_new (NULL);
      if (!read_body (G_IO_STREAM (conn), skip, RTSP_MAX_SDP, junk, cancel, error))
        return FALSE;
    }
  g_autofree gchar *desc = g_strdup_printf ("DESCRIBE %s RTSP/1.0\r\nCSeq: 2\r\n"
                                            "Accept: application/sdp\r\n"
                                            "User-Agent: ioc-connector\r\n\r\n", url);
  if (!exchange (G_IO_STREAM (conn), desc, "RTSP/1.0 200", head, cancel, error))
    return FALSE;
  g_autoptr (GString) sdp = g_string_new (NULL);
  if (!read_body (G_IO_STREAM (conn), header_int (head->str, "content-length"), RTSP_MAX_SDP, sdp,
                  cancel, error))
    return FALSE;
  if (!strstr (sdp->str, "m=video"))
    {
      g_set_error_literal (error, IOC_ERROR, IOC_ERROR_IO, "DESCRIBE: SDP has no video track");
      return FALSE;
    }
  return TRUE;
}

gboolean
ioc_rtsp_client_snapshot (const gchar *url, guint timeout_s, GCancellable *cancel, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GSocketConnection) conn = dial (url, 80, timeout_s, cancel, &uri, error);
  if (!conn)
    return FALSE;
  const gchar *path = g_uri_get_path (uri);
  g_autofree gchar *req = g_strdup_printf ("GET %s%s%s HTTP/1.0\r\nHost: %s\r\n"
                                           "User-Agent: ioc-connector\r\n\r\n",
                                           *path ? path : "/", g_uri_get_query (uri) ? "?" : "",
                                           g_uri_get_query (uri) ? g_uri_get_query (uri) : "",
                                           g_uri_get_host (uri));
  g_autoptr (GString) head = g_string_new (NULL);
  if (!exchange (G_IO_STREAM (conn), req, "HTTP/1.", head, cancel, error))
    return FALSE;
  if (!g_str_has_prefix (head->str + 8, " 200"))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "snapshot: '%.40s'", head->str);
      return FALSE;
    }
  g_autofree gchar *lower = g_ascii_strdown (head->str, -1);
  if (!strstr (lower, "\r\ncontent-type: image/"))
    {
      g_set_error_literal (error, IOC_ERROR, IOC_ERROR_IO, "snapshot: not an image");
      return FALSE;
    }
  g_autoptr (GString) body = g_string_new (NULL);
  gint64 len = header_int (head->str, "content-length");
  return read_body (G_IO_STREAM (conn), len, RTSP_MAX_SNAPSHOT, body, cancel, error)
         && (len > 0 || (g_set_error_literal (error, IOC_ERROR, IOC_ERROR_IO, "empty snapshot"), FALSE));
}

gboolean
ioc_rtsp_client_http_get (const gchar *url, guint timeout_s, gsize max, GCancellable *cancel, GString *body,
          GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GSocketConnection) conn = dial (url, 80, timeout_s, cancel, &uri, error);
  if (!conn)
    return FALSE;
  const gchar *path = g_uri_get_path (uri);
  g_autofree gchar *req = g_strdup_printf ("GET %s%s%s HTTP/1.0\r\nHost: %s\r\n"
                                           "Accept: application/json\r\n"
                                           "User-Agent: ioc-connector\r\n\r\n",
                                           *path ? path : "/", g_uri_get_query (uri) ? "?" : "",
                                           g_uri_get_query (uri) ? g_uri_get_query (uri) : "",
                                           g_uri_get_host (uri));
  g_autoptr (GString) head = g_string_new (NULL);
  if (!exchange (G_IO_STREAM (conn), req, "HTTP/1.", head, cancel, error))
    return FALSE;
  if (!g_str_has_prefix (head->str + 8, " 200"))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "'%.40s'", head->str);
      return FALSE;
    }
  gint64 len = header_int (head->str, "content-length");
  if (len >= 0)
    return read_body (G_IO_STREAM (conn), len, max, body, cancel, error);
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  gchar buf[8192];
  for (;;)
    {
      gssize n = g_input_stream_read (in, buf, sizeof buf, cancel, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        return TRUE;
      if (body->len + (gsize) n > max)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "body over %zu bytes", max);
          return FALSE;
        }
      g_string_append_len (body, buf, n);
    }
}
