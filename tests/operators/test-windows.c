/* test-windows.c — windows and aggregates against a reference computed
 * here by sorting and grouping: random out-of-order streams (fixed seeds)
 * through tumbling, hopping and session windows with every built-in
 * aggregate, at P = 1 and P = 4; lateness, the late side output, idle
 * partitions and the watermark generator. */
#include <math.h>
#include <string.h>

#include "window-io.h"

#define N_EVENTS 4000
#define N_KEYS 17
#define DISORDER 300

typedef struct {
  char key[8];
  int64_t ts, value;
} item;

/* Events with timestamps advancing ~7 ms each, displaced by up to DISORDER. */
static GArray *gen_items(guint32 seed, int n)
{
  GRand *rand = g_rand_new_with_seed(seed);
  GArray *a = g_array_new(FALSE, TRUE, sizeof(item));
  int64_t base = 1000000;
  for (int i = 0; i < n; i++) {
    item it;
    g_snprintf(it.key, sizeof it.key, "k%d", g_rand_int_range(rand, 0, N_KEYS));
    base += g_rand_int_range(rand, 0, 15);
    /* Some keys pause for a long time, so sessions split. */
    if (g_rand_int_range(rand, 0, 200) == 0)
      base += 2000;
    it.ts = base - g_rand_int_range(rand, 0, DISORDER);
    it.value = g_rand_int_range(rand, -500, 1000);
    g_array_append_val(a, it);
  }
  g_rand_free(rand);
  return a;
}

/* ---- the reference ------------------------------------------------------- */

typedef enum { A_COUNT, A_SUM, A_MIN, A_MAX, A_AVG, A_TOPN, A_DISTINCT } agg_kind;

static int cmp_desc(gconstpointer a, gconstpointer b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? 1 : x > y ? -1 : 0;
}

static char *ref_result(agg_kind k, GArray *vals)
{
  int64_t sum = 0, mn = INT64_MAX, mx = INT64_MIN;
  for (guint i = 0; i < vals->len; i++) {
    int64_t v = g_array_index(vals, int64_t, i);
    sum += v;
    mn = MIN(mn, v);
    mx = MAX(mx, v);
  }
  switch (k) {
  case A_COUNT:
    return g_strdup_printf("%u", vals->len);
  case A_SUM:
    return g_strdup_printf("%" G_GINT64_FORMAT, sum);
  case A_MIN:
    return g_strdup_printf("%" G_GINT64_FORMAT, mn);
  case A_MAX:
    return g_strdup_printf("%" G_GINT64_FORMAT, mx);
  case A_AVG: {
    /* The shortest of %.15g..%.17g that reads back as the same double. */
    double avg = (double)sum / vals->len;
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    for (int prec = 15; prec <= 17; prec++) {
      g_ascii_formatd(buf, sizeof buf, prec == 15 ? "%.15g" : prec == 16 ? "%.16g" : "%.17g", avg);
      if (g_ascii_strtod(buf, NULL) == avg)
        break;
    }
    return g_strdup(buf);
  }
  case A_TOPN: {
    GArray *c = g_array_copy(vals);
    g_array_sort(c, cmp_desc);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < MIN(3u, c->len); i++)
      g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? "," : "", g_array_index(c, int64_t, i));
    g_array_unref(c);
    return g_string_free(s, FALSE);
  }
  case A_DISTINCT: {
    GHashTable *h = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (guint i = 0; i < vals->len; i++)
      g_hash_table_add(h, &g_array_index(vals, int64_t, i));
    char *r = g_strdup_printf("%u", g_hash_table_size(h));
    g_hash_table_unref(h);
    return r;
  }
  }
  return NULL;
}

