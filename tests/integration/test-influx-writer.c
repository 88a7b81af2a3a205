/* test-influx-writer.c — the InfluxDB sink end to end against a real
 * influxd (SPEC §6, §7): points encoded by line-protocol.c go through the
 * spool and the writer thread, and are read back with InfluxQL.
 *   - every point arrives exactly, with gzip and without, in pieces, with
 *     the database created on first use and Vietnamese / escaped tags;
 *   - influxd stopped for ~5 s while the hub keeps appending: everything
 *     arrives after the restart, and no batch is written twice;
 *   - a batch with lines InfluxDB refuses: exactly those go to on_reject,
 *     the rest are written;
 *   - free() returns promptly in a backoff and in a hung request, and
 *     leaves the unsent batch in the spool;
 *   - the hub's InfluxDB sink (influx-sink.c): points in, one spool batch
 *     per tick and at stop, refused lines handed to the main context with
 *     the topic of their dead letter.
 * Skipped when influxd is not installed.  Waits are bounded polls. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "sinks/influx-sink.h"
#include "sinks/influx-writer.h"
#include "sinks/line-protocol.h"
#include "sinks/spool.h"
#include "tests/lib/test-influx.h"
#include "tests/lib/test-util.h"

#define WAIT_US (30 * G_USEC_PER_SEC)
#define TS0_S G_GINT64_CONSTANT (1751328000) /* 2025-07-01T00:00:00Z */

typedef struct
{
  IocTestInflux *influx;
  gchar *spool_dir;
  IocSpool *spool;
  IocInfluxWriter *writer;
  GMutex lock;
  GPtrArray *rejected; /* gchar* lines, filled on the writer thread */
  GPtrArray *reject_errors;
} Fixture;

static void
on_reject_cb (const gchar *line, gsize len, const gchar *influx_error, gpointer user_data)
{
  Fixture *f = user_data;
  g_mutex_lock (&f->lock);
  g_ptr_array_add (f->rejected, g_strndup (line, len));
  g_ptr_array_add (f->reject_errors, g_strdup (influx_error));
  g_mutex_unlock (&f->lock);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_mutex_init (&f->lock);
  f->rejected = g_ptr_array_new_with_free_func (g_free);
  f->reject_errors = g_ptr_array_new_with_free_func (g_free);
  f->spool_dir = g_dir_make_tmp ("test-influx-spool-XXXXXX", &error);
  g_assert_no_error (error);
  f->spool = ioc_spool_open (f->spool_dir, 64 << 20, &error);
  g_assert_no_error (error);
  if (data != NULL) /* tests that need no influxd pass a non-NULL tag */
    return;
  if (!g_file_test (g_getenv ("IOC_TEST_INFLUXD") ? g_getenv ("IOC_TEST_INFLUXD") : "/usr/bin/influxd",
                    G_FILE_TEST_IS_EXECUTABLE))
    {
      /* A missing influxd is a broken test machine, not a pass (ops/setup.sh installs it). */
      g_test_fail_printf ("influxd is not installed (run ops/setup.sh)");
      return;
    }
  f->influx = ioc_test_influx_start (&error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->writer, ioc_influx_writer_free);
  g_clear_pointer (&f->spool, ioc_spool_free);
  g_clear_pointer (&f->influx, ioc_test_influx_free);
  ioc_test_rm_rf (f->spool_dir);
  g_free (f->spool_dir);
  g_ptr_array_unref (f->rejected);
  g_ptr_array_unref (f->reject_errors);
  g_mutex_clear (&f->lock);
}

static void
start_writer (Fixture *f, const gchar *url, gboolean gzip, gsize max_batch_bytes, gint64 retry_initial_us,
              gint64 timeout_us)
{
  g_autoptr(GError) error = NULL;
  IocInfluxOptions opts = {
    .url = (gchar *) url,
    .database = "ioc",
    .max_batch_bytes = max_batch_bytes,
    .timeout_us = timeout_us,
    .retry_initial_us = retry_initial_us,
    .retry_max_us = 4 * retry_initial_us,
    .gzip = gzip,
  };
  f->writer = ioc_influx_writer_new (&opts, f->spool, on_reject_cb, f, &error);
  g_assert_no_error (error);
  ioc_influx_writer_start (f->writer);
}

