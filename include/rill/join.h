/* join.h — joining two streams: a windowed stream–stream join, an
 * interval join, and a stream–table enrichment join.
 *
 * A join is configured as a rill_join object, then added to a pipeline as a
 * two-input stage with rill_pipeline_add_join(): input 0 is the *left*
 * stream, input 1 the *right* stream (for the table join: the table's
 * changelog). docs/operators.md (section Joins) has the full semantics and examples.
 *
 * Time: all three joins run on event time (record timestamps). The stage's
 * watermark W (the minimum over both inputs) means "every record with
 * timestamp <= W has arrived"; a record whose timestamp no longer allows it
 * to take part (see each join) is *late*: it is counted in
 * rill_join_stats.late_records, never silently lost.
 *
 * Keys: each side's join key comes from a key extractor (default: the
 * record key). A record whose join key is absent matches nothing (SQL NULL
 * semantics); it is counted in unkeyed_records, and a left join still
 * emits it once, unmatched.
 *
 * Parallelism: with P > 1 each task joins only what reaches it, so both
 * inputs must be partitioned by the join key with the same partitioner
 * (a key_by exchange on both sides, or sources whose splits are already
 * partitioned by key). The join does not repartition by itself.
 *
 * Output: each match (and each unmatched left record of a left join) goes
 * through the combine callback; the default one is rill_join_combine_default.
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

#define RILL_JOIN_ERROR (rill_join_error_quark())
RILL_API GQuark rill_join_error_quark(void);

typedef enum {
  RILL_JOIN_ERROR_INVALID, /* a bad parameter (size, bounds, kind) */
  RILL_JOIN_ERROR_IO,      /* a table file could not be read */
  RILL_JOIN_ERROR_PARSE,   /* a table file line is malformed (message has path:line) */
} rill_join_error;

typedef enum {
  RILL_JOIN_INNER, /* matches only */
  RILL_JOIN_LEFT,  /* matches, plus every left record that matched nothing, once */
} rill_join_kind;

/* Which input of the join stage. */
typedef enum {
  RILL_JOIN_SIDE_LEFT = 0,
  RILL_JOIN_SIDE_RIGHT = 1,
} rill_join_side;

typedef struct rill_join rill_join;

/* Returns @record's join key: a view into @record, or into @scratch (empty
 * on entry; the bytes stay valid until the next call). An absent result
 * (data == NULL) means "no key". */
typedef rill_bytes (*rill_join_key_fn)(const rill_record *record, GByteArray *scratch, void *user_data);

/* Emits the output for one match into @out: @left and @right (transfer
 * none, valid only during the call) are the joined records, @right is NULL
 * for an unmatched left record of a left join; @key is the join key;
 * @timestamp the timestamp the join assigns to the result (see each join).
 * May emit zero or more records (rill_emit_record copies; or
 * rill_emitter_alloc + rill_emit_record_raw). Returns the emit status, or
 * RILL_FLOW_ERROR after rill_ctx_fail(). */
typedef rill_flow (*rill_join_combine_fn)(rill_ctx *ctx, const rill_record *left, const rill_record *right,
                                          rill_bytes key, int64_t timestamp, rill_emitter *out, void *user_data);

/* ---- construction ------------------------------------------------------- */

/* Windowed stream–stream join over tumbling event-time windows of @size_ms
 * (window [k*size, (k+1)*size), k = floor(ts / size)): a left and a right
 * record match when their join keys are equal and they fall in the same
 * window. Matches are emitted as soon as the second of the two arrives;
 * unmatched left records (left join) when the window closes, that is when
 * W >= window end - 1. Every result carries timestamp window end - 1. A
 * record whose window has already closed is late. Window state is freed
 * when the window closes. (transfer full) or NULL with @error (INVALID). */
RILL_API rill_join *rill_join_window_new(rill_join_kind kind, int64_t size_ms, GError **error);

/* Interval join: right record b matches left record a when their keys are
 * equal and lower_ms <= b.ts - a.ts <= upper_ms (both bounds inclusive;
 * see rill_join_interval_set_exclusive). "b within [a - x, a + y]" is
 * lower = -x, upper = y. A match carries max(a.ts, b.ts); an unmatched left
 * record (left join) is emitted once W >= a.ts + upper, carrying
 * a.ts + max(upper, 0) (upper after set_exclusive). A record with ts <= W
 * on arrival is late. Left records are kept until W >= a.ts + upper, right
 * records until W >= b.ts - lower. (transfer full) or NULL with @error
 * (INVALID when lower > upper). */
