/* test-state.c — keyed state (store unit test, snapshot round trip, keyed
 * process across P = 4 after key_by), running aggregates, dedupe and top-N
 * per window, each against a reference computed here. */
#include <string.h>

#include "window-io.h"

/* ---- the store ----------------------------------------------------------- */

static void test_store(void)
{
  rill_state_store *st = rill_state_store_new(NULL);
  rill_state *v = rill_state_store_get(st, "v", RILL_STATE_VALUE);
  rill_state *c = rill_state_store_get(st, "c", RILL_STATE_COUNTER);
  rill_state *l = rill_state_store_get(st, "l", RILL_STATE_LIST);
  rill_state *m = rill_state_store_get(st, "m", RILL_STATE_MAP);
  g_assert_true(rill_state_store_get(st, "c", RILL_STATE_COUNTER) == c);
  guint64 empty = rill_state_store_bytes(st);
  for (int k = 0; k < 50; k++) {
    char key[8];
    g_snprintf(key, sizeof key, "k%d", k);
    rill_state_store_set_key(st, rill_bytes_from_string(key));
    rill_value_state_set_i64(v, k * 10);
    for (int i = 0; i <= k; i++)
      rill_counter_state_add(c, 2);
    for (int i = 0; i < k % 4; i++)
      rill_list_state_append(l, key, strlen(key));
    rill_map_state_put(m, "x", 1, key, strlen(key));
    rill_map_state_put(m, "y", 1, "yy", 2);
  }
  rill_state_store_set_key(st, rill_bytes_from_string("k7"));
  rill_map_state_remove(m, "y", 1);
  g_assert_cmpuint(rill_state_store_bytes(st), >, empty);

  GByteArray *snap = g_byte_array_new();
  rill_state_store_snapshot(st, snap);
  rill_state_store *st2 = rill_state_store_new(NULL);
  GError *error = NULL;
  g_assert_true(rill_state_store_restore(st2, snap->data, snap->len, &error));
  g_assert_no_error(error);
  for (int which = 0; which < 2; which++) {
    rill_state_store *s = which ? st2 : st;
    rill_state *sv = rill_state_store_get(s, "v", RILL_STATE_VALUE);
    rill_state *sc = rill_state_store_get(s, "c", RILL_STATE_COUNTER);
    rill_state *sl = rill_state_store_get(s, "l", RILL_STATE_LIST);
    rill_state *sm = rill_state_store_get(s, "m", RILL_STATE_MAP);
    for (int k = 0; k < 50; k++) {
      char key[8];
      g_snprintf(key, sizeof key, "k%d", k);
      rill_state_store_set_key(s, rill_bytes_from_string(key));
      int64_t x;
      g_assert_true(rill_value_state_get_i64(sv, &x));
      g_assert_cmpint(x, ==, k * 10);
      g_assert_cmpint(rill_counter_state_get(sc), ==, 2 * (k + 1));
      g_assert_cmpuint(rill_list_state_len(sl), ==, (guint)(k % 4));
      rill_bytes b;
      if (k % 4) {
        g_assert_true(rill_list_state_get(sl, (guint)(k % 4) - 1, &b));
        g_assert_true(rill_bytes_equal(b, rill_bytes_from_string(key)));
      }
      g_assert_cmpuint(rill_map_state_len(sm), ==, k == 7 ? 1 : 2);
      g_assert_true(rill_map_state_get(sm, "x", 1, &b));
      g_assert_true(rill_bytes_equal(b, rill_bytes_from_string(key)));
    }
    rill_state_store_set_key(s, rill_bytes_from_string("nobody"));
    g_assert_cmpint(rill_counter_state_get(sc), ==, 0);
    rill_bytes b;
    g_assert_false(rill_value_state_get(sv, &b));
  }
  /* Clearing a key gives its memory back. */
  guint64 before = rill_state_store_bytes(st);
  rill_state_store_set_key(st, rill_bytes_from_string("k49"));
  rill_state_clear(l);
  rill_state_clear(m);
  rill_state_clear(v);
  g_assert_cmpuint(rill_state_store_bytes(st), <, before);
  g_assert_cmpuint(rill_list_state_len(l), ==, 0);

  /* Every truncation of the snapshot is rejected without crashing. */
  for (guint cut = 0; cut < snap->len; cut += 7) {
    rill_state_store *s3 = rill_state_store_new(NULL);
    g_assert_false(rill_state_store_restore(s3, snap->data, cut, &error));
    g_assert_error(error, RILL_STATE_ERROR, RILL_STATE_ERROR_CORRUPT);
    g_clear_error(&error);
    rill_state_store_free(s3);
  }
  g_byte_array_unref(snap);
  rill_state_store_free(st);
  rill_state_store_free(st2);
}

