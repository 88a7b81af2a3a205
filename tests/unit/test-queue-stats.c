/* test-queue-stats.c — desk/kiosk events → ioc_queue / ioc_rating facts. */
#include <string.h>

#include "aggregate/queue-stats.h"

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/ioc/queue-stats/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_record);
    }
  return g_test_run ();
}
