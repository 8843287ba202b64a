/* broker-request.c — libFuzzer target: sequences of request frames through
 * the broker's whole request path (framing, decode, dispatch, handlers, log,
 * group coordinator, parked fetches) over ONE connection, in process.
 *
 * The broker is embedded (rill_broker_new on a temp data dir) and started
 * inline (runtime/broker/broker-inline.h): no I/O thread, this thread turns
 * its loop, so an input costs no thread hand-offs and no real waiting. It
 * is made once per process, and so is the connection (one end of a
 * socketpair, adopted by the broker as if accepted; remade only when the
 * broker closes it), so topics, groups and parked fetches left by one of
 * an input's requests meet the next ones. Each input's requests are written,
 * then an ApiVersions sentinel; the loop is turned until the sentinel is
 * answered (answers leave in request order, so everything before it is
 * answered) or the broker closes the connection. When a turn makes no
 * progress, time jumps past every armed timer (max_wait of parked fetches,
 * rebalance delays, session timeouts), so waiting costs nothing.
 *
 * Inputs are independent: after each one the broker is reset
 * (rill__broker_reset_inline: parked work answered, every topic, group and
 * committed offset deleted) and the connection is quiet (every request was
 * answered) or gone, so a finding replays from its one input file, and an
 * input that frees what it made leaves mallocs == frees, which keeps
 * libFuzzer's leak check cheap and meaningful.
 *
 * Findings: a crash or sanitizer report; a request whose handler holds the
 * I/O thread more than 200 ms (dispatch.c traps in fuzz builds); a sequence
 * the broker never finishes answering (trap below); a reset the log refuses.
 *
 * Input: requests back to back, each a 2-byte big-endian length then that
 * many bytes of a frame after its size prefix (as in tests/wire/vectors/).
 * Seeds: tests/fuzz/corpus/broker-request/, made by tests/fuzz/seeds.py
 * from the captured client requests (single requests and whole client
 * sessions). CreateTopics / CreatePartitions asking for more than 4 topics
 * or partitions become ApiVersions, as do all of them after an input's
 * first 64: a disk full of partitions is resource exhaustion, not a bug. */
#define _GNU_SOURCE /* nftw */
#include <rill/broker.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/broker/broker-inline.h"
#include "runtime/wire/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SENTINEL_CORR 0x7ffffff0u
#define MAX_CREATES 64 /* per input */

static rill_broker *broker;
static int client = -1; /* our end of the connection */
static int creates;     /* this input's */

static void quiet(const char *line, void *user_data)
{
  (void)line;
  (void)user_data;
}

static char *data_dir;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st, (void)flag, (void)ftw;
  return remove(path) != 0 && errno != ENOENT;
}

