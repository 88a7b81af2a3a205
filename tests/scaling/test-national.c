/* test-national.c — the national view (SPEC §9): two provinces, each with
 * its own mosquitto and its own hub, bridged to a national mosquitto with the
 * shipped bridge (ops/bridges/province-to-national.conf), and a national hub
 * ([federation] national = true) on the national broker.  Real mosquitto and
 * iochub processes; each bridge goes through a TCP relay (tcp-relay.h) so
 * that one bridge can be cut without stopping a broker.
 *   - while Hà Tĩnh's bridge is cut for 30 s mid-stream, the national view
 *     of Hà Tĩnh stands still (and ages) while Nghệ An's goes on;
 *   - once it is restored, the national hub's totals of each province equal
 *     that province hub's own totals field by field and the count published,
 *     to the message, and the country's total is their sum.
 * The devices' gauges in those totals are sampled once a minute: a province
 * hub read just before its first sample says 0 kiosks, and the national hub
 * read a moment later may already have the sample.  The whole objects are
 * therefore compared once both hubs agree (bounded), the counts at once. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "protocol/ioc-time.h"
#include "tcp-relay.h"
#include "test-broker.h"
#include "test-hub.h"
#include "test-publisher.h"
#include "test-stream.h"

/* Units in force today of each province (SPEC §2).  Hà Tĩnh's registry is a
 * small fixture: the shipped one is Nghệ An's. */
static const gchar *const units_40[] = { "xa-16681", "xa-16690", "xa-16702", "xa-16708", "tinh-40" };
static const gchar *const units_42[] = { "xa-18073", "xa-18100", "xa-18115", "xa-18133", "xa-18160", "tinh-42" };

#define CUT_S 30

typedef struct
{
  const gchar *code;
  const gchar *const *units;
  guint n_units;
  guint n, n_devices, rate_per_s; /* the stream published into it */
  IocTestBroker *broker;
  IocTcpRelay *relay; /* its bridge's cable to the national broker */
  IocTestHub *hub;
} Province;

typedef struct
{
  IocTestBroker *national_broker;
  IocTestHub *national;
  Province prov[2];
  gint64 base_ms;
} Fixture;

