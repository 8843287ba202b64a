/* pipeline-http.c — rill_pipeline_serve_http: a pipeline's stage metrics,
 * readiness and live graph on a rill_http_server.
 *
 * The routes hold a reference on the pipeline, so it lives as long as the
 * server (its counters stay readable after the run, showing the totals).
 * They read only what is safe from another thread: the definition (fixed
 * before start), the plan once start has published it under the
 * pipeline's lock (state RUNNING/DONE with started_us set), the counters
 * (relaxed atomics, rill_pipeline_get_metrics) and the checkpoint stats
 * (atomics). Nothing here touches a task's own structures.
 *
 * Metric families are listed in docs/observability.md (a test compares).
 */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "rill/http.h"
#include "rill/prometheus.h"
#include "runtime/http/json.h"
#include "runtime/pipeline-private.h"

/* TRUE once the plan (counters, streams, tasks) is published. */
static gboolean planned(rill_pipeline *p, int *state, GError **error_copy)
{
  g_mutex_lock(&p->lock);
  gboolean ok = p->state != RILL__NEW && p->started_us != 0;
  if (state)
    *state = p->state;
  if (error_copy)
    *error_copy = p->error ? g_error_copy(p->error) : NULL;
  g_mutex_unlock(&p->lock);
  return ok;
}

static const char *state_name(int state, gboolean stopping)
{
  if (state == RILL__NEW)
    return "new";
  if (state == RILL__DONE)
    return "done";
  return stopping ? "stopping" : "running";
}

static const char *role_name(rill_stage_role role)
{
  switch (role) {
  case RILL_STAGE_SOURCE:
    return "source";
  case RILL_STAGE_SINK:
    return "sink";
  case RILL_STAGE_OPERATOR:
    break;
  }
  return "operator";
}

/* ---- metrics ---------------------------------------------------------------------- */

#define D(id, kind, name, help) static const rill_prom_desc id = {name, kind, help}
D(m_running, RILL_PROM_GAUGE, "rill_pipeline_running", "1 while the pipeline runs (started, not ended).");
D(m_records_in, RILL_PROM_COUNTER, "rill_pipeline_records_in_total", "Records a stage received.");
D(m_records_out, RILL_PROM_COUNTER, "rill_pipeline_records_out_total", "Records a stage emitted.");
D(m_batches_in, RILL_PROM_COUNTER, "rill_pipeline_batches_in_total", "Batches a stage received.");
D(m_batches_out, RILL_PROM_COUNTER, "rill_pipeline_batches_out_total", "Batches a stage emitted.");
D(m_bytes_in, RILL_PROM_COUNTER, "rill_pipeline_bytes_in_total", "Record bytes a stage received.");
D(m_bytes_out, RILL_PROM_COUNTER, "rill_pipeline_bytes_out_total", "Record bytes a stage emitted.");
D(m_busy, RILL_PROM_COUNTER, "rill_pipeline_busy_seconds_total", "Time inside a stage's own callbacks.");
D(m_blocked, RILL_PROM_COUNTER, "rill_pipeline_blocked_seconds_total",
  "Time a stage waited on a full output stream (backpressure from downstream).");
D(m_late, RILL_PROM_COUNTER, "rill_pipeline_late_records_total", "Records that arrived behind the watermark.");
D(m_dead, RILL_PROM_COUNTER, "rill_pipeline_dead_letters_total", "Records a stage sent to a dead-letter output.");
D(m_state, RILL_PROM_GAUGE, "rill_pipeline_state_bytes", "Keyed and window state a stage holds.");
D(m_queue, RILL_PROM_GAUGE, "rill_pipeline_queued_batches", "Batches waiting in a stage's input streams.");
D(m_queue_cap, RILL_PROM_GAUGE, "rill_pipeline_queue_capacity_batches", "Capacity of a stage's input streams.");
D(m_watermark, RILL_PROM_GAUGE, "rill_pipeline_watermark_seconds",
  "Event-time watermark a stage was last given (Unix time).");
D(m_watermark_lag, RILL_PROM_GAUGE, "rill_pipeline_watermark_lag_seconds",
  "How far a stage's watermark is behind the wall clock.");
D(m_source_lag, RILL_PROM_GAUGE, "rill_pipeline_source_lag_records",
  "Records a source is behind its input (Kafka: high watermark minus position).");
D(m_source_bytes, RILL_PROM_COUNTER, "rill_pipeline_source_read_bytes_total",
  "Input bytes a finite source consumed (files, archives).");
D(m_ckpt_done, RILL_PROM_COUNTER, "rill_pipeline_checkpoints_total", "Checkpoints completed.");
D(m_ckpt_failed, RILL_PROM_COUNTER, "rill_pipeline_checkpoint_failures_total", "Checkpoints that failed.");
D(m_ckpt_duration, RILL_PROM_GAUGE, "rill_pipeline_checkpoint_duration_seconds",
  "Trigger-to-completion time of the last completed checkpoint.");
