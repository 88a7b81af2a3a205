/* dedup.c — the (kind, device, seq) de-duplicator and loss counter.
 *
 * It owns one IocSeqDevice per (kind, device) ever seen.  In the flow it sits
 * at the end of ingest: envelope → validate → dedup; a DUPLICATE verdict
 * stops the message there, so replaying the journal after a crash or an
 * MQTT redelivery never counts anything twice (SPEC §7).  Its state is a
 * snapshot section.  Runs on the main thread only.
 *
 * Hot path: one hash of the borrowed device string and a probe of an open
 * addressing table of 32-bit indices into one array of devices; no
 * allocation unless the device is new.  Device names live in a GStringChunk
 * (no per-name malloc header), so 150,000 devices take ~210 bytes each.
 *
 * The window is a ring: bit (seq mod W) of seen[] tells whether seq was seen,
 * for seq in (last_seq - W, last_seq].  Moving last_seq forward clears the
 * bits of the seqs it skips, so the common in-order step touches one bit.
 *
 * A reset (dedup.h) restarts the window at the new seq.  The epoch before
 * it is remembered with its highest seq, so that a late redelivery of the
 * old epoch (a QoS 1 repeat after the hub reconnects) is a duplicate, not
 * a reset back and forth. */
#include "ingest/dedup.h"

#include <string.h>

#include "protocol/ioc-error.h"
#include "protocol/ioc-stats.h"
#include "state/snapcodec.h"

#define W IOC_DEDUP_WINDOW
#define WORDS (W / 64)
G_STATIC_ASSERT (W % 64 == 0 && (W & (W - 1)) == 0);

/* 1: no epochs; 2: epoch, previous epoch, resets, remapped. */
#define SAVE_VERSION 2u
#define BLOCK 2048u /* devices per allocation block (352 KiB) */

typedef struct
{
  gint64 last_seq;
  gint64 base_seq;   /* the first seq seen: nothing below it counts as missing */
  gint64 missing;    /* seqs skipped and not (yet) filled */
  gint64 duplicates;
  const gchar *device; /* in IocDedup.names */
  const gchar *epoch;  /* in IocDedup.names; NULL: none seen */
  const gchar *prev_epoch; /* the epoch before the last reset, or NULL */
  gint64 prev_last;    /* its highest seq */
  guint32 hash;
  guint32 kind;
  guint32 resets;
  guint32 remapped;
  guint64 seen[WORDS];
} IocSeqDevice;

struct _IocDedup
{
  /* Devices in first-seen order, in fixed blocks: growing never copies
   * them and wastes at most one block (doubling one array would waste up
   * to half of it: ~20 MB at 150,000 devices). */
  IocSeqDevice **blocks;
  guint32 n_blocks;
  guint32 n_devs;
  guint32 *slots;     /* index + 1 into the devices; 0 = empty */
  guint32 mask;       /* number of slots - 1 */
  GStringChunk *names;
  gint64 missing_total;
  gint64 duplicates_total;
  gint64 resets_total;
  gint64 remapped_total;
  guint32 gapless_kinds; /* bit per IocKind: skipped seqs are not loss */
  IocStat *st_duplicates;
  IocStat *st_missing;
  IocStat *st_late_fills;
  IocStat *st_resets;
  IocStat *st_remapped;
};

static inline gint64
sat_add (gint64 a, gint64 b)
{
  gint64 r;
  /* A buggy connector may jump its seq by 2^62; keep the sums defined. */
  if (__builtin_add_overflow (a, b, &r))
    return b > 0 ? G_MAXINT64 : G_MININT64;
  return r;
}

static inline guint32
dev_hash (guint32 kind, const gchar *s)
{
  /* FNV-1a; device ids are short ASCII. */
  guint32 h = 2166136261u ^ (kind * 0x9e3779b1u);
  for (const guchar *p = (const guchar *) s; *p; p++)
    h = (h ^ *p) * 16777619u;
  h ^= h >> 15;
  return h;
}

static inline IocSeqDevice *
dev_at (const IocDedup *self, guint32 i)
{
  return &self->blocks[i / BLOCK][i % BLOCK];
}

static void
alloc_slots (IocDedup *self, guint32 n_slots)
{
  g_free (self->slots);
  self->slots = g_new0 (guint32, n_slots);
  self->mask = n_slots - 1;
  for (guint32 i = 0; i < self->n_devs; i++)
    {
      guint32 j = dev_at (self, i)->hash & self->mask;
      while (self->slots[j] != 0)
        j = (j + 1) & self->mask;
      self->slots[j] = i + 1;
    }
}

