/* batch.h — refcounted byte buffers, batches of records that view them, and
 * the builder that fills batches.
 *
 * Ownership rules (the whole data path rests on them):
 * - A rill_buffer is an immutable-once-shared block of bytes with an atomic
 *   refcount. Records never own bytes; a batch holds a reference on every
 *   buffer its records point into.
 * - A rill_batch is refcounted too. Passing a batch to a stage or a stream is
 *   (transfer full) unless said otherwise. A batch with refcount 1 is
 *   *writable*: its record array may be edited in place (filter does this).
 *   rill_batch_make_writable() returns a private shallow copy when shared;
 *   payload bytes are never copied by it.
 * - Slicing or forwarding records into another batch references the source
 *   buffers (rill_batch_builder_append_ref) instead of copying bytes.
 * - A batch may carry, *after* its records, a watermark and/or a checkpoint
 *   barrier. Marker-only batches have zero records.
 */
#pragma once

#include <rill/export.h>

#include <rill/record.h>

G_BEGIN_DECLS

/* ---- buffers ------------------------------------------------------------ */

typedef struct rill_buffer rill_buffer;

/* A new buffer of @size uninitialised bytes, refcount 1. (transfer full) */
RILL_API rill_buffer *rill_buffer_new(size_t size);

/* A buffer viewing @size bytes at @data that belong to someone else; when the
 * last reference goes, @release(@owner) is called (may be NULL). Used to
 * reference fetched or mapped RecordBatch bytes without copying.
 * (transfer full) */
RILL_API rill_buffer *rill_buffer_new_wrapped(const void *data, size_t size, void *owner, GDestroyNotify release);

/* Adds a reference. (transfer full) — returns @buffer. Thread safe. */
RILL_API rill_buffer *rill_buffer_ref(rill_buffer *buffer);
/* Drops a reference; frees on the last one. Thread safe. NULL is ignored. */
RILL_API void rill_buffer_unref(rill_buffer *buffer);
/* The bytes. (transfer none) Write only while you hold the sole reference. */
RILL_API uint8_t *rill_buffer_data(rill_buffer *buffer);
RILL_API size_t rill_buffer_size(const rill_buffer *buffer);

/* ---- batches ------------------------------------------------------------ */

typedef struct rill_batch rill_batch;

/* Default and maximum records per batch built by the runtime's emitters. */
#define RILL_BATCH_DEFAULT_RECORDS 1024
/* Arena bytes after which a builder reports itself full. */
#define RILL_BATCH_DEFAULT_BYTES (1u << 20)

/* A batch with no records carrying only markers: a watermark (@has_watermark)
 * and/or a barrier (@barrier_id != 0). (transfer full) */
RILL_API rill_batch *rill_batch_new_marker(gboolean has_watermark, int64_t watermark, uint64_t barrier_id);

RILL_API rill_batch *rill_batch_ref(rill_batch *batch); /* (transfer full); thread safe */
RILL_API void rill_batch_unref(rill_batch *batch);      /* thread safe; NULL ignored */

/* Number of records. */
RILL_API size_t rill_batch_len(const rill_batch *batch);
/* The record array (rill_batch_len entries). (transfer none): valid while a
 * reference to @batch is held. */
RILL_API const rill_record *rill_batch_records(const rill_batch *batch);
/* Sum of rill_record_payload_size() over the records, kept up to date. */
RILL_API size_t rill_batch_payload_bytes(const rill_batch *batch);

RILL_API gboolean rill_batch_has_watermark(const rill_batch *batch);
RILL_API int64_t rill_batch_watermark(const rill_batch *batch); /* INT64_MIN when none */
RILL_API uint64_t rill_batch_barrier(const rill_batch *batch);  /* 0 when none */
/* Sets/clears markers. @batch must be writable (refcount 1). */
RILL_API void rill_batch_set_watermark(rill_batch *batch, gboolean has_watermark, int64_t watermark);
RILL_API void rill_batch_set_barrier(rill_batch *batch, uint64_t barrier_id);

