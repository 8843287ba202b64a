/* join.c — the rill_join configuration object, its counters, the default
 * combine, and the pieces of join state the three join operators share
 * (record copies, per-task accounting). The operators themselves live in
 * join-window.c, join-interval.c and join-table.c. */
#include "operators/join-private.h"

#include <string.h>

G_DEFINE_QUARK(rill-join-error-quark, rill_join_error)

/* ---- the object ---------------------------------------------------------- */

static rill_join *join_new(rill__join_type type, rill_join_kind kind, GError **error)
{
  if (kind != RILL_JOIN_INNER && kind != RILL_JOIN_LEFT) {
    g_set_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_INVALID, "unknown join kind %d", (int)kind);
    return NULL;
  }
  rill_join *j = g_new0(rill_join, 1);
  j->ref_count = 1;
  j->type = type;
  j->kind = kind;
  j->separator = g_byte_array_new();
  g_byte_array_append(j->separator, (const guint8 *)"\t", 1);
  return j;
}

rill_join *rill_join_window_new(rill_join_kind kind, int64_t size_ms, GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  if (size_ms <= 0) {
    g_set_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_INVALID, "window size must be > 0 ms, got %" G_GINT64_FORMAT,
                size_ms);
    return NULL;
  }
  rill_join *j = join_new(RILL__JOIN_WINDOW, kind, error);
  if (j)
    j->size_ms = size_ms;
  return j;
}

rill_join *rill_join_interval_new(rill_join_kind kind, int64_t lower_ms, int64_t upper_ms, GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  if (lower_ms > upper_ms) {
    g_set_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_INVALID,
                "interval lower bound %" G_GINT64_FORMAT " is above upper bound %" G_GINT64_FORMAT, lower_ms,
                upper_ms);
    return NULL;
  }
  rill_join *j = join_new(RILL__JOIN_INTERVAL, kind, error);
  if (j) {
    j->lower_ms = lower_ms;
    j->upper_ms = upper_ms;
  }
  return j;
}

void rill_join_interval_set_exclusive(rill_join *join, gboolean lower_exclusive, gboolean upper_exclusive)
{
  g_return_if_fail(join != NULL && join->type == RILL__JOIN_INTERVAL && !join->added);
  if (lower_exclusive)
    join->lower_ms = rill__join_sat_add(join->lower_ms, 1);
  if (upper_exclusive)
    join->upper_ms = rill__join_sat_add(join->upper_ms, -1);
  /* An empty interval (e.g. (0, 1) in whole ms) matches nothing; that is
   * what the user asked for, so it stays valid: lower > upper never matches. */
}

rill_join *rill_join_table_new(rill_join_kind kind, GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  return join_new(RILL__JOIN_TABLE, kind, error);
}

rill_join *rill_join_ref(rill_join *join)
{
  g_return_val_if_fail(join != NULL, NULL);
  g_atomic_int_inc(&join->ref_count);
  return join;
}

static void fn_clear(rill__join_fn *f)
{
  if (f->destroy)
    f->destroy(f->user_data);
  memset(f, 0, sizeof *f);
}

void rill_join_unref(rill_join *join)
{
  if (!join || !g_atomic_int_dec_and_test(&join->ref_count))
    return;
  fn_clear(&join->key_fn[0]);
  fn_clear(&join->key_fn[1]);
  fn_clear(&join->combine);
  g_byte_array_unref(join->separator);
  rill__join_file_table_free(join->file_table);
  g_free(join);
}

void rill_join_set_key_fn(rill_join *join, rill_join_side side, rill_join_key_fn fn, void *user_data,
                          GDestroyNotify destroy)
{
  g_return_if_fail(join != NULL && !join->added && (side == RILL_JOIN_SIDE_LEFT || side == RILL_JOIN_SIDE_RIGHT));
  fn_clear(&join->key_fn[side]);
  join->key_fn[side] = (rill__join_fn){(void (*)(void))fn, user_data, destroy};
}

void rill_join_set_combine(rill_join *join, rill_join_combine_fn fn, void *user_data, GDestroyNotify destroy)
{
  g_return_if_fail(join != NULL && !join->added);
  fn_clear(&join->combine);
  join->combine = (rill__join_fn){(void (*)(void))fn, user_data, destroy};
}

void rill_join_set_separator(rill_join *join, const void *sep, size_t len)
{
  g_return_if_fail(join != NULL && !join->added && (sep != NULL || len == 0));
  g_byte_array_set_size(join->separator, 0);
  g_byte_array_append(join->separator, sep, (guint)len);
}

