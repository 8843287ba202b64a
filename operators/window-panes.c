/* window-panes.c — tumbling and hopping windows over shared panes.
 *
 * Time is cut into panes of `slice` = gcd(size, slide) ms; each pane holds
 * one accumulator per key (a rill__table). A record is added to exactly one
 * pane, whatever size/slide is; a window [s, s+size) is the merge of its
 * size/slice panes, computed once when it fires (a tumbling window is one
 * pane and is emitted without merging).
 *
 * Invariants: panes are sorted by start and hold only times whose last
 * window has not expired (end - 1 + lateness > watermark); every window with
 * end - 1 <= wm has fired; records for expired panes never enter a table
 * (they go to the late output). Late records within lateness are noted in
 * `dirty` and their windows re-emitted at the end of the batch.
 *
 * Feeding a top-N (local_top > 0), a first firing emits only the task's
 * best local_top results (by the top-N order, numbers compared without
 * their text); re-emissions after late records are emitted in full.
 */
#include <string.h>

#include "operators/window-private.h"
#include "runtime/batch-private.h"
#include "runtime/state-table.h"

typedef struct pane {
  int64_t start;
  rill__table *t; /* key -> accumulator */
} pane;

/* A result kept by a top-N pre-selection; key and accumulator point into
 * the table being fired. */
typedef struct {
  int64_t v;
  rill_bytes key;
  const void *acc;
} best;

typedef struct {
  const rill__window_cfg *cfg; /* not refcounted: the stage's user data */
  const rill_aggregate *agg;
  int64_t size, slide, slice, offset, lateness;
  GArray *panes;               /* pane, sorted by start */
  GPtrArray *spare;            /* emptied tables of expired panes, reused (capacity kept) */
  int64_t wm;                  /* last watermark handled */
  rill__table *scratch;        /* merging panes of one window: key -> accumulator */
  rill__table *seen;           /* late re-emission dedupe: (start, key) -> nothing */
  GByteArray *dirty;           /* late updates: [i64 pane start][u32 key len][key]... */
  GString *res;
  rill__window_bounds_text bounds; /* of the window being fired */
  uint8_t *tmp_acc;            /* one accumulator for late re-emissions */
  guint local_top;             /* > 0: first firings emit only the best local_top (window-private.h) */
  GArray *best;                /* best, for emit_best */
  GByteArray *tmp_key;         /* (start, key) for `seen` */
} pane_state;

/* ---- pane arithmetic ---------------------------------------------------- */

static inline int64_t pane_of(const pane_state *st, int64_t ts)
{
  return rill__floor_to(ts - st->offset, st->slice) + st->offset;
}

/* Start of the last window containing pane @ps. */
static inline int64_t last_start(const pane_state *st, int64_t ps)
{
  return rill__floor_to(ps - st->offset, st->slide) + st->offset;
}

/* Start of the first window containing pane @ps. */
static inline int64_t first_start(const pane_state *st, int64_t ps)
{
  return rill__floor_to(ps - st->offset - st->size, st->slide) + st->offset + st->slide;
}

static inline gboolean expired(const pane_state *st, int64_t end)
{
  return rill__sat_add(end - 1, st->lateness) <= st->wm;
}

