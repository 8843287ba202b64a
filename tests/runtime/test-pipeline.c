/* test-pipeline.c — pipelines end to end on real threads and streams:
 * order with P = 1, exactly-once with P = 4, fan-out and fan-in, exchange
 * routing, backpressure with bounded memory, error propagation naming the
 * stage, metrics while running, two pipelines at once. Expected values are
 * computed here independently of the runtime. */
#include "tests/harness/range-collect.h"

#include "runtime/pipeline-private.h"

#include <stdio.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ---- user functions ------------------------------------------------------ */

/* value := decimal id */
static rill_flow map_decimal(rill_ctx *ctx, const rill_record *in, rill_record *out, void *ud)
{
  char tmp[24];
  int n = g_snprintf(tmp, sizeof tmp, "%" G_GUINT64_FORMAT, record_id(in));
  char *v = rill_ctx_alloc(ctx, (size_t)n);
  memcpy(v, tmp, (size_t)n);
  out->value = rill_bytes_make(v, (size_t)n);
  return RILL_FLOW_OK;
}

static rill_verdict keep_not_div3(rill_ctx *ctx, const rill_record *in, void *ud)
{
  return record_id(in) % 3 != 0 ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

/* fails the pipeline if the map's rewrite did not arrive intact */
static rill_verdict check_decimal(rill_ctx *ctx, const rill_record *in, void *ud)
{
  char tmp[24];
  int n = g_snprintf(tmp, sizeof tmp, "%" G_GUINT64_FORMAT, record_id(in));
  if (in->value.len != (size_t)n || memcmp(in->value.data, tmp, (size_t)n) != 0) {
    rill_ctx_fail(ctx, "value of %s is wrong", tmp);
    return RILL_VERDICT_FAIL;
  }
  return RILL_VERDICT_KEEP;
}

static rill_flow map_tag(rill_ctx *ctx, const rill_record *in, rill_record *out, void *ud)
{
  out->value = rill_bytes_from_string(ud); /* static string: outlives every batch */
  return RILL_FLOW_OK;
}

static int cmp_u64(gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
  return x < y ? -1 : x > y;
}

static rill_stage_metrics *metrics_of(rill_stage_metrics *m, guint n, const char *name)
{
  for (guint i = 0; i < n; i++)
    if (strcmp(m[i].stage, name) == 0)
      return &m[i];
  g_assert_not_reached();
}

/* ---- order with P = 1 ----------------------------------------------------- */

static void test_order_p1(void)
{
  range_source src = {.n_splits = 1, .per_split = 100000, .value_len = 16};
  collect_sink sink;
  collect_sink_init(&sink);
  rill_pipeline *p = rill_pipeline_new("order");
  rill_stage *s = rill_pipeline_add_source(p, "numbers", &range_source_class, &src, NULL);
  s = rill_pipeline_add_map(p, "decimal", s, map_decimal, NULL, NULL);
  s = rill_pipeline_add_filter(p, "not-div3", s, keep_not_div3, NULL, NULL);
  s = rill_pipeline_add_filter(p, "check", s, check_decimal, NULL, NULL);
  rill_pipeline_add_sink(p, "out", s, &collect_sink_class, &sink, NULL);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);

  guint64 expect = 0;
  for (guint i = 0; i < sink.ids->len; i++) {
    while (expect % 3 == 0)
      expect++;
    g_assert_cmpuint(g_array_index(sink.ids, guint64, i), ==, expect);
    expect++;
  }
  g_assert_cmpuint(sink.ids->len, ==, 100000 - 33334); /* multiples of 3 in [0, 100000) */
  g_assert_cmpint(sink.flushes, ==, 1);
  g_assert_cmpint(sink.closes, ==, 1);

  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  g_assert_cmpuint(n, ==, 5);
  g_assert_cmpuint(metrics_of(m, n, "numbers")->records_out, ==, 100000);
  g_assert_cmpuint(metrics_of(m, n, "decimal")->records_in, ==, 100000);
  g_assert_cmpuint(metrics_of(m, n, "not-div3")->records_out, ==, 66666);
  g_assert_cmpuint(metrics_of(m, n, "out")->records_in, ==, 66666);
  g_assert_cmpuint(metrics_of(m, n, "numbers")->bytes_out, ==, 100000 * 24);
  /* Stateless neighbours were chained: one thread group, no queues. */
  for (guint i = 0; i < n; i++) {
    g_assert_cmpuint(m[i].task_thread, ==, 0);
    g_assert_cmpuint(m[i].queue_capacity, ==, 0);
  }
  g_free(m);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  rill_pipeline_print_metrics(p, f);
  fclose(f);
  g_assert_nonnull(strstr(buf, "not-div3"));
  g_assert_nonnull(strstr(buf, "records_in"));
  free(buf);
  rill_pipeline_unref(p);
  collect_sink_clear(&sink);
}

