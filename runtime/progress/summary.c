/* summary.c — the machine-readable end-of-run summary: one JSON object
 * built from the metrics snapshot and the pipeline's lifecycle fields (read
 * under its lock). Schema: docs/progress.md. */
#include <rill/progress.h>

#include "runtime/pipeline-private.h"

#include <json-glib/json-glib.h>

static const char *role_name(rill_stage_role role)
{
  switch (role) {
  case RILL_STAGE_SOURCE:
    return "source";
  case RILL_STAGE_SINK:
    return "sink";
  default:
    return "operator";
  }
}

static void add_uint(JsonBuilder *b, const char *name, guint64 v)
{
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, (gint64)MIN(v, (guint64)G_MAXINT64));
}

char *rill_pipeline_summary_json(rill_pipeline *pipeline)
{
  g_return_val_if_fail(pipeline != NULL, NULL);
  rill_pipeline *p = pipeline;
  g_mutex_lock(&p->lock);
  int state = p->state;
  gint64 started = p->started_us, ended = p->ended_us;
  char *error = p->error ? g_strdup(p->error->message) : NULL;
  g_mutex_unlock(&p->lock);
  if (state == RILL__DONE && !ended)
    ended = started; /* nothing ran (no tasks) */
  double elapsed = state == RILL__NEW ? 0 : ((ended ? ended : g_get_monotonic_time()) - started) / 1e6;

  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  guint64 records_in = 0, records_out = 0, dead = 0, done = 0, total = 0;
  for (guint i = 0; i < n; i++) {
    if (m[i].role == RILL_STAGE_SOURCE) {
      records_in += m[i].records_out;
      done += m[i].source_bytes_done;
      total += m[i].source_bytes_total;
    } else if (m[i].role == RILL_STAGE_SINK) {
      records_out += m[i].records_in;
    }
    dead += m[i].dead_letters;
  }

  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "pipeline");
  json_builder_add_string_value(b, p->name);
  add_uint(b, "parallelism", p->parallelism);
  json_builder_set_member_name(b, "state");
  json_builder_add_string_value(b, state == RILL__NEW ? "new" : ended ? "done" : "running");
  gboolean interrupted = rill_pipeline_was_interrupted(p);
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, ended && !error && !interrupted);
  json_builder_set_member_name(b, "interrupted");
  json_builder_add_boolean_value(b, interrupted);
  json_builder_set_member_name(b, "error");
  if (error)
    json_builder_add_string_value(b, error);
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "elapsed_s");
  json_builder_add_double_value(b, elapsed);
  add_uint(b, "records_in", records_in);
  add_uint(b, "records_out", records_out);
  add_uint(b, "dead_letters", dead);
  add_uint(b, "input_bytes", done);
  add_uint(b, "input_bytes_total", total);
  json_builder_set_member_name(b, "stages");
  json_builder_begin_array(b);
  for (guint i = 0; i < n; i++) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, m[i].stage);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, m[i].type_name);
    json_builder_set_member_name(b, "role");
    json_builder_add_string_value(b, role_name(m[i].role));
    add_uint(b, "records_in", m[i].records_in);
    add_uint(b, "records_out", m[i].records_out);
    add_uint(b, "bytes_in", m[i].bytes_in);
    add_uint(b, "bytes_out", m[i].bytes_out);
    add_uint(b, "dead_letters", m[i].dead_letters);
    json_builder_set_member_name(b, "busy_ms");
    json_builder_add_double_value(b, m[i].busy_ns / 1e6);
    json_builder_set_member_name(b, "blocked_ms");
    json_builder_add_double_value(b, m[i].blocked_ns / 1e6);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);

  JsonNode *root = json_builder_get_root(b);
  char *json = json_to_string(root, FALSE);
  json_node_unref(root);
  g_object_unref(b);
  g_free(m);
  g_free(error);
  return json;
}
