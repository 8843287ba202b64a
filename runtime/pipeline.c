/* pipeline.c — defining a pipeline graph, planning it into chains, tasks
 * and streams, and its lifecycle (start, wait, stop, drain, metrics).
 *
 * Invariants: stages are added in topological order (an input must exist
 * before it is used), so definition order is a valid execution order; a
 * stage is chained iff every input is a forward edge (at P = 1 also an
 * operator's exchange) from stages of one chain and it allows chaining —
 * so a chain is a DAG (fan-out and joins of its own branches included)
 * with one head, run by one thread in definition order, and any stage of
 * it may have stream outputs. The first error recorded wins and cancels
 * the pipeline.
 */
#include "runtime/pipeline-private.h"

G_DEFINE_QUARK(rill-pipeline-error-quark, rill_pipeline_error)

#define DEFAULT_DRAIN_TIMEOUT_MS 10000

/* ---- construction ------------------------------------------------------- */

rill_pipeline *rill_pipeline_new(const char *name)
{
  rill_pipeline *p = g_new0(rill_pipeline, 1);
  p->ref = 1;
  p->name = g_strdup(name ? name : "pipeline");
  p->parallelism = 1;
  p->stream_capacity = RILL_STREAM_DEFAULT_CAPACITY;
  p->drain_timeout_ms = DEFAULT_DRAIN_TIMEOUT_MS;
  p->stages = g_ptr_array_new();
  g_mutex_init(&p->lock);
  g_cond_init(&p->cond);
  p->state = RILL__NEW;
  return p;
}

rill_pipeline *rill_pipeline_ref(rill_pipeline *pipeline)
{
  g_return_val_if_fail(pipeline != NULL, NULL);
  g_atomic_int_inc(&pipeline->ref);
  return pipeline;
}

typedef struct {
  GDestroyNotify destroy;
  void *data;
} pipeline_cleanup;

static void stage_free(rill_stage *s)
{
  if (s->destroy)
    s->destroy(s->user_data);
  g_array_unref(s->inputs);
  g_array_unref(s->outputs);
  if (s->input_streams)
    g_ptr_array_unref(s->input_streams);
  g_free(s->counters);
  g_free(s->name);
  g_free(s);
}

void rill_pipeline_unref(rill_pipeline *pipeline)
{
  if (!pipeline || !g_atomic_int_dec_and_test(&pipeline->ref))
    return;
  rill_pipeline *p = pipeline;
  if (p->state == RILL__RUNNING) {
    rill_pipeline_stop(p, FALSE);
    rill_pipeline_wait(p, NULL);
  }
  if (p->tasks)
    g_ptr_array_unref(p->tasks);
  if (p->streams)
    g_ptr_array_unref(p->streams);
  for (guint i = 0; i < p->stages->len; i++)
    stage_free(p->stages->pdata[i]);
  g_ptr_array_unref(p->stages);
  for (guint i = p->cleanups ? p->cleanups->len : 0; i > 0; i--) {
    pipeline_cleanup *c = &g_array_index(p->cleanups, pipeline_cleanup, i - 1);
    c->destroy(c->data);
  }
  if (p->cleanups)
    g_array_unref(p->cleanups);
  g_clear_error(&p->error);
  g_clear_error(&p->cause);
  rill__checkpoint_free(p->ckpt);
  g_mutex_clear(&p->lock);
  g_cond_clear(&p->cond);
  g_free(p->name);
  g_free(p);
}

void rill_pipeline_set_parallelism(rill_pipeline *pipeline, guint parallelism)
{
  g_return_if_fail(pipeline != NULL && pipeline->state == RILL__NEW);
  g_return_if_fail(parallelism >= 1 && parallelism <= 1024);
  pipeline->parallelism = parallelism;
}

guint rill_pipeline_get_parallelism(const rill_pipeline *pipeline)
{
  g_return_val_if_fail(pipeline != NULL, 0);
  return pipeline->parallelism;
}

