/* elements-ops.c — build functions of the launch elements that transform:
 * parsing, field elements (filter, set-key, project), key-by, watermarks,
 * windows with their aggregate, running aggregates, top-keys, dedupe,
 * union and to-json.
 *
 * Elements that read a field are parse stages (fieldops.c) — each task
 * parses the record with its own rill_fields. Elements that need a field
 * and a stage of another kind are built as two stages, the field stage
 * named "NAME.key" / "NAME.time" / "NAME.value".
 */
#include "runtime/launch/launch-private.h"

#include <math.h>

static rill_fields_format fields_format(rill_launch_builder *b)
{
  return strcmp(rill__launch_get(b, "format"), "csv") == 0 ? RILL_FIELDS_CSV : RILL_FIELDS_JSON;
}

/* A parse stage running @op (transfer full) on @input. */
static rill_stage *add_fieldop(rill_launch_builder *b, const char *name, rill_stage *input, rill__fieldop *op,
                               GError **error)
{
  GError *dl_error = NULL;
  rill_dead_letter *dl = rill__launch_dead_letter(b, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    rill__fieldop_free(op);
    return NULL;
  }
  return rill_pipeline_add_parse(b->pipeline, name, input, fields_format(b), dl, rill__fieldop_apply, NULL, op,
                                 rill__fieldop_free);
}

/* ---- parse ------------------------------------------------------------------ */

typedef struct {
  char **columns;
  char separator;
} csv_setup;

static void csv_setup_apply(rill_fields *fields, void *data)
{
  csv_setup *c = data;
  rill_fields_set_separator(fields, c->separator);
  if (c->columns && c->columns[0])
    rill_fields_set_columns(fields, (const char *const *)c->columns);
}

static void csv_setup_free(void *data)
{
  csv_setup *c = data;
  g_strfreev(c->columns);
  g_free(c);
}

rill_stage *rill__launch_build_parse(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                     guint n_inputs, GError **error)
{
  GError *dl_error = NULL;
  rill_dead_letter *dl = rill__launch_dead_letter(b, &dl_error);
  if (dl_error) {
    g_propagate_error(error, dl_error);
    return NULL;
  }
  if (strcmp(b->node->klass->name, "json-parse") == 0)
    return rill_pipeline_add_parse(b->pipeline, name, inputs[0], RILL_FIELDS_JSON, dl, NULL, NULL, NULL, NULL);
  const char *sep = rill__launch_get(b, "separator");
  if (strlen(sep) != 1) {
    rill__launch_fail(b, "separator", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "the separator must be one byte");
    return NULL;
  }
  csv_setup *c = g_new0(csv_setup, 1);
  c->columns = rill__launch_get_list(b, "columns");
  c->separator = sep[0];
  return rill_pipeline_add_parse(b->pipeline, name, inputs[0], RILL_FIELDS_CSV, dl, NULL, csv_setup_apply, c,
                                 csv_setup_free);
}

/* ---- field elements ------------------------------------------------------- */

rill_stage *rill__launch_build_filter(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                      guint n_inputs, GError **error)
{
  static const char *const cmps[] = {"eq", "ne", "lt", "le", "gt", "ge", "contains", "regex"};
  const char *cmp = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(cmps); i++) {
    if (!rill__launch_has(b, cmps[i]))
      continue;
    if (cmp) {
      rill__launch_fail(b, cmps[i], error, RILL_LAUNCH_ERROR_INVALID_VALUE,
                        "one comparison per filter (%s= and %s= given); chain two filters for both", cmp, cmps[i]);
      return NULL;
    }
    cmp = cmps[i];
  }
  if (!cmp) {
    rill__launch_fail(b, NULL, error, RILL_LAUNCH_ERROR_MISSING_PARAMETER,
                      "needs a comparison: eq=, ne=, lt=, le=, gt=, ge=, contains= or regex=");
    return NULL;
  }
  rill__fieldop *op = rill__fieldop_new(RILL__FIELDOP_FILTER, rill__launch_get(b, "field"), NULL);
  GError *re_error = NULL;
  if (!rill__fieldop_set_compare(op, cmp, rill__launch_get(b, cmp), &re_error)) {
    rill__launch_fail(b, cmp, error, RILL_LAUNCH_ERROR_INVALID_VALUE, "%s", re_error->message);
    g_error_free(re_error);
    rill__fieldop_free(op);
    return NULL;
  }
  return add_fieldop(b, name, inputs[0], op, error);
}

rill_stage *rill__launch_build_set_key(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                       guint n_inputs, GError **error)
{
  return add_fieldop(b, name, inputs[0], rill__fieldop_new(RILL__FIELDOP_SET_KEY, rill__launch_get(b, "field"), NULL),
                     error);
}

rill_stage *rill__launch_build_project(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                       guint n_inputs, GError **error)
{
  char **fields = rill__launch_get_list(b, "fields");
  rill_stage *s = NULL;
  if (!fields[0])
    rill__launch_fail(b, "fields", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "no field names given");
  else
    s = add_fieldop(b, name, inputs[0], rill__fieldop_new(RILL__FIELDOP_PROJECT, NULL, fields), error);
  g_strfreev(fields);
  return s;
}