/* Polls until the spool is empty (bounded); TRUE when it is. */
static gboolean
wait_drained (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  while (ioc_spool_pending (f->spool).batches > 0 && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  return ioc_spool_pending (f->spool).batches == 0;
}

static gint64
query_int (Fixture *f, const gchar *db, const gchar *q)
{
  g_autoptr(GError) error = NULL;
  gint64 v = -1;
  ioc_test_influx_query_int (f->influx, db, q, &v, &error);
  g_assert_no_error (error);
  return v;
}

/* An ioc_queue point for unit u at minute m, with fields derived from i. */
static void
append_queue_point (GString *out, const gchar *unit, gint64 minute, gint64 i)
{
  IocPoint p = {
    .measurement = IOC_MEAS_QUEUE,
    .unit = unit,
    .ts_us = (TS0_S + minute * 60) * G_USEC_PER_SEC,
    .ints = { i, 2 * i, 3 * i, 1 },
    .floats = { 0.5 + (gdouble) i / 10, 90.25, 0 },
    .has_floats = { TRUE, TRUE, FALSE },
  };
  ioc_lp_append_point (out, &p, "40", "iochub-test");
}

static void
spool_batch (Fixture *f, GString *batch)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (ioc_spool_append (f->spool, batch->str, batch->len, &error));
  g_assert_no_error (error);
}

/* Units whose tags exercise every escaping rule, and what InfluxDB keeps. */
static const struct
{
  const gchar *unit;
  const gchar *influxql; /* WHERE unit = '<this>' */
} exotic_units[] = {
  { "Phường Thành Vinh", "Phường Thành Vinh" },
  { "Xã Nghĩa Đàn, Nghệ An", "Xã Nghĩa Đàn, Nghệ An" },
  { "a=b c", "a=b c" },
  { "say \"hi\"", "say \"hi\"" },
  { "", "-" },
  { "line\nbreak", "line break" },
};

