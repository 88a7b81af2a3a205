/* fuzz-inventory.c — libFuzzer target for the declared connector config
 * reader (model/inventory.c) and the key-file line index behind it.
 *
 * Input: the bytes of a connector config file.  Checks: never crashes or
 * leaks; a rejected file gives one non-empty error naming the file; an
 * accepted one keeps its promises (a SPEC kind, a 2-digit province, a
 * device and an id of [a-z0-9_-]{1,64}, a unit unless a portal, a password
 * with every username).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined; tests/fuzz/replay-main.c
 * replays the corpus under gcc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/inventory.h"
#include "protocol/ioc-schema.h"
#include "protocol/ioc-topic.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > 64 * 1024)
    return 0;
  GError *error = NULL;
  IocConnectorDecl *c = ioc_connector_decl_load_data ("fuzz.conf", (const gchar *) data, size, &error);
  if (c == NULL)
    {
      if (error == NULL || !g_str_has_prefix (error->message, "fuzz.conf"))
        abort ();
      g_error_free (error);
      return 0;
    }
  if (error != NULL)
    abort ();
  IocKind kind;
  if (!ioc_kind_from_string (c->kind, strlen (c->kind), &kind))
    abort ();
  if (strlen (c->province) != 2 || !g_ascii_isdigit (c->province[0]) || !g_ascii_isdigit (c->province[1]))
    abort ();
  if (!ioc_topic_is_device_id (c->device, strlen (c->device)) || !ioc_topic_is_device_id (c->id, strlen (c->id)))
    abort ();
  if (c->unit == NULL && kind != IOC_KIND_PORTAL)
    abort ();
  if (c->username != NULL && (c->password == NULL || c->password[0] == '\0'))
    abort ();
  if (c->raw_len != size)
    abort ();
  ioc_connector_decl_free (c);
  return 0;
}
