/* harness.c — see harness.h. */
#include "harness.h"

#include <string.h>

script *script_new(guint n_splits)
{
  script *s = g_new0(script, 1);
  s->n_splits = n_splits;
  s->splits = g_new0(GArray *, n_splits);
  for (guint i = 0; i < n_splits; i++)
    s->splits[i] = g_array_new(FALSE, TRUE, sizeof(ev));
  return s;
}

void script_free(script *s)
{
  for (guint i = 0; i < s->n_splits; i++)
    g_array_unref(s->splits[i]);
  g_free(s->splits);
  g_free(s);
}

static ev *add(script *s, guint split, ev_kind kind)
{
  g_assert_cmpuint(split, <, s->n_splits);
  GArray *a = s->splits[split];
  g_array_set_size(a, a->len + 1);
  ev *e = &g_array_index(a, ev, a->len - 1);
  e->clock = -1;
  e->kind = kind;
  return e;
}

void script_record(script *s, guint split, const char *key, int64_t value, int64_t ts, int32_t partition)
{
  ev *e = add(s, split, EV_RECORD);
  g_strlcpy(e->key, key ? key : "", sizeof e->key);
  e->value = value;
  e->ts = ts;
  e->partition = partition;
}

void script_watermark(script *s, guint split, int64_t wm)
{
  add(s, split, EV_WATERMARK)->ts = wm;
}

void script_cut(script *s, guint split)
{
  add(s, split, EV_CUT);
}

void script_clock(script *s, guint split, int64_t clock)
{
  add(s, split, EV_CUT)->clock = clock;
}

int64_t script_clock_fn(void *data)
{
  return __atomic_load_n(&((script *)data)->clock, __ATOMIC_SEQ_CST);
}

typedef struct {
  script *s;
  guint split, pos;
} src_state;

static guint src_n_splits(void *user_data, guint parallelism)
{
  return ((script *)user_data)->n_splits;
}

static gboolean src_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                         GError **error)
{
  g_assert_cmpuint(n_splits, ==, 1);
  src_state *st = g_new0(src_state, 1);
  st->s = user_data;
  st->split = splits[0];
  *state = st;
  return TRUE;
}

static rill_flow src_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  src_state *st = state;
  GArray *a = st->s->splits[st->split];
  for (int n = 0; n < 64; n++) {
    if (st->pos == a->len)
      return RILL_FLOW_EOS;
    const ev *e = &g_array_index(a, ev, st->pos++);
    /* A cut flushes what came before it, then moves the clock. */
    if (e->clock >= 0 && e->kind != EV_CUT)
      __atomic_store_n(&st->s->clock, e->clock, __ATOMIC_SEQ_CST);
    rill_flow flow = RILL_FLOW_OK;
    if (e->kind == EV_WATERMARK) {
      flow = rill_emit_watermark(out, e->ts);
    } else if (e->kind == EV_CUT) {
      flow = rill_emit_watermark(out, INT64_MIN); /* forces a batch boundary */
      if (e->clock >= 0)
        __atomic_store_n(&st->s->clock, e->clock, __ATOMIC_SEQ_CST);
    } else {
      char val[24];
      int vl = g_snprintf(val, sizeof val, "%" G_GINT64_FORMAT, e->value);
      rill_record r = RILL_RECORD_INIT;
      if (e->key[0])
        r.key = rill_bytes_from_string(e->key);
      r.value = rill_bytes_make(val, (size_t)vl);
      r.timestamp = e->ts;
      r.partition = e->partition;
      flow = rill_emit_record(out, &r);
    }
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static void src_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

const rill_source_class script_source_class = {
  .type_name = "script",
  .n_splits = src_n_splits,
  .open = src_open,
  .read = src_read,
  .close = src_close,
};

/* ---- collector ---------------------------------------------------------- */

static char *dup_bytes(rill_bytes b)
{
  return b.data ? g_strndup((const char *)b.data, b.len) : NULL;
}

static void out_rec_free(gpointer p)
{
  out_rec *o = p;
  g_free(o->key);
  g_free(o->value);
  g_free(o->rank);
  g_free(o);
}

void collector_init(collector *c)
{
  g_mutex_init(&c->lock);
  c->recs = g_ptr_array_new_with_free_func(out_rec_free);
}

void collector_clear(collector *c)
{
  g_ptr_array_unref(c->recs);
  g_mutex_clear(&c->lock);
}

static rill_flow col_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  collector *c = state;
  const rill_record *r = rill_batch_records(batch);
  g_mutex_lock(&c->lock);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    out_rec *o = g_new0(out_rec, 1);
    o->key = dup_bytes(r[i].key);
    o->value = dup_bytes(r[i].value);
    o->ts = r[i].timestamp;
    o->start = o->end = INT64_MIN;
    rill_window_result_bounds(&r[i], &o->start, &o->end);
    const rill_bytes *u = rill_record_header(&r[i], RILL_WINDOW_HEADER_UPDATE);
    const rill_bytes *au = rill_record_header(&r[i], RILL_AGGREGATE_HEADER_UPDATE);
    o->update = u != NULL || (au && !(au->len == 1 && au->data[0] == '1'));
    const rill_bytes *rank = rill_record_header(&r[i], "topn.rank");
    o->rank = rank ? dup_bytes(*rank) : NULL;
    g_ptr_array_add(c->recs, o);
  }
  g_mutex_unlock(&c->lock);
  return RILL_FLOW_OK;
}

static gboolean col_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

const rill_sink_class collector_class = {
  .type_name = "collector",
  .open = col_open,
  .write = col_write,
};

GHashTable *collector_final(collector *c)
{
  GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < c->recs->len; i++) {
    out_rec *o = c->recs->pdata[i];
    char *k = g_strdup_printf("%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, o->key ? o->key : "", o->start, o->end);
    g_hash_table_replace(h, k, g_strdup(o->value ? o->value : "<absent>"));
  }
  return h;
}
