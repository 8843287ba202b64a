/* batch.c — refcounted buffers, batches of record views, and the builder.
 *
 * Invariants: a batch holds exactly one reference per entry of buffers[];
 * a builder keeps its current arena chunk referenced itself, so consecutive
 * batches can share one chunk (each holds its own reference) and arena
 * pointers never move. Nothing here locks: refcounts are atomic, everything
 * else belongs to one thread at a time.
 */
#include "runtime/batch-private.h"

#include <stdlib.h>

#define ARENA_CHUNK RILL__ARENA_CHUNK
#define CACHE_SLOTS 16

static guint64 batch_serial; /* atomic; only ever increases (identity, not state) */

/* ---- per-thread recycling ------------------------------------------------
 * Arena chunks and default-size record arrays are the per-batch allocations.
 * Handing them back to malloc each time makes glibc trim and re-fault the
 * heap top on every batch (measured: most of a run's time in the kernel), so
 * each thread keeps a few for reuse. Thread-local, so no locks and no state
 * shared between pipelines; freed when the thread exits. */

typedef struct {
  rill_buffer *chunks[CACHE_SLOTS];
  guint n_chunks;
  rill_record *records[CACHE_SLOTS];
  guint n_records;
} recycle_cache;

static void cache_free(gpointer data)
{
  recycle_cache *c = data;
  for (guint i = 0; i < c->n_chunks; i++)
    g_free(c->chunks[i]);
  for (guint i = 0; i < c->n_records; i++)
    g_free(c->records[i]);
  g_free(c);
}

static GPrivate cache_key = G_PRIVATE_INIT(cache_free);
static __thread recycle_cache *thread_cache;

static inline recycle_cache *cache(void)
{
  if (G_UNLIKELY(!thread_cache)) {
    thread_cache = g_new0(recycle_cache, 1);
    g_private_set(&cache_key, thread_cache); /* frees it at thread exit */
  }
  return thread_cache;
}

static rill_buffer *chunk_new(void)
{
  recycle_cache *c = cache();
  if (c->n_chunks) {
    rill_buffer *b = c->chunks[--c->n_chunks];
    b->ref = 1;
    return b;
  }
  return rill_buffer_new(ARENA_CHUNK);
}

static rill_record *records_new(size_t cap)
{
  recycle_cache *c = cache();
  if (cap == RILL_BATCH_DEFAULT_RECORDS && c->n_records)
    return c->records[--c->n_records];
  return g_new(rill_record, cap);
}

static void records_free(rill_record *records, size_t cap)
{
  recycle_cache *c = cache();
  if (cap == RILL_BATCH_DEFAULT_RECORDS && c->n_records < CACHE_SLOTS)
    c->records[c->n_records++] = records;
  else
    g_free(records);
}

/* ---- buffers ------------------------------------------------------------ */

rill_buffer *rill_buffer_new(size_t size)
{
  rill_buffer *b = g_malloc(sizeof *b + size);
  b->ref = 1;
  b->data = (uint8_t *)(b + 1);
  b->size = size;
  b->owner = NULL;
  b->release = NULL;
  return b;
}

rill_buffer *rill_buffer_new_wrapped(const void *data, size_t size, void *owner, GDestroyNotify release)
{
  g_return_val_if_fail(data != NULL || size == 0, NULL);
  rill_buffer *b = g_new(rill_buffer, 1);
  b->ref = 1;
  b->data = (uint8_t *)data;
  b->size = size;
  b->owner = owner;
  b->release = release;
  return b;
}

rill_buffer *rill_buffer_ref(rill_buffer *buffer)
{
  g_return_val_if_fail(buffer != NULL, NULL);
  g_atomic_int_inc(&buffer->ref);
  return buffer;
}

void rill_buffer_unref(rill_buffer *buffer)
{
  if (!buffer || !g_atomic_int_dec_and_test(&buffer->ref))
    return;
  if (buffer->release) {
    buffer->release(buffer->owner);
  } else if (buffer->size == ARENA_CHUNK) {
    recycle_cache *c = cache();
    if (c->n_chunks < CACHE_SLOTS) {
      c->chunks[c->n_chunks++] = buffer;
      return;
    }
  }
  g_free(buffer);
}

