/* keyby-private.h — key_by's routing without re-keying, for operators that
 * must gather records by something other than their key (top-N gathers a
 * window's results by window start). */
#pragma once

#include <rill/keyed.h>

/* Like rill_pipeline_add_key_by, but @fn's bytes only pick the task; the
 * record key is left as it is. */
rill_stage *rill__pipeline_add_route(rill_pipeline *pipeline, const char *name, rill_stage *input, rill_key_fn fn,
                                     void *user_data);
