/* sink-stage.c — runs a rill_sink_class as an operator: write each batch,
 * flush at end of stream and at every barrier (then snapshot, so a sink
 * records what the flush committed), idle when the input pauses, close always. Sinks have no
 * outputs, so nothing is forwarded. */
#include "runtime/pipeline-private.h"

typedef struct {
  const rill_sink_class *klass;
  void *state;
} sink_state;

static gboolean sink_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  rill__closure *c = user_data;
  sink_state *s = g_new0(sink_state, 1);
  s->klass = c->klass;
  if (s->klass->open && !s->klass->open(ctx, c->user_data, &s->state, error)) {
    g_free(s);
    return FALSE;
  }
  *state = s;
  return TRUE;
}

static rill_flow sink_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  sink_state *s = state;
  rill_flow flow = s->klass->write(ctx, s->state, batch);
  rill_batch_unref(batch);
  return flow;
}

static rill_flow sink_flush(rill_ctx *ctx, sink_state *s)
{
  return s->klass->flush ? s->klass->flush(ctx, s->state) : RILL_FLOW_OK;
}

static rill_flow sink_on_watermark(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out)
{
  return RILL_FLOW_OK;
}

static rill_flow sink_on_barrier(rill_ctx *ctx, void *state, uint64_t barrier_id, rill_emitter *out)
{
  return sink_flush(ctx, state);
}

static rill_flow sink_on_idle(rill_ctx *ctx, void *state, rill_emitter *out)
{
  sink_state *s = state;
  return s->klass->idle ? s->klass->idle(ctx, s->state) : RILL_FLOW_OK;
}

static rill_flow sink_finish(rill_ctx *ctx, void *state, rill_emitter *out)
{
  return sink_flush(ctx, state);
}

static void sink_close(rill_ctx *ctx, void *state)
{
  sink_state *s = state;
  if (s->klass->close)
    s->klass->close(ctx, s->state);
  g_free(s);
}

static rill_flow sink_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  sink_state *s = state;
  return s->klass->snapshot ? s->klass->snapshot(ctx, s->state, id, out) : RILL_FLOW_OK;
}

static gboolean sink_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  sink_state *s = state;
  return s->klass->restore ? s->klass->restore(ctx, s->state, data, len, error) : TRUE;
}

static void sink_checkpoint_complete(rill_ctx *ctx, void *state, uint64_t id)
{
  sink_state *s = state;
  if (s->klass->on_checkpoint_complete)
    s->klass->on_checkpoint_complete(ctx, s->state, id);
}

const rill_operator_class rill__sink_class = {
  .type_name = "sink",
  .open = sink_open,
  .process = sink_process,
  .on_watermark = sink_on_watermark,
  .on_barrier = sink_on_barrier,
  .finish = sink_finish,
  .close = sink_close,
  .snapshot = sink_snapshot,
  .restore = sink_restore,
  .on_checkpoint_complete = sink_checkpoint_complete,
  .on_idle = sink_on_idle,
};
