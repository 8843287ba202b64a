/* filter.c — keeps the records the user function accepts. Works in place
 * on the batch through rill_batch_retain (when the batch is shared, a
 * fan-out's, only the kept records are copied), so filtering never touches
 * payload bytes.
 *
 * Invariant: once the function fails, it is not called again for the rest
 * of the batch, and nothing of that batch goes downstream. */
#include "runtime/pipeline-private.h"

static gboolean filter_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

/* One batch's call of the user function, as a rill_batch_retain predicate. */
typedef struct {
  rill_ctx *ctx;
  rill_filter_fn fn;
  void *user_data;
  rill_verdict failed; /* REJECT or FAIL once the function failed, else KEEP */
} filter_call;

static gboolean keep(const rill_record *record, void *data)
{
  filter_call *f = data;
  if (G_UNLIKELY(f->failed != RILL_VERDICT_KEEP))
    return FALSE;
  rill_verdict v = f->fn(f->ctx, record, f->user_data);
  if (G_LIKELY(v == RILL_VERDICT_KEEP))
    return TRUE;
  if (v != RILL_VERDICT_DROP)
    f->failed = v;
  return FALSE;
}

static rill_flow filter_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  rill__closure *c = state;
  filter_call f = {ctx, (rill_filter_fn)c->fn, c->user_data, RILL_VERDICT_KEEP};
  batch = rill__batch_select(batch, keep, &f);
  size_t kept = rill_batch_len(batch);
  if (f.failed != RILL_VERDICT_KEEP || kept == 0) {
    rill_batch_unref(batch);
    if (f.failed == RILL_VERDICT_REJECT)
      rill_ctx_fail(ctx, "filter rejected a record (a filter has no dead-letter output)");
    return f.failed == RILL_VERDICT_KEEP ? RILL_FLOW_OK : RILL_FLOW_ERROR;
  }
  return rill_emit_batch(out, batch);
}

const rill_operator_class rill__filter_class = {
  .type_name = "filter",
  .open = filter_open,
  .process = filter_process,
};
