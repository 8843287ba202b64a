/* test-join-table.c — the stream–table join against a reference computed
 * here: for each stream record, the latest changelog update for its key
 * with ts <= its own (tombstones delete), else the file table's entry.
 * Random out-of-order streams and changelogs with fixed seeds, inner and
 * left, P = 1 and P = 4; table file parsing; a custom key extractor. */
#include "join-io.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  int id, key;
  int64_t ts;
  gboolean tombstone;
} upd;

/* Changelog of n updates on keys [0, keys), 1 in 5 a tombstone, unique
 * timestamps (so "latest" is never a tie), out of order within jitter. */
static GArray *gen_changelog(GRand *g, script *s, int n, int keys, int64_t base, int step, int jitter,
                             gboolean final_wm)
{
  GArray *u = g_array_new(FALSE, FALSE, sizeof(upd));
  GHashTable *used = g_hash_table_new(g_int64_hash, g_int64_equal);
  gint64 *stamps = g_new(gint64, n);
  guint splits = rill_script_n_splits(s->s);
  for (int i = 0; i < n; i++) {
    do
      stamps[i] = base + (int64_t)i * step + g_rand_int_range(g, 0, jitter);
    while (g_hash_table_contains(used, &stamps[i]));
    g_hash_table_add(used, &stamps[i]);
    upd e = {i, g_rand_int_range(g, 0, keys), stamps[i], g_rand_int_range(g, 0, 5) == 0};
    g_array_append_val(u, e);
    guint split = (guint)i % splits;
    script_add(s, split, e.key, e.tombstone ? 0 : 'V', e.id, e.ts);
    if (g_rand_int_range(g, 0, 4) == 0)
      script_add_watermark(s, split, base + (int64_t)(i + 1) * step - 1);
  }
  for (guint k = 0; final_wm && k < splits; k++)
    script_add_watermark(s, k, INT64_MAX);
  g_hash_table_destroy(used);
  g_free(stamps);
  return u;
}

/* File entries: key k -> "F<k>" for k < file_keys (rid 1000000 + k). */
static char *write_file(int file_keys)
{
  GString *s = g_string_new("");
  for (int k = 0; k < file_keys; k++)
    g_string_append_printf(s, k % 2 ? "k%d\tF%d\r\n" : "k%d\tF%d\n\n", k, k);
  char *path = NULL;
  int fd = g_file_open_tmp("rill-join-XXXXXX.tsv", &path, NULL);
  g_assert_cmpint(fd, >=, 0);
  close(fd);
  g_assert_true(g_file_set_contents(path, s->str, (gssize)s->len, NULL));
  g_string_free(s, TRUE);
  return path;
}

static GArray *reference(GArray *S, GArray *U, int file_keys, rill_join_kind kind)
{
  GArray *rows = g_array_new(FALSE, FALSE, sizeof(join_row));
  for (guint i = 0; i < S->len; i++) {
    const ev *s = &g_array_index(S, ev, i);
    const upd *latest = NULL;
    for (guint k = 0; s->key >= 0 && k < U->len; k++) {
      const upd *u = &g_array_index(U, upd, k);
      if (u->key == s->key && u->ts <= s->ts && (!latest || u->ts > latest->ts))
        latest = u;
    }
    int rid = -1;
    if (latest)
      rid = latest->tombstone ? -1 : latest->id;
    else if (s->key >= 0 && s->key < file_keys)
      rid = 1000000 + s->key;
    if (rid >= 0 || kind == RILL_JOIN_LEFT)
      rows_add(rows, s->id, rid, s->key, s->ts);
  }
  rows_sort(rows);
  return rows;
}

typedef struct {
  rill_join_kind kind;
  guint p;
  gboolean final_wm;
  int file_keys;
} params;

static void test_random(gconstpointer data)
{
  const params *pr = data;
  for (guint32 seed = 21; seed <= 23; seed++) {
    GRand *g = g_rand_new_with_seed(seed);
    script ls, rs;
    script_init(&ls, pr->p);
    script_init(&rs, pr->p);
    GArray *S = gen(g, &ls, 'L', 3000, 30, 0, 3, 30, pr->final_wm);
    /* Stream and changelog timestamps share a grid: equal timestamps occur,
     * and there the update must win. */
    GArray *U = gen_changelog(g, &rs, 800, 30, 0, 9, 40, pr->final_wm);
    rill_join *j = rill_join_table_new(pr->kind, NULL);
    char *path = NULL;
    if (pr->file_keys) {
      GError *error = NULL;
      path = write_file(pr->file_keys);
      g_assert_true(rill_join_table_load_file(j, path, &error));
      g_assert_no_error(error);
    }
    GArray *got = run_join(j, &ls, &rs, pr->p);
    GArray *want = reference(S, U, pr->file_keys, pr->kind);
    g_assert_cmpuint(want->len, >, 1000);
    rows_assert_equal(got, want);
    rill_join_stats st;
    rill_join_get_stats(j, &st);
    g_assert_cmpuint(st.late_records, ==, 0);
    if (pr->final_wm)
      g_assert_cmpuint(st.finish_flushed_records, ==, 0);
    else
      g_assert_cmpuint(st.finish_flushed_records, >, 0);
    assert_state_released(j);
    if (path) {
      g_unlink(path);
      g_free(path);
    }
    rill_join_unref(j);
    g_array_unref(got);
    g_array_unref(want);
    g_array_unref(S);
    g_array_unref(U);
    script_clear(&ls);
    script_clear(&rs);
    g_rand_free(g);
  }
}

