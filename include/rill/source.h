/* source.h — the API connectors implement to feed a pipeline.
 *
 * A source has splits (files, partitions, ranges...). At start the runtime
 * asks for the split count and deals split i to task i % P; a task with no
 * split never opens (nor do the stages chained behind it in that task). Each task then calls read() in a loop on its own
 * thread; read() emits any number of records (ideally up to a batch) and
 * returns RILL_FLOW_OK to be called again or RILL_FLOW_EOS when its splits are
 * exhausted (finite source). An unbounded source never returns EOS by
 * itself: when the pipeline drains (signal, rill_pipeline_stop) the runtime
 * stops calling read() and ends the stream; a read() that waits for data
 * should wait in short slices and check rill_ctx_is_stopping().
 * Emitted records are flushed downstream when a batch fills and after
 * RILL_SOURCE_LINGER_MS of a partly filled batch.
 *
 * Live output: a read() that waits for data waits at most
 * RILL_SOURCE_WAIT_MS, then returns OK having emitted nothing. The runtime
 * takes such an empty read() as "the input is idle" and lets the stages
 * chained behind push out what they buffered (on_idle, sink idle), so a
 * record reaches a sink's reader within about that time.
 *
 * Failing after the good part: read() returning RILL_FLOW_ERROR stops the
 * pipeline at once (records still in flight may be dropped). A source that
 * hits damaged input after valid records calls rill_ctx_set_error() and
 * returns RILL_FLOW_EOS instead: its records so far flow downstream and are
 * flushed by the sinks like at any end of stream, the other sources are
 * asked to drain, and the pipeline then fails with that error.
 */
#pragma once

#include <rill/export.h>

#include <rill/operator.h>

G_BEGIN_DECLS

#define RILL_SOURCE_LINGER_MS 10
#define RILL_SOURCE_WAIT_MS 50

typedef struct rill_source_class {
  const char *type_name; /* e.g. "file-lines"; shown in metrics */
  /* Number of splits for @parallelism tasks. NULL: one per task. */
  guint (*n_splits)(void *user_data, guint parallelism);
  /* Per task with at least one split: @splits (transfer none, n_splits
   * entries) are this task's split indexes. Sets *@state. May be NULL. */
  gboolean (*open)(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                   GError **error);
  /* Emits records into @out. Returns OK, EOS or ERROR (rill_ctx_set_error). Required. */
  rill_flow (*read)(rill_ctx *ctx, void *state, rill_emitter *out);
  /* Releases @state. May be NULL. */
  void (*close)(rill_ctx *ctx, void *state);
  /* Checkpoints (checkpoint.h); all may be NULL (the source then restarts
   * from its beginning). snapshot is called between read() calls and
   * appends the position of everything emitted so far to @out (the barrier
   * follows those records); restore, after open and before the first read,
   * repositions to such a snapshot (transfer none @data). */
  rill_flow (*snapshot)(rill_ctx *ctx, void *state, uint64_t checkpoint_id, GByteArray *out);
  gboolean (*restore)(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error);
  void (*on_checkpoint_complete)(rill_ctx *ctx, void *state, uint64_t checkpoint_id);
} rill_source_class;

/* Progress of a finite source, summed into rill_stage_metrics for progress
 * lines: adds @bytes_done to the input bytes this task has consumed and
 * @bytes_total to the bytes it expects to consume overall (report a split's
 * size once, when it becomes known). Call from the source's own callbacks;
 * costs two relaxed atomic stores. */
RILL_API void rill_source_add_progress(rill_ctx *ctx, guint64 bytes_done, guint64 bytes_total);

/* How far this task of an unbounded source is behind its input: @records
 * not yet read (a Kafka source: high watermark minus position, summed over
 * its partitions). A gauge: the latest value counts; metrics sum it over
 * the tasks (rill_stage_metrics.source_lag). Costs two relaxed stores. */
RILL_API void rill_ctx_set_source_lag(rill_ctx *ctx, int64_t records);

G_END_DECLS