/* ---- keyed process across tasks ------------------------------------------ */

static rill_flow count_fn(rill_ctx *ctx, const rill_record *r, rill_state_store *store, rill_emitter *out,
                          void *user_data)
{
  rill_state *c = rill_state_store_get(store, "count", RILL_STATE_COUNTER);
  int64_t n = rill_counter_state_add(c, 1);
  char buf[24];
  int len = g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, n);
  rill_record o = *r;
  o.value = rill_bytes_make(buf, (size_t)len);
  o.headers = NULL;
  o.n_headers = 0;
  return rill_emit_record(out, &o);
}

static script *random_script(guint P, guint32 seed, int n, GHashTable *counts, GHashTable *sums)
{
  GRand *rand = g_rand_new_with_seed(seed);
  script *sc = script_new(P);
  for (int i = 0; i < n; i++) {
    char key[8];
    g_snprintf(key, sizeof key, "u%d", g_rand_int_range(rand, 0, 40));
    int64_t v = g_rand_int_range(rand, 0, 100);
    script_record(sc, (guint)i % P, key, v, 1000 + i * 3 - g_rand_int_range(rand, 0, 50), (int32_t)(i % P));
    if (counts)
      g_hash_table_insert(counts, g_strdup(key),
                          GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(counts, key)) + 1));
    if (sums)
      g_hash_table_insert(sums, g_strdup(key), GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(sums, key)) + (int)v));
  }
  g_rand_free(rand);
  return sc;
}

/* Last value per key, by the update number (or count) it carries. */
static GHashTable *last_per_key(collector *col)
{
  GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < col->recs->len; i++) {
    out_rec *o = col->recs->pdata[i];
    g_hash_table_replace(h, g_strdup(o->key), g_strdup(o->value));
  }
  return h;
}

/* "u<n>" -> "g<n % 7>", written into the scratch buffer (a computed key
 * key_by must copy: in place at P = 1, into the routed batch otherwise). */
static rill_bytes group_key(const rill_record *r, uint8_t *scratch, size_t n, void *user_data)
{
  int id = 0;
  for (size_t i = 1; i < r->key.len; i++) /* not NUL-terminated */
    id = id * 10 + (r->key.data[i] - '0');
  int len = g_snprintf((char *)scratch, n, "g%d", id % 7);
  return rill_bytes_make(scratch, (size_t)len);
}

/* @h's values summed by group_key's mapping of its keys. */
static GHashTable *by_group(GHashTable *h)
{
  GHashTable *g = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, h);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    char *gk = g_strdup_printf("g%d", atoi((const char *)k + 1) % 7);
    g_hash_table_insert(g, gk, GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(g, gk)) + GPOINTER_TO_INT(v)));
  }
  g_hash_table_unref(h);
  return g;
}

static void check_keyed(gboolean running, guint P, gboolean computed)
{
  GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GHashTable *sums = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  script *sc = random_script(P, 42 + P, 3000, counts, sums);
  if (computed) {
    counts = by_group(counts);
    sums = by_group(sums);
  }
  collector col;
  collector_init(&col);
  rill_pipeline *p = rill_pipeline_new("keyed");
  rill_pipeline_set_parallelism(p, P);
  rill_stage *src = rill_pipeline_add_source(p, "src", &rill_script_source_class, sc, NULL);
  rill_stage *kb = rill_pipeline_add_key_by(p, "key_by", src, computed ? group_key : NULL, NULL, NULL);
  rill_stage *op = running ? rill_pipeline_add_aggregate(p, "agg", kb, rill_aggregate_sum(NULL, NULL))
                           : rill_pipeline_add_keyed_process(p, "proc", kb, count_fn, NULL, NULL);
  rill_pipeline_add_sink(p, "out", op, &collector_class, &col, NULL);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  guint n;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n);
  g_assert_cmpuint(m[2].state_bytes, >, 0);
  g_free(m);
  /* Per key, updates arrive in order (one task per key), so the last one is final. */
  GHashTable *got = last_per_key(&col);
  GHashTable *want = running ? sums : counts;
  g_assert_cmpuint(g_hash_table_size(got), ==, g_hash_table_size(want));
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, want);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    char *w = g_strdup_printf("%d", GPOINTER_TO_INT(v));
    g_assert_cmpstr(g_hash_table_lookup(got, k), ==, w);
    g_free(w);
  }
  if (!running)
    g_assert_cmpuint(col.recs->len, ==, 3000);
  g_hash_table_unref(got);
  g_hash_table_unref(counts);
  g_hash_table_unref(sums);
  rill_pipeline_unref(p);
  collector_clear(&col);
  script_free(sc);
}