/* The shipped bridge with its placeholders filled in. */
static gchar *
bridge_conf (const gchar *province, guint16 national_port, GError **error)
{
  g_autofree gchar *path = g_build_filename (IOC_SOURCE_ROOT, "ops", "bridges", "province-to-national.conf", NULL);
  g_autofree gchar *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  g_autoptr (GString) conf = g_string_new (text);
  g_autofree gchar *port = g_strdup_printf ("%u", national_port);
  g_string_replace (conf, "@PROVINCE@", province, 0);
  g_string_replace (conf, "@NATIONAL_HOST@", "127.0.0.1", 0);
  g_string_replace (conf, "@NATIONAL_PORT@", port, 0);
  if (strchr (conf->str, '@') != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: a placeholder this test does not know", path);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&conf), FALSE);
}

static gboolean
start_province (Fixture *f, Province *p)
{
  g_autoptr (GError) error = NULL;
  p->relay = ioc_tcp_relay_new ((guint16) ioc_test_broker_port (f->national_broker), &error);
  g_assert_no_error (error);
  if (p->relay == NULL)
    return FALSE;
  g_autofree gchar *bridge = bridge_conf (p->code, ioc_tcp_relay_port (p->relay), &error);
  g_assert_no_error (error);
  if (bridge == NULL)
    return FALSE;
  p->broker = ioc_test_broker_start_with (bridge, &error);
  g_assert_no_error (error);
  if (p->broker == NULL)
    return FALSE;
  /* The [hub] and [mqtt] groups again: their keys override the helper's
   * defaults (GKeyFile keeps the last value of a key). */
  g_autofree gchar *units = strcmp (p->code, "40") == 0
                                ? g_build_filename (IOC_SOURCE_ROOT, "ops", "units", "nghe-an.csv", NULL)
                                : g_build_filename (IOC_SOURCE_ROOT, "tests", "scaling", "fixtures", "units-ha-tinh.csv", NULL);
  g_autofree gchar *extra = g_strdup_printf ("[hub]\nprovince = %s\nid = hub-%s\nunits = %s\n"
                                             "[mqtt]\nclient_id = iochub-%s\n"
                                             "[federation]\nenabled = true\npublish_interval = 1s\n",
                                             p->code, p->code, units, p->code);
  p->hub = ioc_test_hub_new_started (ioc_test_broker_url (p->broker), NULL, extra);
  return p->hub != NULL;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->prov[0] = (Province) { "40", units_40, G_N_ELEMENTS (units_40), 3000, 40, 50 };
  f->prov[1] = (Province) { "42", units_42, G_N_ELEMENTS (units_42), 2400, 30, 40 };
  f->national_broker = ioc_test_broker_start (&error);
  g_assert_no_error (error);
  if (f->national_broker == NULL)
    return;
  /* The national hub needs a province and a registry like any hub; it has
   * no traffic of its own on the national broker. */
  f->national = ioc_test_hub_new_started (ioc_test_broker_url (f->national_broker), NULL,
                                          "[hub]\nid = national\n[mqtt]\nclient_id = iochub-national\n"
                                          "[federation]\nenabled = true\nnational = true\n");
  if (f->national == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (f->prov); i++)
    if (!start_province (f, &f->prov[i]))
      return;
  f->base_ms = g_get_real_time () / 1000 - 60 * 1000;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->national != NULL && ioc_test_hub_is_running (f->national))
    g_assert_true (ioc_test_hub_stop (f->national));
  g_clear_pointer (&f->national, ioc_test_hub_free);
  for (guint i = 0; i < G_N_ELEMENTS (f->prov); i++)
    {
      Province *p = &f->prov[i];
      if (p->hub != NULL && ioc_test_hub_is_running (p->hub))
        g_assert_true (ioc_test_hub_stop (p->hub));
      g_clear_pointer (&p->hub, ioc_test_hub_free);
      g_clear_pointer (&p->broker, ioc_test_broker_free);
      g_clear_pointer (&p->relay, ioc_tcp_relay_free);
    }
  g_clear_pointer (&f->national_broker, ioc_test_broker_free);
}

/* ---- the stream: tickets and ratings from kiosks, events of the last minutes ---- */

static gint64
event_ts_ms (Fixture *f, guint i)
{
  return f->base_ms - (gint64) (i % 180) * 1000;
}

/* Every fourth message is a rating of level 1..5 on a scale of 5. */
static gboolean
is_rating (guint i, guint *level)
{
  *level = (i / 4) % 5 + 1;
  return i % 4 == 3;
}

static void
publish_one (Fixture *f, Province *p, IocTestPublisher *pub, guint i)
{
  guint device = i % p->n_devices, level = 0;
  g_autofree gchar *topic = g_strdup_printf ("ioc/v1/%s/%s/kiosk/k%s-%03u/event", p->code,
                                             p->units[device % p->n_units], p->code, device);
  g_autofree gchar *payload
      = is_rating (i, &level)
            ? g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"rating\",\"level\":%u,"
                               "\"scale\":5,\"channel\":\"device\"}",
                               i / p->n_devices + 1, event_ts_ms (f, i), level)
            : g_strdup_printf ("{\"v\":1,\"seq\":%u,\"ts\":%" G_GINT64_FORMAT ",\"type\":\"ticket.issued\","
                               "\"ticket\":\"A-%u\"}",
                               i / p->n_devices + 1, event_ts_ms (f, i), i);
  ioc_test_publisher_send (pub, topic, payload, FALSE);
}

/* The paced stream of one province (tests/lib/test-stream.h). */
typedef struct
{
  Fixture *f;
  Province *p;
} Stream;

static void
stream_one (guint i, IocTestPublisher *pub, gpointer user_data)
{
  Stream *st = user_data;
  publish_one (st->f, st->p, pub, i);
}

typedef struct
{
  gint64 issued, ratings, satisfied;
} Expected;

/* What the province's hub must count today ("today" is the hub's local day:
 * a run across local midnight counts only the minutes after it). */
