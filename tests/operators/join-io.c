/* join-io.c — see join-io.h. */
#include "join-io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void script_init(script *s, guint n_splits)
{
  s->s = rill_script_new(n_splits);
  rill_script_set_read_size(s->s, 256);
}

void script_clear(script *s)
{
  rill_script_free(s->s);
}

void script_add(script *s, guint split, int key, char tag, int id, int64_t ts)
{
  char k[16], v[16];
  if (key >= 0)
    g_snprintf(k, sizeof k, "k%d", key);
  if (tag)
    g_snprintf(v, sizeof v, "%c%d", tag, id);
  rill_script_record(s->s, split, key >= 0 ? k : NULL, tag ? v : NULL, ts, -1);
}

void script_add_watermark(script *s, guint split, int64_t wm)
{
  rill_script_watermark(s->s, split, wm);
}

/* ---- partitioner (test-local key_by) ------------------------------------- */

static guint key_hash(rill_bytes key)
{
  guint32 h = 2166136261u;
  for (size_t i = 0; i < key.len; i++)
    h = (h ^ key.data[i]) * 16777619u;
  return h;
}

static rill_flow partition_process(rill_ctx *ctx, void *state, guint input, rill_batch *batch, rill_emitter *out)
{
  guint n = rill_emitter_n_channels(out);
  rill_batch_builder **b = g_new0(rill_batch_builder *, n);
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    /* Absent keys all go to channel 0: they match nothing anyway. */
    guint c = r[i].key.data ? key_hash(r[i].key) % n : 0;
    if (!b[c])
      b[c] = rill_batch_builder_new(0);
    rill_batch_builder_append_ref(b[c], &r[i], batch);
  }
  rill_flow flow = RILL_FLOW_OK;
  for (guint c = 0; c < n; c++) {
    if (!b[c])
      continue;
    rill_batch *x = rill_batch_builder_finish(b[c]);
    rill_batch_builder_free(b[c]);
    if (flow == RILL_FLOW_OK)
      flow = rill_emit_batch_to(out, c, x);
    else
      rill_batch_unref(x);
  }
  g_free(b);
  rill_batch_unref(batch);
  return flow;
}

static const rill_operator_class partition_class = {
  .type_name = "test-partition",
  .process = partition_process,
};

/* ---- sink ---------------------------------------------------------------- */

typedef struct {
  GMutex lock;
  GArray *rows;
} collector;

static int parse_id(const uint8_t *p, size_t len)
{
  char buf[32];
  g_assert_cmpuint(len, <, sizeof buf);
  memcpy(buf, p, len);
  buf[len] = 0;
  char *end;
  long v = strtol(buf, &end, 10);
  g_assert_true(*end == 0 && len > 0);
  return (int)v;
}

static join_row parse_row(const rill_record *r)
{
  join_row row = {-1, -1, -1, r->timestamp};
  if (r->key.data) {
    g_assert_cmpuint(r->key.len, >, 1);
    g_assert_cmpint(r->key.data[0], ==, 'k');
    row.key = parse_id(r->key.data + 1, r->key.len - 1);
  }
  const uint8_t *v = r->value.data, *tab = memchr(v, '\t', r->value.len);
  g_assert_nonnull(tab);
  g_assert_cmpint(v[0], ==, 'L');
  row.lid = parse_id(v + 1, (size_t)(tab - v - 1));
  size_t rest = r->value.len - (size_t)(tab - v) - 1;
  if (rest) {
    g_assert_true(tab[1] == 'R' || tab[1] == 'V' || tab[1] == 'F');
    row.rid = parse_id(tab + 2, rest - 1) + (tab[1] == 'F' ? 1000000 : 0);
  }
  return row;
}

static rill_flow collect_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  collector *c = state;
  const rill_record *r = rill_batch_records(batch);
  g_mutex_lock(&c->lock);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    join_row row = parse_row(&r[i]);
    g_array_append_val(c->rows, row);
  }
  g_mutex_unlock(&c->lock);
  return RILL_FLOW_OK;
}

