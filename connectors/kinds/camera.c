/* kinds/camera.c: checks each camera of a site the way an NVR would (SPEC
 * §4, kind "camera"): RTSP OPTIONS then DESCRIBE over TCP (the answer must
 * be 200 with an SDP that has a video track) and, when configured, an HTTP
 * snapshot (200 with an image body), each with a timeout.  Debounced: a
 * camera goes offline after `offline_after` failed rounds in a row and back
 * online after `online_after` good ones, so one dropped probe is not an
 * outage.  Publishes camera.offline / camera.online events and a status with
 * every camera.
 *
 * What only the recorder knows (is it recording, has the picture gone,
 * was the camera covered or turned) comes from the NVR's own channel status
 * endpoint, polled in the same round (`nvr_status`): one JSON object per
 * channel, its field names mapped in config (`nvr_recording = record` …).
 * A change of `recording` becomes recording.stopped / recording.started, a
 * rising video-loss or tamper flag becomes video.loss / tamper.  The NVR
 * debounces these itself, so they are taken as they come; the first round
 * after start only sets the status.  A camera with no RTSP or snapshot URL
 * takes the NVR's `online` as its probe result.
 *
 * The probes themselves (RTSP, HTTP snapshot, the NVR's JSON) are
 * lib/rtsp-client; this file holds the kind: config, debounce, events.
 *
 * Threads: probes block, so one round runs on a worker thread of its own
 * (ioc_handoff_run_in_thread) on a private copy of the camera list; results
 * come back to the main loop, which owns all state, through the kind's
 * IocHandoff.  Freeing the kind cancels a round and drops its result. */
#include <gio/gio.h>
#include <string.h>

#include "io/handoff.h"
#include "kinds/kinds.h"
#include "lib/rtsp-client.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-topic.h"

#define CAM_MAX 256
#define CAM_MAX_NVR_BODY (1024 * 1024)

/* A flag read from the NVR: unknown until it said something. */
typedef enum
{
  TRI_UNSET = 0,
  TRI_FALSE,
  TRI_TRUE,
} Tri;

typedef struct
{
  gboolean seen; /* the NVR listed this channel */
  Tri online, recording, video_loss, tamper;
  gint64 fps, bitrate_kbps; /* -1 unknown */
} NvrChan;

typedef struct
{
  gchar *id;
  gchar *rtsp;     /* rtsp://host:port/path or NULL */
  gchar *snapshot; /* http://host:port/path or NULL */
  gchar *counter;  /* optional SPEC field */
  gchar *channel;  /* the NVR's channel id of this camera, or NULL */
  /* main loop only */
  gboolean online;
  gboolean known;
  guint fails;
  guint oks;
  gchar *last_error;
  NvrChan nvr; /* last NVR verdict */
} Cam;

typedef struct
{
  GPtrArray *cams; /* Cam* */
  gint64 timeout_us;
  guint offline_after;
  guint online_after;
  IocConnector *conn;
  GCancellable *cancel;
  IocHandoff *handoff; /* probe rounds → main loop */
  gboolean probing;
  /* NVR status endpoint and its field names ("" = the NVR has no such field) */
  gchar *nvr_url;
  gchar *nvr_items, *nvr_channel, *nvr_online, *nvr_recording, *nvr_video_loss, *nvr_tamper,
    *nvr_fps, *nvr_bitrate;
} CameraState;

typedef struct
{
  gchar *id, *rtsp, *snapshot, *channel;
  gboolean ok;
  gchar *error;
  NvrChan nvr;
} Probe;

/* What a probe round reads of the NVR; the worker thread's private copy. */
typedef struct
{
  gchar *url, *items, *channel, *online, *recording, *video_loss, *tamper, *fps, *bitrate;
  gboolean ok;
  gchar *error;
} NvrRead;

static void
cam_free (Cam *c)
{
  g_free (c->id);
  g_free (c->rtsp);
  g_free (c->snapshot);
  g_free (c->counter);
  g_free (c->channel);
  g_free (c->last_error);
  g_free (c);
}