void rill_pipeline_set_stream_capacity(rill_pipeline *pipeline, guint batches)
{
  g_return_if_fail(pipeline != NULL && pipeline->state == RILL__NEW && batches >= 1);
  pipeline->stream_capacity = batches;
}

void rill_pipeline_set_drain_timeout(rill_pipeline *pipeline, guint timeout_ms)
{
  g_return_if_fail(pipeline != NULL);
  g_mutex_lock(&pipeline->lock);
  pipeline->drain_timeout_ms = timeout_ms;
  g_mutex_unlock(&pipeline->lock);
}

void rill_pipeline_set_metrics_output(rill_pipeline *pipeline, FILE *out)
{
  g_return_if_fail(pipeline != NULL);
  pipeline->metrics_out = out;
}

static rill_stage *stage_new(rill_pipeline *p, const char *name, const char *type_name, void *user_data,
                             GDestroyNotify destroy, rill_stage *const *inputs, guint n_inputs)
{
  rill_stage *s = g_new0(rill_stage, 1);
  s->pipeline = p;
  s->name = g_strdup(name);
  s->index = p->stages->len;
  s->type_name = type_name ? type_name : "operator";
  s->user_data = user_data;
  s->destroy = destroy;
  s->inputs = g_array_new(FALSE, TRUE, sizeof(rill__edge));
  s->outputs = g_array_new(FALSE, TRUE, sizeof(rill__edge));
  for (guint i = 0; i < n_inputs; i++) {
    gboolean exchange = inputs[i]->op && (inputs[i]->op->flags & RILL_OPERATOR_EXCHANGE_OUTPUT);
    rill__edge e = {inputs[i], i, exchange ? RILL_EDGE_EXCHANGE : RILL_EDGE_FORWARD, FALSE};
    g_array_append_val(s->inputs, e);
  }
  g_ptr_array_add(p->stages, s);
  return s;
}

/* Checks shared by every add: on failure the user data is released now, as
 * promised, and NULL returned. */
static gboolean add_ok(rill_pipeline *p, const char *name, rill_stage *const *inputs, guint n_inputs,
                       void *user_data, GDestroyNotify destroy)
{
  gboolean ok = p != NULL && p->state == RILL__NEW && name != NULL && (n_inputs == 0 || inputs != NULL);
  for (guint i = 0; ok && i < n_inputs; i++)
    ok = inputs[i] != NULL && inputs[i]->pipeline == p;
  if (!ok && destroy)
    destroy(user_data);
  return ok;
}

rill_stage *rill_pipeline_add_source(rill_pipeline *pipeline, const char *name, const rill_source_class *klass,
                                     void *user_data, GDestroyNotify destroy)
{
  g_return_val_if_fail(klass != NULL && klass->read != NULL, NULL);
  g_return_val_if_fail(add_ok(pipeline, name, NULL, 0, user_data, destroy), NULL);
  rill_stage *s = stage_new(pipeline, name, klass->type_name ? klass->type_name : "source", user_data, destroy,
                            NULL, 0);
  s->source = klass;
  return s;
}

rill_stage *rill_pipeline_add_operator(rill_pipeline *pipeline, const char *name, const rill_operator_class *klass,
                                       void *user_data, GDestroyNotify destroy, rill_stage *const *inputs,
                                       guint n_inputs)
{
  g_return_val_if_fail(klass != NULL && klass->process != NULL && n_inputs >= 1, NULL);
  g_return_val_if_fail(add_ok(pipeline, name, inputs, n_inputs, user_data, destroy), NULL);
  rill_stage *s = stage_new(pipeline, name, klass->type_name, user_data, destroy, inputs, n_inputs);
  s->op = klass;
  return s;
}

static rill_stage *add_closure(rill_pipeline *p, const char *name, const rill_operator_class *klass,
                               rill_stage *input, void (*fn)(void), const void *sink_class, void *user_data,
                               GDestroyNotify destroy)
{
  g_return_val_if_fail(add_ok(p, name, &input, 1, user_data, destroy), NULL);
  rill__closure *c = rill__closure_new(fn, sink_class, user_data, destroy);
  rill_stage *s = stage_new(p, name, klass->type_name, c, rill__closure_free, &input, 1);
  s->op = klass;
  return s;
}

