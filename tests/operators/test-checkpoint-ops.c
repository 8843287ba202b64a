/* test-checkpoint-ops.c — snapshot/restore round trips for every stateful
 * operator family: windows (tumbling, hopping, session), running
 * aggregates, dedupe, top-N, keyed_process state, and the window, interval
 * and table joins — one of them chained: both its inputs are branches of
 * one source's task (forward edges), so barriers reach it from its two
 * inputs inside that task, and it must snapshot once, after both.
 *
 * Each case runs a pipeline three ways at P=2: uninterrupted (reference);
 * then with checkpoints, where every source task emits half its records,
 * waits until a checkpoint taken at that point is complete and fails (the
 * pipeline dies with state in every operator); then again from the same
 * checkpoint directory without the failure. A collecting sink keeps what it
 * received per task and, like the file sink, goes back to its checkpointed
 * length on restore. What it holds at the end must equal the reference:
 * state and positions came back exactly. Events are out of order within the
 * watermark bound, so no record is late and results do not depend on how
 * the runs were batched.
 */
#include <rill/rill.h>

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#define P 2
#define OOO_MS 1000

/* ---- a deterministic, restartable source -------------------------------- */

typedef struct {
  guint n;           /* records per task */
  guint keys;
  char tag;          /* value "<tag><id>"; 0: value is (id % 97) */
  gboolean crash;    /* fail once a checkpoint taken at the half completed */
} gen_conf;

typedef struct {
  const gen_conf *c;
  guint task;
  guint next;
  guint64 half_ckpt; /* the checkpoint snapshotted at n / 2 */
  gboolean crash_now;
} gen_state;

static gboolean gen_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n_splits, void **state,
                         GError **error)
{
  gen_state *s = g_new0(gen_state, 1);
  s->c = user_data;
  s->task = splits[0];
  *state = s;
  return TRUE;
}

static rill_flow gen_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  gen_state *s = state;
  const gen_conf *c = s->c;
  guint half = c->n / 2;
  if (s->next >= c->n)
    return RILL_FLOW_EOS;
  if (c->crash && s->next == half) {
    if (s->crash_now) {
      rill_ctx_fail(ctx, "simulated crash");
      return RILL_FLOW_ERROR;
    }
    g_usleep(1000);
    return RILL_FLOW_OK;
  }
  guint stop = MIN(c->n, s->next + 40);
  if (c->crash && s->next < half)
    stop = MIN(stop, half);
  for (; s->next < stop; s->next++) {
    guint g = s->next * P + s->task;
    char key[16], value[16];
    g_snprintf(key, sizeof key, "k%u", g % c->keys);
    if (c->tag)
      g_snprintf(value, sizeof value, "%c%u", c->tag, g);
    else
      g_snprintf(value, sizeof value, "%u", g % 97);
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_make(key, strlen(key));
    r.value = rill_bytes_make(value, strlen(value));
    r.timestamp = 1700000000000 + (int64_t)g * 10 + (int64_t)((g * 7919u) % 300);
    rill_flow flow = rill_emit_record(out, &r);
    if (flow != RILL_FLOW_OK)
      return flow;
  }
  return RILL_FLOW_OK;
}

static void gen_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static rill_flow gen_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  gen_state *s = state;
  if (s->c->crash && s->next == s->c->n / 2 && !s->half_ckpt)
    s->half_ckpt = id;
  guint32 v = s->next;
  g_byte_array_append(out, (const guint8 *)&v, 4);
  return RILL_FLOW_OK;
}

static gboolean gen_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  gen_state *s = state;
  g_assert_cmpuint(len, ==, 4);
  guint32 v;
  memcpy(&v, data, 4);
  s->next = v;
  return TRUE;
}

static void gen_complete(rill_ctx *ctx, void *state, uint64_t id)
{
  gen_state *s = state;
  if (s->half_ckpt && id >= s->half_ckpt)
    s->crash_now = TRUE;
}

static guint gen_splits(void *user_data, guint parallelism)
{
  return P;
}

static const rill_source_class gen_class = {
  .type_name = "gen",
  .n_splits = gen_splits,
  .open = gen_open,
  .read = gen_read,
  .close = gen_close,
  .snapshot = gen_snapshot,
  .restore = gen_restore,
  .on_checkpoint_complete = gen_complete,
};

