/* test-log-crash.c — crashes and full disks, in child processes.
 *
 * - kill: a child appends under durability sync from two threads and
 *   reports every acknowledged batch through a pipe; the parent SIGKILLs it
 *   at a random moment (fixed seeds), reopens the log and checks every
 *   acknowledged batch is there byte for byte and offsets are contiguous.
 * - no-space: a child with RLIMIT_FSIZE (SIGXFSZ ignored) appends until the
 *   limit: a clear NO_SPACE error, nothing half-written, the log still
 *   usable once space is back, and clean at the next open.
 * - state: committed group offsets and idempotent-producer state survive a
 *   SIGKILL (no clean close, so no snapshot: the state is replayed).
 */
#include <rill/log.h>

#include "tests/log/test-batch.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define KILLS 20

typedef struct {
  int32_t thread, seq;
  int64_t base;
} ack;

static uint8_t *crash_batch(int32_t thread, int32_t seq, size_t *len)
{
  return test_batch(1 + (thread * 7 + seq) % 9, (size_t)(20 + (seq * 37) % 300), seq, (uint32_t)(thread << 20 | seq),
                    len);
}

typedef struct {
  rill_log *log;
  int fd;
  int32_t thread;
  GMutex *pipe_lock;
} child_ctx;

static gpointer child_appender(gpointer data)
{
  child_ctx *c = data;
  for (int32_t seq = 0;; seq++) {
    size_t len;
    uint8_t *b = crash_batch(c->thread, seq, &len);
    rill_log_append_result r;
    if (!rill_log_append(c->log, "c", 0, b, len, &r, NULL))
      _exit(3);
    ack a = {c->thread, seq, r.base_offset};
    g_mutex_lock(c->pipe_lock);
    if (write(c->fd, &a, sizeof a) != sizeof a)
      _exit(4);
    g_mutex_unlock(c->pipe_lock);
    g_free(b);
  }
  return NULL;
}

static G_GNUC_NORETURN void child_run(const char *dir, int fd)
{
  rill_log *log = rill_log_open(dir, NULL, NULL);
  if (!log)
    _exit(2);
  GMutex lock;
  g_mutex_init(&lock);
  child_ctx c[2] = {{log, fd, 0, &lock}, {log, fd, 1, &lock}};
  GThread *t = g_thread_new("a", child_appender, &c[1]);
  child_appender(&c[0]);
  g_thread_join(t);
  _exit(0);
}

