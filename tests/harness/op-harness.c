/* op-harness.c — see op-harness.h.
 *
 * The stage under test is the only stage of chain 0 and the head of a task
 * built the way the planner builds one (rill__task_new): one input channel
 * per stage input, without a stream (the harness hands batches over
 * itself), and one output link to a stream that the harness empties after
 * every callback into its own unbounded queue. Every other stage (input
 * placeholders, helpers an add call put in front of the stage) sits on a
 * chain of its own that never runs.
 *
 * Invariants: the output stream is empty between pushes, so it only has to
 * hold what one callback emits (OUT_CAPACITY batches); an item waits in
 * `held` only while its channel is ahead of the task's barrier, and held
 * items are delivered in push order; `current` keeps the batch of the last
 * pulled record alive until the next pull.
 */
#include "op-harness.h"

#include "runtime/pipeline-private.h"

#include <string.h>

#define OUT_CAPACITY 16384 /* batches one callback may emit */

struct rill_harness {
  rill_pipeline *p;
  GPtrArray *inputs;      /* rill_stage placeholders (not owned: the pipeline's) */
  rill_stage *stage;      /* under test; NULL before start */
  rill__task *task;       /* owned */
  rill_stream *out;       /* owned; the task's only output */
  GQueue held;            /* held_item*: input waiting for barrier alignment */
  GQueue output;          /* rill_batch*: emitted, not fully pulled */
  guint cursor;           /* next event of the head of output */
  rill_batch *current;    /* the batch of the last pulled record; one reference */
  int64_t clock;          /* atomic: the fake clock, ms */
  GBytes *restore;        /* the snapshot to restore at open, or NULL */
  gboolean opened, finished;
  rill_flow failed;       /* RILL_FLOW_OK until a callback failed */
};

typedef struct {
  guint input;
  rill_batch *batch;      /* NULL = end of stream */
} held_item;

/* ---- construction ------------------------------------------------------- */

static rill_flow placeholder_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  g_assert_not_reached();
}

static const rill_source_class placeholder_class = {
  .type_name = "harness-input",
  .read = placeholder_read,
};

rill_harness *rill_harness_new_empty(void)
{
  rill_harness *h = g_new0(rill_harness, 1);
  h->p = rill_pipeline_new("harness");
  h->inputs = g_ptr_array_new();
  g_queue_init(&h->held);
  g_queue_init(&h->output);
  return h;
}

rill_pipeline *rill_harness_pipeline(rill_harness *h)
{
  return h->p;
}

rill_stage *rill_harness_input(rill_harness *h, guint i)
{
  g_assert_null(h->stage);
  while (h->inputs->len <= i) {
    char name[24];
    g_snprintf(name, sizeof name, "harness-in%u", h->inputs->len);
    rill_stage *s = rill_pipeline_add_source(h->p, name, &placeholder_class, NULL, NULL);
    g_ptr_array_add(h->inputs, s);
  }
  return h->inputs->pdata[i];
}

gboolean rill_harness_start(rill_harness *h, rill_stage *stage, GError **error)
{
  g_assert_null(h->stage);
  g_assert_true(stage != NULL && stage->pipeline == h->p && stage->op != NULL);
  rill_pipeline *p = h->p;
  h->stage = stage;
  /* What planning would do for this one stage: chains, counters, edges. */
  for (guint i = 0; i < p->stages->len; i++) {
    rill_stage *s = p->stages->pdata[i];
    s->chain = s == stage ? 0 : i + 1;
    s->counters = g_new0(rill__counters, p->parallelism);
    s->input_streams = g_ptr_array_new();
  }
  h->task = rill__task_new(p, 0, 0);
  if (h->restore) {
    h->task->restore = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_bytes_unref);
    g_hash_table_insert(h->task->restore, stage->name, g_steal_pointer(&h->restore));
  }
  for (guint j = 0; j < stage->inputs->len; j++)
    rill__task_add_channel(h->task, NULL, j);
  h->out = rill_stream_new(OUT_CAPACITY);
  h->task->n_links = 1;
  h->task->links = g_new0(rill__link, 1);
  h->task->links[0].kind = RILL_EDGE_FORWARD;
  h->task->links[0].n_streams = 1;
  h->task->links[0].streams = g_new(rill_stream *, 1);
  h->task->links[0].streams[0] = h->out;
  /* The pipeline is spent: rill_pipeline_run would plan it again. */
  p->state = RILL__DONE;
  h->opened = rill__task_open_stages(h->task);
  if (!h->opened) {
    h->failed = RILL_FLOW_ERROR;
    g_propagate_error(error, g_error_copy(p->error));
  }
  return h->opened;
}

rill_harness *rill_harness_new(const rill_operator_class *klass, void *user_data, guint n_inputs)
{
  rill_harness *h = rill_harness_new_empty();
  rill_stage **inputs = g_new(rill_stage *, n_inputs);
  for (guint i = 0; i < n_inputs; i++)
    inputs[i] = rill_harness_input(h, i);
  rill_stage *s = rill_pipeline_add_operator(h->p, klass->type_name ? klass->type_name : "operator", klass,
                                             user_data, NULL, inputs, n_inputs);
  g_free(inputs);
  GError *error = NULL;
  rill_harness_start(h, s, &error);
  g_assert_no_error(error);
  return h;
}

