/* stream.c — bounded SPSC ring of batches with spin-then-sleep ends.
 *
 * Invariants: 0 <= tail - head <= capacity; only the producer writes tail and
 * closed, only the consumer writes head; a slot is owned by the producer
 * until tail passes it and by the consumer until head passes it. Indexes are
 * published with seq_cst stores so the waiter protocol (waiter.h) holds.
 */
#include "runtime/stream-private.h"

#include "runtime/batch-private.h"

#include <time.h>

#define SPIN_ROUNDS 64

static inline guint64 now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (guint64)ts.tv_sec * 1000000000u + (guint64)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

rill_stream *rill_stream_new(guint capacity)
{
  g_return_val_if_fail(capacity >= 1, NULL);
  rill_stream *s = g_aligned_alloc0(1, sizeof *s, 64);
  s->capacity = capacity;
  s->slots = g_new0(rill_batch *, capacity);
  rill__waiter_init(&s->own_producer);
  rill__waiter_init(&s->own_consumer);
  s->producer = &s->own_producer;
  s->consumer = &s->own_consumer;
  return s;
}

void rill_stream_free(rill_stream *stream)
{
  if (!stream)
    return;
  for (guint64 i = stream->head; i < stream->tail; i++)
    rill_batch_unref(stream->slots[i % stream->capacity]);
  g_free(stream->slots);
  rill__waiter_clear(&stream->own_producer);
  rill__waiter_clear(&stream->own_consumer);
  g_aligned_free(stream);
}

void rill__stream_set_waiters(rill_stream *stream, rill__waiter *producer, rill__waiter *consumer)
{
  stream->producer = producer ? producer : &stream->own_producer;
  stream->consumer = consumer ? consumer : &stream->own_consumer;
}

static inline gboolean has_room(const rill_stream *s)
{
  return __atomic_load_n(&s->tail, __ATOMIC_RELAXED) - __atomic_load_n(&s->head, __ATOMIC_SEQ_CST) <
         s->capacity;
}

static gboolean push_ready(void *data)
{
  rill_stream *s = data;
  return has_room(s) || __atomic_load_n(&s->cancelled, __ATOMIC_SEQ_CST);
}

rill_flow rill_stream_push(rill_stream *stream, rill_batch *batch)
{
  g_return_val_if_fail(stream != NULL && batch != NULL, RILL_FLOW_ERROR);
  if (G_UNLIKELY(!has_room(stream))) {
    for (int i = 0; i < SPIN_ROUNDS && !push_ready(stream); i++)
      cpu_relax();
    if (!push_ready(stream)) {
      guint64 t0 = now_ns();
      __atomic_store_n(&stream->blocked_waits, stream->blocked_waits + 1, __ATOMIC_RELAXED);
      while (!push_ready(stream))
        rill__waiter_wait(stream->producer, push_ready, stream);
      __atomic_store_n(&stream->blocked_ns, stream->blocked_ns + (now_ns() - t0), __ATOMIC_RELAXED);
    }
  }
  if (__atomic_load_n(&stream->cancelled, __ATOMIC_SEQ_CST) || stream->closed) {
    rill_batch_unref(batch);
    return RILL_FLOW_FLUSHING;
  }
  guint64 t = stream->tail;
  stream->slots[t % stream->capacity] = batch;
  __atomic_store_n(&stream->tail, t + 1, __ATOMIC_SEQ_CST);
  rill__waiter_wake(stream->consumer);
  return RILL_FLOW_OK;
}

gboolean rill__stream_poppable(const rill_stream *s)
{
  return __atomic_load_n(&s->tail, __ATOMIC_SEQ_CST) != s->head ||
         __atomic_load_n(&s->closed, __ATOMIC_SEQ_CST) || __atomic_load_n(&s->cancelled, __ATOMIC_SEQ_CST);
}

rill_flow rill_stream_try_pop(rill_stream *stream, rill_batch **batch)
{
  g_return_val_if_fail(stream != NULL && batch != NULL, RILL_FLOW_ERROR);
  *batch = NULL;
  if (__atomic_load_n(&stream->cancelled, __ATOMIC_SEQ_CST))
    return RILL_FLOW_FLUSHING;
  guint64 h = stream->head;
  if (__atomic_load_n(&stream->tail, __ATOMIC_ACQUIRE) == h) {
    /* closed is set after the last push: re-read tail once it is seen. */
    if (!__atomic_load_n(&stream->closed, __ATOMIC_ACQUIRE))
      return RILL_FLOW_OK;
    if (__atomic_load_n(&stream->tail, __ATOMIC_ACQUIRE) == h)
      return RILL_FLOW_EOS;
  }
  *batch = stream->slots[h % stream->capacity];
  stream->slots[h % stream->capacity] = NULL;
  __atomic_store_n(&stream->head, h + 1, __ATOMIC_SEQ_CST);
  rill__waiter_wake(stream->producer);
  return RILL_FLOW_OK;
}

static gboolean pop_ready(void *data)
{
  return rill__stream_poppable(data);
}

rill_flow rill_stream_pop(rill_stream *stream, rill_batch **batch)
{
  g_return_val_if_fail(stream != NULL && batch != NULL, RILL_FLOW_ERROR);
  for (int i = 0;; i++) {
    rill_flow flow = rill_stream_try_pop(stream, batch);
    if (flow != RILL_FLOW_OK || *batch)
      return flow;
    if (i < SPIN_ROUNDS)
      cpu_relax();
    else
      rill__waiter_wait(stream->consumer, pop_ready, stream);
  }
}

void rill_stream_close(rill_stream *stream)
{
  g_return_if_fail(stream != NULL);
  __atomic_store_n(&stream->closed, 1, __ATOMIC_SEQ_CST);
  rill__waiter_wake(stream->consumer);
}

void rill_stream_cancel(rill_stream *stream)
{
  g_return_if_fail(stream != NULL);
  __atomic_store_n(&stream->cancelled, 1, __ATOMIC_SEQ_CST);
  rill__waiter_wake(stream->consumer);
  rill__waiter_wake(stream->producer);
}

guint rill_stream_capacity(const rill_stream *stream)
{
  g_return_val_if_fail(stream != NULL, 0);
  return stream->capacity;
}

guint rill_stream_len(const rill_stream *stream)
{
  g_return_val_if_fail(stream != NULL, 0);
  return (guint)(__atomic_load_n(&stream->tail, __ATOMIC_RELAXED) -
                 __atomic_load_n(&stream->head, __ATOMIC_RELAXED));
}

guint64 rill_stream_blocked_ns(const rill_stream *stream)
{
  g_return_val_if_fail(stream != NULL, 0);
  return __atomic_load_n(&stream->blocked_ns, __ATOMIC_RELAXED);
}
