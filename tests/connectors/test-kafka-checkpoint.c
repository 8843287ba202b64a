/* test-kafka-checkpoint.c — the Kafka source in a checkpointing pipeline,
 * against librdkafka's mock cluster (3 brokers).
 *
 * Exactly once across a failure: P = 2 source tasks read a 4-partition
 * topic (manual assignment) into the file sink, checkpointing every 5 ms; a
 * map fails the pipeline once half the records went through and at least
 * one checkpoint completed, so records after the last checkpoint were
 * already written. A second run from the same checkpoint directory restores
 * the source positions and the sink's files: together the sink's files must
 * hold every produced value exactly once.
 *
 * Group mode commits what completed checkpoints cover, and nothing else:
 * while a group member reads with checkpoints on (P = 1, everything chained
 * in one task, so the sink has seen exactly what the source emitted before
 * each barrier), the group's committed offsets (read with librdkafka) always
 * add up to a count the sink recorded at some barrier, never to anything in
 * between (auto.commit.interval.ms = 1 would commit at every fetch), and
 * once a checkpoint after the last record completed they reach the end of
 * every partition. */
#include "kafka-mock.h"

#include <rill/checkpoint.h>
#include <rill/file.h>

#include <glib/gstdio.h>

#define N 4000
#define ROUNDS 40

typedef struct {
  rill_pipeline *pipeline; /* not refcounted */
  gboolean crash;
  gint seen;
} crasher;

/* N records "<prefix><round>-<i>" in ROUNDS flushes: many small batches,
 * so a fetch returns few records and barriers (injected between fetches)
 * fall mid-stream. */
static void produce_rounds(kmock *m, const char *topic, const char *codec, const char *prefix)
{
  for (int round = 0; round < ROUNDS; round++) {
    char p[16];
    g_snprintf(p, sizeof p, "%s%d-", prefix, round);
    kmock_produce(m, topic, codec, p, N / ROUNDS);
  }
}

static rill_flow crash_map(rill_ctx *ctx, const rill_record *in, rill_record *out, void *user_data)
{
  crasher *c = user_data;
  gint seen = g_atomic_int_add(&c->seen, 1) + 1;
  gboolean checkpointed = rill_pipeline_get_last_checkpoint(c->pipeline) >= 1;
  /* Slow until a checkpoint completed (it needs this task to return to the
   * source between reads, so waiting here would block it), then fail at
   * the half: records after that checkpoint were written already. */
  if (!checkpointed || seen % 5 == 0)
    g_usleep(1000);
  if (c->crash && seen >= N / 2 && checkpointed) {
    rill_ctx_fail(ctx, "simulated crash");
    return RILL_FLOW_ERROR;
  }
  return RILL_FLOW_OK;
}

static gboolean run(kmock *m, const char *dir, const char *out, gboolean crash, guint64 *restored, GError **error)
{
  rill_kafka_conf *conf = kmock_conf(m, "fetch.wait.max.ms", "20", "max.partition.fetch.bytes", "3000", NULL);
  rill_pipeline *p = rill_pipeline_new("kafka-ckpt");
  rill_pipeline_set_parallelism(p, 2);
  g_assert_true(rill_pipeline_enable_checkpoints(p, dir, 5, 2, NULL));
  crasher c = {p, crash, 0};
  rill_kafka_source_options o = {.topic = "ck", .conf = conf, .from = RILL_KAFKA_FROM_EARLIEST, .stop_at_end = TRUE};
  rill_stage *s = rill_pipeline_add_kafka_source(p, "kafka", &o, NULL);
  g_assert_nonnull(s);
  rill_stage *mp = rill_pipeline_add_map(p, "crasher", s, crash_map, &c, NULL);
  rill_pipeline_add_file_sink(p, "out", mp, rill_file_sink_new(out, RILL_FILE_FORMAT_LINES));
  gboolean ok = rill_pipeline_run(p, error);
  g_test_message("run: crash=%d seen=%d last checkpoint %" G_GUINT64_FORMAT, crash, c.seen, rill_pipeline_get_last_checkpoint(p));
  if (restored)
    *restored = rill_pipeline_get_restored_checkpoint(p);
  rill_pipeline_unref(p);
  rill_kafka_conf_free(conf);
  return ok;
}

/* Every line of every file in @dir, counted. */
static GHashTable *read_lines(const char *dir)
{
  GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GDir *d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    if (name[0] == '.')
      continue; /* temp files of the sink */
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
      if (!*lines[i])
        continue;
      gpointer n = g_hash_table_lookup(counts, lines[i]);
      g_hash_table_replace(counts, g_strdup(lines[i]), GINT_TO_POINTER(GPOINTER_TO_INT(n) + 1));
    }
  }
  g_dir_close(d);
  return counts;
}

