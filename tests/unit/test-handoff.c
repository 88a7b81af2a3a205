/* test-handoff.c — IocHandoff, the one way other threads hand work to the
 * main context: order of messages and calls, batching, the bound on
 * messages, calls from another thread, run_in_thread, shutdown.  Every wait
 * is a bounded loop on a condition (no sleeps as assertions). */
#include <glib.h>
#include <string.h>

#include "io/handoff.h"
#include "protocol/ioc-stats.h"

typedef struct
{
  GString *log;      /* "m0 m1 c:x …" in the order the main context saw them */
  GArray *batches;   /* guint: size of each drain */
  GThread *main_thread;
  gboolean off_main; /* something ran on another thread */
} Seen;

static void
seen_init (Seen *seen)
{
  seen->log = g_string_new (NULL);
  seen->batches = g_array_new (FALSE, FALSE, sizeof (guint));
  seen->main_thread = g_thread_self ();
  seen->off_main = FALSE;
}

static void
seen_clear (Seen *seen)
{
  g_string_free (seen->log, TRUE);
  g_array_unref (seen->batches);
}

static void
drain_cb (IocHandoffMessage *const *msgs, guint n, gpointer user_data)
{
  Seen *seen = user_data;
  if (g_thread_self () != seen->main_thread)
    seen->off_main = TRUE;
  g_array_append_val (seen->batches, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (strlen (ioc_handoff_message_topic (msgs[i])), ==, msgs[i]->topic_len);
      g_string_append_printf (seen->log, "%s=%s@%" G_GUINT64_FORMAT " ", ioc_handoff_message_topic (msgs[i]),
                              (const gchar *) ioc_handoff_message_payload (msgs[i]), msgs[i]->pos_offset);
    }
}

typedef struct
{
  Seen *seen;
  gchar *name;
  gint *destroyed;
} CallData;

static void
call_cb (gpointer data)
{
  CallData *c = data;
  if (g_thread_self () != c->seen->main_thread)
    c->seen->off_main = TRUE;
  g_string_append_printf (c->seen->log, "call:%s ", c->name);
}

static void
call_data_free (gpointer data)
{
  CallData *c = data;
  if (c->destroyed != NULL)
    g_atomic_int_inc (c->destroyed);
  g_free (c->name);
  g_free (c);
}

static CallData *
call_data (Seen *seen, const gchar *name, gint *destroyed)
{
  CallData *c = g_new0 (CallData, 1);
  c->seen = seen;
  c->name = g_strdup (name);
  c->destroyed = destroyed;
  return c;
}

static void
push (IocHandoff *h, const gchar *topic, const gchar *payload, guint64 pos)
{
  ioc_handoff_push (h, topic, strlen (topic), (const guint8 *) payload, strlen (payload), 0, 1, pos);
}

/* Iterates the main context until cond holds, for at most 10 s. */
#define ITERATE_UNTIL(cond)                                                                                     \
  G_STMT_START                                                                                                  \
  {                                                                                                             \
    gint64 deadline_ = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;                                      \
    while (!(cond) && g_get_monotonic_time () < deadline_)                                                      \
      g_main_context_iteration (NULL, FALSE);                                                                   \
    g_assert_true (cond);                                                                                       \
  }                                                                                                             \
  G_STMT_END

