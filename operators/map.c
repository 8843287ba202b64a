/* map.c — one record in, one record out. The output record starts as a
 * copy of the input's view and references the input batch's buffers, so a
 * map that changes only some fields copies no payload bytes; new bytes come
 * from rill_ctx_alloc() in the output batch's arena. */
#include "runtime/pipeline-private.h"

static gboolean map_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static rill_flow map_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  rill__closure *c = state;
  rill_map_fn fn = (rill_map_fn)c->fn;
  rill_flow flow = RILL_FLOW_OK;
  rill_emitter_reference(out, batch);
  const rill_record *r = batch->records;
  for (guint32 i = 0, n = batch->n_records; i < n && flow == RILL_FLOW_OK; i++) {
    rill__batch_prefetch_value(batch, i);
    rill_record o = r[i];
    flow = fn(ctx, &r[i], &o, c->user_data);
    if (flow == RILL_FLOW_OK)
      flow = rill_emit_record_raw(out, &o);
  }
  rill_batch_unref(batch);
  return flow;
}

const rill_operator_class rill__map_class = {
  .type_name = "map",
  .open = map_open,
  .process = map_process,
};