static void
run_points_arrive (Fixture *f, gboolean gzip)
{
  if (f->influx == NULL)
    return;
  const guint n_batches = 30, per_batch = 20;
  gint64 writes0 = ioc_stats_lookup ("iochub_influx_writes_total", NULL);
  gint64 rejected0 = ioc_stats_lookup ("iochub_influx_rejected_lines_total", NULL);
  gint64 want_sum = 0;
  gdouble want_fsum = 0;

  /* No CREATE DATABASE: the writer must create "ioc" on the first 404.
   * Pieces of 2 KiB: every batch is sent in several POSTs. */
  start_writer (f, ioc_test_influx_url (f->influx), gzip, 2048, 50 * 1000, 5 * G_USEC_PER_SEC);
  for (guint b = 0; b < n_batches; b++)
    {
      g_autoptr(GString) batch = g_string_new (NULL);
      for (guint k = 0; k < per_batch; k++)
        {
          gint64 i = b * per_batch + k;
          g_autofree gchar *unit = g_strdup_printf ("xa-%05u", k);
          append_queue_point (batch, unit, b, i);
          want_sum += i;
          want_fsum += 0.5 + (gdouble) i / 10;
        }
      spool_batch (f, batch);
    }
  g_autoptr(GString) exotic = g_string_new (NULL);
  for (guint k = 0; k < G_N_ELEMENTS (exotic_units); k++)
    append_queue_point (exotic, exotic_units[k].unit, 0, 1000);
  spool_batch (f, exotic);

  g_assert_true (wait_drained (f));
  g_assert_cmpint (query_int (f, "ioc", "SELECT count(issued) FROM ioc_queue WHERE unit =~ /^xa-/"), ==,
                   n_batches * per_batch);
  g_assert_cmpint (query_int (f, "ioc", "SELECT sum(issued) FROM ioc_queue WHERE unit =~ /^xa-/"), ==, want_sum);
  g_assert_cmpint (query_int (f, "ioc", "SELECT sum(served) FROM ioc_queue WHERE unit =~ /^xa-/"), ==, 3 * want_sum);
  gdouble fsum = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true (ioc_test_influx_query_double (f->influx, "ioc",
                                               "SELECT sum(wait_p50_s) FROM ioc_queue WHERE unit =~ /^xa-/", &fsum,
                                               &error));
  g_assert_cmpfloat_with_epsilon (fsum, want_fsum, 1e-6 * want_fsum);
  /* service_p50_s was never written (has_floats FALSE). */
  g_assert_cmpint (query_int (f, "ioc", "SELECT count(service_p50_s) FROM ioc_queue"), ==, 0);
  /* Field types as SPEC §6 pins them. */
  g_autofree gchar *keys = ioc_test_influx_query_json (f->influx, "ioc", "SHOW FIELD KEYS FROM ioc_queue", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (keys, "[\"issued\",\"integer\"]"));
  g_assert_nonnull (strstr (keys, "[\"wait_p50_s\",\"float\"]"));

  for (guint k = 0; k < G_N_ELEMENTS (exotic_units); k++)
    {
      g_autoptr(GString) lit = g_string_new (NULL);
      for (const gchar *p = exotic_units[k].influxql; *p != '\0'; p++)
        {
          if (*p == '\'' || *p == '\\')
            g_string_append_c (lit, '\\');
          g_string_append_c (lit, *p);
        }
      g_autofree gchar *q = g_strdup_printf ("SELECT sum(issued) FROM ioc_queue"
                                             " WHERE unit = '%s' AND hub = 'iochub-test' AND province = '40'",
                                             lit->str);
      g_test_message ("unit %s", exotic_units[k].influxql);
      g_assert_cmpint (query_int (f, "ioc", q), ==, 1000);
    }

  /* Every piece was one successful POST, nothing was refused. */
  g_assert_cmpint (ioc_stats_lookup ("iochub_influx_writes_total", NULL) - writes0, >, (gint64) n_batches);
  g_assert_cmpint (ioc_stats_lookup ("iochub_influx_rejected_lines_total", NULL), ==, rejected0);
  g_assert_cmpuint (f->rejected->len, ==, 0);
  g_assert_true (ioc_influx_writer_is_healthy (f->writer));
  g_assert_cmpint (ioc_stats_lookup ("iochub_influx_last_success_unixtime", NULL), >, TS0_S);
}

static void
test_points_arrive_gzip (Fixture *f, gconstpointer data)
{
  run_points_arrive (f, TRUE);
}

static void
test_points_arrive_plain (Fixture *f, gconstpointer data)
{
  run_points_arrive (f, FALSE);
}

/* SPEC §7: nothing owed to InfluxDB is dropped while it is away, and the
 * committed offset means nothing is sent twice. */
static void
test_outage (Fixture *f, gconstpointer data)
{
  if (f->influx == NULL)
    return;
  g_autoptr(GError) error = NULL;
  const guint before = 10, during = 20, per_batch = 5;
  gint64 dropped0 = ioc_stats_lookup ("iochub_spool_dropped_batches_total", NULL);

  g_assert_true (ioc_test_influx_exec (f->influx, "CREATE DATABASE ioc", &error));
  start_writer (f, ioc_test_influx_url (f->influx), TRUE, 1 << 20, 100 * 1000, 2 * G_USEC_PER_SEC);
  guint minute = 0;
  for (guint b = 0; b < before; b++, minute++)
    {
      g_autoptr(GString) batch = g_string_new (NULL);
      for (guint k = 0; k < per_batch; k++)
        append_queue_point (batch, "xa-00001", minute * per_batch + k, 1);
      spool_batch (f, batch);
    }
  g_assert_true (wait_drained (f));
  gint64 writes0 = ioc_stats_lookup ("iochub_influx_writes_total", NULL);
  gint64 failures0 = ioc_stats_lookup ("iochub_influx_write_failures_total", NULL);

  ioc_test_influx_stop (f->influx);
  /* ~5 s of outage: the hub keeps emitting a batch every 250 ms. */
  for (guint b = 0; b < during; b++, minute++)
    {
      g_autoptr(GString) batch = g_string_new (NULL);
      for (guint k = 0; k < per_batch; k++)
        append_queue_point (batch, "xa-00001", minute * per_batch + k, 1);
      spool_batch (f, batch);
      g_usleep (250 * 1000);
    }
  /* The writer noticed, reports it, and kept everything. */
  g_assert_cmpint (ioc_stats_lookup ("iochub_influx_write_failures_total", NULL), >, failures0);
  g_assert_false (ioc_influx_writer_is_healthy (f->writer));
  g_assert_cmpuint (ioc_spool_pending (f->spool).batches, ==, during);
  g_assert_cmpint (ioc_stats_lookup ("iochub_spool_bytes", NULL), >, 0);

  g_assert_true (ioc_test_influx_restart (f->influx, &error));
  g_assert_no_error (error);
  g_assert_true (wait_drained (f));
  g_assert_cmpint (query_int (f, "ioc", "SELECT count(issued) FROM ioc_queue"), ==, (before + during) * per_batch);
  /* Each batch written during the outage was POSTed successfully exactly
   * once: none was lost, none was sent twice. */
  g_assert_cmpint (ioc_stats_lookup ("iochub_influx_writes_total", NULL) - writes0, ==, during);
  g_assert_cmpint (ioc_stats_lookup ("iochub_spool_dropped_batches_total", NULL), ==, dropped0);
  g_assert_true (ioc_influx_writer_is_healthy (f->writer));
}

