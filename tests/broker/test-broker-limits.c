/* test-broker-limits.c — nothing a peer sends may stall, flood or kill a real
 * rill-broker process (broker-proc.h), driven over raw 127.0.0.1 sockets by
 * the codec-based client (client.h):
 *
 * - a Fetch parked with min_bytes above the data there is costs the broker
 *   no CPU and no memory while it waits, and other connections are answered
 *   meanwhile (the parked Fetch's 30 s deadline is far beyond the 10 s
 *   receive bound of the other client, so an answer proves it was not
 *   queued behind the parked request);
 * - out of file descriptors (a low RLIMIT_NOFILE set before exec), the
 *   broker neither spins on accept() nor floods its log, and serves queued
 *   and new clients once descriptors are free; rill-broker raises its soft
 *   limit to the hard one at start;
 * - requests read but not answered stay within queued.max.request.bytes
 *   however many connections send large frames at once, and every one is
 *   answered in turn; connections closed mid-frame give their bytes back;
 * - a peer repeating an unsupported request gets every answer but the log
 *   gets one line a second, with a count of the lines held back;
 * - a wildcard listener is logged as what it is bound to.
 *
 * The broker's resource use is read from /proc/PID (utime+stime, VmRSS),
 * never from the clock: an idle broker uses a few milliseconds of CPU per
 * second, a spinning one a whole core, so the bounds below are an order of
 * magnitude away from both. */
#include <rill/kafka-error.h>

#include "tests/broker/broker-proc.h"
#include "tests/broker/client.h"

#include <poll.h>

/* ---- The broker process's resource use ------------------------------------------ */

static GPid proc_pid(const broker_proc *b)
{
  const char *id = g_subprocess_get_identifier(b->proc);
  g_assert_nonnull(id);
  return (GPid)atoi(id);
}

/* utime + stime of the process, in seconds. */
static double proc_cpu_s(const broker_proc *b)
{
  char *path = g_strdup_printf("/proc/%d/stat", proc_pid(b));
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  /* Fields after the command name (which may hold spaces): state is field 3,
   * utime 14 and stime 15. */
  const char *p = strrchr(text, ')');
  g_assert_nonnull(p);
  char **f = g_strsplit(p + 2, " ", -1);
  g_assert_cmpuint(g_strv_length(f), >, 13);
  double ticks = g_ascii_strtod(f[11], NULL) + g_ascii_strtod(f[12], NULL);
  g_strfreev(f);
  g_free(text);
  g_free(path);
  return ticks / (double)sysconf(_SC_CLK_TCK);
}

/* A "VmRSS"-style line of /proc/PID/status, in KiB. */
static int64_t proc_status_kib(const broker_proc *b, const char *key)
{
  char *path = g_strdup_printf("/proc/%d/status", proc_pid(b));
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  char *k = g_strdup_printf("\n%s:", key);
  const char *p = strstr(text, k);
  g_assert_nonnull(p);
  int64_t v = g_ascii_strtoll(p + strlen(k), NULL, 10);
  g_free(k);
  g_free(text);
  g_free(path);
  return v;
}

/* Lines of the broker's log that contain @needle. */
static guint log_count(const broker_proc *b, const char *needle)
{
  char *text = NULL;
  g_assert_true(g_file_get_contents(b->log_path, &text, NULL, NULL));
  guint n = 0;
  for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  g_free(text);
  return n;
}

/* ---- Requests ------------------------------------------------------------------- */

/* Produces @n records of @value_size bytes (acks=1) and returns the error. */
static int16_t produce(int fd, int32_t corr, const char *topic, int n, size_t value_size)
{
  size_t len;
  uint8_t *batch = test_batch(n, value_size, 1000, (uint32_t)corr, &len);
  tc_send_produce(fd, corr, topic, 0, batch, len, 1);
  g_free(batch);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_produce_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_PRODUCE, 7, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.n_responses, ==, 1);
  int16_t ec = rs.responses[0].partitions[0].error_code;
  g_free(frame);
  rill__wire_arena_clear(&a);
  return ec;
}

/* The answer to tc_send_fetch: its partition's error, high watermark and bytes. */
static size_t recv_fetch(int fd, int32_t corr, int16_t *error, int64_t *hwm)
{
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_fetch_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_FETCH, 11, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.n_responses, ==, 1);
  *error = rs.responses[0].partitions[0].error_code;
  *hwm = rs.responses[0].partitions[0].high_watermark;
  size_t n = (size_t)MAX(rs.responses[0].partitions[0].records.len, 0);
  g_free(frame);
  rill__wire_arena_clear(&a);
  return n;
}

