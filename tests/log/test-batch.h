/* test-batch.h — a test-only builder of valid uncompressed RecordBatch v2
 * bytes (correct CRC-32C), for the log tests until the records writer
 * (runtime/wire/recordbatch.h) is on main. Record values are filled from a
 * seed so a test can check bytes it never stored itself. */
#pragma once

#include "runtime/wire/batch_header.h"
#include "runtime/wire/varint.h"

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

/* Returns a new batch (g_free) of *len bytes, baseOffset 0. */
static inline uint8_t *test_batch_build(const test_batch_spec *s, size_t *len)
{
  GByteArray *b = g_byte_array_sized_new(RILL_BATCH_HEADER_SIZE + (guint)(s->n_records * (s->value_size + 16)));
  g_byte_array_set_size(b, RILL_BATCH_HEADER_SIZE);
  uint32_t x = s->seed * 2654435761u + 1;
  for (int i = 0; i < s->n_records; i++) {
    uint8_t body[64], *q = body;
    *q++ = 0; /* attributes */
    q += rill_varint64_encode(q, i);          /* timestampDelta */
    q += rill_varint32_encode(q, i);          /* offsetDelta */
    q += rill_varint32_encode(q, -1);         /* null key */
    q += rill_varint32_encode(q, (int32_t)s->value_size);
    size_t head = (size_t)(q - body);
    uint8_t len_buf[RILL_VARINT_MAX32];
    size_t ll = rill_varint32_encode(len_buf, (int32_t)(head + s->value_size + 1));
    g_byte_array_append(b, len_buf, (guint)ll);
    g_byte_array_append(b, body, (guint)head);
    for (size_t j = 0; j < s->value_size; j++) {
      x = x * 1103515245u + 12345u;
      uint8_t c = (uint8_t)(x >> 16);
      g_byte_array_append(b, &c, 1);
    }
    uint8_t zero = 0; /* header count */
    g_byte_array_append(b, &zero, 1);
  }
  uint8_t *p = b->data;
  memset(p, 0, RILL_BATCH_HEADER_SIZE);
  rill_put_be32(p + 8, b->len - RILL_BATCH_LOG_OVERHEAD);
  rill_put_be32(p + 12, 0xffffffffu);
  p[16] = 2;
  rill_put_be32(p + 23, (uint32_t)(s->n_records - 1));
  rill_put_be64(p + 27, (uint64_t)s->base_timestamp);
  rill_put_be64(p + 35, (uint64_t)(s->base_timestamp + s->n_records - 1));
  rill_put_be64(p + 43, (uint64_t)s->producer_id);
  rill_put_be16(p + 51, (uint16_t)s->producer_epoch);
  rill_put_be32(p + 53, (uint32_t)s->base_sequence);
  rill_put_be32(p + 57, (uint32_t)s->n_records);
  *len = b->len;
  rill_batch_update_crc(p, b->len);
  return g_byte_array_free(b, FALSE);
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
