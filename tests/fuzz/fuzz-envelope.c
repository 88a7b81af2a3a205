/* fuzz-envelope.c — libFuzzer target for the envelope decoder.
 *
 * Input: "<topic>\n<payload>" (no '\n': the whole input is the payload on a
 * fixed desk event topic).  Checks invariants a consumer relies on, besides
 * memory safety: an accepted record is complete and consistent, a reject
 * always says why.
 *
 *   clang -fsanitize=fuzzer,address,undefined … fuzz-envelope.c
 *   gcc … fuzz-envelope.c replay-main.c   (replays a corpus without libFuzzer) */
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "ingest/decoder.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_string (const gchar *s)
{
  if (s != NULL)
    g_assert_true (g_utf8_validate (s, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static IocDecoder *dec;
  static const gchar default_topic[] = "ioc/v1/40/xa-16681/desk/quay-01/event";
  const gchar *topic = default_topic;
  gsize topic_len = sizeof default_topic - 1;
  const uint8_t *payload = data;
  gsize payload_len = size;
  const uint8_t *nl = memchr (data, '\n', size);
  const IocRecord *rec = NULL;
  const gchar *detail = NULL;
  IocReject r;

  if (dec == NULL)
    dec = ioc_decoder_new ();
  if (nl != NULL)
    {
      topic = (const gchar *) data;
      topic_len = (gsize) (nl - data);
      payload = nl + 1;
      payload_len = size - topic_len - 1;
    }

  r = ioc_decoder_decode (dec, topic, topic_len, payload, payload_len, &rec, &detail);
  g_assert_cmpint (r, <, IOC_REJECT_COUNT);
  if (r != IOC_REJECT_NONE)
    {
      g_assert_nonnull (detail);
      g_assert_cmpuint (strlen (detail), >, 0);
      g_assert_true (r != IOC_REJECT_WRONG_PROVINCE && r != IOC_REJECT_UNKNOWN_UNIT &&
                     r != IOC_REJECT_FUTURE_TS);
      if (r == IOC_REJECT_BAD_TOPIC || r == IOC_REJECT_UNKNOWN_KIND)
        g_assert_null (rec);
      return 0;
    }

  g_assert_nonnull (rec);
  g_assert_null (detail);
  g_assert_cmpint (payload_len, <=, IOC_MAX_PAYLOAD);
  g_assert_cmpuint (strlen (rec->province), ==, 2);
  g_assert_cmpuint (strlen (rec->unit), >=, 1);
  g_assert_cmpuint (strlen (rec->device), <=, IOC_MAX_DEVICE_LEN);
  g_assert_cmpint (rec->kind, <, IOC_KIND_COUNT);
  if (rec->msg_type == IOC_MSG_STATE)
    {
      g_assert_true (rec->online == IOC_TRI_TRUE || rec->online == IOC_TRI_FALSE);
      g_assert_cmpint (rec->seq, ==, 0);
      return 0;
    }
  g_assert_cmpint (rec->v, ==, 1);
  g_assert_cmpint (rec->seq, >=, 1);
  g_assert_cmpuint (rec->n_cameras, <=, IOC_MAX_CAMERAS);
  check_string (rec->counter);
  check_string (rec->officer);
  check_string (rec->ticket);
  check_string (rec->dossier);
  check_string (rec->camera);
  check_string (rec->procedure);
  if (rec->msg_type == IOC_MSG_EVENT)
    {
      g_assert_cmpint (rec->type, >, IOC_EV_NONE);
      g_assert_cmpint (rec->type, <, IOC_EV_COUNT);
      g_assert_cmpint (ioc_event_type_kind (rec->type), ==, rec->kind);
      switch (rec->type)
        {
        case IOC_EV_RATING:
          g_assert_true (rec->scale == 3 || rec->scale == 5);
          g_assert_cmpint (rec->level, >=, 1);
          g_assert_cmpint (rec->level, <=, rec->scale);
          g_assert_nonnull (rec->rating_channel);
          break;
        case IOC_EV_DOSSIER:
          g_assert_cmpint (rec->state, >=, 1);
          g_assert_cmpint (rec->state, <=, 10);
          g_assert_cmpint (rec->channel, >=, 1);
          g_assert_cmpint (rec->channel, <=, 3);
          g_assert_cmpint (rec->supplements, >=, -1);
          g_assert_nonnull (rec->dossier);
          g_assert_nonnull (rec->procedure);
          break;
        case IOC_EV_TICKET_CALLED:
          g_assert_cmpfloat (rec->wait_s, >=, 0);
          break;
        case IOC_EV_SERVICE_DONE:
          g_assert_cmpfloat (rec->service_s, >=, 0);
          break;
        default:
          break;
        }
    }
  else
    {
      g_assert_cmpint (rec->type, ==, IOC_EV_NONE);
      for (guint i = 0; i < rec->n_cameras; i++)
        {
          g_assert_nonnull (rec->cameras[i].camera);
          check_string (rec->cameras[i].camera);
        }
    }
  return 0;
}