static void group_add(GHashTable *groups, const char *key, int64_t s, int64_t e, int64_t v)
{
  char *k = g_strdup_printf("%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, key, s, e);
  GArray *a = g_hash_table_lookup(groups, k);
  if (!a) {
    a = g_array_new(FALSE, FALSE, sizeof(int64_t));
    g_hash_table_insert(groups, k, a);
  } else {
    g_free(k);
  }
  g_array_append_val(a, v);
}

static int cmp_key_ts(gconstpointer a, gconstpointer b)
{
  const item *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : (x->ts < y->ts ? -1 : x->ts > y->ts);
}

/* key|start|end -> values, from the spec alone. */
static GHashTable *ref_groups(GArray *items, const rill_window_spec *spec)
{
  GHashTable *groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
  GArray *sorted = g_array_copy(items);
  g_array_sort(sorted, cmp_key_ts);
  for (guint i = 0; i < sorted->len;) {
    const item *first = &g_array_index(sorted, item, i);
    guint j = i;
    if (spec->kind == RILL_WINDOW_SESSION) {
      /* A session: consecutive timestamps at most gap apart. */
      int64_t last = first->ts;
      while (j < sorted->len && !strcmp(g_array_index(sorted, item, j).key, first->key) &&
             g_array_index(sorted, item, j).ts <= last + spec->gap_ms)
        last = g_array_index(sorted, item, j++).ts;
      for (guint x = i; x < j; x++)
        group_add(groups, first->key, first->ts, last + spec->gap_ms, g_array_index(sorted, item, x).value);
    } else {
      /* Every window [s, s+size) with s a multiple of slide containing ts. */
      int64_t slide = spec->kind == RILL_WINDOW_TUMBLING ? spec->size_ms : spec->slide_ms;
      for (int64_t s = first->ts - first->ts % slide; s > first->ts - spec->size_ms; s -= slide)
        group_add(groups, first->key, s, s + spec->size_ms, first->value);
      j = i + 1;
    }
    i = j;
  }
  g_array_unref(sorted);
  return groups;
}

/* ---- running the pipeline ------------------------------------------------ */

static rill_aggregate *make_agg(agg_kind k)
{
  switch (k) {
  case A_COUNT: return rill_aggregate_count();
  case A_SUM: return rill_aggregate_sum(NULL, NULL);
  case A_MIN: return rill_aggregate_min(NULL, NULL);
  case A_MAX: return rill_aggregate_max(NULL, NULL);
  case A_AVG: return rill_aggregate_avg(NULL, NULL);
  case A_TOPN: return rill_aggregate_top_n(3, NULL, NULL);
  case A_DISTINCT: return rill_aggregate_distinct_count();
  }
  return NULL;
}

/* source(P splits) -> watermarks -> key_by -> window -> collector */
static rill_pipeline *build(script *sc, guint P, const rill_window_spec *spec, rill_aggregate *agg, collector *col,
                            int64_t bound)
{
  rill_pipeline *p = rill_pipeline_new("windows");
  rill_pipeline_set_parallelism(p, P);
  rill_stage *src = rill_pipeline_add_source(p, "src", &rill_script_source_class, sc, NULL);
  rill_watermark_options wo = {.max_out_of_orderness_ms = bound, .clock = rill_script_clock_fn, .clock_data = sc};
  rill_stage *wm = rill_pipeline_add_watermarks(p, "wm", src, &wo);
  rill_stage *kb = rill_pipeline_add_key_by(p, "key_by", wm, NULL, NULL, NULL);
  rill_stage *w = rill_pipeline_add_window(p, "window", kb, spec, agg);
  rill_pipeline_add_sink(p, "out", w, &collector_class, col, NULL);
  return p;
}

/* Returns 1 once every group matched. */
static guint check_property(guint32 seed, guint P, const rill_window_spec *spec, agg_kind k)
{
  GArray *items = gen_items(seed, N_EVENTS);
  script *sc = script_new(P);
  for (guint i = 0; i < items->len; i++) {
    const item *it = &g_array_index(items, item, i);
    script_record(sc, i % P, it->key, it->value, it->ts, (int32_t)(i % P));
  }
  collector col;
  collector_init(&col);
  rill_pipeline *p = build(sc, P, spec, make_agg(k), &col, DISORDER);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  guint n_stages;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n_stages);
  g_assert_cmpuint(m[3].late_records, ==, 0); /* disorder stays within the bound */
  g_free(m);

  GHashTable *groups = ref_groups(items, spec);
  GHashTable *got = collector_final(&col);
  /* Each result once (no lateness configured, so no updates). */
  g_assert_cmpuint(col.recs->len, ==, g_hash_table_size(groups));
  g_assert_cmpuint(g_hash_table_size(got), ==, g_hash_table_size(groups));
  GHashTableIter iter;
  gpointer key, vals;
  g_hash_table_iter_init(&iter, groups);
  while (g_hash_table_iter_next(&iter, &key, &vals)) {
    const char *g = g_hash_table_lookup(got, key);
    g_assert_nonnull(g);
    char *want = ref_result(k, vals);
    if (k == A_DISTINCT) {
      double w = g_ascii_strtod(want, NULL), v = g_ascii_strtod(g, NULL);
      g_assert_cmpfloat(fabs(v - w), <=, 2 + 0.1 * w);
    } else {
      if (strcmp(g, want))
        g_error("%s: got %s, want %s", (char *)key, g, want);
    }
    g_free(want);
  }
  for (guint i = 0; i < col.recs->len; i++) {
    out_rec *o = col.recs->pdata[i];
    g_assert_cmpint(o->ts, ==, o->end - 1);
    g_assert_false(o->update);
  }
  g_hash_table_unref(got);
  g_hash_table_unref(groups);
  rill_pipeline_unref(p);
  collector_clear(&col);
  script_free(sc);
  g_array_unref(items);
  return 1;
}

