/* test-ingest-edges.c — the edges of ingest, through a real IocHub's
 * pipeline (ioc_hub_ingest: decode, validate, dedup, aggregate) with no
 * broker: messages that once were lost or miscounted silently.
 *   - seq: a wild seq cannot blackhole a device; a connector that restarts
 *     at 1 (a new seq store, with or without an epoch) is a seq reset, not
 *     duplicates; a jump of more than a million is dead-lettered and moves
 *     nothing, so it reads as no loss;
 *   - units: an event under a code retired by the 2025 merge and dated after
 *     it is counted under the successor, and counted as remapped; a retired
 *     code without successor is dead-lettered;
 *   - dossiers: a completed dossier sent back to an earlier state later is
 *     dead-lettered `transition` and stays completed; the same events
 *     arriving out of order are history and taken;
 *   - values: every number has a plausible range, outside it out_of_range;
 *   - devices: forged ids past [hub] max_devices_per_unit are dead-lettered
 *     too_many_devices, across a restart; undeclared devices silent for
 *     [hub] forget_devices_after are forgotten at the next snapshot, which
 *     gives their places under the cap back.
 * Only loopback: the hub's HTTP listener binds 127.0.0.1 port 0, and MQTT is
 * never started. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "hub.h"
#include "hub-private.h" /* white-box: stage pointers */
#include "protocol/ioc-stats.h"

#define T0_US G_GINT64_CONSTANT (1795309200000000) /* 2026-11-22T08:00:00+07:00 */
#define T0_MS (T0_US / 1000)
#define MIN_MS G_GINT64_CONSTANT (60000)

static const gchar units_csv[] =
  "code,name,kind,parent,valid_from,valid_to,successor\n"
  "tinh-40,Tỉnh Nghệ An,tinh,,,,\n"
  "xa-16681,Phường Quang Trung,phuong,tinh-40,,2025-06-30,xa-16681\n"
  "xa-16681,Phường Thành Vinh,phuong,tinh-40,2025-07-01,,\n"
  "xa-16663,Phường Đông Vĩnh,phuong,tinh-40,,2025-06-30,xa-16681\n"
  "xa-16700,Xã Bỏ,xa,tinh-40,,2025-06-30,\n";

typedef struct
{
  gchar *dir;
  gchar *conf_path;
  IocClock *clock;
  IocHub *hub;
  const IocHubView *view;
} Fixture;

static void
open_hub (Fixture *fx)
{
  g_autoptr (GError) error = NULL;
  IocHubConfig *config = ioc_hub_config_load (fx->conf_path, &error);
  g_assert_no_error (error);
  fx->hub = ioc_hub_new (config, fx->clock, &error);
  g_assert_no_error (error);
  fx->view = ioc_hub_view (fx->hub);
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  fx->dir = g_dir_make_tmp ("ioc-edges-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree gchar *units = g_build_filename (fx->dir, "units.csv", NULL);
  fx->conf_path = g_build_filename (fx->dir, "hub.conf", NULL);
  const gchar *conf_path = fx->conf_path;
  g_autofree gchar *conf = g_strdup_printf ("[hub]\nprovince = 40\nunits = %s\nstate_dir = %s/state\n"
                                            "calendar = %s/ops/calendar/vn-2025.conf,%s/ops/calendar/vn-2026.conf\n"
                                            "[mqtt]\nclient_id = edges\n[http]\nlisten = 127.0.0.1:0\n",
                                            units, fx->dir, IOC_SOURCE_ROOT, IOC_SOURCE_ROOT);
  g_assert_true (g_file_set_contents (units, units_csv, -1, &error));
  g_assert_true (g_file_set_contents (conf_path, conf, -1, &error));
  fx->clock = ioc_clock_new_manual (T0_US);
  open_hub (fx);
}

static void
rm_rf (const gchar *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
      const gchar *name;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree gchar *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  g_clear_pointer (&fx->hub, ioc_hub_free);
  g_clear_pointer (&fx->clock, ioc_clock_free);
  rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->conf_path);
}

