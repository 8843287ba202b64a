/* test-log-connector.c — two pipelines in one process exchanging records
 * through a rill_log: one writes a topic with the log sink, the other reads
 * it with the log source (bounded, following live appends, and resuming
 * from a checkpoint at the offsets it recorded). Keyed
 * records must land where librdkafka's murmur2 partitioner (Kafka's Java
 * default) puts them. */
#include <rill/rill.h>

#include "tests/log/test-batch.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>

#define N 3000
#define PARTS 3

/* state: {next, end}; user data: an int start (NULL = 0), N records from it. */
static rill_flow gen_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  int *i = state;
  for (int k = 0; k < 100 && *i < i[1]; k++, (*i)++) {
    char key[16], value[32];
    g_snprintf(key, sizeof key, "k%d", *i % 50);
    g_snprintf(value, sizeof value, "v%d", *i);
    rill_header h = {rill_bytes_from_string("h"), rill_bytes_from_string(key)};
    rill_record r = RILL_RECORD_INIT;
    r.key = rill_bytes_from_string(*i % 10 == 9 ? NULL : key); /* some null keys */
    r.value = rill_bytes_from_string(value);
    r.timestamp = 1000 + *i;
    r.headers = &h;
    r.n_headers = 1;
    rill_flow f = rill_emit_record(out, &r);
    if (f != RILL_FLOW_OK)
      return f;
  }
  return *i < i[1] ? RILL_FLOW_OK : RILL_FLOW_EOS;
}

static gboolean gen_open(rill_ctx *ctx, void *ud, const guint *splits, guint n, void **state, GError **e)
{
  int *i = g_new0(int, 2);
  i[0] = ud ? *(int *)ud : 0;
  i[1] = i[0] + N;
  *state = i;
  return TRUE;
}

static void gen_close(rill_ctx *ctx, void *state) { g_free(state); }

static const rill_source_class gen_class = {.type_name = "gen", .open = gen_open, .read = gen_read, .close = gen_close};

typedef struct {
  GMutex lock;
  GPtrArray *seen; /* "partition offset key value ts hdr" lines */
  rill_pipeline *stop_at_n;
} collect;

static rill_flow collect_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  collect *c = state;
  const rill_record *r = rill_batch_records(batch);
  g_mutex_lock(&c->lock);
  for (size_t i = 0; i < rill_batch_len(batch); i++) {
    const rill_bytes *h = rill_record_header(&r[i], "h");
    g_assert_cmpstr(r[i].topic, ==, "t");
    g_ptr_array_add(c->seen, g_strdup_printf("%d %" G_GINT64_FORMAT " %.*s %.*s %" G_GINT64_FORMAT " %.*s",
                                             r[i].partition, r[i].offset, r[i].key.data ? (int)r[i].key.len : 1,
                                             r[i].key.data ? (const char *)r[i].key.data : "-", (int)r[i].value.len,
                                             (const char *)r[i].value.data, r[i].timestamp, h ? (int)h->len : 0,
                                             h ? (const char *)h->data : ""));
  }
  if (c->stop_at_n && c->seen->len >= N)
    rill_pipeline_stop(c->stop_at_n, TRUE);
  g_mutex_unlock(&c->lock);
  return RILL_FLOW_OK;
}

static gboolean collect_open(rill_ctx *ctx, void *ud, void **state, GError **e)
{
  *state = ud;
  return TRUE;
}

static const rill_sink_class collect_class = {.type_name = "collect", .open = collect_open, .write = collect_write};

static void write_pipeline(rill_log *log)
{
  GError *e = NULL;
  rill_pipeline *p = rill_pipeline_new("writer");
  rill_stage *s = rill_pipeline_add_source(p, "gen", &gen_class, NULL, NULL);
  rill_log_sink_options so = {log, "t", 1 /* gzip */};
  g_assert_nonnull(rill_pipeline_add_log_sink(p, "to-log", s, &so, &e));
  g_assert_true(rill_pipeline_run(p, &e));
  g_assert_no_error(e);
  rill_pipeline_unref(p);
}

/* Every record once, keyed ones on librdkafka's partition, every
 * (partition, offset) once. */
static void check_seen(GPtrArray *seen)
{
  g_assert_cmpuint(seen->len, ==, N);
  GHashTable *values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < seen->len; i++) {
    int part;
    int64_t off, ts;
    char key[32], value[32], hdr[32];
    g_assert_cmpint(sscanf(seen->pdata[i], "%d %" G_GINT64_FORMAT " %31s %31s %" G_GINT64_FORMAT " %31s", &part, &off,
                           key, value, &ts, hdr), ==, 6);
    int v = atoi(value + 1);
    g_assert_cmpint(ts, ==, 1000 + v);
    g_assert_true(g_hash_table_add(values, g_strdup(value)));
    g_assert_true(g_hash_table_add(values, g_strdup_printf("%d:%" G_GINT64_FORMAT, part, off)));
    if (v % 10 != 9) {
      g_assert_cmpstr(key, ==, hdr);
      int32_t want = rd_kafka_msg_partitioner_murmur2(NULL, key, strlen(key), PARTS, NULL, NULL);
      g_assert_cmpint(part, ==, want);
    } else {
      g_assert_cmpstr(key, ==, "-");
    }
  }
  g_hash_table_unref(values);
}

