/* batch-private.h — the layout of buffers and batches, shared by batch.c and
 * the scheduler (which reads fields directly on the hot path).
 *
 * Invariants: every record's bytes lie in one of batch->buffers (or in
 * memory the user promised outlives the batch); payload_bytes is the sum of
 * rill_record_payload_size over records; serial is unique per batch for the
 * life of the process, so builders can recognise an owner they already
 * referenced without keeping a pointer that might be reused.
 */
#pragma once

#include <rill/batch.h>

struct rill_buffer {
  gint ref;              /* atomic */
  uint8_t *data;         /* the bytes: inline after the struct, or wrapped */
  size_t size;
  void *owner;           /* wrapped buffers: released with release(owner) */
  GDestroyNotify release;
};

#define RILL__BATCH_INLINE_BUFFERS 4

struct rill_batch {
  gint ref;               /* atomic */
  guint32 n_records;
  guint32 cap_records;
  rill_record *records;   /* owned array */
  size_t payload_bytes;
  guint n_buffers;
  guint cap_buffers;
  rill_buffer **buffers;  /* one reference each; == inline_buffers until it grows */
  rill_buffer *inline_buffers[RILL__BATCH_INLINE_BUFFERS];
  guint64 serial;
  gboolean has_watermark;
  int64_t watermark;
  uint64_t barrier;       /* 0 = none */
  gboolean values_asked;  /* a filter has prefetched every value (atomic; see rill__batch_select) */
};

/* A new empty batch with room for @cap_records records. (transfer full) */
rill_batch *rill__batch_new(size_t cap_records);
/* rill_batch_retain on @batch (transfer full) when it is writable; when it
 * is shared, a new batch (markers kept) of only the records @keep accepts,
 * so a filter on one branch of a fan-out copies what it keeps, not the
 * whole record array. Returns the result (transfer full). */
rill_batch *rill__batch_select(rill_batch *batch, gboolean (*keep)(const rill_record *record, void *user_data),
                               void *user_data);
/* Adds a reference to @buffer to @batch unless it already holds one. */
void rill__batch_add_buffer(rill_batch *batch, rill_buffer *buffer);

/* Per-record callbacks (filter predicates, maps, key functions) almost
 * always read the record's value, and in the first stage after a source
 * that is the first touch of bytes in no cache. Called one record at a
 * time through a function pointer, a loop's body is too long for the CPU
 * to run far enough ahead to overlap those misses by itself (a filter
 * stalled on each record's first byte: Q2 ran at half the hand-written
 * loop's speed); loops over a batch call these for record @i to ask for
 * the value of the record RILL__PREFETCH_AHEAD places on. A prefetch never
 * faults, so an absent value (NULL) is harmless. (The index is clamped
 * rather than tested: GCC 12 drops a prefetch under that test at -O2.) */
#define RILL__PREFETCH_AHEAD 32

/* The value's first line: for map, flat_map, key_by and window adds. */
static inline void rill__batch_prefetch_value(const rill_batch *batch, size_t i)
{
  size_t j = MIN(i + RILL__PREFETCH_AHEAD, (size_t)batch->n_records - 1);
  __builtin_prefetch(batch->records[j].value.data);
}

/* The value's first 256 bytes (four lines), for filters, which usually
 * come first in a chain: the stages after them (a sink reading every
 * field) then find small values in cache, as one hand-written loop
 * reading each event once would. Asking again for lines already asked for
 * in the later stages cost more than it saved (Q7: filter, flat_map,
 * window), so they ask for the first line only. */
static inline void rill__batch_prefetch_value_all(const rill_batch *batch, size_t i)
{
  size_t j = MIN(i + RILL__PREFETCH_AHEAD, (size_t)batch->n_records - 1);
  const uint8_t *v = batch->records[j].value.data;
  size_t len = MIN(batch->records[j].value.len, (size_t)256);
  for (size_t off = 0; off < len; off += 64)
    __builtin_prefetch(v + off);
}

/* The builder's layout, here so that the emitters' per-record path
 * (rill__builder_append_raw, rill__builder_is_full) is inlined. */
struct rill_batch_builder {
  rill_batch *batch;       /* being built; NULL until the first use after finish */
  size_t max_records;
  rill_buffer *arena;      /* current chunk; the builder holds its own reference */
  size_t arena_used;
  size_t arena_bytes;      /* arena bytes handed out to the batch being built */
  guint64 last_owner;      /* serial of the last owner referenced into batch */
  const char *topic_src;   /* last topic copied into this batch, and its copy */
  const char *topic_copy;
};

/* rill_batch_builder_append_raw, inlined when the batch being built has
 * room (the common case); the first record and growth take the call. */
static inline rill_record *rill__builder_append_raw(rill_batch_builder *builder, const rill_record *record)
{
  rill_batch *batch = builder->batch;
  if (G_UNLIKELY(!batch || batch->n_records == batch->cap_records))
    return rill_batch_builder_append_raw(builder, record);
  size_t payload = record->key.len + record->value.len;
  for (uint32_t i = 0; i < record->n_headers; i++)
    payload += record->headers[i].key.len + record->headers[i].value.len;
  rill_record *dst = &batch->records[batch->n_records++];
  *dst = *record;
  batch->payload_bytes += payload;
  return dst;
}

/* Size of a builder's arena chunks; allocations over a quarter of it get
 * a buffer of their own. */
#define RILL__ARENA_CHUNK (64 * 1024)

/* rill_batch_builder_alloc, inlined when the current chunk has room (a
 * chunk with room is always referenced by the batch being built). */
static inline void *rill__builder_alloc(rill_batch_builder *builder, size_t len)
{
  size_t padded = (len + 7) & ~(size_t)7;
  if (G_UNLIKELY(!builder->batch || !builder->arena || padded > RILL__ARENA_CHUNK / 4 ||
                 padded > builder->arena->size - builder->arena_used))
    return rill_batch_builder_alloc(builder, len);
  void *p = builder->arena->data + builder->arena_used;
  builder->arena_used += padded;
  builder->arena_bytes += padded;
  return p;
}

/* Makes @into reference every buffer of the batch @builder is building
 * (its arena chunks: bytes handed out by rill_batch_builder_alloc for
 * records that went into @into instead). When that batch holds no record
 * and no marker it is dropped, so the builder starts afresh and does not
 * keep every chunk it ever used alive. */
void rill__builder_give_buffers(rill_batch_builder *builder, rill_batch *into);

/* rill_batch_builder_is_full, inlined. */
static inline gboolean rill__builder_is_full(const rill_batch_builder *builder)
{
  return builder->batch && (builder->batch->n_records >= builder->max_records ||
                            builder->arena_bytes >= RILL_BATCH_DEFAULT_BYTES);
}
