/* task.c — the data path: one task runs one chain of stages on its own
 * thread, calling chained stages directly (a stage's batch goes to each of
 * its chained downstream stages in turn, then to its stream links) and
 * talking to other tasks only through streams.
 *
 * A task's life: open every stage of its chain (head first); then either
 * call the source's read() in a loop, or pop batches from its input
 * channels and deliver them to the head; at a clean end of input, finish
 * each stage in chain order (its leftovers flow down the chain before the
 * next stage finishes) and close its output streams; finally close every
 * opened stage, whatever happened.
 *
 * Invariants: markers are stripped from a batch before process() sees it
 * and handled after its records; a stage's emitter builder is flushed after
 * every callback, so nothing waits inside a chain for more input; once the
 * input pauses after records went through (an empty source read(), or
 * RILL_IDLE_MS without a batch), every stage's on_idle runs once, so sinks
 * show their output while the job waits (live output); busy time
 * is exclusive (time spent downstream or pushing is subtracted); the first
 * error of a task is reported (with its stage name) and later ERRORs, which
 * are that one unwinding, are not.
 */
#include "runtime/pipeline-private.h"
#include "runtime/snap.h"

#include <rill/checkpoint.h>
#include <stdarg.h>

static inline gint64 now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline gboolean cancelled(const rill_pipeline *p)
{
  return __atomic_load_n(&p->cancelled, __ATOMIC_RELAXED);
}

/* ---- context ------------------------------------------------------------ */

const char *rill_ctx_stage_name(const rill_ctx *ctx)
{
  g_return_val_if_fail(ctx != NULL, NULL);
  return ctx->stage->name;
}

guint rill_ctx_task_index(const rill_ctx *ctx)
{
  g_return_val_if_fail(ctx != NULL, 0);
  return ctx->task->index;
}

guint rill_ctx_parallelism(const rill_ctx *ctx)
{
  g_return_val_if_fail(ctx != NULL, 0);
  return ctx->task->pipeline->parallelism;
}

void rill_ctx_set_error(rill_ctx *ctx, GError *error)
{
  g_return_if_fail(ctx != NULL && error != NULL);
  if (ctx->error)
    g_error_free(error);
  else
    ctx->error = error;
}

void rill_ctx_fail(rill_ctx *ctx, const char *format, ...)
{
  g_return_if_fail(ctx != NULL && format != NULL);
  va_list ap;
  va_start(ap, format);
  char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  rill_ctx_set_error(ctx, g_error_new_literal(RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE, msg));
  g_free(msg);
}

gboolean rill_ctx_is_stopping(const rill_ctx *ctx)
{
  g_return_val_if_fail(ctx != NULL, TRUE);
  return __atomic_load_n(&ctx->task->pipeline->stopping, __ATOMIC_RELAXED);
}

gboolean rill_ctx_checkpoints_enabled(const rill_ctx *ctx)
{
  g_return_val_if_fail(ctx != NULL, FALSE);
  return ctx->task->pipeline->ckpt != NULL;
}

gboolean rill_ctx_is_cancelled(const rill_ctx *ctx)
{
  g_return_val_if_fail(ctx != NULL, TRUE);
  return cancelled(ctx->task->pipeline);
}

static rill__task_stage *ts_of(rill_ctx *ctx)
{
  return &ctx->task->stages[ctx->pos];
}

void rill_ctx_add_late_records(rill_ctx *ctx, guint64 n)
{
  g_return_if_fail(ctx != NULL);
  rill__ctr_add(&ts_of(ctx)->counters->late_records, n);
}

void rill_ctx_set_state_bytes(rill_ctx *ctx, guint64 bytes)
{
  g_return_if_fail(ctx != NULL);
  __atomic_store_n(&ts_of(ctx)->counters->state_bytes, bytes, __ATOMIC_RELAXED);
}

void *rill_ctx_alloc(rill_ctx *ctx, size_t len)
{
  g_return_val_if_fail(ctx != NULL, NULL);
  return rill_emitter_alloc(&ts_of(ctx)->out, len);
}

