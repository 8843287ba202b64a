/* counters.c — the per-task counters stages add to beyond records and
 * bytes: source progress (bytes done / expected), source lag and dead
 * letters. Each is
 * written only by its task's thread (relaxed atomics, like the rest of
 * rill__counters) and summed by rill_pipeline_get_metrics. */
#include "runtime/pipeline-private.h"

static rill__counters *counters_of(rill_ctx *ctx)
{
  return ctx->task->stages[ctx->pos].counters;
}

void rill_source_add_progress(rill_ctx *ctx, guint64 bytes_done, guint64 bytes_total)
{
  g_return_if_fail(ctx != NULL);
  rill__counters *c = counters_of(ctx);
  if (bytes_done)
    rill__ctr_add(&c->source_bytes_done, bytes_done);
  if (bytes_total)
    rill__ctr_add(&c->source_bytes_total, bytes_total);
}

void rill_ctx_set_source_lag(rill_ctx *ctx, int64_t records)
{
  g_return_if_fail(ctx != NULL);
  rill__counters *c = counters_of(ctx);
  rill__ctr_set_seen(&c->source_lag, &c->source_lag_seen, MAX(records, 0));
}

void rill_ctx_add_dead_letters(rill_ctx *ctx, guint64 n)
{
  g_return_if_fail(ctx != NULL);
  rill__ctr_add(&counters_of(ctx)->dead_letters, n);
}