static void test_keyed_process(void)
{
  check_keyed(FALSE, 1, FALSE);
  check_keyed(FALSE, 4, FALSE);
}

static void test_running_aggregate(void)
{
  check_keyed(TRUE, 1, FALSE);
  check_keyed(TRUE, 4, FALSE);
}

/* A key function's computed keys: at P = 1 key_by chains and writes them
 * into the batch in place, at P = 3 it routes copies. */
static void test_computed_keys(void)
{
  check_keyed(TRUE, 3, TRUE);
  check_keyed(TRUE, 1, TRUE);
  check_keyed(FALSE, 1, TRUE);
}

/* ---- dedupe -------------------------------------------------------------- */

static void test_dedupe(void)
{
  /* Window 10 ms: a key's record within 10 ms of the last one that passed
   * is a duplicate; the watermark forgets what can no longer match. */
  rill_harness *h = rill_harness_new_empty();
  rill_stage *d = rill_pipeline_add_dedupe(rill_harness_pipeline(h), "dedupe", rill_harness_input(h, 0), 10);
  g_assert_true(rill_harness_start(h, d, NULL));
  push_value(h, "a", 1, 0);
  expect_out(h, "a=1@0");
  push_value(h, "a", 2, 5);   /* dup of 0 */
  expect_out(h, "");
  push_value(h, "b", 3, 3);
  expect_out(h, "b=3@3");
  push_value(h, "a", 4, 10);  /* 10 - 0 is not within */
  expect_out(h, "a=4@10");
  push_value(h, "a", 5, 15);  /* dup of 10 */
  push_value(h, "a", 6, 1);   /* dup of 10 (|1 - 10| < 10) */
  expect_out(h, "");
  g_assert_cmpuint(rill_harness_metrics(h).state_bytes, >, 0);
  /* A key is forgotten when the watermark reaches kept + within - 1: b (kept
   * 3) at 12, a (kept 10) at 19. A late duplicate of a forgotten key passes. */
  rill_harness_push_watermark(h, 0, 18);
  expect_out(h, "wm=18");
  push_value(h, "a", 9, 12);  /* a still remembered: dup of 10 */
  expect_out(h, "");
  push_value(h, "b", 10, 5);  /* b forgotten: passes */
  expect_out(h, "b=10@5");
  rill_harness_push_watermark(h, 0, 19);
  expect_out(h, "wm=19");
  push_value(h, "a", 11, 13); /* a forgotten right at 19: passes */
  expect_out(h, "a=11@13");
  /* A key too long to live inside its slot: its bytes count in the state. */
  const char *long_key = "a-key-long-enough-to-be-stored-out-of-line-0123456789";
  push_value(h, long_key, 12, 20);
  g_autofree char *long_out = g_strdup_printf("%s=12@20", long_key);
  expect_out(h, long_out);
  guint64 held = rill_harness_metrics(h).state_bytes;
  rill_harness_push_watermark(h, 0, 100);  /* forgets a, b and the long key */
  expect_out(h, "wm=100");
  /* The state gauge follows the expiry down, not only the input up. */
  g_assert_cmpuint(rill_harness_metrics(h).state_bytes, <, held);
  push_value(h, "a", 7, 101);
  push_value(h, "a", 8, 110); /* dup */
  expect_out(h, "a=7@101");
  rill_harness_finish(h);
  expect_out(h, "");
  rill_stage_metrics m = rill_harness_metrics(h);
  g_assert_cmpuint(m.records_in, ==, 12);
  g_assert_cmpuint(m.records_out, ==, 7);
  rill_harness_free(h);
}

