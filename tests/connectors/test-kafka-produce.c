/* test-kafka-produce.c — the Kafka sink against librdkafka's mock cluster
 * (3 brokers): records written by a rill pipeline are read back by a
 * librdkafka consumer, with every codec, with idempotence, and while
 * partition leaders move and a broker goes down. */
#include <gio/gio.h>

#include "kafka-mock.h"
#include "connectors/kafka/kconf.h"

#define N 3000

static void run_produce(kmock *m, rill_kafka_conf *conf, const char *topic, const char *prefix, int n)
{
  gen_source g = {n, prefix, 0};
  rill_pipeline *p = rill_pipeline_new("produce");
  rill_stage *s = rill_pipeline_add_source(p, "gen", &gen_source_class, &g, NULL);
  GError *error = NULL;
  rill_kafka_sink_options o = {.topic = topic, .conf = conf};
  g_assert_nonnull(rill_pipeline_add_kafka_sink(p, "kafka", s, &o, &error));
  g_assert_no_error(error);
  gboolean ok = rill_pipeline_run(p, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  rill_pipeline_unref(p);
}

static void test_codec(gconstpointer data)
{
  const char *codec = data;
  kmock *m = kmock_new(3);
  rill_kafka_conf *conf = kmock_conf(m, "compression.codec", codec, "linger.ms", "2", NULL);
  g_autofree char *topic = g_strdup_printf("t-%s", codec);
  run_produce(m, conf, topic, codec, N);
  g_autoptr(GPtrArray) got = kmock_consume_all(m, topic, 4, N);
  assert_exactly_once(got, codec, N);
  rill_kafka_conf_free(conf);
  kmock_free(m);
}

/* Keyed records land where Java's murmur2 partitioner puts them, which is
 * what librdkafka's "murmur2" partitioner computes too. */
static void test_partitioner(void)
{
  kmock *m = kmock_new(3);
  rd_kafka_mock_topic_create(m->mcluster, "keys", 5, 1);
  rill_kafka_conf *conf = kmock_conf(m, NULL);
  run_produce(m, conf, "keys", "x", 200);
  char err[256];
  rd_kafka_conf_t *rc = rd_kafka_conf_new();
  rd_kafka_conf_set(rc, "bootstrap.servers", m->bootstraps, err, sizeof err);
  rd_kafka_conf_set(rc, "log_level", "0", err, sizeof err);
  rd_kafka_conf_set(rc, "group.id", "rill-test-checker", err, sizeof err);
  rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, rc, err, sizeof err);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(5);
  for (int p = 0; p < 5; p++)
    rd_kafka_topic_partition_list_add(l, "keys", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  g_assert_cmpint(rd_kafka_assign(c, l), ==, 0);
  rd_kafka_topic_partition_list_destroy(l);
  int n = 0;
  gint64 give_up = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (n < 200 && g_get_monotonic_time() < give_up) {
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(c, 100);
    if (!msg)
      continue;
    if (!msg->err) {
      rd_kafka_topic_t *t = rd_kafka_topic_new(c, "keys", NULL);
      int32_t want = rd_kafka_msg_partitioner_murmur2(t, msg->key, msg->key_len, 5, NULL, NULL);
      g_assert_cmpint(msg->partition, ==, want);
      rd_kafka_topic_destroy(t);
      n++;
    }
    rd_kafka_message_destroy(msg);
  }
  g_assert_cmpint(n, ==, 200);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  rill_kafka_conf_free(conf);
  kmock_free(m);
}

/* Leaders move and a broker is down while the producer runs: with
 * idempotence every record arrives exactly once. */
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
      rd_kafka_mock_partition_set_leader(ch->m->mcluster, "chaos", p, 1 + (p + round) % 3);
    if (round % 4 == 1)
      rd_kafka_mock_broker_set_down(ch->m->mcluster, 2);
    if (round % 4 == 3)
      rd_kafka_mock_broker_set_up(ch->m->mcluster, 2);
    round++;
    g_usleep(30000);
  }
  rd_kafka_mock_broker_set_up(ch->m->mcluster, 2);
  return NULL;
}

static void test_leader_moves(void)
{
  kmock *m = kmock_new(3);
  rd_kafka_mock_topic_create(m->mcluster, "chaos", 4, 3);
  rill_kafka_conf *conf = kmock_conf(m, "enable.idempotence", "true", "linger.ms", "1", "batch.size", "2000",
                                     "retry.backoff.ms", "20", "reconnect.backoff.ms", "20", NULL);
  chaos ch = {m, 0};
  GThread *t = g_thread_new("chaos", chaos_thread, &ch);
  run_produce(m, conf, "chaos", "c", 20000);
  g_atomic_int_set(&ch.stop, 1);
  g_thread_join(t);
  g_autoptr(GPtrArray) got = kmock_consume_all(m, "chaos", 4, 20000);
  assert_exactly_once(got, "c", 20000);
  rill_kafka_conf_free(conf);
  kmock_free(m);
}

