/* bench-kafka-client.c — rill's Kafka client against librdkafka, the same
 * broker and settings for both, in one invocation.
 *
 *   bench-kafka-client RILL_BROKER_EXE [RECORDS] [RUNS]
 *
 * One rill-broker process (durability none, so the broker is not what is
 * measured). Each run creates a 4-partition topic per client and produces
 * RECORDS records (8-byte keys "k<i>", 100-byte values) with acks=all,
 * linger.ms=5, batch.size=1000000, compression none, no idempotence,
 * partitioner murmur2_random — (a) with a rill pipeline: generator ->
 * Kafka sink, timed until the sink's final flush returned (every record
 * acknowledged); (b) with librdkafka's producer (rd_kafka_produce, copy),
 * timed until rd_kafka_flush returned. Then each consumes its own topic from
 * the beginning: (a) a rill pipeline, Kafka source with manual assignment
 * to the end -> counting sink; (b) librdkafka's consumer, assign + poll
 * until RECORDS records. Medians of RUNS runs (default 3).
 *
 * Last lines:
 *   RESULT name=kafka-client ours=<rec/s> baseline=<rec/s> unit=rec/s ratio=<ours/librdkafka> (produce)
 *   RESULT name=kafka-client-consume ours=... baseline=... unit=rec/s ratio=...
 */
#include <librdkafka/rdkafka.h>

#include <rill/rill.h>

#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "connectors/kafka/admin.h"

#include "bench/kafka-bench.h"
#include "bench/stats.h"

#define VALUE_SIZE 100
#define PARTITIONS 4

#define WHO "bench-kafka-client"

static bench_broker broker;
static const char *bootstrap;

static const char *const settings[] = {"acks", "all", "linger.ms", "5", "batch.size", "1000000",
                                       "compression.codec", "none", "enable.idempotence", "false",
                                       "partitioner", "murmur2_random", NULL};

static rill_kafka_conf *our_conf(void)
{
  rill_kafka_conf *c = rill_kafka_conf_new();
  rill_kafka_conf_set(c, "bootstrap.servers", bootstrap, NULL);
  for (guint i = 0; settings[i]; i += 2)
    if (!rill_kafka_conf_set(c, settings[i], settings[i + 1], NULL))
      bench_die(WHO, settings[i]);
  return c;
}

static void create_topic(const char *topic)
{
  rill_kafka_conf *c = our_conf();
  GError *e = NULL;
  rill__kclient *client = rill__kclient_new(c, &e);
  if (!client || !rill__kadmin_create_topic(client, topic, PARTITIONS, -1, NULL, &e))
    bench_die(WHO, e->message);
  rill__kclient_free(client);
  rill_kafka_conf_free(c);
}

static double now_s(void)
{
  return (double)g_get_monotonic_time() / 1e6;
}

/* ---- ours --------------------------------------------------------------- */

typedef struct {
  long n, next;
} gen;

static rill_flow gen_read(rill_ctx *ctx, void *state, rill_emitter *out)
{
  gen *g = state;
  char key[32], value[VALUE_SIZE];
  memset(value, 'x', sizeof value);
  for (int j = 0; j < 1024 && g->next < g->n; j++, g->next++) {
    rill_record r = RILL_RECORD_INIT;
    int kl = g_snprintf(key, sizeof key, "k%ld", g->next);
    r.key = rill_bytes_make(key, (size_t)kl);
    r.value = rill_bytes_make(value, sizeof value);
    rill_flow f = rill_emit_record(out, &r);
    if (f != RILL_FLOW_OK)
      return f;
  }
  return g->next < g->n ? RILL_FLOW_OK : RILL_FLOW_EOS;
}

