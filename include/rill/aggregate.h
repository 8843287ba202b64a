/* aggregate.h — what a window or a running aggregate computes per key:
 * count, sum, min, max, avg, distinct count, top-N, reduce, or a user
 * aggregate given as create/add/merge/result callbacks.
 *
 * An aggregate keeps a fixed-size accumulator per key (and per window pane),
 * stored inline in the operator's hash table: adding a record never
 * allocates. Results are text, so they read well in kcat or a file sink:
 *
 *   count, sum, min, max, reduce   decimal integer            "42"
 *   avg                            shortest round-trip double  "2.5"
 *   distinct_count                 decimal integer (estimate)  "17"
 *   top_n                          values, largest first, comma separated "9,7,7"
 *
 * A key whose records carried no numeric value (sum/min/max/avg/top_n/
 * reduce) has an *absent* result value.
 *
 * Numeric inputs come from a rill_value_fn; NULL means "parse the record
 * value as a decimal integer" (surrounding ASCII blanks allowed). Records
 * whose value does not parse contribute nothing (count still counts them).
 *
 * distinct_count is a HyperLogLog with 1024 one-byte registers (1 KiB per
 * accumulator, standard error about 3.3%, exact-ish below ~100 distinct
 * values through linear counting) over the record value bytes.
 *
 * Checkpoint hook: accumulators of the built-ins are plain old data and are
 * snapshotted verbatim; a user aggregate whose accumulator holds pointers
 * must set destroy and is not snapshot-safe unless it also provides
 * serialize/deserialize (see rill_aggregate_funcs).
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

typedef struct rill_aggregate rill_aggregate;

/* Extracts a number from @record into *@value; FALSE = none. */
typedef gboolean (*rill_value_fn)(const rill_record *record, int64_t *value, void *user_data);
/* Combines two values (associative and commutative). */
typedef int64_t (*rill_reduce_fn)(int64_t a, int64_t b, void *user_data);

/* A user aggregate. The operator zero-fills @acc_size bytes, then calls
 * create; add per record; merge to fold @other into @acc (hopping windows
 * combine panes, session windows merge sessions; required for those and
 * optional for tumbling windows and running aggregates); result appends the
 * result bytes to @out and returns FALSE for "no result" (absent value);
 * destroy (optional) releases what the accumulator points to. */
typedef struct rill_aggregate_funcs {
  size_t acc_size;
  void (*create)(void *acc, void *user_data);
  void (*add)(void *acc, const rill_record *record, void *user_data);
  void (*merge)(void *acc, const void *other, void *user_data);
  gboolean (*result)(const void *acc, GString *out, void *user_data);
  void (*destroy)(void *acc, void *user_data);
  /* Checkpoint hooks (optional; needed only when the accumulator holds
   * pointers): append a self-contained encoding / rebuild from it. */
  void (*serialize)(const void *acc, GByteArray *out, void *user_data);
  gboolean (*deserialize)(void *acc, const uint8_t *data, size_t len, void *user_data);
} rill_aggregate_funcs;

/* ---- built-ins. Each returns (transfer full) a new aggregate ------------- */
RILL_API rill_aggregate *rill_aggregate_count(void);
RILL_API rill_aggregate *rill_aggregate_sum(rill_value_fn fn, void *user_data);
RILL_API rill_aggregate *rill_aggregate_min(rill_value_fn fn, void *user_data);
RILL_API rill_aggregate *rill_aggregate_max(rill_value_fn fn, void *user_data);
RILL_API rill_aggregate *rill_aggregate_avg(rill_value_fn fn, void *user_data);
RILL_API rill_aggregate *rill_aggregate_distinct_count(void);
/* The @n (1..64) largest values per key, ties kept. */
RILL_API rill_aggregate *rill_aggregate_top_n(guint n, rill_value_fn fn, void *user_data);
/* sum, min, max and avg of the record values as decimal numbers, integer
 * or not ("76.34", "-2", "1e3"; blanks around allowed; others contribute
 * nothing): integers stay exact int64 until the first decimal or an
 * overflow, then the value is a double; results print shortest round-trip
 * (an integral double without fraction). avg is always the double mean. */
RILL_API rill_aggregate *rill_aggregate_sum_number(void);
RILL_API rill_aggregate *rill_aggregate_min_number(void);
RILL_API rill_aggregate *rill_aggregate_max_number(void);
RILL_API rill_aggregate *rill_aggregate_avg_number(void);
/* Folds the values with @reduce; the first value starts the fold. */
RILL_API rill_aggregate *rill_aggregate_reduce(rill_reduce_fn reduce, rill_value_fn fn, void *user_data);

/* A user aggregate; @funcs is copied; @destroy(@user_data) runs when the
 * aggregate is freed. (transfer full) */
RILL_API rill_aggregate *rill_aggregate_new(const char *name, const rill_aggregate_funcs *funcs, void *user_data,
                                            GDestroyNotify destroy);
RILL_API void rill_aggregate_free(rill_aggregate *aggregate);
/* (transfer none) e.g. "count". */
RILL_API const char *rill_aggregate_get_name(const rill_aggregate *aggregate);

/* The default rill_value_fn: the record value as a decimal integer. */
RILL_API gboolean rill_value_parse_decimal(const rill_record *record, int64_t *value, void *user_data);

/* ---- global (non-windowed) running aggregate ----------------------------
 * Per key (the record key: put key_by before it when P > 1), folds every
 * record into one accumulator and emits the key's updated result once per
 * input batch that touched it: key = the key, value = the result, timestamp
 * = the largest timestamp the key has seen, header "aggregate.update" = the
 * running number of updates emitted for that key (decimal, from 1).
 * Watermarks pass through. (transfer full) @aggregate. */
RILL_API rill_stage *rill_pipeline_add_aggregate(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                 rill_aggregate *aggregate);

#define RILL_AGGREGATE_HEADER_UPDATE "aggregate.update"

G_END_DECLS