/* Reports the failure of @ctx's stage once per task, then cancels. */
static rill_flow report(rill_ctx *ctx, rill_flow flow, const char *what)
{
  rill__task *t = ctx->task;
  if (flow != RILL_FLOW_ERROR || t->failed) {
    g_clear_error(&ctx->error);
    return flow == RILL_FLOW_ERROR ? RILL_FLOW_ERROR : RILL_FLOW_FLUSHING;
  }
  t->failed = TRUE;
  GError *e = ctx->error;
  ctx->error = NULL;
  GError *out = g_error_new(RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE, "stage '%s' (task %u): %s",
                            ctx->stage->name, t->index,
                            e ? e->message : what);
  rill__pipeline_fail_stage(t->pipeline, out, e);
  return RILL_FLOW_ERROR;
}

/* ---- sending downstream ------------------------------------------------- */

static rill_flow deliver(rill__task *t, guint pos, guint input, rill_batch *b);

static rill_flow push(rill__task *t, rill__task_stage *ts, rill_stream *s, rill_batch *b)
{
  guint64 before = s->blocked_ns;
  gint64 t0 = now_ns();
  rill_flow flow = rill_stream_push(s, b);
  t->nested_ns += now_ns() - t0;
  if (s->blocked_ns != before)
    rill__ctr_add(&ts->counters->blocked_ns, s->blocked_ns - before);
  return flow;
}

static rill_flow send_link(rill__task *t, rill__task_stage *ts, rill__link *l, gint channel, rill_batch *b)
{
  if (l->n_streams == 1)
    return push(t, ts, l->streams[0], b);
  rill_flow flow = RILL_FLOW_OK;
  if (b->has_watermark || b->barrier) {
    /* Markers reach every consumer; records go to one. */
    rill_batch *marker = rill_batch_new_marker(b->has_watermark, b->watermark, b->barrier);
    if (b->n_records) {
      b = rill_batch_make_writable(b);
      b->has_watermark = FALSE;
      b->barrier = 0;
      flow = send_link(t, ts, l, channel, b);
    } else {
      rill_batch_unref(b);
    }
    for (guint i = 0; flow == RILL_FLOW_OK && i < l->n_streams; i++)
      flow = push(t, ts, l->streams[i], rill_batch_ref(marker));
    rill_batch_unref(marker);
    return flow;
  }
  guint c = channel >= 0 ? (guint)channel % l->n_streams : ts->out.round_robin++ % l->n_streams;
  return push(t, ts, l->streams[c], b);
}

/* To every chained downstream stage (in definition order), then to every
 * stream link of this stage; all but the last get a reference. */
static rill_flow send(rill_emitter *out, gint channel, rill_batch *b)
{
  rill__task *t = out->ctx->task;
  guint pos = out->ctx->pos;
  rill__task_stage *ts = ts_of(out->ctx);
  rill__ctr_add(&ts->counters->batches_out, 1);
  rill__ctr_add(&ts->counters->records_out, b->n_records);
  rill__ctr_add(&ts->counters->bytes_out, b->payload_bytes);
  guint left = ts->n_next;
  for (guint i = 0; i < t->n_links; i++)
    left += t->links[i].pos == pos;
  if (left == 0) {
    rill_batch_unref(b);
    return RILL_FLOW_OK;
  }
  rill_flow flow = RILL_FLOW_OK;
  for (guint k = 0; k < ts->n_next; k++) {
    rill_batch *mine = --left > 0 ? rill_batch_ref(b) : b;
    if (flow == RILL_FLOW_OK)
      flow = deliver(t, ts->next[k].pos, ts->next[k].input, mine);
    else
      rill_batch_unref(mine);
  }
  for (guint i = 0; i < t->n_links; i++) {
    if (t->links[i].pos != pos)
      continue;
    rill_batch *mine = --left > 0 ? rill_batch_ref(b) : b;
    if (flow == RILL_FLOW_OK)
      flow = send_link(t, ts, &t->links[i], channel, mine);
    else
      rill_batch_unref(mine);
  }
  return flow;
}

static rill_flow flush(rill_emitter *out)
{
  if (!out->builder || rill_batch_builder_is_empty(out->builder))
    return RILL_FLOW_OK;
  rill_batch *b = rill_batch_builder_finish(out->builder);
  out->owner_referenced = FALSE;
  out->pending_since = 0;
  return send(out, -1, b);
}

/* ---- emitter ------------------------------------------------------------ */

static inline rill_batch_builder *builder(rill_emitter *out)
{
  if (G_UNLIKELY(!out->builder))
    out->builder = rill_batch_builder_new(0);
  if (out->owner && !out->owner_referenced) {
    rill_batch_builder_reference(out->builder, out->owner);
    out->owner_referenced = TRUE;
  }
  return out->builder;
}