/* Index of the first pane with start >= @start. */
static guint lower_bound(const pane_state *st, int64_t start)
{
  guint lo = 0, hi = st->panes->len;
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (g_array_index(st->panes, pane, mid).start < start)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static rill__table *pane_table(pane_state *st, int64_t ps)
{
  guint i = lower_bound(st, ps);
  if (i < st->panes->len && g_array_index(st->panes, pane, i).start == ps)
    return g_array_index(st->panes, pane, i).t;
  /* The next pane holds about as many keys as the one that expired (or,
   * before any expired, as the newest one): its table starts at that size
   * instead of growing to it, a rehash and a fresh, page-faulting slot
   * array at every doubling. */
  rill__table *t = st->spare->len ? g_ptr_array_steal_index_fast(st->spare, st->spare->len - 1)
                                  : rill__table_new(st->agg->f.acc_size);
  if (st->panes->len)
    rill__table_reserve(t, rill__table_len(g_array_index(st->panes, pane, st->panes->len - 1).t));
  pane p = {ps, t};
  g_array_insert_val(st->panes, i, p);
  return p.t;
}

static void destroy_accs(const rill_aggregate *agg, rill__table *t)
{
  if (!agg->f.destroy)
    return;
  void *acc;
  for (size_t it = 0; rill__table_next(t, &it, NULL, &acc);)
    rill__agg_destroy(agg, acc);
}

static void report_bytes(rill_ctx *ctx, pane_state *st)
{
  guint64 bytes = rill__table_bytes(st->scratch) + rill__table_bytes(st->seen);
  for (guint i = 0; i < st->panes->len; i++)
    bytes += rill__table_bytes(g_array_index(st->panes, pane, i).t);
  for (guint i = 0; i < st->spare->len; i++)
    bytes += rill__table_bytes(st->spare->pdata[i]);
  rill_ctx_set_state_bytes(ctx, bytes);
}

/* ---- lifecycle ---------------------------------------------------------- */

static gboolean pane_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  const rill__window_cfg *cfg = user_data;
  if (!rill_window_spec_validate(&cfg->spec, error))
    return FALSE;
  if (cfg->spec.kind == RILL_WINDOW_HOPPING && cfg->spec.slide_ms != cfg->spec.size_ms && !cfg->agg->f.merge) {
    g_set_error(error, RILL_WINDOW_ERROR, RILL_WINDOW_ERROR_INVALID,
                "aggregate '%s' has no merge callback, which hopping windows need", cfg->agg->name);
    return FALSE;
  }
  pane_state *st = g_new0(pane_state, 1);
  st->cfg = cfg;
  st->agg = cfg->agg;
  st->size = cfg->spec.size_ms;
  st->slide = cfg->spec.slide_ms;
  st->slice = cfg->slice;
  st->offset = cfg->spec.offset_ms % st->slide;
  st->lateness = cfg->spec.allowed_lateness_ms;
  st->panes = g_array_new(FALSE, FALSE, sizeof(pane));
  st->spare = g_ptr_array_new_with_free_func((GDestroyNotify)rill__table_free);
  st->wm = INT64_MIN;
  st->scratch = rill__table_new(st->agg->f.acc_size);
  st->seen = rill__table_new(1);
  st->dirty = g_byte_array_new();
  st->res = g_string_sized_new(64);
  st->tmp_acc = g_malloc0(st->agg->f.acc_size);
  st->tmp_key = g_byte_array_new();
  st->local_top = rill__window_local_top(ctx, cfg);
  st->best = g_array_new(FALSE, FALSE, sizeof(best));
  *state = st;
  return TRUE;
}

static void pane_close(rill_ctx *ctx, void *state)
{
  pane_state *st = state;
  for (guint i = 0; i < st->panes->len; i++) {
    pane *p = &g_array_index(st->panes, pane, i);
    destroy_accs(st->agg, p->t);
    rill__table_free(p->t);
  }
  g_array_unref(st->panes);
  g_ptr_array_unref(st->spare);
  rill__table_free(st->scratch);
  rill__table_free(st->seen);
  g_byte_array_unref(st->dirty);
  g_string_free(st->res, TRUE);
  g_free(st->tmp_acc);
  g_byte_array_unref(st->tmp_key);
  g_array_unref(st->best);
  g_free(st);
}

/* ---- computing a window ------------------------------------------------- */

static rill_flow emit_acc(pane_state *st, rill_emitter *out, rill_bytes key, const void *acc, int64_t s,
                          guint64 update)
{
  gboolean has = rill__agg_result(st->agg, acc, st->res);
  return rill__window_emit_cached(out, &st->bounds, key, st->res, has, s, s + st->size, update);
}

/* The local_top best results of @t, best first, then emitted (a result
 * that is not an integer passes at once: top_n decides what to do with it). */
