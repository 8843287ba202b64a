/* join-window.c — windowed stream–stream join (inner and left) over
 * tumbling event-time windows.
 *
 * State per task: an ordered map window start -> window, each window a
 * rill__table join key -> entry listing copies of that key's left and right
 * records in that window (the copies live in the window's arena, see
 * below). A record arriving on one side is matched at once against the
 * other side's records of its (key, window) and then stored.
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
#include "operators/event-time-private.h"
#include "operators/join-private.h"
#include "runtime/snap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Window records live in arenas: each window copies its records into
 * chunks and gives the chunks back when it closes. Nothing in
 * a window is freed on its own, so a window costs no allocation per record.
 * A window's chunks double from CHUNK_MIN to 256 KiB and then are CHUNK_MAX
 * (small windows stay small); CHUNK_MAX chunks are 2 MiB aligned and asked
 * to be backed by huge pages (one fault per 2 MiB instead of 512). Chunks of these sizes go to a
 * per-task pool (one list per size) when their window closes, and key
 * tables are recycled the same way (cleared, capacity kept), so in steady
 * state windows reuse memory without touching the allocator, regrowing
 * tables or faulting in fresh pages. Only chunks for records bigger than
 * CHUNK_MAX are freed at once. The pools go back to the system at close(). */
#define CHUNK_MIN ((size_t)16 * 1024)
#define CHUNK_MAX ((size_t)2 * 1024 * 1024)
#define N_SIZES 8 /* CHUNK_MIN << 0 .. 7 == CHUNK_MAX */

typedef struct chunk {
  struct chunk *next;
  size_t size;          /* bytes of the whole chunk, header included */
  size_t used, cap;     /* bytes of data[] */
  guint8 data[];
} chunk;

/* A stored record: a small header, then the copy of the record's bytes
 * (rill__join_copy). 96 bytes of header where rill__join_rec has 152:
 * a window join needs no join key, expiry order or back link. */
typedef struct wrec {
  rill_record rec;       /* views the copy after the struct */
  struct wrec *next;     /* the key's next record of this side, arrival order */
  guint8 matched;        /* left records: matched at least once */
} wrec;

/* A key's value in its window's table. Lists link records in the arena and
 * never point back here, so the table may move it when it grows. Kept to 32
 * bytes: with the table's slot header a slot is one cache line. */
typedef struct {
  wrec *left, *left_tail;   /* arrival order */
  wrec *right, *right_tail;
} entry;

typedef struct {
  int64_t start;        /* also the tree key (points here) */
  rill__table *entries; /* join key -> entry */
  size_t table_bytes;   /* accounted for the table */
  chunk *chunks;        /* the arena, newest first */
  size_t first_chunk;   /* size of the arena's first chunk (CHUNK_MIN, or the newest window's chunk size at creation) */
  gint64 bytes, records; /* accounted for this window */
} window;

typedef struct {
  rill_join *join;      /* not refcounted: the stage's user_data holds it */
  GTree *windows;       /* int64_t* start -> window* */
  GByteArray *scratch;  /* for key extractors */
  int64_t watermark;    /* last watermark received, INT64_MIN before any */
  chunk *pool[N_SIZES]; /* free chunks by size, CHUNK_MIN << i */
  GPtrArray *spare;     /* empty rill__table* of closed windows, for new ones */
  rill__join_acct acct;
  window *last;         /* the window find_window() found last, or NULL */
} wjoin;

/* Records whose table slots are prefetched before the first is matched. */
#define GROUP 8

/* Starts loading a stored record: its header and the first bytes of its
 * copy, which follow it (what a combine reads). */
static inline void prefetch_rec(const wrec *rec)
{
  const char *p = (const char *)rec;
  __builtin_prefetch(p);
  __builtin_prefetch(p + 64);
  __builtin_prefetch(p + 128);
  __builtin_prefetch(p + 192);
}

/* Fixed overhead accounted per window: the struct and its tree node (records:
 * their wrec header is in their size). */