IocDedup *
ioc_dedup_new (void)
{
  IocDedup *self = g_new0 (IocDedup, 1);
  self->names = g_string_chunk_new (16 * 1024);
  alloc_slots (self, 1024);
  self->st_duplicates = ioc_stat ("iochub_duplicates_total", NULL, IOC_STAT_COUNTER,
                                  "Messages dropped because their (kind, device, seq) was already counted");
  self->st_missing = ioc_stat ("iochub_seq_missing", NULL, IOC_STAT_GAUGE,
                               "Messages currently missing (seq gaps) across devices");
  self->st_late_fills = ioc_stat ("iochub_seq_late_fills_total", NULL, IOC_STAT_COUNTER,
                                  "Missing seqs that arrived late and were counted");
  self->st_resets = ioc_stat ("iochub_seq_resets_total", NULL, IOC_STAT_COUNTER,
                              "Seq resets: a device's new epoch, or without one a seq far below its highest");
  self->st_remapped = ioc_stat ("iochub_remapped_total", NULL, IOC_STAT_COUNTER,
                                "Events under a retired unit code counted under its successor");
  /* The hub has one tracker; the gauge shows its state from the start. */
  ioc_stat_set (self->st_missing, 0);
  return self;
}

void
ioc_dedup_free (IocDedup *self)
{
  if (self == NULL)
    return;
  for (guint32 b = 0; b < self->n_blocks; b++)
    g_free (self->blocks[b]);
  g_free (self->blocks);
  g_free (self->slots);
  g_string_chunk_free (self->names);
  g_free (self);
}

static void
clear_all (IocDedup *self)
{
  self->n_devs = 0;
  memset (self->slots, 0, ((gsize) self->mask + 1) * sizeof (guint32));
  g_string_chunk_clear (self->names);
  self->missing_total = 0;
  self->duplicates_total = 0;
  self->resets_total = 0;
  self->remapped_total = 0;
}

/* Returns the device of (kind, name, hash), or NULL after pointing *slot
 * at the empty slot where it belongs. */
static inline IocSeqDevice *
find (IocDedup *self, guint32 kind, const gchar *device, guint32 hash, guint32 *slot)
{
  guint32 j = hash & self->mask;
  for (;;)
    {
      guint32 s = self->slots[j];
      if (s == 0)
        {
          *slot = j;
          return NULL;
        }
      IocSeqDevice *d = dev_at (self, s - 1);
      if (d->hash == hash && d->kind == kind && strcmp (d->device, device) == 0)
        return d;
      j = (j + 1) & self->mask;
    }
}

/* Adds a device (name already stable in self->names). */
static IocSeqDevice *
insert (IocDedup *self, guint32 kind, const gchar *stable_name, guint32 hash, guint32 slot)
{
  /* Keep the table at most half full so probes stay short. */
  if (((gsize) self->n_devs + 1) * 2 > (gsize) self->mask + 1)
    {
      alloc_slots (self, (self->mask + 1) * 2);
      IocSeqDevice *again = find (self, kind, stable_name, hash, &slot);
      g_assert (again == NULL);
    }
  if (self->n_devs == (gsize) self->n_blocks * BLOCK)
    {
      self->blocks = g_renew (IocSeqDevice *, self->blocks, self->n_blocks + 1);
      self->blocks[self->n_blocks++] = g_new (IocSeqDevice, BLOCK);
    }
  IocSeqDevice *d = dev_at (self, self->n_devs);
  memset (d, 0, sizeof *d);
  d->device = stable_name;
  d->hash = hash;
  d->kind = kind;
  self->slots[slot] = ++self->n_devs;
  return d;
}

static inline void
bit_set (IocSeqDevice *d, gint64 seq)
{
  guint64 b = (guint64) seq & (W - 1);
  d->seen[b / 64] |= G_GUINT64_CONSTANT (1) << (b % 64);
}

static inline void
bit_clear (IocSeqDevice *d, gint64 seq)
{
  guint64 b = (guint64) seq & (W - 1);
  d->seen[b / 64] &= ~(G_GUINT64_CONSTANT (1) << (b % 64));
}

static inline gboolean
bit_test (const IocSeqDevice *d, gint64 seq)
{
  guint64 b = (guint64) seq & (W - 1);
  return (d->seen[b / 64] >> (b % 64)) & 1;
}

