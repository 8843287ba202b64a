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

#define AGG_FIELD                                                                                                    \
  {                                                                                                                  \
    "field", RILL_LAUNCH_STRING, NULL, NULL, FALSE,                                                                  \
      "aggregate this field (decimal integer) instead of the record value"                                           \
  }

/* A window is built by the aggregate after it (one stage); alone it is a
 * placeholder that hands its input through. */
static rill_stage *build_window(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                GError **error)
{
  return inputs[0];
}

static gboolean window_spec(rill_launch_builder *b, rill_window_spec *spec, GError **error)
{
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
    *spec = rill_window_tumbling(rill__launch_get_duration(b, "tumbling"));
  else if (hopping)
    *spec = rill_window_hopping(rill__launch_get_duration(b, "size"), rill__launch_has(b, "slide")
                                                                        ? rill__launch_get_duration(b, "slide")
                                                                        : rill__launch_get_duration(b, "size"));
  else
    *spec = rill_window_session(rill__launch_get_duration(b, "gap"));
  spec->allowed_lateness_ms = rill__launch_get_duration(b, "lateness");
  spec->offset_ms = rill__launch_get_duration(b, "offset");
  GError *bad = NULL;
  if (!rill_window_spec_validate(spec, &bad)) {
    rill__launch_fail(b, NULL, error, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s", bad->message);
    g_error_free(bad);
    return FALSE;
  }
  return TRUE;
}

static rill_aggregate *make_aggregate(rill_launch_builder *b, GError **error)
{
  const char *kind = b->node->klass->name;
  if (strcmp(kind, "count") == 0)
    return rill_aggregate_count();
  if (strcmp(kind, "sum") == 0)
    return rill_aggregate_sum(NULL, NULL);
  if (strcmp(kind, "min") == 0)
    return rill_aggregate_min(NULL, NULL);
  if (strcmp(kind, "max") == 0)
    return rill_aggregate_max(NULL, NULL);
  if (strcmp(kind, "avg") == 0)
    return rill_aggregate_avg(NULL, NULL);
  if (strcmp(kind, "distinct") == 0)
    return rill_aggregate_distinct_count();
  gint64 n = rill__launch_get_int(b, "n");
  if (n < 1 || n > 64) {
    rill__launch_fail(b, "n", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "n must be 1..64");
    return NULL;
  }
  return rill_aggregate_top_n((guint)n, NULL, NULL);
}

static rill_stage *build_aggregate(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                   guint n_inputs, GError **error)
{
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
  rill_aggregate *agg = make_aggregate(b, error);
  if (!agg)
    return NULL;
  rill_stage *in = inputs[0];
  if (rill__launch_has(b, "field")) {
    char *sub = rill__launch_sub_name(b, "value");
    in = rill__fieldop_add(b, sub, in, rill__fieldop_new(RILL__FIELDOP_SET_VALUE, rill__launch_get(b, "field"), NULL),
                           error);
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
  gint64 n = rill__launch_get_int(b, "n");
  if (n < 1 || n > 1000) {
    rill__launch_fail(b, "n", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "n must be 1..1000");
    return NULL;
  }
  return rill_pipeline_add_window_top_n(b->pipeline, name, inputs[0], (guint)n);
}

static const rill_launch_element elements[] = {
  {"avg", RILL_LAUNCH_TRANSFORM, "average per key (per window after a window), from decimal integer values",
   RILL__LAUNCH_PARAMS(AGG_FIELD, RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM), .build = build_aggregate,
   .kind = "aggregate"},
  {"count", RILL_LAUNCH_TRANSFORM, "count records per key (per window after a window; running otherwise)", NULL, 0,
   .build = build_aggregate, .kind = "aggregate"},
  {"distinct", RILL_LAUNCH_TRANSFORM, "estimated distinct values per key (HyperLogLog, about 3% error)",
   RILL__LAUNCH_PARAMS(
     {"field", RILL_LAUNCH_STRING, NULL, NULL, FALSE, "count distinct values of this field instead of record values"},
     RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM),
   .build = build_aggregate, .kind = "aggregate"},
  {"max", RILL_LAUNCH_TRANSFORM, "largest decimal integer value per key (per window after a window)",
   RILL__LAUNCH_PARAMS(AGG_FIELD, RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM), .build = build_aggregate,
   .kind = "aggregate"},
  {"min", RILL_LAUNCH_TRANSFORM, "smallest decimal integer value per key (per window after a window)",
   RILL__LAUNCH_PARAMS(AGG_FIELD, RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM), .build = build_aggregate,
   .kind = "aggregate"},
  {"sum", RILL_LAUNCH_TRANSFORM, "sum of decimal integer values per key (per window after a window)",
   RILL__LAUNCH_PARAMS(AGG_FIELD, RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM), .build = build_aggregate,
   .kind = "aggregate"},
  {"top-keys", RILL_LAUNCH_TRANSFORM, "the n keys with the largest result in each window (after window + aggregate)",
   RILL__LAUNCH_PARAMS({"n", RILL_LAUNCH_INT, "10", NULL, FALSE, "how many keys per window (1..1000)"}),
   .build = build_top_keys},
  {"top-n", RILL_LAUNCH_TRANSFORM, "the n largest decimal integer values per key (per window after a window)",
   RILL__LAUNCH_PARAMS({"n", RILL_LAUNCH_INT, "3", NULL, FALSE, "how many values (1..64)"}, AGG_FIELD,
                       RILL__FIELD_FORMAT_PARAM, RILL__LAUNCH_DEAD_LETTER_PARAM),
   .build = build_aggregate, .kind = "aggregate"},
  {"window", RILL_LAUNCH_TRANSFORM, "event-time windows per key; the next element is the aggregate",
   RILL__LAUNCH_PARAMS(
     {"tumbling", RILL_LAUNCH_DURATION, NULL, NULL, FALSE, "tumbling windows of this size"},
     {"size", RILL_LAUNCH_DURATION, NULL, NULL, FALSE, "hopping windows of this size (with slide=)"},
     {"slide", RILL_LAUNCH_DURATION, NULL, NULL, FALSE, "hopping: step between window starts"},
     {"gap", RILL_LAUNCH_DURATION, NULL, NULL, FALSE, "session windows closing after this gap"},
     {"lateness", RILL_LAUNCH_DURATION, "0", NULL, FALSE, "keep windows open this long for late records"},
     {"offset", RILL_LAUNCH_DURATION, "0", NULL, FALSE, "shift tumbling/hopping window starts"}),
   .build = build_window, .feeds = "aggregate"},
};

RILL__LAUNCH_ELEMENTS_DEFINE(window, elements)
