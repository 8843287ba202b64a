/* test-join-interval.c — the interval join against a nested-loop
 * reference computed here: random out-of-order streams with fixed seeds,
 * inner and left, inclusive and exclusive bounds (dense timestamps so that
 * many pairs sit exactly on a bound), P = 1 and P = 4; exact bounds by
 * hand; late records; state release. */
#include "join-io.h"

typedef struct {
  rill_join_kind kind;
  guint p;
  gboolean final_wm;
  gboolean lower_excl, upper_excl;
  int64_t lower, upper;
} params;

static gboolean in_bounds(const params *pr, int64_t d)
{
  gboolean lo = pr->lower_excl ? d > pr->lower : d >= pr->lower;
  gboolean hi = pr->upper_excl ? d < pr->upper : d <= pr->upper;
  return lo && hi;
}

static GArray *reference(GArray *L, GArray *R, const params *pr)
{
  int64_t upper_incl = pr->upper_excl ? pr->upper - 1 : pr->upper;
  GArray *rows = g_array_new(FALSE, FALSE, sizeof(join_row));
  for (guint i = 0; i < L->len; i++) {
    const ev *l = &g_array_index(L, ev, i);
    gboolean matched = FALSE;
    for (guint k = 0; l->key >= 0 && k < R->len; k++) {
      const ev *r = &g_array_index(R, ev, k);
      if (r->key == l->key && in_bounds(pr, r->ts - l->ts)) {
        rows_add(rows, l->id, r->id, l->key, MAX(l->ts, r->ts));
        matched = TRUE;
      }
    }
    if (!matched && pr->kind == RILL_JOIN_LEFT)
      rows_add(rows, l->id, -1, l->key, l->ts + MAX(upper_incl, 0));
  }
  rows_sort(rows);
  return rows;
}

static int n_on_bound(GArray *L, GArray *R, const params *pr)
{
  int n = 0;
  for (guint i = 0; i < L->len; i++)
    for (guint k = 0; k < R->len; k++) {
      const ev *l = &g_array_index(L, ev, i), *r = &g_array_index(R, ev, k);
      int64_t d = r->ts - l->ts;
      n += l->key >= 0 && r->key == l->key && (d == pr->lower || d == pr->upper);
    }
  return n;
}