static void
add_missing (IocDedup *self, IocSeqDevice *d, gint64 delta)
{
  d->missing = sat_add (d->missing, delta);
  self->missing_total = sat_add (self->missing_total, delta);
  ioc_stat_set (self->st_missing, self->missing_total);
}

static IocSeqVerdict
duplicate (IocDedup *self, IocSeqDevice *d)
{
  d->duplicates++;
  self->duplicates_total++;
  ioc_stat_add (self->st_duplicates, 1);
  return IOC_SEQ_DUPLICATE;
}

static inline gboolean
same_epoch (const gchar *a, const gchar *b)
{
  return a == b || (a != NULL && b != NULL && strcmp (a, b) == 0);
}

/* Starts the device again at seq: the old epoch's gaps stay counted. */
static IocSeqVerdict
reset (IocDedup *self, IocSeqDevice *d, gint64 seq, const gchar *epoch)
{
  if (epoch != NULL)
    {
      d->prev_epoch = d->epoch;
      d->prev_last = d->last_seq;
      d->epoch = g_string_chunk_insert (self->names, epoch);
    }
  memset (d->seen, 0, sizeof d->seen);
  d->last_seq = d->base_seq = seq;
  bit_set (d, seq);
  d->resets++;
  self->resets_total++;
  ioc_stat_add (self->st_resets, 1);
  return IOC_SEQ_NEW;
}

/* A message of the epoch before the last reset, arriving late: a repeat of
 * what was counted, unless it is above everything that epoch sent. */
static IocSeqVerdict
previous_epoch (IocDedup *self, IocSeqDevice *d, gint64 seq)
{
  if (seq <= d->prev_last)
    return duplicate (self, d);
  d->prev_last = seq;
  return IOC_SEQ_NEW;
}

IocSeqVerdict
ioc_dedup_check (IocDedup *self, IocKind kind, const gchar *device, gint64 seq)
{
  return ioc_dedup_check_epoch (self, kind, device, seq, NULL, NULL);
}

IocSeqVerdict
ioc_dedup_check_epoch (IocDedup *self, IocKind kind, const gchar *device, gint64 seq, const gchar *epoch,
                       gint64 *out_highest)
{
  g_return_val_if_fail (self != NULL, IOC_SEQ_DUPLICATE);
  g_return_val_if_fail (device != NULL, IOC_SEQ_DUPLICATE);
  g_return_val_if_fail ((guint) kind < IOC_KIND_COUNT, IOC_SEQ_DUPLICATE);
  g_return_val_if_fail (seq >= 1, IOC_SEQ_DUPLICATE);

  guint32 hash = dev_hash ((guint32) kind, device);
  guint32 slot = 0;
  IocSeqDevice *d = find (self, (guint32) kind, device, hash, &slot);
  if (G_UNLIKELY (d == NULL))
    {
      /* The hub cannot know what the device sent before it started
       * listening: the first seq is a base, not a gap. */
      d = insert (self, (guint32) kind, g_string_chunk_insert (self->names, device), hash, slot);
      d->last_seq = d->base_seq = seq;
      d->epoch = epoch != NULL ? g_string_chunk_insert (self->names, epoch) : NULL;
      bit_set (d, seq);
      return IOC_SEQ_NEW;
    }

  if (G_UNLIKELY (epoch != NULL && !same_epoch (d->epoch, epoch)))
    {
      /* A device that starts sending epochs keeps its numbers. */
      if (d->epoch == NULL)
        d->epoch = g_string_chunk_insert (self->names, epoch);
      else if (d->prev_epoch != NULL && strcmp (d->prev_epoch, epoch) == 0)
        return previous_epoch (self, d, seq);
      else
        return reset (self, d, seq, epoch);
    }

  gboolean gapless = (self->gapless_kinds & (1u << kind)) != 0;
  if (G_LIKELY (seq > d->last_seq))
    {
      gint64 advance = seq - d->last_seq; /* both ≥ 1: no overflow */
      /* A hub that sees part of a device's seq (gapless) sees big steps. */
      if (G_UNLIKELY (advance > IOC_DEDUP_MAX_JUMP) && !gapless)
        {
          if (out_highest != NULL)
            *out_highest = d->last_seq;
          return IOC_SEQ_JUMP;
        }
      if (advance >= W)
        memset (d->seen, 0, sizeof d->seen);
      else
        for (gint64 s = d->last_seq + 1; s < seq; s++)
          bit_clear (d, s);
      bit_set (d, seq);
      d->last_seq = seq;
      if (G_UNLIKELY (advance > 1) && !gapless)
        add_missing (self, d, advance - 1);
      return IOC_SEQ_NEW;
    }
  if (epoch == NULL && d->last_seq - seq > IOC_DEDUP_RESET_BELOW)
    return reset (self, d, seq, NULL);
  if (d->last_seq - seq >= W || bit_test (d, seq))
    return duplicate (self, d);
  bit_set (d, seq);
  /* Below the base it was never counted missing (reordering at start). */
  if (seq > d->base_seq && !gapless)
    {
      add_missing (self, d, -1);
      ioc_stat_add (self->st_late_fills, 1);
    }
  return IOC_SEQ_NEW;
}

