/* aggregate-running.c — global (non-windowed) running aggregates
 * (aggregate.h): one accumulator per key for the whole stream, and one
 * updated result per key per input batch that touched it.
 *
 * Entry layout in the table: run_hdr, then the accumulator. `epoch` marks
 * the batch that last touched a key so each key is emitted once per batch.
 */
#include <string.h>

#include "operators/aggregate-private.h"
#include "runtime/state-table.h"

typedef struct {
  int64_t max_ts;
  guint64 updates;
  guint64 epoch;
} run_hdr;

#define RUN_ACC(h) ((void *)((uint8_t *)(h) + sizeof(run_hdr)))

typedef struct {
  const rill_aggregate *agg; /* not refcounted: the stage's user data */
  rill__table *t;
  guint64 epoch;
  GByteArray *touched;       /* [u32 len][key]... of this batch */
  GString *res;
} run_state;

static gboolean run_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  run_state *st = g_new0(run_state, 1);
  st->agg = user_data;
  st->t = rill__table_new(sizeof(run_hdr) + st->agg->f.acc_size);
  st->touched = g_byte_array_new();
  st->res = g_string_sized_new(64);
  *state = st;
  return TRUE;
}

static void run_close(rill_ctx *ctx, void *state)
{
  run_state *st = state;
  void *h;
  for (size_t it = 0; rill__table_next(st->t, &it, NULL, &h);)
    rill__agg_destroy(st->agg, RUN_ACC(h));
  rill__table_free(st->t);
  g_byte_array_unref(st->touched);
  g_string_free(st->res, TRUE);
  g_free(st);
}

static rill_flow emit_update(run_state *st, rill_emitter *out, rill_bytes key, run_hdr *h)
{
  gboolean has = rill__agg_result(st->agg, RUN_ACC(h), st->res);
  h->updates++;
  size_t size = sizeof(rill_header) + 24 + key.len + st->res->len + 1;
  uint8_t *mem = rill_emitter_alloc(out, size);
  rill_header *hd = (rill_header *)mem;
  char *p = (char *)(mem + sizeof *hd);
  hd->key = rill_bytes_make(RILL_AGGREGATE_HEADER_UPDATE, sizeof RILL_AGGREGATE_HEADER_UPDATE - 1);
  hd->value = rill_bytes_make(p, rill__fmt_i64(p, (int64_t)h->updates));
  p += hd->value.len;
  rill_record r = RILL_RECORD_INIT;
  if (key.len) {
    memcpy(p, key.data, key.len);
    r.key = rill_bytes_make(p, key.len);
    p += key.len;
  }
  if (has) {
    memcpy(p, st->res->str, st->res->len);
    r.value = rill_bytes_make(p, st->res->len);
  }
  r.timestamp = h->max_ts;
  r.headers = hd;
  r.n_headers = 1;
  return rill_emit_record_raw(out, &r);
}

static rill_flow run_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  run_state *st = state;
  const rill_record *r = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  st->epoch++;
  for (size_t i = 0; i < n; i++) {
    const rill_bytes *k = &r[i].key;
    gboolean created;
    run_hdr *h = rill__table_upsert(st->t, k->data, k->len, rill__hash(k->data, k->len), &created);
    if (created) {
      h->max_ts = RILL_TIMESTAMP_NONE;
      rill__agg_init(st->agg, RUN_ACC(h));
    }
    rill__agg_add(st->agg, RUN_ACC(h), &r[i]);
    h->max_ts = MAX(h->max_ts, r[i].timestamp);
    if (h->epoch != st->epoch) {
      h->epoch = st->epoch;
      uint32_t klen = (uint32_t)k->len;
      g_byte_array_append(st->touched, (const uint8_t *)&klen, 4);
      g_byte_array_append(st->touched, k->data ? k->data : (const uint8_t *)"", klen);
    }
  }
  rill_batch_unref(batch);
  rill_flow flow = RILL_FLOW_OK;
  const uint8_t *p = st->touched->data, *end = p + st->touched->len;
  while (flow == RILL_FLOW_OK && p < end) {
    uint32_t klen;
    memcpy(&klen, p, 4);
    rill_bytes key = rill_bytes_make(p + 4, klen);
    p += 4 + klen;
    run_hdr *h = rill__table_lookup(st->t, key.data, key.len, rill__hash(key.data, key.len));
    flow = emit_update(st, out, key, h);
  }
  g_byte_array_set_size(st->touched, 0);
  rill_ctx_set_state_bytes(ctx, rill__table_bytes(st->t));
  return flow;
}

/* Checkpoints: u64 epoch, u32 keys, per key: u32-prefixed key, i64 max_ts,
 * u64 updates, u64 epoch, accumulator. */
static rill_flow run_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  run_state *st = state;
  if (!rill__agg_snapshot_check(st->agg, ctx))
    return RILL_FLOW_ERROR;
  rill__snap_u64(out, st->epoch);
  rill__snap_u32(out, (uint32_t)rill__table_len(st->t));
  rill_bytes key;
  void *v;
  for (size_t it = 0; rill__table_next(st->t, &it, &key, &v);) {
    run_hdr *h = v;
    rill__snap_bytes(out, key.data, key.len);
    rill__snap_i64(out, h->max_ts);
    rill__snap_u64(out, h->updates);
    rill__snap_u64(out, h->epoch);
    rill__agg_acc_snapshot(st->agg, RUN_ACC(h), out);
  }
  return RILL_FLOW_OK;
}

static gboolean run_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  run_state *st = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  st->epoch = rill__snap_get_u64(&r);
  uint32_t n = rill__snap_get_u32(&r);
  gboolean ok = r.ok;
  for (uint32_t i = 0; ok && i < n; i++) {
    size_t kl;
    const uint8_t *k = rill__snap_get_bytes(&r, &kl);
    int64_t max_ts = rill__snap_get_i64(&r);
    guint64 updates = rill__snap_get_u64(&r), epoch = rill__snap_get_u64(&r);
    if (!(ok = r.ok))
      break;
    run_hdr *h = rill__table_upsert(st->t, k, kl, rill__hash(k, kl), NULL);
    h->max_ts = max_ts;
    h->updates = updates;
    h->epoch = epoch;
    if (!(ok = rill__agg_acc_restore(st->agg, RUN_ACC(h), &r)))
      rill__agg_init(st->agg, RUN_ACC(h));
  }
  if (!ok || !rill__snap_done(&r)) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "malformed aggregate snapshot");
    return FALSE;
  }
  rill_ctx_set_state_bytes(ctx, rill__table_bytes(st->t));
  return TRUE;
}

static const rill_operator_class running_class = {
  .type_name = "aggregate",
  .open = run_open,
  .process = run_process,
  .close = run_close,
  .snapshot = run_snapshot,
  .restore = run_restore,
};

rill_stage *rill_pipeline_add_aggregate(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                        rill_aggregate *aggregate)
{
  g_return_val_if_fail(aggregate != NULL, NULL);
  return rill_pipeline_add_operator(pipeline, name, &running_class, aggregate, (GDestroyNotify)rill_aggregate_free,
                                    &input, 1);
}