static Expected
expected_today (Fixture *f, Province *p)
{
  gint64 day_start_ms = ioc_time_local_day_start (g_get_real_time ()) / 1000;
  Expected e = { 0 };
  for (guint i = 0; i < p->n; i++)
    {
      if (ioc_time_minute_start (event_ts_ms (f, i) * 1000) / 1000 < day_start_ms)
        continue;
      guint level = 0;
      if (!is_rating (i, &level))
        e.issued++;
      else
        {
          e.ratings++;
          e.satisfied += level >= 4; /* the top two levels of the scale */
        }
    }
  return e;
}

/* ---- reading GET /api/v1/federation ---- */

typedef struct
{
  gboolean found;
  Expected today;
  gchar *today_json; /* the whole "today" object, to compare field by field */
  guint hubs_current;
  gdouble max_age_s;
} Figures;

static void
figures_clear (Figures *fig)
{
  g_clear_pointer (&fig->today_json, g_free);
  memset (fig, 0, sizeof *fig);
}

static void
read_today (JsonObject *today, Figures *out)
{
  JsonObject *queue = json_object_get_object_member (today, "ioc_queue");
  JsonObject *rating = json_object_get_object_member (today, "ioc_rating");
  out->today.issued = queue != NULL ? json_object_get_int_member_with_default (queue, "issued", -1) : -1;
  out->today.ratings = rating != NULL ? json_object_get_int_member_with_default (rating, "ratings", -1) : -1;
  out->today.satisfied = rating != NULL ? json_object_get_int_member_with_default (rating, "satisfied", -1) : -1;
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), today);
  out->today_json = json_to_string (node, FALSE);
  out->found = TRUE;
}

/* province NULL: the country's total.  FALSE when unreadable; *out.found
 * FALSE when the province is not listed. */
static gboolean
read_figures (IocTestHub *hub, const gchar *province, Figures *out)
{
  figures_clear (out);
  glong status = 0;
  g_autofree gchar *body = ioc_test_hub_get (hub, "/api/v1/federation", &status);
  if (status != 200 || body == NULL)
    return FALSE;
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, body, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  if (province == NULL)
    {
      JsonObject *total = json_object_get_object_member (root, "total");
      if (total != NULL)
        read_today (total, out);
      return TRUE;
    }
  JsonArray *provinces = json_object_get_array_member (root, "provinces");
  for (guint i = 0; provinces != NULL && i < json_array_get_length (provinces); i++)
    {
      JsonObject *p = json_array_get_object_element (provinces, i);
      if (g_strcmp0 (json_object_get_string_member (p, "province"), province) != 0)
        continue;
      JsonArray *hubs = json_object_get_array_member (p, "hubs");
      for (guint h = 0; hubs != NULL && h < json_array_get_length (hubs); h++)
        {
          JsonObject *o = json_array_get_object_element (hubs, h);
          out->hubs_current += json_object_get_boolean_member (o, "current");
          out->max_age_s = MAX (out->max_age_s, json_object_get_double_member (o, "age_s"));
        }
      read_today (json_object_get_object_member (p, "today"), out);
      return TRUE;
    }
  return TRUE;
}

static gint64
issued_of (IocTestHub *hub, const gchar *province)
{
  Figures fig = { 0 };
  gint64 v = read_figures (hub, province, &fig) && fig.found ? fig.today.issued : -1;
  figures_clear (&fig);
  return v;
}

static gboolean
figures_equal (const Figures *fig, const Expected *e)
{
  return fig->found && fig->today.issued == e->issued && fig->today.ratings == e->ratings
         && fig->today.satisfied == e->satisfied;
}