static void
test_order (void)
{
  Seen seen;
  seen_init (&seen);
  g_autoptr (IocHandoff) h = ioc_handoff_new_inbox (16, drain_cb, &seen);
  /* From this thread too: the API only asks that push may block. */
  push (h, "a", "1", 10);
  push (h, "b", "2", 11);
  ioc_handoff_call (h, call_cb, call_data (&seen, "x", NULL), call_data_free);
  push (h, "c", "3", 12);
  ioc_handoff_call (h, call_cb, call_data (&seen, "y", NULL), call_data_free);
  ioc_handoff_call (h, call_cb, call_data (&seen, "z", NULL), call_data_free);
  g_assert_cmpuint (ioc_handoff_length (h), ==, 3);
  ITERATE_UNTIL (g_str_has_suffix (seen.log->str, "call:z "));
  g_assert_cmpstr (seen.log->str, ==, "a=1@10 b=2@11 call:x c=3@12 call:y call:z ");
  /* The messages before a call form one batch; the one after another. */
  g_assert_cmpuint (seen.batches->len, ==, 2);
  g_assert_cmpuint (g_array_index (seen.batches, guint, 0), ==, 2);
  g_assert_cmpuint (ioc_handoff_length (h), ==, 0);
  ioc_handoff_close (h);
  seen_clear (&seen);
}

typedef struct
{
  IocHandoff *h;
  guint n;
  Seen *seen;
  gint *destroyed;
} Producer;

static gpointer
producer_thread (gpointer data)
{
  Producer *p = data;
  for (guint i = 0; i < p->n; i++)
    {
      g_autofree gchar *topic = g_strdup_printf ("t%u", i);
      push (p->h, topic, "p", i);
      if (p->seen != NULL && i % 10 == 9)
        {
          g_autofree gchar *name = g_strdup_printf ("after-t%u", i);
          ioc_handoff_call (p->h, call_cb, call_data (p->seen, name, p->destroyed), call_data_free);
        }
    }
  return NULL;
}

/* 1,000 messages pushed from another thread as fast as it can: far fewer
 * drains than messages, each message once, in order. */
static void
test_batching (void)
{
  Seen seen;
  seen_init (&seen);
  g_autoptr (IocHandoff) h = ioc_handoff_new_inbox (0, drain_cb, &seen);
  Producer p = { h, 1000, NULL, NULL };
  GThread *t = g_thread_new ("producer", producer_thread, &p);
  g_thread_join (t);
  ITERATE_UNTIL (ioc_handoff_length (h) == 0 && seen.batches->len > 0);
  guint total = 0;
  for (guint i = 0; i < seen.batches->len; i++)
    total += g_array_index (seen.batches, guint, i);
  g_assert_cmpuint (total, ==, 1000);
  /* Everything was queued before the main loop ran: one wake-up. */
  g_assert_cmpuint (seen.batches->len, ==, 1);
  g_auto (GStrv) words = g_strsplit (g_strstrip (seen.log->str), " ", -1);
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree gchar *want = g_strdup_printf ("t%u=p@%u", i, i);
      g_assert_cmpstr (words[i], ==, want);
    }
  g_assert_false (seen.off_main);
  ioc_handoff_close (h);
  seen_clear (&seen);
}

/* Capacity 8: the producer blocks until the main loop drains, nothing is
 * lost or reordered, no drain sees more than the bound, and the wait is
 * counted. */
static void
test_bound (void)
{
  Seen seen;
  seen_init (&seen);
  g_autoptr (IocHandoff) h = ioc_handoff_new_inbox (8, drain_cb, &seen);
  gint64 waits_before = ioc_stats_lookup ("iochub_inbox_full_waits_total", NULL);
  Producer p = { h, 100, NULL, NULL };
  GThread *t = g_thread_new ("producer", producer_thread, &p);
  /* Full before anyone drains: the producer is now blocked. */
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (ioc_stats_lookup ("iochub_inbox_full_waits_total", NULL) == waits_before
         && g_get_monotonic_time () < deadline)
    g_thread_yield ();
  g_assert_cmpuint (ioc_handoff_length (h), ==, 8);
  g_assert_cmpint (ioc_stats_lookup ("iochub_inbox_depth", NULL), ==, 8);
  ITERATE_UNTIL (seen.log->len > 0 && g_str_has_suffix (seen.log->str, "t99=p@99 "));
  g_thread_join (t);
  for (guint i = 0; i < seen.batches->len; i++)
    g_assert_cmpuint (g_array_index (seen.batches, guint, i), <=, 8);
  g_auto (GStrv) words = g_strsplit (g_strstrip (seen.log->str), " ", -1);
  g_assert_cmpuint (g_strv_length (words), ==, 100);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree gchar *want = g_strdup_printf ("t%u=p@%u", i, i);
      g_assert_cmpstr (words[i], ==, want);
    }
  g_assert_cmpint (ioc_stats_lookup ("iochub_inbox_full_waits_total", NULL), >, waits_before);
  ioc_handoff_close (h);
  seen_clear (&seen);
}

