/* recordbatch.c — libFuzzer target for the RecordBatch v2 reader and the codecs.
 *
 * Each input is read as a batch twice: once with the CRC checked (what the
 * broker does) and once without, so mutated records get past the checksum and
 * reach the record and decompression code. Every record that decodes is
 * re-encoded with the writer and read back; the copy must match field for
 * field. Decompression is capped at 4 MiB so bombs end as errors.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/wire/recordbatch.h"

#define MAX_OUT (4u << 20)

static void same_bytes(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
  if (alen != blen || (alen > 0 && memcmp(a, b, (size_t)alen) != 0) || ((a == NULL) != (b == NULL)))
    abort();
}

static void round_trip(const uint8_t *data, size_t size)
{
  rill__batch_reader orig;
  rill__batch_reader *r = &orig;
  rill__batch_reader_init(r);
  if (!rill__batch_reader_open(r, data, size, 0, MAX_OUT, NULL))
    goto out;
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  rill__batch_writer *w = rill__batch_writer_new(&o, NULL);
  GArray *hdrs = g_array_new(FALSE, FALSE, sizeof(rill__record_header));
  rill__record rec;
  int32_t n = 0;
  while (rill__batch_reader_next(r, &rec, NULL) > 0) {
    rill__record_header_iter it;
    rill__record_header h;
    g_array_set_size(hdrs, 0);
    rill__record_header_iter_init(&it, &rec);
    while (rill__record_header_iter_next(&it, &h))
      g_array_append_val(hdrs, h);
    if ((int32_t)hdrs->len != rec.header_count)
      abort();
    rill__batch_writer_append(w, rec.timestamp, rec.key, rec.key_len, rec.value, rec.value_len,
                              (const rill__record_header *)(void *)hdrs->data, hdrs->len);
    n++;
  }
  GBytes *b = rill__batch_writer_finish(w, NULL);
  rill__batch_reader back;
  rill__batch_reader_init(&back);
  if (!rill__batch_reader_open(&back, g_bytes_get_data(b, NULL), g_bytes_get_size(b), RILL__BATCH_VERIFY_CRC,
                               MAX_OUT, NULL))
    abort();
  /* read the original again up to where it stopped, and compare */
  if (!rill__batch_reader_open(r, data, size, 0, MAX_OUT, NULL))
    abort();
  for (int32_t i = 0; i < n; i++) {
    rill__record a, c;
    if (rill__batch_reader_next(r, &a, NULL) != 1 || rill__batch_reader_next(&back, &c, NULL) != 1)
      abort();
    if (c.offset_delta != i || c.timestamp != a.timestamp || c.header_count != a.header_count)
      abort();
    same_bytes(a.key, a.key_len, c.key, c.key_len);
    same_bytes(a.value, a.value_len, c.value, c.value_len);
  }
  rill__record extra;
  if (rill__batch_reader_next(&back, &extra, NULL) != 0)
    abort();
  rill__batch_reader_clear(&back);
  g_bytes_unref(b);
  g_array_unref(hdrs);
  rill__batch_writer_free(w);
out:
  rill__batch_reader_clear(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  rill__batch_reader r;
  GError *error = NULL;
  rill__batch_reader_init(&r);
  if (rill__batch_reader_open(&r, data, size, RILL__BATCH_VERIFY_CRC, MAX_OUT, &error)) {
    rill__record rec;
    while (rill__batch_reader_next(&r, &rec, &error) > 0)
      ;
  }
  g_clear_error(&error);
  rill__batch_reader_clear(&r);
  round_trip(data, size);
  return 0;
}