static rill_flow emit_best(pane_state *st, rill_emitter *out, rill__table *t, int64_t s)
{
  GArray *b = st->best;
  guint n = st->local_top;
  g_array_set_size(b, 0);
  rill_flow flow = RILL_FLOW_OK;
  rill_bytes key;
  void *acc;
  for (size_t it = 0; flow == RILL_FLOW_OK && rill__table_next(t, &it, &key, &acc);) {
    int64_t v;
    if (!rill__agg_number(st->agg, acc, st->res, &v)) {
      flow = emit_acc(st, out, key, acc, s, 0);
      continue;
    }
    guint pos = b->len;
    const best *last = pos ? &g_array_index(b, best, pos - 1) : NULL;
    if (pos == n && !rill__topn_before(v, key, last->v, last->key))
      continue; /* most results: not better than a full list's last */
    while (pos > 0) {
      const best *prev = &g_array_index(b, best, pos - 1);
      if (!rill__topn_before(v, key, prev->v, prev->key))
        break;
      pos--;
    }
    if (b->len == n)
      g_array_set_size(b, n - 1);
    best e = {v, key, acc};
    g_array_insert_val(b, pos, e);
  }
  for (guint i = 0; flow == RILL_FLOW_OK && i < b->len; i++)
    flow = emit_acc(st, out, g_array_index(b, best, i).key, g_array_index(b, best, i).acc, s, 0);
  return flow;
}

/* Emits the results of window [s, s+size), whose accumulators are @t's. */
static rill_flow emit_table(pane_state *st, rill_emitter *out, rill__table *t, int64_t s)
{
  if (st->local_top)
    return emit_best(st, out, t, s);
  rill_flow flow = RILL_FLOW_OK;
  rill_bytes key;
  void *acc;
  for (size_t it = 0; flow == RILL_FLOW_OK && rill__table_next(t, &it, &key, &acc);)
    flow = emit_acc(st, out, key, acc, s, 0);
  return flow;
}

/* Emits every key of window [s, s+size). */
static rill_flow fire(pane_state *st, rill_emitter *out, int64_t s)
{
  int64_t e = s + st->size;
  guint first = lower_bound(st, s), last = first;
  while (last < st->panes->len && g_array_index(st->panes, pane, last).start < e)
    last++;
  if (last - first == 1)
    return emit_table(st, out, g_array_index(st->panes, pane, first).t, s);
  /* scratch is empty between firings */
  rill_bytes key;
  void *acc;
  for (guint i = first; i < last; i++) {
    rill__table *t = g_array_index(st->panes, pane, i).t;
    for (size_t it = 0; rill__table_next(t, &it, &key, &acc);) {
      gboolean created;
      void *m = rill__table_upsert(st->scratch, key.data, key.len, rill__hash(key.data, key.len), &created);
      if (created)
        rill__agg_init(st->agg, m);
      rill__agg_merge(st->agg, m, acc);
    }
  }
  rill_flow flow = emit_table(st, out, st->scratch, s);
  destroy_accs(st->agg, st->scratch);
  rill__table_clear(st->scratch);
  return flow;
}

/* Re-emits window [s, s+size) for one key after a late record. */
static rill_flow refire_key(pane_state *st, rill_emitter *out, int64_t s, rill_bytes key, uint64_t hash)
{
  int64_t e = s + st->size;
  uint8_t *acc = st->tmp_acc;
  rill__agg_init(st->agg, acc);
  for (guint i = lower_bound(st, s); i < st->panes->len && g_array_index(st->panes, pane, i).start < e; i++) {
    void *a = rill__table_lookup(g_array_index(st->panes, pane, i).t, key.data, key.len, hash);
    if (a && st->agg->f.merge)
      rill__agg_merge(st->agg, acc, a);
    else if (a)
      memcpy(acc, a, st->agg->f.acc_size); /* tumbling: the one pane is the window */
  }
  rill_flow flow = emit_acc(st, out, key, acc, s, 1);
  if (st->agg->f.merge)
    rill__agg_destroy(st->agg, acc);
  return flow;
}