static void test_kill(void)
{
  g_autofree char *dir = test_tmpdir();
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, NULL, &e);
  g_assert_no_error(e);
  const char *const cfg[] = {"rill.durability", "sync", "segment.bytes", "32768", NULL};
  g_assert_true(rill_log_topic_create(log, "c", 1, cfg, &e));
  rill_log_close(log);
  GRand *r = g_rand_new_with_seed(20240601);
  GArray *acks = g_array_new(FALSE, FALSE, sizeof(ack));
  for (int kill_no = 0; kill_no < KILLS; kill_no++) {
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
      close(fds[0]);
      child_run(dir, fds[1]);
    }
    close(fds[1]);
    /* Kill only once it is appending (its first ack, however slow the
     * start), then at a random moment. */
    guint before = acks->len;
    ack a;
    g_assert_cmpint(read(fds[0], &a, sizeof a), ==, sizeof a);
    g_array_append_val(acks, a);
    g_usleep((gulong)g_rand_int_range(r, 1000, 50000));
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    int status;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status)); /* it was still appending, not failing */
    ssize_t n;
    while ((n = read(fds[0], &a, sizeof a)) == sizeof a)
      g_array_append_val(acks, a);
    g_assert_cmpint(n, ==, 0); /* whole records only: writes of 16 bytes to a pipe are atomic */
    close(fds[0]);

    log = rill_log_open(dir, NULL, &e);
    g_assert_no_error(e);
    g_test_message("kill %d: %u acks", kill_no, acks->len - before);
    /* Every acknowledged batch, byte for byte, at its offset. */
    for (guint i = 0; i < acks->len; i++) {
      ack *k = &g_array_index(acks, ack, i);
      size_t len;
      uint8_t *want = crash_batch(k->thread, k->seq, &len);
      rill_batch_set_base_offset(want, k->base);
      rill_log_fetch *f = rill_log_read(log, "c", 0, k->base, 1, &e);
      g_assert_no_error(e);
      GBytes *got = rill_log_fetch_bytes(f, &e);
      g_assert_no_error(e);
      g_assert_cmpmem(g_bytes_get_data(got, NULL), g_bytes_get_size(got), want, len);
      g_bytes_unref(got);
      rill_log_fetch_free(f);
      g_free(want);
    }
    /* Offsets contiguous from 0 through the high watermark. */
    rill_log_fetch *f = rill_log_read(log, "c", 0, 0, G_MAXSIZE, &e);
    g_assert_no_error(e);
    GBytes *all = rill_log_fetch_bytes(f, &e);
    size_t len, at = 0;
    const uint8_t *p = g_bytes_get_data(all, &len);
    int64_t next = 0;
    while (at < len) {
      rill_batch_header h;
      g_assert_cmpint(rill__batch_header_parse(p + at, len - at, true, &h), ==, RILL_BATCH_OK);
      g_assert_cmpint(h.base_offset, ==, next);
      next += h.last_offset_delta + 1;
      at += (size_t)h.batch_length + 12;
    }
    g_assert_cmpint(next, ==, rill_log_fetch_high_watermark(f));
    g_bytes_unref(all);
    rill_log_fetch_free(f);
    rill_log_close(log);
    /* Acks of earlier rounds stay checked in later ones: a recovery must
     * never take back what an earlier one kept. */
  }
  g_assert_cmpuint(acks->len, >=, KILLS);
  g_array_unref(acks);
  g_rand_free(r);
  test_rm_rf(dir);
}

static void test_no_space(void)
{
  g_autofree char *dir = test_tmpdir();
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, NULL, &e);
  g_assert_no_error(e);
  const char *const cfg[] = {"rill.durability", "sync", NULL};
  g_assert_true(rill_log_topic_create(log, "s", 1, cfg, &e));
  rill_log_close(log);
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    struct rlimit small = {100000, rl.rlim_max};
    log = rill_log_open(dir, NULL, NULL);
    if (!log || setrlimit(RLIMIT_FSIZE, &small) != 0)
      _exit(2);
    int64_t appended = 0;
    for (int i = 0;; i++) {
      size_t len;
      uint8_t *b = test_batch(10, 700, i, (uint32_t)i, &len);
      rill_log_append_result res;
      GError *err = NULL;
      gboolean ok = rill_log_append(log, "s", 0, b, len, &res, &err);
      g_free(b);
      if (!ok) {
        if (!g_error_matches(err, RILL_LOG_ERROR, RILL_LOG_ERROR_NO_SPACE) || !strstr(err->message, "00000000000000000000.log"))
          _exit(3);
        g_error_free(err);
        break;
      }
      appended = res.last_offset + 1;
    }
    rill_log_partition_info info;
    if (!rill_log_partition_info_get(log, "s", 0, &info, NULL) || info.high_watermark != appended ||
        info.log_end_offset != appended || info.size_bytes > 100000 || appended < 10)
      _exit(4);
    /* Space comes back: appends resume at the next offset. */
    setrlimit(RLIMIT_FSIZE, &rl);
    size_t len;
    uint8_t *b = test_batch(10, 700, 0, 99, &len);
    rill_log_append_result res;
    if (!rill_log_append(log, "s", 0, b, len, &res, NULL) || res.base_offset != appended)
      _exit(5);
    g_free(b);
    rill_log_close(log);
    _exit(0);
  }
  int status;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  log = rill_log_open(dir, NULL, &e);
  g_assert_no_error(e);
  g_auto(GStrv) notes = rill_log_recovery_notes(log);
  g_assert_cmpuint(g_strv_length(notes), ==, 0); /* no torn tail was left */
  rill_log_fetch *f = rill_log_read(log, "s", 0, 0, G_MAXSIZE, &e);
  g_assert_no_error(e);
  GBytes *all = rill_log_fetch_bytes(f, &e);
  size_t len, at = 0;
  const uint8_t *p = g_bytes_get_data(all, &len);
  int i = 0;
  while (at < len) {
    rill_batch_header h;
    g_assert_cmpint(rill__batch_header_parse(p + at, len - at, true, &h), ==, RILL_BATCH_OK);
    g_assert_cmpint(h.base_offset, ==, i * 10);
    at += (size_t)h.batch_length + 12;
    i++;
  }
  g_assert_cmpint(i * 10, ==, rill_log_fetch_high_watermark(f));
  g_bytes_unref(all);
  rill_log_fetch_free(f);
  rill_log_close(log);
  test_rm_rf(dir);
}

