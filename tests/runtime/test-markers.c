/* test-markers.c — watermarks and barriers through streams: a stage with
 * two inputs sees the minimum watermark over them, never going backwards,
 * and a barrier once it arrived on both; sinks flush on barriers. */
#include <rill/rill.h>

#include <string.h>

typedef struct {
  int64_t wm[2];  /* watermarks this source emits, in order */
} wm_source;

typedef struct {
  const wm_source *src;
  int step;
} wm_state;

static gboolean wm_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                        GError **error)
{
  wm_state *st = g_new0(wm_state, 1);
  st->src = user_data;
  *state = st;
  return TRUE;
}

/* step 0: 10 records + wm[0]; 1: barrier 1; 2: 10 records + wm[1]; 3: EOS */
static rill_flow wm_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  wm_state *st = state;
  rill_flow flow = RILL_FLOW_OK;
  switch (st->step++) {
  case 0:
  case 2:
    for (int i = 0; i < 10 && flow == RILL_FLOW_OK; i++) {
      rill_record r = RILL_RECORD_INIT;
      r.value = rill_bytes_from_string("x");
      flow = rill_emit_record(out, &r);
    }
    if (flow == RILL_FLOW_OK)
      flow = rill_emit_watermark(out, st->src->wm[st->step == 1 ? 0 : 1]);
    return flow;
  case 1:
    return rill_emit_barrier(out, 1);
  default:
    return RILL_FLOW_EOS;
  }
}

static void wm_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static const rill_source_class wm_source_class = {
  .type_name = "wm", .open = wm_open, .read = wm_read, .close = wm_close};

typedef struct {
  GArray *watermarks; /* int64_t seen by the observer, in order */
  int barriers;
  int records;
} observed;

static rill_flow obs_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  observed *o = state;
  o->records += (int)rill_batch_len(batch);
  g_assert_false(rill_batch_has_watermark(batch)); /* markers are stripped before process */
  g_assert_cmpuint(rill_batch_barrier(batch), ==, 0);
  return rill_emit_batch(out, batch);
}

static rill_flow obs_watermark(rill_ctx *ctx, void *state, int64_t wm, rill_emitter *out)
{
  observed *o = state;
  g_array_append_val(o->watermarks, wm);
  return rill_emit_watermark(out, wm);
}

static rill_flow obs_barrier(rill_ctx *ctx, void *state, uint64_t id, rill_emitter *out)
{
  observed *o = state;
  o->barriers++;
  g_assert_cmpuint(id, ==, 1);
  return rill_emit_barrier(out, id);
}

static gboolean obs_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_operator_class observer_class = {
  .type_name = "observe", .open = obs_open, .process = obs_process,
  .on_watermark = obs_watermark, .on_barrier = obs_barrier};

static gint flushes;
static rill_flow count_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  return RILL_FLOW_OK;
}
static rill_flow count_flush(rill_ctx *ctx, void *state)
{
  g_atomic_int_inc(&flushes);
  return RILL_FLOW_OK;
}
static const rill_sink_class flush_sink = {.type_name = "flushes", .write = count_write, .flush = count_flush};

static void test_min_watermark_and_aligned_barrier(void)
{
  for (int round = 0; round < 20; round++) {
    wm_source a = {{100, 300}}, b = {{50, 200}};
    observed o = {g_array_new(FALSE, FALSE, sizeof(int64_t)), 0, 0};
    flushes = 0;
    rill_pipeline *p = rill_pipeline_new("markers");
    rill_stage *ins[2] = {rill_pipeline_add_source(p, "a", &wm_source_class, &a, NULL),
                          rill_pipeline_add_source(p, "b", &wm_source_class, &b, NULL)};
    rill_stage *s = rill_pipeline_add_operator(p, "observe", &observer_class, &o, NULL, ins, 2);
    rill_pipeline_add_sink(p, "out", s, &flush_sink, NULL, NULL);
    GError *error = NULL;
    g_assert_true(rill_pipeline_run(p, &error));
    g_assert_no_error(error);
    g_assert_cmpint(o.records, ==, 40);
    g_assert_cmpint(o.barriers, ==, 1);
    g_assert_cmpint(flushes, ==, 2); /* barrier 1, then end of stream */
    /* Strictly increasing; each value is the minimum of what both inputs
     * had sent at some point: 50 (b at 50), 100 (a at 100, b at 200), 200
     * (a at 300, b at 200), or 300 once b ended. */
    g_assert_cmpuint(o.watermarks->len, >=, 1);
    for (guint i = 0; i < o.watermarks->len; i++) {
      int64_t w = g_array_index(o.watermarks, int64_t, i);
      g_assert_true(w == 50 || w == 100 || w == 200 || w == 300);
      if (i)
        g_assert_cmpint(g_array_index(o.watermarks, int64_t, i - 1), <, w);
    }
    /* Both sent 200 or more before ending. (Once every input has ended no
     * watermark is synthesised: finish() follows instead.) */
    g_assert_cmpint(g_array_index(o.watermarks, int64_t, o.watermarks->len - 1), >=, 200);
    g_array_unref(o.watermarks);
    rill_pipeline_unref(p);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/markers/min-watermark-and-aligned-barrier", test_min_watermark_and_aligned_barrier);
  return g_test_run();
}
