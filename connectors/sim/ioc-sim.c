/* ioc-sim.c — plays a province's source systems on loopback so the real
 * connectors run against them (SPEC §8), or publishes SPEC traffic directly
 * over MQTT like thousands of connectors (load).
 *
 *   ioc-sim --seed 1 --speed 60 --port 8081 [--sites 20] [--surge]
 *           [--post-to URL | --post-to UNIT=URL …] [--list-sites]
 *   ioc-sim --mqtt tcp://127.0.0.1:1883 --connectors 3000 --rate 100 --seed 1 [--count N] [--connections N]
 *           [--mix load|province] [--state FILE]
 *
 * Source mode serves on 127.0.0.1:PORT
 *   GET /api/queue/events?unit=CODE&after=N     desk events of one site (SPEC names)
 *   GET /api/dossiers/changes?since=N          dossier changes of every site
 *   GET /snapshot/CAM.jpg                       a camera snapshot (or 503 while down)
 *   GET /nvr/CODE/status                        the site NVR's channel status (JSON)
 * and answers RTSP OPTIONS/DESCRIBE on PORT+1 (rtsp://127.0.0.1:PORT+1/CAM),
 * and POSTs kiosk tickets and ratings to --post-to (per site or for all).
 *
 * Time: simulated time starts at --start (local HH:MM today, default 07:30)
 * and runs --speed times faster than the wall, but never ahead of the wall
 * clock (the hub refuses events from the future): a morning replays in
 * minutes, then the day continues in real time.  Deterministic: every event
 * is drawn from one GRand seeded with --seed, one simulated second at a time,
 * so the same seed and the same simulated span give the same events.
 * Daily curve: nothing before 07:00 or after 17:00, a morning peak 08–10,
 * a lunch dip 11:30–13:30; ~70 % of dossiers online; --late-share of them
 * already overdue; --surge adds an afternoon wave of overdue dossiers.
 * A ticket is issued at the kiosk, called at a counter after its wait and
 * done after its service; a dossier is received, processed and returned
 * over simulated hours: later steps are scheduled and published when the
 * simulated clock reaches them, so no event is dated ahead of its time.
 *
 * MQTT mode plays --connectors devices spread over the registry's current
 * units (per site: 1–4 desks, a kiosk, an NVR; plus a few province-wide
 * portal back-ends) and publishes their mix at --rate msg/s
 * (0: as fast as the broker acknowledges): retained statuses, ticket
 * lifecycles (issued → called → done → rating), dossier lifecycles on the
 * handling unit's topic, camera outages.  --mix load (the default, for
 * benchmarks) is far heavier in events than a real province; --mix province
 * has a normal day's volumes (sim-traffic.h says both).  In the load mix the
 * sequence of messages is a function of --seed alone (in the province mix,
 * services and camera troubles also end by the clock); timestamps are the
 * wall clock, and each run draws a new epoch (SPEC §4), its devices
 * counting seq from 1.
 * --state keeps the open dossiers across runs.
 *
 * This file is the command line.  Source mode: sim-province.c (the model)
 * and sim-source.c (its clock and what it serves); MQTT mode: sim-traffic.c
 * (the model) and sim-load.c (what sends it).
 * Threads: see each of those files. */
#include <locale.h>
#include <stdio.h>

#include "sim-load.h"
#include "sim-source.h"
#include "sim.h"

const gchar *const ioc_sim_services[5] = { "hộ tịch", "chứng thực", "đất đai", "xây dựng", "tư pháp" };

/* Current units of the registry; communes and wards only (prefix "xa-")
 * when communes_only.  code,name,kind,parent,valid_from,valid_to,successor:
 * names never contain a comma before valid_to is reached from the end. */
static GPtrArray *
load_units (const gchar *path, guint max, gboolean communes_only, GError **error)
{
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  GPtrArray *units = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] && units->len < max; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      guint n = g_strv_length (f);
      if (n >= 7 && f[n - 2][0] == '\0' && (!communes_only || g_str_has_prefix (f[0], "xa-")))
        g_ptr_array_add (units, g_strdup (f[0]));
    }
  return units;
}

/* Long on purpose: the options of both modes, checked in one place, then
 * the mode. */