uint8_t *rill_buffer_data(rill_buffer *buffer)
{
  g_return_val_if_fail(buffer != NULL, NULL);
  return buffer->data;
}

size_t rill_buffer_size(const rill_buffer *buffer)
{
  g_return_val_if_fail(buffer != NULL, 0);
  return buffer->size;
}

/* ---- batches ------------------------------------------------------------ */

rill_batch *rill__batch_new(size_t cap_records)
{
  rill_batch *b = g_new0(rill_batch, 1);
  b->ref = 1;
  b->cap_records = (guint32)cap_records;
  b->records = cap_records ? records_new(cap_records) : NULL;
  b->buffers = b->inline_buffers;
  b->cap_buffers = RILL__BATCH_INLINE_BUFFERS;
  b->serial = __atomic_add_fetch(&batch_serial, 1, __ATOMIC_RELAXED);
  b->watermark = INT64_MIN;
  return b;
}

void rill__batch_add_buffer(rill_batch *batch, rill_buffer *buffer)
{
  for (guint i = batch->n_buffers; i > 0; i--)
    if (batch->buffers[i - 1] == buffer)
      return;
  if (batch->n_buffers == batch->cap_buffers) {
    guint cap = batch->cap_buffers * 2;
    rill_buffer **bufs = g_new(rill_buffer *, cap);
    memcpy(bufs, batch->buffers, batch->n_buffers * sizeof *bufs);
    if (batch->buffers != batch->inline_buffers)
      g_free(batch->buffers);
    batch->buffers = bufs;
    batch->cap_buffers = cap;
  }
  batch->buffers[batch->n_buffers++] = rill_buffer_ref(buffer);
}

rill_batch *rill_batch_new_marker(gboolean has_watermark, int64_t watermark, uint64_t barrier_id)
{
  rill_batch *b = rill__batch_new(0);
  b->has_watermark = has_watermark;
  b->watermark = has_watermark ? watermark : INT64_MIN;
  b->barrier = barrier_id;
  return b;
}

rill_batch *rill_batch_ref(rill_batch *batch)
{
  g_return_val_if_fail(batch != NULL, NULL);
  g_atomic_int_inc(&batch->ref);
  return batch;
}

void rill_batch_unref(rill_batch *batch)
{
  if (!batch || !g_atomic_int_dec_and_test(&batch->ref))
    return;
  for (guint i = 0; i < batch->n_buffers; i++)
    rill_buffer_unref(batch->buffers[i]);
  if (batch->buffers != batch->inline_buffers)
    g_free(batch->buffers);
  if (batch->records)
    records_free(batch->records, batch->cap_records);
  g_free(batch);
}

size_t rill_batch_len(const rill_batch *batch)
{
  g_return_val_if_fail(batch != NULL, 0);
  return batch->n_records;
}

const rill_record *rill_batch_records(const rill_batch *batch)
{
  g_return_val_if_fail(batch != NULL, NULL);
  return batch->records;
}

size_t rill_batch_payload_bytes(const rill_batch *batch)
{
  g_return_val_if_fail(batch != NULL, 0);
  return batch->payload_bytes;
}

gboolean rill_batch_has_watermark(const rill_batch *batch)
{
  g_return_val_if_fail(batch != NULL, FALSE);
  return batch->has_watermark;
}

int64_t rill_batch_watermark(const rill_batch *batch)
{
  g_return_val_if_fail(batch != NULL, INT64_MIN);
  return batch->watermark;
}

uint64_t rill_batch_barrier(const rill_batch *batch)
{
  g_return_val_if_fail(batch != NULL, 0);
  return batch->barrier;
}

void rill_batch_set_watermark(rill_batch *batch, gboolean has_watermark, int64_t watermark)
{
  g_return_if_fail(batch != NULL && rill_batch_is_writable(batch));
  batch->has_watermark = has_watermark;
  batch->watermark = has_watermark ? watermark : INT64_MIN;
}