/* Polls until hub shows e for province (NULL: the country); bounded. */
static gboolean
wait_for_figures (IocTestHub *hub, const gchar *province, const Expected *e, gint64 timeout_s, Figures *out)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  do
    {
      if (read_figures (hub, province, out) && figures_equal (out, e))
        return TRUE;
      g_usleep (250 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return FALSE;
}

/* Polls until the national hub lists province with one current hub; bounded. */
static gboolean
wait_for_province (IocTestHub *national, const gchar *province, gint64 timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  Figures fig = { 0 };
  gboolean ok = FALSE;
  do
    {
      ok = read_figures (national, province, &fig) && fig.found && fig.hubs_current == 1;
      if (!ok)
        g_usleep (100 * 1000);
    }
  while (!ok && g_get_monotonic_time () < deadline);
  figures_clear (&fig);
  return ok;
}

/* Reads province's today on its own hub, then on the national hub, until
 * the two are the same text; bounded.  Leaves the last reads in own and nat. */
static gboolean
wait_for_same_today (IocTestHub *hub, IocTestHub *national, const gchar *province, gint64 timeout_s, Figures *own,
                     Figures *nat)
{
  gint64 start = g_get_monotonic_time (), deadline = start + timeout_s * G_TIME_SPAN_SECOND;
  guint differed = 0;
  do
    {
      if (read_figures (hub, province, own) && read_figures (national, province, nat) && own->found && nat->found
          && g_strcmp0 (own->today_json, nat->today_json) == 0)
        {
          if (differed > 0)
            g_test_message ("province %s: its hub and the national hub differed in %u read(s) (a gauge sampled "
                            "in between), then agreed %.1f s later",
                            province, differed, (g_get_monotonic_time () - start) / 1e6);
          return TRUE;
        }
      differed++;
      g_usleep (250 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return FALSE;
}

static gint64
wait_for_issued_above (IocTestHub *hub, const gchar *province, gint64 floor, gint64 timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gint64 got = -1;
  do
    {
      got = issued_of (hub, province);
      if (got > floor)
        return got;
      g_usleep (100 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return got;
}

static void
test_national_totals (Fixture *f, gconstpointer data)
{
  if (g_test_failed ())
    return;
  Province *na = &f->prov[0], *ht = &f->prov[1];

  /* The bridges carry the retained rollups (zeros so far) before any traffic. */
  for (guint i = 0; i < G_N_ELEMENTS (f->prov); i++)
    g_assert_true (wait_for_province (f->national, f->prov[i].code, 30));
  if (g_test_failed ())
    return;

  g_autoptr (GError) error = NULL;
  g_autoptr (IocTestPublisher) pub_na = ioc_test_publisher_new (ioc_test_broker_url (na->broker), "test-pub-40", &error);
  g_assert_no_error (error);
  g_autoptr (IocTestPublisher) pub_ht = ioc_test_publisher_new (ioc_test_broker_url (ht->broker), "test-pub-42", &error);
  g_assert_no_error (error);
  if (pub_na == NULL || pub_ht == NULL)
    return;
  Stream streams[] = { { f, na }, { f, ht } };
  IocTestPublisher *pubs[] = { pub_na, pub_ht };
  IocTestStream *threads[G_N_ELEMENTS (streams)];
  for (guint i = 0; i < G_N_ELEMENTS (streams); i++)
    threads[i] = ioc_test_stream_start (pubs[i], streams[i].p->n, streams[i].p->rate_per_s, stream_one, &streams[i]);

  /* Cut Hà Tĩnh's bridge once the national hub has some of its stream. */
  g_assert_cmpint (wait_for_issued_above (f->national, ht->code, 150, 60), >, 150);
  ioc_tcp_relay_cut (ht->relay);
  gint64 cut_at = g_get_monotonic_time ();
  /* What had crossed before the cut may still be on its way into the hub (a
   * loaded machine, a sanitizer build): the figure counts as frozen once
   * three reads a second apart agree. */
  gint64 frozen = -1;
  for (guint agreeing = 0; agreeing < 3 && g_get_monotonic_time () < cut_at + 12 * G_TIME_SPAN_SECOND;)
    {
      gint64 v = issued_of (f->national, ht->code);
      agreeing = v >= 0 && v == frozen ? agreeing + 1 : 1;
      frozen = v;
      g_usleep (G_TIME_SPAN_SECOND);
    }
  gint64 na_at_cut = issued_of (f->national, na->code);
  g_assert_cmpint (frozen, >, 0);
  guint changed = 0, samples = 0, unreadable = 0;
  while (g_get_monotonic_time () < cut_at + CUT_S * G_TIME_SPAN_SECOND)
    {
      gint64 v = issued_of (f->national, ht->code);
      if (v < 0)
        unreadable++; /* the figure is what this checks; a lost read is reported below */
      else if (v != frozen)
        {
          changed++;
          g_test_message ("%.1f s into the cut: national 42 shows %" G_GINT64_FORMAT " issued, not %" G_GINT64_FORMAT,
                          (g_get_monotonic_time () - cut_at) / 1e6, v, frozen);
        }
      samples += v >= 0;
      g_usleep (G_TIME_SPAN_SECOND);
    }
  /* The cut was real: Hà Tĩnh's national figure stood still and aged while
   * its own hub counted on, and Nghệ An's bridge kept carrying. */
  g_assert_cmpuint (samples, >=, 10);
  g_assert_cmpuint (changed, ==, 0);
  g_assert_cmpint (issued_of (ht->hub, ht->code), >, frozen);
  g_assert_cmpint (issued_of (f->national, na->code), >, na_at_cut);
  Figures fig = { 0 };
  g_assert_true (read_figures (f->national, ht->code, &fig));
  g_assert_cmpfloat (fig.max_age_s, >=, CUT_S - 10);
  g_test_message ("cut %d s: national 42 stood at %" G_GINT64_FORMAT " issued over %u samples (%u changed, "
                  "%u reads unanswered), its rollup %.1f s old; national 40 went from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                  CUT_S, frozen, samples, changed, unreadable, fig.max_age_s, na_at_cut, issued_of (f->national, na->code));
  ioc_tcp_relay_restore (ht->relay);
  gint64 restored_at = g_get_monotonic_time ();

  for (guint i = 0; i < G_N_ELEMENTS (streams); i++)
    ioc_test_stream_join (threads[i]);
  g_assert_true (ioc_test_publisher_flush (pub_na, 30 * G_TIME_SPAN_SECOND));
  g_assert_true (ioc_test_publisher_flush (pub_ht, 30 * G_TIME_SPAN_SECOND));

  /* Each province: its hub counted what was published, and the national
   * hub shows that province's totals field by field. */
  Expected country = { 0 };
  for (guint i = 0; i < G_N_ELEMENTS (f->prov); i++)
    {
      Province *p = &f->prov[i];
      Expected e = expected_today (f, p);
      g_assert_cmpint (e.issued, >, 0);
      country.issued += e.issued;
      country.ratings += e.ratings;
      country.satisfied += e.satisfied;
      Figures own = { 0 };
      g_assert_true (wait_for_figures (p->hub, p->code, &e, 90, &own));
      g_assert_cmpint (own.today.issued, ==, e.issued);
      g_assert_cmpint (own.today.ratings, ==, e.ratings);
      g_assert_cmpint (own.today.satisfied, ==, e.satisfied);
      g_assert_true (wait_for_figures (f->national, p->code, &e, 60, &fig));
      g_assert_cmpint (fig.today.issued, ==, e.issued);
      g_assert_cmpint (fig.today.ratings, ==, e.ratings);
      g_assert_cmpint (fig.today.satisfied, ==, e.satisfied);
      /* Field by field: the province hub's gauges (devices) are sampled
       * once a minute and reach the national hub with its next rollup, so
       * the two are read again until they agree, for a bounded time. */
      wait_for_same_today (p->hub, f->national, p->code, 15, &own, &fig);
      g_assert_cmpstr (fig.today_json, ==, own.today_json);
      g_assert_cmpuint (fig.hubs_current, ==, 1);
      g_test_message ("province %s: %" G_GINT64_FORMAT " issued, %" G_GINT64_FORMAT " ratings (%" G_GINT64_FORMAT
                      " satisfied) on its hub and on the national hub, %.1f s after the bridge was restored",
                      p->code, e.issued, e.ratings, e.satisfied,
                      (g_get_monotonic_time () - restored_at) / 1e6);
      figures_clear (&own);
    }
  g_assert_true (wait_for_figures (f->national, NULL, &country, 10, &fig));
  g_assert_cmpint (fig.today.issued, ==, country.issued);
  g_assert_cmpint (fig.today.ratings, ==, country.ratings);
  g_assert_cmpint (fig.today.satisfied, ==, country.satisfied);
  figures_clear (&fig);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  g_test_add ("/ioc/scaling/national/two-provinces-bridged-exact-after-cut", Fixture, NULL, fixture_setup,
              test_national_totals, fixture_teardown);
  return g_test_run ();
}
