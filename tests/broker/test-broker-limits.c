/* test-broker-limits.c — nothing a peer sends may stall, flood or kill a real
 * rill-broker process (broker-proc.h), driven over raw 127.0.0.1 sockets by
 * the codec-based client (client.h):
 *
 * - a Fetch parked with min_bytes above the data there is costs the broker
 *   no CPU and no memory while it waits, and other connections are answered
 *   meanwhile (the parked Fetch's 30 s deadline is far beyond the 10 s
 *   receive bound of the other client, so an answer proves it was not
 *   queued behind the parked request);
 *
 * The broker's resource use is read from /proc/PID (utime+stime, VmRSS),
 * never from the clock: an idle broker uses a few milliseconds of CPU per
 * second, a spinning one a whole core, so the bounds below are an order of
 * magnitude away from both. */
#include <rill/kafka_error.h>

#include "tests/broker/broker-proc.h"
#include "tests/broker/client.h"

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

/* A "VmRSS"/"VmHWM" line of /proc/PID/status, in KiB. */
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

/* ---- Requests ------------------------------------------------------------------- */

static void create_topic(int fd, int32_t corr, const char *topic)
{
  rill_wire_metadata_request rq;
  rill_wire_metadata_request_init(&rq);
  rill_wire_metadata_request_metadata_request_topic t = {.name = rill_wire_str_from(topic)};
  rq.topics = &t;
  rq.n_topics = 1;
  rq.allow_auto_topic_creation = true;
  tc_send(fd, RILL_WIRE_API_METADATA, 8, corr, &rq);
  rill_wire_arena a;
  rill_wire_arena_init(&a);
  rill_wire_metadata_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_METADATA, 8, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.n_topics, ==, 1);
  g_assert_cmpint(rs.topics[0].error_code, ==, 0);
  g_free(frame);
  rill_wire_arena_clear(&a);
}

/* Produces @n records of @value_size bytes (acks=1) and returns the error. */
static int16_t produce(int fd, int32_t corr, const char *topic, int n, size_t value_size)
{
  size_t len;
  uint8_t *batch = test_batch(n, value_size, 1000, (uint32_t)corr, &len);
  rill_wire_produce_request rq;
  rill_wire_produce_request_init(&rq);
  rill_wire_produce_request_partition_produce_data pd = {0, rill_wire_bytes_from(batch, len)};
  rill_wire_produce_request_topic_produce_data td = {rill_wire_str_from(topic), &pd, 1};
  rq.acks = 1;
  rq.timeout_ms = 5000;
  rq.topics = &td;
  rq.n_topics = 1;
  tc_send(fd, RILL_WIRE_API_PRODUCE, 7, corr, &rq);
  g_free(batch);
  rill_wire_arena a;
  rill_wire_arena_init(&a);
  rill_wire_produce_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_PRODUCE, 7, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.n_responses, ==, 1);
  int16_t ec = rs.responses[0].partitions[0].error_code;
  g_free(frame);
  rill_wire_arena_clear(&a);
  return ec;
}

static void send_fetch(int fd, int32_t corr, const char *topic, int64_t offset, int32_t max_wait, int32_t min_bytes)
{
  rill_wire_fetch_request rq;
  rill_wire_fetch_request_init(&rq);
  rill_wire_fetch_request_fetch_partition fp = {.partition = 0, .current_leader_epoch = -1, .fetch_offset = offset,
                                                .last_fetched_epoch = -1, .log_start_offset = -1,
                                                .partition_max_bytes = 4 << 20};
  rill_wire_fetch_request_fetch_topic ft = {rill_wire_str_from(topic), &fp, 1};
  rq.max_wait_ms = max_wait;
  rq.min_bytes = min_bytes;
  rq.max_bytes = 16 << 20;
  rq.topics = &ft;
  rq.n_topics = 1;
  tc_send(fd, RILL_WIRE_API_FETCH, 11, corr, &rq);
}

/* The answer to send_fetch: its partition's error, high watermark and bytes. */
static size_t recv_fetch(int fd, int32_t corr, int16_t *error, int64_t *hwm)
{
  rill_wire_arena a;
  rill_wire_arena_init(&a);
  rill_wire_fetch_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_FETCH, 11, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.n_responses, ==, 1);
  *error = rs.responses[0].partitions[0].error_code;
  *hwm = rs.responses[0].partitions[0].high_watermark;
  size_t n = (size_t)MAX(rs.responses[0].partitions[0].records.len, 0);
  g_free(frame);
  rill_wire_arena_clear(&a);
  return n;
}

/* ApiVersions v3 on @fd; FALSE when no answer came (closed or timed out). */
static gboolean api_versions_answered(int fd, int32_t corr)
{
  rill_wire_api_versions_request rq;
  rill_wire_api_versions_request_init(&rq);
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
  create_topic(prod, 1, "r1");
  g_assert_cmpint(produce(prod, 2, "r1", 1, 2), ==, 0); /* "hi" */

  /* From offset 0, with far less than min_bytes there: parks for 30 s. */
  int cons = tc_connect(b.port);
  send_fetch(cons, 7, "r1", 0, 30000, 100000);
  g_usleep(200 * 1000);
  double cpu0 = proc_cpu_s(&b);
  int64_t rss0 = proc_status_kib(&b, "VmRSS");

  /* Another client is answered long before the parked Fetch's deadline. */
  int other = tc_connect(b.port);
  set_recv_timeout(other, 10);
  g_assert_true(api_versions_answered(other, 1));
  create_topic(other, 2, "r1");

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

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/broker-limits/parked-fetch-costs-nothing", test_parked_fetch_costs_nothing);
  return g_test_run();
}
