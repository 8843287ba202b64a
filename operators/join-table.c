/* join-table.c — stream–table enrichment join: input 1 is a changelog
 * (latest value per join key; an absent value deletes the key), input 0
 * the stream joined with the table as of each record's timestamp.
 *
 * State per task: the table overlay (a rill__table: join key -> latest
 * changelog record, tombstones included while the shared file table has
 * the key, so the deletion hides it), and a pending queue of stream
 * records and updates not yet covered by the watermark, ordered by (ts,
 * updates first, arrival).
 *
 * Invariants:
 * - Every pending record has ts > the last watermark. A watermark applies
 *   the pending records it covers in queue order, so a stream record sees
 *   exactly the updates with ts <= its own (plus those applied at once,
 *   below), whatever order the two inputs arrived in.
 * - Records without a timestamp and late records (ts <= W) never wait:
 *   they are applied at once against the current table.
 * - The file table (rill_join.file_table) is read-only and shared; the
 *   overlay always wins over it. */
#include "operators/event-time-private.h"
#include "operators/join-private.h"
#include "runtime/snap.h"

typedef struct {
  rill_join *join;      /* not refcounted: the stage's user_data holds it */
  rill__table *table;   /* join key -> rill__join_rec* (owned, latest update) */
  size_t table_bytes;   /* accounted for the table's slots and keys */
  GTree *pending;       /* rill__join_rec* -> same, see pending_cmp */
  GByteArray *scratch;
  int64_t watermark;    /* last watermark received, INT64_MIN before any */
  guint64 seq;
  rill__join_acct acct;
} tjoin;

#define INDEX_BYTES ((gint64)(5 * sizeof(void *)))

/* (ts, updates before stream records, arrival). */
static gint pending_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
  const rill__join_rec *x = a, *y = b;
  if (x->order_ts != y->order_ts)
    return x->order_ts < y->order_ts ? -1 : 1;
  if (x->side != y->side)
    return x->side == RILL_JOIN_SIDE_RIGHT ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static gboolean tjoin_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  tjoin *s = g_new0(tjoin, 1);
  s->join = user_data;
  s->table = rill__table_new(sizeof(rill__join_rec *));
  s->pending = g_tree_new_full(pending_cmp, NULL, NULL, NULL);
  s->scratch = g_byte_array_new();
  s->watermark = INT64_MIN;
  s->acct.join = s->join;
  *state = s;
  return TRUE;
}

static void rec_free(tjoin *s, rill__join_rec *rec)
{
  rill__join_acct_add(&s->acct, -(gint64)rec->size, -1);
  rill__join_rec_free(rec);
}

/* Takes @u (transfer full, accounted) as the latest table record for its
 * key. */
static void apply_update(tjoin *s, rill__join_rec *u)
{
  rill_join *join = s->join;
  rill_bytes key = rill__join_extract_key(join, RILL_JOIN_SIDE_RIGHT, &u->rec, s->scratch);
  if (!key.data) {
    rill__join_count(&join->unkeyed_records, 1);
    rec_free(s, u);
    return;
  }
  uint64_t hash = rill__hash(key.data, key.len);
  /* A tombstone is kept only where it hides a file-table entry. */
  if (u->rec.value.data != NULL || rill__join_file_lookup(join, key, hash) != NULL) {
    rill__join_rec **row = rill__table_upsert(s->table, key.data, key.len, hash, NULL);
    if (*row)
      rec_free(s, *row);
    *row = u;
    rill__join_acct_table(&s->acct, s->table, &s->table_bytes);
    return;
  }
  rill__join_rec **row = rill__table_lookup(s->table, key.data, key.len, hash);
  if (row) {
    rec_free(s, *row);
    rill__table_remove(s->table, key.data, key.len, hash);
    rill__join_acct_table(&s->acct, s->table, &s->table_bytes);
  }
  rec_free(s, u);
}

