/* partitioner.h — which partition a record goes to, the one rule shared by
 * every writer: the Kafka sink and producer tool (partitioner=), and the log
 * sink (always murmur2_random, Kafka's default), so a key lands on the same
 * partition whichever way it is written.
 *
 * Keyed records: murmur2 (Java client's default; Utils.murmur2 & 0x7fffffff)
 * or consistent (zlib CRC-32 of the key, librdkafka's "consistent").
 * Null keys: the *_random partitioners and "random" return -1, meaning "the
 * sticky partition" — the caller keeps one partition for null-keyed records
 * until that partition's batch is sent (Java's sticky partitioning, KIP-480);
 * plain murmur2 / consistent hash the empty key as librdkafka does. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* In the order of the Kafka connector's partitioner= choices (kconf.c). */
typedef enum {
  RILL__PARTITIONER_MURMUR2_RANDOM,
  RILL__PARTITIONER_MURMUR2,
  RILL__PARTITIONER_CONSISTENT_RANDOM,
  RILL__PARTITIONER_CONSISTENT,
  RILL__PARTITIONER_RANDOM,
} rill__partitioner;

/* Partition in [0, @n) for @key (@key_len bytes; NULL = null key) under
 * @partitioner, or -1 for "sticky". */
int32_t rill__partition_for(int partitioner, const void *key, size_t key_len, int32_t n);