rill_stage *rill__launch_build_key_by(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                      guint n_inputs, GError **error)
{
  rill_stage *in = inputs[0];
  if (rill__launch_has(b, "field")) {
    char *sub = rill__launch_sub_name(b, "key");
    in = add_fieldop(b, sub, in, rill__fieldop_new(RILL__FIELDOP_SET_KEY, rill__launch_get(b, "field"), NULL), error);
    g_free(sub);
    if (!in)
      return NULL;
  }
  return rill_pipeline_add_key_by(b->pipeline, name, in, NULL, NULL, NULL);
}

rill_stage *rill__launch_build_watermarks(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                          guint n_inputs, GError **error)
{
  rill_stage *in = inputs[0];
  if (rill__launch_has(b, "field")) {
    rill__fieldop *op = rill__fieldop_new(RILL__FIELDOP_TIMESTAMP, rill__launch_get(b, "field"), NULL);
    rill__fieldop_set_unit_ms(op, strcmp(rill__launch_get(b, "unit"), "s") == 0 ? 1000 : 1);
    char *sub = rill__launch_sub_name(b, "time");
    in = add_fieldop(b, sub, in, op, error);
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

/* ---- windows and aggregates ---------------------------------------------- */

/* A window is built by the aggregate after it (one stage); alone it is a
 * placeholder that hands its input through. */
rill_stage *rill__launch_build_window(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                      guint n_inputs, GError **error)
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
    *spec = rill_window_hopping(rill__launch_get_duration(b, "size"),
                                rill__launch_has(b, "slide") ? rill__launch_get_duration(b, "slide")
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

rill_stage *rill__launch_build_aggregate(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                         guint n_inputs, GError **error)
{
  rill__launch_node *self = b->node, *window = NULL;
  for (guint i = 0; i < self->inputs->len; i++) {
    rill__launch_node *in = self->inputs->pdata[i];
    if (in->klass->build == rill__launch_build_window)
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
    in = add_fieldop(b, sub, in, rill__fieldop_new(RILL__FIELDOP_SET_VALUE, rill__launch_get(b, "field"), NULL),
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

rill_stage *rill__launch_build_top_keys(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                        guint n_inputs, GError **error)
{
  gint64 n = rill__launch_get_int(b, "n");
  if (n < 1 || n > 1000) {
    rill__launch_fail(b, "n", error, RILL_LAUNCH_ERROR_INVALID_VALUE, "n must be 1..1000");
    return NULL;
  }
  return rill_pipeline_add_window_top_n(b->pipeline, name, inputs[0], (guint)n);
}

rill_stage *rill__launch_build_dedupe(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                      guint n_inputs, GError **error)
{
  return rill_pipeline_add_dedupe(b->pipeline, name, inputs[0], rill__launch_get_duration(b, "within"));
}

rill_stage *rill__launch_build_union(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                     guint n_inputs, GError **error)
{
  return rill_pipeline_add_union(b->pipeline, name, inputs, n_inputs);
}

/* ---- to-json -------------------------------------------------------------- */

static void append_json_scalar(GString *s, rill_bytes b)
{
  char buf[64];
  double d;
  char *end;
  if (!b.data) {
    g_string_append(s, "null");
    return;
  }
  /* Aggregate results are decimal text: write numbers as numbers. */
  if (b.len > 0 && b.len < sizeof buf) {
    memcpy(buf, b.data, b.len);
    buf[b.len] = '\0';
    d = g_ascii_strtod(buf, &end);
    if (*end == '\0' && (g_ascii_isdigit(buf[0]) || buf[0] == '-') && isfinite(d)) {
      g_string_append(s, buf);
      return;
    }
  }
  rill_json_append_string(s, (const char *)b.data, (gssize)b.len);
}

static rill_flow to_json(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  GString *s = g_string_new("{\"key\":");
  if (in->key.data)
    rill_json_append_string(s, (const char *)in->key.data, (gssize)in->key.len);
  else
    g_string_append(s, "null");
  g_string_append(s, ",\"value\":");
  append_json_scalar(s, in->value);
  int64_t start, end;
  if (rill_window_result_bounds(in, &start, &end))
    g_string_append_printf(s, ",\"window_start\":%" G_GINT64_FORMAT ",\"window_end\":%" G_GINT64_FORMAT, start, end);
  if (in->timestamp != RILL_TIMESTAMP_NONE)
    g_string_append_printf(s, ",\"timestamp\":%" G_GINT64_FORMAT, in->timestamp);
  const rill_bytes *rank = rill_record_header(in, RILL_TOPN_HEADER_RANK);
  if (rank) {
    g_string_append(s, ",\"rank\":");
    append_json_scalar(s, *rank);
  }
  g_string_append_c(s, '}');
  char *v = rill_ctx_alloc(ctx, s->len);
  memcpy(v, s->str, s->len);
  out->value = rill_bytes_make(v, s->len);
  g_string_free(s, TRUE);
  return RILL_FLOW_OK;
}

rill_stage *rill__launch_build_to_json(rill_launch_builder *b, const char *name, rill_stage *const *inputs,
                                       guint n_inputs, GError **error)
{
  return rill_pipeline_add_map(b->pipeline, name, inputs[0], to_json, NULL, NULL);
}
