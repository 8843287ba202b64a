/* rill-harness.c — see rill-harness.h. */
#include "rill-harness.h"

#include <string.h>

/* ---- scripted source ---------------------------------------------------- */

typedef enum { EV_RECORD, EV_WATERMARK, EV_CUT } ev_kind;

typedef struct {
  ev_kind kind;
  gboolean has_key, has_value;
  char key[24], value[24];
  int64_t ts;            /* record timestamp / watermark */
  int32_t partition;
  int64_t clock;         /* EV_CUT: fake clock set after the cut (-1: leave) */
} ev;

struct rill_script {
  guint n_splits;
  GArray **splits;       /* ev, one array per split */
  guint read_size;
  gint64 clock;          /* atomic: the fake clock, ms */
};

rill_script *rill_script_new(guint n_splits)
{
  rill_script *s = g_new0(rill_script, 1);
  s->n_splits = n_splits;
  s->splits = g_new0(GArray *, n_splits);
  for (guint i = 0; i < n_splits; i++)
    s->splits[i] = g_array_new(FALSE, TRUE, sizeof(ev));
  s->read_size = 64;
  return s;
}

void rill_script_free(rill_script *s)
{
  for (guint i = 0; i < s->n_splits; i++)
    g_array_unref(s->splits[i]);
  g_free(s->splits);
  g_free(s);
}

guint rill_script_n_splits(const rill_script *s)
{
  return s->n_splits;
}

void rill_script_set_read_size(rill_script *s, guint events)
{
  g_assert_cmpuint(events, >, 0);
  s->read_size = events;
}

static ev *add(rill_script *s, guint split, ev_kind kind)
{
  g_assert_cmpuint(split, <, s->n_splits);
  GArray *a = s->splits[split];
  g_array_set_size(a, a->len + 1);
  ev *e = &g_array_index(a, ev, a->len - 1);
  e->kind = kind;
  e->clock = -1;
  return e;
}

void rill_script_record(rill_script *s, guint split, const char *key, const char *value, int64_t ts,
                        int32_t partition)
{
  ev *e = add(s, split, EV_RECORD);
  g_assert_true(!key || strlen(key) < sizeof e->key);
  g_assert_true(!value || strlen(value) < sizeof e->value);
  if ((e->has_key = key != NULL))
    g_strlcpy(e->key, key, sizeof e->key);
  if ((e->has_value = value != NULL))
    g_strlcpy(e->value, value, sizeof e->value);
  e->ts = ts;
  e->partition = partition;
}

void rill_script_watermark(rill_script *s, guint split, int64_t wm)
{
  add(s, split, EV_WATERMARK)->ts = wm;
}

void rill_script_cut(rill_script *s, guint split)
{
  add(s, split, EV_CUT);
}

void rill_script_clock(rill_script *s, guint split, int64_t clock)
{
  add(s, split, EV_CUT)->clock = clock;
}

int64_t rill_script_clock_fn(void *script)
{
  return __atomic_load_n(&((rill_script *)script)->clock, __ATOMIC_SEQ_CST);
}

typedef struct {
  rill_script *s;
  GArray *events;
  guint pos;
} src_state;

static guint src_n_splits(void *user_data, guint parallelism)
{
  return ((rill_script *)user_data)->n_splits;
}

static gboolean src_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                         GError **error)
{
  g_assert_cmpuint(n_splits, ==, 1);
  src_state *st = g_new0(src_state, 1);
  st->s = user_data;
  st->events = st->s->splits[splits[0]];
  *state = st;
  return TRUE;
}

static rill_flow src_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  src_state *st = state;
  for (guint n = 0; n < st->s->read_size; n++) {
    if (st->pos == st->events->len)
      return RILL_FLOW_EOS;
    const ev *e = &g_array_index(st->events, ev, st->pos++);
    rill_flow flow = RILL_FLOW_OK;
    switch (e->kind) {
    case EV_WATERMARK:
      flow = rill_emit_watermark(out, e->ts);
      break;
    case EV_CUT:
      /* A cut flushes what came before it, then moves the clock. */
      flow = rill_emit_watermark(out, INT64_MIN);
      if (e->clock >= 0)
        __atomic_store_n(&st->s->clock, e->clock, __ATOMIC_SEQ_CST);
      break;
    case EV_RECORD: {
      rill_record r = RILL_RECORD_INIT;
      if (e->has_key)
        r.key = rill_bytes_from_string(e->key);
      if (e->has_value)
        r.value = rill_bytes_from_string(e->value);
      r.timestamp = e->ts;
      r.partition = e->partition;
      flow = rill_emit_record(out, &r);
      break;
    }
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

const rill_source_class rill_script_source_class = {
  .type_name = "script",
  .n_splits = src_n_splits,
  .open = src_open,
  .read = src_read,
  .close = src_close,
};

/* ---- test clock for pollers --------------------------------------------- */

void rill_test_clock_init(rill_test_clock *c)
{
  memset(c, 0, sizeof *c);
  g_mutex_init(&c->lock);
  g_cond_init(&c->cond);
}

void rill_test_clock_clear(rill_test_clock *c)
{
  g_cond_clear(&c->cond);
  g_mutex_clear(&c->lock);
}

void rill_test_clock_wait(rill_ctx *ctx, void *clock)
{
  rill_test_clock *c = clock;
  g_mutex_lock(&c->lock);
  guint64 ticket = c->waits++;
  g_cond_broadcast(&c->cond);
  while (!c->running && c->ticks <= ticket)
    g_cond_wait(&c->cond, &c->lock);
  g_mutex_unlock(&c->lock);
}

/* Waits (locked) until the poller has come to wait more than @n times. */
static void wait_for_waits(rill_test_clock *c, guint64 n)
{
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (c->waits <= n)
    g_assert_true(g_cond_wait_until(&c->cond, &c->lock, deadline) || c->waits > n);
}

void rill_test_clock_step(rill_test_clock *c)
{
  g_mutex_lock(&c->lock);
  wait_for_waits(c, c->ticks); /* the poller is waiting for tick number ticks */
  c->ticks++;
  g_cond_broadcast(&c->cond);
  wait_for_waits(c, c->ticks); /* and came back after its pass */
  g_mutex_unlock(&c->lock);
}

void rill_test_clock_release(rill_test_clock *c)
{
  g_mutex_lock(&c->lock);
  c->running = TRUE;
  g_cond_broadcast(&c->cond);
  g_mutex_unlock(&c->lock);
}
