/* window-elements.c — the launch elements of windows and aggregates:
 * window (built by the aggregate after it, as one stage: the pairing rule
 * kind/feeds makes the parser check the aggregate follows), the aggregates
 * count, sum, min, max, avg, distinct and top-n (running per key when no
 * window precedes them; field= adds a field stage "NAME.value"), and
 * top-keys over window results.
 */
#include "operators/fieldops.h"

#include <rill/aggregate.h>
#include <rill/topn.h>
#include <rill/window.h>

/* The parameters of window, the aggregates and top-keys (each reads its
 * own rows). */
typedef struct {
  int64_t tumbling_ms, size_ms, slide_ms, gap_ms; /* window: the one given decides the kind */
  int64_t lateness_ms, offset_ms;
  int32_t n;   /* top-n, top-keys */
  char *field; /* aggregates */
  int format;
  char *dead_letter;
} window_props;

/* A window is built by the aggregate after it (one stage); alone it is a
 * placeholder that hands its input through. */
static rill_stage *build_window(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                GError **error)
{
  return inputs[0];
}

static gboolean window_spec(rill_launch_builder *b, rill_window_spec *spec, GError **error)
{
  const window_props *p = rill__launch_props(b);
  gboolean tumbling = rill__launch_has(b, "tumbling"), hopping = rill__launch_has(b, "size"),
           session = rill__launch_has(b, "gap");
  if (tumbling + hopping + session != 1) {
    rill__launch_fail(b, NULL, error, RILL_LAUNCH_ERROR_MISSING_PARAMETER,
                      "give exactly one of tumbling=SIZE, size=SIZE slide=STEP (hopping), gap=GAP (session)");
    return FALSE;
  }
  if (rill__launch_has(b, "slide") && !hopping) {
    rill__launch_fail(b, "slide", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "slide= goes with size= (hopping)");
    return FALSE;
  }
  if (tumbling)
    *spec = rill_window_tumbling(p->tumbling_ms);
  else if (hopping)
    *spec = rill_window_hopping(p->size_ms, rill__launch_has(b, "slide") ? p->slide_ms : p->size_ms);
  else
    *spec = rill_window_session(p->gap_ms);
  spec->allowed_lateness_ms = p->lateness_ms;
  spec->offset_ms = p->offset_ms;
  GError *bad = NULL;
  if (!rill_window_spec_validate(spec, &bad)) {
    rill__launch_fail(b, NULL, error, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s", bad->message);
    g_error_free(bad);
    return FALSE;
  }
  return TRUE;
}

static rill_aggregate *make_aggregate(rill_launch_builder *b)
{
  const char *kind = b->node->klass->name;
  if (strcmp(kind, "count") == 0)
    return rill_aggregate_count();
  if (strcmp(kind, "sum") == 0)
    return rill_aggregate_sum_number();
  if (strcmp(kind, "min") == 0)
    return rill_aggregate_min_number();
  if (strcmp(kind, "max") == 0)
    return rill_aggregate_max_number();
  if (strcmp(kind, "avg") == 0)
    return rill_aggregate_avg_number();
  if (strcmp(kind, "distinct") == 0)
    return rill_aggregate_distinct_count();
  return rill_aggregate_top_n((guint)((const window_props *)rill__launch_props(b))->n, NULL, NULL);
}

static rill_stage *build_aggregate(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                   guint n_inputs, GError **error)
{
  const window_props *p = rill__launch_props(b);
  rill__launch_node *self = b->node, *window = NULL;
  for (guint i = 0; i < self->inputs->len; i++) {
    rill__launch_node *in = self->inputs->pdata[i];
    if (in->klass->build == build_window)
      window = in;
  }
  if (window && self->inputs->len > 1) {
    rill__launch_fail(b, NULL, error, RILL_LAUNCH_ERROR_LINK, "an aggregate after a window takes no other input");
    return NULL;
  }
  rill_aggregate *agg = make_aggregate(b);
  rill_stage *in = inputs[0];
  if (p->field) {
    char *sub = rill__launch_sub_name(b, "value");
    rill__fieldop *op = rill__fieldop_new(RILL__FIELDOP_SET_VALUE, p->field, NULL);
    const char *kind = self->klass->name;
    if (strcmp(kind, "distinct") != 0 && strcmp(kind, "count") != 0)
      rill__fieldop_set_numeric(op, kind);
    in = rill__fieldop_add(b, sub, in, op, p->format, p->dead_letter, error);
    g_free(sub);
    if (!in)
      goto fail;
  }
  if (!window)
    return rill_pipeline_add_aggregate(b->pipeline, name, in, agg);
  rill_window_spec spec;
  b->node = window;
  gboolean ok = window_spec(b, &spec, error);
  b->node = self;
  if (!ok)
    goto fail;
  return rill_pipeline_add_window(b->pipeline, window->name, in, &spec, agg);
fail:
  rill_aggregate_free(agg);
  return NULL;
}

static rill_stage *build_top_keys(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                  GError **error)
{
  const window_props *p = rill__launch_props(b);
  return rill_pipeline_add_window_top_n(b->pipeline, name, inputs[0], (guint)p->n);
}

#define OFF(f) offsetof(window_props, f)
#define DURATION(name, f, def, doc) {name, RILL__CONF_DURATION, OFF(f), 0, G_MAXINT64, def, NULL, NULL, NULL, doc}
#define AGG_FIELD                                                                                             \
  {"field", RILL__CONF_STRING, OFF(field), 0, 0, NULL, NULL, NULL, NULL,                                      \
   "aggregate this field (a number; others fail, or go to dead-letter=) instead of the record value"}
#define AGG_PARAMS RILL__LAUNCH_PARAMS(window_props, AGG_FIELD, RILL__FIELD_ROWS(window_props))

/* name, type, field, min, max, default, choices, -, -, doc */
static const rill_launch_element elements[] = {
  {"avg", RILL_LAUNCH_TRANSFORM, "average per key (per window after a window) of decimal numbers",
   AGG_PARAMS, .build = build_aggregate, .kind = "aggregate"},
  {"count", RILL_LAUNCH_TRANSFORM, "count records per key (per window after a window; running otherwise)",
   NULL, 0, sizeof(window_props) /* no rows, but build_aggregate reads the struct */, .build = build_aggregate,
   .kind = "aggregate"},
  {"distinct", RILL_LAUNCH_TRANSFORM, "estimated distinct values per key (HyperLogLog, about 3% error)",
   RILL__LAUNCH_PARAMS(window_props,
     {"field", RILL__CONF_STRING, OFF(field), 0, 0, NULL, NULL, NULL, NULL, "count distinct values of this field instead of record values"},
     RILL__FIELD_ROWS(window_props)),
   .build = build_aggregate, .kind = "aggregate"},
  {"max", RILL_LAUNCH_TRANSFORM, "largest decimal number per key (per window after a window)",
   AGG_PARAMS, .build = build_aggregate, .kind = "aggregate"},
  {"min", RILL_LAUNCH_TRANSFORM, "smallest decimal number per key (per window after a window)",
   AGG_PARAMS, .build = build_aggregate, .kind = "aggregate"},
  {"sum", RILL_LAUNCH_TRANSFORM, "sum of decimal numbers per key (per window after a window; exact for integers)",
   AGG_PARAMS, .build = build_aggregate, .kind = "aggregate"},
  {"top-keys", RILL_LAUNCH_TRANSFORM, "the n keys with the largest result in each window (after window + aggregate)",
   RILL__LAUNCH_PARAMS(window_props,
     {"n", RILL__CONF_INT32, OFF(n), 1, 1000, "10", NULL, NULL, NULL, "how many keys per window"}),
   .build = build_top_keys},
  {"top-n", RILL_LAUNCH_TRANSFORM, "the n largest decimal integer values per key (per window after a window)",
   RILL__LAUNCH_PARAMS(window_props,
     {"n", RILL__CONF_INT32, OFF(n), 1, 64, "3", NULL, NULL, NULL, "how many values"},
     AGG_FIELD, RILL__FIELD_ROWS(window_props)),
   .build = build_aggregate, .kind = "aggregate"},
  {"window", RILL_LAUNCH_TRANSFORM, "event-time windows per key; the next element is the aggregate",
   RILL__LAUNCH_PARAMS(window_props,
     DURATION("tumbling", tumbling_ms, NULL, "tumbling windows of this size"),
     DURATION("size", size_ms, NULL, "hopping windows of this size (with slide=)"),
     DURATION("slide", slide_ms, NULL, "hopping: step between window starts"),
     DURATION("gap", gap_ms, NULL, "session windows closing after this gap"),
     DURATION("lateness", lateness_ms, "0", "keep windows open this long for late records"),
     DURATION("offset", offset_ms, "0", "shift tumbling/hopping window starts")),
   .build = build_window, .feeds = "aggregate"},
};

RILL__LAUNCH_ELEMENTS_DEFINE(window, elements)
