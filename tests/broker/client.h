/* client.h — a tiny blocking Kafka client for the broker tests, built on our
 * codec: connect to 127.0.0.1:PORT, send encoded requests (or raw bytes),
 * read whole response frames. Test-only; every failure is an assertion. */
#pragma once

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <rill/kafka-error.h>

#include "runtime/wire/message.h"

static inline int tc_connect(uint16_t port)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  g_assert_cmpint(fd, >=, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
  /* A generous bound so a broken broker fails the test instead of hanging it. */
  struct timeval tv = {.tv_sec = 20};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

static inline void tc_send_raw(int fd, const void *p, size_t n)
{
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
    g_assert_cmpint(w, >, 0);
    b += w;
    n -= (size_t)w;
  }
}

static inline void tc_send(int fd, int16_t api, int16_t version, int32_t corr, const void *body)
{
  rill__wire_request_header h = {api, version, corr, rill__wire_str_from("rill-test")};
  rill__wire_writer w;
  rill__wire_error err = {0};
  rill__wire_writer_init(&w);
  g_assert_true(rill__wire_request_encode(&w, &h, body, &err));
  tc_send_raw(fd, w.buf, w.len);
  rill__wire_writer_clear(&w);
}

/* Reads exactly @n bytes; FALSE on EOF/error. */
static inline gboolean tc_read_exact(int fd, void *p, size_t n)
{
  uint8_t *b = p;
  while (n > 0) {
    ssize_t r = recv(fd, b, n, 0);
    if (r <= 0)
      return FALSE;
    b += r;
    n -= (size_t)r;
  }
  return TRUE;
}

/* One response frame without its size prefix (g_free), or NULL on EOF. */
static inline uint8_t *tc_recv_frame(int fd, size_t *len)
{
  uint8_t sz[4];
  *len = 0;
  if (!tc_read_exact(fd, sz, 4))
    return NULL;
  *len = (size_t)sz[0] << 24 | (size_t)sz[1] << 16 | (size_t)sz[2] << 8 | sz[3];
  uint8_t *buf = g_malloc(*len + 1);
  g_assert_true(tc_read_exact(fd, buf, *len));
  return buf;
}

/* Receives and decodes one response into @body; returns its correlation id.
 * The frame stays alive in *@frame (g_free) and the arrays in @arena. */
static inline int32_t tc_recv(int fd, int16_t api, int16_t version, rill__wire_arena *arena, void *body,
                              uint8_t **frame)
{
  size_t len = 0;
  *frame = tc_recv_frame(fd, &len);
  g_assert_nonnull(*frame);
  int32_t corr = -1;
  rill__wire_error err = {0};
  rill__wire_status st = rill__wire_response_decode(*frame, len, api, version, arena, &corr, body, &err);
  if (st != RILL_WIRE_OK)
    g_error("decode of api %d v%d failed: %s %s at %zu", api, version, err.field, err.reason, err.offset);
  return corr;
}

/* TRUE when the peer has closed the connection (reads EOF). */
static inline gboolean tc_closed(int fd)
{
  uint8_t b;
  ssize_t r = recv(fd, &b, 1, 0);
  return r == 0 || (r < 0 && errno == ECONNRESET);
}

/* ---- Requests the tests share ------------------------------------------------------- */

/* Metadata v8 for @topic, allowing auto-creation. */
static inline void tc_send_metadata(int fd, int32_t corr, const char *topic)
{
  rill__wire_metadata_request rq;
  rill__wire_metadata_request_init(&rq);
  rill__wire_metadata_request_topic t = {.name = rill__wire_str_from(topic)};
  rq.topics = &t;
  rq.n_topics = 1;
  rq.allow_auto_topic_creation = true;
  tc_send(fd, RILL_WIRE_API_METADATA, 8, corr, &rq);
}

/* Auto-creates @topic through Metadata (correlation ids from @corr up) and
 * waits until it has leaders (Kafka answers LEADER_NOT_AVAILABLE while a
 * topic is being created); asserts it has @partitions. */
static inline void tc_create_topic(int fd, int32_t corr, const char *topic, int32_t partitions)
{
  for (int32_t first = corr;; corr++) {
    g_assert_cmpint(corr, <, first + 6000);
    tc_send_metadata(fd, corr, topic);
    rill__wire_arena a;
    rill__wire_arena_init(&a);
    rill__wire_metadata_response rs;
    uint8_t *frame;
    g_assert_cmpint(tc_recv(fd, RILL_WIRE_API_METADATA, 8, &a, &rs, &frame), ==, corr);
    g_assert_cmpint(rs.n_topics, ==, 1);
    gboolean ready = rs.topics[0].error_code == 0;
    if (ready)
      g_assert_cmpint(rs.topics[0].n_partitions, ==, partitions);
    else
      g_assert_cmpint(rs.topics[0].error_code, ==, RILL_KAFKA_ERR_LEADER_NOT_AVAILABLE);
    g_free(frame);
    rill__wire_arena_clear(&a);
    if (ready)
      return;
    g_usleep(10000);
  }
}

/* Produce v7 of one partition's record batch (@len bytes at @batch). */
static inline void tc_send_produce(int fd, int32_t corr, const char *topic, int32_t partition, const uint8_t *batch,
                                   size_t len, int16_t acks)
{
  rill__wire_produce_request rq;
  rill__wire_produce_request_init(&rq);
  rill__wire_produce_request_partition_produce_data pd = {partition, rill__wire_bytes_from(batch, len)};
  rill__wire_produce_request_topic_produce_data td = {rill__wire_str_from(topic), &pd, 1};
  rq.acks = acks;
  rq.timeout_ms = 30000;
  rq.topics = &td;
  rq.n_topics = 1;
  tc_send(fd, RILL_WIRE_API_PRODUCE, 7, corr, &rq);
}

/* Fetch v11 of one partition from @offset. */
static inline void tc_send_fetch(int fd, int32_t corr, const char *topic, int32_t partition, int64_t offset,
                                 int32_t max_wait, int32_t min_bytes, int32_t partition_max_bytes)
{
  rill__wire_fetch_request rq;
  rill__wire_fetch_request_init(&rq);
  rill__wire_fetch_request_partition fp = {.partition = partition,
                                           .current_leader_epoch = -1,
                                           .fetch_offset = offset,
                                           .last_fetched_epoch = -1,
                                           .log_start_offset = -1,
                                           .partition_max_bytes = partition_max_bytes};
  rill__wire_fetch_request_topic ft = {rill__wire_str_from(topic), &fp, 1};
  rq.max_wait_ms = max_wait;
  rq.min_bytes = min_bytes;
  rq.max_bytes = 16 << 20;
  rq.topics = &ft;
  rq.n_topics = 1;
  tc_send(fd, RILL_WIRE_API_FETCH, 11, corr, &rq);
}
