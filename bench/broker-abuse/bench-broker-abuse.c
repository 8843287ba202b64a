/* bench-broker-abuse.c — how much a well-behaved client pair keeps of its
 * throughput while abusive peers share the broker.
 *
 *   bench-broker-abuse RILL_BROKER_EXE [RUNS] [SECONDS]
 *
 * The pair (librdkafka): a producer sending 100 B records flat out
 * (acks=all, linger.ms=5, at most 20,000 queued) and a consumer reading
 * them as they come (fetch.wait.max.ms=100); each value carries its send
 * time. Throughput = records the consumer received per second over the
 * window; latency = receive - send, p99 over the window.
 *
 * Abuse, all at once, from raw sockets and threads:
 *   - parked fetches: 50 connections, each with 20 pipelined Fetch v4
 *     (min_bytes 1 GB, max_wait 30 s) on an empty topic, re-sent when answered;
 *   - 1,000 idle connections that never send a byte;
 *   - malformed frames: a loop connecting and sending garbage bodies and
 *     absurd size prefixes;
 *   - a topic-creation storm: CreateTopics of 10 new 1-partition topics,
 *     back to back, through librdkafka's admin API.
 *
 * Each phase (quiet, abused) runs on a fresh rill-broker process (temp dir,
 * durability none), alternating, RUNS times (default 3), SECONDS each
 * (default 5). Medians. Last line:
 *   RESULT name=broker-abuse ours=<rec/s abused> baseline=<rec/s quiet> unit=rec/s ratio=<ours/baseline> p99_ms=<abused> p99_quiet_ms=<quiet>
 */
#include <librdkafka/rdkafka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/kafka-bench.h"
#include "bench/stats.h"

#define VALUE_SIZE 100
#define N_PARKED_CONNS 50
#define PARKED_PER_CONN 20
#define N_IDLE 1000

#define WHO "bench-broker-abuse"

static void die(const char *what)
{
  bench_die(WHO, what);
}

static rd_kafka_t *client(rd_kafka_type_t type, const bench_broker *b, const char *const *extra)
{
  return bench_rdkafka_new(WHO, type, b->bootstrap, "0", extra);
}

