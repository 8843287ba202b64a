/* window-session.c — session windows: per key, disjoint sessions that grow
 * and merge as records arrive.
 *
 * A record at ts opens [ts, ts + gap); sessions that overlap or touch it
 * (a.start <= b.end && b.start <= a.end) merge, accumulators merged. A
 * session fires once when the watermark reaches end - 1 and is dropped when
 * it reaches end - 1 + lateness.
 *
 * Invariants: each key's sessions are sorted by start and pairwise apart
 * (never touching); `next_due` is <= the smallest pending fire or expiry
 * time over all sessions, so a watermark below it has nothing to do and
 * costs nothing. A watermark at or past it scans the keys (O(keys)), which
 * suits session workloads (few watermarks per gap).
 */
#include <string.h>

#include "operators/window-private.h"
#include "runtime/state-table.h"

typedef struct sess {
  int64_t start, end; /* [start, end): end = last record + gap */
  int32_t fired;      /* emitted at least once */
  int32_t dirty;      /* changed by a late record after firing */
  /* accumulator follows (8-byte aligned) */
} sess;

#define ACC(s) ((void *)((uint8_t *)(s) + sizeof(sess)))

typedef struct {
  const rill__window_cfg *cfg; /* not refcounted */
  const rill_aggregate *agg;
  int64_t gap, lateness;
  size_t stride;               /* sess + accumulator */
  rill__table *keys;           /* key -> GArray * of sess (owned) */
  int64_t wm;
  int64_t next_due;
  guint64 n_sessions;
  GByteArray *dirty;           /* keys touched late: [u32 len][key]... */
  GString *res;
} session_state;

static inline sess *sess_at(GArray *a, const session_state *st, guint i)
{
  return (sess *)(a->data + (gsize)i * st->stride);
}

static void report_bytes(rill_ctx *ctx, session_state *st)
{
  rill_ctx_set_state_bytes(ctx, rill__table_bytes(st->keys) + st->n_sessions * st->stride);
}

static gboolean session_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  const rill__window_cfg *cfg = user_data;
  if (!rill_window_spec_validate(&cfg->spec, error))
    return FALSE;
  if (!cfg->agg->f.merge) {
    g_set_error(error, RILL_WINDOW_ERROR, RILL_WINDOW_ERROR_INVALID,
                "aggregate '%s' has no merge callback, which session windows need", cfg->agg->name);
    return FALSE;
  }
  session_state *st = g_new0(session_state, 1);
  st->cfg = cfg;
  st->agg = cfg->agg;
  st->gap = cfg->spec.gap_ms;
  st->lateness = cfg->spec.allowed_lateness_ms;
  st->stride = sizeof(sess) + ((cfg->agg->f.acc_size + 7) & ~(size_t)7);
  st->keys = rill__table_new(sizeof(GArray *));
  st->wm = INT64_MIN;
  st->next_due = INT64_MAX;
  st->dirty = g_byte_array_new();
  st->res = g_string_sized_new(64);
  *state = st;
  return TRUE;
}

static void free_sessions(session_state *st, GArray *a)
{
  for (guint i = 0; i < a->len; i++)
    rill__agg_destroy(st->agg, ACC(sess_at(a, st, i)));
  st->n_sessions -= a->len;
  g_array_unref(a);
}

static void session_close(rill_ctx *ctx, void *state)
{
  session_state *st = state;
  void *v;
  for (size_t it = 0; rill__table_next(st->keys, &it, NULL, &v);)
    free_sessions(st, *(GArray **)v);
  rill__table_free(st->keys);
  g_byte_array_unref(st->dirty);
  g_string_free(st->res, TRUE);
  g_free(st);
}

static rill_flow emit_session(session_state *st, rill_emitter *out, rill_bytes key, sess *s, guint64 update)
{
  gboolean has = rill__agg_result(st->agg, ACC(s), st->res);
  return rill__window_emit(out, key, st->res, has, s->start, s->end, update);
}

static inline void due(session_state *st, const sess *s)
{
  int64_t t = s->fired ? rill__sat_add(s->end - 1, st->lateness) : s->end - 1;
  st->next_due = MIN(st->next_due, t);
}

