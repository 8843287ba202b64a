/* test-robustness.c — a real rill-broker process (tests/broker/broker-proc.h) under hostile
 * and heavy raw-socket traffic (tests/broker/client.h, our codec):
 * - random bytes, 2 GB and negative size prefixes, truncated frames, frames
 *   too short for a header, unknown API keys, unsupported versions, and
 *   clients that vanish mid-request (half a frame, a parked long-poll Fetch,
 *   a Produce in flight): each is answered or its one connection closed,
 *   and a connection opened before all this is still served afterwards, as
 *   are new ones;
 * - 1,000 connections open at once, each producing a record and then
 *   fetching its partition: every record lands exactly once, in order.
 * The in-process twin (tests/broker/test-broker-api.c /broker/hostile-input)
 * covers the embedded broker; this runs the daemon.
 */
#include <rill/kafka-error.h>

#include <sys/resource.h>

#include "runtime/wire/recordbatch.h"
#include "tests/broker/client.h"
#include "tests/broker/broker-proc.h"

/* ApiVersions v@version on @fd must answer @corr with error 0. */
static void check_served(int fd, int32_t corr)
{
  rill__wire_api_versions_request rq;
  rill__wire_api_versions_request_init(&rq);
  tc_send(fd, RILL_WIRE_API_API_VERSIONS, 3, corr, &rq);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_api_versions_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_API_VERSIONS, 3, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.error_code, ==, 0);
  g_assert_cmpint(rs.n_api_keys, >, 20);
  g_free(frame);
  rill__wire_arena_clear(&a);
}

/* After hostile input on @fd: reads until EOF; any frame that does come
 * back must be well-formed (its size matches) — answered or closed, the
 * broker's choice, but never a hang (client.h's receive timeout). */
static guint drain(int fd)
{
  guint frames = 0;
  shutdown(fd, SHUT_WR);
  for (;;) {
    uint8_t sz[4];
    if (!tc_read_exact(fd, sz, 4))
      break;
    size_t len = (size_t)sz[0] << 24 | (size_t)sz[1] << 16 | (size_t)sz[2] << 8 | sz[3];
    g_assert_cmpuint(len, <, 1u << 20);
    uint8_t *buf = g_malloc(len + 1);
    g_assert_true(tc_read_exact(fd, buf, len));
    g_free(buf);
    frames++;
  }
  close(fd);
  return frames;
}

static void encode_frame(int16_t api, int16_t version, int32_t corr, const void *body, rill__wire_writer *w)
{
  rill__wire_request_header h = {api, version, corr, rill__wire_str_from("robust")};
  rill__wire_error err = {0};
  rill__wire_writer_init(w);
  g_assert_true(rill__wire_request_encode(w, &h, body, &err));
}

static void send_produce(int fd, int32_t corr, const char *topic, int32_t partition, GBytes *batch)
{
  gsize len;
  const uint8_t *p = g_bytes_get_data(batch, &len);
  tc_send_produce(fd, corr, topic, partition, p, len, -1);
}

static GBytes *one_record(int64_t ts, const char *key, const char *value)
{
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  rill__batch_writer *w = rill__batch_writer_new(&o, NULL);
  rill__record_header h = {(const uint8_t *)"src", 3, (const uint8_t *)"robust", 6};
  rill__batch_writer_append(w, ts, key, (int32_t)strlen(key), value, (int32_t)strlen(value), &h, 1);
  GBytes *b = rill__batch_writer_finish(w, NULL);
  rill__batch_writer_free(w);
  return b;
}

