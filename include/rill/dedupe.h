/* dedupe.h — drop repeated keys within a time bound.
 *
 * Per key (the record key; key_by first when P > 1) the stage remembers the
 * timestamp of the last record it let through. A record whose timestamp is
 * within @within_ms of it (|ts - kept| < within) is a duplicate and dropped
 * (the stage metrics show records_in - records_out); otherwise it passes and
 * becomes the kept one. Records without a timestamp always pass. A key is
 * forgotten once the watermark reaches kept + within - 1, since no on-time
 * record can be its duplicate any more; a *late* duplicate arriving after
 * that passes (document your lateness bound accordingly). Order is kept.
 */
#pragma once

#include <rill/export.h>

#include <rill/pipeline.h>

G_BEGIN_DECLS

RILL_API rill_stage *rill_pipeline_add_dedupe(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                              int64_t within_ms);

G_END_DECLS