/* One bad point must not poison a batch. */
static void
test_bad_lines (Fixture *f, gconstpointer data)
{
  if (f->influx == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *body = NULL;
  gint64 rejected0 = ioc_stats_lookup ("iochub_influx_rejected_lines_total", NULL);

  g_assert_true (ioc_test_influx_exec (f->influx, "CREATE DATABASE ioc", &error));
  /* f is an integer field from now on. */
  g_assert_cmpint (ioc_test_influx_write (f->influx, "ioc", "m f=1i 1\n", &body), ==, 204);

  static const gchar *const bad_conflict = "m,k=bad f=\"x\" 5";
  static const gchar *const bad_parse = "m,k=worse";
  g_autoptr(GString) batch = g_string_new (NULL);
  gint64 want_sum = 1;
  for (guint i = 0; i < 40; i++)
    {
      if (i == 13)
        g_string_append_printf (batch, "%s\n", bad_conflict);
      if (i == 31)
        g_string_append_printf (batch, "%s\n", bad_parse);
      g_string_append_printf (batch, "m,k=good%u f=%ui %u\n", i, i + 10, 100 + i);
      want_sum += i + 10;
    }
  spool_batch (f, batch);
  start_writer (f, ioc_test_influx_url (f->influx), TRUE, 1 << 20, 50 * 1000, 5 * G_USEC_PER_SEC);
  g_assert_true (wait_drained (f));

  g_assert_cmpint (query_int (f, "ioc", "SELECT count(f) FROM m"), ==, 41);
  g_assert_cmpint (query_int (f, "ioc", "SELECT sum(f) FROM m"), ==, want_sum);
  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->rejected->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->rejected, 0), ==, bad_conflict);
  g_assert_cmpstr (g_ptr_array_index (f->rejected, 1), ==, bad_parse);
  g_assert_nonnull (strstr (g_ptr_array_index (f->reject_errors, 0), "field type conflict"));
  g_assert_nonnull (strstr (g_ptr_array_index (f->reject_errors, 1), "unable to parse"));
  g_mutex_unlock (&f->lock);
  g_assert_cmpint (ioc_stats_lookup ("iochub_influx_rejected_lines_total", NULL) - rejected0, ==, 2);
  g_assert_true (ioc_influx_writer_is_healthy (f->writer));
}

/* A listening socket that never accepts: connections complete in the
 * kernel and then hang, like an InfluxDB that stopped answering. */
static int
listen_without_accepting (guint16 *port)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (fd, 8), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &addr, &len), ==, 0);
  *port = ntohs (addr.sin_port);
  return fd;
}

