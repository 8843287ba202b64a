/* expr-elements.h — expression stages for the launch elements that take
 * expr= (filter, key-by; map is in expr-elements.c): each is a parse stage
 * (rill_pipeline_add_parse) evaluating one compiled expression per record,
 * so each task reads fields with its own rill_fields and its arena.
 */
#pragma once

#include "runtime/launch/launch-private.h"

typedef enum {
  RILL__EXPR_STAGE_FILTER, /* keep the record when the expression is truthy */
  RILL__EXPR_STAGE_KEY,    /* record key := the expression as text (absent when null) */
} rill__expr_stage_kind;

/* A parse stage of @kind on @input evaluating @text (the element's @param=
 * value, which compile errors point at), parsing as @format and sending
 * records that do not parse to @dead_letter (the element's dead-letter=).
 * NULL with @error. (transfer none: the pipeline's) */
rill_stage *rill__expr_stage_add(rill_launch_builder *b, const char *name, rill_stage *input,
                                 rill__expr_stage_kind kind, const char *param, const char *text, int format,
                                 const char *dead_letter, GError **error);
