/* bench-latency.c — end-to-end latency producer -> broker -> consumer of
 * rill-broker against librdkafka's mock cluster, in one invocation.
 *
 *   bench-latency [RILL_BROKER_EXE] [RUNS] [SECONDS]
 *
 * A librdkafka producer (acks=all, linger.ms=0) sends 100 B records at a
 * fixed rate — 10,000/s and 100,000/s — for SECONDS (default 2; the sender
 * sleeps between records, as a real producer would) while a
 * librdkafka consumer in another thread reads the partition from its end
 * (the high watermark before the first timed record)
 * (fetch.wait.max.ms=100: a broker that answers a parked Fetch as soon as
 * data arrives keeps latency far below that). Each value carries its index
 * and send time; latency = receive time - send time on one monotonic clock.
 * A record that never arrives counts as infinitely late. Beside the
 * percentiles: how many records took over 1.5 ms and in how many stalls
 * (runs of consecutive late records) — a few stalls of many records point
 * at scheduling (the broker or a client thread waiting for a core), late
 * records scattered one by one at per-record work.
 * Targets: rill-broker durability none, rill-broker durability sync (every
 * append fsynced before the ack), the mock cluster; alternating within
 * each of RUNS runs (default 3); medians of the per-run percentiles.
 * Last line: RESULT name=latency ours=<rill none p99 at 10k/s, ms>
 * baseline=<mock p99 at 10k/s> unit=ms ratio=<baseline/ours: above 1 is
 * better than the mock> target_p99_ms=2.
 */
#include <math.h>
#include <signal.h>

#include "bench/kafka-bench.h"
#include "bench/stats.h"

#define WHO "bench-latency"
#define VALUE_SIZE 100

typedef struct {
  const char *bootstrap;
  const char *topic;
  gint64 start;  /* the partition's end before the timed records */
  int n;
  double *lat; /* ms, by record index; < 0 until received */
  volatile int ready;
  volatile int produced; /* set once the producer has flushed */
  int lost;
} reader;

static gpointer read_all(gpointer data)
{
  reader *j = data;
  const char *conf[] = {"group.id", "lat", "enable.auto.commit", "false", "fetch.wait.max.ms", "100",
                        "fetch.error.backoff.ms", "10", NULL};
  rd_kafka_t *rk = bench_rdkafka_new(WHO, RD_KAFKA_CONSUMER, j->bootstrap, "3", conf);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, j->topic, 0)->offset = j->start;
  rd_kafka_assign(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  int got = 0;
  gint64 idle_since = g_get_monotonic_time();
  while (got < j->n) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    gint64 now = g_get_monotonic_time();
    if (!m) {
      j->ready = 1; /* connected and fetching: the producer may start */
      if (j->produced && now - idle_since > 3 * G_USEC_PER_SEC)
        break; /* the rest is lost (the mock drops old data past ~5 MB) */
      continue;
    }
    idle_since = now;
    if (!m->err && m->len >= 12) {
      int idx;
      gint64 sent;
      memcpy(&idx, m->payload, 4);
      memcpy(&sent, (char *)m->payload + 4, 8);
      if (idx >= 0 && idx < j->n && j->lat[idx] < 0) {
        j->lat[idx] = (double)(now - sent) / 1000.0;
        got++;
      }
    }
    rd_kafka_message_destroy(m);
  }
  j->lost = j->n - got;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return NULL;
}

typedef struct {
  double p50, p99, p999;
  int late;   /* records over LATE_MS */
  int stalls; /* runs of consecutive late records: one stall delays many */
} percentiles;

#define LATE_MS 1.5

