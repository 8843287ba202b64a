/* operator.h — the interface every stage implements, and what a stage sees
 * while it runs: its context (rill_ctx) and its output (rill_emitter).
 *
 * The scheduler knows stages only through rill_operator_class; map, filter,
 * flat_map, union, sinks and every later operator (key_by, windows, joins)
 * and connector plug in through it without scheduler changes.
 *
 * Per task, the scheduler calls, all on the task's own thread:
 *   open -> { process | on_watermark | on_barrier }* -> finish (at EOS) -> close
 * open is called once per task (P times per stage); its *state is handed back
 * to every later callback. close is called whenever open succeeded, also
 * after errors and cancellation; finish only on a clean end of stream.
 *
 * Markers: a stage with several inputs (or input channels) gets
 * on_watermark with the minimum over them, and on_barrier once a barrier id
 * has arrived on all of them; a channel that delivered barrier n is not read
 * again until n arrived on every other open channel (alignment), so the
 * stage sees no record from after the barrier before on_barrier. A NULL
 * on_watermark / on_barrier forwards the marker downstream unchanged; an
 * on_barrier must forward the barrier too (checkpoints wait for it).
 */
#pragma once

#include <rill/export.h>

#include <rill/batch.h>
#include <rill/flow.h>

G_BEGIN_DECLS

/* ---- context ------------------------------------------------------------ */

/* One stage in one task. Owned by the runtime; valid from open to close. */
typedef struct rill_ctx rill_ctx;

/* (transfer none) the stage's name, unique in its pipeline. */
RILL_API const char *rill_ctx_stage_name(const rill_ctx *ctx);
/* This task's index in [0, parallelism). */
RILL_API guint rill_ctx_task_index(const rill_ctx *ctx);
RILL_API guint rill_ctx_parallelism(const rill_ctx *ctx);

/* Reports why the stage is about to return RILL_FLOW_ERROR. (transfer full)
 * @error. The first error wins; the pipeline returns it prefixed with the
 * stage's name. */
