/* test-broker-api.c — the broker embedded in-process over a rill_log the test
 * also uses directly, driven over a real 127.0.0.1 socket by a small client
 * built on our codec (client.h): version negotiation, Metadata, Produce and
 * Fetch seen from both sides (embedding), pipelined answers in request
 * order, acks=0, durability sync acks pipelined over two connections (large
 * frames included), long polling woken by an append (another thread's, and a
 * corked burst of Produce requests on another connection), KIP-74, the
 * broker's fetch.max.bytes cap, refused versions,
 * and hostile input (random bytes, a 2 GB size prefix, truncated frames)
 * that must close only the offending connection. */
#include <rill/broker.h>
#include <rill/kafka-error.h>

#include <netinet/tcp.h>

#include "tests/broker/client.h"
#include "tests/log/test-batch.h"

typedef struct {
  char *dir;
  rill_log *log;
  rill_broker *broker;
  uint16_t port;
} fixture;

static void fixture_start(fixture *f, const char *const *settings)
{
  GError *e = NULL;
  f->dir = test_tmpdir();
  f->log = rill_log_open(f->dir, NULL, &e);
  g_assert_no_error(e);
  rill_broker_config *c = rill_broker_config_new();
  g_assert_true(rill_broker_config_set(c, "listeners", "127.0.0.1:0", &e));
  g_assert_true(rill_broker_config_set(c, "broker.id", "7", &e));
  for (guint i = 0; settings && settings[i]; i += 2)
    g_assert_true(rill_broker_config_set(c, settings[i], settings[i + 1], &e));
  f->broker = rill_broker_new_for_log(c, f->log, &e);
  g_assert_no_error(e);
  rill_broker_config_free(c);
  g_assert_true(rill_broker_start(f->broker, &e));
  g_assert_no_error(e);
  f->port = rill_broker_port(f->broker);
  g_assert_cmpuint(f->port, >, 0);
}

static void fixture_stop(fixture *f)
{
  rill_broker_free(f->broker);
  rill_log_close(f->log);
  test_rm_rf(f->dir);
  g_free(f->dir);
}

static const rill__wire_api_versions_response_api_version *find_api(const rill__wire_api_versions_response *r,
                                                                    int16_t key)
{
  for (int32_t i = 0; i < r->n_api_keys; i++)
    if (r->api_keys[i].api_key == key)
      return &r->api_keys[i];
  return NULL;
}

static void check_api_versions(int fd, int16_t version, int32_t corr)
{
  rill__wire_api_versions_request rq;
  rill__wire_api_versions_request_init(&rq);
  tc_send(fd, RILL_WIRE_API_API_VERSIONS, version, corr, &rq);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_api_versions_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_API_VERSIONS, version, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.error_code, ==, 0);
  const rill__wire_api_versions_response_api_version *p = find_api(&rs, RILL_WIRE_API_PRODUCE);
  g_assert_nonnull(p);
  g_assert_cmpint(p->min_version, ==, 0);
  g_assert_cmpint(p->max_version, ==, 7);
  p = find_api(&rs, RILL_WIRE_API_FETCH);
  g_assert_cmpint(p->min_version, ==, 0);
  g_assert_cmpint(p->max_version, ==, 11);
  p = find_api(&rs, RILL_WIRE_API_JOIN_GROUP);
  g_assert_cmpint(p->min_version, ==, 0);
  g_free(frame);
  rill__wire_arena_clear(&a);
}

static void test_api_versions(void)
{
  fixture f;
  fixture_start(&f, NULL);
  int fd = tc_connect(f.port);
  check_api_versions(fd, 3, 1);
  check_api_versions(fd, 0, 2);

  /* A version we do not serve: error 35 with a v0 body listing our ranges. */
  rill__wire_api_versions_request rq;
  rill__wire_api_versions_request_init(&rq);
  uint8_t raw[] = {0, 0, 0, 14, 0, 18, 0, 9, 0, 0, 0, 3, 0, 4, 't', 'e', 's', 't'};
  tc_send_raw(fd, raw, sizeof raw);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_api_versions_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_API_VERSIONS, 0, &a, &rs, &frame), ==, 3);
  g_assert_cmpint(rs.error_code, ==, RILL_KAFKA_ERR_UNSUPPORTED_VERSION);
  g_assert_nonnull(find_api(&rs, RILL_WIRE_API_METADATA));
  g_free(frame);
  rill__wire_arena_clear(&a);

  /* An unknown API key: a minimal answer, and the connection stays usable. */
  uint8_t unknown[] = {0, 0, 0, 10, 0, 99, 0, 0, 0, 0, 0, 4, 0xff, 0xff};
  tc_send_raw(fd, unknown, sizeof unknown);
  size_t len = 0;
  frame = tc_recv_frame(fd, &len);
  g_assert_nonnull(frame);
  g_assert_cmpuint(len, ==, 6);
  g_assert_cmpint(frame[3], ==, 4);
  g_assert_cmpint(frame[5], ==, RILL_KAFKA_ERR_UNSUPPORTED_VERSION);
  g_free(frame);
  check_api_versions(fd, 3, 5);
  close(fd);
  fixture_stop(&f);
}