D(m_ckpt_size, RILL_PROM_GAUGE, "rill_pipeline_checkpoint_size_bytes", "Size of the last completed checkpoint.");
D(m_ckpt_last, RILL_PROM_GAUGE, "rill_pipeline_checkpoint_last_success_timestamp_seconds",
  "When the last checkpoint completed (Unix time).");
#undef D

static void collect(rill_prom_writer *w, gpointer user_data)
{
  rill_pipeline *p = user_data;
  int state;
  if (!planned(p, &state, NULL))
    return;
  const char *pl = p->name;
  rill_prom_sample(w, &m_running, state == RILL__RUNNING, "pipeline", pl, NULL);
  guint n;
  g_autofree rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  double now_s = (double)g_get_real_time() / 1e6;
  for (guint i = 0; i < n; i++) {
    const rill_stage_metrics *s = &m[i];
#define S(desc, v) rill_prom_sample(w, &desc, (double)(v), "pipeline", pl, "stage", s->stage, NULL)
    S(m_records_in, s->records_in);
    S(m_records_out, s->records_out);
    S(m_batches_in, s->batches_in);
    S(m_batches_out, s->batches_out);
    S(m_bytes_in, s->bytes_in);
    S(m_bytes_out, s->bytes_out);
    S(m_busy, s->busy_ns / 1e9);
    S(m_blocked, s->blocked_ns / 1e9);
    S(m_late, s->late_records);
    S(m_dead, s->dead_letters);
    S(m_state, s->state_bytes);
    S(m_queue, s->queue_len);
    S(m_queue_cap, s->queue_capacity);
    if (s->has_watermark) {
      S(m_watermark, s->watermark / 1e3);
      S(m_watermark_lag, MAX(now_s - s->watermark / 1e3, 0));
    }
    if (s->source_lag >= 0)
      S(m_source_lag, s->source_lag);
    if (s->role == RILL_STAGE_SOURCE && s->source_bytes_total > 0)
      S(m_source_bytes, s->source_bytes_done);
#undef S
  }
  rill__checkpoint_stats c;
  if (rill__checkpoint_stats_get(p, &c)) {
    rill_prom_sample(w, &m_ckpt_done, (double)c.completed, "pipeline", pl, NULL);
    rill_prom_sample(w, &m_ckpt_failed, (double)c.failed, "pipeline", pl, NULL);
    if (c.completed) {
      rill_prom_sample(w, &m_ckpt_duration, (double)c.last_duration_us / 1e6, "pipeline", pl, NULL);
      rill_prom_sample(w, &m_ckpt_size, (double)c.last_size_bytes, "pipeline", pl, NULL);
      rill_prom_sample(w, &m_ckpt_last, (double)c.last_success_unix_ms / 1e3, "pipeline", pl, NULL);
    }
  }
}

/* ---- readiness -------------------------------------------------------------------- */

static gboolean ready(GString *detail, gpointer user_data)
{
  rill_pipeline *p = user_data;
  int state;
  g_autoptr(GError) error = NULL;
  gboolean started = planned(p, &state, &error);
  gboolean stopping = __atomic_load_n(&p->stopping, __ATOMIC_RELAXED);
  rill__checkpoint_stats c = {0};
  if (started) /* p->ckpt is definition, fixed only once started */
    rill__checkpoint_stats_get(p, &c);
  if (!started || state != RILL__RUNNING || stopping) {
    g_string_append_printf(detail, "pipeline %s is %s", p->name, state_name(state, stopping));
    if (error)
      g_string_append_printf(detail, ": %s", error->message);
    return FALSE;
  }
  if (c.failed) {
    g_string_append_printf(detail, "%" G_GUINT64_FORMAT " checkpoint(s) failed", c.failed);
    return FALSE;
  }
  g_string_append_printf(detail, "pipeline %s is running", p->name);
  if (c.completed)
    g_string_append_printf(detail, ", %" G_GUINT64_FORMAT " checkpoint(s) completed", c.completed);
  return TRUE;
}

/* ---- the graph for the console ------------------------------------------------------ */

/* GET /api/pipeline: {"name","state","parallelism","uptime_ms","now_ms",
 * "stages":[{"name","type","role","inputs":[names],"chain", counters...,
 * "watermark":ms|null,"source_lag":n|null}],"checkpoints":{...}|null}.
 * Counters are totals: the console derives rates from successive reads. */