static inline rill_flow after_append(rill_emitter *out)
{
  return G_UNLIKELY(rill__builder_is_full(out->builder)) ? flush(out) : RILL_FLOW_OK;
}

rill_flow rill_emit_record(rill_emitter *out, const rill_record *record)
{
  g_return_val_if_fail(out != NULL && record != NULL, RILL_FLOW_ERROR);
  rill_batch_builder_append(builder(out), record);
  return after_append(out);
}

rill_flow rill_emit_record_ref(rill_emitter *out, const rill_record *record, const rill_batch *owner)
{
  g_return_val_if_fail(out != NULL && record != NULL && owner != NULL, RILL_FLOW_ERROR);
  rill_batch_builder *b = builder(out);
  rill_batch_builder_reference(b, owner);
  rill__builder_append_raw(b, record);
  return after_append(out);
}

rill_flow rill_emit_record_raw(rill_emitter *out, const rill_record *record)
{
  g_return_val_if_fail(out != NULL && record != NULL, RILL_FLOW_ERROR);
  rill__builder_append_raw(builder(out), record);
  return after_append(out);
}

void *rill_emitter_alloc(rill_emitter *out, size_t len)
{
  g_return_val_if_fail(out != NULL, NULL);
  return rill__builder_alloc(builder(out), len);
}

void rill_emitter_reference(rill_emitter *out, const rill_batch *owner)
{
  g_return_if_fail(out != NULL && owner != NULL);
  out->owner = owner;
  out->owner_referenced = FALSE;
}

rill_flow rill_emit_batch_to(rill_emitter *out, guint channel, rill_batch *batch)
{
  g_return_val_if_fail(out != NULL && batch != NULL, RILL_FLOW_ERROR);
  rill_flow flow = flush(out);
  if (flow != RILL_FLOW_OK) {
    rill_batch_unref(batch);
    return flow;
  }
  return send(out, (gint)(channel & G_MAXINT), batch);
}

rill_flow rill_emitter_flush(rill_emitter *out)
{
  g_return_val_if_fail(out != NULL, RILL_FLOW_ERROR);
  return flush(out);
}

rill_flow rill_emit_batch(rill_emitter *out, rill_batch *batch)
{
  g_return_val_if_fail(out != NULL && batch != NULL, RILL_FLOW_ERROR);
  rill_flow flow = flush(out);
  if (flow != RILL_FLOW_OK) {
    rill_batch_unref(batch);
    return flow;
  }
  return send(out, -1, batch);
}

guint rill_emitter_n_channels(const rill_emitter *out)
{
  g_return_val_if_fail(out != NULL, 1);
  const rill__task *t = out->ctx->task;
  guint n = 1;
  for (guint i = 0; i < t->n_links; i++)
    if (t->links[i].pos == out->ctx->pos)
      n = MAX(n, t->links[i].n_streams);
  return n;
}

rill_flow rill_emit_watermark(rill_emitter *out, int64_t watermark)
{
  g_return_val_if_fail(out != NULL, RILL_FLOW_ERROR);
  rill_batch_builder_set_watermark(builder(out), watermark);
  return flush(out);
}

rill_flow rill_emit_barrier(rill_emitter *out, uint64_t barrier_id)
{
  g_return_val_if_fail(out != NULL && barrier_id != 0, RILL_FLOW_ERROR);
  rill_batch_builder_set_barrier(builder(out), barrier_id);
  return flush(out);
}

/* ---- calling stages ----------------------------------------------------- */

/* Bookkeeping around one callback of stage @pos: exclusive busy time, the
 * emitter flush after it, and error reporting. */
#define CALL(t, ts, flow, expr)                                   \
  do {                                                            \
    gint64 saved_ = (t)->nested_ns;                               \
    (t)->nested_ns = 0;                                           \
    gint64 t0_ = now_ns();                                        \
    flow = (expr);                                                \
    (ts)->out.owner = NULL;                                       \
    if (flow == RILL_FLOW_OK)                                     \
      flow = flush(&(ts)->out);                                   \
    gint64 d_ = now_ns() - t0_;                                   \
    rill__ctr_add(&(ts)->counters->busy_ns, (guint64)(d_ - (t)->nested_ns)); \
    (t)->nested_ns = saved_ + d_;                                 \
    if (flow != RILL_FLOW_OK)                                     \
      flow = report(&(ts)->ctx, flow, "failed without details");  \
  } while (0)