/* Creates @n topics named @prefix<i> (errors ignored: the storm goes on). */
static void create_topics(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *prefix, int first, int n)
{
  rd_kafka_NewTopic_t **nt = g_new(rd_kafka_NewTopic_t *, n);
  for (int i = 0; i < n; i++) {
    g_autofree char *name = g_strdup_printf("%s%d", prefix, first + i);
    nt[i] = rd_kafka_NewTopic_new(name, 1, 1, NULL, 0);
  }
  rd_kafka_CreateTopics(rk, nt, (size_t)n, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
  if (ev)
    rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
  g_free(nt);
}

static int tcp_connect(int port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void put16(GByteArray *a, int v)
{
  uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  g_byte_array_append(a, b, 2);
}

static void put32(GByteArray *a, int64_t v)
{
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  g_byte_array_append(a, b, 4);
}

/* A Fetch v4 frame (size prefix included) that parks: offset 0 of an empty
 * topic, min_bytes 1 GB, max_wait 30 s. */
static GByteArray *parked_fetch(const char *topic, int corr)
{
  GByteArray *a = g_byte_array_new();
  put32(a, 0); /* size, patched below */
  put16(a, 1), put16(a, 4), put32(a, corr);
  put16(a, 5), g_byte_array_append(a, (const uint8_t *)"abuse", 5);
  put32(a, -1), put32(a, 30000), put32(a, 1 << 30), put32(a, 1 << 30);
  uint8_t iso = 0;
  g_byte_array_append(a, &iso, 1);
  put32(a, 1), put16(a, (int)strlen(topic)), g_byte_array_append(a, (const uint8_t *)topic, (guint)strlen(topic));
  put32(a, 1), put32(a, 0), put32(a, 0), put32(a, 0), put32(a, 1 << 20);
  uint32_t len = a->len - 4;
  a->data[0] = (uint8_t)(len >> 24), a->data[1] = (uint8_t)(len >> 16), a->data[2] = (uint8_t)(len >> 8),
  a->data[3] = (uint8_t)len;
  return a;
}

/* ---- the abusers ---- */

typedef struct {
  const bench_broker *b;
  volatile gint stop;
  GThread *threads[4];
  int idle[N_IDLE];
  guint64 malformed_sent, topics_created, parked_answers;
} abuse;

static gpointer parked_thread(gpointer data)
{
  abuse *ab = data;
  int fds[N_PARKED_CONNS];
  GByteArray *req = parked_fetch("abuse-empty0", 1);
  for (int i = 0; i < N_PARKED_CONNS; i++) {
    fds[i] = tcp_connect(ab->b->port);
    for (int k = 0; fds[i] >= 0 && k < PARKED_PER_CONN; k++)
      if (send(fds[i], req->data, req->len, MSG_NOSIGNAL) < 0)
        break;
  }
  uint8_t buf[65536];
  while (!g_atomic_int_get(&ab->stop)) {
    struct pollfd p[N_PARKED_CONNS];
    for (int i = 0; i < N_PARKED_CONNS; i++)
      p[i] = (struct pollfd){fds[i], POLLIN, 0};
    if (poll(p, N_PARKED_CONNS, 100) <= 0)
      continue;
    for (int i = 0; i < N_PARKED_CONNS; i++) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      ssize_t r = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT);
      if (r <= 0) { /* closed: come back */
        close(fds[i]);
        fds[i] = tcp_connect(ab->b->port);
        for (int k = 0; fds[i] >= 0 && k < PARKED_PER_CONN; k++)
          send(fds[i], req->data, req->len, MSG_NOSIGNAL);
        continue;
      }
      /* An answer (roughly one per read): park another. */
      ab->parked_answers++;
      send(fds[i], req->data, req->len, MSG_NOSIGNAL);
    }
  }
  for (int i = 0; i < N_PARKED_CONNS; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  g_byte_array_unref(req);
  return NULL;
}

static gpointer malformed_thread(gpointer data)
{
  abuse *ab = data;
  GRand *r = g_rand_new_with_seed(42);
  uint8_t frame[512];
  uint8_t buf[4096];
  while (!g_atomic_int_get(&ab->stop)) {
    int fd = tcp_connect(ab->b->port);
    if (fd < 0) {
      g_usleep(1000);
      continue;
    }
    size_t len;
    if (g_rand_int_range(r, 0, 4) == 0) { /* an absurd size prefix */
      uint8_t big[4] = {0x7f, 0xff, 0xff, 0xff};
      memcpy(frame, big, 4);
      len = 4;
    } else { /* Produce v7 header, garbage body */
      size_t body = (size_t)g_rand_int_range(r, 8, (int)sizeof frame - 4);
      frame[0] = 0, frame[1] = 0, frame[2] = (uint8_t)(body >> 8), frame[3] = (uint8_t)body;
      frame[4] = 0, frame[5] = 0, frame[6] = 0, frame[7] = 7;
      for (size_t i = 8; i < body + 4; i++)
        frame[i] = (uint8_t)g_rand_int(r);
      len = body + 4;
    }
    send(fd, frame, len, MSG_NOSIGNAL);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0)
      while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }
    close(fd);
    ab->malformed_sent++;
  }
  g_rand_free(r);
  return NULL;
}

static gpointer storm_thread(gpointer data)
{
  abuse *ab = data;
  rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, ab->b, NULL);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  for (int round = 0; !g_atomic_int_get(&ab->stop); round++) {
    create_topics(rk, q, "storm-", round * 10, 10);
    ab->topics_created += 10;
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return NULL;
}

static void abuse_start(abuse *ab, const bench_broker *b)
{
  memset(ab, 0, sizeof *ab);
  ab->b = b;
  for (int i = 0; i < N_IDLE; i++)
    ab->idle[i] = tcp_connect(b->port);
  ab->threads[0] = g_thread_new("parked", parked_thread, ab);
  ab->threads[1] = g_thread_new("malformed", malformed_thread, ab);
  ab->threads[2] = g_thread_new("storm", storm_thread, ab);
}

static void abuse_stop(abuse *ab)
{
  g_atomic_int_set(&ab->stop, 1);
  for (int i = 0; i < 3; i++)
    g_thread_join(ab->threads[i]);
  int idle_open = 0;
  for (int i = 0; i < N_IDLE; i++)
    if (ab->idle[i] >= 0) {
      idle_open++;
      close(ab->idle[i]);
    }
  printf("  abuse: %d idle connections, %" G_GUINT64_FORMAT " parked-fetch answers, %" G_GUINT64_FORMAT
         " malformed connections, %" G_GUINT64_FORMAT " topics asked for\n",
         idle_open, ab->parked_answers, ab->malformed_sent, ab->topics_created);
}

/* ---- the well-behaved pair ---- */

typedef struct {
  const bench_broker *b;
  int64_t t0, t1;      /* the measured window (monotonic us) */
  volatile gint done;
  guint64 received;    /* in the window */
  GArray *lat;         /* double ms, in the window */
} pair_job;

