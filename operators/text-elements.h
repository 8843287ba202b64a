/* text-elements.h — the plain-text side of the launch elements: the
 * line-level filter that `filter` builds when it has no field=
 * (line-filter.c). */
#pragma once

#include "runtime/launch/launch-private.h"

/* A stage keeping the lines (record values) that contain @operand (@cmp
 * "contains") or match the PCRE2 pattern @operand (@cmp "regex"), or, with
 * @invert, the others. NULL with @error (at the element's @cmp= value) for
 * another comparison or a bad pattern. (transfer none) */
rill_stage *rill__line_filter_add(rill_launch_builder *b, const char *name, rill_stage *input, const char *cmp,
                                  const char *operand, gboolean invert, GError **error);