RILL_API rill_join *rill_join_interval_new(rill_join_kind kind, int64_t lower_ms, int64_t upper_ms, GError **error);
/* Makes the lower and/or upper bound exclusive (ms resolution: an exclusive
 * bound x is the inclusive bound x ± 1). Call before adding the join. */
RILL_API void rill_join_interval_set_exclusive(rill_join *join, gboolean lower_exclusive, gboolean upper_exclusive);

/* Stream–table join: the right input is a changelog building a table of the
 * latest value per join key (an absent value is a tombstone that deletes the
 * key); each left record is joined with the table's value for its key *as
 * of its timestamp*: updates with ts <= the left record's ts are applied
 * first. Left records and updates wait until W >= their ts, then are applied
 * in timestamp order (updates before left records at equal ts, arrival
 * order otherwise). Records without a timestamp (RILL_TIMESTAMP_NONE), and
 * late ones (ts <= W on arrival), are applied at once against the current
 * table. A result carries the left record's timestamp. The table may start
 * from a file (rill_join_table_load_file). (transfer full) */
RILL_API rill_join *rill_join_table_new(rill_join_kind kind, GError **error);

/* Loads initial table contents from @path: UTF-8 or binary-free text, one
 * entry per line, "KEY<TAB>VALUE"; the line is split at its first TAB (the
 * value may contain TABs), a trailing "\r" is dropped, empty lines are
 * skipped, a later line for the same key replaces an earlier one. Keys
 * compare as bytes with the extracted right-side join key. A line without a
 * TAB is an error (PARSE, "path:line: ..."); nothing is loaded then. May be
 * called several times before the join is added (later files override).
 * Every task starts from these contents; the changelog input overrides them. */
RILL_API gboolean rill_join_table_load_file(rill_join *join, const char *path, GError **error);

RILL_API rill_join *rill_join_ref(rill_join *join); /* (transfer full) */
RILL_API void rill_join_unref(rill_join *join);     /* NULL ignored */

/* Key extractor for @side (default: the record key). @destroy runs on
 * @user_data when the join is freed or the extractor replaced. */
RILL_API void rill_join_set_key_fn(rill_join *join, rill_join_side side, rill_join_key_fn fn, void *user_data,
                                   GDestroyNotify destroy);
/* Output callback (default: rill_join_combine_default). Same @destroy rule. */
RILL_API void rill_join_set_combine(rill_join *join, rill_join_combine_fn fn, void *user_data, GDestroyNotify destroy);
/* Separator the default combine puts between the two values: @len bytes
 * at @sep, copied (default: one TAB byte, "\t"). */
RILL_API void rill_join_set_separator(rill_join *join, const void *sep, size_t len);

/* The default combine, for a join whose separator is @user_data (a
 * GByteArray *; NULL = "\t"). It emits one record:
 *   key       = @key (the join key; absent if absent)
 *   value     = left value, separator, right value; an absent value counts
 *               as empty, so an unmatched left record gives "LEFT<sep>"
 *   timestamp = @timestamp
 *   headers   = left's headers, then right's, in order
 *   partition/offset/topic unset (-1, -1, NULL). */
RILL_API rill_flow rill_join_combine_default(rill_ctx *ctx, const rill_record *left, const rill_record *right,
                                             rill_bytes key, int64_t timestamp, rill_emitter *out, void *user_data);

/* Adds @join as a stage reading @left (input 0) and @right (input 1).
 * (transfer none) @join: the pipeline takes its own reference; the join must
 * not be reconfigured afterwards. Returns the stage (transfer none). */
RILL_API rill_stage *rill_pipeline_add_join(rill_pipeline *pipeline, const char *name, rill_stage *left,
                                            rill_stage *right, rill_join *join);

/* ---- state accounting --------------------------------------------------- */

/* Counters summed over the join's tasks; readable while the pipeline runs. */
typedef struct rill_join_stats {
  gint64 state_bytes;            /* bytes held in join state now (records, keys, index overhead) */
  gint64 state_records;          /* records held in join state now (table entries included) */
  gint64 peak_state_bytes;       /* highest state_bytes seen */
  guint64 matches;               /* matched pairs passed to combine */
  guint64 unmatched;             /* unmatched left records passed to combine (left joins) */
  guint64 late_records;          /* records that arrived too late to take part (see each join) */
  guint64 unkeyed_records;       /* records whose join key was absent */
  guint64 finish_flushed_records;/* records still held when the inputs ended (not released by the watermark) */
} rill_join_stats;

RILL_API void rill_join_get_stats(const rill_join *join, rill_join_stats *stats);

G_END_DECLS
