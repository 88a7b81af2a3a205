/* iocctl-connector.c — the declared connector configs for iocctl
 * (iocctl-connector.h): model/inventory.c reads and cross-checks them, for
 * the hub as well; here, what only the tool needs.  Single-threaded tool
 * code. */
#include "iocctl-connector.h"

#include <string.h>

#include "protocol/ioc-topic.h"

IocCtlConnector *
ioc_ctl_connector_load (const gchar *path, GError **error)
{
  return ioc_connector_decl_load (path, error);
}

void
ioc_ctl_connector_free (IocCtlConnector *self)
{
  ioc_connector_decl_free (self);
}

GPtrArray *
ioc_ctl_connectors_load_dir (const gchar *dir, GPtrArray *errors, GError **error)
{
  return ioc_inventory_load_dir (dir, errors, error);
}

IocCtlConnector *
ioc_ctl_connectors_find (GPtrArray *connectors, const gchar *name)
{
  for (guint i = 0; i < connectors->len; i++)
    {
      IocCtlConnector *c = connectors->pdata[i];
      g_autofree gchar *base = g_path_get_basename (c->path);
      if (g_str_has_suffix (base, ".conf"))
        base[strlen (base) - 5] = '\0';
      if (g_str_equal (c->id, name) || g_str_equal (base, name))
        return c;
    }
  return NULL;
}

gchar *
ioc_ctl_connector_publish_filter (const IocCtlConnector *self)
{
  return g_strdup_printf ("ioc/v1/%s/%s/%s/%s/#", self->province,
                          g_str_equal (self->kind, "portal") || self->unit == NULL ? "+" : self->unit, self->kind,
                          self->device);
}

gchar *
ioc_ctl_connector_config_topic (const IocCtlConnector *self)
{
  return g_strdup_printf ("ioc/v1/%s/config/%s", self->province, self->id);
}