/* Adds KEYS (lines) to hub.conf's [hub] group. */
static void
add_hub_keys (Fixture *fx, const gchar *keys)
{
  g_autofree gchar *conf = NULL;
  g_assert_true (g_file_get_contents (fx->conf_path, &conf, NULL, NULL));
  g_autofree gchar *with_keys = g_strconcat ("[hub]\n", keys, conf + strlen ("[hub]\n"), NULL);
  g_assert_true (g_file_set_contents (fx->conf_path, with_keys, -1, NULL));
}

/* Stops the hub, adds KEYS to [hub] and starts it again on the same state. */
static void
reopen_with_hub_keys (Fixture *fx, const gchar *keys)
{
  add_hub_keys (fx, keys);
  ioc_hub_stop (fx->hub);
  g_clear_pointer (&fx->hub, ioc_hub_free);
  open_hub (fx);
}

/* One message, arriving at T0 (events are dated at or before it). */
static void
send (Fixture *fx, const gchar *topic, const gchar *payload)
{
  ioc_hub_ingest (fx->hub, topic, strlen (topic), (const guint8 *) payload, strlen (payload), T0_US);
}

static void
send_ticket (Fixture *fx, const gchar *device, gint64 seq, const gchar *epoch)
{
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/xa-16681/kiosk/%s/event", device);
  g_autofree gchar *ep = epoch ? g_strdup_printf (",\"epoch\":\"%s\"", epoch) : g_strdup ("");
  g_autofree gchar *p = g_strdup_printf ("{\"v\":1,\"seq\":%" G_GINT64_FORMAT "%s,\"ts\":%" G_GINT64_FORMAT
                                         ",\"type\":\"ticket.issued\",\"ticket\":\"A%" G_GINT64_FORMAT "\"}",
                                         seq, ep, T0_MS - MIN_MS, seq);
  send (fx, topic, p);
}

static gint64
stat_value (const gchar *name)
{
  return ioc_stats_lookup (name, NULL);
}

static gint64
dead (Fixture *fx, const gchar *reason)
{
  return ioc_deadletter_count (fx->view->deadletter, reason);
}

/* Counts taken before a step; the step's effect is the difference. */
typedef struct
{
  gint64 accepted, duplicates, resets, remapped;
} Counts;

static Counts
counts (void)
{
  return (Counts) { stat_value ("iochub_messages_accepted_total"), stat_value ("iochub_duplicates_total"),
                    stat_value ("iochub_seq_resets_total"), stat_value ("iochub_remapped_total") };
}

/* One message with seq 2^62 once took a device's window up there: its next
 * 100 real messages were dropped as duplicates, and seq_missing read 4.6e18. */
static void
test_wild_seq (Fixture *fx, gconstpointer data)
{
  for (gint64 seq = 1; seq <= 10; seq++)
    send_ticket (fx, "k-01", seq, NULL);
  Counts c0 = counts ();
  send_ticket (fx, "k-01", G_GINT64_CONSTANT (4611686018427387904), NULL);
  g_assert_cmpint (dead (fx, "out_of_range") + dead (fx, "seq_jump"), ==, 1);
  for (gint64 seq = 11; seq <= 110; seq++)
    send_ticket (fx, "k-01", seq, NULL);
  Counts c1 = counts ();
  g_assert_cmpint (c1.accepted - c0.accepted, ==, 100);
  g_assert_cmpint (c1.duplicates - c0.duplicates, ==, 0);
  g_assert_cmpint (ioc_dedup_missing_total (fx->view->dedup), ==, 0);
  g_assert_cmpint (stat_value ("iochub_seq_missing"), ==, 0);
}

/* A reinstalled connector (a lost seq store) starts again at 1 after 2,000:
 * without an epoch, more than 1,000 below the highest is a reset. */
