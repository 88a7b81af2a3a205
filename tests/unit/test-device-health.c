/* test-device-health.c — cameras, kiosks and connectors per unit, the
 * ioc_device gauges pushed through the rollup, and the snapshot. */
#include <string.h>

#include "aggregate/device-health.h"
#include "protocol/ioc-error.h"

#define SEC G_USEC_PER_SEC
#define MINUTE G_TIME_SPAN_MINUTE
#define T0 ((gint64) 1751356800 * SEC)

typedef struct
{
  IocDeviceHealth *dh;
  IocRecord *rec;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  fx->dh = ioc_device_health_new ();
  fx->rec = g_new0 (IocRecord, 1);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  ioc_device_health_free (fx->dh);
  g_free (fx->rec);
}

static IocRecord *
rec_reset (Fixture *fx, IocKind kind, const gchar *device, IocMsgType mt, gint64 ts)
{
  memset (fx->rec, 0, sizeof *fx->rec);
  fx->rec->kind = kind;
  fx->rec->device = device;
  fx->rec->msg_type = mt;
  fx->rec->ts_us = ts;
  fx->rec->online = IOC_TRI_UNSET;
  return fx->rec;
}

static void
cam_status (Fixture *fx, const gchar *unit, const gchar *nvr, gint64 ts, gint64 now,
            const gchar *cam, gboolean online, gboolean recording)
{
  IocRecord *r = rec_reset (fx, IOC_KIND_CAMERA, nvr, IOC_MSG_STATUS, ts);
  r->n_cameras = 1;
  r->cameras[0] = (IocCameraStatus) { cam, online, recording, TRUE, -1, -1 };
  ioc_device_health_record (fx->dh, r, ioc_intern (unit), now);
}

static void
cam_event (Fixture *fx, const gchar *unit, const gchar *nvr, gint64 ts, const gchar *cam, IocEventType t)
{
  IocRecord *r = rec_reset (fx, IOC_KIND_CAMERA, nvr, IOC_MSG_EVENT, ts);
  r->type = t;
  r->camera = cam;
  ioc_device_health_record (fx->dh, r, ioc_intern (unit), ts);
}

static void
state (Fixture *fx, IocKind kind, const gchar *unit, const gchar *device, gint64 ts, gboolean online)
{
  IocRecord *r = rec_reset (fx, kind, device, IOC_MSG_STATE, ts);
  r->online = online ? IOC_TRI_TRUE : IOC_TRI_FALSE;
  ioc_device_health_record (fx->dh, r, ioc_intern (unit), ts);
}

static void
kiosk_status (Fixture *fx, const gchar *unit, const gchar *device, gint64 ts, gboolean online)
{
  IocRecord *r = rec_reset (fx, IOC_KIND_KIOSK, device, IOC_MSG_STATUS, ts);
  r->online = online ? IOC_TRI_TRUE : IOC_TRI_FALSE;
  ioc_device_health_record (fx->dh, r, ioc_intern (unit), ts);
}

