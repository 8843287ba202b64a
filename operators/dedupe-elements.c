/* dedupe-elements.c — the launch element dedupe: drops records whose key
 * was seen within a time bound (operators/dedupe.c).
 */
#include "runtime/launch/launch-private.h"

#include <rill/dedupe.h>

static rill_stage *build_dedupe(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                GError **error)
{
  return rill_pipeline_add_dedupe(b->pipeline, name, inputs[0], rill__launch_get_duration(b, "within"));
}

static const rill_launch_element elements[] = {
  {"dedupe", RILL_LAUNCH_TRANSFORM, "drop records whose key was seen within a time bound (event time)",
   RILL__LAUNCH_PARAMS(
     {"within", RILL_LAUNCH_DURATION, NULL, NULL, TRUE, "records of a key closer than this are duplicates"}),
   .build = build_dedupe},
};

RILL__LAUNCH_ELEMENTS_DEFINE(dedupe, elements)
