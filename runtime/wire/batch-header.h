/* batch-header.h — the fixed 61-byte header of a Kafka RecordBatch (magic 2).
 *
 * Shared by the RecordBatch reader and writer (runtime/wire/recordbatch-reader.c,
 * recordbatch-writer.c), the broker's Produce handler and the
 * log storage (runtime/log/), which validates and re-stamps batches without
 * decoding their records.
 *
 *   OFFSET SIZE FIELD                     NOTE
 *   0      8    baseOffset                outside the CRC: rewritten on append
 *   8      4    batchLength               bytes after this field (total = +12)
 *   12     4    partitionLeaderEpoch      outside the CRC
 *   16     1    magic                     must be 2
 *   17     4    crc                       CRC-32C of bytes 21 .. end
 *   21     2    attributes                bits 0-2 codec, 3 LogAppendTime,
 *                                         4 transactional, 5 control, 6 deleteHorizon
 *   23     4    lastOffsetDelta
 *   27     8    baseTimestamp
 *   35     8    maxTimestamp
 *   43     8    producerId
 *   51     2    producerEpoch
 *   53     4    baseSequence
 *   57     4    recordsCount
 *   61     ...  records (one compressed block when codec != 0)
 *
 * All integers are big-endian. Parsing never reads past the given length.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RILL_BATCH_HEADER_SIZE 61
#define RILL_BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength */
#define RILL_BATCH_CRC_START 21
#define RILL_BATCH_OFF_BASE_OFFSET 0
#define RILL_BATCH_OFF_LENGTH 8
#define RILL_BATCH_OFF_LEADER_EPOCH 12
#define RILL_BATCH_OFF_MAGIC 16
#define RILL_BATCH_OFF_CRC 17
#define RILL_BATCH_OFF_ATTRIBUTES 21
#define RILL_BATCH_OFF_MAX_TIMESTAMP 35

#define RILL_BATCH_ATTR_CODEC_MASK 0x07
#define RILL_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define RILL_BATCH_ATTR_TRANSACTIONAL 0x10
#define RILL_BATCH_ATTR_CONTROL 0x20
#define RILL_BATCH_ATTR_DELETE_HORIZON 0x40

typedef struct {
  int64_t base_offset;
  int32_t batch_length; /* bytes after the length field */
  int32_t partition_leader_epoch;
  int8_t magic;
  uint32_t crc;
  int16_t attributes;
  int32_t last_offset_delta;
  int64_t base_timestamp;
  int64_t max_timestamp;
  int64_t producer_id;
  int16_t producer_epoch;
  int32_t base_sequence;
  int32_t records_count;
} rill_batch_header;

typedef enum {
  RILL_BATCH_OK = 0,
  RILL_BATCH_TRUNCATED,  /* fewer bytes than the header or batchLength says */
  RILL_BATCH_BAD_LENGTH, /* batchLength smaller than the header or negative */
  RILL_BATCH_BAD_MAGIC,  /* magic != 2 (MessageSet v0/v1 are refused) */
  RILL_BATCH_BAD_CRC,    /* stored CRC != CRC-32C of bytes 21..end */
} rill__batch_status;

static inline uint16_t rill__be16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t rill__be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t rill__be64(const uint8_t *p)
{
  return (uint64_t)rill__be32(p) << 32 | rill__be32(p + 4);
}
static inline void rill_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void rill_put_be32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void rill_put_be64(uint8_t *p, uint64_t v) { rill_put_be32(p, (uint32_t)(v >> 32)); rill_put_be32(p + 4, (uint32_t)v); }

/* Parses the header at @p (@len bytes available). Checks magic and that
 * @len holds the whole batch; with @check_crc also verifies the CRC.
 * On success fills @out; the batch occupies batch_length + 12 bytes. */
rill__batch_status rill__batch_header_parse(const uint8_t *p, size_t len, bool check_crc, rill_batch_header *out);

/* Total bytes of the batch whose header is at @p, or -1 if @len < 12. */
static inline int64_t rill_batch_total_size(const uint8_t *p, size_t len)
{
  if (len < RILL_BATCH_LOG_OVERHEAD)
    return -1;
  return (int64_t)(int32_t)rill__be32(p + RILL_BATCH_OFF_LENGTH) + RILL_BATCH_LOG_OVERHEAD;
}

/* Rewrites baseOffset in place (outside the CRC, so the CRC stays valid). */
static inline void rill_batch_set_base_offset(uint8_t *p, int64_t base_offset)
{
  rill_put_be64(p + RILL_BATCH_OFF_BASE_OFFSET, (uint64_t)base_offset);
}

/* Recomputes and stores the CRC after bytes 21..end changed (e.g. LogAppendTime). */
void rill__batch_update_crc(uint8_t *p, size_t total_size);

/* A short text for @status, for error messages. (transfer none) */
const char *rill__batch_status_str(rill__batch_status status);