/* Key from the value: "L<id>" -> "k<id % 3>", built in the scratch buffer. */
static rill_bytes key_from_value(const rill_record *r, GByteArray *scratch, void *user_data)
{
  char buf[16];
  g_assert_cmpuint(r->value.len, <, sizeof buf);
  memcpy(buf, r->value.data + 1, r->value.len - 1);
  buf[r->value.len - 1] = 0;
  int id = atoi(buf);
  int n = g_snprintf(buf, sizeof buf, "k%d", id % GPOINTER_TO_INT(user_data));
  g_byte_array_append(scratch, (const guint8 *)buf, (guint)n);
  return rill_bytes_make(scratch->data, scratch->len);
}

static void test_key_fn(void)
{
  script ls, rs;
  script_init(&ls, 1);
  script_init(&rs, 1);
  for (int i = 0; i < 7; i++)
    script_add(&ls, 0, -1, 'L', i, 100 + i); /* no record key: the extractor provides one */
  rill_join *j = rill_join_table_new(RILL_JOIN_INNER, NULL);
  rill_join_set_key_fn(j, RILL_JOIN_SIDE_LEFT, key_from_value, GINT_TO_POINTER(3), NULL);
  char *path = write_file(2); /* k0, k1 */
  g_assert_true(rill_join_table_load_file(j, path, NULL));
  GArray *got = run_join(j, &ls, &rs, 1);
  GArray *want = g_array_new(FALSE, FALSE, sizeof(join_row));
  for (int i = 0; i < 7; i++)
    if (i % 3 < 2)
      rows_add(want, i, 1000000 + i % 3, i % 3, 100 + i);
  rows_sort(want);
  rows_assert_equal(got, want);
  g_unlink(path);
  g_free(path);
  g_array_unref(got);
  g_array_unref(want);
  rill_join_unref(j);
  script_clear(&ls);
  script_clear(&rs);
}

/* The join reports its tasks' state to the stage metrics like every keyed
 * operator: the table's rows are held until the pipeline ends, so the
 * metric the run leaves is their size, while the join's own counters drop
 * to zero when the tasks close. */
static void test_state_metric(void)
{
  script ls, rs;
  script_init(&ls, 1);
  script_init(&rs, 1);
  for (int k = 0; k < 5; k++)
    script_add(&rs, 0, k, 'V', k, 10 + k);
  for (int i = 0; i < 5; i++)
    script_add(&ls, 0, i, 'L', i, 100 + i);
  script_add_watermark(&ls, 0, INT64_MAX);
  script_add_watermark(&rs, 0, INT64_MAX);
  rill_join *j = rill_join_table_new(RILL_JOIN_INNER, NULL);
  guint64 metric = 0;
  GArray *got = run_join_metric(j, &ls, &rs, 1, &metric);
  g_assert_cmpuint(got->len, ==, 5);
  g_assert_cmpuint(metric, >, 5 * sizeof(rill_record));
  assert_state_released(j);
  g_array_unref(got);
  rill_join_unref(j);
  script_clear(&ls);
  script_clear(&rs);
}

static void test_file_errors(void)
{
  rill_join *j = rill_join_table_new(RILL_JOIN_LEFT, NULL);
  GError *error = NULL;
  g_assert_false(rill_join_table_load_file(j, "/nonexistent/rill-table.tsv", &error));
  g_assert_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_IO);
  g_clear_error(&error);
  char *path = NULL;
  int fd = g_file_open_tmp("rill-join-XXXXXX.tsv", &path, NULL);
  close(fd);
  g_assert_true(g_file_set_contents(path, "a\t1\nb\t2\nno-tab-here\nc\t3\n", -1, NULL));
  g_assert_false(rill_join_table_load_file(j, path, &error));
  g_assert_error(error, RILL_JOIN_ERROR, RILL_JOIN_ERROR_PARSE);
  g_assert_nonnull(strstr(error->message, ":3:"));
  g_clear_error(&error);
  g_unlink(path);
  g_free(path);
  rill_join_unref(j);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  static const params cases[] = {
    {RILL_JOIN_INNER, 1, TRUE, 0},  {RILL_JOIN_LEFT, 1, TRUE, 0},   {RILL_JOIN_LEFT, 1, TRUE, 20},
    {RILL_JOIN_INNER, 1, FALSE, 20}, {RILL_JOIN_INNER, 4, TRUE, 20}, {RILL_JOIN_LEFT, 4, FALSE, 10},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    const params *c = &cases[i];
    char *path = g_strdup_printf("/join/table/%s/p%u/file%d%s", c->kind == RILL_JOIN_LEFT ? "left" : "inner", c->p,
                                 c->file_keys, c->final_wm ? "" : "-no-final-wm");
    g_test_add_data_func(path, c, test_random);
    g_free(path);
  }
  g_test_add_func("/join/table/key-fn", test_key_fn);
  g_test_add_func("/join/table/state-metric", test_state_metric);
  g_test_add_func("/join/table/file-errors", test_file_errors);
  return g_test_run();
}
