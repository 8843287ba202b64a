/* test-log-files.c — what the log keeps on disk and open, seen from outside:
 * every legal topic name works (names too long for "<name>-<n>" file names
 * included), older data directories still open, and the fds the log holds
 * stay within max_open_files however many partitions and segments there are
 * (counted in /proc/self/fd), while a fetch keeps its files readable. */
#include <rill/log.h>

#include <string.h>

#include "tests/log/test-batch.h"

static int count_fds(void)
{
  g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
  g_assert_nonnull(d);
  int n = 0;
  while (g_dir_read_name(d))
    n++;
  return n;
}

static rill_log *open_log(const char *dir, int max_open_files)
{
  rill_log_options o;
  rill_log_options_init(&o);
  o.max_open_files = max_open_files;
  o.retention_check_interval_ms = 0;
  /* The scrubber reads through one fd of its own, outside the cache's bound;
   * off here so the fd counts below see the cache alone. */
  o.scrub_bytes_per_sec = 0;
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, &o, &e);
  g_assert_no_error(e);
  return log;
}

/* Appends one batch of @n records; returns its base offset. */
static int64_t append(rill_log *log, const char *topic, int32_t part, int n, uint32_t seed)
{
  size_t len;
  g_autofree uint8_t *b = test_batch(n, 100, 1000 + seed, seed, &len);
  rill_log_append_result r;
  GError *e = NULL;
  g_assert_true(rill_log_append(log, topic, part, b, len, &r, &e));
  g_assert_no_error(e);
  return r.base_offset;
}

static int64_t hwm(rill_log *log, const char *topic, int32_t part)
{
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(log, topic, part, &info, NULL));
  return info.high_watermark;
}

static size_t read_size(rill_log *log, const char *topic, int32_t part)
{
  GError *e = NULL;
  rill_log_fetch *f = rill_log_read(log, topic, part, 0, G_MAXSIZE, &e);
  g_assert_no_error(e);
  GBytes *b = rill_log_fetch_bytes(f, &e);
  g_assert_no_error(e);
  size_t n = g_bytes_get_size(b);
  g_bytes_unref(b);
  rill_log_fetch_free(f);
  return n;
}

static char *name_of(char c, size_t len, const char *tail)
{
  char *s = g_malloc(len + 1);
  memset(s, c, len);
  s[len] = '\0';
  memcpy(s + len - strlen(tail), tail, strlen(tail));
  return s;
}

static void test_long_names(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir, 0);
  /* 236 is the longest kept as is; longer ones, up to Kafka's 249, are
   * shortened — two sharing their first 200+ characters must stay apart. */
  size_t lens[] = {236, 237, 247, 249, 249};
  const char *tails[] = {"a", "b", "c", "x1", "x2"};
  char *names[G_N_ELEMENTS(lens)];
  for (guint i = 0; i < G_N_ELEMENTS(lens); i++) {
    names[i] = name_of('t', lens[i], tails[i]);
    GError *e = NULL;
    g_assert_true(rill_log_topic_create(log, names[i], 2, NULL, &e));
    g_assert_no_error(e);
    for (guint k = 0; k <= i; k++)
      append(log, names[i], 1, 3, i);
  }
  GError *e = NULL;
  g_assert_false(rill_log_topic_create(log, names[4], 1, NULL, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_TOPIC_EXISTS);
  g_clear_error(&e);
  g_assert_true(rill_log_topic_add_partitions(log, names[3], 3, &e));
  g_assert_no_error(e);
  append(log, names[3], 2, 2, 9);
  rill_log_close(log);

  log = open_log(dir, 0);
  g_auto(GStrv) listed = rill_log_topic_list(log);
  g_assert_cmpuint(g_strv_length(listed), ==, G_N_ELEMENTS(lens));
  for (guint i = 0; i < G_N_ELEMENTS(lens); i++) {
    int32_t n;
    g_assert_true(rill_log_topic_describe(log, names[i], &n, NULL, NULL));
    g_assert_cmpint(n, ==, i == 3 ? 3 : 2);
    g_assert_cmpint(hwm(log, names[i], 1), ==, 3 * (i + 1));
  }
  g_assert_cmpint(hwm(log, names[3], 2), ==, 2);
  /* Deleting one long name leaves its twin (same first 247 characters). */
  g_assert_true(rill_log_topic_delete(log, names[3], &e));
  g_assert_no_error(e);
  rill_log_close(log);
  log = open_log(dir, 0);
  g_assert_false(rill_log_topic_describe(log, names[3], NULL, NULL, NULL));
  g_assert_cmpint(hwm(log, names[4], 1), ==, 15);
  rill_log_close(log);
  for (guint i = 0; i < G_N_ELEMENTS(lens); i++)
    g_free(names[i]);
  test_rm_rf(dir);
}