/* Joins stream record @r with the current table. */
static rill_flow apply_stream(rill_ctx *ctx, tjoin *s, const rill_record *r, rill_emitter *out)
{
  rill_join *join = s->join;
  rill_bytes key = rill__join_extract_key(join, RILL_JOIN_SIDE_LEFT, r, s->scratch);
  const rill_record *match = NULL;
  if (!key.data) {
    rill__join_count(&join->unkeyed_records, 1);
  } else {
    uint64_t hash = rill__hash(key.data, key.len);
    rill__join_rec *const *over = rill__table_lookup(s->table, key.data, key.len, hash);
    const rill__join_rec *row = over ? *over : rill__join_file_lookup(join, key, hash);
    if (row && row->rec.value.data)
      match = &row->rec;
  }
  if (!match && join->kind == RILL_JOIN_INNER)
    return RILL_FLOW_OK;
  return rill__join_emit(join, ctx, r, match, key, r->timestamp, out);
}

static rill_flow tjoin_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  tjoin *s = state;
  rill_join *join = s->join;
  const rill_record *r = rill_batch_records(batch);
  rill_flow flow = RILL_FLOW_OK;
  for (size_t i = 0, n = rill_batch_len(batch); i < n && flow == RILL_FLOW_OK; i++) {
    int64_t ts = r[i].timestamp;
    gboolean now = ts == RILL_TIMESTAMP_NONE || ts <= s->watermark;
    if (ts != RILL_TIMESTAMP_NONE && ts <= s->watermark)
      rill__join_count(&join->late_records, 1);
    if (now && input == RILL_JOIN_SIDE_LEFT) {
      flow = apply_stream(ctx, s, &r[i], out);
      continue;
    }
    rill__join_rec *rec = rill__join_rec_new(&r[i], (rill_bytes){NULL, 0});
    rill__join_acct_add(&s->acct, (gint64)rec->size, 1);
    if (now) {
      apply_update(s, rec);
      continue;
    }
    rec->order_ts = ts;
    rec->seq = s->seq++;
    rec->side = (guint8)input;
    g_tree_insert(s->pending, rec, rec);
    rill__join_acct_add(&s->acct, INDEX_BYTES, 0);
  }
  rill_batch_unref(batch);
  rill__join_acct_flush(&s->acct, ctx);
  return flow;
}

/* Applies the pending records with ts <= @wm in order. */
static rill_flow apply_until(rill_ctx *ctx, tjoin *s, int64_t wm, rill_emitter *out)
{
  GTreeNode *n;
  while ((n = g_tree_node_first(s->pending)) != NULL) {
    rill__join_rec *rec = g_tree_node_value(n);
    if (rec->order_ts > wm)
      break;
    g_tree_remove(s->pending, rec);
    rill__join_acct_add(&s->acct, -INDEX_BYTES, 0);
    if (rec->side == RILL_JOIN_SIDE_RIGHT) {
      apply_update(s, rec);
      continue;
    }
    rill_flow flow = apply_stream(ctx, s, &rec->rec, out);
    rec_free(s, rec);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

/* A rill__advance_fn: catches up with the highest watermark seen. */
static rill_flow advance(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  tjoin *s = state;
  if (watermark > s->watermark)
    s->watermark = watermark;
  rill_flow flow = apply_until(ctx, s, s->watermark, out);
  rill__join_acct_flush(&s->acct, ctx);
  return flow;
}

static rill_flow tjoin_on_watermark(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  return rill__advance_and_forward(ctx, state, watermark, out, advance);
}

static rill_flow tjoin_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  tjoin *s = state;
  rill__join_count(&s->join->finish_flushed_records, (guint64)g_tree_nnodes(s->pending));
  return advance(ctx, s, INT64_MAX, out); /* joins hold any timestamp: past the end of time */
}

static void tjoin_close(rill_ctx *ctx, void *state)
{
  tjoin *s = state;
  GTreeNode *n;
  while ((n = g_tree_node_first(s->pending)) != NULL) {
    rill__join_rec *rec = g_tree_node_value(n);
    g_tree_remove(s->pending, rec);
    rill__join_acct_add(&s->acct, -INDEX_BYTES, 0);
    rec_free(s, rec);
  }
  void *v;
  for (size_t it = 0; rill__table_next(s->table, &it, NULL, &v);)
    rec_free(s, *(rill__join_rec **)v);
  rill__table_free(s->table);
  rill__join_acct_table(&s->acct, NULL, &s->table_bytes);
  rill__join_acct_flush(&s->acct, NULL);
  g_tree_destroy(s->pending);
  g_byte_array_unref(s->scratch);
  g_free(s);
}

/* ---- checkpoints --------------------------------------------------------
 * i64 watermark, u64 seq, u32 table rows, per row: u32-prefixed key + the
 * record (snap.h); u32 pending, per pending record: i64 ts, u64 seq, u8
 * side, the record. */

static gboolean snap_pending(gpointer key, gpointer value, gpointer data)
{
  const rill__join_rec *rec = value;
  GByteArray *out = data;
  rill__snap_i64(out, rec->order_ts);
  rill__snap_u64(out, rec->seq);
  rill__snap_u8(out, rec->side);
  rill__snap_record(out, &rec->rec);
  return FALSE;
}

static rill_flow tjoin_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  tjoin *s = state;
  rill__snap_i64(out, s->watermark);
  rill__snap_u64(out, s->seq);
  rill__snap_u32(out, (uint32_t)rill__table_len(s->table));
  rill_bytes key;
  void *v;
  for (size_t it = 0; rill__table_next(s->table, &it, &key, &v);) {
    rill__snap_bytes(out, key.data, key.len);
    rill__snap_record(out, &(*(const rill__join_rec **)v)->rec);
  }
  rill__snap_u32(out, (uint32_t)g_tree_nnodes(s->pending));
  g_tree_foreach(s->pending, snap_pending, out);
  return RILL_FLOW_OK;
}

