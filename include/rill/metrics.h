/* metrics.h — per-stage counters, readable while a pipeline runs.
 *
 * Each task updates its own counters once per batch (no per-record atomics);
 * a snapshot sums them over the stage's P tasks. busy_ns is time inside the
 * stage's own callbacks (downstream chained stages excluded); blocked_ns is
 * time the stage's task waited on a full output stream: backpressure.
 */
#pragma once

#include <rill/export.h>

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef enum {
  RILL_STAGE_OPERATOR,
  RILL_STAGE_SOURCE,
  RILL_STAGE_SINK,
} rill_stage_role;

typedef struct rill_stage_metrics {
  const char *stage;      /* stage name; not refcounted, valid while the pipeline lives */
  const char *type_name;  /* operator/source/sink type name; same lifetime */
  rill_stage_role role;
  guint task_thread;      /* index of the thread group (chain) running the stage */
  guint64 records_in, bytes_in, batches_in;
  guint64 records_out, bytes_out, batches_out;
  guint64 busy_ns;        /* inside the stage's callbacks */
  guint64 blocked_ns;     /* blocked pushing into full output streams */
  guint64 late_records;   /* records routed to a late side output or dropped as too late */
  guint64 state_bytes;    /* keyed/window state held now, summed over tasks */
  guint queue_len;        /* batches waiting in the stage's input streams (0 when chained) */
  guint queue_capacity;   /* capacity of those streams (0 when chained) */
  /* Sources that know how far they are (rill_source_add_progress): input
   * bytes consumed and expected in all (0 = unknown). Drive progress lines. */
  guint64 source_bytes_done, source_bytes_total;
  guint64 dead_letters;   /* records the stage rejected to a dead-letter output (rill_ctx_add_dead_letters) */
  /* The watermark the stage was last given (event time, ms): the minimum
   * over its tasks that have one; has_watermark FALSE before any. */
  gboolean has_watermark;
  int64_t watermark;
  /* Records the source is behind its input (rill_ctx_set_source_lag),
   * summed over tasks; -1 when the source reports none. */
  int64_t source_lag;
} rill_stage_metrics;

/* Prints @metrics (n entries) as an aligned table to @out. */
RILL_API void rill_metrics_print(const rill_stage_metrics *metrics, guint n, FILE *out);

G_END_DECLS