static void test_random(gconstpointer data)
{
  const params *pr = data;
  for (guint32 seed = 11; seed <= 13; seed++) {
    GRand *g = g_rand_new_with_seed(seed);
    script ls, rs;
    script_init(&ls, pr->p);
    script_init(&rs, pr->p);
    GArray *L = gen(g, &ls, 'L', 2000, 10, -1000, 2, 20, pr->final_wm);
    GArray *R = gen(g, &rs, 'R', 2000, 10, -1010, 2, 16, pr->final_wm);
    GError *error = NULL;
    rill_join *j = rill_join_interval_new(pr->kind, pr->lower, pr->upper, &error);
    g_assert_no_error(error);
    rill_join_interval_set_exclusive(j, pr->lower_excl, pr->upper_excl);
    GArray *got = run_join(j, &ls, &rs, pr->p);
    GArray *want = reference(L, R, pr);
    g_assert_cmpuint(want->len, >, 500);
    g_assert_cmpint(n_on_bound(L, R, pr), >, 50); /* the bounds are really exercised */
    rows_assert_equal(got, want);
    rill_join_stats st;
    rill_join_get_stats(j, &st);
    g_assert_cmpuint(st.late_records, ==, 0);
    if (pr->final_wm)
      g_assert_cmpuint(st.finish_flushed_records, ==, 0);
    else
      g_assert_cmpuint(st.finish_flushed_records, >, 0);
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

/* b within [a - 3, a + 5], by hand: 97 and 105 are on the bounds; each
 * match comes out when its right record arrives. */
static void test_bounds(gconstpointer data)
{
  gboolean exclusive = GPOINTER_TO_INT(data);
  rill_join *j = rill_join_interval_new(RILL_JOIN_INNER, -3, 5, NULL);
  rill_join_interval_set_exclusive(j, exclusive, exclusive);
  rill_harness *h = join_harness(j);
  push_side(h, RILL_JOIN_SIDE_LEFT, 1, 'L', 1, 100);
  const struct {
    int64_t ts;
    const char *inclusive, *exclusive;
  } rights[] = {
    {96, "", ""},
    {97, "L1/R1/k1@100", ""},
    {98, "L1/R2/k1@100", "L1/R2/k1@100"},
    {104, "L1/R3/k1@104", "L1/R3/k1@104"},
    {105, "L1/R4/k1@105", ""},
    {106, "", ""},
  };
  for (int i = 0; i < (int)G_N_ELEMENTS(rights); i++) {
    push_side(h, RILL_JOIN_SIDE_RIGHT, 1, 'R', i, rights[i].ts);
    expect_rows(h, exclusive ? rights[i].exclusive : rights[i].inclusive);
  }
  rill_harness_finish(h);
  expect_rows(h, "");
  rill_harness_free(h);
  rill_join_unref(j);
}

/* ts <= W on arrival is late on either side; an unmatched left record of a
 * left join comes out once W >= a.ts + upper, carrying a.ts + max(upper, 0). */
static void test_late(void)
{
  rill_join *j = rill_join_interval_new(RILL_JOIN_LEFT, 0, 10, NULL);
  rill_harness *h = join_harness(j);
  push_side(h, RILL_JOIN_SIDE_LEFT, 1, 'L', 1, 50);
  push_side(h, RILL_JOIN_SIDE_RIGHT, 1, 'R', 1, 52);  /* matches L1 (52 - 50 = 2) */
  expect_rows(h, "L1/R1/k1@52");
  push_watermarks(h, 55);
  expect_rows(h, "wm=55");
  push_side(h, RILL_JOIN_SIDE_LEFT, 1, 'L', 2, 55);   /* late: ts <= W */
  push_side(h, RILL_JOIN_SIDE_LEFT, 1, 'L', 3, 56);   /* R1 is before it: unmatched */
  push_side(h, RILL_JOIN_SIDE_RIGHT, 1, 'R', 2, 54);  /* late */
  expect_rows(h, "");
  push_watermarks(h, 65);
  expect_rows(h, "wm=65");
  push_watermarks(h, 66);
  expect_rows(h, "L3/-/k1@66 wm=66");
  rill_harness_finish(h);
  expect_rows(h, "");
  rill_join_stats st;
  rill_join_get_stats(j, &st);
  g_assert_cmpuint(st.late_records, ==, 2);
  g_assert_cmpuint(st.matches, ==, 1);
  g_assert_cmpuint(st.unmatched, ==, 1);
  rill_harness_free(h);
  assert_state_released(j);
  rill_join_unref(j);
}

static void test_invalid(void)
{
  GError *error = NULL;
  g_assert_null(rill_join_interval_new(RILL_JOIN_INNER, 5, 4, &error));
  g_assert_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_INVALID);
  g_clear_error(&error);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  static const params cases[] = {
    {RILL_JOIN_INNER, 1, TRUE, FALSE, FALSE, -6, 9},
    {RILL_JOIN_LEFT, 1, TRUE, FALSE, FALSE, -6, 9},
    {RILL_JOIN_INNER, 1, TRUE, TRUE, TRUE, -6, 9},
    {RILL_JOIN_LEFT, 1, TRUE, FALSE, TRUE, 2, 12},
    {RILL_JOIN_LEFT, 1, FALSE, TRUE, FALSE, -9, -2},
    {RILL_JOIN_INNER, 4, TRUE, FALSE, FALSE, -6, 9},
    {RILL_JOIN_LEFT, 4, TRUE, TRUE, FALSE, -6, 9},
    {RILL_JOIN_LEFT, 4, FALSE, FALSE, FALSE, -4, 4},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    const params *c = &cases[i];
    char *path = g_strdup_printf("/join/interval/%s/p%u/%c%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "%c%s",
                                 c->kind == RILL_JOIN_LEFT ? "left" : "inner", c->p, c->lower_excl ? '(' : '[',
                                 c->lower, c->upper, c->upper_excl ? ')' : ']', c->final_wm ? "" : "-no-final-wm");
    g_test_add_data_func(path, c, test_random);
    g_free(path);
  }
  g_test_add_data_func("/join/interval/bounds/inclusive", GINT_TO_POINTER(FALSE), test_bounds);
  g_test_add_data_func("/join/interval/bounds/exclusive", GINT_TO_POINTER(TRUE), test_bounds);
  g_test_add_func("/join/interval/late", test_late);
  g_test_add_func("/join/interval/invalid", test_invalid);
  return g_test_run();
}
