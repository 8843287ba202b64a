/* test-join-window.c — the windowed stream–stream join against a
 * nested-loop reference computed here: random out-of-order streams with
 * fixed seeds, inner and left, P = 1 and P = 4 (test-local key partitioner),
 * with and without a final watermark; late records; state release. */
#include "join-io.h"

/* Reference window start, computed independently of the operator. */
static int64_t win_start(int64_t ts, int64_t size)
{
  int64_t q = ts >= 0 ? ts / size : -((-ts + size - 1) / size);
  return q * size;
}

static GArray *reference(GArray *L, GArray *R, int64_t size, rill_join_kind kind)
{
  GArray *rows = g_array_new(FALSE, FALSE, sizeof(join_row));
  for (guint i = 0; i < L->len; i++) {
    const ev *l = &g_array_index(L, ev, i);
    int64_t w = win_start(l->ts, size);
    gboolean matched = FALSE;
    for (guint k = 0; l->key >= 0 && k < R->len; k++) {
      const ev *r = &g_array_index(R, ev, k);
      if (r->key == l->key && win_start(r->ts, size) == w) {
        rows_add(rows, l->id, r->id, l->key, w + size - 1);
        matched = TRUE;
      }
    }
    if (!matched && kind == RILL_JOIN_LEFT)
      rows_add(rows, l->id, -1, l->key, w + size - 1);
  }
  rows_sort(rows);
  return rows;
}

typedef struct {
  rill_join_kind kind;
  guint p;
  gboolean final_wm;
} params;

static void test_random(gconstpointer data)
{
  const params *pr = data;
  for (guint32 seed = 1; seed <= 3; seed++) {
    GRand *g = g_rand_new_with_seed(seed);
    int64_t size = 10 + 7 * seed;
    script ls, rs;
    script_init(&ls, pr->p);
    script_init(&rs, pr->p);
    /* Negative timestamps too: window starts use floor division. */
    GArray *L = gen(g, &ls, 'L', 3000, 12, -4000, 3, 40, pr->final_wm);
    GArray *R = gen(g, &rs, 'R', 2500, 12, -4100, 4, 30, pr->final_wm);
    GError *error = NULL;
    rill_join *j = rill_join_window_new(pr->kind, size, &error);
    g_assert_no_error(error);
    GArray *got = run_join(j, &ls, &rs, pr->p);
    GArray *want = reference(L, R, size, pr->kind);
    g_assert_cmpuint(want->len, >, 500);
    rows_assert_equal(got, want);
    rill_join_stats st;
    rill_join_get_stats(j, &st);
    g_assert_cmpuint(st.late_records, ==, 0);
    g_assert_cmpuint(st.unkeyed_records, >, 0);
    /* With a final watermark the watermark alone released every window;
     * without one, finish() had to. */
    if (pr->final_wm)
      g_assert_cmpuint(st.finish_flushed_records, ==, 0);
    else
      g_assert_cmpuint(st.finish_flushed_records, >, 0);
    if (pr->kind == RILL_JOIN_LEFT)
      g_assert_cmpuint(st.unmatched, >, 0);
    assert_state_released(j);
    rill_join_unref(j);
    g_array_unref(got);
    g_array_unref(want);
    g_array_unref(L);
    g_array_unref(R);
    script_clear(&ls);
    script_clear(&rs);
    g_rand_free(g);
  }
}

/* Matches come out as soon as the second record arrives; records whose
 * window closed before they arrived are counted, not joined; a record of a
 * still-open window with ts <= W still joins. */
