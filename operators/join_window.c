/* join_window.c — windowed stream–stream join (inner and left) over
 * tumbling event-time windows.
 *
 * State per task: an ordered map window start -> window, each window a hash
 * table join key -> entry holding copies of that key's left and right
 * records in that window. A record arriving on one side is matched at once
 * against the other side's records of its (key, window) and then stored.
 *
 * Invariants:
 * - Every window in the map is open: start + size - 1 > the last watermark.
 *   A watermark closes the windows it passes (in start order): unmatched
 *   left records are emitted (left join) and the window's state is freed
 *   before the watermark is forwarded, so downstream never sees a result
 *   older than a watermark it already got (results carry end - 1).
 * - A stored left record's `matched` flag is set as soon as any right
 *   record of its (key, window) exists; it is emitted unmatched at most once,
 *   at window close, and only if the flag is still clear. */
#include "operators/join-private.h"

typedef struct {
  rill__join_key *key;  /* owned, accounted */
  GPtrArray *left;      /* rill__join_rec*, arrival order */
  GPtrArray *right;
} entry;

typedef struct {
  int64_t start;        /* also the tree key (points here) */
  GHashTable *entries;  /* rill__join_key* (entry's) -> entry* */
} window;

typedef struct {
  rill_join *join;      /* not refcounted: the stage's user_data holds it */
  GTree *windows;       /* int64_t* start -> window* */
  GByteArray *scratch;  /* for key extractors */
  int64_t watermark;    /* last watermark received, INT64_MIN before any */
} wjoin;

/* Fixed overhead accounted per entry / window: the structs, their slots and
 * one pointer per stored record (the GPtrArray element). */
#define ENTRY_BYTES ((gint64)(sizeof(entry) + 2 * sizeof(GPtrArray) + RILL__JOIN_SLOT_BYTES))
#define WINDOW_BYTES ((gint64)(sizeof(window) + 64 + RILL__JOIN_SLOT_BYTES))
#define REC_SLOT_BYTES ((gint64)sizeof(void *))

static gint cmp_start(gconstpointer a, gconstpointer b, gpointer unused)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static void entry_free(rill_join *join, entry *e)
{
  for (guint i = 0; i < e->left->len; i++)
    rill__join_rec_free(join, e->left->pdata[i]);
  for (guint i = 0; i < e->right->len; i++)
    rill__join_rec_free(join, e->right->pdata[i]);
  rill__join_account(join, -(ENTRY_BYTES + REC_SLOT_BYTES * (gint64)(e->left->len + e->right->len)), 0);
  g_ptr_array_unref(e->left);
  g_ptr_array_unref(e->right);
  rill__join_key_free(join, e->key);
  g_free(e);
}

static void window_free(rill_join *join, window *w)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, w->entries);
  while (g_hash_table_iter_next(&it, NULL, &v))
    entry_free(join, v);
  g_hash_table_destroy(w->entries);
  rill__join_account(join, -WINDOW_BYTES, 0);
  g_free(w);
}

static gboolean wjoin_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  wjoin *s = g_new0(wjoin, 1);
  s->join = user_data;
  s->windows = g_tree_new_full(cmp_start, NULL, NULL, NULL);
  s->scratch = g_byte_array_new();
  s->watermark = INT64_MIN;
  *state = s;
  return TRUE;
}

static entry *lookup_entry(wjoin *s, int64_t start, rill_bytes key)
{
  window *w = g_tree_lookup(s->windows, &start);
  if (!w) {
    w = g_new(window, 1);
    w->start = start;
    w->entries = g_hash_table_new(rill__join_key_hash, rill__join_key_equal);
    g_tree_insert(s->windows, &w->start, w);
    rill__join_account(s->join, WINDOW_BYTES, 0);
  }
  rill__join_key view = rill__join_key_view(key);
  entry *e = g_hash_table_lookup(w->entries, &view);
  if (!e) {
    e = g_new(entry, 1);
    e->key = rill__join_key_new(s->join, key);
    e->left = g_ptr_array_new();
    e->right = g_ptr_array_new();
    g_hash_table_insert(w->entries, e->key, e);
    rill__join_account(s->join, ENTRY_BYTES, 0);
  }
  return e;
}

