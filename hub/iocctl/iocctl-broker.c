/* iocctl-broker.c — writes mosquitto 2.0's password file, ACL and a config
 * include from the declared connectors (iocctl-broker.h).
 *
 * Hashes are computed here, not by running mosquitto_passwd: PBKDF2 with
 * HMAC-SHA512, 101 iterations, a 12-byte random salt and a 64-byte key,
 * written as "$7$101$SALT$HASH" in base64 — exactly what mosquitto 2.0's
 * mosquitto_passwd writes and its broker verifies.  The ACL gives each
 * connector write access only to its own device's topics and read access
 * only to its own config topic; the hub's account reads the province and
 * writes dead letters, alerts, configs and rollups.  Files are written to
 * temporaries and renamed, keeping the owner, group and mode of the files
 * they replace (the broker must go on reading them after a reload).
 * Single-threaded tool code. */
#include "iocctl-broker.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iocctl-connector.h"
#include "protocol/ioc-error.h"
#include "protocol/ioc-schema.h"

#define SALT_LEN 12
#define HASH_LEN 64
#define ITERATIONS 101

static void
hmac_sha512 (const gchar *key, gsize key_len, const guint8 *data, gsize len, guint8 out[HASH_LEN])
{
  g_autoptr (GHmac) h = g_hmac_new (G_CHECKSUM_SHA512, (const guchar *) key, key_len);
  g_hmac_update (h, data, len);
  gsize n = HASH_LEN;
  g_hmac_get_digest (h, out, &n);
}

gchar *
ioc_ctl_mosquitto_hash (const gchar *password, const guint8 *salt, gsize salt_len, guint iterations)
{
  guint8 own_salt[SALT_LEN];
  if (salt == NULL)
    {
      if (getrandom (own_salt, sizeof own_salt, 0) != (gssize) sizeof own_salt)
        g_error ("getrandom failed");
      salt = own_salt;
      salt_len = sizeof own_salt;
    }
  /* PBKDF2 (RFC 8018) with dkLen = hLen: a single block, T1. */
  gsize pw_len = strlen (password);
  g_autofree guint8 *block = g_malloc (salt_len + 4);
  memcpy (block, salt, salt_len);
  block[salt_len] = 0, block[salt_len + 1] = 0, block[salt_len + 2] = 0, block[salt_len + 3] = 1;
  guint8 u[HASH_LEN], t[HASH_LEN];
  hmac_sha512 (password, pw_len, block, salt_len + 4, u);
  memcpy (t, u, HASH_LEN);
  for (guint i = 1; i < iterations; i++)
    {
      hmac_sha512 (password, pw_len, u, HASH_LEN, u);
      for (guint j = 0; j < HASH_LEN; j++)
        t[j] ^= u[j];
    }
  g_autofree gchar *s64 = g_base64_encode (salt, salt_len);
  g_autofree gchar *h64 = g_base64_encode (t, HASH_LEN);
  return g_strdup_printf ("$7$%u$%s$%s", iterations, s64, h64);
}

/* Stages dir/name: the text goes to a temporary in the same directory
 * which gets the owner, group and mode of the file it will replace (group:
 * the one asked for on the command line wins; for a new file, the running
 * user, that group or the user's own, new_mode) and is synced.  Returns
 * the temporary's path (transfer full), for publish_files() to rename, or
 * NULL with nothing left behind.  Appends what the file gets to report. */
