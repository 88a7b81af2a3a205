/* remote-config.h — a config pushed to a running connector (SPEC §3,
 * docs/OPERATIONS.md "Pushing a config"): `iocctl push-config` publishes the
 * connector's file, byte for byte and retained, on
 * ioc/v1/<province>/config/<id>; the connector checks it with the same code
 * as --check, applies it live (connector.c swaps the kind's state) or keeps
 * its old config, and answers, not retained, on .../applied with
 * {"ok":true,"version":"<12 hex>"} or {"ok":false,"error":"FILE: [group] key: …"}.
 *
 * This file only checks and formats; it starts nothing.  Main loop only
 * (connector.c calls it from the publisher's message callback). */
#pragma once

#include <glib.h>

#include "lib/connector.h"

G_BEGIN_DECLS

/* ioc/v1/<province>/config/<id> and its .../applied answer topic. */
gchar *ioc_remote_config_topic (const IocConnectorConfig *cfg);
gchar *ioc_remote_config_applied_topic (const IocConnectorConfig *cfg);

/* The version a config is known by: the first 12 hex digits of the SHA-256
 * of its bytes (what iocctl published, so both sides can compare). */
gchar *ioc_remote_config_version (const void *data, gsize len);
/* The version of the file the connector was started with; NULL if it can
 * no longer be read (then no pushed config counts as identical). */
gchar *ioc_remote_config_file_version (const gchar *path);

/* Parses data as the running connector's config file and checks it exactly
 * like --check, plus what may not change without a restart: identity (kind,
 * id, province, unit, device), state_dir, buffer_max, seq_block and [mqtt].
 * On success returns the new config (transfer full) and the kind's new,
 * not yet started state in *kstate; errors read "FILE: [group] key: expected …"
 * with FILE the running config's path. */
IocConnectorConfig *ioc_remote_config_check (const IocConnectorConfig *running,
                                             const IocConnectorKind *kind, const void *data,
                                             gsize len, gpointer *kstate, GError **error);

/* The JSON answer: ok with version, or the rejection's reason. */
gchar *ioc_remote_config_answer (const gchar *version, const GError *rejection, gsize *len);

/* A pushed config survives a restart (docs/OPERATIONS.md "Pushing a
 * config"): once applied, it is kept in <state_dir>/pushed-config.json
 * with its version and the version of the config file it overrides.  A
 * rejected config is never kept. */
#define IOC_REMOTE_CONFIG_FILE "pushed-config.json"

/* Writes data (the applied config's bytes) atomically into applied's
 * state_dir: temporary file, fsync, rename, fsync of the directory. */
gboolean ioc_remote_config_persist (const IocConnectorConfig *applied, const void *data, gsize len,
                                    const gchar *version, GError **error);

/* At start, before connecting: when state_dir holds a pushed config that
 * was applied over the very file file_cfg was loaded from (the file has not
 * changed since, so the push is newer), checks it like a push and returns
 * it (transfer full) with the kind's state and its version, and says so in
 * the log.  Otherwise NULL and the file runs: a file edited after the push
 * wins (the kept copy is removed), a kept copy that no longer passes the
 * checks is reported and ignored. */
IocConnectorConfig *ioc_remote_config_restore (const IocConnectorConfig *file_cfg,
                                               const IocConnectorKind *kind, gpointer *kstate,
                                               gchar **version);

G_END_DECLS