static void metadata(int fd, int16_t version, int32_t corr, const char *topic, gboolean allow_create,
                     rill__wire_arena *a, rill__wire_metadata_response *rs, uint8_t **frame)
{
  rill__wire_metadata_request rq;
  rill__wire_metadata_request_init(&rq);
  rill__wire_metadata_request_topic t = {.name = rill__wire_str_from(topic)};
  rq.topics = topic ? &t : NULL;
  rq.n_topics = topic ? 1 : -1;
  rq.allow_auto_topic_creation = allow_create;
  tc_send(fd, RILL_WIRE_API_METADATA, version, corr, &rq);
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_METADATA, version, a, rs, frame), ==, corr);
}

static void test_metadata(void)
{
  fixture f;
  const char *const settings[] = {"num.partitions", "3", NULL};
  fixture_start(&f, settings);
  int fd = tc_connect(f.port);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_metadata_response rs;
  uint8_t *frame;

  metadata(fd, 8, 1, "auto-one", TRUE, &a, &rs, &frame);
  g_assert_cmpint(rs.n_brokers, ==, 1);
  g_assert_cmpint(rs.brokers[0].node_id, ==, 7);
  g_assert_true(rill__wire_str_eq(rs.brokers[0].host, "127.0.0.1"));
  g_assert_cmpint(rs.brokers[0].port, ==, f.port);
  g_assert_cmpint(rs.controller_id, ==, 7);
  g_assert_cmpint(rs.n_topics, ==, 1);
  g_assert_cmpint(rs.topics[0].error_code, ==, 0);
  g_assert_cmpint(rs.topics[0].n_partitions, ==, 3);
  g_assert_cmpint(rs.topics[0].partitions[2].leader_id, ==, 7);
  g_free(frame);
  /* The topic is real: the in-process log sees it. */
  int32_t np = 0;
  g_assert_true(rill_log_topic_describe(f.log, "auto-one", &np, NULL, NULL));
  g_assert_cmpint(np, ==, 3);

  metadata(fd, 4, 2, "not-created", FALSE, &a, &rs, &frame);
  g_assert_cmpint(rs.topics[0].error_code, ==, RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
  g_free(frame);

  /* A topic created in-process shows up in the null (= all) list. */
  g_assert_true(rill_log_topic_create(f.log, "inproc", 2, NULL, NULL));
  metadata(fd, 1, 3, NULL, TRUE, &a, &rs, &frame);
  g_assert_cmpint(rs.n_topics, ==, 2);
  g_assert_true(rill__wire_str_eq(rs.topics[0].name, "auto-one"));
  g_assert_true(rill__wire_str_eq(rs.topics[1].name, "inproc"));
  g_assert_cmpint(rs.topics[1].n_partitions, ==, 2);
  g_free(frame);
  rill__wire_arena_clear(&a);
  close(fd);
  fixture_stop(&f);
}

static void send_produce(int fd, int16_t version, int32_t corr, int16_t acks, const char *topic, int32_t partition,
                         const uint8_t *batch, size_t len)
{
  rill__wire_produce_request rq;
  rill__wire_produce_request_init(&rq);
  rill__wire_produce_request_partition_produce_data pd = {partition, rill__wire_bytes_from(batch, len)};
  rill__wire_produce_request_topic_produce_data td = {rill__wire_str_from(topic), &pd, 1};
  rq.acks = acks;
  rq.timeout_ms = 5000;
  rq.topics = &td;
  rq.n_topics = 1;
  tc_send(fd, RILL_WIRE_API_PRODUCE, version, corr, &rq);
}

static int16_t recv_produce(int fd, int16_t version, int32_t corr, int64_t *base_offset)
{
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_produce_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_PRODUCE, version, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.n_responses, ==, 1);
  g_assert_cmpint(rs.responses[0].n_partitions, ==, 1);
  int16_t ec = rs.responses[0].partitions[0].error_code;
  if (base_offset)
    *base_offset = rs.responses[0].partitions[0].base_offset;
  if (ec == 0 && version >= 2)
    g_assert_cmpint(rs.responses[0].partitions[0].log_append_time_ms, ==, -1);
  g_free(frame);
  rill__wire_arena_clear(&a);
  return ec;
}