static void
probe_free (Probe *p)
{
  g_free (p->id);
  g_free (p->rtsp);
  g_free (p->snapshot);
  g_free (p->channel);
  g_free (p->error);
  g_free (p);
}

static void
camera_free (gpointer state)
{
  CameraState *st = state;
  if (st->cancel)
    {
      g_cancellable_cancel (st->cancel);
      g_object_unref (st->cancel);
    }
  if (st->handoff)
    {
      ioc_handoff_close (st->handoff); /* a round still running ends unheard */
      ioc_handoff_unref (st->handoff);
    }
  g_ptr_array_unref (st->cams);
  g_free (st->nvr_url);
  g_free (st->nvr_items);
  g_free (st->nvr_channel);
  g_free (st->nvr_online);
  g_free (st->nvr_recording);
  g_free (st->nvr_video_loss);
  g_free (st->nvr_tamper);
  g_free (st->nvr_fps);
  g_free (st->nvr_bitrate);
  g_free (st);
}

static gboolean
url_ok (const gchar *url, const gchar *scheme)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  return uri && g_strcmp0 (g_uri_get_scheme (uri), scheme) == 0 && g_uri_get_host (uri);
}

/* camera_parse() reads the [camera] keys in the order docs/CONNECTORS.md
 * lists them, then each camera's (parse_camera), each refused where it is
 * read; every step returns FALSE with error set. */

/* The nvr_* keys: where the NVR's channel status is and its field names. */
static gboolean
parse_nvr_keys (CameraState *st, IocKeyFile *kf, const gchar *group, GError **error)
{
  struct
  {
    const gchar *key, *def;
    gchar **out;
  } nvr_keys[] = {
    { "nvr_status", NULL, &st->nvr_url },         { "nvr_items", "ChanStatus", &st->nvr_items },
    { "nvr_channel", "chanNo", &st->nvr_channel }, { "nvr_online", "online", &st->nvr_online },
    { "nvr_recording", "record", &st->nvr_recording },
    { "nvr_video_loss", "signal", &st->nvr_video_loss },
    { "nvr_tamper", "tamper", &st->nvr_tamper },  { "nvr_fps", "fps", &st->nvr_fps },
    { "nvr_bitrate", "bitRate", &st->nvr_bitrate },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (nvr_keys); i++)
    {
      g_autoptr (GError) local = NULL;
      *nvr_keys[i].out = ioc_keyfile_string (kf, group, nvr_keys[i].key, nvr_keys[i].def, FALSE,
                                             &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  if (st->nvr_url && *st->nvr_url == '\0')
    g_clear_pointer (&st->nvr_url, g_free);
  if (st->nvr_url && !url_ok (st->nvr_url, "http"))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] nvr_status: expected http://HOST:PORT/… (the NVR's channel status), got '%s'",
                   kf->path, group, st->nvr_url);
      return FALSE;
    }
  return TRUE;
}

/* Camera `id` (the index-th of the list): its rtsp.*, snapshot.*,
 * counter.* and channel.* keys, into a Cam added to st->cams. */
static gboolean
parse_camera (CameraState *st, IocKeyFile *kf, const gchar *group, guint index, const gchar *id,
              GError **error)
{
  if (index >= CAM_MAX || !ioc_topic_is_device_id (id, strlen (id)))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] cameras: expected at most %d camera ids [a-z0-9_-]{1,64}, got '%s'",
                   kf->path, group, CAM_MAX, id);
      return FALSE;
    }
  Cam *c = g_new0 (Cam, 1);
  c->id = g_strdup (id);
  g_ptr_array_add (st->cams, c);
  g_autofree gchar *k_rtsp = g_strconcat ("rtsp.", c->id, NULL);
  g_autofree gchar *k_snap = g_strconcat ("snapshot.", c->id, NULL);
  g_autofree gchar *k_ctr = g_strconcat ("counter.", c->id, NULL);
  g_autofree gchar *k_chan = g_strconcat ("channel.", c->id, NULL);
  c->rtsp = g_key_file_get_string (kf->kf, group, k_rtsp, NULL);
  c->snapshot = g_key_file_get_string (kf->kf, group, k_snap, NULL);
  c->counter = g_key_file_get_string (kf->kf, group, k_ctr, NULL);
  c->channel = g_key_file_get_string (kf->kf, group, k_chan, NULL);
  if (c->channel)
    g_strstrip (c->channel);
  if (c->channel && (!st->nvr_url || *c->channel == '\0'))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] %s: expected an NVR channel id, and nvr_status = http://… set, got '%s'",
                   kf->path, group, k_chan, c->channel);
      return FALSE;
    }
  if (!c->rtsp && !c->snapshot && !c->channel)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] %s: expected an rtsp:// URL (or snapshot.%s = http://…, "
                   "or channel.%s with nvr_status)", kf->path, group, k_rtsp, c->id, c->id);
      return FALSE;
    }
  if ((c->rtsp && !url_ok (c->rtsp, "rtsp")) || (c->snapshot && !url_ok (c->snapshot, "http")))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] %s / %s: expected rtsp://HOST:PORT/… and http://HOST:PORT/…",
                   kf->path, group, k_rtsp, k_snap);
      return FALSE;
    }
  return TRUE;
}

