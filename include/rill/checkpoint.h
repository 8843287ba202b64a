/* checkpoint.h — periodic, consistent snapshots of a running pipeline and
 * restart from the last complete one (docs/checkpoints.md has the long form).
 *
 * Every @interval_ms the pipeline injects barrier n at every source task;
 * the source records its position (rill_source_class.snapshot) and sends
 * the barrier downstream behind the records it emitted so far. A task with
 * several input channels aligns: once barrier n arrived on a channel, that
 * channel is not read again until n arrived on every other open channel (a
 * channel at end of stream counts as aligned). Each stage then snapshots its
 * state (rill_operator_class.snapshot), the task writes one file per
 * checkpoint, and when every task has done so (or had already finished) the
 * checkpoint's MANIFEST is written atomically: checkpoint n is complete.
 * Stages are then told (on_checkpoint_complete) on their own threads.
 *
 * On start, a pipeline whose checkpoint directory holds a complete
 * checkpoint restores it: every stage's state and every source's position.
 * Damaged or partial checkpoints are skipped in favour of older complete
 * ones. The restoring pipeline must have the same parallelism and the same
 * stages (names, order, chaining) as the one that wrote the checkpoint.
 *
 * On disk, in @dir: chk-<id>/task-<chain>-<index>.bin per task, then
 * chk-<id>/MANIFEST (the commit point); only the @retain newest complete
 * checkpoints are kept.
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

#define RILL_CHECKPOINT_ERROR (rill_checkpoint_error_quark())
RILL_API GQuark rill_checkpoint_error_quark(void);

typedef enum {
  RILL_CHECKPOINT_ERROR_IO,       /* the directory cannot be created, read or written */
  RILL_CHECKPOINT_ERROR_MISMATCH, /* the checkpoint was written by a different pipeline shape */
  RILL_CHECKPOINT_ERROR_CORRUPT,  /* a stage could not restore its snapshot */
} rill_checkpoint_error;

/* Turns checkpoints on for @pipeline (before start): snapshots go to @dir
 * (created if missing), one every @interval_ms (>= 1), keeping the @retain
 * (>= 1) newest complete ones. FALSE with @error when @dir cannot be
 * created. Restoring happens in rill_pipeline_start, which fails with
 * RILL_CHECKPOINT_ERROR_MISMATCH when the checkpoint does not fit. */
RILL_API gboolean rill_pipeline_enable_checkpoints(rill_pipeline *pipeline, const char *dir, guint interval_ms,
                                                   guint retain, GError **error);

/* Whether @ctx's pipeline takes checkpoints: sources that also commit
 * positions elsewhere (a Kafka consumer group) commit only completed
 * checkpoints' positions then. */
RILL_API gboolean rill_ctx_checkpoints_enabled(const rill_ctx *ctx);
/* The id of the last checkpoint this run completed (0: none yet). Thread safe. */
RILL_API guint64 rill_pipeline_get_last_checkpoint(rill_pipeline *pipeline);
/* The id of the checkpoint restored at start (0: started fresh). */
RILL_API guint64 rill_pipeline_get_restored_checkpoint(rill_pipeline *pipeline);

/* The id of the newest complete checkpoint in @dir (0: none), as a restart
 * would pick it. For tools and tests. */
RILL_API guint64 rill_checkpoint_latest(const char *dir);

G_END_DECLS