static void
test_restart_without_epoch (Fixture *fx, gconstpointer data)
{
  for (gint64 seq = 1; seq <= 2000; seq++)
    send_ticket (fx, "k-02", seq, NULL);
  Counts c0 = counts ();
  for (gint64 seq = 1; seq <= 50; seq++)
    send_ticket (fx, "k-02", seq, NULL);
  Counts c1 = counts ();
  g_assert_cmpint (c1.accepted - c0.accepted, ==, 50);
  g_assert_cmpint (c1.duplicates - c0.duplicates, ==, 0);
  g_assert_cmpint (c1.resets - c0.resets, ==, 1);
  g_assert_cmpint (ioc_dedup_missing_total (fx->view->dedup), ==, 0);
}

/* With epochs (every connector sends one): a new epoch is a reset, and a
 * late repeat of the old epoch is still a duplicate. */
static void
test_restart_with_epoch (Fixture *fx, gconstpointer data)
{
  for (gint64 seq = 1; seq <= 2000; seq++)
    send_ticket (fx, "k-03", seq, "aaaa1111");
  Counts c0 = counts ();
  for (gint64 seq = 1; seq <= 50; seq++)
    send_ticket (fx, "k-03", seq, "bbbb2222");
  send_ticket (fx, "k-03", 2000, "aaaa1111"); /* a QoS 1 repeat from before */
  send_ticket (fx, "k-03", 50, "bbbb2222");
  Counts c1 = counts ();
  g_assert_cmpint (c1.accepted - c0.accepted, ==, 50);
  g_assert_cmpint (c1.duplicates - c0.duplicates, ==, 2);
  g_assert_cmpint (c1.resets - c0.resets, ==, 1);
  g_assert_cmpint (ioc_dedup_missing_total (fx->view->dedup), ==, 0);
}

/* A simulator seeded its seq from the clock: after a restart two weeks
 * later, 1.2 billion "missing".  Within an epoch (or without one) a jump of
 * more than a million is dead-lettered and the window stays. */
static void
test_seq_jump (Fixture *fx, gconstpointer data)
{
  gint64 base = G_GINT64_CONSTANT (1763000000000);
  for (gint64 i = 0; i < 10; i++)
    send_ticket (fx, "sim-1", base + i, NULL);
  for (gint64 i = 0; i < 10; i++)
    send_ticket (fx, "sim-2", 100 + i, "cccc3333");
  Counts c0 = counts ();
  send_ticket (fx, "sim-1", base + G_GINT64_CONSTANT (1200000000), NULL);
  send_ticket (fx, "sim-2", 100 + 1000010, "cccc3333");
  g_assert_cmpint (dead (fx, "seq_jump"), ==, 2);
  send_ticket (fx, "sim-1", base + 10, NULL);
  send_ticket (fx, "sim-2", 110, "cccc3333");
  /* A million exactly is believed: a gap, counted as loss. */
  send_ticket (fx, "sim-2", 110 + 1000000, "cccc3333");
  Counts c1 = counts ();
  g_assert_cmpint (c1.accepted - c0.accepted, ==, 3);
  g_assert_cmpint (ioc_dedup_missing_total (fx->view->dedup), ==, 999999);
}

/* SPEC §2: an event under a code retired by the 2025 merge, dated after it,
 * counts under the successor; a retired code without one is dead-lettered. */