static void test_hostile(void)
{
  const char *const settings[] = {"--set", "socket.request.max.bytes=1048576", NULL};
  broker_proc b = {0};
  broker_proc_start(&b, settings);
  int keep = tc_connect(b.port);
  check_served(keep, 1);
  int32_t corr = 2;

  /* Random bytes, no framing at all: 64 rounds of 4 KB. */
  GRand *rnd = g_rand_new_with_seed(7);
  for (int round = 0; round < 64; round++) {
    int fd = tc_connect(b.port);
    uint8_t buf[4096];
    for (size_t i = 0; i < sizeof buf; i++)
      buf[i] = (uint8_t)g_rand_int_range(rnd, 0, 256);
    if (round % 2 == 0)
      buf[0] = 0; /* a size under 16 MB: a frame the broker reads, then garbage inside */
    send(fd, buf, sizeof buf, MSG_NOSIGNAL); /* may fail once the broker closed: fine */
    drain(fd);
  }
  g_rand_free(rnd);
  check_served(keep, corr++);

  /* 2 GB, just-over-the-limit and negative size prefixes: closed at once. */
  const uint32_t sizes[] = {0x80000000u, 0x7fffffffu, (1u << 20) + 1, 0xfffffff0u};
  for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
    int fd = tc_connect(b.port);
    uint8_t hdr[8] = {sizes[i] >> 24, sizes[i] >> 16, sizes[i] >> 8, sizes[i], 0, 3, 0, 9};
    tc_send_raw(fd, hdr, sizeof hdr);
    g_assert_cmpuint(drain(fd), ==, 0);
  }
  check_served(keep, corr++);

  /* Frames too short for a request header (0..7 bytes). */
  for (uint8_t n = 0; n < 8; n++) {
    int fd = tc_connect(b.port);
    uint8_t f[12] = {0, 0, 0, n, 0, 18, 0, 3, 0, 0, 0, 1};
    tc_send_raw(fd, f, 4 + n);
    drain(fd);
  }
  check_served(keep, corr++);

  /* A valid Metadata frame truncated at every length, size prefix intact:
   * the broker waits for the rest, then sees EOF. */
  rill__wire_metadata_request md;
  rill__wire_metadata_request_init(&md);
  rill__wire_writer w;
  encode_frame(RILL_WIRE_API_METADATA, 9, 77, &md, &w);
  for (size_t cut = 1; cut < w.len; cut++) {
    int fd = tc_connect(b.port);
    tc_send_raw(fd, w.buf, cut);
    g_assert_cmpuint(drain(fd), ==, 0);
  }
  /* ... and with the size prefix shrunk to the cut: a malformed body. */
  for (size_t cut = 8; cut < w.len; cut++) {
    int fd = tc_connect(b.port);
    uint8_t *f = g_memdup2(w.buf, cut);
    uint32_t n = (uint32_t)(cut - 4);
    f[0] = n >> 24, f[1] = n >> 16, f[2] = n >> 8, f[3] = n;
    tc_send_raw(fd, f, cut);
    drain(fd);
    g_free(f);
  }
  rill__wire_writer_clear(&w);
  check_served(keep, corr++);

  /* Unknown API keys: answered or closed, and if answered, the right
   * correlation id. */
  const int16_t keys[] = {-1, 69, 999, 32767, 4 /* LeaderAndIsr: not served */};
  for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
    int fd = tc_connect(b.port);
    uint8_t f[] = {0, 0, 0, 14, keys[i] >> 8, keys[i] & 0xff, 0, 0, 0, 0, 0, 42, 0, 4, 't', 'e', 's', 't'};
    tc_send_raw(fd, f, sizeof f);
    size_t len;
    uint8_t *r = tc_recv_frame(fd, &len);
    if (r) {
      g_assert_cmpuint(len, >=, 4);
      g_assert_cmpint(r[3], ==, 42);
      g_free(r);
    }
    drain(fd);
  }
  check_served(keep, corr++);

  /* Unsupported versions: ApiVersions answers UNSUPPORTED_VERSION in v0
   * (KIP-511) with its own range; others are answered or closed. */
  {
    int fd = tc_connect(b.port);
    uint8_t f[] = {0, 0, 0, 10, 0, 18, 0, 99, 0, 0, 0, 5, 0xff, 0xff};
    tc_send_raw(fd, f, sizeof f);
    rill__wire_arena a;
    rill__wire_arena_init(&a);
    rill__wire_api_versions_response rs;
    uint8_t *frame;
    g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_API_VERSIONS, 0, &a, &rs, &frame), ==, 5);
    g_assert_cmpint(rs.error_code, ==, RILL_KAFKA_ERR_UNSUPPORTED_VERSION);
    gboolean found = FALSE;
    for (int32_t i = 0; i < rs.n_api_keys; i++)
      found |= rs.api_keys[i].api_key == RILL_WIRE_API_API_VERSIONS;
    g_assert_true(found);
    g_free(frame);
    rill__wire_arena_clear(&a);
    /* The same connection goes on being served. */
    check_served(fd, 6);
    close(fd);
  }
  const int16_t apis[] = {RILL_WIRE_API_METADATA, RILL_WIRE_API_PRODUCE, RILL_WIRE_API_FETCH, RILL_WIRE_API_JOIN_GROUP};
  for (guint i = 0; i < G_N_ELEMENTS(apis); i++) {
    int fd = tc_connect(b.port);
    uint8_t f[] = {0, 0, 0, 10, 0, (uint8_t)apis[i], 0x7f, 0x00, 0, 0, 0, 9, 0xff, 0xff};
    tc_send_raw(fd, f, sizeof f);
    size_t len;
    uint8_t *r = tc_recv_frame(fd, &len);
    if (r) {
      g_assert_cmpuint(len, >=, 4);
      g_assert_cmpint(r[3], ==, 9);
      g_free(r);
    }
    drain(fd);
  }
  check_served(keep, corr++);

  /* Clients that vanish mid-request: half a Produce; a long-poll Fetch
   * parked on an empty partition; a Produce and a Fetch sent and the socket
   * closed before any answer (answers to a dead connection are dropped). */
  int fd = tc_connect(b.port);
  tc_create_topic(fd, 1000, "gone", 1);
  close(fd);
  GBytes *rec = one_record(1000, "k", "v");
  for (int round = 0; round < 20; round++) {
    fd = tc_connect(b.port);
    rill__wire_writer pw;
    rill__wire_produce_request rq;
    rill__wire_produce_request_init(&rq);
    gsize rlen;
    const uint8_t *rp = g_bytes_get_data(rec, &rlen);
    rill__wire_produce_request_partition_produce_data pd = {0, rill__wire_bytes_from(rp, rlen)};
    rill__wire_produce_request_topic_produce_data td = {rill__wire_str_from("gone"), &pd, 1};
    rq.acks = -1;
    rq.timeout_ms = 1000;
    rq.topics = &td;
    rq.n_topics = 1;
    encode_frame(RILL_WIRE_API_PRODUCE, 7, 1, &rq, &pw);
    tc_send_raw(fd, pw.buf, pw.len / 2 + (size_t)round);
    rill__wire_writer_clear(&pw);
    close(fd);

    fd = tc_connect(b.port);
    tc_send_fetch(fd, 2, "gone", 0, 1 << 20, 30000, 1, 1 << 20); /* past the end: an immediate error */
    tc_send_fetch(fd, 3, "gone", 0, 0, 30000, 1, 1 << 20);
    close(fd);

    fd = tc_connect(b.port);
    send_produce(fd, 4, "gone", 0, rec);
    tc_send_fetch(fd, 5, "gone", 0, 0, 0, 1, 1 << 20);
    close(fd);
  }
  g_bytes_unref(rec);
  check_served(keep, corr++);
  fd = tc_connect(b.port);
  check_served(fd, 1);
  close(fd);
  close(keep);
  g_assert_true(broker_proc_alive(&b));
  broker_proc_stop(&b);
}