static rill_flow on_watermark(rill__task *t, guint pos, int64_t wm)
{
  rill__task_stage *ts = &t->stages[pos];
  const rill_operator_class *op = ts->ctx.stage->op;
  rill_flow flow;
  if (wm != RILL_WATERMARK_IDLE)
    rill__ctr_set_seen(&ts->counters->watermark, &ts->counters->watermark_seen, wm);
  /* IDLE is a routing hint, not a time: stages never see it. */
  if (op->on_watermark && wm != RILL_WATERMARK_IDLE)
    CALL(t, ts, flow, op->on_watermark(&ts->ctx, ts->state, wm, &ts->out));
  else
    flow = rill_emit_watermark(&ts->out, wm);
  return flow;
}

/* Appends stage @pos's snapshot entry for the checkpoint being collected. */
static rill_flow snapshot_stage(rill__task *t, guint pos, uint64_t id)
{
  rill__task_stage *ts = &t->stages[pos];
  rill_stage *s = ts->ctx.stage;
  rill_flow (*fn)(rill_ctx *, void *, uint64_t, GByteArray *) = s->source ? s->source->snapshot : s->op->snapshot;
  if (!fn)
    return RILL_FLOW_OK;
  rill__snap_bytes(t->snap, s->name, strlen(s->name));
  guint at = rill__snap_begin_len(t->snap);
  rill_flow flow;
  CALL(t, ts, flow, fn(&ts->ctx, ts->state, id, t->snap));
  rill__snap_end_len(t->snap, at);
  t->snap_entries++;
  return flow;
}

static rill_flow on_barrier(rill__task *t, guint pos, uint64_t id)
{
  rill__task_stage *ts = &t->stages[pos];
  const rill_operator_class *op = ts->ctx.stage->op;
  rill_flow flow;
  if (op->on_barrier)
    CALL(t, ts, flow, op->on_barrier(&ts->ctx, ts->state, id, &ts->out));
  else
    flow = rill_emit_barrier(&ts->out, id);
  /* The barrier went down the chain first: stages further down have
   * snapshotted already, and nothing after the barrier was processed. */
  if (flow == RILL_FLOW_OK && t->snap_id == id)
    flow = snapshot_stage(t, pos, id);
  return flow;
}

static void begin_snapshot(rill__task *t, uint64_t id)
{
  t->snap_id = id;
  t->snap_entries = 0;
  if (!t->snap)
    t->snap = g_byte_array_new();
  g_byte_array_set_size(t->snap, 0);
}

static void end_snapshot(rill__task *t, rill_flow flow)
{
  if (flow == RILL_FLOW_OK)
    rill__checkpoint_ack(t, t->snap_id, t->snap, t->snap_entries);
  t->snap_id = 0;
  g_byte_array_set_size(t->snap, 0);
}

/* Tells the task's stages about checkpoints completed since the last call. */
static void notify_complete(rill__task *t)
{
  uint64_t done = rill__checkpoint_completed(t->pipeline);
  if (done <= t->notified)
    return;
  t->notified = done;
  for (guint pos = 0; pos < t->n_stages; pos++) {
    rill__task_stage *ts = &t->stages[pos];
    rill_stage *s = ts->ctx.stage;
    void (*fn)(rill_ctx *, void *, uint64_t) = s->source ? s->source->on_checkpoint_complete
                                                         : s->op->on_checkpoint_complete;
    if (fn && ts->opened)
      fn(&ts->ctx, ts->state, done);
  }
}

/* Live output: the input paused after records went down the chain; each
 * stage with on_idle pushes out what it holds, in chain order (what a
 * stage emits from on_idle reaches the stages after it first). */
static rill_flow idle_stages(rill__task *t)
{
  rill_flow flow = RILL_FLOW_OK;
  if (!t->unflushed)
    return flow;
  t->unflushed = FALSE;
  for (guint pos = 0; flow == RILL_FLOW_OK && pos < t->n_stages; pos++) {
    rill__task_stage *ts = &t->stages[pos];
    const rill_operator_class *op = ts->ctx.stage->op;
    if (op && op->on_idle)
      CALL(t, ts, flow, op->on_idle(&ts->ctx, ts->state, &ts->out));
  }
  return flow;
}

/* Hands the records of @b (transfer full, markers already removed) to
 * stage @pos. */