static gchar *
stage_file (const gchar *dir, const gchar *name, const GString *text, mode_t new_mode, gboolean set_group, gid_t group,
            GString *report, GError **error)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  struct stat old;
  gboolean replaces = stat (path, &old) == 0;
  if (!replaces && errno != ENOENT)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: cannot read its owner and mode: %s", path, g_strerror (errno));
      return NULL;
    }
  g_autofree gchar *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, name);
  gint fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: cannot create a temporary file: %s", dir, g_strerror (errno));
      return NULL;
    }
  struct stat now = { 0 };
  uid_t uid = replaces ? old.st_uid : geteuid ();
  gid_t gid = set_group ? group : replaces ? old.st_gid : (gid_t) -1;
  mode_t mode = replaces ? (old.st_mode & 07777) : new_mode;
  const gchar *failed = NULL;
  for (gsize done = 0; failed == NULL && done < text->len;)
    {
      gssize n = write (fd, text->str + done, text->len - done);
      if (n < 0 && errno != EINTR)
        failed = "cannot write";
      done += MAX (n, 0);
    }
  if (failed == NULL && fstat (fd, &now) != 0)
    failed = "cannot read back";
  if (failed == NULL && gid == (gid_t) -1)
    gid = now.st_gid;
  if (failed == NULL && (now.st_uid != uid || now.st_gid != gid) && fchown (fd, uid, gid) != 0)
    failed = replaces ? "cannot give it the owner and group of the file it replaces (run as root, or as that owner "
                        "and a member of that group)"
                      : "cannot give it the group asked for (run as root, or as a member of that group)";
  if (failed == NULL && fchmod (fd, mode) != 0)
    failed = "cannot set its mode";
  if (failed == NULL && fsync (fd) != 0)
    failed = "cannot sync";
  gint saved = errno;
  if (close (fd) != 0 && failed == NULL)
    failed = "cannot close", saved = errno;
  if (failed != NULL)
    {
      g_unlink (tmp);
      g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: %s: %s; %s left as it was", tmp, failed, g_strerror (saved),
                   path);
      return NULL;
    }
  struct passwd *pw = getpwuid (uid);
  g_autofree gchar *owner = pw ? g_strdup (pw->pw_name) : g_strdup_printf ("%u", (guint) uid);
  struct group *gr = getgrgid (gid);
  g_autofree gchar *grp = gr ? g_strdup (gr->gr_name) : g_strdup_printf ("%u", (guint) gid);
  g_string_append_printf (report, "%s: %s:%s mode %04o%s\n", path, owner, grp, (guint) mode,
                          replaces ? (set_group ? " (owner and mode kept)" : " (owner, group and mode kept)") : " (new)");
  return g_steal_pointer (&tmp);
}

/* Writes the files named in names (NULL-terminated) with texts[i], each
 * staged first: if one cannot be staged, none is replaced; then each is
 * renamed over the old one, and the directory synced so that the renames
 * survive a power cut. */
static gboolean
write_files (const gchar *dir, const gchar *const *names, GString *const *texts, const mode_t *modes,
             gboolean set_group, gid_t group, GString *report, GError **error)
{
  g_autoptr (GPtrArray) staged = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; names[i] != NULL; i++)
    {
      gchar *tmp = stage_file (dir, names[i], texts[i], modes[i], set_group, group, report, error);
      if (tmp == NULL)
        {
          for (guint j = 0; j < staged->len; j++)
            g_unlink (staged->pdata[j]);
          return FALSE;
        }
      g_ptr_array_add (staged, tmp);
    }
  for (guint i = 0; i < staged->len; i++)
    {
      g_autofree gchar *path = g_build_filename (dir, names[i], NULL);
      if (g_rename (staged->pdata[i], path) != 0)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_IO, "%s: cannot rename over %s: %s", (gchar *) staged->pdata[i],
                       path, g_strerror (errno));
          for (guint j = i; j < staged->len; j++)
            g_unlink (staged->pdata[j]);
          return FALSE;
        }
    }
  gint dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      fsync (dfd); /* a failure here changes nothing already done */
      close (dfd);
    }
  return TRUE;
}

/* Long on purpose: the password file and the ACL file are written in one
 * pass over the connectors so that they always agree. */
/* --group: a group name of this machine or a number; (gid_t) -1 without. */
static gboolean
parse_group (const gchar *name, gid_t *out, GError **error)
{
  *out = (gid_t) -1;
  if (name == NULL)
    return TRUE;
  struct group *gr = getgrnam (name);
  gchar *end = NULL;
  guint64 n = g_ascii_strtoull (name, &end, 10);
  if (gr != NULL)
    *out = gr->gr_gid;
  else if (*name != '\0' && end != NULL && *end == '\0' && n < G_MAXUINT32)
    *out = (gid_t) n;
  else
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "--group: expected a group of this machine (the broker's, e.g. mosquitto), got '%s'", name);
      return FALSE;
    }
  return TRUE;
}

