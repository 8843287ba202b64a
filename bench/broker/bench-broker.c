/* bench-broker.c — rill-broker against librdkafka's mock cluster, the same
 * librdkafka client and settings for both, in one invocation.
 *
 *   bench-broker [RILL_BROKER_EXE] [RUNS]
 *
 * For each target — (a) the rill-broker daemon on a temp dir, durability
 * none; (b) rd_kafka_mock_cluster (in memory, in this process); (c)
 * rill-broker with durability sync, reported only — and each record size
 * (100 B, 1 KB): produce N records (acks=all, linger.ms=5) and time until
 * every delivery report is in; then consume them from offset 0 and time
 * until the last. Then end-to-end latency: 10,000 records/s paced for 2 s
 * with a consumer reading concurrently; latency = receive time - send time
 * carried in the value. Medians of RUNS runs (default 3).
 * Last line: RESULT name=broker ours=<rill produce rec/s, 100 B> baseline=<mock> ...
 */
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

#include "bench/stats.h"

typedef struct {
  const char *name;
  GPid pid;               /* rill-broker, or 0 */
  char *dir;
  rd_kafka_t *mock_rk;    /* owns the mock cluster */
  rd_kafka_mock_cluster_t *mock;
  char bootstrap[128];
} target;

static void die(const char *what)
{
  fprintf(stderr, "bench-broker: %s\n", what);
  exit(1);
}

static void start_rill(target *t, const char *exe, const char *durability)
{
  t->dir = g_dir_make_tmp("rill-bench-broker-XXXXXX", NULL);
  g_autofree char *data = g_build_filename(t->dir, "data", NULL);
  g_autofree char *events = g_build_filename(t->dir, "events.log", NULL);
  g_autofree char *dur = g_strdup_printf("rill.durability=%s", durability);
  const char *argv[] = {exe, "--data-dir", data, "--listen", "127.0.0.1:0", "--set", dur,
                        "--set", "group.initial.rebalance.delay.ms=0", NULL};
  int out = g_open(events, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0 || !g_spawn_async_with_fds(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &t->pid,
                                         -1, out, out, NULL))
    die("cannot start rill-broker");
  close(out);
  for (int i = 0; i < 3000 && !t->bootstrap[0]; i++) {
    g_autofree char *text = NULL;
    g_file_get_contents(events, &text, NULL, NULL);
    const char *l = text ? strstr(text, "event=listening") : NULL;
    const char *p = l ? strstr(l, " port=") : NULL;
    if (p)
      snprintf(t->bootstrap, sizeof t->bootstrap, "127.0.0.1:%d", atoi(p + 6));
    else
      g_usleep(10000);
  }
  if (!t->bootstrap[0])
    die("rill-broker did not listen");
}

static void start_mock(target *t)
{
  char err[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "log_level", "0", err, sizeof err);
  t->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  if (!t->mock_rk)
    die(err);
  t->mock = rd_kafka_mock_cluster_new(t->mock_rk, 1);
  if (!t->mock)
    die("no mock cluster");
  snprintf(t->bootstrap, sizeof t->bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(t->mock));
}

static void create_topic(target *t, const char *topic)
{
  if (t->mock) {
    rd_kafka_mock_topic_create(t->mock, topic, 1, 1);
    return;
  }
  /* rill: auto-created (1 partition) by the client's first metadata request. */
}

static void stop(target *t)
{
  if (t->mock) {
    rd_kafka_mock_cluster_destroy(t->mock);
    rd_kafka_destroy(t->mock_rk);
  }
  if (t->pid) {
    kill(t->pid, SIGTERM);
    waitpid(t->pid, NULL, 0);
    g_spawn_close_pid(t->pid);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
      fprintf(stderr, "could not remove %s\n", t->dir);
  }
  g_free(t->dir);
  memset(t, 0, sizeof *t);
}

