/* partitioner.h — where the Kafka sink puts a record (internal).
 *
 * Keyed records: murmur2 (Java client's default; Utils.murmur2 & 0x7fffffff)
 * or consistent (zlib CRC-32 of the key, librdkafka's "consistent").
 * Null keys: the *_random partitioners and "random" return -1, meaning "the
 * sticky partition" — the caller keeps one partition for null-keyed records
 * until that partition's batch is sent (Java's sticky partitioning, KIP-480);
 * plain murmur2 / consistent hash the empty key as librdkafka does. */
#pragma once

#include <rill/record.h>

#include "connectors/kafka/kconf.h"

/* Partition in [0, @n) for @key under @partitioner, or -1 for "sticky". */
int32_t rill__kpartition(int partitioner, rill_bytes key, int32_t n);