/* ApiVersions v3 on @fd; FALSE when no answer came (closed or timed out). */
static gboolean api_versions_answered(int fd, int32_t corr)
{
  rill__wire_api_versions_request rq;
  rill__wire_api_versions_request_init(&rq);
  tc_send(fd, RILL_WIRE_API_API_VERSIONS, 3, corr, &rq);
  size_t len = 0;
  uint8_t *frame = tc_recv_frame(fd, &len);
  gboolean ok = frame && len >= 6 && frame[3] == (uint8_t)corr && frame[4] == 0 && frame[5] == 0;
  g_free(frame);
  return ok;
}

static void set_recv_timeout(int fd, int seconds)
{
  struct timeval tv = {.tv_sec = seconds};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* ---- Tests ---------------------------------------------------------------------- */

static void test_parked_fetch_costs_nothing(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, NULL);
  int prod = tc_connect(b.port);
  tc_create_topic(prod, 1, "r1", 1);
  g_assert_cmpint(produce(prod, 2, "r1", 1, 2), ==, 0); /* "hi" */

  /* From offset 0, with far less than min_bytes there: parks for 30 s. */
  int cons = tc_connect(b.port);
  tc_send_fetch(cons, 7, "r1", 0, 0, 30000, 100000, 4 << 20);
  g_usleep(200 * 1000);
  double cpu0 = proc_cpu_s(&b);
  int64_t rss0 = proc_status_kib(&b, "VmRSS");

  /* Another client is answered long before the parked Fetch's deadline. */
  int other = tc_connect(b.port);
  set_recv_timeout(other, 10);
  g_assert_true(api_versions_answered(other, 1));
  tc_create_topic(other, 2, "r1", 1);

  /* Parked, the broker uses no CPU to speak of and takes no memory. */
  g_usleep(1000 * 1000);
  double cpu = proc_cpu_s(&b) - cpu0;
  int64_t rss_growth = proc_status_kib(&b, "VmRSS") - rss0;
  g_test_message("while parked: cpu %.3f s, rss %+" G_GINT64_FORMAT " KiB", cpu, rss_growth);
  g_assert_cmpfloat(cpu, <, 0.5);
  g_assert_cmpint(rss_growth, <, 16 * 1024);

  /* An append that reaches min_bytes still wakes it. */
  g_assert_cmpint(produce(prod, 3, "r1", 100, 2000), ==, 0);
  int16_t err;
  int64_t hwm;
  size_t got = recv_fetch(cons, 7, &err, &hwm);
  g_assert_cmpint(err, ==, 0);
  g_assert_cmpint(hwm, ==, 101);
  g_assert_cmpuint(got, >=, 100000);
  close(other);
  close(cons);
  close(prod);
  broker_proc_stop(&b);
}

/* Out of descriptors: no spin, no flood; served again once some are free. */
static void test_accept_out_of_descriptors(void)
{
  broker_proc b = {0};
  struct rlimit nofile = {64, 64};
  broker_proc_start_nofile(&b, NULL, &nofile);
  enum { N = 120 }; /* more than the broker can hold: the rest wait in the backlog */
  int fds[N];
  for (int i = 0; i < N; i++)
    fds[i] = tc_connect(b.port);
  double cpu0 = proc_cpu_s(&b);
  g_usleep(1500 * 1000);
  double cpu = proc_cpu_s(&b) - cpu0;
  guint failed = log_count(&b, "event=accept_failed");
  g_test_message("out of descriptors for 1.5 s: cpu %.3f s, %u accept_failed lines", cpu, failed);
  g_assert_cmpuint(failed, >=, 1);
  g_assert_cmpuint(failed, <=, 6);
  g_assert_cmpfloat(cpu, <, 0.5);
  set_recv_timeout(fds[0], 10);
  g_assert_true(api_versions_answered(fds[0], 1));
  for (int i = 0; i < N; i++)
    close(fds[i]);
  /* The queued ones are taken (and found closed), then a new client is served. */
  int fd = tc_connect(b.port);
  set_recv_timeout(fd, 10);
  g_assert_true(api_versions_answered(fd, 2));
  close(fd);
  g_assert_cmpuint(log_count(&b, "\n"), <, 80);
  broker_proc_stop(&b);
}