static gboolean
camera_parse (CameraState *st, IocKeyFile *kf, const gchar *group, GError **error)
{
  gint64 n;
  g_autofree gchar *list = ioc_keyfile_string (kf, group, "cameras", NULL, TRUE, error);
  if (!list
      || !ioc_keyfile_duration (kf, group, "probe_timeout", 3 * G_TIME_SPAN_SECOND,
                                100 * G_TIME_SPAN_MILLISECOND, 60 * G_TIME_SPAN_SECOND,
                                &st->timeout_us, error)
      || !ioc_keyfile_int (kf, group, "offline_after", 3, 1, 100, &n, error))
    return FALSE;
  st->offline_after = (guint) n;
  if (!ioc_keyfile_int (kf, group, "online_after", 2, 1, 100, &n, error))
    return FALSE;
  st->online_after = (guint) n;
  if (!parse_nvr_keys (st, kf, group, error))
    return FALSE;
  g_auto (GStrv) ids = g_strsplit (list, ",", CAM_MAX + 1);
  for (guint i = 0; ids[i]; i++)
    {
      g_strstrip (ids[i]);
      if (*ids[i] != '\0' && !parse_camera (st, kf, group, i, ids[i], error))
        return FALSE;
    }
  if (st->cams->len == 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] cameras: expected a comma-separated list of camera ids", kf->path, group);
      return FALSE;
    }
  return TRUE;
}

static gpointer
camera_configure (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group,
                  GError **error)
{
  CameraState *st = g_new0 (CameraState, 1);
  st->cams = g_ptr_array_new_with_free_func ((GDestroyNotify) cam_free);
  if (!camera_parse (st, kf, group, error))
    {
      camera_free (st);
      return NULL;
    }
  return st;
}

/* ---- the NVR's channel status: worker thread ---- */

static JsonNode *
json_path (JsonNode *node, const gchar *path)
{
  if (path == NULL || *path == '\0')
    return node;
  g_auto (GStrv) parts = g_strsplit (path, ".", 8);
  for (guint i = 0; parts[i] && node; i++)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node) || !json_object_has_member (json_node_get_object (node), parts[i]))
        return NULL;
      node = json_object_get_member (json_node_get_object (node), parts[i]);
    }
  return node;
}

/* NVRs say a flag as true/false, 1/0 or "true"/"1"/"yes"/"on". */
static Tri
tri_of (JsonObject *o, const gchar *field)
{
  if (!field || !*field || !json_object_has_member (o, field))
    return TRI_UNSET;
  JsonNode *n = json_object_get_member (o, field);
  if (!JSON_NODE_HOLDS_VALUE (n))
    return TRI_UNSET;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_BOOLEAN)
    return json_node_get_boolean (n) ? TRI_TRUE : TRI_FALSE;
  if (t == G_TYPE_INT64)
    return json_node_get_int (n) != 0 ? TRI_TRUE : TRI_FALSE;
  if (t == G_TYPE_STRING)
    {
      const gchar *v = json_node_get_string (n);
      if (!g_ascii_strcasecmp (v, "true") || !strcmp (v, "1") || !g_ascii_strcasecmp (v, "yes")
          || !g_ascii_strcasecmp (v, "on"))
        return TRI_TRUE;
      if (!g_ascii_strcasecmp (v, "false") || !strcmp (v, "0") || !g_ascii_strcasecmp (v, "no")
          || !g_ascii_strcasecmp (v, "off"))
        return TRI_FALSE;
    }
  return TRI_UNSET;
}

