/* test-kafka-consume.c — the Kafka source against librdkafka's mock cluster
 * (3 brokers): records produced by librdkafka with every codec are read by a
 * rill pipeline; a rill sink -> rill source round trip while leaders move;
 * start positions (offset, latest); a first bootstrap server that accepts
 * connections but never answers does not stop the client. */
#include "kafka-mock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* A sink collecting "key=value" strings. */
static rill_flow collect_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  static GMutex lock; /* every sink task appends to the same array */
  GPtrArray *got = state;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
  const rill_record *r = rill_batch_records(batch);
  for (size_t i = 0; i < rill_batch_len(batch); i++)
    g_ptr_array_add(got, g_strdup_printf("%.*s=%.*s", (int)r[i].key.len, r[i].key.data ? (char *)r[i].key.data : "",
                                         (int)r[i].value.len, r[i].value.data ? (char *)r[i].value.data : ""));
  return RILL_FLOW_OK;
}

static gboolean collect_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_sink_class collect_class = {.type_name = "collect", .open = collect_open, .write = collect_write};

static GPtrArray *run_consume(rill_kafka_conf *conf, const char *topic, rill_kafka_from from, int64_t value,
                              guint parallelism)
{
  GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
  rill_pipeline *p = rill_pipeline_new("consume");
  rill_pipeline_set_parallelism(p, parallelism);
  GError *error = NULL;
  rill_kafka_source_options o = {.topic = topic, .conf = conf, .from = from, .from_value = value, .stop_at_end = TRUE};
  rill_stage *s = rill_pipeline_add_kafka_source(p, "kafka", &o, &error);
  g_assert_no_error(error);
  rill_pipeline_add_sink(p, "collect", s, &collect_class, got, NULL);
  gboolean ok = rill_pipeline_run(p, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  rill_pipeline_unref(p);
  return got;
}

static void test_codec(gconstpointer data)
{
  const char *codec = data;
  kmock *m = kmock_new(3);
  kmock_produce(m, "in", codec, codec, 2000);
  rill_kafka_conf *conf = kmock_conf(m, "fetch.wait.max.ms", "20", NULL);
  g_autoptr(GPtrArray) got = run_consume(conf, "in", RILL_KAFKA_FROM_EARLIEST, 0, 1);
  assert_exactly_once(got, codec, 2000);
  rill_kafka_conf_free(conf);
  kmock_free(m);
}

/* Two source tasks split the partitions between them. */
static void test_parallel(void)
{
  kmock *m = kmock_new(3);
  kmock_produce(m, "par", "lz4", "p", 3000);
  rill_kafka_conf *conf = kmock_conf(m, "fetch.wait.max.ms", "20", "max.partition.fetch.bytes", "4000", NULL);
  g_autoptr(GPtrArray) got = run_consume(conf, "par", RILL_KAFKA_FROM_EARLIEST, 0, 2);
  assert_exactly_once(got, "p", 3000);
  rill_kafka_conf_free(conf);
  kmock_free(m);
}

/* Starting at offset 5 of every partition skips exactly the first 5
 * records of each partition; starting at latest reads nothing. */
static void test_start_positions(void)
{
  kmock *m = kmock_new(3);
  rd_kafka_mock_topic_create(m->mcluster, "pos", 1, 1);
  kmock_produce(m, "pos", "none", "v", 20);
  rill_kafka_conf *conf = kmock_conf(m, "fetch.wait.max.ms", "20", NULL);
  g_autoptr(GPtrArray) got = run_consume(conf, "pos", RILL_KAFKA_FROM_OFFSET, 5, 1);
  g_assert_cmpuint(got->len, ==, 15);
  g_assert_cmpstr(got->pdata[0], ==, "k5=v5");
  g_assert_cmpstr(got->pdata[14], ==, "k19=v19");
  g_autoptr(GPtrArray) none = run_consume(conf, "pos", RILL_KAFKA_FROM_LATEST, 0, 1);
  g_assert_cmpuint(none->len, ==, 0);
  rill_kafka_conf_free(conf);
  kmock_free(m);
}

/* Our sink writes, leaders move while our source reads it back. */
typedef struct {
  kmock *m;
  volatile gint stop;
} chaos;

static gpointer chaos_thread(gpointer data)
{
  chaos *ch = data;
  int round = 0;
  while (!g_atomic_int_get(&ch->stop)) {
    for (int p = 0; p < 4; p++)
      rd_kafka_mock_partition_set_leader(ch->m->mcluster, "rt", p, 1 + (p + round) % 3);
    round++;
    g_usleep(20000);
  }
  return NULL;
}

static void test_round_trip_leader_moves(void)
{
  kmock *m = kmock_new(3);
  rd_kafka_mock_topic_create(m->mcluster, "rt", 4, 3);
  rill_kafka_conf *conf = kmock_conf(m, "fetch.wait.max.ms", "20", "compression.codec", "zstd",
                                     "enable.idempotence", "true", "retry.backoff.ms", "10",
                                     "max.partition.fetch.bytes", "2000", NULL);
  gen_source g = {5000, "rt", 0};
  rill_pipeline *p = rill_pipeline_new("produce");
  rill_stage *s = rill_pipeline_add_source(p, "gen", &gen_source_class, &g, NULL);
  rill_kafka_sink_options so = {.topic = "rt", .conf = conf};
  GError *error = NULL;
  rill_pipeline_add_kafka_sink(p, "sink", s, &so, &error);
  g_assert_no_error(error);
  g_assert_true(rill_pipeline_run(p, &error));
  rill_pipeline_unref(p);
  chaos ch = {m, 0};
  GThread *t = g_thread_new("chaos", chaos_thread, &ch);
  g_autoptr(GPtrArray) got = run_consume(conf, "rt", RILL_KAFKA_FROM_EARLIEST, 0, 1);
  g_atomic_int_set(&ch.stop, 1);
  g_thread_join(t);
  assert_exactly_once(got, "rt", 5000);
  rill_kafka_conf_free(conf);
  kmock_free(m);
}

/* The first bootstrap server accepts connections (the kernel completes the
 * handshake; nobody ever reads) and never answers: the metadata request
 * times out there and is sent to the next bootstrap server. */
static void test_silent_bootstrap(void)
{
  kmock *m = kmock_new(3);
  rd_kafka_mock_topic_create(m->mcluster, "silent", 1, 1);
  kmock_produce(m, "silent", "none", "s", 20);
  int hole = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint(hole, >=, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  g_assert_cmpint(bind(hole, (struct sockaddr *)&a, sizeof a), ==, 0);
  g_assert_cmpint(listen(hole, 16), ==, 0);
  g_assert_cmpint(getsockname(hole, (struct sockaddr *)&a, &alen), ==, 0);
  g_autofree char *servers = g_strdup_printf("127.0.0.1:%u,%s", ntohs(a.sin_port), m->bootstraps);
  rill_kafka_conf *conf = kmock_conf(m, "fetch.wait.max.ms", "20", "request.timeout.ms", "1500", "bootstrap.servers",
                                     servers, NULL);
  g_autoptr(GPtrArray) got = run_consume(conf, "silent", RILL_KAFKA_FROM_EARLIEST, 0, 1);
  g_assert_cmpuint(got->len, ==, 20);
  rill_kafka_conf_free(conf);
  close(hole);
  kmock_free(m);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
    g_autofree char *name = g_strdup_printf("/kafka/consume/codec/%s", codecs[i]);
    g_test_add_data_func(name, codecs[i], test_codec);
  }
  g_test_add_func("/kafka/consume/parallel", test_parallel);
  g_test_add_func("/kafka/consume/start-positions", test_start_positions);
  g_test_add_func("/kafka/consume/silent-bootstrap", test_silent_bootstrap);
  g_test_add_func("/kafka/consume/round-trip-leader-moves", test_round_trip_leader_moves);
  return g_test_run();
}
