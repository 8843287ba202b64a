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