static void
test_retired_unit (Fixture *fx, gconstpointer data)
{
  Counts c0 = counts ();
  send (fx, "ioc/v1/40/xa-16663/portal/dvc-1/event",
        "{\"v\":1,\"seq\":1,\"ts\":\"2026-11-22T07:00:00+07:00\",\"type\":\"dossier\",\"dossier\":\"H40-1\","
        "\"procedure\":\"1.001\",\"state\":2,\"channel\":2,\"received_at\":\"2026-11-22T07:00:00+07:00\"}");
  send (fx, "ioc/v1/40/xa-16700/portal/dvc-1/event",
        "{\"v\":1,\"seq\":2,\"ts\":\"2026-11-22T07:00:00+07:00\",\"type\":\"dossier\",\"dossier\":\"H40-2\","
        "\"procedure\":\"1.001\",\"state\":2,\"channel\":2,\"received_at\":\"2026-11-22T07:00:00+07:00\"}");
  Counts c1 = counts ();
  g_assert_cmpint (c1.accepted - c0.accepted, ==, 1);
  g_assert_cmpint (c1.remapped - c0.remapped, ==, 1);
  g_assert_cmpint (dead (fx, "unknown_unit"), ==, 1);
  IocDossierInfo info;
  g_assert_true (ioc_dossier_tracker_lookup (fx->view->dossiers, "H40-1", &info));
  g_assert_cmpstr (info.unit, ==, "xa-16681");
  g_assert_false (ioc_dossier_tracker_lookup (fx->view->dossiers, "H40-2", &info));
}

static void
send_dossier (Fixture *fx, gint64 seq, const gchar *id, gint state, const gchar *ts)
{
  g_autofree gchar *p = g_strdup_printf ("{\"v\":1,\"seq\":%" G_GINT64_FORMAT ",\"ts\":\"%s\",\"type\":\"dossier\","
                                         "\"dossier\":\"%s\",\"procedure\":\"1.001\",\"state\":%d,\"channel\":1,"
                                         "\"received_at\":\"2026-11-20T09:00:00+07:00\"}",
                                         seq, ts, id, state);
  send (fx, "ioc/v1/40/xa-16681/portal/dvc-2/event", p);
}

/* A completed dossier (state 10) sent back to an earlier state with a later
 * ts is dead-lettered and stays completed; arriving out of order is fine. */
static void
test_dossier_transition (Fixture *fx, gconstpointer data)
{
  IocDossierInfo info;
  send_dossier (fx, 1, "H40-7", 4, "2026-11-21T09:00:00+07:00");
  send_dossier (fx, 2, "H40-7", 10, "2026-11-21T15:00:00+07:00");
  send_dossier (fx, 3, "H40-7", 4, "2026-11-22T07:00:00+07:00");
  g_assert_cmpint (dead (fx, "transition"), ==, 1);
  g_assert_true (ioc_dossier_tracker_lookup (fx->view->dossiers, "H40-7", &info));
  g_assert_cmpint (info.state, ==, 10);
  g_assert_false (info.is_open);
  /* The same dossier's result again, later: not a transition back. */
  send_dossier (fx, 4, "H40-7", 10, "2026-11-22T07:30:00+07:00");
  g_assert_cmpint (dead (fx, "transition"), ==, 1);

  /* Out of order: the result first, the earlier processing step late. */
  send_dossier (fx, 5, "H40-8", 10, "2026-11-21T15:00:00+07:00");
  send_dossier (fx, 6, "H40-8", 4, "2026-11-21T09:00:00+07:00");
  g_assert_cmpint (dead (fx, "transition"), ==, 1);
  g_assert_true (ioc_dossier_tracker_lookup (fx->view->dossiers, "H40-8", &info));
  g_assert_cmpint (info.state, ==, 10);
  g_assert_false (info.is_open);
}

/* Every numeric field has a plausible range (docs/CONNECTORS.md); a wait of
 * 1e308 s once made the day's median wait 115 days. */
