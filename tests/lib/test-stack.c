/* test-stack.c — broker + influxd + hub for an end-to-end test (see
 * test-stack.h). */
#include "test-stack.h"

gboolean
ioc_test_stack_start (IocTestStack *self)
{
  g_autoptr (GError) error = NULL;
  self->broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  self->influx = ioc_test_influx_start (&error);
  g_assert_no_error (error);
  return self->broker != NULL && self->influx != NULL;
}

gboolean
ioc_test_stack_start_hub (IocTestStack *self, const gchar *extra)
{
  g_autoptr (GError) error = NULL;
  self->hub = ioc_test_hub_new (ioc_test_broker_url (self->broker), ioc_test_influx_url (self->influx), extra,
                                &error);
  g_assert_no_error (error);
  if (self->hub == NULL)
    return FALSE;
  gboolean started = ioc_test_hub_start (self->hub, &error);
  g_assert_no_error (error);
  return started;
}

IocTestPublisher *
ioc_test_stack_publisher (IocTestStack *self)
{
  g_autoptr (GError) error = NULL;
  IocTestPublisher *pub = ioc_test_publisher_new (ioc_test_broker_url (self->broker), "test-pub", &error);
  g_assert_no_error (error);
  return pub;
}

gint64
ioc_test_stack_queue_sum (IocTestStack *self, const gchar *field, const gchar *unit)
{
  g_autofree gchar *q = g_strdup_printf ("SELECT sum(\"%s\") FROM \"ioc_queue\" WHERE \"unit\"='%s'", field, unit);
  gint64 value = -1;
  g_autoptr (GError) error = NULL;
  if (!ioc_test_influx_query_int (self->influx, "ioc", q, &value, &error))
    {
      g_free (self->last_query_error);
      self->last_query_error = g_strdup (error->message);
      return -1;
    }
  return value;
}

void
ioc_test_stack_clear (IocTestStack *self)
{
  if (self->hub != NULL && ioc_test_hub_is_running (self->hub))
    g_assert_true (ioc_test_hub_stop (self->hub));
  g_clear_pointer (&self->hub, ioc_test_hub_free);
  g_clear_pointer (&self->influx, ioc_test_influx_free);
  g_clear_pointer (&self->broker, ioc_test_broker_free);
  g_clear_pointer (&self->last_query_error, g_free);
}