/* @rate records/s for @seconds; the latency percentiles in ms. */
static percentiles measure(const bench_target *t, const char *topic, int rate, int seconds)
{
  const int n = rate * seconds;
  const char *pconf[] = {"acks", "all", "linger.ms", "0", "queue.buffering.max.messages", "1000000", NULL};
  rd_kafka_t *rk = bench_rdkafka_new(WHO, RD_KAFKA_PRODUCER, t->bootstrap, "3", pconf);
  char value[VALUE_SIZE] = {0};
  rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("warm", 4),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  rd_kafka_flush(rk, 30000);
  gint64 low, high;
  if (rd_kafka_query_watermark_offsets(rk, topic, 0, &low, &high, 10000))
    bench_die(WHO, "no watermark offsets");
  reader j = {.bootstrap = t->bootstrap, .topic = topic, .start = high, .n = n, .lat = g_new(double, n)};
  for (int i = 0; i < n; i++)
    j.lat[i] = -1;
  GThread *th = g_thread_new("reader", read_all, &j);
  while (!j.ready)
    g_usleep(10000);
  g_usleep(200000);
  gint64 start = g_get_monotonic_time();
  for (int i = 0; i < n; i++) {
    gint64 due = start + (gint64)i * G_USEC_PER_SEC / rate;
    /* Sleep, don't spin, until the record is due: a spinning sender takes
     * one of the cores that broker and clients share (on two cores the
     * broker's wakeups then queue behind it for whole scheduler slices,
     * which is the sender's latency, not the broker's). */
    rd_kafka_poll(rk, 0);
    gint64 now = g_get_monotonic_time();
    if (now < due)
      g_usleep((gulong)(due - now));
    gint64 sent = g_get_monotonic_time();
    memcpy(value, &i, 4);
    memcpy(value + 4, &sent, 8);
    while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(value, sizeof value),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(rk, 1);
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 30000);
  j.produced = 1;
  g_thread_join(th);
  rd_kafka_destroy(rk);
  /* A lost record counts as infinitely late, so loss shows in the tail. */
  for (int i = 0; i < n; i++)
    if (j.lat[i] < 0)
      j.lat[i] = INFINITY;
  if (j.lost)
    fprintf(stderr, "  %d of %d records never arrived\n", j.lost, n);
  int late = 0, stalls = 0;
  for (int i = 0; i < n; i++)
    if (j.lat[i] > LATE_MS) {
      late++;
      stalls += i == 0 || j.lat[i - 1] <= LATE_MS;
    }
  qsort(j.lat, (size_t)n, sizeof(double), bench_cmp_double);
  percentiles p = {j.lat[n / 2], j.lat[(long)n * 99 / 100], j.lat[(long)n * 999 / 1000], late, stalls};
  g_free(j.lat);
  return p;
}

static const char *const kinds[3] = {"none", "sync", "mock"};
static const int rates[2] = {10000, 100000};

int main(int argc, char **argv)
{
  const char *exe = argc > 1 ? argv[1] : "tools/rill-broker";
  int runs = argc > 2 ? atoi(argv[2]) : 3;
  int seconds = argc > 3 ? atoi(argv[3]) : 2;
  if (runs < 1 || runs > 9 || seconds < 1)
    bench_die(WHO, "RUNS must be 1..9, SECONDS >= 1");
  signal(SIGPIPE, SIG_IGN);
  printf("bench-latency: librdkafka %s, 100 B, acks=all, linger.ms=0, 1 partition, %d s per rate, medians of %d runs\n",
         rd_kafka_version_str(), seconds, runs);
  double p[3][2][5][9]; /* kind, rate, percentile (+ late records, stalls), run */
  for (int r = 0; r < runs; r++)
    for (int k = 0; k < 3; k++) {
      bench_target t;
      bench_target_start(&t, WHO, kinds[k], exe);
      for (int q = 0; q < 2; q++) {
        g_autofree char *topic = g_strdup_printf("lat-%d", rates[q]);
        bench_target_create_topic(&t, WHO, topic, 1);
        percentiles m = measure(&t, topic, rates[q], seconds);
        p[k][q][0][r] = m.p50, p[k][q][1][r] = m.p99, p[k][q][2][r] = m.p999;
        p[k][q][3][r] = m.late, p[k][q][4][r] = m.stalls;
        fprintf(stderr, "  %s run %d @%d/s: p50 %.2f p99 %.2f p999 %.2f ms, %d records over %.1f ms in %d stalls\n",
                kinds[k], r + 1, rates[q], m.p50, m.p99, m.p999, m.late, LATE_MS, m.stalls);
      }
      bench_target_stop(&t);
    }
  double med[3][2][5];
  for (int k = 0; k < 3; k++)
    for (int q = 0; q < 2; q++) {
      for (int c = 0; c < 5; c++)
        med[k][q][c] = bench_median(p[k][q][c], runs);
      printf("%-5s @%6d/s  p50 %8.2f ms  p99 %8.2f ms  p999 %8.2f ms  over %.1f ms: %6.0f in %4.0f stalls\n", kinds[k],
             rates[q], med[k][q][0], med[k][q][1], med[k][q][2], LATE_MS, med[k][q][3], med[k][q][4]);
    }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3)
    printf("load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  printf("RESULT name=latency ours=%.2f baseline=%.2f unit=ms ratio=%.2f target_p99_ms=2\n", med[0][0][1],
         med[2][0][1], med[2][0][1] / med[0][0][1]);
  return 0;
}