static void
test_ranges (Fixture *fx, gconstpointer data)
{
  static const struct
  {
    const gchar *topic;
    const gchar *body;
  } cases[] = {
    { "ioc/v1/40/xa-16681/desk/q-1/event", "\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":1e308" },
    { "ioc/v1/40/xa-16681/desk/q-1/event", "\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":90000" },
    { "ioc/v1/40/xa-16681/desk/q-1/event", "\"type\":\"service.done\",\"ticket\":\"A1\",\"counter\":\"1\",\"service_s\":36000" },
    { "ioc/v1/40/xa-16681/kiosk/k-1/event", "\"type\":\"rating\",\"level\":5,\"scale\":3,\"channel\":\"qr\"" },
    { "ioc/v1/40/xa-16681/desk/q-1/status", "\"counters_open\":5000" },
    { "ioc/v1/40/xa-16681/kiosk/k-1/status", "\"queue_length\":1000000" },
    { "ioc/v1/40/xa-16681/camera/nvr-1/status", "\"cameras\":[{\"camera\":\"c1\",\"online\":true,\"fps\":5000}]" },
    { "ioc/v1/40/xa-16681/portal/dvc-3/status", "\"sync_lag_s\":100000000" },
    { "ioc/v1/40/xa-16681/portal/dvc-3/event", "\"type\":\"dossier\",\"dossier\":\"H40-9\",\"procedure\":\"1.001\","
                                               "\"state\":4,\"channel\":1,\"received_at\":0,\"supplements\":500" },
  };
  Counts c0 = counts ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *p = g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",%s}", 1 + i,
                                             T0_MS - MIN_MS, cases[i].body);
      send (fx, cases[i].topic, p);
      {
        /* escaped: TAP output must stay valid UTF-8 */
        g_autofree gchar *shown = g_strescape (p, NULL);
        g_test_message ("case %u: %s", i, shown);
      }
      g_assert_cmpint (dead (fx, "out_of_range"), ==, (gint64) i + 1);
    }
  g_assert_cmpint (counts ().accepted - c0.accepted, ==, 0);
  /* The edges themselves are in range (ts: this month, or too_late). */
  send (fx, "ioc/v1/40/xa-16681/desk/q-2/event",
        "{\"v\":1,\"seq\":1,\"ts\":\"2026-11-22T07:00:00+07:00\",\"type\":\"ticket.called\",\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":86400}");
  send (fx, "ioc/v1/40/xa-16681/desk/q-2/event",
        "{\"v\":1,\"seq\":2,\"ts\":\"2026-11-22T07:00:00+07:00\",\"type\":\"service.done\",\"ticket\":\"A1\",\"counter\":\"1\",\"service_s\":28800}");
  g_assert_cmpint (counts ().accepted - c0.accepted, ==, 2);
}

/* Forged device ids once cost 0.5-0.8 KB each, never freed.  Past
 * [hub] max_devices_per_unit (64) new devices of one unit and kind are
 * dead-lettered before the hub keeps anything for them; known devices and
 * other kinds go on; after a restart the same devices are in and the same
 * are out.  (ioc_hub_ingest journals nothing: a crash's journal replay is
 * the integration suite's, through MQTT.) */
static void
test_forged_devices (Fixture *fx, gconstpointer data)
{
  Counts c0 = counts ();
  gint64 dead0 = dead (fx, "too_many_devices");
  for (guint i = 0; i < 64 + 50; i++)
    {
      g_autofree gchar *device = g_strdup_printf ("f-%03u", i);
      send_ticket (fx, device, 1, NULL);
    }
  g_assert_cmpint (dead (fx, "too_many_devices") - dead0, ==, 50);
  g_assert_cmpint (counts ().accepted - c0.accepted, ==, 64);
  g_autofree gchar *called = g_strdup_printf ("{\"v\":1,\"seq\":1,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.called\","
                                              "\"ticket\":\"A1\",\"counter\":\"1\",\"wait_s\":60}", T0_MS - MIN_MS);
  send (fx, "ioc/v1/40/xa-16681/desk/q-1/event", called);
  send_ticket (fx, "f-000", 2, NULL);
  g_assert_cmpint (counts ().accepted - c0.accepted, ==, 66);

  /* A restart: the snapshot holds the devices, so the count is the same. */
  ioc_hub_stop (fx->hub);
  g_clear_pointer (&fx->hub, ioc_hub_free);
  open_hub (fx);
  Counts c1 = counts ();
  gint64 dead1 = dead (fx, "too_many_devices");
  send_ticket (fx, "f-010", 10, NULL); /* known */
  send_ticket (fx, "f-200", 1, NULL);  /* one more new one: still out */
  g_assert_cmpint (counts ().accepted - c1.accepted, ==, 1);
  g_assert_cmpint (dead (fx, "too_many_devices") - dead1, ==, 1);
}