/* rill-broker raises its soft RLIMIT_NOFILE to the hard one. */
static void test_nofile_raised(void)
{
  struct rlimit mine;
  g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &mine), ==, 0);
  if (mine.rlim_max < 1024) {
    g_test_skip("hard RLIMIT_NOFILE below 1024");
    return;
  }
  broker_proc b = {0};
  struct rlimit nofile = {64, MIN(mine.rlim_max, (rlim_t)4096)};
  broker_proc_start_nofile(&b, NULL, &nofile);
  g_assert_cmpuint(log_count(&b, "event=nofile_raised from=64 "), ==, 1);
  enum { N = 200 };
  int fds[N];
  for (int i = 0; i < N; i++) {
    fds[i] = tc_connect(b.port);
    set_recv_timeout(fds[i], 10);
  }
  for (int i = 0; i < N; i++)
    g_assert_true(api_versions_answered(fds[i], i));
  for (int i = 0; i < N; i++)
    close(fds[i]);
  broker_proc_stop(&b);
}

/* Sends what poll allows of @len - @sent bytes; returns the bytes sent. */
static size_t send_some(int fd, const uint8_t *p, size_t len, size_t sent)
{
  ssize_t w = send(fd, p + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w < 0) {
    g_assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    return 0;
  }
  return (size_t)w;
}

/* queued.max.request.bytes bounds what ten senders of large frames cost. */
static void test_queued_max_request_bytes(void)
{
  const int64_t budget = 48 << 20;
  char *set = g_strdup_printf("queued.max.request.bytes=%" G_GINT64_FORMAT, budget);
  const char *const args[] = {"--set", set, NULL};
  broker_proc b = {0};
  broker_proc_start(&b, args);
  g_free(set);
  int64_t base = proc_status_kib(&b, "VmRSS");

  /* One 24 MiB Produce request (its records far above message.max.bytes:
   * answered with an error, but only once it has all been read). */
  size_t rec_len = 24u << 20;
  uint8_t *records = g_malloc0(rec_len);
  rill__wire_produce_request rq;
  rill__wire_produce_request_init(&rq);
  rill__wire_produce_request_partition_produce_data pd = {0, rill__wire_bytes_from(records, rec_len)};
  rill__wire_produce_request_topic_produce_data td = {rill__wire_str_from("big"), &pd, 1};
  rq.acks = 1;
  rq.timeout_ms = 5000;
  rq.topics = &td;
  rq.n_topics = 1;
  rill__wire_request_header h = {RILL_WIRE_API_PRODUCE, 7, 42, rill__wire_str_from("rill-test")};
  rill__wire_writer w;
  rill__wire_error err = {0};
  rill__wire_writer_init(&w);
  g_assert_true(rill__wire_request_encode(&w, &h, &rq, &err));
  g_free(records);

  /* Ten connections send all of it but the last byte, as far as the broker
   * reads: until nobody has made progress for half a second. */
  enum { N = 10 };
  int fds[N];
  size_t sent[N];
  for (int i = 0; i < N; i++) {
    fds[i] = tc_connect(b.port);
    set_recv_timeout(fds[i], 20);
    sent[i] = 0;
  }
  for (;;) {
    struct pollfd pfd[N];
    int n = 0;
    for (int i = 0; i < N; i++)
      if (sent[i] < w.len - 1)
        pfd[n++] = (struct pollfd){.fd = fds[i], .events = POLLOUT};
    if (n == 0 || poll(pfd, (nfds_t)n, 500) <= 0)
      break;
    for (int i = 0; i < N; i++)
      if (sent[i] < w.len - 1)
        sent[i] += send_some(fds[i], w.buf, w.len - 1, sent[i]);
  }
  int64_t rss = proc_status_kib(&b, "VmRSS") - base;
  g_test_message("ten 24 MiB frames in flight, budget 48 MiB: rss +%" G_GINT64_FORMAT " KiB", rss);
  g_assert_cmpint(rss, <, (budget >> 10) + 24 * 1024);

  /* Then everyone finishes: each request is read and answered in turn. */
  gboolean answered[N] = {FALSE};
  int left = N;
  while (left > 0) {
    struct pollfd pfd[N];
    for (int i = 0; i < N; i++)
      pfd[i] = (struct pollfd){.fd = answered[i] ? -1 : fds[i], .events = POLLIN | (sent[i] < w.len ? POLLOUT : 0)};
    g_assert_cmpint(poll(pfd, N, 20000), >, 0); /* a stuck broker fails instead of hanging */
    for (int i = 0; i < N; i++) {
      if (pfd[i].revents & POLLOUT)
        sent[i] += send_some(fds[i], w.buf, w.len, sent[i]);
      if (pfd[i].revents & POLLIN) {
        g_assert_cmpuint(sent[i], ==, w.len);
        size_t len;
        uint8_t *frame = tc_recv_frame(fds[i], &len);
        g_assert_nonnull(frame);
        g_assert_cmpuint(len, >=, 4);
        g_assert_cmpint(frame[3], ==, 42);
        g_free(frame);
        answered[i] = TRUE;
        left--;
      }
    }
  }
  for (int i = 0; i < N; i++)
    close(fds[i]);

  /* Frames abandoned midway give their bytes back: a new client is served. */
  for (int i = 0; i < 3; i++) {
    fds[i] = tc_connect(b.port);
    tc_send_raw(fds[i], w.buf, 1 << 20);
  }
  g_usleep(200 * 1000);
  for (int i = 0; i < 3; i++)
    close(fds[i]);
  int fd = tc_connect(b.port);
  set_recv_timeout(fd, 10);
  g_assert_true(api_versions_answered(fd, 1));
  close(fd);
  rill__wire_writer_clear(&w);
  broker_proc_stop(&b);
}