static gint64
int_of (JsonObject *o, const gchar *field)
{
  if (!field || !*field || !json_object_has_member (o, field))
    return -1;
  JsonNode *n = json_object_get_member (o, field);
  if (!JSON_NODE_HOLDS_VALUE (n))
    return -1;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_INT64)
    return json_node_get_int (n) >= 0 ? json_node_get_int (n) : -1;
  if (t == G_TYPE_DOUBLE)
    return json_node_get_double (n) >= 0 ? (gint64) json_node_get_double (n) : -1;
  return -1;
}

static gchar *
text_of (JsonObject *o, const gchar *field)
{
  if (!json_object_has_member (o, field))
    return NULL;
  JsonNode *n = json_object_get_member (o, field);
  if (!JSON_NODE_HOLDS_VALUE (n))
    return NULL;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (n));
  if (json_node_get_value_type (n) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (n));
  return NULL;
}

/* Worker thread: one read of the NVR's channel status into the probes. */
static gboolean
nvr_read (NvrRead *nr, GPtrArray *probes, guint timeout_s, GCancellable *cancel, GError **error)
{
  g_autoptr (GString) body = g_string_new (NULL);
  if (!ioc_rtsp_client_http_get (nr->url, timeout_s, CAM_MAX_NVR_BODY, cancel, body, error))
    return FALSE;
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, body->str, (gssize) body->len, error))
    return FALSE;
  JsonNode *items = json_path (json_parser_get_root (parser), nr->items);
  if (!items || !JSON_NODE_HOLDS_ARRAY (items))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_FAILED, "no array at '%s'", nr->items);
      return FALSE;
    }
  JsonArray *arr = json_node_get_array (items);
  for (guint i = 0; i < json_array_get_length (arr) && i < 4096; i++)
    {
      JsonNode *el = json_array_get_element (arr, i);
      if (!JSON_NODE_HOLDS_OBJECT (el))
        continue;
      JsonObject *o = json_node_get_object (el);
      g_autofree gchar *chan = text_of (o, nr->channel);
      if (!chan)
        continue;
      for (guint j = 0; j < probes->len; j++)
        {
          Probe *p = probes->pdata[j];
          if (g_strcmp0 (p->channel, chan) != 0)
            continue;
          p->nvr.seen = TRUE;
          p->nvr.online = tri_of (o, nr->online);
          p->nvr.recording = tri_of (o, nr->recording);
          p->nvr.video_loss = tri_of (o, nr->video_loss);
          p->nvr.tamper = tri_of (o, nr->tamper);
          p->nvr.fps = int_of (o, nr->fps);
          p->nvr.bitrate_kbps = int_of (o, nr->bitrate);
        }
    }
  return TRUE;
}

static void
nvr_read_free (NvrRead *nr)
{
  if (!nr)
    return;
  g_free (nr->url);
  g_free (nr->items);
  g_free (nr->channel);
  g_free (nr->online);
  g_free (nr->recording);
  g_free (nr->video_loss);
  g_free (nr->tamper);
  g_free (nr->fps);
  g_free (nr->bitrate);
  g_free (nr->error);
  g_free (nr);
}

typedef struct
{
  CameraState *st; /* main loop only; valid when the round's end runs */
  GCancellable *cancel;
  GPtrArray *probes;
  NvrRead *nvr; /* NULL: no NVR configured */
  guint timeout_s;
} Round;

static void
round_free (gpointer data)
{
  Round *r = data;
  g_object_unref (r->cancel);
  g_ptr_array_unref (r->probes);
  nvr_read_free (r->nvr);
  g_free (r);
}