int
main (int argc, char **argv)
{
  gint seed = 1, port = 8081, sites = 20, window = 1000, n_conn = 1;
  gdouble speed = 60, late_share = -1, rate = 100;
  gboolean surge = FALSE, list_sites = FALSE, version = FALSE;
  gint connectors = 3000;
  gint64 count = 0;
  /* Defaults are set after parsing: GOption overwrites a string without
   * freeing it, so a default set here would leak when the option is given. */
  g_autofree gchar *units_path = NULL;
  g_autofree gchar *start = NULL;
  g_autofree gchar *date = NULL;
  g_autofree gchar *mqtt = NULL;
  g_autofree gchar *mix = NULL;
  g_autofree gchar *state = NULL;
  g_auto (GStrv) post_to = NULL;
  GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (default 1)", "N" },
    { "speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed, "Simulated seconds per wall second (default 60)", "X" },
    { "start", 0, 0, G_OPTION_ARG_STRING, &start, "Simulated start, local HH:MM today (default 07:30)", "HH:MM" },
    { "date", 0, 0, G_OPTION_ARG_STRING, &date,
      "Play this past day instead of today (a working day at any hour; benchmarks)", "YYYY-MM-DD" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "HTTP port on 127.0.0.1; RTSP on PORT+1 (default 8081)", "P" },
    { "sites", 0, 0, G_OPTION_ARG_INT, &sites, "Commune sites to play (default 20)", "N" },
    { "list-sites", 0, 0, G_OPTION_ARG_NONE, &list_sites, "Print the sites' unit codes and exit", NULL },
    { "units", 0, 0, G_OPTION_ARG_FILENAME, &units_path, "Unit registry CSV", "PATH" },
    { "late-share", 0, 0, G_OPTION_ARG_DOUBLE, &late_share,
      "Share of dossiers already overdue (0.05; 0.003 with --mix province)", "F" },
    { "surge", 0, 0, G_OPTION_ARG_NONE, &surge, "An overdue surge 14:00–15:00 (exercises alerts)", NULL },
    { "post-to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &post_to,
      "Kiosk webhook to POST tickets and ratings to: URL (every site) or UNIT=URL (repeatable)", "URL" },
    { "mqtt", 0, 0, G_OPTION_ARG_STRING, &mqtt, "MQTT mode: publish SPEC traffic to this broker", "URL" },
    { "connectors", 0, 0, G_OPTION_ARG_INT, &connectors, "MQTT mode: devices to play (3000)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "MQTT mode: messages per second, 0 = the broker's limit (100)", "R" },
    { "mix", 0, 0, G_OPTION_ARG_STRING, &mix,
      "MQTT mode: load (events-heavy, the default) or province (a normal day's volumes)", "MIX" },
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &state,
      "MQTT mode: keep the open dossiers in this file and carry them on at the next start", "FILE" },
    { "count", 0, 0, G_OPTION_ARG_INT64, &count, "MQTT mode: stop after N messages (0: until SIGTERM)", "N" },
    { "window", 0, 0, G_OPTION_ARG_INT, &window, "MQTT mode: unacknowledged messages at most, per connection (1000)", "N" },
    { "connections", 0, 0, G_OPTION_ARG_INT, &n_conn,
      "MQTT mode: broker connections, each device on one of them (1)", "N" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL },
  };
  setlocale (LC_ALL, "");
  g_autoptr (GOptionContext) octx = g_option_context_new ("— play a province for iochub");
  g_option_context_add_main_entries (octx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("ioc-sim: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("ioc-sim %s\n", IOC_VERSION);
      return 0;
    }
  if (units_path == NULL)
    units_path = g_strdup (IOC_DEFAULT_UNITS);
  if (start == NULL)
    start = g_strdup ("07:30");
  IocSimMix load_mix = IOC_SIM_MIX_LOAD;
  if (mix != NULL && !ioc_sim_mix_parse (mix, &load_mix))
    {
      g_printerr ("ioc-sim: --mix %s: expected load or province\n", mix);
      return 2;
    }
  if (late_share < 0)
    late_share = load_mix == IOC_SIM_MIX_PROVINCE ? 0.003 : 0.05;
  if (sites < 1 || sites > 5000 || speed <= 0 || connectors < 10 || connectors > 1000000 || rate < 0
      || port < 1 || port > 65534 || window < 1 || window > 65535 || count < 0 || n_conn < 1 || n_conn > 64
      || late_share > 1)
    {
      g_printerr ("ioc-sim: --sites 1…5000, --speed > 0, --connectors 10…1000000, --rate ≥ 0, "
                  "--port 1…65534, --window 1…65535, --count ≥ 0, --connections 1…64, --late-share 0…1\n");
      return 2;
    }
  g_autoptr (GPtrArray) units = load_units (units_path, mqtt ? 100000 : (guint) sites, !mqtt, &error);
  if (!units || units->len == 0)
    {
      g_printerr ("ioc-sim: %s: %s\n", units_path, error ? error->message : "no current units");
      return 1;
    }
  if (list_sites)
    {
      for (guint i = 0; i < units->len; i++)
        printf ("%s\n", (gchar *) units->pdata[i]);
      return 0;
    }
  if (mqtt)
    {
      IocSimLoadOptions load = { mqtt, connectors, rate, seed, count, late_share, window, n_conn, load_mix, state };
      return ioc_sim_run_mqtt (units, &load);
    }
  IocSimSourceOptions source = { seed, speed, surge, late_share, port, start, date, (const gchar *const *) post_to };
  return ioc_sim_run_source (units, &source);
}
