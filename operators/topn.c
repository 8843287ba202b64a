/* topn.c — top-N per window (topn.h).
 *
 * Per window (key: start,end as 16 bytes) a sorted array of at most N
 * candidates {value, key}; a result that cannot enter the array is dropped
 * at once, so memory is N candidates per open window whatever the key
 * count. Candidate keys are copied (one allocation per candidate that
 * enters, on result records, which are far fewer than input records).
 */
#include <rill/topn.h>

#include <string.h>

#include "operators/aggregate-private.h"
#include "operators/keyby-private.h"
#include "operators/window-private.h"
#include "runtime/pipeline-private.h"
#include "runtime/snap.h"
#include "runtime/state-table.h"

typedef struct {
  int64_t v;
  GBytes *key; /* NULL = absent */
} cand;

typedef struct {
  int64_t start, end;
  GArray *c;   /* cand, best first */
} win;

typedef struct {
  guint n;
  rill__table *wins; /* (start,end) -> win */
  int64_t wm;
  GString *res;
} topn_state;

/* A candidate's key as record bytes: absent for NULL, present (maybe
 * empty: GLib may give NULL data for an empty GBytes) otherwise. */
static rill_bytes cand_key(const cand *c)
{
  if (!c->key)
    return rill_bytes_make(NULL, 0);
  gsize len = 0;
  const void *data = g_bytes_get_data(c->key, &len);
  return rill_bytes_make(data ? data : "", len);
}

/* TRUE when candidate x ranks before y. */
static gboolean before(int64_t xv, rill_bytes xk, const cand *y)
{
  return rill__topn_before(xv, xk, y->v, cand_key(y));
}

static gboolean tn_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  topn_state *st = g_new0(topn_state, 1);
  st->n = GPOINTER_TO_UINT(user_data);
  st->wins = rill__table_new(sizeof(win));
  st->wm = INT64_MIN;
  st->res = g_string_new(NULL);
  *state = st;
  return TRUE;
}

static void win_clear(win *w)
{
  for (guint i = 0; i < w->c->len; i++)
    if (g_array_index(w->c, cand, i).key)
      g_bytes_unref(g_array_index(w->c, cand, i).key);
  g_array_unref(w->c);
}

static void tn_close(rill_ctx *ctx, void *state)
{
  topn_state *st = state;
  void *v;
  for (size_t it = 0; rill__table_next(st->wins, &it, NULL, &v);)
    win_clear(v);
  rill__table_free(st->wins);
  g_string_free(st->res, TRUE);
  g_free(st);
}

static void offer(topn_state *st, win *w, int64_t v, rill_bytes key)
{
  GArray *c = w->c;
  guint pos = c->len;
  /* A full list's last candidate decides for most results, without a copy. */
  if (pos == st->n && !before(v, key, &g_array_index(c, cand, pos - 1)))
    return;
  while (pos > 0 && before(v, key, &g_array_index(c, cand, pos - 1)))
    pos--;
  if (pos >= st->n)
    return;
  if (c->len == st->n) {
    cand *last = &g_array_index(c, cand, c->len - 1);
    if (last->key)
      g_bytes_unref(last->key);
    g_array_set_size(c, c->len - 1);
  }
  cand nc = {v, key.data ? g_bytes_new(key.data, key.len) : NULL};
  g_array_insert_val(c, pos, nc);
}