/* Receives a Fetch v11 answer for one partition: its error, hwm and a copy of the records. */
static GBytes *recv_fetch(int fd, int32_t corr, int16_t *error, int64_t *hwm)
{
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_fetch_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_FETCH, 11, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.error_code, ==, 0);
  g_assert_cmpint(rs.n_responses, ==, 1);
  g_assert_cmpint(rs.responses[0].n_partitions, ==, 1);
  rill__wire_fetch_response_partition_data *p = &rs.responses[0].partitions[0];
  *error = p->error_code;
  *hwm = p->high_watermark;
  g_assert_cmpint(p->last_stable_offset, ==, p->high_watermark);
  g_assert_cmpint(p->preferred_read_replica, ==, -1);
  GBytes *b = g_bytes_new(p->records.ptr, (gsize)MAX(p->records.len, 0));
  g_free(frame);
  rill__wire_arena_clear(&a);
  return b;
}

static void test_produce_fetch_embedded(void)
{
  fixture f;
  fixture_start(&f, NULL);
  g_assert_true(rill_log_topic_create(f.log, "t", 1, NULL, NULL));
  int fd = tc_connect(f.port);

  /* In-process append, network read: the same bytes, offsets re-stamped. */
  size_t len1;
  uint8_t *b1 = test_batch(3, 20, 1000, 1, &len1);
  uint8_t *copy = g_memdup2(b1, len1);
  rill_log_append_result res;
  g_assert_true(rill_log_append(f.log, "t", 0, copy, len1, &res, NULL));
  g_free(copy);
  int16_t err;
  int64_t hwm;
  tc_send_fetch(fd, 10, "t", 0, 0, 0, 1, 1 << 20);
  GBytes *got = recv_fetch(fd, 10, &err, &hwm);
  g_assert_cmpint(err, ==, 0);
  g_assert_cmpint(hwm, ==, 3);
  g_assert_cmpuint(g_bytes_get_size(got), ==, len1);
  /* baseOffset (first 8 bytes) is 0 both ways; the rest is identical. */
  g_assert_cmpmem(g_bytes_get_data(got, NULL), len1, b1, len1);
  g_bytes_unref(got);

  /* Network append, in-process read. */
  size_t len2;
  uint8_t *b2 = test_batch(2, 10, 2000, 2, &len2);
  int64_t base = -1;
  send_produce(fd, 7, 11, -1, "t", 0, b2, len2);
  g_assert_cmpint(recv_produce(fd, 7, 11, &base), ==, 0);
  g_assert_cmpint(base, ==, 3);
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(f.log, "t", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, 5);

  /* KIP-74: a partition limit of 1 byte still returns the first whole batch. */
  tc_send_fetch(fd, 12, "t", 0, 3, 0, 1, 1);
  got = recv_fetch(fd, 12, &err, &hwm);
  g_assert_cmpint(err, ==, 0);
  g_assert_cmpuint(g_bytes_get_size(got), ==, len2);
  g_assert_cmpmem((const uint8_t *)g_bytes_get_data(got, NULL) + 8, len2 - 8, b2 + 8, len2 - 8);
  g_bytes_unref(got);

  /* Answers of up to 16 KiB of records are copied into the answer, larger
   * ones go by sendfile (h-fetch.c): both read back the same bytes. */
  size_t len3;
  uint8_t *b3 = test_batch(4, 10000, 3000, 3, &len3);
  g_assert_cmpuint(len3, >, 16 << 10);
  copy = g_memdup2(b3, len3);
  g_assert_true(rill_log_append(f.log, "t", 0, copy, len3, &res, NULL));
  g_assert_cmpint(res.base_offset, ==, 5);
  g_free(copy);
  tc_send_fetch(fd, 20, "t", 0, 3, 0, 1, 1 << 20);
  got = recv_fetch(fd, 20, &err, &hwm);
  g_assert_cmpint(err, ==, 0);
  g_assert_cmpint(hwm, ==, 9);
  g_assert_cmpuint(g_bytes_get_size(got), ==, len2 + len3);
  g_assert_cmpmem((const uint8_t *)g_bytes_get_data(got, NULL) + len2 + 8, len3 - 8, b3 + 8, len3 - 8);
  g_bytes_unref(got);
  g_free(b3);

  /* Past the end: OFFSET_OUT_OF_RANGE, no records. */
  tc_send_fetch(fd, 13, "t", 0, 99, 0, 1, 1 << 20);
  got = recv_fetch(fd, 13, &err, &hwm);
  g_assert_cmpint(err, ==, RILL_KAFKA_ERR_OFFSET_OUT_OF_RANGE);
  g_assert_cmpuint(g_bytes_get_size(got), ==, 0);
  g_bytes_unref(got);

  /* Unknown topic. */
  tc_send_fetch(fd, 14, "nope", 0, 0, 0, 1, 1 << 20);
  got = recv_fetch(fd, 14, &err, &hwm);
  g_assert_cmpint(err, ==, RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
  g_bytes_unref(got);

  /* Produce v2 (MessageSet era) and a magic-1 record set are refused. */
  send_produce(fd, 2, 15, 1, "t", 0, b2, len2);
  g_assert_cmpint(recv_produce(fd, 2, 15, NULL), ==, RILL_KAFKA_ERR_UNSUPPORTED_VERSION);
  uint8_t *old = g_memdup2(b2, len2);
  old[16] = 1;
  send_produce(fd, 7, 16, 1, "t", 0, old, len2);
  g_assert_cmpint(recv_produce(fd, 7, 16, NULL), ==, RILL_KAFKA_ERR_CORRUPT_MESSAGE);
  g_free(old);
  g_assert_true(rill_log_partition_info_get(f.log, "t", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, 9);

  g_free(b1);
  g_free(b2);
  close(fd);
  fixture_stop(&f);
}

/* fetch.max.bytes caps an answer below the client's own limits (the first
 * batch still goes whole, KIP-74). */
static void test_fetch_max_bytes(void)
{
  fixture f;
  const char *settings[] = {"fetch.max.bytes", "1024", NULL};
  fixture_start(&f, settings);
  g_assert_true(rill_log_topic_create(f.log, "t", 1, NULL, NULL));
  size_t small_len = 0, big_len = 0;
  rill_log_append_result res;
  for (int i = 0; i < 3; i++) {
    uint8_t *b = test_batch(1, 600, 1000 + i, (uint32_t)i, &small_len);
    g_assert_true(rill_log_append(f.log, "t", 0, b, small_len, &res, NULL));
    g_free(b);
  }
  uint8_t *big = test_batch(1, 3000, 2000, 9, &big_len);
  g_assert_true(rill_log_append(f.log, "t", 0, big, big_len, &res, NULL));
  g_free(big);
  g_assert_cmpuint(small_len, <, 1024);
  g_assert_cmpuint(2 * small_len, >, 1024);
  g_assert_cmpuint(big_len, >, 1024);
  int fd = tc_connect(f.port);
  int16_t err;
  int64_t hwm;
  /* The client allows 1 MiB for the partition, 16 MiB for the answer. */
  tc_send_fetch(fd, 1, "t", 0, 0, 0, 1, 1 << 20);
  GBytes *got = recv_fetch(fd, 1, &err, &hwm);
  g_assert_cmpint(err, ==, 0);
  g_assert_cmpint(hwm, ==, 4);
  g_assert_cmpuint(g_bytes_get_size(got), ==, small_len);
  g_bytes_unref(got);
  tc_send_fetch(fd, 2, "t", 0, 3, 0, 1, 1 << 20);
  got = recv_fetch(fd, 2, &err, &hwm);
  g_assert_cmpint(err, ==, 0);
  g_assert_cmpuint(g_bytes_get_size(got), ==, big_len);
  g_bytes_unref(got);
  close(fd);
  fixture_stop(&f);
}

/* Durability sync: Produce requests pipelined on two connections, small ones
 * and large ones (read straight into their own frame buffer) mixed with
 * ApiVersions. Every answer comes in request order on its connection, each
 * append's offsets follow the previous one's on that connection, the records
 * are readable once acknowledged, and the whole partition reads back as the
 * bytes sent, in offset order. */
static void test_produce_sync_pipelined(void)
{
  fixture f;
  fixture_start(&f, NULL);
  const char *const cfg[] = {"rill.durability", "sync", "segment.bytes", "200000", NULL};
  g_assert_true(rill_log_topic_create(f.log, "s", 1, cfg, NULL));
  int fd[2] = {tc_connect(f.port), tc_connect(f.port)};
  enum { N = 24 };
  uint8_t *batch[2][N];
  size_t len[2][N];
  rill__wire_api_versions_request av;
  rill__wire_api_versions_request_init(&av);
  for (int i = 0; i < N; i++)
    for (int c = 0; c < 2; c++) {
      /* Every third batch ~40 KB (> the own-frame threshold), the others small. */
      batch[c][i] = test_batch(1 + i % 4, i % 3 == 0 ? 10000 : 30, 1000 + i, (uint32_t)(c * 100 + i), &len[c][i]);
      uint8_t *copy = g_memdup2(batch[c][i], len[c][i]);
      send_produce(fd[c], 7, 1000 + 2 * i, -1, "s", 0, copy, len[c][i]);
      g_free(copy);
      tc_send(fd[c], RILL_WIRE_API_API_VERSIONS, 2, 1001 + 2 * i, &av);
    }
  int64_t total = 0;
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < N; i++)
      total += 1 + i % 4;
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  int64_t base[2][N];
  for (int c = 0; c < 2; c++) {
    int64_t prev_end = -1;
    for (int i = 0; i < N; i++) {
      g_assert_cmpint(recv_produce(fd[c], 7, 1000 + 2 * i, &base[c][i]), ==, 0);
      g_assert_cmpint(base[c][i], >, prev_end - 1);
      prev_end = base[c][i] + 1 + i % 4;
      rill_log_partition_info info;
      g_assert_true(rill_log_partition_info_get(f.log, "s", 0, &info, NULL));
      g_assert_cmpint(info.high_watermark, >=, prev_end); /* acknowledged: synced and readable */
      uint8_t *frame;
      rill__wire_api_versions_response avr;
      g_assert_cmpint(tc_recv(fd[c], RILL_WIRE_API_API_VERSIONS, 2, &a, &avr, &frame), ==, 1001 + 2 * i);
      g_free(frame);
    }
  }
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(f.log, "s", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, total);
  g_assert_cmpint(info.n_segments, >, 1);
  /* Each batch reads back at its acknowledged offset, byte for byte. */
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < N; i++) {
      rill_log_fetch *fe = rill_log_read(f.log, "s", 0, base[c][i], 1, NULL);
      g_assert_nonnull(fe);
      GBytes *got = rill_log_fetch_bytes(fe, NULL);
      rill_log_fetch_free(fe);
      g_assert_cmpuint(g_bytes_get_size(got), ==, len[c][i]);
      const uint8_t *p = g_bytes_get_data(got, NULL);
      g_assert_cmpint((int64_t)rill__be64(p), ==, base[c][i]);
      g_assert_cmpmem(p + 8, len[c][i] - 8, batch[c][i] + 8, len[c][i] - 8);
      g_bytes_unref(got);
      g_free(batch[c][i]);
    }
  rill__wire_arena_clear(&a);
  close(fd[0]);
  close(fd[1]);
  fixture_stop(&f);
}

