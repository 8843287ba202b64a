/* test-crc32c.c — CRC-32C against the published check value (RFC 3720
 * B.4 vectors) and hardware against software on random lengths/alignments. */
#include "runtime/wire/crc32c.h"

#include <glib.h>
#include <string.h>

static void test_check_value(void)
{
  g_assert_cmphex(rill__crc32c(0, "123456789", 9), ==, 0xe3069283u);
  g_assert_cmphex(rill__crc32c_sw(0, "123456789", 9), ==, 0xe3069283u);
  uint8_t zeros[32] = {0}, ones[32];
  memset(ones, 0xff, sizeof ones);
  g_assert_cmphex(rill__crc32c(0, zeros, 32), ==, 0x8a9136aau);
  g_assert_cmphex(rill__crc32c(0, ones, 32), ==, 0x62a8ab43u);
  uint8_t inc[32];
  for (int i = 0; i < 32; i++)
    inc[i] = (uint8_t)i;
  g_assert_cmphex(rill__crc32c(0, inc, 32), ==, 0x46dd794eu);
}

static void test_hw_matches_sw(void)
{
  GRand *r = g_rand_new_with_seed(42);
  static uint8_t buf[70000 + 16];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (uint8_t)g_rand_int(r);
  for (int iter = 0; iter < 2000; iter++) {
    size_t off = g_rand_int_range(r, 0, 16), len = g_rand_int_range(r, 0, iter % 10 ? 4096 : 70000);
    uint32_t seed = g_rand_int(r);
    g_assert_cmphex(rill__crc32c(seed, buf + off, len), ==, rill__crc32c_sw(seed, buf + off, len));
  }
  /* incremental == one shot */
  uint32_t a = rill__crc32c(rill__crc32c(0, buf, 1000), buf + 1000, 3000);
  g_assert_cmphex(a, ==, rill__crc32c(0, buf, 4000));
  g_rand_free(r);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/wire/crc32c/check-value", test_check_value);
  g_test_add_func("/wire/crc32c/hw-matches-sw", test_hw_matches_sw);
  return g_test_run();
}