/* Adds record @r (at @ts) to @key's sessions. */
static void add_record(session_state *st, GArray *a, const rill_record *r, int64_t ts, gboolean *touched_fired)
{
  int64_t ns = ts, ne = ts + st->gap;
  gint into = -1;
  for (guint j = 0; j < a->len; j++) {
    sess *s = sess_at(a, st, j);
    if (s->start > ne)
      break;
    if (s->end < ns)
      continue;
    if (into < 0) {
      into = (gint)j;
      s->start = MIN(s->start, ns);
      s->end = MAX(s->end, ne);
      ns = s->start;
      ne = s->end;
      continue;
    }
    /* A second overlap: fold session j into `into`. */
    sess *m = sess_at(a, st, (guint)into);
    m->end = MAX(m->end, s->end);
    ne = m->end;
    m->fired |= s->fired;
    rill__agg_merge(st->agg, ACC(m), ACC(s));
    rill__agg_destroy(st->agg, ACC(s));
    g_array_remove_index(a, j);
    st->n_sessions--;
    j--;
  }
  sess *m;
  if (into < 0) {
    guint pos = 0;
    while (pos < a->len && sess_at(a, st, pos)->start < ns)
      pos++;
    g_array_set_size(a, a->len + 1);
    memmove(a->data + (gsize)(pos + 1) * st->stride, a->data + (gsize)pos * st->stride,
            (gsize)(a->len - 1 - pos) * st->stride);
    m = sess_at(a, st, pos);
    memset(m, 0, sizeof *m);
    m->start = ns;
    m->end = ne;
    rill__agg_init(st->agg, ACC(m));
    st->n_sessions++;
  } else {
    m = sess_at(a, st, (guint)into);
  }
  rill__agg_add(st->agg, ACC(m), r);
  if (m->fired) {
    if (m->end - 1 <= st->wm) {
      m->dirty = 1;
      *touched_fired = TRUE;
    } else {
      m->fired = 0; /* grew past the watermark: it fires again normally */
    }
  }
  due(st, m);
}

static rill_flow flush_dirty(session_state *st, rill_emitter *out)
{
  rill_flow flow = RILL_FLOW_OK;
  const uint8_t *p = st->dirty->data, *end = p + st->dirty->len;
  while (flow == RILL_FLOW_OK && p < end) {
    uint32_t klen;
    memcpy(&klen, p, 4);
    rill_bytes key = rill_bytes_make(p + 4, klen);
    p += 4 + klen;
    GArray **a = rill__table_lookup(st->keys, key.data, key.len, rill__hash(key.data, key.len));
    for (guint j = 0; a && flow == RILL_FLOW_OK && j < (*a)->len; j++) {
      sess *s = sess_at(*a, st, j);
      if (s->dirty) {
        s->dirty = 0;
        flow = emit_session(st, out, key, s, 1);
      }
    }
  }
  g_byte_array_set_size(st->dirty, 0);
  return flow;
}

static rill_flow session_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  session_state *st = state;
  const rill_record *r = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  for (size_t i = 0; i < n; i++) {
    int64_t ts = r[i].timestamp;
    if (G_UNLIKELY(ts < -RILL__WINDOW_MAX_TS || ts > RILL__WINDOW_MAX_TS) ||
        rill__sat_add(ts + st->gap - 1, st->lateness) <= st->wm) {
      rill__window_late(ctx, &st->cfg->spec, &r[i]);
      continue;
    }
    const rill_bytes *k = &r[i].key;
    gboolean created, touched = FALSE;
    GArray **a = rill__table_upsert(st->keys, k->data, k->len, rill__hash(k->data, k->len), &created);
    if (created)
      *a = g_array_new(FALSE, FALSE, (guint)st->stride);
    add_record(st, *a, &r[i], ts, &touched);
    if (touched) {
      uint32_t klen = (uint32_t)k->len;
      g_byte_array_append(st->dirty, (const uint8_t *)&klen, 4);
      g_byte_array_append(st->dirty, k->data ? k->data : (const uint8_t *)"", klen);
    }
  }
  rill_batch_unref(batch);
  rill_flow flow = st->dirty->len ? flush_dirty(st, out) : RILL_FLOW_OK;
  report_bytes(ctx, st);
  return flow;
}