rill_stage *rill_pipeline_add_join(rill_pipeline *pipeline, const char *name, rill_stage *left, rill_stage *right,
                                   rill_join *join)
{
  g_return_val_if_fail(pipeline != NULL && left != NULL && right != NULL && join != NULL, NULL);
  static const rill_operator_class *const classes[] = {
    [RILL__JOIN_WINDOW] = &rill__join_window_class,
    [RILL__JOIN_INTERVAL] = &rill__join_interval_class,
    [RILL__JOIN_TABLE] = &rill__join_table_class,
  };
  rill_stage *inputs[2] = {left, right};
  join->added = TRUE;
  return rill_pipeline_add_operator(pipeline, name, classes[join->type], rill_join_ref(join),
                                    (GDestroyNotify)rill_join_unref, inputs, 2);
}

void rill_join_get_stats(const rill_join *join, rill_join_stats *stats)
{
  g_return_if_fail(join != NULL && stats != NULL);
  stats->state_bytes = __atomic_load_n(&join->state_bytes, __ATOMIC_RELAXED);
  stats->state_records = __atomic_load_n(&join->state_records, __ATOMIC_RELAXED);
  stats->peak_state_bytes = __atomic_load_n(&join->peak_state_bytes, __ATOMIC_RELAXED);
  stats->matches = __atomic_load_n(&join->matches, __ATOMIC_RELAXED);
  stats->unmatched = __atomic_load_n(&join->unmatched, __ATOMIC_RELAXED);
  stats->late_records = __atomic_load_n(&join->late_records, __ATOMIC_RELAXED);
  stats->unkeyed_records = __atomic_load_n(&join->unkeyed_records, __ATOMIC_RELAXED);
  stats->finish_flushed_records = __atomic_load_n(&join->finish_flushed_records, __ATOMIC_RELAXED);
}

/* ---- state accounting ---------------------------------------------------- */

void rill__join_acct_flush(rill__join_acct *a, rill_ctx *ctx)
{
  rill_join *join = a->join;
  if (a->pend_bytes || a->pend_records) {
    gint64 now = __atomic_add_fetch(&join->state_bytes, a->pend_bytes, __ATOMIC_RELAXED);
    __atomic_add_fetch(&join->state_records, a->pend_records, __ATOMIC_RELAXED);
    gint64 peak = __atomic_load_n(&join->peak_state_bytes, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&join->peak_state_bytes, &peak, now, TRUE, __ATOMIC_RELAXED,
                                                      __ATOMIC_RELAXED))
      ;
    a->pend_bytes = a->pend_records = 0;
  }
  if (ctx)
    rill_ctx_set_state_bytes(ctx, (guint64)a->bytes);
}

/* Copies @b to @p (advancing it); present-but-empty stays present. */
static rill_bytes copy_to(uint8_t **p, rill_bytes b)
{
  if (!b.data)
    return b;
  uint8_t *d = *p;
  if (b.len)
    memcpy(d, b.data, b.len);
  *p += b.len;
  return rill_bytes_make(d, b.len);
}

/* Whether the join key @key can share the record key's bytes. */
static gboolean key_is_record_key(const rill_record *r, rill_bytes key)
{
  return r->key.data && key.len == r->key.len && (key.len == 0 || memcmp(key.data, r->key.data, key.len) == 0);
}

size_t rill__join_copy_size(const rill_record *r)
{
  size_t bytes = r->key.len + r->value.len + (r->topic ? strlen(r->topic) + 1 : 0);
  for (uint32_t i = 0; i < r->n_headers; i++)
    bytes += r->headers[i].key.len + r->headers[i].value.len;
  return r->n_headers * sizeof(rill_header) + bytes;
}

uint8_t *rill__join_copy(rill_record *dst, void *mem, const rill_record *r)
{
  rill_header *h = mem;
  uint8_t *p = (uint8_t *)(h + r->n_headers);
  *dst = *r;
  dst->key = copy_to(&p, r->key);
  dst->value = copy_to(&p, r->value);
  for (uint32_t i = 0; i < r->n_headers; i++) {
    h[i].key = copy_to(&p, r->headers[i].key);
    h[i].value = copy_to(&p, r->headers[i].value);
  }
  dst->headers = r->n_headers ? h : NULL;
  if (r->topic) {
    size_t n = strlen(r->topic) + 1;
    memcpy(p, r->topic, n);
    dst->topic = (const char *)p;
    p += n;
  }
  return p;
}

