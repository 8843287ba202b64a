/* dedupe-elements.c — the launch element dedupe: drops records whose key
 * was seen within a time bound (operators/dedupe.c).
 */
#include "runtime/launch/launch-private.h"

#include <rill/dedupe.h>

typedef struct {
  int64_t within_ms;
} dedupe_props;

static rill_stage *build_dedupe(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                GError **error)
{
  const dedupe_props *p = rill__launch_props(b);
  return rill_pipeline_add_dedupe(b->pipeline, name, inputs[0], p->within_ms);
}

static const rill_launch_element elements[] = {
  {"dedupe", RILL_LAUNCH_TRANSFORM, "drop records whose key was seen within a time bound (event time)",
   RILL__LAUNCH_PARAMS(dedupe_props,
     {"within", RILL__CONF_DURATION, offsetof(dedupe_props, within_ms), 0, G_MAXINT64, RILL__CONF_REQUIRED, NULL, NULL, NULL, "records of a key closer than this are duplicates"}),
   .build = build_dedupe},
};

RILL__LAUNCH_ELEMENTS_DEFINE(dedupe, elements)