/* ---- exactly once with P = 4 --------------------------------------------- */

static void test_exactly_once_p4(void)
{
  range_source src = {.n_splits = 10, .per_split = 20000, .value_len = 8};
  collect_sink sink;
  collect_sink_init(&sink);
  rill_pipeline *p = rill_pipeline_new("p4");
  rill_pipeline_set_parallelism(p, 4);
  rill_stage *s = rill_pipeline_add_source(p, "numbers", &range_source_class, &src, NULL);
  s = rill_pipeline_add_map(p, "decimal", s, map_decimal, NULL, NULL);
  s = rill_pipeline_add_filter(p, "check", s, check_decimal, NULL, NULL);
  rill_pipeline_add_sink(p, "out", s, &collect_sink_class, &sink, NULL);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(sink.ids->len, ==, 200000);
  g_array_sort(sink.ids, cmp_u64);
  for (guint i = 0; i < sink.ids->len; i++)
    g_assert_cmpuint(g_array_index(sink.ids, guint64, i), ==, i);
  gboolean seen[4] = {0};
  for (guint i = 0; i < sink.tasks->len; i++)
    seen[g_array_index(sink.tasks, guint, i)] = TRUE;
  for (int i = 0; i < 4; i++)
    g_assert_true(seen[i]);
  g_assert_cmpint(sink.opens, ==, 4);
  g_assert_cmpint(sink.flushes, ==, 4);
  g_assert_cmpint(sink.closes, ==, 4);
  rill_pipeline_unref(p);
  collect_sink_clear(&sink);
}

/* ---- fan-out and fan-in -------------------------------------------------- */

