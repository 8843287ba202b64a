/* event-time-private.h — what every operator driven by event time shares
 * (windows, top-N, joins, dedupe): on each watermark it *advances* its state
 * (fires what became due, drops what can no longer change), then forwards
 * the watermark; at finish it advances to the end of time, flushing all it
 * still holds.
 *
 * Invariant: the watermark goes downstream only after every result it
 * released, so a downstream stage never sees those results as late; a
 * failed advance does not forward it.
 */
#pragma once

#include <rill/operator.h>

/* The end of event time: what finish advances windows and top-N to, and the
 * ceiling of every window bound (rill__sat_add) and window watermark. Two
 * below INT64_MAX so that it never collides with RILL_WATERMARK_IDLE and
 * "end + 1" still fits. Joins keep records of any timestamp and flush at
 * INT64_MAX instead. */
#define RILL__END_OF_TIME (INT64_MAX - 2)

/* Moves @state's event time to @watermark, emitting what that releases. */
typedef rill_flow (*rill__advance_fn)(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out);

/* An on_watermark: advance to @watermark, then forward it. */
static inline rill_flow rill__advance_and_forward(rill_ctx *ctx, void *state, int64_t watermark, rill_emitter *out,
                                                  rill__advance_fn advance)
{
  rill_flow flow = advance(ctx, state, watermark, out);
  return flow == RILL_FLOW_OK ? rill_emit_watermark(out, watermark) : flow;
}