/* ---- top-N per window ---------------------------------------------------- */

typedef struct {
  char key[8];
  int64_t n;
} kc;

static int cmp_kc(gconstpointer a, gconstpointer b)
{
  const kc *x = a, *y = b;
  return x->n != y->n ? (x->n > y->n ? -1 : 1) : strcmp(x->key, y->key);
}

/* @raw_too: the window also feeds a sink of its own, which must see every
 * key's result (each task pre-selects its best N only when top-N is the
 * window's sole consumer). */
static void check_topn(guint P, gboolean raw_too)
{
  /* Reference: count per (window of 100 ms, key), rank, keep 3. */
  GRand *rand = g_rand_new_with_seed(7 + P);
  script *sc = script_new(P);
  GHashTable *per_win = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)g_hash_table_unref);
  for (int i = 0; i < 5000; i++) {
    char key[8];
    g_snprintf(key, sizeof key, "i%d", (int)(g_rand_int_range(rand, 0, 30) * g_rand_double(rand)));
    int64_t ts = 1000 + i / 5 - g_rand_int_range(rand, 0, 40);
    script_record(sc, (guint)i % P, key, 0, ts, (int32_t)(i % P));
    int64_t s = ts - ts % 100;
    GHashTable *h = g_hash_table_lookup(per_win, &s);
    if (!h) {
      h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert(per_win, g_memdup2(&s, sizeof s), h);
    }
    g_hash_table_insert(h, g_strdup(key), GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(h, key)) + 1));
  }
  g_rand_free(rand);
  collector col;
  collector_init(&col);
  rill_pipeline *p = rill_pipeline_new("topn");
  rill_pipeline_set_parallelism(p, P);
  rill_stage *src = rill_pipeline_add_source(p, "src", &rill_script_source_class, sc, NULL);
  rill_watermark_options wo = {.max_out_of_orderness_ms = 50};
  rill_stage *wm = rill_pipeline_add_watermarks(p, "wm", src, &wo);
  rill_stage *kb = rill_pipeline_add_key_by(p, "key_by", wm, NULL, NULL, NULL);
  rill_window_spec spec = rill_window_tumbling(100);
  rill_stage *w = rill_pipeline_add_window(p, "window", kb, &spec, rill_aggregate_count());
  rill_stage *t = rill_pipeline_add_window_top_n(p, "top3", w, 3);
  rill_pipeline_add_sink(p, "out", t, &collector_class, &col, NULL);
  collector raw;
  collector_init(&raw);
  if (raw_too)
    rill_pipeline_add_sink(p, "raw", w, &collector_class, &raw, NULL);
  GError *error = NULL;
  g_assert_true(rill_pipeline_run(p, &error));
  g_assert_no_error(error);
  guint pairs = 0;
  GHashTableIter pi;
  gpointer pw;
  g_hash_table_iter_init(&pi, per_win);
  while (g_hash_table_iter_next(&pi, NULL, &pw))
    pairs += g_hash_table_size(pw);
  g_assert_cmpuint(raw.recs->len, ==, raw_too ? pairs : 0);
  collector_clear(&raw);
  /* The window's output: every result, or at most 3 per window and task. */
  guint n_stages;
  rill_stage_metrics *m = rill_pipeline_get_metrics(p, &n_stages);
  for (guint i = 0; i < n_stages; i++) {
    if (strcmp(m[i].stage, "window") != 0)
      continue;
    if (raw_too)
      g_assert_cmpuint(m[i].records_out, ==, pairs);
    else
      g_assert_cmpuint(m[i].records_out, <=, 3 * P * g_hash_table_size(per_win));
  }
  g_free(m);

  guint expected = 0;
  GHashTableIter it;
  gpointer ws, h;
  g_hash_table_iter_init(&it, per_win);
  while (g_hash_table_iter_next(&it, &ws, &h)) {
    GArray *a = g_array_new(FALSE, FALSE, sizeof(kc));
    GHashTableIter j;
    gpointer k, n;
    g_hash_table_iter_init(&j, h);
    while (g_hash_table_iter_next(&j, &k, &n)) {
      kc x;
      g_strlcpy(x.key, k, sizeof x.key);
      x.n = GPOINTER_TO_INT(n);
      g_array_append_val(a, x);
    }
    g_array_sort(a, cmp_kc);
    for (guint r = 0; r < MIN(3u, a->len); r++) {
      const kc *x = &g_array_index(a, kc, r);
      gboolean found = FALSE;
      for (guint i = 0; i < col.recs->len && !found; i++) {
        out_rec *o = col.recs->pdata[i];
        char rank[8];
        g_snprintf(rank, sizeof rank, "%u", r + 1);
        if (o->start == *(int64_t *)ws && !strcmp(o->rank, rank)) {
          found = TRUE;
          g_assert_cmpstr(o->key, ==, x->key);
          g_assert_cmpint(g_ascii_strtoll(o->value, NULL, 10), ==, x->n);
          g_assert_cmpint(o->end, ==, o->start + 100);
        }
      }
      g_assert_true(found);
      expected++;
    }
    g_array_unref(a);
  }
  g_assert_cmpuint(col.recs->len, ==, expected);
  /* Windows come out in start order within each task. */
  if (P == 1)
    for (guint i = 1; i < col.recs->len; i++)
      g_assert_cmpint(((out_rec *)col.recs->pdata[i - 1])->start, <=, ((out_rec *)col.recs->pdata[i])->start);
  g_hash_table_unref(per_win);
  rill_pipeline_unref(p);
  collector_clear(&col);
  script_free(sc);
}