static void serve_graph(const rill_http_request *req, rill_http_response *resp, gpointer user_data)
{
  rill_pipeline *p = user_data;
  int state;
  g_autoptr(GError) error = NULL;
  gboolean started = planned(p, &state, &error);
  gboolean stopping = __atomic_load_n(&p->stopping, __ATOMIC_RELAXED);
  g_mutex_lock(&p->lock);
  gint64 uptime = p->started_us ? (p->ended_us ? p->ended_us : g_get_monotonic_time()) - p->started_us : 0;
  g_mutex_unlock(&p->lock);
  guint n = 0;
  g_autofree rill_stage_metrics *m = started ? rill_pipeline_get_metrics(p, &n) : NULL;
  g_autoptr(JsonBuilder) jb = json_builder_new();
  json_builder_begin_object(jb);
  rill__json_member_str(jb, "name", p->name);
  rill__json_member_str(jb, "state", state_name(state, stopping));
  if (error)
    rill__json_member_str(jb, "error", error->message);
  rill__json_member_int(jb, "parallelism", p->parallelism);
  rill__json_member_int(jb, "uptime_ms", uptime / 1000);
  rill__json_member_int(jb, "now_ms", g_get_real_time() / 1000);
  json_builder_set_member_name(jb, "stages");
  json_builder_begin_array(jb);
  for (guint i = 0; i < p->stages->len; i++) {
    const rill_stage *st = p->stages->pdata[i];
    const rill_stage_metrics *s = i < n ? &m[i] : NULL;
    json_builder_begin_object(jb);
    rill__json_member_str(jb, "name", st->name);
    rill__json_member_str(jb, "type", st->type_name ? st->type_name : "");
    rill__json_member_str(jb, "role", role_name(st->source                    ? RILL_STAGE_SOURCE
                                                : st->op == &rill__sink_class ? RILL_STAGE_SINK
                                                                              : RILL_STAGE_OPERATOR));
    json_builder_set_member_name(jb, "inputs");
    json_builder_begin_array(jb);
    for (guint k = 0; k < st->inputs->len; k++)
      json_builder_add_string_value(jb, g_array_index(st->inputs, rill__edge, k).stage->name);
    json_builder_end_array(jb);
    if (s) {
      rill__json_member_int(jb, "chain", s->task_thread);
      rill__json_member_int(jb, "records_in", (int64_t)s->records_in);
      rill__json_member_int(jb, "records_out", (int64_t)s->records_out);
      rill__json_member_int(jb, "batches_in", (int64_t)s->batches_in);
      rill__json_member_int(jb, "batches_out", (int64_t)s->batches_out);
      rill__json_member_int(jb, "bytes_in", (int64_t)s->bytes_in);
      rill__json_member_int(jb, "bytes_out", (int64_t)s->bytes_out);
      rill__json_member_int(jb, "busy_ns", (int64_t)s->busy_ns);
      rill__json_member_int(jb, "blocked_ns", (int64_t)s->blocked_ns);
      rill__json_member_int(jb, "late_records", (int64_t)s->late_records);
      rill__json_member_int(jb, "dead_letters", (int64_t)s->dead_letters);
      rill__json_member_int(jb, "state_bytes", (int64_t)s->state_bytes);
      rill__json_member_int(jb, "queue_len", s->queue_len);
      rill__json_member_int(jb, "queue_capacity", s->queue_capacity);
      json_builder_set_member_name(jb, "watermark");
      if (s->has_watermark)
        json_builder_add_int_value(jb, s->watermark);
      else
        json_builder_add_null_value(jb);
      json_builder_set_member_name(jb, "source_lag");
      if (s->source_lag >= 0)
        json_builder_add_int_value(jb, s->source_lag);
      else
        json_builder_add_null_value(jb);
    }
    json_builder_end_object(jb);
  }
  json_builder_end_array(jb);
  json_builder_set_member_name(jb, "checkpoints");
  rill__checkpoint_stats c;
  if (started && rill__checkpoint_stats_get(p, &c)) {
    json_builder_begin_object(jb);
    rill__json_member_int(jb, "completed", (int64_t)c.completed);
    rill__json_member_int(jb, "failed", (int64_t)c.failed);
    rill__json_member_int(jb, "last_duration_ms", (int64_t)(c.last_duration_us / 1000));
    rill__json_member_int(jb, "last_size_bytes", (int64_t)c.last_size_bytes);
    rill__json_member_int(jb, "last_success_unix_ms", (int64_t)c.last_success_unix_ms);
    json_builder_end_object(jb);
  } else {
    json_builder_add_null_value(jb);
  }
  json_builder_end_object(jb);
  rill__http_reply_json(resp, jb);
}

void rill_pipeline_serve_http(rill_pipeline *pipeline, rill_http_server *server)
{
  g_return_if_fail(pipeline != NULL && server != NULL);
  rill_prom_registry_add(rill_http_server_get_registry(server), collect, rill_pipeline_ref(pipeline),
                         (GDestroyNotify)rill_pipeline_unref);
  rill_http_server_add_ready_check(server, "pipeline", ready, rill_pipeline_ref(pipeline),
                                   (GDestroyNotify)rill_pipeline_unref);
  rill_http_server_add_handler(server, "/api/pipeline", serve_graph, rill_pipeline_ref(pipeline),
                               (GDestroyNotify)rill_pipeline_unref);
  rill_http_server_add_console(server);
}