static rill_flow tn_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  topn_state *st = state;
  const rill_record *r = rill_batch_records(batch);
  /* A window fires all its keys together: consecutive results mostly share
   * it, so its entry is looked up once per run of records (the pointer
   * stays valid until the next insert, which replaces it here). */
  win *w = NULL;
  for (size_t i = 0, n = rill_batch_len(batch); i < n; i++) {
    int64_t s, e, v;
    if (!rill_window_result_bounds(&r[i], &s, &e) || !r[i].value.data ||
        !rill__parse_i64(r[i].value.data, r[i].value.len, &v) || e - 1 <= st->wm) {
      rill_ctx_add_late_records(ctx, 1);
      continue;
    }
    if (!w || w->start != s || w->end != e) {
      int64_t k[2] = {s, e};
      gboolean created;
      w = rill__table_upsert(st->wins, k, sizeof k, rill__hash(k, sizeof k), &created);
      if (created) {
        w->start = s;
        w->end = e;
        w->c = g_array_new(FALSE, FALSE, sizeof(cand));
      }
    }
    offer(st, w, v, r[i].key);
  }
  rill_batch_unref(batch);
  return RILL_FLOW_OK;
}

static int cmp_win(gconstpointer a, gconstpointer b)
{
  const win *x = a, *y = b;
  return x->start != y->start ? (x->start < y->start ? -1 : 1) : (x->end < y->end ? -1 : x->end > y->end);
}

static rill_flow emit_win(topn_state *st, rill_emitter *out, const win *w)
{
  rill_flow flow = RILL_FLOW_OK;
  for (guint i = 0; flow == RILL_FLOW_OK && i < w->c->len; i++) {
    const cand *c = &g_array_index(w->c, cand, i);
    g_string_truncate(st->res, 0);
    char buf[24];
    g_string_append_len(st->res, buf, (gssize)rill__fmt_i64(buf, c->v));
    gsize kl = 0;
    const void *kd = c->key ? g_bytes_get_data(c->key, &kl) : NULL;
    /* Window encoding plus a rank header: build it by hand. */
    uint8_t *mem = rill_emitter_alloc(out, 3 * sizeof(rill_header) + 72 + kl + st->res->len + 1);
    rill_header *h = (rill_header *)mem;
    char *p = (char *)(mem + 3 * sizeof *h);
    const char *names[3] = {RILL_WINDOW_HEADER_START, RILL_WINDOW_HEADER_END, RILL_TOPN_HEADER_RANK};
    int64_t vals[3] = {w->start, w->end, (int64_t)i + 1};
    for (int j = 0; j < 3; j++) {
      h[j].key = rill_bytes_from_string(names[j]);
      h[j].value = rill_bytes_make(p, rill__fmt_i64(p, vals[j]));
      p += h[j].value.len;
    }
    rill_record r = RILL_RECORD_INIT;
    if (kd) {
      memcpy(p, kd, kl);
      r.key = rill_bytes_make(p, kl);
      p += kl;
    }
    memcpy(p, st->res->str, st->res->len);
    r.value = rill_bytes_make(p, st->res->len);
    r.timestamp = w->end - 1;
    r.headers = h;
    r.n_headers = 3;
    flow = rill_emit_record_raw(out, &r);
  }
  return flow;
}

static rill_flow advance(rill_ctx *ctx, void *state, int64_t wm, rill_emitter *out)
{
  topn_state *st = state;
  GArray *due = g_array_new(FALSE, FALSE, sizeof(win));
  void *v;
  for (size_t it = 0; rill__table_next(st->wins, &it, NULL, &v);) {
    win *w = v;
    if (w->end - 1 <= wm) {
      g_array_append_val(due, *w);
      rill__table_remove_current(st->wins, it);
    }
  }
  g_array_sort(due, cmp_win);
  rill_flow flow = RILL_FLOW_OK;
  for (guint i = 0; i < due->len; i++) {
    if (flow == RILL_FLOW_OK)
      flow = emit_win(st, out, &g_array_index(due, win, i));
    win_clear(&g_array_index(due, win, i));
  }
  g_array_unref(due);
  st->wm = MAX(st->wm, wm);
  return flow;
}

static rill_flow tn_on_watermark(rill_ctx *ctx, void *state, int64_t wm, rill_emitter *out)
{
  return rill__advance_and_forward(ctx, state, wm, out, advance);
}