/* One log line a second for a repeated unsupported request, none lost. */
static void test_unsupported_request_lines_limited(void)
{
  broker_proc b = {0};
  broker_proc_start(&b, NULL);
  int fd = tc_connect(b.port);
  enum { N = 300 };
  for (int i = 0; i < N; i++) {
    uint8_t unknown[] = {0, 0, 0, 10, 0, 99, 0, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i, 0xff, 0xff};
    tc_send_raw(fd, unknown, sizeof unknown);
  }
  for (int i = 0; i < N; i++) {
    size_t len;
    uint8_t *frame = tc_recv_frame(fd, &len);
    g_assert_nonnull(frame);
    g_assert_cmpuint(len, ==, 6);
    g_assert_cmpint(frame[2] << 8 | frame[3], ==, i);
    g_assert_cmpint(frame[5], ==, RILL_KAFKA_ERR_UNSUPPORTED_VERSION);
    g_free(frame);
  }
  /* Lines written plus the counts they carry add up to every request, once
   * the held-back ones are reported (by the next tick, about a second). */
  guint lines = 0;
  uint64_t total = 0;
  for (int tries = 0; tries < 100 && total < N; tries++) {
    g_usleep(100 * 1000);
    char *text = NULL;
    g_assert_true(g_file_get_contents(b.log_path, &text, NULL, NULL));
    lines = 0;
    total = 0;
    for (const char *p = text; (p = strstr(p, "event=unsupported_request")); p++) {
      /* "event=unsupported_request api=99 ... [suppressed=K]" is one request
       * (and K held back); "event=unsupported_request suppressed=K" reports K. */
      const char *eol = strchr(p, '\n');
      const char *s = strstr(p, " suppressed=");
      gboolean summary = g_str_has_prefix(p, "event=unsupported_request suppressed=");
      lines++;
      total += (summary ? 0 : 1) + (s && (!eol || s < eol) ? g_ascii_strtoull(s + 12, NULL, 10) : 0);
    }
    g_free(text);
  }
  g_test_message("%u lines for %d unsupported requests", lines, N);
  g_assert_cmpuint(total, ==, N);
  g_assert_cmpuint(lines, <=, 4);
  close(fd);
  broker_proc_stop(&b);
}

/* --listen 0.0.0.0:P is logged as bound to 0.0.0.0, advertised as 127.0.0.1. */
static void test_wildcard_listener_logged(void)
{
  const char *const args[] = {"--listen", "0.0.0.0:0", NULL};
  broker_proc b = {0};
  broker_proc_start(&b, args);
  char *line = g_strdup_printf("event=listening host=0.0.0.0 port=%u advertised=127.0.0.1:%u", b.port, b.port);
  g_assert_cmpuint(log_count(&b, line), ==, 1);
  g_free(line);
  int fd = tc_connect(b.port);
  g_assert_true(api_versions_answered(fd, 1));
  close(fd);
  broker_proc_stop(&b);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/broker-limits/parked-fetch-costs-nothing", test_parked_fetch_costs_nothing);
  g_test_add_func("/broker-limits/accept-out-of-descriptors", test_accept_out_of_descriptors);
  g_test_add_func("/broker-limits/nofile-raised", test_nofile_raised);
  g_test_add_func("/broker-limits/queued-max-request-bytes", test_queued_max_request_bytes);
  g_test_add_func("/broker-limits/unsupported-request-lines-limited", test_unsupported_request_lines_limited);
  g_test_add_func("/broker-limits/wildcard-listener-logged", test_wildcard_listener_logged);
  return g_test_run();
}
