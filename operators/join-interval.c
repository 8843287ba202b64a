/* join-interval.c — interval join: right record b matches left record a
 * when their keys are equal and lower <= b.ts - a.ts <= upper.
 *
 * State per task: a rill__table join key -> the key's stored left and right
 * records (queues in arrival order, held inline in the table), and one time
 * index over all stored records ordered by expiry (each record carries its
 * join key, so expiry finds the key's queues by lookup): a left record can
 * still meet a future right record only while a.ts + upper > W, a right
 * record a future left record only while b.ts - lower > W (future records
 * all have ts > W).
 *
 * Invariants:
 * - Every stored record has expiry > the last watermark; a watermark
 *   removes the records it passes (oldest expiry first) before being
 *   forwarded, emitting unmatched left records of a left join then.
 * - Records with ts <= W on arrival are late: counted, not joined.
 * - Results: a match carries max(a.ts, b.ts); an unmatched left record
 *   a.ts + max(upper, 0). Both exceed every watermark already forwarded. */
#include "operators/event-time-private.h"
#include "operators/join-private.h"
#include "runtime/snap.h"

/* A key's value in the table. The queues' links live in the records and
 * never point back here, so the table may move it when it grows. */
typedef struct {
  GQueue left, right;   /* of rill__join_rec.link */
} kstate;

typedef struct {
  rill_join *join;      /* not refcounted: the stage's user_data holds it */
  rill__table *keys;    /* join key -> kstate; no key has both queues empty */
  size_t keys_bytes;    /* accounted for the table */
  GTree *expiry;        /* rill__join_rec* (by order_ts = expiry, seq) -> same */
  GByteArray *scratch;
  int64_t watermark;    /* last watermark received, INT64_MIN before any */
  guint64 seq;
  rill__join_acct acct;
} ijoin;

/* A GTree node: key, value, left, right, balance/flags. */
#define INDEX_BYTES ((gint64)(5 * sizeof(void *)))

static gboolean ijoin_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  ijoin *s = g_new0(ijoin, 1);
  s->join = user_data;
  s->keys = rill__table_new(sizeof(kstate));
  s->expiry = g_tree_new_full(rill__join_rec_cmp, NULL, NULL, NULL);
  s->scratch = g_byte_array_new();
  s->watermark = INT64_MIN;
  s->acct.join = s->join;
  *state = s;
  return TRUE;
}

static int64_t unmatched_ts(const rill_join *join, const rill__join_rec *a)
{
  return rill__join_sat_add(a->rec.timestamp, MAX(join->upper_ms, 0));
}

/* Drops @rec from its key's queue and the index; removes the key when
 * both its queues become empty. */
static void unlink_rec(ijoin *s, rill__join_rec *rec)
{
  rill_bytes key = rec->key;
  uint64_t hash = rill__hash(key.data, key.len);
  kstate *k = rill__table_lookup(s->keys, key.data, key.len, hash);
  g_tree_remove(s->expiry, rec);
  g_queue_unlink(rec->side == RILL_JOIN_SIDE_LEFT ? &k->left : &k->right, &rec->link);
  if (k->left.length == 0 && k->right.length == 0) {
    rill__table_remove(s->keys, key.data, key.len, hash);
    rill__join_acct_table(&s->acct, s->keys, &s->keys_bytes);
  }
  rill__join_acct_add(&s->acct, -(gint64)rec->size - INDEX_BYTES, -1);
  rill__join_rec_free(rec);
}

/* Stores @rec (accounted by the caller) under its join key. */
static void link_rec(ijoin *s, rill__join_rec *rec)
{
  rill_bytes key = rec->key;
  kstate *k = rill__table_upsert(s->keys, key.data, key.len, rill__hash(key.data, key.len), NULL);
  rec->link.data = rec;
  g_queue_push_tail_link(rec->side == RILL_JOIN_SIDE_LEFT ? &k->left : &k->right, &rec->link);
  g_tree_insert(s->expiry, rec, rec);
  rill__join_acct_table(&s->acct, s->keys, &s->keys_bytes);
  rill__join_acct_add(&s->acct, INDEX_BYTES, 0);
}