void rill_batch_set_barrier(rill_batch *batch, uint64_t barrier_id)
{
  g_return_if_fail(batch != NULL && rill_batch_is_writable(batch));
  batch->barrier = barrier_id;
}

gboolean rill_batch_is_writable(const rill_batch *batch)
{
  g_return_val_if_fail(batch != NULL, FALSE);
  return g_atomic_int_get(&batch->ref) == 1;
}

static rill_batch *batch_copy_range(const rill_batch *src, size_t start, size_t count, gboolean markers)
{
  rill_batch *b = rill__batch_new(count);
  if (count)
    memcpy(b->records, src->records + start, count * sizeof(rill_record));
  b->n_records = (guint32)count;
  if (start == 0 && count == src->n_records) {
    b->payload_bytes = src->payload_bytes;
  } else {
    for (size_t i = 0; i < count; i++)
      b->payload_bytes += rill_record_payload_size(&b->records[i]);
  }
  for (guint i = 0; i < src->n_buffers; i++)
    rill__batch_add_buffer(b, src->buffers[i]);
  if (markers) {
    b->has_watermark = src->has_watermark;
    b->watermark = src->watermark;
    b->barrier = src->barrier;
  }
  return b;
}

rill_batch *rill_batch_make_writable(rill_batch *batch)
{
  g_return_val_if_fail(batch != NULL, NULL);
  if (rill_batch_is_writable(batch))
    return batch;
  rill_batch *copy = batch_copy_range(batch, 0, batch->n_records, TRUE);
  rill_batch_unref(batch);
  return copy;
}

rill_batch *rill_batch_slice(const rill_batch *batch, size_t start, size_t count)
{
  g_return_val_if_fail(batch != NULL, NULL);
  g_return_val_if_fail(start <= batch->n_records && count <= batch->n_records - start, NULL);
  return batch_copy_range(batch, start, count, FALSE);
}

size_t rill_batch_retain(rill_batch *batch, gboolean (*keep)(const rill_record *record, void *user_data),
                         void *user_data)
{
  g_return_val_if_fail(batch != NULL && keep != NULL, 0);
  g_return_val_if_fail(rill_batch_is_writable(batch), batch->n_records);
  size_t kept = 0, bytes = 0;
  gboolean ask = !__atomic_load_n(&batch->values_asked, __ATOMIC_RELAXED);
  for (size_t i = 0; i < batch->n_records; i++) {
    if (ask)
      rill__batch_prefetch_value_all(batch, i);
    if (!keep(&batch->records[i], user_data))
      continue;
    if (kept != i)
      batch->records[kept] = batch->records[i];
    bytes += rill_record_payload_size(&batch->records[kept]);
    kept++;
  }
  batch->n_records = (guint32)kept;
  batch->payload_bytes = bytes;
  return kept;
}

rill_batch *rill__batch_select(rill_batch *batch, gboolean (*keep)(const rill_record *record, void *user_data),
                               void *user_data)
{
  if (rill_batch_is_writable(batch)) {
    rill_batch_retain(batch, keep, user_data);
    return batch;
  }
  /* Shared (a fan-out's other branches hold it): copy only what is kept. */
  rill_batch *b = rill__batch_new(batch->n_records); /* the default size comes from the recycle cache */
  gboolean ask = !__atomic_load_n(&batch->values_asked, __ATOMIC_RELAXED);
  for (size_t i = 0; i < batch->n_records; i++) {
    if (ask)
      rill__batch_prefetch_value_all(batch, i);
    if (!keep(&batch->records[i], user_data))
      continue;
    b->records[b->n_records++] = batch->records[i];
    b->payload_bytes += rill_record_payload_size(&batch->records[i]);
  }
  for (guint i = 0; i < batch->n_buffers; i++)
    rill__batch_add_buffer(b, batch->buffers[i]);
  b->has_watermark = batch->has_watermark;
  b->watermark = batch->watermark;
  b->barrier = batch->barrier;
  /* The fan-out's other branches, which this thread runs next, find every
   * value asked for already and do not ask again (Q8's second filter spent
   * more on its prefetches than on its predicate). Atomic: a batch shared
   * across tasks is read by other threads too. */
  __atomic_store_n(&batch->values_asked, TRUE, __ATOMIC_RELAXED);
  rill_batch_unref(batch);
  return b;
}