#define N_CONNS 1000
#define N_PARTS 8

/* Parses every record in @records: counts keys "c<i>" into @seen and checks
 * offsets increase from 0 without a gap and the values match the keys. */
static int count_records(const uint8_t *records, size_t len, int32_t partition, int *seen)
{
  rill__batch_reader r;
  rill__batch_reader_init(&r);
  size_t pos = 0;
  int n = 0;
  while (pos < len) {
    GError *e = NULL;
    g_assert_true(rill__batch_reader_open(&r, records + pos, len - pos, RILL__BATCH_VERIFY_CRC, 1 << 20, &e));
    g_assert_no_error(e);
    rill__record rec;
    int got;
    while ((got = rill__batch_reader_next(&r, &rec, &e)) == 1) {
      g_assert_cmpint(rec.offset, ==, n);
      char key[16] = {0}, value[32] = {0};
      g_assert_cmpint(rec.key_len, <, 16);
      memcpy(key, rec.key, (size_t)rec.key_len);
      memcpy(value, rec.value, (size_t)rec.value_len);
      int i = atoi(key + 1);
      g_assert_cmpint(key[0], ==, 'c');
      g_assert_cmpint(i % N_PARTS, ==, partition);
      g_autofree char *want = g_strdup_printf("value of %d", i);
      g_assert_cmpstr(value, ==, want);
      g_assert_cmpint(rec.timestamp, ==, 5000 + i);
      g_assert_cmpint(rec.header_count, ==, 1);
      seen[i]++;
      n++;
    }
    g_assert_cmpint(got, ==, 0);
    pos += r.batch_size;
  }
  rill__batch_reader_clear(&r);
  return n;
}