static void test_property(gconstpointer data)
{
  const char *which = data;
  rill_window_spec specs[3] = {rill_window_tumbling(100), rill_window_hopping(100, 20), rill_window_session(40)};
  guint32 seed = 1;
  guint checked = 0;
  for (int s = 0; s < 3; s++) {
    if (which[0] != "ths"[s])
      continue;
    for (agg_kind k = A_COUNT; k <= A_DISTINCT; k++)
      for (guint P = 1; P <= 4; P += 3)
        checked += check_property(seed++, P, &specs[s], k);
  }
  g_assert_cmpuint(checked, ==, 2 * (A_DISTINCT + 1));
}

/* ---- lateness ------------------------------------------------------------ */

typedef struct {
  GMutex lock;
  GArray *ts;
} late_log;

static void on_late(rill_ctx *ctx, const rill_record *r, void *data)
{
  late_log *l = data;
  g_mutex_lock(&l->lock);
  g_array_append_val(l->ts, r->timestamp);
  g_mutex_unlock(&l->lock);
}

/* A window stage over the harness's one input. */
static rill_harness *window_harness(const rill_window_spec *spec, rill_aggregate *agg)
{
  rill_harness *h = rill_harness_new_empty();
  rill_stage *w = rill_pipeline_add_window(rill_harness_pipeline(h), "window", rill_harness_input(h, 0), spec, agg);
  GError *error = NULL;
  g_assert_true(rill_harness_start(h, w, &error));
  g_assert_no_error(error);
  return h;
}

static void test_lateness(void)
{
  /* Tumbling 10 ms, lateness 5 ms: each result comes out as the watermark
   * or the late record that makes it due, before the watermark goes on. */
  late_log log = {.ts = g_array_new(FALSE, FALSE, sizeof(int64_t))};
  g_mutex_init(&log.lock);
  rill_window_spec spec = rill_window_tumbling(10);
  spec.allowed_lateness_ms = 5;
  spec.late_fn = on_late;
  spec.late_data = &log;
  rill_harness *h = window_harness(&spec, rill_aggregate_count());
  push_value(h, "a", 1, 1);
  push_value(h, "a", 1, 5);
  expect_out(h, "");
  rill_harness_push_watermark(h, 0, 9);
  expect_out(h, "a=2[0,10) wm=9");
  push_value(h, "a", 1, 3);               /* late, within lateness: update */
  expect_out(h, "a=3[0,10)*");
  push_value(h, "b", 1, 7);               /* late, within lateness: b's first result, an update */
  expect_out(h, "b=1[0,10)*");
  rill_harness_push_watermark(h, 0, 14);  /* [0,10) expires (9 + 5 <= 14) */
  expect_out(h, "wm=14");
  push_value(h, "a", 1, 4);               /* too late: side output */
  push_value(h, "a", 1, 12);              /* on time for [10,20) */
  push_value(h, "a", 1, RILL_TIMESTAMP_NONE); /* no time: side output */
  expect_out(h, "");
  g_assert_cmpuint(rill_harness_metrics(h).late_records, ==, 2);
  rill_harness_finish(h);
  expect_out(h, "a=1[10,20)");

  g_assert_cmpuint(log.ts->len, ==, 2);
  g_assert_cmpint(g_array_index(log.ts, int64_t, 0), ==, 4);
  g_assert_cmpint(g_array_index(log.ts, int64_t, 1), ==, RILL_TIMESTAMP_NONE);
  rill_harness_free(h);
  g_array_unref(log.ts);
  g_mutex_clear(&log.lock);
}

