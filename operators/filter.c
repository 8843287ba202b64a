/* filter.c — keeps the records the user function accepts. Works in place
 * on the batch (copying only the record array when the batch is shared),
 * so filtering never touches payload bytes. */
#include "runtime/pipeline-private.h"

static gboolean filter_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static rill_flow filter_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  rill__closure *c = state;
  rill_filter_fn fn = (rill_filter_fn)c->fn;
  batch = rill_batch_make_writable(batch);
  rill_record *r = batch->records;
  guint32 kept = 0, n = batch->n_records;
  size_t bytes = 0;
  for (guint32 i = 0; i < n; i++) {
    int keep = fn(ctx, &r[i], c->user_data);
    if (keep < 0) {
      rill_batch_unref(batch);
      return RILL_FLOW_ERROR;
    }
    if (!keep)
      continue;
    if (kept != i)
      r[kept] = r[i];
    bytes += rill_record_payload_size(&r[kept]);
    kept++;
  }
  batch->n_records = kept;
  batch->payload_bytes = bytes;
  if (kept == 0) {
    rill_batch_unref(batch);
    return RILL_FLOW_OK;
  }
  return rill_emit_batch(out, batch);
}

const rill_operator_class rill__filter_class = {
  .type_name = "filter",
  .open = filter_open,
  .process = filter_process,
};
