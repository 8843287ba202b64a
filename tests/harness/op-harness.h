/* op-harness.h — a single-operator test harness in the spirit of GStreamer's
 * GstHarness (part of the test-support library, see rill-harness.h).
 *
 * A test wraps ONE operator — a rill_operator_class, or a stage built by any
 * rill_pipeline_add_* call — pushes batches, watermarks, barriers and end of
 * stream into the input it chooses, and pulls what the operator emitted, in
 * order, with its markers. Everything happens on the test's thread inside
 * the push call: when a push returns, every callback it caused has run and
 * its output is waiting to be pulled. No threads, no sleeps, no races.
 *
 * The operator is driven by the scheduler's own code (runtime/task.c), as
 * the head of a task whose input channels are the harness's inputs: the
 * same open/process/on_watermark/on_barrier/finish/close order, the minimum
 * watermark over inputs (idle inputs skipped), barrier alignment (a push
 * onto an input that delivered a barrier the others have not waits until
 * they do), finish() once every input ended, emitter batching and
 * rill_ctx_* bookkeeping (metrics, errors). What differs from a running
 * pipeline: one channel per input, one output channel, task index 0.
 *
 *   rill_harness *h = rill_harness_new(&my_class, user_data, 1);
 *   rill_harness_push_kv(h, 0, "k", "v", 10);
 *   rill_harness_push_watermark(h, 0, 100);
 *   g_assert_cmpint(rill_harness_pull_watermark(h), ==, 100);
 *   rill_harness_free(h);
 *
 * For a stage built by a rill_pipeline_add_* call, build it on the
 * harness's pipeline with the harness's inputs, then start:
 *
 *   rill_harness *h = rill_harness_new_empty();
 *   rill_stage *w = rill_pipeline_add_window(rill_harness_pipeline(h), "w",
 *                                            rill_harness_input(h, 0), &spec, agg);
 *   rill_harness_start(h, w, &error);
 *
 * The fake clock (rill_harness_clock_fn with the harness as data) is what
 * processing-time code reads: pass it as a rill_clock_fn and set it with
 * rill_harness_set_time; it moves only when the test moves it.
 *
 * Misuse (pushing after the end, pulling the wrong kind of event) fails the
 * test with g_assert. Not thread safe: one thread drives a harness.
 */
#pragma once

#include <rill/rill.h>

typedef struct rill_harness rill_harness;

/* ---- construction ------------------------------------------------------- */

/* A harness with an empty pipeline, for stages built with rill_pipeline_add_*
 * calls on rill_harness_pipeline() over rill_harness_input()s. (transfer full) */
rill_harness *rill_harness_new_empty(void);
/* @klass with @user_data (not owned) and @n_inputs inputs, opened: fails the
 * test when open() fails. (transfer full) */
rill_harness *rill_harness_new(const rill_operator_class *klass, void *user_data, guint n_inputs);
/* Closes the operator (close() runs whether or not input ended) and frees
 * everything, the pipeline and its stages' user data included. */
void rill_harness_free(rill_harness *h);

/* The pipeline to build the stage under test on (set its parallelism here:
 * the harness plays task 0 of it). (transfer none) */
rill_pipeline *rill_harness_pipeline(rill_harness *h);
/* The @i-th input placeholder stage (created on first use), to pass as an
 * input of the stage under test. Pushes name the stage's input index (what
 * process() sees), whichever placeholder is wired there. (transfer none) */
rill_stage *rill_harness_input(rill_harness *h, guint i);
/* Makes @stage (an operator or sink on rill_harness_pipeline()) the one
 * under test and opens it; pushes feed its inputs directly, so stages an add
 * call put in front of it (top-N's router) never run. FALSE with @error (as
 * the pipeline would report it) when open() fails. The pipeline cannot be
 * run afterwards. */
gboolean rill_harness_start(rill_harness *h, rill_stage *stage, GError **error);

/* ---- pushing ------------------------------------------------------------ */

