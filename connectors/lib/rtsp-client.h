/* rtsp-client.h — the blocking probes a camera site is checked with, as an
 * NVR would: RTSP OPTIONS then DESCRIBE over TCP, an HTTP snapshot, and a
 * small HTTP/1.0 GET for the NVR's own JSON status.
 *
 * Each call dials, asks, reads a bounded answer (head 8 KiB, SDP 64 KiB,
 * snapshot 8 MiB) and closes; a timeout bounds the connect and each read.
 * Errors say what the device answered ("answer 'RTSP/1.0 401 …'", "SDP has
 * no video track").  Blocking: call from a worker thread; no state, any
 * thread; cancel aborts at the next read. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* TRUE when OPTIONS and DESCRIBE both answer 200 and the SDP has a video
 * track.  url: rtsp://host[:port]/path (port 554 by default). */
gboolean ioc_rtsp_client_probe (const gchar *url, guint timeout_s, GCancellable *cancel, GError **error);
/* TRUE when GET url answers 200 with a non-empty image/… body.
 * url: http://host[:port]/path[?query]. */
gboolean ioc_rtsp_client_snapshot (const gchar *url, guint timeout_s, GCancellable *cancel, GError **error);
/* GET url (HTTP/1.0, Accept: application/json); the body, at most max
 * bytes, appended to body.  The answer ends at its Content-Length or at
 * the close.  FALSE on another status than 200 or a longer body. */
gboolean ioc_rtsp_client_http_get (const gchar *url, guint timeout_s, gsize max, GCancellable *cancel,
                                   GString *body, GError **error);

G_END_DECLS