static rill_flow add_record(rill_ctx *ctx, ijoin *s, guint side, const rill_record *r, rill_emitter *out)
{
  rill_join *join = s->join;
  int64_t ts = r->timestamp;
  if (ts == RILL_TIMESTAMP_NONE || ts <= s->watermark) {
    rill__join_count(&join->late_records, 1);
    return RILL_FLOW_OK;
  }
  gboolean left = side == RILL_JOIN_SIDE_LEFT;
  int64_t unmatched_at = rill__join_sat_add(ts, MAX(join->upper_ms, 0));
  rill_bytes key = rill__join_extract_key(join, side, r, s->scratch);
  if (!key.data) {
    rill__join_count(&join->unkeyed_records, 1);
    if (left && join->kind == RILL_JOIN_LEFT)
      return rill__join_emit(join, ctx, r, NULL, key, unmatched_at, out);
    return RILL_FLOW_OK;
  }
  kstate *k = rill__table_lookup(s->keys, key.data, key.len, rill__hash(key.data, key.len));
  gboolean matched = FALSE;
  rill_flow flow = RILL_FLOW_OK;
  if (k) {
    for (GList *l = left ? k->right.head : k->left.head; l && flow == RILL_FLOW_OK; l = l->next) {
      rill__join_rec *o = l->data;
      const rill_record *a = left ? r : &o->rec, *b = left ? &o->rec : r;
      if (b->timestamp < rill__join_sat_add(a->timestamp, join->lower_ms) ||
          b->timestamp > rill__join_sat_add(a->timestamp, join->upper_ms))
        continue;
      matched = TRUE;
      if (!left)
        o->matched = 1;
      flow = rill__join_emit(join, ctx, a, b, key, MAX(a->timestamp, b->timestamp), out);
    }
  }
  if (flow != RILL_FLOW_OK)
    return flow;
  int64_t expires = left ? rill__join_sat_add(ts, join->upper_ms) : rill__join_sat_sub(ts, join->lower_ms);
  if (expires <= s->watermark) {
    /* Can meet no future record: done with it now. */
    if (left && !matched && join->kind == RILL_JOIN_LEFT)
      return rill__join_emit(join, ctx, r, NULL, key, unmatched_at, out);
    return RILL_FLOW_OK;
  }
  rill__join_rec *rec = rill__join_rec_new(r, key);
  rec->order_ts = expires;
  rec->seq = s->seq++;
  rec->side = (guint8)side;
  rec->matched = matched;
  rill__join_acct_add(&s->acct, (gint64)rec->size, 1);
  link_rec(s, rec);
  return RILL_FLOW_OK;
}

static rill_flow ijoin_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  ijoin *s = state;
  const rill_record *r = rill_batch_records(batch);
  rill_flow flow = RILL_FLOW_OK;
  for (size_t i = 0, n = rill_batch_len(batch); i < n && flow == RILL_FLOW_OK; i++)
    flow = add_record(ctx, s, input, &r[i], out);
  rill_batch_unref(batch);
  rill__join_acct_flush(&s->acct, ctx);
  return flow;
}