static rill__join_rec *get_rec(tjoin *s, rill__snap_reader *r)
{
  rill_record rec;
  rill_header *h;
  char *topic;
  if (!rill__snap_get_record(r, &rec, &h, &topic))
    return NULL;
  rill__join_rec *jr = rill__join_rec_new(&rec, (rill_bytes){NULL, 0});
  g_free(h);
  g_free(topic);
  rill__join_acct_add(&s->acct, (gint64)jr->size, 1);
  return jr;
}

static gboolean tjoin_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  tjoin *s = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  s->watermark = rill__snap_get_i64(&r);
  s->seq = rill__snap_get_u64(&r);
  uint32_t n = rill__snap_get_u32(&r);
  for (uint32_t i = 0; r.ok && i < n; i++) {
    size_t kl;
    const uint8_t *kd = rill__snap_get_bytes(&r, &kl);
    rill__join_rec *jr = r.ok ? get_rec(s, &r) : NULL;
    if (!jr)
      break;
    kd = kd ? kd : (const uint8_t *)"";
    rill__join_rec **row = rill__table_upsert(s->table, kd, kl, rill__hash(kd, kl), NULL);
    if (*row)
      rec_free(s, *row); /* a duplicate key in a damaged snapshot */
    *row = jr;
  }
  rill__join_acct_table(&s->acct, s->table, &s->table_bytes);
  n = rill__snap_get_u32(&r);
  for (uint32_t i = 0; r.ok && i < n; i++) {
    int64_t ts = rill__snap_get_i64(&r);
    guint64 seq = rill__snap_get_u64(&r);
    guint8 side = rill__snap_get_u8(&r);
    rill__join_rec *jr = r.ok ? get_rec(s, &r) : NULL;
    if (!jr)
      break;
    jr->order_ts = ts;
    jr->seq = seq;
    jr->side = side;
    g_tree_insert(s->pending, jr, jr);
    rill__join_acct_add(&s->acct, INDEX_BYTES, 0);
  }
  rill__join_acct_flush(&s->acct, ctx);
  if (!rill__snap_done(&r)) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "malformed table join snapshot");
    return FALSE;
  }
  return TRUE;
}

const rill_operator_class rill__join_table_class = {
  .type_name = "join-table",
  .open = tjoin_open,
  .process = tjoin_process,
  .on_watermark = tjoin_on_watermark,
  .finish = tjoin_finish,
  .close = tjoin_close,
  .snapshot = tjoin_snapshot,
  .restore = tjoin_restore,
};