static void test_bounded(void)
{
  g_autofree char *dir = test_tmpdir();
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, NULL, &e);
  g_assert_true(rill_log_topic_create(log, "t", PARTS, NULL, &e));
  write_pipeline(log);
  collect c = {.seen = g_ptr_array_new_with_free_func(g_free)};
  g_mutex_init(&c.lock);
  rill_pipeline *p = rill_pipeline_new("reader");
  rill_pipeline_set_parallelism(p, 2); /* 3 partitions over 2 tasks */
  rill_log_source_options so = {log, "t", NULL, 0, RILL_LOG_FROM_EARLIEST, 0, FALSE};
  rill_stage *s = rill_pipeline_add_log_source(p, "from-log", &so, &e);
  g_assert_no_error(e);
  rill_pipeline_add_sink(p, "collect", s, &collect_class, &c, NULL);
  g_assert_true(rill_pipeline_run(p, &e));
  g_assert_no_error(e);
  rill_pipeline_unref(p);
  check_seen(c.seen);
  /* Offsets as the log reports them: each partition 0..hwm-1 exactly once. */
  int64_t total = 0;
  for (int i = 0; i < PARTS; i++) {
    rill_log_partition_info info;
    g_assert_true(rill_log_partition_info_get(log, "t", i, &info, NULL));
    total += info.high_watermark;
  }
  g_assert_cmpint(total, ==, N);
  g_ptr_array_unref(c.seen);
  g_mutex_clear(&c.lock);
  /* Unknown topic / partition are reported at build time. */
  p = rill_pipeline_new("bad");
  rill_log_source_options bad = {log, "nope", NULL, 0, RILL_LOG_FROM_EARLIEST, 0, FALSE};
  g_assert_null(rill_pipeline_add_log_source(p, "x", &bad, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC);
  g_clear_error(&e);
  int32_t nine = 9;
  rill_log_source_options bad2 = {log, "t", &nine, 1, RILL_LOG_FROM_EARLIEST, 0, FALSE};
  g_assert_null(rill_pipeline_add_log_source(p, "y", &bad2, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC);
  g_clear_error(&e);
  rill_pipeline_unref(p);
  rill_log_close(log);
  test_rm_rf(dir);
}

static gpointer run_thread(gpointer p)
{
  GError *e = NULL;
  gboolean ok = rill_pipeline_run(p, &e);
  g_assert_no_error(e);
  return GINT_TO_POINTER(ok);
}

/* The reader runs while the writer appends, following: it sees each append,
 * woken by log waiters, and stops itself once it has everything. (From
 * earliest: the writer may append before the reader's tasks open.) */
static void test_follow(void)
{
  g_autofree char *dir = test_tmpdir();
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, NULL, &e);
  g_assert_true(rill_log_topic_create(log, "t", PARTS, NULL, &e));
  collect c = {.seen = g_ptr_array_new_with_free_func(g_free)};
  g_mutex_init(&c.lock);
  rill_pipeline *p = rill_pipeline_new("follower");
  c.stop_at_n = p;
  rill_log_source_options so = {log, "t", NULL, 0, RILL_LOG_FROM_EARLIEST, 0, TRUE};
  rill_stage *s = rill_pipeline_add_log_source(p, "from-log", &so, &e);
  rill_pipeline_add_sink(p, "collect", s, &collect_class, &c, NULL);
  GThread *t = g_thread_new("follower", run_thread, p);
  write_pipeline(log);
  g_thread_join(t);
  rill_pipeline_unref(p);
  check_seen(c.seen);
  g_ptr_array_unref(c.seen);
  g_mutex_clear(&c.lock);
  rill_log_close(log);
  test_rm_rf(dir);
}

/* ---- checkpoints: the log source resumes at its checkpointed offsets ---- */

typedef struct {
  GMutex lock;
  GPtrArray *values;        /* record values, in arrival order */
  guint stop_at;            /* drain the pipeline once this many arrived (0: never) */
  rill_pipeline *pipeline;
} ck_collect;

static rill_flow ck_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  ck_collect *c = state;
  const rill_record *r = rill_batch_records(batch);
  g_mutex_lock(&c->lock);
  for (size_t i = 0; i < rill_batch_len(batch); i++)
    g_ptr_array_add(c->values, g_strndup((const char *)r[i].value.data, r[i].value.len));
  if (c->stop_at && c->values->len >= c->stop_at)
    rill_pipeline_stop(c->pipeline, TRUE);
  g_mutex_unlock(&c->lock);
  return RILL_FLOW_OK;
}

static rill_flow ck_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  ck_collect *c = state;
  g_mutex_lock(&c->lock);
  guint32 n = c->values->len;
  g_mutex_unlock(&c->lock);
  g_byte_array_append(out, (const guint8 *)&n, 4);
  return RILL_FLOW_OK;
}

