/* decoder-fields.h — the decoder's field pass, private to ingest/decoder.c.
 *
 * The rows of protocol/ioc-schema.h, compiled once into programs: for each
 * row, where its value goes in an IocRecord (or in one camera of a status)
 * and what is left to check after the cheap tests.  Running a program over
 * the values json-scan located checks presence, JSON type and range of each
 * field and stores it.  Programs are read-only after the first
 * ioc_field_programs(); a buffer belongs to one decoder (one thread). */
#pragma once

#include <glib.h>

#include "ingest/json-scan.h"
#include "model/record.h"

G_BEGIN_DECLS

/* Strings unescape to at most their raw length, and each has two quotes in
 * the payload for its NUL; topic parts add at most 2 + 32 + 64 + 3 bytes. */
#define IOC_DECODE_ARENA (IOC_MAX_PAYLOAD + 128)

/* A decoder's scratch space for one message: its strings (NUL-terminated),
 * copies of numbers for strtod, the text of a reject. */
typedef struct
{
  gsize arena_used;
  gchar arena[IOC_DECODE_ARENA];
  gchar scratch[IOC_MAX_PAYLOAD + 1];
  gchar detail[200];
} IocDecodeBuf;

/* One camera as the schema sees it (an element of cameras[], or the top
 * level of a camera status). */
typedef struct
{
  const gchar *camera;
  IocTri online;
  IocTri recording;
  gdouble fps;
  gdouble bitrate_kbps;
} IocCameraFields;

/* An event's type, read before its fields. */
typedef struct
{
  const gchar *type;
} IocTypeField;

typedef struct _IocFieldProgram IocFieldProgram;

typedef struct
{
  const IocFieldProgram *envelope; /* without v: ioc-schema.h checks it first, on its own */
  const IocFieldProgram *type;     /* into an IocTypeField */
  const IocFieldProgram *events[IOC_EV_COUNT];    /* into an IocRecord */
  const IocFieldProgram *statuses[IOC_KIND_COUNT]; /* NULL for camera */
  const IocFieldProgram *camera;   /* into an IocCameraFields */
  guint64 camera_keys;             /* IOC_KEY_BIT of each key of a camera */
} IocFieldPrograms;

/* Compiled at the first call; every row of the schema must have a place in
 * its target struct, or this asserts. */
const IocFieldPrograms *ioc_field_programs (void);

/* Checks and stores: target is the program's struct.  Returns the reject
 * reason with its text in buf->detail, or IOC_REJECT_NONE.  null counts as
 * absent for an optional field. */
IocReject ioc_field_program_run (const IocFieldProgram *prog, IocDecodeBuf *buf, const IocJsonVal *slots,
                                 guint64 seen, gpointer target);

/* Writes the reject text to buf->detail; returns reason. */
IocReject ioc_decode_buf_reject (IocDecodeBuf *buf, IocReject reason, const gchar *fmt, ...) G_GNUC_PRINTF (3, 4);
/* A scanned string, unescaped and NUL-terminated, in the arena. */
gchar *ioc_decode_buf_string (IocDecodeBuf *buf, const IocJsonVal *v, gsize *out_len, gboolean *has_nul);

/* len bytes of s, NUL-terminated, in the arena. */
static inline gchar *
ioc_decode_buf_copy (IocDecodeBuf *buf, const gchar *s, gsize len)
{
  gchar *dst;
  g_assert (buf->arena_used + len + 1 <= IOC_DECODE_ARENA);
  dst = buf->arena + buf->arena_used;
  memcpy (dst, s, len);
  dst[len] = '\0';
  buf->arena_used += len + 1;
  return dst;
}

G_END_DECLS