static void
probe_thread (gpointer data)
{
  Round *round = data;
  GCancellable *cancel = round->cancel;
  GPtrArray *probes = round->probes;
  if (round->nvr)
    {
      g_autoptr (GError) error = NULL;
      round->nvr->ok = nvr_read (round->nvr, probes, round->timeout_s, cancel, &error);
      if (!round->nvr->ok)
        round->nvr->error = g_strdup (error ? error->message : "failed");
    }
  for (guint i = 0; i < probes->len && !g_cancellable_is_cancelled (cancel); i++)
    {
      Probe *p = probes->pdata[i];
      g_autoptr (GError) error = NULL;
      if (!p->rtsp && !p->snapshot)
        {
          /* only the NVR knows this camera */
          p->ok = p->nvr.online == TRI_TRUE;
          if (!p->ok)
            p->error = g_strdup (!round->nvr || !round->nvr->ok ? "NVR status unavailable"
                                 : !p->nvr.seen ? "channel not in the NVR status"
                                                : "NVR says offline");
          continue;
        }
      p->ok = (!p->rtsp || ioc_rtsp_client_probe (p->rtsp, round->timeout_s, cancel, &error))
              && (!p->snapshot || ioc_rtsp_client_snapshot (p->snapshot, round->timeout_s, cancel, &error));
      if (!p->ok)
        p->error = g_strdup (error ? error->message : "probe failed");
    }
}

/* ---- main loop: debounce and publish ---- */

static void
emit_change (CameraState *st, Cam *c, const gchar *type)
{
  g_autoptr (JsonObject) f = json_object_new ();
  json_object_set_string_member (f, "camera", c->id);
  if (c->counter)
    json_object_set_string_member (f, "counter", c->counter);
  g_autoptr (GError) error = NULL;
  if (!ioc_connector_emit (st->conn, NULL, type, g_get_real_time (), f, &error))
    ioc_connector_reject (st->conn, type, error->message);
}

/* The NVR's flags: an edge is an event, except on the first reading. */
static gboolean
nvr_update (CameraState *st, Cam *c, const NvrChan *now)
{
  if (!now->seen)
    return FALSE;
  NvrChan old = c->nvr;
  c->nvr = *now;
  gboolean changed = old.recording != now->recording || old.video_loss != now->video_loss
                     || old.tamper != now->tamper;
  if (old.recording == TRI_TRUE && now->recording == TRI_FALSE)
    emit_change (st, c, "recording.stopped");
  else if (old.recording == TRI_FALSE && now->recording == TRI_TRUE)
    emit_change (st, c, "recording.started");
  if (old.video_loss == TRI_FALSE && now->video_loss == TRI_TRUE)
    emit_change (st, c, "video.loss");
  if (old.tamper == TRI_FALSE && now->tamper == TRI_TRUE)
    emit_change (st, c, "tamper");
  return changed;
}

static void
probe_done (gpointer data)
{
  Round *round = data;
  GPtrArray *probes = round->probes;
  CameraState *st = round->st;
  st->probing = FALSE;
  gboolean changed = FALSE;
  if (round->nvr && !round->nvr->ok)
    {
      g_autofree gchar *why = g_strdup_printf ("%s: %s", round->nvr->url, round->nvr->error);
      ioc_connector_reject (st->conn, "NVR status", why);
    }
  for (guint i = 0; i < probes->len && i < st->cams->len; i++)
    {
      Probe *p = probes->pdata[i];
      Cam *c = st->cams->pdata[i];
      changed |= nvr_update (st, c, &p->nvr);
      if (p->ok)
        {
          c->fails = 0;
          c->oks++;
        }
      else
        {
          c->oks = 0;
          c->fails++;
          g_free (c->last_error);
          c->last_error = g_strdup (p->error);
          g_debug ("camera %s: %s", c->id, p->error);
        }
      /* Debounce: only a run of failures (or successes) changes the state. */
      if ((!c->known || c->online) && c->fails >= st->offline_after)
        {
          g_message ("camera %s offline: %s", c->id, c->last_error);
          c->online = FALSE;
          c->known = TRUE;
          emit_change (st, c, "camera.offline");
          changed = TRUE;
        }
      else if ((!c->known || !c->online) && c->oks >= st->online_after)
        {
          if (c->known)
            g_message ("camera %s back online", c->id);
          gboolean was_known = c->known;
          c->online = TRUE;
          c->known = TRUE;
          /* the first verdict after start is a status, not an event */
          if (was_known)
            emit_change (st, c, "camera.online");
          changed = TRUE;
        }
    }
  g_autoptr (GError) error = NULL;
  if (!ioc_connector_commit (st->conn, NULL, &error))
    g_warning ("camera: %s", error->message);
  if (changed)
    ioc_connector_status_now (st->conn);
}