static gboolean collect_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_sink_class collect_class = {
  .type_name = "collect",
  .open = collect_open,
  .write = collect_write,
};

/* ---- runner -------------------------------------------------------------- */

static gint row_cmp(gconstpointer a, gconstpointer b)
{
  const join_row *x = a, *y = b;
  if (x->lid != y->lid)
    return x->lid < y->lid ? -1 : 1;
  if (x->rid != y->rid)
    return x->rid < y->rid ? -1 : 1;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->ts < y->ts ? -1 : x->ts > y->ts;
}

void rows_sort(GArray *rows)
{
  g_array_sort(rows, row_cmp);
}

void rows_add(GArray *rows, int lid, int rid, int key, int64_t ts)
{
  join_row r = {lid, rid, key, ts};
  g_array_append_val(rows, r);
}

void rows_assert_equal(GArray *got, GArray *want)
{
  for (guint i = 0; i < MIN(got->len, want->len); i++) {
    const join_row *g = &g_array_index(got, join_row, i), *w = &g_array_index(want, join_row, i);
    if (row_cmp(g, w) != 0) {
      g_test_message("row %u: got (L%d, R%d, k%d, %" G_GINT64_FORMAT ") want (L%d, R%d, k%d, %" G_GINT64_FORMAT ")",
                     i, g->lid, g->rid, g->key, g->ts, w->lid, w->rid, w->key, w->ts);
      g_assert_cmpint(row_cmp(g, w), ==, 0);
    }
  }
  g_assert_cmpuint(got->len, ==, want->len);
}

GArray *run_join(rill_join *join, script *left, script *right, guint p)
{
  return run_join_metric(join, left, right, p, NULL);
}

