/* pipeline.h — defining and running a pipeline.
 *
 * A pipeline is a graph of named stages: sources, operators (map, filter,
 * flat_map, union, or any rill_operator_class) and sinks. Passing the same
 * stage as input to several stages fans out (each downstream sees every
 * batch); a stage with several inputs fans in. Every stage runs as P tasks
 * (the pipeline's parallelism). A stage with one input whose upstream feeds
 * only it, over a forward edge, is chained: it runs in its upstream's task,
 * called directly, with no stream in between. Every other edge is a bounded
 * stream between threads; an exchange edge connects each of the P upstream
 * tasks to each of the P downstream tasks (see rill_emit_batch_to).
 *
 * Threads: each chain (a maximal run of chained stages) runs as P tasks, one
 * thread each; see docs/architecture.md.
 *
 * Lifetime: the pipeline owns its stages; rill_stage pointers are
 * (transfer none) handles valid while the pipeline lives. user_data passed
 * with a destroy notify is released when the pipeline is freed.
 */
#pragma once

#include <rill/export.h>

#include <rill/metrics.h>
#include <rill/operator.h>
#include <rill/sink.h>
#include <rill/source.h>

G_BEGIN_DECLS

#define RILL_PIPELINE_ERROR (rill_pipeline_error_quark())
RILL_API GQuark rill_pipeline_error_quark(void);

typedef enum {
  RILL_PIPELINE_ERROR_INVALID, /* the graph is malformed (message says how) */
  RILL_PIPELINE_ERROR_STAGE,   /* a stage failed; message starts "stage 'NAME': " */
  RILL_PIPELINE_ERROR_STOPPED, /* stopped at once (second signal, drain timeout, stop(FALSE)) */
  RILL_PIPELINE_ERROR_STATE,   /* run/start called in the wrong state */
} rill_pipeline_error;

typedef struct rill_pipeline rill_pipeline;
typedef struct rill_stage rill_stage;

/* Edge kinds, set per input with rill_stage_set_input_exchange(). */
typedef enum {
  RILL_EDGE_FORWARD,  /* upstream task i -> downstream task i */
  RILL_EDGE_EXCHANGE, /* every upstream task -> every downstream task */
} rill_edge_kind;

/* ---- user callbacks for the built-in operators ------------------------- */

/* map: @out starts as a copy of @in; edit its fields (new bytes from
 * rill_ctx_alloc). Return RILL_FLOW_OK, or RILL_FLOW_ERROR after
 * rill_ctx_fail(). */
typedef rill_flow (*rill_map_fn)(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data);
/* filter: return RILL_VERDICT_KEEP to keep @in, RILL_VERDICT_DROP to drop
 * it, RILL_VERDICT_FAIL after rill_ctx_fail(); REJECT fails the stage too
 * (a filter has no dead-letter output). */
typedef rill_verdict (*rill_filter_fn)(rill_ctx *ctx, const rill_record *in, void *user_data);
/* flat_map: emit zero or more records into @out for @in; @in's batch is
 * already referenced by @out, so rill_emit_record_raw may point into it. */
typedef rill_flow (*rill_flat_map_fn)(rill_ctx *ctx, const rill_record *in, rill_emitter *out, void *user_data);

/* ---- construction ------------------------------------------------------- */

/* A new, empty pipeline with parallelism 1. @name labels errors and metrics. (transfer full) */
RILL_API rill_pipeline *rill_pipeline_new(const char *name);
RILL_API rill_pipeline *rill_pipeline_ref(rill_pipeline *pipeline);
/* The last unref of a running pipeline stops it at once and waits. */
RILL_API void rill_pipeline_unref(rill_pipeline *pipeline);

RILL_API void rill_pipeline_set_parallelism(rill_pipeline *pipeline, guint parallelism);
RILL_API guint rill_pipeline_get_parallelism(const rill_pipeline *pipeline);
/* Capacity, in batches, of the streams between tasks (default RILL_STREAM_DEFAULT_CAPACITY). */
RILL_API void rill_pipeline_set_stream_capacity(rill_pipeline *pipeline, guint batches);
/* How long a drain may take before the pipeline stops at once (default 10000 ms). */
RILL_API void rill_pipeline_set_drain_timeout(rill_pipeline *pipeline, guint timeout_ms);
/* Print the metrics table to @out (transfer none, NULL = don't) when the run ends. */
RILL_API void rill_pipeline_set_metrics_output(rill_pipeline *pipeline, FILE *out);

/* Stage names must be unique; problems are reported by start/run. The
 * @destroy of @user_data runs when the pipeline is freed, even on errors. */
RILL_API rill_stage *rill_pipeline_add_source(rill_pipeline *pipeline, const char *name, const rill_source_class *klass,
                                              void *user_data, GDestroyNotify destroy);
