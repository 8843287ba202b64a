/* join-io.h — what the join tests share on top of the test harnesses
 * (tests/harness/): scripts per side, a sink that collects results as
 * comparable rows, a test-local key partitioner (a hash exchange standing
 * in for key_by), and the runner wiring them around a rill_join; and for
 * exact cases, a join stage in a single-operator harness.
 *
 * Records travel as key "k<N>" and value "<TAG><id>" strings (TAG L for the
 * left side, R for the right, V for table updates); the default combine's
 * value "L<id>\tR<id>" (or "L<id>\t" unmatched) is parsed back into a row. */
#pragma once

#include "tests/harness/op-harness.h"
#include "tests/harness/rill-harness.h"

/* One input of the join: a rill_script (rill-harness.h) of records with
 * key "k<key>" and value "<tag><id>". */
typedef struct {
  rill_script *s;
} script;

void script_init(script *s, guint n_splits);
void script_clear(script *s);
/* A record; @key -1 = absent, @tag 0 = absent value (a tombstone). */
void script_add(script *s, guint split, int key, char tag, int id, int64_t ts);
void script_add_watermark(script *s, guint split, int64_t wm);

/* One output record, parsed. */
typedef struct {
  int lid, rid;          /* rid -1 = unmatched */
  int key;               /* -1 = absent */
  int64_t ts;
} join_row;

/* Runs left ! right ! join -> collect with parallelism @p. With @p > 1 both
 * sides go through the test partitioner and an exchange edge. Returns the
 * sorted rows (free with g_array_unref). */
GArray *run_join(rill_join *join, script *left, script *right, guint p);
/* run_join, also giving the join stage's state_bytes metric as the run left
 * it (what its tasks reported last). */
GArray *run_join_metric(rill_join *join, script *left, script *right, guint p, guint64 *state_bytes);

/* Sorts rows into the order run_join returns. */
void rows_sort(GArray *rows);
/* Asserts equal row lists (both sorted), printing the first difference. */
void rows_assert_equal(GArray *got, GArray *want);
void rows_add(GArray *rows, int lid, int rid, int key, int64_t ts);

/* Asserts the join holds no state and had some. */
void assert_state_released(rill_join *join);

/* A generated record: id, key (-1 absent), timestamp. */
typedef struct {
  int id, key;
  int64_t ts;
} ev;

/* n records with ids 0..n-1, keys in [0, keys) (1 in 40 absent), ts =
 * base + i*step + jitter in [0, jitter): out of order by less than jitter.
 * Split i % splits gets record i, followed now and then by a watermark that
 * no later record of that split can precede; with @final_wm each split ends
 * with watermark INT64_MAX. Returns the records (for the reference). */
GArray *gen(GRand *g, script *s, char tag, int n, int keys, int64_t base, int step, int jitter, gboolean final_wm);

/* ---- single-operator harness ---------------------------------------------- */

/* @join (its own reference taken) as a started stage: input 0 left, 1 right. */
rill_harness *join_harness(rill_join *join);
/* Pushes a record into @side: @key -1 = absent, @tag 0 = absent value. */
void push_side(rill_harness *h, rill_join_side side, int key, char tag, int id, int64_t ts);
/* Watermark @wm on both inputs. */
void push_watermarks(rill_harness *h, int64_t wm);
/* Pulls everything emitted so far and asserts it reads @want: results as
 * "L<id>/R<id>/k<key>@ts" ("-" for no right record or no key), watermarks as
 * "wm=N", space separated. Results between two watermarks are compared
 * sorted: their order within one callback is not part of the contract. */
void expect_rows(rill_harness *h, const char *want);