void
ioc_dedup_count_remapped (IocDedup *self, IocKind kind, const gchar *device)
{
  g_return_if_fail (self != NULL && device != NULL && (guint) kind < IOC_KIND_COUNT);
  guint32 slot = 0;
  IocSeqDevice *d = find (self, (guint32) kind, device, dev_hash ((guint32) kind, device), &slot);
  /* State messages carry no seq and never come through check. */
  if (d != NULL && d->remapped < G_MAXUINT32)
    d->remapped++;
  self->remapped_total++;
  ioc_stat_add (self->st_remapped, 1);
}

void
ioc_dedup_set_gapless (IocDedup *self, IocKind kind, gboolean gapless)
{
  g_return_if_fail (self != NULL && (guint) kind < IOC_KIND_COUNT);
  if (gapless)
    self->gapless_kinds |= 1u << kind;
  else
    self->gapless_kinds &= ~(1u << kind);
}

static const gchar *
move_name (GStringChunk *to, const gchar *name)
{
  return name != NULL ? g_string_chunk_insert (to, name) : NULL;
}

guint
ioc_dedup_retain (IocDedup *self, IocDedupKeepFunc keep, gpointer user_data)
{
  g_return_val_if_fail (self != NULL && keep != NULL, 0);
  /* Names cannot leave a GStringChunk one by one: the survivors move to a
   * new one, and the old goes whole. */
  GStringChunk *names = g_string_chunk_new (16 * 1024);
  guint32 kept = 0;
  for (guint32 i = 0; i < self->n_devs; i++)
    {
      IocSeqDevice *d = dev_at (self, i);
      if (!keep ((IocKind) d->kind, d->device, user_data))
        continue;
      IocSeqDevice *to = dev_at (self, kept++);
      if (to != d)
        *to = *d; /* to is at or before d: already visited */
      to->device = move_name (names, to->device);
      to->epoch = move_name (names, to->epoch);
      to->prev_epoch = move_name (names, to->prev_epoch);
    }
  guint forgotten = self->n_devs - kept;
  if (forgotten == 0)
    {
      g_string_chunk_free (names);
      return 0;
    }
  g_string_chunk_free (self->names);
  self->names = names;
  self->n_devs = kept;
  guint32 blocks_needed = (kept + BLOCK - 1) / BLOCK;
  for (guint32 b = blocks_needed; b < self->n_blocks; b++)
    g_free (self->blocks[b]);
  self->n_blocks = blocks_needed;
  self->blocks = g_renew (IocSeqDevice *, self->blocks, MAX (blocks_needed, 1u));
  /* The smallest table at most half full, as insert() keeps it. */
  guint32 n_slots = 1024;
  while ((gsize) kept * 2 > n_slots)
    n_slots *= 2;
  alloc_slots (self, n_slots);
  return forgotten;
}

void
ioc_dedup_foreach (IocDedup *self, IocDedupDeviceFunc func, gpointer user_data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);
  for (guint32 i = 0; i < self->n_devs; i++)
    {
      const IocSeqDevice *d = dev_at (self, i);
      func ((IocKind) d->kind, d->device, d->last_seq, d->missing, d->duplicates, user_data);
    }
}

void
ioc_dedup_foreach_info (IocDedup *self, IocDedupInfoFunc func, gpointer user_data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);
  for (guint32 i = 0; i < self->n_devs; i++)
    {
      const IocSeqDevice *d = dev_at (self, i);
      IocSeqDeviceInfo info = {
        .kind = (IocKind) d->kind, .device = d->device, .epoch = d->epoch, .last_seq = d->last_seq,
        .missing = d->missing, .duplicates = d->duplicates, .resets = d->resets, .remapped = d->remapped,
      };
      func (&info, user_data);
    }
}

gint64
ioc_dedup_resets_total (IocDedup *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->resets_total;
}

gint64
ioc_dedup_remapped_total (IocDedup *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->remapped_total;
}