#define WINDOW_BYTES ((gint64)(sizeof(window) + 64))

static gint cmp_start(gconstpointer a, gconstpointer b, gpointer unused)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static void account(wjoin *s, window *w, gint64 bytes, gint64 records)
{
  w->bytes += bytes;
  w->records += records;
  rill__join_acct_add(&s->acct, bytes, records);
}

static chunk *chunk_new(size_t size)
{
  chunk *c;
  if (size == CHUNK_MAX) {
    void *mem = NULL;
    if (posix_memalign(&mem, CHUNK_MAX, CHUNK_MAX) != 0)
      g_error("join: out of memory for a %zu-byte state chunk", size);
#ifdef MADV_HUGEPAGE
    madvise(mem, CHUNK_MAX, MADV_HUGEPAGE); /* a hint: failure only costs faults */
#endif
    c = mem;
  } else {
    c = g_malloc(size);
  }
  c->size = size;
  c->cap = size - sizeof(chunk);
  return c;
}

static void chunk_free(chunk *c)
{
  if (c->size == CHUNK_MAX)
    free(c); /* from posix_memalign */
  else
    g_free(c);
}

/* The pool a chunk of @size goes back to, or NULL (an oversized chunk). */
static chunk **pool_of(wjoin *s, size_t size)
{
  for (guint i = 0; i < N_SIZES; i++)
    if (size == CHUNK_MIN << i)
      return &s->pool[i];
  return NULL;
}

static void *arena_alloc(wjoin *s, window *w, size_t n)
{
  n = (n + 7) & ~(size_t)7;
  chunk *c = w->chunks;
  if (!c || c->cap - c->used < n) {
    size_t size = c ? c->size * 2 : w->first_chunk;
    if (size >= CHUNK_MAX / 4)
      size = CHUNK_MAX; /* as the state table does: 512 KiB and 1 MiB chunks would fault per 4 KiB page */
    if (size - sizeof(chunk) < n)
      size = n + sizeof(chunk) > CHUNK_MAX ? n + sizeof(chunk) : CHUNK_MAX;
    chunk **pool = pool_of(s, size);
    if (pool && *pool) {
      c = *pool;
      *pool = c->next;
    } else {
      c = chunk_new(size);
    }
    c->used = 0;
    c->next = w->chunks;
    w->chunks = c;
  }
  void *p = c->data + c->used;
  c->used += n;
  return p;
}

static void window_free(wjoin *s, window *w)
{
  if (s->last == w)
    s->last = NULL;
  rill__table_clear(w->entries);
  g_ptr_array_add(s->spare, w->entries);
  account(s, w, -w->bytes, -w->records);
  while (w->chunks) {
    chunk *c = w->chunks;
    w->chunks = c->next;
    chunk **pool = pool_of(s, c->size);
    if (pool) {
      c->next = *pool;
      *pool = c;
    } else {
      chunk_free(c);
    }
  }
  g_free(w);
}

static gboolean wjoin_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  wjoin *s = g_new0(wjoin, 1);
  s->join = user_data;
  s->windows = g_tree_new_full(cmp_start, NULL, NULL, NULL);
  s->scratch = g_byte_array_new();
  s->spare = g_ptr_array_new_with_free_func((GDestroyNotify)rill__table_free);
  s->watermark = INT64_MIN;
  s->acct.join = s->join;
  *state = s;
  return TRUE;
}

/* The entry of (@start, @key), created if absent. (transfer none: valid
 * until the next insert into the window) */
/* The open window starting at @start, or NULL. Consecutive records mostly
 * fall in one window: the last one found is tried first. */
static window *find_window(wjoin *s, int64_t start)
{
  if (s->last && s->last->start == start)
    return s->last;
  window *w = g_tree_lookup(s->windows, &start);
  if (w)
    s->last = w;
  return w;
}

