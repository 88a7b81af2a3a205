/* iocctl-broker.h — mosquitto 2.0 security files from the declared
 * connectors (SPEC §8 `iocctl broker-config`): password file, ACL, config
 * include.  Single-threaded tool code. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const gchar *out_dir;      /* written: passwd, acl, iochub-security.conf */
  const gchar *install_dir;  /* where the include says the files live; NULL → out_dir */
  const gchar *hub_user;
  const gchar *hub_password;
  const gchar *const *provinces; /* the hub reads ioc/v1/<p>/# for each */
  const gchar *group;        /* group of the files (name or number); NULL: a replaced file's, else the user's */
} IocCtlBrokerOptions;

/* connectors: IocCtlConnector*, each with a username.  Each file is
 * written to a temporary in out_dir, given the owner, group and mode of the
 * file it replaces (opts->group wins for the group) and synced; only when
 * all three are staged are they renamed over the old ones: never
 * half-written, never unreadable to the broker that read the old ones.  The include names the files by absolute paths.  report gets one
 * line per file with its owner:group and mode. */
gboolean ioc_ctl_broker_write (GPtrArray *connectors, const IocCtlBrokerOptions *opts, GString *report,
                               GError **error);

/* A mosquitto 2.0 password-file hash: $7$101$<b64 salt>$<b64 PBKDF2-SHA512>.
 * salt NULL: 12 random bytes.  (transfer full) */
gchar *ioc_ctl_mosquitto_hash (const gchar *password, const guint8 *salt, gsize salt_len, guint iterations);

G_END_DECLS
