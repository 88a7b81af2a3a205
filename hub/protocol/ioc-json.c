/* ioc-json.c — see ioc-json.h. */
#include "protocol/ioc-json.h"

#include "protocol/ioc-time.h"

void
ioc_json_int (JsonBuilder *b, const gchar *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

void
ioc_json_double (JsonBuilder *b, const gchar *name, gdouble v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, v);
}

void
ioc_json_bool (JsonBuilder *b, const gchar *name, gboolean v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, v);
}

void
ioc_json_string (JsonBuilder *b, const gchar *name, const gchar *v)
{
  json_builder_set_member_name (b, name);
  if (v != NULL)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
ioc_json_time (JsonBuilder *b, const gchar *name, gint64 us)
{
  gchar buf[IOC_TIME_BUF];
  if (us != 0)
    ioc_time_format (us, buf);
  ioc_json_string (b, name, us != 0 ? buf : NULL);
}

void
ioc_json_int_or_null (JsonBuilder *b, const gchar *name, gboolean have, gint64 v)
{
  json_builder_set_member_name (b, name);
  if (have)
    json_builder_add_int_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
ioc_json_double_or_null (JsonBuilder *b, const gchar *name, gboolean have, gdouble v)
{
  json_builder_set_member_name (b, name);
  if (have)
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
ioc_json_rate (JsonBuilder *b, const gchar *name, gint64 num, gint64 den)
{
  ioc_json_double_or_null (b, name, den > 0, den > 0 ? (gdouble) num / (gdouble) den : 0);
}

void
ioc_json_begin_array (JsonBuilder *b, const gchar *name)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
}

void
ioc_json_begin_object (JsonBuilder *b, const gchar *name)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
}
