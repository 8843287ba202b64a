/* crc32c.c — CRC-32C with an SSE4.2 fast path and a slicing-by-8 fallback.
 *
 * The tables are built once under g_once; after that every function here is
 * reentrant and lock-free.
 */
#include "runtime/wire/crc32c.h"

#include <glib.h>
#include <string.h>

#define POLY 0x82f63b78u /* reflected Castagnoli polynomial */

static uint32_t table[8][256];

static gpointer build_tables(gpointer unused)
{
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (POLY & (0u - (c & 1)));
    table[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; i++)
    for (int t = 1; t < 8; t++)
      table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
  return NULL;
}

uint32_t rill__crc32c_sw(uint32_t crc, const void *data, size_t len)
{
  static GOnce once = G_ONCE_INIT;
  g_once(&once, build_tables, NULL);
  const uint8_t *p = data;
  crc = ~crc;
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
#if G_BYTE_ORDER == G_BIG_ENDIAN
    w = GUINT64_SWAP_LE_BE(w);
#endif
    w ^= crc;
    crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
          table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
          table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
    p += 8;
    len -= 8;
  }
  while (len--)
    crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The crc32 instruction has a latency of 3 cycles but a throughput of 1:
 * long inputs run three independent streams over adjacent blocks and join
 * them, shifting a stream's CRC over a block of zeros with a table (CRC
 * over zeros is linear in the starting value) -- about 3x faster. */
#define CRC_BLOCK 1024
static uint32_t shift_table[4][256]; /* written once, by build_shift */

__attribute__((target("sse4.2"))) static gpointer build_shift(gpointer unused)
{
  uint32_t basis[32];
  for (int i = 0; i < 32; i++) {
    uint64_t c = 1u << i;
    for (int j = 0; j < CRC_BLOCK / 8; j++)
      c = __builtin_ia32_crc32di(c, 0);
    basis[i] = (uint32_t)c;
  }
  for (int k = 0; k < 4; k++)
    for (int b = 0; b < 256; b++) {
      uint32_t v = 0;
      for (int j = 0; j < 8; j++)
        if (b >> j & 1)
          v ^= basis[8 * k + j];
      shift_table[k][b] = v;
    }
  return NULL;
}

static uint32_t shift_block(uint32_t c)
{
  return shift_table[0][c & 0xff] ^ shift_table[1][(c >> 8) & 0xff] ^ shift_table[2][(c >> 16) & 0xff] ^
         shift_table[3][c >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const void *data, size_t len)
{
  const uint8_t *p = data;
  uint64_t c = ~crc;
  if (len >= 3 * CRC_BLOCK) {
    static GOnce once = G_ONCE_INIT;
    g_once(&once, build_shift, NULL);
    while (len >= 3 * CRC_BLOCK) {
      uint64_t c1 = 0, c2 = 0;
      for (size_t i = 0; i < CRC_BLOCK; i += 8) {
        uint64_t w0, w1, w2;
        memcpy(&w0, p + i, 8);
        memcpy(&w1, p + CRC_BLOCK + i, 8);
        memcpy(&w2, p + 2 * CRC_BLOCK + i, 8);
        c = __builtin_ia32_crc32di(c, w0);
        c1 = __builtin_ia32_crc32di(c1, w1);
        c2 = __builtin_ia32_crc32di(c2, w2);
      }
      c = shift_block(shift_block((uint32_t)c) ^ (uint32_t)c1) ^ (uint32_t)c2;
      p += 3 * CRC_BLOCK;
      len -= 3 * CRC_BLOCK;
    }
  }
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    c = __builtin_ia32_crc32di(c, w);
    p += 8;
    len -= 8;
  }
  uint32_t c32 = (uint32_t)c;
  while (len--)
    c32 = __builtin_ia32_crc32qi(c32, *p++);
  return ~c32;
}

uint32_t rill__crc32c(uint32_t crc, const void *data, size_t len)
{
  static gsize have_hw = 0; /* 0 = not probed, 1 = no SSE4.2, 2 = SSE4.2 */
  if (g_once_init_enter(&have_hw)) {
    __builtin_cpu_init();
    g_once_init_leave(&have_hw, __builtin_cpu_supports("sse4.2") ? 2 : 1);
  }
  return have_hw == 2 ? crc32c_hw(crc, data, len) : rill__crc32c_sw(crc, data, len);
}
#else
uint32_t rill__crc32c(uint32_t crc, const void *data, size_t len)
{
  return rill__crc32c_sw(crc, data, len);
}
#endif