/* ---- a collecting sink that restores like the file sink ----------------- */

typedef struct {
  GPtrArray *rows[P]; /* char *, per task */
} collected;

typedef struct {
  collected *c;
  guint task;
} col_state;

static gboolean col_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  col_state *s = g_new0(col_state, 1);
  s->c = user_data;
  s->task = rill_ctx_task_index(ctx);
  *state = s;
  return TRUE;
}

static rill_flow col_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  col_state *s = state;
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    GString *row = g_string_new(NULL);
    g_string_append_printf(row, "%.*s|%.*s|%" G_GINT64_FORMAT, (int)r[i].key.len, (const char *)r[i].key.data,
                           (int)r[i].value.len, (const char *)r[i].value.data, r[i].timestamp);
    for (guint h = 0; h < r[i].n_headers; h++) {
      const rill_header *hd = &r[i].headers[h];
      if (hd->key.len == strlen(RILL_AGGREGATE_HEADER_UPDATE) &&
          !memcmp(hd->key.data, RILL_AGGREGATE_HEADER_UPDATE, hd->key.len))
        continue; /* how often a running aggregate updated depends on batching */
      g_string_append_printf(row, "|%.*s=%.*s", (int)hd->key.len, (const char *)hd->key.data, (int)hd->value.len,
                             (const char *)hd->value.data);
    }
    g_ptr_array_add(s->c->rows[s->task], g_string_free(row, FALSE));
  }
  return RILL_FLOW_OK;
}

static void col_close(rill_ctx *ctx, void *state)
{
  g_free(state);
}

static rill_flow col_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  col_state *s = state;
  guint32 n = s->c->rows[s->task]->len;
  g_byte_array_append(out, (const guint8 *)&n, 4);
  return RILL_FLOW_OK;
}

static gboolean col_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  col_state *s = state;
  guint32 n;
  g_assert_cmpuint(len, ==, 4);
  memcpy(&n, data, 4);
  g_assert_cmpuint(n, <=, s->c->rows[s->task]->len);
  g_ptr_array_set_size(s->c->rows[s->task], n);
  return TRUE;
}

static const rill_sink_class col_class = {
  .type_name = "collect",
  .open = col_open,
  .write = col_write,
  .close = col_close,
  .snapshot = col_snapshot,
  .restore = col_restore,
};

/* ---- the cases ---------------------------------------------------------- */

typedef enum {
  F_TUMBLING,
  F_HOPPING,
  F_SESSION,
  F_RUNNING,
  F_DEDUPE,
  F_TOPN,
  F_KEYED,
  F_JOIN_WINDOW,
  F_JOIN_INTERVAL,
  F_JOIN_TABLE,
  F_JOIN_CHAINED,
} family;

/* The chained join's left branch: the value prefixed with 'L'. */
static rill_flow tag_left(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  uint8_t *v = rill_ctx_alloc(ctx, in->value.len + 1);
  v[0] = 'L';
  memcpy(v + 1, in->value.data, in->value.len);
  out->value = rill_bytes_make(v, in->value.len + 1);
  return RILL_FLOW_OK;
}

/* Its right branch: the records with an even value. */
static rill_verdict even_value(rill_ctx *ctx, const rill_record *in, void *user_data)
{
  return (in->value.data[in->value.len - 1] - '0') % 2 == 0 ? RILL_VERDICT_KEEP : RILL_VERDICT_DROP;
}

static rill_stage *timed(rill_pipeline *pl, const char *name, const gen_conf *c)
{
  rill_stage *s = rill_pipeline_add_source(pl, name, &gen_class, (void *)c, NULL);
  rill_watermark_options wo = {.max_out_of_orderness_ms = OOO_MS};
  char *wn = g_strconcat(name, ".wm", NULL), *kn = g_strconcat(name, ".by", NULL);
  s = rill_pipeline_add_watermarks(pl, wn, s, &wo);
  s = rill_pipeline_add_key_by(pl, kn, s, NULL, NULL, NULL);
  g_free(wn);
  g_free(kn);
  return s;
}