rill_stage *rill_pipeline_add_map(rill_pipeline *pipeline, const char *name, rill_stage *input, rill_map_fn fn,
                                  void *user_data, GDestroyNotify destroy)
{
  g_return_val_if_fail(fn != NULL, NULL);
  return add_closure(pipeline, name, &rill__map_class, input, (void (*)(void))fn, NULL, user_data, destroy);
}

rill_stage *rill_pipeline_add_filter(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                     rill_filter_fn fn, void *user_data, GDestroyNotify destroy)
{
  g_return_val_if_fail(fn != NULL, NULL);
  return add_closure(pipeline, name, &rill__filter_class, input, (void (*)(void))fn, NULL, user_data, destroy);
}

rill_stage *rill_pipeline_add_flat_map(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                       rill_flat_map_fn fn, void *user_data, GDestroyNotify destroy)
{
  g_return_val_if_fail(fn != NULL, NULL);
  return add_closure(pipeline, name, &rill__flat_map_class, input, (void (*)(void))fn, NULL, user_data,
                     destroy);
}

rill_stage *rill_pipeline_add_union(rill_pipeline *pipeline, const char *name, rill_stage *const *inputs,
                                    guint n_inputs)
{
  return rill_pipeline_add_operator(pipeline, name, &rill__union_class, NULL, NULL, inputs, n_inputs);
}

rill_stage *rill_pipeline_add_sink(rill_pipeline *pipeline, const char *name, rill_stage *input,
                                   const rill_sink_class *klass, void *user_data, GDestroyNotify destroy)
{
  g_return_val_if_fail(klass != NULL && klass->write != NULL, NULL);
  rill_stage *s = add_closure(pipeline, name, &rill__sink_class, input, NULL, klass, user_data, destroy);
  if (s && klass->type_name)
    s->type_name = klass->type_name;
  return s;
}

void rill_pipeline_add_cleanup(rill_pipeline *pipeline, GDestroyNotify destroy, void *data)
{
  g_return_if_fail(pipeline != NULL && destroy != NULL);
  if (!pipeline->cleanups)
    pipeline->cleanups = g_array_new(FALSE, FALSE, sizeof(pipeline_cleanup));
  pipeline_cleanup c = {destroy, data};
  g_array_append_val(pipeline->cleanups, c);
}

void rill_stage_set_input_edge(rill_stage *stage, guint input, rill_edge_kind kind)
{
  g_return_if_fail(stage != NULL && stage->pipeline->state == RILL__NEW && input < stage->inputs->len);
  g_array_index(stage->inputs, rill__edge, input).kind = kind;
  g_array_index(stage->inputs, rill__edge, input).set = TRUE;
}

const char *rill_stage_get_name(const rill_stage *stage)
{
  g_return_val_if_fail(stage != NULL, NULL);
  return stage->name;
}

/* ---- planning ----------------------------------------------------------- */

static gboolean validate(rill_pipeline *p, GError **error)
{
  if (p->stages->len == 0) {
    g_set_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID, "pipeline '%s' has no stages", p->name);
    return FALSE;
  }
  GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < p->stages->len; i++) {
    rill_stage *s = p->stages->pdata[i];
    if (!g_hash_table_add(names, s->name)) {
      g_set_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID,
                  "pipeline '%s': two stages are named '%s'", p->name, s->name);
      ok = FALSE;
    }
  }
  g_hash_table_unref(names);
  return ok;
}