static void test_bad_config(void)
{
  rill_kafka_conf *c = rill_kafka_conf_new();
  GError *e = NULL;
  g_assert_false(rill_kafka_conf_set(c, "no.such.property", "1", &e));
  g_assert_error(e, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG);
  g_clear_error(&e);
  g_assert_false(rill_kafka_conf_set(c, "linger.ms", "-3", &e));
  g_assert_error(e, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG);
  g_clear_error(&e);
  g_assert_false(rill_kafka_conf_set(c, "compression.codec", "brotli", &e));
  g_clear_error(&e);
  g_assert_true(rill_kafka_conf_set(c, "compression.type", "zstd", &e));
  g_autofree char *v = rill_kafka_conf_get(c, "compression.codec");
  g_assert_cmpstr(v, ==, "zstd");
  g_assert_true(rill_kafka_conf_set(c, "acks", "1", &e));
  g_autofree char *a = rill_kafka_conf_get(c, "acks");
  g_assert_cmpstr(a, ==, "1");
  g_assert_true(rill_kafka_conf_set(c, "acks", "all", &e));
  g_autofree char *a2 = rill_kafka_conf_get(c, "acks");
  g_assert_cmpstr(a2, ==, "all");
  /* idempotence with acks=1 is refused when the sink is added */
  g_assert_true(rill_kafka_conf_set(c, "bootstrap.servers", "127.0.0.1:1", &e));
  g_assert_true(rill_kafka_conf_set(c, "enable.idempotence", "true", &e));
  g_assert_true(rill_kafka_conf_set(c, "acks", "1", &e));
  rill_pipeline *p = rill_pipeline_new("bad");
  gen_source g = {1, "x", 0};
  rill_stage *s = rill_pipeline_add_source(p, "gen", &gen_source_class, &g, NULL);
  rill_kafka_sink_options o = {.topic = "t", .conf = c};
  g_assert_null(rill_pipeline_add_kafka_sink(p, "k", s, &o, &e));
  g_assert_error(e, RILL_KAFKA_CLIENT_ERROR, RILL_KAFKA_CLIENT_ERROR_CONFIG);
  g_clear_error(&e);
  rill_pipeline_unref(p);
  rill_kafka_conf_free(c);
}

/* No broker listening: the pipeline fails with a transport error instead
 * of hanging or crashing. */
static void test_no_broker(void)
{
  GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GSocketAddress *a = g_inet_socket_address_new(lo, 0);
  g_assert_true(g_socket_bind(s, a, TRUE, NULL));
  GInetSocketAddress *bound = G_INET_SOCKET_ADDRESS(g_socket_get_local_address(s, NULL));
  g_autofree char *bs = g_strdup_printf("127.0.0.1:%u", g_inet_socket_address_get_port(bound));
  g_object_unref(bound);
  g_object_unref(a);
  g_object_unref(lo);
  /* bound but not listening: connections are refused */
  rill_kafka_conf *c = rill_kafka_conf_new();
  g_assert_true(rill_kafka_conf_set(c, "bootstrap.servers", bs, NULL));
  g_assert_true(rill_kafka_conf_set(c, "request.timeout.ms", "300", NULL));
  g_assert_true(rill_kafka_conf_set(c, "retry.backoff.ms", "20", NULL));
  rill_pipeline *p = rill_pipeline_new("nobroker");
  gen_source g = {10, "x", 0};
  rill_stage *src = rill_pipeline_add_source(p, "gen", &gen_source_class, &g, NULL);
  rill_kafka_sink_options o = {.topic = "t", .conf = c};
  GError *e = NULL;
  g_assert_nonnull(rill_pipeline_add_kafka_sink(p, "k", src, &o, &e));
  g_assert_false(rill_pipeline_run(p, &e));
  g_assert_error(e, RILL_PIPELINE_ERROR, RILL_PIPELINE_ERROR_STAGE);
  g_assert_nonnull(strstr(e->message, "NETWORK_EXCEPTION"));
  g_clear_error(&e);
  rill_pipeline_unref(p);
  rill_kafka_conf_free(c);
  g_object_unref(s);
}

/* docs/connectors/kafka.md's reference is the property table's; with
 * RILL_UPDATE_DOCS=1 the test rewrites it instead of comparing. */
static void test_doc_reference(void)
{
  g_autofree char *path = g_build_filename(RILL_SOURCE_DIR, "docs", "connectors", "kafka.md", NULL);
  g_autofree char *doc = NULL;
  g_assert_true(g_file_get_contents(path, &doc, NULL, NULL));
  const char *begin = "<!-- BEGIN GENERATED: connectors/kafka/kconf.c -->\n", *end = "<!-- END GENERATED -->";
  char *b = strstr(doc, begin), *e = strstr(doc, end);
  g_assert_nonnull(b);
  g_assert_nonnull(e);
  b += strlen(begin);
  g_autofree char *table = rill__kconf_reference_markdown();
  g_autofree char *current = g_strndup(b, (gsize)(e - b));
  if (g_getenv("RILL_UPDATE_DOCS")) {
    g_autofree char *head = g_strndup(doc, (gsize)(b - doc));
    g_autofree char *updated = g_strconcat(head, table, e, NULL);
    g_assert_true(g_file_set_contents(path, updated, -1, NULL));
    return;
  }
  g_assert_cmpstr(current, ==, table);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  for (guint i = 0; i < G_N_ELEMENTS(codecs); i++) {
    g_autofree char *name = g_strdup_printf("/kafka/produce/codec/%s", codecs[i]);
    g_test_add_data_func(name, codecs[i], test_codec);
  }
  g_test_add_func("/kafka/produce/partitioner-murmur2", test_partitioner);
  g_test_add_func("/kafka/produce/leader-moves-idempotent", test_leader_moves);
  g_test_add_func("/kafka/conf/errors", test_bad_config);
  g_test_add_func("/kafka/produce/no-broker", test_no_broker);
  g_test_add_func("/kafka/conf/doc-reference", test_doc_reference);
  return g_test_run();
}