static void test_pipelining_and_acks0(void)
{
  fixture f;
  fixture_start(&f, NULL);
  g_assert_true(rill_log_topic_create(f.log, "p", 1, NULL, NULL));
  int fd = tc_connect(f.port);

  /* A parked Fetch first, then two quick requests: answers keep request order. */
  tc_send_fetch(fd, 100, "p", 0, 0, 300, 1, 1 << 20);
  rill__wire_api_versions_request av;
  rill__wire_api_versions_request_init(&av);
  tc_send(fd, RILL_WIRE_API_API_VERSIONS, 2, 101, &av);
  rill__wire_metadata_request md;
  rill__wire_metadata_request_init(&md);
  md.n_topics = -1;
  tc_send(fd, RILL_WIRE_API_METADATA, 1, 102, &md);
  int16_t err;
  int64_t hwm;
  GBytes *got = recv_fetch(fd, 100, &err, &hwm);
  g_assert_cmpint(err, ==, 0);
  g_assert_cmpuint(g_bytes_get_size(got), ==, 0);
  g_bytes_unref(got);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  uint8_t *frame;
  rill__wire_api_versions_response avr;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_API_VERSIONS, 2, &a, &avr, &frame), ==, 101);
  g_free(frame);
  rill__wire_metadata_response mdr;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_METADATA, 1, &a, &mdr, &frame), ==, 102);
  g_free(frame);

  /* acks=0: no answer at all; the next answer on the wire is the next request's. */
  size_t len = 0;
  uint8_t *b = test_batch(4, 8, 5000, 3, &len);
  send_produce(fd, 7, 103, 0, "p", 0, b, len);
  tc_send(fd, RILL_WIRE_API_API_VERSIONS, 2, 104, &av);
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_API_VERSIONS, 2, &a, &avr, &frame), ==, 104);
  g_free(frame);
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(f.log, "p", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, 4);
  rill__wire_arena_clear(&a);
  g_free(b);
  close(fd);
  fixture_stop(&f);
}