static gboolean ck_restore(rill_ctx *ctx, void *state, const uint8_t *data, size_t len, GError **error)
{
  ck_collect *c = state;
  guint32 n;
  g_assert_cmpuint(len, ==, 4);
  memcpy(&n, data, 4);
  g_mutex_lock(&c->lock);
  g_assert_cmpuint(n, <=, c->values->len);
  g_ptr_array_set_size(c->values, n);
  g_mutex_unlock(&c->lock);
  return TRUE;
}

static const rill_sink_class ck_collect_class = {.type_name = "collect",
                                                 .open = collect_open,
                                                 .write = ck_write,
                                                 .snapshot = ck_snapshot,
                                                 .restore = ck_restore};

static rill_pipeline *ck_reader(rill_log *log, const char *ckpt, ck_collect *c)
{
  GError *e = NULL;
  rill_pipeline *p = rill_pipeline_new("ck-reader");
  g_assert_true(rill_pipeline_enable_checkpoints(p, ckpt, 10, 2, &e));
  rill_log_source_options so = {log, "t", NULL, 0, RILL_LOG_FROM_EARLIEST, 0, TRUE};
  rill_stage *s = rill_pipeline_add_log_source(p, "from-log", &so, &e);
  g_assert_no_error(e);
  rill_pipeline_add_sink(p, "collect", s, &ck_collect_class, c, NULL);
  c->pipeline = p;
  return p;
}

static gpointer run_any(gpointer p)
{
  GError *e = NULL;
  gboolean ok = rill_pipeline_run(p, &e);
  g_clear_error(&e);
  return GINT_TO_POINTER(ok);
}

static guint ck_count(ck_collect *c)
{
  g_mutex_lock(&c->lock);
  guint n = c->values->len;
  g_mutex_unlock(&c->lock);
  return n;
}

/* Run 1 follows the topic, reads all N records, and is stopped at once (no
 * drain, like a crash) after a checkpoint taken once it had them all. N more
 * records are appended; run 2 restores that checkpoint and must read only
 * the new ones: every value exactly once in the collected output. */
static void test_checkpoint_resume(void)
{
  g_autofree char *dir = test_tmpdir();
  g_autofree char *ckpt = g_build_filename(dir, "ckpt", NULL);
  g_autofree char *logdir = g_build_filename(dir, "log", NULL);
  GError *e = NULL;
  rill_log *log = rill_log_open(logdir, NULL, &e);
  g_assert_no_error(e);
  g_assert_true(rill_log_topic_create(log, "t", PARTS, NULL, &e));
  write_pipeline(log); /* v0 .. v(N-1) */

  ck_collect c = {.values = g_ptr_array_new_with_free_func(g_free)};
  g_mutex_init(&c.lock);
  rill_pipeline *p = ck_reader(log, ckpt, &c);
  GThread *t = g_thread_new("ck-reader", run_any, p);
  while (ck_count(&c) < N)
    g_usleep(2000);
  guint64 after = rill_pipeline_get_last_checkpoint(p);
  while (rill_pipeline_get_last_checkpoint(p) <= after)
    g_usleep(2000);
  rill_pipeline_stop(p, FALSE);
  g_assert_false(GPOINTER_TO_INT(g_thread_join(t)));
  guint64 resume = rill_pipeline_get_last_checkpoint(p);
  rill_pipeline_unref(p);
  g_assert_cmpuint(rill_checkpoint_latest(ckpt), ==, resume);

  /* N more records: values vN .. v(2N-1). */
  rill_pipeline *w = rill_pipeline_new("writer2");
  int start = N;
  rill_stage *s = rill_pipeline_add_source(w, "gen", &gen_class, &start, NULL);
  rill_log_sink_options so = {log, "t", 0};
  g_assert_nonnull(rill_pipeline_add_log_sink(w, "to-log", s, &so, &e));
  g_assert_true(rill_pipeline_run(w, &e));
  g_assert_no_error(e);
  rill_pipeline_unref(w);

  c.stop_at = 2 * N;
  p = ck_reader(log, ckpt, &c);
  t = g_thread_new("ck-reader", run_any, p);
  g_assert_true(GPOINTER_TO_INT(g_thread_join(t)));
  g_assert_cmpuint(rill_pipeline_get_restored_checkpoint(p), ==, resume);
  rill_pipeline_unref(p);

  g_assert_cmpuint(c.values->len, ==, 2 * N);
  GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < c.values->len; i++)
    if (!g_hash_table_add(seen, c.values->pdata[i]))
      g_error("value %s read twice", (char *)c.values->pdata[i]);
  g_hash_table_unref(seen);
  g_ptr_array_unref(c.values);
  g_mutex_clear(&c.lock);
  rill_log_close(log);
  test_rm_rf(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/log-connector/bounded", test_bounded);
  g_test_add_func("/log-connector/follow", test_follow);
  g_test_add_func("/log-connector/checkpoint-resume", test_checkpoint_resume);
  return g_test_run();
}
