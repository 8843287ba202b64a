/* aggregate.c — the built-in aggregates and user aggregates as one
 * rill_aggregate object (see aggregate.h for their result encodings).
 *
 * Every accumulator is plain old data of a fixed size, so adding a record
 * is a few arithmetic operations on memory the operator already holds.
 */
#include <math.h>
#include <string.h>

#include "operators/aggregate-private.h"
#include "runtime/numbers.h"
#include "runtime/state-table.h"

/* ---- numbers as text ---------------------------------------------------- */

size_t rill__fmt_i64(char *buf, int64_t v)
{
  char tmp[24];
  size_t n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  size_t len = 0;
  if (v < 0)
    buf[len++] = '-';
  while (n)
    buf[len++] = tmp[--n];
  return len;
}

gboolean rill__parse_i64(const uint8_t *p, size_t len, int64_t *out)
{
  size_t i = 0;
  while (i < len && (p[i] == ' ' || p[i] == '\t'))
    i++;
  gboolean neg = FALSE;
  if (i < len && (p[i] == '-' || p[i] == '+'))
    neg = p[i++] == '-';
  size_t digits = 0;
  uint64_t u = 0;
  for (; i < len && p[i] >= '0' && p[i] <= '9'; i++, digits++) {
    if (u > (G_MAXUINT64 - 9) / 10)
      return FALSE;
    u = u * 10 + (uint64_t)(p[i] - '0');
  }
  while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
    i++;
  if (!digits || i != len || u > (uint64_t)INT64_MAX + neg)
    return FALSE;
  *out = neg ? (int64_t)(0 - u) : (int64_t)u;
  return TRUE;
}

gboolean rill_value_parse_decimal(const rill_record *record, int64_t *value, void *user_data)
{
  return record->value.data && rill__parse_i64(record->value.data, record->value.len, value);
}

gboolean rill__agg_number(const rill_aggregate *a, const void *acc, GString *scratch, int64_t *v)
{
  if (a->number)
    return a->number(acc, v);
  return rill__agg_result(a, acc, scratch) && rill__parse_i64((const uint8_t *)scratch->str, scratch->len, v);
}

static void append_i64(GString *out, int64_t v)
{
  char buf[24];
  g_string_append_len(out, buf, (gssize)rill__fmt_i64(buf, v));
}

static inline gboolean value_of(const rill_aggregate *a, const rill_record *r, int64_t *v)
{
  return a->value_fn(r, v, a->value_data);
}

/* ---- count -------------------------------------------------------------- */

static void count_add(void *acc, const rill_record *r, void *ud)
{
  (*(int64_t *)acc)++;
}

static void i64_sum_merge(void *acc, const void *other, void *ud)
{
  *(int64_t *)acc += *(const int64_t *)other;
}

static gboolean i64_result(const void *acc, GString *out, void *ud)
{
  append_i64(out, *(const int64_t *)acc);
  return TRUE;
}

static gboolean i64_number(const void *acc, int64_t *v)
{
  *v = *(const int64_t *)acc;
  return TRUE;
}

/* ---- sum / min / max / reduce: {value, has} ----------------------------- */

typedef struct {
  int64_t v;
  int64_t has;
} opt_i64;

static inline void fold(const rill_aggregate *a, opt_i64 *acc, int64_t v)
{
  if (!acc->has) {
    acc->v = v;
    acc->has = 1;
    return;
  }
  if (a->reduce)
    acc->v = a->reduce(acc->v, v, a->value_data);
  else if (a->n == 1)
    acc->v = MIN(acc->v, v);
  else if (a->n == 2)
    acc->v = MAX(acc->v, v);
  else
    acc->v += v;
}

static void opt_add(void *acc, const rill_record *r, void *ud)
{
  int64_t v;
  if (value_of(ud, r, &v))
    fold(ud, acc, v);
}

static void opt_merge(void *acc, const void *other, void *ud)
{
  const opt_i64 *o = other;
  if (o->has)
    fold(ud, acc, o->v);
}

static gboolean opt_result(const void *acc, GString *out, void *ud)
{
  const opt_i64 *o = acc;
  if (o->has)
    append_i64(out, o->v);
  return o->has != 0;
}

static gboolean opt_number(const void *acc, int64_t *v)
{
  const opt_i64 *o = acc;
  *v = o->v;
  return o->has != 0;
}

/* ---- avg ---------------------------------------------------------------- */

typedef struct {
  int64_t sum, n;
} avg_acc;

static void avg_add(void *acc, const rill_record *r, void *ud)
{
  avg_acc *a = acc;
  int64_t v;
  if (value_of(ud, r, &v)) {
    a->sum += v;
    a->n++;
  }
}

static void avg_merge(void *acc, const void *other, void *ud)
{
  avg_acc *a = acc;
  const avg_acc *o = other;
  a->sum += o->sum;
  a->n += o->n;
}

