/* kinds.c — the registry of connector kinds: the one shared file a new kind
 * touches (one line here, one file beside it). */
#include "kinds/kinds.h"

const IocConnectorKind *const ioc_connector_kinds[] = {
  &ioc_kind_desk,
  &ioc_kind_kiosk,
  &ioc_kind_portal,
  &ioc_kind_camera,
  &ioc_kind_jsonl,
  NULL,
};
