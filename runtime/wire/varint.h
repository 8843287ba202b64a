/* varint.h — Kafka's variable-length integers, shared by the message codec
 * and the RecordBatch v2 record codec.
 *
 * Kafka uses protobuf encodings: "unsigned varint" (7 bits per byte, low
 * group first, high bit = more) for compact lengths and tagged fields, and
 * zigzag-encoded signed varint (int32) / varlong (int64) inside records.
 *
 * Invariants: decoders never read past `end`; they return the number of bytes
 * consumed, or 0 when the input is truncated or longer than the type allows
 * (5 bytes for 32-bit, 10 for 64-bit), so callers can report the offset.
 * Encoders write at most RILL_VARINT_MAX32 / RILL_VARINT_MAX64 bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RILL_VARINT_MAX32 5
#define RILL_VARINT_MAX64 10

static inline uint32_t rill_zigzag32(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31); }
static inline int32_t rill_unzigzag32(uint32_t v) { return (int32_t)(v >> 1) ^ -(int32_t)(v & 1); }
static inline uint64_t rill_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t rill_unzigzag64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Encodes @v into @out (room for RILL_VARINT_MAX64 bytes); returns bytes written. */
static inline size_t rill_uvarint64_encode(uint8_t *out, uint64_t v)
{
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

/* Bytes rill_uvarint64_encode() would write for @v. */
static inline size_t rill_uvarint64_size(uint64_t v)
{
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Decodes an unsigned varint of at most @max_bytes bytes from [p, end).
 * Returns bytes consumed, or 0 if truncated or too long. */
static inline size_t rill_uvarint_decode(const uint8_t *p, const uint8_t *end, size_t max_bytes,
                                         uint64_t *out)
{
  uint64_t v = 0;
  for (size_t i = 0; i < max_bytes && p + i < end; i++) {
    v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    if (!(p[i] & 0x80)) {
      *out = v;
      return i + 1;
    }
  }
  return 0;
}

static inline size_t rill_uvarint32_decode(const uint8_t *p, const uint8_t *end, uint32_t *out)
{
  uint64_t v;
  size_t n = rill_uvarint_decode(p, end, RILL_VARINT_MAX32, &v);
  if (n == 0 || v > UINT32_MAX)
    return 0;
  *out = (uint32_t)v;
  return n;
}

static inline size_t rill_varint32_decode(const uint8_t *p, const uint8_t *end, int32_t *out)
{
  uint32_t v;
  size_t n = rill_uvarint32_decode(p, end, &v);
  if (n)
    *out = rill_unzigzag32(v);
  return n;
}

static inline size_t rill_varint64_decode(const uint8_t *p, const uint8_t *end, int64_t *out)
{
  uint64_t v;
  size_t n = rill_uvarint_decode(p, end, RILL_VARINT_MAX64, &v);
  if (n)
    *out = rill_unzigzag64(v);
  return n;
}

static inline size_t rill_varint32_encode(uint8_t *out, int32_t v) { return rill_uvarint64_encode(out, rill_zigzag32(v)); }
static inline size_t rill_varint64_encode(uint8_t *out, int64_t v) { return rill_uvarint64_encode(out, rill_zigzag64(v)); }
static inline size_t rill_varint32_size(int32_t v) { return rill_uvarint64_size(rill_zigzag32(v)); }
static inline size_t rill_varint64_size(int64_t v) { return rill_uvarint64_size(rill_zigzag64(v)); }
