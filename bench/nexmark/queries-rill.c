/* queries-rill.c — NEXMark Q0, Q1, Q2, Q5, Q7 and Q8 as rill pipelines.
 *
 * Every pipeline starts with the same source: P tasks, task i emitting the
 * store's 1024-event chunks i, i + P, i + 2P, ... as records whose value
 * references the store (zero copy) and whose timestamp is the event's
 * dateTime; each task's stream is in timestamp order, so with the
 * watermark bound of 4 s (WATERMARK dateTime - 4 s) nothing is late at any P.
 * Every pipeline ends in a sink that folds each output row into the
 * query's checksum (per task, summed at close).
 *
 *   Q0  source -> filter(bid) -> sink (rows read from the bid record)
 *   Q1  source -> filter(bid) -> map(price * 908 thousandths, projected) -> sink
 *   Q2  source -> filter(bid, auction % 123 == 0) -> map(auction, price) -> sink
 *   Q5  source -> watermarks -> filter(bid) -> key_by(auction)
 *       -> window(hopping 10 s / 2 s, count) -> top_n(16) -> flat_map(keep
 *       the rows equal to the window's first, i.e. all ties of the max) -> sink
 *   Q7  source -> watermarks -> filter(bid) -> flat_map(a bid at exactly
 *       k*10 s is also a candidate of the window ending there: BETWEEN
 *       includes both ends) -> window(tumbling 10 s, max price and the bids
 *       at it) per task -> key_by(none) -> window(tumbling 10 s, merge)
 *       -> flat_map(the winning bids) -> sink (the bid)
 *   Q8  source -> watermarks =>
 *         a) filter(person) -> key_by(id) -> join left
 *         b) filter(auction) -> key_by(seller) -> window(tumbling 10 s,
 *            count) [GROUP BY seller, window] -> join right
 *       window join(10 s, inner) -> sink (id, name, window start)
 */
#include <rill/rill.h>

#include "bench/nexmark/nexmark.h"

#define CHUNK 1024
#define Q5_TOP 16
#define MAX_TASKS 256

typedef struct {
  const nx_store *store;
  rill_batch *holder; /* a batch referencing the store's bytes, for emit_record_raw */
} src_cfg;

typedef struct {
  const src_cfg *cfg;
  uint64_t chunk;     /* next chunk index */
  guint step;         /* parallelism */
} src_state;

static guint src_splits(void *user_data, guint parallelism)
{
  return parallelism;
}

static gboolean src_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                         GError **error)
{
  src_state *st = g_new0(src_state, 1);
  st->cfg = user_data;
  st->chunk = splits[0];
  st->step = rill_ctx_parallelism(ctx);
  *state = st;
  return TRUE;
}

static rill_flow src_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  src_state *st = state;
  const nx_store *s = st->cfg->store;
  uint64_t first = st->chunk * CHUNK;
  if (first >= s->n)
    return RILL_FLOW_EOS;
  uint64_t end = MIN(first + CHUNK, s->n);
  st->chunk += st->step;
  rill_emitter_reference(out, st->cfg->holder);
  rill_record r = RILL_RECORD_INIT;
  for (uint64_t i = first; i < end; i++) {
    r.value = rill_bytes_make(s->bytes + s->off[i], (size_t)(s->off[i + 1] - s->off[i]));
    r.timestamp = s->ts[i];
    rill_flow flow = rill_emit_record_raw(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static void src_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static const rill_source_class src_class = {
  .type_name = "nexmark", .n_splits = src_splits, .open = src_open, .read = src_read, .close = src_close};

/* ---- sinks: fold rows into the checksum --------------------------------- */

typedef struct {
  nx_query q;
  GMutex lock;
  nx_check total;
  gboolean tie_overflow[MAX_TASKS]; /* Q5, per task */
  int64_t q5_start[MAX_TASKS];      /* Q5: window of the last top-N row seen, per task */
  int64_t q5_max[MAX_TASKS];        /* its count (the rank-1 value) */
  guint q5_ties[MAX_TASKS];         /* rows kept for that window */
} run_cfg;

typedef struct {
  run_cfg *cfg; /* not refcounted */
  nx_check c;
} sink_state;

static gboolean sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  sink_state *st = g_new0(sink_state, 1);
  st->cfg = user_data;
  *state = st;
  return TRUE;
}

static int64_t parse_i64(rill_bytes b)
{
  int64_t v = 0;
  for (size_t i = 0; i < b.len; i++)
    v = v * 10 + (b.data[i] - '0');
  return v;
}

static uint64_t row_hash(nx_query q, const rill_record *r)
{
  const uint8_t *v = r->value.data;
  switch (q) {
  case NX_Q0:
  case NX_Q1: /* Q1's map writes the bid layout with the converted price */
  case NX_Q7:
    return nx_row_bid(nx_get_i64(v + 1), nx_get_i64(v + 9), nx_get_i64(v + 17), nx_get_i64(v + 25),
                      nx_get_str(v + NX_BID_STRINGS, 2));
  case NX_Q2:
    return nx_row_q2(nx_get_i64(v), nx_get_i64(v + 8));
  case NX_Q5: {
    int64_t start = 0, end = 0;
    rill_window_result_bounds(r, &start, &end);
    return nx_row_q5(start, nx_get_i64(r->key.data), parse_i64(r->value));
  }
  case NX_Q8: {
    nx_str name = {(const char *)v + 16, (uint32_t)(r->value.len - 16)};
    return nx_row_q8(nx_get_i64(v), name, nx_get_i64(v + 8));
  }
  default:
    g_assert_not_reached();
  }
}

static rill_flow sink_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  sink_state *st = state;
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0, n = rill_batch_len(batch); i < n; i++)
    nx_check_add(&st->c, row_hash(st->cfg->q, &r[i]));
  return RILL_FLOW_OK;
}