static void test_late(gconstpointer data)
{
  rill_join_kind kind = GPOINTER_TO_INT(data);
  rill_join *j = rill_join_window_new(kind, 10, NULL);
  rill_harness *h = join_harness(j);
  push_side(h, RILL_JOIN_SIDE_LEFT, 1, 'L', 1, 5);
  expect_rows(h, "");
  push_side(h, RILL_JOIN_SIDE_RIGHT, 1, 'R', 1, 7);
  expect_rows(h, "L1/R1/k1@9");
  push_side(h, RILL_JOIN_SIDE_LEFT, 1, 'L', 3, 22);
  push_side(h, RILL_JOIN_SIDE_RIGHT, 1, 'R', 3, 21);
  expect_rows(h, "L3/R3/k1@29");
  rill_harness_push_watermark(h, RILL_JOIN_SIDE_LEFT, 25);
  expect_rows(h, "");                                   /* W is the minimum: still none */
  rill_harness_push_watermark(h, RILL_JOIN_SIDE_RIGHT, 25);
  expect_rows(h, "wm=25");                              /* L1 matched: nothing unmatched */
  push_side(h, RILL_JOIN_SIDE_LEFT, 1, 'L', 2, 12);     /* window [10, 20) closed at 25: late */
  push_side(h, RILL_JOIN_SIDE_RIGHT, 1, 'R', 2, 19);    /* late */
  expect_rows(h, "");
  push_side(h, RILL_JOIN_SIDE_LEFT, 1, 'L', 4, 24);     /* ts <= W but [20, 30) open: joins R3 */
  expect_rows(h, "L4/R3/k1@29");
  rill_harness_finish(h);
  expect_rows(h, "");
  rill_join_stats st;
  rill_join_get_stats(j, &st);
  g_assert_cmpuint(st.late_records, ==, 2);
  g_assert_cmpuint(st.matches, ==, 3);
  rill_harness_free(h);
  assert_state_released(j);
  rill_join_unref(j);
}

/* A left record is emitted unmatched exactly once, when its window closes,
 * even with no right records at all; a left record without a key, which
 * can match nothing, at once. */
static void test_left_unmatched_once(void)
{
  rill_join *j = rill_join_window_new(RILL_JOIN_LEFT, 100, NULL);
  rill_harness *h = join_harness(j);
  push_side(h, RILL_JOIN_SIDE_LEFT, 7, 'L', 1, 150);
  push_side(h, RILL_JOIN_SIDE_LEFT, 7, 'L', 2, 160);
  expect_rows(h, "");
  push_side(h, RILL_JOIN_SIDE_LEFT, -1, 'L', 3, 170);
  expect_rows(h, "L3/-/-@199");
  push_side(h, RILL_JOIN_SIDE_RIGHT, 8, 'R', 1, 150);
  rill_harness_push_watermark(h, RILL_JOIN_SIDE_LEFT, 199);
  expect_rows(h, "");
  rill_harness_push_watermark(h, RILL_JOIN_SIDE_RIGHT, 1000);
  expect_rows(h, "L1/-/k7@199 L2/-/k7@199 wm=199");
  rill_harness_push_watermark(h, RILL_JOIN_SIDE_LEFT, 500);
  expect_rows(h, "wm=500");
  rill_harness_finish(h);                 /* the left input ends: W is the right's */
  expect_rows(h, "wm=1000");
  rill_harness_free(h);
  assert_state_released(j);
  rill_join_unref(j);
}

static void test_invalid(void)
{
  GError *error = NULL;
  g_assert_null(rill_join_window_new(RILL_JOIN_INNER, 0, &error));
  g_assert_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_null(rill_join_window_new((rill_join_kind)7, 10, &error));
  g_assert_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_INVALID);
  g_clear_error(&error);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  static const params inner1 = {RILL_JOIN_INNER, 1, TRUE}, left1 = {RILL_JOIN_LEFT, 1, TRUE},
                      inner4 = {RILL_JOIN_INNER, 4, TRUE}, left4 = {RILL_JOIN_LEFT, 4, TRUE},
                      left1_nofinal = {RILL_JOIN_LEFT, 1, FALSE}, inner4_nofinal = {RILL_JOIN_INNER, 4, FALSE};
  g_test_add_data_func("/join/window/inner/p1", &inner1, test_random);
  g_test_add_data_func("/join/window/left/p1", &left1, test_random);
  g_test_add_data_func("/join/window/inner/p4", &inner4, test_random);
  g_test_add_data_func("/join/window/left/p4", &left4, test_random);
  g_test_add_data_func("/join/window/left/p1-no-final-watermark", &left1_nofinal, test_random);
  g_test_add_data_func("/join/window/inner/p4-no-final-watermark", &inner4_nofinal, test_random);
  g_test_add_data_func("/join/window/late/inner", GINT_TO_POINTER(RILL_JOIN_INNER), test_late);
  g_test_add_data_func("/join/window/late/left", GINT_TO_POINTER(RILL_JOIN_LEFT), test_late);
  g_test_add_func("/join/window/left-unmatched-once", test_left_unmatched_once);
  g_test_add_func("/join/window/invalid", test_invalid);
  return g_test_run();
}