/* Child: commits group offsets and appends idempotent batches, reporting
 * each acknowledged step; then waits to be killed. */
static void test_state_crash(void)
{
  g_autofree char *dir = test_tmpdir();
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, NULL, &e);
  g_assert_true(rill_log_topic_create(log, "p", 1, NULL, &e));
  rill_log_close(log);
  int fds[2];
  g_assert_cmpint(pipe(fds), ==, 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    log = rill_log_open(dir, NULL, NULL);
    for (int32_t i = 0;; i++) {
      rill_log_group_offset o = {"p", 0, i, -1, "m", 1000 + i};
      if (!log || !rill_log_group_commit(log, "grp", &o, 1, NULL))
        _exit(2);
      test_batch_spec s = test_batch_spec_default(2, 10, i, (uint32_t)i);
      s.producer_id = 5;
      s.producer_epoch = 1;
      s.base_sequence = i * 2;
      size_t len;
      uint8_t *b = test_batch_build(&s, &len);
      rill_log_append_result r;
      if (!rill_log_append(log, "p", 0, b, len, &r, NULL) || r.base_offset != i * 2)
        _exit(3);
      g_free(b);
      if (write(fds[1], &i, sizeof i) != sizeof i)
        _exit(4);
    }
  }
  close(fds[1]);
  int32_t last = -1, v;
  while (last < 30 && read(fds[0], &v, sizeof v) == sizeof v)
    last = v;
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  while (read(fds[0], &v, sizeof v) == sizeof v)
    last = v;
  close(fds[0]);
  log = rill_log_open(dir, NULL, &e);
  g_assert_no_error(e);
  rill_log_group_offset o;
  g_assert_true(rill_log_group_fetch(log, "grp", "p", 0, &o));
  g_assert_cmpint(o.offset, >=, last); /* the in-flight commit may also be there */
  g_assert_cmpint(o.offset, <=, last + 1);
  g_assert_cmpint(o.commit_timestamp, ==, 1000 + o.offset);
  rill_log_group_offset_clear(&o);
  /* Producer state was never snapshotted: replayed from the log. A retry
   * of the last acknowledged batch is a duplicate. */
  int16_t epoch;
  int32_t seq;
  int64_t lo;
  g_assert_true(rill_log_producer_state_get(log, "p", 0, 5, &epoch, &seq, &lo));
  g_assert_cmpint(epoch, ==, 1);
  g_assert_cmpint(seq, >=, last * 2 + 1);
  test_batch_spec s = test_batch_spec_default(2, 10, last, (uint32_t)last);
  s.producer_id = 5;
  s.producer_epoch = 1;
  s.base_sequence = last * 2;
  size_t len;
  uint8_t *b = test_batch_build(&s, &len);
  rill_log_append_result r;
  g_assert_true(rill_log_append(log, "p", 0, b, len, &r, &e));
  g_assert_no_error(e);
  g_assert_true(r.duplicate);
  g_assert_cmpint(r.base_offset, ==, last * 2);
  g_free(b);
  rill_log_close(log);
  test_rm_rf(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/log-crash/kill", test_kill);
  g_test_add_func("/log-crash/no-space", test_no_space);
  g_test_add_func("/log-crash/state", test_state_crash);
  return g_test_run();
}