/* libFuzzer ends with exit(): the broker is still running, its files go. */
static void remove_data_dir(void)
{
  nftw(data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void start_broker(void)
{
  signal(SIGPIPE, SIG_IGN);
  /* On tmpfs when there is one: fsync there costs nothing, so the disk
   * does not set the pace (nor trip the 200 ms check). */
  char *dir = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? g_strdup("/dev/shm/rill-fuzz-broker-XXXXXX")
                                                         : g_build_filename(g_get_tmp_dir(), "rill-fuzz-broker-XXXXXX", NULL);
  if (!g_mkdtemp(dir))
    abort();
  rill_broker_config *c = rill_broker_config_new();
  if (!dir || !rill_broker_config_set(c, "log.dirs", dir, NULL) ||
      !rill_broker_config_set(c, "listeners", "", NULL) ||
      !rill_broker_config_set(c, "group.initial.rebalance.delay.ms", "0", NULL) ||
      !rill_broker_config_set(c, "log.scrub.bytes.per.sec", "0", NULL) ||
      !rill_broker_config_set(c, "socket.request.max.bytes", "1048576", NULL))
    abort();
  broker = rill_broker_new(c, NULL);
  rill_broker_config_free(c);
  if (!broker)
    abort();
  rill_broker_set_log_func(broker, quiet, NULL);
  if (!rill__broker_start_inline(broker, NULL))
    abort();
  data_dir = dir;
  atexit(remove_data_dir);
}

/* TRUE if the request may run as is (see the top of the file). */
static gboolean allowed(const uint8_t *frame, size_t len)
{
  if (len < 4 || frame[0] != 0 || (frame[1] != RILL_WIRE_API_CREATE_TOPICS && frame[1] != RILL_WIRE_API_CREATE_PARTITIONS))
    return TRUE;
  if (creates >= MAX_CREATES)
    return FALSE;
  rill__wire_arena arena;
  rill__wire_arena_init(&arena);
  rill__wire_request req;
  rill__wire_error err = {0};
  gboolean ok = TRUE; /* undecodable: the broker's answer to that is what we test */
  if (rill__wire_request_decode(frame, len, &arena, &req, &err) == RILL_WIRE_OK) {
    if (frame[1] == RILL_WIRE_API_CREATE_TOPICS) {
      const rill__wire_create_topics_request *m = &req.body.create_topics;
      ok = m->n_topics <= 4;
      for (int32_t i = 0; ok && i < m->n_topics; i++)
        ok = m->topics[i].num_partitions <= 4;
    } else {
      const rill__wire_create_partitions_request *m = &req.body.create_partitions;
      ok = m->n_topics <= 4;
      for (int32_t i = 0; ok && i < m->n_topics; i++)
        ok = m->topics[i].count <= 4;
    }
  }
  rill__wire_arena_clear(&arena);
  creates += ok;
  return ok;
}

/* Answers being read: finds the sentinel's among whole frames. */
typedef struct {
  uint8_t head[8];
  size_t head_len;
  size_t skip;     /* bytes of the current frame still to skip */
  gboolean done;   /* sentinel answered */
} answers;

static void consume(answers *a, const uint8_t *p, size_t n)
{
  while (n > 0 && !a->done) {
    if (a->skip) {
      size_t k = MIN(a->skip, n);
      a->skip -= k, p += k, n -= k;
      continue;
    }
    size_t k = MIN(sizeof a->head - a->head_len, n);
    memcpy(a->head + a->head_len, p, k);
    a->head_len += k, p += k, n -= k;
    if (a->head_len < sizeof a->head)
      break;
    uint32_t len = (uint32_t)a->head[0] << 24 | (uint32_t)a->head[1] << 16 | (uint32_t)a->head[2] << 8 | a->head[3];
    uint32_t corr = (uint32_t)a->head[4] << 24 | (uint32_t)a->head[5] << 16 | (uint32_t)a->head[6] << 8 | a->head[7];
    a->done = corr == SENTINEL_CORR;
    a->skip = len >= 4 ? len - 4 : 0;
    a->head_len = 0;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!broker)
    start_broker();
  if (client < 0) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
      abort();
    rill__broker_adopt_inline(broker, sv[0]);
    client = sv[1];
  }
  creates = 0;
  /* The byte stream: each request with its size prefix, then the sentinel. */
  GByteArray *out = g_byte_array_sized_new((guint)size + 64);
  for (size_t off = 0; off + 2 <= size;) {
    size_t len = MIN((size_t)(data[off] << 8 | data[off + 1]), size - off - 2);
    const uint8_t *frame = data + off + 2;
    off += 2 + len;
    uint8_t prefix[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    g_byte_array_append(out, prefix, 4);
    guint at = out->len;
    g_byte_array_append(out, frame, (guint)len);
    if (!allowed(frame, len))
      out->data[at + 1] = RILL_WIRE_API_API_VERSIONS;
  }
  /* ApiVersions v0, correlation id SENTINEL_CORR, no client id. */
  static const uint8_t sentinel[] = {0, 0, 0, 10, 0, 18, 0, 0, 0x7f, 0xff, 0xff, 0xf0, 0xff, 0xff};
  g_byte_array_append(out, sentinel, sizeof sentinel);

  answers a = {0};
  size_t sent = 0;
  gboolean closed = FALSE;
  int idle = 0;
  uint8_t buf[65536];
  while (!a.done && !closed) {
    gboolean progress = FALSE;
    if (sent < out->len) {
      ssize_t w = send(client, out->data + sent, out->len - sent, MSG_NOSIGNAL);
      if (w > 0)
        sent += (size_t)w, progress = TRUE;
      else if (w < 0 && errno != EAGAIN && errno != EINTR)
        closed = TRUE; /* the broker closed it: allowed */
    }
    rill__broker_turn(broker, 0, FALSE);
    for (;;) {
      ssize_t r = recv(client, buf, sizeof buf, 0);
      if (r > 0) {
        consume(&a, buf, (size_t)r);
        progress = TRUE;
        continue;
      }
      if (r == 0 || (errno != EAGAIN && errno != EINTR))
        closed = TRUE;
      break;
    }
    if (progress) {
      idle = 0;
      continue;
    }
    /* Nothing moved: wait for offloaded work (fdatasync) if there is some,
     * else jump in time. */
    if (rill__broker_offloaded(broker) > 0)
      rill__broker_turn(broker, 10, FALSE);
    else
      rill__broker_turn(broker, 0, TRUE);
    if (++idle > 10000)
      __builtin_trap(); /* the broker stopped answering this connection */
  }
  if (closed) {
    close(client);
    client = -1;
  }
  g_byte_array_unref(out);
  GError *error = NULL;
  if (!rill__broker_reset_inline(broker, &error)) {
    fprintf(stderr, "broker reset failed: %s\n", error->message);
    abort(); /* the broker made what it cannot delete */
  }
  return 0;
}