static gboolean avg_result(const void *acc, GString *out, void *ud)
{
  const avg_acc *a = acc;
  if (!a->n)
    return FALSE;
  rill__append_double(out, (double)a->sum / (double)a->n);
  return TRUE;
}

/* ---- distinct count: HyperLogLog, 2^10 registers ------------------------ */

#define HLL_P 10
#define HLL_M (1u << HLL_P)

static void hll_add(void *acc, const rill_record *r, void *ud)
{
  uint8_t *reg = acc;
  uint64_t h = rill__hash(r->value.data ? r->value.data : (const uint8_t *)"", r->value.len);
  guint idx = (guint)(h >> (64 - HLL_P));
  uint64_t w = (h << HLL_P) | (1ull << (HLL_P - 1)); /* guard bit bounds the rank */
  uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
  if (rank > reg[idx])
    reg[idx] = rank;
}

static void hll_merge(void *acc, const void *other, void *ud)
{
  uint8_t *a = acc;
  const uint8_t *o = other;
  for (guint i = 0; i < HLL_M; i++)
    a[i] = MAX(a[i], o[i]);
}

static gboolean hll_result(const void *acc, GString *out, void *ud)
{
  const uint8_t *reg = acc;
  double sum = 0;
  guint zeros = 0;
  for (guint i = 0; i < HLL_M; i++) {
    sum += 1.0 / (double)(1ull << reg[i]);
    zeros += reg[i] == 0;
  }
  double m = HLL_M, est = (0.7213 / (1 + 1.079 / m)) * m * m / sum;
  if (est <= 2.5 * m && zeros)
    est = m * log((double)m / zeros); /* linear counting for small sets */
  append_i64(out, (int64_t)(est + 0.5));
  return TRUE;
}

/* ---- top-N: count + values sorted descending ---------------------------- */

#define TOPN_MAX 64

static void topn_insert(int64_t *vals, guint n, int64_t v)
{
  int64_t *cnt = &vals[0];
  int64_t *arr = vals + 1;
  guint len = (guint)*cnt;
  if (len == n && v <= arr[n - 1])
    return;
  guint pos = len < n ? len : n - 1;
  while (pos > 0 && arr[pos - 1] < v) {
    arr[pos] = arr[pos - 1];
    pos--;
  }
  arr[pos] = v;
  if (len < n)
    (*cnt)++;
}

static void topn_add(void *acc, const rill_record *r, void *ud)
{
  const rill_aggregate *a = ud;
  int64_t v;
  if (value_of(a, r, &v))
    topn_insert(acc, a->n, v);
}

static void topn_merge(void *acc, const void *other, void *ud)
{
  const rill_aggregate *a = ud;
  const int64_t *o = other;
  for (int64_t i = 0; i < o[0]; i++)
    topn_insert(acc, a->n, o[1 + i]);
}

static gboolean topn_result(const void *acc, GString *out, void *ud)
{
  const int64_t *vals = acc;
  for (int64_t i = 0; i < vals[0]; i++) {
    if (i)
      g_string_append_c(out, ',');
    append_i64(out, vals[1 + i]);
  }
  return vals[0] > 0;
}

/* ---- construction ------------------------------------------------------- */

static rill_aggregate *builtin(const char *name, size_t acc_size, void (*add)(void *, const rill_record *, void *),
                               void (*merge)(void *, const void *, void *),
                               gboolean (*result)(const void *, GString *, void *), rill_value_fn fn, void *ud)
{
  rill_aggregate *a = g_new0(rill_aggregate, 1);
  a->name = g_strdup(name);
  a->f.acc_size = acc_size;
  a->f.add = add;
  a->f.merge = merge;
  a->f.result = result;
  a->user_data = a;
  a->value_fn = fn ? fn : rill_value_parse_decimal;
  a->value_data = ud;
  return a;
}

rill_aggregate *rill_aggregate_count(void)
{
  rill_aggregate *a = builtin("count", sizeof(int64_t), count_add, i64_sum_merge, i64_result, NULL, NULL);
  a->number = i64_number;
  return a;
}

rill_aggregate *rill_aggregate_sum(rill_value_fn fn, void *user_data)
{
  rill_aggregate *a = builtin("sum", sizeof(opt_i64), opt_add, opt_merge, opt_result, fn, user_data);
  a->number = opt_number;
  return a;
}

rill_aggregate *rill_aggregate_min(rill_value_fn fn, void *user_data)
{
  rill_aggregate *a = builtin("min", sizeof(opt_i64), opt_add, opt_merge, opt_result, fn, user_data);
  a->n = 1;
  a->number = opt_number;
  return a;
}

rill_aggregate *rill_aggregate_max(rill_value_fn fn, void *user_data)
{
  rill_aggregate *a = builtin("max", sizeof(opt_i64), opt_add, opt_merge, opt_result, fn, user_data);
  a->n = 2;
  a->number = opt_number;
  return a;
}