static entry *lookup_entry(wjoin *s, int64_t start, rill_bytes key, uint64_t hash, window **wp)
{
  window *w = find_window(s, start);
  if (!w) {
    /* Sized for as many keys as the newest open window has: windows of
     * one stream hold similar key counts, and a table grown from empty
     * rehashes a dozen times into fresh memory. */
    GTreeNode *newest = g_tree_node_last(s->windows);
    window *prev = newest ? g_tree_node_value(newest) : NULL;
    size_t expect = prev ? rill__table_len(prev->entries) : 0;
    w = g_new0(window, 1);
    w->start = start;
    /* Its arena starts where the newest window's has got to, for the same
     * reason: climbing from CHUNK_MIN again costs a fresh chunk of every
     * size on 4 KiB pages, a fault per page. */
    w->first_chunk = prev && prev->chunks ? MIN(prev->chunks->size, CHUNK_MAX) : CHUNK_MIN;
    w->entries = s->spare->len ? g_ptr_array_steal_index_fast(s->spare, s->spare->len - 1)
                               : rill__table_new(sizeof(entry));
    rill__table_reserve(w->entries, expect);
    w->table_bytes = rill__table_bytes(w->entries);
    g_tree_insert(s->windows, &w->start, w);
    s->last = w;
    account(s, w, WINDOW_BYTES + (gint64)w->table_bytes, 0);
  }
  *wp = w;
  gboolean created;
  entry *e = rill__table_upsert(w->entries, key.data, key.len, hash, &created);
  if (created) {
    size_t now = rill__table_bytes(w->entries);
    account(s, w, (gint64)(now - w->table_bytes), 0);
    w->table_bytes = now;
  }
  return e;
}

static void append(wrec **head, wrec **tail, wrec *rec)
{
  rec->next = NULL;
  if (*tail)
    (*tail)->next = rec;
  else
    *head = rec;
  *tail = rec;
}

/* @r copied into @w's arena, accounted. */
static wrec *store(wjoin *s, window *w, const rill_record *r)
{
  size_t size = sizeof(wrec) + rill__join_copy_size(r);
  wrec *rec = arena_alloc(s, w, size);
  rill__join_copy(&rec->rec, rec + 1, r);
  rec->matched = 0;
  account(s, w, (gint64)size, 1);
  return rec;
}

/* The window of timestamp @ts: *@start and *@last (its max timestamp);
 * FALSE when the record is late (no timestamp, a window closed already, or
 * one that would start below INT64_MIN, which cannot be represented). */
static gboolean window_of(const wjoin *s, int64_t ts, int64_t *start, int64_t *last)
{
  int64_t size = s->join->size_ms;
  if (ts == RILL_TIMESTAMP_NONE)
    return FALSE;
  int64_t mod = ((ts % size) + size) % size; /* start = floor(ts / size) * size */
  if (__builtin_sub_overflow(ts, mod, start))
    return FALSE;
  *last = rill__join_sat_add(*start, size - 1);
  return *last > s->watermark;
}

