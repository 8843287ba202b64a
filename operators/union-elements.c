/* union-elements.c — the launch element union: merges the inputs linked
 * into it with name. references (operators/union.c).
 */
#include "runtime/launch/launch-private.h"

static rill_stage *build_union(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                               GError **error)
{
  return rill_pipeline_add_union(b->pipeline, name, inputs, n_inputs);
}

static const rill_launch_element elements[] = {
  {"union", RILL_LAUNCH_MULTI, "merge several inputs (link them with name. references)", RILL__LAUNCH_NO_PARAMS,
   .build = build_union},
};

RILL__LAUNCH_ELEMENTS_DEFINE(union, elements)