static void held_item_free(gpointer data)
{
  held_item *it = data;
  rill_batch_unref(it->batch);
  g_free(it);
}

void rill_harness_free(rill_harness *h)
{
  if (h->task) {
    rill__task_close_stages(h->task);
    rill_batch_builder_free(h->task->stages[0].out.builder);
    rill__task_free(h->task);
  }
  rill_stream_free(h->out);
  if (h->restore)
    g_bytes_unref(h->restore);
  g_queue_clear_full(&h->held, held_item_free);
  g_queue_clear_full(&h->output, (GDestroyNotify)rill_batch_unref);
  rill_batch_unref(h->current);
  g_ptr_array_unref(h->inputs);
  rill_pipeline_unref(h->p);
  g_free(h);
}

/* ---- pushing ------------------------------------------------------------ */

/* Moves what the last callback emitted from the output stream to the queue. */
static void collect(rill_harness *h)
{
  rill_batch *b;
  while (rill_stream_try_pop(h->out, &b) == RILL_FLOW_OK && b)
    g_queue_push_tail(&h->output, b);
}

static gboolean all_ended(const rill__task *t)
{
  for (guint i = 0; i < t->n_channels; i++)
    if (!t->channels[i].eos)
      return FALSE;
  return TRUE;
}

/* Delivers held items whose channel is not ahead of the task's barrier, in
 * push order, restarting after each (a delivery may complete alignment). */
static rill_flow pump(rill_harness *h)
{
  rill__task *t = h->task;
  GList *l = h->held.head;
  while (l && h->failed == RILL_FLOW_OK) {
    held_item *it = l->data;
    rill__channel *c = &t->channels[it->input];
    if (c->barrier > t->barrier) {
      l = l->next;
      continue;
    }
    g_queue_delete_link(&h->held, l);
    rill_flow flow = it->batch ? rill__task_input(t, c, it->batch) : rill__task_input_ended(t, c);
    g_free(it);
    if (flow == RILL_FLOW_OK && all_ended(t)) {
      flow = rill__task_finish_stages(t);
      rill_stream_close(h->out);
      h->finished = flow == RILL_FLOW_OK;
    }
    collect(h);
    h->failed = flow;
    l = h->held.head;
  }
  return h->failed;
}

static rill_flow hold(rill_harness *h, guint input, rill_batch *batch)
{
  g_assert_nonnull(h->stage);
  g_assert_cmpuint(input, <, h->task->n_channels);
  if (h->failed != RILL_FLOW_OK) {
    rill_batch_unref(batch);
    return RILL_FLOW_FLUSHING;
  }
  /* Nothing may follow the end of an input, held or delivered. */
  g_assert_false(h->task->channels[input].eos);
  for (GList *l = h->held.head; l; l = l->next) {
    const held_item *it = l->data;
    g_assert_true(it->input != input || it->batch != NULL);
  }
  held_item *it = g_new(held_item, 1);
  it->input = input;
  it->batch = batch;
  g_queue_push_tail(&h->held, it);
  return pump(h);
}

rill_flow rill_harness_push(rill_harness *h, guint input, rill_batch *batch)
{
  g_assert_nonnull(batch);
  return hold(h, input, batch);
}

rill_flow rill_harness_push_record(rill_harness *h, guint input, const rill_record *record)
{
  rill_batch_builder *b = rill_batch_builder_new(0);
  rill_batch_builder_append(b, record);
  rill_batch *batch = rill_batch_builder_finish(b);
  rill_batch_builder_free(b);
  return hold(h, input, batch);
}

rill_flow rill_harness_push_kv(rill_harness *h, guint input, const char *key, const char *value, int64_t ts)
{
  rill_record r = RILL_RECORD_INIT;
  r.key = rill_bytes_from_string(key);
  r.value = rill_bytes_from_string(value);
  r.timestamp = ts;
  return rill_harness_push_record(h, input, &r);
}

rill_flow rill_harness_push_watermark(rill_harness *h, guint input, int64_t watermark)
{
  return hold(h, input, rill_batch_new_marker(TRUE, watermark, 0));
}

rill_flow rill_harness_push_barrier(rill_harness *h, guint input, uint64_t barrier_id)
{
  g_assert_cmpuint(barrier_id, >, 0);
  return hold(h, input, rill_batch_new_marker(FALSE, INT64_MIN, barrier_id));
}

rill_flow rill_harness_push_eos(rill_harness *h, guint input)
{
  return hold(h, input, NULL);
}

rill_flow rill_harness_finish(rill_harness *h)
{
  g_assert_nonnull(h->stage);
  rill_flow flow = RILL_FLOW_OK;
  for (guint i = 0; i < h->task->n_channels && flow == RILL_FLOW_OK; i++) {
    gboolean ending = h->task->channels[i].eos;
    for (GList *l = h->held.head; l && !ending; l = l->next)
      ending = ((held_item *)l->data)->input == i && !((held_item *)l->data)->batch;
    if (!ending)
      flow = rill_harness_push_eos(h, i);
  }
  return flow;
}