GArray *run_join_metric(rill_join *join, script *left, script *right, guint p, guint64 *state_bytes)
{
  collector c;
  g_mutex_init(&c.lock);
  c.rows = g_array_new(FALSE, FALSE, sizeof(join_row));
  rill_pipeline *pl = rill_pipeline_new("join-test");
  rill_pipeline_set_parallelism(pl, p);
  rill_stage *l = rill_pipeline_add_source(pl, "left", &rill_script_source_class, left->s, NULL);
  rill_stage *r = rill_pipeline_add_source(pl, "right", &rill_script_source_class, right->s, NULL);
  if (p > 1) {
    l = rill_pipeline_add_operator(pl, "left-by-key", &partition_class, NULL, NULL, &l, 1);
    r = rill_pipeline_add_operator(pl, "right-by-key", &partition_class, NULL, NULL, &r, 1);
  }
  rill_stage *j = rill_pipeline_add_join(pl, "join", l, r, join);
  if (p > 1) {
    rill_stage_set_input_edge(j, 0, RILL_EDGE_EXCHANGE);
    rill_stage_set_input_edge(j, 1, RILL_EDGE_EXCHANGE);
  }
  rill_pipeline_add_sink(pl, "out", j, &collect_class, &c, NULL);
  GError *error = NULL;
  gboolean ok = rill_pipeline_run(pl, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  if (state_bytes) {
    guint n;
    rill_stage_metrics *m = rill_pipeline_get_metrics(pl, &n);
    *state_bytes = G_MAXUINT64;
    for (guint i = 0; i < n; i++)
      if (g_strcmp0(m[i].stage, "join") == 0)
        *state_bytes = m[i].state_bytes;
    g_assert_cmpuint(*state_bytes, !=, G_MAXUINT64);
    g_free(m);
  }
  rill_pipeline_unref(pl);
  g_mutex_clear(&c.lock);
  rows_sort(c.rows);
  return c.rows;
}

void assert_state_released(rill_join *join)
{
  rill_join_stats st;
  rill_join_get_stats(join, &st);
  g_assert_cmpint(st.peak_state_bytes, >, 0);
  g_assert_cmpint(st.state_bytes, ==, 0);
  g_assert_cmpint(st.state_records, ==, 0);
}

/* ---- generator ---------------------------------------------------------- */

GArray *gen(GRand *g, script *s, char tag, int n, int keys, int64_t base, int step, int jitter,
                   gboolean final_wm)
{
  GArray *evs = g_array_new(FALSE, FALSE, sizeof(ev));
  guint splits = rill_script_n_splits(s->s);
  for (int i = 0; i < n; i++) {
    ev e = {i, g_rand_int_range(g, 0, 40) == 0 ? -1 : g_rand_int_range(g, 0, keys),
            base + (int64_t)i * step + g_rand_int_range(g, 0, jitter)};
    g_array_append_val(evs, e);
    guint split = (guint)i % splits;
    script_add(s, split, e.key, tag, e.id, e.ts);
    if (g_rand_int_range(g, 0, 4) == 0)
      script_add_watermark(s, split, base + (int64_t)(i + 1) * step - 1);
  }
  for (guint k = 0; final_wm && k < splits; k++)
    script_add_watermark(s, k, INT64_MAX);
  return evs;
}


/* ---- single-operator harness ---------------------------------------------- */

rill_harness *join_harness(rill_join *join)
{
  rill_harness *h = rill_harness_new_empty();
  rill_stage *j = rill_pipeline_add_join(rill_harness_pipeline(h), "join", rill_harness_input(h, 0),
                                         rill_harness_input(h, 1), join);
  GError *error = NULL;
  g_assert_true(rill_harness_start(h, j, &error));
  g_assert_no_error(error);
  return h;
}

void push_side(rill_harness *h, rill_join_side side, int key, char tag, int id, int64_t ts)
{
  char k[16], v[16];
  g_snprintf(k, sizeof k, "k%d", key);
  g_snprintf(v, sizeof v, "%c%d", tag, id);
  g_assert_cmpint(rill_harness_push_kv(h, side, key >= 0 ? k : NULL, tag ? v : NULL, ts), ==, RILL_FLOW_OK);
}

void push_watermarks(rill_harness *h, int64_t wm)
{
  rill_harness_push_watermark(h, RILL_JOIN_SIDE_LEFT, wm);
  rill_harness_push_watermark(h, RILL_JOIN_SIDE_RIGHT, wm);
}

static gint str_cmp(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the sorted results of one run, then clears it. */
static void flush_run(GString *got, GPtrArray *run)
{
  g_ptr_array_sort(run, str_cmp);
  for (guint i = 0; i < run->len; i++)
    g_string_append_printf(got, "%s%s", got->len ? " " : "", (char *)run->pdata[i]);
  g_ptr_array_set_size(run, 0);
}

void expect_rows(rill_harness *h, const char *want)
{
  GString *got = g_string_new(NULL);
  GPtrArray *run = g_ptr_array_new_with_free_func(g_free);
  rill_harness_event e;
  while (rill_harness_pull(h, &e)) {
    if (e.kind != RILL_HARNESS_RECORD) {
      flush_run(got, run);
      g_assert_cmpint(e.kind, ==, RILL_HARNESS_WATERMARK);
      g_string_append_printf(got, "%swm=%" G_GINT64_FORMAT, got->len ? " " : "", e.watermark);
      continue;
    }
    join_row r = parse_row(e.record);
    char rid[16] = "-", key[16] = "-";
    if (r.rid >= 0)
      g_snprintf(rid, sizeof rid, "R%d", r.rid);
    if (r.key >= 0)
      g_snprintf(key, sizeof key, "k%d", r.key);
    g_ptr_array_add(run, g_strdup_printf("L%d/%s/%s@%" G_GINT64_FORMAT, r.lid, rid, key, r.ts));
  }
  flush_run(got, run);
  g_assert_cmpstr(got->str, ==, want);
  g_ptr_array_unref(run);
  g_string_free(got, TRUE);
}
