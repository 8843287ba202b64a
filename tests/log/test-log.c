/* test-log.c — the log storage on real files: append/read round trips
 * across segment rolls, index and timestamp lookups against a linear scan
 * of what the test appended, restart, torn tails, corrupt and missing
 * indexes, retention, validation errors, LogAppendTime, waiters, concurrent
 * appenders, non-blocking appends (rill_log_append_nowait), group offsets and idempotent-producer state across restarts. */
#include <rill/log.h>

#include "tests/log/test-batch.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the test appended: the stored bytes of each batch (baseOffset
 * re-stamped by the append) and its offsets / max timestamp. */
typedef struct {
  GBytes *bytes;
  int64_t base, last, max_ts;
} stored;

static void stored_clear(stored *s) { g_bytes_unref(s->bytes); }

static GArray *stored_new(void)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(stored));
  g_array_set_clear_func(a, (GDestroyNotify)stored_clear);
  return a;
}

static rill_log *open_log(const char *dir)
{
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, NULL, &e);
  g_assert_no_error(e);
  return log;
}

static void append_ok(rill_log *log, const char *topic, int32_t part, uint8_t *b, size_t len, GArray *out)
{
  GError *e = NULL;
  rill_log_append_result r;
  g_assert_true(rill_log_append(log, topic, part, b, len, &r, &e));
  g_assert_no_error(e);
  g_assert_false(r.duplicate);
  int64_t expect = out && out->len ? g_array_index(out, stored, out->len - 1).last + 1 : r.base_offset;
  g_assert_cmpint(r.base_offset, ==, expect);
  g_assert_cmpint((int64_t)rill__be64(b), ==, r.base_offset);
  g_assert_cmpint(r.last_offset - r.base_offset, ==, (int32_t)rill__be32(b + 23));
  if (out) {
    stored s = {g_bytes_new(b, len), r.base_offset, r.last_offset, (int64_t)rill__be64(b + 35)};
    g_array_append_val(out, s);
  }
}

/* Appends @n random batches; timestamps jump around when @shuffle_ts. */
static void append_random(rill_log *log, const char *topic, int32_t part, GRand *r, int n, bool shuffle_ts,
                          GArray *out)
{
  for (int i = 0; i < n; i++) {
    size_t len;
    int64_t ts = shuffle_ts ? 1000000 + g_rand_int_range(r, 0, 100000) : 1000000 + i * 100;
    uint8_t *b = test_batch(g_rand_int_range(r, 1, 12), (size_t)g_rand_int_range(r, 5, 400), ts, g_rand_int(r), &len);
    append_ok(log, topic, part, b, len, out);
    g_free(b);
  }
}