static rill_flow add_record(rill_ctx *ctx, wjoin *s, guint side, const rill_record *r, uint64_t key_hash,
                            rill_emitter *out)
{
  rill_join *join = s->join;
  int64_t start, last;
  if (!window_of(s, r->timestamp, &start, &last)) {
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
  window *w;
  entry *e = lookup_entry(s, start, key, key_hash ? key_hash : rill__hash(key.data, key.len), &w);
  rill_flow flow = RILL_FLOW_OK;
  if (side == RILL_JOIN_SIDE_LEFT) {
    for (const wrec *rr = e->right; rr && flow == RILL_FLOW_OK; rr = rr->next)
      flow = rill__join_emit(join, ctx, r, &rr->rec, key, last, out);
  } else {
    for (wrec *lr = e->left; lr && flow == RILL_FLOW_OK; lr = lr->next) {
      lr->matched = 1;
      flow = rill__join_emit(join, ctx, &lr->rec, r, key, last, out);
    }
  }
  wrec *rec = store(s, w, r);
  rec->matched = side == RILL_JOIN_SIDE_LEFT && e->right != NULL;
  if (side == RILL_JOIN_SIDE_LEFT)
    append(&e->left, &e->left_tail, rec);
  else
    append(&e->right, &e->right_tail, rec);
  return flow;
}

static rill_flow wjoin_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  wjoin *s = state;
  const rill_record *r = rill_batch_records(batch);
  size_t n = rill_batch_len(batch);
  /* Each record's key lands on a random slot of a table that outgrows the
   * caches, and matching it right away leaves the CPU no room to overlap
   * those misses: the keys of a group of records are hashed and their
   * slots prefetched first. Only where the join key is the record key: a
   * key function writes into the one scratch buffer and would run twice. */
  gboolean record_key = s->join->key_fn[input].fn == NULL;
  uint64_t hash[GROUP];
  window *win[GROUP];
  rill_flow flow = RILL_FLOW_OK;
  for (size_t i = 0; i < n && flow == RILL_FLOW_OK; i += GROUP) {
    size_t m = MIN(GROUP, n - i);
    for (size_t j = 0; j < m; j++) {
      const rill_record *x = &r[i + j];
      int64_t start, last;
      hash[j] = 0;
      win[j] = NULL;
      if (!record_key || !x->key.data || !window_of(s, x->timestamp, &start, &last))
        continue;
      hash[j] = rill__hash(x->key.data, x->key.len);
      if ((win[j] = find_window(s, start)) != NULL)
        rill__table_prefetch(win[j]->entries, hash[j]);
    }
    /* Then the first stored record of the other side, which a match
     * reads next: it was stored long ago and left the caches. */
    for (size_t j = 0; j < m; j++) {
      const entry *e = win[j] ? rill__table_lookup(win[j]->entries, r[i + j].key.data, r[i + j].key.len, hash[j]) : NULL;
      const wrec *other = e ? (input == RILL_JOIN_SIDE_LEFT ? e->right : e->left) : NULL;
      if (other)
        prefetch_rec(other);
    }
    for (size_t j = 0; j < m && flow == RILL_FLOW_OK; j++)
      flow = add_record(ctx, s, input, &r[i + j], hash[j], out);
  }
  rill_batch_unref(batch);
  rill__join_acct_flush(&s->acct, ctx);
  return flow;
}

/* Emits the unmatched left records of @w (left join) and frees it. On an
 * emit failure the window stays in the map, for close() to free. */