/* Calls and messages from a second thread run on the main context, in the
 * order that thread posted them, and each call's destroy runs once. */
static void
test_calls_from_thread (void)
{
  Seen seen;
  seen_init (&seen);
  gint destroyed = 0;
  g_autoptr (IocHandoff) h = ioc_handoff_new_inbox (0, drain_cb, &seen);
  Producer p = { h, 50, &seen, &destroyed };
  GThread *t = g_thread_new ("producer", producer_thread, &p);
  ITERATE_UNTIL (g_atomic_int_get (&destroyed) == 5);
  g_thread_join (t);
  g_auto (GStrv) words = g_strsplit (g_strstrip (seen.log->str), " ", -1);
  g_assert_cmpuint (g_strv_length (words), ==, 55);
  guint w = 0;
  for (guint i = 0; i < 50; i++)
    {
      g_autofree gchar *want = g_strdup_printf ("t%u=p@%u", i, i);
      g_assert_cmpstr (words[w++], ==, want);
      if (i % 10 == 9)
        {
          g_autofree gchar *call = g_strdup_printf ("call:after-t%u", i);
          g_assert_cmpstr (words[w++], ==, call);
        }
    }
  g_assert_false (seen.off_main);
  ioc_handoff_close (h);
  seen_clear (&seen);
}

/* A calls-only hand-off on a context of a second thread (as a component
 * with its own loop would have): calls land on that thread. */
typedef struct
{
  GMainContext *ctx;
  IocHandoff *h;
  GThread *ran_on;
  gint done;
} Remote;

static void
remote_call_cb (gpointer data)
{
  Remote *r = data;
  r->ran_on = g_thread_self ();
  g_atomic_int_set (&r->done, 1);
}

static gpointer
context_thread (gpointer data)
{
  Remote *r = data;
  g_main_context_push_thread_default (r->ctx);
  r->h = ioc_handoff_new ();
  g_atomic_int_set (&r->done, 2);
  while (g_atomic_int_get (&r->done) != 1)
    g_main_context_iteration (r->ctx, TRUE);
  ioc_handoff_close (r->h);
  g_main_context_pop_thread_default (r->ctx);
  return NULL;
}

static void
test_other_context (void)
{
  Remote r = { g_main_context_new (), NULL, NULL, 0 };
  GThread *t = g_thread_new ("loop", context_thread, &r);
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_atomic_int_get (&r.done) != 2 && g_get_monotonic_time () < deadline)
    g_thread_yield ();
  g_assert_cmpint (g_atomic_int_get (&r.done), ==, 2);
  ioc_handoff_call (r.h, remote_call_cb, &r, NULL);
  g_thread_join (t);
  g_assert_true (r.ran_on == t);
  ioc_handoff_unref (r.h);
  g_main_context_unref (r.ctx);
}

/* Close drops what waits (destroy runs, fn does not), refuses later work
 * (destroy at once, on the posting thread), and a producer that still
 * holds a reference may drop it after the owner. */