static void
test_stop_mid_request (Fixture *f, gconstpointer data)
{
  guint16 port = 0;
  int fd = listen_without_accepting (&port);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autoptr(GString) batch = g_string_new ("m f=1i 1\n");

  spool_batch (f, batch);
  start_writer (f, url, TRUE, 1 << 20, G_USEC_PER_SEC, 60 * G_USEC_PER_SEC);
  /* Wait (bounded) until the writer's connection is queued on the socket. */
  struct pollfd pfd = { fd, POLLIN, 0 };
  g_assert_cmpint (poll (&pfd, 1, 10000), ==, 1);

  gint64 start = g_get_monotonic_time ();
  g_clear_pointer (&f->writer, ioc_influx_writer_free);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  g_assert_cmpuint (ioc_spool_pending (f->spool).batches, ==, 1);
  close (fd);
}

static void
test_stop_mid_backoff (Fixture *f, gconstpointer data)
{
  /* Nothing listens there: connection refused, then a 30 s backoff. */
  guint16 port = ioc_test_free_port ();
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autoptr(GString) batch = g_string_new ("m f=1i 1\n");
  gint64 failures0 = ioc_stats_lookup ("iochub_influx_write_failures_total", NULL);

  spool_batch (f, batch);
  start_writer (f, url, FALSE, 1 << 20, 30 * G_USEC_PER_SEC, G_USEC_PER_SEC);
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  while (ioc_stats_lookup ("iochub_influx_write_failures_total", NULL) == failures0 &&
         g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_assert_cmpint (ioc_stats_lookup ("iochub_influx_write_failures_total", NULL), >, failures0);
  g_assert_false (ioc_influx_writer_is_healthy (f->writer));

  gint64 start = g_get_monotonic_time ();
  g_clear_pointer (&f->writer, ioc_influx_writer_free);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (ioc_spool_pending (f->spool).batches, ==, 1);
}

typedef struct
{
  GPtrArray *topics; /* what on_reject got, on the main context */
  GPtrArray *lines;
  GPtrArray *whys;
  GThread *main_thread;
  gboolean off_main;
} Refused;

static void
sink_reject_cb (const gchar *topic, const gchar *line, const gchar *why, gpointer user_data)
{
  Refused *r = user_data;
  if (g_thread_self () != r->main_thread)
    r->off_main = TRUE;
  g_ptr_array_add (r->topics, g_strdup (topic));
  g_ptr_array_add (r->lines, g_strdup (line));
  g_ptr_array_add (r->whys, g_strdup (why));
}

static void
test_sink (Fixture *f, gconstpointer data)
{
  if (f->influx == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *body = NULL;
  /* issued is a string field in the shard of TS0_S: every ioc_queue line
   * there is refused (InfluxDB keeps field types per shard). */
  g_assert_true (ioc_test_influx_exec (f->influx, "CREATE DATABASE ioc", &error));
  g_autofree gchar *string_field = g_strdup_printf ("ioc_queue,unit=x issued=\"s\" %" G_GINT64_FORMAT "\n", TS0_S);
  g_assert_cmpint (ioc_test_influx_write (f->influx, "ioc", string_field, &body), ==, 204);

  g_autofree gchar *dir = g_dir_make_tmp ("test-influx-sink-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree gchar *spool_dir = g_build_filename (dir, "spool", NULL);
  IocInfluxSinkOptions opts = {
    .province = "40",
    .hub_id = "iochub-test",
    .spool_dir = spool_dir,
    .spool_max_bytes = 64 << 20,
    .writer = { .url = (gchar *) ioc_test_influx_url (f->influx), .database = "ioc", .retry_initial_us = 50 * 1000,
                .retry_max_us = 200 * 1000, .timeout_us = 5 * G_USEC_PER_SEC },
  };
  Refused r = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free),
                g_ptr_array_new_with_free_func (g_free), g_thread_self (), FALSE };
  IocInfluxSink *sink = ioc_influx_sink_new (&opts, sink_reject_cb, &r, &error);
  g_assert_no_error (error);
  const IocSinkVTable *vt = ioc_influx_sink_vtable ();
  g_assert_cmpuint (ioc_influx_sink_pending_bytes (sink), ==, 0);

  /* Before start: points wait in memory until the tick makes them a batch. */
  IocPoint dossier = { .measurement = IOC_MEAS_DOSSIER, .unit = "xa-1", .ts_us = TS0_S * G_USEC_PER_SEC,
                       .ints = { 7 } };
  IocPoint queue = { .measurement = IOC_MEAS_QUEUE, .unit = "xa-2", .ts_us = TS0_S * G_USEC_PER_SEC,
                     .ints = { 3, 1, 1, 1 } };
  vt->point (sink, &dossier);
  vt->point (sink, &queue);
  g_assert_cmpuint (ioc_influx_sink_pending_bytes (sink), ==, 0);
  vt->tick (sink, TS0_S * G_USEC_PER_SEC);
  g_assert_cmpuint (ioc_influx_sink_pending_bytes (sink), >, 0);
  /* One more after the last tick: stop flushes it. */
  IocPoint late = dossier;
  late.unit = "xa-3";
  late.ints[0] = 5;
  vt->point (sink, &late);
  vt->stop (sink);
  g_assert_true (vt->start (sink, &error));
  g_assert_no_error (error);

  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  while ((ioc_influx_sink_pending_bytes (sink) > 0 || r.lines->len < 1) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (ioc_influx_sink_pending_bytes (sink), ==, 0);
  g_assert_cmpint (query_int (f, "ioc", "SELECT sum(received) FROM ioc_dossier"), ==, 12);
  g_assert_cmpuint (r.lines->len, ==, 1);
  if (r.lines->len == 1)
    {
      g_assert_cmpstr (g_ptr_array_index (r.topics, 0), ==, "ioc/v1/40/hub/iochub-test/influx");
      g_assert_true (g_str_has_prefix (g_ptr_array_index (r.lines, 0), "ioc_queue,"));
      g_assert_nonnull (strstr (g_ptr_array_index (r.lines, 0), "unit=xa-2"));
      g_assert_nonnull (strstr (g_ptr_array_index (r.whys, 0), "field type conflict"));
    }
  g_assert_false (r.off_main);
  g_assert_true (ioc_influx_sink_is_healthy (sink));
  vt->free (sink);
  g_ptr_array_unref (r.topics);
  g_ptr_array_unref (r.lines);
  g_ptr_array_unref (r.whys);
  ioc_test_rm_rf (spool_dir);
  g_rmdir (dir);
}

static void
test_bad_url (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("test-influx-spool-XXXXXX", NULL);
  g_autoptr(IocSpool) spool = ioc_spool_open (dir, 1 << 20, &error);
  IocInfluxOptions opts = { .url = "127.0.0.1:8086" };
  g_autoptr(IocInfluxWriter) w = ioc_influx_writer_new (&opts, spool, NULL, NULL, &error);
  g_assert_null (w);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
  g_clear_pointer (&spool, ioc_spool_free);
  ioc_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Let a failing test reach its teardown, which prints influxd's log. */
  g_test_set_nonfatal_assertions ();
  /* Outages are announced with g_warning(); the tests check the stats. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

#define ADD(path, tag, fn) g_test_add (path, Fixture, tag, fixture_setup, fn, fixture_teardown)
  ADD ("/ioc/influx-writer/points-arrive-exactly/gzip", NULL, test_points_arrive_gzip);
  ADD ("/ioc/influx-writer/points-arrive-exactly/plain", NULL, test_points_arrive_plain);
  ADD ("/ioc/influx-writer/outage-loses-nothing-sends-nothing-twice", NULL, test_outage);
  ADD ("/ioc/influx-writer/bad-lines-rejected-alone", NULL, test_bad_lines);
  ADD ("/ioc/influx-writer/sink-spools-per-tick-and-hands-refused-lines-over", NULL, test_sink);
  ADD ("/ioc/influx-writer/free-stops-mid-request", "no-influxd", test_stop_mid_request);
  ADD ("/ioc/influx-writer/free-stops-mid-backoff", "no-influxd", test_stop_mid_backoff);
#undef ADD
  g_test_add_func ("/ioc/influx-writer/bad-url-is-config-error", test_bad_url);
  return g_test_run ();
}
