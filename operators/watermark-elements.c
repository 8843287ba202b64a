/* watermark-elements.c — the launch element watermarks: event time from
 * a field (a field stage "NAME.time" before it) or the record, and
 * bounded out-of-orderness watermarks.
 */
#include "operators/fieldops.h"

#include <rill/time.h>

static rill_stage *build_watermarks(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                    guint n_inputs, GError **error)
{
  rill_stage *in = inputs[0];
  if (rill__launch_has(b, "field")) {
    rill__fieldop *op = rill__fieldop_new(RILL__FIELDOP_TIMESTAMP, rill__launch_get(b, "field"), NULL);
    rill__fieldop_set_unit_ms(op, strcmp(rill__launch_get(b, "unit"), "s") == 0 ? 1000 : 1);
    char *sub = rill__launch_sub_name(b, "time");
    in = rill__fieldop_add(b, sub, in, op, error);
    g_free(sub);
    if (!in)
      return NULL;
  }
  rill_watermark_options o = {
    .max_out_of_orderness_ms = rill__launch_get_duration(b, "out-of-order"),
    .idle_timeout_ms = rill__launch_get_duration(b, "idle"),
    .processing_time = rill__launch_get_bool(b, "processing-time"),
  };
  return rill_pipeline_add_watermarks(b->pipeline, name, in, &o);
}

static const rill_launch_element elements[] = {
  {"watermarks", RILL_LAUNCH_TRANSFORM, "assign event time (from a field or the record) and emit watermarks",
   RILL__LAUNCH_PARAMS(
     {"field", RILL_LAUNCH_STRING, NULL, NULL, FALSE,
      "timestamp field: integer, ISO 8601 or access-log time (default: the record timestamp)"},
     {"unit", RILL_LAUNCH_ENUM, "ms", "ms|s", FALSE, "unit of integer timestamps"},
     {"out-of-order", RILL_LAUNCH_DURATION, "0", NULL, FALSE, "how far records may arrive out of order"},
     {"idle", RILL_LAUNCH_DURATION, "0", NULL, FALSE,
      "a partition silent this long stops holding time back (0 = never)"},
     {"processing-time", RILL_LAUNCH_BOOL, "false", NULL, FALSE, "stamp records with the clock instead"},
     RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM),
   .build = build_watermarks},
};

RILL__LAUNCH_ELEMENTS_DEFINE(watermark, elements)