static rill_flow count_per_key(rill_ctx *ctx, const rill_record *record, rill_state_store *store, rill_emitter *out,
                               void *user_data)
{
  rill_state *st = rill_state_store_get(store, "n", RILL_STATE_COUNTER);
  int64_t n = rill_counter_state_add(st, 1);
  rill_value_state_set(rill_state_store_get(store, "last", RILL_STATE_VALUE), record->value.data, record->value.len);
  char buf[32];
  g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, n);
  rill_record r = *record;
  r.value = rill_bytes_make(buf, strlen(buf));
  return rill_emit_record(out, &r);
}

/* Runs @f once; returns whether the run succeeded. */
static gboolean run_case(family f, collected *col, const char *ckpt_dir, gboolean crash, guint64 *restored)
{
  gen_conf a = {.n = 300, .keys = 10, .tag = 0, .crash = crash};
  gen_conf l = {.n = 300, .keys = 10, .tag = 'L', .crash = crash};
  gen_conf r = {.n = 300, .keys = 10, .tag = 'R', .crash = crash};
  rill_pipeline *pl = rill_pipeline_new("ops");
  rill_pipeline_set_parallelism(pl, P);
  GError *error = NULL;
  if (ckpt_dir)
    g_assert_true(rill_pipeline_enable_checkpoints(pl, ckpt_dir, 10, 3, &error));
  rill_stage *s = NULL;
  rill_window_spec spec;
  rill_join *join = NULL;
  switch (f) {
  case F_TUMBLING:
    spec = rill_window_tumbling(500);
    s = rill_pipeline_add_window(pl, "op", timed(pl, "src", &a), &spec, rill_aggregate_count());
    break;
  case F_HOPPING:
    spec = rill_window_hopping(1000, 250);
    s = rill_pipeline_add_window(pl, "op", timed(pl, "src", &a), &spec, rill_aggregate_sum(NULL, NULL));
    break;
  case F_SESSION:
    spec = rill_window_session(40);
    s = rill_pipeline_add_window(pl, "op", timed(pl, "src", &a), &spec, rill_aggregate_count());
    break;
  case F_RUNNING:
    s = rill_pipeline_add_aggregate(pl, "op", timed(pl, "src", &a), rill_aggregate_max(NULL, NULL));
    break;
  case F_DEDUPE:
    s = rill_pipeline_add_dedupe(pl, "op", timed(pl, "src", &a), 120);
    break;
  case F_TOPN:
    spec = rill_window_tumbling(500);
    s = rill_pipeline_add_window(pl, "win", timed(pl, "src", &a), &spec, rill_aggregate_sum(NULL, NULL));
    s = rill_pipeline_add_window_top_n(pl, "op", s, 3);
    break;
  case F_KEYED:
    s = rill_pipeline_add_keyed_process(pl, "op", timed(pl, "src", &a), count_per_key, NULL, NULL);
    break;
  case F_JOIN_WINDOW:
    join = rill_join_window_new(RILL_JOIN_LEFT, 500, &error);
    break;
  case F_JOIN_INTERVAL:
    join = rill_join_interval_new(RILL_JOIN_LEFT, 300, 500, &error); /* matches span the crash */
    break;
  case F_JOIN_TABLE:
    join = rill_join_table_new(RILL_JOIN_LEFT, &error);
    break;
  case F_JOIN_CHAINED: {
    /* The source's records carry their keys: no key_by, every edge is
     * forward, and each task joins its own records. */
    rill_watermark_options wo = {.max_out_of_orderness_ms = OOO_MS};
    rill_stage *src = rill_pipeline_add_source(pl, "src", &gen_class, &a, NULL);
    rill_stage *wm = rill_pipeline_add_watermarks(pl, "src.wm", src, &wo);
    rill_stage *left = rill_pipeline_add_map(pl, "left", wm, tag_left, NULL, NULL);
    rill_stage *right = rill_pipeline_add_filter(pl, "right", wm, even_value, NULL, NULL);
    join = rill_join_window_new(RILL_JOIN_LEFT, 500, &error);
    g_assert_no_error(error);
    s = rill_pipeline_add_join(pl, "op", left, right, join);
    rill_join_unref(join);
    join = NULL;
    break;
  }
  }
  g_assert_no_error(error);
  if (join) {
    rill_stage *left = timed(pl, "left", &l), *right = timed(pl, "right", &r);
    s = rill_pipeline_add_join(pl, "op", left, right, join);
    rill_join_unref(join);
  }
  rill_pipeline_add_sink(pl, "out", s, &col_class, col, NULL);
  gboolean ok = rill_pipeline_run(pl, &error);
  if (f == F_JOIN_CHAINED) {
    guint n;
    rill_stage_metrics *m = rill_pipeline_get_metrics(pl, &n);
    for (guint i = 0; i < n; i++) /* one chain: the join runs in the source's tasks */
      g_assert_cmpuint(m[i].task_thread, ==, m[0].task_thread);
    g_free(m);
  }
  if (!ok && !crash)
    g_error("run failed: %s", error->message);
  if (!ok)
    g_assert_nonnull(strstr(error->message, "simulated crash"));
  g_clear_error(&error);
  if (restored)
    *restored = rill_pipeline_get_restored_checkpoint(pl);
  rill_pipeline_unref(pl);
  return ok;
}