static gboolean gen_open(rill_ctx *ctx, void *user_data, const guint *splits, guint n, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_source_class gen_class = {.type_name = "gen", .open = gen_open, .read = gen_read};

static double ours_produce(const char *topic, long n)
{
  gen g = {n, 0};
  rill_kafka_conf *c = our_conf();
  rill_pipeline *p = rill_pipeline_new("produce");
  rill_stage *s = rill_pipeline_add_source(p, "gen", &gen_class, &g, NULL);
  rill_kafka_sink_options o = {.topic = topic, .conf = c};
  GError *e = NULL;
  if (!rill_pipeline_add_kafka_sink(p, "sink", s, &o, &e))
    bench_die(WHO, e->message);
  double t0 = now_s();
  if (!rill_pipeline_run(p, &e))
    bench_die(WHO, e->message);
  double dt = now_s() - t0;
  rill_pipeline_unref(p);
  rill_kafka_conf_free(c);
  return (double)n / dt;
}

static rill_flow count_write(rill_ctx *ctx, void *state, const rill_batch *batch)
{
  g_atomic_pointer_add((gsize *)state, rill_batch_len(batch));
  return RILL_FLOW_OK;
}

static gboolean count_open(rill_ctx *ctx, void *user_data, void **state, GError **error)
{
  *state = user_data;
  return TRUE;
}

static const rill_sink_class count_class = {.type_name = "count", .open = count_open, .write = count_write};

static double ours_consume(const char *topic, long n)
{
  rill_kafka_conf *c = our_conf();
  rill_pipeline *p = rill_pipeline_new("consume");
  rill_kafka_source_options o = {.topic = topic, .conf = c, .from = RILL_KAFKA_FROM_EARLIEST, .stop_at_end = TRUE};
  GError *e = NULL;
  rill_stage *s = rill_pipeline_add_kafka_source(p, "kafka", &o, &e);
  if (!s)
    bench_die(WHO, e->message);
  gsize got = 0;
  rill_pipeline_add_sink(p, "count", s, &count_class, &got, NULL);
  double t0 = now_s();
  if (!rill_pipeline_run(p, &e))
    bench_die(WHO, e->message);
  double dt = now_s() - t0;
  if ((long)got != n)
    bench_die(WHO, "our consumer read a different number of records");
  rill_pipeline_unref(p);
  rill_kafka_conf_free(c);
  return (double)n / dt;
}

/* ---- librdkafka ------------------------------------------------------------ */

static rd_kafka_conf_t *rd_conf(void)
{
  char err[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof err);
  rd_kafka_conf_set(c, "log_level", "0", err, sizeof err);
  return c;
}

static double rd_produce(const char *topic, long n)
{
  char err[256];
  rd_kafka_conf_t *c = rd_conf();
  for (guint i = 0; settings[i]; i += 2)
    if (rd_kafka_conf_set(c, settings[i], settings[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK)
      bench_die(WHO, err);
  rd_kafka_conf_set(c, "queue.buffering.max.messages", "1000000", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  if (!rk)
    bench_die(WHO, err);
  rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
  char key[32], value[VALUE_SIZE];
  memset(value, 'x', sizeof value);
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    int kl = g_snprintf(key, sizeof key, "k%ld", i);
    while (rd_kafka_produce(t, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value, sizeof value, key, (size_t)kl,
                            NULL) != 0)
      rd_kafka_poll(rk, 1); /* queue full */
    if ((i & 1023) == 0)
      rd_kafka_poll(rk, 0);
  }
  if (rd_kafka_flush(rk, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    bench_die(WHO, "librdkafka flush");
  double dt = now_s() - t0;
  rd_kafka_topic_destroy(t);
  rd_kafka_destroy(rk);
  return (double)n / dt;
}

static double rd_consume(const char *topic, long n)
{
  char err[256];
  rd_kafka_conf_t *c = rd_conf();
  rd_kafka_conf_set(c, "group.id", "bench", err, sizeof err);
  rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_conf_set(c, "enable.partition.eof", "false", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  if (!rk)
    bench_die(WHO, err);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(PARTITIONS);
  for (int p = 0; p < PARTITIONS; p++)
    rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  double t0 = now_s();
  rd_kafka_assign(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  long got = 0;
  while (got < n) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
    if (!m)
      continue;
    if (!m->err)
      got++;
    rd_kafka_message_destroy(m);
  }
  double dt = now_s() - t0;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return (double)n / dt;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    bench_die(WHO, "usage: bench-kafka-client RILL_BROKER_EXE [RECORDS] [RUNS]");
  long n = argc > 2 ? atol(argv[2]) : 500000;
  int runs = argc > 3 ? atoi(argv[3]) : 3;
  if (runs < 1 || runs > 20 || n < 1)
    bench_die(WHO, "bad RECORDS or RUNS");
  bench_broker_start(&broker, WHO, argv[1], (const char *const[]){"rill.durability=none", NULL});
  bootstrap = broker.bootstrap;
  double op[20], rp[20], oc[20], rc[20];
  for (int r = 0; r < runs; r++) {
    char ours[64], theirs[64];
    g_snprintf(ours, sizeof ours, "ours-%d", r);
    g_snprintf(theirs, sizeof theirs, "librdkafka-%d", r);
    create_topic(ours);
    create_topic(theirs);
    /* alternate who goes first so neither always meets a warmer broker */
    if (r % 2 == 0) {
      op[r] = ours_produce(ours, n);
      rp[r] = rd_produce(theirs, n);
    } else {
      rp[r] = rd_produce(theirs, n);
      op[r] = ours_produce(ours, n);
    }
    oc[r] = ours_consume(ours, n);
    rc[r] = rd_consume(theirs, n);
    printf("run %d: produce ours %.0f rec/s, librdkafka %.0f rec/s; consume ours %.0f rec/s, librdkafka %.0f rec/s\n",
           r + 1, op[r], rp[r], oc[r], rc[r]);
    fflush(stdout);
  }
  bench_broker_stop(&broker);
  double mop = bench_median(op, runs), mrp = bench_median(rp, runs);
  double moc = bench_median(oc, runs), mrc = bench_median(rc, runs);
  printf("produce (%ld x %d B, acks=all, linger.ms=5, no compression), median of %d: ours %.0f rec/s, "
         "librdkafka %.0f rec/s\n", n, VALUE_SIZE, runs, mop, mrp);
  printf("consume, median of %d: ours %.0f rec/s, librdkafka %.0f rec/s\n", runs, moc, mrc);
  printf("RESULT name=kafka-client ours=%.0f baseline=%.0f unit=rec/s ratio=%.2f\n", mop, mrp, mop / mrp);
  printf("RESULT name=kafka-client-consume ours=%.0f baseline=%.0f unit=rec/s ratio=%.2f\n", moc, mrc, moc / mrc);
  return 0;
}
