/* kafka.h — pipeline stages that read and write topics of any Kafka-compatible
 * broker (Apache Kafka, rill-broker, ...) over the network, through rill's
 * own Kafka client (connectors/kafka/, on rill's wire codec; no librdkafka).
 *
 * Configuration uses librdkafka's property names and value syntax
 * (bootstrap.servers, acks, linger.ms, compression.codec, group.id, ...);
 * the full table with types, ranges and defaults is docs/connectors/kafka.md.
 * Unknown names and out-of-range values are refused with an error.
 *
 * Delivery guarantees, in short (details in docs/connectors/kafka.md):
 * - sink: a record is acknowledged by the broker (per acks) before the sink
 *   lets go of the input batch it came in; flush() (end of stream, every
 *   checkpoint barrier, close) waits for every acknowledgement. Failures
 *   after retries fail the pipeline, or go to a dead-letter output when
 *   one is set. With enable.idempotence=true retries never duplicate.
 * - source: offsets are committed (group mode, enable.auto.commit) only for
 *   records whose batches every downstream stage has released, i.e.
 *   processed: every auto.commit.interval.ms, before partitions move in a
 *   rebalance, and at close after a clean drain. At-least-once.
 */
#pragma once

#include <rill/export.h>

#include <rill/kafka-error.h>
#include <rill/pipeline.h>

G_BEGIN_DECLS

#define RILL_KAFKA_CLIENT_ERROR (rill_kafka_client_error_quark())
RILL_API GQuark rill_kafka_client_error_quark(void);

typedef enum {
  RILL_KAFKA_CLIENT_ERROR_CONFIG,    /* unknown property, bad value, conflicting settings */
  RILL_KAFKA_CLIENT_ERROR_TRANSPORT, /* no broker reachable, connection lost for good */
  RILL_KAFKA_CLIENT_ERROR_BROKER,    /* the broker answered with a non-retriable error code */
  RILL_KAFKA_CLIENT_ERROR_TIMEOUT,   /* retries or message.timeout.ms exhausted */
  RILL_KAFKA_CLIENT_ERROR_PROTOCOL,  /* a response the codec could not decode */
} rill_kafka_client_error;

/* ---- configuration ------------------------------------------------------ */

typedef struct rill_kafka_conf rill_kafka_conf;

/* A configuration with every property at its default. (transfer full) */
RILL_API rill_kafka_conf *rill_kafka_conf_new(void);
RILL_API rill_kafka_conf *rill_kafka_conf_copy(const rill_kafka_conf *conf); /* (transfer full) */
RILL_API void rill_kafka_conf_free(rill_kafka_conf *conf);                   /* NULL ignored */

/* Sets property @name to @value (librdkafka syntax: "all", "true", "lz4",
 * "127.0.0.1:9092,host:9093"). FALSE with RILL_KAFKA_CLIENT_ERROR_CONFIG for an
 * unknown name or an invalid value; the configuration is then unchanged. */
RILL_API gboolean rill_kafka_conf_set(rill_kafka_conf *conf, const char *name, const char *value, GError **error);
/* The current value of @name as text, or NULL for an unknown name. (transfer full) */
RILL_API char *rill_kafka_conf_get(const rill_kafka_conf *conf, const char *name);

/* ---- sink --------------------------------------------------------------- */

typedef struct rill_dead_letter rill_dead_letter;

typedef struct {
  const char *topic;           /* (transfer none; copied) */
  const rill_kafka_conf *conf; /* (transfer none; copied) needs bootstrap.servers */
  /* NULL: a delivery failure fails the pipeline. Else the records of every
   * batch the broker refuses for good (non-retriable error, or retries
   * exhausted: MESSAGE_TOO_LARGE, INVALID_RECORD, authorization...) go to
   * this dead-letter output with the error as reason, and the pipeline goes
   * on (rill/dead-letter.h). Transport failures and message.timeout.ms
   * still fail it. (transfer none; referenced) */
  rill_dead_letter *dead_letter;
} rill_kafka_sink_options;

/* Adds a sink producing every input record to @options->topic. Keyed records
 * go where the configured partitioner puts them (murmur2_random, the
 * default, matches the Java client); null keys stick to one partition until
 * its batch is sent. NULL with @error for an invalid configuration.
 * (transfer none) the stage. */
RILL_API rill_stage *rill_pipeline_add_kafka_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                  const rill_kafka_sink_options *options, GError **error);

/* ---- source ------------------------------------------------------------- */

typedef enum {
  RILL_KAFKA_FROM_COMMITTED = 0, /* group mode: committed offset, else auto.offset.reset */
  RILL_KAFKA_FROM_EARLIEST,      /* the log start offset */
  RILL_KAFKA_FROM_LATEST,        /* the high watermark at assignment */
  RILL_KAFKA_FROM_OFFSET,        /* from_value (out of range: auto.offset.reset) */
  RILL_KAFKA_FROM_TIMESTAMP,     /* first offset with timestamp >= from_value (ms) */
} rill_kafka_from;

typedef struct {
  /* The topic to read; in group mode a topic starting with '^' is a regular
   * expression matched against the cluster's topics. (transfer none; copied) */
  const char *topic;
  const rill_kafka_conf *conf; /* (transfer none; copied) needs bootstrap.servers */
  /* Manual assignment (used when group.id is unset): these partitions, or
   * all of the topic's when NULL; task i of P reads those with index % P == i.
   * With group.id set, every task is one member of the group and the group
   * assigns partitions (see docs/connectors/kafka.md, "Consumer groups").
   * (transfer none; copied) */
  const int32_t *partitions;
  guint n_partitions;
  rill_kafka_from from; /* where to start without a committed offset */
  int64_t from_value;
  /* FALSE: follow the topic forever (until the pipeline drains). TRUE
   * (manual assignment only): end with EOS at the high watermarks the
   * partitions had when reading started. */
  gboolean stop_at_end;
  /* Group mode only: subscribe to these topics / '^' patterns
   * (NULL-terminated) instead of @topic. (transfer none; copied) */
  const char *const *topics;
} rill_kafka_source_options;

/* Adds a source emitting records of @options->topic with topic, partition,
 * offset, timestamp, key, value and headers. (transfer none) the stage. */
RILL_API rill_stage *rill_pipeline_add_kafka_source(rill_pipeline *pipeline, const char *name,
                                                    const rill_kafka_source_options *options, GError **error);

G_END_DECLS
