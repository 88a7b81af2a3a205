/* kinds/jsonl.c: replays source events from a JSON-lines file or a FIFO
 * (demos, tests, and source systems that drop files): every line is one
 * source event, mapped to SPEC §4 with the same config keys as the HTTP
 * kinds (type_field, ts_field, type.*, map.*, value.*, unit_field), and
 * published as the SPEC kind named by `publish_as`.
 *
 * Nothing twice, nothing skipped: the cursor "INODE:OFFSET:LINE" (bytes and
 * lines consumed) is committed with the messages read up to it in one sync
 * of the disk buffer, as the polling kinds do; after SIGKILL reading resumes
 * at the last committed line.  Only whole lines are consumed: a line still
 * being written (no newline yet) waits for the next read.  A file replaced
 * (another inode) or truncated below the cursor is read from its start.  A
 * FIFO cannot be re-read: what was read but not yet committed at a crash is
 * gone, as on any pipe; it is opened read-write so a writer closing it is
 * not an end.
 *
 * Bad lines (not JSON, not an object, not mappable to a valid SPEC event,
 * over max_line) are counted as source_rejects and logged with their line
 * number; never published.  Runs on the main loop. */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kinds/kinds.h"
#include "lib/event-source.h"
#include "protocol/ioc-error.h"

#define JSONL_READ_BUDGET (4 * 1024 * 1024) /* bytes per poll: the loop stays responsive */

typedef struct
{
  IocEventSource *src;
  gchar *cfg_path;
  gchar *path;
  guint64 max_line;
  IocConnector *conn;
  gint fd;
  gboolean is_fifo;
  guint fd_watch;
  guint64 ino;
  guint64 offset;   /* bytes consumed: whole lines */
  guint64 line;     /* lines consumed */
  GString *partial; /* bytes after the last newline */
  gboolean skipping; /* inside a line over max_line */
  guint64 skipped;   /* its bytes so far */
  guint64 published;
  gboolean open_failed_logged;
} JsonlState;

static const gchar *const own_keys[] = { "publish_as", "file", "max_line", NULL };

static void
jsonl_close (JsonlState *st)
{
  g_clear_handle_id (&st->fd_watch, g_source_remove);
  if (st->fd >= 0)
    close (st->fd);
  st->fd = -1;
}

static void
jsonl_free (gpointer state)
{
  JsonlState *st = state;
  jsonl_close (st);
  ioc_event_source_free (st->src);
  g_free (st->cfg_path);
  g_free (st->path);
  if (st->partial)
    g_string_free (st->partial, TRUE);
  g_free (st);
}

static gpointer
jsonl_configure (const IocConnectorConfig *cfg, IocKeyFile *kf, const gchar *group,
                 GError **error)
{
  g_autoptr (IocEventSource) src = ioc_event_source_configure_mapping (cfg, kf, group, own_keys,
                                                                       error);
  if (!src)
    return NULL;
  JsonlState *st = g_new0 (JsonlState, 1);
  st->fd = -1;
  st->cfg_path = g_strdup (kf->path);
  st->path = ioc_keyfile_string (kf, group, "file", NULL, TRUE, error);
  if (!st->path
      || !ioc_keyfile_size (kf, group, "max_line", 64 * 1024, 256, 16 * 1024 * 1024, &st->max_line,
                            error))
    {
      jsonl_free (st);
      return NULL;
    }
  if (!g_path_is_absolute (st->path))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_CONFIG,
                   "%s: [%s] file: expected an absolute path of a JSON-lines file or FIFO, got '%s'",
                   kf->path, group, st->path);
      jsonl_free (st);
      return NULL;
    }
  st->src = g_steal_pointer (&src);
  st->partial = g_string_new (NULL);
  return st;
}