RILL_API rill_stage *rill_pipeline_add_map(rill_pipeline *pipeline, const char *name, rill_stage *input, rill_map_fn fn,
                                           void *user_data, GDestroyNotify destroy);
RILL_API rill_stage *rill_pipeline_add_filter(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                              rill_filter_fn fn, void *user_data, GDestroyNotify destroy);
RILL_API rill_stage *rill_pipeline_add_flat_map(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                                rill_flat_map_fn fn, void *user_data, GDestroyNotify destroy);
/* Fan-in: every batch of every input, in arrival order. (transfer none) @inputs. */
RILL_API rill_stage *rill_pipeline_add_union(rill_pipeline *pipeline, const char *name, rill_stage *const *inputs,
                                             guint n_inputs);
/* Any operator with @n_inputs >= 1 inputs; process() gets the input index. */
RILL_API rill_stage *rill_pipeline_add_operator(rill_pipeline *pipeline, const char *name,
                                                const rill_operator_class *klass, void *user_data,
                                                GDestroyNotify destroy, rill_stage *const *inputs, guint n_inputs);
RILL_API rill_stage *rill_pipeline_add_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                            const rill_sink_class *klass, void *user_data, GDestroyNotify destroy);

/* Keeps @data until the pipeline is freed; @destroy(@data) then runs after
 * every stage's user data was released, in reverse order of registration.
 * For resources stages borrow without owning them (a rill_log the log
 * connectors write into, opened by rill_parse_launch). */
RILL_API void rill_pipeline_add_cleanup(rill_pipeline *pipeline, GDestroyNotify destroy, void *data);

/* Makes input @input of @stage an exchange edge (default forward). */
RILL_API void rill_stage_set_input_edge(rill_stage *stage, guint input, rill_edge_kind kind);
RILL_API const char *rill_stage_get_name(const rill_stage *stage); /* (transfer none) */

/* ---- running ------------------------------------------------------------ */

/* Validates, opens nothing yet, and starts the task threads. Returns FALSE
 * with @error (INVALID or STATE) when the pipeline cannot start. A pipeline
 * runs once. */
RILL_API gboolean rill_pipeline_start(rill_pipeline *pipeline, GError **error);
/* Blocks until every task has ended. TRUE on a clean end (sources finished
 * or a drain completed); FALSE with @error (STAGE or STOPPED) otherwise. */
RILL_API gboolean rill_pipeline_wait(rill_pipeline *pipeline, GError **error);
/* start + wait. */
RILL_API gboolean rill_pipeline_run(rill_pipeline *pipeline, GError **error);
/* After a STAGE failure: the failing stage's own error, with its domain and
 * code (e.g. RILL_KAFKA_CLIENT_ERROR for a topic the broker does not know),
 * so a program can pick an exit status; NULL when the failure had none.
 * (transfer none) valid until the pipeline is freed. */
RILL_API const GError *rill_pipeline_get_error_cause(rill_pipeline *pipeline);
/* Asks a running pipeline to stop: @drain TRUE ends the sources and lets
 * everything flush (bounded by the drain timeout); FALSE stops at once.
 * Thread safe; async-signal-unsafe (use rill_pipeline_watch_signals). */
RILL_API void rill_pipeline_stop(rill_pipeline *pipeline, gboolean drain);

/* SIGINT/SIGTERM: the first drains @pipeline, the second stops it at once.
 * Handlers are installed while at least one pipeline watches and the
 * previous ones restored after; every watching pipeline is notified. Call
 * before start; watching ends when the run ends. */
RILL_API void rill_pipeline_watch_signals(rill_pipeline *pipeline);
/* TRUE once a watched signal asked @pipeline to stop (it was interrupted,
 * whether it then drained cleanly or not). */
RILL_API gboolean rill_pipeline_was_interrupted(rill_pipeline *pipeline);

/* ---- metrics ------------------------------------------------------------ */

/* A snapshot of every stage's counters, in definition order; callable while
 * running. (transfer full): free with g_free. */
RILL_API rill_stage_metrics *rill_pipeline_get_metrics(rill_pipeline *pipeline, guint *n_stages);
/* Prints the current metrics table. */
RILL_API void rill_pipeline_print_metrics(rill_pipeline *pipeline, FILE *out);

/* ---- HTTP (include/rill/http.h) ----------------------------------------- */

typedef struct rill_http_server rill_http_server;

/* Serves @pipeline on @server (transfer none): per-stage metrics on the
 * server's /metrics (docs/observability.md lists them), a "pipeline" check
 * on /readyz (ready while running, not stopping, and no checkpoint failed),
 * the live graph as JSON at /api/pipeline (one pipeline per server), and
 * the console at "/". The server keeps a reference on the pipeline until it
 * is freed, so the totals stay readable after the run. Call before
 * rill_http_server_listen(); before or after rill_pipeline_start(). */
RILL_API void rill_pipeline_serve_http(rill_pipeline *pipeline, rill_http_server *server);

G_END_DECLS