/* Latest by event time wins; an older status or event is ignored. */
static void
test_camera_latest_wins (Fixture *fx, gconstpointer data)
{
  static const struct
  {
    const gchar *what;
    gint64 ts_s;
    gint kind; /* 0 status, 1 event */
    gboolean online, recording;
    IocEventType ev;
    gint64 want_online, want_recording;
  } steps[] = {
    { "status up", 10, 0, TRUE, TRUE, 0, 1, 1 },
    { "older status down ignored", 5, 0, FALSE, FALSE, 0, 1, 1 },
    { "recording stopped", 20, 1, 0, 0, IOC_EV_RECORDING_STOPPED, 1, 0 },
    { "older offline event ignored", 15, 1, 0, 0, IOC_EV_CAMERA_OFFLINE, 1, 0 },
    { "camera offline", 30, 1, 0, 0, IOC_EV_CAMERA_OFFLINE, 0, 0 },
    { "tamper changes nothing", 40, 1, 0, 0, IOC_EV_TAMPER, 0, 0 },
    { "status back", 50, 0, TRUE, TRUE, 0, 1, 1 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      gint64 ts = T0 + steps[i].ts_s * SEC;
      if (steps[i].kind == 0)
        cam_status (fx, "xa-17001", "nvr-1", ts, T0 + 60 * SEC, "c1", steps[i].online, steps[i].recording);
      else
        cam_event (fx, "xa-17001", "nvr-1", ts, "c1", steps[i].ev);
      IocDeviceSummary s;
      g_assert_true (ioc_device_health_summary (fx->dh, "xa-17001", T0 + 60 * SEC, &s));
      g_test_message ("%s", steps[i].what);
      g_assert_cmpint (s.cameras, ==, 1);
      g_assert_cmpint (s.cameras_online, ==, steps[i].want_online);
      g_assert_cmpint (s.cameras_recording, ==, steps[i].want_recording);
    }
}

static void
connector_cb (const IocConnectorInfo *i, gpointer user_data)
{
  g_string_append_printf (user_data, "%s/%s:%d%d%d ", ioc_kind_name (i->kind), i->device, i->state,
                          i->is_declared, i->is_reporting);
}

/* connectors_reporting: state online; or, with no state ever, a message in
 * the last 3 minutes; state offline = not reporting.  Stale statuses do not
 * count as online. */
static void
test_reporting (Fixture *fx, gconstpointer data)
{
  ioc_device_health_expect (fx->dh, IOC_KIND_DESK, "desk-never", "xa-17001");
  kiosk_status (fx, "xa-17001", "k1", T0, TRUE);                  /* no state, seen at T0 */
  kiosk_status (fx, "xa-17001", "k2", T0, TRUE);
  state (fx, IOC_KIND_KIOSK, "xa-17001", "k2", T0 + SEC, FALSE);  /* last will */
  state (fx, IOC_KIND_PORTAL, "xa-17001", "portal", T0, TRUE);
  state (fx, IOC_KIND_PORTAL, "xa-17001", "portal", T0 - SEC, FALSE); /* older: ignored */

  static const struct { gint64 now; gint64 reporting, kiosks_online; } cases[] = {
    { T0 + MINUTE, 2, 1 },            /* k1 by recency, portal by state */
    { T0 + 3 * MINUTE, 2, 1 },        /* exactly 3 min: still reporting */
    { T0 + 3 * MINUTE + 1, 1, 0 },    /* k1 silent too long: not reporting, not online */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IocDeviceSummary s;
      g_assert_true (ioc_device_health_summary (fx->dh, "xa-17001", cases[i].now, &s));
      g_assert_cmpint (s.connectors_expected, ==, 4);
      g_assert_cmpint (s.connectors_reporting, ==, cases[i].reporting);
      g_assert_cmpint (s.kiosks, ==, 2);
      g_assert_cmpint (s.kiosks_online, ==, cases[i].kiosks_online);
      g_assert_cmpint (s.last_seen_us, ==, T0 + SEC);
    }

  GString *list = g_string_new (NULL);
  ioc_device_health_foreach_connector (fx->dh, T0 + MINUTE, connector_cb, list);
  g_assert_cmpstr (list->str, ==, "desk/desk-never:010 kiosk/k1:001 kiosk/k2:200 portal/portal:101 ");
  g_string_free (list, TRUE);
}

typedef struct
{
  GArray *points;
} Collect;

static void
point_cb (const IocPoint *p, gpointer user_data)
{
  g_array_append_val (((Collect *) user_data)->points, *p);
}

/* The sampler pushes the seven gauges per unit; the rollup sums "all". */
static void
test_sampler_through_rollup (Fixture *fx, gconstpointer data)
{
  Collect c = { g_array_new (FALSE, TRUE, sizeof (IocPoint)) };
  g_autoptr (IocRollup) rollup = ioc_rollup_new (NULL, point_cb, &c);
  ioc_rollup_add_gauge_sampler (rollup, ioc_device_health_sample, fx->dh);

  cam_status (fx, "xa-17001", "nvr-1", T0, T0 + 30 * SEC, "c1", TRUE, TRUE);
  cam_status (fx, "xa-17001", "nvr-1", T0, T0 + 30 * SEC, "c2", TRUE, FALSE);
  cam_status (fx, "xa-17002", "nvr-2", T0, T0 + 30 * SEC, "c1", FALSE, FALSE);
  kiosk_status (fx, "xa-17002", "k9", T0 + 30 * SEC, TRUE);
  ioc_device_health_expect (fx->dh, IOC_KIND_DESK, "d1", "xa-17002");

  ioc_rollup_tick (rollup, T0 + 30 * SEC); /* samples (and closes) the minute before T0 */
  g_array_set_size (c.points, 0);
  for (gint64 t = T0 + MINUTE; t <= T0 + MINUTE + 10 * SEC; t += SEC)
    ioc_rollup_tick (rollup, t);

  static const struct { const gchar *unit; gint64 v[IOC_F_DEVICE_N]; } want[] = {
    { "xa-17001", { 2, 2, 1, 0, 0, 1, 1 } },
    { "xa-17002", { 1, 0, 0, 1, 1, 3, 2 } },
    { "all", { 3, 2, 1, 1, 1, 4, 3 } },
  };
  g_assert_cmpuint (c.points->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const IocPoint *p = &g_array_index (c.points, IocPoint, i);
      g_assert_cmpint (p->measurement, ==, IOC_MEAS_DEVICE);
      g_assert_cmpstr (p->unit, ==, want[i].unit);
      g_assert_cmpint (p->ts_us, ==, T0);
      for (guint f = 0; f < IOC_F_DEVICE_N; f++)
        g_assert_cmpint (p->ints[f], ==, want[i].v[f]);
    }
  g_array_unref (c.points);
}

static void
test_save_load (Fixture *fx, gconstpointer data)
{
  ioc_device_health_expect (fx->dh, IOC_KIND_DESK, "d1", "xa-17002");
  ioc_device_health_expect (fx->dh, IOC_KIND_DESK, "dropped", "xa-17002");
  cam_status (fx, "xa-17001", "nvr-1", T0, T0, "c1", TRUE, TRUE);
  kiosk_status (fx, "xa-17002", "k9", T0, TRUE);
  state (fx, IOC_KIND_KIOSK, "xa-17002", "k9", T0, TRUE);
  g_autoptr (GByteArray) snap = g_byte_array_new ();
  ioc_device_health_save (fx->dh, snap);

  /* After restart the inventory says d1 only; the snapshot restores what
   * was observed. */
  g_autoptr (IocDeviceHealth) back = ioc_device_health_new ();
  ioc_device_health_expect (back, IOC_KIND_DESK, "d1", "xa-17002");
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_device_health_load (back, snap->data, snap->len, &error));
  g_assert_no_error (error);
  IocDeviceSummary a, b;
  ioc_device_health_summary (fx->dh, "xa-17001", T0 + MINUTE, &a);
  ioc_device_health_summary (back, "xa-17001", T0 + MINUTE, &b);
  g_assert_cmpmem (&a, sizeof a, &b, sizeof b);
  ioc_device_health_summary (back, "all", T0 + MINUTE, &b);
  g_assert_cmpint (b.connectors_expected, ==, 3); /* nvr-1, k9, d1; not "dropped" */
  g_assert_cmpint (b.kiosks_online, ==, 1);

  for (guint len = 0; len < snap->len; len += 3)
    g_assert_false (ioc_device_health_load (back, snap->data, len, NULL));
  ioc_device_health_summary (back, "all", T0 + MINUTE, &b);
  g_assert_cmpint (b.connectors_expected, ==, 3);
}