/* ---- builder ------------------------------------------------------------ */

rill_batch_builder *rill_batch_builder_new(size_t max_records)
{
  rill_batch_builder *b = g_new0(rill_batch_builder, 1);
  b->max_records = max_records ? max_records : RILL_BATCH_DEFAULT_RECORDS;
  return b;
}

void rill_batch_builder_free(rill_batch_builder *builder)
{
  if (!builder)
    return;
  rill_batch_unref(builder->batch);
  rill_buffer_unref(builder->arena);
  g_free(builder);
}

static inline rill_batch *cur(rill_batch_builder *b)
{
  if (G_UNLIKELY(!b->batch)) {
    b->batch = rill__batch_new(b->max_records);
    b->last_owner = 0;
    b->topic_src = b->topic_copy = NULL;
    b->arena_bytes = 0;
    if (b->arena && b->arena_used < b->arena->size)
      rill__batch_add_buffer(b->batch, b->arena);
  }
  return b->batch;
}

void *rill_batch_builder_alloc(rill_batch_builder *builder, size_t len)
{
  g_return_val_if_fail(builder != NULL, NULL);
  rill_batch *batch = cur(builder);
  len = (len + 7) & ~(size_t)7;
  if (len > ARENA_CHUNK / 4) {
    /* Big payloads get their own buffer rather than wasting chunk tails. */
    rill_buffer *big = rill_buffer_new(len);
    rill__batch_add_buffer(batch, big);
    rill_buffer_unref(big);
    builder->arena_bytes += len;
    return big->data;
  }
  if (!builder->arena || builder->arena->size - builder->arena_used < len) {
    rill_buffer_unref(builder->arena);
    builder->arena = chunk_new();
    builder->arena_used = 0;
    rill__batch_add_buffer(batch, builder->arena);
  }
  void *p = builder->arena->data + builder->arena_used;
  builder->arena_used += len;
  builder->arena_bytes += len;
  return p;
}

static inline rill_record *push(rill_batch_builder *b, const rill_record *r, size_t payload)
{
  rill_batch *batch = cur(b);
  if (G_UNLIKELY(batch->n_records == batch->cap_records)) {
    batch->cap_records = batch->cap_records ? batch->cap_records * 2 : 16;
    batch->records = g_renew(rill_record, batch->records, batch->cap_records);
  }
  rill_record *dst = &batch->records[batch->n_records++];
  *dst = *r;
  batch->payload_bytes += payload;
  return dst;
}

rill_record *rill_batch_builder_append_raw(rill_batch_builder *builder, const rill_record *record)
{
  g_return_val_if_fail(builder != NULL && record != NULL, NULL);
  size_t payload = record->key.len + record->value.len;
  for (uint32_t i = 0; i < record->n_headers; i++)
    payload += record->headers[i].key.len + record->headers[i].value.len;
  return push(builder, record, payload);
}

static rill_bytes copy_bytes(rill_batch_builder *b, rill_bytes src)
{
  if (!src.data)
    return src;
  uint8_t *p = rill_batch_builder_alloc(b, src.len ? src.len : 1);
  if (src.len)
    memcpy(p, src.data, src.len);
  return rill_bytes_make(p, src.len);
}

rill_record *rill_batch_builder_append(rill_batch_builder *builder, const rill_record *record)
{
  g_return_val_if_fail(builder != NULL && record != NULL, NULL);
  rill_record r = *record;
  r.key = copy_bytes(builder, record->key);
  r.value = copy_bytes(builder, record->value);
  if (record->n_headers) {
    rill_header *h = rill_batch_builder_alloc(builder, record->n_headers * sizeof *h);
    for (uint32_t i = 0; i < record->n_headers; i++) {
      h[i].key = copy_bytes(builder, record->headers[i].key);
      h[i].value = copy_bytes(builder, record->headers[i].value);
    }
    r.headers = h;
  } else {
    r.headers = NULL;
  }
  if (record->topic) {
    cur(builder);
    if (builder->topic_src != record->topic || strcmp(builder->topic_copy, record->topic) != 0) {
      size_t n = strlen(record->topic) + 1;
      char *t = rill_batch_builder_alloc(builder, n);
      memcpy(t, record->topic, n);
      builder->topic_src = record->topic;
      builder->topic_copy = t;
    }
    r.topic = builder->topic_copy;
  }
  return rill_batch_builder_append_raw(builder, &r);
}

