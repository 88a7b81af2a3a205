/* test-queue-stats.c — desk/kiosk events → ioc_queue / ioc_rating facts. */
#include <string.h>

#include "aggregate/queue-stats.h"
#include "protocol/ioc-error.h"

typedef struct
{
  const gchar *name;
  IocMsgType msg_type;
  IocEventType type;
  gdouble wait_s, service_s;
  gint level, scale;
  /* want: facts as "measurement:kind:field" in order */
  const gchar *want;
} QsCase;

static const QsCase cases[] = {
  { "issued", IOC_MSG_EVENT, IOC_EV_TICKET_ISSUED, -1, -1, 0, 0, "1:0:0" },
  { "called-with-wait", IOC_MSG_EVENT, IOC_EV_TICKET_CALLED, 125, -1, 0, 0, "1:0:1 1:2:0" },
  { "called-without-wait", IOC_MSG_EVENT, IOC_EV_TICKET_CALLED, -1, -1, 0, 0, "1:0:1" },
  { "served", IOC_MSG_EVENT, IOC_EV_SERVICE_DONE, -1, 300, 0, 0, "1:0:2 1:2:1" },
  { "no-show", IOC_MSG_EVENT, IOC_EV_TICKET_NO_SHOW, -1, -1, 0, 0, "1:0:3" },
  { "rating-5-of-5", IOC_MSG_EVENT, IOC_EV_RATING, -1, -1, 5, 5, "2:0:0 2:0:1" },
  { "rating-4-of-5", IOC_MSG_EVENT, IOC_EV_RATING, -1, -1, 4, 5, "2:0:0 2:0:1" },
  { "rating-3-of-5", IOC_MSG_EVENT, IOC_EV_RATING, -1, -1, 3, 5, "2:0:0" },
  { "rating-2-of-3", IOC_MSG_EVENT, IOC_EV_RATING, -1, -1, 2, 3, "2:0:0 2:0:1" },
  { "rating-1-of-3", IOC_MSG_EVENT, IOC_EV_RATING, -1, -1, 1, 3, "2:0:0" },
  { "counter-open-ignored", IOC_MSG_EVENT, IOC_EV_COUNTER_OPEN, -1, -1, 0, 0, "" },
  { "status-ignored", IOC_MSG_STATUS, IOC_EV_NONE, -1, -1, 0, 0, "" },
};

typedef struct
{
  GString *got;
  GArray *facts;
} Sink;

static void
fact_cb (const IocFact *f, gpointer user_data)
{
  Sink *s = user_data;
  g_string_append_printf (s->got, "%s%d:%d:%u", s->got->len ? " " : "", f->measurement, f->kind, f->field);
  g_array_append_val (s->facts, *f);
}

static void
test_record (gconstpointer data)
{
  const QsCase *c = data;
  Sink sink = { g_string_new (NULL), g_array_new (FALSE, FALSE, sizeof (IocFact)) };
  g_autoptr (IocQueueStats) qs = ioc_queue_stats_new (fact_cb, &sink);
  IocRecord *rec = g_new0 (IocRecord, 1); /* IocRecord is large (cameras[]) */
  rec->msg_type = c->msg_type;
  rec->type = c->type;
  rec->ts_us = 1751356800123456;
  rec->wait_s = c->wait_s;
  rec->service_s = c->service_s;
  rec->level = c->level;
  rec->scale = c->scale;
  const gchar *unit = ioc_intern ("xa-17001");
  ioc_queue_stats_record (qs, rec, unit);

  g_assert_cmpstr (sink.got->str, ==, c->want);
  for (guint i = 0; i < sink.facts->len; i++)
    {
      const IocFact *f = &g_array_index (sink.facts, IocFact, i);
      g_assert_true (f->unit == unit);
      g_assert_cmpint (f->ts_us, ==, rec->ts_us);
      g_assert_cmpint (f->channel, ==, 0);
      if (f->kind == IOC_FACT_COUNT)
        g_assert_cmpint (f->delta, ==, 1);
      else
        g_assert_cmpfloat (f->sample, ==, f->field == IOC_S_QUEUE_WAIT ? c->wait_s : c->service_s);
    }
  g_free (rec);
  g_string_free (sink.got, TRUE);
  g_array_unref (sink.facts);
}

static void
null_fact_cb (const IocFact *f, gpointer user_data)
{
}