static rill_flow process(rill__task *t, guint pos, guint input, rill_batch *b)
{
  rill__task_stage *ts = &t->stages[pos];
  rill__ctr_add(&ts->counters->batches_in, 1);
  rill__ctr_add(&ts->counters->records_in, b->n_records);
  rill__ctr_add(&ts->counters->bytes_in, b->payload_bytes);
  rill_flow flow;
  CALL(t, ts, flow, ts->ctx.stage->op->process(&ts->ctx, ts->state, input, b, &ts->out));
  return flow;
}

/* Takes the markers off @*b (which may become NULL when it had only markers). */
static void strip_markers(rill_batch **b, gboolean *has_wm, int64_t *wm, uint64_t *barrier)
{
  rill_batch *x = *b;
  *has_wm = x->has_watermark;
  *wm = x->watermark;
  *barrier = x->barrier;
  if (!*has_wm && !*barrier)
    return;
  if (x->n_records == 0) {
    rill_batch_unref(x);
    *b = NULL;
    return;
  }
  x = rill_batch_make_writable(x);
  x->has_watermark = FALSE;
  x->watermark = INT64_MIN;
  x->barrier = 0;
  *b = x;
}

/* Markers reaching chained stage @pos on @input when it has several
 * inputs: the stage sees the minimum watermark over its inputs (an idle
 * one left out) and a barrier once every input passed it. Its inputs are
 * branches of this task, so a barrier from the head reaches all of them
 * within one call of the head's on_barrier: no record slips in between. */
static rill_flow input_markers(rill__task *t, guint pos, guint input, gboolean has_wm, int64_t wm,
                               uint64_t barrier)
{
  rill__chained_inputs *in = t->stages[pos].inputs;
  if (has_wm) {
    if (wm == RILL_WATERMARK_IDLE || in->watermark[input] == RILL_WATERMARK_IDLE)
      in->watermark[input] = wm;
    else
      in->watermark[input] = MAX(in->watermark[input], wm);
  }
  if (barrier)
    in->barrier[input] = MAX(in->barrier[input], barrier);
  int64_t min_wm = INT64_MAX;
  uint64_t min_barrier = G_MAXUINT64;
  gboolean active = FALSE;
  for (guint i = 0; i < in->n; i++) {
    min_barrier = MIN(min_barrier, in->barrier[i]);
    if (in->watermark[i] == RILL_WATERMARK_IDLE)
      continue;
    active = TRUE;
    min_wm = MIN(min_wm, in->watermark[i]);
  }
  rill_flow flow = RILL_FLOW_OK;
  if (!active) {
    if (!in->idle) {
      in->idle = TRUE;
      flow = on_watermark(t, pos, RILL_WATERMARK_IDLE);
    }
  } else if (in->idle && min_wm != INT64_MIN) {
    in->idle = FALSE;
    in->combined = MAX(in->combined, min_wm);
    flow = on_watermark(t, pos, in->combined);
  } else if (min_wm > in->combined && min_wm != INT64_MIN) {
    in->combined = min_wm;
    flow = on_watermark(t, pos, min_wm);
  }
  if (flow == RILL_FLOW_OK && min_barrier > in->aligned) {
    in->aligned = min_barrier;
    flow = on_barrier(t, pos, min_barrier);
  }
  return flow;
}

/* A batch for chained stage @pos on its input @input. */
static rill_flow deliver(rill__task *t, guint pos, guint input, rill_batch *b)
{
  gboolean has_wm;
  int64_t wm;
  uint64_t barrier;
  strip_markers(&b, &has_wm, &wm, &barrier);
  rill_flow flow = b ? process(t, pos, input, b) : RILL_FLOW_OK;
  if (flow == RILL_FLOW_OK && (has_wm || barrier) && t->stages[pos].inputs)
    return input_markers(t, pos, input, has_wm, wm, barrier);
  if (flow == RILL_FLOW_OK && has_wm)
    flow = on_watermark(t, pos, wm);
  if (flow == RILL_FLOW_OK && barrier)
    flow = on_barrier(t, pos, barrier);
  return flow;
}

/* ---- the task's loop ---------------------------------------------------- */