static rill_flow close_window(rill_ctx *ctx, wjoin *s, window *w, rill_emitter *out)
{
  rill_join *join = s->join;
  if (join->kind == RILL_JOIN_LEFT) {
    int64_t last = rill__join_sat_add(w->start, join->size_ms - 1);
    rill_bytes key;
    void *v;
    for (size_t it = 0; rill__table_next(w->entries, &it, &key, &v);) {
      entry *e = v;
      for (wrec *l = e->left; l; l = l->next) {
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
  window_free(s, w);
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

/* A rill__advance_fn: catches up with the highest watermark seen. */
static rill_flow advance(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  wjoin *s = state;
  if (watermark > s->watermark)
    s->watermark = watermark;
  rill_flow flow = close_until(ctx, s, s->watermark, out);
  rill__join_acct_flush(&s->acct, ctx);
  return flow;
}

static rill_flow wjoin_on_watermark(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  return rill__advance_and_forward(ctx, state, watermark, out, advance);
}

static rill_flow wjoin_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  wjoin *s = state;
  gint64 held = 0;
  GTreeNode *n;
  for (n = g_tree_node_first(s->windows); n; n = g_tree_node_next(n))
    held += ((window *)g_tree_node_value(n))->records;
  rill__join_count(&s->join->finish_flushed_records, (guint64)held);
  return advance(ctx, s, INT64_MAX, out); /* joins hold any timestamp: past the end of time */
}

static void wjoin_close(rill_ctx *ctx, void *state)
{
  wjoin *s = state;
  GTreeNode *n;
  while ((n = g_tree_node_first(s->windows)) != NULL) {
    window *w = g_tree_node_value(n);
    g_tree_remove(s->windows, &w->start);
    window_free(s, w);
  }
  rill__join_acct_flush(&s->acct, NULL);
  for (guint i = 0; i < N_SIZES; i++)
    while (s->pool[i]) {
      chunk *c = s->pool[i];
      s->pool[i] = c->next;
      chunk_free(c);
    }
  g_ptr_array_unref(s->spare);
  g_tree_destroy(s->windows);
  g_byte_array_unref(s->scratch);
  g_free(s);
}

/* ---- checkpoints --------------------------------------------------------
 * i64 watermark, u32 windows, per window: i64 start, u32 entries, per
 * entry: u32-prefixed key, then per side (left, right): u32 count, per
 * record: u8 matched + the record (snap.h), in arrival order. */

static void snap_list(GByteArray *out, const wrec *l)
{
  uint32_t n = 0;
  for (const wrec *x = l; x; x = x->next)
    n++;
  rill__snap_u32(out, n);
  for (; l; l = l->next) {
    rill__snap_u8(out, l->matched);
    rill__snap_record(out, &l->rec);
  }
}

static rill_flow wjoin_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  wjoin *s = state;
  rill__snap_i64(out, s->watermark);
  rill__snap_u32(out, (uint32_t)g_tree_nnodes(s->windows));
  for (GTreeNode *n = g_tree_node_first(s->windows); n; n = g_tree_node_next(n)) {
    window *w = g_tree_node_value(n);
    rill__snap_i64(out, w->start);
    rill__snap_u32(out, (uint32_t)rill__table_len(w->entries));
    rill_bytes key;
    void *v;
    for (size_t it = 0; rill__table_next(w->entries, &it, &key, &v);) {
      entry *e = v;
      rill__snap_bytes(out, key.data, key.len);
      snap_list(out, e->left);
      snap_list(out, e->right);
    }
  }
  return RILL_FLOW_OK;
}

static gboolean wjoin_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  wjoin *s = state;
  rill__snap_reader r = rill__snap_reader_init(data, len);
  s->watermark = rill__snap_get_i64(&r);
  uint32_t nw = rill__snap_get_u32(&r);
  for (uint32_t i = 0; r.ok && i < nw; i++) {
    int64_t start = rill__snap_get_i64(&r);
    uint32_t ne = rill__snap_get_u32(&r);
    for (uint32_t j = 0; r.ok && j < ne; j++) {
      size_t kl;
      const uint8_t *kd = rill__snap_get_bytes(&r, &kl);
      if (!r.ok)
        break;
      window *w;
      rill_bytes key = rill_bytes_make(kd ? kd : (const uint8_t *)"", kl);
      entry *e = lookup_entry(s, start, key, rill__hash(key.data, key.len), &w);
      for (guint side = 0; side < 2 && r.ok; side++) {
        uint32_t nr = rill__snap_get_u32(&r);
        for (uint32_t k = 0; r.ok && k < nr; k++) {
          guint8 matched = rill__snap_get_u8(&r);
          rill_record rec;
          rill_header *h;
          char *topic;
          if (!rill__snap_get_record(&r, &rec, &h, &topic))
            break;
          wrec *jr = store(s, w, &rec);
          g_free(h);
          g_free(topic);
          jr->matched = matched;
          if (side == RILL_JOIN_SIDE_LEFT)
            append(&e->left, &e->left_tail, jr);
          else
            append(&e->right, &e->right_tail, jr);
        }
      }
    }
  }
  rill__join_acct_flush(&s->acct, ctx);
  if (!rill__snap_done(&r)) {
    g_set_error_literal(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "malformed window join snapshot");
    return FALSE;
  }
  return TRUE;
}

const rill_operator_class rill__join_window_class = {
  .type_name = "join-window",
  .open = wjoin_open,
  .process = wjoin_process,
  .on_watermark = wjoin_on_watermark,
  .finish = wjoin_finish,
  .close = wjoin_close,
  .snapshot = wjoin_snapshot,
  .restore = wjoin_restore,
};