/* The same ticket as send_ticket, arriving at arrival_us (dated a minute
 * before it). */
static void
send_ticket_at (Fixture *fx, const gchar *device, gint64 seq, gint64 arrival_us)
{
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/40/xa-16681/kiosk/%s/event", device);
  g_autofree gchar *p = g_strdup_printf ("{\"v\":1,\"seq\":%" G_GINT64_FORMAT ",\"ts\":%" G_GINT64_FORMAT
                                         ",\"type\":\"ticket.issued\",\"ticket\":\"A%" G_GINT64_FORMAT "\"}",
                                         seq, arrival_us / 1000 - MIN_MS, seq);
  ioc_hub_ingest (fx->hub, topic, strlen (topic), (const guint8 *) p, strlen (p), arrival_us);
}

/* Forged or retired ids once stayed for ever, and held their places under
 * the cap: with [hub] forget_devices_after = 2d, the 64 forged devices
 * silent for 3 days are forgotten at the snapshot a restart takes, and a
 * device heard a day ago is kept.  After it a new device is admitted, and
 * a forgotten one that comes back starts again (new, not a duplicate). */
static void
test_silent_devices_forgotten (Fixture *fx, gconstpointer data)
{
  reopen_with_hub_keys (fx, "forget_devices_after = 2d\n");

  for (guint i = 0; i < 64; i++)
    {
      g_autofree gchar *device = g_strdup_printf ("f-%03u", i);
      send_ticket_at (fx, device, 1, T0_US);
    }
  gint64 dead0 = dead (fx, "too_many_devices");
  send_ticket_at (fx, "late-1", 1, T0_US + 2 * G_TIME_SPAN_DAY);
  g_assert_cmpint (dead (fx, "too_many_devices") - dead0, ==, 1); /* the cap is full */
  send_ticket_at (fx, "f-063", 2, T0_US + 2 * G_TIME_SPAN_DAY);   /* f-063 is heard again */
  g_assert_cmpuint (ioc_dedup_n_devices (fx->view->dedup), ==, 64);

  gint64 forgotten0 = stat_value ("iochub_devices_forgotten_total");
  ioc_clock_set (fx->clock, T0_US + 3 * G_TIME_SPAN_DAY);
  ioc_hub_stop (fx->hub); /* its final snapshot forgets */
  g_clear_pointer (&fx->hub, ioc_hub_free);
  open_hub (fx);
  g_assert_cmpint (stat_value ("iochub_devices_forgotten_total") - forgotten0, ==, 63);
  g_assert_cmpuint (ioc_dedup_n_devices (fx->view->dedup), ==, 1);

  Counts c1 = counts ();
  gint64 dead1 = dead (fx, "too_many_devices");
  gint64 now = T0_US + 3 * G_TIME_SPAN_DAY;
  send_ticket_at (fx, "late-1", 1, now); /* a place under the cap again */
  send_ticket_at (fx, "f-000", 5, now);  /* forgotten: starts again */
  send_ticket_at (fx, "f-063", 2, now);  /* kept: still a duplicate */
  g_assert_cmpint (dead (fx, "too_many_devices") - dead1, ==, 0);
  g_assert_cmpint (counts ().accepted - c1.accepted, ==, 2);
  g_assert_cmpint (counts ().duplicates - c1.duplicates, ==, 1);
  g_assert_cmpuint (ioc_dedup_n_devices (fx->view->dedup), ==, 3);
}

