/* kafka-bench.h — what every Kafka-protocol benchmark needs around its
 * measurement: a rill-broker process on a temp dir and an ephemeral loopback
 * port, librdkafka's in-process mock cluster as the baseline broker, and
 * librdkafka clients configured from a property list.
 *
 * Header-only (benches are single programs); every failure here ends the
 * benchmark with a message naming @who, since a half-started peer would
 * only produce a meaningless ratio.
 *
 * bench_broker owns its process and its temp dir: bench_broker_stop()
 * terminates the one and removes the other; a benchmark that dies first
 * takes the process with it (bench/child.h), the temp dir stays. bench_target is either a
 * bench_broker or a mock cluster, so a benchmark runs the same client code
 * against both.
 */
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/child.h"

typedef struct {
  GPid pid;
  char *dir;
  int port;
  char bootstrap[64];
} bench_broker;

static inline void bench_die(const char *who, const char *what)
{
  fprintf(stderr, "%s: %s\n", who, what);
  exit(1);
}

/* Starts @exe (rill-broker) with --data-dir in a fresh temp dir, listening
 * on 127.0.0.1:0, plus the NULL-terminated --set properties in @sets and
 * further command-line arguments in @args (either may be NULL), and waits
 * until its event log says where it listens. */
static inline void bench_broker_start_args(bench_broker *b, const char *who, const char *exe, const char *const *sets,
                                           const char *const *args)
{
  memset(b, 0, sizeof *b);
  b->dir = g_dir_make_tmp("rill-bench-broker-XXXXXX", NULL);
  if (!b->dir)
    bench_die(who, "cannot make a temp dir");
  g_autofree char *data = g_build_filename(b->dir, "data", NULL);
  g_autofree char *events = g_build_filename(b->dir, "events.log", NULL);
  GPtrArray *argv = g_ptr_array_new();
  const char *fixed[] = {exe, "--data-dir", data, "--listen", "127.0.0.1:0", "--set",
                         "group.initial.rebalance.delay.ms=0", NULL};
  for (int i = 0; fixed[i]; i++)
    g_ptr_array_add(argv, (char *)fixed[i]);
  for (int i = 0; sets && sets[i]; i++) {
    g_ptr_array_add(argv, (char *)"--set");
    g_ptr_array_add(argv, (char *)sets[i]);
  }
  for (int i = 0; args && args[i]; i++)
    g_ptr_array_add(argv, (char *)args[i]);
  g_ptr_array_add(argv, NULL);
  int out = g_open(events, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0 || !g_spawn_async_with_fds(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, bench_child_setup,
                                         GINT_TO_POINTER(getpid()), &b->pid, -1, out, out, NULL))
    bench_die(who, "cannot start rill-broker");
  g_ptr_array_free(argv, TRUE);
  close(out);
  for (int i = 0; i < 3000 && !b->port; i++) {
    g_autofree char *text = NULL;
    g_file_get_contents(events, &text, NULL, NULL);
    const char *l = text ? strstr(text, "event=listening") : NULL;
    const char *p = l ? strstr(l, " port=") : NULL;
    if (p)
      b->port = atoi(p + 6);
    else
      g_usleep(10000);
  }
  if (!b->port)
    bench_die(who, "rill-broker did not listen");
  snprintf(b->bootstrap, sizeof b->bootstrap, "127.0.0.1:%d", b->port);
}

static inline void bench_broker_start(bench_broker *b, const char *who, const char *exe, const char *const *sets)
{
  bench_broker_start_args(b, who, exe, sets, NULL);
}

static inline void bench_broker_stop(bench_broker *b)
{
  if (b->pid) {
    kill(b->pid, SIGTERM);
    waitpid(b->pid, NULL, 0);
    g_spawn_close_pid(b->pid);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", b->dir);
    if (system(cmd) != 0)
      fprintf(stderr, "could not remove %s\n", b->dir);
  }
  g_free(b->dir);
  memset(b, 0, sizeof *b);
}

/* A librdkafka configuration for @bootstrap with librdkafka's @log_level
 * ("0" silences it) and the NULL-terminated key/value pairs in @extra;
 * (transfer full), for callers that add callbacks before rd_kafka_new. */