static gpointer consumer_thread(gpointer data)
{
  pair_job *j = data;
  const char *conf[] = {"group.id", "pair", "enable.auto.commit", "false", "fetch.wait.max.ms", "100",
                        "fetch.error.backoff.ms", "10", NULL};
  rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, j->b, conf);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, "pair", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  while (!g_atomic_int_get(&j->done)) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m)
      continue;
    int64_t now = g_get_monotonic_time();
    if (!m->err && m->len == VALUE_SIZE && now >= j->t0 && now < j->t1) {
      int64_t sent;
      memcpy(&sent, m->payload, 8);
      double ms = (double)(now - sent) / 1000.0;
      g_array_append_val(j->lat, ms);
      j->received++;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return NULL;
}

/* Runs the pair for @secs (after 1 s of warm-up); records/s and p99 ms. */
static void pair_run(const bench_broker *b, int secs, double *rate, double *p99)
{
  const char *pconf[] = {"acks", "all", "linger.ms", "5", "queue.buffering.max.messages", "20000", NULL};
  rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, b, pconf);
  char value[VALUE_SIZE] = {0};
  /* The topic exists (auto-created) before the consumer starts. */
  rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("pair"), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("warm", 4),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  rd_kafka_flush(rk, 30000);
  pair_job j = {.b = b, .lat = g_array_new(FALSE, FALSE, sizeof(double))};
  int64_t start = g_get_monotonic_time();
  j.t0 = start + 1000000;
  j.t1 = j.t0 + (int64_t)secs * 1000000;
  GThread *th = g_thread_new("consumer", consumer_thread, &j);
  while (g_get_monotonic_time() < j.t1) {
    int64_t sent = g_get_monotonic_time();
    memcpy(value, &sent, 8);
    if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("pair"), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_VALUE(value, sizeof value), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(rk, 1);
    else
      rd_kafka_poll(rk, 0);
  }
  g_atomic_int_set(&j.done, 1);
  g_thread_join(th);
  rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_flush(rk, 1000);
  rd_kafka_destroy(rk);
  *rate = (double)j.received / secs;
  if (j.lat->len) {
    double *v = (double *)(void *)j.lat->data;
    qsort(v, j.lat->len, sizeof(double), bench_cmp_double);
    *p99 = v[(size_t)j.lat->len * 99 / 100];
  } else {
    *p99 = 0;
  }
  g_array_unref(j.lat);
}

static void phase(const char *exe, gboolean abused, int secs, double *rate, double *p99)
{
  bench_broker b;
  bench_broker_start(&b, WHO, exe, NULL);
  abuse ab;
  if (abused) {
    /* The empty topic the parked fetches wait on. */
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, &b, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    create_topics(rk, q, "abuse-empty", 0, 1);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    abuse_start(&ab, &b);
  }
  pair_run(&b, secs, rate, p99);
  if (abused)
    abuse_stop(&ab);
  printf("  %-7s %10.0f rec/s   p99 %8.2f ms\n", abused ? "abused" : "quiet", *rate, *p99);
  fflush(stdout);
  bench_broker_stop(&b);
}

int main(int argc, char **argv)
{
  if (argc < 2)
    die("usage: bench-broker-abuse RILL_BROKER_EXE [RUNS] [SECONDS]");
  int runs = argc > 2 ? atoi(argv[2]) : 3, secs = argc > 3 ? atoi(argv[3]) : 5;
  if (runs < 1 || secs < 1)
    die("RUNS and SECONDS must be >= 1");
  signal(SIGPIPE, SIG_IGN);
  /* 1,000 idle connections need the descriptors, here and in the broker. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  printf("bench-broker-abuse: librdkafka %s, 100 B records, %d s windows, medians of %d runs\n",
         rd_kafka_version_str(), secs, runs);
  double *qr = g_new(double, runs), *qp = g_new(double, runs), *ar = g_new(double, runs), *ap = g_new(double, runs);
  for (int i = 0; i < runs; i++) {
    phase(argv[1], FALSE, secs, &qr[i], &qp[i]);
    phase(argv[1], TRUE, secs, &ar[i], &ap[i]);
  }
  double quiet = bench_median(qr, runs), quiet_p99 = bench_median(qp, runs);
  double abused = bench_median(ar, runs), abused_p99 = bench_median(ap, runs);
  printf("RESULT name=broker-abuse ours=%.0f baseline=%.0f unit=rec/s ratio=%.3f p99_ms=%.2f p99_quiet_ms=%.2f\n",
         abused, quiet, quiet > 0 ? abused / quiet : 0.0, abused_p99, quiet_p99);
  g_free(qr), g_free(qp), g_free(ar), g_free(ap);
  return 0;
}