/* Removes every record with expiry <= @wm, oldest first. */
static rill_flow expire_until(rill_ctx *ctx, ijoin *s, int64_t wm, rill_emitter *out)
{
  rill_join *join = s->join;
  GTreeNode *n;
  while ((n = g_tree_node_first(s->expiry)) != NULL) {
    rill__join_rec *rec = g_tree_node_value(n);
    if (rec->order_ts > wm)
      break;
    rill_flow flow = RILL_FLOW_OK;
    if (rec->side == RILL_JOIN_SIDE_LEFT && !rec->matched && join->kind == RILL_JOIN_LEFT)
      flow = rill__join_emit(join, ctx, &rec->rec, NULL, rec->key, unmatched_ts(join, rec), out);
    unlink_rec(s, rec);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

/* A rill__advance_fn: catches up with the highest watermark seen. */
static rill_flow advance(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  ijoin *s = state;
  if (watermark > s->watermark)
    s->watermark = watermark;
  rill_flow flow = expire_until(ctx, s, s->watermark, out);
  rill__join_acct_flush(&s->acct, ctx);
  return flow;
}

static rill_flow ijoin_on_watermark(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  return rill__advance_and_forward(ctx, state, watermark, out, advance);
}

static rill_flow ijoin_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  ijoin *s = state;
  rill__join_count(&s->join->finish_flushed_records, (guint64)g_tree_nnodes(s->expiry));
  return advance(ctx, s, INT64_MAX, out); /* joins hold any timestamp: past the end of time */
}

static void ijoin_close(rill_ctx *ctx, void *state)
{
  ijoin *s = state;
  GTreeNode *n;
  while ((n = g_tree_node_first(s->expiry)) != NULL)
    unlink_rec(s, g_tree_node_value(n));
  rill__table_free(s->keys);
  rill__join_acct_table(&s->acct, NULL, &s->keys_bytes);
  rill__join_acct_flush(&s->acct, NULL);
  g_tree_destroy(s->expiry);
  g_byte_array_unref(s->scratch);
  g_free(s);
}

/* ---- checkpoints --------------------------------------------------------
 * i64 watermark, u64 seq, u32 keys, per key: u32-prefixed key, then per
 * side (left, right): u32 count, per record in arrival order: i64 expiry,
 * u64 seq, u8 matched, the record (snap.h). */

static void snap_queue(GByteArray *out, GQueue *q)
{
  rill__snap_u32(out, q->length);
  for (GList *l = q->head; l; l = l->next) {
    rill__join_rec *rec = l->data;
    rill__snap_i64(out, rec->order_ts);
    rill__snap_u64(out, rec->seq);
    rill__snap_u8(out, rec->matched);
    rill__snap_record(out, &rec->rec);
  }
}

static rill_flow ijoin_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  ijoin *s = state;
  rill__snap_i64(out, s->watermark);
  rill__snap_u64(out, s->seq);
  rill__snap_u32(out, (uint32_t)rill__table_len(s->keys));
  rill_bytes key;
  void *v;
  for (size_t it = 0; rill__table_next(s->keys, &it, &key, &v);) {
    kstate *k = v;
    rill__snap_bytes(out, key.data, key.len);
    snap_queue(out, &k->left);
    snap_queue(out, &k->right);
  }
  return RILL_FLOW_OK;
}

static gboolean ijoin_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  ijoin *s = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  s->watermark = rill__snap_get_i64(&r);
  s->seq = rill__snap_get_u64(&r);
  uint32_t nk = rill__snap_get_u32(&r);
  for (uint32_t i = 0; r.ok && i < nk; i++) {
    size_t kl;
    const uint8_t *kd = rill__snap_get_bytes(&r, &kl);
    if (!r.ok)
      break;
    rill_bytes key = rill_bytes_make(kd ? kd : (const uint8_t *)"", kl);
    for (guint side = 0; side < 2 && r.ok; side++) {
      uint32_t nr = rill__snap_get_u32(&r);
      for (uint32_t j = 0; r.ok && j < nr; j++) {
        int64_t order_ts = rill__snap_get_i64(&r);
        guint64 seq = rill__snap_get_u64(&r);
        guint8 matched = rill__snap_get_u8(&r);
        rill_record rec;
        rill_header *h;
        char *topic;
        if (!rill__snap_get_record(&r, &rec, &h, &topic))
          break;
        rill__join_rec *jr = rill__join_rec_new(&rec, key);
        g_free(h);
        g_free(topic);
        jr->order_ts = order_ts;
        jr->seq = seq;
        jr->side = (guint8)side;
        jr->matched = matched;
        rill__join_acct_add(&s->acct, (gint64)jr->size, 1);
        link_rec(s, jr);
      }
    }
  }
  rill__join_acct_flush(&s->acct, ctx);
  if (!rill__snap_done(&r)) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "malformed interval join snapshot");
    return FALSE;
  }
  return TRUE;
}

const rill_operator_class rill__join_interval_class = {
  .type_name = "join-interval",
  .open = ijoin_open,
  .process = ijoin_process,
  .on_watermark = ijoin_on_watermark,
  .finish = ijoin_finish,
  .close = ijoin_close,
  .snapshot = ijoin_snapshot,
  .restore = ijoin_restore,
};
