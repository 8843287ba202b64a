/* keyby.c — the key_by hash exchange (keyed.h).
 *
 * Per task: one batch builder per downstream channel. A batch is split by
 * route(key) into the builders (payload referenced, not copied, unless a
 * rill_key_fn computed a new key, whose bytes are copied once into the
 * output arena) and each non-empty builder goes to its channel before
 * process() returns, so nothing waits inside key_by and markers, which the
 * runtime sends after the callback, stay behind the records they follow.
 * With one channel (P = 1, where key_by chains into its upstream's task)
 * nothing is routed: the keys are written into the batch in place.
 */
#include <rill/keyed.h>

#include <string.h>

#include "operators/keyby-private.h"
#include "runtime/batch-private.h"
#include "runtime/state-table.h"

typedef struct {
  rill_key_fn fn;
  void *user_data;
  GDestroyNotify destroy;
  gboolean route_only;          /* hash fn's bytes, keep the record key */
} keyby_cfg;

typedef struct {
  const keyby_cfg *cfg;         /* not refcounted */
  guint n;                      /* channels */
  rill_batch_builder **out;     /* n builders */
} keyby_state;

guint rill_key_route(rill_bytes key, guint parallelism)
{
  g_return_val_if_fail(parallelism >= 1, 0);
  return rill__hash_route(rill__hash(key.data, key.len), parallelism);
}

static void keyby_cfg_free(gpointer data)
{
  keyby_cfg *cfg = data;
  if (cfg->destroy)
    cfg->destroy(cfg->user_data);
  g_free(cfg);
}

static gboolean keyby_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  keyby_state *st = g_new0(keyby_state, 1);
  st->cfg = user_data;
  *state = st;
  return TRUE;
}

static void keyby_close(rill_ctx *ctx, void *state)
{
  keyby_state *st = state;
  for (guint i = 0; i < st->n; i++)
    rill_batch_builder_free(st->out[i]);
  g_free(st->out);
  g_free(st);
}

static rill_flow send_all(keyby_state *st, rill_emitter *out)
{
  rill_flow flow = RILL_FLOW_OK;
  for (guint c = 0; c < st->n; c++) {
    rill_batch *b = rill_batch_builder_finish(st->out[c]);
    if (!b)
      continue;
    if (flow == RILL_FLOW_OK)
      flow = rill_emit_batch_to(out, c, b);
    else
      rill_batch_unref(b);
  }
  return flow;
}

/* One channel (P = 1, or chained): nothing to route; the keys are written
 * into the batch itself. A key that the function computed in the scratch
 * buffer gets its bytes in a buffer the batch then holds. */
static rill_flow keys_in_place(const keyby_cfg *cfg, rill_batch *batch, rill_emitter *out)
{
  if (cfg->route_only)
    return rill_emit_batch_to(out, 0, batch);
  batch = rill_batch_make_writable(batch);
  uint8_t scratch[RILL_KEY_SCRATCH];
  rill_buffer *copies = NULL;
  size_t used = 0;
  for (guint32 i = 0; i < batch->n_records; i++) {
    rill__batch_prefetch_value(batch, i);
    rill_record *r = &batch->records[i];
    rill_bytes key = cfg->fn(r, scratch, sizeof scratch, cfg->user_data);
    if (key.data >= scratch && key.data < scratch + sizeof scratch) {
      if (!copies || used + key.len > copies->size) {
        if (copies)
          rill_buffer_unref(copies);
        copies = rill_buffer_new(MAX((size_t)(batch->n_records - i) * MIN(key.len + 8, (size_t)64), key.len));
        rill__batch_add_buffer(batch, copies);
        used = 0;
      }
      memcpy(copies->data + used, key.data, key.len);
      key = rill_bytes_make(copies->data + used, key.len);
      used += key.len;
    }
    batch->payload_bytes = batch->payload_bytes - r->key.len + key.len;
    r->key = key;
  }
  if (copies)
    rill_buffer_unref(copies);
  return rill_emit_batch_to(out, 0, batch);
}

static rill_flow keyby_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  keyby_state *st = state;
  const keyby_cfg *cfg = st->cfg;
  guint n = rill_emitter_n_channels(out);
  if (n == 1 && !cfg->fn)
    return rill_emit_batch_to(out, 0, batch);
  if (n == 1)
    return keys_in_place(cfg, batch, out);
  if (G_UNLIKELY(st->n != n)) {
    /* The channel count is fixed once the pipeline runs; set up once. */
    st->out = g_new0(rill_batch_builder *, n);
    for (guint c = 0; c < n; c++)
      st->out[c] = rill_batch_builder_new(0);
    st->n = n;
  }
  const rill_record *r = rill_batch_records(batch);
  size_t len = rill_batch_len(batch);
  uint8_t scratch[RILL_KEY_SCRATCH];
  rill_flow flow = RILL_FLOW_OK;
  for (size_t i = 0; i < len && flow == RILL_FLOW_OK; i++) {
    rill__batch_prefetch_value(batch, i);
    rill_record rec = r[i];
    rill_bytes key = cfg->fn ? cfg->fn(&r[i], scratch, sizeof scratch, cfg->user_data) : rec.key;
    guint c = rill__hash_route(rill__hash(key.data, key.len), n);
    rill_batch_builder *b = st->out[c];
    if (!cfg->route_only)
      rec.key = key;
    if (!cfg->route_only && rec.key.data >= scratch && rec.key.data < scratch + sizeof scratch) {
      /* A computed key: copy it into the output so it outlives @scratch. */
      uint8_t *k = rill_batch_builder_alloc(b, rec.key.len ? rec.key.len : 1);
      memcpy(k, rec.key.data, rec.key.len);
      rec.key = rill_bytes_make(k, rec.key.len);
    }
    rill_batch_builder_append_ref(b, &rec, batch);
    if (rill_batch_builder_is_full(b)) {
      rill_batch *full = rill_batch_builder_finish(b);
      if (full)
        flow = rill_emit_batch_to(out, c, full);
    }
  }
  rill_batch_unref(batch);
  rill_flow tail = send_all(st, out);
  return flow == RILL_FLOW_OK ? tail : flow;
}

static const rill_operator_class keyby_class = {
  .type_name = "key_by",
  .flags = RILL_OPERATOR_EXCHANGE_OUTPUT,
  .open = keyby_open,
  .process = keyby_process,
  .close = keyby_close,
};

static rill_stage *add(rill_pipeline *pipeline, const char *name, rill_stage *input, rill_key_fn fn,
                       void *user_data, GDestroyNotify destroy, gboolean route_only)
{
  keyby_cfg *cfg = g_new0(keyby_cfg, 1);
  cfg->route_only = route_only;
  cfg->fn = fn;
  cfg->user_data = user_data;
  cfg->destroy = destroy;
  return rill_pipeline_add_operator(pipeline, name, &keyby_class, cfg, keyby_cfg_free, &input, 1);
}

rill_stage *rill_pipeline_add_key_by(rill_pipeline *pipeline, const char *name, rill_stage *input, rill_key_fn fn,
                                     void *user_data, GDestroyNotify destroy)
{
  return add(pipeline, name, input, fn, user_data, destroy, FALSE);
}

rill_stage *rill__pipeline_add_route(rill_pipeline *pipeline, const char *name, rill_stage *input, rill_key_fn fn,
                                     void *user_data)
{
  return add(pipeline, name, input, fn, user_data, NULL, TRUE);
}