/* Late records in hopping windows update every fired, unexpired window. */
static void test_lateness_hopping(void)
{
  rill_window_spec spec = rill_window_hopping(20, 5);
  spec.allowed_lateness_ms = 10;
  rill_harness *h = window_harness(&spec, rill_aggregate_sum(NULL, NULL));
  push_value(h, "a", 5, 12);               /* windows [-5,15) [0,20) [5,25) [10,30) */
  rill_harness_push_watermark(h, 0, 24);   /* fires the first three */
  expect_out(h, "a=5[-5,15) a=5[0,20) a=5[5,25) wm=24");
  push_value(h, "a", 7, 17);               /* late for both fired windows holding 17 */
  expect_out(h, "a=12[5,25)* a=12[0,20)*");
  rill_harness_push_watermark(h, 0, 100);
  expect_out(h, "a=12[10,30) a=7[15,35) wm=100");
  rill_harness_finish(h);
  expect_out(h, "");
  g_assert_cmpuint(rill_harness_metrics(h).late_records, ==, 0);
  rill_harness_free(h);
}

/* Two sessions bridged by a record in between merge into one. */
static void test_session_merge(void)
{
  rill_window_spec spec = rill_window_session(10);
  rill_harness *h = window_harness(&spec, rill_aggregate_sum(NULL, NULL));
  push_value(h, "a", 1, 100);
  push_value(h, "a", 2, 110);  /* session [100,120) */
  push_value(h, "a", 3, 130);  /* session [130,140) apart (120 < 130) */
  push_value(h, "b", 9, 100);
  push_value(h, "a", 4, 120);  /* [120,130) touches both: [100,140) */
  expect_out(h, "");
  rill_harness_push_watermark(h, 0, 138);  /* b's session ended, a's not yet */
  expect_out(h, "b=9[100,110) wm=138");
  rill_harness_push_watermark(h, 0, 139);
  expect_out(h, "a=10[100,140) wm=139");
  rill_harness_finish(h);
  expect_out(h, "");
  rill_harness_free(h);
}

/* Partition 1 goes silent; with idle detection the watermark follows
 * partition 0 and a later record of partition 1 is late. */
static guint64 run_idle(int64_t idle_timeout, char **count0)
{
  script *sc = script_new(1);
  script_clock(sc, 0, 0);
  script_record(sc, 0, "a", 1, 0, 0);
  script_record(sc, 0, "a", 1, 0, 1);
  script_clock(sc, 0, 1000);
  for (int t = 100; t <= 1000; t += 100)
    script_record(sc, 0, "a", 1, t, 0);
  script_cut(sc, 0);
  script_record(sc, 0, "a", 1, 5, 1);
  rill_watermark_options wo = {.idle_timeout_ms = idle_timeout, .clock = rill_script_clock_fn, .clock_data = sc};
  rill_window_spec spec = rill_window_tumbling(10);
  collector col;
  collector_init(&col);
  rill_pipeline *p = rill_pipeline_new("idle");
  rill_stage *src = rill_pipeline_add_source(p, "src", &rill_script_source_class, sc, NULL);
  rill_stage *wm = rill_pipeline_add_watermarks(p, "wm", src, &wo);
  rill_stage *w = rill_pipeline_add_window(p, "window", wm, &spec, rill_aggregate_count());
  rill_pipeline_add_sink(p, "out", w, &collector_class, &col, NULL);
  g_assert_true(rill_pipeline_run(p, NULL));
  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  guint64 late = m[2].late_records;
  g_free(m);
  GHashTable *got = collector_final(&col);
  *count0 = g_strdup(g_hash_table_lookup(got, "a|0|10"));
  g_hash_table_unref(got);
  rill_pipeline_unref(p);
  collector_clear(&col);
  script_free(sc);
  return late;
}

