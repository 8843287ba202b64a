/* test-batch.h — helpers of the log tests and bench: uncompressed
 * RecordBatch v2 bytes from a small spec, made by the codec's writer
 * (runtime/wire/recordbatch.h), with values filled from a seed so a test can
 * rebuild bytes it never stored itself; and temporary directories. */
#pragma once

#include "runtime/wire/batch-header.h"
#include "runtime/wire/recordbatch.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  int n_records;
  size_t value_size;
  int64_t base_timestamp; /* record i gets base_timestamp + i */
  int64_t producer_id;    /* -1: not idempotent */
  int16_t producer_epoch;
  int32_t base_sequence;
  uint32_t seed;          /* fills the values */
} test_batch_spec;

static inline test_batch_spec test_batch_spec_default(int n, size_t value_size, int64_t ts, uint32_t seed)
{
  return (test_batch_spec){n, value_size, ts, -1, -1, -1, seed};
}

/* Returns a new batch (g_free) of *len bytes, baseOffset 0, written by the
 * codec's RecordBatch writer (uncompressed). */
static inline uint8_t *test_batch_build(const test_batch_spec *s, size_t *len)
{
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  o.producer_id = s->producer_id;
  o.producer_epoch = s->producer_epoch;
  o.base_sequence = s->base_sequence;
  GError *e = NULL;
  rill__batch_writer *w = rill__batch_writer_new(&o, &e);
  g_assert_no_error(e);
  uint8_t *value = g_malloc(s->value_size + 1);
  uint32_t x = s->seed * 2654435761u + 1;
  for (int i = 0; i < s->n_records; i++) {
    for (size_t j = 0; j < s->value_size; j++) {
      x = x * 1103515245u + 12345u;
      value[j] = (uint8_t)(x >> 16);
    }
    rill__batch_writer_append(w, s->base_timestamp + i, NULL, -1, value, (int32_t)s->value_size, NULL, 0);
  }
  GBytes *b = rill__batch_writer_finish(w, &e);
  g_assert_no_error(e);
  rill__batch_writer_free(w);
  g_free(value);
  return g_bytes_unref_to_data(b, len);
}

static inline uint8_t *test_batch(int n, size_t value_size, int64_t ts, uint32_t seed, size_t *len)
{
  test_batch_spec s = test_batch_spec_default(n, value_size, ts, seed);
  return test_batch_build(&s, len);
}

/* A fresh temporary directory (g_free; remove with test_rm_rf). */
static inline char *test_tmpdir(void)
{
  GError *e = NULL;
  char *d = g_dir_make_tmp("rill-log-XXXXXX", &e);
  g_assert_no_error(e);
  return d;
}

static inline void test_rm_rf(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    char *child = g_build_filename(path, name, NULL);
    if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
      test_rm_rf(child);
    else
      g_remove(child);
    g_free(child);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(path);
}