gboolean rill__task_open_stages(rill__task *t)
{
  for (guint pos = 0; pos < t->n_stages; pos++) {
    rill__task_stage *ts = &t->stages[pos];
    rill_stage *s = ts->ctx.stage;
    GError *error = NULL;
    gboolean ok = TRUE;
    if (s->source && s->source->open)
      ok = s->source->open(&ts->ctx, s->user_data, t->splits, t->n_splits, &ts->state, &error);
    else if (!s->source && s->op->open)
      ok = s->op->open(&ts->ctx, s->user_data, &ts->state, &error);
    if (!ok) {
      if (error)
        rill_ctx_set_error(&ts->ctx, error);
      report(&ts->ctx, RILL_FLOW_ERROR, "failed to open");
      return FALSE;
    }
    ts->opened = TRUE;
    GBytes *snap = t->restore ? g_hash_table_lookup(t->restore, s->name) : NULL;
    gboolean (*restore)(rill_ctx *, void *, const uint8_t *, size_t, GError **) =
      s->source ? s->source->restore : s->op->restore;
    if (snap && restore) {
      gsize len;
      const uint8_t *data = g_bytes_get_data(snap, &len);
      if (!restore(&ts->ctx, ts->state, data ? data : (const uint8_t *)"", len, &error)) {
        GError *e = g_error_new(RILL_CHECKPOINT_ERROR, RILL_CHECKPOINT_ERROR_CORRUPT, "cannot restore checkpoint: %s",
                                error ? error->message : "malformed snapshot");
        g_clear_error(&error);
        rill_ctx_set_error(&ts->ctx, e);
        report(&ts->ctx, RILL_FLOW_ERROR, "failed to restore");
        return FALSE;
      }
    }
  }
  g_clear_pointer(&t->restore, g_hash_table_unref);
  return TRUE;
}

void rill__task_close_stages(rill__task *t)
{
  for (guint pos = 0; pos < t->n_stages; pos++) {
    rill__task_stage *ts = &t->stages[pos];
    rill_stage *s = ts->ctx.stage;
    if (ts->opened) {
      if (s->source && s->source->close)
        s->source->close(&ts->ctx, ts->state);
      else if (!s->source && s->op->close)
        s->op->close(&ts->ctx, ts->state);
      ts->opened = FALSE;
    }
    g_clear_error(&ts->ctx.error);
  }
}

rill_flow rill__task_finish_stages(rill__task *t)
{
  rill_flow flow = RILL_FLOW_OK;
  for (guint pos = 0; flow == RILL_FLOW_OK && pos < t->n_stages; pos++) {
    rill__task_stage *ts = &t->stages[pos];
    const rill_operator_class *op = ts->ctx.stage->op;
    if (op && op->finish)
      CALL(t, ts, flow, op->finish(&ts->ctx, ts->state, &ts->out));
    else
      flow = flush(&ts->out);
  }
  return flow;
}

static rill_flow run_source(rill__task *t)
{
  rill__task_stage *ts = &t->stages[0];
  const rill_source_class *src = ts->ctx.stage->source;
  rill_pipeline *p = t->pipeline;
  rill_flow flow = RILL_FLOW_OK;
  while (flow == RILL_FLOW_OK) {
    if (__atomic_load_n(&p->stopping, __ATOMIC_RELAXED))
      return cancelled(p) ? RILL_FLOW_FLUSHING : RILL_FLOW_EOS;
    if (p->ckpt) {
      uint64_t want = rill__checkpoint_trigger(p);
      if (want > t->barrier) {
        /* Position first (it covers everything emitted), then the barrier
         * behind those records; chained stages snapshot as it passes. */
        t->barrier = want;
        begin_snapshot(t, want);
        flow = snapshot_stage(t, 0, want);
        if (flow == RILL_FLOW_OK)
          flow = rill_emit_barrier(&ts->out, want);
        end_snapshot(t, flow);
        if (flow != RILL_FLOW_OK)
          return flow == RILL_FLOW_ERROR ? flow : report(&ts->ctx, flow, "barrier failed");
      }
      notify_complete(t);
    }
    gint64 t0 = now_ns();
    t->nested_ns = 0;
    guint64 emitted = ts->counters->records_out;
    flow = src->read(&ts->ctx, ts->state, &ts->out);
    gint64 t1 = now_ns();
    rill__ctr_add(&ts->counters->busy_ns, (guint64)(t1 - t0 - t->nested_ns));
    if (flow == RILL_FLOW_EOS && ts->ctx.error) {
      /* Damaged input after good records: deliver those, fail once drained. */
      GError *e = ts->ctx.error;
      ts->ctx.error = NULL;
      t->failed = TRUE;
      rill__pipeline_fail_after_drain(p, g_error_new(RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE,
                                                     "stage '%s' (task %u): %s", ts->ctx.stage->name,
                                                     t->index, e->message));
      g_error_free(e);
    }
    if (flow == RILL_FLOW_EOS)
      return flush(&ts->out) == RILL_FLOW_OK ? RILL_FLOW_EOS : RILL_FLOW_FLUSHING;
    if (flow != RILL_FLOW_OK)
      return report(&ts->ctx, flow, "read failed without details");
    /* A partly filled batch waits at most the linger time. */
    gboolean pending = ts->out.builder && !rill_batch_builder_is_empty(ts->out.builder);
    if (pending) {
      if (!ts->out.pending_since)
        ts->out.pending_since = t1;
      else if (t1 - ts->out.pending_since >= (gint64)RILL_SOURCE_LINGER_MS * 1000000)
        flow = flush(&ts->out);
    }
    /* An empty read() means the input is idle (source.h): live output. */
    if (ts->counters->records_out != emitted)
      t->unflushed = TRUE;
    else if (flow == RILL_FLOW_OK && !pending)
      flow = idle_stages(t);
  }
  return flow;
}