static rill_flow flush_dirty(pane_state *st, rill_emitter *out)
{
  rill_flow flow = RILL_FLOW_OK;
  const uint8_t *p = st->dirty->data, *end = p + st->dirty->len;
  while (flow == RILL_FLOW_OK && p < end) {
    int64_t ps;
    uint32_t klen;
    memcpy(&ps, p, 8);
    memcpy(&klen, p + 8, 4);
    rill_bytes key = rill_bytes_make(p + 12, klen);
    p += 12 + klen;
    uint64_t hash = rill__hash(key.data, key.len);
    for (int64_t s = last_start(st, ps); flow == RILL_FLOW_OK && s + st->size > ps; s -= st->slide) {
      int64_t e = s + st->size;
      if (e - 1 > st->wm || expired(st, e))
        continue; /* not fired yet, or past lateness */
      g_byte_array_set_size(st->tmp_key, 0);
      g_byte_array_append(st->tmp_key, (const uint8_t *)&s, 8);
      g_byte_array_append(st->tmp_key, key.data, klen);
      const uint8_t *sk = st->tmp_key->data;
      gboolean created;
      rill__table_upsert(st->seen, sk, st->tmp_key->len, rill__hash(sk, st->tmp_key->len), &created);
      if (created)
        flow = refire_key(st, out, s, key, hash);
    }
  }
  g_byte_array_set_size(st->dirty, 0);
  rill__table_clear(st->seen);
  return flow;
}

/* ---- data path ---------------------------------------------------------- */

/* Key equality as the tables see it (absent and empty are one key). */
static inline gboolean same_key(rill_bytes a, rill_bytes b)
{
  if (a.len != b.len)
    return FALSE;
  if (a.len == 8) {
    uint64_t x, y;
    memcpy(&x, a.data, 8);
    memcpy(&y, b.data, 8);
    return x == y;
  }
  return a.len == 0 || memcmp(a.data, b.data, a.len) == 0;
}

static rill_flow pane_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  pane_state *st = state;
  const rill_aggregate *agg = st->agg;
  const rill_record *r = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  /* The pane of the previous record: consecutive records mostly share it.
   * So do runs of records with one key (a hot key, or none): the previous
   * record's accumulator is reused without hashing and probing (the
   * pointer stays valid until the next insert, which replaces it). */
  int64_t cur_ps = INT64_MIN;
  rill__table *cur = NULL;
  gboolean cur_fired = FALSE;
  void *prev_acc = NULL;
  rill_bytes prev_key = {NULL, 0};
  for (size_t i = 0; i < n; i++) {
    rill__batch_prefetch_value(batch, i); /* for the aggregate's add */
    int64_t ts = r[i].timestamp;
    if (G_UNLIKELY(ts < -RILL__WINDOW_MAX_TS || ts > RILL__WINDOW_MAX_TS)) { /* includes NONE */
      rill__window_late(ctx, &st->cfg->spec, &r[i]);
      continue;
    }
    if (!cur || ts < cur_ps || ts - cur_ps >= st->slice) { /* not the previous record's pane */
      int64_t ps = pane_of(st, ts);
      if (expired(st, last_start(st, ps) + st->size)) {
        rill__window_late(ctx, &st->cfg->spec, &r[i]);
        continue;
      }
      cur_ps = ps;
      cur = pane_table(st, ps);
      cur_fired = first_start(st, ps) + st->size - 1 <= st->wm;
      prev_acc = NULL;
    }
    const rill_bytes *k = &r[i].key;
    void *acc = prev_acc;
    if (!acc || !same_key(*k, prev_key)) {
      gboolean created;
      acc = rill__table_upsert(cur, k->data, k->len, rill__hash(k->data, k->len), &created);
      if (G_UNLIKELY(created) && agg->f.create)
        agg->f.create(acc, agg->user_data);
      prev_acc = acc;
      prev_key = *k;
    }
    rill__agg_add(agg, acc, &r[i]);
    if (G_UNLIKELY(cur_fired)) {
      uint32_t klen = (uint32_t)k->len;
      g_byte_array_append(st->dirty, (const uint8_t *)&cur_ps, 8);
      g_byte_array_append(st->dirty, (const uint8_t *)&klen, 4);
      g_byte_array_append(st->dirty, k->data ? k->data : (const uint8_t *)"", klen);
    }
  }
  rill_batch_unref(batch);
  rill_flow flow = st->dirty->len ? flush_dirty(st, out) : RILL_FLOW_OK;
  return flow;
}

