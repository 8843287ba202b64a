/* status.h — rill-run's live status line on stderr (docs/rill-run.md,
 * "Status line"): for unbounded jobs records/s, source lag where known, the
 * most blocked stage and totals; for jobs whose sources know their size the progress line of
 * include/rill/progress.h. One thread, the only writer of the line. */
#pragma once

#include <rill/rill.h>

typedef struct status_line status_line;

/* Starts redrawing every STATUS_INTERVAL_MS on @out while @pipeline runs
 * (transfer none: must outlive the handle). NULL when @enabled is FALSE:
 * nothing is drawn then. */
status_line *status_line_start(rill_pipeline *pipeline, FILE *out, gboolean enabled);
/* Stops the thread and clears the line. NULL is ignored. */
void status_line_stop(status_line *status);

/* The text for one sample: @m / @prev (n entries each; @prev NULL on the
 * first sample) taken @dt_s apart, @elapsed_s since start. (transfer full) */
char *status_line_format(const rill_stage_metrics *m, const rill_stage_metrics *prev, guint n, double dt_s,
                         double elapsed_s);
