/* fuzz-keyfile.c — libFuzzer target for the key-file configs: the typed
 * getters, line index and problem collection of protocol/ioc-keyfile.c, and
 * the hub.conf loader (core/hub-config.c) reading the same bytes from a file.
 *
 * Input: the bytes of a config file.  Checks: never crashes or leaks; a file
 * GKeyFile refuses gives one error naming the file; for an accepted one,
 * every group and key it holds is found by the line index at a line of the
 * file, every typed getter either returns a value inside its range or the
 * default with one more problem recorded, and the collected problems come
 * back one per line, each naming the file.  As hub.conf: a refusal is a
 * message whose every line names hub.conf or the scorecard (no value, not
 * even one holding an escaped newline, spills onto a line of its own),
 * starting with hub.conf's name; an accepted config keeps its ranges
 * (2-digit province, qos 1..2, an MQTT URL, positive windows).
 *
 * A file whose scorecard key names a path with '/' is skipped: the loader
 * reads that file, and a fuzzer that finds /dev/zero only tests the kernel.
 * The temporary directory holds a copy of the shipped scorecard as
 * score.conf, so a hub.conf naming it gets past that key.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub-config.h"
#include "protocol/ioc-keyfile.h"
#include "test-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gchar *tmp_dir;
static gchar *conf_path;
static gchar *score_path;

static void
remove_tmp (void)
{
  unlink (conf_path);
  unlink (score_path);
  rmdir (tmp_dir);
}

static void
init_tmp (void)
{
  if (tmp_dir != NULL)
    return;
  tmp_dir = ioc_test_fuzz_tmp_dir ("fuzz-keyfile");
  conf_path = g_build_filename (tmp_dir, "hub.conf", NULL);
  score_path = g_build_filename (tmp_dir, "score.conf", NULL);
  gchar *score = NULL;
  gsize len = 0;
  if (!g_file_get_contents (IOC_SOURCE_ROOT "/ops/score-766.conf", &score, &len, NULL)
      || !g_file_set_contents (score_path, score, (gssize) len, NULL))
    abort ();
  g_free (score);
  atexit (remove_tmp);
}

static void
check_lines (const gchar *message, const gchar *prefix)
{
  if (message == NULL || message[0] == '\0')
    abort ();
  gchar **lines = g_strsplit (message, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (!g_str_has_prefix (lines[i], prefix))
      abort ();
  g_strfreev (lines);
}

static void
fuzz_getters (const gchar *data, gsize size)
{
  GError *error = NULL;
  IocKeyFile *kf = ioc_keyfile_load_data ("fuzz.conf", data, size, &error);
  if (kf == NULL)
    {
      if (error == NULL || !g_str_has_prefix (error->message, "fuzz.conf"))
        abort ();
      g_error_free (error);
      return;
    }
  guint n_lines = 1;
  for (gsize i = 0; i < size; i++)
    n_lines += data[i] == '\n';

  gchar **groups = g_key_file_get_groups (kf->kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      const gchar *group = groups[g];
      if (ioc_keyfile_group_line (kf, group) > n_lines)
        abort ();
      gchar **keys = g_key_file_get_keys (kf->kf, group, NULL, NULL);
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          const gchar *key = keys[k];
          if (ioc_keyfile_key_line (kf, group, key) > n_lines)
            abort ();
          guint before = ioc_keyfile_n_problems (kf);
          gint64 i64 = 0;
          if (ioc_keyfile_collect_int (kf, group, key, 7, -100, 100000, &i64))
            {
              if (i64 < -100 || i64 > 100000)
                abort ();
            }
          else if (i64 != 7 || ioc_keyfile_n_problems (kf) != before + 1)
            abort ();
          before = ioc_keyfile_n_problems (kf);
          gdouble d = 0;
          if (ioc_keyfile_collect_double (kf, group, key, 0.5, -1, 1e6, &d))
            {
              if (!(d >= -1 && d <= 1e6))
                abort ();
            }
          else if (d != 0.5 || ioc_keyfile_n_problems (kf) != before + 1)
            abort ();
          before = ioc_keyfile_n_problems (kf);
          gint64 us = 0;
          if (ioc_keyfile_collect_duration (kf, group, key, 1000, 1, G_TIME_SPAN_DAY * 30, &us))
            {
              if (us < 1 || us > G_TIME_SPAN_DAY * 30)
                abort ();
            }
          else if (us != 1000 || ioc_keyfile_n_problems (kf) != before + 1)
            abort ();
          gboolean b = FALSE;
          ioc_keyfile_collect_bool (kf, group, key, TRUE, &b);
          guint64 bytes = 0;
          GError *e = NULL;
          if (ioc_keyfile_size (kf, group, key, 1, 1, G_MAXUINT32, &bytes, &e))
            {
              if (bytes < 1 || bytes > G_MAXUINT32 || e != NULL)
                abort ();
            }
          else
            {
              if (e == NULL || !g_str_has_prefix (e->message, "fuzz.conf"))
                abort ();
              g_error_free (e);
            }
          g_free (ioc_keyfile_collect_string (kf, group, key, NULL, FALSE));
        }
      g_strfreev (keys);
      static const gchar *const known[] = { "province", "url", "listen", "client_id", "units", NULL };
      ioc_keyfile_collect_keys (kf, group, known);
    }
  g_strfreev (groups);
  ioc_keyfile_collect_repeats (kf);
  if (ioc_keyfile_problems_error (kf, &error))
    {
      if (error != NULL || ioc_keyfile_n_problems (kf) != 0)
        abort ();
    }
  else
    {
      check_lines (error->message, "fuzz.conf");
      g_error_free (error);
    }
  ioc_keyfile_free (kf);
}

static void
fuzz_hub_config (const gchar *data, gsize size)
{
  if (memchr (data, '/', size) != NULL && memmem (data, size, "scorecard", 9) != NULL)
    return;
  init_tmp ();
  if (!g_file_set_contents (conf_path, data, (gssize) size, NULL))
    abort ();
  GError *error = NULL;
  IocHubConfig *c = ioc_hub_config_load (conf_path, &error);
  if (c == NULL)
    {
      if (error == NULL)
        abort ();
      /* The first line names the file; a scorecard's own problems follow,
       * one per line, each naming the scorecard. */
      if (error->message[0] == '\0' || !g_str_has_prefix (error->message, conf_path))
        abort ();
      check_lines (error->message, tmp_dir); /* hub.conf's or the scorecard's, one per line */
      g_error_free (error);
      return;
    }
  if (error != NULL)
    abort ();
  if (strlen (c->province) != 2 || !g_ascii_isdigit (c->province[0]) || !g_ascii_isdigit (c->province[1]))
    abort ();
  if (c->mqtt_qos < 1 || c->mqtt_qos > 2 || (c->mqtt_protocol != 4 && c->mqtt_protocol != 5))
    abort ();
  if (c->mqtt_client_id[0] == '\0' || c->state_dir == NULL || c->units_path == NULL)
    abort ();
  if (!g_str_has_prefix (c->mqtt_url, "tcp://") && !g_str_has_prefix (c->mqtt_url, "ssl://")
      && !g_str_has_prefix (c->mqtt_url, "mqtt://") && !g_str_has_prefix (c->mqtt_url, "mqtts://"))
    abort ();
  if (c->live_window_us <= 0 || c->lateness_us < 0 || c->horizon_us <= 0)
    abort ();
  if ((c->scorecard_path == NULL) != (c->scorecard == NULL))
    abort ();
  ioc_hub_config_free (c);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > 16 * 1024)
    return 0;
  gchar *copy = g_memdup2 (data, size ? size : 1);
  fuzz_getters (copy, size);
  fuzz_hub_config (copy, size);
  g_free (copy);
  return 0;
}