static void plan_chains(rill_pipeline *p, guint *n_chains)
{
  for (guint i = 0; i < p->stages->len; i++) {
    rill_stage *s = p->stages->pdata[i];
    for (guint j = 0; j < s->inputs->len; j++) {
      rill__edge in = g_array_index(s->inputs, rill__edge, j);
      rill__edge out = {s, j, in.kind, in.set};
      g_array_append_val(in.stage->outputs, out);
    }
  }
  *n_chains = 0;
  GArray *sizes = g_array_new(FALSE, TRUE, sizeof(guint)); /* stages per chain so far */
  for (guint i = 0; i < p->stages->len; i++) {
    rill_stage *s = p->stages->pdata[i];
    s->counters = g_new0(rill__counters, p->parallelism);
    s->input_streams = g_ptr_array_new();
    gboolean chained = s->inputs->len > 0 && !(s->op->flags & RILL_OPERATOR_NO_CHAIN);
    for (guint j = 0; chained && j < s->inputs->len; j++) {
      rill__edge *in = &g_array_index(s->inputs, rill__edge, j);
      /* At P = 1 an exchange an operator asked for (key_by) has one channel
       * and routes nothing: it chains like a forward edge. One set with
       * rill_stage_set_input_edge keeps its thread boundary. */
      gboolean forward = in->kind == RILL_EDGE_FORWARD || (p->parallelism == 1 && !in->set);
      rill__edge *first = &g_array_index(s->inputs, rill__edge, 0);
      chained = forward && in->stage->chain == first->stage->chain;
    }
    s->chained = chained;
    s->chain = chained ? g_array_index(s->inputs, rill__edge, 0).stage->chain : (*n_chains)++;
    if (s->chain >= sizes->len)
      g_array_set_size(sizes, s->chain + 1);
    s->pos = g_array_index(sizes, guint, s->chain)++;
  }
  g_array_unref(sizes);
}

rill__task *rill__task_new(rill_pipeline *p, guint chain, guint index)
{
  rill__task *t = g_new0(rill__task, 1);
  t->pipeline = p;
  t->chain = chain;
  t->index = index;
  t->watermark = INT64_MIN;
  rill__waiter_init(&t->waiter);
  for (guint i = 0; i < p->stages->len; i++) {
    rill_stage *s = p->stages->pdata[i];
    if (s->chain == chain)
      t->n_stages++;
  }
  t->stages = g_new0(rill__task_stage, t->n_stages);
  guint pos = 0;
  for (guint i = 0; i < p->stages->len; i++) {
    rill_stage *s = p->stages->pdata[i];
    if (s->chain != chain)
      continue;
    rill__task_stage *ts = &t->stages[pos];
    ts->ctx.task = t;
    ts->ctx.stage = s;
    ts->ctx.pos = pos;
    ts->out.ctx = &ts->ctx;
    ts->counters = &s->counters[index];
    for (guint o = 0; o < s->outputs->len; o++) {
      rill__edge e = g_array_index(s->outputs, rill__edge, o);
      if (!e.stage->chained)
        continue;
      ts->next = g_renew(rill__next, ts->next, ts->n_next + 1);
      ts->next[ts->n_next++] = (rill__next){e.stage->pos, e.input};
    }
    if (s->chained && s->inputs->len > 1) {
      rill__chained_inputs *in = g_new0(rill__chained_inputs, 1);
      in->n = s->inputs->len;
      in->watermark = g_new(int64_t, in->n);
      in->barrier = g_new0(uint64_t, in->n);
      for (guint j = 0; j < in->n; j++)
        in->watermark[j] = INT64_MIN;
      in->combined = INT64_MIN;
      ts->inputs = in;
    }
    pos++;
  }
  return t;
}

static rill__task *find_task(rill_pipeline *p, guint chain, guint index)
{
  return p->tasks->pdata[chain * p->parallelism + index];
}

void rill__task_add_channel(rill__task *t, rill_stream *s, guint input)
{
  t->channels = g_renew(rill__channel, t->channels, t->n_channels + 1);
  rill__channel c = {s, input, FALSE, INT64_MIN, 0};
  t->channels[t->n_channels++] = c;
}

static rill_stream *new_stream(rill_pipeline *p, rill__task *from, rill__task *to, rill_stage *dst)
{
  rill_stream *s = rill_stream_new(p->stream_capacity);
  rill__stream_set_waiters(s, &from->waiter, &to->waiter);
  g_ptr_array_add(p->streams, s);
  g_ptr_array_add(dst->input_streams, s);
  return s;
}