rill_record *rill_batch_builder_append_kv(rill_batch_builder *builder, const void *key, size_t key_len,
                                          const void *value, size_t value_len, int64_t timestamp)
{
  g_return_val_if_fail(builder != NULL, NULL);
  rill_record r = RILL_RECORD_INIT;
  r.key = copy_bytes(builder, rill_bytes_make(key, key_len));
  r.value = copy_bytes(builder, rill_bytes_make(value, value_len));
  r.timestamp = timestamp;
  return push(builder, &r, r.key.len + r.value.len);
}

void rill_batch_builder_reference(rill_batch_builder *builder, const rill_batch *owner)
{
  g_return_if_fail(builder != NULL && owner != NULL);
  rill_batch *batch = cur(builder);
  if (builder->last_owner == owner->serial)
    return;
  for (guint i = 0; i < owner->n_buffers; i++)
    rill__batch_add_buffer(batch, owner->buffers[i]);
  builder->last_owner = owner->serial;
}

void rill_batch_builder_reference_buffer(rill_batch_builder *builder, rill_buffer *buffer)
{
  g_return_if_fail(builder != NULL && buffer != NULL);
  rill__batch_add_buffer(cur(builder), buffer);
}

rill_record *rill_batch_builder_append_ref(rill_batch_builder *builder, const rill_record *record,
                                           const rill_batch *owner)
{
  g_return_val_if_fail(builder != NULL && record != NULL && owner != NULL, NULL);
  rill_batch_builder_reference(builder, owner);
  return rill_batch_builder_append_raw(builder, record);
}

void rill__builder_give_buffers(rill_batch_builder *builder, rill_batch *into)
{
  rill_batch *b = builder->batch;
  if (!b)
    return;
  for (guint i = 0; i < b->n_buffers; i++)
    rill__batch_add_buffer(into, b->buffers[i]);
  if (rill_batch_builder_is_empty(builder)) {
    rill_batch_unref(b);
    builder->batch = NULL;
  }
}

size_t rill_batch_builder_len(const rill_batch_builder *builder)
{
  g_return_val_if_fail(builder != NULL, 0);
  return builder->batch ? builder->batch->n_records : 0;
}

gboolean rill_batch_builder_is_full(const rill_batch_builder *builder)
{
  g_return_val_if_fail(builder != NULL, FALSE);
  return builder->batch && (builder->batch->n_records >= builder->max_records ||
                            builder->arena_bytes >= RILL_BATCH_DEFAULT_BYTES);
}

gboolean rill_batch_builder_is_empty(const rill_batch_builder *builder)
{
  g_return_val_if_fail(builder != NULL, TRUE);
  const rill_batch *b = builder->batch;
  return !b || (b->n_records == 0 && !b->has_watermark && b->barrier == 0);
}

void rill_batch_builder_set_watermark(rill_batch_builder *builder, int64_t watermark)
{
  g_return_if_fail(builder != NULL);
  rill_batch *b = cur(builder);
  b->has_watermark = TRUE;
  b->watermark = watermark;
}

void rill_batch_builder_set_barrier(rill_batch_builder *builder, uint64_t barrier_id)
{
  g_return_if_fail(builder != NULL);
  cur(builder)->barrier = barrier_id;
}

rill_batch *rill_batch_builder_finish(rill_batch_builder *builder)
{
  g_return_val_if_fail(builder != NULL, NULL);
  if (rill_batch_builder_is_empty(builder))
    return NULL;
  rill_batch *b = builder->batch;
  builder->batch = NULL;
  return b;
}