static gboolean inputs_ready(void *data)
{
  rill__task *t = data;
  if (cancelled(t->pipeline))
    return TRUE;
  if (t->pipeline->ckpt && rill__checkpoint_completed(t->pipeline) > t->notified)
    return TRUE;
  for (guint i = 0; i < t->n_channels; i++)
    if (!t->channels[i].eos && t->channels[i].barrier <= t->barrier &&
        rill__stream_poppable(t->channels[i].stream))
      return TRUE;
  return FALSE;
}

/* Markers from channel @c: the head sees the minimum watermark over open
 * channels, and a barrier once every open channel has passed it. */
static rill_flow channel_markers(rill__task *t, rill__channel *c, gboolean has_wm, int64_t wm, uint64_t barrier)
{
  if (has_wm) {
    /* An idle channel leaves the minimum; its next real watermark rejoins it. */
    if (wm == RILL_WATERMARK_IDLE || c->watermark == RILL_WATERMARK_IDLE)
      c->watermark = wm;
    else
      c->watermark = MAX(c->watermark, wm);
  }
  if (barrier)
    c->barrier = MAX(c->barrier, barrier);
  int64_t min_wm = INT64_MAX;
  uint64_t min_barrier = G_MAXUINT64;
  gboolean any = FALSE, active = FALSE;
  for (guint i = 0; i < t->n_channels; i++) {
    if (t->channels[i].eos)
      continue;
    any = TRUE;
    min_barrier = MIN(min_barrier, t->channels[i].barrier);
    if (t->channels[i].watermark == RILL_WATERMARK_IDLE)
      continue;
    active = TRUE;
    min_wm = MIN(min_wm, t->channels[i].watermark);
  }
  if (!any)
    return RILL_FLOW_OK; /* all ended: finish() follows */
  rill_flow flow = RILL_FLOW_OK;
  if (!active) {
    if (!t->idle) {
      t->idle = TRUE;
      flow = on_watermark(t, 0, RILL_WATERMARK_IDLE);
    }
  } else if (t->idle && min_wm != INT64_MIN) {
    /* Leaving idleness: downstream must see a real watermark again. */
    t->idle = FALSE;
    t->watermark = MAX(t->watermark, min_wm);
    flow = on_watermark(t, 0, t->watermark);
  } else if (min_wm > t->watermark && min_wm != INT64_MIN) {
    t->watermark = min_wm;
    flow = on_watermark(t, 0, min_wm);
  }
  if (flow == RILL_FLOW_OK && min_barrier > t->barrier) {
    t->barrier = min_barrier;
    if (t->pipeline->ckpt)
      begin_snapshot(t, min_barrier);
    flow = on_barrier(t, 0, min_barrier);
    if (t->pipeline->ckpt)
      end_snapshot(t, flow);
  }
  return flow;
}

rill_flow rill__task_input(rill__task *t, rill__channel *c, rill_batch *b)
{
  gboolean has_wm;
  int64_t wm;
  uint64_t barrier;
  strip_markers(&b, &has_wm, &wm, &barrier);
  rill_flow flow = b ? process(t, 0, c->input, b) : RILL_FLOW_OK;
  if (flow == RILL_FLOW_OK && (has_wm || barrier))
    flow = channel_markers(t, c, has_wm, wm, barrier);
  return flow;
}