rill_aggregate *rill_aggregate_avg(rill_value_fn fn, void *user_data)
{
  return builtin("avg", sizeof(avg_acc), avg_add, avg_merge, avg_result, fn, user_data);
}

rill_aggregate *rill_aggregate_distinct_count(void)
{
  return builtin("distinct_count", HLL_M, hll_add, hll_merge, hll_result, NULL, NULL);
}

rill_aggregate *rill_aggregate_top_n(guint n, rill_value_fn fn, void *user_data)
{
  g_return_val_if_fail(n >= 1 && n <= TOPN_MAX, NULL);
  rill_aggregate *a = builtin("top_n", (n + 1) * sizeof(int64_t), topn_add, topn_merge, topn_result, fn, user_data);
  a->n = n;
  return a;
}

rill_aggregate *rill_aggregate_reduce(rill_reduce_fn reduce, rill_value_fn fn, void *user_data)
{
  g_return_val_if_fail(reduce != NULL, NULL);
  rill_aggregate *a = builtin("reduce", sizeof(opt_i64), opt_add, opt_merge, opt_result, fn, user_data);
  a->reduce = reduce;
  a->number = opt_number;
  return a;
}

rill_aggregate *rill_aggregate_new(const char *name, const rill_aggregate_funcs *funcs, void *user_data,
                                   GDestroyNotify destroy)
{
  g_return_val_if_fail(funcs != NULL && funcs->acc_size > 0 && funcs->add != NULL && funcs->result != NULL, NULL);
  rill_aggregate *a = g_new0(rill_aggregate, 1);
  a->name = g_strdup(name ? name : "aggregate");
  a->f = *funcs;
  a->user_data = user_data;
  a->owner_data = user_data;
  a->destroy = destroy;
  return a;
}

void rill_aggregate_free(rill_aggregate *aggregate)
{
  if (!aggregate)
    return;
  if (aggregate->destroy)
    aggregate->destroy(aggregate->owner_data);
  g_free(aggregate->name);
  g_free(aggregate);
}

const char *rill_aggregate_get_name(const rill_aggregate *aggregate)
{
  g_return_val_if_fail(aggregate != NULL, NULL);
  return aggregate->name;
}

/* ---- checkpoints -------------------------------------------------------- */

gboolean rill__agg_snapshot_check(const rill_aggregate *a, rill_ctx *ctx)
{
  if (a->f.destroy && !(a->f.serialize && a->f.deserialize)) {
    rill_ctx_fail(ctx, "aggregate '%s' holds pointers (it has destroy) but no serialize/deserialize: "
                  "it cannot be checkpointed", a->name);
    return FALSE;
  }
  return TRUE;
}

void rill__agg_table_snapshot(const rill_aggregate *a, rill__table *t, GByteArray *out)
{
  rill__snap_u32(out, (uint32_t)rill__table_len(t));
  rill_bytes key;
  void *acc;
  for (size_t it = 0; rill__table_next(t, &it, &key, &acc);) {
    rill__snap_bytes(out, key.data, key.len);
    rill__agg_acc_snapshot(a, acc, out);
  }
}

void rill__agg_acc_snapshot(const rill_aggregate *a, const void *acc, GByteArray *out)
{
  if (a->f.serialize) {
    guint at = rill__snap_begin_len(out);
    a->f.serialize(acc, out, a->user_data);
    rill__snap_end_len(out, at);
  } else {
    g_byte_array_append(out, acc, (guint)a->f.acc_size);
  }
}

gboolean rill__agg_acc_restore(const rill_aggregate *a, void *acc, rill__snap_reader *r)
{
  if (a->f.serialize) {
    uint64_t n = rill__snap_get_u64(r);
    const uint8_t *p = n <= (uint64_t)(r->end - r->p) ? rill__snap_take(r, (size_t)n) : NULL;
    memset(acc, 0, a->f.acc_size);
    return p && a->f.deserialize(acc, p, (size_t)n, a->user_data);
  }
  const uint8_t *p = rill__snap_take(r, a->f.acc_size);
  if (p)
    memcpy(acc, p, a->f.acc_size);
  return p != NULL;
}

gboolean rill__agg_table_restore(const rill_aggregate *a, rill__table *t, rill__snap_reader *r)
{
  uint32_t n = rill__snap_get_u32(r);
  for (uint32_t i = 0; i < n && r->ok; i++) {
    size_t kl;
    const uint8_t *k = rill__snap_get_bytes(r, &kl);
    if (!r->ok)
      return FALSE;
    void *acc = rill__table_upsert(t, k, kl, rill__hash(k, kl), NULL);
    if (!rill__agg_acc_restore(a, acc, r)) {
      /* keep the table destroyable: a zeroed accumulator */
      memset(acc, 0, a->f.acc_size);
      if (a->f.create)
        a->f.create(acc, a->user_data);
      return FALSE;
    }
  }
  return r->ok;
}
