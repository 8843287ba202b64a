/* to-json.c — the to-json operator and its launch element: a map that
 * replaces the value by one JSON object of what is known of the record
 * (key, value, window bounds of window results, timestamp, top-n rank),
 * writing decimal results (aggregates) as JSON numbers.
 */
#include "runtime/launch/launch-private.h"

#include <rill/fields.h>
#include <rill/topn.h>
#include <rill/window.h>

#include <math.h>

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

static rill_stage *build_to_json(rill_launch_builder *b, const char *name, rill_stage *const *inputs, guint n_inputs,
                                 GError **error)
{
  return rill_pipeline_add_map(b->pipeline, name, inputs[0], to_json, NULL, NULL);
}

static const rill_launch_element elements[] = {
  {"to-json", RILL_LAUNCH_TRANSFORM,
   "replace the value by {\"key\",\"value\",\"window_start\",\"window_end\",\"timestamp\",\"rank\"} (what is known)",
   RILL__LAUNCH_NO_PARAMS, .build = build_to_json},
};

RILL__LAUNCH_ELEMENTS_DEFINE(to_json, elements)
