/* snapshot.c — whole-hub checkpoints under state_dir (SPEC §7).
 *
 * It owns dir/snapshot, dir/snapshot.prev and the transient dir/snapshot.tmp.
 * In the flow it sits beside the journal: the main thread periodically
 * collects every stage's state as of journal position P (after the last
 * message it processed), saves it here, and only then compacts the journal
 * up to P; at start the hub loads the snapshot and replays from P.  Main
 * thread only.
 *
 * File: "IOCSNAP1" | u32 version | u64 segment | u64 offset | u32 sections |
 *       sections (snapcodec string name, snapcodec bytes data) | crc32 of
 *       everything before it.  Little-endian.
 *
 * Save writes snapshot.tmp, fsyncs it, hard-links the current snapshot to
 * snapshot.prev, renames tmp over snapshot and fsyncs the directory, so at
 * every instant dir/snapshot is either the old or the new complete file. */
#include "state/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "protocol/ioc-error.h"
#include "state/durable.h"
#include "state/snapcodec.h"

#define SNAP_MAGIC "IOCSNAP1"
#define SNAP_VERSION 1u
#define SNAP_FIXED (8u + 4u + 8u + 8u + 4u)

struct _IocSnapshot
{
  IocJournalPos pos;
  GPtrArray *names;      /* gchar*, in the order added: files are reproducible */
  GHashTable *sections;  /* name (borrowed from names) → GBytes */
};

IocSnapshot *
ioc_snapshot_new (IocJournalPos pos)
{
  IocSnapshot *self = g_new0 (IocSnapshot, 1);
  self->pos = pos;
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->sections = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) g_bytes_unref);
  return self;
}

void
ioc_snapshot_free (IocSnapshot *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->sections);
  g_ptr_array_unref (self->names);
  g_free (self);
}

void
ioc_snapshot_add_section (IocSnapshot *self, const gchar *name, GBytes *data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (data != NULL);

  gpointer key = NULL;
  if (g_hash_table_lookup_extended (self->sections, name, &key, NULL))
    {
      g_hash_table_insert (self->sections, key, g_bytes_ref (data));
      return;
    }
  gchar *copy = g_strdup (name);
  g_ptr_array_add (self->names, copy);
  g_hash_table_insert (self->sections, copy, g_bytes_ref (data));
}

GBytes *
ioc_snapshot_get_section (IocSnapshot *self, const gchar *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return g_hash_table_lookup (self->sections, name);
}

IocJournalPos
ioc_snapshot_pos (IocSnapshot *self)
{
  IocJournalPos none = { 0, 0 };
  g_return_val_if_fail (self != NULL, none);
  return self->pos;
}

static GByteArray *
encode (IocSnapshot *self)
{
  gsize total = SNAP_FIXED + 4;
  for (guint i = 0; i < self->names->len; i++)
    {
      const gchar *name = g_ptr_array_index (self->names, i);
      total += 8 + strlen (name) + g_bytes_get_size (g_hash_table_lookup (self->sections, name));
    }
  GByteArray *out = g_byte_array_sized_new ((guint) MIN (total, G_MAXUINT));
  g_byte_array_append (out, (const guint8 *) SNAP_MAGIC, 8);
  ioc_snap_put_u32 (out, SNAP_VERSION);
  ioc_snap_put_i64 (out, (gint64) self->pos.segment);
  ioc_snap_put_i64 (out, (gint64) self->pos.offset);
  ioc_snap_put_u32 (out, self->names->len);
  for (guint i = 0; i < self->names->len; i++)
    {
      const gchar *name = g_ptr_array_index (self->names, i);
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (g_hash_table_lookup (self->sections, name), &size);
      ioc_snap_put_str (out, name);
      ioc_snap_put_bytes (out, data, (guint32) size);
    }
  ioc_snap_put_u32 (out, (guint32) crc32 (crc32 (0L, Z_NULL, 0), out->data, out->len));
  return out;
}

static gboolean
write_file_synced (const gchar *path, const guint8 *data, gsize len, GError **error)
{
  if (unlink (path) < 0 && errno != ENOENT)
    return ioc_io_error (error, errno, "snapshot: remove stale %s", path);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return ioc_io_error (error, errno, "snapshot: create %s", path);
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = n < 0 ? errno : EIO;
          close (fd);
          unlink (path);
          return ioc_io_error (error, saved, "snapshot: write %s", path);
        }
      data += n;
      len -= (gsize) n;
    }
  if (fsync (fd) < 0)
    {
      int saved = errno;
      close (fd);
      unlink (path);
      return ioc_io_error (error, saved, "snapshot: fsync %s", path);
    }
  close (fd);
  return TRUE;
}