/* TRUE when the caller holds the only reference. */
RILL_API gboolean rill_batch_is_writable(const rill_batch *batch);

/* (transfer full) in and out: returns @batch itself when writable, else a
 * new batch with a copy of the record array and references to the same
 * buffers (the reference to @batch is dropped). */
RILL_API rill_batch *rill_batch_make_writable(rill_batch *batch) G_GNUC_WARN_UNUSED_RESULT;

/* A new batch holding records [@start, @start + @count) of @batch, sharing its
 * buffers (no payload copy) and without markers. (transfer full) */
RILL_API rill_batch *rill_batch_slice(const rill_batch *batch, size_t start, size_t count);

/* Keeps the records for which @keep returns TRUE, in order, in place.
 * @batch must be writable. Returns the number kept. */
RILL_API size_t rill_batch_retain(rill_batch *batch, gboolean (*keep)(const rill_record *record, void *user_data),
                                  void *user_data);

/* ---- builder ------------------------------------------------------------ */

/* Fills one batch at a time: records are appended with their bytes either
 * copied into the builder's arena (append) or referenced from another batch
 * (append_ref). Arena chunks never move, so pointers returned by alloc stay
 * valid for the life of the finished batch. Not thread safe. */
typedef struct rill_batch_builder rill_batch_builder;

/* @max_records: capacity before rill_batch_builder_is_full() (0 = default). (transfer full) */
RILL_API rill_batch_builder *rill_batch_builder_new(size_t max_records);
RILL_API void rill_batch_builder_free(rill_batch_builder *builder);

/* Appends a copy of @record: key, value, headers and topic bytes are copied
 * into the arena. Returns the stored record. (transfer none): valid until
 * the next append or finish. */
RILL_API rill_record *rill_batch_builder_append(rill_batch_builder *builder, const rill_record *record);

/* Appends a record with @key/@value (either may be NULL = absent) copied and
 * timestamp @timestamp. */
RILL_API rill_record *rill_batch_builder_append_kv(rill_batch_builder *builder, const void *key, size_t key_len,
                                                   const void *value, size_t value_len, int64_t timestamp);

/* Appends @record without copying bytes: every buffer of @owner (the batch
 * @record belongs to, or whose buffers hold its bytes) becomes referenced by
 * the batch being built. Repeated calls with the same owner are cheap. */
RILL_API rill_record *rill_batch_builder_append_ref(rill_batch_builder *builder, const rill_record *record,
                                                    const rill_batch *owner);

/* References every buffer of @owner from the batch being built (once). */
RILL_API void rill_batch_builder_reference(rill_batch_builder *builder, const rill_batch *owner);
/* References @buffer from the batch being built. (transfer none) */
RILL_API void rill_batch_builder_reference_buffer(rill_batch_builder *builder, rill_buffer *buffer);

/* Appends @record as is: its bytes must already live in this builder's arena
 * (rill_batch_builder_alloc) or in buffers referenced by the batch being built. */
RILL_API rill_record *rill_batch_builder_append_raw(rill_batch_builder *builder, const rill_record *record);

/* @len bytes in the arena of the batch being built. (transfer none): valid
 * as long as the finished batch. */
RILL_API void *rill_batch_builder_alloc(rill_batch_builder *builder, size_t len);

RILL_API size_t rill_batch_builder_len(const rill_batch_builder *builder);
/* TRUE once max_records records or RILL_BATCH_DEFAULT_BYTES arena bytes are in. */
RILL_API gboolean rill_batch_builder_is_full(const rill_batch_builder *builder);
/* TRUE when there is nothing to finish (no records, no markers). */
RILL_API gboolean rill_batch_builder_is_empty(const rill_batch_builder *builder);

RILL_API void rill_batch_builder_set_watermark(rill_batch_builder *builder, int64_t watermark);
RILL_API void rill_batch_builder_set_barrier(rill_batch_builder *builder, uint64_t barrier_id);

/* The finished batch, or NULL when empty; the builder is reset for reuse.
 * (transfer full) */
RILL_API rill_batch *rill_batch_builder_finish(rill_batch_builder *builder);

G_END_DECLS