static rill_flow split_in_two(rill_ctx *ctx, const rill_record *in, rill_emitter *out, void *ud)
{
  for (guint64 k = 0; k < 2; k++) {
    guint64 id = record_id(in) * 2 + k;
    rill_record r = *in; /* value still points into the input batch */
    uint8_t *key = rill_emitter_alloc(out, 8);
    memcpy(key, &id, 8);
    r.key = rill_bytes_make(key, 8);
    rill_flow flow = rill_emit_record_raw(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static void test_fan_out_fan_in(void)
{
  range_source src = {.n_splits = 3, .per_split = 10000, .value_len = 4};
  collect_sink merged, all;
  collect_sink_init(&merged);
  collect_sink_init(&all);
  rill_pipeline *p = rill_pipeline_new("fan");
  rill_pipeline_set_parallelism(p, 2);
  rill_stage *s = rill_pipeline_add_source(p, "numbers", &range_source_class, &src, NULL);
  rill_stage *a = rill_pipeline_add_map(p, "tag-a", s, map_tag, "A", NULL);
  rill_stage *b = rill_pipeline_add_map(p, "tag-b", s, map_tag, "B", NULL);
  rill_stage *b2 = rill_pipeline_add_flat_map(p, "split", b, split_in_two, NULL, NULL);
  rill_stage *ins[] = {a, b2};
  rill_stage *u = rill_pipeline_add_union(p, "union", ins, 2);
  rill_pipeline_add_sink(p, "merged", u, &collect_sink_class, &merged, NULL);
  rill_pipeline_add_sink(p, "all", s, &collect_sink_class, &all, NULL);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);

  /* Every source record reached the plain sink once. */
  g_assert_cmpuint(all.ids->len, ==, 30000);
  g_array_sort(all.ids, cmp_u64);
  for (guint i = 0; i < all.ids->len; i++)
    g_assert_cmpuint(g_array_index(all.ids, guint64, i), ==, i);
  /* The union got each id once tagged A, and ids 2i and 2i+1 tagged B. */
  GArray *ta = g_array_new(FALSE, FALSE, sizeof(guint64)), *tb = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (guint i = 0; i < merged.ids->len; i++) {
    guint8 tag = merged.tags->data[i];
    g_assert_true(tag == 'A' || tag == 'B');
    g_array_append_val(tag == 'A' ? ta : tb, g_array_index(merged.ids, guint64, i));
  }
  g_assert_cmpuint(ta->len, ==, 30000);
  g_assert_cmpuint(tb->len, ==, 60000);
  g_array_sort(ta, cmp_u64);
  g_array_sort(tb, cmp_u64);
  for (guint i = 0; i < ta->len; i++)
    g_assert_cmpuint(g_array_index(ta, guint64, i), ==, i);
  for (guint i = 0; i < tb->len; i++)
    g_assert_cmpuint(g_array_index(tb, guint64, i), ==, i);
  g_array_unref(ta);
  g_array_unref(tb);

  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  g_assert_cmpuint(metrics_of(m, n, "union")->records_in, ==, 90000);
  g_assert_cmpuint(metrics_of(m, n, "split")->records_out, ==, 60000);
  /* Every edge is forward and every branch starts at the source: the whole
   * DAG (fan-out, both branches, the union of them, both sinks) is one
   * chain, run by the source's threads with no stream between stages. */
  for (guint i = 0; i < n; i++) {
    g_assert_cmpuint(m[i].task_thread, ==, metrics_of(m, n, "numbers")->task_thread);
    g_assert_cmpuint(m[i].queue_capacity, ==, 0);
  }
  g_free(m);
  rill_pipeline_unref(p);
  collect_sink_clear(&merged);
  collect_sink_clear(&all);
}

static rill_verdict keep_parity(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  return record_id(in) % 2 == GPOINTER_TO_UINT(user_data) ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

/* Two filters and a sink on one source's fan-out, all chained: the first
 * filters get the batch while it is shared (they copy only what they keep),
 * the last branch gets it alone. Nothing leaks between the branches. */
static void test_fan_out_filters(void)
{
  range_source src = {.n_splits = 2, .per_split = 7000, .value_len = 4};
  collect_sink even, odd, all;
  collect_sink_init(&even);
  collect_sink_init(&odd);
  collect_sink_init(&all);
  rill_pipeline *p = rill_pipeline_new("fan-filters");
  rill_pipeline_set_parallelism(p, 2);
  rill_stage *s = rill_pipeline_add_source(p, "numbers", &range_source_class, &src, NULL);
  rill_stage *fe = rill_pipeline_add_filter(p, "even", s, keep_parity, GUINT_TO_POINTER(0), NULL);
  rill_stage *fo = rill_pipeline_add_filter(p, "odd", s, keep_parity, GUINT_TO_POINTER(1), NULL);
  rill_pipeline_add_sink(p, "even-out", fe, &collect_sink_class, &even, NULL);
  rill_pipeline_add_sink(p, "odd-out", fo, &collect_sink_class, &odd, NULL);
  rill_pipeline_add_sink(p, "all", s, &collect_sink_class, &all, NULL);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(all.ids->len, ==, 14000);
  g_assert_cmpuint(even.ids->len, ==, 7000);
  g_assert_cmpuint(odd.ids->len, ==, 7000);
  g_array_sort(all.ids, cmp_u64);
  g_array_sort(even.ids, cmp_u64);
  g_array_sort(odd.ids, cmp_u64);
  for (guint i = 0; i < 14000; i++)
    g_assert_cmpuint(g_array_index(all.ids, guint64, i), ==, i);
  for (guint i = 0; i < 7000; i++) {
    g_assert_cmpuint(g_array_index(even.ids, guint64, i), ==, 2 * i);
    g_assert_cmpuint(g_array_index(odd.ids, guint64, i), ==, 2 * i + 1);
  }
  rill_pipeline_unref(p);
  collect_sink_clear(&even);
  collect_sink_clear(&odd);
  collect_sink_clear(&all);
}

/* ---- exchange ------------------------------------------------------------ */

/* Routes each record to consumer task id % channels, without copying. */
static rill_flow route_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  guint n = rill_emitter_n_channels(out);
  rill_batch_builder **bb = g_new0(rill_batch_builder *, n);
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    guint ch = (guint)(record_id(&r[i]) % n);
    if (!bb[ch])
      bb[ch] = rill_batch_builder_new(0);
    rill_batch_builder_append_ref(bb[ch], &r[i], batch);
  }
  rill_flow flow = RILL_FLOW_OK;
  for (guint ch = 0; ch < n; ch++) {
    if (!bb[ch])
      continue;
    rill_batch *part = rill_batch_builder_finish(bb[ch]);
    if (flow == RILL_FLOW_OK)
      flow = rill_emit_batch_to(out, ch, part);
    else
      rill_batch_unref(part);
    rill_batch_builder_free(bb[ch]);
  }
  g_free(bb);
  rill_batch_unref(batch);
  return flow;
}

static const rill_operator_class route_class = {.type_name = "route", .process = route_process};

static void test_exchange(void)
{
  range_source src = {.n_splits = 4, .per_split = 5000, .value_len = 4};
  collect_sink sink;
  collect_sink_init(&sink);
  rill_pipeline *p = rill_pipeline_new("exchange");
  rill_pipeline_set_parallelism(p, 4);
  rill_stage *s = rill_pipeline_add_source(p, "numbers", &range_source_class, &src, NULL);
  s = rill_pipeline_add_operator(p, "route", &route_class, NULL, NULL, &s, 1);
  rill_stage *out = rill_pipeline_add_sink(p, "out", s, &collect_sink_class, &sink, NULL);
  rill_stage_set_input_edge(out, 0, RILL_EDGE_EXCHANGE);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(sink.ids->len, ==, 20000);
  for (guint i = 0; i < sink.ids->len; i++)
    g_assert_cmpuint(g_array_index(sink.ids, guint64, i) % 4, ==, g_array_index(sink.tasks, guint, i));
  g_array_sort(sink.ids, cmp_u64);
  for (guint i = 0; i < sink.ids->len; i++)
    g_assert_cmpuint(g_array_index(sink.ids, guint64, i), ==, i);
  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  g_assert_cmpuint(metrics_of(m, n, "out")->queue_capacity, ==, 16 * RILL_STREAM_DEFAULT_CAPACITY);
  g_free(m);
  rill_pipeline_unref(p);
  collect_sink_clear(&sink);
}

/* ---- backpressure -------------------------------------------------------- */

static long vm_rss_kb(void)
{
  char *status = NULL;
  long kb = -1;
  if (g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
    const char *line = strstr(status, "VmRSS:");
    if (line)
      kb = strtol(line + 6, NULL, 10);
  }
  g_free(status);
  return kb;
}

typedef struct {
  range_source *src;
  collect_sink *sink;
  gint64 max_in_flight;
  long max_rss;
  rill_stream *input;   /* the slow sink's input stream */
  gboolean held;
} bp_state;

/* The sink's first write holds until the source has gone to sleep on the
 * full stream: backpressure observed as an event, not inferred from time. */
static void bp_hold_first_write(void *data)
{
  bp_state *bp = data;
  if (bp->held)
    return;
  bp->held = TRUE;
  rill_stream *input;
  while (!(input = g_atomic_pointer_get(&bp->input))) /* set by the test right after start */
    g_usleep(500);
  while (__atomic_load_n(&input->blocked_waits, __ATOMIC_RELAXED) == 0)
    g_usleep(500);
}

static void bp_hook(rill_ctx *ctx, gint64 emitted, void *data)
{
  bp_state *bp = data;
  gint64 in_flight = emitted - __atomic_load_n(&bp->sink->received, __ATOMIC_SEQ_CST);
  if (in_flight > bp->max_in_flight)
    bp->max_in_flight = in_flight;
  if (emitted % 2000 == 0) {
    long rss = vm_rss_kb();
    if (rss > bp->max_rss)
      bp->max_rss = rss;
  }
}

static void test_backpressure(void)
{
  /* 100000 records of 4 KiB (400 MB) through a sink that sleeps per batch. */
  range_source src = {.n_splits = 1, .per_split = 100000, .value_len = 4096};
  collect_sink sink;
  collect_sink_init(&sink);
  sink.delay_us = 1000;
  bp_state bp = {&src, &sink, 0, 0, NULL, FALSE};
  src.on_read = bp_hook;
  src.hook_data = &bp;
  sink.before_write = bp_hold_first_write;
  sink.hook_data = &bp;
  long rss0 = vm_rss_kb();
  g_assert_cmpint(rss0, >, 0);

  rill_pipeline *p = rill_pipeline_new("backpressure");
  rill_stage *s = rill_pipeline_add_source(p, "numbers", &range_source_class, &src, NULL);
  rill_stage *out = rill_pipeline_add_sink(p, "slow", s, &collect_sink_class, &sink, NULL);
  rill_stage_set_input_edge(out, 0, RILL_EDGE_EXCHANGE); /* its own thread, behind a stream */
  GError *error = NULL;
  g_assert_true(rill_pipeline_start(p, &error));
  g_assert_cmpuint(out->input_streams->len, ==, 1);
  g_atomic_pointer_set(&bp.input, out->input_streams->pdata[0]);
  /* Metrics are readable while running. */
  while (__atomic_load_n(&sink.received, __ATOMIC_SEQ_CST) == 0)
    g_usleep(1000);
  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  g_assert_cmpuint(metrics_of(m, n, "numbers")->records_out, >, 0);
  g_assert_cmpuint(metrics_of(m, n, "slow")->queue_capacity, ==, RILL_STREAM_DEFAULT_CAPACITY);
  g_free(m);
  g_assert_true(rill_pipeline_wait(p, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(sink.ids->len, ==, 100000);

  /* A batch holds at most 1 MiB of arena, i.e. < 260 of these records; in
   * flight are at most the queue, the batch being built, the one being
   * pushed and the one in the sink. */
  gint64 bound = (RILL_STREAM_DEFAULT_CAPACITY + 3) * 260;
  g_assert_cmpint(bp.max_in_flight, <=, bound);
  /* 400 MB went through; resident memory grew by far less. ASan keeps
   * freed blocks resident in its quarantine, so there only the in-flight
   * bound above speaks for memory. */
#if UNDER_ASAN
  g_test_message("RSS growth %ld KiB not asserted under ASan (quarantine)", bp.max_rss - rss0);
#else
  g_assert_cmpint(bp.max_rss - rss0, <, 64 * 1024);
#endif
  m = rill_pipeline_get_metrics(p, &n);
  g_assert_cmpuint(metrics_of(m, n, "numbers")->blocked_ns, >, 0);
  g_free(m);
  rill_pipeline_unref(p);
  collect_sink_clear(&sink);
}

/* ---- errors -------------------------------------------------------------- */

static rill_flow map_explode(rill_ctx *ctx, const rill_record *in, rill_record *out, void *ud)
{
  if (record_id(in) == 5000) {
    rill_ctx_fail(ctx, "bad record %" G_GUINT64_FORMAT, record_id(in));
    return RILL_FLOW_ERROR;
  }
  return RILL_FLOW_OK;
}

static rill_verdict filter_silent_error(rill_ctx *ctx, const rill_record *in, void *ud)
{
  return record_id(in) == 777 ? RILL_VERDICT_FAIL : RILL_VERDICT_KEEP;
}

/* REJECT is for stages with a dead-letter output: a filter fails on it. */
static rill_verdict filter_rejects(rill_ctx *ctx, const rill_record *in, void *ud)
{
  return record_id(in) == 777 ? RILL_VERDICT_REJECT : RILL_VERDICT_KEEP;
}

static gboolean open_refuses(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_ACCES, "no permission for /nowhere");
  return FALSE;
}

static rill_flow write_nothing(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  return RILL_FLOW_OK;
}

static const rill_sink_class refusing_sink = {.type_name = "refuse", .open = open_refuses, .write = write_nothing};

static void test_error_names_stage(void)
{
  for (int variant = 0; variant < 4; variant++) {
    range_source src = {.n_splits = 2, .per_split = 1000000, .value_len = 4, .unbounded = TRUE};
    collect_sink sink;
    collect_sink_init(&sink);
    rill_pipeline *p = rill_pipeline_new("errors");
    rill_pipeline_set_parallelism(p, 2);
    rill_stage *s = rill_pipeline_add_source(p, "numbers", &range_source_class, &src, NULL);
    const char *expect_stage, *expect_msg;
    if (variant == 0) {
      s = rill_pipeline_add_map(p, "explode", s, map_explode, NULL, NULL);
      rill_stage *x = rill_pipeline_add_sink(p, "out", s, &collect_sink_class, &sink, NULL);
      rill_stage_set_input_edge(x, 0, RILL_EDGE_EXCHANGE);
      expect_stage = "stage 'explode' (task 0)";
      expect_msg = "bad record 5000";
    } else if (variant == 1) {
      s = rill_pipeline_add_filter(p, "picky", s, filter_silent_error, NULL, NULL);
      rill_pipeline_add_sink(p, "out", s, &collect_sink_class, &sink, NULL);
      expect_stage = "stage 'picky' (task 0)";
      expect_msg = "without details";
    } else if (variant == 2) {
      s = rill_pipeline_add_filter(p, "rejecting", s, filter_rejects, NULL, NULL);
      rill_pipeline_add_sink(p, "out", s, &collect_sink_class, &sink, NULL);
      expect_stage = "stage 'rejecting' (task 0)";
      expect_msg = "no dead-letter output";
    } else {
      rill_pipeline_add_sink(p, "refuser", s, &refusing_sink, NULL, NULL);
      expect_stage = "stage 'refuser'";
      expect_msg = "no permission for /nowhere";
    }
    GError *error = NULL;
    g_assert_false(rill_pipeline_run(p, &error));
    g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
    g_assert_nonnull(strstr(error->message, expect_stage));
    g_assert_nonnull(strstr(error->message, expect_msg));
    g_error_free(error);
    /* Every sink that opened was closed. */
    g_assert_cmpint(sink.closes, ==, sink.opens);
    for (guint i = 0; i < sink.ids->len; i++)
      g_assert_cmpuint(g_array_index(sink.ids, guint64, i), !=, variant == 0 ? 5000 : 777);
    rill_pipeline_unref(p);
    collect_sink_clear(&sink);
  }
}

static void test_invalid_graphs(void)
{
  range_source src = {.n_splits = 1, .per_split = 1};
  rill_pipeline *p = rill_pipeline_new("dup");
  rill_stage *s = rill_pipeline_add_source(p, "same", &range_source_class, &src, NULL);
  rill_pipeline_add_sink(p, "same", s, &refusing_sink, NULL, NULL);
  GError *error = NULL;
  g_assert_false(rill_pipeline_run(p, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "'same'"));
  g_clear_error(&error);
  rill_pipeline_unref(p);

  p = rill_pipeline_new("empty");
  g_assert_false(rill_pipeline_run(p, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(rill_pipeline_wait(p, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STATE);
  g_clear_error(&error);
  rill_pipeline_unref(p);
}

/* ---- two pipelines at once ----------------------------------------------- */

static void test_two_pipelines(void)
{
  range_source src[2] = {{.n_splits = 2, .per_split = 50000, .value_len = 8},
                         {.n_splits = 3, .per_split = 40000, .value_len = 8}};
  collect_sink sink[2];
  rill_pipeline *p[2];
  for (int i = 0; i < 2; i++) {
    collect_sink_init(&sink[i]);
    p[i] = rill_pipeline_new(i ? "second" : "first");
    rill_pipeline_set_parallelism(p[i], 2);
    rill_stage *s = rill_pipeline_add_source(p[i], "numbers", &range_source_class, &src[i], NULL);
    s = rill_pipeline_add_map(p[i], "decimal", s, map_decimal, NULL, NULL);
    s = rill_pipeline_add_filter(p[i], "not-div3", s, keep_not_div3, NULL, NULL);
    rill_pipeline_add_sink(p[i], "out", s, &collect_sink_class, &sink[i], NULL);
  }
  GError *error = NULL;
  g_assert_true(rill_pipeline_start(p[0], &error));
  g_assert_true(rill_pipeline_start(p[1], &error));
  g_assert_true(rill_pipeline_wait(p[1], &error));
  g_assert_true(rill_pipeline_wait(p[0], &error));
  g_assert_no_error(error);
  guint64 totals[2] = {100000, 120000};
  for (int i = 0; i < 2; i++) {
    g_array_sort(sink[i].ids, cmp_u64);
    guint k = 0;
    for (guint64 id = 0; id < totals[i]; id++) {
      if (id % 3 == 0)
        continue;
      g_assert_cmpuint(k, <, sink[i].ids->len);
      g_assert_cmpuint(g_array_index(sink[i].ids, guint64, k), ==, id);
      k++;
    }
    g_assert_cmpuint(k, ==, sink[i].ids->len);
    rill_pipeline_unref(p[i]);
    collect_sink_clear(&sink[i]);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pipeline/order-p1", test_order_p1);
  g_test_add_func("/pipeline/exactly-once-p4", test_exactly_once_p4);
  g_test_add_func("/pipeline/fan-out-fan-in", test_fan_out_fan_in);
  g_test_add_func("/pipeline/fan-out-filters", test_fan_out_filters);
  g_test_add_func("/pipeline/exchange", test_exchange);
  g_test_add_func("/pipeline/backpressure", test_backpressure);
  g_test_add_func("/pipeline/error-names-stage", test_error_names_stage);
  g_test_add_func("/pipeline/invalid-graphs", test_invalid_graphs);
  g_test_add_func("/pipeline/two-pipelines", test_two_pipelines);
  return g_test_run();
}
