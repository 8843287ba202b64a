/* keyed-process.c — a user function per record with keyed state scoped to
 * the record key (state.h). One rill_state_store per task. */
#include <rill/state.h>

#include "runtime/pipeline-private.h"

typedef struct {
  rill_state_store *store;
  const rill__closure *c; /* not refcounted: the stage's user data */
} kp_state;

static gboolean kp_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  kp_state *st = g_new0(kp_state, 1);
  st->store = rill_state_store_new(ctx);
  st->c = user_data;
  *state = st;
  return TRUE;
}

static void kp_close(rill_ctx *ctx, void *state)
{
  kp_state *st = state;
  rill_state_store_free(st->store);
  g_free(st);
}

static rill_flow kp_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  kp_state *st = state;
  rill_keyed_process_fn fn = (rill_keyed_process_fn)st->c->fn;
  rill_emitter_reference(out, batch);
  const rill_record *r = rill_batch_records(batch);
  rill_flow flow = RILL_FLOW_OK;
  for (size_t i = 0, n = rill_batch_len(batch); i < n && flow == RILL_FLOW_OK; i++) {
    rill_state_store_set_key(st->store, r[i].key);
    flow = fn(ctx, &r[i], st->store, out, st->c->user_data);
  }
  rill_ctx_set_state_bytes(ctx, rill_state_store_bytes(st->store));
  rill_batch_unref(batch);
  return flow;
}

/* Checkpoints: the store's own encoding (rill_state_store_snapshot). */
static rill_flow kp_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  kp_state *st = state;
  rill_state_store_snapshot(st->store, out);
  return RILL_FLOW_OK;
}

static gboolean kp_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  kp_state *st = state;
  if (!rill_state_store_restore(st->store, data, len, error))
    return FALSE;
  rill_ctx_set_state_bytes(ctx, rill_state_store_bytes(st->store));
  return TRUE;
}

static const rill_operator_class kp_class = {
  .type_name = "keyed_process",
  .open = kp_open,
  .process = kp_process,
  .close = kp_close,
  .snapshot = kp_snapshot,
  .restore = kp_restore,
};

rill_stage *rill_pipeline_add_keyed_process(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                            rill_keyed_process_fn fn, void *user_data, GDestroyNotify destroy)
{
  g_return_val_if_fail(fn != NULL, NULL);
  rill__closure *c = rill__closure_new((void (*)(void))fn, NULL, user_data, destroy);
  return rill_pipeline_add_operator(pipeline, name, &kp_class, c, rill__closure_free, &input, 1);
}
