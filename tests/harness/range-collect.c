/* range-collect.c — see range-collect.h. */
#include "range-collect.h"

#include <string.h>

typedef struct {
  range_source *src;
  const guint *splits;
  guint n_splits, cur;
  guint64 next, end;
} range_state;

static guint range_n_splits(void *user_data, guint parallelism)
{
  return ((range_source *)user_data)->n_splits;
}

static gboolean range_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                           GError **error)
{
  range_source *src = user_data;
  range_state *st = g_new0(range_state, 1);
  st->src = src;
  st->splits = splits;
  st->n_splits = n_splits;
  st->next = splits[0] * src->per_split;
  st->end = src->unbounded ? G_MAXUINT64 : st->next + src->per_split;
  *state = st;
  return TRUE;
}

static rill_flow range_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  range_state *st = state;
  range_source *src = st->src;
  for (int i = 0; i < 300; i++) {
    if (st->next == st->end) {
      if (++st->cur == st->n_splits)
        return RILL_FLOW_EOS;
      st->next = st->splits[st->cur] * src->per_split;
      st->end = st->next + src->per_split;
      continue;
    }
    guint64 id = st->next++;
    rill_record r = RILL_RECORD_INIT;
    uint8_t *key = rill_emitter_alloc(out, 8 + src->value_len);
    memcpy(key, &id, 8);
    memset(key + 8, 'a' + (int)(id % 26), src->value_len);
    r.key = rill_bytes_make(key, 8);
    r.value = rill_bytes_make(key + 8, src->value_len);
    r.timestamp = (int64_t)id;
    rill_flow flow = rill_emit_record_raw(out, &r);
    gint64 n = __atomic_add_fetch(&src->emitted, 1, __ATOMIC_SEQ_CST);
    if (src->on_read)
      src->on_read(ctx, n, src->hook_data);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static void range_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

const rill_source_class range_source_class = {
  .type_name = "range",
  .n_splits = range_n_splits,
  .open = range_open,
  .read = range_read,
  .close = range_close,
};

guint64 record_id(const rill_record *r)
{
  guint64 id;
  g_assert_cmpuint(r->key.len, ==, 8);
  memcpy(&id, r->key.data, 8);
  return id;
}

static gboolean collect_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  collect_sink *s = user_data;
  g_atomic_int_inc(&s->opens);
  *state = s;
  return TRUE;
}

static rill_flow collect_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  collect_sink *s = state;
  if (s->before_write)
    s->before_write(s->hook_data);
  size_t n = rill_batch_len(batch);
  const rill_record *r = rill_batch_records(batch);
  guint task = rill_ctx_task_index(ctx);
  g_mutex_lock(&s->lock);
  for (size_t i = 0; i < n; i++) {
    guint64 id = record_id(&r[i]);
    g_array_append_val(s->ids, id);
    g_array_append_val(s->tasks, task);
    guint8 tag = r[i].value.len ? r[i].value.data[0] : 0;
    g_byte_array_append(s->tags, &tag, 1);
  }
  g_mutex_unlock(&s->lock);
  __atomic_add_fetch(&s->received, (gint64)n, __ATOMIC_SEQ_CST);
  if (s->delay_us)
    g_usleep((gulong)s->delay_us);
  return RILL_FLOW_OK;
}

static rill_flow collect_flush(rill_ctx *ctx, void *state)
{
  g_atomic_int_inc(&((collect_sink *)state)->flushes);
  return RILL_FLOW_OK;
}

static void collect_close(rill_ctx *ctx, void *state)
{
  g_atomic_int_inc(&((collect_sink *)state)->closes);
}

const rill_sink_class collect_sink_class = {
  .type_name = "collect",
  .open = collect_open,
  .write = collect_write,
  .flush = collect_flush,
  .close = collect_close,
};

void collect_sink_init(collect_sink *s)
{
  memset(s, 0, sizeof *s);
  g_mutex_init(&s->lock);
  s->ids = g_array_new(FALSE, FALSE, sizeof(guint64));
  s->tasks = g_array_new(FALSE, FALSE, sizeof(guint));
  s->tags = g_byte_array_new();
}

void collect_sink_clear(collect_sink *s)
{
  g_array_unref(s->ids);
  g_array_unref(s->tasks);
  g_byte_array_unref(s->tags);
  g_mutex_clear(&s->lock);
}