static GBytes *read_bytes(rill_log *log, const char *topic, int32_t part, int64_t offset, size_t max)
{
  GError *e = NULL;
  rill_log_fetch *f = rill_log_read(log, topic, part, offset, max, &e);
  g_assert_no_error(e);
  GBytes *b = rill_log_fetch_bytes(f, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(g_bytes_get_size(b), ==, rill_log_fetch_size(f));
  rill_log_fetch_free(f);
  return b;
}

/* Every offset: a 1-byte fetch returns exactly the batch holding it. */
static void check_all(rill_log *log, const char *topic, int32_t part, GArray *st, int64_t from)
{
  for (guint i = 0; i < st->len; i++) {
    stored *s = &g_array_index(st, stored, i);
    if (s->base < from)
      continue;
    for (int64_t o = s->base; o <= s->last; o++) {
      g_autoptr(GBytes) b = read_bytes(log, topic, part, o, 1);
      g_assert_true(g_bytes_equal(b, s->bytes));
    }
  }
  /* And everything at once is the concatenation. */
  GByteArray *all = g_byte_array_new();
  for (guint i = 0; i < st->len; i++) {
    stored *s = &g_array_index(st, stored, i);
    if (s->base >= from)
      g_byte_array_append(all, g_bytes_get_data(s->bytes, NULL), (guint)g_bytes_get_size(s->bytes));
  }
  g_autoptr(GBytes) b = read_bytes(log, topic, part, from, G_MAXSIZE);
  g_autoptr(GBytes) want = g_byte_array_free_to_bytes(all);
  g_assert_true(g_bytes_equal(b, want));
}

static void create(rill_log *log, const char *topic, int32_t n, const char *const *cfg)
{
  GError *e = NULL;
  g_assert_true(rill_log_topic_create(log, topic, n, cfg, &e));
  g_assert_no_error(e);
}

static const char *const small_segments[] = {"segment.bytes", "8192", "index.interval.bytes", "512", NULL};

static void test_round_trip(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  create(log, "t", 2, small_segments);
  GRand *r = g_rand_new_with_seed(1);
  GArray *st = stored_new();
  append_random(log, "t", 1, r, 300, false, st);
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(log, "t", 1, &info, NULL));
  g_assert_cmpint(info.n_segments, >, 5);
  g_assert_cmpint(info.log_start_offset, ==, 0);
  g_assert_cmpint(info.high_watermark, ==, g_array_index(st, stored, st->len - 1).last + 1);
  check_all(log, "t", 1, st, 0);

  /* max_bytes: whole batches only, never past the limit except the first. */
  for (int i = 0; i < 200; i++) {
    int64_t off = g_rand_int_range(r, 0, (gint32)info.high_watermark);
    size_t max = (size_t)g_rand_int_range(r, 1, 20000);
    g_autoptr(GBytes) b = read_bytes(log, "t", 1, off, max);
    size_t len, at = 0, n = 0;
    const uint8_t *p = g_bytes_get_data(b, &len);
    while (at < len) {
      rill_batch_header h;
      g_assert_cmpint(rill__batch_header_parse(p + at, len - at, true, &h), ==, RILL_BATCH_OK);
      if (n++ == 0)
        g_assert_true(h.base_offset <= off && off <= h.base_offset + h.last_offset_delta);
      at += (size_t)h.batch_length + 12;
    }
    g_assert_cmpuint(at, ==, len);
    g_assert_true(n == 1 || len <= max);
  }
  /* Reads at the high watermark are empty; beyond it, out of range. */
  GError *e = NULL;
  rill_log_fetch *f = rill_log_read(log, "t", 1, info.high_watermark, 1000, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(rill_log_fetch_size(f), ==, 0);
  g_assert_cmpint(rill_log_fetch_high_watermark(f), ==, info.high_watermark);
  rill_log_fetch_free(f);
  g_assert_null(rill_log_read(log, "t", 1, info.high_watermark + 1, 1000, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_OFFSET_OUT_OF_RANGE);
  g_clear_error(&e);
  /* Partition 0 is untouched. */
  g_assert_true(rill_log_partition_info_get(log, "t", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, 0);

  /* Restart keeps everything, and appends continue the offsets. */
  rill_log_close(log);
  log = open_log(dir);
  g_auto(GStrv) notes = rill_log_recovery_notes(log);
  g_assert_cmpuint(g_strv_length(notes), ==, 0);
  check_all(log, "t", 1, st, 0);
  append_random(log, "t", 1, r, 20, false, st);
  check_all(log, "t", 1, st, 0);
  rill_log_close(log);
  g_array_unref(st);
  g_rand_free(r);
  test_rm_rf(dir);
}

/* Reads of the newest batches start from the partition's ring of recent
 * batch starts (partition.c: lookup_start), older ones from the sparse
 * index: with one index entry per segment and more batches than the ring
 * holds, every offset still reads back its own batch, before and after the
 * ring wraps, and the tail reader's pattern (read at the last high
 * watermark after each append) gets exactly the new batch. */
static void test_tail_reads(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  static const char *const sparse[] = {"index.interval.bytes", "100000000", NULL};
  create(log, "t", 1, sparse);
  GRand *r = g_rand_new_with_seed(7);
  GArray *st = stored_new();
  append_random(log, "t", 0, r, 40, false, st);
  check_all(log, "t", 0, st, 0);
  for (int i = 0; i < 200; i++) { /* the ring holds 64 (RILL__TAIL_BATCHES) */
    int64_t hwm = g_array_index(st, stored, st->len - 1).last + 1;
    append_random(log, "t", 0, r, 1, false, st);
    g_autoptr(GBytes) b = read_bytes(log, "t", 0, hwm, G_MAXSIZE);
    g_assert_true(g_bytes_equal(b, g_array_index(st, stored, st->len - 1).bytes));
  }
  check_all(log, "t", 0, st, 0);
  rill_log_close(log);
  g_array_unref(st);
  g_rand_free(r);
  test_rm_rf(dir);
}

static int64_t linear_time_lookup(GArray *st, int64_t ts, int64_t *found)
{
  for (guint i = 0; i < st->len; i++) {
    stored *s = &g_array_index(st, stored, i);
    if (s->max_ts >= ts) {
      *found = s->max_ts;
      return s->base;
    }
  }
  *found = -1;
  return -1;
}

static void check_times(rill_log *log, GArray *st, GRand *r)
{
  for (int i = 0; i < 300; i++) {
    int64_t ts = 1000000 + g_rand_int_range(r, -100, 100200), off, found, want_found;
    g_assert_true(rill_log_offset_for_timestamp(log, "t", 0, ts, &off, &found, NULL));
    g_assert_cmpint(off, ==, linear_time_lookup(st, ts, &want_found));
    g_assert_cmpint(found, ==, want_found);
  }
  int64_t off, found;
  g_assert_true(rill_log_offset_for_timestamp(log, "t", 0, RILL_LOG_TIMESTAMP_EARLIEST, &off, &found, NULL));
  g_assert_cmpint(off, ==, g_array_index(st, stored, 0).base);
  g_assert_true(rill_log_offset_for_timestamp(log, "t", 0, RILL_LOG_TIMESTAMP_LATEST, &off, &found, NULL));
  g_assert_cmpint(off, ==, g_array_index(st, stored, st->len - 1).last + 1);
}

static char *segment_file(const char *dir, const char *topic_part, int64_t base, const char *ext)
{
  return g_strdup_printf("%s/%s/%020" G_GINT64_FORMAT "%s", dir, topic_part, base, ext);
}

static void test_timestamps_and_indexes(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  create(log, "t", 1, small_segments);
  GRand *r = g_rand_new_with_seed(2);
  GArray *st = stored_new();
  append_random(log, "t", 0, r, 250, true, st);
  check_times(log, st, r);
  rill_log_close(log);

  /* Corrupt the first segment's offset index, delete the second's time
   * index: both are rebuilt and lookups stay right. */
  int64_t second = -1;
  for (guint i = 0; i < st->len && second < 0; i++) {
    g_autofree char *p = segment_file(dir, "t-0", g_array_index(st, stored, i).base, ".log");
    if (i > 0 && g_file_test(p, G_FILE_TEST_EXISTS))
      second = g_array_index(st, stored, i).base;
  }
  g_assert_cmpint(second, >, 0);
  g_autofree char *idx = segment_file(dir, "t-0", 0, ".index");
  g_autofree char *tidx = segment_file(dir, "t-0", second, ".timeindex");
  gsize ilen;
  g_autofree char *data = NULL;
  g_assert_true(g_file_get_contents(idx, &data, &ilen, NULL));
  g_assert_cmpuint(ilen, >=, 16);
  memset(data + 8, 0x55, 8); /* second entry: garbage */
  g_assert_true(g_file_set_contents(idx, data, (gssize)ilen, NULL));
  g_assert_cmpint(unlink(tidx), ==, 0);
  log = open_log(dir);
  g_auto(GStrv) notes = rill_log_recovery_notes(log);
  g_assert_cmpuint(g_strv_length(notes), ==, 1); /* one line per partition */
  g_autofree char *seg0 = g_strdup_printf("%020d: index rebuilt", 0);
  g_autofree char *seg1 = g_strdup_printf("%020" G_GINT64_FORMAT ": index rebuilt", second);
  g_assert_nonnull(strstr(notes[0], seg0));
  g_assert_nonnull(strstr(notes[0], seg1));
  check_times(log, st, r);
  check_all(log, "t", 0, st, 0);
  rill_log_close(log);
  /* Rewritten at close: the next open trusts them again. */
  g_assert_true(g_file_test(tidx, G_FILE_TEST_EXISTS));
  log = open_log(dir);
  g_auto(GStrv) notes2 = rill_log_recovery_notes(log);
  g_assert_cmpuint(g_strv_length(notes2), ==, 0);
  rill_log_close(log);
  g_array_unref(st);
  g_rand_free(r);
  test_rm_rf(dir);
}

static void check_torn(bool flip)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  create(log, "t", 1, NULL);
  GRand *r = g_rand_new_with_seed(3);
  GArray *st = stored_new();
  append_random(log, "t", 0, r, 30, false, st);
  rill_log_close(log);
  stored *last = &g_array_index(st, stored, st->len - 1);
  int64_t last_base = last->base;
  g_autofree char *path = segment_file(dir, "t-0", 0, ".log");
  struct stat sb;
  g_assert_cmpint(stat(path, &sb), ==, 0);
  int fd = open(path, O_RDWR);
  g_assert_cmpint(fd, >=, 0);
  if (flip) {
    uint8_t c;
    off_t at = sb.st_size - 3; /* inside the last record */
    g_assert_cmpint(pread(fd, &c, 1, at), ==, 1);
    c ^= 0x40;
    g_assert_cmpint(pwrite(fd, &c, 1, at), ==, 1);
  } else {
    g_assert_cmpint(ftruncate(fd, sb.st_size - (off_t)g_bytes_get_size(last->bytes) / 2), ==, 0);
  }
  close(fd);
  g_array_remove_index(st, st->len - 1);
  log = open_log(dir);
  g_auto(GStrv) notes = rill_log_recovery_notes(log);
  g_assert_cmpuint(g_strv_length(notes), ==, 1);
  g_assert_nonnull(strstr(notes[0], flip ? "CRC-32C mismatch" : "truncated batch"));
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(log, "t", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, last_base);
  check_all(log, "t", 0, st, 0);
  append_random(log, "t", 0, r, 5, false, st); /* offsets resume at the cut */
  check_all(log, "t", 0, st, 0);
  rill_log_close(log);
  g_array_unref(st);
  g_rand_free(r);
  test_rm_rf(dir);
}

static void test_torn_truncated(void) { check_torn(false); }
static void test_torn_flipped(void) { check_torn(true); }

static void test_retention(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  const char *const cfg[] = {"segment.bytes", "4096", "retention.bytes", "20000", "retention.ms", "-1", NULL};
  create(log, "t", 1, cfg);
  GRand *r = g_rand_new_with_seed(4);
  GArray *st = stored_new();
  append_random(log, "t", 0, r, 200, false, st);
  rill_log_partition_info before, after;
  g_assert_true(rill_log_partition_info_get(log, "t", 0, &before, NULL));
  g_assert_cmpint(before.size_bytes, >, 40000);
  g_assert_cmpuint(rill_log_enforce_retention(log, g_get_real_time() / 1000), >, 0);
  g_assert_true(rill_log_partition_info_get(log, "t", 0, &after, NULL));
  g_assert_cmpint(after.log_start_offset, >, 0);
  g_assert_cmpint(after.size_bytes, >=, 20000);
  g_assert_cmpint(after.size_bytes, <, 20000 + 4096 + 4096);
  g_assert_cmpint(after.high_watermark, ==, before.high_watermark);
  /* The start is a batch boundary we appended. */
  bool boundary = false;
  for (guint i = 0; i < st->len; i++)
    boundary |= g_array_index(st, stored, i).base == after.log_start_offset;
  g_assert_true(boundary);
  GError *e = NULL;
  g_assert_null(rill_log_read(log, "t", 0, after.log_start_offset - 1, 100, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_OFFSET_OUT_OF_RANGE);
  g_clear_error(&e);
  check_all(log, "t", 0, st, after.log_start_offset);
  rill_log_close(log);
  log = open_log(dir); /* the start offset survives restart */
  rill_log_partition_info again;
  g_assert_true(rill_log_partition_info_get(log, "t", 0, &again, NULL));
  g_assert_cmpint(again.log_start_offset, ==, after.log_start_offset);

  /* Time: batches stamped around 1000000 ms are ancient; all but the
   * active segment go. */
  const char *const tcfg[] = {"retention.ms", "60000", "retention.bytes", "-1", NULL};
  g_assert_true(rill_log_topic_alter_config(log, "t", tcfg, &e));
  g_assert_no_error(e);
  g_assert_cmpuint(rill_log_enforce_retention(log, g_get_real_time() / 1000), >, 0);
  g_assert_true(rill_log_partition_info_get(log, "t", 0, &again, NULL));
  g_assert_cmpint(again.n_segments, ==, 1);
  g_assert_cmpint(again.high_watermark, ==, before.high_watermark);
  rill_log_close(log);
  g_array_unref(st);
  g_rand_free(r);
  test_rm_rf(dir);
}

static void test_bad_input(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  GError *e = NULL;
  const char *bad_names[] = {"", ".", "..", "a b", "ü", "x/y", NULL};
  for (const char **n = bad_names; *n; n++) {
    g_assert_false(rill_log_topic_create(log, *n, 1, NULL, &e));
    g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_TOPIC);
    g_clear_error(&e);
  }
  char long_name[251];
  memset(long_name, 'a', 250);
  long_name[250] = 0;
  g_assert_false(rill_log_topic_name_validate(long_name, NULL));
  long_name[249] = 0;
  g_assert_true(rill_log_topic_name_validate(long_name, NULL));
  const char *const big[] = {"max.message.bytes", "2000", NULL};
  create(log, "a.b", 1, big);
  g_assert_false(rill_log_topic_create(log, "a.b", 1, NULL, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_TOPIC_EXISTS);
  g_clear_error(&e);
  g_assert_false(rill_log_topic_create(log, "a_b", 1, NULL, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_TOPIC);
  g_clear_error(&e);
  g_assert_false(rill_log_topic_create(log, "z", 0, NULL, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_PARTITIONS);
  g_clear_error(&e);
  const char *const badcfg[][3] = {{"retention.ms", "soon", NULL}, {"no.such", "1", NULL},
                                   {"message.timestamp.type", "Now", NULL}, {"segment.bytes", "1", NULL}};
  for (size_t i = 0; i < G_N_ELEMENTS(badcfg); i++) {
    g_assert_false(rill_log_topic_create(log, "z", 1, badcfg[i], &e));
    g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_CONFIG);
    g_clear_error(&e);
  }
  g_auto(GStrv) topics = rill_log_topic_list(log);
  g_assert_cmpuint(g_strv_length(topics), ==, 1);

  size_t len;
  uint8_t *b = test_batch(3, 100, 5, 1, &len);
  rill_log_append_result res;
  b[len - 1] ^= 1; /* CRC mismatch */
  g_assert_false(rill_log_append(log, "a.b", 0, b, len, &res, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_CORRUPT_BATCH);
  g_clear_error(&e);
  b[len - 1] ^= 1;
  g_assert_false(rill_log_append(log, "a.b", 0, b, len - 1, &res, &e)); /* truncated */
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_CORRUPT_BATCH);
  g_clear_error(&e);
  g_assert_false(rill_log_append(log, "a.b", 0, b, 10, &res, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_CORRUPT_BATCH);
  g_clear_error(&e);
  g_assert_false(rill_log_append(log, "nope", 0, b, len, &res, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC);
  g_clear_error(&e);
  g_assert_false(rill_log_append(log, "a.b", 1, b, len, &res, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC);
  g_clear_error(&e);
  g_free(b);
  b = test_batch(30, 100, 5, 1, &len);
  g_assert_cmpuint(len, >, 2000);
  g_assert_false(rill_log_append(log, "a.b", 0, b, len, &res, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error(&e);
  g_free(b);
  /* Two good batches then a bad one in one call: none is appended. */
  size_t l1, l2;
  uint8_t *b1 = test_batch(2, 10, 5, 1, &l1), *b2 = test_batch(2, 10, 5, 2, &l2);
  GByteArray *three = g_byte_array_new();
  g_byte_array_append(three, b1, (guint)l1);
  g_byte_array_append(three, b2, (guint)l2);
  g_byte_array_append(three, b2, (guint)l2);
  three->data[l1 + l2 + 20] ^= 1; /* in the third batch's CRC */
  g_assert_false(rill_log_append(log, "a.b", 0, three->data, three->len, &res, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_CORRUPT_BATCH);
  g_clear_error(&e);
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(log, "a.b", 0, &info, NULL));
  g_assert_cmpint(info.log_end_offset, ==, 0);
  three->data[l1 + l2 + 20] ^= 1;
  g_assert_true(rill_log_append(log, "a.b", 0, three->data, three->len, &res, &e));
  g_assert_cmpint(res.base_offset, ==, 0);
  g_assert_cmpint(res.last_offset, ==, 5);
  g_byte_array_unref(three);
  g_free(b1);
  g_free(b2);

  /* The same directory cannot be opened twice; another can. */
  g_assert_null(rill_log_open(dir, NULL, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_LOCKED);
  g_clear_error(&e);
  g_autofree char *dir2 = test_tmpdir();
  rill_log *log2 = open_log(dir2);
  create(log2, "a.b", 1, NULL);
  g_assert_true(rill_log_partition_info_get(log2, "a.b", 0, &info, NULL));
  g_assert_cmpint(info.log_end_offset, ==, 0);
  rill_log_close(log2);
  rill_log_close(log);
  test_rm_rf(dir);
  test_rm_rf(dir2);
}

static void test_topics(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  const char *const cfg[] = {"retention.ms", "1234", "message.timestamp.type", "LogAppendTime", NULL};
  create(log, "b", 2, cfg);
  create(log, "a", 1, NULL);
  GError *e = NULL;
  g_assert_true(rill_log_topic_add_partitions(log, "b", 4, &e));
  g_assert_false(rill_log_topic_add_partitions(log, "b", 4, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_INVALID_PARTITIONS);
  g_clear_error(&e);
  size_t len;
  uint8_t *b = test_batch(2, 10, 5, 1, &len);
  rill_log_append_result res;
  int64_t before = g_get_real_time() / 1000;
  g_assert_true(rill_log_append(log, "b", 3, b, len, &res, &e));
  int64_t after = g_get_real_time() / 1000;
  g_assert_cmpint(res.log_append_time, >=, before);
  g_assert_cmpint(res.log_append_time, <=, after);
  rill_batch_header h;
  g_assert_cmpint(rill__batch_header_parse(b, len, true, &h), ==, RILL_BATCH_OK);
  g_assert_true(h.attributes & RILL_BATCH_ATTR_LOG_APPEND_TIME);
  g_assert_cmpint(h.max_timestamp, ==, res.log_append_time);
  g_free(b);
  rill_log_close(log);

  log = open_log(dir);
  g_auto(GStrv) names = rill_log_topic_list(log);
  g_assert_cmpuint(g_strv_length(names), ==, 2);
  g_assert_cmpstr(names[0], ==, "a");
  g_assert_cmpstr(names[1], ==, "b");
  int32_t n;
  GHashTable *conf;
  g_assert_true(rill_log_topic_describe(log, "b", &n, &conf, &e));
  g_assert_cmpint(n, ==, 4);
  g_assert_cmpstr(g_hash_table_lookup(conf, "retention.ms"), ==, "1234");
  g_assert_cmpstr(g_hash_table_lookup(conf, "message.timestamp.type"), ==, "LogAppendTime");
  g_assert_cmpstr(g_hash_table_lookup(conf, "segment.bytes"), ==, "1073741824");
  g_hash_table_unref(conf);
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(log, "b", 3, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, 2);
  g_assert_true(rill_log_topic_delete(log, "b", &e));
  g_assert_false(rill_log_topic_delete(log, "b", &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC);
  g_clear_error(&e);
  g_autofree char *pdir = g_build_filename(dir, "b-3", NULL);
  g_assert_false(g_file_test(pdir, G_FILE_TEST_EXISTS));
  create(log, "b", 1, NULL); /* a new topic, empty */
  g_assert_true(rill_log_partition_info_get(log, "b", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, 0);
  rill_log_close(log);
  test_rm_rf(dir);
}

typedef struct {
  GMutex m;
  GCond c;
  int fired;
  rill_log_wake reason;
  int64_t hwm;
} wake_box;

static void on_wake(rill_log_wake reason, int64_t hwm, void *data)
{
  wake_box *w = data;
  g_mutex_lock(&w->m);
  w->fired++;
  w->reason = reason;
  w->hwm = hwm;
  g_cond_signal(&w->c);
  g_mutex_unlock(&w->m);
}

typedef struct {
  rill_log *log;
  int64_t offset;
  int64_t result;
  GError *error;
} blocker;

static gpointer block_thread(gpointer data)
{
  blocker *b = data;
  b->result = rill_log_wait(b->log, "t", 0, b->offset, -1, &b->error);
  return NULL;
}

static void test_waiters(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  create(log, "t", 1, NULL);
  GError *e = NULL;
  wake_box w1 = {0}, w2 = {0}, w3 = {0};
  guint64 id1 = rill_log_wait_add(log, "t", 0, 0, on_wake, &w1, &e);
  guint64 id2 = rill_log_wait_add(log, "t", 0, 5, on_wake, &w2, &e);
  g_assert_no_error(e);
  g_assert_cmpuint(id1, !=, 0);
  g_assert_cmpuint(id2, !=, id1);
  g_assert_cmpint(rill_log_wait(log, "t", 0, 0, 1000, &e), ==, 0); /* times out: hwm 0 */
  blocker bl = {log, 2, 0, NULL};
  GThread *th = g_thread_new("wait", block_thread, &bl);
  size_t len;
  uint8_t *b = test_batch(3, 10, 5, 1, &len);
  rill_log_append_result res;
  g_assert_true(rill_log_append(log, "t", 0, b, len, &res, &e)); /* hwm 3 */
  g_assert_cmpint(w1.fired, ==, 1); /* fired on the appending thread, before append returned */
  g_assert_cmpint(w1.reason, ==, RILL_LOG_WAKE_DATA);
  g_assert_cmpint(w1.hwm, ==, 3);
  g_assert_cmpint(w2.fired, ==, 0);
  g_thread_join(th);
  g_assert_no_error(bl.error);
  g_assert_cmpint(bl.result, ==, 3);
  g_assert_false(rill_log_wait_cancel(log, "t", 0, id1)); /* already fired */
  g_assert_true(rill_log_wait_cancel(log, "t", 0, id2));
  g_assert_true(rill_log_append(log, "t", 0, b, len, &res, &e)); /* hwm 6 > 5 */
  g_assert_cmpint(w2.fired, ==, 0);
  /* Already past: runs at once, returns 0. */
  g_assert_cmpuint(rill_log_wait_add(log, "t", 0, 1, on_wake, &w3, &e), ==, 0);
  g_assert_cmpint(w3.fired, ==, 1);
  /* Deleting the topic wakes waiters and blocked readers with CLOSED. */
  wake_box w4 = {0};
  g_assert_cmpuint(rill_log_wait_add(log, "t", 0, 100, on_wake, &w4, &e), !=, 0);
  blocker bl2 = {log, 100, 0, NULL};
  th = g_thread_new("wait", block_thread, &bl2);
  g_usleep(10000); /* let it block (the result is the same if it has not) */
  g_assert_true(rill_log_topic_delete(log, "t", &e));
  g_thread_join(th);
  g_assert_cmpint(w4.fired, ==, 1);
  g_assert_cmpint(w4.reason, ==, RILL_LOG_WAKE_CLOSED);
  g_assert_true(g_error_matches(bl2.error, RILL_LOG_ERROR, RILL_LOG_ERROR_CLOSED) ||
                g_error_matches(bl2.error, RILL_LOG_ERROR, RILL_LOG_ERROR_UNKNOWN_TOPIC));
  g_clear_error(&bl2.error);
  g_free(b);
  rill_log_close(log);
  test_rm_rf(dir);
}

typedef struct {
  rill_log *log;
  int32_t partition;
  int n;
  uint32_t seed;
  GArray *bases; /* int64 base, int64 last pairs */
} appender;

static gpointer append_thread(gpointer data)
{
  appender *a = data;
  for (int i = 0; i < a->n; i++) {
    size_t len;
    uint8_t *b = test_batch(1 + i % 5, 50, i, a->seed + (uint32_t)i, &len);
    rill_log_append_result r;
    GError *e = NULL;
    g_assert_true(rill_log_append(a->log, "t", a->partition, b, len, &r, &e));
    g_assert_no_error(e);
    int64_t pair[2] = {r.base_offset, r.last_offset};
    g_array_append_vals(a->bases, pair, 2);
    g_free(b);
  }
  return NULL;
}

static gpointer read_thread(gpointer data)
{
  rill_log *log = data;
  int64_t next = 0;
  while (next < 8 * 100 * 3) {
    GError *e = NULL;
    g_assert_cmpint(rill_log_wait(log, "t", 0, next, -1, &e), >, next);
    g_assert_no_error(e);
    rill_log_fetch *f = rill_log_read(log, "t", 0, next, 1 << 20, &e);
    g_assert_no_error(e);
    int64_t hwm = rill_log_fetch_high_watermark(f);
    g_autoptr(GBytes) b = rill_log_fetch_bytes(f, &e);
    g_assert_no_error(e);
    rill_log_fetch_free(f);
    size_t len, at = 0;
    const uint8_t *p = g_bytes_get_data(b, &len);
    while (at < len) {
      rill_batch_header h;
      g_assert_cmpint(rill__batch_header_parse(p + at, len - at, true, &h), ==, RILL_BATCH_OK);
      g_assert_cmpint(h.base_offset, ==, next);
      next = h.base_offset + h.last_offset_delta + 1;
      at += (size_t)h.batch_length + 12;
    }
    g_assert_cmpint(next, <=, hwm);
  }
  return NULL;
}

/* Appenders on one partition (sync: group commit) and on others, with a
 * reader following partition 0: offsets unique and contiguous. */
static void test_concurrent(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  const char *const cfg[] = {"rill.durability", "sync", "segment.bytes", "65536", NULL};
  create(log, "t", 3, cfg);
  appender a[10];
  GThread *th[10];
  GThread *reader = g_thread_new("reader", read_thread, log);
  for (int i = 0; i < 10; i++) {
    a[i] = (appender){log, i < 8 ? 0 : i - 7, 100, (uint32_t)i * 1000, g_array_new(FALSE, FALSE, sizeof(int64_t))};
    th[i] = g_thread_new("append", append_thread, &a[i]);
  }
  for (int i = 0; i < 10; i++)
    g_thread_join(th[i]);
  g_thread_join(reader);
  for (int part = 0; part < 3; part++) {
    int64_t next = 0;
    rill_log_partition_info info;
    g_assert_true(rill_log_partition_info_get(log, "t", part, &info, NULL));
    int64_t total = 0;
    for (int i = 0; i < 10; i++)
      if (a[i].partition == part)
        for (guint j = 0; j < a[i].bases->len; j += 2)
          total += g_array_index(a[i].bases, int64_t, j + 1) - g_array_index(a[i].bases, int64_t, j) + 1;
    g_assert_cmpint(info.high_watermark, ==, total);
    g_autoptr(GBytes) b = read_bytes(log, "t", part, 0, G_MAXSIZE);
    size_t len, at = 0;
    const uint8_t *p = g_bytes_get_data(b, &len);
    while (at < len) {
      rill_batch_header h;
      g_assert_cmpint(rill__batch_header_parse(p + at, len - at, true, &h), ==, RILL_BATCH_OK);
      g_assert_cmpint(h.base_offset, ==, next);
      next += h.last_offset_delta + 1;
      at += (size_t)h.batch_length + 12;
    }
    g_assert_cmpint(next, ==, total);
  }
  for (int i = 0; i < 10; i++)
    g_array_unref(a[i].bases);
  rill_log_close(log);
  test_rm_rf(dir);
}

static void test_groups(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  GError *e = NULL;
  rill_log_group_offset c[] = {{"t", 0, 42, 3, "meta", 1000}, {"t", 1, 7, -1, NULL, 1001}, {"u", 0, 9, -1, "", 1002}};
  g_assert_true(rill_log_group_commit(log, "g/1 ü", c, 3, &e));
  g_assert_no_error(e);
  c[0].offset = 43;
  g_assert_true(rill_log_group_commit(log, "g/1 ü", c, 1, &e));
  g_assert_true(rill_log_group_commit(log, "other", c + 2, 1, &e));
  rill_log_close(log);
  log = open_log(dir);
  rill_log_group_offset o;
  g_assert_true(rill_log_group_fetch(log, "g/1 ü", "t", 0, &o));
  g_assert_cmpint(o.offset, ==, 43);
  g_assert_cmpint(o.leader_epoch, ==, 3);
  g_assert_cmpstr(o.metadata, ==, "meta");
  g_assert_cmpint(o.commit_timestamp, ==, 1000);
  rill_log_group_offset_clear(&o);
  g_assert_false(rill_log_group_fetch(log, "g/1 ü", "t", 2, &o));
  g_autoptr(GArray) all = rill_log_group_fetch_all(log, "g/1 ü");
  g_assert_cmpuint(all->len, ==, 3);
  g_assert_cmpstr(g_array_index(all, rill_log_group_offset, 1).topic, ==, "t");
  g_assert_null(g_array_index(all, rill_log_group_offset, 1).metadata);
  g_assert_cmpstr(g_array_index(all, rill_log_group_offset, 2).metadata, ==, "");
  g_auto(GStrv) groups = rill_log_group_list(log);
  g_assert_cmpuint(g_strv_length(groups), ==, 2);
  g_assert_true(rill_log_group_delete(log, "other", &e));
  rill_log_close(log);
  log = open_log(dir);
  g_auto(GStrv) groups2 = rill_log_group_list(log);
  g_assert_cmpuint(g_strv_length(groups2), ==, 1);
  g_assert_cmpstr(groups2[0], ==, "g/1 ü");
  int64_t pid = rill_log_producer_id_allocate(log, &e);
  g_assert_cmpint(rill_log_producer_id_allocate(log, &e), ==, pid + 1);
  rill_log_close(log);
  log = open_log(dir);
  g_assert_cmpint(rill_log_producer_id_allocate(log, &e), ==, pid + 2);
  rill_log_close(log);
  test_rm_rf(dir);
}

static gboolean append_idem(rill_log *log, int64_t pid, int16_t epoch, int32_t seq, int n,
                            rill_log_append_result *r, GError **e)
{
  test_batch_spec s = test_batch_spec_default(n, 20, 5, (uint32_t)seq);
  s.producer_id = pid;
  s.producer_epoch = epoch;
  s.base_sequence = seq;
  size_t len;
  uint8_t *b = test_batch_build(&s, &len);
  gboolean ok = rill_log_append(log, "t", 0, b, len, r, e);
  g_free(b);
  return ok;
}

static void test_producers(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log *log = open_log(dir);
  create(log, "t", 1, NULL);
  GError *e = NULL;
  rill_log_append_result r;
  for (int i = 0; i < 6; i++)
    g_assert_true(append_idem(log, 7, 0, i * 2, 2, &r, &e));
  g_assert_cmpint(r.base_offset, ==, 10);
  /* A retry of one of the last 5 is a duplicate with its first offsets. */
  g_assert_true(append_idem(log, 7, 0, 6, 2, &r, &e));
  g_assert_true(r.duplicate);
  g_assert_cmpint(r.base_offset, ==, 6);
  g_assert_cmpint(r.last_offset, ==, 7);
  g_assert_false(append_idem(log, 7, 0, 20, 1, &r, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_OUT_OF_ORDER_SEQUENCE);
  g_clear_error(&e);
  rill_log_close(log);
  log = open_log(dir);
  int16_t epoch;
  int32_t seq;
  int64_t last;
  g_assert_true(rill_log_producer_state_get(log, "t", 0, 7, &epoch, &seq, &last));
  g_assert_cmpint(seq, ==, 11);
  g_assert_cmpint(last, ==, 11);
  g_assert_true(append_idem(log, 7, 0, 10, 2, &r, &e));
  g_assert_true(r.duplicate);
  g_assert_cmpint(r.base_offset, ==, 10);
  g_assert_true(append_idem(log, 7, 1, 0, 1, &r, &e)); /* new epoch restarts at 0 */
  g_assert_false(r.duplicate);
  g_assert_cmpint(r.base_offset, ==, 12);
  g_assert_false(append_idem(log, 7, 0, 12, 1, &r, &e));
  g_assert_error(e, RILL_LOG_ERROR, RILL_LOG_ERROR_PRODUCER_FENCED);
  g_clear_error(&e);
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(log, "t", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, 13);
  rill_log_close(log);
  test_rm_rf(dir);
}

/* What rill_log_append_nowait's callbacks saw. */
typedef struct {
  rill_log *log;
  GMutex lock;
  GCond cond;
  int fired;
  int twice;        /* a callback that ran more than once */
  int not_readable; /* a callback before its records were readable */
  GError *error;    /* the first error reported */
} durable_box;

typedef struct {
  durable_box *box;
  const char *topic;
  int index;    /* append order */
  int64_t end;  /* last offset + 1 */
  int fired;
} durable_ticket;

static void on_durable(const GError *error, void *user_data)
{
  durable_ticket *t = user_data;
  durable_box *b = t->box;
  rill_log_partition_info info;
  gboolean readable = error || !rill_log_partition_info_get(b->log, t->topic, 0, &info, NULL) ||
                      info.high_watermark >= t->end;
  g_mutex_lock(&b->lock);
  if (t->fired++)
    b->twice++;
  if (!readable)
    b->not_readable++;
  if (error && !b->error)
    b->error = g_error_copy(error);
  b->fired++;
  g_cond_broadcast(&b->cond);
  g_mutex_unlock(&b->lock);
}

static void wait_fired(durable_box *b, int n)
{
  g_mutex_lock(&b->lock);
  while (b->fired < n)
    g_cond_wait(&b->cond, &b->lock);
  g_mutex_unlock(&b->lock);
}

/* Appends batch @i (seeded by @i) without waiting; returns whether a
 * callback is pending. */
static gboolean nowait(rill_log *log, const char *topic, durable_ticket *t, int i, GArray *out)
{
  size_t len;
  uint8_t *b = test_batch(1 + i % 3, (size_t)(20 + i % 50), 100 + i, (uint32_t)i, &len);
  rill_log_append_result r;
  gboolean pending = TRUE;
  GError *e = NULL;
  g_assert_true(rill_log_append_nowait(log, topic, 0, b, len, &r, on_durable, t, &pending, &e));
  g_assert_no_error(e);
  t->end = r.last_offset + 1;
  if (out) {
    stored s = {g_bytes_new(b, len), r.base_offset, r.last_offset, (int64_t)rill__be64(b + 35)};
    g_array_append_val(out, s);
  }
  g_free(b);
  return pending;
}

static void synced_add(GArray *out, const uint8_t *b, size_t len, const rill_log_append_result *r)
{
  stored s = {g_bytes_new(b, len), r->base_offset, r->last_offset, (int64_t)rill__be64(b + 35)};
  g_array_append_val(out, s);
}

static void check_stored(rill_log *log, const char *topic, GArray *want)
{
  g_autoptr(GBytes) all = read_bytes(log, topic, 0, 0, G_MAXSIZE);
  size_t at = 0, len;
  const uint8_t *p = g_bytes_get_data(all, &len);
  for (guint i = 0; i < want->len; i++) {
    stored *s = &g_array_index(want, stored, i);
    g_assert_cmpuint(at + g_bytes_get_size(s->bytes), <=, len);
    g_assert_cmpmem(p + at, g_bytes_get_size(s->bytes), g_bytes_get_data(s->bytes, NULL), g_bytes_get_size(s->bytes));
    at += g_bytes_get_size(s->bytes);
  }
  g_assert_cmpuint(at, ==, len);
}

/* rill_log_append_nowait: no callback under durability none; under sync one
 * callback per append, each after its records became
 * readable, across segment rolls; pending appends are synced by close and
 * answered (synced or CLOSED) by a topic delete. Also: with a tiny page-cache
 * window, bytes dropped from the cache read back the same. */
static void test_append_nowait(void)
{
  g_autofree char *dir = test_tmpdir();
  rill_log_options opts;
  rill_log_options_init(&opts);
  opts.page_cache_window_bytes = 1;
  GError *e = NULL;
  rill_log *log = rill_log_open(dir, &opts, &e);
  g_assert_no_error(e);
  durable_box box = {.log = log};
  g_mutex_init(&box.lock);
  g_cond_init(&box.cond);

  /* none: nothing pending, readable at once; 12 MB so the window drops pages. */
  create(log, "n", 1, NULL);
  g_autoptr(GArray) none = stored_new();
  durable_ticket unused = {&box, "n", -1, 0, 0};
  for (int i = 0; i < 300; i++) {
    size_t len;
    uint8_t *b = test_batch(4, 10000, i, (uint32_t)i, &len);
    rill_log_append_result r;
    gboolean pending = TRUE;
    g_assert_true(rill_log_append_nowait(log, "n", 0, b, len, &r, on_durable, &unused, &pending, &e));
    g_assert_false(pending);
    stored s = {g_bytes_new(b, len), r.base_offset, r.last_offset, 0};
    g_array_append_val(none, s);
    g_free(b);
  }
  rill_log_partition_info info;
  g_assert_true(rill_log_partition_info_get(log, "n", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, 1200);
  check_stored(log, "n", none);

  /* sync, small segments: callbacks in order, after the records are readable. */
  const char *const sync_small[] = {"rill.durability", "sync", "segment.bytes", "4096", NULL};
  create(log, "s", 1, sync_small);
  enum { N = 400 };
  durable_ticket *t = g_new0(durable_ticket, N);
  g_autoptr(GArray) synced = stored_new();
  for (int i = 0; i < N; i++) {
    t[i] = (durable_ticket){&box, "s", i, 0, 0};
    g_assert_true(nowait(log, "s", &t[i], i, synced));
  }
  wait_fired(&box, N);
  g_assert_cmpint(box.twice, ==, 0);
  g_assert_cmpint(box.not_readable, ==, 0);
  g_assert_no_error(box.error);
  g_assert_true(rill_log_partition_info_get(log, "s", 0, &info, NULL));
  g_assert_cmpint(info.high_watermark, ==, t[N - 1].end);
  g_assert_cmpint(info.n_segments, >, 1);
  check_stored(log, "s", synced);

  /* An idempotent retry of a batch (maybe still pending) answers with the
   * original offsets; it is acknowledged once durable, like the original. */
  box.fired = 0;
  int expect = 0;
  durable_ticket ti[3];
  test_batch_spec spec = test_batch_spec_default(3, 20, 5, 9);
  spec.producer_id = 42;
  spec.producer_epoch = 0;
  spec.base_sequence = 0;
  size_t ilen;
  uint8_t *ib = test_batch_build(&spec, &ilen);
  rill_log_append_result ir[3];
  for (int i = 0; i < 3; i++) {
    ti[i] = (durable_ticket){&box, "s", i, 0, 0};
    uint8_t *copy = g_memdup2(ib, ilen);
    gboolean pending = FALSE;
    g_assert_true(rill_log_append_nowait(log, "s", 0, copy, ilen, &ir[i], on_durable, &ti[i], &pending, &e));
    g_assert_no_error(e);
    ti[i].end = ir[i].last_offset + 1;
    expect += pending;
    if (i == 0)
      synced_add(synced, copy, ilen, &ir[0]);
    g_free(copy);
  }
  g_free(ib);
  g_assert_false(ir[0].duplicate);
  g_assert_true(ir[1].duplicate && ir[2].duplicate);
  g_assert_cmpint(ir[1].base_offset, ==, ir[0].base_offset);
  g_assert_cmpint(ir[2].last_offset, ==, ir[0].last_offset);
  wait_fired(&box, expect);
  g_assert_cmpint(box.twice, ==, 0);
  g_assert_cmpint(box.not_readable, ==, 0);
  g_assert_no_error(box.error);

  /* Deleting the topic answers what is pending: synced already, or CLOSED. */
  create(log, "d", 1, sync_small);
  box.fired = 0;
  durable_ticket td[20];
  for (int i = 0; i < 20; i++) {
    td[i] = (durable_ticket){&box, "d", i, 0, 0};
    g_assert_true(nowait(log, "d", &td[i], i, NULL));
  }
  g_assert_true(rill_log_topic_delete(log, "d", &e));
  wait_fired(&box, 20);
  g_assert_cmpint(box.fired, ==, 20);
  g_assert_cmpint(box.twice, ==, 0);
  if (box.error)
    g_assert_error(box.error, RILL_LOG_ERROR, RILL_LOG_ERROR_CLOSED);
  g_clear_error(&box.error);

  /* Close syncs what is pending: every callback ran, successfully. */
  box.fired = 0;
  for (int i = 0; i < 20; i++) {
    t[i] = (durable_ticket){&box, "s", i, 0, 0};
    g_assert_true(nowait(log, "s", &t[i], N + i, synced));
  }
  rill_log_close(log);
  g_assert_cmpint(box.fired, ==, 20);
  g_assert_cmpint(box.twice, ==, 0);
  g_assert_no_error(box.error);
  log = open_log(dir);
  check_stored(log, "s", synced);
  check_stored(log, "n", none);
  rill_log_close(log);
  g_free(t);
  g_mutex_clear(&box.lock);
  g_cond_clear(&box.cond);
  test_rm_rf(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/log/round-trip", test_round_trip);
  g_test_add_func("/log/tail-reads", test_tail_reads);
  g_test_add_func("/log/timestamps-and-indexes", test_timestamps_and_indexes);
  g_test_add_func("/log/torn-tail/truncated", test_torn_truncated);
  g_test_add_func("/log/torn-tail/flipped", test_torn_flipped);
  g_test_add_func("/log/retention", test_retention);
  g_test_add_func("/log/bad-input", test_bad_input);
  g_test_add_func("/log/topics", test_topics);
  g_test_add_func("/log/waiters", test_waiters);
  g_test_add_func("/log/concurrent", test_concurrent);
  g_test_add_func("/log/append-nowait", test_append_nowait);
  g_test_add_func("/log/groups", test_groups);
  g_test_add_func("/log/producers", test_producers);
  return g_test_run();
}
