/* partitioner.c — see partitioner.h. */
#include "connectors/kafka/partitioner.h"

#include <zlib.h>

#include "runtime/wire/murmur2.h"

int32_t rill__kpartition(int partitioner, rill_bytes key, int32_t n)
{
  const uint8_t *k = key.data ? key.data : (const uint8_t *)"";
  switch (partitioner) {
  case RILL__KPARTITIONER_RANDOM:
    return -1;
  case RILL__KPARTITIONER_MURMUR2_RANDOM:
    if (!key.data)
      return -1;
    /* fall through */
  case RILL__KPARTITIONER_MURMUR2:
    return (int32_t)((rill__murmur2(k, key.len) & 0x7fffffff) % n);
  case RILL__KPARTITIONER_CONSISTENT_RANDOM:
    if (!key.data || key.len == 0)
      return -1;
    /* fall through */
  default:
    return (int32_t)(crc32(0, k, (uInt)key.len) % (uint32_t)n);
  }
}
