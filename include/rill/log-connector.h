/* log-connector.h — pipeline stages over an in-process rill_log: a source
 * reading a topic's partitions and a sink appending to a topic. A pipeline
 * writing a topic and another reading it, in one process, exchange records
 * through the log without sockets. The log must outlive the pipelines. */
#pragma once

#include <rill/export.h>

#include <rill/log.h>
#include <rill/pipeline.h>

G_BEGIN_DECLS

typedef enum {
  RILL_LOG_FROM_EARLIEST = 0, /* the log start offset */
  RILL_LOG_FROM_LATEST,       /* the high watermark at open: only new records */
  RILL_LOG_FROM_OFFSET,       /* from_value (clamped to the partition's range) */
  RILL_LOG_FROM_TIMESTAMP,    /* the first batch with maxTimestamp >= from_value */
} rill_log_from;

typedef struct {
  rill_log *log;             /* (transfer none) not refcounted: must outlive the run */
  const char *topic;         /* (transfer none; copied) */
  const int32_t *partitions; /* (transfer none; copied) NULL = all of the topic's */
  guint n_partitions;
  rill_log_from from;
  int64_t from_value;
  /* FALSE: end (EOS) at the high watermark each partition had at open;
   * TRUE: keep following new appends (woken by log waiters, no polling). */
  gboolean follow;
} rill_log_source_options;

/* Adds a source emitting the records of @options->topic with their topic,
 * partition, offset and timestamp; the partitions are divided among the
 * source's tasks. NULL with @error (RILL_LOG_ERROR) for an unknown topic or
 * partition. (transfer none) the stage. */
RILL_API rill_stage *rill_pipeline_add_log_source(rill_pipeline *pipeline, const char *name,
                                                  const rill_log_source_options *options, GError **error);

typedef struct {
  rill_log *log;     /* (transfer none) not refcounted: must outlive the run */
  const char *topic; /* (transfer none; copied) */
  /* Kafka codec for the batches: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  int codec;
} rill_log_sink_options;

/* Adds a sink appending every record to @options->topic: keyed records go to
 * murmur2(key) % partitions (Kafka's Java default partitioner, so the same
 * keys land where a Kafka producer would put them); null keys stick to one
 * partition per written batch, round-robin between batches. Records of one
 * input batch and partition become one RecordBatch. (transfer none) */
RILL_API rill_stage *rill_pipeline_add_log_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                const rill_log_sink_options *options, GError **error);

/* Kafka's murmur2 partitioning hash (org.apache.kafka.common.utils.Utils.murmur2). */
RILL_API int32_t rill_log_murmur2(const void *key, size_t len);

G_END_DECLS
