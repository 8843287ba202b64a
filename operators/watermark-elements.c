/* watermark-elements.c — the launch element watermarks: event time from
 * a field (a field stage "NAME.time" before it) or the record, and
 * bounded out-of-orderness watermarks.
 */
#include "operators/fieldops.h"

#include <rill/time.h>

typedef struct {
  char *field;
  int unit_ms; /* of integer timestamps: 1 or 1000 */
  int64_t out_of_order_ms;
  int64_t idle_ms;
  gboolean processing_time;
  int format;
  char *dead_letter;
} watermark_props;

static rill_stage *build_watermarks(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                    guint n_inputs, GError **error)
{
  const watermark_props *p = rill__launch_props(b);
  rill_stage *in = inputs[0];
  if (p->field) {
    rill__fieldop *op = rill__fieldop_new(RILL__FIELDOP_TIMESTAMP, p->field, NULL);
    rill__fieldop_set_unit_ms(op, p->unit_ms);
    char *sub = rill__launch_sub_name(b, "time");
    in = rill__fieldop_add(b, sub, in, op, p->format, p->dead_letter, error);
    g_free(sub);
    if (!in)
      return NULL;
  }
  rill_watermark_options o = {
    .max_out_of_orderness_ms = p->out_of_order_ms,
    .idle_timeout_ms = p->idle_ms,
    .processing_time = p->processing_time,
  };
  return rill_pipeline_add_watermarks(b->pipeline, name, in, &o);
}

#define OFF(f) offsetof(watermark_props, f)

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"watermarks", RILL_LAUNCH_TRANSFORM, "assign event time (from a field or the record) and emit watermarks",
   RILL__LAUNCH_PARAMS(watermark_props,
     {"field", RILL__CONF_STRING, OFF(field), 0, 0, NULL, NULL, NULL, NULL, "timestamp field: integer, ISO 8601 or access-log time (default: the record timestamp)"},
     {"unit", RILL__CONF_ENUM, OFF(unit_ms), 0, 0, "ms", "ms=1|s=1000", NULL, NULL, "unit of integer timestamps"},
     {"out-of-order", RILL__CONF_DURATION, OFF(out_of_order_ms), 0, G_MAXINT64, "0", NULL, NULL, NULL, "how far records may arrive out of order"},
     {"idle", RILL__CONF_DURATION, OFF(idle_ms), 0, G_MAXINT64, "0", NULL, NULL, NULL, "a partition silent this long stops holding time back (0 = never)"},
     {"processing-time", RILL__CONF_BOOL, OFF(processing_time), 0, 0, "false", NULL, NULL, NULL, "stamp records with the clock instead"},
     RILL__FIELD_ROWS(watermark_props)),
   .build = build_watermarks},
};

RILL__LAUNCH_ELEMENTS_DEFINE(watermark, elements)