static void collected_init(collected *c)
{
  for (guint i = 0; i < P; i++)
    c->rows[i] = g_ptr_array_new_with_free_func(g_free);
}

static void collected_clear(collected *c)
{
  for (guint i = 0; i < P; i++)
    g_ptr_array_unref(c->rows[i]);
}

/* Rows as a sorted list; running aggregates: only each key's last row. */
static GPtrArray *rows_of(collected *c, family f)
{
  GPtrArray *all = g_ptr_array_new();
  for (guint t = 0; t < P; t++) {
    GHashTable *last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < c->rows[t]->len; i++) {
      char *row = c->rows[t]->pdata[i];
      if (f != F_RUNNING) {
        g_ptr_array_add(all, row);
        continue;
      }
      char *key = g_strndup(row, (gsize)(strchr(row, '|') - row));
      g_hash_table_replace(last, key, row);
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, last);
    while (g_hash_table_iter_next(&it, &k, &v))
      g_ptr_array_add(all, v);
    g_hash_table_unref(last);
  }
  return all;
}

static int cmp_rows(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_family(gconstpointer data)
{
  family f = (family)GPOINTER_TO_INT(data);
  collected ref, got;
  collected_init(&ref);
  collected_init(&got);
  g_assert_true(run_case(f, &ref, NULL, FALSE, NULL));

  char *dir = g_dir_make_tmp("rill-ckpt-ops-XXXXXX", NULL);
  guint64 restored = 0;
  g_assert_false(run_case(f, &got, dir, TRUE, NULL));
  guint64 latest = rill_checkpoint_latest(dir);
  g_assert_cmpuint(latest, >=, 1);
  g_assert_true(run_case(f, &got, dir, FALSE, &restored));
  g_assert_cmpuint(restored, ==, latest);

  GPtrArray *want = rows_of(&ref, f), *have = rows_of(&got, f);
  g_ptr_array_sort(want, cmp_rows);
  g_ptr_array_sort(have, cmp_rows);
  g_assert_cmpuint(want->len, >, 0);
  for (guint i = 0; i < MIN(want->len, have->len); i++)
    if (strcmp(want->pdata[i], have->pdata[i]) != 0)
      g_error("row %u: want '%s', have '%s'", i, (char *)want->pdata[i], (char *)have->pdata[i]);
  g_assert_cmpuint(have->len, ==, want->len);
  g_ptr_array_unref(want);
  g_ptr_array_unref(have);
  collected_clear(&ref);
  collected_clear(&got);
  char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(cmd);
  g_free(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  static const struct {
    const char *name;
    family f;
  } cases[] = {
    {"tumbling", F_TUMBLING},       {"hopping", F_HOPPING},       {"session", F_SESSION},
    {"running-aggregate", F_RUNNING}, {"dedupe", F_DEDUPE},       {"top-n", F_TOPN},
    {"keyed-state", F_KEYED},       {"join-window", F_JOIN_WINDOW}, {"join-interval", F_JOIN_INTERVAL},
    {"join-table", F_JOIN_TABLE},   {"join-chained", F_JOIN_CHAINED},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *path = g_strdup_printf("/checkpoint/round-trip/%s", cases[i].name);
    g_test_add_data_func(path, GINT_TO_POINTER(cases[i].f), check_family);
    g_free(path);
  }
  return g_test_run();
}