gboolean rill_harness_finished(const rill_harness *h)
{
  return h->finished;
}

const GError *rill_harness_error(const rill_harness *h)
{
  return h->p->error;
}

/* ---- pulling ------------------------------------------------------------ */

static guint n_events(const rill_batch *b)
{
  return (guint)rill_batch_len(b) + (rill_batch_has_watermark(b) ? 1 : 0) + (rill_batch_barrier(b) ? 1 : 0);
}

gboolean rill_harness_pull(rill_harness *h, rill_harness_event *ev)
{
  g_clear_pointer(&h->current, rill_batch_unref);
  memset(ev, 0, sizeof *ev);
  rill_batch *b;
  while ((b = g_queue_peek_head(&h->output)) && h->cursor == n_events(b)) {
    rill_batch_unref(g_queue_pop_head(&h->output));
    h->cursor = 0;
  }
  if (!b)
    return FALSE;
  guint i = h->cursor++;
  size_t n = rill_batch_len(b);
  if (i < n) {
    ev->kind = RILL_HARNESS_RECORD;
    ev->record = &rill_batch_records(b)[i];
    h->current = rill_batch_ref(b);
  } else if (i == n && rill_batch_has_watermark(b)) {
    ev->kind = RILL_HARNESS_WATERMARK;
    ev->watermark = rill_batch_watermark(b);
  } else {
    ev->kind = RILL_HARNESS_BARRIER;
    ev->barrier = rill_batch_barrier(b);
  }
  return TRUE;
}

guint rill_harness_pending(const rill_harness *h)
{
  guint n = 0;
  for (GList *l = h->output.head; l; l = l->next)
    n += n_events(l->data);
  return n - h->cursor;
}

static const char *kind_name(rill_harness_kind k)
{
  return k == RILL_HARNESS_RECORD ? "record" : k == RILL_HARNESS_WATERMARK ? "watermark" : "barrier";
}

static void pull_kind(rill_harness *h, rill_harness_kind want, rill_harness_event *ev)
{
  if (!rill_harness_pull(h, ev))
    g_error("harness: expected a %s, but the operator emitted nothing more", kind_name(want));
  if (ev->kind != want)
    g_error("harness: expected a %s, got a %s", kind_name(want), kind_name(ev->kind));
}

const rill_record *rill_harness_pull_record(rill_harness *h)
{
  rill_harness_event ev;
  pull_kind(h, RILL_HARNESS_RECORD, &ev);
  return ev.record;
}

int64_t rill_harness_pull_watermark(rill_harness *h)
{
  rill_harness_event ev;
  pull_kind(h, RILL_HARNESS_WATERMARK, &ev);
  return ev.watermark;
}

uint64_t rill_harness_pull_barrier(rill_harness *h)
{
  rill_harness_event ev;
  pull_kind(h, RILL_HARNESS_BARRIER, &ev);
  return ev.barrier;
}

guint rill_harness_drain(rill_harness *h)
{
  guint records = 0;
  rill_harness_event ev;
  while (rill_harness_pull(h, &ev))
    records += ev.kind == RILL_HARNESS_RECORD;
  return records;
}

/* ---- clock, metrics, checkpoints ---------------------------------------- */

int64_t rill_harness_clock_fn(void *harness)
{
  return __atomic_load_n(&((rill_harness *)harness)->clock, __ATOMIC_SEQ_CST);
}

void rill_harness_set_time(rill_harness *h, int64_t ms)
{
  __atomic_store_n(&h->clock, ms, __ATOMIC_SEQ_CST);
}

rill_stage_metrics rill_harness_metrics(rill_harness *h)
{
  g_assert_nonnull(h->stage);
  guint n;
  rill_stage_metrics *all = rill_pipeline_get_metrics(h->p, &n);
  rill_stage_metrics m = all[h->stage->index];
  g_free(all);
  return m;
}

GBytes *rill_harness_snapshot(rill_harness *h, uint64_t checkpoint_id)
{
  g_assert_true(h->opened && h->failed == RILL_FLOW_OK);
  rill__task_stage *ts = &h->task->stages[0];
  if (!h->stage->op->snapshot)
    return NULL;
  GByteArray *a = g_byte_array_new();
  rill_flow flow = h->stage->op->snapshot(&ts->ctx, ts->state, checkpoint_id, a);
  if (flow != RILL_FLOW_OK)
    g_error("harness: snapshot failed: %s", ts->ctx.error ? ts->ctx.error->message : "without details");
  return g_byte_array_free_to_bytes(a);
}

void rill_harness_restore_from(rill_harness *h, GBytes *snapshot)
{
  g_assert_null(h->stage);
  g_clear_pointer(&h->restore, g_bytes_unref);
  h->restore = g_bytes_ref(snapshot);
}
