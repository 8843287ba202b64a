/* bench-log.c — log storage throughput against plain write().
 *
 *   bench-log [MB] [RUNS]      (defaults 1024 MB, 5 runs; data under /tmp)
 *
 * Main figure: append MB of 100-byte records in 64 KB RecordBatches to one
 * partition with durability none, against write() of the same bytes to a
 * plain file, alternating, median of RUNS each: RESULT ratio = log MB/s /
 * raw MB/s. Also printed: durability sync with 1 and 16 appenders (group
 * commit), read throughput, and open (recovery) time of 1,000 partitions.
 */
#include <rill/log.h>

#include "tests/log/test-batch.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/stats.h"

static double now_s(void) { return (double)g_get_monotonic_time() / 1e6; }

static uint8_t *batch_64k(size_t *len)
{
  /* 100-byte values; as many records as fit in 64 KB. */
  int n = 1;
  for (;; n++) {
    size_t l;
    g_free(test_batch(n + 1, 100, 1700000000000, 1, &l));
    if (l > 65536)
      break;
  }
  return test_batch(n, 100, 1700000000000, 1, len);
}

static rill_log *open_log(const char *dir)
{
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, NULL, &e);
  if (!log)
    g_error("open: %s", e->message);
  return log;
}

static double run_log(const char *dir, uint8_t *b, size_t len, size_t count)
{
  rill_log *log = open_log(dir);
  GError *e = NULL;
  if (!rill_log_topic_create(log, "bench", 1, NULL, &e))
    g_error("%s", e->message);
  double t0 = now_s();
  for (size_t i = 0; i < count; i++) {
    rill_log_append_result r;
    if (!rill_log_append(log, "bench", 0, b, len, &r, &e))
      g_error("append: %s", e->message);
  }
  double t = now_s() - t0;
  rill_log_close(log);
  return (double)(len * count) / 1e6 / t;
}

static double run_raw(const char *path, const uint8_t *b, size_t len, size_t count)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  double t0 = now_s();
  for (size_t i = 0; i < count; i++)
    if (write(fd, b, len) != (ssize_t)len)
      g_error("write failed");
  double t = now_s() - t0;
  close(fd);
  unlink(path);
  return (double)(len * count) / 1e6 / t;
}

typedef struct {
  rill_log *log;
  int n;
} sync_ctx;

static gpointer sync_appender(gpointer data)
{
  sync_ctx *c = data;
  size_t len;
  uint8_t *b = test_batch(10, 100, 1700000000000, 2, &len);
  for (int i = 0; i < c->n; i++) {
    rill_log_append_result r;
    GError *e = NULL;
    if (!rill_log_append(c->log, "sync", 0, b, len, &r, &e))
      g_error("%s", e->message);
  }
  g_free(b);
  return NULL;
}

static void run_sync(const char *dir, int threads, int per_thread)
{
  rill_log *log = open_log(dir);
  const char *const cfg[] = {"rill.durability", "sync", NULL};
  GError *e = NULL;
  if (!rill_log_topic_create(log, "sync", 1, cfg, &e))
    g_error("%s", e->message);
  GThread *t[16];
  sync_ctx c = {log, per_thread};
  double t0 = now_s();
  for (int i = 0; i < threads; i++)
    t[i] = g_thread_new("sync", sync_appender, &c);
  for (int i = 0; i < threads; i++)
    g_thread_join(t[i]);
  double dt = now_s() - t0;
  printf("sync, %2d appender(s): %8.0f appends/s (1 KB batches of 10 records)\n", threads,
         threads * per_thread / dt);
  rill_log_topic_delete(log, "sync", NULL);
  rill_log_close(log);
}

int main(int argc, char **argv)
{
  size_t mb = argc > 1 ? (size_t)atoi(argv[1]) : 1024;
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  GError *e = NULL;
  char *dir = g_dir_make_tmp("rill-bench-log-XXXXXX", &e);
  if (!dir)
    g_error("%s", e->message);
  size_t len;
  uint8_t *b = batch_64k(&len);
  size_t count = mb * 1000000 / len;
  printf("append %zu MB: %zu batches of %zu bytes (100-byte records), durability none, %d runs\n",
         count * len / 1000000, count, len, runs);
  double logs[16], raws[16];
  g_autofree char *raw_path = g_build_filename(dir, "raw", NULL);
  g_autofree char *log_dir = g_build_filename(dir, "log", NULL);
  /* Each timed run starts with no dirty pages (sync() first) so neither
   * pays for the other's writeback; the order alternates. */
  for (int i = 0; i < runs && i < 16; i++) {
    if (i % 2) {
      sync();
      logs[i] = run_log(log_dir, b, len, count);
    }
    sync();
    raws[i] = run_raw(raw_path, b, len, count);
    if (i % 2 == 0) {
      sync();
      logs[i] = run_log(log_dir, b, len, count);
    }
    printf("  run %d: log %.0f MB/s, write() %.0f MB/s\n", i + 1, logs[i], raws[i]);
    if (i + 1 < runs)
      test_rm_rf(log_dir);
  }
  double log_mbs = bench_median(logs, runs), raw_mbs = bench_median(raws, runs);

  /* Read back the last run's partition. */
  rill_log *log = open_log(log_dir);
  double t0 = now_s();
  size_t bytes = 0;
  for (int64_t off = 0;;) {
    rill_log_fetch *f = rill_log_read(log, "bench", 0, off, 1 << 20, &e);
    if (!f)
      g_error("%s", e->message);
    size_t n = rill_log_fetch_size(f);
    if (n == 0) {
      rill_log_fetch_free(f);
      break;
    }
    GBytes *data = rill_log_fetch_bytes(f, &e);
    const uint8_t *p = g_bytes_get_data(data, NULL);
    size_t at = 0;
    while (at + 61 <= n) { /* find the next offset */
      rill_batch_header h;
      rill__batch_header_parse(p + at, n - at, false, &h);
      off = h.base_offset + h.last_offset_delta + 1;
      at += (size_t)h.batch_length + 12;
    }
    bytes += n;
    g_bytes_unref(data);
    rill_log_fetch_free(f);
  }
  printf("read (1 MB fetches into memory): %.0f MB/s\n", (double)bytes / 1e6 / (now_s() - t0));
  rill_log_close(log);
  test_rm_rf(log_dir);

  run_sync(log_dir, 1, 200);
  run_sync(log_dir, 16, 100);
  test_rm_rf(log_dir);

  log = open_log(log_dir);
  if (!rill_log_topic_create(log, "many", 1000, NULL, &e))
    g_error("%s", e->message);
  size_t slen;
  uint8_t *small = test_batch(10, 100, 1700000000000, 3, &slen);
  for (int p = 0; p < 1000; p++)
    for (int i = 0; i < 10; i++) {
      rill_log_append_result r;
      rill_log_append(log, "many", p, small, slen, &r, NULL);
    }
  g_free(small);
  rill_log_close(log);
  t0 = now_s();
  log = open_log(log_dir);
  printf("open + recovery check of 1,000 partitions (10 batches each): %.1f ms\n", (now_s() - t0) * 1000);
  rill_log_close(log);
  test_rm_rf(dir);
  g_free(dir);
  g_free(b);
  printf("RESULT name=log ours=%.0f baseline=%.0f unit=MB/s ratio=%.2f\n", log_mbs, raw_mbs, log_mbs / raw_mbs);
  return 0;
}
