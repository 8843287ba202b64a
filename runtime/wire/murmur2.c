/* murmur2.c — the hash Kafka's default partitioner uses for keyed records
 * (shared by the log sink and the Kafka sink so both put a key where a Java
 * producer would),
 * as specified by org.apache.kafka.common.utils.Utils.murmur2: seed
 * 0x9747b28c, little-endian 4-byte blocks, 32-bit wrap-around arithmetic.
 * Partition = (murmur2(key) & 0x7fffffff) % partitions. */
#include "runtime/wire/murmur2.h"

int32_t rill__murmur2(const void *key, size_t len)
{
  const uint8_t *d = key;
  const uint32_t m = 0x5bd1e995u;
  uint32_t h = 0x9747b28cu ^ (uint32_t)len;
  size_t n4 = len / 4;
  for (size_t i = 0; i < n4; i++) {
    const uint8_t *p = d + 4 * i;
    uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  const uint8_t *tail = d + (len & ~(size_t)3);
  switch (len % 4) {
  case 3: h ^= (uint32_t)tail[2] << 16; /* fall through */
  case 2: h ^= (uint32_t)tail[1] << 8;  /* fall through */
  case 1:
    h ^= tail[0];
    h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return (int32_t)h;
}
