/* stream-private.h — the ring behind rill_stream, for the scheduler, which
 * points both ends at its task threads' waiters so a task with several
 * inputs sleeps on one condition. */
#pragma once

#include <rill/stream.h>

#include "runtime/waiter.h"

/* Cache-line separated so producer and consumer indexes don't false-share. */
struct rill_stream {
  guint capacity;
  rill_batch **slots;
  rill__waiter *producer;          /* woken after a pop; default: own_producer */
  rill__waiter *consumer;          /* woken after a push/close; default: own_consumer */
  rill__waiter own_producer, own_consumer;
  gint closed;                     /* atomic */
  gint cancelled;                  /* atomic */
  guint64 head __attribute__((aligned(64))); /* next slot to pop; written by the consumer */
  guint64 tail __attribute__((aligned(64))); /* next slot to push; written by the producer */
  guint64 blocked_ns;              /* written by the producer only */
  guint64 blocked_waits;           /* times the producer went to sleep on a full ring; producer only */
};

/* Points the ends at other waiters (before any push/pop). (transfer none) */
void rill__stream_set_waiters(rill_stream *stream, rill__waiter *producer, rill__waiter *consumer);
/* TRUE when a pop would not block: data, closed, or cancelled. */
gboolean rill__stream_poppable(const rill_stream *stream);