/* Every connector has a broker account of its own, not the hub's. */
static gboolean
check_accounts (GPtrArray *connectors, const IocCtlBrokerOptions *opts, GError **error)
{
  for (guint i = 0; i < connectors->len; i++)
    {
      IocCtlConnector *c = connectors->pdata[i];
      if (c->username == NULL)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "%s: [mqtt] username: expected the connector's broker username (and password), got none",
                       c->path);
          return FALSE;
        }
      if (opts->hub_user != NULL && g_str_equal (c->username, opts->hub_user))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                       "%s: [mqtt] username: expected a name other than the hub's account, got '%s'", c->path,
                       c->username);
          return FALSE;
        }
    }
  return TRUE;
}

/* The password lines and the ACL: the hub's account, then each connector's. */
static void
append_accounts (GPtrArray *connectors, const IocCtlBrokerOptions *opts, GString *passwd, GString *acl)
{
  g_string_append (acl, "# Generated by `iocctl broker-config`; do not edit, regenerate from the connector configs.\n"
                        "# mosquitto allows what a `topic` line of the user matches and refuses the rest;\n"
                        "# `deny` lines are checked first.  Rules before the first `user` line apply to\n"
                        "# anonymous clients: none (and allow_anonymous is false).\n\n");
  if (opts->hub_user != NULL)
    {
      g_autofree gchar *hash = ioc_ctl_mosquitto_hash (opts->hub_password, NULL, 0, ITERATIONS);
      g_string_append_printf (passwd, "%s:%s\n", opts->hub_user, hash);
      g_string_append_printf (acl, "# the hub: reads its provinces, writes dead letters, alerts, configs, rollups\n"
                                   "user %s\n", opts->hub_user);
      for (const gchar *const *p = opts->provinces; p && *p; p++)
        g_string_append_printf (acl,
                                "topic read ioc/v1/%s/#\n"
                                "topic write ioc/v1/%s/deadletter/#\n"
                                "topic write ioc/v1/%s/alerts/#\n"
                                "topic write ioc/v1/%s/config/+\n"
                                "topic write ioc/v1/%s/rollup/+\n",
                                *p, *p, *p, *p, *p);
      g_string_append_c (acl, '\n');
    }
  /* A connector writes its device's event, status and state topics, each
   * named in full (a `#` would also match deeper topics), and its answer
   * on config/ID/applied; it reads config/ID.  A connector bound to one
   * unit names it; a portal's unit level is `+`, which would also match
   * the names the hub publishes under (SPEC §3: no unit code takes them):
   * deny lines take exactly those back. */
  static const gchar *const reserved[] = { "alerts", "deadletter", "rollup", "config" };
  for (guint i = 0; i < connectors->len; i++)
    {
      IocCtlConnector *c = connectors->pdata[i];
      g_autofree gchar *hash = ioc_ctl_mosquitto_hash (c->password, NULL, 0, ITERATIONS);
      g_autofree gchar *cfg = ioc_ctl_connector_config_topic (c);
      gboolean any_unit = g_str_equal (c->kind, "portal") || c->unit == NULL;
      g_string_append_printf (passwd, "%s:%s\n", c->username, hash);
      g_string_append_printf (acl, "# %s (%s %s)\nuser %s\n", c->path, c->kind, c->id, c->username);
      if (any_unit)
        for (guint r = 0; r < G_N_ELEMENTS (reserved); r++)
          g_string_append_printf (acl, "topic deny ioc/v1/%s/%s/%s/%s/+\n", c->province, reserved[r], c->kind,
                                  c->device);
      for (guint t = 0; t < IOC_MSG_COUNT; t++)
        g_string_append_printf (acl, "topic write ioc/v1/%s/%s/%s/%s/%s\n", c->province, any_unit ? "+" : c->unit,
                                c->kind, c->device, ioc_msg_type_names[t]);
      g_string_append_printf (acl, "topic read %s\ntopic write %s/applied\n\n", cfg, cfg);
    }
}

