/* pipeline-private.h — the pipeline graph, its plan (chains, tasks,
 * streams) and the per-task runtime structures, shared by pipeline.c
 * (definition, lifecycle), task.c (the scheduler's data path), signals.c
 * and the built-in operators.
 *
 * Threading: the definition fields are written only before start; after
 * start, a task's structures belong to its thread, except the counters
 * (relaxed atomics, read by metrics snapshots) and the pipeline's
 * lock-protected lifecycle fields.
 */
#pragma once

#include <rill/pipeline.h>

#include "runtime/batch-private.h"
#include "runtime/stream-private.h"
#include "runtime/waiter.h"

/* Per stage per task; written by the task thread, read by snapshots. */
typedef struct rill__counters {
  guint64 records_in, bytes_in, batches_in;
  guint64 records_out, bytes_out, batches_out;
  guint64 busy_ns, blocked_ns;
  guint64 late_records;
  guint64 state_bytes;              /* a gauge, not a sum */
  guint64 source_bytes_done, source_bytes_total; /* rill_source_add_progress */
  guint64 dead_letters;                          /* rill_ctx_add_dead_letters */
  /* Gauges that may be unknown: each *_seen is set (release) after its value
   * is first stored, and read (acquire) before it, so zeroed counters mean
   * "none yet" without an initialisation pass. */
  int64_t watermark;                /* last watermark given to the stage (event time, ms) */
  gint watermark_seen;
  int64_t source_lag;               /* rill_ctx_set_source_lag */
  gint source_lag_seen;
} rill__counters;

/* Stores a maybe-unknown gauge (see rill__counters). Task thread only. */
static inline void rill__ctr_set_seen(int64_t *value, gint *seen, int64_t v)
{
  __atomic_store_n(value, v, __ATOMIC_RELAXED);
  if (!__atomic_load_n(seen, __ATOMIC_RELAXED))
    __atomic_store_n(seen, 1, __ATOMIC_RELEASE);
}

