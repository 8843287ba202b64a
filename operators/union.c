/* union.c — fan-in: every batch of every input, passed on whole. The
 * scheduler already merges markers (minimum watermark over inputs). */
#include "runtime/pipeline-private.h"

static rill_flow union_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  return rill_emit_batch(out, batch);
}

const rill_operator_class rill__union_class = {
  .type_name = "union",
  .process = union_process,
};
