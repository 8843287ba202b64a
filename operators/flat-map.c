/* flat-map.c — zero or more records out per record in. The input batch is
 * referenced by the output, so emitted records may point into it. */
#include "runtime/pipeline-private.h"

static gboolean flat_map_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static rill_flow flat_map_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch,
                                  rill_emitter *out)
{
  rill__closure *c = state;
  rill_flat_map_fn fn = (rill_flat_map_fn)c->fn;
  rill_flow flow = RILL_FLOW_OK;
  rill_emitter_reference(out, batch);
  for (guint32 i = 0, n = batch->n_records; i < n && flow == RILL_FLOW_OK; i++) {
    rill__batch_prefetch_value(batch, i);
    flow = fn(ctx, &batch->records[i], out, c->user_data);
  }
  rill_batch_unref(batch);
  return flow;
}

const rill_operator_class rill__flat_map_class = {
  .type_name = "flat_map",
  .open = flat_map_open,
  .process = flat_map_process,
};