static void
feed (IocQueueStats *qs, IocMsgType mt, IocKind kind, IocEventType type, gint64 ts_us, gdouble wait_s,
      const gchar *device, gint64 waiting, const gchar *unit)
{
  IocRecord *rec = g_new0 (IocRecord, 1);
  rec->msg_type = mt;
  rec->kind = kind;
  rec->type = type;
  rec->ts_us = ts_us;
  rec->wait_s = wait_s;
  rec->service_s = -1;
  rec->device = device;
  rec->waiting = waiting;
  rec->level = 5;
  rec->scale = 5;
  ioc_queue_stats_record (qs, rec, ioc_intern (unit));
  g_free (rec);
}

/* Today's totals: per unit and "all", by the event's local day; a day
 * later they start again; a late record of yesterday does not touch today;
 * the desks' waiting is summed while fresh. */
static void
test_today (void)
{
  g_autoptr (IocQueueStats) qs = ioc_queue_stats_new (null_fact_cb, NULL);
  /* 2026-07-01 10:00 in Vietnam (03:00 UTC). */
  gint64 t0 = G_GINT64_CONSTANT (1782874800) * G_USEC_PER_SEC;
  const gchar *a = ioc_intern ("xa-17001"), *b = ioc_intern ("xa-17002");
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_TICKET_ISSUED, t0, -1, "k1", -1, a);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_TICKET_ISSUED, t0, -1, "k2", -1, b);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_DESK, IOC_EV_TICKET_CALLED, t0, 100, "d1", -1, a);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_DESK, IOC_EV_TICKET_CALLED, t0, 400, "d2", -1, b);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_DESK, IOC_EV_TICKET_CALLED, t0, -1, "d2", -1, b);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_RATING, t0, -1, "k1", -1, a);
  feed (qs, IOC_MSG_STATUS, IOC_KIND_DESK, IOC_EV_NONE, t0, -1, "d1", 4, a);
  feed (qs, IOC_MSG_STATUS, IOC_KIND_DESK, IOC_EV_NONE, t0, -1, "d2", 6, b);
  feed (qs, IOC_MSG_STATUS, IOC_KIND_DESK, IOC_EV_NONE, t0 - 1, -1, "d2", 50, b); /* older: ignored */

  IocQueueToday q;
  g_assert_true (ioc_queue_stats_today (qs, "all", t0 + 1, &q));
  g_assert_cmpint (q.waiting, ==, -1);
  g_assert_true (ioc_queue_stats_waiting (qs, "all", t0 + 1, &q));
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 2);
  g_assert_cmpint (q.counts[IOC_F_QUEUE_CALLED], ==, 3);
  g_assert_cmpint (q.waits, ==, 2);
  g_assert_cmpfloat (q.wait_sum_s, ==, 500);
  g_assert_cmpfloat (q.wait_max_s, ==, 400);
  g_assert_true (q.wait_max_unit == b);
  g_assert_cmpint (q.ratings, ==, 1);
  g_assert_cmpint (q.satisfied, ==, 1);
  g_assert_cmpint (q.waiting, ==, 10);
  g_assert_cmpuint (q.desks_reporting, ==, 2);
  g_assert_true (ioc_queue_stats_today (qs, a, t0 + 1, &q));
  g_assert_true (ioc_queue_stats_waiting (qs, a, t0 + 1, &q));
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 1);
  g_assert_cmpfloat (q.wait_max_s, ==, 100);
  g_assert_cmpint (q.waiting, ==, 4);
  /* A desk device forgotten ([hub] forget_devices_after) leaves no status. */
  ioc_queue_stats_forget_desk (qs, "d2");
  g_assert_true (ioc_queue_stats_waiting (qs, "all", t0 + 1, &q));
  g_assert_cmpint (q.waiting, ==, 4);
  g_assert_cmpuint (q.desks_reporting, ==, 1);

  /* Desks silent for longer than the freshness: no waiting count. */
  g_assert_true (ioc_queue_stats_today (qs, a, t0 + IOC_QUEUE_DESK_FRESH_US + 1, &q));
  g_assert_false (ioc_queue_stats_waiting (qs, a, t0 + IOC_QUEUE_DESK_FRESH_US + 1, &q));
  g_assert_cmpint (q.waiting, ==, -1);
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 1);

  /* Next day: empty; a ticket of the new day, then a late one of the day
   * before, which leaves the new day alone. */
  gint64 t1 = t0 + G_TIME_SPAN_DAY;
  g_assert_false (ioc_queue_stats_today (qs, a, t1, &q));
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 0);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_TICKET_ISSUED, t1, -1, "k1", -1, a);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_TICKET_ISSUED, t0, -1, "k1", -1, a);
  g_assert_true (ioc_queue_stats_today (qs, a, t1, &q));
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 1);
  g_assert_cmpint (q.waits, ==, 0);
  /* Two days on, the late record of t0's day does not come back either. */
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_TICKET_ISSUED, t0 + 2 * G_TIME_SPAN_DAY, -1, "k1", -1, a);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_TICKET_ISSUED, t0, -1, "k1", -1, a);
  g_assert_true (ioc_queue_stats_today (qs, a, t0 + 2 * G_TIME_SPAN_DAY, &q));
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 1);
  /* Ten minutes before midnight, a ticket stamped 2 minutes after it does
   * not wipe the day still showing. */
  gint64 midnight = t0 + 2 * G_TIME_SPAN_DAY + 14 * G_TIME_SPAN_HOUR;
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_TICKET_ISSUED, midnight + 2 * G_TIME_SPAN_MINUTE, -1, "k1", -1, a);
  g_assert_true (ioc_queue_stats_today (qs, a, midnight - 10 * G_TIME_SPAN_MINUTE, &q));
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 1);
  g_assert_true (ioc_queue_stats_today (qs, a, midnight + 3 * G_TIME_SPAN_MINUTE, &q));
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 1);
}

