/* broker-request.c — libFuzzer target: arbitrary request frames through the
 * broker's whole request path (framing, decode, dispatch, handlers, log,
 * group coordinator). One embedded broker (rill_broker_new) on a temp data
 * dir listens on 127.0.0.1:0; each input is sent on a fresh connection as
 * one size-prefixed frame, followed by an ApiVersions sentinel; the input is
 * done when the sentinel is answered or the broker closes the connection.
 * A crash, sanitizer report or hang (libFuzzer -timeout) is a finding.
 *
 * The input is the frame after the size prefix, as in tests/wire/vectors/
 * (the seeds: tests/fuzz/corpus/broker-request/). CreateTopics and
 * CreatePartitions are turned into ApiVersions: a fuzzed partition count of
 * 100,000 would fill the disk, which is resource exhaustion, not a bug. */
#include <rill/broker.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/wire/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rill_broker *broker;
static uint16_t port;

static void quiet(const char *line, void *user_data)
{
  (void)line;
  (void)user_data;
}

static void start_broker(void)
{
  signal(SIGPIPE, SIG_IGN);
  char *dir = g_dir_make_tmp("rill-fuzz-broker-XXXXXX", NULL);
  rill_broker_config *c = rill_broker_config_new();
  if (!dir || !rill_broker_config_set(c, "log.dirs", dir, NULL) ||
      !rill_broker_config_set(c, "listeners", "127.0.0.1:0", NULL) ||
      !rill_broker_config_set(c, "group.initial.rebalance.delay.ms", "0", NULL) ||
      !rill_broker_config_set(c, "socket.request.max.bytes", "1048576", NULL))
    abort();
  broker = rill_broker_new(c, NULL);
  rill_broker_config_free(c);
  rill_broker_set_log_func(broker, quiet, NULL);
  if (!broker || !rill_broker_start(broker, NULL))
    abort();
  port = rill_broker_port(broker);
  g_free(dir); /* the broker runs until exit; libFuzzer never returns */
}

/* Reads until the sentinel answer (correlation id 0x7ffffff0) or EOF. */
static void wait_sentinel(int fd)
{
  uint8_t buf[65536];
  size_t have = 0;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 10000) <= 0)
      return; /* a long poll the fuzzer made up: move on */
    ssize_t r = recv(fd, buf + have, sizeof buf - have, 0);
    if (r <= 0)
      return;
    have += (size_t)r;
    /* Consume whole frames; a frame's correlation id follows its size. */
    while (have >= 8) {
      uint32_t len = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
      uint32_t corr = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
      if (corr == 0x7ffffff0u)
        return;
      if (len + 4 > have) {
        if (len + 4 > sizeof buf) { /* a big answer: skip its bytes as they come */
          size_t skip = len + 4;
          while (skip > have) {
            skip -= have;
            r = recv(fd, buf, MIN(sizeof buf, skip), 0);
            if (r <= 0)
              return;
            have = (size_t)r;
          }
          memmove(buf, buf + skip, have - skip);
          have -= skip;
          continue;
        }
        break;
      }
      memmove(buf, buf + len + 4, have - (len + 4));
      have -= len + 4;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!broker)
    start_broker();
  if (size > (1u << 20) - 64)
    return 0;
  uint8_t *frame = malloc(size + 4 + 16);
  frame[0] = (uint8_t)(size >> 24), frame[1] = (uint8_t)(size >> 16), frame[2] = (uint8_t)(size >> 8),
  frame[3] = (uint8_t)size;
  memcpy(frame + 4, data, size);
  if (size >= 2 && (data[0] == 0 && (data[1] == 19 || data[1] == 37)))
    frame[5] = RILL_WIRE_API_API_VERSIONS;
  /* The sentinel: ApiVersions v0, correlation id 0x7ffffff0, no client id. */
  static const uint8_t sentinel[] = {0, 0, 0, 10, 0, 18, 0, 0, 0x7f, 0xff, 0xff, 0xf0, 0xff, 0xff};
  memcpy(frame + 4 + size, sentinel, sizeof sentinel);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
    abort(); /* the broker stopped accepting: a finding */
  size_t off = 0, total = size + 4 + sizeof sentinel;
  while (off < total) {
    ssize_t w = send(fd, frame + off, total - off, MSG_NOSIGNAL);
    if (w <= 0)
      break; /* closed by the broker: allowed */
    off += (size_t)w;
  }
  wait_sentinel(fd);
  close(fd);
  free(frame);
  return 0;
}