static inline rd_kafka_conf_t *bench_rdkafka_conf(const char *who, const char *bootstrap, const char *log_level,
                                                  const char *const *extra)
{
  char err[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  const char *common[] = {"bootstrap.servers", bootstrap, "log_level", log_level, NULL};
  for (int i = 0; common[i]; i += 2)
    if (rd_kafka_conf_set(c, common[i], common[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK)
      bench_die(who, err);
  for (int i = 0; extra && extra[i]; i += 2)
    if (rd_kafka_conf_set(c, extra[i], extra[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK)
      bench_die(who, err);
  return c;
}

/* A client of @type from bench_rdkafka_conf()'s settings. */
static inline rd_kafka_t *bench_rdkafka_new(const char *who, rd_kafka_type_t type, const char *bootstrap,
                                            const char *log_level, const char *const *extra)
{
  char err[256];
  rd_kafka_t *rk = rd_kafka_new(type, bench_rdkafka_conf(who, bootstrap, log_level, extra), err, sizeof err);
  if (!rk)
    bench_die(who, err);
  return rk;
}

/* Assigns partitions 0..@partitions-1 of @topic to consumer @rk, each from
 * offset 0 (no group rebalance: the benchmarks read a known count). */
static inline void bench_assign_from_start(rd_kafka_t *rk, const char *topic, int partitions)
{
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++)
    rd_kafka_topic_partition_list_add(l, topic, p)->offset = 0;
  rd_kafka_assign(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
}

/* Either a rill-broker process or librdkafka's mock cluster in this process. */
typedef struct {
  bench_broker rill;             /* .pid != 0 for rill */
  rd_kafka_t *mock_rk;           /* owns the mock cluster */
  rd_kafka_mock_cluster_t *mock;
  const char *bootstrap;
} bench_target;

/* @kind "mock" starts the mock cluster; anything else is rill-broker @exe
 * with rill.durability=@kind ("none", "sync", ...). */
static inline void bench_target_start(bench_target *t, const char *who, const char *kind, const char *exe)
{
  memset(t, 0, sizeof *t);
  if (strcmp(kind, "mock") == 0) {
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "log_level", "0", err, sizeof err);
    t->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!t->mock_rk)
      bench_die(who, err);
    t->mock = rd_kafka_mock_cluster_new(t->mock_rk, 1);
    if (!t->mock)
      bench_die(who, "no mock cluster");
    t->bootstrap = rd_kafka_mock_cluster_bootstraps(t->mock);
    return;
  }
  g_autofree char *dur = g_strdup_printf("rill.durability=%s", kind);
  const char *sets[] = {dur, NULL};
  bench_broker_start(&t->rill, who, exe, sets);
  t->bootstrap = t->rill.bootstrap;
}

/* Creates @topic with @partitions: on rill through the admin API (an
 * existing topic is fine), on the mock through its own call. */
static inline void bench_target_create_topic(const bench_target *t, const char *who, const char *topic, int partitions)
{
  if (t->mock) {
    if (rd_kafka_mock_topic_create(t->mock, topic, partitions, 1))
      bench_die(who, "mock topic creation failed");
    return;
  }
  rd_kafka_t *rk = bench_rdkafka_new(who, RD_KAFKA_PRODUCER, t->bootstrap, "0", NULL);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, NULL, 0);
  rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
  const rd_kafka_CreateTopics_result_t *res = ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
  size_t n = 0;
  const rd_kafka_topic_result_t **tr = res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
  if (!res || n != 1 ||
      (rd_kafka_topic_result_error(tr[0]) && rd_kafka_topic_result_error(tr[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS))
    bench_die(who, "CreateTopics failed");
  rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

static inline void bench_target_stop(bench_target *t)
{
  if (t->mock) {
    rd_kafka_mock_cluster_destroy(t->mock);
    rd_kafka_destroy(t->mock_rk);
  }
  bench_broker_stop(&t->rill);
  memset(t, 0, sizeof *t);
}

/* Throughput settings: acks=all, 5 ms linger, large batches, deep queue. */
static const char *const bench_bulk_producer_conf[] = {"acks", "all", "linger.ms", "5", "batch.size", "1000000",
                                                       "queue.buffering.max.messages", "1000000",
                                                       "queue.buffering.max.kbytes", "2000000", NULL};

static void bench_count_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
  (void)rk;
  int *counts = opaque; /* [delivered, failed] */
  counts[m->err ? 1 : 0]++;
}

/* Produces @n records of @size bytes to @topic, spread round robin over
 * partitions 0..@partitions-1, with the producer settings in @conf, and
 * waits for every delivery report (any failure ends the benchmark).
 * Returns records/s, timed after one warm-up record so that metadata and
 * connection setup are not counted. */
static inline double bench_produce(const char *who, const char *bootstrap, const char *const *conf, const char *topic,
                                   int partitions, int n, size_t size)
{
  char err[256];
  int counts[2] = {0, 0};
  rd_kafka_conf_t *c = bench_rdkafka_conf(who, bootstrap, "3", conf);
  rd_kafka_conf_set_dr_msg_cb(c, bench_count_delivery);
  rd_kafka_conf_set_opaque(c, counts);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  if (!rk)
    bench_die(who, err);
  char *value = g_malloc(size);
  memset(value, 'x', size);
  rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(value, size),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  rd_kafka_flush(rk, 30000);
  gint64 t0 = g_get_monotonic_time();
  for (int i = 1; i < n; i++) {
    while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % partitions),
                             RD_KAFKA_V_VALUE(value, size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(rk, 1);
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 120000);
  double dt = (double)(g_get_monotonic_time() - t0) / 1e6;
  if (counts[0] != n || counts[1])
    bench_die(who, "not every record was delivered");
  g_free(value);
  rd_kafka_destroy(rk);
  return (n - 1) / dt;
}
