/* bench-wire.c — `bench/run wire`: RecordBatch v2 codec speed against memcpy.
 *
 * One 1 MiB uncompressed batch of ~100-byte records (10-byte key, 80-byte
 * value, no headers). Each run measures, for at least RUN_SECONDS each:
 *   codec    decode (CRC checked, every record visited) + re-encode into a new
 *            batch (writer, CRC computed) — bytes of batch per second;
 *   memcpy   the same bytes copied to another buffer: the limit;
 *   decode   decode alone, in records per second;
 *   crc      CRC-32C over the batch, GB/s.
 * Five runs; medians are printed, then
 *   RESULT name=wire ours=<codec MB/s> baseline=<memcpy MB/s> unit=MB/s ratio=<ours/baseline>
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/wire/crc32c.h"
#include "runtime/wire/recordbatch.h"

#include "bench/stats.h"

#define BATCH_BYTES (1u << 20)
#define RUNS 5
#define RUN_SECONDS 0.4

static volatile uint64_t sink; /* keeps the measured work from being optimised away */

static GBytes *make_batch(int *n_records)
{
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  rill__batch_writer *w = rill__batch_writer_new(&o, NULL);
  char key[11], value[81];
  memset(value, 'v', 80);
  value[80] = 0;
  int n = 0;
  while (rill__batch_writer_size(w) + 100 <= BATCH_BYTES) {
    g_snprintf(key, sizeof key, "k%09d", n);
    value[n % 80] = (char)('a' + n % 26);
    rill__batch_writer_append(w, 1700000000000 + n, key, 10, value, 80, NULL, 0);
    n++;
  }
  *n_records = n;
  GBytes *b = rill__batch_writer_finish(w, NULL);
  rill__batch_writer_free(w);
  return b;
}

static uint64_t decode(rill__batch_reader *r, const uint8_t *p, size_t len, rill__batch_writer *w)
{
  rill__record rec;
  uint64_t acc = 0;
  if (!rill__batch_reader_open(r, p, len, RILL__BATCH_VERIFY_CRC, BATCH_BYTES * 4, NULL))
    abort();
  while (rill__batch_reader_next(r, &rec, NULL) > 0) {
    acc += (uint64_t)rec.value_len + (uint64_t)rec.offset;
    if (w)
      rill__batch_writer_append(w, rec.timestamp, rec.key, rec.key_len, rec.value, rec.value_len, NULL, 0);
  }
  if (w) {
    GBytes *out = rill__batch_writer_finish(w, NULL);
    acc += g_bytes_get_size(out);
    g_bytes_unref(out);
  }
  return acc;
}

/* Runs @what until RUN_SECONDS passed; returns operations per second. */
#define MEASURE(out, what)                                                                  \
  do {                                                                                      \
    gint64 t0 = g_get_monotonic_time(), t;                                                  \
    uint64_t ops_ = 0;                                                                      \
    do {                                                                                    \
      for (int k_ = 0; k_ < 16; k_++, ops_++) {                                            \
        what;                                                                               \
      }                                                                                     \
      t = g_get_monotonic_time();                                                           \
    } while (t - t0 < (gint64)(RUN_SECONDS * 1e6));                                         \
    (out) = (double)ops_ / ((double)(t - t0) / 1e6);                                       \
  } while (0)

int main(void)
{
  int n;
  GBytes *batch = make_batch(&n);
  gsize len;
  const uint8_t *p = g_bytes_get_data(batch, &len);
  uint8_t *copy = g_malloc(len);
  rill__batch_reader r;
  rill__batch_reader_init(&r);
  rill__batch_writer_options o = RILL__BATCH_WRITER_OPTIONS_INIT;
  rill__batch_writer *w = rill__batch_writer_new(&o, NULL);
  double codec[RUNS], mem[RUNS], dec[RUNS], crc[RUNS], ratio[RUNS];

  printf("batch: %zu bytes, %d records of ~%zu bytes, uncompressed\n", (size_t)len, n, (size_t)len / (size_t)n);
  for (int i = 0; i < RUNS; i++) {
    double rate;
    MEASURE(rate, sink += decode(&r, p, len, w));
    codec[i] = rate * (double)len;
    MEASURE(rate, (memcpy(copy, p, len), sink += copy[k_]));
    mem[i] = rate * (double)len;
    MEASURE(rate, sink += decode(&r, p, len, NULL));
    dec[i] = rate * n;
    MEASURE(rate, sink += rill__crc32c(0, p, len));
    crc[i] = rate * (double)len;
    ratio[i] = codec[i] / mem[i];
    printf("run %d: decode+encode %.0f MB/s, memcpy %.0f MB/s, decode %.1f M records/s, crc32c %.2f GB/s\n",
           i + 1, codec[i] / 1e6, mem[i] / 1e6, dec[i] / 1e6, crc[i] / 1e9);
  }
  double c = bench_median(codec, RUNS), m = bench_median(mem, RUNS);
  printf("median: decode+encode %.0f MB/s, memcpy %.0f MB/s, decode %.1f M records/s (%.0f MB/s), crc32c %.2f GB/s\n",
         c / 1e6, m / 1e6, bench_median(dec, RUNS) / 1e6, bench_median(dec, RUNS) / n * (double)len / 1e6,
         bench_median(crc, RUNS) / 1e9);
  printf("RESULT name=wire ours=%.1f baseline=%.1f unit=MB/s ratio=%.4f\n", c / 1e6, m / 1e6, bench_median(ratio, RUNS));
  rill__batch_writer_free(w);
  rill__batch_reader_clear(&r);
  g_free(copy);
  g_bytes_unref(batch);
  return 0;
}
