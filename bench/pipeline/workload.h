/* workload.h — the pipeline benchmark's workload, shared by bench-pipeline
 * (against one hand-written loop) and bench-metrics-overhead (HTTP on vs
 * off): generate N records (16-byte key, 100-byte pseudo-random value),
 * rewrite each value (XOR with its key), keep the half whose first byte is
 * even, and count and checksum what arrives.
 *
 * The per-record steps are inline functions so the hand-written baseline
 * runs exactly the code the pipeline stages run. Header-only: each
 * benchmark is one translation unit.
 */
#pragma once

#include <rill/rill.h>

#include <string.h>

#define KEY_LEN 16
#define VALUE_LEN 100

static inline guint64 mix(guint64 x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static inline void gen(guint64 i, uint8_t *key, uint8_t *value)
{
  guint64 h = mix(i);
  memcpy(key, &i, 8);
  memcpy(key + 8, &h, 8);
  for (int w = 0; w < VALUE_LEN / 8; w++) {
    h = mix(h);
    memcpy(value + w * 8, &h, 8);
  }
  memcpy(value + (VALUE_LEN / 8) * 8, &h, VALUE_LEN % 8);
}

static inline void rewrite(const uint8_t *key, const uint8_t *in, uint8_t *out)
{
  for (int j = 0; j < VALUE_LEN; j++)
    out[j] = in[j] ^ key[j % KEY_LEN];
}

static inline gboolean keep(const uint8_t *value)
{
  return (value[0] & 1) == 0;
}

static inline guint64 checksum(guint64 sum, const uint8_t *value)
{
  guint64 w[VALUE_LEN / 8 + 1] = {0};
  memcpy(w, value, VALUE_LEN);
  for (size_t k = 0; k < G_N_ELEMENTS(w); k++)
    sum = (sum << 5 | sum >> 59) ^ w[k];
  return sum;
}

/* ---- the same steps as pipeline stages --------------------------------------------- */

typedef struct {
  guint64 n, next;
} workload_gen_state;

static gboolean workload_gen_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits,
                                  void **state, GError **error)
{
  workload_gen_state *st = g_new0(workload_gen_state, 1);
  st->n = *(guint64 *)user_data;
  *state = st;
  return TRUE;
}

static rill_flow workload_gen_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  workload_gen_state *st = state;
  guint64 end = MIN(st->n, st->next + RILL_BATCH_DEFAULT_RECORDS);
  for (; st->next < end; st->next++) {
    uint8_t *p = rill_emitter_alloc(out, KEY_LEN + VALUE_LEN);
    gen(st->next, p, p + KEY_LEN);
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_make(p, KEY_LEN);
    r.value = rill_bytes_make(p + KEY_LEN, VALUE_LEN);
    rill_flow flow = rill_emit_record_raw(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return st->next == st->n ? RILL_FLOW_EOS : RILL_FLOW_OK;
}

static void workload_gen_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static rill_flow workload_map_rewrite(rill_ctx *ctx, const rill_record *in, rill_record *out, void *ud)
{
  uint8_t *v = rill_ctx_alloc(ctx, VALUE_LEN);
  rewrite(in->key.data, in->value.data, v);
  out->value = rill_bytes_make(v, VALUE_LEN);
  return RILL_FLOW_OK;
}

static rill_verdict workload_filter_keep(rill_ctx *ctx, const rill_record *in, void *ud)
{
  return keep(in->value.data) ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

/* What the sink saw. */
typedef struct {
  guint64 count, sum;
} workload_totals;

static rill_flow workload_sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  workload_totals *t = state;
  const rill_record *r = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  guint64 s = t->sum;
  for (size_t i = 0; i < n; i++)
    s = checksum(s, r[i].value.data);
  t->sum = s;
  t->count += n;
  return RILL_FLOW_OK;
}

static gboolean workload_sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

/* Adds generate ! rewrite ! half ! count to @p. @n (the record count) and
 * @totals must outlive the run. */
static inline void workload_add(rill_pipeline *p, guint64 *n, workload_totals *totals)
{
  static const rill_source_class gen_source = {
    .type_name = "generate", .open = workload_gen_open, .read = workload_gen_read, .close = workload_gen_close};
  static const rill_sink_class count_sink = {
    .type_name = "count", .open = workload_sink_open, .write = workload_sink_write};
  rill_stage *s = rill_pipeline_add_source(p, "generate", &gen_source, n, NULL);
  s = rill_pipeline_add_map(p, "rewrite", s, workload_map_rewrite, NULL, NULL);
  s = rill_pipeline_add_filter(p, "half", s, workload_filter_keep, NULL, NULL);
  rill_pipeline_add_sink(p, "count", s, &count_sink, totals, NULL);
}