static void plan_streams(rill_pipeline *p)
{
  guint P = p->parallelism;
  for (guint i = 0; i < p->stages->len; i++) {
    rill_stage *u = p->stages->pdata[i];
    for (guint o = 0; o < u->outputs->len; o++) {
      rill__edge e = g_array_index(u->outputs, rill__edge, o);
      if (e.stage->chained)
        continue;
      for (guint a = 0; a < P; a++) {
        rill__task *from = find_task(p, u->chain, a);
        rill__link link = {u->pos, e.kind, e.kind == RILL_EDGE_EXCHANGE ? P : 1, NULL};
        link.streams = g_new(rill_stream *, link.n_streams);
        for (guint b = 0; b < link.n_streams; b++) {
          rill__task *to = find_task(p, e.stage->chain, e.kind == RILL_EDGE_EXCHANGE ? b : a);
          link.streams[b] = new_stream(p, from, to, e.stage);
          rill__task_add_channel(to, link.streams[b], e.input);
        }
        from->links = g_renew(rill__link, from->links, from->n_links + 1);
        from->links[from->n_links++] = link;
      }
    }
  }
}

static void assign_splits(rill_pipeline *p)
{
  for (guint i = 0; i < p->stages->len; i++) {
    rill_stage *s = p->stages->pdata[i];
    if (!s->source)
      continue;
    guint n = s->source->n_splits ? s->source->n_splits(s->user_data, p->parallelism) : p->parallelism;
    for (guint k = 0; k < n; k++) {
      rill__task *t = find_task(p, s->chain, k % p->parallelism);
      t->splits = g_renew(guint, t->splits, t->n_splits + 1);
      t->splits[t->n_splits++] = k;
    }
  }
}

/* ---- lifecycle ---------------------------------------------------------- */

gboolean rill_pipeline_start(rill_pipeline *pipeline, GError **error)
{
  g_return_val_if_fail(pipeline != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  rill_pipeline *p = pipeline;
  if (p->state != RILL__NEW) {
    g_set_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STATE, "pipeline '%s' was already started",
                p->name);
    return FALSE;
  }
  if (!validate(p, error))
    return FALSE;
  guint n_chains;
  plan_chains(p, &n_chains);
  p->tasks = g_ptr_array_new_with_free_func((GDestroyNotify)rill__task_free);
  p->streams = g_ptr_array_new_with_free_func((GDestroyNotify)rill_stream_free);
  for (guint c = 0; c < n_chains; c++)
    for (guint i = 0; i < p->parallelism; i++)
      g_ptr_array_add(p->tasks, rill__task_new(p, c, i));
  plan_streams(p);
  assign_splits(p);
  if (p->ckpt && !rill__checkpoint_prepare(p, error)) {
    /* Nothing started: the pipeline may not run (its plan is half-used).
     * Under the lock: /readyz and the console read the state from the
     * HTTP server's thread. */
    g_mutex_lock(&p->lock);
    p->state = RILL__DONE;
    g_mutex_unlock(&p->lock);
    return FALSE;
  }

  g_mutex_lock(&p->lock);
  p->state = RILL__RUNNING;
  p->started_us = g_get_monotonic_time();
  p->running = p->tasks->len;
  g_mutex_unlock(&p->lock);
  if (p->watch_signals)
    rill__signals_watch(p);
  for (guint i = 0; i < p->tasks->len; i++) {
    rill__task *t = p->tasks->pdata[i];
    char name[16];
    g_snprintf(name, sizeof name, "rill-%u.%u", t->chain, t->index);
    t->thread = g_thread_new(name, rill__task_main, t);
  }
  if (p->ckpt)
    rill__checkpoint_start(p);
  return TRUE;
}

void rill__pipeline_task_done(rill_pipeline *p)
{
  g_mutex_lock(&p->lock);
  if (--p->running == 0)
    p->ended_us = g_get_monotonic_time();
  g_cond_broadcast(&p->cond);
  g_mutex_unlock(&p->lock);
}