static void test_exactly_once_after_failure(void)
{
  kmock *m = kmock_new(3);
  rd_kafka_mock_topic_create(m->mcluster, "ck", 4, 1);
  produce_rounds(m, "ck", "lz4", "v");
  g_autofree char *tmp = g_dir_make_tmp("rill-kafka-ckpt-XXXXXX", NULL);
  g_autofree char *ckdir = g_build_filename(tmp, "checkpoints", NULL);
  g_autofree char *outdir = g_build_filename(tmp, "out", NULL);
  g_assert_cmpint(g_mkdir(outdir, 0755), ==, 0);
  g_autofree char *out = g_build_filename(outdir, "values.txt", NULL);

  GError *error = NULL;
  g_assert_false(run(m, ckdir, out, TRUE, NULL, &error));
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, "simulated crash"));
  g_clear_error(&error);
  g_assert_cmpuint(rill_checkpoint_latest(ckdir), >=, 1);

  guint64 restored = 0;
  g_assert_true(run(m, ckdir, out, FALSE, &restored, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(restored, >=, 1);

  g_autoptr(GHashTable) counts = read_lines(outdir);
  g_assert_cmpuint(g_hash_table_size(counts), ==, N);
  for (int round = 0; round < ROUNDS; round++)
    for (int i = 0; i < N / ROUNDS; i++) {
      char v[32];
      g_snprintf(v, sizeof v, "v%d-%d", round, i);
      g_assert_cmpint(GPOINTER_TO_INT(g_hash_table_lookup(counts, v)), ==, 1);
    }
  g_autofree char *rm = g_strdup_printf("rm -rf '%s'", tmp);
  g_assert_cmpint(system(rm), ==, 0);
  kmock_free(m);
}

/* Sum of the committed offsets of @group on @topic's @n partitions (-1: none). */
static int64_t committed_sum(kmock *m, const char *group, const char *topic, int n)
{
  char err[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", m->bootstraps, err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", group, err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  g_assert_nonnull(c);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
  for (int p = 0; p < n; p++)
    rd_kafka_topic_partition_list_add(l, topic, p);
  g_assert_cmpint(rd_kafka_committed(c, l, 10000), ==, RD_KAFKA_RESP_ERR_NO_ERROR);
  int64_t sum = 0;
  for (int p = 0; p < n; p++)
    sum += l->elems[p].offset >= 0 ? l->elems[p].offset : 0;
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_destroy(c);
  return sum;
}

/* A sink counting records and, at each barrier, remembering the count. */
typedef struct {
  GMutex lock;
  gint64 count;
  GHashTable *at_barrier; /* counts seen at barriers (as keys) */
} count_sink;

static gboolean count_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static rill_flow count_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  count_sink *k = state;
  g_mutex_lock(&k->lock);
  k->count += (gint64)rill_batch_len(batch);
  g_mutex_unlock(&k->lock);
  g_usleep(1000 * (rill_batch_len(batch) / 4)); /* ~1 s for everything: checkpoints happen mid-stream */
  return RILL_FLOW_OK;
}

static rill_flow count_snapshot(rill_ctx *ctx, void *state, uint64_t id, GByteArray *out)
{
  count_sink *k = state;
  g_mutex_lock(&k->lock);
  g_hash_table_add(k->at_barrier, g_memdup2(&k->count, sizeof k->count));
  g_mutex_unlock(&k->lock);
  return RILL_FLOW_OK;
}

static const rill_sink_class count_class = {
  .type_name = "count", .open = count_open, .write = count_write, .snapshot = count_snapshot};

static void test_group_commits_follow_checkpoints(void)
{
  kmock *m = kmock_new(3);
  rd_kafka_mock_topic_create(m->mcluster, "gk", 2, 1);
  produce_rounds(m, "gk", "none", "g");
  g_autofree char *tmp = g_dir_make_tmp("rill-kafka-ckpt-XXXXXX", NULL);
  rill_kafka_conf *conf = kmock_conf(m, "fetch.wait.max.ms", "20", "max.partition.fetch.bytes", "500", "group.id",
                                     "gk-group", "auto.commit.interval.ms", "1", NULL);
  rill_pipeline *p = rill_pipeline_new("kafka-group-ckpt");
  g_assert_true(rill_pipeline_enable_checkpoints(p, tmp, 20, 2, NULL));
  count_sink k = {.at_barrier = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL)};
  g_mutex_init(&k.lock);
  gint64 zero = 0;
  g_hash_table_add(k.at_barrier, g_memdup2(&zero, sizeof zero));
  rill_kafka_source_options o = {.topic = "gk", .conf = conf, .from = RILL_KAFKA_FROM_EARLIEST};
  rill_stage *s = rill_pipeline_add_kafka_source(p, "kafka", &o, NULL);
  g_assert_nonnull(s);
  rill_pipeline_add_sink(p, "count", s, &count_class, &k, NULL);
  GError *error = NULL;
  g_assert_true(rill_pipeline_start(p, &error));
  gint64 give_up = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
  guint samples = 0, mid_stream = 0;
  int64_t committed = 0;
  while (g_get_monotonic_time() < give_up) {
    committed = committed_sum(m, "gk-group", "gk", 2);
    g_mutex_lock(&k.lock);
    gboolean at_barrier = g_hash_table_contains(k.at_barrier, &committed);
    gint64 count = k.count;
    g_mutex_unlock(&k.lock);
    if (!at_barrier)
      g_error("committed %" G_GINT64_FORMAT " is no count seen at a barrier", committed);
    samples++;
    mid_stream += committed > 0 && committed < N;
    if (committed == N && count == N)
      break;
    g_usleep(5000);
  }
  g_test_message("%u samples, %u mid-stream, %u barriers", samples, mid_stream, g_hash_table_size(k.at_barrier));
  g_assert_cmpint(committed, ==, N);
  g_assert_cmpuint(mid_stream, >, 0);
  rill_pipeline_stop(p, TRUE);
  g_assert_true(rill_pipeline_wait(p, &error));
  g_assert_no_error(error);
  rill_pipeline_unref(p);
  rill_kafka_conf_free(conf);
  g_hash_table_unref(k.at_barrier);
  g_mutex_clear(&k.lock);
  g_autofree char *rm = g_strdup_printf("rm -rf '%s'", tmp);
  g_assert_cmpint(system(rm), ==, 0);
  kmock_free(m);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/kafka-checkpoint/exactly-once-after-failure", test_exactly_once_after_failure);
  g_test_add_func("/kafka-checkpoint/group-commits-follow-checkpoints", test_group_commits_follow_checkpoints);
  return g_test_run();
}