/* The wall's one-pass table agrees with the per-unit summary for every
 * unit, and tells when each kind of source was last heard. */
static void
test_summaries_table (Fixture *fx, gconstpointer data)
{
  const gchar *units[] = { "xa-17001", "xa-17002", "xa-17003" };
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      g_autofree gchar *nvr = g_strdup_printf ("nvr-%u", i);
      g_autofree gchar *kiosk = g_strdup_printf ("kiosk-%u", i);
      cam_status (fx, units[i], nvr, T0 + (10 + i) * SEC, T0 + (10 + i) * SEC, "c1", TRUE, i != 1);
      cam_status (fx, units[i], nvr, T0 + (10 + i) * SEC, T0 + (10 + i) * SEC, "c2", TRUE, TRUE);
      if (i != 2)
        kiosk_status (fx, units[i], kiosk, T0 + (20 + i) * SEC, TRUE);
    }
  gint64 now = T0 + MINUTE;
  g_autoptr (GHashTable) table = ioc_device_health_summaries (fx->dh, now);
  g_assert_cmpuint (g_hash_table_size (table), ==, G_N_ELEMENTS (units));
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      IocDeviceSummary one;
      g_assert_true (ioc_device_health_summary (fx->dh, units[i], now, &one));
      const IocDeviceSummary *row = g_hash_table_lookup (table, ioc_intern (units[i]));
      g_assert_nonnull (row);
      g_assert_cmpmem (row, sizeof *row, &one, sizeof one);
      g_assert_cmpint (row->cameras, ==, 2);
      g_assert_cmpint (row->cameras_recording, ==, i == 1 ? 1 : 2);
      g_assert_cmpint (row->kiosks, ==, i == 2 ? 0 : 1);
      g_assert_cmpint (row->last_seen_by_kind_us[IOC_KIND_CAMERA], ==, T0 + (10 + i) * SEC);
      g_assert_cmpint (row->last_seen_by_kind_us[IOC_KIND_KIOSK], ==, i == 2 ? 0 : T0 + (20 + i) * SEC);
      g_assert_cmpint (row->last_seen_by_kind_us[IOC_KIND_PORTAL], ==, 0);
      g_assert_cmpint (row->last_seen_us, ==, i == 2 ? T0 + 12 * SEC : T0 + (20 + i) * SEC);
    }
  IocDeviceSummary all;
  g_assert_true (ioc_device_health_summary (fx->dh, "all", now, &all));
  g_assert_cmpint (all.cameras, ==, 6);
  g_assert_cmpint (all.last_seen_by_kind_us[IOC_KIND_KIOSK], ==, T0 + 21 * SEC);
}

