/* time.h — event time: where a record's timestamp comes from, and the
 * watermarks that tell windows how far event time has progressed.
 *
 * A watermark W promises "no more records with timestamp <= W" (records
 * that break it are *late*). The watermark stage assigns timestamps and
 * generates watermarks with bounded out-of-orderness:
 *   W(partition) = max timestamp seen in the partition - bound - 1
 *   W(task)      = min over the task's active partitions
 * Partitions are the record's log partition (record.partition; -1 counts as
 * one partition). A partition silent for idle_timeout_ms of processing time
 * while others advance stops holding the minimum back; when every partition
 * of a task is idle the task emits RILL_WATERMARK_IDLE, so downstream
 * minimums skip it until it has data again. Downstream, every stage's
 * watermark is the minimum over its inputs (the scheduler does that).
 * Watermarks are emitted after each input batch in which they advanced.
 *
 * Processing time: timestamps are overwritten with the clock (ms) and the
 * watermark is clock - 1 after each batch.
 *
 * Sources that know more (a log source seeing an empty partition) can use
 * rill_watermark_generator directly.
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

/* The event time of @record, or RILL_TIMESTAMP_NONE. */
typedef int64_t (*rill_timestamp_fn)(const rill_record *record, void *user_data);
/* A clock in ms. Tests pass a fake one. */
typedef int64_t (*rill_clock_fn)(void *user_data);

typedef struct rill_watermark_options {
  int64_t max_out_of_orderness_ms; /* >= 0 */
  int64_t idle_timeout_ms;         /* 0 = partitions never go idle */
  rill_timestamp_fn timestamp_fn;  /* NULL: keep record timestamps */
  void *timestamp_data;            /* not owned */
  gboolean processing_time;        /* stamp records with the clock instead */
  rill_clock_fn clock;             /* NULL: wall clock (g_get_real_time() / 1000) */
  void *clock_data;                /* not owned */
} rill_watermark_options;

/* A stage that assigns timestamps and emits watermarks. @options is copied.
 * Usually chained right after a source. */
RILL_API rill_stage *rill_pipeline_add_watermarks(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                  const rill_watermark_options *options);

/* ---- the generator, for sources ----------------------------------------- */

typedef struct rill_watermark_generator rill_watermark_generator;

/* (transfer full); @options is copied. */
RILL_API rill_watermark_generator *rill_watermark_generator_new(const rill_watermark_options *options);
RILL_API void rill_watermark_generator_free(rill_watermark_generator *gen);
/* Notes a record at @timestamp in @partition, seen at clock time @now. */
RILL_API void rill_watermark_generator_observe(rill_watermark_generator *gen, int32_t partition, int64_t timestamp,
                                               int64_t now);
/* The current watermark at clock time @now: INT64_MIN before any record,
 * RILL_WATERMARK_IDLE when every partition is idle. */
RILL_API int64_t rill_watermark_generator_current(rill_watermark_generator *gen, int64_t now);

G_END_DECLS
