/* progress.h — a live progress line for finite pipelines, and a JSON run
 * summary, both built on the metrics snapshot (rill_pipeline_get_metrics).
 *
 * Progress line: attached before the run, a timer thread samples the
 * metrics a few times a second and, while the output is a terminal, redraws
 * one line: input bytes done / total (sources that call
 * rill_source_add_progress), records read, rate and ETA. It draws nothing
 * until a source has reported progress (unbounded sources never do), and
 * clears the line when the pipeline's tasks have all ended.
 *
 *   rill_progress *pr = rill_progress_attach(p, NULL);
 *   ok = rill_pipeline_run(p, &error);
 *   rill_progress_detach(pr);
 *   char *json = rill_pipeline_summary_json(p);
 *
 * Summary: one JSON object (schema in docs/progress.md) with the run's
 * elapsed time, its result, totals (records read by sources, written by
 * sinks, dead letters) and per-stage counters.
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

typedef struct rill_progress_options {
  gboolean quiet;       /* never draw (the --quiet switch) */
  FILE *out;            /* (transfer none) where the line goes; NULL = stderr.
                         * Drawn only when isatty(fileno(out)). */
  guint interval_ms;    /* redraw period; 0 = 200 (5 per second); minimum 50 */
  FILE *summary_out;    /* (transfer none) if set, detach writes the JSON summary
                         * here, one line */
} rill_progress_options;

typedef struct rill_progress rill_progress;

/* Starts following @pipeline (transfer none: must outlive the handle; a
 * reference is taken). Call before or after rill_pipeline_start. @options
 * (transfer none) may be NULL for defaults. Never fails: with quiet or a
 * non-terminal output no thread is started. (transfer full) */
RILL_API rill_progress *rill_progress_attach(rill_pipeline *pipeline, const rill_progress_options *options);

/* Stops the timer, clears the line if one is shown, writes the summary if
 * asked, and frees @progress. Call after rill_pipeline_wait/run. NULL is
 * ignored. */
RILL_API void rill_progress_detach(rill_progress *progress);

/* TRUE when @progress draws (not quiet and the output is a terminal). */
RILL_API gboolean rill_progress_is_active(const rill_progress *progress);

/* Formats the progress line for a snapshot (exposed for tests and custom
 * displays): @m (n entries) from rill_pipeline_get_metrics, @elapsed_s since
 * start, @rate_bps the recent input rate in bytes/s (< 0: unknown).
 * (transfer full) */
RILL_API char *rill_progress_format_line(const rill_stage_metrics *m, guint n, double elapsed_s, double rate_bps);

/* The run summary of @pipeline as a one-line JSON object; callable during
 * and after a run (elapsed counts to now while running). (transfer full) */
RILL_API char *rill_pipeline_summary_json(rill_pipeline *pipeline);

G_END_DECLS