void rill__pipeline_cancel(rill_pipeline *p)
{
  __atomic_store_n(&p->stopping, 1, __ATOMIC_SEQ_CST);
  __atomic_store_n(&p->cancelled, 1, __ATOMIC_SEQ_CST);
  if (p->streams)
    for (guint i = 0; i < p->streams->len; i++)
      rill_stream_cancel(p->streams->pdata[i]);
  if (p->tasks)
    for (guint i = 0; i < p->tasks->len; i++) {
      rill__task *t = p->tasks->pdata[i];
      rill__waiter_wake(&t->waiter);
    }
  g_mutex_lock(&p->lock);
  g_cond_broadcast(&p->cond);
  g_mutex_unlock(&p->lock);
}

void rill__pipeline_fail(rill_pipeline *p, GError *error)
{
  rill__pipeline_fail_stage(p, error, NULL);
}

void rill__pipeline_fail_stage(rill_pipeline *p, GError *error, GError *cause)
{
  g_mutex_lock(&p->lock);
  if (!p->error) {
    p->error = error;
    p->cause = cause;
  } else {
    g_error_free(error);
    g_clear_error(&cause);
  }
  g_mutex_unlock(&p->lock);
  rill__pipeline_cancel(p);
}

const GError *rill_pipeline_get_error_cause(rill_pipeline *pipeline)
{
  g_return_val_if_fail(pipeline != NULL, NULL);
  g_mutex_lock(&pipeline->lock);
  const GError *cause = pipeline->cause;
  g_mutex_unlock(&pipeline->lock);
  return cause;
}

void rill__pipeline_fail_after_drain(rill_pipeline *p, GError *error)
{
  g_mutex_lock(&p->lock);
  if (!p->error)
    p->error = error;
  else
    g_error_free(error);
  g_mutex_unlock(&p->lock);
  rill_pipeline_stop(p, TRUE);
}

void rill_pipeline_stop(rill_pipeline *pipeline, gboolean drain)
{
  g_return_if_fail(pipeline != NULL);
  rill_pipeline *p = pipeline;
  if (!drain) {
    rill__pipeline_fail(p, g_error_new(RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STOPPED,
                                       "pipeline '%s' was stopped before it drained", p->name));
    return;
  }
  g_mutex_lock(&p->lock);
  if (!p->drain_deadline)
    p->drain_deadline = g_get_monotonic_time() + (gint64)p->drain_timeout_ms * 1000;
  __atomic_store_n(&p->stopping, 1, __ATOMIC_SEQ_CST);
  g_cond_broadcast(&p->cond);
  g_mutex_unlock(&p->lock);
  /* Wake sources sleeping on empty inputs so they see the request. */
  if (p->tasks)
    for (guint i = 0; i < p->tasks->len; i++)
      rill__waiter_wake(&((rill__task *)p->tasks->pdata[i])->waiter);
}

gboolean rill_pipeline_was_interrupted(rill_pipeline *pipeline)
{
  g_return_val_if_fail(pipeline != NULL, FALSE);
  return g_atomic_int_get(&pipeline->signals) > 0;
}

void rill_pipeline_watch_signals(rill_pipeline *pipeline)
{
  g_return_if_fail(pipeline != NULL && pipeline->state == RILL__NEW);
  pipeline->watch_signals = TRUE;
}