typedef struct {
  rill_log *log;
  uint8_t *batch;
  size_t len;
} append_job;

static gpointer append_later(gpointer data)
{
  append_job *j = data;
  GError *e = NULL;
  rill_log_append_result res;
  g_assert_true(rill_log_append(j->log, "w", 0, j->batch, j->len, &res, &e));
  g_assert_no_error(e);
  return NULL;
}

static void test_long_poll_woken_by_append(void)
{
  fixture f;
  fixture_start(&f, NULL);
  g_assert_true(rill_log_topic_create(f.log, "w", 1, NULL, NULL));
  int fd = tc_connect(f.port);
  /* max_wait of 10 minutes: only an append can answer this within the
   * client's 20 s receive bound. */
  tc_send_fetch(fd, 1, "w", 0, 0, 600000, 1, 1 << 20);
  append_job j = {f.log, NULL, 0};
  j.batch = test_batch(2, 16, 7000, 4, &j.len);
  GThread *t = g_thread_new("append", append_later, &j);
  int16_t err;
  int64_t hwm;
  GBytes *got = recv_fetch(fd, 1, &err, &hwm);
  g_thread_join(t);
  g_assert_cmpint(err, ==, 0);
  g_assert_cmpint(hwm, ==, 2);
  g_assert_cmpuint(g_bytes_get_size(got), ==, j.len);
  g_bytes_unref(got);
  g_free(j.batch);
  close(fd);
  fixture_stop(&f);
}

