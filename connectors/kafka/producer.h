/* producer.h — the Kafka producer behind the sink (internal): per-partition
 * batching, a sender thread, retries, idempotence and bounded memory.
 *
 * Invariants:
 * - At most one Produce batch per partition is in flight. Retries therefore
 *   resend exactly the failed batch, in order, with its original sequence
 *   (idempotence: the broker drops a duplicate with DUPLICATE_SEQUENCE_NUMBER,
 *   which counts as success), so nothing is duplicated or reordered.
 * - Every input batch whose records are not yet acknowledged is kept
 *   referenced (rill_batch_ref); the reference goes when the last of its
 *   records is acknowledged. Upstream sources that commit on release (the
 *   Kafka source) thus commit only delivered records.
 * - Bytes held (open + queued + in-flight batches) stay under
 *   queue.buffering.max.kbytes plus one record: write() waits above it. */
#pragma once

#include <rill/batch.h>
#include <rill/operator.h>

#include "connectors/kafka/kclient.h"

typedef struct rill__kproducer rill__kproducer;

/* Connects, learns the topic's partitions and, with enable.idempotence,
 * gets a producer id. NULL with @error. (transfer full) */
rill__kproducer *rill__kproducer_new(const rill_kafka_conf *conf, const char *topic, guint seed, GError **error);
/* Queues @batch's records (transfer none; referenced until acknowledged),
 * blocking while the buffer is full. RILL_FLOW_ERROR with @error after a
 * delivery failure; RILL_FLOW_FLUSHING when @ctx is cancelled. */
rill_flow rill__kproducer_write(rill__kproducer *p, rill_ctx *ctx, const rill_batch *batch, GError **error);
/* Sends everything now and waits for every acknowledgement. */
rill_flow rill__kproducer_flush(rill__kproducer *p, rill_ctx *ctx, GError **error);
/* A batch the broker refused for good (dead-letter mode). */
typedef struct {
  GBytes *data;     /* the encoded RecordBatch */
  char *reason;     /* "producing to T [p]: ERROR_NAME (code): ..." */
  GPtrArray *holds; /* input batch references, released by rill__kfailed_free */
} rill__kfailed;
void rill__kfailed_free(rill__kfailed *f);

/* Dead-letter mode: a batch the broker refuses with a non-retriable error
 * (or whose retries run out) no longer fails the producer but waits for
 * rill__kproducer_take_failed. With idempotence, the sequences of the
 * partition's later batches are moved back over the gap it leaves.
 * Transport failures and message.timeout.ms still fail the producer. */
void rill__kproducer_keep_failed(rill__kproducer *p, gboolean keep);
/* The refused batches so far, oldest first (rill__kfailed; transfer full),
 * or NULL when none. */
GPtrArray *rill__kproducer_take_failed(rill__kproducer *p);
/* Stops the sender; unacknowledged records are dropped. */
void rill__kproducer_free(rill__kproducer *p);
