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
 * loop's speed); loops over a batch call this for record @i to ask for the
 * value of the record RILL__PREFETCH_AHEAD places on. A prefetch never
 * faults, so an absent value (NULL) is harmless. (The index is clamped
 * rather than tested: GCC 12 drops a prefetch under that test at -O2.) */
#define RILL__PREFETCH_AHEAD 32

static inline void rill__batch_prefetch_value(const rill_batch *batch, size_t i)
{
  size_t j = MIN(i + RILL__PREFETCH_AHEAD, (size_t)batch->n_records - 1);
  __builtin_prefetch(batch->records[j].value.data);
}