/* A Fetch parked on one connection is answered by a Produce arriving on
 * another: the append runs on the I/O thread, whose wake of the parked
 * Fetch is queued without the eventfd. The producer's requests arrive in
 * one segment (corked) and are answered in order, after the read. */
static void test_long_poll_woken_by_wire_produce(void)
{
  fixture f;
  fixture_start(&f, NULL);
  g_assert_true(rill_log_topic_create(f.log, "ww", 1, NULL, NULL));
  int fetcher = tc_connect(f.port);
  int producer = tc_connect(f.port);
  /* max_wait of 10 minutes: only the Produce can answer it within the
   * client's 20 s receive bound. */
  tc_send_fetch(fetcher, 5, "ww", 0, 0, 600000, 1, 1 << 20);
  /* The Fetch's bytes were queued before this request was sent, and one
   * thread reads both sockets: once this is answered the Fetch is parked. */
  check_api_versions(producer, 3, 1);
  size_t len1 = 0, len2 = 0;
  uint8_t *b1 = test_batch(3, 16, 7000, 5, &len1);
  uint8_t *b2 = test_batch(2, 16, 7000, 6, &len2);
  int one = 1, zero = 0;
  g_assert_cmpint(setsockopt(producer, IPPROTO_TCP, TCP_CORK, &one, sizeof one), ==, 0);
  send_produce(producer, 7, 10, 1, "ww", 0, b1, len1);
  send_produce(producer, 7, 11, 1, "ww", 0, b2, len2);
  rill__wire_api_versions_request av;
  rill__wire_api_versions_request_init(&av);
  tc_send(producer, RILL_WIRE_API_API_VERSIONS, 2, 12, &av);
  g_assert_cmpint(setsockopt(producer, IPPROTO_TCP, TCP_CORK, &zero, sizeof zero), ==, 0);
  int64_t base = -1;
  g_assert_cmpint(recv_produce(producer, 7, 10, &base), ==, 0);
  g_assert_cmpint(base, ==, 0);
  g_assert_cmpint(recv_produce(producer, 7, 11, &base), ==, 0);
  g_assert_cmpint(base, ==, 3);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_api_versions_response avr;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(producer, RILL_WIRE_API_API_VERSIONS, 2, &a, &avr, &frame), ==, 12);
  g_free(frame);
  rill__wire_arena_clear(&a);

  int16_t err;
  int64_t hwm;
  GBytes *got = recv_fetch(fetcher, 5, &err, &hwm);
  g_assert_cmpint(err, ==, 0);
  g_assert_cmpint(hwm, >=, 3);
  g_assert_cmpuint(g_bytes_get_size(got), ==, hwm == 3 ? len1 : len1 + len2);
  g_bytes_unref(got);
  g_free(b1);
  g_free(b2);
  close(producer);
  close(fetcher);
  fixture_stop(&f);
}

static void test_hostile_input(void)
{
  fixture f;
  const char *const settings[] = {"socket.request.max.bytes", "1048576", NULL};
  fixture_start(&f, settings);
  int keep = tc_connect(f.port);
  check_api_versions(keep, 3, 1);

  /* A 2 GB size prefix: closed, nothing allocated. */
  int fd = tc_connect(f.port);
  uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 0, 18, 0, 3};
  tc_send_raw(fd, huge, sizeof huge);
  g_assert_true(tc_closed(fd));
  close(fd);

  /* A negative size prefix. */
  fd = tc_connect(f.port);
  uint8_t neg[] = {0xff, 0xff, 0xff, 0xf0};
  tc_send_raw(fd, neg, sizeof neg);
  g_assert_true(tc_closed(fd));
  close(fd);

  /* Random bytes inside a plausible frame: answered or closed, never a crash. */
  GRand *rnd = g_rand_new_with_seed(42);
  for (int round = 0; round < 50; round++) {
    fd = tc_connect(f.port);
    uint8_t buf[68];
    buf[0] = 0, buf[1] = 0, buf[2] = 0, buf[3] = 64;
    for (int i = 4; i < 68; i++)
      buf[i] = (uint8_t)g_rand_int_range(rnd, 0, 256);
    if (round % 2)
      buf[5] = (uint8_t)g_rand_int_range(rnd, 0, 23), buf[4] = 0; /* a known API key, garbage body */
    tc_send_raw(fd, buf, sizeof buf);
    shutdown(fd, SHUT_WR);
    size_t len = 0;
    uint8_t *frame;
    while ((frame = tc_recv_frame(fd, &len)))
      g_free(frame);
    close(fd);
  }
  g_rand_free(rnd);

  /* Truncated frame, then the client goes away mid-request. */
  fd = tc_connect(f.port);
  uint8_t trunc[] = {0, 0, 0, 100, 0, 18, 0, 3, 0, 0};
  tc_send_raw(fd, trunc, sizeof trunc);
  close(fd);

  /* The first connection, and new ones, are still served. */
  check_api_versions(keep, 3, 2);
  fd = tc_connect(f.port);
  check_api_versions(fd, 0, 3);
  close(fd);
  close(keep);
  fixture_stop(&f);
}