rill_flow rill__task_input_ended(rill__task *t, rill__channel *c)
{
  c->eos = TRUE;
  return channel_markers(t, c, FALSE, 0, 0);
}

static rill_flow run_inputs(rill__task *t)
{
  guint open = t->n_channels, next = 0, idle = 0;
  while (open > 0) {
    gboolean got = FALSE;
    if (t->pipeline->ckpt)
      notify_complete(t);
    for (guint k = 0; k < t->n_channels; k++) {
      rill__channel *c = &t->channels[(next + k) % t->n_channels];
      /* Alignment: a channel past the task's barrier waits for the others. */
      if (c->eos || c->barrier > t->barrier)
        continue;
      rill_batch *b;
      rill_flow flow = rill_stream_try_pop(c->stream, &b);
      if (flow == RILL_FLOW_FLUSHING)
        return flow;
      if (flow == RILL_FLOW_EOS) {
        open--;
        flow = rill__task_input_ended(t, c);
        if (flow != RILL_FLOW_OK)
          return flow;
        continue;
      }
      if (!b)
        continue;
      got = TRUE;
      t->unflushed = TRUE;
      next = (next + k + 1) % t->n_channels;
      flow = rill__task_input(t, c, b);
      if (flow != RILL_FLOW_OK)
        return flow;
      break;
    }
    if (got) {
      idle = 0;
    } else if (open > 0) {
      if (cancelled(t->pipeline))
        return RILL_FLOW_FLUSHING;
      if (++idle <= 64)
        continue;
      /* Live output: after RILL_IDLE_MS without input, the stages push
       * out what they buffered, then the task sleeps until input comes. */
      if (!t->unflushed)
        rill__waiter_wait(&t->waiter, inputs_ready, t);
      else if (!rill__waiter_wait_until(&t->waiter, inputs_ready, t,
                                        g_get_monotonic_time() + RILL_IDLE_MS * 1000)) {
        rill_flow flow = idle_stages(t);
        if (flow != RILL_FLOW_OK)
          return flow;
      }
    }
  }
  return RILL_FLOW_EOS;
}

gpointer rill__task_main(gpointer data)
{
  rill__task *t = data;
  rill_stage *head = t->stages[0].ctx.stage;
  rill_flow flow = RILL_FLOW_EOS;
  /* A source task without splits has nothing to read: it ends at once; so
   * does a task the restored checkpoint saw finished (its output is in the
   * downstream state already). */
  gboolean idle_source = (head->source && t->n_splits == 0) || t->restore_finished;
  gboolean clean = FALSE;
  if (idle_source || rill__task_open_stages(t)) {
    if (idle_source)
      flow = RILL_FLOW_EOS;
    else if (head->source)
      flow = run_source(t);
    else
      flow = run_inputs(t);
    if (flow == RILL_FLOW_EOS && !cancelled(t->pipeline))
      clean = idle_source || rill__task_finish_stages(t) == RILL_FLOW_OK;
  }
  for (guint i = 0; i < t->n_links; i++)
    for (guint k = 0; k < t->links[i].n_streams; k++)
      rill_stream_close(t->links[i].streams[k]);
  rill__task_close_stages(t);
  /* Only after close: a sink finalizes its output there, and a restart
   * from a checkpoint that saw this task finished never runs it again. */
  if (t->pipeline->ckpt && clean && !t->failed)
    rill__checkpoint_task_finished(t);
  for (guint pos = 0; pos < t->n_stages; pos++) {
    rill_batch_builder_free(t->stages[pos].out.builder);
    t->stages[pos].out.builder = NULL;
  }
  rill__pipeline_task_done(t->pipeline);
  return NULL;
}

void rill__task_free(rill__task *t)
{
  for (guint i = 0; i < t->n_links; i++)
    g_free(t->links[i].streams);
  g_free(t->links);
  g_free(t->channels);
  g_free(t->splits);
  for (guint pos = 0; pos < t->n_stages; pos++) {
    rill__task_stage *ts = &t->stages[pos];
    g_free(ts->next);
    if (ts->inputs) {
      g_free(ts->inputs->watermark);
      g_free(ts->inputs->barrier);
      g_free(ts->inputs);
    }
  }
  g_free(t->stages);
  if (t->snap)
    g_byte_array_unref(t->snap);
  if (t->restore)
    g_hash_table_unref(t->restore);
  rill__waiter_clear(&t->waiter);
  g_free(t);
}