RILL_API void rill_ctx_set_error(rill_ctx *ctx, GError *error);
/* Same, with a formatted message (domain RILL_PIPELINE_ERROR, code STAGE). */
RILL_API void rill_ctx_fail(rill_ctx *ctx, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* TRUE once the pipeline drains (sources should return RILL_FLOW_EOS soon)
 * or stops; long-running callbacks poll it. */
RILL_API gboolean rill_ctx_is_stopping(const rill_ctx *ctx);
/* TRUE once the pipeline stops at once: return RILL_FLOW_FLUSHING promptly. */
RILL_API gboolean rill_ctx_is_cancelled(const rill_ctx *ctx);

/* Counts @n records this stage routed to its late side output or dropped
 * as too late (windows, joins); shown as `late` in the stage metrics. */
RILL_API void rill_ctx_add_late_records(rill_ctx *ctx, guint64 n);
/* Reports the bytes of keyed/window state this stage holds in this task
 * (a gauge: the latest value counts); metrics sum it over the tasks. */
RILL_API void rill_ctx_set_state_bytes(rill_ctx *ctx, guint64 bytes);
/* Counts @n records this stage sent to a dead-letter output instead of
 * processing them (rill_stage_metrics.dead_letters; run summaries). */
RILL_API void rill_ctx_add_dead_letters(rill_ctx *ctx, guint64 n);

/* @len bytes in the arena of the batch this stage is currently building
 * (valid as long as that batch). For map callbacks writing a new value.
 * (transfer none) */
RILL_API void *rill_ctx_alloc(rill_ctx *ctx, size_t len);

/* ---- emitter ------------------------------------------------------------ */

/* A stage's output within one task. Records emitted one by one accumulate
 * in a batch that goes downstream when full, before any emitted batch or
 * marker (order is kept), and at end of stream. */
typedef struct rill_emitter rill_emitter;

/* Emits a copy of @record (bytes copied). (transfer none) */
RILL_API rill_flow rill_emit_record(rill_emitter *out, const rill_record *record);
/* Emits @record without copying: @owner is the batch its bytes live in, and
 * stays referenced by the output. (transfer none) both. */
RILL_API rill_flow rill_emit_record_ref(rill_emitter *out, const rill_record *record, const rill_batch *owner);
/* Emits @record whose bytes were allocated with rill_emitter_alloc() /
 * rill_ctx_alloc() or live in a batch passed to rill_emitter_reference(). */
RILL_API rill_flow rill_emit_record_raw(rill_emitter *out, const rill_record *record);
/* Arena bytes for the next record(s). (transfer none) */
RILL_API void *rill_emitter_alloc(rill_emitter *out, size_t len);
/* Makes @owner's buffers referenced by the output until this callback
 * returns, for rill_emit_record_raw. (transfer none) */
RILL_API void rill_emitter_reference(rill_emitter *out, const rill_batch *owner);

/* Sends the records emitted so far downstream now, e.g. before failing so
 * that everything accepted before the bad record is delivered. */
RILL_API rill_flow rill_emitter_flush(rill_emitter *out);

/* Emits a whole batch. (transfer full) @batch; its markers are kept. */
RILL_API rill_flow rill_emit_batch(rill_emitter *out, rill_batch *batch);
/* On an exchange edge, sends @batch to consumer task @channel (mod the
 * channel count); elsewhere the same as rill_emit_batch. (transfer full) */
RILL_API rill_flow rill_emit_batch_to(rill_emitter *out, guint channel, rill_batch *batch);
/* Channels of the output: the parallelism when the stage feeds an exchange
 * edge, otherwise 1. */
RILL_API guint rill_emitter_n_channels(const rill_emitter *out);

/* A watermark value meaning "this input is idle": a source task whose
 * partitions all went silent emits it so it stops holding back the minimum
 * downstream. The scheduler skips idle channels when it combines channel
 * watermarks (an input whose channels are all idle passes IDLE on) and never
 * hands IDLE to a stage's on_watermark. A later ordinary watermark on the
 * channel makes it active again. */
#define RILL_WATERMARK_IDLE (INT64_MAX - 1)

/* Emits a watermark / barrier after everything emitted so far. Markers go
 * to every channel and every downstream stage. */
RILL_API rill_flow rill_emit_watermark(rill_emitter *out, int64_t watermark);
RILL_API rill_flow rill_emit_barrier(rill_emitter *out, uint64_t barrier_id);

/* ---- operator class ----------------------------------------------------- */

typedef enum {
  RILL_OPERATOR_NONE = 0,
  /* Never fuse this stage into its upstream's task (give it its own thread). */
  RILL_OPERATOR_NO_CHAIN = 1 << 0,
  /* Stages reading this stage's output do so over exchange edges, so its
   * rill_emit_batch_to() channels pick the consumer task (key_by). */
  RILL_OPERATOR_EXCHANGE_OUTPUT = 1 << 1,
} rill_operator_flags;

typedef struct rill_operator_class {
  const char *type_name; /* e.g. "map"; shown in metrics */
  guint flags;           /* rill_operator_flags */
  /* Per task. Sets *@state (may stay NULL). Return FALSE with @error set to
   * fail the pipeline. May be NULL. */
  gboolean (*open)(rill_ctx *ctx, void *user_data, void **state, GError **error);
  /* A batch arrived on input @input (index in the stage's input list).
   * (transfer full) @batch, without markers. Required. */
  rill_flow (*process)(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out);
  /* The stage's input watermark advanced to @watermark. May be NULL (forward). */
  rill_flow (*on_watermark)(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out);
  /* Barrier @barrier_id arrived on all inputs. May be NULL (forward). */
  rill_flow (*on_barrier)(rill_ctx *ctx, void *state, uint64_t barrier_id, rill_emitter *out);
  /* All inputs ended: emit what is buffered. May be NULL. */
  rill_flow (*finish)(rill_ctx *ctx, void *state, rill_emitter *out);
  /* Releases @state. May be NULL. */
  void (*close)(rill_ctx *ctx, void *state);
  /* Checkpoints (checkpoint.h); all three may be NULL (a stateless stage).
   * snapshot: called right after on_barrier for checkpoint @checkpoint_id
   * (so a forwarding on_barrier has already sent the barrier on); appends a
   * self-contained encoding of the task's state to @out. Return ERROR with
   * rill_ctx_set_error to fail the pipeline. */
  rill_flow (*snapshot)(rill_ctx *ctx, void *state, uint64_t checkpoint_id, GByteArray *out);
  /* restore: called after open, before any input, with the bytes snapshot
   * wrote (transfer none) when the pipeline restarts from a checkpoint. */
  gboolean (*restore)(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error);
  /* Every task of the pipeline has stored checkpoint @checkpoint_id durably. */
  void (*on_checkpoint_complete)(rill_ctx *ctx, void *state, uint64_t checkpoint_id);
  /* Live output: the task's input went idle after records passed this
   * stage (a source read() emitted nothing, or no batch arrived for
   * RILL_IDLE_MS). Push out what is buffered so a reader sees it now
   * (sinks write their buffers; durability is flush's job). Called once
   * per idle period, in chain order. May be NULL. */
  rill_flow (*on_idle)(rill_ctx *ctx, void *state, rill_emitter *out);
} rill_operator_class;

/* How long a task's input must stay empty before on_idle runs. */
#define RILL_IDLE_MS 20

G_END_DECLS