static void test_topn(void)
{
  check_topn(1, FALSE);
  check_topn(4, FALSE);
  check_topn(1, TRUE);
  check_topn(4, TRUE);
}

/* Pushes a window result: @key=@value for window [@start, @end). */
static void push_result(rill_harness *h, const char *key, const char *value, int64_t start, int64_t end)
{
  char s[24], e[24];
  g_snprintf(s, sizeof s, "%" G_GINT64_FORMAT, start);
  g_snprintf(e, sizeof e, "%" G_GINT64_FORMAT, end);
  rill_header hdr[2] = {{rill_bytes_from_string(RILL_WINDOW_HEADER_START), rill_bytes_from_string(s)},
                        {rill_bytes_from_string(RILL_WINDOW_HEADER_END), rill_bytes_from_string(e)}};
  rill_record r = RILL_RECORD_INIT;
  r.key = rill_bytes_from_string(key);
  r.value = rill_bytes_from_string(value);
  r.timestamp = end - 1;
  r.headers = hdr;
  r.n_headers = 2;
  g_assert_cmpint(rill_harness_push_record(h, 0, &r), ==, RILL_FLOW_OK);
}

/* The ranking stage alone: a window is ranked when the watermark reaches
 * its end - 1, ties go to the smaller key, results for a ranked window and
 * values that are not integers count as late. */
static void test_topn_ranking(void)
{
  rill_harness *h = rill_harness_new_empty();
  rill_stage *t = rill_pipeline_add_window_top_n(rill_harness_pipeline(h), "top2", rill_harness_input(h, 0), 2);
  g_assert_true(rill_harness_start(h, t, NULL));
  push_result(h, "c", "5", 0, 10);
  push_result(h, "b", "7", 0, 10);
  push_result(h, "a", "5", 0, 10);
  push_result(h, "z", "1", 0, 10);    /* ranks third: dropped at once */
  push_result(h, "d", "1", 10, 20);
  push_result(h, "e", "-3", 10, 20);
  expect_out(h, "");
  rill_harness_push_watermark(h, 0, 8);
  expect_out(h, "wm=8");
  rill_harness_push_watermark(h, 0, 9);
  expect_out(h, "b=7[0,10)#1 a=5[0,10)#2 wm=9");
  push_result(h, "x", "100", 0, 10);  /* window already ranked */
  push_result(h, "y", "many", 10, 20);
  expect_out(h, "");
  g_assert_cmpuint(rill_harness_metrics(h).late_records, ==, 2);
  rill_harness_finish(h);
  expect_out(h, "d=1[10,20)#1 e=-3[10,20)#2");
  rill_harness_free(h);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/state/store", test_store);
  g_test_add_func("/state/keyed-process", test_keyed_process);
  g_test_add_func("/state/running-aggregate", test_running_aggregate);
  g_test_add_func("/state/computed-keys", test_computed_keys);
  g_test_add_func("/state/dedupe", test_dedupe);
  g_test_add_func("/state/top-n", test_topn);
  g_test_add_func("/state/top-n-ranking", test_topn_ranking);
  return g_test_run();
}