static inline void rill__ctr_add(guint64 *c, guint64 n)
{
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* user callback + data of built-in stages (map, filter, flat_map, sinks). */
typedef struct rill__closure {
  void (*fn)(void);      /* the user's function, cast to its real type by the operator */
  const void *klass;     /* the sink class for sink stages */
  void *user_data;
  GDestroyNotify destroy;
} rill__closure;

typedef struct rill__edge {
  struct rill_stage *stage; /* downstream (outputs) or upstream (inputs); not refcounted */
  guint input;              /* index in the downstream stage's inputs */
  rill_edge_kind kind;
  gboolean set;             /* kind chosen by rill_stage_set_input_edge, not implied by the upstream */
} rill__edge;

struct rill_stage {
  rill_pipeline *pipeline;          /* not refcounted: the pipeline owns us */
  char *name;
  guint index;                      /* definition order */
  const rill_source_class *source;  /* sources only */
  const rill_operator_class *op;    /* everything else (sinks via an adapter) */
  const char *type_name;
  void *user_data;
  GDestroyNotify destroy;
  GArray *inputs;                   /* rill__edge */
  GArray *outputs;                  /* rill__edge, filled by the plan */
  /* plan */
  guint chain;                      /* chain (thread group) index */
  gboolean chained;                 /* runs inside its upstreams' task */
  guint pos;                        /* position in its chain's tasks (definition order) */
  rill__counters *counters;         /* parallelism entries */
  GPtrArray *input_streams;         /* streams feeding this stage's tasks (not owned) */
};

struct rill_ctx {
  struct rill__task *task;
  struct rill_stage *stage;
  guint pos;                        /* position in the task's chain */
  GError *error;                    /* set by rill_ctx_set_error until reported */
};

struct rill_emitter {
  struct rill_ctx *ctx;
  rill_batch_builder *builder;      /* lazily created */
  const rill_batch *owner;          /* rill_emitter_reference, for this callback only */
  gboolean owner_referenced;        /* owner referenced by the batch being built */
  gint64 pending_since;             /* sources: when the builder got its first record */
  guint round_robin;                /* next channel for unrouted batches on exchange edges */
};

/* A chained downstream stage of a task stage: its position and input. */
typedef struct rill__next {
  guint pos;
  guint input;
} rill__next;

/* Marker bookkeeping of a chained stage with several inputs (a join or a
 * union fed by branches of its own chain): like a head's channels, it sees
 * the minimum watermark over its inputs and a barrier once every input
 * passed it. */
typedef struct rill__chained_inputs {
  guint n;
  int64_t *watermark;               /* per input; INT64_MIN before any, IDLE while idle */
  uint64_t *barrier;                /* per input: last barrier seen */
  int64_t combined;                 /* last watermark handed to the stage */
  gboolean idle;
  uint64_t aligned;                 /* last barrier handed to the stage */
} rill__chained_inputs;

typedef struct rill__task_stage {
  struct rill_ctx ctx;
  struct rill_emitter out;
  void *state;
  gboolean opened;
  rill__counters *counters;         /* == stage->counters[task index] */
  guint n_next;                     /* chained downstream stages, in definition order */
  rill__next *next;
  rill__chained_inputs *inputs;     /* NULL unless chained with several inputs */
} rill__task_stage;

/* An input stream of a chain's head, with its marker bookkeeping. */
typedef struct rill__channel {
  rill_stream *stream;
  guint input;                      /* the head stage's input index */
  gboolean eos;
  int64_t watermark;                /* last watermark seen, INT64_MIN before any */
  uint64_t barrier;                 /* last barrier id seen */
} rill__channel;

/* The streams one non-chained output edge of a stage writes: 1 (forward) or P. */
typedef struct rill__link {
  guint pos;                        /* the writing stage's position in the task */
  rill_edge_kind kind;
  guint n_streams;
  rill_stream **streams;            /* not owned */
} rill__link;

typedef struct rill__task {
  rill_pipeline *pipeline;          /* not refcounted */
  guint index;                      /* in [0, parallelism) */
  guint chain;
  guint n_stages;
  rill__task_stage *stages;         /* definition order: [0] is the head */
  guint n_channels;
  rill__channel *channels;
  guint n_links;
  rill__link *links;
  guint *splits;                    /* source heads: this task's splits */
  guint n_splits;
  rill__waiter waiter;
  GThread *thread;
  gint64 nested_ns;                 /* time spent downstream of the current callback */
  gboolean failed;                  /* an error was already reported from this task */
  int64_t watermark;                /* head's combined input watermark */
  gboolean idle;                    /* every open input channel is idle (RILL_WATERMARK_IDLE) */
  gboolean unflushed;               /* records went down the chain since the stages' last on_idle */
  uint64_t barrier;                 /* head's last aligned barrier */
  /* checkpoints (checkpoint.c) */
  uint64_t snap_id;                 /* checkpoint whose snapshot is being collected, 0 = none */
  GByteArray *snap;                 /* its stage entries */
  guint snap_entries;
  uint64_t notified;                /* last checkpoint announced to the stages */
  GHashTable *restore;              /* stage name -> GBytes to restore at open; NULL = none */
  gboolean restore_finished;        /* the restored checkpoint saw this task finished: end at once */
} rill__task;

enum { RILL__NEW, RILL__RUNNING, RILL__DONE };

struct rill_pipeline {
  gint ref;
  char *name;
  guint parallelism;
  guint stream_capacity;
  guint drain_timeout_ms;
  FILE *metrics_out;
  GPtrArray *stages;                /* rill_stage, owned */
  GArray *cleanups;                 /* pipeline_cleanup, run in reverse at free; NULL = none */
  gboolean watch_signals;
  /* runtime */
  GMutex lock;
  GCond cond;                       /* signalled when a task ends or a stop is requested */
  int state;                        /* RILL__NEW/RUNNING/DONE; under lock */
  gint stopping;                    /* atomic: drain requested */
  gint cancelled;                   /* atomic: stop at once */
  gint64 drain_deadline;            /* monotonic us; 0 = no drain in progress; under lock */
  GError *error;                    /* first failure; under lock */
  GError *cause;                    /* the failing stage's own error behind it (domain kept), or NULL; under lock */
  gint64 started_us, ended_us;      /* monotonic: start, last task's end (0 = not yet); under lock */
  guint running;                    /* task threads not yet ended; under lock */
  gint signals;                     /* atomic: signals received while watching */
  gint signals_taken;               /* signals.c's count of taken signals when watching began; under its lock */
  GPtrArray *tasks;                 /* rill__task, owned */
  GPtrArray *streams;               /* rill_stream, owned */
  struct rill__checkpointer *ckpt;  /* NULL = checkpoints off */
};

/* task.c — rill__task_main runs a task on its thread; the steps below are
 * its parts, also driven one at a time by the single-operator test harness
 * (tests/harness/op-harness.c), which has no threads. */
gpointer rill__task_main(gpointer task);
void rill__task_free(rill__task *task);
/* Opens every stage (head first), restoring checkpointed state; FALSE once
 * one failed (reported to the pipeline). */
gboolean rill__task_open_stages(rill__task *task);
/* One batch (transfer full) popped from channel @c: its records to the
 * head's process(), then its markers, combined over the channels (minimum
 * watermark, aligned barriers). The caller must not pop a channel whose
 * barrier is ahead of the task's (c->barrier > task->barrier). */
rill_flow rill__task_input(rill__task *task, rill__channel *c, rill_batch *b);
/* Channel @c ended; the combined watermark may advance. */
rill_flow rill__task_input_ended(rill__task *task, rill__channel *c);
/* Clean end of input: each stage finishes and its leftovers flow on. */
rill_flow rill__task_finish_stages(rill__task *task);
/* Closes every opened stage, whatever happened. */
void rill__task_close_stages(rill__task *task);
/* pipeline.c */
/* A task of chain @chain: the stages with stage->chain == @chain, in
 * definition order (their counters must be allocated), and no channels or
 * links yet. (transfer full): rill__task_free. */
rill__task *rill__task_new(rill_pipeline *pipeline, guint chain, guint index);
/* Adds an input channel reading @stream (not owned) into head input @input. */
void rill__task_add_channel(rill__task *task, rill_stream *stream, guint input);
void rill__pipeline_fail(rill_pipeline *pipeline, GError *error);
/* Same, keeping @cause (transfer full, may be NULL): the stage's own error
 * for rill_pipeline_get_error_cause. */
void rill__pipeline_fail_stage(rill_pipeline *pipeline, GError *error, GError *cause);
/* Records @error (transfer full) as the result without cancelling, and asks
 * the pipeline to drain: what was emitted before it still flows to the sinks. */
void rill__pipeline_fail_after_drain(rill_pipeline *pipeline, GError *error);
void rill__pipeline_cancel(rill_pipeline *pipeline);
void rill__pipeline_task_done(rill_pipeline *pipeline);
/* checkpoint.c */
typedef struct rill__checkpointer rill__checkpointer;
/* After planning: loads the newest complete checkpoint into the tasks. */
gboolean rill__checkpoint_prepare(rill_pipeline *pipeline, GError **error);
void rill__checkpoint_start(rill_pipeline *pipeline);
/* After every task ended: stops the coordinator (an unfinished checkpoint stays partial). */
void rill__checkpoint_stop(rill_pipeline *pipeline);
void rill__checkpoint_free(rill__checkpointer *ckpt);
/* The barrier source tasks should emit next (0 = none / checkpoints off). */
guint64 rill__checkpoint_trigger(rill_pipeline *pipeline);
guint64 rill__checkpoint_completed(rill_pipeline *pipeline);
/* Checkpoint counters for metrics, this run. */
typedef struct {
  guint64 completed, failed;
  guint64 last_duration_us;     /* trigger to MANIFEST of the last complete one */
  guint64 last_size_bytes;      /* its task files and MANIFEST */
  guint64 last_success_unix_ms; /* wall clock when it completed; 0 = none yet */
} rill__checkpoint_stats;
/* FALSE (and zeros) when checkpoints are off. Any thread once started. */
gboolean rill__checkpoint_stats_get(rill_pipeline *pipeline, rill__checkpoint_stats *out);
/* @task's snapshot for checkpoint @id: @n_entries stage entries in @entries (transfer none). */
void rill__checkpoint_ack(rill__task *task, guint64 id, GByteArray *entries, guint n_entries);
/* @task ended cleanly: it acks every checkpoint it has not seen as "finished". */
void rill__checkpoint_task_finished(rill__task *task);
/* signals.c */
void rill__signals_watch(rill_pipeline *pipeline);
void rill__signals_unwatch(rill_pipeline *pipeline);
void rill__pipeline_on_signal(rill_pipeline *pipeline);

/* operators (operators/ and sink-stage.c) */
extern const rill_operator_class rill__map_class;
extern const rill_operator_class rill__filter_class;
extern const rill_operator_class rill__flat_map_class;
extern const rill_operator_class rill__union_class;
extern const rill_operator_class rill__sink_class;
rill__closure *rill__closure_new(void (*fn)(void), const void *klass, void *user_data, GDestroyNotify destroy);
void rill__closure_free(gpointer closure);