static void
test_shutdown (void)
{
  Seen seen;
  seen_init (&seen);
  gint destroyed = 0;
  IocHandoff *h = ioc_handoff_new_inbox (0, drain_cb, &seen);
  IocHandoff *producer_ref = ioc_handoff_ref (h);
  push (h, "a", "1", 1);
  ioc_handoff_call (h, call_cb, call_data (&seen, "pending", &destroyed), call_data_free);
  ioc_handoff_close (h);
  g_assert_cmpint (destroyed, ==, 1);
  g_assert_cmpuint (ioc_handoff_length (h), ==, 0);
  ioc_handoff_call (producer_ref, call_cb, call_data (&seen, "late", &destroyed), call_data_free);
  g_assert_cmpint (destroyed, ==, 2);
  push (producer_ref, "b", "2", 2); /* dropped, does not block */
  ioc_handoff_unref (h);            /* the owner */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (seen.log->str, ==, "");
  ioc_handoff_unref (producer_ref); /* the last reference frees it */
  seen_clear (&seen);
}

/* A call that closes its own hand-off (the owner freed from inside a
 * callback): the rest of the batch is dropped, not run. */
typedef struct
{
  IocHandoff *h;
  Seen *seen;
} Closer;

static void
closer_cb (gpointer data)
{
  Closer *c = data;
  g_string_append (c->seen->log, "close ");
  ioc_handoff_close (c->h);
  ioc_handoff_unref (c->h);
}

static void
test_close_from_call (void)
{
  Seen seen;
  seen_init (&seen);
  gint destroyed = 0;
  IocHandoff *h = ioc_handoff_new_inbox (0, drain_cb, &seen);
  Closer closer = { h, &seen };
  push (h, "a", "1", 1);
  ioc_handoff_call (h, closer_cb, &closer, NULL);
  push (h, "b", "2", 2);
  ioc_handoff_call (h, call_cb, call_data (&seen, "after", &destroyed), call_data_free);
  ITERATE_UNTIL (g_atomic_int_get (&destroyed) == 1);
  g_assert_cmpstr (seen.log->str, ==, "a=1@1 close ");
  seen_clear (&seen);
}

typedef struct
{
  gint worked;
  GThread *worker;
  GThread *done_on;
  gint done;
  gint freed;
} Job;

static void
job_work (gpointer data)
{
  Job *j = data;
  j->worker = g_thread_self ();
  g_atomic_int_set (&j->worked, 1);
}

static void
job_done (gpointer data)
{
  Job *j = data;
  j->done_on = g_thread_self ();
  j->done++;
}

static void
job_free (gpointer data)
{
  Job *j = data;
  g_atomic_int_inc (&j->freed);
}

static void
test_run_in_thread (void)
{
  g_autoptr (IocHandoff) h = ioc_handoff_new ();
  Job j = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_handoff_run_in_thread (h, "job", job_work, job_done, &j, job_free, &error));
  g_assert_no_error (error);
  ITERATE_UNTIL (g_atomic_int_get (&j.freed) == 1);
  g_assert_cmpint (j.done, ==, 1);
  g_assert_true (j.done_on == g_thread_self ());
  g_assert_true (j.worker != g_thread_self ());

  /* Closed before the work ends: done never runs, destroy does. */
  Job k = { 0 };
  g_assert_true (ioc_handoff_run_in_thread (h, "job", job_work, job_done, &k, job_free, &error));
  ioc_handoff_close (h);
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_atomic_int_get (&k.freed) == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (g_atomic_int_get (&k.freed), ==, 1);
  g_assert_cmpint (k.done, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/handoff/order", test_order);
  g_test_add_func ("/ioc/handoff/batching", test_batching);
  g_test_add_func ("/ioc/handoff/bound", test_bound);
  g_test_add_func ("/ioc/handoff/calls-from-thread", test_calls_from_thread);
  g_test_add_func ("/ioc/handoff/other-context", test_other_context);
  g_test_add_func ("/ioc/handoff/shutdown", test_shutdown);
  g_test_add_func ("/ioc/handoff/close-from-call", test_close_from_call);
  g_test_add_func ("/ioc/handoff/run-in-thread", test_run_in_thread);
  return g_test_run ();
}
