/* procedures.c — see procedures.h.  Read by the dossier tracker for every
 * deadline it computes; loaded by the hub at start and on reload. */
#include "model/procedures.h"

#include "protocol/ioc-error.h"
#include "protocol/ioc-hash.h"
#include "protocol/ioc-keyfile.h"

#define DAY_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)
#define HOUR_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)

typedef struct
{
  gchar unit; /* 'w' working days, 'h' working hours, 'd' calendar days */
  gdouble amount;
} Statute;

struct _IocProcedures
{
  Statute def;
  GHashTable *by_code; /* gchar* → Statute* */
};

/* docs/DOSSIERS.md: without a procedures file, 5 working days. */
static const Statute builtin_default = { 'w', 5.0 };

void
ioc_procedures_free (IocProcedures *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_code);
  g_free (self);
}

static gboolean
parse_statute (const gchar *text, Statute *out)
{
  gchar *end = NULL;
  gdouble v = g_ascii_strtod (text, &end);
  if (end == text || !(v > 0) || v > 3650)
    return FALSE;
  while (*end == ' ')
    end++;
  if (g_strcmp0 (end, "wd") == 0)
    out->unit = 'w';
  else if (g_strcmp0 (end, "h") == 0)
    out->unit = 'h';
  else if (g_strcmp0 (end, "d") == 0)
    out->unit = 'd';
  else
    return FALSE;
  out->amount = v;
  return TRUE;
}

IocProcedures *
ioc_procedures_load_data (const gchar *path_for_errors, const gchar *data, gsize len, GError **error)
{
  g_autoptr (IocKeyFile) kf = ioc_keyfile_load_data (path_for_errors, data, len, error);
  if (kf == NULL)
    return NULL;
  g_autoptr (IocProcedures) self = g_new0 (IocProcedures, 1);
  self->def = builtin_default;
  self->by_code = g_hash_table_new_full (ioc_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) groups = g_key_file_get_groups (kf->kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    if (g_strcmp0 (groups[i], "procedures") != 0)
      {
        g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG, "%s: [%s]: expected only the group [procedures]",
                     kf->path, groups[i]);
        return NULL;
      }
  g_auto (GStrv) keys = g_key_file_get_keys (kf->kf, "procedures", NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree gchar *v = ioc_keyfile_string (kf, "procedures", keys[i], NULL, TRUE, error);
      Statute st;
      if (v == NULL)
        return NULL;
      if (!parse_statute (v, &st))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "%s: [procedures] %s: expected a statutory time such as 5wd (working days), "
                       "8h (working hours) or 15d (calendar days), got '%s'",
                       kf->path, keys[i], v);
          return NULL;
        }
      if (g_strcmp0 (keys[i], "default") == 0)
        self->def = st;
      else
        g_hash_table_replace (self->by_code, g_strdup (keys[i]), g_memdup2 (&st, sizeof st));
    }
  return g_steal_pointer (&self);
}

IocProcedures *
ioc_procedures_load (const gchar *path, GError **error)
{
  gsize len = 0;
  g_autofree gchar *data = ioc_keyfile_read (path, &len, error);
  if (data == NULL)
    return NULL;
  return ioc_procedures_load_data (path, data, len, error);
}

gint64
ioc_procedures_deadline (const IocProcedures *self, const IocCalendar *cal, const gchar *code,
                         gint64 received_us)
{
  Statute st = self != NULL ? self->def : builtin_default;
  if (self != NULL && code != NULL)
    {
      const Statute *p = g_hash_table_lookup (self->by_code, code);
      if (p != NULL)
        st = *p;
    }
  switch (st.unit)
    {
    case 'h':
      return ioc_calendar_add_working_us (cal, received_us, (gint64) (st.amount * HOUR_US + 0.5));
    case 'd':
      {
        /* Calendar days; a period ending on a rest day ends with the next
         * working day (Bộ luật Dân sự 2015 Điều 148). */
        gint64 t = received_us + (gint64) (st.amount * DAY_US + 0.5);
        gint32 day = ioc_calendar_day_of (t);
        if (!ioc_calendar_is_working_day_n (cal, day))
          t = ioc_calendar_day_work_end (cal, ioc_calendar_next_working_day (cal, day));
        return t;
      }
    default:
      return ioc_calendar_add_working_us (cal, received_us,
                                          (gint64) (st.amount * ioc_calendar_working_day_us (cal) + 0.5));
    }
}