gboolean rill_pipeline_wait(rill_pipeline *pipeline, GError **error)
{
  g_return_val_if_fail(pipeline != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  rill_pipeline *p = pipeline;
  g_mutex_lock(&p->lock);
  if (p->state == RILL__NEW) {
    g_mutex_unlock(&p->lock);
    g_set_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STATE, "pipeline '%s' was not started",
                p->name);
    return FALSE;
  }
  while (p->running > 0) {
    if (p->drain_deadline && !__atomic_load_n(&p->cancelled, __ATOMIC_SEQ_CST)) {
      if (!g_cond_wait_until(&p->cond, &p->lock, p->drain_deadline) &&
          g_get_monotonic_time() >= p->drain_deadline) {
        g_mutex_unlock(&p->lock);
        rill__pipeline_fail(p, g_error_new(RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STOPPED,
                                           "pipeline '%s' did not drain within %u ms", p->name,
                                           p->drain_timeout_ms));
        g_mutex_lock(&p->lock);
      }
    } else {
      g_cond_wait(&p->cond, &p->lock);
    }
  }
  gboolean first = p->state == RILL__RUNNING;
  p->state = RILL__DONE;
  g_mutex_unlock(&p->lock);

  if (first) {
    for (guint i = 0; i < p->tasks->len; i++) {
      rill__task *t = p->tasks->pdata[i];
      g_thread_join(t->thread);
      t->thread = NULL;
    }
    if (p->ckpt)
      rill__checkpoint_stop(p);
    if (p->watch_signals)
      rill__signals_unwatch(p);
    if (p->metrics_out)
      rill_pipeline_print_metrics(p, p->metrics_out);
  }
  if (p->error) {
    if (error)
      *error = g_error_copy(p->error);
    return FALSE;
  }
  return TRUE;
}

gboolean rill_pipeline_run(rill_pipeline *pipeline, GError **error)
{
  g_return_val_if_fail(pipeline != NULL, FALSE);
  if (!rill_pipeline_start(pipeline, error))
    return FALSE;
  return rill_pipeline_wait(pipeline, error);
}

/* ---- metrics ------------------------------------------------------------ */

rill_stage_metrics *rill_pipeline_get_metrics(rill_pipeline *pipeline, guint *n_stages)
{
  g_return_val_if_fail(pipeline != NULL && n_stages != NULL, NULL);
  rill_pipeline *p = pipeline;
  *n_stages = p->stages->len;
  rill_stage_metrics *m = g_new0(rill_stage_metrics, p->stages->len);
  for (guint i = 0; i < p->stages->len; i++) {
    rill_stage *s = p->stages->pdata[i];
    m[i].stage = s->name;
    m[i].type_name = s->type_name;
    m[i].task_thread = s->chain;
    m[i].role = s->source ? RILL_STAGE_SOURCE : s->op == &rill__sink_class ? RILL_STAGE_SINK : RILL_STAGE_OPERATOR;
    m[i].source_lag = -1;
    if (!s->counters)
      continue;
    for (guint t = 0; t < p->parallelism; t++) {
      rill__counters *c = &s->counters[t];
#define SUM(f) m[i].f += __atomic_load_n(&c->f, __ATOMIC_RELAXED)
      SUM(records_in); SUM(bytes_in); SUM(batches_in);
      SUM(records_out); SUM(bytes_out); SUM(batches_out);
      SUM(busy_ns); SUM(blocked_ns); SUM(late_records); SUM(state_bytes);
      SUM(source_bytes_done); SUM(source_bytes_total); SUM(dead_letters);
#undef SUM
      if (__atomic_load_n(&c->watermark_seen, __ATOMIC_ACQUIRE)) {
        int64_t wm = __atomic_load_n(&c->watermark, __ATOMIC_RELAXED);
        m[i].watermark = m[i].has_watermark ? MIN(m[i].watermark, wm) : wm;
        m[i].has_watermark = TRUE;
      }
      if (__atomic_load_n(&c->source_lag_seen, __ATOMIC_ACQUIRE))
        m[i].source_lag = MAX(m[i].source_lag, 0) + __atomic_load_n(&c->source_lag, __ATOMIC_RELAXED);
    }
    for (guint k = 0; k < s->input_streams->len; k++) {
      m[i].queue_len += rill_stream_len(s->input_streams->pdata[k]);
      m[i].queue_capacity += rill_stream_capacity(s->input_streams->pdata[k]);
    }
  }
  return m;
}

void rill_pipeline_print_metrics(rill_pipeline *pipeline, FILE *out)
{
  g_return_if_fail(pipeline != NULL && out != NULL);
  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(pipeline, &n);
  fprintf(out, "pipeline '%s' (parallelism %u)\n", pipeline->name, pipeline->parallelism);
  rill_metrics_print(m, n, out);
  g_free(m);
}
