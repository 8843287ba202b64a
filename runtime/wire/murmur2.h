/* murmur2.h — Kafka's partitioning hash (org.apache.kafka.common.utils.Utils.murmur2).
 * Java's default partitioner puts a keyed record in
 * (murmur2(key) & 0x7fffffff) % partitions. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int32_t rill__murmur2(const void *key, size_t len);