static void test_many_connections(void)
{
  struct rlimit rl;
  g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
  if (rl.rlim_cur < 2 * N_CONNS + 200) {
    rl.rlim_cur = MIN(rl.rlim_max, 2 * N_CONNS + 200);
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &rl), ==, 0);
  }
  /* Both ends of every connection live on this machine: the broker (which
   * inherits the limit) needs one fd each too. */
  g_assert_cmpuint(rl.rlim_cur, >=, N_CONNS + 100);
  const char *const settings[] = {"--set", "num.partitions=8", NULL};
  broker_proc b = {0};
  broker_proc_start(&b, settings);

  int setup = tc_connect(b.port);
  tc_create_topic(setup, 1000, "many", N_PARTS);

  int *fds = g_new(int, N_CONNS);
  for (int i = 0; i < N_CONNS; i++)
    fds[i] = tc_connect(b.port);
  /* Every connection has a Produce in flight before any answer is read. */
  for (int i = 0; i < N_CONNS; i++) {
    g_autofree char *key = g_strdup_printf("c%d", i);
    g_autofree char *value = g_strdup_printf("value of %d", i);
    GBytes *batch = one_record(5000 + i, key, value);
    send_produce(fds[i], i, "many", i % N_PARTS, batch);
    g_bytes_unref(batch);
  }
  for (int i = 0; i < N_CONNS; i++) {
    rill__wire_arena a;
    rill__wire_arena_init(&a);
    rill__wire_produce_response rs;
    uint8_t *frame;
    g_assert_cmpint(tc_recv(fds[i], RILL_WIRE_API_PRODUCE, 7, &a, &rs, &frame), ==, i);
    g_assert_cmpint(rs.responses[0].partitions[0].error_code, ==, 0);
    g_assert_cmpint(rs.responses[0].partitions[0].base_offset, <, N_CONNS / N_PARTS);
    g_free(frame);
    rill__wire_arena_clear(&a);
  }
  /* Every connection fetches its partition: all 125 records, in order. */
  for (int i = 0; i < N_CONNS; i++)
    tc_send_fetch(fds[i], N_CONNS + i, "many", i % N_PARTS, 0, 0, 1, 1 << 20);
  int *seen = g_new0(int, N_CONNS);
  for (int i = 0; i < N_CONNS; i++) {
    rill__wire_arena a;
    rill__wire_arena_init(&a);
    rill__wire_fetch_response rs;
    uint8_t *frame;
    g_assert_cmpint(tc_recv(fds[i], RILL_WIRE_API_FETCH, 11, &a, &rs, &frame), ==, N_CONNS + i);
    rill__wire_fetch_response_partition_data *p = &rs.responses[0].partitions[0];
    g_assert_cmpint(p->error_code, ==, 0);
    g_assert_cmpint(p->high_watermark, ==, N_CONNS / N_PARTS);
    memset(seen, 0, sizeof(int) * N_CONNS);
    g_assert_cmpint(count_records(p->records.ptr, (size_t)p->records.len, i % N_PARTS, seen), ==, N_CONNS / N_PARTS);
    for (int j = 0; j < N_CONNS; j++)
      g_assert_cmpint(seen[j], ==, j % N_PARTS == i % N_PARTS ? 1 : 0);
    g_free(frame);
    rill__wire_arena_clear(&a);
  }
  for (int i = 0; i < N_CONNS; i++)
    close(fds[i]);
  check_served(setup, 2);
  close(setup);
  g_free(seen);
  g_free(fds);
  broker_proc_stop(&b);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  signal(SIGPIPE, SIG_IGN);
  g_test_add_func("/interop/robustness/hostile", test_hostile);
  g_test_add_func("/interop/robustness/1000-connections", test_many_connections);
  return g_test_run();
}