static rill_flow tn_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  return advance(ctx, state, RILL__END_OF_TIME, out);
}

/* Checkpoints: i64 watermark, u32 windows, per window: i64 start, i64 end,
 * u32 candidates, per candidate: i64 value, u8 has key, u32-prefixed key. */
static rill_flow tn_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  topn_state *st = state;
  rill__snap_i64(out, st->wm);
  rill__snap_u32(out, (uint32_t)rill__table_len(st->wins));
  void *v;
  for (size_t it = 0; rill__table_next(st->wins, &it, NULL, &v);) {
    win *w = v;
    rill__snap_i64(out, w->start);
    rill__snap_i64(out, w->end);
    rill__snap_u32(out, w->c->len);
    for (guint i = 0; i < w->c->len; i++) {
      const cand *c = &g_array_index(w->c, cand, i);
      rill__snap_i64(out, c->v);
      rill__snap_u8(out, c->key != NULL);
      gsize kl = 0;
      const void *kd = c->key ? g_bytes_get_data(c->key, &kl) : NULL;
      rill__snap_bytes(out, kd, kl);
    }
  }
  return RILL_FLOW_OK;
}

static gboolean tn_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  topn_state *st = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  st->wm = rill__snap_get_i64(&r);
  uint32_t n = rill__snap_get_u32(&r);
  for (uint32_t i = 0; r.ok && i < n; i++) {
    int64_t k[2];
    k[0] = rill__snap_get_i64(&r);
    k[1] = rill__snap_get_i64(&r);
    uint32_t nc = rill__snap_get_u32(&r);
    if (!r.ok)
      break;
    gboolean created;
    win *w = rill__table_upsert(st->wins, k, sizeof k, rill__hash(k, sizeof k), &created);
    if (created) {
      w->start = k[0];
      w->end = k[1];
      w->c = g_array_new(FALSE, FALSE, sizeof(cand));
    }
    for (uint32_t j = 0; r.ok && j < nc; j++) {
      cand c;
      c.v = rill__snap_get_i64(&r);
      gboolean has = rill__snap_get_u8(&r) != 0;
      size_t kl;
      const uint8_t *kd = rill__snap_get_bytes(&r, &kl);
      if (!r.ok)
        break;
      c.key = has ? g_bytes_new(kd, kl) : NULL;
      g_array_append_val(w->c, c);
    }
  }
  if (!rill__snap_done(&r)) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "malformed top-N snapshot");
    return FALSE;
  }
  return TRUE;
}

static const rill_operator_class topn_class = {
  .type_name = "top_n",
  .open = tn_open,
  .process = tn_process,
  .on_watermark = tn_on_watermark,
  .finish = tn_finish,
  .close = tn_close,
  .snapshot = tn_snapshot,
  .restore = tn_restore,
};

static rill_bytes window_start_key(const rill_record *record, uint8_t *scratch, size_t len, void *user_data)
{
  const rill_bytes *s = rill_record_header(record, RILL_WINDOW_HEADER_START);
  return s ? *s : rill_bytes_make(NULL, 0);
}

rill_stage *rill_pipeline_add_window_top_n(rill_pipeline *pipeline, const char *name, rill_stage *window, guint n)
{
  g_return_val_if_fail(name != NULL && n >= 1 && n <= 1000, NULL);
  char *route_name = g_strconcat(name, ".route", NULL);
  rill_stage *route = rill__pipeline_add_route(pipeline, route_name, window, window_start_key, NULL);
  g_free(route_name);
  g_return_val_if_fail(route != NULL, NULL);
  if (window->op == &rill__window_pane_class) {
    /* Each window task pre-selects its best n (window-private.h). */
    rill__window_cfg *cfg = window->user_data;
    cfg->local_top = n;
    cfg->top_route = route;
  }
  return rill_pipeline_add_operator(pipeline, name, &topn_class, GUINT_TO_POINTER(n), NULL, &route, 1);
}