/* Each push hands its item to the operator now, unless barrier alignment
 * holds @input back (then it is delivered, in push order, once the other
 * inputs caught up). Returns RILL_FLOW_OK, or the failure of the callback
 * (RILL_FLOW_ERROR: rill_harness_error() says why); after a failure every
 * push returns RILL_FLOW_FLUSHING and is dropped. */

/* (transfer full) @batch; a watermark or barrier on it is honoured after
 * its records, as if it came from a stream. */
rill_flow rill_harness_push(rill_harness *h, guint input, rill_batch *batch);
/* A one-record batch with a copy of @record. */
rill_flow rill_harness_push_record(rill_harness *h, guint input, const rill_record *record);
/* A one-record batch: @key and @value strings (NULL = absent), @ts. */
rill_flow rill_harness_push_kv(rill_harness *h, guint input, const char *key, const char *value, int64_t ts);
/* A watermark (RILL_WATERMARK_IDLE marks the input idle). */
rill_flow rill_harness_push_watermark(rill_harness *h, guint input, int64_t watermark);
/* Checkpoint barrier @barrier_id (>= 1, increasing per input). */
rill_flow rill_harness_push_barrier(rill_harness *h, guint input, uint64_t barrier_id);
/* End of stream on @input; once every input ended, finish() runs. */
rill_flow rill_harness_push_eos(rill_harness *h, guint input);
/* End of stream on every input not ended yet. */
rill_flow rill_harness_finish(rill_harness *h);

/* TRUE once finish() ran (every input ended and nothing failed). */
gboolean rill_harness_finished(const rill_harness *h);
/* The failure reported by the operator, as the pipeline would return it,
 * or NULL. (transfer none) */
const GError *rill_harness_error(const rill_harness *h);

/* ---- pulling ------------------------------------------------------------ */

typedef enum {
  RILL_HARNESS_RECORD = 1,
  RILL_HARNESS_WATERMARK,
  RILL_HARNESS_BARRIER,
} rill_harness_kind;

/* One thing the operator emitted, in emission order: the records of an
 * output batch, then its watermark, then its barrier. */
typedef struct {
  rill_harness_kind kind;
  const rill_record *record; /* RECORD: (transfer none), valid until the next pull or free */
  int64_t watermark;         /* WATERMARK */
  uint64_t barrier;          /* BARRIER */
} rill_harness_event;

/* The next event into @ev; FALSE when everything emitted so far was pulled. */
gboolean rill_harness_pull(rill_harness *h, rill_harness_event *ev);
/* Events emitted and not pulled yet. */
guint rill_harness_pending(const rill_harness *h);
/* The next event, which must be a record / watermark / barrier (else the
 * test fails). The record is valid until the next pull. (transfer none) */
const rill_record *rill_harness_pull_record(rill_harness *h);
int64_t rill_harness_pull_watermark(rill_harness *h);
uint64_t rill_harness_pull_barrier(rill_harness *h);
/* Pulls and drops every pending event; returns how many records were among them. */
guint rill_harness_drain(rill_harness *h);

/* ---- clock, metrics, checkpoints ---------------------------------------- */

/* The fake clock, ms (starts at 0): a rill_clock_fn over a rill_harness. */
int64_t rill_harness_clock_fn(void *harness);
void rill_harness_set_time(rill_harness *h, int64_t ms);

/* The stage's counters so far (records in/out, late records, state bytes,
 * dead letters; stage/type_name valid while @h lives). */
rill_stage_metrics rill_harness_metrics(rill_harness *h);

/* The operator's snapshot() for checkpoint @checkpoint_id, as the runtime
 * takes it right after the barrier (push it first to test that order); NULL
 * when the operator keeps no state. Fails the test when snapshot() fails.
 * (transfer full) */
GBytes *rill_harness_snapshot(rill_harness *h, uint64_t checkpoint_id);
/* Makes rill_harness_start restore @snapshot (from rill_harness_snapshot)
 * right after open(), as a restart from a checkpoint does; start then fails
 * when restore() does. Before start only. (transfer none) */
void rill_harness_restore_from(rill_harness *h, GBytes *snapshot);