/* Fires every window with wm < end - 1 <= @w, then drops expired panes. */
static rill_flow advance(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  pane_state *st = state;
  int64_t w = MIN(watermark, RILL__END_OF_TIME);
  if (w <= st->wm)
    return RILL_FLOW_OK; /* nothing can have become due */
  rill_flow flow = RILL_FLOW_OK;
  int64_t next = INT64_MIN; /* windows before this start were handled */
  for (guint i = 0; flow == RILL_FLOW_OK && i < st->panes->len; i++) {
    int64_t ps = g_array_index(st->panes, pane, i).start;
    if (first_start(st, ps) + st->size - 1 > w)
      break; /* later panes only belong to later windows */
    for (int64_t s = MAX(first_start(st, ps), next); flow == RILL_FLOW_OK && s <= ps; s += st->slide) {
      int64_t e1 = s + st->size - 1;
      if (e1 > w)
        break;
      if (e1 > st->wm)
        flow = fire(st, out, s);
      next = s + st->slide;
    }
  }
  st->wm = w;
  guint drop = 0;
  while (drop < st->panes->len) {
    pane *p = &g_array_index(st->panes, pane, drop);
    if (!expired(st, last_start(st, p->start) + st->size))
      break;
    destroy_accs(st->agg, p->t);
    if (st->spare->len < 2) {
      rill__table_clear(p->t);
      g_ptr_array_add(st->spare, p->t);
    } else {
      rill__table_free(p->t);
    }
    drop++;
  }
  if (drop)
    g_array_remove_range(st->panes, 0, drop);
  report_bytes(ctx, st);
  return flow;
}

static rill_flow pane_on_watermark(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  return rill__advance_and_forward(ctx, state, watermark, out, advance);
}

static rill_flow pane_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  return advance(ctx, state, RILL__END_OF_TIME, out);
}

/* ---- checkpoints --------------------------------------------------------
 * i64 watermark, u32 panes, per pane: i64 start + accumulator table. The
 * late-update scratch (dirty, seen) is empty between callbacks. */

static rill_flow pane_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  pane_state *st = state;
  if (!rill__agg_snapshot_check(st->agg, ctx))
    return RILL_FLOW_ERROR;
  rill__snap_i64(out, st->wm);
  rill__snap_u32(out, st->panes->len);
  for (guint i = 0; i < st->panes->len; i++) {
    pane *p = &g_array_index(st->panes, pane, i);
    rill__snap_i64(out, p->start);
    rill__agg_table_snapshot(st->agg, p->t, out);
  }
  return RILL_FLOW_OK;
}

static gboolean pane_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  pane_state *st = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  st->wm = rill__snap_get_i64(&r);
  uint32_t n = rill__snap_get_u32(&r);
  gboolean ok = r.ok;
  for (uint32_t i = 0; ok && i < n; i++) {
    int64_t start = rill__snap_get_i64(&r);
    ok = r.ok && (st->panes->len == 0 || start > g_array_index(st->panes, pane, st->panes->len - 1).start);
    if (ok) {
      pane p = {start, rill__table_new(st->agg->f.acc_size)};
      g_array_append_val(st->panes, p);
      ok = rill__agg_table_restore(st->agg, p.t, &r);
    }
  }
  if (!ok || !rill__snap_done(&r)) {
    g_set_error(error, RILL_WINDOW_ERROR, RILL_WINDOW_ERROR_INVALID, "malformed window snapshot");
    return FALSE;
  }
  report_bytes(ctx, st);
  return TRUE;
}

const rill_operator_class rill__window_pane_class = {
  .type_name = "window",
  .open = pane_open,
  .process = pane_process,
  .on_watermark = pane_on_watermark,
  .finish = pane_finish,
  .close = pane_close,
  .snapshot = pane_snapshot,
  .restore = pane_restore,
};
