/* stream.h — a bounded single-producer/single-consumer queue of batches.
 *
 * The runtime joins tasks on different threads with streams. Batches, never
 * single records, cross threads. A full stream blocks its producer: that is
 * backpressure, and the time spent blocked is recorded. Both ends spin
 * briefly before sleeping, so a busy pipeline rarely touches a mutex.
 *
 * Exactly one thread pushes and exactly one thread pops. close() is called
 * by the producer (end of stream after the queued batches); cancel() by
 * anyone (both ends return RILL_FLOW_FLUSHING from then on).
 */
#pragma once

#include <rill/export.h>

#include <rill/batch.h>
#include <rill/flow.h>

G_BEGIN_DECLS

typedef struct rill_stream rill_stream;

/* Default capacity in batches of the streams the scheduler creates. */
#define RILL_STREAM_DEFAULT_CAPACITY 4

/* A stream holding at most @capacity batches (>= 1). (transfer full) */
RILL_API rill_stream *rill_stream_new(guint capacity);
/* Frees @stream and any batches still queued. Both ends must be done. */
RILL_API void rill_stream_free(rill_stream *stream);

/* Queues @batch (transfer full), blocking while the stream is full.
 * Returns RILL_FLOW_OK, or RILL_FLOW_FLUSHING if the stream was cancelled or
 * closed (then @batch has been released). */
RILL_API rill_flow rill_stream_push(rill_stream *stream, rill_batch *batch);

/* Takes the next batch into *@batch (transfer full), blocking while empty.
 * Returns RILL_FLOW_OK, RILL_FLOW_EOS once closed and drained, or
 * RILL_FLOW_FLUSHING when cancelled. */
RILL_API rill_flow rill_stream_pop(rill_stream *stream, rill_batch **batch);

/* Non-blocking pop: RILL_FLOW_OK with *@batch set, RILL_FLOW_EOS (closed and
 * drained), RILL_FLOW_FLUSHING (cancelled), or RILL_FLOW_OK with *@batch NULL
 * when currently empty. */
RILL_API rill_flow rill_stream_try_pop(rill_stream *stream, rill_batch **batch);

/* Producer side: no more batches. */
RILL_API void rill_stream_close(rill_stream *stream);
/* Either side: wake both ends and make them return RILL_FLOW_FLUSHING. */
RILL_API void rill_stream_cancel(rill_stream *stream);

RILL_API guint rill_stream_capacity(const rill_stream *stream);
/* Batches queued now (a racy snapshot, fine for metrics). */
RILL_API guint rill_stream_len(const rill_stream *stream);
/* Total nanoseconds the producer spent blocked on a full stream. */
RILL_API guint64 rill_stream_blocked_ns(const rill_stream *stream);

G_END_DECLS