static rill_flow add_record(rill_ctx *ctx, wjoin *s, guint side, const rill_record *r, rill_emitter *out)
{
  rill_join *join = s->join;
  int64_t size = join->size_ms;
  if (r->timestamp == RILL_TIMESTAMP_NONE) {
    rill__join_count(&join->late_records, 1);
    return RILL_FLOW_OK;
  }
  int64_t start, last;
  int64_t mod = ((r->timestamp % size) + size) % size;
  /* start = floor(ts / size) * size. A window that would start below
   * INT64_MIN cannot be represented; its records count as late. */
  if (__builtin_sub_overflow(r->timestamp, mod, &start) || (last = rill__join_sat_add(start, size - 1)) <= s->watermark) {
    rill__join_count(&join->late_records, 1);
    return RILL_FLOW_OK;
  }
  rill_bytes key = rill__join_extract_key(join, side, r, s->scratch);
  if (!key.data) {
    rill__join_count(&join->unkeyed_records, 1);
    if (side == RILL_JOIN_SIDE_LEFT && join->kind == RILL_JOIN_LEFT)
      return rill__join_emit(join, ctx, r, NULL, key, last, out);
    return RILL_FLOW_OK;
  }
  entry *e = lookup_entry(s, start, key);
  rill_bytes ekey = rill_bytes_make(e->key->data, e->key->len);
  rill_flow flow = RILL_FLOW_OK;
  if (side == RILL_JOIN_SIDE_LEFT) {
    for (guint i = 0; i < e->right->len && flow == RILL_FLOW_OK; i++)
      flow = rill__join_emit(join, ctx, r, &((rill__join_rec *)e->right->pdata[i])->rec, ekey, last, out);
  } else {
    for (guint i = 0; i < e->left->len && flow == RILL_FLOW_OK; i++) {
      rill__join_rec *l = e->left->pdata[i];
      l->matched = 1;
      flow = rill__join_emit(join, ctx, &l->rec, r, ekey, last, out);
    }
  }
  rill__join_rec *rec = rill__join_rec_new(join, r);
  rec->side = (guint8)side;
  rec->matched = side == RILL_JOIN_SIDE_LEFT && e->right->len > 0;
  g_ptr_array_add(side == RILL_JOIN_SIDE_LEFT ? e->left : e->right, rec);
  rill__join_account(join, REC_SLOT_BYTES, 0);
  return flow;
}

static rill_flow wjoin_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  wjoin *s = state;
  const rill_record *r = rill_batch_records(batch);
  rill_flow flow = RILL_FLOW_OK;
  for (size_t i = 0, n = rill_batch_len(batch); i < n && flow == RILL_FLOW_OK; i++)
    flow = add_record(ctx, s, input, &r[i], out);
  rill_batch_unref(batch);
  return flow;
}

/* Emits the unmatched left records of @w (left join) and frees it. On an
 * emit failure the window stays in the map, for close() to free. */
static rill_flow close_window(rill_ctx *ctx, wjoin *s, window *w, rill_emitter *out)
{
  rill_join *join = s->join;
  if (join->kind == RILL_JOIN_LEFT) {
    int64_t last = rill__join_sat_add(w->start, join->size_ms - 1);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, w->entries);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
      entry *e = v;
      rill_bytes key = rill_bytes_make(e->key->data, e->key->len);
      for (guint i = 0; i < e->left->len; i++) {
        rill__join_rec *l = e->left->pdata[i];
        if (l->matched)
          continue;
        l->matched = 1; /* emitted: never again, even if a retry closes it again */
        rill_flow flow = rill__join_emit(join, ctx, &l->rec, NULL, key, last, out);
        if (flow != RILL_FLOW_OK)
          return flow;
      }
    }
  }
  g_tree_remove(s->windows, &w->start);
  window_free(join, w);
  return RILL_FLOW_OK;
}

/* Closes every window whose max timestamp is <= @wm, oldest first. */
static rill_flow close_until(rill_ctx *ctx, wjoin *s, int64_t wm, rill_emitter *out)
{
  GTreeNode *first;
  while ((first = g_tree_node_first(s->windows)) != NULL) {
    window *w = g_tree_node_value(first);
    if (rill__join_sat_add(w->start, s->join->size_ms - 1) > wm)
      break;
    rill_flow flow = close_window(ctx, s, w, out);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static rill_flow wjoin_on_watermark(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  wjoin *s = state;
  if (watermark > s->watermark)
    s->watermark = watermark;
  rill_flow flow = close_until(ctx, s, s->watermark, out);
  return flow == RILL_FLOW_OK ? rill_emit_watermark(out, watermark) : flow;
}

static rill_flow wjoin_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  wjoin *s = state;
  gint64 held = 0;
  GTreeNode *n;
  for (n = g_tree_node_first(s->windows); n; n = g_tree_node_next(n)) {
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, ((window *)g_tree_node_value(n))->entries);
    while (g_hash_table_iter_next(&it, NULL, &v))
      held += ((entry *)v)->left->len + ((entry *)v)->right->len;
  }
  rill__join_count(&s->join->finish_flushed_records, (guint64)held);
  return close_until(ctx, s, INT64_MAX, out);
}

static void wjoin_close(rill_ctx *ctx, void *state)
{
  wjoin *s = state;
  GTreeNode *n;
  while ((n = g_tree_node_first(s->windows)) != NULL) {
    window *w = g_tree_node_value(n);
    g_tree_remove(s->windows, &w->start);
    window_free(s->join, w);
  }
  g_tree_destroy(s->windows);
  g_byte_array_unref(s->scratch);
  g_free(s);
}

const rill_operator_class rill__join_window_class = {
  .type_name = "join-window",
  .open = wjoin_open,
  .process = wjoin_process,
  .on_watermark = wjoin_on_watermark,
  .finish = wjoin_finish,
  .close = wjoin_close,
};
