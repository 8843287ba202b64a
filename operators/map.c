/* map.c — one record in, one record out. The output record starts as a
 * copy of the input's view and references the input batch's buffers, so a
 * map that changes only some fields copies no payload bytes; new bytes come
 * from rill_ctx_alloc() in the output batch's arena. A batch no other stage
 * holds (the usual case in a chain) is rewritten in place and sent on. */
#include "runtime/pipeline-private.h"

static gboolean map_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

/* A batch nobody else holds is mapped in place: each output record
 * overwrites its input in the batch's own record array, and the batch
 * takes references on the arena chunks that rill_ctx_alloc handed out, so
 * no record is copied into a new batch. If the function fails, the records
 * mapped before it are emitted one by one as the copying path would have. */
static rill_flow map_in_place(rill_ctx *ctx, rill__closure *c, rill_batch *batch, rill_emitter *out)
{
  rill_map_fn fn = (rill_map_fn)c->fn;
  rill_record *r = batch->records;
  size_t bytes = 0;
  rill_flow flow = RILL_FLOW_OK;
  guint32 i = 0;
  for (guint32 n = batch->n_records; i < n; i++) {
    rill__batch_prefetch_value(batch, i);
    rill_record o = r[i];
    flow = fn(ctx, &r[i], &o, c->user_data);
    if (flow != RILL_FLOW_OK)
      break;
    r[i] = o;
    bytes += rill_record_payload_size(&o);
  }
  if (out->builder)
    rill__builder_give_buffers(out->builder, batch);
  if (flow != RILL_FLOW_OK) {
    rill_flow failed = flow;
    flow = RILL_FLOW_OK;
    rill_emitter_reference(out, batch);
    for (guint32 k = 0; k < i && flow == RILL_FLOW_OK; k++)
      flow = rill_emit_record_raw(out, &r[k]);
    rill_batch_unref(batch);
    return flow == RILL_FLOW_OK ? failed : flow;
  }
  batch->payload_bytes = bytes;
  return rill_emit_batch(out, batch);
}

static rill_flow map_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  rill__closure *c = state;
  if (rill_batch_is_writable(batch))
    return map_in_place(ctx, c, batch, out);
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