gint64
ioc_dedup_missing_total (IocDedup *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->missing_total;
}

gint64
ioc_dedup_duplicates_total (IocDedup *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->duplicates_total;
}

guint
ioc_dedup_n_devices (IocDedup *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_devs;
}

/* The window of a device that has seen every seq from its base (or from
 * the bottom of the window) up to last: what nearly every device looks
 * like, so the snapshot stores just a flag for it. */
static void
canonical_window (const IocSeqDevice *d, guint64 *w)
{
  memset (w, 0, WORDS * sizeof (guint64));
  gint64 lo = MAX (d->last_seq - W + 1, d->base_seq);
  guint64 count = (guint64) (d->last_seq - lo + 1);
  guint64 p = (guint64) lo & (W - 1);
  while (count > 0)
    {
      guint64 bit = p % 64;
      guint64 n = MIN (64 - bit, count);
      guint64 mask = n == 64 ? G_MAXUINT64 : ((G_GUINT64_CONSTANT (1) << n) - 1) << bit;
      w[p / 64] |= mask;
      count -= n;
      p = (p + n) & (W - 1);
    }
}

/* Section layout: u32 version | u32 window | u32 devices | per device:
 * u8 kind | str device | i64 last, base, missing, duplicates | u8 flags
 * [| str epoch] [| str previous epoch | i64 its highest seq] | u32 resets |
 * u32 remapped [| WORDS × i64 ring words].  flags: 1 the window is not
 * canonical_window() (nearly every device's is: saves 128 bytes), 2 an
 * epoch, 4 a previous epoch.  Version 1 had flags 0/1 and nothing else. */
enum
{
  SAVED_WORDS = 1,
  SAVED_EPOCH = 2,
  SAVED_PREV_EPOCH = 4,
};

void
ioc_dedup_save (IocDedup *self, GByteArray *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  ioc_snap_put_u32 (out, SAVE_VERSION);
  ioc_snap_put_u32 (out, W);
  ioc_snap_put_u32 (out, self->n_devs);
  for (guint32 i = 0; i < self->n_devs; i++)
    {
      const IocSeqDevice *d = dev_at (self, i);
      guint64 canon[WORDS];
      canonical_window (d, canon);
      guint8 flags = (memcmp (canon, d->seen, sizeof canon) != 0 ? SAVED_WORDS : 0) |
                     (d->epoch != NULL ? SAVED_EPOCH : 0) | (d->prev_epoch != NULL ? SAVED_PREV_EPOCH : 0);
      ioc_snap_put_u8 (out, (guint8) d->kind);
      ioc_snap_put_str (out, d->device);
      ioc_snap_put_i64 (out, d->last_seq);
      ioc_snap_put_i64 (out, d->base_seq);
      ioc_snap_put_i64 (out, d->missing);
      ioc_snap_put_i64 (out, d->duplicates);
      ioc_snap_put_u8 (out, flags);
      if (flags & SAVED_EPOCH)
        ioc_snap_put_str (out, d->epoch);
      if (flags & SAVED_PREV_EPOCH)
        {
          ioc_snap_put_str (out, d->prev_epoch);
          ioc_snap_put_i64 (out, d->prev_last);
        }
      ioc_snap_put_u32 (out, d->resets);
      ioc_snap_put_u32 (out, d->remapped);
      if (flags & SAVED_WORDS)
        for (guint w = 0; w < WORDS; w++)
          ioc_snap_put_i64 (out, (gint64) d->seen[w]);
    }
}

static gboolean
load_fail (IocDedup *self, GError **error, const gchar *what)
{
  clear_all (self);
  ioc_stat_set (self->st_missing, 0);
  g_set_error (error, IOC_ERROR, IOC_ERROR_CORRUPT, "dedup section: %s", what);
  return FALSE;
}

/* An epoch read back: 1–32 bytes, no NUL; stable in self->names. */
static const gchar *
load_epoch (IocDedup *self, IocSnapReader *r, gboolean *ok)
{
  guint32 len = 0;
  const guint8 *p = ioc_snap_get_bytes (r, &len);
  if (!ioc_snap_reader_ok (r) || p == NULL || len == 0 || len > 4 * IOC_MAX_EPOCH_LEN ||
      memchr (p, 0, len) != NULL)
    {
      *ok = FALSE;
      return NULL;
    }
  return g_string_chunk_insert_len (self->names, (const gchar *) p, len);
}