static void test_idle_reaped(void)
{
  fixture f;
  const char *const settings[] = {"connections.max.idle.ms", "200", NULL};
  fixture_start(&f, settings);
  int fd = tc_connect(f.port);
  check_api_versions(fd, 3, 1);
  /* No traffic: the broker closes it (the client's receive bound is 20 s). */
  g_assert_true(tc_closed(fd));
  close(fd);
  fixture_stop(&f);
}

/* ---- IncrementalAlterConfigs ---- */

typedef rill__wire_incremental_alter_configs_request_alterable_config alter_op;

/* One IncrementalAlterConfigs v@version for one resource; its error code. */
static int16_t incremental_alter(int fd, int16_t version, int8_t type, const char *name, alter_op *ops, int n,
                                 gboolean validate_only)
{
  rill__wire_incremental_alter_configs_request rq;
  rill__wire_incremental_alter_configs_request_init(&rq);
  rill__wire_incremental_alter_configs_request_alter_configs_resource r = {
    .resource_type = type, .resource_name = rill__wire_str_from(name), .configs = ops, .n_configs = n};
  rq.resources = &r;
  rq.n_resources = 1;
  rq.validate_only = validate_only;
  static int32_t corr = 1000;
  tc_send(fd, RILL_WIRE_API_INCREMENTAL_ALTER_CONFIGS, version, ++corr, &rq);
  rill__wire_arena a;
  rill__wire_arena_init(&a);
  rill__wire_incremental_alter_configs_response rs;
  uint8_t *frame;
  g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_INCREMENTAL_ALTER_CONFIGS, version, &a, &rs, &frame), ==, corr);
  g_assert_cmpint(rs.n_responses, ==, 1);
  g_assert_cmpint(rs.responses[0].resource_type, ==, type);
  g_assert_true(rill__wire_str_eq(rs.responses[0].resource_name, name));
  int16_t ec = rs.responses[0].error_code;
  g_assert_true(ec == 0 ? rs.responses[0].error_message.len < 0 : TRUE);
  g_free(frame);
  rill__wire_arena_clear(&a);
  return ec;
}

static alter_op op(const char *name, int8_t operation, const char *value)
{
  return (alter_op){.name = rill__wire_str_from(name), .config_operation = operation,
                    .value = value ? rill__wire_str_from(value) : RILL_WIRE_STR_NULL};
}

/* The topic's value of @key (the log's effective config). */
static char *topic_value(rill_log *log, const char *topic, const char *key)
{
  GHashTable *cfg = NULL;
  int32_t n;
  g_assert_true(rill_log_topic_describe(log, topic, &n, &cfg, NULL));
  char *v = g_strdup(g_hash_table_lookup(cfg, key));
  g_hash_table_unref(cfg);
  return v;
}

#define TOPIC_RES 2
#define BROKER_RES 4
enum { SET, DELETE, APPEND, SUBTRACT };

/* KIP-339: only the named keys change (SET to a value, DELETE to the
 * default); APPEND/SUBTRACT (list configs) and a key named twice are
 * refused, validate_only changes nothing, BROKER configs are static. */