static rd_kafka_t *client(rd_kafka_type_t type, const target *t, const char *const *extra)
{
  char err[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  const char *common[] = {"bootstrap.servers", t->bootstrap, "log_level", "3", NULL};
  for (int i = 0; common[i]; i += 2)
    if (rd_kafka_conf_set(c, common[i], common[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK)
      die(err);
  for (int i = 0; extra && extra[i]; i += 2)
    if (rd_kafka_conf_set(c, extra[i], extra[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK)
      die(err);
  rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof err);
  if (!rk)
    die(err);
  return rk;
}

static const char *const producer_conf[] = {"acks", "all", "linger.ms", "5", "batch.size", "1000000",
                                            "queue.buffering.max.messages", "1000000",
                                            "queue.buffering.max.kbytes", "2000000", NULL};

static int delivered, failed;
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
  (void)rk, (void)opaque;
  if (m->err)
    failed++;
  else
    delivered++;
}

static double now_s(void)
{
  return (double)g_get_monotonic_time() / 1e6;
}

/* Produces @n records of @size bytes to @topic partition 0; rec/s. */
static double produce(const target *t, const char *topic, int n, size_t size)
{
  char err[256];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  const char *common[] = {"bootstrap.servers", t->bootstrap, "log_level", "3", NULL};
  for (int i = 0; common[i]; i += 2)
    rd_kafka_conf_set(c, common[i], common[i + 1], err, sizeof err);
  for (int i = 0; producer_conf[i]; i += 2)
    rd_kafka_conf_set(c, producer_conf[i], producer_conf[i + 1], err, sizeof err);
  rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  if (!rk)
    die(err);
  char *value = g_malloc(size);
  memset(value, 'x', size);
  delivered = failed = 0;
  /* Warm up: metadata and connection (and rill's auto-create) outside the clock. */
  rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(value, size),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  rd_kafka_flush(rk, 30000);
  double t0 = now_s();
  for (int i = 1; i < n; i++) {
    while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(value, size),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(rk, 1);
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 120000);
  double dt = now_s() - t0;
  if (delivered != n || failed)
    die("not every record was delivered");
  g_free(value);
  rd_kafka_destroy(rk);
  return (n - 1) / dt;
}

/* Consumes @n records of @topic partition 0 from offset 0, @passes times
 * over (the mock cluster keeps only the last ~5 MB of a partition, so the
 * data set is small and read repeatedly); rec/s. */
static double consume(const target *t, const char *topic, int n, int passes)
{
  const char *conf[] = {"group.id", "bench", "enable.auto.commit", "false", "fetch.wait.max.ms", "100",
                        "queued.min.messages", "1000000", NULL};
  rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, t, conf);
  int got = 0;
  double t0 = 0;
  for (int pass = 0; pass < passes; pass++) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset = 0;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int in_pass = 0;
    while (in_pass < n) {
      rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
      if (!m)
        continue;
      if (!m->err) {
        in_pass++;
        if (got++ == 0)
          t0 = now_s(); /* from the first record: connection setup is not throughput */
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        die(rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
  }
  double dt = now_s() - t0;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return (got - 1) / dt;
}

typedef struct {
  const target *t;
  const char *topic;
  int n;
  double *lat; /* ms, by record */
} latency_job;

static gpointer latency_consumer(gpointer data)
{
  latency_job *j = data;
  const char *conf[] = {"group.id", "lat", "enable.auto.commit", "false", "fetch.wait.max.ms", "100",
                        "fetch.error.backoff.ms", "10", NULL};
  rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, j->t, conf);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, j->topic, 0)->offset = RD_KAFKA_OFFSET_END;
  rd_kafka_assign(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  int got = 0;
  while (got < j->n) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
    if (!m)
      continue;
    if (!m->err && m->len >= 12) {
      int idx;
      int64_t sent;
      memcpy(&idx, m->payload, 4);
      memcpy(&sent, (char *)m->payload + 4, 8);
      if (idx >= 0 && idx < j->n) {
        j->lat[idx] = (double)(g_get_monotonic_time() - sent) / 1000.0;
        got++;
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return NULL;
}

/* 10,000 rec/s of 100 B for 2 s; p50/p99 in ms. */
static void latency(const target *t, const char *topic, double *p50, double *p99)
{
  const int rate = 10000, n = 2 * rate;
  const char *pconf[] = {"acks", "all", "linger.ms", "0", NULL};
  rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, t, pconf);
  char value[100] = {0};
  /* Create the topic/connection first, then start the reader at the end. */
  rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("warm", 4),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  rd_kafka_flush(rk, 30000);
  latency_job j = {t, topic, n, g_new0(double, n)};
  GThread *th = g_thread_new("lat", latency_consumer, &j);
  g_usleep(1000000); /* let the consumer reach the end before the clock starts */
  int64_t start = g_get_monotonic_time();
  for (int i = 0; i < n; i++) {
    int64_t due = start + (int64_t)i * 1000000 / rate;
    while (g_get_monotonic_time() < due)
      rd_kafka_poll(rk, 0);
    int64_t sent = g_get_monotonic_time();
    memcpy(value, &i, 4);
    memcpy(value + 4, &sent, 8);
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(value, sizeof value),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 30000);
  g_thread_join(th);
  rd_kafka_destroy(rk);
  qsort(j.lat, (size_t)n, sizeof(double), bench_cmp_double);
  *p50 = j.lat[n / 2];
  *p99 = j.lat[n * 99 / 100];
  g_free(j.lat);
}

typedef struct {
  double prod[2], cons[2], p50, p99;
} figures;

static figures measure(const char *kind, const char *exe, int runs)
{
  static const size_t sizes[2] = {100, 1000};
  static const int counts[2] = {300000, 60000};
  double prod[2][9], cons[2][9], p50[9], p99[9];
  for (int r = 0; r < runs; r++) {
    target t = {0};
    if (strcmp(kind, "mock") == 0)
      start_mock(&t);
    else
      start_rill(&t, exe, kind);
    for (int s = 0; s < 2; s++) {
      g_autofree char *topic = g_strdup_printf("bench-%zu", sizes[s]);
      create_topic(&t, topic);
      prod[s][r] = produce(&t, topic, counts[s], sizes[s]);
      g_autofree char *ctopic = g_strdup_printf("consume-%zu", sizes[s]);
      create_topic(&t, ctopic);
      int m = (int)(3000000 / sizes[s]); /* ~3 MB: within the mock's retention */
      produce(&t, ctopic, m, sizes[s]);
      cons[s][r] = consume(&t, ctopic, m, 20);
    }
    create_topic(&t, "lat");
    latency(&t, "lat", &p50[r], &p99[r]);
    fprintf(stderr, "  %s run %d: produce %.0f/%.0f rec/s, consume %.0f/%.0f rec/s (100 B/1 KB), latency p50 %.2f ms p99 %.2f ms\n",
            kind, r + 1, prod[0][r], prod[1][r], cons[0][r], cons[1][r], p50[r], p99[r]);
    stop(&t);
  }
  figures f;
  for (int s = 0; s < 2; s++) {
    f.prod[s] = bench_median(prod[s], runs);
    f.cons[s] = bench_median(cons[s], runs);
  }
  f.p50 = bench_median(p50, runs);
  f.p99 = bench_median(p99, runs);
  return f;
}

static void print(const char *what, const figures *f)
{
  printf("%-22s produce 100B %10.0f rec/s  1KB %9.0f rec/s | consume 100B %10.0f rec/s  1KB %9.0f rec/s | "
         "e2e @10k/s p50 %.2f ms p99 %.2f ms\n",
         what, f->prod[0], f->prod[1], f->cons[0], f->cons[1], f->p50, f->p99);
}

int main(int argc, char **argv)
{
  const char *exe = argc > 1 ? argv[1] : "tools/rill-broker";
  int runs = argc > 2 ? atoi(argv[2]) : 3;
  if (runs < 1 || runs > 9)
    die("RUNS must be 1..9");
  signal(SIGPIPE, SIG_IGN);
  printf("bench-broker: librdkafka %s, acks=all, 1 partition, medians of %d runs\n", rd_kafka_version_str(), runs);
  figures ours = measure("none", exe, runs);
  figures mock = measure("mock", exe, runs);
  figures sync = measure("sync", exe, runs);
  print("rill (durability none)", &ours);
  print("librdkafka mock", &mock);
  print("rill (durability sync)", &sync);
  printf("consume ratio 100B %.2f 1KB %.2f; produce ratio 1KB %.2f\n", ours.cons[0] / mock.cons[0],
         ours.cons[1] / mock.cons[1], ours.prod[1] / mock.prod[1]);
  printf("RESULT name=broker ours=%.0f baseline=%.0f unit=rec/s ratio=%.2f\n", ours.prod[0], mock.prod[0],
         ours.prod[0] / mock.prod[0]);
  return 0;
}
