/* aggregate-private.h — the aggregate object the window, session and
 * running-aggregate operators drive. Callers hold it read-only once the
 * pipeline starts, so the P tasks of a stage share one. */
#pragma once

#include <rill/aggregate.h>

#include "runtime/snap.h"
#include "runtime/state-table.h"

struct rill_aggregate {
  char *name;
  rill_aggregate_funcs f;
  void *user_data;          /* what the callbacks get: the aggregate itself for built-ins */
  void *owner_data;         /* the user's data for user aggregates */
  GDestroyNotify destroy;   /* for owner_data */
  /* built-ins */
  rill_value_fn value_fn;   /* never NULL for numeric built-ins */
  void *value_data;
  rill_reduce_fn reduce;
  guint n;                  /* top_n */
  /* Built-ins whose result is one integer: it, without the decimal text
   * (FALSE = absent). NULL for the rest. */
  gboolean (*number)(const void *acc, int64_t *v);
};

static inline void rill__agg_init(const rill_aggregate *a, void *acc)
{
  memset(acc, 0, a->f.acc_size);
  if (a->f.create)
    a->f.create(acc, a->user_data);
}

static inline void rill__agg_add(const rill_aggregate *a, void *acc, const rill_record *r)
{
  a->f.add(acc, r, a->user_data);
}

static inline void rill__agg_merge(const rill_aggregate *a, void *acc, const void *other)
{
  a->f.merge(acc, other, a->user_data);
}

static inline void rill__agg_destroy(const rill_aggregate *a, void *acc)
{
  if (a->f.destroy)
    a->f.destroy(acc, a->user_data);
}

/* The result of @acc in @out (reset first); FALSE = absent value. */
static inline gboolean rill__agg_result(const rill_aggregate *a, const void *acc, GString *out)
{
  g_string_truncate(out, 0);
  return a->f.result(acc, out, a->user_data);
}

/* The result of @acc as an integer: FALSE when it is absent or not a
 * decimal integer. Built-ins answer without formatting; other aggregates'
 * text is parsed (@scratch holds it). */
gboolean rill__agg_number(const rill_aggregate *a, const void *acc, GString *scratch, int64_t *v);

/* Writes @v in decimal at @buf (>= 21 bytes); returns the length. */
size_t rill__fmt_i64(char *buf, int64_t v);
/* Parses a decimal int64 (blanks around allowed). */
gboolean rill__parse_i64(const uint8_t *p, size_t len, int64_t *out);

/* Checkpoints: accumulators are copied verbatim unless the aggregate has
 * serialize/deserialize (then: u64 length + its encoding). A table is
 * u32 count, then per entry the u32-prefixed key and the accumulator. */
/* FALSE (and fails @ctx) when @a cannot be snapshotted. */
gboolean rill__agg_snapshot_check(const rill_aggregate *a, rill_ctx *ctx);
void rill__agg_acc_snapshot(const rill_aggregate *a, const void *acc, GByteArray *out);
gboolean rill__agg_acc_restore(const rill_aggregate *a, void *acc, rill__snap_reader *r);
void rill__agg_table_snapshot(const rill_aggregate *a, rill__table *t, GByteArray *out);
gboolean rill__agg_table_restore(const rill_aggregate *a, rill__table *t, rill__snap_reader *r);