gboolean
ioc_snapshot_save (IocSnapshot *self, const gchar *dir, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  g_autoptr (GByteArray) bytes = encode (self);
  g_autofree gchar *tmp = g_build_filename (dir, "snapshot.tmp", NULL);
  g_autofree gchar *cur = g_build_filename (dir, "snapshot", NULL);
  g_autofree gchar *prev = g_build_filename (dir, "snapshot.prev", NULL);

  if (!write_file_synced (tmp, bytes->data, bytes->len, error))
    return FALSE;

  /* Keep the old snapshot as snapshot.prev until the new one is durable;
   * a hard link leaves dir/snapshot in place throughout. */
  if (g_file_test (cur, G_FILE_TEST_EXISTS))
    {
      if ((unlink (prev) < 0 && errno != ENOENT) || link (cur, prev) < 0)
        {
          int saved = errno;
          unlink (tmp);
          return ioc_io_error (error, saved, "snapshot: keep %s as %s", cur, prev);
        }
    }
  if (rename (tmp, cur) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return ioc_io_error (error, saved, "snapshot: rename %s to %s", tmp, cur);
    }
  if (!ioc_durable_sync_dir (dir, error))
    {
      g_prefix_error (error, "snapshot: ");
      return FALSE;
    }
  return TRUE;
}

static IocSnapshot *
decode (const gchar *path, GBytes *file, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (file, &len);
  if (len < SNAP_FIXED + 4 || memcmp (data, SNAP_MAGIC, 8) != 0)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "snapshot: %s: not an iochub snapshot (bad magic)",
                   path);
      return NULL;
    }
  guint32 want;
  memcpy (&want, data + len - 4, 4);
  want = GUINT32_FROM_LE (want);
  if ((guint32) crc32 (crc32 (0L, Z_NULL, 0), data, (uInt) (len - 4)) != want)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "snapshot: %s: checksum mismatch (file damaged)",
                   path);
      return NULL;
    }
  IocSnapReader r;
  ioc_snap_reader_init (&r, data + 8, len - 8 - 4);
  guint32 version = ioc_snap_get_u32 (&r);
  if (version != SNAP_VERSION)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT,
                   "snapshot: %s: format version %u, this hub reads %u", path, version, SNAP_VERSION);
      return NULL;
    }
  IocJournalPos pos;
  pos.segment = (guint64) ioc_snap_get_i64 (&r);
  pos.offset = (guint64) ioc_snap_get_i64 (&r);
  guint32 n = ioc_snap_get_u32 (&r);
  g_autoptr (IocSnapshot) self = ioc_snapshot_new (pos);
  for (guint32 i = 0; i < n && ioc_snap_reader_ok (&r); i++)
    {
      guint32 name_len = 0, size = 0;
      const guint8 *name = ioc_snap_get_bytes (&r, &name_len);
      const guint8 *body = ioc_snap_get_bytes (&r, &size);
      if (!ioc_snap_reader_ok (&r))
        break;
      g_autofree gchar *key = g_strndup ((const gchar *) name, name_len);
      if (g_hash_table_contains (self->sections, key))
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "snapshot: %s: section \"%s\" appears twice",
                       path, key);
          return NULL;
        }
      g_autoptr (GBytes) section = g_bytes_new_from_bytes (file, (gsize) (body - data), size);
      ioc_snapshot_add_section (self, key, section);
    }
  if (!ioc_snap_reader_at_end (&r))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "snapshot: %s: malformed section table", path);
      return NULL;
    }
  return g_steal_pointer (&self);
}

static IocSnapshot *
load_file (const gchar *path, GError **error)
{
  gchar *contents = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &contents, &len, error))
    {
      g_prefix_error (error, "snapshot: ");
      return NULL;
    }
  g_autoptr (GBytes) file = g_bytes_new_take (contents, len);
  return decode (path, file, error);
}

IocSnapshot *
ioc_snapshot_load (const gchar *dir, GError **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_autofree gchar *cur = g_build_filename (dir, "snapshot", NULL);
  g_autofree gchar *prev = g_build_filename (dir, "snapshot.prev", NULL);

  /* A damaged snapshot is an error, not "no snapshot": starting from
   * nothing would replay whatever journal is left on top of empty state
   * (losing counts), and guessing at an older state could double count.
   * The hub refuses to start and ops decide (snapshot.prev is kept). */
  if (g_file_test (cur, G_FILE_TEST_EXISTS))
    return load_file (cur, error);
  /* Only if someone removed the current one by hand: the older snapshot
   * is still exact as long as the journal covers its position, and the
   * replay checks that. */
  if (g_file_test (prev, G_FILE_TEST_EXISTS))
    return load_file (prev, error);
  return NULL;
}