static void test_idle_partition(void)
{
  char *c;
  g_assert_cmpuint(run_idle(200, &c), ==, 1);
  g_assert_cmpstr(c, ==, "2");
  g_free(c);
  g_assert_cmpuint(run_idle(0, &c), ==, 0);
  g_assert_cmpstr(c, ==, "3");
  g_free(c);
}

static void test_generator(void)
{
  rill_watermark_options o = {.max_out_of_orderness_ms = 10, .idle_timeout_ms = 50};
  rill_watermark_generator *g = rill_watermark_generator_new(&o);
  g_assert_cmpint(rill_watermark_generator_current(g, 0), ==, INT64_MIN);
  rill_watermark_generator_observe(g, 0, 100, 0);
  rill_watermark_generator_observe(g, 1, 70, 0);
  rill_watermark_generator_observe(g, 0, 90, 1); /* out of order: max stays 100 */
  g_assert_cmpint(rill_watermark_generator_current(g, 10), ==, 70 - 10 - 1);
  rill_watermark_generator_observe(g, 0, 200, 40);
  g_assert_cmpint(rill_watermark_generator_current(g, 60), ==, 200 - 10 - 1); /* 1 idle */
  g_assert_cmpint(rill_watermark_generator_current(g, 100), ==, RILL_WATERMARK_IDLE);
  rill_watermark_generator_observe(g, 1, 80, 100); /* back: the minimum again */
  g_assert_cmpint(rill_watermark_generator_current(g, 100), ==, 80 - 10 - 1);
  rill_watermark_generator_free(g);
}

static void test_parse(void)
{
  rill_window_spec s;
  GError *error = NULL;
  g_assert_true(rill_window_spec_parse("tumbling=60s", &s, &error));
  g_assert_cmpint(s.kind, ==, RILL_WINDOW_TUMBLING);
  g_assert_cmpint(s.size_ms, ==, 60000);
  g_assert_true(rill_window_spec_parse("hopping size=10s slide=2s lateness=500", &s, &error));
  g_assert_cmpint(s.slide_ms, ==, 2000);
  g_assert_cmpint(s.allowed_lateness_ms, ==, 500);
  g_assert_true(rill_window_spec_parse("session gap=1m", &s, &error));
  g_assert_cmpint(s.gap_ms, ==, 60000);
  g_assert_false(rill_window_spec_parse("hopping size=1s slide=2s", &s, &error));
  g_assert_error(error, RILL_WINDOW_ERROR, RILL_WINDOW_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(rill_window_spec_parse("tumbling=5y", &s, &error));
  g_assert_error(error, RILL_WINDOW_ERROR, RILL_WINDOW_ERROR_PARSE);
  g_clear_error(&error);
}

static void test_invalid_spec_fails_start(void)
{
  rill_window_spec spec = rill_window_tumbling(0);
  rill_harness *h = rill_harness_new_empty();
  rill_stage *w = rill_pipeline_add_window(rill_harness_pipeline(h), "window", rill_harness_input(h, 0), &spec,
                                           rill_aggregate_count());
  GError *error = NULL;
  g_assert_false(rill_harness_start(h, w, &error));
  g_assert_error(error, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_assert_nonnull(strstr(error->message, "window size"));
  g_clear_error(&error);
  rill_harness_free(h);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_data_func("/windows/property/tumbling", "t", test_property);
  g_test_add_data_func("/windows/property/hopping", "h", test_property);
  g_test_add_data_func("/windows/property/session", "s", test_property);
  g_test_add_func("/windows/lateness", test_lateness);
  g_test_add_func("/windows/lateness-hopping", test_lateness_hopping);
  g_test_add_func("/windows/session-merge", test_session_merge);
  g_test_add_func("/windows/idle-partition", test_idle_partition);
  g_test_add_func("/windows/generator", test_generator);
  g_test_add_func("/windows/parse", test_parse);
  g_test_add_func("/windows/invalid-spec", test_invalid_spec_fails_start);
  return g_test_run();
}
