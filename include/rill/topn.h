/* topn.h — top-N per window: the N keys with the largest aggregate value in
 * each window, from the results of a window stage.
 *
 * The input must be window results (window.h encoding) whose value is a
 * decimal integer (count, sum, min, max, distinct_count, reduce). Results of
 * one window are gathered in one task (routed by window start), ranked by
 * value descending, ties by key bytes ascending, and emitted when the
 * watermark reaches the window's end - 1 (the window stage forwards it
 * after emitting that window's results, so all of them have arrived):
 *   key = the key, value = its value (decimal), timestamp = end - 1,
 *   headers window.start, window.end and "topn.rank" ("1" .. "N").
 * Windows are emitted in start order. A result arriving for a window already
 * ranked (a late update) is counted in `late` and dropped; results whose
 * value is not a decimal integer are counted there too.
 *
 * When the top-N is the only consumer of a tumbling or hopping window stage,
 * each window task emits at a window's first firing only its own n best
 * results (the others cannot rank): same output, far fewer result records.
 */
#pragma once

#include <rill/export.h>

#include <rill/window.h>

G_BEGIN_DECLS

#define RILL_TOPN_HEADER_RANK "topn.rank"

/* Adds the routing stage "<name>.route" and the ranking stage @name (which
 * is returned). @n in 1..1000. */
RILL_API rill_stage *rill_pipeline_add_window_top_n(rill_pipeline *pipeline, const char *name, rill_stage *window,
                                                    guint n);

G_END_DECLS
