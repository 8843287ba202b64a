/* crc32c.h — CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2.
 *
 * Uses the SSE4.2 crc32 instruction when the CPU has it (checked once, at
 * first use, without global mutable state beyond a one-time init) and a
 * slicing-by-8 table otherwise. Both give identical results; the test in
 * tests/wire checks them against the published check value and each other.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Extends @crc (0 to start) over @len bytes of @data. */
uint32_t rill__crc32c(uint32_t crc, const void *data, size_t len);

/* The portable implementation, exposed so tests can compare it with the
 * hardware one. */
uint32_t rill__crc32c_sw(uint32_t crc, const void *data, size_t len);
