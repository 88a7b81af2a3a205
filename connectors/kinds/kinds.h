/* kinds.h — the connector kinds built into ioc-connector. */
#pragma once

#include "lib/connector.h"

G_BEGIN_DECLS

extern const IocConnectorKind ioc_kind_desk;
extern const IocConnectorKind ioc_kind_kiosk;
extern const IocConnectorKind ioc_kind_portal;
extern const IocConnectorKind ioc_kind_camera;
extern const IocConnectorKind ioc_kind_jsonl;

/* NULL-terminated. */
extern const IocConnectorKind *const ioc_connector_kinds[];

G_END_DECLS
