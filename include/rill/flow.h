/* flow.h — the status every data-path call returns, and the verdict
 * per-record callbacks give.
 *
 * Modelled on GStreamer's GstFlowReturn: zero is success, "expected" ends are
 * small negatives, errors go lower. Data-path calls never allocate a GError
 * per record; a stage that fails reports details once through
 * rill_ctx_set_error() and returns RILL_FLOW_ERROR.
 */
#pragma once

#include <rill/export.h>

G_BEGIN_DECLS

typedef enum {
  RILL_FLOW_OK = 0,        /* carry on */
  RILL_FLOW_FLUSHING = -2, /* the pipeline is stopping: unwind, drop the data, no error */
  RILL_FLOW_EOS = -3,      /* end of stream: a source has no more records */
  RILL_FLOW_ERROR = -5,    /* a stage failed; details were set on its rill_ctx */
} rill_flow;

/* Returns a static name such as "ok" or "eos". (transfer none) */
RILL_API const char *rill_flow_name(rill_flow flow);

/* What a per-record callback decides about one record: filter functions
 * (pipeline.h) and parse callbacks (fields.h) return it. */
typedef enum {
  RILL_VERDICT_KEEP,   /* emit the (possibly edited) record */
  RILL_VERDICT_DROP,   /* drop it silently */
  RILL_VERDICT_REJECT, /* send it to the dead-letter output with *reason
                        * (parse stages; a filter, having none, fails) */
  RILL_VERDICT_FAIL,   /* fail the stage (after rill_ctx_fail) */
} rill_verdict;

G_END_DECLS