/* iochub-security.conf: mosquitto's settings that use the two files. */
static void
append_security_conf (GString *conf, guint n_connectors, const gchar *where, const gchar *passwd_path,
                      const gchar *acl_path)
{
  g_string_append_printf (conf,
    "# Generated by `iocctl broker-config` from %u connector config(s).\n"
    "# Install: copy this folder to %s, then put this file (or a symlink to it)\n"
    "# into /etc/mosquitto/conf.d/ (Debian's mosquitto.conf ends with\n"
    "# `include_dir /etc/mosquitto/conf.d`), together with ops/mosquitto/iochub.conf.\n"
    "# After regenerating, `systemctl reload mosquitto` (SIGHUP) re-reads the\n"
    "# password file and the ACL without dropping connections.\n"
    "\n"
    "per_listener_settings false\n"
    "allow_anonymous false\n"
    "password_file %s\n"
    "acl_file %s\n"
    "\n"
    "# Plain MQTT on loopback only, for the hub and tools on this machine:\n"
    "#listener 1883 127.0.0.1\n"
    "\n"
    "# Production: connectors reach the broker over TLS.  Install the\n"
    "# certificates (e.g. from the province's CA or Let's Encrypt):\n"
    "#   /etc/mosquitto/certs/ca.crt      the CA that signed the server cert\n"
    "#   /etc/mosquitto/certs/server.crt  the broker's certificate (full chain)\n"
    "#   /etc/mosquitto/certs/server.key  its private key, mode 0640, group mosquitto\n"
    "# then uncomment the block below, point connectors at ssl://HOST:8883\n"
    "# ([mqtt] url), and restart mosquitto.  Renewed certificates are picked up\n"
    "# on `systemctl reload mosquitto`.\n"
    "#listener 8883\n"
    "#certfile /etc/mosquitto/certs/server.crt\n"
    "#keyfile /etc/mosquitto/certs/server.key\n"
    "#cafile /etc/mosquitto/certs/ca.crt\n"
    "#tls_version tlsv1.2\n",
    n_connectors, where, passwd_path, acl_path);
}

gboolean
ioc_ctl_broker_write (GPtrArray *connectors, const IocCtlBrokerOptions *opts, GString *report, GError **error)
{
  /* mosquitto reads these paths after it has changed directory: absolute. */
  g_autofree gchar *where = g_canonicalize_filename (opts->install_dir ? opts->install_dir : opts->out_dir, NULL);
  g_autoptr (GString) passwd = g_string_new (NULL);
  g_autoptr (GString) acl = g_string_new (NULL);
  g_autoptr (GString) conf = g_string_new (NULL);
  gid_t group;
  if (!parse_group (opts->group, &group, error) || !check_accounts (connectors, opts, error))
    return FALSE;

  append_accounts (connectors, opts, passwd, acl);
  g_autofree gchar *passwd_path = g_build_filename (where, "passwd", NULL);
  g_autofree gchar *acl_path = g_build_filename (where, "acl", NULL);
  append_security_conf (conf, connectors->len, where, passwd_path, acl_path);

  /* A directory made here is the broker's to enter: its group's, or
   * everyone's (the password file keeps its own mode). */
  gboolean set_group = opts->group != NULL;
  if (!g_file_test (opts->out_dir, G_FILE_TEST_IS_DIR)
      && (g_mkdir_with_parents (opts->out_dir, set_group ? 0750 : 0755) != 0
          || (set_group && chown (opts->out_dir, (uid_t) -1, group) != 0)))
    {
      return ioc_io_error (error, errno, "%s: cannot create it for group %s", opts->out_dir, set_group ? opts->group : "(own)");
    }
  g_autoptr (GString) files = g_string_new (NULL);
  g_autofree gchar *passwd_out = g_build_filename (opts->out_dir, "passwd", NULL);
  gboolean passwd_new = !g_file_test (passwd_out, G_FILE_TEST_EXISTS);
  const gchar *const names[] = { "passwd", "acl", "iochub-security.conf", NULL };
  GString *const texts[] = { passwd, acl, conf };
  const mode_t modes[] = { 0640, 0644, 0644 };
  if (!write_files (opts->out_dir, names, texts, modes, set_group, group, files, error))
    return FALSE;
  g_string_append_printf (report, "%s: wrote passwd, acl, iochub-security.conf for %u connector(s)%s%s\n%s",
                          opts->out_dir, connectors->len, opts->hub_user ? " and the hub account " : "",
                          opts->hub_user ? opts->hub_user : "", files->str);
  if (passwd_new && !set_group)
    g_string_append (report, "note: passwd is new and readable by its owner and group only: the broker's user must "
                             "be able to read it (on a Debian broker: --group mosquitto)\n");
  return TRUE;
}