static void
parse_cursor (const gchar *cursor, guint64 *ino, guint64 *offset, guint64 *line)
{
  *ino = *offset = *line = 0;
  if (!cursor)
    return;
  g_auto (GStrv) p = g_strsplit (cursor, ":", 3);
  if (g_strv_length (p) != 3 || !g_ascii_string_to_unsigned (p[0], 10, 0, G_MAXUINT64, ino, NULL)
      || !g_ascii_string_to_unsigned (p[1], 10, 0, G_MAXUINT64, offset, NULL)
      || !g_ascii_string_to_unsigned (p[2], 10, 0, G_MAXUINT64, line, NULL))
    *ino = *offset = *line = 0;
}

static void jsonl_read (JsonlState *st);

static gboolean
fifo_ready_cb (gint fd, GIOCondition cond, gpointer data)
{
  jsonl_read (data);
  return G_SOURCE_CONTINUE;
}

/* Opens the file (or FIFO) and positions it at the committed cursor. */
static gboolean
jsonl_open (JsonlState *st)
{
  GStatBuf sb;
  if (g_stat (st->path, &sb) != 0)
    {
      if (!st->open_failed_logged)
        g_message ("jsonl: %s: %s; waiting for it", st->path, g_strerror (errno));
      st->open_failed_logged = TRUE;
      return FALSE;
    }
  st->is_fifo = S_ISFIFO (sb.st_mode);
  /* read-write on a FIFO: we are a writer too, so a closing writer is no EOF */
  st->fd = g_open (st->path, (st->is_fifo ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC, 0);
  if (st->fd < 0)
    {
      if (!st->open_failed_logged)
        g_warning ("jsonl: cannot open %s: %s", st->path, g_strerror (errno));
      st->open_failed_logged = TRUE;
      return FALSE;
    }
  st->open_failed_logged = FALSE;
  struct stat fsb;
  fstat (st->fd, &fsb);
  guint64 ino, offset, line;
  parse_cursor (ioc_connector_cursor (st->conn), &ino, &offset, &line);
  st->ino = (guint64) fsb.st_ino;
  st->offset = st->line = 0;
  g_string_truncate (st->partial, 0);
  st->skipping = FALSE;
  st->skipped = 0;
  if (st->is_fifo)
    {
      st->fd_watch = g_unix_fd_add (st->fd, G_IO_IN, fifo_ready_cb, st);
      g_message ("jsonl: reading FIFO %s", st->path);
    }
  else if (ino == st->ino && offset <= (guint64) fsb.st_size)
    {
      if (lseek (st->fd, (off_t) offset, SEEK_SET) == (off_t) offset)
        {
          st->offset = offset;
          st->line = line;
        }
      g_message ("jsonl: reading %s from line %" G_GUINT64_FORMAT " (byte %" G_GUINT64_FORMAT ")",
                 st->path, st->line + 1, st->offset);
    }
  else if (ino != 0)
    g_message ("jsonl: %s was %s since the last cursor; reading it from the start", st->path,
               ino != st->ino ? "replaced" : "truncated");
  return TRUE;
}

static void
reject_line (JsonlState *st, guint64 line_no, const gchar *why)
{
  g_autofree gchar *what = g_strdup_printf ("%s line %" G_GUINT64_FORMAT, st->path, line_no);
  ioc_connector_reject (st->conn, what, why);
}

static void
take_line (JsonlState *st, const gchar *text, gsize len, guint64 line_no)
{
  while (len > 0 && g_ascii_isspace (text[len - 1]))
    len--;
  gsize i = 0;
  while (i < len && g_ascii_isspace (text[i]))
    i++;
  if (i == len)
    return; /* blank lines are not events */
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  if (!json_parser_load_from_data (parser, text + i, (gssize) (len - i), &error))
    {
      reject_line (st, line_no, error->message);
      return;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    {
      reject_line (st, line_no, "not a JSON object");
      return;
    }
  if (!ioc_event_source_emit (st->src, st->conn, json_node_get_object (root), NULL, NULL, &error))
    {
      reject_line (st, line_no, error->message);
      return;
    }
  st->published++;
}

/* Splits what was read into whole lines; the tail waits in partial. */
static void
consume (JsonlState *st, const gchar *buf, gsize n)
{
  const gchar *p = buf, *end = buf + n;
  while (p < end)
    {
      const gchar *nl = memchr (p, '\n', (gsize) (end - p));
      gsize chunk = (gsize) ((nl ? nl : end) - p);
      if (st->skipping)
        st->skipped += chunk;
      else if (st->partial->len + chunk > st->max_line)
        {
          g_autofree gchar *why = g_strdup_printf ("longer than max_line (%" G_GUINT64_FORMAT " bytes)",
                                                   st->max_line);
          reject_line (st, st->line + 1, why);
          st->skipping = TRUE;
          st->skipped = st->partial->len + chunk;
          g_string_truncate (st->partial, 0);
        }
      else
        g_string_append_len (st->partial, p, (gssize) chunk);
      if (!nl)
        break;
      st->line++;
      if (st->skipping)
        {
          st->offset += st->skipped + 1;
          st->skipping = FALSE;
          st->skipped = 0;
        }
      else
        {
          take_line (st, st->partial->str, st->partial->len, st->line);
          st->offset += st->partial->len + 1;
          g_string_truncate (st->partial, 0);
        }
      p = nl + 1;
    }
}

static void
commit (JsonlState *st)
{
  g_autofree gchar *cursor = g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT
                                              ":%" G_GUINT64_FORMAT, st->ino, st->offset, st->line);
  g_autoptr (GError) error = NULL;
  if (!ioc_connector_commit (st->conn, cursor, &error))
    g_warning ("jsonl: %s", error->message);
}

static void
jsonl_read (JsonlState *st)
{
  if (st->fd < 0 && !jsonl_open (st))
    return;
  gchar buf[65536];
  gsize total = 0;
  gboolean eof = FALSE;
  while (total < JSONL_READ_BUDGET)
    {
      gssize n = read (st->fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno != EAGAIN)
        {
          g_warning ("jsonl: reading %s: %s", st->path, g_strerror (errno));
          jsonl_close (st);
          break;
        }
      if (n <= 0)
        {
          eof = TRUE;
          break;
        }
      consume (st, buf, (gsize) n);
      total += (gsize) n;
    }
  if (total > 0)
    commit (st);
  if (eof && st->fd >= 0 && !st->is_fifo)
    {
      /* rotated away (a new file at the path) once this one is read */
      GStatBuf sb;
      if (g_stat (st->path, &sb) == 0 && (guint64) sb.st_ino != st->ino)
        {
          if (st->partial->len > 0)
            reject_line (st, st->line + 1, "file replaced before the line was ended");
          jsonl_close (st);
          /* the new file's cursor starts at its beginning */
          st->ino = (guint64) sb.st_ino;
          st->offset = st->line = 0;
          commit (st);
          jsonl_read (st);
        }
      else if (g_stat (st->path, &sb) == 0 && (guint64) sb.st_size < st->offset)
        {
          g_message ("jsonl: %s was truncated; reading it from the start", st->path);
          lseek (st->fd, 0, SEEK_SET);
          st->offset = st->line = 0;
          g_string_truncate (st->partial, 0);
          commit (st);
        }
    }
}

static gboolean
jsonl_start (IocConnector *conn, gpointer state, GError **error)
{
  JsonlState *st = state;
  st->conn = conn;
  jsonl_open (st);
  return TRUE;
}

static void
jsonl_poll (IocConnector *conn, gpointer state)
{
  jsonl_read (state);
}

static void
jsonl_status (IocConnector *conn, gpointer state, JsonObject *fields)
{
  JsonlState *st = state;
  if (ioc_connector_config (conn)->kind == IOC_KIND_CAMERA)
    json_object_set_array_member (fields, "cameras", json_array_new ());
  json_object_set_int_member (fields, "lines", (gint64) st->line);
  json_object_set_int_member (fields, "published", (gint64) st->published);
  json_object_set_boolean_member (fields, "source_ok", st->fd >= 0);
}

const IocConnectorKind ioc_kind_jsonl = {
  .name = "jsonl", .kind = IOC_KIND_DESK, /* the SPEC kind comes from publish_as */
  .configure = jsonl_configure, .start = jsonl_start, .poll = jsonl_poll,
  .status = jsonl_status, .free = jsonl_free,
};