static void test_incremental_alter_configs(void)
{
  fixture f;
  fixture_start(&f, NULL);
  GError *e = NULL;
  g_assert_true(rill_log_topic_create(f.log, "cfg", 1, (const char *const[]){"segment.bytes", "1048576", NULL}, &e));
  g_assert_no_error(e);
  g_autofree char *default_retention = topic_value(f.log, "cfg", "retention.ms");
  int fd = tc_connect(f.port);

  for (int16_t v = 0; v <= 1; v++) {
    /* SET one key: the other override stays. */
    alter_op set[] = {op("retention.ms", SET, v ? "60000" : "70000")};
    g_assert_cmpint(incremental_alter(fd, v, TOPIC_RES, "cfg", set, 1, FALSE), ==, 0);
    g_autofree char *r = topic_value(f.log, "cfg", "retention.ms");
    g_autofree char *sb = topic_value(f.log, "cfg", "segment.bytes");
    g_assert_cmpstr(r, ==, v ? "60000" : "70000");
    g_assert_cmpstr(sb, ==, "1048576");
  }
  /* validate_only: accepted, nothing changes. */
  alter_op dry[] = {op("retention.ms", SET, "1")};
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "cfg", dry, 1, TRUE), ==, 0);
  g_autofree char *still = topic_value(f.log, "cfg", "retention.ms");
  g_assert_cmpstr(still, ==, "60000");
  /* DELETE: back to the default; again the other key stays. */
  alter_op del[] = {op("retention.ms", DELETE, NULL)};
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "cfg", del, 1, FALSE), ==, 0);
  g_autofree char *back = topic_value(f.log, "cfg", "retention.ms");
  g_autofree char *kept = topic_value(f.log, "cfg", "segment.bytes");
  g_assert_cmpstr(back, ==, default_retention);
  g_assert_cmpstr(kept, ==, "1048576");
  /* Refusals, each leaving the topic as it was. */
  alter_op append[] = {op("retention.ms", APPEND, "5")};
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "cfg", append, 1, FALSE), ==, RILL_KAFKA_ERR_INVALID_CONFIG);
  alter_op twice[] = {op("retention.ms", SET, "5"), op("retention.ms", DELETE, NULL)};
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "cfg", twice, 2, FALSE), ==, RILL_KAFKA_ERR_INVALID_REQUEST);
  alter_op unknown_key[] = {op("retention.ms", SET, "5"), op("no.such.key", SET, "1")};
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "cfg", unknown_key, 2, FALSE), ==,
                  RILL_KAFKA_ERR_INVALID_CONFIG);
  alter_op bad_op[] = {op("retention.ms", 9, "5")};
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "cfg", bad_op, 1, FALSE), ==, RILL_KAFKA_ERR_INVALID_REQUEST);
  alter_op bad_value[] = {op("segment.bytes", SET, "1")}; /* below the minimum */
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "cfg", bad_value, 1, FALSE), ==, RILL_KAFKA_ERR_INVALID_CONFIG);
  g_autofree char *after_r = topic_value(f.log, "cfg", "retention.ms");
  g_autofree char *after_sb = topic_value(f.log, "cfg", "segment.bytes");
  g_assert_cmpstr(after_r, ==, default_retention);
  g_assert_cmpstr(after_sb, ==, "1048576");
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "nope", dry, 1, FALSE), ==,
                  RILL_KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
  alter_op broker_set[] = {op("num.partitions", SET, "3")};
  g_assert_cmpint(incremental_alter(fd, 1, BROKER_RES, "7", broker_set, 1, FALSE), ==, RILL_KAFKA_ERR_INVALID_CONFIG);
  close(fd);
  fixture_stop(&f);

  /* The same per-resource ACL checks as AlterConfigs: with no ACL and
   * allow.everyone.if.no.acl.found=false, ANONYMOUS may alter nothing. */
  fixture_start(&f, (const char *const[]){"allow.everyone.if.no.acl.found", "false", NULL});
  g_assert_true(rill_log_topic_create(f.log, "cfg", 1, NULL, &e));
  fd = tc_connect(f.port);
  alter_op set[] = {op("retention.ms", SET, "5")};
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "cfg", set, 1, FALSE), ==,
                  RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED);
  g_assert_cmpint(incremental_alter(fd, 1, TOPIC_RES, "nope", set, 1, FALSE), ==,
                  RILL_KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED); /* not even whether it exists */
  g_assert_cmpint(incremental_alter(fd, 1, BROKER_RES, "7", set, 1, FALSE), ==,
                  RILL_KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED);
  g_autofree char *untouched = topic_value(f.log, "cfg", "retention.ms");
  g_assert_cmpstr(untouched, ==, default_retention);
  close(fd);
  fixture_stop(&f);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/broker/api-versions", test_api_versions);
  g_test_add_func("/broker/metadata", test_metadata);
  g_test_add_func("/broker/produce-fetch-embedded", test_produce_fetch_embedded);
  g_test_add_func("/broker/fetch-max-bytes", test_fetch_max_bytes);
  g_test_add_func("/broker/pipelining-acks0", test_pipelining_and_acks0);
  g_test_add_func("/broker/produce-sync-pipelined", test_produce_sync_pipelined);
  g_test_add_func("/broker/long-poll-woken-by-wire-produce", test_long_poll_woken_by_wire_produce);
  g_test_add_func("/broker/long-poll-woken", test_long_poll_woken_by_append);
  g_test_add_func("/broker/hostile-input", test_hostile_input);
  g_test_add_func("/broker/idle-reaped", test_idle_reaped);
  g_test_add_func("/broker/incremental-alter-configs", test_incremental_alter_configs);
  return g_test_run();
}
