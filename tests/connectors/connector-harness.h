/* connector-harness.h — what the connector integration tests share: run the
 * real ioc-connector as a child process (stopped by PID, its log printed on
 * failure), a persistent-session MQTT collector that records everything
 * under ioc/v1/#, and checks of what arrived with the hub's own decoder. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "model/record.h"

G_BEGIN_DECLS

typedef struct
{
  gchar *topic;
  gchar *payload;
  gsize len;
} IocTestMsg;

typedef struct _IocTestCollector IocTestCollector;

IocTestCollector *ioc_test_collector_new (const gchar *url, GError **error);
/* A snapshot of everything received so far (IocTestMsg*, borrowed until free). */
GPtrArray        *ioc_test_collector_messages (IocTestCollector *self);
void              ioc_test_collector_free (IocTestCollector *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocTestCollector, ioc_test_collector_free)

typedef struct
{
  GSubprocess *proc;
  gchar *log_path;
  gchar *conf_path;
} IocTestConnector;

gboolean ioc_test_connector_start (IocTestConnector *self, const gchar *conf_path, GError **error);
void     ioc_test_connector_kill (IocTestConnector *self);   /* SIGKILL, reaped */
gint     ioc_test_connector_stop (IocTestConnector *self);   /* SIGTERM; exit status */
gboolean ioc_test_connector_alive (IocTestConnector *self);
void     ioc_test_connector_dump_log (IocTestConnector *self);
void     ioc_test_connector_clear (IocTestConnector *self);

/* Iterates the default main context (sources served by the test) until
 * pred is TRUE or the timeout passes. */
gboolean ioc_test_wait (gboolean (*pred) (gpointer), gpointer data, gint64 timeout_us);

/* One decoded message (copies of what the tests check). */
typedef struct
{
  gchar *topic;
  IocMsgType msg_type;
  gint64 seq;
  gchar *type;      /* event type name, NULL for status */
  gchar *key;       /* ticket / dossier / camera: what identifies the source fact */
  gchar *unit;
  gchar *payload;
} IocTestRecord;

/* Decodes every non-state message with the hub's decoder; fails the test on
 * any reject.  (transfer full) IocTestRecord* array, in arrival order. */
GPtrArray *ioc_test_decode_all (IocTestCollector *c);
/* Checks the seq stream of records: every seq from the first to the last
 * arrived (allow_gap_after: a crash may skip numbers after this seq, 0 none),
 * distinct seqs first arrived in increasing order, a repeated seq always
 * carries the same payload, and no key was published under two seqs. */
void       ioc_test_check_seq (GPtrArray *records, gint64 allow_gap_after);
guint      ioc_test_count_distinct_keys (GPtrArray *records, const gchar *type);

/* Works around the broker data dir not being writable by mosquitto when
 * the tests run as root (reported to the lead; tests/lib is not ours). */
void ioc_test_broker_let_persist (guint port);

G_END_DECLS