static void
inventory_cb (const IocConnectorInfo *i, gpointer user_data)
{
  g_string_append_printf (user_data, "%s/%s:%s%s%s%s ", ioc_kind_name (i->kind), i->device,
                          i->is_declared ? "D" : "", i->is_undeclared ? "U" : "", i->is_reporting ? "R" : "",
                          i->is_down ? "X" : "");
}

static gchar *
inventory_list (IocDeviceHealth *dh, gint64 now)
{
  GString *list = g_string_new (NULL);
  ioc_device_health_foreach_connector (dh, now, inventory_cb, list);
  return g_string_free (list, FALSE);
}

/* With an inventory, expected is what is declared: a declared connector
 * never heard is expected and not reporting, and down once a cadence has
 * passed since start; one heard but not declared is listed as undeclared
 * and counted in neither. */
static void
test_inventory (Fixture *fx, gconstpointer data)
{
  ioc_device_health_set_started (fx->dh, T0);
  ioc_device_health_set_cadence (fx->dh, 10 * SEC);
  const IocDeclaredConnector decls[] = {
    { IOC_KIND_DESK, "d1", "xa-17001" },
    { IOC_KIND_DESK, "d2", "xa-17001" },
    { IOC_KIND_KIOSK, "never", "xa-17001" },
  };
  ioc_device_health_set_inventory (fx->dh, decls, G_N_ELEMENTS (decls), T0);
  state (fx, IOC_KIND_DESK, "xa-17001", "d1", T0 + SEC, TRUE);
  IocRecord *r = rec_reset (fx, IOC_KIND_DESK, "d2", IOC_MSG_STATUS, T0 + SEC);
  ioc_device_health_record (fx->dh, r, ioc_intern ("xa-17001"), T0 + SEC);
  state (fx, IOC_KIND_DESK, "xa-17001", "stray", T0 + SEC, TRUE);

  static const struct { gint64 now; const gchar *list; gint64 reporting; } cases[] = {
    { T0 + 5 * SEC, "desk/d1:DR desk/d2:DR desk/stray:UR kiosk/never:D ", 2 },
    { T0 + 10 * SEC, "desk/d1:DR desk/d2:DR desk/stray:UR kiosk/never:D ", 2 },  /* exactly a cadence */
    { T0 + 11 * SEC + 1, "desk/d1:DR desk/d2:DX desk/stray:UR kiosk/never:DX ", 1 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      IocDeviceSummary s;
      g_assert_true (ioc_device_health_summary (fx->dh, "xa-17001", cases[i].now, &s));
      g_assert_cmpint (s.connectors_expected, ==, 3);
      g_assert_cmpint (s.connectors_reporting, ==, cases[i].reporting);
      g_autofree gchar *list = inventory_list (fx->dh, cases[i].now);
      g_assert_cmpstr (list, ==, cases[i].list);
    }

  /* A reload: "never" removed (forgotten), d2 removed (heard: stays, as
   * undeclared), a new one added (its grace runs from now), d1 kept (its
   * declaration time too). */
  const IocDeclaredConnector next[] = {
    { IOC_KIND_DESK, "d1", "xa-17001" },
    { IOC_KIND_CAMERA, "nvr-new", "xa-17001" },
  };
  gint64 t1 = T0 + MINUTE;
  ioc_device_health_set_inventory (fx->dh, next, G_N_ELEMENTS (next), t1);
  g_autofree gchar *after = inventory_list (fx->dh, t1 + 5 * SEC);
  g_assert_cmpstr (after, ==, "desk/d1:DR desk/d2:U desk/stray:UR camera/nvr-new:D ");
  g_autofree gchar *later = inventory_list (fx->dh, t1 + 11 * SEC);
  g_assert_cmpstr (later, ==, "desk/d1:DR desk/d2:U desk/stray:UR camera/nvr-new:DX ");
  IocDeviceSummary s;
  g_assert_true (ioc_device_health_summary (fx->dh, "all", t1, &s));
  g_assert_cmpint (s.connectors_expected, ==, 2);
  g_assert_cmpint (s.connectors_reporting, ==, 1);

  /* An empty folder is an inventory of none: nothing expected. */
  ioc_device_health_set_inventory (fx->dh, NULL, 0, t1);
  g_assert_true (ioc_device_health_summary (fx->dh, "all", t1, &s));
  g_assert_cmpint (s.connectors_expected, ==, 0);
  g_autofree gchar *none = inventory_list (fx->dh, t1);
  g_assert_cmpstr (none, ==, "desk/d1:UR desk/d2:U desk/stray:UR ");
}

/* The start time and declaration times survive a restart: a never-heard
 * connector is down at once after it, without a new cadence, and a later
 * start never moves the clock forward. */
static void
test_inventory_restart (Fixture *fx, gconstpointer data)
{
  const IocDeclaredConnector decls[] = { { IOC_KIND_DESK, "never", "xa-17001" } };
  ioc_device_health_set_started (fx->dh, T0);
  ioc_device_health_set_cadence (fx->dh, 10 * SEC);
  ioc_device_health_set_inventory (fx->dh, decls, 1, T0);
  g_autoptr (GByteArray) snap = g_byte_array_new ();
  ioc_device_health_save (fx->dh, snap);

  gint64 t1 = T0 + 20 * SEC;
  g_autoptr (IocDeviceHealth) back = ioc_device_health_new ();
  ioc_device_health_set_started (back, t1);
  ioc_device_health_set_cadence (back, 10 * SEC);
  ioc_device_health_set_inventory (back, decls, 1, t1);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_device_health_load (back, snap->data, snap->len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ioc_device_health_started (back), ==, T0);
  g_autofree gchar *list = inventory_list (back, t1);
  g_assert_cmpstr (list, ==, "desk/never:DX ");

  /* Without a snapshot the clock starts at this start. */
  g_autoptr (IocDeviceHealth) fresh = ioc_device_health_new ();
  ioc_device_health_set_started (fresh, t1);
  ioc_device_health_set_cadence (fresh, 10 * SEC);
  ioc_device_health_set_inventory (fresh, decls, 1, t1);
  g_autofree gchar *fresh_list = inventory_list (fresh, t1 + SEC);
  g_assert_cmpstr (fresh_list, ==, "desk/never:D ");
}

/* The cap counts undeclared devices per (unit, kind): the (cap+1)-th new
 * one is refused, known and declared ones always pass, another unit or
 * kind has its own count, and a snapshot load gives the same answers. */
static void
test_max_per_unit (Fixture *fx, gconstpointer data)
{
  const gchar *u = ioc_intern ("26734"), *v = ioc_intern ("26737");
  ioc_device_health_set_max_per_unit (fx->dh, 3);
  ioc_device_health_expect (fx->dh, IOC_KIND_DESK, "declared-1", u);
  gchar name[32];
  for (guint i = 0; i < 3; i++)
    {
      g_snprintf (name, sizeof name, "forged-%u", i);
      g_assert_true (ioc_device_health_admit (fx->dh, IOC_KIND_DESK, name, u));
      ioc_device_health_record (fx->dh, rec_reset (fx, IOC_KIND_DESK, name, IOC_MSG_STATUS, 1000), u, 1000);
    }
  g_assert_false (ioc_device_health_admit (fx->dh, IOC_KIND_DESK, "forged-3", u));
  g_assert_true (ioc_device_health_admit (fx->dh, IOC_KIND_DESK, "forged-0", u));
  g_assert_true (ioc_device_health_admit (fx->dh, IOC_KIND_DESK, "declared-1", u));
  g_assert_true (ioc_device_health_admit (fx->dh, IOC_KIND_KIOSK, "forged-3", u));
  g_assert_true (ioc_device_health_admit (fx->dh, IOC_KIND_DESK, "forged-3", v));

  g_autoptr (GByteArray) snap = g_byte_array_new ();
  ioc_device_health_save (fx->dh, snap);
  g_autoptr (IocDeviceHealth) back = ioc_device_health_new ();
  ioc_device_health_set_max_per_unit (back, 3);
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_device_health_load (back, snap->data, snap->len, &error));
  g_assert_false (ioc_device_health_admit (back, IOC_KIND_DESK, "forged-3", u));
  g_assert_true (ioc_device_health_admit (back, IOC_KIND_DESK, "forged-2", u));

  ioc_device_health_set_max_per_unit (fx->dh, 0);
  g_assert_true (ioc_device_health_admit (fx->dh, IOC_KIND_DESK, "forged-3", u));
}