static rill_flow advance(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  session_state *st = state;
  int64_t w = MIN(watermark, RILL__END_OF_TIME);
  if (w <= st->wm)
    return RILL_FLOW_OK; /* nothing can have become due */
  st->wm = w;
  if (w < st->next_due)
    return RILL_FLOW_OK;
  st->next_due = INT64_MAX;
  rill_flow flow = RILL_FLOW_OK;
  rill_bytes key;
  void *v;
  for (size_t it = 0; rill__table_next(st->keys, &it, &key, &v);) {
    GArray *a = *(GArray **)v;
    for (guint j = 0; j < a->len; j++) {
      sess *s = sess_at(a, st, j);
      if (!s->fired && s->end - 1 <= w) {
        if (flow == RILL_FLOW_OK)
          flow = emit_session(st, out, key, s, 0);
        s->fired = 1;
      }
      if (rill__sat_add(s->end - 1, st->lateness) <= w) {
        rill__agg_destroy(st->agg, ACC(s));
        g_array_remove_index(a, j);
        st->n_sessions--;
        j--;
        continue;
      }
      due(st, s);
    }
    if (a->len == 0) {
      g_array_unref(a);
      rill__table_remove_current(st->keys, it);
    }
  }
  report_bytes(ctx, st);
  return flow;
}

static rill_flow session_on_watermark(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  return rill__advance_and_forward(ctx, state, watermark, out, advance);
}

static rill_flow session_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  return advance(ctx, state, RILL__END_OF_TIME, out);
}

/* ---- checkpoints --------------------------------------------------------
 * i64 watermark, i64 next_due, u32 keys, per key: u32-prefixed key, u32
 * sessions, per session: i64 start, i64 end, u32 fired, accumulator. */

static rill_flow session_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  session_state *st = state;
  if (!rill__agg_snapshot_check(st->agg, ctx))
    return RILL_FLOW_ERROR;
  rill__snap_i64(out, st->wm);
  rill__snap_i64(out, st->next_due);
  rill__snap_u32(out, (uint32_t)rill__table_len(st->keys));
  rill_bytes key;
  void *v;
  for (size_t it = 0; rill__table_next(st->keys, &it, &key, &v);) {
    GArray *a = *(GArray **)v;
    rill__snap_bytes(out, key.data, key.len);
    rill__snap_u32(out, a->len);
    for (guint i = 0; i < a->len; i++) {
      sess *s = sess_at(a, st, i);
      rill__snap_i64(out, s->start);
      rill__snap_i64(out, s->end);
      rill__snap_u32(out, (uint32_t)s->fired);
      rill__agg_acc_snapshot(st->agg, ACC(s), out);
    }
  }
  return RILL_FLOW_OK;
}

static gboolean session_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  session_state *st = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  st->wm = rill__snap_get_i64(&r);
  st->next_due = rill__snap_get_i64(&r);
  uint32_t n = rill__snap_get_u32(&r);
  gboolean ok = r.ok;
  for (uint32_t k = 0; ok && k < n; k++) {
    size_t kl;
    const uint8_t *key = rill__snap_get_bytes(&r, &kl);
    uint32_t ns = rill__snap_get_u32(&r);
    ok = r.ok && ns <= (uint32_t)(r.end - r.p);
    if (!ok)
      break;
    GArray **slot = rill__table_upsert(st->keys, key, kl, rill__hash(key, kl), NULL);
    if (!*slot)
      *slot = g_array_new(FALSE, FALSE, (guint)st->stride);
    GArray *a = *slot;
    for (uint32_t i = 0; ok && i < ns; i++) {
      g_array_set_size(a, a->len + 1);
      sess *s = sess_at(a, st, a->len - 1);
      memset(s, 0, st->stride);
      s->start = rill__snap_get_i64(&r);
      s->end = rill__snap_get_i64(&r);
      s->fired = (int32_t)rill__snap_get_u32(&r);
      st->n_sessions++;
      ok = rill__agg_acc_restore(st->agg, ACC(s), &r);
      if (!ok)
        rill__agg_init(st->agg, ACC(s));
    }
  }
  if (!ok || !rill__snap_done(&r)) {
    g_set_error(error, RILL_WINDOW_ERROR, RILL_WINDOW_ERROR_INVALID, "malformed session window snapshot");
    return FALSE;
  }
  report_bytes(ctx, st);
  return TRUE;
}

const rill_operator_class rill__window_session_class = {
  .type_name = "window-session",
  .open = session_open,
  .process = session_process,
  .on_watermark = session_on_watermark,
  .finish = session_finish,
  .close = session_close,
  .snapshot = session_snapshot,
  .restore = session_restore,
};