static void
camera_poll (IocConnector *conn, gpointer state)
{
  CameraState *st = state;
  if (st->probing)
    return; /* a slow round is not piled on */
  Round *round = g_new0 (Round, 1);
  round->st = st;
  round->cancel = g_object_ref (st->cancel);
  round->probes = g_ptr_array_new_with_free_func ((GDestroyNotify) probe_free);
  round->timeout_s = (guint) MAX (1, st->timeout_us / G_TIME_SPAN_SECOND);
  for (guint i = 0; i < st->cams->len; i++)
    {
      Cam *c = st->cams->pdata[i];
      Probe *p = g_new0 (Probe, 1);
      p->id = g_strdup (c->id);
      p->rtsp = g_strdup (c->rtsp);
      p->snapshot = g_strdup (c->snapshot);
      p->channel = g_strdup (c->channel);
      g_ptr_array_add (round->probes, p);
    }
  if (st->nvr_url)
    {
      NvrRead *nr = g_new0 (NvrRead, 1);
      nr->url = g_strdup (st->nvr_url);
      nr->items = g_strdup (st->nvr_items);
      nr->channel = g_strdup (st->nvr_channel);
      nr->online = g_strdup (st->nvr_online);
      nr->recording = g_strdup (st->nvr_recording);
      nr->video_loss = g_strdup (st->nvr_video_loss);
      nr->tamper = g_strdup (st->nvr_tamper);
      nr->fps = g_strdup (st->nvr_fps);
      nr->bitrate = g_strdup (st->nvr_bitrate);
      round->nvr = nr;
    }
  g_autoptr (GError) error = NULL;
  st->probing = ioc_handoff_run_in_thread (st->handoff, "ioc-camera-probe", probe_thread, probe_done, round,
                                           round_free, &error);
  if (!st->probing)
    g_warning ("camera: cannot start a probe round: %s", error->message);
}

static gboolean
camera_start (IocConnector *conn, gpointer state, GError **error)
{
  CameraState *st = state;
  st->conn = conn;
  st->cancel = g_cancellable_new ();
  st->handoff = ioc_handoff_new ();
  return TRUE;
}

static void
camera_status (IocConnector *conn, gpointer state, JsonObject *fields)
{
  CameraState *st = state;
  g_autoptr (JsonArray) arr = json_array_new ();
  for (guint i = 0; i < st->cams->len; i++)
    {
      Cam *c = st->cams->pdata[i];
      if (!c->known)
        continue; /* no verdict yet: say nothing rather than guess */
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "camera", c->id);
      json_object_set_boolean_member (o, "online", c->online);
      /* recording: the NVR's word; an offline camera records nothing */
      if (c->nvr.recording != TRI_UNSET)
        json_object_set_boolean_member (o, "recording", c->online && c->nvr.recording == TRI_TRUE);
      else if (!c->online)
        json_object_set_boolean_member (o, "recording", FALSE);
      if (c->nvr.fps >= 0)
        json_object_set_int_member (o, "fps", c->nvr.fps);
      if (c->nvr.bitrate_kbps >= 0)
        json_object_set_int_member (o, "bitrate_kbps", c->nvr.bitrate_kbps);
      json_array_add_object_element (arr, o);
    }
  json_object_set_array_member (fields, "cameras", g_steal_pointer (&arr));
}

const IocConnectorKind ioc_kind_camera = {
  .name = "camera", .kind = IOC_KIND_CAMERA, .configure = camera_configure,
  .start = camera_start, .poll = camera_poll, .status = camera_status, .free = camera_free,
};