static void
count_forgotten (IocKind kind, const gchar *device, gpointer n)
{
  (*(guint *) n)++;
}

/* [hub] forget_devices_after: an undeclared NVR silent past the limit goes
 * with its cameras (the unit's camera count drops, memory comes back); a
 * declared connector just as silent stays, and is down; one heard lately
 * stays; the place under the cap comes back. */
static void
test_forget_silent (Fixture *fx, gconstpointer data)
{
  const gint64 day = G_TIME_SPAN_DAY;
  IocDeclaredConnector decls[] = { { IOC_KIND_DESK, "q-declared", "xa-17001" } };
  ioc_device_health_set_inventory (fx->dh, decls, G_N_ELEMENTS (decls), T0);
  ioc_device_health_set_max_per_unit (fx->dh, 2);
  cam_status (fx, "xa-17001", "nvr-old", T0, T0, "cam-1", TRUE, TRUE);
  cam_status (fx, "xa-17001", "nvr-old", T0, T0, "cam-2", TRUE, TRUE);
  state (fx, IOC_KIND_DESK, "xa-17001", "q-declared", T0, TRUE);
  cam_status (fx, "xa-17001", "nvr-new", T0 + 2 * day, T0 + 2 * day, "cam-3", TRUE, TRUE);
  const gchar *u = ioc_intern ("xa-17001");
  g_assert_false (ioc_device_health_admit (fx->dh, IOC_KIND_CAMERA, "nvr-third", u));

  IocDeviceSummary s;
  g_assert_true (ioc_device_health_summary (fx->dh, "xa-17001", T0 + 3 * day, &s));
  g_assert_cmpint (s.cameras, ==, 3);
  guint n = 0;
  g_assert_cmpuint (ioc_device_health_forget_silent (fx->dh, T0 + 3 * day, 2 * day, count_forgotten, &n), ==, 1);
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (ioc_device_health_summary (fx->dh, "xa-17001", T0 + 3 * day, &s));
  g_assert_cmpint (s.cameras, ==, 1);
  g_assert_cmpint (s.connectors_expected, ==, 1);
  g_assert_true (ioc_device_health_admit (fx->dh, IOC_KIND_CAMERA, "nvr-third", u));
  /* The declared one is as silent, and stays: declared devices are never forgotten. */
  g_assert_cmpuint (ioc_device_health_forget_silent (fx->dh, T0 + 30 * day, 2 * day, NULL, NULL), ==, 1);
  g_assert_true (ioc_device_health_summary (fx->dh, "xa-17001", T0 + 30 * day, &s));
  g_assert_cmpint (s.connectors_expected, ==, 1);
  g_assert_cmpint (s.connectors_reporting, ==, 1); /* its retained state says online */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/ioc/device-health/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("max-per-unit", test_max_per_unit);
  ADD ("camera-latest-wins", test_camera_latest_wins);
  ADD ("reporting", test_reporting);
  ADD ("sampler-through-rollup", test_sampler_through_rollup);
  ADD ("save-load", test_save_load);
  ADD ("summaries-table", test_summaries_table);
  ADD ("inventory", test_inventory);
  ADD ("inventory-restart", test_inventory_restart);
  ADD ("forget-silent", test_forget_silent);
  return g_test_run ();
}