size_t rill__join_rec_size(const rill_record *r, rill_bytes key)
{
  size_t bytes = rill__join_copy_size(r);
  if (key.data && !key_is_record_key(r, key))
    bytes += key.len;
  return sizeof(rill__join_rec) + bytes;
}

rill__join_rec *rill__join_rec_init(void *mem, size_t size, const rill_record *r, rill_bytes key)
{
  rill__join_rec *rec = mem;
  memset(rec, 0, sizeof *rec);
  uint8_t *p = rill__join_copy(&rec->rec, rec + 1, r);
  if (key.data)
    rec->key = key_is_record_key(r, key) ? rec->rec.key : copy_to(&p, key);
  rec->size = size;
  return rec;
}

rill__join_rec *rill__join_rec_new(const rill_record *r, rill_bytes key)
{
  size_t size = rill__join_rec_size(r, key);
  return rill__join_rec_init(g_malloc(size), size, r, key);
}

void rill__join_rec_free(rill__join_rec *rec)
{
  g_free(rec);
}

/* ---- per-task helpers ---------------------------------------------------- */

rill_bytes rill__join_extract_key(const rill_join *join, rill_join_side side, const rill_record *r,
                                  GByteArray *scratch)
{
  const rill__join_fn *f = &join->key_fn[side];
  if (!f->fn)
    return r->key;
  g_byte_array_set_size(scratch, 0);
  return ((rill_join_key_fn)f->fn)(r, scratch, f->user_data);
}

rill_flow rill__join_emit(rill_join *join, rill_ctx *ctx, const rill_record *left, const rill_record *right,
                          rill_bytes key, int64_t timestamp, rill_emitter *out)
{
  rill__join_count(right ? &join->matches : &join->unmatched, 1);
  if (join->combine.fn)
    return ((rill_join_combine_fn)join->combine.fn)(ctx, left, right, key, timestamp, out,
                                                     join->combine.user_data);
  return rill_join_combine_default(ctx, left, right, key, timestamp, out, join->separator);
}

gint rill__join_rec_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
  const rill__join_rec *x = a, *y = b;
  if (x->order_ts != y->order_ts)
    return x->order_ts < y->order_ts ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- the default combine ------------------------------------------------- */

static size_t headers_bytes(const rill_record *r)
{
  size_t n = 0;
  for (uint32_t i = 0; r && i < r->n_headers; i++)
    n += r->headers[i].key.len + r->headers[i].value.len;
  return n;
}

rill_flow rill_join_combine_default(rill_ctx *ctx, const rill_record *left, const rill_record *right, rill_bytes key,
                                    int64_t timestamp, rill_emitter *out, void *user_data)
{
  g_return_val_if_fail(left != NULL && out != NULL, RILL_FLOW_ERROR);
  const GByteArray *sep = user_data;
  rill_bytes s = sep ? rill_bytes_make(sep->data ? sep->data : (const guint8 *)"", sep->len)
                     : rill_bytes_make("\t", 1);
  rill_bytes rv = right ? right->value : (rill_bytes){NULL, 0};
  uint32_t nl = left->n_headers, nr = right ? right->n_headers : 0;
  /* One arena block: header array first (8-aligned), then all bytes. */
  size_t size = (nl + nr) * sizeof(rill_header) + key.len + left->value.len + s.len + rv.len +
                headers_bytes(left) + headers_bytes(right) + 1;
  rill_header *h = rill_emitter_alloc(out, size);
  uint8_t *p = (uint8_t *)(h + nl + nr);
  rill_record o = RILL_RECORD_INIT;
  o.key = copy_to(&p, key);
  uint8_t *v = p;
  if (left->value.len)
    memcpy(p, left->value.data, left->value.len), p += left->value.len;
  if (s.len)
    memcpy(p, s.data, s.len), p += s.len;
  if (rv.len)
    memcpy(p, rv.data, rv.len), p += rv.len;
  o.value = rill_bytes_make(v, (size_t)(p - v));
  for (uint32_t i = 0; i < nl + nr; i++) {
    const rill_header *src = i < nl ? &left->headers[i] : &right->headers[i - nl];
    h[i].key = copy_to(&p, src->key);
    h[i].value = copy_to(&p, src->value);
  }
  o.headers = nl + nr ? h : NULL;
  o.n_headers = nl + nr;
  o.timestamp = timestamp;
  return rill_emit_record_raw(out, &o);
}