static void sink_close(rill_ctx *ctx, void *state)
{
  sink_state *st = state;
  g_mutex_lock(&st->cfg->lock);
  st->cfg->total.rows += st->c.rows;
  st->cfg->total.sum += st->c.sum;
  g_mutex_unlock(&st->cfg->lock);
  g_free(st);
}

static const rill_sink_class sink_class = {.type_name = "checksum", .open = sink_open, .write = sink_write,
                                           .close = sink_close};

/* ---- per-record callbacks ---------------------------------------------- */

static rill_verdict is_bid(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  return in->value.data[0] == NX_BID ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

static rill_verdict is_person(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  return in->value.data[0] == NX_PERSON ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

static rill_verdict is_auction(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  return in->value.data[0] == NX_AUCTION ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

static rill_verdict q2_filter(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  return in->value.data[0] == NX_BID && nx_get_i64(in->value.data + 1) % NX_Q2_MOD == 0 ? RILL_VERDICT_KEEP
                                                                                         : RILL_VERDICT_DROP;
}

/* Q1: the bid layout again (so the sink reads it the same way), price in
 * thousandths (DECIMAL(23,3) 0.908 * price), the extra kept. */
static rill_flow q1_map(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  const uint8_t *v = in->value.data;
  nx_str extra = nx_get_str(v + NX_BID_STRINGS, 2);
  size_t len = NX_BID_STRINGS + 4 + 2 + extra.len;
  uint8_t *o = rill_ctx_alloc(ctx, len);
  memcpy(o, v, NX_BID_STRINGS);
  int64_t price = nx_get_i64(v + 17) * 908;
  memcpy(o + 17, &price, 8);
  memset(o + NX_BID_STRINGS, 0, 4); /* channel and url projected away: empty */
  uint16_t el = (uint16_t)extra.len;
  memcpy(o + NX_BID_STRINGS + 4, &el, 2);
  memcpy(o + NX_BID_STRINGS + 6, extra.p, extra.len);
  out->value = rill_bytes_make(o, len);
  return RILL_FLOW_OK;
}

static rill_flow q2_map(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  uint8_t *o = rill_ctx_alloc(ctx, 16);
  memcpy(o, in->value.data + 1, 8);
  memcpy(o + 8, in->value.data + 17, 8);
  out->value = rill_bytes_make(o, 16);
  return RILL_FLOW_OK;
}

/* 8 bytes of the value at offset GPOINTER_TO_SIZE(user_data) as the key. */
static rill_bytes key_at(const rill_record *r, uint8_t *scratch, size_t n, void *user_data)
{
  return rill_bytes_make(r->value.data + GPOINTER_TO_SIZE(user_data), 8);
}

static rill_bytes key_none(const rill_record *r, uint8_t *scratch, size_t n, void *user_data)
{
  return rill_bytes_make(NULL, 0);
}

/* Q5: top_n emits each window's rows best first, so the first row of a
 * window carries the max; keep the rows equal to it. If all Q5_TOP rows
 * tie, more may have been cut: flagged, the run then fails loudly. */
static rill_flow q5_ties(rill_ctx *ctx, const rill_record *in, rill_emitter *out, void *user_data)
{
  run_cfg *cfg = user_data;
  guint t = rill_ctx_task_index(ctx);
  int64_t start = 0, end = 0;
  rill_window_result_bounds(in, &start, &end);
  int64_t v = parse_i64(in->value);
  if (start != cfg->q5_start[t] || cfg->q5_ties[t] == 0) {
    cfg->q5_start[t] = start;
    cfg->q5_max[t] = v;
    cfg->q5_ties[t] = 0;
  }
  if (v != cfg->q5_max[t])
    return RILL_FLOW_OK;
  if (++cfg->q5_ties[t] == Q5_TOP)
    cfg->tie_overflow[t] = TRUE;
  return rill_emit_record_raw(out, in);
}

/* Q7 as two window aggregates instead of Flink's plan (max per window,
 * then a join of every bid with it on price): per window we keep the max
 * price and the bids at that price, so a bid is touched once and only ties
 * are stored. A partial aggregate runs in each task; one task merges the
 * partials (key_by none) and a flat_map emits the winning bids.
 *
 * BETWEEN window_end - 10 s AND window_end makes a bid at exactly a window
 * end a candidate of the window ending there, without counting for its max:
 * q7_boundary sends such a bid there too as a "boundary" record (timestamp
 * one ms earlier) whose value is a marker byte and the original bid's
 * address and length. Candidates carry their price, so a partial keeps
 * boundary bids priced at or above its max (the global max may be higher);
 * the final stage keeps those equal to it. The accumulator points into the
 * generated store, which outlives the pipeline. */
#define Q7_BOUNDARY_MARK 0xFF

typedef struct {
  const uint8_t *bid;
  uint64_t len;
  int64_t price;
  uint64_t boundary; /* 1: a candidate only, not part of the max */
} q7_entry;

typedef struct {
  gboolean has_max;
  int64_t max;
  GArray *entries; /* q7_entry */
} q7_acc;

static rill_flow q7_boundary(rill_ctx *ctx, const rill_record *in, rill_emitter *out, void *user_data)
{
  rill_flow flow = rill_emit_record_raw(out, in);
  if (flow != RILL_FLOW_OK || in->timestamp % NX_Q7_SIZE != 0)
    return flow;
  uint8_t *o = rill_emitter_alloc(out, 17);
  uint64_t len = in->value.len;
  o[0] = Q7_BOUNDARY_MARK;
  memcpy(o + 1, &in->value.data, sizeof(void *));
  memcpy(o + 9, &len, 8);
  rill_record prev = RILL_RECORD_INIT;
  prev.value = rill_bytes_make(o, 17);
  prev.timestamp = in->timestamp - 1;
  return rill_emit_record_raw(out, &prev);
}

static void q7_create(void *acc, void *user_data)
{
  ((q7_acc *)acc)->entries = g_array_new(FALSE, FALSE, sizeof(q7_entry));
}

static void q7_destroy(void *acc, void *user_data)
{
  g_array_free(((q7_acc *)acc)->entries, TRUE);
}

/* A new max @m: drops the ties of the old one and cheaper candidates. */
static void q7_raise(q7_acc *a, int64_t m)
{
  a->has_max = TRUE;
  a->max = m;
  guint k = 0;
  for (guint i = 0; i < a->entries->len; i++) {
    q7_entry e = g_array_index(a->entries, q7_entry, i);
    if (e.price >= m && (e.boundary || e.price == m))
      g_array_index(a->entries, q7_entry, k++) = e;
  }
  g_array_set_size(a->entries, k);
}

static void q7_offer(q7_acc *a, const q7_entry *e)
{
  if (!e->boundary && (!a->has_max || e->price > a->max))
    q7_raise(a, e->price);
  if (a->has_max && e->price < a->max)
    return;
  if (!e->boundary && e->price != a->max)
    return;
  g_array_append_val(a->entries, *e);
}

/* Partial: the record is a bid or a boundary record. */
static void q7_add_bid(void *acc, const rill_record *r, void *user_data)
{
  const uint8_t *v = r->value.data;
  q7_entry e = {v, r->value.len, 0, 0};
  if (v[0] == Q7_BOUNDARY_MARK) {
    memcpy(&e.bid, v + 1, sizeof(void *));
    memcpy(&e.len, v + 9, 8);
    e.boundary = 1;
  }
  e.price = nx_get_i64(e.bid + 17);
  q7_offer(acc, &e);
}

/* Result: [has_max][max] then the entries, as they are in memory. */
static gboolean q7_result(const void *acc, GString *out, void *user_data)
{
  const q7_acc *a = acc;
  int64_t head[2] = {a->has_max, a->max};
  g_string_append_len(out, (const char *)head, sizeof head);
  g_string_append_len(out, a->entries->data, (gssize)(a->entries->len * sizeof(q7_entry)));
  return TRUE;
}

/* Final: the record is a partial's result. */
static void q7_add_partial(void *acc, const rill_record *r, void *user_data)
{
  q7_acc *a = acc;
  int64_t head[2];
  memcpy(head, r->value.data, sizeof head);
  if (head[0] && (!a->has_max || head[1] > a->max))
    q7_raise(a, head[1]);
  size_t n = (r->value.len - sizeof head) / sizeof(q7_entry);
  for (size_t i = 0; i < n; i++) {
    q7_entry e;
    memcpy(&e, r->value.data + sizeof head + i * sizeof e, sizeof e);
    q7_offer(a, &e);
  }
}

/* The winning bids of a final result: the entries priced at the max. */
static rill_flow q7_explode(rill_ctx *ctx, const rill_record *in, rill_emitter *out, void *user_data)
{
  int64_t head[2];
  memcpy(head, in->value.data, sizeof head);
  size_t n = (in->value.len - sizeof head) / sizeof(q7_entry);
  for (size_t i = 0; head[0] && i < n; i++) {
    q7_entry e;
    memcpy(&e, in->value.data + sizeof head + i * sizeof e, sizeof e);
    if (e.price != head[1])
      continue;
    rill_record r = RILL_RECORD_INIT;
    r.value = rill_bytes_make(e.bid, e.len);
    r.timestamp = in->timestamp;
    rill_flow flow = rill_emit_record(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static rill_aggregate *q7_aggregate(const char *name, void (*add)(void *, const rill_record *, void *))
{
  rill_aggregate_funcs f = {.acc_size = sizeof(q7_acc), .create = q7_create, .add = add, .result = q7_result,
                            .destroy = q7_destroy};
  return rill_aggregate_new(name, &f, NULL, NULL);
}

/* Q8: (person id, window start, name). */
static rill_flow q8_combine(rill_ctx *ctx, const rill_record *left, const rill_record *right, rill_bytes key,
                            int64_t ts, rill_emitter *out, void *user_data)
{
  const uint8_t *v = left->value.data;
  nx_str name = nx_get_str(v + NX_PERSON_STRINGS, 0);
  uint8_t *o = rill_emitter_alloc(out, 16 + name.len);
  int64_t start = ts + 1 - NX_Q8_SIZE;
  memcpy(o, v + 1, 8);
  memcpy(o + 8, &start, 8);
  memcpy(o + 16, name.p, name.len);
  rill_record r = RILL_RECORD_INIT;
  r.value = rill_bytes_make(o, 16 + name.len);
  r.timestamp = ts;
  return rill_emit_record_raw(out, &r);
}

/* ---- pipelines ---------------------------------------------------------- */

static rill_stage *join_stage(rill_pipeline *p, const char *name, rill_stage *l, rill_stage *r,
                              rill_join_combine_fn combine, GError **error)
{
  rill_join *j = rill_join_window_new(RILL_JOIN_INNER, NX_Q7_SIZE, error);
  if (!j)
    return NULL;
  rill_join_set_combine(j, combine, NULL, NULL);
  rill_stage *s = rill_pipeline_add_join(p, name, l, r, j);
  rill_join_unref(j);
  return s;
}

static rill_stage *build(rill_pipeline *p, nx_query q, rill_stage *src, run_cfg *cfg, GError **error)
{
  rill_watermark_options wo = {.max_out_of_orderness_ms = NX_OUT_OF_ORDERNESS};
  switch (q) {
  case NX_Q0:
    return rill_pipeline_add_filter(p, "bids", src, is_bid, NULL, NULL);
  case NX_Q1:
    return rill_pipeline_add_map(p, "currency", rill_pipeline_add_filter(p, "bids", src, is_bid, NULL, NULL),
                                 q1_map, NULL, NULL);
  case NX_Q2:
    return rill_pipeline_add_map(p, "project", rill_pipeline_add_filter(p, "mod123", src, q2_filter, NULL, NULL),
                                 q2_map, NULL, NULL);
  case NX_Q5: {
    rill_stage *wm = rill_pipeline_add_watermarks(p, "wm", src, &wo);
    rill_stage *bids = rill_pipeline_add_filter(p, "bids", wm, is_bid, NULL, NULL);
    rill_stage *kb = rill_pipeline_add_key_by(p, "by-auction", bids, key_at, GSIZE_TO_POINTER(1), NULL);
    rill_window_spec hop = rill_window_hopping(NX_Q5_SIZE, NX_Q5_SLIDE);
    rill_stage *counts = rill_pipeline_add_window(p, "counts", kb, &hop, rill_aggregate_count());
    rill_stage *top = rill_pipeline_add_window_top_n(p, "top", counts, Q5_TOP);
    return rill_pipeline_add_flat_map(p, "ties", top, q5_ties, cfg, NULL);
  }
  case NX_Q7: {
    rill_stage *wm = rill_pipeline_add_watermarks(p, "wm", src, &wo);
    rill_stage *bids = rill_pipeline_add_filter(p, "bids", wm, is_bid, NULL, NULL);
    rill_stage *cand = rill_pipeline_add_flat_map(p, "boundary", bids, q7_boundary, NULL, NULL);
    rill_window_spec tumble = rill_window_tumbling(NX_Q7_SIZE);
    rill_stage *partial = rill_pipeline_add_window(p, "ties-local", cand, &tumble, q7_aggregate("q7-ties", q7_add_bid));
    rill_stage *all = rill_pipeline_add_key_by(p, "gather", partial, key_none, NULL, NULL);
    rill_stage *ties = rill_pipeline_add_window(p, "ties", all, &tumble, q7_aggregate("q7-merge", q7_add_partial));
    return rill_pipeline_add_flat_map(p, "winners", ties, q7_explode, NULL, NULL);
  }
  case NX_Q8: {
    rill_stage *wm = rill_pipeline_add_watermarks(p, "wm", src, &wo);
    rill_stage *persons = rill_pipeline_add_filter(p, "persons", wm, is_person, NULL, NULL);
    rill_stage *left = rill_pipeline_add_key_by(p, "by-id", persons, key_at, GSIZE_TO_POINTER(1), NULL);
    rill_stage *auctions = rill_pipeline_add_filter(p, "auctions", wm, is_auction, NULL, NULL);
    rill_stage *kb = rill_pipeline_add_key_by(p, "by-seller", auctions, key_at, GSIZE_TO_POINTER(17), NULL);
    rill_window_spec tumble = rill_window_tumbling(NX_Q8_SIZE);
    rill_stage *sellers = rill_pipeline_add_window(p, "sellers", kb, &tumble, rill_aggregate_count());
    return join_stage(p, "join", left, sellers, q8_combine, error);
  }
  default:
    g_assert_not_reached();
  }
}

gboolean nx_rill_run(nx_query q, const nx_store *store, guint parallelism, nx_check *out, gboolean *tie_overflow,
                     GError **error)
{
  g_return_val_if_fail(parallelism >= 1 && parallelism <= MAX_TASKS, FALSE);
  gboolean ok = FALSE;
  run_cfg *cfg = g_new0(run_cfg, 1);
  cfg->q = q;
  g_mutex_init(&cfg->lock);

  /* The holder batch references the store's bytes (not owned: the store
   * outlives the run) so records can point into them. */
  src_cfg sc = {.store = store};
  rill_batch_builder *b = rill_batch_builder_new(1);
  rill_buffer *buf = rill_buffer_new_wrapped(store->bytes, store->off[store->n], NULL, NULL);
  rill_batch_builder_reference_buffer(b, buf);
  rill_buffer_unref(buf);
  rill_batch_builder_append_kv(b, NULL, 0, NULL, 0, RILL_TIMESTAMP_NONE);
  sc.holder = rill_batch_builder_finish(b);
  rill_batch_builder_free(b);

  rill_pipeline *p = rill_pipeline_new("nexmark");
  rill_pipeline_set_parallelism(p, parallelism);
  rill_stage *src = rill_pipeline_add_source(p, "events", &src_class, &sc, NULL);
  rill_stage *last = build(p, q, src, cfg, error);
  if (!last)
    goto out;
  rill_pipeline_add_sink(p, "sink", last, &sink_class, cfg, NULL);
  if (!rill_pipeline_run(p, error))
    goto out;
  *out = cfg->total;
  *tie_overflow = FALSE;
  for (guint i = 0; i < parallelism; i++)
    *tie_overflow |= cfg->tie_overflow[i];
  ok = TRUE;
out:
  rill_pipeline_unref(p);
  rill_batch_unref(sc.holder);
  g_mutex_clear(&cfg->lock);
  g_free(cfg);
  return ok;
}