/* A .conf written before long names were shortened has no "files" key:
 * its partition directories are named after the topic. */
static void test_old_layout(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir, 0);
  g_assert_true(rill_log_topic_create(log, "old", 2, NULL, NULL));
  append(log, "old", 1, 4, 1);
  rill_log_close(log);
  g_autofree char *conf = g_build_filename(dir, ".topics", "old.conf", NULL);
  g_autofree char *old = g_strdup_printf("[topic]\nname=old\npartitions=2\n");
  g_assert_true(g_file_set_contents(conf, old, -1, NULL));
  log = open_log(dir, 0);
  g_assert_cmpint(hwm(log, "old", 1), ==, 4);
  g_autofree char *pdir = g_build_filename(dir, "old-1", NULL);
  g_assert_true(g_file_test(pdir, G_FILE_TEST_IS_DIR));
  rill_log_close(log);
  test_rm_rf(dir);
}

#define PARTS 24
#define MAX_OPEN 4

static void test_fd_bound(void)
{
  g_autofree char *dir = test_tmpdir();
  int base = count_fds();
  rill_log *log = open_log(dir, MAX_OPEN);
  /* Its own fds (the lock file) do not count against the bound. */
  int own = count_fds() - base;
  const char *const cfg[] = {"segment.bytes", "1024", NULL};
  g_assert_true(rill_log_topic_create(log, "many", PARTS, cfg, NULL));
  for (int round = 0; round < 4; round++)
    for (int p = 0; p < PARTS; p++)
      append(log, "many", p, 5, (uint32_t)(round * PARTS + p)); /* ~600 B a batch: 2 a segment */
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(log, "many", 0, &info, NULL));
  g_assert_cmpint(info.n_segments, >=, 2);
  g_assert_cmpint(count_fds() - base, <=, own + MAX_OPEN);

  /* A fetch keeps its files open (and readable) while others come and go. */
  GError *e = NULL;
  rill_log_fetch *f = rill_log_read(log, "many", 0, 0, G_MAXSIZE, &e);
  g_assert_no_error(e);
  size_t want = rill_log_fetch_size(f);
  for (int p = 1; p < PARTS; p++)
    g_assert_cmpuint(read_size(log, "many", p), ==, want);
  g_assert_cmpint(count_fds() - base, <=, own + MAX_OPEN + (int)rill_log_fetch_n_ranges(f));
  g_autoptr(GBytes) b = rill_log_fetch_bytes(f, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(g_bytes_get_size(b), ==, want);
  rill_log_fetch_free(f);
  rill_log_close(log);
  g_assert_cmpint(count_fds(), ==, base);

  /* Reopening scans every segment, still within the bound. */
  log = open_log(dir, MAX_OPEN);
  g_assert_cmpint(count_fds() - base, <=, own + MAX_OPEN);
  for (int p = 0; p < PARTS; p++)
    g_assert_cmpint(hwm(log, "many", p), ==, 20);
  g_assert_cmpuint(read_size(log, "many", PARTS - 1), ==, want);
  rill_log_close(log);
  test_rm_rf(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/log-files/long-names", test_long_names);
  g_test_add_func("/log-files/old-layout", test_old_layout);
  g_test_add_func("/log-files/fd-bound", test_fd_bound);
  return g_test_run();
}