/* [hub] keep_finished_dossiers bounds how long a finished dossier stays in
 * memory (the soak's steady state depends on it); its id is then remembered
 * for remember_dropped_dossiers, so a late event for it stays stale. */
static void
test_finished_dossier_retention (Fixture *fx, gconstpointer data)
{
  reopen_with_hub_keys (fx, "keep_finished_dossiers = 1h\n");
  IocDossierInfo info;
  send_dossier (fx, 1, "H40-9", 4, "2026-11-22T07:00:00+07:00");
  send_dossier (fx, 2, "H40-9", 10, "2026-11-22T07:30:00+07:00");
  ioc_clock_set (fx->clock, T0_US + 50 * G_TIME_SPAN_MINUTE);
  ioc_hub_tick (fx->hub);
  g_assert_true (ioc_dossier_tracker_lookup (fx->view->dossiers, "H40-9", &info));
  g_assert_cmpint (stat_value ("iochub_dossiers_tracked"), ==, 1);
  ioc_clock_set (fx->clock, T0_US + 70 * G_TIME_SPAN_MINUTE);
  ioc_hub_tick (fx->hub);
  g_assert_false (ioc_dossier_tracker_lookup (fx->view->dossiers, "H40-9", &info));
  g_assert_cmpint (stat_value ("iochub_dossiers_tracked"), ==, 0);
  gint64 stale0 = stat_value ("iochub_dossier_stale_events_total");
  send_dossier (fx, 3, "H40-9", 4, "2026-11-22T07:10:00+07:00");
  g_assert_cmpint (stat_value ("iochub_dossier_stale_events_total") - stale0, ==, 1);
  g_assert_false (ioc_dossier_tracker_lookup (fx->view->dossiers, "H40-9", &info));
}

/* A reload (SIGHUP) changes the retention for dossiers finishing from then
 * on, without a restart. */
static void
test_finished_dossier_retention_reloads (Fixture *fx, gconstpointer data)
{
  add_hub_keys (fx, "keep_finished_dossiers = 1h\n");
  g_autoptr (GError) error = NULL;
  g_assert_true (ioc_hub_reload (fx->hub, &error));
  g_assert_no_error (error);
  IocDossierInfo info;
  send_dossier (fx, 1, "H40-10", 4, "2026-11-22T07:00:00+07:00");
  send_dossier (fx, 2, "H40-10", 10, "2026-11-22T07:30:00+07:00");
  ioc_clock_set (fx->clock, T0_US + 70 * G_TIME_SPAN_MINUTE);
  ioc_hub_tick (fx->hub);
  g_assert_false (ioc_dossier_tracker_lookup (fx->view->dossiers, "H40-10", &info));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/ioc/ingest-edges/seq/wild-seq-does-not-blackhole", test_wild_seq);
  ADD ("/ioc/ingest-edges/seq/restart-without-epoch-is-reset", test_restart_without_epoch);
  ADD ("/ioc/ingest-edges/seq/restart-with-epoch-is-reset", test_restart_with_epoch);
  ADD ("/ioc/ingest-edges/seq/jump-dead-lettered", test_seq_jump);
  ADD ("/ioc/ingest-edges/units/retired-code-remapped", test_retired_unit);
  ADD ("/ioc/ingest-edges/dossier/completed-stays-completed", test_dossier_transition);
  ADD ("/ioc/ingest-edges/dossier/finished-kept-as-configured", test_finished_dossier_retention);
  ADD ("/ioc/ingest-edges/dossier/finished-kept-reloads", test_finished_dossier_retention_reloads);
  ADD ("/ioc/ingest-edges/values/out-of-range", test_ranges);
  ADD ("/ioc/ingest-edges/devices/forged-ids-capped", test_forged_devices);
  ADD ("/ioc/ingest-edges/devices/silent-ones-forgotten", test_silent_devices_forgotten);
  return g_test_run ();
}
