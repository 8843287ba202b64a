/* sink.h — the API connectors implement to take a pipeline's output.
 *
 * Per task: open -> [restore] -> { write | idle | flush + snapshot }* -> flush (at
 * end of stream) -> close; flush runs at every checkpoint barrier, idle
 * when the input paused (live output: a sink that buffers writes it out). close is called whenever open succeeded,
 * also after errors; a sink that must not lose data flushes in flush().
 */
#pragma once

#include <rill/export.h>

#include <rill/operator.h>

G_BEGIN_DECLS

typedef struct rill_sink_class {
  const char *type_name; /* e.g. "stdout"; shown in metrics */
  /* Sets *@state. May be NULL. */
  gboolean (*open)(rill_ctx *ctx, void *user_data, void **state, GError **error);
  /* Takes the records of @batch (transfer none: copy what must outlive the
   * call, or rill_batch_ref it). Required. */
  rill_flow (*write)(rill_ctx *ctx, void *state, const rill_batch *batch);
  /* Makes everything written durable/visible. May be NULL. */
  rill_flow (*flush)(rill_ctx *ctx, void *state);
  /* Releases @state. May be NULL. */
  void (*close)(rill_ctx *ctx, void *state);
  /* Checkpoints (checkpoint.h); all may be NULL. snapshot runs right after
   * the flush of a checkpoint barrier and records what is committed;
   * restore (after open, before any write) goes back to such a point, e.g.
   * by discarding output written after it. */
  rill_flow (*snapshot)(rill_ctx *ctx, void *state, uint64_t checkpoint_id, GByteArray *out);
  gboolean (*restore)(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error);
  void (*on_checkpoint_complete)(rill_ctx *ctx, void *state, uint64_t checkpoint_id);
  /* Live output: the input went idle (rill_operator_class.on_idle) after
   * records were written: make them visible to readers now (write out
   * buffers, no fsync). May be NULL: output then waits for flush(). */
  rill_flow (*idle)(rill_ctx *ctx, void *state);
} rill_sink_class;

G_END_DECLS