/* A snapshot of today's totals and the desks loads back into a fresh
 * instance with the same figures and saves byte for byte the same; every
 * truncation of it, and a counter made negative, is refused with the state
 * left as it was. */
static void
test_snapshot (void)
{
  g_autoptr (IocQueueStats) qs = ioc_queue_stats_new (null_fact_cb, NULL);
  gint64 t0 = G_GINT64_CONSTANT (1782874800) * G_USEC_PER_SEC;
  const gchar *a = ioc_intern ("xa-17001"), *b = ioc_intern ("xa-17002");
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_TICKET_ISSUED, t0, -1, "k1", -1, a);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_DESK, IOC_EV_TICKET_CALLED, t0, 400, "d2", -1, b);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_RATING, t0, -1, "k1", -1, a);
  feed (qs, IOC_MSG_EVENT, IOC_KIND_KIOSK, IOC_EV_TICKET_ISSUED, t0 - G_TIME_SPAN_DAY, -1, "k1", -1, b);
  feed (qs, IOC_MSG_STATUS, IOC_KIND_DESK, IOC_EV_NONE, t0, -1, "d2", 6, b);
  g_autoptr (GByteArray) saved = g_byte_array_new ();
  ioc_queue_stats_save (qs, saved);

  g_autoptr (IocQueueStats) back = ioc_queue_stats_new (null_fact_cb, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_queue_stats_load (back, saved->data, saved->len, &error));
  g_assert_no_error (error);
  IocQueueToday q;
  g_assert_true (ioc_queue_stats_today (back, "all", t0 + 1, &q));
  g_assert_true (ioc_queue_stats_waiting (back, "all", t0 + 1, &q));
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 1);
  g_assert_cmpint (q.counts[IOC_F_QUEUE_CALLED], ==, 1);
  g_assert_cmpfloat (q.wait_max_s, ==, 400);
  g_assert_true (q.wait_max_unit == b);
  g_assert_cmpint (q.ratings, ==, 1);
  g_assert_cmpint (q.satisfied, ==, 1);
  g_assert_cmpint (q.waiting, ==, 6);
  g_assert_true (ioc_queue_stats_today (back, b, t0 - G_TIME_SPAN_DAY + 1, &q)); /* the day before, too */
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 1);
  g_autoptr (GByteArray) again = g_byte_array_new ();
  ioc_queue_stats_save (back, again);
  g_assert_cmpmem (again->data, again->len, saved->data, saved->len);

  for (guint len = 0; len < saved->len; len++)
    {
      g_autoptr (GError) e = NULL;
      g_assert_false (ioc_queue_stats_load (back, saved->data, len, &e));
      g_assert_error (e, IOC_ERROR, IOC_ERROR_CORRUPT);
    }
  /* The first unit's issued counter (after magic, count, code, day, n): -1. */
  g_autoptr (GByteArray) bad = g_byte_array_new ();
  g_byte_array_append (bad, saved->data, saved->len);
  guint32 code_len;
  memcpy (&code_len, bad->data + 8, 4);
  gsize at = 8 + 4 + code_len + 8 + 1;
  memset (bad->data + at, 0xff, 8);
  g_autoptr (GError) e = NULL;
  g_assert_false (ioc_queue_stats_load (back, bad->data, bad->len, &e));
  g_assert_error (e, IOC_ERROR, IOC_ERROR_CORRUPT);
  g_assert_true (ioc_queue_stats_today (back, "all", t0 + 1, &q));
  g_assert_cmpint (q.counts[IOC_F_QUEUE_ISSUED], ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/ioc/queue-stats/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_record);
    }
  g_test_add_func ("/ioc/queue-stats/today", test_today);
  g_test_add_func ("/ioc/queue-stats/snapshot", test_snapshot);
  return g_test_run ();
}
