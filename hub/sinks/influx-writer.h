/* influx-writer.h — the one thread that writes the spool to InfluxDB 1.x
 * over HTTP (SPEC §6, §7).
 *
 * The writer peeks the oldest batch of the spool, POSTs it to
 * {url}/write?db=…&precision=s (gzip-compressed when asked, basic auth when
 * a username is set) and commits it only when InfluxDB has it:
 *   - 2xx: done;
 *   - 5xx, 401/403, timeouts, refused connections: the same batch again after
 *     a capped exponential backoff, for as long as it takes — never dropped;
 *   - 400 (and 413): InfluxDB refused some lines.  The batch is split in
 *     halves, recursively, down to single lines (resending is idempotent:
 *     the same timestamps overwrite); a single line that is still refused
 *     goes to on_reject and is not sent again; the others are written;
 *   - 404 "database not found": CREATE DATABASE once, then again.
 * Batches larger than max_batch_bytes are sent in pieces cut at line ends.
 *
 * Stats: iochub_influx_writes_total (successful POSTs),
 * iochub_influx_write_failures_total (attempts that will be retried),
 * iochub_influx_rejected_lines_total, iochub_influx_write_seconds (last POST
 * latency), iochub_influx_last_success_unixtime, iochub_influx_healthy.
 *
 * Threads: new/start/free/is_healthy on the main context; libcurl for
 * InfluxDB runs only on the writer thread, and so does on_reject. */
#pragma once

#include <glib.h>

#include "sinks/spool.h"

G_BEGIN_DECLS

typedef struct
{
  gchar *url;             /* http://host:8086, no path; required */
  gchar *database;        /* NULL or "": "ioc" */
  gchar *username;        /* NULL or "": no authentication */
  gchar *password;
  gsize max_batch_bytes;  /* 0: 1 MiB */
  gint64 timeout_us;      /* per request; 0: 10 s */
  gint64 retry_initial_us; /* 0: 1 s */
  gint64 retry_max_us;    /* 0: 60 s */
  gboolean gzip;
} IocInfluxOptions;

/* Called on the writer thread for each line InfluxDB refuses alone (400),
 * without its '\n'; influx_error is InfluxDB's message.  The line is not
 * NUL-terminated. */
typedef void (*IocInfluxRejectFunc) (const gchar *line, gsize len, const gchar *influx_error, gpointer user_data);

typedef struct _IocInfluxWriter IocInfluxWriter;

/* Copies opts.  spool is borrowed and must outlive the writer.  Fails
 * (IOC_ERROR_CONFIG) on an unusable url. */
IocInfluxWriter *ioc_influx_writer_new (const IocInfluxOptions *opts, IocSpool *spool, IocInfluxRejectFunc on_reject,
                                        gpointer user_data, GError **error);
void             ioc_influx_writer_start (IocInfluxWriter *self);
/* Stops the thread promptly, even mid-backoff or mid-request; whatever was
 * not committed stays in the spool for the next writer. */
void             ioc_influx_writer_free (IocInfluxWriter *self);
/* TRUE when the last attempt succeeded (or none was made yet). */
gboolean         ioc_influx_writer_is_healthy (IocInfluxWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocInfluxWriter, ioc_influx_writer_free)

G_END_DECLS