/* One device entry of a version-1 or -2 section; NULL with *what set. */
static IocSeqDevice *
load_device (IocDedup *self, IocSnapReader *r, guint32 version, const gchar **what)
{
  guint8 kind = ioc_snap_get_u8 (r);
  guint32 name_len = 0;
  const guint8 *name = ioc_snap_get_bytes (r, &name_len);
  gint64 last = ioc_snap_get_i64 (r);
  gint64 base = ioc_snap_get_i64 (r);
  gint64 missing = ioc_snap_get_i64 (r);
  gint64 dups = ioc_snap_get_i64 (r);
  guint8 flags = ioc_snap_get_u8 (r);
  gboolean ok = ioc_snap_reader_ok (r);
  const gchar *epoch = NULL, *prev_epoch = NULL;
  gint64 prev_last = 0;
  guint32 resets = 0, remapped = 0;

  *what = "truncated device entry";
  if (!ok)
    return NULL;
  if (version >= 2)
    {
      if (flags & SAVED_EPOCH)
        epoch = load_epoch (self, r, &ok);
      if (ok && (flags & SAVED_PREV_EPOCH))
        {
          prev_epoch = load_epoch (self, r, &ok);
          prev_last = ioc_snap_get_i64 (r);
        }
      resets = ioc_snap_get_u32 (r);
      remapped = ioc_snap_get_u32 (r);
      if (!ok || !ioc_snap_reader_ok (r))
        return NULL;
    }
  *what = "invalid device entry";
  guint8 known = version >= 2 ? SAVED_WORDS | SAVED_EPOCH | SAVED_PREV_EPOCH : SAVED_WORDS;
  if (kind >= IOC_KIND_COUNT || name_len == 0 || memchr (name, 0, name_len) != NULL || (flags & ~known) ||
      last < 1 || base < 1 || base > last || missing < 0 || dups < 0 || prev_last < 0 ||
      (prev_epoch != NULL && epoch == NULL))
    return NULL;
  const gchar *stable = g_string_chunk_insert_len (self->names, (const gchar *) name, name_len);
  guint32 hash = dev_hash (kind, stable);
  guint32 slot = 0;
  *what = "a device appears twice";
  if (find (self, kind, stable, hash, &slot) != NULL)
    return NULL;
  IocSeqDevice *d = insert (self, kind, stable, hash, slot);
  d->last_seq = last;
  d->base_seq = base;
  d->missing = missing;
  d->duplicates = dups;
  d->epoch = epoch;
  d->prev_epoch = prev_epoch;
  d->prev_last = prev_last;
  d->resets = resets;
  d->remapped = remapped;
  if (flags & SAVED_WORDS)
    for (guint w = 0; w < WORDS; w++)
      d->seen[w] = (guint64) ioc_snap_get_i64 (r);
  else
    canonical_window (d, d->seen);
  *what = "truncated seq window";
  return ioc_snap_reader_ok (r) ? d : NULL;
}

gboolean
ioc_dedup_load (IocDedup *self, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  clear_all (self);
  IocSnapReader r;
  ioc_snap_reader_init (&r, data, len);
  guint32 version = ioc_snap_get_u32 (&r);
  guint32 window = ioc_snap_get_u32 (&r);
  guint32 n = ioc_snap_get_u32 (&r);
  if (!ioc_snap_reader_ok (&r))
    return load_fail (self, error, "truncated header");
  if (version < 1 || version > SAVE_VERSION)
    return load_fail (self, error, "unsupported version");
  if (window != W)
    return load_fail (self, error, "saved with another seq window size");
  /* Every device takes at least 39 bytes: a wild count is damage. */
  if (n > len / 39)
    return load_fail (self, error, "device count larger than the section");

  guint32 n_slots = 1024;
  while ((gsize) n * 2 > n_slots)
    n_slots *= 2;
  if (n_slots != self->mask + 1)
    alloc_slots (self, n_slots);

  for (guint32 i = 0; i < n; i++)
    {
      const gchar *what = NULL;
      IocSeqDevice *d = load_device (self, &r, version, &what);
      if (d == NULL)
        return load_fail (self, error, what);
      self->missing_total = sat_add (self->missing_total, d->missing);
      self->duplicates_total = sat_add (self->duplicates_total, d->duplicates);
      self->resets_total += d->resets;
      self->remapped_total += d->remapped;
    }
  if (!ioc_snap_reader_at_end (&r))
    return load_fail (self, error, "trailing bytes");
  ioc_stat_set (self->st_missing, self->missing_total);
  return TRUE;
}
