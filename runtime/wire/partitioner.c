/* partitioner.c — see partitioner.h. */
#include "runtime/wire/partitioner.h"

#include <zlib.h>

#include "runtime/wire/murmur2.h"

int32_t rill__partition_for(int partitioner, const void *key, size_t key_len, int32_t n)
{
  const uint8_t *k = key ? key : (const uint8_t *)"";
  size_t len = key ? key_len : 0;
  switch (partitioner) {
  case RILL__PARTITIONER_RANDOM:
    return -1;
  case RILL__PARTITIONER_MURMUR2_RANDOM:
    if (!key)
      return -1;
    /* fall through */
  case RILL__PARTITIONER_MURMUR2:
    return (int32_t)((rill__murmur2(k, len) & 0x7fffffff) % n);
  case RILL__PARTITIONER_CONSISTENT_RANDOM:
    if (!key || len == 0)
      return -1;
    /* fall through */
  default:
    return (int32_t)(crc32(0, k, (uInt)len) % (uint32_t)n);
  }
}
